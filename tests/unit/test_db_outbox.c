/* SPDX-License-Identifier: MIT */
/* Batched state changes of the outbox: the rules of db_message_transition(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/db.h"
#include "budbringer/db_outbox.h"
#include "testutil.h"

#define N 300	/* more than one outbox batch */

static int setup(void **state)
{
	struct db *db = db_open(":memory:");

	*state = db;
	if (!db)
		return -1;
	return db_exec(db,
		"INSERT INTO subscribers(id, email, lang, status, created_at, updated_at)"
		" VALUES (1, 'a@example.org', 'da', 'active', 1, 1);") == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	db_close(*state);
	return 0;
}

static long long add_message(struct db *db)
{
	struct message_in in = {
		.subscriber_id = 1, .kind = "reply", .channel = CHANNEL_EMAIL,
		.recipient = "a@example.org", .lang = "da", .subject = "s", .body = "hej",
		.state = "queued", .not_before = 100, .now = 100,
	};
	long long id = 0;

	assert_int_equal(db_message_insert(db, &in, &id), 0);
	return id;
}

static void test_claim_and_sent(void **state)
{
	struct db *db = *state;
	static struct db_outbox_row rows[N];
	static char msgid[N][40], detail[N][40];
	struct message_change sending = { .to = "sending", .provider = "smtp", .count_attempt = true,
					  .now = 200 };
	struct message_change sent = { .to = "sent", .provider = "smtp", .now = 300 };
	long long first = 0;

	for (int i = 0; i < N; i++) {
		long long id = add_message(db);

		if (!i)
			first = id;
		rows[i] = (struct db_outbox_row){ .id = id };
	}
	/* One of them is no longer queued: it must not move, nor get an event. */
	assert_int_equal(db_exec(db, "UPDATE messages SET state = 'cancelled'"
				      " WHERE id = (SELECT max(id) FROM messages)"),
			 0);
	assert_int_equal(db_outbox_transition(db, rows, N, "queued", &sending), N - 1);
	for (int i = 0; i < N; i++)
		assert_int_equal(rows[i].changed, i < N - 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM messages WHERE state = 'sending'"
				    " AND provider = 'smtp' AND attempts = 1 AND updated_at = 200"), N - 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events WHERE state = 'sending'"
				    " AND provider = 'smtp' AND at = 200"), N - 1);
	/* Events come in the order of the rows. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events a JOIN message_events b"
				    " ON b.id = a.id + 1 WHERE a.state = 'sending' AND b.state = 'sending'"
				    " AND b.message_id <> a.message_id + 1"), 0);

	/* Per-row Message-IDs and details, quotes and backslashes included;
	 * non-ASCII text goes the one-row way and arrives unchanged too. */
	for (int i = 0; i < N; i++) {
		snprintf(msgid[i], sizeof(msgid[i]), "id-%d@x\"y\\z", i);
		snprintf(detail[i], sizeof(detail[i]), i % 7 ? "250 ok %d" : "250 øk %d", i);
		rows[i].provider_msgid = i % 5 ? msgid[i] : NULL;
		rows[i].detail = detail[i];
	}
	assert_int_equal(db_outbox_transition(db, rows, N, "sending", &sent), N - 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM messages WHERE state = 'sent'"), N - 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM messages WHERE state = 'sent'"
				    " AND provider_msgid IS NULL"), (N - 1 + 4) / 5);
	{
		char sql[300];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages m JOIN message_events e"
			 " ON e.message_id = m.id AND e.state = 'sent' WHERE m.id = %lld + 1"
			 " AND m.provider_msgid = 'id-1@x\"y\\z' AND e.provider_msgid = m.provider_msgid"
			 " AND e.detail = '250 ok 1' AND e.at = 300", first);
		assert_int_equal(scalar(db, sql), 1);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM message_events"
			 " WHERE message_id = %lld + 7 AND state = 'sent' AND detail = '250 øk 7'",
			 first);
		assert_int_equal(scalar(db, sql), 1);
	}
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events WHERE state = 'sent'"), N - 1);
	/* Nothing is `sending` any more: a repeat moves nothing. */
	assert_int_equal(db_outbox_transition(db, rows, N, "sending", &sent), 0);
	for (int i = 0; i < N; i++)
		assert_false(rows[i].changed);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), 3 * N - 2);
}

static void test_reason_and_backoff(void **state)
{
	struct db *db = *state;
	struct db_outbox_row rows[2];
	struct message_change back = { .to = "queued", .reason = "451 later", .not_before = 999,
				       .now = 300 };

	rows[0] = (struct db_outbox_row){ .id = add_message(db) };
	rows[1] = (struct db_outbox_row){ .id = add_message(db) };
	assert_int_equal(db_outbox_transition(db, rows, 2, "queued", &back), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM messages WHERE reason = '451 later'"
				    " AND not_before = 999 AND attempts = 0"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"
				    " WHERE state = 'queued' AND detail = '451 later'"), 2);
	assert_int_equal(db_outbox_transition(db, rows, 0, "queued", &back), 0);
	assert_int_equal(db_outbox_transition(db, rows, 2, NULL, &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claim_and_sent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reason_and_backoff, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
