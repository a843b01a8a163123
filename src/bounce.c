/* SPDX-License-Identifier: MIT */
#include "budbringer/bounce.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "budbringer/mime.h"
#include "budbringer/mime_read.h"
#include "budbringer/sbuf.h"

#define HDR_MAX		4096		/* one unfolded header value */
#define TEXT_MAX	(64 * 1024)	/* human text searched for wording */
#define DSN_BLOCKS_MAX	64
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* What the walk over the MIME tree found; the report is decided after. */
struct scan {
	struct bounce_report *out;
	int parts;
	char report_type[40];
	bool dsn_seen;
	int dsn_rank;		/* 3 failed, 2 delayed, 1 delivered, 0 none */
	char action[32];
	bool arf;
	long long arf_verp;
	bool orig_seen;
	long long orig_verp;
	char orig_to[BOUNCE_ADDR_MAX];
	struct sbuf text;	/* text/plain parts, LF line ends, no NUL */
};


static void clean_str(char *field, size_t size)
{
	char tmp[HDR_MAX];
	size_t n = strnlen(field, size - 1);

	memcpy(tmp, field, n);
	mime_read_clean(field, size, tmp, n);
}


long long bounce_verp_id(const char *s, size_t len)
{
	static const char before[] = " \t<,:;\"'";

	for (size_t i = 0; i + 7 < len; i++) {
		long long v = 0;
		bool ok = true;
		size_t j;

		if (strncasecmp(s + i, "bounce+", 7) ||
		    (i > 0 && (!s[i - 1] || !memchr(before, s[i - 1], sizeof(before) - 1))))
			continue;
		for (j = i + 7; j < len && s[j] >= '0' && s[j] <= '9'; j++) {
			int d = s[j] - '0';

			if (v > (LLONG_MAX - d) / 10)
				ok = false;
			else
				v = v * 10 + d;
		}
		if (ok && j > i + 7 && j < len && s[j] == '@' && v > 0)
			return v;
	}
	return 0;
}

/* The last "<id@host>" in v, or the first when first; "" when none fits. */
static void msgid_take(const char *v, bool first, char *out, size_t size)
{
	const char *p = v, *lt;

	out[0] = '\0';
	while ((lt = strchr(p, '<')) != NULL) {
		size_t n = 0;

		/* Printable ASCII only: the id is compared byte for byte. */
		while ((unsigned char)lt[1 + n] > 32 && (unsigned char)lt[1 + n] < 127 &&
		       lt[1 + n] != '<' && lt[1 + n] != '>')
			n++;
		p = lt + 1;
		if (lt[1 + n] != '>' || n == 0 || !memchr(lt + 1, '@', n) || n + 3 > size)
			continue;
		memcpy(out, lt, n + 2);
		out[n + 2] = '\0';
		if (first)
			return;
	}
}

static bool addr_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr(".-_+=%'", c));
}

/* The first address in s that is neither ours (bounce+) nor a daemon's. */
static bool find_addr(const char *s, size_t n, char *out, size_t size)
{
	for (const char *at = s; (at = memchr(at, '@', n - (size_t)(at - s))) != NULL; at++) {
		const char *a = at, *b = at + 1;
		char buf[BOUNCE_ADDR_MAX];

		while (a > s && addr_char(a[-1]))
			a--;
		while (b < s + n && addr_char(*b))
			b++;
		while (b > at + 1 && (b[-1] == '.' || b[-1] == '-'))
			b--;
		if (a == at || !memchr(at + 1, '.', (size_t)(b - at - 1)) ||
		    (size_t)(b - a) >= sizeof(buf) || mime_read_prefix_ci(a, (size_t)(b - a), "bounce+") ||
		    mime_read_prefix_ci(a, (size_t)(b - a), "mailer-daemon@") ||
		    mime_read_prefix_ci(a, (size_t)(b - a), "postmaster@"))
			continue;
		memcpy(buf, a, (size_t)(b - a));
		buf[b - a] = '\0';
		if (mime_addr_normalise(buf, out, size))
			mime_read_clean(out, size, buf, strlen(buf));
		return true;
	}
	return false;
}

/* "rfc822; <a@b>" -> "a@b", the domain lowercased when it is an address. */
static void take_recipient(const char *v, char *out, size_t size)
{
	const char *semi = strchr(v, ';'), *p = semi ? semi + 1 : v;
	char buf[BOUNCE_ADDR_MAX];
	size_t n;

	while (*p == ' ' || *p == '<')
		p++;
	n = strcspn(p, "> ");
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	if (mime_addr_normalise(buf, out, size))
		mime_read_clean(out, size, buf, n);
}

/*
 * The first enhanced status code (RFC 3463: class.subject.detail, 1-3
 * digits each) of one of the classes in s; not part of a longer dotted
 * number such as an IP address. Returns its position or NULL.
 */
static const char *find_status(const char *s, size_t n, const char *classes, char out[16])
{
	for (size_t i = 0; i + 4 < n; i++) {
		size_t j = i + 2, d1, d2;

		if (!s[i] || !strchr(classes, s[i]) || s[i + 1] != '.' ||
		    (i > 0 && ((s[i - 1] >= '0' && s[i - 1] <= '9') || s[i - 1] == '.')))
			continue;
		for (d1 = 0; j < n && d1 < 4 && s[j] >= '0' && s[j] <= '9'; j++)
			d1++;
		if (d1 < 1 || d1 > 3 || j >= n || s[j] != '.')
			continue;
		for (j++, d2 = 0; j < n && d2 < 4 && s[j] >= '0' && s[j] <= '9'; j++)
			d2++;
		if (d2 < 1 || d2 > 3 || (j < n && s[j] >= '0' && s[j] <= '9') ||
		    (j + 1 < n && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9'))
			continue;
		memcpy(out, s + i, j - i);
		out[j - i] = '\0';
		return s + i;
	}
	return NULL;
}

/* A basic SMTP reply code 4xx or 5xx standing alone ("550 ", "554:", "550-"). */
static const char *find_smtp_code(const char *s, size_t n)
{
	for (size_t i = 0; i + 3 < n; i++) {
		char c = s[i + 3];

		if ((s[i] != '4' && s[i] != '5') || s[i + 1] < '0' || s[i + 1] > '5' ||
		    s[i + 2] < '0' || s[i + 2] > '9' || (c != ' ' && c != '-' && c != ':'))
			continue;
		if (i > 0 && (!s[i - 1] || !strchr(" \t\n('\"#[", s[i - 1])))
			continue;
		return s + i;
	}
	return NULL;
}

/* Diagnostic-Code "smtp; 550 ..." without its type. */
static void take_diagnostic(const char *v, char *out, size_t size)
{
	size_t t = strcspn(v, "; ");

	if (t <= 20 && v[t] == ';')
		v += t + 1;
	mime_read_clean(out, size, v, strlen(v));
}

static int action_rank(const char *action, const char *status)
{
	if (!strcmp(action, "failed"))
		return 3;
	if (!strcmp(action, "delayed"))
		return 2;
	if (!strcmp(action, "delivered") || !strcmp(action, "relayed") ||
	    !strcmp(action, "expanded"))
		return 1;
	if (status[0] == '5')
		return 3;
	if (status[0] == '4')
		return 2;
	return status[0] == '2' ? 1 : 0;
}

/* One per-recipient block of message/delivery-status; the worst one wins. */
static void dsn_recipient(struct scan *sc, struct mime_span blk)
{
	struct bounce_report *out = sc->out;
	char v[HDR_MAX], action[32], status[16] = "";
	int rank;

	mime_read_header(blk, "Action", v, sizeof(v));
	v[strcspn(v, " ;(")] = '\0';
	mime_read_lower(v);
	mime_read_clean(action, sizeof(action), v, strlen(v));
	if (mime_read_header(blk, "Status", v, sizeof(v)))
		find_status(v, strlen(v), "245", status);
	rank = action_rank(action, status);
	if (rank <= sc->dsn_rank)
		return;
	sc->dsn_rank = rank;
	memcpy(sc->action, action, sizeof(action));
	memcpy(out->status, status, sizeof(status));
	if (mime_read_header(blk, "Final-Recipient", v, sizeof(v)) ||
	    mime_read_header(blk, "Original-Recipient", v, sizeof(v)))
		take_recipient(v, out->recipient, sizeof(out->recipient));
	else
		out->recipient[0] = '\0';
	mime_read_header(blk, "Diagnostic-Code", v, sizeof(v));
	take_diagnostic(v, out->diagnostic, sizeof(out->diagnostic));
	if (!out->status[0])
		find_status(out->diagnostic, strlen(out->diagnostic), "45", out->status);
}

/* A per-message block, then blank-line separated per-recipient blocks. */
static void dsn_parse(struct scan *sc, struct mime_span body)
{
	const char *p = body.p, *end = body.p + body.n;

	sc->dsn_seen = true;
	for (int i = 0; p < end && i < DSN_BLOCKS_MAX; i++) {
		struct mime_span e, blk, rest;
		char v[64];
		size_t n;
		const char *next = mime_read_line(p, end, &n);

		if (n == 0) {
			p = next;
			continue;
		}
		e = (struct mime_span){ p, (size_t)(end - p) };
		mime_read_split(e, &blk, &rest);
		if (mime_read_header(blk, "Action", v, sizeof(v)) || mime_read_header(blk, "Final-Recipient", v, sizeof(v)) ||
		    mime_read_header(blk, "Status", v, sizeof(v)))
			dsn_recipient(sc, blk);
		p = rest.p;
	}
}

static void arf_parse(struct scan *sc, struct mime_span body)
{
	struct bounce_report *out = sc->out;
	struct mime_span hdr, rest;
	char v[HDR_MAX] = "";

	mime_read_split(body, &hdr, &rest);
	if (sc->arf)
		return;
	sc->arf = true;
	if (mime_read_header(hdr, "Feedback-Type", v, sizeof(v))) {
		v[strcspn(v, " ;(")] = '\0';
		mime_read_lower(v);
		mime_read_clean(out->feedback_type, sizeof(out->feedback_type), v, strlen(v));
	}
	if (mime_read_header(hdr, "Original-Rcpt-To", v, sizeof(v)) ||
	    mime_read_header(hdr, "Removal-Recipient", v, sizeof(v)))
		take_recipient(v, out->recipient, sizeof(out->recipient));
	if (mime_read_header(hdr, "Original-Mail-From", v, sizeof(v)))
		sc->arf_verp = bounce_verp_id(v, strlen(v));
}

/* The returned original: its Message-ID, Return-Path and To. */
static void orig_parse(struct scan *sc, struct mime_span body)
{
	struct bounce_report *out = sc->out;
	struct mime_span hdr, rest;
	char v[HDR_MAX] = "";

	if (sc->orig_seen)
		return;
	mime_read_split(body, &hdr, &rest);
	sc->orig_seen = true;
	if (mime_read_header(hdr, "Message-ID", v, sizeof(v)))
		msgid_take(v, true, out->message_id_header, sizeof(out->message_id_header));
	if (mime_read_header(hdr, "Return-Path", v, sizeof(v)))
		sc->orig_verp = bounce_verp_id(v, strlen(v));
	if (mime_read_header(hdr, "To", v, sizeof(v)))
		find_addr(v, strlen(v), sc->orig_to, sizeof(sc->orig_to));
}

static void text_add(struct scan *sc, struct mime_span t)
{
	if (sc->text.len >= TEXT_MAX)
		return;
	if (t.n > TEXT_MAX - sc->text.len)
		t.n = TEXT_MAX - sc->text.len;
	for (size_t i = 0; i < t.n; i++) {
		if (t.p[i] == '\r')
			continue;
		sbuf_addch(&sc->text, t.p[i] ? t.p[i] : ' ');
	}
	sbuf_addch(&sc->text, '\n');
}

static void walk(struct scan *sc, struct mime_span e, int depth);

/* Each part between "--boundary" lines; an unclosed last part runs to the end. */
static void multipart_each(struct scan *sc, struct mime_span body, const char *b, int depth)
{
	const char *p = body.p, *end = body.p + body.n, *start = NULL;
	size_t bl = strlen(b);

	while (p < end) {
		size_t n;
		const char *next = mime_read_line(p, end, &n);

		if (n >= 2 + bl && p[0] == '-' && p[1] == '-' && !memcmp(p + 2, b, bl)) {
			const char *r = p + 2 + bl, *rend = p + n;
			bool close = rend - r >= 2 && r[0] == '-' && r[1] == '-';

			if (close)
				r += 2;
			while (r < rend && mime_read_is_wsp(*r))
				r++;
			if (r == rend) {
				if (start)
					walk(sc, (struct mime_span){ start, (size_t)(p - start) }, depth + 1);
				if (close || sc->parts >= BOUNCE_MAX_PARTS)
					return;
				start = next;
			}
		}
		p = next;
	}
	if (start && start < end)
		walk(sc, (struct mime_span){ start, (size_t)(end - start) }, depth + 1);
}

static void walk(struct scan *sc, struct mime_span e, int depth)
{
	struct mime_span hdr, body;
	struct sbuf dec = SBUF_INIT;
	struct mime_ctype ct;
	char v[HDR_MAX], disp[32];
	struct mime_span d;

	if (++sc->parts > BOUNCE_MAX_PARTS)
		return;
	mime_read_split(e, &hdr, &body);
	mime_read_header(hdr, "Content-Type", v, sizeof(v));
	mime_read_ctype(v, &ct);
	if (!strncmp(ct.type, "multipart/", 10)) {
		if (!strcmp(ct.type, "multipart/report") && !sc->report_type[0])
			memcpy(sc->report_type, ct.report_type, sizeof(sc->report_type));
		if (depth < BOUNCE_MAX_DEPTH && ct.boundary[0])
			multipart_each(sc, body, ct.boundary, depth);
		return;
	}
	mime_read_body(hdr, body, &dec);
	d = (struct mime_span){ dec.buf, dec.len };
	mime_read_header(hdr, "Content-Disposition", disp, sizeof(disp));
	if (!strcmp(ct.type, "message/delivery-status") ||
	    !strcmp(ct.type, "message/global-delivery-status")) {
		dsn_parse(sc, d);
	} else if (!strcmp(ct.type, "message/feedback-report")) {
		arf_parse(sc, d);
	} else if (!strcmp(ct.type, "message/rfc822") || !strcmp(ct.type, "message/global") ||
		   !strcmp(ct.type, "text/rfc822-headers") ||
		   !strcmp(ct.type, "message/global-headers")) {
		orig_parse(sc, d);
	} else if (!strcmp(ct.type, "text/plain")) {
		size_t n;

		/* An attached copy of the original is headers, not words. */
		mime_read_line(d.p, d.p + d.n, &n);
		if (!strncasecmp(disp, "attachment", 10) && depth > 0 && mime_read_is_field(d.p, n))
			orig_parse(sc, d);
		else if (strncasecmp(disp, "attachment", 10))
			text_add(sc, d);
	}
	sbuf_release(&dec);
}

/* Which lines of the text say what went wrong: those before the copy of
 * the original that most bounces append. */
static size_t region_len(const char *low, size_t n)
{
	static const char *const marks[] = {
		"this is a copy of the message",
		"below this line is a copy of the message",
		"original message follows",
		"----- original message -----",
		"-----original message-----",
		"original message headers",
		"--- original message ---",
		"message headers follow",
	};
	size_t cut = n;

	for (size_t i = 0; i < ARRAY_SIZE(marks); i++) {
		const char *m = memmem(low, n, marks[i], strlen(marks[i]));

		if (m && (size_t)(m - low) < cut)
			cut = (size_t)(m - low);
	}
	return cut;
}

static const char *find_any(const char *low, size_t n, const char *const *words, size_t nw,
			    const char **which)
{
	const char *best = NULL;

	for (size_t i = 0; i < nw; i++) {
		const char *m = memmem(low, n, words[i], strlen(words[i]));

		if (m && (!best || m < best)) {
			best = m;
			if (which)
				*which = words[i];
		}
	}
	return best;
}

static const char *const permanent_words[] = {
	"permanent error", "permanent failure", "permanently", "permanent fatal",
	"does not exist", "doesn't exist", "user unknown", "unknown user",
	"no such user", "no mailbox", "mailbox unavailable", "recipient not found",
	"address rejected", "i've given up", "not going to try again",
	"doesn't have a", "could not be delivered", "couldn't be delivered",
	"delivery has failed", "unable to deliver", "wasn't able to deliver",
	"was not delivered", "undeliverable",
};

static const char *const temporary_words[] = {
	"temporary", "temporarily", "delayed", "will be retried", "will retry",
	"will keep trying", "will continue to try", "not yet been delivered",
	"still trying", "mailbox full", "over quota",
};

static const char *const bounce_words[] = {
	"mail delivery software", "could not be delivered", "couldn't be delivered",
	"delivery has failed", "unable to deliver", "wasn't able to deliver",
	"was not able to deliver", "not able to deliver", "this is the qmail-send program",
	"permanent error", "delivery to the following recipient", "undeliverable",
	"the following address(es) failed", "message not delivered",
	"has not yet been delivered", "delivery status notification",
	"returned mail", "user unknown", "recipient address rejected",
};

static const char *const bounce_subjects[] = {
	"undeliverable", "undelivered", "delivery status notification",
	"mail delivery failed", "failure notice", "delivery failure", "delivery failed",
	"returned mail", "returned to sender", "non remis", "unzustellbar",
	"nondeliverable", "message not delivered", "ikke leveret", "kunne ikke leveres",
	"delayed mail", "delivery delayed", "warning: message",
};

static const char *const auto_subjects[] = {
	"out of office", "out of the office", "automatic reply", "auto-reply", "autoreply",
	"auto reply", "automatisk svar", "autosvar", "frav\xc3\xa6rende", "frav\xc3\xa6r",
	"abwesenheitsnotiz", "automatische antwort", "abwesend",
	"r\xc3\xa9ponse automatique", "fr\xc3\xa5nvaro", "ikke til stede",
	"vacation reply", "away from the office",
};

/* The line holding pos, and the next when it is a continuation. */
static void diag_line(const char *text, size_t n, const char *pos, char *out, size_t size)
{
	const char *a = pos, *b = pos, *end = text + n;

	while (a > text && a[-1] != '\n')
		a--;
	while (b < end && *b != '\n')
		b++;
	if (b < end && b + 1 < end && mime_read_is_wsp(b[1]))
		for (b++; b < end && *b != '\n'; b++)
			;
	mime_read_clean(out, size, a, (size_t)(b - a));
}

/* A bounce that is no RFC 3464 DSN (or one whose DSN part said nothing). */
static bool classify_text(struct scan *sc, struct mime_span hdr, const char *subj_low,
			  const char *from_low, const char *low)
{
	struct bounce_report *out = sc->out;
	const char *text = sc->text.buf, *pos, *which = NULL;
	size_t n = region_len(low, sc->text.len);
	char v[HDR_MAX], code[16] = "";
	bool xfailed, daemon, bsubj, words, report;

	xfailed = mime_read_header(hdr, "X-Failed-Recipients", v, sizeof(v));
	daemon = strstr(from_low, "mailer-daemon") || strstr(from_low, "postmaster@") ||
		 strstr(from_low, "mail delivery") || strstr(from_low, "mail-daemon");
	bsubj = find_any(subj_low, strlen(subj_low), bounce_subjects,
			 ARRAY_SIZE(bounce_subjects), NULL) != NULL;
	words = find_any(low, n, bounce_words, ARRAY_SIZE(bounce_words), NULL) != NULL;
	report = sc->dsn_seen || !strcmp(sc->report_type, "delivery-status");
	if (!(xfailed || report || (daemon && (bsubj || words)) || (bsubj && words)))
		return false;

	if (xfailed)
		find_addr(v, strlen(v), out->recipient, sizeof(out->recipient));
	else if (!out->recipient[0])
		find_addr(text, n, out->recipient, sizeof(out->recipient));
	if ((pos = find_status(text, n, "45", code)) != NULL) {
		out->kind = code[0] == '5' ? BOUNCE_PERMANENT : BOUNCE_TEMPORARY;
		snprintf(out->reason, sizeof(out->reason), "non-standard bounce: status %s", code);
	} else if ((pos = find_smtp_code(text, n)) != NULL) {
		out->kind = *pos == '5' ? BOUNCE_PERMANENT : BOUNCE_TEMPORARY;
		snprintf(out->reason, sizeof(out->reason), "non-standard bounce: SMTP %.3s", pos);
	} else if ((pos = find_any(low, n, temporary_words, ARRAY_SIZE(temporary_words),
				   &which)) != NULL) {
		pos = text + (pos - low);
		out->kind = BOUNCE_TEMPORARY;
		snprintf(out->reason, sizeof(out->reason), "non-standard bounce: \"%s\"", which);
	} else if ((pos = find_any(low, n, permanent_words, ARRAY_SIZE(permanent_words),
				   &which)) != NULL) {
		pos = text + (pos - low);
		out->kind = BOUNCE_PERMANENT;
		snprintf(out->reason, sizeof(out->reason), "non-standard bounce: \"%s\"", which);
	} else {
		/* A bounce that does not say how bad: retrying is the safe guess. */
		out->kind = BOUNCE_TEMPORARY;
		snprintf(out->reason, sizeof(out->reason), "non-standard bounce: no status");
	}
	memcpy(out->status, code, sizeof(code));
	if (pos && !out->diagnostic[0])
		diag_line(text, sc->text.len, pos, out->diagnostic, sizeof(out->diagnostic));
	return true;
}

static bool classify_auto(struct mime_span hdr, const char *subj_low, char *reason, size_t size)
{
	static const char *const flags[] = { "X-Autoreply", "X-Autorespond", "X-Autoresponder" };
	char v[128], val[64];
	const char *which = NULL;

	if (mime_read_header(hdr, "Auto-Submitted", v, sizeof(v)) && v[0] && strncasecmp(v, "no", 2)) {
		v[strcspn(v, " ;(")] = '\0';
		mime_read_clean(val, sizeof(val), v, strlen(v));
		snprintf(reason, size, "auto-reply (Auto-Submitted: %s)", val);
		return true;
	}
	for (size_t i = 0; i < ARRAY_SIZE(flags); i++)
		if (mime_read_header(hdr, flags[i], v, sizeof(v))) {
			snprintf(reason, size, "auto-reply (%s)", flags[i]);
			return true;
		}
	if (mime_read_header(hdr, "Precedence", v, sizeof(v)) && !strncasecmp(v, "auto_reply", 10)) {
		snprintf(reason, size, "auto-reply (Precedence: auto_reply)");
		return true;
	}
	if (find_any(subj_low, strlen(subj_low), auto_subjects, ARRAY_SIZE(auto_subjects),
		     &which)) {
		snprintf(reason, size, "auto-reply (subject \"%s\")", which);
		return true;
	}
	return false;
}

static void classify_report(struct scan *sc)
{
	struct bounce_report *out = sc->out;
	static const char *const complaints[] = { "abuse", "fraud", "virus", "other" };

	if (sc->arf) {
		out->kind = BOUNCE_NONE;
		for (size_t i = 0; i < ARRAY_SIZE(complaints); i++)
			if (!strcmp(out->feedback_type, complaints[i]))
				out->kind = BOUNCE_COMPLAINT;
		snprintf(out->reason, sizeof(out->reason), "ARF Feedback-Type: %s%s",
			 out->feedback_type[0] ? out->feedback_type : "(none)",
			 out->kind == BOUNCE_NONE ? " is no complaint" : "");
		if (!out->feedback_type[0]) {
			/* A feedback report that names no type is still someone's complaint. */
			out->kind = BOUNCE_COMPLAINT;
		}
	} else {
		out->kind = BOUNCE_COMPLAINT;
		snprintf(out->reason, sizeof(out->reason),
			 "ARF report without a feedback-report part");
	}
	if (!out->recipient[0])
		memcpy(out->recipient, sc->orig_to, sizeof(out->recipient));
}

static void classify_dsn(struct scan *sc, const char *low)
{
	struct bounce_report *out = sc->out;
	const char *text = sc->text.buf, *pos;
	size_t n = region_len(low, sc->text.len);

	out->kind = sc->dsn_rank == 3 ? BOUNCE_PERMANENT :
		    sc->dsn_rank == 2 ? BOUNCE_TEMPORARY : BOUNCE_NONE;
	if (sc->action[0])
		snprintf(out->reason, sizeof(out->reason), "RFC 3464 Action: %s", sc->action);
	else
		snprintf(out->reason, sizeof(out->reason), "RFC 3464 Status: %s", out->status);
	/* A DSN cut short: the human part usually says the same. */
	if (!out->status[0] && (pos = find_status(text, n, "45", out->status)) != NULL &&
	    !out->diagnostic[0])
		diag_line(text, sc->text.len, pos, out->diagnostic, sizeof(out->diagnostic));
}

/* A copy of the original quoted in the text: its Message-ID and Return-Path. */
static void text_copy_ids(struct scan *sc, const char *low)
{
	struct bounce_report *out = sc->out;
	const char *text = sc->text.buf, *end = text + sc->text.len;

	if (!sc->orig_verp)
		sc->orig_verp = bounce_verp_id(text, sc->text.len);
	for (const char *p = text; p < end && !out->message_id_header[0];) {
		size_t n;
		const char *next = mime_read_line(p, end, &n);

		if (mime_read_prefix_ci(p, n, "message-id:")) {
			char v[HDR_MAX];
			struct mime_span s = { p + 11, (size_t)(next - p - 11) };

			/* The id may be folded onto the next line. */
			if (!memchr(s.p, '<', n - 11) && next < end)
				s.n += (size_t)(mime_read_line(next, end, &n) - next);
			mime_read_unfold(s, v, sizeof(v));
			msgid_take(v, true, out->message_id_header, sizeof(out->message_id_header));
		}
		p = next;
	}
	(void)low;
}

static long long top_verp(struct mime_span hdr, const char *envelope_to)
{
	static const char *const names[] = {
		"To", "Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To",
	};
	long long id = envelope_to ? bounce_verp_id(envelope_to, strlen(envelope_to)) : 0;

	for (size_t i = 0; !id && i < ARRAY_SIZE(names); i++) {
		const char *p = hdr.p;
		struct mime_span name, value;
		char v[HDR_MAX] = "";

		while (!id && mime_read_field(&p, hdr.p + hdr.n, &name, &value))
			if (mime_read_name_is(name, names[i])) {
				mime_read_unfold(value, v, sizeof(v));
				id = bounce_verp_id(v, strlen(v));
			}
	}
	return id;
}

/* A mail starts with a header field (an mbox "From " line may come first). */
static bool starts_as_mail(const char *mail, size_t len)
{
	const char *end = mail + len, *p = mail;
	size_t n;
	const char *next = mime_read_line(p, end, &n);

	if (mime_read_prefix_ci(p, n, "From ") && n > 5 && !memchr(p, ':', 5)) {
		p = next;
		next = mime_read_line(p, end, &n);
	}
	(void)next;
	return p < end && mime_read_is_field(p, n);
}

static void finish(struct bounce_report *out)
{
	clean_str(out->message_id_header, sizeof(out->message_id_header));
	clean_str(out->recipient, sizeof(out->recipient));
	clean_str(out->status, sizeof(out->status));
	clean_str(out->diagnostic, sizeof(out->diagnostic));
	clean_str(out->feedback_type, sizeof(out->feedback_type));
	clean_str(out->reason, sizeof(out->reason));
	if (out->message_id < 0)
		out->message_id = 0;
}

int bounce_parse(const char *mail, size_t len, const char *envelope_to,
		 struct bounce_report *out)
{
	struct scan sc = { .out = out, .text = SBUF_INIT };
	struct sbuf subj = SBUF_INIT, low = SBUF_INIT;
	struct mime_span hdr, body;
	char v[HDR_MAX], subj_low[1024], from_low[512];
	bool is_report;

	memset(out, 0, sizeof(*out));
	if (!mail || len == 0) {
		snprintf(out->reason, sizeof(out->reason), "empty input");
		return -1;
	}
	if (!starts_as_mail(mail, len)) {
		snprintf(out->reason, sizeof(out->reason), "not a mail: no header field at the start");
		return -1;
	}
	mime_read_split((struct mime_span){ mail, len }, &hdr, &body);
	walk(&sc, (struct mime_span){ mail, len }, 0);

	mime_read_header(hdr, "Subject", v, sizeof(v));
	mime_read_words(v, &subj);
	mime_read_clean(subj_low, sizeof(subj_low), subj.buf, subj.len);
	mime_read_lower(subj_low);
	mime_read_header(hdr, "From", v, sizeof(v));
	mime_read_clean(from_low, sizeof(from_low), v, strlen(v));
	mime_read_lower(from_low);
	sbuf_add(&low, sc.text.buf, sc.text.len);
	mime_read_lower(low.buf);	/* text_add() left no NUL in it */

	is_report = sc.arf || !strcmp(sc.report_type, "feedback-report");
	if (is_report)
		classify_report(&sc);
	else if (sc.dsn_rank > 0)
		classify_dsn(&sc, low.buf);
	else if (!classify_text(&sc, hdr, subj_low, from_low, low.buf) &&
		 !classify_auto(hdr, subj_low, out->reason, sizeof(out->reason)))
		snprintf(out->reason, sizeof(out->reason), "not a bounce");

	if (out->kind != BOUNCE_NONE)
		text_copy_ids(&sc, low.buf);
	out->message_id = top_verp(hdr, envelope_to);
	if (!out->message_id)
		out->message_id = sc.arf_verp ? sc.arf_verp : sc.orig_verp;
	if (!out->message_id_header[0] && mime_read_header(hdr, "In-Reply-To", v, sizeof(v)))
		msgid_take(v, true, out->message_id_header, sizeof(out->message_id_header));
	if (!out->message_id_header[0] && mime_read_header(hdr, "References", v, sizeof(v)))
		msgid_take(v, false, out->message_id_header, sizeof(out->message_id_header));
	finish(out);
	sbuf_release(&sc.text);
	sbuf_release(&subj);
	sbuf_release(&low);
	return 0;
}

const char *bounce_kind_name(enum bounce_kind kind)
{
	switch (kind) {
	case BOUNCE_NONE:
		return "none";
	case BOUNCE_PERMANENT:
		return "permanent";
	case BOUNCE_TEMPORARY:
		return "temporary";
	case BOUNCE_COMPLAINT:
		return "complaint";
	}
	return "unknown";
}
