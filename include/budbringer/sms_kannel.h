/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SMS_KANNEL_H
#define BUDBRINGER_SMS_KANNEL_H

/*
 * The pure half of the Kannel provider (src/sms_kannel.c): building
 * smsbox sendsms requests and reading its answers and delivery report
 * types. No I/O; unit-tested in tests/unit/test_sms_kannel.c.
 *
 * Text that fits GSM 03.38 goes as coding=0 with charset=UTF-8 (smsbox
 * converts it); anything else as coding=2 with the text in UTF-16BE and
 * charset=UTF-16BE, so that Arabic, Polish or emoji never arrive as "?".
 */

#include <stddef.h>

#include "budbringer/db_dlr.h"
#include "budbringer/gsm.h"
#include "budbringer/provider.h"
#include "budbringer/sbuf.h"

struct sms_kannel_msg {
	const char *username, *password;
	const char *sender;          /* alphanumeric or a number */
	const char *recipient;       /* E.164 with '+' */
	const char *text;            /* UTF-8 */
	enum gsm_coding coding;
	int dlr_mask;                /* 0 = no delivery reports */
	const char *dlr_url;         /* with Kannel's %d… escapes; NULL = none */
	/* Minutes the SMSC may keep trying (Kannel's sendsms `validity`,
	 * X-Kannel-Validity, "for this many minutes"); 0 = the SMSC's own. */
	int validity;
};

/* Kannel's validity for a message that expires at expires_at (0: never):
 * the whole minutes left at now, at least 1; 0 for no expiry. */
int sms_kannel_validity(long long expires_at, long long now);

/* Appends the GET URL (base plus query string) to url. -1 on invalid UTF-8. */
int sms_kannel_get_url(const char *base, const struct sms_kannel_msg *m, struct sbuf *url);

/*
 * The POST form: the text as the body (UTF-8 or UTF-16BE bytes, see
 * body->len) and the parameters as X-Kannel-* headers, appended to
 * headers as "Name: value" strings each ended by a NUL. -1 on invalid
 * UTF-8.
 */
int sms_kannel_post(const struct sms_kannel_msg *m, struct sbuf *body, struct sbuf *headers);

/*
 * Appends the dlr-url Kannel should call: base (our /sms/dlr) with the
 * shared secret, our message id and Kannel's escapes for the report
 * type (%d), the SMSC's answer (%A), its time (%T) and the link (%i).
 */
void sms_kannel_dlr_url(const char *base, const char *secret, long long msg_id, struct sbuf *out);

/*
 * Classifies sendsms's answer. http_status 0 means no HTTP answer
 * (transport error in transport, may be NULL; request_left says whether
 * the request may have reached Kannel). Writes the detail for the event
 * log.
 *   2xx ("0: Accepted for delivery", "3: Queued for later delivery") OK;
 *   401, 403, 407 (credentials), 408, 429, 5xx and no connection are
 *   temporary; any other 4xx is permanent; no answer to a request that
 *   went out is unknown (Kannel may have taken it; its DLR can still
 *   settle the message).
 */
enum send_status sms_kannel_classify(long http_status, const char *body, size_t body_len,
				     const char *transport, bool request_left, char *detail,
				     size_t detail_size);

/*
 * Kannel's report types: 1 delivered, 2 failed, 4 buffered, 8 SMSC ack,
 * 16 SMSC nack. A failure whose SMSC answer (may be NULL) says EXPIRED
 * is an expiry. 0, or -1 for any other type.
 */
int sms_kannel_dlr_outcome(int type, const char *answer, enum dlr_outcome *out);
/* "delivered to phone" … for the event log; "unknown report type" otherwise. */
const char *sms_kannel_dlr_type_name(int type);

#endif
