/* SPDX-License-Identifier: MIT */
#include "budbringer/mime_read.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <unistr.h>

const char *mime_read_line(const char *p, const char *end, size_t *len)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *stop = nl ? nl : end;

	*len = (size_t)(stop - p);
	if (*len && p[*len - 1] == '\r')
		(*len)--;
	return nl ? nl + 1 : end;
}

bool mime_read_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

void mime_read_lower(char *s)
{
	for (; *s; s++)
		*s = lower(*s);
}

bool mime_read_prefix_ci(const char *s, size_t n, const char *pre)
{
	size_t pl = strlen(pre);

	return n >= pl && !strncasecmp(s, pre, pl);
}

/* A field name: printable ASCII up to the colon, blanks allowed before it. */
static bool name_ok(const char *p, const char *colon)
{
	while (colon > p && mime_read_is_wsp(colon[-1]))
		colon--;
	if (colon == p)
		return false;
	for (; p < colon; p++)
		if ((unsigned char)*p <= 32 || (unsigned char)*p >= 127)
			return false;
	return true;
}

/* Headers up to the first empty line, the body after it. */
void mime_read_split(struct mime_span e, struct mime_span *hdr, struct mime_span *body)
{
	const char *p = e.p, *end = e.p + e.n;

	while (p < end) {
		size_t n;
		const char *next = mime_read_line(p, end, &n);

		if (n == 0) {
			*hdr = (struct mime_span){ e.p, (size_t)(p - e.p) };
			*body = (struct mime_span){ next, (size_t)(end - next) };
			return;
		}
		p = next;
	}
	*hdr = e;
	*body = (struct mime_span){ end, 0 };
}

/* The next field of a header block; lines that are not fields are skipped. */
bool mime_read_field(const char **pp, const char *end, struct mime_span *name,
		       struct mime_span *value)
{
	const char *p = *pp;

	while (p < end) {
		size_t n, m;
		const char *next = mime_read_line(p, end, &n), *colon, *vend, *q;

		colon = n ? memchr(p, ':', n) : NULL;
		if (!colon || mime_read_is_wsp(*p) || !name_ok(p, colon)) {
			p = next;
			continue;
		}
		*name = (struct mime_span){ p, (size_t)(colon - p) };
		while (name->n && mime_read_is_wsp(name->p[name->n - 1]))
			name->n--;
		vend = p + n;
		for (q = next; q < end && mime_read_is_wsp(*q); q = next) {
			next = mime_read_line(q, end, &m);
			vend = q + m;
		}
		*value = (struct mime_span){ colon + 1, (size_t)(vend - colon - 1) };
		*pp = q;
		return true;
	}
	*pp = end;
	return false;
}

/* The value without folds: controls (NUL too) as blanks, runs of blanks as
 * one space, trimmed, cut to size. Returns the length. */
size_t mime_read_unfold(struct mime_span v, char *out, size_t size)
{
	size_t o = 0;
	bool blank = false;

	for (size_t i = 0; i < v.n; i++) {
		unsigned char c = (unsigned char)v.p[i];

		if (c <= 32 || c == 127) {
			blank = true;
			continue;
		}
		if (o + 2 >= size)
			break;
		if (blank && o)
			out[o++] = ' ';
		blank = false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return o;
}

bool mime_read_name_is(struct mime_span name, const char *want)
{
	return name.n == strlen(want) && !strncasecmp(name.p, want, name.n);
}

bool mime_read_header(struct mime_span hdr, const char *want, char *out, size_t size)
{
	const char *p = hdr.p;
	struct mime_span name, value;

	while (mime_read_field(&p, hdr.p + hdr.n, &name, &value))
		if (mime_read_name_is(name, want)) {
			mime_read_unfold(value, out, size);
			return true;
		}
	out[0] = '\0';
	return false;
}

/*
 * UTF-8 for the report: bytes that are not UTF-8 are read as Latin-1 (the
 * usual unlabelled 8-bit text), controls become blanks, blanks collapse,
 * and the result is cut on a character boundary to fit size (>= 1).
 */
void mime_read_clean(char *out, size_t size, const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, o = 0;
	bool blank = false;

	while (i < n) {
		uint8_t enc[6];
		ucs4_t c;
		int l = u8_mbtoucr(&c, p + i, n - i), el;

		if (l <= 0) {
			c = p[i];
			l = 1;
		}
		i += (size_t)l;
		if (c <= 0x20 || c == 0x7f || (c >= 0x80 && c <= 0xa0)) {
			blank = true;
			continue;
		}
		el = u8_uctomb(enc, c, (int)sizeof(enc));
		if (el <= 0)
			continue;
		if (o + (blank && o) + (size_t)el + 1 > size)
			break;
		if (blank && o)
			out[o++] = ' ';
		blank = false;
		memcpy(out + o, enc, (size_t)el);
		o += (size_t)el;
	}
	out[o] = '\0';
}

/* RFC 2045 Content-Type: a type and ;-separated parameters, quoted or not. */
void mime_read_ctype(const char *v, struct mime_ctype *ct)
{
	const char *p = v;
	size_t n;

	memset(ct, 0, sizeof(*ct));
	while (*p == ' ')
		p++;
	n = strcspn(p, "; (");
	if (n < sizeof(ct->type) && memchr(p, '/', n)) {
		memcpy(ct->type, p, n);
		mime_read_lower(ct->type);
	} else {
		memcpy(ct->type, "text/plain", sizeof("text/plain"));
	}
	while ((p = strchr(p, ';')) != NULL) {
		char name[32], val[256];
		size_t nl, vl = 0;

		p++;
		while (*p == ' ')
			p++;
		nl = strcspn(p, "=; ");
		if (p[nl] != '=' && !(p[nl] == ' ' && p[nl + 1] == '='))
			continue;
		if (nl >= sizeof(name))
			nl = sizeof(name) - 1;
		memcpy(name, p, nl);
		name[nl] = '\0';
		p = strchr(p, '=') + 1;
		while (*p == ' ')
			p++;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (vl + 1 < sizeof(val))
					val[vl++] = *p;
			}
		} else {
			for (; *p && *p != ';' && *p != ' '; p++)
				if (vl + 1 < sizeof(val))
					val[vl++] = *p;
		}
		val[vl] = '\0';
		if (!strcasecmp(name, "boundary") && vl < sizeof(ct->boundary))
			memcpy(ct->boundary, val, vl + 1);
		else if (!strcasecmp(name, "report-type") && vl < sizeof(ct->report_type)) {
			memcpy(ct->report_type, val, vl + 1);
			mime_read_lower(ct->report_type);
		}
	}
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Tolerant: line breaks and stray bytes are skipped, padding restarts. */
static void b64_decode(struct mime_span in, struct sbuf *out)
{
	unsigned acc = 0;
	int bits = 0;

	for (size_t i = 0; i < in.n; i++) {
		int v = b64_value((unsigned char)in.p[i]);

		if (in.p[i] == '=') {
			acc = 0;
			bits = 0;
			continue;
		}
		if (v < 0)
			continue;
		acc = (acc << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sbuf_addch(out, (int)((acc >> bits) & 0xff));
		}
	}
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2045 6.7; q: RFC 2047 "Q", where '_' is a space. */
static void qp_decode(struct mime_span in, struct sbuf *out, bool q)
{
	for (size_t i = 0; i < in.n; i++) {
		char c = in.p[i];
		size_t j;

		if (c == '_' && q) {
			sbuf_addch(out, ' ');
			continue;
		}
		if (c != '=') {
			sbuf_addch(out, c);
			continue;
		}
		if (i + 2 < in.n && hex_value(in.p[i + 1]) >= 0 && hex_value(in.p[i + 2]) >= 0) {
			sbuf_addch(out, hex_value(in.p[i + 1]) * 16 + hex_value(in.p[i + 2]));
			i += 2;
			continue;
		}
		/* A soft line break, blanks before it allowed. */
		for (j = i + 1; j < in.n && mime_read_is_wsp(in.p[j]); j++)
			;
		if (j < in.n && (in.p[j] == '\r' || in.p[j] == '\n')) {
			if (in.p[j] == '\r' && j + 1 < in.n && in.p[j + 1] == '\n')
				j++;
			i = j;
			continue;
		}
		sbuf_addch(out, '=');
	}
}

void mime_read_body(struct mime_span hdr, struct mime_span body, struct sbuf *out)
{
	char cte[64];

	mime_read_header(hdr, "Content-Transfer-Encoding", cte, sizeof(cte));
	mime_read_lower(cte);
	if (!strncmp(cte, "base64", 6))
		b64_decode(body, out);
	else if (!strncmp(cte, "quoted-printable", 16))
		qp_decode(body, out, false);
	else
		sbuf_add(out, body.p, body.n);
}

static bool is_latin1_charset(const char *cs, size_t n)
{
	return mime_read_prefix_ci(cs, n, "iso-8859-") || mime_read_prefix_ci(cs, n, "windows-125") ||
	       mime_read_prefix_ci(cs, n, "latin") || mime_read_prefix_ci(cs, n, "cp125");
}

/*
 * RFC 2047 encoded-words to UTF-8 (Latin-1 family charsets converted, the
 * rest taken as they come); the blanks between two words are dropped.
 */
void mime_read_words(const char *s, struct sbuf *out)
{
	const char *p = s;
	size_t pending = 0;
	bool after_word = false;

	while (*p) {
		const char *q1, *q2, *q3, *e;
		struct sbuf raw = SBUF_INIT;

		if (p[0] != '=' || p[1] != '?' || !(q1 = strchr(p + 2, '?')) ||
		    !q1[1] || q1[2] != '?' || !(q3 = strstr(q1 + 3, "?="))) {
			if (*p == ' ') {
				pending++;
			} else {
				for (; pending; pending--)
					sbuf_addch(out, ' ');
				sbuf_addch(out, *p);
				after_word = false;
			}
			p++;
			continue;
		}
		q2 = q1 + 1;
		e = q3;
		if (!after_word)
			for (; pending; pending--)
				sbuf_addch(out, ' ');
		pending = 0;
		if (lower(*q2) == 'b')
			b64_decode((struct mime_span){ q1 + 3, (size_t)(e - q1 - 3) }, &raw);
		else
			qp_decode((struct mime_span){ q1 + 3, (size_t)(e - q1 - 3) }, &raw, true);
		if (is_latin1_charset(p + 2, (size_t)(q1 - p - 2))) {
			for (size_t i = 0; i < raw.len; i++) {
				unsigned char c = (unsigned char)raw.buf[i];

				if (c < 0x80) {
					sbuf_addch(out, c);
				} else {
					sbuf_addch(out, 0xc0 | c >> 6);
					sbuf_addch(out, 0x80 | (c & 0x3f));
				}
			}
		} else {
			sbuf_add(out, raw.buf, raw.len);
		}
		sbuf_release(&raw);
		after_word = true;
		p = q3 + 2;
	}
}
bool mime_read_is_field(const char *p, size_t n)
{
	const char *colon = n ? memchr(p, ':', n) : NULL;

	return colon && !mime_read_is_wsp(*p) && name_ok(p, colon);
}
