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
