/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_HTTP_DEADLINE_H
#define BUDBRINGER_HTTP_DEADLINE_H

/*
 * An absolute deadline for each request's headers and body. libmicrohttpd's
 * own timeout is an idle timeout that every byte resets, so a client that
 * trickles a header line every few seconds would keep its connection for
 * ever. The listener registers each connection's socket here; a watcher
 * thread shuts down (shutdown(2), which libmicrohttpd then sees as the
 * client going away) any socket that has not delivered a whole request
 * within the deadline since it connected or since its last answer. A
 * request being handled is never cut.
 */

#include <stdbool.h>

struct http_deadline;
struct http_deadline_conn;

/* Starts the watcher; NULL if the thread cannot start. */
struct http_deadline *http_deadline_start(int seconds);
/* Stops the watcher and frees what is still registered. */
void http_deadline_stop(struct http_deadline *d);

/* A new connection on socket fd; its clock starts now. */
struct http_deadline_conn *http_deadline_watch(struct http_deadline *d, int fd);
/* The connection closed: forget it (NULL is ignored). */
void http_deadline_forget(struct http_deadline *d, struct http_deadline_conn *c);
/* The request is complete and being handled (busy), or answered (not
 * busy: the clock starts again for the next request on the connection). */
void http_deadline_busy(struct http_deadline *d, struct http_deadline_conn *c, bool busy);

#endif
