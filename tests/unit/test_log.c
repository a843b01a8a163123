/* SPDX-License-Identifier: MIT */
/*
 * Log lines: one line per call whatever the values hold. A value from
 * outside (a gateway's message id with a newline) must not be able to
 * write a line of its own that looks like one of ours.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budbringer/log.h"
#include "testutil.h"

/* What one log_info() call wrote to stderr. */
static char *logged(const char *value)
{
	char path[] = "/tmp/test_log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	static char buf[8192];
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	assert_true(dup2(fd, STDERR_FILENO) >= 0);
	log_info("dlr id=%s state=delivered", value);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	buf[n] = '\0';
	return buf;
}

static void test_control_characters_escaped(void **state)
{
	const char *out;

	(void)state;
	log_init("budbringerd", LOG_LVL_INFO);
	out = logged("x\nbudbringerd: info: ready pid=1\r\t\x01\x7f");
	assert_string_equal(out, "budbringerd: info: dlr id=x\\nbudbringerd: info: ready pid=1"
				 "\\r\\t\\x01\\x7f state=delivered\n");
	/* UTF-8 is text, not control characters. */
	out = logged("Tak for hjælpen, شكرا");
	assert_string_equal(out, "budbringerd: info: dlr id=Tak for hjælpen, شكرا state=delivered\n");
}

static void test_long_value_truncated_on_one_line(void **state)
{
	char big[LOG_LINE_MAX * 2];
	const char *out;

	(void)state;
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	out = logged(big);
	assert_true(strlen(out) <= LOG_LINE_MAX && strlen(out) > LOG_LINE_MAX - 10); /* no NUL gap */
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
	assert_non_null(strstr(out, "...\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_characters_escaped),
		cmocka_unit_test(test_long_value_truncated_on_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
