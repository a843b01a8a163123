/* SPDX-License-Identifier: MIT */
/*
 * portal-token: makes the portal's API token and the
 * http.portal_token_sha256 line for the config, or (--hash) the line for
 * a token read from standard input. Only the hash goes into the config;
 * a token shorter than CFG_SECRET_MIN, or a sample CHANGE-ME one, is
 * refused, as the daemon would never accept it.
 */
#include "cli.h"
#include "budbringer/token.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PORTAL_TOKEN_LEN 48	/* 288 bits of token_random()'s alphabet */

int cli_cmd_portal_token(struct cli *c, int argc, char **argv)
{
	char token[TOKEN_MAX + 2], hash[65];
	bool given = argc == 2 && !strcmp(argv[1], "--hash");
	int ret = 1;
	size_t len;

	if (argc != 1 && !given)
		return cli_usage(c, "usage: portal-token [--hash]   (--hash reads an existing token "
				 "from stdin)");
	if (given) {
		if (cli_read_secret("token: ", isatty(STDIN_FILENO), token, sizeof(token)) < 0)
			return cli_usage(c, "no token given on stdin");
		len = strlen(token);
		if (cfg_is_placeholder(token)) {
			ret = cli_usage(c, "the portal token is the sample value (CHANGE-ME…): run "
					"portal-token without --hash to make one");
			goto out;
		}
		if (len < CFG_SECRET_MIN || len > TOKEN_MAX) {
			ret = cli_usage(c, "the portal token is %zu characters; it needs %d to %d "
					"(run portal-token without --hash to make one)", len,
					CFG_SECRET_MIN, TOKEN_MAX);
			goto out;
		}
	} else if (token_random(token, PORTAL_TOKEN_LEN + 1) < 0) {
		ret = cli_fail(c, "cannot generate a token");
		goto out;
	}
	if (token_hash_secret(token, hash) < 0) {
		ret = cli_fail(c, "cannot hash the token");
		goto out;
	}
	if (c->json) {
		json_t *j = json_pack("{s:s}", "portal_token_sha256", hash);
		if (!given)
			json_object_set_new(j, "token", json_string(token));
		cli_print_json(j);
	} else {
		if (!given)
			printf("portal token (give it to the portal; shown once): %s\n", token);
		printf("in the http group of the config: portal_token_sha256 = \"%s\";\n", hash);
	}
	ret = 0;
out:
	explicit_bzero(token, sizeof(token));
	return ret;
}
