/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_FALLBACK_H
#define BUDBRINGER_FALLBACK_H

/*
 * Fallback to email: when a campaign SMS ends `failed` for good — the
 * gateway refused it at once, it ran out of attempts, or a delivery
 * report said it failed — the email version goes out instead, if
 *
 *   - the campaign falls back (its own choice, else campaigns.fallback_email),
 *     is not cancelled or expired, and its valid_until has not passed;
 *   - the person is active, still consents to SMS (an SMS that failed
 *     after a STOP is no reason to write to them) and to email, and has
 *     an email address;
 *   - the person has no email of this campaign yet: the unique key on
 *     (campaign, subscriber, channel) makes it once, whatever repeats.
 *
 * The email is rendered as the expansion renders it (render.h), queued
 * like any campaign email (quiet hours, suppressions and bounces apply
 * when it is due) and points at the SMS it stands in for
 * (messages.fallback_of); both messages get an event saying so.
 */

#include "budbringer/config.h"
#include "budbringer/db.h"

/* Call after sms_id moved to `failed`, in the same transaction. 1 an
 * email was queued, 0 none is due (not eligible, or the campaign cannot
 * be rendered: logged), -1 a database error (the caller rolls back). */
int fallback_after_failure(struct db *db, const struct config *cfg, long long sms_id, long long now);

#endif
