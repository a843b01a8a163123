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
#include "budbringer/campaign.h"

#include <getopt.h>
#include <stdio.h>

#define RESEND_USAGE "usage: resend MESSAGE_ID… | resend --campaign ID   (unknown messages only)"

struct outcome {
	struct cli *c;
	json_t *out;   /* --json: one object per message */
	int failed;
};

static void report(long long id, int rc, const char *why, void *arg)
{
	struct outcome *o = arg;
	const char *result = rc == 0 ? "queued" : rc == 1 ? "refused" : "error";

	o->failed += rc < 0;
	if (o->out)
		json_array_append_new(o->out, json_pack("{s:I, s:s, s:s?}", "id", (json_int_t)id,
							"result", result, "reason",
							rc == 1 ? why : NULL));
	else if (rc == 0)
		printf("message %lld queued again\n", id);
	else if (rc == 1)
		fprintf(stderr, "%s: %s\n", o->c->prog, why);
	else
		fprintf(stderr, "%s: cannot resend message %lld\n", o->c->prog, id);
}

int cli_cmd_resend(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	struct outcome o = { .c = c };
	long long campaign = 0, now;
	int opt, ret, refused = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt != 'c')
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
	o.out = c->json ? json_array() : NULL;
	now = cli_now();
	if (campaign > 0) {
		int queued = campaign_resend_unknown(c->db, campaign, cli_whoami(), now, report, &o,
						     &refused);
		if (queued < 0) {
			json_decref(o.out);
			return cli_fail(c, "cannot list the unknown messages of campaign %lld", campaign);
		}
		if (!c->json)
			printf("campaign %lld: %d queued again, %d refused\n", campaign, queued, refused);
	} else {
		for (int i = optind; i < argc; i++) {
			struct sbuf why = SBUF_INIT;
			long long id = cli_parse_id(argv[i]);
			int rc = db_message_resend(c->db, id, cli_whoami(), now, &why);

			refused += rc == 1;
			report(id, rc, why.buf ? why.buf : "", &o);
			sbuf_release(&why);
		}
	}
	if (o.out)
		cli_print_json(o.out);
	return o.failed || refused ? 1 : 0;
}
