/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for phone_normalise() and phone_mask(). Besides
 * crashes it checks the properties callers rely on: a result is E.164,
 * normalising it again is a no-op, and a mask is valid UTF-8 that never
 * shows the middle digits.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/phone.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_mask(const char *e164)
{
	char mask[64];
	size_t sz;

	for (sz = 0; sz <= sizeof(mask); sz += 7) {
		memset(mask, 'x', sizeof(mask));
		phone_mask(e164, mask, sz);
		if (sz == 0)
			continue;
		if (strlen(mask) >= sz || u8_check((const uint8_t *)mask, strlen(mask)))
			abort();
	}
}

static void one(const char *in, const char *cc)
{
	char out[PHONE_E164_MAX], again[PHONE_E164_MAX];
	const char *why = NULL;

	memset(out, 'x', sizeof(out));
	if (phone_normalise(in, cc, out, &why) < 0) {
		if (!why || out[0] != '\0')
			abort();
		return;
	}
	if (!phone_is_e164(out))
		abort();
	if (phone_normalise(out, NULL, again, NULL) < 0 || strcmp(out, again))
		abort();
	check_mask(out);
	/* the digits after the kept head never appear in the mask */
	{
		char mask[64];

		phone_mask(out, mask, sizeof(mask));
		if (strstr(mask, out + 5))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	one(s, "45");
	one(s, "1");
	one(s, "358");
	one(s, NULL);
	/* the masker must also cope with arbitrary input */
	check_mask(s);
	free(s);
	return 0;
}
