/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_STATS_H
#define BUDBRINGER_DB_STATS_H

/*
 * Figures for staff: `budbringer stats` and the dashboard. The delivery
 * log itself is db_events_each() in db.h. Callbacks get rows whose strings
 * live until the callback returns; a non-zero return stops the walk and
 * is returned.
 */

#include "budbringer/db.h"

/* The newest message event's id (0 when none), -1 on error: where
 * `log --follow` starts when nothing matched yet. */
long long db_events_max_id(struct db *db);

/* One group of messages: a campaign (0 = transactional), channel,
 * language and state; reason only for failed/suppressed/cancelled/expired. */
struct stats_row {
	long long campaign_id;
	const char *channel, *lang, *state, *reason;
	long long n;
	long long segments;        /* SMS segments of these messages */
	long long cost_milli;      /* what they cost (cost.h), 0 for none */
};
/* Over all messages (campaign_id 0) or one campaign. */
int db_stats_each(struct db *db, long long campaign_id,
		  int (*cb)(const struct stats_row *, void *), void *arg);

/* What SMS cost per association, of messages created in [since, until)
 * (until 0: no end): the association's name, "(municipality)" for staff
 * and automatic campaigns, "" for replies and confirmations; the priced
 * messages and their cost in thousandths (cost.h). Most expensive first. */
int db_cost_by_association(struct db *db, long long since, long long until,
			   int (*cb)(const char *association, long long messages,
				     long long cost_milli, void *), void *arg);

/* A campaign as the dashboard lists it. */
struct campaign_summary {
	long long id;
	const char *kind, *status, *channels, *association, *title, *created_by;
	long long created_at, send_at;
};
/* The newest `limit` campaigns and every campaign waiting for approval,
 * newest first. */
int db_campaign_summaries(struct db *db, int limit,
			  int (*cb)(const struct campaign_summary *, void *), void *arg);
/* Messages created since `since` per local day ("2026-11-26") and channel. */
int db_messages_per_day(struct db *db, long long since,
			int (*cb)(const char *day, const char *channel, long long n, void *),
			void *arg);
/* Inbound SMS since `since` per intent ("unknown" when none), most first. */
int db_inbound_by_intent(struct db *db, long long since,
			 int (*cb)(const char *intent, long long n, void *), void *arg);

#endif
