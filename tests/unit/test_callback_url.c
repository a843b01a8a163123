/* SPDX-License-Identifier: MIT */
/* Which callback URLs and addresses are refused (SSRF). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "budbringer/callback_url.h"

static void blocked(const char *addr, const char *why_part)
{
	const char *why = callback_addr_blocked_text(addr);

	if (!why || !strstr(why, why_part))
		fail_msg("%s: want refused as '%s', got %s", addr, why_part, why ? why : "public");
}

static void public(const char *addr)
{
	const char *why = callback_addr_blocked_text(addr);

	if (why)
		fail_msg("%s: want public, got '%s'", addr, why);
}

static void test_ipv4_ranges(void **state)
{
	(void)state;
	blocked("0.0.0.0", "this network");
	blocked("0.255.255.255", "this network");
	blocked("10.0.0.1", "private");
	blocked("10.255.255.255", "private");
	blocked("100.64.0.1", "CGNAT");
	blocked("100.127.255.255", "CGNAT");
	blocked("127.0.0.1", "loopback");
	blocked("127.255.255.254", "loopback");
	blocked("169.254.169.254", "link-local");
	blocked("172.16.0.1", "private");
	blocked("172.31.255.255", "private");
	blocked("192.0.0.8", "IETF");
	blocked("192.0.2.1", "documentation");
	blocked("192.88.99.1", "6to4");
	blocked("192.168.0.1", "private");
	blocked("198.18.0.1", "benchmarking");
	blocked("198.19.255.255", "benchmarking");
	blocked("198.51.100.7", "documentation");
	blocked("203.0.113.9", "documentation");
	blocked("224.0.0.1", "multicast");
	blocked("239.255.255.255", "multicast");
	blocked("240.0.0.1", "reserved");
	blocked("255.255.255.255", "reserved");
	/* Just outside each range. */
	public("9.255.255.255");
	public("11.0.0.0");
	public("100.63.255.255");
	public("100.128.0.0");
	public("126.255.255.255");
	public("128.0.0.0");
	public("169.253.255.255");
	public("169.255.0.0");
	public("172.15.255.255");
	public("172.32.0.0");
	public("192.167.255.255");
	public("192.169.0.0");
	public("198.17.255.255");
	public("198.20.0.0");
	public("223.255.255.255");
	public("8.8.8.8");
	public("80.62.117.43");
}

static void test_ipv6_ranges(void **state)
{
	(void)state;
	blocked("::1", "loopback");
	blocked("::", "unspecified");
	blocked("fc00::1", "unique-local");
	blocked("fd12:3456::1", "unique-local");
	blocked("fe80::1", "link-local");
	blocked("febf::1", "link-local");
	blocked("fec0::1", "site-local");
	blocked("ff02::1", "multicast");
	blocked("2001:db8::1", "documentation");
	blocked("100::1", "discard");
	blocked("64:ff9b:1::1", "NAT64");
	blocked("::10.0.0.1", "IPv4-compatible");
	/* IPv4 inside IPv6 is judged as IPv4. */
	blocked("::ffff:127.0.0.1", "loopback");
	blocked("::ffff:10.1.2.3", "private");
	blocked("::ffff:169.254.169.254", "link-local");
	blocked("::ffff:100.64.0.1", "CGNAT");
	blocked("64:ff9b::a9fe:a9fe", "link-local");
	blocked("64:ff9b::192.168.1.1", "private");
	blocked("2002:7f00:1::", "loopback");
	blocked("2002:c0a8:101::1", "private");
	public("::ffff:8.8.8.8");
	public("64:ff9b::808:808");
	public("2002:808:808::1");
	public("2001:4860:4860::8888");
	public("2a00:1450:4001::1");
	public("fbff::1");
	public("fe7f::1");
	assert_string_equal(callback_addr_blocked_text("localhost"), "not an address");
}

static void test_sockaddr(void **state)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6 };
	struct sockaddr other = { .sa_family = AF_UNIX };

	(void)state;
	inet_pton(AF_INET, "93.184.216.34", &in.sin_addr);
	assert_true(callback_addr_public((struct sockaddr *)&in, sizeof(in)));
	assert_false(callback_addr_public((struct sockaddr *)&in, sizeof(in) - 1));
	inet_pton(AF_INET, "127.0.0.1", &in.sin_addr);
	assert_false(callback_addr_public((struct sockaddr *)&in, sizeof(in)));
	inet_pton(AF_INET6, "::ffff:192.168.0.10", &in6.sin6_addr);
	assert_false(callback_addr_public((struct sockaddr *)&in6, sizeof(in6)));
	inet_pton(AF_INET6, "2a00:1450:4001::1", &in6.sin6_addr);
	assert_true(callback_addr_public((struct sockaddr *)&in6, sizeof(in6)));
	assert_false(callback_addr_public((struct sockaddr *)&in6, sizeof(in)));
	assert_false(callback_addr_public(&other, sizeof(other)));
	assert_false(callback_addr_public(NULL, 0));
}

static int check(const char *url, bool http, bool priv, bool resolve, const char *want_part)
{
	struct sbuf why = SBUF_INIT;
	int rc = callback_url_check(url, http, priv, resolve, &why);

	if (want_part && (rc == 0 || !strstr(why.buf, want_part)))
		fail_msg("%s: want refused with '%s', got rc=%d '%s'", url, want_part, rc, why.buf);
	if (!want_part && rc != 0)
		fail_msg("%s: want accepted, got '%s'", url, why.buf);
	sbuf_release(&why);
	return rc;
}

static void test_urls(void **state)
{
	(void)state;
	check("https://hooks.example.org/budbringer", false, false, false, NULL);
	check("https://93.184.216.34:8443/x?y=1", false, false, false, NULL);
	check("http://hooks.example.org/", false, false, false, "only https://");
	check("http://hooks.example.org/", true, false, false, NULL);
	check("ftp://hooks.example.org/", true, true, false, "only https://");
	check("file:///etc/passwd", true, true, false, "only https://");
	check("gopher://127.0.0.1:25/", true, true, false, "only https://");
	check("https://10.0.0.1/", false, false, false, "private");
	check("https://169.254.169.254/latest/meta-data/", false, false, false, "link-local");
	check("https://[::1]:8443/", false, false, false, "loopback");
	check("https://[::ffff:127.0.0.1]/", false, false, false, "loopback");
	check("https://[fd00::5]/", false, false, false, "unique-local");
	check("https://127.0.0.1/", false, true, false, NULL);
	check("http://127.0.0.1:8080/hook", true, true, false, NULL);
	check("https://user:pw@hooks.example.org/", false, false, false, "user name");
	check("https://hooks.example.org/#frag", false, false, false, "fragment");
	check("https://hooks.example.org/a b", false, false, false, "space");
	check("https://hooks.example.org/\xc3\xa6", false, false, false, "non-ASCII");
	check("", false, false, false, "no URL");
	check("https://", false, false, false, "");
	check("not a url", false, false, false, "");
	/* Names are looked up when asked: localhost is loopback. */
	check("https://localhost/", false, false, true, "loopback");
	check("https://localhost/", false, true, true, NULL);
	{
		char longurl[CALLBACK_URL_MAX + 16] = "https://example.org/";
		memset(longurl + 20, 'a', sizeof(longurl) - 21);
		longurl[sizeof(longurl) - 1] = '\0';
		check(longurl, false, false, false, "longer than");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_ranges),
		cmocka_unit_test(test_ipv6_ranges),
		cmocka_unit_test(test_sockaddr),
		cmocka_unit_test(test_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
