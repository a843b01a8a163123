/* SPDX-License-Identifier: MIT */
/*
 * What a bounce or complaint does to the database (bounce_apply.h): every
 * outcome — bounced, counted, suppressed after soft_limit, complaint,
 * unmatched, settled, duplicate, none — with the rows it must leave and
 * the ones it must not touch; a suppression is never weakened; a 5xx in
 * the SMTP session takes the same path; the rate thresholds warn once and
 * pause when asked.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/bounce_apply.h"
#include "budbringer/db_bounce.h"
#include "budbringer/mail_provider.h"
#include "testutil.h"

static struct testdb tdb;
static const struct bounce_rules rules = { .soft_limit = 3, .soft_days = 15, .alert_min = 100 };

static int setup(void **state)
{
	struct db *db = testdb_open(&tdb);

	assert_int_equal(db_exec(db,
		"INSERT INTO opportunities(id, status, updated_at) VALUES (1, 'published', '2026-01-01');"
		"INSERT INTO campaigns(id, kind, opportunity_id, status, channels, send_at, valid_until,"
		" created_by, created_at, updated_at) VALUES (1, 'staff', 1, 'sending', 'email', 0, 9999999999,"
		" 'test', 0, 0);"), 0);
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	testdb_close(&tdb);
	return 0;
}

static long long subscriber(struct db *db, const char *email)
{
	struct subscriber_in in = { .email = email, .lang = "da", .status = "active",
				    .consent = { [CHANNEL_EMAIL] = true }, .source = "cli:test",
				    .now = 10 };
	long long id;

	assert_int_equal(db_subscriber_add(db, &in, &id), 0);
	return id;
}

/* A campaign email to sub (0 = none) at address, moved to state. */
static long long message(struct db *db, long long sub, const char *address, enum channel ch,
			 const char *state)
{
	struct message_in in = {
		.campaign_id = 1, .subscriber_id = sub, .kind = "campaign", .channel = ch,
		.recipient = address, .lang = "da", .body = "Hej", .state = "queued", .now = 100,
	};
	struct message_change c = { .provider = "smtp", .now = 101 };
	long long id;

	/* One per (campaign, subscriber, channel): others go without a subscriber. */
	if (!sub)
		in.campaign_id = 0, in.kind = "reply";
	assert_int_equal(db_message_insert(db, &in, &id), 0);
	if (!strcmp(state, "queued"))
		return id;
	c.to = "sending";
	assert_int_equal(db_message_transition(db, id, "queued", &c), 0);
	if (strcmp(state, "sending")) {
		c.to = state;
		c.provider_msgid = "0001abcdef@randers.example.dk";
		assert_int_equal(db_message_transition(db, id, "sending", &c), 0);
	}
	return id;
}

static struct bounce_report report(enum bounce_kind k, long long id, const char *status)
{
	struct bounce_report r;

	memset(&r, 0, sizeof(r));
	r.kind = k;
	r.message_id = id;
	(void)bsnprintf(r.status, sizeof(r.status), "%s", status);
	(void)bsnprintf(r.diagnostic, sizeof(r.diagnostic), "smtp; 550 %s user unknown", status);
	if (k == BOUNCE_COMPLAINT)
		(void)bsnprintf(r.feedback_type, sizeof(r.feedback_type), "abuse");
	return r;
}

__attribute__((format(printf, 2, 3)))
static long long q(struct db *db, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(sql));
	return scalar(db, sql);
}

__attribute__((format(printf, 2, 3)))
static char *qt(struct db *db, const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	assert_true(n > 0 && (size_t)n < sizeof(sql));
	return scalar_text(db, sql);
}

static void expect_text(char *got, const char *want)
{
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static int apply(struct db *db, const struct bounce_report *r, const struct bounce_rules *ru,
		 struct bounce_result *res, long long now)
{
	return bounce_apply(db, ru ? ru : &rules, r, "mail", NULL, now, res);
}

static void suppression_is(struct db *db, const char *address, const char *want)
{
	char reason[32];
	int rc = db_suppression_reason(db, address, "email", reason, sizeof(reason));

	if (!want) {
		assert_int_equal(rc, 0);
		return;
	}
	assert_int_equal(rc, 1);
	assert_string_equal(reason, want);
}

static void test_hard_bounce(void **state)
{
	struct db *db = *state;
	long long s = subscriber(db, "a@example.org");
	long long m = message(db, s, "a@example.org", CHANNEL_EMAIL, "sent");
	struct bounce_report r = report(BOUNCE_PERMANENT, m, "5.1.1");
	struct bounce_result res;
	const char *why;

	assert_int_equal(apply(db, &r, NULL, &res, 200), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_BOUNCED);
	assert_int_equal(res.message_id, m);
	assert_int_equal(res.campaign_id, 1);
	expect_text(qt(db, "SELECT state || '|' || reason FROM messages WHERE id = %lld", m),
		    "bounced|smtp; 550 5.1.1 user unknown");
	assert_int_equal(q(db, "SELECT count(*) FROM message_events WHERE message_id = %lld"
			   " AND state = 'bounced' AND detail LIKE 'bounce (mail): smtp; 550 5.1.1%%'", m), 1);
	suppression_is(db, "a@example.org", "bounce");
	expect_text(qt(db, "SELECT outcome || '|' || kind || '|' || via || '|' || status FROM bounces"
		       " WHERE message_id = %lld", m), "bounced|permanent|mail|5.1.1");
	/* Consent is not touched by a bounce; the outbox holds the next email. */
	assert_int_equal(q(db, "SELECT email_consent FROM subscribers WHERE id = %lld", s), 1);
	assert_int_equal(db_bounce_hold_reason(db, 1, "a@example.org", &why), 1);
	assert_string_equal(why, "address suppressed (bounce)");
	assert_int_equal(db_bounce_hold_reason(db, 1, "other@example.org", &why), 0);
	/* The outbox asks for a whole batch at once: the same answers. */
	{
		struct bounce_hold h[3] = { { .campaign_id = 1, .recipient = "other@example.org" },
					    { .campaign_id = 1, .recipient = "a@example.org" },
					    { .campaign_id = 1, .recipient = NULL } };

		assert_int_equal(db_bounce_hold_batch(db, h, 3), 0);
		assert_null(h[0].reason);
		assert_string_equal(h[1].reason, "address suppressed (bounce)");
		assert_null(h[2].reason);
	}
}

static void test_duplicate_counts_once(void **state)
{
	struct db *db = *state;
	long long m = message(db, subscriber(db, "b@example.org"), "b@example.org", CHANNEL_EMAIL,
			      "delivered");
	struct bounce_report r = report(BOUNCE_PERMANENT, m, "5.1.1");
	struct bounce_result res;

	assert_int_equal(apply(db, &r, NULL, &res, 200), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_BOUNCED);
	/* The same bounce again, found by its Message-ID this time. */
	r.message_id = 0;
	(void)bsnprintf(r.message_id_header, sizeof(r.message_id_header),
			"<0001abcdef@randers.example.dk>");
	assert_int_equal(apply(db, &r, NULL, &res, 201), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_DUPLICATE);
	assert_int_equal(res.message_id, m);
	assert_int_equal(q(db, "SELECT count(*) FROM message_events WHERE message_id = %lld"
			   " AND state = 'bounced'", m), 1);
	assert_int_equal(q(db, "SELECT count(*) FROM bounces WHERE message_id = %lld", m), 2);
	assert_int_equal(q(db, "SELECT count(*) FROM bounces WHERE message_id = %lld"
			   " AND outcome = 'duplicate' AND dedupe_key IS NULL", m), 1);
	/* Another status of the same message is no copy, but the message is settled. */
	r = report(BOUNCE_PERMANENT, m, "5.2.1");
	assert_int_equal(apply(db, &r, NULL, &res, 202), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_SETTLED);
	assert_int_equal(q(db, "SELECT count(*) FROM bounces WHERE message_id = %lld"
			   " AND outcome = 'settled'", m), 1);
}

static void test_unmatched_changes_nothing(void **state)
{
	struct db *db = *state;
	long long s = subscriber(db, "c@example.org");
	long long sms = message(db, 0, "+4512345678", CHANNEL_SMS, "sent");
	long long queued = message(db, s, "c@example.org", CHANNEL_EMAIL, "queued");
	struct bounce_report r = report(BOUNCE_PERMANENT, 987654, "5.1.1");
	struct bounce_result res;
	long long events = scalar(db, "SELECT count(*) FROM message_events");

	assert_int_equal(bounce_apply(db, &rules, &r, "mail", "raw:abc", 200, &res), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_UNMATCHED);
	assert_int_equal(res.message_id, 0);
	/* The same unknown mail again: a duplicate by the caller's key. */
	assert_int_equal(bounce_apply(db, &rules, &r, "mail", "raw:abc", 201, &res), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_DUPLICATE);
	r.message_id = sms;
	assert_int_equal(apply(db, &r, NULL, &res, 202), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_UNMATCHED);
	r.message_id = queued; /* never sent */
	assert_int_equal(apply(db, &r, NULL, &res, 203), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_UNMATCHED);
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), events);
	assert_int_equal(scalar(db, "SELECT count(*) FROM suppressions"), 0);
	assert_int_equal(scalar(db, "SELECT count(*) FROM bounces WHERE outcome = 'unmatched'"
			       " AND address_sha256 IS NULL"), 3);
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", queued), "queued");
}

static void test_soft_bounces_suppress_at_limit(void **state)
{
	struct db *db = *state;
	long long s = subscriber(db, "d@example.org");
	long long m[4];
	struct bounce_report r;
	struct bounce_result res;

	m[0] = message(db, s, "d@example.org", CHANNEL_EMAIL, "sent");
	/* Other campaigns' messages to the same address (one per campaign). */
	for (int i = 1; i < 4; i++)
		m[i] = message(db, 0, "d@example.org", CHANNEL_EMAIL, "sent");
	r = report(BOUNCE_TEMPORARY, m[0], "4.2.2");
	assert_int_equal(apply(db, &r, NULL, &res, 1000), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_COUNTED);
	assert_int_equal(res.soft_count, 1);
	/* The same soft bounce again counts once. */
	assert_int_equal(apply(db, &r, NULL, &res, 1001), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_DUPLICATE);
	r = report(BOUNCE_TEMPORARY, m[1], "4.2.2");
	assert_int_equal(apply(db, &r, NULL, &res, 1002), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_COUNTED);
	assert_int_equal(res.soft_count, 2);
	suppression_is(db, "d@example.org", NULL);
	r = report(BOUNCE_TEMPORARY, m[2], "4.4.1");
	assert_int_equal(apply(db, &r, NULL, &res, 1003), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_SUPPRESSED);
	assert_int_equal(res.soft_count, 3);
	suppression_is(db, "d@example.org", "bounce");
	/* Soft bounces leave the messages as they were. */
	for (int i = 0; i < 3; i++)
		expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", m[i]), "sent");
	assert_int_equal(scalar(db, "SELECT count(*) FROM bounces WHERE kind = 'temporary'"
			       " AND outcome IN ('counted', 'suppressed')"), 3);
}

/* Postfix's DSN once the queue lifetime ran out on 4xx answers: Action
 * failed, Status 4.2.0. The message is bounced; the address only counts. */
static void test_given_up_counts_soft(void **state)
{
	struct db *db = *state;
	long long s = subscriber(db, "g@example.org");
	long long m = message(db, s, "g@example.org", CHANNEL_EMAIL, "sent");
	struct bounce_report r = report(BOUNCE_TEMPORARY, m, "4.2.0");
	struct bounce_result res;

	/* The delay warning first, then the failure with the same status. */
	assert_int_equal(apply(db, &r, NULL, &res, 1000), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_COUNTED);
	r.kind = BOUNCE_PERMANENT;
	assert_int_equal(apply(db, &r, NULL, &res, 1001), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_COUNTED);
	assert_true(res.gave_up);
	assert_int_equal(res.soft_count, 2);
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", m), "bounced");
	suppression_is(db, "g@example.org", NULL);
	expect_text(qt(db, "SELECT kind || ',' || outcome FROM bounces WHERE message_id = %lld"
			   " ORDER BY id DESC LIMIT 1", m), "temporary,counted");
	/* A second copy of the failure counts once. */
	assert_int_equal(apply(db, &r, NULL, &res, 1002), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_DUPLICATE);
	assert_int_equal(q(db, "SELECT count(*) FROM message_events WHERE message_id = %lld"
			      " AND state = 'bounced'", m), 1);
}

static void test_soft_window(void **state)
{
	struct db *db = *state;
	long long m[3];
	struct bounce_report r;
	struct bounce_result res;

	for (int i = 0; i < 3; i++)
		m[i] = message(db, 0, "e@example.org", CHANNEL_EMAIL, "sent");
	/* Two long ago, one now: outside soft_days they do not count. */
	for (int i = 0; i < 3; i++) {
		r = report(BOUNCE_TEMPORARY, m[i], "4.2.2");
		assert_int_equal(apply(db, &r, NULL, &res, i < 2 ? 1000 : 1000 + 16 * 86400), 0);
	}
	assert_int_equal(res.outcome, BOUNCE_OUT_COUNTED);
	assert_int_equal(res.soft_count, 1);
	suppression_is(db, "e@example.org", NULL);
}

static void test_complaint(void **state)
{
	struct db *db = *state;
	long long s = subscriber(db, "f@example.org");
	long long m = message(db, s, "f@example.org", CHANNEL_EMAIL, "sent");
	long long other = message(db, 0, "f@example.org", CHANNEL_EMAIL, "sent");
	struct bounce_report r = report(BOUNCE_COMPLAINT, m, "");
	struct bounce_result res;

	assert_int_equal(apply(db, &r, NULL, &res, 300), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_COMPLAINT);
	assert_true(res.unsubscribed);
	assert_int_equal(q(db, "SELECT email_consent FROM subscribers WHERE id = %lld", s), 0);
	expect_text(qt(db, "SELECT status FROM subscribers WHERE id = %lld", s), "unsubscribed");
	assert_int_equal(q(db, "SELECT count(*) FROM consent_log WHERE subscriber_id = %lld"
			   " AND channel = 'email' AND action = 'revoke' AND source = 'complaint'", s), 1);
	suppression_is(db, "f@example.org", "complaint");
	/* The message arrived: its state stays. */
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", m), "sent");
	/* A copy of the complaint: once. */
	assert_int_equal(apply(db, &r, NULL, &res, 301), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_DUPLICATE);
	assert_int_equal(q(db, "SELECT count(*) FROM consent_log WHERE subscriber_id = %lld"
			   " AND action = 'revoke'", s), 1);
	/* A later hard bounce never weakens the complaint to a liftable bounce. */
	r = report(BOUNCE_PERMANENT, other, "5.1.1");
	assert_int_equal(apply(db, &r, NULL, &res, 302), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_BOUNCED);
	suppression_is(db, "f@example.org", "complaint");
	assert_int_equal(scalar(db, "SELECT count(*) FROM bounces WHERE campaign_id = 1"
			       " AND outcome = 'complaint'"), 1);
}

static void test_bounce_keeps_stop(void **state)
{
	struct db *db = *state;
	long long m = message(db, 0, "g@example.org", CHANNEL_EMAIL, "sent");
	struct bounce_report r = report(BOUNCE_PERMANENT, m, "5.1.1");
	struct bounce_result res;

	assert_int_equal(db_suppress(db, "g@example.org", "email", "stop", "email:one-click", 50), 0);
	assert_int_equal(apply(db, &r, NULL, &res, 200), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_BOUNCED);
	suppression_is(db, "g@example.org", "stop");
}

static void test_none_does_nothing(void **state)
{
	struct db *db = *state;
	long long m = message(db, subscriber(db, "h@example.org"), "h@example.org", CHANNEL_EMAIL,
			      "sent");
	struct bounce_report r = report(BOUNCE_NONE, m, "");
	struct bounce_result res;

	assert_int_equal(apply(db, &r, NULL, &res, 200), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_NONE);
	assert_int_equal(scalar(db, "SELECT count(*) FROM bounces"), 0);
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", m), "sent");
}

static void test_smtp_rejection(void **state)
{
	struct db *db = *state;
	long long m = message(db, subscriber(db, "i@example.org"), "i@example.org", CHANNEL_EMAIL,
			      "sending");
	long long failed = message(db, 0, "j@example.org", CHANNEL_EMAIL, "failed");
	struct bounce_report r;
	struct bounce_result res;

	bounce_report_from_smtp(m, "550 5.1.1 no such user", &r);
	assert_int_equal(r.kind, BOUNCE_PERMANENT);
	assert_string_equal(r.status, "5.1.1");
	assert_int_equal(bounce_apply(db, &rules, &r, "smtp", NULL, 200, &res), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_BOUNCED);
	expect_text(qt(db, "SELECT state || '|' || reason FROM messages WHERE id = %lld", m),
		    "bounced|550 5.1.1 no such user");
	suppression_is(db, "i@example.org", "bounce");
	expect_text(qt(db, "SELECT via FROM bounces WHERE message_id = %lld", m), "smtp");
	/* Without an enhanced code: 5.0.0. A failed message is settled. */
	bounce_report_from_smtp(failed, "554 go away", &r);
	assert_string_equal(r.status, "5.0.0");
	assert_int_equal(bounce_apply(db, &rules, &r, "smtp", NULL, 201, &res), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_SETTLED);
	suppression_is(db, "j@example.org", NULL);
}

/* Only a refusal about the address suppresses it; a policy block bounces
 * the message and keeps the person reachable. */
static void test_policy_refusal_keeps_address(void **state)
{
	struct db *db = *state;
	long long m = message(db, subscriber(db, "k@example.org"), "k@example.org", CHANNEL_EMAIL,
			      "sending");
	struct bounce_report r;
	struct bounce_result res;

	bounce_report_from_smtp(m, "554 5.7.1 rejected by policy: our domain is listed", &r);
	assert_int_equal(bounce_apply(db, &rules, &r, "smtp", NULL, 300, &res), 0);
	assert_int_equal(res.outcome, BOUNCE_OUT_BOUNCED);
	assert_false(res.suppressed);
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", m), "bounced");
	suppression_is(db, "k@example.org", NULL);
}

static void test_which_statuses_name_the_address(void **state)
{
	static const char *const address[] = { "5.1.1", "5.1.10", "5.0.0", "5.2.1", "5.4.1", "", NULL };
	static const char *const message_only[] = { "5.2.2", "5.2.3", "5.3.4", "5.4.4", "5.5.0",
						    "5.6.1", "5.7.1", "5.7.26", "5.2.10", NULL };

	(void)state;
	for (int i = 0; address[i]; i++)
		assert_true(bounce_names_address(address[i]));
	for (int i = 0; message_only[i]; i++)
		assert_false(bounce_names_address(message_only[i]));
}

static void test_rates_warn_once_and_pause(void **state)
{
	struct db *db = *state;
	struct bounce_rules ru = { .soft_limit = 3, .soft_days = 15, .alert_min = 20,
				   .pause_at_threshold = true };
	long long m[21], queued;
	char addr[64];
	struct bounce_report r;
	struct bounce_result res;
	const char *why;
	int requeued = 0;

	for (int i = 0; i < 21; i++) {
		assert_int_equal(bsnprintf(addr, sizeof(addr), "r%d@example.org", i), 0);
		m[i] = message(db, subscriber(db, addr), addr, CHANNEL_EMAIL, i < 20 ? "sent" : "queued");
	}
	queued = m[20];
	/* Under alert_min messages out: no warning, however high the rate. */
	ru.alert_min = 21;
	r = report(BOUNCE_PERMANENT, m[0], "5.1.1");
	assert_int_equal(apply(db, &r, &ru, &res, 200), 0);
	assert_false(res.alert_hard);
	ru.alert_min = 20;
	r = report(BOUNCE_PERMANENT, m[1], "5.1.1");
	assert_int_equal(apply(db, &r, &ru, &res, 201), 0);
	assert_true(res.alert_hard);
	assert_string_equal(res.hard_rate, "10.00%");
	assert_true(res.paused);
	assert_int_equal(res.paused_messages, 1);
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", queued), "suppressed");
	assert_int_equal(db_bounce_hold_reason(db, 1, "new@example.org", &why), 1);
	/* Once: the next bounce does not warn again. */
	r = report(BOUNCE_PERMANENT, m[2], "5.1.1");
	assert_int_equal(apply(db, &r, &ru, &res, 202), 0);
	assert_false(res.alert_hard);
	r = report(BOUNCE_COMPLAINT, m[3], "");
	assert_int_equal(apply(db, &r, &ru, &res, 203), 0);
	assert_true(res.alert_complaint);
	assert_string_equal(res.complaint_rate, "5.00%");
	assert_int_equal(scalar(db, "SELECT count(*) FROM bounce_alerts WHERE campaign_id = 1"), 2);
	/* Staff resume it: the alerts stop holding it, the held email is
	 * queued again, once, audited; the alerts stay recorded. */
	assert_int_equal(db_bounce_resume_campaign(db, 1, "anna", 300, &requeued), 0);
	assert_int_equal(requeued, 1);
	expect_text(qt(db, "SELECT state FROM messages WHERE id = %lld", queued), "queued");
	assert_int_equal(db_bounce_hold_reason(db, 1, "new@example.org", &why), 0);
	expect_text(qt(db, "SELECT actor || ' ' || subject || ' ' || detail FROM audit_log"
			   " WHERE action = 'campaign.resume_email'"), "anna campaign:1 requeued=1");
	assert_int_equal(db_bounce_resume_campaign(db, 1, "anna", 301, &requeued), 1);
	assert_int_equal(scalar(db, "SELECT count(*) FROM bounce_alerts WHERE campaign_id = 1"), 2);
	/* A later bounce past the same threshold does not pause it again. */
	r = report(BOUNCE_PERMANENT, m[4], "5.1.1");
	assert_int_equal(apply(db, &r, &ru, &res, 302), 0);
	assert_false(res.paused);
	assert_int_equal(db_bounce_hold_reason(db, 1, "new@example.org", &why), 0);
}

struct rows {
	char keys[8][32];
	struct bounce_rates r[8];
	int n;
};

static int take_row(const struct bounce_group_row *row, void *arg)
{
	struct rows *rs = arg;

	assert_true(rs->n < 8);
	assert_int_equal(bsnprintf(rs->keys[rs->n], sizeof(rs->keys[0]), "%s", row->key), 0);
	rs->r[rs->n++] = row->r;
	return 0;
}

/* Rates per email provider (gmail's two domains are one) and per day. */
static void test_reputation_by_provider_and_day(void **state)
{
	static const char *const to[] = { "a@gmail.com", "b@googlemail.com", "c@GMAIL.com",
		"d@hotmail.dk", "e@mail.dk", "f@mail.dk", "g@live.com", "h@stofanet.dk" };
	struct db *db = *state;
	struct bounce_report r;
	struct bounce_result res;
	struct rows rs = { .n = 0 };
	long long m[8];

	for (int i = 0; i < 8; i++)
		m[i] = message(db, subscriber(db, to[i]), to[i], CHANNEL_EMAIL, "sent");
	r = report(BOUNCE_PERMANENT, m[0], "5.1.1");
	assert_int_equal(apply(db, &r, NULL, &res, 1000), 0);
	r = report(BOUNCE_COMPLAINT, m[3], "");
	assert_int_equal(apply(db, &r, NULL, &res, 1001), 0);
	r = report(BOUNCE_TEMPORARY, m[4], "4.2.2");
	assert_int_equal(apply(db, &r, NULL, &res, 1002), 0);
	assert_int_equal(db_bounce_by_provider(db, 0, 0, 3, take_row, &rs), 0);
	/* The most email first; past the top 3 summed as other. */
	assert_int_equal(rs.n, 4);
	assert_string_equal(rs.keys[0], "gmail");
	assert_int_equal(rs.r[0].out, 3);
	assert_int_equal(rs.r[0].bounced, 1);
	assert_string_equal(rs.keys[1], "mail.dk");
	assert_int_equal(rs.r[1].out, 2);
	assert_int_equal(rs.r[1].soft, 1);
	assert_string_equal(rs.keys[2], "outlook");
	assert_int_equal(rs.r[2].out, 2);
	assert_int_equal(rs.r[2].complaints, 1);
	assert_string_equal(rs.keys[3], "other");
	assert_int_equal(rs.r[3].out, 1);
	/* One campaign only, and a window that starts after the messages. */
	rs.n = 0;
	assert_int_equal(db_bounce_by_provider(db, 99, 0, 0, take_row, &rs), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(db_bounce_by_day(db, 0, 1000, take_row, &rs), 0);
	assert_int_equal(rs.n, 0);
	assert_int_equal(db_bounce_by_day(db, 0, 0, take_row, &rs), 0);
	assert_int_equal(rs.n, 1);
	/* created_at 100: the first of January 1970, or its eve west of Greenwich */
	assert_true(!strcmp(rs.keys[0], "1970-01-01") || !strcmp(rs.keys[0], "1969-12-31"));
	assert_int_equal(rs.r[0].out, 8);
	assert_int_equal(rs.r[0].bounced, 1);
	assert_int_equal(rs.r[0].complaints, 1);
	assert_int_equal(rs.r[0].soft, 1);
}

static void test_mail_provider(void **state)
{
	(void)state;
	assert_string_equal(mail_provider_of("gmail.com"), "gmail");
	assert_string_equal(mail_provider_of("googlemail.com"), "gmail");
	assert_string_equal(mail_provider_of("hotmail.co.uk"), "outlook");
	assert_string_equal(mail_provider_of("outlook.dk"), "outlook");
	assert_string_equal(mail_provider_of("live.dk"), "outlook");
	assert_string_equal(mail_provider_of("msn.com"), "outlook");
	assert_string_equal(mail_provider_of("yahoo.dk"), "yahoo");
	assert_string_equal(mail_provider_of("ymail.com"), "yahoo");
	assert_string_equal(mail_provider_of("me.com"), "icloud");
	assert_string_equal(mail_provider_of("mail.dk"), "mail.dk");
	assert_string_equal(mail_provider_of("randers.dk"), "randers.dk");
	assert_string_equal(mail_provider_of("hotmail"), "hotmail");
	assert_string_equal(mail_provider_of("hotmail."), "hotmail.");
	assert_string_equal(mail_provider_of(""), "(none)");
	assert_string_equal(mail_provider_of(NULL), "(none)");
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(bounce_outcome_name(BOUNCE_OUT_UNMATCHED), "unmatched");
	assert_string_equal(bounce_outcome_name(BOUNCE_OUT_NONE), "none");
	assert_string_equal(bounce_outcome_name((enum bounce_outcome)99), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hard_bounce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_counts_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmatched_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_bounces_suppress_at_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_given_up_counts_soft, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_complaint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounce_keeps_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_none_does_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_smtp_rejection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_policy_refusal_keeps_address, setup, teardown),
		cmocka_unit_test(test_which_statuses_name_the_address),
		cmocka_unit_test_setup_teardown(test_rates_warn_once_and_pause, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reputation_by_provider_and_day, setup, teardown),
		cmocka_unit_test(test_mail_provider),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
