/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_REPORT_H
#define BUDBRINGER_DB_REPORT_H

/*
 * The evaluation figures the volunteering policy asks for, per period:
 * subscribers (active at start and end, sign-ups, opt-outs) and campaign
 * messages (sent, delivered, bounced, complaints), each by age band,
 * language and channel, and campaigns per association; the SMS cost of
 * the period's campaign messages (metric "cost", thousandths, cost.h) by
 * the same dimensions and by association. Erased people count through their
 * anonymous erased_subscribers row.
 *
 * Age bands: age is the year of the moment in question minus the birth
 * year (only the year is known), so someone born in 2011 is 15 all of
 * 2026: under 15 = age <= 14, 15-25 = 15..25, 26+ = age >= 26, unknown =
 * no birth year.
 */

#include "budbringer/db.h"

enum age_band { BAND_UNDER15, BAND_15_25, BAND_26PLUS, BAND_UNKNOWN, BAND_COUNT };

/* The band of someone born in birth_year (0 = unknown) during `year`. */
enum age_band report_age_band(int birth_year, int year);
/* "under15", "15-25", "26+", "unknown". */
const char *report_band_code(enum age_band b);

/* One counted group: what (e.g. "active_start"), the dimension ("band",
 * "lang", "channel", "association", "total"), its key and the count. */
struct report_cell {
	const char *metric, *dimension, *key;
	long long n;
};

/*
 * Walks every figure of the period [from, to) (unix seconds). start_year
 * and end_year are the calendar years of from and to, for age bands.
 */
int db_report_each(struct db *db, long long from, long long to, int start_year, int end_year,
		   int (*cb)(const struct report_cell *, void *), void *arg);

#endif
