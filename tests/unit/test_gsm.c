/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budbringer/gsm.h"
#include "budbringer/sbuf.h"

/* Builds text: prefix, then n copies of unit, then suffix. Caller frees. */
static char *build(const char *prefix, const char *unit, size_t n, const char *suffix)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;

	sbuf_addstr(&sb, prefix);
	for (i = 0; i < n; i++)
		sbuf_addstr(&sb, unit);
	sbuf_addstr(&sb, suffix);
	return sbuf_detach(&sb, NULL);
}

static char *repeat(const char *unit, size_t n)
{
	return build("", unit, n, "");
}

/* n1 copies of unit, then mid, then n2 copies of unit. Caller frees. */
static char *around(const char *unit, size_t n1, const char *mid, size_t n2)
{
	char *head = repeat(unit, n1), *tail = repeat(unit, n2);
	struct sbuf sb = SBUF_INIT;

	sbuf_add(&sb, head, strlen(head));
	sbuf_addstr(&sb, mid);
	sbuf_addstr(&sb, tail);
	free(head);
	free(tail);
	return sbuf_detach(&sb, NULL);
}

/* Analyses s and checks coding, units and segments, and that gsm_split agrees. */
static void check(const char *s, enum gsm_coding coding, size_t units, unsigned segments)
{
	struct gsm_info info;
	size_t offsets[8], nparts = 0;

	assert_int_equal(gsm_analyse(s, strlen(s), &info), 0);
	assert_string_equal(gsm_coding_name(info.coding), gsm_coding_name(coding));
	assert_int_equal(info.units, units);
	assert_int_equal(info.segments, segments);
	assert_int_equal(gsm_split(s, strlen(s), offsets, 8, &nparts), 0);
	assert_int_equal(nparts, segments);
	assert_int_equal(offsets[0], 0);
}

/* Checks the byte offsets where the parts of s start. */
static void check_split(const char *s, const size_t *want, size_t nwant)
{
	size_t offsets[8], nparts = 0, i;

	assert_int_equal(gsm_split(s, strlen(s), offsets, 8, &nparts), 0);
	assert_int_equal(nparts, nwant);
	for (i = 0; i < nwant; i++)
		assert_int_equal(offsets[i], want[i]);
}

static void test_danish_stays_gsm7(void **state)
{
	(void)state;
	/* 72 characters, all in the default alphabet */
	check("Bliv frivillig! Mød os på Østergade 5 i Randers. Æbler og kaffe. Svar JA",
	      GSM_CODING_GSM7, 72, 1);
	check("æøåÆØÅ", GSM_CODING_GSM7, 6, 1);
	check("é ü Ä Ö Ñ ß à è ù ì ò Ç É ä ö ñ Ü ¿¡ £¥§¤ @$_", GSM_CODING_GSM7, 45, 1);
	check("ΔΦΓΛΩΠΨΣΘΞ", GSM_CODING_GSM7, 10, 1);
}

static void test_english_and_somali_gsm7(void **state)
{
	(void)state;
	check("Volunteer at the sports club on Saturday. Reply STOP to opt out.",
	      GSM_CODING_GSM7, 64, 1);
	check("Ma doonaysaa inaad noqoto tabarruce? Ka qayb gal kooxda ciyaaraha. "
	      "Jawaab HAA.", GSM_CODING_GSM7, 78, 1);
	check("Line one\r\nline two\n", GSM_CODING_GSM7, 19, 1);
}

static void test_other_scripts_force_ucs2(void **state)
{
	(void)state;
	check("تطوع معنا", GSM_CODING_UCS2, 9, 1);          /* Arabic */
	check("رضاکار بنیں", GSM_CODING_UCS2, 11, 1);        /* Urdu */
	check("Gönüllü olun! Şimdi katılın", GSM_CODING_UCS2, 27, 1); /* Turkish */
	check("Zostań wolontariuszem, zgłoś się", GSM_CODING_UCS2, 32, 1); /* Polish */
	/* one letter is enough, and ö/ü alone would have stayed GSM-7 */
	check("Gönüllü", GSM_CODING_GSM7, 7, 1);
	check("ş", GSM_CODING_UCS2, 1, 1);
	check("ğ", GSM_CODING_UCS2, 1, 1);
	check("ı", GSM_CODING_UCS2, 1, 1);
	check("są", GSM_CODING_UCS2, 2, 1);
	check("ł", GSM_CODING_UCS2, 1, 1);
	/* 23.038 has capital Ç only; the grave accent and tab are not in it */
	check("ç", GSM_CODING_UCS2, 1, 1);
	check("`", GSM_CODING_UCS2, 1, 1);
	check("a\tb", GSM_CODING_UCS2, 3, 1);
}

static void test_emoji_takes_two_units(void **state)
{
	(void)state;
	check("Tak 👍", GSM_CODING_UCS2, 6, 1);
	/* in UCS-2 an extension character is one unit like any other */
	check("€ 👍", GSM_CODING_UCS2, 4, 1);
}

static void test_extension_chars_count_double(void **state)
{
	(void)state;
	check("€", GSM_CODING_GSM7, 2, 1);
	check("^{}\\[~]|€\f", GSM_CODING_GSM7, 20, 1);
	check("Pris: 20€ [inkl. kaffe]", GSM_CODING_GSM7, 26, 1);
}

static void test_empty_text(void **state)
{
	size_t offsets[2] = { 99, 99 }, nparts = 0;

	(void)state;
	check("", GSM_CODING_GSM7, 0, 1);
	assert_int_equal(gsm_split("", 0, offsets, 2, &nparts), 0);
	assert_int_equal(nparts, 1);
	assert_int_equal(offsets[0], 0);
	assert_int_equal(offsets[1], 99);
}

static void test_gsm7_boundaries(void **state)
{
	char *s;
	const size_t two[] = { 0, 153 }, three[] = { 0, 153, 306 };

	(void)state;
	s = repeat("a", 160);
	check(s, GSM_CODING_GSM7, 160, 1);
	free(s);
	s = repeat("a", 161);
	check(s, GSM_CODING_GSM7, 161, 2);
	check_split(s, two, 2);
	free(s);
	s = repeat("a", 153 * 2);
	check(s, GSM_CODING_GSM7, 306, 2);
	free(s);
	s = repeat("a", 153 * 2 + 1);
	check(s, GSM_CODING_GSM7, 307, 3);
	check_split(s, three, 3);
	free(s);
	/* 159 + an extension char is 161 septets: no longer one SMS */
	s = build("", "a", 159, "€");
	check(s, GSM_CODING_GSM7, 161, 2);
	free(s);
	s = build("", "a", 158, "€");
	check(s, GSM_CODING_GSM7, 160, 1);
	free(s);
}

static void test_extension_char_not_split(void **state)
{
	char *s;
	/* € is 3 bytes of UTF-8 */
	const size_t fits[] = { 0, 151 + 3 };
	const size_t pushed[] = { 0, 152, 152 + 3 + 151 };

	(void)state;
	/* € takes septets 152-153 of part 1: 306 septets in 2 parts */
	s = around("a", 151, "€", 153);
	check(s, GSM_CODING_GSM7, 306, 2);
	check_split(s, fits, 2);
	free(s);
	/* € at septet 153 would straddle: it opens part 2, so the same
	 * 306 septets need 3 parts */
	s = around("a", 152, "€", 152);
	check(s, GSM_CODING_GSM7, 306, 3);
	check_split(s, pushed, 3);
	free(s);
	/* form feed is an extension character too */
	s = around("a", 152, "\f", 152);
	check(s, GSM_CODING_GSM7, 306, 3);
	free(s);
}

static void test_ucs2_boundaries(void **state)
{
	char *s;
	const size_t two[] = { 0, 67 * 2 };

	(void)state;
	s = repeat("ş", 70);
	check(s, GSM_CODING_UCS2, 70, 1);
	free(s);
	s = repeat("ş", 71);
	check(s, GSM_CODING_UCS2, 71, 2);
	check_split(s, two, 2);
	free(s);
	s = repeat("ş", 67 * 2);
	check(s, GSM_CODING_UCS2, 134, 2);
	free(s);
	s = repeat("ş", 67 * 2 + 1);
	check(s, GSM_CODING_UCS2, 135, 3);
	free(s);
	/* an ASCII text with one Arabic letter is UCS-2 throughout */
	s = build("", "a", 70, "ب");
	check(s, GSM_CODING_UCS2, 71, 2);
	free(s);
}

static void test_surrogate_pair_not_split(void **state)
{
	char *s;
	/* ş is 2 bytes of UTF-8, 👍 is 4 */
	const size_t fits[] = { 0, 65 * 2 + 4 };
	const size_t pushed[] = { 0, 66 * 2, 66 * 2 + 4 + 65 * 2 };

	(void)state;
	s = around("ş", 68, "👍", 0);
	check(s, GSM_CODING_UCS2, 70, 1);
	free(s);
	s = around("ş", 69, "👍", 0);
	check(s, GSM_CODING_UCS2, 71, 2);
	free(s);
	/* 👍 takes units 66-67 of part 1 */
	s = around("ş", 65, "👍", 67);
	check(s, GSM_CODING_UCS2, 134, 2);
	check_split(s, fits, 2);
	free(s);
	/* 👍 would take units 67 and 68: it opens part 2 */
	s = around("ş", 66, "👍", 66);
	check(s, GSM_CODING_UCS2, 134, 3);
	check_split(s, pushed, 3);
	free(s);
}

static void test_split_offsets_on_char_boundaries(void **state)
{
	char *s = repeat("ø", 200); /* 2 bytes each, 1 septet each */
	const size_t want[] = { 0, 153 * 2 };

	(void)state;
	check(s, GSM_CODING_GSM7, 200, 2);
	check_split(s, want, 2);
	free(s);
}

static void test_split_too_many_parts(void **state)
{
	char *s = repeat("a", 153 * 3 + 1);
	size_t offsets[3] = { 7, 7, 7 }, nparts = 0;

	(void)state;
	assert_int_equal(gsm_split(s, strlen(s), offsets, 2, &nparts), -2);
	assert_int_equal(nparts, 4);
	assert_int_equal(offsets[0], 0);
	assert_int_equal(offsets[1], 153);
	assert_int_equal(offsets[2], 7);
	free(s);
}

static void test_length_not_nul(void **state)
{
	struct gsm_info info;
	const char *s = "abcş";

	(void)state;
	/* only "abc" is analysed: the ş after len must not count */
	assert_int_equal(gsm_analyse(s, 3, &info), 0);
	assert_int_equal(info.coding, GSM_CODING_GSM7);
	assert_int_equal(info.units, 3);
	/* cutting ş in half is invalid UTF-8 */
	assert_int_equal(gsm_analyse(s, 4, &info), -1);
}

static void assert_translit(const char *in, const char *want)
{
	struct sbuf sb = SBUF_INIT;

	assert_int_equal(gsm_transliterate(in, strlen(in), &sb), 0);
	assert_string_equal(sb.buf, want);
	assert_int_equal(sb.len, strlen(want));
	sbuf_release(&sb);
}

static void test_transliterate(void **state)
{
	struct sbuf sb = SBUF_INIT;
	struct gsm_info info;
	const char *in = "\u201cHej\u201d \u2013 sagde hun\u2026 \u00abok\u00bb \u2018ja\u2019";

	(void)state;
	assert_translit(in, "\"Hej\" - sagde hun... \"ok\" 'ja'");
	assert_translit("kl.\u00a010\u202f\u2014\u00a012", "kl. 10 - 12");
	assert_translit("fri\u00advillig\u200b", "frivillig");
	assert_translit("a\tb `c\u00b4 5\u2032 \u2212 3", "a b 'c' 5' - 3");
	/* already GSM-7, extension chars included: unchanged */
	assert_translit("Pris 20€ {ok} æøå", "Pris 20€ {ok} æøå");
	assert_translit("", "");

	/* the result of a full replacement is GSM-7 */
	assert_int_equal(gsm_transliterate(in, strlen(in), &sb), 0);
	assert_int_equal(gsm_analyse(sb.buf, sb.len, &info), 0);
	assert_int_equal(info.coding, GSM_CODING_GSM7);
	sbuf_release(&sb);
	assert_int_equal(gsm_analyse(in, strlen(in), &info), 0);
	assert_int_equal(info.coding, GSM_CODING_UCS2);
}

static void test_transliterate_keeps_letters(void **state)
{
	(void)state;
	/* ş has no GSM-7 form that keeps the meaning: the whole text stays
	 * as it was, curly quotes included, since it goes UCS-2 anyway */
	assert_translit("\u201cŞimdi\u201d \u2013 katılın", "\u201cŞimdi\u201d \u2013 katılın");
	assert_translit("ç", "ç");
	assert_translit("Tak 👍\u2026", "Tak 👍\u2026");
	assert_translit("مرحبا\u00a0", "مرحبا\u00a0");
}

static void test_transliterate_appends(void **state)
{
	struct sbuf sb = SBUF_INIT;

	(void)state;
	sbuf_addstr(&sb, "x:");
	assert_int_equal(gsm_transliterate("\u2026", 3, &sb), 0);
	assert_string_equal(sb.buf, "x:...");
	sbuf_release(&sb);
}

static void test_ucs2be_bytes(void **state)
{
	struct sbuf sb = SBUF_INIT;
	/* سلام: U+0633 U+0644 U+0627 U+0645 */
	static const unsigned char salam[] = { 0x06, 0x33, 0x06, 0x44, 0x06, 0x27, 0x06, 0x45 };
	/* a👍: U+0061, U+1F44D as the surrogate pair D83D DC4D */
	static const unsigned char emoji[] = { 0x00, 0x61, 0xD8, 0x3D, 0xDC, 0x4D };
	/* æ€: U+00E6 U+20AC */
	static const unsigned char latin[] = { 0x00, 0xE6, 0x20, 0xAC };

	(void)state;
	assert_int_equal(gsm_to_ucs2be("سلام", strlen("سلام"), &sb), 0);
	assert_int_equal(sb.len, sizeof(salam));
	assert_memory_equal(sb.buf, salam, sizeof(salam));
	sbuf_reset(&sb);

	assert_int_equal(gsm_to_ucs2be("a👍", strlen("a👍"), &sb), 0);
	assert_int_equal(sb.len, sizeof(emoji));
	assert_memory_equal(sb.buf, emoji, sizeof(emoji));
	sbuf_reset(&sb);

	/* appends */
	sbuf_addstr(&sb, "X");
	assert_int_equal(gsm_to_ucs2be("æ€", strlen("æ€"), &sb), 0);
	assert_int_equal(sb.len, 1 + sizeof(latin));
	assert_memory_equal(sb.buf + 1, latin, sizeof(latin));
	sbuf_reset(&sb);

	assert_int_equal(gsm_to_ucs2be("", 0, &sb), 0);
	assert_int_equal(sb.len, 0);
	sbuf_release(&sb);
}

static void test_ucs2be_long_text(void **state)
{
	/* longer than the converter's stack buffer */
	char *s = build("", "ş", 1000, "👍");
	struct sbuf sb = SBUF_INIT;

	(void)state;
	assert_int_equal(gsm_to_ucs2be(s, strlen(s), &sb), 0);
	assert_int_equal(sb.len, 2 * 1002);
	assert_int_equal((unsigned char)sb.buf[0], 0x01);
	assert_int_equal((unsigned char)sb.buf[1], 0x5F);
	assert_int_equal((unsigned char)sb.buf[2000], 0xD8);
	assert_int_equal((unsigned char)sb.buf[2003], 0x4D);
	sbuf_release(&sb);
	free(s);
}

static void test_invalid_utf8_rejected(void **state)
{
	static const char *const bad[] = {
		"\xC3\x28",         /* bad continuation */
		"\xC0\xAF",         /* overlong '/' */
		"\xED\xA0\x80",     /* encoded surrogate */
		"\xE2\x82",         /* truncated € */
		"\xF4\x90\x80\x80", /* above U+10FFFF */
		"ok\xFF",           /* never valid */
		"\x80",             /* lone continuation */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gsm_info info = { GSM_CODING_UCS2, 42, 42 };
		struct sbuf sb = SBUF_INIT;
		size_t offsets[2] = { 42, 42 }, nparts = 42;
		size_t len = strlen(bad[i]);

		sbuf_addstr(&sb, "keep");
		assert_int_equal(gsm_analyse(bad[i], len, &info), -1);
		assert_int_equal(info.units, 42);
		assert_int_equal(info.segments, 42);
		assert_int_equal(gsm_transliterate(bad[i], len, &sb), -1);
		assert_int_equal(gsm_to_ucs2be(bad[i], len, &sb), -1);
		assert_string_equal(sb.buf, "keep");
		assert_int_equal(gsm_split(bad[i], len, offsets, 2, &nparts), -1);
		assert_int_equal(nparts, 42);
		assert_int_equal(offsets[0], 42);
		sbuf_release(&sb);
	}
}

static void test_coding_name(void **state)
{
	(void)state;
	assert_string_equal(gsm_coding_name(GSM_CODING_GSM7), "gsm7");
	assert_string_equal(gsm_coding_name(GSM_CODING_UCS2), "ucs2");
}

static void expect_culprits(const char *text, int n, const char *want)
{
	struct sbuf out = SBUF_INIT;

	assert_int_equal(gsm_ucs2_culprits(text, strlen(text), &out, 4), n);
	assert_string_equal(out.len ? out.buf : "", want);
	sbuf_release(&out);
}

static void test_ucs2_culprits(void **state)
{
	struct sbuf out = SBUF_INIT;

	(void)state;
	expect_culprits("Hej med dig, æøå ÆØÅ € {}", 0, "");
	expect_culprits("Gönüllü şimdi ğ ş", 2, "\xc5\x9f \xc4\x9f"); /* ö and ü are GSM-7 */
	expect_culprits("tab\there\xc2\xa0nbsp", 2, "U+0009 U+00A0");
	expect_culprits("\xd9\x86\xd8\xb9\xd9\x85 \xd9\x86", 3, "\xd9\x86 \xd8\xb9 \xd9\x85");
	expect_culprits("a`b\xe2\x80\x8b" "c", 2, "` U+200B");
	/* more than max: counted, not all written */
	expect_culprits("\xc4\x85\xc4\x87\xc4\x99\xc5\x82\xc5\x84\xc5\x9b", 6,
			"\xc4\x85 \xc4\x87 \xc4\x99 \xc5\x82");
	assert_int_equal(gsm_ucs2_culprits("\xc3\x28", 2, &out, 4), -1);
	assert_int_equal(out.len, 0);
	sbuf_release(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_danish_stays_gsm7),
		cmocka_unit_test(test_english_and_somali_gsm7),
		cmocka_unit_test(test_other_scripts_force_ucs2),
		cmocka_unit_test(test_emoji_takes_two_units),
		cmocka_unit_test(test_extension_chars_count_double),
		cmocka_unit_test(test_empty_text),
		cmocka_unit_test(test_gsm7_boundaries),
		cmocka_unit_test(test_extension_char_not_split),
		cmocka_unit_test(test_ucs2_boundaries),
		cmocka_unit_test(test_surrogate_pair_not_split),
		cmocka_unit_test(test_split_offsets_on_char_boundaries),
		cmocka_unit_test(test_split_too_many_parts),
		cmocka_unit_test(test_length_not_nul),
		cmocka_unit_test(test_transliterate),
		cmocka_unit_test(test_transliterate_keeps_letters),
		cmocka_unit_test(test_transliterate_appends),
		cmocka_unit_test(test_ucs2be_bytes),
		cmocka_unit_test(test_ucs2be_long_text),
		cmocka_unit_test(test_invalid_utf8_rejected),
		cmocka_unit_test(test_coding_name),
		cmocka_unit_test(test_ucs2_culprits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
