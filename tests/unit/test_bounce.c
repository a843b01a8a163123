/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/bounce.h"
#include "budbringer/sbuf.h"
#include "testutil.h"

#define FIXTURES "tests/fixtures/bounce/"

/* What a fixture must give; NULL strings are not checked, "" must be empty. */
struct expect {
	const char *file;
	enum bounce_kind kind;
	long long message_id;
	const char *msgid_header;
	const char *recipient;
	const char *status;
	const char *diag_sub;		/* a substring of diagnostic */
	const char *feedback_type;
	const char *reason_sub;		/* a substring of reason */
};

static char *load(const char *name, size_t *len)
{
	char path[256];
	struct sbuf sb = SBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), FIXTURES "%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open '%s'", path);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&sb, buf, n);
	fclose(f);
	return sbuf_detach(&sb, len);
}

/* The invariants every report keeps, whatever the input. */
static void assert_sane(const struct bounce_report *r)
{
	const struct {
		const char *s;
		size_t size;
	} f[] = {
		{ r->message_id_header, sizeof(r->message_id_header) },
		{ r->recipient, sizeof(r->recipient) },
		{ r->status, sizeof(r->status) },
		{ r->diagnostic, sizeof(r->diagnostic) },
		{ r->feedback_type, sizeof(r->feedback_type) },
		{ r->reason, sizeof(r->reason) },
	};

	assert_true(r->kind >= BOUNCE_NONE && r->kind <= BOUNCE_COMPLAINT);
	assert_true(r->message_id >= 0);
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		size_t n = strnlen(f[i].s, f[i].size);

		assert_true(n < f[i].size);
		assert_null(u8_check((const uint8_t *)f[i].s, n));
		for (size_t j = 0; j < n; j++)
			assert_true((unsigned char)f[i].s[j] >= 0x20 && f[i].s[j] != 0x7f);
	}
	assert_true(r->reason[0] != '\0');
}

static void check_fixture(const struct expect *e)
{
	struct bounce_report r;
	size_t len;
	char *mail = load(e->file, &len);
	int rc = bounce_parse(mail, len, NULL, &r);

	assert_int_equal(rc, 0);
	assert_sane(&r);
	if (r.kind != e->kind)
		fail_msg("%s: kind %s, expected %s (reason '%s')", e->file,
			 bounce_kind_name(r.kind), bounce_kind_name(e->kind), r.reason);
	assert_int_equal(r.message_id, e->message_id);
	if (e->msgid_header)
		assert_string_equal(r.message_id_header, e->msgid_header);
	if (e->recipient)
		assert_string_equal(r.recipient, e->recipient);
	if (e->status)
		assert_string_equal(r.status, e->status);
	if (e->diag_sub && !strstr(r.diagnostic, e->diag_sub))
		fail_msg("%s: diagnostic '%s' lacks '%s'", e->file, r.diagnostic, e->diag_sub);
	if (e->feedback_type)
		assert_string_equal(r.feedback_type, e->feedback_type);
	if (e->reason_sub && !strstr(r.reason, e->reason_sub))
		fail_msg("%s: reason '%s' lacks '%s'", e->file, r.reason, e->reason_sub);
	free(mail);
}

static const struct expect fixtures[] = {
	{ "postfix_550_user_unknown.eml", BOUNCE_PERMANENT, 4711,
	  "<018bcf3a2f004c3d8e7f60718293a4b5@randers.dk>", "jens.hansen@example.dk", "5.1.1",
	  "550 5.1.1 <jens.hansen@example.dk>: Recipient address rejected: User unknown in virtual mailbox table",
	  "", "RFC 3464 Action: failed" },
	{ "postfix_delayed.eml", BOUNCE_TEMPORARY, 5120,
	  "<018bd1a7c8e44f0aa1b2c3d4e5f60718@randers.dk>", "anna@tarm-ip.dk", "4.4.1",
	  "connect to mx.tarm-ip.dk[198.51.100.7]:25: Connection timed out", "",
	  "RFC 3464 Action: delayed" },
	{ "exim_permanent.eml", BOUNCE_PERMANENT, 88231,
	  "<018bd6d4e1204a7b9c8d7e6f5a4b3c2d@randers.dk>", "ole.k@hosting.example.net", "5.1.1",
	  "550 5.1.1 <ole.k@hosting.example.net>: Recipient address rejected", "",
	  "non-standard bounce: status 5.1.1" },
	{ "exchange_ndr.eml", BOUNCE_PERMANENT, 300142,
	  "<018bdbf0a7c14d2e8f9a0b1c2d3e4f50@randers.dk>", "karen.moeller@kommune.example.dk",
	  "5.1.1", "RESOLVER.ADR.RecipNotFound", "", "RFC 3464 Action: failed" },
	{ "office365_ndr.eml", BOUNCE_PERMANENT, 912004,
	  "<018be1a2b3c44d5e6f708192a3b4c5d6@randers.dk>", "peter@forening.example.org",
	  "5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
	  "", "RFC 3464 Action: failed" },
	{ "gmail_nosuchuser.eml", BOUNCE_PERMANENT, 77001,
	  "<018be5c0d1e24f3a9b8c7d6e5f4a3b2c@randers.dk>", "mette.nielsen.rdrs@gmail.com",
	  "5.1.1", "The email account that you tried to reach does not exist", "",
	  "RFC 3464 Action: failed" },
	{ "gmail_mailbox_full_422.eml", BOUNCE_TEMPORARY, 77345,
	  "<018beab3c4d54e6f7a8b9c0d1e2f3a4b@randers.dk>", "lars.bech.dk@gmail.com", "4.2.2",
	  "inbox is out of storage space", "", "RFC 3464 Action: delayed" },
	{ "yahoo_arf_complaint.eml", BOUNCE_COMPLAINT, 61234,
	  "<018bf1c2d3e44f5a6b7c8d9e0f1a2b3c@randers.dk>", "birgitte_r@yahoo.dk", "", NULL,
	  "abuse", "ARF Feedback-Type: abuse" },
	/* JMRP names no Original-Rcpt-To: the complainer is the original's To. */
	{ "outlook_arf_complaint.eml", BOUNCE_COMPLAINT, 70515,
	  "<018bf6a7b8c94d0e1f2a3b4c5d6e7f80@randers.dk>", "ida.s@outlook.dk", "", NULL,
	  "abuse", "ARF Feedback-Type: abuse" },
	/* The id from Original-Mail-From: the returned headers have no Return-Path. */
	{ "danish_provider_arf.eml", BOUNCE_COMPLAINT, 123456,
	  "<018bfbd0e1f24a3b4c5d6e7f8091a2b3@randers.dk>", "kunde.hansen@mail.yousee.example",
	  "", NULL, "abuse", "ARF Feedback-Type: abuse" },
	{ "yahoo_nondsn.eml", BOUNCE_PERMANENT, 55501,
	  "<018c0124a5b64c7d8e9f0a1b2c3d4e5f@randers.dk>", "soren.gone@yahoo.com", "",
	  "554: delivery error: dd This user doesn't have a yahoo.com account", "",
	  "non-standard bounce: SMTP 554" },
	{ "qmail_bounce.eml", BOUNCE_PERMANENT, 4242,
	  "<018c0556e7f84a9b0c1d2e3f4a5b6c7d@randers.dk>", "poul@gammel-isp.example", "5.1.1",
	  "Remote host said: 550 5.1.1 <poul@gammel-isp.example>... User unknown", "",
	  "non-standard bounce: status 5.1.1" },
	{ "out_of_office_da.eml", BOUNCE_NONE, 9001,
	  "<018c0bd1e2f34a5b6c7d8e9f0a1b2c3d@randers.dk>", "", "", "", "",
	  "auto-reply (Auto-Submitted: auto-replied)" },
	{ "out_of_office_en.eml", BOUNCE_NONE, 9002,
	  "<018c10f2a3b44c5d6e7f8091a2b3c4d5@randers.dk>", "", "", "", "",
	  "auto-reply (Auto-Submitted: auto-replied)" },
	/* ISO-8859-1 encoded-word "Frav\xe6rende:" and nothing else to go by. */
	{ "autoreply_no_header.eml", BOUNCE_NONE, 9003, "", "", "", "", "",
	  "auto-reply (subject \"frav\xc3\xa6rende\")" },
	/* In-Reply-To, not the first of References. */
	{ "human_reply.eml", BOUNCE_NONE, 0, "<018c15a1b2c34d5e6f708192a3b4c5d6@randers.dk>",
	  "", "", "", "", "not a bounce" },
	{ "dsn_no_verp_messageid_only.eml", BOUNCE_PERMANENT, 0,
	  "<018c1a2b3c4d4e5f60718293a4b5c6d7@randers.dk>", "hr@firma.example.com", "5.2.1",
	  "550 5.2.1 Mailbox disabled for this recipient", "", "RFC 3464 Action: failed" },
	/* All three parts base64; Status with a comment after the code. */
	{ "base64_dsn.eml", BOUNCE_PERMANENT, 31337,
	  "<018c1f3c4d5e4f6a7b8c9d0e1f2a3b4c@randers.dk>", "frederik.moller@example.dk", "5.1.1",
	  "550 5.1.1 No such user", "", "RFC 3464 Action: failed" },
	/* Cut inside the delivery-status part: Status "5." is no code, the
	 * Diagnostic-Code still has one; the returned headers never came. */
	{ "malformed_truncated.eml", BOUNCE_PERMANENT, 2024, "", "jens.hansen@example.dk", "5.1.1",
	  "Recipient address rejected: User unknown in virtual m", "", "RFC 3464 Action: failed" },
};

static void test_fixtures(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(&fixtures[i]);
}

/* A Postfix-like DSN; %s: the boundary parameter as written, then the
 * boundary itself three times. */
#define DSN_FMT \
	"From: MAILER-DAEMON@mail.example.net (Mail Delivery System)\n" \
	"To: bounce+77@randers.dk\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"Auto-Submitted: auto-replied\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=%s\n" \
	"\n" \
	"--%s\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"The mail system\n" \
	"\n" \
	"--%s\n" \
	"Content-Type: message/delivery-status\n" \
	"\n" \
	"Reporting-MTA: dns; mail.example.net\n" \
	"\n" \
	"Final-Recipient: rfc822; a@example.org\n" \
	"Action: failed\n" \
	"Status: 5.1.1 (bad destination mailbox)\n" \
	"Diagnostic-Code: smtp; 550 5.1.1 <a@example.org>: User unknown\n" \
	"\n" \
	"--%s--\n"

static char *dsn_with_boundary(const char *param, const char *b)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addf(&sb, DSN_FMT, param, b, b, b);
	return sbuf_detach(&sb, NULL);
}

static void parse_ok(const char *mail, size_t len, const char *env, struct bounce_report *r)
{
	assert_int_equal(bounce_parse(mail, len, env, r), 0);
	assert_sane(r);
}

static void assert_dsn_77(const struct bounce_report *r)
{
	assert_int_equal(r->kind, BOUNCE_PERMANENT);
	assert_int_equal(r->message_id, 77);
	assert_string_equal(r->status, "5.1.1");
	assert_string_equal(r->recipient, "a@example.org");
	assert_string_equal(r->diagnostic, "550 5.1.1 <a@example.org>: User unknown");
	assert_string_equal(r->reason, "RFC 3464 Action: failed");
}

static char *to_crlf(const char *s)
{
	struct sbuf sb = SBUF_INIT;

	for (; *s; s++) {
		if (*s == '\n')
			sbuf_addch(&sb, '\r');
		sbuf_addch(&sb, *s);
	}
	return sbuf_detach(&sb, NULL);
}

static void test_boundaries(void **state)
{
	static const char *const cases[][2] = {
		{ "\"=_bb0f9e8d\"", "=_bb0f9e8d" },
		{ "plain-boundary.123/host", "plain-boundary.123/host" },
		/* Quoted: a space, a quote escaped, a semicolon. */
		{ "\"a b\\\"c;d\"", "a b\"c;d" },
		{ "\"x\"; charset=us-ascii", "x" },
	};
	struct bounce_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *m = dsn_with_boundary(cases[i][0], cases[i][1]);

		parse_ok(m, strlen(m), NULL, &r);
		assert_dsn_77(&r);
		free(m);
	}
}

static void test_lf_and_crlf(void **state)
{
	char *lf = dsn_with_boundary("\"b1\"", "b1"), *crlf = to_crlf(lf);
	struct bounce_report r1, r2;

	(void)state;
	parse_ok(lf, strlen(lf), NULL, &r1);
	parse_ok(crlf, strlen(crlf), NULL, &r2);
	assert_dsn_77(&r1);
	assert_memory_equal(&r1, &r2, sizeof(r1));
	free(lf);
	free(crlf);
}

static void test_folded_headers(void **state)
{
	const char *m =
		"From: Mail Delivery System\n <MAILER-DAEMON@mail.example.net>\n"
		"TO:\n  \"Frivilligcenter\"\n\t<BOUNCE+4242@randers.dk>\n"
		"content-TYPE: multipart/report;\n report-type=\"delivery-status\";\n"
		"  boundary=\"folded\n"
		"--folded\n"
		"Content-Type: message/delivery-status\n\n"
		"final-recipient: rfc822;\n   b@example.org\n"
		"ACTION: Failed\n"
		"Diagnostic-Code: smtp;\n 550 5.1.1 User\n   unknown\n\n"
		"--folded--\n";
	const char *fixed = "\n\n";
	struct sbuf sb = SBUF_INIT;
	struct bounce_report r;

	(void)state;
	/* The header block ends after the folded Content-Type. */
	sbuf_add(&sb, m, (size_t)(strstr(m, "--folded\n") - m));
	sbuf_add(&sb, fixed, 1);
	sbuf_addstr(&sb, strstr(m, "--folded\n"));
	parse_ok(sb.buf, sb.len, NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_int_equal(r.message_id, 4242);
	assert_string_equal(r.recipient, "b@example.org");
	assert_string_equal(r.status, "5.1.1");
	assert_string_equal(r.diagnostic, "550 5.1.1 User unknown");
	assert_string_equal(r.reason, "RFC 3464 Action: failed");
	sbuf_release(&sb);
}

static void test_nested_report(void **state)
{
	const char *m =
		"From: postmaster@example.net\nTo: bounce+5@randers.dk\n"
		"Content-Type: multipart/mixed; boundary=outer\n\n"
		"--outer\nContent-Type: text/plain\n\nSee the attached report.\n"
		"--outer\nContent-Type: multipart/report; report-type=delivery-status; boundary=inner\n\n"
		"--inner\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; x\n\nFinal-Recipient: rfc822; c@example.org\nAction: delayed\n"
		"Status: 4.7.0\n\n"
		"--inner\nContent-Type: message/rfc822\n\n"
		"Return-Path: <bounce+5@randers.dk>\nMessage-ID: <aa@randers.dk>\n\nbody\n"
		"--inner--\n--outer--\n";
	struct bounce_report r;

	(void)state;
	parse_ok(m, strlen(m), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_TEMPORARY);
	assert_int_equal(r.message_id, 5);
	assert_string_equal(r.status, "4.7.0");
	assert_string_equal(r.recipient, "c@example.org");
	assert_string_equal(r.message_id_header, "<aa@randers.dk>");
	assert_string_equal(r.reason, "RFC 3464 Action: delayed");
}

/* Nesting deeper than BOUNCE_MAX_DEPTH is not followed. */
static void test_depth_limit(void **state)
{
	struct sbuf sb = SBUF_INIT;
	struct bounce_report r;
	int levels[] = { 5, BOUNCE_MAX_DEPTH + 4 };

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		sbuf_reset(&sb);
		sbuf_addstr(&sb, "From: someone@example.net\nTo: bounce+9@randers.dk\n");
		for (int i = 0; i < levels[k]; i++)
			sbuf_addf(&sb, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
		sbuf_addstr(&sb, "Content-Type: message/delivery-status\n\n"
			    "Final-Recipient: rfc822; d@example.org\nAction: failed\nStatus: 5.0.0\n");
		parse_ok(sb.buf, sb.len, NULL, &r);
		assert_int_equal(r.message_id, 9);
		assert_int_equal(r.kind, k == 0 ? BOUNCE_PERMANENT : BOUNCE_NONE);
	}
	sbuf_release(&sb);
}

static void test_unclosed_boundary(void **state)
{
	char *m = dsn_with_boundary("\"open\"", "open");
	struct bounce_report r;

	(void)state;
	*strstr(m, "--open--") = '\0';
	parse_ok(m, strlen(m), NULL, &r);
	assert_dsn_77(&r);
	free(m);
}

static void test_nul_bytes(void **state)
{
	char *m = dsn_with_boundary("\"n\"", "n");
	size_t len = strlen(m);
	char *diag = strstr(m, "User unknown"), *subj = strstr(m, "Returned");
	struct bounce_report r;

	(void)state;
	diag[4] = '\0';		/* "User\0unknown" */
	subj[0] = '\0';
	parse_ok(m, len, NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_int_equal(r.message_id, 77);
	assert_string_equal(r.diagnostic, "550 5.1.1 <a@example.org>: User unknown");
	/* Read only within len: the NUL at m[len] is not needed either. */
	m[len - 1] = 'x';
	parse_ok(m, len, NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	free(m);
}

static void test_garbage(void **state)
{
	size_t len = 1 << 20;
	char *g = malloc(len);
	uint32_t x = 12345;
	struct bounce_report r;

	(void)state;
	assert_non_null(g);
	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		g[i] = (char)(x >> 16);
	}
	g[0] = '\x01';		/* not a field name */
	assert_int_equal(bounce_parse(g, len, NULL, &r), -1);
	assert_int_equal(r.kind, BOUNCE_NONE);
	assert_string_equal(r.reason, "not a mail: no header field at the start");

	/* A header, then a megabyte of binary body: read, not a bounce. */
	memcpy(g, "Subject: x\n\n", 12);
	parse_ok(g, len, NULL, &r);
	assert_int_equal(r.kind, BOUNCE_NONE);

	/* One header line of a megabyte. */
	memset(g, 'a', len);
	memcpy(g, "Subject: ", 9);
	parse_ok(g, len, NULL, &r);
	assert_int_equal(r.kind, BOUNCE_NONE);
	assert_string_equal(r.reason, "not a bounce");

	/* A megabyte of nothing but boundaries and empty parts. */
	{
		struct sbuf sb = SBUF_INIT;

		sbuf_addstr(&sb, "Content-Type: multipart/mixed; boundary=z\n\n");
		while (sb.len < len)
			sbuf_addstr(&sb, "--z\n\n");
		parse_ok(sb.buf, sb.len, NULL, &r);
		assert_int_equal(r.kind, BOUNCE_NONE);
		sbuf_release(&sb);
	}
	free(g);
}

static void test_not_a_mail(void **state)
{
	struct bounce_report r;

	(void)state;
	assert_int_equal(bounce_parse("", 0, NULL, &r), -1);
	assert_string_equal(r.reason, "empty input");
	assert_int_equal(bounce_parse(NULL, 10, NULL, &r), -1);
	assert_int_equal(bounce_parse("\n\nbody", 6, NULL, &r), -1);
	assert_int_equal(bounce_parse(" folded: x\n", 11, NULL, &r), -1);
	assert_int_equal(bounce_parse("no colon here\n", 14, NULL, &r), -1);
	/* An mbox "From " line before the headers is fine. */
	assert_int_equal(bounce_parse("From x@y Mon Jan  1 00:00:00 2024\nTo: bounce+3@r.dk\n\nhi\n",
				      55, NULL, &r), 0);
	assert_int_equal(r.message_id, 3);
}

static void test_verp_ids(void **state)
{
	static const struct {
		const char *s;
		long long id;
	} cases[] = {
		{ "bounce+42@randers.dk", 42 },
		{ "<bounce+42@randers.dk>", 42 },
		{ "\"Frivilligcenter\" <BOUNCE+7@randers.dk>", 7 },
		{ "Bounce+9223372036854775807@x.dk", 9223372036854775807LL },
		{ "bounce+0@randers.dk", 0 },
		{ "bounce+-5@randers.dk", 0 },
		{ "bounce++5@randers.dk", 0 },
		{ "bounce+99999999999999999999@randers.dk", 0 },
		{ "bounce+9223372036854775808@randers.dk", 0 },
		{ "bounce+12x@randers.dk", 0 },
		{ "bounce+12", 0 },
		{ "bounce+@randers.dk", 0 },
		{ "xbounce+5@randers.dk", 0 },
		{ "a@b.dk, bounce+12x@r.dk, bounce+13@r.dk", 13 },
		{ "", 0 },
	};
	struct bounce_report r;
	char m[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (bounce_verp_id(cases[i].s, strlen(cases[i].s)) != cases[i].id)
			fail_msg("'%s' gave %lld", cases[i].s,
				 bounce_verp_id(cases[i].s, strlen(cases[i].s)));
		snprintf(m, sizeof(m), "To: %s\n\nhello\n", cases[i].s);
		parse_ok(m, strlen(m), NULL, &r);
		assert_int_equal(r.message_id, cases[i].id);
	}
	/* The length is a bound: "bounce+4@" cut before the '@' is no address. */
	assert_int_equal(bounce_verp_id("bounce+4@x", 8), 0);
	/* envelope_to comes first, the headers next. */
	snprintf(m, sizeof(m), "To: bounce+1@r.dk\nDelivered-To: bounce+2@r.dk\n\nx\n");
	parse_ok(m, strlen(m), "bounce+3@r.dk", &r);
	assert_int_equal(r.message_id, 3);
	parse_ok(m, strlen(m), "info@r.dk", &r);
	assert_int_equal(r.message_id, 1);
	snprintf(m, sizeof(m), "To: info@r.dk\nDelivered-To: x@r.dk\nDelivered-To: bounce+2@r.dk\n\nx\n");
	parse_ok(m, strlen(m), NULL, &r);
	assert_int_equal(r.message_id, 2);
}

static void test_dsn_recipients(void **state)
{
	const char *m =
		"From: MAILER-DAEMON@x.net\nTo: bounce+8@r.dk\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=q\n\n"
		"--q\nContent-Type: message/delivery-status\n\n"
		"Reporting-MTA: dns; x.net\n\n"
		"Final-Recipient: rfc822; ok@example.org\nAction: delivered\nStatus: 2.0.0\n\n"
		"Final-Recipient: rfc822; slow@example.org\nAction: delayed\nStatus: 4.4.7\n\n"
		"Final-Recipient: rfc822; gone@example.org\nAction: failed\nStatus: 5.1.2\n\n"
		"Final-Recipient: rfc822; late@example.org\nAction: delayed\nStatus: 4.4.1\n\n"
		"--q--\n";
	const char *ok =
		"From: MAILER-DAEMON@x.net\nTo: bounce+8@r.dk\nAuto-Submitted: auto-replied\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=q\n\n"
		"--q\nContent-Type: message/delivery-status\n\n"
		"Final-Recipient: rfc822; ok@example.org\nAction: relayed\nStatus: 2.0.0\n\n"
		"--q--\n";
	const char *no_action =
		"From: MAILER-DAEMON@x.net\n"
		"Content-Type: multipart/report; report-type=delivery-status; boundary=q\n\n"
		"--q\nContent-Type: message/delivery-status\n\n"
		"Final-Recipient: rfc822; q@example.org\nStatus: 4.2.2\n\n--q--\n";
	struct bounce_report r;

	(void)state;
	parse_ok(m, strlen(m), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_string_equal(r.recipient, "gone@example.org");
	assert_string_equal(r.status, "5.1.2");
	/* Success: nothing to act on, and no auto-reply either. */
	parse_ok(ok, strlen(ok), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_NONE);
	assert_string_equal(r.reason, "RFC 3464 Action: relayed");
	parse_ok(no_action, strlen(no_action), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_TEMPORARY);
	assert_string_equal(r.reason, "RFC 3464 Status: 4.2.2");
	assert_int_equal(r.message_id, 0);
}

static void test_arf_types(void **state)
{
	static const struct {
		const char *type;
		enum bounce_kind kind;
		const char *reason;
	} cases[] = {
		{ "abuse", BOUNCE_COMPLAINT, "ARF Feedback-Type: abuse" },
		{ "Fraud", BOUNCE_COMPLAINT, "ARF Feedback-Type: fraud" },
		{ "virus", BOUNCE_COMPLAINT, "ARF Feedback-Type: virus" },
		{ "other", BOUNCE_COMPLAINT, "ARF Feedback-Type: other" },
		{ "not-spam", BOUNCE_NONE, "ARF Feedback-Type: not-spam is no complaint" },
		{ "auth-failure", BOUNCE_NONE, "ARF Feedback-Type: auth-failure is no complaint" },
	};
	struct bounce_report r;
	char m[1024];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(m, sizeof(m),
			 "From: fbl@isp.example\nTo: abuse@r.dk\n"
			 "Content-Type: multipart/report; report-type=feedback-report; boundary=f\n\n"
			 "--f\nContent-Type: message/feedback-report\n\n"
			 "Feedback-Type: %s\nOriginal-Rcpt-To: <U@Example.ORG>\n\n"
			 "--f\nContent-Type: message/rfc822\n\n"
			 "Return-Path: <bounce+66@r.dk>\nMessage-ID: <ff@r.dk>\n\nbody\n--f--\n",
			 cases[i].type);
		parse_ok(m, strlen(m), NULL, &r);
		assert_int_equal(r.kind, cases[i].kind);
		assert_string_equal(r.reason, cases[i].reason);
		assert_int_equal(r.message_id, 66);
		assert_string_equal(r.message_id_header, "<ff@r.dk>");
		assert_string_equal(r.recipient, "U@example.org");
	}
}

static void test_exchange_text(void **state)
{
	const char *m =
		"From: postmaster@kommune.example.dk\nTo: bounce+321@r.dk\n"
		"Subject: Undeliverable: Nyhedsbrev\n"
		"Content-Type: text/plain; charset=us-ascii\n\n"
		"Delivery has failed to these recipients or groups:\n\n"
		"lone@kommune.example.dk\n"
		"The e-mail address you entered couldn't be found.\n\n"
		"Diagnostic information for administrators:\n\n"
		"Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not "
		"found by SMTP address lookup'\n\n"
		"Original message headers:\n\nMessage-ID: <0123@r.dk>\nX-Status: 4.4.4\n";
	const char *words =
		"From: MAILER-DAEMON@x.example\nTo: bounce+2@r.dk\nSubject: failure notice\n\n"
		"Your message could not be delivered: the user does not exist.\n";
	const char *unsure =
		"From: MAILER-DAEMON@x.example\nTo: bounce+2@r.dk\nSubject: Returned mail\n\n"
		"Something about your message.\n";
	struct bounce_report r;

	(void)state;
	parse_ok(m, strlen(m), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_int_equal(r.message_id, 321);
	assert_string_equal(r.status, "5.1.10");
	assert_string_equal(r.recipient, "lone@kommune.example.dk");
	assert_string_equal(r.message_id_header, "<0123@r.dk>");
	assert_non_null(strstr(r.diagnostic, "Remote Server returned '550 5.1.10"));
	parse_ok(words, strlen(words), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_string_equal(r.reason, "non-standard bounce: \"could not be delivered\"");
	parse_ok(unsure, strlen(unsure), NULL, &r);
	assert_int_equal(r.kind, BOUNCE_TEMPORARY);
	assert_string_equal(r.reason, "non-standard bounce: no status");
}

static void test_auto_replies(void **state)
{
	static const struct {
		const char *headers;
		const char *reason;
	} cases[] = {
		{ "Auto-Submitted: auto-generated\n", "auto-reply (Auto-Submitted: auto-generated)" },
		{ "X-Autoreply: yes\n", "auto-reply (X-Autoreply)" },
		{ "X-Autorespond: Out of office\n", "auto-reply (X-Autorespond)" },
		{ "Precedence: auto_reply\n", "auto-reply (Precedence: auto_reply)" },
		{ "Subject: Abwesenheitsnotiz: Hallo\n", "auto-reply (subject \"abwesenheitsnotiz\")" },
		{ "Subject: =?UTF-8?B?RnJhdsOmcmVuZGU=?=\n",
		  "auto-reply (subject \"frav\xc3\xa6rende\")" },
		{ "Subject: Autoreply: Hej\n", "auto-reply (subject \"autoreply\")" },
		{ "Subject: Automatic reply: Hej\n", "auto-reply (subject \"automatic reply\")" },
		{ "Auto-Submitted: no\nSubject: Re: Hej\n", "not a bounce" },
	};
	struct bounce_report r;
	char m[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(m, sizeof(m), "From: a@b.dk\nTo: bounce+11@r.dk\n%s\nI am away.\n",
			 cases[i].headers);
		parse_ok(m, strlen(m), NULL, &r);
		assert_int_equal(r.kind, BOUNCE_NONE);
		assert_int_equal(r.message_id, 11);
		assert_string_equal(r.reason, cases[i].reason);
	}
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(bounce_kind_name(BOUNCE_NONE), "none");
	assert_string_equal(bounce_kind_name(BOUNCE_PERMANENT), "permanent");
	assert_string_equal(bounce_kind_name(BOUNCE_TEMPORARY), "temporary");
	assert_string_equal(bounce_kind_name(BOUNCE_COMPLAINT), "complaint");
	assert_string_equal(bounce_kind_name((enum bounce_kind)42), "unknown");
}

/* Long, invalid UTF-8 and control characters end up bounded and clean. */
static void test_clean_strings(void **state)
{
	struct sbuf sb = SBUF_INIT;
	struct bounce_report r;

	(void)state;
	sbuf_addstr(&sb, "From: MAILER-DAEMON@x.net\n"
		    "Content-Type: multipart/report; report-type=delivery-status; boundary=q\n\n"
		    "--q\nContent-Type: message/delivery-status\n\n"
		    "Final-Recipient: rfc822; \x1b[31mx@y.dk\nAction: failed\nDiagnostic-Code: smtp; 550 5.1.1 ");
	for (int i = 0; i < 400; i++)
		sbuf_addstr(&sb, "\xc3\xa6\xff\x7f\x01");
	sbuf_addstr(&sb, "\n\n--q--\n");
	parse_ok(sb.buf, sb.len, NULL, &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_true(strlen(r.diagnostic) > 400);
	assert_non_null(strstr(r.diagnostic, "550 5.1.1 \xc3\xa6\xc3\xbf \xc3\xa6\xc3\xbf \xc3\xa6"));
	sbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_lf_and_crlf),
		cmocka_unit_test(test_folded_headers),
		cmocka_unit_test(test_nested_report),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_unclosed_boundary),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_not_a_mail),
		cmocka_unit_test(test_verp_ids),
		cmocka_unit_test(test_dsn_recipients),
		cmocka_unit_test(test_arf_types),
		cmocka_unit_test(test_exchange_text),
		cmocka_unit_test(test_auto_replies),
		cmocka_unit_test(test_kind_names),
		cmocka_unit_test(test_clean_strings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
