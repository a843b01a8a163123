/* SPDX-License-Identifier: MIT */
/*
 * The spool provider: each SMS becomes DIR/<message id>.json and each email
 * DIR/<message id>.eml, written to a temporary name, fsync'd and renamed,
 * so a reader never sees half a file. The file name is the message id,
 * which makes a retry after a crash overwrite rather than duplicate: the
 * provider is idempotent.
 */
#include "budbringer/provider.h"
#include "budbringer/log.h"
#include "budbringer/mime.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SPOOL_QUEUE 64

struct spool {
	char *dir;
	struct send_result done[SPOOL_QUEUE];
	size_t n_done;
};

static int mkdir_p(const char *path)
{
	char buf[4096];
	if (bsnprintf(buf, sizeof(buf), "%s", path) < 0)
		return -1;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0750) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int spool_init_dir(struct provider *p, const char *dir, struct sbuf *err)
{
	struct spool *s;

	if (mkdir_p(dir) < 0 || access(dir, W_OK) < 0) {
		sbuf_addf(err, "spool directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	p->priv = s;
	return 0;
}

static int sms_init(struct provider *p, struct sbuf *err)
{
	return spool_init_dir(p, p->sms->directory, err);
}

static int mail_init(struct provider *p, struct sbuf *err)
{
	return spool_init_dir(p, p->cfg->email.spool_directory, err);
}

/* Writes data to dir/name atomically. 0 or -1 with errno-based detail. */
static int write_atomic(const char *dir, const char *name, const char *data, size_t len,
			char *why, size_t whysz)
{
	char tmp[4200], dst[4200];
	int fd = -1, ret = -1;

	if (bsnprintf(tmp, sizeof(tmp), "%s/.tmp-%s", dir, name) < 0 ||
	    bsnprintf(dst, sizeof(dst), "%s/%s", dir, name) < 0) {
		(void)bsnprintf(why, whysz, "path too long");
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
	if (fd < 0)
		goto fail;
	for (size_t off = 0; off < len;) {
		ssize_t w = write(fd, data + off, len - off);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, dst) < 0)
		goto fail;
	return 0;
fail:
	/* A cut-off detail is still useful in the event log. */
	(void)bsnprintf(why, whysz, "%s: %s", tmp, strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

static void finish(struct provider *p, long long id, int rc, const char *name, const char *why)
{
	struct spool *s = p->priv;
	struct send_result *r = &s->done[s->n_done++];
	if (rc == 0)
		send_result_set(r, id, SEND_OK, name, "written to %s", s->dir);
	else /* a full disk or lost permissions may heal: retry later */
		send_result_set(r, id, SEND_TEMPFAIL, NULL, "cannot write spool file: %s", why);
}

static int sms_submit(struct provider *p, const struct outbound *o)
{
	struct spool *s = p->priv;
	const struct message *m = o->msg;
	char name[64], why[256] = "";
	json_t *j;
	char *text;
	int rc;

	if (s->n_done == SPOOL_QUEUE)
		return -1;
	j = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s?, s:i, s:I, s:s}",
		      "id", (json_int_t)m->id, "to", m->recipient, "from", o->sender ? o->sender : "",
		      "text", m->body ? m->body : "", "lang", m->lang, "coding", o->coding,
		      "segments", o->segments, "campaign", (json_int_t)m->campaign_id, "kind", m->kind);
	if (!j)
		fatal("cannot build spool json");
	text = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	if (!text)
		fatal("cannot serialise spool json");
	if (bsnprintf(name, sizeof(name), "%lld.json", m->id) < 0)
		fatal("spool name overflow");
	rc = write_atomic(s->dir, name, text, strlen(text), why, sizeof(why));
	free(text);
	finish(p, m->id, rc, name, why);
	return 0;
}

static int mail_submit(struct provider *p, const struct outbound *o)
{
	struct spool *s = p->priv;
	const struct message *m = o->msg;
	const struct config *cfg = p->cfg;
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	char name[64], why[256] = "", msgid[256];
	struct mime_mail mail = {
		.from_name = cfg->email.from_name,
		.from_addr = cfg->email.from,
		.to_addr = m->recipient,
		.subject = m->subject ? m->subject : "",
		.text = m->body ? m->body : "",
		.lang = m->lang,
		.domain = cfg->email.domain,
		.unsubscribe_url = o->unsubscribe_url,
		.unsubscribe_mailto = *cfg->email.unsubscribe_mailto ? cfg->email.unsubscribe_mailto : NULL,
		.title = m->title,
		.summary = m->body,
		.url = m->url,
		.bulk = !strcmp(m->kind, "campaign"),
		.date = time(NULL),
	};
	int rc;

	if (s->n_done == SPOOL_QUEUE)
		return -1;
	if (bsnprintf(name, sizeof(name), "%lld.eml", m->id) < 0)
		fatal("spool name overflow");
	if (mime_build(&mail, &out, msgid, sizeof(msgid), &err) < 0) {
		struct send_result *r = &s->done[s->n_done++];
		send_result_set(r, m->id, SEND_PERMFAIL, NULL, "cannot build message: %s", err.buf);
	} else {
		rc = write_atomic(s->dir, name, out.buf, out.len, why, sizeof(why));
		finish(p, m->id, rc, name, why);
	}
	sbuf_release(&out);
	sbuf_release(&err);
	return 0;
}

static size_t spool_poll(struct provider *p, int timeout_ms, struct send_result *out, size_t max)
{
	struct spool *s = p->priv;
	size_t n = s->n_done < max ? s->n_done : max;
	(void)timeout_ms;
	memcpy(out, s->done, n * sizeof(*out));
	memmove(s->done, s->done + n, (s->n_done - n) * sizeof(*out));
	s->n_done -= n;
	return n;
}

static size_t spool_capacity(struct provider *p)
{
	struct spool *s = p->priv;
	return SPOOL_QUEUE - s->n_done;
}

static void spool_free(struct provider *p)
{
	struct spool *s = p->priv;
	if (!s)
		return;
	free(s->dir);
	free(s);
}

const struct provider_ops spool_sms_ops = {
	.type = "spool", .channel = CHANNEL_SMS, .init = sms_init, .submit = sms_submit,
	.poll = spool_poll, .capacity = spool_capacity, .free = spool_free,
};

const struct provider_ops spool_mail_ops = {
	.type = "spool", .channel = CHANNEL_EMAIL, .init = mail_init, .submit = mail_submit,
	.poll = spool_poll, .capacity = spool_capacity, .free = spool_free,
};
