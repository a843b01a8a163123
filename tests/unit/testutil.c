/* SPDX-License-Identifier: MIT */
/* Temporary databases, scalar queries, temporary files and configuration
 * for the unit tests (see testutil.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

/* A new empty file /tmp/<program>.XXXXXX, opened; its name goes to path. */
static int make_temp(char path[TEST_PATH_MAX])
{
	int fd;

	if (bsnprintf(path, TEST_PATH_MAX, "/tmp/%s.XXXXXX", program_invocation_short_name) < 0)
		fail_msg("temporary file name for %s too long", program_invocation_short_name);
	fd = mkstemp(path);
	if (fd < 0)
		fail_msg("mkstemp %s: %s", path, strerror(errno));
	return fd;
}

static void remove_db_files(const char *path)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[TEST_PATH_MAX + 8];

	for (size_t i = 0; i < sizeof(suffix) / sizeof(*suffix); i++)
		if (bsnprintf(p, sizeof(p), "%s%s", path, suffix[i]) == 0)
			unlink(p);
}

struct db *testdb_open(struct testdb *t)
{
	/* The name only: db_open() creates the file itself. */
	close(make_temp(t->path));
	unlink(t->path);
	t->db = db_open(t->path);
	if (!t->db) {
		remove_db_files(t->path);
		fail_msg("db_open %s failed", t->path);
	}
	return t->db;
}

void testdb_close(struct testdb *t)
{
	db_close(t->db);
	t->db = NULL;
	remove_db_files(t->path);
}

/* sql prepared on db's connection, stepped to its first row; 1 when there
 * is one, 0 when there is none. */
static int first_row(struct db *db, const char *sql, struct db_stmt **st)
{
	int rc;

	if (!(*st = db_prepare_once(db, sql)))
		fail_msg("%s: %s", sql, db_errmsg(db));
	rc = db_step(*st);
	if (rc == DB_ERROR) {
		db_finalize(*st);
		fail_msg("%s: %s", sql, db_errmsg(db));
	}
	return rc == DB_ROW;
}

long long scalar(struct db *db, const char *sql)
{
	struct db_stmt *st;
	long long v = -1;

	if (first_row(db, sql, &st))
		v = db_column_int64(st, 0);
	db_finalize(st);
	return v;
}

char *scalar_text(struct db *db, const char *sql)
{
	struct db_stmt *st;
	char *v = NULL;

	if (first_row(db, sql, &st))
		v = db_column_strdup(st, 0);
	db_finalize(st);
	return v;
}

void testfile_write(char path[TEST_PATH_MAX], const void *data, size_t len)
{
	int fd = make_temp(path);
	FILE *f = fdopen(fd, "wb");
	size_t n;

	if (!f) {
		int e = errno;

		close(fd);
		unlink(path);
		fail_msg("fdopen %s: %s", path, strerror(e));
		return;	/* not reached: cmocka's _fail() is not marked noreturn */
	}
	n = fwrite(data, 1, len, f);
	if (fclose(f) != 0 || n != len) {
		unlink(path);
		fail_msg("writing %s failed", path);
	}
}

int testcfg_load(const char *text, struct config *cfg, struct sbuf *err)
{
	char path[TEST_PATH_MAX];
	int rc;

	testfile_write(path, text, strlen(text));
	rc = cfg_load(path, cfg, err);
	unlink(path);
	return rc;
}
