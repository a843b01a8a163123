/* SPDX-License-Identifier: MIT */
/* init, check-config and association commands. */
#include "cli.h"
#include "budbringer/mime.h"
#include "budbringer/token.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cli_cmd_init(struct cli *c, int argc, char **argv)
{
	int ret;
	(void)argv;
	if (argc != 1)
		return cli_usage(c, "usage: init");
	if ((ret = cli_open(c)))
		return ret;
	printf("database '%s' is at schema version %d\n", c->cfg.database, db_schema_version(c->db));
	return 0;
}

int cli_cmd_check_config(struct cli *c, int argc, char **argv)
{
	int ret;

	(void)argv;
	if (argc != 1)
		return cli_usage(c, "usage: check-config");
	if ((ret = cli_load_config(c)))
		return ret;
	printf("%s: configuration ok\n", c->config_path);
	return 0;
}

/* Makes a new token for the association, stores its hash, prints it once. */
static int issue_token(struct cli *c, long long id, const char *name)
{
	char token[48], hash[65];

	if (token_random(token, sizeof(token)) < 0 || token_hash_secret(token, hash) < 0)
		return cli_fail(c, "cannot generate a token");
	if (db_association_set_token(c->db, id, hash, cli_now()) < 0)
		return cli_fail(c, "cannot store the token of '%s'", name);
	if (c->json) {
		cli_print_json(json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "name", name,
					 "token", token));
	} else {
		printf("association %lld '%s'\n", id, name);
		printf("API token (shown once, store it now): %s\n", token);
	}
	return 0;
}

static int print_association(const struct association_row *r, void *arg)
{
	json_t *arr = arg;
	if (arr) {
		json_array_append_new(arr, json_pack("{s:I, s:s, s:s?, s:b, s:s, s:i}",
			"id", (json_int_t)r->id, "name", r->name, "contact_email", r->contact_email,
			"active", r->active, "created_at", r->created_at, "tokens", r->n_tokens));
	} else {
		printf("%-5lld %-40s %-30s %s%s\n", r->id, r->name,
		       r->contact_email ? r->contact_email : "-", r->active ? "active" : "inactive",
		       r->n_tokens ? "" : " (no API token)");
	}
	return 0;
}

int cli_cmd_association(struct cli *c, int argc, char **argv)
{
	int ret;
	long long id;

	if (argc < 2)
		return cli_usage(c, "usage: association add NAME [--email E] | list | token NAME");
	if ((ret = cli_open(c)))
		return ret;
	if (!strcmp(argv[1], "add")) {
		const char *email = NULL;
		char email_buf[256];
		if (argc == 5 && !strcmp(argv[3], "--email"))
			email = argv[4];
		else if (argc != 3)
			return cli_usage(c, "usage: association add NAME [--email E]");
		if (!*argv[2] || strlen(argv[2]) > 200)
			return cli_usage(c, "association name must be 1..200 characters");
		if (email && mime_addr_normalise(email, email_buf, sizeof(email_buf)) < 0)
			return cli_usage(c, "'%s' is not an email address", email);
		if (email)
			email = email_buf;
		if (db_association_find(c->db, argv[2]))
			return cli_fail(c, "association '%s' exists already", argv[2]);
		if (db_association_add(c->db, argv[2], email, &id) < 0)
			return 1;
		return issue_token(c, id, argv[2]);
	}
	if (!strcmp(argv[1], "list")) {
		json_t *arr = c->json ? json_array() : NULL;
		if (db_association_each(c->db, print_association, arr) < 0)
			return 1;
		if (arr)
			cli_print_json(arr);
		return 0;
	}
	if (!strcmp(argv[1], "token") && argc == 3) {
		id = db_association_find(c->db, argv[2]);
		if (!id)
			return cli_fail(c, "no association named '%s'", argv[2]);
		return issue_token(c, id, argv[2]);
	}
	return cli_usage(c, "usage: association add NAME [--email E] | list | token NAME");
}
