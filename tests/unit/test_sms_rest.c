/* SPDX-License-Identifier: MIT */
/*
 * The REST provider's pure half: JSON request bodies in the configurable
 * shape (GatewayAPI default, a Sinch-like and a CPSMS-like shape), auth
 * headers, classification of answers and delivery report parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budbringer/sms_rest.h"

/* The config struct owns modifiable strings: S() makes one of a literal. */
#define S(lit) ((char[]){ lit })

/* The defaults of config.c's load_rest_request(). */
static struct cfg_rest_request gatewayapi = {
	.sender = S("sender"), .message = S("message"), .encoding = S("encoding"), .gsm7 = S("UTF8"),
	.ucs2 = S("UCS2"), .recipients = S("recipients"), .msisdn = S("msisdn"), .userref = S("userref"),
	.callback_url = S("callback_url"), .idempotency_header = S("Idempotency-Key"),
	.recipient_style = CFG_REST_OBJECTS, .msisdn_format = CFG_MSISDN_NUMBER,
};

static const struct sms_rest_msg msg = {
	.sender = "Frivillig", .recipient = "+4512345678", .text = "Hej \"Åse\"",
	.coding = GSM_CODING_GSM7, .msg_id = 17,
	.callback_url = "http://127.0.0.1:8080/sms/dlr?secret=s&id=17",
};

static void test_body_gatewayapi(void **state)
{
	struct sbuf b = SBUF_INIT;

	(void)state;
	assert_int_equal(sms_rest_body(&gatewayapi, &msg, &b), 0);
	assert_string_equal(b.buf,
		"{\"sender\":\"Frivillig\",\"message\":\"Hej \\\"Åse\\\"\",\"encoding\":\"UTF8\","
		"\"recipients\":[{\"msisdn\":4512345678}],\"userref\":\"17\","
		"\"callback_url\":\"http://127.0.0.1:8080/sms/dlr?secret=s&id=17\"}");
	sbuf_release(&b);
}

static void test_body_ucs2_no_callback(void **state)
{
	struct sms_rest_msg m = msg;
	struct sbuf b = SBUF_INIT;

	(void)state;
	m.text = "مرحبا";
	m.coding = GSM_CODING_UCS2;
	m.callback_url = NULL;
	assert_int_equal(sms_rest_body(&gatewayapi, &m, &b), 0);
	assert_string_equal(b.buf,
		"{\"sender\":\"Frivillig\",\"message\":\"مرحبا\",\"encoding\":\"UCS2\","
		"\"recipients\":[{\"msisdn\":4512345678}],\"userref\":\"17\"}");
	sbuf_release(&b);
}

static void test_body_sinch_like(void **state)
{
	struct cfg_rest_request s = gatewayapi;
	struct sbuf b = SBUF_INIT;

	(void)state;
	s.sender = S("from");
	s.message = S("body");
	s.encoding = S("");
	s.recipients = S("to");
	s.recipient_style = CFG_REST_LIST;
	s.msisdn_format = CFG_MSISDN_E164;
	s.userref = S("client_reference");
	assert_int_equal(sms_rest_body(&s, &msg, &b), 0);
	assert_string_equal(b.buf,
		"{\"from\":\"Frivillig\",\"body\":\"Hej \\\"Åse\\\"\",\"to\":[\"+4512345678\"],"
		"\"client_reference\":\"17\","
		"\"callback_url\":\"http://127.0.0.1:8080/sms/dlr?secret=s&id=17\"}");
	sbuf_release(&b);
}

static void test_body_cpsms_like(void **state)
{
	struct cfg_rest_request s = gatewayapi;
	struct sms_rest_msg m = msg;
	struct sbuf b = SBUF_INIT;

	(void)state;
	s.sender = S("from");
	s.encoding = S("format");
	s.gsm7 = S("GSM");
	s.ucs2 = S("UNICODE");
	s.recipients = S("to");
	s.recipient_style = CFG_REST_SINGLE;
	s.msisdn_format = CFG_MSISDN_DIGITS;
	s.userref = S("reference");
	s.callback_url = S("dlr_url");
	m.coding = GSM_CODING_UCS2;
	m.text = "ş";
	assert_int_equal(sms_rest_body(&s, &m, &b), 0);
	assert_string_equal(b.buf,
		"{\"from\":\"Frivillig\",\"message\":\"ş\",\"format\":\"UNICODE\",\"to\":\"4512345678\","
		"\"reference\":\"17\",\"dlr_url\":\"http://127.0.0.1:8080/sms/dlr?secret=s&id=17\"}");
	sbuf_release(&b);
}

static void test_body_refuses_bad_input(void **state)
{
	struct sms_rest_msg m = msg;
	struct sbuf b = SBUF_INIT;

	(void)state;
	m.recipient = "4512345678";        /* not E.164 */
	assert_int_equal(sms_rest_body(&gatewayapi, &m, &b), -1);
	m.recipient = "+45 12";
	assert_int_equal(sms_rest_body(&gatewayapi, &m, &b), -1);
	m.recipient = "+4512345678";
	m.text = "bad \xC3(";              /* invalid UTF-8 */
	assert_int_equal(sms_rest_body(&gatewayapi, &m, &b), -1);
	assert_int_equal(b.len, 0);
	sbuf_release(&b);
}

static void test_auth_header(void **state)
{
	struct sbuf h = SBUF_INIT;

	(void)state;
	sms_rest_auth_header("Authorization", "Bearer", "tok", &h);
	assert_string_equal(h.buf, "Authorization: Bearer tok");
	sbuf_reset(&h);
	sms_rest_auth_header("Authorization", "Token", "abc", &h);
	assert_string_equal(h.buf, "Authorization: Token abc");
	sbuf_reset(&h);
	sms_rest_auth_header("Authorization", "Basic", "user:pass", &h);
	assert_string_equal(h.buf, "Authorization: Basic dXNlcjpwYXNz");
	sbuf_reset(&h);
	sms_rest_auth_header("X-Api-Key", "", "k", &h);
	assert_string_equal(h.buf, "X-Api-Key: k");
	sbuf_reset(&h);
	sms_rest_auth_header("Authorization", "Bearer", "", &h);
	assert_int_equal(h.len, 0);
	sbuf_release(&h);
}

static enum send_status classify(long status, const char *body, bool idem, char *id, char *d)
{
	return sms_rest_classify(status, body, body ? strlen(body) : 0, "Timeout was reached", true,
				 idem, id, 128, d, 256);
}

static void test_classify_success(void **state)
{
	char id[128], d[256];

	(void)state;
	assert_int_equal(classify(200, "{\"ids\": [{\"msisdn\": 4512345678, \"id\": \"gw-1\"}]}",
				  false, id, d), SEND_OK);
	assert_string_equal(id, "gw-1");
	assert_string_equal(d, "HTTP 200: accepted id=gw-1");
	assert_int_equal(classify(200, "{\"ids\": [421332671], \"usage\": {}}", false, id, d), SEND_OK);
	assert_string_equal(id, "421332671");
	assert_int_equal(classify(201, "{\"id\": \"01FC66621XXXXX119Z8PMV1QPQ\"}", false, id, d), SEND_OK);
	assert_string_equal(id, "01FC66621XXXXX119Z8PMV1QPQ");
	assert_int_equal(classify(202, "{\"messages\": [{\"message_id\": 99}]}", false, id, d), SEND_OK);
	assert_string_equal(id, "99");
	assert_int_equal(classify(200, "{\"success\": true}", false, id, d), SEND_OK);
	assert_string_equal(id, "");
	assert_string_equal(d, "HTTP 200: accepted (no id in the answer)");
}

static void test_classify_failures(void **state)
{
	char id[128], d[256];

	(void)state;
	assert_int_equal(classify(400, "{\"error\": \"invalid recipient\", \"msisdn\": [4500000000]}",
				  false, id, d), SEND_PERMFAIL);
	assert_string_equal(d, "HTTP 400: invalid recipient");
	assert_int_equal(classify(422, "{\"code\": \"0x0203\", \"message\": \"Bad sender\"}",
				  false, id, d), SEND_PERMFAIL);
	assert_string_equal(d, "HTTP 422: Bad sender");
	assert_int_equal(classify(400, "plain words", false, id, d), SEND_PERMFAIL);
	assert_string_equal(d, "HTTP 400: plain words");
	assert_int_equal(classify(500, "{\"error\": \"injected 500\"}", false, id, d), SEND_TEMPFAIL);
	assert_string_equal(d, "HTTP 500: injected 500");
	assert_int_equal(classify(401, "{\"error\": \"unauthorized\"}", false, id, d), SEND_TEMPFAIL);
	assert_int_equal(classify(429, NULL, false, id, d), SEND_TEMPFAIL);
	/* No answer after the request went out: the gateway may have it. */
	assert_int_equal(classify(0, NULL, false, id, d), SEND_UNKNOWN);
	assert_string_equal(d, "no answer from the gateway after the request went out: Timeout was reached");
	/* Never connected: nothing can have arrived. */
	assert_int_equal(sms_rest_classify(0, NULL, 0, "Connection refused", false, false, id, 128, d, 256),
			 SEND_TEMPFAIL);
	assert_string_equal(d, "the gateway was not reached: Connection refused");
}

/* A 2xx that is not JSON: retry only when the key makes it safe. */
static void test_classify_garbage(void **state)
{
	const char *html = "<html><body>Internal gateway error</body></html>";
	char id[128], d[256];

	(void)state;
	assert_int_equal(classify(200, html, true, id, d), SEND_TEMPFAIL);
	assert_string_equal(d, "HTTP 200 but the answer is not JSON, retrying with the same key: "
			    "<html><body>Internal gateway error</body></html>");
	assert_int_equal(classify(200, html, false, id, d), SEND_OK);
	assert_string_equal(id, "");
}

static void test_dlr_words(void **state)
{
	(void)state;
	assert_int_equal(sms_rest_dlr_outcome("DELIVERED"), DLR_DELIVERED);
	assert_int_equal(sms_rest_dlr_outcome("Delivered"), DLR_DELIVERED);
	assert_int_equal(sms_rest_dlr_outcome("UNDELIVERABLE"), DLR_FAILED);
	assert_int_equal(sms_rest_dlr_outcome("REJECTED"), DLR_FAILED);
	assert_int_equal(sms_rest_dlr_outcome("Failed"), DLR_FAILED);
	assert_int_equal(sms_rest_dlr_outcome("EXPIRED"), DLR_EXPIRED);
	assert_int_equal(sms_rest_dlr_outcome("BUFFERED"), DLR_INTERIM);
	assert_int_equal(sms_rest_dlr_outcome("ENROUTE"), DLR_INTERIM);
	assert_int_equal(sms_rest_dlr_outcome("whatever"), DLR_INTERIM);
	assert_int_equal(sms_rest_dlr_outcome(NULL), DLR_INTERIM);
}

static void test_parse_dlr(void **state)
{
	struct sms_rest_dlr d[4];
	const char *one = "{\"id\": \"gw-3\", \"msisdn\": 4512345678, \"status\": \"UNDELIVERABLE\","
			  " \"time\": 1700000000, \"error\": \"Absent subscriber\", \"code\": \"0x1\","
			  " \"userref\": \"17\"}";
	const char *two = "[{\"id\": 5, \"status\": \"DELIVERED\"},"
			  " {\"batch_id\": \"b\", \"status\": \"Expired\", \"client_reference\": 9}]";

	(void)state;
	assert_int_equal(sms_rest_parse_dlr(one, strlen(one), d, 4), 1);
	assert_int_equal(d[0].msg_id, 17);
	assert_string_equal(d[0].provider_msgid, "gw-3");
	assert_int_equal(d[0].outcome, DLR_FAILED);
	assert_string_equal(d[0].detail, "UNDELIVERABLE error=Absent subscriber code=0x1");
	assert_int_equal(sms_rest_parse_dlr(two, strlen(two), d, 4), 2);
	assert_int_equal(d[0].msg_id, 0);
	assert_string_equal(d[0].provider_msgid, "5");
	assert_int_equal(d[0].outcome, DLR_DELIVERED);
	assert_int_equal(d[1].msg_id, 9);
	assert_string_equal(d[1].provider_msgid, "b");
	assert_int_equal(d[1].outcome, DLR_EXPIRED);
	assert_string_equal(d[1].detail, "Expired");
	/* More than max reports, no status, no id, not JSON, a bad userref. */
	assert_int_equal(sms_rest_parse_dlr(two, strlen(two), d, 1), -1);
	assert_int_equal(sms_rest_parse_dlr("{\"id\": \"x\"}", 11, d, 4), -1);
	assert_int_equal(sms_rest_parse_dlr("{\"status\": \"DELIVERED\"}", 23, d, 4), -1);
	assert_int_equal(sms_rest_parse_dlr("id=1&status=1", 13, d, 4), -1);
	assert_int_equal(sms_rest_parse_dlr("[]", 2, d, 4), -1);
	assert_int_equal(sms_rest_parse_dlr("{\"userref\": \"-3\", \"status\": \"x\"}", 33, d, 4), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_gatewayapi),
		cmocka_unit_test(test_body_ucs2_no_callback),
		cmocka_unit_test(test_body_sinch_like),
		cmocka_unit_test(test_body_cpsms_like),
		cmocka_unit_test(test_body_refuses_bad_input),
		cmocka_unit_test(test_auth_header),
		cmocka_unit_test(test_classify_success),
		cmocka_unit_test(test_classify_failures),
		cmocka_unit_test(test_classify_garbage),
		cmocka_unit_test(test_dlr_words),
		cmocka_unit_test(test_parse_dlr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
