/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CSV_H
#define BUDBRINGER_CSV_H

/*
 * A CSV reader for files staff make in a spreadsheet. Pure: no I/O, works
 * on a buffer the caller owns and keeps alive.
 *
 * Accepts what Danish Excel and LibreOffice write: a UTF-8 byte order mark,
 * `;` or `,` or TAB as the separator (guessed from the first line: the one
 * that occurs most often outside quotes), CRLF or LF line ends, fields in
 * double quotes with "" for a quote and line breaks inside, blank lines
 * (skipped). Refused, one record at a time: text after a closing quote,
 * a quote that never closes, more than CSV_MAX_FIELDS fields, a field over
 * CSV_MAX_FIELD bytes, a NUL byte, invalid UTF-8.
 */

#include <stddef.h>

#include "budbringer/sbuf.h"

#define CSV_MAX_FIELDS 32
#define CSV_MAX_FIELD 4096

struct csv {
	const char *buf;
	size_t len, pos;
	char sep;
	unsigned long line;        /* physical line of the next byte (1-based) */
	struct sbuf data;          /* this record's fields, NUL-separated */
};

struct csv_record {
	unsigned long line;        /* physical line where the record starts */
	size_t n;                  /* number of fields, >= 1 */
	const char *fields[CSV_MAX_FIELDS]; /* valid until the next csv_next() */
};

/* Starts reading buf (len bytes): skips a BOM and guesses the separator. */
void csv_init(struct csv *c, const char *buf, size_t len);
/*
 * Reads the next record. Returns 1 with *rec filled, 0 at the end, or -1
 * when the record starting at rec->line is malformed: *why is a static
 * English reason and reading goes on after the bad record (at the next
 * line break outside quotes, or the end for an unclosed quote).
 */
int csv_next(struct csv *c, struct csv_record *rec, const char **why);
void csv_release(struct csv *c);

#endif
