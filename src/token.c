/* SPDX-License-Identifier: MIT */
#include "budbringer/token.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define MAC_LEN		32	/* SHA-256 */
#define MAC_B64_LEN	43	/* 32 bytes in base64url without padding */
#define PAYLOAD_MAX	128	/* "1|" + purpose + 2 x 20 digits + channel, with room */

static const char b64url[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Appends base64url without padding. */
static void b64url_encode(const unsigned char *in, size_t len, struct sbuf *out)
{
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		sbuf_addch(out, b64url[v >> 18 & 63]);
		sbuf_addch(out, b64url[v >> 12 & 63]);
		sbuf_addch(out, b64url[v >> 6 & 63]);
		sbuf_addch(out, b64url[v & 63]);
	}
	if (len - i == 1) {
		sbuf_addch(out, b64url[in[i] >> 2]);
		sbuf_addch(out, b64url[(in[i] & 3) << 4]);
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];

		sbuf_addch(out, b64url[v >> 10 & 63]);
		sbuf_addch(out, b64url[v >> 4 & 63]);
		sbuf_addch(out, b64url[(v & 15) << 2]);
	}
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;

	return p ? (int)(p - b64url) : -1;
}

/*
 * Decodes unpadded base64url into out (size at least len * 3 / 4).
 * Returns the decoded length, or -1 on a character outside the alphabet,
 * an impossible length or non-zero trailing bits (non-canonical form).
 */
static int b64url_decode(const char *in, size_t len, unsigned char *out)
{
	uint32_t acc = 0;
	int bits = 0, n = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6 | (uint32_t)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (unsigned char)(acc >> bits & 0xff);
		}
	}
	if (acc & ((1u << bits) - 1))
		return -1;
	return n;
}

static bool charset_ok(const char *s, size_t min, size_t max, bool upper)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '_' || *s == '-' || (upper && *s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

/* base64url(HMAC-SHA256(key, data)) into mac_b64 (MAC_B64_LEN + 1 bytes). */
static int mac_encoded(const unsigned char *key, size_t keylen, const char *data,
		       size_t len, char mac_b64[MAC_B64_LEN + 1])
{
	unsigned char mac[MAC_LEN];
	unsigned int maclen = 0;
	struct sbuf sb = SBUF_INIT;
	int ret = -1;

	if (keylen > INT_MAX ||
	    !HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, len, mac,
		  &maclen) || maclen != MAC_LEN)
		goto out;
	b64url_encode(mac, maclen, &sb);
	if (sb.len != MAC_B64_LEN)
		goto out;
	memcpy(mac_b64, sb.buf, MAC_B64_LEN + 1);
	ret = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	sbuf_release(&sb);
	return ret;
}

int token_sign_claims(const unsigned char *key, size_t keylen,
		      const struct token_claims *c, struct sbuf *out)
{
	struct sbuf tok = SBUF_INIT;
	char payload[PAYLOAD_MAX], mac[MAC_B64_LEN + 1];
	int ret = -1;

	if (!key || keylen < TOKEN_KEY_MIN || c->expires < 0 ||
	    !charset_ok(c->purpose, 1, TOKEN_PURPOSE_MAX, false) ||
	    !charset_ok(c->channel, 0, TOKEN_CHANNEL_MAX, true))
		goto out;
	if (bsnprintf(payload, sizeof(payload), "1|%s|%lld|%lld|%s", c->purpose,
		      c->subscriber_id, (long long)c->expires, c->channel))
		goto out;
	b64url_encode((const unsigned char *)payload, strlen(payload), &tok);
	if (mac_encoded(key, keylen, tok.buf, tok.len, mac))
		goto out;
	sbuf_addch(&tok, '.');
	sbuf_addstr(&tok, mac);
	sbuf_add(out, tok.buf, tok.len);
	ret = 0;
out:
	sbuf_release(&tok);
	return ret;
}

int token_sign(const unsigned char *key, size_t keylen, const char *purpose,
	       long long subscriber_id, time_t expires, struct sbuf *out)
{
	struct token_claims c = { .subscriber_id = subscriber_id, .expires = expires };

	if (!purpose || bsnprintf(c.purpose, sizeof(c.purpose), "%s", purpose))
		return -1;
	return token_sign_claims(key, keylen, &c, out);
}

/* Canonical decimal only ("-0", "+1", "01" are refused): one text per value. */
static int parse_ll(const char *s, size_t len, long long *out)
{
	char buf[24], *end;
	size_t digits = len - (len && s[0] == '-');
	long long v;

	if (len == 0 || len >= sizeof(buf) || digits == 0)
		return -1;
	for (size_t i = len - digits; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	if (s[len - digits] == '0' && (digits > 1 || s[0] == '-'))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* "1|purpose|id|expires|channel" with nothing before, after or between. */
static int parse_payload(const char *p, size_t len, struct token_claims *c)
{
	const char *f[5];
	size_t fl[5];
	size_t start = 0, nf = 0;
	long long exp;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && p[i] == '\0')
			return -1;
		if (i == len || p[i] == '|') {
			if (nf == 5)
				return -1;
			f[nf] = p + start;
			fl[nf++] = i - start;
			start = i + 1;
		}
	}
	if (nf != 5 || fl[0] != 1 || f[0][0] != '1')
		return -1;
	if (fl[1] < 1 || fl[1] > TOKEN_PURPOSE_MAX || fl[4] > TOKEN_CHANNEL_MAX)
		return -1;
	memcpy(c->purpose, f[1], fl[1]);
	c->purpose[fl[1]] = '\0';
	memcpy(c->channel, f[4], fl[4]);
	c->channel[fl[4]] = '\0';
	if (!charset_ok(c->purpose, 1, TOKEN_PURPOSE_MAX, false) ||
	    !charset_ok(c->channel, 0, TOKEN_CHANNEL_MAX, true) ||
	    parse_ll(f[2], fl[2], &c->subscriber_id) || parse_ll(f[3], fl[3], &exp) ||
	    exp < 0 || (long long)(time_t)exp != exp)
		return -1;
	c->expires = (time_t)exp;
	return 0;
}

int token_verify_claims(const unsigned char *key, size_t keylen, const char *purpose,
			const char *token, time_t now, struct token_claims *out)
{
	struct token_claims c;
	unsigned char payload[TOKEN_MAX];
	char mac[MAC_B64_LEN + 1];
	const char *dot;
	size_t len, plen;
	int n;

	if (!key || keylen < TOKEN_KEY_MIN || !purpose || !token)
		return TOKEN_INVALID;
	len = strnlen(token, TOKEN_MAX + 1);
	if (len > TOKEN_MAX)
		return TOKEN_INVALID;
	dot = memchr(token, '.', len);
	if (!dot)
		return TOKEN_INVALID;
	plen = (size_t)(dot - token);
	if (plen == 0 || len - plen - 1 != MAC_B64_LEN)
		return TOKEN_INVALID;
	if (mac_encoded(key, keylen, token, plen, mac) ||
	    CRYPTO_memcmp(mac, dot + 1, MAC_B64_LEN) != 0)
		return TOKEN_INVALID;

	/* Authentic from here on; still parsed strictly. */
	n = b64url_decode(token, plen, payload);
	memset(&c, 0, sizeof(c));
	if (n <= 0 || parse_payload((const char *)payload, (size_t)n, &c))
		return TOKEN_INVALID;
	if (strcmp(c.purpose, purpose) != 0)
		return TOKEN_INVALID;
	if (out)
		*out = c;
	if (c.expires != 0 && now >= c.expires)
		return TOKEN_EXPIRED;
	return 0;
}

int token_verify(const unsigned char *key, size_t keylen, const char *purpose,
		 const char *token, time_t now, long long *subscriber_id_out)
{
	struct token_claims c;
	int rc = token_verify_claims(key, keylen, purpose, token, now, &c);

	if (rc == 0 && subscriber_id_out)
		*subscriber_id_out = c.subscriber_id;
	return rc;
}

int token_hash_secret(const char *secret, char out_hex[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!secret || !EVP_Digest(secret, strlen(secret), md, &mdlen, EVP_sha256(), NULL) ||
	    mdlen != 32)
		return -1;
	for (unsigned int i = 0; i < mdlen; i++) {
		out_hex[2 * i] = hex[md[i] >> 4];
		out_hex[2 * i + 1] = hex[md[i] & 15];
	}
	out_hex[64] = '\0';
	return 0;
}

int token_random(char *out, size_t n)
{
	unsigned char r[64];
	size_t done = 0;
	int ret = -1;

	if (!out || n < 2) {
		if (out && n)
			out[0] = '\0';
		return -1;
	}
	while (done < n - 1) {
		size_t chunk = n - 1 - done < sizeof(r) ? n - 1 - done : sizeof(r);

		if (RAND_bytes(r, (int)chunk) != 1) {
			out[0] = '\0';
			goto out;
		}
		/* 256 is a multiple of 64: the low six bits are uniform. */
		for (size_t i = 0; i < chunk; i++)
			out[done + i] = b64url[r[i] & 63];
		done += chunk;
	}
	out[n - 1] = '\0';
	ret = 0;
out:
	OPENSSL_cleanse(r, sizeof(r));
	return ret;
}

bool token_equal(const char *a, const char *b)
{
	size_t la, lb;

	if (!a || !b)
		return false;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}
