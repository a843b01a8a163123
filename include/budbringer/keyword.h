/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_KEYWORD_H
#define BUDBRINGER_KEYWORD_H

/*
 * Inbound SMS keywords: text in, intent and arguments out. Pure: no I/O
 * apart from error() when a table word is rejected.
 *
 * Folding (keyword_fold) is applied to the table words and to the message
 * alike, so whatever it merges, it merges on both sides:
 *   - invalid UTF-8 is refused (a message with it is KW_UNKNOWN);
 *   - full Unicode case folding and NFKD (libunistring), then every
 *     nonspacing/enclosing mark (Mn, Me) and format character (Cf: RLM,
 *     ZWNJ, soft hyphen) is dropped: "TÜRKÇE" = "turkce", "Hjælp" = "hjælp",
 *     "DOĞA" = "doga", "نَعَمْ" = "نعم", "أطفال" = "اطفال";
 *   - letters without a decomposition that phones and GSM 7-bit lack and
 *     users replace by the base letter: Turkish ı -> i, Polish ł -> l.
 *     Danish æ and ø stay letters of their own (they are in GSM 7-bit and
 *     Danish tells them apart); ASCII spellings such as "HJAELP" are table
 *     words instead. å -> a comes from NFKD;
 *   - Arabic script: tatweel dropped, alef wasla -> alef, alef maksura and
 *     Farsi yeh -> yeh, keheh -> kaf, teh marbuta and heh goal -> heh, so
 *     Arabic and Urdu keyboards give the same letters;
 *   - every decimal digit (Arabic-Indic ١٢٣ too) -> ASCII;
 *   - whitespace and control characters separate tokens; punctuation and
 *     symbols (P*, S*: ".", "!", "،", "؟", emoji) at the edges of a token
 *     are dropped, inside a token they stay ("stop-watch");
 *   - tokens come out joined by one ASCII space, no leading/trailing space.
 *
 * Grammar. The folded tokens are grouped into units, longest table phrase
 * first (a table word may have up to KEYWORD_MAX_PHRASE tokens: "KU BIIR",
 * "OPT OUT", "كبار السن"). Then, first rule that fits wins:
 *   1. STOP: at most 3 units and one of them is a stop word ("STOP",
 *      "Stop.", "STOP tak", "stop please", "please stop", "afmeld mig",
 *      "please unsubscribe me"), or every unit is a stop word or filler
 *      ("STOP STOP STOP STOP"). Opting out must never be missed, so this
 *      is lenient;
 *      a sentence that merely contains "stop" (4+ units) is not an opt-out
 *      and "stopwatch" is not "stop".
 *   2. DETAILS: a details word then a number >= 1 ("INFO 123", "INFO #123").
 *   3. JOIN: the first unit is a join word. The rest, in any order, may be
 *      interests, a language name or language keyword + code ("SPROG AR"),
 *      a birth year (any 4-digit 1900..2100: the caller checks the age).
 *      Other words are ignored; the first of them goes to unknown_word.
 *      With a language, target_lang is set: store it and reply in it.
 *   4. CONFIRM: the first unit is a confirm word and every other unit is a
 *      confirm word or a filler ("JA", "ja tak", "yes please"). Consent
 *      must be unambiguous, so "yes please call me" is KW_UNKNOWN.
 *      Note: "TAK" is Polish "yes" by the specification, so a Dane's "Tak"
 *      (thanks) is also KW_CONFIRM.
 *   5. LANGUAGE: a language keyword then a code or name ("SPROG EN",
 *      "LANG AR", "DIL TÜRKÇE"); a keyword with no valid language gives
 *      KW_LANGUAGE with target_lang "" (reply with the list). Or a
 *      language name alone, fillers allowed ("DANSK", "العربية", "English
 *      please"). Bare codes ("EN") are not languages: "en" is Danish "a".
 *   6. INTERESTS: every unit is an interest or a filler ("SPORT",
 *      "sport og kultur"); they replace the subscriber's interests.
 *   7. HELP: the first unit is a help or details word ("HJÆLP", "INFO").
 *   8. Anything else is KW_UNKNOWN ("JAZZ", "jaja", "Hej med dig").
 * Only the first 48 units are looked at; rules that need every unit (1,
 * 4, 5 with a name alone, 6) never fit a longer message: a letter that
 * ends in "stop" is not an opt-out.
 * Fillers are conjunctions and courtesy words ("og", "and", "please",
 * "tak", "lütfen", "fadlan", "و") that rules 4-6 skip.
 *
 * Language of the keyword (result.lang): the language the deciding word
 * was registered under; "" when it is registered under several languages
 * (STOP, INFO, SPORT, OK): the caller then uses the subscriber's stored
 * language. For a language name alone it is the target language; for
 * INTERESTS it is the one language all unambiguous interest words share.
 *
 * Threads: build a table, then keyword_parse() may be called on it from
 * any number of threads at once (it only reads the table). Adding words
 * while another thread parses is not allowed.
 */

#include <stddef.h>

#include "budbringer/sbuf.h"

enum keyword_intent {
	KW_UNKNOWN,
	KW_JOIN,
	KW_CONFIRM,
	KW_STOP,
	KW_LANGUAGE,
	KW_INTERESTS,
	KW_HELP,
	KW_DETAILS,
};

#define KEYWORD_MAX_INTERESTS 16
#define KEYWORD_MAX_PHRASE 3	/* tokens in one table word */
#define KEYWORD_LANG_MAX 8	/* "da" .. "fil" and the NUL */

struct keyword_table; /* opaque */

/* An empty table (every message is KW_UNKNOWN). Never NULL. */
struct keyword_table *keyword_table_new(void);
/* Frees the table and its words; NULL is fine. Interest codes that
 * keyword_parse() handed out become invalid. */
void keyword_table_free(struct keyword_table *t);

/*
 * Adds the built-in words for da, en, ar, tr, so, ur, pl (join, confirm,
 * stop, help, details, language keywords and names, fillers and the
 * interest codes sport, culture, social, scouting, nature, children,
 * elderly, integration, events, faith). Words added before or after are
 * merged with them. Returns 0, or -1 if a built-in word is refused (a bug).
 */
int keyword_table_add_defaults(struct keyword_table *t);

/*
 * Common rules for the adders below. lang: 2 or 3 lowercase ASCII
 * letters (ISO 639). word: UTF-8 of 1..KEYWORD_MAX_PHRASE tokens after
 * folding, not a number. The same word may be added for several intents
 * and languages; added for one intent under two languages, its language
 * for that intent becomes ambiguous (""). Each returns 0, or -1 after
 * logging why with error(). The table copies what it keeps.
 */

/* intent: KW_JOIN, KW_CONFIRM, KW_STOP, KW_HELP, KW_DETAILS (a word that
 * takes an opportunity id), or KW_LANGUAGE for a language keyword
 * ("SPROG", "LANG") that takes a code or name. */
int keyword_table_add(struct keyword_table *t, const char *lang, enum keyword_intent intent,
		      const char *word);
/* code: interest taxonomy code, 1..31 of [a-z0-9_-]. A word already
 * mapped to another code is moved to this one (config overrides
 * built-ins). */
int keyword_table_add_interest(struct keyword_table *t, const char *lang, const char *code,
			       const char *word);
/* "DANSK" -> "da". The word's own language is taken to be lang_code too.
 * Also makes lang_code a code accepted after a language keyword. */
int keyword_table_add_language_name(struct keyword_table *t, const char *lang_code,
				    const char *word);
/* A word rules 4-6 skip ("please", "og"). */
int keyword_table_add_filler(struct keyword_table *t, const char *lang, const char *word);

struct keyword_result {
	enum keyword_intent intent;
	char lang[KEYWORD_LANG_MAX];	    /* language of the keyword, "" if ambiguous */
	char target_lang[KEYWORD_LANG_MAX]; /* LANGUAGE, or JOIN with a language; else "" */
	const char *interests[KEYWORD_MAX_INTERESTS]; /* codes, owned by the table */
	size_t n_interests;		   /* distinct, in message order */
	int birth_year;			   /* JOIN: 1900..2100, 0 when none */
	long long opportunity_id;	   /* DETAILS: >= 1 */
	char unknown_word[64];		   /* first word the intent did not use
					      (folded, cut on a character
					      boundary), or ""; for KW_UNKNOWN
					      the first word not in the table */
};

/*
 * Parses len bytes of text (need not be NUL-terminated; NULL with len 0
 * is fine) into *out, which is overwritten. Never fails on user input:
 * invalid UTF-8, empty or absurd text is KW_UNKNOWN. Returns 0; -1 only
 * when t or out is NULL. out->interests stay valid while t lives.
 */
int keyword_parse(const struct keyword_table *t, const char *text, size_t len,
		  struct keyword_result *out);

/* "unknown", "join", "confirm", "stop", "language", "interests", "help",
 * "details"; "?" for a value outside the enum. */
const char *keyword_intent_name(enum keyword_intent i);
/* The reverse, for config files; -1 on an unknown name. */
int keyword_intent_from_name(const char *name, enum keyword_intent *out);

/*
 * Appends the folded form of in[0..len) (see above) to out. Returns 0, or
 * -1 for invalid UTF-8 (out unchanged). Exposed for tests and for callers
 * that store words in folded form.
 */
int keyword_fold(const char *in, size_t len, struct sbuf *out);

#endif
