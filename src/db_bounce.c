/* SPDX-License-Identifier: MIT */
/* SQL for bounces, complaints, their counts and the suppression list (db_bounce.h). */
#include "budbringer/db_bounce.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/mail_provider.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"
#include "db_dialect.h"

#include <stdlib.h>
#include <string.h>

static void copy(char *dst, size_t n, const char *src)
{
	if (bsnprintf(dst, n, "%s", src ? src : "") < 0)
		dst[0] = '\0';
}

static int read_target(struct db *db, struct db_stmt *st, struct bounce_target *out)
{
	int rc = db_step(st);

	if (rc == DB_ROW) {
		memset(out, 0, sizeof(*out));
		out->id = db_column_int64(st, 0);
		out->campaign_id = db_column_int64(st, 1);
		out->subscriber_id = db_column_int64(st, 2);
		copy(out->channel, sizeof(out->channel), db_column_text(st, 3));
		copy(out->state, sizeof(out->state), db_column_text(st, 4));
		copy(out->recipient, sizeof(out->recipient), db_column_text(st, 5));
		out->recipient_is_subscribers = db_column_int(st, 6) == 1;
		out->email_consent = db_column_int(st, 7) == 1;
	}
	db_reset(st);
	if (rc == DB_ROW)
		return 0;
	if (rc == DB_DONE)
		return 1;
	return error("cannot read the bounced message: %s", db_errmsg(db));
}

int db_bounce_find_message(struct db *db, long long id, const char *message_id_header,
			   struct bounce_target *out)
{
#define TARGET_SELECT \
		"SELECT m.id, coalesce(m.campaign_id, 0), coalesce(m.subscriber_id, 0), m.channel," \
		" m.state, m.recipient, CASE WHEN s.email = m.recipient THEN 1 ELSE 0 END," \
		" coalesce(s.email_consent, 0)" \
		" FROM messages m LEFT JOIN subscribers s ON s.id = m.subscriber_id"
	static const char by_id[] = TARGET_SELECT " WHERE m.id = ?1";
	static const char by_msgid[] = TARGET_SELECT " WHERE m.provider_msgid = ?1 ORDER BY m.id LIMIT 1";
#undef TARGET_SELECT
	struct db_stmt *st;
	char bare[320];
	size_t len;
	int rc;

	if (id > 0) {
		if (!(st = db_prepare(db, by_id)))
			return -1;
		db_bind_int64(st, 1, id);
		if ((rc = read_target(db, st, out)) != 1)
			return rc;
	}
	if (!message_id_header || !*message_id_header)
		return 1;
	/* Stored without its brackets (smtp_finish). */
	len = strlen(message_id_header);
	if (message_id_header[0] == '<' && len > 2 && message_id_header[len - 1] == '>') {
		if (bsnprintf(bare, sizeof(bare), "%.*s", (int)(len - 2), message_id_header + 1) < 0)
			return 1;
	} else if (bsnprintf(bare, sizeof(bare), "%s", message_id_header) < 0) {
		return 1;
	}
	if (!(st = db_prepare(db, by_msgid)))
		return -1;
	db_bind_text(st, 1, bare);
	return read_target(db, st, out);
}

int db_bounce_seen(struct db *db, const char *dedupe_key)
{
	static const char sql[] = "SELECT 1 FROM bounces WHERE dedupe_key = ?1";
	struct db_stmt *st;
	int rc;

	if (!dedupe_key)
		return 0;
	if (!(st = db_prepare(db, sql)))
		return -1;
	db_bind_text(st, 1, dedupe_key);
	rc = db_step(st);
	db_reset(st);
	if (rc == DB_ROW)
		return 1;
	return rc == DB_DONE ? 0 : error("sql: %s", db_errmsg(db));
}

static void bind_text_or_null(struct db_stmt *st, int idx, const char *s)
{
	db_bind_text(st, idx, s && *s ? s : NULL);
}

int db_bounce_insert(struct db *db, const struct bounce_row *r, long long *id_out)
{
	static const char sql[] =
		"INSERT INTO bounces(at, kind, outcome, via, message_id, campaign_id, address_sha256,"
		" status, diagnostic, feedback_type, dedupe_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
		" RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);
	long long id = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, r->at);
	db_bind_text(st, 2, r->kind);
	db_bind_text(st, 3, r->outcome);
	db_bind_text(st, 4, r->via);
	if (r->message_id)
		db_bind_int64(st, 5, r->message_id);
	if (r->campaign_id)
		db_bind_int64(st, 6, r->campaign_id);
	bind_text_or_null(st, 7, r->address_sha256);
	bind_text_or_null(st, 8, r->status);
	bind_text_or_null(st, 9, r->diagnostic);
	bind_text_or_null(st, 10, r->feedback_type);
	bind_text_or_null(st, 11, r->dedupe_key);
	if (db_insert_id(db, st, &id) != 0)
		return -1;
	if (id_out)
		*id_out = id;
	return 0;
}

int db_bounce_set_outcome(struct db *db, long long id, const char *outcome)
{
	static const char sql[] = "UPDATE bounces SET outcome = ?2 WHERE id = ?1";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	db_bind_text(st, 2, outcome);
	return db_exec_stmt(db, st);
}

long long db_bounce_soft_count(struct db *db, const char *address_sha256, long long since)
{
	static const char sql[] =
		"SELECT count(*) FROM bounces WHERE address_sha256 = ?1 AND kind = 'temporary'"
		" AND outcome IN ('counted', 'suppressed') AND at >= ?2"
		" AND at > coalesce((SELECT max(a.at) FROM audit_log a WHERE a.action = 'suppression.lift'"
		"  AND a.subject = ?3), -1)";
	struct db_stmt *st = db_prepare(db, sql);
	char subject[96];
	long long n = -1;

	if (!st || bsnprintf(subject, sizeof(subject), "suppression:%s", address_sha256) < 0)
		return -1;
	db_bind_text(st, 1, address_sha256);
	db_bind_int64(st, 2, since);
	db_bind_text(st, 3, subject);
	if (db_step(st) == DB_ROW)
		n = db_column_int64(st, 0);
	else
		error("sql: %s", db_errmsg(db));
	db_reset(st);
	return n;
}

int db_bounce_suppress(struct db *db, const char *address, const char *reason,
		       const char *source, long long now)
{
	static const char sql[] =
		"INSERT INTO suppressions(address_sha256, channel, reason, source, created_at)"
		" VALUES (?1, 'email', ?2, ?3, ?4) ON CONFLICT (address_sha256, channel) DO UPDATE"
		" SET reason = excluded.reason, source = excluded.source, created_at = excluded.created_at"
		" WHERE suppressions.reason = 'bounce'"
		"  OR (excluded.reason = 'complaint' AND suppressions.reason = 'unsubscribed')";
	struct db_stmt *st = db_prepare(db, sql);
	char h[65];

	if (!st)
		return -1;
	db_suppression_hash(db, address, h);
	db_bind_text(st, 1, h);
	db_bind_text(st, 2, reason);
	db_bind_text(st, 3, source);
	db_bind_int64(st, 4, now);
	return db_exec_stmt(db, st);
}

/* One statement for stats, /metrics and the rules: the email of each
 * campaign that has a bounce row (every `bounced` message has one). */
#define CAMPAIGN_FIGURES \
	"SELECT c.campaign_id," \
	" (SELECT count(*) FROM messages m WHERE m.campaign_id = c.campaign_id AND m.channel = 'email'" \
	"  AND m.state IN ('sent', 'delivered', 'bounced'))," \
	" (SELECT count(*) FROM messages m WHERE m.campaign_id = c.campaign_id AND m.channel = 'email'" \
	"  AND m.state = 'bounced')," \
	" (SELECT count(*) FROM bounces b WHERE b.campaign_id = c.campaign_id AND b.outcome = 'complaint')," \
	" (SELECT count(*) FROM bounces b WHERE b.campaign_id = c.campaign_id AND b.kind = 'temporary'" \
	"  AND b.outcome IN ('counted', 'suppressed'))," \
	" (SELECT count(*) FROM bounce_alerts a WHERE a.campaign_id = c.campaign_id AND a.kind = 'hard_bounce')," \
	" (SELECT count(*) FROM bounce_alerts a WHERE a.campaign_id = c.campaign_id AND a.kind = 'complaint')," \
	" (SELECT count(*) FROM bounce_alerts a WHERE a.campaign_id = c.campaign_id AND a.paused = 1)" \
	" FROM (SELECT DISTINCT campaign_id FROM bounces WHERE campaign_id IS NOT NULL" \
	"  AND (?1 = 0 OR campaign_id = ?1)) c ORDER BY 1"

int db_bounce_campaigns_each(struct db *db, long long campaign_id,
			     int (*cb)(const struct bounce_campaign_row *, void *), void *arg)
{
	static const char sql[] = CAMPAIGN_FIGURES;
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	while ((rc = db_step(st)) == DB_ROW) {
		struct bounce_campaign_row r = {
			.campaign_id = db_column_int64(st, 0),
			.r = { .out = db_column_int64(st, 1), .bounced = db_column_int64(st, 2),
			       .complaints = db_column_int64(st, 3), .soft = db_column_int64(st, 4) },
			.alerted_hard = db_column_int64(st, 5) > 0,
			.alerted_complaint = db_column_int64(st, 6) > 0,
			.paused = db_column_int64(st, 7) > 0,
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

static int take_rates(const struct bounce_campaign_row *r, void *arg)
{
	*(struct bounce_rates *)arg = r->r;
	return 0;
}

int db_bounce_campaign_rates(struct db *db, long long campaign_id, struct bounce_rates *out)
{
	memset(out, 0, sizeof(*out));
	if (campaign_id <= 0)
		return 0;
	return db_bounce_campaigns_each(db, campaign_id, take_rates, out);
}

int db_bounce_alert(struct db *db, long long campaign_id, const char *kind, const char *rate,
		    bool paused, long long now)
{
	static const char sql[] =
		"INSERT INTO bounce_alerts(campaign_id, kind, at, rate, paused) VALUES (?,?,?,?,?)"
		" ON CONFLICT DO NOTHING";
	struct db_stmt *st = db_prepare(db, sql);

	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	db_bind_text(st, 2, kind);
	db_bind_int64(st, 3, now);
	db_bind_text(st, 4, rate);
	db_bind_int(st, 5, paused ? 1 : 0);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	return db_changes(db) ? 0 : 1;
}

int db_bounce_hold_campaign(struct db *db, long long campaign_id, const char *reason,
			    long long now)
{
	static const char sql[] =
		"SELECT id FROM messages WHERE campaign_id = ?1 AND channel = 'email' AND state = 'queued'";
	struct message_change ch = { .to = "suppressed", .reason = reason, .now = now };
	struct db_stmt *st = db_prepare(db, sql);
	long long *ids = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = -1;

	if (!st)
		return -1;
	db_bind_int64(st, 1, campaign_id);
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap = cap * 2 + 64) * sizeof(*ids));
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		error("sql: %s", db_errmsg(db));
		goto out;
	}
	ret = 0;
	for (size_t i = 0; i < n; i++) {
		rc = db_message_transition(db, ids[i], "queued", &ch);
		if (rc < 0) {
			ret = -1;
			goto out;
		}
		ret += rc == 0;
	}
out:
	free(ids);
	return ret;
}

int db_suppression_reason(struct db *db, const char *address, const char *channel, char *reason,
			  size_t n)
{
	/* The batch of one: the keyed-before-plain rule lives there. */
	struct db_suppressed_q q = { .address = address, .channel = channel };

	if (db_suppressed_batch(db, &q, 1) < 0)
		return -1;
	if (q.suppressed)
		copy(reason, n, q.reason);
	return q.suppressed;
}

/* The words of a suppression's reason for the message it holds. */
static const char *held_for(const char *why)
{
	return !strcmp(why, "bounce") ? "address suppressed (bounce)" :
	       !strcmp(why, "complaint") ? "address suppressed (complaint)" : "address suppressed";
}

/* The campaigns (a JSON array of ids) whose email is paused; the other
 * statement of db_bounce_hold_batch is db_suppressed_batch's. */
#define PAUSED_IN(D) \
	"SELECT DISTINCT campaign_id FROM bounce_alerts WHERE paused = 1 AND " D##ID_IN("campaign_id", "?1")

int db_bounce_hold_reason(struct db *db, long long campaign_id, const char *recipient,
			  const char **reason)
{
	struct bounce_hold h = { .campaign_id = campaign_id, .recipient = recipient };

	*reason = NULL;
	if (db_bounce_hold_batch(db, &h, 1) < 0)
		return -1;
	*reason = h.reason;
	return h.reason != NULL;
}

int db_bounce_hold_batch(struct db *db, struct bounce_hold *h, size_t n)
{
	static const struct db_sql paused = DB_DIALECTS(PAUSED_IN);
	struct db_suppressed_q *q = xcalloc(n ? n : 1, sizeof(*q));
	struct sbuf ids = SBUF_INIT;
	struct db_stmt *st;
	int rc = DB_DONE, ret = -1;

	sbuf_addch(&ids, '[');
	for (size_t i = 0; i < n; i++) {
		h[i].reason = NULL;
		sbuf_addf(&ids, "%s%lld", i ? "," : "", h[i].campaign_id > 0 ? h[i].campaign_id : 0);
		q[i] = (struct db_suppressed_q){ .address = h[i].recipient, .channel = "email" };
	}
	sbuf_addch(&ids, ']');
	if (!n) {
		ret = 0;
		goto out;
	}
	/* The pause says it first; then the suppression list. */
	if (!(st = db_prepare_dialect(db, &paused)))
		goto out;
	db_bind_text(st, 1, ids.buf);
	while ((rc = db_step(st)) == DB_ROW) {
		long long c = db_column_int64(st, 0);

		for (size_t i = 0; i < n; i++)
			if (h[i].campaign_id == c)
				h[i].reason = BOUNCE_PAUSE_REASON;
	}
	db_reset(st);
	if (rc != DB_DONE) {
		error("sql: %s", db_errmsg(db));
		goto out;
	}
	if (db_suppressed_batch(db, q, n) < 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (!h[i].reason && q[i].suppressed)
			h[i].reason = held_for(q[i].reason);
	ret = 0;
out:
	free(q);
	sbuf_release(&ids);
	return ret;
}

int db_bounce_alerts_after(struct db *db, long long after,
			   int (*cb)(long long campaign_id, const char *kind, const char *rate,
				     bool paused, long long at, void *),
			   void *arg)
{
	static const char sql[] =
		"SELECT campaign_id, kind, rate, paused, at FROM bounce_alerts WHERE at > ?1"
		" ORDER BY at, campaign_id, kind";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, after);
	while ((rc = db_step(st)) == DB_ROW) {
		if ((ret = cb(db_column_int64(st, 0), db_column_text(st, 1), db_column_text(st, 2),
			      db_column_int(st, 3) == 1, db_column_int64(st, 4), arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

/* Email out and what came back, grouped by KEY (a dialect fragment of
 * the message m); soft and complaints from the bounces of each message. */
#define REPUTATION(KEY) \
	"SELECT " KEY " AS k," \
	" CAST(sum(CASE WHEN m.state IN ('sent', 'delivered', 'bounced') THEN 1 ELSE 0 END) AS BIGINT)," \
	" CAST(sum(CASE WHEN m.state = 'bounced' THEN 1 ELSE 0 END) AS BIGINT)," \
	" CAST(coalesce(sum(b.complaints), 0) AS BIGINT), CAST(coalesce(sum(b.soft), 0) AS BIGINT)" \
	" FROM messages m LEFT JOIN (SELECT message_id," \
	"  sum(CASE WHEN kind = 'complaint' AND outcome = 'complaint' THEN 1 ELSE 0 END) AS complaints," \
	"  sum(CASE WHEN kind = 'temporary' AND outcome IN ('counted', 'suppressed') THEN 1 ELSE 0 END) AS soft" \
	"  FROM bounces WHERE message_id IS NOT NULL AND at >= ?1 GROUP BY message_id) b" \
	"  ON b.message_id = m.id" \
	" WHERE m.channel = 'email' AND m.created_at >= ?1" \
	" AND (CAST(?2 AS BIGINT) = 0 OR m.campaign_id = ?2) GROUP BY k ORDER BY k"
#define BY_DAY(D) REPUTATION(D##LOCAL_DAY("m.created_at"))
#define BY_DOMAIN(D) REPUTATION(D##EMAIL_DOMAIN("m.recipient"))

static int reputation_each(struct db *db, const struct db_sql *q, long long campaign_id,
			   long long since, int (*cb)(const struct bounce_group_row *, void *),
			   void *arg)
{
	struct db_stmt *st = db_prepare_dialect(db, q);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_int64(st, 1, since);
	db_bind_int64(st, 2, campaign_id);
	while ((rc = db_step(st)) == DB_ROW) {
		const char *k = db_column_text(st, 0);
		struct bounce_group_row r = {
			.key = k ? k : "",
			.r = { .out = db_column_int64(st, 1), .bounced = db_column_int64(st, 2),
			       .complaints = db_column_int64(st, 3), .soft = db_column_int64(st, 4) },
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_bounce_by_day(struct db *db, long long campaign_id, long long since,
		     int (*cb)(const struct bounce_group_row *, void *), void *arg)
{
	static const struct db_sql q = DB_DIALECTS(BY_DAY);

	return reputation_each(db, &q, campaign_id, since, cb, arg);
}

struct provider_sum {
	char name[128];
	struct bounce_rates r;
};
struct provider_acc {
	struct provider_sum *v;
	size_t n, cap;
};

static int add_domain(const struct bounce_group_row *row, void *arg)
{
	struct provider_acc *a = arg;
	const char *name = mail_provider_of(row->key);
	struct provider_sum *p = NULL;

	for (size_t i = 0; i < a->n && !p; i++)
		if (!strcmp(a->v[i].name, name))
			p = &a->v[i];
	if (!p) {
		if (a->n == a->cap)
			a->v = xrealloc(a->v, (a->cap = a->cap * 2 + 16) * sizeof(*a->v));
		p = &a->v[a->n++];
		memset(p, 0, sizeof(*p));
		(void)bsnprintf(p->name, sizeof(p->name), "%s", name); /* cut: still its group */
	}
	p->r.out += row->r.out;
	p->r.bounced += row->r.bounced;
	p->r.complaints += row->r.complaints;
	p->r.soft += row->r.soft;
	return 0;
}

static int by_out(const void *a, const void *b)
{
	const struct provider_sum *x = a, *y = b;

	if (x->r.out != y->r.out)
		return x->r.out > y->r.out ? -1 : 1;
	return strcmp(x->name, y->name);
}

int db_bounce_by_provider(struct db *db, long long campaign_id, long long since, int top,
			  int (*cb)(const struct bounce_group_row *, void *), void *arg)
{
	static const struct db_sql q = DB_DIALECTS(BY_DOMAIN);
	struct provider_acc a = { 0 };
	struct bounce_group_row other = { .key = "other" };
	int ret;

	if ((ret = reputation_each(db, &q, campaign_id, since, add_domain, &a)) != 0)
		goto out;
	if (a.n)
		qsort(a.v, a.n, sizeof(*a.v), by_out);
	for (size_t i = 0; i < a.n && ret == 0; i++) {
		struct bounce_group_row row = { .key = a.v[i].name, .r = a.v[i].r };

		if (top > 0 && i >= (size_t)top) {
			other.r.out += row.r.out;
			other.r.bounced += row.r.bounced;
			other.r.complaints += row.r.complaints;
			other.r.soft += row.r.soft;
			continue;
		}
		ret = cb(&row, arg);
	}
	if (ret == 0 && top > 0 && a.n > (size_t)top)
		ret = cb(&other, arg);
out:
	free(a.v);
	return ret;
}

int db_bounce_resume_campaign(struct db *db, long long campaign_id, const char *actor,
			      long long now, int *requeued)
{
	static const char unpause[] =
		"UPDATE bounce_alerts SET paused = 0 WHERE campaign_id = ?1 AND paused = 1";
	static const char held[] =
		"SELECT id FROM messages WHERE campaign_id = ?1 AND channel = 'email'"
		" AND state = 'suppressed' AND reason = ?2";
	struct message_change ch = { .to = "queued", .now = now,
				     .detail = "campaign email resumed by staff" };
	struct db_stmt *st;
	long long *ids = NULL;
	size_t n = 0, cap = 0;
	char subject[48], detail[64];
	int rc;

	*requeued = 0;
	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, unpause)))
		goto fail;
	db_bind_int64(st, 1, campaign_id);
	if (db_exec_stmt(db, st) < 0)
		goto fail;
	if (!db_changes(db)) {
		db_rollback(db);
		return 1;
	}
	if (!(st = db_prepare(db, held)))
		goto fail;
	db_bind_int64(st, 1, campaign_id);
	db_bind_text(st, 2, BOUNCE_PAUSE_REASON);
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap = cap * 2 + 64) * sizeof(*ids));
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc != DB_DONE) {
		error("sql: %s", db_errmsg(db));
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;
		int u = db_message_unwanted(db, ids[i], &why);

		if (u < 0)
			goto fail;
		if (u == 1) /* consent gone or address suppressed meanwhile: stays */
			continue;
		if ((rc = db_message_transition(db, ids[i], "suppressed", &ch)) < 0)
			goto fail;
		if (rc == 0)
			(*requeued)++;
	}
	if (bsnprintf(subject, sizeof(subject), "campaign:%lld", campaign_id) < 0 ||
	    bsnprintf(detail, sizeof(detail), "requeued=%d", *requeued) < 0 ||
	    db_audit(db, now, actor, "campaign.resume_email", subject, detail) < 0)
		goto fail;
	free(ids);
	return db_commit(db) < 0 ? -1 : 0;
fail:
	free(ids);
	db_rollback(db);
	*requeued = 0;
	return -1;
}

int db_bounce_outcomes_each(struct db *db,
			    int (*cb)(const char *kind, const char *outcome, long long n, void *),
			    void *arg)
{
	static const char sql[] =
		"SELECT kind, outcome, count(*) FROM bounces GROUP BY kind, outcome ORDER BY 1, 2";
	struct db_stmt *st = db_prepare(db, sql);
	int ret = 0;

	if (!st)
		return -1;
	while (!ret && db_step(st) == DB_ROW)
		ret = cb(db_column_text(st, 0), db_column_text(st, 1), db_column_int64(st, 2), arg);
	db_reset(st);
	return ret;
}

int db_suppression_each(struct db *db, const char *reason, int limit,
			int (*cb)(const struct suppression_row *, void *), void *arg)
{
	static const char sql[] =
		"SELECT s.address_sha256, s.channel, s.reason, s.source, s.created_at,"
		" coalesce(b.message_id, 0), b.status, b.diagnostic, b.feedback_type, m.recipient"
		" FROM suppressions s"
		" LEFT JOIN bounces b ON b.id = (SELECT max(x.id) FROM bounces x"
		"  WHERE x.address_sha256 = s.address_sha256 AND s.channel = 'email'"
		"  AND x.outcome IN ('bounced', 'suppressed', 'complaint'))"
		" LEFT JOIN messages m ON m.id = b.message_id"
		" WHERE (CAST(?1 AS TEXT) IS NULL OR s.reason = ?1)"
		" ORDER BY s.created_at DESC, s.address_sha256 LIMIT ?2";
	struct db_stmt *st = db_prepare(db, sql);
	int rc, ret = 0;

	if (!st)
		return -1;
	db_bind_text(st, 1, reason);
	db_bind_int(st, 2, limit > 0 ? limit : 1000000);
	while ((rc = db_step(st)) == DB_ROW) {
		struct suppression_row r = {
			.address_sha256 = db_column_text(st, 0),
			.channel = db_column_text(st, 1),
			.reason = db_column_text(st, 2),
			.source = db_column_text(st, 3),
			.created_at = db_column_int64(st, 4),
			.message_id = db_column_int64(st, 5),
			.status = db_column_text(st, 6),
			.diagnostic = db_column_text(st, 7),
			.feedback_type = db_column_text(st, 8),
			.recipient = db_column_text(st, 9),
		};
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
	return ret;
}

int db_suppression_lift(struct db *db, const char *address, const char *channel, const char *actor,
			long long now, char *reason, size_t n)
{
	char h[65], subject[96], detail[160];
	int rc;

	if (db_begin(db) < 0)
		return -1;
	rc = db_suppression_reason(db, address, channel, reason, n);
	if (rc <= 0) {
		db_rollback(db);
		return rc < 0 ? -1 : 1;
	}
	if (strcmp(reason, "bounce")) {
		db_rollback(db);
		return 2;
	}
	db_suppression_hash(db, address, h);
	if (bsnprintf(subject, sizeof(subject), "suppression:%s", h) < 0 ||
	    bsnprintf(detail, sizeof(detail), "reason=bounce channel=%s", channel) < 0 ||
	    db_unsuppress(db, address, channel) < 0 ||
	    db_audit(db, now, actor, "suppression.lift", subject, detail) < 0 || db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}
