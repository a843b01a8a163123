/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_COST_H
#define BUDBRINGER_COST_H

/*
 * What SMS cost. Amounts are integers in thousandths of the SMS
 * providers' one currency (config sms.providers[].price_per_part and
 * currency), so sums are exact; email costs nothing per message. A sent
 * SMS stores its cost (messages.cost_milli = parts x price) in the state
 * change that records `sent`; estimates use the provider in charge, the
 * first by priority. Pure: no I/O.
 */

#include <stddef.h>

#include "budbringer/config.h"

/* The price per part of the first SMS provider by priority, in thousandths. */
long long cost_sms_price(const struct config *cfg);

/* messages x parts x price_milli, saturating instead of overflowing. */
long long cost_estimate(long long messages, unsigned parts, long long price_milli);

/*
 * Writes the amount with `decimals` (2 or 3) digits after `point` ('.'
 * or ','), rounded half up: cost_format(12345, 2, ',', …) is "12,35".
 * Returns 0, -1 when buf is too small (buf then holds "").
 */
int cost_format(long long milli, int decimals, char point, char *buf, size_t n);

#endif
