/* SPDX-License-Identifier: MIT */
#include "budbringer/daemon.h"
#include "budbringer/callback_sender.h"
#include "budbringer/clock.h"
#include "budbringer/campaign.h"
#include "budbringer/db.h"
#include "budbringer/bounce_imap.h"
#include "budbringer/db_bounce.h"
#include "budbringer/cluster.h"
#include "budbringer/housekeeping.h"
#include "budbringer/http.h"
#include "budbringer/log.h"
#include "budbringer/outbox.h"
#include "budbringer/quiet.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

/* Written only by signal handlers, read by the loop. */
static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_reload;

struct daemon {
	struct config *cfg;
	struct db *db;
	struct db *expand_db;      /* campaign expansion only (db_expand_connection) */
	struct outbox *outbox;
	struct cluster *cluster;   /* this daemon among those of the database */
	struct callback_sender *callbacks;  /* status callbacks, on the main connection */
	struct http_server *http;
	struct bounce_imap *imap;  /* the bounce mailbox reader's thread, or NULL */
	int wake[2];
	sigset_t run_mask;         /* the mask ppoll() waits with: signals open */
	bool allow_readable_config;
	long long last_poll;
	long long last_work;       /* when a message or campaign last moved */
	long long expand_idle_at;  /* the second in which no campaign was due */
	long long alerts_seen;     /* bounce alerts logged up to this time */
	bool trimmed;              /* memory given back since then */
	uint64_t watchdog_usec;
};

static void on_stop(int sig)
{
	(void)sig;
	got_stop = 1;
}

static void on_reload(int sig)
{
	(void)sig;
	got_reload = 1;
}

static int install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = on_reload;
	if (sigaction(SIGHUP, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

static long long now_s(void)
{
	return (long long)time(NULL);
}

/*
 * Started as root (not by systemd's User=): become cfg->user before any
 * file of ours is opened, so the database and spool files are never
 * root's. Refuses to go on as root.
 */
static int drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	if (!*user) {
		log_warn("running as root: set `user` in the config to drop privileges");
		return 0;
	}
	pw = getpwnam(user);
	if (!pw)
		return error("started as root and user '%s' does not exist: create it "
			     "(systemd-sysusers) or start as an unprivileged user", user);
	if (pw->pw_uid == 0)
		return error("user '%s' is root: refusing to run as root", user);
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0)
		return error("cannot drop privileges to '%s': %s", user, strerror(errno));
	if (setuid(0) == 0)
		return error("could regain root after dropping privileges: refusing to run");
	log_info("dropped privileges to user '%s' uid=%d", user, (int)pw->pw_uid);
	return 0;
}

/* Times in quiet hours and logs use this zone; set once before threads start. */
static void set_timezone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* A head line and then one log line per line of text (config errors come
 * one a line; the logger escapes a newline inside a line). */
static void log_error_lines(const char *head, const char *text)
{
	log_error("%s", head);
	while (text && *text) {
		size_t n = strcspn(text, "\n");
		if (n)
			log_error("  %.*s", (int)n, text);
		text += n + (text[n] == '\n');
	}
}

static int start_parts(struct daemon *d, struct sbuf *err)
{
	const struct db_options opt = { .password_file = d->cfg->database_password_file };
	int exclusive;

	d->db = db_open_with(d->cfg->database, &opt);
	if (!d->db || db_set_address_key(d->db, d->cfg->secret_key) < 0) {
		sbuf_addf(err, "cannot open database '%s'", d->cfg->database);
		return -1;
	}
	if ((exclusive = db_lock_daemon(d->db, err)) < 0)
		return -1;
	d->expand_db = db_open_with(d->cfg->database, &opt);
	if (!d->expand_db || db_expand_connection(d->expand_db) < 0 ||
	    db_set_address_key(d->expand_db, d->cfg->secret_key) < 0) {
		sbuf_addf(err, "cannot open database '%s'", d->cfg->database);
		return -1;
	}
	d->outbox = outbox_new(d->db, d->cfg, err);
	if (!d->outbox)
		return -1;
	outbox_set_wake(d->outbox, d->wake[1]);
	d->cluster = cluster_join(d->db, d->outbox, exclusive == 1, now_s(), err);
	if (!d->cluster)
		return -1;
	d->callbacks = callback_sender_new(d->db, d->cfg);
	callback_sender_set_daemon(d->callbacks, cluster_daemon_id(d->cluster));
	d->http = http_start(d->cfg, d->wake[1], err);
	if (!d->http)
		return -1;
	d->imap = bounce_imap_start(d->cfg, err);
	return d->imap || !*d->cfg->bounces.imap.url ? 0 : -1;
}

/* Lets answers for messages already handed to providers come in. */
static void wait_for_work(struct daemon *d, int timeout_ms);

/* Collects answers for messages already handed over, claiming nothing new. */
static void drain_outbox(struct daemon *d, int max_ms)
{
	long long deadline = clock_mono_ms() + max_ms;

	outbox_withdraw(d->outbox);
	while (outbox_in_flight(d->outbox) && clock_mono_ms() < deadline) {
		outbox_collect(d->outbox, now_s(), 100);
		/* Answers of waking providers come through the pipe: no spinning. */
		if (outbox_in_flight(d->outbox))
			wait_for_work(d, outbox_next_wait(d->outbox, 100));
	}
	if (outbox_in_flight(d->outbox))
		log_warn("stopping with %zu messages unanswered: they become 'unknown' at the next start",
			 outbox_in_flight(d->outbox));
}

static void reload(struct daemon *d)
{
	struct config *next = xcalloc(1, sizeof(*next));
	struct sbuf err = SBUF_INIT;
	struct outbox *ob;
	struct http_server *hs;

	sd_notify(0, "RELOADING=1");
	log_info("reloading configuration from '%s'", d->cfg->path);
	if (cfg_load(d->cfg->path, next, &err) < 0) {
		log_error_lines("reload failed, keeping the running configuration:", err.buf);
		free(next);
		goto out;
	}
	if (cfg_check_permissions(next, !d->allow_readable_config, &err) < 0) {
		log_error("reload failed, keeping the running configuration: %s", err.buf);
		cfg_free(next);
		free(next);
		goto out;
	}
	if (strcmp(next->database, d->cfg->database) || strcmp(next->timezone, d->cfg->timezone))
		log_warn("reload: database and timezone changes take effect at the next restart");
	/* Build the new parts first; on any failure keep the old ones. */
	drain_outbox(d, 3000);
	ob = outbox_new(d->db, next, &err);
	if (!ob) {
		log_error("reload failed, keeping the running configuration: %s", err.buf);
		cfg_free(next);
		free(next);
		goto out;
	}
	outbox_set_wake(ob, d->wake[1]);
	hs = http_restart(d->http, next, &err);
	if (!hs) {
		log_error("reload failed, keeping the running configuration: %s", err.buf);
		outbox_free(ob);
		cfg_free(next);
		free(next);
		goto out;
	}
	outbox_free(d->outbox);
	d->outbox = ob;
	cluster_set_outbox(d->cluster, ob);
	d->http = hs;
	callback_sender_set_config(d->callbacks, next);
	cfg_free(d->cfg);
	free(d->cfg);
	d->cfg = next;
	/* The mailbox reader starts again on the new settings (a pass under
	 * way ends first; mail it left unseen is read again). */
	bounce_imap_stop(d->imap);
	d->imap = bounce_imap_start(d->cfg, &err);
	if (!d->imap && *d->cfg->bounces.imap.url)
		log_error("reload: the IMAP bounce reader did not start: %s", err.buf);
	{
		enum log_level lvl;
		if (log_level_parse(d->cfg->log_level, &lvl) == 0)
			log_init("budbringerd", lvl);
	}
	log_info("configuration reloaded");
out:
	sd_notify(0, "READY=1");
	sbuf_release(&err);
}

/* /metrics shows the whole service from the database; these lines say
 * what this daemon did, labelled with its id in the registry. */
static void report_self(struct daemon *d)
{
	long long id = cluster_daemon_id(d->cluster);
	char name[96];

	for (int ch = 0; ch < CHANNEL_COUNT; ch++)
		if (bsnprintf(name, sizeof(name), "budbringer_daemon_sent_total{daemon=\"%lld\",channel=\"%s\"}",
			      id, channel_name((enum channel)ch)) == 0)
			http_gauge(d->http, name, outbox_claimed(d->outbox, (enum channel)ch));
	if (bsnprintf(name, sizeof(name), "budbringer_daemon_in_flight{daemon=\"%lld\"}", id) == 0)
		http_gauge(d->http, name, (long long)outbox_in_flight(d->outbox));
}

static int log_alert(long long campaign_id, const char *kind, const char *rate, bool paused,
		     long long at, void *arg)
{
	long long *seen = arg;

	log_warn("campaign %s rate past %s campaign=%lld rate=%s%s",
		 strcmp(kind, "complaint") ? "hard-bounce" : "complaint",
		 strcmp(kind, "complaint") ? "2%" : "0.1%", campaign_id, rate,
		 paused ? " email paused" : "");
	if (at > *seen)
		*seen = at;
	return 0;
}

static void periodic(struct daemon *d, long long now)
{
	if (campaign_create_auto(d->db, d->cfg, now) < 0)
		log_warn("cannot check for new opportunities; trying again in %ds", d->cfg->poll_interval);
	if (db_message_expire(d->db, now, quiet_now(d->cfg, now)) < 0)
		log_warn("cannot expire stale messages");
	if (db_campaign_finish(d->db, now) < 0)
		log_warn("cannot mark finished campaigns");
	/* A STOP cancels what is queued; what already waits in the SMTP
	 * workers' queue is called back here, once a poll interval. */
	if (outbox_withdraw_unwanted(d->outbox) < 0)
		log_warn("cannot check waiting messages against their consent");
	housekeeping_run(d->db, d->cfg, now);   /* hourly; logs its own failures */
	/* Thresholds passed by bounces read by `budbringer bounce`. */
	if (db_bounce_alerts_after(d->db, d->alerts_seen, log_alert, &d->alerts_seen) < 0)
		log_warn("cannot read the campaigns' bounce alerts");
	d->last_poll = now;
	http_gauge(d->http, "budbringer_last_poll_timestamp_seconds", now);
	report_self(d);
	if (!outbox_in_flight(d->outbox))
		db_shrink(d->db);
	db_shrink(d->expand_db);
	/* A campaign leaves megabytes of freed heap behind (and start-up some
	 * hundred kilobytes); once a whole poll interval has passed without
	 * work, hand those pages back to the system, once per quiet spell. */
	if (!d->trimmed && now - d->last_work >= d->cfg->poll_interval &&
	    !outbox_in_flight(d->outbox)) {
		malloc_trim(0);
		d->trimmed = true;
	}
}

/*
 * Signals are blocked everywhere except inside this ppoll(), so they
 * always reach the main thread here and never a libmicrohttpd thread;
 * a busy loop still passes through with a zero timeout each turn.
 */
static void wait_for_work(struct daemon *d, int timeout_ms)
{
	struct pollfd pfd = { .fd = d->wake[0], .events = POLLIN };
	struct timespec ts = { .tv_sec = timeout_ms / 1000, .tv_nsec = (timeout_ms % 1000) * 1000000L };
	char buf[256];

	if (ppoll(&pfd, 1, &ts, &d->run_mask) > 0 && (pfd.revents & POLLIN))
		while (read(d->wake[0], buf, sizeof(buf)) > 0)
			;
}

static int loop(struct daemon *d)
{
	long long last_watchdog = 0;

	while (!got_stop) {
		long long now = now_s();
		int busy = 0, rc;

		if (got_reload) {
			got_reload = 0;
			reload(d);
		}
		if (now - d->last_poll >= d->cfg->poll_interval)
			periodic(d, now);
		cluster_tick(d->cluster, now);
		/* Whether a campaign is due is asked once a second when none
		 * was, not on every turn of a busy outbox: a round trip saved
		 * per turn on PostgreSQL. */
		if (now != d->expand_idle_at) {
			rc = campaign_expand_step(d->expand_db, d->cfg, now);
			if (rc > 0)
				busy = 1;
			else if (rc == 0)
				d->expand_idle_at = now;
		}
		if (callback_sender_step(d->callbacks, now) > 0)
			d->trimmed = false;
		if (outbox_step(d->outbox, now, 50) > 0 || busy) {
			d->last_work = now;
			d->trimmed = false;
		}
		if (d->watchdog_usec && (now * 1000000LL - last_watchdog) * 2 >= (long long)d->watchdog_usec) {
			sd_notify(0, "WATCHDOG=1");
			last_watchdog = now * 1000000LL;
		}
		/* Sleep until the next poll, a wake-up (HTTP, or a provider with
		 * a batch of answers) or a signal; the outbox says how long. */
		wait_for_work(d, busy ? 0 : callback_sender_next_wait(d->callbacks,
					outbox_next_wait(d->outbox, 1000)));
	}
	return 0;
}

int daemon_run(const struct daemon_opts *opts)
{
	struct daemon d;
	struct sbuf err = SBUF_INIT;
	enum log_level lvl = LOG_LVL_INFO;
	int ret = 1;

	memset(&d, 0, sizeof(d));
	d.wake[0] = d.wake[1] = -1;
	d.allow_readable_config = opts->allow_readable_config;
	d.cfg = xcalloc(1, sizeof(*d.cfg));
	if (cfg_load(opts->config_path, d.cfg, &err) < 0) {
		log_error_lines("invalid configuration:", err.buf);
		free(d.cfg);
		sbuf_release(&err);
		return 2;
	}
	if (log_level_parse(d.cfg->log_level, &lvl) == 0)
		log_init("budbringerd", lvl);
	if (cfg_check_permissions(d.cfg, !opts->allow_readable_config, &err) < 0) {
		log_error("%s", err.buf);
		ret = 2;
		goto out;
	}
	if (drop_privileges(d.cfg->user) < 0)
		goto out;
	set_timezone(d.cfg->timezone);
	{
		sigset_t block;
		sigemptyset(&block);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGINT);
		sigaddset(&block, SIGHUP);
		/* Before any thread exists, so every thread inherits the block. */
		pthread_sigmask(SIG_BLOCK, &block, &d.run_mask);
	}
	if (install_signals() < 0 || pipe2(d.wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		log_error("cannot set up signals: %s", strerror(errno));
		goto out;
	}
	if (start_parts(&d, &err) < 0) {
		log_error("cannot start: %s", err.buf);
		goto out;
	}
	if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
		d.watchdog_usec = 0;
	d.alerts_seen = (long long)time(NULL);
	sd_notify(0, "READY=1");
	log_info("ready pid=%d database='%s' poll_interval=%ds", (int)getpid(), d.cfg->database,
		 d.cfg->poll_interval);
	ret = loop(&d);
	sd_notify(0, "STOPPING=1");
	log_info("stopping: waiting for in-flight messages");
	http_stop(d.http);
	d.http = NULL;
	drain_outbox(&d, 3500);
	log_info("stopped");
out:
	bounce_imap_stop(d.imap);
	/* After the drain: what is still in flight the others settle now. */
	callback_sender_free(d.callbacks);
	cluster_leave(d.cluster);
	http_stop(d.http);
	outbox_free(d.outbox);
	db_close(d.expand_db);
	db_close(d.db);
	if (d.wake[0] >= 0)
		close(d.wake[0]);
	if (d.wake[1] >= 0)
		close(d.wake[1]);
	cfg_free(d.cfg);
	free(d.cfg);
	sbuf_release(&err);
	return ret;
}
