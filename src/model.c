/* SPDX-License-Identifier: MIT */
#include "budbringer/model.h"
#include "budbringer/phone.h"
#include "budbringer/sbuf.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *channel_name(enum channel c)
{
	return c == CHANNEL_SMS ? "sms" : "email";
}

int channel_parse(const char *s, enum channel *out)
{
	if (!strcmp(s, "sms"))
		*out = CHANNEL_SMS;
	else if (!strcmp(s, "email"))
		*out = CHANNEL_EMAIL;
	else
		return -1;
	return 0;
}

static bool word_in(const char *list, const char *w)
{
	size_t n = strlen(w);
	const char *p = list;
	if (!n)
		return false;
	while ((p = strstr(p, w))) {
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
		p += n;
	}
	return false;
}

bool message_state_is_valid(const char *s)
{
	return s && word_in(MESSAGE_STATES, s);
}

int model_year(long long now)
{
	time_t t = (time_t)now;
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

const struct opportunity_text *opportunity_text_fallback(const struct opportunity *o,
							 const char *lang,
							 char *const *fallback)
{
	const struct opportunity_text *t = lang ? opportunity_text(o, lang) : NULL;

	for (; !t && fallback && *fallback; fallback++)
		t = opportunity_text(o, *fallback);
	return t ? t : o->n_texts ? &o->texts[0] : NULL;
}

void recipient_mask(const char *channel, const char *recipient, char *out, size_t n)
{
	const char *at;

	if (!recipient || !strcmp(recipient, "(erased)"))
		(void)bsnprintf(out, n, "%s", recipient ? recipient : "-");
	else if (channel && !strcmp(channel, "sms"))
		phone_mask(recipient, out, n);
	else if (!(at = strchr(recipient, '@')) || at == recipient ||
		 bsnprintf(out, n, "%c\xe2\x80\xa2\xe2\x80\xa2\xe2\x80\xa2%s", recipient[0], at) < 0)
		(void)bsnprintf(out, n, "(hidden)");
}

void model_free_vec(char **v)
{
	for (; *v; v++) {
		free(*v);
		*v = NULL;
	}
}

size_t model_split_csv(const char *csv, char **out, size_t max)
{
	size_t n = 0;
	const char *p = csv;

	while (p && *p && n < max) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		while (len && *p == ' ') {
			p++;
			len--;
		}
		while (len && p[len - 1] == ' ')
			len--;
		if (len)
			out[n++] = xstrndup(p, len);
		p = e ? e + 1 : NULL;
	}
	out[n] = NULL;
	return n;
}

void opportunity_release(struct opportunity *o)
{
	free(o->association); free(o->status); free(o->location); free(o->url);
	free(o->starts_at); free(o->ends_at); free(o->published_at); free(o->updated_at);
	for (size_t i = 0; i < o->n_texts; i++) {
		free(o->texts[i].title);
		free(o->texts[i].summary);
	}
	model_free_vec(o->interests);
	memset(o, 0, sizeof(*o));
}

const struct opportunity_text *opportunity_text(const struct opportunity *o, const char *lang)
{
	for (size_t i = 0; i < o->n_texts; i++)
		if (!strcmp(o->texts[i].lang, lang))
			return &o->texts[i];
	return NULL;
}

void subscriber_release(struct subscriber *s)
{
	free(s->phone);
	free(s->email);
	model_free_vec(s->interests);
	memset(s, 0, sizeof(*s));
}

void campaign_release(struct campaign *c)
{
	model_free_vec(c->langs);
	model_free_vec(c->interests);
	free(c->created_by);
	for (size_t i = 0; i < c->n_texts; i++)
		free(c->texts[i].body);
	memset(c, 0, sizeof(*c));
}

void message_release(struct message *m)
{
	free(m->recipient); free(m->subject); free(m->body); free(m->url); free(m->title);
	memset(m, 0, sizeof(*m));
}
