/* SPDX-License-Identifier: MIT */
/* The delivery log's filters: one rule for the CLI and the dashboard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/event_query.h"

#define NOW 1800000000LL

static int set(struct event_query *q, const char *name, const char *value, char *why)
{
	return event_query_set(q, name, value, "45", NOW, why, 256);
}

static void test_accepts(void **state)
{
	struct event_query q;
	char why[256];
	(void)state;
	event_query_init(&q);
	assert_int_equal(set(&q, "campaign", "12", why), 0);
	assert_int_equal(set(&q, "subscriber", "7", why), 0);
	assert_int_equal(set(&q, "status", "failed", why), 0);
	assert_int_equal(set(&q, "channel", "email", why), 0);
	assert_int_equal(set(&q, "provider", "kannel-2.dk_x", why), 0);
	assert_int_equal(set(&q, "since", "2h", why), 0);
	assert_int_equal(set(&q, "before", "999", why), 0);
	assert_true(q.f.campaign_id == 12 && q.f.subscriber_id == 7 && q.f.before_event == 999);
	assert_string_equal(q.f.state, "failed");
	assert_string_equal(q.f.channel, "email");
	assert_string_equal(q.f.provider, "kannel-2.dk_x");
	assert_true(q.f.since == NOW - 7200);
	/* An empty form field filters nothing. */
	assert_int_equal(set(&q, "until", "", why), 0);
	assert_int_equal(set(&q, "until", NULL, why), 0);
	assert_true(q.f.until == 0);
	assert_int_equal(set(&q, "until", "2026-11-01T18:00", why), 0);
	assert_true(q.f.until > 0);
	/* Not a filter: 1, for the caller to decide. */
	assert_int_equal(set(&q, "limit", "5", why), 1);
}

static void test_recipient_forms(void **state)
{
	static const char *const forms[] = { "20000003", "+45 20 00 00 03", "0045-2000-0003",
		"(+45) 20.00.00.03" };
	struct event_query q;
	char why[256];
	(void)state;
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		event_query_init(&q);
		assert_int_equal(set(&q, "recipient", forms[i], why), 0);
		assert_string_equal(q.f.recipient, "+4520000003");
	}
	event_query_init(&q);
	assert_int_equal(set(&q, "recipient", "Anna@Example.DK", why), 0);
	assert_string_equal(q.f.recipient, "Anna@example.dk");
}

static void test_refuses(void **state)
{
	static const struct { const char *name, *value, *why; } bad[] = {
		{ "campaign", "0", "'0' is not an id" },
		{ "campaign", "12abc", "'12abc' is not an id" },
		{ "campaign", "-3", "'-3' is not an id" },
		{ "subscriber", "99999999999999999999", "is not an id" },
		{ "before", " 5", "is not an id" },
		{ "status", "lost", "'lost' is not one of: queued sending" },
		{ "channel", "fax", "'fax' is not one of: sms email" },
		{ "provider", "a b", "is not a provider name" },
		{ "provider", "x';--", "is not a provider name" },
		{ "since", "yesterday", "must be like 30m" },
		{ "since", "-1h", "must be like 30m" },
		{ "until", "2026-11-01 18:00", "must be like" },
		{ "recipient", "hello", "neither a phone number nor an email address (contains a letter)" },
		{ "recipient", "a@b", "is not an email address" },
		{ "recipient", "123", "neither a phone number" },
	};
	char why[256];
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct event_query q;
		event_query_init(&q);
		assert_int_equal(set(&q, bad[i].name, bad[i].value, why), -1);
		if (!strstr(why, bad[i].why))
			fail_msg("%s=%s: got '%s', want '%s'", bad[i].name, bad[i].value, why, bad[i].why);
		assert_true(q.f.campaign_id == 0 && !q.f.state && !q.f.recipient);
	}
}

/* A long or binary value is quoted back cut and without control bytes. */
static void test_reason_is_printable(void **state)
{
	struct event_query q;
	char why[256], big[400];
	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	big[3] = '\n';
	event_query_init(&q);
	assert_int_equal(set(&q, "status", big, why), -1);
	assert_null(strchr(why, '\n'));
	assert_non_null(strstr(why, "...'"));
	assert_true(strlen(why) < 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_recipient_forms),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_reason_is_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
