/* SPDX-License-Identifier: MIT */
/* Fallback to email of a failed campaign SMS (see fallback.h). */
#include "budbringer/fallback.h"
#include "budbringer/db_fallback.h"
#include "budbringer/log.h"
#include "budbringer/render.h"

#include <stdlib.h>

int fallback_after_failure(struct db *db, const struct config *cfg, long long sms_id, long long now)
{
	struct fallback_candidate fc;
	struct campaign c;
	struct opportunity o;
	struct render_set rs;
	struct sbuf err = SBUF_INIT;
	const struct rendered *rd;
	long long id = 0;
	int rc, ret = 0;

	rc = db_fallback_candidate(db, sms_id, cfg->campaigns.fallback_email, now, &fc);
	if (rc)
		return rc < 0 ? -1 : 0;
	if ((rc = db_campaign_get(db, fc.campaign_id, &c)) != 0) {
		ret = rc < 0 ? -1 : 0;
		goto out_fc;
	}
	if ((rc = db_opportunity_get(db, c.opportunity_id, &o)) != 0) {
		ret = rc < 0 ? -1 : 0;
		goto out_c;
	}
	/* The email of the expansion: without short links, whose counts are SMS's. */
	if (render_campaign(cfg, &o, &c, &rs, &err) < 0) {
		log_warn("campaign=%lld: no fallback email for msg=%lld: %s", c.id, sms_id, err.buf);
		goto out_o;
	}
	rd = render_pick(&rs, cfg, fc.lang);
	if (rd) {
		rc = db_fallback_insert(db, &fc, sms_id, rd->lang, rd->subject, rd->email, now, &id);
		if (rc < 0)
			ret = -1;
		else if (rc == 0) {
			ret = 1;
			log_info("fallback email queued msg=%lld sms=%lld campaign=%lld", id, sms_id, c.id);
		}
	}
	render_set_release(&rs);
out_o:
	opportunity_release(&o);
out_c:
	campaign_release(&c);
out_fc:
	free(fc.email);
	sbuf_release(&err);
	return ret;
}
