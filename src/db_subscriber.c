/* SPDX-License-Identifier: MIT */
/* SQL for subscribers, their interests, the consent log and suppressions. */
#include "budbringer/db.h"
#include "budbringer/log.h"
#include "db_dialect.h"
#include "budbringer/sbuf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

int db_consent_log(struct db *db, long long subscriber_id, long long at, const char *channel,
		   const char *action, const char *source, const char *evidence)
{
	static const char sql[] =
		"INSERT INTO consent_log(subscriber_id, at, channel, action, source, evidence)"
		" VALUES (?,?,?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	if (subscriber_id)
		db_bind_int64(st, 1, subscriber_id);
	db_bind_int64(st, 2, at);
	db_bind_text(st, 3, channel);
	db_bind_text(st, 4, action);
	db_bind_text(st, 5, source);
	db_bind_text(st, 6, evidence);
	return db_exec_stmt(db, st);
}

int db_subscriber_add(struct db *db, const struct subscriber_in *in, long long *id_out)
{
	static const char add[] =
		"INSERT INTO subscribers(phone, email, lang, birth_year, status,"
		" sms_consent, sms_consent_at, sms_consent_source,"
		" email_consent, email_consent_at, email_consent_source, created_at, updated_at)"
		" VALUES (?1,?2,?3,?4,?5,CAST(?6 AS BIGINT),CASE WHEN ?6 = 1 THEN CAST(?8 AS BIGINT) END,"
		" CASE WHEN ?6 = 1 THEN CAST(?9 AS TEXT) END,"
		" CAST(?7 AS BIGINT),CASE WHEN ?7 = 1 THEN ?8 END,CASE WHEN ?7 = 1 THEN ?9 END,?8,?8)"
		" RETURNING id";
	static const char add_interest[] =
		"INSERT INTO subscriber_interests(subscriber_id, interest) VALUES (?,?)"
		" ON CONFLICT DO NOTHING";
	struct db_stmt *st;
	long long id;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, add)))
		goto fail;
	db_bind_text(st, 1, in->phone);
	db_bind_text(st, 2, in->email);
	db_bind_text(st, 3, in->lang);
	if (in->birth_year)
		db_bind_int(st, 4, in->birth_year);
	db_bind_text(st, 5, in->status);
	db_bind_int(st, 6, in->consent[CHANNEL_SMS] && in->phone);
	db_bind_int(st, 7, in->consent[CHANNEL_EMAIL] && in->email);
	db_bind_int64(st, 8, in->now);
	db_bind_text(st, 9, in->source);
	if (db_insert_id(db, st, &id) != 0) {
		error("cannot add subscriber");
		goto fail;
	}
	for (const char *const *p = in->interests; p && *p; p++) {
		if (!(st = db_prepare(db, add_interest)))
			goto fail;
		db_bind_int64(st, 1, id);
		db_bind_text(st, 2, *p);
		if (db_exec_stmt(db, st) < 0)
			goto fail;
	}
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		const char *addr = c == CHANNEL_SMS ? in->phone : in->email;
		if (!addr)
			continue;
		if (db_consent_log(db, id, in->now, channel_name((enum channel)c),
				   in->consent[c] ? "grant" : "request", in->source, in->evidence) < 0)
			goto fail;
	}
	if (db_commit(db) < 0)
		goto fail;
	*id_out = id;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int db_subscriber_never_confirmed(struct db *db, long long id)
{
	static const char sql[] =
		"SELECT status = 'pending' AND NOT EXISTS (SELECT 1 FROM consent_log c"
		" WHERE c.subscriber_id = s.id AND c.action = 'grant') FROM subscribers s WHERE s.id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		ret = db_column_int(st, 0) ? 1 : 0;
	else if (rc == DB_DONE)
		ret = 0;
	db_reset(st);
	return ret;
}

#define SUBSCRIBER_COLUMNS(D) \
	"SELECT s.id, s.phone, s.email, s.lang, s.birth_year, s.status, s.sms_consent," \
	" s.email_consent, s.created_at," \
	" (SELECT " D##STRING_AGG "(interest, ',') FROM subscriber_interests i" \
	"  WHERE i.subscriber_id = s.id) FROM subscribers s"

static void load_subscriber_row(struct db_stmt *st, struct subscriber *s)
{
	const char *lang = db_column_text(st, 3);
	const char *status = db_column_text(st, 5);

	memset(s, 0, sizeof(*s));
	s->id = db_column_int64(st, 0);
	s->phone = db_column_strdup(st, 1);
	s->email = db_column_strdup(st, 2);
	if (lang && strlen(lang) < sizeof(s->lang))
		memcpy(s->lang, lang, strlen(lang) + 1);
	s->birth_year = db_column_int(st, 4);
	if (status && strlen(status) < sizeof(s->status))
		memcpy(s->status, status, strlen(status) + 1);
	s->consent[CHANNEL_SMS] = db_column_int(st, 6) != 0;
	s->consent[CHANNEL_EMAIL] = db_column_int(st, 7) != 0;
	s->created_at = db_column_int64(st, 8);
	model_split_csv(db_column_text(st, 9), s->interests, MODEL_MAX_INTERESTS);
}

int db_subscriber_get(struct db *db, long long id, struct subscriber *out)
{
#define GET(D) SUBSCRIBER_COLUMNS(D) " WHERE s.id = ?"
	static const struct db_sql sql = DB_DIALECTS(GET);
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		load_subscriber_row(st, out);
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int db_subscriber_each(struct db *db, int (*cb)(const struct subscriber *, void *), void *arg)
{
#define EACH(D) SUBSCRIBER_COLUMNS(D) " ORDER BY s.id"
	static const struct db_sql sql = DB_DIALECTS(EACH);
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	int ret = 0;

	if (!st)
		return -1;
	while (!ret && db_step(st) == DB_ROW) {
		struct subscriber s;
		load_subscriber_row(st, &s);
		ret = cb(&s, arg);
		subscriber_release(&s);
	}
	db_reset(st);
	return ret;
}

void db_address_hash(const char *address, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	static const char hex[] = "0123456789abcdef";

	EVP_Digest(address, strlen(address), md, &len, EVP_sha256(), NULL);
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

void db_suppression_hash(struct db *db, const char *address, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *key = db_address_key(db);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	if (!key || !HMAC(EVP_sha256(), key, 32, (const unsigned char *)address, strlen(address),
			  md, &len) || len != 32) {
		db_address_hash(address, out);
		return;
	}
	for (unsigned i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* 1 when a row with this hash and channel exists, 0 not, -1 error. */
static int suppression_row(struct db *db, const char *hash, const char *channel)
{
	static const char sql[] =
		"SELECT 1 FROM suppressions WHERE address_sha256 = ? AND channel = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, hash);
	db_bind_text(st, 2, channel);
	rc = db_step(st);
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

#define SUPPRESSED_IN(D) \
	"SELECT address_sha256, channel, reason FROM suppressions" \
	" WHERE address_sha256 IN (" D##JSON_VALUES("?1") ")"

int db_suppressions_any(struct db *db)
{
	static const char sql[] = "SELECT 1 FROM suppressions LIMIT 1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	rc = db_step(st);
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return error("sql: %s", db_errmsg(db));
	return rc == DB_ROW;
}

int db_suppressed_batch(struct db *db, struct db_suppressed_q *q, size_t n)
{
	static const struct db_sql sql = DB_DIALECTS(SUPPRESSED_IN);
	char (*keyed)[65] = xcalloc(n ? n : 1, sizeof(*keyed));
	char (*plain)[65] = xcalloc(n ? n : 1, sizeof(*plain));
	struct sbuf hashes = SBUF_INIT;
	struct db_stmt *st;
	int rc = DB_DONE, ret = -1;

	sbuf_addch(&hashes, '[');
	for (size_t i = 0; i < n; i++) {
		q[i].suppressed = false;
		q[i].reason[0] = '\0';
		if (!q[i].address)
			continue;
		db_suppression_hash(db, q[i].address, keyed[i]);
		db_address_hash(q[i].address, plain[i]);
		sbuf_addf(&hashes, "%s\"%s\",\"%s\"", hashes.len > 1 ? "," : "", keyed[i], plain[i]);
	}
	sbuf_addch(&hashes, ']');
	if (hashes.len > 2) {
		if (!(st = db_prepare_dialect(db, &sql)))
			goto out;
		db_bind_text(st, 1, hashes.buf);
		while ((rc = db_step(st)) == DB_ROW) {
			const char *h = db_column_text(st, 0), *ch = db_column_text(st, 1);
			const char *why = db_column_text(st, 2);

			for (size_t i = 0; i < n && h && ch; i++) {
				bool k = !strcmp(h, keyed[i]);

				if (!q[i].address || strcmp(ch, q[i].channel) || (!k && strcmp(h, plain[i])))
					continue;
				if ((k || !q[i].suppressed) &&
				    bsnprintf(q[i].reason, sizeof(q[i].reason), "%s", why ? why : "") < 0)
					q[i].reason[0] = '\0';
				q[i].suppressed = true;
			}
		}
		db_reset(st);
		if (rc != DB_DONE) {
			error("sql: %s", db_errmsg(db));
			goto out;
		}
	}
	ret = 0;
out:
	free(keyed);
	free(plain);
	sbuf_release(&hashes);
	return ret;
}

bool db_is_suppressed(struct db *db, const char *address, const char *channel)
{
	/* A row from before the list was keyed: rewritten to the keyed form
	 * when its address comes by, so it keeps working and then goes. */
	static const char upgrade[] =
		"INSERT INTO suppressions(address_sha256, channel, reason, source, created_at)"
		" SELECT ?1, channel, reason, source, created_at FROM suppressions"
		" WHERE address_sha256 = ?2 AND channel = ?3 ON CONFLICT DO NOTHING";
	static const char drop[] = "DELETE FROM suppressions WHERE address_sha256 = ? AND channel = ?";
	char keyed[65], plain[65];
	struct db_stmt *st;
	int rc;

	db_suppression_hash(db, address, keyed);
	rc = suppression_row(db, keyed, channel);
	if (rc != 0)
		return true; /* found, or fail closed: never message someone we cannot check */
	db_address_hash(address, plain);
	if (!strcmp(plain, keyed))
		return false;
	rc = suppression_row(db, plain, channel);
	if (rc <= 0)
		return rc < 0;
	if (db_begin(db) == 0 && (st = db_prepare(db, upgrade))) {
		db_bind_text(st, 1, keyed);
		db_bind_text(st, 2, plain);
		db_bind_text(st, 3, channel);
		if (db_exec_stmt(db, st) == 0 && (st = db_prepare(db, drop))) {
			db_bind_text(st, 1, plain);
			db_bind_text(st, 2, channel);
			if (db_exec_stmt(db, st) == 0 && db_commit(db) == 0)
				return true;
		}
		db_rollback(db);
	}
	return true;   /* suppressed either way; the upgrade waits for next time */
}

int db_suppress(struct db *db, const char *address, const char *channel, const char *reason,
		const char *source, long long now)
{
	static const char sql[] =
		"INSERT INTO suppressions(address_sha256, channel, reason, source, created_at)"
		" VALUES (?,?,?,?,?) ON CONFLICT (address_sha256, channel) DO UPDATE SET reason = excluded.reason,"
		" source = excluded.source, created_at = excluded.created_at";
	struct db_stmt *st = db_prepare(db, sql);
	char h[65];

	if (!st)
		return -1;
	db_suppression_hash(db, address, h);
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, channel);
	db_bind_text(st, 3, reason);
	db_bind_text(st, 4, source);
	db_bind_int64(st, 5, now);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_unsuppress_legacy(db, address, channel);
}

int db_unsuppress_legacy(struct db *db, const char *address, const char *channel)
{
	static const char sql[] = "DELETE FROM suppressions WHERE address_sha256 = ? AND channel = ?";
	struct db_stmt *st;
	char keyed[65], plain[65];

	db_suppression_hash(db, address, keyed);
	db_address_hash(address, plain);
	if (!strcmp(keyed, plain) || !(st = db_prepare(db, sql)))
		return strcmp(keyed, plain) ? -1 : 0;
	db_bind_text(st, 1, plain);
	db_bind_text(st, 2, channel);
	return db_exec_stmt(db, st);
}

int db_unsuppress(struct db *db, const char *address, const char *channel)
{
	static const char sql[] = "DELETE FROM suppressions WHERE address_sha256 = ? AND channel = ?";
	struct db_stmt *st = db_prepare(db, sql);
	char h[65];
	if (!st)
		return -1;
	db_suppression_hash(db, address, h);
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, channel);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_unsuppress_legacy(db, address, channel);
}

int db_subscriber_set_consent(struct db *db, long long id, enum channel ch, bool on,
			      const char *source, long long now)
{
	static const char sms[] =
		"UPDATE subscribers SET sms_consent = ?1, sms_consent_at = ?2, sms_consent_source = ?3,"
		" updated_at = ?2 WHERE id = ?4";
	static const char email[] =
		"UPDATE subscribers SET email_consent = ?1, email_consent_at = ?2,"
		" email_consent_source = ?3, updated_at = ?2 WHERE id = ?4";
	struct db_stmt *st = db_prepare(db, ch == CHANNEL_SMS ? sms : email);
	if (!st)
		return -1;
	db_bind_int(st, 1, on ? 1 : 0);
	db_bind_int64(st, 2, now);
	db_bind_text(st, 3, source);
	db_bind_int64(st, 4, id);
	return db_exec_stmt(db, st);
}

int db_subscriber_settle_status(struct db *db, long long id, long long now)
{
	static const char sql[] =
		"UPDATE subscribers SET updated_at = ?2, status = CASE"
		" WHEN (sms_consent = 1 AND phone IS NOT NULL) OR (email_consent = 1 AND email IS NOT NULL)"
		"  THEN 'active' WHEN status = 'pending' THEN 'pending' ELSE 'unsubscribed' END"
		" WHERE id = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	return db_exec_stmt(db, st);
}

int db_consent_each(struct db *db, long long subscriber_id,
		    int (*cb)(const struct consent_row *, void *), void *arg)
{
	static const char sql[] =
		"SELECT at, channel, action, source, evidence FROM consent_log"
		" WHERE subscriber_id = ?1 ORDER BY at, id";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, subscriber_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct consent_row r = {
			.at = db_column_int64(st, 0), .channel = db_column_text(st, 1),
			.action = db_column_text(st, 2), .source = db_column_text(st, 3),
			.evidence = db_column_text(st, 4),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}
