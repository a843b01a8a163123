/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for what SMS gateways send us: delivery reports and
 * the answers to our requests. The first byte picks a mode:
 *   0: the rest is a JSON delivery report (sms_rest_parse_dlr): every
 *      report returned names a message (our id or the gateway's) and has
 *      a NUL-terminated, control-free detail.
 *   1: the rest is an HTTP answer body; the second byte picks a status.
 *      Both classifiers must leave NUL-terminated details and ids that fit.
 *   2: the rest is text cut into an event-log snippet (cmulti_snippet) of
 *      a size from the second byte: no control characters, no cut UTF-8.
 *   3: the rest is an SMSC answer for Kannel's report types.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "budbringer/curl_multi.h"
#include "budbringer/sms_kannel.h"
#include "budbringer/sms_rest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int cond)
{
	if (!cond)
		abort();
}

static int valid_utf8(const unsigned char *s, size_t n);

static void check_text(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	check(n < cap);
	for (size_t i = 0; i < n; i++)
		check((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void reports(const char *p, size_t n)
{
	struct sms_rest_dlr d[8];
	int got = sms_rest_parse_dlr(p, n, d, 8);

	check(got >= -1 && got <= 8);
	for (int i = 0; i < got; i++) {
		check(d[i].msg_id > 0 || d[i].provider_msgid[0]);
		check(d[i].msg_id >= 0);
		check(strnlen(d[i].provider_msgid, sizeof(d[i].provider_msgid)) < sizeof(d[i].provider_msgid));
		check_text(d[i].detail, sizeof(d[i].detail));
		check(d[i].outcome >= DLR_INTERIM && d[i].outcome <= DLR_EXPIRED);
	}
}

static void answers(const uint8_t *p, size_t n)
{
	static const long statuses[] = { 0, 200, 201, 202, 204, 301, 400, 401, 403, 404, 408,
		422, 429, 500, 502, 503 };
	char id[128], detail[256];
	long st;
	enum send_status r;
	char *body;

	if (!n)
		return;
	st = statuses[p[0] % (sizeof(statuses) / sizeof(statuses[0]))];
	body = malloc(n);
	check(body != NULL);
	memcpy(body, p + 1, n - 1);
	body[n - 1] = '\0';
	r = sms_rest_classify(st, body, n - 1, "transport", p[0] & 0x40, p[0] & 0x80, id, sizeof(id),
			      detail, sizeof(detail));
	check(strnlen(id, sizeof(id)) < sizeof(id) && strnlen(detail, sizeof(detail)) < sizeof(detail));
	check(st || r == ((p[0] & 0x40) ? SEND_UNKNOWN : SEND_TEMPFAIL));
	check(r == SEND_OK || !id[0]);
	r = sms_kannel_classify(st, body, n - 1, NULL, p[0] & 0x40, detail, sizeof(detail));
	check_text(detail, sizeof(detail));
	check(valid_utf8((const unsigned char *)detail, strlen(detail)));
	check(r != SEND_OK || (st >= 200 && st < 300));
	free(body);
}

/* Independent of the code under test: a strict UTF-8 check. */
static int valid_utf8(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], cp, need;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			need = 1, cp = c & 0x1F;
		else if (c >= 0xE0 && c <= 0xEF)
			need = 2, cp = c & 0x0F;
		else if (c >= 0xF0 && c <= 0xF4)
			need = 3, cp = c & 0x07;
		else
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((need == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
			return 0;
		i += need + 1;
	}
	return 1;
}

static void snippet(const uint8_t *p, size_t n)
{
	char out[300];
	size_t cap;

	if (!n)
		return;
	cap = 1 + p[0] % sizeof(out);
	cmulti_snippet(out, cap, (const char *)p + 1, n - 1);
	check_text(out, cap);
	check(valid_utf8((const unsigned char *)out, strlen(out)));
	check(!strlen(out) || (out[0] != ' ' && out[strlen(out) - 1] != ' '));
}

static void kannel_types(const char *p, size_t n)
{
	char *answer = malloc(n + 1);
	enum dlr_outcome o;

	check(answer != NULL);
	memcpy(answer, p, n);
	answer[n] = '\0';
	for (int t = -1; t <= 33; t++) {
		int rc = sms_kannel_dlr_outcome(t, answer, &o);
		check(rc == 0 || rc == -1);
		check(rc == -1 || t == 1 || t == 2 || t == 4 || t == 8 || t == 16);
		check(sms_kannel_dlr_type_name(t) != NULL);
	}
	free(answer);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 4) {
	case 0: reports((const char *)data + 1, size - 1); break;
	case 1: answers(data + 1, size - 1); break;
	case 2: snippet(data + 1, size - 1); break;
	default: kannel_types((const char *)data + 1, size - 1); break;
	}
	return 0;
}
