/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_TESTUTIL_H
#define BUDBRINGER_TESTUTIL_H

/*
 * What the unit tests share (linked into every tests/unit/test_*.c):
 *   - testdb_open()/testdb_close(): a migrated database in a temporary
 *     file, removed again with its -wal and -shm files;
 *   - scalar()/scalar_text(): the first column of a query's first row;
 *   - testfile_write(): data in a new temporary file;
 *   - testcfg_load(): cfg_load() of a configuration given as text.
 * Temporary files are /tmp/<test program>.XXXXXX. Anything that goes
 * wrong here fails the running test with a message (cmocka's fail_msg).
 */

#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sbuf.h"

#define TEST_PATH_MAX 128

struct testdb {
	struct db *db;
	char path[TEST_PATH_MAX];
};

/* Opens a fresh database in a new temporary file; returns (and sets) t->db. */
struct db *testdb_open(struct testdb *t);
/* Closes t->db (if open) and removes the file with its -wal and -shm. */
void testdb_close(struct testdb *t);

/* The first column of sql's first row as a number; -1 when there is no row. */
long long scalar(struct db *db, const char *sql);
/* The same as a string (caller frees); NULL for no row or SQL NULL. */
char *scalar_text(struct db *db, const char *sql);

/* Writes len bytes of data to a new temporary file (mode 0600) whose
 * name goes to path. The caller removes it. */
void testfile_write(char path[TEST_PATH_MAX], const void *data, size_t len);
/* cfg_load() of text, by way of a temporary file that is removed again. */
int testcfg_load(const char *text, struct config *cfg, struct sbuf *err);

#endif
