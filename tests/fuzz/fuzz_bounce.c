/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the bounce parser. The input is the mail itself;
 * when it holds a NUL byte in its first 64, what comes before that is the
 * envelope_to and the rest the mail. Whatever comes in, bounce_parse()
 * returns 0 or -1, reads nothing past the copy it is given (ASan), gives
 * a kind in range, an id >= 0, and strings that are NUL-terminated in
 * their arrays, valid UTF-8 and free of control characters; -1 comes with
 * a reason and kind none.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *   tests/fuzz/fuzz_bounce.c src/bounce.c src/mime_read.c src/mime.c src/sbuf.c src/log.c \
 *   -lunistring -lcrypto -o /tmp/fuzz_bounce
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "budbringer/bounce.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_str(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	check(n < size);
	check(u8_check((const uint8_t *)s, n) == NULL);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size < 64 ? size : 64);
	char env[64], *mail;
	const char *envp = NULL;
	struct bounce_report r;
	size_t len = size;
	int rc;

	if (nul) {
		memcpy(env, data, (size_t)(nul - data) + 1);
		envp = env;
		len = size - (size_t)(nul - data) - 1;
		data = nul + 1;
	}
	/* An exact-size copy, so ASan sees any read past len. */
	mail = malloc(len ? len : 1);
	if (!mail)
		return 0;
	memcpy(mail, data, len);
	memset(&r, 0xa5, sizeof(r));
	rc = bounce_parse(mail, len, envp, &r);
	check(rc == 0 || rc == -1);
	check(r.kind >= BOUNCE_NONE && r.kind <= BOUNCE_COMPLAINT);
	check(r.message_id >= 0);
	check_str(r.message_id_header, sizeof(r.message_id_header));
	check_str(r.recipient, sizeof(r.recipient));
	check_str(r.status, sizeof(r.status));
	check_str(r.diagnostic, sizeof(r.diagnostic));
	check_str(r.feedback_type, sizeof(r.feedback_type));
	check_str(r.reason, sizeof(r.reason));
	check(r.reason[0] != '\0');
	if (rc == -1)
		check(r.kind == BOUNCE_NONE && r.message_id == 0);
	if (r.message_id_header[0])
		check(r.message_id_header[0] == '<' &&
		      r.message_id_header[strlen(r.message_id_header) - 1] == '>');
	if (r.status[0])
		check((r.status[0] == '2' || r.status[0] == '4' || r.status[0] == '5') &&
		      r.status[1] == '.');
	check(strcmp(bounce_kind_name(r.kind), "unknown") != 0);
	free(mail);
	return 0;
}
