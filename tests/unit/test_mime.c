/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <unistr.h>

#include "budbringer/mime.h"
#include "testutil.h"

#define DA_SUBJECT "Frivillige søges til æblehøst på Ærø – kom og vær med! Åbent for alle"
#define DA_TEXT "Hej!\n\nVi søger frivillige til æblehøsten på Ærø.\n" \
	"Mød op lørdag kl. 10 ved Ærøskøbing Havn = nemt.   \n" \
	"Tabulator\tog trailing tab\t\nSidste linje uden linjeskift"
#define AR_SUBJECT "فرص تطوع جديدة في راندرس: انضم إلى فريق الرياضة للشباب هذا الأسبوع وساعد في تنظيم البطولة"
#define AR_TEXT "مرحبا!\nنبحث عن متطوعين من الشباب للمساعدة في الأنشطة الرياضية.\nسجل الآن."
#define TR_SUBJECT "İğneada'da gönüllü çalışma: şimdi başvurun! Çok güzel ğüşıöç ĞÜŞİÖÇ"
#define TR_TEXT "Merhaba,\nGönüllü olmak ister misiniz? Ücretsiz öğle yemeği dahildir.\n"

static void base_mail(struct mime_mail *m)
{
	memset(m, 0, sizeof(*m));
	m->from_name = "Frivilligcenter Randers";
	m->from_addr = "noreply@randers.dk";
	m->to_addr = "borger@example.org";
	m->subject = "Hello";
	m->text = "Hi there\n";
	m->html = "<p>Hi there</p>\n";
	m->lang = "da";
	m->domain = "randers.dk";
	m->date = 1700000000;
}

static void build_ok(const struct mime_mail *m, struct sbuf *out)
{
	struct sbuf err = SBUF_INIT;
	int rc = mime_build(m, out, NULL, 0, &err);

	if (rc)
		fail_msg("mime_build: %s", err.buf);
	sbuf_release(&err);
}

/* Header block (up to the blank line) of a built message. */
static char *headers_of(const char *msg)
{
	const char *end = strstr(msg, "\r\n\r\n");

	assert_non_null(end);
	return xstrndup(msg, (size_t)(end - msg) + 2);
}

/* Every line ends in CRLF, no bare CR or LF, no line over 998 octets; header
 * lines (all our inputs are foldable) at most 78. */
static void assert_wire_form(const char *msg, size_t len)
{
	size_t line = 0;
	bool in_headers = true;

	assert_true(len >= 2);
	assert_memory_equal(msg + len - 2, "\r\n", 2);
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\r') {
			assert_true(i + 1 < len && msg[i + 1] == '\n');
			if (line == 0)
				in_headers = false;
			i++;
			line = 0;
			continue;
		}
		assert_true(msg[i] != '\n');
		line++;
		assert_true(line <= 998);
		if (in_headers && line > 78)
			fail_msg("header line over 78 at offset %zu", i);
	}
}

/*
 * Runs Debian's Python MIME parser over msg and returns its JSON verdict.
 * The script is found relative to the working directory (the repository
 * root under make) or to $BUDBRINGER_SRCDIR.
 */
static json_t *roundtrip(const char *msg, size_t len)
{
	char path[TEST_PATH_MAX];
	const char *srcdir = getenv("BUDBRINGER_SRCDIR");
	struct sbuf cmd = SBUF_INIT, res = SBUF_INIT;
	char buf[4096];
	size_t n;
	FILE *p;
	json_error_t jerr;
	json_t *j;
	int status;

	testfile_write(path, msg, len);
	sbuf_addf(&cmd, "/usr/bin/python3 %s/tests/unit/mime_roundtrip.py %s",
		    srcdir ? srcdir : ".", path);
	p = popen(cmd.buf, "r");
	assert_non_null(p);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		sbuf_add(&res, buf, n);
	status = pclose(p);
	unlink(path);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("mime_roundtrip.py failed (status %d)", status);
	j = json_loads(res.buf, 0, &jerr);
	if (!j)
		fail_msg("bad JSON from mime_roundtrip.py: %s", jerr.text);
	sbuf_release(&cmd);
	sbuf_release(&res);
	return j;
}

static const char *jstr(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* Builds m, checks the wire form, parses it in Python and compares. */
static json_t *build_and_parse(const struct mime_mail *m)
{
	struct sbuf out = SBUF_INIT;
	json_t *j;

	build_ok(m, &out);
	assert_wire_form(out.buf, out.len);
	j = roundtrip(out.buf, out.len);
	assert_string_equal(jstr(j, "subject"), m->subject);
	assert_string_equal(jstr(j, "from_name"), m->from_name ? m->from_name : "");
	assert_string_equal(jstr(j, "from_addr"), m->from_addr);
	assert_string_equal(jstr(j, "to"), m->to_addr);
	if (m->text)
		assert_string_equal(jstr(j, "text"), m->text);
	if (m->html)
		assert_string_equal(jstr(j, "html"), m->html);
	sbuf_release(&out);
	return j;
}

static void test_roundtrip_danish(void **state)
{
	struct mime_mail m;
	json_t *j;

	(void)state;
	base_mail(&m);
	m.from_name = "Frivilligværket Randers Kommune";
	m.subject = DA_SUBJECT;
	m.text = DA_TEXT;
	m.html = "<p>Vi søger frivillige til æblehøsten på Ærø.</p>\n<p>Åbent = for alle</p>";
	j = build_and_parse(&m);
	assert_string_equal(jstr(j, "text_cte"), "quoted-printable");
	assert_string_equal(jstr(j, "html_cte"), "quoted-printable");
	assert_string_equal(jstr(j, "content_language"), "da");
	assert_string_equal(jstr(j, "mime_version"), "1.0");
	assert_string_equal(jstr(j, "date"), "2023-11-14T22:13:20+00:00");
	json_decref(j);
}

static void test_roundtrip_arabic(void **state)
{
	struct mime_mail m;
	json_t *j;

	(void)state;
	base_mail(&m);
	m.from_name = "مركز المتطوعين في راندرس";
	m.subject = AR_SUBJECT;
	m.text = AR_TEXT;
	m.html = "<p dir=\"rtl\">" AR_TEXT "</p>";
	m.lang = "ar";
	j = build_and_parse(&m);
	assert_string_equal(jstr(j, "text_cte"), "base64");
	assert_string_equal(jstr(j, "html_cte"), "base64");
	assert_string_equal(jstr(j, "content_language"), "ar");
	json_decref(j);
}

static void test_roundtrip_turkish(void **state)
{
	struct mime_mail m;
	json_t *j;

	(void)state;
	base_mail(&m);
	m.from_name = "Gönüllü Merkezi";
	m.subject = TR_SUBJECT;
	m.text = TR_TEXT;
	m.html = "<p>" TR_TEXT "</p>";
	m.lang = "tr";
	j = build_and_parse(&m);
	assert_string_equal(jstr(j, "text_cte"), "quoted-printable");
	json_decref(j);
}

static void test_roundtrip_ascii(void **state)
{
	struct mime_mail m;
	struct sbuf out = SBUF_INIT;
	json_t *j;

	(void)state;
	base_mail(&m);
	/* Long plain subject: folded raw, unfolds to the same text. */
	m.subject = "New volunteering opportunities in Randers this week: football coaching, "
		"homework cafe, nature walks and the Christmas market, sign up now";
	m.from_name = "Randers";
	m.text = "a=b\n.leading dot\nFrom the start\n";
	j = build_and_parse(&m);
	json_decref(j);
	build_ok(&m, &out);
	assert_null(strstr(out.buf, "=?UTF-8?"));
	assert_non_null(strstr(out.buf, "\r\nFrom: Randers <noreply@randers.dk>\r\n"));
	sbuf_release(&out);

	/* Text that looks like an encoded-word must not be decoded as one. */
	base_mail(&m);
	m.subject = "=?UTF-8?B?SGFjaw==?= and a \"quoted\" (comment)";
	m.from_name = "Smith, John \"Jr\" <x@y>";
	j = build_and_parse(&m);
	json_decref(j);
}

static void test_long_body_line(void **state)
{
	struct mime_mail m;
	struct sbuf text = SBUF_INIT, html = SBUF_INIT;
	json_t *j;

	(void)state;
	for (int i = 0; i < 5000; i++)
		sbuf_addch(&text, "abcdefghij =.\t"[i % 14]);
	sbuf_addstr(&text, "\n");
	for (int i = 0; i < 2500; i++)
		sbuf_addstr(&html, i % 10 ? "x" : "ø");
	base_mail(&m);
	m.text = text.buf;
	m.html = html.buf;
	j = build_and_parse(&m);
	json_decref(j);

	/* The same as base64: lines must still be short. */
	sbuf_reset(&html);
	for (int i = 0; i < 2500; i++)
		sbuf_addstr(&html, "ع");
	m.html = html.buf;
	j = build_and_parse(&m);
	assert_string_equal(jstr(j, "html_cte"), "base64");
	json_decref(j);
	sbuf_release(&text);
	sbuf_release(&html);
}

static void test_line_ends_normalised(void **state)
{
	struct mime_mail m;
	struct sbuf out = SBUF_INIT;
	json_t *j;

	(void)state;
	base_mail(&m);
	m.text = "one\r\ntwo\rthree\nfour\n\n";
	build_ok(&m, &out);
	assert_wire_form(out.buf, out.len);
	j = roundtrip(out.buf, out.len);
	assert_string_equal(jstr(j, "text"), "one\ntwo\nthree\nfour\n\n");
	json_decref(j);
	sbuf_release(&out);
}

/* Decodes each encoded-word of the Subject header and checks it alone. */
static void check_subject_words(const char *msg, const char *expect)
{
	char *hdr = headers_of(msg);
	const char *p = strstr(hdr, "\r\nSubject:");
	struct sbuf all = SBUF_INIT;
	int words = 0;

	assert_non_null(p);
	p += 10;
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		const char *end = strstr(p + 10, "?=");
		unsigned char dec[128];
		size_t b64len;
		int n;

		assert_non_null(end);
		assert_true(end + 2 - p <= 75);
		b64len = (size_t)(end - p - 10);
		assert_true(b64len % 4 == 0 && b64len <= 4 * sizeof(dec) / 3);
		n = EVP_DecodeBlock(dec, (const unsigned char *)p + 10, (int)b64len);
		assert_true(n >= 0);
		if (b64len && p[10 + b64len - 1] == '=')
			n--;
		if (b64len > 1 && p[10 + b64len - 2] == '=')
			n--;
		/* Each word decodes to complete UTF-8 characters. */
		assert_null(u8_check(dec, (size_t)n));
		sbuf_add(&all, dec, (size_t)n);
		words++;
		p = end + 2;
		if (strncmp(p, "\r\n ", 3) && strncmp(p, "\r\n", 2))
			break;
	}
	assert_true(words > 1);
	assert_string_equal(all.buf, expect);
	sbuf_release(&all);
	free(hdr);
}

static void test_encoded_words_arabic(void **state)
{
	struct mime_mail m;
	struct sbuf out = SBUF_INIT, w = SBUF_INIT;

	(void)state;
	base_mail(&m);
	m.subject = AR_SUBJECT " " AR_SUBJECT;
	build_ok(&m, &out);
	assert_wire_form(out.buf, out.len);
	check_subject_words(out.buf, m.subject);

	/* Four-byte characters (emoji) must not be split either. */
	sbuf_reset(&out);
	m.subject = "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀";
	build_ok(&m, &out);
	check_subject_words(out.buf, m.subject);

	assert_int_equal(mime_encode_header_word("Ærø", &w), 0);
	assert_string_equal(w.buf, "=?UTF-8?B?w4Zyw7g=?=");
	sbuf_reset(&w);
	assert_int_equal(mime_encode_header_word("", &w), 0);
	assert_int_equal(w.len, 0);
	assert_int_equal(mime_encode_header_word("bad \xc3", &w), -1);
	assert_int_equal(mime_encode_header_word("overlong \xc0\xaf", &w), -1);
	assert_int_equal(w.len, 0);
	assert_int_equal(mime_encode_header_word(AR_SUBJECT, &w), 0);
	assert_non_null(strstr(w.buf, "?=\r\n =?UTF-8?B?"));
	sbuf_release(&w);
	sbuf_release(&out);
}

static void expect_refused(const struct mime_mail *m, const char *field)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;

	sbuf_addstr(&out, "keep");
	assert_int_equal(mime_build(m, &out, NULL, 0, &err), -1);
	assert_string_equal(out.buf, "keep");
	if (!strstr(err.buf, field))
		fail_msg("error '%s' does not name '%s'", err.buf, field);
	sbuf_release(&out);
	sbuf_release(&err);
}

static void test_header_injection(void **state)
{
	struct mime_mail m;

	(void)state;
	base_mail(&m);
	m.subject = "Hi\r\nBcc: victim@example.org";
	expect_refused(&m, "subject");
	m.subject = "Hi\nX-Evil: 1";
	expect_refused(&m, "subject");
	m.subject = "Hi\rthere";
	expect_refused(&m, "subject");
	m.subject = "NEL \xc2\x85 inside";	/* U+0085, a C1 line break */
	expect_refused(&m, "subject");
	m.subject = "tab\there";
	expect_refused(&m, "subject");
	m.subject = "invalid \xff UTF-8";
	expect_refused(&m, "subject");

	base_mail(&m);
	m.from_name = "Randers\r\nBcc: victim@example.org";
	expect_refused(&m, "from_name");
	base_mail(&m);
	m.from_addr = "noreply@randers.dk\r\nBcc: victim@example.org";
	expect_refused(&m, "from_addr");
	base_mail(&m);
	m.to_addr = "a@example.org\nBcc: b@example.org";
	expect_refused(&m, "to_addr");
	base_mail(&m);
	m.domain = "randers.dk>\r\nBcc: x@y";
	expect_refused(&m, "domain");
	base_mail(&m);
	m.lang = "da\r\nX: y";
	expect_refused(&m, "lang");
	base_mail(&m);
	m.unsubscribe_url = "https://randers.dk/u?t=1\r\nBcc: x@y";
	expect_refused(&m, "unsubscribe_url");
	base_mail(&m);
	m.unsubscribe_mailto = "mailto:u@randers.dk\nBcc: x@y";
	expect_refused(&m, "unsubscribe_mailto");
}

static void test_address_validation(void **state)
{
	static const char *const bad[] = {
		"", "plain", "a@b@c", "@example.org", "user@", "a b@example.org",
		"<a@example.org>", "a,b@example.org", "æ@example.org", "a\"b@example.org",
	};
	struct mime_mail m;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		base_mail(&m);
		m.to_addr = bad[i];
		expect_refused(&m, "to_addr");
		base_mail(&m);
		m.from_addr = bad[i];
		expect_refused(&m, "from_addr");
	}
	base_mail(&m);
	m.to_addr = NULL;
	expect_refused(&m, "to_addr");
	base_mail(&m);
	m.domain = NULL;
	expect_refused(&m, "domain");
	m.domain = "bad_domain.dk";
	expect_refused(&m, "domain");
	base_mail(&m);
	m.text = "bad \xe2\x82";
	expect_refused(&m, "text");
	base_mail(&m);
	m.lang = "not a tag";
	expect_refused(&m, "lang");
}

static void test_list_unsubscribe(void **state)
{
	struct mime_mail m;
	struct sbuf out = SBUF_INIT;
	char *hdr;
	json_t *j;

	(void)state;
	base_mail(&m);
	m.unsubscribe_url = "https://frivillig.randers.dk/unsubscribe?t=abc.def";
	m.unsubscribe_mailto = "unsubscribe@randers.dk";
	m.bulk = true;
	build_ok(&m, &out);
	assert_wire_form(out.buf, out.len);
	hdr = headers_of(out.buf);
	assert_non_null(strstr(hdr, "\r\nList-Unsubscribe: "
			       "<https://frivillig.randers.dk/unsubscribe?t=abc.def>,\r\n"
			       " <mailto:unsubscribe@randers.dk>\r\n"));
	assert_non_null(strstr(hdr, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
	assert_non_null(strstr(hdr, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(hdr, "\r\nPrecedence: bulk\r\n"));
	assert_non_null(strstr(hdr, "\r\nMIME-Version: 1.0\r\n"));
	assert_true(strncmp(hdr, "Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n", 39) == 0);
	free(hdr);
	j = roundtrip(out.buf, out.len);
	assert_string_equal(jstr(j, "list_unsubscribe_post"), "List-Unsubscribe=One-Click");
	assert_non_null(strstr(jstr(j, "list_unsubscribe"), "<mailto:unsubscribe@randers.dk>"));
	json_decref(j);

	/* Not a campaign, no unsubscribe URL: none of these headers. */
	sbuf_reset(&out);
	base_mail(&m);
	build_ok(&m, &out);
	hdr = headers_of(out.buf);
	assert_null(strstr(hdr, "List-Unsubscribe"));
	assert_null(strstr(hdr, "Precedence"));
	assert_null(strstr(hdr, "Auto-Submitted"));
	free(hdr);

	base_mail(&m);
	m.unsubscribe_url = "javascript:alert(1)";
	expect_refused(&m, "unsubscribe_url");
	sbuf_release(&out);
}

static void test_message_id(void **state)
{
	struct mime_mail m;
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	char id1[MIME_MSGID_MAX], id2[MIME_MSGID_MAX], small[20];
	char *hdr;

	(void)state;
	base_mail(&m);
	assert_int_equal(mime_build(&m, &out, id1, sizeof(id1), &err), 0);
	assert_int_equal(strlen(id1), 1 + 32 + 1 + strlen("randers.dk") + 1);
	assert_true(id1[0] == '<' && strspn(id1 + 1, "0123456789abcdef") == 32);
	assert_string_equal(id1 + 33, "@randers.dk>");
	hdr = headers_of(out.buf);
	assert_non_null(strstr(hdr, "\r\nMessage-ID: "));
	assert_non_null(strstr(hdr, id1));
	free(hdr);
	assert_int_equal(mime_build(&m, &out, id2, sizeof(id2), &err), 0);
	assert_string_not_equal(id1, id2);

	assert_int_equal(mime_build(&m, &out, small, sizeof(small), &err), -1);
	assert_non_null(strstr(err.buf, "message id"));
	sbuf_release(&out);
	sbuf_release(&err);
}

/* Blanks the random parts: the boundary's and the Message-ID's hex digits. */
static void mask_random(char *s)
{
	static const char *const marks[] = { "=_bb", "Message-ID: <" };

	for (size_t k = 0; k < 2; k++)
		for (char *p = strstr(s, marks[k]); p; p = strstr(p, marks[k])) {
			p += strlen(marks[k]);
			for (int i = 0; i < 32 && p[i]; i++)
				p[i] = 'x';
		}
}

/* Working buffers kept between messages (base64 after QP and back) change
 * nothing in what is built. */
static void test_scratch_reuse(void **state)
{
	struct mime_scratch scratch = MIME_SCRATCH_INIT;
	const char *subjects[] = { DA_SUBJECT, AR_SUBJECT, TR_SUBJECT, DA_SUBJECT };
	const char *texts[] = { DA_TEXT, AR_TEXT, TR_TEXT, "" };

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct mime_mail m;
		struct sbuf a = SBUF_INIT, b = SBUF_INIT;

		base_mail(&m);
		m.subject = subjects[i];
		m.text = NULL;
		m.html = NULL;
		m.title = subjects[i];
		m.summary = texts[i];
		m.url = "https://frivillig.example.dk/o/1";
		m.unsubscribe_url = "https://randers.dk/unsubscribe?t=abc";
		build_ok(&m, &a);
		m.scratch = &scratch;
		build_ok(&m, &b);
		mask_random(a.buf);
		mask_random(b.buf);
		assert_string_equal(a.buf, b.buf);
		sbuf_release(&a);
		sbuf_release(&b);
	}
	assert_true(scratch.part.alloc > 0);
	mime_scratch_release(&scratch);
}

static void test_boundary(void **state)
{
	struct mime_mail m;
	struct sbuf out = SBUF_INIT, delim = SBUF_INIT;
	json_t *j;
	const char *b, *p;
	int count = 0;

	(void)state;
	base_mail(&m);
	/* Bodies full of things that look like boundaries. */
	m.text = "--=_bb\n--\n=_=_=_\n";
	m.html = "<p>--=_bb0123 ==__</p>";
	build_ok(&m, &out);
	j = roundtrip(out.buf, out.len);
	b = jstr(j, "boundary");
	assert_true(strncmp(b, "=_", 2) == 0 && strlen(b) > 20);
	sbuf_addf(&delim, "--%s", b);
	for (p = out.buf; (p = strstr(p, delim.buf)) != NULL; p += delim.len) {
		assert_true(p[-1] == '\n');
		count++;
	}
	assert_int_equal(count, 3);	/* two parts and the close */
	assert_string_equal(jstr(j, "text"), m.text);
	assert_string_equal(jstr(j, "html"), m.html);
	json_decref(j);
	sbuf_release(&out);
	sbuf_release(&delim);
}

static void test_html_escape(void **state)
{
	struct sbuf out = SBUF_INIT;

	(void)state;
	mime_html_escape("<script>alert('x')</script> & \"q\"", &out);
	assert_string_equal(out.buf, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
	sbuf_reset(&out);
	mime_html_escape(NULL, &out);
	assert_int_equal(out.len, 0);
	mime_html_escape("æøå عربي", &out);
	assert_string_equal(out.buf, "æøå عربي");
	sbuf_release(&out);
}

static void test_html_default(void **state)
{
	struct mime_mail m;
	json_t *j;
	const char *html;
	struct sbuf out = SBUF_INIT;

	(void)state;
	base_mail(&m);
	m.html = NULL;
	m.lang = "ar";
	m.subject = "عنوان";
	m.title = "<script>alert(1)</script> فريق";
	m.summary = "line one\nline <b>two</b>";
	m.url = "https://frivillig.randers.dk/o/1?a=1&b=2";
	m.button_label = "اقرأ المزيد";
	m.unsubscribe_url = "https://frivillig.randers.dk/unsubscribe?t=x";
	m.unsubscribe_label = "إلغاء الاشتراك";
	j = build_and_parse(&m);
	html = jstr(j, "html");
	assert_null(strstr(html, "<script>"));
	assert_non_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt; فريق"));
	assert_non_null(strstr(html, "<html lang=\"ar\" dir=\"rtl\">"));
	assert_non_null(strstr(html, "line one<br>\nline &lt;b&gt;two&lt;/b&gt;"));
	assert_non_null(strstr(html, "<a href=\"https://frivillig.randers.dk/o/1?a=1&amp;b=2\""));
	assert_non_null(strstr(html, ">اقرأ المزيد</a>"));
	assert_non_null(strstr(html, "<a href=\"https://frivillig.randers.dk/unsubscribe?t=x\""));
	assert_non_null(strstr(html, ">إلغاء الاشتراك</a>"));
	json_decref(j);

	/* Other schemes are left out; Danish is left to right. */
	m.lang = "da";
	m.url = "javascript:alert(1)";
	m.unsubscribe_url = NULL;
	mime_html_default(&m, &out);
	assert_non_null(strstr(out.buf, "<html lang=\"da\" dir=\"ltr\">"));
	assert_null(strstr(out.buf, "javascript"));
	assert_null(strstr(out.buf, "<a "));
	sbuf_reset(&out);
	m.url = "https://x.example\" onmouseover=\"alert(1)";
	mime_html_default(&m, &out);
	assert_null(strstr(out.buf, "onmouseover"));
	sbuf_reset(&out);
	m.lang = "ur-PK";
	mime_html_default(&m, &out);
	assert_non_null(strstr(out.buf, "dir=\"rtl\""));
	sbuf_release(&out);

	assert_true(mime_is_http_url("http://localhost:8080/u?t=1"));
	assert_true(mime_is_http_url("HTTPS://Randers.dk"));
	assert_false(mime_is_http_url("https://"));
	assert_false(mime_is_http_url("ftp://randers.dk"));
	assert_false(mime_is_http_url("https://a b"));
	assert_false(mime_is_http_url(NULL));
}

static void test_default_text(void **state)
{
	struct mime_mail m;
	json_t *j;

	(void)state;
	base_mail(&m);
	m.text = NULL;
	m.title = "Fodboldtræner søges";
	m.summary = "Hjælp U13 om tirsdagen.";
	m.url = "https://frivillig.randers.dk/o/7";
	m.unsubscribe_url = "https://frivillig.randers.dk/unsubscribe?t=y";
	m.unsubscribe_label = "Afmeld";
	j = build_and_parse(&m);
	assert_string_equal(jstr(j, "text"),
			    "Fodboldtræner søges\n\nHjælp U13 om tirsdagen.\n\n"
			    "https://frivillig.randers.dk/o/7\n\n-- \n"
			    "Afmeld: https://frivillig.randers.dk/unsubscribe?t=y\n");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_danish),
		cmocka_unit_test(test_roundtrip_arabic),
		cmocka_unit_test(test_roundtrip_turkish),
		cmocka_unit_test(test_roundtrip_ascii),
		cmocka_unit_test(test_long_body_line),
		cmocka_unit_test(test_line_ends_normalised),
		cmocka_unit_test(test_encoded_words_arabic),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_address_validation),
		cmocka_unit_test(test_list_unsubscribe),
		cmocka_unit_test(test_message_id),
		cmocka_unit_test(test_scratch_reuse),
		cmocka_unit_test(test_boundary),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_html_default),
		cmocka_unit_test(test_default_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
