/* SPDX-License-Identifier: MIT */
/*
 * One SMTP connection of one worker, on libESMTP: builds each message,
 * keeps the session supplied from the queue, judges every answer and
 * posts the result (see the DESIGN in smtp.h for the libESMTP pitfalls
 * this file works around).
 */
#include "budbringer/smtp.h"
#include "budbringer/log.h"
#include "budbringer/mail_text.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509v3.h>

#define SESSION_IDLE_MS	250	/* an open session waits this long for more work */

/* One SMTP session of one worker. */
struct session_ctx {
	struct smtp_shared *sh;
	smtp_session_t s;
	struct smtp_job **jobs;
	size_t n_jobs, cap_jobs;
	int fed;                /* messages given to this session */
	int open;               /* of those, not judged yet */
	char last_reply[200];   /* the server's last answer, for details */
	char note[200];         /* why TLS or the session gave up */
	char err[128];          /* libESMTP's error when the session failed */
	struct sbuf spare;      /* a sent message's buffer, for the next one */
	struct mime_scratch scratch;    /* mime_build's working buffers */
	struct sockaddr_storage peer;   /* the server's address, as the probe reached it */
	socklen_t peer_len;
	bool tls;               /* STARTTLS succeeded: AUTH may give the password */
};

/* ---- building a message ------------------------------------------------ */

/* The confirm link in a confirmation's text, for the HTML button. */
static char *find_link(const char *text, const char *marker)
{
	const char *m = text ? strstr(text, marker) : NULL, *start, *end;
	char *url;

	if (!m)
		return NULL;
	for (start = m; start > text && (unsigned char)start[-1] > ' '; start--)
		;
	for (end = m; (unsigned char)*end > ' '; end++)
		;
	url = xstrndup(start, (size_t)(end - start));
	if (!mime_is_http_url(url)) {
		free(url);
		return NULL;
	}
	return url;
}

static int build(const struct smtp_shared *sh, struct smtp_job *j, struct mime_scratch *scratch,
		 struct sbuf *err)
{
	const char *lang = j->lang[0] ? j->lang : NULL;
	struct sbuf text = SBUF_INIT;
	char *confirm_url = NULL;
	struct mime_mail m = {
		.from_name = sh->from_name, .from_addr = sh->from, .to_addr = j->rcpt,
		.subject = j->subject ? j->subject : "", .lang = lang, .domain = sh->domain,
		.unsubscribe_url = j->unsub, .unsubscribe_mailto = sh->mailto,
		.title = j->title, .summary = j->body, .url = j->url,
		.button_label = mail_text(lang, MAIL_T_READ_MORE),
		.unsubscribe_label = mail_text(lang, MAIL_T_UNSUBSCRIBE),
		.bulk = !strcmp(j->kind, "campaign"), .scratch = scratch,
	};
	int rc;

	sbuf_addstr(&text, j->body ? j->body : "");
	if (mime_is_http_url(j->unsub))
		sbuf_addf(&text, "\n\n-- \n%s: %s\n", m.unsubscribe_label, j->unsub);
	m.text = text.buf;
	if (!strcmp(j->kind, "confirm")) {
		confirm_url = find_link(j->body, "/confirm?t=");
		m.title = m.subject;
		m.url = confirm_url;
		m.button_label = mail_text(lang, MAIL_T_CONFIRM);
	}
	if (bsnprintf(j->sender, sizeof(j->sender), "bounce+%lld@%s", j->msg_id, sh->domain) < 0) {
		sbuf_addstr(err, "envelope sender too long");
		rc = -1;
	} else {
		rc = mime_build(&m, &j->data, j->msgid, sizeof(j->msgid), err);
	}
	free(confirm_url);
	sbuf_release(&text);
	return rc;
}

/* ---- judging the server's answers -------------------------------------- */

static void fmt_status(char *buf, size_t n, const smtp_status_t *st)
{
	const char *t = st->text ? st->text : "";
	size_t len;
	int rc;

	if (st->enh_class)
		rc = bsnprintf(buf, n, "%d %d.%d.%d %s", st->code, st->enh_class, st->enh_subject,
			       st->enh_detail, t);
	else
		rc = bsnprintf(buf, n, "%d %s", st->code, t);
	(void)rc; /* a cut-off answer is still the answer */
	len = strlen(buf);
	while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r' || buf[len - 1] == ' '))
		buf[--len] = '\0';
}

static void note(struct session_ctx *sc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Remembers why TLS or the session gave up; a cut-off note still helps. */
static void note(struct session_ctx *sc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vsnprintf(sc->note, sizeof(sc->note), fmt, ap) < 0)
		sc->note[0] = '\0';
	va_end(ap);
}

/* Why a session ended early, for messages it never finished. */
static void session_reason(const struct session_ctx *sc, char *buf, size_t n)
{
	int rc;

	if (sc->note[0])
		rc = bsnprintf(buf, n, "%s", sc->note);
	else if (sc->last_reply[0] && sc->last_reply[0] != '2' && sc->last_reply[0] != '3')
		rc = bsnprintf(buf, n, "server said: %s", sc->last_reply);
	else if (sc->err[0])
		rc = bsnprintf(buf, n, "%s (last answer: %s)", sc->err,
			       sc->last_reply[0] ? sc->last_reply : "none");
	else if (!sc->last_reply[0])
		rc = bsnprintf(buf, n, "no greeting from the server (it closed, or was silent for %lds)",
			       sc->sh->timeout_ms / 1000);
	else
		rc = bsnprintf(buf, n, "the session ended early (last answer: %s)", sc->last_reply);
	(void)rc; /* a cut-off reason is still the reason */
}

/*
 * One recipient per message, so the message's fate is that recipient's:
 * RCPT 5xx or end-of-DATA 5xx is permanent, any 4xx temporary, 2xx at
 * both sent. A refused MAIL FROM is about us (auth, sender policy), not
 * the recipient: temporary, so a fixed config delivers later.
 */
static void judge(struct session_ctx *sc, struct smtp_job *j)
{
	const smtp_status_t *rp = smtp_reverse_path_status(j->sm);
	const smtp_status_t *rs = smtp_recipient_status(j->sr);
	const smtp_status_t *ms = smtp_message_transfer_status(j->sm);
	char a[220], why[220];

	if (rp->code && rp->code / 100 != 2) {
		fmt_status(a, sizeof(a), rp);
		smtp_finish(sc->sh, j, SEND_TEMPFAIL, "sender refused: %s", a);
		return;
	}
	if (rp->code == 0 || rs->code == 0) {
		session_reason(sc, why, sizeof(why));
		smtp_finish(sc->sh, j, SEND_TEMPFAIL, "not sent: %s", why);
		return;
	}
	fmt_status(a, sizeof(a), rs);
	if (rs->code / 100 == 5) {
		j->rejected = true;
		smtp_finish(sc->sh, j, SEND_PERMFAIL, "%s", a);
		return;
	}
	if (rs->code / 100 != 2) {
		smtp_finish(sc->sh, j, SEND_TEMPFAIL, "%s", a);
		return;
	}
	fmt_status(a, sizeof(a), ms);
	switch (ms->code / 100) {
	case 2:
		smtp_finish(sc->sh, j, SEND_OK, "%s", a);
		break;
	case 5:
		j->rejected = true;
		smtp_finish(sc->sh, j, SEND_PERMFAIL, "%s", a);
		break;
	case 4:
		smtp_finish(sc->sh, j, SEND_TEMPFAIL, "%s", a);
		break;
	default:
		session_reason(sc, why, sizeof(why));
		/* No answer after the data and its final dot went out: the
		 * server may have it and SMTP has no idempotency key, so it is
		 * not resent blindly (SPEC: never twice). Before that, nothing
		 * can have been accepted: try again. */
		if (j->data_sent)
			smtp_finish(sc->sh, j, SEND_UNKNOWN,
				    "no answer after the message data (the server may have it): %s", why);
		else
			smtp_finish(sc->sh, j, SEND_TEMPFAIL, "no answer to DATA: %s", why);
		break;
	}
}

/* ---- the session ------------------------------------------------------- */

/* Builds j and adds it to the session. -1: j is finished (cannot build). */
static int add_job(struct session_ctx *sc, struct smtp_job *j)
{
	struct sbuf err = SBUF_INIT;

	if (sc->spare.alloc) {
		j->data = sc->spare;
		sbuf_init(&sc->spare, 0);
	}
	if (build(sc->sh, j, &sc->scratch, &err) < 0) {
		smtp_finish(sc->sh, j, SEND_PERMFAIL, "cannot build message: %s", err.buf);
		sbuf_release(&err);
		smtp_job_free(j);
		return -1;
	}
	sbuf_release(&err);
	if (sc->n_jobs == sc->cap_jobs) {
		sc->cap_jobs = sc->cap_jobs * 2 + 8;
		sc->jobs = xrealloc(sc->jobs, sc->cap_jobs * sizeof(*sc->jobs));
	}
	sc->jobs[sc->n_jobs++] = j;
	sc->fed++;
	sc->open++;
	/* These only fail when memory runs out; a half-made message would
	 * stay in libESMTP's list without a callback. */
	if (!(j->sm = smtp_add_message(sc->s)) || !smtp_set_reverse_path(j->sm, j->sender) ||
	    !(j->sr = smtp_add_recipient(j->sm, j->rcpt)) ||
	    !smtp_set_message_str(j->sm, j->data.buf))
		fatal("libesmtp: cannot add a message to the session");
	smtp_message_set_application_data_release(j->sm, j, NULL);
	return 0;
}

/*
 * Keeps the session supplied: one message beyond the one in progress is
 * always in libESMTP's list, because when the server refuses a message
 * at DATA libESMTP looks for the next one *before* it reports the
 * refusal. With nothing queued at all it waits SESSION_IDLE_MS for work,
 * then lets the session say QUIT.
 */
static void feed(struct session_ctx *sc)
{
	struct smtp_shared *sh = sc->sh;

	while (sc->open < 2 && sc->fed < sh->per_session) {
		struct smtp_job *j = smtp_take(sh, sc->open ? 0 : SESSION_IDLE_MS);

		if (!j)
			return;
		add_job(sc, j);
	}
}

/* Judges a job once, as the session learns its fate. */
static void settle(struct session_ctx *sc, struct smtp_job *j)
{
	if (j->done)
		return;
	/* libESMTP is past this message: its text buffer, a few KB, serves the
	 * next one (a fresh one each time cost malloc a consolidation of its
	 * free lists per message). */
	if (!sc->spare.alloc && j->data.alloc) {
		sc->spare = j->data;
		sbuf_init(&j->data, 0);
		sbuf_reset(&sc->spare);
	}
	judge(sc, j);
	sc->open--;
}

static bool same_peer(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return false;
}

/*
 * libESMTP writes through a 2 KB buffer, so a larger message leaves in
 * several writes with no read between them; with Nagle's algorithm and
 * the server's delayed ACK each message then stalls ~40 ms (85 messages a
 * second over four connections). libESMTP does not show its socket: on
 * SMTP_EV_CONNECT find it among the process's sockets by its peer. Any
 * socket of ours to the SMTP server wants TCP_NODELAY, so another
 * worker's socket matching too does no harm.
 */
static void set_nodelay(const struct session_ctx *sc)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	if (!d || !sc->peer_len) {
		if (d)
			closedir(d);
		return;
	}
	while ((e = readdir(d))) {
		struct sockaddr_storage sa = { 0 };
		socklen_t len = sizeof(sa), tlen;
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int type = 0, one = 1;

		if (end == e->d_name || *end || fd < 0 || fd > INT_MAX || fd == dirfd(d))
			continue;
		tlen = sizeof(type);
		if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_STREAM ||
		    getpeername((int)fd, (struct sockaddr *)&sa, &len) < 0 || !same_peer(&sa, &sc->peer))
			continue;
		if (setsockopt((int)fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0)
			log_debug("cannot set TCP_NODELAY fd=%ld: %s", fd, strerror(errno));
	}
	closedir(d);
}

static void on_event(smtp_session_t s, int event, void *arg, ...)
{
	struct session_ctx *sc = arg;
	const struct smtp_shared *sh = sc->sh;
	struct smtp_job *j;
	va_list ap;

	(void)s;
	va_start(ap, arg);
	switch (event) {
	case SMTP_EV_CONNECT:
		set_nodelay(sc);
		break;
	case SMTP_EV_MAILSTATUS: {
		/* A refused MAIL FROM moves on without SMTP_EV_MESSAGESENT. */
		smtp_message_t m;
		(void)va_arg(ap, const char *);
		m = va_arg(ap, smtp_message_t);
		j = smtp_message_get_application_data(m);
		if (j && smtp_reverse_path_status(m)->code / 100 != 2)
			settle(sc, j);	/* no feeding: a refused sender is refused again */
		break;
	}
	case SMTP_EV_MESSAGEDATA:
		/* After 354 libESMTP writes the whole message and its final
		 * dot in one go; from here a lost answer leaves its fate open.
		 * Its first call for a message, before the first header goes
		 * out, is the wire journal's mark (wire.h): up to here the
		 * server cannot have the message. */
		j = smtp_message_get_application_data(va_arg(ap, smtp_message_t));
		if (j && !j->data_sent) {
			wire_out(j->wire);
			j->data_sent = true;
		}
		break;
	case SMTP_EV_MESSAGESENT:
		j = smtp_message_get_application_data(va_arg(ap, smtp_message_t));
		if (j) {
			settle(sc, j);
			feed(sc);
		}
		break;
	case SMTP_EV_INVALID_PEER_CERTIFICATE: {
		long res = va_arg(ap, long);
		int *ok = va_arg(ap, int *);
		*ok = !sh->verify_peer;
		if (!*ok)
			note(sc, "TLS: certificate of %s not accepted: %s", sh->host,
			     X509_verify_cert_error_string(res));
		break;
	}
	case SMTP_EV_NO_PEER_CERTIFICATE: {
		int *ok = va_arg(ap, int *);
		*ok = !sh->verify_peer;
		if (!*ok)
			note(sc, "TLS: %s sent no certificate", sh->host);
		break;
	}
	case SMTP_EV_WRONG_PEER_CERTIFICATE: {
		/* libESMTP compares DNS names only; OpenSSL has already checked
		 * the host name or IP address (X509_VERIFY_PARAM) when
		 * verify_peer is on, and the result came as INVALID above. */
		int *ok = va_arg(ap, int *);
		*ok = 1;
		break;
	}
	case SMTP_EV_WEAK_CIPHER: {
		(void)va_arg(ap, int);
		*va_arg(ap, int *) = 0;
		note(sc, "TLS: cipher too weak");
		break;
	}
	case SMTP_EV_NO_CLIENT_CERTIFICATE:
		*va_arg(ap, int *) = 1;
		break;
	case SMTP_EV_STARTTLS_OK:
		sc->tls = true;
		break;
	case SMTP_EV_EXTNA_STARTTLS:
		note(sc, "%s does not offer STARTTLS, and TLS is required (email.smtp.starttls; "
		     "always with a username): nothing sent", sh->host);
		break;
	default:
		break;
	}
	va_end(ap);
}

/* Keeps the server's last answer line (reads only; data is not shown). */
static void on_monitor(const char *buf, int len, int writing, void *arg)
{
	struct session_ctx *sc = arg;
	const char *end = buf + len, *line;
	size_t n;

	if (writing || len <= 0)
		return;
	while (end > buf && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (line = end; line > buf && line[-1] != '\n'; line--)
		;
	n = (size_t)(end - line);
	if (n >= sizeof(sc->last_reply))
		n = sizeof(sc->last_reply) - 1;
	memcpy(sc->last_reply, line, n);
	sc->last_reply[n] = '\0';
}

/* The last guard: libESMTP asks for the password just before AUTH, and
 * it gets none over a connection without TLS (the config already makes
 * TLS required with a login; this holds if that ever changes). */
static int auth_interact(auth_client_request_t req, char **result, int fields, void *arg)
{
	struct session_ctx *sc = arg;
	struct smtp_shared *sh = sc->sh;

	if (!sc->tls) {
		note(sc, "AUTH refused: the connection to %s is not encrypted", sh->host);
		return 0;
	}
	for (int i = 0; i < fields; i++) {
		if (req[i].flags & AUTH_PASS)
			result[i] = sh->password;
		else if (req[i].flags & AUTH_USER)
			result[i] = sh->username;
		else if (req[i].flags & AUTH_REALM)
			result[i] = sh->no_realm;
		else
			return 0;
	}
	return 1;
}

/* A fresh SSL_CTX per session (see DESIGN); certificate checks are judged
 * in on_event so the reason can be reported. */
static SSL_CTX *tls_ctx(const struct smtp_shared *sh)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509_VERIFY_PARAM *param;

	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	/*
	 * TLS 1.3 servers send session tickets after the handshake. They make
	 * the socket readable before libESMTP has flushed its EHLO; libESMTP
	 * then reads first, waits out its timeout for an answer to a command
	 * still in its buffer and quits without sending anything (a few
	 * sessions in a hundred against aiosmtpd). TLS 1.2 has no such
	 * records.
	 */
	SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (sh->store)
		SSL_CTX_set1_cert_store(ctx, sh->store);
	param = SSL_CTX_get0_param(ctx);
	if (sh->host_is_ip ? !X509_VERIFY_PARAM_set1_ip_asc(param, sh->host)
			   : !X509_VERIFY_PARAM_set1_host(param, sh->host, 0))
		goto fail;
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Copies a reason for the caller (a cut-off one will do) and returns -1. */
static int fail_why(char *why, size_t n, const char *s)
{
	if (bsnprintf(why, n, "%s", s) < 0 && n)
		why[n - 1] = '\0';
	return -1;
}

/* Can we reach the server at all, within the timeout? libESMTP's own
 * connect() would block for minutes on a host that drops packets. */
static int probe(struct session_ctx *sc, char *why, size_t n)
{
	const struct smtp_shared *sh = sc->sh;
	struct addrinfo hints, *res = NULL, *a;
	int rc, err = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(sh->host, sh->port, &hints, &res);
	if (rc)
		return fail_why(why, n, gai_strerror(rc));
	for (a = res; a; a = a->ai_next) {
		int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				a->ai_protocol);
		if (fd < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
			err = 0;
		} else if (errno == EINPROGRESS) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			socklen_t len = sizeof(err);
			rc = poll(&pfd, 1, (int)sh->timeout_ms);
			if (rc == 0)
				err = ETIMEDOUT;
			else if (rc < 0)
				err = errno;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
		} else {
			err = errno;
		}
		close(fd);
		if (!err) {
			memcpy(&sc->peer, a->ai_addr, a->ai_addrlen);
			sc->peer_len = a->ai_addrlen;
			break;
		}
	}
	freeaddrinfo(res);
	return err ? fail_why(why, n, strerror(err)) : 0;
}

/* Sets up a libESMTP session for sc; -1 with a reason in why. */
static int session_setup(struct session_ctx *sc, SSL_CTX **ctx, auth_context_t *actx,
			 char *why, size_t n)
{
	static const int which[] = { Timeout_GREETING, Timeout_ENVELOPE, Timeout_DATA,
				     Timeout_TRANSFER, Timeout_DATA2 };
	const struct smtp_shared *sh = sc->sh;

	sc->s = smtp_create_session();
	if (!sc->s || !smtp_set_server(sc->s, sh->server) ||
	    (sh->helo[0] && !smtp_set_hostname(sc->s, sh->helo))) {
		return fail_why(why, n, "libesmtp: cannot create a session");
	}
	for (size_t i = 0; i < sizeof(which) / sizeof(which[0]); i++)
		smtp_set_timeout(sc->s, which[i] | Timeout_OVERRIDE_RFC2822_MINIMUM, sh->timeout_ms);
	if (sh->starttls != CFG_TLS_DISABLED) {
		if (!(*ctx = tls_ctx(sh)))
			return fail_why(why, n, "cannot set up TLS");
		smtp_starttls_enable(sc->s, sh->starttls == CFG_TLS_REQUIRED ? Starttls_REQUIRED
									   : Starttls_ENABLED);
		smtp_starttls_set_ctx(sc->s, *ctx);
	}
	if (sh->username[0]) {
		if (!(*actx = auth_create_context()))
			return fail_why(why, n, "libesmtp: cannot create an auth context");
		auth_set_mechanism_flags(*actx, AUTH_PLUGIN_PLAIN, 0);
		auth_set_interact_cb(*actx, auth_interact, sc);
		smtp_auth_set_context(sc->s, *actx);
	}
	smtp_set_eventcb(sc->s, on_event, sc);
	smtp_set_monitorcb(sc->s, on_monitor, sc, 0);
	return 0;
}

/* Logs when the server stops or starts being usable, or fails anew,
 * not every retry of the same failure. */
static void set_usable(struct smtp_shared *sh, bool ok, const char *why)
{
	bool was_ok, same;

	pthread_mutex_lock(&sh->lock);
	was_ok = !sh->unreachable;
	sh->unreachable = !ok;
	same = ok || (why && !strcmp(sh->last_problem, why));
	if (bsnprintf(sh->last_problem, sizeof(sh->last_problem), "%s", ok ? "" : why) < 0)
		sh->last_problem[0] = '\0';
	pthread_mutex_unlock(&sh->lock);
	if (!ok && (was_ok || !same))
		log_warn("smtp server unusable, messages wait server=%s reason=\"%s\"", sh->server, why);
	else if (!was_ok && ok)
		log_info("smtp server usable again server=%s", sh->server);
}

/*
 * After the session: messages it never reached (no answer to their MAIL)
 * go back to the head of the queue, unspent, when the session did carry
 * mail; when no MAIL was accepted (greeting, TLS or AUTH failed, sender
 * refused) they wait for a later try, and so does everything queued when
 * the previous session failed too.
 */
static void session_end(struct session_ctx *sc)
{
	struct smtp_shared *sh = sc->sh;
	struct smtp_job *head = NULL, *tail = NULL;
	bool worked = false, again;
	size_t n = 0;
	char why[220], msg[260];

	for (size_t i = 0; i < sc->n_jobs; i++)
		if (smtp_reverse_path_status(sc->jobs[i]->sm)->code / 100 == 2)
			worked = true;
	for (size_t i = 0; i < sc->n_jobs; i++) {
		struct smtp_job *j = sc->jobs[i];

		if (j->done)
			continue;
		if (!worked || smtp_reverse_path_status(j->sm)->code) {
			judge(sc, j);
			continue;
		}
		sbuf_release(&j->data);
		j->sm = NULL;
		j->sr = NULL;
		j->next = NULL;
		if (tail)
			tail->next = j;
		else
			head = j;
		tail = j;
		sc->jobs[i] = NULL;
		n++;
	}
	if (head)
		smtp_requeue(sh, head, tail, n);
	if (worked) {
		set_usable(sh, true, NULL);
	} else {
		const smtp_status_t *rp = smtp_reverse_path_status(sc->jobs[0]->sm);
		char a[200];

		if (rp->code) {
			/* An AUTH that failed shows here: MAIL gets 530. */
			fmt_status(a, sizeof(a), rp);
			if (bsnprintf(why, sizeof(why), "sender refused: %s", a) < 0)
				why[0] = '\0';
		} else {
			session_reason(sc, why, sizeof(why));
		}
		/* One failed session may be a server's per-client connection
		 * limit; a second in a row, with none working between, is the
		 * server: then everything waits instead of costing a timeout each. */
		pthread_mutex_lock(&sh->lock);
		again = sh->unreachable;
		pthread_mutex_unlock(&sh->lock);
		set_usable(sh, false, why);
		if (again && bsnprintf(msg, sizeof(msg), "not sent: %s", why) == 0)
			smtp_fail_queued(sh, msg);
	}
}

void smtp_session_run(struct smtp_shared *sh, struct smtp_job *first)
{
	struct session_ctx sc = { .sh = sh, .spare = SBUF_INIT, .scratch = MIME_SCRATCH_INIT };
	auth_context_t actx = NULL;
	SSL_CTX *ctx = NULL;
	char why[200], msg[320];

	if (probe(&sc, why, sizeof(why)) < 0) {
		if (bsnprintf(msg, sizeof(msg), "cannot connect to %s: %s", sh->server, why) < 0)
			msg[0] = '\0';
		set_usable(sh, false, msg);
		smtp_finish(sh, first, SEND_TEMPFAIL, "%s", msg);
		smtp_job_free(first);
		smtp_fail_queued(sh, msg);
		return;
	}
	if (session_setup(&sc, &ctx, &actx, why, sizeof(why)) < 0) {
		smtp_finish(sh, first, SEND_TEMPFAIL, "%s", why);
		smtp_job_free(first);
		goto out;
	}
	if (add_job(&sc, first) < 0)
		goto out;
	feed(&sc);
	if (!smtp_start_session(sc.s) && !smtp_strerror(smtp_errno(), sc.err, sizeof(sc.err)))
		sc.err[0] = '\0';
	session_end(&sc);
	log_debug("smtp session ended server=%s messages=%zu", sh->server, sc.n_jobs);
out:
	if (sc.s)
		smtp_destroy_session(sc.s);
	if (actx)
		auth_destroy_context(actx);
	SSL_CTX_free(ctx);	/* libESMTP dropped its own reference */
	for (size_t i = 0; i < sc.n_jobs; i++)
		smtp_job_free(sc.jobs[i]);
	free(sc.jobs);
	sbuf_release(&sc.spare);
	mime_scratch_release(&sc.scratch);
}

