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

#include <stdbool.h>

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

/* ---- the frame every page shares (dashboard.c) ---- */

/* <head>, the header with the menu, language switch and logout, <main>.
 * back: this page's own path and query, where the language switch
 * returns to (it must start with /dashboard; http_dashboard.c checks). */
void dashboard_page_begin(struct sbuf *out, const char *lang, const char *title,
			  const char *user, const char *csrf, const char *back);
void dashboard_page_end(struct sbuf *out);
/* Free text that may hold an address (a consent source, a mail server's
 * answer), escaped, with email addresses and phone numbers in it masked
 * ("sms:+45••••••09", "<j•••@example.dk>"). */
void dashboard_masked_text(struct sbuf *out, const char *text);
void dashboard_csrf_field(struct sbuf *out, const char *csrf);
/* A whole page for a refused request (400, 404): title and the reason. */
void dashboard_error_page(struct sbuf *out, const char *lang, const char *title,
			  const char *message);
/* The short confirmation of an action (notice codes as on the main page). */
void dashboard_notice(struct sbuf *out, const char *lang, const char *notice, long long id);
/* The five parts of a delivery funnel: 0 delivered, 1 sent, 2 in progress,
 * 3 failed (failed, unknown, expired), 4 suppressed or cancelled; their
 * names in a UI language and their colours. */
int dashboard_state_group(const char *state);
const char *dashboard_group_name(const char *lang, int group);
const char *dashboard_group_color(int group);
/* A campaign status in words ("venter på godkendelse"). */
const char *dashboard_campaign_status(const char *lang, const char *status);
/* "2026-11-26 18:05" in the process's time zone. */
void dashboard_format_time(long long at, char *buf, size_t n);
/* The same with seconds, for events ("2026-11-26 18:05:09"). */
void dashboard_format_seconds(long long at, char *buf, size_t n);

/* ---- the delivery log and the message page (dashboard_log.c) ---- */

/* The log's query parameters, in the order the filter form shows them. */
#define DASHBOARD_LOG_PARAMS 8
extern const char *const dashboard_log_params[DASHBOARD_LOG_PARAMS];
/* The log's page size. */
#define DASHBOARD_LOG_PAGE 50

struct event_query;
/*
 * /dashboard/log: the filter form (values[i] is the text given for
 * dashboard_log_params[i], or NULL), the newest DASHBOARD_LOG_PAGE events
 * matching q (older than q->f.before_event for a next page) with a link
 * to the next page. Recipients are masked, except those of message
 * `unmask` (0: none), which the caller has written to the audit log.
 */
int dashboard_log_page(struct sbuf *out, struct db *db, const char *user, const char *lang,
		       const char *csrf, struct event_query *q, const char *const *values,
		       long long unmask);
/* /dashboard/messages/ID: the message and its events in order. 0 shown,
 * 1 no such message, -1 error. unmasked: show the recipient (audited). */
int dashboard_message_page(struct sbuf *out, struct db *db, const char *user, const char *lang,
			   const char *csrf, long long id, bool unmasked);

/* ---- the campaign page (dashboard_campaign.c) ---- */

/* /dashboard/campaigns/ID. 0 shown, 1 no such campaign, -1 error. */
int dashboard_campaign_page(struct sbuf *out, struct db *db, const struct config *cfg,
			    const char *user, const char *lang, const char *csrf, long long id,
			    const char *notice, long long now);

/* ---- people (dashboard_people.c) ---- */

/* /dashboard/subscribers: the look-up form (q as given), and a notice
 * when the look-up found nobody. */
void dashboard_people_page(struct sbuf *out, const char *user, const char *lang, const char *csrf,
			   const char *q, bool not_found);
/* /dashboard/subscribers/ID: 0 shown, 1 no such person, -1 error.
 * unmasked: addresses and consent sources in full (the caller audited it). */
int dashboard_person_page(struct sbuf *out, struct db *db, const char *user, const char *lang,
			  const char *csrf, long long id, bool unmasked, long long now);
/* The erase's confirmation step, and its result. */
void dashboard_erase_confirm_page(struct sbuf *out, const char *user, const char *lang,
				  const char *csrf, long long id);
void dashboard_erased_page(struct sbuf *out, const char *user, const char *lang, const char *csrf,
			   long long id, long long messages, long long inbound, const char *warn);

/* ---- the evaluation report (dashboard_report.c) ---- */

struct report;
/* /dashboard/report: r's figures next to prev's (the period before). */
void dashboard_report_page(struct sbuf *out, const struct config *cfg, const char *user,
			   const char *lang, const char *csrf, const struct report *r,
			   const struct report *prev);

/* ---- suppressions and inbound (dashboard_lists.c) ---- */

/* The reasons a suppression can have, NULL-terminated. */
extern const char *const dashboard_suppression_reasons[6];
/* /dashboard/suppressions (reason NULL: all); notice "lifted" or
 * "not_lifted" after a lift. 0 or -1. */
int dashboard_suppressions_page(struct sbuf *out, struct db *db, const char *user,
				const char *lang, const char *csrf, const char *reason,
				const char *notice);
struct suppression_row;
/* The lift's confirmation step for row r (a bounce). */
void dashboard_lift_confirm_page(struct sbuf *out, const char *user, const char *lang,
				 const char *csrf, const struct suppression_row *r);
/* /dashboard/inbound: the last `days` days, one number (E.164 in number,
 * as typed in number_text) or all. Texts older than cfg->retention_days
 * are not shown. 0 or -1. */
int dashboard_inbound_page(struct sbuf *out, struct db *db, const struct config *cfg,
			   const char *user, const char *lang, const char *csrf, int days,
			   const char *number_text, const char *number, long long now);

/* ---- the new-campaign page (dashboard_new.c) ---- */

#define NEW_CAMPAIGN_MAX_INTERESTS 64
/* The form as posted (strings as typed, for showing it again); langs[i]
 * and texts[i] follow cfg->languages, interests[i] cfg->interests. */
struct new_campaign_form {
	long long opportunity_id;
	bool channels[CHANNEL_COUNT];
	const char *min_age, *max_age, *send_at;
	bool langs[CFG_MAX_LANGS];
	bool interests[NEW_CAMPAIGN_MAX_INTERESTS];
	const char *texts[CFG_MAX_LANGS];
	size_t n_texts;
};
struct campaign_dry_run;
/* /dashboard/campaigns/new: the form (f), after a preview the dry run d
 * (NULL: none), and a problem campaign_create() or campaign_dry_run()
 * found (NULL: none). 0 or -1. */
int dashboard_new_campaign_page(struct sbuf *out, struct db *db, const struct config *cfg,
				const char *user, const char *lang, const char *csrf,
				const struct new_campaign_form *f, const struct campaign_dry_run *d,
				const char *problem);

/* A warning paragraph when an SMS text goes as UCS-2, naming the
 * characters that cause it (gsm_ucs2_culprits()); nothing for GSM-7. */
void dashboard_ucs2_warning(struct sbuf *out, const char *lang, const char *text);

/* The stylesheet served at /dashboard/static/style.css. */
const char *dashboard_css(void);

#endif
