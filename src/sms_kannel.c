/* SPDX-License-Identifier: MIT */
/*
 * The kannel provider: Kannel smsbox's sendsms interface, over the shared
 * libcurl multi handle (src/curl_multi.c). The request builders and the
 * answer classification at the top are pure (see sms_kannel.h); the
 * provider ops below them only move bytes.
 *
 * sendsms gives no message id; our own message id travels in the
 * dlr-url, so delivery reports find the message without one.
 */
#include "budbringer/sms_kannel.h"
#include "budbringer/curl_multi.h"
#include "budbringer/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <strings.h>

#define KANNEL_EARLY 16   /* results decided without a request (bad text) */

static void add_param(struct sbuf *q, const char *name, const void *val, size_t len)
{
	if (q->len && q->buf[q->len - 1] != '?' && q->buf[q->len - 1] != '&')
		sbuf_addch(q, '&');
	sbuf_addstr(q, name);
	sbuf_addch(q, '=');
	cmulti_url_escape(q, val, len);
}

static void add_str(struct sbuf *q, const char *name, const char *val)
{
	add_param(q, name, val, strlen(val));
}

/* The text in the bytes Kannel gets: UTF-8 as is, or UTF-16BE for coding=2. */
static int text_bytes(const struct sms_kannel_msg *m, struct sbuf *out)
{
	size_t len = strlen(m->text);

	if (m->coding == GSM_CODING_UCS2)
		return gsm_to_ucs2be(m->text, len, out);
	sbuf_add(out, m->text, len);
	return 0;
}

int sms_kannel_get_url(const char *base, const struct sms_kannel_msg *m, struct sbuf *url)
{
	struct sbuf text = SBUF_INIT;
	char num[16];
	size_t start = url->len;

	if (text_bytes(m, &text) < 0)
		return -1;
	sbuf_addstr(url, base);
	if (!strchr(base, '?'))
		sbuf_addch(url, '?');
	add_str(url, "username", m->username);
	add_str(url, "password", m->password);
	add_str(url, "from", m->sender);
	add_str(url, "to", m->recipient);
	add_param(url, "text", text.buf, text.len);
	add_str(url, "coding", m->coding == GSM_CODING_UCS2 ? "2" : "0");
	add_str(url, "charset", m->coding == GSM_CODING_UCS2 ? "UTF-16BE" : "UTF-8");
	if (m->dlr_mask && m->dlr_url) {
		if (bsnprintf(num, sizeof(num), "%d", m->dlr_mask) < 0)
			goto fail;
		add_str(url, "dlr-mask", num);
		add_str(url, "dlr-url", m->dlr_url);
	}
	if (m->validity > 0) {
		if (bsnprintf(num, sizeof(num), "%d", m->validity) < 0)
			goto fail;
		add_str(url, "validity", num);
	}
	sbuf_release(&text);
	return 0;
fail:
	url->len = start;
	url->buf[start] = '\0';
	sbuf_release(&text);
	return -1;
}

static void add_header(struct sbuf *h, const char *name, const char *value)
{
	sbuf_addf(h, "%s: %s", name, value);
	sbuf_addch(h, '\0');
}

int sms_kannel_post(const struct sms_kannel_msg *m, struct sbuf *body, struct sbuf *headers)
{
	bool ucs2 = m->coding == GSM_CODING_UCS2;
	char num[16];

	for (const char *p = m->sender; *p; p++)
		if ((unsigned char)*p < 0x20)
			return -1; /* no header injection through a sender name */
	if (text_bytes(m, body) < 0)
		return -1;
	add_header(headers, "Content-Type", ucs2 ? "text/plain; charset=UTF-16BE"
					      : "text/plain; charset=UTF-8");
	add_header(headers, "X-Kannel-Username", m->username);
	add_header(headers, "X-Kannel-Password", m->password);
	add_header(headers, "X-Kannel-From", m->sender);
	add_header(headers, "X-Kannel-To", m->recipient);
	add_header(headers, "X-Kannel-Coding", ucs2 ? "2" : "0");
	if (m->dlr_mask && m->dlr_url) {
		if (bsnprintf(num, sizeof(num), "%d", m->dlr_mask) < 0)
			return -1;
		add_header(headers, "X-Kannel-DLR-Mask", num);
		add_header(headers, "X-Kannel-DLR-Url", m->dlr_url);
	}
	if (m->validity > 0) {
		if (bsnprintf(num, sizeof(num), "%d", m->validity) < 0)
			return -1;
		add_header(headers, "X-Kannel-Validity", num);
	}
	return 0;
}

int sms_kannel_validity(long long expires_at, long long now)
{
	long long left;

	if (expires_at <= 0)
		return 0;
	left = (expires_at - now) / 60;
	if (left < 1)
		return 1;
	/* A campaign is valid for at most a year (campaigns.valid_hours). */
	return left > 525600 ? 525600 : (int)left;
}

void sms_kannel_dlr_url(const char *base, const char *secret, long long msg_id, struct sbuf *out)
{
	sbuf_addstr(out, base);
	sbuf_addch(out, strchr(base, '?') ? '&' : '?');
	sbuf_addstr(out, "secret=");
	cmulti_url_escape(out, secret, strlen(secret));
	/* Kannel fills in %d (type), %A (SMSC answer), %T (time), %i (link). */
	sbuf_addf(out, "&id=%lld&status=%%d&answer=%%A&time=%%T&smsc=%%i", msg_id);
}

enum send_status sms_kannel_classify(long http_status, const char *body, size_t body_len,
				     const char *transport, bool request_left, char *detail,
				     size_t detail_size)
{
	char text[200];

	if (!http_status)
		return send_no_answer("sendsms", request_left, transport, detail, detail_size);
	cmulti_snippet(text, sizeof(text), body ? body : "", body ? body_len : 0);
	(void)bsnprintf(detail, detail_size, "HTTP %ld: %s", http_status, text);
	if (http_status >= 200 && http_status < 300)
		return SEND_OK;
	/* Refused credentials or throttling say nothing about the message:
	 * retry (and let failover pick another gateway meanwhile). */
	if (http_status == 401 || http_status == 403 || http_status == 407 ||
	    http_status == 408 || http_status == 429)
		return SEND_TEMPFAIL;
	if (http_status >= 400 && http_status < 500)
		return SEND_PERMFAIL;
	return SEND_TEMPFAIL;
}

static bool mentions_expiry(const char *answer)
{
	if (!answer)
		return false;
	for (const char *p = answer; *p; p++)
		if (!strncasecmp(p, "EXPIRED", 7))
			return true;
	return false;
}

int sms_kannel_dlr_outcome(int type, const char *answer, enum dlr_outcome *out)
{
	switch (type) {
	case 1:
		*out = DLR_DELIVERED;
		return 0;
	case 2:
		*out = mentions_expiry(answer) ? DLR_EXPIRED : DLR_FAILED;
		return 0;
	case 16:
		*out = DLR_FAILED;
		return 0;
	case 4: case 8:
		*out = DLR_INTERIM;
		return 0;
	default:
		return -1;
	}
}

const char *sms_kannel_dlr_type_name(int type)
{
	switch (type) {
	case 1: return "delivered to phone";
	case 2: return "not delivered to phone";
	case 4: return "queued on SMSC";
	case 8: return "delivered to SMSC";
	case 16: return "rejected by SMSC";
	default: return "unknown report type";
	}
}

/* ---- the provider --------------------------------------------------- */

struct kannel {
	struct cmulti *own;          /* when the outbox shares none */
	struct cmulti_pool *pool;
	char *dlr_base;              /* our /sms/dlr; NULL = no reports asked for */
	struct send_result early[KANNEL_EARLY];
	size_t n_early;
};

static int kannel_init(struct provider *p, struct sbuf *err)
{
	const struct cfg_sms_provider *sp = p->sms;
	struct kannel *k;

	if (!*sp->url) {
		sbuf_addf(err, "provider '%s': url is required", p->name);
		return -1;
	}
	k = xcalloc(1, sizeof(*k));
	if (sp->dlr_mask && *p->cfg->http.dlr_secret) {
		struct sbuf b = SBUF_INIT;
		if (*sp->dlr_url)
			sbuf_addstr(&b, sp->dlr_url);
		else
			sbuf_addf(&b, "%s/sms/dlr", p->cfg->http.public_url);
		k->dlr_base = sbuf_detach(&b, NULL);
	} else if (sp->dlr_mask) {
		log_warn("provider=%s: http.dlr_secret is not set, so no delivery reports are asked for",
			 p->name);
	}
	p->priv = k;
	return 0;
}

static struct cmulti_pool *pool_of(struct provider *p)
{
	struct kannel *k = p->priv;
	struct cmulti *m = p->http;

	if (k->pool)
		return k->pool;
	if (!m && !(m = k->own = cmulti_new()))
		return NULL;
	k->pool = cmulti_pool_new(m, (size_t)p->sms->concurrency, p->sms->connect_timeout,
				  p->sms->timeout);
	return k->pool;
}

static void early_result(struct kannel *k, long long id, enum send_status st, const char *why)
{
	send_result_set(&k->early[k->n_early++], id, st, NULL, "%s", why);
}

static int kannel_submit(struct provider *p, const struct outbound *o)
{
	struct kannel *k = p->priv;
	const struct cfg_sms_provider *sp = p->sms;
	struct cmulti_pool *pool = pool_of(p);
	struct sbuf url = SBUF_INIT, body = SBUF_INIT, hdrs = SBUF_INIT, dlr = SBUF_INIT;
	const char *hv[12];
	size_t nh = 0;
	struct sms_kannel_msg km = {
		.username = sp->username, .password = sp->password,
		.sender = o->sender ? o->sender : sp->sender, .recipient = o->msg->recipient,
		.text = o->msg->body ? o->msg->body : "",
		.coding = o->coding && !strcmp(o->coding, "ucs2") ? GSM_CODING_UCS2 : GSM_CODING_GSM7,
		.dlr_mask = k->dlr_base ? sp->dlr_mask : 0,
		/* An SMS that could not reach the phone before its campaign ends
		 * is dropped by the network instead of arriving days late. */
		.validity = sms_kannel_validity(o->msg->expires_at, (long long)time(NULL)),
	};
	struct cmulti_request rq = { .tag = o->msg->id, .method = "GET" };
	int ret = 0, rc;

	if (!pool || !cmulti_pool_idle(pool) || k->n_early == KANNEL_EARLY)
		return -1;
	if (k->dlr_base) {
		sms_kannel_dlr_url(k->dlr_base, p->cfg->http.dlr_secret, o->msg->id, &dlr);
		km.dlr_url = dlr.buf;
	}
	if (!strcmp(sp->method, "post")) {
		rc = sms_kannel_post(&km, &body, &hdrs);
		for (size_t off = 0; rc == 0 && off < hdrs.len && nh + 1 < 12; nh++) {
			hv[nh] = hdrs.buf + off;
			off += strlen(hdrs.buf + off) + 1;
		}
		hv[nh] = NULL;
		rq.method = "POST";
		rq.url = sp->url;
		rq.headers = hv;
		rq.body = body.buf;
		rq.body_len = body.len;
	} else {
		rc = sms_kannel_get_url(sp->url, &km, &url);
		rq.url = url.buf;
	}
	if (rc < 0)
		early_result(k, o->msg->id, SEND_PERMFAIL, "text is not valid UTF-8");
	else if (cmulti_pool_start(pool, &rq) < 0)
		ret = -1;
	else
		log_debug("sendsms started msg=%lld provider=%s coding=%s", o->msg->id, p->name,
			  km.coding == GSM_CODING_UCS2 ? "ucs2" : "gsm7");
	sbuf_release(&url);
	sbuf_release(&body);
	sbuf_release(&hdrs);
	sbuf_release(&dlr);
	return ret;
}

struct collect {
	struct send_result *out;
	size_t n;
};

static void on_done(const struct cmulti_response *r, void *arg)
{
	struct collect *c = arg;
	struct send_result *res = &c->out[c->n++];
	char detail[sizeof(res->detail)];
	enum send_status st;

	st = sms_kannel_classify(r->status, r->body, r->body_len, r->error, !r->connect_failed,
				 detail, sizeof(detail));
	send_result_set(res, r->tag, st, NULL, "%s", detail);
	log_debug("sendsms answered msg=%lld status=%ld ms=%ld", r->tag, r->status, r->elapsed_ms);
}

static size_t kannel_poll(struct provider *p, int timeout_ms, struct send_result *out, size_t max)
{
	struct kannel *k = p->priv;
	struct collect c = { .out = out };
	size_t n = k->n_early < max ? k->n_early : max;

	memcpy(out, k->early, n * sizeof(*out));
	memmove(k->early, k->early + n, (k->n_early - n) * sizeof(*out));
	k->n_early -= n;
	c.n = n;
	if (!k->pool || c.n == max)
		return c.n;
	/* Wait only when nothing is ready and something of ours is on the way. */
	if (!cmulti_pool_finished(k->pool))
		cmulti_run(cmulti_pool_multi(k->pool),
			   c.n || !cmulti_pool_running(k->pool) ? 0 : timeout_ms);
	cmulti_pool_take(k->pool, max - c.n, on_done, &c);
	return c.n;
}

static size_t kannel_capacity(struct provider *p)
{
	struct kannel *k = p->priv;

	if (k->n_early == KANNEL_EARLY)
		return 0;
	return k->pool ? cmulti_pool_idle(k->pool) : (size_t)p->sms->concurrency;
}

static void kannel_free(struct provider *p)
{
	struct kannel *k = p->priv;

	if (!k)
		return;
	cmulti_pool_free(k->pool);
	cmulti_free(k->own);
	free(k->dlr_base);
	free(k);
}

const struct provider_ops kannel_sms_ops = {
	.type = "kannel", .channel = CHANNEL_SMS, .uses_http = true,
	.init = kannel_init, .submit = kannel_submit,
	.poll = kannel_poll, .capacity = kannel_capacity, .free = kannel_free,
};
