/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the CSV reader (staff upload spreadsheets of
 * subscribers). Besides crashes it checks what the importer relies on:
 * reading ends, every record has 1..CSV_MAX_FIELDS fields of valid UTF-8
 * without NUL bytes, no field is longer than CSV_MAX_FIELD, and line
 * numbers never go back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not NUL-terminated on purpose: the reader must respect len. */
	char *buf = malloc(size ? size : 1);
	struct csv c;
	struct csv_record r;
	const char *why;
	unsigned long last_line = 0;
	size_t rounds = 0;
	int rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	csv_init(&c, buf, size);
	while ((rc = csv_next(&c, &r, &why)) != 0) {
		if (++rounds > size + 1)
			abort();   /* each record consumes at least one byte */
		if (r.line < last_line || r.line == 0)
			abort();
		last_line = r.line;
		if (rc < 0) {
			if (!why || !*why)
				abort();
			continue;
		}
		if (r.n < 1 || r.n > CSV_MAX_FIELDS)
			abort();
		for (size_t i = 0; i < r.n; i++) {
			size_t len = strlen(r.fields[i]);
			if (len > CSV_MAX_FIELD || u8_check((const uint8_t *)r.fields[i], len))
				abort();
		}
	}
	csv_release(&c);
	free(buf);
	return 0;
}
