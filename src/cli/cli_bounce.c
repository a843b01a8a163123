/* SPDX-License-Identifier: MIT */
/*
 * bounce: one mail that came back, on standard input, from the MTA (a
 * Postfix pipe transport or an alias on bounce+…@domain). Parsed by
 * bounce.c, applied by bounce_apply.c; one line says what it did.
 *
 * Exit codes are sendmail's (sysexits.h), because the MTA reads them:
 * 0 handled (also "not a bounce", "unmatched", "duplicate": recorded or
 * logged, nothing to retry); EX_TEMPFAIL when the database cannot take it
 * now (busy, locked, unreachable) and EX_CONFIG when the config cannot be
 * read — both make the MTA keep the mail and try again, so no bounce is
 * lost; EX_USAGE for bad arguments; EX_DATAERR for input that is no mail
 * or is over BOUNCE_INPUT_MAX.
 */
#include "cli.h"
#include "budbringer/bounce.h"
#include "budbringer/bounce_apply.h"
#include "budbringer/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#define BOUNCE_INPUT_MAX (10u * 1024 * 1024)

/* Reads all of stdin into *out; 0, 1 when over max, -1 on a read error. */
static int read_all(FILE *f, size_t max, char **out, size_t *len)
{
	size_t cap = 65536, n = 0, got;
	char *buf = xcalloc(1, cap);

	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(buf);
				return 1;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (n > max) {
			free(buf);
			return 1;
		}
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		return -1;
	}
	*out = buf;
	*len = n;
	return 0;
}

static void say(const struct cli *c, const struct bounce_report *r, const struct bounce_result *res,
		const struct bounce_rules *rules)
{
	const char *what = r->kind == BOUNCE_COMPLAINT ? r->feedback_type : r->status;

	if (c->json) {
		cli_print_json(json_pack("{s:s, s:s, s:I, s:I, s:s, s:s, s:I, s:b, s:b, s:b}",
					 "outcome", bounce_outcome_name(res->outcome),
					 "kind", bounce_kind_name(r->kind),
					 "message", (json_int_t)res->message_id,
					 "campaign", (json_int_t)res->campaign_id,
					 "status", r->status, "reason", r->reason,
					 "soft_count", (json_int_t)res->soft_count,
					 "alert", res->alert_hard || res->alert_complaint,
					 "paused", res->paused, "gave_up", res->gave_up));
		return;
	}
	switch (res->outcome) {
	case BOUNCE_OUT_NONE:
		printf("not a bounce (%s): nothing changed\n", r->reason);
		break;
	case BOUNCE_OUT_BOUNCED:
		printf("bounced: message %lld (%s), %s\n", res->message_id, r->status,
		       res->suppressed ? "address suppressed (bounce)"
				       : "address kept (the refusal was not about the address)");
		break;
	case BOUNCE_OUT_COUNTED:
		printf("soft bounce counted: message %lld (%s)%s, %lld of %d in %d days\n",
		       res->message_id, r->status, res->gave_up ? " bounced, given up after retries" : "",
		       res->soft_count, rules->soft_limit, rules->soft_days);
		break;
	case BOUNCE_OUT_SUPPRESSED:
		printf("soft bounce: message %lld (%s)%s, address suppressed (bounce) after %lld in %d days\n",
		       res->message_id, r->status, res->gave_up ? " bounced, given up after retries" : "",
		       res->soft_count, rules->soft_days);
		break;
	case BOUNCE_OUT_COMPLAINT:
		printf("complaint: message %lld (%s), %saddress suppressed (complaint)\n",
		       res->message_id, *what ? what : "no type",
		       res->unsubscribed ? "unsubscribed from email, " : "");
		break;
	case BOUNCE_OUT_UNMATCHED:
		printf("unmatched: %s %s names no message we sent; recorded, nothing changed\n",
		       bounce_kind_name(r->kind), *what ? what : "report");
		break;
	case BOUNCE_OUT_SETTLED:
		printf("settled: message %lld was bounced or failed already; recorded, nothing changed\n",
		       res->message_id);
		break;
	case BOUNCE_OUT_DUPLICATE:
		printf("duplicate: this %s was handled before (message %lld); recorded, nothing changed\n",
		       bounce_kind_name(r->kind), res->message_id);
		break;
	}
}

static void warn_alerts(const struct bounce_result *res)
{
	if (res->alert_hard)
		log_warn("campaign hard-bounce rate past %.0f%% campaign=%lld rate=%s%s",
			 BOUNCE_HARD_RATE_PCT, res->campaign_id, res->hard_rate,
			 res->paused ? " email paused" : "");
	if (res->alert_complaint)
		log_warn("campaign complaint rate past %.1f%% campaign=%lld rate=%s%s",
			 BOUNCE_COMPLAINT_RATE_PCT, res->campaign_id, res->complaint_rate,
			 res->paused ? " email paused" : "");
}

int cli_cmd_bounce(struct cli *c, int argc, char **argv)
{
	const char *recipient = NULL;
	struct bounce_report r;
	struct bounce_result res;
	struct bounce_rules rules;
	char key[70], *mail = NULL;
	size_t len = 0;
	int rc, ret = EX_TEMPFAIL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--recipient") && i + 1 < argc) {
			recipient = argv[++i];
		} else {
			fprintf(stderr, "%s: usage: bounce [--recipient ADDRESS] < MAIL\n", c->prog);
			return EX_USAGE;
		}
	}
	/* Postfix local(8) sets these for a command in aliases or .forward. */
	if (!recipient || !*recipient)
		recipient = getenv("ORIGINAL_RECIPIENT");
	if (!recipient || !*recipient)
		recipient = getenv("RECIPIENT");
	if (recipient && (!*recipient || strlen(recipient) >= BOUNCE_ADDR_MAX)) {
		fprintf(stderr, "%s: bounce: --recipient must be 1..%d characters\n", c->prog,
			BOUNCE_ADDR_MAX - 1);
		return EX_USAGE;
	}
	if (cli_load_config(c))
		return EX_CONFIG;
	rc = read_all(stdin, BOUNCE_INPUT_MAX, &mail, &len);
	if (rc) {
		fprintf(stderr, rc > 0 ? "%s: bounce: the mail is larger than 10 MB: refused, not read\n"
				       : "%s: bounce: cannot read the mail from standard input\n",
			c->prog);
		return rc > 0 ? EX_DATAERR : EX_IOERR;
	}
	if (bounce_parse(mail, len, recipient, &r) < 0) {
		fprintf(stderr, "%s: bounce: not a mail: %s\n", c->prog, r.reason);
		ret = EX_DATAERR;
		goto out;
	}
	bounce_rules_from_config(&c->cfg, &rules);
	memset(&res, 0, sizeof(res));
	if (r.kind == BOUNCE_NONE) {
		say(c, &r, &res, &rules);
		ret = 0;
		goto out;
	}
	/* Any database failure here may pass (a lock, a restart): the MTA
	 * keeps the mail and brings it again. */
	if (cli_open(c)) {
		fprintf(stderr, "%s: bounce: the database cannot take it now; the mail stays with the "
			"MTA for a retry\n", c->prog);
		goto out;
	}
	bounce_raw_key(mail, len, key);
	if (bounce_apply(c->db, &rules, &r, "mail", key[4] ? key : NULL, cli_now(), &res) < 0) {
		fprintf(stderr, "%s: bounce: the database cannot take it now; the mail stays with the "
			"MTA for a retry\n", c->prog);
		goto out;
	}
	say(c, &r, &res, &rules);
	warn_alerts(&res);
	ret = 0;
out:
	free(mail);
	return ret;
}
