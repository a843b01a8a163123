/* SPDX-License-Identifier: MIT */
/*
 * The delivery log and the message page. The log shows the newest events
 * first, DASHBOARD_LOG_PAGE at a time; "older" links carry the id of the
 * oldest event shown (keyset paging: db_events_each() starts below it on
 * an index, however deep the page). The filters are the CLI's
 * (event_query.c). Recipients are masked unless one row is unmasked by
 * a POST that the caller has audited.
 */
#include "budbringer/dashboard.h"
#include "budbringer/db_log.h"
#include "budbringer/event_query.h"
#include "budbringer/html.h"
#include "budbringer/model.h"

#include <stdlib.h>
#include <string.h>

const char *const dashboard_log_params[DASHBOARD_LOG_PARAMS] = {
	"recipient", "campaign", "status", "channel", "provider", "subscriber", "since", "until",
};

#define N_STATES 9
static const char *const states[N_STATES] = { "queued", "sending", "sent", "delivered",
	"failed", "expired", "unknown", "suppressed", "cancelled" };

struct log_ui {
	const char *title, *filters, *labels[DASHBOARD_LOG_PARAMS], *hints[DASHBOARD_LOG_PARAMS];
	const char *any, *apply, *clear, *when, *message, *campaign, *channel, *recipient,
		*status, *provider, *gateway_id, *detail, *older, *newest, *none, *show,
		*show_label, *unmasked, *results, *msg_title, *lang, *kind, *reason, *coding,
		*segments, *attempts, *created, *updated, *events, *no_events, *back_to_log,
		*subject, *subscriber, *not_before, *expires;
	const char *state_names[N_STATES];
};

static const struct log_ui log_da = {
	.title = "Leveringslog", .filters = "Filtre",
	.labels = { "Telefon eller e-mail", "Kampagne", "Status", "Kanal", "Udbyder", "Abonnent",
		"Fra", "Til" },
	.hints = { "fx 20 12 34 56 eller navn@example.dk", "kampagnens nummer", NULL, NULL,
		"fx spool, kannel, smtp", "abonnentens nummer",
		"30m, 1h, 2d eller 2026-11-01", "2026-11-01 eller 2026-11-01T18:00" },
	.any = "alle", .apply = "Vis", .clear = "Nulstil", .when = "Tidspunkt", .message = "Besked",
	.campaign = "Kampagne", .channel = "Kanal", .recipient = "Modtager", .status = "Status",
	.provider = "Udbyder", .gateway_id = "Gateway-id", .detail = "Svar / \xc3\xa5rsag",
	.older = "\xc3\x86ldre h\xc3\xa6ndelser \xe2\x86\x92", .newest = "\xe2\x86\x90 Nyeste",
	.none = "Ingen h\xc3\xa6ndelser passer til filtrene.", .show = "Vis",
	.show_label = "Vis modtageren af besked",
	.unmasked = "Modtageren vises, og det er skrevet i revisionsloggen.",
	.results = "H\xc3\xa6ndelser", .msg_title = "Besked", .lang = "Sprog", .kind = "Slags",
	.reason = "\xc3\x85rsag", .coding = "Kodning", .segments = "Dele", .attempts = "Fors\xc3\xb8g",
	.created = "Oprettet", .updated = "Opdateret", .events = "H\xc3\xa6ndelser",
	.no_events = "Ingen h\xc3\xa6ndelser.", .back_to_log = "Til leveringsloggen",
	.subject = "Emne", .subscriber = "Abonnent", .not_before = "Tidligst",
	.expires = "Udl\xc3\xb8" "ber",
	.state_names = { "i k\xc3\xb8", "sendes", "sendt", "leveret", "fejlet", "udl\xc3\xb8" "bet",
		"ukendt", "frasorteret", "annulleret" },
};

static const struct log_ui log_en = {
	.title = "Delivery log", .filters = "Filters",
	.labels = { "Phone or email", "Campaign", "Status", "Channel", "Provider", "Subscriber",
		"From", "Until" },
	.hints = { "e.g. 20 12 34 56 or name@example.dk", "the campaign's number", NULL, NULL,
		"e.g. spool, kannel, smtp", "the subscriber's number",
		"30m, 1h, 2d or 2026-11-01", "2026-11-01 or 2026-11-01T18:00" },
	.any = "any", .apply = "Show", .clear = "Clear", .when = "Time", .message = "Message",
	.campaign = "Campaign", .channel = "Channel", .recipient = "Recipient", .status = "Status",
	.provider = "Provider", .gateway_id = "Gateway id", .detail = "Answer / reason",
	.older = "Older events \xe2\x86\x92", .newest = "\xe2\x86\x90 Newest",
	.none = "No event matches the filters.", .show = "Show",
	.show_label = "Show the recipient of message",
	.unmasked = "The recipient is shown, and that is written to the audit log.",
	.results = "Events", .msg_title = "Message", .lang = "Language", .kind = "Kind",
	.reason = "Reason", .coding = "Coding", .segments = "Parts", .attempts = "Attempts",
	.created = "Created", .updated = "Updated", .events = "Events", .no_events = "No events.",
	.back_to_log = "To the delivery log", .subject = "Subject", .subscriber = "Subscriber",
	.not_before = "Not before", .expires = "Expires",
	.state_names = { "queued", "sending", "sent", "delivered", "failed", "expired", "unknown",
		"suppressed", "cancelled" },
};

static const struct log_ui *log_ui_for(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &log_en : &log_da;
}

static const char *state_name(const struct log_ui *u, const char *state)
{
	for (int i = 0; i < N_STATES; i++)
		if (state && !strcmp(state, states[i]))
			return u->state_names[i];
	return state ? state : "-";
}

static void state_badge(struct sbuf *out, const struct log_ui *u, const char *state)
{
	sbuf_addstr(out, "<span class=\"badge m-");
	html_escape(out, state);
	sbuf_addstr(out, "\">");
	html_escape(out, state_name(u, state));
	sbuf_addstr(out, "</span>");
}

/* "?name=value&…" of the filters given; amp is "&amp;" inside HTML, "&"
 * for a value that is escaped later. */
static void filter_query(struct sbuf *out, const char *const *values, const char *extra,
			 long long extra_value, const char *amp)
{
	const char *sep = "?";

	for (int i = 0; i < DASHBOARD_LOG_PARAMS; i++) {
		if (!values[i] || !*values[i])
			continue;
		sbuf_addf(out, "%s%s=", sep, dashboard_log_params[i]);
		html_url_encode(out, values[i]);
		sep = amp;
	}
	if (extra)
		sbuf_addf(out, "%s%s=%lld", sep, extra, extra_value);
}

static void filter_form(struct sbuf *out, const struct log_ui *u, const char *const *values)
{
	sbuf_addf(out, "<section id=\"filters\"><h2>%s</h2><form method=\"get\" "
		  "action=\"/dashboard/log\" class=\"filters\">", u->filters);
	for (int i = 0; i < DASHBOARD_LOG_PARAMS; i++) {
		const char *name = dashboard_log_params[i], *v = values[i] ? values[i] : "";

		sbuf_addf(out, "<div class=\"field\"><label for=\"f-%s\">%s</label>", name, u->labels[i]);
		if (!strcmp(name, "status") || !strcmp(name, "channel")) {
			static const char *const channels[] = { "sms", "email" };
			bool st = !strcmp(name, "status");
			int n = st ? N_STATES : 2;

			sbuf_addf(out, "<select id=\"f-%s\" name=\"%s\"><option value=\"\">%s</option>",
				  name, name, u->any);
			for (int k = 0; k < n; k++) {
				const char *code = st ? states[k] : channels[k];
				sbuf_addf(out, "<option value=\"%s\"%s>%s</option>", code,
					  !strcmp(v, code) ? " selected" : "",
					  st ? u->state_names[k] : code);
			}
			sbuf_addstr(out, "</select>");
		} else {
			bool id = !strcmp(name, "campaign") || !strcmp(name, "subscriber");
			sbuf_addf(out, "<input id=\"f-%s\" name=\"%s\"", name, name);
			if (id)
				sbuf_addstr(out, " inputmode=\"numeric\"");
			if (u->hints[i])
				sbuf_addf(out, " aria-describedby=\"h-%s\"", name);
			sbuf_addstr(out, " value=\"");
			html_escape(out, v);
			sbuf_addstr(out, "\">");
			if (u->hints[i])
				sbuf_addf(out, "<small id=\"h-%s\">%s</small>", name, u->hints[i]);
		}
		sbuf_addstr(out, "</div>");
	}
	sbuf_addf(out, "<div class=\"buttons\"><button type=\"submit\" class=\"ok\">%s</button> "
		  "<a href=\"/dashboard/log\">%s</a></div></form></section>\n", u->apply, u->clear);
}

struct log_page {
	struct sbuf *out;
	const struct log_ui *u;
	const char *csrf;
	const char *const *values;
	long long unmask, before;
	struct sbuf *rows;        /* one rendered row per event, oldest first */
	long long *ids;
	size_t n, cap;
};

/* The unmask form of one row: the filters ride along as hidden fields so
 * the answer is the same page. */
static void unmask_form(struct log_page *p, struct sbuf *out, long long message_id)
{
	char label[96];

	sbuf_addstr(out, "<form method=\"post\" action=\"/dashboard/log\" class=\"inline\">");
	dashboard_csrf_field(out, p->csrf);
	for (int i = 0; i < DASHBOARD_LOG_PARAMS; i++) {
		if (!p->values[i] || !*p->values[i])
			continue;
		sbuf_addf(out, "<input type=\"hidden\" name=\"%s\" value=\"", dashboard_log_params[i]);
		html_escape(out, p->values[i]);
		sbuf_addstr(out, "\">");
	}
	if (p->before)
		sbuf_addf(out, "<input type=\"hidden\" name=\"before\" value=\"%lld\">", p->before);
	if (bsnprintf(label, sizeof(label), "%s %lld", p->u->show_label, message_id) < 0)
		label[0] = '\0';
	sbuf_addf(out, "<button type=\"submit\" name=\"unmask\" value=\"%lld\" class=\"small\" "
		  "aria-label=\"%s\" data-unmask=\"%lld\">%s</button></form>", message_id, label,
		  message_id, p->u->show);
}

static int log_row(const struct event_row *r, void *arg)
{
	struct log_page *p = arg;
	const struct log_ui *u = p->u;
	struct sbuf *o;
	char when[32], who[300];

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->rows = xrealloc(p->rows, p->cap * sizeof(*p->rows));
		p->ids = xrealloc(p->ids, p->cap * sizeof(*p->ids));
	}
	o = &p->rows[p->n];
	sbuf_init(o, 512);
	p->ids[p->n++] = r->event_id;
	dashboard_format_seconds(r->at, when, sizeof(when));
	if (p->unmask == r->message_id)
		(void)bsnprintf(who, sizeof(who), "%s", r->recipient ? r->recipient : "-");
	else
		recipient_mask(r->channel, r->recipient, who, sizeof(who));
	sbuf_addf(o, "<tr data-event=\"%lld\" data-message=\"%lld\"><td data-label=\"%s\">%s</td>"
		  "<td data-label=\"%s\"><a href=\"/dashboard/messages/%lld\">#%lld</a></td>"
		  "<td data-label=\"%s\">", r->event_id, r->message_id, u->when, when, u->message,
		  r->message_id, r->message_id, u->campaign);
	if (r->campaign_id)
		sbuf_addf(o, "<a href=\"/dashboard/campaigns/%lld\">#%lld</a>", r->campaign_id,
			  r->campaign_id);
	else
		sbuf_addstr(o, "-");
	sbuf_addf(o, "</td><td data-label=\"%s\">", u->channel);
	html_escape(o, r->channel);
	sbuf_addf(o, "</td><td data-label=\"%s\" class=\"who%s\"><span class=\"addr\">", u->recipient,
		  p->unmask == r->message_id ? " unmasked" : "");
	html_escape(o, who);
	sbuf_addstr(o, "</span> ");
	if (p->unmask != r->message_id && r->recipient && strcmp(r->recipient, "(erased)"))
		unmask_form(p, o, r->message_id);
	sbuf_addf(o, "</td><td data-label=\"%s\">", u->status);
	state_badge(o, u, r->state);
	sbuf_addf(o, "</td><td data-label=\"%s\">", u->provider);
	html_escape(o, r->provider ? r->provider : "-");
	sbuf_addf(o, "</td><td data-label=\"%s\">", u->gateway_id);
	html_escape(o, r->provider_msgid ? r->provider_msgid : "-");
	sbuf_addf(o, "</td><td data-label=\"%s\">", u->detail);
	html_escape(o, r->detail ? r->detail : "");
	sbuf_addstr(o, "</td></tr>\n");
	return 0;
}

int dashboard_log_page(struct sbuf *out, struct db *db, const char *user, const char *lang,
		       const char *csrf, struct event_query *q, const char *const *values,
		       long long unmask)
{
	const struct log_ui *u = log_ui_for(lang);
	struct log_page p = { .out = out, .u = u, .csrf = csrf, .values = values,
			      .unmask = unmask, .before = q->f.before_event };
	struct sbuf back = SBUF_INIT;
	size_t shown, first;
	int ret = 0;

	/* One more than a page: whether there is an older page. */
	q->f.limit = DASHBOARD_LOG_PAGE + 1;
	sbuf_addstr(&back, "/dashboard/log");
	filter_query(&back, values, p.before ? "before" : NULL, p.before, "&");
	dashboard_page_begin(out, lang, u->title, user, csrf, back.buf);
	sbuf_release(&back);
	sbuf_addf(out, "<h1>%s</h1>", u->title);
	filter_form(out, u, values);
	if (db_events_each(db, &q->f, log_row, &p) < 0) {
		ret = -1;
		goto out;
	}
	if (unmask)
		sbuf_addf(out, "<p class=\"notice\" role=\"status\">%s</p>", u->unmasked);
	sbuf_addf(out, "<section id=\"log\" aria-labelledby=\"log-h\"><h2 id=\"log-h\">%s</h2>",
		  u->results);
	shown = p.n > DASHBOARD_LOG_PAGE ? DASHBOARD_LOG_PAGE : p.n;
	first = p.n - shown;   /* rows[0] is the extra, oldest one when there are more */
	if (!shown) {
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->none);
	} else {
		sbuf_addf(out, "<div class=\"scroll\"><table><thead><tr><th scope=\"col\">%s</th>"
			  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
			  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>",
			  u->when, u->message, u->campaign, u->channel, u->recipient, u->status,
			  u->provider, u->gateway_id, u->detail);
		for (size_t i = p.n; i > first; i--)
			sbuf_add(out, p.rows[i - 1].buf, p.rows[i - 1].len);
		sbuf_addstr(out, "</tbody></table></div>");
	}
	sbuf_addstr(out, "<nav class=\"pages\" aria-label=\"pages\">");
	if (p.before) {
		sbuf_addstr(out, "<a href=\"/dashboard/log");
		filter_query(out, values, NULL, 0, "&amp;");
		sbuf_addf(out, "\" id=\"newest\">%s</a> ", u->newest);
	}
	if (p.n > DASHBOARD_LOG_PAGE) {
		sbuf_addstr(out, "<a href=\"/dashboard/log");
		filter_query(out, values, "before", p.ids[first], "&amp;");
		sbuf_addf(out, "\" id=\"older\" rel=\"next\">%s</a>", u->older);
	}
	sbuf_addstr(out, "</nav></section>\n");
	dashboard_page_end(out);
out:
	for (size_t i = 0; i < p.n; i++)
		sbuf_release(&p.rows[i]);
	free(p.rows);
	free(p.ids);
	return ret;
}

/* ------------------------------------------------------------ message --- */

struct msg_page {
	struct sbuf *out;
	const struct log_ui *u;
	int n;
};

static int event_row(const struct message_event *e, void *arg)
{
	struct msg_page *p = arg;
	const struct log_ui *u = p->u;
	char when[32];

	p->n++;
	dashboard_format_seconds(e->at, when, sizeof(when));
	sbuf_addf(p->out, "<tr data-state=\"");
	html_escape(p->out, e->state);
	sbuf_addf(p->out, "\"><td data-label=\"%s\">%s</td><td data-label=\"%s\">", u->when, when,
		  u->status);
	state_badge(p->out, u, e->state);
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", u->provider);
	html_escape(p->out, e->provider ? e->provider : "-");
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", u->gateway_id);
	html_escape(p->out, e->provider_msgid ? e->provider_msgid : "-");
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", u->detail);
	html_escape(p->out, e->detail ? e->detail : "");
	sbuf_addstr(p->out, "</td></tr>\n");
	return 0;
}

static void dt(struct sbuf *out, const char *term, const char *value)
{
	sbuf_addf(out, "<dt>%s</dt><dd>", term);
	html_escape(out, value && *value ? value : "-");
	sbuf_addstr(out, "</dd>");
}

static void dt_time(struct sbuf *out, const char *term, long long at)
{
	char when[32] = "-";

	if (at > 0)
		dashboard_format_time(at, when, sizeof(when));
	dt(out, term, when);
}

int dashboard_message_page(struct sbuf *out, struct db *db, const char *user, const char *lang,
			   const char *csrf, long long id, bool unmasked)
{
	const struct log_ui *u = log_ui_for(lang);
	struct message_detail m;
	struct msg_page p = { .out = out, .u = u };
	char title[64], back[64], who[300], num[32];
	int rc = db_log_message(db, id, &m);

	if (rc)
		return rc;
	(void)bsnprintf(title, sizeof(title), "%s #%lld", u->msg_title, id);
	(void)bsnprintf(back, sizeof(back), "/dashboard/messages/%lld", id);
	dashboard_page_begin(out, lang, title, user, csrf, back);
	sbuf_addf(out, "<h1>%s</h1><p><a href=\"/dashboard/log\">%s</a></p>", title, u->back_to_log);
	if (unmasked)
		sbuf_addf(out, "<p class=\"notice\" role=\"status\">%s</p>", u->unmasked);
	sbuf_addf(out, "<section id=\"message\"><dl class=\"facts\" data-state=\"%s\">", m.state);
	sbuf_addf(out, "<dt>%s</dt><dd>", u->campaign);
	if (m.campaign_id)
		sbuf_addf(out, "<a href=\"/dashboard/campaigns/%lld\">#%lld</a>", m.campaign_id,
			  m.campaign_id);
	else
		sbuf_addstr(out, "-");
	sbuf_addstr(out, "</dd>");
	dt(out, u->kind, m.kind);
	dt(out, u->channel, m.channel);
	if (unmasked)
		(void)bsnprintf(who, sizeof(who), "%s", m.recipient ? m.recipient : "-");
	else
		recipient_mask(m.channel, m.recipient, who, sizeof(who));
	sbuf_addf(out, "<dt>%s</dt><dd id=\"recipient\"><span class=\"addr\">", u->recipient);
	html_escape(out, who);
	sbuf_addstr(out, "</span> ");
	if (!unmasked && m.recipient && strcmp(m.recipient, "(erased)")) {
		char label[96];

		(void)bsnprintf(label, sizeof(label), "%s %lld", u->show_label, id);
		sbuf_addf(out, "<form method=\"post\" action=\"/dashboard/messages/%lld\" "
			  "class=\"inline\">", id);
		dashboard_csrf_field(out, csrf);
		sbuf_addf(out, "<button type=\"submit\" name=\"unmask\" value=\"1\" class=\"small\" "
			  "aria-label=\"%s\" id=\"unmask\">%s</button></form>", label, u->show);
	}
	sbuf_addstr(out, "</dd>");
	if (m.subscriber_id) {
		(void)bsnprintf(num, sizeof(num), "#%lld", m.subscriber_id);
		dt(out, u->subscriber, num);
	}
	dt(out, u->lang, m.lang);
	sbuf_addf(out, "<dt>%s</dt><dd>", u->status);
	state_badge(out, u, m.state);
	sbuf_addstr(out, "</dd>");
	dt(out, u->reason, m.reason);
	dt(out, u->provider, m.provider);
	dt(out, u->gateway_id, m.provider_msgid);
	if (!strcmp(m.channel, "sms")) {
		dt(out, u->coding, m.coding);
		(void)bsnprintf(num, sizeof(num), "%lld", m.segments);
		dt(out, u->segments, m.segments ? num : NULL);
	} else {
		dt(out, u->subject, m.subject);
	}
	(void)bsnprintf(num, sizeof(num), "%lld", m.attempts);
	dt(out, u->attempts, num);
	dt_time(out, u->created, m.created_at);
	dt_time(out, u->not_before, m.not_before);
	dt_time(out, u->expires, m.expires_at);
	dt_time(out, u->updated, m.updated_at);
	sbuf_addf(out, "</dl></section>\n<section id=\"events\"><h2>%s</h2><div class=\"scroll\">"
		  "<table><thead><tr><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr>"
		  "</thead><tbody>", u->events, u->when, u->status, u->provider, u->gateway_id,
		  u->detail);
	rc = db_log_message_events(db, id, event_row, &p);
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p.n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_events);
	sbuf_addstr(out, "</section>\n");
	dashboard_page_end(out);
	message_detail_release(&m);
	return rc < 0 ? -1 : 0;
}
