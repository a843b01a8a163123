/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/match.h"

#define YEAR 2025

static const char *const sport[] = { "sport", NULL };
static const char *const sport_culture[] = { "sport", "culture", NULL };
static const char *const nature[] = { "nature", NULL };
static const char *const nature_sport[] = { "nature", "sport", NULL };
static const char *const none[] = { NULL };
static const char *const ar_tr[] = { "ar", "tr", NULL };

/* An audience with no filters at all. */
static struct match_audience open_audience(void)
{
	struct match_audience a = {
		.min_age = -1, .max_age = -1, .opp_min_age = -1, .opp_max_age = -1,
		.interests = NULL, .langs = NULL,
	};
	return a;
}

/* An active, consenting 20-year-old Danish speaker who likes sport. */
static struct match_subscriber someone(void)
{
	struct match_subscriber s = {
		.active = true, .consent = true, .birth_year = YEAR - 20,
		.lang = "da", .interests = sport,
	};
	return s;
}

static enum match_result m(const struct match_audience *a, const struct match_subscriber *s)
{
	return match_subscriber(a, s, YEAR);
}

static void test_open_audience(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.birth_year = 0;
	s.interests = NULL;
	s.lang = NULL;
	assert_int_equal(m(&a, &s), MATCH_OK);
}

static void test_active_and_consent(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	s.active = false;
	assert_int_equal(m(&a, &s), MATCH_NOT_ACTIVE);
	s.active = true;
	s.consent = false;
	assert_int_equal(m(&a, &s), MATCH_NO_CONSENT);
	/* the first failing rule is reported */
	s.active = false;
	assert_int_equal(m(&a, &s), MATCH_NOT_ACTIVE);
}

static void test_campaign_min_age(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	a.min_age = 15;
	s.birth_year = YEAR - 15; /* turns 15 this year */
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.birth_year = YEAR - 14;
	assert_int_equal(m(&a, &s), MATCH_AGE);
	s.birth_year = YEAR - 80;
	assert_int_equal(m(&a, &s), MATCH_OK);
}

static void test_campaign_max_age(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	a.max_age = 25;
	s.birth_year = YEAR - 25; /* inclusive */
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.birth_year = YEAR - 26;
	assert_int_equal(m(&a, &s), MATCH_AGE);
	s.birth_year = YEAR - 1;
	assert_int_equal(m(&a, &s), MATCH_OK);
}

static void test_opportunity_age(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	a.opp_min_age = 15;
	s.birth_year = YEAR - 15;
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.birth_year = YEAR - 14;
	assert_int_equal(m(&a, &s), MATCH_AGE);

	a = open_audience();
	a.opp_max_age = 25;
	s.birth_year = YEAR - 25;
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.birth_year = YEAR - 26;
	assert_int_equal(m(&a, &s), MATCH_AGE);
}

static void test_combined_age(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();
	int age;

	(void)state;
	/* campaign 15-25, opportunity 18-30: only 18..25 pass */
	a.min_age = 15;
	a.max_age = 25;
	a.opp_min_age = 18;
	a.opp_max_age = 30;
	for (age = 10; age <= 35; age++) {
		s.birth_year = YEAR - age;
		assert_int_equal(m(&a, &s), age >= 18 && age <= 25 ? MATCH_OK : MATCH_AGE);
	}
}

static void test_unknown_birth_year(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();
	int *bounds[4];
	size_t i;

	(void)state;
	s.birth_year = 0;
	assert_int_equal(m(&a, &s), MATCH_OK);
	bounds[0] = &a.min_age;
	bounds[1] = &a.max_age;
	bounds[2] = &a.opp_min_age;
	bounds[3] = &a.opp_max_age;
	/* any single bound, on the campaign or the opportunity, excludes */
	for (i = 0; i < 4; i++) {
		a = open_audience();
		*bounds[i] = 18;
		assert_int_equal(m(&a, &s), MATCH_AGE);
	}
	/* a bound of 0 is still a bound */
	a = open_audience();
	a.min_age = 0;
	assert_int_equal(m(&a, &s), MATCH_AGE);
}

static void test_interests(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	a.interests = sport_culture;
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.interests = nature;
	assert_int_equal(m(&a, &s), MATCH_INTEREST);
	s.interests = nature_sport; /* one in common is enough */
	assert_int_equal(m(&a, &s), MATCH_OK);
	/* a subscriber with no interests wants everything */
	s.interests = NULL;
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.interests = none;
	assert_int_equal(m(&a, &s), MATCH_OK);
	/* an audience without interests restricts nobody */
	s.interests = nature;
	a.interests = none;
	assert_int_equal(m(&a, &s), MATCH_OK);
	a.interests = NULL;
	assert_int_equal(m(&a, &s), MATCH_OK);
	/* codes compare exactly */
	a.interests = sport;
	s.interests = (const char *const[]){ "Sport", "sports", NULL };
	assert_int_equal(m(&a, &s), MATCH_INTEREST);
}

static void test_language_filter(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	a.langs = ar_tr;
	assert_int_equal(m(&a, &s), MATCH_LANGUAGE);
	s.lang = "tr";
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.lang = "ar";
	assert_int_equal(m(&a, &s), MATCH_OK);
	s.lang = NULL;
	assert_int_equal(m(&a, &s), MATCH_LANGUAGE);
	a.langs = none;
	assert_int_equal(m(&a, &s), MATCH_OK);
}

static void test_all_filters_combined(void **state)
{
	struct match_audience a = open_audience();
	struct match_subscriber s = someone();

	(void)state;
	a.min_age = 15;
	a.max_age = 25;
	a.opp_min_age = 16;
	a.interests = sport_culture;
	a.langs = ar_tr;
	s.lang = "ar";
	assert_int_equal(m(&a, &s), MATCH_OK);

	/* each rule alone breaks the match, reported in rule order */
	s.birth_year = YEAR - 15;
	assert_int_equal(m(&a, &s), MATCH_AGE);
	s.birth_year = YEAR - 20;
	s.interests = nature;
	assert_int_equal(m(&a, &s), MATCH_INTEREST);
	s.interests = sport;
	s.lang = "da";
	assert_int_equal(m(&a, &s), MATCH_LANGUAGE);
	/* age is checked before interest and language */
	s.interests = nature;
	s.birth_year = YEAR - 40;
	assert_int_equal(m(&a, &s), MATCH_AGE);
	s.consent = false;
	assert_int_equal(m(&a, &s), MATCH_NO_CONSENT);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(match_result_name(MATCH_OK), "ok");
	assert_string_equal(match_result_name(MATCH_NOT_ACTIVE), "inactive");
	assert_string_equal(match_result_name(MATCH_NO_CONSENT), "consent");
	assert_string_equal(match_result_name(MATCH_AGE), "age");
	assert_string_equal(match_result_name(MATCH_INTEREST), "interest");
	assert_string_equal(match_result_name(MATCH_LANGUAGE), "language");
	assert_string_equal(match_result_name((enum match_result)7), "unknown");
}

static void test_pick_language(void **state)
{
	const char *const avail[] = { "da", "ar", "en", NULL };
	const char *const only_tr[] = { "tr", NULL };
	const char *const chain[] = { "en", "da", NULL };
	const char *const da_first[] = { "da", "en", NULL };
	const char *const ar_da[] = { "ar", "da", NULL };
	char wanted[] = "ar"; /* a different pointer than the literal in avail */

	(void)state;
	/* wanted available: the pointer into `available` comes back */
	assert_ptr_equal(match_pick_language(wanted, avail, chain), avail[1]);
	/* wanted missing: first of the chain that is there */
	assert_ptr_equal(match_pick_language("tr", avail, chain), avail[2]);
	assert_ptr_equal(match_pick_language("tr", avail, da_first), avail[0]);
	assert_ptr_equal(match_pick_language(NULL, avail, chain), avail[2]);
	/* chain partly missing: skips to the next one, not to the first available */
	assert_ptr_equal(match_pick_language("so", ar_da, chain), ar_da[1]);
	/* nothing from the chain: first available */
	assert_ptr_equal(match_pick_language("ar", only_tr, chain), only_tr[0]);
	assert_ptr_equal(match_pick_language("ar", only_tr, NULL), only_tr[0]);
	/* nothing available */
	assert_null(match_pick_language("da", (const char *const[]){ NULL }, chain));
	assert_null(match_pick_language("da", NULL, chain));
}

static void test_is_lang_code(void **state)
{
	(void)state;
	assert_true(match_is_lang_code("da"));
	assert_true(match_is_lang_code("ar"));
	assert_false(match_is_lang_code("DA"));
	assert_false(match_is_lang_code("Da"));
	assert_false(match_is_lang_code("d"));
	assert_false(match_is_lang_code("dan"));
	assert_false(match_is_lang_code("d1"));
	assert_false(match_is_lang_code("da "));
	assert_false(match_is_lang_code("æø"));
	assert_false(match_is_lang_code(""));
	assert_false(match_is_lang_code(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_audience),
		cmocka_unit_test(test_active_and_consent),
		cmocka_unit_test(test_campaign_min_age),
		cmocka_unit_test(test_campaign_max_age),
		cmocka_unit_test(test_opportunity_age),
		cmocka_unit_test(test_combined_age),
		cmocka_unit_test(test_unknown_birth_year),
		cmocka_unit_test(test_interests),
		cmocka_unit_test(test_language_filter),
		cmocka_unit_test(test_all_filters_combined),
		cmocka_unit_test(test_result_names),
		cmocka_unit_test(test_pick_language),
		cmocka_unit_test(test_is_lang_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
