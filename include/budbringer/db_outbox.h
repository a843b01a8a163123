/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_OUTBOX_H
#define BUDBRINGER_DB_OUTBOX_H

/*
 * The outbox's state changes in batches (src/db_outbox.c): the same rules
 * as db_message_transition() — only rows still in the expected state
 * move, each moved row gets its event — in two statements for the whole
 * batch instead of two per message (about a sixth less database time
 * per message sent).
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/db.h"

struct db_outbox_row {
	long long id;
	const char *provider_msgid;	/* this row's; NULL = the change's */
	const char *detail;		/* this row's event detail; NULL = the change's */
	bool changed;			/* out: the row moved */
};

/*
 * Moves rows[0..n) from state `from` (not NULL) as ch says: to, provider,
 * reason, count_attempt, not_before and now apply to every row; a row's
 * own provider_msgid and detail take the place of ch's. Events are written
 * in the order of rows. Sets each row's changed; returns how many moved,
 * or -1: then some rows may have moved without their event, and the
 * caller must roll back its transaction.
 */
int db_outbox_transition(struct db *db, struct db_outbox_row *rows, size_t n, const char *from,
			 const struct message_change *ch);

#endif
