/* SPDX-License-Identifier: MIT */
/* The IMAP reader's pure pieces: UID SEARCH answers and literal sizes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "budbringer/bounce_imap.h"

#include <string.h>

static void test_search_uids(void **state)
{
	uint32_t u[4];
	(void)state;
	assert_int_equal(bounce_imap_search_uids("* SEARCH 3 17 4294967295\n", u, 4), 3);
	assert_int_equal(u[0], 3);
	assert_int_equal(u[1], 17);
	assert_int_equal(u[2], 4294967295u);
	/* Nothing unseen, other untagged lines, lower case. */
	assert_int_equal(bounce_imap_search_uids("* SEARCH\n", u, 4), 0);
	assert_int_equal(bounce_imap_search_uids("* 3 EXISTS\n* search 9\n", u, 4), 1);
	assert_int_equal(u[0], 9);
	/* Split over two lines, capped at max. */
	assert_int_equal(bounce_imap_search_uids("* SEARCH 1 2\n* SEARCH 3 4 5\n", u, 4), 4);
	assert_int_equal(u[3], 4);
	/* CONDSTORE's "(MODSEQ n)" ends the list. */
	assert_int_equal(bounce_imap_search_uids("* SEARCH 5 (MODSEQ 12)\n", u, 4), 1);
	/* Not UIDs. */
	assert_int_equal(bounce_imap_search_uids("* SEARCH 0\n", u, 4), -1);
	assert_int_equal(bounce_imap_search_uids("* SEARCH 4294967296\n", u, 4), -1);
	assert_int_equal(bounce_imap_search_uids("* SEARCH 12x\n", u, 4), -1);
	assert_int_equal(bounce_imap_search_uids("* SEARCHES 1\n", u, 4), 0);
	assert_int_equal(bounce_imap_search_uids("", u, 4), 0);
}

static void test_literal(void **state)
{
	static const char a[] = "* 1 FETCH (UID 5 BODY[] {2778}";
	static const char b[] = "* 1 FETCH (BODY[] {12+}";
	size_t n = 0;
	(void)state;
	assert_int_equal(bounce_imap_literal(a, strlen(a), 10000, &n), 1);
	assert_int_equal(n, 2778);
	assert_int_equal(bounce_imap_literal(b, strlen(b), 10000, &n), 1);
	assert_int_equal(n, 12);
	assert_int_equal(bounce_imap_literal(a, strlen(a), 100, &n), -1);
	assert_int_equal(bounce_imap_literal("* OK done", 9, 100, &n), 0);
	assert_int_equal(bounce_imap_literal("{}", 2, 100, &n), 0);
	assert_int_equal(bounce_imap_literal("x}", 2, 100, &n), 0);
	assert_int_equal(bounce_imap_literal("{12345678901}", 13, 100, &n), 0);
	assert_int_equal(bounce_imap_literal("}", 1, 100, &n), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_search_uids),
		cmocka_unit_test(test_literal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
