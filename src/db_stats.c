/* SPDX-License-Identifier: MIT */
/* SQL for figures: /metrics, `budbringer stats` and the evaluation report. */
#include "budbringer/db.h"
#include "budbringer/db_fallback.h"
#include "budbringer/db_bounce.h"
#include "budbringer/db_stats.h"
#include "budbringer/log.h"
#include "db_dialect.h"

#include <limits.h>
#include <string.h>
#include <time.h>

static int metric_outcome(const char *kind, const char *outcome, long long n, void *arg)
{
	sbuf_addf(arg, "budbringer_bounces_total{kind=\"%s\",outcome=\"%s\"} %lld\n", kind, outcome, n);
	return 0;
}

static int metric_campaign(const struct bounce_campaign_row *r, void *arg)
{
	struct sbuf *out = arg;
	double out_n = r->r.out > 0 ? (double)r->r.out : 1.0;

	sbuf_addf(out, "budbringer_campaign_email_out{campaign=\"%lld\"} %lld\n"
		  "budbringer_campaign_hard_bounces{campaign=\"%lld\"} %lld\n"
		  "budbringer_campaign_complaints{campaign=\"%lld\"} %lld\n"
		  "budbringer_campaign_hard_bounce_rate{campaign=\"%lld\"} %.6f\n"
		  "budbringer_campaign_complaint_rate{campaign=\"%lld\"} %.6f\n",
		  r->campaign_id, r->r.out, r->campaign_id, r->r.bounced, r->campaign_id,
		  r->r.complaints, r->campaign_id, r->r.out ? (double)r->r.bounced / out_n : 0.0,
		  r->campaign_id, r->r.out ? (double)r->r.complaints / out_n : 0.0);
	return 0;
}

/* A label value as Prometheus reads it: \ " and newlines escaped. */
static void label_value(struct sbuf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			sbuf_addch(out, '\\');
		if (*v == '\n')
			sbuf_addstr(out, "\\n");
		else
			sbuf_addch(out, *v);
	}
}

struct reputation_metric {
	struct sbuf *out;
	const char *label;   /* provider or day */
};

static int metric_reputation(const struct bounce_group_row *r, void *arg)
{
	const struct reputation_metric *m = arg;
	static const char *const names[] = { "out", "hard_bounces", "complaints",
		"hard_bounce_rate", "complaint_rate" };
	double out_n = r->r.out > 0 ? (double)r->r.out : 1.0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sbuf_addf(m->out, "budbringer_email_%s_by_%s{%s=\"", names[i], m->label, m->label);
		label_value(m->out, r->key);
		if (i == 0)
			sbuf_addf(m->out, "\"} %lld\n", r->r.out);
		else if (i == 1)
			sbuf_addf(m->out, "\"} %lld\n", r->r.bounced);
		else if (i == 2)
			sbuf_addf(m->out, "\"} %lld\n", r->r.complaints);
		else
			sbuf_addf(m->out, "\"} %.6f\n", r->r.out ? (double)(i == 3 ? r->r.bounced
									 : r->r.complaints) / out_n : 0.0);
	}
	return 0;
}

/* Per email provider over 30 days and per local day over 7: what the big
 * receivers judge the sender by. */
static int reputation_metrics(struct db *db, struct sbuf *out)
{
	struct reputation_metric by_provider = { out, "provider" }, by_day = { out, "day" };
	long long now = (long long)time(NULL);

	sbuf_addstr(out, "# HELP budbringer_email_out_by_provider Email made in the last 30 days"
		      " that went out (sent, delivered or bounced), by the recipient's provider;"
		      " hard bounces, complaints and their rates the same.\n"
		      "# TYPE budbringer_email_out_by_provider gauge\n"
		      "# TYPE budbringer_email_hard_bounces_by_provider gauge\n"
		      "# TYPE budbringer_email_complaints_by_provider gauge\n"
		      "# TYPE budbringer_email_hard_bounce_rate_by_provider gauge\n"
		      "# TYPE budbringer_email_complaint_rate_by_provider gauge\n");
	if (db_bounce_by_provider(db, 0, now - 30 * 86400LL, 15, metric_reputation, &by_provider) < 0)
		return -1;
	sbuf_addstr(out, "# HELP budbringer_email_out_by_day Email out per local day it was made"
		      " (the last 7 days); hard bounces, complaints and their rates the same.\n"
		      "# TYPE budbringer_email_out_by_day gauge\n"
		      "# TYPE budbringer_email_hard_bounces_by_day gauge\n"
		      "# TYPE budbringer_email_complaints_by_day gauge\n"
		      "# TYPE budbringer_email_hard_bounce_rate_by_day gauge\n"
		      "# TYPE budbringer_email_complaint_rate_by_day gauge\n");
	return db_bounce_by_day(db, 0, now - 7 * 86400LL, metric_reputation, &by_day);
}

/* Bounces and complaints: every report read by outcome, and the rates of
 * each campaign that had any (hard bounces and complaints per email out). */
static int bounce_metrics(struct db *db, struct sbuf *out)
{
	sbuf_addstr(out, "# HELP budbringer_bounces_total Bounces and complaints read, by kind and outcome.\n"
		      "# TYPE budbringer_bounces_total counter\n");
	if (db_bounce_outcomes_each(db, metric_outcome, out) < 0)
		return -1;
	sbuf_addstr(out, "# HELP budbringer_campaign_hard_bounce_rate Hard bounces per email out"
		      " (sent, delivered or bounced) of a campaign.\n"
		      "# TYPE budbringer_campaign_email_out gauge\n"
		      "# TYPE budbringer_campaign_hard_bounces gauge\n"
		      "# TYPE budbringer_campaign_complaints gauge\n"
		      "# TYPE budbringer_campaign_hard_bounce_rate gauge\n"
		      "# HELP budbringer_campaign_complaint_rate Complaints per email out of a campaign.\n"
		      "# TYPE budbringer_campaign_complaint_rate gauge\n");
	if (db_bounce_campaigns_each(db, 0, metric_campaign, out) < 0)
		return -1;
	return reputation_metrics(db, out);
}

int db_metrics(struct db *db, struct sbuf *out)
{
	static const char by_state[] =
		"SELECT channel, state, count(*) FROM messages GROUP BY channel, state";
	static const char due[] =
		"SELECT count(*), coalesce(min(not_before), 0) FROM messages WHERE state = 'queued'";
	static const char inbound[] =
		"SELECT coalesce(intent, 'none'), count(*) FROM inbound GROUP BY intent";
	/* A provider's answers that were not a success: deferrals (back to
	 * queued with the provider named) and final failures. */
	static const char provider_errors[] =
		"SELECT provider, state, count(*) FROM message_events"
		" WHERE state IN ('queued', 'failed') AND provider IS NOT NULL"
		" AND coalesce(detail, '') <> 'provider busy' GROUP BY provider, state";
	struct db_stmt *st = db_prepare(db, by_state);

	if (!st)
		return -1;
	sbuf_addstr(out, "# HELP budbringer_messages Messages by channel and state.\n"
		      "# TYPE budbringer_messages gauge\n");
	while (db_step(st) == DB_ROW)
		sbuf_addf(out, "budbringer_messages{channel=\"%s\",state=\"%s\"} %lld\n",
			    db_column_text(st, 0), db_column_text(st, 1),
			    (long long)db_column_int64(st, 2));
	db_reset(st);
	if (!(st = db_prepare(db, due)))
		return -1;
	if (db_step(st) == DB_ROW)
		sbuf_addf(out, "# TYPE budbringer_queue_depth gauge\nbudbringer_queue_depth %lld\n",
			    (long long)db_column_int64(st, 0));
	db_reset(st);
	if (!(st = db_prepare(db, inbound)))
		return -1;
	sbuf_addstr(out, "# HELP budbringer_inbound Inbound SMS by keyword intent.\n"
		      "# TYPE budbringer_inbound gauge\n");
	while (db_step(st) == DB_ROW)
		sbuf_addf(out, "budbringer_inbound{intent=\"%s\"} %lld\n",
			    db_column_text(st, 0), (long long)db_column_int64(st, 1));
	db_reset(st);
	if (!(st = db_prepare(db, provider_errors)))
		return -1;
	sbuf_addstr(out, "# HELP budbringer_provider_errors Provider answers that were not a success.\n"
		      "# TYPE budbringer_provider_errors counter\n");
	while (db_step(st) == DB_ROW)
		sbuf_addf(out, "budbringer_provider_errors{provider=\"%s\",kind=\"%s\"} %lld\n",
			    db_column_text(st, 0),
			    strcmp(db_column_text(st, 1), "failed") ? "temporary"
										 : "permanent",
			    (long long)db_column_int64(st, 2));
	db_reset(st);
	if (bounce_metrics(db, out) < 0)
		return -1;
	return db_fallback_link_metrics(db, out);
}

/*
 * The delivery log at millions of events: one statement per driving
 * filter, so SQLite can walk an index newest first and stop after
 * `limit` rows instead of sorting everything that matches. The other
 * filters are bound as NULL-able parameters in every statement.
 */
#define EVENT_COLUMNS \
	"SELECT e.id, e.message_id, m.campaign_id, m.subscriber_id, e.at, m.channel, m.recipient," \
	" e.state, coalesce(e.provider, m.provider), coalesce(e.provider_msgid, m.provider_msgid)," \
	" e.detail, m.lang FROM message_events e JOIN messages m ON m.id = e.message_id"
#define EVENT_FILTERS \
	" AND (?1 = 0 OR m.campaign_id = ?1) AND (?2 = 0 OR m.subscriber_id = ?2)" \
	" AND (CAST(?3 AS TEXT) IS NULL OR e.state = ?3) AND (CAST(?4 AS TEXT) IS NULL OR m.channel = ?4)" \
	" AND (CAST(?5 AS TEXT) IS NULL OR coalesce(e.provider, m.provider) = ?5)" \
	" AND (CAST(?9 AS TEXT) IS NULL OR m.recipient = ?9)" \
	" AND e.at >= ?6 AND e.at < ?10 AND e.id >= ?7 AND e.id < ?11"
#define EVENT_ORDER " ORDER BY e.id DESC LIMIT ?8) AS newest ORDER BY 1"

/*
 * The lowest event id --since can concern. `at` follows `id` except for a
 * few seconds of jitter between writers, so the first event (by time) a
 * minute before `since` bounds the id range safely; the exact `e.at >=`
 * test still decides.
 */
static long long since_first_id(struct db *db, long long since)
{
	static const char sql[] =
		"SELECT id FROM message_events WHERE at >= ?1 - 60 ORDER BY at LIMIT 1";
	struct db_stmt *st;
	long long id = 0;

	if (since <= 0 || !(st = db_prepare(db, sql)))
		return 0;
	db_bind_int64(st, 1, since);
	id = db_step(st) == DB_ROW ? db_column_int64(st, 0) : (1LL << 62);
	db_reset(st);
	return id;
}

/*
 * The id above every event --until can concern (LLONG_MAX: no bound), by
 * the same reasoning: the first event a minute after `until` and all
 * later ones are too new, whatever the jitter.
 */
static long long until_end_id(struct db *db, long long until)
{
	static const char sql[] =
		"SELECT id FROM message_events WHERE at >= ?1 + 60 ORDER BY at LIMIT 1";
	struct db_stmt *st;
	long long id = LLONG_MAX;

	if (until <= 0 || !(st = db_prepare(db, sql)))
		return LLONG_MAX;
	db_bind_int64(st, 1, until);
	if (db_step(st) == DB_ROW)
		id = db_column_int64(st, 0);
	db_reset(st);
	return id;
}

/* Campaigns above this many messages are read newest-first like the
 * unfiltered log: their events are dense among the recent ones, and
 * sorting all of them would cost more than skipping the others. */
#define BIG_CAMPAIGN 200000

static bool campaign_is_big(struct db *db, long long campaign_id)
{
	static const char sql[] =
		"SELECT count(*) FROM (SELECT 1 FROM messages WHERE campaign_id = ?1 LIMIT ?2) AS first";
	struct db_stmt *st = db_prepare(db, sql);
	bool big = false;

	if (!st)
		return false;
	db_bind_int64(st, 1, campaign_id);
	db_bind_int(st, 2, BIG_CAMPAIGN);
	if (db_step(st) == DB_ROW)
		big = db_column_int(st, 0) >= BIG_CAMPAIGN;
	db_reset(st);
	return big;
}

int db_events_each(struct db *db, const struct event_filter *f,
		   int (*cb)(const struct event_row *, void *), void *arg)
{
	static const char by_subscriber[] = "SELECT * FROM (" EVENT_COLUMNS
		" WHERE m.subscriber_id = ?2" EVENT_FILTERS EVENT_ORDER;
	static const char by_campaign[] = "SELECT * FROM (" EVENT_COLUMNS
		" WHERE m.campaign_id = ?1" EVENT_FILTERS EVENT_ORDER;
	static const char by_state[] = "SELECT * FROM (" EVENT_COLUMNS
		" WHERE e.state = ?3" EVENT_FILTERS EVENT_ORDER;
	static const char by_recipient[] = "SELECT * FROM (" EVENT_COLUMNS
		" WHERE m.recipient = ?9" EVENT_FILTERS EVENT_ORDER;
	static const char newest[] = "SELECT * FROM (" EVENT_COLUMNS
		" WHERE 1 = 1" EVENT_FILTERS EVENT_ORDER;
	const char *sql = f->subscriber_id ? by_subscriber : f->recipient ? by_recipient :
			  f->campaign_id && (f->limit <= 0 || !campaign_is_big(db, f->campaign_id))
			  ? by_campaign : f->state ? by_state : newest;
	long long first_id = since_first_id(db, f->since), end_id = until_end_id(db, f->until);
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, f->campaign_id);
	db_bind_int64(st, 2, f->subscriber_id);
	db_bind_text(st, 3, f->state);
	db_bind_text(st, 4, f->channel);
	db_bind_text(st, 5, f->provider);
	db_bind_int64(st, 6, f->since);
	/* One lower bound, so SQLite turns it into the rowid range. */
	db_bind_int64(st, 7, first_id > f->after_event ? first_id : f->after_event + 1);
	db_bind_int64(st, 8, f->limit > 0 ? f->limit : LLONG_MAX);
	db_bind_text(st, 9, f->recipient);
	db_bind_int64(st, 10, f->until > 0 ? f->until : LLONG_MAX);
	/* One upper bound too: the page before (keyset) or --until's end. */
	db_bind_int64(st, 11, f->before_event > 0 && f->before_event < end_id ? f->before_event
								    : end_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct event_row r = {
			.event_id = db_column_int64(st, 0),
			.message_id = db_column_int64(st, 1),
			.campaign_id = db_column_int64(st, 2),
			.subscriber_id = db_column_int64(st, 3),
			.at = db_column_int64(st, 4),
			.channel = db_column_text(st, 5),
			.recipient = db_column_text(st, 6),
			.state = db_column_text(st, 7),
			.provider = db_column_text(st, 8),
			.provider_msgid = db_column_text(st, 9),
			.detail = db_column_text(st, 10),
			.lang = db_column_text(st, 11),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_message_counts(struct db *db, long long campaign_id,
		      int (*cb)(const char *state, const char *channel, long long n, void *), void *arg)
{
	static const char sql[] =
		"SELECT state, channel, count(*) FROM messages WHERE (?1 = 0 OR campaign_id = ?1)"
		" GROUP BY state, channel ORDER BY state, channel";
	struct db_stmt *st = db_prepare(db, sql);
	int ret = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	while (!ret && db_step(st) == DB_ROW)
		ret = cb(db_column_text(st, 0),
			 db_column_text(st, 1), db_column_int64(st, 2), arg);
	db_reset(st);
	return ret;
}

long long db_events_max_id(struct db *db)
{
	static const char sql[] = "SELECT coalesce(max(id), 0) FROM message_events";
	struct db_stmt *st = db_prepare(db, sql);
	long long id = -1;
	if (!st)
		return -1;
	if (db_step(st) == DB_ROW)
		id = db_column_int64(st, 0);
	db_reset(st);
	return id;
}

static int stats_rows(struct db *db, struct db_stmt *st,
		      int (*cb)(const struct stats_row *, void *), void *arg)
{
	int rc, ret = 0;

	while ((rc = db_step(st)) == DB_ROW) {
		struct stats_row r = {
			.campaign_id = db_column_int64(st, 0),
			.channel = db_column_text(st, 1),
			.lang = db_column_text(st, 2),
			.state = db_column_text(st, 3),
			.reason = db_column_text(st, 4),
			.n = db_column_int64(st, 5),
			.segments = db_column_int64(st, 6),
			.cost_milli = db_column_int64(st, 7),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

#define STATS_SELECT \
	"SELECT coalesce(campaign_id, 0), channel, lang, state," \
	" CASE WHEN state IN ('bounced', 'failed', 'suppressed', 'cancelled', 'expired', 'unknown')" \
	"  THEN coalesce(reason, 'unspecified') END, count(*), coalesce(sum(segments), 0)," \
	" coalesce(sum(cost_milli), 0) FROM messages"
#define STATS_GROUP " GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"

int db_stats_each(struct db *db, long long campaign_id,
		  int (*cb)(const struct stats_row *, void *), void *arg)
{
	static const char all[] = STATS_SELECT STATS_GROUP;
	static const char one[] = STATS_SELECT " WHERE campaign_id = ?1" STATS_GROUP;
	struct db_stmt *st = db_prepare(db, campaign_id ? one : all);

	if (!st)
		return -1;
	if (campaign_id)
		db_bind_int64(st, 1, campaign_id);
	return stats_rows(db, st, cb, arg);
}

int db_cost_by_association(struct db *db, long long since, long long until,
			   int (*cb)(const char *association, long long messages,
				     long long cost_milli, void *), void *arg)
{
	static const char sql[] =
		"SELECT CASE WHEN m.campaign_id IS NULL THEN '' ELSE coalesce(a.name, '(municipality)')"
		" END, count(*), coalesce(sum(m.cost_milli), 0) FROM messages m"
		" LEFT JOIN campaigns c ON c.id = m.campaign_id"
		" LEFT JOIN associations a ON a.id = c.association_id"
		" WHERE m.cost_milli IS NOT NULL AND m.created_at >= ?1 AND (?2 = 0 OR m.created_at < ?2)"
		" GROUP BY 1 ORDER BY 3 DESC, 1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, until);
	while ((rc = db_step(st)) == DB_ROW)
		if ((ret = cb(db_column_text(st, 0), db_column_int64(st, 1), db_column_int64(st, 2),
			      arg)) != 0)
			break;
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_campaign_summaries(struct db *db, int limit,
			  int (*cb)(const struct campaign_summary *, void *), void *arg)
{
	/* The title in Danish, else English, else any language. */
	static const char sql[] =
		"SELECT c.id, c.kind, c.status, c.channels, a.name,"
		" (SELECT t.title FROM opportunity_texts t WHERE t.opportunity_id = c.opportunity_id"
		"  ORDER BY t.lang = 'da' DESC, t.lang = 'en' DESC, t.lang LIMIT 1),"
		" c.created_by, c.created_at, c.send_at"
		" FROM campaigns c LEFT JOIN associations a ON a.id = c.association_id"
		" WHERE c.status = 'pending_approval'"
		"  OR c.id IN (SELECT id FROM campaigns ORDER BY id DESC LIMIT ?1)"
		" ORDER BY c.id DESC";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int(st, 1, limit);
	while ((rc = db_step(st)) == DB_ROW) {
		struct campaign_summary c = {
			.id = db_column_int64(st, 0),
			.kind = db_column_text(st, 1),
			.status = db_column_text(st, 2),
			.channels = db_column_text(st, 3),
			.association = db_column_text(st, 4),
			.title = db_column_text(st, 5),
			.created_by = db_column_text(st, 6),
			.created_at = db_column_int64(st, 7),
			.send_at = db_column_int64(st, 8),
		};
		if ((ret = cb(&c, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_messages_per_day(struct db *db, long long since,
			int (*cb)(const char *day, const char *channel, long long n, void *),
			void *arg)
{
	/* 'localtime' follows TZ, which the daemon and the CLI set to the
	 * configured time zone (and the PostgreSQL engine gives its session). */
#define PER_DAY(D) \
		"SELECT " D##LOCAL_DAY("created_at") ", channel, count(*)" \
		" FROM messages WHERE created_at >= ?1 GROUP BY 1, 2 ORDER BY 1, 2"
	static const struct db_sql sql = DB_DIALECTS(PER_DAY);
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	int ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	while (!ret && db_step(st) == DB_ROW)
		ret = cb(db_column_text(st, 0),
			 db_column_text(st, 1), db_column_int64(st, 2), arg);
	db_reset(st);
	return ret;
}

int db_inbound_by_intent(struct db *db, long long since,
			 int (*cb)(const char *intent, long long n, void *), void *arg)
{
	static const char sql[] =
		"SELECT coalesce(intent, 'unknown'), count(*) FROM inbound WHERE received_at >= ?1"
		" GROUP BY 1 ORDER BY 2 DESC, 1";
	struct db_stmt *st = db_prepare(db, sql);
	int ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	while (!ret && db_step(st) == DB_ROW)
		ret = cb(db_column_text(st, 0), db_column_int64(st, 1), arg);
	db_reset(st);
	return ret;
}
