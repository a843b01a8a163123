/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/csv.h"

/* Reads all of s; records as "f1|f2|…" lines prefixed with their line
 * number, errors as "L!reason". */
static void read_all(const char *s, size_t len, char *out, size_t outsz)
{
	struct csv c;
	struct csv_record r;
	const char *why;
	int rc;
	size_t used = 0;

	out[0] = '\0';
	csv_init(&c, s, len);
	while ((rc = csv_next(&c, &r, &why)) != 0) {
		int n;
		if (rc < 0) {
			n = snprintf(out + used, outsz - used, "%lu!%s\n", r.line, why);
		} else {
			n = snprintf(out + used, outsz - used, "%lu:", r.line);
			for (size_t i = 0; i < r.n && n > 0; i++) {
				used += (size_t)n;
				n = snprintf(out + used, outsz - used, "%s%s", i ? "|" : "", r.fields[i]);
			}
			used += (size_t)n;
			n = snprintf(out + used, outsz - used, "\n");
		}
		used += (size_t)n;
		assert_true(used < outsz);
	}
	csv_release(&c);
}

#define EXPECT(in, want) do { \
	char csv_got[2048]; \
	read_all(in, sizeof(in) - 1, csv_got, sizeof(csv_got)); \
	assert_string_equal(csv_got, want); \
} while (0)

static void test_plain_comma(void **state)
{
	(void)state;
	EXPECT("phone,email\n12345678,a@b.dk\n", "1:phone|email\n2:12345678|a@b.dk\n");
}

static void test_danish_excel(void **state)
{
	(void)state;
	/* UTF-8 BOM, semicolons, CRLF, a comma inside a field, æøå. */
	EXPECT("\xef\xbb\xbfphone;email;interests\r\n+45 12 34 56 78;;sport,kultur\r\n"
	       "87654321;søren@æblehaven.dk;natur\r\n",
	       "1:phone|email|interests\n2:+45 12 34 56 78||sport,kultur\n"
	       "3:87654321|søren@æblehaven.dk|natur\n");
}

static void test_quoted(void **state)
{
	(void)state;
	/* Doubled quotes, separators and a line break inside quotes; the next
	 * record's line number counts the break. */
	EXPECT("a,b\n\"x, \"\"y\"\"\",\"two\nlines\"\nlast,\"\"\n",
	       "1:a|b\n2:x, \"y\"|two\nlines\n4:last|\n");
}

static void test_blank_lines_and_trailing(void **state)
{
	(void)state;
	EXPECT("a,b\n\n\r\n1,2\n3,", "1:a|b\n4:1|2\n5:3|\n");
	EXPECT("", "");
	EXPECT("\xef\xbb\xbf", "");
}

static void test_cr_only(void **state)
{
	(void)state;
	EXPECT("a;b\r1;2\r", "1:a|b\n2:1|2\n");
}

static void test_separator_guess(void **state)
{
	(void)state;
	/* Commas inside quotes do not count: the separator is ';'. */
	EXPECT("\"a,b,c\";d\n1;2\n", "1:a,b,c|d\n2:1|2\n");
	EXPECT("a\tb\n1\t2\n", "1:a|b\n2:1|2\n");
	EXPECT("single\nvalue\n", "1:single\n2:value\n");
}

static void test_errors_and_recovery(void **state)
{
	(void)state;
	/* Text after a closing quote: reported, reading goes on. */
	EXPECT("a,b\n\"x\"y,2\n3,4\n", "1:a|b\n2!text after a closing quote\n3:3|4\n");
	/* A quote that never closes swallows the rest: one error. */
	EXPECT("a,b\n1,\"open\n2,3\n", "1:a|b\n2!a quoted field is not closed\n");
	/* Invalid UTF-8 (Latin-1 'ø'). */
	EXPECT("a,b\nS\xf8ren,1\nok,2\n", "1:a|b\n2!not valid UTF-8 (save the file as \"CSV UTF-8\")\n3:ok|2\n");
}

static void test_nul_and_limits(void **state)
{
	static char big[CSV_MAX_FIELD + 64];
	char got[256];
	char many[200];
	size_t n = 0;
	(void)state;
	EXPECT("a,b\nx\0y,1\nz,2\n", "1:a|b\n2!contains a NUL byte\n3:z|2\n");
	memset(big, 'x', CSV_MAX_FIELD + 1);
	memcpy(big + CSV_MAX_FIELD + 1, "\nok\n", 4);
	read_all(big, CSV_MAX_FIELD + 5, got, sizeof(got));
	assert_string_equal(got, "1!a field is longer than 4096 bytes\n2:ok\n");
	for (int i = 0; i < 40; i++)
		many[n++] = ',';
	memcpy(many + n, "\nok\n", 4);
	read_all(many, n + 4, got, sizeof(got));
	assert_string_equal(got, "1!more than 32 fields\n2:ok\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_comma),
		cmocka_unit_test(test_danish_excel),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_blank_lines_and_trailing),
		cmocka_unit_test(test_cr_only),
		cmocka_unit_test(test_separator_guess),
		cmocka_unit_test(test_errors_and_recovery),
		cmocka_unit_test(test_nul_and_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
