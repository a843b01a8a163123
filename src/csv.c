/* SPDX-License-Identifier: MIT */
/*
 * CSV records from a buffer. One pass per record: fields are copied,
 * unquoted, into c->data separated by NUL bytes; the record's pointers are
 * set once the record is complete (the buffer may move while it grows).
 * A bad record is read to its end before it is reported, so the next call
 * starts at the next record and the line numbers stay right.
 */
#include "budbringer/csv.h"

#include <stdbool.h>
#include <string.h>
#include <unistr.h>

static void guess_separator(struct csv *c)
{
	size_t counts[3] = { 0, 0, 0 };  /* ';' ',' TAB */
	bool quoted = false;

	for (size_t i = c->pos; i < c->len; i++) {
		char ch = c->buf[i];
		if (ch == '"')
			quoted = !quoted;
		else if (!quoted && (ch == '\n' || ch == '\r'))
			break;
		else if (!quoted && ch == ';')
			counts[0]++;
		else if (!quoted && ch == ',')
			counts[1]++;
		else if (!quoted && ch == '\t')
			counts[2]++;
	}
	c->sep = ',';
	if (counts[0] > counts[1] && counts[0] >= counts[2])
		c->sep = ';';
	else if (counts[2] > counts[1] && counts[2] > counts[0])
		c->sep = '\t';
}

void csv_init(struct csv *c, const char *buf, size_t len)
{
	memset(c, 0, sizeof(*c));
	c->buf = buf;
	c->len = len;
	c->line = 1;
	sbuf_init(&c->data, 256);
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		c->pos = 3;
	guess_separator(c);
}

void csv_release(struct csv *c)
{
	sbuf_release(&c->data);
}

/* At a line end (LF, CRLF or a lone CR)? Consumes it and counts the line. */
static bool eat_eol(struct csv *c)
{
	if (c->pos >= c->len)
		return false;
	if (c->buf[c->pos] == '\n') {
		c->pos++;
	} else if (c->buf[c->pos] == '\r') {
		c->pos++;
		if (c->pos < c->len && c->buf[c->pos] == '\n')
			c->pos++;
	} else {
		return false;
	}
	c->line++;
	return true;
}

static bool at_field_end(const struct csv *c)
{
	char ch;
	if (c->pos >= c->len)
		return true;
	ch = c->buf[c->pos];
	return ch == c->sep || ch == '\n' || ch == '\r';
}

static void add(struct csv *c, char ch, size_t *flen, const char **bad)
{
	if (ch == '\0') {
		if (!*bad)
			*bad = "contains a NUL byte";
		return;
	}
	if (++*flen > CSV_MAX_FIELD) {
		if (!*bad)
			*bad = "a field is longer than 4096 bytes";
		return;
	}
	sbuf_addch(&c->data, ch);
}

/* One field, the separator or line end after it not consumed. */
static void read_field(struct csv *c, const char **bad)
{
	size_t flen = 0;

	if (c->pos < c->len && c->buf[c->pos] == '"') {
		c->pos++;
		for (;;) {
			char ch;
			if (c->pos >= c->len) {
				if (!*bad)
					*bad = "a quoted field is not closed";
				return;
			}
			ch = c->buf[c->pos++];
			if (ch == '"') {
				if (c->pos < c->len && c->buf[c->pos] == '"') {
					c->pos++;
					add(c, '"', &flen, bad);
					continue;
				}
				break;
			}
			/* Count every line break inside quotes once, as eat_eol() does. */
			if (ch == '\n' || (ch == '\r' && (c->pos >= c->len || c->buf[c->pos] != '\n')))
				c->line++;
			add(c, ch, &flen, bad);
		}
		if (!at_field_end(c) && !*bad)
			*bad = "text after a closing quote";
	}
	while (!at_field_end(c))
		add(c, c->buf[c->pos++], &flen, bad);
}

int csv_next(struct csv *c, struct csv_record *rec, const char **why)
{
	size_t offsets[CSV_MAX_FIELDS] = { 0 };
	const char *bad = NULL;

	while (eat_eol(c))
		;
	if (c->pos >= c->len)
		return 0;
	memset(rec, 0, sizeof(*rec));
	rec->line = c->line;
	sbuf_reset(&c->data);
	for (;;) {
		if (rec->n == CSV_MAX_FIELDS) {
			if (!bad)
				bad = "more than 32 fields";
		} else {
			offsets[rec->n++] = c->data.len;
		}
		read_field(c, &bad);
		sbuf_addch(&c->data, '\0');
		if (c->pos < c->len && c->buf[c->pos] == c->sep) {
			c->pos++;
			continue;
		}
		eat_eol(c);
		break;
	}
	if (!bad) {
		for (size_t i = 0; i < rec->n; i++) {
			const char *f = c->data.buf + offsets[i];
			if (u8_check((const uint8_t *)f, strlen(f))) {
				bad = "not valid UTF-8 (save the file as \"CSV UTF-8\")";
				break;
			}
		}
	}
	for (size_t i = 0; i < rec->n; i++)
		rec->fields[i] = c->data.buf + offsets[i];
	if (bad) {
		if (why)
			*why = bad;
		return -1;
	}
	return 1;
}
