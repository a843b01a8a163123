/* SPDX-License-Identifier: MIT */
/* Email provider families by recipient domain (mail_provider.h). */
#include "budbringer/mail_provider.h"

#include <stdbool.h>
#include <string.h>

/* domain is `name.` followed by a top-level part: hotmail.dk, hotmail.co.uk */
static bool family(const char *domain, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(domain, name, n) && domain[n] == '.' && domain[n + 1];
}

const char *mail_provider_of(const char *domain)
{
	static const struct {
		const char *domain, *provider;
	} exact[] = {
		{ "gmail.com", "gmail" }, { "googlemail.com", "gmail" },
		{ "msn.com", "outlook" }, { "passport.com", "outlook" },
		{ "ymail.com", "yahoo" }, { "rocketmail.com", "yahoo" },
		{ "icloud.com", "icloud" }, { "me.com", "icloud" }, { "mac.com", "icloud" },
	};

	if (!domain || !*domain)
		return "(none)";
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (!strcmp(domain, exact[i].domain))
			return exact[i].provider;
	if (family(domain, "outlook") || family(domain, "hotmail") || family(domain, "live"))
		return "outlook";
	if (family(domain, "yahoo"))
		return "yahoo";
	return domain;
}
