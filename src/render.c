/* SPDX-License-Identifier: MIT */
#include "budbringer/render.h"
#include "budbringer/match.h"
#include "budbringer/template.h"

#include <stdlib.h>
#include <string.h>

static const char default_subject[] = "{title}";
static const char default_email[] = "{summary}\n\n{url}\n\n{stop}";

const char *render_config_text(const struct config *cfg, const struct cfg_texts *t,
			       const char *lang)
{
	const char *s = lang ? cfg_text_get(t, lang) : NULL;
	for (char *const *f = cfg->fallback; !s && *f; f++)
		s = cfg_text_get(t, *f);
	if (!s && t->n)
		s = t->v[0].text;
	return s;
}

static const char *custom_text(const struct campaign *c, const char *lang)
{
	for (size_t i = 0; i < c->n_texts; i++)
		if (!strcmp(c->texts[i].lang, lang))
			return c->texts[i].body;
	return NULL;
}

static bool has_lang(const struct render_set *rs, const char *lang)
{
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->v[i].lang, lang))
			return true;
	return false;
}

static const char *sms_url_of(const struct render_urls *u, const char *lang)
{
	for (size_t i = 0; u && i < u->n; i++)
		if (!strcmp(u->lang[i], lang))
			return u->url[i];
	return NULL;
}

static int render_one(const struct config *cfg, const struct opportunity *o,
		      const struct campaign *c, const char *lang, const char *sms_url,
		      struct rendered *r, struct sbuf *err)
{
	const struct opportunity_text *ot = opportunity_text(o, lang);
	const char *custom = custom_text(c, lang);
	struct template_values v = {
		.url = o->url, .association = o->association, .starts_at = o->starts_at,
		.location = o->location,
		.stop = render_config_text(cfg, &cfg->templates.stop, lang),
	};
	struct sbuf sb = SBUF_INIT;
	const char *tmpl;

	/* A custom text without an opportunity text in its language still
	 * needs a title for the email subject: use the best other one. */
	if (!ot)
		ot = opportunity_text_fallback(o, NULL, cfg->fallback);
	v.title = ot ? ot->title : "";
	v.summary = ot ? ot->summary : "";

	memcpy(r->lang, lang, strlen(lang) + 1);
	/* A short link stands in for the URL in the SMS only: email has room. */
	if (sms_url)
		v.url = sms_url;
	if (custom) {
		if (template_render(custom, &v, &sb, err) < 0)
			goto fail;
		if (!strstr(custom, "{stop}") && v.stop && *v.stop) {
			sbuf_addch(&sb, ' ');
			sbuf_addstr(&sb, v.stop);
		}
	} else {
		tmpl = render_config_text(cfg, &cfg->templates.sms, lang);
		if (template_render(tmpl ? tmpl : "{title}: {summary} {url} {stop}", &v, &sb, err) < 0)
			goto fail;
	}
	if (cfg->sms.transliterate) {
		struct sbuf t = SBUF_INIT;
		if (gsm_transliterate(sb.buf, sb.len, &t) == 0) {
			sbuf_release(&sb);
			sb = t;
		} else {
			sbuf_release(&t);
		}
	}
	if (gsm_analyse(sb.buf, sb.len, &r->gsm) < 0) {
		sbuf_addf(err, "text in '%s' is not valid UTF-8", lang);
		goto fail;
	}
	r->sms = sbuf_detach(&sb, NULL);
	v.url = o->url;

	tmpl = cfg_text_get(&cfg->templates.email_subject, lang);
	if (template_render(tmpl ? tmpl : default_subject, &v, &sb, err) < 0)
		goto fail;
	r->subject = sbuf_detach(&sb, NULL);
	if (custom) {
		if (template_render(custom, &v, &sb, err) < 0)
			goto fail;
		if (o->url && *o->url) {
			sbuf_addstr(&sb, "\n\n");
			sbuf_addstr(&sb, o->url);
		}
	} else {
		tmpl = cfg_text_get(&cfg->templates.email_text, lang);
		if (template_render(tmpl ? tmpl : default_email, &v, &sb, err) < 0)
			goto fail;
	}
	r->email = sbuf_detach(&sb, NULL);
	return 0;
fail:
	sbuf_release(&sb);
	return -1;
}

int render_campaign(const struct config *cfg, const struct opportunity *o,
		    const struct campaign *c, struct render_set *out, struct sbuf *err)
{
	return render_campaign_urls(cfg, o, c, NULL, out, err);
}

int render_campaign_urls(const struct config *cfg, const struct opportunity *o,
			 const struct campaign *c, const struct render_urls *sms_urls,
			 struct render_set *out, struct sbuf *err)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < c->n_texts + o->n_texts && out->n < MODEL_MAX_LANGS; i++) {
		const char *lang = i < c->n_texts ? c->texts[i].lang : o->texts[i - c->n_texts].lang;
		if (has_lang(out, lang))
			continue;
		if (render_one(cfg, o, c, lang, sms_url_of(sms_urls, lang), &out->v[out->n],
			       err) < 0) {
			render_set_release(out);
			return -1;
		}
		out->n++;
	}
	for (size_t i = 0; i < out->n; i++)
		out->langs[i] = out->v[i].lang;
	out->langs[out->n] = NULL;
	if (!out->n) {
		sbuf_addf(err, "opportunity %lld has no text in any language", o->id);
		return -1;
	}
	return 0;
}

const struct rendered *render_pick(const struct render_set *rs, const struct config *cfg,
				   const char *lang)
{
	const char *pick = match_pick_language(lang, rs->langs, (const char *const *)cfg->fallback);
	for (size_t i = 0; pick && i < rs->n; i++)
		if (!strcmp(rs->v[i].lang, pick))
			return &rs->v[i];
	return NULL;
}

void render_set_release(struct render_set *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->v[i].sms);
		free(rs->v[i].subject);
		free(rs->v[i].email);
	}
	memset(rs, 0, sizeof(*rs));
}
