/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_COPY_H
#define BUDBRINGER_DB_COPY_H

/*
 * Copies one Budbringer database into another, engine to engine: the move
 * from the SQLite file to PostgreSQL (`budbringer db copy --to URI`), or
 * back. Every row of every table goes over with its id; the target's id
 * sequences then continue after the copied ids. The copy is one
 * transaction on the target: it lands whole or not at all.
 *
 * Refused, with the reason in err: a source or target at another schema
 * version, a target that already holds data (a copy only fills an empty
 * database), a source a daemon is using (SQLite: the daemon's lock;
 * PostgreSQL: a daemon heard of recently).
 */

#include <stddef.h>

#include "budbringer/db.h"
#include "budbringer/sbuf.h"

/* The tables copied, parents before children; NULL-terminated. The
 * daemon registry is not copied: it describes processes, not data. */
#define DB_COPY_TABLES 25
extern const char *const db_copy_tables[DB_COPY_TABLES + 1];

struct db_copy_table {
	const char *name;
	long long source_rows;	/* counted in the source before the copy */
	long long copied;	/* rows inserted */
	long long target_rows;	/* counted in the target after the commit */
};

/* Called after each table and every `DB_COPY_PROGRESS_EVERY` rows. */
#define DB_COPY_PROGRESS_EVERY 100000
typedef void (*db_copy_progress_fn)(const struct db_copy_table *t, void *arg);

/*
 * Copies from into to. tables (DB_COPY_TABLES slots)
 * receives the counts. 0 when every table's target count equals its
 * source count; -1 with the reason in err (nothing committed when the
 * failure came before the commit).
 */
int db_copy(struct db *from, struct db *to, long long now, struct db_copy_table *tables,
	    db_copy_progress_fn progress, void *arg, struct sbuf *err);

#endif
