/* SPDX-License-Identifier: MIT */
/* cost.c (amounts in thousandths) and the report's period rules (report.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budbringer/cost.h"
#include "budbringer/report.h"

static void expect_format(long long milli, int decimals, char point, const char *want)
{
	char buf[32];

	assert_int_equal(cost_format(milli, decimals, point, buf, sizeof(buf)), 0);
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	char tiny[4];

	(void)state;
	expect_format(0, 2, '.', "0.00");
	expect_format(285, 2, ',', "0,29");    /* half up */
	expect_format(284, 2, ',', "0,28");
	expect_format(12345, 2, '.', "12.35");
	expect_format(12345, 3, ',', "12,345");
	expect_format(1000, 2, ',', "1,00");
	expect_format(-1500, 2, '.', "-1.50");
	expect_format(LLONG_MAX, 2, '.', "9223372036854775.81");
	assert_int_equal(cost_format(12345, 2, '.', tiny, sizeof(tiny)), -1);
	assert_string_equal(tiny, "");
}

static void test_estimate(void **state)
{
	(void)state;
	assert_int_equal(cost_estimate(10, 2, 285), 5700);
	assert_int_equal(cost_estimate(10, 0, 285), 2850);  /* an SMS is at least one part */
	assert_int_equal(cost_estimate(0, 3, 285), 0);
	assert_int_equal(cost_estimate(10, 3, 0), 0);
	assert_true(cost_estimate(LLONG_MAX / 2, 3, 1000) == LLONG_MAX);
}

static void expect_period_error(const char *from, const char *to, const char *prefix)
{
	struct report r;
	struct sbuf err = SBUF_INIT;

	memset(&r, 0, sizeof(r));
	assert_int_equal(report_period(from, to, &r, &err), -1);
	if (strncmp(err.buf, prefix, strlen(prefix)))
		fail_msg("'%s' does not start with '%s'", err.buf, prefix);
	sbuf_release(&err);
}

static void test_period(void **state)
{
	struct report r;
	struct sbuf err = SBUF_INIT;
	char pf[11], pt[11];

	(void)state;
	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	memset(&r, 0, sizeof(r));
	assert_int_equal(report_period("2026-03-01", "2026-03-31", &r, &err), 0);
	/* 31 days, one of them 23 hours long (DST starts on 29 March). */
	assert_int_equal(r.t_to - r.t_from, 31 * 86400LL - 3600);
	assert_int_equal(report_previous(&r, pf, pt), 0);
	assert_string_equal(pf, "2026-01-29");
	assert_string_equal(pt, "2026-02-28");
	assert_int_equal(report_period("2026-01-01", "2026-01-01", &r, &err), 0);
	assert_int_equal(r.t_to - r.t_from, 86400);
	assert_int_equal(report_previous(&r, pf, pt), 0);
	assert_string_equal(pf, "2025-12-31");
	assert_string_equal(pt, "2025-12-31");
	expect_period_error("2026-13-01", "2026-12-31", "from:");
	expect_period_error("2026-02-30", "2026-12-31", "from:");
	expect_period_error("yesterday", "2026-12-31", "from:");
	expect_period_error("2026-01-01", "2026-1-31", "to:");
	expect_period_error("2026-01-01", "", "to:");
	expect_period_error(NULL, "2026-01-31", "from:");
	expect_period_error("2026-05-01", "2026-04-30", "to:");
	sbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_estimate),
		cmocka_unit_test(test_period),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
