/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CLOCK_H
#define BUDBRINGER_CLOCK_H

/*
 * Time as the daemon needs it, in one place. Deadlines, timeouts and
 * durations use the monotonic clock (a wall-clock step by NTP must not
 * fire or stall them); stored and published times are unix seconds, shown
 * as UTC ISO 8601 ("2026-05-01T18:00:00Z").
 */

/* Bytes clock_iso_utc() needs, NUL included. */
#define CLOCK_ISO_LEN 32

long long clock_mono_ms(void);
long long clock_mono_us(void);

/* `t` (unix seconds) as "YYYY-MM-DDTHH:MM:SSZ"; "" if it cannot be shown. */
void clock_iso_utc(long long t, char out[CLOCK_ISO_LEN]);

#endif
