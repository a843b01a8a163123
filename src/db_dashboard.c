/* SPDX-License-Identifier: MIT */
/* SQL for dashboard sessions and the campaign page. */
#include "budbringer/db_dashboard.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"
#include "db_dialect.h"

#include <string.h>

int db_dashboard_session_add(struct db *db, const char *token_sha256, const char *user,
			     const char *csrf, const char *lang, long long now,
			     long long expires_at)
{
	static const char sql[] =
		"INSERT INTO dashboard_sessions(token_sha256, \"user\", csrf, lang, created_at, expires_at)"
		" VALUES (?,?,?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	db_bind_text(st, 2, user);
	db_bind_text(st, 3, csrf);
	db_bind_text(st, 4, lang);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, expires_at);
	return db_exec_stmt(db, st);
}

static void copy(char *dst, size_t n, const char *src)
{
	if (bsnprintf(dst, n, "%s", src ? src : "") < 0)
		dst[0] = '\0';
}

int db_dashboard_session_get(struct db *db, const char *token_sha256, long long now,
			     struct dashboard_session *out)
{
	static const char sql[] =
		"SELECT \"user\", csrf, lang, expires_at FROM dashboard_sessions"
		" WHERE token_sha256 = ?1 AND expires_at > ?2";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	db_bind_int64(st, 2, now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		memset(out, 0, sizeof(*out));
		copy(out->user, sizeof(out->user), db_column_text(st, 0));
		copy(out->csrf, sizeof(out->csrf), db_column_text(st, 1));
		copy(out->lang, sizeof(out->lang), db_column_text(st, 2));
		out->expires_at = db_column_int64(st, 3);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int db_dashboard_session_set_lang(struct db *db, const char *token_sha256, const char *lang)
{
	static const char sql[] = "UPDATE dashboard_sessions SET lang = ?2 WHERE token_sha256 = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	db_bind_text(st, 2, lang);
	return db_exec_stmt(db, st);
}

int db_dashboard_session_delete(struct db *db, const char *token_sha256)
{
	static const char sql[] = "DELETE FROM dashboard_sessions WHERE token_sha256 = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	return db_exec_stmt(db, st);
}

int db_dashboard_session_purge(struct db *db, long long now)
{
	static const char sql[] = "DELETE FROM dashboard_sessions WHERE expires_at <= ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db);
}

/* ------------------------------------------------------ campaign page --- */

/* Ends a walk: a step error is an error, a callback's stop is returned. */
static int walk_end(struct db *db, struct db_stmt *st, int rc, int ret)
{
	if (!ret && rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_dashboard_overview_counts(struct db *db, int limit,
				 int (*cb)(long long campaign_id, const char *state, long long n,
					   void *), void *arg)
{
	/* The campaigns of db_campaign_summaries(), by the same rule. */
	static const char sql[] =
		"SELECT campaign_id, state, count(*) FROM messages WHERE campaign_id IN"
		" (SELECT id FROM campaigns WHERE status = 'pending_approval'"
		"  OR id IN (SELECT id FROM campaigns ORDER BY id DESC LIMIT ?1))"
		" GROUP BY campaign_id, state";
	struct db_stmt *st = db_prepare(db, sql);
	int rc = DB_DONE, ret = 0;

	if (!st)
		return -1;
	db_bind_int(st, 1, limit);
	while (!ret && (rc = db_step(st)) == DB_ROW)
		ret = cb(db_column_int64(st, 0), db_column_text(st, 1), db_column_int64(st, 2), arg);
	return walk_end(db, st, ret ? DB_ROW : rc, ret);
}

int db_dashboard_campaign_head(struct db *db, long long id, const char *lang,
			       int (*cb)(const struct campaign_head *, void *), void *arg)
{
	static const char sql[] =
		"SELECT (SELECT t.title FROM opportunity_texts t WHERE t.opportunity_id = c.opportunity_id"
		"  ORDER BY CASE t.lang WHEN ?2 THEN 0 WHEN 'da' THEN 1 ELSE 2 END, t.lang LIMIT 1),"
		" a.name, c.approved_by, coalesce(c.approved_at, 0)"
		" FROM campaigns c LEFT JOIN associations a ON a.id = c.association_id WHERE c.id = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, lang);
	if ((rc = db_step(st)) == DB_ROW) {
		struct campaign_head h = {
			.title = db_column_text(st, 0), .association = db_column_text(st, 1),
			.approved_by = db_column_text(st, 2), .approved_at = db_column_int64(st, 3),
		};
		ret = cb(&h, arg);
	}
	return walk_end(db, st, rc, ret);
}

int db_dashboard_campaign_funnel(struct db *db, long long id,
				 int (*cb)(const char *channel, const char *lang, const char *band,
					   const char *state, long long n, void *), void *arg)
{
	/* The band as the evaluation report counts it: from the birth year at
	 * the message's time, or the erased person's kept band. */
#define FUNNEL(D) \
		"SELECT m.channel, m.lang, CASE WHEN s.id IS NOT NULL THEN " \
		DB_AGE_BAND(D##LOCAL_YEAR("m.created_at"), "s.birth_year") \
		"  ELSE coalesce(x.age_band, 'unknown') END AS band, m.state, count(*)" \
		" FROM messages m LEFT JOIN subscribers s ON s.id = m.subscriber_id" \
		" LEFT JOIN erased_subscribers x ON x.id = m.erased_id" \
		" WHERE m.campaign_id = ?1 GROUP BY m.channel, m.lang, band, m.state" \
		" ORDER BY m.channel, m.lang, band, m.state"
	static const struct db_sql sql = DB_DIALECTS(FUNNEL);
#undef FUNNEL
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW &&
	       !(ret = cb(db_column_text(st, 0), db_column_text(st, 1), db_column_text(st, 2),
			  db_column_text(st, 3), db_column_int64(st, 4), arg)))
		;
	return walk_end(db, st, rc, ret);
}

int db_dashboard_campaign_failures(struct db *db, long long id,
				   int (*cb)(const char *state, const char *reason, long long n,
					     void *), void *arg)
{
	static const char sql[] =
		"SELECT state, coalesce(reason, ''), count(*) FROM messages WHERE campaign_id = ?1"
		" AND state IN ('failed', 'expired', 'unknown', 'suppressed', 'cancelled')"
		" GROUP BY state, coalesce(reason, '') ORDER BY count(*) DESC, state LIMIT 50";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW &&
	       !(ret = cb(db_column_text(st, 0), db_column_text(st, 1), db_column_int64(st, 2), arg)))
		;
	return walk_end(db, st, rc, ret);
}

int db_dashboard_campaign_rate(struct db *db, long long id,
			       int (*cb)(long long minute, long long n, void *), void *arg)
{
	/* The campaign's messages first, then their events: SQLite would
	 * otherwise walk every 'sent' event of every campaign (1 s instead of
	 * 20 ms for 25,000 messages among 5 million). */
#define RATE(D) \
		"SELECT e.at / 60, count(*) FROM messages m " D##ORDERED_JOIN " message_events e" \
		" ON e.message_id = m.id AND " D##UNINDEXED("e.state") " = 'sent'" \
		" WHERE m.campaign_id = ?1 GROUP BY e.at / 60 ORDER BY 1"
	static const struct db_sql sql = DB_DIALECTS(RATE);
#undef RATE
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW &&
	       !(ret = cb(db_column_int64(st, 0), db_column_int64(st, 1), arg)))
		;
	return walk_end(db, st, rc, ret);
}

int db_dashboard_campaign_samples(struct db *db, long long id,
				  int (*cb)(const struct campaign_sample *, void *), void *arg)
{
	static const char sql[] =
		"SELECT m.lang, m.channel, m.subject, m.body, m.coding, coalesce(m.segments, 0), g.n"
		" FROM (SELECT lang, channel, min(CASE WHEN body IS NOT NULL THEN id END) AS first,"
		"  count(*) AS n FROM messages WHERE campaign_id = ?1 GROUP BY lang, channel) g"
		" JOIN messages m ON m.id = g.first ORDER BY m.lang, m.channel";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct campaign_sample c = {
			.lang = db_column_text(st, 0), .channel = db_column_text(st, 1),
			.subject = db_column_text(st, 2), .body = db_column_text(st, 3),
			.coding = db_column_text(st, 4), .segments = db_column_int64(st, 5),
			.messages = db_column_int64(st, 6),
		};
		if ((ret = cb(&c, arg)) != 0)
			break;
	}
	return walk_end(db, st, rc, ret);
}

int db_dashboard_campaign_cost(struct db *db, long long id,
			       int (*cb)(const char *lang, long long sms, long long parts,
					 long long cost_milli, void *), void *arg)
{
	static const char sql[] =
		"SELECT lang, count(*), coalesce(sum(segments), 0), sum(cost_milli) FROM messages"
		" WHERE campaign_id = ?1 AND cost_milli IS NOT NULL GROUP BY lang ORDER BY lang";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW)
		if ((ret = cb(db_column_text(st, 0), db_column_int64(st, 1), db_column_int64(st, 2),
			      db_column_int64(st, 3), arg)) != 0)
			break;
	return walk_end(db, st, rc, ret);
}

int db_dashboard_inbound(struct db *db, long long since, const char *sender, int limit,
			 int (*cb)(const struct inbound_turn *, void *), void *arg)
{
	static const char sql[] =
		"SELECT i.id, i.sender, i.text, i.intent, i.received_at, coalesce(i.subscriber_id, 0),"
		" coalesce(i.reply_message_id, 0), m.body, m.state FROM inbound i"
		" JOIN (SELECT sender, max(received_at) AS last FROM inbound WHERE received_at >= ?1"
		"  AND (CAST(?2 AS TEXT) IS NULL OR sender = ?2) GROUP BY sender) n ON n.sender = i.sender"
		" LEFT JOIN messages m ON m.id = i.reply_message_id"
		" WHERE i.received_at >= ?1 ORDER BY n.last DESC, i.sender, i.received_at, i.id LIMIT ?3";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	db_bind_text(st, 2, sender);
	db_bind_int(st, 3, limit);
	while ((rc = db_step(st)) == DB_ROW) {
		struct inbound_turn t = {
			.id = db_column_int64(st, 0), .sender = db_column_text(st, 1),
			.text = db_column_text(st, 2), .intent = db_column_text(st, 3),
			.received_at = db_column_int64(st, 4), .subscriber_id = db_column_int64(st, 5),
			.reply_id = db_column_int64(st, 6), .reply_body = db_column_text(st, 7),
			.reply_state = db_column_text(st, 8),
		};
		if ((ret = cb(&t, arg)) != 0)
			break;
	}
	return walk_end(db, st, rc, ret);
}
