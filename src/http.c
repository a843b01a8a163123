/* SPDX-License-Identifier: MIT */
/*
 * The listener: request assembly (with the body limit), routing, the
 * database connection pool and the JSON error shape. Handlers live in
 * their area's file and are listed in `routes` below.
 */
#include "budbringer/http.h"
#include "budbringer/http_deadline.h"
#include "budbringer/clock.h"
#include "budbringer/inbound.h"
#include "budbringer/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNTERS 64

struct counter {
	char name[96];
	long long value;
};

struct http_server {
	struct MHD_Daemon *mhd;
	const struct config *cfg;
	int wake_fd;
	int port;
	pthread_mutex_t lock;          /* guards pool and counters */
	pthread_cond_t pool_cond;
	struct db **pool;
	bool *pool_busy;
	size_t pool_size;
	struct counter counters[MAX_COUNTERS];
	size_t n_counters;
	struct counter gauges[MAX_COUNTERS]; /* set, not added (http_gauge) */
	int hashing;                   /* password hashes running (http_hash_slot_take) */
	struct http_deadline *deadline;  /* cuts requests that take too long to arrive */
	size_t n_gauges;
	struct inbound *inbound;       /* keyword table of this config, shared read-only */
	struct writer {                /* http_write_batch(): group commit */
		struct db *db;         /* the writer connection, used by one thread at a time */
		pthread_mutex_t lock;  /* guards the fields below */
		pthread_cond_t turn;   /* `busy` went false */
		pthread_cond_t done;   /* a batch was committed (or failed) */
		bool busy;             /* a thread is working on `db` */
		bool open;             /* a batch transaction is open */
		bool failed;           /* SQLite ended it: the batch cannot commit */
		int want;              /* threads waiting for their turn */
		int n;                 /* requests in the open batch */
		long long opened_ms;
		struct batch_waiter *waiters;
	} w;
};

/* A request in the open batch, waiting for its commit. On its stack. */
struct batch_waiter {
	struct batch_waiter *next;
	bool done, ok;
};

#define BATCH_MAX 64       /* requests per commit, at most */
#define BATCH_MS 20        /* a batch stays open this long at most */

/* Per-connection state while the body arrives. */
struct pending {
	struct sbuf body;
	bool too_large;
	/* Parsed form fields (application/x-www-form-urlencoded body). */
	char **form;                   /* name, value, name, value, …, NULL */
	size_t n_form;
};

extern http_handler_fn http_healthz, http_metrics;
extern http_handler_fn http_dashboard, http_dashboard_sub;
extern http_handler_fn http_sms_dlr;
extern http_handler_fn http_unsubscribe, http_confirm, http_short_link;
extern http_handler_fn http_sms_inbound, http_api_campaigns, http_api_campaign_get,
	http_api_subscribers, http_api_callbacks, http_api_callback_one;

static const struct route {
	const char *methods;           /* space-separated */
	const char *path;
	bool prefix;                   /* path is a prefix ("/api/v1/campaigns/") */
	http_handler_fn *fn;
} routes[] = {
	{ "GET HEAD", "/healthz", false, http_healthz },
	{ "GET", "/metrics", false, http_metrics },
	{ "GET HEAD", "/dashboard", false, http_dashboard },
	{ "GET HEAD POST", "/dashboard/", true, http_dashboard_sub },
	{ "GET POST", "/sms/dlr", false, http_sms_dlr },
	{ "GET POST", "/sms/inbound", false, http_sms_inbound },
	{ "POST", "/api/v1/campaigns", false, http_api_campaigns },
	{ "GET", "/api/v1/campaigns/", true, http_api_campaign_get },
	{ "POST", "/api/v1/subscribers", false, http_api_subscribers },
	{ "GET POST", "/api/v1/callbacks", false, http_api_callbacks },
	{ "POST DELETE", "/api/v1/callbacks/", true, http_api_callback_one },
	{ "GET HEAD POST", "/unsubscribe", false, http_unsubscribe },
	{ "GET HEAD POST", "/confirm", false, http_confirm },
	{ "GET HEAD", "/l/", true, http_short_link },
};

static struct db *pool_get(struct http_server *s)
{
	struct db *db = NULL;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		for (size_t i = 0; i < s->pool_size; i++) {
			if (!s->pool_busy[i]) {
				s->pool_busy[i] = true;
				db = s->pool[i];
				break;
			}
		}
		if (db)
			break;
		pthread_cond_wait(&s->pool_cond, &s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return db;
}

static void pool_put(struct http_server *s, struct db *db)
{
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->pool_size; i++)
		if (s->pool[i] == db)
			s->pool_busy[i] = false;
	pthread_cond_signal(&s->pool_cond);
	pthread_mutex_unlock(&s->lock);
}

void http_count(struct http_server *s, const char *name, long long delta)
{
	pthread_mutex_lock(&s->lock);
	size_t i;
	for (i = 0; i < s->n_counters; i++)
		if (!strcmp(s->counters[i].name, name))
			break;
	if (i == s->n_counters && i < MAX_COUNTERS &&
	    bsnprintf(s->counters[i].name, sizeof(s->counters[i].name), "%s", name) == 0)
		s->n_counters++;
	if (i < s->n_counters)
		s->counters[i].value += delta;
	pthread_mutex_unlock(&s->lock);
}

bool http_hash_slot_take(struct http_server *s, int max)
{
	bool ok;

	pthread_mutex_lock(&s->lock);
	ok = s->hashing < max;
	if (ok)
		s->hashing++;
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void http_hash_slot_give(struct http_server *s)
{
	pthread_mutex_lock(&s->lock);
	s->hashing--;
	pthread_mutex_unlock(&s->lock);
}

void http_gauge(struct http_server *s, const char *name, long long value)
{
	size_t i;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n_gauges; i++)
		if (!strcmp(s->gauges[i].name, name))
			break;
	if (i == s->n_gauges && i < MAX_COUNTERS &&
	    bsnprintf(s->gauges[i].name, sizeof(s->gauges[i].name), "%s", name) == 0)
		s->n_gauges++;
	if (i < s->n_gauges)
		s->gauges[i].value = value;
	pthread_mutex_unlock(&s->lock);
}

/* Commits the open batch and tells its waiters. Called with w->lock held
 * and w->busy set; drops the lock during the commit. */
static void batch_commit(struct writer *w)
{
	bool ok;

	pthread_mutex_unlock(&w->lock);
	ok = !w->failed && db_commit(w->db) == 0;
	if (!ok)
		db_rollback(w->db);
	pthread_mutex_lock(&w->lock);
	if (!ok)
		log_warn("http: a batch of %d writes could not be committed; they answer 500", w->n);
	for (struct batch_waiter *b = w->waiters; b; b = b->next) {
		b->ok = ok;
		b->done = true;
	}
	w->waiters = NULL;
	w->open = w->failed = false;
	w->n = 0;
	pthread_cond_broadcast(&w->done);
}

/* This request's work, in a savepoint of its own inside the batch. */
static int batch_run(struct writer *w, int (*fn)(struct db *, void *), void *arg)
{
	int rc;

	if (db_begin(w->db) < 0)
		return -1;
	rc = fn(w->db, arg);
	if (rc >= 0 && db_commit(w->db) < 0)
		rc = -1;
	if (rc < 0 && db_rollback(w->db) < 0)
		w->failed = true; /* its half-done work cannot be told apart: drop the batch */
	return rc;
}

int http_write_batch(struct http_request *req, int (*fn)(struct db *, void *), void *arg)
{
	struct writer *w = &req->server->w;
	struct batch_waiter me = { 0 };
	int rc = -1;

	pthread_mutex_lock(&w->lock);
	w->want++;
	while (w->busy)
		pthread_cond_wait(&w->turn, &w->lock);
	w->want--;
	w->busy = true;
	if (!w->open) {
		pthread_mutex_unlock(&w->lock);
		w->open = db_begin(w->db) == 0; /* only the busy thread touches it */
		pthread_mutex_lock(&w->lock);
		w->opened_ms = clock_mono_ms();
	}
	if (w->open) {
		pthread_mutex_unlock(&w->lock);
		rc = batch_run(w, fn, arg);
		pthread_mutex_lock(&w->lock);
		if (!db_in_transaction(w->db))
			w->failed = true;
		w->n++;
		if (rc >= 0) {
			me.next = w->waiters;
			w->waiters = &me;
		}
		/* Others in line join this batch; the last one commits it. */
		if (w->want > 0 && w->n < BATCH_MAX && !w->failed &&
		    clock_mono_ms() - w->opened_ms < BATCH_MS) {
			w->busy = false;
			pthread_cond_signal(&w->turn);
			while (rc >= 0 && !me.done)
				pthread_cond_wait(&w->done, &w->lock);
			goto out;
		}
		batch_commit(w);
	}
	w->busy = false;
	pthread_cond_signal(&w->turn);
out:
	pthread_mutex_unlock(&w->lock);
	return rc >= 0 && me.ok ? rc : -1;
}

const struct inbound *http_inbound(struct http_request *req)
{
	return req->server->inbound;
}

void http_request_wake(struct http_request *req)
{
	char c = 1;
	if (req->server->wake_fd >= 0 && write(req->server->wake_fd, &c, 1) < 0) {
		/* A full pipe already means the loop will wake. */
	}
}

void http_add_header(struct http_response *resp, const char *name, const char *value)
{
	if (resp->n_headers == 4)
		return;
	if (bsnprintf(resp->headers[resp->n_headers][0], HTTP_HEADER_MAX, "%s", name) < 0 ||
	    bsnprintf(resp->headers[resp->n_headers][1], HTTP_HEADER_MAX, "%s", value) < 0)
		return;
	resp->n_headers++;
}

void http_json_error(struct http_response *resp, int status, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	resp->status = status;
	resp->content_type = "application/json";
	sbuf_reset(&resp->body);
	sbuf_addstr(&resp->body, "{\"error\": \"");
	for (const char *p = msg.buf; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\')
			sbuf_addf(&resp->body, "\\%c", c);
		else if (c < 0x20)
			sbuf_addf(&resp->body, "\\u%04x", c);
		else
			sbuf_addch(&resp->body, c);
	}
	sbuf_addstr(&resp->body, "\"}\n");
	sbuf_release(&msg);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes application/x-www-form-urlencoded text into a new string. */
static char *form_decode(const char *s, size_t n)
{
	struct sbuf out = SBUF_INIT;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			sbuf_addch(&out, ' ');
		} else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
			   hexval(s[i + 2]) >= 0) {
			sbuf_addch(&out, hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else {
			sbuf_addch(&out, s[i]);
		}
	}
	return sbuf_detach(&out, NULL);
}

static void parse_form(struct pending *pd)
{
	const char *p = pd->body.buf, *end = p + pd->body.len;
	size_t cap = 0;

	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(stop - p));
		if (eq && pd->n_form < 256) {
			if (pd->n_form + 3 > cap)
				pd->form = xrealloc(pd->form, (cap = cap * 2 + 8) * sizeof(char *));
			pd->form[pd->n_form++] = form_decode(p, (size_t)(eq - p));
			pd->form[pd->n_form++] = form_decode(eq + 1, (size_t)(stop - eq - 1));
			pd->form[pd->n_form] = NULL;
		}
		p = stop + 1;
	}
}

const char *http_query(struct http_request *req, const char *name)
{
	struct MHD_Connection *c = req->conn;
	const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
	const struct pending *pd = req->priv;

	if (v || !pd)
		return v;
	for (size_t i = 0; i + 1 < pd->n_form; i += 2)
		if (!strcmp(pd->form[i], name))
			return pd->form[i + 1];
	return NULL;
}

const char *http_bearer(struct http_request *req)
{
	const char *h = http_header(req, "Authorization");

	if (!h || strncasecmp(h, "Bearer ", 7))
		return NULL;
	h += 7;
	h += strspn(h, " ");
	return *h && strlen(h) <= 512 ? h : NULL;
}

const char *http_shared_secret(struct http_request *req)
{
	const char *s = http_query(req, "secret");

	if (!s)
		s = http_header(req, "X-Budbringer-Secret");
	if (!s)  /* the name the inbound route documented first */
		s = http_header(req, "X-Inbound-Secret");
	return s ? s : http_bearer(req);
}

bool http_body_is_json(struct http_request *req)
{
	const char *ct = http_header(req, "Content-Type");
	const char *b = req->body ? req->body + strspn(req->body, " \t\r\n") : "";

	if (ct)
		return strcasestr(ct, "json") != NULL;
	return *b == '{' || *b == '[';
}

long long http_parse_id(const char *s)
{
	long long v = 0;

	if (!s || !*s || *s == '0' || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
		return 0;
	for (; *s; s++)
		v = v * 10 + (*s - '0');
	return v;
}

const char *http_header(struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

static bool method_listed(const char *list, const char *m)
{
	size_t n = strlen(m);
	for (const char *p = list; (p = strstr(p, m)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static enum MHD_Result send_response(struct MHD_Connection *conn, struct http_response *resp)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(resp->body.len, resp->body.buf, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type",
				resp->content_type ? resp->content_type : "application/json");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	for (size_t i = 0; i < resp->n_headers; i++)
		MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
	ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static struct http_deadline_conn *deadline_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct pending *pd = *con_cls;
	struct http_response resp = { .status = 200, .body = SBUF_INIT };
	const struct route *match = NULL;
	bool path_known = false;
	enum MHD_Result ret;

	(void)version;
	if (!pd) {
		pd = xcalloc(1, sizeof(*pd));
		sbuf_init(&pd->body, 0);
		*con_cls = pd;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (pd->body.len + *upload_data_size > s->cfg->http.body_limit)
			pd->too_large = true;
		else
			sbuf_add(&pd->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}

	/* The whole request is in: from here on it is ours, not the deadline's. */
	http_deadline_busy(s->deadline, deadline_of(conn), true);
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];
		bool hit = r->prefix ? !strncmp(url, r->path, strlen(r->path)) : !strcmp(url, r->path);
		if (!hit)
			continue;
		path_known = true;
		if (method_listed(r->methods, method)) {
			match = &routes[i];
			break;
		}
	}
	if (pd->too_large) {
		http_json_error(&resp, 413, "request body is larger than %zu bytes",
				s->cfg->http.body_limit);
	} else if (!match) {
		if (path_known)
			http_json_error(&resp, 405, "method %s is not allowed on %s", method, url);
		else
			http_json_error(&resp, 404, "no such route");
	} else {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		char addr[INET6_ADDRSTRLEN] = "?";
		struct http_request req = {
			.server = s, .cfg = s->cfg, .method = method, .path = url,
			.body = pd->body.buf, .body_len = pd->body.len, .conn = conn, .remote = addr,
			.priv = pd,
		};
		if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
				  addr, sizeof(addr));
		parse_form(pd);
		req.db = pool_get(s);
		match->fn(&req, &resp);
		pool_put(s, req.db);
	}
	if (!strcmp(method, "HEAD"))
		sbuf_reset(&resp.body);
	ret = send_response(conn, &resp);
	sbuf_release(&resp.body);
	return ret;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct http_server *s = cls;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? http_deadline_watch(s->deadline, ci->connect_fd) : NULL;
	} else {
		http_deadline_forget(s->deadline, *socket_context);
		*socket_context = NULL;
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct pending *pd = *con_cls;
	(void)toe;
	http_deadline_busy(s->deadline, deadline_of(conn), false);
	if (!pd)
		return;
	sbuf_release(&pd->body);
	for (size_t i = 0; i < pd->n_form; i++)
		free(pd->form[i]);
	free(pd->form);
	free(pd);
	*con_cls = NULL;
}

static struct http_server *server_new(const struct config *cfg, int wake_fd, struct sbuf *err)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	struct db_options opt = { 0 };

	s->cfg = cfg;
	s->wake_fd = wake_fd;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->w.lock, NULL);
	pthread_cond_init(&s->w.turn, NULL);
	pthread_cond_init(&s->w.done, NULL);
	pthread_cond_init(&s->pool_cond, NULL);
	s->pool_size = (size_t)cfg->http.threads;
	s->pool = xcalloc(s->pool_size, sizeof(*s->pool));
	s->pool_busy = xcalloc(s->pool_size, sizeof(*s->pool_busy));
	s->inbound = inbound_new(cfg, err);
	if (!s->inbound) {
		http_stop(s);
		return NULL;
	}
	opt.password_file = cfg->database_password_file;
	s->w.db = db_open_with(cfg->database, &opt);
	for (size_t i = 0; s->w.db && i < s->pool_size; i++) {
		s->pool[i] = db_open_with(cfg->database, &opt);
		if (!s->pool[i] || db_set_address_key(s->pool[i], cfg->secret_key) < 0) {
			sbuf_addf(err, "cannot open database '%s' for the http listener", cfg->database);
			http_stop(s);
			return NULL;
		}
	}
	if (!s->w.db || db_set_address_key(s->w.db, cfg->secret_key) < 0) {
		sbuf_addf(err, "cannot open database '%s' for the http listener", cfg->database);
		http_stop(s);
		return NULL;
	}
	return s;
}

static int start_mhd(struct http_server *s, int listen_fd, struct sbuf *err)
{
	struct sockaddr_in sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ITC;
	const union MHD_DaemonInfo *di;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)s->cfg->http.listen_port);
	if (inet_pton(AF_INET, s->cfg->http.listen_addr, &sa.sin_addr) != 1) {
		sbuf_addf(err, "http.listen: '%s' is not an IPv4 address", s->cfg->http.listen_addr);
		return -1;
	}
	if (s->cfg->http.threads > 1)
		flags &= ~(unsigned)MHD_USE_EPOLL;
	if (!(s->deadline = http_deadline_start(s->cfg->http.request_timeout))) {
		sbuf_addstr(err, "cannot start the HTTP request deadline");
		return -1;
	}
	s->mhd = MHD_start_daemon(flags, (uint16_t)s->cfg->http.listen_port, NULL, NULL,
				  on_request, s,
				  MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg->http.max_connections,
				  /* A few slow clients must not take every connection. */
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				  (unsigned)s->cfg->http.max_connections_per_address,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				  MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg->http.threads,
				  listen_fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_END, listen_fd,
				  MHD_OPTION_END);
	if (!s->mhd) {
		sbuf_addf(err, "cannot listen on %s:%d (in use, or not permitted)",
			    s->cfg->http.listen_addr, s->cfg->http.listen_port);
		return -1;
	}
	di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : s->cfg->http.listen_port;
	return 0;
}

struct http_server *http_start(const struct config *cfg, int wake_fd, struct sbuf *err)
{
	struct http_server *s = server_new(cfg, wake_fd, err);
	if (!s)
		return NULL;
	if (start_mhd(s, -1, err) < 0) {
		http_stop(s);
		return NULL;
	}
	log_info("listening on http://%s:%d", cfg->http.listen_addr, s->port);
	return s;
}

struct http_server *http_restart(struct http_server *old, const struct config *cfg,
				 struct sbuf *err)
{
	struct http_server *s;
	MHD_socket fd;

	if (strcmp(cfg->http.listen_addr, old->cfg->http.listen_addr) ||
	    cfg->http.listen_port != old->cfg->http.listen_port) {
		/* A new address: stop the old listener first, then bind anew. */
		s = server_new(cfg, old->wake_fd, err);
		if (!s)
			return NULL;
		http_stop(old);
		if (start_mhd(s, -1, err) < 0) {
			http_stop(s);
			return NULL;
		}
		return s;
	}
	s = server_new(cfg, old->wake_fd, err);
	if (!s)
		return NULL;
	for (size_t i = 0; i < old->n_counters; i++)
		s->counters[i] = old->counters[i];
	s->n_counters = old->n_counters;
	for (size_t i = 0; i < old->n_gauges; i++)
		s->gauges[i] = old->gauges[i];
	s->n_gauges = old->n_gauges;
	fd = MHD_quiesce_daemon(old->mhd);
	if (fd == MHD_INVALID_SOCKET || start_mhd(s, fd, err) < 0) {
		http_stop(s);
		return NULL;
	}
	http_stop(old);
	return s;
}

void http_stop(struct http_server *s)
{
	if (!s)
		return;
	if (s->mhd)
		MHD_stop_daemon(s->mhd);
	http_deadline_stop(s->deadline);
	for (size_t i = 0; i < s->pool_size; i++)
		db_close(s->pool[i]);
	db_close(s->w.db);
	free(s->pool);
	free(s->pool_busy);
	inbound_free(s->inbound);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->w.lock);
	pthread_cond_destroy(&s->w.turn);
	pthread_cond_destroy(&s->w.done);
	pthread_cond_destroy(&s->pool_cond);
	free(s);
}

void http_healthz(struct http_request *req, struct http_response *resp)
{
	(void)req;
	resp->content_type = "application/json";
	sbuf_addstr(&resp->body, "{\"status\": \"ok\"}\n");
}

void http_metrics(struct http_request *req, struct http_response *resp)
{
	struct http_server *s = req->server;
	resp->content_type = "text/plain; version=0.0.4";
	db_metrics(req->db, &resp->body);
	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->n_counters; i++)
		sbuf_addf(&resp->body, "%s %lld\n", s->counters[i].name, s->counters[i].value);
	for (size_t i = 0; i < s->n_gauges; i++)
		sbuf_addf(&resp->body, "%s %lld\n", s->gauges[i].name, s->gauges[i].value);
	pthread_mutex_unlock(&s->lock);
}
