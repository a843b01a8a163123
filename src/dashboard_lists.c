/* SPDX-License-Identifier: MIT */
/*
 * Two lists staff read to answer "why does this person get nothing" and
 * "why do they keep texting": the suppression list with its reasons and
 * evidence (db_bounce.h, the functions behind `budbringer suppression`),
 * with a lift button only where staff may lift (a bounce), and the
 * inbound SMS of the last days per number as a conversation — each text
 * and the reply it got — shown only while retention_days keeps texts.
 */
#include "budbringer/dashboard.h"
#include "budbringer/db_bounce.h"
#include "budbringer/db_dashboard.h"
#include "budbringer/html.h"
#include "budbringer/model.h"

#include <string.h>

struct list_ui {
	const char *sup_title, *reason, *all, *filter, *when, *channel, *source, *evidence, *key,
		*lift, *lift_note, *none, *message, *confirm_title, *confirm_text, *confirm_button,
		*back, *lifted, *not_lifted, *in_title, *days, *number, *number_hint, *show, *no_in,
		*in, *out, *no_reply, *not_kept, *person, *intent, *limit_note;
	const char *reasons[5];
};

static const struct list_ui list_da = {
	.sup_title = "Sp\xc3\xa6rreliste", .reason = "\xc3\x85rsag", .all = "alle",
	.filter = "Vis", .when = "Tidspunkt", .channel = "Kanal", .source = "Kilde",
	.evidence = "Dokumentation", .key = "N\xc3\xb8gle", .lift = "Oph\xc3\xa6v",
	.lift_note = "Kun en sp\xc3\xa6rring efter en afvisning (bounce) kan oph\xc3\xa6ves af personalet; "
		"STOP, afmelding, klage og sletning kr\xc3\xa6ver personens eget nye samtykke.",
	.none = "Ingen sp\xc3\xa6rringer.", .message = "besked",
	.confirm_title = "Oph\xc3\xa6v sp\xc3\xa6rring",
	.confirm_text = "Adressen f\xc3\xa5r igen e-mails fra kampagner. Det skrives i revisionsloggen med dit navn.",
	.confirm_button = "Oph\xc3\xa6v sp\xc3\xa6rringen", .back = "Tilbage til listen",
	.lifted = "Sp\xc3\xa6rringen er oph\xc3\xa6vet og skrevet i revisionsloggen.",
	.not_lifted = "Sp\xc3\xa6rringen kunne ikke oph\xc3\xa6ves (den findes ikke l\xc3\xa6ngere, eller \xc3\xa5rsagen er ikke en afvisning).",
	.in_title = "Indg\xc3\xa5" "ende SMS", .days = "Dage", .number = "Nummer",
	.number_hint = "Et nummer i enhver skrivem\xc3\xa5" "de, eller tomt for alle.", .show = "Vis",
	.no_in = "Ingen indg\xc3\xa5" "ende SMS i perioden.", .in = "Ind", .out = "Svar",
	.no_reply = "intet svar", .not_kept = "(teksten gemmes ikke l\xc3\xa6ngere)", .person = "person",
	.intent = "hensigt", .limit_note = "Kun de nyeste samtaler vises.",
	.reasons = { "afvist (bounce)", "klage", "STOP", "afmeldt", "slettet" },
};

static const struct list_ui list_en = {
	.sup_title = "Suppression list", .reason = "Reason", .all = "all", .filter = "Show",
	.when = "Time", .channel = "Channel", .source = "Source", .evidence = "Evidence",
	.key = "Key", .lift = "Lift",
	.lift_note = "Only a suppression after a bounce may be lifted by staff; a STOP, an "
		"unsubscribe, a complaint or an erasure needs the person's own fresh consent.",
	.none = "No suppressions.", .message = "message", .confirm_title = "Lift a suppression",
	.confirm_text = "The address will get campaign email again. This is written to the audit log with your name.",
	.confirm_button = "Lift the suppression", .back = "Back to the list",
	.lifted = "The suppression is lifted and written to the audit log.",
	.not_lifted = "The suppression could not be lifted (it is gone, or its reason is not a bounce).",
	.in_title = "Inbound SMS", .days = "Days", .number = "Number",
	.number_hint = "A number in any written form, or empty for all.", .show = "Show",
	.no_in = "No inbound SMS in the period.", .in = "In", .out = "Reply",
	.no_reply = "no reply", .not_kept = "(the text is no longer kept)", .person = "person",
	.intent = "intent", .limit_note = "Only the newest conversations are shown.",
	.reasons = { "bounced", "complaint", "STOP", "unsubscribed", "erased" },
};

const char *const dashboard_suppression_reasons[6] = { "bounce", "complaint", "stop",
	"unsubscribed", "erased", NULL };

static const struct list_ui *list_ui(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &list_en : &list_da;
}

static const char *reason_name(const struct list_ui *u, const char *reason)
{
	for (int i = 0; dashboard_suppression_reasons[i]; i++)
		if (reason && !strcmp(reason, dashboard_suppression_reasons[i]))
			return u->reasons[i];
	return reason ? reason : "";
}

struct sup_page {
	struct sbuf *out;
	const struct list_ui *u;
	const char *csrf;
	int n;
};

static void evidence(struct sbuf *out, const struct list_ui *u, const struct suppression_row *r)
{
	char masked[128];

	if (!r->message_id) {
		sbuf_addstr(out, "-");
		return;
	}
	recipient_mask(r->channel, r->recipient, masked, sizeof(masked));
	sbuf_addf(out, "<a href=\"/dashboard/messages/%lld\">%s %lld</a> ", r->message_id, u->message,
		  r->message_id);
	html_escape(out, masked);
	if (r->feedback_type || r->status) {
		sbuf_addch(out, ' ');
		html_escape(out, r->feedback_type ? r->feedback_type : r->status);
	}
	if (r->diagnostic) {
		sbuf_addstr(out, "<br><small>");
		dashboard_masked_text(out, r->diagnostic);
		sbuf_addstr(out, "</small>");
	}
}

static bool liftable(const struct suppression_row *r)
{
	return !strcmp(r->reason, "bounce") && r->message_id && r->recipient &&
	       strcmp(r->recipient, "(erased)");
}

static int sup_row(const struct suppression_row *r, void *arg)
{
	struct sup_page *p = arg;
	char when[32];

	p->n++;
	dashboard_format_time(r->created_at, when, sizeof(when));
	sbuf_addstr(p->out, "<tr data-reason=\"");
	html_escape(p->out, r->reason);
	sbuf_addstr(p->out, "\" data-key=\"");
	html_escape(p->out, r->address_sha256);
	sbuf_addf(p->out, "\"><td data-label=\"%s\">%s</td><td data-label=\"%s\">", p->u->when, when,
		  p->u->channel);
	html_escape(p->out, r->channel);
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", p->u->reason);
	html_escape(p->out, reason_name(p->u, r->reason));
	sbuf_addf(p->out, "</td><td data-label=\"%s\"><code>", p->u->key);
	sbuf_add(p->out, r->address_sha256, strlen(r->address_sha256) > 12 ? 12 : strlen(r->address_sha256));
	sbuf_addf(p->out, "\xe2\x80\xa6</code></td><td data-label=\"%s\">", p->u->source);
	dashboard_masked_text(p->out, r->source ? r->source : "-");
	sbuf_addf(p->out, "</td><td data-label=\"%s\">", p->u->evidence);
	evidence(p->out, p->u, r);
	sbuf_addstr(p->out, "</td><td class=\"actions\">");
	if (liftable(r)) {
		sbuf_addstr(p->out, "<form method=\"post\" action=\"/dashboard/suppressions/lift\" "
			    "class=\"inline\">");
		dashboard_csrf_field(p->out, p->csrf);
		sbuf_addstr(p->out, "<input type=\"hidden\" name=\"key\" value=\"");
		html_escape(p->out, r->address_sha256);
		sbuf_addf(p->out, "\"><input type=\"hidden\" name=\"channel\" value=\"%s\">"
			  "<button type=\"submit\" class=\"small\" data-lift=\"%lld\">%s</button></form>",
			  !strcmp(r->channel, "sms") ? "sms" : "email", r->message_id, p->u->lift);
	}
	sbuf_addstr(p->out, "</td></tr>\n");
	return 0;
}

int dashboard_suppressions_page(struct sbuf *out, struct db *db, const char *user,
				const char *lang, const char *csrf, const char *reason,
				const char *notice)
{
	const struct list_ui *u = list_ui(lang);
	struct sup_page p = { .out = out, .u = u, .csrf = csrf };
	int rc;

	dashboard_page_begin(out, lang, u->sup_title, user, csrf, "/dashboard/suppressions");
	sbuf_addf(out, "<h1>%s</h1>", u->sup_title);
	if (notice)
		sbuf_addf(out, "<p class=\"notice\" role=\"status\" id=\"notice\">%s</p>",
			  !strcmp(notice, "lifted") ? u->lifted : u->not_lifted);
	sbuf_addf(out, "<form method=\"get\" action=\"/dashboard/suppressions\" class=\"filters\">"
		  "<div class=\"field\"><label for=\"reason\">%s</label><select id=\"reason\" "
		  "name=\"reason\"><option value=\"\">%s</option>", u->reason, u->all);
	for (int i = 0; dashboard_suppression_reasons[i]; i++)
		sbuf_addf(out, "<option value=\"%s\"%s>%s</option>", dashboard_suppression_reasons[i],
			  reason && !strcmp(reason, dashboard_suppression_reasons[i]) ? " selected" : "",
			  u->reasons[i]);
	sbuf_addf(out, "</select></div><div class=\"buttons\"><button type=\"submit\">%s</button>"
		  "</div></form><p><small>%s</small></p>", u->filter, u->lift_note);
	sbuf_addf(out, "<section id=\"suppressions\"><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		  "<th scope=\"col\"><span class=\"sr\">%s</span></th></tr></thead><tbody>", u->when,
		  u->channel, u->reason, u->key, u->source, u->evidence, u->lift);
	rc = db_suppression_each(db, reason, 500, sup_row, &p);
	sbuf_addstr(out, "</tbody></table></div>");
	if (!p.n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->none);
	sbuf_addstr(out, "</section>\n");
	dashboard_page_end(out);
	return rc < 0 ? -1 : 0;
}

void dashboard_lift_confirm_page(struct sbuf *out, const char *user, const char *lang,
				 const char *csrf, const struct suppression_row *r)
{
	const struct list_ui *u = list_ui(lang);

	dashboard_page_begin(out, lang, u->confirm_title, user, csrf, "/dashboard/suppressions");
	sbuf_addf(out, "<h1>%s</h1><section id=\"confirm\"><p>", u->confirm_title);
	evidence(out, u, r);
	sbuf_addf(out, "</p><p class=\"warn\">%s</p><form method=\"post\" "
		  "action=\"/dashboard/suppressions/lift\">", u->confirm_text);
	dashboard_csrf_field(out, csrf);
	sbuf_addstr(out, "<input type=\"hidden\" name=\"key\" value=\"");
	html_escape(out, r->address_sha256);
	sbuf_addf(out, "\"><input type=\"hidden\" name=\"channel\" value=\"%s\">"
		  "<input type=\"hidden\" name=\"confirm\" value=\"yes\"><button type=\"submit\" "
		  "class=\"ok\" id=\"lift-confirm\">%s</button> <a href=\"/dashboard/suppressions\">%s</a>"
		  "</form></section>\n", !strcmp(r->channel, "sms") ? "sms" : "email",
		  u->confirm_button, u->back);
	dashboard_page_end(out);
}

/* ---------------------------------------------------------------- inbound --- */

struct in_page {
	struct sbuf *out;
	const struct list_ui *u;
	long long keep_since;      /* texts older than this are not shown */
	char sender[64];
	int n, limit;
};

static void close_thread(struct in_page *p)
{
	if (p->sender[0])
		sbuf_addstr(p->out, "</ol></section>\n");
}

static int turn(const struct inbound_turn *t, void *arg)
{
	struct in_page *p = arg;
	char when[32], masked[96];
	bool kept = t->received_at >= p->keep_since;

	p->n++;
	if (strcmp(p->sender, t->sender)) {
		close_thread(p);
		(void)bsnprintf(p->sender, sizeof(p->sender), "%s", t->sender);
		recipient_mask("sms", t->sender, masked, sizeof(masked));
		sbuf_addstr(p->out, "<section class=\"thread\" data-sender=\"");
		html_escape(p->out, masked);
		sbuf_addstr(p->out, "\"><h2>");
		html_escape(p->out, masked);
		if (t->subscriber_id)
			sbuf_addf(p->out, " <small><a href=\"/dashboard/subscribers/%lld\">%s #%lld</a></small>",
				  t->subscriber_id, p->u->person, t->subscriber_id);
		sbuf_addstr(p->out, "</h2><ol class=\"conversation\">");
	}
	dashboard_format_seconds(t->received_at, when, sizeof(when));
	sbuf_addf(p->out, "<li class=\"in\" data-inbound=\"%lld\"><small>%s \xc2\xb7 %s \xc2\xb7 %s: ",
		  t->id, p->u->in, when, p->u->intent);
	html_escape(p->out, t->intent ? t->intent : "-");
	sbuf_addstr(p->out, "</small><p dir=\"auto\">");
	html_escape(p->out, kept && t->text ? t->text : p->u->not_kept);
	sbuf_addstr(p->out, "</p></li>");
	sbuf_addf(p->out, "<li class=\"out\"><small>%s", p->u->out);
	if (t->reply_id) {
		sbuf_addf(p->out, " \xc2\xb7 <a href=\"/dashboard/messages/%lld\">", t->reply_id);
		html_escape(p->out, t->reply_state ? t->reply_state : "");
		sbuf_addstr(p->out, "</a></small><p dir=\"auto\">");
		html_escape(p->out, kept && t->reply_body ? t->reply_body : p->u->not_kept);
		sbuf_addstr(p->out, "</p></li>");
	} else {
		sbuf_addf(p->out, ": %s</small></li>", p->u->no_reply);
	}
	return 0;
}

int dashboard_inbound_page(struct sbuf *out, struct db *db, const struct config *cfg,
			   const char *user, const char *lang, const char *csrf, int days,
			   const char *number_text, const char *number, long long now)
{
	const struct list_ui *u = list_ui(lang);
	struct in_page p = { .out = out, .u = u, .limit = 500,
			     .keep_since = now - (long long)cfg->retention_days * 86400 };
	int rc;

	dashboard_page_begin(out, lang, u->in_title, user, csrf, "/dashboard/inbound");
	sbuf_addf(out, "<h1>%s</h1><form method=\"get\" action=\"/dashboard/inbound\" "
		  "class=\"filters\"><div class=\"field\"><label for=\"days\">%s</label><input "
		  "id=\"days\" name=\"days\" type=\"number\" min=\"1\" max=\"%d\" value=\"%d\"></div>"
		  "<div class=\"field\"><label for=\"number\">%s</label><input id=\"number\" "
		  "name=\"number\" type=\"search\" autocomplete=\"off\" aria-describedby=\"number-hint\" "
		  "value=\"", u->in_title, u->days, cfg->retention_days, days, u->number);
	html_escape(out, number_text ? number_text : "");
	sbuf_addf(out, "\"><small id=\"number-hint\">%s</small></div><div class=\"buttons\">"
		  "<button type=\"submit\">%s</button></div></form>\n", u->number_hint, u->show);
	rc = db_dashboard_inbound(db, now - (long long)days * 86400, number, p.limit, turn, &p);
	close_thread(&p);
	if (!p.n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_in);
	else if (p.n == p.limit)
		sbuf_addf(out, "<p><small>%s</small></p>", u->limit_note);
	dashboard_page_end(out);
	return rc < 0 ? -1 : 0;
}
