/* SPDX-License-Identifier: MIT */
/*
 * The outbox's state machine (outbox.h) against a fake provider whose
 * answers the test chooses: a message is `sending` while the provider has
 * it and `sent` only after the provider said so; a temporary failure
 * queues it again until max_attempts, then `failed`; a permanent one fails
 * at once; a lost answer is `unknown`; an expired message is never handed
 * over; quiet hours hold campaign messages but not replies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/outbox.h"
#include "budbringer/provider.h"
#include "testutil.h"

/* 2027-01-15 08:00 UTC, 09:00 in Copenhagen: inside the quiet hours below. */
#define NOW 1800000000LL

static const char conf_quiet[] =
	"database = \"/tmp/unused.db\";\n"
	"secret_key = \"0123456789abcdef0123456789abcdef\";\n"
	"languages = [\"da\", \"en\"];\n"
	"fallback = [\"en\", \"da\"];\n"
	"interests = { sport = { da = [\"SPORT\"]; }; };\n"
	"templates = { sms = { da = \"{title} {stop}\"; }; stop = { da = \"STOP\"; }; };\n"
	"campaigns = { quiet_hours = { start = \"%s\"; end = \"%s\"; }; };\n"
	"sms = { max_attempts = 3; backoff_initial = 10; providers = ( { name = \"fake\";"
	" type = \"spool\"; directory = \"/tmp/unused-spool\"; } ); };\n";

/* The fake provider: takes everything, answers as `answer` says when
 * `hold` is off. One per channel. */
struct fake {
	long long got[64];
	size_t n_got;
	long long pending[64];
	size_t n_pending;
	enum send_status answer;
	bool hold;
};
static struct fake fakes[CHANNEL_COUNT];

static int fake_init(struct provider *p, struct sbuf *err)
{
	(void)err;
	p->priv = &fakes[p->sms ? CHANNEL_SMS : CHANNEL_EMAIL];
	return 0;
}

static int fake_submit(struct provider *p, const struct outbound *o)
{
	struct fake *f = p->priv;

	if (f->n_got == 64)
		return -1;
	f->got[f->n_got++] = o->msg->id;
	f->pending[f->n_pending++] = o->msg->id;
	return 0;
}

static size_t fake_poll(struct provider *p, int timeout_ms, struct send_result *out, size_t max)
{
	struct fake *f = p->priv;
	size_t n = 0;

	(void)timeout_ms;
	if (f->hold)
		return 0;
	for (; n < f->n_pending && n < max; n++) {
		char pmid[32];
		(void)bsnprintf(pmid, sizeof(pmid), "fk-%lld", f->pending[n]);
		send_result_set(&out[n], f->pending[n], f->answer, pmid, "fake says %d", (int)f->answer);
	}
	memmove(f->pending, f->pending + n, (f->n_pending - n) * sizeof(f->pending[0]));
	f->n_pending -= n;
	return n;
}

static size_t fake_capacity(struct provider *p)
{
	struct fake *f = p->priv;
	return 64 - f->n_got;
}

static const struct provider_ops fake_sms = {
	.type = "fake", .channel = CHANNEL_SMS, .init = fake_init, .submit = fake_submit,
	.poll = fake_poll, .capacity = fake_capacity,
};
static const struct provider_ops fake_mail = {
	.type = "fake", .channel = CHANNEL_EMAIL, .init = fake_init, .submit = fake_submit,
	.poll = fake_poll, .capacity = fake_capacity,
};

struct fixture {
	struct testdb tdb;
	struct config cfg;
	struct outbox *ob;
};

static int setup_quiet(void **state, const char *start, const char *end)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sbuf err = SBUF_INIT, conf = SBUF_INIT;
	struct provider *sms, *mail;

	memset(fakes, 0, sizeof(fakes));
	sbuf_addf(&conf, conf_quiet, start, end);
	if (testcfg_load(conf.buf, &f->cfg, &err) < 0)
		fail_msg("%s", err.buf);
	testdb_open(&f->tdb);
	sms = provider_new_ops(&fake_sms, "fake", &f->cfg, &f->cfg.sms.providers[0], &err);
	mail = provider_new_ops(&fake_mail, "fakemail", &f->cfg, NULL, &err);
	assert_non_null(sms);
	assert_non_null(mail);
	sms->idempotent = false;   /* like a gateway: a lost answer is not retried */
	f->ob = outbox_new_with(f->tdb.db, &f->cfg, sms, mail);
	sbuf_release(&conf);
	sbuf_release(&err);
	*state = f;
	return 0;
}

/* Quiet hours far from NOW (they hold nothing) or around it. */
static int setup(void **state) { return setup_quiet(state, "23:00", "23:30"); }
static int setup_in_quiet(void **state) { return setup_quiet(state, "08:00", "10:00"); }

static int teardown(void **state)
{
	struct fixture *f = *state;

	outbox_free(f->ob);
	testdb_close(&f->tdb);
	cfg_free(&f->cfg);
	free(f);
	return 0;
}

static long long queue(struct fixture *f, const char *kind, long long campaign, long long expires)
{
	struct message_in in = {
		.campaign_id = campaign, .kind = kind, .channel = CHANNEL_SMS,
		.recipient = "+4512345678", .lang = "da", .body = "Hej", .state = "queued",
		.coding = "gsm7", .segments = 1, .not_before = NOW, .expires_at = expires, .now = NOW,
	};
	long long id;

	assert_int_equal(db_message_insert(f->tdb.db, &in, &id), 0);
	return id;
}

static char *state_of(struct fixture *f, long long id)
{
	char sql[96];
	assert_int_equal(bsnprintf(sql, sizeof(sql), "SELECT state FROM messages WHERE id = %lld", id), 0);
	return scalar_text(f->tdb.db, sql);
}

static void expect(struct fixture *f, long long id, const char *want)
{
	char *s = state_of(f, id);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_sent_only_after_the_answer(void **state)
{
	struct fixture *f = *state;
	long long id = queue(f, "reply", 0, 0);

	fakes[CHANNEL_SMS].hold = true;
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	assert_int_equal(fakes[CHANNEL_SMS].n_got, 1);
	expect(f, id, "sending");           /* handed over, no answer yet */
	assert_int_equal(outbox_in_flight(f->ob), 1);
	fakes[CHANNEL_SMS].hold = false;
	fakes[CHANNEL_SMS].answer = SEND_OK;
	assert_true(outbox_step(f->ob, NOW + 1, 0) >= 0);
	expect(f, id, "sent");
	assert_int_equal(scalar(f->tdb.db, "SELECT count(*) FROM messages WHERE provider_msgid LIKE 'fk-%'"), 1);
	assert_int_equal(outbox_in_flight(f->ob), 0);
}

static void test_temporary_then_failed(void **state)
{
	struct fixture *f = *state;
	long long id = queue(f, "reply", 0, 0), t = NOW;

	fakes[CHANNEL_SMS].answer = SEND_TEMPFAIL;
	for (int attempt = 1; attempt <= 3; attempt++) {
		assert_true(outbox_step(f->ob, t, 0) >= 0);   /* claim and submit */
		assert_true(outbox_step(f->ob, t, 0) >= 0);   /* record the answer */
		assert_int_equal(fakes[CHANNEL_SMS].n_got, (size_t)attempt);
		if (attempt < 3) {
			expect(f, id, "queued");            /* again, later */
			assert_true(scalar(f->tdb.db, "SELECT not_before FROM messages") > t);
			assert_true(outbox_step(f->ob, t, 0) >= 0);
			assert_int_equal(fakes[CHANNEL_SMS].n_got, (size_t)attempt); /* not before its time */
		}
		t += 4000;                                   /* past any backoff */
	}
	expect(f, id, "failed");                             /* max_attempts = 3 */
}

/* Statements of the turn that records n temporary failures. */
static unsigned long long tempfail_turn(struct fixture *f, int n, long long t)
{
	unsigned long long before;

	for (int i = 0; i < n; i++)
		queue(f, "reply", 0, 0);
	assert_true(outbox_step(f->ob, t, 0) >= 0);	/* claim and submit */
	before = db_statements_run(f->tdb.db);
	assert_true(outbox_collect(f->ob, t, 0) == n); /* record the answers only */
	return db_statements_run(f->tdb.db) - before;
}

/* Issue 17, item 5: a temporary failure no longer reads the message's
 * attempts back (the outbox knows them since the claim, wire.h). What is
 * left per message: the still-wanted check, its UPDATE and its event
 * (4 statements a failure before). */
static void test_tempfail_reads_no_attempts(void **state)
{
	struct fixture *f = *state;
	unsigned long long one, twenty;

	fakes[CHANNEL_SMS].answer = SEND_TEMPFAIL;
	one = tempfail_turn(f, 1, NOW);
	memset(&fakes[CHANNEL_SMS], 0, sizeof(fakes[CHANNEL_SMS]));
	fakes[CHANNEL_SMS].answer = SEND_TEMPFAIL;
	twenty = tempfail_turn(f, 20, NOW + 1);
	print_message("statements recording 1 temporary failure: %llu, 20: %llu\n", one, twenty);
	assert_int_equal((twenty - one) % 19, 0);
	assert_int_equal((twenty - one) / 19, 3);
	assert_int_equal(scalar(f->tdb.db, "SELECT count(*) FROM messages WHERE state = 'queued'"
				" AND attempts = 1"), 21);
}

static void test_permanent_fails_at_once(void **state)
{
	struct fixture *f = *state;
	long long id = queue(f, "reply", 0, 0);
	char *reason;

	fakes[CHANNEL_SMS].answer = SEND_PERMFAIL;
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	expect(f, id, "failed");
	reason = scalar_text(f->tdb.db, "SELECT reason FROM messages");
	assert_non_null(reason);
	assert_non_null(strstr(reason, "fake says"));
	free(reason);
	assert_int_equal(fakes[CHANNEL_SMS].n_got, 1);
}

static void test_lost_answer_is_unknown(void **state)
{
	struct fixture *f = *state;
	long long id = queue(f, "reply", 0, 0);

	fakes[CHANNEL_SMS].answer = SEND_UNKNOWN;
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	expect(f, id, "unknown");
	assert_true(outbox_step(f->ob, NOW + 4000, 0) >= 0);
	assert_int_equal(fakes[CHANNEL_SMS].n_got, 1);       /* never resent blindly */
}

static void test_expired_never_handed_over(void **state)
{
	struct fixture *f = *state;
	long long id = queue(f, "reply", 0, NOW - 1);

	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	assert_int_equal(fakes[CHANNEL_SMS].n_got, 0);
	{
		char *s = state_of(f, id);
		assert_non_null(s);
		assert_string_not_equal(s, "sent");
		assert_string_not_equal(s, "sending");
		free(s);
	}
}

static void test_quiet_hours_hold_campaigns_not_replies(void **state)
{
	struct fixture *f = *state;
	long long camp, reply;

	(void)scalar(f->tdb.db, "INSERT INTO opportunities(id, status, updated_at) VALUES (1, 'published', 'x')");
	(void)scalar(f->tdb.db, "INSERT INTO campaigns(id, kind, opportunity_id, status, channels, send_at,"
			       " valid_until, created_by, created_at, updated_at) VALUES (1, 'staff', 1,"
			       " 'sending', 'sms', 1, 1900000000, 't', 1, 1)");
	camp = queue(f, "campaign", 1, 0);
	reply = queue(f, "reply", 0, 0);
	fakes[CHANNEL_SMS].answer = SEND_OK;
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	assert_true(outbox_step(f->ob, NOW, 0) >= 0);
	expect(f, reply, "sent");
	expect(f, camp, "queued");                           /* held until the quiet hours end */
	assert_int_equal(fakes[CHANNEL_SMS].n_got, 1);
	assert_true(outbox_step(f->ob, NOW + 2 * 3600, 0) >= 0);   /* 11:00: quiet hours over */
	assert_true(outbox_step(f->ob, NOW + 2 * 3600, 0) >= 0);
	expect(f, camp, "sent");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sent_only_after_the_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_temporary_then_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permanent_fails_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tempfail_reads_no_attempts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_answer_is_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_never_handed_over, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_hours_hold_campaigns_not_replies, setup_in_quiet,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
