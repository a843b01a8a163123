/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_INBOUND_H
#define BUDBRINGER_DB_INBOUND_H

/*
 * SQL for inbound SMS and for the changes subscribers make themselves
 * (by SMS or through the portal): language, interests, birth year,
 * pending sign-ups. Consent itself changes only in subscription.c.
 * Same rules as db.h: one connection per thread, statements cached.
 */

#include <stdbool.h>

#include "budbringer/db.h"

struct inbound_row {
	const char *gateway_id;    /* NULL = the gateway gave none */
	const char *sender;        /* E.164, or "sha256:…" when nothing may be kept */
	const char *receiver;
	const char *text;          /* NULL when nothing may be kept */
	const char *intent;        /* keyword_intent_name() */
	const char *reply;         /* inbound_text_name() of the reply, NULL = none */
	long long received_at;
	long long subscriber_id;   /* 0 = none */
	long long reply_message_id;/* 0 = none */
};

/* 1 when a message with this gateway id is recorded, 0 not, -1 error. */
int db_inbound_seen(struct db *db, const char *gateway_id);
/* Inserts the row. 0 (*id_out set when not NULL), 1 when its gateway id
 * is recorded already (nothing written), -1 error. */
int db_inbound_insert(struct db *db, const struct inbound_row *r, long long *id_out);
/* Replies sent to sender (or sender_alt, may be NULL) in messages received
 * since `since`: all of them, and whether one was help-like (help,
 * not_subscribed). -1 on error. */
int db_inbound_replies_since(struct db *db, const char *sender, const char *sender_alt,
			     long long since, int *replies, bool *limited);

/* The subscriber with this phone (E.164) / email; 0 none, -1 error. */
long long db_subscriber_by_phone(struct db *db, const char *phone);
long long db_subscriber_by_email(struct db *db, const char *email);

/* 1 when this number has ever sent us an SMS, 0 not, -1 error. */
int db_number_texted_us(struct db *db, const char *e164);
/* Confirmation SMS queued since `since` to numbers that never texted us,
 * all (prefix NULL) or those starting with prefix; -1 on error. */
long long db_confirm_sms_to_strangers_since(struct db *db, long long since, const char *prefix);
int db_subscriber_set_lang(struct db *db, long long id, const char *lang, long long now);
int db_subscriber_set_birth_year(struct db *db, long long id, int year, long long now);
/* Replaces (replace) or extends the subscriber's interests with codes[0..n). */
int db_subscriber_set_interests(struct db *db, long long id, const char *const *codes, size_t n,
				bool replace, long long now);
/* Moves status `from` -> `to` (pending/active/unsubscribed). 0 changed,
 * 1 the subscriber was not in `from`, -1 error. */
int db_subscriber_set_status_from(struct db *db, long long id, const char *from, const char *to,
				  long long now);
/* Deletes a subscriber that never confirmed (status pending) and its
 * consent log rows: for sign-ups refused for age. 0, 1 not pending, -1. */
int db_subscriber_delete_pending(struct db *db, long long id);
/* 1 when the subscriber withdrew SMS consent (STOP) and has not been
 * asked again since (no newer confirmation question on SMS): a "JA" then
 * confirms nothing. 0 otherwise, -1 on error. */
int db_sms_stopped_since_asked(struct db *db, long long subscriber_id);
/* The body of the newest confirmation question (kind 'confirm') sent or
 * queued to the subscriber on channel, and its time; NULL when none.
 * Caller frees. */
char *db_confirm_question(struct db *db, long long subscriber_id, const char *channel,
			  long long *at_out);

#endif
