/* SPDX-License-Identifier: MIT */
/* campaign create | list | show | approve | cancel | resume-email. */
#include "cli.h"
#include "budbringer/campaign.h"
#include "budbringer/cost.h"
#include "budbringer/db_bounce.h"
#include "budbringer/gsm.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define USAGE \
	"usage: campaign create --opportunity ID [--channels sms,email] [--age 15-25]\n" \
	"         [--lang ar,tr] [--interest CODE …] [--text LANG=TEXT …] [--at TIME]\n" \
	"         [--text-file LANG=FILE …] [--idempotency-key KEY] [--dry-run]\n" \
	"         [--fallback-email | --no-fallback-email]\n" \
	"       campaign list | show ID | approve ID | cancel ID | resume-email ID"

static const char *whoami(void)
{
	const struct passwd *pw = getpwuid(getuid());
	return pw ? pw->pw_name : "?";
}

/* "2026-12-01T18:00" in the configured local time zone, or "+2h". */
static int parse_time(const char *tz, const char *s, long long *out)
{
	struct tm tm;
	const char *end;
	long long v;
	char unit;

	if (s[0] == '+' && sscanf(s + 1, "%lld%c", &v, &unit) == 2 && v > 0 && v < 100000) {
		*out = cli_now() + v * (unit == 'm' ? 60 : unit == 'h' ? 3600 : unit == 'd' ? 86400 : 0);
		return unit == 'm' || unit == 'h' || unit == 'd' ? 0 : -1;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		end = strptime(s, "%Y-%m-%d %H:%M", &tm);
	if (!end || *end)
		return -1;
	tm.tm_isdst = -1;
	setenv("TZ", tz, 1);
	tzset();
	*out = (long long)mktime(&tm);
	return *out == -1 ? -1 : 0;
}

/* Reads a whole text file (at most 8 KiB, valid UTF-8 is checked later). */
static char *read_text_file(struct cli *c, const char *path)
{
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (!f) {
		cli_usage(c, "cannot read '%s'", path);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && sb.len <= 8192)
		sbuf_add(&sb, buf, n);
	fclose(f);
	if (sb.len > 8192) {
		cli_usage(c, "'%s' is longer than 8 KiB", path);
		sbuf_release(&sb);
		return NULL;
	}
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
		sb.buf[--sb.len] = '\0';
	return sbuf_detach(&sb, NULL);
}

static void print_segments(struct cli *c, const struct campaign_request *rq)
{
	struct campaign_dry_run d;
	struct sbuf err = SBUF_INIT;

	if (c->json || campaign_dry_run(c->db, &c->cfg, rq, cli_now(), false, &d, &err) != CAMPAIGN_CREATED) {
		sbuf_release(&err);
		return;
	}
	printf("SMS cost per message:");
	for (size_t i = 0; i < d.rendered.n; i++)
		printf(" %s=%u×%s", d.rendered.v[i].lang, d.rendered.v[i].gsm.segments,
		       gsm_coding_name(d.rendered.v[i].gsm.coding));
	printf(" (segments)\n");
	render_set_release(&d.rendered);
	render_set_release(&d.shortened);
	sbuf_release(&err);
}

/* Per language: SMS parts with the long URL and with the short link. */
static json_t *short_links_json(const struct render_set *longer, const struct render_set *shorter)
{
	json_t *o = json_object();

	for (size_t i = 0; i < longer->n && i < shorter->n; i++)
		json_object_set_new(o, longer->v[i].lang, json_pack("{s:i, s:i, s:i}",
			"sms_segments_long_url", (int)longer->v[i].gsm.segments,
			"sms_segments_short_link", (int)shorter->v[i].gsm.segments,
			"saved", (int)longer->v[i].gsm.segments - (int)shorter->v[i].gsm.segments));
	return o;
}

static void print_short_links(const struct render_set *longer, const struct render_set *shorter)
{
	if (!shorter->n)
		return;
	printf("\nshort links (links.shorten): SMS parts with the long URL -> with the short link\n");
	for (size_t i = 0; i < longer->n && i < shorter->n; i++)
		printf("[%s] %u -> %u (saves %d per message)\n", longer->v[i].lang,
		       longer->v[i].gsm.segments, shorter->v[i].gsm.segments,
		       (int)longer->v[i].gsm.segments - (int)shorter->v[i].gsm.segments);
}

/* "ar: UCS-2 (3 parts instead of 1) because of: ş ğ" — the warning the
 * dry run and the dashboard give, from gsm_ucs2_culprits(). */
static void ucs2_warning(const struct rendered *rd, struct sbuf *out)
{
	struct gsm_info g7;
	struct sbuf culprits = SBUF_INIT;
	int n = gsm_ucs2_culprits(rd->sms, strlen(rd->sms), &culprits, 12);

	/* What the same length would cost in GSM-7, for the comparison. */
	g7.segments = rd->gsm.units <= GSM_SEPTETS_SINGLE ? 1
		      : (unsigned)((rd->gsm.units + GSM_SEPTETS_PART - 1) / GSM_SEPTETS_PART);
	sbuf_addf(out, "%s: UCS-2, %u part%s (about %u in GSM-7) because of: %s%s", rd->lang,
		  rd->gsm.segments, rd->gsm.segments == 1 ? "" : "s", g7.segments, culprits.buf,
		  n > 12 ? " …" : "");
	sbuf_release(&culprits);
}

static int print_dry_run(struct cli *c, const struct campaign_request *rq)
{
	struct campaign_dry_run d;
	struct sbuf err = SBUF_INIT, warn = SBUF_INIT;
	long long tot[CHANNEL_COUNT] = { 0, 0 }, capped = 0, suppressed = 0, cost = 0;
	json_t *j = NULL, *langs = NULL, *warnings = NULL;
	char amount[32];
	const char *cur = c->cfg.sms.currency;
	enum campaign_create_result r = campaign_dry_run(c->db, &c->cfg, rq, cli_now(), true, &d, &err);

	if (r != CAMPAIGN_CREATED) {
		int ret = r == CAMPAIGN_ERROR ? cli_fail(c, "dry run failed") : cli_usage(c, "%s", err.buf);
		sbuf_release(&err);
		return ret;
	}
	/* With links.shorten, the SMS in d.rendered carry the long URL and
	 * those in d.shortened a short link: what goes out is the latter. */
	if (c->json) {
		j = json_object();
		langs = json_object();
		warnings = json_array();
		json_object_set_new(j, "languages", langs);
	} else {
		printf("dry run: nothing is queued\n");
		printf("%-5s %8s %8s %8s %10s  %-14s %12s\n", "lang", "sms", "email", "capped",
		       "suppressed", "SMS segments", "cost");
	}
	for (size_t i = 0; i < d.n_langs; i++) {
		const struct rendered *rd = render_pick(d.shortened.n ? &d.shortened : &d.rendered,
							&c->cfg, d.langs[i].lang);
		long long cap = d.langs[i].capped[0] + d.langs[i].capped[1];
		long long sup = d.langs[i].suppressed[0] + d.langs[i].suppressed[1];
		long long lc = campaign_dry_run_cost(&c->cfg, &d, i);

		tot[0] += d.langs[i].matched[0];
		tot[1] += d.langs[i].matched[1];
		capped += cap;
		suppressed += sup;
		cost += lc;
		(void)cost_format(lc, 2, '.', amount, sizeof(amount));
		if (j) {
			json_object_set_new(langs, d.langs[i].lang, json_pack("{s:I, s:I, s:I, s:I, s:i, s:s, s:I}",
				"sms", (json_int_t)d.langs[i].matched[0], "email", (json_int_t)d.langs[i].matched[1],
				"capped", (json_int_t)cap, "suppressed", (json_int_t)sup,
				"sms_segments", rd ? (int)rd->gsm.segments : 0,
				"coding", rd ? gsm_coding_name(rd->gsm.coding) : "",
				"cost_milli", (json_int_t)lc));
		} else {
			char seg[32];

			(void)bsnprintf(seg, sizeof(seg), "%u (%s)", rd ? rd->gsm.segments : 0,
					rd ? gsm_coding_name(rd->gsm.coding) : "-");
			printf("%-5s %8lld %8lld %8lld %10lld  %-14s %8s %s\n", d.langs[i].lang,
			       d.langs[i].matched[0], d.langs[i].matched[1], cap, sup, seg, amount, cur);
		}
	}
	for (size_t i = 0; i < d.rendered.n; i++) {
		if (d.rendered.v[i].gsm.coding != GSM_CODING_UCS2)
			continue;
		sbuf_reset(&warn);
		ucs2_warning(&d.rendered.v[i], &warn);
		if (j)
			json_array_append_new(warnings, json_string(warn.buf));
	}
	(void)cost_format(cost, 2, '.', amount, sizeof(amount));
	if (j) {
		json_t *samples = json_object();
		for (size_t i = 0; i < d.rendered.n; i++)
			json_object_set_new(samples, d.rendered.v[i].lang, json_pack("{s:s, s:s, s:s}",
				"sms", d.rendered.v[i].sms, "subject", d.rendered.v[i].subject,
				"email", d.rendered.v[i].email));
		json_object_set_new(j, "samples", samples);
		if (d.shortened.n)
			json_object_set_new(j, "short_links", short_links_json(&d.rendered, &d.shortened));
		json_object_set_new(j, "total", json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}",
			"sms", (json_int_t)tot[0], "email", (json_int_t)tot[1], "capped", (json_int_t)capped,
			"suppressed", (json_int_t)suppressed, "cost_milli", (json_int_t)cost,
			"currency", cur));
		json_object_set_new(j, "ucs2_warnings", warnings);
		json_object_set_new(j, "quiet_hours_hold_sms", json_boolean(d.quiet_held[CHANNEL_SMS]));
		cli_print_json(j);
	} else {
		printf("%-5s %8lld %8lld %8lld %10lld  %-14s %8s %s\n", "total", tot[0], tot[1], capped,
		       suppressed, "", amount, cur);
		for (size_t i = 0; i < d.rendered.n; i++) {
			if (d.rendered.v[i].gsm.coding != GSM_CODING_UCS2)
				continue;
			sbuf_reset(&warn);
			ucs2_warning(&d.rendered.v[i], &warn);
			printf("warning: %s\n", warn.buf);
		}
		if (d.quiet_held[CHANNEL_SMS]) {
			char until[32];
			time_t t = (time_t)d.quiet_until;
			struct tm tm;

			localtime_r(&t, &tm);
			if (!strftime(until, sizeof(until), "%Y-%m-%d %H:%M", &tm))
				until[0] = '\0';
			printf("quiet hours: the SMS%s wait until %s\n",
			       d.quiet_held[CHANNEL_EMAIL] ? " and emails" : "", until);
		}
		printf("\nsamples:\n");
		for (size_t i = 0; i < d.rendered.n; i++)
			printf("[%s] SMS: %s\n[%s] email subject: %s\n", d.rendered.v[i].lang,
			       d.shortened.n ? d.shortened.v[i].sms : d.rendered.v[i].sms,
			       d.rendered.v[i].lang, d.rendered.v[i].subject);
		print_short_links(&d.rendered, &d.shortened);
	}
	render_set_release(&d.rendered);
	render_set_release(&d.shortened);
	sbuf_release(&err);
	sbuf_release(&warn);
	return 0;
}

static int cmd_create(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "opportunity", required_argument, NULL, 'o' }, { "channels", required_argument, NULL, 'c' },
		{ "age", required_argument, NULL, 'a' }, { "lang", required_argument, NULL, 'l' },
		{ "interest", required_argument, NULL, 'i' }, { "text", required_argument, NULL, 't' },
		{ "at", required_argument, NULL, 'A' }, { "idempotency-key", required_argument, NULL, 'k' },
		{ "text-file", required_argument, NULL, 'T' }, { "dry-run", no_argument, NULL, 'n' },
		{ "as-association", required_argument, NULL, 'S' },
		{ "fallback-email", no_argument, NULL, 'F' }, { "no-fallback-email", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 },
	};
	char *file_texts[MODEL_MAX_LANGS] = { NULL };
	size_t n_files = 0;
	bool dry = false;
	struct campaign_request rq = { .kind = "staff", .min_age = -1, .max_age = -1,
		.channels = { true, true }, .created_by = whoami() };
	char *langs[MODEL_MAX_LANGS + 1] = { NULL };
	struct sbuf err = SBUF_INIT;
	size_t n_int = 0;
	long long id = 0;
	int o, ret = 2, a, b;
	char tail;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'o':
			if ((rq.opportunity_id = cli_parse_id(optarg)) < 0)
				return cli_usage(c, "--opportunity '%s' is not an id", optarg);
			break;
		case 'c':
			rq.channels[CHANNEL_SMS] = strstr(optarg, "sms") != NULL;
			rq.channels[CHANNEL_EMAIL] = strstr(optarg, "email") != NULL;
			if (strspn(optarg, "smsemail,") != strlen(optarg) ||
			    (!rq.channels[0] && !rq.channels[1]))
				return cli_usage(c, "--channels '%s' must be sms, email or sms,email", optarg);
			break;
		case 'a':
			if (sscanf(optarg, "%d-%d%c", &a, &b, &tail) != 2 || a < 0 || b > 120 || a > b)
				return cli_usage(c, "--age '%s' must be MIN-MAX, e.g. 15-25", optarg);
			rq.min_age = a;
			rq.max_age = b;
			break;
		case 'l':
			model_free_vec(langs);
			model_split_csv(optarg, langs, MODEL_MAX_LANGS);
			for (size_t i = 0; langs[i]; i++)
				rq.langs[i] = langs[i];
			break;
		case 'i':
			if (n_int < MODEL_MAX_INTERESTS)
				rq.interests[n_int++] = optarg;
			break;
		case 't':
			if (strlen(optarg) < 4 || optarg[2] != '=' || rq.n_texts == MODEL_MAX_LANGS)
				return cli_usage(c, "--text '%s' must be LANG=TEXT", optarg);
			optarg[2] = '\0';
			rq.texts[rq.n_texts].lang = optarg;
			rq.texts[rq.n_texts++].body = optarg + 3;
			break;
		case 'A':
			if (parse_time(c->cfg.timezone, optarg, &rq.send_at) < 0)
				return cli_usage(c, "--at '%s' must be YYYY-MM-DDTHH:MM (%s) or +30m/+2h/+1d",
						 optarg, c->cfg.timezone);
			break;
		case 'k': rq.idempotency_key = optarg; break;
		case 'T':
			if (strlen(optarg) < 4 || optarg[2] != '=' || rq.n_texts == MODEL_MAX_LANGS)
				return cli_usage(c, "--text-file '%s' must be LANG=FILE", optarg);
			optarg[2] = '\0';
			if (!(file_texts[n_files] = read_text_file(c, optarg + 3)))
				goto fail;
			rq.texts[rq.n_texts].lang = optarg;
			rq.texts[rq.n_texts++].body = file_texts[n_files++];
			break;
		case 'n': dry = true; break;
		case 'F': rq.fallback_email = CAMPAIGN_FALLBACK_ON; break;
		case 'N': rq.fallback_email = CAMPAIGN_FALLBACK_OFF; break;
		case 'S':
			/* Staff acting for an association: its rules apply (approval, ownership). */
			rq.kind = "association";
			if (!(rq.association_id = db_association_find(c->db, optarg))) {
				ret = cli_usage(c, "no association named '%s'", optarg);
				goto fail;
			}
			break;
		default: goto usage;
		}
	}
	if (optind != argc || rq.opportunity_id <= 0)
		goto usage;
	if (dry) {
		ret = print_dry_run(c, &rq);
		goto fail;
	}
	switch (campaign_create(c->db, &c->cfg, &rq, cli_now(), &id, &err)) {
	case CAMPAIGN_CREATED:
		if (c->json)
			cli_print_json(json_pack("{s:I, s:b}", "id", (json_int_t)id, "duplicate", 0));
		else
			printf("campaign %lld created\n", id);
		print_segments(c, &rq);
		ret = 0;
		break;
	case CAMPAIGN_DUPLICATE:
		if (c->json)
			cli_print_json(json_pack("{s:I, s:b}", "id", (json_int_t)id, "duplicate", 1));
		else
			printf("campaign %lld exists already (same request); nothing new queued\n", id);
		ret = 0;
		break;
	case CAMPAIGN_INVALID:
	case CAMPAIGN_FORBIDDEN:
		ret = cli_usage(c, "%s", err.buf);
		break;
	default:
		ret = cli_fail(c, "cannot create the campaign");
	}
fail:
	model_free_vec(langs);
	for (size_t i = 0; i < n_files; i++)
		free(file_texts[i]);
	sbuf_release(&err);
	return ret;
usage:
	ret = cli_usage(c, USAGE);
	goto fail;
}

static void channels_str(const struct campaign *cp, char *buf, size_t n)
{
	if (bsnprintf(buf, n, "%s%s%s", cp->channels[0] ? "sms" : "",
		      cp->channels[0] && cp->channels[1] ? "," : "", cp->channels[1] ? "email" : "") < 0)
		buf[0] = '\0';
}

static json_t *campaign_json(const struct campaign *cp)
{
	char ch[16];
	json_t *langs = json_array(), *interests = json_array(), *texts = json_object(), *o;
	channels_str(cp, ch, sizeof(ch));
	for (size_t i = 0; cp->langs[i]; i++)
		json_array_append_new(langs, json_string(cp->langs[i]));
	for (size_t i = 0; cp->interests[i]; i++)
		json_array_append_new(interests, json_string(cp->interests[i]));
	for (size_t i = 0; i < cp->n_texts; i++)
		json_object_set_new(texts, cp->texts[i].lang, json_string(cp->texts[i].body));
	o = json_pack("{s:I, s:s, s:I, s:o, s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:I, s:s?, s:I, s:o}",
		"id", (json_int_t)cp->id, "kind", cp->kind, "opportunity_id", (json_int_t)cp->opportunity_id,
		"association_id", cp->association_id ? json_integer(cp->association_id) : json_null(),
		"status", cp->status, "channels", ch,
		"min_age", cp->min_age < 0 ? json_null() : json_integer(cp->min_age),
		"max_age", cp->max_age < 0 ? json_null() : json_integer(cp->max_age),
		"langs", langs, "interests", interests, "send_at", (json_int_t)cp->send_at,
		"valid_until", (json_int_t)cp->valid_until, "created_by", cp->created_by,
		"created_at", (json_int_t)cp->created_at, "texts", texts);
	/* null: campaigns.fallback_email decides */
	json_object_set_new(o, "fallback_email", cp->fallback_email == CAMPAIGN_FALLBACK_DEFAULT ?
			    json_null() : json_boolean(cp->fallback_email == CAMPAIGN_FALLBACK_ON));
	return o;
}

static int print_campaign(const struct campaign *cp, void *arg)
{
	json_t *arr = arg;
	char ch[16], when[32];
	time_t t = (time_t)cp->send_at;
	struct tm tm;

	if (arr) {
		json_array_append_new(arr, campaign_json(cp));
		return 0;
	}
	channels_str(cp, ch, sizeof(ch));
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
	printf("%-5lld %-11s %-17s opp=%-5lld %-10s %s\n", cp->id, cp->kind, cp->status,
	       cp->opportunity_id, ch, when);
	return 0;
}

static int cmd_show(struct cli *c, long long id)
{
	struct campaign cp;
	json_t *j, *counts = json_object();
	int rc = db_campaign_get(c->db, id, &cp);

	if (rc) {
		json_decref(counts);
		return rc < 0 ? 1 : cli_fail(c, "no campaign %lld", id);
	}
	if (db_message_counts(c->db, id, cli_add_count, counts) < 0) {
		json_decref(counts);
		campaign_release(&cp);
		return 1;
	}
	if (c->json) {
		j = campaign_json(&cp);
		json_object_set_new(j, "counts", counts);
		cli_print_json(j);
	} else {
		const char *chan;
		json_t *per;
		print_campaign(&cp, NULL);
		json_object_foreach(counts, chan, per) {
			const char *state;
			json_t *n;
			printf("  %-6s", chan);
			json_object_foreach(per, state, n)
				printf(" %s=%lld", state, (long long)json_integer_value(n));
			printf("\n");
		}
		for (size_t i = 0; i < cp.n_texts; i++)
			printf("  text[%s]: %s\n", cp.texts[i].lang, cp.texts[i].body);
		json_decref(counts);
	}
	campaign_release(&cp);
	return 0;
}

int cli_cmd_campaign(struct cli *c, int argc, char **argv)
{
	int ret;
	long long id;

	if (argc < 2)
		return cli_usage(c, USAGE);
	if ((ret = cli_open(c)))
		return ret;
	if (!strcmp(argv[1], "create"))
		return cmd_create(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") && argc == 2) {
		json_t *arr = c->json ? json_array() : NULL;
		setenv("TZ", c->cfg.timezone, 1);
		tzset();
		if (db_campaign_each(c->db, print_campaign, arr) < 0)
			return 1;
		if (arr)
			cli_print_json(arr);
		return 0;
	}
	if (argc != 3 || (id = cli_parse_id(argv[2])) < 0)
		return cli_usage(c, USAGE);
	if (!strcmp(argv[1], "show"))
		return cmd_show(c, id);
	if (!strcmp(argv[1], "approve")) {
		ret = campaign_approve(c->db, id, whoami(), cli_now());
		if (ret < 0)
			return 1;
		if (ret)
			return cli_fail(c, "campaign %lld is not waiting for approval", id);
		printf("campaign %lld approved\n", id);
		return 0;
	}
	if (!strcmp(argv[1], "cancel")) {
		ret = campaign_cancel(c->db, id, cli_now());
		if (ret < 0)
			return 1;
		if (ret)
			return cli_fail(c, "campaign %lld does not exist or is already finished", id);
		printf("campaign %lld cancelled\n", id);
		return 0;
	}
	if (!strcmp(argv[1], "resume-email")) {
		int requeued = 0;

		ret = db_bounce_resume_campaign(c->db, id, whoami(), cli_now(), &requeued);
		if (ret < 0)
			return 1;
		if (ret)
			return cli_fail(c, "campaign %lld's email is not paused", id);
		printf("campaign %lld: email resumed by %s, %d message%s queued again; "
		       "recorded in the audit log\n", id, whoami(), requeued, requeued == 1 ? "" : "s");
		return 0;
	}
	return cli_usage(c, USAGE);
}
