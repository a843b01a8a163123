/* SPDX-License-Identifier: MIT */
/*
 * The callback URL and address rules (callback_url.h). The URL is taken
 * apart by libcurl's own parser, so what is checked is what libcurl will
 * connect to; the address ranges are those of RFC 6890 (special-purpose
 * registries) that a webhook has no business reaching.
 */
#include "budbringer/callback_url.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

struct range4 {
	uint32_t net;
	int bits;
	const char *why;
};

static const struct range4 blocked4[] = {
	{ 0x00000000, 8, "'this network' (0.0.0.0/8)" },
	{ 0x0a000000, 8, "private (10.0.0.0/8)" },
	{ 0x64400000, 10, "CGNAT shared space (100.64.0.0/10)" },
	{ 0x7f000000, 8, "loopback (127.0.0.0/8)" },
	{ 0xa9fe0000, 16, "link-local (169.254.0.0/16)" },
	{ 0xac100000, 12, "private (172.16.0.0/12)" },
	{ 0xc0000000, 24, "IETF protocol assignments (192.0.0.0/24)" },
	{ 0xc0000200, 24, "documentation (192.0.2.0/24)" },
	{ 0xc0586300, 24, "6to4 relay anycast (192.88.99.0/24)" },
	{ 0xc0a80000, 16, "private (192.168.0.0/16)" },
	{ 0xc6120000, 15, "benchmarking (198.18.0.0/15)" },
	{ 0xc6336400, 24, "documentation (198.51.100.0/24)" },
	{ 0xcb007100, 24, "documentation (203.0.113.0/24)" },
	{ 0xe0000000, 4, "multicast (224.0.0.0/4)" },
	{ 0xf0000000, 4, "reserved (240.0.0.0/4)" },
};

static const char *blocked_v4(uint32_t a)
{
	for (size_t i = 0; i < sizeof(blocked4) / sizeof(blocked4[0]); i++) {
		uint32_t mask = 0xffffffffu << (32 - blocked4[i].bits);

		if ((a & mask) == blocked4[i].net)
			return blocked4[i].why;
	}
	return NULL;
}

static uint32_t v4_at(const unsigned char *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static bool prefix_is(const unsigned char *a, const unsigned char *p, size_t n)
{
	return !memcmp(a, p, n);
}

static const char *blocked_v6(const unsigned char *a)
{
	static const unsigned char zero[16], mapped[12] = { [10] = 0xff, [11] = 0xff },
		nat64[12] = { 0x00, 0x64, 0xff, 0x9b }, nat64_local[6] = { 0x00, 0x64, 0xff, 0x9b, 0x00, 0x01 },
		doc[4] = { 0x20, 0x01, 0x0d, 0xb8 }, discard[8] = { 0x01, 0x00 };
	const char *why;

	if (prefix_is(a, zero, 15))
		return a[15] == 1 ? "loopback (::1)" : a[15] == 0 ? "unspecified (::)"
								  : "IPv4-compatible (::/96)";
	/* IPv4 inside IPv6 reaches that IPv4 address: judge that one. */
	if (prefix_is(a, mapped, 12) || prefix_is(a, nat64, 12))
		return (why = blocked_v4(v4_at(a + 12))) ? why : NULL;
	if (prefix_is(a, zero, 12))
		return "IPv4-compatible (::/96)";
	if (prefix_is(a, nat64_local, 6))
		return "local-use NAT64 (64:ff9b:1::/48)";
	if (a[0] == 0x20 && a[1] == 0x02)   /* 6to4: 2002:a.b.c.d::/48 */
		return (why = blocked_v4(v4_at(a + 2))) ? why : NULL;
	if (prefix_is(a, doc, 4))
		return "documentation (2001:db8::/32)";
	if (prefix_is(a, discard, 8))
		return "discard-only (100::/64)";
	if ((a[0] & 0xfe) == 0xfc)
		return "unique-local (fc00::/7)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return "link-local (fe80::/10)";
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return "site-local (fec0::/10)";
	if (a[0] == 0xff)
		return "multicast (ff00::/8)";
	return NULL;
}

const char *callback_addr_blocked(const struct sockaddr *sa)
{
	if (!sa)
		return "no address";
	if (sa->sa_family == AF_INET) {
		struct sockaddr_in in;

		memcpy(&in, sa, sizeof(in));
		return blocked_v4(ntohl(in.sin_addr.s_addr));
	}
	if (sa->sa_family == AF_INET6) {
		struct sockaddr_in6 in6;

		memcpy(&in6, sa, sizeof(in6));
		return blocked_v6(in6.sin6_addr.s6_addr);
	}
	return "not an IPv4 or IPv6 address";
}

const char *callback_addr_blocked_text(const char *addr)
{
	struct in_addr in;
	struct in6_addr in6;

	if (inet_pton(AF_INET, addr, &in) == 1)
		return blocked_v4(ntohl(in.s_addr));
	if (inet_pton(AF_INET6, addr, &in6) == 1)
		return blocked_v6(in6.s6_addr);
	return "not an address";
}

bool callback_addr_public(const struct sockaddr *sa, size_t len)
{
	if (sa && sa->sa_family == AF_INET && len < sizeof(struct sockaddr_in))
		return false;
	if (sa && sa->sa_family == AF_INET6 && len < sizeof(struct sockaddr_in6))
		return false;
	return callback_addr_blocked(sa) == NULL;
}

/* Every address host resolves to must be public: one inward address is
 * enough for a rebinding resolver to choose it later. */
static int check_host(const char *host, const char *port, struct sbuf *why)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int rc = getaddrinfo(host, port, &hints, &res);

	if (rc != 0)
		return sbuf_fail(why, "cannot resolve host '%s': %s", host, gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		const char *bad = callback_addr_blocked(ai->ai_addr);
		char txt[INET6_ADDRSTRLEN] = "?";

		if (!bad)
			continue;
		if (ai->ai_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ai->ai_addr)->sin_addr,
				  txt, sizeof(txt));
		else if (ai->ai_family == AF_INET6)
			inet_ntop(AF_INET6,
				  &((const struct sockaddr_in6 *)(const void *)ai->ai_addr)->sin6_addr, txt,
				  sizeof(txt));
		freeaddrinfo(res);
		return sbuf_fail(why, "host '%s' resolves to %s, a %s address: refused (set "
				 "callbacks.allow_private = true only for tests)", host, txt, bad);
	}
	freeaddrinfo(res);
	return 0;
}

int callback_url_check(const char *url, bool allow_http, bool allow_private, bool resolve,
		       struct sbuf *why)
{
	CURLU *u;
	char *scheme = NULL, *host = NULL, *user = NULL, *password = NULL, *fragment = NULL;
	char *port = NULL;
	size_t len = url ? strlen(url) : 0;
	int ret = -1;

	if (!len)
		return sbuf_fail(why, "no URL");
	if (len > CALLBACK_URL_MAX)
		return sbuf_fail(why, "the URL is longer than %d bytes", CALLBACK_URL_MAX);
	for (const char *p = url; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return sbuf_fail(why, "the URL holds a space, control or non-ASCII character");
	if (!(u = curl_url()))
		return sbuf_fail(why, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		sbuf_addstr(why, "not a URL");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "https") && !(allow_http && !strcmp(scheme, "http")))) {
		sbuf_addf(why, "only https:// URLs are allowed%s", scheme && !strcmp(scheme, "http") ?
			  " (callbacks.allow_http = true permits http:// for tests)" : "");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !*host) {
		sbuf_addstr(why, "the URL has no host");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PASSWORD, &password, 0) == CURLUE_OK) {
		sbuf_addstr(why, "the URL must not hold a user name or password");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_FRAGMENT, &fragment, 0) == CURLUE_OK) {
		sbuf_addstr(why, "the URL must not have a #fragment");
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		sbuf_addstr(why, "the URL has no port");
		goto out;
	}
	if (!allow_private) {
		/* An IPv6 literal comes back in brackets. */
		size_t hl = strlen(host);
		if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
			memmove(host, host + 1, hl - 2);
			host[hl - 2] = '\0';
		}
		if (callback_addr_blocked_text(host) && strcmp(callback_addr_blocked_text(host),
							       "not an address")) {
			sbuf_addf(why, "host '%s' is a %s address: refused (set "
				  "callbacks.allow_private = true only for tests)", host,
				  callback_addr_blocked_text(host));
			goto out;
		}
		if (resolve && check_host(host, port, why) < 0)
			goto out;
	}
	ret = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_free(password);
	curl_free(fragment);
	curl_free(port);
	curl_url_cleanup(u);
	return ret;
}
