/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_CLUSTER_H
#define BUDBRINGER_DB_CLUSTER_H

/*
 * SQL for several daemons on one database (src/db_cluster.c): the
 * registry of the daemons that are alive, kept by a heartbeat, and the
 * providers one of them has put aside for all. cluster.c decides when.
 */

#include "budbringer/db.h"

/* Adds this daemon to the registry; *id is its id (never given twice). */
int db_daemon_register(struct db *db, const char *host, long long pid, long long now,
		       long long *id);
/* Records that daemon id is alive: 0, 1 when its row is gone (another
 * daemon took it for dead and settled its claims), -1 on an error. */
int db_daemon_heartbeat(struct db *db, long long id, long long now);
/* Forgets the daemons other than self last seen before seen_before;
 * returns how many, or -1. Their claims are then anybody's to settle. */
int db_daemon_reap(struct db *db, long long self, long long seen_before);
/* Leaves the registry (at a clean stop, after the outbox drained). */
int db_daemon_leave(struct db *db, long long id);
/* The daemons in the registry last seen after seen_after, or -1. */
int db_daemon_count(struct db *db, long long seen_after);

/* Puts a provider aside for the whole service until `until` (a later
 * time already recorded stays). */
int db_provider_rest(struct db *db, const char *provider, long long until);
/* Calls cb for every provider resting after `now`. */
int db_provider_rests_each(struct db *db, long long now,
			   int (*cb)(const char *provider, long long until, void *), void *arg);

#endif
