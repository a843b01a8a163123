/* SPDX-License-Identifier: MIT */
/*
 * Short links (links.h), GatewayAPI's webhook signature (jwt.h), the
 * Message API preset's request and answers (sms_rest.h) and Kannel's
 * validity (sms_kannel.h): the pure parts of issue 18's items 2 and 4.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budbringer/jwt.h"
#include "budbringer/links.h"
#include "budbringer/sms_kannel.h"
#include "budbringer/sms_rest.h"

#define S(lit) ((char[]){ lit })

static void test_code_new(void **state)
{
	char a[LINKS_CODE_LEN + 1], b[LINKS_CODE_LEN + 1];

	(void)state;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(links_code_new(a), 0);
		assert_int_equal(links_code_new(b), 0);
		assert_int_equal(strlen(a), LINKS_CODE_LEN);
		assert_true(links_code_valid(a));
		assert_string_not_equal(a, b);
	}
}

static void test_code_valid(void **state)
{
	(void)state;
	assert_true(links_code_valid("aZ09bY18"));
	assert_false(links_code_valid(NULL));
	assert_false(links_code_valid(""));
	assert_false(links_code_valid("aZ09bY1"));
	assert_false(links_code_valid("aZ09bY189"));
	assert_false(links_code_valid("aZ09bY1!"));
	assert_false(links_code_valid("aZ09bY1/"));
	assert_false(links_code_valid("aZ09b%20"));
	assert_false(links_code_valid("æøå12"));
}

static void test_prefetch(void **state)
{
	(void)state;
	assert_true(links_is_prefetch("HEAD", NULL));
	assert_true(links_is_prefetch("HEAD", "Mozilla/5.0"));
	assert_false(links_is_prefetch("GET", NULL));
	assert_false(links_is_prefetch("GET", "curl/7.88.1"));
	assert_false(links_is_prefetch("GET", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)"));
	assert_true(links_is_prefetch("GET", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"));
	assert_true(links_is_prefetch("GET", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"));
	assert_true(links_is_prefetch("GET", "WhatsApp/2.23.20.0 A"));
	assert_true(links_is_prefetch("GET", "Twitterbot/1.0"));
	assert_true(links_is_prefetch("GET", "TelegramBot (like TwitterBot)"));
	assert_true(links_is_prefetch("GET", "Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5"));
	assert_true(links_is_prefetch("GET", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
	assert_true(links_is_prefetch("GET", "Mozilla/5.0 (compatible; bingbot/2.0)"));
	assert_true(links_is_prefetch("GET", "Mozilla/5.0 (Windows NT 10.0) BingPreview/1.0b"));
	assert_true(links_is_prefetch("GET", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)"));
}

/* GatewayAPI's own example: the token its REST documentation shows with
 * the secret "secret" (claims: id 2381703, status DELIVERED, …). */
static const char gwapi_token[] =
	"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJpZCI6MjM4MTcwMywibXNpc2RuIjo0NTQyNjA5MDQ1LCJ0aW1lIjo"
	"xNTIyNzY0MDYyLCJzdGF0dXMiOiJERUxJVkVSRUQiLCJlcnJvciI6bnVsbCwiY29kZSI6bnVsbCwidXNlcnJlZiI6bnV"
	"sbCwiY2FsbGJhY2tfdXJsIjoiaHR0cDovL2JiYWY3MTQyLm5ncm9rLmlvIiwiYXBpIjo0fQ.KdfDH65bnQtgxEkFnpAQo"
	"dOciAJedZFB13r9wEo8t3Y";

static int verify(const char *tok, const char *key, struct sbuf *claims)
{
	struct sbuf why = SBUF_INIT;
	int rc = jwt_hs256_verify(tok, (const unsigned char *)key, strlen(key), 1700000000, claims,
				  &why);

	sbuf_release(&why);
	return rc;
}

static void test_jwt(void **state)
{
	struct sbuf c = SBUF_INIT;
	struct sms_rest_dlr d;
	char bad[sizeof(gwapi_token)];

	(void)state;
	assert_int_equal(verify(gwapi_token, "secret", &c), 0);
	assert_non_null(strstr(c.buf, "\"status\":\"DELIVERED\""));
	/* The claims are a report the JSON parser reads (the gateway's id). */
	assert_int_equal(sms_rest_parse_dlr(c.buf, c.len, &d, 1), 1);
	assert_string_equal(d.provider_msgid, "2381703");
	sbuf_reset(&c);
	assert_int_equal(verify(gwapi_token, "secret2", &c), -1);
	memcpy(bad, gwapi_token, sizeof(bad));
	bad[40] = bad[40] == 'A' ? 'B' : 'A'; /* a claim altered */
	assert_int_equal(verify(bad, "secret", &c), -1);
	/* alg none, two parts, four parts, garbage */
	assert_int_equal(verify("eyJhbGciOiJub25lIn0.eyJhIjoxfQ.", "secret", &c), -1);
	assert_int_equal(verify("eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ", "secret", &c), -1);
	assert_int_equal(verify("a.b.c.d", "secret", &c), -1);
	assert_int_equal(verify("!!!.???.***", "secret", &c), -1);
	assert_int_equal(verify("", "secret", &c), -1);
	assert_int_equal(c.len, 0);
	sbuf_release(&c);
}

static void test_message_api(void **state)
{
	/* config.c's gatewayapi-message preset */
	struct cfg_rest_request shape = {
		.sender = S("sender"), .message = S("message"), .encoding = S(""), .gsm7 = S("UTF8"),
		.ucs2 = S("UCS2"), .recipients = S("recipient"), .msisdn = S("msisdn"),
		.userref = S("reference"), .callback_url = S(""), .idempotency_header = S("Idempotency-Key"),
		.recipient_style = CFG_REST_SINGLE, .msisdn_format = CFG_MSISDN_NUMBER,
	};
	struct sms_rest_msg m = { .sender = "Frivillig", .recipient = "+4512345678", .text = "Hej",
		.coding = GSM_CODING_UCS2, .msg_id = 17, .callback_url = "http://x/sms/dlr" };
	struct sbuf b = SBUF_INIT;
	struct sms_rest_dlr d;
	char id[64], detail[256];
	static const char env[] =
		"{\"event_id\": \"09c829a2\", \"timestamp\": \"2025-04-01T11:50:12+00:00\","
		" \"event_type\": \"messaging.status.sms\","
		" \"event\": {\"msg_id\": \"01JNN\", \"reference\": \"17\", \"status\": \"UNDELIVERABLE\"}}";

	(void)state;
	assert_int_equal(sms_rest_body(&shape, &m, &b), 0);
	assert_string_equal(b.buf,
		"{\"sender\":\"Frivillig\",\"message\":\"Hej\",\"recipient\":4512345678,\"reference\":\"17\"}");
	sbuf_release(&b);
	static const char answer[] =
		"{\"msg_id\": \"01JNN696A9E0WS89FPYGT15NBX\", \"recipient\": 4512345678, \"reference\": \"17\"}";
	assert_int_equal(sms_rest_classify(200, answer, strlen(answer), NULL, true, false, id, sizeof(id),
					   detail, sizeof(detail)), SEND_OK);
	assert_string_equal(id, "01JNN696A9E0WS89FPYGT15NBX");
	assert_int_equal(sms_rest_parse_dlr(env, strlen(env), &d, 1), 1);
	assert_int_equal(d.msg_id, 17);
	assert_string_equal(d.provider_msgid, "01JNN");
	assert_int_equal(d.outcome, DLR_FAILED);
}

static void test_kannel_validity(void **state)
{
	struct sms_kannel_msg m = { .username = "u", .password = "p", .sender = "F",
		.recipient = "+4512345678", .text = "Hi", .coding = GSM_CODING_GSM7 };
	struct sbuf u = SBUF_INIT, body = SBUF_INIT, h = SBUF_INIT;

	(void)state;
	assert_int_equal(sms_kannel_validity(0, 1000), 0);
	assert_int_equal(sms_kannel_validity(1000 + 48 * 3600, 1000), 2880);
	assert_int_equal(sms_kannel_validity(1000 + 90, 1000), 1);
	assert_int_equal(sms_kannel_validity(900, 1000), 1);
	assert_int_equal(sms_kannel_get_url("http://k/cgi-bin/sendsms", &m, &u), 0);
	assert_null(strstr(u.buf, "validity"));
	sbuf_reset(&u);
	m.validity = 2880;
	assert_int_equal(sms_kannel_get_url("http://k/cgi-bin/sendsms", &m, &u), 0);
	assert_non_null(strstr(u.buf, "&validity=2880"));
	assert_int_equal(sms_kannel_post(&m, &body, &h), 0);
	assert_true(memmem(h.buf, h.len, "X-Kannel-Validity: 2880", 23) != NULL);
	sbuf_release(&u);
	sbuf_release(&body);
	sbuf_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_code_new),
		cmocka_unit_test(test_code_valid),
		cmocka_unit_test(test_prefetch),
		cmocka_unit_test(test_jwt),
		cmocka_unit_test(test_message_api),
		cmocka_unit_test(test_kannel_validity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
