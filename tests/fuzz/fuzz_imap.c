/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for what the IMAP bounce reader parses of a server's
 * answers (bounce_imap.h): UID SEARCH lines and literal announcements.
 * Besides memory errors it checks that every UID found is a UID (1 up) and
 * that a literal's size never passes the cap it was read against.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/bounce_imap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	uint32_t uids[64];
	size_t lit = 0;
	int n;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	n = bounce_imap_search_uids(text, uids, 64);
	if (n > 64)
		abort();
	for (int i = 0; i < n; i++)
		if (!uids[i])
			abort();
	/* Each line (without its CRLF) as the reader looks at it. */
	for (char *l = text, *e; *l; l = e + (*e != '\0')) {
		size_t len;

		e = l + strcspn(l, "\n");
		len = (size_t)(e - l);
		if (len && l[len - 1] == '\r')
			len--;
		if (bounce_imap_literal(l, len, 1000000, &lit) == 1 && lit > 1000000)
			abort();
	}
	free(text);
	return 0;
}
