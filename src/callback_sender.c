/* SPDX-License-Identifier: MIT */
/* The daemon's status-callback sender (see callback_sender.h). */
#include "budbringer/callback_sender.h"
#include "budbringer/callback.h"
#include "budbringer/callback_url.h"
#include "budbringer/clock.h"
#include "budbringer/curl_multi.h"
#include "budbringer/db_callback.h"
#include "budbringer/log.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS 1000            /* looking for due events, when nothing happened */
#define IN_FLIGHT_MS 50         /* driving requests that are out */
#define CLAIM_MARGIN 30         /* seconds past the request's own timeouts */
#define PURGE_EVERY 3600

/* One request out. */
struct flight {
	bool used;
	long long id, callback_id, created_at;
	int attempt;                /* this one's number, from 1 */
	char event_id[48];
	char type[40];
};

struct callback_sender {
	struct db *db;
	const struct config *cfg;
	long long daemon_id;
	struct cmulti *m;
	struct cmulti_pool *pool;
	struct flight *fl;
	size_t n_fl;
	int pool_timeout, pool_connect;
	long long next_poll_ms;
	long long last_purge;
	unsigned int seed;
};

/* A claimed event, copied out of the claim's statement. */
struct due_copy {
	struct callback_due d;
	char *strs[8];
};

struct claimed {
	struct due_copy *v;
	size_t n, max;
};

struct callback_sender *callback_sender_new(struct db *db, const struct config *cfg)
{
	struct callback_sender *s = xcalloc(1, sizeof(*s));

	s->db = db;
	s->cfg = cfg;
	s->seed = (unsigned int)time(NULL) ^ (unsigned int)(size_t)s;
	return s;
}

void callback_sender_set_config(struct callback_sender *s, const struct config *cfg)
{
	s->cfg = cfg;
}

void callback_sender_set_daemon(struct callback_sender *s, long long id)
{
	s->daemon_id = id;
}

size_t callback_sender_in_flight(const struct callback_sender *s)
{
	return s->pool ? cmulti_pool_running(s->pool) : 0;
}

static void drop_pool(struct callback_sender *s)
{
	cmulti_pool_free(s->pool);
	s->pool = NULL;
	free(s->fl);
	s->fl = NULL;
	s->n_fl = 0;
}

/* The pool as the config says, made (or remade while idle) on demand. */
static int ensure_pool(struct callback_sender *s)
{
	const struct config *cfg = s->cfg;

	if (s->pool && !cmulti_pool_running(s->pool) &&
	    (s->n_fl != (size_t)cfg->callbacks.max_in_flight ||
	     s->pool_timeout != cfg->callbacks.timeout ||
	     s->pool_connect != cfg->callbacks.connect_timeout))
		drop_pool(s);
	if (s->pool)
		return 0;
	if (!s->m && !(s->m = cmulti_new()))
		return -1;
	s->n_fl = (size_t)cfg->callbacks.max_in_flight;
	s->pool_timeout = cfg->callbacks.timeout;
	s->pool_connect = cfg->callbacks.connect_timeout;
	s->pool = cmulti_pool_new(s->m, s->n_fl, s->pool_connect, s->pool_timeout);
	s->fl = xcalloc(s->n_fl, sizeof(*s->fl));
	return 0;
}

static struct flight *flight_of(struct callback_sender *s, long long id)
{
	for (size_t i = 0; i < s->n_fl; i++)
		if (s->fl[i].used && s->fl[i].id == id)
			return &s->fl[i];
	return NULL;
}

struct answers {
	struct callback_sender *s;
	long long now;
	int n, failed;
};

/* The reason an attempt did not succeed, for staff (no secrets in it). */
static void describe(const struct cmulti_response *r, struct sbuf *why)
{
	char snip[160];

	if (r->address_refused) {
		sbuf_addstr(why, "refused to connect: the host resolves to a non-public address"
			    " (callbacks.allow_private)");
	} else if (r->timed_out) {
		sbuf_addf(why, "no answer within the timeout (%ld ms)", r->elapsed_ms);
	} else if (r->curl_code) {
		sbuf_addf(why, "%s: %s", r->connect_failed ? "cannot connect" : "transfer failed",
			  r->error);
	} else {
		cmulti_snippet(snip, sizeof(snip), r->body, r->body_len);
		sbuf_addf(why, "HTTP %ld%s%s", r->status, *snip ? ": " : "", snip);
		if (r->status >= 300 && r->status < 400)
			sbuf_addstr(why, " (redirects are not followed)");
	}
}

static void on_answer(const struct cmulti_response *r, void *arg)
{
	struct answers *a = arg;
	struct callback_sender *s = a->s;
	const struct config *cfg = s->cfg;
	struct flight *f = flight_of(s, r->tag);
	const struct callback_retry retry = { cfg->callbacks.backoff_initial,
		cfg->callbacks.backoff_max, cfg->callbacks.retry_for };
	long status = r->curl_code ? 0 : r->status;
	struct sbuf why = SBUF_INIT, err = SBUF_INIT;
	struct callback_outcome o;
	enum callback_verdict v;
	double jitter = (double)rand_r(&s->seed) / ((double)RAND_MAX + 1.0);

	if (!f)
		return;
	v = callback_after(status, f->attempt, f->created_at, a->now, &retry, jitter,
			   &o.next_at);
	if (v != CALLBACK_DONE)
		describe(r, &why);
	if (v == CALLBACK_FAIL && callback_classify(status) == CALLBACK_RETRY)
		sbuf_addf(&err, "gave up after %d attempts in %lld s: %s", f->attempt,
			  a->now - f->created_at, why.buf);
	else
		sbuf_addstr(&err, why.buf);
	o.id = f->id;
	o.callback_id = f->callback_id;
	o.status = v == CALLBACK_DONE ? "sent" : v == CALLBACK_RETRY ? "pending" : "failed";
	o.http_status = status;
	o.error = v == CALLBACK_DONE ? NULL : err.buf;
	o.now = a->now;
	if (db_callback_record(s->db, &o) < 0)
		a->failed++;
	if (v == CALLBACK_DONE)
		log_info("callback sent event=%s type=%s receiver=%lld status=%ld ms=%ld", f->event_id,
			 f->type, f->callback_id, status, r->elapsed_ms);
	else
		log_warn("callback %s event=%s type=%s receiver=%lld attempt=%d next_in=%llds %s",
			 v == CALLBACK_RETRY ? "retry" : "failed", f->event_id, f->type, f->callback_id,
			 f->attempt, o.next_at - a->now, err.buf);
	f->used = false;
	a->n++;
	sbuf_release(&why);
	sbuf_release(&err);
}

/* Records the answers that came, in one transaction. */
static int collect(struct callback_sender *s, long long now)
{
	struct answers a = { .s = s, .now = now };

	if (!s->pool || !cmulti_pool_running(s->pool))
		return 0;
	cmulti_run(s->m, 0);
	if (!cmulti_pool_finished(s->pool))
		return 0;
	if (db_begin(s->db) < 0)
		return 0;	/* the claims run out and the events go again */
	cmulti_pool_take(s->pool, s->n_fl, on_answer, &a);
	if (a.failed || db_commit(s->db) < 0) {
		db_rollback(s->db);
		log_warn("cannot record %d callback answers; they are sent again later", a.n);
	}
	return a.n;
}

static char *dup_or_null(const char *v)
{
	return v ? xstrdup(v) : NULL;
}

static int on_claim(const struct callback_due *d, void *arg)
{
	struct claimed *c = arg;
	struct due_copy *k;

	if (c->n >= c->max)
		return 0;
	k = &c->v[c->n++];
	k->d = *d;
	k->d.event_id = k->strs[0] = dup_or_null(d->event_id);
	k->d.type = k->strs[1] = dup_or_null(d->type);
	k->d.state = k->strs[2] = dup_or_null(d->state);
	k->d.counts = k->strs[3] = dup_or_null(d->counts);
	k->d.channel = k->strs[4] = dup_or_null(d->channel);
	k->d.url = k->strs[5] = dup_or_null(d->url);
	k->d.secret = k->strs[6] = dup_or_null(d->secret);
	return 0;
}

/* An event that cannot go at all (its URL is no longer allowed, its row
 * is malformed) is failed at once, in its own small transaction. */
static void fail_now(struct callback_sender *s, const struct callback_due *d, const char *why,
		     long long now)
{
	struct callback_outcome o = { .id = d->id, .callback_id = d->callback_id, .status = "failed",
		.next_at = now, .error = why, .now = now };

	log_warn("callback failed event=%s receiver=%lld %s", d->event_id ? d->event_id : "?",
		 d->callback_id, why);
	if (db_begin(s->db) < 0)
		return;
	if (db_callback_record(s->db, &o) < 0 || db_commit(s->db) < 0)
		db_rollback(s->db);
}

static int start_one(struct callback_sender *s, const struct callback_due *d, long long now)
{
	const struct config *cfg = s->cfg;
	struct callback_event e = {
		.event_id = d->event_id, .type = d->type, .created_at = d->created_at,
		.campaign_id = d->campaign_id, .opportunity_id = d->opportunity_id,
		.association_id = d->association_id, .state = d->state, .counts = d->counts,
		.message_id = d->message_id, .channel = d->channel,
	};
	struct sbuf why = SBUF_INIT, sig = SBUF_INIT, h_id = SBUF_INIT, h_type = SBUF_INIT;
	struct sbuf h_sig = SBUF_INIT;
	const char *headers[5];
	struct cmulti_request rq = { .tag = d->id, .method = "POST", .url = d->url,
		.protocols = cfg->callbacks.allow_http ? "http,https" : "https",
		.allow_address = cfg->callbacks.allow_private ? NULL : callback_addr_public };
	struct flight *f = NULL;
	char *body = NULL;
	int ret = -1;

	/* The rules may have changed since it was registered. */
	if (callback_url_check(d->url, cfg->callbacks.allow_http, cfg->callbacks.allow_private,
			       false, &why) < 0) {
		sbuf_addstr(&sig, "URL refused: ");
		sbuf_addstr(&sig, why.buf);
		fail_now(s, d, sig.buf, now);
		goto out;
	}
	if (!(body = callback_payload(&e))) {
		fail_now(s, d, "malformed event: no payload can be made", now);
		goto out;
	}
	if (callback_signature(d->secret, now, body, strlen(body), &sig) < 0)
		goto out;
	sbuf_addf(&h_id, "Budbringer-Event-Id: %s", d->event_id);
	sbuf_addf(&h_type, "Budbringer-Event-Type: %s", d->type);
	sbuf_addf(&h_sig, "Budbringer-Signature: %s", sig.buf);
	headers[0] = "Content-Type: application/json";
	headers[1] = h_id.buf;
	headers[2] = h_type.buf;
	headers[3] = h_sig.buf;
	headers[4] = NULL;
	rq.headers = headers;
	rq.body = body;
	rq.body_len = strlen(body);
	for (size_t i = 0; i < s->n_fl && !f; i++)
		if (!s->fl[i].used)
			f = &s->fl[i];
	if (!f || cmulti_pool_start(s->pool, &rq) < 0)
		goto out;
	memset(f, 0, sizeof(*f));
	f->used = true;
	f->id = d->id;
	f->callback_id = d->callback_id;
	f->created_at = d->created_at;
	f->attempt = d->attempts + 1;
	(void)bsnprintf(f->event_id, sizeof(f->event_id), "%s", d->event_id);
	(void)bsnprintf(f->type, sizeof(f->type), "%s", d->type);
	ret = 0;
out:
	free(body);
	sbuf_release(&why);
	sbuf_release(&sig);
	sbuf_release(&h_id);
	sbuf_release(&h_type);
	sbuf_release(&h_sig);
	return ret;
}

/* Claims due events for the free slots and starts them. */
static int claim_and_start(struct callback_sender *s, long long now)
{
	const struct config *cfg = s->cfg;
	size_t idle = s->pool ? cmulti_pool_idle(s->pool) : (size_t)cfg->callbacks.max_in_flight;
	struct claimed c = { 0 };
	long long until = now + cfg->callbacks.timeout + cfg->callbacks.connect_timeout + CLAIM_MARGIN;
	int rc, started = 0;
	long long *unstarted = NULL;
	size_t n_unstarted = 0;

	if (!idle)
		return 0;
	rc = db_callback_any_due(s->db, now);
	if (rc <= 0)
		return rc;
	if (ensure_pool(s) < 0)
		return -1;
	idle = cmulti_pool_idle(s->pool);
	if (!idle)
		return 0;
	c.max = idle;
	c.v = xcalloc(idle, sizeof(*c.v));
	if (db_begin_claim(s->db) < 0)
		goto out;
	rc = db_callback_claim(s->db, now, idle, s->daemon_id, until, on_claim, &c);
	if (rc < 0 || db_commit(s->db) < 0) {
		db_rollback(s->db);
		for (size_t i = 0; i < c.n; i++)
			for (size_t k = 0; k < 8; k++)
				free(c.v[i].strs[k]);
		c.n = 0;
		goto out;
	}
	unstarted = xcalloc(c.n ? c.n : 1, sizeof(*unstarted));
	for (size_t i = 0; i < c.n; i++) {
		if (start_one(s, &c.v[i].d, now) == 0)
			started++;
		else if (!flight_of(s, c.v[i].d.id))
			unstarted[n_unstarted++] = c.v[i].d.id;
		for (size_t k = 0; k < 8; k++)
			free(c.v[i].strs[k]);
	}
	/* Not started (libcurl refused): due again at once, not after the claim. */
	if (n_unstarted && db_callback_release(s->db, unstarted, n_unstarted) < 0)
		log_warn("cannot release %zu callback claims", n_unstarted);
out:
	free(unstarted);
	free(c.v);
	return started;
}

int callback_sender_step(struct callback_sender *s, long long now)
{
	long long ms = clock_mono_ms();
	int moved = collect(s, now), rc;

	if (moved > 0)
		s->next_poll_ms = 0;
	if (ms >= s->next_poll_ms) {
		rc = claim_and_start(s, now);
		if (rc > 0)
			moved += rc;
		/* Slots left over: nothing else is due; look again in a while. */
		s->next_poll_ms = ms + POLL_MS;
	}
	if (now - s->last_purge >= PURGE_EVERY) {
		int n = db_callback_purge(s->db, now - 86400LL * s->cfg->callbacks.keep_days);

		if (n > 0)
			log_info("callbacks: removed %d finished events older than %d days", n,
				 s->cfg->callbacks.keep_days);
		s->last_purge = now;
	}
	return moved;
}

int callback_sender_next_wait(const struct callback_sender *s, int idle_ms)
{
	long long left;

	if (s->pool && cmulti_pool_running(s->pool))
		return IN_FLIGHT_MS < idle_ms ? IN_FLIGHT_MS : idle_ms;
	left = s->next_poll_ms - clock_mono_ms();
	if (left < 0)
		return 0;
	return left < idle_ms ? (int)left : idle_ms;
}

void callback_sender_free(struct callback_sender *s)
{
	long long *ids;
	size_t n = 0;

	if (!s)
		return;
	ids = xcalloc(s->n_fl ? s->n_fl : 1, sizeof(*ids));
	for (size_t i = 0; i < s->n_fl; i++)
		if (s->fl[i].used)
			ids[n++] = s->fl[i].id;
	if (n && db_callback_release(s->db, ids, n) < 0)
		log_warn("cannot release %zu callback claims; they are due again in a minute", n);
	free(ids);
	drop_pool(s);
	cmulti_free(s->m);
	free(s);
}
