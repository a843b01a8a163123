/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_HOUSEKEEPING_H
#define BUDBRINGER_HOUSEKEEPING_H

/*
 * Periodic chores of the daemon: the retention purge (message bodies and
 * inbound texts older than retention_days) and expired dashboard
 * sessions. housekeeping_run() is cheap to call every loop turn: the
 * database remembers when it last ran (so a restart does not repeat it)
 * and it does its work at most once an hour, in small batches, so the
 * outbox and the HTTP handlers are never locked out for long.
 */

#include "budbringer/config.h"
#include "budbringer/db.h"

#define HOUSEKEEPING_INTERVAL 3600

/* Returns the number of rows purged (0 when not due), -1 on error. */
int housekeeping_run(struct db *db, const struct config *cfg, long long now);

#endif
