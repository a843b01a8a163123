/* SPDX-License-Identifier: MIT */
/*
 * GET/POST /sms/inbound: mobile-originated SMS from the gateway.
 *
 * Two shapes: Kannel's get-url (query or form fields
 * ?secret=…&from=%p&to=%P&text=%a&id=%I) and a JSON body
 * {"msisdn", "receiver", "message", "id"}. The shared secret
 * (http.inbound_secret) comes as `secret`, as X-Inbound-Secret or as a
 * Bearer token. Success is 200 with an empty body for Kannel — smsbox
 * would otherwise be tempted to send it back as an SMS — and a short
 * JSON status for JSON callers. A database failure answers 500 so that
 * the gateway retries (Kannel: http-request-retry); the gateway id makes
 * the retry harmless.
 */
#include "budbringer/http.h"
#include "budbringer/inbound.h"
#include "budbringer/log.h"
#include "budbringer/phone.h"
#include "budbringer/token.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistr.h>

#define RECEIVER_MAX 32

struct mo {
	const char *from, *to, *text, *id;
	char idbuf[32];        /* a numeric JSON id as text */
	char from_num[32];     /* a numeric JSON msisdn as text */
};

/* A JSON member as text: strings as they are, integers printed. NULL
 * when absent or null; *bad when it has another type or holds a NUL. */
static const char *member_text(json_t *o, const char *key, char *num, size_t numsz, bool *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v)) {
		if (strlen(json_string_value(v)) != json_string_length(v))
			*bad = true;
		return json_string_value(v);
	}
	if (json_is_integer(v) && num &&
	    bsnprintf(num, numsz, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) == 0)
		return num;
	*bad = true;
	return NULL;
}

static int read_json(struct http_request *req, struct http_response *resp, json_t **root,
		     struct mo *mo)
{
	json_error_t jerr;
	bool bad = false;
	const char *key;
	json_t *v;

	*root = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*root) {
		http_json_error(resp, 400, "body is not valid JSON: %s (line %d)", jerr.text, jerr.line);
		return -1;
	}
	if (!json_is_object(*root)) {
		http_json_error(resp, 400, "body must be a JSON object");
		return -1;
	}
	json_object_foreach(*root, key, v) {
		if (strcmp(key, "msisdn") && strcmp(key, "receiver") && strcmp(key, "message") &&
		    strcmp(key, "id")) {
			http_json_error(resp, 400, "unknown field '%.40s'", key);
			return -1;
		}
	}
	mo->from = member_text(*root, "msisdn", mo->from_num, sizeof(mo->from_num), &bad);
	mo->to = member_text(*root, "receiver", NULL, 0, &bad);
	mo->text = member_text(*root, "message", NULL, 0, &bad);
	mo->id = member_text(*root, "id", mo->idbuf, sizeof(mo->idbuf), &bad);
	if (bad) {
		http_json_error(resp, 400, "msisdn, receiver, message and id must be strings "
				"(msisdn and id may be integers) without NUL characters");
		return -1;
	}
	return 0;
}

/* Gateways give "4512345678", "+4512345678" or, when a '+' in the
 * query was not escaped, " 4512345678". A national number gets the
 * default country; one too long for that is taken as international. */
static int sender_e164(const char *raw, const char *cc, char out[PHONE_E164_MAX], const char **why)
{
	char plus[40];

	raw += strspn(raw, " ");
	if (phone_normalise(raw, cc, out, why) == 0)
		return 0;
	if (strlen(raw) >= 9 && strlen(raw) <= 15 && strspn(raw, "0123456789") == strlen(raw) &&
	    bsnprintf(plus, sizeof(plus), "+%s", raw) == 0)
		return phone_normalise(plus, cc, out, NULL);
	return -1;
}

struct job {
	const struct inbound *ib;
	const struct inbound_sms *sms;
	struct inbound_outcome *out;
};

static int handle(struct db *db, void *arg)
{
	struct job *j = arg;

	return inbound_handle(j->ib, db, j->sms, (long long)time(NULL), j->out);
}

static bool printable_ascii(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return false;
	return true;
}

/* Cuts text to INBOUND_TEXT_MAX bytes without splitting a character. */
static char *bounded_text(const char *text)
{
	size_t n = strlen(text);

	if (n > INBOUND_TEXT_MAX) {
		n = INBOUND_TEXT_MAX;
		while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
			n--;
	}
	return xstrndup(text, n);
}

http_handler_fn http_sms_inbound;

void http_sms_inbound(struct http_request *req, struct http_response *resp)
{
	const struct config *cfg = req->cfg;
	struct inbound_outcome out;
	struct inbound_sms sms;
	struct job job;
	struct mo mo = { 0 };
	json_t *root = NULL;
	char from[PHONE_E164_MAX];
	const char *why = "not a phone number";
	char *text = NULL;
	bool json = http_body_is_json(req);
	int rc;

	if (!*cfg->http.inbound_secret) {
		http_json_error(resp, 403, "inbound SMS is switched off (http.inbound_secret is empty)");
		goto out;
	}
	if (!token_equal(http_shared_secret(req), cfg->http.inbound_secret)) {
		http_count(req->server, "budbringer_inbound_requests_total{result=\"forbidden\"}", 1);
		http_json_error(resp, 403, "missing or wrong secret");
		goto out;
	}
	if (json && !strcmp(req->method, "POST")) {
		if (read_json(req, resp, &root, &mo) < 0)
			goto bad;
	} else {
		mo.from = http_query(req, "from");
		mo.to = http_query(req, "to");
		mo.text = http_query(req, "text");
		mo.id = http_query(req, "id");
	}
	if (!mo.from || !*mo.from) {
		http_json_error(resp, 400, "missing sender ('from' or 'msisdn')");
		goto bad;
	}
	if (sender_e164(mo.from, cfg->default_country, from, &why) < 0) {
		http_json_error(resp, 400, "sender is not a phone number: %s", why);
		goto bad;
	}
	if (!mo.text) {
		http_json_error(resp, 400, "missing text ('text' or 'message')");
		goto bad;
	}
	if (u8_check((const uint8_t *)mo.text, strlen(mo.text))) {
		http_json_error(resp, 400, "text is not valid UTF-8 (Kannel: set mo-recode = true)");
		goto bad;
	}
	if (mo.id && *mo.id && !printable_ascii(mo.id, INBOUND_GATEWAY_ID_MAX)) {
		http_json_error(resp, 400, "id must be 1 to %d printable ASCII characters",
				INBOUND_GATEWAY_ID_MAX);
		goto bad;
	}
	if (mo.to && *mo.to && !printable_ascii(mo.to, RECEIVER_MAX)) {
		http_json_error(resp, 400, "receiver must be 1 to %d printable ASCII characters",
				RECEIVER_MAX);
		goto bad;
	}
	text = bounded_text(mo.text);
	sms = (struct inbound_sms){
		.sender = from, .receiver = mo.to && *mo.to ? mo.to : NULL, .text = text,
		.gateway_id = mo.id && *mo.id ? mo.id : NULL,
	};
	job = (struct job){ .ib = http_inbound(req), .sms = &sms, .out = &out };
	rc = http_write_batch(req, handle, &job);
	if (rc < 0) {
		http_count(req->server, "budbringer_inbound_requests_total{result=\"error\"}", 1);
		http_json_error(resp, 500, "cannot record the message now; retry");
		goto out;
	}
	if (rc == INBOUND_DUPLICATE) {
		http_count(req->server, "budbringer_inbound_requests_total{result=\"duplicate\"}", 1);
		log_info("inbound duplicate ignored gateway_id=%s", sms.gateway_id);
	} else {
		http_count(req->server, "budbringer_inbound_requests_total{result=\"handled\"}", 1);
		if (out.reply_id)
			http_request_wake(req);
	}
	resp->status = 200;
	if (json) {
		resp->content_type = "application/json";
		sbuf_addf(&resp->body, "{\"status\": \"%s\"}\n",
			  rc == INBOUND_DUPLICATE ? "duplicate" : "ok");
	} else {
		/* Nothing smsbox could mistake for a reply to send. */
		resp->content_type = "text/plain";
	}
	goto out;
bad:
	http_count(req->server, "budbringer_inbound_requests_total{result=\"invalid\"}", 1);
out:
	free(text);
	json_decref(root);
}
