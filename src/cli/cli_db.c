/* SPDX-License-Identifier: MIT */
/*
 * db copy --to TARGET [--password-file FILE]: copies the configured
 * database into an empty one of either engine (db_copy.h), typically the
 * SQLite file into PostgreSQL before `database` is switched to the URI.
 * Progress goes to stderr; the per-table counts of both sides, which the
 * copy has compared, to stdout.
 */
#include "cli.h"
#include "budbringer/db_copy.h"

#include <stdio.h>
#include <string.h>

static void progress(const struct db_copy_table *t, void *arg)
{
	(void)arg;
	fprintf(stderr, "copy: %s: %lld of %lld rows\n", t->name, t->copied, t->source_rows);
}

static int db_copy_cmd(struct cli *c, int argc, char **argv)
{
	const char *target = NULL, *password_file = NULL;
	struct db_copy_table tables[DB_COPY_TABLES];
	struct sbuf err = SBUF_INIT;
	struct db *to;
	long long total = 0;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--to") && i + 1 < argc)
			target = argv[++i];
		else if (!strcmp(argv[i], "--password-file") && i + 1 < argc)
			password_file = argv[++i];
		else
			return cli_usage(c, "db copy: unknown argument '%s'", argv[i]);
	}
	if (!target || !*target)
		return cli_usage(c, "usage: db copy --to DATABASE [--password-file FILE]");
	if (db_target_is_postgresql(target) && db_check_postgresql_uri(target, &err) < 0) {
		ret = cli_usage(c, "db copy: --to: %s", err.buf);
		sbuf_release(&err);
		return ret;
	}
	if ((ret = cli_open(c)))
		return ret;
	if (!strcmp(target, c->cfg.database))
		return cli_usage(c, "db copy: the target is the configured database itself");
	{
		const struct db_options opt = { .password_file = password_file };

		if (!(to = db_open_with(target, &opt)))
			return cli_fail(c, "db copy: cannot open the target '%s'", target);
	}
	fprintf(stderr, "copy: %s database '%s' into %s database '%s'\n", db_engine_name(c->db),
		c->cfg.database, db_engine_name(to), target);
	ret = db_copy(c->db, to, cli_now(), tables, progress, NULL, &err);
	if (ret < 0) {
		ret = cli_fail(c, "db copy: %s", err.buf);
	} else if (c->json) {
		json_t *a = json_array();

		for (size_t i = 0; db_copy_tables[i]; i++)
			json_array_append_new(a, json_pack("{s:s, s:I, s:I}", "table", tables[i].name,
							   "source", (json_int_t)tables[i].source_rows,
							   "target", (json_int_t)tables[i].target_rows));
		cli_print_json(a);
	} else {
		printf("%-22s %12s %12s\n", "table", "source", "target");
		for (size_t i = 0; db_copy_tables[i]; i++) {
			printf("%-22s %12lld %12lld\n", tables[i].name, tables[i].source_rows,
			       tables[i].target_rows);
			total += tables[i].target_rows;
		}
		printf("copy verified: %d tables, %lld rows\n", DB_COPY_TABLES, total);
	}
	db_close(to);
	sbuf_release(&err);
	return ret;
}

int cli_cmd_db(struct cli *c, int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "copy"))
		return db_copy_cmd(c, argc - 1, argv + 1);
	return cli_usage(c, "usage: db copy --to DATABASE [--password-file FILE]");
}
