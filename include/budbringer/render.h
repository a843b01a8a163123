/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_RENDER_H
#define BUDBRINGER_RENDER_H

/*
 * Renders a campaign's messages, once per language (the text does not
 * depend on the subscriber beyond the language). Pure: no I/O.
 *
 * Languages with text are those of the campaign's own texts and the
 * opportunity's texts. For each: the SMS is the campaign's custom text
 * (itself a template) or the config's SMS template filled with the
 * opportunity's title and summary; the stop hint ({stop}) is appended
 * when a custom text leaves it out, because every campaign SMS must say
 * how to leave. A subscriber gets the language picked by
 * render_pick(): its own, else the fallback chain.
 */

#include "budbringer/config.h"
#include "budbringer/gsm.h"
#include "budbringer/model.h"
#include "budbringer/sbuf.h"

struct rendered {
	char lang[4];
	char *sms;
	char *subject;
	char *email;
	struct gsm_info gsm;
};

struct render_set {
	struct rendered v[MODEL_MAX_LANGS];
	size_t n;
	const char *langs[MODEL_MAX_LANGS + 1]; /* NULL-terminated, point into v */
};

/* Fills out; -1 with a reason in err (a template that does not render). */
int render_campaign(const struct config *cfg, const struct opportunity *o,
		    const struct campaign *c, struct render_set *out, struct sbuf *err);
/* Per language, the URL an SMS carries instead of the opportunity's (a
 * short link, links.h); languages not listed keep the opportunity's. */
struct render_urls {
	const char *lang[MODEL_MAX_LANGS];
	const char *url[MODEL_MAX_LANGS];
	size_t n;
};
/* As render_campaign(), with {url} in the SMS from sms_urls (may be NULL). */
int render_campaign_urls(const struct config *cfg, const struct opportunity *o,
			 const struct campaign *c, const struct render_urls *sms_urls,
			 struct render_set *out, struct sbuf *err);
/* The rendering for a subscriber whose language is `lang`; NULL if none. */
const struct rendered *render_pick(const struct render_set *rs, const struct config *cfg,
				   const char *lang);
void render_set_release(struct render_set *rs);

/* The config text for lang along the fallback chain (templates, stop hints). */
const char *render_config_text(const struct config *cfg, const struct cfg_texts *t,
			       const char *lang);

#endif
