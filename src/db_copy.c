/* SPDX-License-Identifier: MIT */
/*
 * Database to database copy (see db_copy.h). Columns are taken by name
 * from the source's rows, so the copy does not depend on the order in
 * which each engine's migrations added them; a column the target lacks
 * fails the copy with the target's own message.
 */
#include "budbringer/db_copy.h"
#include "budbringer/cluster.h"
#include "budbringer/db_cluster.h"

#include <string.h>

const char *const db_copy_tables[DB_COPY_TABLES + 1] = {
	"associations", "opportunities", "opportunity_texts", "opportunity_interests",
	"association_tokens", "subscribers", "subscriber_interests", "consent_log",
	"suppressions", "campaigns", "campaign_texts", "erased_subscribers", "messages",
	"message_events", "inbound", "audit_log", "dashboard_sessions", "housekeeping",
	"key_checks", "provider_rests", "callbacks", "callback_events", NULL,
};

/* After rows with explicit ids: the next id the target hands out. */
static const struct db_sql reseed = {
	.sqlite = NULL,	/* INTEGER PRIMARY KEY continues after max(id) by itself */
	.postgresql = "SELECT setval(pg_get_serial_sequence(?1, 'id'), ?2)",
};

static long long count_rows(struct db *db, const char *table, struct sbuf *err)
{
	struct sbuf sql = SBUF_INIT;
	struct db_stmt *st;
	long long n = -1;

	sbuf_addf(&sql, "SELECT count(*) FROM %s", table);
	if ((st = db_prepare_once(db, sql.buf)) && db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	else
		sbuf_fail(err, "cannot count the rows of %s in the %s database: %s", table,
			  db_engine_name(db), db_errmsg(db));
	db_finalize(st);
	sbuf_release(&sql);
	return n;
}

/* INSERT INTO table(columns of src's row) VALUES (?1, …). */
static struct db_stmt *prepare_insert(struct db *to, const char *table, struct db_stmt *src,
				      int *id_col)
{
	struct sbuf sql = SBUF_INIT;
	int n = db_column_count(src);
	struct db_stmt *st;

	*id_col = -1;
	sbuf_addf(&sql, "INSERT INTO %s(", table);
	for (int i = 0; i < n; i++) {
		const char *name = db_column_name(src, i);

		if (!strcmp(name, "id"))
			*id_col = i;
		sbuf_addf(&sql, "%s\"%s\"", i ? ", " : "", name);
	}
	sbuf_addstr(&sql, ") VALUES (");
	for (int i = 0; i < n; i++)
		sbuf_addf(&sql, "%s?%d", i ? ", " : "", i + 1);
	sbuf_addch(&sql, ')');
	st = db_prepare_once(to, sql.buf);
	sbuf_release(&sql);
	return st;
}

static int bind_column(struct db_stmt *dst, int idx, struct db_stmt *src, int col)
{
	switch (db_column_type(src, col)) {
	case DB_NULL:
		return db_bind_null(dst, idx);
	case DB_INTEGER:
		return db_bind_int64(dst, idx, db_column_int64(src, col));
	case DB_FLOAT:
		return db_bind_double(dst, idx, db_column_double(src, col));
	case DB_TEXT:
		break;
	}
	return db_bind_text(dst, idx, db_column_text(src, col));
}

static int copy_table(struct db *from, struct db *to, struct db_copy_table *t,
		      db_copy_progress_fn progress, void *arg, struct sbuf *err)
{
	struct sbuf sql = SBUF_INIT;
	struct db_stmt *src, *ins = NULL, *seq;
	long long max_id = 0;
	int id_col = -1, rc, ret = -1;

	sbuf_addf(&sql, "SELECT * FROM %s", t->name);
	src = db_prepare_once(from, sql.buf);
	if (!src) {
		sbuf_fail(err, "cannot read %s: %s", t->name, db_errmsg(from));
		goto out;
	}
	while ((rc = db_step(src)) == DB_ROW) {
		int n = db_column_count(src);

		if (!ins && !(ins = prepare_insert(to, t->name, src, &id_col))) {
			sbuf_fail(err, "cannot write %s: %s", t->name, db_errmsg(to));
			goto out;
		}
		for (int i = 0; i < n; i++)
			bind_column(ins, i + 1, src, i);
		if (db_step(ins) != DB_DONE) {
			sbuf_fail(err, "cannot copy row %lld of %s: %s", t->copied + 1, t->name,
				  db_errmsg(to));
			goto out;
		}
		db_reset(ins);
		if (id_col >= 0 && db_column_int64(src, id_col) > max_id)
			max_id = db_column_int64(src, id_col);
		if (++t->copied % DB_COPY_PROGRESS_EVERY == 0 && progress)
			progress(t, arg);
	}
	if (rc != DB_DONE) {
		sbuf_fail(err, "cannot read %s: %s", t->name, db_errmsg(from));
		goto out;
	}
	if (max_id > 0 && (db_engine(to) == DB_POSTGRESQL ? reseed.postgresql : reseed.sqlite)) {
		if (!(seq = db_prepare_dialect(to, &reseed))) {
			sbuf_fail(err, "cannot set the ids of %s: %s", t->name, db_errmsg(to));
			goto out;
		}
		db_bind_text(seq, 1, t->name);
		db_bind_int64(seq, 2, max_id);
		rc = db_step(seq);
		db_reset(seq);
		if (rc != DB_ROW) {
			sbuf_fail(err, "cannot set the ids of %s: %s", t->name, db_errmsg(to));
			goto out;
		}
	}
	ret = 0;
out:
	db_finalize(ins);
	db_finalize(src);
	sbuf_release(&sql);
	return ret;
}

/* The source must not change under the copy: no daemon may be using it. */
static int source_idle(struct db *from, long long now, struct sbuf *err)
{
	int n;

	if (db_engine(from) == DB_SQLITE)
		return db_lock_daemon(from, err) < 0 ? -1 : 0;
	n = db_daemon_count(from, now - CLUSTER_DEAD_AFTER);
	if (n < 0)
		return sbuf_fail(err, "cannot read the daemon registry: %s", db_errmsg(from));
	if (n > 0)
		return sbuf_fail(err, "%d budbringerd %s using the source database; stop %s first",
				 n, n == 1 ? "is" : "are", n == 1 ? "it" : "them");
	return 0;
}

int db_copy(struct db *from, struct db *to, long long now, struct db_copy_table *tables,
	    db_copy_progress_fn progress, void *arg, struct sbuf *err)
{
	int vf = db_schema_version(from), vt = db_schema_version(to);
	size_t i;

	for (i = 0; db_copy_tables[i]; i++)
		tables[i] = (struct db_copy_table){ .name = db_copy_tables[i], .target_rows = -1 };
	if (vf < 0 || vt < 0)
		return sbuf_fail(err, "cannot read the schema versions");
	if (vf != vt)
		return sbuf_fail(err, "the source is at schema version %d, the target at %d;"
				 " run `budbringer init` on both with this build", vf, vt);
	if (source_idle(from, now, err) < 0)
		return -1;
	for (i = 0; db_copy_tables[i]; i++) {
		long long n = count_rows(to, tables[i].name, err);

		if (n < 0)
			return -1;
		if (n > 0)
			return sbuf_fail(err, "the target already holds data (%lld rows in %s);"
					 " a copy only fills an empty database", n, tables[i].name);
		if ((tables[i].source_rows = count_rows(from, tables[i].name, err)) < 0)
			return -1;
	}
	if (db_begin(from) < 0 || db_begin(to) < 0) {
		sbuf_fail(err, "cannot start the copy: %s", db_errmsg(to));
		goto fail;
	}
	for (i = 0; db_copy_tables[i]; i++) {
		if (copy_table(from, to, &tables[i], progress, arg, err) < 0)
			goto fail;
		if (progress)
			progress(&tables[i], arg);
	}
	if (db_commit(to) < 0) {
		sbuf_fail(err, "cannot commit the copy: %s", db_errmsg(to));
		goto fail;
	}
	db_rollback(from);
	for (i = 0; db_copy_tables[i]; i++)
		if ((tables[i].target_rows = count_rows(to, tables[i].name, err)) < 0)
			return -1;
	for (i = 0; db_copy_tables[i]; i++)
		if (tables[i].target_rows != tables[i].source_rows)
			return sbuf_fail(err, "%s: %lld rows in the source, %lld in the target",
					 tables[i].name, tables[i].source_rows, tables[i].target_rows);
	return 0;
fail:
	db_rollback(to);
	db_rollback(from);
	return -1;
}
