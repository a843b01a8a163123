/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CALLBACK_URL_H
#define BUDBRINGER_CALLBACK_URL_H

/*
 * Which callback URLs Budbringer will POST to (src/callback_url.c): no
 * server-side request forgery into the municipality's network. A URL is
 * https:// (http:// only with callbacks.allow_http), has a host, no
 * user:password@ and no fragment. Its host must resolve only to public
 * addresses (unless callbacks.allow_private): checked when it is
 * registered, and again for every address the sender connects to
 * (cmulti_request.allow_address), so a DNS answer that changes later
 * (rebinding) cannot point a request inward.
 */

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "budbringer/sbuf.h"

#define CALLBACK_URL_MAX 2048

/*
 * NULL when sa (AF_INET or AF_INET6) is a public unicast address, else
 * why not ("loopback", "private", "link-local", "CGNAT", …). IPv4 inside
 * IPv6 (::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4, IPv4-compatible) is
 * judged by its IPv4 address. Pure.
 */
const char *callback_addr_blocked(const struct sockaddr *sa);
/* The same for a numeric address in text; "not an address" when it is none. */
const char *callback_addr_blocked_text(const char *addr);
/* true when the address may be connected to: callback_addr_blocked() is NULL. */
bool callback_addr_public(const struct sockaddr *sa, size_t len);

/*
 * Checks url's form (see above): 0, or -1 with the reason in why. With
 * resolve, also looks its host up (getaddrinfo: this blocks, for the CLI
 * and the API's registration only) and refuses it unless every address
 * is public or allow_private.
 */
int callback_url_check(const char *url, bool allow_http, bool allow_private, bool resolve,
		       struct sbuf *why);

#endif
