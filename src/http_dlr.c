/* SPDX-License-Identifier: MIT */
/*
 * GET/POST /sms/dlr: delivery reports from the SMS gateways.
 *
 *   Kannel (dlr-url):  ?secret=S&id=OUR_ID&status=%d&answer=%A&time=%T&smsc=%i
 *                      (also as a form body; status may be a word instead)
 *   JSON (rest):       {"id": "gw-3", "status": "DELIVERED", "userref": "17",
 *                       "error": null, "code": null}, or an array of them
 *
 * The shared secret (http.dlr_secret) comes as ?secret=, as the header
 * X-Budbringer-Secret, or as "Authorization: Bearer S", and is compared in
 * constant time. Answers: 200 when recorded, and also for a report about
 * a message we do not have (logged, counted: a retry could never succeed,
 * so we do not invite one); 400 for a malformed report; 403 for a wrong
 * secret; 503 when the database is busy, so that the gateway retries.
 */
#include "budbringer/curl_multi.h"
#include "budbringer/db_dlr.h"
#include "budbringer/fallback.h"
#include "budbringer/http.h"
#include "budbringer/jwt.h"
#include "budbringer/log.h"
#include "budbringer/sms_kannel.h"
#include "budbringer/sms_rest.h"
#include "budbringer/token.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DLR_BATCH 100   /* reports in one JSON array */

http_handler_fn http_sms_dlr;

struct job {
	const struct dlr_report *r;
	const struct config *cfg;
	char *state;
	size_t n;
};

/* A report of failure may bring the email version (fallback.h), in the
 * same transaction: both or neither. */
static int write_report(struct db *db, void *arg)
{
	struct job *j = arg;
	int rc = db_dlr_apply(db, j->r, j->state, j->n);
	long long id = j->r->msg_id;

	if (rc == 0 && !strcmp(j->state, "failed") &&
	    (id || (id = db_dlr_message_id(db, j->r)) > 0) &&
	    fallback_after_failure(db, j->cfg, id, j->r->now) < 0)
		return -1;
	return rc;
}

/*
 * Records one report; counts and logs it. -1 only on a database error.
 * Through the listener's group commit, like inbound SMS: reports come in
 * bursts after a campaign, and one commit for many is cheaper.
 */
static int apply(struct http_request *req, struct dlr_report *r, char *state, size_t n)
{
	const char *name = dlr_outcome_name(r->outcome);
	char counter[96];
	struct job j = { .r = r, .cfg = req->cfg, .state = state, .n = n };
	int rc = http_write_batch(req, write_report, &j);

	if (rc < 0) {
		log_warn("cannot record delivery report msg=%lld remote=%s", r->msg_id, req->remote);
		return -1;
	}
	if (rc == 2) {
		log_warn("delivery report for an unknown message msg=%lld provider_msgid=%s remote=%s",
			 r->msg_id, r->provider_msgid ? r->provider_msgid : "-", req->remote);
		name = "unknown_message";
	} else {
		log_info("delivery report msg=%lld outcome=%s state=%s", r->msg_id, name, state);
	}
	if (bsnprintf(counter, sizeof(counter), "budbringer_dlr_total{outcome=\"%s\"}", name) == 0)
		http_count(req->server, counter, 1);
	return rc;
}

static void answer(struct http_response *resp, int rc, long long id, const char *state)
{
	resp->content_type = "application/json";
	if (rc == 2)
		sbuf_addf(&resp->body, "{\"status\": \"ignored\", \"reason\": \"no such message\"}\n");
	else
		sbuf_addf(&resp->body, "{\"status\": \"recorded\", \"message\": %lld, \"state\": \"%s\"}\n",
			  id, state);
}

static void busy(struct http_response *resp)
{
	http_json_error(resp, 503, "database busy, try again");
	http_add_header(resp, "Retry-After", "5");
}

static void kannel_style(struct http_request *req, struct http_response *resp)
{
	const char *status = http_query(req, "status"), *answer_text = http_query(req, "answer");
	struct dlr_report r = { .msg_id = http_parse_id(http_query(req, "id")), .now = time(NULL) };
	struct sbuf detail = SBUF_INIT;
	char state[16] = "", snippet[160];
	int rc;

	if (!r.msg_id) {
		http_json_error(resp, 400, "id must be our message id (a positive number)");
		goto out;
	}
	if (!status || !*status) {
		http_json_error(resp, 400, "status is missing");
		goto out;
	}
	if (strspn(status, "0123456789") == strlen(status)) {
		/* A number is Kannel's report type (%d). */
		long long type = http_parse_id(status);
		enum dlr_outcome o;
		if (!type || type > 255 || sms_kannel_dlr_outcome((int)type, answer_text, &o) < 0) {
			http_json_error(resp, 400, "status %s is not a report type (1, 2, 4, 8, 16)", status);
			goto out;
		}
		r.outcome = o;
		sbuf_addf(&detail, "type %lld (%s)", type, sms_kannel_dlr_type_name((int)type));
	} else {
		r.outcome = sms_rest_dlr_outcome(status);
		cmulti_snippet(snippet, 64, status, strlen(status));
		sbuf_addstr(&detail, snippet);
	}
	if (answer_text && *answer_text) {
		cmulti_snippet(snippet, sizeof(snippet), answer_text, strlen(answer_text));
		sbuf_addf(&detail, ": %s", snippet);
	}
	r.detail = detail.buf;
	rc = apply(req, &r, state, sizeof(state));
	if (rc < 0)
		busy(resp);
	else
		answer(resp, rc, r.msg_id, state);
out:
	sbuf_release(&detail);
}

static void json_style(struct http_request *req, struct http_response *resp, const char *json,
		       size_t len)
{
	struct sms_rest_dlr *d = xcalloc(DLR_BATCH, sizeof(*d));
	long long query_id = http_parse_id(http_query(req, "id"));
	char state[16] = "";
	int n = sms_rest_parse_dlr(json, len, d, DLR_BATCH), rc = 0, known = 0;

	if (n < 0) {
		http_json_error(resp, 400, "not a delivery report: a JSON object (or up to %d) with "
				"\"status\" and \"id\" or \"userref\"", DLR_BATCH);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct dlr_report r = {
			/* One report per callback URL: its ?id= is ours too. */
			.msg_id = d[i].msg_id ? d[i].msg_id : n == 1 ? query_id : 0,
			.provider_msgid = d[i].provider_msgid[0] ? d[i].provider_msgid : NULL,
			.outcome = d[i].outcome, .detail = d[i].detail, .now = time(NULL),
		};
		rc = apply(req, &r, state, sizeof(state));
		if (rc < 0) {
			busy(resp);
			goto out;
		}
		known += rc != 2;
	}
	if (n == 1) {
		answer(resp, rc, d[0].msg_id ? d[0].msg_id : query_id, state);
	} else {
		resp->content_type = "application/json";
		sbuf_addf(&resp->body, "{\"status\": \"recorded\", \"reports\": %d, \"unknown\": %d}\n",
			  n, n - known);
	}
out:
	free(d);
}

/* The event_id of a JSON object (an envelope), or NULL. */
static char *event_id(const char *json, size_t len)
{
	json_t *o = json_loadb(json, len, 0, NULL);
	const json_t *v = json_object_get(o, "event_id");
	char *id = json_is_string(v) && json_string_length(v) ? xstrdup(json_string_value(v)) : NULL;

	json_decref(o);
	return id;
}

/*
 * GatewayAPI signs a webhook with a JWT (HS256) in X-Gwapi-Signature,
 * keyed with the "authentication token" set on the webhook in its
 * dashboard — a rest provider's webhook_secret ("When setting up your
 * webhook you have an option to add an authentication token … we will
 * use it to make a JWT token, which we will send back to your server in
 * the X-Gwapi-Signature header", GatewayAPI's REST documentation). The
 * /rest/mtsms webhooks carry the whole report in the token's claims, so
 * the claims are the report; claims that are an envelope's event_id
 * vouch for a body with that event_id. Anything else is refused: a
 * valid token must not lend its signature to another body. 0 with the
 * report in out, -1 with why.
 */
static int signed_report(struct http_request *req, const char *token, struct sbuf *out,
			 struct sbuf *why)
{
	const struct config *cfg = req->cfg;
	struct sms_rest_dlr one;
	struct sbuf claims = SBUF_INIT;
	char *claimed = NULL, *body_event = NULL;
	bool keyed = false, ok = false;
	int ret = -1;

	for (size_t i = 0; i < cfg->sms.n_providers && !ok; i++) {
		const char *key = cfg->sms.providers[i].webhook_secret;

		if (!key || !*key)
			continue;
		keyed = true;
		sbuf_reset(why);
		sbuf_reset(&claims);
		ok = jwt_hs256_verify(token, (const unsigned char *)key, strlen(key), time(NULL),
				      &claims, why) == 0;
	}
	if (!keyed) {
		sbuf_reset(why);
		sbuf_addstr(why, "signed report, but no provider has a webhook_secret");
	}
	if (!ok)
		goto out;
	if (sms_rest_parse_dlr(claims.buf, claims.len, &one, 1) == 1) {
		sbuf_add(out, claims.buf, claims.len);
		ret = 0;
	} else if ((claimed = event_id(claims.buf, claims.len)) &&
		   (body_event = event_id(req->body, req->body_len)) && !strcmp(claimed, body_event)) {
		sbuf_add(out, req->body, req->body_len);
		ret = 0;
	} else {
		sbuf_addstr(why, "the signed claims are neither a report nor the body's event_id");
	}
out:
	free(claimed);
	free(body_event);
	sbuf_release(&claims);
	return ret;
}

void http_sms_dlr(struct http_request *req, struct http_response *resp)
{
	const char *want = req->cfg->http.dlr_secret, *got;
	const char *sig = http_header(req, "X-Gwapi-Signature");

	if (sig) {
		struct sbuf report = SBUF_INIT, why = SBUF_INIT;

		if (signed_report(req, sig, &report, &why) < 0) {
			log_warn("delivery report refused: %s remote=%s", why.buf, req->remote);
			http_count(req->server, "budbringer_dlr_total{outcome=\"bad_signature\"}", 1);
			http_json_error(resp, 401, "bad signature: %s", why.buf);
		} else {
			json_style(req, resp, report.buf, report.len);
		}
		sbuf_release(&report);
		sbuf_release(&why);
		return;
	}
	if (!*want) {
		http_json_error(resp, 403, "delivery reports are disabled: http.dlr_secret is not set");
		return;
	}
	got = http_shared_secret(req);
	if (!got || !token_equal(got, want)) {
		log_warn("delivery report refused: wrong or missing secret remote=%s", req->remote);
		http_count(req->server, "budbringer_dlr_total{outcome=\"refused\"}", 1);
		http_json_error(resp, 403, "wrong or missing secret");
		return;
	}
	if (req->body_len && http_body_is_json(req))
		json_style(req, resp, req->body, req->body_len);
	else
		kannel_style(req, resp);
}
