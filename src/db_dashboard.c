/* SPDX-License-Identifier: MIT */
/* SQL for dashboard sessions. */
#include "budbringer/db_dashboard.h"
#include "budbringer/sbuf.h"

#include <string.h>

int db_dashboard_session_add(struct db *db, const char *token_sha256, const char *user,
			     const char *csrf, const char *lang, long long now,
			     long long expires_at)
{
	static const char sql[] =
		"INSERT INTO dashboard_sessions(token_sha256, \"user\", csrf, lang, created_at, expires_at)"
		" VALUES (?,?,?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	db_bind_text(st, 2, user);
	db_bind_text(st, 3, csrf);
	db_bind_text(st, 4, lang);
	db_bind_int64(st, 5, now);
	db_bind_int64(st, 6, expires_at);
	return db_exec_stmt(db, st);
}

static void copy(char *dst, size_t n, const char *src)
{
	if (bsnprintf(dst, n, "%s", src ? src : "") < 0)
		dst[0] = '\0';
}

int db_dashboard_session_get(struct db *db, const char *token_sha256, long long now,
			     struct dashboard_session *out)
{
	static const char sql[] =
		"SELECT \"user\", csrf, lang, expires_at FROM dashboard_sessions"
		" WHERE token_sha256 = ?1 AND expires_at > ?2";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	db_bind_int64(st, 2, now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		memset(out, 0, sizeof(*out));
		copy(out->user, sizeof(out->user), db_column_text(st, 0));
		copy(out->csrf, sizeof(out->csrf), db_column_text(st, 1));
		copy(out->lang, sizeof(out->lang), db_column_text(st, 2));
		out->expires_at = db_column_int64(st, 3);
	}
	db_reset(st);
	return rc == DB_ROW ? 0 : rc == DB_DONE ? 1 : -1;
}

int db_dashboard_session_set_lang(struct db *db, const char *token_sha256, const char *lang)
{
	static const char sql[] = "UPDATE dashboard_sessions SET lang = ?2 WHERE token_sha256 = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	db_bind_text(st, 2, lang);
	return db_exec_stmt(db, st);
}

int db_dashboard_session_delete(struct db *db, const char *token_sha256)
{
	static const char sql[] = "DELETE FROM dashboard_sessions WHERE token_sha256 = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_text(st, 1, token_sha256);
	return db_exec_stmt(db, st);
}

int db_dashboard_session_purge(struct db *db, long long now)
{
	static const char sql[] = "DELETE FROM dashboard_sessions WHERE expires_at <= ?1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db);
}
