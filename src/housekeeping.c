/* SPDX-License-Identifier: MIT */
#include "budbringer/housekeeping.h"
#include "budbringer/db_dashboard.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/log.h"
#include "budbringer/spool_files.h"

#include <stdlib.h>

/* Rows per transaction: short write locks between outbox steps. */
#define PURGE_BATCH 2000
/* At most this many batches per run; the rest waits for the next hour. */
#define PURGE_MAX_BATCHES 500

static long long purge_all(struct db *db, int (*fn)(struct db *, long long, int),
			   long long before)
{
	long long total = 0;
	for (int i = 0; i < PURGE_MAX_BATCHES; i++) {
		int n = fn(db, before, PURGE_BATCH);
		if (n < 0)
			return -1;
		total += n;
		if (n < PURGE_BATCH)
			break;
	}
	return total;
}

/* Sign-ups nobody confirmed within pending_signup_days are forgotten, with
 * their confirmation's spool files. Returns how many, or -1. */
static long long forget_unconfirmed(struct db *db, const struct config *cfg, long long now)
{
	long long before = now - (long long)cfg->pending_signup_days * 86400, total = 0;
	long long *who = NULL;
	size_t n = 0;

	if (db_gdpr_unconfirmed_before(db, before, PURGE_BATCH, &who, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct erase_result res;
		long long *msgs = NULL;
		size_t n_msgs = 0;

		if (db_gdpr_message_ids(db, who[i], &msgs, &n_msgs) < 0 ||
		    db_gdpr_forget_signup(db, who[i], now, &res) < 0) {
			free(msgs);
			free(who);
			return -1;
		}
		if (spool_files_remove(cfg, msgs, n_msgs) < 0)
			log_warn("housekeeping: spool files of a forgotten sign-up remain");
		free(msgs);
		total++;
	}
	free(who);
	return total;
}

int housekeeping_run(struct db *db, const struct config *cfg, long long now)
{
	long long before = now - (long long)cfg->retention_days * 86400, bodies, texts, files, forgotten;

	if (!db_housekeeping_due(db, "retention", now, HOUSEKEEPING_INTERVAL))
		return 0;
	bodies = purge_all(db, db_purge_message_bodies, before);
	texts = purge_all(db, db_purge_inbound_texts, before);
	files = spool_files_purge(cfg, (time_t)before);
	forgotten = forget_unconfirmed(db, cfg, now);
	if (files < 0 || forgotten < 0)
		log_warn("housekeeping: cannot purge old spool files or unconfirmed sign-ups; trying again in an hour");
	if (files > 0 || forgotten > 0)
		log_info("housekeeping: spool_files=%lld unconfirmed_signups=%lld (older than %d / %d days)",
			 files, forgotten, cfg->retention_days, cfg->pending_signup_days);
	if (db_dashboard_session_purge(db, now) < 0)
		log_warn("housekeeping: cannot remove expired dashboard sessions");
	if (bodies < 0 || texts < 0) {
		log_warn("housekeeping: retention purge failed; trying again in an hour");
		return -1;
	}
	if (bodies || texts)
		log_info("housekeeping: retention purge messages=%lld inbound=%lld older_than_days=%d",
			 bodies, texts, cfg->retention_days);
	return (int)(bodies + texts);
}
