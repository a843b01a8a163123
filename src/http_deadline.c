/* SPDX-License-Identifier: MIT */
/* Absolute deadlines for requests (http_deadline.h). */
#include "budbringer/http_deadline.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct http_deadline_conn {
	int fd;
	long long since_ms;
	bool busy, cut;
	struct http_deadline_conn *prev, *next;
};

struct http_deadline {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool stop;
	long long limit_ms;
	struct http_deadline_conn *head;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *watch(void *arg)
{
	struct http_deadline *d = arg;

	pthread_mutex_lock(&d->lock);
	while (!d->stop) {
		struct timespec until;
		long long t = now_ms();

		for (struct http_deadline_conn *c = d->head; c; c = c->next) {
			if (c->busy || c->cut || t - c->since_ms < d->limit_ms)
				continue;
			/* The reading side only: an answer on its way still goes. */
			shutdown(c->fd, SHUT_RD);
			c->cut = true;
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&d->wake, &d->lock, &until);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct http_deadline *http_deadline_start(int seconds)
{
	struct http_deadline *d = xcalloc(1, sizeof(*d));

	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	d->limit_ms = (long long)seconds * 1000;
	if (pthread_create(&d->thread, NULL, watch, d) != 0) {
		error("cannot start the request deadline watcher");
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->wake);
		free(d);
		return NULL;
	}
	return d;
}

void http_deadline_stop(struct http_deadline *d)
{
	struct http_deadline_conn *c, *next;

	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	for (c = d->head; c; c = next) {
		next = c->next;
		free(c);
	}
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	free(d);
}

struct http_deadline_conn *http_deadline_watch(struct http_deadline *d, int fd)
{
	struct http_deadline_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	c->since_ms = now_ms();
	pthread_mutex_lock(&d->lock);
	c->next = d->head;
	if (d->head)
		d->head->prev = c;
	d->head = c;
	pthread_mutex_unlock(&d->lock);
	return c;
}

void http_deadline_forget(struct http_deadline *d, struct http_deadline_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&d->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		d->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	pthread_mutex_unlock(&d->lock);
	free(c);
}

void http_deadline_busy(struct http_deadline *d, struct http_deadline_conn *c, bool busy)
{
	if (!c)
		return;
	pthread_mutex_lock(&d->lock);
	c->busy = busy;
	if (!busy)
		c->since_ms = now_ms();
	pthread_mutex_unlock(&d->lock);
}
