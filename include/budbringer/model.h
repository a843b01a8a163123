/* SPDX-License-Identifier: MIT */
#ifndef BUDBRINGER_MODEL_H
#define BUDBRINGER_MODEL_H

/*
 * The records that flow through Budbringer:
 *   opportunity -> campaign -> message (per subscriber and channel)
 *   -> provider -> message events.
 * Plain data; the functions that fill them own nothing after returning
 * except where a *_release() is given (then the caller calls it).
 */

#include <stdbool.h>
#include <stddef.h>

#define MODEL_MAX_LANGS 32
#define MODEL_MAX_INTERESTS 32

enum channel { CHANNEL_SMS, CHANNEL_EMAIL };
#define CHANNEL_COUNT 2
const char *channel_name(enum channel c);
int channel_parse(const char *s, enum channel *out);

struct opportunity_text {
	char lang[4];
	char *title;
	char *summary;
};

struct opportunity {
	long long id;
	long long association_id;
	char *association;     /* name, may be NULL */
	char *status;
	int min_age, max_age;  /* -1 = no bound */
	char *location, *url, *starts_at, *ends_at, *published_at, *updated_at;
	struct opportunity_text texts[MODEL_MAX_LANGS];
	size_t n_texts;
	char *interests[MODEL_MAX_INTERESTS + 1]; /* NULL-terminated */
};
void opportunity_release(struct opportunity *o);
const struct opportunity_text *opportunity_text(const struct opportunity *o, const char *lang);
/* The text in lang, else along the fallback chain (NULL-terminated), else
 * the first there is; NULL only for an opportunity without texts. */
const struct opportunity_text *opportunity_text_fallback(const struct opportunity *o,
							 const char *lang,
							 char *const *fallback);

/* The calendar year of unix time `now` in UTC: the one age rule for
 * matching, sign-up checks and reports (birth years only). */
int model_year(long long now);

struct subscriber {
	long long id;
	char *phone;           /* E.164 or NULL */
	char *email;           /* or NULL */
	char lang[4];
	int birth_year;        /* 0 = unknown */
	char status[16];       /* pending, active, unsubscribed */
	bool consent[CHANNEL_COUNT];
	char *interests[MODEL_MAX_INTERESTS + 1];
	long long created_at;
};
void subscriber_release(struct subscriber *s);

/* Campaign states, in the order a campaign goes through them. */
#define CAMPAIGN_STATES "pending_approval scheduled expanding sending done cancelled expired"

struct campaign {
	long long id;
	char kind[16];         /* auto, association, staff */
	long long opportunity_id;
	long long association_id;  /* 0 = none */
	char status[20];
	bool channels[CHANNEL_COUNT];
	int min_age, max_age;  /* -1 = none */
	char *langs[MODEL_MAX_LANGS + 1];          /* filter; empty = all */
	char *interests[MODEL_MAX_INTERESTS + 1];  /* narrowing; empty = opportunity's */
	long long send_at, valid_until;
	long long expand_cursor;
	char *created_by;
	long long created_at;
	struct { char lang[4]; char *body; } texts[MODEL_MAX_LANGS];
	size_t n_texts;
	int fallback_email;    /* CAMPAIGN_FALLBACK_*: an SMS that fails becomes an email */
};
/* A campaign's fallback to email: the config's default (zero, so that a
 * request or record without one takes campaigns.fallback_email), on, off. */
enum { CAMPAIGN_FALLBACK_DEFAULT, CAMPAIGN_FALLBACK_ON, CAMPAIGN_FALLBACK_OFF };
void campaign_release(struct campaign *c);

/* Message states (the spec's list); bounced: email the server took and
 * then reported undeliverable for good, or refused with a 5xx. */
#define MESSAGE_STATES "queued sending sent delivered bounced failed expired unknown suppressed cancelled"
bool message_state_is_valid(const char *s);
/* A message as handed to a provider. */
struct message {
	long long id;
	long long campaign_id;     /* 0 = transactional */
	long long subscriber_id;   /* 0 = none (reply to unknown number) */
	char kind[12];             /* campaign, reply, confirm */
	enum channel channel;
	char *recipient;
	char lang[4];
	char *subject;             /* email only */
	char *body;
	int attempts;
	long long expires_at;      /* 0 = never */
	char *url;                 /* the opportunity's link (email button) */
	char *title;
};
void message_release(struct message *m);

/*
 * A recipient as staff may see it: "+45 12 •• •• 78", "a•••@example.dk",
 * "(erased)" kept, "(hidden)" for anything else. Always NUL-terminated.
 * One rule for the CLI log and the dashboard.
 */
void recipient_mask(const char *channel, const char *recipient, char *out, size_t n);

/* Splits "a,b,c" into a NULL-terminated vector of at most max copies. */
size_t model_split_csv(const char *csv, char **out, size_t max);
void model_free_vec(char **v);

#endif
