/* SPDX-License-Identifier: MIT */
/*
 * SQL for GDPR requests, bulk import, retention and the audit log.
 * Erasure keeps figures honest without keeping the person: messages and
 * inbound texts stay as rows without address or text, pointing at one
 * erased_subscribers row that holds only language, age band and dates.
 */
#include "budbringer/db_gdpr.h"
#include "budbringer/db_report.h"
#include "budbringer/log.h"
#include "db_dialect.h"

#include <stdlib.h>
#include <string.h>

long long db_subscriber_find(struct db *db, const char *phone, const char *email)
{
	static const char sql[] =
		"SELECT id FROM subscribers WHERE (CAST(?1 AS TEXT) IS NOT NULL AND phone = ?1)"
		" OR (CAST(?2 AS TEXT) IS NOT NULL AND email = ?2) ORDER BY id LIMIT 1";
	struct db_stmt *st = db_prepare(db, sql);
	long long id = 0;
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, phone);
	db_bind_text(st, 2, email);
	rc = db_step(st);
	if (rc == DB_ROW)
		id = db_column_int64(st, 0);
	else if (rc != DB_DONE)
		id = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return id;
}

int db_audit(struct db *db, long long at, const char *actor, const char *action,
	     const char *subject, const char *detail)
{
	static const char sql[] =
		"INSERT INTO audit_log(at, actor, action, subject, detail) VALUES (?,?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, at);
	db_bind_text(st, 2, actor);
	db_bind_text(st, 3, action);
	db_bind_text(st, 4, subject);
	db_bind_text(st, 5, detail);
	return db_exec_stmt(db, st);
}

long long db_audit_last(struct db *db, const char *action, const char *subject, long long since,
			long long *last)
{
	static const char sql[] =
		"SELECT count(*), coalesce(max(at), 0) FROM audit_log WHERE at >= ?3 AND action = ?1"
		" AND (CAST(?2 AS TEXT) IS NULL OR subject = ?2)";
	struct db_stmt *st = db_prepare(db, sql);
	long long n = -1;

	if (!st)
		return -1;
	db_bind_text(st, 1, action);
	db_bind_text(st, 2, subject);
	db_bind_int64(st, 3, since);
	if (db_step(st) == DB_ROW) {
		n = db_column_int64(st, 0);
		if (last)
			*last = db_column_int64(st, 1);
	}
	db_reset(st);
	return n;
}

long long db_audit_count(struct db *db, const char *action, const char *subject, long long since)
{
	return db_audit_last(db, action, subject, since, NULL);
}

/* ------------------------------------------------------------- export --- */

/* The current row as {column: value}, every column by its SQL name. */
static json_t *row_json(struct db_stmt *st)
{
	json_t *o = json_object();
	for (int i = 0; i < db_column_count(st); i++) {
		const char *name = db_column_name(st, i);
		json_t *v;
		switch (db_column_type(st, i)) {
		case DB_INTEGER: v = json_integer(db_column_int64(st, i)); break;
		case DB_FLOAT: v = json_real(db_column_double(st, i)); break;
		case DB_NULL: v = json_null(); break;
		default:
			v = json_string(db_column_text(st, i));
			if (!v) /* not UTF-8: still shown, bytes replaced */
				v = json_string("(not valid UTF-8)");
		}
		json_object_set_new(o, name, v);
	}
	return o;
}

/* Appends every row of a prepared, bound statement to arr. */
static int rows_into(struct db *db, struct db_stmt *st, json_t *arr)
{
	int rc;
	while ((rc = db_step(st)) == DB_ROW)
		json_array_append_new(arr, row_json(st));
	db_reset(st);
	return rc == DB_DONE ? 0 : error("sql: %s", db_errmsg(db));
}

static int export_messages(struct db *db, long long id, const char *phone, const char *email,
			   json_t *arr)
{
	static const char msgs[] =
		"SELECT id, campaign_id, kind, channel, recipient, lang, subject, body, state, reason,"
		" provider, provider_msgid, coding, segments, attempts, created_at, updated_at"
		" FROM messages WHERE subscriber_id = ?1"
		" UNION SELECT id, campaign_id, kind, channel, recipient, lang, subject, body, state,"
		" reason, provider, provider_msgid, coding, segments, attempts, created_at, updated_at"
		" FROM messages WHERE subscriber_id IS NULL AND recipient IN (?2, ?3) ORDER BY id";
	static const char events[] =
		"SELECT at, state, provider, provider_msgid, detail FROM message_events"
		" WHERE message_id = ?1 ORDER BY id";
	struct db_stmt *st = db_prepare(db, msgs), *ev;
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, phone);
	db_bind_text(st, 3, email);
	while ((rc = db_step(st)) == DB_ROW) {
		json_t *m = row_json(st), *evs = json_array();
		json_object_set_new(m, "events", evs);
		json_array_append_new(arr, m);
		if (!(ev = db_prepare(db, events)))
			break;
		db_bind_int64(ev, 1, db_column_int64(st, 0));
		if (rows_into(db, ev, evs) < 0)
			break;
	}
	db_reset(st);
	return rc == DB_DONE ? 0 : -1;
}

int db_gdpr_export(struct db *db, long long id, json_t **out)
{
	static const char profile[] = "SELECT * FROM subscribers WHERE id = ?1";
	static const char interests[] =
		"SELECT interest FROM subscriber_interests WHERE subscriber_id = ?1 ORDER BY interest";
#define CONSENT(D) \
		"SELECT id, at, channel, action, source, evidence FROM consent_log" \
		" WHERE subscriber_id = ?1 OR (subscriber_id IS NULL AND" \
		" (" D##CONTAINS("source", "?2") " OR " D##CONTAINS("source", "?3") ")) ORDER BY id"
	static const struct db_sql consent = DB_DIALECTS(CONSENT);
	static const char inbound[] =
		"SELECT id, gateway_id, sender, receiver, text, received_at, intent,"
		" reply_message_id FROM inbound WHERE subscriber_id = ?1 OR sender = ?2 ORDER BY id";
	static const char suppressions[] =
		"SELECT channel, reason, source, created_at FROM suppressions"
		" WHERE address_sha256 IN (?1, ?2, ?3, ?4) ORDER BY channel";
	static const char audit[] =
		"SELECT at, actor, action, detail FROM audit_log WHERE subject = ?1 ORDER BY id";
	struct db_stmt *st = db_prepare(db, profile);
	json_t *o = NULL, *arr;
	char *phone = NULL, *email = NULL, hp[65] = "", he[65] = "", hpl[65] = "", hel[65] = "", subject[40];
	int rc, ret = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 1 : -1;
	}
	o = json_object();
	json_object_set_new(o, "profile", row_json(st));
	phone = db_column_strdup(st, 1);
	email = db_column_strdup(st, 2);
	db_reset(st);

	arr = json_array();
	json_object_set_new(o, "interests", arr);
	if (!(st = db_prepare(db, interests)))
		goto out;
	db_bind_int64(st, 1, id);
	while (db_step(st) == DB_ROW)
		json_array_append_new(arr, json_string(db_column_text(st, 0)));
	db_reset(st);

	arr = json_array();
	json_object_set_new(o, "consent_log", arr);
	if (!(st = db_prepare_dialect(db, &consent)))
		goto out;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, phone);
	db_bind_text(st, 3, email);
	if (rows_into(db, st, arr) < 0)
		goto out;

	arr = json_array();
	json_object_set_new(o, "messages", arr);
	if (export_messages(db, id, phone, email, arr) < 0)
		goto out;

	arr = json_array();
	json_object_set_new(o, "inbound", arr);
	if (!(st = db_prepare(db, inbound)))
		goto out;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, phone);
	if (rows_into(db, st, arr) < 0)
		goto out;

	arr = json_array();
	json_object_set_new(o, "suppressions", arr);
	if (phone) {
		db_suppression_hash(db, phone, hp);
		db_address_hash(phone, hpl);
	}
	if (email) {
		db_suppression_hash(db, email, he);
		db_address_hash(email, hel);
	}
	if (!(st = db_prepare(db, suppressions)))
		goto out;
	db_bind_text(st, 1, hp);
	db_bind_text(st, 2, he);
	db_bind_text(st, 3, hpl);
	db_bind_text(st, 4, hel);
	if (rows_into(db, st, arr) < 0)
		goto out;

	arr = json_array();
	json_object_set_new(o, "audit_log", arr);
	if (bsnprintf(subject, sizeof(subject), "subscriber:%lld", id) < 0 ||
	    !(st = db_prepare(db, audit)))
		goto out;
	db_bind_text(st, 1, subject);
	if (rows_into(db, st, arr) < 0)
		goto out;
	ret = 0;
out:
	free(phone);
	free(email);
	if (ret == 0)
		*out = o;
	else
		json_decref(o);
	return ret;
}

/* -------------------------------------------------------------- erase --- */

static int exec_id(struct db *db, const struct db_sql *sql, long long a, long long b,
		   const char *t1, const char *t2, long long *changes)
{
	struct db_stmt *st = db_prepare_dialect(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, a);
	if (b)
		db_bind_int64(st, 2, b);
	else
		db_bind_null(st, 2);   /* no erased_subscribers row */
	db_bind_text(st, 3, t1);
	db_bind_text(st, 4, t2);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	if (changes)
		*changes = db_changes(db);
	return 0;
}

/* keep_trace: a person who was subscribed leaves an anonymous statistics
 * row and their addresses as suppressions; a sign-up nobody confirmed was
 * never a subscriber and leaves neither (a suppression would refuse the
 * address's real owner later). */
static int erase(struct db *db, long long id, int current_year, long long now, bool keep_trace,
		 struct erase_result *res)
{
	/* ?1 subscriber id, ?2 erased row id or now, ?3 phone, ?4 email */
	static const char remember[] =
		"INSERT INTO erased_subscribers(erased_at, joined_at, left_at, lang, age_band, sms, email)"
		" SELECT ?2, (SELECT min(at) FROM consent_log WHERE subscriber_id = s.id"
		"  AND action = 'grant'),"
		" CASE WHEN s.status = 'unsubscribed' THEN (SELECT max(at) FROM consent_log"
		"  WHERE subscriber_id = s.id AND action = 'revoke') END,"
		" s.lang, ?3, CASE WHEN EXISTS (SELECT 1 FROM consent_log WHERE subscriber_id = s.id"
		"  AND channel = 'sms' AND action = 'grant') THEN 1 ELSE 0 END,"
		" CASE WHEN EXISTS (SELECT 1 FROM consent_log WHERE subscriber_id = s.id"
		"  AND channel = 'email' AND action = 'grant') THEN 1 ELSE 0 END"
		" FROM subscribers s WHERE s.id = ?1 RETURNING id";
	/* What still waits is cancelled: there is nobody left to send it to. */
	static const struct db_sql messages = DB_BOTH(
		"UPDATE messages SET erased_id = ?2, subscriber_id = NULL, recipient = '(erased)',"
		" subject = NULL, body = NULL,"
		" reason = CASE WHEN state = 'queued' THEN 'subscriber erased' ELSE reason END,"
		" state = CASE WHEN state = 'queued' THEN 'cancelled' ELSE state END"
		" WHERE subscriber_id = ?1 OR (subscriber_id IS NULL AND recipient IN (?3, ?4))");
	static const struct db_sql events = DB_BOTH(
		"UPDATE message_events SET detail = NULL WHERE detail IS NOT NULL AND message_id IN"
		" (SELECT id FROM messages WHERE subscriber_id = ?1"
		"  OR (subscriber_id IS NULL AND recipient IN (?3, ?4)))");
	static const struct db_sql inbound = DB_BOTH(
		"UPDATE inbound SET sender = '(erased)', text = NULL, subscriber_id = NULL"
		" WHERE subscriber_id = ?1 OR sender = ?3");
#define FORGET_CONSENT(D) \
		"DELETE FROM consent_log WHERE subscriber_id = ?1 OR (subscriber_id IS NULL AND" \
		" (" D##CONTAINS("source", "?3") " OR " D##CONTAINS("source", "?4") \
		" OR " D##CONTAINS("evidence", "?3") " OR " D##CONTAINS("evidence", "?4") "))"
	static const struct db_sql consent = DB_DIALECTS(FORGET_CONSENT);
	static const struct db_sql person = DB_BOTH("DELETE FROM subscribers WHERE id = ?1");
	struct subscriber s;
	long long erased_id;
	int rc = db_subscriber_get(db, id, &s);
	struct db_stmt *st;

	if (rc)
		return rc;
	memset(res, 0, sizeof(*res));
	if (db_begin(db) < 0)
		goto fail;
	erased_id = 0;
	if (keep_trace) {
		if (!(st = db_prepare(db, remember)))
			goto rollback;
		db_bind_int64(st, 1, id);
		db_bind_int64(st, 2, now);
		db_bind_text(st, 3, report_band_code(report_age_band(s.birth_year, current_year)));
		if (db_insert_id(db, st, &erased_id) != 0)
			goto rollback;
	}
	if (exec_id(db, &events, id, erased_id, s.phone, s.email, NULL) < 0 ||
	    exec_id(db, &messages, id, erased_id, s.phone, s.email, &res->messages) < 0 ||
	    exec_id(db, &inbound, id, erased_id, s.phone, s.email, &res->inbound) < 0 ||
	    exec_id(db, &consent, id, erased_id, s.phone, s.email, &res->consent_rows) < 0 ||
	    exec_id(db, &person, id, erased_id, NULL, NULL, NULL) < 0)
		goto rollback;
	/* The one thing kept of the address: its hash, so STOP stays honoured. */
	if (keep_trace &&
	    ((s.phone && db_suppress(db, s.phone, "sms", "erased", "gdpr:erase", now) < 0) ||
	     (s.email && db_suppress(db, s.email, "email", "erased", "gdpr:erase", now) < 0)))
		goto rollback;
	if (db_commit(db) < 0)
		goto rollback;
	res->erased_id = erased_id;
	subscriber_release(&s);
	return 0;
rollback:
	db_rollback(db);
fail:
	subscriber_release(&s);
	return -1;
}

int db_gdpr_erase(struct db *db, long long id, int current_year, long long now,
		  struct erase_result *res)
{
	return erase(db, id, current_year, now, true, res);
}

int db_gdpr_forget_signup(struct db *db, long long id, long long now, struct erase_result *res)
{
	return erase(db, id, 0, now, false, res);
}

/* Appends the first column of every row of st (bound by the caller). */
static int collect_ids(struct db *db, struct db_stmt *st, long long **ids, size_t *n)
{
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap)
			*ids = xrealloc(*ids, (cap = cap * 2 + 16) * sizeof(**ids));
		(*ids)[(*n)++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc == DB_DONE)
		return 0;
	free(*ids);
	*ids = NULL;
	*n = 0;
	return error("sql: %s", db_errmsg(db));
}

int db_gdpr_message_ids(struct db *db, long long id, long long **ids, size_t *n)
{
	static const char sql[] =
		"SELECT m.id FROM messages m JOIN subscribers s ON s.id = ?1"
		" WHERE m.subscriber_id = ?1 OR (m.subscriber_id IS NULL AND m.recipient IN (s.phone, s.email))";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return collect_ids(db, st, ids, n);
}

int db_gdpr_unconfirmed_before(struct db *db, long long before, int limit, long long **ids,
			       size_t *n)
{
	static const char sql[] =
		"SELECT id FROM subscribers s WHERE status = 'pending' AND created_at < ?1"
		" AND sms_consent = 0 AND email_consent = 0 AND NOT EXISTS (SELECT 1 FROM consent_log c"
		"  WHERE c.subscriber_id = s.id AND c.action = 'grant') ORDER BY id LIMIT ?2";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, before);
	db_bind_int(st, 2, limit);
	return collect_ids(db, st, ids, n);
}

/* ------------------------------------------------------------- import --- */

int db_import_row(struct db *db, const struct import_row *r, long long *id_out)
{
	static const char add[] =
		"INSERT INTO subscribers(phone, email, lang, birth_year, status,"
		" sms_consent, sms_consent_at, sms_consent_source,"
		" email_consent, email_consent_at, email_consent_source, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, 'active', CASE WHEN CAST(?1 AS TEXT) IS NOT NULL THEN 1 ELSE 0 END,"
		" CASE WHEN ?1 IS NOT NULL THEN CAST(?5 AS BIGINT) END,"
		" CASE WHEN ?1 IS NOT NULL THEN CAST(?6 AS TEXT) END,"
		" CASE WHEN CAST(?2 AS TEXT) IS NOT NULL THEN 1 ELSE 0 END,"
		" CASE WHEN ?2 IS NOT NULL THEN ?5 END, CASE WHEN ?2 IS NOT NULL THEN ?6 END, ?7, ?7)"
		" RETURNING id";
	static const char add_interest[] =
		"INSERT INTO subscriber_interests(subscriber_id, interest) VALUES (?,?)"
		" ON CONFLICT DO NOTHING";
	struct db_stmt *st = db_prepare(db, add);
	long long id;

	if (!st)
		return -1;
	db_bind_text(st, 1, r->phone);
	db_bind_text(st, 2, r->email);
	db_bind_text(st, 3, r->lang);
	if (r->birth_year)
		db_bind_int(st, 4, r->birth_year);
	db_bind_int64(st, 5, r->consent_at);
	db_bind_text(st, 6, r->source);
	db_bind_int64(st, 7, r->now);
	if (db_insert_id(db, st, &id) != 0)
		return -1;
	for (const char *const *p = r->interests; p && *p; p++) {
		if (!(st = db_prepare(db, add_interest)))
			return -1;
		db_bind_int64(st, 1, id);
		db_bind_text(st, 2, *p);
		if (db_exec_stmt(db, st) < 0)
			return -1;
	}
	if ((r->phone && db_consent_log(db, id, r->consent_at, "sms", "grant", r->source,
					r->evidence) < 0) ||
	    (r->email && db_consent_log(db, id, r->consent_at, "email", "grant", r->source,
					r->evidence) < 0))
		return -1;
	*id_out = id;
	return 0;
}

/* ---------------------------------------------------------- retention --- */

static int purge(struct db *db, const char *sql, long long before, int batch)
{
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, before);
	db_bind_int(st, 2, batch);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db);
}

int db_purge_message_bodies(struct db *db, long long before, int batch)
{
	/* Queued and sending messages keep their text: they are not out yet. */
	static const char sql[] =
		"UPDATE messages SET body = NULL, subject = NULL WHERE id IN (SELECT id FROM messages"
		" WHERE body IS NOT NULL AND created_at < ?1 AND state NOT IN ('queued', 'sending')"
		" LIMIT ?2)";
	return purge(db, sql, before, batch);
}

int db_purge_inbound_texts(struct db *db, long long before, int batch)
{
	static const char sql[] =
		"UPDATE inbound SET text = NULL WHERE id IN (SELECT id FROM inbound"
		" WHERE text IS NOT NULL AND received_at < ?1 LIMIT ?2)";
	return purge(db, sql, before, batch);
}

bool db_housekeeping_due(struct db *db, const char *task, long long now, long long interval)
{
	/* Read first: the loop asks every poll, and a write lock each time
	 * would only get in the HTTP handlers' way. */
	static const char last[] = "SELECT last_run FROM housekeeping WHERE task = ?1";
	static const char mark[] =
		"INSERT INTO housekeeping(task, last_run) VALUES (?1, ?2) ON CONFLICT(task)"
		" DO UPDATE SET last_run = excluded.last_run WHERE housekeeping.last_run <= ?2 - ?3"
		" OR housekeeping.last_run > ?2";
	struct db_stmt *st = db_prepare(db, last);
	long long prev = -1;

	if (!st)
		return false;
	db_bind_text(st, 1, task);
	if (db_step(st) == DB_ROW)
		prev = db_column_int64(st, 0);
	db_reset(st);
	/* A clock set back counts as due, or the task would wait for it. */
	if (prev >= 0 && prev > now - interval && prev <= now)
		return false;
	if (!(st = db_prepare(db, mark)))
		return false;
	db_bind_text(st, 1, task);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, interval);
	return db_exec_stmt(db, st) == 0 && db_changes(db) == 1;
}
