/* SPDX-License-Identifier: MIT */
/*
 * The inbound SMS flow: the pure rules (inbound_decide, inbound_gate_reply),
 * the built-in reply texts, and inbound_handle() against a real database.
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
#include "budbringer/db_inbound.h"
#include "budbringer/inbound.h"
#include "budbringer/keyword.h"
#include "testutil.h"

struct fixture {
	struct config cfg;
	struct inbound *ib;
	struct db *db;
	struct testdb tdb;
	int year;
	long long now;
	int seq;
};

static const char conf_text[] =
	"database = \"/tmp/unused.db\";\n"
	"secret_key = \"0123456789abcdef0123456789abcdef\";\n"
	"min_age = 15;\n"
	"languages = [\"da\", \"en\", \"ar\", \"tr\", \"so\", \"ur\", \"pl\", \"fa\"];\n"
	"fallback = [\"en\", \"da\"];\n"
	"interests = { sport = { da = [\"SPORT\", \"IDRÆT\"]; en = [\"SPORTS\"]; };\n"
	"  culture = { da = [\"KULTUR\"]; en = [\"CULTURE\"]; ar = [\"ثقافة\"]; };\n"
	"  nature = { da = [\"NATUR\"]; }; };\n"
	"keywords = { da = { join = [\"BLIV FRIVILLIG\"]; }; };\n"
	"templates = { sms = { da = \"{title} {stop}\"; }; stop = { da = \"Afmeld: STOP\"; }; };\n";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sbuf err = SBUF_INIT;
	time_t t = time(NULL);
	struct tm tm;

	if (testcfg_load(conf_text, &f->cfg, &err) < 0)
		fail_msg("%s", err.buf);
	f->ib = inbound_new(&f->cfg, &err);
	if (!f->ib)
		fail_msg("%s", err.buf);
	sbuf_release(&err);
	f->db = testdb_open(&f->tdb);
	gmtime_r(&t, &tm);
	f->year = tm.tm_year + 1900;
	f->now = (long long)t;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdb_close(&f->tdb);
	inbound_free(f->ib);
	cfg_free(&f->cfg);
	free(f);
	return 0;
}

/* ---- database helpers ---- */

static long long q_int(struct fixture *f, const char *sql, const char *arg)
{
	struct db_stmt *st;
	long long v = -1;

	assert_non_null(st = db_prepare_once(f->db, sql));
	if (arg)
		db_bind_text(st, 1, arg);
	if (db_step(st) == DB_ROW)
		v = db_column_int64(st, 0);
	db_finalize(st);
	return v;
}

/* First column of the first row as a string in buf ("" for NULL or none). */
static const char *q_text(struct fixture *f, const char *sql, const char *arg, char *buf,
			  size_t size)
{
	struct db_stmt *st;

	buf[0] = '\0';
	assert_non_null(st = db_prepare_once(f->db, sql));
	if (arg)
		db_bind_text(st, 1, arg);
	if (db_step(st) == DB_ROW && db_column_text(st, 0))
		snprintf(buf, size, "%s", db_column_text(st, 0));
	db_finalize(st);
	return buf;
}

/* Sends one SMS with a fresh gateway id; returns inbound_handle()'s code. */
static int sms(struct fixture *f, const char *from, const char *text, struct inbound_outcome *out)
{
	char id[32];
	struct inbound_sms in = { .sender = from, .receiver = "1220", .text = text, .gateway_id = id };

	snprintf(id, sizeof(id), "gw-%d", ++f->seq);
	return inbound_handle(f->ib, f->db, &in, f->now, out);
}

static const char *last_reply(struct fixture *f, const char *to, char *buf, size_t size)
{
	return q_text(f, "SELECT body FROM messages WHERE recipient = ? AND kind <> 'campaign'"
			 " ORDER BY id DESC LIMIT 1", to, buf, size);
}

/* ---- the texts ---- */

static void test_texts_complete(void **state)
{
	static const struct inbound_text_values v = {
		.confirm = "JA", .min_age = "15", .lang_name = "dansk", .langs = "da, en",
		.interests = "SPORT", .title = "T", .when = "W", .where = "P", .url = "U", .id = "7",
	};
	(void)state;
	for (const char *const *l = inbound_text_langs(); *l; l++) {
		for (int id = IT_ASK_CONFIRM; id < IT_COUNT; id++) {
			struct sbuf sb = SBUF_INIT;
			if (!inbound_text_get((enum inbound_text)id, *l))
				fail_msg("no text %s in %s", inbound_text_name((enum inbound_text)id), *l);
			assert_int_equal(inbound_text_render((enum inbound_text)id, *l, &v, &sb), 0);
			if (strchr(sb.buf, '{') || strchr(sb.buf, '}'))
				fail_msg("unknown placeholder in %s/%s: %s", *l,
					 inbound_text_name((enum inbound_text)id), sb.buf);
			sbuf_release(&sb);
		}
	}
	assert_null(inbound_text_get(IT_HELP, "xx"));
	assert_null(inbound_text_get(IT_NONE, "da"));
	assert_int_equal(inbound_text_render(IT_HELP, "xx", &v, NULL), -1);
	assert_string_equal(inbound_lang_name("fa"), "فارسی");
	assert_string_equal(inbound_lang_name("zz"), "zz");
	assert_string_equal(inbound_confirm_word("zz"), "YES");
}

/* The word the question asks for must confirm, in every language. */
static void test_confirm_words_confirm(void **state)
{
	struct keyword_table *t = keyword_table_new();
	struct keyword_result r;

	(void)state;
	assert_int_equal(keyword_table_add_defaults(t), 0);
	for (const char *const *l = inbound_text_langs(); *l; l++) {
		const char *w = inbound_confirm_word(*l);
		keyword_parse(t, w, strlen(w), &r);
		if (r.intent != KW_CONFIRM)
			fail_msg("confirm word '%s' of %s parses as %s", w, *l,
				 keyword_intent_name(r.intent));
	}
	keyword_table_free(t);
}

/* An answering machine that echoes a reply must not send us a command:
 * no reply, in any language, parses as anything but unknown text. */
static void test_texts_are_not_commands(void **state)
{
	struct fixture *f = *state;
	const struct keyword_table *t = inbound_keywords(f->ib);

	for (const char *const *l = inbound_text_langs(); *l; l++) {
		struct inbound_text_values v = {
			.confirm = inbound_confirm_word(*l), .min_age = "15",
			.lang_name = inbound_lang_name(*l), .langs = "da, en, ar, tr, so, ur, pl",
			.interests = "SPORT, KULTUR", .title = "Fodboldtrænere søges",
			.when = "2026-05-01 18:00", .where = "Randers Stadion",
			.url = "https://frivillig.example.dk/o/7", .id = "7",
		};
		for (int id = IT_ASK_CONFIRM; id < IT_COUNT; id++) {
			struct sbuf sb = SBUF_INIT;
			struct keyword_result r;
			inbound_text_render((enum inbound_text)id, *l, &v, &sb);
			keyword_parse(t, sb.buf, sb.len, &r);
			if (r.intent != KW_UNKNOWN)
				fail_msg("%s/%s reads as %s: %s", *l,
					 inbound_text_name((enum inbound_text)id),
					 keyword_intent_name(r.intent), sb.buf);
			sbuf_release(&sb);
		}
	}
}

/* ---- the rules ---- */

struct decide_case {
	const char *text;
	bool known;
	const char *status;
	bool consent;
	const char *stored_lang;
	enum inbound_action action;
	enum inbound_text reply;
	bool limited;
	const char *lang;
	int age;              /* expected birth year as current year - age; 0 none */
};

static void test_decide(void **state)
{
	struct fixture *f = *state;
	const struct keyword_table *t = inbound_keywords(f->ib);
	const struct decide_case cases[] = {
		{ "FRIVILLIG SPORT", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "da", 0 },
		{ "JOIN", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "en", 0 },
		{ "انضم", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "ar", 0 },
		{ "KATIL", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "tr", 0 },
		{ "BLIV FRIVILLIG", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "da", 0 },
		{ "FRIVILLIG SPROG AR", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "ar", 0 },
		/* START is Danish and English: the first configured language */
		{ "START", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "da", 0 },
		{ "FRIVILLIG 2001", false, NULL, false, NULL, IA_JOIN_NEW, IT_ASK_CONFIRM, false, "da", -1 },
		{ "JOIN", true, "pending", false, "ar", IA_JOIN_AGAIN, IT_ASK_CONFIRM, false, "en", 0 },
		{ "JOIN", true, "unsubscribed", false, "da", IA_JOIN_AGAIN, IT_ASK_CONFIRM, false, "en", 0 },
		/* already in: keeps the language unless they name one */
		{ "JOIN SPORTS", true, "active", true, "da", IA_JOIN_ACTIVE, IT_ALREADY, false, "da", 0 },
		{ "JOIN ARABIC", true, "active", true, "da", IA_JOIN_ACTIVE, IT_ALREADY, false, "ar", 0 },
		{ "JA", true, "pending", false, "da", IA_CONFIRM, IT_WELCOME, false, "da", 0 },
		{ "نعم", true, "pending", false, "ar", IA_CONFIRM, IT_WELCOME, false, "ar", 0 },
		{ "JA", true, "active", false, "da", IA_CONFIRM, IT_WELCOME, false, "da", 0 },
		{ "JA", true, "active", true, "da", IA_NONE, IT_ALREADY, false, "da", 0 },
		{ "JA", true, "unsubscribed", false, "da", IA_NONE, IT_NOT_SUBSCRIBED, true, "da", 0 },
		{ "JA", false, NULL, false, NULL, IA_NONE, IT_NOT_SUBSCRIBED, true, "da", 0 },
		{ "STOP", true, "active", true, "ar", IA_STOP, IT_STOPPED, false, "ar", 0 },
		{ "STOP", true, "pending", false, "tr", IA_STOP, IT_STOPPED, false, "tr", 0 },
		{ "stop", false, NULL, false, NULL, IA_SUPPRESS, IT_STOPPED, false, "da", 0 },
		{ "توقف", false, NULL, false, NULL, IA_SUPPRESS, IT_STOPPED, false, "ar", 0 },
		{ "SPROG EN", true, "active", true, "da", IA_SET_LANG, IT_LANG_SET, false, "en", 0 },
		{ "SPROG XX", true, "active", true, "da", IA_NONE, IT_LANG_LIST, false, "da", 0 },
		/* a language the config does not list is no language */
		{ "LANG UK", true, "active", true, "da", IA_NONE, IT_LANG_LIST, false, "da", 0 },
		{ "FARSI", true, "active", true, "da", IA_SET_LANG, IT_LANG_SET, false, "fa", 0 },
		{ "ENGLISH", false, NULL, false, NULL, IA_NONE, IT_NOT_SUBSCRIBED, true, "en", 0 },
		{ "SPORT KULTUR", true, "active", true, "da", IA_SET_INTERESTS, IT_INTERESTS, false, "da", 0 },
		/* scouting is a built-in word but not in this config's taxonomy */
		{ "SPEJDER", true, "active", true, "da", IA_NONE, IT_HELP, true, "da", 0 },
		{ "SPORT", false, NULL, false, NULL, IA_NONE, IT_NOT_SUBSCRIBED, true, "da", 0 },
		{ "HJÆLP", true, "active", true, "ar", IA_NONE, IT_HELP, false, "ar", 0 },
		{ "HELP", false, NULL, false, NULL, IA_NONE, IT_HELP, false, "en", 0 },
		{ "INFO 12", false, NULL, false, NULL, IA_DETAILS, IT_DETAILS, false, "da", 0 },
		{ "JAZZ", true, "active", true, "pl", IA_NONE, IT_HELP, true, "pl", 0 },
		{ "stopwatch for sale", false, NULL, false, NULL, IA_NONE, IT_HELP, true, "da", 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct decide_case *c = &cases[i];
		struct inbound_sender who = { .known = c->known, .status = c->status,
			.sms_consent = c->consent, .lang = c->stored_lang };
		struct keyword_result kw;
		struct inbound_decision d;

		keyword_parse(t, c->text, strlen(c->text), &kw);
		inbound_decide(&f->cfg, &kw, &who, f->year, &d);
		if (d.action != c->action || d.reply != c->reply || d.reply_limited != c->limited ||
		    strcmp(d.lang, c->lang))
			fail_msg("case %zu '%s': action %d reply %s limited %d lang %s", i, c->text,
				 d.action, inbound_text_name(d.reply), d.reply_limited, d.lang);
	}
}

static void test_decide_age(void **state)
{
	struct fixture *f = *state;
	const struct keyword_table *t = inbound_keywords(f->ib);
	struct inbound_sender who = { 0 };
	struct keyword_result kw;
	struct inbound_decision d;
	char text[64];

	/* 14 this year: refused; 15: in */
	snprintf(text, sizeof(text), "FRIVILLIG SPORT %d", f->year - 14);
	keyword_parse(t, text, strlen(text), &kw);
	inbound_decide(&f->cfg, &kw, &who, f->year, &d);
	assert_int_equal(d.action, IA_REFUSE_AGE);
	assert_int_equal(d.reply, IT_TOO_YOUNG);
	snprintf(text, sizeof(text), "FRIVILLIG %d SPORT", f->year - 15);
	keyword_parse(t, text, strlen(text), &kw);
	inbound_decide(&f->cfg, &kw, &who, f->year, &d);
	assert_int_equal(d.action, IA_JOIN_NEW);
	assert_int_equal(d.birth_year, f->year - 15);
	assert_int_equal(d.n_interests, 1);
	assert_string_equal(d.interests[0], "sport");
	/* a year in the future is nobody's birth year: ignored, not refused */
	snprintf(text, sizeof(text), "FRIVILLIG %d", f->year + 3);
	keyword_parse(t, text, strlen(text), &kw);
	inbound_decide(&f->cfg, &kw, &who, f->year, &d);
	assert_int_equal(d.action, IA_JOIN_NEW);
	assert_int_equal(d.birth_year, 0);
	/* the same for someone already in */
	who = (struct inbound_sender){ .known = true, .status = "active", .sms_consent = true,
		.lang = "da" };
	snprintf(text, sizeof(text), "JOIN %d", f->year - 10);
	keyword_parse(t, text, strlen(text), &kw);
	inbound_decide(&f->cfg, &kw, &who, f->year, &d);
	assert_int_equal(d.action, IA_REFUSE_AGE);
}

static void test_gate(void **state)
{
	struct inbound_decision d = { .reply = IT_HELP, .reply_limited = true };

	(void)state;
	assert_int_equal(inbound_gate_reply(&d, 0, false), IT_HELP);
	assert_int_equal(inbound_gate_reply(&d, 1, true), IT_NONE);
	d.reply_limited = false;
	assert_int_equal(inbound_gate_reply(&d, 3, true), IT_HELP);
	assert_int_equal(inbound_gate_reply(&d, INBOUND_REPLIES_PER_HOUR - 1, true), IT_HELP);
	assert_int_equal(inbound_gate_reply(&d, INBOUND_REPLIES_PER_HOUR, false), IT_NONE);
	d.reply = IT_NONE;
	assert_int_equal(inbound_gate_reply(&d, 0, false), IT_NONE);
}

/* ---- the handler, with a database ---- */

static void test_join_confirm_stop(void **state)
{
	struct fixture *f = *state;
	const char *num = "+4512345678";
	struct inbound_outcome o;
	char buf[512], q[512], year[16];
	long long sid, msg;

	snprintf(year, sizeof(year), "%d", f->year - 20);
	snprintf(buf, sizeof(buf), "Frivillig sport kultur %s", year);
	assert_int_equal(sms(f, num, buf, &o), 0);
	assert_int_equal(o.intent, KW_JOIN);
	assert_int_equal(o.action, IA_JOIN_NEW);
	assert_int_equal(o.reply, IT_ASK_CONFIRM);
	sid = o.subscriber_id;
	assert_true(sid > 0);
	assert_string_equal(q_text(f, "SELECT status || ' ' || lang FROM subscribers WHERE phone = ?",
				   num, buf, sizeof(buf)), "pending da");
	assert_int_equal(q_int(f, "SELECT sms_consent FROM subscribers WHERE phone = ?", num), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscriber_interests", NULL), 2);
	assert_int_equal(q_int(f, "SELECT birth_year FROM subscribers", NULL), f->year - 20);
	/* the question: kind confirm, queued now, names JA */
	last_reply(f, num, q, sizeof(q));
	assert_non_null(strstr(q, "Svar JA"));
	assert_int_equal(q_int(f, "SELECT count(*) FROM messages WHERE kind = 'confirm' AND"
				  " state = 'queued' AND recipient = ?", num), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM consent_log WHERE action = 'grant'", NULL), 0);

	/* confirm: active, consent with source and the question as evidence */
	assert_int_equal(sms(f, num, "ja tak", &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_int_equal(o.reply, IT_WELCOME);
	assert_string_equal(q_text(f, "SELECT status FROM subscribers WHERE phone = ?", num, buf,
				   sizeof(buf)), "active");
	assert_int_equal(q_int(f, "SELECT sms_consent FROM subscribers WHERE phone = ?", num), 1);
	assert_string_equal(q_text(f, "SELECT source FROM consent_log WHERE action = 'grant'", NULL,
				   buf, sizeof(buf)), "sms:+4512345678");
	assert_string_equal(q_text(f, "SELECT evidence FROM consent_log WHERE action = 'grant'", NULL,
				   buf, sizeof(buf)), q);
	assert_non_null(strstr(last_reply(f, num, buf, sizeof(buf)), "Velkommen"));

	/* a campaign message waits; STOP cancels it at once */
	{
		struct message_in m = { .subscriber_id = sid, .kind = "campaign", .channel = CHANNEL_SMS,
			.recipient = num, .lang = "da", .body = "Nyt job", .state = "queued",
			.not_before = f->now + 3600, .now = f->now };
		assert_int_equal(db_message_insert(f->db, &m, &msg), 0);
	}
	assert_int_equal(sms(f, num, "STOP", &o), 0);
	assert_int_equal(o.action, IA_STOP);
	assert_int_equal(o.reply, IT_STOPPED);
	assert_string_equal(q_text(f, "SELECT status FROM subscribers WHERE phone = ?", num, buf,
				   sizeof(buf)), "unsubscribed");
	assert_int_equal(q_int(f, "SELECT count(*) FROM messages WHERE kind = 'campaign' AND"
				  " state = 'cancelled'", NULL), 1);
	assert_true(db_is_suppressed(f->db, num, "sms"));
	assert_non_null(strstr(last_reply(f, num, buf, sizeof(buf)), "afmeldt"));
	/* the STOP reply itself goes out: it is a reply, not a campaign */
	assert_int_equal(q_int(f, "SELECT count(*) FROM messages WHERE kind = 'reply' AND"
				  " state = 'queued' AND body LIKE '%afmeldt%'", NULL), 1);

	/* after STOP a JA is no consent */
	assert_int_equal(sms(f, num, "JA", &o), 0);
	assert_int_equal(o.action, IA_NONE);
	assert_int_equal(q_int(f, "SELECT sms_consent FROM subscribers WHERE phone = ?", num), 0);
	/* joining again asks again, and confirming lifts the suppression */
	assert_int_equal(sms(f, num, "FRIVILLIG", &o), 0);
	assert_int_equal(o.action, IA_JOIN_AGAIN);
	assert_string_equal(q_text(f, "SELECT status FROM subscribers WHERE phone = ?", num, buf,
				   sizeof(buf)), "pending");
	assert_true(db_is_suppressed(f->db, num, "sms"));
	assert_int_equal(sms(f, num, "JA", &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_false(db_is_suppressed(f->db, num, "sms"));
	assert_string_equal(q_text(f, "SELECT status FROM subscribers WHERE phone = ?", num, buf,
				   sizeof(buf)), "active");
}

static void test_duplicate_gateway_id(void **state)
{
	struct fixture *f = *state;
	struct inbound_sms in = { .sender = "+4587654321", .text = "FRIVILLIG", .gateway_id = "uuid-1" };
	struct inbound_outcome o;

	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), 0);
	assert_true(o.reply_id > 0);
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), INBOUND_DUPLICATE);
	assert_int_equal(o.reply_id, 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound", NULL), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM messages", NULL), 1);
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscribers", NULL), 1);
	/* without a gateway id there is nothing to deduplicate by */
	in.gateway_id = NULL;
	in.text = "HJÆLP";
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), 0);
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound", NULL), 3);
}

static void test_unknown_number_stop(void **state)
{
	struct fixture *f = *state;
	struct inbound_outcome o;
	char buf[512];

	assert_int_equal(sms(f, "+4511112222", "Stop.", &o), 0);
	assert_int_equal(o.action, IA_SUPPRESS);
	assert_int_equal(o.subscriber_id, 0);
	assert_true(db_is_suppressed(f->db, "+4511112222", "sms"));
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscribers", NULL), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM consent_log WHERE action = 'suppress'", NULL),
			 1);
	assert_non_null(strstr(last_reply(f, "+4511112222", buf, sizeof(buf)), "afmeldt"));
	/* a join from a suppressed number is allowed: it asks for consent */
	assert_int_equal(sms(f, "+4511112222", "FRIVILLIG", &o), 0);
	assert_int_equal(o.action, IA_JOIN_NEW);
}

static void test_too_young(void **state)
{
	struct fixture *f = *state;
	struct inbound_outcome o;
	char text[64], buf[512];

	snprintf(text, sizeof(text), "FRIVILLIG SPORT %d", f->year - 12);
	assert_int_equal(sms(f, "+4522223333", text, &o), 0);
	assert_int_equal(o.action, IA_REFUSE_AGE);
	assert_int_equal(o.reply, IT_TOO_YOUNG);
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscribers", NULL), 0);
	assert_true(db_is_suppressed(f->db, "+4522223333", "sms"));
	/* the inbound row keeps neither the number nor the text */
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound WHERE sender = '+4522223333'", NULL), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound WHERE sender LIKE 'sha256:%'"
				  " AND text IS NULL AND subscriber_id IS NULL", NULL), 1);
	assert_non_null(strstr(last_reply(f, "+4522223333", buf, sizeof(buf)), "mindst 15"));

	/* pending first, then the birth year: the pending record goes */
	assert_int_equal(sms(f, "+4522224444", "FRIVILLIG", &o), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscribers", NULL), 1);
	snprintf(text, sizeof(text), "FRIVILLIG %d", f->year - 13);
	assert_int_equal(sms(f, "+4522224444", text, &o), 0);
	assert_int_equal(o.action, IA_REFUSE_AGE);
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscribers", NULL), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM consent_log WHERE subscriber_id IS NOT NULL",
			       NULL), 0);
}

static void test_help_limits(void **state)
{
	struct fixture *f = *state;
	const char *num = "+4533334444";
	struct inbound_outcome o;
	int replies = 0;

	/* unknown text: help once an hour */
	assert_int_equal(sms(f, num, "hej med dig", &o), 0);
	assert_int_equal(o.reply, IT_HELP);
	assert_int_equal(sms(f, num, "hvad er det her", &o), 0);
	assert_int_equal(o.reply, IT_NONE);
	assert_int_equal(o.reply_id, 0);
	/* ... a new hour, a new help */
	f->now += 3601;
	assert_int_equal(sms(f, num, "hallo?", &o), 0);
	assert_int_equal(o.reply, IT_HELP);
	/* an answering machine sending HELP forever: at most N replies an hour */
	for (int i = 0; i < 3 * INBOUND_REPLIES_PER_HOUR; i++) {
		assert_int_equal(sms(f, num, "HELP", &o), 0);
		replies += o.reply_id != 0;
	}
	assert_int_equal(replies, INBOUND_REPLIES_PER_HOUR - 1);
	/* STOP still acts when no reply is left */
	assert_int_equal(sms(f, num, "STOP", &o), 0);
	assert_int_equal(o.action, IA_SUPPRESS);
	assert_int_equal(o.reply_id, 0);
	assert_true(db_is_suppressed(f->db, num, "sms"));
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound WHERE sender = ?", num),
			 3 + 3 * INBOUND_REPLIES_PER_HOUR + 1);
}

static void test_languages(void **state)
{
	struct fixture *f = *state;
	const char *num = "+4544445555";
	struct inbound_outcome o;
	char buf[512];

	assert_int_equal(sms(f, num, "انضم ثقافة", &o), 0);
	assert_string_equal(q_text(f, "SELECT lang FROM subscribers WHERE phone = ?", num, buf,
				   sizeof(buf)), "ar");
	assert_non_null(strstr(last_reply(f, num, buf, sizeof(buf)), "أرسل نعم"));
	assert_string_equal(q_text(f, "SELECT coding FROM messages WHERE recipient = ?", num, buf,
				   sizeof(buf)), "ucs2");
	assert_int_equal(sms(f, num, "نعم", &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_non_null(strstr(last_reply(f, num, buf, sizeof(buf)), "أهلا بك"));
	/* SPROG EN: the reply is already in the new language */
	assert_int_equal(sms(f, num, "SPROG EN", &o), 0);
	assert_string_equal(last_reply(f, num, buf, sizeof(buf)), "Your language is now English.");
	/* a language without texts of its own: stored, replies fall back */
	assert_int_equal(sms(f, num, "LANG FARSI", &o), 0);
	assert_string_equal(q_text(f, "SELECT lang FROM subscribers WHERE phone = ?", num, buf,
				   sizeof(buf)), "fa");
	assert_string_equal(last_reply(f, num, buf, sizeof(buf)), "Your language is now فارسی.");
	/* interests are set, and named in the subscriber's words */
	assert_int_equal(sms(f, num, "SPROG DA", &o), 0);
	assert_int_equal(sms(f, num, "natur og idræt", &o), 0);
	assert_int_equal(o.action, IA_SET_INTERESTS);
	assert_string_equal(last_reply(f, num, buf, sizeof(buf)), "Dine interesser: NATUR, SPORT.");
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscriber_interests i JOIN subscribers s"
				  " ON s.id = i.subscriber_id WHERE s.phone = ?", num), 2);
	/* a join from someone already in adds interests */
	assert_int_equal(sms(f, num, "FRIVILLIG KULTUR", &o), 0);
	assert_int_equal(o.action, IA_JOIN_ACTIVE);
	assert_string_equal(last_reply(f, num, buf, sizeof(buf)),
			    "Du er allerede tilmeldt. Dine interesser: NATUR, SPORT, KULTUR. "
			    "Afmeld: STOP");
}

static void test_details(void **state)
{
	struct fixture *f = *state;
	struct opportunity_text texts[] = {
		{ .lang = "da", .title = (char[]){ "Fodboldtrænere" }, .summary = (char[]){ "x" } },
		{ .lang = "ar", .title = (char[]){ "مدربو كرة القدم" }, .summary = (char[]){ "x" } },
	};
	const char *interests[] = { "sport", NULL };
	struct opportunity_in in = {
		.status = "published", .min_age = -1, .max_age = -1, .location = "Randers Stadion",
		.url = "https://frivillig.example.dk/o/1", .starts_at = "2026-06-01T16:00:00Z",
		.texts = texts, .n_texts = 2, .interests = interests,
	};
	struct inbound_outcome o;
	long long id;
	char text[32], buf[512];

	setenv("TZ", "Europe/Copenhagen", 1);
	tzset();
	assert_int_equal(db_opportunity_add(f->db, &in, "2026-01-01T00:00:00Z", &id), 0);
	snprintf(text, sizeof(text), "INFO %lld", id);
	assert_int_equal(sms(f, "+4555556666", text, &o), 0);
	assert_int_equal(o.reply, IT_DETAILS);
	assert_string_equal(last_reply(f, "+4555556666", buf, sizeof(buf)),
			    "Fodboldtrænere. Hvornår: 2026-06-01 18:00. Hvor: Randers Stadion. "
			    "https://frivillig.example.dk/o/1");
	snprintf(text, sizeof(text), "تفاصيل %lld", id);
	assert_int_equal(sms(f, "+4555557777", text, &o), 0);
	assert_non_null(strstr(last_reply(f, "+4555557777", buf, sizeof(buf)), "مدربو كرة القدم"));
	assert_int_equal(sms(f, "+4555556666", "INFO 999", &o), 0);
	assert_int_equal(o.reply, IT_NO_OPPORTUNITY);
	assert_string_equal(last_reply(f, "+4555556666", buf, sizeof(buf)),
			    "Vi kan ikke finde opgave 999.");
	/* a draft is not public */
	in.status = "draft";
	assert_int_equal(db_opportunity_add(f->db, &in, "2026-01-01T00:00:00Z", &id), 0);
	snprintf(text, sizeof(text), "INFO %lld", id);
	assert_int_equal(sms(f, "+4555556666", text, &o), 0);
	assert_int_equal(o.reply, IT_NO_OPPORTUNITY);
}

/* Someone with SMS and email who says STOP stays active by email; a later
 * JA (no new question) must not switch SMS back on. Joining again must. */
static void test_stop_keeps_email_but_ja_is_no_consent(void **state)
{
	struct fixture *f = *state;
	const char *num = "+4512121212";
	struct inbound_outcome o;

	assert_int_equal(sms(f, num, "FRIVILLIG", &o), 0);
	f->now += 10;
	assert_int_equal(sms(f, num, "JA", &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_int_equal(db_exec(f->db, "UPDATE subscribers SET email = 'x@example.dk',"
				      " email_consent = 1 WHERE phone = '+4512121212'"),
			 0);
	f->now += 10;
	assert_int_equal(sms(f, num, "STOP", &o), 0);
	assert_int_equal(o.action, IA_STOP);
	assert_int_equal(q_int(f, "SELECT sms_consent = 0 AND email_consent = 1 AND status = 'active'"
				  " FROM subscribers WHERE phone = ?", num), 1);
	f->now += 10;
	assert_int_equal(sms(f, num, "JA", &o), 0);
	assert_int_equal(o.action, IA_NONE);
	assert_int_equal(q_int(f, "SELECT sms_consent FROM subscribers WHERE phone = ?", num), 0);
	assert_true(db_is_suppressed(f->db, num, "sms"));
	/* FRIVILLIG asks again; that JA counts */
	f->now += 10;
	assert_int_equal(sms(f, num, "FRIVILLIG", &o), 0);
	assert_int_equal(o.reply, IT_ASK_CONFIRM);
	f->now += 10;
	assert_int_equal(sms(f, num, "JA", &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_int_equal(q_int(f, "SELECT sms_consent FROM subscribers WHERE phone = ?", num), 1);
	assert_false(db_is_suppressed(f->db, num, "sms"));
}

static void test_portal_confirm_sms(void **state)
{
	struct fixture *f = *state;
	struct subscriber_in in = { .phone = "+4566667777", .lang = "tr", .status = "pending",
		.source = "api:portal", .now = f->now };
	struct inbound_outcome o;
	long long sid, msg;
	char buf[512];

	assert_int_equal(db_subscriber_add(f->db, &in, &sid), 0);
	assert_int_equal(inbound_queue_confirm_sms(f->db, &f->cfg, sid, in.phone, "tr", f->now, &msg), 0);
	assert_true(msg > 0);
	assert_int_equal(inbound_queue_confirm_sms(f->db, &f->cfg, sid, in.phone, "tr", f->now + 5, NULL),
			 2);
	assert_non_null(strstr(last_reply(f, in.phone, buf, sizeof(buf)), "EVET yazın"));
	assert_int_equal(sms(f, in.phone, "Evet", &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_string_equal(q_text(f, "SELECT status FROM subscribers WHERE id = 1", NULL, buf,
				   sizeof(buf)), "active");
}

/* The HTTP listener runs inbound_handle() inside a shared transaction
 * (group commit): its own transactions and subscription.c's become
 * savepoints, a copy in the same batch is a duplicate, and nothing is
 * durable before the outer commit. */
static void test_inside_batch(void **state)
{
	struct fixture *f = *state;
	struct inbound_sms in = { .sender = "+4577778888", .text = "FRIVILLIG", .gateway_id = "b-1" };
	struct inbound_sms stop = { .sender = "+4577779999", .text = "STOP", .gateway_id = "b-2" };
	struct inbound_outcome o;

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), 0);
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), INBOUND_DUPLICATE);
	assert_int_equal(inbound_handle(f->ib, f->db, &stop, f->now, &o), 0);
	assert_true(db_in_transaction(f->db));
	assert_int_equal(db_rollback(f->db), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound", NULL), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM subscribers", NULL), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM suppressions", NULL), 0);
	assert_int_equal(q_int(f, "SELECT count(*) FROM messages", NULL), 0);

	assert_int_equal(db_begin(f->db), 0);
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), 0);
	in.text = "JA";
	in.gateway_id = "b-3";
	assert_int_equal(inbound_handle(f->ib, f->db, &in, f->now, &o), 0);
	assert_int_equal(o.action, IA_CONFIRM);
	assert_int_equal(inbound_handle(f->ib, f->db, &stop, f->now, &o), 0);
	assert_int_equal(db_commit(f->db), 0);
	assert_false(db_in_transaction(f->db));
	assert_int_equal(q_int(f, "SELECT count(*) FROM inbound", NULL), 3);
	assert_int_equal(q_int(f, "SELECT sms_consent FROM subscribers WHERE phone = '+4577778888'",
			       NULL), 1);
	assert_true(db_is_suppressed(f->db, "+4577779999", "sms"));
	assert_int_equal(q_int(f, "SELECT count(*) FROM messages", NULL), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texts_complete),
		cmocka_unit_test(test_confirm_words_confirm),
		cmocka_unit_test_setup_teardown(test_texts_are_not_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decide_age, setup, teardown),
		cmocka_unit_test(test_gate),
		cmocka_unit_test_setup_teardown(test_join_confirm_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_gateway_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_number_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_young, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_languages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_portal_confirm_sms, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_keeps_email_but_ja_is_no_consent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inside_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
