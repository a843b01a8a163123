/* SPDX-License-Identifier: MIT */
/* budbringer: the staff CLI. Global options, then one command. */
#include "cli.h"
#include "budbringer/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct command {
	const char *name;
	int (*fn)(struct cli *, int, char **);
	const char *help;
} commands[] = {
	{ "init", cli_cmd_init, "create or migrate the database" },
	{ "check-config", cli_cmd_check_config, "validate the configuration" },
	{ "db", cli_cmd_db, "copy --to DATABASE: copy everything into an empty database (SQLite to PostgreSQL)" },
	{ "association", cli_cmd_association, "add | list | token NAME" },
	{ "opportunity", cli_cmd_opportunity, "add | list | show ID | publish ID | close ID" },
	{ "subscriber", cli_cmd_subscriber, "add | list | show ID | import FILE.csv | export ID | erase ID" },
	{ "campaign", cli_cmd_campaign, "create | list | show ID | approve ID | cancel ID" },
	{ "callback", cli_cmd_callback, "add --association ID|--portal --url URL [--messages] | list | remove ID | rotate-secret ID | events [--failed]" },
	{ "log", cli_cmd_log, "message events [--campaign ID] [--status S] [--channel C] [--since 1h] [--follow] [--unmasked]" },
	{ "resend", cli_cmd_resend, "send unknown messages again by hand: MESSAGE_ID… | --campaign ID" },
	{ "stats", cli_cmd_stats, "message figures overall, per campaign, channel, language [--campaign ID]" },
	{ "report", cli_cmd_report, "evaluation figures --from DATE --to DATE [--csv] [--html FILE]" },
	{ "hash-password", cli_cmd_hash_password, "make a dashboard password_hash for the staff list" },
	{ "bounce", cli_cmd_bounce, "one bounced or complained mail on stdin, from the MTA [--recipient ADDR]" },
	{ "suppression", cli_cmd_suppression, "list [--reason R] [--limit N] | lift ADDRESS (bounce suppressions only)" },
	{ "portal-token", cli_cmd_portal_token, "make the portal's API token and its portal_token_sha256 [--hash < TOKEN]" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: budbringer [-c FILE] [--json] COMMAND [ARGS…]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-14s %s\n", commands[i].name, commands[i].help);
	fprintf(f, "\n-c FILE defaults to " CFG_DEFAULT_PATH " (or $BUDBRINGER_CONFIG)\n");
}

int cli_load_config(struct cli *c)
{
	struct sbuf err = SBUF_INIT;

	if (c->cfg_loaded)
		return 0;
	if (cfg_load(c->config_path, &c->cfg, &err) < 0) {
		fputs(err.buf, stderr);
		sbuf_release(&err);
		return 2;
	}
	c->cfg_loaded = true;
	cfg_check_permissions(&c->cfg, false, NULL); /* warns: the CLI still runs */
	return 0;
}

int cli_open(struct cli *c)
{
	int ret = cli_load_config(c);

	if (ret)
		return ret;
	if (!c->db) {
		const struct db_options opt = { .password_file = c->cfg.database_password_file };

		c->db = db_open_with(c->cfg.database, &opt);
		if (!c->db)
			return 1;
		if (db_set_address_key(c->db, c->cfg.secret_key) < 0)
			return 1;
	}
	return 0;
}

__attribute__((format(printf, 3, 0)))
static int complain(const struct cli *c, int code, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", c->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	return code;
}

int cli_usage(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	int ret;
	va_start(ap, fmt);
	ret = complain(c, 2, fmt, ap);
	va_end(ap);
	return ret;
}

int cli_fail(struct cli *c, const char *fmt, ...)
{
	va_list ap;
	int ret;
	va_start(ap, fmt);
	ret = complain(c, 1, fmt, ap);
	va_end(ap);
	return ret;
}

void cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (s) {
		puts(s);
		free(s);
	}
	json_decref(j);
}

int cli_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	long long v;
	if (!s || !*s)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

long long cli_parse_id(const char *s)
{
	long long v;
	return cli_parse_int(s, 1, (1LL << 53), &v) < 0 ? -1 : v;
}

long long cli_now(void)
{
	return (long long)time(NULL);
}

int cli_add_count(const char *state, const char *channel, long long n, void *arg)
{
	json_t *counts = arg;
	json_t *per = json_object_get(counts, channel);
	if (!per) {
		per = json_object();
		json_object_set_new(counts, channel, per);
	}
	json_object_set_new(per, state, json_integer(n));
	return 0;
}

int main(int argc, char **argv)
{
	struct cli c = { .config_path = CFG_DEFAULT_PATH, .prog = "budbringer" };
	const char *env = getenv("BUDBRINGER_CONFIG");
	int i = 1, ret = 2;

	log_init("budbringer", LOG_LVL_WARN);
	if (env && *env)
		c.config_path = env;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc)
			c.config_path = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			c.json = true;
		else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	/* --json is also accepted after the command, where people type it. */
	for (int j = i + 1; j < argc; j++) {
		if (!strcmp(argv[j], "--json")) {
			c.json = true;
			memmove(&argv[j], &argv[j + 1], (size_t)(argc - j) * sizeof(char *));
			argc--;
			j--;
		}
	}
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++) {
		if (!strcmp(argv[i], commands[k].name)) {
			ret = commands[k].fn(&c, argc - i, argv + i);
			goto out;
		}
	}
	ret = cli_usage(&c, "unknown command '%s' (try --help)", argv[i]);
out:
	db_close(c.db);
	if (c.cfg_loaded)
		cfg_free(&c.cfg);
	return ret;
}
