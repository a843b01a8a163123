/* SPDX-License-Identifier: MIT */
/*
 * SQL for the outbox's batches of state changes (see db_outbox.h). The
 * rows travel as one JSON array of [id, provider_msgid, detail] read with
 * json_each() (json_array_elements() on PostgreSQL), so one prepared
 * statement serves every batch size and the per-statement work is paid
 * once per batch. The rows are found by id alone (ID_IN, ROW_ID_IN) and
 * the state test is kept off the indexes (UNINDEXED, db_dialect.h):
 * compared with the partial index messages_due (WHERE state = 'queued'),
 * a bound state makes SQLite re-prepare the statement whenever the value
 * is bound anew, and PostgreSQL plan a scan of the whole partial index,
 * every queued row of the campaign for each claim.
 */
#include "budbringer/db_outbox.h"
#include "budbringer/callback.h"
#include "budbringer/db_callback.h"
#include "budbringer/log.h"
#include "db_dialect.h"

#include <stdlib.h>
#include <string.h>

/* Text that goes into the JSON as is, between quotes: printable ASCII. */
static bool json_plain(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

static void json_str(struct sbuf *j, const char *s)
{
	if (!s) {
		sbuf_add(j, "null", 4);
		return;
	}
	sbuf_addch(j, '"');
	while (*s) {
		size_t run = strcspn(s, "\"\\");

		sbuf_add(j, s, run);
		s += run;
		if (*s) {
			sbuf_addch(j, '\\');
			sbuf_addch(j, *s++);
		}
	}
	sbuf_addch(j, '"');
}

/* The id in decimal (a batch formats hundreds: no printf). */
static void json_id(struct sbuf *j, long long id)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long v = id < 0 ? 0ULL - (unsigned long long)id : (unsigned long long)id;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	if (id < 0)
		*--p = '-';
	sbuf_add(j, p, (size_t)(buf + sizeof(buf) - p));
}

/*
 * The rows listed in idx (only the moved ones when moved_only) as a JSON
 * array: of [id, provider_msgid, detail] with texts, else of plain ids.
 */
static void rows_json(struct sbuf *j, const struct db_outbox_row *rows, const size_t *idx,
		      size_t m, bool moved_only, bool texts)
{
	const char *sep = "";

	sbuf_reset(j);
	sbuf_addch(j, '[');
	for (size_t k = 0; k < m; k++) {
		const struct db_outbox_row *r = &rows[idx[k]];

		if (moved_only && !r->changed)
			continue;
		sbuf_addstr(j, sep);
		if (!texts) {
			json_id(j, r->id);
		} else {
			sbuf_addch(j, '[');
			json_id(j, r->id);
			sbuf_addch(j, ',');
			json_str(j, r->provider_msgid);
			sbuf_addch(j, ',');
			json_str(j, r->detail);
			sbuf_addch(j, ']');
		}
		sep = ",";
	}
	sbuf_addch(j, ']');
}

/* Rows whose text JSON would not carry byte for byte go one at a time. */
static int one_by_one(struct db *db, struct db_outbox_row *r, const char *from,
		      const struct message_change *ch)
{
	struct message_change c = *ch;
	int rc;

	if (r->provider_msgid)
		c.provider_msgid = r->provider_msgid;
	if (r->detail)
		c.detail = r->detail;
	rc = db_message_transition(db, r->id, from, &c);
	r->changed = rc == 0;
	return rc < 0 ? -1 : r->changed;
}

int db_outbox_transition(struct db *db, struct db_outbox_row *rows, size_t n, const char *from,
			 const struct message_change *ch)
{
#define UPDATE(D) \
		"UPDATE messages SET state = ?1, updated_at = ?2," \
		" provider = coalesce(?3, provider)," \
		" provider_msgid = coalesce(j.value ->> 1, ?4, provider_msgid)," \
		" reason = coalesce(?5, reason), attempts = attempts + ?6," \
		" not_before = CASE WHEN ?7 > 0 THEN ?7 ELSE not_before END," DB_CLAIM_SET "," \
		DB_COST_SET " FROM " D##JSON_ROWS("?9") " WHERE messages.id = " D##JSON_ID_AT("0") \
		" AND " D##ROW_ID_IN("messages.id", "?9") \
		" AND " D##UNINDEXED("messages.state") " = ?8 RETURNING messages.id"
	/* Without per-row text (a claim): IN is a one-pass update, the join is not. */
#define UPDATE_IDS(D) \
		"UPDATE messages SET state = ?1, updated_at = ?2," \
		" provider = coalesce(?3, provider)," \
		" provider_msgid = coalesce(?4, provider_msgid)," \
		" reason = coalesce(?5, reason), attempts = attempts + ?6," \
		" not_before = CASE WHEN ?7 > 0 THEN ?7 ELSE not_before END," DB_CLAIM_SET "," \
		DB_COST_SET " WHERE " D##ID_IN("id", "?9") " AND " D##UNINDEXED("state") " = ?8" \
		" RETURNING id"
#define EVENTS(D) \
		"INSERT INTO message_events(message_id, at, state, provider, provider_msgid, detail)" \
		" SELECT " D##JSON_ID_AT("0") ", ?2, ?1, ?3, coalesce(j.value ->> 1, ?4)," \
		" coalesce(j.value ->> 2, ?5) FROM " D##JSON_ROWS("?6")
#define EVENTS_IDS "INSERT INTO message_events(message_id, at, state, provider, provider_msgid, detail)"
	/*
	 * On PostgreSQL one statement moves the rows and records the events
	 * of those it moved (a data-modifying CTE; ?12 is the event's detail),
	 * a round trip less per batch; SQLite has no such CTE, so there the
	 * events statement follows and the PostgreSQL text of it is NULL.
	 */
#define PG_RECORDING(update, returning, ev_msgid, ev_detail) \
		"WITH moved AS (" update returning ")," \
		" ev AS (" EVENTS_IDS " SELECT id, ?2, ?1, ?3, " ev_msgid ", " ev_detail " FROM moved)" \
		" SELECT id FROM moved"
	static const struct db_sql update = {
		.sqlite = UPDATE(SQLITE_),
		.postgresql = PG_RECORDING(UPDATE(PG_), ", j.value", "coalesce(value ->> 1, ?4)",
					   "coalesce(value ->> 2, ?12)") },
		update_ids = { .sqlite = UPDATE_IDS(SQLITE_),
			       .postgresql = PG_RECORDING(UPDATE_IDS(PG_), "", "?4", "?12") },
		events = { .sqlite = EVENTS(SQLITE_), .postgresql = NULL },
		events_ids = { .sqlite = EVENTS_IDS " SELECT value, ?2, ?1, ?3, ?4, ?5 FROM json_each(?6)",
			       .postgresql = NULL };
	const struct db_sql *ev;
	const char *ev_detail = ch->detail ? ch->detail : ch->reason;
	struct sbuf j = SBUF_INIT;
	struct db_stmt *st;
	size_t *idx, m = 0, next = 0;
	bool texts = false;
	int rc, moved = 0, ret = -1;

	if (!from)
		return error("db_outbox_transition: no `from` state");
	idx = xcalloc(n, sizeof(*idx));
	for (size_t i = 0; i < n; i++) {
		rows[i].changed = false;
		if (json_plain(rows[i].provider_msgid) && json_plain(rows[i].detail)) {
			texts = texts || rows[i].provider_msgid || rows[i].detail;
			idx[m++] = i;
			continue;
		}
		rc = one_by_one(db, &rows[i], from, ch);
		if (rc < 0)
			goto out;
		moved += rc;
	}
	if (!m) {
		ret = moved;
		goto out;
	}
	rows_json(&j, rows, idx, m, false, texts);
	if (!(st = db_prepare_dialect(db, texts ? &update : &update_ids)))
		goto out;
	db_bind_change(st, ch);
	db_bind_text(st, 8, from);
	db_bind_textn(st, 9, j.buf, j.len);
	if (db_param_count(st) >= 12)
		db_bind_text(st, 12, ev_detail);
	/* RETURNING: the first step makes every change, then the rows follow,
	 * in practice in the array's order: the search starts after the last. */
	while ((rc = db_step(st)) == DB_ROW) {
		long long id = db_column_int64(st, 0);

		for (size_t t = 0; t < m; t++, next = (next + 1) % m) {
			struct db_outbox_row *r = &rows[idx[next]];

			if (r->id == id && !r->changed) {
				r->changed = true;
				moved++;
				break;
			}
		}
	}
	db_reset(st);
	/* the bindings were copies: j may go */
	if (rc != DB_DONE) {
		error("sql: %s", db_errmsg(db));
		goto out;
	}
	ev = texts ? &events : &events_ids;
	rows_json(&j, rows, idx, m, true, texts);
	if (j.len <= 2)
		goto done;	/* none moved */
	if (db_dialect_text(db, ev)) {
		if (!(st = db_prepare_dialect(db, ev)))
			goto out;
		db_bind_text(st, 1, ch->to);
		db_bind_int64(st, 2, ch->now);
		db_bind_text(st, 3, ch->provider);
		db_bind_text(st, 4, ch->provider_msgid);
		db_bind_text(st, 5, ev_detail);
		db_bind_textn(st, 6, j.buf, j.len);
		if (db_exec_stmt(db, st) < 0)
			goto out;
	}
	/* Final states are reported to status callbacks, one statement for
	 * the batch. */
	if (callback_message_state(ch->to)) {
		rows_json(&j, rows, idx, m, true, false);
		if (db_callback_message_events(db, j.buf, ch->to, ch->now) < 0)
			goto out;
	}
done:
	ret = moved;
out:
	free(idx);
	sbuf_release(&j);
	return ret;
}
