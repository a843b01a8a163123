/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CLI_H
#define BUDBRINGER_CLI_H

/*
 * The staff CLI: main.c parses the global options and calls one command
 * group; each group (one file) parses its own arguments and calls the
 * modules. Output: a human table, or with --json machine-readable JSON
 * (one array for listings).
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or config error.
 */

#include <jansson.h>
#include <stdbool.h>

#include "budbringer/config.h"
#include "budbringer/db.h"

struct cli {
	const char *config_path;
	struct config cfg;
	bool cfg_loaded;
	struct db *db;
	bool json;
	const char *prog;
};

/* Loads the config once: 0, or 2 with the reasons on stderr. A config
 * with secrets that others can read is only warned about here. */
int cli_load_config(struct cli *c);
/* Loads the config (exit 2 on error) and opens the database (exit 1). */
int cli_open(struct cli *c);
/* Prints a usage error and returns 2. */
int cli_usage(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints a runtime error and returns 1. */
int cli_fail(struct cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line from stdin without its line end; on a terminal it shows prompt
 * and does not echo (cli_password.c). 0, or -1 at end of input. */
int cli_read_secret(const char *prompt, bool tty, char *buf, size_t n);
/* Prints JSON (steals the reference) followed by a newline. */
void cli_print_json(json_t *j);
/* Parses a positive id; -1 on error. */
long long cli_parse_id(const char *s);
/* Strict integer parsing; -1 when s is not an integer within [min, max]. */
int cli_parse_int(const char *s, long long min, long long max, long long *out);
/* db_message_counts() callback: counts[channel][state] = n in a JSON object. */
int cli_add_count(const char *state, const char *channel, long long n, void *counts);
long long cli_now(void);

int cli_cmd_init(struct cli *c, int argc, char **argv);
int cli_cmd_check_config(struct cli *c, int argc, char **argv);
int cli_cmd_association(struct cli *c, int argc, char **argv);
int cli_cmd_opportunity(struct cli *c, int argc, char **argv);
int cli_cmd_subscriber(struct cli *c, int argc, char **argv);
int cli_cmd_campaign(struct cli *c, int argc, char **argv);
int cli_cmd_log(struct cli *c, int argc, char **argv);
int cli_cmd_resend(struct cli *c, int argc, char **argv);
int cli_cmd_stats(struct cli *c, int argc, char **argv);
int cli_cmd_report(struct cli *c, int argc, char **argv);
/* cli_links.c: short links and fallback emails in `stats` (printed unless
 * --json; added to out) and in `report` (printed when out is NULL). */
int cli_stats_links(struct cli *c, long long campaign_id, json_t *out);
int cli_report_links(struct cli *c, long long from, long long to, json_t *out);
int cli_cmd_hash_password(struct cli *c, int argc, char **argv);
int cli_cmd_portal_token(struct cli *c, int argc, char **argv);
int cli_cmd_db(struct cli *c, int argc, char **argv);
/* bounce: exit codes from sysexits.h, for the MTA (cli_bounce.c). */
int cli_cmd_bounce(struct cli *c, int argc, char **argv);
int cli_cmd_suppression(struct cli *c, int argc, char **argv);
int cli_cmd_callback(struct cli *c, int argc, char **argv);

/* Staff helpers (cli_log.c, cli_gdpr.c). */
/* "30m", "1h", "2d" before now, or a local date "2026-11-01". */
int cli_parse_since(const char *s, long long now, long long *out);
/* The login name of the user running the CLI, for audit rows. */
const char *cli_whoami(void);
/* ISO 8601 date/date-time (optional Z or ±HH:MM), DD-MM-YYYY, DD.MM.YYYY. */
int cli_parse_consent_time(const char *s, long long *out);
/* subscriber export | erase | import, argv[0] being the subcommand. */
int cli_subscriber_export(struct cli *c, int argc, char **argv);
int cli_subscriber_erase(struct cli *c, int argc, char **argv);
int cli_subscriber_import(struct cli *c, int argc, char **argv);

#endif
