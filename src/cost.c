/* SPDX-License-Identifier: MIT */
#include "budbringer/cost.h"
#include "budbringer/sbuf.h"

#include <limits.h>
#include <stdio.h>

long long cost_sms_price(const struct config *cfg)
{
	return cfg->sms.n_providers ? cfg->sms.providers[0].price_milli : 0;
}

long long cost_estimate(long long messages, unsigned parts, long long price_milli)
{
	long long per;

	if (messages <= 0 || price_milli <= 0)
		return 0;
	if (!parts)
		parts = 1;
	if (price_milli > LLONG_MAX / parts)
		return LLONG_MAX;
	per = price_milli * (long long)parts;
	return messages > LLONG_MAX / per ? LLONG_MAX : messages * per;
}

int cost_format(long long milli, int decimals, char point, char *buf, size_t n)
{
	long long v = milli < 0 ? -(milli == LLONG_MIN ? LLONG_MIN + 1 : milli) : milli, whole, frac;
	int rc;

	if (decimals == 2) {
		v = v / 10 + (v % 10 >= 5);   /* half up, without overflowing */
		whole = v / 100;
		frac = v % 100;
		rc = bsnprintf(buf, n, "%s%lld%c%02lld", milli < 0 ? "-" : "", whole, point, frac);
	} else {
		whole = v / 1000;
		frac = v % 1000;
		rc = bsnprintf(buf, n, "%s%lld%c%03lld", milli < 0 ? "-" : "", whole, point, frac);
	}
	if (rc < 0 && n)
		buf[0] = '\0';
	return rc < 0 ? -1 : 0;
}
