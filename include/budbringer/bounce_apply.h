/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_BOUNCE_APPLY_H
#define BUDBRINGER_BOUNCE_APPLY_H

/*
 * What a bounce or complaint does to the database: one parsed report
 * (bounce.h) in one transaction. The one set of rules for both ways a
 * permanent failure arrives — a bounce mail read by `budbringer bounce`,
 * and a 5xx answer in the SMTP session (the outbox).
 *
 * DESIGN: which message, then whether it is new, then the kind.
 *
 *   no message of ours (unknown id, an SMS, never sent)  -> unmatched
 *   the same report again (dedupe key)                   -> duplicate
 *   permanent: sent/delivered/unknown/sending -> bounced (the server's
 *              words as reason, an event) + address suppressed (bounce);
 *              already bounced or failed                 -> settled
 *   given up:  permanent with a 4.x.x status (the MTA's queue lifetime
 *              ran out on temporary failures): the message bounced as
 *              above, the address counted as a temporary bounce (the row's
 *              kind), not suppressed at once           -> counted / suppressed
 *   temporary: counted for the address; soft_limit of them within
 *              soft_days suppress it (bounce)            -> counted / suppressed;
 *              a message already bounced or failed       -> settled
 *   complaint: email consent withdrawn (consent log: revoke, source
 *              `complaint`), address suppressed (complaint), counted
 *              for the campaign                          -> complaint
 *   none (auto-reply, a person's reply)                  -> nothing, no row
 *
 * Every outcome but none leaves one row in the bounces table. The dedupe
 * key is "m<message id>:<kind>:<status or feedback type>" when the
 * message is known (a second copy of the same bounce, whatever its
 * envelope, is the same key), else the caller's key (the raw mail's
 * digest). A suppression is never weakened: a bounce does not replace a
 * STOP, an unsubscribe, an erasure or a complaint.
 *
 * Rates: after a hard bounce or a complaint, a campaign with at least
 * alert_min emails out (sent + delivered + bounced) is checked once per
 * threshold: hard bounces > 2 % or complaints > 0.1 % of that. The first
 * crossing is recorded (bounce_alerts) and reported in the result for the
 * caller to log; with pause_at_threshold the campaign's queued email
 * becomes `suppressed` and the outbox holds any more of it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/bounce.h"
#include "budbringer/config.h"
#include "budbringer/db.h"

/* Thresholds of the rates (percent). */
#define BOUNCE_HARD_RATE_PCT	2.0
#define BOUNCE_COMPLAINT_RATE_PCT 0.1

enum bounce_outcome {
	BOUNCE_OUT_NONE,	/* not a bounce: nothing done, nothing recorded */
	BOUNCE_OUT_BOUNCED,	/* the message is bounced, its address suppressed */
	BOUNCE_OUT_COUNTED,	/* a soft bounce, counted for the address */
	BOUNCE_OUT_SUPPRESSED,	/* a soft bounce that reached soft_limit: suppressed */
	BOUNCE_OUT_COMPLAINT,	/* unsubscribed from email and suppressed */
	BOUNCE_OUT_UNMATCHED,	/* names no message we sent: recorded only */
	BOUNCE_OUT_SETTLED,	/* its message was bounced or failed already: recorded only */
	BOUNCE_OUT_DUPLICATE,	/* the same report again: recorded only */
};

struct bounce_rules {
	int soft_limit, soft_days, alert_min;
	bool pause_at_threshold;
};
/* The rules of the config's `bounces` group. */
void bounce_rules_from_config(const struct config *cfg, struct bounce_rules *out);

struct bounce_result {
	enum bounce_outcome outcome;
	long long message_id, campaign_id; /* 0 = none */
	long long soft_count;              /* temporary: counted so far in the window */
	int paused_messages;               /* queued email suppressed by a pause */
	bool unsubscribed;                 /* complaint: a subscriber's consent withdrawn */
	bool suppressed;                   /* permanent: the address was suppressed */
	bool gave_up;                      /* permanent 4.x.x: message bounced, address counted */
	/* Thresholds crossed by this report (recorded once ever per campaign). */
	bool alert_hard, alert_complaint, paused;
	char hard_rate[16], complaint_rate[16]; /* "2.4%", set with the alert */
};

/* Whether permanent failure status ("5.1.1") is about the address, so
 * that the address is suppressed; policy, content and system refusals
 * bounce the message only (see bounce_apply.c). */
bool bounce_names_address(const char *status);

/*
 * Applies report r (via: "mail" or "smtp") in one transaction (a
 * savepoint inside the caller's). fallback_key dedupes a report whose
 * message is unknown (may be NULL). 0 with *out filled; -1 on a database
 * error (logged), with nothing changed: the caller keeps the report and
 * tries again later (the CLI exits EX_TEMPFAIL). Does not log the outcome.
 */
int bounce_apply(struct db *db, const struct bounce_rules *rules, const struct bounce_report *r,
		 const char *via, const char *fallback_key, long long now, struct bounce_result *out);

/* A permanent failure as the SMTP session saw it: the server's answer
 * ("550 5.1.1 no such user") for message msg_id, as a report for
 * bounce_apply(via "smtp"). */
void bounce_report_from_smtp(long long msg_id, const char *answer, struct bounce_report *out);

/* "raw:" and the SHA-256 (hex) of a mail: the fallback_key that knows a
 * mail naming no message of ours when it comes a second time. out[4] is
 * '\0' when the digest failed. */
void bounce_raw_key(const char *mail, size_t len, char out[70]);

/* "bounced", "counted", … as stored in bounces.outcome; "none" for none. */
const char *bounce_outcome_name(enum bounce_outcome o);

#endif
