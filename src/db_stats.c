/* SPDX-License-Identifier: MIT */
/* SQL for figures: /metrics, `budbringer stats` and the evaluation report. */
#include "budbringer/db.h"
#include "budbringer/log.h"

int db_metrics(struct db *db, struct sbuf *out)
{
	static const char by_state[] =
		"SELECT channel, state, count(*) FROM messages GROUP BY channel, state";
	static const char due[] =
		"SELECT count(*), coalesce(min(not_before), 0) FROM messages WHERE state = 'queued'";
	static const char inbound[] =
		"SELECT coalesce(intent, 'none'), count(*) FROM inbound GROUP BY intent";
	sqlite3_stmt *st = db_prepare(db, by_state);

	if (!st)
		return -1;
	sbuf_addstr(out, "# HELP budbringer_messages Messages by channel and state.\n"
		      "# TYPE budbringer_messages gauge\n");
	while (sqlite3_step(st) == SQLITE_ROW)
		sbuf_addf(out, "budbringer_messages{channel=\"%s\",state=\"%s\"} %lld\n",
			    sqlite3_column_text(st, 0), sqlite3_column_text(st, 1),
			    (long long)sqlite3_column_int64(st, 2));
	sqlite3_reset(st);
	if (!(st = db_prepare(db, due)))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		sbuf_addf(out, "# TYPE budbringer_queue_depth gauge\nbudbringer_queue_depth %lld\n",
			    (long long)sqlite3_column_int64(st, 0));
	sqlite3_reset(st);
	if (!(st = db_prepare(db, inbound)))
		return -1;
	sbuf_addstr(out, "# TYPE budbringer_inbound gauge\n");
	while (sqlite3_step(st) == SQLITE_ROW)
		sbuf_addf(out, "budbringer_inbound{intent=\"%s\"} %lld\n",
			    sqlite3_column_text(st, 0), (long long)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return 0;
}

int db_events_each(struct db *db, const struct event_filter *f,
		   int (*cb)(const struct event_row *, void *), void *arg)
{
	/* Newest `limit` matching events, then turned to oldest first. The
	 * filters are bound as NULL-able parameters so one statement serves
	 * every combination. */
	static const char sql[] =
		"SELECT * FROM (SELECT e.id, e.message_id, m.campaign_id, m.subscriber_id, e.at,"
		" m.channel, m.recipient, e.state, coalesce(e.provider, m.provider),"
		" coalesce(e.provider_msgid, m.provider_msgid), e.detail, m.lang"
		" FROM message_events e JOIN messages m ON m.id = e.message_id"
		" WHERE (?1 = 0 OR m.campaign_id = ?1) AND (?2 = 0 OR m.subscriber_id = ?2)"
		" AND (?3 IS NULL OR e.state = ?3) AND (?4 IS NULL OR m.channel = ?4)"
		" AND (?5 IS NULL OR coalesce(e.provider, m.provider) = ?5)"
		" AND e.at >= ?6 AND e.id > ?7 ORDER BY e.id DESC LIMIT ?8) ORDER BY 1";
	sqlite3_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, f->campaign_id);
	sqlite3_bind_int64(st, 2, f->subscriber_id);
	db_bind_text(st, 3, f->state);
	db_bind_text(st, 4, f->channel);
	db_bind_text(st, 5, f->provider);
	sqlite3_bind_int64(st, 6, f->since);
	sqlite3_bind_int64(st, 7, f->after_event);
	sqlite3_bind_int64(st, 8, f->limit > 0 ? f->limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct event_row r = {
			.event_id = sqlite3_column_int64(st, 0),
			.message_id = sqlite3_column_int64(st, 1),
			.campaign_id = sqlite3_column_int64(st, 2),
			.subscriber_id = sqlite3_column_int64(st, 3),
			.at = sqlite3_column_int64(st, 4),
			.channel = (const char *)sqlite3_column_text(st, 5),
			.recipient = (const char *)sqlite3_column_text(st, 6),
			.state = (const char *)sqlite3_column_text(st, 7),
			.provider = (const char *)sqlite3_column_text(st, 8),
			.provider_msgid = (const char *)sqlite3_column_text(st, 9),
			.detail = (const char *)sqlite3_column_text(st, 10),
			.lang = (const char *)sqlite3_column_text(st, 11),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = error("sql: %s", sqlite3_errmsg(db_handle(db)));
	sqlite3_reset(st);
	return ret;
}

int db_message_counts(struct db *db, long long campaign_id,
		      int (*cb)(const char *state, const char *channel, long long n, void *), void *arg)
{
	static const char sql[] =
		"SELECT state, channel, count(*) FROM messages WHERE (?1 = 0 OR campaign_id = ?1)"
		" GROUP BY state, channel ORDER BY state, channel";
	sqlite3_stmt *st = db_prepare(db, sql);
	int ret = 0;
	if (!st)
		return -1;
	sqlite3_bind_int64(st, 1, campaign_id);
	while (!ret && sqlite3_step(st) == SQLITE_ROW)
		ret = cb((const char *)sqlite3_column_text(st, 0),
			 (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2), arg);
	sqlite3_reset(st);
	return ret;
}
