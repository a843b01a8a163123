/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MATCH_H
#define BUDBRINGER_MATCH_H

/*
 * DESIGN: the matching rules of the spec, as pure functions. The campaign
 * expander streams subscribers from the database in batches and asks
 * match_subscriber() about each one; the same function serves the dry run
 * and the unit tests, so the rules live in exactly one place.
 *
 * Age: a subscriber born in year Y is (current_year - Y) years old this
 * year — we only know birth years, so the age used is the age reached
 * during the current calendar year. A bound of -1 means "no bound".
 * An unknown birth year (0) matches only when neither campaign nor
 * opportunity has any age bound.
 *
 * Interests: the subscriber matches when it chose no interests
 * ("everything") or when one of its interests is among the opportunity's
 * (or, when the campaign narrows interests, among the campaign's). An
 * audience with no interests (NULL or empty) restricts nobody.
 *
 * Rules are checked in the order of enum match_result; the first failure
 * is reported. Any negative bound means "no bound"; 0 is a bound.
 */

#include <stdbool.h>
#include <stddef.h>

#define MATCH_MAX_LANGS 32

enum match_result {
	MATCH_OK = 0,
	MATCH_NOT_ACTIVE,
	MATCH_NO_CONSENT,
	MATCH_AGE,
	MATCH_INTEREST,
	MATCH_LANGUAGE,
};

struct match_subscriber {
	bool active;
	bool consent;            /* consent on the channel in question */
	int birth_year;          /* 0 = unknown */
	const char *lang;        /* ISO 639-1 */
	const char *const *interests; /* NULL-terminated; NULL or empty = everything */
};

struct match_audience {
	int min_age, max_age;            /* the campaign's and opportunity's bounds */
	int opp_min_age, opp_max_age;    /* combined by match_subscriber(); -1 = none */
	const char *const *interests;    /* opportunity's, or the campaign's narrowing; NULL-terminated; NULL or empty = all */
	const char *const *langs;        /* language filter; NULL or empty = all */
};

/* Returns MATCH_OK or the first rule that failed. */
enum match_result match_subscriber(const struct match_audience *a,
				   const struct match_subscriber *s, int current_year);

/* A short lowercase name for a result ("age", "interest", …). */
const char *match_result_name(enum match_result r);

/*
 * Language fallback: picks the language to render in. `available` is the
 * NULL-terminated list of languages that have text; `fallback` the config's
 * chain (e.g. {"en", "da", NULL}). Returns `wanted` when available, else the
 * first of the chain that is available, else the first available, else NULL.
 * The returned pointer points into `available` (or is `wanted`'s match there).
 */
const char *match_pick_language(const char *wanted, const char *const *available,
				const char *const *fallback);

/* True when the ISO 639-1 code is two lowercase ASCII letters. */
bool match_is_lang_code(const char *code);

#endif
