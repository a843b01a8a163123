/* SPDX-License-Identifier: MIT */
/*
 * SQL for the evaluation report. People figures are gathered first into
 * a temporary table of (metric, person, channel, language, band) rows —
 * one per person and channel — and then counted by every dimension with
 * one GROUP BY each, so "active at the start by language" and "opt-outs
 * by age band" use the same counting rule: distinct people, except by
 * channel, where someone on SMS and email counts once in each.
 */
#include "budbringer/db_report.h"
#include "budbringer/log.h"
#include "db_dialect.h"

#include <string.h>

enum age_band report_age_band(int birth_year, int year)
{
	int age = year - birth_year;
	if (birth_year <= 0)
		return BAND_UNKNOWN;
	if (age <= 14)
		return BAND_UNDER15;
	if (age <= 25)
		return BAND_15_25;
	return BAND_26PLUS;
}

const char *report_band_code(enum age_band b)
{
	static const char *const codes[BAND_COUNT] = { "under15", "15-25", "26+", "unknown" };
	return b < BAND_COUNT ? codes[b] : "unknown";
}

/* The same rule as report_age_band() in SQL (db_dialect.h). */
#define BAND(Y, B) DB_AGE_BAND(Y, B)

static int run(struct db *db, const struct db_sql *sql, long long a, long long b, long long c)
{
	struct db_stmt *st = db_prepare_dialect(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	db_bind_int64(st, 3, c);
	return db_exec_stmt(db, st);
}

static int prepare_tables(struct db *db)
{
	static const char tables[] =
		"CREATE TEMP TABLE IF NOT EXISTS report_people(metric TEXT NOT NULL,"
		" person TEXT NOT NULL, channel TEXT NOT NULL, lang TEXT, band TEXT NOT NULL,"
		" PRIMARY KEY (metric, person, channel));"
		"CREATE TEMP TABLE IF NOT EXISTS report_messages(channel TEXT, lang TEXT, band TEXT,"
		" sent INTEGER, delivered INTEGER, bounced INTEGER, complaints INTEGER, cost INTEGER);"
		"DELETE FROM report_people; DELETE FROM report_messages";

	/* Not cached: a temp table must exist before statements naming it compile. */
	return db_exec(db, tables);
}

/* Who had consent on a channel at moment ?1 (actions before it), with
 * bands for year ?2; ?3 is unused. The erased count by their dates. */
static int gather_active(struct db *db, const struct db_sql *metric_sql_a,
			 const struct db_sql *metric_sql_b,
			 long long t, int year)
{
	return run(db, metric_sql_a, t, year, 0) < 0 || run(db, metric_sql_b, t, year, 0) < 0
		? -1 : 0;
}

#define ACTIVE_LIVING(METRIC) \
	"INSERT INTO report_people SELECT '" METRIC "', 's' || s.id, l.channel," \
	" s.lang, " BAND("?2", "s.birth_year") " FROM (SELECT c.subscriber_id AS sid, c.channel AS" \
	" channel, (SELECT c2.action FROM consent_log c2 WHERE c2.subscriber_id = c.subscriber_id" \
	"  AND c2.channel = c.channel AND c2.action IN ('grant', 'revoke') AND c2.at < ?1" \
	"  ORDER BY c2.at DESC, c2.id DESC LIMIT 1) AS action FROM consent_log c" \
	"  WHERE c.subscriber_id IS NOT NULL AND c.at < ?1 GROUP BY 1, 2) l" \
	" JOIN subscribers s ON s.id = l.sid WHERE l.action = 'grant' ON CONFLICT DO NOTHING"
#define ACTIVE_ERASED(METRIC) \
	"INSERT INTO report_people SELECT '" METRIC "', 'x' || x.id, ch.channel," \
	" x.lang, x.age_band FROM erased_subscribers x JOIN (SELECT 'sms' AS channel UNION ALL" \
	" SELECT 'email') ch ON (ch.channel = 'sms' AND x.sms = 1) OR (ch.channel = 'email' AND x.email = 1)" \
	" WHERE x.joined_at < ?1 AND coalesce(x.left_at, x.erased_at) >= ?1 ON CONFLICT DO NOTHING"

static int gather_people(struct db *db, long long from, long long to, int start_year,
			 int end_year)
{
	static const struct db_sql start_a = DB_BOTH(ACTIVE_LIVING("active_start"));
	static const struct db_sql start_b = DB_BOTH(ACTIVE_ERASED("active_start"));
	static const struct db_sql end_a = DB_BOTH(ACTIVE_LIVING("active_end"));
	static const struct db_sql end_b = DB_BOTH(ACTIVE_ERASED("active_end"));
	/* A sign-up: the person's first grant ever falls in the period. */
#define SIGNUPS(D) \
		"INSERT INTO report_people SELECT 'signups', 's' || s.id, c.channel," \
		" s.lang, " BAND(D##LOCAL_YEAR("c.at"), "s.birth_year") " FROM consent_log c" \
		" JOIN subscribers s ON s.id = c.subscriber_id WHERE c.action = 'grant'" \
		" AND c.at >= ?1 AND c.at < ?2 AND NOT EXISTS (SELECT 1 FROM consent_log p" \
		"  WHERE p.subscriber_id = c.subscriber_id AND p.action = 'grant' AND p.at < ?1)" \
		" ON CONFLICT DO NOTHING"
	static const struct db_sql signups = DB_DIALECTS(SIGNUPS);
	static const struct db_sql signups_erased = DB_BOTH(
		"INSERT INTO report_people SELECT 'signups', 'x' || x.id, ch.channel,"
		" x.lang, x.age_band FROM erased_subscribers x JOIN (SELECT 'sms' AS channel"
		" UNION ALL SELECT 'email') ch ON (ch.channel = 'sms' AND x.sms = 1)"
		" OR (ch.channel = 'email' AND x.email = 1) WHERE x.joined_at >= ?1 AND x.joined_at < ?2"
		" ON CONFLICT DO NOTHING");
	/* An opt-out: consent withdrawn on a channel, or erasure on request. */
#define OPTOUTS(D) \
		"INSERT INTO report_people SELECT 'optouts', 's' || s.id, c.channel," \
		" s.lang, " BAND(D##LOCAL_YEAR("c.at"), "s.birth_year") " FROM consent_log c" \
		" JOIN subscribers s ON s.id = c.subscriber_id WHERE c.action = 'revoke'" \
		" AND c.at >= ?1 AND c.at < ?2 ON CONFLICT DO NOTHING"
	static const struct db_sql optouts = DB_DIALECTS(OPTOUTS);
	static const struct db_sql optouts_erased = DB_BOTH(
		"INSERT INTO report_people SELECT 'optouts', 'x' || x.id, ch.channel,"
		" x.lang, x.age_band FROM erased_subscribers x JOIN (SELECT 'sms' AS channel"
		" UNION ALL SELECT 'email') ch ON (ch.channel = 'sms' AND x.sms = 1)"
		" OR (ch.channel = 'email' AND x.email = 1)"
		" WHERE coalesce(x.left_at, x.erased_at) >= ?1 AND coalesce(x.left_at, x.erased_at) < ?2"
		" ON CONFLICT DO NOTHING");

	if (gather_active(db, &start_a, &start_b, from, start_year) < 0 ||
	    gather_active(db, &end_a, &end_b, to, end_year) < 0 ||
	    run(db, &signups, from, to, 0) < 0 || run(db, &signups_erased, from, to, 0) < 0 ||
	    run(db, &optouts, from, to, 0) < 0 || run(db, &optouts_erased, from, to, 0) < 0)
		return -1;
	return 0;
}

static int gather_messages(struct db *db, long long from, long long to)
{
	/* "sent": accepted by the gateway or SMTP server — sent, delivered, or
	 * failed or bounced later by a delivery report or a bounce (it has the
	 * provider's id; a 5xx in the SMTP session leaves none). "delivered"
	 * never counts a bounced message; "bounced" (hard bounces, the 5xx in
	 * the session too) and "complaints" (messages reported as spam) do. */
#define MESSAGES(D) \
		"INSERT INTO report_messages SELECT m.channel, coalesce(s.lang, x.lang, m.lang)," \
		" CASE WHEN s.id IS NOT NULL THEN " BAND(D##LOCAL_YEAR("m.created_at"), "s.birth_year") \
		"  ELSE coalesce(x.age_band, 'unknown') END," \
		" sum(CASE WHEN m.state IN ('sent', 'delivered') OR (m.state IN ('failed', 'bounced')" \
		"  AND m.provider_msgid IS NOT NULL) THEN 1 ELSE 0 END)," \
		" sum(CASE WHEN m.state = 'delivered' THEN 1 ELSE 0 END)," \
		" sum(CASE WHEN m.state = 'bounced' THEN 1 ELSE 0 END)," \
		" sum(CASE WHEN k.message_id IS NOT NULL THEN 1 ELSE 0 END)," \
		" sum(coalesce(m.cost_milli, 0))" \
		" FROM messages m LEFT JOIN subscribers s ON s.id = m.subscriber_id" \
		" LEFT JOIN erased_subscribers x ON x.id = m.erased_id" \
		" LEFT JOIN (SELECT DISTINCT message_id FROM bounces WHERE kind = 'complaint'" \
		"  AND outcome = 'complaint' AND message_id IS NOT NULL) k ON k.message_id = m.id" \
		" WHERE m.kind = 'campaign' AND m.created_at >= ?1 AND m.created_at < ?2" \
		" GROUP BY 1, 2, 3"
	static const struct db_sql sql = DB_DIALECTS(MESSAGES);

	return run(db, &sql, from, to, 0);
}

static int emit(struct db *db, const char *sql, long long from, long long to,
		int (*cb)(const struct report_cell *, void *), void *arg)
{
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	if (db_param_count(st) >= 2) {
		db_bind_int64(st, 1, from);
		db_bind_int64(st, 2, to);
	}
	while ((rc = db_step(st)) == DB_ROW) {
		struct report_cell c = {
			.metric = db_column_text(st, 0),
			.dimension = db_column_text(st, 1),
			.key = db_column_text(st, 2),
			.n = db_column_int64(st, 3),
		};
		if (!c.key)
			c.key = "unknown";
		if ((ret = cb(&c, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_report_each(struct db *db, long long from, long long to, int start_year, int end_year,
		   int (*cb)(const struct report_cell *, void *), void *arg)
{
	static const char people[] =
		"SELECT metric, 'total', '', count(DISTINCT person) FROM report_people"
		" GROUP BY metric"
		" UNION ALL SELECT metric, 'band', band, count(DISTINCT person) FROM report_people"
		" GROUP BY metric, band"
		" UNION ALL SELECT metric, 'lang', lang, count(DISTINCT person) FROM report_people"
		" GROUP BY metric, lang"
		" UNION ALL SELECT metric, 'channel', channel, count(*) FROM report_people"
		" GROUP BY metric, channel";
	static const char msgs[] =
		"SELECT m.metric, d.dim, CASE d.dim WHEN 'total' THEN '' WHEN 'band' THEN r.band"
		"  WHEN 'lang' THEN r.lang ELSE r.channel END,"
		" sum(CASE m.metric WHEN 'sent' THEN r.sent WHEN 'delivered' THEN r.delivered"
		"  WHEN 'bounced' THEN r.bounced WHEN 'cost' THEN r.cost ELSE r.complaints END)"
		" FROM report_messages r, (SELECT 'sent' AS metric UNION ALL SELECT 'delivered'"
		"  UNION ALL SELECT 'bounced' UNION ALL SELECT 'complaints' UNION ALL SELECT 'cost') m,"
		" (SELECT 'total' AS dim UNION ALL SELECT 'band' UNION ALL SELECT 'lang'"
		"  UNION ALL SELECT 'channel') d GROUP BY 1, 2, 3";
	static const char campaigns[] =
		"SELECT 'campaigns', 'association', coalesce(a.name, '(municipality)'), count(*)"
		" FROM campaigns c LEFT JOIN associations a ON a.id = c.association_id"
		" WHERE c.created_at >= ?1 AND c.created_at < ?2 GROUP BY 3 ORDER BY 4 DESC, 3";
	/* What the period's campaign SMS cost, by the association they were for. */
	static const char costs[] =
		"SELECT 'cost', 'association', coalesce(a.name, '(municipality)'),"
		" sum(coalesce(m.cost_milli, 0)) FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
		" LEFT JOIN associations a ON a.id = c.association_id"
		" WHERE m.kind = 'campaign' AND m.created_at >= ?1 AND m.created_at < ?2"
		" AND m.cost_milli IS NOT NULL GROUP BY 3";
	int ret;

	if (prepare_tables(db) < 0 || gather_people(db, from, to, start_year, end_year) < 0 ||
	    gather_messages(db, from, to) < 0)
		return -1;
	if ((ret = emit(db, people, from, to, cb, arg)) != 0 ||
	    (ret = emit(db, msgs, from, to, cb, arg)) != 0)
		return ret;
	if ((ret = emit(db, campaigns, from, to, cb, arg)) != 0)
		return ret;
	return emit(db, costs, from, to, cb, arg);
}
