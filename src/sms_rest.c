/* SPDX-License-Identifier: MIT */
/*
 * The rest provider: one JSON POST per message to a commercial HTTP SMS
 * gateway, in the shape the config's `request` group describes (the
 * defaults are GatewayAPI.com's, which several Danish and EU gateways
 * share). Pure builders and parsers first (sms_rest.h), then the
 * provider ops over the shared libcurl multi handle.
 */
#include "budbringer/sms_rest.h"
#include "budbringer/curl_multi.h"
#include "budbringer/log.h"

#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REST_EARLY 16   /* results decided without a request */

/* "+4512345678" -> its digits; -1 unless E.164 (1-15 digits). */
static int e164_digits(const char *s, const char **digits)
{
	size_t n;

	if (!s || *s != '+')
		return -1;
	n = strlen(s + 1);
	if (n < 1 || n > 15 || strspn(s + 1, "0123456789") != n || s[1] == '0')
		return -1;
	*digits = s + 1;
	return 0;
}

static json_t *msisdn_value(int format, const char *digits)
{
	switch (format) {
	case CFG_MSISDN_NUMBER:
		return json_integer(strtoll(digits, NULL, 10));
	case CFG_MSISDN_DIGITS:
		return json_string(digits);
	default:
		return json_pack("s+", "+", digits);
	}
}

int sms_rest_body(const struct cfg_rest_request *shape, const struct sms_rest_msg *m,
		  struct sbuf *out)
{
	json_t *o = json_object(), *rcpt, *num;
	const char *digits;
	char ref[32];
	char *text;
	int ret = -1;

	if (!o || e164_digits(m->recipient, &digits) < 0 || !(num = msisdn_value(shape->msisdn_format, digits)))
		goto out;
	if (shape->recipient_style == CFG_REST_OBJECTS)
		rcpt = json_pack("[{s:o}]", shape->msisdn, num);
	else if (shape->recipient_style == CFG_REST_LIST)
		rcpt = json_pack("[o]", num);
	else
		rcpt = num;
	if (!rcpt)
		goto out;
	if (*shape->sender && m->sender)
		json_object_set_new(o, shape->sender, json_string(m->sender));
	/* json_string() refuses invalid UTF-8: the message then fails. */
	if (json_object_set_new(o, shape->message, json_string(m->text ? m->text : "")) < 0)
		goto out_rcpt;
	if (*shape->encoding)
		json_object_set_new(o, shape->encoding,
				    json_string(m->coding == GSM_CODING_UCS2 ? shape->ucs2 : shape->gsm7));
	json_object_set_new(o, shape->recipients, rcpt);
	rcpt = NULL;
	if (*shape->userref && bsnprintf(ref, sizeof(ref), "%lld", m->msg_id) == 0)
		json_object_set_new(o, shape->userref, json_string(ref));
	if (*shape->callback_url && m->callback_url)
		json_object_set_new(o, shape->callback_url, json_string(m->callback_url));
	text = json_dumps(o, JSON_COMPACT);
	if (text) {
		sbuf_addstr(out, text);
		free(text);
		ret = 0;
	}
out_rcpt:
	json_decref(rcpt);
out:
	json_decref(o);
	return ret;
}

void sms_rest_auth_header(const char *header, const char *scheme, const char *token,
			  struct sbuf *out)
{
	if (!*token)
		return;
	sbuf_addf(out, "%s: ", header);
	if (*scheme)
		sbuf_addf(out, "%s ", scheme);
	if (!strcasecmp(scheme, "Basic")) {
		size_t n = strlen(token), room = 4 * ((n + 2) / 3) + 1;
		sbuf_grow(out, room);
		out->len += (size_t)EVP_EncodeBlock((unsigned char *)out->buf + out->len,
						    (const unsigned char *)token, (int)n);
		out->buf[out->len] = '\0';
	} else {
		sbuf_addstr(out, token);
	}
}

/* A JSON id (string, number, or an object with "id") as text. */
static bool id_text(const json_t *v, char *dst, size_t n)
{
	if (json_is_object(v))
		v = json_object_get(v, "id");
	if (json_is_string(v))
		return bsnprintf(dst, n, "%s", json_string_value(v)) == 0 && *dst;
	if (json_is_integer(v))
		return bsnprintf(dst, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) == 0;
	return false;
}

static void find_msgid(const json_t *root, char *dst, size_t n)
{
	/* msg_id: GatewayAPI's Message API ({"msg_id": "01JNN…", "recipient": …,
	 * "reference": …}, gatewayapi.com/docs/message/overview). */
	static const char *const keys[] = { "msg_id", "ids", "id", "message_id", "messageId",
		"batch_id", "messages", "results", NULL };

	dst[0] = '\0';
	for (const char *const *k = keys; *k; k++) {
		const json_t *v = json_object_get(root, *k);
		if (json_is_array(v))
			v = json_array_get(v, 0);
		if (json_is_object(v) && !json_object_get(v, "id"))
			v = json_object_get(v, "message_id");
		if (v && id_text(v, dst, n))
			return;
	}
	dst[0] = '\0';
}

/* The gateway's own words for an error: "error", "message", "detail" … */
static void error_text(const char *body, size_t len, char *dst, size_t n)
{
	static const char *const keys[] = { "error", "message", "detail", "error_message",
		"description", "title", NULL };
	json_t *root = json_loadb(body, len, 0, NULL);
	const json_t *v = NULL;

	for (const char *const *k = keys; root && *k && !json_is_string(v); k++) {
		v = json_object_get(root, *k);
		if (json_is_object(v))
			v = json_object_get(v, "message");
	}
	if (json_is_string(v))
		cmulti_snippet(dst, n, json_string_value(v), strlen(json_string_value(v)));
	else
		cmulti_snippet(dst, n, body, len);
	json_decref(root);
}

enum send_status sms_rest_classify(long http_status, const char *body, size_t body_len,
				   const char *transport, bool request_left, bool idempotent,
				   char *msgid, size_t msgid_size, char *detail, size_t detail_size)
{
	char text[200];
	json_t *root;

	msgid[0] = '\0';
	if (!http_status)
		return send_no_answer("the gateway", request_left, transport, detail, detail_size);
	if (!body)
		body = "", body_len = 0;
	if (http_status < 200 || http_status >= 300) {
		error_text(body, body_len, text, sizeof(text));
		(void)bsnprintf(detail, detail_size, "HTTP %ld: %s", http_status, text);
		if (http_status == 401 || http_status == 403 || http_status == 407 ||
		    http_status == 408 || http_status == 429 || http_status >= 500 || http_status < 400)
			return SEND_TEMPFAIL;
		return SEND_PERMFAIL;
	}
	root = json_loadb(body, body_len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		cmulti_snippet(text, sizeof(text), body, body_len);
		(void)bsnprintf(detail, detail_size, "HTTP %ld but the answer is not JSON%s: %s",
				http_status, idempotent ? ", retrying with the same key" : "", text);
		return idempotent ? SEND_TEMPFAIL : SEND_OK;
	}
	find_msgid(root, msgid, msgid_size);
	json_decref(root);
	(void)bsnprintf(detail, detail_size, "HTTP %ld: accepted%s%s", http_status,
			*msgid ? " id=" : " (no id in the answer)", msgid);
	return SEND_OK;
}

enum dlr_outcome sms_rest_dlr_outcome(const char *status)
{
	static const char *const delivered[] = { "DELIVERED", "DELIVRD", "DELIVERY_SUCCESS", NULL };
	static const char *const failed[] = { "UNDELIVERABLE", "UNDELIV", "REJECTED", "REJECTD",
		"FAILED", "FAILURE", "ERROR", "ABORTED", "DELETED", "SKIPPED", "DELIVERY_FAILED", NULL };
	static const char *const expired[] = { "EXPIRED", NULL };

	for (const char *const *w = delivered; status && *w; w++)
		if (!strcasecmp(status, *w))
			return DLR_DELIVERED;
	for (const char *const *w = failed; status && *w; w++)
		if (!strcasecmp(status, *w))
			return DLR_FAILED;
	for (const char *const *w = expired; status && *w; w++)
		if (!strcasecmp(status, *w))
			return DLR_EXPIRED;
	return DLR_INTERIM;
}

/* Our id from a JSON value: a positive integer or a string of digits. */
static long long our_id(const json_t *v)
{
	const char *s;
	char *end;
	long long id;

	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
	if (!json_is_string(v))
		return 0;
	s = json_string_value(v);
	if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
		return 0;
	id = strtoll(s, &end, 10);
	return id > 0 ? id : 0;
}

static int parse_one(const json_t *o, struct sms_rest_dlr *d)
{
	static const char *const refs[] = { "userref", "client_reference", "reference", NULL };
	static const char *const ids[] = { "msg_id", "id", "message_id", "messageId", "batch_id",
		NULL };
	const json_t *st, *err, *code;
	char word[64];

	memset(d, 0, sizeof(*d));
	if (!json_is_object(o))
		return -1;
	/* The Message API's webhooks come in an envelope, {"event_id",
	 * "timestamp", "event_type": "messaging.status.sms", "event": {…}}:
	 * the report is the event. */
	if (json_is_object(json_object_get(o, "event")) && json_object_get(o, "event_type"))
		o = json_object_get(o, "event");
	st = json_object_get(o, "status");
	err = json_object_get(o, "error");
	code = json_object_get(o, "code");
	if (!st)
		st = json_object_get(o, "state");
	if (!id_text(st, word, sizeof(word)))
		return -1;
	for (const char *const *k = refs; *k && !d->msg_id; k++)
		d->msg_id = our_id(json_object_get(o, *k));
	for (const char *const *k = ids; *k && !d->provider_msgid[0]; k++)
		if (!id_text(json_object_get(o, *k), d->provider_msgid, sizeof(d->provider_msgid)))
			d->provider_msgid[0] = '\0';
	if (!d->msg_id && !d->provider_msgid[0])
		return -1;
	d->outcome = sms_rest_dlr_outcome(word);
	{
		struct sbuf det = SBUF_INIT;
		char buf[128];
		sbuf_addf(&det, "%s", word);
		if (id_text(err, buf, sizeof(buf)))
			sbuf_addf(&det, " error=%s", buf);
		if (id_text(code, buf, sizeof(buf)))
			sbuf_addf(&det, " code=%s", buf);
		cmulti_snippet(d->detail, sizeof(d->detail), det.buf, det.len);
		sbuf_release(&det);
	}
	return 0;
}

int sms_rest_parse_dlr(const char *json, size_t len, struct sms_rest_dlr *out, size_t max)
{
	json_t *root = json_loadb(json, len, 0, NULL);
	int n = -1;

	if (json_is_object(root)) {
		n = max && parse_one(root, &out[0]) == 0 ? 1 : -1;
	} else if (json_is_array(root) && json_array_size(root) && json_array_size(root) <= max) {
		n = 0;
		for (size_t i = 0; i < json_array_size(root); i++, n++)
			if (parse_one(json_array_get(root, i), &out[i]) < 0) {
				n = -1;
				break;
			}
	}
	json_decref(root);
	return n;
}

/* ---- the provider --------------------------------------------------- */

struct rest {
	struct cmulti *own;
	struct cmulti_pool *pool;
	char *auth;                  /* the auth header line, or NULL */
	char *callback_base;         /* our /sms/dlr; NULL = none */
	struct send_result early[REST_EARLY];
	size_t n_early;
};

static int rest_init(struct provider *p, struct sbuf *err)
{
	const struct cfg_sms_provider *sp = p->sms;
	struct sbuf a = SBUF_INIT;
	struct rest *r;

	if (!*sp->url) {
		sbuf_addf(err, "provider '%s': url is required", p->name);
		return -1;
	}
	r = xcalloc(1, sizeof(*r));
	sms_rest_auth_header(sp->auth_header, sp->auth_scheme, sp->token, &a);
	r->auth = a.len ? sbuf_detach(&a, NULL) : NULL;
	sbuf_release(&a);
	if (*p->cfg->http.dlr_secret && *sp->request.callback_url) {
		struct sbuf b = SBUF_INIT;
		if (*sp->dlr_url)
			sbuf_addstr(&b, sp->dlr_url);
		else
			sbuf_addf(&b, "%s/sms/dlr", p->cfg->http.public_url);
		r->callback_base = sbuf_detach(&b, NULL);
	}
	p->priv = r;
	return 0;
}

static struct cmulti_pool *pool_of(struct provider *p)
{
	struct rest *r = p->priv;
	struct cmulti *m = p->http;

	if (r->pool)
		return r->pool;
	if (!m && !(m = r->own = cmulti_new()))
		return NULL;
	r->pool = cmulti_pool_new(m, (size_t)p->sms->concurrency, p->sms->connect_timeout,
				  p->sms->timeout);
	return r->pool;
}

static int rest_submit(struct provider *p, const struct outbound *o)
{
	struct rest *r = p->priv;
	const struct cfg_sms_provider *sp = p->sms;
	struct cmulti_pool *pool = pool_of(p);
	struct sbuf body = SBUF_INIT, cb = SBUF_INIT, idem = SBUF_INIT;
	const char *hv[6];
	size_t nh = 0;
	struct sms_rest_msg m = {
		.sender = o->sender ? o->sender : sp->sender, .recipient = o->msg->recipient,
		.text = o->msg->body ? o->msg->body : "",
		.coding = o->coding && !strcmp(o->coding, "ucs2") ? GSM_CODING_UCS2 : GSM_CODING_GSM7,
		.msg_id = o->msg->id,
	};
	struct cmulti_request rq = { .tag = o->msg->id, .method = "POST", .url = sp->url };
	int ret = 0;

	if (!pool || !cmulti_pool_idle(pool) || r->n_early == REST_EARLY)
		return -1;
	if (r->callback_base) {
		sbuf_addf(&cb, "%s%csecret=", r->callback_base, strchr(r->callback_base, '?') ? '&' : '?');
		cmulti_url_escape(&cb, p->cfg->http.dlr_secret, strlen(p->cfg->http.dlr_secret));
		sbuf_addf(&cb, "&id=%lld", o->msg->id);
		m.callback_url = cb.buf;
	}
	hv[nh++] = "Content-Type: application/json";
	hv[nh++] = "Accept: application/json";
	if (r->auth)
		hv[nh++] = r->auth;
	if (p->idempotent && *sp->request.idempotency_header) {
		/* The same key on every attempt: the gateway drops repeats. */
		sbuf_addf(&idem, "%s: budbringer-%lld", sp->request.idempotency_header, o->msg->id);
		hv[nh++] = idem.buf;
	}
	hv[nh] = NULL;
	if (sms_rest_body(&sp->request, &m, &body) < 0) {
		send_result_set(&r->early[r->n_early++], o->msg->id, SEND_PERMFAIL, NULL,
				"cannot build the request: recipient is not E.164 or text not UTF-8");
	} else {
		rq.headers = hv;
		rq.body = body.buf;
		rq.body_len = body.len;
		if (cmulti_pool_start(pool, &rq) < 0)
			ret = -1;
		else
			log_debug("rest request started msg=%lld provider=%s", o->msg->id, p->name);
	}
	sbuf_release(&body);
	sbuf_release(&cb);
	sbuf_release(&idem);
	return ret;
}

struct collect {
	struct send_result *out;
	size_t n;
	bool idempotent;
};

static void on_done(const struct cmulti_response *r, void *arg)
{
	struct collect *c = arg;
	struct send_result *res = &c->out[c->n++];
	char id[sizeof(res->provider_msgid)], detail[sizeof(res->detail)];
	enum send_status st;

	st = sms_rest_classify(r->status, r->body, r->body_len, r->error, !r->connect_failed,
			       c->idempotent, id, sizeof(id), detail, sizeof(detail));
	send_result_set(res, r->tag, st, id, "%s", detail);
	log_debug("rest answered msg=%lld status=%ld ms=%ld", r->tag, r->status, r->elapsed_ms);
}

static size_t rest_poll(struct provider *p, int timeout_ms, struct send_result *out, size_t max)
{
	struct rest *r = p->priv;
	struct collect c = { .out = out, .idempotent = p->idempotent };
	size_t n = r->n_early < max ? r->n_early : max;

	memcpy(out, r->early, n * sizeof(*out));
	memmove(r->early, r->early + n, (r->n_early - n) * sizeof(*out));
	r->n_early -= n;
	c.n = n;
	if (!r->pool || c.n == max)
		return c.n;
	if (!cmulti_pool_finished(r->pool))
		cmulti_run(cmulti_pool_multi(r->pool),
			   c.n || !cmulti_pool_running(r->pool) ? 0 : timeout_ms);
	cmulti_pool_take(r->pool, max - c.n, on_done, &c);
	return c.n;
}

static size_t rest_capacity(struct provider *p)
{
	struct rest *r = p->priv;

	if (r->n_early == REST_EARLY)
		return 0;
	return r->pool ? cmulti_pool_idle(r->pool) : (size_t)p->sms->concurrency;
}

static void rest_free(struct provider *p)
{
	struct rest *r = p->priv;

	if (!r)
		return;
	cmulti_pool_free(r->pool);
	cmulti_free(r->own);
	free(r->auth);
	free(r->callback_base);
	free(r);
}

const struct provider_ops rest_sms_ops = {
	.type = "rest", .channel = CHANNEL_SMS, .uses_http = true,
	.init = rest_init, .submit = rest_submit,
	.poll = rest_poll, .capacity = rest_capacity, .free = rest_free,
};
