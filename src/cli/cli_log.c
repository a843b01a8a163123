/* SPDX-License-Identifier: MIT */
/* log and stats: what was sent to whom, and how it went. */
#include "cli.h"
#include "budbringer/phone.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOG_USAGE \
	"usage: log [--campaign ID] [--status S] [--channel sms|email] [--provider P]\n" \
	"           [--subscriber ID] [--since 1h|2d|2026-11-01] [--limit N] [--follow]"

/* "a•••@example.dk" */
static void mask_email(const char *e, char *out, size_t n)
{
	const char *at = strchr(e, '@');
	if (!at || at == e || bsnprintf(out, n, "%c\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2%s", e[0], at) < 0)
		(void)bsnprintf(out, n, "(hidden)");
}

static int parse_since(const char *s, long long *out)
{
	long long v;
	char unit;
	struct tm tm;

	if (sscanf(s, "%lld%c", &v, &unit) == 2 && v >= 0 && strlen(s) <= 8 &&
	    (unit == 'm' || unit == 'h' || unit == 'd')) {
		*out = cli_now() - v * (unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
		return 0;
	}
	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%d", &tm) && strlen(s) == 10) {
		tm.tm_isdst = -1;
		*out = (long long)mktime(&tm);
		return 0;
	}
	return -1;
}

struct log_out {
	bool json;
	long long last_id;
};

static int print_event(const struct event_row *r, void *arg)
{
	struct log_out *lo = arg;
	char when[32], who[96] = "-";
	time_t t = (time_t)r->at;
	struct tm tm;

	lo->last_id = r->event_id;
	if (r->recipient) {
		if (r->channel && !strcmp(r->channel, "sms"))
			phone_mask(r->recipient, who, sizeof(who));
		else
			mask_email(r->recipient, who, sizeof(who));
	}
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	if (lo->json) {
		json_t *j = json_pack("{s:s, s:I, s:o, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?}",
			"at", when, "message", (json_int_t)r->message_id,
			"campaign", r->campaign_id ? json_integer(r->campaign_id) : json_null(),
			"channel", r->channel, "recipient", who, "state", r->state,
			"provider", r->provider, "provider_id", r->provider_msgid,
			"detail", r->detail, "lang", r->lang);
		char *s = json_dumps(j, JSON_COMPACT);
		if (s)
			puts(s);
		free(s);
		json_decref(j);
	} else {
		char camp[24] = "-";
		if (r->campaign_id && bsnprintf(camp, sizeof(camp), "%lld", r->campaign_id) < 0)
			camp[0] = '\0';
		printf("%s  msg=%-7lld campaign=%-5s %-5s %-22s %-10s %-8s %s%s%s\n", when,
		       r->message_id, camp, r->channel, who, r->state,
		       r->provider ? r->provider : "-", r->provider_msgid ? r->provider_msgid : "",
		       r->detail ? "  " : "", r->detail ? r->detail : "");
	}
	return 0;
}

static volatile sig_atomic_t follow_stop;

static void on_int(int sig)
{
	(void)sig;
	follow_stop = 1;
}

int cli_cmd_log(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "campaign", required_argument, NULL, 'c' }, { "status", required_argument, NULL, 's' },
		{ "channel", required_argument, NULL, 'C' }, { "provider", required_argument, NULL, 'p' },
		{ "subscriber", required_argument, NULL, 'S' }, { "since", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'n' }, { "follow", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct event_filter f = { .limit = 50 };
	struct log_out lo = { .json = c->json };
	bool follow = false;
	long long v;
	int o, ret;

	if ((ret = cli_open(c)))
		return ret;
	setenv("TZ", c->cfg.timezone, 1);
	tzset();
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c':
			if ((f.campaign_id = cli_parse_id(optarg)) < 0)
				return cli_usage(c, "--campaign '%s' is not an id", optarg);
			break;
		case 'S':
			if ((f.subscriber_id = cli_parse_id(optarg)) < 0)
				return cli_usage(c, "--subscriber '%s' is not an id", optarg);
			break;
		case 's':
			if (!message_state_is_valid(optarg))
				return cli_usage(c, "--status '%s' is not one of: %s", optarg, MESSAGE_STATES);
			f.state = optarg;
			break;
		case 'C':
			if (strcmp(optarg, "sms") && strcmp(optarg, "email"))
				return cli_usage(c, "--channel must be sms or email");
			f.channel = optarg;
			break;
		case 'p': f.provider = optarg; break;
		case 'a':
			if (parse_since(optarg, &f.since) < 0)
				return cli_usage(c, "--since '%s' must be like 30m, 1h, 2d or 2026-11-01", optarg);
			break;
		case 'n':
			if (cli_parse_int(optarg, 1, 100000000, &v) < 0)
				return cli_usage(c, "--limit must be a positive number");
			f.limit = (int)v;
			break;
		case 'f': follow = true; break;
		default: return cli_usage(c, LOG_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(c, LOG_USAGE);
	if (db_events_each(c->db, &f, print_event, &lo) < 0)
		return 1;
	if (!follow)
		return 0;
	signal(SIGINT, on_int);
	signal(SIGTERM, on_int);
	f.limit = 0;
	while (!follow_stop) {
		fflush(stdout);
		sleep(1);
		f.after_event = lo.last_id;
		if (db_events_each(c->db, &f, print_event, &lo) < 0)
			return 1;
	}
	return 0;
}

int cli_cmd_stats(struct cli *c, int argc, char **argv)
{
	long long id = 0;
	json_t *counts;
	int ret;

	if (argc == 3 && !strcmp(argv[1], "--campaign")) {
		if ((id = cli_parse_id(argv[2])) < 0)
			return cli_usage(c, "--campaign '%s' is not an id", argv[2]);
	} else if (argc != 1) {
		return cli_usage(c, "usage: stats [--campaign ID]");
	}
	if ((ret = cli_open(c)))
		return ret;
	counts = json_object();
	if (db_message_counts(c->db, id, cli_add_count, counts) < 0) {
		json_decref(counts);
		return 1;
	}
	if (c->json) {
		cli_print_json(counts);
		return 0;
	}
	{
		const char *chan;
		json_t *per;
		json_object_foreach(counts, chan, per) {
			const char *state;
			json_t *n;
			long long total = 0, delivered = 0, sent = 0;
			json_object_foreach(per, state, n) {
				total += json_integer_value(n);
				printf("%-6s %-11s %lld\n", chan, state, (long long)json_integer_value(n));
			}
			delivered = json_integer_value(json_object_get(per, "delivered"));
			sent = json_integer_value(json_object_get(per, "sent"));
			printf("%-6s %-11s %lld (sent or delivered: %lld)\n", chan, "total", total,
			       sent + delivered);
		}
	}
	json_decref(counts);
	return 0;
}
