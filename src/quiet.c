/* SPDX-License-Identifier: MIT */
#include "budbringer/quiet.h"

#include <time.h>

bool quiet_window_contains(int start_min, int end_min, int m)
{
	if (start_min == end_min)
		return false;
	if (start_min < end_min)
		return m >= start_min && m < end_min;
	return m >= start_min || m < end_min;
}

static int local_minute(long long now)
{
	time_t t = (time_t)now;
	struct tm tm;
	localtime_r(&t, &tm);
	return tm.tm_hour * 60 + tm.tm_min;
}

bool quiet_now(const struct config *cfg, long long now)
{
	return cfg->campaigns.quiet_enabled &&
	       quiet_window_contains(cfg->campaigns.quiet_start_min, cfg->campaigns.quiet_end_min,
				     local_minute(now));
}

long long quiet_next_open(const struct config *cfg, long long now)
{
	/* Walk forward a minute at a time: at most a day, and correct across
	 * DST jumps where local minutes repeat or vanish. */
	long long t = now;
	for (int i = 0; i < 26 * 60 && quiet_now(cfg, t); i++)
		t = (t / 60 + 1) * 60;
	return t;
}
