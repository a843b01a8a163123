/* SPDX-License-Identifier: MIT */
/*
 * The people pages: the look-up form, one person (status, language,
 * interests, consent per channel and its history, masked unless a staff
 * member asked to see the addresses — audited by the caller), the GDPR
 * export and erase forms, and the erase's confirmation step.
 */
#include "budbringer/dashboard.h"
#include "budbringer/db_report.h"
#include "budbringer/html.h"
#include "budbringer/model.h"

#include <string.h>

struct people_ui {
	const char *title, *lookup, *q_label, *q_hint, *find, *not_found, *person, *status,
		*lang, *born, *band, *interests, *everything, *phone, *email, *consent, *yes, *no,
		*created, *show, *history, *when, *channel, *action, *source, *evidence, *none,
		*gdpr, *export_, *export_note, *erase, *erase_note, *confirm_title, *confirm_text,
		*confirm_label, *confirm_button, *back, *erased_title, *log_link,
		*unknown;
	const char *statuses[3];
	const char *actions[4];
};

static const char *const status_codes[3] = { "pending", "active", "unsubscribed" };
static const char *const action_codes[4] = { "grant", "revoke", "request", "suppress" };

static const struct people_ui people_da = {
	.title = "Personer", .lookup = "Find en person", .q_label = "Telefon eller e-mail",
	.q_hint = "Et nummer i enhver skrivem\xc3\xa5" "de (20 12 34 56, +45 20123456) eller en e-mailadresse.",
	.find = "Find", .not_found = "Ingen person med det nummer eller den adresse.",
	.person = "Person", .status = "Status", .lang = "Sprog", .born = "F\xc3\xb8" "dt",
	.band = "Aldersgruppe", .interests = "Interesser", .everything = "alt",
	.phone = "Telefon", .email = "E-mail", .consent = "Samtykke", .yes = "ja", .no = "nej",
	.created = "Oprettet", .show = "Vis adresser", .history = "Samtykkehistorik",
	.when = "Tidspunkt", .channel = "Kanal", .action = "Handling", .source = "Kilde",
	.evidence = "Dokumentation", .none = "Ingen r\xc3\xa6kker.", .gdpr = "GDPR",
	.export_ = "Hent alle data (JSON)",
	.export_note = "Alt, der er gemt om personen. Udleveringen skrives i revisionsloggen med dit navn.",
	.erase = "Slet personen\xe2\x80\xa6",
	.erase_note = "Sletter personen, interesser og samtykkelog. Beskeder bliver anonyme tal; "
		"nummer og adresse bliver kun som hash p\xc3\xa5 sp\xc3\xa6rrelisten.",
	.confirm_title = "Bekr\xc3\xa6" "ft sletning",
	.confirm_text = "Personen og alt, der er gemt om vedkommende, slettes. Det kan ikke fortrydes.",
	.confirm_label = "Skriv ERASE for at bekr\xc3\xa6" "fte", .confirm_button = "Slet for altid",
	.back = "Tilbage til personen", .erased_title = "Slettet",
	.log_link = "Personens beskeder i leveringsloggen", .unknown = "ukendt",
	.statuses = { "afventer bekr\xc3\xa6" "ftelse", "aktiv", "afmeldt" },
	.actions = { "givet", "tilbagekaldt", "anmodet", "sp\xc3\xa6rret" },
};

static const struct people_ui people_en = {
	.title = "People", .lookup = "Find a person", .q_label = "Phone or email",
	.q_hint = "A number in any written form (20 12 34 56, +45 20123456) or an email address.",
	.find = "Find", .not_found = "Nobody with that number or address.",
	.person = "Person", .status = "Status", .lang = "Language", .born = "Born",
	.band = "Age band", .interests = "Interests", .everything = "everything",
	.phone = "Phone", .email = "Email", .consent = "Consent", .yes = "yes", .no = "no",
	.created = "Created", .show = "Show addresses", .history = "Consent history",
	.when = "Time", .channel = "Channel", .action = "Action", .source = "Source",
	.evidence = "Evidence", .none = "No rows.", .gdpr = "GDPR",
	.export_ = "Download all data (JSON)",
	.export_note = "Everything held about the person. The export is written to the audit log with your name.",
	.erase = "Erase the person\xe2\x80\xa6",
	.erase_note = "Deletes the person, their interests and consent log. Messages stay as anonymous "
		"counts; phone and email stay only as hashes on the suppression list.",
	.confirm_title = "Confirm erasure",
	.confirm_text = "The person and everything held about them will be erased. This cannot be undone.",
	.confirm_label = "Type ERASE to confirm", .confirm_button = "Erase for good",
	.back = "Back to the person", .erased_title = "Erased",
	.log_link = "The person's messages in the delivery log", .unknown = "unknown",
	.statuses = { "waiting for confirmation", "active", "unsubscribed" },
	.actions = { "granted", "revoked", "requested", "suppressed" },
};

static const struct people_ui *people_ui(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &people_en : &people_da;
}

static const char *word(const char *const *codes, const char *const *words, size_t n,
			const char *code)
{
	for (size_t i = 0; i < n; i++)
		if (code && !strcmp(code, codes[i]))
			return words[i];
	return code ? code : "";
}

static void lookup_form(struct sbuf *out, const struct people_ui *u, const char *q)
{
	sbuf_addf(out, "<section id=\"lookup\"><h2>%s</h2><form method=\"get\" "
		  "action=\"/dashboard/subscribers\" class=\"filters\"><div class=\"field\">"
		  "<label for=\"q\">%s</label><input id=\"q\" name=\"q\" type=\"search\" "
		  "autocomplete=\"off\" aria-describedby=\"q-hint\" value=\"", u->lookup, u->q_label);
	html_escape(out, q ? q : "");
	sbuf_addf(out, "\"><small id=\"q-hint\">%s</small></div><div class=\"buttons\">"
		  "<button type=\"submit\" id=\"find\">%s</button></div></form></section>\n", u->q_hint,
		  u->find);
}

void dashboard_people_page(struct sbuf *out, const char *user, const char *lang, const char *csrf,
			   const char *q, bool not_found)
{
	const struct people_ui *u = people_ui(lang);

	dashboard_page_begin(out, lang, u->title, user, csrf, "/dashboard/subscribers");
	sbuf_addf(out, "<h1>%s</h1>", u->title);
	lookup_form(out, u, q);
	if (not_found)
		sbuf_addf(out, "<p class=\"notice\" role=\"status\" id=\"not-found\">%s</p>", u->not_found);
	dashboard_page_end(out);
}

/* A consent source shows its address only when unmasked ("sms:+45…"). */
static void source_text(struct sbuf *out, const char *source, bool unmasked)
{
	char masked[128];
	const char *colon = source ? strchr(source, ':') : NULL;

	if (!source) {
		sbuf_addstr(out, "-");
		return;
	}
	if (!unmasked && colon && (!strncmp(source, "sms:", 4) || !strncmp(source, "email:", 6))) {
		recipient_mask(!strncmp(source, "sms:", 4) ? "sms" : "email", colon + 1, masked,
			       sizeof(masked));
		sbuf_add(out, source, (size_t)(colon - source) + 1);
		html_escape(out, masked);
		return;
	}
	html_escape(out, source);
}

/* Free text may hold an address: shown only when unmasked. */
static void evidence_text(struct sbuf *out, const char *evidence, bool unmasked)
{
	if (!evidence || !*evidence)
		sbuf_addstr(out, "-");
	else if (unmasked)
		html_escape(out, evidence);
	else
		dashboard_masked_text(out, evidence);
}

struct hist {
	struct sbuf *out;
	const struct people_ui *u;
	bool unmasked;
	int n;
};

static int history_row(const struct consent_row *r, void *arg)
{
	struct hist *h = arg;
	char when[32];

	h->n++;
	dashboard_format_seconds(r->at, when, sizeof(when));
	sbuf_addf(h->out, "<tr data-channel=\"%s\" data-action=\"%s\"><td data-label=\"%s\">%s</td>"
		  "<td data-label=\"%s\">", !strcmp(r->channel ? r->channel : "", "sms") ? "sms" : "email",
		  word(action_codes, action_codes, 4, r->action), h->u->when, when, h->u->channel);
	html_escape(h->out, r->channel);
	sbuf_addf(h->out, "</td><td data-label=\"%s\">", h->u->action);
	html_escape(h->out, word(action_codes, h->u->actions, 4, r->action));
	sbuf_addf(h->out, "</td><td data-label=\"%s\">", h->u->source);
	source_text(h->out, r->source, h->unmasked);
	sbuf_addf(h->out, "</td><td data-label=\"%s\">", h->u->evidence);
	evidence_text(h->out, r->evidence, h->unmasked);
	sbuf_addstr(h->out, "</td></tr>\n");
	return 0;
}

static void address(struct sbuf *out, const char *channel, const char *addr, bool unmasked)
{
	char masked[128];

	if (!addr) {
		sbuf_addstr(out, "-");
		return;
	}
	recipient_mask(channel, addr, masked, sizeof(masked));
	sbuf_addf(out, "<span class=\"addr\" id=\"addr-%s\">", channel);
	html_escape(out, unmasked ? addr : masked);
	sbuf_addstr(out, "</span>");
}

static void post_form(struct sbuf *out, const char *csrf, long long id, const char *what,
		      const char *label, const char *cls, const char *extra)
{
	sbuf_addf(out, "<form method=\"post\" action=\"/dashboard/subscribers/%lld%s%s\" "
		  "class=\"inline\">", id, *what ? "/" : "", what);
	dashboard_csrf_field(out, csrf);
	sbuf_addf(out, "%s<button type=\"submit\" class=\"%s\" id=\"%s\">%s</button></form>",
		  extra ? extra : "", cls, *what ? what : "unmask", label);
}

int dashboard_person_page(struct sbuf *out, struct db *db, const char *user, const char *lang,
			  const char *csrf, long long id, bool unmasked, long long now)
{
	const struct people_ui *u = people_ui(lang);
	struct subscriber s;
	struct hist h = { .out = out, .u = u, .unmasked = unmasked };
	char title[64], back[64], when[32];
	int rc = db_subscriber_get(db, id, &s);

	if (rc)
		return rc < 0 ? -1 : 1;
	(void)bsnprintf(title, sizeof(title), "%s #%lld", u->person, id);
	(void)bsnprintf(back, sizeof(back), "/dashboard/subscribers/%lld", id);
	dashboard_page_begin(out, lang, title, user, csrf, back);
	sbuf_addf(out, "<h1>%s</h1>", title);
	lookup_form(out, u, NULL);
	sbuf_addf(out, "<section id=\"person\" class=\"%s\"><h2>%s</h2><dl class=\"facts\">",
		  unmasked ? "unmasked" : "masked", title);
	sbuf_addf(out, "<dt>%s</dt><dd id=\"status\" data-status=\"%s\">%s</dd>", u->status, s.status,
		  word(status_codes, u->statuses, 3, s.status));
	sbuf_addf(out, "<dt>%s</dt><dd id=\"lang\">", u->lang);
	html_escape(out, s.lang);
	sbuf_addf(out, "</dd><dt>%s</dt><dd>", u->born);
	if (s.birth_year > 0)
		sbuf_addf(out, "%d (%s %s)", s.birth_year, u->band,
			  report_band_code(report_age_band(s.birth_year, model_year(now))));
	else
		sbuf_addstr(out, u->unknown);
	sbuf_addf(out, "</dd><dt>%s</dt><dd id=\"interests\">", u->interests);
	for (size_t i = 0; s.interests[i]; i++) {
		sbuf_addstr(out, i ? ", " : "");
		html_escape(out, s.interests[i]);
	}
	sbuf_addf(out, "%s</dd><dt>%s</dt><dd>", s.interests[0] ? "" : u->everything, u->phone);
	address(out, "sms", s.phone, unmasked);
	sbuf_addf(out, " \xc2\xb7 %s: <b id=\"consent-sms\">%s</b></dd><dt>%s</dt><dd>", u->consent,
		  s.consent[CHANNEL_SMS] ? u->yes : u->no, u->email);
	address(out, "email", s.email, unmasked);
	sbuf_addf(out, " \xc2\xb7 %s: <b id=\"consent-email\">%s</b></dd>", u->consent,
		  s.consent[CHANNEL_EMAIL] ? u->yes : u->no);
	dashboard_format_time(s.created_at, when, sizeof(when));
	sbuf_addf(out, "<dt>%s</dt><dd>%s</dd></dl>", u->created, when);
	if (!unmasked && (s.phone || s.email))
		post_form(out, csrf, id, "", u->show, "small", "<input type=\"hidden\" name=\"unmask\" "
			  "value=\"1\">");
	sbuf_addf(out, "<p><a href=\"/dashboard/log?subscriber=%lld\">%s</a></p></section>\n", id,
		  u->log_link);

	sbuf_addf(out, "<section id=\"history\"><h2>%s</h2><div class=\"scroll\"><table><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
		  "<th scope=\"col\">%s</th><th scope=\"col\">%s</th></tr></thead><tbody>", u->history,
		  u->when, u->channel, u->action, u->source, u->evidence);
	rc = db_consent_each(db, id, history_row, &h);
	sbuf_addstr(out, "</tbody></table></div>");
	if (!h.n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->none);
	sbuf_addstr(out, "</section>\n");

	sbuf_addf(out, "<section id=\"gdpr\"><h2>%s</h2><p>", u->gdpr);
	post_form(out, csrf, id, "export", u->export_, "ok", NULL);
	sbuf_addf(out, " <small>%s</small></p><p>", u->export_note);
	post_form(out, csrf, id, "erase", u->erase, "danger", NULL);
	sbuf_addf(out, " <small>%s</small></p></section>\n", u->erase_note);
	dashboard_page_end(out);
	subscriber_release(&s);
	return rc < 0 ? -1 : 0;
}

void dashboard_erase_confirm_page(struct sbuf *out, const char *user, const char *lang,
				  const char *csrf, long long id)
{
	const struct people_ui *u = people_ui(lang);
	char back[64];

	(void)bsnprintf(back, sizeof(back), "/dashboard/subscribers/%lld", id);
	dashboard_page_begin(out, lang, u->confirm_title, user, csrf, back);
	sbuf_addf(out, "<h1>%s: %s #%lld</h1><section id=\"confirm\"><p class=\"warn\">%s</p>"
		  "<form method=\"post\" action=\"/dashboard/subscribers/%lld/erase\">", u->confirm_title,
		  u->person, id, u->confirm_text, id);
	dashboard_csrf_field(out, csrf);
	sbuf_addf(out, "<div class=\"field\"><label for=\"confirm-word\">%s</label>"
		  "<input id=\"confirm-word\" name=\"confirm\" autocomplete=\"off\" required "
		  "pattern=\"ERASE\"></div><p><button type=\"submit\" class=\"danger\" "
		  "id=\"erase-confirm\">%s</button> <a href=\"%s\">%s</a></p></form></section>\n",
		  u->confirm_label, u->confirm_button, back, u->back);
	dashboard_page_end(out);
}

void dashboard_erased_page(struct sbuf *out, const char *user, const char *lang, const char *csrf,
			   long long id, long long messages, long long inbound, const char *warn)
{
	const struct people_ui *u = people_ui(lang);

	dashboard_page_begin(out, lang, u->erased_title, user, csrf, "/dashboard/subscribers");
	sbuf_addf(out, "<h1>%s</h1><p class=\"notice\" role=\"status\" id=\"erased\">", u->erased_title);
	if (u == &people_en)
		sbuf_addf(out, "Person %lld is erased: %lld messages and %lld inbound SMS are now "
			  "anonymous counts.", id, messages, inbound);
	else
		sbuf_addf(out, "Person %lld er slettet: %lld beskeder og %lld indg\xc3\xa5" "ende SMS er "
			  "nu anonyme tal.", id, messages, inbound);
	sbuf_addstr(out, "</p>");
	if (warn && *warn) {
		sbuf_addstr(out, "<p class=\"warn\">");
		html_escape(out, warn);
		sbuf_addstr(out, "</p>");
	}
	lookup_form(out, u, NULL);
	dashboard_page_end(out);
}
