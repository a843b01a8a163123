/* SPDX-License-Identifier: MIT */
/*
 * Matching rules (see the DESIGN note in match.h). The rules are checked
 * in a fixed order — active, consent, age, interest, language — so the
 * reason reported for a non-match is stable and the dry run can count
 * subscribers per reason.
 */
#include <string.h>

#include "budbringer/match.h"

static bool list_empty(const char *const *list)
{
	return !list || !list[0];
}

static bool list_has(const char *const *list, const char *s)
{
	size_t i;

	if (!list || !s)
		return false;
	for (i = 0; list[i]; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static bool has_bound(int b)
{
	return b >= 0;
}

static bool age_ok(const struct match_audience *a, int birth_year, int current_year)
{
	const int mins[2] = { a->min_age, a->opp_min_age };
	const int maxs[2] = { a->max_age, a->opp_max_age };
	bool bounded = false;
	long age;
	size_t i;

	for (i = 0; i < 2; i++)
		bounded = bounded || has_bound(mins[i]) || has_bound(maxs[i]);
	if (birth_year == 0)
		return !bounded;
	/* long: a corrupt birth year must not overflow the subtraction */
	age = (long)current_year - (long)birth_year;
	for (i = 0; i < 2; i++) {
		if (has_bound(mins[i]) && age < mins[i])
			return false;
		if (has_bound(maxs[i]) && age > maxs[i])
			return false;
	}
	return true;
}

/*
 * An audience without interests (an opportunity tagged with none, and no
 * campaign narrowing) restricts nobody; a subscriber without interests
 * wants everything.
 */
static bool interest_ok(const struct match_audience *a, const struct match_subscriber *s)
{
	size_t i;

	if (list_empty(a->interests) || list_empty(s->interests))
		return true;
	for (i = 0; s->interests[i]; i++)
		if (list_has(a->interests, s->interests[i]))
			return true;
	return false;
}

enum match_result match_subscriber(const struct match_audience *a,
				   const struct match_subscriber *s, int current_year)
{
	if (!s->active)
		return MATCH_NOT_ACTIVE;
	if (!s->consent)
		return MATCH_NO_CONSENT;
	if (!age_ok(a, s->birth_year, current_year))
		return MATCH_AGE;
	if (!interest_ok(a, s))
		return MATCH_INTEREST;
	if (!list_empty(a->langs) && !list_has(a->langs, s->lang))
		return MATCH_LANGUAGE;
	return MATCH_OK;
}

const char *match_result_name(enum match_result r)
{
	switch (r) {
	case MATCH_OK:
		return "ok";
	case MATCH_NOT_ACTIVE:
		return "inactive";
	case MATCH_NO_CONSENT:
		return "consent";
	case MATCH_AGE:
		return "age";
	case MATCH_INTEREST:
		return "interest";
	case MATCH_LANGUAGE:
		return "language";
	}
	return "unknown";
}

/* Returns the entry of `available` equal to code, or NULL. */
static const char *find(const char *const *available, const char *code)
{
	size_t i;

	if (!available || !code)
		return NULL;
	for (i = 0; available[i]; i++)
		if (!strcmp(available[i], code))
			return available[i];
	return NULL;
}

const char *match_pick_language(const char *wanted, const char *const *available,
				const char *const *fallback)
{
	const char *hit;
	size_t i;

	if (list_empty(available))
		return NULL;
	hit = find(available, wanted);
	if (hit)
		return hit;
	for (i = 0; fallback && fallback[i]; i++) {
		hit = find(available, fallback[i]);
		if (hit)
			return hit;
	}
	return available[0];
}

bool match_is_lang_code(const char *code)
{
	return code && code[0] >= 'a' && code[0] <= 'z' && code[1] >= 'a' && code[1] <= 'z' &&
	       code[2] == '\0';
}
