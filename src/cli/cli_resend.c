/* SPDX-License-Identifier: MIT */
/*
 * resend: staff send `unknown` messages again by hand. A message is
 * `unknown` when it may or may not have reached its gateway or mail server
 * (a crash or a lost answer while it was out); the daemon never resends
 * those on its own, because that could deliver it twice. Each resend is in
 * the audit log; campaign messages to someone who has since said stop are
 * refused.
 */
#include "cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#define RESEND_USAGE "usage: resend MESSAGE_ID… | resend --campaign ID   (unknown messages only)"

int cli_cmd_resend(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	long long campaign = 0, *ids = NULL, now;
	size_t n = 0;
	int o, ret, refused = 0, queued = 0, failed = 0;
	json_t *out;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'c')
			return cli_usage(c, RESEND_USAGE);
		if ((campaign = cli_parse_id(optarg)) < 0)
			return cli_usage(c, "--campaign '%s' is not an id", optarg);
	}
	if ((campaign > 0) == (optind < argc))
		return cli_usage(c, RESEND_USAGE);
	for (int i = optind; i < argc; i++)
		if (cli_parse_id(argv[i]) < 0)
			return cli_usage(c, "'%s' is not a message id", argv[i]);
	if ((ret = cli_open(c)))
		return ret;
	if (campaign > 0) {
		if (db_message_unknown_ids(c->db, campaign, &ids, &n) < 0)
			return cli_fail(c, "cannot list the unknown messages of campaign %lld", campaign);
	} else {
		n = (size_t)(argc - optind);
		ids = xcalloc(n, sizeof(*ids));
		for (size_t i = 0; i < n; i++)
			ids[i] = cli_parse_id(argv[optind + (int)i]);
	}
	out = json_array();
	now = cli_now();
	for (size_t i = 0; i < n; i++) {
		struct sbuf why = SBUF_INIT;
		int rc = db_message_resend(c->db, ids[i], cli_whoami(), now, &why);
		const char *result = rc == 0 ? "queued" : rc == 1 ? "refused" : "error";

		queued += rc == 0;
		refused += rc == 1;
		failed += rc < 0;
		if (c->json)
			json_array_append_new(out, json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)ids[i],
							     "result", result, "reason",
							     rc == 1 ? why.buf : NULL));
		else if (rc == 0)
			printf("message %lld queued again\n", ids[i]);
		else if (rc == 1)
			fprintf(stderr, "%s: %s\n", c->prog, why.buf);
		else
			fprintf(stderr, "%s: cannot resend message %lld\n", c->prog, ids[i]);
		sbuf_release(&why);
	}
	if (c->json)
		cli_print_json(out);
	else
		json_decref(out);
	if (!c->json && campaign > 0)
		printf("campaign %lld: %d queued again, %d refused\n", campaign, queued, refused);
	free(ids);
	return failed || refused ? 1 : 0;
}
