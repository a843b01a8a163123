/* SPDX-License-Identifier: MIT */
/* Campaigns against a real (temporary) database: the automatic campaign
 * exactly once, expansion by the matching rules, languages, the cap, the
 * both-channels policy, resumable batches, stale messages expiring and
 * cancel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "budbringer/campaign.h"
#include "budbringer/render.h"
#include "testutil.h"

struct fixture {
	struct db *db;
	struct config cfg;
	struct testdb tdb;
	int year;
};

static const char conf_text[] =
	"database = \"/tmp/unused.db\";\n"
	"secret_key = \"0123456789abcdef0123456789abcdef\";\n"
	"languages = [\"da\", \"en\", \"ar\", \"tr\"];\n"
	"fallback = [\"en\", \"da\"];\n"
	"interests = { sport = { da = [\"SPORT\"]; }; culture = { da = [\"KULTUR\"]; }; };\n"
	"templates = { sms = { da = \"{title}: {summary} {stop}\"; en = \"{title}: {summary} {stop}\"; };\n"
	"  stop = { da = \"Afmeld: STOP\"; en = \"Stop: STOP\"; }; };\n"
	"campaigns = { frequency_cap = 2; expand_batch = 10; both_channels = \"%s\"; };\n";

static int setup_with(void **state, const char *both)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sbuf err = SBUF_INIT, conf = SBUF_INIT;
	time_t t = time(NULL);
	struct tm tm;

	sbuf_addf(&conf, conf_text, both);
	if (testcfg_load(conf.buf, &f->cfg, &err) < 0)
		fail_msg("%s", err.buf);
	sbuf_release(&conf);
	sbuf_release(&err);
	f->db = testdb_open(&f->tdb);
	gmtime_r(&t, &tm);
	f->year = tm.tm_year + 1900;
	*state = f;
	return 0;
}

static int setup(void **state) { return setup_with(state, "both"); }
static int setup_prefer_sms(void **state) { return setup_with(state, "prefer_sms"); }

static int teardown(void **state)
{
	struct fixture *f = *state;
	testdb_close(&f->tdb);
	cfg_free(&f->cfg);
	free(f);
	return 0;
}

static long long sub(struct fixture *f, const char *phone, const char *email, const char *lang,
		     int age, const char *interest)
{
	const char *interests[] = { interest, NULL };
	struct subscriber_in in = {
		.phone = phone, .email = email, .lang = lang, .birth_year = age ? f->year - age : 0,
		.status = "active", .consent = { true, true }, .source = "test",
		.interests = interest ? interests : NULL, .now = time(NULL),
	};
	long long id;
	assert_int_equal(db_subscriber_add(f->db, &in, &id), 0);
	return id;
}

static long long opportunity(struct fixture *f, int min_age, int max_age, const char *interest,
			     bool with_arabic)
{
	struct opportunity_text texts[] = {
		{ .lang = "da", .title = (char[]){ "Trænere" }, .summary = (char[]){ "Hjælp os" } },
		{ .lang = "ar", .title = (char[]){ "مدربون" }, .summary = (char[]){ "ساعدنا" } },
	};
	const char *interests[] = { interest, NULL };
	struct opportunity_in in = {
		.status = "published", .min_age = min_age, .max_age = max_age,
		.url = "https://x.example/o", .texts = texts, .n_texts = with_arabic ? 2 : 1,
		.interests = interests,
	};
	long long id;
	assert_int_equal(db_opportunity_add(f->db, &in, "2026-01-01T00:00:00Z", &id), 0);
	return id;
}

static void expand_all(struct fixture *f, long long now)
{
	int guard = 0;
	while (campaign_expand_step(f->db, &f->cfg, now) == 1)
		assert_true(++guard < 1000);
}

static void test_auto_campaign_exactly_once(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL);
	opportunity(f, -1, -1, "sport", false);
	assert_int_equal(campaign_create_auto(f->db, &f->cfg, now), 1);
	assert_int_equal(campaign_create_auto(f->db, &f->cfg, now), 0);
	/* The portal touches it, closes and republishes: still once. */
	assert_int_equal(db_opportunity_set_status(f->db, 1, "closed", "2026-02-01T00:00:00Z"), 0);
	assert_int_equal(db_opportunity_set_status(f->db, 1, "published", "2026-02-02T00:00:00Z"), 0);
	assert_int_equal(campaign_create_auto(f->db, &f->cfg, now + 10), 0);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM campaigns"), 1);
}

static void test_expansion_matches_and_languages(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL);
	sub(f, "+4520000001", NULL, "da", 18, "sport");   /* match, da */
	sub(f, "+4520000002", NULL, "ar", 20, NULL);      /* everything, ar */
	sub(f, "+4520000003", NULL, "tr", 16, "sport");   /* no tr text: fallback en -> da */
	sub(f, "+4520000004", NULL, "da", 14, "sport");   /* too young for 15-25 */
	sub(f, "+4520000005", NULL, "da", 0, "sport");    /* unknown age, bounded */
	sub(f, "+4520000006", NULL, "da", 25, "culture"); /* wrong interest */
	opportunity(f, 15, 25, "sport", true);
	assert_int_equal(campaign_create_auto(f->db, &f->cfg, now), 1);
	expand_all(f, now);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 3);
	assert_int_equal(scalar(f->db, "SELECT lang = 'da' FROM messages WHERE recipient = '+4520000001'"), 1);
	assert_int_equal(scalar(f->db, "SELECT lang = 'ar' AND body LIKE 'مدربون%' FROM messages WHERE recipient = '+4520000002'"), 1);
	assert_int_equal(scalar(f->db, "SELECT lang = 'da' AND body LIKE '%Afmeld: STOP' FROM messages WHERE recipient = '+4520000003'"), 1);
	assert_int_equal(scalar(f->db, "SELECT coding = 'ucs2' FROM messages WHERE lang = 'ar'"), 1);
	assert_int_equal(scalar(f->db, "SELECT coding = 'gsm7' AND segments = 1 FROM messages WHERE lang = 'da' LIMIT 1"), 1);
	assert_int_equal(scalar(f->db, "SELECT status = 'sending' FROM campaigns"), 1);
}

static void test_batches_resume_without_duplicates(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL);
	char phone[16];
	for (int i = 0; i < 35; i++) {
		snprintf(phone, sizeof(phone), "+45300000%02d", i);
		sub(f, phone, NULL, "da", 20, NULL);
	}
	opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now);
	/* Batch size 10: the first step stores 10 and keeps the campaign expanding. */
	assert_int_equal(campaign_expand_step(f->db, &f->cfg, now), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 10);
	assert_int_equal(scalar(f->db, "SELECT status = 'expanding' FROM campaigns"), 1);
	/* A crash before the cursor moved: replaying the batch inserts nothing twice. */
	assert_int_equal(db_exec(f->db, "UPDATE campaigns SET expand_cursor = 0"), 0);
	expand_all(f, now);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 35);
	assert_int_equal(scalar(f->db, "SELECT count(DISTINCT subscriber_id) FROM messages"), 35);
}

static void test_frequency_cap_suppresses_with_reason(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL);
	sub(f, "+4520000001", NULL, "da", 20, NULL);
	for (int i = 0; i < 3; i++)
		opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now);
	expand_all(f, now);
	/* Cap 2 per 7 days: the third campaign is recorded as suppressed. */
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'queued'"), 2);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'suppressed' AND reason = 'cap'"), 1);
	/* Eight days later the window has moved on. */
	opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now + 8 * 86400);
	expand_all(f, now + 8 * 86400);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'queued'"), 3);
}

/* Held messages past their validity become expired: campaign ones when
 * their campaign's valid_until passes, transactional ones by their own
 * expires_at; nothing is expired early. */
static void test_stale_messages_expire(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL), until, id;
	struct message_in reply = { .kind = "reply", .channel = CHANNEL_SMS,
		.recipient = "+4520009999", .lang = "da", .body = "hej", .state = "queued",
		.not_before = now, .expires_at = now + 60, .now = now };

	sub(f, "+4520000001", NULL, "da", 20, NULL);
	sub(f, "+4520000002", NULL, "da", 30, NULL);
	opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now);
	expand_all(f, now);
	assert_int_equal(db_message_insert(f->db, &reply, &id), 0);
	reply.recipient = "+4520009998";
	reply.expires_at = now + 100LL * 86400;
	assert_int_equal(db_message_insert(f->db, &reply, &id), 0);
	until = scalar(f->db, "SELECT valid_until FROM campaigns");
	assert_true(until > now + 120);

	assert_int_equal(db_message_expire(f->db, now + 120, false), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'expired'"
				       " AND recipient = '+4520009999'"), 1);
	assert_int_equal(db_message_expire(f->db, until, false), 0);
	assert_int_equal(db_message_expire(f->db, until + 1, false), 2);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'expired'"
				       " AND campaign_id = 1 AND reason = 'valid_until passed'"), 2);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM message_events WHERE state = 'expired'"), 3);
	assert_int_equal(scalar(f->db, "SELECT state = 'queued' FROM messages"
				       " WHERE recipient = '+4520009998'"), 1);
	assert_int_equal(db_message_expire(f->db, until + 1, false), 0);
}

/* SPEC: a campaign SMS whose validity ends while quiet hours hold it is
 * `suppressed`, not `expired`; email then is simply expired. */
static void test_quiet_hours_expiry_is_suppressed(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL), until;

	sub(f, "+4520000001", "a@example.dk", "da", 20, NULL);
	opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now);
	expand_all(f, now);
	until = scalar(f->db, "SELECT valid_until FROM campaigns");
	assert_int_equal(db_message_expire(f->db, until + 1, true), 2);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE channel = 'sms' AND"
				" state = 'suppressed' AND reason = 'quiet hours lasted past valid_until'"), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE channel = 'email' AND"
				" state = 'expired'"), 1);
}

static void test_both_channels_default_sends_both(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL);
	sub(f, "+4520000001", "a@example.dk", "da", 20, NULL);
	opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now);
	expand_all(f, now);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 2);
	assert_int_equal(scalar(f->db, "SELECT subject = 'Trænere' FROM messages WHERE channel = 'email'"), 1);
}

static void test_prefer_sms(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL);
	sub(f, "+4520000001", "a@example.dk", "da", 20, NULL);
	sub(f, NULL, "b@example.dk", "da", 20, NULL);
	opportunity(f, -1, -1, "sport", false);
	campaign_create_auto(f->db, &f->cfg, now);
	expand_all(f, now);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE channel = 'sms'"), 1);
	assert_int_equal(scalar(f->db, "SELECT recipient = 'b@example.dk' FROM messages WHERE channel = 'email'"), 1);
}

static void test_create_cancel_approve(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL), id = 0, id2 = 0;
	struct sbuf err = SBUF_INIT;
	struct campaign_request rq = { .kind = "association", .min_age = 15, .max_age = 25,
		.channels = { true, false }, .created_by = "test" };
	long long assoc, other;

	assert_int_equal(db_association_add(f->db, "A", NULL, &assoc), 0);
	assert_int_equal(db_association_add(f->db, "B", NULL, &other), 0);
	sub(f, "+4520000001", NULL, "da", 20, NULL);
	rq.opportunity_id = opportunity(f, -1, -1, "sport", false);
	assert_int_equal(db_exec(f->db, "UPDATE opportunities SET association_id = 1"), 0);
	rq.association_id = other;
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, now, &id, &err), CAMPAIGN_FORBIDDEN);
	rq.association_id = assoc;
	rq.langs[0] = "xx";
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, now, &id, &err), CAMPAIGN_INVALID);
	assert_non_null(strstr(err.buf, "'xx'"));
	rq.langs[0] = NULL;
	rq.texts[0].lang = "da";
	rq.texts[0].body = "Kom og vær med: {url}";
	rq.n_texts = 1;
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, now, &id, &err), CAMPAIGN_CREATED);
	/* The same request again is the same campaign. */
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, now + 60, &id2, &err), CAMPAIGN_DUPLICATE);
	assert_int_equal(id, id2);
	expand_all(f, now);
	assert_int_equal(scalar(f->db, "SELECT body = 'Kom og vær med: https://x.example/o Afmeld: STOP' FROM messages"), 1);
	assert_int_equal(campaign_cancel(f->db, id, now), 0);
	assert_int_equal(scalar(f->db, "SELECT state = 'cancelled' FROM messages"), 1);
	assert_int_equal(campaign_cancel(f->db, id, now), 1);
	assert_int_equal(campaign_approve(f->db, id, "staff", now), 1);
	/* An expansion that read it before the cancel cannot overwrite it. */
	assert_int_equal(db_campaign_set_status(f->db, id, "expired", now), 1);
	{
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT status = 'cancelled' FROM campaigns WHERE id = %lld", id);
		assert_int_equal(scalar(f->db, sql), 1);
	}
	sbuf_release(&err);
}

/* A repeated request without a key is the same campaign for an hour after
 * the first, also across the top of an hour; an explicit key is forever. */
static void test_same_request_window(void **state)
{
	struct fixture *f = *state;
	long long t = time(NULL), first = 0, id = 0;
	struct sbuf err = SBUF_INIT;
	struct campaign_request rq = { .kind = "staff", .min_age = -1, .max_age = -1,
		.channels = { true, false }, .created_by = "test" };

	t = t - t % 3600 + 3570; /* 30 s before the top of an hour */
	sub(f, "+4520000001", NULL, "da", 20, NULL);
	rq.opportunity_id = opportunity(f, -1, -1, "sport", false);
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t, &first, &err), CAMPAIGN_CREATED);
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t + 60, &id, &err), CAMPAIGN_DUPLICATE);
	assert_int_equal(id, first);
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t + 3600, &id, &err), CAMPAIGN_DUPLICATE);
	assert_int_equal(id, first);
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t + 3601, &id, &err), CAMPAIGN_CREATED);
	assert_true(id != first);
	/* Each stored fingerprint is unique, so a third one can follow. */
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t + 7202, &id, &err), CAMPAIGN_CREATED);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM campaigns"), 3);
	rq.idempotency_key = "portal-42";
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t, &first, &err), CAMPAIGN_CREATED);
	assert_int_equal(campaign_create(f->db, &f->cfg, &rq, t + 30 * 86400, &id, &err),
			 CAMPAIGN_DUPLICATE);
	assert_int_equal(id, first);
	sbuf_release(&err);
}

/* The SQL fast path and the C reference (dry run) agree on random data. */
static void test_expansion_agrees_with_dry_run(void **state)
{
	struct fixture *f = *state;
	const char *langs[] = { "da", "en", "ar", "tr", "so" };
	const char *interests[] = { "sport", "culture", NULL };
	long long now = time(NULL), id, capped_seen = 0;
	unsigned seed = 42;
	char phone[16], email[32];
	struct sbuf err = SBUF_INIT;

	for (int i = 0; i < 400; i++) {
		int r = rand_r(&seed);
		snprintf(phone, sizeof(phone), "+4550%06d", i);
		snprintf(email, sizeof(email), "p%d@example.dk", i);
		sub(f, r % 5 ? phone : NULL, r % 5 && r % 3 ? NULL : email, langs[r % 5],
		    (r >> 3) % 7 ? 12 + (r >> 5) % 20 : 0, interests[(r >> 8) % 3]);
	}
	for (int k = 0; k < 4; k++) {
		struct campaign_request rq = { .kind = "staff", .channels = { true, k != 1 },
			.min_age = k == 2 ? 16 : -1, .max_age = k == 2 ? 22 : -1, .created_by = "t" };
		struct campaign_dry_run d;
		long long want = 0, want_capped = 0;
		char sql[160];

		rq.opportunity_id = opportunity(f, k == 3 ? 15 : -1, -1, k == 0 ? "culture" : "sport", k & 1);
		if (k == 3) {
			rq.langs[0] = "da";
			rq.langs[1] = "ar";
		}
		assert_int_equal(campaign_dry_run(f->db, &f->cfg, &rq, now, true, &d, &err), CAMPAIGN_CREATED);
		for (size_t i = 0; i < d.n_langs; i++) {
			want += d.langs[i].matched[0] + d.langs[i].matched[1] +
				d.langs[i].capped[0] + d.langs[i].capped[1];
			want_capped += d.langs[i].capped[0] + d.langs[i].capped[1];
		}
		render_set_release(&d.rendered);
		assert_int_equal(campaign_create(f->db, &f->cfg, &rq, now, &id, &err), CAMPAIGN_CREATED);
		expand_all(f, now);
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages WHERE campaign_id = %lld", id);
		assert_int_equal(scalar(f->db, sql), want);
		assert_true(want > 0);
		/* The cap (2 here) as well: the same subscribers are suppressed. */
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM messages WHERE campaign_id = %lld"
			 " AND state = 'suppressed' AND reason = 'cap'", id);
		assert_int_equal(scalar(f->db, sql), want_capped);
		capped_seen += want_capped;
	}
	/* The later campaigns reach the cap, so the comparison above meant something. */
	assert_true(capped_seen > 0);
	sbuf_release(&err);
}

/* Statements a dry run takes over the subscribers there are now. */
static unsigned long long dry_run_statements(struct fixture *f, long long opp, long long now)
{
	struct campaign_request rq = { .kind = "staff", .channels = { true, true }, .min_age = -1,
				       .max_age = -1, .created_by = "t", .opportunity_id = opp };
	struct campaign_dry_run d;
	struct sbuf err = SBUF_INIT;
	unsigned long long before = db_statements_run(f->db);

	assert_int_equal(campaign_dry_run(f->db, &f->cfg, &rq, now, true, &d, &err), CAMPAIGN_CREATED);
	render_set_release(&d.rendered);
	sbuf_release(&err);
	return db_statements_run(f->db) - before;
}

/* Issue 17, item 5: the dry run reads the frequency cap and the
 * suppression list once per page of expand_batch (10) subscribers, not
 * once per subscriber: 180 more subscribers are 18 more pages, each its
 * candidates, its caps and its suppressions. */
static void test_dry_run_caps_per_page(void **state)
{
	struct fixture *f = *state;
	long long now = time(NULL), opp = opportunity(f, -1, -1, "sport", false);
	unsigned long long twenty = 0, two_hundred;
	char phone[16], email[32];

	/* A list with something on it: the page's suppression look-up runs
	 * (an empty list skips it). */
	assert_int_equal(db_suppress(f->db, "someone@example.dk", "email", "stop", "test", now), 0);
	for (int i = 0; i < 200; i++) {
		snprintf(phone, sizeof(phone), "+4551%06d", i);
		snprintf(email, sizeof(email), "q%d@example.dk", i);
		sub(f, phone, email, "da", 20, NULL);
		if (i == 19)
			twenty = dry_run_statements(f, opp, now);
	}
	two_hundred = dry_run_statements(f, opp, now);
	print_message("dry run statements: 20 subscribers %llu, 200 subscribers %llu\n", twenty,
		      two_hundred);
	assert_int_equal(two_hundred - twenty, 18 * 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_auto_campaign_exactly_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expansion_matches_and_languages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_resume_without_duplicates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frequency_cap_suppresses_with_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_messages_expire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quiet_hours_expiry_is_suppressed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_both_channels_default_sends_both, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefer_sms, setup_prefer_sms, teardown),
		cmocka_unit_test_setup_teardown(test_create_cancel_approve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_same_request_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expansion_agrees_with_dry_run, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dry_run_caps_per_page, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
