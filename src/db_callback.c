/* SPDX-License-Identifier: MIT */
/* SQL for status callbacks: receivers, their events, the sender's claims (db_callback.h). */
#include "budbringer/db_callback.h"
#include "budbringer/callback.h"
#include "budbringer/log.h"
#include "db_dialect.h"

#include <stdlib.h>
#include <string.h>

int db_callback_association_exists(struct db *db, long long id)
{
	static const char sql[] = "SELECT 1 FROM associations WHERE id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return error("cannot look up association %lld: %s", id, db_errmsg(db));
	return rc == DB_ROW;
}

long long db_callback_count(struct db *db, long long association_id)
{
	static const char sql[] =
		"SELECT count(*) FROM callbacks WHERE association_id = ?1"
		" OR (?1 = -1 AND association_id IS NULL)";
	struct db_stmt *st = db_prepare(db, sql);
	long long n = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, association_id);
	if (db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}

int db_callback_add(struct db *db, long long association_id, const char *url, const char *secret,
		    bool messages, const char *created_by, long long now, long long *id)
{
	static const char sql[] =
		"INSERT INTO callbacks(association_id, url, secret, messages, created_by, created_at)"
		" VALUES (?,?,?,?,?,?) RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	if (association_id > 0)
		db_bind_int64(st, 1, association_id);
	db_bind_text(st, 2, url);
	db_bind_text(st, 3, secret);
	db_bind_int(st, 4, messages ? 1 : 0);
	db_bind_text(st, 5, created_by);
	db_bind_int64(st, 6, now);
	return db_insert_id(db, st, id) == 0 ? 0 : -1;
}

#define CALLBACK_COLUMNS \
	"SELECT k.id, k.association_id, a.name, k.url, k.messages, k.created_by, k.created_at," \
	" (SELECT count(*) FROM callback_events e WHERE e.callback_id = k.id AND e.status = 'pending')," \
	" (SELECT count(*) FROM callback_events e WHERE e.callback_id = k.id AND e.status = 'failed')," \
	" (SELECT count(*) FROM callback_events e WHERE e.callback_id = k.id AND e.status = 'sent')," \
	" coalesce(k.last_status, -1), k.last_at, k.last_error" \
	" FROM callbacks k LEFT JOIN associations a ON a.id = k.association_id"

static int each_row(struct db *db, struct db_stmt *st,
		    int (*cb)(const struct callback_row *, void *), void *arg, int *rows)
{
	int rc, ret = 0;

	*rows = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		struct callback_row r = {
			.id = db_column_int64(st, 0), .association_id = db_column_int64(st, 1),
			.association = db_column_text(st, 2), .url = db_column_text(st, 3),
			.messages = db_column_int(st, 4) != 0, .created_by = db_column_text(st, 5),
			.created_at = db_column_int64(st, 6), .pending = db_column_int64(st, 7),
			.failed = db_column_int64(st, 8), .sent = db_column_int64(st, 9),
			.last_status = db_column_int64(st, 10), .last_at = db_column_int64(st, 11),
			.last_error = db_column_text(st, 12),
		};
		(*rows)++;
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("cannot read the callbacks: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_callback_each(struct db *db, long long association_id, bool all,
		     int (*cb)(const struct callback_row *, void *), void *arg)
{
	static const char sql[] = CALLBACK_COLUMNS
		" WHERE ?1 = 1 OR k.association_id = ?2 OR (?2 = -1 AND k.association_id IS NULL)"
		" ORDER BY k.id";
	struct db_stmt *st = db_prepare(db, sql);
	int rows;

	if (!st)
		return -1;
	db_bind_int(st, 1, all ? 1 : 0);
	db_bind_int64(st, 2, association_id);
	return each_row(db, st, cb, arg, &rows);
}

int db_callback_get(struct db *db, long long id, int (*cb)(const struct callback_row *, void *),
		    void *arg)
{
	static const char sql[] = CALLBACK_COLUMNS " WHERE k.id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int rows, rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = each_row(db, st, cb, arg, &rows);
	return rc ? rc : rows ? 0 : 1;
}

int db_callback_remove(struct db *db, long long id, long long association_id)
{
	static const char find[] =
		"SELECT 1 FROM callbacks WHERE id = ?1 AND (?2 = 0 OR association_id = ?2"
		" OR (?2 = -1 AND association_id IS NULL))";
	static const char del_events[] = "DELETE FROM callback_events WHERE callback_id = ?";
	static const char del[] = "DELETE FROM callbacks WHERE id = ?";
	struct db_stmt *st;
	int rc;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, find)))
		goto fail;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, association_id);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE) {
		db_rollback(db);
		return 1;
	}
	if (rc != DB_ROW)
		goto fail;
	if (!(st = db_prepare(db, del_events)))
		goto fail;
	db_bind_int64(st, 1, id);
	if (db_exec_stmt(db, st) < 0 || !(st = db_prepare(db, del)))
		goto fail;
	db_bind_int64(st, 1, id);
	if (db_exec_stmt(db, st) < 0 || db_commit(db) < 0)
		goto fail;
	return 0;
fail:
	db_rollback(db);
	return error("cannot remove callback %lld: %s", id, db_errmsg(db));
}

int db_callback_set_secret(struct db *db, long long id, long long association_id,
			   const char *secret)
{
	static const char sql[] =
		"UPDATE callbacks SET secret = ?3 WHERE id = ?1 AND (?2 = 0 OR association_id = ?2"
		" OR (?2 = -1 AND association_id IS NULL))";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, association_id);
	db_bind_text(st, 3, secret);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db) ? 0 : 1;
}

int db_callback_campaign_event(struct db *db, long long campaign_id, const char *type,
			       const char *status, bool cancelled, long long now)
{
	/* The counts as a JSON object made in SQL (state names are plain
	 * words): one statement for every receiver of the campaign. */
#define CAMPAIGN_EVENT(D) \
		"INSERT INTO callback_events(event_id, callback_id, campaign_id, type, state, counts," \
		" created_at, next_at)" \
		" SELECT 'evt_' || " D##RANDOM_HEX ", k.id, c.id, ?2, ?3," \
		" (SELECT '{' || coalesce(" D##STRING_AGG "('\"' || s || '\":' || CAST(n AS TEXT), ','), '')" \
		"  || '}' FROM (SELECT CASE WHEN ?4 = 1 AND state = 'queued' THEN 'cancelled'" \
		"  ELSE state END AS s, count(*) AS n FROM messages WHERE campaign_id = ?1" \
		"  GROUP BY 1) x), ?5, ?5" \
		" FROM campaigns c JOIN callbacks k" \
		" ON k.association_id IS NULL OR k.association_id = c.association_id" \
		" WHERE c.id = ?1 ORDER BY k.id"
	static const struct db_sql sql = DB_DIALECTS(CAMPAIGN_EVENT);
#undef CAMPAIGN_EVENT
	struct db_stmt *st = db_prepare_dialect(db, &sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	db_bind_text(st, 2, type);
	db_bind_text(st, 3, status);
	db_bind_int(st, 4, cancelled ? 1 : 0);
	db_bind_int64(st, 5, now);
	if (db_exec_stmt(db, st) < 0)
		return error("cannot store the %s callback of campaign %lld", type, campaign_id);
	return db_changes(db);
}

int db_callback_message_events(struct db *db, const char *ids_json, const char *state,
			       long long now)
{
#define MESSAGE_EVENTS(D) \
		"INSERT INTO callback_events(event_id, callback_id, campaign_id, type, message_id," \
		" channel, state, created_at, next_at)" \
		" SELECT 'evt_' || " D##RANDOM_HEX ", k.id, m.campaign_id, 'message.' || CAST(?2 AS TEXT)," \
		" m.id, m.channel, ?2, ?3, ?3" \
		" FROM callbacks k JOIN campaigns c" \
		" ON k.association_id IS NULL OR k.association_id = c.association_id" \
		" JOIN messages m ON m.campaign_id = c.id" \
		" WHERE k.messages = 1 AND " D##ID_IN("m.id", "?1") " ORDER BY m.id, k.id"
	static const struct db_sql sql = DB_DIALECTS(MESSAGE_EVENTS);
#undef MESSAGE_EVENTS
	static const char any[] = "SELECT 1 FROM callbacks WHERE messages = 1 LIMIT 1";
	struct db_stmt *st;
	int rc;

	if (!callback_message_state(state))
		return 0;
	/* The outbox passes here for every batch: without a receiver that
	 * wants messages one index probe is all it costs. */
	if (!(st = db_prepare(db, any)))
		return -1;
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	if (rc != DB_ROW || !(st = db_prepare_dialect(db, &sql)))
		return error("cannot store message callbacks: %s", db_errmsg(db));
	db_bind_text(st, 1, ids_json);
	db_bind_text(st, 2, state);
	db_bind_int64(st, 3, now);
	if (db_exec_stmt(db, st) < 0)
		return error("cannot store message callbacks");
	return db_changes(db);
}

int db_callback_message_event(struct db *db, long long message_id, const char *state,
			      long long now)
{
	char ids[32];

	if (!callback_message_state(state))
		return 0;
	if (bsnprintf(ids, sizeof(ids), "[%lld]", message_id) < 0)
		return -1;
	return db_callback_message_events(db, ids, state, now);
}

/* Due: pending, its time come, nobody's claim running, and no older
 * pending event of the same campaign for the same receiver. */
#define DUE_WHERE \
	" e.status = 'pending' AND e.next_at <= ?1" \
	" AND (e.claimed_until IS NULL OR e.claimed_until < ?1)" \
	" AND NOT EXISTS (SELECT 1 FROM callback_events p WHERE p.status = 'pending'" \
	"  AND p.callback_id = e.callback_id AND p.campaign_id = e.campaign_id AND p.id < e.id)"

int db_callback_any_due(struct db *db, long long now)
{
	static const char sql[] = "SELECT 1 FROM callback_events e WHERE" DUE_WHERE " LIMIT 1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return error("cannot look for due callbacks: %s", db_errmsg(db));
	return rc == DB_ROW;
}

int db_callback_claim(struct db *db, long long now, size_t max, long long by, long long until,
		      int (*cb)(const struct callback_due *, void *), void *arg)
{
#define CLAIM(D) \
		"SELECT e.id, e.callback_id, e.event_id, e.type, e.state, e.counts, e.channel," \
		" k.url, k.secret, e.campaign_id, e.message_id, c.opportunity_id, c.association_id," \
		" e.created_at, e.attempts" \
		" FROM callback_events e JOIN callbacks k ON k.id = e.callback_id" \
		" LEFT JOIN campaigns c ON c.id = e.campaign_id" \
		" WHERE" DUE_WHERE " ORDER BY e.next_at, e.id LIMIT ?2" D##SKIP_LOCKED("e")
	static const struct db_sql claim = DB_DIALECTS(CLAIM);
#undef CLAIM
	static const char mark[] =
		"UPDATE callback_events SET claimed_by = ?1, claimed_until = ?2, attempts = attempts + 1"
		" WHERE id = ?3";
	struct db_stmt *st = db_prepare_dialect(db, &claim);
	long long *ids = NULL;
	size_t n = 0;
	int rc, ret = -1;

	if (!st)
		return -1;
	ids = xcalloc(max ? max : 1, sizeof(*ids));
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, (long long)max);
	while ((rc = db_step(st)) == DB_ROW && n < max) {
		struct callback_due d = {
			.id = db_column_int64(st, 0), .callback_id = db_column_int64(st, 1),
			.event_id = db_column_text(st, 2), .type = db_column_text(st, 3),
			.state = db_column_text(st, 4), .counts = db_column_text(st, 5),
			.channel = db_column_text(st, 6), .url = db_column_text(st, 7),
			.secret = db_column_text(st, 8), .campaign_id = db_column_int64(st, 9),
			.message_id = db_column_int64(st, 10), .opportunity_id = db_column_int64(st, 11),
			.association_id = db_column_int64(st, 12), .created_at = db_column_int64(st, 13),
			.attempts = db_column_int(st, 14),
		};
		ids[n++] = d.id;
		cb(&d, arg);
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		error("cannot claim callbacks: %s", db_errmsg(db));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(st = db_prepare(db, mark)))
			goto out;
		db_bind_int64(st, 1, by);
		db_bind_int64(st, 2, until);
		db_bind_int64(st, 3, ids[i]);
		if (db_exec_stmt(db, st) < 0)
			goto out;
	}
	ret = (int)n;
out:
	free(ids);
	return ret;
}

int db_callback_record(struct db *db, const struct callback_outcome *o)
{
	static const char event[] =
		"UPDATE callback_events SET status = ?2, next_at = ?3, claimed_by = NULL,"
		" claimed_until = NULL, last_status = ?4, last_error = ?5, last_at = ?6,"
		" done_at = CASE WHEN ?2 = 'pending' THEN NULL ELSE CAST(?6 AS BIGINT) END WHERE id = ?1";
	static const char receiver[] =
		"UPDATE callbacks SET last_status = ?2, last_error = ?3, last_at = ?4 WHERE id = ?1";
	struct db_stmt *st = db_prepare(db, event);

	if (!st)
		return -1;
	db_bind_int64(st, 1, o->id);
	db_bind_text(st, 2, o->status);
	db_bind_int64(st, 3, o->next_at);
	db_bind_int64(st, 4, o->http_status);
	db_bind_text(st, 5, o->error);
	db_bind_int64(st, 6, o->now);
	if (db_exec_stmt(db, st) < 0 || !(st = db_prepare(db, receiver)))
		return -1;
	db_bind_int64(st, 1, o->callback_id);
	db_bind_int64(st, 2, o->http_status);
	db_bind_text(st, 3, o->error);
	db_bind_int64(st, 4, o->now);
	return db_exec_stmt(db, st);
}

int db_callback_release(struct db *db, const long long *ids, size_t n)
{
	static const char sql[] =
		"UPDATE callback_events SET claimed_by = NULL, claimed_until = NULL"
		" WHERE id = ? AND status = 'pending'";
	struct db_stmt *st;

	if (!n)
		return 0;
	if (db_begin(db) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!(st = db_prepare(db, sql)))
			goto fail;
		db_bind_int64(st, 1, ids[i]);
		if (db_exec_stmt(db, st) < 0)
			goto fail;
	}
	if (db_commit(db) == 0)
		return 0;
fail:
	db_rollback(db);
	return -1;
}

int db_callback_purge(struct db *db, long long before)
{
	static const char sql[] =
		"DELETE FROM callback_events WHERE status <> 'pending' AND done_at < ?";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, before);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db);
}

int db_callback_events_each(struct db *db, const struct callback_event_filter *f,
			    int (*cb)(const struct callback_event_row *, void *), void *arg)
{
	static const char sql[] =
		"SELECT * FROM (SELECT e.id, e.callback_id, e.campaign_id, e.message_id, e.created_at,"
		" e.next_at, e.last_at, e.done_at, e.event_id, e.type, e.state, e.status, e.last_error,"
		" e.attempts, coalesce(e.last_status, -1)"
		" FROM callback_events e JOIN callbacks k ON k.id = e.callback_id"
		" WHERE (?1 = 0 OR e.callback_id = ?1) AND (?2 = 0 OR e.campaign_id = ?2)"
		" AND (?3 = 0 OR k.association_id = ?3) AND (CAST(?4 AS TEXT) IS NULL OR e.status = ?4)"
		" ORDER BY e.id DESC LIMIT ?5) x ORDER BY id";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, f->callback_id);
	db_bind_int64(st, 2, f->campaign_id);
	db_bind_int64(st, 3, f->association_id);
	db_bind_text(st, 4, f->status);
	db_bind_int(st, 5, f->limit > 0 ? f->limit : 100);
	while ((rc = db_step(st)) == DB_ROW) {
		struct callback_event_row r = {
			.id = db_column_int64(st, 0), .callback_id = db_column_int64(st, 1),
			.campaign_id = db_column_int64(st, 2), .message_id = db_column_int64(st, 3),
			.created_at = db_column_int64(st, 4), .next_at = db_column_int64(st, 5),
			.last_at = db_column_int64(st, 6), .done_at = db_column_int64(st, 7),
			.event_id = db_column_text(st, 8), .type = db_column_text(st, 9),
			.state = db_column_text(st, 10), .status = db_column_text(st, 11),
			.last_error = db_column_text(st, 12), .attempts = db_column_int(st, 13),
			.last_status = db_column_int64(st, 14),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("cannot read callback events: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}
