/* SPDX-License-Identifier: MIT */
#include "budbringer/gdpr.h"
#include "budbringer/model.h"
#include "budbringer/spool_files.h"

#include <stdlib.h>

static int audit(struct db *db, long long now, const char *actor, const char *action,
		 long long id, const char *detail)
{
	char subject[40];

	if (bsnprintf(subject, sizeof(subject), "subscriber:%lld", id) < 0)
		return -1;
	return db_audit(db, now, actor, action, subject, detail);
}

int gdpr_export(struct db *db, long long id, const char *actor, const char *detail, long long now,
		json_t **out, struct sbuf *err)
{
	int rc;

	*out = NULL;
	if (audit(db, now, actor, "gdpr.export", id, detail) < 0)
		return sbuf_fail(err, "cannot write the audit log; nothing exported");
	rc = db_gdpr_export(db, id, out);
	if (rc < 0)
		return sbuf_fail(err, "cannot read subscriber %lld", id);
	if (rc > 0)
		return 1;
	json_object_set_new(*out, "exported_at", json_integer(now));
	json_object_set_new(*out, "subscriber_id", json_integer(id));
	return 0;
}

int gdpr_erase(struct db *db, const struct config *cfg, long long id, const char *actor,
	       long long now, struct erase_result *res, struct sbuf *warn, struct sbuf *err)
{
	long long *ids = NULL;
	size_t n_ids = 0;
	char detail[160];
	bool incomplete = false;
	int rc;

	if (db_gdpr_message_ids(db, id, &ids, &n_ids) < 0)
		return sbuf_fail(err, "cannot erase subscriber %lld; nothing changed", id);
	rc = db_gdpr_erase(db, id, model_year(now), now, res);
	if (rc) {
		free(ids);
		if (rc > 0)
			return 1;
		return sbuf_fail(err, "cannot erase subscriber %lld; nothing changed", id);
	}
	/* Erased means erased: the spool provider's copies of their messages,
	 * and the old pages the WAL still holds. */
	if (spool_files_remove(cfg, ids, n_ids) < 0 && (incomplete = true))
		sbuf_addf(warn, "subscriber %lld erased, but some of their spool files could not be "
			  "removed\n", id);
	free(ids);
	if (db_checkpoint(db) != 0)
		sbuf_addf(warn, "subscriber %lld erased, but the WAL could not be checkpointed (a reader "
			  "held it): the old rows leave the WAL at the daemon's next checkpoint\n", id);
	if (bsnprintf(detail, sizeof(detail), "erased_row=%lld messages=%lld inbound=%lld "
		      "consent_rows=%lld", res->erased_id, res->messages, res->inbound,
		      res->consent_rows) < 0 ||
	    audit(db, now, actor, "gdpr.erase", id, detail) < 0) {
		sbuf_addf(warn, "subscriber %lld erased, but the audit log could not be written\n", id);
		incomplete = true;
	}
	return incomplete ? 2 : 0;
}
