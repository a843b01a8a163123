/* SPDX-License-Identifier: MIT */
/*
 * DESIGN: the loader walks the libconfig tree with a handful of typed
 * getters that record every problem (not just the first) as
 * "FILE:LINE: path: problem", then rejects any setting it did not read,
 * so a typo such as `frequncy_cap` is an error and not a silent default.
 */
#include "budbringer/config.h"
#include "budbringer/db.h"
#include "budbringer/sms_guard.h"
#include "budbringer/keyword.h"
#include "budbringer/log.h"
#include "budbringer/match.h"
#include "budbringer/template.h"

#include <crypt.h>
#include <errno.h>
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

struct loader {
	const char *file;
	struct sbuf *err;
	int errors;
	bool has_secrets;
};

static void setting_path(const config_setting_t *s, struct sbuf *out)
{
	const char *names[16];
	int n = 0;
	for (; s && !config_setting_is_root(s) && n < 16; s = config_setting_parent(s)) {
		const char *nm = config_setting_name(s);
		names[n++] = nm ? nm : "[]";
	}
	for (int i = n - 1; i >= 0; i--) {
		sbuf_addstr(out, names[i]);
		if (i)
			sbuf_addch(out, '.');
	}
}

__attribute__((format(printf, 4, 5)))
static void problem(struct loader *ld, const config_setting_t *s, const char *name,
		    const char *fmt, ...)
{
	va_list ap;
	unsigned line = s ? config_setting_source_line(s) : 0;

	sbuf_addf(ld->err, "%s:%u: ", ld->file, line);
	if (s && !config_setting_is_root(s))
		setting_path(s, ld->err);
	if (name) {
		if (s && !config_setting_is_root(s))
			sbuf_addch(ld->err, '.');
		sbuf_addstr(ld->err, name);
	}
	sbuf_addstr(ld->err, ": ");
	va_start(ap, fmt);
	sbuf_vaddf(ld->err, fmt, ap);
	va_end(ap);
	sbuf_addch(ld->err, '\n');
	ld->errors++;
}

/* Every setting of a group must be one of `allowed` (NULL-terminated). */
static void reject_unknown(struct loader *ld, const config_setting_t *group,
			   const char *const *allowed)
{
	int n = config_setting_length(group);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
		const char *nm = config_setting_name(s);
		bool ok = false;
		for (const char *const *a = allowed; *a && nm; a++)
			if (!strcmp(*a, nm))
				ok = true;
		if (!ok)
			problem(ld, s, NULL, "unknown setting");
	}
}

static const config_setting_t *get_group(struct loader *ld, const config_setting_t *parent,
					 const char *name, bool required)
{
	const config_setting_t *s = config_setting_get_member(parent, name);
	if (!s) {
		if (required)
			problem(ld, parent, name, "missing group");
		return NULL;
	}
	if (!config_setting_is_group(s)) {
		problem(ld, s, NULL, "must be a group { … }");
		return NULL;
	}
	return s;
}

static void get_str(struct loader *ld, const config_setting_t *g, const char *name,
		    const char *def, char **out)
{
	const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
	const char *v = def;

	if (s) {
		if (config_setting_type(s) != CONFIG_TYPE_STRING) {
			problem(ld, s, NULL, "must be a string");
		} else {
			v = config_setting_get_string(s);
			for (const char *p = v; *p; p++)
				if ((unsigned char)*p < 0x20) {
					problem(ld, s, NULL, "contains a control character");
					v = def;
					break;
				}
		}
	} else if (!def) {
		problem(ld, g, name, "missing (required)");
	}
	*out = v ? xstrdup(v) : NULL;
}

#define SECRET_HOWTO "generate one with `openssl rand -hex 32`"

bool cfg_is_placeholder(const char *v)
{
	static const char mark[] = "change-me";

	for (; v && *v; v++)
		if (!strncasecmp(v, mark, sizeof(mark) - 1))
			return true;
	return false;
}

/* A secret; "" when unset. The sample's CHANGE-ME placeholders never run,
 * and a shared secret (min > 0: one we compare callers' values against,
 * or sign with) must be long enough not to be guessed. */
static void get_secret(struct loader *ld, const config_setting_t *g, const char *name,
		       size_t min, char **out)
{
	const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
	size_t len;

	get_str(ld, g, name, "", out);
	len = strlen(*out);
	if (!len)
		return;
	ld->has_secrets = true;
	if (cfg_is_placeholder(*out))
		problem(ld, s, NULL, "is the sample value (CHANGE-ME…): %s", min ? SECRET_HOWTO :
			"put the real one here");
	else if (len < min)
		problem(ld, s, NULL, "is %zu characters; a shared secret needs at least %zu: "
			SECRET_HOWTO, len, min);
}

static void get_int(struct loader *ld, const config_setting_t *g, const char *name,
		    int def, int min, int max, int *out)
{
	const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
	long long v = def;

	if (s) {
		int t = config_setting_type(s);
		if (t == CONFIG_TYPE_INT)
			v = config_setting_get_int(s);
		else if (t == CONFIG_TYPE_INT64)
			v = config_setting_get_int64(s);
		else {
			problem(ld, s, NULL, "must be an integer");
			v = def;
		}
		if (v < min || v > max) {
			problem(ld, s, NULL, "%lld is out of range %d..%d", v, min, max);
			v = def;
		}
	}
	*out = (int)v;
}

static void get_double(struct loader *ld, const config_setting_t *g, const char *name,
		       double def, double min, double max, double *out)
{
	const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
	double v = def;

	if (s) {
		int t = config_setting_type(s);
		if (t == CONFIG_TYPE_FLOAT)
			v = config_setting_get_float(s);
		else if (t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64)
			v = (double)config_setting_get_int64(s);
		else {
			problem(ld, s, NULL, "must be a number");
			v = def;
		}
		if (!isfinite(v) || v < min || v > max) {
			problem(ld, s, NULL, "%g is out of range %g..%g", v, min, max);
			v = def;
		}
	}
	*out = v;
}

static void get_bool(struct loader *ld, const config_setting_t *g, const char *name,
		     bool def, bool *out)
{
	const config_setting_t *s = g ? config_setting_get_member(g, name) : NULL;
	*out = def;
	if (!s)
		return;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		problem(ld, s, NULL, "must be true or false");
	else
		*out = config_setting_get_bool(s);
}

/* One of `choices` (NULL-terminated); returns its index. */
static int get_choice(struct loader *ld, const config_setting_t *g, const char *name,
		      const char *const *choices, int def)
{
	char *v = NULL;
	int ret = def;

	get_str(ld, g, name, choices[def], &v);
	for (int i = 0; choices[i]; i++)
		if (!strcmp(v, choices[i]))
			ret = i;
	if (strcmp(v, choices[ret])) {
		struct sbuf list = SBUF_INIT;
		for (int i = 0; choices[i]; i++)
			sbuf_addf(&list, "%s%s", i ? ", " : "", choices[i]);
		problem(ld, config_setting_get_member(g, name), NULL,
			"'%s' is not one of: %s", v, list.buf);
		sbuf_release(&list);
	}
	free(v);
	return ret;
}

static bool is_http_url(const char *u)
{
	const char *rest;
	if (!strncmp(u, "http://", 7))
		rest = u + 7;
	else if (!strncmp(u, "https://", 8))
		rest = u + 8;
	else
		return false;
	if (!*rest || *rest == '/')
		return false;
	for (const char *p = u; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == '<' || *p == '>')
			return false;
	return true;
}

static void check_url(struct loader *ld, const config_setting_t *g, const char *name,
		      const char *v)
{
	if (v && *v && !is_http_url(v))
		problem(ld, config_setting_get_member(g, name), NULL,
			"'%s' is not an http:// or https:// URL", v);
}

static void check_abs_path(struct loader *ld, const config_setting_t *g, const char *name,
			   const char *v)
{
	if (v && *v && v[0] != '/')
		problem(ld, config_setting_get_member(g, name), NULL,
			"'%s' must be an absolute path", v);
}

/* An array of language codes into a NULL-terminated vector. */
static void get_lang_list(struct loader *ld, const config_setting_t *g, const char *name,
			  const char *const *def, char **out)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	size_t n = 0;

	if (!s) {
		for (; n < CFG_MAX_LANGS && def[n]; n++)
			out[n] = xstrdup(def[n]);
		out[n] = NULL;
		return;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		problem(ld, s, NULL, "must be a list of language codes [\"da\", \"en\"]");
		out[0] = NULL;
		return;
	}
	for (int i = 0; i < config_setting_length(s); i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		const char *v = config_setting_get_string(e);
		if (!v || !match_is_lang_code(v)) {
			problem(ld, s, NULL, "element %d is not an ISO 639-1 code (two lowercase letters)", i + 1);
			continue;
		}
		if (n == CFG_MAX_LANGS) {
			problem(ld, s, NULL, "more than %d languages", CFG_MAX_LANGS);
			break;
		}
		out[n++] = xstrdup(v);
	}
	out[n] = NULL;
}

static bool lang_listed(char *const *langs, const char *code)
{
	for (; *langs; langs++)
		if (!strcmp(*langs, code))
			return true;
	return false;
}

/* A group of lang = "text" pairs; each text must be a valid template. */
static void get_texts(struct loader *ld, const config_setting_t *parent, const char *name,
		      char *const *langs, bool is_template, struct cfg_texts *out)
{
	const config_setting_t *g = get_group(ld, parent, name, false);
	struct sbuf terr = SBUF_INIT;

	out->v = NULL;
	out->n = 0;
	if (!g)
		return;
	out->v = xcalloc((size_t)config_setting_length(g) + 1, sizeof(*out->v));
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *lang = config_setting_name(s);
		const char *v = config_setting_get_string(s);
		if (!match_is_lang_code(lang) || !lang_listed(langs, lang)) {
			problem(ld, s, NULL, "'%s' is not one of the configured languages", lang);
			continue;
		}
		if (!v) {
			problem(ld, s, NULL, "must be a string");
			continue;
		}
		sbuf_reset(&terr);
		if (is_template && template_validate(v, &terr) < 0) {
			problem(ld, s, NULL, "%s", terr.buf);
			continue;
		}
		memcpy(out->v[out->n].lang, lang, 3);
		out->v[out->n].text = xstrdup(v);
		out->n++;
	}
	sbuf_release(&terr);
}

static bool is_interest_code(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* What the keyword engine can use (keyword_table_add()): valid UTF-8, 1
 * to KEYWORD_MAX_PHRASE words once folded, and not a number. Checked here
 * so that `budbringerd -t` finds it, not the start of the listener. */
static bool usable_keyword(const char *w)
{
	struct sbuf f = SBUF_INIT;
	size_t words = 1;
	bool ok = keyword_fold(w, strlen(w), &f) == 0 && f.len &&
		  strspn(f.buf, "0123456789") != f.len;

	for (size_t i = 0; ok && i < f.len; i++)
		words += f.buf[i] == ' ';
	sbuf_release(&f);
	return ok && words <= KEYWORD_MAX_PHRASE;
}

static void load_interests(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *g = get_group(ld, root, "interests", true);
	if (!g)
		return;
	cfg->interests = xcalloc((size_t)config_setting_length(g) + 1, sizeof(*cfg->interests));
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *code = config_setting_name(s);
		struct cfg_interest *in;
		size_t cap = 0;

		if (!is_interest_code(code)) {
			problem(ld, s, NULL, "interest code must be lowercase a-z, 0-9, _");
			continue;
		}
		if (!config_setting_is_group(s)) {
			problem(ld, s, NULL, "must be a group of lang = [\"KEYWORD\", …]");
			continue;
		}
		in = &cfg->interests[cfg->n_interests++];
		in->code = xstrdup(code);
		for (int j = 0; j < config_setting_length(s); j++)
			cap += (size_t)config_setting_length(config_setting_get_elem(s, (unsigned)j)) + 1;
		in->keywords = xcalloc(cap + 1, sizeof(*in->keywords));
		for (int j = 0; j < config_setting_length(s); j++) {
			const config_setting_t *l = config_setting_get_elem(s, (unsigned)j);
			const char *lang = config_setting_name(l);
			if (!lang_listed(cfg->languages, lang)) {
				problem(ld, l, NULL, "'%s' is not one of the configured languages", lang);
				continue;
			}
			if (!config_setting_is_array(l) && !config_setting_is_list(l)) {
				problem(ld, l, NULL, "must be a list of keywords");
				continue;
			}
			for (int k = 0; k < config_setting_length(l); k++) {
				const char *w = config_setting_get_string_elem(l, k);
				if (!w || !*w) {
					problem(ld, l, NULL, "keyword %d must be a non-empty string", k + 1);
					continue;
				}
				if (!usable_keyword(w)) {
					problem(ld, l, NULL, "keyword '%s' must be 1 to %d words and not a number",
						w, KEYWORD_MAX_PHRASE);
					continue;
				}
				memcpy(in->keywords[in->n_keywords].lang, lang, 3);
				in->keywords[in->n_keywords++].text = xstrdup(w);
			}
		}
	}
}

static const char *const keyword_intents[] = {
	"join", "confirm", "stop", "language", "help", "details", NULL
};

static void load_keywords(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	const config_setting_t *g = get_group(ld, root, "keywords", false);
	size_t cap = 0;

	if (!g)
		return;
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *l = config_setting_get_elem(g, (unsigned)i);
		for (int j = 0; config_setting_is_group(l) && j < config_setting_length(l); j++)
			cap += (size_t)config_setting_length(config_setting_get_elem(l, (unsigned)j));
	}
	cfg->keywords = xcalloc(cap + 1, sizeof(*cfg->keywords));
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *l = config_setting_get_elem(g, (unsigned)i);
		const char *lang = config_setting_name(l);
		if (!lang_listed(cfg->languages, lang)) {
			problem(ld, l, NULL, "'%s' is not one of the configured languages", lang);
			continue;
		}
		if (!config_setting_is_group(l)) {
			problem(ld, l, NULL, "must be a group of intent = [\"WORD\", …]");
			continue;
		}
		reject_unknown(ld, l, keyword_intents);
		for (int j = 0; j < config_setting_length(l); j++) {
			const config_setting_t *s = config_setting_get_elem(l, (unsigned)j);
			if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
				problem(ld, s, NULL, "must be a list of words");
				continue;
			}
			for (int k = 0; k < config_setting_length(s); k++) {
				const char *w = config_setting_get_string_elem(s, k);
				struct cfg_keyword *kw;
				if (!w || !*w) {
					problem(ld, s, NULL, "word %d must be a non-empty string", k + 1);
					continue;
				}
				if (!usable_keyword(w)) {
					problem(ld, s, NULL, "'%s' must be 1 to %d words and not a number", w,
						KEYWORD_MAX_PHRASE);
					continue;
				}
				kw = &cfg->keywords[cfg->n_keywords++];
				memcpy(kw->lang, lang, 3);
				kw->intent = xstrdup(config_setting_name(s));
				kw->word = xstrdup(w);
			}
		}
	}
}

static void parse_listen(struct loader *ld, const config_setting_t *g, const char *v,
			 struct config *cfg)
{
	const char *colon = strrchr(v, ':');
	char *end;
	long port;

	if (!colon || colon == v) {
		problem(ld, config_setting_get_member(g, "listen"), NULL,
			"'%s' must be ADDRESS:PORT, e.g. 127.0.0.1:8080", v);
		return;
	}
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (errno || *end || port < 1 || port > 65535) {
		problem(ld, config_setting_get_member(g, "listen"), NULL,
			"port in '%s' must be 1..65535", v);
		return;
	}
	cfg->http.listen_addr = xstrndup(v, (size_t)(colon - v));
	cfg->http.listen_port = (int)port;
}

static int parse_hhmm(const char *s)
{
	int h, m;
	char tail;
	if (sscanf(s, "%2d:%2d%c", &h, &m, &tail) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

static void load_http(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "listen", "public_url", "body_limit",
		"inbound_secret", "dlr_secret", "portal_token_sha256", "threads",
		"max_connections", "max_connections_per_address", "request_timeout", NULL };
	const config_setting_t *g = get_group(ld, root, "http", false);
	char *listen = NULL;
	int body_limit;

	if (g)
		reject_unknown(ld, g, allowed);
	get_str(ld, g, "listen", "127.0.0.1:8080", &listen);
	parse_listen(ld, g, listen, cfg);
	free(listen);
	get_str(ld, g, "public_url", "http://127.0.0.1:8080", &cfg->http.public_url);
	check_url(ld, g, "public_url", cfg->http.public_url);
	get_int(ld, g, "body_limit", 65536, 1024, 16 * 1024 * 1024, &body_limit);
	cfg->http.body_limit = (size_t)body_limit;
	get_int(ld, g, "max_connections", 512, 16, 65536, &cfg->http.max_connections);
	get_int(ld, g, "request_timeout", 15, 1, 600, &cfg->http.request_timeout);
	get_int(ld, g, "max_connections_per_address", 64, 1, 65536,
		&cfg->http.max_connections_per_address);
	if (cfg->http.max_connections_per_address > cfg->http.max_connections)
		problem(ld, config_setting_get_member(g, "max_connections_per_address"), NULL,
			"is more than http.max_connections (%d)", cfg->http.max_connections);
	get_secret(ld, g, "inbound_secret", CFG_SECRET_MIN, &cfg->http.inbound_secret);
	get_secret(ld, g, "dlr_secret", CFG_SECRET_MIN, &cfg->http.dlr_secret);
	get_str(ld, g, "portal_token_sha256", "", &cfg->http.portal_token_sha256);
	if (cfg_is_placeholder(cfg->http.portal_token_sha256))
		problem(ld, config_setting_get_member(g, "portal_token_sha256"), NULL,
			"is the sample value (CHANGE-ME…): make a token and its hash with "
			"`budbringer portal-token`");
	else if (*cfg->http.portal_token_sha256 &&
		 (strlen(cfg->http.portal_token_sha256) != 64 ||
		  strspn(cfg->http.portal_token_sha256, "0123456789abcdef") != 64))
		problem(ld, config_setting_get_member(g, "portal_token_sha256"), NULL,
			"must be 64 lowercase hex digits, the SHA-256 of the token (make both "
			"with `budbringer portal-token`)");
	get_int(ld, g, "threads", 2, 1, 64, &cfg->http.threads);
}

static void load_campaigns(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "require_approval", "frequency_cap",
		"both_channels", "expand_batch", "valid_hours", "quiet_hours", "fallback_email", NULL };
	static const char *const quiet_allowed[] = { "start", "end", "hold_email", NULL };
	static const char *const both[] = { "both", "prefer_sms", "prefer_email", NULL };
	const config_setting_t *g = get_group(ld, root, "campaigns", false);
	const config_setting_t *q;
	char *start = NULL, *end = NULL;

	if (g)
		reject_unknown(ld, g, allowed);
	get_bool(ld, g, "require_approval", false, &cfg->campaigns.require_approval);
	get_int(ld, g, "frequency_cap", 3, 0, 1000, &cfg->campaigns.frequency_cap);
	cfg->campaigns.both_channels = (enum cfg_both_channels)get_choice(ld, g, "both_channels", both, 0);
	get_int(ld, g, "expand_batch", 5000, 10, 1000000, &cfg->campaigns.expand_batch);
	get_int(ld, g, "valid_hours", 72, 1, 24 * 365, &cfg->campaigns.valid_hours);
	get_bool(ld, g, "fallback_email", false, &cfg->campaigns.fallback_email);

	q = g ? get_group(ld, g, "quiet_hours", false) : NULL;
	if (!q)
		return;
	reject_unknown(ld, q, quiet_allowed);
	get_str(ld, q, "start", "21:00", &start);
	get_str(ld, q, "end", "08:00", &end);
	cfg->campaigns.quiet_start_min = parse_hhmm(start);
	cfg->campaigns.quiet_end_min = parse_hhmm(end);
	if (cfg->campaigns.quiet_start_min < 0)
		problem(ld, config_setting_get_member(q, "start"), NULL, "'%s' is not HH:MM", start);
	if (cfg->campaigns.quiet_end_min < 0)
		problem(ld, config_setting_get_member(q, "end"), NULL, "'%s' is not HH:MM", end);
	cfg->campaigns.quiet_enabled = cfg->campaigns.quiet_start_min >= 0 &&
		cfg->campaigns.quiet_end_min >= 0 &&
		cfg->campaigns.quiet_start_min != cfg->campaigns.quiet_end_min;
	get_bool(ld, q, "hold_email", false, &cfg->campaigns.quiet_hold_email);
	free(start);
	free(end);
}

static void load_links(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "shorten", NULL };
	const config_setting_t *g = get_group(ld, root, "links", false);

	if (g)
		reject_unknown(ld, g, allowed);
	get_bool(ld, g, "shorten", false, &cfg->links.shorten);
}

/* Defaults in the spirit of listmonk (a hard bounce or a complaint blocks
 * at once) and Postal (soft bounces only count): 3 soft bounces in 15 days. */
/* An IMAP folder name as the mailbox argument of SELECT/MOVE: printable
 * ASCII without quotes or backslashes (it is sent as a quoted string). */
static bool is_imap_folder(const char *f)
{
	if (!*f || strlen(f) > 200)
		return false;
	for (; *f; f++)
		if ((unsigned char)*f < 0x20 || (unsigned char)*f > 0x7e || *f == '"' || *f == '\\')
			return false;
	return true;
}

static void load_bounce_imap(struct loader *ld, const config_setting_t *b, struct config *cfg)
{
	static const char *const allowed[] = { "url", "user", "password_file", "folder",
		"processed_folder", "ca_file", "interval", "timeout", "allow_plaintext", NULL };
	struct cfg_bounce_imap *im = &cfg->bounces.imap;
	const config_setting_t *g = b ? get_group(ld, b, "imap", false) : NULL;
	const char *host, *path;

	if (g)
		reject_unknown(ld, g, allowed);
	get_str(ld, g, "url", "", &im->url);
	get_str(ld, g, "user", "", &im->user);
	get_str(ld, g, "password_file", "", &im->password_file);
	get_str(ld, g, "folder", "", &im->folder);
	get_str(ld, g, "processed_folder", "", &im->processed_folder);
	get_str(ld, g, "ca_file", "", &im->ca_file);
	get_int(ld, g, "interval", 300, 2, 86400, &im->interval);
	get_int(ld, g, "timeout", 30, 1, 600, &im->timeout);
	get_bool(ld, g, "allow_plaintext", false, &im->allow_plaintext);
	check_abs_path(ld, g, "password_file", im->password_file);
	check_abs_path(ld, g, "ca_file", im->ca_file);
	if (!g)
		return;
	if (!strncmp(im->url, "imaps://", 8)) {
		host = im->url + 8;
	} else if (!strncmp(im->url, "imap://", 7)) {
		host = im->url + 7;
		if (!im->allow_plaintext)
			problem(ld, config_setting_get_member(g, "url"), NULL,
				"'%s' is plain imap://: the password and the mail would cross the "
				"network in clear; use imaps:// (or allow_plaintext = true for a "
				"loopback test)", im->url);
	} else {
		problem(ld, config_setting_get_member(g, "url"), NULL,
			"'%s' is not an imaps:// URL (e.g. imaps://outlook.office365.com/INBOX)",
			im->url);
		return;
	}
	path = strchr(host, '/');
	if (host == path || !*host || strpbrk(im->url, " \"<>?#;"))
		problem(ld, config_setting_get_member(g, "url"), NULL,
			"'%s' is not imaps://HOST[:PORT][/FOLDER]", im->url);
	if (!*im->folder) { /* the URL's path, else INBOX */
		free(im->folder);
		im->folder = xstrdup(path && path[1] ? path + 1 : "INBOX");
	}
	if (!is_imap_folder(im->folder))
		problem(ld, config_setting_get_member(g, "folder") ? config_setting_get_member(g, "folder") : g,
			config_setting_get_member(g, "folder") ? NULL : "url",
			"'%s' is not a folder name (printable ASCII, no quotes or backslashes)",
			im->folder);
	if (*im->processed_folder && !is_imap_folder(im->processed_folder))
		problem(ld, config_setting_get_member(g, "processed_folder"), NULL,
			"'%s' is not a folder name (printable ASCII, no quotes or backslashes)",
			im->processed_folder);
	if (*im->processed_folder && !strcmp(im->processed_folder, im->folder))
		problem(ld, config_setting_get_member(g, "processed_folder"), NULL,
			"is the folder read ('%s'): handled mail would be read again", im->folder);
	if (!*im->user)
		problem(ld, g, "user", "missing (required with url)");
	if (!*im->password_file)
		problem(ld, g, "password_file", "missing (required with url): a file holding "
			"the mailbox's password alone, mode 600");
}

static void load_bounces(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "soft_limit", "soft_days", "alert_min",
		"pause_at_threshold", "imap", NULL };
	const config_setting_t *g = get_group(ld, root, "bounces", false);

	if (g)
		reject_unknown(ld, g, allowed);
	get_int(ld, g, "soft_limit", 3, 1, 1000, &cfg->bounces.soft_limit);
	get_int(ld, g, "soft_days", 15, 1, 365, &cfg->bounces.soft_days);
	get_int(ld, g, "alert_min", 100, 1, 100000000, &cfg->bounces.alert_min);
	get_bool(ld, g, "pause_at_threshold", false, &cfg->bounces.pause_at_threshold);
	load_bounce_imap(ld, g, cfg);
}

/*
 * The rest provider's JSON shape: the preset's, with any field the
 * request group names instead. gatewayapi-mtsms is GatewayAPI's
 * /rest/mtsms (and what a provider without a preset has always had);
 * gatewayapi-message is its Message API, POST /mobile/single with
 * {"sender", "message", "recipient": 4512345678, "reference"}: one
 * number, no encoding (the gateway picks it) and no per-message callback
 * (webhooks are set up in GatewayAPI's dashboard), as
 * https://gatewayapi.com/docs/message/overview shows them.
 */
static void load_rest_request(struct loader *ld, const config_setting_t *p,
			      struct cfg_rest_request *rq, int preset)
{
	bool msg = preset == CFG_REST_PRESET_MESSAGE;

	static const char *const allowed[] = { "sender", "message", "encoding", "gsm7", "ucs2",
		"recipients", "recipient_style", "msisdn", "msisdn_format", "userref",
		"callback_url", "idempotency_header", NULL };
	static const char *const styles[] = { "objects", "list", "single", NULL };
	static const char *const formats[] = { "number", "digits", "e164", NULL };
	const config_setting_t *g = get_group(ld, p, "request", false);

	if (g)
		reject_unknown(ld, g, allowed);
	get_str(ld, g, "sender", "sender", &rq->sender);
	get_str(ld, g, "message", "message", &rq->message);
	get_str(ld, g, "encoding", msg ? "" : "encoding", &rq->encoding);
	get_str(ld, g, "gsm7", "UTF8", &rq->gsm7);
	get_str(ld, g, "ucs2", "UCS2", &rq->ucs2);
	get_str(ld, g, "recipients", msg ? "recipient" : "recipients", &rq->recipients);
	get_str(ld, g, "msisdn", "msisdn", &rq->msisdn);
	get_str(ld, g, "userref", msg ? "reference" : "userref", &rq->userref);
	get_str(ld, g, "callback_url", msg ? "" : "callback_url", &rq->callback_url);
	get_str(ld, g, "idempotency_header", "Idempotency-Key", &rq->idempotency_header);
	rq->recipient_style = get_choice(ld, g, "recipient_style", styles,
					 msg ? CFG_REST_SINGLE : CFG_REST_OBJECTS);
	rq->msisdn_format = get_choice(ld, g, "msisdn_format", formats, 0);
	if (!*rq->message)
		problem(ld, g, "message", "must name a field");
	if (!*rq->recipients)
		problem(ld, g, "recipients", "must name a field");
	if (rq->recipient_style == CFG_REST_OBJECTS && !*rq->msisdn)
		problem(ld, g, "msisdn", "must name a field when recipient_style is \"objects\"");
}

/* price_per_part: a decimal amount >= 0 with at most three decimals (a
 * number, or a string such as "0.285"); currency: three capital letters. */
static void load_price(struct loader *ld, const config_setting_t *p, struct cfg_sms_provider *sp)
{
	const config_setting_t *s = config_setting_get_member(p, "price_per_part");
	char *cur = NULL;
	double v = 0;

	if (s && config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *t = config_setting_get_string(s);
		char *end = NULL;

		errno = 0;
		v = strtod(t, &end);
		if (!*t || *end || errno || !isfinite(v) || strspn(t, "0123456789.") != strlen(t)) {
			problem(ld, s, NULL, "'%s' is not a decimal amount such as \"0.285\"", t);
			v = 0;
		}
	} else if (s) {
		get_double(ld, p, "price_per_part", 0, 0, 1000, &v);
	}
	if (v < 0 || v > 1000) {
		problem(ld, s, NULL, "%g is out of range 0..1000", v);
		v = 0;
	}
	sp->price_milli = llround(v * 1000.0);
	if (fabs(v * 1000.0 - (double)sp->price_milli) > 1e-6) {
		problem(ld, s, NULL, "%g has more than three decimals (prices are kept in thousandths)", v);
		sp->price_milli = 0;
	}
	get_str(ld, p, "currency", "DKK", &cur);
	if (strlen(cur) != 3 || strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
		problem(ld, config_setting_get_member(p, "currency"), NULL,
			"'%s' must be three capital letters (ISO 4217, e.g. \"DKK\")", cur);
	else
		memcpy(sp->currency, cur, 4);
	free(cur);
}

static void load_provider(struct loader *ld, const config_setting_t *p,
			  struct cfg_sms_provider *sp, const struct config *cfg)
{
	static const char *const types[] = { "spool", "kannel", "rest", NULL };
	static const char *const common[] = { "name", "type", "priority", "rate", "concurrency",
		"connect_timeout", "timeout", "price_per_part", "currency", NULL };
	static const char *const spool_keys[] = { "directory", NULL };
	static const char *const kannel_keys[] = { "url", "username", "password", "sender",
		"dlr_mask", "dlr_url", "method", NULL };
	static const char *const rest_keys[] = { "url", "token", "sender", "dlr_url",
		"auth_header", "auth_scheme", "idempotent", "bills_segments", "request", "preset",
		"webhook_secret", NULL };
	static const char *const presets[] = { "gatewayapi-mtsms", "gatewayapi-message", NULL };
	static const char *const methods[] = { "get", "post", NULL };
	const char *const *specific[] = { spool_keys, kannel_keys, rest_keys };
	int type;

	get_str(ld, p, "name", "", &sp->name);
	if (!*sp->name)
		problem(ld, p, "name", "missing (required)");
	type = get_choice(ld, p, "type", types, 0);
	sp->type = xstrdup(types[type]);
	/* Every setting must be common or belong to this type. */
	for (int i = 0; i < config_setting_length(p); i++) {
		const config_setting_t *s = config_setting_get_elem(p, (unsigned)i);
		const char *nm = config_setting_name(s);
		bool ok = false;
		for (const char *const *a = common; *a && !ok; a++)
			ok = !strcmp(*a, nm);
		for (const char *const *a = specific[type]; *a && !ok; a++)
			ok = !strcmp(*a, nm);
		if (!ok)
			problem(ld, s, NULL, "unknown setting for a provider of type '%s'", types[type]);
	}
	get_int(ld, p, "priority", 10, 0, 1000, &sp->priority);
	get_double(ld, p, "rate", 0, 0, 100000, &sp->rate);
	get_int(ld, p, "concurrency", 4, 1, 256, &sp->concurrency);
	get_int(ld, p, "connect_timeout", 5, 1, 120, &sp->connect_timeout);
	get_int(ld, p, "timeout", 15, 1, 600, &sp->timeout);
	get_str(ld, p, "directory", "", &sp->directory);
	get_str(ld, p, "url", "", &sp->url);
	get_str(ld, p, "username", "", &sp->username);
	get_secret(ld, p, "password", 0, &sp->password);
	get_secret(ld, p, "token", 0, &sp->token);
	get_str(ld, p, "sender", cfg->sms.sender, &sp->sender);
	get_int(ld, p, "dlr_mask", 31, 0, 31, &sp->dlr_mask);
	get_str(ld, p, "dlr_url", "", &sp->dlr_url);
	get_str(ld, p, "auth_header", "Authorization", &sp->auth_header);
	sp->preset = get_choice(ld, p, "preset", presets, CFG_REST_PRESET_MTSMS);
	/* GatewayAPI's scheme is Token; without a preset, Bearer as before. */
	get_str(ld, p, "auth_scheme", config_setting_get_member(p, "preset") ? "Token" : "Bearer",
		&sp->auth_scheme);
	get_secret(ld, p, "webhook_secret", CFG_SECRET_MIN, &sp->webhook_secret);
	get_bool(ld, p, "idempotent", type == 0, &sp->idempotent);
	get_bool(ld, p, "bills_segments", type != 0, &sp->bills_segments);
	load_price(ld, p, sp);
	sp->method = xstrdup(methods[get_choice(ld, p, "method", methods, 0)]);
	load_rest_request(ld, p, &sp->request, sp->preset);
	check_url(ld, p, "url", sp->url);
	check_url(ld, p, "dlr_url", sp->dlr_url);
	if (type == 0) {
		if (!*sp->directory)
			problem(ld, p, "directory", "missing (required for type 'spool')");
		check_abs_path(ld, p, "directory", sp->directory);
	} else if (!*sp->url) {
		problem(ld, p, "url", "missing (required for type '%s')", types[type]);
	}
}

static int provider_cmp(const void *a, const void *b)
{
	const struct cfg_sms_provider *x = a, *y = b;
	return (x->priority > y->priority) - (x->priority < y->priority);
}

static void load_sms(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "sender", "gsm_transliterate", "max_attempts",
		"backoff_initial", "backoff_max", "failover_after", "cooldown", "providers",
		"confirm_countries", "confirm_hourly_cap", "confirm_prefix_hourly_cap", NULL };
	const config_setting_t *g = get_group(ld, root, "sms", false);
	const config_setting_t *list, *cc;
	size_t n_cc = 0;

	if (g)
		reject_unknown(ld, g, allowed);
	get_str(ld, g, "sender", "Budbringer", &cfg->sms.sender);
	get_bool(ld, g, "gsm_transliterate", false, &cfg->sms.transliterate);
	get_int(ld, g, "max_attempts", 6, 1, 100, &cfg->sms.max_attempts);
	get_int(ld, g, "backoff_initial", 10, 1, 3600, &cfg->sms.backoff_initial);
	get_int(ld, g, "backoff_max", 1800, 1, 86400, &cfg->sms.backoff_max);
	get_int(ld, g, "failover_after", 3, 1, 1000, &cfg->sms.failover_after);
	get_int(ld, g, "cooldown", 60, 1, 86400, &cfg->sms.cooldown);
	get_int(ld, g, "confirm_hourly_cap", 300, 0, 1000000, &cfg->sms.confirm_hourly_cap);
	get_int(ld, g, "confirm_prefix_hourly_cap", 20, 0, 1000000, &cfg->sms.confirm_prefix_hourly_cap);
	cc = g ? config_setting_get_member(g, "confirm_countries") : NULL;
	if (!cc) {
		cfg->sms.confirm_countries[n_cc++] = xstrdup("45");
	} else if (!config_setting_is_array(cc) && !config_setting_is_list(cc)) {
		problem(ld, cc, NULL, "must be a list of calling codes [\"45\", \"46\"]");
	} else {
		for (int i = 0; i < config_setting_length(cc); i++) {
			const char *v = config_setting_get_string(config_setting_get_elem(cc, (unsigned)i));

			if (!v || !sms_guard_calling_code(v)) {
				problem(ld, cc, NULL, "element %d ('%s') is not a country calling code of E.164"
					" (e.g. \"45\", \"1\", \"358\")", i + 1, v ? v : "");
				continue;
			}
			if (n_cc == CFG_MAX_COUNTRIES) {
				problem(ld, cc, NULL, "more than %d calling codes", CFG_MAX_COUNTRIES);
				break;
			}
			cfg->sms.confirm_countries[n_cc++] = xstrdup(v);
		}
	}
	cfg->sms.confirm_countries[n_cc] = NULL;

	list = g ? config_setting_get_member(g, "providers") : NULL;
	if (!list) {
		/* The embedded default: a fresh install runs without any account. */
		cfg->sms.providers = xcalloc(1, sizeof(*cfg->sms.providers));
		cfg->sms.n_providers = 1;
		struct cfg_sms_provider *sp = &cfg->sms.providers[0];
		sp->name = xstrdup("spool");
		sp->type = xstrdup("spool");
		sp->directory = xstrdup("/var/lib/budbringer/spool/sms");
		sp->concurrency = 1;
		sp->idempotent = true;
		sp->connect_timeout = 5;
		sp->timeout = 15;
		sp->url = xstrdup("");
		sp->username = xstrdup("");
		sp->password = xstrdup("");
		sp->token = xstrdup("");
		sp->dlr_url = xstrdup("");
		sp->sender = xstrdup(cfg->sms.sender);
		sp->auth_header = xstrdup("Authorization");
		sp->auth_scheme = xstrdup("Bearer");
		memcpy(sp->currency, "DKK", 4);
		memcpy(cfg->sms.currency, "DKK", 4);
		return;
	}
	if (!config_setting_is_list(list)) {
		problem(ld, list, NULL, "must be a list of provider groups ( { … }, { … } )");
		return;
	}
	cfg->sms.providers = xcalloc((size_t)config_setting_length(list) + 1, sizeof(*cfg->sms.providers));
	for (int i = 0; i < config_setting_length(list); i++) {
		const config_setting_t *p = config_setting_get_elem(list, (unsigned)i);
		if (!config_setting_is_group(p)) {
			problem(ld, p, NULL, "provider %d must be a group { … }", i + 1);
			continue;
		}
		load_provider(ld, p, &cfg->sms.providers[cfg->sms.n_providers++], cfg);
	}
	for (size_t i = 0; i < cfg->sms.n_providers; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(cfg->sms.providers[i].name, cfg->sms.providers[j].name))
				problem(ld, list, NULL, "provider name '%s' used twice",
					cfg->sms.providers[i].name);
	if (!cfg->sms.n_providers)
		problem(ld, list, NULL, "at least one provider is needed");
	memcpy(cfg->sms.currency, "DKK", 4);
	if (cfg->sms.n_providers && cfg->sms.providers[0].currency[0])
		memcpy(cfg->sms.currency, cfg->sms.providers[0].currency, 4);
	for (size_t i = 1; i < cfg->sms.n_providers; i++)
		if (cfg->sms.providers[i].currency[0] &&
		    strcmp(cfg->sms.providers[i].currency, cfg->sms.currency))
			problem(ld, list, NULL, "provider '%s' has currency %s and '%s' %s: all SMS "
				"providers must use one currency, so that costs add up",
				cfg->sms.providers[i].name, cfg->sms.providers[i].currency,
				cfg->sms.providers[0].name, cfg->sms.currency);
	qsort(cfg->sms.providers, cfg->sms.n_providers, sizeof(*cfg->sms.providers), provider_cmp);
}

static void load_email(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "provider", "spool_directory", "from", "from_name",
		"domain", "unsubscribe_mailto", "max_attempts", "confirm_valid_days", "smtp", NULL };
	static const char *const smtp_allowed[] = { "host", "port", "starttls", "username",
		"password", "timeout", "connections", "messages_per_session", "rate", "helo",
		"ca_file", "verify_peer", NULL };
	static const char *const providers[] = { "spool", "smtp", NULL };
	static const char *const tls[] = { "disabled", "enabled", "required", NULL };
	const config_setting_t *g = get_group(ld, root, "email", false);
	const config_setting_t *s;
	struct cfg_smtp *m = &cfg->email.smtp;

	if (g)
		reject_unknown(ld, g, allowed);
	cfg->email.provider = xstrdup(providers[get_choice(ld, g, "provider", providers, 0)]);
	get_str(ld, g, "spool_directory", "/var/lib/budbringer/spool/mail", &cfg->email.spool_directory);
	check_abs_path(ld, g, "spool_directory", cfg->email.spool_directory);
	get_str(ld, g, "from", "frivillig@example.dk", &cfg->email.from);
	get_str(ld, g, "from_name", "Budbringer", &cfg->email.from_name);
	get_str(ld, g, "domain", "example.dk", &cfg->email.domain);
	get_str(ld, g, "unsubscribe_mailto", "", &cfg->email.unsubscribe_mailto);
	get_int(ld, g, "max_attempts", 8, 1, 100, &cfg->email.max_attempts);
	get_int(ld, g, "confirm_valid_days", 7, 1, 90, &cfg->email.confirm_valid_days);
	if (!strchr(cfg->email.from, '@'))
		problem(ld, config_setting_get_member(g, "from"), NULL, "'%s' is not an email address",
			cfg->email.from);

	s = g ? get_group(ld, g, "smtp", false) : NULL;
	if (s)
		reject_unknown(ld, s, smtp_allowed);
	get_str(ld, s, "host", "127.0.0.1", &m->host);
	get_int(ld, s, "port", 25, 1, 65535, &m->port);
	m->starttls = (enum cfg_starttls)get_choice(ld, s, "starttls", tls, CFG_TLS_REQUIRED);
	get_str(ld, s, "username", "", &m->username);
	get_secret(ld, s, "password", 0, &m->password);
	/* No implicit TLS here: without STARTTLS, AUTH would carry the
	 * password in clear, and "enabled" lets a man in the middle strip it. */
	if (*m->username || *m->password) {
		if (m->starttls == CFG_TLS_DISABLED)
			problem(ld, config_setting_get_member(s, "starttls"), NULL,
				"is \"disabled\" but email.smtp.username/password are set: the "
				"password would cross the network in clear; use \"required\"");
		m->starttls = CFG_TLS_REQUIRED;
	}
	get_int(ld, s, "timeout", 30, 1, 600, &m->timeout);
	get_int(ld, s, "connections", 2, 1, 64, &m->connections);
	get_int(ld, s, "messages_per_session", 100, 1, 100000, &m->messages_per_session);
	get_double(ld, s, "rate", 0, 0, 100000, &m->rate);
	get_str(ld, s, "helo", "", &m->helo);
	get_str(ld, s, "ca_file", "", &m->ca_file);
	check_abs_path(ld, s, "ca_file", m->ca_file);
	get_bool(ld, s, "verify_peer", true, &m->verify_peer);
	if (!strcmp(cfg->email.provider, "smtp") && !s)
		problem(ld, g, "smtp", "missing group (needed for provider \"smtp\")");
}

/* staff = ( { user = "anna"; password_hash = "$y$…"; lang = "da"; } ); */
static void load_staff(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "user", "password_hash", "lang", NULL };
	static const char *const langs[] = { "da", "en", NULL };
	const config_setting_t *l = config_setting_get_member(root, "staff");
	int n;

	if (!l)
		return;
	if (!config_setting_is_list(l)) {
		problem(ld, l, NULL, "must be a list ( { user = …; password_hash = …; }, … )");
		return;
	}
	n = config_setting_length(l);
	cfg->staff = xcalloc((size_t)n + 1, sizeof(*cfg->staff));
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(l, (unsigned)i);
		struct cfg_staff *st = &cfg->staff[cfg->n_staff];
		const char *u;
		if (!config_setting_is_group(s)) {
			problem(ld, s, NULL, "must be a group { user = …; password_hash = …; }");
			continue;
		}
		reject_unknown(ld, s, allowed);
		get_str(ld, s, "user", NULL, &st->user);
		get_secret(ld, s, "password_hash", 0, &st->password_hash);
		memcpy(st->lang, langs[get_choice(ld, s, "lang", langs, 0)], 3);
		cfg->n_staff++;
		u = st->user;
		if (!u || !*u || strlen(u) > 63 || strspn(u, "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-@") != strlen(u))
			problem(ld, s, "user", "'%s' must be 1..63 letters, digits or . _ - @", u ? u : "");
		for (size_t j = 0; u && j + 1 < cfg->n_staff; j++)
			if (!strcmp(cfg->staff[j].user, u))
				problem(ld, s, "user", "'%s' is listed twice", u);
		/* libxcrypt knows every hash method it can verify. */
		if (crypt_checksalt(st->password_hash) != CRYPT_SALT_OK ||
		    strlen(st->password_hash) < 13)
			problem(ld, s, "password_hash",
				"is not a crypt(3) hash this system supports (make one with "
				"`budbringer hash-password`)");
	}
}

static void load_callbacks(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "allow_http", "allow_private", "timeout",
		"connect_timeout", "backoff_initial", "backoff_max", "retry_for", "max_in_flight",
		"keep_days", NULL };
	const config_setting_t *g = get_group(ld, root, "callbacks", false);

	if (g)
		reject_unknown(ld, g, allowed);
	get_bool(ld, g, "allow_http", false, &cfg->callbacks.allow_http);
	get_bool(ld, g, "allow_private", false, &cfg->callbacks.allow_private);
	get_int(ld, g, "timeout", 10, 1, 120, &cfg->callbacks.timeout);
	get_int(ld, g, "connect_timeout", 5, 1, 60, &cfg->callbacks.connect_timeout);
	get_int(ld, g, "backoff_initial", 30, 1, 3600, &cfg->callbacks.backoff_initial);
	get_int(ld, g, "backoff_max", 3600, 1, 86400, &cfg->callbacks.backoff_max);
	get_int(ld, g, "retry_for", 259200, 60, 30 * 86400, &cfg->callbacks.retry_for);
	get_int(ld, g, "max_in_flight", 8, 1, 256, &cfg->callbacks.max_in_flight);
	get_int(ld, g, "keep_days", 30, 1, 3650, &cfg->callbacks.keep_days);
	if (cfg->callbacks.backoff_max < cfg->callbacks.backoff_initial)
		problem(ld, config_setting_get_member(g, "backoff_max"), NULL,
			"%d is less than backoff_initial (%d)", cfg->callbacks.backoff_max,
			cfg->callbacks.backoff_initial);
}

static void load_root(struct loader *ld, const config_setting_t *root, struct config *cfg)
{
	static const char *const allowed[] = { "database", "database_password_file", "journal_directory", "log_level", "poll_interval",
		"default_country", "min_age", "languages", "fallback", "secret_key", "timezone",
		"retention_days", "pending_signup_days", "user", "http", "interests", "templates", "campaigns", "sms", "email",
		"bounces", "keywords", "staff", "callbacks", "links", NULL };
	static const char *const template_allowed[] = { "sms", "email_subject", "email_text",
		"stop", NULL };
	static const char *const def_langs[] = { "da", "en", "ar", "tr", "so", "ur", "pl", NULL };
	static const char *const def_fallback[] = { "en", "da", NULL };
	enum log_level lvl;
	const config_setting_t *t;

	reject_unknown(ld, root, allowed);
	get_str(ld, root, "database", NULL, &cfg->database);
	if (!cfg->database || !db_target_is_postgresql(cfg->database)) {
		check_abs_path(ld, root, "database", cfg->database);
	} else {
		struct sbuf why = SBUF_INIT;

		if (db_check_postgresql_uri(cfg->database, &why) < 0)
			problem(ld, config_setting_get_member(root, "database"), NULL, "%s", why.buf);
		sbuf_release(&why);
	}
	get_str(ld, root, "database_password_file", "", &cfg->database_password_file);
	check_abs_path(ld, root, "database_password_file", cfg->database_password_file);
	/* The wire journal's directory (wire.h); "" = beside a SQLite file. */
	get_str(ld, root, "journal_directory", "", &cfg->journal_directory);
	check_abs_path(ld, root, "journal_directory", cfg->journal_directory);
	get_str(ld, root, "log_level", "info", &cfg->log_level);
	if (log_level_parse(cfg->log_level, &lvl) < 0)
		problem(ld, config_setting_get_member(root, "log_level"), NULL,
			"'%s' is not one of: error, warn, info, debug", cfg->log_level);
	get_int(ld, root, "poll_interval", 5, 1, 3600, &cfg->poll_interval);
	get_str(ld, root, "default_country", "45", &cfg->default_country);
	if (!*cfg->default_country || strlen(cfg->default_country) > 3 ||
	    strspn(cfg->default_country, "0123456789") != strlen(cfg->default_country) ||
	    cfg->default_country[0] == '0')
		problem(ld, config_setting_get_member(root, "default_country"), NULL,
			"'%s' must be a country calling code such as \"45\"", cfg->default_country);
	get_int(ld, root, "min_age", 15, 0, 120, &cfg->min_age);
	get_lang_list(ld, root, "languages", def_langs, cfg->languages);
	get_lang_list(ld, root, "fallback", def_fallback, cfg->fallback);
	for (char **f = cfg->fallback; *f; f++)
		if (!lang_listed(cfg->languages, *f))
			problem(ld, config_setting_get_member(root, "fallback"), NULL,
				"'%s' is not in languages", *f);
	get_secret(ld, root, "secret_key", CFG_SECRET_MIN, &cfg->secret_key);
	if (!*cfg->secret_key)
		problem(ld, root, "secret_key", "missing (required: it signs unsubscribe and "
			"confirm links): " SECRET_HOWTO);
	get_str(ld, root, "timezone", "Europe/Copenhagen", &cfg->timezone);
	{
		struct sbuf zp = SBUF_INIT;
		struct stat st;
		sbuf_addf(&zp, "/usr/share/zoneinfo/%s", cfg->timezone);
		if (strstr(cfg->timezone, "..") || stat(zp.buf, &st) < 0 || !S_ISREG(st.st_mode))
			problem(ld, config_setting_get_member(root, "timezone"), NULL,
				"'%s' is not a time zone of the system's tz database", cfg->timezone);
		sbuf_release(&zp);
	}
	get_int(ld, root, "retention_days", 180, 1, 3650, &cfg->retention_days);
	get_int(ld, root, "pending_signup_days", 30, 1, 3650, &cfg->pending_signup_days);
	get_str(ld, root, "user", "budbringer", &cfg->user);

	load_http(ld, root, cfg);
	load_interests(ld, root, cfg);
	t = get_group(ld, root, "templates", false);
	if (t)
		reject_unknown(ld, t, template_allowed);
	if (t) {
		get_texts(ld, t, "sms", cfg->languages, true, &cfg->templates.sms);
		get_texts(ld, t, "email_subject", cfg->languages, true, &cfg->templates.email_subject);
		get_texts(ld, t, "email_text", cfg->languages, true, &cfg->templates.email_text);
		get_texts(ld, t, "stop", cfg->languages, false, &cfg->templates.stop);
	}
	if (!cfg->templates.sms.n)
		problem(ld, t ? t : root, "templates.sms", "at least one language needs an SMS template");
	load_campaigns(ld, root, cfg);
	load_links(ld, root, cfg);
	load_sms(ld, root, cfg);
	load_email(ld, root, cfg);
	load_bounces(ld, root, cfg);
	load_keywords(ld, root, cfg);
	load_staff(ld, root, cfg);
	load_callbacks(ld, root, cfg);
}

int cfg_load(const char *path, struct config *out, struct sbuf *err)
{
	config_t lc;
	struct config cfg;
	struct loader ld = { .file = path, .err = err };
	int ret = -1;

	memset(&cfg, 0, sizeof(cfg));
	config_init(&lc);
	if (!config_read_file(&lc, path)) {
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			sbuf_addf(err, "%s:0: cannot read file: %s\n", path, strerror(errno));
		else
			sbuf_addf(err, "%s:%d: syntax: %s\n", path, config_error_line(&lc),
				    config_error_text(&lc));
		goto out;
	}
	cfg.path = xstrdup(path);
	load_root(&ld, config_root_setting(&lc), &cfg);
	if (ld.errors) {
		cfg_free(&cfg);
		goto out;
	}
	cfg.has_secrets = ld.has_secrets;
	*out = cfg;
	ret = 0;
out:
	config_destroy(&lc);
	return ret;
}

int cfg_check_permissions(const struct config *cfg, bool refuse, struct sbuf *err)
{
	struct stat st;

	if (!cfg->has_secrets || stat(cfg->path, &st) < 0 || !(st.st_mode & (S_IRWXG | S_IRWXO)))
		return 0;
	if (!refuse) {
		log_warn("config '%s' holds secrets and is readable by group or others (mode %03o); "
			 "chmod 600 it", cfg->path, (unsigned)(st.st_mode & 0777));
		return 0;
	}
	sbuf_addf(err, "%s:0: file: holds secrets (passwords, tokens) and is readable by group or "
		  "others (mode %03o): chmod 600 it, or start with --allow-readable-config\n",
		  cfg->path, (unsigned)(st.st_mode & 0777));
	return -1;
}

static void texts_free(struct cfg_texts *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
}

void cfg_free(struct config *cfg)
{
	free(cfg->path);
	free(cfg->database);
	free(cfg->database_password_file);
	free(cfg->bounces.imap.url);
	free(cfg->bounces.imap.user);
	free(cfg->bounces.imap.password_file);
	free(cfg->bounces.imap.folder);
	free(cfg->bounces.imap.processed_folder);
	free(cfg->bounces.imap.ca_file);
	free(cfg->journal_directory);
	free(cfg->log_level);
	free(cfg->default_country);
	for (char **l = cfg->languages; *l; l++)
		free(*l);
	for (char **l = cfg->fallback; *l; l++)
		free(*l);
	free(cfg->secret_key);
	free(cfg->timezone);
	free(cfg->user);
	free(cfg->http.listen_addr);
	free(cfg->http.public_url);
	free(cfg->http.inbound_secret);
	free(cfg->http.dlr_secret);
	free(cfg->http.portal_token_sha256);
	for (size_t i = 0; i < cfg->n_interests; i++) {
		free(cfg->interests[i].code);
		for (size_t j = 0; j < cfg->interests[i].n_keywords; j++)
			free(cfg->interests[i].keywords[j].text);
		free(cfg->interests[i].keywords);
	}
	free(cfg->interests);
	texts_free(&cfg->templates.sms);
	texts_free(&cfg->templates.email_subject);
	texts_free(&cfg->templates.email_text);
	texts_free(&cfg->templates.stop);
	free(cfg->sms.sender);
	for (size_t i = 0; cfg->sms.confirm_countries[i]; i++)
		free(cfg->sms.confirm_countries[i]);
	for (size_t i = 0; i < cfg->sms.n_providers; i++) {
		struct cfg_sms_provider *p = &cfg->sms.providers[i];
		free(p->name); free(p->type); free(p->directory); free(p->url);
		free(p->username); free(p->password); free(p->token); free(p->sender);
		free(p->dlr_url); free(p->auth_header); free(p->auth_scheme);
		free(p->method); free(p->webhook_secret);
		free(p->request.sender); free(p->request.message); free(p->request.encoding);
		free(p->request.gsm7); free(p->request.ucs2); free(p->request.recipients);
		free(p->request.msisdn); free(p->request.userref); free(p->request.callback_url);
		free(p->request.idempotency_header);
	}
	free(cfg->sms.providers);
	free(cfg->email.provider); free(cfg->email.spool_directory); free(cfg->email.from);
	free(cfg->email.from_name); free(cfg->email.domain); free(cfg->email.unsubscribe_mailto);
	free(cfg->email.smtp.host); free(cfg->email.smtp.username); free(cfg->email.smtp.password);
	free(cfg->email.smtp.helo); free(cfg->email.smtp.ca_file);
	for (size_t i = 0; i < cfg->n_keywords; i++) {
		free(cfg->keywords[i].intent);
		free(cfg->keywords[i].word);
	}
	free(cfg->keywords);
	for (size_t i = 0; i < cfg->n_staff; i++) {
		free(cfg->staff[i].user);
		free(cfg->staff[i].password_hash);
	}
	free(cfg->staff);
	memset(cfg, 0, sizeof(*cfg));
}

const char *cfg_text_get(const struct cfg_texts *t, const char *lang)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].lang, lang))
			return t->v[i].text;
	return NULL;
}

bool cfg_has_language(const struct config *cfg, const char *lang)
{
	return lang && lang_listed(cfg->languages, lang);
}

const struct cfg_interest *cfg_interest_find(const struct config *cfg, const char *code)
{
	for (size_t i = 0; i < cfg->n_interests; i++)
		if (!strcmp(cfg->interests[i].code, code))
			return &cfg->interests[i];
	return NULL;
}

const struct cfg_staff *cfg_staff_find(const struct config *cfg, const char *user)
{
	for (size_t i = 0; user && i < cfg->n_staff; i++)
		if (!strcmp(cfg->staff[i].user, user))
			return &cfg->staff[i];
	return NULL;
}

const struct cfg_sms_provider *cfg_sms_provider_find(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->sms.n_providers; i++)
		if (!strcmp(cfg->sms.providers[i].name, name))
			return &cfg->sms.providers[i];
	return NULL;
}
