/* SPDX-License-Identifier: MIT */
/*
 * SQL for messages and their events. Every state change goes through
 * db_message_transition(), which writes the event in the same statement
 * batch and only moves rows still in the expected state.
 */
#include "budbringer/db.h"
#include "budbringer/db_callback.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/log.h"
#include "db_dialect.h"
#include "budbringer/sbuf.h"

#include <stdlib.h>
#include <string.h>

static int add_event(struct db *db, long long id, long long at, const char *state,
		     const char *provider, const char *provider_msgid, const char *detail)
{
	static const char sql[] =
		"INSERT INTO message_events(message_id, at, state, provider, provider_msgid, detail)"
		" VALUES (?,?,?,?,?,?)";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_int64(st, 2, at);
	db_bind_text(st, 3, state);
	db_bind_text(st, 4, provider);
	db_bind_text(st, 5, provider_msgid);
	db_bind_text(st, 6, detail);
	return db_exec_stmt(db, st);
}

int db_message_insert(struct db *db, const struct message_in *in, long long *id_out)
{
	static const char sql[] =
		"INSERT INTO messages(campaign_id, subscriber_id, kind, channel, recipient, lang,"
		" subject, body, state, reason, coding, segments, not_before, expires_at,"
		" created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
		" ON CONFLICT DO NOTHING RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);
	long long id;
	int rc;

	if (!st)
		return -1;
	if (in->campaign_id)
		db_bind_int64(st, 1, in->campaign_id);
	if (in->subscriber_id)
		db_bind_int64(st, 2, in->subscriber_id);
	db_bind_text(st, 3, in->kind);
	db_bind_text(st, 4, channel_name(in->channel));
	db_bind_text(st, 5, in->recipient);
	db_bind_text(st, 6, in->lang);
	db_bind_text(st, 7, in->subject);
	db_bind_text(st, 8, in->body);
	db_bind_text(st, 9, in->state);
	db_bind_text(st, 10, in->reason);
	db_bind_text(st, 11, in->coding);
	if (in->segments)
		db_bind_int(st, 12, in->segments);
	db_bind_int64(st, 13, in->not_before);
	if (in->expires_at)
		db_bind_int64(st, 14, in->expires_at);
	db_bind_int64(st, 15, in->now);
	db_bind_int64(st, 16, in->now);
	if ((rc = db_insert_id(db, st, &id)) != 0)
		return rc;
	if (id_out)
		*id_out = id;
	return add_event(db, id, in->now, in->state, NULL, NULL, in->reason) < 0 ? -1 : 0;
}

int db_message_due(struct db *db, enum channel channel, long long now, bool campaigns,
		   struct message *out, size_t max, size_t *n)
{
#define DUE_SELECT \
		"SELECT m.id, m.campaign_id, m.subscriber_id, m.kind, m.recipient, m.lang, m.subject," \
		" m.body, m.attempts, m.expires_at, o.url," \
		" coalesce((SELECT t.title FROM opportunity_texts t WHERE t.opportunity_id = o.id" \
		"  AND t.lang = m.lang), (SELECT t.title FROM opportunity_texts t" \
		"  WHERE t.opportunity_id = o.id ORDER BY t.lang LIMIT 1))" \
		" FROM messages m LEFT JOIN campaigns c ON c.id = m.campaign_id" \
		" LEFT JOIN opportunities o ON o.id = c.opportunity_id" \
		" WHERE m.state = 'queued' AND m.not_before <= ?1 AND m.channel = ?2"
	/* Two statements so each can use its partial index. Several daemons
	 * claim side by side: each skips the rows another is claiming. */
#define ALL(D) DUE_SELECT " ORDER BY m.not_before, m.id LIMIT ?3" D##SKIP_LOCKED("m")
#define REPLIES(D) DUE_SELECT " AND m.kind <> 'campaign'" \
		" ORDER BY m.not_before, m.id LIMIT ?3" D##SKIP_LOCKED("m")
	static const struct db_sql all = DB_DIALECTS(ALL), replies = DB_DIALECTS(REPLIES);
#undef DUE_SELECT
#undef ALL
#undef REPLIES
	struct db_stmt *st = db_prepare_dialect(db, campaigns ? &all : &replies);
	int rc;

	*n = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_text(st, 2, channel_name(channel));
	db_bind_int64(st, 3, (long long)max);
	while ((rc = db_step(st)) == DB_ROW) {
		struct message *m = &out[(*n)++];
		const char *kind = db_column_text(st, 3);
		const char *lang = db_column_text(st, 5);

		memset(m, 0, sizeof(*m));
		m->id = db_column_int64(st, 0);
		m->campaign_id = db_column_int64(st, 1);
		m->subscriber_id = db_column_int64(st, 2);
		if (kind && strlen(kind) < sizeof(m->kind))
			memcpy(m->kind, kind, strlen(kind) + 1);
		m->channel = channel;
		m->recipient = db_column_strdup(st, 4);
		if (lang && strlen(lang) < sizeof(m->lang))
			memcpy(m->lang, lang, strlen(lang) + 1);
		m->subject = db_column_strdup(st, 6);
		m->body = db_column_strdup(st, 7);
		m->attempts = db_column_int(st, 8);
		m->expires_at = db_column_int64(st, 9);
		m->url = db_column_strdup(st, 10);
		m->title = db_column_strdup(st, 11);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		for (size_t i = 0; i < *n; i++)
			message_release(&out[i]);
		*n = 0;
		return error("sql: %s", db_errmsg(db));
	}
	return 0;
}

void db_bind_change(struct db_stmt *st, const struct message_change *ch)
{
	db_bind_text(st, 1, ch->to);
	db_bind_int64(st, 2, ch->now);
	db_bind_text(st, 3, ch->provider);
	db_bind_text(st, 4, ch->provider_msgid);
	db_bind_text(st, 5, ch->reason);
	db_bind_int(st, 6, ch->count_attempt ? 1 : ch->uncount_attempt ? -1 : 0);
	db_bind_int64(st, 7, ch->not_before);
	if (ch->claimed_by)
		db_bind_int64(st, 10, ch->claimed_by);
	if (ch->claimed_until)
		db_bind_int64(st, 11, ch->claimed_until);
	if (ch->priced)
		db_bind_int64(st, 13, ch->price_milli);
}

int db_message_transition(struct db *db, long long id, const char *from,
			  const struct message_change *ch)
{
	static const char sql[] =
		"UPDATE messages SET state = ?1, updated_at = ?2,"
		" provider = coalesce(?3, provider), provider_msgid = coalesce(?4, provider_msgid),"
		" reason = coalesce(?5, reason), attempts = attempts + ?6,"
		" not_before = CASE WHEN ?7 > 0 THEN ?7 ELSE not_before END," DB_CLAIM_SET ","
		DB_COST_SET " WHERE id = ?8 AND (state = ?9 OR (?9 IS NULL AND state NOT IN"
		"  ('delivered', 'bounced', 'failed', 'expired', 'suppressed', 'cancelled')))";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_change(st, ch);
	db_bind_int64(st, 8, id);
	db_bind_text(st, 9, from);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	if (!db_changes(db))
		return 1;
	if (add_event(db, id, ch->now, ch->to, ch->provider, ch->provider_msgid,
		      ch->detail ? ch->detail : ch->reason) < 0)
		return -1;
	return db_callback_message_event(db, id, ch->to, ch->now) < 0 ? -1 : 0;
}

/* The change a recovered message gets, by its journal's verdict. */
static void recover_change(enum db_recover_verdict v, bool idem, const char *msgid,
			   struct message_change *ch)
{
	switch (v) {
	case DB_RECOVER_NOT_SENT:
		ch->to = "queued";
		ch->uncount_attempt = true;
		ch->detail = "claimed but not yet sent when the daemon stopped (wire journal); queued again";
		break;
	case DB_RECOVER_REFUSED:
		ch->to = "queued";
		ch->detail = "the provider had refused it when the daemon stopped (wire journal); queued again";
		break;
	case DB_RECOVER_ACCEPTED:
		ch->to = "sent";
		ch->provider_msgid = msgid[0] ? msgid : NULL;
		ch->detail = "accepted by the provider before the daemon stopped (wire journal)";
		break;
	case DB_RECOVER_UNSURE:
	default:
		ch->to = idem ? "queued" : "unknown";
		ch->detail = idem ? "in flight at restart; retried with the same idempotency key"
				  : "in flight when the daemon stopped; not resent automatically";
		break;
	}
}

int db_message_recover_with(struct db *db, const char *const *idempotent_providers,
			    db_recover_judge *judge, void *arg, long long now, int *unknown)
{
	static const char sql[] =
		"SELECT id, provider, coalesce(claimed_by, 0) FROM messages WHERE state = 'sending'"
		" AND (claimed_by IS NULL"
		" OR NOT EXISTS (SELECT 1 FROM daemons d WHERE d.id = messages.claimed_by))";
	struct db_stmt *st;
	long long *ids = NULL, *by = NULL;
	bool *retry = NULL;
	size_t n = 0, cap = 0;
	int ret = -1, unk = 0;

	if (unknown)
		*unknown = 0;
	if (!(st = db_prepare(db, sql)))
		return -1;
	while (db_step(st) == DB_ROW) {
		const char *prov = db_column_text(st, 1);
		bool idem = false;
		for (const char *const *p = idempotent_providers; prov && *p; p++)
			if (!strcmp(*p, prov))
				idem = true;
		if (n == cap) {
			cap = cap * 2 + 16;
			ids = xrealloc(ids, cap * sizeof(*ids));
			by = xrealloc(by, cap * sizeof(*by));
			retry = xrealloc(retry, cap * sizeof(*retry));
		}
		ids[n] = db_column_int64(st, 0);
		by[n] = db_column_int64(st, 2);
		retry[n++] = idem;
	}
	db_reset(st);
	if (!n) {
		ret = 0;
		goto out;
	}
	if (db_begin(db) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		char msgid[128] = "";
		enum db_recover_verdict v =
			judge ? judge(by[i], ids[i], msgid, sizeof(msgid), arg) : DB_RECOVER_UNSURE;
		struct message_change ch = { .now = now };

		recover_change(v, retry[i], msgid, &ch);
		unk += !strcmp(ch.to, "unknown");
		if (db_message_transition(db, ids[i], "sending", &ch) < 0) {
			db_rollback(db);
			goto out;
		}
	}
	if (db_commit(db) < 0)
		goto out;
	ret = (int)n;
	if (unknown)
		*unknown = unk;
out:
	free(ids);
	free(by);
	free(retry);
	return ret;
}

int db_message_recover(struct db *db, const char *const *idempotent_providers, long long now)
{
	return db_message_recover_with(db, idempotent_providers, NULL, NULL, now, NULL);
}

int db_message_attempts(struct db *db, long long id)
{
	static const char sql[] = "SELECT attempts FROM messages WHERE id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	int n = 0, rc;

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW)
		n = db_column_int(st, 0);
	else if (rc != DB_DONE)
		n = error("cannot read the attempts of message %lld: %s", id, db_errmsg(db));
	db_reset(st);
	return n;
}

/* Cancels every queued message the (bound) statement selects by id. */
static int cancel_selected(struct db *db, struct db_stmt *st, const char *reason, long long now)
{
	long long *ids = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;

	while (db_step(st) == DB_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap = cap * 2 + 64) * sizeof(*ids));
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	for (size_t i = 0; i < n; i++) {
		struct message_change ch = { .to = "cancelled", .reason = reason, .now = now };
		if (db_message_transition(db, ids[i], "queued", &ch) < 0)
			goto out;
	}
	ret = (int)n;
out:
	free(ids);
	return ret;
}

int db_message_cancel_queued(struct db *db, long long campaign_id, const char *reason,
			     long long now)
{
	static const char sql[] = "SELECT id FROM messages WHERE state = 'queued' AND campaign_id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	return cancel_selected(db, st, reason, now);
}

int db_message_cancel_queued_channel(struct db *db, long long subscriber_id, const char *channel,
				     const char *reason, long long now)
{
	static const char sql[] =
		"SELECT id FROM messages WHERE state = 'queued' AND kind = 'campaign'"
		" AND subscriber_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR channel = ?2)";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, subscriber_id);
	db_bind_text(st, 2, channel);
	return cancel_selected(db, st, reason, now);
}

int db_message_expire(struct db *db, long long now, bool quiet_hours)
{
	/*
	 * Queued past their validity (e.g. held by quiet hours): stale content
	 * is never sent late. Runs every poll, so it must not read every queued
	 * message: with 300,000 campaign SMS held that took 60 ms a second.
	 * Transactional ones are found through messages_state (campaign_id
	 * NULL, queued), campaign ones through their campaign: expansion gives
	 * each message its campaign's valid_until, which never changes, so
	 * only campaigns already past it are read (SQLite's CROSS JOIN keeps
	 * that order; PostgreSQL's LATERAL: its generic plan hashed every
	 * queued message, 90 ms a poll at 400,000 queued). Should that ever not
	 * hold, the outbox still expires such a message when it comes due
	 * instead of sending it.
	 */
#define EXPIRED(join) \
		"SELECT id, 0 FROM messages WHERE campaign_id IS NULL AND state = 'queued'" \
		" AND expires_at < ?1" \
		" UNION ALL SELECT m.id, CASE WHEN m.channel = 'sms' THEN 1 ELSE 0 END" \
		" FROM campaigns c " join " WHERE c.valid_until < ?1 LIMIT 10000"
	static const struct db_sql sql = {
		.sqlite = EXPIRED("CROSS JOIN messages m ON m.campaign_id = c.id AND m.state = 'queued'"
				  " AND m.expires_at < ?1"),
		.postgresql = EXPIRED("CROSS JOIN LATERAL (SELECT id, channel FROM messages"
				      " WHERE campaign_id = c.id AND state = 'queued' AND expires_at < ?1) m"),
	};
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	long long *ids = NULL;
	bool *held = NULL;
	size_t n = 0, cap = 0;
	int ret = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	while (db_step(st) == DB_ROW) {
		if (n == cap) {
			cap = cap * 2 + 64;
			ids = xrealloc(ids, cap * sizeof(*ids));
			held = xrealloc(held, cap * sizeof(*held));
		}
		/* A campaign SMS in quiet hours was held, not forgotten. */
		held[n] = quiet_hours && db_column_int(st, 1);
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (!n) {
		free(ids);
		free(held);
		return 0;
	}
	if (db_begin(db) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		/* SPEC: quiet-hours expiry is `suppressed`, any other `expired`. */
		struct message_change ch = {
			.to = held[i] ? "suppressed" : "expired",
			.reason = held[i] ? "quiet hours lasted past valid_until" : "valid_until passed",
			.now = now };
		if (db_message_transition(db, ids[i], "queued", &ch) < 0) {
			db_rollback(db);
			goto out;
		}
	}
	if (db_commit(db) < 0) {
		db_rollback(db);
		goto out;
	}
	ret = (int)n;
out:
	free(ids);
	free(held);
	return ret;
}

/*
 * Staff resend an `unknown` message by hand (SPEC: "resendable by hand"):
 * back to `queued`, due now, in one transaction with its event and audit
 * row. A campaign message only while its subscriber still has consent on
 * the channel and the address is not suppressed: someone who said STOP
 * after the lost answer is not written to again.
 */
int db_message_resend(struct db *db, long long id, const char *who, long long now,
		      struct sbuf *why)
{
	static const char find[] = "SELECT state, channel FROM messages WHERE id = ?";
	static const char clear[] = "UPDATE messages SET reason = NULL WHERE id = ?";
	struct message_change ch = { .to = "queued", .not_before = now, .now = now };
	char detail[160], subject[40], state[16] = "", channel[8] = "";
	const char *unwanted = NULL;
	struct db_stmt *st;
	int rc, ret = -1;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, find)))
		goto out;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW) {
		(void)bsnprintf(state, sizeof(state), "%s", db_column_text(st, 0));
		(void)bsnprintf(channel, sizeof(channel), "%s", db_column_text(st, 1));
	}
	db_reset(st);
	if (rc != DB_ROW && rc != DB_DONE) {
		error("cannot read message %lld: %s", id, db_errmsg(db));
		goto out;
	}
	/* The outbox's rule for "still wanted", so both always agree. */
	if (rc == DB_ROW && !strcmp(state, "unknown") &&
	    db_message_unwanted(db, id, &unwanted) < 0)
		goto out;
	ret = 1;
	if (rc == DB_DONE)
		sbuf_addf(why, "there is no message %lld", id);
	else if (strcmp(state, "unknown"))
		sbuf_addf(why, "message %lld is %s: only unknown messages are resent", id, state);
	else if (unwanted)
		sbuf_addf(why, "message %lld is no longer wanted (%s, %s)", id, unwanted, channel);
	else
		ret = 0;
	if (ret)
		goto out;
	(void)bsnprintf(detail, sizeof(detail), "resent by hand by %s", who ? who : "staff");
	(void)bsnprintf(subject, sizeof(subject), "message:%lld", id);
	ch.detail = detail;
	ret = -1;
	/* The old reason ("no answer after …") no longer describes it. */
	if (db_message_transition(db, id, "unknown", &ch) != 0 || !(st = db_prepare(db, clear)))
		goto out;
	db_bind_int64(st, 1, id);
	if (db_exec_stmt(db, st) < 0 ||
	    db_audit(db, now, who, "message.resend", subject, NULL) < 0 || db_commit(db) < 0)
		goto out;
	return 0;
out:
	db_rollback(db);
	return ret;
}

int db_message_unknown_ids(struct db *db, long long campaign_id, long long **ids, size_t *n)
{
	static const char sql[] =
		"SELECT id FROM messages WHERE campaign_id = ? AND state = 'unknown' ORDER BY id";
	struct db_stmt *st = db_prepare(db, sql);
	size_t cap = 0;
	int rc;

	*ids = NULL;
	*n = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	while ((rc = db_step(st)) == DB_ROW) {
		if (*n == cap) {
			cap = cap * 2 + 64;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		(*ids)[(*n)++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return error("sql: %s", db_errmsg(db));
	}
	return 0;
}

int db_message_unwanted(struct db *db, long long id, const char **reason)
{
	static const char sql[] =
		"SELECT m.kind = 'campaign', c.status = 'cancelled', m.subscriber_id IS NULL,"
		" CASE m.channel WHEN 'sms' THEN s.sms_consent ELSE s.email_consent END,"
		" m.recipient, m.channel"
		" FROM messages m LEFT JOIN campaigns c ON c.id = m.campaign_id"
		" LEFT JOIN subscribers s ON s.id = m.subscriber_id WHERE m.id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	char *recipient = NULL, channel[8] = "";
	int rc, ret = 0;

	*reason = NULL;
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	rc = db_step(st);
	if (rc == DB_ROW && db_column_int(st, 0)) {
		if (db_column_int(st, 1))
			*reason = "campaign cancelled";
		else if (db_column_int(st, 2))
			*reason = "subscriber erased";
		else if (db_column_int(st, 3) != 1)
			*reason = "unsubscribed";
		recipient = db_column_strdup(st, 4);
		(void)bsnprintf(channel, sizeof(channel), "%s", db_column_text(st, 5));
	} else if (rc != DB_ROW && rc != DB_DONE) {
		ret = error("cannot check message %lld: %s", id, db_errmsg(db));
	}
	db_reset(st);
	/* A STOP from the number itself suppresses it, whatever the record says. */
	if (!*reason && recipient && db_is_suppressed(db, recipient, channel))
		*reason = "address suppressed";
	free(recipient);
	return ret < 0 ? ret : *reason != NULL;
}
