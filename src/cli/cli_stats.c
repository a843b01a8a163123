/* SPDX-License-Identifier: MIT */
/*
 * stats: message figures overall, per campaign, per channel and language.
 * The database groups messages by (campaign, channel, language, state,
 * reason); this file adds the groups up into JSON objects, which are the
 * --json output and what the table is printed from — one arithmetic for
 * both.
 *
 * delivery_rate = delivered / (sent + delivered + bounced + failed +
 * unknown): of the messages handed to a provider, the share with a
 * delivery report. accepted_rate counts sent as well (email has no
 * delivery reports). Bounces and complaints per campaign come from the
 * bounces table (db_bounce.h): hard_bounce_rate = bounced / (sent +
 * delivered + bounced) of the campaign's email, complaint_rate the same
 * for complaints. The same per local day and per email provider
 * (mail_provider.h) for the last --days days (default 30).
 */
#include "cli.h"
#include "budbringer/bounce_apply.h"
#include "budbringer/cost.h"
#include "budbringer/db_bounce.h"
#include "budbringer/db_stats.h"

#include <stdio.h>
#include <string.h>

static const char *const states[] = { "queued", "sending", "sent", "delivered", "bounced", "failed",
	"expired", "unknown", "suppressed", "cancelled", NULL };

static void add_int(json_t *o, const char *key, long long n)
{
	json_t *v = json_object_get(o, key);
	if (v)
		json_integer_set(v, json_integer_value(v) + n);
	else
		json_object_set_new(o, key, json_integer(n));
}

static long long get_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

static json_t *new_figures(void)
{
	json_t *o = json_object();
	json_object_set_new(o, "total", json_integer(0));
	for (size_t i = 0; states[i]; i++)
		json_object_set_new(o, states[i], json_integer(0));
	json_object_set_new(o, "sms_segments", json_integer(0));
	json_object_set_new(o, "cost_milli", json_integer(0));
	return o;
}

static json_t *child(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!o) {
		o = new_figures();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static json_t *child_obj(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);
	if (!o) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static void count_into(json_t *fig, const struct stats_row *r)
{
	add_int(fig, "total", r->n);
	add_int(fig, r->state, r->n);
	if (r->reason) {
		char key[40];
		if (bsnprintf(key, sizeof(key), "%s_by_reason", r->state) == 0)
			add_int(child_obj(fig, key), r->reason, r->n);
	}
	/* Segments are billed once a message reaches the provider. */
	if (!strcmp(r->channel, "sms") && strcmp(r->state, "queued") && strcmp(r->state, "expired") &&
	    strcmp(r->state, "suppressed") && strcmp(r->state, "cancelled"))
		add_int(fig, "sms_segments", r->segments);
	add_int(fig, "cost_milli", r->cost_milli);
}

struct stats_acc {
	json_t *overall, *by_channel, *by_lang, *campaigns;
};

static int collect(const struct stats_row *r, void *arg)
{
	struct stats_acc *a = arg;
	char id[24];

	count_into(a->overall, r);
	count_into(child(a->by_channel, r->channel), r);
	count_into(child(a->by_lang, r->lang ? r->lang : "-"), r);
	if (a->campaigns && bsnprintf(id, sizeof(id), "%lld", r->campaign_id) == 0)
		count_into(child(a->campaigns, id), r);
	return 0;
}

static void add_rates(json_t *fig)
{
	long long out = get_int(fig, "sent") + get_int(fig, "delivered") + get_int(fig, "bounced") +
			get_int(fig, "failed") + get_int(fig, "unknown");
	json_object_set_new(fig, "delivery_rate",
			    out ? json_real((double)get_int(fig, "delivered") / (double)out) : json_null());
	json_object_set_new(fig, "accepted_rate",
			    out ? json_real((double)(get_int(fig, "sent") + get_int(fig, "delivered")) /
					    (double)out) : json_null());
}

static void rates_all(json_t *group)
{
	const char *k;
	json_t *v;
	json_object_foreach(group, k, v)
		add_rates(v);
}

static void print_rate(const json_t *fig)
{
	const json_t *r = json_object_get(fig, "delivery_rate");
	if (json_is_real(r))
		printf(" %6.1f%%", 100.0 * json_real_value(r));
	else
		printf(" %7s", "-");
}

static void print_row(const char *label, const json_t *fig)
{
	printf("%-10s %8lld %7lld %7lld %9lld %7lld %7lld %8lld %10lld %9lld", label,
	       get_int(fig, "total"), get_int(fig, "queued") + get_int(fig, "sending"),
	       get_int(fig, "sent"), get_int(fig, "delivered"), get_int(fig, "bounced"),
	       get_int(fig, "failed"),
	       get_int(fig, "unknown") + get_int(fig, "expired"), get_int(fig, "suppressed"),
	       get_int(fig, "cancelled"));
	char cost[32];

	print_rate(fig);
	(void)cost_format(get_int(fig, "cost_milli"), 2, '.', cost, sizeof(cost));
	printf(" %9lld %10s\n", get_int(fig, "sms_segments"), cost);
}

static void print_header(const char *first, const char *currency)
{
	char cost[16];

	(void)bsnprintf(cost, sizeof(cost), "cost %s", currency);
	printf("%-10s %8s %7s %7s %9s %7s %7s %8s %10s %9s %7s %9s %10s\n", first, "total", "queued",
	       "sent", "delivered", "bounced", "failed", "unknown*", "suppressed", "cancelled", "rate",
	       "segments", cost);
}

static void print_reasons(json_t *fig, const char *state)
{
	char key[40];
	json_t *r;
	const char *k;
	json_t *v;
	if (bsnprintf(key, sizeof(key), "%s_by_reason", state) < 0 ||
	    !(r = json_object_get(fig, key)) || !json_object_size(r))
		return;
	printf("  %-10s", state);
	json_object_foreach(r, k, v)
		printf(" %s=%lld", k, (long long)json_integer_value(v));
	printf("\n");
}

/* Per campaign: its email out and what came back (db_bounce.h). */
static int collect_bounces(const struct bounce_campaign_row *r, void *arg)
{
	json_t *by = arg;
	char id[24];
	double out = r->r.out > 0 ? (double)r->r.out : 1.0;

	if (bsnprintf(id, sizeof(id), "%lld", r->campaign_id) < 0)
		return 0;
	json_object_set_new(by, id, json_pack("{s:I, s:I, s:I, s:I, s:o, s:o, s:b, s:b, s:b}",
		"email_out", (json_int_t)r->r.out, "hard_bounces", (json_int_t)r->r.bounced,
		"soft_bounces", (json_int_t)r->r.soft, "complaints", (json_int_t)r->r.complaints,
		"hard_bounce_rate", r->r.out ? json_real((double)r->r.bounced / out) : json_null(),
		"complaint_rate", r->r.out ? json_real((double)r->r.complaints / out) : json_null(),
		"hard_bounce_alert", r->alerted_hard, "complaint_alert", r->alerted_complaint,
		"email_paused", r->paused));
	return 0;
}

static void print_pct(const json_t *r)
{
	if (json_is_real(r))
		printf(" %8.2f%%", 100.0 * json_real_value(r));
	else
		printf(" %9s", "-");
}

static void print_bounces(json_t *by)
{
	const char *k;
	json_t *v;

	if (!json_object_size(by))
		return;
	printf("\nbounces and complaints by campaign (email)\n");
	printf("%-10s %9s %8s %8s %10s %9s %9s  %s\n", "campaign", "email out", "hard", "soft",
	       "complaints", "hard %", "compl. %", "alert");
	json_object_foreach(by, k, v) {
		const json_t *hr = json_object_get(v, "hard_bounce_rate");
		const json_t *cr = json_object_get(v, "complaint_rate");
		bool ah = json_is_true(json_object_get(v, "hard_bounce_alert"));
		bool ac = json_is_true(json_object_get(v, "complaint_alert"));

		printf("%-10s %9lld %8lld %8lld %10lld", k, get_int(v, "email_out"),
		       get_int(v, "hard_bounces"), get_int(v, "soft_bounces"), get_int(v, "complaints"));
		print_pct(hr);
		print_pct(cr);
		printf("  %s%s%s\n", ah ? "hard bounces" : "", ah && ac ? ", " : "", ac ? "complaints" : "");
		if (json_is_true(json_object_get(v, "email_paused")))
			printf("%-10s email paused (bounces.pause_at_threshold)\n", "");
	}
	printf("alert: past %.0f %% hard bounces or %.1f %% complaints of the email out, "
	       "once at least bounces.alert_min emails are out\n", BOUNCE_HARD_RATE_PCT,
	       BOUNCE_COMPLAINT_RATE_PCT);
}

/* A day's or a provider's email out and what came back, as a JSON row. */
static int collect_group(const struct bounce_group_row *r, void *arg)
{
	double out = r->r.out > 0 ? (double)r->r.out : 1.0;

	json_array_append_new(arg, json_pack("{s:s, s:I, s:I, s:I, s:I, s:o, s:o}",
		"key", r->key, "email_out", (json_int_t)r->r.out,
		"hard_bounces", (json_int_t)r->r.bounced, "soft_bounces", (json_int_t)r->r.soft,
		"complaints", (json_int_t)r->r.complaints,
		"hard_bounce_rate", r->r.out ? json_real((double)r->r.bounced / out) : json_null(),
		"complaint_rate", r->r.out ? json_real((double)r->r.complaints / out) : json_null()));
	return 0;
}

static void print_reputation(const char *title, const char *first, json_t *rows)
{
	size_t i;
	json_t *v;

	if (!json_array_size(rows))
		return;
	printf("\n%s\n", title);
	printf("%-22s %9s %8s %8s %10s %9s %9s\n", first, "email out", "hard", "soft", "complaints",
	       "hard %", "compl. %");
	json_array_foreach(rows, i, v) {
		const json_t *hr = json_object_get(v, "hard_bounce_rate");
		const json_t *cr = json_object_get(v, "complaint_rate");
		bool warn = (json_is_real(hr) && 100.0 * json_real_value(hr) > BOUNCE_HARD_RATE_PCT) ||
			    (json_is_real(cr) && 100.0 * json_real_value(cr) > BOUNCE_COMPLAINT_RATE_PCT);

		printf("%-22.22s %9lld %8lld %8lld %10lld",
		       json_string_value(json_object_get(v, "key")), get_int(v, "email_out"),
		       get_int(v, "hard_bounces"), get_int(v, "soft_bounces"), get_int(v, "complaints"));
		print_pct(hr);
		print_pct(cr);
		printf("%s\n", warn ? "  past a threshold" : "");
	}
}

static void print_group(const char *title, const char *first, json_t *group, const char *cur)
{
	const char *k;
	json_t *v;
	if (!json_object_size(group))
		return;
	printf("\n%s\n", title);
	print_header(first, cur);
	json_object_foreach(group, k, v)
		print_row(k, v);
}

static void print_table(json_t *overall, json_t *by_channel, json_t *by_lang, json_t *campaigns,
			const char *cur)
{
	print_header("", cur);
	print_row("all", overall);
	print_reasons(overall, "bounced");
	print_reasons(overall, "failed");
	print_reasons(overall, "suppressed");
	print_reasons(overall, "cancelled");
	print_reasons(overall, "expired");
	print_reasons(overall, "unknown");
	print_group("by channel", "channel", by_channel, cur);
	print_group("by language", "language", by_lang, cur);
	if (campaigns)
		print_group("by campaign (0 = replies and confirmations)", "campaign", campaigns, cur);
	printf("\nrate = delivered / (sent + delivered + bounced + failed + unknown); "
	       "unknown* = unknown + expired\n");
}

static int collect_cost(const char *association, long long messages, long long cost_milli,
			void *arg)
{
	json_array_append_new(arg, json_pack("{s:s, s:I, s:I}", "association",
					     *association ? association : "(replies and confirmations)",
					     "sms", (json_int_t)messages, "cost_milli",
					     (json_int_t)cost_milli));
	return 0;
}

static void print_costs(json_t *costs, const char *cur)
{
	size_t i;
	json_t *v;

	if (!json_array_size(costs))
		return;
	printf("\nSMS cost by association (%s)\n", cur);
	json_array_foreach(costs, i, v) {
		char amount[32];

		(void)cost_format(get_int(v, "cost_milli"), 2, '.', amount, sizeof(amount));
		printf("%-40.40s %8lld %12s\n", json_string_value(json_object_get(v, "association")),
		       get_int(v, "sms"), amount);
	}
}

int cli_cmd_stats(struct cli *c, int argc, char **argv)
{
	struct stats_acc a;
	long long id = 0, days = 30, since;
	json_t *out, *bounces, *costs, *by_day, *by_provider;
	char title[96];
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--campaign") && i + 1 < argc) {
			if ((id = cli_parse_id(argv[++i])) < 0)
				return cli_usage(c, "--campaign '%s' is not an id", argv[i]);
		} else if (!strcmp(argv[i], "--days") && i + 1 < argc) {
			if ((days = cli_parse_id(argv[++i])) < 1 || days > 3660)
				return cli_usage(c, "--days '%s' is not a number of days (1-3660)", argv[i]);
		} else {
			return cli_usage(c, "usage: stats [--campaign ID] [--days N] [--json]");
		}
	}
	if ((ret = cli_open(c)))
		return ret;
	since = cli_now() - days * 86400;
	by_day = json_array();
	by_provider = json_array();
	if (db_bounce_by_day(c->db, id, since, collect_group, by_day) < 0 ||
	    db_bounce_by_provider(c->db, id, since, 15, collect_group, by_provider) < 0) {
		json_decref(by_day);
		json_decref(by_provider);
		return 1;
	}
	a.overall = new_figures();
	a.by_channel = json_object();
	a.by_lang = json_object();
	a.campaigns = id ? NULL : json_object();
	bounces = json_object();
	costs = json_array();
	if (db_stats_each(c->db, id, collect, &a) < 0 ||
	    db_bounce_campaigns_each(c->db, id, collect_bounces, bounces) < 0 ||
	    (!id && db_cost_by_association(c->db, 0, 0, collect_cost, costs) < 0)) {
		json_decref(costs);
		json_decref(bounces);
		json_decref(by_day);
		json_decref(by_provider);
		json_decref(a.overall);
		json_decref(a.by_channel);
		json_decref(a.by_lang);
		json_decref(a.campaigns);
		return 1;
	}
	add_rates(a.overall);
	rates_all(a.by_channel);
	rates_all(a.by_lang);
	if (a.campaigns)
		rates_all(a.campaigns);
	if (!c->json) {
		print_table(a.overall, a.by_channel, a.by_lang, a.campaigns, c->cfg.sms.currency);
		print_costs(costs, c->cfg.sms.currency);
		print_bounces(bounces);
		(void)bsnprintf(title, sizeof(title), "email reputation by day (last %lld days, by the "
				"day the email was made)", days);
		print_reputation(title, "day", by_day);
		(void)bsnprintf(title, sizeof(title), "email reputation by provider (last %lld days)", days);
		print_reputation(title, "provider", by_provider);
	}
	out = json_pack("{s:o, s:o, s:o}", "overall", a.overall, "by_channel", a.by_channel,
			"by_lang", a.by_lang);
	json_object_set_new(out, "bounces_by_campaign", bounces);
	json_object_set_new(out, "bounces_by_day", by_day);
	json_object_set_new(out, "bounces_by_provider", by_provider);
	json_object_set_new(out, "days", json_integer(days));
	json_object_set_new(out, "currency", json_string(c->cfg.sms.currency));
	if (id)
		json_decref(costs);
	else
		json_object_set_new(out, "cost_by_association", costs);
	if (cli_stats_links(c, id, out) < 0) {
		json_decref(out);
		json_decref(a.campaigns);
		return 1;
	}
	if (id)
		json_object_set_new(out, "campaign", json_integer(id));
	else
		json_object_set_new(out, "campaigns", a.campaigns);
	if (c->json)
		cli_print_json(out);
	else
		json_decref(out);
	return 0;
}
