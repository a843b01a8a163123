/* SPDX-License-Identifier: MIT */
#include "budbringer/subscription.h"
#include "budbringer/log.h"

#include <string.h>

int subscription_confirm(struct db *db, long long subscriber_id, enum channel ch,
			 const char *source, const char *evidence, long long now)
{
	struct subscriber s;
	const char *addr;
	int rc = db_subscriber_get(db, subscriber_id, &s);

	if (rc)
		return rc;
	addr = ch == CHANNEL_SMS ? s.phone : s.email;
	if (!addr) {
		subscriber_release(&s);
		return 1;
	}
	if (db_begin(db) < 0)
		goto fail;
	if (db_subscriber_set_consent(db, subscriber_id, ch, true, source, now) < 0 ||
	    db_consent_log(db, subscriber_id, now, channel_name(ch), "grant", source, evidence) < 0 ||
	    db_unsuppress(db, addr, channel_name(ch)) < 0 ||
	    db_subscriber_settle_status(db, subscriber_id, now) < 0 ||
	    db_commit(db) < 0) {
		db_rollback(db);
		goto fail;
	}
	log_info("consent confirmed subscriber=%lld channel=%s source=%s", subscriber_id,
		 channel_name(ch), source);
	subscriber_release(&s);
	return 0;
fail:
	subscriber_release(&s);
	return -1;
}

int subscription_unsubscribe(struct db *db, long long subscriber_id, enum channel ch, bool all,
			     const char *source, long long now)
{
	struct subscriber s;
	int cancelled = 0, n, rc = db_subscriber_get(db, subscriber_id, &s);

	if (rc)
		return rc == 1 ? -2 : -1;
	if (db_begin(db) < 0)
		goto fail;
	for (int c = 0; c < CHANNEL_COUNT; c++) {
		const char *addr = c == CHANNEL_SMS ? s.phone : s.email;
		if (!all && c != (int)ch)
			continue;
		if (!addr)
			continue;
		if (db_subscriber_set_consent(db, subscriber_id, (enum channel)c, false, source, now) < 0 ||
		    db_consent_log(db, subscriber_id, now, channel_name((enum channel)c), "revoke",
				   source, NULL) < 0 ||
		    db_suppress(db, addr, channel_name((enum channel)c), "unsubscribed", source, now) < 0)
			goto rollback;
	}
	/* Nothing of a campaign reaches someone who said stop, on any channel
	 * they stopped: the cancel is per subscriber, the channel filter below. */
	n = db_message_cancel_queued_channel(db, subscriber_id, all ? NULL : channel_name(ch),
					     "unsubscribed", now);
	if (n < 0)
		goto rollback;
	cancelled = n;
	if (db_subscriber_settle_status(db, subscriber_id, now) < 0 || db_commit(db) < 0)
		goto rollback;
	log_info("unsubscribed subscriber=%lld channel=%s source=%s cancelled=%d", subscriber_id,
		 all ? "all" : channel_name(ch), source, cancelled);
	subscriber_release(&s);
	return cancelled;
rollback:
	db_rollback(db);
fail:
	subscriber_release(&s);
	return -1;
}

int subscription_suppress_address(struct db *db, const char *address, enum channel ch,
				  const char *source, long long now)
{
	if (db_begin(db) < 0)
		return -1;
	if (db_suppress(db, address, channel_name(ch), "stop", source, now) < 0 ||
	    db_consent_log(db, 0, now, channel_name(ch), "suppress", source, NULL) < 0 ||
	    db_commit(db) < 0) {
		db_rollback(db);
		return -1;
	}
	log_info("address suppressed channel=%s source=%s", channel_name(ch), source);
	return 0;
}
