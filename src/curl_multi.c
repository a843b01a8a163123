/* SPDX-License-Identifier: MIT */
/* Non-blocking HTTP requests for the gateway providers (libcurl multi). */
#include "budbringer/curl_multi.h"
#include "budbringer/clock.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"
#include "budbringer/wire.h"

#include <curl/curl.h>
#include <sys/socket.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum slot_state { SLOT_IDLE, SLOT_RUNNING, SLOT_FINISHED };

struct slot {
	struct cmulti_pool *pool;
	CURL *easy;
	enum slot_state state;
	long long tag;
	struct curl_slist *headers;
	struct sbuf resp;
	CURLcode result;
	char error[CURL_ERROR_SIZE];
	bool (*allow_address)(const struct sockaddr *sa, size_t len);
	bool refused;
	struct wire_slot *wire;      /* the message's journal slot, or NULL */
};

struct cmulti {
	CURLM *multi;
	size_t finished;     /* over all pools, not yet taken */
	struct wire *wire;   /* the outbox's wire journal (not owned), or NULL */
};

struct cmulti_pool {
	struct cmulti *m;
	struct slot *slots;
	size_t n_slots;
	size_t running, finished;
	long connect_timeout_ms, timeout_ms;
};

struct cmulti *cmulti_new(void)
{
	struct cmulti *m;

	/* Safe to repeat: libcurl counts the calls. */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		error("cannot initialise libcurl");
		return NULL;
	}
	m = xcalloc(1, sizeof(*m));
	m->multi = curl_multi_init();
	if (!m->multi) {
		free(m);
		curl_global_cleanup();
		error("cannot create a libcurl multi handle");
		return NULL;
	}
	return m;
}

void cmulti_free(struct cmulti *m)
{
	if (!m)
		return;
	curl_multi_cleanup(m->multi);
	free(m);
	curl_global_cleanup();
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct slot *s = arg;
	size_t n = size * nmemb, room = CMULTI_MAX_BODY - s->resp.len;

	/* A gateway's answer is a few bytes; keep the start of anything longer. */
	sbuf_add(&s->resp, ptr, n < room ? n : room);
	return n;
}

/*
 * The wire journal's mark for HTTP (wire.h): libcurl calls this once the
 * connection is up (new or reused) and just before it writes the first
 * byte of the request; a failed connect never gets here, so such a
 * message is known not to have left. Called again if libcurl retries on
 * a fresh connection: the mark stays.
 */
#if LIBCURL_VERSION_NUM >= 0x075000
static int on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port,
		     int conn_local_port)
{
	(void)conn_primary_ip;
	(void)conn_local_ip;
	(void)conn_primary_port;
	(void)conn_local_port;
	wire_out(((struct slot *)arg)->wire);
	return CURL_PREREQFUNC_OK;
}
#endif

void cmulti_set_wire(struct cmulti *m, struct wire *w)
{
	if (m)
		m->wire = w;
}

static void slot_finish(struct slot *s, CURLcode result)
{
	struct cmulti_pool *p = s->pool;

	s->result = result;
	s->state = SLOT_FINISHED;
	p->running--;
	p->finished++;
	p->m->finished++;
}

/* Moves transfers libcurl reports done into their pools. */
static void reap(struct cmulti *m)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(m->multi, &left))) {
		struct slot *s = NULL;
		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
		curl_multi_remove_handle(m->multi, msg->easy_handle);
		if (s && s->state == SLOT_RUNNING)
			slot_finish(s, msg->data.result);
	}
}

size_t cmulti_run(struct cmulti *m, int timeout_ms)
{
	long long deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int running = 0, lingered = 0;

	for (;;) {
		long long left;
		CURLMcode rc = curl_multi_perform(m->multi, &running);
		if (rc != CURLM_OK) {
			log_warn("libcurl: %s", curl_multi_strerror(rc));
			break;
		}
		reap(m);
		if (!running)
			break;
		if (m->finished) {
			/* Linger a moment for more answers: one batch, one commit. */
			if (lingered++ || timeout_ms <= 0)
				break;
			curl_multi_poll(m->multi, NULL, 0, 1, NULL);
			continue;
		}
		left = deadline - clock_mono_ms();
		if (left <= 0)
			break;
		if (curl_multi_poll(m->multi, NULL, 0, (int)left, NULL) != CURLM_OK)
			break;
	}
	return m->finished;
}

struct cmulti_pool *cmulti_pool_new(struct cmulti *m, size_t slots, int connect_timeout,
				    int timeout)
{
	struct cmulti_pool *p = xcalloc(1, sizeof(*p));

	p->m = m;
	p->n_slots = slots ? slots : 1;
	p->slots = xcalloc(p->n_slots, sizeof(*p->slots));
	p->connect_timeout_ms = (long)connect_timeout * 1000;
	p->timeout_ms = (long)timeout * 1000;
	for (size_t i = 0; i < p->n_slots; i++) {
		p->slots[i].pool = p;
		sbuf_init(&p->slots[i].resp, 0);
	}
	return p;
}

static void slot_clear(struct slot *s)
{
	curl_slist_free_all(s->headers);
	s->headers = NULL;
	sbuf_reset(&s->resp);
	s->error[0] = '\0';
	s->wire = NULL;
	s->state = SLOT_IDLE;
}

void cmulti_pool_free(struct cmulti_pool *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_slots; i++) {
		struct slot *s = &p->slots[i];
		if (s->state == SLOT_RUNNING)
			curl_multi_remove_handle(p->m->multi, s->easy);
		if (s->state == SLOT_FINISHED)
			p->m->finished--;
		slot_clear(s);
		sbuf_release(&s->resp);
		if (s->easy)
			curl_easy_cleanup(s->easy);
	}
	free(p->slots);
	free(p);
}

size_t cmulti_pool_idle(const struct cmulti_pool *p)
{
	return p->n_slots - p->running - p->finished;
}

size_t cmulti_pool_running(const struct cmulti_pool *p)
{
	return p->running + p->finished;
}

size_t cmulti_pool_finished(const struct cmulti_pool *p)
{
	return p->finished;
}

struct cmulti *cmulti_pool_multi(const struct cmulti_pool *p)
{
	return p->m;
}

/* Every connection a guarded request opens passes allow_address() first:
 * the address judged is the one connected to, whatever DNS said before. */
static curl_socket_t open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct slot *s = arg;

	if (purpose != CURLSOCKTYPE_IPCXN ||
	    (s->allow_address && !s->allow_address(&a->addr, a->addrlen))) {
		s->refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype, a->protocol);
}

static int setup_easy(struct cmulti_pool *p, struct slot *s, const struct cmulti_request *req)
{
	CURL *e = s->easy;
	bool post = req->method && !strcmp(req->method, "POST");

	curl_easy_reset(e);
	if (curl_easy_setopt(e, CURLOPT_URL, req->url) != CURLE_OK)
		return -1;
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, req->protocols ? req->protocols : "http,https");
#endif
	s->allow_address = req->allow_address;
	s->refused = false;
	if (req->allow_address) {
		curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_socket);
		curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, s);
		curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	}
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)s);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, p->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, p->timeout_ms);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, s->error);
#if LIBCURL_VERSION_NUM >= 0x075000
	if (s->wire) {
		curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
		curl_easy_setopt(e, CURLOPT_PREREQDATA, s);
	}
#endif
	curl_easy_setopt(e, CURLOPT_USERAGENT, "budbringer");
	/* A gateway never needs to redirect us; following could leak credentials. */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	if (post) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
		curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, req->body ? req->body : "");
	} else {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	}
	for (const char *const *h = req->headers; h && *h; h++) {
		struct curl_slist *n = curl_slist_append(s->headers, *h);
		if (!n)
			return -1;
		s->headers = n;
	}
	/* No "Expect: 100-continue" round trip for our small bodies. */
	if (post) {
		struct curl_slist *n = curl_slist_append(s->headers, "Expect:");
		if (!n)
			return -1;
		s->headers = n;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, s->headers);
	return 0;
}

int cmulti_pool_start(struct cmulti_pool *p, const struct cmulti_request *req)
{
	struct slot *s = NULL;

	for (size_t i = 0; i < p->n_slots && !s; i++)
		if (p->slots[i].state == SLOT_IDLE)
			s = &p->slots[i];
	if (!s)
		return -1;
	if (!s->easy && !(s->easy = curl_easy_init()))
		return error("cannot create a libcurl handle");
	s->tag = req->tag;
	/* HTTP providers tag a request with its message id (provider.h). */
	s->wire = wire_find(p->m->wire, req->tag);
#if LIBCURL_VERSION_NUM < 0x075000
	wire_out(s->wire);	/* no PREREQFUNCTION: on the wire from now, as before */
#endif
	if (setup_easy(p, s, req) < 0) {
		slot_clear(s);
		return error("cannot set up the request for %s", req->method);
	}
	if (curl_multi_add_handle(p->m->multi, s->easy) != CURLM_OK) {
		slot_clear(s);
		return error("libcurl refused a request");
	}
	s->state = SLOT_RUNNING;
	p->running++;
	return 0;
}

static bool is_timeout(CURLcode c)
{
	return c == CURLE_OPERATION_TIMEDOUT;
}

static bool is_connect_failure(CURLcode c)
{
	return c == CURLE_COULDNT_CONNECT || c == CURLE_COULDNT_RESOLVE_HOST ||
	       c == CURLE_COULDNT_RESOLVE_PROXY;
}

size_t cmulti_pool_take(struct cmulti_pool *p, size_t max, cmulti_done_fn *done, void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_slots && n < max && p->finished; i++) {
		struct slot *s = &p->slots[i];
		struct cmulti_response r = { .tag = s->tag };
		curl_off_t total_us = 0;
		long request_size = 0;

		if (s->state != SLOT_FINISHED)
			continue;
		r.curl_code = (int)s->result;
		if (s->result == CURLE_OK)
			curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &r.status);
		curl_easy_getinfo(s->easy, CURLINFO_TOTAL_TIME_T, &total_us);
		r.elapsed_ms = (long)(total_us / 1000);
		r.timed_out = is_timeout(s->result);
		/* No byte of the request written: it never left (a connect
		 * time of 0 would not do: a reused connection has one too). */
		if (curl_easy_getinfo(s->easy, CURLINFO_REQUEST_SIZE, &request_size) != CURLE_OK)
			request_size = 1;
		r.connect_failed = is_connect_failure(s->result) || request_size == 0;
		r.address_refused = s->refused;
		r.error = s->result == CURLE_OK ? "" :
			  s->error[0] ? s->error : curl_easy_strerror(s->result);
		r.body = s->resp.buf;
		r.body_len = s->resp.len;
		done(&r, arg);
		slot_clear(s);
		p->finished--;
		p->m->finished--;
		n++;
	}
	return n;
}

void cmulti_url_escape(struct sbuf *out, const void *data, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *d = data;

	sbuf_grow(out, len * 3);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = d[i];
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			sbuf_addch(out, c);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			sbuf_add(out, e, 3);
		}
	}
}

/* Bytes in the valid UTF-8 sequence at s (at most n), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned cp, c = s[0];
	size_t need;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 4, cp = c & 0x07;
	else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

void cmulti_snippet(char *dst, size_t n, const char *body, size_t len)
{
	const unsigned char *b = (const unsigned char *)body;
	size_t o = 0, k;
	bool space = false;

	/* The result goes into event logs and JSON: valid UTF-8 only. */
	for (size_t i = 0; i < len; i += k) {
		const char *add = body + i;
		k = 1;
		if (b[i] < 0x20 || b[i] == 0x7f || b[i] == ' ') {
			space = o > 0;
			continue;
		}
		if (!(k = utf8_seq(b + i, len - i))) {
			k = 1;
			add = "?";
		}
		if (o + space + (add == body + i ? k : 1) + 1 > n)
			break;
		if (space)
			dst[o++] = ' ';
		space = false;
		if (add == body + i) {
			memcpy(dst + o, add, k);
			o += k;
		} else {
			dst[o++] = '?';
		}
	}
	dst[o] = '\0';
}
