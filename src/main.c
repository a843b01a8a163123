/* SPDX-License-Identifier: MIT */
/* budbringerd: parses arguments and hands over to the daemon module. */
#include "budbringer/config.h"
#include "budbringer/daemon.h"
#include "budbringer/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: budbringerd [-f] [-t] [-c FILE]\n"
		"  -c FILE  configuration (default " CFG_DEFAULT_PATH ")\n"
		"  -f       stay in the foreground (the default; systemd runs it so)\n"
		"  -t       check the configuration and exit (0 ok, 2 invalid)\n");
}

int main(int argc, char **argv)
{
	struct daemon_opts opts = { .config_path = CFG_DEFAULT_PATH, .foreground = true };
	bool check_only = false;
	int c;

	log_init("budbringerd", LOG_LVL_INFO);
	while ((c = getopt(argc, argv, "c:fth")) != -1) {
		switch (c) {
		case 'c': opts.config_path = optarg; break;
		case 'f': opts.foreground = true; break;
		case 't': check_only = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (check_only) {
		struct config cfg;
		struct sbuf err = SBUF_INIT;
		if (cfg_load(opts.config_path, &cfg, &err) < 0) {
			fputs(err.buf, stderr);
			sbuf_release(&err);
			return 2;
		}
		printf("%s: configuration ok\n", opts.config_path);
		cfg_free(&cfg);
		return 0;
	}
	return daemon_run(&opts);
}
