/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_PROVIDER_H
#define BUDBRINGER_PROVIDER_H

/*
 * DESIGN: a provider takes messages of one channel to the outside world
 * (a gateway, an SMTP server, a spool directory). The outbox submits a
 * message, the provider works on it (synchronously or in the background)
 * and reports a result through provider_poll(). Adding a gateway is
 * adding one file with a `struct provider_ops` and one line in the
 * registry in provider.c.
 *
 * Providers never touch the database: results flow back to the outbox,
 * which records every state change. All calls come from the daemon's
 * main thread.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/model.h"
#include "budbringer/sbuf.h"

enum send_status {
	SEND_OK,        /* the provider accepted it: message becomes `sent` */
	SEND_TEMPFAIL,  /* try again later (503, timeout, 4xx SMTP) */
	SEND_PERMFAIL,  /* never going to work (4xx HTTP, 5xx SMTP) */
	/* The message went out but its answer was lost (a timeout or a cut
	 * connection after the request or the SMTP data was sent): the
	 * provider may have it. Never resent blindly: the message becomes
	 * `unknown`, unless the provider is idempotent (then retried with the
	 * same key, which cannot send it twice). */
	SEND_UNKNOWN,
};

struct send_result {
	long long msg_id;
	enum send_status status;
	char provider_msgid[128];
	char detail[256];   /* the provider's answer, for the event log */
	/* SEND_PERMFAIL from a mail server that refused the recipient or the
	 * data with a 5xx: the message bounced (bounce_apply.h), unlike a
	 * message we could not even build. */
	bool rejected;
};

struct wire;
struct wire_slot;

/* What a provider gets: the message, ready to go. */
struct outbound {
	const struct message *msg;
	const char *coding;       /* SMS: gsm7 / ucs2 */
	int segments;
	const char *unsubscribe_url; /* email: signed link, may be NULL */
	const char *sender;
	/* Its slot in the wire journal (wire.h), or NULL: a provider with
	 * marks_wire calls wire_out() on it when the message starts going out
	 * and wire_answer() when its answer comes. */
	struct wire_slot *wire;
};

struct provider;
struct cmulti;

struct provider_ops {
	const char *type;
	enum channel channel;
	bool uses_http;   /* talks to its gateway through libcurl (p->http) */
	/* Marks o->wire itself at the moment the message goes on the wire
	 * (wire.h). Without it the outbox marks it when it hands it over,
	 * which after a crash leaves it `unknown`, as before. An HTTP
	 * provider on the outbox's shared multi handle needs no flag: the
	 * handle marks each request whose tag is the message id. */
	bool marks_wire;
	/* Sets p->priv from the provider's config; -1 with a reason in err. */
	int (*init)(struct provider *p, struct sbuf *err);
	/* Takes a message. 0 accepted (result comes from poll), -1 cannot take
	 * it now (no capacity): the outbox retries later. */
	int (*submit)(struct provider *p, const struct outbound *o);
	/* Does pending I/O for up to timeout_ms; writes up to max results. */
	size_t (*poll)(struct provider *p, int timeout_ms, struct send_result *out, size_t max);
	/* Messages it can take right now. */
	size_t (*capacity)(struct provider *p);
	/* Optional, with withdraw: the ids of messages it took but has not
	 * started on (waiting in its own queue), up to max. */
	size_t (*waiting)(struct provider *p, long long *ids, size_t max);
	/* Optional: hands back, as temporary failures through poll, the
	 * messages it took but has not started on — those of ids, or all when
	 * ids is NULL (the daemon stops or reloads) — so that they are queued
	 * again (or cancelled, if no longer wanted) instead of sent or left
	 * `unknown`. */
	void (*withdraw)(struct provider *p, const long long *ids, size_t n);
	void (*free)(struct provider *p);
};

struct provider {
	const struct provider_ops *ops;
	char *name;
	const struct config *cfg;           /* the daemon's config at init time */
	const struct cfg_sms_provider *sms; /* NULL for email providers */
	bool idempotent;                    /* retries with our message id are safe */
	/* HTTP providers: the outbox's shared libcurl multi handle, set after
	 * provider_new() and before the first submit; NULL = use their own. */
	struct cmulti *http;
	/* The outbox's wire journal, set like `http` (a provider whose threads
	 * may outlive it takes a reference with wire_ref()); may be NULL. */
	struct wire *wire;
	/* The daemon loop's wake pipe (write end), set like `http`; -1 = none.
	 * A provider that sets `wakes` in init writes a byte to it when
	 * answers are ready, so the loop may sleep while its requests are out
	 * instead of polling it (write non-blocking; a full pipe is a wake). */
	int wake_fd;
	bool wakes;
	void *priv;
	/* Health, kept by the outbox for failover. */
	int consecutive_failures;
	long long cooldown_until;
	/* Token bucket for the rate limit. */
	double tokens;
	double rate;
	double rate_share;   /* this daemon's part of it (outbox_set_daemons) */
	long long last_refill_ms;
};

/* Creates the provider of the given type; NULL with a reason in err. */
struct provider *provider_new(const char *type, const char *name, const struct config *cfg,
			      const struct cfg_sms_provider *sms, struct sbuf *err);
/* The same with the ops table given (a provider outside the registry: the
 * unit tests' fake one). */
struct provider *provider_new_ops(const struct provider_ops *ops, const char *name,
				  const struct config *cfg, const struct cfg_sms_provider *sms,
				  struct sbuf *err);
void provider_free(struct provider *p);

/* Common helpers for provider files. */
/* An HTTP gateway gave no answer: temporary when the request never left
 * (nothing can have arrived), else SEND_UNKNOWN. detail names the gateway
 * ("sendsms", "the gateway") and the transport's reason. */
enum send_status send_no_answer(const char *gateway, bool request_left, const char *transport,
				char *detail, size_t detail_size);
void send_result_set(struct send_result *r, long long msg_id, enum send_status st,
		     const char *provider_msgid, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
