/* SPDX-License-Identifier: MIT */
/*
 * The JSON API for associations and the portal:
 *
 *   POST /api/v1/campaigns        association token: a campaign for one of
 *                                 its own opportunities (campaign_create(),
 *                                 the same code as `budbringer campaign create`)
 *   GET  /api/v1/campaigns/{id}   association (own campaigns) or portal
 *                                 token: status and per-state counts
 *   POST /api/v1/subscribers      portal token: sign-up by phone and/or
 *                                 email, which starts the double opt-in
 *
 * Tokens come as "Authorization: Bearer …" and are compared as SHA-256
 * hashes (token_hash_secret()); the database and the config hold only
 * hashes. Bodies are checked field by field before anything is written:
 * unknown fields, wrong types and bad values get 400 with the field named.
 */
#include "budbringer/campaign.h"
#include "budbringer/clock.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/db_inbound.h"
#include "budbringer/http.h"
#include "budbringer/mime.h"
#include "budbringer/inbound.h"
#include "budbringer/log.h"
#include "budbringer/mail_confirm.h"
#include "budbringer/phone.h"
#include "budbringer/sms_guard.h"
#include "budbringer/token.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define TEXT_MAX 1600          /* a campaign text: ten SMS segments and then some */
#define KEY_MAX 128
#define PAST_SLACK 300         /* a send_at this far in the past means "now" (clock skew) */

http_handler_fn http_api_campaigns, http_api_campaign_get, http_api_subscribers;

static void unauthorized(struct http_response *resp, const char *why)
{
	http_json_error(resp, 401, "%s", why);
	http_add_header(resp, "WWW-Authenticate", "Bearer realm=\"budbringer\"");
}

/* The association an active token belongs to; 0 with 401 written. */
static long long auth_association(struct http_request *req, struct http_response *resp)
{
	const char *tok = http_bearer(req);
	char hex[65];
	long long id;

	if (!tok) {
		unauthorized(resp, "missing token: send 'Authorization: Bearer TOKEN'");
		return 0;
	}
	if (token_hash_secret(tok, hex) < 0 || (id = db_association_by_token(req->db, hex)) <= 0) {
		unauthorized(resp, "invalid, rotated or revoked token");
		return 0;
	}
	return id;
}

static bool is_portal(struct http_request *req)
{
	const char *want = req->cfg->http.portal_token_sha256, *tok = http_bearer(req);
	char hex[65];

	/* A short token could be guessed whatever its hash: never accepted. */
	return *want && tok && strlen(tok) >= CFG_SECRET_MIN && token_hash_secret(tok, hex) == 0 &&
	       token_equal(hex, want);
}

long long http_api_caller(struct http_request *req, struct http_response *resp)
{
	return is_portal(req) ? HTTP_API_PORTAL : auth_association(req, resp);
}

static void send_json(struct http_response *resp, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);

	resp->status = status;
	resp->content_type = "application/json";
	sbuf_reset(&resp->body);
	sbuf_addstr(&resp->body, s ? s : "{}");
	sbuf_addch(&resp->body, '\n');
	free(s);
	json_decref(j);
}

/* The body as a JSON object with only the allowed keys; NULL with 400. */
static json_t *read_object(struct http_request *req, struct http_response *resp,
			   const char *const *allowed)
{
	json_error_t jerr;
	json_t *o, *v;
	const char *key;

	if (!req->body_len) {
		http_json_error(resp, 400, "empty body: send a JSON object");
		return NULL;
	}
	o = json_loadb(req->body, req->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!o) {
		http_json_error(resp, 400, "body is not valid JSON: %s (line %d, column %d)", jerr.text,
				jerr.line, jerr.column);
		return NULL;
	}
	if (!json_is_object(o)) {
		http_json_error(resp, 400, "body must be a JSON object");
		goto bad;
	}
	json_object_foreach(o, key, v) {
		const char *const *a;
		for (a = allowed; *a && strcmp(*a, key); a++)
			;
		if (!*a) {
			http_json_error(resp, 400, "unknown field '%.40s'", key);
			goto bad;
		}
	}
	return o;
bad:
	json_decref(o);
	return NULL;
}

/* A string member without NUL bytes, 1..max bytes; NULL when absent.
 * Sets *bad (and writes 400) when present but not such a string. */
static const char *get_string(json_t *o, const char *key, size_t max, struct http_response *resp,
			      bool *bad)
{
	json_t *v = json_object_get(o, key);
	size_t n;

	if (!v || json_is_null(v))
		return NULL;
	n = json_is_string(v) ? json_string_length(v) : 0;
	if (!json_is_string(v) || !n || n > max || strlen(json_string_value(v)) != n) {
		http_json_error(resp, 400, "'%s' must be a non-empty string of at most %zu bytes", key,
				max);
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* An integer member in [min, max]; def when absent or null. */
static long long get_int(json_t *o, const char *key, long long min, long long max, long long def,
			 struct http_response *resp, bool *bad)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v))
		return def;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		http_json_error(resp, 400, "'%s' must be an integer from %lld to %lld", key, min, max);
		*bad = true;
		return def;
	}
	return json_integer_value(v);
}

/* Copies the strings of array member `key` (each 1..maxlen bytes) into
 * out[0..max); returns the count, or -1 with 400 written. */
static int get_strings(json_t *o, const char *key, size_t maxlen, const char **out, size_t max,
		       struct http_response *resp)
{
	json_t *a = json_object_get(o, key), *v;
	size_t i;

	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a) || json_array_size(a) > max) {
		http_json_error(resp, 400, "'%s' must be an array of at most %zu strings", key, max);
		return -1;
	}
	json_array_foreach(a, i, v) {
		size_t n = json_is_string(v) ? json_string_length(v) : 0;
		if (!n || n > maxlen || strlen(json_string_value(v)) != n) {
			http_json_error(resp, 400, "'%s'[%zu] must be a string of 1 to %zu bytes", key, i,
					maxlen);
			return -1;
		}
		out[i] = json_string_value(v);
	}
	return (int)json_array_size(a);
}

/* "2026-05-01T18:00:00Z", "…+02:00", or without a zone in the configured
 * one (the daemon runs with TZ set to it); an integer is unix time. */
static int parse_when(json_t *v, long long *out)
{
	struct tm tm;
	const char *s, *end;
	int sign, oh, om;

	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return *out > 0 ? 0 : -1;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M", &tm);
	if (!end)
		return -1;
	if (*end == ':') {
		end = strptime(end, ":%S", &tm);
		if (!end)
			return -1;
	}
	if (!*end) {
		tm.tm_isdst = -1;
		*out = (long long)mktime(&tm);
		return *out == -1 ? -1 : 0;
	}
	if (!strcmp(end, "Z")) {
		*out = (long long)timegm(&tm);
		return 0;
	}
	if ((end[0] == '+' || end[0] == '-') && strlen(end) == 6 &&
	    sscanf(end + 1, "%2d:%2d", &oh, &om) == 2 && oh <= 14 && om < 60) {
		sign = end[0] == '+' ? 1 : -1;
		*out = (long long)timegm(&tm) - sign * (oh * 3600LL + om * 60LL);
		return 0;
	}
	return -1;
}

/* ---- POST /api/v1/campaigns ---- */

static int read_campaign(struct http_request *req, struct http_response *resp, json_t *o,
			 struct campaign_request *rq, long long now)
{
	const char *chans[CHANNEL_COUNT * 2];
	bool bad = false;
	json_t *texts, *v;
	const char *lang;
	int n;

	rq->opportunity_id = get_int(o, "opportunity_id", 1, (1LL << 53), 0, resp, &bad);
	if (bad)
		return -1;
	if (!rq->opportunity_id) {
		http_json_error(resp, 400, "missing field 'opportunity_id'");
		return -1;
	}
	if ((n = get_strings(o, "channels", 8, chans, CHANNEL_COUNT * 2, resp)) < 0)
		return -1;
	if (json_object_get(o, "channels")) {
		rq->channels[CHANNEL_SMS] = rq->channels[CHANNEL_EMAIL] = false;
		for (int i = 0; i < n; i++) {
			enum channel ch;
			if (channel_parse(chans[i], &ch) < 0) {
				http_json_error(resp, 400, "'channels' may hold \"sms\" and \"email\"");
				return -1;
			}
			rq->channels[ch] = true;
		}
		if (!n) {
			http_json_error(resp, 400, "'channels' must not be empty");
			return -1;
		}
	}
	rq->min_age = (int)get_int(o, "min_age", 0, 120, -1, resp, &bad);
	rq->max_age = bad ? -1 : (int)get_int(o, "max_age", 0, 120, -1, resp, &bad);
	if (bad || get_strings(o, "langs", 3, rq->langs, MODEL_MAX_LANGS, resp) < 0 ||
	    get_strings(o, "interests", 31, rq->interests, MODEL_MAX_INTERESTS, resp) < 0)
		return -1;
	texts = json_object_get(o, "texts");
	if (texts && !json_is_null(texts)) {
		if (!json_is_object(texts) || json_object_size(texts) > MODEL_MAX_LANGS) {
			http_json_error(resp, 400, "'texts' must be an object of language: text");
			return -1;
		}
		json_object_foreach(texts, lang, v) {
			size_t len = json_is_string(v) ? json_string_length(v) : 0;
			if (strlen(lang) != 2 || !len || len > TEXT_MAX ||
			    strlen(json_string_value(v)) != len) {
				http_json_error(resp, 400, "'texts'.'%.8s' must be a two-letter code with a "
						"text of 1 to %d bytes", lang, TEXT_MAX);
				return -1;
			}
			rq->texts[rq->n_texts].lang = lang;
			rq->texts[rq->n_texts++].body = json_string_value(v);
		}
	}
	if ((v = json_object_get(o, "send_at")) && !json_is_null(v)) {
		if (parse_when(v, &rq->send_at) < 0) {
			http_json_error(resp, 400, "'send_at' must be ISO 8601 (2026-05-01T18:00:00Z) "
					"or unix time");
			return -1;
		}
		if (rq->send_at < now - PAST_SLACK) {
			http_json_error(resp, 400, "'send_at' is in the past");
			return -1;
		}
		if (rq->send_at <= now)
			rq->send_at = 0;
	}
	if ((v = json_object_get(o, "fallback_email")) && !json_is_null(v)) {
		if (!json_is_boolean(v)) {
			http_json_error(resp, 400, "'fallback_email' must be true or false");
			return -1;
		}
		rq->fallback_email = json_is_true(v) ? CAMPAIGN_FALLBACK_ON : CAMPAIGN_FALLBACK_OFF;
	}
	rq->idempotency_key = get_string(o, "idempotency_key", KEY_MAX, resp, &bad);
	if (!rq->idempotency_key && !bad)
		rq->idempotency_key = http_header(req, "Idempotency-Key");
	if (bad)
		return -1;
	if (rq->idempotency_key && (!*rq->idempotency_key || strlen(rq->idempotency_key) > KEY_MAX)) {
		http_json_error(resp, 400, "the idempotency key must be 1 to %d bytes", KEY_MAX);
		return -1;
	}
	return 0;
}

void http_api_campaigns(struct http_request *req, struct http_response *resp)
{
	static const char *const fields[] = {
		"opportunity_id", "channels", "min_age", "max_age", "langs", "interests", "texts",
		"send_at", "idempotency_key", "fallback_email", NULL,
	};
	struct campaign_request rq = { .kind = "association", .min_age = -1, .max_age = -1,
		.channels = { true, true } };
	struct sbuf err = SBUF_INIT, who = SBUF_INIT, key = SBUF_INIT;
	struct campaign c;
	long long assoc, id = 0, now = (long long)time(NULL);
	json_t *o = NULL;
	enum campaign_create_result r;
	char loc[64];

	if (!(assoc = auth_association(req, resp)))
		return;
	if (!(o = read_object(req, resp, fields)) || read_campaign(req, resp, o, &rq, now) < 0)
		goto out;
	rq.association_id = assoc;
	sbuf_addf(&who, "api:association:%lld", assoc);
	rq.created_by = who.buf;
	if (rq.idempotency_key) {
		/* Keys are per association: one cannot collide with another's. */
		sbuf_addf(&key, "api:%lld:%s", assoc, rq.idempotency_key);
		rq.idempotency_key = key.buf;
	}
	r = campaign_create(req->db, req->cfg, &rq, now, &id, &err);
	switch (r) {
	case CAMPAIGN_CREATED:
	case CAMPAIGN_DUPLICATE:
		if (db_campaign_get(req->db, id, &c) != 0) {
			http_json_error(resp, 500, "campaign %lld was stored but cannot be read", id);
			break;
		}
		if (bsnprintf(loc, sizeof(loc), "/api/v1/campaigns/%lld", id) == 0)
			http_add_header(resp, "Location", loc);
		send_json(resp, r == CAMPAIGN_CREATED ? 201 : 200,
			  json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "status", c.status,
				    "duplicate", r == CAMPAIGN_DUPLICATE));
		campaign_release(&c);
		http_request_wake(req);
		break;
	case CAMPAIGN_FORBIDDEN:
		http_json_error(resp, 403, "%s", err.buf);
		break;
	case CAMPAIGN_INVALID:
		http_json_error(resp, 422, "%s", err.buf);
		break;
	default:
		http_json_error(resp, 500, "cannot create the campaign now; retry");
		break;
	}
out:
	json_decref(o);
	sbuf_release(&err);
	sbuf_release(&who);
	sbuf_release(&key);
}

/* ---- GET /api/v1/campaigns/{id} ---- */

static int add_count(const char *state, const char *channel, long long n, void *arg)
{
	json_t *counts = arg, *by_state = json_object_get(counts, "by_state");
	json_t *by_channel = json_object_get(counts, "by_channel"), *ch;
	json_t *total = json_object_get(counts, "total");
	json_t *st = json_object_get(by_state, state);

	json_object_set_new(by_state, state, json_integer((st ? json_integer_value(st) : 0) + n));
	if (!(ch = json_object_get(by_channel, channel))) {
		ch = json_object();
		json_object_set_new(by_channel, channel, ch);
	}
	json_object_set_new(ch, state, json_integer(n));
	json_integer_set(total, json_integer_value(total) + n);
	return 0;
}

static json_t *string_array(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; v[i]; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *age(int a)
{
	return a < 0 ? json_null() : json_integer(a);
}

void http_api_campaign_get(struct http_request *req, struct http_response *resp)
{
	const char *p = req->path + strlen("/api/v1/campaigns/");
	struct campaign c;
	long long assoc = 0, id;
	char send_at[CLOCK_ISO_LEN], valid[CLOCK_ISO_LEN], created[CLOCK_ISO_LEN];
	json_t *channels, *counts, *texts;
	int rc;

	if (!(id = http_parse_id(p))) {
		http_json_error(resp, 404, "no such route");
		return;
	}
	if (!is_portal(req) && !(assoc = auth_association(req, resp)))
		return;
	rc = db_campaign_get(req->db, id, &c);
	if (rc < 0) {
		http_json_error(resp, 500, "cannot read the campaign now; retry");
		return;
	}
	if (rc == 1) {
		http_json_error(resp, 404, "no campaign %lld", id);
		return;
	}
	if (assoc && c.association_id != assoc) {
		http_json_error(resp, 403, "campaign %lld belongs to another association", id);
		campaign_release(&c);
		return;
	}
	channels = json_array();
	for (int ch = 0; ch < CHANNEL_COUNT; ch++)
		if (c.channels[ch])
			json_array_append_new(channels, json_string(channel_name((enum channel)ch)));
	texts = json_object();
	for (size_t i = 0; i < c.n_texts; i++)
		json_object_set_new(texts, c.texts[i].lang, json_string(c.texts[i].body));
	counts = json_pack("{s:I, s:{}, s:{}}", "total", (json_int_t)0, "by_state", "by_channel");
	if (db_message_counts(req->db, id, add_count, counts) < 0) {
		json_decref(channels);
		json_decref(texts);
		json_decref(counts);
		campaign_release(&c);
		http_json_error(resp, 500, "cannot count the campaign's messages now; retry");
		return;
	}
	clock_iso_utc(c.send_at, send_at);
	clock_iso_utc(c.valid_until, valid);
	clock_iso_utc(c.created_at, created);
	send_json(resp, 200,
		  json_pack("{s:I, s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:s, s:s,"
			    " s:s?, s:o}",
			    "id", (json_int_t)c.id, "kind", c.kind, "status", c.status,
			    "opportunity_id", (json_int_t)c.opportunity_id,
			    "association_id", c.association_id ? json_integer(c.association_id) : json_null(),
			    "channels", channels, "min_age", age(c.min_age), "max_age", age(c.max_age),
			    "langs", string_array(c.langs), "interests", string_array(c.interests),
			    "texts", texts, "send_at", send_at, "valid_until", valid,
			    "created_at", created, "created_by", c.created_by, "messages", counts));
	campaign_release(&c);
}

/* ---- POST /api/v1/subscribers ---- */

struct signup {
	const char *phone, *email, *lang;
	int birth_year;
	const char *interests[MODEL_MAX_INTERESTS + 1];
	char phone_buf[PHONE_E164_MAX];
	char email_buf[256];
};

static int read_signup(const struct config *cfg, json_t *o, struct signup *su,
		       struct http_response *resp, long long now)
{
	const char *why = "not a phone number";
	bool bad = false;
	int n, year;

	year = model_year(now);
	su->phone = get_string(o, "phone", 32, resp, &bad);
	su->email = bad ? NULL : get_string(o, "email", 254, resp, &bad);
	su->lang = bad ? NULL : get_string(o, "lang", 3, resp, &bad);
	su->birth_year = bad ? 0 : (int)get_int(o, "birth_year", 1900, year, 0, resp, &bad);
	if (bad || (n = get_strings(o, "interests", 31, su->interests, MODEL_MAX_INTERESTS, resp)) < 0)
		return -1;
	su->interests[n] = NULL;
	if (!su->phone && !su->email) {
		http_json_error(resp, 400, "give 'phone' or 'email' (or both)");
		return -1;
	}
	if (su->phone) {
		if (phone_normalise(su->phone, cfg->default_country, su->phone_buf, &why) < 0) {
			http_json_error(resp, 400, "'phone' is not a phone number: %s", why);
			return -1;
		}
		su->phone = su->phone_buf;
	}
	if (su->email) {
		if (mime_addr_normalise(su->email, su->email_buf, sizeof(su->email_buf)) < 0) {
			http_json_error(resp, 400, "'email' is not an email address");
			return -1;
		}
		su->email = su->email_buf;
	}
	if (!su->lang)
		su->lang = cfg->languages[0];
	if (!cfg_has_language(cfg, su->lang)) {
		http_json_error(resp, 400, "'lang' must be one of the configured languages");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (!cfg_interest_find(cfg, su->interests[i])) {
			http_json_error(resp, 400, "interest '%.31s' is not in the taxonomy",
					su->interests[i]);
			return -1;
		}
	}
	if (su->birth_year && year - su->birth_year < cfg->min_age) {
		http_json_error(resp, 422, "sign-up refused: the minimum age is %d", cfg->min_age);
		return -1;
	}
	return 0;
}

/*
 * What a sign-up did with one address. Only the log and the audit log
 * learn it: the caller gets the same answer whatever happened, or the
 * portal's form would tell anyone who is subscribed.
 */
enum signup_outcome {
	SIGNUP_NEW,        /* unknown: its own pending subscriber, question sent */
	SIGNUP_ASKED,      /* known, not confirmed: asked again */
	SIGNUP_THROTTLED,  /* asked within the last minutes: not again */
	SIGNUP_CONFIRMED,  /* already confirmed: nothing to do */
	SIGNUP_STOPPED,    /* a number that said STOP: no question from a form */
	SIGNUP_HELD,       /* the confirmation was held back (e.g. SMS-pumping caps) */
};

static const char *const signup_outcome_names[] = {
	"new", "asked", "throttled", "confirmed", "stopped", "held",
};

/* The pending subscriber of an address nobody has confirmed: each such
 * address gets its own, never one beside another's address, so whoever
 * confirms it receives only what was asked for it. 0 ok, -1 error. */
static int signup_add_pending(struct db *db, const struct signup *su, enum channel ch,
			      const char *addr, long long now, long long *sid)
{
	struct subscriber_in in = {
		.phone = ch == CHANNEL_SMS ? addr : NULL, .email = ch == CHANNEL_EMAIL ? addr : NULL,
		.lang = su->lang, .birth_year = su->birth_year, .status = "pending",
		.source = "api:portal", .evidence = "sign-up form on the portal",
		.interests = su->interests, .now = now,
	};

	if (db_subscriber_add(db, &in, sid) == 0)
		return 0;
	/* Someone signed up this address a moment ago. */
	*sid = ch == CHANNEL_SMS ? db_subscriber_by_phone(db, addr) : db_subscriber_by_email(db, addr);
	return *sid > 0 ? 0 : -1;
}

/* Until someone confirms from an address, the latest form filled in for
 * it decides the profile: a stranger who typed a number first does not
 * choose the interests of its owner. */
static int signup_refresh_unconfirmed(struct db *db, const struct signup *su, long long sid,
				      long long now)
{
	size_t n = 0;
	int rc = db_subscriber_never_confirmed(db, sid);

	if (rc <= 0)
		return rc;
	while (su->interests[n])
		n++;
	if (db_subscriber_set_lang(db, sid, su->lang, now) < 0 ||
	    (su->birth_year && db_subscriber_set_birth_year(db, sid, su->birth_year, now) < 0) ||
	    db_subscriber_set_interests(db, sid, su->interests, n, true, now) < 0)
		return -1;
	return 0;
}

/* The SMS-pumping bounds (sms_guard.h): 0 send, 1 held (counted, and
 * the first hold of each kind in an hour is a warning and an audit row),
 * -1 error. */
static int signup_sms_guard(struct http_request *req, const char *phone, long long now)
{
	int v = sms_guard_check(req->db, req->cfg, phone, now);
	const char *reason;
	char counter[96];
	long long seen;

	if (v <= 0)
		return v;
	reason = sms_guard_reason((enum sms_guard_verdict)v);
	if (bsnprintf(counter, sizeof(counter), "budbringer_confirm_sms_held_total{reason=\"%s\"}",
		      reason) == 0)
		http_count(req->server, counter, 1);
	if (v == SMS_GUARD_COUNTRY)
		return 1;
	if ((seen = db_audit_count(req->db, "portal.sms_cap", reason, now - 3600)) < 0)
		return -1;
	if (seen == 0) {
		log_warn("portal sign-up: confirmation SMS held back, %s reached (sms.confirm_%s);"
			 " further ones this hour are held silently", reason,
			 v == SMS_GUARD_GLOBAL_CAP ? "hourly_cap" : "prefix_hourly_cap");
		if (db_audit(req->db, now, "portal", "portal.sms_cap", reason, NULL) < 0)
			return -1;
	}
	return 1;
}

/* Handles one address of a sign-up inside the caller's transaction.
 * 0 (*outcome, *sid set), -1 error. */
static int signup_address(struct http_request *req, const struct signup *su, enum channel ch,
			  const char *addr, long long now, enum signup_outcome *outcome,
			  long long *sid)
{
	const char *name = channel_name(ch);
	struct subscriber s;
	int rc;

	*sid = ch == CHANNEL_SMS ? db_subscriber_by_phone(req->db, addr)
				 : db_subscriber_by_email(req->db, addr);
	if (*sid < 0)
		return -1;
	/* A number that said STOP gets no question from a form anyone can
	 * fill in; it can join again by texting the keyword. */
	if (ch == CHANNEL_SMS && db_is_suppressed(req->db, addr, name)) {
		*outcome = SIGNUP_STOPPED;
		return 0;
	}
	if (*sid == 0) {
		if (signup_add_pending(req->db, su, ch, addr, now, sid) < 0)
			return -1;
		*outcome = SIGNUP_NEW;
	} else {
		if (db_subscriber_get(req->db, *sid, &s) != 0)
			return -1;
		rc = s.consent[ch] ? 1 : 0;
		subscriber_release(&s);
		if (rc) {
			*outcome = SIGNUP_CONFIRMED;
			return 0;
		}
		if (signup_refresh_unconfirmed(req->db, su, *sid, now) < 0 ||
		    db_subscriber_set_status_from(req->db, *sid, "unsubscribed", "pending", now) < 0 ||
		    db_consent_log(req->db, *sid, now, name, "request", "api:portal",
				   "sign-up form on the portal") < 0)
			return -1;
		*outcome = SIGNUP_ASKED;
	}
	if (ch == CHANNEL_SMS && (rc = signup_sms_guard(req, addr, now)) != 0) {
		if (rc < 0)
			return -1;
		*outcome = SIGNUP_HELD;
		return 0;
	}
	rc = ch == CHANNEL_SMS
		? inbound_queue_confirm_sms(req->db, req->cfg, *sid, addr, su->lang, now, NULL)
		: mail_queue_confirmation(req->db, req->cfg, *sid, now);
	if (rc < 0)
		return -1;
	if (rc == 2)
		*outcome = SIGNUP_THROTTLED;
	else if (rc != 0)
		*outcome = SIGNUP_HELD;
	return 0;
}

void http_api_subscribers(struct http_request *req, struct http_response *resp)
{
	static const char *const fields[] = {
		"phone", "email", "lang", "birth_year", "interests", NULL,
	};
	const struct config *cfg = req->cfg;
	struct signup su;
	struct sbuf logline = SBUF_INIT;
	long long now = (long long)time(NULL);
	json_t *o = NULL;
	bool queued = false;

	memset(&su, 0, sizeof(su));
	if (!*cfg->http.portal_token_sha256) {
		unauthorized(resp, "the portal API is switched off (http.portal_token_sha256 is empty)");
		goto out;
	}
	if (!is_portal(req)) {
		unauthorized(resp, http_bearer(req) ? "invalid portal token" :
				   "missing token: send 'Authorization: Bearer TOKEN'");
		goto out;
	}
	if (!(o = read_object(req, resp, fields)) || read_signup(cfg, o, &su, resp, now) < 0)
		goto out;
	/* One transaction from lookup to queued confirmation: a failure leaves
	 * no pending subscriber without its question. */
	if (db_begin(req->db) < 0)
		goto fail;
	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		const char *addr = ch == CHANNEL_SMS ? su.phone : su.email;
		const char *name = channel_name((enum channel)ch);
		enum signup_outcome oc;
		char subject[40], detail[48];
		long long sid = 0;

		if (!addr)
			continue;
		if (signup_address(req, &su, (enum channel)ch, addr, now, &oc, &sid) < 0 ||
		    bsnprintf(subject, sizeof(subject), "subscriber:%lld", sid) < 0 ||
		    bsnprintf(detail, sizeof(detail), "%s %s", name, signup_outcome_names[oc]) < 0 ||
		    db_audit(req->db, now, "portal", "portal.signup", sid ? subject : NULL, detail) < 0)
			goto rollback;
		queued |= oc == SIGNUP_NEW || oc == SIGNUP_ASKED;
		sbuf_addf(&logline, " %s=%s subscriber=%lld", name, signup_outcome_names[oc], sid);
	}
	if (db_commit(req->db) < 0)
		goto rollback;
	if (queued)
		http_request_wake(req);
	log_info("portal sign-up%s", logline.buf ? logline.buf : "");
	send_json(resp, 202, json_pack("{s:s, s:s}", "status", "received", "message",
				       "if the address can be reached, a confirmation is on its way"));
	goto out;
rollback:
	db_rollback(req->db);
fail:
	http_json_error(resp, 500, "cannot store the sign-up now; retry");
out:
	sbuf_release(&logline);
	json_decref(o);
}
