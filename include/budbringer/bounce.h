/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_BOUNCE_H
#define BUDBRINGER_BOUNCE_H

/*
 * Classifies a mail that came back: a delivery failure (RFC 3464 DSN or
 * one of the common non-standard shapes: Exim, qmail, Yahoo, Exchange
 * text), a complaint (RFC 5965 ARF feedback report), or nothing of ours
 * to act on (an auto-reply, a person's reply, anything unreadable as a
 * bounce). Pure: no I/O, no globals, thread-safe.
 *
 * DESIGN: the structure decides before the words do.
 *
 *   multipart/report + message/feedback-report  -> complaint (or none
 *                                                  for not-spam)
 *   message/delivery-status with a recipient    -> Action, else Status
 *   bounce markers (X-Failed-Recipients, a mailer-daemon sender, a
 *   bounce subject, report-type=delivery-status) with bounce wording
 *                                               -> the first enhanced
 *                        status or SMTP code in the text, else the wording
 *   auto-reply markers (Auto-Submitted, X-Autoreply, Precedence:
 *   auto_reply, an out-of-office subject)       -> none
 *   anything else                               -> none
 *
 * Auto-Submitted is set on real DSNs and Exim bounces too, so it is
 * looked at only when nothing above found a bounce.
 *
 * Which message: message_id is the N of a VERP address bounce+N@ (N a
 * positive decimal that fits a long long; "bounce" in any case), taken
 * from envelope_to, then To, Delivered-To, X-Original-To, Envelope-To and
 * X-Envelope-To, then the report's Original-Mail-From, then the returned
 * headers' Return-Path, then (non-standard bounces) the quoted copy in
 * the text. message_id_header is the Message-ID of the returned original
 * (text/rfc822-headers, message/rfc822, a quoted copy), else the mail's
 * In-Reply-To, else the last of its References. Either may be missing:
 * the kind is still reported.
 *
 * Bounds: the input is read only within len and may hold NUL bytes;
 * MIME nesting is followed BOUNCE_MAX_DEPTH deep and at most
 * BOUNCE_MAX_PARTS parts; header values are read up to 4 KB each and the
 * text searched for wording up to 64 KB. Strings in the report are
 * NUL-terminated, valid UTF-8 without control characters, truncated on
 * a character boundary to their array.
 */

#include <stddef.h>

#define BOUNCE_MAX_DEPTH	8
#define BOUNCE_MAX_PARTS	128

enum bounce_kind {
	BOUNCE_NONE,		/* not a bounce: auto-reply, ordinary mail */
	BOUNCE_PERMANENT,	/* 5.x.x, or failed for good */
	BOUNCE_TEMPORARY,	/* 4.x.x, delayed, soft */
	BOUNCE_COMPLAINT,	/* ARF abuse, fraud, virus, other */
};

#define BOUNCE_MSGID_MAX	300	/* "<" 32 hex "@" domain ">" fits */
#define BOUNCE_ADDR_MAX		256
#define BOUNCE_DIAG_MAX		512

struct bounce_report {
	enum bounce_kind kind;
	long long message_id;			/* VERP N, or 0 */
	char message_id_header[BOUNCE_MSGID_MAX]; /* "<...>" or "" */
	char recipient[BOUNCE_ADDR_MAX];	/* failed or complaining address, or "" */
	char status[16];			/* enhanced status "5.1.1", or "" */
	char diagnostic[BOUNCE_DIAG_MAX];	/* remote server's words, or "" */
	char feedback_type[32];			/* ARF, lowercased: "abuse", or "" */
	char reason[128];			/* why it was classified so */
};

/*
 * Reads the mail (len bytes: headers, blank line, body; CRLF or LF line
 * ends) and fills out. envelope_to is the address the mail was delivered
 * to (Postfix's $original_recipient), or NULL. Returns 0 with out filled
 * (kind may be BOUNCE_NONE), or -1 when the input is not a mail at all
 * (empty, or not starting with a header field) with kind BOUNCE_NONE and
 * out->reason saying why. out is always fully written.
 */
int bounce_parse(const char *mail, size_t len, const char *envelope_to,
		 struct bounce_report *out);

/* "none", "permanent", "temporary", "complaint"; "unknown" out of range. */
const char *bounce_kind_name(enum bounce_kind kind);

/*
 * The N of bounce+N@ in the first len bytes of s: the first such address
 * (after a start, space, '<', ',', ':' or quote) whose N is a positive
 * decimal without sign that fits a long long. 0 when there is none.
 */
long long bounce_verp_id(const char *s, size_t len);

#endif
