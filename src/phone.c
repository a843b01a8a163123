/* SPDX-License-Identifier: MIT */
/*
 * Phone number normalisation. People type numbers into web forms and SMS
 * the way they write them on paper, so the parser is generous about
 * layout (spaces, dashes, dots, brackets, Unicode spaces and dashes,
 * non-ASCII decimal digits such as Arabic-Indic ones) and strict about
 * content: no letters, at most one '+', and it must come before any digit.
 *
 * Lengths:
 *  - Danish numbers (+45, or national with default_cc "45") have exactly
 *    8 digits after the country code and never start with 0.
 *  - Other international numbers ('+' or "00") need 8..15 digits in all.
 *  - National numbers for another default_cc need 6..14 digits, and
 *    8..15 with the country code. A leading 0 (a trunk prefix in many
 *    countries) is refused rather than guessed at: dropping it is right
 *    in Germany or the UK and wrong in Italy.
 */
#include <string.h>

#include <unictype.h>
#include <unistr.h>

#include "budbringer/phone.h"

#define PHONE_MAX_DIGITS 15
#define PHONE_MIN_DIGITS 8
#define DK_CC "45"
#define DK_NATIONAL_DIGITS 8
#define NATIONAL_MIN 6
#define NATIONAL_MAX 14

struct digits {
	char d[PHONE_MAX_DIGITS + 1];
	size_t n;        /* digits seen, may exceed what d holds */
	int plus;
};

static int is_separator(ucs4_t uc)
{
	if (uc == ' ' || uc == '-' || uc == '.' || uc == '(' || uc == ')' ||
	    uc == '\t' || uc == '\r' || uc == '\n')
		return 1;
	/* NBSP and thin spaces from copy-paste, en dashes from word processors */
	return uc_is_general_category(uc, UC_CATEGORY_Zs) ||
	       uc_is_general_category(uc, UC_CATEGORY_Pd);
}

/* Splits `in` into digits; returns 0 or -1 with *why set. */
static int scan(const char *in, struct digits *dg, const char **why)
{
	const uint8_t *p = (const uint8_t *)in;
	size_t len = strlen(in);
	const uint8_t *end = p + len;

	memset(dg, 0, sizeof(*dg));
	if (u8_check(p, len)) {
		*why = "not valid UTF-8";
		return -1;
	}
	while (p < end) {
		ucs4_t uc;
		int n = u8_mbtoucr(&uc, p, (size_t)(end - p));
		int val;

		if (n <= 0) {
			*why = "not valid UTF-8";
			return -1;
		}
		p += n;
		if (uc == '+') {
			if (dg->plus) {
				*why = "more than one '+'";
				return -1;
			}
			if (dg->n > 0) {
				*why = "'+' is not at the start";
				return -1;
			}
			dg->plus = 1;
			continue;
		}
		if (is_separator(uc))
			continue;
		val = uc_decimal_value(uc);
		if (val >= 0 && val <= 9) {
			if (dg->n < PHONE_MAX_DIGITS)
				dg->d[dg->n] = (char)('0' + val);
			dg->n++;
			continue;
		}
		*why = uc_is_alpha(uc) ? "contains a letter" : "contains an invalid character";
		return -1;
	}
	return 0;
}

static int valid_cc(const char *cc)
{
	size_t i, n = strlen(cc);

	if (n < 1 || n > 3 || cc[0] == '0')
		return 0;
	for (i = 0; i < n; i++)
		if (cc[i] < '0' || cc[i] > '9')
			return 0;
	return 1;
}

/* Checks an international number (digits after '+' or "00"). */
static int check_international(const char *d, size_t n, const char **why)
{
	if (n == 0) {
		*why = "missing country code";
		return -1;
	}
	if (d[0] == '0') {
		*why = "country code starts with 0";
		return -1;
	}
	if (n > PHONE_MAX_DIGITS) {
		*why = "too long";
		return -1;
	}
	if (n >= 2 && !memcmp(d, DK_CC, 2)) {
		if (n != 2 + DK_NATIONAL_DIGITS) {
			*why = n < 2 + DK_NATIONAL_DIGITS ? "too short" : "too long";
			return -1;
		}
		if (d[2] == '0') {
			*why = "Danish numbers do not start with 0";
			return -1;
		}
	}
	if (n < PHONE_MIN_DIGITS) {
		*why = "too short";
		return -1;
	}
	return 0;
}

static int check_national(const char *d, size_t n, const char *cc, const char **why)
{
	size_t total = strlen(cc) + n;

	if (!strcmp(cc, DK_CC)) {
		if (n != DK_NATIONAL_DIGITS) {
			*why = n < DK_NATIONAL_DIGITS ? "too short" : "too long";
			return -1;
		}
		if (d[0] == '0') {
			*why = "Danish numbers do not start with 0";
			return -1;
		}
		return 0;
	}
	if (n < NATIONAL_MIN || total < PHONE_MIN_DIGITS) {
		*why = "too short";
		return -1;
	}
	if (n > NATIONAL_MAX || total > PHONE_MAX_DIGITS) {
		*why = "too long";
		return -1;
	}
	if (d[0] == '0') {
		*why = "national number starts with 0; use the international form";
		return -1;
	}
	return 0;
}

int phone_normalise(const char *in, const char *default_cc, char out[PHONE_E164_MAX],
		    const char **why)
{
	const char *dummy;
	struct digits dg;
	const char *d;
	size_t n, cclen = 0;

	if (!why)
		why = &dummy;
	out[0] = '\0';
	if (!in) {
		*why = "empty";
		return -1;
	}
	if (scan(in, &dg, why) < 0)
		return -1;
	if (dg.n == 0) {
		*why = dg.plus ? "too short" : "empty";
		return -1;
	}
	if (dg.n > PHONE_MAX_DIGITS) {
		*why = "too long";
		return -1;
	}

	d = dg.d;
	n = dg.n;
	if (dg.plus || (n >= 2 && d[0] == '0' && d[1] == '0')) {
		if (!dg.plus) {
			d += 2;
			n -= 2;
		}
		if (check_international(d, n, why) < 0)
			return -1;
	} else {
		if (!default_cc) {
			*why = "missing country code";
			return -1;
		}
		if (!valid_cc(default_cc)) {
			*why = "invalid default country code";
			return -1;
		}
		if (check_national(d, n, default_cc, why) < 0)
			return -1;
		cclen = strlen(default_cc);
	}

	/* Lengths were checked above: 1 + cclen + n <= 1 + 15 */
	out[0] = '+';
	memcpy(out + 1, default_cc ? default_cc : "", cclen);
	memcpy(out + 1 + cclen, d, n);
	out[1 + cclen + n] = '\0';
	return 0;
}

int phone_is_e164(const char *s)
{
	char buf[PHONE_E164_MAX];

	if (!s || s[0] != '+')
		return 0;
	return phone_normalise(s, NULL, buf, NULL) == 0 && !strcmp(buf, s);
}

/*
 * Appends s to out at *pos. A piece that does not fit ends the output
 * (*pos = outsz), so truncation never splits a UTF-8 sequence nor lets a
 * later, shorter piece land after a gap.
 */
static void put(char *out, size_t outsz, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos >= outsz)
		return;
	if (*pos + n >= outsz) {
		*pos = outsz;
		return;
	}
	memcpy(out + *pos, s, n);
	*pos += n;
	out[*pos] = '\0';
}

void phone_mask(const char *e164, char *out, size_t outsz)
{
	static const char bullet[] = "\xe2\x80\xa2"; /* U+2022 */
	char head[8], tail[3];
	size_t i, n, keep, pos = 0, masked;

	if (!out || outsz == 0)
		return;
	out[0] = '\0';

	n = e164 && e164[0] == '+' ? strspn(e164 + 1, "0123456789") : 0;
	if (n < PHONE_MIN_DIGITS || n > PHONE_MAX_DIGITS || e164[1 + n] != '\0') {
		/* Never echo something that might be a number in another form */
		put(out, outsz, &pos, "(invalid)");
		return;
	}
	e164++;

	/*
	 * The length of a country code is not knowable without a table; for
	 * Denmark we show "+45 12", for the rest the first three digits,
	 * which is the country code or a code plus a digit or two.
	 */
	if (!memcmp(e164, DK_CC, 2) && n == 2 + DK_NATIONAL_DIGITS) {
		memcpy(head, "+45 ", 4);
		memcpy(head + 4, e164 + 2, 2);
		head[6] = '\0';
		keep = 4;
	} else {
		head[0] = '+';
		memcpy(head + 1, e164, 3);
		head[4] = '\0';
		keep = 3;
	}
	memcpy(tail, e164 + n - 2, 2);
	tail[2] = '\0';

	put(out, outsz, &pos, head);
	masked = n - keep - 2;
	for (i = 0; i < masked; i++) {
		if (i % 2 == 0)
			put(out, outsz, &pos, " ");
		put(out, outsz, &pos, bullet);
	}
	put(out, outsz, &pos, " ");
	put(out, outsz, &pos, tail);
}
