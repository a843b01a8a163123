/* SPDX-License-Identifier: MIT */
/* callback add | list | remove | rotate-secret | events: status-callback receivers. */
#include "cli.h"
#include "budbringer/callback_admin.h"
#include "budbringer/clock.h"
#include "budbringer/db_callback.h"

#include <getopt.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#define CALLBACK_USAGE \
	"usage: callback add (--association NAME|ID | --portal) --url URL [--messages]\n" \
	"       callback list [--association NAME|ID]\n" \
	"       callback remove ID | rotate-secret ID\n" \
	"       callback events [--failed | --pending] [--receiver ID] [--campaign ID] [--limit N]"

static int association_arg(struct cli *c, const char *arg, long long *id)
{
	long long v;

	if (cli_parse_int(arg, 1, 1LL << 53, &v) == 0)
		*id = v;
	else if ((*id = db_association_find(c->db, arg)) <= 0)
		return cli_usage(c, "no association named '%s'", arg);
	return 0;
}

static void print_secret(struct cli *c, long long id, const char *url, const char *secret)
{
	if (c->json) {
		cli_print_json(json_pack("{s:I, s:s?, s:s}", "id", (json_int_t)id, "url", url, "secret",
					 secret));
		return;
	}
	printf("callback %lld%s%s\n", id, url ? " " : "", url ? url : "");
	printf("secret: %s\n", secret);
	printf("(shown once: it signs every request, see Budbringer-Signature in the README)\n");
}

static int cmd_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "association", required_argument, NULL, 'a' }, { "portal", no_argument, NULL, 'p' },
		{ "url", required_argument, NULL, 'u' }, { "messages", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *assoc = NULL, *url = NULL;
	bool portal = false, messages = false;
	char secret[CALLBACK_SECRET_LEN];
	struct sbuf why = SBUF_INIT;
	long long aid = 0, id = 0;
	int o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a': assoc = optarg; break;
		case 'p': portal = true; break;
		case 'u': url = optarg; break;
		case 'm': messages = true; break;
		default: return cli_usage(c, CALLBACK_USAGE);
		}
	}
	if (optind != argc || !url || !!assoc == portal)
		return cli_usage(c, "%s", "give --url and one of --association or --portal\n" CALLBACK_USAGE);
	if ((ret = cli_open(c)))
		return ret;
	if (assoc && (ret = association_arg(c, assoc, &aid)))
		return ret;
	ret = callback_register(c->db, &c->cfg, aid, url, messages, cli_whoami(), cli_now(), &id,
				secret, &why);
	if (ret == 1)
		ret = cli_usage(c, "callback URL refused: %s", why.buf);
	else if (ret < 0)
		ret = cli_fail(c, "cannot register the callback");
	else
		print_secret(c, id, url, secret);
	OPENSSL_cleanse(secret, sizeof(secret));
	sbuf_release(&why);
	return ret;
}

static void when(long long t, char out[CLOCK_ISO_LEN])
{
	if (t > 0)
		clock_iso_utc(t, out);
	else
		(void)bsnprintf(out, CLOCK_ISO_LEN, "-");
}

static int list_row(const struct callback_row *r, void *arg)
{
	struct cli *c = ((void **)arg)[0];
	json_t *out = ((void **)arg)[1];
	char last[CLOCK_ISO_LEN], created[CLOCK_ISO_LEN];

	when(r->last_at, last);
	when(r->created_at, created);
	if (c->json) {
		json_array_append_new(out, json_pack(
			"{s:I, s:o, s:s?, s:s, s:b, s:I, s:I, s:I, s:o, s:s?, s:s?, s:s, s:s?}",
			"id", (json_int_t)r->id, "association_id",
			r->association_id ? json_integer(r->association_id) : json_null(),
			"association", r->association, "url", r->url, "messages", r->messages,
			"pending", (json_int_t)r->pending, "failed", (json_int_t)r->failed,
			"sent", (json_int_t)r->sent, "last_status",
			r->last_status >= 0 ? json_integer(r->last_status) : json_null(),
			"last_at", r->last_at ? last : NULL, "last_error", r->last_error,
			"created_at", created, "created_by", r->created_by));
		return 0;
	}
	printf("%-4lld %-20.20s %-8s pending=%lld failed=%lld sent=%lld %s\n", r->id,
	       r->association ? r->association : "(all campaigns)",
	       r->messages ? "+messages" : "campaign", r->pending, r->failed, r->sent, r->url);
	if (r->last_status < 0)
		printf("     last answer: never tried\n");
	else if (r->last_status == 0)
		printf("     last answer: none at %s: %s\n", last, r->last_error ? r->last_error : "");
	else
		printf("     last answer: %lld at %s%s%s\n", r->last_status, last,
		       r->last_error ? ": " : "", r->last_error ? r->last_error : "");
	return 0;
}

static int cmd_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "association", required_argument, NULL, 'a' }, { NULL, 0, NULL, 0 },
	};
	const char *assoc = NULL;
	long long aid = 0;
	void *arg[2] = { c, NULL };
	int o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'a')
			return cli_usage(c, CALLBACK_USAGE);
		assoc = optarg;
	}
	if (optind != argc)
		return cli_usage(c, CALLBACK_USAGE);
	if ((ret = cli_open(c)))
		return ret;
	if (assoc && (ret = association_arg(c, assoc, &aid)))
		return ret;
	arg[1] = c->json ? json_array() : NULL;
	if (db_callback_each(c->db, aid, !assoc, list_row, arg) < 0) {
		json_decref(arg[1]);
		return cli_fail(c, "cannot list the callbacks");
	}
	if (c->json)
		cli_print_json(arg[1]);
	return 0;
}

static int event_row(const struct callback_event_row *r, void *arg)
{
	struct cli *c = ((void **)arg)[0];
	json_t *out = ((void **)arg)[1];
	char created[CLOCK_ISO_LEN], last[CLOCK_ISO_LEN], next[CLOCK_ISO_LEN];

	when(r->created_at, created);
	when(r->last_at, last);
	when(r->status && !strcmp(r->status, "pending") ? r->next_at : 0, next);
	if (c->json) {
		json_array_append_new(out, json_pack(
			"{s:I, s:s, s:I, s:s, s:I, s:o, s:s, s:s, s:i, s:s, s:o, s:s?, s:s?, s:s?}",
			"id", (json_int_t)r->id, "event_id", r->event_id, "receiver",
			(json_int_t)r->callback_id, "type", r->type, "campaign_id",
			(json_int_t)r->campaign_id, "message_id",
			r->message_id ? json_integer(r->message_id) : json_null(), "state", r->state,
			"status", r->status, "attempts", r->attempts, "created_at", created,
			"last_status", r->last_status >= 0 ? json_integer(r->last_status) : json_null(),
			"last_at", r->last_at ? last : NULL, "next_at", r->next_at && *next != '-' ? next : NULL,
			"last_error", r->last_error));
		return 0;
	}
	printf("%-6lld %s receiver=%lld campaign=%lld", r->id, created, r->callback_id, r->campaign_id);
	if (r->message_id)
		printf(" message=%lld", r->message_id);
	printf(" %s %s attempts=%d", r->type, r->status, r->attempts);
	if (r->last_status >= 0)
		printf(" last=%lld@%s", r->last_status, last);
	if (*next != '-')
		printf(" next=%s", next);
	if (r->last_error)
		printf(" error=\"%s\"", r->last_error);
	putchar('\n');
	return 0;
}

static int cmd_events(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "failed", no_argument, NULL, 'f' }, { "pending", no_argument, NULL, 'p' },
		{ "receiver", required_argument, NULL, 'r' }, { "campaign", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'l' }, { NULL, 0, NULL, 0 },
	};
	struct callback_event_filter f = { .limit = 100 };
	void *arg[2] = { c, NULL };
	long long v;
	int o, ret;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'f': f.status = "failed"; break;
		case 'p': f.status = "pending"; break;
		case 'r':
			if ((f.callback_id = cli_parse_id(optarg)) < 0)
				return cli_usage(c, "--receiver '%s' is not an id", optarg);
			break;
		case 'c':
			if ((f.campaign_id = cli_parse_id(optarg)) < 0)
				return cli_usage(c, "--campaign '%s' is not an id", optarg);
			break;
		case 'l':
			if (cli_parse_int(optarg, 1, 100000, &v) < 0)
				return cli_usage(c, "--limit '%s' must be 1..100000", optarg);
			f.limit = (int)v;
			break;
		default: return cli_usage(c, CALLBACK_USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(c, CALLBACK_USAGE);
	if ((ret = cli_open(c)))
		return ret;
	arg[1] = c->json ? json_array() : NULL;
	if (db_callback_events_each(c->db, &f, event_row, arg) < 0) {
		json_decref(arg[1]);
		return cli_fail(c, "cannot list the callback events");
	}
	if (c->json)
		cli_print_json(arg[1]);
	return 0;
}

int cli_cmd_callback(struct cli *c, int argc, char **argv)
{
	struct sbuf why = SBUF_INIT;
	char secret[CALLBACK_SECRET_LEN];
	long long id;
	int ret;

	if (argc < 2)
		return cli_usage(c, CALLBACK_USAGE);
	if (!strcmp(argv[1], "add"))
		return cmd_add(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list"))
		return cmd_list(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "events"))
		return cmd_events(c, argc - 1, argv + 1);
	if (argc != 3 || (strcmp(argv[1], "remove") && strcmp(argv[1], "rotate-secret")))
		return cli_usage(c, CALLBACK_USAGE);
	if ((id = cli_parse_id(argv[2])) < 0)
		return cli_usage(c, "'%s' is not a callback id", argv[2]);
	if ((ret = cli_open(c)))
		return ret;
	if (!strcmp(argv[1], "remove")) {
		ret = callback_unregister(c->db, id, 0, cli_whoami(), cli_now(), &why);
		if (ret == 0 && !c->json)
			printf("callback %lld removed with its events\n", id);
		else if (ret == 0)
			cli_print_json(json_pack("{s:I, s:b}", "id", (json_int_t)id, "removed", 1));
	} else {
		ret = callback_rotate_secret(c->db, id, 0, cli_whoami(), cli_now(), secret, &why);
		if (ret == 0)
			print_secret(c, id, NULL, secret);
		OPENSSL_cleanse(secret, sizeof(secret));
	}
	if (ret == 1)
		ret = cli_fail(c, "%s", why.buf);
	else if (ret < 0)
		ret = cli_fail(c, "cannot change callback %lld", id);
	sbuf_release(&why);
	return ret;
}
