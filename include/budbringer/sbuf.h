/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SBUF_H
#define BUDBRINGER_SBUF_H

/*
 * A growable NUL-terminated byte buffer, after git's strbuf.
 * SBUF_INIT or sbuf_init() before use; sbuf_release() frees and
 * leaves it ready for reuse; sbuf_detach() hands the string to the
 * caller (caller frees). buf is never NULL after init. Allocation
 * failure is fatal (a daemon that cannot allocate a few bytes cannot
 * do anything useful).
 */

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

extern char sbuf_empty[];
#define SBUF_INIT { sbuf_empty, 0, 0 }

void sbuf_init(struct sbuf *sb, size_t hint);
void sbuf_release(struct sbuf *sb);
char *sbuf_detach(struct sbuf *sb, size_t *len);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_reset(struct sbuf *sb);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_addstr(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, int c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Appends the reason to err (when not NULL) and returns -1, for the
 * `return sbuf_fail(err, "…")` of functions that explain their errors. */
int sbuf_fail(struct sbuf *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Duplicates or dies. */
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);

/* bsnprintf: 0 when it fit, -1 on truncation or error (OpenSMTPD). */
int bsnprintf(char *dst, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
