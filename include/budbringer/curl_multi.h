/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CURL_MULTI_H
#define BUDBRINGER_CURL_MULTI_H

/*
 * DESIGN: non-blocking HTTP for the gateway providers, on libcurl's multi
 * interface. (The prefix is cmulti_ because curl_multi_ is libcurl's.)
 *
 * A struct cmulti is one libcurl multi handle. The outbox makes one and
 * shares it between its HTTP providers, so that waiting for answers
 * wakes up when a transfer of *any* provider finishes: a provider whose
 * gateway hangs never delays another provider's results.
 *
 * A struct cmulti_pool is one provider's share: a fixed number of slots
 * (its `concurrency`) with the provider's connect and total timeouts.
 * cmulti_pool_start() copies the request into a free slot and hands it
 * to libcurl without doing any I/O; cmulti_run() drives every transfer
 * of the multi handle; finished transfers wait in their pool until
 * cmulti_pool_take() hands them to the provider and frees the slot.
 * A slot's easy handle is reused, and the multi handle keeps the
 * connections alive between requests.
 *
 * Not thread-safe: everything runs on the daemon's main thread. The
 * multi handle must outlive its pools (free the pools first).
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/sbuf.h"

struct cmulti;
struct sockaddr;
struct cmulti_pool;

struct cmulti_request {
	long long tag;               /* the caller's id (our message id) */
	const char *method;          /* "GET" or "POST" */
	const char *url;
	const char *const *headers;  /* "Name: value", NULL-terminated; may be NULL */
	const char *body;            /* POST body (copied); may be NULL */
	size_t body_len;
	/* For URLs from outside (status callbacks): the schemes allowed
	 * ("https"; NULL = "http,https"), and a check of every address before
	 * a connection to it is opened (NULL = any). With a check no proxy is
	 * used: the proxy's address is not the one that would be judged. */
	const char *protocols;
	bool (*allow_address)(const struct sockaddr *sa, size_t len);
};

struct cmulti_response {
	long long tag;
	long status;                 /* HTTP status; 0 when no answer came */
	int curl_code;               /* 0 (CURLE_OK) or libcurl's error code */
	bool timed_out;              /* connect or total timeout hit */
	bool connect_failed;         /* no byte of the request left: it cannot have arrived */
	bool address_refused;        /* allow_address() said no to an address */
	const char *error;           /* libcurl's explanation, "" when none */
	const char *body;            /* NUL-terminated; valid during the callback */
	size_t body_len;             /* at most CMULTI_MAX_BODY (longer is cut) */
	long elapsed_ms;
};

#define CMULTI_MAX_BODY 65536

typedef void cmulti_done_fn(const struct cmulti_response *r, void *arg);

/* The outbox's wire journal (wire.h; m does not own it; NULL = none):
 * each request whose tag has a slot there is marked on the wire when
 * libcurl starts writing it. */
struct wire;
void cmulti_set_wire(struct cmulti *m, struct wire *w);

/* Returns NULL (logged) when libcurl cannot be set up. */
struct cmulti *cmulti_new(void);
void cmulti_free(struct cmulti *m);

/*
 * Drives all transfers of m. Returns as soon as at least one transfer
 * has finished (in this call or earlier, still untaken), when nothing is
 * running, or after timeout_ms (0 = just do what can be done now).
 * Returns the number of finished transfers waiting in pools.
 */
size_t cmulti_run(struct cmulti *m, int timeout_ms);

/* A pool of `slots` concurrent requests. Timeouts in seconds. */
struct cmulti_pool *cmulti_pool_new(struct cmulti *m, size_t slots, int connect_timeout,
				    int timeout);
/* Aborts the pool's unfinished transfers (their results are lost). */
void cmulti_pool_free(struct cmulti_pool *p);

size_t cmulti_pool_idle(const struct cmulti_pool *p);     /* free slots */
size_t cmulti_pool_running(const struct cmulti_pool *p);  /* started, not taken */
size_t cmulti_pool_finished(const struct cmulti_pool *p); /* finished, not taken */
struct cmulti *cmulti_pool_multi(const struct cmulti_pool *p);

/* Starts a request. 0, or -1 when no slot is free or libcurl refused. */
int cmulti_pool_start(struct cmulti_pool *p, const struct cmulti_request *req);

/* Calls done() for up to max finished transfers and frees their slots.
 * Returns the number handed over. */
size_t cmulti_pool_take(struct cmulti_pool *p, size_t max, cmulti_done_fn *done, void *arg);

/*
 * Copies the start of an HTTP answer into dst (size n > 0) as one line for
 * the event log: control characters become spaces, runs of blanks one
 * space, leading and trailing blanks go, bytes that are not valid UTF-8
 * become '?', and a character is never cut in half. Pure.
 */
void cmulti_snippet(char *dst, size_t n, const char *body, size_t len);

/* Appends data percent-encoded for a URL query (all but A-Z a-z 0-9 - . _ ~). Pure. */
void cmulti_url_escape(struct sbuf *out, const void *data, size_t len);

#endif
