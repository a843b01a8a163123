/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SMTP_H
#define BUDBRINGER_SMTP_H

/*
 * DESIGN: the "smtp" email provider, on libESMTP. The rest of the daemon
 * sees it only through provider.h (smtp_mail_ops, registered in
 * provider.c); this header is the contract between its two files:
 *   smtp.c          the job queue, the worker threads, the provider ops
 *   smtp_session.c  one SMTP connection of one worker, on libESMTP
 *
 * libESMTP is blocking, so the provider runs `connections` worker threads.
 * submit() copies the message into a job on the queue. A worker takes a
 * job, connects and starts a session; each time the server has answered
 * a message, libESMTP's event callback hands it the next queued job:
 * libESMTP walks its message list as it goes, so one connection carries
 * up to messages_per_session messages. Every message's fate is judged
 * from the server's own answers to MAIL, RCPT and the end of DATA and
 * posted as a send_result that the daemon's thread collects with poll():
 * workers never touch the database. The worker posting a result writes to
 * the daemon's wake pipe when a batch of them is ready (smtp_finish), so
 * the daemon sleeps while the sessions work and records answers in
 * transactions of hundreds.
 *
 * Pitfalls of libESMTP 1.1.0 (Debian 12) handled in smtp_session.c:
 * - its own SSL_CTX is a static freed at the end of the first session
 *   (use after free in the second): every session gets an SSL_CTX of
 *   ours; smtp_starttls_set_ctx() takes a reference, the session drops it.
 * - connect() has no timeout: a non-blocking probe with the configured
 *   timeout runs first; a failed probe fails every queued job at once
 *   (temporarily), so a dead server costs one timeout, not one per message.
 * - protocol timeouts below RFC 5321's minutes need
 *   Timeout_OVERRIDE_RFC2822_MINIMUM (values in milliseconds).
 * - smtp_start_session() succeeding says nothing about delivery: every
 *   recipient's status is read.
 * - when the server refuses a message at DATA, libESMTP looks for the next
 *   message before it reports the refusal: the session is always given
 *   one message beyond the one in progress.
 * - TLS 1.3 session tickets arriving before EHLO is flushed make libESMTP
 *   read before it writes and quit: TLS is capped at 1.2.
 *
 * Locking: everything in struct smtp_shared below `lock` is guarded by it,
 * except the config copies, which never change after init. A job belongs
 * to the queue (under the lock) or to exactly one worker.
 */

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>
#include <auth-client.h>
#include <libesmtp.h>

#include "budbringer/config.h"
#include "budbringer/mime.h"
#include "budbringer/provider.h"
#include "budbringer/sbuf.h"
#include "budbringer/wire.h"

struct smtp_job {
	struct smtp_job *next;
	long long msg_id;
	char *rcpt;                  /* in the job's own allocation */
	/* Copies in one block (text), NULL when absent; freed together. */
	char *text, *subject, *body, *title, *url, *unsub;
	char lang[4];
	char kind[12];               /* campaign, reply, confirm */
	/* Filled by the worker for one session. */
	struct sbuf data;            /* the built message */
	char msgid[MIME_MSGID_MAX];
	char sender[300];            /* envelope sender, bounce+ID@domain */
	smtp_message_t sm;
	smtp_recipient_t sr;
	bool data_sent;              /* the server said 354 and got the data */
	struct wire_slot *wire;      /* its wire journal slot (wire.h), or NULL */
	bool done;                   /* its result is posted */
	bool rejected;               /* a 5xx to RCPT or to the data */
};

struct smtp_worker;

/* Refcounted: a worker stuck in a dead session may outlive the provider. */
struct smtp_shared {
	pthread_mutex_t lock;
	pthread_cond_t work;         /* a job was queued, or stop */
	pthread_cond_t changed;      /* a result was posted or a worker ended */
	struct smtp_job *head, *tail;
	size_t n_queued;             /* on the queue */
	size_t n_active;             /* taken by a worker, no result yet */
	size_t n_results;            /* posted, not polled yet */
	size_t max_jobs;             /* capacity: the three together */
	struct send_result *results; /* max_jobs entries */
	int refs, running;
	bool stop;
	bool unreachable;            /* last contact failed (logs changes only) */
	int wake_fd;                 /* the daemon's wake pipe, -1 = none (see smtp_finish) */
	bool woken;                  /* written to it since the last poll */
	size_t wake_batch;           /* results worth waking the daemon for */
	char last_problem[220];
	struct smtp_worker *workers;
	int n_workers;
	/* Copies of the config (the provider's config may be freed first). */
	char *host, *port, *server, *helo, *username, *password;
	char no_realm[1];            /* "" for SASL mechanisms that ask for a realm */
	char *from, *from_name, *domain, *mailto;
	enum cfg_starttls starttls;
	bool verify_peer, host_is_ip;
	long timeout_ms;
	int per_session;
	X509_STORE *store;           /* trusted CAs, loaded once; NULL without TLS */
	/* The outbox's wire journal: a reference, so that a worker left in a
	 * dead session may still mark its slots after the provider is gone. */
	struct wire *wire;
};

/* ---- smtp.c: the queue, for the session code (worker threads) ---------- */

/* Takes the next queued job, waiting up to wait_ms for one. NULL: none
 * came, or the provider is stopping. The job then belongs to the caller. */
struct smtp_job *smtp_take(struct smtp_shared *sh, long long wait_ms);

/* Posts j's result (once; later calls do nothing) and frees its message
 * text and copies, keeping the small rest for the session's bookkeeping. */
void smtp_finish(struct smtp_shared *sh, struct smtp_job *j, enum send_status st,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Puts the list head..tail (n jobs, reset by the caller) back at the
 * front of the queue, in order: they were never tried. */
void smtp_requeue(struct smtp_shared *sh, struct smtp_job *head, struct smtp_job *tail,
		  size_t n);

/* Fails every queued job temporarily with why: the server is unusable. */
void smtp_fail_queued(struct smtp_shared *sh, const char *why);

void smtp_job_free(struct smtp_job *j);

/* ---- smtp_session.c ----------------------------------------------------- */

/* Delivers first and whatever the queue gives it in one connection;
 * every job it took is finished or requeued when it returns. */
void smtp_session_run(struct smtp_shared *sh, struct smtp_job *first);

#endif
