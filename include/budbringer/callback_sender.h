/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CALLBACK_SENDER_H
#define BUDBRINGER_CALLBACK_SENDER_H

/*
 * DESIGN: the daemon's status-callback sender (src/callback_sender.c).
 *
 * Events wait in callback_events (db_callback.h), written with the change
 * they report. Each turn of the daemon loop, callback_sender_step():
 *   1. drives its requests on its own libcurl multi handle without
 *      waiting (cmulti_run(…, 0)) and records the answers that came —
 *      2xx sent; no answer, 408, 429, 5xx retried after a backoff that
 *      doubles up to callbacks.backoff_max, for callbacks.retry_for;
 *      anything else failed at once;
 *   2. at most once a second (at once after an answer: the next event of
 *      that campaign may be waiting), claims due events for its free
 *      slots (callbacks.max_in_flight) and starts one signed POST each.
 * Only the oldest pending event of a (receiver, campaign) is ever due, so
 * a receiver gets a campaign's events in order, one at a time. A claim
 * lasts the request's timeouts and a margin: events of a daemon that died
 * are due again after that. Delivery is at least once (a lost answer is
 * a resend): receivers drop repeats by Budbringer-Event-Id.
 *
 * The multi handle (and with it OpenSSL's ~2 MB) is made when the first
 * event is due. Main thread only; no HTTP handler ever sends.
 */

#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/db.h"

struct callback_sender;

/* Never fails: the network parts come later, when needed. */
struct callback_sender *callback_sender_new(struct db *db, const struct config *cfg);
/* After a reload (before the old config is freed). New timeouts and
 * max_in_flight apply once the requests in flight are answered. */
void callback_sender_set_config(struct callback_sender *s, const struct config *cfg);
/* This daemon's id in the registry: its claims carry it. */
void callback_sender_set_daemon(struct callback_sender *s, long long id);
/* One turn (see above). Returns how many events moved (started or answered). */
int callback_sender_step(struct callback_sender *s, long long now);
/* How long the loop may sleep, in ms, at most idle_ms. */
int callback_sender_next_wait(const struct callback_sender *s, int idle_ms);
size_t callback_sender_in_flight(const struct callback_sender *s);
/* Aborts what is in flight and lets go of its claims (due again at once). */
void callback_sender_free(struct callback_sender *s);

#endif
