/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_INBOUND_H
#define BUDBRINGER_INBOUND_H

/*
 * DESIGN: one mobile-originated SMS in, at most one reply out.
 *
 *   text --keyword_parse()--> intent --inbound_decide()--> action + reply
 *        --inbound_gate_reply()--> reply or silence --> database
 *
 * inbound_decide() and inbound_gate_reply() are pure (no I/O) so the flow
 * rules can be tested on their own; inbound_handle() reads what the
 * database knows about the sender, runs them and writes the outcome:
 *
 *   join     unknown number: a `pending` subscriber (no consent yet) and a
 *            question in the detected language, "reply YES to confirm";
 *            known: details updated (interests added), asked again unless
 *            already active
 *   confirm  a pending subscriber becomes `active`: consent recorded with
 *            time, source "sms:+45…" and, as evidence, the question they
 *            answered (subscription_confirm(), which also lifts a
 *            suppression: fresh consent)
 *   stop     always and at once (subscription_unsubscribe(): queued
 *            campaign messages cancelled); an unknown number goes on the
 *            suppression list (subscription_suppress_address())
 *   under min_age (birth year in a join): a polite refusal, a suppression,
 *            and nothing else kept about them (the inbound row keeps only
 *            a hash of the number, not the text)
 *   language, interests (set), help, INFO <id> (the opportunity's title,
 *            time, place and link), unknown text (help, at most once per
 *            number per hour)
 *
 * Replies are messages of kind 'reply' ('confirm' for the question), SMS,
 * due at once: the outbox holds only campaign messages in quiet hours.
 * Loops with answering machines are bounded twice: no built-in reply text
 * parses as a command (a unit test checks), and a number gets at most
 * INBOUND_REPLIES_PER_HOUR replies an hour whatever it sends; actions
 * (STOP above all) happen regardless.
 *
 * Duplicates: a gateway id already in the inbound table is not handled
 * again. The inbound row, the reply and the profile changes of one
 * message are one transaction; consent changes go through subscription.c
 * just before it. Called inside a transaction (the HTTP listener's group
 * commit, http_write_batch()) all of it nests and commits as one; called
 * alone, the consent change commits first, and since it is idempotent a
 * gateway's retry after a crash in between completes the work without a
 * second reply.
 *
 * Threads: a struct inbound is read-only after inbound_new() and may be
 * shared by all HTTP threads; each caller passes its own database.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/keyword.h"
#include "budbringer/sbuf.h"

#define INBOUND_REPLIES_PER_HOUR 10
#define INBOUND_TEXT_MAX 2048       /* longer inbound text is cut (on a character) */
#define INBOUND_GATEWAY_ID_MAX 128

/* ---- reply texts (inbound_texts.c) ------------------------------------ */

enum inbound_text {
	IT_NONE,            /* no reply */
	IT_ASK_CONFIRM,     /* {confirm} */
	IT_WELCOME,
	IT_ALREADY,         /* {interests} */
	IT_STOPPED,
	IT_TOO_YOUNG,       /* {min_age} */
	IT_LANG_SET,        /* {lang_name} */
	IT_LANG_LIST,       /* {langs} */
	IT_INTERESTS,       /* {interests} */
	IT_HELP,
	IT_NOT_SUBSCRIBED,
	IT_DETAILS,         /* {title} {when} {where} {url}: pieces below */
	IT_NO_OPPORTUNITY,  /* {id} */
	IT_WHEN,            /* "When: {when}." */
	IT_WHERE,           /* "Where: {where}." */
	IT_EVERYTHING,      /* the word for "no interest chosen: everything" */
	IT_COUNT
};

struct inbound_text_values {
	const char *confirm, *min_age, *lang_name, *langs, *interests;
	const char *title, *when, *where, *url, *id;
};

/* Languages with built-in reply texts (da, en, ar, tr, so, ur, pl),
 * NULL-terminated. */
const char *const *inbound_text_langs(void);
/* The built-in text, or NULL when lang has none (or id is IT_NONE). */
const char *inbound_text_get(enum inbound_text id, const char *lang);
/* Short name of the text ("ask_confirm", "help"), stored with the inbound row. */
const char *inbound_text_name(enum inbound_text id);
/* The word that confirms in lang ("JA", "YES", "نعم"); "YES" when unknown. */
const char *inbound_confirm_word(const char *lang);
/* A language's own name ("dansk", "العربية"); the code itself when unknown. */
const char *inbound_lang_name(const char *code);
/*
 * Appends text id in lang, its {placeholders} filled from v (NULL values
 * are empty), to out. The language must have the text: pick it with
 * match_pick_language(…, inbound_text_langs(), …) first. 0, or -1 when
 * there is no such text.
 */
int inbound_text_render(enum inbound_text id, const char *lang,
			const struct inbound_text_values *v, struct sbuf *out);

/* ---- the flow rules (pure) --------------------------------------------- */

enum inbound_action {
	IA_NONE,
	IA_JOIN_NEW,        /* create a pending subscriber */
	IA_JOIN_AGAIN,      /* known but not active: update, pending again, ask again */
	IA_JOIN_ACTIVE,     /* already active: add interests, language, birth year */
	IA_CONFIRM,
	IA_STOP,
	IA_SUPPRESS,        /* STOP from a number we do not know */
	IA_REFUSE_AGE,
	IA_SET_LANG,
	IA_SET_INTERESTS,
	IA_DETAILS,
};

/* What the database knows about the sender. */
struct inbound_sender {
	bool known;
	const char *status;      /* pending, active, unsubscribed */
	bool sms_consent;
	bool sms_stopped;        /* said STOP and was not asked to join again since */
	const char *lang;        /* stored language */
};

struct inbound_decision {
	enum inbound_action action;
	enum inbound_text reply;
	bool reply_limited;      /* a help-like reply: at most one per number per hour */
	char lang[4];            /* the subscriber's language after this message */
	int birth_year;          /* 0 = none given (or not plausible) */
	const char *interests[KEYWORD_MAX_INTERESTS]; /* in the config's taxonomy */
	size_t n_interests;
};

/*
 * Decides what a parsed message does. cfg gives min_age, the languages
 * and the taxonomy; year is the current year. Never fails.
 * Language of a new or changed subscriber: a language asked for
 * ("FRIVILLIG SPROG AR", "ENGLISH"), else the keyword's language, else the
 * stored one, else the first configured language; only configured
 * languages are taken.
 */
void inbound_decide(const struct config *cfg, const struct keyword_result *kw,
		    const struct inbound_sender *who, int year, struct inbound_decision *out);

/*
 * The reply after the per-number limits, given how many replies the
 * number got in the last hour and whether one of them was help-like.
 * Returns d->reply or IT_NONE.
 */
enum inbound_text inbound_gate_reply(const struct inbound_decision *d, int replies_last_hour,
				     bool limited_sent_last_hour);

/* ---- the handler -------------------------------------------------------- */

struct inbound;

/* Builds the keyword table from the built-ins and the config (keywords
 * group, interest keywords). NULL with a reason in err. */
struct inbound *inbound_new(const struct config *cfg, struct sbuf *err);
void inbound_free(struct inbound *ib);
const struct keyword_table *inbound_keywords(const struct inbound *ib);

struct inbound_sms {
	const char *sender;       /* E.164, normalised by the caller */
	const char *receiver;     /* as the gateway gave it; may be NULL */
	const char *text;         /* valid UTF-8, at most INBOUND_TEXT_MAX bytes */
	const char *gateway_id;   /* NULL when the gateway gave none */
};

struct inbound_outcome {
	enum keyword_intent intent;
	enum inbound_action action;
	enum inbound_text reply;  /* IT_NONE when nothing was queued */
	long long inbound_id;
	long long subscriber_id;  /* 0 = none */
	long long reply_id;       /* the queued message, 0 = none */
};

#define INBOUND_DUPLICATE 1
#define INBOUND_CONFIRM_GAP 600 /* seconds between two confirmation questions */

/*
 * Queues the SMS asking the subscriber to confirm (kind 'confirm', in
 * lang along the fallback chain) to phone, as a join by SMS does: for
 * sign-ups by other routes (the portal). Uses the caller's transaction if
 * any. 0 queued (*msg_id set when not NULL), 2 one was queued in the last
 * INBOUND_CONFIRM_GAP seconds (nothing queued), -1 error.
 */
int inbound_queue_confirm_sms(struct db *db, const struct config *cfg, long long subscriber_id,
			      const char *phone, const char *lang, long long now, long long *msg_id);

/*
 * Handles one message at time now. Returns 0 (handled; *out filled),
 * INBOUND_DUPLICATE (this gateway id was handled before: nothing done),
 * or -1 on a database error (nothing or only idempotent consent changes
 * written: the gateway should retry). Logs without the text or number.
 */
int inbound_handle(const struct inbound *ib, struct db *db, const struct inbound_sms *in,
		   long long now, struct inbound_outcome *out);

#endif
