/* SPDX-License-Identifier: MIT */
/* SQL for campaigns: creation, state, and the subscriber stream for expansion. */
#include "budbringer/db.h"
#include "budbringer/db_callback.h"
#include "db_dialect.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <stdlib.h>
#include <string.h>

int db_campaign_create_auto(struct db *db, const char *channels, long long now,
			    const char *now_iso, long long valid_for, long long *ids,
			    size_t max, size_t *n)
{
	/* Opportunities already over get no campaign: nobody can join them. */
	static const char sql[] =
		"INSERT INTO campaigns(kind, opportunity_id, association_id, status, channels,"
		" send_at, valid_until, created_by, created_at, updated_at)"
		" SELECT 'auto', o.id, o.association_id, 'scheduled', ?1, ?2,"
		" CAST(?2 AS BIGINT) + CAST(?4 AS BIGINT), 'daemon', ?2, ?2"
		" FROM opportunities o WHERE o.status = 'published'"
		" AND (o.ends_at IS NULL OR o.ends_at = '' OR o.ends_at > ?3)"
		" AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.kind = 'auto'"
		"  AND c.opportunity_id = o.id) ORDER BY o.id LIMIT ?5"
		" ON CONFLICT DO NOTHING RETURNING id";
	struct db_stmt *st = db_prepare(db, sql);
	int rc;

	*n = 0;
	if (!st)
		return -1;
	db_bind_text(st, 1, channels);
	db_bind_int64(st, 2, now);
	db_bind_text(st, 3, now_iso);
	db_bind_int64(st, 4, valid_for);
	db_bind_int64(st, 5, (long long)max);
	while ((rc = db_step(st)) == DB_ROW)
		ids[(*n)++] = db_column_int64(st, 0);
	db_reset(st);
	if (rc != DB_DONE)
		return error("cannot create automatic campaigns: %s", db_errmsg(db));
	return 0;
}

static char *join_vec(char *const *v)
{
	struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; v[i]; i++) {
		if (i)
			sbuf_addch(&sb, ',');
		sbuf_addstr(&sb, v[i]);
	}
	if (!sb.len)
		return NULL;
	return sbuf_detach(&sb, NULL);
}

static void bind_age(struct db_stmt *st, int idx, int age)
{
	if (age < 0)
		db_bind_null(st, idx);
	else
		db_bind_int(st, idx, age);
}

/* 1 and *id_out when `key` names a campaign already made, 0 if none, -1. */
static int campaign_seen(struct db *db, const struct campaign_key *key, long long *id_out)
{
	static const char by_key[] = "SELECT id FROM campaigns WHERE idempotency_key = ?";
	/* Stored as "FINGERPRINT@created_at": the range scans the unique index. */
	static const char by_fingerprint[] =
		"SELECT id FROM campaigns WHERE idempotency_key >= ?1 || '@'"
		" AND idempotency_key < ?1 || 'A' AND created_at >= ?2 ORDER BY id DESC LIMIT 1";
	struct db_stmt *st = db_prepare(db, key->key ? by_key : by_fingerprint);
	int rc;

	if (!st)
		return -1;
	db_bind_text(st, 1, key->key ? key->key : key->fingerprint);
	if (!key->key)
		db_bind_int64(st, 2, key->since);
	rc = db_step(st);
	if (rc == DB_ROW)
		*id_out = db_column_int64(st, 0);
	else if (rc != DB_DONE)
		error("cannot look up the campaign: %s", db_errmsg(db));
	db_reset(st);
	return rc == DB_ROW ? 1 : rc == DB_DONE ? 0 : -1;
}

int db_campaign_create(struct db *db, const struct campaign *c, const struct campaign_key *key,
		       long long *id_out)
{
	static const char add[] =
		"INSERT INTO campaigns(kind, opportunity_id, association_id, status, channels,"
		" min_age, max_age, langs, interests, send_at, valid_until, idempotency_key,"
		" created_by, created_at, updated_at, fallback_email)"
		" VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id";
	static const char add_text[] =
		"INSERT INTO campaign_texts(campaign_id, lang, body) VALUES (?,?,?)";
	struct db_stmt *st;
	char *langs = join_vec(c->langs), *interests = join_vec(c->interests);
	char channels[16], stored_key[160];
	int ret = -1;

	if (bsnprintf(channels, sizeof(channels), "%s%s%s",
		      c->channels[CHANNEL_SMS] ? "sms" : "",
		      c->channels[CHANNEL_SMS] && c->channels[CHANNEL_EMAIL] ? "," : "",
		      c->channels[CHANNEL_EMAIL] ? "email" : "") < 0)
		goto out;
	if (db_begin(db) < 0)
		goto out;
	if (key->key || key->fingerprint) {
		int seen = campaign_seen(db, key, id_out);

		if (seen < 0)
			goto fail;
		if (seen) {
			db_rollback(db);
			ret = 1;
			goto out;
		}
	}
	if (!key->key && key->fingerprint &&
	    bsnprintf(stored_key, sizeof(stored_key), "%s@%lld", key->fingerprint, c->created_at) < 0)
		goto fail;
	if (!(st = db_prepare(db, add)))
		goto fail;
	db_bind_text(st, 1, c->kind);
	db_bind_int64(st, 2, c->opportunity_id);
	if (c->association_id)
		db_bind_int64(st, 3, c->association_id);
	db_bind_text(st, 4, c->status);
	db_bind_text(st, 5, channels);
	bind_age(st, 6, c->min_age);
	bind_age(st, 7, c->max_age);
	db_bind_text(st, 8, langs);
	db_bind_text(st, 9, interests);
	db_bind_int64(st, 10, c->send_at);
	db_bind_int64(st, 11, c->valid_until);
	db_bind_text(st, 12, key->key ? key->key : key->fingerprint ? stored_key : NULL);
	db_bind_text(st, 13, c->created_by);
	db_bind_int64(st, 14, c->created_at);
	db_bind_int64(st, 15, c->created_at);
	if (c->fallback_email != CAMPAIGN_FALLBACK_DEFAULT)
		db_bind_int(st, 16, c->fallback_email == CAMPAIGN_FALLBACK_ON);
	if (db_insert_id(db, st, id_out) != 0)
		goto fail;
	for (size_t i = 0; i < c->n_texts; i++) {
		if (!(st = db_prepare(db, add_text)))
			goto fail;
		db_bind_int64(st, 1, *id_out);
		db_bind_text(st, 2, c->texts[i].lang);
		db_bind_text(st, 3, c->texts[i].body);
		if (db_exec_stmt(db, st) < 0)
			goto fail;
	}
	if (db_commit(db) < 0)
		goto fail;
	ret = 0;
	goto out;
fail:
	db_rollback(db);
out:
	free(langs);
	free(interests);
	return ret;
}

#define CAMPAIGN_COLUMNS \
	"SELECT id, kind, opportunity_id, association_id, status, channels, min_age, max_age," \
	" langs, interests, send_at, valid_until, expand_cursor, created_by, created_at," \
	" fallback_email FROM campaigns"

static void copy_small(char *dst, size_t n, const char *src)
{
	const char *s = src ? src : "";
	size_t len = strlen(s);
	if (len >= n)
		len = n - 1;
	memcpy(dst, s, len);
	dst[len] = '\0';
}

static void load_campaign_row(struct db_stmt *st, struct campaign *c)
{
	const char *channels = db_column_text(st, 5);

	memset(c, 0, sizeof(*c));
	c->id = db_column_int64(st, 0);
	copy_small(c->kind, sizeof(c->kind), db_column_text(st, 1));
	c->opportunity_id = db_column_int64(st, 2);
	c->association_id = db_column_int64(st, 3);
	copy_small(c->status, sizeof(c->status), db_column_text(st, 4));
	c->channels[CHANNEL_SMS] = channels && strstr(channels, "sms");
	c->channels[CHANNEL_EMAIL] = channels && strstr(channels, "email");
	c->min_age = db_column_is_null(st, 6) ? -1 : db_column_int(st, 6);
	c->max_age = db_column_is_null(st, 7) ? -1 : db_column_int(st, 7);
	model_split_csv(db_column_text(st, 8), c->langs, MODEL_MAX_LANGS);
	model_split_csv(db_column_text(st, 9), c->interests, MODEL_MAX_INTERESTS);
	c->send_at = db_column_int64(st, 10);
	c->valid_until = db_column_int64(st, 11);
	c->expand_cursor = db_column_int64(st, 12);
	c->created_by = db_column_strdup(st, 13);
	c->created_at = db_column_int64(st, 14);
	c->fallback_email = db_column_is_null(st, 15) ? CAMPAIGN_FALLBACK_DEFAULT :
			    db_column_int(st, 15) ? CAMPAIGN_FALLBACK_ON : CAMPAIGN_FALLBACK_OFF;
}

static int load_campaign_texts(struct db *db, struct campaign *c)
{
	static const char sql[] =
		"SELECT lang, body FROM campaign_texts WHERE campaign_id = ? ORDER BY lang";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, c->id);
	while (db_step(st) == DB_ROW && c->n_texts < MODEL_MAX_LANGS) {
		copy_small(c->texts[c->n_texts].lang, sizeof(c->texts[0].lang), db_column_text(st, 0));
		c->texts[c->n_texts].body = db_column_strdup(st, 1);
		c->n_texts++;
	}
	db_reset(st);
	return 0;
}

static int get_one(struct db *db, struct db_stmt *st, struct campaign *out)
{
	int rc = db_step(st);
	if (rc == DB_ROW)
		load_campaign_row(st, out);
	db_reset(st);
	if (rc != DB_ROW)
		return rc == DB_DONE ? 1 : error("sql: %s", db_errmsg(db));
	if (load_campaign_texts(db, out) < 0) {
		campaign_release(out);
		return -1;
	}
	return 0;
}

int db_campaign_get(struct db *db, long long id, struct campaign *out)
{
	static const char sql[] = CAMPAIGN_COLUMNS " WHERE id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, id);
	return get_one(db, st, out);
}

int db_campaign_next_due(struct db *db, long long now, struct campaign *out)
{
	static const char sql[] = CAMPAIGN_COLUMNS
		" WHERE status IN ('scheduled', 'expanding') AND send_at <= ? ORDER BY send_at, id LIMIT 1";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	return get_one(db, st, out);
}

int db_campaign_set_status(struct db *db, long long id, const char *status, long long now)
{
	static const char sql[] =
		"UPDATE campaigns SET status = ?, updated_at = ?,"
		" cancelled_at = CASE WHEN ?1 = 'cancelled' THEN ?2 ELSE cancelled_at END WHERE id = ?"
		/* A final status stays: a cancel that committed meanwhile wins. */
		" AND status NOT IN ('done', 'cancelled', 'expired')";
	struct db_stmt *st;
	bool cancelled = !strcmp(status, "cancelled");
	int changed;

	/* The change and its callback event commit together. */
	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, sql)))
		goto fail;
	db_bind_text(st, 1, status);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	if (db_exec_stmt(db, st) < 0)
		goto fail;
	changed = db_changes(db);
	if (changed && (cancelled || !strcmp(status, "expired")) &&
	    db_callback_campaign_event(db, id, cancelled ? "campaign.cancelled" : "campaign.expired",
				       status, cancelled, now) < 0)
		goto fail;
	if (db_commit(db) < 0)
		goto fail;
	return changed ? 0 : 1;
fail:
	db_rollback(db);
	return -1;
}

int db_campaign_set_cursor(struct db *db, long long id, long long cursor, long long now)
{
	static const char sql[] =
		"UPDATE campaigns SET expand_cursor = ?, updated_at = ? WHERE id = ?";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, cursor);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	return db_exec_stmt(db, st);
}

int db_campaign_finish(struct db *db, long long now)
{
	static const char sql[] =
		"UPDATE campaigns SET status = 'done', updated_at = ? WHERE status = 'sending'"
		" AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.campaign_id = campaigns.id"
		"  AND m.state IN ('queued', 'sending')) RETURNING id";
	struct db_stmt *st;
	long long *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, sql)))
		goto fail;
	db_bind_int64(st, 1, now);
	while ((rc = db_step(st)) == DB_ROW) {
		if (n == cap)
			ids = xrealloc(ids, (cap = cap * 2 + 8) * sizeof(*ids));
		ids[n++] = db_column_int64(st, 0);
	}
	db_reset(st);
	if (rc != DB_DONE)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (db_callback_campaign_event(db, ids[i], "campaign.finished", "done", false, now) < 0)
			goto fail;
	if (db_commit(db) < 0)
		goto fail;
	free(ids);
	return 0;
fail:
	db_rollback(db);
	free(ids);
	return error("cannot mark finished campaigns: %s", db_errmsg(db));
}

int db_campaign_each(struct db *db, int (*cb)(const struct campaign *, void *), void *arg)
{
	static const char sql[] = CAMPAIGN_COLUMNS " ORDER BY id";
	struct db_stmt *st = db_prepare(db, sql);
	int ret = 0;
	if (!st)
		return -1;
	while (!ret && db_step(st) == DB_ROW) {
		struct campaign c;
		load_campaign_row(st, &c);
		ret = cb(&c, arg);
		campaign_release(&c);
	}
	db_reset(st);
	return ret;
}

int db_expand_candidates(struct db *db, long long after, int limit, const struct expand_filter *f,
			 int (*cb)(const struct expand_row *, void *), void *arg)
{
	/* A coarse pre-filter in SQL (consent, age, language, interests) keeps
	 * the subscribers who cannot match out of C; match_subscriber() still
	 * decides, so the rules live in one place. */
#define CANDIDATES(D) \
		"SELECT s.id, s.phone, s.email, s.lang, s.birth_year, s.sms_consent, s.email_consent," \
		" (SELECT " D##STRING_AGG "(interest, ',') FROM subscriber_interests i" \
		"  WHERE i.subscriber_id = s.id)" \
		" FROM subscribers s WHERE s.status = 'active' AND s.id > ?1" \
		" AND ((?3 = 1 AND s.sms_consent = 1 AND s.phone IS NOT NULL)" \
		"  OR (?4 = 1 AND s.email_consent = 1 AND s.email IS NOT NULL))" \
		" AND ((CAST(?5 AS BIGINT) IS NULL AND CAST(?6 AS BIGINT) IS NULL) OR (s.birth_year IS NOT NULL" \
		"  AND (?5 IS NULL OR ?7 - s.birth_year >= ?5) AND (?6 IS NULL OR ?7 - s.birth_year <= ?6)))" \
		" AND (CAST(?8 AS TEXT) IS NULL OR s.lang IN (" D##JSON_VALUES("?8") "))" \
		" AND (CAST(?9 AS TEXT) IS NULL" \
		"  OR NOT EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id)" \
		"  OR EXISTS (SELECT 1 FROM subscriber_interests i WHERE i.subscriber_id = s.id" \
		"   AND i.interest IN (" D##JSON_VALUES("?9") ")))" \
		" ORDER BY s.id LIMIT ?2"
	static const struct db_sql sql = DB_DIALECTS(CANDIDATES);
	struct db_stmt *st = db_prepare_dialect(db, &sql);
	char *langs = db_json_array(f->langs), *interests = db_json_array(f->interests);
	int rc, ret = 0;

	if (!st) {
		ret = -1;
		goto out;
	}
	db_bind_int64(st, 1, after);
	db_bind_int(st, 2, limit);
	db_bind_int(st, 3, f->channels[CHANNEL_SMS]);
	db_bind_int(st, 4, f->channels[CHANNEL_EMAIL]);
	if (f->min_age >= 0)
		db_bind_int(st, 5, f->min_age);
	if (f->max_age >= 0)
		db_bind_int(st, 6, f->max_age);
	db_bind_int(st, 7, f->year);
	db_bind_text(st, 8, langs);
	db_bind_text(st, 9, interests);
	while ((rc = db_step(st)) == DB_ROW) {
		struct expand_row r = {
			.id = db_column_int64(st, 0),
			.phone = db_column_text(st, 1),
			.email = db_column_text(st, 2),
			.lang = db_column_text(st, 3),
			.birth_year = db_column_int(st, 4),
			.interests_csv = db_column_text(st, 7),
		};
		r.consent[CHANNEL_SMS] = db_column_int(st, 5) != 0;
		r.consent[CHANNEL_EMAIL] = db_column_int(st, 6) != 0;
		if ((ret = cb(&r, arg)) != 0)
			break;
	}
	if (rc != DB_ROW && rc != DB_DONE)
		ret = error("sql: %s", db_errmsg(db));
	db_reset(st);
out:
	free(langs);
	free(interests);
	return ret;
}

int db_campaign_messages_since(struct db *db, long long subscriber_id, long long since)
{
	/* The EXISTS is one index seek; the count needs a temporary b-tree for
	 * DISTINCT on every call (half of a dry run's instructions, callgrind
	 * at 200,000 subscribers), so only those with a campaign message in
	 * the window pay for it. The same rule as before: count > 0 needs one. */
#define RECENT_WHERE \
	" FROM messages WHERE subscriber_id = ?1 AND created_at >= ?2" \
	" AND kind = 'campaign' AND state NOT IN ('suppressed', 'cancelled')"
	static const char sql[] =
		"SELECT CASE WHEN EXISTS (SELECT 1" RECENT_WHERE ")"
		" THEN (SELECT count(DISTINCT campaign_id)" RECENT_WHERE ") ELSE 0 END";
#undef RECENT_WHERE
	struct db_stmt *st = db_prepare(db, sql);
	int n = 0;
	if (!st)
		return -1;
	db_bind_int64(st, 1, subscriber_id);
	db_bind_int64(st, 2, since);
	if (db_step(st) == DB_ROW)
		n = db_column_int(st, 0);
	else
		n = error("cannot count recent campaign messages: %s", db_errmsg(db));
	db_reset(st);
	return n;
}

/*
 * db_campaign_messages_since() for a page of subscribers (the dry run's
 * frequency cap, issue 17 item 5): one statement per page instead of one
 * per subscriber, the same EXISTS-then-count rule for each id.
 */
int db_campaign_messages_since_each(struct db *db, const long long *ids, size_t n, long long since,
				    int *counts)
{
#define RECENT_WHERE \
	" FROM messages WHERE subscriber_id = s.sid AND created_at >= ?2" \
	" AND kind = 'campaign' AND state NOT IN ('suppressed', 'cancelled')"
#define EACH(ids) \
	"SELECT s.sid, CASE WHEN EXISTS (SELECT 1" RECENT_WHERE ")" \
	" THEN (SELECT count(DISTINCT campaign_id)" RECENT_WHERE ") ELSE 0 END FROM (" ids ") s"
	static const struct db_sql sql = {
		.sqlite = EACH("SELECT CAST(value AS INTEGER) AS sid FROM json_each(?1)"),
		.postgresql = EACH("SELECT CAST(value AS bigint) AS sid"
				   " FROM json_array_elements_text(CAST(?1 AS json)) AS j(value)"),
	};
#undef EACH
#undef RECENT_WHERE
	struct sbuf j = SBUF_INIT;
	struct db_stmt *st;
	size_t next = 0;
	int rc, ret = 0;

	memset(counts, 0, n * sizeof(*counts));
	if (!n)
		return 0;
	sbuf_addch(&j, '[');
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&j, "%s%lld", i ? "," : "", ids[i]);
	sbuf_addch(&j, ']');
	if (!(st = db_prepare_dialect(db, &sql))) {
		sbuf_release(&j);
		return -1;
	}
	db_bind_textn(st, 1, j.buf, j.len);
	db_bind_int64(st, 2, since);
	/* Rows come in the array's order in practice: the search starts
	 * after the last match, so a page costs one pass. */
	while ((rc = db_step(st)) == DB_ROW) {
		long long id = db_column_int64(st, 0);

		for (size_t t = 0; t < n; t++, next = (next + 1) % n)
			if (ids[next] == id) {
				counts[next] = db_column_int(st, 1);
				break;
			}
	}
	if (rc != DB_DONE)
		ret = error("cannot count recent campaign messages: %s", db_errmsg(db));
	db_reset(st);
	sbuf_release(&j);
	return ret;
}

int db_campaign_approve(struct db *db, long long id, const char *who, long long now)
{
	static const char sql[] =
		"UPDATE campaigns SET status = 'scheduled', approved_by = ?, approved_at = ?,"
		" updated_at = ?2 WHERE id = ? AND status = 'pending_approval'";
	struct db_stmt *st;
	int changed;

	if (db_begin(db) < 0)
		return -1;
	if (!(st = db_prepare(db, sql)))
		goto fail;
	db_bind_text(st, 1, who);
	db_bind_int64(st, 2, now);
	db_bind_int64(st, 3, id);
	if (db_exec_stmt(db, st) < 0)
		goto fail;
	changed = db_changes(db);
	if (changed && db_callback_campaign_event(db, id, "campaign.approved", "scheduled", false,
						  now) < 0)
		goto fail;
	if (db_commit(db) < 0)
		goto fail;
	return changed ? 0 : 1;
fail:
	db_rollback(db);
	return -1;
}

int db_campaign_claim_expansion(struct db *db, long long id, long long cursor, long long now)
{
	static const char sql[] =
		"UPDATE campaigns SET status = 'expanding', updated_at = ? WHERE id = ?"
		" AND status IN ('scheduled', 'expanding') AND expand_cursor = ?";
	struct db_stmt *st = db_prepare(db, sql);
	if (!st)
		return -1;
	db_bind_int64(st, 1, now);
	db_bind_int64(st, 2, id);
	db_bind_int64(st, 3, cursor);
	if (db_exec_stmt(db, st) < 0)
		return -1;
	if (!db_changes(db))
		return 1;
	/* The first batch (the cursor still at 0) starts the campaign; the
	 * caller's transaction holds the claim and its event together. */
	if (cursor == 0 &&
	    db_callback_campaign_event(db, id, "campaign.started", "expanding", false, now) < 0)
		return -1;
	return 0;
}
