/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_GDPR_H
#define BUDBRINGER_GDPR_H

/*
 * A person's GDPR requests as staff answer them, one code path for
 * `budbringer subscriber export | erase` and the dashboard's people page:
 * the audit row with the staff member's name, the data itself
 * (db_gdpr.h), and for an erasure the spool providers' copies and the
 * WAL's old pages too.
 */

#include <jansson.h>

#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/sbuf.h"

/*
 * Everything held about subscriber id as JSON (caller decrefs *out), with
 * exported_at and subscriber_id. The audit row (gdpr.export, actor,
 * detail) is written first, so no export goes unrecorded. 0; 1 no such
 * subscriber; -1 error (err says which step).
 */
int gdpr_export(struct db *db, long long id, const char *actor, const char *detail, long long now,
		json_t **out, struct sbuf *err);

/*
 * Erases subscriber id (db_gdpr_erase()), removes the spool files of
 * their messages, checkpoints the WAL and writes the audit row
 * (gdpr.erase). 0 erased (warn may hold a note: the WAL is finished at
 * the daemon's next checkpoint); 2 erased, but a spool file or the audit
 * row could not be written (in warn); 1 no such subscriber; -1 nothing
 * changed (err says why).
 */
int gdpr_erase(struct db *db, const struct config *cfg, long long id, const char *actor,
	       long long now, struct erase_result *res, struct sbuf *warn, struct sbuf *err);

#endif
