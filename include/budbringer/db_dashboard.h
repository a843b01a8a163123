/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_DASHBOARD_H
#define BUDBRINGER_DB_DASHBOARD_H

/*
 * Dashboard login sessions. Only the SHA-256 of the session cookie is
 * stored (like association tokens), so a copy of the database lets
 * nobody log in. Sessions live in the database rather than in memory so
 * that a reload, which starts a new HTTP listener, keeps staff logged in.
 */

#include "budbringer/db.h"

struct dashboard_session {
	char user[64];
	char csrf[48];
	char lang[4];
	long long expires_at;
};

int db_dashboard_session_add(struct db *db, const char *token_sha256, const char *user,
			     const char *csrf, const char *lang, long long now,
			     long long expires_at);
/* 0 found and not expired, 1 none, -1 error. */
int db_dashboard_session_get(struct db *db, const char *token_sha256, long long now,
			     struct dashboard_session *out);
int db_dashboard_session_set_lang(struct db *db, const char *token_sha256, const char *lang);
int db_dashboard_session_delete(struct db *db, const char *token_sha256);
/* Removes expired sessions; returns how many, -1 on error. */
int db_dashboard_session_purge(struct db *db, long long now);

#endif
