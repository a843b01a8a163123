/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_GSM_H
#define BUDBRINGER_GSM_H

/*
 * SMS text encoding (3GPP TS 23.038, formerly GSM 03.38). Pure: no I/O,
 * no global state; every function may be called from any thread.
 *
 * Input is UTF-8 given as pointer and byte length (it need not be
 * NUL-terminated; utf8 may be NULL when len is 0). Invalid UTF-8
 * (overlong forms, encoded surrogates, code points above U+10FFFF,
 * truncated sequences) makes every function return -1 without touching
 * its output.
 *
 * Coding: a text whose every character is in the GSM 7-bit default
 * alphabet or its extension table goes as GSM-7; anything else
 * (Polish ą ł, Turkish ş ğ ı, Arabic, Urdu, emoji, U+0000, tab …) forces
 * UCS-2 for the whole message. Danish æ ø å Æ Ø Å, and é ü Ä Ö Ñ ß …
 * are in the basic table. The extension characters ^ { } \ [ ~ ] | €
 * and form feed cost two septets (escape + code).
 *
 * Segments: GSM-7 fits 160 septets in one SMS, 153 per part when
 * concatenated; UCS-2 fits 70 UTF-16 units, 67 per part. A part never
 * ends between the two septets of an extension character nor between
 * the two halves of a surrogate pair (a character outside the BMP such
 * as an emoji); such a character moves whole to the next part, which
 * may make a text need more parts than units / 153 (or 67) suggests.
 *
 * The empty text is GSM-7, 0 units, 1 segment (it is still one SMS).
 */

#include <stddef.h>

#include "budbringer/sbuf.h"

#define GSM_SEPTETS_SINGLE 160 /* septets in an unconcatenated SMS */
#define GSM_SEPTETS_PART 153   /* septets per part (the rest holds the UDH) */
#define GSM_UCS2_SINGLE 70     /* UTF-16 units in an unconcatenated SMS */
#define GSM_UCS2_PART 67       /* UTF-16 units per part */

enum gsm_coding { GSM_CODING_GSM7, GSM_CODING_UCS2 };

struct gsm_info {
	enum gsm_coding coding;
	size_t units;      /* septets for GSM-7, UTF-16 code units for UCS-2 */
	unsigned segments; /* at least 1; saturates at UINT_MAX */
};

/*
 * Decides the coding of a text and counts its units and segments.
 * Returns 0, or -1 on invalid UTF-8 (*out untouched).
 */
int gsm_analyse(const char *utf8, size_t len, struct gsm_info *out);

/*
 * Appends to out a copy of the text in which characters outside GSM-7
 * are replaced by GSM-7 equivalents that keep the meaning (config
 * sms.gsm_transliterate): curly and angle quotes, primes and the grave
 * and acute accents become ' or ", hyphens, en/em dashes and the minus
 * sign become '-', '…' becomes "...", no-break and other Unicode spaces
 * and tab become ' ', and invisible soft hyphen, zero-width space, word
 * joiner and BOM are dropped. Letters are never changed (ş stays ş).
 *
 * All or nothing: when some character has no such replacement, the text
 * goes as UCS-2 anyway, so it is appended unchanged and keeps its
 * typography. Hence the result is GSM-7 exactly when a replacement
 * could make it so.
 *
 * Returns 0, or -1 on invalid UTF-8 (out untouched).
 */
int gsm_transliterate(const char *utf8, size_t len, struct sbuf *out);

/*
 * Appends the text as UTF-16 big-endian bytes without BOM (surrogate
 * pairs for characters outside the BMP), as Kannel's sendsms wants with
 * coding=2&charset=UTF-16BE. Appends 2 * (UTF-16 units) bytes; the
 * strbuf's NUL terminator is not part of the data (the bytes may
 * contain NULs: use out->len). Returns 0, or -1 on invalid UTF-8 (out
 * untouched).
 */
int gsm_to_ucs2be(const char *utf8, size_t len, struct sbuf *out);

/*
 * Splits the text into the segments gsm_analyse() counts, for providers
 * that must send the parts themselves. offsets[i] receives the byte
 * offset in utf8 where part i starts (offsets[0] is 0; part i ends where
 * part i+1 starts, the last at len). Offsets always fall on character
 * boundaries. *nparts receives the number of parts, which equals
 * gsm_info.segments (1 for the empty text).
 *
 * Returns 0; -1 on invalid UTF-8 (nothing written); -2 when more than
 * max_parts parts are needed, in which case *nparts still holds the
 * number needed and the first max_parts offsets are filled.
 */
int gsm_split(const char *utf8, size_t len, size_t *offsets, size_t max_parts,
	      size_t *nparts);

/*
 * The characters that make a text UCS-2: appends up to `max` distinct
 * ones, in order of appearance, separated by a space; one that cannot be
 * seen (a control, a special space, a zero-width joiner, the BOM) is
 * written as U+XXXX. Returns how many distinct characters there are
 * (0: the text is GSM-7; counted up to 64), -1 on invalid UTF-8.
 */
int gsm_ucs2_culprits(const char *utf8, size_t len, struct sbuf *out, size_t max);

/* "gsm7" or "ucs2" (the names used in logs and the messages table). */
const char *gsm_coding_name(enum gsm_coding c);

#endif
