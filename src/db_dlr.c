/* SPDX-License-Identifier: MIT */
/* SQL for delivery reports (see db_dlr.h for the rules). */
#include "budbringer/db_dlr.h"
#include "budbringer/db_callback.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <stdlib.h>
#include <string.h>

const char *dlr_outcome_name(enum dlr_outcome o)
{
	switch (o) {
	case DLR_DELIVERED: return "delivered";
	case DLR_FAILED: return "failed";
	case DLR_EXPIRED: return "expired";
	default: return "interim";
	}
}

struct found {
	long long id;
	char state[16];
	char *provider, *provider_msgid;
};

/* Delivery reports come from SMS gateways: they settle SMS messages only,
 * never an email that happens to share an id or a provider_msgid. */
static int find_message(struct db *db, const struct dlr_report *r, struct found *f)
{
	static const char by_id[] =
		"SELECT id, state, provider, provider_msgid FROM messages WHERE id = ? AND channel = 'sms'";
	static const char by_msgid[] =
		"SELECT id, state, provider, provider_msgid FROM messages WHERE provider_msgid = ?"
		" AND channel = 'sms' ORDER BY id DESC LIMIT 1";
	struct db_stmt *st = db_prepare(db, r->msg_id ? by_id : by_msgid);
	int rc;

	if (!st)
		return -1;
	if (r->msg_id)
		db_bind_int64(st, 1, r->msg_id);
	else
		db_bind_text(st, 1, r->provider_msgid);
	rc = db_step(st);
	if (rc == DB_ROW) {
		const char *s = db_column_text(st, 1);
		f->id = db_column_int64(st, 0);
		if (bsnprintf(f->state, sizeof(f->state), "%s", s ? s : "") < 0)
			f->state[0] = '\0';
		f->provider = db_column_strdup(st, 2);
		f->provider_msgid = db_column_strdup(st, 3);
	}
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return 1;
	return error("sql: %s", db_errmsg(db));
}

static int add_event(struct db *db, const struct found *f, long long at, const char *state,
		     const char *provider_msgid, const char *detail)
{
	static const char sql[] =
		"INSERT INTO message_events(message_id, at, state, provider, provider_msgid, detail)"
		" VALUES (?,?,?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, f->id);
	db_bind_int64(st, 2, at);
	db_bind_text(st, 3, state);
	db_bind_text(st, 4, f->provider);
	db_bind_text(st, 5, provider_msgid ? provider_msgid : f->provider_msgid);
	db_bind_text(st, 6, detail);
	return db_exec_stmt(db, st);
}

/* Ends the message if it is still in the state we read (same transaction). */
static int finish(struct db *db, const struct found *f, const char *to, const char *reason,
		  const char *provider_msgid, long long now)
{
	static const char sql[] =
		"UPDATE messages SET state = ?1, updated_at = ?2, reason = coalesce(?3, reason),"
		" provider_msgid = coalesce(provider_msgid, ?4) WHERE id = ?5 AND state = ?6";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_text(st, 1, to);
	db_bind_int64(st, 2, now);
	db_bind_text(st, 3, reason);
	db_bind_text(st, 4, provider_msgid);
	db_bind_int64(st, 5, f->id);
	db_bind_text(st, 6, f->state);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db) ? 0 : 1;
}

static bool is_open(const char *state)
{
	static const char open_states[] = DLR_OPEN_STATES;
	size_t n = strlen(state);

	for (const char *p = open_states; n && (p = strstr(p, state)); p += n)
		if ((p == open_states || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

int db_dlr_apply(struct db *db, const struct dlr_report *r, char *state_out, size_t state_size)
{
	struct found f = { 0 };
	struct sbuf detail = SBUF_INIT;
	const char *to = NULL;
	int ret = -1, rc;

	if (db_begin(db) < 0)
		return -1;
	rc = find_message(db, r, &f);
	if (rc != 0) {
		ret = rc < 0 ? -1 : 2;
		goto out;
	}
	if (r->outcome != DLR_INTERIM && is_open(f.state))
		to = dlr_outcome_name(r->outcome);
	sbuf_addf(&detail, "delivery report: %s", r->detail ? r->detail : "");
	if (!to && r->outcome != DLR_INTERIM)
		sbuf_addf(&detail, " (ignored: message already %s)", f.state);
	if (to) {
		rc = finish(db, &f, to, r->outcome == DLR_DELIVERED ? NULL : detail.buf,
			    r->provider_msgid, r->now);
		if (rc < 0)
			goto out;
		if (rc == 0 && (bsnprintf(f.state, sizeof(f.state), "%s", to) < 0 ||
				db_callback_message_event(db, f.id, to, r->now) < 0))
			goto out;
		if (rc == 1)
			to = NULL;
	}
	/* Interim and late reports are history: recorded under the current state. */
	if (add_event(db, &f, r->now, f.state, r->provider_msgid, detail.buf) < 0)
		goto out;
	ret = to ? 0 : 1;
out:
	if (ret < 0 || ret == 2)
		db_rollback(db);
	else if (db_commit(db) < 0) {
		db_rollback(db);
		ret = -1;
	}
	if (ret >= 0 && ret != 2 && state_out && bsnprintf(state_out, state_size, "%s", f.state) < 0)
		state_out[0] = '\0';
	free(f.provider);
	free(f.provider_msgid);
	sbuf_release(&detail);
	return ret;
}

long long db_dlr_message_id(struct db *db, const struct dlr_report *r)
{
	struct found f = { 0 };
	int rc = find_message(db, r, &f);

	free(f.provider);
	free(f.provider_msgid);
	return rc == 0 ? f.id : rc < 0 ? -1 : 0;
}
