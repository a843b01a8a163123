/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DAEMON_H
#define BUDBRINGER_DAEMON_H

/*
 * DESIGN: the daemon's one context and its loop (Redis's serverCron):
 * signal handlers only set flags; each turn of the loop acts on them, then
 *   1. every poll_interval: automatic campaigns for new publications,
 *      finished campaigns marked done, housekeeping;
 *   2. one expansion batch of a due campaign;
 *   3. one outbox turn (claim, submit, collect answers);
 * and sleeps in poll() on a wake pipe (written by HTTP handlers) for as
 * long as nothing is due, so an idle daemon uses no CPU.
 */

#include "budbringer/config.h"

struct daemon_opts {
	const char *config_path;
	bool foreground;
	bool allow_readable_config;  /* start even if the config is group/world-readable */
};

/* Runs until SIGTERM/SIGINT. Returns the process exit code. */
int daemon_run(const struct daemon_opts *opts);

#endif
