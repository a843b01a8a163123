/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/template.h"

static const struct template_values full = {
	.title = "Fodboldtræner søges",
	.summary = "Hjælp U12 om tirsdagen",
	.url = "https://frivillig.example.dk/o/42",
	.association = "Boldklubben Øst",
	.starts_at = "1. maj kl. 17",
	.location = "Søndermarken",
	.stop = "Afmeld: send STOP til 1234",
};

/* Renders and returns a static copy of the result; fails the test on error. */
static const char *render(const char *tmpl, const struct template_values *v)
{
	static char copy[1024];
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	int rc = template_render(tmpl, v, &out, &err);

	if (rc != 0)
		print_error("render '%s': %s\n", tmpl, err.buf);
	assert_int_equal(rc, 0);
	assert_int_equal(err.len, 0);
	assert_true(out.len < sizeof(copy));
	memcpy(copy, out.buf, out.len + 1);
	sbuf_release(&out);
	sbuf_release(&err);
	return copy;
}

/* Expects both validate and render to fail with exactly want_err. */
static void expect_error(const char *tmpl, const char *want_err)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;

	assert_int_equal(template_validate(tmpl, &err), -1);
	assert_string_equal(err.buf, want_err);
	sbuf_reset(&err);

	sbuf_addstr(&out, "kept");
	assert_int_equal(template_render(tmpl, &full, &out, &err), -1);
	assert_string_equal(err.buf, want_err);
	/* nothing half-rendered is appended on error */
	assert_string_equal(out.buf, "kept");
	sbuf_release(&out);
	sbuf_release(&err);
}

static void test_all_placeholders(void **state)
{
	(void)state;
	assert_string_equal(render("{title}|{summary}|{url}|{association}|{starts_at}|"
				   "{location}|{stop}", &full),
			    "Fodboldtræner søges|Hjælp U12 om tirsdagen|"
			    "https://frivillig.example.dk/o/42|Boldklubben Øst|1. maj kl. 17|"
			    "Søndermarken|Afmeld: send STOP til 1234");
	assert_string_equal(render("{title} – {association}", &full),
			    "Fodboldtræner søges – Boldklubben Øst");
	/* a placeholder may repeat */
	assert_string_equal(render("{url} {url}", &full),
			    "https://frivillig.example.dk/o/42 https://frivillig.example.dk/o/42");
}

static void test_literal_braces(void **state)
{
	(void)state;
	assert_string_equal(render("{{title}} is {title}", &full),
			    "{title} is Fodboldtræner søges");
	assert_string_equal(render("a {{ b }} c", &full), "a { b } c");
	assert_string_equal(render("{{{title}}}", &full), "{Fodboldtræner søges}");
	assert_int_equal(template_validate("{{}}", NULL), 0);
}

static void test_values_not_expanded(void **state)
{
	struct template_values v = { .title = "{url} {{", .url = "U" };

	(void)state;
	assert_string_equal(render("{title} {url}", &v), "{url} {{ U");
}

static void test_null_values_and_spaces(void **state)
{
	struct template_values v = full;

	(void)state;
	v.location = NULL;
	assert_string_equal(render("{title} {location} {url}", &v),
			    "Fodboldtræner søges https://frivillig.example.dk/o/42");
	v.stop = NULL;
	assert_string_equal(render("{title} {stop}", &v), "Fodboldtræner søges");
	v.title = NULL;
	assert_string_equal(render("  {title}  {location} x ", &v), "x");
	/* all empty: empty result */
	assert_string_equal(render("{title} {summary} {stop}", NULL), "");
	/* empty strings behave like NULL */
	v.title = "";
	assert_string_equal(render("a {title} b", &v), "a b");
}

static void test_newlines_kept(void **state)
{
	struct template_values v = full;

	(void)state;
	v.location = NULL;
	assert_string_equal(render("{title}\n{location} {starts_at}\n\n{stop}\n", &v),
			    "Fodboldtræner søges\n1. maj kl. 17\n\nAfmeld: send STOP til 1234");
	/* spaces at the end of a line are dropped, the line break stays */
	assert_string_equal(render("a {location}\nb", &v), "a\nb");
	assert_string_equal(render("a {location}\r\nb", &v), "a\r\nb");
	v.stop = NULL;
	assert_string_equal(render("{title}\n{stop}", &v), "Fodboldtræner søges");
}

static void test_utf8_untouched(void **state)
{
	struct template_values v = { .title = "مرحبا", .summary = "Türkçe ğüşiöç", .url = "😀" };

	(void)state;
	/* U+00A0 and U+3000 are not ASCII spaces and must survive */
	assert_string_equal(render("{title}\xc2\xa0\xc2\xa0{summary}\xe3\x80\x80{url}", &v),
			    "مرحبا\xc2\xa0\xc2\xa0Türkçe ğüşiöç\xe3\x80\x80😀");
	/* tabs are not collapsed inside */
	assert_string_equal(render("a\t\tb", &v), "a\t\tb");
}

static void test_appends(void **state)
{
	struct sbuf out = SBUF_INIT;

	(void)state;
	sbuf_addstr(&out, "pre:");
	assert_int_equal(template_render(" {title} ", &full, &out, NULL), 0);
	assert_string_equal(out.buf, "pre:Fodboldtræner søges");
	sbuf_release(&out);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("Hej {titel}", "unknown placeholder '{titel}' at 4");
	expect_error("{Title}", "unknown placeholder '{Title}' at 0");
	expect_error("{}", "unknown placeholder '{}' at 0");
	expect_error("{ title }", "unknown placeholder '{ title }' at 0");
	expect_error("ok {title} then {", "unclosed '{' at 16");
	expect_error("{title", "unclosed '{' at 0");
	expect_error("{ti{tle}", "unclosed '{' at 0");
	expect_error("{title\n}", "unclosed '{' at 0");
	expect_error("a } b", "unmatched '}' at 2");
	expect_error("{{title}", "unmatched '}' at 7");
	/* offsets are in bytes: "æø " is 5 bytes */
	expect_error("æø {x}", "unknown placeholder '{x}' at 5");
	expect_error("ab\xff", "invalid UTF-8 at 2");
	expect_error(NULL, "no template");
}

static void test_long_name_cut(void **state)
{
	struct sbuf err = SBUF_INIT;
	char tmpl[128];

	(void)state;
	/* 31 ASCII bytes then 'ø': the cut must not split the two-byte 'ø' */
	memset(tmpl, 0, sizeof(tmpl));
	tmpl[0] = '{';
	memset(tmpl + 1, 'a', 31);
	memcpy(tmpl + 32, "øøøø}", sizeof("øøøø}"));
	assert_int_equal(template_validate(tmpl, &err), -1);
	assert_string_equal(err.buf, "unknown placeholder '{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa…' at 0");
	sbuf_release(&err);
}

static void test_validate_ok(void **state)
{
	(void)state;
	assert_int_equal(template_validate("", NULL), 0);
	assert_int_equal(template_validate("plain text æøå", NULL), 0);
	assert_int_equal(template_validate("{title} – {summary} {url} {association} "
					   "{starts_at} {location} {stop}", NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_placeholders),
		cmocka_unit_test(test_literal_braces),
		cmocka_unit_test(test_values_not_expanded),
		cmocka_unit_test(test_null_values_and_spaces),
		cmocka_unit_test(test_newlines_kept),
		cmocka_unit_test(test_utf8_untouched),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_long_name_cut),
		cmocka_unit_test(test_validate_ok),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
