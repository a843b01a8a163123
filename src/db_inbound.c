/* SPDX-License-Identifier: MIT */
/* SQL for inbound SMS and for the profile changes subscribers make themselves. */
#include "budbringer/db_inbound.h"
#include "budbringer/log.h"

#include <string.h>

int db_inbound_seen(struct db *db, const char *gateway_id)
{
	static const char sql[] = "SELECT 1 FROM inbound WHERE gateway_id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, gateway_id);
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return error("sql: %s", db_errmsg(db));
	return rc == DB_ROW;
}

int db_inbound_insert(struct db *db, const struct inbound_row *r, long long *id_out)
{
	static const char sql[] =
		"INSERT INTO inbound(gateway_id, sender, receiver, text, received_at, intent,"
		" subscriber_id, reply_message_id, reply) VALUES (?,?,?,?,?,?,?,?,?)"
		" ON CONFLICT (gateway_id) DO NOTHING RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);
	long long id;
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, r->gateway_id);
	db_bind_text(st, 2, r->sender);
	db_bind_text(st, 3, r->receiver);
	db_bind_text(st, 4, r->text);
	db_bind_int64(st, 5, r->received_at);
	db_bind_text(st, 6, r->intent);
	if (r->subscriber_id)
		db_bind_int64(st, 7, r->subscriber_id);
	if (r->reply_message_id)
		db_bind_int64(st, 8, r->reply_message_id);
	db_bind_text(st, 9, r->reply);
	rc = db_insert_id(db, st, &id);
	if (rc == 0 && id_out)
		*id_out = id;
	return rc;
}

int db_inbound_replies_since(struct db *db, const char *sender, const char *sender_alt,
			     long long since, int *replies, bool *limited)
{
	/* inbound_sender(sender, received_at) serves both numbers. */
	static const char sql[] =
		"SELECT count(*), coalesce(sum(CASE WHEN reply IN ('help', 'not_subscribed') THEN 1 ELSE 0 END), 0)"
		" FROM inbound WHERE sender IN (?1, ?2) AND received_at >= ?3"
		" AND reply_message_id IS NOT NULL";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, sender);
	db_bind_text(st, 2, sender_alt ? sender_alt : sender);
	db_bind_int64(st, 3, since);
	rc = db_step(st);
	if (rc == DB_ROW) {
		*replies = db_column_int(st, 0);
		*limited = db_column_int(st, 1) > 0;
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : error("sql: %s", db_errmsg(db));
}

static long long find_id(struct db *db, struct db_stmt *st, const char *value)
{
	long long id = 0;
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, value);
	rc = db_step(st);
	if (rc == DB_ROW)
		id = db_column_int64(st, 0);
	else if (rc != DB_DONE)
		id = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return id;
}

long long db_subscriber_by_phone(struct db *db, const char *phone)
{
	static const char sql[] = "SELECT id FROM subscribers WHERE phone = ?";
	return find_id(db, db_prepare(db, sql), phone);
}

long long db_subscriber_by_email(struct db *db, const char *email)
{
	static const char sql[] = "SELECT id FROM subscribers WHERE email = ?";
	return find_id(db, db_prepare(db, sql), email);
}

int db_subscriber_set_lang(struct db *db, long long id, const char *lang, long long now)
{
	static const char sql[] = "UPDATE subscribers SET lang = ?, updated_at = ? WHERE id = ?";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_text(st, 1, lang);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	return db_exec_stmt(db, st);
}

int db_subscriber_set_birth_year(struct db *db, long long id, int year, long long now)
{
	static const char sql[] = "UPDATE subscribers SET birth_year = ?, updated_at = ? WHERE id = ?";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int(st, 1, year);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	return db_exec_stmt(db, st);
}

int db_subscriber_set_interests(struct db *db, long long id, const char *const *codes, size_t n,
				bool replace, long long now)
{
	static const char clear[] = "DELETE FROM subscriber_interests WHERE subscriber_id = ?";
	static const char add[] =
		"INSERT INTO subscriber_interests(subscriber_id, interest) VALUES (?,?)"
		" ON CONFLICT DO NOTHING";
	static const char touch[] = "UPDATE subscribers SET updated_at = ? WHERE id = ?";
	struct db_stmt *st;

	if (replace) {
		if (!(st = db_prepare(db, clear)))
			return -1;
		db_bind_int64(st, 1, id);
		if (db_exec_stmt(db, st) < 0)
			return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!(st = db_prepare(db, add)))
			return -1;
		db_bind_int64(st, 1, id);
		db_bind_text(st, 2, codes[i]);
		if (db_exec_stmt(db, st) < 0)
			return -1;
	}
	if (!(st = db_prepare(db, touch)))
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	return db_exec_stmt(db, st);
}

int db_subscriber_set_status_from(struct db *db, long long id, const char *from, const char *to,
				  long long now)
{
	static const char sql[] =
		"UPDATE subscribers SET status = ?1, updated_at = ?2 WHERE id = ?3 AND status = ?4";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_text(st, 1, to);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	db_bind_text(st, 4, from);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db) ? 0 : 1;
}

int db_subscriber_delete_pending(struct db *db, long long id)
{
	static const char del[] = "DELETE FROM subscribers WHERE id = ? AND status = 'pending'";
	static const char log[] = "DELETE FROM consent_log WHERE subscriber_id = ?";
	struct db_stmt *st = db_prepare(db, del);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	if (!db_changes(db))
		return 1;
	if (!(st = db_prepare(db, log)))
		return -1;
	db_bind_int64(st, 1, id);
	return db_exec_stmt(db, st);
}

char *db_confirm_question(struct db *db, long long subscriber_id, const char *channel,
			  long long *at_out)
{
	static const char sql[] =
		"SELECT body, created_at FROM messages WHERE subscriber_id = ? AND kind = 'confirm'"
		" AND channel = ? ORDER BY created_at DESC, id DESC LIMIT 1";
	struct db_stmt *st = db_prepare(db, sql);
	char *body = NULL;

	if (!st)
		return NULL;
	db_bind_int64(st, 1, subscriber_id);
	db_bind_text(st, 2, channel);
	if (db_step(st) == DB_ROW) {
		body = db_column_strdup(st, 0);
		if (at_out)
			*at_out = db_column_int64(st, 1);
	}
	db_reset(st);
	return body;
}

int db_sms_stopped_since_asked(struct db *db, long long subscriber_id)
{
	static const char sql[] =
		"SELECT r IS NOT NULL AND (q IS NULL OR q < r) FROM"
		" (SELECT (SELECT max(at) FROM consent_log WHERE subscriber_id = ?1 AND channel = 'sms'"
		"   AND action = 'revoke') AS r,"
		"  (SELECT max(created_at) FROM messages WHERE subscriber_id = ?1 AND kind = 'confirm'"
		"   AND channel = 'sms') AS q) AS latest";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret;

	if (!st)
		return -1;
	db_bind_int64(st, 1, subscriber_id);
	rc = db_step(st);
	ret = rc == DB_ROW ? db_column_int(st, 0)
			       : error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_number_texted_us(struct db *db, const char *e164)
{
	static const char sql[] = "SELECT 1 FROM inbound WHERE sender = ? LIMIT 1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, e164);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

long long db_confirm_sms_to_strangers_since(struct db *db, long long since, const char *prefix)
{
	/* The range on recipient is the prefix's block of numbers. */
	static const char sql[] =
		"SELECT count(*) FROM messages m WHERE m.created_at >= ?1 AND m.kind = 'confirm'"
		" AND m.channel = 'sms' AND (CAST(?2 AS TEXT) IS NULL OR (m.recipient >= ?2 AND m.recipient < ?2 || ':'))"
		" AND NOT EXISTS (SELECT 1 FROM inbound i WHERE i.sender = m.recipient)";
	struct db_stmt *st = db_prepare(db, sql);
	long long n = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	db_bind_text(st, 2, prefix);
	if (db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	db_reset(st);
	return n;
}
