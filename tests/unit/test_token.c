/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "budbringer/token.h"

static const unsigned char key[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char other_key[32] = "0123456789abcdef0123456789abcdeF";

#define T0 ((time_t)1700000000)

static void sign_ok(const char *purpose, long long id, time_t expires, struct sbuf *out)
{
	sbuf_reset(out);
	assert_int_equal(token_sign(key, sizeof(key), purpose, id, expires, out), 0);
}

/* A token whose MAC is genuine but whose payload is whatever we like. */
static void forge_len(const char *payload, size_t len, struct sbuf *out)
{
	unsigned char std[512], mac[32];
	unsigned int maclen;
	int n;

	sbuf_reset(out);
	n = EVP_EncodeBlock(std, (const unsigned char *)payload, (int)len);
	for (int i = 0; i < n && std[i] != '='; i++)
		sbuf_addch(out, std[i] == '+' ? '-' : std[i] == '/' ? '_' : (char)std[i]);
	assert_non_null(HMAC(EVP_sha256(), key, sizeof(key), (const unsigned char *)out->buf,
			     out->len, mac, &maclen));
	n = EVP_EncodeBlock(std, mac, (int)maclen);
	sbuf_addch(out, '.');
	for (int i = 0; i < n && std[i] != '='; i++)
		sbuf_addch(out, std[i] == '+' ? '-' : std[i] == '/' ? '_' : (char)std[i]);
}

static void forge_with_key(const char *payload, struct sbuf *out)
{
	forge_len(payload, strlen(payload), out);
}

static void test_roundtrip(void **state)
{
	static const long long ids[] = { 1, 42, 0, -7, LLONG_MAX, LLONG_MIN };
	struct sbuf t = SBUF_INIT;
	long long id;

	(void)state;
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		sign_ok("unsub", ids[i], T0 + 3600, &t);
		id = 12345;
		assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, &id), 0);
		assert_true(id == ids[i]);
	}
	/* URL-safe: no '+', '/', '=' or anything needing escaping. */
	assert_int_equal(strspn(t.buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789-_."), t.len);
	assert_true(t.len <= TOKEN_MAX);

	/* 0 = never expires. */
	sign_ok("confirm", 9, 0, &t);
	assert_int_equal(token_verify(key, sizeof(key), "confirm", t.buf, (time_t)4000000000LL, &id), 0);
	assert_true(id == 9);
	assert_int_equal(token_verify(key, sizeof(key), "confirm", t.buf, T0, NULL), 0);
	sbuf_release(&t);
}

static void test_claims_channel(void **state)
{
	struct token_claims c = { .purpose = "unsub", .subscriber_id = 77,
				  .channel = "email", .expires = T0 + 10 };
	struct token_claims got;
	struct sbuf t = SBUF_INIT;

	(void)state;
	assert_int_equal(token_sign_claims(key, sizeof(key), &c, &t), 0);
	memset(&got, 0xff, sizeof(got));
	assert_int_equal(token_verify_claims(key, sizeof(key), "unsub", t.buf, T0, &got), 0);
	assert_string_equal(got.purpose, "unsub");
	assert_string_equal(got.channel, "email");
	assert_true(got.subscriber_id == 77);
	assert_true(got.expires == T0 + 10);
	/* Expired: claims still filled in, so a page can say whose link it was. */
	memset(&got, 0, sizeof(got));
	assert_int_equal(token_verify_claims(key, sizeof(key), "unsub", t.buf, T0 + 10, &got),
			 TOKEN_EXPIRED);
	assert_true(got.subscriber_id == 77);

	sbuf_reset(&t);
	memcpy(c.channel, "a|b", 4);
	assert_int_equal(token_sign_claims(key, sizeof(key), &c, &t), -1);
	assert_int_equal(t.len, 0);
	sbuf_release(&t);
}

static void test_expiry(void **state)
{
	struct sbuf t = SBUF_INIT;
	long long id = 5;

	(void)state;
	sign_ok("unsub", 1, T0, &t);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0 - 1, &id), 0);
	id = 5;
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, &id), TOKEN_EXPIRED);
	assert_true(id == 5);	/* not written unless valid */
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0 + 86400, &id),
			 TOKEN_EXPIRED);
	sbuf_release(&t);
}

static void test_altered(void **state)
{
	struct sbuf t = SBUF_INIT;
	const char *dot;

	(void)state;
	sign_ok("unsub", 1234, T0 + 60, &t);
	dot = strchr(t.buf, '.');
	assert_non_null(dot);
	/* Every single-character change, in the payload and in the MAC. */
	for (size_t i = 0; i < t.len; i++) {
		char orig = t.buf[i];

		if (t.buf + i == dot)
			continue;
		t.buf[i] = orig == 'A' ? 'B' : 'A';
		assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL),
				 TOKEN_INVALID);
		t.buf[i] = orig;
	}
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL), 0);

	/* Truncated or extended. */
	t.buf[t.len - 1] = '\0';
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL), TOKEN_INVALID);
	sbuf_reset(&t);
	sign_ok("unsub", 1234, T0 + 60, &t);
	sbuf_addch(&t, 'A');
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL), TOKEN_INVALID);
	sbuf_release(&t);
}

static void test_wrong_purpose_and_key(void **state)
{
	struct sbuf t = SBUF_INIT;

	(void)state;
	sign_ok("confirm", 3, 0, &t);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL), TOKEN_INVALID);
	assert_int_equal(token_verify(key, sizeof(key), "confirm", t.buf, T0, NULL), 0);
	assert_int_equal(token_verify(other_key, sizeof(other_key), "confirm", t.buf, T0, NULL),
			 TOKEN_INVALID);
	/* A key that is a prefix of the right one is another key. */
	assert_int_equal(token_verify(key, 31, "confirm", t.buf, T0, NULL), TOKEN_INVALID);
	/* Expired and of the wrong purpose: invalid, not expired. */
	sign_ok("confirm", 3, T0, &t);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0 + 1, NULL),
			 TOKEN_INVALID);
	sbuf_release(&t);
}

static void test_garbage(void **state)
{
	static const char *const bad[] = {
		"", ".", "abc", "abc.", ".abc", "a.b", "a.b.c",
		"eyJhIjoxfQ.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"MXx1bnN1YnwxfDB8.!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
		"MXx1bnN1YnwxfDB8 .AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"MXx1bnN1YnwxfDB8.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
	};
	struct sbuf t = SBUF_INIT, big = SBUF_INIT;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(token_verify(key, sizeof(key), "unsub", bad[i], T0, NULL),
				 TOKEN_INVALID);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", NULL, T0, NULL), TOKEN_INVALID);

	/* Over-long input is refused even when it starts with a good token. */
	sign_ok("unsub", 1, 0, &t);
	sbuf_addstr(&big, t.buf);
	while (big.len <= TOKEN_MAX)
		sbuf_addch(&big, 'A');
	assert_int_equal(token_verify(key, sizeof(key), "unsub", big.buf, T0, NULL), TOKEN_INVALID);

	/* Short keys are refused both ways. */
	sbuf_reset(&t);
	assert_int_equal(token_sign(key, TOKEN_KEY_MIN - 1, "unsub", 1, 0, &t), -1);
	assert_int_equal(t.len, 0);
	sign_ok("unsub", 1, 0, &t);
	assert_int_equal(token_verify(key, TOKEN_KEY_MIN - 1, "unsub", t.buf, T0, NULL),
			 TOKEN_INVALID);
	sbuf_release(&t);
	sbuf_release(&big);
}

static void test_signed_garbage(void **state)
{
	/* Genuine MACs over payloads the parser must still refuse. */
	static const char *const bad[] = {
		"2|unsub|1|0|", "1|unsub|1|0", "1|unsub|1|0||", "1|unsub|x|0|",
		"1|unsub|01|0|", "1|unsub|-0|0|", "1|unsub|+1|0|", "1|unsub|1|-5|",
		"1|unsub|99999999999999999999|0|", "1||1|0|", "1|UNSUB|1|0|",
		"1|unsub|1|0|bad channel", "1|unsub| 1|0|", "",
	};
	struct sbuf t = SBUF_INIT;
	long long id = 0;

	(void)state;
	forge_with_key("1|unsub|8|0|sms", &t);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, &id), 0);
	assert_true(id == 8);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		forge_with_key(bad[i], &t);
		if (token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL) != TOKEN_INVALID)
			fail_msg("accepted payload '%s'", bad[i]);
	}
	/* A NUL inside the payload. */
	forge_len("1|unsub|8|0|sms\0x", 17, &t);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL), TOKEN_INVALID);
	forge_len("1|unsub\0|8|0|", 14, &t);
	assert_int_equal(token_verify(key, sizeof(key), "unsub", t.buf, T0, NULL), TOKEN_INVALID);
	sbuf_release(&t);
}

static void test_sign_arguments(void **state)
{
	struct sbuf t = SBUF_INIT;

	(void)state;
	assert_int_equal(token_sign(key, sizeof(key), "", 1, 0, &t), -1);
	assert_int_equal(token_sign(key, sizeof(key), NULL, 1, 0, &t), -1);
	assert_int_equal(token_sign(key, sizeof(key), "un|sub", 1, 0, &t), -1);
	assert_int_equal(token_sign(key, sizeof(key), "a-very-long-purpose", 1, 0, &t), -1);
	assert_int_equal(token_sign(key, sizeof(key), "unsub", 1, -1, &t), -1);
	assert_int_equal(t.len, 0);
	sbuf_release(&t);
}

static void test_hash_secret(void **state)
{
	char hex[65];

	(void)state;
	assert_int_equal(token_hash_secret("abc", hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(token_hash_secret("", hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_int_equal(token_hash_secret(NULL, hex), -1);
}

static void test_random(void **state)
{
	char a[44], b[44], one[1] = { 'x' };

	(void)state;
	assert_int_equal(token_random(a, sizeof(a)), 0);
	assert_int_equal(token_random(b, sizeof(b)), 0);
	assert_int_equal(strlen(a), 43);
	assert_int_equal(strspn(a, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				"0123456789-_"), 43);
	assert_string_not_equal(a, b);
	assert_int_equal(token_random(one, sizeof(one)), -1);
	assert_int_equal(one[0], '\0');
	assert_int_equal(token_random(NULL, 10), -1);

	/* Longer than one internal chunk. */
	{
		char big[200];

		assert_int_equal(token_random(big, sizeof(big)), 0);
		assert_int_equal(strlen(big), 199);
	}
}

static void test_equal(void **state)
{
	(void)state;
	assert_true(token_equal("secret", "secret"));
	assert_true(token_equal("", ""));
	assert_false(token_equal("secret", "secreT"));
	assert_false(token_equal("secret", "secret2"));
	assert_false(token_equal("secret", ""));
	assert_false(token_equal(NULL, "x"));
	assert_false(token_equal("x", NULL));
	assert_false(token_equal(NULL, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_claims_channel),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_altered),
		cmocka_unit_test(test_wrong_purpose_and_key),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_signed_garbage),
		cmocka_unit_test(test_sign_arguments),
		cmocka_unit_test(test_hash_secret),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
