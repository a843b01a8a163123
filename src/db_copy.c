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

#include <stdlib.h>
#include <string.h>

const char *const db_copy_tables[DB_COPY_TABLES + 1] = {
	"associations", "opportunities", "opportunity_texts", "opportunity_interests",
	"association_tokens", "subscribers", "subscriber_interests", "consent_log",
	"suppressions", "campaigns", "campaign_texts", "erased_subscribers", "messages",
	"message_events", "inbound", "audit_log", "dashboard_sessions", "housekeeping",
	"key_checks", "provider_rests", "bounces", "bounce_alerts", "callbacks",
	"callback_events", "links", NULL,
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

/*
 * Rows go over in multi-row INSERTs, a batch of up to BATCH_ROWS rows
 * (and BATCH_PARAMS values, below SQLite's 32,766 and PostgreSQL's 65,535
 * parameters) per statement: on PostgreSQL a round trip per batch, not
 * per row. The batch holds copies of its values, so the rest of a table
 * that does not fill a batch goes in one shorter statement.
 */
#define BATCH_ROWS 128
#define BATCH_PARAMS 30000

struct cell {
	enum db_type type;
	long long i;
	double d;
	char *s;
};

struct batch {
	struct db *to;
	const char *table;
	struct sbuf columns;	/* "table(a, b, …)" */
	int n;			/* columns */
	int rows;		/* rows in a full batch */
	int held;		/* rows in cells now */
	struct cell *cells;	/* rows × n */
	struct db_stmt *full;	/* the statement of a full batch */
};

/* Starts a batch for the columns of src's row; *id_col is that of `id`. */
static void batch_init(struct batch *b, struct db *to, const char *table, struct db_stmt *src,
		       int *id_col)
{
	memset(b, 0, sizeof(*b));
	b->to = to;
	b->table = table;
	b->n = db_column_count(src);
	b->rows = b->n > 0 && BATCH_PARAMS / b->n < BATCH_ROWS ? BATCH_PARAMS / b->n : BATCH_ROWS;
	if (b->rows < 1)
		b->rows = 1;
	b->cells = xcalloc((size_t)b->rows * (size_t)(b->n ? b->n : 1), sizeof(*b->cells));
	*id_col = -1;
	sbuf_addf(&b->columns, "%s(", table);
	for (int i = 0; i < b->n; i++) {
		const char *name = db_column_name(src, i);

		if (!strcmp(name, "id"))
			*id_col = i;
		sbuf_addf(&b->columns, "%s\"%s\"", i ? ", " : "", name);
	}
	sbuf_addch(&b->columns, ')');
}

/* INSERT INTO table(columns) VALUES (?1, …), (…), … for rows rows. */
static struct db_stmt *prepare_insert(struct batch *b, int rows)
{
	struct sbuf sql = SBUF_INIT;
	struct db_stmt *st;
	int p = 1;

	sbuf_addf(&sql, "INSERT INTO %s VALUES ", b->columns.buf);
	for (int r = 0; r < rows; r++) {
		sbuf_addstr(&sql, r ? ", (" : "(");
		for (int i = 0; i < b->n; i++)
			sbuf_addf(&sql, "%s?%d", i ? ", " : "", p++);
		sbuf_addch(&sql, ')');
	}
	st = db_prepare_once(b->to, sql.buf);
	sbuf_release(&sql);
	return st;
}

static void hold_row(struct batch *b, struct db_stmt *src)
{
	struct cell *c = &b->cells[(size_t)b->held * (size_t)b->n];

	for (int i = 0; i < b->n; i++, c++) {
		c->type = db_column_type(src, i);
		if (c->type == DB_INTEGER)
			c->i = db_column_int64(src, i);
		else if (c->type == DB_FLOAT)
			c->d = db_column_double(src, i);
		else if (c->type == DB_TEXT)
			c->s = db_column_strdup(src, i);
	}
	b->held++;
}

static void bind_cell(struct db_stmt *st, int idx, const struct cell *c)
{
	switch (c->type) {
	case DB_NULL:
		db_bind_null(st, idx);
		break;
	case DB_INTEGER:
		db_bind_int64(st, idx, c->i);
		break;
	case DB_FLOAT:
		db_bind_double(st, idx, c->d);
		break;
	case DB_TEXT:
		db_bind_text(st, idx, c->s);
		break;
	}
}

/* Inserts the rows held. done: rows of the table inserted before them. */
static int batch_flush(struct batch *b, long long done, struct sbuf *err)
{
	struct db_stmt *st;
	size_t cells = (size_t)b->held * (size_t)b->n;
	int rc = DB_ERROR;

	if (!b->held)
		return 0;
	if (b->held == b->rows)
		st = b->full ? b->full : (b->full = prepare_insert(b, b->rows));
	else
		st = prepare_insert(b, b->held);
	if (st) {
		for (size_t i = 0; i < cells; i++)
			bind_cell(st, (int)i + 1, &b->cells[i]);
		rc = db_step(st);
		db_reset(st);
		if (st != b->full)
			db_finalize(st);
	}
	for (size_t i = 0; i < cells; i++) {
		free(b->cells[i].s);
		b->cells[i].s = NULL;
	}
	if (rc != DB_DONE)
		return sbuf_fail(err, "cannot copy rows %lld to %lld of %s: %s", done + 1,
				 done + b->held, b->table, db_errmsg(b->to));
	b->held = 0;
	return 0;
}

static void batch_release(struct batch *b)
{
	for (size_t i = 0; b->cells && i < (size_t)b->held * (size_t)b->n; i++)
		free(b->cells[i].s);
	free(b->cells);
	db_finalize(b->full);
	sbuf_release(&b->columns);
}

static int copy_table(struct db *from, struct db *to, struct db_copy_table *t,
		      db_copy_progress_fn progress, void *arg, struct sbuf *err)
{
	struct sbuf sql = SBUF_INIT;
	struct db_stmt *src, *seq;
	struct batch b = { 0 };
	bool started = false;
	long long max_id = 0;
	int id_col = -1, rc, ret = -1;

	sbuf_addf(&sql, "SELECT * FROM %s", t->name);
	src = db_prepare_once(from, sql.buf);
	if (!src) {
		sbuf_fail(err, "cannot read %s: %s", t->name, db_errmsg(from));
		goto out;
	}
	while ((rc = db_step(src)) == DB_ROW) {
		if (!started) {
			batch_init(&b, to, t->name, src, &id_col);
			started = true;
		}
		hold_row(&b, src);
		if (id_col >= 0 && db_column_int64(src, id_col) > max_id)
			max_id = db_column_int64(src, id_col);
		if (b.held == b.rows) {
			if (batch_flush(&b, t->copied, err) < 0)
				goto out;
			t->copied += b.rows;
			if (progress && t->copied / DB_COPY_PROGRESS_EVERY !=
						(t->copied - b.rows) / DB_COPY_PROGRESS_EVERY)
				progress(t, arg);
		}
	}
	if (rc != DB_DONE) {
		sbuf_fail(err, "cannot read %s: %s", t->name, db_errmsg(from));
		goto out;
	}
	if (started) {
		int rest = b.held;

		if (batch_flush(&b, t->copied, err) < 0)
			goto out;
		t->copied += rest;
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
	if (started)
		batch_release(&b);
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
