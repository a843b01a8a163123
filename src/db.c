/* SPDX-License-Identifier: MIT */
/*
 * Connection, migrations and the statement cache. Migrations are a list of
 * SQL scripts; PRAGMA user_version says how many have run. Each runs in
 * one transaction, so a crash mid-migration leaves the previous version.
 */
#include "budbringer/db.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Every SQL literal of src/db*.c fits (about 150 in all, fatal() past it). */
#define DB_STMT_CACHE 256

struct db_cached {
	const char *sql; /* the literal's address is the key */
	sqlite3_stmt *st;
};

struct db {
	sqlite3 *h;
	struct db_cached cache[DB_STMT_CACHE];
	size_t n_cached;
	int depth;       /* open db_begin() levels: 1 = BEGIN, more = savepoints */
	/* HMAC key of the suppression list, derived from secret_key. */
	unsigned char address_key[32];
	bool has_address_key;
};

static const char *const migrations[] = {
	/* 1: the portal's tables exactly as the spec has them, then ours. */
	"CREATE TABLE IF NOT EXISTS associations(id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE, contact_email TEXT,"
	" active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS opportunities(id INTEGER PRIMARY KEY,"
	" association_id INTEGER REFERENCES associations,"
	" status TEXT NOT NULL CHECK (status IN ('draft','published','closed')),"
	" min_age INTEGER, max_age INTEGER, location TEXT, url TEXT,"
	" starts_at TEXT, ends_at TEXT, published_at TEXT, updated_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS opportunity_texts(opportunity_id INTEGER REFERENCES opportunities,"
	" lang TEXT NOT NULL, title TEXT NOT NULL, summary TEXT NOT NULL,"
	" PRIMARY KEY (opportunity_id, lang));"
	"CREATE TABLE IF NOT EXISTS opportunity_interests(opportunity_id INTEGER REFERENCES opportunities,"
	" interest TEXT NOT NULL, PRIMARY KEY (opportunity_id, interest));"
	"CREATE INDEX IF NOT EXISTS opportunities_status ON opportunities(status);"

	"CREATE TABLE association_tokens(id INTEGER PRIMARY KEY,"
	" association_id INTEGER NOT NULL REFERENCES associations ON DELETE CASCADE,"
	" token_sha256 TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL, revoked_at INTEGER);"

	"CREATE TABLE subscribers(id INTEGER PRIMARY KEY, phone TEXT UNIQUE, email TEXT UNIQUE,"
	" lang TEXT NOT NULL, birth_year INTEGER,"
	" status TEXT NOT NULL CHECK (status IN ('pending','active','unsubscribed')),"
	" sms_consent INTEGER NOT NULL DEFAULT 0, sms_consent_at INTEGER, sms_consent_source TEXT,"
	" email_consent INTEGER NOT NULL DEFAULT 0, email_consent_at INTEGER, email_consent_source TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" CHECK (phone IS NOT NULL OR email IS NOT NULL));"
	"CREATE INDEX subscribers_status ON subscribers(status, id);"
	"CREATE TABLE subscriber_interests(subscriber_id INTEGER NOT NULL"
	" REFERENCES subscribers ON DELETE CASCADE, interest TEXT NOT NULL,"
	" PRIMARY KEY (subscriber_id, interest)) WITHOUT ROWID;"
	/* Append-only: rows are never changed; GDPR erasure may delete them. */
	"CREATE TABLE consent_log(id INTEGER PRIMARY KEY, subscriber_id INTEGER,"
	" at INTEGER NOT NULL, channel TEXT NOT NULL, action TEXT NOT NULL,"
	" source TEXT NOT NULL, evidence TEXT);"
	"CREATE INDEX consent_log_subscriber ON consent_log(subscriber_id);"
	"CREATE TRIGGER consent_log_append_only BEFORE UPDATE ON consent_log"
	" BEGIN SELECT RAISE(ABORT, 'consent_log is append-only'); END;"
	"CREATE TABLE suppressions(address_sha256 TEXT NOT NULL, channel TEXT NOT NULL,"
	" reason TEXT NOT NULL, source TEXT, created_at INTEGER NOT NULL,"
	" PRIMARY KEY (address_sha256, channel)) WITHOUT ROWID;"

	"CREATE TABLE campaigns(id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK (kind IN ('auto','association','staff')),"
	" opportunity_id INTEGER NOT NULL REFERENCES opportunities,"
	" association_id INTEGER REFERENCES associations,"
	" status TEXT NOT NULL CHECK (status IN ('pending_approval','scheduled','expanding',"
	"  'sending','done','cancelled','expired')),"
	" channels TEXT NOT NULL, min_age INTEGER, max_age INTEGER,"
	" langs TEXT, interests TEXT,"
	" send_at INTEGER NOT NULL, valid_until INTEGER NOT NULL,"
	" idempotency_key TEXT UNIQUE, expand_cursor INTEGER NOT NULL DEFAULT 0,"
	" created_by TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" approved_by TEXT, approved_at INTEGER, cancelled_at INTEGER);"
	/* The automatic campaign of an opportunity exists at most once. */
	"CREATE UNIQUE INDEX campaigns_auto_once ON campaigns(opportunity_id) WHERE kind = 'auto';"
	"CREATE INDEX campaigns_status ON campaigns(status, send_at);"
	"CREATE TABLE campaign_texts(campaign_id INTEGER NOT NULL REFERENCES campaigns ON DELETE CASCADE,"
	" lang TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (campaign_id, lang));"

	"CREATE TABLE messages(id INTEGER PRIMARY KEY,"
	" campaign_id INTEGER REFERENCES campaigns,"
	" subscriber_id INTEGER REFERENCES subscribers ON DELETE SET NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('campaign','reply','confirm')),"
	" channel TEXT NOT NULL CHECK (channel IN ('sms','email')),"
	" recipient TEXT NOT NULL, lang TEXT NOT NULL, subject TEXT, body TEXT,"
	" state TEXT NOT NULL CHECK (state IN ('queued','sending','sent','delivered','failed',"
	"  'expired','unknown','suppressed','cancelled')),"
	" reason TEXT, provider TEXT, provider_msgid TEXT, coding TEXT, segments INTEGER,"
	" attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL, expires_at INTEGER,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	/* Never twice for the same (campaign, subscriber, channel). */
	"CREATE UNIQUE INDEX messages_once ON messages(campaign_id, subscriber_id, channel)"
	" WHERE campaign_id IS NOT NULL;"
	"CREATE INDEX messages_due ON messages(not_before, id) WHERE state = 'queued';"
	"CREATE INDEX messages_subscriber ON messages(subscriber_id, created_at);"
	"CREATE INDEX messages_state ON messages(campaign_id, state);"
	"CREATE INDEX messages_provider_msgid ON messages(provider_msgid) WHERE provider_msgid IS NOT NULL;"
	"CREATE TABLE message_events(id INTEGER PRIMARY KEY,"
	" message_id INTEGER NOT NULL REFERENCES messages ON DELETE CASCADE,"
	" at INTEGER NOT NULL, state TEXT NOT NULL, provider TEXT, provider_msgid TEXT, detail TEXT);"
	"CREATE INDEX message_events_message ON message_events(message_id);"

	"CREATE TABLE inbound(id INTEGER PRIMARY KEY, gateway_id TEXT UNIQUE,"
	" sender TEXT NOT NULL, receiver TEXT, text TEXT, received_at INTEGER NOT NULL,"
	" intent TEXT, subscriber_id INTEGER REFERENCES subscribers ON DELETE SET NULL,"
	" reply_message_id INTEGER);"
	"CREATE INDEX inbound_sender ON inbound(sender, received_at);"
	"CREATE TABLE audit_log(id INTEGER PRIMARY KEY, at INTEGER NOT NULL,"
	" actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT, detail TEXT);",

	/* 2: staff — indexes for the delivery log and figures, retention,
	 * GDPR erasure that keeps anonymised counts, dashboard sessions. */
	"CREATE INDEX message_events_state ON message_events(state, id);"
	"CREATE INDEX message_events_at ON message_events(at);"
	"CREATE INDEX messages_created ON messages(created_at);"
	/* Partial: shrinks as retention purges, so the hourly purge stays cheap. */
	"CREATE INDEX messages_body_created ON messages(created_at) WHERE body IS NOT NULL;"
	"CREATE INDEX inbound_received ON inbound(received_at);"
	"CREATE INDEX inbound_text_received ON inbound(received_at) WHERE text IS NOT NULL;"
	"CREATE INDEX inbound_subscriber ON inbound(subscriber_id);"
	/* Replies to numbers that are not subscribers, for export and erasure. */
	"CREATE INDEX messages_unattributed ON messages(recipient) WHERE subscriber_id IS NULL;"
	"CREATE INDEX audit_log_at ON audit_log(at);"
	/* An erased person leaves one row without identity: when they joined
	 * and left, their language and age band, for the evaluation figures. */
	"CREATE TABLE erased_subscribers(id INTEGER PRIMARY KEY, erased_at INTEGER NOT NULL,"
	" joined_at INTEGER, left_at INTEGER, lang TEXT, age_band TEXT NOT NULL,"
	" sms INTEGER NOT NULL DEFAULT 0, email INTEGER NOT NULL DEFAULT 0);"
	"ALTER TABLE messages ADD COLUMN erased_id INTEGER REFERENCES erased_subscribers;"
	"CREATE INDEX messages_erased ON messages(erased_id) WHERE erased_id IS NOT NULL;"
	"CREATE TABLE dashboard_sessions(token_sha256 TEXT PRIMARY KEY, user TEXT NOT NULL,"
	" csrf TEXT NOT NULL, lang TEXT NOT NULL, created_at INTEGER NOT NULL,"
	" expires_at INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE housekeeping(task TEXT PRIMARY KEY, last_run INTEGER NOT NULL) WITHOUT ROWID;",

	/* 3: inbound — which reply an inbound message got (help replies are
	 * limited per number and hour). */
	"ALTER TABLE inbound ADD COLUMN reply TEXT;",

	/* 4: outbox — due messages per channel, and replies apart, so quiet
	 * hours holding 300,000 campaign SMS do not make every loop turn scan
	 * them to find one reply. */
	"DROP INDEX messages_due;"
	"CREATE INDEX messages_due ON messages(channel, not_before, id) WHERE state = 'queued';"
	"CREATE INDEX messages_due_reply ON messages(channel, not_before, id)"
	" WHERE state = 'queued' AND kind <> 'campaign';",

	/* 5: a subscriber id is never given twice (AUTOINCREMENT: links and
	 * audit rows of an erased person must not point at the next one), and
	 * no one holds an address nobody confirmed next to a confirmed one. */
	"CREATE TABLE subscribers_v5(id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" phone TEXT UNIQUE, email TEXT UNIQUE, lang TEXT NOT NULL, birth_year INTEGER,"
	" status TEXT NOT NULL CHECK (status IN ('pending','active','unsubscribed')),"
	" sms_consent INTEGER NOT NULL DEFAULT 0, sms_consent_at INTEGER, sms_consent_source TEXT,"
	" email_consent INTEGER NOT NULL DEFAULT 0, email_consent_at INTEGER, email_consent_source TEXT,"
	" created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	" CHECK (phone IS NOT NULL OR email IS NOT NULL));"
	"INSERT INTO subscribers_v5 SELECT * FROM subscribers;"
	"DROP TABLE subscribers;"
	"ALTER TABLE subscribers_v5 RENAME TO subscribers;"
	"CREATE INDEX subscribers_status ON subscribers(status, id);"
	/* Start above every id ever handed out, erased ones included: they
	 * survive in the consent log, inbound rows and the audit log. */
	"DELETE FROM sqlite_sequence WHERE name = 'subscribers';"
	"INSERT INTO sqlite_sequence(name, seq) SELECT 'subscribers', max(coalesce(max(n), 0), 0) FROM ("
	" SELECT max(id) AS n FROM subscribers UNION ALL SELECT max(subscriber_id) FROM consent_log"
	" UNION ALL SELECT max(subscriber_id) FROM inbound UNION ALL SELECT max(subscriber_id) FROM messages"
	" UNION ALL SELECT max(CAST(substr(subject, 12) AS INTEGER)) FROM audit_log"
	"  WHERE subject LIKE 'subscriber:%');"
	/* An address is the person's when it was confirmed from itself once
	 * (consent now, a grant in the log, or the number texted us). One
	 * that was not is moved to its own pending subscriber: beside a
	 * confirmed address it may be a stranger's; beside another unconfirmed
	 * one (a form filled in for two addresses) it waits for its own
	 * confirmation. Its outstanding confirmation is withdrawn. */
	"CREATE TEMP TABLE v5_verified AS SELECT id, phone, email, lang, birth_year, created_at,"
	" (sms_consent = 1 OR EXISTS (SELECT 1 FROM consent_log c WHERE c.subscriber_id = s.id"
	"  AND c.channel = 'sms' AND c.action = 'grant')"
	"  OR EXISTS (SELECT 1 FROM inbound i WHERE i.subscriber_id = s.id)) AS sms_ok,"
	" (email_consent = 1 OR EXISTS (SELECT 1 FROM consent_log c WHERE c.subscriber_id = s.id"
	"  AND c.channel = 'email' AND c.action = 'grant')) AS email_ok"
	" FROM subscribers s WHERE phone IS NOT NULL AND email IS NOT NULL;"
	"CREATE TEMP TABLE v5_split AS SELECT id AS old_id,"
	" CASE WHEN email_ok THEN 'sms' ELSE 'email' END AS channel,"
	" CASE WHEN email_ok THEN phone ELSE email END AS address,"
	" lang, birth_year, created_at, (sms_ok OR email_ok) AS beside_confirmed"
	" FROM v5_verified WHERE NOT (sms_ok AND email_ok) ORDER BY id;"
	"UPDATE subscribers SET email = NULL, email_consent = 0, email_consent_at = NULL,"
	" email_consent_source = NULL, updated_at = strftime('%s', 'now')"
	" WHERE id IN (SELECT old_id FROM v5_split WHERE channel = 'email');"
	"UPDATE subscribers SET phone = NULL, sms_consent = 0, sms_consent_at = NULL,"
	" sms_consent_source = NULL, updated_at = strftime('%s', 'now')"
	" WHERE id IN (SELECT old_id FROM v5_split WHERE channel = 'sms');"
	/* Beside a confirmed address the profile is that person's: the new
	 * record gets only the language. */
	"INSERT INTO subscribers(phone, email, lang, birth_year, status, created_at, updated_at)"
	" SELECT CASE WHEN channel = 'sms' THEN address END, CASE WHEN channel = 'email' THEN address END,"
	" lang, CASE WHEN beside_confirmed THEN NULL ELSE birth_year END, 'pending', created_at,"
	" strftime('%s', 'now') FROM v5_split ORDER BY old_id;"
	"CREATE TEMP TABLE v5_moved AS SELECT p.*, n.id AS new_id FROM v5_split p JOIN subscribers n"
	" ON (p.channel = 'sms' AND n.phone = p.address) OR (p.channel = 'email' AND n.email = p.address);"
	"INSERT INTO subscriber_interests(subscriber_id, interest) SELECT m.new_id, i.interest"
	" FROM v5_moved m JOIN subscriber_interests i ON i.subscriber_id = m.old_id"
	" WHERE NOT m.beside_confirmed;"
	"INSERT INTO consent_log(subscriber_id, at, channel, action, source, evidence)"
	" SELECT new_id, strftime('%s', 'now'), channel, 'request', 'migration:5',"
	" 'unconfirmed address kept apart from subscriber ' || old_id || ' until it is confirmed'"
	" FROM v5_moved ORDER BY new_id;"
	"UPDATE messages SET state = 'cancelled', updated_at = strftime('%s', 'now'),"
	" reason = 'confirmation withdrawn: the address now waits as its own sign-up'"
	" WHERE kind = 'confirm' AND state = 'queued' AND EXISTS (SELECT 1 FROM v5_moved m"
	" WHERE m.old_id = messages.subscriber_id AND m.channel = messages.channel);"
	"UPDATE subscribers SET status = CASE WHEN (sms_consent = 1 AND phone IS NOT NULL)"
	" OR (email_consent = 1 AND email IS NOT NULL) THEN 'active' ELSE status END"
	" WHERE id IN (SELECT old_id FROM v5_split);"
	"DROP TABLE v5_moved; DROP TABLE v5_split; DROP TABLE v5_verified;",

	/* 6: which key the suppression list is keyed with (a digest of it, not
	 * the key), so a changed secret_key is refused instead of silently
	 * letting every suppression stop matching. */
	"CREATE TABLE key_checks(name TEXT PRIMARY KEY, digest TEXT NOT NULL) WITHOUT ROWID;",
};

#define N_MIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

sqlite3 *db_handle(struct db *db)
{
	return db->h;
}

static int exec_sql(struct db *db, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
		error("sql: %s", msg ? msg : sqlite3_errmsg(db->h));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int db_schema_version(struct db *db)
{
	sqlite3_stmt *st = db_prepare(db, "PRAGMA user_version");
	int v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	if (st)
		sqlite3_reset(st);
	return v;
}

/* 0 when no row breaks a foreign key, else -1 naming the first table. */
static int foreign_keys_hold(struct db *db)
{
	sqlite3_stmt *st;
	int rc, ret = 0;

	if (sqlite3_prepare_v2(db->h, "PRAGMA foreign_key_check", -1, &st, NULL) != SQLITE_OK)
		return error("sql: %s", sqlite3_errmsg(db->h));
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ret = error("a row of table '%s' breaks a foreign key", sqlite3_column_text(st, 0));
	else if (rc != SQLITE_DONE)
		ret = error("sql: %s", sqlite3_errmsg(db->h));
	sqlite3_finalize(st);
	return ret;
}

static int migrate(struct db *db)
{
	int v = db_schema_version(db);

	if (v < 0)
		return -1;
	if (v > N_MIGRATIONS)
		return error("database schema version %d is newer than this build knows (%d)",
			     v, N_MIGRATIONS);
	if (v == N_MIGRATIONS)
		return 0;
	/* Off while tables are rebuilt (SQLite's documented procedure: a DROP
	 * would otherwise cascade), checked before each commit instead. */
	if (exec_sql(db, "PRAGMA foreign_keys = OFF") < 0)
		return -1;
	for (; v < N_MIGRATIONS; v++) {
		char pragma[64];
		if (db_begin(db) < 0)
			goto fail;
		if (bsnprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1) < 0 ||
		    exec_sql(db, migrations[v]) < 0 || foreign_keys_hold(db) < 0 ||
		    exec_sql(db, pragma) < 0) {
			db_rollback(db);
			error("migration to schema version %d failed", v + 1);
			goto fail;
		}
		if (db_commit(db) < 0)
			goto fail;
		log_info("database migrated to schema version %d", v + 1);
	}
	return exec_sql(db, "PRAGMA foreign_keys = ON");
fail:
	exec_sql(db, "PRAGMA foreign_keys = ON");
	return -1;
}

static void configure_sqlite(void)
{
	/* Before the library initialises: no global allocation statistics
	 * (a mutex around every malloc), as recommended for performance. */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * SQLite's own busy handler sleeps 1, 2, 5, 10 … 100 ms between tries, so
 * a writer that finds the lock held for 100 µs may wait 10 ms or more:
 * that, not the work, made the latency of concurrent HTTP writers. Short
 * sleeps growing to 2 ms keep a waiter close behind the transaction it
 * waits for; it gives up after about 15 s like busy_timeout did.
 */
static int busy_wait(void *arg, int n)
{
	struct timespec ts = { 0, 0 };
	long us = n < 12 ? 25L << (n / 2) : 2000;

	(void)arg;
	if (n > 7500)
		return 0;
	ts.tv_nsec = us * 1000;
	nanosleep(&ts, NULL);
	return 1;
}

struct db *db_open(const char *path)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct db *db;
	bool created;
	int rc;

	pthread_once(&once, configure_sqlite);
	db = xcalloc(1, sizeof(*db));
	created = access(path, F_OK) != 0;
	rc = sqlite3_open_v2(path, &db->h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		error("cannot open database '%s': %s", path,
		      db->h ? sqlite3_errmsg(db->h) : sqlite3_errstr(rc));
		goto fail;
	}
	/* It holds phone numbers and addresses: only our user reads it. The
	 * -wal and -shm files take the main file's mode when SQLite makes them. */
	if (created && access(path, F_OK) == 0 && chmod(path, 0600) < 0) {
		error("cannot make database '%s' private (mode 0600): %s", path, strerror(errno));
		goto fail;
	}
	sqlite3_busy_handler(db->h, busy_wait, NULL);
	sqlite3_extended_result_codes(db->h, 1);
	if (exec_sql(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
		     " PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
		     /* Deleted rows are overwritten, not left in free pages. */
		     " PRAGMA secure_delete = ON;") < 0)
		goto fail;
	if (migrate(db) < 0)
		goto fail;
	return db;
fail:
	db_close(db);
	return NULL;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_cached; i++)
		sqlite3_finalize(db->cache[i].st);
	sqlite3_close(db->h);
	free(db);
}

sqlite3_stmt *db_prepare(struct db *db, const char *sql)
{
	sqlite3_stmt *st;

	for (size_t i = 0; i < db->n_cached; i++) {
		if (db->cache[i].sql == sql) {
			st = db->cache[i].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
	}
	if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
		error("sql prepare: %s", sqlite3_errmsg(db->h));
		return NULL;
	}
	if (db->n_cached == DB_STMT_CACHE)
		fatal("statement cache full: raise DB_STMT_CACHE");
	db->cache[db->n_cached].sql = sql;
	db->cache[db->n_cached].st = st;
	db->n_cached++;
	return st;
}

int db_exec_stmt(struct db *db, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return error("sql: %s", sqlite3_errmsg(db->h));
	return 0;
}

/*
 * Transactions nest: db_begin() inside an open transaction is a savepoint,
 * and the matching db_commit()/db_rollback() release it or undo it alone.
 * Only the outermost level commits. So a unit of work that is one
 * transaction on its own (subscription_confirm()) can also run inside a
 * larger one (the HTTP listener's group commit) unchanged. When SQLite
 * ended the transaction itself (an I/O error), the levels are forgotten.
 */
static void sync_depth(struct db *db)
{
	if (db->depth && sqlite3_get_autocommit(db->h))
		db->depth = 0;
}

int db_begin(struct db *db)
{
	static const char begin[] = "BEGIN IMMEDIATE";
	static const char savepoint[] = "SAVEPOINT nest";
	sqlite3_stmt *st;

	sync_depth(db);
	st = db_prepare(db, db->depth ? savepoint : begin);
	if (!st || db_exec_stmt(db, st) < 0)
		return -1;
	db->depth++;
	return 0;
}

int db_commit(struct db *db)
{
	static const char commit[] = "COMMIT";
	static const char release[] = "RELEASE nest";
	sqlite3_stmt *st;

	sync_depth(db);
	st = db_prepare(db, db->depth > 1 ? release : commit);
	if (!st || db_exec_stmt(db, st) < 0) {
		/* A failed COMMIT can leave the transaction open (busy, disk
		 * full): end it here, so that no caller leaves the connection
		 * holding the write lock. Its work is lost, as -1 says. */
		if (db->depth <= 1)
			db_rollback(db);
		return -1;
	}
	if (db->depth)
		db->depth--;
	return 0;
}

bool db_in_transaction(const struct db *db)
{
	return !sqlite3_get_autocommit(db->h);
}

int db_rollback(struct db *db)
{
	static const char rollback[] = "ROLLBACK";
	static const char undo[] = "ROLLBACK TO nest";
	static const char release[] = "RELEASE nest";
	sqlite3_stmt *st;

	sync_depth(db);
	if (sqlite3_get_autocommit(db->h))
		return 0;
	if (db->depth > 1) {
		db->depth--;
		st = db_prepare(db, undo);
		if (!st || db_exec_stmt(db, st) < 0)
			return -1;
		st = db_prepare(db, release);
		return st ? db_exec_stmt(db, st) : -1;
	}
	db->depth = 0;
	st = db_prepare(db, rollback);
	return st ? db_exec_stmt(db, st) : -1;
}

char *db_json_array(const char *const *v)
{
	json_t *a;
	char *out;

	if (!v || !v[0])
		return NULL;
	a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	out = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return out;
}

int db_set_address_key(struct db *db, const char *secret_key)
{
	static const char label[] = "budbringer suppression v1";
	static const char get[] = "SELECT digest FROM key_checks WHERE name = 'suppression'";
	static const char put[] =
		"INSERT INTO key_checks(name, digest) VALUES ('suppression', ?) ON CONFLICT DO NOTHING";
	unsigned char check[32];
	unsigned int len = 0;
	char hex[65], *stored = NULL;
	sqlite3_stmt *st;
	int ret = -1;

	if (!HMAC(EVP_sha256(), secret_key, (int)strlen(secret_key), (const unsigned char *)label,
		  sizeof(label) - 1, db->address_key, &len) || len != 32 ||
	    !HMAC(EVP_sha256(), db->address_key, 32, (const unsigned char *)"check", 5, check, &len))
		return error("cannot derive the suppression key");
	for (unsigned i = 0; i < 32; i++)
		(void)bsnprintf(hex + 2 * i, 3, "%02x", check[i]);
	if (!(st = db_prepare(db, put)))
		return -1;
	db_bind_text(st, 1, hex);
	if (db_exec_stmt(db, st) < 0 || !(st = db_prepare(db, get)))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		stored = db_column_strdup(st, 0);
	sqlite3_reset(st);
	if (!stored)
		return error("cannot read the suppression key's check");
	if (strcmp(stored, hex))
		error("secret_key is not the one this database's suppression list is keyed with: with it"
		      " no STOP, unsubscribe or erasure recorded so far would be honoured; put the old"
		      " secret_key back");
	else
		ret = 0, db->has_address_key = true;
	free(stored);
	return ret;
}

const unsigned char *db_address_key(const struct db *db)
{
	return db->has_address_key ? db->address_key : NULL;
}

int db_checkpoint(struct db *db)
{
	int log = -1, done = -1;
	int rc = sqlite3_wal_checkpoint_v2(db->h, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);

	if (rc == SQLITE_OK)
		return 0;
	if (rc == SQLITE_BUSY)
		return 1;
	return error("WAL checkpoint: %s", sqlite3_errmsg(db->h));
}

void db_shrink(struct db *db)
{
	sqlite3_db_release_memory(db->h);
}

long long db_last_id(struct db *db)
{
	return (long long)sqlite3_last_insert_rowid(db->h);
}

int db_changes(struct db *db)
{
	return sqlite3_changes(db->h);
}

int db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

char *db_column_strdup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	return t ? xstrdup((const char *)t) : NULL;
}
