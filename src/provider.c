/* SPDX-License-Identifier: MIT */
/* The provider registry: type name -> ops table. */
#include "budbringer/provider.h"
#include "budbringer/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct provider_ops spool_sms_ops;
extern const struct provider_ops spool_mail_ops;
extern const struct provider_ops kannel_sms_ops;
extern const struct provider_ops rest_sms_ops;
extern const struct provider_ops smtp_mail_ops;

static const struct provider_ops *const registry[] = {
	&spool_sms_ops,
	&spool_mail_ops,
	&kannel_sms_ops,
	&rest_sms_ops,
	&smtp_mail_ops,
};

struct provider *provider_new_ops(const struct provider_ops *ops, const char *name,
				  const struct config *cfg, const struct cfg_sms_provider *sms,
				  struct sbuf *err)
{
	struct provider *p = xcalloc(1, sizeof(*p));

	p->ops = ops;
	p->name = xstrdup(name);
	p->cfg = cfg;
	p->sms = sms;
	p->wake_fd = -1;
	p->idempotent = sms ? sms->idempotent : !strcmp(ops->type, "spool");
	p->rate = sms ? sms->rate : cfg->email.smtp.rate;
	p->rate_share = p->rate;
	p->tokens = p->rate > 0 ? p->rate : 0;
	if (ops->init(p, err) < 0) {
		free(p->name);
		free(p);
		return NULL;
	}
	return p;
}

struct provider *provider_new(const char *type, const char *name, const struct config *cfg,
			      const struct cfg_sms_provider *sms, struct sbuf *err)
{
	enum channel ch = sms ? CHANNEL_SMS : CHANNEL_EMAIL;

	for (size_t i = 0; i < sizeof(registry) / sizeof(registry[0]); i++) {
		const struct provider_ops *ops = registry[i];

		if (!strcmp(ops->type, type) && ops->channel == ch)
			return provider_new_ops(ops, name, cfg, sms, err);
	}
	sbuf_addf(err, "no %s provider of type '%s' in this build", channel_name(ch), type);
	return NULL;
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	if (p->ops->free)
		p->ops->free(p);
	free(p->name);
	free(p);
}

void send_result_set(struct send_result *r, long long msg_id, enum send_status st,
		     const char *provider_msgid, const char *fmt, ...)
{
	va_list ap;
	r->msg_id = msg_id;
	r->status = st;
	r->rejected = false;
	if (bsnprintf(r->provider_msgid, sizeof(r->provider_msgid), "%s",
		      provider_msgid ? provider_msgid : "") < 0)
		r->provider_msgid[0] = '\0';
	va_start(ap, fmt);
	if (vsnprintf(r->detail, sizeof(r->detail), fmt, ap) < 0)
		r->detail[0] = '\0';
	va_end(ap);
}

enum send_status send_no_answer(const char *gateway, bool request_left, const char *transport,
				char *detail, size_t detail_size)
{
	const char *why = transport && *transport ? transport : "transport error";

	if (request_left)
		(void)bsnprintf(detail, detail_size, "no answer from %s after the request went out: %s",
				gateway, why);
	else
		(void)bsnprintf(detail, detail_size, "%s was not reached: %s", gateway, why);
	return request_left ? SEND_UNKNOWN : SEND_TEMPFAIL;
}
