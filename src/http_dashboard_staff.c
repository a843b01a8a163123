/* SPDX-License-Identifier: MIT */
/*
 * DESIGN: the staff pages beyond the log, over HTTP.
 *
 *   GET  /dashboard/subscribers?q=PHONE|EMAIL   look a person up (303 to the person)
 *   GET  /dashboard/subscribers/ID              the person, masked; POST unmask=1 shows
 *                                               the addresses (audited)
 *   POST /dashboard/subscribers/ID/export       GDPR export, a JSON download (audited)
 *   POST /dashboard/subscribers/ID/erase        the confirmation step; with confirm=ERASE
 *                                               the erasure (audited)
 *   GET  /dashboard/report?from=&to=            the evaluation report; report.csv the same
 *                                               figures for Danish Excel
 *   GET  /dashboard/suppressions?reason=        the suppression list; POST
 *                                               suppressions/lift lifts a bounce (confirmed)
 *   GET  /dashboard/inbound?days=&number=       inbound SMS per number as a conversation
 *   GET  /dashboard/campaigns/new               the new-campaign form; POST preview shows
 *                                               the dry run, POST schedule creates it
 *
 * http_dashboard.c loads the session and checks a POST's CSRF token
 * before any of these run. Every parameter is read by a rule of its own
 * and a bad one is a 400 page that names it; every action is written to
 * the audit log with the staff member's name before it has any effect
 * that could be seen.
 */
#include "budbringer/campaign.h"
#include "budbringer/dashboard.h"
#include "budbringer/db_bounce.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/gdpr.h"
#include "budbringer/http_dashboard.h"
#include "budbringer/log.h"
#include "budbringer/mime.h"
#include "budbringer/phone.h"
#include "budbringer/report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "subscribers/12/export" -> 12 and the rest "export"; 0 when not a person's path. */
static long long person_path(const char *sub, const char **rest)
{
	const char *p = sub + strlen("subscribers/");
	char digits[24];
	size_t n = strspn(p, "0123456789");

	*rest = "";
	if (strncmp(sub, "subscribers/", 12) || !n || n >= sizeof(digits))
		return 0;
	memcpy(digits, p, n);
	digits[n] = '\0';
	if (p[n] == '/')
		*rest = p + n + 1;
	else if (p[n])
		return 0;
	return http_parse_id(digits);
}

bool http_dashboard_staff_route(const char *sub)
{
	const char *rest;

	return !strcmp(sub, "subscribers") || person_path(sub, &rest) > 0 || !strcmp(sub, "report") ||
	       !strcmp(sub, "report.csv") || !strcmp(sub, "suppressions") ||
	       !strcmp(sub, "suppressions/lift") || !strcmp(sub, "inbound") ||
	       !strcmp(sub, "campaigns/new");
}

static void method_not_allowed(struct http_request *req, struct http_response *resp)
{
	http_json_error(resp, 405, "method %s is not allowed on %s", req->method, req->path);
}

/* ---------------------------------------------------------------- people --- */

/* q: an email address (it has an @) or a phone number in any written form. */
static void people_lookup(struct http_request *req, struct http_response *resp,
			  struct dash_session *se)
{
	const char *q = http_query(req, "q"), *why = NULL;
	char phone[PHONE_E164_MAX], email[256], msg[320], loc[64];
	long long id;

	if (!q || !*q) {
		http_dash_html(resp, 200);
		dashboard_people_page(&resp->body, se->s.user, se->s.lang, se->s.csrf, NULL, false);
		return;
	}
	if (strlen(q) > 254) {
		http_dash_error(resp, se, 400, "q: longer than an address can be");
		return;
	}
	if (strchr(q, '@')) {
		if (mime_addr_normalise(q, email, sizeof(email)) < 0) {
			(void)bsnprintf(msg, sizeof(msg), "q: '%s' is not an email address", q);
			http_dash_error(resp, se, 400, msg);
			return;
		}
		id = db_subscriber_find(req->db, NULL, email);
	} else {
		if (phone_normalise(q, req->cfg->default_country, phone, &why) < 0) {
			(void)bsnprintf(msg, sizeof(msg), "q: '%s' is neither an email address nor a phone "
					"number (%s)", q, why ? why : "invalid");
			http_dash_error(resp, se, 400, msg);
			return;
		}
		id = db_subscriber_find(req->db, phone, NULL);
	}
	if (id < 0) {
		http_json_error(resp, 500, "cannot read the database");
		return;
	}
	if (id > 0 && bsnprintf(loc, sizeof(loc), "/dashboard/subscribers/%lld", id) == 0) {
		http_dash_redirect(resp, loc);
		return;
	}
	http_dash_html(resp, 200);
	dashboard_people_page(&resp->body, se->s.user, se->s.lang, se->s.csrf, q, true);
}

static int audit_person(struct http_request *req, const struct dash_session *se, const char *action,
			long long id, long long now)
{
	char subject[40];

	if (bsnprintf(subject, sizeof(subject), "subscriber:%lld", id) < 0)
		return -1;
	return db_audit(req->db, now, se->s.user, action, subject, "dashboard");
}

static void person_page(struct http_request *req, struct http_response *resp,
			struct dash_session *se, long long id, bool post, long long now)
{
	const char *unmask = http_query(req, "unmask");
	int rc;

	if (post && (!unmask || strcmp(unmask, "1"))) {
		http_dash_error(resp, se, 400, "unmask: must be 1");
		return;
	}
	/* Recorded before anything is shown (and only for someone who exists). */
	if (post) {
		struct subscriber s;

		rc = db_subscriber_get(req->db, id, &s);
		if (rc == 0)
			subscriber_release(&s);
		if (rc == 0 && audit_person(req, se, "subscriber.unmask", id, now) < 0) {
			http_json_error(resp, 500, "cannot write the audit log; nothing unmasked");
			return;
		}
		if (rc == 0)
			log_info("dashboard unmask subscriber=%lld user='%s'", id, se->s.user);
	}
	http_dash_html(resp, 200);
	rc = dashboard_person_page(&resp->body, req->db, se->s.user, se->s.lang, se->s.csrf, id, post,
				   now);
	if (rc > 0)
		http_dash_error(resp, se, 404, "no such person");
	else if (rc < 0)
		http_json_error(resp, 500, "cannot read the database");
}

static void person_export(struct http_request *req, struct http_response *resp,
			  struct dash_session *se, long long id, long long now)
{
	struct sbuf err = SBUF_INIT;
	json_t *j = NULL;
	char disp[96];
	char *text;
	int rc = gdpr_export(req->db, id, se->s.user, "dashboard", now, &j, &err);

	if (rc > 0) {
		http_dash_error(resp, se, 404, "no such person");
	} else if (rc < 0 || !(text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS))) {
		http_json_error(resp, 500, "%s", err.len ? err.buf : "cannot export");
	} else {
		log_info("dashboard gdpr export subscriber=%lld user='%s'", id, se->s.user);
		resp->status = 200;
		resp->content_type = "application/json; charset=utf-8";
		(void)bsnprintf(disp, sizeof(disp), "attachment; filename=\"subscriber-%lld.json\"", id);
		http_add_header(resp, "Content-Disposition", disp);
		http_add_header(resp, "Cache-Control", "no-store");
		sbuf_addstr(&resp->body, text);
		sbuf_addch(&resp->body, '\n');
		free(text);
	}
	json_decref(j);
	sbuf_release(&err);
}

static void person_erase(struct http_request *req, struct http_response *resp,
			 struct dash_session *se, long long id, long long now)
{
	const char *confirm = http_query(req, "confirm");
	struct sbuf warn = SBUF_INIT, err = SBUF_INIT;
	struct erase_result res;
	struct subscriber s;
	int rc;

	if (confirm && strcmp(confirm, "ERASE")) {
		http_dash_error(resp, se, 400, "confirm: type ERASE to erase the person");
		return;
	}
	if ((rc = db_subscriber_get(req->db, id, &s)) != 0) {
		if (rc > 0)
			http_dash_error(resp, se, 404, "no such person");
		else
			http_json_error(resp, 500, "cannot read the database");
		return;
	}
	subscriber_release(&s);
	if (!confirm) {
		http_dash_html(resp, 200);
		dashboard_erase_confirm_page(&resp->body, se->s.user, se->s.lang, se->s.csrf, id);
		return;
	}
	rc = gdpr_erase(req->db, req->cfg, id, se->s.user, now, &res, &warn, &err);
	if (rc == 1) {
		http_dash_error(resp, se, 404, "no such person");
	} else if (rc < 0) {
		http_json_error(resp, 500, "%s", err.buf);
	} else {
		log_info("dashboard gdpr erase subscriber=%lld user='%s'", id, se->s.user);
		if (warn.len)
			log_warn("dashboard gdpr erase subscriber=%lld: %s", id, warn.buf);
		http_dash_html(resp, 200);
		dashboard_erased_page(&resp->body, se->s.user, se->s.lang, se->s.csrf, id, res.messages,
				      res.inbound, warn.buf);
	}
	sbuf_release(&warn);
	sbuf_release(&err);
}

/* ---------------------------------------------------------------- report --- */

/* from and to (default: this year so far), read by the report's own rule. */
static int report_read(struct http_request *req, struct http_response *resp,
		       struct dash_session *se, long long now, struct report *r)
{
	const char *from = http_query(req, "from"), *to = http_query(req, "to");
	char year_start[11], today[11];
	struct sbuf err = SBUF_INIT;
	time_t t = (time_t)now;
	struct tm tm;

	localtime_r(&t, &tm);
	if (!strftime(today, sizeof(today), "%Y-%m-%d", &tm) ||
	    bsnprintf(year_start, sizeof(year_start), "%04d-01-01", tm.tm_year + 1900) < 0)
		return -1;
	if (report_period(from ? from : year_start, to ? to : today, r, &err) < 0) {
		http_dash_error(resp, se, 400, err.buf);
		sbuf_release(&err);
		return -1;
	}
	sbuf_release(&err);
	return 0;
}

static void report_page(struct http_request *req, struct http_response *resp,
			struct dash_session *se, long long now, bool csv)
{
	struct report r = { .rows = NULL }, prev = { .rows = NULL };
	char pf[11], pt[11], disp[96];
	struct sbuf err = SBUF_INIT;

	if (report_read(req, resp, se, now, &r) < 0)
		return;
	if (report_build(req->db, req->cfg, &r) < 0) {
		http_json_error(resp, 500, "cannot read the database");
		goto out;
	}
	if (csv) {
		resp->status = 200;
		resp->content_type = "text/csv; charset=utf-8";
		(void)bsnprintf(disp, sizeof(disp), "attachment; filename=\"evaluering-%s-%s.csv\"",
				r.from, r.to);
		http_add_header(resp, "Content-Disposition", disp);
		report_csv(&r, req->cfg->sms.currency, true, &resp->body);
		goto out;
	}
	if (report_previous(&r, pf, pt) < 0 || report_period(pf, pt, &prev, &err) < 0 ||
	    report_build(req->db, req->cfg, &prev) < 0) {
		http_json_error(resp, 500, "cannot read the period before");
		goto out;
	}
	http_dash_html(resp, 200);
	dashboard_report_page(&resp->body, req->cfg, se->s.user, se->s.lang, se->s.csrf, &r, &prev);
out:
	report_release(&r);
	report_release(&prev);
	sbuf_release(&err);
}

/* ---------------------------------------------------------- suppressions --- */

static void suppressions_page(struct http_request *req, struct http_response *resp,
			      struct dash_session *se)
{
	const char *reason = http_query(req, "reason"), *done = http_query(req, "done");
	bool known = false;
	char msg[200];

	if (reason && !*reason)
		reason = NULL;
	for (int i = 0; reason && dashboard_suppression_reasons[i]; i++)
		known |= !strcmp(reason, dashboard_suppression_reasons[i]);
	if (reason && !known) {
		(void)bsnprintf(msg, sizeof(msg), "reason: '%.40s' is not one of: bounce complaint stop "
				"unsubscribed erased", reason);
		http_dash_error(resp, se, 400, msg);
		return;
	}
	if (done && strcmp(done, "lifted") && strcmp(done, "not_lifted")) {
		http_dash_error(resp, se, 400, "done: not a notice");
		return;
	}
	http_dash_html(resp, 200);
	if (dashboard_suppressions_page(&resp->body, req->db, se->s.user, se->s.lang, se->s.csrf,
					reason, done) < 0)
		http_json_error(resp, 500, "cannot read the database");
}

struct lift_find {
	const char *key, *channel;
	struct suppression_row row;
	char key_buf[65], channel_buf[8], recipient[256], status[32], diagnostic[256];
	bool found;
};

/* The bounce suppression with this key, and the address of its evidence. */
static int lift_find_cb(const struct suppression_row *r, void *arg)
{
	struct lift_find *f = arg;

	if (strcmp(r->address_sha256, f->key) || strcmp(r->channel, f->channel))
		return 0;
	f->row = *r;
	(void)bsnprintf(f->key_buf, sizeof(f->key_buf), "%s", r->address_sha256);
	(void)bsnprintf(f->channel_buf, sizeof(f->channel_buf), "%s", r->channel);
	(void)bsnprintf(f->recipient, sizeof(f->recipient), "%s", r->recipient ? r->recipient : "");
	(void)bsnprintf(f->status, sizeof(f->status), "%s", r->status ? r->status : "");
	(void)bsnprintf(f->diagnostic, sizeof(f->diagnostic), "%s", r->diagnostic ? r->diagnostic : "");
	f->row.address_sha256 = f->key_buf;
	f->row.channel = f->channel_buf;
	f->row.reason = "bounce";
	f->row.source = NULL;
	f->row.recipient = r->recipient ? f->recipient : NULL;
	f->row.status = r->status ? f->status : NULL;
	f->row.diagnostic = r->diagnostic ? f->diagnostic : NULL;
	f->row.feedback_type = NULL;
	f->found = true;
	return 1;
}

/*
 * key (the suppression's address hash) and channel name one bounce
 * suppression; without confirm=yes the confirmation page, with it the
 * lift by db_suppression_lift() — the CLI's function, which refuses any
 * other reason and writes the audit row with the staff member's name.
 */
static void suppression_lift(struct http_request *req, struct http_response *resp,
			     struct dash_session *se, long long now)
{
	struct lift_find f = { .key = http_query(req, "key"), .channel = http_query(req, "channel") };
	const char *confirm = http_query(req, "confirm");
	char why[32];
	int rc;

	if (!f.key || strlen(f.key) != 64 || strspn(f.key, "0123456789abcdef") != 64) {
		http_dash_error(resp, se, 400, "key: must be a suppression's key (64 hex digits)");
		return;
	}
	if (!f.channel || (strcmp(f.channel, "sms") && strcmp(f.channel, "email"))) {
		http_dash_error(resp, se, 400, "channel: must be sms or email");
		return;
	}
	if (confirm && strcmp(confirm, "yes")) {
		http_dash_error(resp, se, 400, "confirm: must be yes");
		return;
	}
	if (db_suppression_each(req->db, "bounce", 0, lift_find_cb, &f) < 0) {
		http_json_error(resp, 500, "cannot read the database");
		return;
	}
	if (!f.found || !f.row.recipient || !strcmp(f.row.recipient, "(erased)")) {
		http_dash_redirect(resp, "/dashboard/suppressions?done=not_lifted");
		return;
	}
	if (!confirm) {
		http_dash_html(resp, 200);
		dashboard_lift_confirm_page(&resp->body, se->s.user, se->s.lang, se->s.csrf, &f.row);
		return;
	}
	rc = db_suppression_lift(req->db, f.row.recipient, f.row.channel, se->s.user, now, why,
				 sizeof(why));
	if (rc < 0) {
		http_json_error(resp, 500, "cannot lift the suppression");
		return;
	}
	if (rc == 0)
		log_info("dashboard suppression lifted key=%.12s user='%s'", f.key, se->s.user);
	http_dash_redirect(resp, rc == 0 ? "/dashboard/suppressions?done=lifted"
				    : "/dashboard/suppressions?done=not_lifted");
}

/* ---------------------------------------------------------------- inbound --- */

static void inbound_page(struct http_request *req, struct http_response *resp,
			 struct dash_session *se, long long now)
{
	const char *days_s = http_query(req, "days"), *number = http_query(req, "number"), *why;
	char phone[PHONE_E164_MAX], msg[200];
	long long days = 7;

	if (days_s && (!(days = http_parse_id(days_s)) || days > req->cfg->retention_days)) {
		(void)bsnprintf(msg, sizeof(msg), "days: '%.20s' is not a number of days from 1 to %d "
				"(retention_days)", days_s, req->cfg->retention_days);
		http_dash_error(resp, se, 400, msg);
		return;
	}
	if (days > req->cfg->retention_days)
		days = req->cfg->retention_days;
	if (number && !*number)
		number = NULL;
	if (number && phone_normalise(number, req->cfg->default_country, phone, &why) < 0) {
		(void)bsnprintf(msg, sizeof(msg), "number: '%.40s' is not a phone number (%s)", number,
				why ? why : "invalid");
		http_dash_error(resp, se, 400, msg);
		return;
	}
	http_dash_html(resp, 200);
	if (dashboard_inbound_page(&resp->body, req->db, req->cfg, se->s.user, se->s.lang, se->s.csrf,
				   (int)days, number, number ? phone : NULL, now) < 0)
		http_json_error(resp, 500, "cannot read the database");
}

/* ---------------------------------------------------------- new campaign --- */

#define TEXT_MAX_BYTES 1000
#define SEND_AT_SLACK 300   /* a send time this far back means now */

static int refuse(struct http_response *resp, struct dash_session *se, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int refuse(struct http_response *resp, struct dash_session *se, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	http_dash_error(resp, se, 400, msg.buf);
	sbuf_release(&msg);
	return -1;
}

/* A checkbox: absent, or "1". */
static int flag(struct http_request *req, struct http_response *resp, struct dash_session *se,
		const char *name, bool *out)
{
	const char *v = http_query(req, name);

	if (v && strcmp(v, "1"))
		return refuse(resp, se, "%s: a checkbox is 1 or absent", name);
	*out = v != NULL;
	return 0;
}

static int age(struct http_request *req, struct http_response *resp, struct dash_session *se,
	       const char *name, const char **text, int *out)
{
	const char *v = http_query(req, name);
	char *end = NULL;
	long n;

	*text = v;
	*out = -1;
	if (!v || !*v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || strspn(v, "0123456789") != strlen(v) || strlen(v) > 3 || n > 120)
		return refuse(resp, se, "%s: '%.20s' is not an age from 0 to 120", name, v);
	*out = (int)n;
	return 0;
}

/* "2026-12-01T18:00" (datetime-local) in the daemon's time zone. */
static int send_time(struct http_request *req, struct http_response *resp, struct dash_session *se,
		     long long now, const char **text, long long *out)
{
	const char *v = http_query(req, "send_at"), *end;
	struct tm tm;
	time_t t;

	*text = v;
	*out = 0;
	if (!v || !*v)
		return 0;
	memset(&tm, 0, sizeof(tm));
	end = strptime(v, "%Y-%m-%dT%H:%M", &tm);
	if (end && *end == ':')
		end = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
	tm.tm_isdst = -1;
	if (!end || *end || (t = mktime(&tm)) == (time_t)-1)
		return refuse(resp, se, "send_at: '%.30s' is not a time like 2026-12-01T18:00", v);
	if ((long long)t < now - SEND_AT_SLACK)
		return refuse(resp, se, "send_at: %.30s is in the past", v);
	*out = (long long)t > now ? (long long)t : 0;
	return 0;
}

/* The form into f (for showing it again) and rq (for campaign_create()):
 * each field by its own rule, a bad one refused with its name. */
static int read_new_campaign(struct http_request *req, struct http_response *resp,
			     struct dash_session *se, long long now, struct new_campaign_form *f,
			     struct campaign_request *rq, const char **action)
{
	const struct config *cfg = req->cfg;
	const char *opp = http_query(req, "opportunity");
	char name[48];
	size_t nl = 0, ni = 0;

	*action = http_query(req, "action");
	if (!*action || (strcmp(*action, "preview") && strcmp(*action, "schedule")))
		return refuse(resp, se, "action: must be preview or schedule");
	if (!(f->opportunity_id = http_parse_id(opp)))
		return refuse(resp, se, "opportunity: '%.20s' is not an opportunity id", opp ? opp : "");
	rq->opportunity_id = f->opportunity_id;
	if (flag(req, resp, se, "ch_sms", &f->channels[CHANNEL_SMS]) < 0 ||
	    flag(req, resp, se, "ch_email", &f->channels[CHANNEL_EMAIL]) < 0 ||
	    age(req, resp, se, "min_age", &f->min_age, &rq->min_age) < 0 ||
	    age(req, resp, se, "max_age", &f->max_age, &rq->max_age) < 0 ||
	    send_time(req, resp, se, now, &f->send_at, &rq->send_at) < 0)
		return -1;
	rq->channels[CHANNEL_SMS] = f->channels[CHANNEL_SMS];
	rq->channels[CHANNEL_EMAIL] = f->channels[CHANNEL_EMAIL];
	for (size_t i = 0; i < CFG_MAX_LANGS && cfg->languages[i]; i++) {
		const char *text;

		(void)bsnprintf(name, sizeof(name), "lang_%s", cfg->languages[i]);
		if (flag(req, resp, se, name, &f->langs[i]) < 0)
			return -1;
		if (f->langs[i] && nl < MODEL_MAX_LANGS)
			rq->langs[nl++] = cfg->languages[i];
		(void)bsnprintf(name, sizeof(name), "text_%s", cfg->languages[i]);
		text = http_query(req, name);
		if (text && strlen(text) > TEXT_MAX_BYTES)
			return refuse(resp, se, "%s: longer than %d bytes", name, TEXT_MAX_BYTES);
		f->texts[i] = text;
		if (text && *text && rq->n_texts < MODEL_MAX_LANGS) {
			rq->texts[rq->n_texts].lang = cfg->languages[i];
			rq->texts[rq->n_texts++].body = text;
			f->n_texts++;
		}
	}
	for (size_t i = 0; i < cfg->n_interests && i < NEW_CAMPAIGN_MAX_INTERESTS; i++) {
		(void)bsnprintf(name, sizeof(name), "interest_%s", cfg->interests[i].code);
		if (flag(req, resp, se, name, &f->interests[i]) < 0)
			return -1;
		if (f->interests[i] && ni < MODEL_MAX_INTERESTS)
			rq->interests[ni++] = cfg->interests[i].code;
	}
	return 0;
}

static void new_campaign(struct http_request *req, struct http_response *resp,
			 struct dash_session *se, bool post, long long now)
{
	struct new_campaign_form f;
	struct campaign_request rq = { .kind = "staff", .min_age = -1, .max_age = -1 };
	struct campaign_dry_run d;
	struct sbuf err = SBUF_INIT;
	const char *action = NULL;
	enum campaign_create_result r;
	char who[80], loc[96], subject[40];
	long long id = 0;
	int status = 200;

	memset(&f, 0, sizeof(f));
	if (!post) {
		const char *opp = http_query(req, "opportunity");

		if (opp && !(f.opportunity_id = http_parse_id(opp))) {
			refuse(resp, se, "opportunity: '%.20s' is not an opportunity id", opp);
			return;
		}
		f.channels[CHANNEL_SMS] = f.channels[CHANNEL_EMAIL] = true;
		http_dash_html(resp, 200);
		if (dashboard_new_campaign_page(&resp->body, req->db, req->cfg, se->s.user, se->s.lang,
						se->s.csrf, &f, NULL, NULL) < 0)
			http_json_error(resp, 500, "cannot read the database");
		return;
	}
	if (read_new_campaign(req, resp, se, now, &f, &rq, &action) < 0)
		return;
	(void)bsnprintf(who, sizeof(who), "dashboard:%s", se->s.user);
	rq.created_by = who;
	if (!strcmp(action, "preview")) {
		r = campaign_dry_run(req->db, req->cfg, &rq, now, true, &d, &err);
		if (r == CAMPAIGN_ERROR) {
			http_json_error(resp, 500, "the dry run failed");
			goto out;
		}
		http_dash_html(resp, r == CAMPAIGN_CREATED ? 200 : 400);
		if (dashboard_new_campaign_page(&resp->body, req->db, req->cfg, se->s.user, se->s.lang,
						se->s.csrf, &f, r == CAMPAIGN_CREATED ? &d : NULL,
						r == CAMPAIGN_CREATED ? NULL : err.buf) < 0)
			http_json_error(resp, 500, "cannot read the database");
		if (r == CAMPAIGN_CREATED)
			render_set_release(&d.rendered);
		goto out;
	}
	r = campaign_create(req->db, req->cfg, &rq, now, &id, &err);
	if (r == CAMPAIGN_CREATED || r == CAMPAIGN_DUPLICATE) {
		if (r == CAMPAIGN_CREATED) {
			(void)bsnprintf(subject, sizeof(subject), "campaign:%lld", id);
			db_audit(req->db, now, se->s.user, "campaign.create", subject, "dashboard");
			log_info("dashboard campaign created campaign=%lld user='%s'", id, se->s.user);
			http_request_wake(req);
		}
		(void)bsnprintf(loc, sizeof(loc), "/dashboard/campaigns/%lld?done=%s", id,
				r == CAMPAIGN_CREATED ? "created" : "duplicate");
		http_dash_redirect(resp, loc);
		goto out;
	}
	if (r == CAMPAIGN_ERROR) {
		http_json_error(resp, 500, "cannot create the campaign");
		goto out;
	}
	status = 400;
	http_dash_html(resp, status);
	if (dashboard_new_campaign_page(&resp->body, req->db, req->cfg, se->s.user, se->s.lang,
					se->s.csrf, &f, NULL, err.buf) < 0)
		http_json_error(resp, 500, "cannot read the database");
out:
	sbuf_release(&err);
}

void http_dashboard_staff(struct http_request *req, struct http_response *resp,
			  struct dash_session *se, const char *sub, bool post, long long now)
{
	const char *rest;
	long long id;

	if (!strcmp(sub, "subscribers")) {
		if (post)
			method_not_allowed(req, resp);
		else
			people_lookup(req, resp, se);
	} else if ((id = person_path(sub, &rest)) > 0) {
		if (!*rest)
			person_page(req, resp, se, id, post, now);
		else if (!post && (!strcmp(rest, "export") || !strcmp(rest, "erase")))
			method_not_allowed(req, resp);
		else if (!strcmp(rest, "export"))
			person_export(req, resp, se, id, now);
		else if (!strcmp(rest, "erase"))
			person_erase(req, resp, se, id, now);
		else
			http_dash_error(resp, se, 404, "no such page");
	} else if (!strcmp(sub, "report") || !strcmp(sub, "report.csv")) {
		if (post)
			method_not_allowed(req, resp);
		else
			report_page(req, resp, se, now, !strcmp(sub, "report.csv"));
	} else if (!strcmp(sub, "suppressions")) {
		if (post)
			method_not_allowed(req, resp);
		else
			suppressions_page(req, resp, se);
	} else if (!strcmp(sub, "suppressions/lift")) {
		if (!post)
			method_not_allowed(req, resp);
		else
			suppression_lift(req, resp, se, now);
	} else if (!strcmp(sub, "inbound")) {
		if (post)
			method_not_allowed(req, resp);
		else
			inbound_page(req, resp, se, now);
	} else if (!strcmp(sub, "campaigns/new")) {
		new_campaign(req, resp, se, post, now);
	} else {
		http_dash_error(resp, se, 404, "no such page");
	}
}
