/* SPDX-License-Identifier: MIT */
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

/* Set once by log_init() before any thread starts; read-only afterwards. */
static const char *log_progname = "budbringer";
static enum log_level log_threshold = LOG_LVL_INFO;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void log_init(const char *progname, enum log_level level)
{
	log_progname = progname;
	log_threshold = level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcmp(name, level_names[i])) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

/* Appends msg to line[n..LOG_LINE_MAX) with every control character
 * escaped (\n \r \t \xNN): values from outside (a gateway's message id,
 * a header) must not start a line of their own that looks like ours.
 * Bytes from 0x80 up pass, so UTF-8 stays readable. Returns the new n;
 * stops early (leaving room for the truncation mark, *cut set) when full. */
static int escape_into(char *line, int n, const char *msg, bool *cut)
{
	static const char hex[] = "0123456789abcdef";
	const int room = LOG_LINE_MAX - 5;

	for (const unsigned char *p = (const unsigned char *)msg; *p && n < room; p++) {
		if (*p >= 0x20 && *p != 0x7f) {
			line[n++] = (char)*p;
			continue;
		}
		if (n + 4 > room) {
			*cut = true;   /* no room for the escape */
			return n;
		}
		line[n++] = '\\';
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			line[n++] = *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't';
		} else {
			line[n++] = 'x';
			line[n++] = hex[*p >> 4];
			line[n++] = hex[*p & 15];
		}
	}
	if (*msg && n >= room)
		*cut = true;
	return n;
}

/* The whole line with its prefix and newline into line[LOG_LINE_MAX];
 * returns its length, or 0 when there is nothing to write. */
__attribute__((format(printf, 3, 0)))
static size_t format_line(char *line, enum log_level level, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX];
	bool cut = false;
	int n, m;

	if (level > log_threshold)
		return 0;
	n = snprintf(line, LOG_LINE_MAX, "%s: %s: ", log_progname, level_names[level]);
	if (n < 0 || n >= LOG_LINE_MAX)
		return 0;
	m = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (m < 0)
		return 0;
	n = escape_into(line, n, msg, &cut);
	if (cut || m >= (int)sizeof(msg)) {
		/* Truncated: mark it so nobody mistakes it for the whole line. */
		memcpy(line + n, "...", 3);
		n += 3;
	}
	line[n++] = '\n';
	return (size_t)n;
}

__attribute__((format(printf, 2, 0)))
static void log_vwrite(enum log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = format_line(line, level, fmt, ap);

	/* One write per line so threads never interleave inside a line. */
	if (n && write(STDERR_FILENO, line, n) < 0)
		return;
}

void log_batch_flush(struct log_batch *b)
{
	size_t off = 0;

	while (off < b->len) {
		size_t n = b->len - off;

		/* Whole lines up to PIPE_BUF: a line is never over LOG_LINE_MAX. */
		if (n > PIPE_BUF) {
			n = PIPE_BUF;
			while (n && b->buf[off + n - 1] != '\n')
				n--;
		}
		if (!n || write(STDERR_FILENO, b->buf + off, n) < 0)
			break;	/* nowhere to log to: nothing to do about it */
		off += n;
	}
	b->len = 0;
}

void log_batch_discard(struct log_batch *b)
{
	b->len = 0;
}

void log_batch_release(struct log_batch *b)
{
	free(b->buf);
	memset(b, 0, sizeof(*b));
}

__attribute__((format(printf, 3, 0)))
static void batch_add(struct log_batch *b, enum log_level lvl, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];
	size_t n = format_line(line, lvl, fmt, ap);

	if (b->len + n > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8192;
		if (b->cap < b->len + n)
			b->cap = b->len + n;
		b->buf = xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, line, n);
	b->len += n;
}

void log_batch_info(struct log_batch *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	batch_add(b, LOG_LVL_INFO, fmt, ap);
	va_end(ap);
}

void log_batch_warn(struct log_batch *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	batch_add(b, LOG_LVL_WARN, fmt, ap);
	va_end(ap);
}

#define LOG_FN(name, lvl) \
	void name(const char *fmt, ...) \
	{ \
		va_list ap; \
		va_start(ap, fmt); \
		log_vwrite(lvl, fmt, ap); \
		va_end(ap); \
	}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	return -1;
}

void fatal(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
