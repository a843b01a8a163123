/* SPDX-License-Identifier: MIT */
/* Bounds on confirmation SMS to numbers that never texted us (sms_guard.h). */
#include "budbringer/sms_guard.h"
#include "budbringer/db_inbound.h"
#include "budbringer/phone.h"

#include <string.h>

const char *sms_guard_reason(enum sms_guard_verdict v)
{
	switch (v) {
	case SMS_GUARD_COUNTRY: return "country";
	case SMS_GUARD_GLOBAL_CAP: return "global_cap";
	case SMS_GUARD_PREFIX_CAP: return "prefix_cap";
	default: return "send";
	}
}

/* Calling codes are a prefix code (ITU-T E.164): no code begins another,
 * so a number is in country "45" exactly when its digits start with 45. */
static bool allowed_country(const struct config *cfg, const char *e164)
{
	for (char *const *c = cfg->sms.confirm_countries; *c; c++)
		if (!strncmp(e164 + 1, *c, strlen(*c)))
			return true;
	return false;
}

bool sms_guard_calling_code(const char *code)
{
	/* ITU-T E.164 assigns 1 and 7 alone and these two-digit codes; every
	 * other code has three digits. */
	static const char two[] =
		"20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58"
		" 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98";
	size_t len = strlen(code);
	char head[3];

	if (!len || len > 3 || strspn(code, "0123456789") != len || code[0] == '0')
		return false;
	if (code[0] == '1' || code[0] == '7')
		return len == 1;
	head[0] = code[0];
	head[1] = len > 1 ? code[1] : '\0';
	head[2] = '\0';
	if (len == 1)
		return false;
	return len == 2 ? strstr(two, head) != NULL : strstr(two, head) == NULL;
}

int sms_guard_check(struct db *db, const struct config *cfg, const char *e164, long long now)
{
	char block[PHONE_E164_MAX];
	size_t len = strlen(e164);
	long long n;
	int rc;

	if ((rc = db_number_texted_us(db, e164)) != 0)
		return rc < 0 ? -1 : SMS_GUARD_SEND;
	if (len < 2 || e164[0] != '+' || !allowed_country(cfg, e164))
		return SMS_GUARD_COUNTRY;
	if ((n = db_confirm_sms_to_strangers_since(db, now - 3600, NULL)) < 0)
		return -1;
	if (n >= cfg->sms.confirm_hourly_cap)
		return SMS_GUARD_GLOBAL_CAP;
	len = len > SMS_GUARD_BLOCK_DIGITS + 1 ? len - SMS_GUARD_BLOCK_DIGITS : 1;
	memcpy(block, e164, len);
	block[len] = '\0';
	if ((n = db_confirm_sms_to_strangers_since(db, now - 3600, block)) < 0)
		return -1;
	return n >= cfg->sms.confirm_prefix_hourly_cap ? SMS_GUARD_PREFIX_CAP : SMS_GUARD_SEND;
}
