/* SPDX-License-Identifier: MIT */
/* subscriber add | list | show. */
#include "cli.h"
#include "budbringer/mime.h"
#include "budbringer/phone.h"

#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define USAGE \
	"usage: subscriber add (--phone P | --email E)… [--lang L] [--born YEAR]\n" \
	"         [--interest CODE …] (--consent EVIDENCE | --pending)\n" \
	"       subscriber list | show ID | import FILE.csv [--dry-run]\n" \
	"       subscriber export|erase ID | --phone P | --email E"

static int cmd_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "phone", required_argument, NULL, 'p' }, { "email", required_argument, NULL, 'e' },
		{ "lang", required_argument, NULL, 'l' }, { "born", required_argument, NULL, 'b' },
		{ "interest", required_argument, NULL, 'i' }, { "consent", required_argument, NULL, 'c' },
		{ "pending", no_argument, NULL, 'P' }, { NULL, 0, NULL, 0 },
	};
	char phone[PHONE_E164_MAX], source[128], email[256];
	const char *interests[MODEL_MAX_INTERESTS + 1] = { NULL };
	const struct passwd *pw = getpwuid(getuid());
	struct subscriber_in in = { .lang = c->cfg.languages[0], .now = cli_now() };
	const char *why, *evidence = NULL;
	bool pending = false;
	size_t n_int = 0;
	long long v, id;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p':
			if (phone_normalise(optarg, c->cfg.default_country, phone, &why) < 0)
				return cli_usage(c, "--phone '%s': %s", optarg, why);
			in.phone = phone;
			break;
		case 'e':
			if (mime_addr_normalise(optarg, email, sizeof(email)) < 0)
				return cli_usage(c, "--email '%s' is not an email address", optarg);
			in.email = email;
			break;
		case 'l':
			if (!cfg_has_language(&c->cfg, optarg))
				return cli_usage(c, "--lang '%s' is not one of the configured languages", optarg);
			in.lang = optarg;
			break;
		case 'b':
			if (cli_parse_int(optarg, 1900, model_year(cli_now()), &v) < 0)
				return cli_usage(c, "--born '%s' must be a year 1900..%d", optarg, model_year(cli_now()));
			in.birth_year = (int)v;
			break;
		case 'i':
			if (!cfg_interest_find(&c->cfg, optarg))
				return cli_usage(c, "'%s' is not an interest of the configured taxonomy", optarg);
			if (n_int < MODEL_MAX_INTERESTS)
				interests[n_int++] = optarg;
			break;
		case 'c': evidence = optarg; break;
		case 'P': pending = true; break;
		default: return cli_usage(c, USAGE);
		}
	}
	if (optind != argc || (!in.phone && !in.email))
		return cli_usage(c, USAGE);
	if (!pending && !evidence)
		return cli_usage(c, "say what the person agreed to with --consent EVIDENCE "
			"(e.g. \"signed form at Frivilligcenter 2026-11-20\"), or add them --pending");
	if (in.birth_year && model_year(cli_now()) - in.birth_year < c->cfg.min_age)
		return cli_usage(c, "born %d: under the minimum age %d", in.birth_year, c->cfg.min_age);
	if ((in.phone && db_is_suppressed(c->db, in.phone, "sms")) ||
	    (in.email && db_is_suppressed(c->db, in.email, "email")))
		return cli_fail(c, "this person asked not to be contacted (suppression list); "
			"they must sign up again themselves");
	if (bsnprintf(source, sizeof(source), "cli:%s", pw ? pw->pw_name : "?") < 0)
		return 1;
	in.status = pending ? "pending" : "active";
	in.consent[CHANNEL_SMS] = in.consent[CHANNEL_EMAIL] = !pending;
	in.source = source;
	in.evidence = evidence;
	in.interests = interests;
	if (db_subscriber_add(c->db, &in, &id) < 0)
		return cli_fail(c, "cannot add the subscriber (phone or email exists already?)");
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", in.status));
	else
		printf("subscriber %lld added (%s)\n", id, in.status);
	return 0;
}

static json_t *subscriber_json(const struct subscriber *s)
{
	json_t *interests = json_array();
	for (size_t i = 0; s->interests[i]; i++)
		json_array_append_new(interests, json_string(s->interests[i]));
	return json_pack("{s:I, s:s?, s:s?, s:s, s:o, s:s, s:b, s:b, s:o, s:I}",
		"id", (json_int_t)s->id, "phone", s->phone, "email", s->email, "lang", s->lang,
		"birth_year", s->birth_year ? json_integer(s->birth_year) : json_null(),
		"status", s->status, "sms_consent", s->consent[CHANNEL_SMS],
		"email_consent", s->consent[CHANNEL_EMAIL], "interests", interests,
		"created_at", (json_int_t)s->created_at);
}

static int print_subscriber(const struct subscriber *s, void *arg)
{
	json_t *arr = arg;
	char masked[64] = "-", born[8] = "-";
	if (arr) {
		json_array_append_new(arr, subscriber_json(s));
		return 0;
	}
	if (s->phone)
		phone_mask(s->phone, masked, sizeof(masked));
	if (s->birth_year && bsnprintf(born, sizeof(born), "%d", s->birth_year) < 0)
		born[0] = '\0';
	printf("%-6lld %-12s %-22s %-30.30s %-3s %-5s", s->id, s->status, masked,
	       s->email ? s->email : "-", s->lang, born);
	for (size_t i = 0; s->interests[i]; i++)
		printf("%s%s", i ? "," : " ", s->interests[i]);
	printf("\n");
	return 0;
}

int cli_cmd_subscriber(struct cli *c, int argc, char **argv)
{
	int ret;
	long long id;

	if (argc < 2)
		return cli_usage(c, USAGE);
	if ((ret = cli_open(c)))
		return ret;
	if (!strcmp(argv[1], "add"))
		return cmd_add(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "export"))
		return cli_subscriber_export(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "erase"))
		return cli_subscriber_erase(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "import"))
		return cli_subscriber_import(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") && argc == 2) {
		json_t *arr = c->json ? json_array() : NULL;
		if (db_subscriber_each(c->db, print_subscriber, arr) < 0)
			return 1;
		if (arr)
			cli_print_json(arr);
		return 0;
	}
	if (!strcmp(argv[1], "show") && argc == 3 && (id = cli_parse_id(argv[2])) > 0) {
		struct subscriber s;
		int rc = db_subscriber_get(c->db, id, &s);
		if (rc)
			return rc < 0 ? 1 : cli_fail(c, "no subscriber %lld", id);
		if (c->json)
			cli_print_json(subscriber_json(&s));
		else
			print_subscriber(&s, NULL);
		subscriber_release(&s);
		return 0;
	}
	return cli_usage(c, USAGE);
}
