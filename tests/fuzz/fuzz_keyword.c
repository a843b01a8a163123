/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for keyword_fold() and keyword_parse() with the
 * built-in vocabulary. The input is an SMS body, given with its exact
 * length and no NUL so over-reads show. Properties checked: folding
 * refuses exactly the invalid UTF-8, gives valid UTF-8 with single inner
 * spaces and is idempotent; parsing never fails, its result is well
 * formed, and parsing the folded text gives the same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/keyword.h"
#include "budbringer/sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct keyword_table *table;

static void check_lang(const char *lang)
{
	size_t n = strnlen(lang, KEYWORD_LANG_MAX), i;

	if (n == KEYWORD_LANG_MAX || n == 1 || n > 3)
		abort();
	for (i = 0; i < n; i++)
		if (lang[i] < 'a' || lang[i] > 'z')
			abort();
}

static void check_result(const struct keyword_result *r)
{
	size_t i, n;

	if (r->intent < KW_UNKNOWN || r->intent > KW_DETAILS)
		abort();
	check_lang(r->lang);
	check_lang(r->target_lang);
	if (r->target_lang[0] && r->intent != KW_JOIN && r->intent != KW_LANGUAGE)
		abort();
	if (r->n_interests > KEYWORD_MAX_INTERESTS)
		abort();
	if (r->n_interests && r->intent != KW_JOIN && r->intent != KW_INTERESTS)
		abort();
	if (r->intent == KW_INTERESTS && r->n_interests == 0)
		abort();
	for (i = 0; i < r->n_interests; i++)
		if (!r->interests[i] || !r->interests[i][0])
			abort();
	if (r->birth_year && (r->intent != KW_JOIN || r->birth_year < 1900 || r->birth_year > 2100))
		abort();
	if ((r->intent == KW_DETAILS) != (r->opportunity_id > 0) || r->opportunity_id < 0)
		abort();
	n = strnlen(r->unknown_word, sizeof(r->unknown_word));
	if (n == sizeof(r->unknown_word) || u8_check((const uint8_t *)r->unknown_word, n))
		abort();
}

static void check_fold(const uint8_t *data, size_t size, struct sbuf *f)
{
	struct sbuf again = SBUF_INIT;
	int valid = u8_check(data, size) == NULL;

	if ((keyword_fold((const char *)data, size, f) == 0) != valid)
		abort();
	if (!valid) {
		if (f->len)
			abort();
		return;
	}
	if (strlen(f->buf) != f->len || u8_check((const uint8_t *)f->buf, f->len))
		abort();
	if (f->len && (f->buf[0] == ' ' || f->buf[f->len - 1] == ' ' || strstr(f->buf, "  ")))
		abort();
	if (keyword_fold(f->buf, f->len, &again) < 0 || strcmp(again.buf, f->buf))
		abort();
	sbuf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyword_result r, rf;
	struct sbuf f = SBUF_INIT;
	char *text = malloc(size ? size : 1);
	size_t i;

	if (!text)
		return 0;
	if (!table) {
		table = keyword_table_new();
		if (keyword_table_add_defaults(table) < 0)
			abort();
	}
	memcpy(text, data, size);
	if (keyword_parse(table, text, size, &r) != 0)
		abort();
	check_result(&r);
	check_fold(data, size, &f);
	if (f.len || r.intent != KW_UNKNOWN) {
		if (keyword_parse(table, f.buf, f.len, &rf) != 0)
			abort();
		if (rf.intent != r.intent || strcmp(rf.lang, r.lang) ||
		    strcmp(rf.target_lang, r.target_lang) || rf.n_interests != r.n_interests ||
		    rf.birth_year != r.birth_year || rf.opportunity_id != r.opportunity_id ||
		    strcmp(rf.unknown_word, r.unknown_word))
			abort();
		for (i = 0; i < r.n_interests; i++)
			if (rf.interests[i] != r.interests[i])
				abort();
	}
	sbuf_release(&f);
	free(text);
	return 0;
}
