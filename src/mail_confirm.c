/* SPDX-License-Identifier: MIT */
/* Email double opt-in: queues the confirmation message (mail_confirm.h). */
#include "budbringer/mail_confirm.h"
#include "budbringer/db_mail.h"
#include "budbringer/log.h"
#include "budbringer/mail_text.h"
#include "budbringer/token.h"

#include <string.h>

int mail_address_tag(const struct config *cfg, const char *address,
		     char out[MAIL_ADDRESS_TAG_LEN + 1])
{
	struct sbuf in = SBUF_INIT;
	char hex[65];
	int rc;

	sbuf_addf(&in, "%s|%s", cfg->secret_key, address);
	rc = token_hash_secret(in.buf, hex);
	/* The buffer held the key: wipe it before it goes back to malloc. */
	memset(in.buf, 0, in.len);
	sbuf_release(&in);
	if (rc < 0)
		return -1;
	memcpy(out, hex, MAIL_ADDRESS_TAG_LEN);
	out[MAIL_ADDRESS_TAG_LEN] = '\0';
	return 0;
}

long long mail_confirm_expires(const struct config *cfg, long long now)
{
	return now + (long long)cfg->email.confirm_valid_days * 86400;
}

int mail_queue_confirmation(struct db *db, const struct config *cfg, long long subscriber_id,
			    long long now)
{
	struct subscriber s;
	long long expires = mail_confirm_expires(cfg, now);
	struct token_claims c = { .subscriber_id = subscriber_id, .expires = expires };
	struct sbuf tok = SBUF_INIT, body = SBUF_INIT;
	struct message_in in = { .kind = "confirm", .channel = CHANNEL_EMAIL, .state = "queued",
				 .subscriber_id = subscriber_id, .not_before = now,
				 .expires_at = expires, .now = now };
	long long id = 0;
	int rc = db_subscriber_get(db, subscriber_id, &s), n, ret = -1;

	if (rc)
		return rc == 1 ? 1 : -1;
	if (!s.email) {
		ret = 1;
		goto out;
	}
	n = db_message_count_kind_since(db, subscriber_id, "confirm", CHANNEL_EMAIL,
					now - MAIL_CONFIRM_GAP);
	if (n < 0)
		goto out;
	if (n > 0) {
		log_info("confirmation not queued again subscriber=%lld (one in the last %ds)",
			 subscriber_id, MAIL_CONFIRM_GAP);
		ret = 2;
		goto out;
	}
	memcpy(c.purpose, "confirm", sizeof("confirm"));
	if (mail_address_tag(cfg, s.email, c.channel) < 0 ||
	    token_sign_claims((const unsigned char *)cfg->secret_key, strlen(cfg->secret_key),
			      &c, &tok) < 0) {
		error("cannot sign a confirmation link subscriber=%lld", subscriber_id);
		goto out;
	}
	sbuf_addf(&body, "%s\n\n%s/confirm?t=%s\n\n%s\n", mail_text(s.lang, MAIL_T_CONFIRM_INTRO),
		  cfg->http.public_url, tok.buf, mail_text(s.lang, MAIL_T_CONFIRM_IGNORE));
	in.recipient = s.email;
	in.lang = s.lang;
	in.subject = mail_text(s.lang, MAIL_T_CONFIRM_SUBJECT);
	in.body = body.buf;
	if (db_message_insert(db, &in, &id) < 0)
		goto out;
	log_info("confirmation queued subscriber=%lld msg=%lld", subscriber_id, id);
	ret = 0;
out:
	subscriber_release(&s);
	sbuf_release(&tok);
	sbuf_release(&body);
	return ret;
}
