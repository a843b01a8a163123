/* SPDX-License-Identifier: MIT */
/* budbringerd: parses arguments and hands over to the daemon module. */
#include "budbringer/config.h"
#include "budbringer/daemon.h"
#include "budbringer/log.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: budbringerd [-f] [-t] [-c FILE] [--allow-readable-config]\n"
		"  -c FILE  configuration (default " CFG_DEFAULT_PATH ")\n"
		"  -f       stay in the foreground (the default; systemd runs it so)\n"
		"  -t       check the configuration and exit (0 ok, 2 invalid)\n"
		"  --allow-readable-config  start although the config with secrets is\n"
		"           readable by group or others (not recommended)\n");
}

int main(int argc, char **argv)
{
	struct daemon_opts opts = { .config_path = CFG_DEFAULT_PATH, .foreground = true };
	bool check_only = false;
	int c;

	log_init("budbringerd", LOG_LVL_INFO);
	static const struct option longopts[] = {
		{ "allow-readable-config", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};

	while ((c = getopt_long(argc, argv, "c:fth", longopts, NULL)) != -1) {
		switch (c) {
		case 'R': opts.allow_readable_config = true; break;
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
		if (cfg_load(opts.config_path, &cfg, &err) < 0 ||
		    cfg_check_permissions(&cfg, !opts.allow_readable_config, &err) < 0) {
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
