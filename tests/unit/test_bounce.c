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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
