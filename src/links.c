/* SPDX-License-Identifier: MIT */
/* Short link codes and who counts as a click (see links.h). */
#include "budbringer/links.h"
#include "budbringer/log.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

static const char base62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int links_code_new(char out[LINKS_CODE_LEN + 1])
{
	unsigned char r[64];
	size_t n = 0;

	/* Rejection sampling: bytes of 248 and more would favour the first
	 * eight characters. 64 bytes give eight good ones all but always. */
	while (n < LINKS_CODE_LEN) {
		ssize_t got = getrandom(r, sizeof(r), 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < (ssize_t)sizeof(r))
			return error("getrandom: %s", got < 0 ? strerror(errno) : "short read");
		for (size_t i = 0; i < sizeof(r) && n < LINKS_CODE_LEN; i++)
			if (r[i] < 248)
				out[n++] = base62[r[i] % 62];
	}
	out[n] = '\0';
	return 0;
}

bool links_code_valid(const char *s)
{
	return s && strlen(s) == LINKS_CODE_LEN && strspn(s, base62) == LINKS_CODE_LEN;
}

bool links_is_prefetch(const char *method, const char *user_agent)
{
	/* Previewers of chat apps and social networks, search crawlers, and
	 * the link checkers of mail and office suites. curl and browsers are
	 * people. */
	static const char *const bots[] = { "facebookexternalhit", "facebot", "slackbot",
		"slack-imgproxy", "whatsapp", "twitterbot", "telegrambot", "skypeuripreview",
		"googlebot", "google-inspectiontool", "bingbot", "bingpreview", "microsoft office",
		"ms office", "outlook", "safelinks", "linkedinbot", "discordbot", "applebot",
		"redditbot", "pinterest", "vkshare", "embedly", "iframely", "viber", "snapchat",
		"yandexbot", "duckduckbot", NULL };

	if (method && !strcmp(method, "HEAD"))
		return true;
	if (!user_agent)
		return false;
	for (const char *const *b = bots; *b; b++) {
		size_t n = strlen(*b);

		for (const char *p = user_agent; *p; p++)
			if (!strncasecmp(p, *b, n))
				return true;
	}
	return false;
}

void links_short_url(const struct config *cfg, const char *code, struct sbuf *out)
{
	const char *base = cfg->http.public_url;
	size_t n = strlen(base);

	while (n && base[n - 1] == '/')
		n--;
	sbuf_add(out, base, n);
	sbuf_addf(out, "/l/%s", code);
}
