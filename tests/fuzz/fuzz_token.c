/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for signed tokens. The first byte picks a mode:
 *   0: the rest is a token as it would arrive in a URL; it must be refused
 *      (the fuzzer does not know the key) without crashing.
 *   1: the rest is a payload that the harness signs with the key, so the
 *      payload parser sees attacker-shaped but authentic input. Whatever
 *      verifies must re-sign to the very same token (one token per claim).
 *   2: the rest supplies claims; what token_sign_claims() accepts must
 *      verify with the same claims, and fail with any other purpose.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *   tests/fuzz/fuzz_token.c src/token.c src/sbuf.c src/log.c \
 *   -lunistring -lcrypto -o /tmp/fuzz_token
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "budbringer/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned char key[32] = "fuzz-key-fuzz-key-fuzz-key-fuzz!";
static const time_t now = 1700000000;

static void check(int cond)
{
	if (!cond)
		abort();
}

static void add_b64url(struct sbuf *out, const unsigned char *in, size_t len)
{
	unsigned char *enc = xcalloc(4 * (len / 3 + 1) + 1, 1);
	int n = EVP_EncodeBlock(enc, in, (int)len);

	for (int i = 0; i < n && enc[i] != '='; i++)
		sbuf_addch(out, enc[i] == '+' ? '-' : enc[i] == '/' ? '_' : (char)enc[i]);
	free(enc);
}

static void mode_raw(const uint8_t *data, size_t size)
{
	char *tok = xstrndup((const char *)data, size);
	long long id;

	check(token_verify(key, sizeof(key), "unsub", tok, now, &id) == TOKEN_INVALID);
	free(tok);
}

static void mode_signed_payload(const uint8_t *data, size_t size)
{
	struct sbuf tok = SBUF_INIT, again = SBUF_INIT;
	struct token_claims c;
	unsigned char mac[32];
	unsigned int maclen = 0;
	int rc;

	if (size > 400)
		return;
	add_b64url(&tok, data, size);
	check(HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)tok.buf, tok.len,
		   mac, &maclen) != NULL);
	sbuf_addch(&tok, '.');
	add_b64url(&tok, mac, maclen);

	rc = token_verify_claims(key, sizeof(key), "unsub", tok.buf, now, &c);
	check(rc == 0 || rc == TOKEN_INVALID || rc == TOKEN_EXPIRED);
	if (rc != TOKEN_INVALID) {
		check(!strcmp(c.purpose, "unsub"));
		check(token_sign_claims(key, sizeof(key), &c, &again) == 0);
		check(!strcmp(again.buf, tok.buf));
		check(rc == (c.expires && now >= c.expires ? TOKEN_EXPIRED : 0));
	}
	sbuf_release(&tok);
	sbuf_release(&again);
}

static void mode_claims(const uint8_t *data, size_t size)
{
	struct token_claims c, got;
	struct sbuf tok = SBUF_INIT;
	long long exp;
	size_t pl, cl;

	if (size < 18)
		return;
	memset(&c, 0, sizeof(c));
	memcpy(&c.subscriber_id, data, 8);
	memcpy(&exp, data + 8, 8);
	c.expires = (time_t)exp;
	pl = data[16] % (TOKEN_PURPOSE_MAX + 2);
	cl = data[17] % (TOKEN_CHANNEL_MAX + 2);
	data += 18;
	size -= 18;
	if (pl + cl > size)
		return;
	memcpy(c.purpose, data, pl > TOKEN_PURPOSE_MAX ? TOKEN_PURPOSE_MAX : pl);
	memcpy(c.channel, data + pl, cl > TOKEN_CHANNEL_MAX ? TOKEN_CHANNEL_MAX : cl);

	if (token_sign_claims(key, sizeof(key), &c, &tok) == 0) {
		int rc = token_verify_claims(key, sizeof(key), c.purpose, tok.buf, now, &got);

		check(tok.len <= TOKEN_MAX);
		check(rc == (c.expires && now >= c.expires ? TOKEN_EXPIRED : 0));
		check(got.subscriber_id == c.subscriber_id && got.expires == c.expires);
		check(!strcmp(got.purpose, c.purpose) && !strcmp(got.channel, c.channel));
		check(token_verify(key, sizeof(key), "other-purpose", tok.buf, now, NULL) ==
		      TOKEN_INVALID);
		check(token_verify(key, sizeof(key) - 1, c.purpose, tok.buf, now, NULL) ==
		      TOKEN_INVALID);
	} else {
		check(tok.len == 0);
	}
	sbuf_release(&tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		mode_raw(data + 1, size - 1);
		break;
	case 1:
		mode_signed_payload(data + 1, size - 1);
		break;
	default:
		mode_claims(data + 1, size - 1);
		break;
	}
	return 0;
}
