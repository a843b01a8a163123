/* SPDX-License-Identifier: MIT */
/*
 * The "smtp" email provider: its job queue, its worker threads and the
 * provider ops (the design is in smtp.h; one connection's work is in
 * smtp_session.c).
 */
#include "budbringer/smtp.h"
#include "budbringer/clock.h"
#include "budbringer/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509_vfy.h>

/* Queue depth per connection: deep enough to keep sessions busy while the
 * daemon's loop records a batch, small enough that a stop leaves few
 * messages `sending` (they become `unknown` at the next start). */
#define JOBS_PER_CONN	128
/* The daemon is woken when half the capacity has answers (one transaction
 * records them and claims as many), when the queue runs that low, or when
 * the last message in hand is answered. Waking it for every answer made
 * transactions of a few messages each. */
#define WAKE_SHARE	2
#define STOP_WAIT_MS	1500	/* free() waits this long for sessions to end */

struct smtp_worker {
	struct smtp_shared *sh;
	pthread_t tid;
	bool started, finished;
};

static pthread_once_t auth_once = PTHREAD_ONCE_INIT;

static void auth_init_once(void)
{
	auth_client_init();
}

/* An absolute CLOCK_REALTIME time ms from now, for pthread_cond_timedwait. */
static void deadline_in(struct timespec *ts, long long ms)
{
	clock_gettime(CLOCK_REALTIME, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Copies s (if any) to *w and moves *w past it; NULL stays NULL. */
static char *copy_in(char **w, const char *s, size_t len)
{
	char *p = *w;

	if (!s)
		return NULL;
	memcpy(p, s, len + 1);
	*w += len + 1;
	return p;
}

static size_t len_or_0(const char *s)
{
	return s ? strlen(s) : 0;
}

static void job_drop_text(struct smtp_job *j)
{
	sbuf_release(&j->data);
	free(j->text);
	j->text = j->subject = j->body = j->title = j->url = j->unsub = NULL;
}

void smtp_job_free(struct smtp_job *j)
{
	if (!j)
		return;
	job_drop_text(j);
	free(j);
}

static void shared_unref(struct smtp_shared *sh)
{
	bool last;

	pthread_mutex_lock(&sh->lock);
	last = --sh->refs == 0;
	pthread_mutex_unlock(&sh->lock);
	if (!last)
		return;
	while (sh->head) {
		struct smtp_job *j = sh->head;
		sh->head = j->next;
		smtp_job_free(j);
	}
	if (sh->store)
		X509_STORE_free(sh->store);
	wire_unref(sh->wire);
	free(sh->results);
	free(sh->workers);
	free(sh->host); free(sh->port); free(sh->server); free(sh->helo);
	free(sh->username); free(sh->password);
	free(sh->from); free(sh->from_name); free(sh->domain); free(sh->mailto);
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->work);
	pthread_cond_destroy(&sh->changed);
	free(sh);
}

/* ---- the queue ---------------------------------------------------------- */

/* The caller holds the lock and knows the queue is not empty. */
static struct smtp_job *take_locked(struct smtp_shared *sh)
{
	struct smtp_job *j = sh->head;

	sh->head = j->next;
	if (!sh->head)
		sh->tail = NULL;
	j->next = NULL;
	sh->n_queued--;
	sh->n_active++;
	return j;
}

struct smtp_job *smtp_take(struct smtp_shared *sh, long long wait_ms)
{
	struct timespec until;
	struct smtp_job *j = NULL;

	deadline_in(&until, wait_ms);
	pthread_mutex_lock(&sh->lock);
	while (wait_ms > 0 && !sh->stop && !sh->head)
		if (pthread_cond_timedwait(&sh->work, &sh->lock, &until) == ETIMEDOUT)
			break;
	if (!sh->stop && sh->head)
		j = take_locked(sh);
	pthread_mutex_unlock(&sh->lock);
	return j;
}

void smtp_finish(struct smtp_shared *sh, struct smtp_job *j, enum send_status st,
		 const char *fmt, ...)
{
	struct send_result r;
	const char *id = NULL;
	char msgid[MIME_MSGID_MAX];
	va_list ap;

	if (j->done)
		return;
	j->done = true;
	/* The Message-ID without its brackets: what a bounce or a log quotes. */
	if (st == SEND_OK && j->msgid[0] == '<' &&
	    bsnprintf(msgid, sizeof(msgid), "%.*s", (int)strlen(j->msgid) - 2, j->msgid + 1) == 0)
		id = msgid;
	send_result_set(&r, j->msg_id, st, id, "%s", "");
	r.rejected = st == SEND_PERMFAIL && j->rejected;
	va_start(ap, fmt);
	if (vsnprintf(r.detail, sizeof(r.detail), fmt, ap) < 0)
		r.detail[0] = '\0';
	va_end(ap);
	for (char *p = r.detail; *p; p++)
		if ((unsigned char)*p < 0x20)
			*p = ' ';
	/* Before the result is posted: a crash from here on finds the answer
	 * in the journal (wire.h), however long the daemon takes to poll. */
	wire_answer(j->wire, st, r.provider_msgid);
	/* A long session keeps its jobs until it ends: keep them small. */
	job_drop_text(j);
	pthread_mutex_lock(&sh->lock);
	sh->results[sh->n_results++] = r;
	sh->n_active--;
	pthread_cond_broadcast(&sh->changed);
	/* A short queue includes an empty one: a lone message is answered at once. */
	if (sh->wake_fd >= 0 && !sh->woken &&
	    (sh->n_results >= sh->wake_batch || sh->n_queued < sh->wake_batch)) {
		char c = 1;

		/* Under the lock: smtp_free() takes the fd away before the daemon
		 * closes it. Non-blocking; a full pipe wakes the loop anyway. */
		if (write(sh->wake_fd, &c, 1) == 1 || errno == EAGAIN)
			sh->woken = true;
	}
	pthread_mutex_unlock(&sh->lock);
}

void smtp_requeue(struct smtp_shared *sh, struct smtp_job *head, struct smtp_job *tail, size_t n)
{
	pthread_mutex_lock(&sh->lock);
	tail->next = sh->head;
	sh->head = head;
	if (!sh->tail)
		sh->tail = tail;
	sh->n_queued += n;
	sh->n_active -= n;
	pthread_cond_broadcast(&sh->work);
	pthread_mutex_unlock(&sh->lock);
}

void smtp_fail_queued(struct smtp_shared *sh, const char *why)
{
	struct smtp_job *list;

	pthread_mutex_lock(&sh->lock);
	list = sh->head;
	sh->head = sh->tail = NULL;
	sh->n_active += sh->n_queued;
	sh->n_queued = 0;
	pthread_mutex_unlock(&sh->lock);
	while (list) {
		struct smtp_job *j = list;
		list = j->next;
		smtp_finish(sh, j, SEND_TEMPFAIL, "%s", why);
		smtp_job_free(j);
	}
}

static void *worker_main(void *arg)
{
	struct smtp_worker *w = arg;
	struct smtp_shared *sh = w->sh;

	for (;;) {
		struct smtp_job *j;

		pthread_mutex_lock(&sh->lock);
		while (!sh->stop && !sh->head)
			pthread_cond_wait(&sh->work, &sh->lock);
		if (sh->stop) {
			pthread_mutex_unlock(&sh->lock);
			break;
		}
		j = take_locked(sh);
		pthread_mutex_unlock(&sh->lock);
		smtp_session_run(sh, j);
	}
	pthread_mutex_lock(&sh->lock);
	w->finished = true;
	sh->running--;
	pthread_cond_broadcast(&sh->changed);
	pthread_mutex_unlock(&sh->lock);
	shared_unref(sh);
	return NULL;
}

/* ---- provider ops ------------------------------------------------------ */

static bool is_ip_literal(const char *h)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1;
}

static int load_store(struct smtp_shared *sh, const struct cfg_smtp *c, struct sbuf *err)
{
	sh->store = X509_STORE_new();
	if (!sh->store) {
		sbuf_addstr(err, "email.smtp: cannot create a certificate store");
		return -1;
	}
	if (c->ca_file[0] ? !X509_STORE_load_file(sh->store, c->ca_file)
			  : !X509_STORE_set_default_paths(sh->store)) {
		sbuf_addf(err, "email.smtp.ca_file: cannot load '%s'",
			  c->ca_file[0] ? c->ca_file : "the system's CA certificates");
		return -1;
	}
	return 0;
}

static void smtp_free(struct provider *p);

static int smtp_init(struct provider *p, struct sbuf *err)
{
	const struct config *cfg = p->cfg;
	const struct cfg_smtp *c = &cfg->email.smtp;
	struct smtp_shared *sh = xcalloc(1, sizeof(*sh));
	struct sbuf b = SBUF_INIT;

	pthread_once(&auth_once, auth_init_once);
	pthread_mutex_init(&sh->lock, NULL);
	pthread_cond_init(&sh->work, NULL);
	pthread_cond_init(&sh->changed, NULL);
	sh->refs = 1;
	sh->wake_fd = -1;
	p->priv = sh;
	p->wakes = true;
	if (strchr(c->host, ':')) {
		/* libESMTP splits "host:port" at the first colon. */
		sbuf_addf(err, "email.smtp.host: '%s': IPv6 literals are not supported", c->host);
		goto fail;
	}
	sh->host = xstrdup(c->host);
	sbuf_addf(&b, "%d", c->port);
	sh->port = sbuf_detach(&b, NULL);
	sbuf_addf(&b, "%s:%d", c->host, c->port);
	sh->server = sbuf_detach(&b, NULL);
	sh->helo = xstrdup(c->helo);
	sh->username = xstrdup(c->username);
	sh->password = xstrdup(c->password ? c->password : "");
	sh->from = xstrdup(cfg->email.from);
	sh->from_name = xstrdup(cfg->email.from_name);
	sh->domain = xstrdup(cfg->email.domain);
	sh->mailto = cfg->email.unsubscribe_mailto[0] ? xstrdup(cfg->email.unsubscribe_mailto) : NULL;
	sh->starttls = c->starttls;
	sh->verify_peer = c->verify_peer;
	sh->host_is_ip = is_ip_literal(c->host);
	sh->timeout_ms = (long)c->timeout * 1000L;
	sh->per_session = c->messages_per_session;
	sh->max_jobs = (size_t)c->connections * JOBS_PER_CONN;
	sh->wake_batch = sh->max_jobs / WAKE_SHARE;
	sh->results = xcalloc(sh->max_jobs, sizeof(*sh->results));
	if (sh->starttls != CFG_TLS_DISABLED && load_store(sh, c, err) < 0)
		goto fail;

	sh->workers = xcalloc((size_t)c->connections, sizeof(*sh->workers));
	sh->n_workers = c->connections;
	for (int i = 0; i < c->connections; i++) {
		struct smtp_worker *w = &sh->workers[i];
		int rc;

		w->sh = sh;
		pthread_mutex_lock(&sh->lock);
		sh->refs++;
		sh->running++;
		pthread_mutex_unlock(&sh->lock);
		rc = pthread_create(&w->tid, NULL, worker_main, w);
		if (rc) {
			pthread_mutex_lock(&sh->lock);
			sh->refs--;
			sh->running--;
			pthread_mutex_unlock(&sh->lock);
			sbuf_addf(err, "cannot start smtp worker: %s", strerror(rc));
			goto fail;
		}
		w->started = true;
	}
	log_info("smtp provider ready server=%s starttls=%s auth=%s connections=%d "
		 "messages_per_session=%d", sh->server,
		 sh->starttls == CFG_TLS_DISABLED ? "disabled" :
		 sh->starttls == CFG_TLS_REQUIRED ? "required" : "enabled",
		 sh->username[0] ? "yes" : "no", c->connections, sh->per_session);
	return 0;
fail:
	smtp_free(p);
	return -1;
}

static size_t smtp_capacity(struct provider *p)
{
	struct smtp_shared *sh = p->priv;
	size_t used, cap;

	pthread_mutex_lock(&sh->lock);
	used = sh->n_queued + sh->n_active + sh->n_results;
	cap = used < sh->max_jobs ? sh->max_jobs - used : 0;
	pthread_mutex_unlock(&sh->lock);
	return cap;
}

static int smtp_submit(struct provider *p, const struct outbound *o)
{
	struct smtp_shared *sh = p->priv;
	const struct message *m = o->msg;
	struct smtp_job *j;
	const char *rcpt;
	size_t n[5];
	char *w;

	/* Two allocations per job instead of one per string: the main thread
	 * makes them and a worker frees them, which costs arena locks. */
	rcpt = m->recipient ? m->recipient : "";
	n[0] = len_or_0(m->subject);
	n[1] = len_or_0(m->body);
	n[2] = len_or_0(m->title);
	n[3] = len_or_0(m->url);
	n[4] = len_or_0(o->unsubscribe_url);
	j = xcalloc(1, sizeof(*j) + strlen(rcpt) + 1);
	j->rcpt = (char *)(j + 1);
	memcpy(j->rcpt, rcpt, strlen(rcpt) + 1);
	w = j->text = xrealloc(NULL, n[0] + n[1] + n[2] + n[3] + n[4] + 5);
	j->subject = copy_in(&w, m->subject, n[0]);
	j->body = copy_in(&w, m->body, n[1]);
	j->title = copy_in(&w, m->title, n[2]);
	j->url = copy_in(&w, m->url, n[3]);
	j->unsub = copy_in(&w, o->unsubscribe_url, n[4]);
	j->msg_id = m->id;
	j->wire = o->wire;
	if (bsnprintf(j->lang, sizeof(j->lang), "%s", m->lang) < 0)
		j->lang[0] = '\0';
	if (bsnprintf(j->kind, sizeof(j->kind), "%s", m->kind) < 0)
		j->kind[0] = '\0';
	sbuf_init(&j->data, 0);
	pthread_mutex_lock(&sh->lock);
	if (sh->n_queued + sh->n_active + sh->n_results >= sh->max_jobs) {
		pthread_mutex_unlock(&sh->lock);
		smtp_job_free(j);
		return -1;
	}
	sh->wake_fd = p->wake_fd;
	if (!sh->wire && p->wire)
		sh->wire = wire_ref(p->wire);
	if (sh->tail)
		sh->tail->next = j;
	else
		sh->head = j;
	sh->tail = j;
	sh->n_queued++;
	pthread_cond_signal(&sh->work);
	pthread_mutex_unlock(&sh->lock);
	return 0;
}

static size_t smtp_poll(struct provider *p, int timeout_ms, struct send_result *out, size_t max)
{
	struct smtp_shared *sh = p->priv;
	size_t n;

	pthread_mutex_lock(&sh->lock);
	if (!sh->n_results && timeout_ms > 0 && sh->n_queued + sh->n_active) {
		struct timespec until;
		deadline_in(&until, timeout_ms);
		while (!sh->n_results &&
		       pthread_cond_timedwait(&sh->changed, &sh->lock, &until) != ETIMEDOUT)
			;
	}
	n = sh->n_results < max ? sh->n_results : max;
	memcpy(out, sh->results, n * sizeof(*out));
	memmove(sh->results, sh->results + n, (sh->n_results - n) * sizeof(*out));
	sh->n_results -= n;
	sh->woken = false;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/*
 * Stops the workers: no new session starts and open ones say QUIT after
 * the message in hand. A worker stuck on a dead server past STOP_WAIT_MS
 * is left to finish on its own (its messages stay `sending` and become
 * `unknown` at the next start, as the outbox's recovery promises).
 */
static void smtp_free(struct provider *p)
{
	struct smtp_shared *sh = p->priv;
	long long deadline = clock_mono_ms() + STOP_WAIT_MS;
	bool left = false;

	if (!sh)
		return;
	pthread_mutex_lock(&sh->lock);
	sh->stop = true;
	sh->wake_fd = -1;	/* a worker left behind must not write to it later */
	pthread_cond_broadcast(&sh->work);
	while (sh->running > 0 && clock_mono_ms() < deadline) {
		struct timespec until;
		deadline_in(&until, 50);
		pthread_cond_timedwait(&sh->changed, &sh->lock, &until);
	}
	pthread_mutex_unlock(&sh->lock);
	for (int i = 0; i < sh->n_workers; i++) {
		struct smtp_worker *w = &sh->workers[i];
		bool done;

		if (!w->started)
			continue;
		pthread_mutex_lock(&sh->lock);
		done = w->finished;
		pthread_mutex_unlock(&sh->lock);
		if (done) {
			pthread_join(w->tid, NULL);
		} else {
			pthread_detach(w->tid);
			left = true;
		}
	}
	if (left)
		log_warn("smtp provider stopped with a session still open on %s", sh->server);
	shared_unref(sh);
	p->priv = NULL;
}

static size_t smtp_waiting(struct provider *p, long long *ids, size_t max)
{
	struct smtp_shared *sh = p->priv;
	size_t n = 0;

	pthread_mutex_lock(&sh->lock);
	for (const struct smtp_job *j = sh->head; j && n < max; j = j->next)
		ids[n++] = j->msg_id;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

static bool listed(long long id, const long long *ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/* Emails waiting for a worker were never sent: hand them back (all, at a
 * stop or reload; the sessions under way finish the ones they hold). */
static void smtp_withdraw(struct provider *p, const long long *ids, size_t n)
{
	struct smtp_shared *sh = p->priv;
	struct smtp_job *out = NULL, **link;

	if (!ids) {
		smtp_fail_queued(sh, "not sent: the daemon stopped or reloaded before its turn");
		return;
	}
	pthread_mutex_lock(&sh->lock);
	for (link = &sh->head; *link;) {
		struct smtp_job *j = *link;

		if (!listed(j->msg_id, ids, n)) {
			link = &j->next;
			continue;
		}
		*link = j->next;
		if (sh->tail == j)
			sh->tail = NULL;
		j->next = out;
		out = j;
		sh->n_queued--;
		sh->n_active++; /* as taken: smtp_finish() settles it */
	}
	if (!sh->tail)
		for (struct smtp_job *j = sh->head; j; j = j->next)
			sh->tail = j;
	pthread_mutex_unlock(&sh->lock);
	while (out) {
		struct smtp_job *j = out;

		out = j->next;
		smtp_finish(sh, j, SEND_TEMPFAIL, "not sent: withdrawn before its turn");
		smtp_job_free(j);
	}
}

const struct provider_ops smtp_mail_ops = {
	.type = "smtp", .channel = CHANNEL_EMAIL, .marks_wire = true, .init = smtp_init,
	.submit = smtp_submit,
	.poll = smtp_poll, .capacity = smtp_capacity, .waiting = smtp_waiting,
	.withdraw = smtp_withdraw,
	.free = smtp_free,
};
