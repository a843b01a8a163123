/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SMS_GUARD_H
#define BUDBRINGER_SMS_GUARD_H

/*
 * SMS pumping: anyone who can reach the portal's form can make us text any
 * number, premium ranges included, and whoever owns those numbers is paid
 * per message. So a confirmation SMS to a number that never texted us goes
 * only to the allowed countries (sms.confirm_countries) and only within an
 * hourly cap for the whole service and one per block of numbers (the
 * number without its last SMS_GUARD_BLOCK_DIGITS digits: the ranges such
 * attacks walk through). A number that texted us is its owner asking: it
 * is never held back.
 */

#include "budbringer/config.h"
#include "budbringer/db.h"

#define SMS_GUARD_BLOCK_DIGITS 4

enum sms_guard_verdict {
	SMS_GUARD_SEND = 0,
	SMS_GUARD_COUNTRY,     /* not an allowed calling code */
	SMS_GUARD_GLOBAL_CAP,  /* sms.confirm_hourly_cap reached */
	SMS_GUARD_PREFIX_CAP,  /* sms.confirm_prefix_hourly_cap reached for its block */
};

/* The verdict for a confirmation SMS to e164 at time now; -1 on error. */
int sms_guard_check(struct db *db, const struct config *cfg, const char *e164, long long now);

/* True when code is an E.164 calling code as assigned (1, 7, the two-digit
 * ones, or three digits that begin with none of those): "4" or "451" are
 * not, so an allow-list cannot open more than the countries it names. */
bool sms_guard_calling_code(const char *code);

/* "country", "global_cap", "prefix_cap" (for metrics and logs). */
const char *sms_guard_reason(enum sms_guard_verdict v);

#endif
