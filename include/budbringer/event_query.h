/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_EVENT_QUERY_H
#define BUDBRINGER_EVENT_QUERY_H

/*
 * The delivery log's filters, read from text: the one rule for
 * `budbringer log --NAME VALUE` and /dashboard/log?NAME=VALUE, so both
 * accept and refuse the same things. Pure: no I/O. The filter it fills
 * is the one db_events_each() runs (db.h); the strings it points at live
 * in the struct event_query itself or in the values passed in, which
 * must outlive it.
 */

#include <stddef.h>

#include "budbringer/db.h"

struct event_query {
	struct event_filter f;
	char recipient[256];   /* an E.164 number or a normalised email address */
};

void event_query_init(struct event_query *q);

/*
 * Sets filter `name` from `value`:
 *   campaign, subscriber  an id
 *   status                a message state (MESSAGE_STATES)
 *   channel               sms or email
 *   provider              a provider's name (letters, digits, . _ -)
 *   since, until          30m, 1h, 2d (back from now), 2026-11-01 or
 *                         2026-11-01T18:00 (local time; until is exclusive)
 *   recipient             a phone number in any written form (default_cc for
 *                         national numbers) or an email address: exact match
 *   before                an event id: only older events (the next page)
 * An empty value (a form field left blank) sets nothing. Returns 0, 1 when
 * `name` is not a filter, or -1 with a reason ("'x' is not one of: …") in
 * why (size n) that the caller prefixes with the name.
 */
int event_query_set(struct event_query *q, const char *name, const char *value,
		    const char *default_cc, long long now, char *why, size_t n);

/* "30m" / "2d" / "2026-11-01" / "2026-11-01T18:00" as unix time (local time
 * zone of the process). 0, or -1 when it is none of them. */
int event_query_parse_time(const char *s, long long now, long long *out);

#endif
