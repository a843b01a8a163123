/* SPDX-License-Identifier: MIT */
/* SQL for the fallback to email (see fallback.h) and its figures. */
#include "budbringer/db_fallback.h"
#include "budbringer/db_links.h"
#include "budbringer/log.h"

#include <stdlib.h>
#include <string.h>

int db_fallback_candidate(struct db *db, long long sms_id, bool def, long long now,
			  struct fallback_candidate *out)
{
	static const char sql[] =
		"SELECT m.campaign_id, m.subscriber_id, s.email, s.lang, c.valid_until"
		" FROM messages m JOIN campaigns c ON c.id = m.campaign_id"
		" JOIN subscribers s ON s.id = m.subscriber_id"
		" WHERE m.id = ?1 AND m.channel = 'sms' AND m.kind = 'campaign' AND m.state = 'failed'"
		" AND coalesce(c.fallback_email, ?2) = 1"
		" AND c.status NOT IN ('cancelled', 'expired') AND c.valid_until > ?3"
		" AND s.status = 'active' AND s.sms_consent = 1 AND s.email_consent = 1"
		" AND s.email IS NOT NULL"
		" AND NOT EXISTS (SELECT 1 FROM messages e WHERE e.campaign_id = m.campaign_id"
		"  AND e.subscriber_id = m.subscriber_id AND e.channel = 'email')";
	struct db_stmt *st = db_prepare(db, sql);
	const char *lang;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!st)
		return -1;
	db_bind_int64(st, 1, sms_id);
	db_bind_int(st, 2, def ? 1 : 0);
	db_bind_int64(st, 3, now);
	rc = db_step(st);
	if (rc == DB_ROW) {
		out->campaign_id = db_column_int64(st, 0);
		out->subscriber_id = db_column_int64(st, 1);
		out->email = db_column_strdup(st, 2);
		lang = db_column_text(st, 3);
		if (bsnprintf(out->lang, sizeof(out->lang), "%s", lang ? lang : "") < 0)
			out->lang[0] = '\0';
		out->expires_at = db_column_int64(st, 4);
	}
	db_reset(st);
	if (rc == DB_ROW)
		return out->email ? 0 : 1;
	return rc == DB_DONE ? 1 : error("sql: %s", db_errmsg(db));
}

static int event(struct db *db, long long id, long long now, const char *state, const char *detail)
{
	static const char sql[] =
		"INSERT INTO message_events(message_id, at, state, detail) VALUES (?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, now);
	db_bind_text(st, 3, state);
	db_bind_text(st, 4, detail);
	return db_exec_stmt(db, st);
}

int db_fallback_insert(struct db *db, const struct fallback_candidate *fc, long long sms_id,
		       const char *lang, const char *subject, const char *body, long long now,
		       long long *id_out)
{
	static const char sql[] =
		"INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang,"
		" subject, body, state, not_before, expires_at, created_at, updated_at, fallback_of)"
		" VALUES (?1, ?2, 'campaign', 'email', ?3, ?4, ?5, ?6, 'queued', ?7, ?8, ?7, ?7, ?9)"
		" ON CONFLICT DO NOTHING RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);
	char detail[80];
	int rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, fc->campaign_id);
	db_bind_int64(st, 2, fc->subscriber_id);
	db_bind_text(st, 3, fc->email);
	db_bind_text(st, 4, lang);
	db_bind_text(st, 5, subject);
	db_bind_text(st, 6, body);
	db_bind_int64(st, 7, now);
	db_bind_int64(st, 8, fc->expires_at);
	db_bind_int64(st, 9, sms_id);
	if ((rc = db_insert_id(db, st, id_out)) != 0)
		return rc;
	if (bsnprintf(detail, sizeof(detail), "fallback of SMS %lld, which failed", sms_id) < 0 ||
	    event(db, *id_out, now, "queued", detail) < 0 ||
	    bsnprintf(detail, sizeof(detail), "fallback email %lld queued", *id_out) < 0 ||
	    event(db, sms_id, now, "failed", detail) < 0)
		return -1;
	return 0;
}

int db_fallback_each(struct db *db, long long campaign_id,
		     int (*cb)(long long campaign_id, const char *state, long long n, void *arg),
		     void *arg)
{
	static const char sql[] =
		"SELECT campaign_id, state, count(*) FROM messages WHERE fallback_of IS NOT NULL"
		" AND (CAST(?1 AS BIGINT) = 0 OR campaign_id = ?1)"
		" GROUP BY campaign_id, state ORDER BY campaign_id, state";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	while (!ret && (rc = db_step(st)) == DB_ROW)
		ret = cb(db_column_int64(st, 0), db_column_text(st, 1), db_column_int64(st, 2), arg);
	if (!ret && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

static int metric_link(const struct link_row *r, void *arg)
{
	struct sbuf *out = arg;

	sbuf_addf(out, "budbringer_link_clicks{campaign=\"%lld\",channel=\"%s\",lang=\"%s\"} %lld\n"
		  "budbringer_link_prefetches{campaign=\"%lld\",channel=\"%s\",lang=\"%s\"} %lld\n",
		  r->campaign_id, r->channel, r->lang, r->clicks, r->campaign_id, r->channel, r->lang,
		  r->prefetches);
	return 0;
}

static int metric_fallback(long long campaign_id, const char *state, long long n, void *arg)
{
	long long *by = arg;
	static const char *const states[] = { "queued", "sent", "delivered", "bounced", "failed",
		"other", NULL };
	size_t i;

	(void)campaign_id;
	for (i = 0; states[i + 1] && strcmp(states[i], state); i++)
		;
	by[i] += n;
	return 0;
}

int db_fallback_link_metrics(struct db *db, struct sbuf *out)
{
	static const char *const states[] = { "queued", "sent", "delivered", "bounced", "failed",
		"other", NULL };
	long long by[6] = { 0 };

	sbuf_addstr(out, "# HELP budbringer_link_clicks Short link clicks (people, not scanners) "
		    "per campaign, channel and language.\n# TYPE budbringer_link_clicks counter\n"
		    "# HELP budbringer_link_prefetches Short link requests by scanners and HEAD.\n"
		    "# TYPE budbringer_link_prefetches counter\n");
	if (db_link_each(db, 0, metric_link, out) < 0)
		return -1;
	if (db_fallback_each(db, 0, metric_fallback, by) < 0)
		return -1;
	sbuf_addstr(out, "# HELP budbringer_fallback_emails Emails sent in place of a failed SMS, "
		    "by state.\n# TYPE budbringer_fallback_emails gauge\n");
	for (size_t i = 0; states[i]; i++)
		sbuf_addf(out, "budbringer_fallback_emails{state=\"%s\"} %lld\n", states[i], by[i]);
	return 0;
}
