/* SPDX-License-Identifier: MIT */
/*
 * The dashboard page prints what others wrote — opportunity titles,
 * association names, failure reasons, SMTP answers, staff names — and every
 * one of them could carry markup. Seeded with <script>&"' in each, the page
 * must hold only their escaped form.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/dashboard.h"
#include "testutil.h"

#define HOSTILE "<script>&\"'"
#define HOSTILE_SQL "<script>&\"''"   /* the same inside an SQL literal */
#define ESCAPED "&lt;script&gt;&amp;&quot;&#39;"

static const char conf_text[] =
	"database = \"/tmp/unused.db\";\n"
	"secret_key = \"0123456789abcdef0123456789abcdef\";\n"
	"languages = [\"da\", \"en\"];\n"
	"fallback = [\"en\", \"da\"];\n"
	"interests = { sport = { da = [\"SPORT\"]; }; };\n"
	"templates = { sms = { da = \"{title} {stop}\"; }; stop = { da = \"STOP\"; }; };\n";

/* Runs one statement of seed data; scalar() steps it once. */
static void seed(struct db *db, const char *sql)
{
	(void)scalar(db, sql);
}

static void test_hostile_values_escaped(void **state)
{
	struct testdb tdb;
	struct config cfg;
	struct sbuf err = SBUF_INIT, page = SBUF_INIT;
	struct db *db = testdb_open(&tdb);
	long long now = 1800000000;
	const char *p;
	int n = 0;

	(void)state;
	if (testcfg_load(conf_text, &cfg, &err) < 0)
		fail_msg("%s", err.buf);
	seed(db, "INSERT INTO associations(id, name, created_at) VALUES (1, 'Forening " HOSTILE_SQL "', 'x')");
	seed(db, "INSERT INTO opportunities(id, association_id, status, updated_at)"
		 " VALUES (1, 1, 'published', 'x')");
	seed(db, "INSERT INTO opportunity_texts VALUES (1, 'da', 'Titel " HOSTILE_SQL "', 'resume')");
	seed(db, "INSERT INTO campaigns(id, kind, opportunity_id, association_id, status, channels,"
		 " send_at, valid_until, created_by, created_at, updated_at)"
		 " VALUES (1, 'association', 1, 1, 'pending_approval', 'sms,email', 1799990000,"
		 " 1899990000, 'staff " HOSTILE_SQL "', 1799990000, 1799990000)");
	seed(db, "INSERT INTO messages(id, campaign_id, kind, channel, recipient, lang, state, reason,"
		 " provider, not_before, created_at, updated_at) VALUES (1, 1, 'campaign', 'email',"
		 " 'a@example.dk', 'da', 'failed', 'reason " HOSTILE_SQL "', 'smtp " HOSTILE_SQL "',"
		 " 1799990000, 1799990000, 1799990000)");
	/* What a server answered to the data: the text of a bounce. */
	seed(db, "INSERT INTO message_events(message_id, at, state, provider, detail) VALUES"
		 " (1, 1799990100, 'failed', 'smtp " HOSTILE_SQL "', '550 5.1.1 no such user " HOSTILE_SQL "')");
	seed(db, "INSERT INTO inbound(gateway_id, sender, received_at, intent) VALUES"
		 " ('g1', '+4512345678', 1799990000, 'intent " HOSTILE_SQL "')");
	assert_int_equal(scalar(db, "SELECT count(*) FROM message_events"), 1);

	assert_int_equal(dashboard_main_page(&page, db, &cfg, "anna " HOSTILE, "da", "csrf",
					     NULL, 0, now), 0);
	assert_null(strstr(page.buf, HOSTILE));
	assert_null(strstr(page.buf, "<script"));
	assert_non_null(strstr(page.buf, "Titel " ESCAPED));
	assert_non_null(strstr(page.buf, "Forening " ESCAPED));
	assert_non_null(strstr(page.buf, "550 5.1.1 no such user " ESCAPED));
	assert_non_null(strstr(page.buf, "anna " ESCAPED));
	for (p = page.buf; (p = strstr(p, ESCAPED)); p++)
		n++;
	/* title and association twice (pending + list), creator, bounce, provider, user, intent */
	assert_true(n >= 6);
	sbuf_release(&page);
	sbuf_release(&err);
	cfg_free(&cfg);
	testdb_close(&tdb);
}

static void expect_masked(const char *in, const char *want)
{
	struct sbuf out = SBUF_INIT;

	dashboard_masked_text(&out, in);
	assert_string_equal(out.len ? out.buf : "", want);
	sbuf_release(&out);
}

static void test_masked_text(void **state)
{
	(void)state;
	expect_masked("sms:+4531000009", "sms:+45\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2"
		      "\xe2\x80\xa2\xe2\x80\xa2" "09");
	expect_masked("550 5.1.1 <jens.hansen@example.dk>: no",
		      "550 5.1.1 &lt;j\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2@example.dk&gt;: no");
	expect_masked("api:portal", "api:portal");
	expect_masked("bounce:msg=6 5.1.1", "bounce:msg=6 5.1.1");
	expect_masked("@ alone", "@ alone");
	expect_masked("", "");
}

/* Campaign alerts of the last 30 days in a warning box, escaped. */
static void test_alerts_box(void **state)
{
	struct testdb tdb;
	struct config cfg;
	struct sbuf err = SBUF_INIT, page = SBUF_INIT;
	struct db *db = testdb_open(&tdb);
	long long now = 1800000000;

	(void)state;
	if (testcfg_load(conf_text, &cfg, &err) < 0)
		fail_msg("%s", err.buf);
	assert_int_equal(dashboard_main_page(&page, db, &cfg, "anna", "da", "csrf", NULL, 0, now), 0);
	assert_null(strstr(page.buf, "id=\"alerts\""));
	sbuf_reset(&page);
	seed(db, "INSERT INTO bounce_alerts(campaign_id, kind, at, rate, paused) VALUES"
		 " (7, 'hard_bounce', 1799990200, '2.40% " HOSTILE_SQL "', 1)");
	seed(db, "INSERT INTO bounce_alerts(campaign_id, kind, at, rate, paused) VALUES"
		 " (8, 'complaint', 1700000000, '0.50%', 0)");
	assert_int_equal(dashboard_main_page(&page, db, &cfg, "anna", "da", "csrf", NULL, 0, now), 0);
	assert_non_null(strstr(page.buf, "<section id=\"alerts\" class=\"warning\" role=\"alert\">"));
	assert_non_null(strstr(page.buf, "href=\"/dashboard/campaigns/7\""));
	assert_non_null(strstr(page.buf, "h\xc3\xa5rde afvisninger 2.40% " ESCAPED));
	assert_non_null(strstr(page.buf, "budbringer campaign resume-email 7"));
	assert_null(strstr(page.buf, HOSTILE));
	/* Older than 30 days: not shown. */
	assert_null(strstr(page.buf, "campaigns/8"));
	/* Before the first section. */
	assert_true(strstr(page.buf, "id=\"alerts\"") < strstr(page.buf, "id=\"pending\""));
	sbuf_reset(&page);
	assert_int_equal(dashboard_main_page(&page, db, &cfg, "anna", "en", "csrf", NULL, 0, now), 0);
	assert_non_null(strstr(page.buf, "Warning: bounces and complaints"));
	assert_non_null(strstr(page.buf, "hard bounces 2.40%"));
	sbuf_release(&page);
	sbuf_release(&err);
	cfg_free(&cfg);
	testdb_close(&tdb);
}

/* The total shown in campaign id's row of the overview, -1 when none. */
static long long row_total(const char *page, long long id)
{
	char tag[64];
	const char *row, *t, *end, *sp;

	snprintf(tag, sizeof(tag), "<tr data-campaign=\"%lld\" data-status", id);
	if (!(row = strstr(page, tag)) || !(t = strstr(row, "class=\"n-total\">")) ||
	    !(end = strstr(t, "</span>")))
		return -1;
	for (sp = end; sp > t && sp[-1] != ' '; sp--)
		;
	return strtoll(sp, NULL, 10);
}

/* Statements the overview takes with the campaigns there are now. */
static unsigned long long overview_statements(struct db *db, const struct config *cfg,
					      struct sbuf *page)
{
	unsigned long long before = db_statements_run(db);

	sbuf_reset(page);
	assert_int_equal(dashboard_main_page(page, db, cfg, "anna", "da", "csrf", NULL, 0,
					     1800000000), 0);
	return db_statements_run(db) - before;
}

/* Issue 17, item 5: the overview's funnels come from one statement for
 * the page, however many campaigns it lists (it was one a campaign). */
static void test_overview_counts_per_page(void **state)
{
	struct testdb tdb;
	struct config cfg;
	struct sbuf err = SBUF_INIT, page = SBUF_INIT, sql = SBUF_INIT;
	struct db *db = testdb_open(&tdb);
	unsigned long long three = 0, fifteen;

	(void)state;
	if (testcfg_load(conf_text, &cfg, &err) < 0)
		fail_msg("%s", err.buf);
	seed(db, "INSERT INTO opportunities(id, status, updated_at) VALUES (1, 'published', 'x')");
	for (int c = 1; c <= 15; c++) {
		sbuf_reset(&sql);
		sbuf_addf(&sql, "INSERT INTO campaigns(id, kind, opportunity_id, status, channels,"
			  " send_at, valid_until, created_by, created_at, updated_at) VALUES (%d,"
			  " 'staff', 1, 'done', 'sms', 1799990000, 1899990000, 't', 1799990000,"
			  " 1799990000)", c);
		seed(db, sql.buf);
		for (int m = 0; m < c; m++) {
			sbuf_reset(&sql);
			sbuf_addf(&sql, "INSERT INTO messages(campaign_id, kind, channel, recipient, lang,"
				  " state, not_before, created_at, updated_at) VALUES (%d, 'campaign',"
				  " 'sms', '+45%08d', 'da', '%s', 1799990000, 1799990000, 1799990000)",
				  c, c * 100 + m, m % 2 ? "sent" : "failed");
			seed(db, sql.buf);
		}
		if (c == 3)
			three = overview_statements(db, &cfg, &page);
	}
	fifteen = overview_statements(db, &cfg, &page);
	print_message("overview statements: 3 campaigns %llu, 15 campaigns %llu\n", three, fifteen);
	assert_int_equal(three, fifteen);
	for (int c = 1; c <= 15; c++)
		assert_int_equal(row_total(page.buf, c), c);	/* each row its own funnel */
	sbuf_release(&page);
	sbuf_release(&sql);
	sbuf_release(&err);
	cfg_free(&cfg);
	testdb_close(&tdb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hostile_values_escaped),
		cmocka_unit_test(test_masked_text),
		cmocka_unit_test(test_alerts_box),
		cmocka_unit_test(test_overview_counts_per_page),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
