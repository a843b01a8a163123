/* SPDX-License-Identifier: MIT */
#include "budbringer/clock.h"

#include <time.h>

static long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

long long clock_mono_ms(void)
{
	return mono_ns() / 1000000;
}

long long clock_mono_us(void)
{
	return mono_ns() / 1000;
}

void clock_iso_utc(long long t, char out[CLOCK_ISO_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, CLOCK_ISO_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}
