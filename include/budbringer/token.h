/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_TOKEN_H
#define BUDBRINGER_TOKEN_H

/*
 * Signed tokens for the links in emails (unsubscribe, confirm) and the
 * helpers for API secrets. Pure: no I/O besides OpenSSL's RAND_bytes.
 * Thread-safe; nothing here logs (a token is as good as a password).
 *
 * A signed token is base64url(payload) "." base64url(HMAC-SHA256(key,
 * base64url(payload))), both without padding, so it can go into a URL
 * query unescaped. The payload is the text
 * "1|purpose|subscriber_id|expires|channel" and is only parsed after its
 * MAC has been checked in constant time. The MAC is compared in its
 * encoded form, so each payload has exactly one valid token.
 */

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "budbringer/sbuf.h"

#define TOKEN_MAX		512	/* longer input is refused unread */
#define TOKEN_KEY_MIN		16	/* shorter keys are refused */
#define TOKEN_PURPOSE_MAX	16
#define TOKEN_CHANNEL_MAX	16

/* Verification results besides 0. */
#define TOKEN_INVALID	(-1)	/* garbage, forged, wrong key or purpose */
#define TOKEN_EXPIRED	(-2)	/* genuine but past its expiry */

struct token_claims {
	char purpose[TOKEN_PURPOSE_MAX + 1];
	long long subscriber_id;
	/* Optional binding: "email", "sms", or a short address hash; "" = none. */
	char channel[TOKEN_CHANNEL_MAX + 1];
	time_t expires;		/* unix time; 0 = never */
};

/*
 * Appends a token for (purpose, subscriber_id, expires) to out. purpose is
 * 1-16 characters of [a-z0-9_-] ("unsub", "confirm"); expires is unix time
 * or 0 for never. Returns 0, or -1 (out unchanged) on a bad argument, a key
 * shorter than TOKEN_KEY_MIN or an OpenSSL failure.
 */
int token_sign(const unsigned char *key, size_t keylen, const char *purpose,
	       long long subscriber_id, time_t expires, struct sbuf *out);

/* As token_sign() with every claim; channel is 0-16 of [A-Za-z0-9_-]. */
int token_sign_claims(const unsigned char *key, size_t keylen,
		      const struct token_claims *c, struct sbuf *out);

/*
 * Checks token (NUL-terminated, as received) against key and the expected
 * purpose at time now. Returns 0 and stores the subscriber id (when
 * subscriber_id_out is not NULL), TOKEN_EXPIRED for a genuine token whose
 * expiry is <= now, or TOKEN_INVALID for everything else: malformed, over
 * TOKEN_MAX bytes, altered, signed with another key, another purpose.
 */
int token_verify(const unsigned char *key, size_t keylen, const char *purpose,
		 const char *token, time_t now, long long *subscriber_id_out);

/* As token_verify(), filling *out with every claim on 0 and TOKEN_EXPIRED. */
int token_verify_claims(const unsigned char *key, size_t keylen, const char *purpose,
			const char *token, time_t now, struct token_claims *out);

/*
 * SHA-256 of secret as 64 lowercase hex digits and a NUL, for storing API
 * tokens as hashes. Returns 0, or -1 on an OpenSSL failure.
 */
int token_hash_secret(const char *secret, char out_hex[65]);

/*
 * Fills out with n - 1 random characters of [A-Za-z0-9_-] (6 bits each)
 * and a NUL: a URL-safe secret. Use n >= 44 for 256 bits. Returns 0, or -1
 * when n < 2 or the random generator fails (out is then "" if n >= 1).
 */
int token_random(char *out, size_t n);

/* Compares two secrets in time independent of where they differ. NULL
 * equals nothing. Only the lengths may leak. */
bool token_equal(const char *a, const char *b);

#endif
