/* SPDX-License-Identifier: MIT */
/* mail_confirm (double opt-in message and its signed link) and mail_text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/db.h"
#include "budbringer/mail_confirm.h"
#include "budbringer/mail_text.h"
#include "budbringer/token.h"
#include "testutil.h"

#define NOW 1800000000LL

struct fixture {
	struct testdb tdb;
	struct db *db;
	struct config cfg;
};

static char secret[] = "unit-test-secret-key-0123456789abcdefghijkl";
static char public_url[] = "https://frivillig.example.dk";

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->db = testdb_open(&f->tdb);
	f->cfg.secret_key = secret;
	f->cfg.http.public_url = public_url;
	f->cfg.email.confirm_valid_days = 7;	/* the default */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	testdb_close(&f->tdb);
	free(f);
	return 0;
}

static long long add(struct fixture *f, const char *email, const char *phone, const char *lang)
{
	struct subscriber_in in = { .email = email, .phone = phone, .lang = lang,
				    .status = "pending", .source = "test", .now = NOW };
	long long id = 0;

	assert_int_equal(db_subscriber_add(f->db, &in, &id), 0);
	return id;
}

/* One text column of the newest message (caller frees). */
static char *newest(struct fixture *f, const char *col)
{
	char sql[512];

	assert_int_equal(bsnprintf(sql, sizeof(sql), "SELECT %s FROM messages ORDER BY id DESC LIMIT 1",
				   col), 0);
	return scalar_text(f->db, sql);
}

static void test_queue(void **state)
{
	struct fixture *f = *state;
	long long id = add(f, "ny@example.org", NULL, "da"), got = 0;
	struct token_claims c;
	char tag[MAIL_ADDRESS_TAG_LEN + 1];
	char *v, *link, *end;

	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, id, NOW), 0);
	v = newest(f, "kind || '|' || channel || '|' || recipient || '|' || lang || '|' || state"
		      " || '|' || coalesce(campaign_id, 0) || '|' || subscriber_id");
	assert_non_null(v);
	{
		char want[128];
		assert_int_equal(bsnprintf(want, sizeof(want), "confirm|email|ny@example.org|da|queued|0|%lld",
					   id), 0);
		assert_string_equal(v, want);
	}
	free(v);
	v = newest(f, "expires_at - not_before");
	assert_int_equal(strtol(v, NULL, 10), 7 * 86400);
	free(v);
	v = newest(f, "subject");
	assert_string_equal(v, mail_text("da", MAIL_T_CONFIRM_SUBJECT));
	free(v);

	/* The body holds the Danish text and a link that verifies. */
	v = newest(f, "body");
	assert_non_null(strstr(v, mail_text("da", MAIL_T_CONFIRM_INTRO)));
	link = strstr(v, "https://frivillig.example.dk/confirm?t=");
	assert_non_null(link);
	link += strlen("https://frivillig.example.dk/confirm?t=");
	end = strchr(link, '\n');
	assert_non_null(end);
	*end = '\0';
	assert_int_equal(token_verify_claims((const unsigned char *)secret, strlen(secret), "confirm",
					     link, NOW + 60, &c), 0);
	assert_int_equal(c.subscriber_id, id);
	assert_int_equal(c.expires, NOW + 7 * 86400);
	assert_int_equal(mail_address_tag(&f->cfg, "ny@example.org", tag), 0);
	assert_string_equal(c.channel, tag);
	/* Bound to the address: another one gives another tag. */
	assert_int_equal(mail_address_tag(&f->cfg, "other@example.org", tag), 0);
	assert_string_not_equal(c.channel, tag);
	/* Expired after seven days; another purpose never verifies. */
	assert_int_equal(token_verify((const unsigned char *)secret, strlen(secret), "confirm", link,
				      NOW + 7 * 86400, &got), TOKEN_EXPIRED);
	assert_int_equal(token_verify((const unsigned char *)secret, strlen(secret), "unsub", link,
				      NOW + 60, &got), TOKEN_INVALID);
	free(v);
}

/* The link's life is email.confirm_valid_days: one day here. */
static void test_expiry_setting(void **state)
{
	struct fixture *f = *state;
	long long id = add(f, "kort@example.org", NULL, "en"), got = 0;
	struct token_claims c;
	char *v, *link, *end;

	f->cfg.email.confirm_valid_days = 1;
	assert_int_equal(mail_confirm_expires(&f->cfg, NOW), NOW + 86400);
	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, id, NOW), 0);
	v = newest(f, "expires_at - not_before");
	assert_int_equal(strtol(v, NULL, 10), 86400);
	free(v);
	v = newest(f, "body");
	link = strstr(v, "/confirm?t=");
	assert_non_null(link);
	link += strlen("/confirm?t=");
	end = strchr(link, '\n');
	assert_non_null(end);
	*end = '\0';
	assert_int_equal(token_verify_claims((const unsigned char *)secret, strlen(secret), "confirm",
					     link, NOW + 86400 - 1, &c), 0);
	assert_int_equal(c.expires, NOW + 86400);
	assert_int_equal(token_verify((const unsigned char *)secret, strlen(secret), "confirm", link,
				      NOW + 86400, &got), TOKEN_EXPIRED);
	free(v);
}

static void test_flood_and_missing(void **state)
{
	struct fixture *f = *state;
	long long id = add(f, "flood@example.org", NULL, "ar");
	long long phone_only = add(f, NULL, "+4512345678", "da");
	char *v;

	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, id, NOW), 0);
	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, id, NOW + 10), 2);
	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, id, NOW + MAIL_CONFIRM_GAP - 1), 2);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 1);
	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, id, NOW + MAIL_CONFIRM_GAP + 1), 0);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 2);
	v = newest(f, "subject");
	assert_string_equal(v, mail_text("ar", MAIL_T_CONFIRM_SUBJECT));
	free(v);

	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, phone_only, NOW), 1);
	assert_int_equal(mail_queue_confirmation(f->db, &f->cfg, 999999, NOW), 1);
	assert_int_equal(scalar(f->db, "SELECT count(*) FROM messages"), 2);
}

static void test_texts(void **state)
{
	(void)state;
	assert_string_equal(mail_text("da", MAIL_T_UNSUBSCRIBE), "Afmeld");
	assert_string_equal(mail_text("DA", MAIL_T_UNSUBSCRIBE), "Afmeld");
	/* Unknown or missing language: English. */
	assert_string_equal(mail_text("xx", MAIL_T_UNSUBSCRIBE), "Unsubscribe");
	assert_string_equal(mail_text(NULL, MAIL_T_READ_MORE), "Read more");
	assert_string_equal(mail_text("en", MAIL_T_COUNT), "");
	assert_true(mail_text_has_lang("uk"));
	assert_false(mail_text_has_lang("de"));
	for (const char *const *l = (const char *const[]){ "en", "da", "ar", "tr", "so", "ur",
							    "pl", "fa", "uk", NULL }; *l; l++)
		for (int i = 0; i < MAIL_T_COUNT; i++)
			assert_true(strlen(mail_text(*l, (enum mail_text_id)i)) > 1);
	assert_true(mail_lang_is_rtl("ar"));
	assert_true(mail_lang_is_rtl("ur"));
	assert_true(mail_lang_is_rtl("fa-IR"));
	assert_false(mail_lang_is_rtl("da"));
	assert_false(mail_lang_is_rtl("tr"));
	assert_false(mail_lang_is_rtl(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expiry_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flood_and_missing, setup, teardown),
		cmocka_unit_test(test_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
