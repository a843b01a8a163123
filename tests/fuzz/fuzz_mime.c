/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the MIME builder. The input is a flag byte and
 * NUL-separated fields (subject, from name, text, html, title, summary,
 * url, lang, unsubscribe url, to address, domain). Whatever mime_build()
 * accepts must come out as a well-formed message: CRLF only, lines of at
 * most 998 octets, headers from the expected set only (no injection),
 * encoded-words of at most 75 characters holding whole UTF-8 characters,
 * and the boundary nowhere but on its three delimiter lines.
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Iinclude \
 *   tests/fuzz/fuzz_mime.c src/mime.c src/sbuf.c src/log.c \
 *   -lunistring -lcrypto -o /tmp/fuzz_mime
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <unistr.h>

#include "budbringer/mime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NFIELDS 11

static void check(int cond)
{
	if (!cond)
		abort();
}

static void check_wire(const char *m, size_t len)
{
	size_t line = 0;

	check(len >= 2 && m[len - 2] == '\r' && m[len - 1] == '\n');
	for (size_t i = 0; i < len; i++) {
		if (m[i] == '\r') {
			check(i + 1 < len && m[i + 1] == '\n');
			i++;
			line = 0;
			continue;
		}
		check(m[i] != '\n' && m[i] != '\0');
		check(++line <= 998);
	}
}

static void check_header_names(const char *hdr)
{
	static const char *const known[] = {
		"Date:", "From:", "To:", "Subject:", "Message-ID:", "MIME-Version:",
		"Content-Language:", "List-Unsubscribe:", "List-Unsubscribe-Post:",
		"Auto-Submitted:", "Precedence:", "Content-Type:",
	};

	for (const char *p = hdr; *p; p = strstr(p, "\r\n") + 2) {
		int ok = *p == ' ';

		for (size_t i = 0; !ok && i < sizeof(known) / sizeof(known[0]); i++)
			ok = !strncmp(p, known[i], strlen(known[i]));
		check(ok);
	}
}

static void check_words(const char *s)
{
	const char *p = s;

	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *end = strstr(p + 10, "?=");
		unsigned char dec[64];
		size_t b64 = end ? (size_t)(end - p - 10) : 0;
		int n;

		check(end && end + 2 - p <= 75 && b64 % 4 == 0 && b64 <= 80);
		n = EVP_DecodeBlock(dec, (const unsigned char *)p + 10, (int)b64);
		check(n >= 0);
		n -= (b64 && p[10 + b64 - 1] == '=') + (b64 > 1 && p[10 + b64 - 2] == '=');
		check(u8_check(dec, (size_t)n) == NULL);
		p = end + 2;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT, tmp = SBUF_INIT, delim = SBUF_INIT;
	const char *f[NFIELDS] = { 0 };
	char *copy, *p, *hdr_end, *b;
	char msgid[MIME_MSGID_MAX];
	struct mime_mail m;
	unsigned flags;
	size_t nf = 0;
	int count = 0;

	if (size < 1)
		return 0;
	flags = data[0];
	/* A NUL-terminated copy, split on the NULs embedded in the input. */
	copy = xstrndup((const char *)data + 1, size - 1);
	for (p = copy; nf < NFIELDS && p <= copy + size - 1; p += strlen(p) + 1)
		f[nf++] = p;

	memset(&m, 0, sizeof(m));
	m.subject = f[0];
	m.from_name = (flags & 1) ? NULL : f[1];
	m.text = (flags & 2) ? NULL : f[2];
	m.html = (flags & 4) ? NULL : f[3];
	m.title = f[4];
	m.summary = f[5];
	m.url = f[6];
	m.lang = (flags & 8) ? f[7] : "da";
	m.unsubscribe_url = (flags & 16) ? f[8] : NULL;
	m.unsubscribe_mailto = (flags & 32) ? "mailto:u@randers.dk" : NULL;
	m.to_addr = (flags & 64) && f[9] ? f[9] : "borger@example.org";
	m.domain = f[10] ? f[10] : "randers.dk";
	m.from_addr = "noreply@randers.dk";
	m.bulk = flags & 128;
	m.date = 1700000000;

	if (mime_build(&m, &out, msgid, sizeof(msgid), &err) == 0) {
		check(err.len == 0);
		check_wire(out.buf, out.len);
		hdr_end = strstr(out.buf, "\r\n\r\n");
		check(hdr_end != NULL);
		hdr_end[2] = '\0';
		check_header_names(out.buf);
		check_words(out.buf);
		check(strstr(out.buf, msgid) != NULL);
		/* A header line, so never inside a (possibly folded) subject. */
		b = strstr(out.buf, "\r\nContent-Type: multipart/alternative;\r\n boundary=\"");
		check(b != NULL);
		b += strlen("\r\nContent-Type: multipart/alternative;\r\n boundary=\"");
		sbuf_add(&delim, "--", 2);
		sbuf_add(&delim, b, strcspn(b, "\""));
		hdr_end[2] = '\r';
		for (p = out.buf; (p = strstr(p, delim.buf)) != NULL; p += delim.len)
			count++;
		check(count == 3);
	} else {
		check(err.len > 0 && out.len == 0);
	}

	/* The exposed helpers on the raw first field. */
	if (mime_encode_header_word(f[0] ? f[0] : "", &tmp) == 0) {
		check_words(tmp.buf);
		sbuf_addstr(&tmp, "\r\n");
		check_wire(tmp.buf, tmp.len);
		for (p = tmp.buf; *p; p = strstr(p, "\r\n") + 2)
			check(strstr(p, "\r\n") - p <= 78);
	}
	sbuf_reset(&tmp);
	mime_html_escape(f[0], &tmp);
	check(strpbrk(tmp.buf, "<>\"'") == NULL);

	sbuf_release(&out);
	sbuf_release(&err);
	sbuf_release(&tmp);
	sbuf_release(&delim);
	free(copy);
	return 0;
}
