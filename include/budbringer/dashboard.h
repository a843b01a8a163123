/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_DASHBOARD_H
#define BUDBRINGER_DASHBOARD_H

/*
 * The staff dashboard's pages (dashboard.c), served by http_dashboard.c.
 * Server-rendered HTML in Danish or English, no script, one stylesheet
 * served by the daemon: it works offline and on a phone. Every value
 * from the database is escaped; forms carry the session's CSRF token.
 */

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sbuf.h"

/* "da" or "en": the UI languages. Anything else gives Danish. */
const char *dashboard_lang(const char *lang);

/* The login page; error NULL or "wrong" / "expired" / "locked". */
void dashboard_login_page(struct sbuf *out, const char *lang, const char *csrf,
			  const char *error, const char *user);

/* The main page for `user`. notice is NULL or a short code from an
 * action (approved, cancelled, not_pending, …) with its campaign id. */
int dashboard_main_page(struct sbuf *out, struct db *db, const struct config *cfg,
			const char *user, const char *lang, const char *csrf,
			const char *notice, long long notice_id, long long now);

/* The stylesheet served at /dashboard/static/style.css. */
const char *dashboard_css(void);

#endif
