/* SPDX-License-Identifier: MIT */
#include "budbringer/campaign.h"
#include "budbringer/clock.h"
#include "budbringer/cost.h"
#include "budbringer/db_links.h"
#include "budbringer/links.h"
#include "budbringer/quiet.h"
#include "budbringer/log.h"
#include "budbringer/match.h"
#include "budbringer/render.h"
#include "budbringer/template.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEEK (7LL * 24 * 3600)

int campaign_create_auto(struct db *db, const struct config *cfg, long long now)
{
	long long ids[64];
	size_t n = 0;
	char now_iso[CLOCK_ISO_LEN];

	clock_iso_utc(now, now_iso);
	if (db_campaign_create_auto(db, "sms,email", now, now_iso,
				    (long long)cfg->campaigns.valid_hours * 3600, ids, 64, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		log_info("campaign created campaign=%lld kind=auto", ids[i]);
	return (int)n;
}

struct expand_ctx {
	struct db *db;
	const struct config *cfg;
	const struct campaign *c;
	const struct opportunity *o;
	const struct render_set *rs;
	struct match_audience aud;
	int year;
	long long now;
	long long last_id;
	int rows;
	struct campaign_dry_run *dry;
	struct expand_filter filter;
	/* The dry run's page of matches, counted once their caps are read
	 * in one statement (dry_page_flush). */
	struct dry_row {
		long long id;
		const char *lang;          /* the rendered language, in x->rs */
		bool want[CHANNEL_COUNT];
		char *addr[CHANNEL_COUNT];  /* the phone and address wanted */
	} *page;
	int listed;                        /* suppressions exist: -1 not asked yet */
	size_t n_page, cap_page;
};

enum dry_count { DRY_MATCHED, DRY_CAPPED, DRY_SUPPRESSED };

static void count_dry(struct campaign_dry_run *d, const char *lang, enum channel ch,
		      enum dry_count what)
{
	size_t i;
	for (i = 0; i < d->n_langs; i++)
		if (!strcmp(d->langs[i].lang, lang))
			break;
	if (i == d->n_langs) {
		if (i == MODEL_MAX_LANGS)
			return;
		memcpy(d->langs[i].lang, lang, strlen(lang) + 1);
		d->n_langs++;
	}
	if (what == DRY_CAPPED)
		d->langs[i].capped[ch]++;
	else if (what == DRY_SUPPRESSED)
		d->langs[i].suppressed[ch]++;
	else
		d->langs[i].matched[ch]++;
}

static int expand_row(const struct expand_row *r, void *arg)
{
	struct expand_ctx *x = arg;
	char *interests[MODEL_MAX_INTERESTS + 1];
	bool want[CHANNEL_COUNT] = { false, false };
	const struct rendered *rd;
	int ret = 0;

	x->last_id = r->id;
	x->rows++;
	model_split_csv(r->interests_csv, interests, MODEL_MAX_INTERESTS);
	for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
		const char *addr = ch == CHANNEL_SMS ? r->phone : r->email;
		struct match_subscriber s = {
			.active = true,
			.consent = r->consent[ch] && addr,
			.birth_year = r->birth_year,
			.lang = r->lang,
			.interests = (const char *const *)interests,
		};
		want[ch] = x->c->channels[ch] &&
			match_subscriber(&x->aud, &s, x->year) == MATCH_OK;
	}
	if (want[CHANNEL_SMS] && want[CHANNEL_EMAIL]) {
		if (x->cfg->campaigns.both_channels == CFG_BOTH_PREFER_SMS)
			want[CHANNEL_EMAIL] = false;
		else if (x->cfg->campaigns.both_channels == CFG_BOTH_PREFER_EMAIL)
			want[CHANNEL_SMS] = false;
	}
	if (!want[CHANNEL_SMS] && !want[CHANNEL_EMAIL])
		goto out;
	rd = render_pick(x->rs, x->cfg, r->lang);
	if (!rd)
		goto out;
	if (x->n_page == x->cap_page) {
		x->cap_page = x->cap_page * 2 + 64;
		x->page = xrealloc(x->page, x->cap_page * sizeof(*x->page));
	}
	x->page[x->n_page++] = (struct dry_row){ .id = r->id, .lang = rd->lang,
		.want = { want[CHANNEL_SMS], want[CHANNEL_EMAIL] },
		.addr = { want[CHANNEL_SMS] ? xstrdup(r->phone) : NULL,
			  want[CHANNEL_EMAIL] ? xstrdup(r->email) : NULL } };
out:
	model_free_vec(interests);
	return ret;
}

/* Counts the page's matches, reading the frequency cap of the whole page
 * in one statement (it was one per subscriber). */
static int dry_page_flush(struct expand_ctx *x)
{
	int cap = x->cfg->campaigns.frequency_cap, ret = 0;
	long long *ids = NULL;
	int *recent = NULL;
	struct db_suppressed_q *sup;

	if (cap > 0 && x->n_page) {
		ids = xcalloc(x->n_page, sizeof(*ids));
		recent = xcalloc(x->n_page, sizeof(*recent));
		for (size_t i = 0; i < x->n_page; i++)
			ids[i] = x->page[i].id;
		ret = db_campaign_messages_since_each(x->db, ids, x->n_page, x->now - WEEK, recent);
	}
	/* The outbox would suppress one when due (a bounced address): the
	 * page's addresses are looked up in one statement too. */
	sup = xcalloc(x->n_page * CHANNEL_COUNT + 1, sizeof(*sup));
	for (size_t i = 0; i < x->n_page; i++)
		for (int ch = 0; ch < CHANNEL_COUNT; ch++)
			sup[i * CHANNEL_COUNT + (size_t)ch] = (struct db_suppressed_q){
				.address = x->page[i].addr[ch], .channel = channel_name((enum channel)ch) };
	/* An empty list (a new service, the benches) costs no hashing. */
	if (!ret && x->n_page && x->listed < 0)
		ret = (x->listed = db_suppressions_any(x->db)) < 0 ? -1 : 0;
	if (!ret && x->n_page && x->listed)
		ret = db_suppressed_batch(x->db, sup, x->n_page * CHANNEL_COUNT);
	for (size_t i = 0; i < x->n_page && !ret; i++)
		for (int ch = 0; ch < CHANNEL_COUNT; ch++) {
			bool capped = cap > 0 && recent[i] >= cap;

			if (!x->page[i].want[ch])
				continue;
			if (!capped && sup[i * CHANNEL_COUNT + (size_t)ch].suppressed)
				count_dry(x->dry, x->page[i].lang, (enum channel)ch, DRY_SUPPRESSED);
			else
				count_dry(x->dry, x->page[i].lang, (enum channel)ch,
					  capped ? DRY_CAPPED : DRY_MATCHED);
		}
	free(sup);
	for (size_t i = 0; i < x->n_page; i++)
		for (int ch = 0; ch < CHANNEL_COUNT; ch++)
			free(x->page[i].addr[ch]);
	x->n_page = 0;
	free(ids);
	free(recent);
	return ret;
}

static int tighter(int a, int b, bool lower)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return lower ? (a > b ? a : b) : (a < b ? a : b);
}

/* Fills the matcher's view of a campaign and its opportunity, and the
 * SQL pre-filter that narrows the stream to possible matches. */
static void audience_of(const struct campaign *c, const struct opportunity *o, int year,
			struct match_audience *aud, struct expand_filter *f)
{
	aud->min_age = c->min_age;
	aud->max_age = c->max_age;
	aud->opp_min_age = o->min_age;
	aud->opp_max_age = o->max_age;
	aud->interests = (const char *const *)(c->interests[0] ? c->interests : o->interests);
	aud->langs = (const char *const *)c->langs;
	f->channels[CHANNEL_SMS] = c->channels[CHANNEL_SMS];
	f->channels[CHANNEL_EMAIL] = c->channels[CHANNEL_EMAIL];
	f->min_age = tighter(c->min_age, o->min_age, true);
	f->max_age = tighter(c->max_age, o->max_age, false);
	f->year = year;
	f->langs = aud->langs;
	f->interests = aud->interests;
}

/* The texts of every language, for the SQL fast path. */
static int store_texts(struct db *db, const struct render_set *rs)
{
	struct expand_text t[MODEL_MAX_LANGS];
	for (size_t i = 0; i < rs->n; i++) {
		const struct rendered *r = &rs->v[i];
		t[i] = (struct expand_text){ .lang = r->lang, .sms = r->sms, .subject = r->subject,
			.email = r->email, .coding = gsm_coding_name(r->gsm.coding),
			.segments = (int)r->gsm.segments };
	}
	return db_expand_texts_set(db, t, rs->n);
}

/* Whether the campaign's SMS carry short links (links.h). */
static bool shortens(const struct config *cfg, const struct campaign *c, const struct opportunity *o)
{
	return cfg->links.shorten && c->channels[CHANNEL_SMS] && o->url && *o->url;
}

/*
 * Renders rs again with a short link in the SMS of each language: the
 * link of (campaign, sms, lang) when code_of is NULL (made on first use,
 * the same at every batch), else a stand-in code of the same length (the
 * dry run, which stores nothing). -1 leaves rs as it was.
 */
static int render_short(struct db *db, const struct config *cfg, const struct opportunity *o,
			const struct campaign *c, long long now, const char *stand_in,
			const struct render_set *rs, struct render_set *out, struct sbuf *err)
{
	struct sbuf urls[MODEL_MAX_LANGS];
	struct render_urls u = { .n = 0 };
	int ret = -1;

	for (size_t i = 0; i < rs->n; i++) {
		char code[LINKS_CODE_LEN + 1];

		sbuf_init(&urls[i], 0);
		u.n++;
		if (stand_in)
			memcpy(code, stand_in, LINKS_CODE_LEN + 1);
		else if (db_link_ensure(db, c->id, "sms", rs->v[i].lang, o->url, now, code) < 0)
			goto out;
		links_short_url(cfg, code, &urls[i]);
		u.lang[i] = rs->v[i].lang;
		u.url[i] = urls[i].buf;
	}
	ret = render_campaign_urls(cfg, o, c, &u, out, err);
out:
	for (size_t i = 0; i < u.n; i++)
		sbuf_release(&urls[i]);
	return ret;
}

int campaign_expand_step(struct db *db, const struct config *cfg, long long now)
{
	struct campaign c;
	struct opportunity o;
	struct render_set rs;
	struct sbuf err = SBUF_INIT;
	struct match_audience aud;
	struct expand_batch b;
	struct expand_batch_result r;
	long long t0;
	int rc, ret = -1;

	rc = db_campaign_next_due(db, now, &c);
	if (rc)
		return rc == 1 ? 0 : -1;
	if (c.valid_until && c.valid_until < now) {
		log_info("campaign expired before it could go out campaign=%lld", c.id);
		ret = db_campaign_set_status(db, c.id, "expired", now) < 0 ? -1 : 1;
		campaign_release(&c);
		return ret;
	}
	if (db_opportunity_get(db, c.opportunity_id, &o) != 0) {
		log_warn("campaign=%lld: opportunity %lld is missing; cancelling", c.id, c.opportunity_id);
		db_campaign_set_status(db, c.id, "cancelled", now);
		campaign_release(&c);
		return 1;
	}
	if (render_campaign(cfg, &o, &c, &rs, &err) < 0) {
		log_warn("campaign=%lld cannot be rendered: %s; cancelling", c.id, err.buf);
		db_campaign_set_status(db, c.id, "cancelled", now);
		ret = 1;
		goto out_opp;
	}
	if (shortens(cfg, &c, &o)) {
		struct render_set short_rs;

		/* Without its links the batch waits: a long URL would cost the
		 * parts the setting was turned on to save. */
		if (render_short(db, cfg, &o, &c, now, NULL, &rs, &short_rs, &err) < 0) {
			log_warn("campaign=%lld: cannot make its short links, trying again: %s", c.id,
				 err.len ? err.buf : "database error");
			goto out_rs;
		}
		render_set_release(&rs);
		rs = short_rs;
	}

	/*
	 * Loading, rendering and storing the texts again for every batch is
	 * about 1% of a batch (callgrind, 200,000 subscribers), so nothing is kept
	 * across batches and a cancel is seen at the next one. The batch size
	 * hardly matters either: 2,000 to 20,000 subscribers a batch cost the
	 * same instructions in all, and at the default 5,000 a batch holds
	 * the write lock for 20-30 ms (its debug line says how long).
	 */
	memset(&b, 0, sizeof(b));
	b.campaign_id = c.id;
	b.after = c.expand_cursor;
	b.limit = cfg->campaigns.expand_batch;
	audience_of(&c, &o, model_year(now), &aud, &b.filter);
	/* Whoever's language has no text gets the first of the fallback chain
	 * that has one: what render_pick() gives for a language never available. */
	b.fallback_lang = render_pick(&rs, cfg, "")->lang;
	b.both_policy = (int)cfg->campaigns.both_channels;
	b.cap = cfg->campaigns.frequency_cap;
	b.cap_since = now - WEEK;
	b.not_before = c.send_at > now ? c.send_at : now;
	b.expires_at = c.valid_until;
	b.now = now;

	t0 = clock_mono_us();
	if (db_begin(db) < 0)
		goto out_rs;
	/* Claim the campaign inside the transaction: a cancel that committed
	 * since we loaded it wins, and so does another daemon that expanded
	 * this batch meanwhile (the cursor moved); this one inserts nothing. */
	rc = db_campaign_claim_expansion(db, c.id, c.expand_cursor, now);
	if (rc != 0) {
		db_rollback(db);
		ret = rc < 0 ? -1 : 1;
		goto out_rs;
	}
	if (store_texts(db, &rs) < 0 || db_expand_batch(db, &b, &r) < 0 ||
	    db_campaign_set_cursor(db, c.id, r.cursor, now) < 0 ||
	    (r.done && db_campaign_set_status(db, c.id, "sending", now) < 0)) {
		db_rollback(db);
		goto out_rs;
	}
	if (db_commit(db) < 0) {
		db_rollback(db);
		goto out_rs;
	}
	/* The write lock was held this long: inbound HTTP writes waited as much. */
	log_debug("campaign=%lld expanded batch messages=%lld cursor=%lld us=%lld", c.id, r.inserted,
		  r.cursor, clock_mono_us() - t0);
	if (r.done)
		log_info("campaign expanded campaign=%lld", c.id);
	ret = 1;
out_rs:
	render_set_release(&rs);
out_opp:
	opportunity_release(&o);
	campaign_release(&c);
	sbuf_release(&err);
	return ret;
}

int campaign_cancel(struct db *db, long long id, long long now)
{
	struct campaign c;
	int rc = db_campaign_get(db, id, &c), n;

	if (rc)
		return rc;
	if (!strcmp(c.status, "done") || !strcmp(c.status, "cancelled") ||
	    !strcmp(c.status, "expired")) {
		campaign_release(&c);
		return 1;
	}
	campaign_release(&c);
	if (db_begin(db) < 0)
		return -1;
	if (db_campaign_set_status(db, id, "cancelled", now) < 0 ||
	    (n = db_message_cancel_queued(db, id, "campaign cancelled", now)) < 0) {
		db_rollback(db);
		return -1;
	}
	if (db_commit(db) < 0)
		return -1;
	log_info("campaign cancelled campaign=%lld messages=%d", id, n);
	return 0;
}

/* How long a request without an idempotency key stays "the same
 * campaign" when it comes again (a double click, a retried API call):
 * a sliding window, so that a retry across the top of an hour is caught. */
#define SAME_REQUEST_WINDOW 3600

/* A request's fingerprint when the caller gave no key: the association,
 * opportunity, audience, send time and texts. */
static void request_fingerprint(const struct campaign_request *rq, struct sbuf *out)
{
	struct sbuf in = SBUF_INIT;
	char hex[65];

	sbuf_addf(&in, "%s|%lld|%lld|%d%d|%d|%d|%lld", rq->kind, rq->association_id,
		    rq->opportunity_id, rq->channels[0], rq->channels[1], rq->min_age, rq->max_age,
		    rq->send_at);
	for (size_t i = 0; rq->langs[i]; i++)
		sbuf_addf(&in, "|l:%s", rq->langs[i]);
	for (size_t i = 0; rq->interests[i]; i++)
		sbuf_addf(&in, "|i:%s", rq->interests[i]);
	for (size_t i = 0; i < rq->n_texts; i++)
		sbuf_addf(&in, "|t:%s=%zu:%s", rq->texts[i].lang, strlen(rq->texts[i].body),
			    rq->texts[i].body);
	if (rq->fallback_email)
		sbuf_addf(&in, "|f:%d", rq->fallback_email);
	db_address_hash(in.buf, hex);
	sbuf_addf(out, "auto:%s", hex);
	sbuf_release(&in);
}

/*
 * Validates a request and turns it into a campaign record (not stored).
 * On CAMPAIGN_CREATED the caller releases *c and *o; on anything else
 * both are released already and err says why.
 */
static enum campaign_create_result build_campaign(struct db *db, const struct config *cfg,
						  const struct campaign_request *rq, long long now,
						  struct campaign *cp, struct opportunity *op,
						  struct sbuf *err)
{
	struct opportunity o;
	struct campaign c;
	struct sbuf terr = SBUF_INIT;
	enum campaign_create_result ret = CAMPAIGN_INVALID;
	size_t n = 0;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = db_opportunity_get(db, rq->opportunity_id, &o);
	if (rc < 0)
		return CAMPAIGN_ERROR;
	if (rc == 1) {
		sbuf_addf(err, "no opportunity %lld", rq->opportunity_id);
		return CAMPAIGN_INVALID;
	}
	if (rq->association_id && o.association_id != rq->association_id) {
		sbuf_addf(err, "opportunity %lld belongs to another association", rq->opportunity_id);
		ret = CAMPAIGN_FORBIDDEN;
		goto out;
	}
	if (strcmp(o.status, "published")) {
		sbuf_addf(err, "opportunity %lld is %s, not published", o.id, o.status);
		goto out;
	}
	if (!rq->channels[CHANNEL_SMS] && !rq->channels[CHANNEL_EMAIL]) {
		sbuf_addstr(err, "no channel: give sms, email or both");
		goto out;
	}
	if (rq->min_age > 120 || rq->max_age > 120 ||
	    (rq->min_age >= 0 && rq->max_age >= 0 && rq->min_age > rq->max_age)) {
		sbuf_addf(err, "age range %d-%d is not valid", rq->min_age, rq->max_age);
		goto out;
	}
	for (size_t i = 0; rq->langs[i]; i++) {
		if (!cfg_has_language(cfg, rq->langs[i])) {
			sbuf_addf(err, "language '%s' is not configured", rq->langs[i]);
			goto out;
		}
	}
	for (size_t i = 0; rq->interests[i]; i++) {
		if (!cfg_interest_find(cfg, rq->interests[i])) {
			sbuf_addf(err, "interest '%s' is not in the taxonomy", rq->interests[i]);
			goto out;
		}
	}
	for (size_t i = 0; i < rq->n_texts; i++) {
		if (!cfg_has_language(cfg, rq->texts[i].lang)) {
			sbuf_addf(err, "text language '%s' is not configured", rq->texts[i].lang);
			goto out;
		}
		sbuf_reset(&terr);
		if (!*rq->texts[i].body || template_validate(rq->texts[i].body, &terr) < 0) {
			sbuf_addf(err, "text for '%s': %s", rq->texts[i].lang,
				    terr.len ? terr.buf : "empty");
			goto out;
		}
	}
	if (bsnprintf(c.kind, sizeof(c.kind), "%s", rq->kind) < 0) {
		sbuf_addf(err, "campaign kind '%s' is not known", rq->kind);
		goto out;
	}
	c.opportunity_id = o.id;
	c.association_id = o.association_id;
	c.channels[0] = rq->channels[0];
	c.channels[1] = rq->channels[1];
	c.min_age = rq->min_age;
	c.max_age = rq->max_age;
	for (n = 0; n < MODEL_MAX_LANGS && rq->langs[n]; n++)
		c.langs[n] = xstrdup(rq->langs[n]);
	for (n = 0; n < MODEL_MAX_INTERESTS && rq->interests[n]; n++)
		c.interests[n] = xstrdup(rq->interests[n]);
	for (n = 0; n < rq->n_texts; n++) {
		memcpy(c.texts[n].lang, rq->texts[n].lang, 3);
		c.texts[n].body = xstrdup(rq->texts[n].body);
	}
	c.n_texts = rq->n_texts;
	c.send_at = rq->send_at ? rq->send_at : now;
	c.valid_until = rq->valid_until ? rq->valid_until
					: c.send_at + (long long)cfg->campaigns.valid_hours * 3600;
	if (c.valid_until <= c.send_at) {
		sbuf_addstr(err, "valid_until must be after the send time");
		goto out;
	}
	c.fallback_email = rq->fallback_email;
	c.created_by = xstrdup(rq->created_by ? rq->created_by : "?");
	c.created_at = now;
	(void)bsnprintf(c.status, sizeof(c.status), "%s",
			cfg->campaigns.require_approval && strcmp(rq->kind, "staff") ?
			"pending_approval" : "scheduled");
	*cp = c;
	*op = o;
	sbuf_release(&terr);
	return CAMPAIGN_CREATED;
out:
	campaign_release(&c);
	opportunity_release(&o);
	sbuf_release(&terr);
	return ret;
}

enum campaign_create_result campaign_create(struct db *db, const struct config *cfg,
					    const struct campaign_request *rq, long long now,
					    long long *id_out, struct sbuf *err)
{
	struct campaign c;
	struct opportunity o;
	struct sbuf fingerprint = SBUF_INIT;
	struct campaign_key key = { .key = rq->idempotency_key,
				    .since = now - SAME_REQUEST_WINDOW };
	enum campaign_create_result ret = build_campaign(db, cfg, rq, now, &c, &o, err);
	int rc;

	if (ret != CAMPAIGN_CREATED)
		return ret;
	if (!key.key) {
		request_fingerprint(rq, &fingerprint);
		key.fingerprint = fingerprint.buf;
	}
	rc = db_campaign_create(db, &c, &key, id_out);
	ret = rc < 0 ? CAMPAIGN_ERROR : rc == 1 ? CAMPAIGN_DUPLICATE : CAMPAIGN_CREATED;
	if (ret == CAMPAIGN_CREATED)
		log_info("campaign created campaign=%lld kind=%s opportunity=%lld status=%s", *id_out,
			 c.kind, c.opportunity_id, c.status);
	campaign_release(&c);
	opportunity_release(&o);
	sbuf_release(&fingerprint);
	return ret;
}

enum campaign_create_result campaign_dry_run(struct db *db, const struct config *cfg,
					     const struct campaign_request *rq, long long now,
					     bool count_audience, struct campaign_dry_run *out,
					     struct sbuf *err)
{
	struct campaign c;
	struct opportunity o;
	struct expand_ctx x;
	enum campaign_create_result ret = build_campaign(db, cfg, rq, now, &c, &o, err);
	long long cursor = 0;

	memset(&x, 0, sizeof(x));
	memset(out, 0, sizeof(*out));
	if (ret != CAMPAIGN_CREATED)
		return ret;
	if (render_campaign(cfg, &o, &c, &out->rendered, err) < 0) {
		ret = CAMPAIGN_INVALID;
		goto out;
	}
	if (shortens(cfg, &c, &o) &&
	    render_short(db, cfg, &o, &c, now, "XXXXXXXX", &out->rendered, &out->shortened, err) < 0) {
		render_set_release(&out->rendered);
		ret = CAMPAIGN_INVALID;
		goto out;
	}
	memset(&x, 0, sizeof(x));
	x.db = db;
	x.cfg = cfg;
	x.c = &c;
	x.o = &o;
	x.rs = &out->rendered;
	x.year = model_year(now);
	x.now = now;
	x.dry = out;
	x.listed = -1;
	out->send_at = c.send_at;
	if (quiet_now(cfg, c.send_at)) {
		out->quiet_held[CHANNEL_SMS] = true;
		out->quiet_held[CHANNEL_EMAIL] = cfg->campaigns.quiet_hold_email;
		out->quiet_until = quiet_next_open(cfg, c.send_at);
	}
	audience_of(&c, &o, x.year, &x.aud, &x.filter);
	/* Read-only: the same stream and rules as the real expansion. */
	do {
		if (!count_audience)
			break;
		x.rows = 0;
		if (db_expand_candidates(db, cursor, cfg->campaigns.expand_batch, &x.filter,
					 expand_row, &x) != 0 || dry_page_flush(&x) < 0) {
			ret = CAMPAIGN_ERROR;
			goto out;
		}
		cursor = x.last_id;
	} while (x.rows == cfg->campaigns.expand_batch);
out:
	for (size_t i = 0; i < x.n_page; i++)	/* a page an error left behind */
		for (int ch = 0; ch < CHANNEL_COUNT; ch++)
			free(x.page[i].addr[ch]);
	free(x.page);
	campaign_release(&c);
	opportunity_release(&o);
	return ret;
}

long long campaign_dry_run_cost(const struct config *cfg, const struct campaign_dry_run *d,
				size_t lang_index)
{
	const struct rendered *rd;

	if (lang_index >= d->n_langs)
		return 0;
	rd = render_pick(&d->rendered, cfg, d->langs[lang_index].lang);
	return cost_estimate(d->langs[lang_index].matched[CHANNEL_SMS], rd ? rd->gsm.segments : 1,
			     cost_sms_price(cfg));
}

int campaign_approve(struct db *db, long long id, const char *who, long long now)
{
	struct campaign c;
	int rc = db_campaign_get(db, id, &c);
	if (rc)
		return rc;
	rc = strcmp(c.status, "pending_approval") ? 1 : db_campaign_approve(db, id, who, now);
	campaign_release(&c);
	if (rc == 0)
		log_info("campaign approved campaign=%lld by=%s", id, who);
	return rc;
}

int campaign_resend_unknown(struct db *db, long long id, const char *who, long long now,
			    void (*each)(long long msg_id, int rc, const char *why, void *arg),
			    void *arg, int *refused)
{
	long long *ids;
	size_t n;
	int queued = 0;

	*refused = 0;
	if (db_message_unknown_ids(db, id, &ids, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct sbuf why = SBUF_INIT;
		int rc = db_message_resend(db, ids[i], who, now, &why);

		queued += rc == 0;
		*refused += rc == 1;
		if (each)
			each(ids[i], rc, why.buf ? why.buf : "", arg);
		sbuf_release(&why);
	}
	free(ids);
	if (queued)
		log_info("campaign resend campaign=%lld queued=%d refused=%d by=%s", id, queued,
			 *refused, who);
	return queued;
}
