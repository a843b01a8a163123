/* SPDX-License-Identifier: MIT */
/*
 * suppression list | lift: the suppression list as staff see it, and
 * lifting a bounce suppression (audit-logged). The list holds keyed
 * hashes, not addresses: an entry shows its reason, when, its source and,
 * for bounces and complaints, the evidence (the message, its masked
 * recipient, the status and the server's words).
 */
#include "cli.h"
#include "budbringer/db_bounce.h"
#include "budbringer/mime.h"
#include "budbringer/phone.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const reasons[] = { "bounce", "complaint", "stop", "unsubscribed", "erased",
	NULL };

static void when(long long at, char *buf, size_t n)
{
	time_t t = (time_t)at;
	struct tm tm;

	localtime_r(&t, &tm);
	if (!strftime(buf, n, "%Y-%m-%d %H:%M", &tm))
		buf[0] = '\0';
}

static int print_row(const struct suppression_row *r, void *arg)
{
	json_t *arr = arg;
	char masked[128] = "", at[32];

	if (r->recipient)
		recipient_mask(r->channel, r->recipient, masked, sizeof(masked));
	if (arr) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s?, s:I}", "address_hash", r->address_sha256,
				      "channel", r->channel, "reason", r->reason, "source", r->source,
				      "created_at", (json_int_t)r->created_at);

		if (r->message_id)
			json_object_set_new(o, "evidence",
					    json_pack("{s:I, s:s, s:s?, s:s?, s:s?}", "message",
						      (json_int_t)r->message_id, "recipient", masked,
						      "status", r->status, "diagnostic", r->diagnostic,
						      "feedback_type", r->feedback_type));
		json_array_append_new(arr, o);
		return 0;
	}
	when(r->created_at, at, sizeof(at));
	printf("%s  %-5s  %-12s  %.12s…  %s", at, r->channel, r->reason, r->address_sha256,
	       r->source ? r->source : "-");
	if (r->message_id)
		printf("  msg=%lld %s %s%s%s", r->message_id, masked,
		       r->feedback_type ? r->feedback_type : r->status ? r->status : "",
		       r->diagnostic ? " " : "", r->diagnostic ? r->diagnostic : "");
	printf("\n");
	return 0;
}

static int list(struct cli *c, int argc, char **argv)
{
	const char *reason = NULL;
	long long limit = 100;
	json_t *arr;
	int ret;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--reason") && i + 1 < argc) {
			bool known = false;

			reason = argv[++i];
			for (size_t k = 0; reasons[k]; k++)
				known |= !strcmp(reasons[k], reason);
			if (!known)
				return cli_usage(c, "--reason '%s' is not one of: bounce complaint stop "
						 "unsubscribed erased", reason);
		} else if (!strcmp(argv[i], "--limit") && i + 1 < argc) {
			if (cli_parse_int(argv[++i], 1, 1000000, &limit) < 0)
				return cli_usage(c, "--limit '%s' is not 1..1000000", argv[i]);
		} else {
			return cli_usage(c, "usage: suppression list [--reason R] [--limit N]");
		}
	}
	if ((ret = cli_open(c)))
		return ret;
	arr = c->json ? json_array() : NULL;
	if (!c->json)
		printf("%-16s  %-5s  %-12s  %-13s  %s\n", "when", "chan", "reason", "address key",
		       "source / evidence");
	if (db_suppression_each(c->db, reason, (int)limit, print_row, arr) < 0) {
		json_decref(arr);
		return 1;
	}
	if (arr)
		cli_print_json(arr);
	return 0;
}

static int lift(struct cli *c, int argc, char **argv)
{
	char addr[PHONE_E164_MAX > 256 ? PHONE_E164_MAX : 256], why[32];
	const char *channel, *bad = NULL;
	int ret, rc;

	if (argc != 3)
		return cli_usage(c, "usage: suppression lift ADDRESS");
	if ((ret = cli_open(c)))
		return ret;
	if (strchr(argv[2], '@')) {
		channel = "email";
		if (mime_addr_normalise(argv[2], addr, sizeof(addr)) < 0)
			return cli_usage(c, "'%s' is not an email address", argv[2]);
	} else {
		channel = "sms";
		if (phone_normalise(argv[2], c->cfg.default_country, addr, &bad) < 0)
			return cli_usage(c, "'%s' is neither an email address nor a phone number", argv[2]);
	}
	rc = db_suppression_lift(c->db, addr, channel, cli_whoami(), cli_now(), why, sizeof(why));
	if (rc < 0)
		return cli_fail(c, "cannot lift the suppression of '%s'", argv[2]);
	if (rc == 1)
		return cli_fail(c, "'%s' is not on the suppression list", argv[2]);
	if (rc == 2)
		return cli_fail(c, "'%s' is suppressed for reason '%s', which staff cannot lift: a STOP, "
				"an unsubscribe, a complaint or an erasure needs the person's fresh "
				"consent (a new sign-up they confirm themselves)", argv[2], why);
	if (c->json)
		cli_print_json(json_pack("{s:s, s:s, s:s}", "lifted", channel, "reason", "bounce", "by",
					 cli_whoami()));
	else
		printf("suppression of '%s' (bounce) lifted by %s; recorded in the audit log\n", argv[2],
		       cli_whoami());
	return 0;
}

int cli_cmd_suppression(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "list"))
		return list(c, argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "lift"))
		return lift(c, argc, argv);
	return cli_usage(c, "usage: suppression list [--reason R] [--limit N] | lift ADDRESS");
}
