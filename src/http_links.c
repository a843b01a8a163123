/* SPDX-License-Identifier: MIT */
/*
 * The signed links in emails:
 *   GET  /unsubscribe?t=T  a small page in the subscriber's language with a
 *                          button; a GET never changes anything (mail
 *                          scanners follow links)
 *   POST /unsubscribe?t=T  RFC 8058 one-click (body List-Unsubscribe=One-Click)
 *                          and the page's button: email consent goes, at once
 *   GET  /confirm?t=T      email double opt-in (mail_confirm.h): a page in the
 *                          subscriber's language with the question and a button
 *   POST /confirm?t=T      the button: records the consent, with the question
 *                          as evidence
 *   GET  /l/CODE           a short link from an SMS (links.h): 302 to the
 *                          opportunity, a click counted for the campaign,
 *                          channel and language; HEAD and known previewers
 *                          are redirected and counted as prefetches
 * GET and HEAD never change consent: the security scanners of schools and
 * workplaces open every link of a message, and opening one is not consent.
 * No login, no cookies: the HMAC-signed token is the authority. Each token
 * binds the address it was sent to (mail_address_tag()); a forged or
 * altered token, or one for an address that is no longer the person's,
 * gets 403 and changes nothing; an expired confirm link 410.
 */
#include "budbringer/db_links.h"
#include "budbringer/http.h"
#include "budbringer/links.h"
#include "budbringer/log.h"
#include "budbringer/mail_confirm.h"
#include "budbringer/mail_text.h"
#include "budbringer/mime.h"
#include "budbringer/subscription.h"
#include "budbringer/token.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

http_handler_fn http_unsubscribe, http_confirm, http_short_link;

/* The language for pages without a subscriber: the browser's first choice
 * when we have texts for it, else the config's first fallback. */
static void request_lang(struct http_request *req, char out[4])
{
	const char *al = http_header(req, "Accept-Language");
	const char *fb = req->cfg->fallback[0] ? req->cfg->fallback[0] : "en";
	size_t n = al ? strspn(al, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") : 0;

	if (n >= 2 && n <= 3) {
		for (size_t i = 0; i < n; i++)
			out[i] = (char)(al[i] | 0x20);
		out[n] = '\0';
		if (mail_text_has_lang(out))
			return;
	}
	if (bsnprintf(out, 4, "%s", fb) < 0)
		memcpy(out, "en", 3);
}

/* A whole page; every text is HTML-escaped. action: a form with one
 * button that POSTs there (NULL: no form). */
static void page(struct http_response *resp, int status, const char *lang, const char *title,
		 const char *text, const char *action, const char *button)
{
	struct sbuf *b = &resp->body;

	resp->status = status;
	resp->content_type = "text/html; charset=utf-8";
	/* The token is in the URL: no referrer, no framing, no scripts. */
	http_add_header(resp, "Content-Security-Policy",
			"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
			"frame-ancestors 'none'");
	http_add_header(resp, "Referrer-Policy", "no-referrer");
	sbuf_reset(b);
	sbuf_addstr(b, "<!DOCTYPE html>\n<html lang=\"");
	mime_html_escape(lang, b);
	sbuf_addf(b, "\" dir=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<meta name=\"robots\" content=\"noindex\">\n<title>",
		  mail_lang_is_rtl(lang) ? "rtl" : "ltr");
	mime_html_escape(title, b);
	sbuf_addstr(b, "</title>\n</head>\n<body style=\"margin:0;padding:32px 24px;"
		    "font-family:Arial,Helvetica,sans-serif;font-size:17px;line-height:1.5;"
		    "color:#1a1a1a;background:#ffffff\">\n<main style=\"max-width:36em;margin:0 auto\">\n"
		    "<h1 style=\"font-size:24px\">");
	mime_html_escape(title, b);
	sbuf_addstr(b, "</h1>\n<p>");
	mime_html_escape(text, b);
	sbuf_addstr(b, "</p>\n");
	if (action) {
		sbuf_addstr(b, "<form method=\"post\" action=\"");
		mime_html_escape(action, b);
		sbuf_addstr(b, "\">\n<input type=\"hidden\" name=\"via\" value=\"page\">\n"
			    "<button type=\"submit\" style=\"padding:12px 24px;font-size:17px;"
			    "background:#00587a;color:#ffffff;border:0;border-radius:4px;"
			    "cursor:pointer\">");
		mime_html_escape(button, b);
		sbuf_addstr(b, "</button>\n</form>\n");
	}
	sbuf_addstr(b, "</main>\n</body>\n</html>\n");
}

#define KEY(req) ((const unsigned char *)(req)->cfg->secret_key), strlen((req)->cfg->secret_key)

/* Whether the link's address tag is that of the subscriber's email now. */
static bool address_matches(struct http_request *req, const struct subscriber *s,
			    const struct token_claims *c)
{
	char tag[MAIL_ADDRESS_TAG_LEN + 1];

	return s->email && mail_address_tag(req->cfg, s->email, tag) == 0 &&
	       token_equal(tag, c->channel);
}

void http_unsubscribe(struct http_request *req, struct http_response *resp)
{
	const char *t = http_query(req, "t");
	const char *oc = http_query(req, "List-Unsubscribe");
	struct token_claims c;
	struct subscriber s;
	char lang[4], action[TOKEN_MAX + 32];
	long long id, now = (long long)time(NULL);
	bool have = false, one_click;
	int rc;

	request_lang(req, lang);
	memset(&c, 0, sizeof(c));
	rc = t ? token_verify_claims(KEY(req), "unsub", t, now, &c) : TOKEN_INVALID;
	id = c.subscriber_id;
	if (rc != 0) {
		http_count(req->server, "budbringer_link_rejected_total", 1);
		log_info("unsubscribe link rejected remote=%s", req->remote);
		page(resp, 403, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE),
		     mail_text(lang, MAIL_T_LINK_INVALID), NULL, NULL);
		return;
	}
	rc = db_subscriber_get(req->db, id, &s);
	if (rc < 0) {
		page(resp, 500, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE), "Internal error", NULL, NULL);
		return;
	}
	if (rc == 0) {
		have = true;
		memcpy(lang, s.lang, sizeof(lang));
	}
	/* A link made for an address the person no longer has (changed, or
	 * the id now belongs to someone else) withdraws nothing. Links made
	 * before tokens bound an address have no tag: they keep working, as
	 * an unsubscribe that cannot be honoured is the worse failure. */
	if (have && c.channel[0] && !address_matches(req, &s, &c)) {
		http_count(req->server, "budbringer_link_rejected_total", 1);
		log_info("unsubscribe link for another address rejected subscriber=%lld remote=%s", id,
			 req->remote);
		page(resp, 403, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE),
		     mail_text(lang, MAIL_T_LINK_INVALID), NULL, NULL);
		goto out;
	}
	if (strcmp(req->method, "POST")) {
		/* Erased or already without email consent: nothing to ask. */
		if (!have || !s.consent[CHANNEL_EMAIL])
			page(resp, 200, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE),
			     mail_text(lang, MAIL_T_UNSUB_DONE), NULL, NULL);
		else if (bsnprintf(action, sizeof(action), "/unsubscribe?t=%s", t) == 0)
			page(resp, 200, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE),
			     mail_text(lang, MAIL_T_UNSUB_QUESTION), action,
			     mail_text(lang, MAIL_T_UNSUBSCRIBE));
		else
			page(resp, 500, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE), "Internal error",
			     NULL, NULL);
		goto out;
	}
	/* An erased subscriber has nothing left to withdraw. RFC 8058 clients
	 * send List-Unsubscribe=One-Click (form-encoded or multipart); our
	 * page's button sends via=page. */
	one_click = (oc && !strcasecmp(oc, "One-Click")) || strstr(req->body, "One-Click");
	if (have && subscription_unsubscribe(req->db, id, CHANNEL_EMAIL, false,
					     one_click ? "email:one-click" : "email:unsubscribe-page",
					     now) == -1) {
		page(resp, 500, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE),
		     "Internal error, please try again", NULL, NULL);
		goto out;
	}
	http_count(req->server, "budbringer_email_unsubscribed_total", 1);
	page(resp, 200, lang, mail_text(lang, MAIL_T_UNSUBSCRIBE), mail_text(lang, MAIL_T_UNSUB_DONE),
	     NULL, NULL);
out:
	if (have)
		subscriber_release(&s);
}

void http_confirm(struct http_request *req, struct http_response *resp)
{
	const char *t = http_query(req, "t");
	const char *question, *button;
	struct token_claims c;
	struct subscriber s;
	struct sbuf ev = SBUF_INIT;
	char lang[4], action[TOKEN_MAX + 32];
	long long now = (long long)time(NULL);
	int rc;

	request_lang(req, lang);
	memset(&c, 0, sizeof(c));
	rc = t ? token_verify_claims(KEY(req), "confirm", t, now, &c) : TOKEN_INVALID;
	if (rc == TOKEN_EXPIRED) {
		page(resp, 410, lang, mail_text(lang, MAIL_T_CONFIRM), mail_text(lang, MAIL_T_LINK_EXPIRED),
		     NULL, NULL);
		return;
	}
	if (rc != 0 || db_subscriber_get(req->db, c.subscriber_id, &s) != 0) {
		http_count(req->server, "budbringer_link_rejected_total", 1);
		log_info("confirm link rejected remote=%s", req->remote);
		page(resp, 403, lang, mail_text(lang, MAIL_T_CONFIRM), mail_text(lang, MAIL_T_LINK_INVALID),
		     NULL, NULL);
		return;
	}
	memcpy(lang, s.lang, sizeof(lang));
	/* The link confirms the address it was sent to, not a later one. */
	if (!address_matches(req, &s, &c)) {
		page(resp, 403, lang, mail_text(lang, MAIL_T_CONFIRM), mail_text(lang, MAIL_T_LINK_INVALID),
		     NULL, NULL);
		goto out;
	}
	if (s.consent[CHANNEL_EMAIL]) {
		page(resp, 200, lang, mail_text(lang, MAIL_T_CONFIRM),
		     mail_text(lang, MAIL_T_CONFIRM_DONE), NULL, NULL);
		goto out;
	}
	question = mail_text(lang, MAIL_T_CONFIRM_QUESTION);
	button = mail_text(lang, MAIL_T_CONFIRM);
	if (strcmp(req->method, "POST")) {
		/* GET and HEAD only ask. */
		if (bsnprintf(action, sizeof(action), "/confirm?t=%s", t) == 0)
			page(resp, 200, lang, mail_text(lang, MAIL_T_CONFIRM), question, action, button);
		else
			page(resp, 500, lang, mail_text(lang, MAIL_T_CONFIRM), "Internal error", NULL, NULL);
		goto out;
	}
	/* The evidence is what the person saw and answered, word for word. */
	sbuf_addf(&ev, "answered \"%s\" to \"%s\" on the confirmation page (lang=%s)", button,
		  question, lang);
	rc = subscription_confirm(req->db, c.subscriber_id, CHANNEL_EMAIL, "email:confirm-page", ev.buf,
				  now);
	if (rc != 0) {
		page(resp, 500, lang, mail_text(lang, MAIL_T_CONFIRM), "Internal error, please try again",
		     NULL, NULL);
		goto out;
	}
	http_count(req->server, "budbringer_email_confirmed_total", 1);
	page(resp, 200, lang, mail_text(lang, MAIL_T_CONFIRM), mail_text(lang, MAIL_T_CONFIRM_DONE),
	     NULL, NULL);
out:
	sbuf_release(&ev);
	subscriber_release(&s);
}

struct follow {
	const char *code;
	bool prefetch;
	char *target;
};

static int follow_link(struct db *db, void *arg)
{
	struct follow *f = arg;
	return db_link_follow(db, f->code, f->prefetch, &f->target);
}

/* A target we redirect to: http(s), no control characters (it comes from
 * the portal's table, and a CR or LF would split the header). */
static bool redirectable(const char *t)
{
	if (strncmp(t, "https://", 8) && strncmp(t, "http://", 7))
		return false;
	for (; *t; t++)
		if ((unsigned char)*t < 0x21 || *t == 0x7f)
			return false;
	return true;
}

void http_short_link(struct http_request *req, struct http_response *resp)
{
	const char *code = req->path + 3; /* after "/l/" */
	struct follow f = { .code = code,
			    .prefetch = links_is_prefetch(req->method, http_header(req, "User-Agent")) };
	char lang[4];
	int rc;

	request_lang(req, lang);
	/* Nothing but a well-formed code reaches the database. */
	rc = links_code_valid(code) ? http_write_batch(req, follow_link, &f) : 1;
	if (rc < 0) {
		page(resp, 503, lang, "Budbringer", "Please try again in a moment.", NULL, NULL);
		http_add_header(resp, "Retry-After", "5");
		goto out;
	}
	if (rc == 1 || !redirectable(f.target)) {
		http_count(req->server, "budbringer_link_unknown_total", 1);
		page(resp, 404, lang, mail_text(lang, MAIL_T_READ_MORE),
		     mail_text(lang, MAIL_T_LINK_INVALID), NULL, NULL);
		goto out;
	}
	http_count(req->server, f.prefetch ? "budbringer_link_redirects_total{counted=\"no\"}" :
			      "budbringer_link_redirects_total{counted=\"yes\"}", 1);
	resp->status = 302;
	resp->content_type = "text/plain; charset=utf-8";
	http_add_header(resp, "Location", f.target);
	/* A cached redirect would count nobody the second time. */
	http_add_header(resp, "Cache-Control", "no-store");
	http_add_header(resp, "Referrer-Policy", "no-referrer");
	sbuf_addf(&resp->body, "%s\n", f.target);
out:
	free(f.target);
}
