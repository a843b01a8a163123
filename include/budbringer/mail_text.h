/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MAIL_TEXT_H
#define BUDBRINGER_MAIL_TEXT_H

/*
 * The few fixed words of the email channel in every built-in language:
 * button and link labels in the messages, the confirmation email and the
 * pages behind the unsubscribe and confirm links. Campaign texts come from
 * the config's templates; these are the ones a municipality should not
 * have to write. Pure, constant data: any thread may call.
 */

#include <stdbool.h>

enum mail_text_id {
	MAIL_T_READ_MORE,        /* button to the opportunity */
	MAIL_T_UNSUBSCRIBE,      /* link label, page title and button */
	MAIL_T_CONFIRM,          /* confirm button and page title */
	MAIL_T_CONFIRM_SUBJECT,  /* subject of the double opt-in email */
	MAIL_T_CONFIRM_INTRO,    /* "open the link to confirm:" */
	MAIL_T_CONFIRM_IGNORE,   /* "not you? ignore this email" */
	MAIL_T_UNSUB_QUESTION,   /* the unsubscribe page's question */
	MAIL_T_UNSUB_DONE,       /* after unsubscribing */
	MAIL_T_CONFIRM_DONE,     /* after confirming */
	MAIL_T_LINK_INVALID,     /* forged, altered or unknown link */
	MAIL_T_LINK_EXPIRED,     /* a confirm link past its time */
	MAIL_T_CONFIRM_QUESTION, /* the confirm page's question (consent evidence) */
	MAIL_T_COUNT
};

/* The text in lang (ISO 639-1, e.g. "da"), or in English when that
 * language has none. Never NULL; static storage. */
const char *mail_text(const char *lang, enum mail_text_id id);

/* True when the language has its own texts here. */
bool mail_text_has_lang(const char *lang);

/* True for right-to-left scripts (ar, fa, ur, he, …): pages set dir="rtl". */
bool mail_lang_is_rtl(const char *lang);

#endif
