/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_SMS_REST_H
#define BUDBRINGER_SMS_REST_H

/*
 * The pure half of the JSON REST provider (src/sms_rest.c): the request
 * body in the configured shape (config sms.providers.request, defaults
 * as GatewayAPI.com), the gateway's answer and its delivery reports.
 * No I/O; unit-tested in tests/unit/test_sms_rest.c.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/config.h"
#include "budbringer/db_dlr.h"
#include "budbringer/gsm.h"
#include "budbringer/provider.h"
#include "budbringer/sbuf.h"

struct sms_rest_msg {
	const char *sender;
	const char *recipient;       /* E.164 with '+' */
	const char *text;            /* UTF-8 */
	enum gsm_coding coding;
	long long msg_id;            /* our id, sent as the userref */
	const char *callback_url;    /* NULL = none */
};

/* Appends the JSON body. -1 when the recipient is not E.164. */
int sms_rest_body(const struct cfg_rest_request *shape, const struct sms_rest_msg *m,
		  struct sbuf *out);

/* The auth header line ("Authorization: Bearer TOKEN"); scheme "Basic"
 * base64-encodes the token ("user:password"). Nothing when token is "". */
void sms_rest_auth_header(const char *header, const char *scheme, const char *token,
			  struct sbuf *out);

/*
 * Classifies the gateway's answer like sms_kannel_classify() (no answer
 * to a request that went out is SEND_UNKNOWN), and on success copies the
 * gateway's message id (first of "ids", or "id", "message_id",
 * "messageId", "messages"[0].id …) to msgid (may stay "").
 * A 2xx whose body is not JSON is temporary when the provider is
 * idempotent (a retry with the same key is safe and recovers the id),
 * otherwise accepted (a retry could send the text twice).
 */
enum send_status sms_rest_classify(long http_status, const char *body, size_t body_len,
				   const char *transport, bool request_left, bool idempotent,
				   char *msgid, size_t msgid_size, char *detail, size_t detail_size);

/* A delivery report's status word (DELIVERED, UNDELIVERABLE, EXPIRED,
 * BUFFERED, …; case-insensitive) as an outcome. */
enum dlr_outcome sms_rest_dlr_outcome(const char *status);

/* What one JSON delivery report says. */
struct sms_rest_dlr {
	long long msg_id;            /* from userref/client_reference/reference; 0 = none */
	char provider_msgid[128];    /* from id/message_id/batch_id; "" = none */
	enum dlr_outcome outcome;
	char detail[256];
};

/*
 * Parses a JSON report: one object, or an array of objects (up to max).
 * Returns the number parsed, or -1 when the text is not such JSON or an
 * object lacks a status or any id.
 */
int sms_rest_parse_dlr(const char *json, size_t len, struct sms_rest_dlr *out, size_t max);

#endif
