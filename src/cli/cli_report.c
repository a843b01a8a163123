/* SPDX-License-Identifier: MIT */
/*
 * report: the evaluation figures for a period, as a table, CSV (one row
 * per group, one column per figure — what a spreadsheet pivots well) or
 * a self-contained HTML page with inline SVG charts.
 */
#include "cli.h"
#include "budbringer/db_report.h"
#include "budbringer/html.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_USAGE \
	"usage: report --from YYYY-MM-DD --to YYYY-MM-DD [--csv] [--html FILE] [--json]"

enum metric { M_START, M_END, M_SIGNUPS, M_OPTOUTS, M_SENT, M_DELIVERED, M_BOUNCED, M_COMPLAINTS,
	M_CAMPAIGNS, N_METRICS };
static const char *const metric_codes[N_METRICS] = { "active_start", "active_end", "signups",
	"optouts", "sent", "delivered", "bounced", "complaints", "campaigns" };
static const char *const metric_titles[N_METRICS] = { "active at start", "active at end",
	"sign-ups", "opt-outs", "messages sent", "delivered", "bounced", "complaints", "campaigns" };

struct rrow {
	char dim[16], key[96];
	long long v[N_METRICS];
};

struct report {
	struct rrow *rows;
	size_t n, cap;
	char from[11], to[11];
};

static struct rrow *find_row(struct report *r, const char *dim, const char *key)
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

static int collect(const struct report_cell *c, void *arg)
{
	struct report *r = arg;
	for (int m = 0; m < N_METRICS; m++)
		if (!strcmp(c->metric, metric_codes[m]))
			find_row(r, c->dimension, c->key)->v[m] = c->n;
	return 0;
}

/* Rows in reading order: total, bands, languages (configured order
 * first), channels, associations. Bands and channels always appear. */
static void order_rows(struct report *r, const struct config *cfg)
{
	static const char *const bands[] = { "under15", "15-25", "26+", "unknown", NULL };
	static const char *const channels[] = { "sms", "email", NULL };
	struct rrow *sorted, *x;
	size_t n = 0;

	find_row(r, "total", "");
	for (size_t i = 0; bands[i]; i++)
		find_row(r, "band", bands[i]);
	for (size_t i = 0; channels[i]; i++)
		find_row(r, "channel", channels[i]);
	sorted = xcalloc(r->n + 1, sizeof(*sorted));
	sorted[n++] = *find_row(r, "total", "");
	for (size_t i = 0; bands[i]; i++)
		sorted[n++] = *find_row(r, "band", bands[i]);
	for (char *const *l = cfg->languages; *l; l++)
		for (size_t i = 0; i < r->n; i++)
			if (!strcmp(r->rows[i].dim, "lang") && !strcmp(r->rows[i].key, *l))
				sorted[n++] = r->rows[i];
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->rows[i].dim, "lang") && !cfg_has_language(cfg, r->rows[i].key))
			sorted[n++] = r->rows[i];
	for (size_t i = 0; channels[i]; i++)
		sorted[n++] = *find_row(r, "channel", channels[i]);
	for (size_t i = 0; i < r->n; i++) {
		x = &r->rows[i];
		if (!strcmp(x->dim, "association"))
			sorted[n++] = *x;
	}
	free(r->rows);
	r->rows = sorted;
	r->n = n;
	r->cap = n + 1;
}

static const char *label(const struct rrow *x, char *buf, size_t n)
{
	const char *k = x->key;
	if (!strcmp(x->dim, "total"))
		return "all";
	if (!strcmp(x->dim, "band"))
		k = !strcmp(k, "under15") ? "age under 15" : !strcmp(k, "15-25") ? "age 15-25"
		    : !strcmp(k, "26+") ? "age 26+" : "age unknown";
	else if (!strcmp(x->dim, "lang") || !strcmp(x->dim, "channel"))
		return bsnprintf(buf, n, "%s %s", !strcmp(x->dim, "lang") ? "language" : "channel", k) < 0
			? k : buf;
	return k;
}

static double rate(const struct rrow *x)
{
	return x->v[M_SENT] ? (double)x->v[M_DELIVERED] / (double)x->v[M_SENT] : 0.0;
}

static void print_table(const struct report *r, const struct config *cfg)
{
	char buf[128];
	bool assoc_header = false;

	printf("Evaluation report %s \xe2\x80\x93 %s (%s)\n\n", r->from, r->to, cfg->timezone);
	printf("%-24s %8s %8s %8s %8s %9s %9s %6s %8s %7s\n", "", "start", "end", "sign-ups",
	       "opt-outs", "sent", "delivered", "rate", "bounced", "compl.");
	for (size_t i = 0; i < r->n; i++) {
		const struct rrow *x = &r->rows[i];
		if (!strcmp(x->dim, "association")) {
			if (!assoc_header)
				printf("\n%-40s %9s\n", "campaigns per association", "campaigns");
			assoc_header = true;
			printf("%-40.40s %9lld\n", x->key, x->v[M_CAMPAIGNS]);
			continue;
		}
		printf("%-24.24s %8lld %8lld %8lld %8lld %9lld %9lld", label(x, buf, sizeof(buf)),
		       x->v[M_START], x->v[M_END], x->v[M_SIGNUPS], x->v[M_OPTOUTS], x->v[M_SENT],
		       x->v[M_DELIVERED]);
		if (x->v[M_SENT])
			printf(" %5.1f%%", 100.0 * rate(x));
		else
			printf(" %6s", "-");
		printf(" %8lld %7lld\n", x->v[M_BOUNCED], x->v[M_COMPLAINTS]);
	}
	if (!assoc_header)
		printf("\nno campaigns in this period\n");
	printf("\nstart/end: people with consent on some channel; by channel a person counts once per "
	       "channel.\nsent: campaign messages accepted by the gateway or mail server; rate = "
	       "delivered / sent.\nbounced: refused for good by the receiving server (never delivered); "
	       "compl.: reported as spam by the recipient.\n");
}

static void csv_field(const char *s)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
}

static void print_csv(const struct report *r)
{
	printf("from,to,dimension,key");
	for (int m = 0; m < N_METRICS; m++)
		printf(",%s", metric_codes[m]);
	printf(",delivery_rate\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct rrow *x = &r->rows[i];
		printf("%s,%s,%s,", r->from, r->to, x->dim);
		csv_field(x->key);
		for (int m = 0; m < N_METRICS; m++)
			printf(",%lld", x->v[m]);
		if (x->v[M_SENT])
			printf(",%.4f\n", rate(x));
		else
			printf(",\n");
	}
}

static json_t *report_json(const struct report *r)
{
	json_t *rows = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct rrow *x = &r->rows[i];
		json_t *o = json_pack("{s:s, s:s}", "dimension", x->dim, "key", x->key);
		for (int m = 0; m < N_METRICS; m++)
			json_object_set_new(o, metric_codes[m], json_integer(x->v[m]));
		json_object_set_new(o, "delivery_rate", x->v[M_SENT] ? json_real(rate(x)) : json_null());
		json_array_append_new(rows, o);
	}
	return json_pack("{s:s, s:s, s:o}", "from", r->from, "to", r->to, "rows", rows);
}

/* A column chart of metrics a and b for the rows of one dimension. */
static void chart(struct sbuf *h, const struct report *r, const char *dim, const char *title,
		  enum metric a, enum metric b)
{
	const char *labels[64];
	long long va[64], vb[64];
	char bufs[64][64];
	size_t n = 0;
	struct chart_series s[2] = {
		{ metric_titles[a], "#2b6cb0", va }, { metric_titles[b], "#dd6b20", vb },
	};

	for (size_t i = 0; i < r->n && n < 64; i++) {
		if (strcmp(r->rows[i].dim, dim))
			continue;
		labels[n] = label(&r->rows[i], bufs[n], sizeof(bufs[n]));
		if (!strncmp(labels[n], "age ", 4) || !strncmp(labels[n], "language ", 9))
			labels[n] = strchr(labels[n], ' ') + 1;
		va[n] = r->rows[i].v[a];
		vb[n] = r->rows[i].v[b];
		n++;
	}
	sbuf_addstr(h, "<section><h2>");
	html_escape(h, title);
	sbuf_addstr(h, "</h2>");
	svg_columns(h, title, labels, n, s, a == b ? 1 : 2, n > 6 ? 720 : 520, 260);
	sbuf_addstr(h, "</section>\n");
}

static int write_html(const struct report *r, const struct config *cfg, const char *path)
{
	struct sbuf h = SBUF_INIT;
	char buf[128];
	FILE *f;
	int ret = 0;

	sbuf_addstr(&h, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		    "<title>Budbringer evaluation ");
	sbuf_addf(&h, "%s \xe2\x80\x93 %s</title><style>"
		  "body{font-family:sans-serif;max-width:60em;margin:1em auto;padding:0 1em;color:#222}"
		  "table{border-collapse:collapse;width:100%%;font-size:.9em}"
		  "th,td{padding:.25em .5em;border-bottom:1px solid #ddd;text-align:right}"
		  "th:first-child,td:first-child{text-align:left}"
		  "section{margin:1.5em 0}section svg{max-width:44em}h2{font-size:1.1em}"
		  ".note{color:#555;font-size:.85em}"
		  "</style></head><body>\n", r->from, r->to);
	sbuf_addf(&h, "<h1>Evaluation report %s \xe2\x80\x93 %s</h1>\n", r->from, r->to);
	sbuf_addstr(&h, "<p class=\"note\">Time zone ");
	html_escape(&h, cfg->timezone);
	sbuf_addstr(&h, ". Reach among young people (15\xe2\x80\x93" "25) and by language, as the "
		    "volunteering policy asks.</p>\n<table><thead><tr><th></th>");
	for (int m = 0; m < M_CAMPAIGNS; m++)
		sbuf_addf(&h, "<th>%s</th>", metric_titles[m]);
	sbuf_addstr(&h, "<th>delivery rate</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct rrow *x = &r->rows[i];
		if (!strcmp(x->dim, "association"))
			continue;
		sbuf_addstr(&h, "<tr><td>");
		html_escape(&h, label(x, buf, sizeof(buf)));
		sbuf_addstr(&h, "</td>");
		for (int m = 0; m < M_CAMPAIGNS; m++)
			sbuf_addf(&h, "<td>%lld</td>", x->v[m]);
		if (x->v[M_SENT])
			sbuf_addf(&h, "<td>%.1f%%</td></tr>\n", 100.0 * rate(x));
		else
			sbuf_addstr(&h, "<td>\xe2\x80\x93</td></tr>\n");
	}
	sbuf_addstr(&h, "</tbody></table>\n");
	chart(&h, r, "band", "Subscribers by age band", M_START, M_END);
	chart(&h, r, "band", "Sign-ups and opt-outs by age band", M_SIGNUPS, M_OPTOUTS);
	chart(&h, r, "lang", "Subscribers by language", M_START, M_END);
	chart(&h, r, "band", "Campaign messages by age band", M_SENT, M_DELIVERED);
	chart(&h, r, "lang", "Campaign messages by language", M_SENT, M_DELIVERED);
	chart(&h, r, "channel", "Campaign messages by channel", M_SENT, M_DELIVERED);
	chart(&h, r, "association", "Campaigns per association", M_CAMPAIGNS, M_CAMPAIGNS);
	sbuf_addstr(&h, "<p class=\"note\">Active: consent on at least one channel. Sent: accepted by "
		    "the SMS gateway or mail server. Age is the year minus the birth year. People who "
		    "asked to be erased count anonymously.</p>\n</body></html>\n");
	f = fopen(path, "w");
	if (!f || fwrite(h.buf, 1, h.len, f) != h.len)
		ret = -1;
	if (f && fclose(f) != 0)
		ret = -1;
	sbuf_release(&h);
	return ret;
}

static int parse_day(const char *s, struct tm *tm)
{
	const char *end;
	memset(tm, 0, sizeof(*tm));
	end = strptime(s, "%Y-%m-%d", tm);
	return end && !*end && strlen(s) == 10 ? 0 : -1;
}

int cli_cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "csv", no_argument, NULL, 'c' }, { "html", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { .rows = NULL };
	const char *from = NULL, *to = NULL, *html = NULL;
	struct tm tf, tt;
	long long t_from, t_to;
	bool csv = false;
	int o, ret, end_year;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'f': from = optarg; break;
		case 't': to = optarg; break;
		case 'c': csv = true; break;
		case 'h': html = optarg; break;
		default: return cli_usage(c, REPORT_USAGE);
		}
	}
	if (optind != argc || !from || !to)
		return cli_usage(c, REPORT_USAGE);
	if (parse_day(from, &tf) < 0 || parse_day(to, &tt) < 0)
		return cli_usage(c, "--from and --to must be dates like 2026-01-31");
	if ((ret = cli_open(c)))
		return ret;
	setenv("TZ", c->cfg.timezone, 1);
	tzset();
	/* From the start of --from to the end of --to, local time. */
	tf.tm_isdst = tt.tm_isdst = -1;
	end_year = tt.tm_year + 1900;
	tt.tm_mday += 1;
	t_from = (long long)mktime(&tf);
	t_to = (long long)mktime(&tt);
	if (t_from >= t_to)
		return cli_usage(c, "--to must not be before --from");
	(void)bsnprintf(r.from, sizeof(r.from), "%s", from);
	(void)bsnprintf(r.to, sizeof(r.to), "%s", to);
	if (db_report_each(c->db, t_from, t_to, tf.tm_year + 1900, end_year, collect, &r) < 0) {
		free(r.rows);
		return 1;
	}
	order_rows(&r, &c->cfg);
	ret = 0;
	if (html && write_html(&r, &c->cfg, html) < 0)
		ret = cli_fail(c, "cannot write '%s'", html);
	if (c->json)
		cli_print_json(report_json(&r));
	else if (csv)
		print_csv(&r);
	else if (!html)
		print_table(&r, &c->cfg);
	else if (!ret)
		printf("wrote %s\n", html);
	free(r.rows);
	return ret;
}
