/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CALLBACK_H
#define BUDBRINGER_CALLBACK_H

/*
 * Status callbacks, the pure half (src/callback.c): what an event's body
 * looks like, how it is signed, when a failed delivery is tried again.
 * No I/O and no database; the daemon's sender (callback_sender.h) and
 * the SQL (db_callback.h) use these.
 *
 * Signature (Stripe's scheme): the header
 *   Budbringer-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
 * where secret is the whole string handed out at registration
 * ("whsec_" and 64 hex digits) and body the exact bytes POSTed.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/sbuf.h"

/* "whsec_" + 64 hex digits (32 bytes from getrandom) + NUL. */
#define CALLBACK_SECRET_LEN (6 + 64 + 1)

/* One stored event, as the sender loads it (strings borrowed). */
struct callback_event {
	const char *event_id;      /* "evt_" + 32 hex digits */
	const char *type;          /* campaign.approved …, message.delivered … */
	long long created_at;
	long long campaign_id;
	/* campaign events */
	long long opportunity_id, association_id;  /* 0 = none */
	const char *state;         /* the campaign's status, or the message's state */
	const char *counts;        /* JSON object state -> count (campaign events), or NULL */
	/* message events */
	long long message_id;      /* 0 for campaign events */
	const char *channel;
};

/* What to do after one delivery attempt. */
enum callback_verdict { CALLBACK_DONE, CALLBACK_RETRY, CALLBACK_FAIL };

/* Fills out with a new secret from the kernel's CSPRNG: 0, or -1. */
int callback_secret_new(char out[CALLBACK_SECRET_LEN]);

/* hex HMAC-SHA256(secret, "<t>.<body>") into out (65 bytes): 0 or -1. */
int callback_sign(const char *secret, long long t, const char *body, size_t len, char out[65]);
/* The Budbringer-Signature header's value "t=…,v1=…" appended to out. */
int callback_signature(const char *secret, long long t, const char *body, size_t len,
		       struct sbuf *out);

/* The JSON body of an event (compact, keys sorted: the same bytes every
 * attempt). NULL when the stored event is malformed. Caller frees. */
char *callback_payload(const struct callback_event *e);

/* True for the message states that make a per-message event. */
bool callback_message_state(const char *state);

/*
 * The verdict for an answer: status the HTTP status (0 when none came).
 * 2xx done; 408, 429, 5xx and no answer (timeout, connection refused,
 * reset) retried; every other status (3xx: redirects are not followed,
 * 4xx) failed at once.
 */
enum callback_verdict callback_classify(long status);

/*
 * Seconds to wait before the next attempt after `attempts` failed ones
 * (1, 2, …): initial, doubling each time, at most max. jitter in [0, 1)
 * adds up to a tenth on top, so receivers that come back are not hit by
 * every sender at once; pass 0 for the bare schedule.
 */
long long callback_backoff(int attempts, int initial, int max, double jitter);

/* The retry settings callback_after() applies (config callbacks.*). */
struct callback_retry {
	int backoff_initial, backoff_max;
	int retry_for;             /* an event is given up this long after it was made */
};
/*
 * What follows attempt number `attempts` (1 = the first) of an event made
 * at created_at, answered with status (0 = none) at now: DONE; RETRY with
 * *next_at; or FAIL — at once for a refusing status, or when the next
 * try would come more than retry_for after created_at.
 */
enum callback_verdict callback_after(long status, int attempts, long long created_at,
				     long long now, const struct callback_retry *r, double jitter,
				     long long *next_at);

#endif
