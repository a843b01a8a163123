/* SPDX-License-Identifier: MIT */
/* Migrations, the message state machine guard and crash recovery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "budbringer/db.h"
#include "budbringer/db_copy.h"

#include <string.h>
#include "testutil.h"

static struct testdb tdb;

static int setup(void **state)
{
	*state = testdb_open(&tdb);
	return 0;
}

static int teardown(void **state)
{
	tdb.db = *state;	/* a test may have opened another */
	testdb_close(&tdb);
	return 0;
}

static void test_fresh_database_is_migrated(void **state)
{
	struct db *db = *state;
	assert_true(db_schema_version(db) >= 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'opportunities'"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_once'"), 1);
	/* WAL and foreign keys are on. */
	assert_int_equal(scalar(db, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
	assert_int_equal(scalar(db, "PRAGMA foreign_keys"), 1);
}

/* db copy moves every table of the schema but the daemon registry: a
 * table added by a migration must be added to db_copy_tables too. */
static void test_copy_lists_every_table(void **state)
{
	struct db *db = *state;
	struct db_stmt *st = db_prepare(db, "SELECT name FROM sqlite_master WHERE type = 'table'"
				       " AND name NOT LIKE 'sqlite_%' AND name <> 'daemons' ORDER BY name");
	int n = 0;

	assert_non_null(st);
	while (db_step(st) == DB_ROW) {
		const char *name = db_column_text(st, 0);
		bool listed = false;

		for (int i = 0; db_copy_tables[i]; i++)
			listed |= !strcmp(db_copy_tables[i], name);
		if (!listed)
			fail_msg("table %s is not in db_copy_tables", name);
		n++;
	}
	db_reset(st);
	assert_int_equal(n, DB_COPY_TABLES);
}

static void test_reopen_keeps_data_and_version(void **state)
{
	struct db *db = *state;
	long long id;
	int v = db_schema_version(db);
	assert_int_equal(db_association_add(db, "Spejderne", NULL, &id), 0);
	db_close(db);
	db = db_open(tdb.path);
	assert_non_null(db);
	*state = db;
	assert_int_equal(db_schema_version(db), v);
	assert_int_equal(db_association_find(db, "Spejderne"), id);
	/* The same name twice is refused. */
	assert_int_equal(db_association_add(db, "Spejderne", NULL, &id), -1);
}

static void test_newer_schema_is_refused(void **state)
{
	struct db *db = *state;
	assert_int_equal(db_exec(db, "PRAGMA user_version = 999"), 0);
	db_close(db);
	*state = NULL;
	assert_null(db_open(tdb.path));
	*state = db_open(":memory:");
}

static long long add_message(struct db *db, long long campaign, long long sub, enum channel ch)
{
	struct message_in in = {
		.campaign_id = campaign, .subscriber_id = sub, .kind = "campaign", .channel = ch,
		.recipient = "+4512345678", .lang = "da", .body = "hej", .state = "queued",
		.not_before = 100, .now = 100,
	};
	long long id = 0;
	int rc = db_message_insert(db, &in, &id);
	return rc == 0 ? id : -rc;
}

static void seed_campaign(struct db *db)
{
	assert_int_equal(db_exec(db,
		"INSERT INTO opportunities(id, status, updated_at) VALUES (1, 'published', 'x');"
		"INSERT INTO subscribers(id, phone, lang, status, created_at, updated_at)"
		" VALUES (1, '+4512345678', 'da', 'active', 1, 1);"
		"INSERT INTO campaigns(id, kind, opportunity_id, status, channels, send_at, valid_until,"
		" created_by, created_at, updated_at) VALUES (1, 'auto', 1, 'sending', 'sms', 1, 9999999999, 't', 1, 1);"), 0);
}

static void test_message_once_per_campaign_subscriber_channel(void **state)
{
	struct db *db = *state;
	seed_campaign(db);
	assert_true(add_message(db, 1, 1, CHANNEL_SMS) > 0);
	assert_int_equal(add_message(db, 1, 1, CHANNEL_SMS), -1); /* existed */
	assert_true(add_message(db, 1, 1, CHANNEL_EMAIL) > 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), 2);
}

static void test_transition_guard(void **state)
{
	struct db *db = *state;
	struct message_change sending = { .to = "sending", .provider = "kannel", .count_attempt = true, .now = 101 };
	struct message_change sent = { .to = "sent", .provider_msgid = "gw-1", .now = 102 };
	struct message_change delivered = { .to = "delivered", .now = 103 };
	struct message_change late = { .to = "failed", .reason = "late", .now = 104 };
	long long id;

	seed_campaign(db);
	id = add_message(db, 1, 1, CHANNEL_SMS);
	assert_int_equal(db_message_transition(db, id, "queued", &sending), 0);
	assert_int_equal(db_message_transition(db, id, "queued", &sending), 1); /* not queued any more */
	assert_int_equal(db_message_transition(db, id, "sending", &sent), 0);
	assert_int_equal(db_message_transition(db, id, "sent", &delivered), 0);
	/* A late report never overrides a final state. */
	assert_int_equal(db_message_transition(db, id, "sent", &late), 1);
	assert_int_equal(db_message_transition(db, id, NULL, &late), 1);
	assert_int_equal(scalar(db, "SELECT state = 'delivered' AND provider = 'kannel' AND"
				    " provider_msgid = 'gw-1' AND attempts = 1 FROM messages"), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), 4);
	assert_int_equal(db_message_attempts(db, id), 1);
}

static void test_recover_in_flight(void **state)
{
	struct db *db = *state;
	struct message_change to_kannel = { .to = "sending", .provider = "kannel", .now = 101 };
	struct message_change to_spool = { .to = "sending", .provider = "spool", .now = 101 };
	const char *idem[] = { "spool", NULL };
	long long a, b;

	seed_campaign(db);
	a = add_message(db, 1, 1, CHANNEL_SMS);
	b = add_message(db, 1, 1, CHANNEL_EMAIL);
	db_message_transition(db, a, "queued", &to_kannel);
	db_message_transition(db, b, "queued", &to_spool);
	assert_int_equal(db_message_recover(db, idem, 200), 2);
	/* Not idempotent: unknown, never resent blindly. Idempotent: retried. */
	assert_int_equal(scalar(db, "SELECT state = 'unknown' FROM messages WHERE channel = 'sms'"), 1);
	assert_int_equal(scalar(db, "SELECT state = 'queued' FROM messages WHERE channel = 'email'"), 1);
	assert_int_equal(db_message_recover(db, idem, 201), 0);
}

static void test_cancel_queued(void **state)
{
	struct db *db = *state;
	seed_campaign(db);
	add_message(db, 1, 1, CHANNEL_SMS);
	add_message(db, 1, 1, CHANNEL_EMAIL);
	assert_int_equal(db_message_cancel_queued_channel(db, 1, "email", "unsubscribed", 300), 1);
	assert_int_equal(db_message_cancel_queued(db, 1, "campaign cancelled", 301), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM messages WHERE state = 'cancelled'"), 2);
}

static void test_suppression_is_hashed(void **state)
{
	struct db *db = *state;
	assert_false(db_is_suppressed(db, "+4512345678", "sms"));
	assert_int_equal(db_suppress(db, "+4512345678", "sms", "stop", "sms:+4512345678", 5), 0);
	assert_true(db_is_suppressed(db, "+4512345678", "sms"));
	assert_false(db_is_suppressed(db, "+4512345678", "email"));
	/* Only the hash is stored. */
	assert_int_equal(scalar(db, "SELECT count(*) FROM suppressions WHERE address_sha256 LIKE '%4512345678%'"), 0);
	assert_int_equal(db_unsuppress(db, "+4512345678", "sms"), 0);
	assert_false(db_is_suppressed(db, "+4512345678", "sms"));
}

static void test_consent_log_is_append_only(void **state)
{
	struct db *db = *state;
	assert_int_equal(db_consent_log(db, 0, 1, "sms", "suppress", "sms:+45", NULL), 0);
	assert_int_not_equal(db_exec(db, "UPDATE consent_log SET action = 'grant'"), 0);
}

/* db_begin() inside a transaction is a savepoint: undone alone, and only
 * the outermost db_commit() makes anything durable. */
static void test_nested_transactions(void **state)
{
	struct db *db = *state;

	assert_int_equal(db_begin(db), 0);
	assert_true(db_in_transaction(db));
	assert_int_equal(db_consent_log(db, 0, 1, "sms", "suppress", "outer", NULL), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_consent_log(db, 0, 2, "sms", "suppress", "undone", NULL), 0);
	assert_int_equal(db_rollback(db), 0);            /* the inner level only */
	assert_true(db_in_transaction(db));
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_consent_log(db, 0, 3, "sms", "suppress", "kept", NULL), 0);
	assert_int_equal(db_begin(db), 0);                /* three deep */
	assert_int_equal(db_consent_log(db, 0, 4, "sms", "suppress", "kept too", NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_commit(db), 0);
	assert_true(db_in_transaction(db));               /* nothing committed yet */
	assert_int_equal(db_commit(db), 0);
	assert_false(db_in_transaction(db));
	assert_int_equal(scalar(db, "SELECT count(*) FROM consent_log"), 3);
	assert_int_equal(scalar(db, "SELECT count(*) FROM consent_log WHERE source = 'undone'"), 0);
	/* the outer rollback takes the committed inner levels with it */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_consent_log(db, 0, 5, "sms", "suppress", "gone", NULL), 0);
	assert_int_equal(db_commit(db), 0);
	assert_int_equal(db_rollback(db), 0);
	assert_false(db_in_transaction(db));
	assert_int_equal(scalar(db, "SELECT count(*) FROM consent_log"), 3);
	/* and a plain transaction afterwards is a real one again */
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_rollback(db), 0);
	assert_int_equal(db_rollback(db), 0);             /* none open: harmless */
	assert_false(db_in_transaction(db));
}

/* A COMMIT that fails (here a deferred foreign key; in life a full disk)
 * must not leave the connection in a transaction holding the write lock. */
static void test_failed_commit_ends_transaction(void **state)
{
	struct db *db = *state;

	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_exec(db, "PRAGMA defer_foreign_keys = ON;"
				      "INSERT INTO message_events(message_id, at, state)"
				      " VALUES (999999, 0, 'sent')"), 0);
	assert_int_equal(db_commit(db), -1);
	assert_false(db_in_transaction(db));
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), 0);
	assert_int_equal(db_begin(db), 0);
	assert_int_equal(db_commit(db), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_database_is_migrated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_lists_every_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_commit_ends_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen_keeps_data_and_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_schema_is_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_message_once_per_campaign_subscriber_channel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transition_guard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recover_in_flight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel_queued, setup, teardown),
		cmocka_unit_test_setup_teardown(test_suppression_is_hashed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_consent_log_is_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nested_transactions, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
