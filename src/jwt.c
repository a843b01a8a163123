/* SPDX-License-Identifier: MIT */
/* HS256 JSON Web Tokens, verification only (see jwt.h). */
#include "budbringer/jwt.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#define JWT_MAX 8192

/* base64url (RFC 4648 §5, padding optional) into out; -1 if malformed. */
static int b64url_decode(const char *s, size_t n, struct sbuf *out)
{
	struct sbuf t = SBUF_INIT;
	size_t pad;
	int len, ret = -1;

	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			goto out;
		sbuf_addch(&t, c);
	}
	pad = (4 - n % 4) % 4;
	for (size_t i = 0; i < pad; i++)
		sbuf_addch(&t, '=');
	sbuf_grow(out, t.len / 4 * 3 + 1);
	len = t.len ? EVP_DecodeBlock((unsigned char *)out->buf + out->len,
				      (const unsigned char *)t.buf, (int)t.len) : 0;
	if (len < 0 || (size_t)len < pad)
		goto out;
	out->len += (size_t)len - pad;
	out->buf[out->len] = '\0';
	ret = 0;
out:
	sbuf_release(&t);
	return ret;
}

int jwt_hs256_verify(const char *token, const unsigned char *key, size_t key_len, long long now,
		     struct sbuf *payload, struct sbuf *why)
{
	const char *d1, *d2;
	struct sbuf head = SBUF_INIT, sig = SBUF_INIT, body = SBUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	json_t *h = NULL, *p = NULL, *v;
	size_t n = token ? strlen(token) : 0;
	int ret = -1;

	if (!n || n > JWT_MAX || !(d1 = strchr(token, '.')) || !(d2 = strchr(d1 + 1, '.')) ||
	    strchr(d2 + 1, '.')) {
		sbuf_addstr(why, "not a JWT (header.payload.signature)");
		goto out;
	}
	if (b64url_decode(token, (size_t)(d1 - token), &head) < 0 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &body) < 0 ||
	    b64url_decode(d2 + 1, strlen(d2 + 1), &sig) < 0) {
		sbuf_addstr(why, "JWT is not base64url");
		goto out;
	}
	h = json_loadb(head.buf, head.len, 0, NULL);
	v = json_object_get(h, "alg");
	if (!json_is_string(v) || strcmp(json_string_value(v), "HS256")) {
		sbuf_addstr(why, "JWT is not signed with HS256");
		goto out;
	}
	if (!HMAC(EVP_sha256(), key, (int)key_len, (const unsigned char *)token,
		  (size_t)(d2 - token), mac, &mac_len) || sig.len != mac_len ||
	    CRYPTO_memcmp(mac, sig.buf, mac_len)) {
		sbuf_addstr(why, "JWT signature does not match");
		goto out;
	}
	p = json_loadb(body.buf, body.len, 0, NULL);
	if (!json_is_object(p)) {
		sbuf_addstr(why, "JWT payload is not a JSON object");
		goto out;
	}
	v = json_object_get(p, "exp");
	if (v && (!json_is_number(v) || json_number_value(v) < (double)now)) {
		sbuf_addstr(why, "JWT has expired");
		goto out;
	}
	v = json_object_get(p, "nbf");
	if (v && (!json_is_number(v) || json_number_value(v) > (double)(now + 60))) {
		sbuf_addstr(why, "JWT is not valid yet");
		goto out;
	}
	sbuf_add(payload, body.buf, body.len);
	ret = 0;
out:
	json_decref(h);
	json_decref(p);
	sbuf_release(&head);
	sbuf_release(&sig);
	sbuf_release(&body);
	return ret;
}
