/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_OUTBOX_H
#define BUDBRINGER_OUTBOX_H

/*
 * DESIGN: the outbox moves queued messages to providers and records
 * every answer. The state machine of one message:
 *
 *   queued --claim--> sending --provider OK--> sent --DLR--> delivered/failed
 *                        |--temporary failure--> queued (later, backoff+jitter)
 *                        |                       or failed after max_attempts
 *                        `--permanent failure--> failed
 *   queued past its expiry --> expired
 *
 * The move to `sending` is committed *before* the provider sees the
 * message. If the process dies after that, the message is found in
 * `sending` at start-up and settled by this daemon's wire journal
 * (wire.h): `queued` again (attempt given back) when it had not yet
 * gone on the wire, `sent` when the provider had already said yes, and
 * `unknown` (never resent blindly) only when it may be out with its
 * answer lost — unless its provider is idempotent (it deduplicates by our
 * message id), in which case it goes back to `queued` and is retried
 * with the same id. Without a usable journal every such message is
 * settled by that last rule.
 *
 * Providers of one channel are tried in priority order; one that fails
 * `failover_after` times in a row rests for `cooldown` seconds and the
 * next takes over (only then: a busy provider is waited for, not
 * bypassed). Each provider has a token bucket (`rate` per second, counted
 * in segments where it bills them) and at most `concurrency` requests in
 * flight; HTTP providers share one libcurl multi handle, so a hung
 * request holds one slot until its timeout and nothing else.
 */

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sbuf.h"

struct outbox;

/* Builds the providers the config names. NULL with a reason in err. */
struct outbox *outbox_new(struct db *db, const struct config *cfg, struct sbuf *err);
/* Messages still in flight (answers lost with the providers) are settled
 * as outbox_recover() would: `unknown`, or `queued` for idempotent ones. */
void outbox_free(struct outbox *ob);
/* An outbox over providers made by the caller (it takes them over): one
 * SMS provider and the email one. For tests with a fake provider. */
struct provider;
struct outbox *outbox_new_with(struct db *db, const struct config *cfg, struct provider *sms,
			       struct provider *mail);

/* Start-up recovery of messages left in `sending`. Returns count or -1. */
int outbox_recover(struct outbox *ob, long long now);

/*
 * One turn: collects answers (waiting at most wait_ms, and only while
 * requests are out and nothing has come back yet), then in one
 * transaction records them and claims due messages up to the free
 * capacity, then submits the claimed ones. Answers that could not be
 * recorded (a busy database) are kept for the next turn. Returns the
 * number of messages that changed state, or -1.
 */
int outbox_step(struct outbox *ob, long long now, int wait_ms);

/* As outbox_step() but claims nothing new: for a stop or reload, so the
 * answers of messages already handed over are recorded (a message given up
 * on becomes `unknown` at the next start). */
int outbox_collect(struct outbox *ob, long long now, int wait_ms);

/* The daemon stops or reloads: providers hand back what they have not
 * started on (see provider_ops.withdraw); outbox_collect() records it. */
void outbox_withdraw(struct outbox *ob);

/* Messages waiting in a provider's own queue (taken, not started) whose
 * subscriber has since said stop, or whose campaign was cancelled, are
 * handed back and so cancelled. Returns how many, or -1. */
int outbox_withdraw_unwanted(struct outbox *ob);

/* Messages handed to providers whose answer is not recorded yet. */
size_t outbox_in_flight(const struct outbox *ob);

/* Gives every provider the daemon loop's wake pipe (see provider.h);
 * call after outbox_new(), before the first step. */
void outbox_set_wake(struct outbox *ob, int fd);
/* How long a claim is recorded to last: longer than any send may take. */
#define OUTBOX_CLAIM_LEASE 600
/* Several daemons (cluster.c): this daemon's id, which its claims carry;
 * how many daemons share each provider's rate (each takes rate / n); and
 * the providers another daemon has put aside. */
void outbox_set_daemon(struct outbox *ob, long long id);
void outbox_set_daemons(struct outbox *ob, int n);
int outbox_sync_rests(struct outbox *ob, long long now);
/* The table of messages in flight (wire.h). outbox_set_daemon() makes it
 * this daemon's journal file; after a reload the new outbox takes the
 * same one with outbox_set_wire() (before its first step; a reference is
 * taken), so nothing the old one left out is forgotten. */
struct wire;
void outbox_set_wire(struct outbox *ob, struct wire *w);
struct wire *outbox_wire(const struct outbox *ob);
/* Messages of a channel this daemon handed to a provider since it started. */
long long outbox_claimed(const struct outbox *ob, enum channel chan);

/*
 * How long the loop may sleep (a write to the wake pipe cuts it short)
 * before the next outbox_step(): 0 when the last turn left work ready
 * (a batch limit, unrecorded answers, or a polled provider that moved),
 * a short wait while answers are due, idle_ms when nothing is out.
 */
int outbox_next_wait(const struct outbox *ob, int idle_ms);

#endif
