/* SPDX-License-Identifier: MIT */
/* Erasing and expiring the spool providers' files (spool_files.h). */
#include "budbringer/spool_files.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SPOOL_DIRS_MAX 17   /* every SMS provider's and email's */

static size_t spool_dirs(const struct config *cfg, const char *dirs[SPOOL_DIRS_MAX])
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->sms.n_providers && n < SPOOL_DIRS_MAX - 1; i++) {
		const struct cfg_sms_provider *p = &cfg->sms.providers[i];
		if (p->type && !strcmp(p->type, "spool") && p->directory && *p->directory)
			dirs[n++] = p->directory;
	}
	if (cfg->email.spool_directory && *cfg->email.spool_directory)
		dirs[n++] = cfg->email.spool_directory;
	return n;
}

/* 1 removed, 0 not there, -1 error (logged). */
static int remove_file(const char *dir, const char *name)
{
	char path[4096];

	if (bsnprintf(path, sizeof(path), "%s/%s", dir, name) < 0)
		return error("spool path too long: %s/%s", dir, name);
	if (unlink(path) == 0)
		return 1;
	if (errno == ENOENT)
		return 0;
	return error("cannot remove spool file %s: %s", path, strerror(errno));
}

long long spool_files_remove(const struct config *cfg, const long long *ids, size_t n)
{
	static const char *const ext[] = { "json", "eml" };
	const char *dirs[SPOOL_DIRS_MAX];
	size_t nd = spool_dirs(cfg, dirs);
	long long removed = 0;
	bool failed = false;

	for (size_t d = 0; d < nd; d++) {
		for (size_t i = 0; i < n; i++) {
			for (size_t e = 0; e < 2; e++) {
				char name[48];
				int rc;

				if (bsnprintf(name, sizeof(name), "%lld.%s", ids[i], ext[e]) < 0)
					continue;
				rc = remove_file(dirs[d], name);
				if (rc < 0)
					failed = true;
				else
					removed += rc;
			}
		}
	}
	return failed ? -1 : removed;
}

/* Our names only: "<digits>.json", "<digits>.eml", ".tmp-<that>". */
static bool spool_name(const char *name)
{
	size_t digits;

	if (!strncmp(name, ".tmp-", 5))
		name += 5;
	digits = strspn(name, "0123456789");
	return digits > 0 && (!strcmp(name + digits, ".json") || !strcmp(name + digits, ".eml"));
}

long long spool_files_purge(const struct config *cfg, time_t before)
{
	const char *dirs[SPOOL_DIRS_MAX];
	size_t nd = spool_dirs(cfg, dirs);
	long long removed = 0;
	bool failed = false;

	for (size_t d = 0; d < nd; d++) {
		DIR *dh = opendir(dirs[d]);
		struct dirent *de;

		if (!dh) {
			if (errno != ENOENT) {
				error("cannot read spool directory %s: %s", dirs[d], strerror(errno));
				failed = true;
			}
			continue;
		}
		while ((de = readdir(dh))) {
			struct stat st;
			int rc;

			if (!spool_name(de->d_name) || fstatat(dirfd(dh), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
			    !S_ISREG(st.st_mode) || st.st_mtime >= before)
				continue;
			rc = remove_file(dirs[d], de->d_name);
			if (rc < 0)
				failed = true;
			else
				removed += rc;
		}
		closedir(dh);
	}
	return failed ? -1 : removed;
}
