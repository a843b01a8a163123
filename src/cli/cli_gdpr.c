/* SPDX-License-Identifier: MIT */
/*
 * subscriber export | erase | import: GDPR requests and bulk sign-ups
 * from a spreadsheet. Each is written to the audit log (who, when, which
 * subscriber — never the address itself).
 */
#include "cli.h"
#include "budbringer/mime.h"
#include "budbringer/csv.h"
#include "budbringer/db_gdpr.h"
#include "budbringer/gdpr.h"
#include "budbringer/phone.h"
#include "budbringer/spool_files.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define IMPORT_MAX_BYTES (64L * 1024 * 1024)

/* ID, --phone P or --email E to a subscriber id. Returns the id, -2 after
 * a usage error, -1 when there is no such subscriber (both printed). */
static long long resolve(struct cli *c, int argc, char **argv, const char *usage)
{
	char phone[PHONE_E164_MAX];
	const char *why;
	long long id = -1;

	if (argc == 2 && (id = cli_parse_id(argv[1])) > 0)
		return id;
	if (argc == 3 && !strcmp(argv[1], "--phone")) {
		if (phone_normalise(argv[2], c->cfg.default_country, phone, &why) < 0) {
			cli_usage(c, "--phone '%s': %s", argv[2], why);
			return -2;
		}
		id = db_subscriber_find(c->db, phone, NULL);
	} else if (argc == 3 && !strcmp(argv[1], "--email")) {
		id = db_subscriber_find(c->db, NULL, argv[2]);
	} else {
		cli_usage(c, "%s", usage);
		return -2;
	}
	if (id == 0)
		cli_fail(c, "no subscriber with that %s", argv[1] + 2);
	return id > 0 ? id : -1;
}

int cli_subscriber_export(struct cli *c, int argc, char **argv)
{
	long long id = resolve(c, argc, argv, "usage: subscriber export ID | --phone P | --email E");
	struct sbuf err = SBUF_INIT;
	json_t *j = NULL;
	int rc;

	if (id < 0)
		return id == -2 ? 2 : 1;
	rc = gdpr_export(c->db, id, cli_whoami(), NULL, cli_now(), &j, &err);
	if (rc < 0)
		cli_fail(c, "%s", err.buf);
	else if (rc > 0)
		cli_fail(c, "no subscriber %lld", id);
	else
		cli_print_json(j);
	sbuf_release(&err);
	return rc ? 1 : 0;
}

int cli_subscriber_erase(struct cli *c, int argc, char **argv)
{
	struct erase_result res;
	struct sbuf warn = SBUF_INIT, err = SBUF_INIT;
	bool yes = false;
	long long id;
	int rc;

	if (argc >= 2 && !strcmp(argv[argc - 1], "--yes")) {
		yes = true;
		argc--;
	}
	id = resolve(c, argc, argv, "usage: subscriber erase ID | --phone P | --email E [--yes]");
	if (id < 0)
		return id == -2 ? 2 : 1;
	if (!yes && isatty(STDIN_FILENO)) {
		char answer[16] = "";
		printf("Erase subscriber %lld and everything held about them? Type ERASE: ", id);
		fflush(stdout);
		if (!fgets(answer, sizeof(answer), stdin) || strncmp(answer, "ERASE", 5))
			return cli_fail(c, "not erased");
	}
	rc = gdpr_erase(c->db, &c->cfg, id, cli_whoami(), cli_now(), &res, &warn, &err);
	if (rc < 0 || rc == 1) {
		if (rc < 0)
			cli_fail(c, "%s", err.buf);
		else
			cli_fail(c, "no subscriber %lld", id);
		sbuf_release(&err);
		sbuf_release(&warn);
		return 1;
	}
	if (warn.len) {
		/* One line each, as the erasure's own notes. */
		for (char *line = warn.buf, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			if (nl)
				*nl = '\0';
			cli_fail(c, "%s", line);
			if (!nl)
				break;
		}
	}
	if (c->json)
		cli_print_json(json_pack("{s:I, s:I, s:I, s:I}", "subscriber", (json_int_t)id,
					 "messages_anonymised", (json_int_t)res.messages,
					 "inbound_anonymised", (json_int_t)res.inbound,
					 "consent_rows_deleted", (json_int_t)res.consent_rows));
	else
		printf("subscriber %lld erased: %lld messages and %lld inbound texts kept as anonymous "
		       "counts; phone/email kept only as a hashed suppression\n", id, res.messages,
		       res.inbound);
	sbuf_release(&err);
	sbuf_release(&warn);
	return rc == 2 ? 1 : 0;
}

/* ---------------------------------------------------------------- import --- */

enum col { COL_PHONE, COL_EMAIL, COL_LANG, COL_BORN, COL_INTERESTS, COL_SOURCE, COL_AT, N_COLS };
static const char *const col_names[N_COLS] = { "phone", "email", "lang", "born", "interests",
	"consent_source", "consent_at" };

struct import_ok {
	unsigned long line;
	char phone[PHONE_E164_MAX];
	char *email, *lang, *source;
	int born;
	long long consent_at;
	char *interests[MODEL_MAX_INTERESTS + 1];
};

struct import_state {
	struct cli *c;
	const char *file;
	int colmap[CSV_MAX_FIELDS];     /* field index -> enum col, -1 unused */
	size_t n_header;
	struct import_ok *ok;
	size_t n_ok, cap_ok;
	json_t *rejected;
};

static char *trim(char *s)
{
	char *e;
	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* ISO 8601 date or date-time (optional Z / ±HH:MM), or Danish DD-MM-YYYY
 * / DD.MM.YYYY; local time of the configured zone when no offset. */
int cli_parse_consent_time(const char *s, long long *out)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
		"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", NULL };
	for (size_t i = 0; forms[i]; i++) {
		struct tm tm;
		const char *end;
		long off = 0;
		bool utc = false;
		memset(&tm, 0, sizeof(tm));
		if (!(end = strptime(s, forms[i], &tm)))
			continue;
		if (*end == 'Z' && !end[1]) {
			utc = true;
		} else if ((*end == '+' || *end == '-') && strlen(end) == 6 && end[3] == ':' &&
			   isdigit((unsigned char)end[1]) && isdigit((unsigned char)end[2]) &&
			   isdigit((unsigned char)end[4]) && isdigit((unsigned char)end[5])) {
			off = ((end[1] - '0') * 10 + (end[2] - '0')) * 3600L +
			      ((end[4] - '0') * 10 + (end[5] - '0')) * 60L;
			if (*end == '-')
				off = -off;
			utc = true;
		} else if (*end) {
			continue;
		}
		if (tm.tm_year < 100 || tm.tm_year > 200)
			return -1;
		if (utc) {
			*out = (long long)timegm(&tm) - off;
		} else {
			tm.tm_isdst = -1;
			*out = (long long)mktime(&tm);
		}
		return 0;
	}
	return -1;
}

static void reject(struct import_state *st, unsigned long line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void reject(struct import_state *st, unsigned long line, const char *fmt, ...)
{
	struct sbuf why = SBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	sbuf_vaddf(&why, fmt, ap);
	va_end(ap);
	json_array_append_new(st->rejected, json_pack("{s:I, s:s}", "line", (json_int_t)line,
						      "reason", why.buf));
	sbuf_release(&why);
}

static bool header(struct import_state *st, const struct csv_record *rec)
{
	bool seen[N_COLS] = { false };
	st->n_header = rec->n;
	for (size_t i = 0; i < rec->n; i++) {
		char name[64];
		if (bsnprintf(name, sizeof(name), "%s", rec->fields[i]) < 0)
			name[0] = '\0';
		lower(name);
		st->colmap[i] = -1;
		for (int k = 0; k < N_COLS; k++)
			if (!strcmp(trim(name), col_names[k]))
				st->colmap[i] = k;
		if (st->colmap[i] < 0) {
			cli_usage(st->c, "%s:%lu: unknown column '%s' (expected %s, %s, %s, %s, %s, %s, %s)",
				  st->file, rec->line, rec->fields[i], col_names[0], col_names[1],
				  col_names[2], col_names[3], col_names[4], col_names[5], col_names[6]);
			return false;
		}
		if (seen[st->colmap[i]]) {
			cli_usage(st->c, "%s:%lu: column '%s' appears twice", st->file, rec->line, name);
			return false;
		}
		seen[st->colmap[i]] = true;
	}
	if (!seen[COL_SOURCE] || !seen[COL_AT]) {
		cli_usage(st->c, "%s: columns consent_source and consent_at are required: nobody is "
			  "imported without evidence of consent", st->file);
		return false;
	}
	if (!seen[COL_PHONE] && !seen[COL_EMAIL]) {
		cli_usage(st->c, "%s: a phone or an email column is required", st->file);
		return false;
	}
	return true;
}

/* The line of an earlier row in this file with the same address, or 0. */
static unsigned long seen_before(const struct import_state *st, const char *phone,
				 const char *email)
{
	for (size_t i = 0; i < st->n_ok; i++)
		if ((*phone && !strcmp(st->ok[i].phone, phone)) ||
		    (email && st->ok[i].email && !strcasecmp(st->ok[i].email, email)))
			return st->ok[i].line;
	return 0;
}

static void free_ok(struct import_ok *r)
{
	free(r->email);
	free(r->lang);
	free(r->source);
	model_free_vec(r->interests);
}

static void row(struct import_state *st, const struct csv_record *rec)
{
	const struct config *cfg = &st->c->cfg;
	struct import_ok r;
	char *f[N_COLS] = { NULL }, *copy[CSV_MAX_FIELDS] = { NULL }, empty[N_COLS][1];
	const char *why;
	long long v, now = cli_now(), existing;
	unsigned long dup;
	size_t n_int = 0;

	memset(&r, 0, sizeof(r));
	memset(empty, 0, sizeof(empty));
	r.line = rec->line;
	if (rec->n > st->n_header) {
		reject(st, rec->line, "%zu fields, but the header has %zu", rec->n, st->n_header);
		return;
	}
	for (size_t i = 0; i < rec->n; i++) {
		copy[i] = xstrdup(rec->fields[i]);
		f[st->colmap[i]] = trim(copy[i]);
	}
	for (int k = 0; k < N_COLS; k++)
		if (!f[k])
			f[k] = empty[k];
	if (*f[COL_PHONE] && phone_normalise(f[COL_PHONE], cfg->default_country, r.phone, &why) < 0) {
		reject(st, rec->line, "phone '%s': %s", f[COL_PHONE], why);
		goto out;
	}
	if (*f[COL_EMAIL] && mime_addr_normalise(f[COL_EMAIL], f[COL_EMAIL], strlen(f[COL_EMAIL]) + 1) < 0) {
		reject(st, rec->line, "email '%s' is not an email address", f[COL_EMAIL]);
		goto out;
	}
	if (!*r.phone && !*f[COL_EMAIL]) {
		reject(st, rec->line, "no phone and no email");
		goto out;
	}
	lower(f[COL_LANG]);
	if (*f[COL_LANG] && !cfg_has_language(cfg, f[COL_LANG])) {
		reject(st, rec->line, "lang '%s' is not one of the configured languages", f[COL_LANG]);
		goto out;
	}
	if (*f[COL_BORN]) {
		if (cli_parse_int(f[COL_BORN], 1900, model_year(cli_now()), &v) < 0) {
			reject(st, rec->line, "born '%s' must be a year 1900..%d", f[COL_BORN], model_year(cli_now()));
			goto out;
		}
		if (model_year(cli_now()) - v < cfg->min_age) {
			reject(st, rec->line, "born %lld: under the minimum age %d", v, cfg->min_age);
			goto out;
		}
		r.born = (int)v;
	}
	lower(f[COL_INTERESTS]);
	for (char *tok = f[COL_INTERESTS]; *(tok += strspn(tok, "|,; ")); ) {
		size_t len = strcspn(tok, "|,; ");
		char save = tok[len];
		tok[len] = '\0';
		if (!cfg_interest_find(cfg, tok)) {
			reject(st, rec->line, "interest '%s' is not in the configured taxonomy", tok);
			goto out;
		}
		if (n_int < MODEL_MAX_INTERESTS)
			r.interests[n_int++] = xstrdup(tok);
		tok[len] = save;
		tok += len;
	}
	if (!*f[COL_SOURCE] || !*f[COL_AT]) {
		reject(st, rec->line, "no consent evidence (consent_source and consent_at are required)");
		goto out;
	}
	if (strlen(f[COL_SOURCE]) > 200) {
		reject(st, rec->line, "consent_source is longer than 200 characters");
		goto out;
	}
	if (cli_parse_consent_time(f[COL_AT], &r.consent_at) < 0) {
		reject(st, rec->line, "consent_at '%s' is not a date such as 2026-11-01 or "
		       "2026-11-01T14:30", f[COL_AT]);
		goto out;
	}
	if (r.consent_at > now + 300) {
		reject(st, rec->line, "consent_at '%s' is in the future", f[COL_AT]);
		goto out;
	}
	if ((dup = seen_before(st, r.phone, *f[COL_EMAIL] ? f[COL_EMAIL] : NULL))) {
		reject(st, rec->line, "same phone or email as line %lu", dup);
		goto out;
	}
	existing = db_subscriber_find(st->c->db, *r.phone ? r.phone : NULL,
				      *f[COL_EMAIL] ? f[COL_EMAIL] : NULL);
	if (existing) {
		reject(st, rec->line, "already a subscriber (id %lld)", existing);
		goto out;
	}
	if ((*r.phone && db_is_suppressed(st->c->db, r.phone, "sms")) ||
	    (*f[COL_EMAIL] && db_is_suppressed(st->c->db, f[COL_EMAIL], "email"))) {
		reject(st, rec->line, "asked not to be contacted (suppression list); they must sign "
		       "up again themselves");
		goto out;
	}
	r.email = *f[COL_EMAIL] ? xstrdup(f[COL_EMAIL]) : NULL;
	r.lang = xstrdup(*f[COL_LANG] ? f[COL_LANG] : cfg->languages[0]);
	r.source = xstrdup(f[COL_SOURCE]);
	if (st->n_ok == st->cap_ok)
		st->ok = xrealloc(st->ok, (st->cap_ok = st->cap_ok * 2 + 64) * sizeof(*st->ok));
	st->ok[st->n_ok++] = r;
	memset(&r, 0, sizeof(r));
out:
	free_ok(&r);
	for (size_t i = 0; i < rec->n; i++)
		free(copy[i]);
}

static int store(struct import_state *st)
{
	struct cli *c = st->c;
	char evidence[512];
	long long id, now = cli_now();

	if (db_begin(c->db) < 0)
		return -1;
	for (size_t i = 0; i < st->n_ok; i++) {
		struct import_ok *r = &st->ok[i];
		struct import_row in = {
			.phone = *r->phone ? r->phone : NULL, .email = r->email, .lang = r->lang,
			.birth_year = r->born, .interests = (const char *const *)r->interests,
			.consent_at = r->consent_at, .source = r->source, .evidence = evidence,
			.now = now,
		};
		if (bsnprintf(evidence, sizeof(evidence), "import of '%s' line %lu by %s", st->file,
			      r->line, cli_whoami()) < 0 ||
		    db_import_row(c->db, &in, &id) < 0) {
			db_rollback(c->db);
			return -1;
		}
	}
	{
		char detail[96];
		if (bsnprintf(detail, sizeof(detail), "imported=%zu rejected=%zu", st->n_ok,
			      json_array_size(st->rejected)) < 0 ||
		    db_audit(c->db, now, cli_whoami(), "subscriber.import", st->file, detail) < 0) {
			db_rollback(c->db);
			return -1;
		}
	}
	return db_commit(c->db);
}

static int read_file(const char *path, struct sbuf *out)
{
	FILE *f = fopen(path, "rb");
	char buf[65536];
	size_t n;
	if (!f)
		return -1;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (out->len + n > IMPORT_MAX_BYTES) {
			fclose(f);
			return -2;
		}
		sbuf_add(out, buf, n);
	}
	n = (size_t)ferror(f);
	fclose(f);
	return n ? -1 : 0;
}

int cli_subscriber_import(struct cli *c, int argc, char **argv)
{
	struct import_state st = { .c = c };
	struct sbuf data = SBUF_INIT;
	struct csv_record rec;
	struct csv csv;
	bool dry_run = false, have_header = false;
	const char *why;
	int rc, ret = 1;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = true;
		else if (!st.file && argv[i][0] != '-')
			st.file = argv[i];
		else
			return cli_usage(c, "usage: subscriber import FILE.csv [--dry-run]");
	}
	if (!st.file)
		return cli_usage(c, "usage: subscriber import FILE.csv [--dry-run]");
	setenv("TZ", c->cfg.timezone, 1);
	tzset();
	if ((rc = read_file(st.file, &data)) < 0) {
		sbuf_release(&data);
		return rc == -2 ? cli_fail(c, "'%s' is larger than 64 MB", st.file)
				: cli_fail(c, "cannot read '%s'", st.file);
	}
	st.rejected = json_array();
	csv_init(&csv, data.buf, data.len);
	while ((rc = csv_next(&csv, &rec, &why)) != 0) {
		if (!have_header) {
			if (rc < 0) {
				ret = cli_usage(c, "%s:%lu: header: %s", st.file, rec.line, why);
				goto out;
			}
			if (!header(&st, &rec)) {
				ret = 2;
				goto out;
			}
			have_header = true;
		} else if (rc < 0) {
			reject(&st, rec.line, "%s", why);
		} else {
			row(&st, &rec);
		}
	}
	if (!have_header) {
		ret = cli_usage(c, "%s: empty file (expected a header line)", st.file);
		goto out;
	}
	if (!dry_run && st.n_ok && store(&st) < 0) {
		ret = cli_fail(c, "import failed; nothing was imported");
		goto out;
	}
	if (c->json) {
		cli_print_json(json_pack("{s:s, s:b, s:I, s:O}", "file", st.file, "dry_run", dry_run,
					 dry_run ? "would_import" : "imported", (json_int_t)st.n_ok,
					 "rejected", st.rejected));
	} else {
		size_t i;
		json_t *r;
		json_array_foreach(st.rejected, i, r)
			printf("%s:%lld: rejected: %s\n", st.file,
			       (long long)json_integer_value(json_object_get(r, "line")),
			       json_string_value(json_object_get(r, "reason")));
		printf("%s %zu subscriber%s, rejected %zu row%s%s\n", dry_run ? "would import" : "imported",
		       st.n_ok, st.n_ok == 1 ? "" : "s", json_array_size(st.rejected),
		       json_array_size(st.rejected) == 1 ? "" : "s", dry_run ? " (dry run: nothing stored)" : "");
	}
	ret = 0;
out:
	for (size_t i = 0; i < st.n_ok; i++)
		free_ok(&st.ok[i]);
	free(st.ok);
	json_decref(st.rejected);
	csv_release(&csv);
	sbuf_release(&data);
	return ret;
}
