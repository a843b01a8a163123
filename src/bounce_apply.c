/* SPDX-License-Identifier: MIT */
/* The rules of what a bounce or complaint does (bounce_apply.h). */
#include "budbringer/bounce_apply.h"
#include "budbringer/db_bounce.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"
#include "budbringer/subscription.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>

static const char *const outcome_names[] = {
	[BOUNCE_OUT_NONE] = "none", [BOUNCE_OUT_BOUNCED] = "bounced",
	[BOUNCE_OUT_COUNTED] = "counted", [BOUNCE_OUT_SUPPRESSED] = "suppressed",
	[BOUNCE_OUT_COMPLAINT] = "complaint", [BOUNCE_OUT_UNMATCHED] = "unmatched",
	[BOUNCE_OUT_SETTLED] = "settled", [BOUNCE_OUT_DUPLICATE] = "duplicate",
};

const char *bounce_outcome_name(enum bounce_outcome o)
{
	return (unsigned)o < sizeof(outcome_names) / sizeof(outcome_names[0]) ? outcome_names[o]
									       : "unknown";
}

void bounce_rules_from_config(const struct config *cfg, struct bounce_rules *out)
{
	out->soft_limit = cfg->bounces.soft_limit;
	out->soft_days = cfg->bounces.soft_days;
	out->alert_min = cfg->bounces.alert_min;
	out->pause_at_threshold = cfg->bounces.pause_at_threshold;
}

/* "d.d.d" at s (the enhanced status of RFC 3463), copied to out. */
static bool enhanced_status_at(const char *s, char *out, size_t n)
{
	size_t i = 0, dots = 0, digits = 0;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	for (; s[i] && (isdigit((unsigned char)s[i]) || s[i] == '.'); i++) {
		if (s[i] == '.') {
			if (!digits)
				return false;
			dots++;
			digits = 0;
		} else if (++digits > 3) {
			return false;
		}
	}
	if (dots != 2 || !digits || i >= n)
		return false;
	memcpy(out, s, i);
	out[i] = '\0';
	return true;
}

void bounce_report_from_smtp(long long msg_id, const char *answer, struct bounce_report *out)
{
	const char *p;

	memset(out, 0, sizeof(*out));
	out->kind = BOUNCE_PERMANENT;
	out->message_id = msg_id;
	(void)bsnprintf(out->diagnostic, sizeof(out->diagnostic), "%s", answer ? answer : "");
	(void)bsnprintf(out->reason, sizeof(out->reason), "refused in the SMTP session");
	/* "550 5.1.1 text": the enhanced code after the reply code. */
	for (p = out->diagnostic; *p; p++)
		if ((p == out->diagnostic || p[-1] == ' ') &&
		    enhanced_status_at(p, out->status, sizeof(out->status)))
			break;
	if (!out->status[0])
		(void)bsnprintf(out->status, sizeof(out->status), "5.0.0");
}

/* The server's words for the message's reason: status and diagnostic. */
static void server_words(const struct bounce_report *r, char *out, size_t n)
{
	int rc;

	if (r->diagnostic[0] && r->status[0] && !strstr(r->diagnostic, r->status))
		rc = bsnprintf(out, n, "%s %s", r->status, r->diagnostic);
	else if (r->diagnostic[0])
		rc = bsnprintf(out, n, "%s", r->diagnostic);
	else if (r->status[0])
		rc = bsnprintf(out, n, "%s %s", r->status, r->reason);
	else
		rc = bsnprintf(out, n, "%s", r->reason);
	(void)rc; /* cut to the column: still the server's words */
}

static bool state_is(const char *state, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(state, *list))
			return true;
	return false;
}

/* After a hard bounce or a complaint: the campaign's thresholds. */
static int check_rates(struct db *db, const struct bounce_rules *rules, long long campaign_id,
		       long long now, struct bounce_result *out)
{
	struct bounce_rates rates;
	double hard, complaints;
	int rc;

	if (db_bounce_campaign_rates(db, campaign_id, &rates) < 0)
		return -1;
	if (rates.out < rules->alert_min || rates.out <= 0)
		return 0;
	hard = 100.0 * (double)rates.bounced / (double)rates.out;
	complaints = 100.0 * (double)rates.complaints / (double)rates.out;
	if (hard > BOUNCE_HARD_RATE_PCT) {
		(void)bsnprintf(out->hard_rate, sizeof(out->hard_rate), "%.2f%%", hard);
		rc = db_bounce_alert(db, campaign_id, "hard_bounce", out->hard_rate,
				     rules->pause_at_threshold, now);
		if (rc < 0)
			return -1;
		out->alert_hard = rc == 0;
	}
	if (complaints > BOUNCE_COMPLAINT_RATE_PCT) {
		(void)bsnprintf(out->complaint_rate, sizeof(out->complaint_rate), "%.2f%%", complaints);
		rc = db_bounce_alert(db, campaign_id, "complaint", out->complaint_rate,
				     rules->pause_at_threshold, now);
		if (rc < 0)
			return -1;
		out->alert_complaint = rc == 0;
	}
	if ((out->alert_hard || out->alert_complaint) && rules->pause_at_threshold) {
		int n = db_bounce_hold_campaign(db, campaign_id, BOUNCE_PAUSE_REASON, now);
		if (n < 0)
			return -1;
		out->paused = true;
		out->paused_messages = n;
	}
	return 0;
}

/*
 * Whether a permanent failure says the address itself is bad (RFC 3463):
 * addressing (5.1.x), a disabled mailbox (5.2.1), Exchange Online's
 * "recipient address rejected" (5.4.1), and the generic 5.0.0 of a bare
 * 5xx. The rest refused this message, not the person: a full mailbox
 * (5.2.2, 5.2.3), the receiving system (5.3.x, e.g. 552 message too big),
 * protocol (5.5.x), content (5.6.x), policy and reputation (5.7.x) — were
 * those suppressed, a block on our domain would silence every good
 * address it touched. Such a message is still `bounced`.
 */
bool bounce_names_address(const char *status)
{
	if (!status || status[0] != '5' || status[1] != '.')
		return true;	/* a 5xx without a usable code: the server's word */
	switch (status[2]) {
	case '0':
	case '1':
		return true;
	case '2':
		return !strncmp(status + 3, ".1", 2) && (status[5] == '\0' || status[5] == '.');
	case '4':
		return !strcmp(status + 3, ".1");
	default:
		return false;
	}
}

/* The MTA gave up on a message after temporary failures only (Postfix's
 * "failed" DSN with the last 4.x.x status once maximal_queue_lifetime has
 * passed): the message is bounced, the address counts as a soft bounce. */
static bool gave_up(const struct bounce_report *r)
{
	return r->kind == BOUNCE_PERMANENT && r->status[0] == '4';
}

static int permanent(struct db *db, const struct bounce_report *r, const char *via,
		     const struct bounce_target *t, long long now, struct bounce_row *row,
		     struct bounce_result *out)
{
	static const char *const open[] = { "sent", "delivered", "unknown", "sending", NULL };
	char reason[BOUNCE_DIAG_MAX + 40], detail[BOUNCE_DIAG_MAX + 60], source[64];
	struct message_change ch = { .to = "bounced", .now = now };
	int rc;

	if (!state_is(t->state, open)) {
		out->outcome = BOUNCE_OUT_SETTLED;
		return 0;
	}
	server_words(r, reason, sizeof(reason));
	(void)bsnprintf(detail, sizeof(detail), "bounce (%s): %s", via, reason);
	ch.reason = reason;
	ch.detail = detail;
	rc = db_message_transition(db, t->id, t->state, &ch);
	if (rc < 0)
		return -1;
	if (rc == 1) { /* settled meanwhile */
		out->outcome = BOUNCE_OUT_SETTLED;
		return 0;
	}
	if (gave_up(r)) { /* counted by temporary() after the row is in */
		out->gave_up = true;
		return 0;
	}
	row->outcome = "bounced";
	out->outcome = BOUNCE_OUT_BOUNCED;
	if (!bounce_names_address(r->status))
		return 0;
	(void)bsnprintf(source, sizeof(source), "bounce:msg=%lld %s", t->id, r->status);
	out->suppressed = true;
	return db_bounce_suppress(db, t->recipient, "bounce", source, now) < 0 ? -1 : 0;
}

static int temporary(struct db *db, const struct bounce_rules *rules,
		     const struct bounce_report *r, const struct bounce_target *t, long long now,
		     long long row_id, struct bounce_result *out)
{
	static const char *const settled[] = { "bounced", "failed", NULL };
	char h[65], source[64];
	long long n;

	if (!gave_up(r) && state_is(t->state, settled)) {
		out->outcome = BOUNCE_OUT_SETTLED;
		return db_bounce_set_outcome(db, row_id, "settled");
	}
	db_suppression_hash(db, t->recipient, h);
	n = db_bounce_soft_count(db, h, now - (long long)rules->soft_days * 86400);
	if (n < 0)
		return -1;
	out->soft_count = n;
	out->outcome = BOUNCE_OUT_COUNTED;
	if (n < rules->soft_limit)
		return 0;
	(void)bsnprintf(source, sizeof(source), "bounce:%lld soft in %d days", n, rules->soft_days);
	if (db_bounce_suppress(db, t->recipient, "bounce", source, now) < 0 ||
	    db_bounce_set_outcome(db, row_id, "suppressed") < 0)
		return -1;
	out->outcome = BOUNCE_OUT_SUPPRESSED;
	return 0;
}

static int complaint(struct db *db, const struct bounce_target *t, long long now,
		     struct bounce_result *out)
{
	char source[64];

	/* Consent is the person's: withdrawn only while this is still their
	 * address; the address itself is suppressed either way. */
	if (t->subscriber_id && t->recipient_is_subscribers && t->email_consent) {
		if (subscription_unsubscribe(db, t->subscriber_id, CHANNEL_EMAIL, false, "complaint",
					     now) == -1)
			return -1;
		out->unsubscribed = true;
	}
	(void)bsnprintf(source, sizeof(source), "complaint:msg=%lld", t->id);
	if (db_bounce_suppress(db, t->recipient, "complaint", source, now) < 0)
		return -1;
	out->outcome = BOUNCE_OUT_COMPLAINT;
	return 0;
}

static const char *initial_outcome(enum bounce_kind k)
{
	return k == BOUNCE_PERMANENT ? "bounced" : k == BOUNCE_TEMPORARY ? "counted" : "complaint";
}

int bounce_apply(struct db *db, const struct bounce_rules *rules, const struct bounce_report *r,
		 const char *via, const char *fallback_key, long long now, struct bounce_result *out)
{
	static const char *const never_sent[] = { "queued", "suppressed", "cancelled", "expired", NULL };
	struct bounce_target t;
	struct bounce_row row = { .at = now, .via = via };
	char key[128], h[65];
	long long row_id = 0;
	int found, seen;

	memset(out, 0, sizeof(*out));
	if (r->kind == BOUNCE_NONE)
		return 0;
	/* Given up after temporary failures: a soft bounce of the address. */
	row.kind = bounce_kind_name(gave_up(r) ? BOUNCE_TEMPORARY : r->kind);
	row.status = r->status;
	row.diagnostic = r->diagnostic;
	row.feedback_type = r->feedback_type;
	if (db_begin(db) < 0)
		return -1;
	found = db_bounce_find_message(db, r->message_id, r->message_id_header, &t);
	if (found < 0)
		goto fail;
	if (found == 0) {
		out->message_id = row.message_id = t.id;
		out->campaign_id = row.campaign_id = t.campaign_id;
		/* The report's own kind: "delayed" and then "failed" with one
		 * 4.x.x status are two reports. */
		if (bsnprintf(key, sizeof(key), "m%lld:%s:%s", t.id, bounce_kind_name(r->kind),
			      r->kind == BOUNCE_COMPLAINT ? "" : r->status) < 0)
			goto fail;
		row.dedupe_key = key;
	} else {
		row.dedupe_key = fallback_key;
	}
	if ((seen = db_bounce_seen(db, row.dedupe_key)) < 0)
		goto fail;
	if (seen) {
		row.outcome = "duplicate";
		row.dedupe_key = NULL;
		out->outcome = BOUNCE_OUT_DUPLICATE;
	} else if (found || strcmp(t.channel, "email") || state_is(t.state, never_sent)) {
		row.outcome = "unmatched";
		out->outcome = BOUNCE_OUT_UNMATCHED;
	} else {
		db_suppression_hash(db, t.recipient, h);
		row.address_sha256 = h;
		row.outcome = initial_outcome(gave_up(r) ? BOUNCE_TEMPORARY : r->kind);
	}
	if (r->kind == BOUNCE_PERMANENT && row.address_sha256 &&
	    permanent(db, r, via, &t, now, &row, out) < 0)
		goto fail;
	if (out->outcome == BOUNCE_OUT_SETTLED)
		row.outcome = "settled";
	if (db_bounce_insert(db, &row, &row_id) < 0)
		goto fail;
	if (row.address_sha256 && (r->kind == BOUNCE_TEMPORARY || out->gave_up) &&
	    temporary(db, rules, r, &t, now, row_id, out) < 0)
		goto fail;
	if (row.address_sha256 && r->kind == BOUNCE_COMPLAINT && complaint(db, &t, now, out) < 0)
		goto fail;
	if ((out->outcome == BOUNCE_OUT_BOUNCED || out->outcome == BOUNCE_OUT_COMPLAINT) &&
	    t.campaign_id && check_rates(db, rules, t.campaign_id, now, out) < 0)
		goto fail;
	if (db_commit(db) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
fail:
	db_rollback(db);
	memset(out, 0, sizeof(*out));
	return -1;
}

/* "raw:" and the SHA-256 of the mail: how a mail naming no message of ours
 * is known again when the MTA hands it over a second time. */
void bounce_raw_key(const char *mail, size_t len, char out[70])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	memcpy(out, "raw:", 4);
	if (!EVP_Digest(mail, len, md, &n, EVP_sha256(), NULL) || n != 32) {
		out[4] = '\0';
		return;
	}
	for (unsigned i = 0; i < 32; i++) {
		out[4 + 2 * i] = hex[md[i] >> 4];
		out[5 + 2 * i] = hex[md[i] & 15];
	}
	out[68] = '\0';
}
