/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/phone.h"

#define BULLET "\xe2\x80\xa2"

static void expect_ok(const char *in, const char *cc, const char *want)
{
	char out[PHONE_E164_MAX];
	const char *why = NULL;
	int rc = phone_normalise(in, cc, out, &why);

	if (rc != 0)
		print_error("'%s' rejected: %s\n", in, why);
	assert_int_equal(rc, 0);
	assert_string_equal(out, want);
}

static void expect_bad(const char *in, const char *cc, const char *want_why)
{
	char out[PHONE_E164_MAX];
	const char *why = NULL;

	if (phone_normalise(in, cc, out, &why) == 0)
		print_error("'%s' accepted as '%s'\n", in ? in : "(null)", out);
	assert_int_equal(phone_normalise(in, cc, out, &why), -1);
	assert_non_null(why);
	assert_string_equal(why, want_why);
	assert_string_equal(out, "");
}

static void test_danish_forms(void **state)
{
	(void)state;
	expect_ok("+45 12 34 56 78", "45", "+4512345678");
	expect_ok("004512345678", "45", "+4512345678");
	expect_ok("12345678", "45", "+4512345678");
	expect_ok("+45-12-34-56-78", "45", "+4512345678");
	expect_ok("(+45) 12345678", "45", "+4512345678");
	expect_ok("+4512345678", "45", "+4512345678");
	expect_ok("12.34.56.78", "45", "+4512345678");
	expect_ok("  12 34 56 78\n", "45", "+4512345678");
	expect_ok("00 45 12 34 56 78", "45", "+4512345678");
	/* the default country does not apply to international forms */
	expect_ok("+45 12345678", "46", "+4512345678");
}

static void test_unicode_layout(void **state)
{
	(void)state;
	/* no-break space and en dash as pasted from a document */
	expect_ok("+45\xc2\xa0" "12\xe2\x80\x93" "34 56 78", "45", "+4512345678");
	/* Arabic-Indic digits ١٢٣٤٥٦٧٨ */
	expect_ok("\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7\xd9\xa8", "45",
		  "+4512345678");
}

static void test_foreign(void **state)
{
	(void)state;
	expect_ok("+49 151 23456789", "45", "+4915123456789");
	expect_ok("0046701234567", "45", "+46701234567");
	expect_ok("+1 (202) 555-0123", "45", "+12025550123");
	expect_ok("+12345678", "45", "+12345678");           /* 8 digits: shortest */
	expect_ok("+123456789012345", "45", "+123456789012345"); /* 15: longest */
	expect_bad("+1234567", "45", "too short");
	expect_bad("+1234567890123456", "45", "too long");
	expect_bad("+0123456789", "45", "country code starts with 0");
	expect_bad("000123456789", "45", "country code starts with 0");
}

static void test_danish_lengths(void **state)
{
	(void)state;
	expect_bad("1234567", "45", "too short");
	expect_bad("123456789", "45", "too long");
	expect_bad("+45 1234567", "45", "too short");
	expect_bad("+45 123456789", "45", "too long");
	expect_bad("0045 1234567", "45", "too short");
	expect_bad("02345678", "45", "Danish numbers do not start with 0");
	expect_bad("+45 02345678", "45", "Danish numbers do not start with 0");
}

static void test_other_default_cc(void **state)
{
	(void)state;
	/* Sweden: national numbers 6..14 digits, 8..15 with the country code */
	expect_ok("70 123 45 67", "46", "+46701234567");
	expect_ok("123456", "46", "+46123456");
	expect_bad("12345", "46", "too short");
	expect_ok("12345678901234", "1", "+112345678901234");
	expect_bad("123456789012345", "1", "too long");
	/* 6 digits but 8 in all needed: +1 123456 has 7 */
	expect_bad("123456", "1", "too short");
	/* 14 national digits but 16 with a two-digit code */
	expect_bad("12345678901234", "46", "too long");
	expect_bad("0701234567", "46", "national number starts with 0; use the international form");
	expect_bad("12345678", "045", "invalid default country code");
	expect_bad("12345678", "4a", "invalid default country code");
	expect_bad("12345678", "1234", "invalid default country code");
	expect_bad("12345678", "", "invalid default country code");
	expect_bad("12345678", NULL, "missing country code");
	/* international needs no default */
	expect_ok("+4512345678", NULL, "+4512345678");
}

static void test_rejects(void **state)
{
	(void)state;
	expect_bad("", "45", "empty");
	expect_bad("   ", "45", "empty");
	expect_bad(NULL, "45", "empty");
	expect_bad("+", "45", "too short");
	expect_bad("00", "45", "missing country code");
	expect_bad("+00", "45", "country code starts with 0");
	expect_bad("1234abcd", "45", "contains a letter");
	expect_bad("+45 12 34 56 7O", "45", "contains a letter");
	expect_bad("tlf 12345678", "45", "contains a letter");
	expect_bad("12345678\xc3\xa6", "45", "contains a letter");
	expect_bad("45+12345678", "45", "'+' is not at the start");
	expect_bad("++4512345678", "45", "more than one '+'");
	expect_bad("+45 12345678/9", "45", "contains an invalid character");
	expect_bad("1234\x01" "5678", "45", "contains an invalid character");
	expect_bad("1234\xff" "5678", "45", "not valid UTF-8");
	expect_bad("1234\xc3", "45", "not valid UTF-8");
	expect_bad("12345678901234567890123456789012345678901234567890", "45", "too long");
}

static void test_why_may_be_null(void **state)
{
	char out[PHONE_E164_MAX];

	(void)state;
	assert_int_equal(phone_normalise("abc", "45", out, NULL), -1);
	assert_int_equal(phone_normalise("12345678", "45", out, NULL), 0);
	assert_string_equal(out, "+4512345678");
}

static void test_is_e164(void **state)
{
	(void)state;
	assert_true(phone_is_e164("+4512345678"));
	assert_true(phone_is_e164("+4915123456789"));
	assert_true(phone_is_e164("+123456789012345"));
	assert_false(phone_is_e164("4512345678"));
	assert_false(phone_is_e164("+45 12345678"));
	assert_false(phone_is_e164("+451234567"));
	assert_false(phone_is_e164("+1234567"));
	assert_false(phone_is_e164("+1234567890123456"));
	assert_false(phone_is_e164("+0123456789"));
	assert_false(phone_is_e164("004512345678"));
	assert_false(phone_is_e164("+4512345678\n"));
	assert_false(phone_is_e164(""));
	assert_false(phone_is_e164(NULL));
}

static void test_mask(void **state)
{
	char out[64];

	(void)state;
	phone_mask("+4512345678", out, sizeof(out));
	assert_string_equal(out, "+45 12 " BULLET BULLET " " BULLET BULLET " 78");
	/* others keep three digits after '+', mask in pairs, keep the last two */
	phone_mask("+4915123456789", out, sizeof(out));
	assert_string_equal(out, "+491 " BULLET BULLET " " BULLET BULLET " " BULLET BULLET
				 " " BULLET BULLET " 89");
	/* odd number of masked digits: the last group has one */
	phone_mask("+467012345678", out, sizeof(out));
	assert_string_equal(out, "+467 " BULLET BULLET " " BULLET BULLET " " BULLET BULLET
				 " " BULLET " 78");
	phone_mask("+46701234567", out, sizeof(out));
	assert_string_equal(out, "+467 " BULLET BULLET " " BULLET BULLET " " BULLET BULLET " 67");
	phone_mask("+12345678", out, sizeof(out));
	assert_string_equal(out, "+123 " BULLET BULLET " " BULLET " 78");
	/* never echo what is not E.164 */
	phone_mask("12345678", out, sizeof(out));
	assert_string_equal(out, "(invalid)");
	phone_mask("+45 12345678", out, sizeof(out));
	assert_string_equal(out, "(invalid)");
	phone_mask(NULL, out, sizeof(out));
	assert_string_equal(out, "(invalid)");
}

static void test_mask_truncation(void **state)
{
	char out[64], whole[64];
	size_t full, i;

	(void)state;
	phone_mask("+4512345678", whole, sizeof(whole));
	full = strlen(whole);
	assert_int_equal(full, 23);
	for (i = 1; i <= full; i++) {
		memset(out, 'x', sizeof(out));
		phone_mask("+4512345678", out, i);
		assert_true(strlen(out) < i);
		/* a cut is a prefix of the whole mask and never splits a bullet */
		assert_memory_equal(out, whole, strlen(out));
		if (strlen(out) > 0) {
			assert_true(((unsigned char)out[strlen(out) - 1] & 0xC0) != 0xC0);
			assert_true(((unsigned char)out[strlen(out) - 1] & 0xC0) != 0x80 ||
				    (unsigned char)out[strlen(out) - 1] == 0xa2);
		}
	}
	phone_mask("+4512345678", out, 7);
	assert_string_equal(out, "+45 12");
	phone_mask("+4512345678", out, 10);
	assert_string_equal(out, "+45 12 ");
	phone_mask("+4512345678", out, 11);
	assert_string_equal(out, "+45 12 " BULLET);
	out[0] = 'x';
	phone_mask("+4512345678", out, 0);
	assert_int_equal(out[0], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_danish_forms),
		cmocka_unit_test(test_unicode_layout),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_danish_lengths),
		cmocka_unit_test(test_other_default_cc),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_why_may_be_null),
		cmocka_unit_test(test_is_e164),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_mask_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
