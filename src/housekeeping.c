/* SPDX-License-Identifier: MIT */
#include "budbringer/housekeeping.h"
#include "budbringer/db_dashboard.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/log.h"

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

int housekeeping_run(struct db *db, const struct config *cfg, long long now)
{
	long long before = now - (long long)cfg->retention_days * 86400, bodies, texts;

	if (!db_housekeeping_due(db, "retention", now, HOUSEKEEPING_INTERVAL))
		return 0;
	bodies = purge_all(db, db_purge_message_bodies, before);
	texts = purge_all(db, db_purge_inbound_texts, before);
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
