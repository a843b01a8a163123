/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_CONFIG_H
#define BUDBRINGER_CONFIG_H

/*
 * The configuration file (libconfig syntax) loaded into one typed struct.
 *
 * cfg_load() reads and validates everything: types, ranges, URLs, paths,
 * language codes, the interest taxonomy, templates; unknown settings are
 * errors. No secret may be a sample CHANGE-ME value, shared secrets have
 * at least CFG_SECRET_MIN characters, and SMTP credentials are only
 * accepted with TLS required (so AUTH never goes in clear). Error messages have the form "FILE:LINE: setting: problem".
 * The struct owns all its strings; cfg_free() releases them. A loaded
 * config is never modified: SIGHUP loads a new one and swaps pointers.
 */

#include <stdbool.h>
#include <stddef.h>

#include "budbringer/sbuf.h"

#define CFG_DEFAULT_PATH "/etc/budbringer/budbringer.conf"
#define CFG_MAX_COUNTRIES 16
#define CFG_MAX_LANGS 32
/* Shared secrets (secret_key, http.inbound_secret, http.dlr_secret, the
 * portal token) are refused when shorter. */
#define CFG_SECRET_MIN 32

/* A per-language string ("da" -> "…"). */
struct cfg_text {
	char lang[4];
	char *text;
};

struct cfg_texts {
	struct cfg_text *v;
	size_t n;
};

struct cfg_interest {
	char *code;
	struct cfg_text *keywords; /* lang -> one keyword each; several entries per lang allowed */
	size_t n_keywords;
};

/* One word for one intent in one language, from the keywords group. */
struct cfg_keyword {
	char lang[4];
	char *intent; /* join, confirm, stop, language, help, … */
	char *word;
};

/* A member of staff who may log in to the dashboard. */
struct cfg_staff {
	char *user;
	char *password_hash;  /* crypt(3) hash ("$y$…" from `budbringer hash-password`) */
	char lang[4];         /* dashboard language: da or en */
};

enum cfg_starttls { CFG_TLS_DISABLED, CFG_TLS_ENABLED, CFG_TLS_REQUIRED };
enum cfg_both_channels { CFG_BOTH_SEND_BOTH, CFG_BOTH_PREFER_SMS, CFG_BOTH_PREFER_EMAIL };

struct cfg_sms_provider {
	char *name;
	char *type;          /* spool, kannel, rest */
	int priority;        /* lower goes first */
	double rate;         /* messages (segments where billed) per second; 0 = unlimited */
	int concurrency;
	int connect_timeout; /* seconds */
	int timeout;         /* seconds, whole request */
	bool idempotent;     /* provider deduplicates by our message id */
	bool bills_segments;
	/* What one SMS part costs, in thousandths of `currency` (config
	 * price_per_part = 0.285 is 285); 0 = free or unknown. */
	long long price_milli;
	char currency[4];    /* ISO 4217, e.g. "DKK" */
	/* spool */
	char *directory;
	/* kannel, rest */
	char *url;
	char *username;
	char *password;
	char *token;
	char *sender;
	int dlr_mask;
	char *dlr_url;       /* default: http.public_url + /sms/dlr */
	/* rest: request shape */
	char *auth_header;   /* e.g. "Authorization" */
	char *auth_scheme;   /* e.g. "Bearer" */
	/* kannel: "get" (query string) or "post" (X-Kannel-* headers) */
	char *method;
	/* rest: the request shape's starting point (CFG_REST_PRESET_*), and
	 * the key GatewayAPI signs its webhooks with ("" = none) */
	int preset;
	char *webhook_secret;
	/* rest: JSON field names ("" leaves a field out) and value formats */
	struct cfg_rest_request {
		char *sender, *message, *encoding, *gsm7, *ucs2;
		char *recipients, *msisdn, *userref, *callback_url;
		char *idempotency_header;
		int recipient_style;  /* CFG_REST_OBJECTS, _LIST, _SINGLE */
		int msisdn_format;    /* CFG_MSISDN_NUMBER, _DIGITS, _E164 */
	} request;
};

/* rest presets: GatewayAPI's /rest/mtsms (also what a config without a
 * preset gets) and its Message API (/mobile/single) */
enum { CFG_REST_PRESET_MTSMS, CFG_REST_PRESET_MESSAGE };
/* recipients: [{"msisdn": N}], [N], or N alone */
enum { CFG_REST_OBJECTS, CFG_REST_LIST, CFG_REST_SINGLE };
/* a number as JSON integer 4512345678, string "4512345678" or "+4512345678" */
enum { CFG_MSISDN_NUMBER, CFG_MSISDN_DIGITS, CFG_MSISDN_E164 };

struct cfg_smtp {
	char *host;
	int port;
	enum cfg_starttls starttls;  /* default required; always required with a login */
	char *username;
	char *password;
	int timeout;
	int connections;
	int messages_per_session;
	double rate;
	char *helo;
	char *ca_file;
	bool verify_peer;
};

struct config {
	char *path;
	bool has_secrets;        /* a password, token or key is set */
	char *database;          /* a file (SQLite) or a postgresql:// URI */
	char *database_password_file; /* PostgreSQL's password, or "" */
	char *journal_directory; /* wire journals (wire.h); "" = beside a SQLite file, none on PostgreSQL */
	char *log_level;
	int poll_interval;
	char *default_country;
	int min_age;
	char *languages[CFG_MAX_LANGS + 1];  /* NULL-terminated */
	char *fallback[CFG_MAX_LANGS + 1];   /* NULL-terminated */
	char *secret_key;
	char *timezone;
	int retention_days;
	int pending_signup_days; /* a sign-up nobody confirmed is forgotten after this */
	char *user;              /* the daemon drops to it when started as root */

	struct {
		char *listen_addr;
		int listen_port;
		char *public_url;
		size_t body_limit;
		int max_connections;              /* open at once, all clients */
		int request_timeout;              /* seconds for a request's headers and body */
		int max_connections_per_address;  /* one client address (a proxy is one) */
		char *inbound_secret;
		char *dlr_secret;
		char *portal_token_sha256;
		int threads;
	} http;

	struct cfg_interest *interests;
	size_t n_interests;

	struct {
		struct cfg_texts sms;
		struct cfg_texts email_subject;
		struct cfg_texts email_text;
		struct cfg_texts stop;
	} templates;

	struct {
		bool require_approval;
		int frequency_cap;     /* per rolling 7 days; 0 = off */
		enum cfg_both_channels both_channels;
		int expand_batch;
		int valid_hours;
		bool quiet_enabled;
		int quiet_start_min;   /* minutes after local midnight */
		int quiet_end_min;
		bool quiet_hold_email;
		bool fallback_email;   /* a failed SMS becomes an email (fallback.h) */
	} campaigns;

	/* Short links in SMS (links.h). */
	struct {
		bool shorten;
	} links;

	struct {
		char *sender;
		bool transliterate;
		int max_attempts;
		int backoff_initial;
		int backoff_max;
		int failover_after;    /* consecutive temporary failures */
		int cooldown;          /* seconds a failing provider is put aside */
		struct cfg_sms_provider *providers;  /* sorted by priority */
		size_t n_providers;
		/* Confirmation SMS to numbers that never texted us (sms_guard.h). */
		char *confirm_countries[CFG_MAX_COUNTRIES + 1]; /* calling codes; NULL-terminated */
		int confirm_hourly_cap;
		int confirm_prefix_hourly_cap;
		/* The providers' one currency (they must agree, so costs add up). */
		char currency[4];
	} sms;

	struct {
		char *provider;        /* spool or smtp */
		char *spool_directory;
		char *from;
		char *from_name;
		char *domain;
		char *unsubscribe_mailto;
		int max_attempts;
		int confirm_valid_days; /* a confirmation link works this long */
		struct cfg_smtp smtp;
	} email;

	/* What a bounce or complaint does (bounce_apply.h). */
	struct {
		int soft_limit;        /* temporary bounces of an address that suppress it … */
		int soft_days;         /* … within this many days */
		int alert_min;         /* campaign email out before its rates can warn */
		bool pause_at_threshold; /* a campaign past a threshold sends no more email */
		/* A mailbox read for bounces (bounce_imap.h); url "" = none. */
		struct cfg_bounce_imap {
			char *url;              /* imaps://host[:port][/folder] */
			char *user;
			char *password_file;    /* the password alone, mode 600 */
			char *folder;           /* to read; default the URL's path, else INBOX */
			char *processed_folder; /* handled mail moved there; "" = marked \Seen only */
			char *ca_file;          /* "" = the system's CAs */
			int interval;           /* seconds between reads */
			int timeout;            /* seconds for the connection and each answer */
			bool allow_plaintext;   /* imap:// (loopback tests only) */
		} imap;
	} bounces;

	struct cfg_keyword *keywords;
	size_t n_keywords;

	struct cfg_staff *staff;   /* dashboard logins */
	size_t n_staff;

	/* Status callbacks (callback_sender.h); seconds unless noted. */
	struct {
		bool allow_http;       /* http:// URLs (loopback tests) */
		bool allow_private;    /* private, loopback, link-local … addresses */
		int timeout;           /* one request, whole */
		int connect_timeout;
		int backoff_initial;   /* first retry after this, doubling … */
		int backoff_max;       /* … up to this */
		int retry_for;         /* then failed, counted from the event's time */
		int max_in_flight;     /* requests at once, this daemon */
		int keep_days;         /* sent and failed events are kept this long */
	} callbacks;
};

/*
 * Loads and validates `path` into *cfg. Returns 0; or -1 with every
 * problem found appended to err, one "FILE:LINE: setting: problem" per
 * line. *cfg is untouched on error. Warns (log_warn) when the file holds
 * secrets and is readable by group or others.
 */
int cfg_load(const char *path, struct config *cfg, struct sbuf *err);

/* A config holding secrets must not be readable by group or others (it is
 * the municipality's gateway passwords). With refuse: -1 and a message in
 * err; without: a warning only (the staff CLI). */
int cfg_check_permissions(const struct config *cfg, bool refuse, struct sbuf *err);
void cfg_free(struct config *cfg);

/* The sample config's placeholder: contains "CHANGE-ME" in any case. A
 * secret that is one is refused by cfg_load(). */
bool cfg_is_placeholder(const char *v);

/* Lookups used by the renderer and matcher; NULL when absent. */
const char *cfg_text_get(const struct cfg_texts *t, const char *lang);
bool cfg_has_language(const struct config *cfg, const char *lang);
const struct cfg_interest *cfg_interest_find(const struct config *cfg, const char *code);
const struct cfg_sms_provider *cfg_sms_provider_find(const struct config *cfg, const char *name);
const struct cfg_staff *cfg_staff_find(const struct config *cfg, const char *user);

#endif
