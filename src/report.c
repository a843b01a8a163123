/* SPDX-License-Identifier: MIT */
#include "budbringer/report.h"
#include "budbringer/cost.h"
#include "budbringer/db_report.h"
#include "budbringer/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const report_metric_codes[REPORT_METRICS] = { "active_start", "active_end",
	"signups", "optouts", "sent", "delivered", "bounced", "complaints", "campaigns", "cost_milli" };
/* The metric names db_report_each() gives. */
static const char *const cell_metrics[REPORT_METRICS] = { "active_start", "active_end",
	"signups", "optouts", "sent", "delivered", "bounced", "complaints", "campaigns", "cost" };

static struct report_row *row(struct report *r, const char *dim, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].dim, dim) && !strcmp(r->rows[i].key, key))
			return &r->rows[i];
	if (r->n == r->cap)
		r->rows = xrealloc(r->rows, (r->cap = r->cap * 2 + 32) * sizeof(*r->rows));
	memset(&r->rows[r->n], 0, sizeof(r->rows[0]));
	if (bsnprintf(r->rows[r->n].dim, sizeof(r->rows[0].dim), "%s", dim) < 0 ||
	    bsnprintf(r->rows[r->n].key, sizeof(r->rows[0].key), "%s", key) < 0)
		r->rows[r->n].key[0] = '\0';
	return &r->rows[r->n++];
}

const struct report_row *report_find(const struct report *r, const char *dim, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].dim, dim) && !strcmp(r->rows[i].key, key))
			return &r->rows[i];
	return NULL;
}

static int collect(const struct report_cell *c, void *arg)
{
	struct report *r = arg;

	for (int m = 0; m < REPORT_METRICS; m++)
		if (!strcmp(c->metric, cell_metrics[m]))
			row(r, c->dimension, c->key)->v[m] = c->n;
	return 0;
}

/* Rows in reading order; bands and channels always appear. */
static void order_rows(struct report *r, const struct config *cfg)
{
	static const char *const bands[] = { "under15", "15-25", "26+", "unknown", NULL };
	static const char *const channels[] = { "sms", "email", NULL };
	struct report_row *sorted;
	size_t n = 0;

	row(r, "total", "");
	for (size_t i = 0; bands[i]; i++)
		row(r, "band", bands[i]);
	for (size_t i = 0; channels[i]; i++)
		row(r, "channel", channels[i]);
	sorted = xcalloc(r->n + 1, sizeof(*sorted));
	sorted[n++] = *row(r, "total", "");
	for (size_t i = 0; bands[i]; i++)
		sorted[n++] = *row(r, "band", bands[i]);
	for (char *const *l = cfg->languages; *l; l++)
		for (size_t i = 0; i < r->n; i++)
			if (!strcmp(r->rows[i].dim, "lang") && !strcmp(r->rows[i].key, *l))
				sorted[n++] = r->rows[i];
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].dim, "lang") && !cfg_has_language(cfg, r->rows[i].key))
			sorted[n++] = r->rows[i];
	for (size_t i = 0; channels[i]; i++)
		sorted[n++] = *row(r, "channel", channels[i]);
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].dim, "association"))
			sorted[n++] = r->rows[i];
	free(r->rows);
	r->rows = sorted;
	r->n = n;
	r->cap = n + 1;
}

static int parse_day(const char *s, struct tm *tm)
{
	const char *end;

	memset(tm, 0, sizeof(*tm));
	if (!s || strlen(s) != 10)
		return -1;
	end = strptime(s, "%Y-%m-%d", tm);
	return end && !*end && tm->tm_year >= 70 && tm->tm_year < 1100 ? 0 : -1;
}

/* strptime takes 2026-02-31; a real date survives the trip through mktime. */
static int day_start(const char *s, long long *out, int *year)
{
	struct tm tm, back;
	time_t t;

	if (parse_day(s, &tm) < 0)
		return -1;
	back = tm;
	tm.tm_isdst = -1;
	if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_mday != back.tm_mday ||
	    tm.tm_mon != back.tm_mon)
		return -1;
	*out = (long long)t;
	if (year)
		*year = tm.tm_year + 1900;
	return 0;
}

int report_period(const char *from, const char *to, struct report *r, struct sbuf *err)
{
	struct tm tt;
	long long t_to_day;

	if (!from || !*from)
		return sbuf_fail(err, "from: missing (a date like 2026-01-31)");
	if (!to || !*to)
		return sbuf_fail(err, "to: missing (a date like 2026-12-31)");
	if (day_start(from, &r->t_from, NULL) < 0)
		return sbuf_fail(err, "from: '%.20s' is not a date like 2026-01-31", from);
	if (day_start(to, &t_to_day, NULL) < 0)
		return sbuf_fail(err, "to: '%.20s' is not a date like 2026-12-31", to);
	if (t_to_day < r->t_from)
		return sbuf_fail(err, "to: %s is before from %s", to, from);
	/* The end of the day `to`, local time (a DST day has 23 or 25 hours). */
	(void)parse_day(to, &tt);
	tt.tm_mday += 1;
	tt.tm_isdst = -1;
	r->t_to = (long long)mktime(&tt);
	(void)bsnprintf(r->from, sizeof(r->from), "%s", from);
	(void)bsnprintf(r->to, sizeof(r->to), "%s", to);
	return 0;
}

int report_previous(const struct report *r, char from[11], char to[11])
{
	struct tm a, b;
	int days;

	if (parse_day(r->from, &a) < 0 || parse_day(r->to, &b) < 0)
		return -1;
	a.tm_hour = b.tm_hour = 12; /* away from DST edges */
	a.tm_isdst = b.tm_isdst = -1;
	days = (int)((mktime(&b) - mktime(&a) + 43200) / 86400) + 1;
	b = a;
	b.tm_mday -= 1;
	a.tm_mday -= days;
	if (mktime(&a) == (time_t)-1 || mktime(&b) == (time_t)-1 ||
	    !strftime(from, 11, "%Y-%m-%d", &a) || !strftime(to, 11, "%Y-%m-%d", &b))
		return -1;
	return 0;
}

int report_build(struct db *db, const struct config *cfg, struct report *r)
{
	time_t tf = (time_t)r->t_from, tt = (time_t)(r->t_to - 1);
	struct tm a, b;

	localtime_r(&tf, &a);
	localtime_r(&tt, &b);
	if (db_report_each(db, r->t_from, r->t_to, a.tm_year + 1900, b.tm_year + 1900, collect, r) < 0)
		return -1;
	order_rows(r, cfg);
	return 0;
}

void report_release(struct report *r)
{
	free(r->rows);
	r->rows = NULL;
	r->n = r->cap = 0;
}

double report_rate(const struct report_row *x)
{
	return x->v[REPORT_SENT] ? (double)x->v[REPORT_DELIVERED] / (double)x->v[REPORT_SENT] : -1.0;
}

static void csv_field(struct sbuf *out, const char *s, char sep)
{
	if (strchr(s, sep) || strpbrk(s, "\"\r\n")) {
		sbuf_addch(out, '"');
		for (; *s; s++) {
			if (*s == '"')
				sbuf_addch(out, '"');
			sbuf_addch(out, *s);
		}
		sbuf_addch(out, '"');
	} else {
		sbuf_addstr(out, s);
	}
}

void report_csv(const struct report *r, const char *currency, bool excel, struct sbuf *out)
{
	char sep = excel ? ';' : ',', point = excel ? ',' : '.', buf[48];
	const char *eol = excel ? "\r\n" : "\n";

	if (excel)
		sbuf_addstr(out, "\xef\xbb\xbf");
	sbuf_addf(out, "from%cto%cdimension%ckey", sep, sep, sep);
	for (int m = 0; m < REPORT_COST; m++)
		sbuf_addf(out, "%c%s", sep, report_metric_codes[m]);
	sbuf_addf(out, "%cdelivery_rate%csms_cost_%s%s", sep, sep, currency, eol);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = &r->rows[i];
		double rate = report_rate(x);

		sbuf_addf(out, "%s%c%s%c%s%c", r->from, sep, r->to, sep, x->dim, sep);
		csv_field(out, x->key, sep);
		for (int m = 0; m < REPORT_COST; m++)
			sbuf_addf(out, "%c%lld", sep, x->v[m]);
		sbuf_addch(out, sep);
		if (rate >= 0 && bsnprintf(buf, sizeof(buf), "%.4f", rate) == 0) {
			char *dot = strchr(buf, '.');

			if (dot)
				*dot = point;
			sbuf_addstr(out, buf);
		}
		(void)cost_format(x->v[REPORT_COST], 2, point, buf, sizeof(buf));
		sbuf_addf(out, "%c%s%s", sep, buf, eol);
	}
}
