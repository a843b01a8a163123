/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_MAIL_H
#define BUDBRINGER_DB_MAIL_H

/* SQL of the email channel's own features (confirmation mails). */

#include "budbringer/db.h"

/*
 * Messages of `kind` ("confirm") on `channel` to the subscriber created at
 * or after `since` (unix time), in any state. Returns the count or -1.
 */
int db_message_count_kind_since(struct db *db, long long subscriber_id, const char *kind,
				enum channel channel, long long since);

#endif
