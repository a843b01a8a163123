/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_JWT_H
#define BUDBRINGER_JWT_H

/*
 * Verifying a JSON Web Token signed with HMAC-SHA256 (RFC 7519, "HS256"),
 * as GatewayAPI signs its webhooks in the X-Gwapi-Signature header. Pure
 * (OpenSSL's HMAC, jansson): no I/O.
 */

#include <stddef.h>

#include "budbringer/sbuf.h"

/*
 * Checks token (header.payload.signature, base64url without padding)
 * under key: the header must say alg HS256 (never "none" or another
 * algorithm), the signature must match (compared in constant time), the
 * payload must be a JSON object, and an "exp" claim must not have passed
 * at now, nor an "nbf" claim lie ahead (a minute's slack for clocks).
 * 0 with the payload's JSON text appended to payload; -1 with the reason
 * in why.
 */
int jwt_hs256_verify(const char *token, const unsigned char *key, size_t key_len, long long now,
		     struct sbuf *payload, struct sbuf *why);

#endif
