/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_LOG_H
#define BUDBRINGER_DB_LOG_H

/*
 * One message and its history, for the dashboard's message page. (The
 * delivery log itself, with its filters, is db_events_each() in db.h,
 * shared with `budbringer log`.)
 */

#include "budbringer/db.h"

struct message_detail {
	long long id, campaign_id, subscriber_id, segments, attempts;
	long long not_before, expires_at, created_at, updated_at;
	char kind[16], channel[8], state[16], lang[8], coding[16];
	char *recipient, *subject, *reason, *provider, *provider_msgid;  /* NULL when none */
};
/* 0 found (release it with message_detail_release()), 1 none, -1 error. */
int db_log_message(struct db *db, long long id, struct message_detail *out);
void message_detail_release(struct message_detail *m);

struct message_event {
	long long id, at;
	const char *state, *provider, *provider_msgid, *detail;   /* may be NULL */
};
/* The message's events, oldest first (by time, then id). Strings live
 * until cb returns; a non-zero return stops and is returned. */
int db_log_message_events(struct db *db, long long id,
			  int (*cb)(const struct message_event *, void *), void *arg);

#endif
