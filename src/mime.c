/* SPDX-License-Identifier: MIT */
#include "budbringer/mime.h"

#include <stdarg.h>
#include <stdint.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <unistr.h>

#define LINE_SOFT	78	/* RFC 5322 "SHOULD" for header lines */
#define WORD_MAX	75	/* RFC 2047 limit for one encoded-word */
#define WORD_OVERHEAD	12	/* "=?UTF-8?B?" and "?=" */
#define BODY_LINE	76	/* RFC 2045 limit for QP and base64 lines */
#define HEADER_TEXT_MAX	2000	/* subject, display name */
#define HEADER_URL_MAX	900	/* keeps List-Unsubscribe lines under 998 */
#define URL_MAX		2000
#define RAW_NAME_MAX	64

static bool is_utf8(const char *s)
{
	return u8_check((const uint8_t *)s, strlen(s)) == NULL;
}

/* Header values: valid UTF-8 and no C0, DEL or C1 control (CR, LF, NEL…). */
static int check_header_text(const char *field, const char *s, struct sbuf *err)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t len = strlen(s), off = 0;

	if (len > HEADER_TEXT_MAX)
		return sbuf_fail(err, "%s is too long (%zu bytes, at most %d)", field, len,
			    HEADER_TEXT_MAX);
	if (u8_check(p, len))
		return sbuf_fail(err, "%s is not valid UTF-8", field);
	while (off < len) {
		ucs4_t c;
		int n = u8_mbtouc_unsafe(&c, p + off, len - off);

		if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0))
			return sbuf_fail(err, "%s contains a control character at byte %zu",
				    field, off);
		off += (size_t)n;
	}
	return 0;
}

/* Printable ASCII without spaces: no control character can hide in it. */
static int check_ascii_token(const char *field, const char *s, struct sbuf *err)
{
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			return sbuf_fail(err, "%s contains a control character at byte %zu",
				    field, (size_t)(p - s));
		if (c == ' ')
			return sbuf_fail(err, "%s contains a space", field);
		if (c > 0x7f)
			return sbuf_fail(err, "%s contains a non-ASCII byte", field);
	}
	return 0;
}

/* Deliberately minimal: one '@', something on each side, no specials. */
static int check_addr(const char *field, const char *a, struct sbuf *err)
{
	const char *at = NULL;

	if (!a || !*a)
		return sbuf_fail(err, "%s is missing", field);
	if (check_ascii_token(field, a, err))
		return -1;
	if (strlen(a) > 254)
		return sbuf_fail(err, "%s is too long", field);
	for (const char *p = a; *p; p++) {
		if (memchr("<>()[],;:\\\"", *p, 11))
			return sbuf_fail(err, "%s contains '%c'", field, *p);
		if (*p == '@') {
			if (at)
				return sbuf_fail(err, "%s contains more than one '@'", field);
			at = p;
		}
	}
	if (!at || at == a || !at[1])
		return sbuf_fail(err, "%s is not of the form local@domain", field);
	return 0;
}

int mime_addr_normalise(const char *in, char *out, size_t size)
{
	const char *at = strchr(in, '@');
	size_t n = strlen(in);

	if (!at || at == in || at - in > 64 || n > 254 || n + 1 > size || strchr(at + 1, '@') ||
	    !strchr(at + 1, '.') || at[1] == '.' || in[n - 1] == '.')
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		/* ASCII only, as check_addr() demands when the mail is built. */
		if (ch <= 0x20 || ch >= 0x7f || strchr("()<>,;:\\\"[]", ch))
			return -1;
		out[i] = in + i > at ? (char)tolower(ch) : (char)ch;
	}
	out[n] = '\0';
	return 0;
}

static int check_domain(const char *d, struct sbuf *err)
{
	size_t len;

	if (!d || !*d)
		return sbuf_fail(err, "domain is missing");
	if (check_ascii_token("domain", d, err))
		return -1;
	len = strlen(d);
	if (len > 253 || d[0] == '.' || d[len - 1] == '.' || strstr(d, ".."))
		return sbuf_fail(err, "domain '%s' is not a host name", d);
	for (const char *p = d; *p; p++)
		if (!(*p == '.' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return sbuf_fail(err, "domain '%s' is not a host name", d);
	return 0;
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/* BCP 47 shape only: 2-8 letters, then "-" and 1-8 alphanumerics. */
static bool lang_ok(const char *l)
{
	size_t n = 0;

	while (is_alpha(l[n]))
		n++;
	if (n < 2 || n > 8)
		return false;
	l += n;
	while (*l == '-') {
		l++;
		for (n = 0; is_alnum(l[n]); n++)
			;
		if (n < 1 || n > 8)
			return false;
		l += n;
	}
	return *l == '\0';
}

static bool is_rtl(const char *lang)
{
	static const char *const rtl[] = {
		"ar", "fa", "he", "iw", "ur", "ps", "yi", "dv", "ckb", "sd", "ug",
	};
	size_t n;

	if (!lang)
		return false;
	n = strcspn(lang, "-");
	for (size_t i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
		if (strlen(rtl[i]) == n && !strncasecmp(lang, rtl[i], n))
			return true;
	return false;
}

bool mime_is_http_url(const char *url)
{
	size_t skip;

	if (!url)
		return false;
	if (!strncasecmp(url, "https://", 8))
		skip = 8;
	else if (!strncasecmp(url, "http://", 7))
		skip = 7;
	else
		return false;
	if (url[skip] == '\0' || url[skip] == '/' || strlen(url) > URL_MAX)
		return false;
	for (const char *p = url; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"' || c == '`' ||
		    c == '\\')
			return false;
	}
	return true;
}

/*
 * Appends s as B encoded-words. Each word is preceded by a space, or by a
 * fold when it would not fit on the current line; *col is the column the
 * current line has reached. Words carry whole characters only, so every
 * word decodes to valid UTF-8 by itself.
 */
static int encode_words(const char *s, size_t len, size_t *col, struct sbuf *out)
{
	const uint8_t *p = (const uint8_t *)s;

	if (u8_check(p, len))
		return -1;
	while (len) {
		size_t avail = *col + 1 < LINE_SOFT ? LINE_SOFT - *col - 1 : 0;
		size_t cap, take = 0;
		unsigned char b64[64];
		int n;

		if (avail > WORD_MAX)
			avail = WORD_MAX;
		cap = avail > WORD_OVERHEAD ? (avail - WORD_OVERHEAD) / 4 * 3 : 0;
		while (take < len) {
			int cl = u8_mblen(p + take, len - take);

			if (cl <= 0 || take + (size_t)cl > cap)
				break;
			take += (size_t)cl;
		}
		if (take == 0) {
			/* A fresh line always has room for 45 bytes. */
			sbuf_addstr(out, "\r\n");
			*col = 0;
			continue;
		}
		n = EVP_EncodeBlock(b64, p, (int)take);
		sbuf_addf(out, " =?UTF-8?B?%.*s?=", n, (const char *)b64);
		*col += 1 + WORD_OVERHEAD + (size_t)n;
		p += take;
		len -= take;
	}
	return 0;
}

int mime_encode_header_word(const char *utf8, struct sbuf *out)
{
	struct sbuf tmp = SBUF_INIT;
	size_t col = 0;
	int ret = -1;

	if (encode_words(utf8, strlen(utf8), &col, &tmp))
		goto out;
	/* encode_words starts every word with a space; drop the first one. */
	if (tmp.len)
		sbuf_add(out, tmp.buf + 1, tmp.len - 1);
	ret = 0;
out:
	sbuf_release(&tmp);
	return ret;
}

/*
 * Plain ASCII text that can go out as is, folded before spaces: no "=?"
 * (a decoder would take it for an encoded-word), no leading or trailing
 * space (unfolding would lose it), and no run that cannot fit on a line.
 */
static bool raw_foldable(const char *s)
{
	size_t seg = 0;

	if (!*s || s[0] == ' ' || s[strlen(s) - 1] == ' ' || strstr(s, "=?"))
		return false;
	for (const char *p = s; *p; p++) {
		if (*p < 0x20 || *p > 0x7e)
			return false;
		if (*p == ' ' && p[-1] != ' ')
			seg = 0;
		if (++seg > LINE_SOFT - 1)
			return false;
	}
	return true;
}

static void add_raw_folded(struct sbuf *out, size_t *col, const char *s)
{
	const char *p = s;
	bool first = true;

	while (*p) {
		const char *start = p;
		size_t n;

		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
		n = (size_t)(p - start) + (first ? 1 : 0);
		if (*col + n > LINE_SOFT) {
			/* Folding before a space keeps that space when unfolded. */
			sbuf_addstr(out, "\r\n");
			*col = 0;
		}
		if (first)
			sbuf_addch(out, ' ');
		sbuf_add(out, start, (size_t)(p - start));
		*col += n;
		first = false;
	}
}

static void add_subject(struct sbuf *out, const char *s)
{
	size_t col = strlen("Subject:");

	sbuf_addstr(out, "Subject:");
	if (raw_foldable(s))
		add_raw_folded(out, &col, s);
	else
		encode_words(s, strlen(s), &col, out);	/* checked by validate() */
	sbuf_addstr(out, "\r\n");
}

/* Letters, digits and single inner spaces read the same in every parser. */
static bool raw_name(const char *s)
{
	size_t len = strlen(s);

	if (len > RAW_NAME_MAX || s[0] == ' ' || s[len - 1] == ' ' || strstr(s, "  "))
		return false;
	for (const char *p = s; *p; p++)
		if (!is_alnum(*p) && *p != ' ')
			return false;
	return true;
}

static void add_from(struct sbuf *out, const char *name, const char *addr)
{
	size_t col = strlen("From:");

	sbuf_addstr(out, "From:");
	if (name && *name) {
		if (raw_name(name)) {
			sbuf_addf(out, " %s", name);
			col += 1 + strlen(name);
		} else {
			encode_words(name, strlen(name), &col, out);
		}
		if (col + strlen(addr) + 3 > LINE_SOFT)
			sbuf_addstr(out, "\r\n");
		sbuf_addf(out, " <%s>\r\n", addr);
	} else {
		sbuf_addf(out, " %s\r\n", addr);
	}
}

static int add_date(struct sbuf *out, time_t t)
{
	static const char *const wday[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
	};
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun",
		"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
	};
	struct tm tm;

	/* strftime's %a and %b follow the locale; RFC 5322 wants English. */
	if (!gmtime_r(&t, &tm) || tm.tm_year < 0 || tm.tm_year > 9999 - 1900 ||
	    tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
		return -1;
	sbuf_addf(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
		    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
	return 0;
}

static int random_hex(char *out, size_t nbytes)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[32];

	if (nbytes > sizeof(r) || RAND_bytes(r, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
	return 0;
}

/*
 * The Message-ID's first 12 hex digits: the time in milliseconds (as in a
 * UUIDv7; 80 random bits follow). It is the indexed provider_msgid: random
 * keys put each insert on another page of that index, and writing those at
 * each commit took a sixth of the daemon's CPU when sending a campaign.
 */
static void msgid_time(char out[12])
{
	static const char hex[] = "0123456789abcdef";
	struct timespec ts;
	unsigned long long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (unsigned long long)ts.tv_sec * 1000 + (unsigned long long)ts.tv_nsec / 1000000;
	for (int i = 11; i >= 0; i--, ms >>= 4)
		out[i] = hex[ms & 15];
}

static int add_list_unsubscribe(struct sbuf *out, const struct mime_mail *m,
				struct sbuf *err)
{
	const char *url = m->unsubscribe_url, *mt = m->unsubscribe_mailto;
	size_t col;

	if (url && *url) {
		if (check_ascii_token("unsubscribe_url", url, err))
			return -1;
		if (!mime_is_http_url(url) || strlen(url) > HEADER_URL_MAX)
			return sbuf_fail(err, "unsubscribe_url is not an http(s) URL of at most %d bytes",
				    HEADER_URL_MAX);
	}
	if (mt && *mt) {
		if (check_ascii_token("unsubscribe_mailto", mt, err))
			return -1;
		if (!strncasecmp(mt, "mailto:", 7))
			mt += 7;
		if (!*mt || strlen(mt) > HEADER_URL_MAX || strpbrk(mt, "<>\",") ||
		    !strchr(mt, '@'))
			return sbuf_fail(err, "unsubscribe_mailto is not a mailto address");
	}
	if (!(url && *url) && !(mt && *mt))
		return 0;

	sbuf_addstr(out, "List-Unsubscribe:");
	col = strlen("List-Unsubscribe:");
	if (url && *url) {
		sbuf_addf(out, " <%s>", url);
		col += strlen(url) + 3;
	}
	if (mt && *mt) {
		if (url && *url) {
			sbuf_addch(out, ',');
			col++;
		}
		if (col + strlen(mt) + 10 > LINE_SOFT)
			sbuf_addstr(out, "\r\n");
		sbuf_addf(out, " <mailto:%s>", mt);
	}
	sbuf_addstr(out, "\r\n");
	if (url && *url)
		sbuf_addstr(out, "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n");
	return 0;
}

/* Room for n more bytes: the encoders write straight into the buffer and
 * done() sets its length (an sbuf call a character was most of the work). */
static char *reserve(struct sbuf *out, size_t n)
{
	sbuf_grow(out, n);
	return out->buf + out->len;
}

static void done(struct sbuf *out, const char *end)
{
	out->len = (size_t)(end - out->buf);
	out->buf[out->len] = '\0';
}

/* Any of CRLF, LF or a lone CR becomes CRLF: text parts travel in canonical form. */
static void to_crlf(const char *s, struct sbuf *out)
{
	size_t len = strlen(s);
	char *w = reserve(out, 2 * len);

	while (*s) {
		size_t run = strcspn(s, "\r\n");

		memcpy(w, s, run);
		w += run;
		s += run;
		if (!*s)
			break;
		if (s[0] == '\r' && s[1] == '\n')
			s++;
		s++;
		*w++ = '\r';
		*w++ = '\n';
	}
	done(out, w);
}

/* RFC 2045 6.7; s holds CRLF line ends only. Soft breaks keep lines at 76. */
static void qp_encode(const char *s, size_t len, struct sbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0, need = len;
	char *w;

	/* An upper bound: the bytes that may become "=XX", and a soft break
	 * ("=" CRLF) per 72 characters of the result. */
	for (size_t i = 0; i < len; i++)
		if (!(s[i] >= 33 && s[i] <= 126 && s[i] != '='))
			need += 2;
	w = reserve(out, need + 3 * (need / 72 + 1));

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		bool eol = i + 1 == len || s[i + 1] == '\r';
		size_t tl = 1;

		if (c == '\r' && i + 1 < len && s[i + 1] == '\n') {
			*w++ = '\r';
			*w++ = '\n';
			col = 0;
			i++;
			continue;
		}
		if (!((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !eol)))
			tl = 3;
		if (col + tl > BODY_LINE - 1) {
			memcpy(w, "=\r\n", 3);
			w += 3;
			col = 0;
		}
		if (tl == 1) {
			*w++ = (char)c;
		} else {
			*w++ = '=';
			*w++ = hex[c >> 4];
			*w++ = hex[c & 15];
		}
		col += tl;
	}
	done(out, w);
}

static void b64_encode(const char *s, size_t len, struct sbuf *out)
{
	/* 57 input bytes make one 76-character line (and EVP_EncodeBlock's NUL). */
	char *w = reserve(out, (len / 57 + 1) * (BODY_LINE + 2) + 1);

	for (size_t off = 0; off < len; off += 57) {
		size_t n = len - off < 57 ? len - off : 57;

		if (off) {
			*w++ = '\r';
			*w++ = '\n';
		}
		w += EVP_EncodeBlock((unsigned char *)w, (const unsigned char *)s + off, (int)n);
	}
	done(out, w);
}

/* crlf: a working buffer, overwritten. */
static void add_part(struct sbuf *out, const char *boundary, const char *type,
		     const char *content, struct sbuf *crlf)
{
	size_t high = 0;

	sbuf_reset(crlf);
	to_crlf(content, crlf);
	for (size_t i = 0; i < crlf->len; i++)
		high += (unsigned char)crlf->buf[i] >= 0x80;
	/*
	 * Latin-script text (Danish, Turkish, Polish) stays below a third of
	 * non-ASCII bytes even when dense with diacritics and stays readable
	 * as QP; Arabic, Urdu or Cyrillic text is mostly two-byte letters and
	 * is a third smaller in base64 than in QP.
	 */
	sbuf_addf(out, "--%s\r\nContent-Type: %s; charset=UTF-8\r\n", boundary, type);
	if (high * 3 > crlf->len) {
		sbuf_addstr(out, "Content-Transfer-Encoding: base64\r\n\r\n");
		b64_encode(crlf->buf, crlf->len, out);
	} else {
		sbuf_addstr(out, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		qp_encode(crlf->buf, crlf->len, out);
	}
	sbuf_addstr(out, "\r\n");
}

static void default_text(const struct mime_mail *m, struct sbuf *out)
{
	const char *sep = "";

	if (m->title && *m->title) {
		sbuf_addf(out, "%s%s\n", sep, m->title);
		sep = "\n";
	}
	if (m->summary && *m->summary) {
		sbuf_addf(out, "%s%s\n", sep, m->summary);
		sep = "\n";
	}
	if (mime_is_http_url(m->url)) {
		sbuf_addf(out, "%s%s\n", sep, m->url);
		sep = "\n";
	}
	if (mime_is_http_url(m->unsubscribe_url))
		sbuf_addf(out, "%s-- \n%s: %s\n", sep,
			    m->unsubscribe_label ? m->unsubscribe_label : "Unsubscribe",
			    m->unsubscribe_url);
}

static int validate(const struct mime_mail *m, struct sbuf *err)
{
	const struct {
		const char *name, *value;
	} body[] = {
		{ "text", m->text }, { "html", m->html }, { "title", m->title },
		{ "summary", m->summary }, { "url", m->url },
		{ "button_label", m->button_label },
		{ "unsubscribe_label", m->unsubscribe_label },
	};

	if (check_addr("from_addr", m->from_addr, err) ||
	    check_addr("to_addr", m->to_addr, err) ||
	    check_domain(m->domain, err))
		return -1;
	if (m->from_name && check_header_text("from_name", m->from_name, err))
		return -1;
	if (m->subject && check_header_text("subject", m->subject, err))
		return -1;
	if (m->lang) {
		if (check_ascii_token("lang", m->lang, err))
			return -1;
		if (!lang_ok(m->lang))
			return sbuf_fail(err, "lang '%s' is not a language tag", m->lang);
	}
	for (size_t i = 0; i < sizeof(body) / sizeof(body[0]); i++)
		if (body[i].value && !is_utf8(body[i].value))
			return sbuf_fail(err, "%s is not valid UTF-8", body[i].name);
	return 0;
}

int mime_build(const struct mime_mail *m, struct sbuf *out,
	       char *message_id_out, size_t msgid_size, struct sbuf *err)
{
	struct mime_scratch own = MIME_SCRATCH_INIT, *sc = m->scratch ? m->scratch : &own;
	struct sbuf text = SBUF_INIT;
	const char *text_s = m->text, *html_s = m->html;
	size_t start = out->len;
	char rnd[65], id[33], boundary[64];
	int ret = -1;

	if (validate(m, err))
		goto out;
	/* "=_" cannot occur in QP (a '=' there is always "=XX" or "=CRLF") nor in
	 * base64. One call for both: each costs a lock and a fork check. */
	if (random_hex(rnd, 32)) {
		sbuf_fail(err, "cannot get random bytes");
		goto out;
	}
	msgid_time(id);
	memcpy(id + 12, rnd + 12, 20);
	id[32] = '\0';
	memcpy(boundary, "=_bb", 4);
	memcpy(boundary + 4, rnd + 32, 33);
	if (!text_s) {
		default_text(m, &text);
		text_s = text.buf;
	}
	if (!html_s) {
		sbuf_reset(&sc->part);
		sbuf_grow(&sc->part, 1536);
		mime_html_default(m, &sc->part);
		html_s = sc->part.buf;
	}
	/* Written straight into out (cut back on failure), in one allocation
	 * for the usual message: the headers take under 1 KB plus what their
	 * values need encoded, base64 and mostly-ASCII QP under 3/2 of the text. */
	sbuf_grow(out, 1024 + 2 * (strlen(m->subject ? m->subject : "") +
				   strlen(m->from_name ? m->from_name : "")) +
			   (m->unsubscribe_url ? strlen(m->unsubscribe_url) : 0) +
			   (strlen(text_s) + strlen(html_s)) * 3 / 2);
	if (add_date(out, m->date ? m->date : time(NULL))) {
		sbuf_fail(err, "date is out of range");
		goto out;
	}
	add_from(out, m->from_name, m->from_addr);
	sbuf_addf(out, "To: %s\r\n", m->to_addr);
	add_subject(out, m->subject ? m->subject : "");
	sbuf_addf(out, "Message-ID: <%s@%s>\r\n", id, m->domain);
	if (message_id_out &&
	    bsnprintf(message_id_out, msgid_size, "<%s@%s>", id, m->domain)) {
		sbuf_fail(err, "message id buffer too small");
		goto out;
	}
	sbuf_addstr(out, "MIME-Version: 1.0\r\n");
	if (m->lang)
		sbuf_addf(out, "Content-Language: %s\r\n", m->lang);
	if (add_list_unsubscribe(out, m, err))
		goto out;
	if (m->bulk)
		sbuf_addstr(out, "Auto-Submitted: auto-generated\r\nPrecedence: bulk\r\n");
	sbuf_addf(out, "Content-Type: multipart/alternative;\r\n boundary=\"%s\"\r\n\r\n",
		    boundary);
	add_part(out, boundary, "text/plain", text_s, &sc->crlf);
	add_part(out, boundary, "text/html", html_s, &sc->crlf);
	sbuf_addf(out, "--%s--\r\n", boundary);
	ret = 0;
out:
	if (ret) {
		out->len = start;
		if (out->alloc)
			out->buf[start] = '\0';
	}
	sbuf_release(&text);
	mime_scratch_release(&own);
	return ret;
}

void mime_scratch_release(struct mime_scratch *s)
{
	sbuf_release(&s->part);
	sbuf_release(&s->crlf);
}

/* Escapes the first len bytes of s, copying the runs between specials. */
static void escape_n(const char *s, size_t len, struct sbuf *out)
{
	const char *end = s + len, *run = s;

	for (; s < end; s++) {
		const char *rep;
		size_t n;

		switch (*s) {
		case '&': rep = "&amp;"; n = 5; break;
		case '<': rep = "&lt;"; n = 4; break;
		case '>': rep = "&gt;"; n = 4; break;
		case '"': rep = "&quot;"; n = 6; break;
		case '\'': rep = "&#39;"; n = 5; break;
		default: continue;
		}
		sbuf_add(out, run, (size_t)(s - run));
		sbuf_add(out, rep, n);
		run = s + 1;
	}
	sbuf_add(out, run, (size_t)(end - run));
}

void mime_html_escape(const char *s, struct sbuf *out)
{
	if (s)
		escape_n(s, strlen(s), out);
}

/* Escaped, with each line end (CRLF, LF or CR) as <br>. */
static void html_lines(const char *s, struct sbuf *out)
{
	for (;;) {
		size_t run = strcspn(s, "\r\n");

		escape_n(s, run, out);
		s += run;
		if (!*s)
			break;
		if (s[0] == '\r' && s[1] == '\n')
			s++;
		s++;
		sbuf_add(out, "<br>\n", 5);
	}
}

void mime_html_default(const struct mime_mail *m, struct sbuf *out)
{
	const char *lang = m->lang && lang_ok(m->lang) ? m->lang : NULL;
	const char *body = m->summary && *m->summary ? m->summary : m->text;

	sbuf_addstr(out, "<!DOCTYPE html>\n<html");
	if (lang)
		sbuf_addf(out, " lang=\"%s\"", lang);	/* lang_ok: letters, digits, '-' */
	sbuf_addf(out, " dir=\"%s\">\n<head>\n<meta charset=\"UTF-8\">\n"
		    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		    "<title>", is_rtl(lang) ? "rtl" : "ltr");
	mime_html_escape(m->title, out);
	sbuf_addstr(out, "</title>\n</head>\n<body style=\"margin:0;padding:24px;"
		      "font-family:Arial,Helvetica,sans-serif;font-size:16px;"
		      "line-height:1.5;color:#1a1a1a;background:#ffffff\">\n");
	if (m->title && *m->title) {
		sbuf_addstr(out, "<h1 style=\"font-size:22px;margin:0 0 16px\">");
		mime_html_escape(m->title, out);
		sbuf_addstr(out, "</h1>\n");
	}
	if (body && *body) {
		sbuf_addstr(out, "<p style=\"margin:0 0 16px\">");
		html_lines(body, out);
		sbuf_addstr(out, "</p>\n");
	}
	if (mime_is_http_url(m->url)) {
		sbuf_addstr(out, "<p style=\"margin:24px 0\"><a href=\"");
		mime_html_escape(m->url, out);
		sbuf_addstr(out, "\" style=\"display:inline-block;padding:12px 24px;"
			      "background:#00587a;color:#ffffff;text-decoration:none;"
			      "border-radius:4px;font-weight:bold\">");
		mime_html_escape(m->button_label ? m->button_label : "Read more", out);
		sbuf_addstr(out, "</a></p>\n");
	}
	if (mime_is_http_url(m->unsubscribe_url)) {
		sbuf_addstr(out, "<p style=\"margin:32px 0 0;font-size:13px;color:#555555\">"
			      "<a href=\"");
		mime_html_escape(m->unsubscribe_url, out);
		sbuf_addstr(out, "\" style=\"color:#555555\">");
		mime_html_escape(m->unsubscribe_label ? m->unsubscribe_label : "Unsubscribe", out);
		sbuf_addstr(out, "</a></p>\n");
	}
	sbuf_addstr(out, "</body>\n</html>\n");
}
