/* SPDX-License-Identifier: MIT */
/*
 * The staff figures against a real (in-memory) database: delivery log
 * filters, stats arithmetic compared with plain SQL counts, report age
 * bands at their boundaries, GDPR export and erasure, bulk import rows,
 * retention purges and the hourly housekeeping guard.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/db_report.h"
#include "budbringer/db_stats.h"
#include "budbringer/housekeeping.h"
#include "budbringer/subscription.h"
#include "testutil.h"

static long long t_2026;     /* 2026-01-01 00:00 Copenhagen */
static long long t_2027;
#define DAY 86400LL

__attribute__((format(printf, 2, 3)))
static void sql(struct db *db, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (db_exec(db, buf) < 0)
		fail_msg("%s: %s", buf, db_errmsg(db));
}

static long long add_person(struct db *db, const char *phone, const char *email, const char *lang,
			    int born, long long at)
{
	struct subscriber_in in = { .phone = phone, .email = email, .lang = lang,
		.birth_year = born, .status = "active", .consent = { true, true },
		.source = "test", .evidence = "unit test", .now = at };
	long long id;
	assert_int_equal(db_subscriber_add(db, &in, &id), 0);
	return id;
}

/* A message that went through `path` of states ("sending,sent,delivered"). */
static long long add_message(struct db *db, long long campaign, long long sub, enum channel ch,
			     const char *to, const char *lang, const char *path, const char *reason,
			     int segments, long long at)
{
	struct message_in in = { .campaign_id = campaign, .subscriber_id = sub, .kind = "campaign",
		.channel = ch, .recipient = to, .lang = lang, .body = "Hej {title}",
		.state = strcmp(path, "suppressed") ? "queued" : "suppressed",
		.reason = strcmp(path, "suppressed") ? NULL : reason,
		.coding = ch == CHANNEL_SMS ? "gsm7" : NULL, .segments = segments,
		.not_before = at, .now = at };
	long long id;
	char buf[128], *p, *save = NULL;

	assert_int_equal(db_message_insert(db, &in, &id), 0);
	if (!strcmp(path, "suppressed") || !strcmp(path, "queued"))
		return id;
	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		struct message_change c = { .to = p, .provider = "spool", .now = ++at,
			.provider_msgid = strcmp(p, "sending") ? "gw-1" : NULL,
			.reason = !strcmp(p, "failed") || !strcmp(p, "cancelled") ? reason : NULL };
		assert_int_equal(db_message_transition(db, id, NULL, &c), 0);
	}
	return id;
}

struct fixture {
	struct db *db;
	long long s_u15, s_15, s_25, s_26, s_unknown, c1, c2;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct tm tm = { .tm_year = 126, .tm_mon = 0, .tm_mday = 1, .tm_isdst = -1 };
	struct tm tn = { .tm_year = 127, .tm_mon = 0, .tm_mday = 1, .tm_isdst = -1 };
	long long mid;

	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	t_2026 = (long long)mktime(&tm);
	t_2027 = (long long)mktime(&tn);
	mid = t_2026 + 150 * DAY;
	f->db = db_open(":memory:");
	assert_non_null(f->db);
	sql(f->db, "INSERT INTO associations(id, name, created_at) VALUES (1, 'Roklubben', 'x'),"
	    " (2, 'Spejderne', 'x');"
	    "INSERT INTO opportunities(id, association_id, status, updated_at) VALUES"
	    " (1, 1, 'published', 'x'), (2, 2, 'published', 'x');"
	    "INSERT INTO campaigns(id, kind, opportunity_id, association_id, status, channels,"
	    " send_at, valid_until, created_by, created_at, updated_at) VALUES"
	    " (1, 'auto', 1, 1, 'done', 'sms,email', %lld, %lld, 'd', %lld, %lld),"
	    " (2, 'association', 2, 2, 'done', 'sms', %lld, %lld, 'd', %lld, %lld),"
	    " (3, 'staff', 2, 2, 'done', 'sms', %lld, %lld, 'd', %lld, %lld);",
	    mid, mid, mid, mid, mid, mid, mid, mid, t_2026 - DAY, t_2026, t_2026 - DAY, t_2026 - DAY);
	/* Ages in 2026: 14, 15, 25, 26, unknown. Three joined before 2026. */
	f->s_u15 = add_person(f->db, "+4520000001", NULL, "da", 2012, t_2026 - 10 * DAY);
	f->s_15 = add_person(f->db, "+4520000002", "bo@example.dk", "ar", 2011, t_2026 - 5 * DAY);
	f->s_25 = add_person(f->db, "+4520000003", NULL, "tr", 2001, t_2026 + 10 * DAY);
	f->s_26 = add_person(f->db, "+4520000004", NULL, "da", 2000, t_2026 - 2 * DAY);
	f->s_unknown = add_person(f->db, NULL, "x@example.dk", "en", 0, t_2026 + 20 * DAY);
	/* s_26 says STOP in the period. */
	assert_true(subscription_unsubscribe(f->db, f->s_26, CHANNEL_SMS, true, "sms:stop",
					     t_2026 + 30 * DAY) >= 0);
	add_message(f->db, 1, f->s_u15, CHANNEL_SMS, "+4520000001", "da", "sending,sent,delivered", NULL, 1, mid);
	add_message(f->db, 1, f->s_15, CHANNEL_SMS, "+4520000002", "ar", "sending,sent,delivered", NULL, 2, mid);
	add_message(f->db, 1, f->s_15, CHANNEL_EMAIL, "bo@example.dk", "ar", "sending,sent", NULL, 0, mid);
	add_message(f->db, 1, f->s_25, CHANNEL_SMS, "+4520000003", "tr", "sending,sent,failed", "absent subscriber", 3, mid);
	add_message(f->db, 1, f->s_26, CHANNEL_SMS, "+4520000004", "da", "suppressed", "frequency cap", 1, mid);
	add_message(f->db, 2, f->s_15, CHANNEL_SMS, "+4520000002", "ar", "sending,failed", "invalid number", 1, mid + DAY);
	add_message(f->db, 2, f->s_25, CHANNEL_SMS, "+4520000003", "tr", "queued", NULL, 1, mid + DAY);
	add_message(f->db, 2, f->s_u15, CHANNEL_SMS, "+4520000001", "da", "sending,sent,delivered", NULL, 1, mid + DAY);
	sql(f->db, "INSERT INTO inbound(sender, text, received_at, intent, subscriber_id) VALUES"
	    " ('+4520000002', 'JA', %lld, 'confirm', %lld), ('+4520000002', 'SPORT', %lld,"
	    " 'interests', %lld), ('+4599999999', 'hej', %lld, NULL, NULL)",
	    mid, f->s_15, mid + 1, f->s_15, mid + 2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	db_close(f->db);
	free(f);
	return 0;
}

/* ------------------------------------------------------------ log ---- */

static int count_events(const struct event_row *r, void *arg)
{
	long long *n = arg;
	(void)r;
	(*n)++;
	return 0;
}

static long long events(struct db *db, struct event_filter f)
{
	long long n = 0;
	assert_int_equal(db_events_each(db, &f, count_events, &n), 0);
	return n;
}

struct order { long long last, n; bool ascending; };

static int check_order(const struct event_row *r, void *arg)
{
	struct order *o = arg;
	if (r->event_id <= o->last)
		o->ascending = false;
	o->last = r->event_id;
	o->n++;
	return 0;
}

static void test_log_filters(void **state)
{
	struct fixture *f = *state;
	struct db *db = f->db;
	struct order o = { .ascending = true };
	struct event_filter newest = { .limit = 5 };

	assert_int_equal(events(db, (struct event_filter){ 0 }), scalar(db, "SELECT count(*) FROM message_events"));
	assert_int_equal(events(db, (struct event_filter){ .campaign_id = 2 }),
			 scalar(db, "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.campaign_id = 2"));
	assert_int_equal(events(db, (struct event_filter){ .subscriber_id = f->s_15 }),
			 scalar(db, "SELECT count(*) FROM message_events e JOIN messages m ON m.id = e.message_id WHERE m.subscriber_id = 2"));
	assert_int_equal(events(db, (struct event_filter){ .state = "failed" }), 2);
	assert_int_equal(events(db, (struct event_filter){ .state = "failed", .campaign_id = 1 }), 1);
	assert_int_equal(events(db, (struct event_filter){ .channel = "email" }), 3);
	assert_int_equal(events(db, (struct event_filter){ .provider = "spool", .state = "delivered" }), 3);
	assert_int_equal(events(db, (struct event_filter){ .provider = "kannel" }), 0);
	assert_int_equal(events(db, (struct event_filter){ .subscriber_id = f->s_15, .channel = "sms", .state = "sent" }), 1);
	/* --since: only campaign 2's day */
	assert_int_equal(events(db, (struct event_filter){ .since = t_2026 + 151 * DAY }),
			 scalar(db, "SELECT count(*) FROM message_events WHERE at >= (SELECT min(created_at) FROM messages WHERE campaign_id = 2)"));
	assert_int_equal(events(db, (struct event_filter){ .since = t_2027 }), 0);
	/* --limit: the newest N, printed oldest first */
	assert_int_equal(db_events_each(db, &newest, check_order, &o), 0);
	assert_int_equal(o.n, 5);
	assert_true(o.ascending);
	assert_int_equal(o.last, scalar(db, "SELECT max(id) FROM message_events"));
	/* --follow: only events after the last one seen */
	assert_int_equal(events(db, (struct event_filter){ .after_event = o.last - 2 }), 2);
	assert_int_equal(db_events_max_id(db), o.last);
}

/* ---------------------------------------------------------- stats ---- */

struct sums { long long n, segments, failed_absent, suppressed_cap, by_state[16]; };

static int add_stats(const struct stats_row *r, void *arg)
{
	struct sums *s = arg;
	s->n += r->n;
	s->segments += r->segments;
	if (!strcmp(r->state, "failed") && r->reason && !strcmp(r->reason, "absent subscriber"))
		s->failed_absent += r->n;
	if (!strcmp(r->state, "suppressed") && r->reason && !strcmp(r->reason, "frequency cap"))
		s->suppressed_cap += r->n;
	if (!strcmp(r->state, "delivered"))
		s->by_state[0] += r->n;
	if (!strcmp(r->state, "queued"))
		s->by_state[1] += r->n;
	return 0;
}

static void test_stats_arithmetic(void **state)
{
	struct fixture *f = *state;
	struct sums all = { 0 }, c2 = { 0 };

	assert_int_equal(db_stats_each(f->db, 0, add_stats, &all), 0);
	assert_int_equal(all.n, scalar(f->db, "SELECT count(*) FROM messages"));
	assert_int_equal(all.segments, scalar(f->db, "SELECT sum(segments) FROM messages"));
	assert_int_equal(all.by_state[0], scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'delivered'"));
	assert_int_equal(all.failed_absent, 1);
	assert_int_equal(all.suppressed_cap, 1);
	assert_int_equal(db_stats_each(f->db, 2, add_stats, &c2), 0);
	assert_int_equal(c2.n, 3);
	assert_int_equal(c2.by_state[1], 1);
	assert_int_equal(c2.by_state[0], 1);
}

/* --------------------------------------------------------- report ---- */

struct cells { char buf[8192]; };

static int add_cell(const struct report_cell *c, void *arg)
{
	struct cells *x = arg;
	size_t len = strlen(x->buf);
	snprintf(x->buf + len, sizeof(x->buf) - len, "%s/%s/%s=%lld\n", c->metric, c->dimension,
		 c->key, c->n);
	return 0;
}

static void expect_cell(const struct cells *x, const char *cell)
{
	if (!strstr(x->buf, cell))
		fail_msg("'%s' not in:\n%s", cell, x->buf);
}

static void test_age_bands(void **state)
{
	(void)state;
	assert_int_equal(report_age_band(2012, 2026), BAND_UNDER15);
	assert_int_equal(report_age_band(2011, 2026), BAND_15_25);
	assert_int_equal(report_age_band(2001, 2026), BAND_15_25);
	assert_int_equal(report_age_band(2000, 2026), BAND_26PLUS);
	assert_int_equal(report_age_band(0, 2026), BAND_UNKNOWN);
	assert_string_equal(report_band_code(BAND_15_25), "15-25");
}

static void test_report(void **state)
{
	struct fixture *f = *state;
	struct cells x = { "" };

	assert_int_equal(db_report_each(f->db, t_2026, t_2027, 2026, 2026, add_cell, &x), 0);
	/* Before 2026: u15, 15 and 26 had joined. At the end: 26 left, 25 and
	 * unknown joined. */
	expect_cell(&x, "active_start/total/=3\n");
	expect_cell(&x, "active_end/total/=4\n");
	expect_cell(&x, "signups/total/=2\n");
	expect_cell(&x, "optouts/total/=1\n");
	/* Bands at the boundaries (the SQL rule = report_age_band()). */
	expect_cell(&x, "active_end/band/under15=1\n");
	expect_cell(&x, "active_end/band/15-25=2\n");
	expect_cell(&x, "active_start/band/26+=1\n");
	expect_cell(&x, "active_end/band/unknown=1\n");
	expect_cell(&x, "optouts/band/26+=1\n");
	expect_cell(&x, "signups/band/15-25=1\n");
	expect_cell(&x, "signups/lang/en=1\n");
	/* By channel a person with two channels counts in each. */
	expect_cell(&x, "active_end/channel/sms=3\n");
	expect_cell(&x, "active_end/channel/email=2\n");
	/* Messages: sent = accepted (sent, delivered, failed after acceptance). */
	expect_cell(&x, "sent/total/=6\n");
	expect_cell(&x, "delivered/total/=3\n");
	expect_cell(&x, "sent/band/15-25=4\n");
	expect_cell(&x, "delivered/band/under15=2\n");
	expect_cell(&x, "sent/channel/email=1\n");
	expect_cell(&x, "campaigns/association/Roklubben=1\n");
	expect_cell(&x, "campaigns/association/Spejderne=1\n");
}

/* ----------------------------------------------------------- GDPR ---- */

/* Does `needle` appear in any text cell of any table? */
static bool anywhere(struct db *db, const char *needle)
{
	struct db_stmt *tables, *rows;
	bool found = false;
	assert_non_null(tables = db_prepare_once(db,
		"SELECT name FROM sqlite_master WHERE type = 'table'"));
	while (!found && db_step(tables) == DB_ROW) {
		char q[256];
		snprintf(q, sizeof(q), "SELECT * FROM \"%s\"", db_column_text(tables, 0));
		assert_non_null(rows = db_prepare_once(db, q));
		while (!found && db_step(rows) == DB_ROW)
			for (int i = 0; i < db_column_count(rows); i++) {
				const char *t = db_column_text(rows, i);
				if (t && strstr(t, needle))
					found = true;
			}
		db_finalize(rows);
	}
	db_finalize(tables);
	return found;
}

static void test_export(void **state)
{
	struct fixture *f = *state;
	json_t *j = NULL;
	char *s;

	assert_int_equal(db_gdpr_export(f->db, f->s_15, &j), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "profile"), "email")),
			    "bo@example.dk");
	assert_int_equal(json_array_size(json_object_get(j, "messages")), 3);
	assert_int_equal(json_array_size(json_object_get(j, "inbound")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "consent_log")), 2);
	s = json_dumps(j, 0);
	assert_non_null(strstr(s, "\"events\""));
	free(s);
	json_decref(j);
	assert_int_equal(db_gdpr_export(f->db, 999, &j), 1);
}

static void test_erase(void **state)
{
	struct fixture *f = *state;
	struct erase_result res;
	struct cells before = { "" }, after = { "" };
	long long messages = scalar(f->db, "SELECT count(*) FROM messages");

	assert_int_equal(db_report_each(f->db, t_2026, t_2027, 2026, 2026, add_cell, &before), 0);
	assert_true(anywhere(f->db, "+4520000002"));
	assert_int_equal(db_gdpr_erase(f->db, f->s_15, 2026, t_2027 + DAY, &res), 0);
	assert_int_equal(res.messages, 3);
	assert_int_equal(res.inbound, 2);
	/* Gone from every table... */
	assert_false(anywhere(f->db, "+4520000002"));
	assert_false(anywhere(f->db, "bo@example.dk"));
	assert_false(anywhere(f->db, "4520000002"));
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM subscribers WHERE id = 2"), 0);
	/* ...but still counted, and still suppressed: a STOP or a new sign-up
	 * from the number is recognised. */
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), messages);
	assert_true(db_is_suppressed(f->db, "+4520000002", "sms"));
	assert_true(db_is_suppressed(f->db, "bo@example.dk", "email"));
	assert_false(db_is_suppressed(f->db, "+4520000001", "sms"));
	assert_int_equal(subscription_suppress_address(f->db, "+4520000002", CHANNEL_SMS, "sms:stop",
						       t_2027 + 2 * DAY), 0);
	assert_true(db_is_suppressed(f->db, "+4520000002", "sms"));
	/* The 2026 figures do not change: the erased person counts anonymously. */
	assert_int_equal(db_report_each(f->db, t_2026, t_2027, 2026, 2026, add_cell, &after), 0);
	assert_string_equal(before.buf, after.buf);
	assert_int_equal(db_gdpr_erase(f->db, f->s_15, 2026, t_2027, &res), 1);
}

/* A message still waiting (quiet hours, backoff) for someone erased is
 * cancelled: it would go out to "(erased)". */
static void test_erase_cancels_waiting(void **state)
{
	struct fixture *f = *state;
	struct erase_result res;
	long long waiting = add_message(f->db, 3, f->s_15, CHANNEL_SMS, "+4520000002", "ar", "queued",
					NULL, 1, t_2026 + 200 * DAY);
	char sql[160];

	assert_int_equal(db_gdpr_erase(f->db, f->s_15, 2026, t_2027 + DAY, &res), 0);
	snprintf(sql, sizeof(sql), "SELECT state || '|' || reason || '|' || recipient FROM messages"
		 " WHERE id = %lld", waiting);
	{
		char *got = scalar_text(f->db, sql);
		assert_string_equal(got, "cancelled|subscriber erased|(erased)");
		free(got);
	}
	/* Others' waiting messages stay. */
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'queued'"), 1);
}

static void test_import_row(void **state)
{
	struct fixture *f = *state;
	const char *const interests[] = { "sport", "nature", NULL };
	struct import_row r = { .phone = "+4520000099", .lang = "so", .birth_year = 2009,
		.interests = interests, .consent_at = t_2026 + 3 * DAY, .source = "paper form",
		.evidence = "import of 'x.csv' line 2 by test", .now = t_2026 + 40 * DAY };
	long long id;

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(db_import_row(f->db, &r, &id), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_int_equal(db_subscriber_find(f->db, "+4520000099", NULL), id);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM subscriber_interests WHERE subscriber_id = (SELECT max(id) FROM subscribers)"), 2);
	assert_int_equal(scalar(f->db, "SELECT at FROM consent_log WHERE subscriber_id = (SELECT max(id) FROM subscribers) AND action = 'grant' AND channel = 'sms' AND source = 'paper form'"),
			 t_2026 + 3 * DAY);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM consent_log WHERE subscriber_id = (SELECT max(id) FROM subscribers) AND channel = 'email'"), 0);
}

static void test_retention(void **state)
{
	struct fixture *f = *state;
	struct config cfg = { .retention_days = 30 };
	long long now = t_2026 + 152 * DAY + 31 * DAY;  /* campaign 1 is 33 days old, 2 is 32 */

	assert_int_equal(housekeeping_run(f->db, &cfg, now), 8 - 1 + 3);
	/* the queued message keeps its text; everything else lost it */
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE body IS NOT NULL"), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE body IS NOT NULL AND state = 'queued'"), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM inbound WHERE text IS NOT NULL"), 0);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM inbound"), 3);
	/* not again within the hour; again after it */
	sql(f->db, "UPDATE messages SET body = 'x' WHERE state = 'delivered'");
	assert_int_equal(housekeeping_run(f->db, &cfg, now + 60), 0);
	assert_int_equal(housekeeping_run(f->db, &cfg, now + HOUSEKEEPING_INTERVAL), 3);
	/* young messages are kept */
	sql(f->db, "UPDATE messages SET body = 'x'");
	assert_int_equal(housekeeping_run(f->db, &cfg, t_2026 + 160 * DAY), 0);
}

/* --------------------------------------------------- staff config ---- */

static int load_staff(const char *staff, struct config *cfg, struct sbuf *err)
{
	struct sbuf text = SBUF_INIT;
	int rc;
	sbuf_addf(&text, "database = \"/tmp/x.db\";\nsecret_key = \"0123456789abcdef0123456789abcdef\";\n"
		"interests = { sport = { da = [\"SPORT\"]; }; };\n"
		"templates = { sms = { da = \"{title} {url}\"; }; };\n"
		"sms = { providers = ( { name = \"spool\"; type = \"spool\"; directory = \"/tmp\"; } ); };\n"
		"email = { provider = \"spool\"; spool_directory = \"/tmp\"; from = \"a@b.dk\"; };\n%s\n", staff);
	rc = testcfg_load(text.buf, cfg, err);
	sbuf_release(&text);
	return rc;
}

static void test_staff_config(void **state)
{
	static const char hash[] = "$y$j9T$YMjNxjfx7dMLXnveJ6pyg0$VeAISZnZTBUfOYY/aouxrdPVG3GhclmDuns7lUPKQH2";
	struct config cfg;
	struct sbuf err = SBUF_INIT;
	char buf[512];
	(void)state;

	snprintf(buf, sizeof(buf), "staff = ( { user = \"anna\"; password_hash = \"%s\"; lang = \"en\"; },"
		 " { user = \"bo\"; password_hash = \"%s\"; } );", hash, hash);
	if (load_staff(buf, &cfg, &err) < 0)
		fail_msg("%s", err.buf);
	assert_int_equal(cfg.n_staff, 2);
	assert_string_equal(cfg_staff_find(&cfg, "anna")->lang, "en");
	assert_string_equal(cfg_staff_find(&cfg, "bo")->lang, "da");
	assert_null(cfg_staff_find(&cfg, "carl"));
	cfg_free(&cfg);

	assert_int_equal(load_staff("staff = ( { user = \"anna\"; password_hash = \"secret\"; } );",
				    &cfg, &err), -1);
	assert_non_null(strstr(err.buf, "staff.[].password_hash: is not a crypt(3) hash"));
	sbuf_reset(&err);
	snprintf(buf, sizeof(buf), "staff = ( { user = \"a\"; password_hash = \"%s\"; },"
		 " { user = \"a\"; password_hash = \"%s\"; } );", hash, hash);
	assert_int_equal(load_staff(buf, &cfg, &err), -1);
	assert_non_null(strstr(err.buf, "'a' is listed twice"));
	sbuf_reset(&err);
	snprintf(buf, sizeof(buf), "staff = ( { user = \"a b\"; password_hash = \"%s\"; role = 1; lang = \"sv\"; } );", hash);
	assert_int_equal(load_staff(buf, &cfg, &err), -1);
	assert_non_null(strstr(err.buf, "must be 1..63 letters"));
	assert_non_null(strstr(err.buf, "role: unknown setting"));
	assert_non_null(strstr(err.buf, "'sv' is not one of: da, en"));
	sbuf_release(&err);
}


/* ---------------------------------------------------------- resend ---- */

/* Only `unknown` messages go back to the queue, and a campaign message
 * only while its subscriber still wants that channel. */
static void test_resend_unknown(void **state)
{
	struct fixture *f = *state;
	struct sbuf why = SBUF_INIT;
	long long mid = t_2026 + 150 * DAY;
	long long lost = add_message(f->db, 3, f->s_15, CHANNEL_SMS, "+4520000002", "ar",
				     "sending,unknown", NULL, 1, mid);
	long long stopped = add_message(f->db, 3, f->s_26, CHANNEL_SMS, "+4520000004", "da",
					"sending,unknown", NULL, 1, mid);
	long long done = add_message(f->db, 3, f->s_u15, CHANNEL_SMS, "+4520000001", "da",
				     "sending,sent", NULL, 1, mid);
	long long *ids;
	size_t n;

	assert_int_equal(db_message_unknown_ids(f->db, 3, &ids, &n), 0);
	assert_int_equal(n, 2);
	assert_true(ids[0] == lost && ids[1] == stopped);
	free(ids);

	sql(f->db, "UPDATE messages SET reason = 'no answer after the message data' WHERE id = %lld", lost);
	assert_int_equal(db_message_resend(f->db, lost, "anna", mid + 60, &why), 0);
	assert_int_equal(scalar(f->db, "SELECT state = 'queued' AND not_before = updated_at"
				" FROM messages WHERE id = (SELECT max(message_id) FROM message_events"
				" WHERE detail = 'resent by hand by anna')"), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM audit_log WHERE action = 'message.resend'"
				" AND actor = 'anna'"), 1);
	assert_int_equal(scalar(f->db, "SELECT reason IS NULL FROM messages WHERE state = 'queued'"
				" AND campaign_id = 3"), 1);
	/* Queued now: not again. */
	assert_int_equal(db_message_resend(f->db, lost, "anna", mid + 61, &why), 1);
	assert_non_null(strstr(why.buf, "is queued: only unknown messages are resent"));
	sbuf_reset(&why);
	assert_int_equal(db_message_resend(f->db, done, "anna", mid + 61, &why), 1);
	assert_non_null(strstr(why.buf, "is sent"));
	sbuf_reset(&why);
	/* s_26 said STOP: their unknown message stays unknown. */
	assert_int_equal(db_message_resend(f->db, stopped, "anna", mid + 61, &why), 1);
	assert_non_null(strstr(why.buf, "is no longer wanted (unsubscribed, sms)"));
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages WHERE state = 'unknown'"), 1);
	sbuf_reset(&why);
	assert_int_equal(db_message_resend(f->db, 999999, "anna", mid, &why), 1);
	assert_non_null(strstr(why.buf, "there is no message 999999"));
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM audit_log WHERE action = 'message.resend'"), 1);
	sbuf_release(&why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_log_filters, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_arithmetic, setup, teardown),
		cmocka_unit_test(test_age_bands),
		cmocka_unit_test_setup_teardown(test_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resend_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_erase_cancels_waiting, setup, teardown),
		cmocka_unit_test(test_staff_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
