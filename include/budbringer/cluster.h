/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CLUSTER_H
#define BUDBRINGER_CLUSTER_H

/*
 * Several daemons on one database (PostgreSQL), and the one daemon of a
 * SQLite file, under the same rules. A daemon joins the registry of
 * db_cluster.h and says every CLUSTER_HEARTBEAT seconds that it is
 * alive. One not heard of for CLUSTER_DEAD_AFTER seconds (killed, its
 * host gone) is forgotten by the others, and its messages in flight are
 * settled as a restart settles them (outbox_recover): `queued` again for
 * idempotent providers, `unknown` for the rest. A daemon that stops
 * cleanly leaves the registry, so its last claims are settled at once.
 * The live daemons share each provider's rate (each takes 1/n) and the
 * providers any of them put aside.
 *
 * Main thread only.
 */

#include <stdbool.h>

#include "budbringer/db.h"
#include "budbringer/outbox.h"

#define CLUSTER_HEARTBEAT 2
#define CLUSTER_DEAD_AFTER 15

struct cluster;

/* Registers the daemon and settles the claims of daemons known dead.
 * exclusive (SQLite's lock): every other daemon is dead. NULL on error
 * (reason in err). */
struct cluster *cluster_join(struct db *db, struct outbox *ob, bool exclusive, long long now,
			     struct sbuf *err);
/* The heartbeat and what follows it; cheap when not due. */
void cluster_tick(struct cluster *c, long long now);
long long cluster_daemon_id(const struct cluster *c);
/* After a reload swapped the outbox: the new one carries this daemon's id
 * and its share of the rates. */
void cluster_set_outbox(struct cluster *c, struct outbox *ob);
/* Leaves the registry and frees c (NULL is fine). */
void cluster_leave(struct cluster *c);

#endif
