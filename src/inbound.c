/* SPDX-License-Identifier: MIT */
/* The inbound SMS flow: see the DESIGN comment in inbound.h. */
#include "budbringer/inbound.h"
#include "budbringer/db_inbound.h"
#include "budbringer/gsm.h"
#include "budbringer/log.h"
#include "budbringer/match.h"
#include "budbringer/subscription.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPLY_VALID (24 * 3600)   /* a reply not out within a day is stale */

struct inbound {
	const struct config *cfg;
	struct keyword_table *kw;
};

/* Names of languages beyond the seven built-in ones, so that "SPROG FA"
 * and "FARSI" work when the config lists the language. */
static const struct {
	const char *code, *words;
} extra_names[] = {
	{ "fa", "فارسی|FARSI|PERSIAN|PERSISK" },
	{ "uk", "УКРАЇНСЬКА|UKRAINIAN|UKRAINSK|UKRAIŃSKI" },
	{ "de", "DEUTSCH|GERMAN|TYSK" },
	{ "fr", "FRANÇAIS|FRENCH|FRANSK" },
	{ "es", "ESPAÑOL|SPANISH|SPANSK" },
	{ "ru", "РУССКИЙ|RUSSIAN|RUSSISK" },
	{ "ti", "ትግርኛ|TIGRINYA" },
	{ "ps", "پښتو|PASHTO" },
	{ "ku", "KURDÎ|KURDISH|KURDISK" },
	{ "sv", "SVENSKA|SWEDISH|SVENSK" },
	{ "no", "NORSK|NORWEGIAN" },
	{ "ro", "ROMÂNĂ|ROMANIAN|RUMÆNSK" },
	{ "lt", "LIETUVIŲ|LITHUANIAN|LITAUISK" },
	{ "bs", "BOSANSKI|BOSNIAN|BOSNISK" },
	{ "vi", "TIẾNG VIỆT|VIETNAMESE|VIETNAMESISK" },
};

static int add_words(struct keyword_table *t, const char *code, const char *words)
{
	const char *p = words;
	int ret = 0;

	while (*p) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		char *w = xstrndup(p, n);

		if (keyword_table_add_language_name(t, code, w) < 0)
			ret = -1;
		free(w);
		p += n + (bar != NULL);
	}
	return ret;
}

static bool builtin_lang(const char *code)
{
	for (const char *const *l = inbound_text_langs(); *l; l++)
		if (!strcmp(*l, code))
			return true;
	return false;
}

struct inbound *inbound_new(const struct config *cfg, struct sbuf *err)
{
	struct inbound *ib = xcalloc(1, sizeof(*ib));
	enum keyword_intent it;

	ib->cfg = cfg;
	ib->kw = keyword_table_new();
	if (keyword_table_add_defaults(ib->kw) < 0) {
		sbuf_addstr(err, "the built-in keywords were refused");
		goto fail;
	}
	for (size_t i = 0; i < cfg->n_interests; i++) {
		const struct cfg_interest *in = &cfg->interests[i];
		for (size_t j = 0; j < in->n_keywords; j++) {
			if (keyword_table_add_interest(ib->kw, in->keywords[j].lang, in->code,
						       in->keywords[j].text) < 0) {
				sbuf_addf(err, "interests.%s.%s: keyword '%s' cannot be used", in->code,
					  in->keywords[j].lang, in->keywords[j].text);
				goto fail;
			}
		}
	}
	for (size_t i = 0; i < cfg->n_keywords; i++) {
		const struct cfg_keyword *k = &cfg->keywords[i];
		if (keyword_intent_from_name(k->intent, &it) < 0 ||
		    keyword_table_add(ib->kw, k->lang, it, k->word) < 0) {
			sbuf_addf(err, "keywords.%s.%s: '%s' cannot be used", k->lang, k->intent, k->word);
			goto fail;
		}
	}
	for (char *const *l = cfg->languages; *l; l++) {
		size_t i;
		if (builtin_lang(*l))
			continue;
		for (i = 0; i < sizeof(extra_names) / sizeof(extra_names[0]); i++)
			if (!strcmp(extra_names[i].code, *l))
				break;
		if (i == sizeof(extra_names) / sizeof(extra_names[0]))
			log_warn("language '%s' has no built-in name: SMS cannot switch to it", *l);
		else if (add_words(ib->kw, *l, extra_names[i].words) < 0)
			goto fail_names;
	}
	return ib;
fail_names:
	sbuf_addstr(err, "the built-in language names were refused");
fail:
	inbound_free(ib);
	return NULL;
}

void inbound_free(struct inbound *ib)
{
	if (!ib)
		return;
	keyword_table_free(ib->kw);
	free(ib);
}

const struct keyword_table *inbound_keywords(const struct inbound *ib)
{
	return ib->kw;
}

/* ---- the rules ---- */

static const char *usable_lang(const struct config *cfg, const char *l)
{
	return l && *l && cfg_has_language(cfg, l) ? l : NULL;
}

static void set_lang(char dst[4], const char *a, const char *b, const char *c, const char *d)
{
	const char *l = a ? a : b ? b : c ? c : d;
	(void)bsnprintf(dst, 4, "%s", l ? l : "da");
}

void inbound_decide(const struct config *cfg, const struct keyword_result *kw,
		    const struct inbound_sender *who, int year, struct inbound_decision *out)
{
	const char *stored = who->known ? usable_lang(cfg, who->lang) : NULL;
	const char *kwlang = usable_lang(cfg, kw->lang);
	const char *target = usable_lang(cfg, kw->target_lang);
	const char *dflt = cfg->languages[0];
	const char *status = who->known && who->status ? who->status : "";
	bool active = who->known && !strcmp(status, "active") && who->sms_consent;
	bool gone = who->known && !strcmp(status, "unsubscribed");
	int by = kw->birth_year;

	memset(out, 0, sizeof(*out));
	set_lang(out->lang, stored, kwlang, dflt, NULL);
	for (size_t i = 0; i < kw->n_interests; i++)
		if (!cfg->n_interests || cfg_interest_find(cfg, kw->interests[i]))
			out->interests[out->n_interests++] = kw->interests[i];

	switch (kw->intent) {
	case KW_STOP:
		out->action = who->known ? IA_STOP : IA_SUPPRESS;
		out->reply = IT_STOPPED;
		break;
	case KW_JOIN:
		/* A new sign-up speaks the language it was written in; one who
		 * is already in keeps theirs unless they name another. */
		if (active)
			set_lang(out->lang, target, stored, kwlang, dflt);
		else
			set_lang(out->lang, target, kwlang, stored, dflt);
		if (by > year || year - by > 120)
			by = 0; /* not a birth year anyone has */
		out->birth_year = by;
		if (by && year - by < cfg->min_age) {
			out->action = IA_REFUSE_AGE;
			out->reply = IT_TOO_YOUNG;
		} else {
			out->action = !who->known ? IA_JOIN_NEW : active ? IA_JOIN_ACTIVE : IA_JOIN_AGAIN;
			out->reply = active ? IT_ALREADY : IT_ASK_CONFIRM;
		}
		break;
	case KW_CONFIRM:
		/* Only a number that asked to join (pending, or known by its
		 * email) can give consent; a STOP made it `unsubscribed`, or
		 * left it active by email only: then it must join again. */
		if (who->known && !who->sms_consent && !gone && !who->sms_stopped) {
			out->action = IA_CONFIRM;
			out->reply = IT_WELCOME;
		} else if (active) {
			out->reply = IT_ALREADY;
		} else {
			out->reply = IT_NOT_SUBSCRIBED;
			out->reply_limited = true;
		}
		break;
	case KW_LANGUAGE:
		if (!who->known || gone) {
			set_lang(out->lang, target, kwlang, stored, dflt);
			out->reply = IT_NOT_SUBSCRIBED;
			out->reply_limited = true;
		} else if (target) {
			set_lang(out->lang, target, NULL, NULL, NULL);
			out->action = IA_SET_LANG;
			out->reply = IT_LANG_SET;
		} else {
			out->reply = IT_LANG_LIST;
		}
		break;
	case KW_INTERESTS:
		if (who->known && !gone && out->n_interests) {
			out->action = IA_SET_INTERESTS;
			out->reply = IT_INTERESTS;
		} else {
			out->reply = who->known && !gone ? IT_HELP : IT_NOT_SUBSCRIBED;
			out->reply_limited = true;
		}
		break;
	case KW_HELP:
		out->reply = IT_HELP;
		break;
	case KW_DETAILS:
		out->action = IA_DETAILS;
		out->reply = IT_DETAILS;
		break;
	case KW_UNKNOWN:
	default:
		out->reply = IT_HELP;
		out->reply_limited = true;
		break;
	}
}

enum inbound_text inbound_gate_reply(const struct inbound_decision *d, int replies_last_hour,
				     bool limited_sent_last_hour)
{
	if (d->reply == IT_NONE || replies_last_hour >= INBOUND_REPLIES_PER_HOUR)
		return IT_NONE;
	if (d->reply_limited && limited_sent_last_hour)
		return IT_NONE;
	return d->reply;
}

/* ---- the reply text ---- */

/* The word a subscriber would text for an interest, in lang if possible. */
static const char *interest_word(const struct config *cfg, const char *code, const char *lang)
{
	const struct cfg_interest *in = cfg_interest_find(cfg, code);
	const char *any = NULL;

	for (size_t i = 0; in && i < in->n_keywords; i++) {
		if (!strcmp(in->keywords[i].lang, lang))
			return in->keywords[i].text;
		if (!any || !strcmp(in->keywords[i].lang, "en"))
			any = in->keywords[i].text;
	}
	return any ? any : code;
}

static void interest_list(const struct config *cfg, char *const *have, const struct inbound_decision *d,
			  bool replace, const char *lang, struct sbuf *out)
{
	const char *v[MODEL_MAX_INTERESTS + KEYWORD_MAX_INTERESTS];
	size_t n = 0;

	for (size_t i = 0; !replace && have && have[i] && n < MODEL_MAX_INTERESTS; i++)
		v[n++] = have[i];
	for (size_t i = 0; i < d->n_interests; i++) {
		size_t j;
		for (j = 0; j < n && strcmp(v[j], d->interests[i]); j++)
			;
		if (j == n)
			v[n++] = d->interests[i];
	}
	for (size_t i = 0; i < n; i++)
		sbuf_addf(out, "%s%s", i ? ", " : "", interest_word(cfg, v[i], lang));
	if (!n)
		inbound_text_render(IT_EVERYTHING, lang, NULL, out);
}

/* "2026-05-01T18:00:00Z" -> "2026-05-01 20:00" in the daemon's time zone;
 * a time without a zone is taken as local already. */
static void format_when(const char *iso, char *out, size_t size)
{
	struct tm tm;
	int y, mo, d, h = -1, mi = 0, n = 0;
	const char *p;

	out[0] = '\0';
	if (!iso)
		return;
	if (sscanf(iso, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) {
		(void)bsnprintf(out, size, "%.40s", iso);
		return;
	}
	p = iso + n;
	if ((*p == 'T' || *p == ' ') && sscanf(p + 1, "%2d:%2d%n", &h, &mi, &n) == 2) {
		p += 1 + n;
		p += strspn(p, ":0123456789.");
	} else {
		h = -1;
	}
	if (h >= 0 && (!strcmp(p, "Z") || !strcmp(p, "+00:00"))) {
		time_t t;

		memset(&tm, 0, sizeof(tm));
		tm.tm_year = y - 1900;
		tm.tm_mon = mo - 1;
		tm.tm_mday = d;
		tm.tm_hour = h;
		tm.tm_min = mi;
		t = timegm(&tm);
		if (localtime_r(&t, &tm)) {
			y = tm.tm_year + 1900;
			mo = tm.tm_mon + 1;
			d = tm.tm_mday;
			h = tm.tm_hour;
			mi = tm.tm_min;
		}
	}
	if (h >= 0)
		(void)bsnprintf(out, size, "%04d-%02d-%02d %02d:%02d", y, mo, d, h, mi);
	else
		(void)bsnprintf(out, size, "%04d-%02d-%02d", y, mo, d);
}

static void collapse_spaces(struct sbuf *sb)
{
	size_t w = 0;

	for (size_t r = 0; r < sb->len; r++) {
		if (sb->buf[r] == ' ' && (w == 0 || sb->buf[w - 1] == ' '))
			continue;
		sb->buf[w++] = sb->buf[r];
	}
	while (w > 0 && sb->buf[w - 1] == ' ')
		w--;
	sb->len = w;
	sb->buf[w] = '\0';
}

/* INFO <id>: title, time, place, link of a public opportunity. */
static int details_text(struct db *db, const struct config *cfg, long long id, const char *lang,
			struct sbuf *out, enum inbound_text *reply)
{
	struct opportunity o;
	const struct opportunity_text *ot;
	struct sbuf when = SBUF_INIT, where = SBUF_INIT;
	struct inbound_text_values v = { 0 };
	char idbuf[24], date[48];
	int rc = db_opportunity_get(db, id, &o);

	if (rc < 0)
		return -1;
	if (rc == 1 || !strcmp(o.status, "draft")) {
		if (rc == 0)
			opportunity_release(&o);
		(void)bsnprintf(idbuf, sizeof(idbuf), "%lld", id);
		v.id = idbuf;
		*reply = IT_NO_OPPORTUNITY;
		return inbound_text_render(IT_NO_OPPORTUNITY, lang, &v, out);
	}
	ot = opportunity_text_fallback(&o, lang, cfg->fallback);
	format_when(o.starts_at, date, sizeof(date));
	v.when = date;
	if (date[0])
		inbound_text_render(IT_WHEN, lang, &v, &when);
	v.where = o.location;
	if (o.location && *o.location)
		inbound_text_render(IT_WHERE, lang, &v, &where);
	v.title = ot ? ot->title : "";
	v.when = when.buf;
	v.where = where.buf;
	v.url = o.url;
	inbound_text_render(IT_DETAILS, lang, &v, out);
	collapse_spaces(out);
	*reply = IT_DETAILS;
	sbuf_release(&when);
	sbuf_release(&where);
	opportunity_release(&o);
	return 0;
}

static int reply_text(const struct inbound *ib, struct db *db, const struct keyword_result *kw,
		      const struct inbound_decision *d, const struct subscriber *s,
		      const char *lang, struct sbuf *out, enum inbound_text *reply)
{
	const struct config *cfg = ib->cfg;
	struct sbuf list = SBUF_INIT;
	struct inbound_text_values v = { 0 };
	char min_age[16];
	int ret;

	*reply = d->reply;
	if (d->reply == IT_DETAILS)
		return details_text(db, cfg, kw->opportunity_id, lang, out, reply);
	(void)bsnprintf(min_age, sizeof(min_age), "%d", cfg->min_age);
	v.min_age = min_age;
	v.confirm = inbound_confirm_word(lang);
	v.lang_name = inbound_lang_name(d->lang);
	for (char *const *l = cfg->languages; *l; l++)
		sbuf_addf(&list, "%s%s", l == cfg->languages ? "" : ", ", *l);
	v.langs = list.buf;
	if (d->reply == IT_ALREADY || d->reply == IT_INTERESTS) {
		sbuf_reset(&list);
		interest_list(cfg, s ? s->interests : NULL, d, d->action == IA_SET_INTERESTS, lang,
			      &list);
		v.interests = list.buf;
	}
	ret = inbound_text_render(d->reply, lang, &v, out);
	sbuf_release(&list);
	return ret;
}

/* ---- the handler ---- */

/* Consent changes, each its own transaction in subscription.c. */
static int change_consent(struct db *db, const char *sender, const char *source,
			  const struct inbound_decision *d, struct subscriber *s, long long *sid,
			  const char *text, long long now)
{
	char *question;
	int rc;

	switch (d->action) {
	case IA_JOIN_NEW: {
		const char *ints[KEYWORD_MAX_INTERESTS + 1];
		struct subscriber_in in = {
			.phone = sender, .lang = d->lang, .birth_year = d->birth_year,
			.status = "pending", .source = source, .evidence = text,
			.interests = ints, .now = now,
		};
		memcpy(ints, d->interests, d->n_interests * sizeof(ints[0]));
		ints[d->n_interests] = NULL;
		if (db_subscriber_add(db, &in, sid) == 0)
			return 0;
		/* Another message from the same number may have been first. */
		*sid = db_subscriber_by_phone(db, sender);
		return *sid > 0 ? 0 : -1;
	}
	case IA_CONFIRM:
		question = db_confirm_question(db, *sid, "sms", NULL);
		rc = subscription_confirm(db, *sid, CHANNEL_SMS, source,
					  question ? question : "(confirmed by SMS; no question on record)",
					  now);
		free(question);
		return rc < 0 ? -1 : 0;
	case IA_STOP:
		rc = subscription_unsubscribe(db, *sid, CHANNEL_SMS, false, source, now);
		if (rc == -2)
			return subscription_suppress_address(db, sender, CHANNEL_SMS, source, now);
		return rc < 0 ? -1 : 0;
	case IA_SUPPRESS:
		return subscription_suppress_address(db, sender, CHANNEL_SMS, source, now);
	case IA_REFUSE_AGE:
		if (*sid && s->consent[CHANNEL_SMS] &&
		    subscription_unsubscribe(db, *sid, CHANNEL_SMS, false, source, now) == -1)
			return -1;
		return subscription_suppress_address(db, sender, CHANNEL_SMS, source, now);
	default:
		return 0;
	}
}

/* Profile changes, inside the caller's transaction. */
static int change_profile(struct db *db, const struct inbound_decision *d, long long *sid,
			  long long now)
{
	switch (d->action) {
	case IA_JOIN_AGAIN:
	case IA_JOIN_ACTIVE:
		/* A new sign-up after a STOP waits for a new confirmation. */
		if (db_subscriber_set_status_from(db, *sid, "unsubscribed", "pending", now) < 0 ||
		    db_subscriber_set_lang(db, *sid, d->lang, now) < 0 ||
		    (d->birth_year && db_subscriber_set_birth_year(db, *sid, d->birth_year, now) < 0) ||
		    (d->n_interests && db_subscriber_set_interests(db, *sid, d->interests,
								   d->n_interests, false, now) < 0))
			return -1;
		return 0;
	case IA_STOP:
		/* Unconfirmed and then STOP: the question is void. */
		return db_subscriber_set_status_from(db, *sid, "pending", "unsubscribed", now) < 0 ? -1 : 0;
	case IA_REFUSE_AGE:
		if (*sid && db_subscriber_delete_pending(db, *sid) < 0)
			return -1;
		return 0;
	case IA_SET_LANG:
		return db_subscriber_set_lang(db, *sid, d->lang, now);
	case IA_SET_INTERESTS:
		return db_subscriber_set_interests(db, *sid, d->interests, d->n_interests, true, now);
	default:
		return 0;
	}
}

static int queue_reply(struct db *db, const char *to, long long sid, const char *lang,
		       enum inbound_text reply, const char *body, long long now, long long *id)
{
	struct gsm_info gi = { .coding = GSM_CODING_GSM7, .segments = 1 };
	struct message_in m = {
		.subscriber_id = sid, .kind = reply == IT_ASK_CONFIRM ? "confirm" : "reply",
		.channel = CHANNEL_SMS, .recipient = to, .lang = lang, .body = body,
		.state = "queued", .not_before = now, .expires_at = now + REPLY_VALID, .now = now,
	};

	gsm_analyse(body, strlen(body), &gi);
	m.coding = gsm_coding_name(gi.coding);
	m.segments = (int)gi.segments;
	return db_message_insert(db, &m, id) == 0 ? 0 : -1;
}

int inbound_queue_confirm_sms(struct db *db, const struct config *cfg, long long subscriber_id,
			      const char *phone, const char *lang, long long now, long long *msg_id)
{
	struct inbound_text_values v = { 0 };
	struct sbuf body = SBUF_INIT;
	long long at = 0, id = 0;
	char *last = db_confirm_question(db, subscriber_id, "sms", &at);
	bool recent = last && at > now - INBOUND_CONFIRM_GAP;
	int ret;

	free(last);
	if (recent)
		return 2;
	lang = match_pick_language(lang, inbound_text_langs(), (const char *const *)cfg->fallback);
	v.confirm = inbound_confirm_word(lang);
	inbound_text_render(IT_ASK_CONFIRM, lang, &v, &body);
	ret = queue_reply(db, phone, subscriber_id, lang, IT_ASK_CONFIRM, body.buf, now, &id);
	if (ret == 0 && msg_id)
		*msg_id = id;
	sbuf_release(&body);
	return ret;
}

int inbound_handle(const struct inbound *ib, struct db *db, const struct inbound_sms *in,
		   long long now, struct inbound_outcome *out)
{
	const struct config *cfg = ib->cfg;
	struct keyword_result kw;
	struct subscriber s;
	struct inbound_sender who = { 0 };
	struct inbound_decision d;
	struct sbuf source = SBUF_INIT, body = SBUF_INIT;
	char hashed[72] = "sha256:", hex[65];
	const char *lang;
	long long sid;
	int rc, replies = 0, ret = -1;
	bool limited = false, forget;
	enum inbound_text reply = IT_NONE;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	if (in->gateway_id && (rc = db_inbound_seen(db, in->gateway_id)) != 0)
		return rc < 0 ? -1 : INBOUND_DUPLICATE;
	keyword_parse(ib->kw, in->text, strlen(in->text), &kw);
	if ((sid = db_subscriber_by_phone(db, in->sender)) < 0)
		return -1;
	if (sid && (rc = db_subscriber_get(db, sid, &s)) != 0) {
		if (rc < 0)
			return -1;
		sid = 0;
	}
	who.known = sid > 0;
	who.status = s.status;
	who.sms_consent = s.consent[CHANNEL_SMS];
	who.lang = s.lang;
	if (who.known && !who.sms_consent &&
	    (rc = db_sms_stopped_since_asked(db, sid)) != 0) {
		if (rc < 0)
			goto out;
		who.sms_stopped = true;
	}
	inbound_decide(cfg, &kw, &who, model_year(now), &d);
	lang = match_pick_language(d.lang, inbound_text_langs(), (const char *const *)cfg->fallback);
	forget = d.action == IA_REFUSE_AGE;
	db_address_hash(in->sender, hex);
	memcpy(hashed + 7, hex, sizeof(hex));
	sbuf_addf(&source, "sms:%s", in->sender);

	if (change_consent(db, in->sender, source.buf, &d, &s, &sid, in->text, now) < 0)
		goto out;
	if (d.reply != IT_NONE &&
	    reply_text(ib, db, &kw, &d, sid ? &s : NULL, lang, &body, &reply) < 0)
		goto out;

	if (db_begin(db) < 0)
		goto out;
	/* Counted under the write lock, so two messages at once cannot both
	 * get the hourly help reply. */
	if (db_inbound_replies_since(db, in->sender, hashed, now - 3600, &replies, &limited) < 0 ||
	    change_profile(db, &d, &sid, now) < 0)
		goto rollback;
	if (forget)
		sid = 0;
	if (inbound_gate_reply(&d, replies, limited) == IT_NONE)
		reply = IT_NONE;
	if (reply != IT_NONE &&
	    queue_reply(db, in->sender, sid, lang, reply, body.buf, now, &out->reply_id) < 0)
		goto rollback;
	{
		struct inbound_row row = {
			.gateway_id = in->gateway_id, .sender = forget ? hashed : in->sender,
			.receiver = in->receiver, .text = forget ? NULL : in->text,
			.intent = keyword_intent_name(kw.intent),
			.reply = reply != IT_NONE ? inbound_text_name(reply) : NULL,
			.received_at = now, .subscriber_id = sid, .reply_message_id = out->reply_id,
		};
		rc = db_inbound_insert(db, &row, &out->inbound_id);
	}
	if (rc != 0) {
		/* rc 1: a copy of this message was handled meanwhile */
		ret = rc == 1 ? INBOUND_DUPLICATE : -1;
		out->reply_id = 0;
		goto rollback;
	}
	if (db_commit(db) < 0)
		goto rollback;
	out->intent = kw.intent;
	out->action = d.action;
	out->reply = reply;
	out->subscriber_id = sid;
	/* debug: at thousands a second this line would be the log; consent
	 * changes are logged at info by subscription.c */
	log_debug("inbound handled inbound=%lld intent=%s reply=%s subscriber=%lld", out->inbound_id,
		 keyword_intent_name(kw.intent), inbound_text_name(reply), sid);
	ret = 0;
	goto out;
rollback:
	db_rollback(db);
out:
	subscriber_release(&s);
	sbuf_release(&source);
	sbuf_release(&body);
	return ret;
}
