/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_LINKS_H
#define BUDBRINGER_LINKS_H

/*
 * Short links in SMS (config links.shorten): the opportunity's URL in a
 * campaign SMS becomes  http.public_url + "/l/" + CODE , one code per
 * (campaign, channel, language), and GET /l/CODE (http_links.c) answers
 * 302 to the opportunity and counts a click for that campaign, channel
 * and language — never for a person: the code is the same for everyone
 * who got the text, and neither the subscriber nor the caller's address
 * is stored. Link scanners and previewers (HEAD, known user agents) are
 * redirected but counted apart, as prefetches.
 *
 * Codes are LINKS_CODE_LEN characters of base62 drawn from getrandom(2)
 * (about 47 bits each): one says nothing about another, so nobody can
 * walk from their own link to another campaign's counts.
 * Pure helpers besides links_code_new() (which reads the kernel's CSPRNG).
 */

#include <stdbool.h>

#include "budbringer/config.h"
#include "budbringer/sbuf.h"

#define LINKS_CODE_LEN 8

/* A fresh random code, NUL-terminated. 0, or -1 when the kernel gave no
 * random bytes (logged). */
int links_code_new(char out[LINKS_CODE_LEN + 1]);

/* True for exactly LINKS_CODE_LEN characters of [0-9A-Za-z]: anything
 * else is refused before the database sees it. */
bool links_code_valid(const char *s);

/* True when a request is a machine looking, not a person following the
 * link: HEAD, or a user agent of a known link previewer or scanner
 * (facebookexternalhit, Slackbot, WhatsApp, Twitterbot, TelegramBot,
 * SkypeUriPreview, Googlebot, bingbot, BingPreview, Microsoft Office and
 * Outlook's Safe Links, …). A missing user agent is a person: some phones
 * send none. */
bool links_is_prefetch(const char *method, const char *user_agent);

/* Appends http.public_url + "/l/" + code to out. */
void links_short_url(const struct config *cfg, const char *code, struct sbuf *out);

#endif
