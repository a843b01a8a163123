/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_WIRE_H
#define BUDBRINGER_WIRE_H

/*
 * DESIGN: the wire journal — which of the messages this daemon holds in
 * `sending` may have reached the outside world, so that a crash leaves
 * `unknown` only those (issue 17, item 4).
 *
 * Every message the outbox hands to a provider takes a slot in a table
 * (wire_claim) before the provider sees it. The provider marks the slot
 * at the moment the message goes on the wire — SMTP: the first
 * SMTP_EV_MESSAGEDATA of the message, after the server's 354; HTTP: the
 * libcurl PREREQFUNCTION of the request, after the connection is up and
 * before the first byte of the request — and again when the answer comes
 * (accepted with the provider's id, or refused). The outbox frees the
 * slot once the answer is committed to the database.
 *
 * The table is a file, mapped MAP_SHARED: a mark is a few stores into
 * the page cache, no system call, no fsync. A process crash (kill -9,
 * abort, OOM kill) cannot lose a store already made, because the pages
 * belong to the kernel, not to the process. A machine crash can lose the
 * last marks: on the way back the journal may say "never handed over"
 * for a message that went out. That case is covered by the boot id in
 * the header (/proc/sys/kernel/random/boot_id): a journal written before
 * the machine's last boot is not trusted, and its daemon's claims are
 * settled by the old rule (all `unknown`).
 *
 * Reading it back (wire_view): the daemon that settles a dead daemon's
 * claims (at start-up, or on PostgreSQL the first live daemon to notice)
 * opens that daemon's file and trusts it only when all of these hold:
 * it is there; its header names the same database, daemon id, host and
 * boot; and its owner is dead — the owner
 * holds an flock() on it for life, which the kernel drops when the
 * process dies, so taking the lock proves it. Otherwise the claims are
 * settled as before. A daemon on another host never sees the file: its
 * claims become `unknown` as before.
 *
 * Verdicts: a slot marked answered-accepted settles as `sent`; answered
 * and refused as `queued` (a normal attempt); on the wire, or an answer
 * lost, as before (`unknown`, or `queued` for idempotent providers);
 * handed over but not on the wire, or no slot at all, as `queued` with
 * the attempt given back.
 *
 * The table also keeps, in memory only, the attempt count each message
 * had when it was claimed, so that a temporary failure needs no query to
 * decide between retry and give up.
 *
 * Threads: wire_claim, wire_find, wire_release, wire_attempts and the
 * view functions on the daemon's main thread only; wire_out and
 * wire_answer on any thread, on a slot the caller was given; wire_ref and
 * wire_unref anywhere.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/provider.h"
#include "budbringer/sbuf.h"

struct wire;
struct wire_slot;
struct wire_view;

enum wire_state {
	WIRE_FREE = 0,
	WIRE_HANDED,    /* claimed and given to a provider, nothing sent yet */
	WIRE_OUT,       /* its data or request started going out */
	WIRE_ACCEPTED,  /* the provider said yes (its id is kept) */
	WIRE_REFUSED,   /* the provider said no, or it never left */
};

/*
 * This daemon's journal, DIR/budbringer-wire-HASH-ID (HASH from the
 * database's name), created afresh and locked, with at least n_slots
 * slots. dir NULL or "": a table in memory only (nothing survives a
 * crash; recovery then uses the old rule). NULL with a reason in err
 * when the file cannot be made. The caller holds one reference.
 */
struct wire *wire_open(const char *dir, const char *database, long long daemon_id,
		       size_t n_slots, struct sbuf *err);
struct wire *wire_ref(struct wire *w);
/* Drops a reference; the last one unmaps the table and removes its file
 * when no slot is in use (NULL is fine). */
void wire_unref(struct wire *w);
bool wire_is_file(const struct wire *w);
long long wire_daemon(const struct wire *w);
size_t wire_in_use(const struct wire *w);

/* A slot for msg_id, marked handed over (attempts: its count after the
 * claim). NULL when the table is full: the message must not be sent. */
struct wire_slot *wire_claim(struct wire *w, long long msg_id, int attempts);
struct wire_slot *wire_find(struct wire *w, long long msg_id);
/* The attempts recorded by wire_claim, or -1 when msg_id has no slot. */
int wire_attempts(const struct wire *w, long long msg_id);
/* Its answer is in the database: the slot is free again. */
void wire_release(struct wire *w, long long msg_id);

/* Any thread; s may be NULL (no journal): nothing happens. */
void wire_out(struct wire_slot *s);
/* SEND_OK: accepted (provider_msgid may be NULL); SEND_TEMPFAIL and
 * SEND_PERMFAIL: refused; SEND_UNKNOWN leaves it as it is. */
void wire_answer(struct wire_slot *s, enum send_status st, const char *provider_msgid);
enum wire_state wire_slot_state(const struct wire_slot *s);
/* The provider's id kept with WIRE_ACCEPTED ("" when none) into buf (size n > 0). */
void wire_slot_msgid(const struct wire_slot *s, char *buf, size_t n);

/* ---- reading a dead daemon's journal (main thread) ---- */

/* The journal of daemon_id when it can be trusted (see DESIGN); NULL
 * when there is none to trust. Holds its lock until closed. */
struct wire_view *wire_view_open(const char *dir, const char *database, long long daemon_id);
/* The state of msg_id in the view (WIRE_FREE: no slot), with the
 * provider's id for WIRE_ACCEPTED copied to msgid (size n, may be 0). */
enum wire_state wire_view_get(const struct wire_view *v, long long msg_id, char *msgid, size_t n);
/* remove: its claims are settled, the file goes. NULL is fine. */
void wire_view_close(struct wire_view *v, bool remove);

#endif
