/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_REPORT_H
#define BUDBRINGER_REPORT_H

/*
 * The evaluation report's figures for a period, gathered once for every
 * way of showing them: `budbringer report` (table, CSV, JSON, HTML) and
 * the dashboard's /dashboard/report (tables, charts, the Excel CSV) read
 * the same struct report, built here from db_report_each(). Rows come in
 * reading order: the total, the four age bands, the languages (the
 * config's order first), the channels, then the associations.
 */

#include <stdbool.h>

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sbuf.h"

enum report_metric {
	REPORT_START, REPORT_END, REPORT_SIGNUPS, REPORT_OPTOUTS, REPORT_SENT, REPORT_DELIVERED,
	REPORT_BOUNCED, REPORT_COMPLAINTS, REPORT_CAMPAIGNS, REPORT_COST, REPORT_METRICS
};
/* "active_start", …, "bounced", "complaints", "campaigns", "cost_milli":
 * the CSV and JSON names. */
extern const char *const report_metric_codes[REPORT_METRICS];

struct report_row {
	char dim[16];      /* total, band, lang, channel, association */
	char key[96];      /* "" for the total; band codes as db_report.h */
	long long v[REPORT_METRICS];
};

struct report {
	struct report_row *rows;
	size_t n, cap;
	char from[11], to[11];     /* the days asked for, YYYY-MM-DD */
	long long t_from, t_to;    /* [t_from, t_to): local midnights */
};

/*
 * Reads "YYYY-MM-DD" from and to (whole days in the process's time
 * zone, to included) into r's period. -1 with err naming the parameter
 * ("from: …", "to: …") when a date is malformed or to is before from.
 */
int report_period(const char *from, const char *to, struct report *r, struct sbuf *err);

/* The period of the same number of days that ends the day before from. */
int report_previous(const struct report *r, char from[11], char to[11]);

/* Gathers the figures of r's period (set by report_period()). 0 or -1. */
int report_build(struct db *db, const struct config *cfg, struct report *r);

void report_release(struct report *r);

/* The row of dim and key, or NULL. */
const struct report_row *report_find(const struct report *r, const char *dim, const char *key);

/* delivered / sent; negative when nothing was sent. */
double report_rate(const struct report_row *x);

/*
 * The report as CSV, one row per group, one column per figure. excel:
 * as Danish Excel opens it with a double click — UTF-8 byte order mark,
 * ';' between fields, decimal comma, CRLF; else RFC 4180 with ',' and
 * a decimal point (the CLI's --csv).
 */
void report_csv(const struct report *r, const char *currency, bool excel, struct sbuf *out);

#endif
