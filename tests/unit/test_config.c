/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budbringer/config.h"
#include "testutil.h"

#define BASE \
	"database = \"/tmp/x.db\";\n" \
	"secret_key = \"0123456789abcdef0123456789abcdef\";\n"
#define INTERESTS "interests = { sport = { da = [\"SPORT\", \"IDRÆT\"]; en = [\"SPORT\"]; }; };\n"
#define TEMPLATES "templates = { sms = { da = \"{title}: {summary} {stop}\"; }; };\n"
#define MINIMAL BASE INTERESTS TEMPLATES

static char path[TEST_PATH_MAX];

/* Loads text; returns the error text (caller frees) or NULL when it loaded. */
static char *load(const char *text, struct config *cfg)
{
	struct sbuf err = SBUF_INIT;
	int rc;
	testfile_write(path, text, strlen(text));
	rc = cfg_load(path, cfg, &err);
	unlink(path);
	if (rc == 0) {
		sbuf_release(&err);
		return NULL;
	}
	assert_true(err.len > 0);
	return sbuf_detach(&err, NULL);
}

static void expect_error(const char *text, const char *needle)
{
	struct config cfg;
	char *err = load(text, &cfg);
	assert_non_null(err);
	if (!strstr(err, needle))
		fail_msg("expected '%s' in:\n%s", needle, err);
	free(err);
}

static void test_minimal_defaults(void **state)
{
	struct config cfg;
	(void)state;
	assert_null(load(MINIMAL, &cfg));
	assert_string_equal(cfg.database, "/tmp/x.db");
	assert_int_equal(cfg.poll_interval, 5);
	assert_string_equal(cfg.default_country, "45");
	assert_string_equal(cfg.languages[0], "da");
	assert_string_equal(cfg.fallback[0], "en");
	assert_string_equal(cfg.fallback[1], "da");
	assert_null(cfg.fallback[2]);
	assert_string_equal(cfg.http.listen_addr, "127.0.0.1");
	assert_int_equal(cfg.http.listen_port, 8080);
	assert_int_equal(cfg.sms.n_providers, 1);
	assert_string_equal(cfg.sms.providers[0].type, "spool");
	assert_true(cfg.sms.providers[0].idempotent);
	assert_string_equal(cfg.email.provider, "spool");
	assert_int_equal(cfg.email.confirm_valid_days, 7);
	assert_int_equal(cfg.campaigns.frequency_cap, 3);
	assert_false(cfg.campaigns.quiet_enabled);
	assert_non_null(cfg_interest_find(&cfg, "sport"));
	assert_int_equal(cfg_interest_find(&cfg, "sport")->n_keywords, 3);
	assert_string_equal(cfg_text_get(&cfg.templates.sms, "da"), "{title}: {summary} {stop}");
	assert_null(cfg_text_get(&cfg.templates.sms, "en"));
	cfg_free(&cfg);
}

static void read_sample(struct sbuf *in)
{
	FILE *f = fopen("etc/budbringer.conf", "r");
	char buf[4096];
	size_t n;

	assert_non_null(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(in, buf, n);
	fclose(f);
}

/* The shipped sample with every "CHANGE-ME…" string replaced by a real secret. */
static char *sample_with_secrets(void)
{
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	const char *p, *q;

	read_sample(&in);
	for (p = in.buf; (q = strstr(p, "\"CHANGE-ME")); p = strchr(q + 1, '"') + 1) {
		sbuf_add(&out, p, (size_t)(q - p));
		sbuf_addstr(&out, "\"k2Vb9xQmT4rWz7LpN3sJd8HfGc6YaE5u\"");
		assert_non_null(strchr(q + 1, '"'));
	}
	sbuf_addstr(&out, p);
	sbuf_release(&in);
	return sbuf_detach(&out, NULL);
}

static void test_sample_config_loads(void **state)
{
	struct config cfg;
	struct sbuf err = SBUF_INIT;
	char *text, *e;
	(void)state;
	/* As shipped, its sample secrets are refused, each by name and line. */
	assert_int_equal(cfg_load("etc/budbringer.conf", &cfg, &err), -1);
	assert_non_null(strstr(err.buf, ": secret_key: is the sample value (CHANGE-ME…): generate one with `openssl rand -hex 32`"));
	assert_non_null(strstr(err.buf, ": http.inbound_secret: is the sample value (CHANGE-ME…)"));
	assert_non_null(strstr(err.buf, ": http.dlr_secret: is the sample value (CHANGE-ME…)"));
	{
		/* and the line is the one of secret_key */
		struct sbuf in = SBUF_INIT;
		char want[64];
		int line = 1;
		const char *at;

		read_sample(&in);
		at = strstr(in.buf, "\nsecret_key = ");
		assert_non_null(at);
		for (const char *c = in.buf; c <= at; c++)
			line += *c == '\n';
		snprintf(want, sizeof(want), "etc/budbringer.conf:%d: secret_key:", line);
		assert_non_null(strstr(err.buf, want));
		sbuf_release(&in);
	}
	sbuf_release(&err);
	/* With real secrets in their place it must always be valid. */
	text = sample_with_secrets();
	e = load(text, &cfg);
	free(text);
	if (e)
		fail_msg("etc/budbringer.conf with secrets: %s", e);
	assert_true(cfg.campaigns.quiet_enabled);
	assert_int_equal(cfg.campaigns.quiet_start_min, 21 * 60);
	assert_int_equal(cfg.campaigns.quiet_end_min, 8 * 60);
	assert_true(cfg.n_interests >= 10);
	cfg_free(&cfg);
}

static void test_providers_sorted_and_typed(void **state)
{
	struct config cfg;
	(void)state;
	assert_null(load(MINIMAL
		"sms = { providers = (\n"
		" { name = \"b\"; type = \"rest\"; priority = 20; url = \"https://gw.example/sms\"; token = \"t\"; },\n"
		" { name = \"a\"; type = \"kannel\"; priority = 1; url = \"http://127.0.0.1:13013/cgi-bin/sendsms\";"
		"   username = \"u\"; password = \"p\"; dlr_mask = 3; rate = 12.5; concurrency = 8; }\n"
		"); };\n", &cfg));
	assert_int_equal(cfg.sms.n_providers, 2);
	assert_string_equal(cfg.sms.providers[0].name, "a");
	assert_int_equal(cfg.sms.providers[0].dlr_mask, 3);
	assert_true(cfg.sms.providers[0].rate > 12.4 && cfg.sms.providers[0].rate < 12.6);
	assert_int_equal(cfg.sms.providers[0].concurrency, 8);
	assert_false(cfg.sms.providers[0].idempotent);
	assert_string_equal(cfg.sms.providers[1].name, "b");
	assert_non_null(cfg_sms_provider_find(&cfg, "b"));
	assert_null(cfg_sms_provider_find(&cfg, "c"));
	cfg_free(&cfg);
}

static void test_prices(void **state)
{
	struct config cfg;
	(void)state;
	assert_null(load(MINIMAL
		"sms = { providers = (\n"
		" { name = \"a\"; type = \"spool\"; directory = \"/x\"; price_per_part = 0.285; },\n"
		" { name = \"b\"; type = \"spool\"; directory = \"/y\"; price_per_part = \"1.5\";"
		" currency = \"DKK\"; priority = 20; }\n"
		"); };\n", &cfg));
	assert_int_equal(cfg.sms.providers[0].price_milli, 285);
	assert_int_equal(cfg.sms.providers[1].price_milli, 1500);
	assert_string_equal(cfg.sms.currency, "DKK");
	cfg_free(&cfg);
	assert_null(load(MINIMAL "sms = { providers = ( { name = \"a\"; type = \"spool\";"
			 " directory = \"/x\"; price_per_part = 2; currency = \"EUR\"; } ); };\n", &cfg));
	assert_int_equal(cfg.sms.providers[0].price_milli, 2000);
	assert_string_equal(cfg.sms.currency, "EUR");
	cfg_free(&cfg);
	assert_null(load(MINIMAL, &cfg));
	assert_string_equal(cfg.sms.currency, "DKK");
	assert_int_equal(cfg.sms.providers[0].price_milli, 0);
	cfg_free(&cfg);
#define ONE(x) MINIMAL "sms = { providers = ( { name = \"a\"; type = \"spool\"; directory = \"/x\"; " x " } ); };\n"
	expect_error(ONE("price_per_part = -0.1;"), "out of range 0..1000");
	expect_error(ONE("price_per_part = 0.2855;"), "more than three decimals");
	expect_error(ONE("price_per_part = \"0,285\";"), "is not a decimal amount");
	expect_error(ONE("price_per_part = \"-1\";"), "is not a decimal amount");
	expect_error(ONE("price_per_part = true;"), "must be a number");
	expect_error(ONE("currency = \"dkk\";"), "must be three capital letters");
	expect_error(ONE("currency = \"KRONER\";"), "must be three capital letters");
#undef ONE
	expect_error(MINIMAL "sms = { providers = ( { name = \"a\"; type = \"spool\"; directory = \"/x\";"
		     " currency = \"EUR\"; }, { name = \"b\"; type = \"spool\"; directory = \"/y\"; } ); };\n",
		     "must use one currency");
}

static void test_errors_name_file_line_setting(void **state)
{
	struct config cfg;
	char *err;
	(void)state;
	err = load(MINIMAL "poll_interval = 0;\n", &cfg);
	assert_non_null(err);
	/* FILE:LINE: setting: problem */
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, ":5: poll_interval: 0 is out of range 1..3600"));
	free(err);
}

static void test_bad_values(void **state)
{
	(void)state;
	expect_error(MINIMAL "frequncy_cap = 3;\n", "frequncy_cap: unknown setting");
	expect_error(MINIMAL "campaigns = { frequncy_cap = 3; };\n", "campaigns.frequncy_cap: unknown setting");
	expect_error(MINIMAL "poll_interval = \"5\";\n", "poll_interval: must be an integer");
	expect_error(MINIMAL "email = { confirm_valid_days = 0; };\n",
		     "email.confirm_valid_days: 0 is out of range 1..90");
	expect_error(MINIMAL "email = { confirm_valid_days = 91; };\n",
		     "email.confirm_valid_days: 91 is out of range 1..90");
	expect_error(MINIMAL "languages = [\"da\", \"DAN\"];\n", "not an ISO 639-1 code");
	expect_error(MINIMAL "fallback = [\"sv\"];\n", "'sv' is not in languages");
	expect_error(MINIMAL "http = { listen = \"127.0.0.1\"; };\n", "must be ADDRESS:PORT");
	expect_error(MINIMAL "http = { listen = \"127.0.0.1:70000\"; };\n", "port in '127.0.0.1:70000' must be 1..65535");
	expect_error(MINIMAL "http = { public_url = \"ftp://x\"; };\n", "is not an http:// or https:// URL");
	expect_error(MINIMAL "timezone = \"Mars/Olympus\";\n", "not a time zone");
	expect_error(MINIMAL "timezone = \"../../etc/passwd\";\n", "not a time zone");
	expect_error(MINIMAL "default_country = \"045\";\n", "country calling code");
	expect_error(MINIMAL "campaigns = { quiet_hours = { start = \"25:00\"; }; };\n", "'25:00' is not HH:MM");
	expect_error(MINIMAL "campaigns = { both_channels = \"all\"; };\n", "'all' is not one of: both, prefer_sms, prefer_email");
	expect_error(MINIMAL "sms = { providers = ( { name = \"k\"; type = \"kannel\"; } ); };\n",
		     "url: missing (required for type 'kannel')");
	expect_error(MINIMAL "sms = { providers = ( { name = \"k\"; type = \"spool\"; directory = \"/x\"; token = \"t\"; } ); };\n",
		     "token: unknown setting for a provider of type 'spool'");
	expect_error(MINIMAL "sms = { providers = ( { name = \"k\"; type = \"smpp\"; } ); };\n", "'smpp' is not one of");
	expect_error(MINIMAL "sms = { providers = ( { name = \"a\"; type = \"spool\"; directory = \"/x\"; },"
		     " { name = \"a\"; type = \"spool\"; directory = \"/y\"; } ); };\n", "provider name 'a' used twice");
	expect_error(MINIMAL "email = { provider = \"smtp\"; };\n", "missing group (needed for provider \"smtp\")");
	expect_error(MINIMAL "email = { smtp = { starttls = \"maybe\"; }; };\n", "'maybe' is not one of: disabled, enabled, required");
	expect_error(MINIMAL "email = { from = \"nobody\"; };\n", "'nobody' is not an email address");
	expect_error(BASE INTERESTS "templates = { sms = { da = \"{titel}\"; }; };\n", "unknown placeholder");
	expect_error(BASE TEMPLATES "interests = { Sport = { da = [\"SPORT\"]; }; };\n", "interest code must be lowercase");
	expect_error(MINIMAL "keywords = { da = { jion = [\"X\"]; }; };\n", "keywords.da.jion: unknown setting");
	expect_error("database = \"/tmp/x.db\";\n", "secret_key: missing (required: it signs");
	expect_error("database = \"relative.db\";\n", "'relative.db' must be an absolute path");
	expect_error("database = \"/tmp/x.db\"\nfoo = ;\n", "syntax");
}

#define SECRET32 "Zq8vR2mK7xT4wN9pL3cF6hJ1sD5gB0aY"
#define HASH64 "3eb1bd439947eb762998e566ccc2e099c791118b2f40579cc4f7da2b5061b7f9"
#define NOKEY "database = \"/tmp/x.db\";\n" INTERESTS TEMPLATES

static void test_sample_secrets_refused(void **state)
{
	(void)state;
	/* CHANGE-ME in any case, anywhere in the value, in every secret. */
	expect_error(NOKEY "secret_key = \"CHANGE-ME-to-a-long-random-string-of-64-chars\";\n",
		     ":4: secret_key: is the sample value (CHANGE-ME…): generate one with `openssl rand -hex 32`");
	expect_error(NOKEY "secret_key = \"0123456789abcdef0123456789abcdef-change-me\";\n",
		     "secret_key: is the sample value");
	expect_error(MINIMAL "http = {\n inbound_secret = \"CHANGE-ME-inbound-0123456789abcdef\";\n};\n",
		     ":6: http.inbound_secret: is the sample value (CHANGE-ME…)");
	expect_error(MINIMAL "http = { dlr_secret = \"Change-Me-dlr-0123456789abcdef0123\"; };\n",
		     "http.dlr_secret: is the sample value");
	expect_error(MINIMAL "http = { portal_token_sha256 = \"CHANGE-ME\"; };\n",
		     "http.portal_token_sha256: is the sample value (CHANGE-ME…): make a token and its hash with `budbringer portal-token`");
	/* Secrets an outside party gives us only need to be real ones. */
	expect_error(MINIMAL "sms = { providers = ( { name = \"k\"; type = \"kannel\"; url = \"http://127.0.0.1:1/\";"
		     " username = \"u\"; password = \"CHANGE-ME-sendsms\"; } ); };\n",
		     "sms.providers.[].password: is the sample value (CHANGE-ME…): put the real one here");
	expect_error(MINIMAL "sms = { providers = ( { name = \"g\"; type = \"rest\"; url = \"https://gw.example/\";"
		     " token = \"CHANGE-ME-gateway-token\"; } ); };\n", "token: is the sample value");
	expect_error(MINIMAL "email = { smtp = { username = \"u\"; password = \"CHANGE-ME-smtp-password\"; }; };\n",
		     "email.smtp.password: is the sample value");
}

static void test_short_secrets_refused(void **state)
{
	(void)state;
	expect_error(NOKEY "secret_key = \"0123456789abcdef0123456789abcde\";\n",
		     ":4: secret_key: is 31 characters; a shared secret needs at least 32: generate one with `openssl rand -hex 32`");
	expect_error(MINIMAL "http = { inbound_secret = \"s3cret-For-Test\"; };\n",
		     "http.inbound_secret: is 15 characters; a shared secret needs at least 32");
	expect_error(MINIMAL "http = {\n\n dlr_secret = \"abcdefghij0123456789\";\n};\n",
		     ":7: http.dlr_secret: is 20 characters; a shared secret needs at least 32");
	expect_error(MINIMAL "http = { portal_token_sha256 = \"" HASH64 "0\"; };\n",
		     "http.portal_token_sha256: must be 64 lowercase hex digits, the SHA-256 of the token");
	expect_error(MINIMAL "http = { portal_token_sha256 = \"3EB1BD439947EB762998E566CCC2E099C791118B2F40579CC4F7DA2B5061B7F9\"; };\n",
		     "must be 64 lowercase hex digits");
	expect_error(MINIMAL "http = { portal_token_sha256 = \"s3cret-portal-token\"; };\n",
		     "must be 64 lowercase hex digits");
}

/* SMS pumping: only real calling codes, so "4" cannot open all of +4x. */
static void test_confirm_countries(void **state)
{
	struct config cfg;

	(void)state;
	assert_null(load(MINIMAL "sms = { confirm_countries = [\"45\", \"1\", \"358\", \"7\"];"
			 " confirm_hourly_cap = 0; };\n", &cfg));
	assert_string_equal(cfg.sms.confirm_countries[2], "358");
	assert_null(cfg.sms.confirm_countries[4]);
	assert_int_equal(cfg.sms.confirm_hourly_cap, 0);
	assert_int_equal(cfg.sms.confirm_prefix_hourly_cap, 20);
	cfg_free(&cfg);
	assert_null(load(MINIMAL, &cfg));
	assert_string_equal(cfg.sms.confirm_countries[0], "45");
	assert_null(cfg.sms.confirm_countries[1]);
	cfg_free(&cfg);
	expect_error(MINIMAL "sms = { confirm_countries = [\"4\"]; };\n",
		     "sms.confirm_countries: element 1 ('4') is not a country calling code");
	expect_error(MINIMAL "sms = { confirm_countries = [\"45\", \"451\"]; };\n", "element 2 ('451')");
	expect_error(MINIMAL "sms = { confirm_countries = [\"12\"]; };\n", "element 1 ('12')");
	expect_error(MINIMAL "sms = { confirm_countries = [\"045\"]; };\n", "element 1 ('045')");
	expect_error(MINIMAL "sms = { confirm_hourly_cap = -1; };\n", "sms.confirm_hourly_cap");
}

static void test_good_secrets_accepted(void **state)
{
	struct config cfg;
	(void)state;
	assert_null(load(NOKEY "secret_key = \"" SECRET32 "\";\n"
		"http = { inbound_secret = \"" SECRET32 "x\"; dlr_secret = \"" SECRET32 "\";"
		" portal_token_sha256 = \"" HASH64 "\"; };\n"
		"sms = { providers = ( { name = \"k\"; type = \"kannel\"; url = \"http://127.0.0.1:1/\";"
		" username = \"u\"; password = \"p\"; } ); };\n", &cfg));
	assert_string_equal(cfg.secret_key, SECRET32);
	assert_string_equal(cfg.http.inbound_secret, SECRET32 "x");
	assert_string_equal(cfg.http.dlr_secret, SECRET32);
	assert_string_equal(cfg.http.portal_token_sha256, HASH64);
	assert_string_equal(cfg.sms.providers[0].password, "p");
	assert_true(cfg.has_secrets);
	cfg_free(&cfg);
	/* Unset shared secrets switch their endpoint off; that is no error. */
	assert_null(load(MINIMAL "http = { inbound_secret = \"\"; dlr_secret = \"\"; portal_token_sha256 = \"\"; };\n", &cfg));
	assert_string_equal(cfg.http.inbound_secret, "");
	cfg_free(&cfg);
	assert_true(cfg_is_placeholder("xCHANGE-mE"));
	assert_false(cfg_is_placeholder("CHANGE_ME"));
	assert_false(cfg_is_placeholder(""));
}

static void test_smtp_auth_needs_tls(void **state)
{
	struct config cfg;
	(void)state;
	/* The default is required, with or without an smtp group. */
	assert_null(load(MINIMAL, &cfg));
	assert_int_equal(cfg.email.smtp.starttls, CFG_TLS_REQUIRED);
	cfg_free(&cfg);
	assert_null(load(MINIMAL "email = { provider = \"smtp\"; smtp = { host = \"127.0.0.1\"; }; };\n", &cfg));
	assert_int_equal(cfg.email.smtp.starttls, CFG_TLS_REQUIRED);
	cfg_free(&cfg);
	/* Without a login, "enabled" and "disabled" are what they say. */
	assert_null(load(MINIMAL "email = { smtp = { starttls = \"enabled\"; }; };\n", &cfg));
	assert_int_equal(cfg.email.smtp.starttls, CFG_TLS_ENABLED);
	cfg_free(&cfg);
	assert_null(load(MINIMAL "email = { smtp = { starttls = \"disabled\"; }; };\n", &cfg));
	assert_int_equal(cfg.email.smtp.starttls, CFG_TLS_DISABLED);
	cfg_free(&cfg);
	/* With one, "enabled" becomes required: AUTH never goes in clear. */
	assert_null(load(MINIMAL "email = { smtp = { starttls = \"enabled\"; username = \"u\"; password = \"pw\"; }; };\n", &cfg));
	assert_int_equal(cfg.email.smtp.starttls, CFG_TLS_REQUIRED);
	cfg_free(&cfg);
	expect_error(MINIMAL "email = { smtp = {\n starttls = \"disabled\"; username = \"u\"; password = \"pw\"; }; };\n",
		     ":6: email.smtp.starttls: is \"disabled\" but email.smtp.username/password are set: "
		     "the password would cross the network in clear; use \"required\"");
	expect_error(MINIMAL "email = { smtp = { starttls = \"disabled\"; password = \"pw\"; }; };\n",
		     "email.smtp.starttls: is \"disabled\" but");
}

static void test_missing_file(void **state)
{
	struct config cfg;
	struct sbuf err = SBUF_INIT;
	(void)state;
	assert_int_equal(cfg_load("/nonexistent/budbringer.conf", &cfg, &err), -1);
	assert_non_null(strstr(err.buf, "/nonexistent/budbringer.conf:0: cannot read file"));
	sbuf_release(&err);
}

static void test_keywords_loaded(void **state)
{
	struct config cfg;
	(void)state;
	assert_null(load(MINIMAL "keywords = { da = { join = [\"FRIVILLIG\", \"MEDLEM\"]; stop = [\"AFMELD\"]; }; };\n", &cfg));
	assert_int_equal(cfg.n_keywords, 3);
	assert_string_equal(cfg.keywords[1].word, "MEDLEM");
	assert_string_equal(cfg.keywords[2].intent, "stop");
	cfg_free(&cfg);
}

static void test_bounce_imap(void **state)
{
	struct config cfg;
	(void)state;
	assert_null(load(MINIMAL, &cfg));
	assert_string_equal(cfg.bounces.imap.url, "");
	cfg_free(&cfg);
	assert_null(load(MINIMAL "bounces = { imap = { url = \"imaps://outlook.office365.com/INBOX\";"
			 " user = \"bounce@randers.dk\"; password_file = \"/etc/budbringer/imap.pass\";"
			 " processed_folder = \"Budbringer/Handled\"; }; };\n", &cfg));
	assert_string_equal(cfg.bounces.imap.folder, "INBOX");
	assert_int_equal(cfg.bounces.imap.interval, 300);
	assert_int_equal(cfg.bounces.imap.timeout, 30);
	assert_false(cfg.bounces.imap.allow_plaintext);
	cfg_free(&cfg);
	expect_error(MINIMAL "bounces = { imap = { url = \"https://x.dk/\"; user = \"u\";"
		     " password_file = \"/p\"; }; };\n", "is not an imaps:// URL");
	expect_error(MINIMAL "bounces = { imap = { url = \"imap://127.0.0.1:1143/\"; user = \"u\";"
		     " password_file = \"/p\"; }; };\n", "is plain imap://");
	expect_error(MINIMAL "bounces = { imap = { url = \"imaps://x.dk/\";"
		     " password_file = \"/p\"; }; };\n", "bounces.imap.user: missing");
	expect_error(MINIMAL "bounces = { imap = { url = \"imaps://x.dk/\"; user = \"u\"; }; };\n",
		     "bounces.imap.password_file: missing");
	expect_error(MINIMAL "bounces = { imap = { url = \"imaps://x.dk/\"; user = \"u\";"
		     " password_file = \"p\"; }; };\n", "must be an absolute path");
	expect_error(MINIMAL "bounces = { imap = { url = \"imaps://x.dk/\"; user = \"u\";"
		     " password_file = \"/p\"; folder = \"a\\\"b\"; }; };\n", "is not a folder name");
	expect_error(MINIMAL "bounces = { imap = { url = \"imaps://x.dk/INBOX\"; user = \"u\";"
		     " password_file = \"/p\"; processed_folder = \"INBOX\"; }; };\n", "would be read again");
	expect_error(MINIMAL "bounces = { imap = { url = \"imaps://x.dk/\"; user = \"u\";"
		     " password_file = \"/p\"; interval = 1; }; };\n", "out of range 2..86400");
	assert_null(load(MINIMAL "bounces = { imap = { url = \"imap://127.0.0.1:1143/Bounces\"; user = \"u\";"
			 " password_file = \"/p\"; allow_plaintext = true; }; };\n", &cfg));
	assert_string_equal(cfg.bounces.imap.folder, "Bounces");
	cfg_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_confirm_countries),
		cmocka_unit_test(test_sample_config_loads),
		cmocka_unit_test(test_providers_sorted_and_typed),
		cmocka_unit_test(test_prices),
		cmocka_unit_test(test_errors_name_file_line_setting),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_sample_secrets_refused),
		cmocka_unit_test(test_short_secrets_refused),
		cmocka_unit_test(test_good_secrets_accepted),
		cmocka_unit_test(test_smtp_auth_needs_tls),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_keywords_loaded),
		cmocka_unit_test(test_bounce_imap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
