/* SPDX-License-Identifier: MIT */
/* SQL for the email channel's own features (see db_mail.h). */
#include "budbringer/db_mail.h"
#include "budbringer/log.h"

int db_message_count_kind_since(struct db *db, long long subscriber_id, const char *kind,
				enum channel channel, long long since)
{
	static const char sql[] =
		"SELECT count(*) FROM messages WHERE subscriber_id = ? AND kind = ?"
		" AND channel = ? AND created_at >= ?";
	struct db_stmt *st = db_prepare(db, sql);
	int n = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, subscriber_id);
	db_bind_text(st, 2, kind);
	db_bind_text(st, 3, channel_name(channel));
	db_bind_int64(st, 4, since);
	if (db_step(st) == DB_ROW)
		n = db_column_int(st, 0);
	else
		error("sql: %s", db_errmsg(db));
	db_reset(st);
	return n;
}
