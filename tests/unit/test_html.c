/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/html.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_escape(void **state)
{
	struct sbuf sb = SBUF_INIT;
	(void)state;
	html_escape(&sb, "<script>alert('x') & \"y\"</script>æ");
	assert_string_equal(sb.buf, "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;æ");
	html_escape(&sb, NULL);
	sbuf_release(&sb);
}

static void test_url_encode(void **state)
{
	struct sbuf sb = SBUF_INIT;
	(void)state;
	html_url_encode(&sb, "+45 20&x=\"<æ>~a-b_c.d");
	assert_string_equal(sb.buf, "%2B45%2020%26x%3D%22%3C%C3%A6%3E~a-b_c.d");
	html_url_encode(&sb, NULL);
	sbuf_release(&sb);
}

/* Past 24 labels only every n-th is written under the axis; every
 * column keeps its own tooltip. */
static void test_columns_many_labels(void **state)
{
	struct sbuf sb = SBUF_INIT;
	char names[60][8];
	const char *labels[60];
	long long v[60];
	const struct chart_series s[] = { { "n", "#111", v } };
	(void)state;
	for (int i = 0; i < 60; i++) {
		snprintf(names[i], sizeof(names[i]), "m%02d", i);
		labels[i] = names[i];
		v[i] = i;
	}
	svg_columns(&sb, "per minute", labels, 60, s, 1, 720, 240);
	assert_non_null(strstr(sb.buf, ">m00</text>"));
	assert_non_null(strstr(sb.buf, ">m05</text>"));
	assert_null(strstr(sb.buf, ">m01</text>"));
	assert_non_null(strstr(sb.buf, "<title>m01 · n: 1</title>"));
	sbuf_release(&sb);
}

static void test_columns(void **state)
{
	struct sbuf sb = SBUF_INIT;
	const char *labels[] = { "under 15", "15-25", "<26+>" };
	const long long a[] = { 3, 120, 0 }, b[] = { 1, 99, 7 };
	const struct chart_series s[] = { { "start", "#111", a }, { "end <x>", "#222", b } };
	(void)state;
	svg_columns(&sb, "Subscribers & bands", labels, 3, s, 2, 520, 260);
	assert_non_null(strstr(sb.buf, "<svg xmlns=\"http://www.w3.org/2000/svg\""));
	assert_non_null(strstr(sb.buf, "aria-label=\"Subscribers &amp; bands\""));
	assert_non_null(strstr(sb.buf, "&lt;26+&gt;"));
	assert_non_null(strstr(sb.buf, "end &lt;x&gt;"));
	assert_null(strstr(sb.buf, "<26+>"));
	/* 6 columns + 2 legend swatches; the axis top is a round 200. */
	assert_int_equal(count(sb.buf, "<rect"), 8);
	assert_non_null(strstr(sb.buf, ">200</text>"));
	assert_true(strlen(sb.buf) > 0 && !strstr(sb.buf, "nan") && !strstr(sb.buf, "inf"));
	sbuf_release(&sb);
	/* nothing to draw: still well-formed, no division by zero */
	svg_columns(&sb, "empty", labels, 0, s, 2, 300, 200);
	assert_non_null(strstr(sb.buf, "</svg>"));
	assert_null(strstr(sb.buf, "nan"));
	sbuf_release(&sb);
}

static void test_stacked(void **state)
{
	struct sbuf sb = SBUF_INIT;
	const struct chart_part parts[] = { { "delivered", "#0a0", 3 }, { "failed", "#a00", 1 },
		{ "none", "#000", 0 } };
	(void)state;
	svg_stacked_bar(&sb, parts, 3, 400, 10);
	assert_non_null(strstr(sb.buf, "x=\"0.00\" width=\"300.00\""));
	assert_non_null(strstr(sb.buf, "x=\"300.00\" width=\"100.00\""));
	assert_null(strstr(sb.buf, "none: 0"));   /* empty parts are not drawn */
	sbuf_release(&sb);
	svg_stacked_bar(&sb, parts + 2, 1, 400, 10);
	assert_int_equal(count(sb.buf, "<rect"), 1);   /* only the background */
	sbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_url_encode),
		cmocka_unit_test(test_columns_many_labels),
		cmocka_unit_test(test_columns),
		cmocka_unit_test(test_stacked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
