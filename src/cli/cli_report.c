/* SPDX-License-Identifier: MIT */
/*
 * report: the evaluation figures for a period, as a table, CSV (one row
 * per group, one column per figure — what a spreadsheet pivots well) or
 * a self-contained HTML page with inline SVG charts.
 */
#include "cli.h"
#include "budbringer/cost.h"
#include "budbringer/report.h"
#include "budbringer/html.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPORT_USAGE \
	"usage: report --from YYYY-MM-DD --to YYYY-MM-DD [--csv] [--html FILE] [--json]"

static const char *const metric_titles[REPORT_METRICS] = { "active at start", "active at end",
	"sign-ups", "opt-outs", "messages sent", "delivered", "bounced", "complaints", "campaigns",
	"SMS cost" };

static const char *label(const struct report_row *x, char *buf, size_t n)
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

static double rate(const struct report_row *x)
{
	return x->v[REPORT_SENT] ? report_rate(x) : 0.0;
}

static void print_table(const struct report *r, const struct config *cfg)
{
	char buf[128];
	bool assoc_header = false;

	printf("Evaluation report %s \xe2\x80\x93 %s (%s)\n\n", r->from, r->to, cfg->timezone);
	printf("%-24s %8s %8s %8s %8s %9s %9s %6s %8s %7s\n", "", "start", "end", "sign-ups",
	       "opt-outs", "sent", "delivered", "rate", "bounced", "compl.");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = &r->rows[i];
		if (!strcmp(x->dim, "association")) {
			if (!assoc_header)
				printf("\n%-40s %9s %12s\n", "campaigns per association", "campaigns",
				       cfg->sms.currency);
			assoc_header = true;
			(void)cost_format(x->v[REPORT_COST], 2, '.', buf, sizeof(buf));
			printf("%-40.40s %9lld %12s\n", x->key, x->v[REPORT_CAMPAIGNS], buf);
			continue;
		}
		printf("%-24.24s %8lld %8lld %8lld %8lld %9lld %9lld", label(x, buf, sizeof(buf)),
		       x->v[REPORT_START], x->v[REPORT_END], x->v[REPORT_SIGNUPS], x->v[REPORT_OPTOUTS], x->v[REPORT_SENT],
		       x->v[REPORT_DELIVERED]);
		if (x->v[REPORT_SENT])
			printf(" %5.1f%%", 100.0 * rate(x));
		else
			printf(" %6s", "-");
		printf(" %8lld %7lld\n", x->v[REPORT_BOUNCED], x->v[REPORT_COMPLAINTS]);
	}
	if (!assoc_header)
		printf("\nno campaigns in this period\n");
	(void)cost_format(report_find(r, "total", "")->v[REPORT_COST], 2, '.', buf, sizeof(buf));
	printf("\nSMS cost of the period's campaign messages: %s %s\n", buf, cfg->sms.currency);
	printf("\nstart/end: people with consent on some channel; by channel a person counts once per "
	       "channel.\nsent: campaign messages accepted by the gateway or mail server; rate = "
	       "delivered / sent.\nbounced: refused for good by the receiving server (never delivered); "
	       "compl.: reported as spam by the recipient.\n");
}

static void print_csv(const struct report *r, const struct config *cfg)
{
	struct sbuf out = SBUF_INIT;

	report_csv(r, cfg->sms.currency, false, &out);
	fwrite(out.buf, 1, out.len, stdout);
	sbuf_release(&out);
}

static json_t *report_json(const struct report *r)
{
	json_t *rows = json_array();
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = &r->rows[i];
		json_t *o = json_pack("{s:s, s:s}", "dimension", x->dim, "key", x->key);
		for (int m = 0; m < REPORT_METRICS; m++)
			json_object_set_new(o, report_metric_codes[m], json_integer(x->v[m]));
		json_object_set_new(o, "delivery_rate", x->v[REPORT_SENT] ? json_real(rate(x)) : json_null());
		json_array_append_new(rows, o);
	}
	return json_pack("{s:s, s:s, s:o}", "from", r->from, "to", r->to, "rows", rows);
}

/* A column chart of metrics a and b for the rows of one dimension. */
static void chart(struct sbuf *h, const struct report *r, const char *dim, const char *title,
		  enum report_metric a, enum report_metric b)
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
	for (int m = 0; m < REPORT_CAMPAIGNS; m++)
		sbuf_addf(&h, "<th>%s</th>", metric_titles[m]);
	sbuf_addstr(&h, "<th>delivery rate</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = &r->rows[i];
		if (!strcmp(x->dim, "association"))
			continue;
		sbuf_addstr(&h, "<tr><td>");
		html_escape(&h, label(x, buf, sizeof(buf)));
		sbuf_addstr(&h, "</td>");
		for (int m = 0; m < REPORT_CAMPAIGNS; m++)
			sbuf_addf(&h, "<td>%lld</td>", x->v[m]);
		if (x->v[REPORT_SENT])
			sbuf_addf(&h, "<td>%.1f%%</td></tr>\n", 100.0 * rate(x));
		else
			sbuf_addstr(&h, "<td>\xe2\x80\x93</td></tr>\n");
	}
	sbuf_addstr(&h, "</tbody></table>\n");
	chart(&h, r, "band", "Subscribers by age band", REPORT_START, REPORT_END);
	chart(&h, r, "band", "Sign-ups and opt-outs by age band", REPORT_SIGNUPS, REPORT_OPTOUTS);
	chart(&h, r, "lang", "Subscribers by language", REPORT_START, REPORT_END);
	chart(&h, r, "band", "Campaign messages by age band", REPORT_SENT, REPORT_DELIVERED);
	chart(&h, r, "lang", "Campaign messages by language", REPORT_SENT, REPORT_DELIVERED);
	chart(&h, r, "channel", "Campaign messages by channel", REPORT_SENT, REPORT_DELIVERED);
	chart(&h, r, "association", "Campaigns per association", REPORT_CAMPAIGNS, REPORT_CAMPAIGNS);
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

int cli_cmd_report(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "csv", no_argument, NULL, 'c' }, { "html", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct report r = { .rows = NULL };
	struct sbuf err = SBUF_INIT;
	const char *from = NULL, *to = NULL, *html = NULL;
	bool csv = false;
	int o, ret;

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
	if ((ret = cli_open(c)))
		return ret;
	setenv("TZ", c->cfg.timezone, 1);
	tzset();
	if (report_period(from, to, &r, &err) < 0) {
		ret = cli_usage(c, "--%s", err.buf);
		sbuf_release(&err);
		return ret;
	}
	if (report_build(c->db, &c->cfg, &r) < 0) {
		report_release(&r);
		return 1;
	}
	ret = 0;
	if (html && write_html(&r, &c->cfg, html) < 0)
		ret = cli_fail(c, "cannot write '%s'", html);
	if (c->json) {
		json_t *j = report_json(&r);

		if (cli_report_links(c, r.t_from, r.t_to, j) < 0)
			ret = 1;
		cli_print_json(j);
	} else if (csv) {
		print_csv(&r, &c->cfg);
	} else if (!html) {
		print_table(&r, &c->cfg);
		if (cli_report_links(c, r.t_from, r.t_to, NULL) < 0)
			ret = 1;
	}
	else if (!ret)
		printf("wrote %s\n", html);
	report_release(&r);
	return ret;
}
