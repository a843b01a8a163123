/* SPDX-License-Identifier: MIT */
/*
 * The wire journal (wire.h): the table of messages in flight, its file,
 * and what a later daemon may read from it — only once its owner is gone
 * and only for the same database.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budbringer/wire.h"

static int files_in(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, "budbringer-wire-", 16);
	closedir(d);
	return n;
}

static void test_index_keeps_every_message(void **state)
{
	struct wire *w = wire_open(NULL, NULL, 0, 300, NULL);

	(void)state;
	assert_false(wire_is_file(w));
	for (long long id = 1; id <= 300; id++)
		assert_non_null(wire_claim(w, id * 7919, (int)(id % 5)));
	assert_null(wire_claim(w, 1, 0));	/* full: that message must wait */
	wire_release(w, 2 * 7919);
	assert_null(wire_claim(w, 7919, 0));	/* already in flight: never twice */
	assert_non_null(wire_claim(w, 2 * 7919, 2));
	for (long long id = 1; id <= 300; id += 2)
		wire_release(w, id * 7919);
	/* Whatever the release shifted in the index is still found. */
	for (long long id = 1; id <= 300; id++) {
		if (id % 2)
			assert_null(wire_find(w, id * 7919));
		else
			assert_int_equal(wire_attempts(w, id * 7919), (int)(id % 5));
	}
	assert_int_equal(wire_in_use(w), 150);
	assert_int_equal(wire_attempts(w, 42), -1);
	wire_unref(w);
}

static void test_dead_daemons_journal(void **state)
{
	char dir[] = "/tmp/bb-wire-XXXXXX", msgid[32];
	struct wire_view *v;
	struct wire *w;

	(void)state;
	assert_non_null(mkdtemp(dir));
	w = wire_open(dir, "/srv/a.db", 7, 16, NULL);
	assert_non_null(w);
	assert_true(wire_is_file(w));
	assert_int_equal(files_in(dir), 1);
	assert_non_null(wire_claim(w, 1, 1));
	wire_out(wire_claim(w, 2, 1));
	wire_answer(wire_claim(w, 3, 1), SEND_OK, "gw-3");
	wire_answer(wire_claim(w, 4, 1), SEND_TEMPFAIL, NULL);
	wire_out(wire_claim(w, 5, 1));
	wire_answer(wire_find(w, 5), SEND_UNKNOWN, NULL);	/* a lost answer: still out */
	assert_int_equal(wire_slot_state(wire_find(w, 5)), WIRE_OUT);

	/* Its owner lives (holds the lock): nothing to trust. */
	assert_null(wire_view_open(dir, "/srv/a.db", 7));
	/* The owner goes with messages in flight: the file stays. */
	wire_unref(w);
	assert_int_equal(files_in(dir), 1);
	/* Another database's daemon 7, or another id: not this journal. */
	assert_null(wire_view_open(dir, "/srv/b.db", 7));
	assert_null(wire_view_open(dir, "/srv/a.db", 8));

	v = wire_view_open(dir, "/srv/a.db", 7);
	assert_non_null(v);
	assert_int_equal(wire_view_get(v, 1, msgid, sizeof(msgid)), WIRE_HANDED);
	assert_int_equal(wire_view_get(v, 2, msgid, sizeof(msgid)), WIRE_OUT);
	assert_int_equal(wire_view_get(v, 3, msgid, sizeof(msgid)), WIRE_ACCEPTED);
	assert_string_equal(msgid, "gw-3");
	assert_int_equal(wire_view_get(v, 4, msgid, sizeof(msgid)), WIRE_REFUSED);
	assert_int_equal(wire_view_get(v, 5, msgid, sizeof(msgid)), WIRE_OUT);
	assert_int_equal(wire_view_get(v, 6, msgid, sizeof(msgid)), WIRE_FREE);
	/* Settled: the journal goes. */
	wire_view_close(v, true);
	assert_int_equal(files_in(dir), 0);

	/* A clean stop with nothing in flight leaves no file. */
	w = wire_open(dir, "/srv/a.db", 9, 16, NULL);
	assert_non_null(w);
	assert_non_null(wire_claim(w, 1, 1));
	wire_release(w, 1);
	wire_unref(w);
	assert_int_equal(files_in(dir), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_unusable_directory(void **state)
{
	struct sbuf err = SBUF_INIT;

	(void)state;
	assert_null(wire_open("/nonexistent/bb", "/srv/a.db", 1, 4, &err));
	assert_non_null(strstr(err.buf, "cannot create the wire journal"));
	sbuf_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_index_keeps_every_message),
		cmocka_unit_test(test_dead_daemons_journal),
		cmocka_unit_test(test_unusable_directory),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
