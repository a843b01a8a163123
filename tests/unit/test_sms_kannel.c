/* SPDX-License-Identifier: MIT */
/*
 * The Kannel provider's pure half: the exact bytes of sendsms requests
 * (GET and POST), the dlr-url, the classification of answers and of
 * delivery report types; plus the HTTP helpers it uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "budbringer/curl_multi.h"
#include "budbringer/sms_kannel.h"

static const struct sms_kannel_msg base_msg = {
	.username = "bb", .password = "p&ss w", .sender = "Frivillig",
	.recipient = "+4512345678", .coding = GSM_CODING_GSM7,
};

static void test_get_gsm7_danish(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf url = SBUF_INIT;

	(void)state;
	m.text = "Hej Åse: æøå {1}";
	assert_int_equal(sms_kannel_get_url("http://127.0.0.1:13013/cgi-bin/sendsms", &m, &url), 0);
	assert_string_equal(url.buf,
		"http://127.0.0.1:13013/cgi-bin/sendsms?username=bb&password=p%26ss%20w"
		"&from=Frivillig&to=%2B4512345678"
		"&text=Hej%20%C3%85se%3A%20%C3%A6%C3%B8%C3%A5%20%7B1%7D"
		"&coding=0&charset=UTF-8");
	sbuf_release(&url);
}

static void test_get_ucs2_arabic_with_dlr(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf url = SBUF_INIT;

	(void)state;
	m.text = "مرحبا";  /* U+0645 U+0631 U+062D U+0628 U+0627 */
	m.coding = GSM_CODING_UCS2;
	m.dlr_mask = 31;
	m.dlr_url = "http://h/sms/dlr?secret=s&id=7&status=%d";
	assert_int_equal(sms_kannel_get_url("http://k/cgi-bin/sendsms?smsc=mt", &m, &url), 0);
	assert_string_equal(url.buf,
		"http://k/cgi-bin/sendsms?smsc=mt&username=bb&password=p%26ss%20w"
		"&from=Frivillig&to=%2B4512345678"
		"&text=%06E%061%06-%06%28%06%27"
		"&coding=2&charset=UTF-16BE&dlr-mask=31"
		"&dlr-url=http%3A%2F%2Fh%2Fsms%2Fdlr%3Fsecret%3Ds%26id%3D7%26status%3D%25d");
	sbuf_release(&url);
}

static void test_get_emoji_surrogates(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf url = SBUF_INIT;

	(void)state;
	m.text = "\xF0\x9F\x98\x80!";   /* U+1F600 then '!' */
	m.coding = GSM_CODING_UCS2;
	assert_int_equal(sms_kannel_get_url("http://k/s", &m, &url), 0);
	assert_non_null(strstr(url.buf, "&text=%D8%3D%DE%00%00%21&coding=2&"));
	sbuf_release(&url);
}

static void test_get_invalid_utf8(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf url = SBUF_INIT;

	(void)state;
	m.text = "bad \xC3";
	m.coding = GSM_CODING_UCS2;
	assert_int_equal(sms_kannel_get_url("http://k/s", &m, &url), -1);
	assert_int_equal(url.len, 0);
	sbuf_release(&url);
}

static void test_no_dlr_without_mask(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf url = SBUF_INIT;

	(void)state;
	m.text = "x";
	m.dlr_url = "http://h/sms/dlr";
	assert_int_equal(sms_kannel_get_url("http://k/s", &m, &url), 0);
	assert_null(strstr(url.buf, "dlr"));
	sbuf_release(&url);
}

/* The POST form: headers are NUL-separated "Name: value" strings. */
static void test_post_ucs2(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf body = SBUF_INIT, hdrs = SBUF_INIT;
	static const char want_hdrs[] =
		"Content-Type: text/plain; charset=UTF-16BE\0"
		"X-Kannel-Username: bb\0"
		"X-Kannel-Password: p&ss w\0"
		"X-Kannel-From: Frivillig\0"
		"X-Kannel-To: +4512345678\0"
		"X-Kannel-Coding: 2\0"
		"X-Kannel-DLR-Mask: 3\0"
		"X-Kannel-DLR-Url: http://h/d?id=1&status=%d\0";

	(void)state;
	m.text = "Ağ";    /* U+0041 U+011F */
	m.coding = GSM_CODING_UCS2;
	m.dlr_mask = 3;
	m.dlr_url = "http://h/d?id=1&status=%d";
	assert_int_equal(sms_kannel_post(&m, &body, &hdrs), 0);
	assert_int_equal(body.len, 4);
	assert_memory_equal(body.buf, "\x00\x41\x01\x1F", 4);
	assert_int_equal(hdrs.len, sizeof(want_hdrs) - 1);
	assert_memory_equal(hdrs.buf, want_hdrs, hdrs.len);
	sbuf_release(&body);
	sbuf_release(&hdrs);
}

static void test_post_gsm7(void **state)
{
	struct sms_kannel_msg m = base_msg;
	struct sbuf body = SBUF_INIT, hdrs = SBUF_INIT;

	(void)state;
	m.text = "Hej æ";
	assert_int_equal(sms_kannel_post(&m, &body, &hdrs), 0);
	assert_string_equal(body.buf, "Hej æ");
	assert_string_equal(hdrs.buf, "Content-Type: text/plain; charset=UTF-8");
	assert_null(memmem(hdrs.buf, hdrs.len, "DLR", 3));
	assert_non_null(memmem(hdrs.buf, hdrs.len, "X-Kannel-Coding: 0", 18));
	sbuf_release(&body);
	sbuf_release(&hdrs);
}

static void test_dlr_url(void **state)
{
	struct sbuf u = SBUF_INIT;

	(void)state;
	sms_kannel_dlr_url("http://127.0.0.1:8080/sms/dlr", "s3/cr&t", 42, &u);
	assert_string_equal(u.buf, "http://127.0.0.1:8080/sms/dlr?secret=s3%2Fcr%26t&id=42"
			    "&status=%d&answer=%A&time=%T&smsc=%i");
	sbuf_reset(&u);
	sms_kannel_dlr_url("http://h/dlr?x=1", "s", 1, &u);
	assert_string_equal(u.buf, "http://h/dlr?x=1&secret=s&id=1&status=%d&answer=%A&time=%T&smsc=%i");
	sbuf_release(&u);
}

static void test_classify(void **state)
{
	char d[256];
	const char *acc = "0: Accepted for delivery\n";

	(void)state;
	assert_int_equal(sms_kannel_classify(202, acc, strlen(acc), NULL, false, d, sizeof(d)), SEND_OK);
	assert_string_equal(d, "HTTP 202: 0: Accepted for delivery");
	assert_int_equal(sms_kannel_classify(202, "3: Queued for later delivery", 28, NULL, false, d,
					     sizeof(d)), SEND_OK);
	assert_string_equal(d, "HTTP 202: 3: Queued for later delivery");
	assert_int_equal(sms_kannel_classify(400, "Missing receiver number, rejected", 33, NULL, false, d,
					     sizeof(d)), SEND_PERMFAIL);
	assert_string_equal(d, "HTTP 400: Missing receiver number, rejected");
	assert_int_equal(sms_kannel_classify(404, "", 0, NULL, false, d, sizeof(d)), SEND_PERMFAIL);
	/* Credentials and throttling are the gateway's business, not the message's. */
	assert_int_equal(sms_kannel_classify(403, "Authorization failed for sendsms", 32, NULL, false, d,
					     sizeof(d)), SEND_TEMPFAIL);
	assert_int_equal(sms_kannel_classify(429, "", 0, NULL, false, d, sizeof(d)), SEND_TEMPFAIL);
	assert_int_equal(sms_kannel_classify(503, "Sending failed.", 15, NULL, false, d, sizeof(d)),
			 SEND_TEMPFAIL);
	assert_int_equal(sms_kannel_classify(500, NULL, 0, NULL, false, d, sizeof(d)), SEND_TEMPFAIL);
	assert_int_equal(sms_kannel_classify(0, NULL, 0, "Connection refused", false, d, sizeof(d)),
			 SEND_TEMPFAIL);
	assert_string_equal(d, "sendsms was not reached: Connection refused");
	/* No answer once the request went out: Kannel may have it. */
	assert_int_equal(sms_kannel_classify(0, NULL, 0, "Timeout was reached", true, d, sizeof(d)),
			 SEND_UNKNOWN);
	assert_string_equal(d, "no answer from sendsms after the request went out: Timeout was reached");
	/* A short detail buffer truncates, never overflows. */
	assert_int_equal(sms_kannel_classify(202, acc, strlen(acc), NULL, false, d, 10), SEND_OK);
	assert_int_equal(strlen(d), 9);
}

static void test_dlr_types(void **state)
{
	enum dlr_outcome o;

	(void)state;
	assert_int_equal(sms_kannel_dlr_outcome(1, NULL, &o), 0);
	assert_int_equal(o, DLR_DELIVERED);
	assert_int_equal(sms_kannel_dlr_outcome(2, "id:1 stat:UNDELIV err:001", &o), 0);
	assert_int_equal(o, DLR_FAILED);
	assert_int_equal(sms_kannel_dlr_outcome(2, "id:1 sub:001 stat:EXPIRED err:000", &o), 0);
	assert_int_equal(o, DLR_EXPIRED);
	assert_int_equal(sms_kannel_dlr_outcome(16, "NACK/0x0000000b/Invalid Destination", &o), 0);
	assert_int_equal(o, DLR_FAILED);
	assert_int_equal(sms_kannel_dlr_outcome(8, "ACK/", &o), 0);
	assert_int_equal(o, DLR_INTERIM);
	assert_int_equal(sms_kannel_dlr_outcome(4, NULL, &o), 0);
	assert_int_equal(o, DLR_INTERIM);
	assert_int_equal(sms_kannel_dlr_outcome(0, NULL, &o), -1);
	assert_int_equal(sms_kannel_dlr_outcome(3, NULL, &o), -1);
	assert_int_equal(sms_kannel_dlr_outcome(32, NULL, &o), -1);
	assert_string_equal(sms_kannel_dlr_type_name(8), "delivered to SMSC");
	assert_string_equal(sms_kannel_dlr_type_name(7), "unknown report type");
	assert_string_equal(dlr_outcome_name(DLR_EXPIRED), "expired");
	assert_string_equal(dlr_outcome_name(DLR_INTERIM), "interim");
}

static void test_url_escape(void **state)
{
	struct sbuf sb = SBUF_INIT;

	(void)state;
	cmulti_url_escape(&sb, "aZ09-._~ +%/\0\xff", 14);
	assert_string_equal(sb.buf, "aZ09-._~%20%2B%25%2F%00%FF");
	sbuf_release(&sb);
}

static void test_snippet(void **state)
{
	char d[16];

	(void)state;
	cmulti_snippet(d, sizeof(d), "  a\r\n\tb   c  ", 13);
	assert_string_equal(d, "a b c");
	cmulti_snippet(d, sizeof(d), "", 0);
	assert_string_equal(d, "");
	/* Never ends inside a UTF-8 sequence: "æ" is two bytes. */
	cmulti_snippet(d, 5, "abcæ", 5);
	assert_string_equal(d, "abc");
	cmulti_snippet(d, 6, "abcæ", 5);
	assert_string_equal(d, "abcæ");
	cmulti_snippet(d, 1, "abc", 3);
	assert_string_equal(d, "");
	/* Not UTF-8 (Latin-1, a lone continuation, a cut sequence): '?' each. */
	cmulti_snippet(d, sizeof(d), "a\xff b\x80 \xe6\xc3", 8);
	assert_string_equal(d, "a? b? ??");
	cmulti_snippet(d, sizeof(d), "\xed\xa0\x80!", 4);   /* an encoded surrogate */
	assert_string_equal(d, "???" "!");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_gsm7_danish),
		cmocka_unit_test(test_get_ucs2_arabic_with_dlr),
		cmocka_unit_test(test_get_emoji_surrogates),
		cmocka_unit_test(test_get_invalid_utf8),
		cmocka_unit_test(test_no_dlr_without_mask),
		cmocka_unit_test(test_post_ucs2),
		cmocka_unit_test(test_post_gsm7),
		cmocka_unit_test(test_dlr_url),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_dlr_types),
		cmocka_unit_test(test_url_escape),
		cmocka_unit_test(test_snippet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
