/* SPDX-License-Identifier: MIT */
/* opportunity add | list | show | publish | close — what the portal does, for staff. */
#include "cli.h"
#include "budbringer/clock.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USAGE \
	"usage: opportunity add [--association NAME] --title LANG=TEXT --summary LANG=TEXT …\n" \
	"         [--interest CODE …] [--min-age N] [--max-age N] [--location L] [--url URL]\n" \
	"         [--starts ISO] [--ends ISO] [--publish]\n" \
	"       opportunity list | show ID | publish ID | close ID"

/* "da=Text" -> lang, text. */
static int split_lang(struct cli *c, const char *arg, char lang[4], const char **text)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq - arg != 2 || !cfg_has_language(&c->cfg, (char[3]){ arg[0], arg[1], 0 }))
		return cli_usage(c, "'%s' must be LANG=TEXT with LANG one of the configured languages", arg);
	lang[0] = arg[0];
	lang[1] = arg[1];
	lang[2] = '\0';
	*text = eq + 1;
	if (!**text)
		return cli_usage(c, "'%s': the text is empty", arg);
	return 0;
}

static bool is_iso_date(const char *s)
{
	/* YYYY-MM-DD, optionally followed by THH:MM[:SS][Z|±HH:MM]. */
	int y, m, d;
	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || strlen(s) < 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (m < 1 || m > 12 || d < 1 || d > 31 || y < 2000 || y > 2100)
		return false;
	return !s[10] || s[10] == 'T' || s[10] == ' ';
}

static struct opportunity_text *text_for(struct opportunity_text *t, size_t *n, const char *lang)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(t[i].lang, lang))
			return &t[i];
	if (*n == MODEL_MAX_LANGS)
		return NULL;
	memset(&t[*n], 0, sizeof(t[0]));
	memcpy(t[*n].lang, lang, 3);
	return &t[(*n)++];
}

static int cmd_add_texts(struct cli *c, int argc, char **argv, struct opportunity_text *texts,
			 size_t *n_textsp)
{
	static const struct option opts[] = {
		{ "association", required_argument, NULL, 'a' }, { "title", required_argument, NULL, 't' },
		{ "summary", required_argument, NULL, 's' }, { "interest", required_argument, NULL, 'i' },
		{ "min-age", required_argument, NULL, 'm' }, { "max-age", required_argument, NULL, 'M' },
		{ "location", required_argument, NULL, 'l' }, { "url", required_argument, NULL, 'u' },
		{ "starts", required_argument, NULL, 'S' }, { "ends", required_argument, NULL, 'E' },
		{ "publish", no_argument, NULL, 'p' }, { NULL, 0, NULL, 0 },
	};
	size_t n_int = 0;
	const char *interests[MODEL_MAX_INTERESTS + 1] = { NULL };
	struct opportunity_in in = { .status = "draft", .min_age = -1, .max_age = -1 };
	char now[CLOCK_ISO_LEN];
	long long v, id;
	int o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char lang[4];
		const char *text = NULL;
		struct opportunity_text *t;
		switch (o) {
		case 'a':
			if (cli_parse_int(optarg, 1, 1LL << 53, &v) == 0)
				in.association_id = v;
			else if (!(in.association_id = db_association_find(c->db, optarg)))
				return cli_usage(c, "no association named '%s'", optarg);
			break;
		case 't': case 's':
			if (split_lang(c, optarg, lang, &text))
				return 2;
			if (!(t = text_for(texts, n_textsp, lang)))
				return cli_usage(c, "too many languages");
			if (o == 't') {
				free(t->title);
				t->title = xstrdup(text);
			} else {
				free(t->summary);
				t->summary = xstrdup(text);
			}
			break;
		case 'i':
			if (!cfg_interest_find(&c->cfg, optarg))
				return cli_usage(c, "'%s' is not an interest of the configured taxonomy", optarg);
			if (n_int == MODEL_MAX_INTERESTS)
				return cli_usage(c, "too many interests");
			interests[n_int++] = optarg;
			break;
		case 'm': case 'M':
			if (cli_parse_int(optarg, 0, 120, &v) < 0)
				return cli_usage(c, "age '%s' must be a whole number 0..120", optarg);
			*(o == 'm' ? &in.min_age : &in.max_age) = (int)v;
			break;
		case 'l': in.location = optarg; break;
		case 'u':
			if (strncmp(optarg, "https://", 8) && strncmp(optarg, "http://", 7))
				return cli_usage(c, "--url '%s' must start with http:// or https://", optarg);
			in.url = optarg;
			break;
		case 'S': case 'E':
			if (!is_iso_date(optarg))
				return cli_usage(c, "'%s' is not an ISO 8601 date (2026-12-01T10:00)", optarg);
			*(o == 'S' ? &in.starts_at : &in.ends_at) = optarg;
			break;
		case 'p': in.status = "published"; break;
		default: return cli_usage(c, USAGE);
		}
	}
	if (optind != argc)
		return cli_usage(c, USAGE);
	if (!*n_textsp)
		return cli_usage(c, "at least one --title and --summary are needed");
	for (size_t i = 0; i < *n_textsp; i++)
		if (!texts[i].title || !texts[i].summary)
			return cli_usage(c, "language '%s' needs both --title and --summary", texts[i].lang);
	if (in.min_age >= 0 && in.max_age >= 0 && in.min_age > in.max_age)
		return cli_usage(c, "--min-age %d is above --max-age %d", in.min_age, in.max_age);
	in.texts = texts;
	in.n_texts = *n_textsp;
	in.interests = interests;
	clock_iso_utc(cli_now(), now);
	if (db_opportunity_add(c->db, &in, now, &id) < 0)
		return cli_fail(c, "cannot add the opportunity");
	if (c->json)
		cli_print_json(json_pack("{s:I, s:s}", "id", (json_int_t)id, "status", in.status));
	else
		printf("opportunity %lld added (%s)\n", id, in.status);
	return 0;
}

static int cmd_add(struct cli *c, int argc, char **argv)
{
	struct opportunity_text texts[MODEL_MAX_LANGS];
	size_t n = 0;
	int ret = cmd_add_texts(c, argc, argv, texts, &n);
	for (size_t i = 0; i < n; i++) {
		free(texts[i].title);
		free(texts[i].summary);
	}
	return ret;
}

static json_t *opportunity_json(const struct opportunity *o)
{
	json_t *texts = json_object(), *interests = json_array();
	for (size_t i = 0; i < o->n_texts; i++)
		json_object_set_new(texts, o->texts[i].lang, json_pack("{s:s, s:s}",
				    "title", o->texts[i].title, "summary", o->texts[i].summary));
	for (size_t i = 0; o->interests[i]; i++)
		json_array_append_new(interests, json_string(o->interests[i]));
	return json_pack("{s:I, s:s?, s:s, s:o, s:o, s:o, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:o, s:o}",
		"id", (json_int_t)o->id, "association", o->association, "status", o->status,
		"min_age", o->min_age < 0 ? json_null() : json_integer(o->min_age),
		"max_age", o->max_age < 0 ? json_null() : json_integer(o->max_age),
		"association_id", o->association_id ? json_integer(o->association_id) : json_null(),
		"location", o->location, "url", o->url, "starts_at", o->starts_at,
		"ends_at", o->ends_at, "published_at", o->published_at, "updated_at", o->updated_at,
		"texts", texts, "interests", interests);
}

static int print_opportunity(const struct opportunity *o, void *arg)
{
	json_t *arr = arg;
	const struct opportunity_text *t = o->n_texts ? &o->texts[0] : NULL;
	if (arr) {
		json_array_append_new(arr, opportunity_json(o));
		return 0;
	}
	printf("%-5lld %-10s %-25.25s %s\n", o->id, o->status,
	       o->association ? o->association : "(municipality)", t ? t->title : "");
	return 0;
}

static int cmd_show(struct cli *c, long long id)
{
	struct opportunity o;
	int rc = db_opportunity_get(c->db, id, &o);
	if (rc)
		return rc < 0 ? 1 : cli_fail(c, "no opportunity %lld", id);
	if (c->json) {
		cli_print_json(opportunity_json(&o));
	} else {
		printf("opportunity %lld (%s)\n", o.id, o.status);
		printf("  association: %s\n", o.association ? o.association : "(municipality)");
		printf("  ages:        %s%d..%d\n", o.min_age < 0 && o.max_age < 0 ? "any " : "",
		       o.min_age < 0 ? 0 : o.min_age, o.max_age < 0 ? 120 : o.max_age);
		printf("  where/when:  %s, %s – %s\n", o.location ? o.location : "-",
		       o.starts_at ? o.starts_at : "-", o.ends_at ? o.ends_at : "-");
		printf("  url:         %s\n", o.url ? o.url : "-");
		printf("  interests:  ");
		for (size_t i = 0; o.interests[i]; i++)
			printf(" %s", o.interests[i]);
		printf("\n");
		for (size_t i = 0; i < o.n_texts; i++)
			printf("  [%s] %s — %s\n", o.texts[i].lang, o.texts[i].title, o.texts[i].summary);
	}
	opportunity_release(&o);
	return 0;
}

int cli_cmd_opportunity(struct cli *c, int argc, char **argv)
{
	int ret;
	long long id;
	char now[CLOCK_ISO_LEN];

	if (argc < 2)
		return cli_usage(c, USAGE);
	if ((ret = cli_open(c)))
		return ret;
	if (!strcmp(argv[1], "add"))
		return cmd_add(c, argc - 1, argv + 1);
	if (!strcmp(argv[1], "list") && argc == 2) {
		json_t *arr = c->json ? json_array() : NULL;
		if (db_opportunity_each(c->db, print_opportunity, arr) < 0)
			return 1;
		if (arr)
			cli_print_json(arr);
		return 0;
	}
	if (argc != 3 || (id = cli_parse_id(argv[2])) < 0)
		return cli_usage(c, USAGE);
	if (!strcmp(argv[1], "show"))
		return cmd_show(c, id);
	if (!strcmp(argv[1], "publish") || !strcmp(argv[1], "close")) {
		const char *status = argv[1][0] == 'p' ? "published" : "closed";
		clock_iso_utc(cli_now(), now);
		ret = db_opportunity_set_status(c->db, id, status, now);
		if (ret < 0)
			return 1;
		if (ret == 1)
			return cli_fail(c, "no opportunity %lld", id);
		printf("opportunity %lld %s\n", id, status);
		return 0;
	}
	return cli_usage(c, USAGE);
}
