/* SPDX-License-Identifier: MIT */
/*
 * The campaign page: what was asked for, the delivery funnel per channel,
 * language and age band, failures by reason, messages handed to a
 * provider per minute (an SVG drawn here), the texts per language with
 * their SMS coding and parts, and the CLI's actions (approve, cancel,
 * resend unknown) as forms that post to the same handlers as the
 * overview's. Figures come from db_dashboard.c.
 */
#include "budbringer/dashboard.h"
#include "budbringer/cost.h"
#include "budbringer/db_dashboard.h"
#include "budbringer/gsm.h"
#include "budbringer/db_links.h"
#include "budbringer/html.h"
#include "budbringer/model.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ROWS 64      /* distinct values per funnel table */
#define RATE_COLUMNS 60  /* columns of the per-minute chart at most */

struct camp_ui {
	const char *campaign, *association, *municipality, *status, *kind, *channels, *ages,
		*langs, *interests, *all, *created, *send_at, *valid_until, *approved,
		*not_approved, *approve, *cancel, *resend, *funnel, *by_channel, *by_lang,
		*by_band, *total, *failures, *no_failures, *reason, *count, *rate, *rate_per, *minutes,
		*no_rate, *texts, *no_texts, *lang, *channel, *coding, *parts, *chars,
		*messages, *template, *subject, *no_reason, *actions, *none_yet, *cost, *no_cost,
		*cost_note, *because_of, *clicks, *clicks_note, *prefetches, *per_sent;
	const char *bands[4];
};

static const struct camp_ui camp_da = {
	.campaign = "Kampagne", .association = "Forening", .municipality = "Kommunen",
	.status = "Status", .kind = "Slags", .channels = "Kanaler", .ages = "Alder",
	.langs = "Sprog", .interests = "Interesser", .all = "alle", .created = "Oprettet",
	.send_at = "Sendes fra", .valid_until = "Gyldig til", .approved = "Godkendt af",
	.not_approved = "-", .approve = "Godkend", .cancel = "Annull\xc3\xa9r",
	.resend = "Send ukendte igen", .funnel = "Leveringstragt", .by_channel = "Pr. kanal",
	.by_lang = "Pr. sprog", .by_band = "Pr. aldersgruppe", .total = "I alt",
	.failures = "Fejl efter \xc3\xa5rsag", .no_failures = "Ingen fejl.", .reason = "\xc3\x85rsag",
	.count = "Antal", .rate = "Sendt pr. minut", .rate_per = "Sendt pr.", .minutes = "minutter",
	.no_rate = "Intet sendt endnu.", .texts = "Tekster pr. sprog",
	.no_texts = "Ingen tekster at vise endnu.", .lang = "Sprog", .channel = "Kanal",
	.coding = "Kodning", .parts = "Dele", .chars = "Tegn", .messages = "Beskeder",
	.template = "Kampagnens tekst", .subject = "Emne", .no_reason = "(ingen \xc3\xa5rsag)",
	.actions = "Handlinger", .none_yet = "Ingen beskeder endnu.", .cost = "Pris",
	.no_cost = "Ingen SMS sendt endnu.",
	.cost_note = "SMS sendt \xc3\x97 dele \xc3\x97 udbyderens pris pr. del, da beskeden blev sendt.",
	.clicks = "Klik p\xc3\xa5 korte links", .prefetches = "Forh\xc3\xa5ndsvisninger",
	.per_sent = "Klik pr. sendt",
	.clicks_note = "T\xc3\xa6lles pr. kampagne, kanal og sprog \xe2\x80\x94 aldrig pr. person.",
	.because_of = "UCS-2 (2\xe2\x80\x93" "3 gange prisen) p\xc3\xa5 grund af:",
	.bands = { "under 15", "15\xe2\x80\x93" "25", "26+", "ukendt alder" },
};

static const struct camp_ui camp_en = {
	.campaign = "Campaign", .association = "Association", .municipality = "Municipality",
	.status = "Status", .kind = "Kind", .channels = "Channels", .ages = "Ages",
	.langs = "Languages", .interests = "Interests", .all = "all", .created = "Created",
	.send_at = "Sends from", .valid_until = "Valid until", .approved = "Approved by",
	.not_approved = "-", .approve = "Approve", .cancel = "Cancel", .resend = "Resend unknown",
	.funnel = "Delivery funnel", .by_channel = "By channel", .by_lang = "By language",
	.by_band = "By age band", .total = "Total", .failures = "Failures by reason",
	.no_failures = "No failures.", .reason = "Reason", .count = "Count",
	.rate = "Sent per minute", .rate_per = "Sent per", .minutes = "minutes", .no_rate = "Nothing sent yet.",
	.texts = "Texts per language", .no_texts = "No texts to show yet.", .lang = "Language",
	.channel = "Channel", .coding = "Coding", .parts = "Parts", .chars = "Characters",
	.messages = "Messages", .template = "The campaign's text", .subject = "Subject",
	.no_reason = "(no reason)", .actions = "Actions", .none_yet = "No messages yet.",
	.cost = "Cost", .no_cost = "No SMS sent yet.",
	.cost_note = "SMS sent \xc3\x97 parts \xc3\x97 the provider's price per part when it was sent.",
	.clicks = "Short-link clicks", .prefetches = "Link previews", .per_sent = "Clicks per sent",
	.clicks_note = "Counted per campaign, channel and language \xe2\x80\x94 never per person.",
	.because_of = "UCS-2 (2\xe2\x80\x93" "3 times the cost) because of:",
	.bands = { "under 15", "15\xe2\x80\x93" "25", "26+", "age unknown" },
};

static const char *const band_codes[4] = { "under15", "15-25", "26+", "unknown" };

struct row {
	char key[32];
	long long parts[5], total;
};

struct table {
	struct row rows[MAX_ROWS];
	size_t n;
};

struct camp_page {
	struct sbuf *out;
	const char *lang, *csrf;
	const struct camp_ui *u;
	struct table by[3];        /* channel, language, band */
	long long unknown, total;
	int n;
	/* the rate chart */
	long long first_min, last_min;
	long long *per_min;
	size_t n_min;
};

static const struct camp_ui *camp_ui_for(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &camp_en : &camp_da;
}

static void add_row(struct table *t, const char *key, int group, long long n)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->rows[i].key, key))
			break;
	if (i == t->n) {
		if (t->n == MAX_ROWS)
			return;
		memset(&t->rows[i], 0, sizeof(t->rows[i]));
		(void)bsnprintf(t->rows[i].key, sizeof(t->rows[i].key), "%s", key);
		t->n++;
	}
	t->rows[i].parts[group] += n;
	t->rows[i].total += n;
}

static int funnel_cb(const char *channel, const char *lang, const char *band, const char *state,
		     long long n, void *arg)
{
	struct camp_page *p = arg;
	int g = dashboard_state_group(state);

	add_row(&p->by[0], channel, g, n);
	add_row(&p->by[1], lang, g, n);
	add_row(&p->by[2], band, g, n);
	p->total += n;
	if (!strcmp(state, "unknown"))
		p->unknown += n;
	return 0;
}

static const char *band_name(const struct camp_ui *u, const char *code)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(code, band_codes[i]))
			return u->bands[i];
	return code;
}

static void funnel_table(struct camp_page *p, int which, const char *id, const char *caption)
{
	struct sbuf *out = p->out;
	struct table *t = &p->by[which];
	const char *head = which == 0 ? p->u->channel : which == 1 ? p->u->lang : p->u->ages;

	sbuf_addf(out, "<div class=\"scroll\"><table id=\"%s\"><caption>%s</caption><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>", id, caption,
		  head, p->u->total);
	for (int g = 0; g < 5; g++)
		sbuf_addf(out, "<th scope=\"col\" class=\"num\"><i class=\"c%d\"></i>%s</th>", g,
			  dashboard_group_name(p->lang, g));
	sbuf_addf(out, "<th scope=\"col\" class=\"bar\"><span class=\"sr\">%s</span></th>"
		  "</tr></thead><tbody>", p->u->funnel);
	for (size_t i = 0; i < t->n; i++) {
		struct row *r = &t->rows[i];
		struct chart_part parts[5];

		sbuf_addstr(out, "<tr data-key=\"");
		html_escape(out, r->key);
		sbuf_addstr(out, "\"><th scope=\"row\"");
		if (which == 1) {
			sbuf_addstr(out, " lang=\"");
			html_escape(out, r->key);
			sbuf_addstr(out, "\"");
		}
		sbuf_addch(out, '>');
		html_escape(out, which == 2 ? band_name(p->u, r->key) : r->key);
		sbuf_addf(out, "</th><td class=\"num n-total\">%lld</td>", r->total);
		for (int g = 0; g < 5; g++) {
			sbuf_addf(out, "<td class=\"num n-%d\">%lld</td>", g, r->parts[g]);
			parts[g].name = dashboard_group_name(p->lang, g);
			parts[g].color = dashboard_group_color(g);
			parts[g].value = r->parts[g];
		}
		sbuf_addstr(out, "<td class=\"bar\">");
		svg_stacked_bar(out, parts, 5, 200, 12);
		sbuf_addstr(out, "</td></tr>\n");
	}
	sbuf_addstr(out, "</tbody></table></div>");
}

static int failure_cb(const char *state, const char *reason, long long n, void *arg)
{
	struct camp_page *p = arg;

	p->n++;
	sbuf_addstr(p->out, "<tr><td>");
	html_escape(p->out, state);
	sbuf_addstr(p->out, "</td><td>");
	html_escape(p->out, *reason ? reason : p->u->no_reason);
	sbuf_addf(p->out, "</td><td class=\"num\">%lld</td></tr>\n", n);
	return 0;
}

static int rate_cb(long long minute, long long n, void *arg)
{
	struct camp_page *p = arg;

	/* Minutes come in order; keep at most a day's worth of columns' span. */
	if (!p->n_min)
		p->first_min = minute;
	if (minute - p->first_min >= 24 * 60 * 7)
		return 0;
	if ((size_t)(minute - p->first_min) >= p->n_min) {
		size_t want = (size_t)(minute - p->first_min) + 1;
		p->per_min = xrealloc(p->per_min, want * sizeof(*p->per_min));
		memset(p->per_min + p->n_min, 0, (want - p->n_min) * sizeof(*p->per_min));
		p->n_min = want;
	}
	p->per_min[minute - p->first_min] += n;
	p->last_min = minute;
	return 0;
}

static void rate_chart(struct camp_page *p)
{
	const struct camp_ui *u = p->u;
	size_t step, n_cols;
	long long *values;
	char (*labels)[8];
	const char **label_ptrs;
	char title[64];
	struct chart_series s;

	sbuf_addstr(p->out, "<section id=\"rate\">");
	if (!p->n_min) {
		sbuf_addf(p->out, "<h2>%s</h2><p class=\"empty\">%s</p></section>\n", u->rate,
			  u->no_rate);
		return;
	}
	step = (p->n_min + RATE_COLUMNS - 1) / RATE_COLUMNS;
	n_cols = (p->n_min + step - 1) / step;
	values = xcalloc(n_cols, sizeof(*values));
	labels = xcalloc(n_cols, sizeof(*labels));
	label_ptrs = xcalloc(n_cols, sizeof(*label_ptrs));
	for (size_t i = 0; i < p->n_min; i++)
		values[i / step] += p->per_min[i];
	for (size_t i = 0; i < n_cols; i++) {
		time_t t = (time_t)((p->first_min + (long long)(i * step)) * 60);
		struct tm tm;

		localtime_r(&t, &tm);
		if (!strftime(labels[i], sizeof(labels[i]), "%H:%M", &tm))
			labels[i][0] = '\0';
		label_ptrs[i] = labels[i];
	}
	if (step == 1)
		(void)bsnprintf(title, sizeof(title), "%s", u->rate);
	else
		(void)bsnprintf(title, sizeof(title), "%s %zu %s", u->rate_per, step, u->minutes);
	s = (struct chart_series){ u->messages, "#3182ce", values };
	sbuf_addstr(p->out, "<h2>");
	html_escape(p->out, title);
	sbuf_addstr(p->out, "</h2>");
	svg_columns(p->out, title, label_ptrs, n_cols, &s, 1, 720, 240);
	sbuf_addstr(p->out, "</section>\n");
	free(values);
	free(labels);
	free(label_ptrs);
}

/* GSM-7 or UCS-2, its units and parts, as the SMS gateway will see the text. */
static void encoding_cells(struct sbuf *out, const char *text)
{
	struct gsm_info gi;

	if (!text || gsm_analyse(text, strlen(text), &gi) < 0) {
		sbuf_addstr(out, "<td>-</td><td class=\"num\">-</td><td class=\"num\">-</td>");
		return;
	}
	sbuf_addf(out, "<td class=\"coding\">%s</td><td class=\"num\">%zu</td>"
		  "<td class=\"num parts\">%u</td>", gi.coding == GSM_CODING_UCS2 ? "UCS-2" : "GSM-7",
		  gi.units, gi.segments);
}

void dashboard_ucs2_warning(struct sbuf *out, const char *lang, const char *text)
{
	struct sbuf culprits = SBUF_INIT;
	int n = text ? gsm_ucs2_culprits(text, strlen(text), &culprits, 16) : 0;

	if (n > 0) {
		sbuf_addf(out, "<p class=\"warn ucs2\">%s <span class=\"culprits\">",
			  camp_ui_for(lang)->because_of);
		html_escape(out, culprits.buf);
		sbuf_addf(out, "%s</span></p>", n > 16 ? " \xe2\x80\xa6" : "");
	}
	sbuf_release(&culprits);
}

static void text_cell(struct sbuf *out, const char *ui_lang, const char *lang, const char *text,
		      bool sms)
{
	sbuf_addstr(out, "<td class=\"text\"><p dir=\"auto\" lang=\"");
	html_escape(out, lang);
	sbuf_addstr(out, "\">");
	html_escape(out, text ? text : "");
	sbuf_addstr(out, "</p>");
	if (sms)
		dashboard_ucs2_warning(out, ui_lang, text);
	sbuf_addstr(out, "</td>");
}

static int sample_cb(const struct campaign_sample *c, void *arg)
{
	struct camp_page *p = arg;
	bool sms = !strcmp(c->channel, "sms");

	p->n++;
	sbuf_addstr(p->out, "<tr data-lang=\"");
	html_escape(p->out, c->lang);
	sbuf_addstr(p->out, "\" data-channel=\"");
	html_escape(p->out, c->channel);
	sbuf_addstr(p->out, "\"><th scope=\"row\">");
	html_escape(p->out, c->lang);
	sbuf_addstr(p->out, "</th><td>");
	html_escape(p->out, c->channel);
	sbuf_addf(p->out, "</td><td class=\"num\">%lld</td>", c->messages);
	if (sms) {
		encoding_cells(p->out, c->body);
		text_cell(p->out, p->lang, c->lang, c->body, true);
	} else {
		sbuf_addstr(p->out, "<td>-</td><td class=\"num\">-</td><td class=\"num\">-</td>");
		text_cell(p->out, p->lang, c->lang, c->subject, false);
	}
	sbuf_addstr(p->out, "</tr>\n");
	return 0;
}

struct cost_acc {
	struct camp_page *p;
	char point;
	long long sms, parts, cost;
};

static int cost_cb(const char *lang, long long sms, long long parts, long long cost_milli, void *arg)
{
	struct cost_acc *a = arg;
	char amount[32];

	a->sms += sms;
	a->parts += parts;
	a->cost += cost_milli;
	(void)cost_format(cost_milli, 2, a->point, amount, sizeof(amount));
	sbuf_addstr(a->p->out, "<tr><th scope=\"row\">");
	html_escape(a->p->out, lang ? lang : "-");
	sbuf_addf(a->p->out, "</th><td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
		  "<td class=\"num\">%s</td></tr>\n", sms, parts, amount);
	return 0;
}

/* What the campaign's SMS cost, per language, as stored when each was sent. */
static int cost_section(struct camp_page *p, struct db *db, const struct config *cfg, long long id)
{
	const struct camp_ui *u = p->u;
	struct cost_acc a = { .p = p, .point = strcmp(p->lang, "en") ? ',' : '.' };
	const char *cur = cfg->sms.currency;
	char amount[32];

	sbuf_addf(p->out, "<section id=\"cost\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">SMS</th>"
		  "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		  "</tr></thead><tbody>", u->cost, u->lang, u->parts, cur);
	if (db_dashboard_campaign_cost(db, id, cost_cb, &a) < 0)
		return -1;
	(void)cost_format(a.cost, 2, a.point, amount, sizeof(amount));
	sbuf_addf(p->out, "</tbody><tfoot><tr><th scope=\"row\">%s</th><td class=\"num\">%lld</td>"
		  "<td class=\"num\">%lld</td><td class=\"num\" id=\"cost-total\" data-milli=\"%lld\">"
		  "%s %s</td></tr></tfoot></table></div>", u->total, a.sms, a.parts, a.cost, amount, cur);
	sbuf_addf(p->out, "<p><small>%s</small></p>", a.sms ? u->cost_note : u->no_cost);
	sbuf_addstr(p->out, "</section>\n");
	return 0;
}

static int click_cb(const struct link_row *l, void *arg)
{
	struct camp_page *p = arg;

	p->n++;
	sbuf_addstr(p->out, "<tr><th scope=\"row\">");
	html_escape(p->out, l->lang ? l->lang : "-");
	sbuf_addstr(p->out, "</th><td>");
	html_escape(p->out, l->channel ? l->channel : "-");
	sbuf_addf(p->out, "</td><td class=\"num\">%lld</td><td class=\"num\">%lld</td>"
		  "<td class=\"num\">", l->clicks, l->prefetches);
	if (l->sent > 0)
		sbuf_addf(p->out, "%.2f", (double)l->clicks / (double)l->sent);
	else
		sbuf_addch(p->out, '-');
	sbuf_addstr(p->out, "</td></tr>\n");
	return 0;
}

/* Short-link clicks (links.shorten), per channel and language: there are
 * none per person to show. Nothing when the campaign has no short link. */
static int clicks_section(struct camp_page *p, struct db *db, long long id)
{
	const struct camp_ui *u = p->u;
	struct sbuf rows = SBUF_INIT, *page = p->out;

	p->n = 0;
	p->out = &rows;
	if (db_link_each(db, id, click_cb, p) < 0) {
		p->out = page;
		sbuf_release(&rows);
		return -1;
	}
	p->out = page;
	if (p->n)
		sbuf_addf(page, "<section id=\"clicks\"><h2>%s</h2><div class=\"scroll\"><table>"
			  "<thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			  "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
			  "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>%s</tbody></table>"
			  "</div><p><small>%s</small></p></section>\n", u->clicks, u->lang, u->channel,
			  u->clicks, u->prefetches, u->per_sent, rows.buf, u->clicks_note);
	sbuf_release(&rows);
	return 0;
}

static int head_cb(const struct campaign_head *h, void *arg)
{
	struct camp_page *p = arg;
	char when[32];

	sbuf_addstr(p->out, "<span dir=\"auto\" id=\"title\">");
	html_escape(p->out, h->title ? h->title : "");
	sbuf_addf(p->out, "</span></h1><dl class=\"facts\"><dt>%s</dt><dd>", p->u->association);
	html_escape(p->out, h->association ? h->association : p->u->municipality);
	sbuf_addf(p->out, "</dd><dt>%s</dt><dd id=\"approved-by\">", p->u->approved);
	html_escape(p->out, h->approved_by ? h->approved_by : p->u->not_approved);
	if (h->approved_at > 0) {
		dashboard_format_time(h->approved_at, when, sizeof(when));
		sbuf_addf(p->out, " <small>%s</small>", when);
	}
	sbuf_addstr(p->out, "</dd>");
	return 0;
}

static void fact_time(struct sbuf *out, const char *term, long long at)
{
	char when[32] = "-";

	if (at > 0)
		dashboard_format_time(at, when, sizeof(when));
	sbuf_addf(out, "<dt>%s</dt><dd>%s</dd>", term, when);
}

static void action(struct camp_page *p, const char *what, long long id, const char *label,
		   const char *cls)
{
	sbuf_addf(p->out, "<form method=\"post\" action=\"/dashboard/%s\" class=\"inline\">", what);
	dashboard_csrf_field(p->out, p->csrf);
	sbuf_addf(p->out, "<input type=\"hidden\" name=\"id\" value=\"%lld\">"
		  "<input type=\"hidden\" name=\"back\" value=\"campaign\">"
		  "<button type=\"submit\" class=\"%s\" data-action=\"%s-%lld\">", id, cls, what, id);
	html_escape(p->out, label);
	sbuf_addstr(p->out, "</button></form> ");
}

static void facts(struct camp_page *p, const struct campaign *c)
{
	const struct camp_ui *u = p->u;
	struct sbuf *out = p->out;

	sbuf_addf(out, "<dt>%s</dt><dd><span class=\"badge s-%s\" id=\"status\" data-status=\"%s\">",
		  u->status, c->status, c->status);
	html_escape(out, dashboard_campaign_status(p->lang, c->status));
	sbuf_addf(out, "</span></dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s%s%s</dd>", u->kind,
		  c->kind, u->channels, c->channels[CHANNEL_SMS] ? "sms" : "",
		  c->channels[CHANNEL_SMS] && c->channels[CHANNEL_EMAIL] ? ", " : "",
		  c->channels[CHANNEL_EMAIL] ? "email" : "");
	sbuf_addf(out, "<dt>%s</dt><dd>", u->ages);
	if (c->min_age < 0 && c->max_age < 0)
		sbuf_addstr(out, u->all);
	else
		sbuf_addf(out, "%d\xe2\x80\x93%d", c->min_age < 0 ? 0 : c->min_age,
			  c->max_age < 0 ? 999 : c->max_age);
	sbuf_addf(out, "</dd><dt>%s</dt><dd>", u->langs);
	for (size_t i = 0; c->langs[i]; i++) {
		sbuf_addstr(out, i ? ", " : "");
		html_escape(out, c->langs[i]);
	}
	sbuf_addf(out, "%s</dd><dt>%s</dt><dd>", c->langs[0] ? "" : u->all, u->interests);
	for (size_t i = 0; c->interests[i]; i++) {
		sbuf_addstr(out, i ? ", " : "");
		html_escape(out, c->interests[i]);
	}
	sbuf_addf(out, "%s</dd><dt>%s</dt><dd>", c->interests[0] ? "" : u->all, u->created);
	html_escape(out, c->created_by);
	sbuf_addstr(out, "</dd>");
	fact_time(out, u->send_at, c->send_at);
	fact_time(out, u->valid_until, c->valid_until);
	sbuf_addstr(out, "</dl>");
}

static bool is_final(const char *status)
{
	return !strcmp(status, "done") || !strcmp(status, "cancelled") || !strcmp(status, "expired");
}

int dashboard_campaign_page(struct sbuf *out, struct db *db, const struct config *cfg,
			    const char *user, const char *lang, const char *csrf, long long id,
			    const char *notice, long long now)
{
	const struct camp_ui *u = camp_ui_for(lang);
	struct camp_page *p = xcalloc(1, sizeof(*p));
	struct campaign c;
	char title[64], back[64], label[64];
	int rc = db_campaign_get(db, id, &c), ret = -1;

	(void)now;
	if (rc) {
		free(p);
		return rc < 0 ? -1 : 1;
	}
	p->out = out;
	p->lang = dashboard_lang(lang);
	p->csrf = csrf;
	p->u = u;
	(void)bsnprintf(title, sizeof(title), "%s #%lld", u->campaign, id);
	(void)bsnprintf(back, sizeof(back), "/dashboard/campaigns/%lld", id);
	dashboard_page_begin(out, lang, title, user, csrf, back);
	if (notice)
		dashboard_notice(out, lang, notice, id);
	sbuf_addf(out, "<h1>%s: ", title);
	if ((rc = db_dashboard_campaign_head(db, id, p->lang, head_cb, p)) != 0)
		goto out;
	facts(p, &c);
	if (db_dashboard_campaign_funnel(db, id, funnel_cb, p) < 0)
		goto out;

	if (!is_final(c.status) || p->unknown > 0) {
		sbuf_addf(out, "<section id=\"actions\" aria-label=\"%s\">", u->actions);
		if (!strcmp(c.status, "pending_approval"))
			action(p, "approve", id, u->approve, "ok");
		if (!is_final(c.status))
			action(p, "cancel", id, u->cancel, "danger");
		if (p->unknown > 0) {
			(void)bsnprintf(label, sizeof(label), "%s (%lld)", u->resend, p->unknown);
			action(p, "resend", id, label, "ok");
		}
		sbuf_addstr(out, "</section>\n");
	}

	sbuf_addf(out, "<section id=\"funnel\"><h2>%s</h2>", u->funnel);
	if (!p->total) {
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->none_yet);
	} else {
		funnel_table(p, 0, "by-channel", u->by_channel);
		funnel_table(p, 1, "by-lang", u->by_lang);
		funnel_table(p, 2, "by-band", u->by_band);
	}
	sbuf_addstr(out, "</section>\n");

	sbuf_addf(out, "<section id=\"reasons\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">"
		  "%s</th></tr></thead><tbody>", u->failures, u->status, u->reason, u->count);
	p->n = 0;
	if (db_dashboard_campaign_failures(db, id, failure_cb, p) < 0)
		goto out;
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p->n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_failures);
	sbuf_addstr(out, "</section>\n");

	if (db_dashboard_campaign_rate(db, id, rate_cb, p) < 0)
		goto out;
	rate_chart(p);

	sbuf_addf(out, "<section id=\"texts\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">"
		  "%s</th><th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		  "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\">%s / %s</th></tr></thead>"
		  "<tbody>", u->texts, u->lang, u->channel, u->messages, u->coding, u->chars,
		  u->parts, "SMS", u->subject);
	p->n = 0;
	for (size_t i = 0; i < c.n_texts; i++) {
		p->n++;
		sbuf_addstr(out, "<tr class=\"template\" data-lang=\"");
		html_escape(out, c.texts[i].lang);
		sbuf_addstr(out, "\"><th scope=\"row\">");
		html_escape(out, c.texts[i].lang);
		sbuf_addf(out, "</th><td>%s</td><td class=\"num\">-</td>", u->template);
		encoding_cells(out, c.texts[i].body);
		text_cell(out, p->lang, c.texts[i].lang, c.texts[i].body, true);
		sbuf_addstr(out, "</tr>\n");
	}
	if (db_dashboard_campaign_samples(db, id, sample_cb, p) < 0)
		goto out;
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p->n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_texts);
	sbuf_addstr(out, "</section>\n");
	if (cost_section(p, db, cfg, id) < 0 || clicks_section(p, db, id) < 0)
		goto out;
	dashboard_page_end(out);
	ret = 0;
out:
	campaign_release(&c);
	free(p->per_min);
	free(p);
	return rc > 0 ? 1 : ret;
}
