/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CAMPAIGN_H
#define BUDBRINGER_CAMPAIGN_H

/*
 * DESIGN: campaigns turn an opportunity into messages.
 *
 *   published opportunity --campaign_create_auto()--> campaign (scheduled)
 *   campaign --campaign_expand_step()--> one message per matching
 *            subscriber and channel (queued, or suppressed with a reason)
 *
 * Expansion works in batches of subscribers (an id range); each batch is
 * one transaction that also advances the campaign's cursor, so a crash
 * resumes at the last committed batch and the unique key on (campaign,
 * subscriber, channel) makes a replayed batch insert nothing twice. The
 * batch itself is set-based SQL (db_expand.c) with the texts rendered once
 * per language; match.c is the reference for the same rules (the dry run
 * uses it) and the unit tests check that both agree. The daemon runs one
 * batch per loop turn, so a million subscribers never sit in memory and
 * inbound replies keep flowing between batches.
 */

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/render.h"

/* Creates the automatic campaign of each newly published opportunity.
 * Returns how many were created, or -1. */
int campaign_create_auto(struct db *db, const struct config *cfg, long long now);

/* Expands one batch of the oldest due campaign. Returns 1 when a batch was
 * done (call again soon), 0 when nothing is due, -1 on error. */
int campaign_expand_step(struct db *db, const struct config *cfg, long long now);

/* Cancels a campaign: it stops expanding and its queued messages become
 * cancelled at once. 0 ok, 1 no such campaign or already final, -1 error. */
int campaign_cancel(struct db *db, long long id, long long now);


/* What an association or staff member asks for; validated by campaign_create(). */
struct campaign_request {
	const char *kind;              /* association or staff */
	long long opportunity_id;
	long long association_id;      /* when set, the opportunity must be this association's */
	bool channels[CHANNEL_COUNT];
	int min_age, max_age;          /* -1 = none */
	const char *langs[MODEL_MAX_LANGS + 1];
	const char *interests[MODEL_MAX_INTERESTS + 1];
	struct { const char *lang, *body; } texts[MODEL_MAX_LANGS];
	size_t n_texts;
	long long send_at;             /* 0 = now */
	long long valid_until;         /* 0 = send_at + campaigns.valid_hours */
	const char *idempotency_key;   /* NULL = derived from the request */
	const char *created_by;
	int fallback_email;            /* CAMPAIGN_FALLBACK_* (model.h); 0 = the config's */
};

enum campaign_create_result {
	CAMPAIGN_CREATED = 0,
	CAMPAIGN_DUPLICATE = 1,        /* same request seen before: *id_out is the first one */
	CAMPAIGN_INVALID = -2,         /* err says what is wrong */
	CAMPAIGN_FORBIDDEN = -3,       /* not this association's opportunity */
	CAMPAIGN_ERROR = -1,
};

/* Validates and stores a campaign (pending_approval when the config asks
 * for approval of association campaigns, else scheduled). */
enum campaign_create_result campaign_create(struct db *db, const struct config *cfg,
					    const struct campaign_request *rq, long long now,
					    long long *id_out, struct sbuf *err);

/* What a campaign would do, without queuing anything. */
struct campaign_dry_run {
	struct {
		char lang[4];
		long long matched[CHANNEL_COUNT];  /* would be queued */
		long long capped[CHANNEL_COUNT];   /* would be suppressed by the cap */
		long long suppressed[CHANNEL_COUNT]; /* address on the suppression list */
	} langs[MODEL_MAX_LANGS];
	size_t n_langs;
	struct render_set rendered;            /* samples and SMS segments per language */
	/* With links.shorten: the same with a short link in each SMS (a code
	 * of the real length), to show the parts it saves; else n = 0. */
	struct render_set shortened;
	/* The send time falls in quiet hours: those channels' messages wait
	 * in the queue until quiet_until (they are not lost). */
	bool quiet_held[CHANNEL_COUNT];
	long long quiet_until;
	long long send_at;                     /* when it would start */
};

/* The dry run's SMS cost estimate for one of its languages: messages that
 * would go (matched, not capped) x that language's parts x the price of
 * the provider in charge, in thousandths (cost.h). */
long long campaign_dry_run_cost(const struct config *cfg, const struct campaign_dry_run *d,
				size_t lang_index);

/* Validates like campaign_create() and renders every language; with
 * count_audience also counts the audience per language and channel (a
 * read-only pass over the subscribers). The caller calls
 * render_set_release() on out->rendered and out->shortened whenever the
 * result is CAMPAIGN_CREATED. */
enum campaign_create_result campaign_dry_run(struct db *db, const struct config *cfg,
					     const struct campaign_request *rq, long long now,
					     bool count_audience, struct campaign_dry_run *out,
					     struct sbuf *err);

/* pending_approval -> scheduled. 0 ok, 1 not pending, -1 error. */
int campaign_approve(struct db *db, long long id, const char *who, long long now);

/*
 * Staff resend every `unknown` message of a campaign by hand (see
 * db_message_resend(): each one audited, those whose subscriber has since
 * said stop refused). `each`, if set, hears every message's outcome
 * (0 queued, 1 refused with why, -1 error). Returns the number queued
 * again, -1 when the campaign's messages cannot be read; *refused counts
 * the refusals.
 */
int campaign_resend_unknown(struct db *db, long long id, const char *who, long long now,
			    void (*each)(long long msg_id, int rc, const char *why, void *arg),
			    void *arg, int *refused);

#endif
