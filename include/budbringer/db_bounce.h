/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_BOUNCE_H
#define BUDBRINGER_DB_BOUNCE_H

/*
 * SQL for what comes back from email: the bounces table (one row per
 * bounce or complaint read, with its outcome and evidence), the soft
 * bounce count per address, the campaign rates and their alerts, and the
 * suppression list as staff see it. The rules that use these live in
 * bounce_apply.c; every function here runs inside the caller's
 * transaction when one is open.
 *
 * Addresses are never stored here in clear: a bounce row carries the
 * address's keyed hash (db_suppression_hash), as the suppression list does.
 */

#include <stdbool.h>

#include "budbringer/db.h"

/* The message a bounce names, as the rules need it. */
struct bounce_target {
	long long id, campaign_id, subscriber_id;
	char channel[8];
	char state[16];
	char recipient[256];
	bool recipient_is_subscribers; /* the subscriber's email is still this address */
	bool email_consent;            /* and they have email consent */
};

/* Finds a message by our id (the VERP N), else by its Message-ID as the
 * provider id ("<x@d>" or "x@d"). 0 found, 1 none, -1 error. */
int db_bounce_find_message(struct db *db, long long id, const char *message_id_header,
			   struct bounce_target *out);

/* One row of the bounces table. Strings may be NULL. */
struct bounce_row {
	long long at;
	const char *kind;          /* permanent, temporary, complaint */
	const char *outcome;       /* bounced counted suppressed complaint unmatched settled duplicate */
	const char *via;           /* mail (budbringer bounce) or smtp (a 5xx in the session) */
	long long message_id, campaign_id;  /* 0 = none */
	const char *address_sha256, *status, *diagnostic, *feedback_type;
	const char *dedupe_key;    /* NULL: never a duplicate of anything */
};
/* 1 when a row with this dedupe key exists, 0 not, -1 error. */
int db_bounce_seen(struct db *db, const char *dedupe_key);
/* Inserts the row; *id_out (may be NULL) set. 0 or -1. */
int db_bounce_insert(struct db *db, const struct bounce_row *r, long long *id_out);
/* Sets the outcome of row id. */
int db_bounce_set_outcome(struct db *db, long long id, const char *outcome);
/* Temporary bounces of the address since `since` and after the latest
 * lift of its suppression (audit action suppression.lift): how many count
 * toward soft_limit. -1 on error. */
long long db_bounce_soft_count(struct db *db, const char *address_sha256, long long since);

/*
 * Puts the address on the suppression list for email with reason
 * ("bounce" or "complaint") and source, unless it is there for a reason
 * that says more: a bounce never replaces a STOP, an unsubscribe, an
 * erasure or a complaint (which need fresh consent to lift, a bounce
 * does not); a complaint replaces a bounce or an unsubscribe.
 */
int db_bounce_suppress(struct db *db, const char *address, const char *reason,
		       const char *source, long long now);

/* The reason of campaign email the pause at a threshold suppressed. */
#define BOUNCE_PAUSE_REASON "campaign email paused: bounce or complaint rate past its threshold"

/* A campaign's email figures for its rates. */
struct bounce_rates {
	long long out;         /* email the server took or refused: sent + delivered + bounced */
	long long bounced;     /* hard bounces (state bounced) */
	long long complaints;  /* complaint rows of the campaign */
	long long soft;        /* soft bounce rows of the campaign */
};
int db_bounce_campaign_rates(struct db *db, long long campaign_id, struct bounce_rates *out);
/* Records that a campaign passed a threshold (kind "hard_bounce" or
 * "complaint"), once: 0 recorded now, 1 it was already, -1 error. */
int db_bounce_alert(struct db *db, long long campaign_id, const char *kind, const char *rate,
		    bool paused, long long now);
/* The queued email of a campaign becomes `suppressed` with reason (the
 * pause at a threshold). Returns how many, -1 on error. */
int db_bounce_hold_campaign(struct db *db, long long campaign_id, const char *reason,
			    long long now);
/*
 * Whether a queued campaign email must not go out now that it is due: its
 * campaign's email is paused, or its address is on the suppression list
 * (a bounce or complaint came after the message was queued, or the
 * expansion queued it for a subscriber whose address bounced). 1 with
 * *reason set (static text), 0 it may go, -1 error.
 */
/* db_bounce_hold_reason for a batch of due campaign emails, in two
 * statements whatever its size: each h[i].reason set (NULL: it may go).
 * 0, or -1 on a database error. */
struct bounce_hold {
	long long campaign_id;
	const char *recipient;
	const char *reason;		/* out: static text, or NULL */
};
int db_bounce_hold_batch(struct db *db, struct bounce_hold *h, size_t n);
int db_bounce_hold_reason(struct db *db, long long campaign_id, const char *recipient,
			  const char **reason);

/* Per campaign, for stats and /metrics: cb gets each campaign with any
 * bounce row. */
struct bounce_campaign_row {
	long long campaign_id;
	struct bounce_rates r;
	bool alerted_hard, alerted_complaint, paused;
};
int db_bounce_campaigns_each(struct db *db, long long campaign_id,
			     int (*cb)(const struct bounce_campaign_row *, void *), void *arg);
/* Alerts recorded after `after` (unix time), oldest first: the daemon
 * logs those `budbringer bounce` recorded (its stderr reaches the MTA,
 * not the journal). */
int db_bounce_alerts_after(struct db *db, long long after,
			   int (*cb)(long long campaign_id, const char *kind, const char *rate,
				     bool paused, long long at, void *),
			   void *arg);
/*
 * Reputation: email out and what came back, for email created since
 * `since` (of one campaign, or all with campaign_id 0), grouped by the
 * local day the message was made ("2026-12-08", oldest first) or by the
 * recipient's email provider (mail_provider.h: gmail, outlook, yahoo,
 * icloud, any other domain as it is; the most email first, the ones past
 * the first `top` summed as "other"). soft counts soft bounces that
 * counted toward suppression; complaints those that unsubscribed.
 */
struct bounce_group_row {
	const char *key;
	struct bounce_rates r;
};
int db_bounce_by_day(struct db *db, long long campaign_id, long long since,
		     int (*cb)(const struct bounce_group_row *, void *), void *arg);
int db_bounce_by_provider(struct db *db, long long campaign_id, long long since, int top,
			  int (*cb)(const struct bounce_group_row *, void *), void *arg);

/*
 * Staff resume the email of a campaign paused at a threshold, in one
 * transaction with its audit row (campaign.resume_email, actor): its
 * alerts stop holding it (they stay recorded, so the same threshold does
 * not pause it again), and its email suppressed by the pause is queued
 * again unless db_message_unwanted() says no (consent withdrawn, address
 * suppressed meanwhile). 0 resumed with *requeued set; 1 not paused; -1 error.
 */
int db_bounce_resume_campaign(struct db *db, long long campaign_id, const char *actor,
			      long long now, int *requeued);

/* Rows of the bounces table by (kind, outcome), for /metrics. */
int db_bounce_outcomes_each(struct db *db,
			    int (*cb)(const char *kind, const char *outcome, long long n, void *),
			    void *arg);

/* The suppression list as staff see it: the newest first, limit rows. */
struct suppression_row {
	const char *address_sha256, *channel, *reason, *source;
	long long created_at;
	/* The latest bounce or complaint of the address, if any. */
	long long message_id;
	const char *status, *diagnostic, *feedback_type, *recipient;
};
int db_suppression_each(struct db *db, const char *reason, int limit,
			int (*cb)(const struct suppression_row *, void *), void *arg);
/* The reason the address is suppressed on channel: 1 with reason copied
 * (n bytes), 0 not suppressed, -1 error. */
int db_suppression_reason(struct db *db, const char *address, const char *channel, char *reason,
			  size_t n);

/*
 * Staff lift the suppression of an address, in one transaction with its
 * audit row (action suppression.lift, subject "suppression:<keyed hash>",
 * actor): only one whose reason is "bounce". 0 lifted; 1 not suppressed;
 * 2 refused, with the reason it is suppressed for in reason (a STOP, an
 * unsubscribe, a complaint or an erasure needs the person's fresh
 * consent, never staff); -1 error.
 */
int db_suppression_lift(struct db *db, const char *address, const char *channel, const char *actor,
			long long now, char *reason, size_t n);

#endif
