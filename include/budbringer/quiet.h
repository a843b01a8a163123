/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_QUIET_H
#define BUDBRINGER_QUIET_H

/*
 * Quiet hours: a daily window in local time (config `timezone`, by the
 * system's tz database) when campaign SMS wait. The window may wrap past
 * midnight (21:00–08:00). Local time comes from localtime_r() under the
 * process's TZ, which the daemon sets once at start-up, so DST changes
 * are handled by the tz database, not by us.
 */

#include <stdbool.h>

#include "budbringer/config.h"

/* True when minute-of-day `m` (0..1439) lies in [start, end), wrapping. */
bool quiet_window_contains(int start_min, int end_min, int m);

/* True when unix time `now` is inside cfg's quiet hours (false if none). */
bool quiet_now(const struct config *cfg, long long now);

/* The first unix time at or after `now` outside quiet hours, to the minute. */
long long quiet_next_open(const struct config *cfg, long long now);

#endif
