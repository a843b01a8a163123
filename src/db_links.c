/* SPDX-License-Identifier: MIT */
/* SQL for short links (see db_links.h). */
#include "budbringer/db_links.h"
#include "budbringer/log.h"

#include <stdlib.h>
#include <string.h>

int db_link_ensure(struct db *db, long long campaign_id, const char *channel, const char *lang,
		   const char *target, long long now, char code[LINKS_CODE_LEN + 1])
{
	/* A fresh code collides with a stored one with odds of about n/2^47:
	 * not worth a retry loop that would abort a PostgreSQL transaction. */
	static const char sql[] =
		"INSERT INTO links(code, campaign_id, channel, lang, target, created_at)"
		" VALUES (?,?,?,?,?,?) ON CONFLICT (campaign_id, channel, lang)"
		" DO UPDATE SET target = excluded.target RETURNING code";
	struct db_stmt *st;
	char fresh[LINKS_CODE_LEN + 1];
	const char *got;
	int rc, ret = -1;

	if (links_code_new(fresh) < 0 || !(st = db_prepare(db, sql)))
		return -1;
	db_bind_text(st, 1, fresh);
	db_bind_int64(st, 2, campaign_id);
	db_bind_text(st, 3, channel);
	db_bind_text(st, 4, lang);
	db_bind_text(st, 5, target);
	db_bind_int64(st, 6, now);
	rc = db_step(st);
	if (rc == DB_ROW && (got = db_column_text(st, 0)) && links_code_valid(got)) {
		memcpy(code, got, LINKS_CODE_LEN + 1);
		ret = 0;
	} else {
		error("cannot make the short link of campaign=%lld lang=%s: %s", campaign_id, lang,
		      db_errmsg(db));
	}
	db_reset(st);
	return ret;
}

int db_link_follow(struct db *db, const char *code, bool prefetch, char **target)
{
	static const char click[] =
		"UPDATE links SET clicks = clicks + 1 WHERE code = ? RETURNING target";
	static const char look[] =
		"UPDATE links SET prefetches = prefetches + 1 WHERE code = ? RETURNING target";
	struct db_stmt *st = db_prepare(db, prefetch ? look : click);
	int rc;

	*target = NULL;
	if (!st)
		return -1;
	db_bind_text(st, 1, code);
	rc = db_step(st);
	if (rc == DB_ROW)
		*target = db_column_strdup(st, 0);
	db_reset(st);
	if (rc == DB_ROW)
		return *target ? 0 : -1;
	return rc == DB_DONE ? 1 : error("sql: %s", db_errmsg(db));
}

int db_link_each(struct db *db, long long campaign_id,
		 int (*cb)(const struct link_row *, void *), void *arg)
{
	/* Sent: the messages that reached the gateway and may have reached a
	 * phone (sent, delivered, unknown): the click-through's denominator. */
	static const char sql[] =
		"SELECT l.campaign_id, l.channel, l.lang, l.code, l.clicks, l.prefetches,"
		" (SELECT count(*) FROM messages m WHERE m.campaign_id = l.campaign_id"
		"  AND m.channel = l.channel AND m.lang = l.lang"
		"  AND m.state IN ('sent', 'delivered', 'unknown'))"
		" FROM links l WHERE CAST(?1 AS BIGINT) = 0 OR l.campaign_id = ?1"
		" ORDER BY l.campaign_id, l.channel, l.lang";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	while (!ret && (rc = db_step(st)) == DB_ROW) {
		struct link_row r = {
			.campaign_id = db_column_int64(st, 0), .channel = db_column_text(st, 1),
			.lang = db_column_text(st, 2), .code = db_column_text(st, 3),
			.clicks = db_column_int64(st, 4), .prefetches = db_column_int64(st, 5),
			.sent = db_column_int64(st, 6),
		};
		ret = cb(&r, arg);
	}
	if (!ret && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_link_report_each(struct db *db, long long from, long long to,
			int (*cb)(const struct link_report_row *, void *), void *arg)
{
	static const char sql[] =
		"SELECT lang, min_age, max_age, sum(clicks), sum(prefetches), sum(sent) FROM ("
		" SELECT l.lang, c.min_age, c.max_age, l.clicks, l.prefetches,"
		"  (SELECT count(*) FROM messages m WHERE m.campaign_id = l.campaign_id"
		"   AND m.channel = l.channel AND m.lang = l.lang"
		"   AND m.state IN ('sent', 'delivered', 'unknown')) AS sent"
		" FROM links l JOIN campaigns c ON c.id = l.campaign_id"
		" WHERE l.channel = 'sms' AND c.send_at >= ?1 AND c.send_at < ?2) x"
		" GROUP BY lang, min_age, max_age ORDER BY lang, min_age, max_age";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, from);
	db_bind_int64(st, 2, to);
	while (!ret && (rc = db_step(st)) == DB_ROW) {
		struct link_report_row r = {
			.lang = db_column_text(st, 0),
			.min_age = db_column_is_null(st, 1) ? -1 : db_column_int(st, 1),
			.max_age = db_column_is_null(st, 2) ? -1 : db_column_int(st, 2),
			.clicks = db_column_int64(st, 3), .prefetches = db_column_int64(st, 4),
			.sent = db_column_int64(st, 5),
		};
		ret = cb(&r, arg);
	}
	if (!ret && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}
