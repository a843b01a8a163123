/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_GDPR_H
#define BUDBRINGER_DB_GDPR_H

/*
 * Personal data on request: export, erasure, bulk import with consent
 * evidence, retention purges, and the audit log that records each of
 * them (who, when, what, about which subscriber; never the address).
 */

#include <jansson.h>

#include "budbringer/db.h"

/* The subscriber with this E.164 phone or email (either may be NULL).
 * Returns the id, 0 when none, -1 on error. */
long long db_subscriber_find(struct db *db, const char *phone, const char *email);

/* Appends one row to the audit log. subject e.g. "subscriber:12". */
int db_audit(struct db *db, long long at, const char *actor, const char *action,
	     const char *subject, const char *detail);

/* Audit rows with this action and subject (NULL: any) since `since`; -1 on error. */
long long db_audit_count(struct db *db, const char *action, const char *subject, long long since);
/* As db_audit_count(), with the time of the newest row in *last (if not NULL; 0 for none). */
long long db_audit_last(struct db *db, const char *action, const char *subject, long long since,
			long long *last);

/*
 * Everything held about subscriber `id`, as a new JSON object: profile,
 * interests, consent log, messages with their events, inbound texts,
 * suppression entries of their addresses, audit rows about them.
 * Returns 0 (caller decrefs *out), 1 no such subscriber, -1 error.
 */
int db_gdpr_export(struct db *db, long long id, json_t **out);

/* What an erasure did, for the audit log and the operator. */
struct erase_result {
	long long erased_id;       /* row in erased_subscribers */
	long long messages;        /* messages anonymised */
	long long inbound;         /* inbound texts anonymised */
	long long consent_rows;    /* consent log rows deleted */
};
/*
 * Erases subscriber `id` in one transaction: the person's row, interests
 * and consent log go; their messages and inbound texts stay as anonymous
 * counts (no address, no text) linked to one erased_subscribers row
 * (language, age band, when they joined and left); their phone and email
 * stay only as hashed suppressions, so a later STOP or sign-up by another
 * route still finds them. current_year sets the age band.
 * Returns 0, 1 no such subscriber, -1 error (nothing changed).
 */
int db_gdpr_erase(struct db *db, long long id, int current_year, long long now,
		  struct erase_result *res);
/* As db_gdpr_erase() for a sign-up nobody confirmed: it was never a
 * subscriber, so it leaves no statistics row and no suppression. */
int db_gdpr_forget_signup(struct db *db, long long id, long long now, struct erase_result *res);
/* The ids of every message to subscriber `id` (for their spool files);
 * *ids is malloc'd (caller frees). 0 or -1. */
int db_gdpr_message_ids(struct db *db, long long id, long long **ids, size_t *n);
/* Up to limit pending subscribers created before `before` who never
 * confirmed anything. *ids is malloc'd (caller frees). 0 or -1. */
int db_gdpr_unconfirmed_before(struct db *db, long long before, int limit, long long **ids,
			       size_t *n);

/* One imported person; the caller has validated every field. */
struct import_row {
	const char *phone, *email, *lang;  /* phone E.164 or NULL, email or NULL */
	int birth_year;                    /* 0 = unknown */
	const char *const *interests;      /* NULL-terminated, may be NULL */
	long long consent_at;              /* when they agreed */
	const char *source;                /* consent_source column of the file */
	const char *evidence;              /* e.g. "import of FILE line 7 by anna" */
	long long now;
};
/* Inserts an active subscriber with consent on each given address and
 * the consent log rows, inside the caller's transaction. *id_out set. */
int db_import_row(struct db *db, const struct import_row *r, long long *id_out);

/*
 * Retention: clears the bodies and subjects of messages that are no longer
 * in flight and older than `before`, and the text of inbound SMS older
 * than `before`, at most `batch` rows per call (a short write lock).
 * Returns how many rows were changed, -1 on error.
 */
int db_purge_message_bodies(struct db *db, long long before, int batch);
int db_purge_inbound_texts(struct db *db, long long before, int batch);

/* True (and records `now`) when `task` last ran `interval` seconds ago or
 * never; false when it is not due or on error. */
bool db_housekeeping_due(struct db *db, const char *task, long long now, long long interval);

#endif
