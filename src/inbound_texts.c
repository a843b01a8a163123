/* SPDX-License-Identifier: MIT */
/*
 * Built-in replies to inbound SMS, in the seven languages of the
 * specification. Kept apart from the flow so that native speakers can
 * review them. Rules for a text: short (one or two SMS), it says how to
 * leave where it matters, and it must not itself read as a command when a
 * machine echoes it back (tests/unit/test_inbound.c parses every text):
 * never start with a keyword such as FRIVILLIG, JA, STOP or SPROG.
 */
#include "budbringer/inbound.h"

#include <string.h>

struct lang_texts {
	const char *lang;
	const char *confirm;   /* the confirm word the question names */
	const char *name;      /* the language's own name */
	const char *t[IT_COUNT];
};

static const struct lang_texts texts[] = {
	{ "da", "JA", "dansk", {
		[IT_ASK_CONFIRM] = "Tak for din tilmelding til Frivillig i Randers. Svar {confirm} for at "
				   "bekræfte, at du vil have SMS om frivilligjob. Afmeld: STOP",
		[IT_WELCOME] = "Velkommen! Du får nu SMS om frivilligjob i Randers. Skift sprog: SPROG EN. "
			       "Hjælp: HJÆLP. Afmeld: STOP",
		[IT_ALREADY] = "Du er allerede tilmeldt. Dine interesser: {interests}. Afmeld: STOP",
		[IT_STOPPED] = "Du er afmeldt og får ikke flere SMS fra Frivillig i Randers. "
			       "Skriv FRIVILLIG, hvis du vil tilmelde dig igen.",
		[IT_TOO_YOUNG] = "Tak for din interesse! Du skal være mindst {min_age} år for at tilmelde "
				 "dig. Vi har ikke gemt dit nummer til udsendelser.",
		[IT_LANG_SET] = "Sproget er nu {lang_name}.",
		[IT_LANG_LIST] = "Skriv SPROG og en kode: {langs}",
		[IT_INTERESTS] = "Dine interesser: {interests}.",
		[IT_HELP] = "Sådan bruger du Frivillig i Randers: skriv FRIVILLIG (evt. SPORT, KULTUR, "
			    "fødselsår) for at tilmelde dig, INFO og et nummer for detaljer, "
			    "SPROG EN for engelsk, STOP for at afmelde.",
		[IT_NOT_SUBSCRIBED] = "Du er ikke tilmeldt. Skriv FRIVILLIG for at tilmelde dig, "
				      "eller STOP hvis du ikke vil have SMS.",
		[IT_DETAILS] = "{title}. {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "Vi kan ikke finde opgave {id}.",
		[IT_WHEN] = "Hvornår: {when}.",
		[IT_WHERE] = "Hvor: {where}.",
		[IT_EVERYTHING] = "alt",
	} },
	{ "en", "YES", "English", {
		[IT_ASK_CONFIRM] = "Thanks for signing up to Volunteer in Randers. Reply {confirm} to "
				   "confirm that you want texts about volunteering. To leave: STOP",
		[IT_WELCOME] = "Welcome! You will now get texts about volunteering in Randers. "
			       "Language: LANG DA. Help: HELP. To leave: STOP",
		[IT_ALREADY] = "You are already signed up. Your interests: {interests}. To leave: STOP",
		[IT_STOPPED] = "You are unsubscribed and will get no more texts from Volunteer in Randers. "
			       "Text JOIN to sign up again.",
		[IT_TOO_YOUNG] = "Thank you for your interest! You must be at least {min_age} to sign up. "
				 "We have not kept your number for mailings.",
		[IT_LANG_SET] = "Your language is now {lang_name}.",
		[IT_LANG_LIST] = "Text LANG and a code: {langs}",
		[IT_INTERESTS] = "Your interests: {interests}.",
		[IT_HELP] = "How to use Volunteer in Randers: text JOIN (and e.g. SPORT, CULTURE, birth "
			    "year) to sign up, INFO and a number for details, LANG DA for Danish, "
			    "STOP to unsubscribe.",
		[IT_NOT_SUBSCRIBED] = "You are not signed up. Text JOIN to sign up, or STOP if you do not "
				      "want texts.",
		[IT_DETAILS] = "{title}. {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "We cannot find opportunity {id}.",
		[IT_WHEN] = "When: {when}.",
		[IT_WHERE] = "Where: {where}.",
		[IT_EVERYTHING] = "everything",
	} },
	{ "ar", "نعم", "العربية", {
		[IT_ASK_CONFIRM] = "شكرا لتسجيلك في التطوع في راندرس. أرسل {confirm} لتأكيد رغبتك في "
				   "تلقي رسائل عن فرص التطوع. للإلغاء أرسل STOP",
		[IT_WELCOME] = "أهلا بك! ستصلك الآن رسائل عن فرص التطوع في راندرس. للمساعدة أرسل "
			       "مساعدة. للإلغاء أرسل STOP",
		[IT_ALREADY] = "أنت مسجل بالفعل. اهتماماتك: {interests}. للإلغاء أرسل STOP",
		[IT_STOPPED] = "تم إلغاء اشتراكك ولن تصلك رسائل أخرى. للتسجيل من جديد أرسل انضم",
		[IT_TOO_YOUNG] = "شكرا لاهتمامك! يجب أن يكون عمرك {min_age} سنة على الأقل للتسجيل. "
				 "لم نحتفظ برقمك للرسائل.",
		[IT_LANG_SET] = "أصبحت لغتك الآن {lang_name}.",
		[IT_LANG_LIST] = "أرسل لغة ورمز اللغة: {langs}",
		[IT_INTERESTS] = "اهتماماتك: {interests}.",
		[IT_HELP] = "طريقة الاستخدام: أرسل انضم للتسجيل، و INFO مع رقم للتفاصيل، "
			    "و LANG EN للإنجليزية، و STOP للإلغاء.",
		[IT_NOT_SUBSCRIBED] = "أنت غير مسجل. أرسل انضم للتسجيل، أو STOP إذا كنت لا تريد رسائل.",
		[IT_DETAILS] = "{title}. {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "لا نجد الفرصة رقم {id}.",
		[IT_WHEN] = "متى: {when}.",
		[IT_WHERE] = "أين: {where}.",
		[IT_EVERYTHING] = "كل شيء",
	} },
	{ "tr", "EVET", "Türkçe", {
		[IT_ASK_CONFIRM] = "Randers gönüllülük servisine kaydınız için teşekkürler. Gönüllülük "
				   "SMS'leri almak istediğinizi onaylamak için {confirm} yazın. "
				   "Durdurmak için DUR",
		[IT_WELCOME] = "Hoş geldiniz! Artık Randers'teki gönüllülük fırsatları hakkında SMS "
			       "alacaksınız. Yardım: YARDIM. Durdurmak için DUR",
		[IT_ALREADY] = "Zaten kayıtlısınız. İlgi alanlarınız: {interests}. Durdurmak için DUR",
		[IT_STOPPED] = "Aboneliğiniz iptal edildi, artık SMS almayacaksınız. Yeniden kaydolmak "
			       "için KATIL yazın.",
		[IT_TOO_YOUNG] = "İlginiz için teşekkürler! Kaydolmak için en az {min_age} yaşında "
				 "olmalısınız. Numaranızı gönderimler için saklamadık.",
		[IT_LANG_SET] = "Diliniz artık {lang_name}.",
		[IT_LANG_LIST] = "Lütfen DİL ve bir kod yazın: {langs}",
		[IT_INTERESTS] = "İlgi alanlarınız: {interests}.",
		[IT_HELP] = "Kullanım: kaydolmak için KATIL (ve ör. SPOR, KÜLTÜR, doğum yılı), "
			    "ayrıntılar için INFO ve numara, Danca için DİL DA, durdurmak için DUR yazın.",
		[IT_NOT_SUBSCRIBED] = "Kayıtlı değilsiniz. Kaydolmak için KATIL, SMS istemiyorsanız "
				      "DUR yazın.",
		[IT_DETAILS] = "{title}. {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "{id} numaralı fırsatı bulamıyoruz.",
		[IT_WHEN] = "Ne zaman: {when}.",
		[IT_WHERE] = "Nerede: {where}.",
		[IT_EVERYTHING] = "hepsi",
	} },
	{ "so", "HAA", "Soomaali", {
		[IT_ASK_CONFIRM] = "Waad ku mahadsan tahay isdiiwaangelinta Tabarruca Randers. Ku jawaab "
				   "{confirm} si aad u xaqiijiso inaad rabto fariimo ku saabsan "
				   "tabarruca. Joojin: JOOJI",
		[IT_WELCOME] = "Soo dhawoow! Hadda waxaad heli doontaa fariimo ku saabsan fursadaha "
			       "tabarruca ee Randers. Caawimaad: CAAWI. Joojin: JOOJI",
		[IT_ALREADY] = "Horay ayaad isu diiwaangelisay. Xiisahaaga: {interests}. Joojin: JOOJI",
		[IT_STOPPED] = "Waad ka baxday, fariimo kale ma heli doontid. Si aad dib ugu biirto, "
			       "qor KU BIIR.",
		[IT_TOO_YOUNG] = "Waad ku mahadsan tahay xiisahaaga! Waa inaad ugu yaraan {min_age} jir "
				 "tahay si aad isu diiwaangeliso. Lambarkaaga lama kaydin.",
		[IT_LANG_SET] = "Luuqaddaadu hadda waa {lang_name}.",
		[IT_LANG_LIST] = "Qor LUUQAD iyo koodh: {langs}",
		[IT_INTERESTS] = "Xiisahaaga: {interests}.",
		[IT_HELP] = "Sida loo isticmaalo: qor KU BIIR si aad isu diiwaangeliso, INFO iyo lambar "
			    "faahfaahin ahaan, LUUQAD EN Ingiriis, JOOJI si aad uga baxdo.",
		[IT_NOT_SUBSCRIBED] = "Isma aadan diiwaangelin. Qor KU BIIR si aad isu diiwaangeliso, "
				      "ama JOOJI haddii aadan rabin fariimo.",
		[IT_DETAILS] = "{title}. {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "Ma helin fursadda {id}.",
		[IT_WHEN] = "Goorma: {when}.",
		[IT_WHERE] = "Halkee: {where}.",
		[IT_EVERYTHING] = "dhammaan",
	} },
	{ "ur", "ہاں", "اردو", {
		[IT_ASK_CONFIRM] = "رینڈرز میں رضاکاری کے لیے اندراج کا شکریہ۔ رضاکاری کے پیغامات کی "
				   "تصدیق کے لیے {confirm} بھیجیں۔ بند کرنے کے لیے STOP",
		[IT_WELCOME] = "خوش آمدید! اب آپ کو رینڈرز میں رضاکاری کے مواقع کے بارے میں پیغامات "
			       "ملیں گے۔ مدد کے لیے مدد بھیجیں۔ بند کرنے کے لیے STOP",
		[IT_ALREADY] = "آپ پہلے سے رجسٹرڈ ہیں۔ آپ کی دلچسپیاں: {interests}۔ بند کرنے کے لیے STOP",
		[IT_STOPPED] = "آپ کی رکنیت ختم کر دی گئی ہے، اب آپ کو مزید پیغامات نہیں ملیں گے۔ "
			       "دوبارہ شامل ہونے کے لیے شامل بھیجیں۔",
		[IT_TOO_YOUNG] = "آپ کی دلچسپی کا شکریہ! اندراج کے لیے آپ کی عمر کم از کم {min_age} سال "
				 "ہونی چاہیے۔ ہم نے آپ کا نمبر محفوظ نہیں کیا۔",
		[IT_LANG_SET] = "آپ کی زبان اب {lang_name} ہے۔",
		[IT_LANG_LIST] = "اپنی زبان بدلنے کے لیے زبان اور کوڈ بھیجیں: {langs}",
		[IT_INTERESTS] = "آپ کی دلچسپیاں: {interests}۔",
		[IT_HELP] = "استعمال کا طریقہ: اندراج کے لیے شامل بھیجیں، تفصیل کے لیے INFO اور نمبر، "
			    "انگریزی کے لیے زبان EN، بند کرنے کے لیے STOP۔",
		[IT_NOT_SUBSCRIBED] = "آپ رجسٹرڈ نہیں ہیں۔ اندراج کے لیے شامل بھیجیں، یا STOP اگر آپ "
				      "پیغامات نہیں چاہتے۔",
		[IT_DETAILS] = "{title}۔ {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "ہمیں موقع نمبر {id} نہیں ملا۔",
		[IT_WHEN] = "کب: {when}۔",
		[IT_WHERE] = "کہاں: {where}۔",
		[IT_EVERYTHING] = "سب کچھ",
	} },
	{ "pl", "TAK", "polski", {
		[IT_ASK_CONFIRM] = "Dziękujemy za zapis do wolontariatu w Randers. Odpowiedz {confirm}, "
				   "aby potwierdzić, że chcesz otrzymywać SMS-y. Rezygnacja: STOP",
		[IT_WELCOME] = "Witamy! Będziesz teraz otrzymywać SMS-y o wolontariacie w Randers. "
			       "Pomoc: POMOC. Rezygnacja: STOP",
		[IT_ALREADY] = "Jesteś już zapisany. Twoje zainteresowania: {interests}. Rezygnacja: STOP",
		[IT_STOPPED] = "Wypisano Cię i nie otrzymasz więcej SMS-ów. Aby zapisać się ponownie, "
			       "wyślij DOŁĄCZ.",
		[IT_TOO_YOUNG] = "Dziękujemy za zainteresowanie! Aby się zapisać, musisz mieć co najmniej "
				 "{min_age} lat. Nie zachowaliśmy Twojego numeru.",
		[IT_LANG_SET] = "Twój język to teraz {lang_name}.",
		[IT_LANG_LIST] = "Wyślij JĘZYK i kod: {langs}",
		[IT_INTERESTS] = "Twoje zainteresowania: {interests}.",
		[IT_HELP] = "Jak korzystać: wyślij DOŁĄCZ, aby się zapisać, INFO i numer, aby zobaczyć "
			    "szczegóły, JĘZYK EN dla angielskiego, STOP, aby zrezygnować.",
		[IT_NOT_SUBSCRIBED] = "Nie jesteś zapisany. Wyślij DOŁĄCZ, aby się zapisać, lub STOP, "
				      "jeśli nie chcesz SMS-ów.",
		[IT_DETAILS] = "{title}. {when} {where} {url}",
		[IT_NO_OPPORTUNITY] = "Nie znaleźliśmy oferty {id}.",
		[IT_WHEN] = "Kiedy: {when}.",
		[IT_WHERE] = "Gdzie: {where}.",
		[IT_EVERYTHING] = "wszystko",
	} },
};

#define N_TEXTS (sizeof(texts) / sizeof(texts[0]))

static const char *const text_langs[] = { "da", "en", "ar", "tr", "so", "ur", "pl", NULL };

/* Names of other languages a municipality is likely to configure. */
static const struct {
	const char *code, *name;
} other_names[] = {
	{ "fa", "فارسی" }, { "uk", "українська" }, { "de", "Deutsch" }, { "fr", "français" },
	{ "es", "español" }, { "ru", "русский" }, { "ti", "ትግርኛ" }, { "ps", "پښتو" },
	{ "ku", "Kurdî" }, { "sv", "svenska" }, { "no", "norsk" }, { "ro", "română" },
	{ "lt", "lietuvių" }, { "bs", "bosanski" }, { "vi", "Tiếng Việt" }, { "th", "ไทย" },
};

static const char *const text_names[IT_COUNT] = {
	[IT_NONE] = "none", [IT_ASK_CONFIRM] = "ask_confirm", [IT_WELCOME] = "welcome",
	[IT_ALREADY] = "already", [IT_STOPPED] = "stopped", [IT_TOO_YOUNG] = "too_young",
	[IT_LANG_SET] = "lang_set", [IT_LANG_LIST] = "lang_list", [IT_INTERESTS] = "interests",
	[IT_HELP] = "help", [IT_NOT_SUBSCRIBED] = "not_subscribed", [IT_DETAILS] = "details",
	[IT_NO_OPPORTUNITY] = "no_opportunity", [IT_WHEN] = "when", [IT_WHERE] = "where",
	[IT_EVERYTHING] = "everything",
};

static const struct lang_texts *find(const char *lang)
{
	for (size_t i = 0; lang && i < N_TEXTS; i++)
		if (!strcmp(texts[i].lang, lang))
			return &texts[i];
	return NULL;
}

const char *const *inbound_text_langs(void)
{
	return text_langs;
}

const char *inbound_text_get(enum inbound_text id, const char *lang)
{
	const struct lang_texts *lt = find(lang);

	if (!lt || id <= IT_NONE || id >= IT_COUNT)
		return NULL;
	return lt->t[id];
}

const char *inbound_text_name(enum inbound_text id)
{
	return id >= IT_NONE && id < IT_COUNT ? text_names[id] : "?";
}

const char *inbound_confirm_word(const char *lang)
{
	const struct lang_texts *lt = find(lang);

	return lt ? lt->confirm : "YES";
}

const char *inbound_lang_name(const char *code)
{
	const struct lang_texts *lt = find(code);

	if (lt)
		return lt->name;
	for (size_t i = 0; code && i < sizeof(other_names) / sizeof(other_names[0]); i++)
		if (!strcmp(other_names[i].code, code))
			return other_names[i].name;
	return code ? code : "";
}

static const char *value_of(const struct inbound_text_values *v, const char *name, size_t len)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
#define F(n) { #n, offsetof(struct inbound_text_values, n) }
		F(confirm), F(min_age), F(lang_name), F(langs), F(interests),
		F(title), F(when), F(where), F(url), F(id),
#undef F
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strlen(fields[i].name) == len && !memcmp(fields[i].name, name, len)) {
			const char *const *p =
				(const char *const *)(const void *)((const char *)v + fields[i].off);
			return *p ? *p : "";
		}
	}
	return NULL;
}

int inbound_text_render(enum inbound_text id, const char *lang,
			const struct inbound_text_values *v, struct sbuf *out)
{
	static const struct inbound_text_values none;
	const char *t = inbound_text_get(id, lang), *p;

	if (!t)
		return -1;
	if (!v)
		v = &none;
	for (p = t; *p;) {
		const char *close = *p == '{' ? strchr(p, '}') : NULL;
		const char *val = close ? value_of(v, p + 1, (size_t)(close - p - 1)) : NULL;

		if (val) {
			sbuf_addstr(out, val);
			p = close + 1;
		} else {
			sbuf_addch(out, *p++);
		}
	}
	return 0;
}
