/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_LOG_H
#define BUDBRINGER_LOG_H

/*
 * Two-tier logging in the OpenSMTPD manner: log_* report and go on,
 * fatal() ends the process (start-up or a broken invariant only).
 * Lines go to stderr (journald adds the time) with a level prefix; the
 * level is process-wide and set once at start-up. Thread-safe: each call
 * is one write(2).
 */

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERROR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

void log_init(const char *progname, enum log_level level);
/* Parses "error", "warn", "info", "debug"; returns -1 on anything else. */
int log_level_parse(const char *name, enum log_level *out);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* git's error(): logs at error level and returns -1. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define LOG_LINE_MAX 2048

/*
 * Many info lines in few writes: the outbox logs one line per message
 * and a batch of hundreds at a time (a write each was ~5% of its work).
 * Lines wait in the batch until log_batch_flush() — the outbox flushes
 * after its transaction commits, so the log never reports a change that
 * was rolled back — or log_batch_discard(). A flush writes whole lines,
 * at most PIPE_BUF bytes a write, so lines of other threads never land
 * inside one. Not shared between threads; zero-initialised is empty.
 */
struct log_batch {
	char *buf;
	size_t len, cap;
};
void log_batch_info(struct log_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_batch_warn(struct log_batch *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_batch_flush(struct log_batch *b);
void log_batch_discard(struct log_batch *b);
void log_batch_release(struct log_batch *b);

#endif
