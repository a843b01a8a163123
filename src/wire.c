/* SPDX-License-Identifier: MIT */
/* The wire journal: see the DESIGN in wire.h. */
#include "budbringer/wire.h"
#include "budbringer/log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define WIRE_MAGIC "BBWIRE1"
#define WIRE_VERSION 1
#define WIRE_HEAD 4096          /* the header's page; slots follow */
#define WIRE_PREFIX "budbringer-wire-"
#define WIRE_MSGID 112

/* What the file holds, written once at creation. */
struct wire_head {
	char magic[8];
	uint32_t version, slot_size;
	uint64_t n_slots;
	int64_t daemon_id;
	uint64_t db_hash;
	int64_t pid;
	char host[256];
	char boot[40];
};

/* One message in flight; 128 bytes. msgid is written before the state
 * that makes it meaningful (release order), so a reader that sees
 * WIRE_ACCEPTED sees the id too. */
struct wire_slot {
	_Atomic int64_t msg_id;
	_Atomic uint32_t state;
	uint32_t pad;
	char msgid[WIRE_MSGID];
};

struct wire {
	_Atomic int refs;
	int fd;                    /* -1: memory only */
	char *path;
	void *map;
	size_t map_len;
	struct wire_slot *slots;
	size_t n_slots;
	long long daemon_id;
	/* Main thread only: free slots, and msg_id -> slot (open addressing,
	 * slot index + 1, 0 empty; deletion by backward shift). */
	uint32_t *free_list;
	size_t n_free;
	uint32_t *index;
	size_t index_mask;
	int *attempts;
};

struct view_entry {
	long long msg_id;
	uint32_t state;
	char msgid[WIRE_MSGID];
};

struct wire_view {
	int fd;
	char *path;
	struct view_entry *e;   /* sorted by msg_id */
	size_t n;
};

/* FNV-1a: names the database in the file name without showing it. */
static uint64_t db_hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; s && *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void boot_id(char *out, size_t n)
{
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	ssize_t got = fd >= 0 ? read(fd, out, n - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (got <= 0)
		got = 0;
	out[got] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

static void head_fill(struct wire_head *h, const char *database, long long id, size_t n)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, WIRE_MAGIC, sizeof(WIRE_MAGIC));
	h->version = WIRE_VERSION;
	h->slot_size = sizeof(struct wire_slot);
	h->n_slots = n;
	h->daemon_id = id;
	h->db_hash = db_hash(database);
	h->pid = (int64_t)getpid();
	if (gethostname(h->host, sizeof(h->host) - 1) < 0)
		h->host[0] = '\0';
	boot_id(h->boot, sizeof(h->boot));
}

static char *journal_path(const char *dir, const char *database, long long id)
{
	struct sbuf b = SBUF_INIT;

	sbuf_addf(&b, "%s/" WIRE_PREFIX "%016llx-%lld", dir, (unsigned long long)db_hash(database),
		  id);
	return sbuf_detach(&b, NULL);
}

static size_t hash_of(long long id, size_t mask)
{
	return (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 17) & mask;
}

/* Slots in use in a mapped or read table. */
static size_t count_used(const struct wire_slot *s, size_t n)
{
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		used += atomic_load_explicit(&s[i].state, memory_order_acquire) != WIRE_FREE;
	return used;
}

/*
 * Journals of the same database left by daemons that are gone (the lock
 * is free) with nothing in flight: nobody needs them. One with slots in
 * use is left for the daemon that settles its claims (it removes it).
 * Removing one too many is harmless: a missing journal means the old rule.
 */
static void sweep(const char *dir, const char *database, const char *own)
{
	char prefix[64];
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	if (bsnprintf(prefix, sizeof(prefix), WIRE_PREFIX "%016llx-",
		      (unsigned long long)db_hash(database)) < 0) {
		closedir(d);
		return;
	}
	while ((e = readdir(d))) {
		struct sbuf p = SBUF_INIT;
		struct stat st;
		void *m;
		int fd;

		if (strncmp(e->d_name, prefix, strlen(prefix)))
			continue;
		sbuf_addf(&p, "%s/%s", dir, e->d_name);
		if (!strcmp(p.buf, own) || (fd = open(p.buf, O_RDONLY | O_CLOEXEC)) < 0) {
			sbuf_release(&p);
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && fstat(fd, &st) == 0 &&
		    (size_t)st.st_size > WIRE_HEAD) {
			size_t len = (size_t)st.st_size;

			m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
			if (m != MAP_FAILED) {
				if (!count_used((const struct wire_slot *)((char *)m + WIRE_HEAD),
						(len - WIRE_HEAD) / sizeof(struct wire_slot)) &&
				    unlink(p.buf) == 0)
					log_debug("wire journal removed, nothing in flight path='%s'", p.buf);
				munmap(m, len);
			}
		}
		close(fd);
		sbuf_release(&p);
	}
	closedir(d);
}

static void tables_init(struct wire *w)
{
	size_t isz = 1;

	while (isz < w->n_slots * 2)
		isz <<= 1;
	w->index = xcalloc(isz, sizeof(*w->index));
	w->index_mask = isz - 1;
	w->free_list = xcalloc(w->n_slots, sizeof(*w->free_list));
	w->attempts = xcalloc(w->n_slots, sizeof(*w->attempts));
	/* Lowest slots first: the pages in use stay few. */
	for (size_t i = w->n_slots; i > 0; i--)
		w->free_list[w->n_free++] = (uint32_t)(i - 1);
}

static int open_file(struct wire *w, const char *dir, const char *database, struct sbuf *err)
{
	struct wire_head h;
	int fd;

	w->path = journal_path(dir, database, w->daemon_id);
	/* O_CLOEXEC: a child must not inherit the lock that says we live. */
	fd = open(w->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		sbuf_addf(err, "cannot create the wire journal '%s': %s", w->path, strerror(errno));
		return -1;
	}
	w->fd = fd;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		sbuf_addf(err, "wire journal '%s' is locked by another process", w->path);
		free(w->path);
		w->path = NULL;	/* not ours to remove */
		return -1;
	}
	w->map_len = WIRE_HEAD + w->n_slots * sizeof(struct wire_slot);
	/* A file left by an earlier daemon with this id (a restored database)
	 * is stale: start empty. */
	if (ftruncate(fd, 0) < 0 || ftruncate(fd, (off_t)w->map_len) < 0) {
		sbuf_addf(err, "cannot size the wire journal '%s': %s", w->path, strerror(errno));
		return -1;
	}
	head_fill(&h, database, w->daemon_id, w->n_slots);
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		sbuf_addf(err, "cannot write the wire journal '%s': %s", w->path, strerror(errno));
		return -1;
	}
	w->map = mmap(NULL, w->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (w->map == MAP_FAILED) {
		w->map = NULL;
		sbuf_addf(err, "cannot map the wire journal '%s': %s", w->path, strerror(errno));
		return -1;
	}
	w->slots = (struct wire_slot *)((char *)w->map + WIRE_HEAD);
	sweep(dir, database, w->path);
	return 0;
}

static void wire_free(struct wire *w)
{
	if (w->map) {
		if (w->path && !count_used(w->slots, w->n_slots))
			unlink(w->path);
		munmap(w->map, w->map_len);
	} else if (w->fd < 0) {
		free(w->slots);
	}
	if (w->fd >= 0)
		close(w->fd);
	free(w->path);
	free(w->free_list);
	free(w->index);
	free(w->attempts);
	free(w);
}

struct wire *wire_open(const char *dir, const char *database, long long daemon_id,
		       size_t n_slots, struct sbuf *err)
{
	struct wire *w = xcalloc(1, sizeof(*w));

	atomic_init(&w->refs, 1);
	w->fd = -1;
	w->daemon_id = daemon_id;
	w->n_slots = n_slots ? n_slots : 1;
	if (dir && *dir) {
		if (open_file(w, dir, database, err) < 0) {
			if (w->path)
				unlink(w->path);
			w->map = NULL;
			wire_free(w);
			return NULL;
		}
	} else {
		w->slots = xcalloc(w->n_slots, sizeof(*w->slots));
	}
	tables_init(w);
	return w;
}

struct wire *wire_ref(struct wire *w)
{
	if (w)
		atomic_fetch_add(&w->refs, 1);
	return w;
}

void wire_unref(struct wire *w)
{
	if (w && atomic_fetch_sub(&w->refs, 1) == 1)
		wire_free(w);
}

bool wire_is_file(const struct wire *w)
{
	return w && w->map;
}

long long wire_daemon(const struct wire *w)
{
	return w ? w->daemon_id : 0;
}

size_t wire_in_use(const struct wire *w)
{
	return w ? w->n_slots - w->n_free : 0;
}

/* The index position holding msg_id, or of the empty entry ending its run. */
static size_t index_pos(const struct wire *w, long long msg_id)
{
	size_t i = hash_of(msg_id, w->index_mask);

	while (w->index[i] &&
	       atomic_load_explicit(&w->slots[w->index[i] - 1].msg_id, memory_order_relaxed) != msg_id)
		i = (i + 1) & w->index_mask;
	return i;
}

struct wire_slot *wire_claim(struct wire *w, long long msg_id, int attempts)
{
	struct wire_slot *s;
	uint32_t k;
	size_t i;

	if (!w || !w->n_free)
		return NULL;
	i = index_pos(w, msg_id);
	if (w->index[i])
		return NULL;	/* already in flight: a broken invariant, never send it twice */
	k = w->free_list[--w->n_free];
	s = &w->slots[k];
	s->msgid[0] = '\0';
	atomic_store_explicit(&s->msg_id, msg_id, memory_order_relaxed);
	atomic_store_explicit(&s->state, WIRE_HANDED, memory_order_release);
	w->attempts[k] = attempts;
	w->index[i] = k + 1;
	return s;
}

struct wire_slot *wire_find(struct wire *w, long long msg_id)
{
	size_t i;

	if (!w)
		return NULL;
	i = index_pos(w, msg_id);
	return w->index[i] ? &w->slots[w->index[i] - 1] : NULL;
}

int wire_attempts(const struct wire *w, long long msg_id)
{
	size_t i;

	if (!w)
		return -1;
	i = index_pos(w, msg_id);
	return w->index[i] ? w->attempts[w->index[i] - 1] : -1;
}

void wire_release(struct wire *w, long long msg_id)
{
	size_t i, j;
	uint32_t k;

	if (!w)
		return;
	i = index_pos(w, msg_id);
	if (!w->index[i])
		return;
	k = w->index[i] - 1;
	atomic_store_explicit(&w->slots[k].state, WIRE_FREE, memory_order_release);
	atomic_store_explicit(&w->slots[k].msg_id, 0, memory_order_relaxed);
	w->free_list[w->n_free++] = k;
	/* Backward shift: entries after the hole that would not be found
	 * across it move into it. */
	w->index[i] = 0;
	for (j = (i + 1) & w->index_mask; w->index[j]; j = (j + 1) & w->index_mask) {
		size_t home = hash_of(w->slots[w->index[j] - 1].msg_id, w->index_mask);

		if (((j - home) & w->index_mask) >= ((j - i) & w->index_mask)) {
			w->index[i] = w->index[j];
			w->index[j] = 0;
			i = j;
		}
	}
}

void wire_out(struct wire_slot *s)
{
	if (s)
		atomic_store_explicit(&s->state, WIRE_OUT, memory_order_release);
}

void wire_answer(struct wire_slot *s, enum send_status st, const char *provider_msgid)
{
	if (!s || st == SEND_UNKNOWN)
		return;
	if (st == SEND_OK) {
		size_t n = provider_msgid ? strlen(provider_msgid) : 0;

		/* A longer id would be cut: then none (the event says why). */
		if (n >= sizeof(s->msgid))
			n = 0;
		memcpy(s->msgid, provider_msgid ? provider_msgid : "", n);
		s->msgid[n] = '\0';
	}
	atomic_store_explicit(&s->state, st == SEND_OK ? WIRE_ACCEPTED : WIRE_REFUSED,
			      memory_order_release);
}

enum wire_state wire_slot_state(const struct wire_slot *s)
{
	return s ? (enum wire_state)atomic_load_explicit(&s->state, memory_order_acquire)
		 : WIRE_FREE;
}

void wire_slot_msgid(const struct wire_slot *s, char *buf, size_t n)
{
	if (!n)
		return;
	if (!s || wire_slot_state(s) != WIRE_ACCEPTED || bsnprintf(buf, n, "%s", s->msgid) < 0)
		buf[0] = '\0';
}

/* ---- views ---------------------------------------------------------- */

static int by_id(const void *a, const void *b)
{
	const struct view_entry *x = a, *y = b;

	return (x->msg_id > y->msg_id) - (x->msg_id < y->msg_id);
}

/* The header is ours to trust: same database, daemon, host and boot. */
static bool head_trusted(const struct wire_head *h, const char *database, long long id,
			 size_t file_len)
{
	struct wire_head now;

	head_fill(&now, database, id, 0);
	return !memcmp(h->magic, WIRE_MAGIC, sizeof(WIRE_MAGIC)) && h->version == WIRE_VERSION &&
	       h->slot_size == sizeof(struct wire_slot) && h->daemon_id == id &&
	       h->db_hash == now.db_hash && h->host[0] && !strcmp(h->host, now.host) &&
	       now.boot[0] && !strcmp(h->boot, now.boot) &&
	       h->n_slots <= (file_len - WIRE_HEAD) / sizeof(struct wire_slot);
}

struct wire_view *wire_view_open(const char *dir, const char *database, long long daemon_id)
{
	struct wire_view *v;
	struct wire_head h;
	struct stat st;
	const struct wire_slot *slots;
	void *m;
	char *path;
	int fd;

	if (!dir || !*dir)
		return NULL;
	path = journal_path(dir, database, daemon_id);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	/* A lock we cannot take: its daemon lives (taken for dead while it
	 * was only slow): it may still send what it holds. */
	if (fd < 0 || flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0 ||
	    (size_t)st.st_size < WIRE_HEAD ||
	    pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    !head_trusted(&h, database, daemon_id, (size_t)st.st_size)) {
		if (fd >= 0) {
			log_info("wire journal not usable, the old rule applies daemon=%lld path='%s'",
				 daemon_id, path);
			close(fd);
		}
		free(path);
		return NULL;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		free(path);
		return NULL;
	}
	v = xcalloc(1, sizeof(*v));
	v->fd = fd;
	v->path = path;
	slots = (const struct wire_slot *)((const char *)m + WIRE_HEAD);
	v->e = xcalloc(h.n_slots ? h.n_slots : 1, sizeof(*v->e));
	for (size_t i = 0; i < h.n_slots; i++) {
		uint32_t s = atomic_load_explicit(&slots[i].state, memory_order_acquire);
		struct view_entry *e = &v->e[v->n];

		if (s == WIRE_FREE || s > WIRE_REFUSED)
			continue;
		e->msg_id = atomic_load_explicit(&slots[i].msg_id, memory_order_relaxed);
		e->state = s;
		memcpy(e->msgid, slots[i].msgid, sizeof(e->msgid));
		e->msgid[sizeof(e->msgid) - 1] = '\0';
		v->n++;
	}
	munmap(m, (size_t)st.st_size);
	qsort(v->e, v->n, sizeof(*v->e), by_id);
	return v;
}

enum wire_state wire_view_get(const struct wire_view *v, long long msg_id, char *msgid, size_t n)
{
	struct view_entry key = { .msg_id = msg_id };
	const struct view_entry *e = v ? bsearch(&key, v->e, v->n, sizeof(*v->e), by_id) : NULL;

	if (n)
		msgid[0] = '\0';
	if (!e)
		return WIRE_FREE;
	if (e->state == WIRE_ACCEPTED && n && bsnprintf(msgid, n, "%s", e->msgid) < 0)
		msgid[0] = '\0';
	return (enum wire_state)e->state;
}

void wire_view_close(struct wire_view *v, bool remove)
{
	if (!v)
		return;
	/* Unlinked before the lock goes: nobody settles these claims twice. */
	if (remove && unlink(v->path) < 0 && errno != ENOENT)
		log_warn("cannot remove the wire journal '%s': %s", v->path, strerror(errno));
	close(v->fd);
	free(v->path);
	free(v->e);
	free(v);
}
