/* SPDX-License-Identifier: MIT */
/*
 * The short links' and fallback emails' part of `stats` and `report`.
 * Clicks are counted per campaign, channel and language — no click is
 * tied to a person — so click-through is clicks per SMS that went out
 * (sent, delivered or unknown) in the same campaign and language, and an
 * age band only appears as the age range the campaign aimed at.
 */
#include "cli.h"
#include "budbringer/db_fallback.h"
#include "budbringer/db_links.h"

#include <stdio.h>
#include <string.h>

static json_t *ratio(long long a, long long b)
{
	return b ? json_real((double)a / (double)b) : json_null();
}

static void print_ratio(const json_t *r)
{
	if (json_is_real(r))
		printf(" %8.1f%%", 100.0 * json_real_value(r));
	else
		printf(" %9s", "-");
}

static int stats_link(const struct link_row *r, void *arg)
{
	json_t *arr = arg;

	json_array_append_new(arr, json_pack("{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:o}",
		"campaign", (json_int_t)r->campaign_id, "channel", r->channel, "lang", r->lang,
		"code", r->code, "clicks", (json_int_t)r->clicks, "prefetches",
		(json_int_t)r->prefetches, "sent", (json_int_t)r->sent,
		"click_through", ratio(r->clicks, r->sent)));
	return 0;
}

static int stats_fallback(long long campaign_id, const char *state, long long n, void *arg)
{
	json_t *by = arg, *one;
	char id[24];

	if (bsnprintf(id, sizeof(id), "%lld", campaign_id) < 0)
		return 0;
	if (!(one = json_object_get(by, id))) {
		one = json_object();
		json_object_set_new(by, id, one);
	}
	json_object_set_new(one, state, json_integer(n));
	return 0;
}

int cli_stats_links(struct cli *c, long long campaign_id, json_t *out)
{
	json_t *links = json_array(), *fallback = json_object();
	const char *k;
	json_t *v;
	size_t i;

	if (db_link_each(c->db, campaign_id, stats_link, links) < 0 ||
	    db_fallback_each(c->db, campaign_id, stats_fallback, fallback) < 0) {
		json_decref(links);
		json_decref(fallback);
		return -1;
	}
	if (!c->json && json_array_size(links)) {
		printf("\nshort links (clicks per campaign and language, never per person)\n");
		printf("%-10s %-5s %-8s %8s %10s %8s %9s\n", "campaign", "lang", "code", "clicks",
		       "prefetches", "sent", "clicks/sent");
		json_array_foreach(links, i, v) {
			printf("%-10lld %-5s %-8s %8lld %10lld %8lld",
			       (long long)json_integer_value(json_object_get(v, "campaign")),
			       json_string_value(json_object_get(v, "lang")),
			       json_string_value(json_object_get(v, "code")),
			       (long long)json_integer_value(json_object_get(v, "clicks")),
			       (long long)json_integer_value(json_object_get(v, "prefetches")),
			       (long long)json_integer_value(json_object_get(v, "sent")));
			print_ratio(json_object_get(v, "click_through"));
			printf("\n");
		}
		printf("prefetches: HEAD and link previewers (chat apps, mail scanners), not counted as clicks\n");
	}
	if (!c->json && json_object_size(fallback)) {
		printf("\nfallback emails (in place of a failed SMS) by campaign\n");
		json_object_foreach(fallback, k, v) {
			const char *s;
			json_t *n;

			printf("%-10s", k);
			json_object_foreach(v, s, n)
				printf(" %s=%lld", s, (long long)json_integer_value(n));
			printf("\n");
		}
	}
	json_object_set_new(out, "links", links);
	json_object_set_new(out, "fallback_emails_by_campaign", fallback);
	return 0;
}

struct link_report {
	json_t *by_lang, *by_range;
};

static void add_into(json_t *group, const char *key, const struct link_report_row *r)
{
	json_t *o = json_object_get(group, key);

	if (!o) {
		o = json_pack("{s:I, s:I, s:I}", "sent", (json_int_t)0, "clicks", (json_int_t)0,
			      "prefetches", (json_int_t)0);
		json_object_set_new(group, key, o);
	}
	json_integer_set(json_object_get(o, "sent"),
			 json_integer_value(json_object_get(o, "sent")) + r->sent);
	json_integer_set(json_object_get(o, "clicks"),
			 json_integer_value(json_object_get(o, "clicks")) + r->clicks);
	json_integer_set(json_object_get(o, "prefetches"),
			 json_integer_value(json_object_get(o, "prefetches")) + r->prefetches);
}

static int report_link(const struct link_report_row *r, void *arg)
{
	struct link_report *lr = arg;
	char range[24];

	if (r->min_age < 0 && r->max_age < 0)
		(void)bsnprintf(range, sizeof(range), "all ages");
	else if (r->max_age < 0)
		(void)bsnprintf(range, sizeof(range), "%d+", r->min_age);
	else
		(void)bsnprintf(range, sizeof(range), "%d-%d", r->min_age < 0 ? 0 : r->min_age,
				r->max_age);
	add_into(lr->by_lang, r->lang ? r->lang : "-", r);
	add_into(lr->by_range, range, r);
	return 0;
}

static void rates(json_t *group)
{
	const char *k;
	json_t *v;

	json_object_foreach(group, k, v)
		json_object_set_new(v, "click_through",
				    ratio(json_integer_value(json_object_get(v, "clicks")),
					  json_integer_value(json_object_get(v, "sent"))));
}

static void print_group(const char *title, json_t *group)
{
	const char *k;
	json_t *v;

	printf("%s\n%-12s %8s %8s %10s %11s\n", title, "", "SMS sent", "clicks", "prefetches",
	       "clicks/sent");
	json_object_foreach(group, k, v) {
		printf("%-12s %8lld %8lld %10lld", k,
		       (long long)json_integer_value(json_object_get(v, "sent")),
		       (long long)json_integer_value(json_object_get(v, "clicks")),
		       (long long)json_integer_value(json_object_get(v, "prefetches")));
		print_ratio(json_object_get(v, "click_through"));
		printf("\n");
	}
}

int cli_report_links(struct cli *c, long long from, long long to, json_t *out)
{
	struct link_report lr = { json_object(), json_object() };

	if (db_link_report_each(c->db, from, to, report_link, &lr) < 0) {
		json_decref(lr.by_lang);
		json_decref(lr.by_range);
		return -1;
	}
	rates(lr.by_lang);
	rates(lr.by_range);
	if (!out && json_object_size(lr.by_lang)) {
		printf("\nshort links in SMS of campaigns sent in the period (click-through = clicks "
		       "per SMS sent; clicks are not tied to persons)\n");
		print_group("by language", lr.by_lang);
		print_group("by the age range the campaign aimed at (no age of who clicked is known)",
			    lr.by_range);
	}
	if (out)
		json_object_set_new(out, "short_links", json_pack("{s:o, s:o}", "by_lang", lr.by_lang,
								  "by_campaign_age_range", lr.by_range));
	else {
		json_decref(lr.by_lang);
		json_decref(lr.by_range);
	}
	return 0;
}
