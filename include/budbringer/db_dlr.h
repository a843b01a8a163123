/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_DLR_H
#define BUDBRINGER_DB_DLR_H

/*
 * Delivery reports in the database. A report either ends a message
 * (delivered, failed, expired) or is only worth an event in its history
 * (buffered, accepted by the SMSC …). Whatever arrives late or twice, a
 * message that already reached a final state keeps it: the report is
 * then recorded as an event and nothing else changes.
 *
 * A final report may end a message that is still `sending` (the report
 * overtook the gateway's HTTP answer), `sent`, `unknown` (the daemon died
 * while it was in flight: the report settles it) or `queued` again after
 * a timed-out attempt that did get through — which also stops the retry.
 */

#include "budbringer/db.h"

enum dlr_outcome {
	DLR_INTERIM,    /* buffered, accepted by the SMSC, en route: event only */
	DLR_DELIVERED,
	DLR_FAILED,
	DLR_EXPIRED,
};

struct dlr_report {
	long long msg_id;            /* our message id; 0 = find by provider_msgid */
	const char *provider_msgid;  /* the gateway's id, may be NULL */
	enum dlr_outcome outcome;
	const char *detail;          /* the gateway's words, for the event log */
	long long now;
};

/* The states a final report may end. */
#define DLR_OPEN_STATES "queued sending sent unknown"

/* "delivered", "failed", "expired" or "interim". */
const char *dlr_outcome_name(enum dlr_outcome o);

/*
 * Records one report in a transaction of its own (a savepoint inside the
 * caller's, e.g. the listener's group commit). Returns 0 when the
 * message changed state, 1 when only an event was recorded (interim
 * report, or the message was already final), 2 when no message matches,
 * -1 on a database error (logged; the caller should ask for a retry).
 * state_out (may be NULL) receives the message's state afterwards.
 */
int db_dlr_apply(struct db *db, const struct dlr_report *r, char *state_out, size_t state_size);

/* The SMS a report is about (by our id, else the gateway's): its id, 0
 * when none, -1 on an error. */
long long db_dlr_message_id(struct db *db, const struct dlr_report *r);

#endif
