/* SPDX-License-Identifier: MIT */
/* Status callbacks, the pure parts: signing, payloads, verdicts, the retry schedule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/callback.h"

#define SECRET "whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Computed with:
 *   printf '%s' '1700000000.{"id":"evt_1","type":"campaign.finished"}' |
 *     openssl dgst -sha256 -hmac "$SECRET"
 *   printf '%s' '1.' | openssl dgst -sha256 -hmac k            */
static void test_sign_known_vectors(void **state)
{
	static const char body[] = "{\"id\":\"evt_1\",\"type\":\"campaign.finished\"}";
	struct sbuf h = SBUF_INIT;
	char hex[65];

	(void)state;
	assert_int_equal(callback_sign(SECRET, 1700000000, body, strlen(body), hex), 0);
	assert_string_equal(hex, "45fc666e4d6bd2f5ec7719116ad79eb7216ddd67d2e3613aae1f23b12b552415");
	assert_int_equal(callback_sign("k", 1, "", 0, hex), 0);
	assert_string_equal(hex, "37c39ff90c9eaf98b76f1cf1a38399fa408e930f34e04a5179d0dc6489fe9c78");
	assert_int_equal(callback_signature(SECRET, 1700000000, body, strlen(body), &h), 0);
	assert_string_equal(h.buf, "t=1700000000,v1=45fc666e4d6bd2f5ec7719116ad79eb7216ddd67d2e3613aae1f23b12b552415");
	sbuf_release(&h);
	/* Another time, another body, another secret: another MAC. */
	assert_int_equal(callback_sign(SECRET, 1700000001, body, strlen(body), hex), 0);
	assert_string_not_equal(hex, "45fc666e4d6bd2f5ec7719116ad79eb7216ddd67d2e3613aae1f23b12b552415");
	assert_int_equal(callback_sign(SECRET, 1700000000, body, strlen(body) - 1, hex), 0);
	assert_string_not_equal(hex, "45fc666e4d6bd2f5ec7719116ad79eb7216ddd67d2e3613aae1f23b12b552415");
	assert_int_equal(callback_sign("", 1, "", 0, hex), -1);
	assert_int_equal(callback_sign(NULL, 1, "", 0, hex), -1);
}

static void test_secret(void **state)
{
	char a[CALLBACK_SECRET_LEN], b[CALLBACK_SECRET_LEN];

	(void)state;
	assert_int_equal(callback_secret_new(a), 0);
	assert_int_equal(callback_secret_new(b), 0);
	assert_int_equal(strlen(a), 70);
	assert_memory_equal(a, "whsec_", 6);
	assert_int_equal(strspn(a + 6, "0123456789abcdef"), 64);
	assert_string_not_equal(a, b);
}

static void test_classify(void **state)
{
	(void)state;
	assert_int_equal(callback_classify(200), CALLBACK_DONE);
	assert_int_equal(callback_classify(204), CALLBACK_DONE);
	assert_int_equal(callback_classify(299), CALLBACK_DONE);
	assert_int_equal(callback_classify(0), CALLBACK_RETRY);     /* no answer */
	assert_int_equal(callback_classify(408), CALLBACK_RETRY);
	assert_int_equal(callback_classify(429), CALLBACK_RETRY);
	assert_int_equal(callback_classify(500), CALLBACK_RETRY);
	assert_int_equal(callback_classify(503), CALLBACK_RETRY);
	assert_int_equal(callback_classify(599), CALLBACK_RETRY);
	assert_int_equal(callback_classify(400), CALLBACK_FAIL);
	assert_int_equal(callback_classify(401), CALLBACK_FAIL);
	assert_int_equal(callback_classify(404), CALLBACK_FAIL);
	assert_int_equal(callback_classify(410), CALLBACK_FAIL);
	assert_int_equal(callback_classify(301), CALLBACK_FAIL);   /* redirects are not followed */
	assert_int_equal(callback_classify(302), CALLBACK_FAIL);
	assert_int_equal(callback_classify(100), CALLBACK_FAIL);
	assert_int_equal(callback_classify(600), CALLBACK_FAIL);
}

static void test_backoff_schedule(void **state)
{
	static const long long want[] = { 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600 };

	(void)state;
	for (int i = 0; i < 10; i++)
		assert_int_equal(callback_backoff(i + 1, 30, 3600, 0), want[i]);
	assert_int_equal(callback_backoff(1000, 30, 3600, 0), 3600);   /* no overflow */
	assert_int_equal(callback_backoff(0, 30, 3600, 0), 30);
	assert_int_equal(callback_backoff(1, 1, 2, 0), 1);
	assert_int_equal(callback_backoff(2, 1, 2, 0), 2);
	assert_int_equal(callback_backoff(3, 1, 2, 0), 2);
	/* Jitter adds at most a tenth. */
	assert_int_equal(callback_backoff(8, 30, 3600, 0.999), 3600 + 359);
	assert_int_equal(callback_backoff(1, 30, 3600, 0.5), 31);
}

/* With the defaults an event is retried for at least 24 hours: the sum
 * of the waits passes a day before retry_for gives up. */
static void test_after_gives_up_after_retry_for(void **state)
{
	const struct callback_retry r = { 30, 3600, 259200 };
	long long created = 1000000, now = created, next, last_try = now;
	int attempts = 0;
	enum callback_verdict v;

	(void)state;
	do {
		attempts++;
		last_try = now;
		v = callback_after(503, attempts, created, now, &r, 0, &next);
		now = next;
	} while (v == CALLBACK_RETRY && attempts < 10000);
	assert_int_equal(v, CALLBACK_FAIL);
	assert_true(last_try - created >= 86400);
	assert_true(last_try - created <= 259200);
	/* About 8 attempts in the first hour, then hourly: ~78 in 3 days. */
	assert_in_range(attempts, 70, 90);

	assert_int_equal(callback_after(200, 1, created, created + 5, &r, 0, &next), CALLBACK_DONE);
	assert_int_equal(callback_after(404, 1, created, created + 5, &r, 0, &next), CALLBACK_FAIL);
	assert_int_equal(callback_after(0, 1, created, created + 5, &r, 0, &next), CALLBACK_RETRY);
	assert_int_equal(next, created + 5 + 30);
	assert_int_equal(callback_after(429, 3, created, created + 100, &r, 0, &next), CALLBACK_RETRY);
	assert_int_equal(next, created + 100 + 120);
}

static void test_message_states(void **state)
{
	(void)state;
	assert_true(callback_message_state("delivered"));
	assert_true(callback_message_state("failed"));
	assert_true(callback_message_state("bounced"));
	assert_true(callback_message_state("unknown"));
	assert_true(callback_message_state("expired"));
	assert_false(callback_message_state("sent"));
	assert_false(callback_message_state("sending"));
	assert_false(callback_message_state("queued"));
	assert_false(callback_message_state("deliver"));
	assert_false(callback_message_state(NULL));
}

static void test_payload_campaign(void **state)
{
	struct callback_event e = { .event_id = "evt_00ff", .type = "campaign.finished",
		.created_at = 1700000000, .campaign_id = 12, .opportunity_id = 3, .association_id = 2,
		.state = "done", .counts = "{\"sent\":4,\"failed\":1}" };
	char *s = callback_payload(&e);

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "{\"campaign\":{\"association_id\":2,\"id\":12,\"messages\":"
			    "{\"by_state\":{\"failed\":1,\"sent\":4},\"total\":5},\"opportunity_id\":3,"
			    "\"status\":\"done\"},\"created_at\":\"2023-11-14T22:13:20Z\","
			    "\"id\":\"evt_00ff\",\"type\":\"campaign.finished\"}");
	free(s);
	/* The portal's own campaigns have no association. */
	e.association_id = 0;
	e.counts = "{}";
	s = callback_payload(&e);
	assert_non_null(strstr(s, "\"association_id\":null"));
	assert_non_null(strstr(s, "\"messages\":{\"by_state\":{},\"total\":0}"));
	free(s);
	e.counts = "{\"sent\":\"x\"}";
	assert_null(callback_payload(&e));
	e.counts = "[1]";
	assert_null(callback_payload(&e));
	e.counts = "{";
	assert_null(callback_payload(&e));
	e.counts = NULL;
	s = callback_payload(&e);
	assert_non_null(s);
	free(s);
	e.event_id = NULL;
	assert_null(callback_payload(&e));
}

static void test_payload_message(void **state)
{
	struct callback_event e = { .event_id = "evt_01", .type = "message.delivered",
		.created_at = 1700000000, .campaign_id = 12, .state = "delivered",
		.message_id = 345, .channel = "sms" };
	char *s = callback_payload(&e);

	(void)state;
	/* Ids and the outcome; nothing about the person. */
	assert_string_equal(s, "{\"created_at\":\"2023-11-14T22:13:20Z\",\"id\":\"evt_01\","
			    "\"message\":{\"campaign_id\":12,\"channel\":\"sms\",\"id\":345,"
			    "\"state\":\"delivered\"},\"type\":\"message.delivered\"}");
	free(s);
	e.message_id = 0;
	assert_null(callback_payload(&e));
	e.message_id = 1;
	e.channel = NULL;
	assert_null(callback_payload(&e));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sign_known_vectors),
		cmocka_unit_test(test_secret),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_after_gives_up_after_retry_for),
		cmocka_unit_test(test_message_states),
		cmocka_unit_test(test_payload_campaign),
		cmocka_unit_test(test_payload_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
