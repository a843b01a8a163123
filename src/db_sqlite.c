/* SPDX-License-Identifier: MIT */
/*
 * The SQLite engine: one file in WAL mode, the embedded default, and the
 * only file that includes sqlite3.h. A thin layer: the hot paths
 * (expansion, the outbox) pay an indirect call and nothing more.
 */
#include "db_engine.h"
#include "budbringer/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct sqlite_stmt {
	struct db_stmt base;
	sqlite3_stmt *st;
};

#define H(db) ((sqlite3 *)(db)->conn)
#define ST(s) (((struct sqlite_stmt *)(s))->st)

static void configure_sqlite(void)
{
	/* Before the library initialises: no global allocation statistics
	 * (a mutex around every malloc), as recommended for performance. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, so
 * a writer that finds the lock held for 100 µs may wait 10 ms or more:
 * that, not the work, made the latency of concurrent HTTP writers. Short
 * sleeps growing to 2 ms keep a waiter close behind the transaction it
 * waits for; it gives up after about 15 s like busy_timeout did.
 */
static int busy_wait(void *arg, int n)
{
	struct timespec ts = { 0, 0 };
	long us = n < 12 ? 25L << (n / 2) : 2000;

	(void)arg;
	if (n > 7500)
		return 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

static int sq_exec(struct db *db, const char *script)
{
	char *msg = NULL;

	if (sqlite3_exec(H(db), script, NULL, NULL, &msg) != SQLITE_OK) {
		error("sql: %s", msg ? msg : sqlite3_errmsg(H(db)));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int sq_open(struct db *db, const char *path, const struct db_options *opt)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	sqlite3 *h = NULL;
	bool created;
	int rc;

	(void)opt;
	pthread_once(&once, configure_sqlite);
	created = access(path, F_OK) != 0;
	rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	db->conn = h;
	if (rc != SQLITE_OK)
		return error("cannot open database '%s': %s", path,
			     h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
	/* It holds phone numbers and addresses: only our user reads it. The
	 * -wal and -shm files take the main file's mode when SQLite makes them. */
	if (created && access(path, F_OK) == 0 && chmod(path, 0600) < 0)
		return error("cannot make database '%s' private (mode 0600): %s", path,
			     strerror(errno));
	sqlite3_busy_handler(h, busy_wait, NULL);
	sqlite3_extended_result_codes(h, 1);
	return sq_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		       " PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
		       /* Deleted rows are overwritten, not left in free pages. */
		       " PRAGMA secure_delete = ON;");
}

static void sq_close(struct db *db)
{
	sqlite3_close(H(db));
	db->conn = NULL;
}

static struct db_stmt *sq_prepare(struct db *db, const char *sql, bool persistent)
{
	struct sqlite_stmt *s;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v3(H(db), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &st,
			       NULL) != SQLITE_OK) {
		error("sql prepare: %s", sqlite3_errmsg(H(db)));
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->base.db = db;
	s->st = st;
	return &s->base;
}

static void sq_finalize(struct db_stmt *st)
{
	sqlite3_finalize(ST(st));
	free(st);
}

static int sq_step(struct db_stmt *st)
{
	int rc = sqlite3_step(ST(st));

	return rc == SQLITE_ROW ? DB_ROW : rc == SQLITE_DONE ? DB_DONE : DB_ERROR;
}

static void sq_reset(struct db_stmt *st)
{
	sqlite3_reset(ST(st));
	sqlite3_clear_bindings(ST(st));
}

static int sq_param_count(struct db_stmt *st)
{
	return sqlite3_bind_parameter_count(ST(st));
}

static int bound(int rc)
{
	return rc == SQLITE_OK ? 0 : -1;
}

static int sq_bind_int64(struct db_stmt *st, int idx, long long v)
{
	return bound(sqlite3_bind_int64(ST(st), idx, v));
}

static int sq_bind_double(struct db_stmt *st, int idx, double v)
{
	return bound(sqlite3_bind_double(ST(st), idx, v));
}

static int sq_bind_text(struct db_stmt *st, int idx, const char *s, size_t len)
{
	return bound(sqlite3_bind_text64(ST(st), idx, s, len, SQLITE_TRANSIENT, SQLITE_UTF8));
}

static int sq_bind_null(struct db_stmt *st, int idx)
{
	return bound(sqlite3_bind_null(ST(st), idx));
}

static int sq_column_count(struct db_stmt *st)
{
	return sqlite3_column_count(ST(st));
}

static const char *sq_column_name(struct db_stmt *st, int col)
{
	return sqlite3_column_name(ST(st), col);
}

static enum db_type sq_column_type(struct db_stmt *st, int col)
{
	switch (sqlite3_column_type(ST(st), col)) {
	case SQLITE_NULL: return DB_NULL;
	case SQLITE_INTEGER: return DB_INTEGER;
	case SQLITE_FLOAT: return DB_FLOAT;
	default: return DB_TEXT;
	}
}

static long long sq_column_int64(struct db_stmt *st, int col)
{
	return sqlite3_column_int64(ST(st), col);
}

static double sq_column_double(struct db_stmt *st, int col)
{
	return sqlite3_column_double(ST(st), col);
}

static const char *sq_column_text(struct db_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(ST(st), col);
}

static const char *sq_errmsg(struct db *db)
{
	return sqlite3_errmsg(H(db));
}

static int sq_changes(struct db *db)
{
	return sqlite3_changes(H(db));
}

static bool sq_in_transaction(const struct db *db)
{
	return !sqlite3_get_autocommit(H(db));
}

static int sq_begin(struct db *db)
{
	static const char begin[] = "BEGIN IMMEDIATE";
	struct db_stmt *st = db_prepare(db, begin);

	return st ? db_exec_stmt(db, st) : -1;
}

static int sq_schema_version(struct db *db)
{
	struct db_stmt *st = db_prepare(db, "PRAGMA user_version");
	int v = -1;

	if (st && db_step(st) == DB_ROW)
		v = db_column_int(st, 0);
	if (st)
		db_reset(st);
	return v;
}

static int sq_set_schema_version(struct db *db, int v)
{
	char pragma[64];

	if (bsnprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v) < 0)
		return -1;
	return sq_exec(db, pragma);
}

/* Off while tables are rebuilt (SQLite's documented procedure: a DROP
 * would otherwise cascade), checked before each commit instead. */
static int sq_migrate_begin(struct db *db)
{
	return sq_exec(db, "PRAGMA foreign_keys = OFF");
}

/* 0 when no row breaks a foreign key, else -1 naming the first table. */
static int sq_migrate_check(struct db *db)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(H(db), "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return error("sql: %s", sqlite3_errmsg(H(db)));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = error("a row of table '%s' breaks a foreign key", sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		ret = error("sql: %s", sqlite3_errmsg(H(db)));
	sqlite3_finalize(st);
	return ret;
}

static int sq_migrate_end(struct db *db)
{
	return sq_exec(db, "PRAGMA foreign_keys = ON");
}

static int sq_checkpoint(struct db *db)
{
	int log = -1, done = -1;
	int rc = sqlite3_wal_checkpoint_v2(H(db), NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);

	if (rc == SQLITE_OK)
		return 0;
	if (rc == SQLITE_BUSY)
		return 1;
	return error("WAL checkpoint: %s", sqlite3_errmsg(H(db)));
}

static void sq_shrink(struct db *db)
{
	sqlite3_db_release_memory(H(db));
}

/*
 * Foreign key checks cost a parent lookup for every message (campaign,
 * subscriber) and every event (message): 10-15% of the expansion's
 * CPU at 1M subscribers. Every row the batch inserts points at rows read
 * or written in the same transaction under the write lock (the claimed
 * campaign, the selected subscribers, the messages just inserted), so
 * the checks cannot fail there; and the batch deletes nothing, so no
 * ON DELETE action is skipped. Only a connection that runs nothing but
 * expansion may be switched: deletions elsewhere need the cascades.
 * Left as they are, measured: a larger page cache (no gain) and
 * wal_autocheckpoint (fewer checkpoints save at most 0.2 s of 4 at 1M,
 * within the noise, and a longer WAL slows every reader).
 */
static int sq_lock_daemon(struct db *db, struct sbuf *err)
{
	struct sbuf path = SBUF_INIT;
	int ret = -1;

	sbuf_addf(&path, "%s.lock", db->target);
	db->lock_fd = open(path.buf, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (db->lock_fd < 0)
		sbuf_addf(err, "cannot open the lock file '%s': %s", path.buf, strerror(errno));
	else if (flock(db->lock_fd, LOCK_EX | LOCK_NB) < 0)
		sbuf_addf(err, errno == EWOULDBLOCK
			  ? "another budbringerd is running on database '%s' (it holds '%s')"
			  : "cannot lock database '%s' ('%s')", db->target, path.buf);
	else
		ret = 1;
	sbuf_release(&path);
	return ret;
}

static int sq_expand_connection(struct db *db)
{
	return sq_exec(db, "PRAGMA foreign_keys = OFF");
}

const struct db_engine db_engine_sqlite = {
	.kind = DB_SQLITE,
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.prepare = sq_prepare,
	.finalize = sq_finalize,
	.step = sq_step,
	.reset = sq_reset,
	.param_count = sq_param_count,
	.bind_int64 = sq_bind_int64,
	.bind_double = sq_bind_double,
	.bind_text = sq_bind_text,
	.bind_null = sq_bind_null,
	.column_count = sq_column_count,
	.column_name = sq_column_name,
	.column_type = sq_column_type,
	.column_int64 = sq_column_int64,
	.column_double = sq_column_double,
	.column_text = sq_column_text,
	.exec = sq_exec,
	.errmsg = sq_errmsg,
	.changes = sq_changes,
	.in_transaction = sq_in_transaction,
	.begin = sq_begin,
	.schema_version = sq_schema_version,
	.set_schema_version = sq_set_schema_version,
	.migrate_begin = sq_migrate_begin,
	.migrate_check = sq_migrate_check,
	.migrate_end = sq_migrate_end,
	.checkpoint = sq_checkpoint,
	.shrink = sq_shrink,
	.lock_daemon = sq_lock_daemon,
	.expand_connection = sq_expand_connection,
};
