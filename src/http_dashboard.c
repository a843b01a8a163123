/* SPDX-License-Identifier: MIT */
/*
 * DESIGN: the staff dashboard over HTTP.
 *
 *   GET  /dashboard                 the overview (or 303 to the login)
 *   GET  /dashboard/login           login form; POST checks the password
 *   GET  /dashboard/log             the delivery log (filters as `budbringer log`);
 *                                   POST unmasks one message's recipient
 *   GET  /dashboard/messages/ID     one message and its events; POST unmasks
 *   GET  /dashboard/campaigns/ID    one campaign: funnels, failures, rate, texts
 *   POST /dashboard/logout | approve | cancel | resend | lang
 *   GET  /dashboard/static/style.css
 *
 * Passwords are checked with crypt(3) against the hashes in the config's
 * staff list; an unknown user costs the same hash as a known one. A login
 * makes a random session token: the browser gets it as an HttpOnly,
 * SameSite=Strict cookie scoped to /dashboard, the database only its
 * SHA-256. Each session has its own CSRF token, required on every form;
 * the login form itself uses a double-submit cookie. Actions are written
 * to the audit log with the staff member's name, and so are wrong
 * passwords. Wrong passwords are counted per client address, never per
 * user (so an unknown and a known name are answered alike, and nobody can
 * lock a colleague out): after LOGIN_FREE_FAILURES within LOGIN_WINDOW an
 * address must wait, 2, 4, 8 … s (at most LOGIN_WINDOW) after its last
 * failure, and it is told how long (429, Retry-After). Over all addresses,
 * more than LOGIN_GLOBAL_FAILURES a minute make every address that failed
 * already wait a minute (an address with no failure is never held).
 * At most half the listener threads hash a password at once; a login beyond that
 * is answered 503 at once instead of holding a listener thread.
 */
#include "budbringer/campaign.h"
#include "budbringer/dashboard.h"
#include "budbringer/db_dashboard.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/event_query.h"
#include "budbringer/html.h"
#include "budbringer/http.h"
#include "budbringer/http_dashboard.h"
#include "budbringer/log.h"
#include "budbringer/token.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SESSION_SECONDS (8 * 3600)
#define LOGIN_FREE_FAILURES 5
#define LOGIN_WINDOW (15 * 60)
#define LOGIN_GLOBAL_FAILURES 120
/* Password hashes at once: half the listener threads, so the other half
 * always serves the webhooks. */
#define LOGIN_HASHES(cfg) ((cfg)->http.threads > 1 ? (cfg)->http.threads / 2 : 1)
#define TOKEN_LEN 44     /* 43 characters, 258 bits */

/* Verified when the user is unknown, so both cases take as long. */
static const char dummy_hash[] = "$y$j9T$YMjNxjfx7dMLXnveJ6pyg0$VeAISZnZTBUfOYY/aouxrdPVG3GhclmDuns7lUPKQH2";

void http_dashboard(struct http_request *req, struct http_response *resp);
/* A refused request as a page in the staff member's language. */
void http_dashboard_sub(struct http_request *req, struct http_response *resp);


/* The value of cookie `name` from the Cookie header into out. */
static bool cookie_get(struct http_request *req, const char *name, char *out, size_t n)
{
	const char *h = http_header(req, "Cookie");
	size_t len = strlen(name);

	while (h && *h) {
		h += strspn(h, " ;");
		if (!strncmp(h, name, len) && h[len] == '=') {
			const char *v = h + len + 1;
			size_t vlen = strcspn(v, ";");
			if (vlen == 0 || vlen >= n)
				return false;
			memcpy(out, v, vlen);
			out[vlen] = '\0';
			return true;
		}
		h = strchr(h, ';');
	}
	return false;
}

static bool load_session(struct http_request *req, long long now, struct dash_session *out)
{
	char token[TOKEN_LEN + 4];
	if (!cookie_get(req, "bb_session", token, sizeof(token)) ||
	    token_hash_secret(token, out->token_hash) < 0)
		return false;
	if (db_dashboard_session_get(req->db, out->token_hash, now, &out->s) != 0)
		return false;
	/* Removed from staff (and the config reloaded): the session ends now. */
	if (!cfg_staff_find(req->cfg, out->s.user)) {
		log_info("dashboard session ended: user='%s' is no longer in staff", out->s.user);
		db_dashboard_session_delete(req->db, out->token_hash);
		return false;
	}
	return true;
}

/* Seconds this address must still wait before its next login, 0 none,
 * -1 error. */
static long long login_wait(struct http_request *req, const char *subject, long long now)
{
	long long n, last, delay, all;

	all = db_audit_count(req->db, "dashboard.login_failed", NULL, now - 60);
	n = db_audit_last(req->db, "dashboard.login_failed", subject, now - LOGIN_WINDOW, &last);
	if (n < 0 || all < 0)
		return -1;
	/* A flood from many addresses: those that failed already wait; an
	 * address trying for the first time (a colleague at work) does not. */
	if (all > LOGIN_GLOBAL_FAILURES && n > 0)
		return 60;
	if (n < LOGIN_FREE_FAILURES)
		return 0;
	delay = n - LOGIN_FREE_FAILURES < 9 ? 2LL << (n - LOGIN_FREE_FAILURES) : LOGIN_WINDOW;
	if (delay > LOGIN_WINDOW)
		delay = LOGIN_WINDOW;
	return last + delay > now ? last + delay - now : 0;
}

static bool is_https(const struct config *cfg)
{
	return cfg->http.public_url && !strncmp(cfg->http.public_url, "https://", 8);
}

static void set_cookie(struct http_request *req, struct http_response *resp, const char *name,
		       const char *value, int max_age)
{
	char buf[256];
	if (bsnprintf(buf, sizeof(buf), "%s=%s; Path=/dashboard; Max-Age=%d; HttpOnly; "
		      "SameSite=Strict%s", name, value, max_age,
		      is_https(req->cfg) ? "; Secure" : "") == 0)
		http_add_header(resp, "Set-Cookie", buf);
}

void http_dash_html(struct http_response *resp, int status)
{
	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	http_add_header(resp, "Content-Security-Policy",
			"default-src 'none'; style-src 'self'; img-src 'self' data:; "
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

void http_dash_redirect(struct http_response *resp, const char *location)
{
	resp->status = 303;
	resp->content_type = "text/plain; charset=utf-8";
	http_add_header(resp, "Location", location);
	sbuf_addf(&resp->body, "see %s\n", location);
}

static void login_page(struct http_request *req, struct http_response *resp, int status,
		       const char *error, const char *user)
{
	char csrf[TOKEN_LEN];
	const char *lang = http_query(req, "lang");

	if (!lang) {
		const char *al = http_header(req, "Accept-Language");
		lang = al && !strncmp(al, "en", 2) ? "en" : "da";
	}
	if (token_random(csrf, sizeof(csrf)) < 0) {
		http_json_error(resp, 500, "no randomness");
		return;
	}
	http_dash_html(resp, status);
	set_cookie(req, resp, "bb_login", csrf, 3600);
	dashboard_login_page(&resp->body, dashboard_lang(lang), csrf, error, user);
}

/* A printable user name for the log, or "(invalid)". */
static const char *loggable(const char *user)
{
	if (!user || !*user || strlen(user) > 63)
		return "(invalid)";
	for (const char *p = user; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '\'' || (unsigned char)*p >= 0x7f)
			return "(invalid)";
	return user;
}

static bool password_ok(const struct cfg_staff *st, const char *password)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *hash = st ? st->password_hash : dummy_hash;
	const char *got = crypt_r(password ? password : "", hash, data);
	bool ok = st && password && got && got[0] != '*' && token_equal(got, hash);
	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}

static void do_login(struct http_request *req, struct http_response *resp, long long now)
{
	const char *user = http_query(req, "user"), *password = http_query(req, "password");
	const char *form_csrf = http_query(req, "csrf");
	const struct cfg_staff *st = cfg_staff_find(req->cfg, user);
	char cookie_csrf[TOKEN_LEN + 4], token[TOKEN_LEN], hash[65], csrf[TOKEN_LEN], subject[80];
	long long wait;
	bool ok;

	if (!cookie_get(req, "bb_login", cookie_csrf, sizeof(cookie_csrf)) ||
	    !token_equal(cookie_csrf, form_csrf)) {
		login_page(req, resp, 403, "expired", user);
		return;
	}
	if (bsnprintf(subject, sizeof(subject), "remote:%s", req->remote) < 0 ||
	    (wait = login_wait(req, subject, now)) < 0) {
		http_json_error(resp, 500, "cannot check the login now");
		return;
	}
	if (wait > 0) {
		char secs[24];
		(void)bsnprintf(secs, sizeof(secs), "%lld", wait);
		http_add_header(resp, "Retry-After", secs);
		http_count(req->server, "budbringer_dashboard_login_throttled_total", 1);
		login_page(req, resp, 429, "locked", user);
		return;
	}
	if (!http_hash_slot_take(req->server, LOGIN_HASHES(req->cfg))) {
		http_add_header(resp, "Retry-After", "1");
		http_count(req->server, "budbringer_dashboard_login_busy_total", 1);
		login_page(req, resp, 503, "locked", user);
		return;
	}
	ok = password_ok(st, password);
	http_hash_slot_give(req->server);
	if (!ok) {
		log_warn("dashboard login failed user='%s' from=%s", loggable(user), req->remote);
		http_count(req->server, "budbringer_dashboard_login_failures_total", 1);
		db_audit(req->db, now, "-", "dashboard.login_failed", subject, st ? st->user : NULL);
		login_page(req, resp, 401, "wrong", user);
		return;
	}
	if (token_random(token, sizeof(token)) < 0 || token_random(csrf, sizeof(csrf)) < 0 ||
	    token_hash_secret(token, hash) < 0 ||
	    db_dashboard_session_add(req->db, hash, st->user, csrf, st->lang, now,
				     now + SESSION_SECONDS) < 0) {
		http_json_error(resp, 500, "cannot start a session");
		return;
	}
	db_audit(req->db, now, st->user, "dashboard.login", NULL, req->remote);
	log_info("dashboard login user='%s' from=%s", st->user, req->remote);
	set_cookie(req, resp, "bb_session", token, SESSION_SECONDS);
	set_cookie(req, resp, "bb_login", "", 0);
	http_dash_redirect(resp, "/dashboard");
}

/* Where an action's answer goes: the campaign's page when the form was
 * there (back=campaign), else the overview. */
static int action_location(struct http_request *req, const char *done, long long id, char *loc,
			   size_t n)
{
	const char *back = http_query(req, "back");

	if (back && !strcmp(back, "campaign"))
		return bsnprintf(loc, n, "/dashboard/campaigns/%lld?done=%s", id, done);
	return bsnprintf(loc, n, "/dashboard?done=%s&id=%lld", done, id);
}

static void do_action(struct http_request *req, struct http_response *resp, struct dash_session *se,
		      const char *action, long long now)
{
	const char *id_s = http_query(req, "id");
	char *end = NULL, loc[96], subject[40], who[80];
	long long id = id_s ? strtoll(id_s, &end, 10) : 0;
	const char *done;
	int rc;

	if (!id_s || !*id_s || *end || id <= 0) {
		http_json_error(resp, 400, "id must be a campaign id");
		return;
	}
	if (bsnprintf(who, sizeof(who), "dashboard:%s", se->s.user) < 0 ||
	    bsnprintf(subject, sizeof(subject), "campaign:%lld", id) < 0)
		return;
	if (!strcmp(action, "resend")) {
		int refused;

		rc = campaign_resend_unknown(req->db, id, se->s.user, now, NULL, NULL, &refused);
		if (rc > 0)
			http_request_wake(req);
		done = rc > 0 ? "resent" : "none_resent";
		if (rc >= 0 && action_location(req, done, id, loc, sizeof(loc)) == 0)
			http_dash_redirect(resp, loc);
		else
			http_json_error(resp, 500, "cannot resend the messages of campaign %lld", id);
		return;
	}
	if (!strcmp(action, "approve")) {
		rc = campaign_approve(req->db, id, who, now);
		done = rc == 0 ? "approved" : "not_pending";
	} else {
		rc = campaign_cancel(req->db, id, now);
		done = rc == 0 ? "cancelled" : "not_cancellable";
	}
	if (rc < 0) {
		http_json_error(resp, 500, "cannot %s campaign %lld", action, id);
		return;
	}
	if (rc == 0) {
		db_audit(req->db, now, se->s.user, !strcmp(action, "approve") ? "campaign.approve"
			 : "campaign.cancel", subject, "dashboard");
		log_info("dashboard %s campaign=%lld user='%s'", action, id, se->s.user);
		http_request_wake(req);
	}
	if (action_location(req, done, id, loc, sizeof(loc)) == 0)
		http_dash_redirect(resp, loc);
}

void http_dashboard(struct http_request *req, struct http_response *resp)
{
	struct dash_session se;
	long long now = (long long)time(NULL), notice_id = 0;
	const char *done = http_query(req, "done"), *id = http_query(req, "id");

	if (!load_session(req, now, &se)) {
		http_dash_redirect(resp, "/dashboard/login");
		return;
	}
	if (id)
		notice_id = strtoll(id, NULL, 10);
	http_dash_html(resp, 200);
	if (dashboard_main_page(&resp->body, req->db, req->cfg, se.s.user, se.s.lang, se.s.csrf,
				done, notice_id, now) < 0)
		http_json_error(resp, 500, "cannot read the database");
}

void http_dash_error(struct http_response *resp, const struct dash_session *se, int status,
		     const char *message)
{
	const char *lang = dashboard_lang(se->s.lang);
	const char *title = status == 404 ? (!strcmp(lang, "en") ? "Not found" : "Findes ikke")
			  : (!strcmp(lang, "en") ? "Bad request" : "Forkert foresp\xc3\xb8rgsel");
	sbuf_reset(&resp->body);
	http_dash_html(resp, status);
	dashboard_error_page(&resp->body, lang, title, message);
}

static bool audit_unmask(struct http_request *req, const struct dash_session *se, long long id,
			 long long now)
{
	char subject[40];

	if (bsnprintf(subject, sizeof(subject), "message:%lld", id) < 0 ||
	    db_audit(req->db, now, se->s.user, "message.unmask", subject, "dashboard") < 0)
		return false;
	log_info("dashboard unmask message=%lld user='%s'", id, se->s.user);
	return true;
}

/* /dashboard/log: every parameter validated by the CLI's rule; a POST
 * (with the CSRF token, checked by the caller) unmasks one message. */
static void log_page(struct http_request *req, struct http_response *resp, struct dash_session *se,
		     bool post, long long now)
{
	const char *values[DASHBOARD_LOG_PARAMS];
	struct event_query q;
	long long unmask = 0;
	char why[256], msg[320];

	event_query_init(&q);
	for (int i = 0; i <= DASHBOARD_LOG_PARAMS; i++) {
		const char *name = i < DASHBOARD_LOG_PARAMS ? dashboard_log_params[i] : "before";
		const char *v = http_query(req, name);

		if (i < DASHBOARD_LOG_PARAMS)
			values[i] = v;
		if (event_query_set(&q, name, v, req->cfg->default_country, now, why,
				    sizeof(why)) != 0) {
			(void)bsnprintf(msg, sizeof(msg), "%s: %s", name, why);
			http_dash_error(resp, se, 400, msg);
			return;
		}
	}
	if (post) {
		if (!(unmask = http_parse_id(http_query(req, "unmask")))) {
			http_dash_error(resp, se, 400, "unmask: must be a message id");
			return;
		}
		if (!audit_unmask(req, se, unmask, now)) {
			http_json_error(resp, 500, "cannot write the audit log; nothing unmasked");
			return;
		}
	}
	http_dash_html(resp, 200);
	if (dashboard_log_page(&resp->body, req->db, se->s.user, se->s.lang, se->s.csrf, &q, values,
			       unmask) < 0)
		http_json_error(resp, 500, "cannot read the database");
}

static void message_page(struct http_request *req, struct http_response *resp,
			 struct dash_session *se, long long id, bool post, long long now)
{
	int rc;

	if (post && strcmp(http_query(req, "unmask") ? http_query(req, "unmask") : "", "1")) {
		http_dash_error(resp, se, 400, "unmask: must be 1");
		return;
	}
	if (post && !audit_unmask(req, se, id, now)) {
		http_json_error(resp, 500, "cannot write the audit log; nothing unmasked");
		return;
	}
	http_dash_html(resp, 200);
	rc = dashboard_message_page(&resp->body, req->db, se->s.user, se->s.lang, se->s.csrf, id,
				    post);
	if (rc > 0)
		http_dash_error(resp, se, 404, "no such message");
	else if (rc < 0)
		http_json_error(resp, 500, "cannot read the database");
}

static void campaign_page(struct http_request *req, struct http_response *resp,
			  struct dash_session *se, long long id, long long now)
{
	const char *done = http_query(req, "done");
	int rc;

	if (done && strspn(done, "abcdefghijklmnopqrstuvwxyz_") != strlen(done)) {
		http_dash_error(resp, se, 400, "done: not a notice");
		return;
	}
	http_dash_html(resp, 200);
	rc = dashboard_campaign_page(&resp->body, req->db, req->cfg, se->s.user, se->s.lang,
				     se->s.csrf, id, done, now);
	if (rc > 0)
		http_dash_error(resp, se, 404, "no such campaign");
	else if (rc < 0)
		http_json_error(resp, 500, "cannot read the database");
}

/* The language switch returns to the page it was on: a path of ours,
 * never another site (no "//", no scheme, no control characters). */
static const char *safe_back(const char *back)
{
	if (!back || strncmp(back, "/dashboard", 10) || strstr(back, "//") || strlen(back) > 250)
		return "/dashboard";
	for (const char *p = back; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f || *p == '\\')
			return "/dashboard";
	return back;
}

/* Pages that take an id in the path: "messages/12" -> 12, else 0. */
static long long path_id(const char *sub, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(sub, prefix, n) ? 0 : http_parse_id(sub + n);
}

void http_dashboard_sub(struct http_request *req, struct http_response *resp)
{
	const char *sub = req->path + strlen("/dashboard/");
	bool post = !strcmp(req->method, "POST");
	long long now = (long long)time(NULL), page_id;
	struct dash_session se;

	if (!strcmp(sub, "static/style.css") && !post) {
		resp->content_type = "text/css; charset=utf-8";
		sbuf_addstr(&resp->body, dashboard_css());
		return;
	}
	if (!strcmp(sub, "login")) {
		if (post)
			do_login(req, resp, now);
		else if (load_session(req, now, &se))
			http_dash_redirect(resp, "/dashboard");
		else
			login_page(req, resp, 200, NULL, NULL);
		return;
	}
	if (http_dashboard_staff_route(sub)) {
		if (!load_session(req, now, &se)) {
			http_dash_redirect(resp, "/dashboard/login");
			return;
		}
		if (post && !token_equal(http_query(req, "csrf"), se.s.csrf)) {
			log_warn("dashboard form without a valid csrf token user='%s' path=%s", se.s.user,
				 req->path);
			http_dash_redirect(resp, "/dashboard?done=csrf");
			return;
		}
		http_dashboard_staff(req, resp, &se, sub, post, now);
		return;
	}
	page_id = path_id(sub, "messages/");
	if (!page_id && !strncmp(sub, "campaigns/", 10))
		page_id = -path_id(sub, "campaigns/");
	if (!page_id && strcmp(sub, "log") && strcmp(sub, "logout") && strcmp(sub, "approve") &&
	    strcmp(sub, "cancel") && strcmp(sub, "resend") && strcmp(sub, "lang")) {
		http_json_error(resp, 404, "no such page");
		return;
	}
	if (!post && (page_id || !strcmp(sub, "log"))) {
		if (!load_session(req, now, &se)) {
			http_dash_redirect(resp, "/dashboard/login");
			return;
		}
		if (!strcmp(sub, "log"))
			log_page(req, resp, &se, false, now);
		else if (page_id > 0)
			message_page(req, resp, &se, page_id, false, now);
		else
			campaign_page(req, resp, &se, -page_id, now);
		return;
	}
	if (!post || page_id < 0) {
		http_json_error(resp, 405, "method %s is not allowed on %s", req->method, req->path);
		return;
	}
	if (!load_session(req, now, &se)) {
		http_dash_redirect(resp, "/dashboard/login");
		return;
	}
	if (!token_equal(http_query(req, "csrf"), se.s.csrf)) {
		log_warn("dashboard form without a valid csrf token user='%s' path=%s", se.s.user,
			 req->path);
		http_dash_redirect(resp, "/dashboard?done=csrf");
		return;
	}
	if (!strcmp(sub, "logout")) {
		db_dashboard_session_delete(req->db, se.token_hash);
		db_audit(req->db, now, se.s.user, "dashboard.logout", NULL, req->remote);
		set_cookie(req, resp, "bb_session", "", 0);
		http_dash_redirect(resp, "/dashboard/login");
	} else if (!strcmp(sub, "lang")) {
		db_dashboard_session_set_lang(req->db, se.token_hash,
					      dashboard_lang(http_query(req, "lang")));
		http_dash_redirect(resp, safe_back(http_query(req, "back")));
	} else if (!strcmp(sub, "log")) {
		log_page(req, resp, &se, true, now);
	} else if (page_id > 0) {
		message_page(req, resp, &se, page_id, true, now);
	} else {
		do_action(req, resp, &se, sub, now);
	}
}
