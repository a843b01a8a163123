/* SPDX-License-Identifier: MIT */
/*
 * DESIGN: every table word and every message go through keyword_fold(),
 * so the matcher only ever compares folded bytes. Words live in one
 * open-addressing hash table keyed by their folded form; an entry holds
 * every role the word has (a bit per kind) with the language it was
 * registered under for that role, so "tak" can be Polish "yes" and a
 * Danish courtesy word at once and the grammar picks by position.
 * Phrases ("ku biir") are entries whose key contains spaces; the message
 * is cut into units, longest phrase first. See keyword.h for the rules.
 */
#include "budbringer/keyword.h"
#include "budbringer/log.h"
#include "budbringer/sbuf.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

enum kw_kind {
	K_JOIN,
	K_CONFIRM,
	K_STOP,
	K_HELP,
	K_DETAILS,
	K_LANGKW,
	K_LANGNAME,
	K_INTEREST,
	K_FILLER,
	K_N
};

#define BIT(k) (1u << (k))
#define CODE_MAX 31
#define MAX_UNITS 48
#define MAX_ID_DIGITS 18

struct kw_entry {
	char *word; /* folded; NULL marks a free slot */
	size_t len;
	uint32_t hash;
	unsigned kinds;
	char lang[K_N][KEYWORD_LANG_MAX]; /* per kind; "" once ambiguous */
	const char *interest;		  /* K_INTEREST: interned code */
	char target[KEYWORD_LANG_MAX];	  /* K_LANGNAME */
};

struct keyword_table {
	struct kw_entry *slots;
	size_t cap; /* power of two */
	size_t n;
	char **codes; /* interned interest codes, each its own allocation */
	size_t n_codes;
	char (*targets)[KEYWORD_LANG_MAX]; /* codes with a language name */
	size_t n_targets;
	size_t max_phrase; /* tokens in the longest word, for the splitter */
};

/* ---- folding ---- */

enum fold_class { FC_DROP, FC_SEP, FC_EDGE, FC_CORE };

/* Letters folded by hand: no decomposition, but users type them as
 * the base letter, or two keyboards give two code points. */
static const struct {
	ucs4_t from, to;
} letter_map[] = {
	{ 0x0131, 'i' },    /* Turkish dotless i */
	{ 0x0142, 'l' },    /* Polish l with stroke */
	{ 0x0671, 0x0627 }, /* alef wasla -> alef */
	{ 0x0649, 0x064A }, /* alef maksura -> yeh */
	{ 0x06CC, 0x064A }, /* Farsi yeh (Urdu keyboards) -> yeh */
	{ 0x06A9, 0x0643 }, /* keheh (Urdu keyboards) -> kaf */
	{ 0x0629, 0x0647 }, /* teh marbuta -> heh */
	{ 0x06C1, 0x0647 }, /* heh goal -> heh */
	{ 0x06C3, 0x0647 }, /* teh marbuta goal -> heh */
};

static enum fold_class fold_map(ucs4_t *uc)
{
	size_t i;

	if (*uc == 0x0640) /* tatweel only stretches a word */
		return FC_DROP;
	for (i = 0; *uc >= 0x0131 && i < sizeof(letter_map) / sizeof(letter_map[0]); i++) {
		if (*uc == letter_map[i].from) {
			*uc = letter_map[i].to;
			return FC_CORE;
		}
	}
	if (uc_is_property_white_space(*uc) ||
	    uc_is_general_category_withtable(*uc, UC_CATEGORY_MASK_Z | UC_CATEGORY_MASK_Cc))
		return FC_SEP;
	if (uc_is_general_category_withtable(*uc, UC_CATEGORY_MASK_Mn | UC_CATEGORY_MASK_Me |
							  UC_CATEGORY_MASK_Cf))
		return FC_DROP;
	if (uc_is_general_category_withtable(*uc, UC_CATEGORY_MASK_Nd)) {
		int v = uc_digit_value(*uc);

		if (v >= 0)
			*uc = (ucs4_t)('0' + v);
		return FC_CORE;
	}
	if (uc_is_general_category_withtable(*uc, UC_CATEGORY_MASK_P | UC_CATEGORY_MASK_S))
		return FC_EDGE;
	return FC_CORE;
}

static void truncate_to(struct sbuf *sb, size_t len)
{
	sb->len = len;
	sb->buf[len] = '\0';
}

int keyword_fold(const char *in, size_t len, struct sbuf *out)
{
	uint8_t stackbuf[1024];
	size_t flen = sizeof(stackbuf);
	uint8_t *f;
	size_t i, base = out->len, core_end = 0;
	bool in_tok = false;

	if (len == 0)
		return 0;
	if (!in || u8_check((const uint8_t *)in, len))
		return -1;
	f = u8_casefold((const uint8_t *)in, len, NULL, UNINORM_NFKD, stackbuf, &flen);
	if (!f)
		return -1;
	sbuf_grow(out, flen);
	for (i = 0; i < flen;) {
		ucs4_t uc;
		enum fold_class c;
		uint8_t enc[6];
		int n;

		i += (size_t)u8_mbtouc_unsafe(&uc, f + i, flen - i);
		c = fold_map(&uc);
		if (c == FC_DROP)
			continue;
		if (c == FC_SEP) {
			if (in_tok)
				truncate_to(out, core_end);
			in_tok = false;
			continue;
		}
		if (!in_tok) {
			if (c == FC_EDGE)
				continue;
			if (out->len > base)
				sbuf_addch(out, ' ');
			in_tok = true;
		}
		n = u8_uctomb(enc, uc, (ptrdiff_t)sizeof(enc));
		if (n > 0)
			sbuf_add(out, enc, (size_t)n);
		if (c == FC_CORE)
			core_end = out->len;
	}
	if (in_tok)
		truncate_to(out, core_end);
	if (f != stackbuf)
		free(f);
	return 0;
}

/* ---- the table ---- */

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

/* The slot holding s, or the free slot where it would go. */
static size_t table_slot(const struct keyword_table *t, const char *s, size_t len, uint32_t h)
{
	size_t i;

	for (i = h & (t->cap - 1); t->slots[i].word; i = (i + 1) & (t->cap - 1)) {
		const struct kw_entry *e = &t->slots[i];

		if (e->hash == h && e->len == len && !memcmp(e->word, s, len))
			break;
	}
	return i;
}

static const struct kw_entry *table_find(const struct keyword_table *t, const char *s, size_t len)
{
	const struct kw_entry *e = &t->slots[table_slot(t, s, len, hash_bytes(s, len))];

	return e->word ? e : NULL;
}

static void table_grow(struct keyword_table *t)
{
	struct kw_entry *old = t->slots;
	size_t oldcap = t->cap, i;

	t->cap = oldcap * 2;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (!old[i].word)
			continue;
		for (j = old[i].hash & (t->cap - 1); t->slots[j].word; j = (j + 1) & (t->cap - 1))
			;
		t->slots[j] = old[i];
	}
	free(old);
}

static struct kw_entry *table_get(struct keyword_table *t, const char *s, size_t len)
{
	uint32_t h = hash_bytes(s, len);
	struct kw_entry *e = &t->slots[table_slot(t, s, len, h)];

	if (e->word)
		return e;
	if ((t->n + 1) * 2 > t->cap) {
		table_grow(t);
		e = &t->slots[table_slot(t, s, len, h)];
	}
	e->word = xstrndup(s, len);
	e->len = len;
	e->hash = h;
	t->n++;
	return e;
}

struct keyword_table *keyword_table_new(void)
{
	struct keyword_table *t = xcalloc(1, sizeof(*t));

	t->cap = 256;
	t->slots = xcalloc(t->cap, sizeof(*t->slots));
	return t;
}

void keyword_table_free(struct keyword_table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->cap; i++)
		free(t->slots[i].word);
	for (i = 0; i < t->n_codes; i++)
		free(t->codes[i]);
	free(t->slots);
	free(t->codes);
	free(t->targets);
	free(t);
}

static bool valid_lang(const char *lang)
{
	size_t i;

	if (!lang)
		return false;
	for (i = 0; lang[i]; i++)
		if (lang[i] < 'a' || lang[i] > 'z')
			return false;
	return i == 2 || i == 3;
}

static bool valid_code(const char *code)
{
	size_t i;

	if (!code)
		return false;
	for (i = 0; code[i]; i++) {
		char c = code[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return false;
	}
	return i >= 1 && i <= CODE_MAX;
}

static bool all_digits(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return len > 0;
}

static const char *intern_code(struct keyword_table *t, const char *code)
{
	size_t i;

	for (i = 0; i < t->n_codes; i++)
		if (!strcmp(t->codes[i], code))
			return t->codes[i];
	t->codes = xrealloc(t->codes, (t->n_codes + 1) * sizeof(*t->codes));
	t->codes[t->n_codes] = xstrdup(code);
	return t->codes[t->n_codes++];
}

static bool has_target(const struct keyword_table *t, const char *code, size_t len)
{
	size_t i;

	for (i = 0; i < t->n_targets; i++)
		if (strlen(t->targets[i]) == len && !memcmp(t->targets[i], code, len))
			return true;
	return false;
}

static void add_target(struct keyword_table *t, const char *code)
{
	if (has_target(t, code, strlen(code)))
		return;
	t->targets = xrealloc(t->targets, (t->n_targets + 1) * sizeof(*t->targets));
	/* valid_lang() made it fit */
	(void)bsnprintf(t->targets[t->n_targets++], KEYWORD_LANG_MAX, "%s", code);
}

/* arg: the interest code for K_INTEREST, the target for K_LANGNAME */
static int add_word(struct keyword_table *t, const char *lang, enum kw_kind kind,
		    const char *arg, const char *word)
{
	struct sbuf fw = SBUF_INIT;
	struct kw_entry *e;
	size_t tokens = 1, i;
	int ret = -1;

	if (!t || !word)
		return error("keyword: no table or word");
	if (!valid_lang(lang)) {
		error("keyword: bad language code '%s' for '%s'", lang ? lang : "", word);
		goto out;
	}
	if (keyword_fold(word, strlen(word), &fw) < 0) {
		error("keyword: a %s word is not valid UTF-8", lang);
		goto out;
	}
	for (i = 0; i < fw.len; i++)
		tokens += fw.buf[i] == ' ';
	if (!fw.len || tokens > KEYWORD_MAX_PHRASE || all_digits(fw.buf, fw.len)) {
		error("keyword: '%s' must be 1 to %d words and not a number", word,
		      KEYWORD_MAX_PHRASE);
		goto out;
	}
	e = table_get(t, fw.buf, fw.len);
	if (!(e->kinds & BIT(kind))) {
		e->kinds |= BIT(kind);
		(void)bsnprintf(e->lang[kind], sizeof(e->lang[kind]), "%s", lang);
	} else if (strcmp(e->lang[kind], lang)) {
		e->lang[kind][0] = '\0';
	}
	if (kind == K_INTEREST)
		e->interest = intern_code(t, arg);
	if (kind == K_LANGNAME) {
		(void)bsnprintf(e->target, sizeof(e->target), "%s", arg);
		add_target(t, arg);
	}
	if (tokens > t->max_phrase)
		t->max_phrase = tokens;
	ret = 0;
out:
	sbuf_release(&fw);
	return ret;
}

int keyword_table_add(struct keyword_table *t, const char *lang, enum keyword_intent intent,
		      const char *word)
{
	/* which kind of word each intent has; interests have their own adder */
	static const int kind_of[] = {
		[KW_UNKNOWN] = -1,	  [KW_JOIN] = K_JOIN,	  [KW_CONFIRM] = K_CONFIRM,
		[KW_STOP] = K_STOP,	  [KW_LANGUAGE] = K_LANGKW, [KW_INTERESTS] = -1,
		[KW_HELP] = K_HELP,	  [KW_DETAILS] = K_DETAILS,
	};

	if ((unsigned)intent >= sizeof(kind_of) / sizeof(kind_of[0]) || kind_of[intent] < 0)
		return error("keyword: intent '%s' takes no words of its own",
			     keyword_intent_name(intent));
	return add_word(t, lang, (enum kw_kind)kind_of[intent], NULL, word);
}

int keyword_table_add_interest(struct keyword_table *t, const char *lang, const char *code,
			       const char *word)
{
	if (!valid_code(code))
		return error("keyword: bad interest code '%s'", code ? code : "");
	return add_word(t, lang, K_INTEREST, code, word);
}

int keyword_table_add_language_name(struct keyword_table *t, const char *lang_code,
				    const char *word)
{
	return add_word(t, lang_code, K_LANGNAME, lang_code, word);
}

int keyword_table_add_filler(struct keyword_table *t, const char *lang, const char *word)
{
	return add_word(t, lang, K_FILLER, NULL, word);
}

/* ---- built-in words ---- */

struct kw_default {
	const char *lang;
	enum kw_kind kind;
	const char *arg; /* interest code; the target for K_LANGNAME is lang */
	const char *words; /* '|' separated */
};

static const struct kw_default defaults[] = {
#include "keyword_defaults.def"
};

int keyword_table_add_defaults(struct keyword_table *t)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		const struct kw_default *d = &defaults[i];
		const char *p = d->words;

		while (*p) {
			const char *bar = strchr(p, '|');
			size_t n = bar ? (size_t)(bar - p) : strlen(p);
			char *w = xstrndup(p, n);
			const char *arg = d->kind == K_LANGNAME ? d->lang : d->arg;

			if (add_word(t, d->lang, d->kind, arg, w) < 0)
				ret = -1;
			free(w);
			p += n + (bar != NULL);
		}
	}
	return ret;
}

/* ---- parsing ---- */

struct unit {
	const char *s;
	size_t len;
	const struct kw_entry *e; /* NULL: not a table word */
	bool used;		  /* consumed by the chosen rule */
};

struct msg {
	struct unit u[MAX_UNITS];
	size_t m;
	bool more; /* units beyond MAX_UNITS were not looked at */
};

static bool is_kind(const struct unit *u, enum kw_kind k)
{
	return u->e && (u->e->kinds & BIT(k));
}

static const char *unit_lang(const struct unit *u, enum kw_kind k)
{
	return is_kind(u, k) ? u->e->lang[k] : "";
}

/* Cuts the folded text into units, the longest table phrase first. */
static void split_units(const struct keyword_table *t, const char *buf, size_t len, struct msg *msg)
{
	size_t p = 0, limit = t->max_phrase ? t->max_phrase : 1;

	msg->m = 0;
	msg->more = false;
	while (p < len) {
		size_t ends[KEYWORD_MAX_PHRASE], n = 0, q = p, k;
		struct unit *u;

		if (msg->m == MAX_UNITS) {
			msg->more = true;
			return;
		}
		while (n < limit && q < len) {
			const char *sp = memchr(buf + q, ' ', len - q);

			q = sp ? (size_t)(sp - buf) : len;
			ends[n++] = q;
			q++;
		}
		u = &msg->u[msg->m++];
		*u = (struct unit){ .s = buf + p, .len = ends[0] - p };
		for (k = n; k > 0; k--) {
			const struct kw_entry *e = table_find(t, buf + p, ends[k - 1] - p);

			if (e) {
				u->e = e;
				u->len = ends[k - 1] - p;
				break;
			}
		}
		p += u->len + 1;
	}
}

static bool unit_id(const struct unit *u, long long *id)
{
	long long v = 0;
	size_t i;

	if (!all_digits(u->s, u->len))
		return false;
	for (i = 0; i < u->len && u->s[i] == '0'; i++)
		;
	if (u->len - i > MAX_ID_DIGITS)
		return false;
	for (; i < u->len; i++)
		v = v * 10 + (u->s[i] - '0');
	if (v < 1)
		return false;
	*id = v;
	return true;
}

/* A language name, or a bare code that some language name maps to. */
static bool unit_target(const struct keyword_table *t, const struct unit *u,
			char out[KEYWORD_LANG_MAX])
{
	if (is_kind(u, K_LANGNAME))
		return bsnprintf(out, KEYWORD_LANG_MAX, "%s", u->e->target) == 0;
	if (u->len < KEYWORD_LANG_MAX && has_target(t, u->s, u->len)) {
		memcpy(out, u->s, u->len);
		out[u->len] = '\0';
		return true;
	}
	return false;
}

static void set_lang(char dst[KEYWORD_LANG_MAX], const char *src)
{
	(void)bsnprintf(dst, KEYWORD_LANG_MAX, "%s", src);
}

static void add_interest(struct keyword_result *r, const char *code)
{
	size_t i;

	for (i = 0; i < r->n_interests; i++)
		if (r->interests[i] == code)
			return;
	if (r->n_interests < KEYWORD_MAX_INTERESTS)
		r->interests[r->n_interests++] = code;
}

/* True if every unit from `from` on is a filler or a word of kind k. */
static bool rest_ok(const struct msg *msg, size_t from, enum kw_kind k)
{
	size_t i;

	if (msg->more)
		return false;
	for (i = from; i < msg->m; i++)
		if (!is_kind(&msg->u[i], K_FILLER) && !is_kind(&msg->u[i], k))
			return false;
	return true;
}

/* Marks the fillers and words of kind k from `from` on as understood. */
static void mark_rest(struct msg *msg, size_t from, enum kw_kind k)
{
	size_t i;

	for (i = from; i < msg->m; i++)
		if (is_kind(&msg->u[i], K_FILLER) || is_kind(&msg->u[i], k))
			msg->u[i].used = true;
}

/* Settles on intent: the first `from` units are its words, fillers and
 * words of kind k after them are understood too. */
static void take(struct msg *msg, struct keyword_result *r, enum keyword_intent intent,
		 const char *lang, size_t from, enum kw_kind k)
{
	size_t i;

	r->intent = intent;
	set_lang(r->lang, lang);
	for (i = 0; i < from; i++)
		msg->u[i].used = true;
	mark_rest(msg, from, k);
}

static bool rule_stop(struct msg *msg, struct keyword_result *r)
{
	struct unit *hit = NULL;

	/* "STOP STOP STOP STOP" is as clear as "STOP" */
	if (msg->more || (msg->m > 3 && !rest_ok(msg, 0, K_STOP)))
		return false;
	/* In a short message a stop word anywhere opts out: "please
	 * unsubscribe me" must not be answered with help. */
	for (size_t i = 0; !hit && i < msg->m; i++)
		if (is_kind(&msg->u[i], K_STOP))
			hit = &msg->u[i];
	if (!hit)
		return false;
	take(msg, r, KW_STOP, unit_lang(hit, K_STOP), 0, K_STOP);
	return true;
}

static void rule_join(const struct keyword_table *t, struct msg *msg, struct keyword_result *r)
{
	size_t i;

	take(msg, r, KW_JOIN, unit_lang(&msg->u[0], K_JOIN), 1, K_JOIN);
	for (i = 1; i < msg->m; i++) {
		struct unit *u = &msg->u[i];
		char target[KEYWORD_LANG_MAX];
		long long year;

		u->used = true;
		if (is_kind(u, K_INTEREST)) {
			add_interest(r, u->e->interest);
		} else if (is_kind(u, K_LANGNAME)) {
			if (!r->target_lang[0])
				set_lang(r->target_lang, u->e->target);
		} else if (is_kind(u, K_LANGKW) && i + 1 < msg->m &&
			   unit_target(t, &msg->u[i + 1], target)) {
			if (!r->target_lang[0])
				set_lang(r->target_lang, target);
			msg->u[++i].used = true;
		} else if (!r->birth_year && u->len == 4 && unit_id(u, &year) && year >= 1900 &&
			   year <= 2100) {
			r->birth_year = (int)year;
		} else {
			u->used = is_kind(u, K_FILLER) || is_kind(u, K_JOIN);
		}
	}
}

static void rule_language_kw(const struct keyword_table *t, struct msg *msg,
			     struct keyword_result *r)
{
	if (msg->m > 1 && unit_target(t, &msg->u[1], r->target_lang))
		take(msg, r, KW_LANGUAGE, unit_lang(&msg->u[0], K_LANGKW), 2, K_FILLER);
	else
		take(msg, r, KW_LANGUAGE, unit_lang(&msg->u[0], K_LANGKW), 1, K_FILLER);
}

static bool rule_interests(struct msg *msg, struct keyword_result *r)
{
	const char *lang = NULL;
	bool conflict = false;
	size_t i;

	if (!rest_ok(msg, 0, K_INTEREST))
		return false;
	for (i = 0; i < msg->m; i++) {
		const struct unit *u = &msg->u[i];
		const char *l;

		if (!is_kind(u, K_INTEREST))
			continue;
		add_interest(r, u->e->interest);
		l = u->e->lang[K_INTEREST];
		if (!l[0])
			continue;
		if (!lang)
			lang = l;
		else if (strcmp(lang, l))
			conflict = true;
	}
	if (!r->n_interests)
		return false;
	take(msg, r, KW_INTERESTS, lang && !conflict ? lang : "", 0, K_INTEREST);
	return true;
}

static void choose(const struct keyword_table *t, struct msg *msg, struct keyword_result *r)
{
	struct unit *u0 = &msg->u[0];
	size_t i;

	if (rule_stop(msg, r))
		return;
	if (is_kind(u0, K_DETAILS) && msg->m > 1 && unit_id(&msg->u[1], &r->opportunity_id)) {
		take(msg, r, KW_DETAILS, unit_lang(u0, K_DETAILS), 2, K_FILLER);
		return;
	}
	if (is_kind(u0, K_JOIN)) {
		rule_join(t, msg, r);
		return;
	}
	if (is_kind(u0, K_CONFIRM) && rest_ok(msg, 1, K_CONFIRM)) {
		take(msg, r, KW_CONFIRM, unit_lang(u0, K_CONFIRM), 1, K_CONFIRM);
		return;
	}
	if (is_kind(u0, K_LANGKW)) {
		rule_language_kw(t, msg, r);
		return;
	}
	if (is_kind(u0, K_LANGNAME) && rest_ok(msg, 1, K_FILLER)) {
		set_lang(r->target_lang, u0->e->target);
		take(msg, r, KW_LANGUAGE, u0->e->target, 1, K_FILLER);
		return;
	}
	if (rule_interests(msg, r))
		return;
	if (is_kind(u0, K_HELP) || is_kind(u0, K_DETAILS)) {
		take(msg, r, KW_HELP, unit_lang(u0, is_kind(u0, K_HELP) ? K_HELP : K_DETAILS), 1,
		     K_FILLER);
		return;
	}
	/* KW_UNKNOWN: name the first word the table does not know at all,
	 * else the first word */
	for (i = 0; i < msg->m; i++)
		msg->u[i].used = msg->u[i].e != NULL;
	for (i = 0; i < msg->m && msg->u[i].used; i++)
		;
	if (i == msg->m)
		u0->used = false;
}

static void set_unknown(const struct msg *msg, struct keyword_result *r)
{
	size_t i, n;

	for (i = 0; i < msg->m; i++) {
		const struct unit *u = &msg->u[i];

		if (u->used)
			continue;
		n = u->len < sizeof(r->unknown_word) ? u->len : sizeof(r->unknown_word) - 1;
		/* never cut a character in two */
		while (n < u->len && n > 0 && ((unsigned char)u->s[n] & 0xC0) == 0x80)
			n--;
		memcpy(r->unknown_word, u->s, n);
		r->unknown_word[n] = '\0';
		return;
	}
}

int keyword_parse(const struct keyword_table *t, const char *text, size_t len,
		  struct keyword_result *out)
{
	struct sbuf fw = SBUF_INIT;
	struct msg msg;

	if (!t || !out)
		return -1;
	memset(out, 0, sizeof(*out));
	out->intent = KW_UNKNOWN;
	if (keyword_fold(text, len, &fw) < 0 || fw.len == 0)
		goto out;
	split_units(t, fw.buf, fw.len, &msg);
	choose(t, &msg, out);
	set_unknown(&msg, out);
out:
	sbuf_release(&fw);
	return 0;
}

static const char *const intent_names[] = {
	[KW_UNKNOWN] = "unknown", [KW_JOIN] = "join", [KW_CONFIRM] = "confirm",
	[KW_STOP] = "stop", [KW_LANGUAGE] = "language", [KW_INTERESTS] = "interests",
	[KW_HELP] = "help", [KW_DETAILS] = "details",
};

const char *keyword_intent_name(enum keyword_intent i)
{
	if ((unsigned)i >= sizeof(intent_names) / sizeof(intent_names[0]))
		return "?";
	return intent_names[i];
}

int keyword_intent_from_name(const char *name, enum keyword_intent *out)
{
	size_t i;

	for (i = 0; name && i < sizeof(intent_names) / sizeof(intent_names[0]); i++) {
		if (!strcmp(name, intent_names[i])) {
			*out = (enum keyword_intent)i;
			return 0;
		}
	}
	return -1;
}
