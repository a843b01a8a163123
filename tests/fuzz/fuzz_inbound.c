/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the inbound SMS rules: any text from any kind of
 * sender goes through keyword_parse(), inbound_decide(),
 * inbound_gate_reply() and the reply text. The first input byte picks
 * what the database knows about the sender and how many replies it got;
 * the rest is the SMS body. Properties: a stop word always stops; consent
 * only from a number that asked for it; a new subscriber only from an
 * unknown number; the language is a configured one; the per-hour limits
 * hold; every reply renders to valid UTF-8 with no placeholder left.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/config.h"
#include "budbringer/inbound.h"
#include "budbringer/match.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct config cfg;
static struct inbound *ib;
/* Writable copies: struct config holds char *, and -Wwrite-strings is on. */
static char l_da[] = "da", l_en[] = "en", l_ar[] = "ar", l_tr[] = "tr", l_so[] = "so",
	    l_ur[] = "ur", l_pl[] = "pl", l_fa[] = "fa";
static char *langs[] = { l_da, l_en, l_ar, l_tr, l_so, l_ur, l_pl, l_fa, NULL };
static char *fallback[] = { l_en, l_da, NULL };

static void init(void)
{
	struct sbuf err = SBUF_INIT;

	for (size_t i = 0; langs[i]; i++)
		cfg.languages[i] = langs[i];
	cfg.fallback[0] = fallback[0];
	cfg.fallback[1] = fallback[1];
	cfg.min_age = 15;
	ib = inbound_new(&cfg, &err);
	if (!ib)
		abort();
	sbuf_release(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const statuses[] = { "pending", "active", "unsubscribed", "active" };
	static const char *const stored[] = { "da", "ar", "fa", "xx" };
	struct inbound_sender who = { 0 };
	struct keyword_result kw;
	struct inbound_decision d;
	enum inbound_text reply;
	uint8_t sel;
	char *text;
	int replies;

	if (!ib)
		init();
	if (size < 1)
		return 0;
	sel = data[0];
	who.known = sel & 1;
	who.status = statuses[(sel >> 1) & 3];
	who.sms_consent = who.known && (sel & 8);
	who.lang = stored[(sel >> 4) & 3];
	replies = (sel >> 6) * 4; /* 0, 4, 8, 12 */
	text = malloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	keyword_parse(inbound_keywords(ib), text, size - 1, &kw);
	inbound_decide(&cfg, &kw, &who, 2026, &d);

	if (kw.intent == KW_STOP && d.action != (who.known ? IA_STOP : IA_SUPPRESS))
		abort();
	if (kw.intent != KW_STOP && (d.action == IA_STOP || d.action == IA_SUPPRESS))
		abort();
	if (d.action == IA_CONFIRM && (kw.intent != KW_CONFIRM || !who.known || who.sms_consent ||
				       !strcmp(who.status, "unsubscribed")))
		abort();
	if ((d.action == IA_JOIN_NEW) != (kw.intent == KW_JOIN && !who.known &&
					  d.reply != IT_TOO_YOUNG))
		abort();
	if (d.action == IA_REFUSE_AGE && (!d.birth_year || 2026 - d.birth_year >= cfg.min_age))
		abort();
	if (!cfg_has_language(&cfg, d.lang))
		abort();
	if (d.reply_limited && d.reply != IT_HELP && d.reply != IT_NOT_SUBSCRIBED)
		abort();
	reply = inbound_gate_reply(&d, replies, sel & 4);
	if (reply != IT_NONE && (replies >= INBOUND_REPLIES_PER_HOUR || reply != d.reply))
		abort();
	if (d.reply != IT_NONE && d.reply != IT_DETAILS) {
		const char *lang = match_pick_language(d.lang, inbound_text_langs(),
						       (const char *const *)cfg.fallback);
		struct inbound_text_values v = { .confirm = inbound_confirm_word(lang),
			.min_age = "15", .lang_name = inbound_lang_name(d.lang), .langs = "da, en",
			.interests = "SPORT" };
		struct sbuf out = SBUF_INIT;

		if (inbound_text_render(d.reply, lang, &v, &out) < 0 || !out.len ||
		    u8_check((const uint8_t *)out.buf, out.len) || strchr(out.buf, '{'))
			abort();
		sbuf_release(&out);
	}
	free(text);
	return 0;
}
