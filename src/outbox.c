/* SPDX-License-Identifier: MIT */
#include "budbringer/outbox.h"
#include "budbringer/gsm.h"
#include "budbringer/log.h"
#include "budbringer/provider.h"
#include "budbringer/token.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OUTBOX_BATCH 256
#define MAX_PROVIDERS 16

struct outbox {
	struct db *db;
	const struct config *cfg;
	struct provider *sms[MAX_PROVIDERS];
	size_t n_sms;
	struct provider *mail;
	size_t in_flight;
	unsigned int seed;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct outbox *outbox_new(struct db *db, const struct config *cfg, struct sbuf *err)
{
	struct outbox *ob = xcalloc(1, sizeof(*ob));

	ob->db = db;
	ob->cfg = cfg;
	ob->seed = (unsigned int)time(NULL) ^ (unsigned int)(size_t)ob;
	for (size_t i = 0; i < cfg->sms.n_providers && i < MAX_PROVIDERS; i++) {
		const struct cfg_sms_provider *sp = &cfg->sms.providers[i];
		struct provider *p = provider_new(sp->type, sp->name, cfg, sp, err);
		if (!p)
			goto fail;
		ob->sms[ob->n_sms++] = p;
	}
	ob->mail = provider_new(cfg->email.provider, cfg->email.provider, cfg, NULL, err);
	if (!ob->mail)
		goto fail;
	return ob;
fail:
	outbox_free(ob);
	return NULL;
}

void outbox_free(struct outbox *ob)
{
	if (!ob)
		return;
	for (size_t i = 0; i < ob->n_sms; i++)
		provider_free(ob->sms[i]);
	provider_free(ob->mail);
	free(ob);
}

size_t outbox_in_flight(const struct outbox *ob)
{
	return ob->in_flight;
}

int outbox_recover(struct outbox *ob, long long now)
{
	const char *idem[MAX_PROVIDERS + 2];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < ob->n_sms; i++)
		if (ob->sms[i]->idempotent)
			idem[n++] = ob->sms[i]->name;
	if (ob->mail->idempotent)
		idem[n++] = ob->mail->name;
	idem[n] = NULL;
	rc = db_message_recover(ob->db, idem, now);
	if (rc > 0)
		log_warn("recovered %d messages that were in flight when the daemon stopped", rc);
	return rc;
}

/* Token bucket: true when the provider may send `cost` units now. */
static bool rate_take(struct provider *p, double cost)
{
	long long t = now_ms();
	if (p->rate <= 0)
		return true;
	if (p->last_refill_ms) {
		p->tokens += (double)(t - p->last_refill_ms) * p->rate / 1000.0;
		/* Allow a burst of one second's worth at most. */
		if (p->tokens > (p->rate > 1 ? p->rate : 1))
			p->tokens = p->rate > 1 ? p->rate : 1;
	}
	p->last_refill_ms = t;
	if (p->tokens < cost && !(p->tokens >= 1 && cost > p->rate))
		return false;
	p->tokens -= cost;
	return true;
}

static struct provider *pick_sms(struct outbox *ob, long long now, int segments)
{
	for (size_t i = 0; i < ob->n_sms; i++) {
		struct provider *p = ob->sms[i];
		if (p->cooldown_until > now || !p->ops->capacity(p))
			continue;
		if (!rate_take(p, p->sms->bills_segments ? segments : 1))
			return NULL; /* keep priority order: wait for the bucket */
		return p;
	}
	return NULL;
}

static struct provider *find_provider(struct outbox *ob, const char *name)
{
	for (size_t i = 0; i < ob->n_sms; i++)
		if (!strcmp(ob->sms[i]->name, name))
			return ob->sms[i];
	return ob->mail;
}

static long long backoff(struct outbox *ob, int attempts, enum channel ch)
{
	const struct config *cfg = ob->cfg;
	long long base = cfg->sms.backoff_initial, max = cfg->sms.backoff_max, d;
	(void)ch;
	d = base;
	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	/* Full jitter on the upper half, so retries of a batch spread out. */
	return d / 2 + (long long)(rand_r(&ob->seed) % (unsigned)(d / 2 + 1));
}

static void record_result(struct outbox *ob, const struct send_result *r, struct provider *p,
			  long long now)
{
	struct message_change ch = { .provider = p->name, .now = now, .detail = r->detail };
	int attempts;
	int max = p->sms ? ob->cfg->sms.max_attempts : ob->cfg->email.max_attempts;

	if (r->status == SEND_OK) {
		p->consecutive_failures = 0;
		ch.to = "sent";
		ch.provider_msgid = r->provider_msgid[0] ? r->provider_msgid : NULL;
		log_info("message sent msg=%lld provider=%s", r->msg_id, p->name);
	} else if (r->status == SEND_PERMFAIL) {
		ch.to = "failed";
		ch.reason = r->detail;
		log_info("message failed msg=%lld provider=%s reason=\"%s\"", r->msg_id, p->name, r->detail);
	} else {
		if (++p->consecutive_failures >= ob->cfg->sms.failover_after && p->sms && ob->n_sms > 1) {
			p->cooldown_until = now + ob->cfg->sms.cooldown;
			p->consecutive_failures = 0;
			log_warn("provider put aside provider=%s cooldown=%ds", p->name, ob->cfg->sms.cooldown);
		}
		attempts = db_message_attempts(ob->db, r->msg_id);
		if (attempts >= max) {
			ch.to = "failed";
			ch.reason = r->detail;
			log_info("message failed after %d attempts msg=%lld provider=%s", attempts,
				 r->msg_id, p->name);
		} else {
			ch.to = "queued";
			ch.not_before = now + backoff(ob, attempts, p->sms ? CHANNEL_SMS : CHANNEL_EMAIL);
			log_info("message deferred msg=%lld provider=%s attempt=%d reason=\"%s\"",
				 r->msg_id, p->name, attempts, r->detail);
		}
	}
	if (db_message_transition(ob->db, r->msg_id, "sending", &ch) < 0)
		log_warn("cannot record result msg=%lld", r->msg_id);
}

static int collect(struct outbox *ob, struct provider *p, int wait_ms, long long now)
{
	struct send_result res[OUTBOX_BATCH];
	size_t n = p->ops->poll(p, wait_ms, res, OUTBOX_BATCH);

	if (!n)
		return 0;
	if (db_begin(ob->db) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		record_result(ob, &res[i], p, now);
	if (db_commit(ob->db) < 0) {
		db_rollback(ob->db);
		return -1;
	}
	ob->in_flight -= n < ob->in_flight ? n : ob->in_flight;
	return (int)n;
}

static void unsubscribe_url(const struct outbox *ob, const struct message *m, struct sbuf *out)
{
	const struct config *cfg = ob->cfg;
	struct sbuf tok = SBUF_INIT;

	if (!m->subscriber_id)
		return;
	if (token_sign((const unsigned char *)cfg->secret_key, strlen(cfg->secret_key), "unsub",
		       m->subscriber_id, 0, &tok) == 0)
		sbuf_addf(out, "%s/unsubscribe?t=%s", cfg->http.public_url, tok.buf);
	sbuf_release(&tok);
}

/* Claims due messages of one channel and hands them to providers. */
static int dispatch(struct outbox *ob, enum channel chan, long long now)
{
	struct message msgs[OUTBOX_BATCH];
	struct provider *chosen[OUTBOX_BATCH];
	size_t cap = 0, n = 0, claimed = 0;
	int changed = 0;

	if (chan == CHANNEL_SMS) {
		for (size_t i = 0; i < ob->n_sms; i++)
			if (ob->sms[i]->cooldown_until <= now)
				cap += ob->sms[i]->ops->capacity(ob->sms[i]);
	} else {
		cap = ob->mail->ops->capacity(ob->mail);
	}
	if (cap > OUTBOX_BATCH)
		cap = OUTBOX_BATCH;
	if (!cap || db_message_due(ob->db, chan, now, msgs, cap, &n) < 0 || !n)
		return 0;

	/* Commit `sending` before any provider sees a message. */
	if (db_begin(ob->db) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct message *m = &msgs[i];
		struct message_change ch = { .now = now, .count_attempt = true };
		struct provider *p;

		chosen[i] = NULL;
		if (m->expires_at && m->expires_at < now) {
			struct message_change ex = { .to = "expired", .reason = "valid_until passed", .now = now };
			if (db_message_transition(ob->db, m->id, "queued", &ex) == 0)
				changed++;
			continue;
		}
		if (chan == CHANNEL_SMS) {
			struct gsm_info gi = { .segments = 1 };
			if (m->body)
				gsm_analyse(m->body, strlen(m->body), &gi);
			p = pick_sms(ob, now, (int)gi.segments);
		} else {
			p = ob->mail->ops->capacity(ob->mail) > claimed ? ob->mail : NULL;
			if (p && !rate_take(p, 1))
				p = NULL;
		}
		if (!p)
			break; /* no capacity or rate: the rest waits for the next turn */
		ch.to = "sending";
		ch.provider = p->name;
		if (db_message_transition(ob->db, m->id, "queued", &ch) != 0)
			continue;
		chosen[i] = p;
		claimed++;
	}
	if (db_commit(ob->db) < 0) {
		db_rollback(ob->db);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct message *m = &msgs[i];
		struct sbuf unsub = SBUF_INIT;
		struct gsm_info gi = { .coding = GSM_CODING_GSM7, .segments = 1 };
		struct outbound o = { .msg = m };

		if (!chosen[i])
			continue;
		if (chan == CHANNEL_SMS) {
			if (m->body)
				gsm_analyse(m->body, strlen(m->body), &gi);
			o.coding = gsm_coding_name(gi.coding);
			o.segments = (int)gi.segments;
			o.sender = chosen[i]->sms->sender;
		} else {
			unsubscribe_url(ob, m, &unsub);
			o.unsubscribe_url = unsub.len ? unsub.buf : NULL;
			o.sender = ob->cfg->email.from;
		}
		if (chosen[i]->ops->submit(chosen[i], &o) < 0) {
			/* The provider was full after all: back to the queue, no attempt spent. */
			struct message_change back = { .to = "queued", .provider = chosen[i]->name,
				.detail = "provider busy", .now = now };
			db_message_transition(ob->db, m->id, "sending", &back);
		} else {
			ob->in_flight++;
			changed++;
		}
		sbuf_release(&unsub);
	}
out:
	for (size_t i = 0; i < n; i++)
		message_release(&msgs[i]);
	return changed;
}

int outbox_step(struct outbox *ob, long long now, int wait_ms)
{
	int changed = 0, rc;

	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		rc = dispatch(ob, (enum channel)ch, now);
		if (rc > 0)
			changed += rc;
	}
	for (size_t i = 0; i < ob->n_sms; i++) {
		rc = collect(ob, ob->sms[i], ob->in_flight ? wait_ms : 0, now);
		if (rc > 0)
			changed += rc;
	}
	rc = collect(ob, ob->mail, 0, now);
	if (rc > 0)
		changed += rc;
	(void)find_provider;
	return changed;
}
