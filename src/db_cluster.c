/* SPDX-License-Identifier: MIT */
/* SQL for several daemons on one database (see db_cluster.h). */
#include "budbringer/db_cluster.h"
#include "budbringer/log.h"

int db_daemon_register(struct db *db, const char *host, long long pid, long long now,
		       long long *id)
{
	static const char sql[] =
		"INSERT INTO daemons(host, pid, started_at, seen_at) VALUES (?1, ?2, ?3, ?3) RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_text(st, 1, host);
	db_bind_int64(st, 2, pid);
	db_bind_int64(st, 3, now);
	return db_insert_id(db, st, id) == 0 ? 0 : -1;
}

int db_daemon_heartbeat(struct db *db, long long id, long long now)
{
	static const char sql[] = "UPDATE daemons SET seen_at = ?1 WHERE id = ?2";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db) ? 0 : 1;
}

int db_daemon_reap(struct db *db, long long self, long long seen_before)
{
	static const char sql[] = "DELETE FROM daemons WHERE id <> ?1 AND seen_at < ?2";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, self);
	db_bind_int64(st, 2, seen_before);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db);
}

int db_daemon_leave(struct db *db, long long id)
{
	static const char sql[] = "DELETE FROM daemons WHERE id = ?1";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return db_exec_stmt(db, st);
}

int db_daemon_count(struct db *db, long long seen_after)
{
	static const char sql[] = "SELECT count(*) FROM daemons WHERE seen_at > ?1";
	struct db_stmt *st = db_prepare(db, sql);
	int n = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, seen_after);
	if (db_step(st) == DB_ROW)
		n = db_column_int(st, 0);
	else
		error("sql: %s", db_errmsg(db));
	db_reset(st);
	return n;
}

int db_provider_rest(struct db *db, const char *provider, long long until)
{
	static const char sql[] =
		"INSERT INTO provider_rests(provider, until_at) VALUES (?1, ?2)"
		" ON CONFLICT (provider) DO UPDATE SET until_at = excluded.until_at"
		" WHERE provider_rests.until_at < excluded.until_at";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_text(st, 1, provider);
	db_bind_int64(st, 2, until);
	return db_exec_stmt(db, st);
}

int db_provider_rests_each(struct db *db, long long now,
			   int (*cb)(const char *provider, long long until, void *), void *arg)
{
	static const char sql[] = "SELECT provider, until_at FROM provider_rests WHERE until_at > ?1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	while (!ret && (rc = db_step(st)) == DB_ROW)
		ret = cb(db_column_text(st, 0), db_column_int64(st, 1), arg);
	if (!ret && rc == DB_ERROR)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}
