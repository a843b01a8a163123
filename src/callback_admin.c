/* SPDX-License-Identifier: MIT */
/* Registering status-callback receivers (callback_admin.h). */
#include "budbringer/callback_admin.h"
#include "budbringer/callback_url.h"
#include "budbringer/db_callback.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/log.h"

#include <openssl/crypto.h>
#include <string.h>

int callback_register(struct db *db, const struct config *cfg, long long association_id,
		      const char *url, bool messages, const char *who, long long now,
		      long long *id, char secret[CALLBACK_SECRET_LEN], struct sbuf *why)
{
	char subject[40], detail[CALLBACK_URL_MAX + 32];
	int rc;

	secret[0] = '\0';
	if (association_id > 0) {
		if ((rc = db_callback_association_exists(db, association_id)) < 0)
			return -1;
		if (!rc) {
			sbuf_addf(why, "there is no association %lld", association_id);
			return 1;
		}
	}
	if ((rc = (int)db_callback_count(db, association_id > 0 ? association_id
							      : DB_CALLBACK_PORTAL)) < 0)
		return -1;
	if (rc >= CALLBACK_MAX_RECEIVERS) {
		sbuf_addf(why, "%d receivers are registered already; remove one first",
			  CALLBACK_MAX_RECEIVERS);
		return 1;
	}
	if (callback_url_check(url, cfg->callbacks.allow_http, cfg->callbacks.allow_private, true,
			       why) < 0)
		return 1;
	if (callback_secret_new(secret) < 0)
		return -1;
	if (db_begin(db) < 0)
		goto fail;
	if (db_callback_add(db, association_id, url, secret, messages, who, now, id) < 0 ||
	    bsnprintf(subject, sizeof(subject), "callback:%lld", *id) < 0 ||
	    bsnprintf(detail, sizeof(detail), "%s%s", url, messages ? " (with messages)" : "") < 0 ||
	    db_audit(db, now, who, "callback.add", subject, detail) < 0 || db_commit(db) < 0) {
		db_rollback(db);
		goto fail;
	}
	log_info("callback registered receiver=%lld association=%lld messages=%d by=%s", *id,
		 association_id, messages ? 1 : 0, who);
	return 0;
fail:
	OPENSSL_cleanse(secret, CALLBACK_SECRET_LEN);
	secret[0] = '\0';
	return -1;
}

int callback_rotate_secret(struct db *db, long long id, long long association_id, const char *who,
			   long long now, char secret[CALLBACK_SECRET_LEN], struct sbuf *why)
{
	char subject[40];
	int rc;

	if (callback_secret_new(secret) < 0)
		return -1;
	if (db_begin(db) < 0)
		goto fail;
	rc = db_callback_set_secret(db, id, association_id, secret);
	if (rc == 1) {
		db_rollback(db);
		sbuf_addf(why, "there is no callback %lld", id);
		OPENSSL_cleanse(secret, CALLBACK_SECRET_LEN);
		secret[0] = '\0';
		return 1;
	}
	if (rc < 0 || bsnprintf(subject, sizeof(subject), "callback:%lld", id) < 0 ||
	    db_audit(db, now, who, "callback.rotate_secret", subject, NULL) < 0 || db_commit(db) < 0) {
		db_rollback(db);
		goto fail;
	}
	log_info("callback secret rotated receiver=%lld by=%s", id, who);
	return 0;
fail:
	OPENSSL_cleanse(secret, CALLBACK_SECRET_LEN);
	secret[0] = '\0';
	return -1;
}

int callback_unregister(struct db *db, long long id, long long association_id, const char *who,
			long long now, struct sbuf *why)
{
	char subject[40];
	int rc;

	if (db_begin(db) < 0)
		return -1;
	rc = db_callback_remove(db, id, association_id);
	if (rc == 1) {
		db_rollback(db);
		sbuf_addf(why, "there is no callback %lld", id);
		return 1;
	}
	if (rc < 0 || bsnprintf(subject, sizeof(subject), "callback:%lld", id) < 0 ||
	    db_audit(db, now, who, "callback.remove", subject, NULL) < 0 || db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	log_info("callback removed receiver=%lld by=%s", id, who);
	return 0;
}
