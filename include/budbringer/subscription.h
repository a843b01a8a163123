/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SUBSCRIPTION_H
#define BUDBRINGER_SUBSCRIPTION_H

/*
 * Consent changes, in one place: whatever route they come by (SMS
 * keyword, email link, API, CLI), confirming, unsubscribing and
 * suppressing go through these functions, each one transaction that also
 * writes the append-only consent log.
 *
 * Rules kept here:
 * - STOP wins, always and at once: the channel's consent goes, queued
 *   campaign messages to the person become `cancelled`, and the address
 *   goes on the suppression list (hashed), so a later sign-up by another
 *   route cannot message it without fresh confirmed consent.
 * - A confirmation is fresh consent: it lifts the suppression of that
 *   address and channel.
 */

#include "budbringer/db.h"

/* Confirms consent on a channel: status active, consent recorded with its
 * source and evidence (the text of the question answered), suppression
 * lifted. 0 ok, 1 no such subscriber, -1 error. */
int subscription_confirm(struct db *db, long long subscriber_id, enum channel ch,
			 const char *source, const char *evidence, long long now);

/* Withdraws consent on one channel (or both when all is true). The
 * subscriber becomes `unsubscribed` when no channel has consent left.
 * Returns the number of queued messages cancelled, 1… ; -1 on error;
 * -2 no such subscriber. */
int subscription_unsubscribe(struct db *db, long long subscriber_id, enum channel ch, bool all,
			     const char *source, long long now);

/* A STOP from an address we do not know: recorded as a suppression and in
 * the consent log without a subscriber. */
int subscription_suppress_address(struct db *db, const char *address, enum channel ch,
				  const char *source, long long now);

#endif
