/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_LINKS_H
#define BUDBRINGER_DB_LINKS_H

/*
 * The short links table (src/db_links.c): one row per (campaign, channel,
 * language) with its code, its target and two counters — clicks and
 * prefetches (scanners, HEAD). No row names a person or an address.
 */

#include <stdbool.h>

#include "budbringer/db.h"
#include "budbringer/links.h"

/*
 * The code of the (campaign, channel, lang) link, made with a new random
 * code on first use; the target follows the opportunity's URL (the last
 * one given wins). 0 with code set, -1 on error (logged).
 */
int db_link_ensure(struct db *db, long long campaign_id, const char *channel, const char *lang,
		   const char *target, long long now, char code[LINKS_CODE_LEN + 1]);

/* Follows a (valid) code: counts a click, or a prefetch when prefetch,
 * and gives its target (caller frees). 0 found, 1 no such code, -1 error. */
int db_link_follow(struct db *db, const char *code, bool prefetch, char **target);

struct link_row {
	long long campaign_id;
	const char *channel, *lang, *code;
	long long clicks, prefetches;
	long long sent;   /* the campaign's messages on the channel in lang that went out */
};
/* Every link (campaign_id 0) or one campaign's, by campaign and language. */
int db_link_each(struct db *db, long long campaign_id,
		 int (*cb)(const struct link_row *, void *), void *arg);

/* Short-link SMS figures of the campaigns sent in [from, to), by language
 * and the campaign's age range (min_age/max_age, -1 = open): clicks are
 * counted per campaign, never per person, so an age band is only known
 * through the audience a campaign aimed at. */
struct link_report_row {
	const char *lang;
	int min_age, max_age;
	long long clicks, prefetches, sent;
};
int db_link_report_each(struct db *db, long long from, long long to,
			int (*cb)(const struct link_report_row *, void *), void *arg);

#endif
