/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_DASHBOARD_H
#define BUDBRINGER_DB_DASHBOARD_H

/*
 * SQL the dashboard alone needs: login sessions, and the figures of the
 * campaign page.
 *
 * Login sessions: only the SHA-256 of the session cookie is
 * stored (like association tokens), so a copy of the database lets
 * nobody log in. Sessions live in the database rather than in memory so
 * that a reload, which starts a new HTTP listener, keeps staff logged in.
 */

#include "budbringer/db.h"

struct dashboard_session {
	char user[64];
	char csrf[48];
	char lang[4];
	long long expires_at;
};

int db_dashboard_session_add(struct db *db, const char *token_sha256, const char *user,
			     const char *csrf, const char *lang, long long now,
			     long long expires_at);
/* 0 found and not expired, 1 none, -1 error. */
int db_dashboard_session_get(struct db *db, const char *token_sha256, long long now,
			     struct dashboard_session *out);
int db_dashboard_session_set_lang(struct db *db, const char *token_sha256, const char *lang);
int db_dashboard_session_delete(struct db *db, const char *token_sha256);
/* Removes expired sessions; returns how many, -1 on error. */
int db_dashboard_session_purge(struct db *db, long long now);

/* ---- the overview ---- */

/* Message counts by campaign and state for the campaigns the overview
 * lists (db_campaign_summaries(): the newest `limit` and those waiting
 * for approval), in one statement for the page instead of one per
 * campaign. Campaigns without messages give no row. */
int db_dashboard_overview_counts(struct db *db, int limit,
				 int (*cb)(long long campaign_id, const char *state, long long n,
					   void *), void *arg);

/* ---- the campaign page ---- */

/* What the campaigns table does not hold: the opportunity's title (in
 * `lang`, else Danish, else any), the association (NULL: the
 * municipality) and who approved it. Strings live until cb returns. */
struct campaign_head {
	const char *title, *association, *approved_by;
	long long approved_at;
};
/* 0, 1 no such campaign, -1 error. */
int db_dashboard_campaign_head(struct db *db, long long id, const char *lang,
			       int (*cb)(const struct campaign_head *, void *), void *arg);

/* Messages of a campaign by channel, language, age band (report_age_band()'s
 * codes, at the time the message was made) and state. */
int db_dashboard_campaign_funnel(struct db *db, long long id,
				 int (*cb)(const char *channel, const char *lang, const char *band,
					   const char *state, long long n, void *), void *arg);

/* Messages that did not arrive, by state and reason ("" when none), most first. */
int db_dashboard_campaign_failures(struct db *db, long long id,
				   int (*cb)(const char *state, const char *reason, long long n,
					     void *), void *arg);

/* Messages handed to a provider ("sent" events) per minute, as (unix minute,
 * count), oldest first. */
int db_dashboard_campaign_rate(struct db *db, long long id,
			       int (*cb)(long long minute, long long n, void *), void *arg);

/* The first message of each language and channel whose body is still
 * kept: what recipients got. */
struct campaign_sample {
	const char *lang, *channel, *subject, *body, *coding;
	long long segments, messages;
};
int db_dashboard_campaign_samples(struct db *db, long long id,
				  int (*cb)(const struct campaign_sample *, void *), void *arg);

/* What the campaign's SMS cost so far, per language: the SMS that were
 * priced when sent, their parts and cost in thousandths (cost.h). */
int db_dashboard_campaign_cost(struct db *db, long long id,
			       int (*cb)(const char *lang, long long sms, long long parts,
					 long long cost_milli, void *), void *arg);

/* ---- inbound SMS as conversations ---- */

/* One inbound SMS and the reply it got (if any). Strings live until cb
 * returns; text and reply_body are NULL once retention cleared them. */
struct inbound_turn {
	const char *sender, *text, *intent, *reply_body, *reply_state;
	long long id, received_at, subscriber_id, reply_id;
};
/* Inbound SMS received since `since` (of sender only, when not NULL), the
 * most recently active numbers first, each number's messages in order;
 * at most limit rows. */
int db_dashboard_inbound(struct db *db, long long since, const char *sender, int limit,
			 int (*cb)(const struct inbound_turn *, void *), void *arg);

#endif
