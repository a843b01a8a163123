/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the gsm module. Besides memory errors it checks
 * that the functions agree with each other: the split has as many parts
 * as the analysis counts, offsets rise and fall on character boundaries,
 * no part is over its limit, the UTF-16BE output is as long as the
 * UTF-16 count, and transliteration yields valid UTF-8 that is GSM-7
 * whenever the input was.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *   tests/fuzz/fuzz_gsm.c src/gsm.c src/sbuf.c src/log.c -lunistring \
 *   -o /tmp/fuzz_gsm && /tmp/fuzz_gsm -max_total_time=10 tests/fuzz/corpus/gsm
 * libFuzzer adds what it finds to the first corpus directory: put a
 * scratch directory first (/tmp/fuzz_gsm /tmp/c tests/fuzz/corpus/gsm) to
 * keep the seeds in the tree as they are.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

#include "budbringer/gsm.h"
#include "budbringer/sbuf.h"

#define FUZZ_MAX_PARTS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts (a finding for libFuzzer) naming the broken invariant. */
#define fuzz_check(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* Units of text[from, to) in the message's coding. */
static size_t fuzz_units(const char *text, size_t from, size_t to, enum gsm_coding coding)
{
	struct sbuf be = SBUF_INIT;
	struct gsm_info part;
	size_t units;

	if (coding == GSM_CODING_GSM7) {
		/* a piece of a GSM-7 text is GSM-7 on its own */
		fuzz_check(gsm_analyse(text + from, to - from, &part) == 0);
		fuzz_check(part.coding == GSM_CODING_GSM7);
		return part.units;
	}
	fuzz_check(gsm_to_ucs2be(text + from, to - from, &be) == 0);
	units = be.len / 2;
	sbuf_release(&be);
	return units;
}

static void fuzz_parts(const char *text, size_t size, const struct gsm_info *info)
{
	size_t offsets[FUZZ_MAX_PARTS], nparts = 0, i;
	int ret = gsm_split(text, size, offsets, FUZZ_MAX_PARTS, &nparts);

	fuzz_check(ret == 0 || ret == -2);
	fuzz_check(nparts == info->segments);
	fuzz_check(offsets[0] == 0);
	if (ret == -2) {
		fuzz_check(nparts > FUZZ_MAX_PARTS);
		return;
	}
	for (i = 0; i < nparts; i++) {
		size_t end = i + 1 < nparts ? offsets[i + 1] : size;
		size_t limit = info->coding == GSM_CODING_GSM7 ? GSM_SEPTETS_PART : GSM_UCS2_PART;
		size_t units, next;
		struct gsm_info part;
		ucs4_t c;

		fuzz_check(offsets[i] < end || (size == 0 && end == 0));
		/* every part is valid UTF-8 on its own: offsets on boundaries */
		fuzz_check(gsm_analyse(text + offsets[i], end - offsets[i], &part) == 0);
		if (nparts == 1)
			continue;
		units = fuzz_units(text, offsets[i], end, info->coding);
		fuzz_check(units <= limit);
		if (i + 1 == nparts)
			continue;
		/* greedy: the first character of the next part did not fit */
		next = (size_t)u8_mbtouc(&c, (const uint8_t *)text + end, size - end);
		fuzz_check(units + fuzz_units(text, end, end + next, info->coding) > limit);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct gsm_info info, again;
	struct sbuf out = SBUF_INIT;
	int valid = u8_check(data, size) == NULL;

	if (gsm_analyse(text, size, &info) < 0) {
		fuzz_check(!valid);
		fuzz_check(gsm_transliterate(text, size, &out) == -1);
		fuzz_check(gsm_to_ucs2be(text, size, &out) == -1);
		fuzz_check(out.len == 0);
		return 0;
	}
	fuzz_check(valid);
	fuzz_check(info.segments >= 1);
	fuzz_check(strcmp(gsm_coding_name(info.coding), "gsm7") == 0 ||
		   strcmp(gsm_coding_name(info.coding), "ucs2") == 0);

	fuzz_parts(text, size, &info);

	fuzz_check(gsm_to_ucs2be(text, size, &out) == 0);
	fuzz_check(out.len % 2 == 0);
	if (info.coding == GSM_CODING_UCS2)
		fuzz_check(out.len / 2 == info.units);
	else
		/* GSM-7 text is all BMP: one UTF-16 unit per character */
		fuzz_check(out.len / 2 == u8_mbsnlen(data, size));
	sbuf_reset(&out);

	fuzz_check(gsm_transliterate(text, size, &out) == 0);
	fuzz_check(u8_check((const uint8_t *)out.buf, out.len) == NULL);
	fuzz_check(gsm_analyse(out.buf, out.len, &again) == 0);
	if (info.coding == GSM_CODING_GSM7) {
		/* nothing to replace: the text comes back as it was */
		fuzz_check(out.len == size && memcmp(out.buf, data, size) == 0);
	} else if (again.coding == GSM_CODING_UCS2) {
		/* all or nothing: a text that stays UCS-2 is not touched */
		fuzz_check(out.len == size && memcmp(out.buf, data, size) == 0);
	}
	sbuf_release(&out);
	return 0;
}
