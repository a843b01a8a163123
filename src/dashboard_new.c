/* SPDX-License-Identifier: MIT */
/*
 * The new-campaign page: a form (opportunity, channels, ages, languages,
 * interests, optional texts per language, send time) and, after
 * "preview", the dry run of campaign_dry_run() — the validation the CLI
 * and the API use — per language: the rendered SMS and email, GSM-7 or
 * UCS-2 with the characters that caused it, parts and characters left;
 * recipients per channel, how many the frequency cap, the suppression
 * list or quiet hours hold; the cost estimate. "Schedule" posts the same
 * form to campaign_create().
 */
#include "budbringer/campaign.h"
#include "budbringer/cost.h"
#include "budbringer/dashboard.h"
#include "budbringer/gsm.h"
#include "budbringer/html.h"

#include <string.h>
#include <time.h>

struct new_ui {
	const char *title, *opportunity, *choose, *channels, *ages, *min_age, *max_age, *ages_hint,
		*langs, *langs_hint, *interests, *interests_hint, *texts, *texts_hint, *send_at,
		*send_hint, *preview, *schedule, *preview_title, *lang, *sms, *email, *capped,
		*suppressed, *cost, *total, *coding, *part, *parts, *chars, *left, *subject, *recipients,
		*quiet, *no_match, *problem, *none_open, *cost_note;
};

static const struct new_ui new_da = {
	.title = "Ny kampagne", .opportunity = "Mulighed", .choose = "V\xc3\xa6lg en mulighed",
	.channels = "Kanaler", .ages = "Alder", .min_age = "Fra alder", .max_age = "Til alder",
	.ages_hint = "Tomt: ingen gr\xc3\xa6nse.", .langs = "Sprog",
	.langs_hint = "Ingen valgt: alle sprog.", .interests = "Interesser",
	.interests_hint = "Ingen valgt: mulighedens interesser.", .texts = "Egne SMS-tekster",
	.texts_hint = "Valgfrit, pr. sprog. Pladsholdere: {title} {summary} {url} {association} "
		"{starts_at} {location} {stop}.",
	.send_at = "Send fra", .send_hint = "Tomt: med det samme.", .preview = "Forh\xc3\xa5ndsvis",
	.schedule = "Planl\xc3\xa6g kampagnen", .preview_title = "Forh\xc3\xa5ndsvisning",
	.lang = "Sprog", .sms = "SMS", .email = "E-mail", .capped = "Holdt af loftet",
	.suppressed = "Sp\xc3\xa6rret", .cost = "Pris", .total = "I alt", .coding = "Kodning",
	.part = "del", .parts = "dele", .chars = "tegn", .left = "tegn tilbage i sidste del", .subject = "Emne",
	.recipients = "Modtagere",
	.quiet = "Sendetidspunktet er i stilletiden: SMS venter i k\xc3\xb8" "en til",
	.no_match = "Ingen modtagere passer.", .problem = "Kampagnen kan ikke oprettes:",
	.none_open = "Ingen offentliggjorte muligheder.",
	.cost_note = "Anslag: modtagere \xc3\x97 dele \xc3\x97 pris pr. del hos udbyderen.",
};

static const struct new_ui new_en = {
	.title = "New campaign", .opportunity = "Opportunity", .choose = "Choose an opportunity",
	.channels = "Channels", .ages = "Ages", .min_age = "From age", .max_age = "To age",
	.ages_hint = "Empty: no bound.", .langs = "Languages", .langs_hint = "None chosen: every language.",
	.interests = "Interests", .interests_hint = "None chosen: the opportunity's interests.",
	.texts = "Own SMS texts",
	.texts_hint = "Optional, per language. Placeholders: {title} {summary} {url} {association} "
		"{starts_at} {location} {stop}.",
	.send_at = "Send from", .send_hint = "Empty: at once.", .preview = "Preview",
	.schedule = "Schedule the campaign", .preview_title = "Preview", .lang = "Language",
	.sms = "SMS", .email = "Email", .capped = "Held by the cap", .suppressed = "Suppressed",
	.cost = "Cost", .total = "Total", .coding = "Coding", .part = "part", .parts = "parts", .chars = "characters",
	.left = "characters left in the last part", .subject = "Subject", .recipients = "Recipients",
	.quiet = "The send time is in quiet hours: the SMS wait in the queue until",
	.no_match = "No recipient matches.", .problem = "The campaign cannot be created:",
	.none_open = "No published opportunities.",
	.cost_note = "Estimate: recipients \xc3\x97 parts \xc3\x97 the provider's price per part.",
};

static const struct new_ui *new_ui(const char *lang)
{
	return !strcmp(dashboard_lang(lang), "en") ? &new_en : &new_da;
}

struct opp_list {
	struct sbuf *out;
	const char *lang;
	long long selected;
	int n;
};

static int opp_option(const struct opportunity *o, void *arg)
{
	struct opp_list *l = arg;
	const struct opportunity_text *t;
	if (strcmp(o->status, "published"))
		return 0;
	t = opportunity_text(o, l->lang);
	if (!t)
		t = opportunity_text(o, "da");
	if (!t && o->n_texts)
		t = &o->texts[0];
	l->n++;
	sbuf_addf(l->out, "<option value=\"%lld\"%s>#%lld ", o->id, o->id == l->selected ?
		  " selected" : "", o->id);
	html_escape(l->out, t ? t->title : "");
	if (o->association) {
		sbuf_addstr(l->out, " \xe2\x80\x93 ");
		html_escape(l->out, o->association);
	}
	sbuf_addstr(l->out, "</option>");
	return 0;
}

static void checkbox(struct sbuf *out, const char *name, const char *label, bool on,
		     const char *label_lang)
{
	sbuf_addf(out, "<label class=\"check\"><input type=\"checkbox\" name=\"%s\" value=\"1\"%s>",
		  name, on ? " checked" : "");
	if (label_lang)
		sbuf_addf(out, "<span lang=\"%s\">", label_lang);
	html_escape(out, label);
	sbuf_addstr(out, label_lang ? "</span></label>" : "</label>");
}

static void text_input(struct sbuf *out, const char *type, const char *id, const char *label,
		       const char *value, const char *extra)
{
	sbuf_addf(out, "<div class=\"field\"><label for=\"%s\">%s</label><input type=\"%s\" id=\"%s\" "
		  "name=\"%s\"%s value=\"", id, label, type, id, id, extra ? extra : "");
	html_escape(out, value ? value : "");
	sbuf_addstr(out, "\"></div>");
}

static int form(struct sbuf *out, struct db *db, const struct config *cfg, const char *lang,
		const char *csrf, const struct new_campaign_form *f)
{
	const struct new_ui *u = new_ui(lang);
	struct opp_list l = { .out = out, .lang = dashboard_lang(lang), .selected = f->opportunity_id };
	char name[48];

	sbuf_addstr(out, "<form method=\"post\" action=\"/dashboard/campaigns/new\" id=\"new-campaign\">");
	dashboard_csrf_field(out, csrf);
	sbuf_addf(out, "<section><div class=\"field\"><label for=\"opportunity\">%s</label>"
		  "<select id=\"opportunity\" name=\"opportunity\" required><option value=\"\">%s"
		  "</option>", u->opportunity, u->choose);
	if (db_opportunity_each(db, opp_option, &l) < 0)
		return -1;
	sbuf_addstr(out, "</select></div>");
	if (!l.n)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->none_open);
	sbuf_addf(out, "<fieldset><legend>%s</legend>", u->channels);
	checkbox(out, "ch_sms", u->sms, f->channels[CHANNEL_SMS], NULL);
	checkbox(out, "ch_email", u->email, f->channels[CHANNEL_EMAIL], NULL);
	sbuf_addf(out, "</fieldset><fieldset><legend>%s</legend><div class=\"filters\">", u->ages);
	text_input(out, "number", "min_age", u->min_age, f->min_age, " min=\"0\" max=\"120\"");
	text_input(out, "number", "max_age", u->max_age, f->max_age, " min=\"0\" max=\"120\"");
	sbuf_addf(out, "</div><small>%s</small></fieldset><fieldset><legend>%s</legend>", u->ages_hint,
		  u->langs);
	for (size_t i = 0; cfg->languages[i]; i++) {
		(void)bsnprintf(name, sizeof(name), "lang_%s", cfg->languages[i]);
		checkbox(out, name, cfg->languages[i], f->langs[i], cfg->languages[i]);
	}
	sbuf_addf(out, "<small>%s</small></fieldset><fieldset><legend>%s</legend>", u->langs_hint,
		  u->interests);
	for (size_t i = 0; i < cfg->n_interests && i < NEW_CAMPAIGN_MAX_INTERESTS; i++) {
		(void)bsnprintf(name, sizeof(name), "interest_%s", cfg->interests[i].code);
		checkbox(out, name, cfg->interests[i].code, f->interests[i], NULL);
	}
	sbuf_addf(out, "<small>%s</small></fieldset>", u->interests_hint);
	sbuf_addf(out, "<details%s><summary>%s</summary><p><small>%s</small></p>",
		  f->n_texts ? " open" : "", u->texts, u->texts_hint);
	for (size_t i = 0; cfg->languages[i]; i++) {
		(void)bsnprintf(name, sizeof(name), "text_%s", cfg->languages[i]);
		sbuf_addf(out, "<div class=\"field\"><label for=\"%s\">%s <span lang=\"%s\">%s</span>"
			  "</label><textarea id=\"%s\" name=\"%s\" rows=\"2\" dir=\"auto\" lang=\"%s\">",
			  name, u->sms, cfg->languages[i], cfg->languages[i], name, name,
			  cfg->languages[i]);
		html_escape(out, f->texts[i] ? f->texts[i] : "");
		sbuf_addstr(out, "</textarea></div>");
	}
	sbuf_addstr(out, "</details>");
	text_input(out, "datetime-local", "send_at", u->send_at, f->send_at, " aria-describedby=\"send-hint\"");
	sbuf_addf(out, "<small id=\"send-hint\">%s</small></section><p class=\"buttons\">"
		  "<button type=\"submit\" name=\"action\" value=\"preview\" id=\"preview\">%s</button> "
		  "<button type=\"submit\" name=\"action\" value=\"schedule\" class=\"ok\" id=\"schedule\">"
		  "%s</button></p></form>\n", u->send_hint, u->preview, u->schedule);
	return 0;
}

/* Characters left in the last part, as the gateway will split the text. */
static size_t chars_left(const struct gsm_info *g)
{
	size_t single = g->coding == GSM_CODING_GSM7 ? GSM_SEPTETS_SINGLE : GSM_UCS2_SINGLE;
	size_t part = g->coding == GSM_CODING_GSM7 ? GSM_SEPTETS_PART : GSM_UCS2_PART;
	size_t room = g->segments <= 1 ? single : (size_t)g->segments * part;

	return room > g->units ? room - g->units : 0;
}

static void rendered(struct sbuf *out, const struct new_ui *u, const char *lang,
		     const struct rendered *rd)
{
	sbuf_addf(out, "<article class=\"rendered\" data-lang=\"%s\"><h3><span lang=\"%s\">%s</span>"
		  "</h3><p><b>%s</b> \xc2\xb7 <span class=\"coding\">%s</span> \xc2\xb7 "
		  "<span class=\"parts\">%u</span> %s \xc2\xb7 %zu %s \xc2\xb7 "
		  "<span class=\"left\">%zu</span> %s</p><pre class=\"sms\" dir=\"auto\" lang=\"%s\">",
		  rd->lang, rd->lang, rd->lang, u->sms,
		  rd->gsm.coding == GSM_CODING_UCS2 ? "UCS-2" : "GSM-7", rd->gsm.segments,
		  rd->gsm.segments == 1 ? u->part : u->parts,
		  rd->gsm.units, u->chars, chars_left(&rd->gsm), u->left, rd->lang);
	html_escape(out, rd->sms);
	sbuf_addstr(out, "</pre>");
	dashboard_ucs2_warning(out, lang, rd->sms);
	sbuf_addf(out, "<p><b>%s</b> \xc2\xb7 %s: <span dir=\"auto\" lang=\"%s\" class=\"subject\">",
		  u->email, u->subject, rd->lang);
	html_escape(out, rd->subject);
	sbuf_addf(out, "</span></p><pre class=\"email\" dir=\"auto\" lang=\"%s\">", rd->lang);
	html_escape(out, rd->email);
	sbuf_addstr(out, "</pre></article>\n");
}

static void preview(struct sbuf *out, const struct config *cfg, const char *lang,
		    const struct campaign_dry_run *d)
{
	const struct new_ui *u = new_ui(lang);
	char point = u == &new_en ? '.' : ',', amount[32], when[32];
	long long tot[5] = { 0, 0, 0, 0, 0 }, cost = 0;

	sbuf_addf(out, "<section id=\"preview-result\" aria-labelledby=\"preview-h\"><h2 "
		  "id=\"preview-h\">%s</h2>", u->preview_title);
	for (size_t i = 0; i < d->rendered.n; i++)
		rendered(out, u, lang, &d->rendered.v[i]);
	sbuf_addf(out, "<div class=\"scroll\"><table id=\"audience\"><caption>%s</caption><thead><tr>"
		  "<th scope=\"col\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		  "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s</th>"
		  "<th scope=\"col\" class=\"num\">%s</th><th scope=\"col\" class=\"num\">%s (%s)</th>"
		  "</tr></thead><tbody>", u->recipients, u->lang, u->sms, u->email, u->capped,
		  u->suppressed, u->cost, cfg->sms.currency);
	for (size_t i = 0; i < d->n_langs; i++) {
		long long c = campaign_dry_run_cost(cfg, d, i);
		long long capped = d->langs[i].capped[0] + d->langs[i].capped[1];
		long long sup = d->langs[i].suppressed[0] + d->langs[i].suppressed[1];

		tot[0] += d->langs[i].matched[CHANNEL_SMS];
		tot[1] += d->langs[i].matched[CHANNEL_EMAIL];
		tot[2] += capped;
		tot[3] += sup;
		cost += c;
		(void)cost_format(c, 2, point, amount, sizeof(amount));
		sbuf_addf(out, "<tr data-lang=\"%s\"><th scope=\"row\" lang=\"%s\">%s</th>"
			  "<td class=\"num n-sms\">%lld</td><td class=\"num n-email\">%lld</td>"
			  "<td class=\"num n-capped\">%lld</td><td class=\"num n-suppressed\">%lld</td>"
			  "<td class=\"num\">%s</td></tr>\n", d->langs[i].lang, d->langs[i].lang,
			  d->langs[i].lang, d->langs[i].matched[CHANNEL_SMS],
			  d->langs[i].matched[CHANNEL_EMAIL], capped, sup, amount);
	}
	(void)cost_format(cost, 2, point, amount, sizeof(amount));
	sbuf_addf(out, "</tbody><tfoot><tr><th scope=\"row\">%s</th><td class=\"num\" id=\"total-sms\">"
		  "%lld</td><td class=\"num\" id=\"total-email\">%lld</td><td class=\"num\">%lld</td>"
		  "<td class=\"num\">%lld</td><td class=\"num\" id=\"estimate\" data-milli=\"%lld\">%s"
		  "</td></tr></tfoot></table></div><p><small>%s</small></p>", u->total, tot[0], tot[1],
		  tot[2], tot[3], cost, amount, u->cost_note);
	if (!d->n_langs)
		sbuf_addf(out, "<p class=\"empty\">%s</p>", u->no_match);
	if (d->quiet_held[CHANNEL_SMS]) {
		dashboard_format_time(d->quiet_until, when, sizeof(when));
		sbuf_addf(out, "<p class=\"warn\" id=\"quiet\">%s %s (%lld SMS).</p>", u->quiet, when,
			  tot[0]);
	}
	sbuf_addstr(out, "</section>\n");
}

int dashboard_new_campaign_page(struct sbuf *out, struct db *db, const struct config *cfg,
				const char *user, const char *lang, const char *csrf,
				const struct new_campaign_form *f, const struct campaign_dry_run *d,
				const char *problem)
{
	const struct new_ui *u = new_ui(lang);

	dashboard_page_begin(out, lang, u->title, user, csrf, "/dashboard/campaigns/new");
	sbuf_addf(out, "<h1>%s</h1>", u->title);
	if (problem) {
		sbuf_addf(out, "<p class=\"error\" role=\"alert\" id=\"problem\">%s ", u->problem);
		html_escape(out, problem);
		sbuf_addstr(out, "</p>");
	}
	if (d)
		preview(out, cfg, lang, d);
	if (form(out, db, cfg, lang, csrf, f) < 0)
		return -1;
	dashboard_page_end(out);
	return 0;
}
