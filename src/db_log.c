/* SPDX-License-Identifier: MIT */
/* SQL for the dashboard's message page (db_log.h). */
#include "budbringer/db_log.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t n, const char *src)
{
	if (bsnprintf(dst, n, "%s", src ? src : "") < 0)
		dst[0] = '\0';
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

int db_log_message(struct db *db, long long id, struct message_detail *out)
{
	static const char sql[] =
		"SELECT id, coalesce(campaign_id, 0), coalesce(subscriber_id, 0), coalesce(segments, 0),"
		" attempts, not_before, coalesce(expires_at, 0), created_at, updated_at, kind, channel,"
		" state, lang, coding, recipient, subject, reason, provider, provider_msgid"
		" FROM messages WHERE id = ?1";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = db_column_int64(st, 0);
		out->campaign_id = db_column_int64(st, 1);
		out->subscriber_id = db_column_int64(st, 2);
		out->segments = db_column_int64(st, 3);
		out->attempts = db_column_int64(st, 4);
		out->not_before = db_column_int64(st, 5);
		out->expires_at = db_column_int64(st, 6);
		out->created_at = db_column_int64(st, 7);
		out->updated_at = db_column_int64(st, 8);
		copy(out->kind, sizeof(out->kind), db_column_text(st, 9));
		copy(out->channel, sizeof(out->channel), db_column_text(st, 10));
		copy(out->state, sizeof(out->state), db_column_text(st, 11));
		copy(out->lang, sizeof(out->lang), db_column_text(st, 12));
		copy(out->coding, sizeof(out->coding), db_column_text(st, 13));
		out->recipient = dup_or_null(db_column_text(st, 14));
		out->subject = dup_or_null(db_column_text(st, 15));
		out->reason = dup_or_null(db_column_text(st, 16));
		out->provider = dup_or_null(db_column_text(st, 17));
		out->provider_msgid = dup_or_null(db_column_text(st, 18));
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE)
		return error("sql: %s", db_errmsg(db));
	return rc == DB_ROW ? 0 : 1;
}

void message_detail_release(struct message_detail *m)
{
	free(m->recipient);
	free(m->subject);
	free(m->reason);
	free(m->provider);
	free(m->provider_msgid);
	memset(m, 0, sizeof(*m));
}

int db_log_message_events(struct db *db, long long id,
			  int (*cb)(const struct message_event *, void *), void *arg)
{
	static const char sql[] =
		"SELECT id, at, state, provider, provider_msgid, detail FROM message_events"
		" WHERE message_id = ?1 ORDER BY at, id";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct message_event e = {
			.id = db_column_int64(st, 0),
			.at = db_column_int64(st, 1),
			.state = db_column_text(st, 2),
			.provider = db_column_text(st, 3),
			.provider_msgid = db_column_text(st, 4),
			.detail = db_column_text(st, 5),
		};
		if ((ret = cb(&e, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}
