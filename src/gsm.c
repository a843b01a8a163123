/* SPDX-License-Identifier: MIT */
/*
 * DESIGN: every function checks the whole input with u8_check() first, so
 * the walks after it decode with u8_mbtouc() and never meet an invalid
 * sequence, and a failing call never leaves half its output behind.
 * Counting and splitting share one walk (gsm_segment) so that the
 * segment count a message is billed and stored with is always the number
 * of parts a provider would send.
 */
#include "budbringer/gsm.h"
#include "budbringer/log.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistr.h>

static const uint8_t *gsm_bytes(const char *utf8)
{
	return (const uint8_t *)utf8;
}

static int gsm_valid(const char *utf8, size_t len)
{
	return len == 0 || u8_check(gsm_bytes(utf8), len) == NULL;
}

/* Decodes the character at pos of a text already checked by u8_check. */
static size_t gsm_next(const char *utf8, size_t len, size_t pos, ucs4_t *c)
{
	return (size_t)u8_mbtouc(c, gsm_bytes(utf8) + pos, len - pos);
}

/*
 * Septets a character costs in GSM-7: 1 in the default alphabet, 2 in
 * the extension table (escape + code), 0 when GSM-7 cannot carry it.
 * The default alphabet has 127 characters (128 codes less the escape).
 */
static size_t gsm_septets(ucs4_t c)
{
	if (c >= 0x20 && c <= 0x7e) {
		switch (c) {
		case '`': /* not in GSM 03.38 at all */
			return 0;
		case '^': case '{': case '}': case '\\':
		case '[': case '~': case ']': case '|':
			return 2;
		default:
			return 1;
		}
	}
	switch (c) {
	case '\n': case '\r':
	case 0x00A1: /* ¡ */ case 0x00A3: /* £ */ case 0x00A4: /* ¤ */
	case 0x00A5: /* ¥ */ case 0x00A7: /* § */ case 0x00BF: /* ¿ */
	case 0x00C4: /* Ä */ case 0x00C5: /* Å */ case 0x00C6: /* Æ */
	case 0x00C7: /* Ç */ case 0x00C9: /* É */ case 0x00D1: /* Ñ */
	case 0x00D6: /* Ö */ case 0x00D8: /* Ø */ case 0x00DC: /* Ü */
	case 0x00DF: /* ß */
	case 0x00E0: /* à */ case 0x00E4: /* ä */ case 0x00E5: /* å */
	case 0x00E6: /* æ */ case 0x00E8: /* è */ case 0x00E9: /* é */
	case 0x00EC: /* ì */ case 0x00F1: /* ñ */ case 0x00F2: /* ò */
	case 0x00F6: /* ö */ case 0x00F8: /* ø */ case 0x00F9: /* ù */
	case 0x00FC: /* ü */
	case 0x0393: /* Γ */ case 0x0394: /* Δ */ case 0x0398: /* Θ */
	case 0x039B: /* Λ */ case 0x039E: /* Ξ */ case 0x03A0: /* Π */
	case 0x03A3: /* Σ */ case 0x03A6: /* Φ */ case 0x03A8: /* Ψ */
	case 0x03A9: /* Ω */
		return 1;
	case '\f':
	case 0x20AC: /* € */
		return 2;
	default:
		return 0;
	}
}

/*
 * The GSM-7 replacement of a character that GSM-7 cannot carry, or NULL
 * when none keeps the meaning. Only punctuation and spacing: a letter
 * with another diacritic is another letter (ş is not s in Turkish).
 */
static const char *gsm_translit(ucs4_t c)
{
	if (c >= 0x2000 && c <= 0x200A) /* en quad … hair space */
		return " ";
	if (c >= 0x2010 && c <= 0x2015) /* hyphen … horizontal bar */
		return "-";
	switch (c) {
	case '\t':
	case 0x00A0: /* no-break space */
	case 0x202F: /* narrow no-break space */
	case 0x205F: /* medium mathematical space */
	case 0x3000: /* ideographic space */
		return " ";
	case '`':
	case 0x00B4: /* acute accent */
	case 0x2018: case 0x2019: case 0x201A: case 0x201B: /* ‘ ’ ‚ ‛ */
	case 0x2032: /* prime */
	case 0x2039: case 0x203A: /* ‹ › */
		return "'";
	case 0x00AB: case 0x00BB: /* « » */
	case 0x201C: case 0x201D: case 0x201E: case 0x201F: /* “ ” „ ‟ */
	case 0x2033: /* double prime */
		return "\"";
	case 0x2212: /* minus sign */
		return "-";
	case 0x2026: /* … */
		return "...";
	case 0x00AD: /* soft hyphen */
	case 0x200B: /* zero width space */
	case 0x2060: /* word joiner */
	case 0xFEFF: /* BOM / zero width no-break space */
		return "";
	default:
		return NULL;
	}
}

static enum gsm_coding gsm_classify(const char *utf8, size_t len)
{
	size_t pos = 0;
	ucs4_t c;

	while (pos < len) {
		pos += gsm_next(utf8, len, pos, &c);
		if (!gsm_septets(c))
			return GSM_CODING_UCS2;
	}
	return GSM_CODING_GSM7;
}

static size_t gsm_cost(ucs4_t c, enum gsm_coding coding)
{
	if (coding == GSM_CODING_GSM7)
		return gsm_septets(c);
	return c >= 0x10000 ? 2 : 1; /* a surrogate pair in UTF-16 */
}

static size_t gsm_units(const char *utf8, size_t len, enum gsm_coding coding)
{
	size_t pos = 0, units = 0;
	ucs4_t c;

	while (pos < len) {
		pos += gsm_next(utf8, len, pos, &c);
		units += gsm_cost(c, coding);
	}
	return units;
}

/*
 * Counts the parts of a valid text under `coding` and stores the byte
 * offset where each starts in offsets[0 .. max_parts-1]. A character
 * that does not fit whole in the current part starts the next one.
 */
static size_t gsm_segment(const char *utf8, size_t len, enum gsm_coding coding,
			  size_t units, size_t *offsets, size_t max_parts)
{
	size_t single = coding == GSM_CODING_GSM7 ? GSM_SEPTETS_SINGLE : GSM_UCS2_SINGLE;
	size_t limit = coding == GSM_CODING_GSM7 ? GSM_SEPTETS_PART : GSM_UCS2_PART;
	size_t pos = 0, used = 0, nparts = 1;
	ucs4_t c;

	if (max_parts)
		offsets[0] = 0;
	if (units <= single)
		return 1;
	while (pos < len) {
		size_t start = pos, cost;

		pos += gsm_next(utf8, len, pos, &c);
		cost = gsm_cost(c, coding);
		if (used + cost > limit) {
			if (nparts < max_parts)
				offsets[nparts] = start;
			nparts++;
			used = 0;
		}
		used += cost;
	}
	return nparts;
}

int gsm_analyse(const char *utf8, size_t len, struct gsm_info *out)
{
	enum gsm_coding coding;
	size_t units, nparts;

	if (!gsm_valid(utf8, len))
		return -1;
	coding = gsm_classify(utf8, len);
	units = gsm_units(utf8, len, coding);
	nparts = gsm_segment(utf8, len, coding, units, NULL, 0);
	out->coding = coding;
	out->units = units;
	out->segments = nparts > UINT_MAX ? UINT_MAX : (unsigned)nparts;
	return 0;
}

int gsm_split(const char *utf8, size_t len, size_t *offsets, size_t max_parts,
	      size_t *nparts)
{
	enum gsm_coding coding;

	if (!gsm_valid(utf8, len))
		return -1;
	coding = gsm_classify(utf8, len);
	*nparts = gsm_segment(utf8, len, coding, gsm_units(utf8, len, coding),
			      offsets, max_parts);
	return *nparts > max_parts ? -2 : 0;
}

int gsm_transliterate(const char *utf8, size_t len, struct sbuf *out)
{
	size_t pos = 0, n;
	ucs4_t c;

	if (!gsm_valid(utf8, len))
		return -1;
	if (!len)
		return 0;
	while (pos < len) {
		pos += gsm_next(utf8, len, pos, &c);
		if (!gsm_septets(c) && !gsm_translit(c)) {
			/* UCS-2 anyway: replacing would only lose typography */
			sbuf_add(out, utf8, len);
			return 0;
		}
	}
	sbuf_grow(out, len);
	for (pos = 0; pos < len; pos += n) {
		n = gsm_next(utf8, len, pos, &c);
		if (gsm_septets(c))
			sbuf_add(out, utf8 + pos, n);
		else
			sbuf_addstr(out, gsm_translit(c));
	}
	return 0;
}

int gsm_to_ucs2be(const char *utf8, size_t len, struct sbuf *out)
{
	uint16_t stackbuf[GSM_UCS2_SINGLE * 4], *u16;
	size_t n16 = sizeof(stackbuf) / sizeof(stackbuf[0]), i;

	if (!gsm_valid(utf8, len))
		return -1;
	if (!len)
		return 0;
	u16 = u8_to_u16(gsm_bytes(utf8), len, stackbuf, &n16);
	if (!u16)
		fatal("out of memory converting %zu bytes to UTF-16", len);
	sbuf_grow(out, 2 * n16);
	for (i = 0; i < n16; i++) {
		sbuf_addch(out, u16[i] >> 8);
		sbuf_addch(out, u16[i] & 0xff);
	}
	if (u16 != stackbuf)
		free(u16);
	return 0;
}

int gsm_ucs2_culprits(const char *utf8, size_t len, struct sbuf *out, size_t max)
{
	ucs4_t seen[64];
	size_t pos = 0, n_seen = 0;
	int n = 0;
	ucs4_t c;

	if (!gsm_valid(utf8, len))
		return -1;
	while (pos < len) {
		size_t start = pos, k;

		pos += gsm_next(utf8, len, pos, &c);
		if (gsm_septets(c))
			continue;
		for (k = 0; k < n_seen && seen[k] != c; k++)
			;
		if (k < n_seen)
			continue;
		if (n_seen < sizeof(seen) / sizeof(seen[0]))
			seen[n_seen++] = c;
		else
			continue;   /* past 64 distinct ones the list says enough */
		if ((size_t)n++ >= max)
			continue;
		if (n > 1)
			sbuf_addch(out, ' ');
		/* What cannot be seen (controls, spaces, joiners) by its code. */
		if (c < 0x20 || (c >= 0x7f && c <= 0xa0) || c == 0xad || (c >= 0x2000 && c <= 0x200f) ||
		    (c >= 0x2028 && c <= 0x202f) || (c >= 0x205f && c <= 0x206f) || c == 0x3000 ||
		    c == 0xfeff)
			sbuf_addf(out, "U+%04X", (unsigned)c);
		else
			sbuf_add(out, utf8 + start, pos - start);
	}
	return n;
}

const char *gsm_coding_name(enum gsm_coding c)
{
	switch (c) {
	case GSM_CODING_GSM7:
		return "gsm7";
	case GSM_CODING_UCS2:
		return "ucs2";
	}
	return "unknown";
}
