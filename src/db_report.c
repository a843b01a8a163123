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

/* The same rule as report_age_band() in SQL, for year Y and birth year B. */
#define BAND(Y, B) \
	"CASE WHEN " B " IS NULL OR " B " <= 0 THEN 'unknown' WHEN (" Y ") - " B " <= 14 THEN" \
	" 'under15' WHEN (" Y ") - " B " <= 25 THEN '15-25' ELSE '26+' END"
#define YEAR_OF(T) "CAST(strftime('%Y', " T ", 'unixepoch', 'localtime') AS INTEGER)"

static int run(struct db *db, const char *sql, long long a, long long b, long long c)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	db_bind_int64(st, 2, b);
	db_bind_int64(st, 3, c);
	return db_exec_stmt(db, st);
}

static int prepare_tables(struct db *db)
{
	static const char people[] =
		"CREATE TEMP TABLE IF NOT EXISTS report_people(metric TEXT NOT NULL,"
		" person TEXT NOT NULL, channel TEXT NOT NULL, lang TEXT, band TEXT NOT NULL,"
		" PRIMARY KEY (metric, person, channel))";
	static const char msgs[] =
		"CREATE TEMP TABLE IF NOT EXISTS report_messages(channel TEXT, lang TEXT, band TEXT,"
		" sent INTEGER, delivered INTEGER)";
	static const char clear1[] = "DELETE FROM temp.report_people";
	static const char clear2[] = "DELETE FROM temp.report_messages";
	return run(db, people, 0, 0, 0) < 0 || run(db, msgs, 0, 0, 0) < 0 ||
	       run(db, clear1, 0, 0, 0) < 0 || run(db, clear2, 0, 0, 0) < 0 ? -1 : 0;
}

/* Who had consent on a channel at moment ?1 (actions before it), with
 * bands for year ?2; ?3 is unused. The erased count by their dates. */
static int gather_active(struct db *db, const char *metric_sql_a, const char *metric_sql_b,
			 long long t, int year)
{
	return run(db, metric_sql_a, t, year, 0) < 0 || run(db, metric_sql_b, t, year, 0) < 0
		? -1 : 0;
}

#define ACTIVE_LIVING(METRIC) \
	"INSERT OR IGNORE INTO temp.report_people SELECT '" METRIC "', 's' || s.id, l.channel," \
	" s.lang, " BAND("?2", "s.birth_year") " FROM (SELECT c.subscriber_id AS sid, c.channel AS" \
	" channel, (SELECT c2.action FROM consent_log c2 WHERE c2.subscriber_id = c.subscriber_id" \
	"  AND c2.channel = c.channel AND c2.action IN ('grant', 'revoke') AND c2.at < ?1" \
	"  ORDER BY c2.at DESC, c2.id DESC LIMIT 1) AS action FROM consent_log c" \
	"  WHERE c.subscriber_id IS NOT NULL AND c.at < ?1 GROUP BY 1, 2) l" \
	" JOIN subscribers s ON s.id = l.sid WHERE l.action = 'grant'"
#define ACTIVE_ERASED(METRIC) \
	"INSERT OR IGNORE INTO temp.report_people SELECT '" METRIC "', 'x' || x.id, ch.channel," \
	" x.lang, x.age_band FROM erased_subscribers x JOIN (SELECT 'sms' AS channel UNION ALL" \
	" SELECT 'email') ch ON (ch.channel = 'sms' AND x.sms) OR (ch.channel = 'email' AND x.email)" \
	" WHERE x.joined_at < ?1 AND coalesce(x.left_at, x.erased_at) >= ?1"

static int gather_people(struct db *db, long long from, long long to, int start_year,
			 int end_year)
{
	static const char start_a[] = ACTIVE_LIVING("active_start");
	static const char start_b[] = ACTIVE_ERASED("active_start");
	static const char end_a[] = ACTIVE_LIVING("active_end");
	static const char end_b[] = ACTIVE_ERASED("active_end");
	/* A sign-up: the person's first grant ever falls in the period. */
	static const char signups[] =
		"INSERT OR IGNORE INTO temp.report_people SELECT 'signups', 's' || s.id, c.channel,"
		" s.lang, " BAND(YEAR_OF("c.at"), "s.birth_year") " FROM consent_log c"
		" JOIN subscribers s ON s.id = c.subscriber_id WHERE c.action = 'grant'"
		" AND c.at >= ?1 AND c.at < ?2 AND NOT EXISTS (SELECT 1 FROM consent_log p"
		"  WHERE p.subscriber_id = c.subscriber_id AND p.action = 'grant' AND p.at < ?1)";
	static const char signups_erased[] =
		"INSERT OR IGNORE INTO temp.report_people SELECT 'signups', 'x' || x.id, ch.channel,"
		" x.lang, x.age_band FROM erased_subscribers x JOIN (SELECT 'sms' AS channel"
		" UNION ALL SELECT 'email') ch ON (ch.channel = 'sms' AND x.sms)"
		" OR (ch.channel = 'email' AND x.email) WHERE x.joined_at >= ?1 AND x.joined_at < ?2";
	/* An opt-out: consent withdrawn on a channel, or erasure on request. */
	static const char optouts[] =
		"INSERT OR IGNORE INTO temp.report_people SELECT 'optouts', 's' || s.id, c.channel,"
		" s.lang, " BAND(YEAR_OF("c.at"), "s.birth_year") " FROM consent_log c"
		" JOIN subscribers s ON s.id = c.subscriber_id WHERE c.action = 'revoke'"
		" AND c.at >= ?1 AND c.at < ?2";
	static const char optouts_erased[] =
		"INSERT OR IGNORE INTO temp.report_people SELECT 'optouts', 'x' || x.id, ch.channel,"
		" x.lang, x.age_band FROM erased_subscribers x JOIN (SELECT 'sms' AS channel"
		" UNION ALL SELECT 'email') ch ON (ch.channel = 'sms' AND x.sms)"
		" OR (ch.channel = 'email' AND x.email)"
		" WHERE coalesce(x.left_at, x.erased_at) >= ?1 AND coalesce(x.left_at, x.erased_at) < ?2";

	if (gather_active(db, start_a, start_b, from, start_year) < 0 ||
	    gather_active(db, end_a, end_b, to, end_year) < 0 ||
	    run(db, signups, from, to, 0) < 0 || run(db, signups_erased, from, to, 0) < 0 ||
	    run(db, optouts, from, to, 0) < 0 || run(db, optouts_erased, from, to, 0) < 0)
		return -1;
	return 0;
}

static int gather_messages(struct db *db, long long from, long long to)
{
	/* "sent": accepted by the gateway or SMTP server — sent, delivered, or
	 * failed later by a delivery report (it has the provider's id). */
	static const char sql[] =
		"INSERT INTO temp.report_messages SELECT m.channel, coalesce(s.lang, x.lang, m.lang),"
		" CASE WHEN s.id IS NOT NULL THEN " BAND(YEAR_OF("m.created_at"), "s.birth_year")
		"  ELSE coalesce(x.age_band, 'unknown') END,"
		" sum(m.state IN ('sent', 'delivered') OR (m.state = 'failed'"
		"  AND m.provider_msgid IS NOT NULL)), sum(m.state = 'delivered')"
		" FROM messages m LEFT JOIN subscribers s ON s.id = m.subscriber_id"
		" LEFT JOIN erased_subscribers x ON x.id = m.erased_id"
		" WHERE m.kind = 'campaign' AND m.created_at >= ?1 AND m.created_at < ?2"
		" GROUP BY 1, 2, 3";
	return run(db, sql, from, to, 0);
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
		"SELECT metric, 'total', '', count(DISTINCT person) FROM temp.report_people"
		" GROUP BY metric"
		" UNION ALL SELECT metric, 'band', band, count(DISTINCT person) FROM temp.report_people"
		" GROUP BY metric, band"
		" UNION ALL SELECT metric, 'lang', lang, count(DISTINCT person) FROM temp.report_people"
		" GROUP BY metric, lang"
		" UNION ALL SELECT metric, 'channel', channel, count(*) FROM temp.report_people"
		" GROUP BY metric, channel";
	static const char msgs[] =
		"SELECT m.metric, d.dim, CASE d.dim WHEN 'total' THEN '' WHEN 'band' THEN r.band"
		"  WHEN 'lang' THEN r.lang ELSE r.channel END,"
		" sum(CASE m.metric WHEN 'sent' THEN r.sent ELSE r.delivered END)"
		" FROM temp.report_messages r, (SELECT 'sent' AS metric UNION ALL SELECT 'delivered') m,"
		" (SELECT 'total' AS dim UNION ALL SELECT 'band' UNION ALL SELECT 'lang'"
		"  UNION ALL SELECT 'channel') d GROUP BY 1, 2, 3";
	static const char campaigns[] =
		"SELECT 'campaigns', 'association', coalesce(a.name, '(municipality)'), count(*)"
		" FROM campaigns c LEFT JOIN associations a ON a.id = c.association_id"
		" WHERE c.created_at >= ?1 AND c.created_at < ?2 GROUP BY 3 ORDER BY 4 DESC, 3";
	int ret;

	if (prepare_tables(db) < 0 || gather_people(db, from, to, start_year, end_year) < 0 ||
	    gather_messages(db, from, to) < 0)
		return -1;
	if ((ret = emit(db, people, from, to, cb, arg)) != 0 ||
	    (ret = emit(db, msgs, from, to, cb, arg)) != 0)
		return ret;
	return emit(db, campaigns, from, to, cb, arg);
}
