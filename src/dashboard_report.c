/* SPDX-License-Identifier: MIT */
/*
 * The evaluation report as a page (/dashboard/report): the figures of
 * `budbringer report` (report.c, the same struct for both) for a chosen
 * period next to the period before — reach of 15–25-year-olds and of each
 * language, sign-ups, opt-outs, delivery rate, campaigns and SMS cost per
 * association — as tables and server-drawn SVG column charts. The
 * stylesheet's print rules lay it out on A4 for the city council.
 */
#include "budbringer/cost.h"
#include "budbringer/dashboard.h"
#include "budbringer/html.h"
#include "budbringer/report.h"

#include <string.h>

#define MAX_BARS 32

struct rep_ui {
	const char *title, *period, *from, *to, *show, *csv, *print_note, *reach, *reach_note,
		*this_period, *previous, *change, *group, *figures, *rate, *signups_chart,
		*messages_chart, *assoc, *campaigns, *cost, *no_assoc, *notes, *all, *lang_prefix;
	const char *metrics[REPORT_METRICS];
	const char *bands[4];
	const char *channels[2];
};

static const struct rep_ui rep_da = {
	.title = "Evalueringsrapport", .period = "Periode", .from = "Fra", .to = "Til",
	.show = "Vis", .csv = "Hent som CSV (Excel)",
	.print_note = "Udskriv siden fra browseren: den er sat op til A4.",
	.reach = "R\xc3\xa6kkevidde: aktive ved periodens slutning",
	.reach_note = "Unge 15\xe2\x80\x93" "25 \xc3\xa5r og hvert sprog, mod perioden f\xc3\xb8r.",
	.this_period = "Denne periode", .previous = "Perioden f\xc3\xb8r", .change = "\xc3\x86ndring",
	.group = "Gruppe", .figures = "Tal for perioden", .rate = "Leveringsrate",
	.signups_chart = "Tilmeldinger og afmeldinger efter alder",
	.messages_chart = "Kampagnebeskeder efter sprog",
	.assoc = "Pr. forening", .campaigns = "Kampagner", .cost = "SMS-pris",
	.no_assoc = "Ingen kampagner i perioden.",
	.notes = "Aktiv: samtykke p\xc3\xa5 mindst \xc3\xa9n kanal. Sendt: modtaget af SMS-gatewayen "
		"eller mailserveren. Alder er \xc3\xa5ret minus f\xc3\xb8" "dsels\xc3\xa5ret. Slettede "
		"personer t\xc3\xa6ller med anonymt.",
	.all = "alle", .lang_prefix = "sprog",
	.metrics = { "aktive ved start", "aktive ved slut", "tilmeldinger", "afmeldinger", "sendt",
		"leveret", "kampagner", "SMS-pris" },
	.bands = { "under 15", "15\xe2\x80\x93" "25", "26+", "ukendt alder" },
	.channels = { "SMS", "e-mail" },
};

static const struct rep_ui rep_en = {
	.title = "Evaluation report", .period = "Period", .from = "From", .to = "To",
	.show = "Show", .csv = "Download as CSV (Excel)",
	.print_note = "Print the page from the browser: it is laid out for A4.",
	.reach = "Reach: active at the end of the period",
	.reach_note = "Young people 15\xe2\x80\x93" "25 and each language, against the period before.",
	.this_period = "This period", .previous = "Period before", .change = "Change",
	.group = "Group", .figures = "Figures for the period", .rate = "Delivery rate",
	.signups_chart = "Sign-ups and opt-outs by age",
	.messages_chart = "Campaign messages by language",
	.assoc = "By association", .campaigns = "Campaigns", .cost = "SMS cost",
	.no_assoc = "No campaigns in the period.",
	.notes = "Active: consent on at least one channel. Sent: accepted by the SMS gateway or the "
		"mail server. Age is the year minus the birth year. Erased people count anonymously.",
	.all = "all", .lang_prefix = "language",
	.metrics = { "active at start", "active at end", "sign-ups", "opt-outs", "sent",
		"delivered", "campaigns", "SMS cost" },
	.bands = { "under 15", "15\xe2\x80\x93" "25", "26+", "age unknown" },
	.channels = { "SMS", "email" },
};

static const char *const band_codes[4] = { "under15", "15-25", "26+", "unknown" };

static const struct rep_ui *rep_ui(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &rep_en : &rep_da;
}

/* A row's name in the UI language (languages as their code, marked up
 * with lang= by the caller). */
static const char *row_name(const struct rep_ui *u, const struct report_row *x)
{
	if (!strcmp(x->dim, "total"))
		return u->all;
	if (!strcmp(x->dim, "band"))
		for (int i = 0; i < 4; i++)
			if (!strcmp(x->key, band_codes[i]))
				return u->bands[i];
	if (!strcmp(x->dim, "channel"))
		return !strcmp(x->key, "sms") ? u->channels[0] : u->channels[1];
	return x->key;
}

static void rate_cell(struct sbuf *out, const struct report_row *x, char point)
{
	double r = report_rate(x);
	char buf[16];

	if (r < 0) {
		sbuf_addstr(out, "<td class=\"num\">\xe2\x80\x93</td>");
		return;
	}
	(void)bsnprintf(buf, sizeof(buf), "%.1f", 100.0 * r);
	if (strchr(buf, '.'))
		*strchr(buf, '.') = point;
	sbuf_addf(out, "<td class=\"num\">%s\xc2\xa0%%</td>", buf);
}

static void period_form(struct sbuf *out, const struct rep_ui *u, const char *from, const char *to)
{
	sbuf_addf(out, "<form method=\"get\" action=\"/dashboard/report\" class=\"filters noprint\">"
		  "<div class=\"field\"><label for=\"from\">%s</label><input type=\"date\" id=\"from\" "
		  "name=\"from\" required value=\"", u->from);
	html_escape(out, from);
	sbuf_addf(out, "\"></div><div class=\"field\"><label for=\"to\">%s</label><input type=\"date\" "
		  "id=\"to\" name=\"to\" required value=\"", u->to);
	html_escape(out, to);
	sbuf_addf(out, "\"></div><div class=\"buttons\"><button type=\"submit\" id=\"show\">%s</button>"
		  "</div></form><p class=\"noprint\"><a id=\"csv\" download href=\"/dashboard/report.csv"
		  "?from=%s&amp;to=%s\">%s</a> \xc2\xb7 <small>%s</small></p>", u->show, from, to, u->csv,
		  u->print_note);
}

/* Active at the end, this period against the one before, for 15–25 and
 * each language: a table and its chart. */
static void reach(struct sbuf *out, const struct rep_ui *u, const struct report *r,
		  const struct report *prev)
{
	const char *labels[MAX_BARS];
	long long now_v[MAX_BARS], prev_v[MAX_BARS];
	struct chart_series s[2] = { { u->this_period, "#2b6cb0", now_v },
				     { u->previous, "#a0aec0", prev_v } };
	size_t n = 0;

	sbuf_addf(out, "<section id=\"reach\"><h2>%s</h2><p>%s</p><div class=\"scroll\"><table>"
		  "<thead><tr><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s<br><small>"
		  "%s\xe2\x80\x93%s</small></th><th scope=\"col\" class=\"num\">%s<br><small>%s\xe2\x80\x93%s"
		  "</small></th><th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>", u->reach,
		  u->reach_note, u->group, u->this_period, r->from, r->to, u->previous, prev->from,
		  prev->to, u->change);
	for (size_t i = 0; i < r->n && n < MAX_BARS; i++) {
		const struct report_row *x = &r->rows[i], *p;
		bool lang = !strcmp(x->dim, "lang");

		if (!lang && !(!strcmp(x->dim, "band") && !strcmp(x->key, "15-25")))
			continue;
		p = report_find(prev, x->dim, x->key);
		labels[n] = row_name(u, x);
		now_v[n] = x->v[REPORT_END];
		prev_v[n] = p ? p->v[REPORT_END] : 0;
		sbuf_addf(out, "<tr data-reach=\"%s:", x->dim);
		html_escape(out, x->key);
		sbuf_addstr(out, "\"><th scope=\"row\"");
		if (lang) {
			sbuf_addf(out, "><span class=\"sr\">%s </span><span lang=\"", u->lang_prefix);
			html_escape(out, x->key);
			sbuf_addstr(out, "\">");
			html_escape(out, x->key);
			sbuf_addstr(out, "</span>");
		} else {
			sbuf_addch(out, '>');
			html_escape(out, labels[n]);
		}
		sbuf_addf(out, "</th><td class=\"num now\">%lld</td><td class=\"num prev\">%lld</td>"
			  "<td class=\"num\">%+lld</td></tr>\n", now_v[n], prev_v[n], now_v[n] - prev_v[n]);
		n++;
	}
	sbuf_addstr(out, "</tbody></table></div>");
	svg_columns(out, u->reach, labels, n, s, 2, n > 6 ? 720 : 520, 260);
	sbuf_addstr(out, "</section>\n");
}

static void figures(struct sbuf *out, const struct rep_ui *u, const struct report *r, char point)
{
	sbuf_addf(out, "<section id=\"figures\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th>", u->figures, u->group);
	for (int m = 0; m < REPORT_CAMPAIGNS; m++)
		sbuf_addf(out, "<th scope=\"col\" class=\"num\">%s</th>", u->metrics[m]);
	sbuf_addf(out, "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>", u->rate);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = &r->rows[i];

		if (!strcmp(x->dim, "association"))
			continue;
		sbuf_addf(out, "<tr data-row=\"%s:", x->dim);
		html_escape(out, x->key);
		sbuf_addstr(out, "\"><th scope=\"row\">");
		if (!strcmp(x->dim, "lang")) {
			sbuf_addf(out, "%s <span lang=\"", u->lang_prefix);
			html_escape(out, x->key);
			sbuf_addstr(out, "\">");
			html_escape(out, x->key);
			sbuf_addstr(out, "</span>");
		} else {
			html_escape(out, row_name(u, x));
		}
		sbuf_addstr(out, "</th>");
		for (int m = 0; m < REPORT_CAMPAIGNS; m++)
			sbuf_addf(out, "<td class=\"num r-%s\">%lld</td>", report_metric_codes[m], x->v[m]);
		rate_cell(out, x, point);
		sbuf_addstr(out, "</tr>\n");
	}
	sbuf_addstr(out, "</tbody></table></div></section>\n");
}

/* Columns of two metrics for the rows of one dimension. */
static void chart(struct sbuf *out, const struct rep_ui *u, const struct report *r, const char *id,
		  const char *dim, const char *title, enum report_metric a, enum report_metric b)
{
	const char *labels[MAX_BARS];
	long long va[MAX_BARS], vb[MAX_BARS];
	struct chart_series s[2] = { { u->metrics[a], "#2b6cb0", va }, { u->metrics[b], "#dd6b20", vb } };
	size_t n = 0;

	for (size_t i = 0; i < r->n && n < MAX_BARS; i++) {
		if (strcmp(r->rows[i].dim, dim))
			continue;
		labels[n] = row_name(u, &r->rows[i]);
		va[n] = r->rows[i].v[a];
		vb[n] = r->rows[i].v[b];
		n++;
	}
	sbuf_addf(out, "<section id=\"%s\" class=\"chart\"><h2>%s</h2>", id, title);
	svg_columns(out, title, labels, n, s, 2, n > 6 ? 720 : 520, 240);
	sbuf_addstr(out, "</section>\n");
}

static void associations(struct sbuf *out, const struct rep_ui *u, const struct report *r,
			 const char *currency, char point)
{
	int n = 0;

	sbuf_addf(out, "<section id=\"associations\"><h2>%s</h2><div class=\"scroll\"><table><thead>"
		  "<tr><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		  "<th scope=\"col\" class=\"num\">%s (%s)</th></tr></thead><tbody>", u->assoc, u->group,
		  u->campaigns, u->cost, currency);
	for (size_t i = 0; i < r->n; i++) {
		const struct report_row *x = &r->rows[i];
		char amount[32];

		if (strcmp(x->dim, "association"))
			continue;
		n++;
		(void)cost_format(x->v[REPORT_COST], 2, point, amount, sizeof(amount));
		sbuf_addstr(out, "<tr><th scope=\"row\" dir=\"auto\">");
		html_escape(out, x->key);
		sbuf_addf(out, "</th><td class=\"num\">%lld</td><td class=\"num\">%s</td></tr>\n",
			  x->v[REPORT_CAMPAIGNS], amount);
	}
	sbuf_addstr(out, "</tbody></table></div>");
	if (!n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_assoc);
	sbuf_addstr(out, "</section>\n");
}

void dashboard_report_page(struct sbuf *out, const struct config *cfg, const char *user,
			   const char *lang, const char *csrf, const struct report *r,
			   const struct report *prev)
{
	const struct rep_ui *u = rep_ui(lang);
	char point = u == &rep_en ? '.' : ',', back[64], title[96], amount[32];
	const struct report_row *total = report_find(r, "total", "");

	(void)bsnprintf(back, sizeof(back), "/dashboard/report?from=%s&to=%s", r->from, r->to);
	(void)bsnprintf(title, sizeof(title), "%s %s\xe2\x80\x93%s", u->title, r->from, r->to);
	dashboard_page_begin(out, lang, title, user, csrf, back);
	sbuf_addf(out, "<div class=\"report\"><h1>%s <small>%s\xe2\x80\x93%s</small></h1>", u->title,
		  r->from, r->to);
	period_form(out, u, r->from, r->to);
	(void)cost_format(total ? total->v[REPORT_COST] : 0, 2, point, amount, sizeof(amount));
	sbuf_addf(out, "<p class=\"lead\">%s: <b id=\"period\">%s\xe2\x80\x93%s</b> (%s) \xc2\xb7 "
		  "%s: <b id=\"total-cost\">%s %s</b></p>", u->period, r->from, r->to, cfg->timezone,
		  u->cost, amount, cfg->sms.currency);
	reach(out, u, r, prev);
	figures(out, u, r, point);
	chart(out, u, r, "chart-signups", "band", u->signups_chart, REPORT_SIGNUPS, REPORT_OPTOUTS);
	chart(out, u, r, "chart-messages", "lang", u->messages_chart, REPORT_SENT, REPORT_DELIVERED);
	associations(out, u, r, cfg->sms.currency, point);
	sbuf_addf(out, "<p class=\"note\"><small>%s</small></p></div>", u->notes);
	dashboard_page_end(out);
}
