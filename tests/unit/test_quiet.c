/* SPDX-License-Identifier: MIT */
/* Quiet hours in Europe/Copenhagen, including both DST changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budbringer/quiet.h"

static struct config cfg;

static long long utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi };
	return (long long)timegm(&tm);
}

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	memset(&cfg, 0, sizeof(cfg));
	cfg.campaigns.quiet_enabled = true;
	cfg.campaigns.quiet_start_min = 21 * 60;
	cfg.campaigns.quiet_end_min = 8 * 60;
	return 0;
}

static void test_window(void **state)
{
	(void)state;
	assert_true(quiet_window_contains(21 * 60, 8 * 60, 23 * 60));
	assert_true(quiet_window_contains(21 * 60, 8 * 60, 0));
	assert_true(quiet_window_contains(21 * 60, 8 * 60, 7 * 60 + 59));
	assert_false(quiet_window_contains(21 * 60, 8 * 60, 8 * 60));
	assert_false(quiet_window_contains(21 * 60, 8 * 60, 20 * 60 + 59));
	assert_true(quiet_window_contains(21 * 60, 8 * 60, 21 * 60));
	/* A window that does not wrap. */
	assert_true(quiet_window_contains(12 * 60, 13 * 60, 12 * 60 + 30));
	assert_false(quiet_window_contains(12 * 60, 13 * 60, 13 * 60));
	assert_false(quiet_window_contains(9 * 60, 9 * 60, 9 * 60));
}

static void test_winter_and_summer_offsets(void **state)
{
	(void)state;
	/* Winter (UTC+1): 20:30 UTC is 21:30 local: quiet. 06:59 UTC = 07:59: quiet. */
	assert_true(quiet_now(&cfg, utc(2026, 1, 15, 20, 30)));
	assert_true(quiet_now(&cfg, utc(2026, 1, 15, 6, 59)));
	assert_false(quiet_now(&cfg, utc(2026, 1, 15, 7, 0)));
	/* Summer (UTC+2): 19:00 UTC is 21:00 local. */
	assert_true(quiet_now(&cfg, utc(2026, 7, 15, 19, 0)));
	assert_false(quiet_now(&cfg, utc(2026, 7, 15, 18, 59)));
	assert_false(quiet_now(&cfg, utc(2026, 7, 15, 6, 0)));
}

static void test_dst_march(void **state)
{
	(void)state;
	/* 29 March 2026: 02:00 local jumps to 03:00 (01:00 UTC). The window
	 * opens at 08:00 local, which is 06:00 UTC that day. */
	assert_true(quiet_now(&cfg, utc(2026, 3, 29, 5, 59)));
	assert_false(quiet_now(&cfg, utc(2026, 3, 29, 6, 0)));
	assert_int_equal(quiet_next_open(&cfg, utc(2026, 3, 28, 22, 0)), utc(2026, 3, 29, 6, 0));
	/* The evening after: 21:00 local = 19:00 UTC. */
	assert_true(quiet_now(&cfg, utc(2026, 3, 29, 19, 0)));
	assert_false(quiet_now(&cfg, utc(2026, 3, 29, 18, 59)));
}

static void test_dst_october(void **state)
{
	(void)state;
	/* 25 October 2026: 03:00 local falls back to 02:00 (01:00 UTC). 08:00
	 * local is 07:00 UTC that day; the night is an hour longer. */
	assert_true(quiet_now(&cfg, utc(2026, 10, 25, 6, 59)));
	assert_false(quiet_now(&cfg, utc(2026, 10, 25, 7, 0)));
	assert_int_equal(quiet_next_open(&cfg, utc(2026, 10, 24, 19, 30)), utc(2026, 10, 25, 7, 0));
	/* The evening before (summer time): 21:00 local = 19:00 UTC. */
	assert_true(quiet_now(&cfg, utc(2026, 10, 24, 19, 0)));
	assert_false(quiet_now(&cfg, utc(2026, 10, 24, 18, 59)));
}

static void test_disabled(void **state)
{
	(void)state;
	cfg.campaigns.quiet_enabled = false;
	assert_false(quiet_now(&cfg, utc(2026, 1, 15, 23, 0)));
	assert_int_equal(quiet_next_open(&cfg, 1000), 1000);
	cfg.campaigns.quiet_enabled = true;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window),
		cmocka_unit_test(test_winter_and_summer_offsets),
		cmocka_unit_test(test_dst_march),
		cmocka_unit_test(test_dst_october),
		cmocka_unit_test(test_disabled),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
