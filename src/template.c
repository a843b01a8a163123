/* SPDX-License-Identifier: MIT */
/*
 * Message templates. One scanner serves both validation and rendering so
 * that a template that validates always renders, and the error offsets are
 * the same in both. Rendering works on a private buffer and appends to the
 * caller's only on success, after tidying spaces: SMS cost is counted in
 * characters, and a missing optional value must not leave "  " or a
 * dangling space at the end of a line.
 */
#include <string.h>

#include <unistr.h>

#include "budbringer/template.h"

/* Longest placeholder name quoted back in an error message. */
#define TEMPLATE_ERR_NAME_MAX 32

enum field {
	F_TITLE,
	F_SUMMARY,
	F_URL,
	F_ASSOCIATION,
	F_STARTS_AT,
	F_LOCATION,
	F_STOP,
	F_COUNT
};

static const char *const field_names[F_COUNT] = {
	[F_TITLE] = "title",
	[F_SUMMARY] = "summary",
	[F_URL] = "url",
	[F_ASSOCIATION] = "association",
	[F_STARTS_AT] = "starts_at",
	[F_LOCATION] = "location",
	[F_STOP] = "stop",
};

static int lookup(const char *name, size_t len)
{
	int i;

	for (i = 0; i < F_COUNT; i++)
		if (strlen(field_names[i]) == len && !memcmp(field_names[i], name, len))
			return i;
	return -1;
}

static const char *field_value(const struct template_values *v, int f)
{
	if (!v)
		return NULL;
	switch (f) {
	case F_TITLE:
		return v->title;
	case F_SUMMARY:
		return v->summary;
	case F_URL:
		return v->url;
	case F_ASSOCIATION:
		return v->association;
	case F_STARTS_AT:
		return v->starts_at;
	case F_LOCATION:
		return v->location;
	case F_STOP:
		return v->stop;
	default:
		return NULL;
	}
}

/*
 * Walks tmpl; with raw != NULL appends literal text and values to it.
 * Returns 0 or -1 with err filled.
 */
static int scan(const char *tmpl, const struct template_values *v, struct sbuf *raw,
		struct sbuf *err)
{
	const char *p = tmpl;
	const uint8_t *bad;

	if (!tmpl)
		return sbuf_fail(err, "no template");
	bad = u8_check((const uint8_t *)tmpl, strlen(tmpl));
	if (bad)
		return sbuf_fail(err, "invalid UTF-8 at %zu", (size_t)((const char *)bad - tmpl));

	while (*p) {
		size_t lit = strcspn(p, "{}");
		const char *name, *close;
		int f;

		if (raw)
			sbuf_add(raw, p, lit);
		p += lit;
		if (!*p)
			break;
		if (p[0] == '}') {
			if (p[1] != '}')
				return sbuf_fail(err, "unmatched '}' at %zu", (size_t)(p - tmpl));
			if (raw)
				sbuf_addch(raw, '}');
			p += 2;
			continue;
		}
		if (p[1] == '{') {
			if (raw)
				sbuf_addch(raw, '{');
			p += 2;
			continue;
		}
		name = p + 1;
		close = name + strcspn(name, "{}\n");
		if (*close != '}')
			return sbuf_fail(err, "unclosed '{' at %zu", (size_t)(p - tmpl));
		f = lookup(name, (size_t)(close - name));
		if (f < 0) {
			size_t n = (size_t)(close - name);

			if (n > TEMPLATE_ERR_NAME_MAX) {
				/* cut on a character boundary: err may be shown in UTF-8 */
				n = TEMPLATE_ERR_NAME_MAX;
				while (n > 0 && ((unsigned char)name[n] & 0xC0) == 0x80)
					n--;
				return sbuf_fail(err, "unknown placeholder '{%.*s…' at %zu", (int)n,
					    name, (size_t)(p - tmpl));
			}
			return sbuf_fail(err, "unknown placeholder '{%.*s}' at %zu", (int)n, name,
				    (size_t)(p - tmpl));
		}
		if (raw) {
			const char *val = field_value(v, f);

			if (val)
				sbuf_addstr(raw, val);
		}
		p = close + 1;
	}
	return 0;
}

static int is_trim(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * Appends s to out with runs of ASCII spaces collapsed to one, each line
 * trimmed of spaces at both ends, and the whole trimmed of whitespace.
 * Line breaks inside stay. Only ASCII bytes are looked at, so UTF-8
 * sequences pass unchanged.
 */
static void tidy(const char *s, size_t len, struct sbuf *out)
{
	size_t start = 0, end = len, i;
	int pending_space = 0, line_start = 1;

	while (start < end && is_trim(s[start]))
		start++;
	while (end > start && is_trim(s[end - 1]))
		end--;
	for (i = start; i < end; i++) {
		char c = s[i];

		if (c == ' ') {
			pending_space = !line_start;
			continue;
		}
		if (pending_space && c != '\n' && c != '\r')
			sbuf_addch(out, ' ');
		pending_space = 0;
		line_start = c == '\n';
		sbuf_addch(out, c);
	}
}

int template_validate(const char *tmpl, struct sbuf *err)
{
	return scan(tmpl, NULL, NULL, err);
}

int template_render(const char *tmpl, const struct template_values *v,
		    struct sbuf *out, struct sbuf *err)
{
	struct sbuf raw = SBUF_INIT;
	int ret = 0;

	if (scan(tmpl, v, &raw, err) < 0) {
		ret = -1;
		goto out;
	}
	tidy(raw.buf, raw.len, out);
out:
	sbuf_release(&raw);
	return ret;
}
