/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MIME_H
#define BUDBRINGER_MIME_H

/*
 * Builds complete RFC 5322 messages for the email channel. Pure: no I/O
 * apart from reading the clock (the Date when none is given, and the
 * Message-ID) and OpenSSL's RAND_bytes for the Message-ID and the MIME
 * boundary. Thread-safe.
 * The Message-ID's 32 hex digits start with the time in milliseconds
 * (12 digits, as in a UUIDv7), so IDs sort by time; the rest is random.
 *
 * The result is what libESMTP sends as is: CRLF line ends only, no line
 * over 998 octets (headers are folded to 78 where they can be, bodies are
 * quoted-printable or base64 with 76-character lines), UTF-8 throughout,
 * non-ASCII header text as RFC 2047 "B" encoded-words of at most 75
 * characters that never split a UTF-8 sequence. SMTP dot-stuffing is left
 * to libESMTP.
 *
 * The body is multipart/alternative: text/plain then text/html, both
 * charset=UTF-8. Each part is quoted-printable when at most a third of
 * its bytes are non-ASCII (Latin-script text, however many diacritics) and
 * base64 otherwise (Arabic, Urdu, Cyrillic, …). The
 * boundary starts with "=_", which neither encoding can produce, so it
 * never occurs inside a part.
 *
 * Header injection: CR, LF or any other control character (C0, DEL, C1)
 * in a header value is refused, as is invalid UTF-8 anywhere.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "budbringer/sbuf.h"

/* "<" 32 hex "@" domain (at most 253) ">" NUL */
#define MIME_MSGID_MAX 292

struct mime_mail {
	const char *from_name;	/* display name, UTF-8; NULL or "" = none */
	const char *from_addr;	/* required, plain ASCII local@domain */
	const char *to_addr;	/* required, plain ASCII local@domain */
	const char *subject;	/* UTF-8; NULL = empty subject */
	/*
	 * Plain part, UTF-8, any line ends (sent as CRLF). NULL: built from
	 * title, summary, url and the unsubscribe link.
	 */
	const char *text;
	/* HTML part, UTF-8. NULL: mime_html_default(). */
	const char *html;
	const char *lang;	/* BCP 47 tag ("da", "ar"); NULL = no Content-Language */
	const char *domain;	/* required: right-hand side of the Message-ID */
	/* http(s) URL for one-click unsubscribe (RFC 8058); NULL = none */
	const char *unsubscribe_url;
	/* "mailto:x@y" or "x@y" for List-Unsubscribe; NULL = none */
	const char *unsubscribe_mailto;
	/* Inputs of the default text and HTML; all optional. */
	const char *title;
	const char *summary;
	const char *url;		/* the opportunity; only http(s) is shown */
	const char *button_label;	/* NULL = "Read more" */
	const char *unsubscribe_label;	/* NULL = "Unsubscribe" */
	bool bulk;		/* campaign: Auto-Submitted and Precedence: bulk */
	time_t date;		/* 0 = now */
	/* Working buffers kept between calls by a caller that builds many
	 * messages (mime_scratch_release() when done); NULL = per call. */
	struct mime_scratch *scratch;
};

struct mime_scratch {
	struct sbuf part, crlf;
};
#define MIME_SCRATCH_INIT { SBUF_INIT, SBUF_INIT }
void mime_scratch_release(struct mime_scratch *s);

/*
 * Appends the whole message (headers, blank line, body) to out. The
 * Message-ID written, angle brackets included, is copied to message_id_out
 * when that is not NULL (msgid_size >= MIME_MSGID_MAX is always enough).
 * Returns 0, or -1 with out unchanged and a message in err (when not NULL)
 * that names the offending field ("subject contains a control
 * character"). err is appended to, never reset.
 */
int mime_build(const struct mime_mail *m, struct sbuf *out,
	       char *message_id_out, size_t msgid_size, struct sbuf *err);

/*
 * Appends utf8 as RFC 2047 encoded-words ("=?UTF-8?B?...?="), each at most
 * 75 characters and each holding whole UTF-8 characters only, separated by
 * CRLF SP (a header fold), so no line exceeds 78 characters when the text
 * starts a line. "" appends nothing. Returns 0, or -1 (out unchanged) on
 * invalid UTF-8.
 */
int mime_encode_header_word(const char *utf8, struct sbuf *out);

/* Appends s with & < > " ' replaced by entities; safe in text and in
 * double- or single-quoted attributes. NULL appends nothing. */
void mime_html_escape(const char *s, struct sbuf *out);

/*
 * Appends the default HTML page for m: <html lang=.. dir=..> (dir="rtl"
 * for ar, fa, he, ur and other right-to-left languages), the title as a
 * heading, the summary (or, without one, the text) as paragraphs, a button
 * linking to url when it is an http(s) URL, and an unsubscribe link when
 * unsubscribe_url is an http(s) URL. Every value is HTML-escaped; a URL
 * that is not http(s) is left out. Does not validate the rest of m.
 */
void mime_html_default(const struct mime_mail *m, struct sbuf *out);

/* True when url is an absolute http:// or https:// URL without spaces or
 * control characters, at most 2000 bytes. */
bool mime_is_http_url(const char *url);

/*
 * The one rule for an email address anywhere (API, CLI, import): ASCII,
 * local@domain with a dot in the domain, at most 254 bytes, none of
 * ()<>,;:\"[] — what mime_build() accepts. Writes it to out (size bytes,
 * may be `in` itself) with the domain lowercased. 0, or -1 when invalid.
 */
int mime_addr_normalise(const char *in, char *out, size_t size);

#endif
