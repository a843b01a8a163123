/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_PHONE_H
#define BUDBRINGER_PHONE_H

/*
 * Phone numbers to E.164 ("+4512345678"). Pure: no I/O, no allocation.
 *
 * Accepted input: optional leading '+' or "00" international prefix, digits,
 * and the separators space, '-', '.', '(' and ')'. A number without an
 * international prefix is national and gets default_cc ("45") put in front;
 * for Denmark a national number must have 8 digits. The result has 8 to 15
 * digits after '+' (E.164) and never a leading zero in the country code.
 * Anything else (letters, a '+' in the middle, empty, too short/long,
 * invalid UTF-8) is rejected.
 *
 * Details: +45 numbers always have 8 digits after the code and never start
 * with 0. For another default_cc a national number needs 6..14 digits
 * (8..15 with the code) and must not start with a trunk 0 (refused, not
 * guessed). Unicode spaces/dashes count as separators and Unicode decimal
 * digits (e.g. Arabic-Indic) as digits.
 */

#include <stddef.h>

#define PHONE_E164_MAX 17 /* '+', 15 digits, NUL */

/*
 * Writes the E.164 form of `in` to out (size PHONE_E164_MAX at least).
 * Returns 0, or -1 with *why set to a static English reason
 * ("contains a letter", "too short", …) when `in` is not a phone number.
 * default_cc: country code digits without '+', e.g. "45"; NULL means
 * national numbers are refused ("missing country code"). why may be NULL.
 * On failure out is "".
 */
int phone_normalise(const char *in, const char *default_cc, char out[PHONE_E164_MAX],
		    const char **why);

/* True when s is already in the E.164 form phone_normalise() produces. */
int phone_is_e164(const char *s);

/*
 * Masks an E.164 number for logs shown to staff: "+4512345678" ->
 * "+45 12 •• •• 78" (for +45 the country code, the first two and last two
 * digits stay; for other codes, whose length is unknown, the first three
 * digits after '+' and the last two: "+491 •• •• •• •• 78"). Anything not
 * '+' and 8..15 digits gives "(invalid)". Writes at most outsz bytes,
 * always NUL-terminated when outsz > 0; truncation drops whole pieces.
 */
void phone_mask(const char *e164, char *out, size_t outsz);

#endif
