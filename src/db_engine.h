/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_ENGINE_H
#define BUDBRINGER_DB_ENGINE_H

/*
 * Private to src/db*.c: what a storage engine implements behind the seam
 * of db.h, one file per engine (db_sqlite.c, db_postgres.c), as
 * OpenSMTPD puts its table backends behind one function table. db.c
 * holds what both share: the statement cache, nested transactions,
 * migrations and the suppression key. Only the engine files include
 * their library's header.
 */

#include "budbringer/db.h"

/* What every engine's statement starts with. */
struct db_stmt {
	struct db *db;
	bool stepping;   /* stepped since its last reset (db_statements_run) */
};

struct db_engine {
	enum db_engine_kind kind;
	const char *name;
	/* Connects db->conn to target (a path or a URI); -1 logged. */
	int (*open)(struct db *db, const char *target, const struct db_options *opt);
	void (*close)(struct db *db);

	/* persistent: cached for the connection's life (db_prepare). */
	struct db_stmt *(*prepare)(struct db *db, const char *sql, bool persistent);
	void (*finalize)(struct db_stmt *st);
	int (*step)(struct db_stmt *st);
	/* Ready to run again, bindings cleared. */
	void (*reset)(struct db_stmt *st);
	int (*param_count)(struct db_stmt *st);
	int (*bind_int64)(struct db_stmt *st, int idx, long long v);
	int (*bind_double)(struct db_stmt *st, int idx, double v);
	int (*bind_text)(struct db_stmt *st, int idx, const char *s, size_t len);
	int (*bind_null)(struct db_stmt *st, int idx);
	int (*column_count)(struct db_stmt *st);
	const char *(*column_name)(struct db_stmt *st, int col);
	enum db_type (*column_type)(struct db_stmt *st, int col);
	long long (*column_int64)(struct db_stmt *st, int col);
	double (*column_double)(struct db_stmt *st, int col);
	const char *(*column_text)(struct db_stmt *st, int col);

	/* Runs a script of ;-separated statements without results. */
	int (*exec)(struct db *db, const char *script);
	const char *(*errmsg)(struct db *db);
	int (*changes)(struct db *db);
	bool (*in_transaction)(const struct db *db);
	/* The outermost BEGIN: it takes the service's write lock. */
	int (*begin)(struct db *db);
	/* Optional: a transaction without the write lock (db_begin_claim). */
	int (*begin_claim)(struct db *db);

	/* Migrations: the version stored, and what surrounds the steps (SQLite
	 * turns foreign keys off for its table rebuilds and checks them before
	 * each commit). set_version runs inside the step's transaction. */
	int (*schema_version)(struct db *db);
	int (*set_schema_version)(struct db *db, int v);
	int (*migrate_begin)(struct db *db);
	int (*migrate_check)(struct db *db);
	int (*migrate_end)(struct db *db);

	int (*checkpoint)(struct db *db);
	void (*shrink)(struct db *db);
	/* db_lock_daemon(): 0, or -1 with the reason in err. */
	int (*lock_daemon)(struct db *db, struct sbuf *err);
	/* Tunes a connection that only expands campaigns (db_expand_connection). */
	int (*expand_connection)(struct db *db);
};

extern const struct db_engine db_engine_sqlite;
extern const struct db_engine db_engine_postgres;

/* Every SQL literal of src/db*.c fits (about 150 in all, fatal() past it). */
#define DB_STMT_CACHE 256

struct db_cached {
	const void *key; /* the literal's (or the struct db_sql's) address */
	struct db_stmt *st;
};

struct db {
	const struct db_engine *eng;
	void *conn;      /* the engine's connection */
	char *target;    /* the path or URI it was opened with */
	int lock_fd;     /* SQLite's db_lock_daemon() file, or -1 */
	struct db_cached cache[DB_STMT_CACHE];
	size_t n_cached;
	int depth;       /* open db_begin() levels: 1 = BEGIN, more = savepoints */
	/* HMAC key of the suppression list, derived from secret_key. */
	unsigned char address_key[32];
	bool has_address_key;
	unsigned long long executed;  /* statements run (db_statements_run) */
};

#endif
