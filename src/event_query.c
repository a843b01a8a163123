/* SPDX-License-Identifier: MIT */
/* The delivery log's filters from text (event_query.h). */
#include "budbringer/event_query.h"
#include "budbringer/mime.h"
#include "budbringer/model.h"
#include "budbringer/phone.h"
#include "budbringer/sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TIME_FORMS "30m, 1h, 2d, 2026-11-01 or 2026-11-01T18:00"

void event_query_init(struct event_query *q)
{
	memset(q, 0, sizeof(*q));
	q->f.limit = 50;
}

/* A positive decimal id (at most 2^53, no sign, no spaces); -1 otherwise. */
static long long parse_id(const char *s)
{
	char *end = NULL;
	long long v;

	if (!s || *s < '1' || *s > '9' || strlen(s) > 16)
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || *end || v <= 0 || v > (1LL << 53) ? -1 : v;
}

int event_query_parse_time(const char *s, long long now, long long *out)
{
	long long v;
	char unit, tail;
	struct tm tm;
	const char *end;
	size_t len = strlen(s);

	if (sscanf(s, "%lld%c%c", &v, &unit, &tail) == 2 && v >= 0 && v <= 100000 &&
	    s[0] >= '0' && s[0] <= '9' && (unit == 'm' || unit == 'h' || unit == 'd')) {
		*out = now - v * (unit == 'm' ? 60 : unit == 'h' ? 3600 : 86400);
		return 0;
	}
	if (len != 10 && len != 16)
		return -1;
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, len == 10 ? "%Y-%m-%d" : "%Y-%m-%dT%H:%M", &tm);
	if (!end || *end)
		return -1;
	tm.tm_isdst = -1;
	*out = (long long)mktime(&tm);
	return *out == -1 ? -1 : 0;
}

static bool is_provider_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* value, quoted back only as far as it is short and printable. */
static const char *shown(const char *value, char buf[48])
{
	size_t i;

	for (i = 0; value[i] && i + 1 < 48; i++)
		buf[i] = (unsigned char)value[i] < 0x20 || value[i] == 0x7f ? '?' : value[i];
	buf[i] = '\0';
	if (value[i])
		memcpy(buf + 44, "...", 4);
	return buf;
}

#define WHY(fmt, value) (bsnprintf(why, n, fmt, shown(value, buf)), -1)

static int set_recipient(struct event_query *q, const char *value, const char *default_cc,
			 char *why, size_t n)
{
	char e164[PHONE_E164_MAX], buf[48];
	const char *reason = NULL;

	if (strchr(value, '@')) {
		if (strlen(value) >= sizeof(q->recipient) ||
		    mime_addr_normalise(value, q->recipient, sizeof(q->recipient)) < 0)
			return WHY("'%s' is not an email address", value);
	} else if (phone_normalise(value, default_cc, e164, &reason) < 0) {
		size_t len;

		(void)WHY("'%s' is neither a phone number nor an email address", value);
		len = strlen(why);
		if (reason && len < n)
			(void)bsnprintf(why + len, n - len, " (%s)", reason);
		return -1;
	} else {
		(void)bsnprintf(q->recipient, sizeof(q->recipient), "%s", e164);
	}
	q->f.recipient = q->recipient;
	return 0;
}

int event_query_set(struct event_query *q, const char *name, const char *value,
		    const char *default_cc, long long now, char *why, size_t n)
{
	long long v;
	char buf[48];

	if (!value || !*value)
		return !strcmp(name, "campaign") || !strcmp(name, "subscriber") ||
		       !strcmp(name, "status") || !strcmp(name, "channel") ||
		       !strcmp(name, "provider") || !strcmp(name, "since") ||
		       !strcmp(name, "until") || !strcmp(name, "recipient") ||
		       !strcmp(name, "before") ? 0 : 1;
	if (!strcmp(name, "campaign") || !strcmp(name, "subscriber") || !strcmp(name, "before")) {
		if ((v = parse_id(value)) < 0)
			return WHY("'%s' is not an id", value);
		if (name[0] == 'c')
			q->f.campaign_id = v;
		else if (name[0] == 's')
			q->f.subscriber_id = v;
		else
			q->f.before_event = v;
	} else if (!strcmp(name, "status")) {
		if (!message_state_is_valid(value))
			return WHY("'%s' is not one of: " MESSAGE_STATES, value);
		q->f.state = value;
	} else if (!strcmp(name, "channel")) {
		if (strcmp(value, "sms") && strcmp(value, "email"))
			return WHY("'%s' is not one of: sms email", value);
		q->f.channel = value;
	} else if (!strcmp(name, "provider")) {
		if (!is_provider_name(value))
			return WHY("'%s' is not a provider name (letters, digits, . _ -)", value);
		q->f.provider = value;
	} else if (!strcmp(name, "since") || !strcmp(name, "until")) {
		if (event_query_parse_time(value, now, &v) < 0)
			return WHY("'%s' must be like " TIME_FORMS, value);
		if (name[0] == 's')
			q->f.since = v;
		else
			q->f.until = v;
	} else if (!strcmp(name, "recipient")) {
		return set_recipient(q, value, default_cc, why, n);
	} else {
		return 1;
	}
	return 0;
}
