/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_FALLBACK_H
#define BUDBRINGER_DB_FALLBACK_H

/* SQL of the fallback to email (fallback.h; src/db_fallback.c). */

#include "budbringer/db.h"
#include "budbringer/sbuf.h"

struct fallback_candidate {
	long long campaign_id, subscriber_id, expires_at;
	char *email;          /* caller frees */
	char lang[4];
};

/* Whether the failed SMS sms_id is due a fallback by the rules of
 * fallback.h (def: campaigns.fallback_email). 0 with *out filled, 1 not
 * due, -1 error. */
int db_fallback_candidate(struct db *db, long long sms_id, bool def, long long now,
			  struct fallback_candidate *out);

/* Queues the email standing in for sms_id, with an event on both. 0
 * queued (*id_out), 1 the person has this campaign's email already, -1. */
int db_fallback_insert(struct db *db, const struct fallback_candidate *fc, long long sms_id,
		       const char *lang, const char *subject, const char *body, long long now,
		       long long *id_out);

/* Fallback emails by campaign and state (campaign_id 0: all). */
int db_fallback_each(struct db *db, long long campaign_id,
		     int (*cb)(long long campaign_id, const char *state, long long n, void *arg),
		     void *arg);

/* Prometheus text: budbringer_fallback_emails{state} and the short
 * links' counts per campaign, channel and language. */
int db_fallback_link_metrics(struct db *db, struct sbuf *out);

#endif
