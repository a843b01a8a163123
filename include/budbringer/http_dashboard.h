/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_HTTP_DASHBOARD_H
#define BUDBRINGER_HTTP_DASHBOARD_H

/*
 * What the dashboard's two HTTP files share: http_dashboard.c (login,
 * sessions, CSRF, the overview, log, message and campaign pages and
 * their actions) and http_dashboard_staff.c (people, report,
 * suppressions, inbound, new campaign). The staff file's handlers run
 * only with a loaded session, and a POST only after its CSRF token was
 * checked: a POST without it never reaches them.
 */

#include <stdbool.h>

#include "budbringer/db_dashboard.h"
#include "budbringer/http.h"

struct dash_session {
	struct dashboard_session s;
	char token_hash[65];
};

/* Status and headers of an HTML page (CSP: nothing from elsewhere). */
void http_dash_html(struct http_response *resp, int status);
void http_dash_redirect(struct http_response *resp, const char *location);
/* A refused request as a page in the staff member's language that names
 * the problem (400 "from: …", 404). */
void http_dash_error(struct http_response *resp, const struct dash_session *se, int status,
		     const char *message);

/* True when sub (the path after /dashboard/) is one of the staff pages. */
bool http_dashboard_staff_route(const char *sub);
/* Serves it; post says whether the CSRF-checked form was posted. */
void http_dashboard_staff(struct http_request *req, struct http_response *resp,
			  struct dash_session *se, const char *sub, bool post, long long now);

#endif
