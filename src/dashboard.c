/* SPDX-License-Identifier: MIT */
/*
 * The dashboard's pages. Texts come from one struct per UI language, so
 * a missing translation is a compile error, not an empty label. Figures
 * come from db_stats.c; charts from html.c.
 */
#include "budbringer/cost.h"
#include "budbringer/dashboard.h"
#include "budbringer/db_bounce.h"
#include "budbringer/db_dashboard.h"
#include "budbringer/db_stats.h"
#include "budbringer/html.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DAYS_SHOWN 14
#define CAMPAIGNS_SHOWN 20
#define FAILURES_SHOWN 10

struct ui {
	const char *html_lang, *title, *login_title, *user, *password, *log_in, *log_out,
		*wrong, *expired, *locked, *logged_in_as, *pending, *none_pending, *approve, *cancel,
		*campaigns, *no_campaigns, *per_day, *failures, *no_failures, *inbound,
		*no_inbound, *campaign, *status, *created_by, *channels, *total, *when,
		*recipient, *provider, *reason, *intent, *count, *last_30_days, *notice_approved,
		*notice_cancelled, *notice_not_pending, *notice_not_cancellable, *notice_bad_csrf,
		*resend, *notice_resent, *notice_none_resent,
		*municipality, *other_lang, *other_lang_code, *menu, *overview, *delivery_log,
		*cost_30, *association, *replies, *no_cost, *people, *report, *suppressions,
		*inbound_page, *new_campaign, *notice_created, *notice_duplicate;
	const char *states[5];     /* delivered, sent, in progress, failed/bounced, suppressed */
	const char *campaign_status[7];
};

static const char *const campaign_states[7] = { "pending_approval", "scheduled", "expanding",
	"sending", "done", "cancelled", "expired" };

static const struct ui ui_da = {
	.html_lang = "da", .title = "Budbringer \xe2\x80\x93 overblik",
	.login_title = "Log ind", .user = "Brugernavn", .password = "Adgangskode",
	.log_in = "Log ind", .log_out = "Log ud", .wrong = "Forkert brugernavn eller adgangskode.",
	.expired = "Din session er udl\xc3\xb8" "bet. Log ind igen.",
	.locked = "For mange forkerte adgangskoder. Vent lidt, og pr\xc3\xb8v s\xc3\xa5 igen.", .logged_in_as = "Logget ind som",
	.pending = "Venter p\xc3\xa5 godkendelse", .none_pending = "Ingen kampagner venter.",
	.approve = "Godkend", .cancel = "Annull\xc3\xa9r", .campaigns = "Kampagner",
	.no_campaigns = "Ingen kampagner endnu.", .per_day = "Beskeder pr. dag",
	.failures = "Seneste fejl", .no_failures = "Ingen fejl.",
	.inbound = "Indg\xc3\xa5" "ende SMS efter hensigt", .no_inbound = "Ingen indg\xc3\xa5" "ende SMS.",
	.campaign = "Kampagne", .status = "Status", .created_by = "Oprettet af",
	.channels = "Kanaler", .total = "I alt", .when = "Tidspunkt", .recipient = "Modtager",
	.provider = "Udbyder", .reason = "\xc3\x85rsag", .intent = "Hensigt", .count = "Antal",
	.last_30_days = "seneste 30 dage", .notice_approved = "Kampagne %lld er godkendt.",
	.notice_cancelled = "Kampagne %lld er annulleret.",
	.notice_not_pending = "Kampagne %lld venter ikke p\xc3\xa5 godkendelse.",
	.notice_not_cancellable = "Kampagne %lld findes ikke eller er allerede afsluttet.",
	.notice_bad_csrf = "Formularen var for\xc3\xa6ldet. Pr\xc3\xb8v igen.",
	.resend = "Send ukendte igen",
	.notice_resent = "Kampagne %lld: de ukendte beskeder sendes igen (afviste st\xc3\xa5r i loggen).",
	.notice_none_resent = "Kampagne %lld: ingen ukendte beskeder kunne sendes igen (se loggen).",
	.municipality = "Kommunen", .other_lang = "English", .other_lang_code = "en",
	.menu = "Menu", .overview = "Overblik", .delivery_log = "Leveringslog",
	.cost_30 = "SMS-pris, seneste 30 dage", .association = "Forening",
	.replies = "Svar og bekr\xc3\xa6" "ftelser", .no_cost = "Ingen SMS med pris de seneste 30 dage.",
	.people = "Personer", .report = "Evaluering", .suppressions = "Sp\xc3\xa6rrer",
	.inbound_page = "Indg\xc3\xa5" "ende SMS", .new_campaign = "Ny kampagne",
	.notice_created = "Kampagne %lld er oprettet.",
	.notice_duplicate = "Kampagne %lld findes allerede (samme foresp\xc3\xb8rgsel); intet nyt er sat i k\xc3\xb8.",
	.states = { "leveret", "sendt", "i gang", "fejlet/afvist", "frasorteret/annulleret" },
	.campaign_status = { "venter p\xc3\xa5 godkendelse", "planlagt", "udv\xc3\xa6lger modtagere",
		"sender", "f\xc3\xa6rdig", "annulleret", "udl\xc3\xb8" "bet" },
};

static const struct ui ui_en = {
	.html_lang = "en", .title = "Budbringer \xe2\x80\x93 overview",
	.login_title = "Log in", .user = "User name", .password = "Password",
	.log_in = "Log in", .log_out = "Log out", .wrong = "Wrong user name or password.",
	.expired = "Your session has expired. Please log in again.",
	.locked = "Too many wrong passwords. Please wait a little, then try again.", .logged_in_as = "Logged in as",
	.pending = "Waiting for approval", .none_pending = "No campaigns are waiting.",
	.approve = "Approve", .cancel = "Cancel", .campaigns = "Campaigns",
	.no_campaigns = "No campaigns yet.", .per_day = "Messages per day",
	.failures = "Latest failures", .no_failures = "No failures.",
	.inbound = "Inbound SMS by intent", .no_inbound = "No inbound SMS.",
	.campaign = "Campaign", .status = "Status", .created_by = "Created by",
	.channels = "Channels", .total = "Total", .when = "Time", .recipient = "Recipient",
	.provider = "Provider", .reason = "Reason", .intent = "Intent", .count = "Count",
	.last_30_days = "last 30 days", .notice_approved = "Campaign %lld is approved.",
	.notice_cancelled = "Campaign %lld is cancelled.",
	.notice_not_pending = "Campaign %lld is not waiting for approval.",
	.notice_not_cancellable = "Campaign %lld does not exist or is already finished.",
	.notice_bad_csrf = "The form had expired. Please try again.",
	.resend = "Resend unknown",
	.notice_resent = "Campaign %lld: its unknown messages are queued again (any refused are in the log).",
	.notice_none_resent = "Campaign %lld: no unknown message could be resent (see the log).",
	.municipality = "Municipality", .other_lang = "Dansk", .other_lang_code = "da",
	.menu = "Menu", .overview = "Overview", .delivery_log = "Delivery log",
	.cost_30 = "SMS cost, last 30 days", .association = "Association",
	.replies = "Replies and confirmations", .no_cost = "No priced SMS in the last 30 days.",
	.people = "People", .report = "Report", .suppressions = "Suppressions",
	.inbound_page = "Inbound SMS", .new_campaign = "New campaign",
	.notice_created = "Campaign %lld is created.",
	.notice_duplicate = "Campaign %lld exists already (the same request); nothing new is queued.",
	.states = { "delivered", "sent", "in progress", "failed/bounced", "suppressed/cancelled" },
	.campaign_status = { "waiting for approval", "scheduled", "selecting recipients", "sending",
		"done", "cancelled", "expired" },
};

static const char *const part_colors[5] = { "#2f855a", "#3182ce", "#a0aec0", "#c53030", "#dd6b20" };

const char *dashboard_lang(const char *lang)
{
	return lang && !strcmp(lang, "en") ? "en" : "da";
}

static const struct ui *ui_for(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &ui_en : &ui_da;
}

const char *dashboard_campaign_status(const char *lang, const char *status)
{
	const struct ui *u = ui_for(lang);
	for (size_t i = 0; i < 7; i++)
		if (status && !strcmp(status, campaign_states[i]))
			return u->campaign_status[i];
	return status ? status : "";
}

static const char *status_text(const struct ui *u, const char *status)
{
	for (size_t i = 0; i < 7; i++)
		if (status && !strcmp(status, campaign_states[i]))
			return u->campaign_status[i];
	return status ? status : "";
}

static void head(struct sbuf *out, const struct ui *u, const char *title)
{
	sbuf_addf(out, "<!DOCTYPE html>\n<html lang=\"%s\"><head><meta charset=\"utf-8\">"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		  "<link rel=\"stylesheet\" href=\"/dashboard/static/style.css\">"
		  "<link rel=\"icon\" href=\"data:,\"><title>", u->html_lang);
	html_escape(out, title);
	sbuf_addstr(out, "</title></head><body>\n");
}

void dashboard_csrf_field(struct sbuf *out, const char *csrf)
{
	sbuf_addstr(out, "<input type=\"hidden\" name=\"csrf\" value=\"");
	html_escape(out, csrf);
	sbuf_addstr(out, "\">");
}

#define csrf_field dashboard_csrf_field

/* The menu: every page, the current one marked for screen readers. */
static void menu(struct sbuf *out, const struct ui *u, const char *back)
{
	const struct { const char *path, *label; } items[] = {
		{ "/dashboard", u->overview }, { "/dashboard/log", u->delivery_log },
		{ "/dashboard/campaigns/new", u->new_campaign }, { "/dashboard/subscribers", u->people },
		{ "/dashboard/report", u->report }, { "/dashboard/suppressions", u->suppressions },
		{ "/dashboard/inbound", u->inbound_page },
	};
	size_t cur = 0, best = 0;

	for (size_t i = 1; back && i < sizeof(items) / sizeof(items[0]); i++) {
		size_t n = strlen(items[i].path);

		if (!strncmp(back, items[i].path, n) && strchr("/?", back[n] ? back[n] : '/') &&
		    n > best) {
			cur = i;
			best = n;
		}
	}
	sbuf_addf(out, "<nav aria-label=\"%s\">", u->menu);
	for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++)
		sbuf_addf(out, "<a href=\"%s\"%s>%s</a>", items[i].path,
			  i == cur ? " aria-current=\"page\"" : "", items[i].label);
	sbuf_addstr(out, "</nav>");
}

void dashboard_page_begin(struct sbuf *out, const char *lang, const char *title,
			  const char *user, const char *csrf, const char *back)
{
	const struct ui *u = ui_for(lang);

	head(out, u, title);
	sbuf_addstr(out, "<header><p class=\"brand\">Budbringer</p>");
	menu(out, u, back);
	sbuf_addf(out, "<div class=\"who\"><span>%s <b id=\"who\">", u->logged_in_as);
	html_escape(out, user);
	sbuf_addstr(out, "</b></span>");
	sbuf_addstr(out, "<form method=\"post\" action=\"/dashboard/lang\" class=\"inline\">");
	csrf_field(out, csrf);
	sbuf_addstr(out, "<input type=\"hidden\" name=\"back\" value=\"");
	html_escape(out, back ? back : "/dashboard");
	sbuf_addf(out, "\"><button type=\"submit\" name=\"lang\" value=\"%s\" class=\"link\" "
		  "lang=\"%s\">%s</button></form>", u->other_lang_code, u->other_lang_code,
		  u->other_lang);
	sbuf_addstr(out, "<form method=\"post\" action=\"/dashboard/logout\" class=\"inline\">");
	csrf_field(out, csrf);
	sbuf_addf(out, "<button type=\"submit\" id=\"logout\">%s</button></form></div></header>\n"
		  "<main>", u->log_out);
}

/* Part of a local part or a number, for dashboard_masked_text(). */
static bool addr_char(char c)
{
	return c && !strchr(" \t\r\n<>\"'(),;:[]", c);
}

void dashboard_masked_text(struct sbuf *out, const char *text)
{
	struct sbuf plain = SBUF_INIT;
	const char *p = text;

	/* Email addresses keep their first letter and domain; runs of eight
	 * or more digits (a phone number) their first two and last two. */
	while (p && *p) {
		const char *at = strchr(p, '@'), *d = strpbrk(p, "0123456789");

		if (d && (!at || d < at) && strspn(d, "0123456789") >= 8) {
			size_t n = strspn(d, "0123456789");

			sbuf_add(&plain, p, (size_t)(d - p) + 2);
			for (size_t i = 4; i < n; i++)
				sbuf_addstr(&plain, "\xe2\x80\xa2");
			sbuf_add(&plain, d + n - 2, 2);
			p = d + n;
			continue;
		}
		if (d && (!at || d < at)) {
			size_t n = strspn(d, "0123456789");

			sbuf_add(&plain, p, (size_t)(d - p) + n);
			p = d + n;
			continue;
		}
		if (!at) {
			sbuf_addstr(&plain, p);
			break;
		}
		{
			const char *start = at;

			while (start > p && addr_char(start[-1]))
				start--;
			sbuf_add(&plain, p, (size_t)(start - p));
			if (start < at)
				sbuf_addf(&plain, "%c\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2", *start);
			sbuf_addch(&plain, '@');
			p = at + 1;
		}
	}
	html_escape(out, plain.buf);
	sbuf_release(&plain);
}

void dashboard_page_end(struct sbuf *out)
{
	sbuf_addstr(out, "</main></body></html>\n");
}

void dashboard_error_page(struct sbuf *out, const char *lang, const char *title,
			  const char *message)
{
	const struct ui *u = ui_for(lang);

	head(out, u, title);
	sbuf_addstr(out, "<main><h1>");
	html_escape(out, title);
	sbuf_addstr(out, "</h1><p class=\"error\" role=\"alert\" id=\"problem\">");
	html_escape(out, message);
	sbuf_addf(out, "</p><p><a href=\"/dashboard\">%s</a> · <a href=\"/dashboard/log\">%s</a>"
		  "</p></main></body></html>\n", u->overview, u->delivery_log);
}

void dashboard_login_page(struct sbuf *out, const char *lang, const char *csrf,
			  const char *error, const char *user)
{
	const struct ui *u = ui_for(lang);

	head(out, u, u->login_title);
	sbuf_addstr(out, "<main class=\"login\"><h1>Budbringer</h1><form method=\"post\" "
		    "action=\"/dashboard/login\" id=\"login\">");
	if (error)
		sbuf_addf(out, "<p class=\"error\" role=\"alert\">%s</p>",
			  !strcmp(error, "expired") ? u->expired :
			  !strcmp(error, "locked") ? u->locked : u->wrong);
	csrf_field(out, csrf);
	sbuf_addf(out, "<input type=\"hidden\" name=\"lang\" value=\"%s\">", u->html_lang);
	sbuf_addf(out, "<label>%s<input name=\"user\" autocomplete=\"username\" required value=\"",
		  u->user);
	html_escape(out, user ? user : "");
	sbuf_addf(out, "\"></label><label>%s<input name=\"password\" type=\"password\" "
		  "autocomplete=\"current-password\" required></label>"
		  "<button type=\"submit\">%s</button></form>"
		  "<p><a href=\"/dashboard/login?lang=%s\">%s</a></p></main></body></html>\n",
		  u->password, u->log_in, u->other_lang_code, u->other_lang);
}

void dashboard_format_time(long long at, char *buf, size_t n)
{
	time_t t = (time_t)at;
	struct tm tm;
	localtime_r(&t, &tm);
	if (!strftime(buf, n, "%Y-%m-%d %H:%M", &tm))
		buf[0] = '\0';
}

void dashboard_format_seconds(long long at, char *buf, size_t n)
{
	time_t t = (time_t)at;
	struct tm tm;
	localtime_r(&t, &tm);
	if (!strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
		buf[0] = '\0';
}

/* ------------------------------------------------------------ campaigns --- */

struct funnel {
	long long parts[5], total;
	long long unknown;      /* of parts[3]: staff may resend these */
};

int dashboard_state_group(const char *state)
{
	if (!strcmp(state, "delivered"))
		return 0;
	if (!strcmp(state, "sent"))
		return 1;
	if (!strcmp(state, "queued") || !strcmp(state, "sending"))
		return 2;
	if (!strcmp(state, "failed") || !strcmp(state, "bounced") || !strcmp(state, "unknown") ||
	    !strcmp(state, "expired"))
		return 3;
	return 4;
}

const char *dashboard_group_name(const char *lang, int group)
{
	return group >= 0 && group < 5 ? ui_for(lang)->states[group] : "";
}

const char *dashboard_group_color(int group)
{
	return group >= 0 && group < 5 ? part_colors[group] : "#000";
}

static int add_state(const char *state, const char *channel, long long n, void *arg)
{
	struct funnel *f = arg;
	int k = dashboard_state_group(state);

	(void)channel; /* the funnel adds both channels up */
	f->parts[k] += n;
	f->total += n;
	if (!strcmp(state, "unknown"))
		f->unknown += n;
	return 0;
}

struct page {
	struct sbuf *out;
	struct db *db;
	const struct ui *u;
	const char *csrf;
	int n_pending, n_campaigns;
	bool pending_pass;
	/* The listed campaigns' funnels, read for the whole page at once
	 * (db_dashboard_overview_counts): one statement, not one a campaign. */
	struct campaign_funnel {
		long long id;
		struct funnel f;
	} *funnels;
	size_t n_funnels, cap_funnels;
};

static int add_campaign_state(long long id, const char *state, long long n, void *arg)
{
	struct page *p = arg;
	struct campaign_funnel *cf = NULL;

	/* Rows come grouped by campaign: the last one is the likely match. */
	for (size_t i = p->n_funnels; i-- > 0 && !cf;)
		if (p->funnels[i].id == id)
			cf = &p->funnels[i];
	if (!cf) {
		if (p->n_funnels == p->cap_funnels) {
			p->cap_funnels = p->cap_funnels * 2 + 32;
			p->funnels = xrealloc(p->funnels, p->cap_funnels * sizeof(*p->funnels));
		}
		cf = &p->funnels[p->n_funnels++];
		memset(cf, 0, sizeof(*cf));
		cf->id = id;
	}
	return add_state(state, NULL, n, &cf->f);
}

static void action_form(struct page *p, const char *action, long long id, const char *label,
			const char *cls)
{
	sbuf_addf(p->out, "<form method=\"post\" action=\"/dashboard/%s\" class=\"inline\">", action);
	csrf_field(p->out, p->csrf);
	sbuf_addf(p->out, "<input type=\"hidden\" name=\"id\" value=\"%lld\">"
		  "<button type=\"submit\" class=\"%s\" name=\"do\" value=\"%s\" "
		  "data-action=\"%s-%lld\">%s</button></form>", id, cls, action, action, id, label);
}

static void campaign_name(struct page *p, const struct campaign_summary *c)
{
	sbuf_addf(p->out, "<td data-label=\"%s\"><a href=\"/dashboard/campaigns/%lld\"><b>#%lld</b> ",
		  p->u->campaign, c->id, c->id);
	html_escape(p->out, c->title ? c->title : "");
	sbuf_addstr(p->out, "</a><br><small>");
	html_escape(p->out, c->association ? c->association : p->u->municipality);
	sbuf_addstr(p->out, " · ");
	html_escape(p->out, c->channels);
	sbuf_addstr(p->out, "</small></td>");
}

static int pending_row(const struct campaign_summary *c, void *arg)
{
	struct page *p = arg;
	char when[32];
	if (strcmp(c->status, "pending_approval"))
		return 0;
	p->n_pending++;
	dashboard_format_time(c->created_at, when, sizeof(when));
	sbuf_addf(p->out, "<tr data-campaign=\"%lld\">", c->id);
	campaign_name(p, c);
	sbuf_addf(p->out, "<td data-label=\"%s\">", p->u->created_by);
	html_escape(p->out, c->created_by);
	sbuf_addf(p->out, "<br><small>%s</small></td><td class=\"actions\">", when);
	action_form(p, "approve", c->id, p->u->approve, "ok");
	action_form(p, "cancel", c->id, p->u->cancel, "danger");
	sbuf_addstr(p->out, "</td></tr>\n");
	return 0;
}

static int campaign_row(const struct campaign_summary *c, void *arg)
{
	struct page *p = arg;
	struct funnel f;
	struct chart_part parts[5];

	memset(&f, 0, sizeof(f));
	for (size_t i = 0; i < p->n_funnels; i++)
		if (p->funnels[i].id == c->id)
			f = p->funnels[i].f;
	p->n_campaigns++;
	for (int i = 0; i < 5; i++) {
		parts[i].name = p->u->states[i];
		parts[i].color = part_colors[i];
		parts[i].value = f.parts[i];
	}
	sbuf_addf(p->out, "<tr data-campaign=\"%lld\" data-status=\"", c->id);
	html_escape(p->out, c->status);
	sbuf_addstr(p->out, "\">");
	campaign_name(p, c);
	sbuf_addf(p->out, "<td data-label=\"%s\"><span class=\"badge s-", p->u->status);
	html_escape(p->out, c->status);
	sbuf_addstr(p->out, "\">");
	html_escape(p->out, status_text(p->u, c->status));
	sbuf_addf(p->out, "</span></td><td class=\"funnel\" data-label=\"%s\">", p->u->total);
	svg_stacked_bar(p->out, parts, 5, 300, 14);
	sbuf_addf(p->out, "<div class=\"counts\"><span class=\"n-total\">%s %lld</span>", p->u->total,
		  f.total);
	for (int i = 0; i < 5; i++)
		sbuf_addf(p->out, " · <span class=\"n-%d\"><i class=\"c%d\"></i>%s "
			  "<b>%lld</b></span>", i, i, p->u->states[i], f.parts[i]);
	sbuf_addstr(p->out, "</div>");
	if (f.unknown > 0) {
		char label[64];

		if (bsnprintf(label, sizeof(label), "%s (%lld)", p->u->resend, f.unknown) < 0)
			label[0] = '\0';
		action_form(p, "resend", c->id, label, "ok");
	}
	sbuf_addstr(p->out, "</td></tr>\n");
	return 0;
}

/* ------------------------------------------------------------- per day --- */

struct days {
	char keys[DAYS_SHOWN][11];
	char labels[DAYS_SHOWN][8];
	long long v[2][DAYS_SHOWN];
};

static int add_day(const char *day, const char *channel, long long n, void *arg)
{
	struct days *d = arg;
	for (int i = 0; i < DAYS_SHOWN; i++)
		if (day && !strcmp(d->keys[i], day))
			d->v[strcmp(channel, "sms") ? 1 : 0][i] += n;
	return 0;
}

static int per_day(struct page *p, long long now)
{
	struct days d;
	const char *labels[DAYS_SHOWN];
	struct chart_series s[2];
	time_t t = (time_t)now;
	struct tm tm;
	long long since;

	memset(&d, 0, sizeof(d));
	localtime_r(&t, &tm);
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_mday -= DAYS_SHOWN - 1;
	tm.tm_isdst = -1;
	since = (long long)mktime(&tm);
	for (int i = 0; i < DAYS_SHOWN; i++) {
		struct tm day = tm;
		day.tm_mday += i;
		day.tm_hour = 12;  /* away from DST edges */
		day.tm_isdst = -1;
		mktime(&day);
		strftime(d.keys[i], sizeof(d.keys[i]), "%Y-%m-%d", &day);
		strftime(d.labels[i], sizeof(d.labels[i]), "%d/%m", &day);
		labels[i] = d.labels[i];
	}
	if (db_messages_per_day(p->db, since, add_day, &d) < 0)
		return -1;
	s[0] = (struct chart_series){ "SMS", "#3182ce", d.v[0] };
	s[1] = (struct chart_series){ "e-mail", "#805ad5", d.v[1] };
	sbuf_addf(p->out, "<section id=\"per-day\"><h2>%s</h2>", p->u->per_day);
	svg_columns(p->out, p->u->per_day, labels, DAYS_SHOWN, s, 2, 720, 240);
	sbuf_addstr(p->out, "</section>\n");
	return 0;
}

/* ------------------------------------------------------------ failures --- */

static int failure_row(const struct event_row *r, void *arg)
{
	struct page *p = arg;
	char when[32], who[96];
	dashboard_format_time(r->at, when, sizeof(when));
	recipient_mask(r->channel, r->recipient, who, sizeof(who));
	p->n_campaigns++;
	sbuf_addf(p->out, "<tr><td data-label=\"%s\"><a href=\"/dashboard/messages/%lld\">%s</a></td>"
		  "<td data-label=\"%s\">", p->u->when, r->message_id, when, p->u->campaign);
	if (r->campaign_id)
		sbuf_addf(p->out, "#%lld", r->campaign_id);
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", p->u->recipient);
	html_escape(p->out, r->channel);
	sbuf_addch(p->out, ' ');
	html_escape(p->out, who);
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", p->u->provider);
	html_escape(p->out, r->provider ? r->provider : "-");
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", p->u->reason);
	html_escape(p->out, r->detail ? r->detail : "-");
	sbuf_addstr(p->out, "</td></tr>\n");
	return 0;
}

static int inbound_row(const char *intent, long long n, void *arg)
{
	struct page *p = arg;
	p->n_campaigns++;
	sbuf_addstr(p->out, "<tr><td>");
	html_escape(p->out, intent);
	sbuf_addf(p->out, "</td><td class=\"num\">%lld</td></tr>\n", n);
	return 0;
}

struct cost_rows {
	struct page *p;
	char point;
	long long total;
	int n;
};

static int cost_row(const char *association, long long messages, long long cost_milli, void *arg)
{
	struct cost_rows *c = arg;
	char amount[32];

	c->n++;
	c->total += cost_milli;
	(void)cost_format(cost_milli, 2, c->point, amount, sizeof(amount));
	sbuf_addf(c->p->out, "<tr><td data-label=\"%s\">", c->p->u->association);
	html_escape(c->p->out, !*association ? c->p->u->replies
			       : !strcmp(association, "(municipality)") ? c->p->u->municipality
			       : association);
	sbuf_addf(c->p->out, "</td><td class=\"num\" data-label=\"SMS\">%lld</td>"
		  "<td class=\"num\" data-label=\"%s\">%s</td></tr>\n", messages, c->p->u->total,
		  amount);
	return 0;
}

/* What SMS cost over the last 30 days, per association (db_stats.h). */
static int cost_overview(struct page *p, const struct config *cfg, long long now)
{
	struct cost_rows c = { .p = p, .point = strcmp(p->u->html_lang, "en") ? ',' : '.' };
	char amount[32];

	sbuf_addf(p->out, "<section id=\"cost\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">SMS</th>"
		  "<th scope=\"col\" class=\"num\">%s</th></tr></thead><tbody>", p->u->cost_30,
		  p->u->association, cfg->sms.currency);
	if (db_cost_by_association(p->db, now - 30 * 86400LL, 0, cost_row, &c) < 0)
		return -1;
	(void)cost_format(c.total, 2, c.point, amount, sizeof(amount));
	sbuf_addf(p->out, "</tbody><tfoot><tr><th scope=\"row\">%s</th><td></td>"
		  "<td class=\"num\" id=\"cost-30\">%s %s</td></tr></tfoot></table></div>",
		  p->u->total, amount, cfg->sms.currency);
	if (!c.n)
		sbuf_addf(p->out, "<p class=\"empty\">%s</p>", p->u->no_cost);
	sbuf_addstr(p->out, "</section>\n");
	return 0;
}

void dashboard_notice(struct sbuf *out, const char *lang, const char *notice, long long id)
{
	struct page page = { .out = out, .u = ui_for(lang) }, *p = &page;
	const char *fmt = NULL;
	if (!strcmp(notice, "approved"))
		fmt = p->u->notice_approved;
	else if (!strcmp(notice, "cancelled"))
		fmt = p->u->notice_cancelled;
	else if (!strcmp(notice, "not_pending"))
		fmt = p->u->notice_not_pending;
	else if (!strcmp(notice, "not_cancellable"))
		fmt = p->u->notice_not_cancellable;
	else if (!strcmp(notice, "csrf"))
		fmt = p->u->notice_bad_csrf;
	else if (!strcmp(notice, "resent"))
		fmt = p->u->notice_resent;
	else if (!strcmp(notice, "none_resent"))
		fmt = p->u->notice_none_resent;
	else if (!strcmp(notice, "created"))
		fmt = p->u->notice_created;
	else if (!strcmp(notice, "duplicate"))
		fmt = p->u->notice_duplicate;
	if (!fmt)
		return;
	sbuf_addstr(p->out, "<p class=\"notice\" role=\"status\">");
	/* The formats are our own constants with at most one %lld. */
	if (strstr(fmt, "%lld")) {
		char buf[256];
		const char *pct = strstr(fmt, "%lld");
		if (bsnprintf(buf, sizeof(buf), "%.*s%lld%s", (int)(pct - fmt), fmt, id, pct + 4) == 0)
			html_escape(p->out, buf);
	} else {
		html_escape(p->out, fmt);
	}
	sbuf_addstr(p->out, "</p>\n");
}

/* One campaign alert (bounce_alerts) as a line of the warning box. */
static int alert_item(long long campaign_id, const char *kind, const char *rate, bool paused,
		      long long at, void *arg)
{
	struct page *p = arg;
	bool da = !strcmp(p->u->html_lang, "da"), hard = strcmp(kind, "complaint") != 0;
	char when[32];

	dashboard_format_time(at, when, sizeof(when));
	if (!p->n_pending++)
		sbuf_addf(p->out, "<section id=\"alerts\" class=\"warning\" role=\"alert\"><h2>%s</h2><ul>",
			  da ? "Advarsel: afvisninger og spamklager" : "Warning: bounces and complaints");
	sbuf_addf(p->out, "<li><a href=\"/dashboard/campaigns/%lld\">%s #%lld</a>: %s ",
		  campaign_id, p->u->campaign, campaign_id,
		  hard ? (da ? "h\xc3\xa5rde afvisninger" : "hard bounces") : (da ? "spamklager" : "complaints"));
	html_escape(p->out, rate);
	sbuf_addf(p->out, " (%s %s) %s %s.", da ? "over" : "past", hard ? "2 %" : "0.1 %",
		  da ? "siden" : "since", when);
	if (paused)
		sbuf_addf(p->out, " <b>%s</b> <code>budbringer campaign resume-email %lld</code>",
			  da ? "Kampagnens e-mails er sat p\xc3\xa5 pause; genoptag med"
			     : "The campaign's email is paused; resume it with", campaign_id);
	sbuf_addstr(p->out, "</li>");
	return 0;
}

/* The campaigns whose hard-bounce or complaint rate passed its threshold
 * in the last 30 days, in a warning box at the top of the overview: the
 * big receivers refuse a sender whose rates stay so. */
static int alerts_box(struct page *p, long long now)
{
	bool da = !strcmp(p->u->html_lang, "da");

	p->n_pending = 0;
	if (db_bounce_alerts_after(p->db, now - 30 * 86400LL, alert_item, p) < 0)
		return -1;
	if (p->n_pending)
		sbuf_addf(p->out, "</ul><p>%s</p></section>\n",
			  da ? "Gmail, Outlook og Yahoo afviser post fra afsendere med mange afvisninger "
			       "eller klager. Se tallene med <code>budbringer stats</code>."
			     : "Gmail, Outlook and Yahoo refuse mail from senders with many bounces or "
			       "complaints. See the figures with <code>budbringer stats</code>.");
	p->n_pending = 0;
	return 0;
}

int dashboard_main_page(struct sbuf *out, struct db *db, const struct config *cfg,
			const char *user, const char *lang, const char *csrf,
			const char *notice, long long notice_id, long long now)
{
	const struct ui *u = ui_for(lang);
	struct page p = { .out = out, .db = db, .u = u, .csrf = csrf };
	struct event_filter failed = { .state = "failed", .limit = FAILURES_SHOWN };

	dashboard_page_begin(out, lang, u->title, user, csrf, "/dashboard");
	sbuf_addf(out, "<h1>%s</h1>", u->title);
	if (notice)
		dashboard_notice(out, lang, notice, notice_id);
	if (alerts_box(&p, now) < 0)
		return -1;

	sbuf_addf(out, "<section id=\"pending\"><h2>%s</h2><div class=\"scroll\"><table>"
		  "<tbody>", u->pending);
	if (db_campaign_summaries(db, 0, pending_row, &p) < 0)
		return -1;
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p.n_pending)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->none_pending);
	sbuf_addstr(out, "</section>\n");

	sbuf_addf(out, "<section id=\"campaigns\"><h2>%s</h2><div class=\"scroll\"><table>"
		  "<thead><tr><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>", u->campaigns,
		  u->campaign, u->status, u->total);
	if (db_dashboard_overview_counts(db, CAMPAIGNS_SHOWN, add_campaign_state, &p) < 0 ||
	    db_campaign_summaries(db, CAMPAIGNS_SHOWN, campaign_row, &p) < 0) {
		free(p.funnels);
		return -1;
	}
	free(p.funnels);
	p.funnels = NULL;
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p.n_campaigns)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_campaigns);
	sbuf_addstr(out, "</section>\n");

	if (per_day(&p, now) < 0)
		return -1;

	if (cost_overview(&p, cfg, now) < 0)
		return -1;

	p.n_campaigns = 0;
	sbuf_addf(out, "<section id=\"failures\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
		  u->failures, u->when, u->campaign, u->recipient, u->provider, u->reason);
	if (db_events_each(db, &failed, failure_row, &p) < 0)
		return -1;
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p.n_campaigns)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_failures);
	sbuf_addstr(out, "</section>\n");

	p.n_campaigns = 0;
	sbuf_addf(out, "<section id=\"inbound\"><h2>%s <small>(%s)</small></h2><table><thead><tr>"
		  "<th>%s</th><th>%s</th></tr></thead><tbody>", u->inbound, u->last_30_days,
		  u->intent, u->count);
	if (db_inbound_by_intent(db, now - 30 * 86400LL, inbound_row, &p) < 0)
		return -1;
	sbuf_addstr(out, "</tbody></table>");
	if (!p.n_campaigns)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_inbound);
	sbuf_addstr(out, "</section>\n");
	dashboard_page_end(out);
	return 0;
}

const char *dashboard_css(void)
{
	return
	"*{box-sizing:border-box}body{margin:0;font:15px/1.4 system-ui,sans-serif;color:#1a202c;"
	"background:#f7fafc}header{display:flex;flex-wrap:wrap;justify-content:space-between;"
	"align-items:center;gap:.5em;padding:.6em 1em;background:#1f3a5f;color:#fff}"
	"header h1{font-size:1.2em;margin:0}nav{display:flex;gap:.6em;align-items:center;"
	"flex-wrap:wrap}main{max-width:72em;margin:0 auto;padding:.5em 1em 2em}"
	"section{background:#fff;border:1px solid #e2e8f0;border-radius:6px;padding:.6em 1em;"
	"margin:1em 0}h2{font-size:1.05em;margin:.3em 0 .6em}table{border-collapse:collapse;"
	"width:100%}th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #edf2f7;"
	"vertical-align:top}td.num{text-align:right}.scroll{overflow-x:auto}"
	"small{color:#4a5568}.funnel{min-width:14em}.funnel svg{display:block;border-radius:3px}"
	".counts{font-size:.85em;color:#2d3748;margin-top:.2em}.counts i{display:inline-block;"
	"width:.7em;height:.7em;margin-right:.25em;border-radius:2px}.c0{background:#2f855a}"
	".c1{background:#3182ce}.c2{background:#a0aec0}.c3{background:#c53030}.c4{background:#dd6b20}"
	".badge{display:inline-block;padding:.1em .5em;border-radius:1em;font-size:.85em;"
	"background:#edf2f7}.s-pending_approval{background:#fefcbf}.s-done{background:#c6f6d5}"
	".s-cancelled,.s-expired{background:#fed7d7}.s-sending,.s-expanding{background:#bee3f8}"
	"form.inline{display:inline;margin:0}button{font:inherit;padding:.35em .9em;border-radius:4px;"
	"border:1px solid #a0aec0;background:#fff;cursor:pointer}button.ok{background:#2f855a;"
	"color:#fff;border-color:#2f855a}button.danger{background:#fff;color:#c53030;"
	"border-color:#c53030}button.link{background:none;border:none;color:#fff;"
	"text-decoration:underline}header button{background:#fff}.actions{white-space:nowrap}"
	".actions form+form{margin-left:.4em}.notice{background:#ebf8ff;border:1px solid #90cdf4;"
	"padding:.5em .8em;border-radius:4px}.warning{background:#fffaf0;border:2px solid #c05621}"
	".error{color:#c53030}.empty{color:#4a5568}"
	".login{max-width:22em;margin:4em auto;background:#fff;padding:1.5em;border:1px solid "
	"#e2e8f0;border-radius:6px}.login label{display:block;margin:.6em 0}.login input{display:"
	"block;width:100%;padding:.45em;margin-top:.2em;font:inherit}.login button{width:100%;"
	"margin-top:.6em;background:#1f3a5f;color:#fff}"
	"header .brand{font-size:1.2em;font-weight:700;margin:0}header nav a{color:#fff;"
	"margin-right:.9em}header nav a[aria-current]{font-weight:700;text-decoration-thickness:3px}"
	"header .who{display:flex;gap:.6em;align-items:center;flex-wrap:wrap}"
	"h1{font-size:1.3em;margin:.7em 0 .3em}a{color:#1f4f8f}"
	".filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(13em,1fr));gap:.7em}"
	".field label{display:block;font-weight:600}.field input,.field select{display:block;"
	"width:100%;padding:.35em;font:inherit;border:1px solid #718096;border-radius:4px}"
	".field small{display:block}.buttons{align-self:end}.pages{margin:.6em 0}"
	".pages a{margin-right:1.2em}dl.facts{display:grid;grid-template-columns:max-content 1fr;"
	"gap:.25em 1em;margin:.5em 0}dt{font-weight:600}dd{margin:0}button.small{padding:.1em .5em;"
	"font-size:.85em}.who .addr,.who form{white-space:nowrap}.unmasked .addr{font-weight:700}"
	".m-delivered{background:#c6f6d5}.m-failed,.m-expired,.m-unknown{background:#fed7d7}"
	".m-sent{background:#bee3f8}.m-suppressed,.m-cancelled{background:#feebc8}"
	".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
	"white-space:nowrap}caption{text-align:left;font-weight:600;padding:.5em 0 .2em}"
	"th i{display:inline-block;width:.7em;height:.7em;margin-right:.25em;border-radius:2px}"
	"td.bar{min-width:10em;vertical-align:middle}td.bar svg{display:block}.text p{margin:0;"
	"max-width:40em;white-space:pre-wrap}#actions form{margin-right:.4em}th.num{text-align:right}"
	"#log td:first-child,#events td:first-child{white-space:nowrap}"
	".warn{background:#fffaf0;border-left:4px solid #c05621;padding:.3em .6em;margin:.3em 0}"
	".culprits{font-weight:700;letter-spacing:.1em}.lead{font-size:1.05em}"
	"td.num,th.num{font-variant-numeric:tabular-nums}"
	"fieldset{border:1px solid #cbd5e0;border-radius:4px;margin:.6em 0;padding:.4em .8em}"
	"legend{font-weight:600}label.check{display:inline-block;margin:.2em .9em .2em 0}"
	"pre{white-space:pre-wrap;background:#f7fafc;border:1px solid #e2e8f0;padding:.4em;"
	"font:inherit;margin:.3em 0}textarea{width:100%;font:inherit;border:1px solid #718096;"
	"border-radius:4px}article.rendered{border-top:1px solid #e2e8f0;padding-top:.4em}"
	"details summary{cursor:pointer;font-weight:600;margin:.4em 0}"
	".conversation{list-style:none;padding:0;margin:0}.conversation li{max-width:36em;"
	"margin:.3em 0;padding:.3em .6em;border-radius:8px}.conversation p{margin:.1em 0}"
	".conversation .in{background:#edf2f7}.conversation .out{background:#ebf8ff;margin-left:3em}"
	"@page{size:A4;margin:15mm 12mm}"
	"@media print{body{background:#fff;font-size:10pt;color:#000}header,.noprint,"
	"form.inline,#actions{display:none}main{max-width:none;padding:0}section{border:none;"
	"padding:0;margin:0 0 6mm;break-inside:avoid}.scroll{overflow:visible}a{color:#000;"
	"text-decoration:none}svg{max-width:100%;height:auto}h1{margin-top:0}"
	"thead{display:table-header-group}tr{break-inside:avoid}}"
	"@media screen and (max-width:40em){thead{display:none}tr{display:block;border-bottom:1px solid "
	"#e2e8f0;padding:.3em 0}td{display:block;border:none;padding:.15em .2em}"
	"td[data-label]::before{content:attr(data-label) \": \";font-weight:600}"
	".actions{padding-top:.4em}}\n";
}
