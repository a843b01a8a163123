/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
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

static void test_sample_config_loads(void **state)
{
	struct config cfg;
	struct sbuf err = SBUF_INIT;
	(void)state;
	/* The shipped sample must always be valid. */
	if (cfg_load("etc/budbringer.conf", &cfg, &err) < 0)
		fail_msg("etc/budbringer.conf: %s", err.buf);
	assert_true(cfg.campaigns.quiet_enabled);
	assert_int_equal(cfg.campaigns.quiet_start_min, 21 * 60);
	assert_int_equal(cfg.campaigns.quiet_end_min, 8 * 60);
	assert_true(cfg.n_interests >= 10);
	cfg_free(&cfg);
	sbuf_release(&err);
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
	expect_error("database = \"/tmp/x.db\";\n", "secret_key: must be at least 32 characters");
	expect_error("database = \"relative.db\";\n", "'relative.db' must be an absolute path");
	expect_error("database = \"/tmp/x.db\"\nfoo = ;\n", "syntax");
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_defaults),
		cmocka_unit_test(test_sample_config_loads),
		cmocka_unit_test(test_providers_sorted_and_typed),
		cmocka_unit_test(test_errors_name_file_line_setting),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_keywords_loaded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
