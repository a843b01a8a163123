/* SPDX-License-Identifier: MIT */
/*
 * Delivery reports in the database: which states a report may end, that
 * a late or repeated report never overrides a final state, that interim
 * reports are events only, and lookups by the gateway's id.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/db_dlr.h"
#include "testutil.h"

static struct testdb tdb;

static int setup(void **state)
{
	*state = testdb_open(&tdb);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testdb_close(&tdb);
	return 0;
}

/* A reply message (no campaign) moved along to `state`. */
static long long message_in(struct db *db, const char *state, const char *provider_msgid)
{
	struct message_in in = {
		.kind = "reply", .channel = CHANNEL_SMS, .recipient = "+4512345678", .lang = "da",
		.body = "Hej", .state = "queued", .coding = "gsm7", .segments = 1, .now = 100,
	};
	struct message_change ch = { .provider = "kannel", .now = 101 };
	long long id;

	assert_int_equal(db_message_insert(db, &in, &id), 0);
	if (!strcmp(state, "queued"))
		return id;
	ch.to = "sending";
	assert_int_equal(db_message_transition(db, id, "queued", &ch), 0);
	if (strcmp(state, "sending")) {
		ch.to = state;
		ch.provider_msgid = provider_msgid;
		assert_int_equal(db_message_transition(db, id, "sending", &ch), 0);
	}
	return id;
}

static int apply(struct db *db, long long id, const char *pmid, enum dlr_outcome o, char *st)
{
	struct dlr_report r = { .msg_id = id, .provider_msgid = pmid, .outcome = o,
				.detail = "test", .now = 200 };
	return db_dlr_apply(db, &r, st, 16);
}

static char *state_of(struct db *db, long long id)
{
	char sql[96];

	assert_int_equal(bsnprintf(sql, sizeof(sql), "SELECT state FROM messages WHERE id = %lld", id), 0);
	return scalar_text(db, sql);
}

static void expect_state(struct db *db, long long id, const char *want)
{
	char *s = state_of(db, id);
	assert_string_equal(s, want);
	free(s);
}

/* A report settles SMS only: an email that shares the id or the gateway's
 * id is left as it is, and gets no event. */
static void test_email_never_settled(void **state)
{
	struct db *db = *state;
	struct message_in in = {
		.kind = "reply", .channel = CHANNEL_EMAIL, .recipient = "a@example.dk", .lang = "da",
		.subject = "Hej", .body = "Hej", .state = "queued", .now = 100,
	};
	struct message_change ch = { .provider = "smtp", .to = "sending", .now = 101 };
	long long id, events;
	char st[16] = "";

	assert_int_equal(db_message_insert(db, &in, &id), 0);
	assert_int_equal(db_message_transition(db, id, "queued", &ch), 0);
	ch.to = "sent";
	ch.provider_msgid = "shared-42";
	assert_int_equal(db_message_transition(db, id, "sending", &ch), 0);
	events = scalar(db, "SELECT count(*) FROM message_events");
	assert_int_equal(apply(db, id, NULL, DLR_FAILED, st), 2);
	assert_int_equal(apply(db, 0, "shared-42", DLR_DELIVERED, st), 2);
	expect_state(db, id, "sent");
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), events);
}

static void test_sent_to_final(void **state)
{
	struct db *db = *state;
	long long a = message_in(db, "sent", NULL), b = message_in(db, "sent", NULL),
		  c = message_in(db, "sent", NULL);
	char st[16];
	char *reason;

	assert_int_equal(apply(db, a, NULL, DLR_DELIVERED, st), 0);
	assert_string_equal(st, "delivered");
	assert_int_equal(apply(db, b, NULL, DLR_FAILED, st), 0);
	assert_string_equal(st, "failed");
	assert_int_equal(apply(db, c, NULL, DLR_EXPIRED, st), 0);
	expect_state(db, a, "delivered");
	expect_state(db, b, "failed");
	expect_state(db, c, "expired");
	/* The gateway's words are the failure's reason. */
	reason = scalar_text(db, "SELECT reason FROM messages WHERE state = 'failed'");
	assert_string_equal(reason, "delivery report: test");
	free(reason);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events WHERE state = 'delivered'"
				    " AND detail = 'delivery report: test' AND provider = 'kannel'"), 1);
}

static void test_interim_is_event_only(void **state)
{
	struct db *db = *state;
	long long a = message_in(db, "sent", NULL);
	char st[16];
	long long before = scalar(db, "SELECT count(*) FROM message_events");

	assert_int_equal(apply(db, a, NULL, DLR_INTERIM, st), 1);
	assert_string_equal(st, "sent");
	expect_state(db, a, "sent");
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), before + 1);
}

static void test_final_never_overridden(void **state)
{
	struct db *db = *state;
	long long a = message_in(db, "sent", NULL);
	char st[16];
	char *detail;

	assert_int_equal(apply(db, a, NULL, DLR_DELIVERED, st), 0);
	/* A late buffered report, a late failure, a repeat: all history only. */
	assert_int_equal(apply(db, a, NULL, DLR_INTERIM, st), 1);
	assert_int_equal(apply(db, a, NULL, DLR_FAILED, st), 1);
	assert_string_equal(st, "delivered");
	assert_int_equal(apply(db, a, NULL, DLR_DELIVERED, st), 1);
	expect_state(db, a, "delivered");
	detail = scalar_text(db, "SELECT detail FROM message_events ORDER BY id DESC LIMIT 1");
	assert_string_equal(detail, "delivery report: test (ignored: message already delivered)");
	free(detail);
	/* Other final states of our own are kept too. */
	{
		struct message_change ch = { .to = "cancelled", .now = 150 };
		long long q = message_in(db, "queued", NULL);
		assert_int_equal(db_message_transition(db, q, "queued", &ch), 0);
		assert_int_equal(apply(db, q, NULL, DLR_DELIVERED, st), 1);
		expect_state(db, q, "cancelled");
	}
}

/* A report may overtake the HTTP answer, settle an `unknown`, or stop the
 * retry of an attempt that timed out but got through. */
static void test_open_states(void **state)
{
	struct db *db = *state;
	long long s = message_in(db, "sending", NULL), u = message_in(db, "unknown", NULL),
		  q = message_in(db, "queued", NULL);
	char st[16];

	assert_int_equal(apply(db, s, NULL, DLR_DELIVERED, st), 0);
	assert_int_equal(apply(db, u, NULL, DLR_DELIVERED, st), 0);
	assert_int_equal(apply(db, q, NULL, DLR_FAILED, st), 0);
	expect_state(db, s, "delivered");
	expect_state(db, u, "delivered");
	expect_state(db, q, "failed");
	/* The outbox's late answer for `s` then changes nothing. */
	{
		struct message_change ch = { .to = "sent", .now = 300 };
		assert_int_equal(db_message_transition(db, s, "sending", &ch), 1);
		expect_state(db, s, "delivered");
	}
}

static void test_by_provider_msgid_and_unknown(void **state)
{
	struct db *db = *state;
	long long a = message_in(db, "sent", "gw-7");
	char st[16] = "x";
	long long events = scalar(db, "SELECT count(*) FROM message_events");

	assert_int_equal(apply(db, 0, "gw-7", DLR_DELIVERED, st), 0);
	expect_state(db, a, "delivered");
	assert_int_equal(apply(db, 0, "gw-nope", DLR_DELIVERED, st), 2);
	assert_int_equal(apply(db, 999999, NULL, DLR_DELIVERED, st), 2);
	/* Unknown ids write nothing. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), events + 1);
	/* The report's id is kept when the message had none. */
	{
		long long b = message_in(db, "sent", NULL);
		char *pm, sql[96];
		assert_int_equal(apply(db, b, "gw-9", DLR_DELIVERED, st), 0);
		assert_int_equal(bsnprintf(sql, sizeof(sql),
					   "SELECT provider_msgid FROM messages WHERE id = %lld", b), 0);
		pm = scalar_text(db, sql);
		assert_string_equal(pm, "gw-9");
		free(pm);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sent_to_final, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interim_is_event_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_final_never_overridden, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_states, setup, teardown),
		cmocka_unit_test_setup_teardown(test_email_never_settled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_by_provider_msgid_and_unknown, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
