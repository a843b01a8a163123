/* SPDX-License-Identifier: MIT */
/* Status callbacks: payloads, signatures, the retry schedule (callback.h). */
#include "budbringer/callback.h"
#include "budbringer/clock.h"
#include "budbringer/log.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

static void to_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 15];
	}
	out[2 * n] = '\0';
}

int callback_secret_new(char out[CALLBACK_SECRET_LEN])
{
	unsigned char r[32];
	size_t got = 0;

	while (got < sizeof(r)) {
		ssize_t n = getrandom(r + got, sizeof(r) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			out[0] = '\0';
			return error("getrandom: %s", n < 0 ? strerror(errno) : "no bytes");
		}
		got += (size_t)n;
	}
	memcpy(out, "whsec_", 6);
	to_hex(r, sizeof(r), out + 6);
	OPENSSL_cleanse(r, sizeof(r));
	return 0;
}

int callback_sign(const char *secret, long long t, const char *body, size_t len, char out[65])
{
	struct sbuf msg = SBUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	int ret = -1;

	out[0] = '\0';
	if (!secret || !*secret)
		return error("callback: no secret to sign with");
	sbuf_addf(&msg, "%lld.", t);
	sbuf_add(&msg, body ? body : "", body ? len : 0);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg.buf, msg.len,
		 mac, &maclen) && maclen == 32) {
		to_hex(mac, maclen, out);
		ret = 0;
	} else {
		error("cannot compute an HMAC-SHA256");
	}
	OPENSSL_cleanse(mac, sizeof(mac));
	sbuf_release(&msg);
	return ret;
}

int callback_signature(const char *secret, long long t, const char *body, size_t len,
		       struct sbuf *out)
{
	char hex[65];

	if (callback_sign(secret, t, body, len, hex) < 0)
		return -1;
	sbuf_addf(out, "t=%lld,v1=%s", t, hex);
	return 0;
}

bool callback_message_state(const char *state)
{
	static const char *const states[] = { "delivered", "failed", "bounced", "unknown",
		"expired", NULL };

	for (const char *const *s = states; state && *s; s++)
		if (!strcmp(*s, state))
			return true;
	return false;
}

static json_t *id_or_null(long long id)
{
	return id > 0 ? json_integer(id) : json_null();
}

char *callback_payload(const struct callback_event *e)
{
	char created[CLOCK_ISO_LEN];
	json_t *o, *inner, *counts = NULL;
	char *s;

	if (!e->event_id || !e->type || !e->state || e->campaign_id <= 0)
		return NULL;
	clock_iso_utc(e->created_at, created);
	if (!strncmp(e->type, "message.", 8)) {
		if (e->message_id <= 0 || !e->channel)
			return NULL;
		/* The ids and the outcome only: the receiver has (or should
		 * not get) the person behind the message. */
		inner = json_pack("{s:I, s:I, s:s, s:s}", "id", (json_int_t)e->message_id,
				  "campaign_id", (json_int_t)e->campaign_id, "channel", e->channel,
				  "state", e->state);
	} else {
		json_error_t jerr;
		json_t *by_state, *v;
		const char *k;
		json_int_t total = 0;

		counts = json_loads(e->counts && *e->counts ? e->counts : "{}", 0, &jerr);
		if (!json_is_object(counts)) {
			json_decref(counts);
			return NULL;
		}
		by_state = json_object();
		json_object_foreach(counts, k, v) {
			if (!json_is_integer(v)) {
				json_decref(by_state);
				json_decref(counts);
				return NULL;
			}
			total += json_integer_value(v);
			json_object_set(by_state, k, v);
		}
		json_decref(counts);
		inner = json_pack("{s:I, s:s, s:o, s:o, s:{s:I, s:o}}", "id", (json_int_t)e->campaign_id,
				  "status", e->state, "opportunity_id", id_or_null(e->opportunity_id),
				  "association_id", id_or_null(e->association_id), "messages",
				  "total", total, "by_state", by_state);
	}
	if (!inner)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:o}", "id", e->event_id, "type", e->type, "created_at",
		      created, strncmp(e->type, "message.", 8) ? "campaign" : "message", inner);
	if (!o)
		return NULL;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
	json_decref(o);
	return s;
}

enum callback_verdict callback_classify(long status)
{
	if (status >= 200 && status <= 299)
		return CALLBACK_DONE;
	if (status == 0 || status == 408 || status == 429 || (status >= 500 && status <= 599))
		return CALLBACK_RETRY;
	return CALLBACK_FAIL;
}

long long callback_backoff(int attempts, int initial, int max, double jitter)
{
	long long d = initial > 0 ? initial : 1;

	for (int i = 1; i < attempts && d < max; i++)
		d *= 2;
	if (d > max)
		d = max;
	if (jitter > 0 && jitter < 1)
		d += (long long)((double)d * jitter / 10.0);
	return d;
}

enum callback_verdict callback_after(long status, int attempts, long long created_at,
				     long long now, const struct callback_retry *r, double jitter,
				     long long *next_at)
{
	enum callback_verdict v = callback_classify(status);

	*next_at = now;
	if (v != CALLBACK_RETRY)
		return v;
	*next_at = now + callback_backoff(attempts, r->backoff_initial, r->backoff_max, jitter);
	if (*next_at - created_at > r->retry_for)
		return CALLBACK_FAIL;
	return CALLBACK_RETRY;
}
