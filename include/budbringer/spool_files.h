/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SPOOL_FILES_H
#define BUDBRINGER_SPOOL_FILES_H

/*
 * The files the spool providers leave behind (DIR/<message id>.json for
 * SMS, DIR/<message id>.eml for email) hold numbers, addresses and texts:
 * personal data like the database's, so they go when the person is erased
 * and when retention says the message is old. The directories are those
 * the config names (every spool SMS provider's, and email's
 * spool_directory), whether or not that provider is in use now.
 */

#include <stddef.h>
#include <time.h>

#include "budbringer/config.h"

/* Removes the spool files of these messages in every spool directory.
 * Returns the number of files removed, -1 when one could not be (logged;
 * the others are still removed). */
long long spool_files_remove(const struct config *cfg, const long long *ids, size_t n);

/* Removes the message files last written before `before` (and stale
 * temporary files). Returns the number removed, -1 on an error (logged). */
long long spool_files_purge(const struct config *cfg, time_t before);

#endif
