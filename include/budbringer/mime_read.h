/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MIME_READ_H
#define BUDBRINGER_MIME_READ_H

/*
 * Reading mail that came from outside (the other half of mime.h): header
 * blocks with folded fields, Content-Type and its parameters, the
 * transfer encodings, RFC 2047 encoded-words, and text made fit to keep.
 * Lenient as receivers must be: CRLF or bare LF, lines that are no field
 * skipped, padding and stray bytes in base64 ignored. Every function reads
 * only within the span it is given (NUL bytes included) and writes only
 * within the size it is given. Pure, no globals: any thread may call.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/sbuf.h"

/* Bytes of someone else's, not NUL-terminated. */
struct mime_span {
	const char *p;
	size_t n;
};

/* Small text helpers for mail headers (ASCII only, no locale). */
bool mime_read_is_wsp(char c);
void mime_read_lower(char *s);
/* s (n bytes) starts with pre, ignoring ASCII case. */
bool mime_read_prefix_ci(const char *s, size_t n, const char *pre);

/* The line at p (before end) without its CR LF in *len; returns the start
 * of the next line, or end. */
const char *mime_read_line(const char *p, const char *end, size_t *len);

/* Headers up to the first empty line and the body after it; without an
 * empty line it is all headers and the body is empty. */
void mime_read_split(struct mime_span e, struct mime_span *hdr, struct mime_span *body);

/* True when the line (n bytes) starts a header field: "name:". */
bool mime_read_is_field(const char *p, size_t n);

/* The next field from *pp on (advanced past it): its name and its raw
 * value, continuation lines included. False at the end. */
bool mime_read_field(const char **pp, const char *end, struct mime_span *name,
		     struct mime_span *value);

/* Case-insensitive field name comparison. */
bool mime_read_name_is(struct mime_span name, const char *want);

/* The value unfolded: controls (NUL, CR, LF, tab) as blanks, runs of
 * blanks as one space, trimmed, NUL-terminated and cut to size (>= 1).
 * Returns its length. */
size_t mime_read_unfold(struct mime_span v, char *out, size_t size);

/* The first field called want, unfolded into out; "" and false when none. */
bool mime_read_header(struct mime_span hdr, const char *want, char *out, size_t size);

struct mime_ctype {
	char type[80];		/* "multipart/report", lowercased */
	char boundary[200];
	char report_type[40];	/* lowercased */
};

/* Parses an unfolded Content-Type value; no type means text/plain. */
void mime_read_ctype(const char *v, struct mime_ctype *ct);

/* Appends body decoded as hdr's Content-Transfer-Encoding says (base64,
 * quoted-printable; anything else as it is). */
void mime_read_body(struct mime_span hdr, struct mime_span body, struct sbuf *out);

/* Appends the unfolded header value s with its encoded-words decoded to
 * UTF-8 (ISO-8859 and windows-125x converted as Latin-1, other charsets
 * as they come); blanks between two encoded-words are dropped. */
void mime_read_words(const char *s, struct sbuf *out);

/*
 * n bytes of s as text fit to keep: valid UTF-8 (bytes that are not UTF-8
 * read as Latin-1), controls (C0, DEL, C1) as blanks, runs of blanks as
 * one space, trimmed, cut on a character boundary to fit size (>= 1).
 */
void mime_read_clean(char *out, size_t size, const char *s, size_t n);

#endif
