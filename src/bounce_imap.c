/* SPDX-License-Identifier: MIT */
/*
 * The IMAP bounce reader (design in bounce_imap.h). libcurl makes the
 * connection: TLS with certificate checks, the greeting, CAPABILITY and the
 * login (CURLOPT_CONNECT_ONLY); the commands after that are sent on the
 * same connection with curl_easy_send/recv, because curl's own FETCH sets
 * \Seen (BODY[]) and its custom requests drop the literal that carries
 * the mail.
 */
#include "budbringer/bounce_imap.h"
#include "budbringer/bounce.h"
#include "budbringer/bounce_apply.h"
#include "budbringer/clock.h"
#include "budbringer/db.h"
#include "budbringer/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IMAP_MAIL_MAX   (10u * 1024 * 1024)  /* as budbringer bounce */
#define IMAP_PASS_MAX   500                  /* messages fetched in one pass */
#define IMAP_SEARCH_MAX 100000               /* unseen UIDs looked at in one pass */
#define IMAP_SKIP_MAX   20000                /* UIDs remembered as not ours */
#define IMAP_LINE_MAX   (64u * 1024)         /* one response line, literals apart */

struct bounce_imap {
	pthread_t thread;
	bool started;
	atomic_bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* Copies of the settings: the config may be swapped by a reload. */
	char *url, *user, *password_file, *folder, *processed, *ca_file;
	char *database, *database_password_file, *secret_key;
	int interval, timeout;
	bool plaintext;
	struct bounce_rules rules;
	struct db *db;
	/* UIDs fetched and not understood, valid for one UIDVALIDITY. */
	unsigned long long skip_validity;
	uint32_t *skip;
	size_t n_skip, cap_skip;
	bool warned_uidplus, warned_skip;
	int last_error, last_left; /* the last pass's, so a quiet mailbox logs at debug */
};

/* One logged-in connection. */
struct imap_conn {
	struct bounce_imap *bi;
	CURL *curl;
	curl_socket_t sock;
	struct sbuf in;      /* received, not yet consumed */
	unsigned tag;
	bool has_move, has_uidplus;
	bool login_denied;
	char status[256];    /* the last tagged answer's text */
};

/* ------------------------------------------------------ pure pieces --- */

int bounce_imap_literal(const char *line, size_t len, size_t max, size_t *n)
{
	size_t i, v = 0, digits = 0;

	if (len < 3 || line[len - 1] != '}')
		return 0;
	i = len - 2;
	if (line[i] == '+')
		i--;
	for (; i > 0 && line[i] >= '0' && line[i] <= '9'; i--)
		digits++;
	if (!digits || line[i] != '{' || digits > 10)
		return 0;
	for (size_t k = i + 1; k < i + 1 + digits; k++)
		v = v * 10 + (size_t)(line[k] - '0');
	if (v > max)
		return -1;
	*n = v;
	return 1;
}

int bounce_imap_search_uids(const char *text, uint32_t *out, size_t max)
{
	size_t n = 0;

	for (const char *l = text; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) {
		const char *p;

		if (strncasecmp(l, "* SEARCH", 8) || (l[8] != ' ' && l[8] != '\n' && l[8] != '\r' && l[8]))
			continue;
		for (p = l + 8; *p == ' ';) {
			char *end;
			unsigned long long v;

			p++;
			if (*p < '0' || *p > '9') /* "(MODSEQ n)" and the like end the list */
				break;
			errno = 0;
			v = strtoull(p, &end, 10);
			if (errno || !v || v > UINT32_MAX || (*end != ' ' && *end != '\r' && *end != '\n' && *end))
				return -1;
			if (n < max)
				out[n++] = (uint32_t)v;
			p = end;
		}
	}
	return (int)n;
}

/* ------------------------------------------------------- the wire --- */

static bool stopping(const struct bounce_imap *bi)
{
	return atomic_load(&bi->stop);
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return stopping(arg) ? 1 : 0;
}

/* Waits up to timeout for the socket, in short steps so a stop is seen. */
static int wait_sock(struct imap_conn *ic, short events, long long deadline)
{
	struct pollfd p = { .fd = ic->sock, .events = events };

	while (!stopping(ic->bi)) {
		long long left = deadline - clock_mono_ms();
		int rc;

		if (left <= 0) {
			error("imap: no answer from '%s' within %ds", ic->bi->url, ic->bi->timeout);
			return -1;
		}
		rc = poll(&p, 1, left > 200 ? 200 : (int)left);
		if (rc > 0)
			return 0;
		if (rc < 0 && errno != EINTR)
			return error("imap: poll: %s", strerror(errno));
	}
	return -1;
}

static int send_all(struct imap_conn *ic, const char *s, size_t len)
{
	long long deadline = clock_mono_ms() + ic->bi->timeout * 1000LL;

	while (len) {
		size_t n = 0;
		CURLcode rc = curl_easy_send(ic->curl, s, len, &n);

		if (rc == CURLE_AGAIN) {
			if (wait_sock(ic, POLLOUT, deadline) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return error("imap: cannot send to '%s': %s", ic->bi->url, curl_easy_strerror(rc));
		s += n;
		len -= n;
	}
	return 0;
}

/* Reads more into ic->in. */
static int recv_more(struct imap_conn *ic, long long deadline)
{
	char buf[16384];

	for (;;) {
		size_t n = 0;
		CURLcode rc = curl_easy_recv(ic->curl, buf, sizeof(buf), &n);

		if (rc == CURLE_AGAIN) {
			if (wait_sock(ic, POLLIN, deadline) < 0)
				return -1;
			continue;
		}
		if (rc != CURLE_OK)
			return error("imap: cannot read from '%s': %s", ic->bi->url, curl_easy_strerror(rc));
		if (!n)
			return error("imap: '%s' closed the connection", ic->bi->url);
		sbuf_add(&ic->in, buf, n);
		return 0;
	}
}

static void consume(struct imap_conn *ic, size_t n)
{
	memmove(ic->in.buf, ic->in.buf + n, ic->in.len - n);
	ic->in.len -= n;
	ic->in.buf[ic->in.len] = '\0';
}

/*
 * Sends "Bn <command>" and reads up to its tagged answer. Untagged lines
 * go to lines (one per \n, CRLF stripped, a literal replaced by "{N}");
 * the first literal's bytes to literal (may be NULL). 0 OK, 1 NO or BAD
 * (ic->status holds the text), -1 on a broken connection or a timeout.
 */
__attribute__((format(printf, 4, 5)))
static int command(struct imap_conn *ic, struct sbuf *lines, struct sbuf *literal,
		   const char *fmt, ...)
{
	struct sbuf cmd = SBUF_INIT;
	char tag[16];
	size_t tlen;
	bool have_literal = false;
	va_list ap;
	int ret = -1;

	ic->tag++;
	(void)bsnprintf(tag, sizeof(tag), "B%u ", ic->tag);
	tlen = strlen(tag);
	sbuf_addstr(&cmd, tag);
	va_start(ap, fmt);
	sbuf_vaddf(&cmd, fmt, ap);
	va_end(ap);
	sbuf_addstr(&cmd, "\r\n");
	ic->status[0] = '\0';
	if (send_all(ic, cmd.buf, cmd.len) < 0)
		goto out;
	for (;;) {
		long long deadline = clock_mono_ms() + ic->bi->timeout * 1000LL;
		char *eol = memchr(ic->in.buf, '\n', ic->in.len);
		size_t len, lit = 0;
		int lr;

		if (!eol) {
			if (ic->in.len > IMAP_LINE_MAX) {
				error("imap: a line over %u bytes from '%s'", IMAP_LINE_MAX, ic->bi->url);
				goto out;
			}
			if (recv_more(ic, deadline) < 0)
				goto out;
			continue;
		}
		len = (size_t)(eol - ic->in.buf);
		if (len && ic->in.buf[len - 1] == '\r')
			len--;
		if (!strncmp(ic->in.buf, tag, tlen)) {
			const char *st = ic->in.buf + tlen;

			ret = !strncasecmp(st, "OK", 2) ? 0 : 1;
			(void)bsnprintf(ic->status, sizeof(ic->status), "%.*s",
					(int)(len - tlen > 200 ? 200 : len - tlen), st);
			consume(ic, (size_t)(eol - ic->in.buf) + 1);
			goto out;
		}
		lr = bounce_imap_literal(ic->in.buf, len, IMAP_MAIL_MAX, &lit);
		if (lr < 0) {
			error("imap: '%s' sends a literal over %u bytes", ic->bi->url, IMAP_MAIL_MAX);
			goto out;
		}
		if (lines) {
			sbuf_add(lines, ic->in.buf, len);
			sbuf_addch(lines, '\n');
		}
		consume(ic, (size_t)(eol - ic->in.buf) + 1);
		if (lr == 0)
			continue;
		/* The literal, then the rest of its line follows as a line. */
		while (ic->in.len < lit)
			if (recv_more(ic, deadline) < 0)
				goto out;
		if (literal && !have_literal) {
			sbuf_add(literal, ic->in.buf, lit);
			have_literal = true;
		}
		consume(ic, lit);
	}
out:
	sbuf_release(&cmd);
	return ret;
}

/* ---------------------------------------------------- the password --- */

/* The password file as database_password_file's: the secret alone, not
 * readable by group or others; a trailing newline is no part of it. */
static char *read_password(const char *path)
{
	char buf[1024];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0) {
		error("imap: cannot open password_file '%s': %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & (S_IRWXG | S_IRWXO))) {
		error("imap: password_file '%s' must be a file not readable by group or others "
		      "(chmod 600 it)", path);
		close(fd);
		return NULL;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		error("imap: cannot read password_file '%s': %s", path, strerror(errno));
		return NULL;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	if (!n || memchr(buf, '\n', (size_t)n) || memchr(buf, '\0', (size_t)n)) {
		error("imap: password_file '%s' must hold the password alone on one line", path);
		return NULL;
	}
	return xstrdup(buf);
}

/* -------------------------------------------------------- one pass --- */

enum pass_error { PASS_OK, PASS_CONNECT, PASS_LOGIN, PASS_FOLDER, PASS_DB, PASS_PROTOCOL, PASS_SECRET };

/* The skip set is kept sorted: looked up once per unseen UID each pass. */
static size_t skip_pos(const struct bounce_imap *bi, uint32_t uid)
{
	size_t lo = 0, hi = bi->n_skip;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (bi->skip[mid] < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool skipped(const struct bounce_imap *bi, uint32_t uid)
{
	size_t i = skip_pos(bi, uid);

	return i < bi->n_skip && bi->skip[i] == uid;
}

static void remember_skip(struct bounce_imap *bi, uint32_t uid)
{
	size_t i;

	if (skipped(bi, uid))
		return;
	if (bi->n_skip >= IMAP_SKIP_MAX) {
		if (!bi->warned_skip)
			log_warn("imap: %d messages in '%s' are not bounces; the rest are fetched again "
				 "each pass (clear out the folder)", IMAP_SKIP_MAX, bi->folder);
		bi->warned_skip = true;
		return;
	}
	if (bi->n_skip == bi->cap_skip) {
		bi->cap_skip = bi->cap_skip ? bi->cap_skip * 2 : 64;
		bi->skip = xrealloc(bi->skip, bi->cap_skip * sizeof(*bi->skip));
	}
	i = skip_pos(bi, uid);
	memmove(bi->skip + i + 1, bi->skip + i, (bi->n_skip - i) * sizeof(*bi->skip));
	bi->skip[i] = uid;
	bi->n_skip++;
}

static int connect_login(struct imap_conn *ic, const char *password)
{
	struct bounce_imap *bi = ic->bi;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode rc;

	ic->curl = curl_easy_init();
	if (!ic->curl)
		return error("imap: cannot create a libcurl handle");
	curl_easy_setopt(ic->curl, CURLOPT_URL, bi->url);
	curl_easy_setopt(ic->curl, CURLOPT_PROTOCOLS_STR, bi->plaintext ? "imap,imaps" : "imaps");
	curl_easy_setopt(ic->curl, CURLOPT_USERNAME, bi->user);
	curl_easy_setopt(ic->curl, CURLOPT_PASSWORD, password);
	if (*bi->ca_file)
		curl_easy_setopt(ic->curl, CURLOPT_CAINFO, bi->ca_file);
	curl_easy_setopt(ic->curl, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(ic->curl, CURLOPT_CONNECTTIMEOUT, (long)bi->timeout);
	curl_easy_setopt(ic->curl, CURLOPT_TIMEOUT, (long)bi->timeout * 2);
	curl_easy_setopt(ic->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ic->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(ic->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(ic->curl, CURLOPT_XFERINFODATA, bi);
	curl_easy_setopt(ic->curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(ic->curl);
	curl_easy_setopt(ic->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc == CURLE_LOGIN_DENIED) {
		ic->login_denied = true;
		return -1;
	}
	if (rc != CURLE_OK) {
		(void)bsnprintf(ic->status, sizeof(ic->status), "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
		return -1;
	}
	if (curl_easy_getinfo(ic->curl, CURLINFO_ACTIVESOCKET, &ic->sock) != CURLE_OK ||
	    ic->sock == CURL_SOCKET_BAD) {
		(void)bsnprintf(ic->status, sizeof(ic->status), "no connection after the login");
		return -1;
	}
	return 0;
}

static bool has_cap(const char *lines, const char *cap)
{
	size_t n = strlen(cap);

	for (const char *p = strcasestr(lines, cap); p; p = strcasestr(p + 1, cap))
		if (p > lines && p[-1] == ' ' && (p[n] == ' ' || p[n] == '\n' || p[n] == ']'))
			return true;
	return false;
}

/* Marks a handled message \Seen and moves it to the processed folder. */
static int file_away(struct imap_conn *ic, uint32_t uid)
{
	struct bounce_imap *bi = ic->bi;
	int rc;

	if (command(ic, NULL, NULL, "UID STORE %u +FLAGS.SILENT (\\Seen)", uid) != 0)
		return error("imap: cannot mark uid=%u seen: %s", uid, ic->status);
	if (!*bi->processed)
		return 0;
	for (int attempt = 0; attempt < 2; attempt++) {
		rc = ic->has_move ? command(ic, NULL, NULL, "UID MOVE %u \"%s\"", uid, bi->processed)
				  : command(ic, NULL, NULL, "UID COPY %u \"%s\"", uid, bi->processed);
		if (rc != 1 || !strcasestr(ic->status, "[TRYCREATE]") || attempt)
			break;
		if (command(ic, NULL, NULL, "CREATE \"%s\"", bi->processed) < 0)
			return -1;
		log_info("imap: created folder '%s' for handled mail", bi->processed);
	}
	if (rc)
		return error("imap: cannot move uid=%u to '%s': %s", uid, bi->processed, ic->status);
	if (ic->has_move)
		return 0;
	if (!ic->has_uidplus) { /* a plain EXPUNGE would take others' \Deleted mail too */
		if (!bi->warned_uidplus)
			log_warn("imap: the server has neither MOVE nor UIDPLUS: handled mail is copied "
				 "to '%s' and stays in '%s', seen", bi->processed, bi->folder);
		bi->warned_uidplus = true;
		return 0;
	}
	if (command(ic, NULL, NULL, "UID STORE %u +FLAGS.SILENT (\\Deleted)", uid) != 0 ||
	    command(ic, NULL, NULL, "UID EXPUNGE %u", uid) != 0)
		return error("imap: cannot remove uid=%u from '%s' after the copy: %s", uid,
			     bi->folder, ic->status);
	return 0;
}

/* Fetches, reads and applies one message. 1 handled, 0 left alone,
 * -1 connection lost, -2 the database cannot take it now. */
static int one_message(struct imap_conn *ic, uint32_t uid, int *handled)
{
	struct bounce_imap *bi = ic->bi;
	struct sbuf lines = SBUF_INIT, mail = SBUF_INIT;
	struct bounce_report r;
	struct bounce_result res;
	char key[70];
	const char *sz;
	int rc, ret = -1;

	/* The size first: a mail over the cap is left alone, never read. */
	rc = command(ic, &lines, NULL, "UID FETCH %u (RFC822.SIZE)", uid);
	if (rc < 0)
		goto out;
	sz = strcasestr(lines.buf, "RFC822.SIZE ");
	if (rc == 0 && sz && strtoull(sz + 12, NULL, 10) > IMAP_MAIL_MAX) {
		log_info("imap: uid=%u left in '%s': larger than %u bytes", uid, bi->folder,
			 IMAP_MAIL_MAX);
		remember_skip(bi, uid);
		ret = 0;
		goto out;
	}
	sbuf_reset(&lines);
	rc = command(ic, &lines, &mail, "UID FETCH %u BODY.PEEK[]", uid);
	if (rc < 0)
		goto out;
	if (rc > 0 || !mail.len) { /* gone meanwhile (another reader), or no body */
		log_info("imap: uid=%u not fetched: %s", uid, rc ? ic->status : "no body");
		ret = 0;
		goto out;
	}
	if (bounce_parse(mail.buf, mail.len, NULL, &r) < 0 || r.kind == BOUNCE_NONE) {
		log_info("imap: uid=%u left in '%s': not a bounce (%s)", uid, bi->folder, r.reason);
		remember_skip(bi, uid);
		ret = 0;
		goto out;
	}
	if (!bi->db) {
		const struct db_options opt = { .password_file = bi->database_password_file };

		bi->db = db_open_with(bi->database, &opt);
		if (bi->db && db_set_address_key(bi->db, bi->secret_key) < 0) {
			db_close(bi->db);
			bi->db = NULL;
		}
	}
	bounce_raw_key(mail.buf, mail.len, key);
	if (!bi->db || bounce_apply(bi->db, &bi->rules, &r, "imap", key[4] ? key : NULL,
				    (long long)time(NULL), &res) < 0) {
		/* A new connection next pass: this one may be broken. */
		db_close(bi->db);
		bi->db = NULL;
		ret = -2;
		goto out;
	}
	log_info("imap: uid=%u %s %s message=%lld status=%s", uid, bounce_kind_name(r.kind),
		 bounce_outcome_name(res.outcome), res.message_id,
		 r.kind == BOUNCE_COMPLAINT ? r.feedback_type : r.status);
	(*handled)++;
	ret = file_away(ic, uid) < 0 ? -1 : 1;
out:
	sbuf_release(&lines);
	sbuf_release(&mail);
	return ret;
}

static enum pass_error run_pass(struct bounce_imap *bi, int *handled, int *left)
{
	struct imap_conn ic = { .bi = bi, .sock = CURL_SOCKET_BAD };
	struct sbuf lines = SBUF_INIT;
	uint32_t *uids = NULL;
	unsigned long long validity = 0;
	const char *v;
	char *password;
	enum pass_error ret = PASS_PROTOCOL;
	int n;

	sbuf_init(&ic.in, 16384);
	if (!(password = read_password(bi->password_file))) {
		ret = PASS_SECRET;
		goto out;
	}
	n = connect_login(&ic, password);
	memset(password, 0, strlen(password));
	free(password);
	if (n < 0) {
		if (ic.login_denied) {
			ret = PASS_LOGIN;
		} else {
			ret = PASS_CONNECT;
			if (!stopping(bi))
				error("imap: cannot connect to '%s': %s", bi->url, ic.status);
		}
		goto out;
	}
	if (command(&ic, &lines, NULL, "CAPABILITY") != 0)
		goto out;
	ic.has_move = has_cap(lines.buf, "MOVE");
	ic.has_uidplus = has_cap(lines.buf, "UIDPLUS");
	sbuf_reset(&lines);
	if ((n = command(&ic, &lines, NULL, "SELECT \"%s\"", bi->folder)) != 0) {
		if (n > 0) {
			error("imap: cannot open folder '%s' on '%s': %s", bi->folder, bi->url, ic.status);
			ret = PASS_FOLDER;
		}
		goto out;
	}
	if ((v = strcasestr(lines.buf, "[UIDVALIDITY ")))
		validity = strtoull(v + 13, NULL, 10);
	if (validity != bi->skip_validity) { /* UIDs of another generation: forget them */
		bi->n_skip = 0;
		bi->skip_validity = validity;
	}
	sbuf_reset(&lines);
	if (command(&ic, &lines, NULL, "UID SEARCH UNSEEN") != 0)
		goto out;
	uids = xcalloc(IMAP_SEARCH_MAX, sizeof(*uids));
	if ((n = bounce_imap_search_uids(lines.buf, uids, IMAP_SEARCH_MAX)) < 0) {
		error("imap: '%s' answers UID SEARCH with what is not a UID list", bi->url);
		goto out;
	}
	ret = PASS_OK;
	for (int i = 0, fetched = 0; i < n && !stopping(bi); i++) {
		int rc;

		if (skipped(bi, uids[i]) || fetched >= IMAP_PASS_MAX) { /* the rest: next pass */
			(*left)++;
			continue;
		}
		fetched++;
		rc = one_message(&ic, uids[i], handled);
		if (rc == 0)
			(*left)++;
		if (rc == -2) {
			error("imap: the database cannot take the bounce now; uid=%u stays unseen in "
			      "'%s' for the next pass in %ds", uids[i], bi->folder, bi->interval);
			ret = PASS_DB;
			break;
		}
		if (rc == -1) {
			ret = PASS_PROTOCOL;
			break;
		}
	}
	if (ret != PASS_PROTOCOL)
		(void)command(&ic, NULL, NULL, "LOGOUT");
out:
	if (ic.curl)
		curl_easy_cleanup(ic.curl);
	free(uids);
	sbuf_release(&ic.in);
	sbuf_release(&lines);
	return ret;
}

static void *reader(void *arg)
{
	struct bounce_imap *bi = arg;

	while (!stopping(bi)) {
		int handled = 0, left = 0;
		enum pass_error e = run_pass(bi, &handled, &left);
		struct timespec until;

		if (e == PASS_LOGIN)
			log_warn("imap: login to '%s' as '%s' refused: check bounces.imap.user and the "
				 "password in '%s'; trying again in %ds", bi->url, bi->user,
				 bi->password_file, bi->interval);
		else if (e == PASS_OK && (handled || bi->last_error != PASS_OK || left != bi->last_left))
			log_info("imap: read '%s' on '%s': handled=%d left=%d", bi->folder, bi->url,
				 handled, left);
		else if (e == PASS_OK)
			log_debug("imap: read '%s' on '%s': nothing new, left=%d", bi->folder, bi->url, left);
		else if (e != PASS_OK && e != PASS_LOGIN && !stopping(bi))
			log_warn("imap: reading '%s' failed; trying again in %ds", bi->folder, bi->interval);
		bi->last_error = (int)e;
		bi->last_left = left;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += bi->interval;
		pthread_mutex_lock(&bi->mu);
		while (!stopping(bi) &&
		       pthread_cond_timedwait(&bi->cv, &bi->mu, &until) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&bi->mu);
	}
	return NULL;
}

/* ------------------------------------------------------- lifecycle --- */

static void free_settings(struct bounce_imap *bi)
{
	free(bi->url);
	free(bi->user);
	free(bi->password_file);
	free(bi->folder);
	free(bi->processed);
	free(bi->ca_file);
	free(bi->database);
	free(bi->database_password_file);
	if (bi->secret_key)
		memset(bi->secret_key, 0, strlen(bi->secret_key));
	free(bi->secret_key);
	free(bi->skip);
}

struct bounce_imap *bounce_imap_start(const struct config *cfg, struct sbuf *err)
{
	const struct cfg_bounce_imap *c = &cfg->bounces.imap;
	struct bounce_imap *bi;
	int rc;

	if (!c->url || !*c->url)
		return NULL;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		sbuf_addstr(err, "imap: cannot initialise libcurl");
		return NULL;
	}
	bi = xcalloc(1, sizeof(*bi));
	atomic_init(&bi->stop, false);
	pthread_mutex_init(&bi->mu, NULL);
	pthread_cond_init(&bi->cv, NULL);
	bi->url = xstrdup(c->url);
	bi->user = xstrdup(c->user);
	bi->password_file = xstrdup(c->password_file);
	bi->folder = xstrdup(c->folder);
	bi->processed = xstrdup(c->processed_folder);
	bi->ca_file = xstrdup(c->ca_file);
	bi->database = xstrdup(cfg->database);
	bi->database_password_file = xstrdup(cfg->database_password_file);
	bi->secret_key = xstrdup(cfg->secret_key);
	bi->interval = c->interval;
	bi->timeout = c->timeout;
	bi->plaintext = c->allow_plaintext;
	bi->last_error = -1; /* the first pass always says what it found */
	bounce_rules_from_config(cfg, &bi->rules);
	rc = pthread_create(&bi->thread, NULL, reader, bi);
	if (rc) {
		sbuf_addf(err, "imap: cannot start the reader thread: %s", strerror(rc));
		bounce_imap_stop(bi);
		return NULL;
	}
	bi->started = true;
	log_info("imap bounce reader ready url=%s folder=%s processed_folder=%s interval=%ds",
		 bi->url, bi->folder, *bi->processed ? bi->processed : "-", bi->interval);
	return bi;
}

void bounce_imap_stop(struct bounce_imap *bi)
{
	if (!bi)
		return;
	pthread_mutex_lock(&bi->mu);
	atomic_store(&bi->stop, true);
	pthread_cond_broadcast(&bi->cv);
	pthread_mutex_unlock(&bi->mu);
	if (bi->started)
		pthread_join(bi->thread, NULL);
	db_close(bi->db);
	pthread_cond_destroy(&bi->cv);
	pthread_mutex_destroy(&bi->mu);
	free_settings(bi);
	free(bi);
	curl_global_cleanup();
}
