/* SPDX-License-Identifier: MIT */
#include "budbringer/outbox.h"
#include "budbringer/bounce_apply.h"
#include "budbringer/clock.h"
#include "budbringer/curl_multi.h"
#include "budbringer/db_bounce.h"
#include "budbringer/db_cluster.h"
#include "budbringer/db_outbox.h"
#include "budbringer/fallback.h"
#include "budbringer/gsm.h"
#include "budbringer/log.h"
#include "budbringer/mail_confirm.h"
#include "budbringer/provider.h"
#include "budbringer/quiet.h"
#include "budbringer/token.h"
#include "budbringer/wire.h"

#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OUTBOX_BATCH 256
#define MAX_PROVIDERS 16
#define IN_FLIGHT_WAIT_MS 50	/* longest sleep while answers are due */

/* One channel's messages claimed in this turn. */
struct claim {
	struct message msgs[OUTBOX_BATCH];
	struct provider *chosen[OUTBOX_BATCH];
	struct gsm_info gi[OUTBOX_BATCH];
	size_t n;
};

/* Rows for one batch of state changes (db_outbox.h); for claims, the
 * index of each row's message. */
struct batch {
	struct db_outbox_row rows[OUTBOX_BATCH];
	size_t from[OUTBOX_BATCH];
	size_t n;
};

struct outbox {
	struct db *db;
	const struct config *cfg;
	struct provider *sms[MAX_PROVIDERS];
	size_t n_sms;
	struct provider *mail;
	size_t in_flight;
	size_t sms_busy[MAX_PROVIDERS];  /* in flight per SMS provider */
	size_t mail_busy;
	struct cmulti *http;             /* shared by the HTTP providers */
	unsigned int seed;
	/* Answers not recorded yet, and who gave them. */
	struct send_result res[OUTBOX_BATCH];
	struct provider *res_p[OUTBOX_BATCH];
	size_t n_res;
	struct claim claims[CHANNEL_COUNT];
	struct batch batch;
	struct log_batch log;             /* this turn's lines, written on commit */
	int failed_turns;                 /* turns in a row that could not commit */
	/* What the last turn left, for outbox_next_wait(). */
	int last_changed;
	bool again;                      /* a batch limit cut it short */
	int quiet;                       /* in quiet hours at the last claim: 1, 0, -1 not yet known */
	/* Several daemons: this one's id in the registry (its claims carry
	 * it) and how many share each provider's rate. */
	long long daemon_id;
	int daemons;
	long long claimed[CHANNEL_COUNT]; /* handed to providers by this daemon, ever */
	/* What is in flight and whether it went on the wire (wire.h): in
	 * memory until the daemon has an id, then this daemon's journal file
	 * (shared with the next outbox after a reload). */
	struct wire *wire;
	bool wire_full_noted;
};

static int record_result(struct outbox *ob, const struct send_result *r, struct provider *p,
			 long long now);

/* ---- the wire journal (wire.h) ------------------------------------------ */

/* Slots enough for everything the providers can hold at once, twice over
 * (a reload's new outbox shares the table while the old one's last
 * messages may still hold slots). */
static size_t wire_slots_needed(struct outbox *ob)
{
	size_t n = OUTBOX_BATCH;

	for (size_t i = 0; i <= ob->n_sms; i++) {
		struct provider *p = i < ob->n_sms ? ob->sms[i] : ob->mail;

		if (p)
			n += p->ops->capacity(p);
	}
	return n * 2 < 256 ? 256 : n * 2;
}

/* Where journals live: journal_directory, else beside a SQLite database;
 * PostgreSQL without journal_directory has none (the old rule). */
static const char *wire_dir(const struct outbox *ob, char *buf, size_t n)
{
	const struct config *cfg = ob->cfg;

	if (cfg->journal_directory && *cfg->journal_directory)
		return cfg->journal_directory;
	if (!cfg->database || db_target_is_postgresql(cfg->database) ||
	    bsnprintf(buf, n, "%s", cfg->database) < 0)
		return NULL;
	return dirname(buf);
}

/* Gives the table to whoever marks it: the providers and the multi handle. */
static void wire_use(struct outbox *ob, struct wire *w)
{
	wire_unref(ob->wire);
	ob->wire = w;
	for (size_t i = 0; i < ob->n_sms; i++)
		ob->sms[i]->wire = w;
	if (ob->mail)
		ob->mail->wire = w;
	cmulti_set_wire(ob->http, w);
}

static void wire_setup(struct outbox *ob)
{
	wire_use(ob, wire_open(NULL, NULL, 0, wire_slots_needed(ob), NULL));
}

void outbox_set_wire(struct outbox *ob, struct wire *w)
{
	/* Only before this outbox has sent anything (a reload, a start). */
	if (w && w != ob->wire && !wire_in_use(ob->wire))
		wire_use(ob, wire_ref(w));
}

struct wire *outbox_wire(const struct outbox *ob)
{
	return ob->wire;
}

/* The daemon has its id: its journal file replaces the table in memory. */
static void wire_to_file(struct outbox *ob)
{
	char buf[4096];
	const char *dir = wire_dir(ob, buf, sizeof(buf));
	struct sbuf err = SBUF_INIT;
	struct wire *w;

	if (wire_is_file(ob->wire) || wire_in_use(ob->wire))
		return;	/* a re-join keeps the journal it has */
	if (!dir) {
		log_info("no journal_directory: messages in flight at a crash become unknown");
		return;
	}
	w = wire_open(dir, ob->cfg->database, ob->daemon_id, wire_slots_needed(ob), &err);
	if (w)
		wire_use(ob, w);
	else
		log_warn("%s: messages in flight at a crash become unknown", err.buf);
	sbuf_release(&err);
}

static struct outbox *outbox_alloc(struct db *db, const struct config *cfg)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));

	ob->db = db;
	ob->cfg = cfg;
	ob->seed = (unsigned int)time(NULL) ^ (unsigned int)(size_t)ob;
	ob->quiet = -1;
	return ob;
}

struct outbox *outbox_new_with(struct db *db, const struct config *cfg, struct provider *sms,
			       struct provider *mail)
{
	struct outbox *ob = outbox_alloc(db, cfg);

	ob->sms[ob->n_sms++] = sms;
	ob->mail = mail;
	wire_setup(ob);
	return ob;
}

struct outbox *outbox_new(struct db *db, const struct config *cfg, struct sbuf *err)
{
	struct outbox *ob = outbox_alloc(db, cfg);

	for (size_t i = 0; i < cfg->sms.n_providers && i < MAX_PROVIDERS; i++) {
		const struct cfg_sms_provider *sp = &cfg->sms.providers[i];
		struct provider *p = provider_new(sp->type, sp->name, cfg, sp, err);
		if (!p)
			goto fail;
		ob->sms[ob->n_sms++] = p;
		if (!p->ops->uses_http)
			continue;
		/* One multi handle for all gateways: waiting for answers wakes
		 * on any. Made only when a gateway needs it, because setting up
		 * libcurl (and with it OpenSSL) costs ~2 MB of resident memory. */
		if (!ob->http && !(ob->http = cmulti_new())) {
			sbuf_addstr(err, "cannot set up libcurl");
			goto fail;
		}
		p->http = ob->http;
	}
	ob->mail = provider_new(cfg->email.provider, cfg->email.provider, cfg, NULL, err);
	if (!ob->mail)
		goto fail;
	wire_setup(ob);
	return ob;
fail:
	outbox_free(ob);
	return NULL;
}

void outbox_free(struct outbox *ob)
{
	bool abandoned;

	if (!ob)
		return;
	/* Record answers a failed transaction left behind; answers still
	 * outstanding (a hung gateway at shutdown or reload) are lost with the
	 * providers: settle their messages now, as a restart would, instead
	 * of leaving them `sending`. */
	if (ob->n_res && db_begin(ob->db) == 0) {
		size_t i = 0;

		while (i < ob->n_res && record_result(ob, &ob->res[i], ob->res_p[i], time(NULL)) == 0)
			i++;
		if (i == ob->n_res && db_commit(ob->db) == 0) {
			log_batch_flush(&ob->log);
			for (size_t k = 0; k < ob->n_res; k++)
				wire_release(ob->wire, ob->res[k].msg_id);
			ob->n_res = 0;
		} else {
			db_rollback(ob->db);
			log_batch_discard(&ob->log);
		}
	}
	abandoned = (ob->in_flight || ob->n_res) && ob->mail;
	if (abandoned && outbox_recover(ob, time(NULL)) < 0)
		log_warn("cannot settle %zu messages still in flight", ob->in_flight);
	for (size_t i = 0; i < ob->n_sms; i++)
		provider_free(ob->sms[i]);
	provider_free(ob->mail);
	cmulti_free(ob->http);
	/* Slots of messages still out stay taken: the journal keeps saying
	 * where they were for whoever settles them. */
	wire_unref(ob->wire);
	log_batch_release(&ob->log);
	free(ob);
}

void outbox_withdraw(struct outbox *ob)
{
	for (size_t i = 0; i <= ob->n_sms; i++) {
		struct provider *p = i < ob->n_sms ? ob->sms[i] : ob->mail;

		if (p && p->ops->withdraw)
			p->ops->withdraw(p, NULL, 0);
	}
}

int outbox_withdraw_unwanted(struct outbox *ob)
{
	long long ids[OUTBOX_BATCH];
	int total = 0;

	for (size_t i = 0; i <= ob->n_sms; i++) {
		struct provider *p = i < ob->n_sms ? ob->sms[i] : ob->mail;
		size_t n, k = 0;

		if (!p || !p->ops->waiting || !p->ops->withdraw)
			continue;
		n = p->ops->waiting(p, ids, OUTBOX_BATCH);
		for (size_t j = 0; j < n; j++) {
			const char *why;
			int rc = db_message_unwanted(ob->db, ids[j], &why);

			if (rc < 0)
				return -1;
			if (rc == 1)
				ids[k++] = ids[j];
		}
		if (k) {
			log_info("withdrawing %zu waiting messages no longer wanted provider=%s", k,
				 p->name);
			p->ops->withdraw(p, ids, k);
			total += (int)k;
		}
	}
	return total;
}

size_t outbox_in_flight(const struct outbox *ob)
{
	return ob->in_flight + ob->n_res;
}

void outbox_set_wake(struct outbox *ob, int fd)
{
	for (size_t i = 0; i < ob->n_sms; i++)
		ob->sms[i]->wake_fd = fd;
	ob->mail->wake_fd = fd;
}

int outbox_next_wait(const struct outbox *ob, int idle_ms)
{
	if (ob->last_changed < 0) {
		/* The database is busy or full: not in a tight loop. 50 ms, then
		 * doubling up to 3.2 s while it stays so. */
		int shift = ob->failed_turns > 7 ? 6 : ob->failed_turns > 0 ? ob->failed_turns - 1 : 0;

		return IN_FLIGHT_WAIT_MS << shift;
	}
	if (ob->n_res || ob->again)
		return 0;
	/* A provider that does not wake the loop is polled: at once when
	 * the last turn moved something, as before, else after a while. */
	for (size_t i = 0; i <= ob->n_sms; i++) {
		const struct provider *p = i < ob->n_sms ? ob->sms[i] : ob->mail;
		size_t busy = i < ob->n_sms ? ob->sms_busy[i] : ob->mail_busy;

		if (busy && !(p->wakes && p->wake_fd >= 0))
			return ob->last_changed > 0 ? 0 : IN_FLIGHT_WAIT_MS;
	}
	/* Only waking providers have requests out: their answers (or capacity
	 * for the messages still due) arrive through the wake pipe, in
	 * batches; the timeout only catches stragglers. */
	if (ob->in_flight)
		return IN_FLIGHT_WAIT_MS;
	return ob->last_changed > 0 ? 0 : idle_ms;
}

/* Journals of dead daemons opened during one recovery. */
struct judge_ctx {
	struct outbox *ob;
	const char *dir;
	long long ids[16];
	struct wire_view *views[16];
	size_t n;
};

static struct wire_view *view_of(struct judge_ctx *jc, long long daemon)
{
	for (size_t i = 0; i < jc->n; i++)
		if (jc->ids[i] == daemon)
			return jc->views[i];
	if (jc->n == sizeof(jc->ids) / sizeof(jc->ids[0]))
		return NULL;	/* more dead daemons than that: the rest by the old rule */
	jc->ids[jc->n] = daemon;
	jc->views[jc->n] = wire_view_open(jc->dir, jc->ob->cfg->database, daemon);
	return jc->views[jc->n++];
}

static enum db_recover_verdict verdict_of(enum wire_state st, bool dead)
{
	switch (st) {
	case WIRE_ACCEPTED:
		return DB_RECOVER_ACCEPTED;
	case WIRE_REFUSED:
		return DB_RECOVER_REFUSED;
	case WIRE_OUT:
		return DB_RECOVER_UNSURE;
	case WIRE_HANDED:
	case WIRE_FREE:
	default:
		/* Not on the wire yet: certain only once its holder is dead. */
		return dead ? DB_RECOVER_NOT_SENT : DB_RECOVER_UNSURE;
	}
}

/*
 * The verdict for one message held by a daemon that is gone. Our own (we
 * are leaving, outbox_free): our table in memory, trusted for answers
 * only — a provider thread may still be sending the rest. Another
 * daemon's: its journal, when it can be trusted (wire_view_open).
 */
static enum db_recover_verdict judge(long long claimed_by, long long msg_id, char *msgid,
				     size_t n, void *arg)
{
	struct judge_ctx *jc = arg;
	struct outbox *ob = jc->ob;
	struct wire_view *v;

	if (!claimed_by)
		return DB_RECOVER_UNSURE;
	if (claimed_by == ob->daemon_id || claimed_by == wire_daemon(ob->wire)) {
		struct wire_slot *s = wire_find(ob->wire, msg_id);
		enum wire_state st = wire_slot_state(s);

		if (st == WIRE_ACCEPTED)
			wire_slot_msgid(s, msgid, n);
		return st == WIRE_ACCEPTED ? DB_RECOVER_ACCEPTED
		       : st == WIRE_REFUSED ? DB_RECOVER_REFUSED : DB_RECOVER_UNSURE;
	}
	if (!(v = view_of(jc, claimed_by)))
		return DB_RECOVER_UNSURE;
	return verdict_of(wire_view_get(v, msg_id, msgid, n), true);
}

int outbox_recover(struct outbox *ob, long long now)
{
	const char *idem[MAX_PROVIDERS + 2];
	char buf[4096];
	struct judge_ctx jc = { .ob = ob, .dir = wire_dir(ob, buf, sizeof(buf)) };
	size_t n = 0;
	int rc, unknown = 0;

	for (size_t i = 0; i < ob->n_sms; i++)
		if (ob->sms[i]->idempotent)
			idem[n++] = ob->sms[i]->name;
	if (ob->mail->idempotent)
		idem[n++] = ob->mail->name;
	idem[n] = NULL;
	rc = db_message_recover_with(ob->db, idem, judge, &jc, now, &unknown);
	/* Settled: their journals go (kept when the settling failed). */
	for (size_t i = 0; i < jc.n; i++)
		wire_view_close(jc.views[i], rc >= 0);
	if (rc > 0)
		log_warn("recovered %d messages that were in flight when the daemon stopped; "
			 "unknown=%d (may have gone out), the rest settled from the wire journal",
			 rc, unknown);
	return rc;
}

long long outbox_claimed(const struct outbox *ob, enum channel chan)
{
	return ob->claimed[chan];
}

void outbox_set_daemon(struct outbox *ob, long long id)
{
	ob->daemon_id = id;
	wire_to_file(ob);
}

void outbox_set_daemons(struct outbox *ob, int n)
{
	if (n < 1)
		n = 1;
	if (n != ob->daemons && ob->daemons)
		log_info("daemons sharing the providers' rates: %d", n);
	ob->daemons = n;
	for (size_t i = 0; i < ob->n_sms; i++)
		ob->sms[i]->rate_share = ob->sms[i]->rate / n;
	ob->mail->rate_share = ob->mail->rate / n;
}

static int rest_one(const char *name, long long until, void *arg)
{
	struct outbox *ob = arg;

	for (size_t i = 0; i < ob->n_sms; i++)
		if (!strcmp(ob->sms[i]->name, name) && ob->sms[i]->cooldown_until < until) {
			ob->sms[i]->cooldown_until = until;
			log_warn("provider put aside by another daemon provider=%s until=%lld", name, until);
		}
	return 0;
}

int outbox_sync_rests(struct outbox *ob, long long now)
{
	return db_provider_rests_each(ob->db, now, rest_one, ob);
}

/* Token bucket: true when the provider may send `cost` units now. Each of
 * n daemons takes 1/n of the rate, so the service keeps to `rate`. */
static bool rate_take(struct provider *p, double cost)
{
	long long t = clock_mono_ms();
	double rate = p->rate_share;

	if (rate <= 0)
		return true;
	if (p->last_refill_ms) {
		p->tokens += (double)(t - p->last_refill_ms) * rate / 1000.0;
		/* Allow a burst of one second's worth at most. */
		if (p->tokens > (rate > 1 ? rate : 1))
			p->tokens = rate > 1 ? rate : 1;
	}
	p->last_refill_ms = t;
	if (p->tokens < cost && !(p->tokens >= 1 && cost > rate))
		return false;
	p->tokens -= cost;
	return true;
}

static size_t *busy_of(struct outbox *ob, const struct provider *p)
{
	for (size_t i = 0; i < ob->n_sms; i++)
		if (ob->sms[i] == p)
			return &ob->sms_busy[i];
	return &ob->mail_busy;
}

/* Tokens a message costs: its segments where the provider bills them. */
static double rate_cost(const struct provider *p, unsigned segments)
{
	return p->sms && p->sms->bills_segments && segments > 1 ? (double)segments : 1.0;
}

/*
 * The SMS provider in charge: the first in priority order that is not
 * resting. The next one only takes over while it rests (failover), not
 * when it is merely busy: a backup gateway may cost more, and staff
 * expect the primary to carry the traffic it was given `concurrency` and
 * `rate` for. *index gets its position (may be NULL).
 */
static struct provider *active_sms(struct outbox *ob, long long now, size_t *index)
{
	for (size_t i = 0; i < ob->n_sms; i++)
		if (ob->sms[i]->cooldown_until <= now) {
			if (index)
				*index = i;
			return ob->sms[i];
		}
	return NULL;
}

/* The provider in charge if it has a free slot (besides the `planned`
 * ones of this turn) and its rate limit allows; NULL means wait. */
static struct provider *pick_sms(struct outbox *ob, long long now, unsigned segments,
				 const size_t *planned)
{
	size_t i;
	struct provider *p = active_sms(ob, now, &i);

	if (!p || p->ops->capacity(p) <= planned[i] || !rate_take(p, rate_cost(p, segments)))
		return NULL;
	return p;
}

/* Both channels back off by sms.backoff_*: one retry policy to tune. */
static long long backoff(struct outbox *ob, int attempts)
{
	const struct config *cfg = ob->cfg;
	long long max = cfg->sms.backoff_max, d = cfg->sms.backoff_initial;

	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* Jitter over the upper half [ceil(d/2), d], so retries of a batch
	 * spread out and a 1 s backoff never becomes 0. */
	return (d + 1) / 2 + (long long)(rand_r(&ob->seed) % (unsigned)(d / 2 + 1));
}

/* An SMS gateway's answer `sent` records what the message cost, in the
 * same statement (email costs nothing per message). */
static void price_of(const struct provider *p, struct message_change *ch)
{
	if (p->sms) {
		ch->priced = true;
		ch->price_milli = p->sms->price_milli;
	}
}

/*
 * The provider's `sent` answers of this turn in one batch of statements
 * (the common case: most answers are OK). -1: the turn must roll back.
 */
static int record_sent(struct outbox *ob, struct provider *p, long long now)
{
	struct batch *b = &ob->batch;
	struct message_change ch = { .to = "sent", .provider = p->name, .now = now };

	price_of(p, &ch);
	b->n = 0;
	for (size_t i = 0; i < ob->n_res; i++) {
		const struct send_result *r = &ob->res[i];

		if (ob->res_p[i] != p || r->status != SEND_OK)
			continue;
		b->rows[b->n++] = (struct db_outbox_row){
			.id = r->msg_id, .detail = r->detail,
			.provider_msgid = r->provider_msgid[0] ? r->provider_msgid : NULL,
		};
	}
	if (!b->n)
		return 0;
	if (db_outbox_transition(ob->db, b->rows, b->n, "sending", &ch) < 0)
		return -1;
	for (size_t i = 0; i < b->n; i++)
		log_batch_info(&ob->log, "message sent msg=%lld provider=%s", b->rows[i].id, p->name);
	return 0;
}

/* Records this turn's answers (inside the caller's transaction). */
static int record_results(struct outbox *ob, long long now)
{
	for (size_t i = 0; i <= ob->n_sms; i++)
		if (record_sent(ob, i < ob->n_sms ? ob->sms[i] : ob->mail, now) < 0)
			return -1;
	for (size_t i = 0; i < ob->n_res; i++)
		if (ob->res[i].status != SEND_OK && record_result(ob, &ob->res[i], ob->res_p[i], now) < 0)
			return -1;
	return 0;
}

/* Once this turn's answers are committed: each provider's health, for
 * failover (counted here, not while recording, so that a turn retried
 * after a failed commit does not count the same failure twice). */
static void note_health(struct outbox *ob, long long now)
{
	for (size_t i = 0; i < ob->n_res; i++) {
		struct provider *p = ob->res_p[i];

		if (ob->res[i].status == SEND_OK || ob->res[i].status == SEND_PERMFAIL) {
			p->consecutive_failures = 0; /* it answered: the gateway is fine */
			continue;
		}
		if (++p->consecutive_failures >= ob->cfg->sms.failover_after && p->sms &&
		    ob->n_sms > 1) {
			p->cooldown_until = now + ob->cfg->sms.cooldown;
			p->consecutive_failures = 0;
			log_warn("provider put aside provider=%s cooldown=%ds", p->name,
				 ob->cfg->sms.cooldown);
			/* For every daemon of the service, not only this one. */
			if (db_provider_rest(ob->db, p->name, p->cooldown_until) < 0)
				log_warn("cannot tell the other daemons that provider=%s rests", p->name);
		}
	}
}

/*
 * A 5xx from the mail server for the recipient or the data: the message
 * bounced, by the same rules as a bounce that comes back by mail
 * (bounce_apply.h). -1: the turn must roll back.
 */
static int record_rejection(struct outbox *ob, const struct send_result *r, struct provider *p,
			    long long now)
{
	struct bounce_report rep;
	struct bounce_result res;
	struct bounce_rules rules;

	bounce_rules_from_config(ob->cfg, &rules);
	bounce_report_from_smtp(r->msg_id, r->detail, &rep);
	if (bounce_apply(ob->db, &rules, &rep, "smtp", NULL, now, &res) < 0)
		return -1;
	if (res.outcome != BOUNCE_OUT_BOUNCED) {
		/* Settled meanwhile (a STOP's cancel cannot reach `sending`): as before. */
		struct message_change ch = { .to = "failed", .provider = p->name, .reason = r->detail,
					     .detail = r->detail, .now = now };
		log_batch_info(&ob->log, "message failed msg=%lld provider=%s reason=\"%s\"", r->msg_id,
			       p->name, r->detail);
		return db_message_transition(ob->db, r->msg_id, "sending", &ch) < 0 ? -1 : 0;
	}
	log_batch_info(&ob->log, "message bounced msg=%lld provider=%s address=%s reason=\"%s\"",
		       r->msg_id, p->name, res.suppressed ? "suppressed" : "kept", r->detail);
	/* A threshold passed is recorded (bounce_alerts); the daemon's
	 * periodic turn logs it, as it does for bounces read by mail. */
	return 0;
}

static int record_result(struct outbox *ob, const struct send_result *r, struct provider *p,
			 long long now)
{
	struct message_change ch = { .provider = p->name, .now = now, .detail = r->detail };
	int attempts, rc;
	int max = p->sms ? ob->cfg->sms.max_attempts : ob->cfg->email.max_attempts;

	if (r->status == SEND_OK) {
		ch.to = "sent";
		ch.provider_msgid = r->provider_msgid[0] ? r->provider_msgid : NULL;
		price_of(p, &ch);
		log_batch_info(&ob->log, "message sent msg=%lld provider=%s", r->msg_id, p->name);
	} else if (r->status == SEND_PERMFAIL && r->rejected && !p->sms) {
		return record_rejection(ob, r, p, now);
	} else if (r->status == SEND_PERMFAIL) {
		ch.to = "failed";
		ch.reason = r->detail;
		log_batch_info(&ob->log, "message failed msg=%lld provider=%s reason=\"%s\"", r->msg_id,
			       p->name, r->detail);
	} else if (r->status == SEND_UNKNOWN && !p->idempotent) {
		/* It may have gone out: a retry could send it twice (SPEC). */
		ch.to = "unknown";
		ch.reason = r->detail;
		log_batch_info(&ob->log, "message unknown msg=%lld provider=%s reason=\"%s\"", r->msg_id,
			       p->name, r->detail);
	} else {
		const char *unwanted;

		rc = db_message_unwanted(ob->db, r->msg_id, &unwanted);

		/* A STOP, unsubscribe or cancel while it was out only cancelled
		 * the queued messages: this one must not go back to the queue. */
		if (rc < 0)
			return -1;
		if (rc == 1) {
			/* Not retried; after a lost answer it may still have arrived. */
			ch.to = r->status == SEND_UNKNOWN ? "unknown" : "cancelled";
			ch.reason = unwanted;
			log_batch_info(&ob->log, "message %s msg=%lld provider=%s reason=\"%s\"", ch.to,
				       r->msg_id, p->name, unwanted);
			return db_message_transition(ob->db, r->msg_id, "sending", &ch) < 0 ? -1 : 0;
		}
		/* Known since the claim (wire.h): no query per temporary failure.
		 * The database only for a message claimed by an earlier outbox. */
		attempts = wire_attempts(ob->wire, r->msg_id);
		if (attempts < 0 && (attempts = db_message_attempts(ob->db, r->msg_id)) < 0)
			return -1;
		if (attempts >= max) {
			/* Out of attempts after a lost answer: it may have arrived. */
			ch.to = r->status == SEND_UNKNOWN ? "unknown" : "failed";
			ch.reason = r->detail;
			log_batch_info(&ob->log, "message %s after %d attempts msg=%lld provider=%s",
				       ch.to, attempts, r->msg_id, p->name);
		} else {
			ch.to = "queued";
			ch.not_before = now + backoff(ob, attempts);
			log_batch_info(&ob->log,
				       "message deferred msg=%lld provider=%s attempt=%d reason=\"%s\"",
				       r->msg_id, p->name, attempts, r->detail);
		}
	}
	rc = db_message_transition(ob->db, r->msg_id, "sending", &ch);
	/* A campaign SMS that failed for good may go out as email (fallback.h). */
	if (rc == 0 && p->sms && !strcmp(ch.to, "failed") &&
	    fallback_after_failure(ob->db, ob->cfg, r->msg_id, now) < 0)
		return -1;
	return rc < 0 ? -1 : 0;
}

/* The link binds the address it is sent to (its keyed tag) and never
 * expires (RFC 8058): it works while that address is the person's. */
static void unsubscribe_url(const struct outbox *ob, const struct message *m, struct sbuf *out)
{
	const struct config *cfg = ob->cfg;
	struct token_claims c = { .purpose = "unsub", .subscriber_id = m->subscriber_id };
	struct sbuf tok = SBUF_INIT;

	if (!m->subscriber_id || !m->recipient)
		return;
	if (mail_address_tag(cfg, m->recipient, c.channel) == 0 &&
	    token_sign_claims((const unsigned char *)cfg->secret_key, strlen(cfg->secret_key), &c,
			      &tok) == 0)
		sbuf_addf(out, "%s/unsubscribe?t=%s", cfg->http.public_url, tok.buf);
	sbuf_release(&tok);
}

/*
 * Collects answers from every provider into ob->res (after any left
 * there by a step whose transaction failed). Only the first provider
 * with requests out waits, and only when nothing is ready yet: the
 * shared multi handle wakes it for any provider's answer, which the
 * others then take without waiting.
 */
static void gather(struct outbox *ob, int wait_ms)
{
	for (size_t i = 0; i <= ob->n_sms && ob->n_res < OUTBOX_BATCH; i++) {
		struct provider *p = i < ob->n_sms ? ob->sms[i] : ob->mail;
		size_t *busy = busy_of(ob, p), got;
		/* Email providers are polled without waiting, as before. */
		int wait = !ob->n_res && *busy && p->sms ? wait_ms : 0;

		got = p->ops->poll(p, wait, ob->res + ob->n_res, OUTBOX_BATCH - ob->n_res);
		if (got == OUTBOX_BATCH - ob->n_res)
			ob->again = true;	/* more answers may be waiting */
		for (size_t k = 0; k < got; k++) {
			const struct send_result *r = &ob->res[ob->n_res + k];

			ob->res_p[ob->n_res + k] = p;
			/* Until the turn commits, the journal holds the answer. */
			wire_answer(wire_find(ob->wire, r->msg_id), r->status, r->provider_msgid);
		}
		ob->n_res += got;
		*busy -= got < *busy ? got : *busy;
		ob->in_flight -= got < ob->in_flight ? got : ob->in_flight;
	}
}

/* Moves the claimed messages to `sending`, one batch per provider, and
 * marks those that moved as chosen. -1: the turn must roll back. */
static int claim_commit(struct outbox *ob, long long now, struct claim *c, struct provider **pick,
			size_t n)
{
	struct batch *b = &ob->batch;

	for (size_t i = 0; i < n; i++) {
		struct provider *p = pick[i];
		struct message_change ch = { .to = "sending", .now = now, .count_attempt = true,
			.claimed_by = ob->daemon_id, .claimed_until = now + OUTBOX_CLAIM_LEASE };

		if (!p)
			continue;	/* its provider's batch is done */
		ch.provider = p->name;
		b->n = 0;
		for (size_t k = i; k < n; k++)
			if (pick[k] == p) {
				b->rows[b->n] = (struct db_outbox_row){ .id = c->msgs[k].id };
				b->from[b->n++] = k;
				pick[k] = NULL;
			}
		if (db_outbox_transition(ob->db, b->rows, b->n, "queued", &ch) < 0)
			return -1;
		for (size_t k = 0; k < b->n; k++)
			if (b->rows[k].changed)
				c->chosen[b->from[k]] = p;
	}
	return 0;
}

/* Says once when quiet hours start holding campaign messages and when they
 * end, so that an operator who sees no SMS at 22:00 knows why. */
static void note_quiet(struct outbox *ob, bool quiet, long long now)
{
	char until[8] = "";
	time_t t;
	struct tm tm;

	if (ob->quiet == (int)quiet)
		return;
	if (quiet) {
		t = (time_t)quiet_next_open(ob->cfg, now);
		if (localtime_r(&t, &tm) && !strftime(until, sizeof(until), "%H:%M", &tm))
			until[0] = '\0';
		log_info("quiet hours: campaign SMS%s wait until %s (%s); replies go at once",
			 ob->cfg->campaigns.quiet_hold_email ? " and email" : "", until,
			 ob->cfg->timezone);
	} else if (ob->quiet == 1) {
		log_info("quiet hours over: held campaign messages go out");
	}
	ob->quiet = quiet;
}

/* Loads due messages of one channel and moves them to `sending` (inside
 * the caller's transaction). Returns the messages that changed state,
 * or -1 when the turn must roll back. */
static int claim(struct outbox *ob, enum channel chan, long long now, struct claim *c)
{
	size_t planned[MAX_PROVIDERS] = { 0 };
	struct provider *pick[OUTBOX_BATCH];
	struct bounce_hold hold[OUTBOX_BATCH];
	size_t cap = 0, claimed = 0;
	int changed = 0;
	bool held, limited = false;

	c->n = 0;
	if (chan == CHANNEL_SMS) {
		struct provider *p = active_sms(ob, now, NULL);
		cap = p ? p->ops->capacity(p) : 0;
	} else {
		cap = ob->mail->ops->capacity(ob->mail);
	}
	if (cap > OUTBOX_BATCH) {
		cap = OUTBOX_BATCH;
		limited = true;
	}
	/* Quiet hours hold campaign SMS (and email when configured); replies
	 * and confirmations still go at once. */
	held = quiet_now(ob->cfg, now) &&
	       (chan == CHANNEL_SMS || ob->cfg->campaigns.quiet_hold_email);
	if (chan == CHANNEL_SMS)
		note_quiet(ob, held, now);
	if (!cap || db_message_due(ob->db, chan, now, !held, c->msgs, cap, &c->n) < 0 || !c->n)
		return 0;

	/* A bounce or complaint since a campaign email was queued, or an
	 * address that bounced before its campaign: never sent to. Asked for
	 * the whole batch at once. */
	memset(hold, 0, c->n * sizeof(hold[0]));
	if (chan == CHANNEL_EMAIL) {
		for (size_t i = 0; i < c->n; i++)
			if (!strcmp(c->msgs[i].kind, "campaign"))
				hold[i] = (struct bounce_hold){ .campaign_id = c->msgs[i].campaign_id,
								.recipient = c->msgs[i].recipient };
		if (db_bounce_hold_batch(ob->db, hold, c->n) < 0)
			return -1;
	}
	/* The loop may stop early: nothing past that point is chosen. */
	memset(c->chosen, 0, c->n * sizeof(c->chosen[0]));
	memset(pick, 0, c->n * sizeof(pick[0]));
	for (size_t i = 0; i < c->n; i++) {
		struct message *m = &c->msgs[i];
		struct provider *p;

		c->gi[i] = (struct gsm_info){ .coding = GSM_CODING_GSM7, .segments = 1 };
		if (m->expires_at && m->expires_at < now) {
			struct message_change ex = { .to = "expired", .reason = "valid_until passed", .now = now };
			if (db_message_transition(ob->db, m->id, "queued", &ex) == 0)
				changed++;
			continue;
		}
		if (hold[i].reason) {
			struct message_change sup = { .to = "suppressed", .reason = hold[i].reason,
						      .now = now };

			if (db_message_transition(ob->db, m->id, "queued", &sup) == 0)
				changed++;
			continue;
		}
		if (chan == CHANNEL_SMS) {
			if (m->body && gsm_analyse(m->body, strlen(m->body), &c->gi[i]) < 0)
				c->gi[i] = (struct gsm_info){ .coding = GSM_CODING_UCS2, .segments = 1 };
			p = pick_sms(ob, now, c->gi[i].segments, planned);
		} else {
			p = ob->mail->ops->capacity(ob->mail) > claimed ? ob->mail : NULL;
			if (p && !rate_take(p, 1))
				p = NULL;
		}
		if (!p)
			break; /* no capacity or rate: the rest waits for the next turn */
		pick[i] = p;
		if (p != ob->mail)
			planned[busy_of(ob, p) - ob->sms_busy]++;
		claimed++;
	}
	if (claim_commit(ob, now, c, pick, c->n) < 0)
		return -1;
	/* A full batch with capacity to spare: more may be due right now. */
	if (limited && claimed == cap)
		ob->again = true;
	return changed;
}

/* The provider marks its messages on the wire itself (provider.h). */
static bool marks_wire(const struct outbox *ob, const struct provider *p)
{
	return p->ops->marks_wire || (p->ops->uses_http && ob->http && p->http == ob->http);
}

/* Hands claimed (and committed) messages to their providers. */
static int submit(struct outbox *ob, enum channel chan, long long now, struct claim *c)
{
	int changed = 0;

	for (size_t i = 0; i < c->n; i++) {
		struct message *m = &c->msgs[i];
		struct provider *p = c->chosen[i];
		struct sbuf unsub = SBUF_INIT;
		struct outbound o = { .msg = m };

		if (!p)
			continue;
		/* Its journal slot before any provider sees it (wire.h). */
		o.wire = wire_claim(ob->wire, m->id, m->attempts + 1);
		if (!o.wire) {
			struct message_change back = { .to = "queued", .provider = p->name,
				.uncount_attempt = true, .detail = "in-flight table full", .now = now };

			if (!ob->wire_full_noted)
				log_warn("wire journal full (%zu in flight): messages wait; a restart "
					 "sizes it anew", wire_in_use(ob->wire));
			ob->wire_full_noted = true;
			db_message_transition(ob->db, m->id, "sending", &back);
			continue;
		}
		if (!marks_wire(ob, p))
			wire_out(o.wire);	/* from now on it may be out, as before */
		if (chan == CHANNEL_SMS) {
			o.coding = gsm_coding_name(c->gi[i].coding);
			o.segments = (int)c->gi[i].segments;
			o.sender = p->sms->sender;
		} else {
			unsubscribe_url(ob, m, &unsub);
			o.unsubscribe_url = unsub.len ? unsub.buf : NULL;
			o.sender = ob->cfg->email.from;
		}
		if (p->ops->submit(p, &o) < 0) {
			/* The provider was full after all: back to the queue, no attempt spent. */
			struct message_change back = { .to = "queued", .provider = p->name,
				.detail = "provider busy", .now = now };
			db_message_transition(ob->db, m->id, "sending", &back);
			wire_release(ob->wire, m->id);
			if (p->rate > 0)
				p->tokens += rate_cost(p, c->gi[i].segments);
		} else {
			ob->in_flight++;
			(*busy_of(ob, p))++;
			ob->claimed[chan]++;
			changed++;
		}
		sbuf_release(&unsub);
	}
	return changed;
}

static void release_claims(struct outbox *ob)
{
	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		for (size_t i = 0; i < ob->claims[ch].n; i++)
			message_release(&ob->claims[ch].msgs[i]);
		ob->claims[ch].n = 0;
	}
}

/* A turn that could not commit (a busy or full database): its log lines
 * go, its answers stay for the next turn, which waits longer each time. */
static int turn_failed(struct outbox *ob)
{
	log_batch_discard(&ob->log);
	if (ob->failed_turns++ == 0)
		log_warn("outbox: cannot record %zu answers or claim new messages; "
			 "keeping them and retrying", ob->n_res);
	return -1;
}

/*
 * One turn: answers in, then one transaction records them and (when
 * claim_new) claims the next messages — their move to `sending` is
 * committed before any provider sees them — then the claimed messages go
 * out. One commit per turn keeps the database work per message small.
 */
static int turn(struct outbox *ob, long long now, int wait_ms, bool claim_new)
{
	int changed = 0;

	ob->again = false;
	ob->last_changed = 0;
	gather(ob, wait_ms);
	if (!claim_new && !ob->n_res)
		return 0;
	ob->last_changed = -1;	/* until it commits */
	/* Answers are read-then-write (a STOP may have come meanwhile): they
	 * need the write lock. A turn that only claims does not. */
	if ((ob->n_res ? db_begin(ob->db) : db_begin_claim(ob->db)) < 0)
		return turn_failed(ob); /* answers stay in ob->res for the next turn */
	if (record_results(ob, now) < 0)
		goto fail;
	changed += (int)ob->n_res;
	for (int ch = 0; claim_new && ch < CHANNEL_COUNT; ch++) {
		int rc = claim(ob, (enum channel)ch, now, &ob->claims[ch]);

		if (rc < 0)
			goto fail;
		changed += rc;
	}
	if (db_commit(ob->db) < 0)
		goto fail;
	log_batch_flush(&ob->log);
	note_health(ob, now);
	for (size_t i = 0; i < ob->n_res; i++)
		wire_release(ob->wire, ob->res[i].msg_id);
	ob->n_res = 0;
	if (ob->failed_turns) {
		log_info("outbox: recording again after %d failed attempts", ob->failed_turns);
		ob->failed_turns = 0;
	}
	for (int ch = 0; claim_new && ch < CHANNEL_COUNT; ch++)
		changed += submit(ob, (enum channel)ch, now, &ob->claims[ch]);
	release_claims(ob);
	ob->last_changed = changed;
	return changed;
fail:
	/* Nothing was handed over; the answers stay in ob->res for the next turn. */
	db_rollback(ob->db);
	release_claims(ob);
	return turn_failed(ob);
}

int outbox_step(struct outbox *ob, long long now, int wait_ms)
{
	return turn(ob, now, wait_ms, true);
}

int outbox_collect(struct outbox *ob, long long now, int wait_ms)
{
	return turn(ob, now, wait_ms, false);
}
