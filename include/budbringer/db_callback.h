/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_CALLBACK_H
#define BUDBRINGER_DB_CALLBACK_H

/*
 * SQL for status callbacks (src/db_callback.c).
 *
 * callbacks: the receivers — a URL and its signing secret, for one
 * association's campaigns or (association NULL, the portal) for all;
 * `messages` asks for per-message events too.
 *
 * callback_events: one row per event and receiver, written in the same
 * transaction as the change it reports (db_callback_campaign_event(),
 * db_callback_message_events() are called by db_campaign.c,
 * db_message.c, db_outbox.c and db_dlr.c), so an event exists exactly
 * when its change was committed. status pending -> sent | failed. The
 * sender claims due events as the outbox claims messages (claimed_by,
 * claimed_until; FOR UPDATE SKIP LOCKED on PostgreSQL): only the oldest
 * pending event of each (receiver, campaign) is ever due, so events of a
 * campaign reach a receiver in the order they happened.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/db.h"

/* ---- receivers ---- */

struct callback_row {
	long long id;
	long long association_id;          /* 0 = all campaigns (the portal) */
	const char *association;           /* its name, or NULL */
	const char *url;
	bool messages;
	const char *created_by;
	long long created_at;
	long long pending, failed, sent;   /* events by status */
	long long last_status;             /* last answer: HTTP status, 0 none, -1 never tried */
	long long last_at;
	const char *last_error;
};

/* 1 when association id exists, 0 when not, -1 error. */
int db_callback_association_exists(struct db *db, long long id);
/* Receivers of association_id (DB_CALLBACK_PORTAL: the portal's), or -1. */
long long db_callback_count(struct db *db, long long association_id);
/* Stores a receiver with its secret; *id set. */
int db_callback_add(struct db *db, long long association_id, const char *url, const char *secret,
		    bool messages, const char *created_by, long long now, long long *id);
/* Which receivers a caller may touch: an association's id (> 0), ANY
 * (staff), or PORTAL (those for every campaign, association NULL). */
#define DB_CALLBACK_ANY 0
#define DB_CALLBACK_PORTAL (-1)
/* Receivers of one association (or PORTAL's), or with all every one, by id. */
int db_callback_each(struct db *db, long long association_id, bool all,
		     int (*cb)(const struct callback_row *, void *), void *arg);
/* 0 found (row filled through cb), 1 none. */
int db_callback_get(struct db *db, long long id, int (*cb)(const struct callback_row *, void *),
		    void *arg);
/* Deletes a receiver and its events. 0, 1 no such receiver (of
 * association_id, see DB_CALLBACK_ANY), -1. */
int db_callback_remove(struct db *db, long long id, long long association_id);
/* Replaces the secret: 0, 1 no such receiver (of association_id), -1. */
int db_callback_set_secret(struct db *db, long long id, long long association_id,
			   const char *secret);

/* ---- enqueueing (inside the caller's transaction) ---- */

/*
 * One event per receiver of the campaign: type e.g. "campaign.finished",
 * status the campaign's new status, with the campaign's messages counted
 * by state now (counting queued ones as cancelled when cancelled is set:
 * a cancelled campaign sends none of them). Returns the number stored.
 */
int db_callback_campaign_event(struct db *db, long long campaign_id, const char *type,
			       const char *status, bool cancelled, long long now);
/* "message.<state>" events for the campaign messages whose ids are in the
 * JSON array ids_json, to the receivers that asked for messages. Nothing
 * for states callback_message_state() does not list. */
int db_callback_message_events(struct db *db, const char *ids_json, const char *state,
			       long long now);
int db_callback_message_event(struct db *db, long long message_id, const char *state,
			      long long now);

/* ---- the sender ---- */

struct callback_due {
	long long id, callback_id;
	const char *event_id, *type, *state, *counts, *channel, *url, *secret;
	long long campaign_id, message_id, opportunity_id, association_id, created_at;
	int attempts;               /* before this one */
};

/* True when some event is due at now (a cheap read before a claim). */
int db_callback_any_due(struct db *db, long long now);
/*
 * Claims up to max due events for daemon `by` until `until` (the caller
 * is in db_begin_claim()): cb sees each claimed one (strings valid during
 * the call). Returns the number claimed or -1.
 */
int db_callback_claim(struct db *db, long long now, size_t max, long long by, long long until,
		      int (*cb)(const struct callback_due *, void *), void *arg);

struct callback_outcome {
	long long id, callback_id;
	const char *status;         /* pending (retry at next_at), sent or failed */
	long long next_at;
	long http_status;           /* 0 = no answer */
	const char *error;          /* NULL on success */
	long long now;
};
/* Records an attempt on the event and as its receiver's last answer. */
int db_callback_record(struct db *db, const struct callback_outcome *o);
/* Lets go of claims (shutdown): they are due again at once. */
int db_callback_release(struct db *db, const long long *ids, size_t n);
/* Deletes sent and failed events finished before `before`; the count. */
int db_callback_purge(struct db *db, long long before);

/* ---- staff ---- */

struct callback_event_row {
	long long id, callback_id, campaign_id, message_id, created_at, next_at, last_at, done_at;
	const char *event_id, *type, *state, *status, *last_error;
	int attempts;
	long long last_status;      /* -1 = never tried */
};
struct callback_event_filter {
	long long callback_id, campaign_id;  /* 0 = any */
	long long association_id;            /* > 0: only that association's receivers */
	const char *status;                  /* NULL = any */
	int limit;                           /* newest `limit`, printed oldest first; 0 = 100 */
};
int db_callback_events_each(struct db *db, const struct callback_event_filter *f,
			    int (*cb)(const struct callback_event_row *, void *), void *arg);

#endif
