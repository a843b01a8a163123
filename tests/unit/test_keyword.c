/* SPDX-License-Identifier: MIT */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "budbringer/keyword.h"
#include "budbringer/sbuf.h"

#define J KW_JOIN
#define C KW_CONFIRM
#define S KW_STOP
#define L KW_LANGUAGE
#define I KW_INTERESTS
#define H KW_HELP
#define D KW_DETAILS
#define U KW_UNKNOWN

/* text, intent, lang, target_lang, interests (codes joined by ','),
 * birth year, opportunity id, unknown_word */
struct row {
	const char *text;
	enum keyword_intent intent;
	const char *lang, *target, *interests;
	int year;
	long long id;
	const char *unknown;
};

static const struct row rows[] = {
	/* Danish */
	{ "FRIVILLIG", J, "da", "", "", 0, 0, "" },
	{ "frivillig", J, "da", "", "", 0, 0, "" },
	{ "  Frivillig  ", J, "da", "", "", 0, 0, "" },
	{ "FRIVILLIG SPORT KULTUR 2008", J, "da", "", "sport,culture", 2008, 0, "" },
	{ "Frivillig 2007 natur", J, "da", "", "nature", 2007, 0, "" },
	{ "TILMELD", J, "da", "", "", 0, 0, "" },
	{ "Tilmeld spejder børn", J, "da", "", "scouting,children", 0, 0, "" },
	{ "FRIVILLIG BOERN AELDRE", J, "da", "", "children,elderly", 0, 0, "" },
	{ "frivillig sprog ar", J, "da", "ar", "", 0, 0, "" },
	{ "FRIVILLIG ENGELSK SPORT", J, "da", "en", "sport", 0, 0, "" },
	{ "FRIVILLIG sport og kultur tak", J, "da", "", "sport,culture", 0, 0, "" },
	{ "frivillig hej med dig", J, "da", "", "", 0, 0, "hej" },
	{ "FRIVILLIG 1850", J, "da", "", "", 0, 0, "1850" },
	{ "FRIVILLIG 2008 2009", J, "da", "", "", 2008, 0, "2009" },
	{ "JA", C, "da", "", "", 0, 0, "" },
	{ "Ja!", C, "da", "", "", 0, 0, "" },
	{ "ja tak", C, "da", "", "", 0, 0, "" },
	{ "JA GERNE", C, "da", "", "", 0, 0, "" },
	{ "OK", C, "", "", "", 0, 0, "" },
	{ "jaja", U, "", "", "", 0, 0, "jaja" },
	{ "JAZZ", U, "", "", "", 0, 0, "jazz" },
	{ "Hej med dig", U, "", "", "", 0, 0, "hej" },
	{ "Tak for sidst", U, "", "", "", 0, 0, "for" },
	{ "AFMELD", S, "da", "", "", 0, 0, "" },
	{ "afmeld mig", S, "da", "", "", 0, 0, "mig" },
	{ "STOP tak", S, "", "", "", 0, 0, "" },
	{ "Stop.", S, "", "", "", 0, 0, "" },
	{ "   stop   ", S, "", "", "", 0, 0, "" },
	{ "STOPP", S, "", "", "", 0, 0, "" },
	{ "SLUT", S, "da", "", "", 0, 0, "" },
	{ "HJÆLP", H, "da", "", "", 0, 0, "" },
	{ "hjælp", H, "da", "", "", 0, 0, "" },
	{ " Hjælp ", H, "da", "", "", 0, 0, "" },
	{ "HJAELP", H, "da", "", "", 0, 0, "" },
	{ "hjælp?", H, "da", "", "", 0, 0, "" },
	{ "INFO", H, "", "", "", 0, 0, "" },
	{ "INFO 123", D, "", "", "", 0, 123, "" },
	{ "info #42", D, "", "", "", 0, 42, "" },
	{ "DETALJER 7", D, "da", "", "", 0, 7, "" },
	{ "detaljer", H, "da", "", "", 0, 0, "" },
	{ "SPROG EN", L, "da", "en", "", 0, 0, "" },
	{ "sprog engelsk", L, "da", "en", "", 0, 0, "" },
	{ "SPROG", L, "da", "", "", 0, 0, "" },
	{ "sprog xx", L, "da", "", "", 0, 0, "xx" },
	{ "DANSK", L, "da", "da", "", 0, 0, "" },
	{ "Dansk tak", L, "da", "da", "", 0, 0, "" },
	{ "SPORT", I, "", "", "sport", 0, 0, "" },
	{ "idræt", I, "da", "", "sport", 0, 0, "" },
	{ "KULTUR NATUR", I, "da", "", "culture,nature", 0, 0, "" },
	{ "natur, spejder og børn", I, "da", "", "nature,scouting,children", 0, 0, "" },
	/* Polish "yes" wins over Danish "thanks", as the specification says */
	{ "TAK", C, "pl", "", "", 0, 0, "" },

	/* English */
	{ "JOIN", J, "en", "", "", 0, 0, "" },
	{ "join sports culture 2005", J, "en", "", "sport,culture", 2005, 0, "" },
	{ "Join scouts nature 2010 arabic", J, "en", "ar", "scouting,nature", 2010, 0, "" },
	{ "SIGN UP", J, "en", "", "", 0, 0, "" },
	{ "sign up for sport", J, "en", "", "sport", 0, 0, "for" },
	{ "START", J, "", "", "", 0, 0, "" },
	{ "YES", C, "en", "", "", 0, 0, "" },
	{ "yes please", C, "en", "", "", 0, 0, "" },
	{ "Y", C, "en", "", "", 0, 0, "" },
	{ "yes please call me", U, "", "", "", 0, 0, "call" },
	{ "UNSUBSCRIBE", S, "en", "", "", 0, 0, "" },
	{ "stop please", S, "", "", "", 0, 0, "" },
	{ "please stop", S, "", "", "", 0, 0, "" },
	{ "Opt out", S, "en", "", "", 0, 0, "" },
	{ "STOP!!!", S, "", "", "", 0, 0, "" },
	{ "STOP STOP STOP STOP", S, "", "", "", 0, 0, "" },
	{ "stopwatch for sale", U, "", "", "", 0, 0, "stopwatch" },
	{ "stop watch for sale", U, "", "", "", 0, 0, "watch" },
	/* deliberate: short messages around a stop word opt out */
	{ "don't stop", S, "", "", "", 0, 0, "don't" },
	{ "bus stop", S, "", "", "", 0, 0, "bus" },
	{ "HELP", H, "en", "", "", 0, 0, "" },
	{ "help me", H, "en", "", "", 0, 0, "me" },
	{ "Help, how do I stop?", H, "en", "", "", 0, 0, "how" },
	{ "DETAILS 99", D, "en", "", "", 0, 99, "" },
	{ "INFO 0", H, "", "", "", 0, 0, "0" },
	{ "INFO 12a", H, "", "", "", 0, 0, "12a" },
	{ "info 99999999999999999999", H, "", "", "", 0, 0, "99999999999999999999" },
	{ "info 000000000000000000000042", D, "", "", "", 0, 42, "" },
	{ "LANG AR", L, "en", "ar", "", 0, 0, "" },
	{ "language polish", L, "en", "pl", "", 0, 0, "" },
	{ "ENGLISH", L, "en", "en", "", 0, 0, "" },
	{ "English please", L, "en", "en", "", 0, 0, "" },
	{ "English teacher wanted", U, "", "", "", 0, 0, "teacher" },
	{ "SPORT KULTUR", I, "", "", "sport,culture", 0, 0, "" },
	{ "children and elderly", I, "en", "", "children,elderly", 0, 0, "" },
	{ "sport sport sport", I, "", "", "sport", 0, 0, "" },
	{ "SPORT 2008", U, "", "", "", 0, 0, "2008" },
	{ "123", U, "", "", "", 0, 0, "123" },
	{ "FRIVILLIG STOP", S, "", "", "", 0, 0, "frivillig" },
	{ "INFO STOP", S, "", "", "", 0, 0, "info" },

	/* Arabic, with and without tashkeel, tatweel and hamza seats */
	{ "انضم", J, "ar", "", "", 0, 0, "" },
	{ "انضم رياضة ثقافة 2006", J, "ar", "", "sport,culture", 2006, 0, "" },
	{ "اشترك", J, "ar", "", "", 0, 0, "" },
	{ "انضم ٢٠٠٧", J, "ar", "", "", 2007, 0, "" },
	{ "نعم", C, "ar", "", "", 0, 0, "" },
	{ "نَعَمْ", C, "ar", "", "", 0, 0, "" },
	{ "نـعـم", C, "ar", "", "", 0, 0, "" },
	{ "نعم!", C, "ar", "", "", 0, 0, "" },
	{ "توقف", S, "ar", "", "", 0, 0, "" },
	{ "توقف.", S, "ar", "", "", 0, 0, "" },
	{ "إلغاء", S, "ar", "", "", 0, 0, "" },
	{ "الغاء", S, "ar", "", "", 0, 0, "" },
	{ "مساعدة", H, "ar", "", "", 0, 0, "" },
	{ "مساعده", H, "ar", "", "", 0, 0, "" },
	{ "مساعدة؟", H, "ar", "", "", 0, 0, "" },
	{ "العربية", L, "ar", "ar", "", 0, 0, "" },
	{ "اللغة الإنجليزية", L, "ar", "en", "", 0, 0, "" },
	{ "لغة EN", L, "ar", "en", "", 0, 0, "" },
	{ "رياضة", I, "ar", "", "sport", 0, 0, "" },
	{ "رياضة، ثقافة", I, "ar", "", "sport,culture", 0, 0, "" },
	{ "رياضة و ثقافة", I, "ar", "", "sport,culture", 0, 0, "" },
	{ "كبار السن", I, "ar", "", "elderly", 0, 0, "" },
	{ "أطفال", I, "ar", "", "children", 0, 0, "" },
	{ "اطفال", I, "ar", "", "children", 0, 0, "" },
	{ "تفاصيل ١٢٣", D, "ar", "", "", 0, 123, "" },
	{ "مرحبا", U, "", "", "", 0, 0, "مرحبا" },

	/* Turkish */
	{ "KATIL", J, "tr", "", "", 0, 0, "" },
	{ "katıl spor doğa 2009", J, "tr", "", "sport,nature", 2009, 0, "" },
	{ "KATIL KÜLTÜR", J, "tr", "", "culture", 0, 0, "" },
	{ "GÖNÜLLÜ", J, "tr", "", "", 0, 0, "" },
	{ "gonullu", J, "tr", "", "", 0, 0, "" },
	{ "EVET", C, "tr", "", "", 0, 0, "" },
	{ "evet lütfen", C, "tr", "", "", 0, 0, "" },
	{ "DUR", S, "tr", "", "", 0, 0, "" },
	{ "İPTAL", S, "tr", "", "", 0, 0, "" },
	{ "iptal", S, "tr", "", "", 0, 0, "" },
	{ "YARDIM", H, "tr", "", "", 0, 0, "" },
	{ "yardım", H, "tr", "", "", 0, 0, "" },
	{ "BİLGİ 55", D, "tr", "", "", 0, 55, "" },
	{ "TÜRKÇE", L, "tr", "tr", "", 0, 0, "" },
	{ "turkce", L, "tr", "tr", "", 0, 0, "" },
	{ "TURKÇE", L, "tr", "tr", "", 0, 0, "" },
	{ "Türkçe lütfen", L, "tr", "tr", "", 0, 0, "" },
	{ "DİL İNGİLİZCE", L, "tr", "en", "", 0, 0, "" },
	{ "SPOR", I, "tr", "", "sport", 0, 0, "" },
	{ "spor ve doğa", I, "tr", "", "sport,nature", 0, 0, "" },
	{ "İZCİ", I, "tr", "", "scouting", 0, 0, "" },

	/* Somali */
	{ "KU BIIR", J, "so", "", "", 0, 0, "" },
	{ "ku biir ciyaaraha 2004", J, "so", "", "sport", 2004, 0, "" },
	{ "BIIR", J, "so", "", "", 0, 0, "" },
	{ "HAA", C, "so", "", "", 0, 0, "" },
	{ "haa fadlan", C, "so", "", "", 0, 0, "" },
	{ "JOOJI", S, "so", "", "", 0, 0, "" },
	{ "ka bax", S, "so", "", "", 0, 0, "" },
	{ "CAAWI", H, "so", "", "", 0, 0, "" },
	{ "MACLUUMAAD 8", D, "so", "", "", 0, 8, "" },
	{ "SOOMAALI", L, "so", "so", "", 0, 0, "" },
	{ "af soomaali", L, "so", "so", "", 0, 0, "" },
	{ "LUUQADDA SOMALI", L, "so", "so", "", 0, 0, "" },
	{ "DHAQAN", I, "so", "", "culture", 0, 0, "" },

	/* Urdu: Farsi yeh, keheh and heh goal fold to the Arabic letters */
	{ "شامل", J, "ur", "", "", 0, 0, "" },
	{ "شامل ہوں", J, "ur", "", "", 0, 0, "" },
	{ "شامل کھیل ۲۰۰۸", J, "ur", "", "sport", 2008, 0, "" },
	{ "ہاں", C, "ur", "", "", 0, 0, "" },
	{ "جی", C, "ur", "", "", 0, 0, "" },
	{ "بند", S, "ur", "", "", 0, 0, "" },
	{ "بند کرو", S, "ur", "", "", 0, 0, "\u0643\u0631\u0648" },
	{ "مدد", H, "ur", "", "", 0, 0, "" },
	{ "اردو", L, "ur", "ur", "", 0, 0, "" },
	{ "زبان اردو", L, "ur", "ur", "", 0, 0, "" },
	{ "کھیل", I, "ur", "", "sport", 0, 0, "" },
	{ "عربی", L, "ar", "ar", "", 0, 0, "" },
	{ "شکریہ", U, "", "", "", 0, 0, "\u0634\u0643\u0631\u064a\u0647" },

	/* Polish */
	{ "DOŁĄCZ", J, "pl", "", "", 0, 0, "" },
	{ "dolacz", J, "pl", "", "", 0, 0, "" },
	{ "zapisz się sport 2003", J, "pl", "", "sport", 2003, 0, "" },
	{ "Tak, proszę", C, "pl", "", "", 0, 0, "" },
	{ "KONIEC", S, "pl", "", "", 0, 0, "" },
	{ "wypisz mnie", S, "pl", "", "", 0, 0, "mnie" },
	{ "POMOC", H, "pl", "", "", 0, 0, "" },
	{ "SZCZEGÓŁY 31", D, "pl", "", "", 0, 31, "" },
	{ "POLSKI", L, "pl", "pl", "", 0, 0, "" },
	{ "JĘZYK ANGIELSKI", L, "pl", "en", "", 0, 0, "" },
	{ "jezyk polski", L, "pl", "pl", "", 0, 0, "" },
	{ "KULTURA I SPORT", I, "pl", "", "culture,sport", 0, 0, "" },
	{ "przyroda", I, "pl", "", "nature", 0, 0, "" },

	/* more of every language: typing as people do */
	{ "STOP\n", S, "", "", "", 0, 0, "" },
	{ "stop \xf0\x9f\x99\x8f", S, "", "", "", 0, 0, "" },		/* folded hands */
	{ "please unsubscribe me", S, "en", "", "", 0, 0, "me" },
	{ "Stop texting me", S, "", "", "", 0, 0, "texting" },
	{ "Ja  tak!", C, "da", "", "", 0, 0, "" },
	{ "FRIVILLIG  KULTUR   2009", J, "da", "", "culture", 2009, 0, "" },
	{ "frivilig", U, "", "", "", 0, 0, "frivilig" },	/* a typo is not guessed at */
	{ "JOOJI fadlan", S, "so", "", "", 0, 0, "" },
	{ "Haa", C, "so", "", "", 0, 0, "" },
	{ "ISBOORTI", I, "so", "", "sport", 0, 0, "" },
	{ "ku biir carruur 2007", J, "so", "", "children", 2007, 0, "" },
	{ "af soomaali fadlan", L, "so", "so", "", 0, 0, "" },
	{ "TAK!", C, "pl", "", "", 0, 0, "" },
	{ "dołącz dzieci 2006", J, "pl", "", "children", 2006, 0, "" },
	{ "pomoc?", H, "pl", "", "", 0, 0, "" },
	{ "rezygnuję", S, "pl", "", "", 0, 0, "" },
	{ "wiara", I, "pl", "", "faith", 0, 0, "" },
	{ "ہاں جی", C, "ur", "", "", 0, 0, "" },
	{ "زبان انگریزی", L, "ur", "en", "", 0, 0, "" },
	{ "کھیل اور ثقافت", I, "ur", "", "sport,culture", 0, 0, "" },
	{ "اشتراك رياضة ٢٠٠٥", J, "ar", "", "sport", 2005, 0, "" },
	{ "ايقاف", S, "ar", "", "", 0, 0, "" },
	{ "لا أريد", U, "", "", "", 0, 0, "\u0644\u0627" },
	{ "DURDUR", S, "tr", "", "", 0, 0, "" },
	{ "Evet!!", C, "tr", "", "", 0, 0, "" },
	{ "katil cocuk 2008", J, "tr", "", "children", 2008, 0, "" },
	{ "JAZZ koncert i aften", U, "", "", "", 0, 0, "jazz" },
	{ "stopwatch", U, "", "", "", 0, 0, "stopwatch" },

	/* layout and noise */
	{ "", U, "", "", "", 0, 0, "" },
	{ "   ", U, "", "", "", 0, 0, "" },
	{ "?!", U, "", "", "", 0, 0, "" },
	{ "\xff\xfe", U, "", "", "", 0, 0, "" },
	{ "STOP\xff", U, "", "", "", 0, 0, "" },
	{ "\xef\xbc\xb3\xef\xbc\xb4\xef\xbc\xaf\xef\xbc\xb0", S, "", "", "", 0, 0, "" }, /* ＳＴＯＰ */
	{ "STOP\xe2\x80\x8f", S, "", "", "", 0, 0, "" },	/* RLM */
	{ "JA \xf0\x9f\x91\x8d", C, "da", "", "", 0, 0, "" }, /* thumbs up */
	{ "FRIVILLIG\tSPORT\r\n2008", J, "da", "", "sport", 2008, 0, "" },
	{ "frivillig\xc2\xa0sport\xe3\x80\x80natur", J, "da", "", "sport,nature", 0, 0, "" },
	{ "stop-watch", U, "", "", "", 0, 0, "stop-watch" },
};

static void join_interests(const struct keyword_result *r, char *buf, size_t size)
{
	size_t i;

	buf[0] = '\0';
	for (i = 0; i < r->n_interests; i++) {
		assert_non_null(r->interests[i]);
		if (i)
			strncat(buf, ",", size - strlen(buf) - 1);
		strncat(buf, r->interests[i], size - strlen(buf) - 1);
	}
}

static int setup(void **state)
{
	struct keyword_table *t = keyword_table_new();

	if (keyword_table_add_defaults(t) < 0)
		return -1;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	keyword_table_free(*state);
	return 0;
}

static void parse(const struct keyword_table *t, const char *text, struct keyword_result *r)
{
	memset(r, 0x5a, sizeof(*r));
	assert_int_equal(keyword_parse(t, text, strlen(text), r), 0);
}

static void test_messages(void **state)
{
	const struct keyword_table *t = *state;
	size_t i;

	assert_true(sizeof(rows) / sizeof(rows[0]) >= 100);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *w = &rows[i];
		struct keyword_result r;
		char ints[256];

		parse(t, w->text, &r);
		join_interests(&r, ints, sizeof(ints));
		if (r.intent != w->intent || strcmp(r.lang, w->lang) || strcmp(r.target_lang, w->target) ||
		    strcmp(ints, w->interests) || r.birth_year != w->year ||
		    r.opportunity_id != w->id || strcmp(r.unknown_word, w->unknown))
			print_error("row %zu '%s': got %s lang=%s target=%s interests=%s year=%d "
				    "id=%lld unknown=%s\n",
				    i, w->text, keyword_intent_name(r.intent), r.lang, r.target_lang,
				    ints, r.birth_year, r.opportunity_id, r.unknown_word);
		assert_string_equal(keyword_intent_name(r.intent), keyword_intent_name(w->intent));
		assert_string_equal(r.lang, w->lang);
		assert_string_equal(r.target_lang, w->target);
		assert_string_equal(ints, w->interests);
		assert_int_equal(r.birth_year, w->year);
		assert_int_equal(r.opportunity_id, w->id);
		assert_string_equal(r.unknown_word, w->unknown);
	}
}

static void expect_fold(const char *in, const char *want)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_addstr(&sb, "x:");
	assert_int_equal(keyword_fold(in, strlen(in), &sb), 0);
	assert_string_equal(sb.buf + 2, want);
	sbuf_release(&sb);
}

static void test_fold(void **state)
{
	struct sbuf sb = SBUF_INIT;

	(void)state;
	expect_fold("  HJÆLP  ", "hjælp");
	expect_fold("Børn ÆLDRE Århus", "børn ældre arhus");
	expect_fold("TÜRKÇE Doğa İZCİ ışık", "turkce doga izci isik");
	expect_fold("DOŁĄCZ SZCZEGÓŁY", "dolacz szczegoly");
	expect_fold("Straße", "strasse");
	expect_fold("نَعَمْ", "نعم");
	expect_fold("مـسـاعـدة", "مساعده");
	expect_fold("أطفال إلغاء آمن ٱسم", "اطفال الغاء امن اسم");
	expect_fold("ہاں کھیل عربی", "\u0647\u0627\u06ba \u0643\u06be\u064a\u0644 \u0639\u0631\u0628\u064a");
	expect_fold("١٢٣ ۲۰۰۸ ＳＴＯＰ", "123 2008 stop");
	expect_fold("Stop. ...hi!! «ja» ¿qué? ،نعم؟", "stop hi ja que نعم");
	expect_fold("stop-watch e.g. don't", "stop-watch e.g don't");
	expect_fold("a\tb\r\nc\xc2\xa0" "d\xe2\x80\x83" "e\xe3\x80\x80" "f", "a b c d e f");
	expect_fold("ZW\xe2\x80\x8fJ soft\xc2\xadhyphen", "zwj softhyphen");
	expect_fold("JA\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xf0\x9f\x99\x82 :-)", "ja");
	expect_fold("", "");
	expect_fold(" \t ", "");
	/* invalid UTF-8: refused, nothing appended */
	sbuf_addstr(&sb, "keep");
	assert_int_equal(keyword_fold("ok\xc3", 3, &sb), -1);
	assert_int_equal(keyword_fold("\xed\xa0\x80", 3, &sb), -1); /* surrogate */
	assert_int_equal(keyword_fold("\xc0\xaf", 2, &sb), -1);	      /* overlong */
	assert_string_equal(sb.buf, "keep");
	/* len, not NUL, ends the input */
	sbuf_reset(&sb);
	assert_int_equal(keyword_fold("STOP and more", 4, &sb), 0);
	assert_string_equal(sb.buf, "stop");
	sbuf_release(&sb);
}

static void test_table_errors(void **state)
{
	struct keyword_table *t = keyword_table_new();

	(void)state;
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, ""), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, " .! "), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, "BLIV\xff"), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, "a b c d"), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, "2024"), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, NULL), -1);
	assert_int_equal(keyword_table_add(t, "DA", KW_JOIN, "BLIV"), -1);
	assert_int_equal(keyword_table_add(t, "dansk", KW_JOIN, "BLIV"), -1);
	assert_int_equal(keyword_table_add(t, NULL, KW_JOIN, "BLIV"), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_UNKNOWN, "BLIV"), -1);
	assert_int_equal(keyword_table_add(t, "da", KW_INTERESTS, "BLIV"), -1);
	assert_int_equal(keyword_table_add_interest(t, "da", "Sport", "IDRÆT"), -1);
	assert_int_equal(keyword_table_add_interest(t, "da", "", "IDRÆT"), -1);
	assert_int_equal(keyword_table_add_interest(t, "da", NULL, "IDRÆT"), -1);
	assert_int_equal(keyword_table_add_interest(t, "da", "a234567890123456789012345678901b", "X"),
			 -1);
	assert_int_equal(keyword_table_add_language_name(t, "d", "DANSK"), -1);
	/* phrases of up to three words are fine */
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, "meld mig ind"), 0);
	assert_int_equal(keyword_table_add_interest(t, "da", "sport", "IDRÆT"), 0);
	keyword_table_free(t);
	keyword_table_free(NULL);
}

static void test_custom_table(void **state)
{
	struct keyword_table *t = keyword_table_new();
	struct keyword_result r;

	(void)state;
	/* an empty table understands nothing */
	parse(t, "STOP", &r);
	assert_int_equal(r.intent, KW_UNKNOWN);
	assert_string_equal(r.unknown_word, "stop");

	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, "Meld mig ind"), 0);
	assert_int_equal(keyword_table_add(t, "da", KW_STOP, "STOP"), 0);
	assert_int_equal(keyword_table_add_interest(t, "da", "football", "FODBOLD"), 0);
	assert_int_equal(keyword_table_add_language_name(t, "fa", "FARSI"), 0);
	parse(t, "meld  MIG ind fodbold farsi", &r);
	assert_int_equal(r.intent, KW_JOIN);
	assert_string_equal(r.lang, "da");
	assert_string_equal(r.target_lang, "fa");
	assert_int_equal(r.n_interests, 1);
	assert_string_equal(r.interests[0], "football");
	/* "meld" alone is not the phrase */
	parse(t, "meld", &r);
	assert_int_equal(r.intent, KW_UNKNOWN);

	/* the same word for one intent in two languages: ambiguous */
	parse(t, "stop", &r);
	assert_string_equal(r.lang, "da");
	assert_int_equal(keyword_table_add(t, "en", KW_STOP, "stop"), 0);
	parse(t, "stop", &r);
	assert_int_equal(r.intent, KW_STOP);
	assert_string_equal(r.lang, "");
	/* ... and stays ambiguous */
	assert_int_equal(keyword_table_add(t, "da", KW_STOP, "Stop"), 0);
	parse(t, "stop", &r);
	assert_string_equal(r.lang, "");
	keyword_table_free(t);
}

static void test_config_overrides_defaults(void **state)
{
	struct keyword_table *t = keyword_table_new();
	struct keyword_result r;

	(void)state;
	assert_int_equal(keyword_table_add_defaults(t), 0);
	assert_int_equal(keyword_table_add_interest(t, "da", "athletics", "IDRÆT"), 0);
	assert_int_equal(keyword_table_add(t, "da", KW_JOIN, "BLIV"), 0);
	assert_int_equal(keyword_table_add(t, "fa", KW_STOP, "توقف"), 0);
	parse(t, "bliv idræt kultur 2001", &r);
	assert_int_equal(r.intent, KW_JOIN);
	assert_string_equal(r.lang, "da");
	assert_int_equal(r.n_interests, 2);
	assert_string_equal(r.interests[0], "athletics");
	assert_string_equal(r.interests[1], "culture");
	assert_int_equal(r.birth_year, 2001);
	parse(t, "توقف", &r);
	assert_int_equal(r.intent, KW_STOP);
	assert_string_equal(r.lang, "");
	/* defaults added twice change nothing */
	assert_int_equal(keyword_table_add_defaults(t), 0);
	parse(t, "FRIVILLIG", &r);
	assert_string_equal(r.lang, "da");
	keyword_table_free(t);
}

static void test_interest_cap(void **state)
{
	struct keyword_table *t = keyword_table_new();
	struct sbuf msg = SBUF_INIT;
	struct keyword_result r;
	char code[16], word[16];
	int i;

	(void)state;
	assert_int_equal(keyword_table_add(t, "en", KW_JOIN, "JOIN"), 0);
	for (i = 0; i < KEYWORD_MAX_INTERESTS + 4; i++) {
		assert_int_equal(bsnprintf(code, sizeof(code), "c%d", i), 0);
		assert_int_equal(bsnprintf(word, sizeof(word), "word%c", 'a' + i), 0);
		assert_int_equal(keyword_table_add_interest(t, "en", code, word), 0);
		sbuf_addf(&msg, "%s ", word);
	}
	parse(t, msg.buf, &r);
	assert_int_equal(r.intent, KW_INTERESTS);
	assert_int_equal(r.n_interests, KEYWORD_MAX_INTERESTS);
	assert_string_equal(r.interests[KEYWORD_MAX_INTERESTS - 1], "c15");
	sbuf_reset(&msg);
	sbuf_addstr(&msg, "JOIN");
	for (i = 0; i < 200; i++)
		sbuf_addf(&msg, " word%c", 'a' + i % 20);
	parse(t, msg.buf, &r);
	assert_int_equal(r.intent, KW_JOIN);
	assert_int_equal(r.n_interests, KEYWORD_MAX_INTERESTS);
	sbuf_release(&msg);
	keyword_table_free(t);
}

static void test_limits(void **state)
{
	const struct keyword_table *t = *state;
	struct sbuf msg = SBUF_INIT;
	struct keyword_result r;
	int i;

	/* an unknown word is cut to 63 bytes without splitting 'æ' (2 bytes) */
	for (i = 0; i < 50; i++)
		sbuf_addstr(&msg, "æ");
	parse(t, msg.buf, &r);
	assert_int_equal(r.intent, KW_UNKNOWN);
	assert_int_equal(strlen(r.unknown_word), 62);
	assert_memory_equal(r.unknown_word, msg.buf, 62);
	/* a long letter is never a command, even when it ends in STOP */
	sbuf_reset(&msg);
	for (i = 0; i < 500; i++)
		sbuf_addstr(&msg, "bla ");
	sbuf_addstr(&msg, "STOP");
	parse(t, msg.buf, &r);
	assert_int_equal(r.intent, KW_UNKNOWN);
	assert_string_equal(r.unknown_word, "bla");
	/* nor does a long tail of stop words overflow anything */
	sbuf_reset(&msg);
	for (i = 0; i < 100; i++)
		sbuf_addstr(&msg, "stop ");
	parse(t, msg.buf, &r);
	assert_int_equal(r.intent, KW_UNKNOWN);
	/* not NUL-terminated: len decides */
	assert_int_equal(keyword_parse(t, "JA TAK NEJ", 6, &r), 0);
	assert_int_equal(r.intent, KW_CONFIRM);
	assert_int_equal(keyword_parse(t, NULL, 0, &r), 0);
	assert_int_equal(r.intent, KW_UNKNOWN);
	assert_int_equal(keyword_parse(NULL, "STOP", 4, &r), -1);
	assert_int_equal(keyword_parse(t, "STOP", 4, NULL), -1);
	sbuf_release(&msg);
}

static void test_intent_names(void **state)
{
	enum keyword_intent i, back;

	(void)state;
	for (i = KW_UNKNOWN; i <= KW_DETAILS; i++) {
		assert_int_equal(keyword_intent_from_name(keyword_intent_name(i), &back), 0);
		assert_int_equal(back, i);
	}
	assert_string_equal(keyword_intent_name(KW_STOP), "stop");
	assert_string_equal(keyword_intent_name((enum keyword_intent)42), "?");
	assert_int_equal(keyword_intent_from_name("STOP", &back), -1);
	assert_int_equal(keyword_intent_from_name(NULL, &back), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_messages, setup, teardown),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_table_errors),
		cmocka_unit_test(test_custom_table),
		cmocka_unit_test(test_config_overrides_defaults),
		cmocka_unit_test(test_interest_cap),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test(test_intent_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
