/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MAIL_CONFIRM_H
#define BUDBRINGER_MAIL_CONFIRM_H

/*
 * Email double opt-in: the confirmation message and its signed link.
 *
 * The link is  http.public_url + "/confirm?t=" TOKEN , where TOKEN is a
 * token.h token with purpose "confirm", the subscriber's id, an expiry of
 * email.confirm_valid_days (mail_confirm_expires()) and, as its channel
 * claim, a keyed tag of the email address: a link only confirms the
 * address it was sent to. GET /confirm (http_links.c) checks all of that
 * and asks; only the page's POST records the consent through
 * subscription_confirm().
 */

#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/db.h"

#define MAIL_CONFIRM_GAP	600		/* at most one confirmation per 10 minutes */
#define MAIL_ADDRESS_TAG_LEN	16

/*
 * When a confirmation link made at now stops working (and its message
 * expires): now + email.confirm_valid_days days.
 */
long long mail_confirm_expires(const struct config *cfg, long long now);

/*
 * Queues a confirmation email (message kind "confirm", not part of any
 * campaign) to the subscriber's email address, in the subscriber's
 * language (English when there is no built-in text for it). The message
 * expires with its link. Call it after adding a pending subscriber with an
 * email address (e.g. the portal sign-up API); then wake the daemon's loop
 * (http_request_wake() from an HTTP handler) so it goes out at once.
 *
 * Uses db in the calling thread; does its own single INSERT (no explicit
 * transaction, so it may be called inside the caller's transaction).
 * Returns 0 queued, 1 no such subscriber or no email address, 2 one was
 * already queued in the last MAIL_CONFIRM_GAP seconds (nothing queued:
 * protects people from sign-up floods in their name), -1 error (logged).
 */
int mail_queue_confirmation(struct db *db, const struct config *cfg, long long subscriber_id,
			    long long now);

/*
 * The token claim binding a link (confirm, and unsubscribe in outbox.c)
 * to an address: the first 16 hex digits
 * of SHA-256(secret_key "|" address), so the token does not reveal the
 * address. out gets MAIL_ADDRESS_TAG_LEN characters and a NUL. 0 or -1.
 */
int mail_address_tag(const struct config *cfg, const char *address,
		     char out[MAIL_ADDRESS_TAG_LEN + 1]);

#endif
