/* SPDX-License-Identifier: MIT */
/*
 * log and stats: what was sent to whom, and how it went. Recipients are
 * masked unless --unmasked, which is written to the audit log first: who
 * looked, when, and with which filters.
 */
#include "cli.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/db_stats.h"
#include "budbringer/event_query.h"

#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_USAGE \
	"usage: log [--campaign ID] [--status S] [--channel sms|email] [--provider P]\n" \
	"           [--subscriber ID] [--recipient PHONE|EMAIL]\n" \
	"           [--since 30m|1h|2d|2026-11-01] [--until TIME] [--limit N]\n" \
	"           [--follow] [--unmasked] [--json]"

int cli_parse_since(const char *s, long long now, long long *out)
{
	return event_query_parse_time(s, now, out);
}

const char *cli_whoami(void)
{
	const struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_name : "?";
}

struct log_out {
	bool json, unmasked;
	long long last_id;
};

static void format_time(long long at, bool iso, char *buf, size_t n)
{
	time_t t = (time_t)at;
	struct tm tm;
	size_t len;
	localtime_r(&t, &tm);
	len = strftime(buf, n, iso ? "%Y-%m-%dT%H:%M:%S%z" : "%Y-%m-%d %H:%M:%S", &tm);
	if (!len)
		buf[0] = '\0';
	/* RFC 3339 wants "+01:00", strftime gives "+0100". */
	if (iso && len == 24 && len + 2 <= n) {
		memmove(buf + 23, buf + 22, 3);
		buf[22] = ':';
	}
}

/* Spaces after s to fill `width` columns: "•" is three bytes, one column. */
static int pad(const char *s, int width)
{
	int chars = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			chars++;
	return chars < width ? width - chars : 0;
}

static int print_event(const struct event_row *r, void *arg)
{
	struct log_out *lo = arg;
	char when[40], who[96];

	lo->last_id = r->event_id;
	if (lo->unmasked)
		(void)bsnprintf(who, sizeof(who), "%s", r->recipient ? r->recipient : "-");
	else
		recipient_mask(r->channel, r->recipient, who, sizeof(who));
	format_time(r->at, lo->json, when, sizeof(when));
	if (lo->json) {
		json_t *j = json_pack("{s:s, s:I, s:I, s:o, s:o, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}",
			"at", when, "event", (json_int_t)r->event_id, "message", (json_int_t)r->message_id,
			"campaign", r->campaign_id ? json_integer(r->campaign_id) : json_null(),
			"subscriber", r->subscriber_id ? json_integer(r->subscriber_id) : json_null(),
			"channel", r->channel, "recipient", who, "state", r->state,
			"provider", r->provider, "provider_id", r->provider_msgid,
			"error", r->detail, "lang", r->lang);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	} else {
		char camp[24] = "-";
		if (r->campaign_id && bsnprintf(camp, sizeof(camp), "%lld", r->campaign_id) < 0)
			camp[0] = '\0';
		printf("%s  campaign=%-5s %-5s %s%*s %-10s %-8s %-14s %s\n", when, camp, r->channel,
		       who, pad(who, 24), "", r->state, r->provider ? r->provider : "-",
		       r->provider_msgid ? r->provider_msgid : "-", r->detail ? r->detail : "");
	}
	return 0;
}

static volatile sig_atomic_t follow_stop;

static void on_int(int sig)
{
	(void)sig;
	follow_stop = 1;
}

/* Follows like tail -f: new events each second until SIGINT/SIGTERM or a
 * closed pipe. */
static int follow(struct cli *c, struct event_filter *f, struct log_out *lo)
{
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	signal(SIGPIPE, on_int);
	f->limit = 0;
	if (!lo->last_id && (lo->last_id = db_events_max_id(c->db)) < 0)
		return 1;
	while (!follow_stop) {
		if (fflush(stdout) == EOF)
			break;
		sleep(1);
		f->after_event = lo->last_id;
		if (db_events_each(c->db, f, print_event, lo) < 0)
			return 1;
	}
	return 0;
}

static int record_unmasked(struct cli *c, int argc, char **argv)
{
	struct sbuf args = SBUF_INIT;
	int rc;
	for (int i = 1; i < argc; i++)
		sbuf_addf(&args, "%s%s", i > 1 ? " " : "", argv[i]);
	rc = db_audit(c->db, cli_now(), cli_whoami(), "log.unmasked", "log", args.buf);
	sbuf_release(&args);
	return rc;
}

int cli_cmd_log(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' }, { "status", required_argument, NULL, 's' },
		{ "channel", required_argument, NULL, 'C' }, { "provider", required_argument, NULL, 'p' },
		{ "subscriber", required_argument, NULL, 'S' }, { "since", required_argument, NULL, 'a' },
		{ "until", required_argument, NULL, 'b' }, { "recipient", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' }, { "follow", no_argument, NULL, 'f' },
		{ "unmasked", no_argument, NULL, 'u' }, { NULL, 0, NULL, 0 },
	};
	struct event_query q;
	struct log_out lo = { .json = c->json };
	bool want_follow = false;
	long long v;
	int o, ret, idx;
	char why[256];

	if ((ret = cli_open(c)))
		return ret;
	setenv("TZ", c->cfg.timezone, 1);
	tzset();
	event_query_init(&q);
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, &idx)) != -1) {
		switch (o) {
		/* The filters: the same rule as /dashboard/log (event_query.c). */
		case 'c': case 'S': case 's': case 'C': case 'p': case 'a': case 'b': case 'r':
			if (!*optarg)
				return cli_usage(c, "--%s needs a value", opts[idx].name);
			if (event_query_set(&q, opts[idx].name, optarg, c->cfg.default_country,
					    cli_now(), why, sizeof(why)) != 0)
				return cli_usage(c, "--%s %s", opts[idx].name, why);
			break;
		case 'n':
			if (cli_parse_int(optarg, 1, 100000000, &v) < 0)
				return cli_usage(c, "--limit must be a positive number");
			q.f.limit = (int)v;
			break;
		case 'f': want_follow = true; break;
		case 'u': lo.unmasked = true; break;
		default: return cli_usage(c, LOG_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(c, LOG_USAGE);
	/* The access is recorded before anything is shown, or nothing is shown. */
	if (lo.unmasked && record_unmasked(c, argc, argv) < 0)
		return cli_fail(c, "cannot write the audit log; not showing unmasked addresses");
	if (db_events_each(c->db, &q.f, print_event, &lo) < 0)
		return 1;
	return want_follow ? follow(c, &q.f, &lo) : 0;
}
