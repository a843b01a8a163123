/* SPDX-License-Identifier: MIT */
/* SQL for the portal's tables: associations, their API tokens, opportunities. */
#include "budbringer/db.h"
#include "budbringer/clock.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int db_association_add(struct db *db, const char *name, const char *email, long long *id_out)
{
	static const char sql[] =
		"INSERT INTO associations(name, contact_email, active, created_at) VALUES (?, ?, 1, ?)"
		" RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);
	char now[CLOCK_ISO_LEN];

	if (!st)
		return -1;
	clock_iso_utc((long long)time(NULL), now);
	db_bind_text(st, 1, name);
	db_bind_text(st, 2, email);
	db_bind_text(st, 3, now);
	if (db_insert_id(db, st, id_out) != 0)
		return error("cannot add association '%s'", name);
	return 0;
}

long long db_association_find(struct db *db, const char *name)
{
	static const char sql[] = "SELECT id FROM associations WHERE name = ?";
	struct db_stmt *st = db_prepare(db, sql);
	long long id = 0;
	if (!st)
		return 0;
	db_bind_text(st, 1, name);
	if (db_step(st) == DB_ROW)
		id = db_column_int64(st, 0);
	db_reset(st);
	return id;
}

int db_association_each(struct db *db, int (*cb)(const struct association_row *, void *), void *arg)
{
	static const char sql[] =
		"SELECT a.id, a.name, a.contact_email, a.created_at, a.active,"
		" (SELECT count(*) FROM association_tokens t WHERE t.association_id = a.id"
		"  AND t.revoked_at IS NULL) FROM associations a ORDER BY a.id";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	while ((rc = db_step(st)) == DB_ROW) {
		struct association_row r = {
			.id = db_column_int64(st, 0),
			.name = db_column_text(st, 1),
			.contact_email = db_column_text(st, 2),
			.created_at = db_column_text(st, 3),
			.active = db_column_int(st, 4),
			.n_tokens = db_column_int(st, 5),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_association_set_token(struct db *db, long long assoc_id, const char *sha256_hex, long long now)
{
	static const char revoke[] =
		"UPDATE association_tokens SET revoked_at = ? WHERE association_id = ? AND revoked_at IS NULL";
	static const char add[] =
		"INSERT INTO association_tokens(association_id, token_sha256, created_at) VALUES (?, ?, ?)";
	struct db_stmt *st;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, revoke)))
		goto fail;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, assoc_id);
	if (db_exec_stmt(db, st) < 0 || !(st = db_prepare(db, add)))
		goto fail;
	db_bind_int64(st, 1, assoc_id);
	db_bind_text(st, 2, sha256_hex);
	db_bind_int64(st, 3, now);
	if (db_exec_stmt(db, st) < 0)
		goto fail;
	return db_commit(db);
fail:
	db_rollback(db);
	return -1;
}

long long db_association_by_token(struct db *db, const char *sha256_hex)
{
	static const char sql[] =
		"SELECT a.id FROM association_tokens t JOIN associations a ON a.id = t.association_id"
		" WHERE t.token_sha256 = ? AND t.revoked_at IS NULL AND a.active = 1";
	struct db_stmt *st = db_prepare(db, sql);
	long long id = 0;
	if (!st)
		return 0;
	db_bind_text(st, 1, sha256_hex);
	if (db_step(st) == DB_ROW)
		id = db_column_int64(st, 0);
	db_reset(st);
	return id;
}

static void bind_age(struct db_stmt *st, int idx, int age)
{
	if (age < 0)
		db_bind_null(st, idx);
	else
		db_bind_int(st, idx, age);
}

int db_opportunity_add(struct db *db, const struct opportunity_in *in, const char *now_iso,
		       long long *id_out)
{
	static const char add[] =
		"INSERT INTO opportunities(association_id, status, min_age, max_age, location, url,"
		" starts_at, ends_at, published_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?)"
		" RETURNING id";
	static const char add_text[] =
		"INSERT INTO opportunity_texts(opportunity_id, lang, title, summary) VALUES (?,?,?,?)";
	static const char add_interest[] =
		"INSERT INTO opportunity_interests(opportunity_id, interest) VALUES (?,?)"
		" ON CONFLICT DO NOTHING";
	struct db_stmt *st;
	long long id;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, add)))
		goto fail;
	if (in->association_id)
		db_bind_int64(st, 1, in->association_id);
	db_bind_text(st, 2, in->status);
	bind_age(st, 3, in->min_age);
	bind_age(st, 4, in->max_age);
	db_bind_text(st, 5, in->location);
	db_bind_text(st, 6, in->url);
	db_bind_text(st, 7, in->starts_at);
	db_bind_text(st, 8, in->ends_at);
	db_bind_text(st, 9, strcmp(in->status, "published") ? NULL : now_iso);
	db_bind_text(st, 10, now_iso);
	if (db_insert_id(db, st, &id) != 0)
		goto fail;
	for (size_t i = 0; i < in->n_texts; i++) {
		if (!(st = db_prepare(db, add_text)))
			goto fail;
		db_bind_int64(st, 1, id);
		db_bind_text(st, 2, in->texts[i].lang);
		db_bind_text(st, 3, in->texts[i].title);
		db_bind_text(st, 4, in->texts[i].summary);
		if (db_exec_stmt(db, st) < 0)
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
	if (db_commit(db) < 0)
		goto fail;
	*id_out = id;
	return 0;
fail:
	db_rollback(db);
	return -1;
}

int db_opportunity_set_status(struct db *db, long long id, const char *status, const char *now_iso)
{
	static const char sql[] =
		"UPDATE opportunities SET status = ?1, updated_at = ?2,"
		" published_at = CASE WHEN ?1 = 'published' AND published_at IS NULL THEN ?2"
		"  ELSE published_at END WHERE id = ?3";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, status);
	db_bind_text(st, 2, now_iso);
	db_bind_int64(st, 3, id);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db) ? 0 : 1;
}

static void load_opportunity_row(struct db_stmt *st, struct opportunity *o)
{
	memset(o, 0, sizeof(*o));
	o->id = db_column_int64(st, 0);
	o->association_id = db_column_int64(st, 1);
	o->association = db_column_strdup(st, 2);
	o->status = db_column_strdup(st, 3);
	o->min_age = db_column_is_null(st, 4) ? -1 : db_column_int(st, 4);
	o->max_age = db_column_is_null(st, 5) ? -1 : db_column_int(st, 5);
	o->location = db_column_strdup(st, 6);
	o->url = db_column_strdup(st, 7);
	o->starts_at = db_column_strdup(st, 8);
	o->ends_at = db_column_strdup(st, 9);
	o->published_at = db_column_strdup(st, 10);
	o->updated_at = db_column_strdup(st, 11);
}

#define OPPORTUNITY_COLUMNS \
	"SELECT o.id, o.association_id, a.name, o.status, o.min_age, o.max_age, o.location," \
	" o.url, o.starts_at, o.ends_at, o.published_at, o.updated_at" \
	" FROM opportunities o LEFT JOIN associations a ON a.id = o.association_id"

static int load_opportunity_details(struct db *db, struct opportunity *o)
{
	static const char texts[] =
		"SELECT lang, title, summary FROM opportunity_texts WHERE opportunity_id = ? ORDER BY lang";
	static const char interests[] =
		"SELECT interest FROM opportunity_interests WHERE opportunity_id = ? ORDER BY interest";
	struct db_stmt *st = db_prepare(db, texts);
	size_t n = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, o->id);
	while (db_step(st) == DB_ROW && o->n_texts < MODEL_MAX_LANGS) {
		struct opportunity_text *t = &o->texts[o->n_texts];
		const char *lang = db_column_text(st, 0);
		if (!lang || strlen(lang) > 3)
			continue;
		memcpy(t->lang, lang, strlen(lang) + 1);
		t->title = db_column_strdup(st, 1);
		t->summary = db_column_strdup(st, 2);
		o->n_texts++;
	}
	db_reset(st);
	if (!(st = db_prepare(db, interests)))
		return -1;
	db_bind_int64(st, 1, o->id);
	while (db_step(st) == DB_ROW && n < MODEL_MAX_INTERESTS)
		o->interests[n++] = db_column_strdup(st, 0);
	o->interests[n] = NULL;
	db_reset(st);
	return 0;
}

int db_opportunity_get(struct db *db, long long id, struct opportunity *out)
{
	static const char sql[] = OPPORTUNITY_COLUMNS " WHERE o.id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc != DB_ROW) {
		db_reset(st);
		return rc == DB_DONE ? 1 : error("sql: %s", db_errmsg(db));
	}
	load_opportunity_row(st, out);
	db_reset(st);
	if (load_opportunity_details(db, out) < 0) {
		opportunity_release(out);
		return -1;
	}
	return 0;
}

int db_opportunity_each(struct db *db, int (*cb)(const struct opportunity *, void *), void *arg)
{
	static const char sql[] = "SELECT id FROM opportunities ORDER BY id";
	struct db_stmt *st = db_prepare(db, sql);
	long long *ids = NULL;
	size_t n = 0, cap = 0;
	int ret = 0;

	if (!st)
		return -1;
	/* Collect ids first: the details queries reuse cached statements. */
	while (db_step(st) == DB_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap = cap * 2 + 64) * sizeof(*ids));
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	for (size_t i = 0; i < n && !ret; i++) {
		struct opportunity o;
		if (db_opportunity_get(db, ids[i], &o) != 0)
			continue;
		ret = cb(&o, arg);
		opportunity_release(&o);
	}
	free(ids);
	return ret;
}
