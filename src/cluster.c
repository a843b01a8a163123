/* SPDX-License-Identifier: MIT */
/* Several daemons on one database: see cluster.h. */
#include "budbringer/cluster.h"
#include "budbringer/db_cluster.h"
#include "budbringer/log.h"
#include "budbringer/wire.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

struct cluster {
	struct db *db;
	struct outbox *ob;
	long long id;
	long long last_beat;
	int daemons;
	/* This daemon's wire journal, kept across reloads: each new outbox
	 * takes it over (outbox_set_wire), so slots the old one left in use
	 * are never handed out again nor forgotten. */
	struct wire *wire;
};

static int join(struct cluster *c, long long now)
{
	char host[256] = "";

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (db_daemon_register(c->db, host, (long long)getpid(), now, &c->id) < 0)
		return -1;
	outbox_set_daemon(c->ob, c->id);
	if (!c->wire)
		c->wire = wire_ref(outbox_wire(c->ob));
	log_info("joined the service daemon=%lld host=%s", c->id, host);
	return 0;
}

/* Forgets the dead and settles what they held. */
static void reap(struct cluster *c, long long seen_before, long long now)
{
	int n = db_daemon_reap(c->db, c->id, seen_before);

	if (n < 0) {
		log_warn("cannot check which daemons are alive");
		return;
	}
	if (n > 0)
		log_warn("daemons gone: %d (not heard of for %ds); settling what they held", n,
			 CLUSTER_DEAD_AFTER);
	/* Also with none reaped: a daemon that left cleanly leaves claims. */
	if (outbox_recover(c->ob, now) < 0)
		log_warn("cannot settle the messages of daemons that are gone");
}

static void share(struct cluster *c, long long now)
{
	int n = db_daemon_count(c->db, now - CLUSTER_DEAD_AFTER);

	if (n > 0 && n != c->daemons) {
		c->daemons = n;
		outbox_set_daemons(c->ob, n);
	}
	if (outbox_sync_rests(c->ob, now) < 0)
		log_warn("cannot read which providers the other daemons put aside");
}

struct cluster *cluster_join(struct db *db, struct outbox *ob, bool exclusive, long long now,
			     struct sbuf *err)
{
	struct cluster *c = xcalloc(1, sizeof(*c));

	c->db = db;
	c->ob = ob;
	if (join(c, now) < 0) {
		sbuf_addstr(err, "cannot register this daemon in the database");
		free(c);
		return NULL;
	}
	reap(c, exclusive ? LLONG_MAX : now - CLUSTER_DEAD_AFTER, now);
	share(c, now);
	c->last_beat = now;
	return c;
}

void cluster_tick(struct cluster *c, long long now)
{
	int rc;

	if (now - c->last_beat < CLUSTER_HEARTBEAT)
		return;
	c->last_beat = now;
	rc = db_daemon_heartbeat(c->db, c->id, now);
	if (rc < 0) {
		log_warn("cannot record this daemon's heartbeat daemon=%lld", c->id);
		return;
	}
	if (rc == 1) {
		/* We were silent too long (a stopped process, a lost database)
		 * and the others settled our claims: join again under a new id. */
		log_error("this daemon was taken for dead daemon=%lld; its messages in flight were"
			  " settled by another daemon; joining again", c->id);
		if (join(c, now) < 0)
			return;
	}
	reap(c, now - CLUSTER_DEAD_AFTER, now);
	share(c, now);
}

void cluster_set_outbox(struct cluster *c, struct outbox *ob)
{
	c->ob = ob;
	outbox_set_wire(ob, c->wire);
	outbox_set_daemon(ob, c->id);
	if (c->daemons > 0)
		outbox_set_daemons(ob, c->daemons);
}

long long cluster_daemon_id(const struct cluster *c)
{
	return c ? c->id : 0;
}

void cluster_leave(struct cluster *c)
{
	if (!c)
		return;
	if (db_daemon_leave(c->db, c->id) < 0)
		log_warn("cannot leave the daemon registry daemon=%lld", c->id);
	wire_unref(c->wire);
	free(c);
}
