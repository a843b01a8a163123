/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_HTTP_H
#define BUDBRINGER_HTTP_H

/*
 * DESIGN: one libmicrohttpd listener (config http.listen). libmicrohttpd
 * runs the connections on its own threads; every handler gets a
 * database connection of its own from a small pool and the config that
 * was current when the server started. Handlers validate, write, answer;
 * they never call a gateway or an SMTP server — work for the daemon's
 * loop is queued in the database and the loop is woken through
 * http_request_wake().
 *
 * Routes live in the table in http.c; each handler sits in the file of its
 * area (http_sms.c, http_api.c, http_links.c, http_dashboard.c).
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sbuf.h"

struct http_server;

struct http_request {
	struct http_server *server;
	const struct config *cfg;
	struct db *db;             /* this request's connection */
	const char *method;
	const char *path;          /* without the query string */
	const char *body;          /* NUL-terminated, may be "" */
	size_t body_len;
	void *conn;                /* libmicrohttpd connection (opaque) */
	const char *remote;        /* client address, for logs */
	void *priv;                /* the listener's own state */
};

/* Room for one extra header's name or value: a redirect's Location is
 * an opportunity's URL. */
#define HTTP_HEADER_MAX 2048

struct http_response {
	int status;
	const char *content_type;  /* default application/json */
	struct sbuf body;
	char headers[4][2][HTTP_HEADER_MAX]; /* extra headers: name, value (a longer one is dropped) */
	size_t n_headers;
};

typedef void http_handler_fn(struct http_request *req, struct http_response *resp);

/* Starts listening. NULL with a reason in err. `wake_fd` is written one
 * byte to when a handler queued work for the daemon loop (-1 = none). */
struct http_server *http_start(const struct config *cfg, int wake_fd, struct sbuf *err);
/* Starts a server for cfg on the old server's listening socket, then stops
 * the old one after its requests finish: a reload drops no connection.
 * On failure the old server keeps running and NULL is returned. */
struct http_server *http_restart(struct http_server *old, const struct config *cfg,
				 struct sbuf *err);
void http_stop(struct http_server *s);
/* Request helpers for handlers. */
const char *http_query(struct http_request *req, const char *name);   /* GET args or form fields */
const char *http_header(struct http_request *req, const char *name);
/* The token of "Authorization: Bearer TOKEN" (≤ 512 bytes), else NULL. */
const char *http_bearer(struct http_request *req);
/* A gateway's shared secret: ?secret=, the X-Budbringer-Secret header
 * (X-Inbound-Secret accepted too), or a Bearer token. Compare it with
 * token_equal(). NULL when none was sent. */
const char *http_shared_secret(struct http_request *req);
/* True when the body is JSON: a Content-Type naming json, or without one a
 * body starting with '{' or '['. */
bool http_body_is_json(struct http_request *req);
/* A positive decimal id of at most 18 digits, no sign or leading zero; 0 otherwise. */
long long http_parse_id(const char *s);
void http_request_wake(struct http_request *req);
/*
 * Group commit for write-heavy routes (/sms/inbound). fn(db, arg) runs on
 * the listener's writer connection, one request at a time, each in a
 * savepoint of its own, inside a transaction shared with the requests
 * that queued up meanwhile (the last of them commits; at most 64, open
 * at most 20 ms). SQLite admits one writer anyway: queueing here instead
 * of in SQLite's busy handler keeps the latency even, and one commit for
 * many requests writes each page once instead of once per request.
 * fn must only do database work on db (nested db_begin() is fine).
 * Returns fn's result once it is committed, or -1 when fn failed (its
 * work undone, the others' kept) or the commit failed (nothing kept).
 */
int http_write_batch(struct http_request *req, int (*fn)(struct db *db, void *arg), void *arg);

/* Who sends an /api/v1 request (http_api.c): an association's id, or
 * HTTP_API_PORTAL for the portal's token; 0 with the 401 written. */
#define HTTP_API_PORTAL (-1)
long long http_api_caller(struct http_request *req, struct http_response *resp);

/* Response helpers. */
void http_json_error(struct http_response *resp, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void http_add_header(struct http_response *resp, const char *name, const char *value);

/* Metrics counters kept by the server (thread-safe). */
void http_count(struct http_server *s, const char *name, long long delta);
/* A slot for a password hash (a yescrypt costs tens of milliseconds on a
 * listener thread): true when fewer than max run, false to refuse at once
 * so that a login flood cannot hold the threads the webhooks need. */
bool http_hash_slot_take(struct http_server *s, int max);
void http_hash_slot_give(struct http_server *s);
/* A gauge: the latest value wins (e.g. the daemon's last poll time).
 * Any thread; s may be NULL. */
void http_gauge(struct http_server *s, const char *name, long long value);

/* The inbound SMS engine (keyword table) built for this server's config. */
struct inbound;
const struct inbound *http_inbound(struct http_request *req);

#endif
