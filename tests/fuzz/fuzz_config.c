/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the config loader: any bytes as a config file.
 * cfg_load() must either accept (and cfg_free() cleans up) or reject with
 * an error message naming the file; never crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "budbringer/config.h"
#include "budbringer/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64];
	struct config cfg;
	struct sbuf err = SBUF_INIT;

	if (fd < 0) {
		log_init("fuzz_config", LOG_LVL_ERROR);
		fd = memfd_create("fuzz_config", 0);
		if (fd < 0)
			abort();
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (cfg_load(path, &cfg, &err) == 0) {
		cfg_free(&cfg);
	} else if (!strstr(err.buf, path)) {
		/* Every error names the file. */
		abort();
	}
	sbuf_release(&err);
	return 0;
}
