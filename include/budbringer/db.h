/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DB_H
#define BUDBRINGER_DB_H

/*
 * The database, behind one seam with two engines: SQLite (a file in WAL
 * mode, the embedded default) and PostgreSQL (a `postgresql://` URI, for
 * several daemons on one database). All SQL of the project lives in
 * src/db*.c, as prepared statements made once per connection and reused
 * (db_prepare() caches by the SQL literal's address). A statement is
 * written once where the two dialects agree; where they differ, a
 * struct db_sql holds both texts side by side (db_prepare_dialect()).
 * Parameters are written ? or ?N in both.
 *
 * A struct db is one connection and must only be used by one thread at a
 * time; each thread that touches the database opens its own.
 * Times in the daemon's own tables are unix seconds (INTEGER); the
 * portal's tables keep the ISO 8601 text the spec gives them.
 *
 * Area files: db_portal.c (associations, opportunities), db_subscriber.c
 * (subscribers, consent, suppressions), db_campaign.c (campaigns and
 * their expansion), db_message.c (messages and events), db_inbound.c.
 * Engines: db_sqlite.c, db_postgres.c (src/db_engine.h is their contract).
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/sbuf.h"

struct db;
struct db_stmt;

enum db_engine_kind { DB_SQLITE, DB_POSTGRESQL };

/* What db_step() says. */
enum { DB_ERROR = -1, DB_DONE = 0, DB_ROW = 1 };

/* A column's value type, as db_column_type() reports it. */
enum db_type { DB_NULL, DB_INTEGER, DB_FLOAT, DB_TEXT };

/* One statement in each engine's dialect. */
struct db_sql {
	const char *sqlite;
	const char *postgresql;
};

/* How to reach the database besides its name. */
struct db_options {
	/* PostgreSQL: a file holding the password (else libpq's own rules:
	 * the URI, PGPASSWORD, PGPASSFILE). Never logged. */
	const char *password_file;
};

/* True when target names a PostgreSQL database (postgresql:// or postgres://). */
bool db_target_is_postgresql(const char *target);
/* Checks a postgresql:// URI as libpq reads it: -1 with the reason in why
 * when it does not parse or holds a password (it is logged and shown; the
 * password belongs in database_password_file or PGPASSFILE). */
int db_check_postgresql_uri(const char *uri, struct sbuf *why);

/*
 * Opens (creating if missing) and migrates the database at target: a
 * file path (SQLite) or a postgresql:// URI. Returns NULL and logs why on
 * failure. A database newer than this build's schema is refused.
 */
struct db *db_open(const char *target);
struct db *db_open_with(const char *target, const struct db_options *opt);
void db_close(struct db *db);
enum db_engine_kind db_engine(const struct db *db);
/* "sqlite" or "postgresql" */
const char *db_engine_name(const struct db *db);
int db_schema_version(struct db *db);
/* SQLite: one daemon per file (the HTTP listeners' ports and the file's
 * write lock are one host's), by a flock on "<file>.lock" held until
 * db_close() or the process ends, also on kill -9: 1, it is exclusive.
 * PostgreSQL: any number of daemons share the database (cluster.h): 0.
 * -1 with the reason in err. */
int db_lock_daemon(struct db *db, struct sbuf *err);

/* The outermost level takes the write lock (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: BEGIN and the service's advisory write lock); inside an open
 * transaction a savepoint instead, which the matching db_commit()
 * releases and db_rollback() undoes alone: only the outermost commits. */
int db_begin(struct db *db);
/* A transaction whose writes touch only rows it has locked itself: the
 * outbox's claim of due messages (SELECT … FOR UPDATE SKIP LOCKED, then
 * queued → sending). On PostgreSQL it does not wait for the write lock,
 * so daemons claim side by side; on SQLite it is db_begin(). Not for
 * read-then-write code (a STOP's check, a cap): that needs db_begin(). */
int db_begin_claim(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
/* True while a transaction is open (SQLite may end one itself on I/O errors). */
bool db_in_transaction(const struct db *db);

/*
 * Returns the cached prepared statement for the SQL literal `sql`
 * (reset, bindings cleared), preparing it on first use. NULL on error
 * (logged). Only db*.c files call this.
 */
struct db_stmt *db_prepare(struct db *db, const char *sql);
/* The same for a statement whose text differs per engine (keyed by q). */
struct db_stmt *db_prepare_dialect(struct db *db, const struct db_sql *q);
/* q's text for this database's engine: NULL where the engine has nothing
 * to run (its work done by another statement, e.g. a PostgreSQL CTE). */
const char *db_dialect_text(const struct db *db, const struct db_sql *q);
/* An uncached statement for SQL made at run time; db_finalize() frees it. */
struct db_stmt *db_prepare_once(struct db *db, const char *sql);
void db_finalize(struct db_stmt *st);
/* DB_ROW, DB_DONE or DB_ERROR (db_errmsg() says why). */
int db_step(struct db_stmt *st);
/* Ready to run again; bindings cleared. */
void db_reset(struct db_stmt *st);
/* Steps a statement that returns no rows, then resets it; 0 or -1 (logged). */
int db_exec_stmt(struct db *db, struct db_stmt *st);
/* Steps an INSERT … RETURNING id and resets it: 0 with *id set, 1 when it
 * inserted nothing (ON CONFLICT DO NOTHING), -1 on an error (logged). */
int db_insert_id(struct db *db, struct db_stmt *st, long long *id);
/* Runs ;-separated statements without results; 0 or -1 (logged). */
int db_exec(struct db *db, const char *script);
const char *db_errmsg(struct db *db);
/* Rows changed by the last INSERT, UPDATE or DELETE. */
int db_changes(struct db *db);

/* Prepared statements executed on this connection so far (each first
 * db_step() after a reset counts one): for tests that count queries. */
unsigned long long db_statements_run(const struct db *db);
/* Parameters count from 1, columns from 0, as in both engines. */
int db_param_count(struct db_stmt *st);
int db_bind_int64(struct db_stmt *st, int idx, long long v);
int db_bind_int(struct db_stmt *st, int idx, int v);
int db_bind_double(struct db_stmt *st, int idx, double v);
/* Binds a C string or NULL (as SQL NULL); the text is copied. */
int db_bind_text(struct db_stmt *st, int idx, const char *s);
int db_bind_textn(struct db_stmt *st, int idx, const char *s, size_t len);
int db_bind_null(struct db_stmt *st, int idx);
int db_column_count(struct db_stmt *st);
const char *db_column_name(struct db_stmt *st, int col);
enum db_type db_column_type(struct db_stmt *st, int col);
bool db_column_is_null(struct db_stmt *st, int col);
/* NULL reads as 0; a boolean as 0 or 1. */
long long db_column_int64(struct db_stmt *st, int col);
int db_column_int(struct db_stmt *st, int col);
double db_column_double(struct db_stmt *st, int col);
/* Valid until the next step or reset; NULL for SQL NULL. */
const char *db_column_text(struct db_stmt *st, int col);
/* Copies column text (NULL -> NULL). Caller frees. */
char *db_column_strdup(struct db_stmt *st, int col);

/* A JSON array of the strings in v (bound to json_each() in SQL), or NULL
 * for an empty vector. Caller frees. */
char *db_json_array(const char *const *v);
/* Gives the connection's page cache back (an idle daemon stays small). */
void db_shrink(struct db *db);
/* SQLite: copies the WAL into the database and truncates it (after an
 * erase the WAL still holds the old pages). 0 done, 1 a reader kept it
 * from finishing (the busy handler waited ~15 s), -1 error. PostgreSQL:
 * nothing to do, 0. */
int db_checkpoint(struct db *db);
/* Keys the suppression list with HMAC-SHA256 under a key derived from
 * secret_key (so its hashes cannot be reversed by trying every number).
 * Refuses (-1, logged) a secret_key other than the one the database was
 * keyed with. A handle without a key hashes as before (plain SHA-256):
 * the daemon and the CLI always set it. */
int db_set_address_key(struct db *db, const char *secret_key);
/* The derived key (32 bytes), or NULL when none was set. */
const unsigned char *db_address_key(const struct db *db);

/* ---- db_portal.c: associations, tokens, opportunities ------------------ */

#include "budbringer/model.h"

/* Adds an association; *id_out set. -1 when the name exists (logged). */
int db_association_add(struct db *db, const char *name, const char *email, long long *id_out);
long long db_association_find(struct db *db, const char *name);  /* 0 = none */
struct association_row { long long id; const char *name, *contact_email, *created_at; int active; int n_tokens; };
int db_association_each(struct db *db, int (*cb)(const struct association_row *, void *), void *arg);
/* Revokes the association's tokens and stores the new token's hash. */
int db_association_set_token(struct db *db, long long assoc_id, const char *sha256_hex, long long now);
/* The association an active token hash belongs to; 0 = none. */
long long db_association_by_token(struct db *db, const char *sha256_hex);

struct opportunity_in {
	long long association_id;  /* 0 = municipality's own */
	const char *status;        /* draft / published */
	int min_age, max_age;      /* -1 = none */
	const char *location, *url, *starts_at, *ends_at;
	const struct opportunity_text *texts;
	size_t n_texts;
	const char *const *interests; /* NULL-terminated */
};
int db_opportunity_add(struct db *db, const struct opportunity_in *in, const char *now_iso,
		       long long *id_out);
/* draft/published/closed; sets published_at when first published. 0, -1, or 1 = no such id. */
int db_opportunity_set_status(struct db *db, long long id, const char *status, const char *now_iso);
/* Loads one opportunity with its texts and interests; 1 = not found. */
int db_opportunity_get(struct db *db, long long id, struct opportunity *out);
int db_opportunity_each(struct db *db, int (*cb)(const struct opportunity *, void *), void *arg);

/* ---- db_subscriber.c: subscribers, interests, consent log, suppressions -- */

struct subscriber_in {
	const char *phone;        /* E.164 or NULL */
	const char *email;        /* or NULL */
	const char *lang;
	int birth_year;           /* 0 = unknown */
	const char *status;       /* pending or active */
	bool consent[CHANNEL_COUNT]; /* confirmed consent given now */
	const char *source;       /* e.g. "cli:staff", "sms:+4512345678", "api:portal" */
	const char *evidence;     /* text of what they agreed to, may be NULL */
	const char *const *interests; /* NULL-terminated, may be NULL */
	long long now;
};
/* Adds a subscriber with its interests and consent log rows, in one
 * transaction. -1 (logged) when phone or email already exists. */
int db_subscriber_add(struct db *db, const struct subscriber_in *in, long long *id_out);
/* 1 when the subscriber is pending and no address of theirs was ever
 * confirmed (no grant in the consent log), 0 otherwise, -1 error. */
int db_subscriber_never_confirmed(struct db *db, long long id);
/* 0 found, 1 not found, -1 error. Caller releases *out. */
int db_subscriber_get(struct db *db, long long id, struct subscriber *out);
int db_subscriber_each(struct db *db, int (*cb)(const struct subscriber *, void *), void *arg);
/* Appends one consent log row (inside the caller's transaction if any). */
int db_consent_log(struct db *db, long long subscriber_id, long long at, const char *channel,
		   const char *action, const char *source, const char *evidence);
/* A subscriber's consent log, oldest first (strings live until cb returns). */
struct consent_row {
	long long at;
	const char *channel, *action, *source, *evidence;
};
int db_consent_each(struct db *db, long long subscriber_id,
		    int (*cb)(const struct consent_row *, void *), void *arg);
/* True when the address (E.164 or email) is on the suppression list. */
bool db_is_suppressed(struct db *db, const char *address, const char *channel);
/* db_is_suppressed for a batch, read only and in one statement (the dry
 * run's page, the outbox's due email): each q[i].suppressed set, with the
 * suppression's reason (the keyed row's before a pre-key one's). 0, or -1
 * on a database error. */
struct db_suppressed_q {
	const char *address, *channel;
	bool suppressed;		/* out */
	char reason[16];		/* out: "stop", "bounce", "complaint", … */
};
int db_suppressed_batch(struct db *db, struct db_suppressed_q *q, size_t n);
/* Whether the suppression list holds anything: 1, 0, or -1 on error. */
int db_suppressions_any(struct db *db);
int db_suppress(struct db *db, const char *address, const char *channel, const char *reason,
		const char *source, long long now);
int db_unsuppress(struct db *db, const char *address, const char *channel);
/* Sets or clears one channel's consent (time and source with it). */
int db_subscriber_set_consent(struct db *db, long long id, enum channel ch, bool on,
			      const char *source, long long now);
/* Status follows consent: active with any confirmed channel, else
 * unsubscribed (a pending subscriber that never confirmed stays pending). */
int db_subscriber_settle_status(struct db *db, long long id, long long now);
/* Cancels the subscriber's queued campaign messages on `channel` (NULL = all). */
int db_message_cancel_queued_channel(struct db *db, long long subscriber_id, const char *channel,
				     const char *reason, long long now);
/* SHA-256 hex of a normalised address (how suppressions were stored
 * before they were keyed; still read, and rewritten when met). */
void db_address_hash(const char *address, char out[65]);
/* HMAC-SHA256 hex of the address under the database's suppression key
 * (db_set_address_key), as suppressions are stored: pseudonymised, not
 * anonymous — whoever has secret_key can test an address. */
void db_suppression_hash(struct db *db, const char *address, char out[65]);
/* Removes the unkeyed row of address (if any). */
int db_unsuppress_legacy(struct db *db, const char *address, const char *channel);

/* ---- db_campaign.c: campaigns and the expansion stream ------------------ */

/*
 * Creates the automatic campaign for every published opportunity that has
 * none yet (a unique index makes it once, ever). Writes up to max new ids
 * to ids and their number to *n. channels e.g. "sms,email".
 */
int db_campaign_create_auto(struct db *db, const char *channels, long long now,
			    const char *now_iso, long long valid_for, long long *ids,
			    size_t max, size_t *n);
/* How db_campaign_create() recognises a request it has already seen. */
struct campaign_key {
	const char *key;          /* the caller's idempotency key: the same campaign, ever */
	const char *fingerprint;  /* else the request's: the same campaign if one with it */
	long long since;          /* was created at or after `since` (a sliding window) */
};
/* Inserts c (status, filters, texts) in one transaction; *id_out set.
 * Returns 1 (and the existing id) when the key says it exists already. */
int db_campaign_create(struct db *db, const struct campaign *c, const struct campaign_key *key,
		       long long *id_out);
/* 0 found, 1 none, -1 error. Caller releases *out. */
int db_campaign_get(struct db *db, long long id, struct campaign *out);
/* The oldest campaign that is due to expand (scheduled/expanding, send_at <= now). */
int db_campaign_next_due(struct db *db, long long now, struct campaign *out);
/* 0 changed, 1 not (no such campaign, or it is already done, cancelled or
 * expired: a final status is never overwritten), -1 error. */
int db_campaign_set_status(struct db *db, long long id, const char *status, long long now);
/* scheduled/expanding -> expanding while its cursor is still `cursor`;
 * 1 when the campaign is in another state or another daemon expanded the
 * batch meanwhile (each batch is expanded once, by one daemon). */
int db_campaign_claim_expansion(struct db *db, long long id, long long cursor, long long now);
/* pending_approval -> scheduled, recording who approved. */
int db_campaign_approve(struct db *db, long long id, const char *who, long long now);
int db_campaign_set_cursor(struct db *db, long long id, long long cursor, long long now);
/* Marks sending campaigns with nothing left in flight as done. */
int db_campaign_finish(struct db *db, long long now);
int db_campaign_each(struct db *db, int (*cb)(const struct campaign *, void *), void *arg);

/* One row of the expansion stream: an active subscriber with its interests. */
struct expand_row {
	long long id;
	const char *phone, *email, *lang, *interests_csv;
	int birth_year;
	bool consent[CHANNEL_COUNT];
};
/* What the SQL may filter on before the matcher sees a subscriber. */
struct expand_filter {
	bool channels[CHANNEL_COUNT];
	int min_age, max_age;        /* combined bounds; -1 = none */
	int year;                    /* the current year, for ages */
	const char *const *langs;    /* NULL/empty = any */
	const char *const *interests;/* NULL/empty = any; subscribers with none always pass */
};
/* Calls cb for up to limit active subscribers with id > after that pass
 * the filter, by id. */
int db_expand_candidates(struct db *db, long long after, int limit, const struct expand_filter *f,
			 int (*cb)(const struct expand_row *, void *), void *arg);
/* ---- db_expand.c: the expansion fast path -------------------------------- */

/* One language's rendered texts for db_expand_texts_set(). */
struct expand_text {
	const char *lang, *sms, *subject, *email, *coding;
	int segments;
};
/* Stores the campaign's texts (per language) for the following batches. */
int db_expand_texts_set(struct db *db, const struct expand_text *texts, size_t n);

struct expand_batch {
	long long campaign_id;
	long long after;             /* the cursor: subscribers with a larger id */
	int limit;                   /* active subscribers per batch */
	struct expand_filter filter; /* channels, ages, languages, interests */
	const char *fallback_lang;   /* for subscribers whose language has no text */
	int both_policy;             /* enum cfg_both_channels */
	int cap;                     /* frequency cap (0 = off) and its window start */
	long long cap_since;
	long long not_before, expires_at, now;
};
struct expand_batch_result {
	long long cursor;            /* the new cursor */
	long long inserted;          /* messages stored (queued or suppressed) */
	bool done;                   /* no subscribers beyond this batch */
};
/* Makes db a connection that only expands campaigns (the daemon's own):
 * no foreign key checks, which the batch's inserts cannot fail. */
int db_expand_connection(struct db *db);
/* Expands one batch inside the caller's transaction. */
int db_expand_batch(struct db *db, const struct expand_batch *b, struct expand_batch_result *r);

/* Campaign messages (not suppressed/cancelled) to the subscriber since `since`. */
int db_campaign_messages_since(struct db *db, long long subscriber_id, long long since);
/* The same for ids[0..n) in one statement: counts[i] for ids[i]. */
int db_campaign_messages_since_each(struct db *db, const long long *ids, size_t n, long long since,
				    int *counts);

/* ---- db_message.c: messages and their events ----------------------------- */

struct message_in {
	long long campaign_id;     /* 0 = transactional */
	long long subscriber_id;   /* 0 = none */
	const char *kind;          /* campaign, reply, confirm */
	enum channel channel;
	const char *recipient, *lang, *subject, *body;
	const char *state;         /* queued or suppressed */
	const char *reason;        /* for suppressed */
	const char *coding;        /* gsm7/ucs2 for SMS, NULL otherwise */
	int segments;
	long long not_before, expires_at, now;
};
/* Inserts a message and its first event. 0 inserted, 1 it existed already
 * (same campaign, subscriber, channel), -1 error. */
int db_message_insert(struct db *db, const struct message_in *in, long long *id_out);
/* Loads up to max queued messages of `channel` due at `now`, oldest first;
 * campaign messages only when `campaigns` (quiet hours hold them). */
int db_message_due(struct db *db, enum channel channel, long long now, bool campaigns,
		   struct message *out, size_t max, size_t *n);
/*
 * Moves a message from state `from` (NULL = any non-final state) to `to`,
 * recording an event. Only rows still in `from` change, so a late answer
 * never overrides a final state. Returns 0 changed, 1 not changed, -1 error.
 */
struct message_change {
	const char *to;
	const char *provider, *provider_msgid, *reason, *detail;
	bool count_attempt;
	bool uncount_attempt;      /* gives back the claim's attempt: it never left (wire.h) */
	long long not_before;      /* 0 = leave */
	long long now;
	/* Into `sending`: the daemon that holds the claim and until when
	 * (any other state clears both). */
	long long claimed_by, claimed_until;
	/* Into `sent` by an SMS provider: its price per part in thousandths
	 * (cost_milli = segments x price, in the same statement); -1 or 0
	 * with `priced` false leave the cost alone. */
	bool priced;
	long long price_milli;
};
/* Binds a change to ?1..?7 (to, now, provider, provider_msgid, reason,
 * count_attempt, not_before), ?10, ?11 (claimed_by, claimed_until) and
 * ?13 (price_milli when priced): the order of every state-change UPDATE. */
void db_bind_change(struct db_stmt *st, const struct message_change *ch);
int db_message_transition(struct db *db, long long id, const char *from,
			  const struct message_change *ch);
/* After a crash: 'sending' rows held by no daemon in the registry (see
 * db_cluster.h) become 'queued' for idempotent providers (listed,
 * NULL-terminated) and 'unknown' for the rest. Returns count. */
int db_message_recover(struct db *db, const char *const *idempotent_providers, long long now);
/* What the wire journal of the daemon that held a message says (wire.h). */
enum db_recover_verdict {
	DB_RECOVER_UNSURE,    /* may have gone out: the rule above */
	DB_RECOVER_NOT_SENT,  /* never left: `queued`, its attempt given back */
	DB_RECOVER_REFUSED,   /* the provider answered no: `queued`, a normal attempt */
	DB_RECOVER_ACCEPTED,  /* the provider said yes: `sent`, with its id */
};
/* claimed_by 0: held by no daemon. provider_msgid (size n) gets the
 * provider's id for DB_RECOVER_ACCEPTED ("" = none). */
typedef enum db_recover_verdict db_recover_judge(long long claimed_by, long long msg_id,
						 char *provider_msgid, size_t n, void *arg);
/* As db_message_recover(), each message settled by judge's verdict
 * (judge NULL: all unsure). Returns how many moved, -1 on error. *unknown
 * (may be NULL) gets how many of them became `unknown`. */
int db_message_recover_with(struct db *db, const char *const *idempotent_providers,
			    db_recover_judge *judge, void *arg, long long now, int *unknown);
/* Cancels the still-queued messages of a campaign. Returns the count. */
int db_message_cancel_queued(struct db *db, long long campaign_id, const char *reason,
			     long long now);
/* Queued messages past their expiry become `expired` — campaign SMS held by
 * quiet hours (quiet_hours: they are on now) `suppressed`. Returns the count. */
int db_message_expire(struct db *db, long long now, bool quiet_hours);
/* Staff put an `unknown` message back in the queue (one audit row). 0 done,
 * 1 refused with the reason in why (not unknown; a campaign message whose
 * db_message_unwanted() says no longer wanted), -1 error. */
int db_message_resend(struct db *db, long long id, const char *who, long long now,
		      struct sbuf *why);
/* 1 when a campaign message is no longer wanted (its campaign cancelled,
 * its subscriber erased or without consent on the channel, its address
 * suppressed), with the reason; 0 when it is (and for replies and
 * confirmations); -1 error. The one rule for the outbox and for resend. */
int db_message_unwanted(struct db *db, long long id, const char **reason);
/* The `unknown` messages of a campaign, by id (caller frees *ids). */
int db_message_unknown_ids(struct db *db, long long campaign_id, long long **ids, size_t *n);
/* Attempts made so far for a message (0 if there is none), -1 on an error. */
int db_message_attempts(struct db *db, long long id);

/* ---- db_stats.c: figures for /metrics, stats and reports ----------------- */

/* Appends Prometheus text: messages by state and channel, queue depth. */
int db_metrics(struct db *db, struct sbuf *out);

/* One message event with its message, for `budbringer log`. */
struct event_row {
	long long event_id, message_id, campaign_id, subscriber_id, at;
	const char *channel, *recipient, *state, *provider, *provider_msgid, *detail, *lang;
};
struct event_filter {
	long long campaign_id;     /* 0 = any */
	long long subscriber_id;   /* 0 = any */
	const char *state, *channel, *provider;  /* NULL = any */
	long long since;           /* unix time, 0 = any */
	long long until;           /* unix time, 0 = any: only events before it */
	const char *recipient;     /* exact address as stored (E.164, email), NULL = any */
	long long after_event;     /* only events with a larger id (for --follow) */
	long long before_event;    /* only events with a smaller id (keyset paging), 0 = any */
	int limit;                 /* newest `limit` events, printed oldest first; 0 = all */
};
int db_events_each(struct db *db, const struct event_filter *f,
		   int (*cb)(const struct event_row *, void *), void *arg);
/* Message counts by (state, channel) over all messages, or one campaign (id > 0). */
int db_message_counts(struct db *db, long long campaign_id,
		      int (*cb)(const char *state, const char *channel, long long n, void *), void *arg);

#endif
