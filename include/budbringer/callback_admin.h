/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CALLBACK_ADMIN_H
#define BUDBRINGER_CALLBACK_ADMIN_H

/*
 * Registering status-callback receivers (src/callback_admin.c): the one
 * path for `budbringer callback …` and /api/v1/callbacks. The URL is
 * checked by callback_url_check() with a DNS lookup (this blocks for as
 * long as the resolver takes), the secret comes from getrandom, and each
 * change is one audit row. The secret is handed to the caller once and
 * never logged.
 */

#include <stdbool.h>

#include "budbringer/callback.h"
#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sbuf.h"

/* Receivers one association (or the portal) may have: each event is sent
 * to each of them. */
#define CALLBACK_MAX_RECEIVERS 10

/* Results: 0 done, 1 refused with the reason in why (a bad URL, no such
 * association or receiver, too many receivers), -1 error (logged). */

/* association_id 0: for every campaign (the portal, staff). */
int callback_register(struct db *db, const struct config *cfg, long long association_id,
		      const char *url, bool messages, const char *who, long long now,
		      long long *id, char secret[CALLBACK_SECRET_LEN], struct sbuf *why);
/* association_id: whose receiver it must be (DB_CALLBACK_ANY, _PORTAL or an id). */
int callback_rotate_secret(struct db *db, long long id, long long association_id, const char *who,
			   long long now, char secret[CALLBACK_SECRET_LEN], struct sbuf *why);
int callback_unregister(struct db *db, long long id, long long association_id, const char *who,
			long long now, struct sbuf *why);

#endif
