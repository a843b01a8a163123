/* SPDX-License-Identifier: MIT */
/*
 * /api/v1/callbacks: associations (their token) and the portal (its
 * token) register their own status-callback receivers.
 *
 *   POST   /api/v1/callbacks              {"url": "https://…", "messages": false}
 *                                         201 {"id", "url", "messages", "secret"}
 *   GET    /api/v1/callbacks              200 [{"id", "url", "messages", "pending",
 *                                              "failed", "last_status", "last_at"}]
 *   DELETE /api/v1/callbacks/{id}         200 {"id", "removed": true}
 *   POST   /api/v1/callbacks/{id}/secret  200 {"id", "secret"} (a new one)
 *
 * An association's receiver gets the events of its campaigns, the
 * portal's those of every campaign; each caller sees and changes only
 * its own (another's id is a 404, as an unknown one). The secret is in
 * the answer once and nowhere else. The URL check resolves the host,
 * which is the only wait in these handlers; nothing is sent from here.
 */
#include "budbringer/callback_admin.h"
#include "budbringer/callback_url.h"
#include "budbringer/clock.h"
#include "budbringer/db_callback.h"
#include "budbringer/http.h"
#include "budbringer/log.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

http_handler_fn http_api_callbacks, http_api_callback_one;

static void reply(struct http_response *resp, int status, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_SORT_KEYS) : NULL;

	resp->status = status;
	resp->content_type = "application/json";
	sbuf_reset(&resp->body);
	sbuf_addstr(&resp->body, s ? s : "{}");
	sbuf_addch(&resp->body, '\n');
	if (s)
		OPENSSL_cleanse(s, strlen(s));   /* it may hold a secret */
	free(s);
	json_decref(j);
}

/* The body: {"url": string, "messages": bool?} and nothing else. */
static int read_body(struct http_request *req, struct http_response *resp, const char **url,
		     bool *messages, json_t **out)
{
	json_error_t jerr;
	json_t *o, *v;
	const char *key;

	*out = NULL;
	if (!req->body_len) {
		http_json_error(resp, 400, "empty body: send {\"url\": \"https://…\"}");
		return -1;
	}
	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(o)) {
		http_json_error(resp, 400, "body must be a JSON object%s%s", o ? "" : ": ",
				o ? "" : jerr.text);
		json_decref(o);
		return -1;
	}
	json_object_foreach(o, key, v) {
		if (strcmp(key, "url") && strcmp(key, "messages")) {
			http_json_error(resp, 400, "unknown field '%.40s'", key);
			json_decref(o);
			return -1;
		}
	}
	v = json_object_get(o, "url");
	if (!json_is_string(v) || !json_string_length(v) ||
	    json_string_length(v) > CALLBACK_URL_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		http_json_error(resp, 400, "'url' must be a string of 1 to %d bytes", CALLBACK_URL_MAX);
		json_decref(o);
		return -1;
	}
	*url = json_string_value(v);
	v = json_object_get(o, "messages");
	if (v && !json_is_boolean(v) && !json_is_null(v)) {
		http_json_error(resp, 400, "'messages' must be true or false");
		json_decref(o);
		return -1;
	}
	*messages = json_is_true(v);
	*out = o;
	return 0;
}

static void who_of(long long caller, char *who, size_t n)
{
	if (caller == HTTP_API_PORTAL)
		(void)bsnprintf(who, n, "api:portal");
	else
		(void)bsnprintf(who, n, "api:association:%lld", caller);
}

static void add(struct http_request *req, struct http_response *resp, long long caller)
{
	char secret[CALLBACK_SECRET_LEN], who[48];
	struct sbuf why = SBUF_INIT;
	const char *url = NULL;
	bool messages = false;
	long long id = 0;
	json_t *o;
	int rc;

	if (read_body(req, resp, &url, &messages, &o) < 0)
		return;
	who_of(caller, who, sizeof(who));
	rc = callback_register(req->db, req->cfg, caller > 0 ? caller : 0, url, messages, who,
			       (long long)time(NULL), &id, secret, &why);
	if (rc == 1)
		http_json_error(resp, 422, "'url' refused: %s", why.buf);
	else if (rc < 0)
		http_json_error(resp, 500, "cannot register the callback now; retry");
	else
		reply(resp, 201, json_pack("{s:I, s:s, s:b, s:s}", "id", (json_int_t)id, "url", url,
					   "messages", messages, "secret", secret));
	OPENSSL_cleanse(secret, sizeof(secret));
	sbuf_release(&why);
	json_decref(o);
}

static int list_row(const struct callback_row *r, void *arg)
{
	char last[CLOCK_ISO_LEN];

	if (r->last_at)
		clock_iso_utc(r->last_at, last);
	json_array_append_new(arg, json_pack("{s:I, s:s, s:b, s:I, s:I, s:I, s:o, s:s?}",
		"id", (json_int_t)r->id, "url", r->url, "messages", r->messages,
		"pending", (json_int_t)r->pending, "failed", (json_int_t)r->failed,
		"sent", (json_int_t)r->sent,
		"last_status", r->last_status >= 0 ? json_integer(r->last_status) : json_null(),
		"last_at", r->last_at ? last : NULL));
	return 0;
}

void http_api_callbacks(struct http_request *req, struct http_response *resp)
{
	long long caller = http_api_caller(req, resp);
	json_t *a;

	if (!caller)
		return;
	if (!strcmp(req->method, "POST")) {
		add(req, resp, caller);
		return;
	}
	a = json_array();
	if (db_callback_each(req->db, caller > 0 ? caller : DB_CALLBACK_PORTAL, false, list_row,
			     a) < 0) {
		json_decref(a);
		http_json_error(resp, 500, "cannot list the callbacks now; retry");
		return;
	}
	reply(resp, 200, a);
}

void http_api_callback_one(struct http_request *req, struct http_response *resp)
{
	const char *p = req->path + strlen("/api/v1/callbacks/");
	const char *slash = strchr(p, '/');
	char idtext[24], secret[CALLBACK_SECRET_LEN] = "", who[48];
	struct sbuf why = SBUF_INIT;
	long long caller, id, owner;
	bool rotate = false;
	int rc;

	if (slash) {
		rotate = !strcmp(slash, "/secret");
		if (!rotate || (size_t)(slash - p) >= sizeof(idtext)) {
			http_json_error(resp, 404, "no such route");
			return;
		}
		memcpy(idtext, p, (size_t)(slash - p));
		idtext[slash - p] = '\0';
		p = idtext;
	}
	if (!(id = http_parse_id(p))) {
		http_json_error(resp, 404, "no such route");
		return;
	}
	if (rotate != !strcmp(req->method, "POST")) {
		http_json_error(resp, 405, "method %s is not allowed on %s", req->method, req->path);
		return;
	}
	if (!(caller = http_api_caller(req, resp)))
		return;
	owner = caller > 0 ? caller : DB_CALLBACK_PORTAL;
	who_of(caller, who, sizeof(who));
	if (rotate)
		rc = callback_rotate_secret(req->db, id, owner, who, (long long)time(NULL), secret, &why);
	else
		rc = callback_unregister(req->db, id, owner, who, (long long)time(NULL), &why);
	if (rc == 1)
		http_json_error(resp, 404, "no callback %lld", id);
	else if (rc < 0)
		http_json_error(resp, 500, "cannot change the callback now; retry");
	else if (rotate)
		reply(resp, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "secret", secret));
	else
		reply(resp, 200, json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
	OPENSSL_cleanse(secret, sizeof(secret));
	sbuf_release(&why);
}
