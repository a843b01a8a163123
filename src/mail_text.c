/* SPDX-License-Identifier: MIT */
/* Fixed words of the email channel, per language (see mail_text.h). */
#include "budbringer/mail_text.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

struct lang_texts {
	const char *lang;
	const char *t[MAIL_T_COUNT];
};

/* English first: it is the fallback. */
static const struct lang_texts texts[] = {
	{ "en", {
		"Read more", "Unsubscribe", "Confirm",
		"Please confirm your subscription",
		"Someone (hopefully you) signed up this email address for news about "
		"volunteering. Open the link to confirm:",
		"If it was not you, ignore this email and you will hear no more from us.",
		"Do you want to stop receiving emails about volunteering?",
		"You are unsubscribed. You will receive no more emails from us.",
		"Thank you! Your email address is confirmed.",
		"This link is not valid.",
		"This link has expired. Please sign up again.",
		"Do you want to receive emails from us about volunteering opportunities?",
	} },
	{ "da", {
		"Læs mere", "Afmeld", "Bekræft",
		"Bekræft din tilmelding",
		"Nogen (forhåbentlig dig) har tilmeldt denne e-mailadresse til nyheder om "
		"frivilligt arbejde. Åbn linket for at bekræfte:",
		"Var det ikke dig, kan du se bort fra denne e-mail. Så hører du ikke mere fra os.",
		"Vil du afmelde e-mails om frivilligt arbejde?",
		"Du er afmeldt. Du får ikke flere e-mails fra os.",
		"Tak! Din e-mailadresse er bekræftet.",
		"Linket er ikke gyldigt.",
		"Linket er udløbet. Tilmeld dig venligst igen.",
		"Vil du modtage e-mails fra os om frivilligt arbejde?",
	} },
	{ "ar", {
		"اقرأ المزيد", "إلغاء الاشتراك", "تأكيد",
		"يرجى تأكيد اشتراكك",
		"تم تسجيل عنوان البريد الإلكتروني هذا لتلقي أخبار العمل التطوعي. افتح الرابط للتأكيد:",
		"إذا لم تكن أنت، فتجاهل هذه الرسالة ولن تصلك منا رسائل أخرى.",
		"هل تريد التوقف عن تلقي رسائل البريد الإلكتروني حول العمل التطوعي؟",
		"تم إلغاء اشتراكك. لن تتلقى المزيد من الرسائل منا.",
		"شكرًا! تم تأكيد عنوان بريدك الإلكتروني.",
		"هذا الرابط غير صالح.",
		"انتهت صلاحية هذا الرابط. يرجى التسجيل مرة أخرى.",
		"هل تريد أن تتلقى منا رسائل بريد إلكتروني حول فرص العمل التطوعي؟",
	} },
	{ "tr", {
		"Devamını oku", "Abonelikten çık", "Onayla",
		"Lütfen aboneliğinizi onaylayın",
		"Bu e-posta adresi gönüllülük haberleri için kaydedildi. Onaylamak için "
		"bağlantıyı açın:",
		"Siz değilseniz bu e-postayı dikkate almayın; bizden başka e-posta almayacaksınız.",
		"Gönüllülükle ilgili e-postaları almayı durdurmak istiyor musunuz?",
		"Aboneliğiniz iptal edildi. Bizden başka e-posta almayacaksınız.",
		"Teşekkürler! E-posta adresiniz onaylandı.",
		"Bu bağlantı geçerli değil.",
		"Bu bağlantının süresi doldu. Lütfen yeniden kaydolun.",
		"Gönüllülük fırsatları hakkında bizden e-posta almak istiyor musunuz?",
	} },
	{ "so", {
		"Wax badan akhri", "Iska diiwaan bax", "Xaqiiji",
		"Fadlan xaqiiji diiwaangelintaada",
		"Ciwaankan iimaylka ah waxaa loo diiwaangeliyay war ku saabsan shaqada "
		"tabarucaadka. Fur xiriirka si aad u xaqiijiso:",
		"Haddii aysan adiga ahayn, iska indha tir iimaylkan.",
		"Ma rabtaa inaad joojiso helitaanka iimaylada ku saabsan tabarucaadka?",
		"Waa lagaa saaray. Iimayl kale nagama heli doontid.",
		"Mahadsanid! Ciwaanka iimaylkaaga waa la xaqiijiyay.",
		"Xiriirkani ma shaqeynayo.",
		"Xiriirkan wuu dhacay. Fadlan mar kale is diiwaangeli.",
		"Ma rabtaa inaad naga hesho iimaylo ku saabsan fursadaha shaqada tabarucaadka?",
	} },
	{ "ur", {
		"مزید پڑھیں", "رکنیت ختم کریں", "تصدیق کریں",
		"براہ کرم اپنی رکنیت کی تصدیق کریں",
		"اس ای میل پتے کو رضاکارانہ کام کی خبروں کے لیے رجسٹر کیا گیا ہے۔ تصدیق کے لیے لنک کھولیں:",
		"اگر یہ آپ نہیں تھے تو اس ای میل کو نظر انداز کریں۔",
		"کیا آپ رضاکارانہ کام کے بارے میں ای میلز وصول کرنا بند کرنا چاہتے ہیں؟",
		"آپ کی رکنیت ختم ہو گئی ہے۔ آپ کو ہم سے مزید ای میلز نہیں ملیں گی۔",
		"شکریہ! آپ کے ای میل پتے کی تصدیق ہو گئی ہے۔",
		"یہ لنک درست نہیں ہے۔",
		"اس لنک کی میعاد ختم ہو گئی ہے۔ براہ کرم دوبارہ رجسٹر کریں۔",
		"کیا آپ ہم سے رضاکارانہ کام کے مواقع کے بارے میں ای میلز وصول کرنا چاہتے ہیں؟",
	} },
	{ "pl", {
		"Czytaj więcej", "Wypisz się", "Potwierdź",
		"Potwierdź swoją subskrypcję",
		"Ten adres e-mail został zapisany na wiadomości o wolontariacie. Otwórz link, "
		"aby potwierdzić:",
		"Jeśli to nie Ty, zignoruj tę wiadomość – nie otrzymasz od nas nic więcej.",
		"Czy chcesz przestać otrzymywać e-maile o wolontariacie?",
		"Wypisano Cię. Nie otrzymasz od nas więcej e-maili.",
		"Dziękujemy! Twój adres e-mail został potwierdzony.",
		"Ten link jest nieprawidłowy.",
		"Ten link wygasł. Zapisz się ponownie.",
		"Czy chcesz otrzymywać od nas e-maile o możliwościach wolontariatu?",
	} },
	{ "fa", {
		"بیشتر بخوانید", "لغو اشتراک", "تأیید",
		"لطفاً اشتراک خود را تأیید کنید",
		"این نشانی ایمیل برای دریافت اخبار کار داوطلبانه ثبت شده است. برای تأیید، پیوند را باز کنید:",
		"اگر شما نبودید، این ایمیل را نادیده بگیرید.",
		"آیا می‌خواهید دریافت ایمیل‌های مربوط به کار داوطلبانه را متوقف کنید؟",
		"اشتراک شما لغو شد. دیگر ایمیلی از ما دریافت نخواهید کرد.",
		"سپاس! نشانی ایمیل شما تأیید شد.",
		"این پیوند معتبر نیست.",
		"این پیوند منقضی شده است. لطفاً دوباره ثبت‌نام کنید.",
		"آیا می‌خواهید از ما ایمیل‌هایی درباره فرصت‌های کار داوطلبانه دریافت کنید؟",
	} },
	{ "uk", {
		"Детальніше", "Відписатися", "Підтвердити",
		"Підтвердьте свою підписку",
		"Цю адресу електронної пошти підписано на новини про волонтерство. Відкрийте "
		"посилання, щоб підтвердити:",
		"Якщо це були не ви, просто проігноруйте цей лист.",
		"Бажаєте більше не отримувати листи про волонтерство?",
		"Вас відписано. Ви більше не отримуватимете від нас листів.",
		"Дякуємо! Вашу адресу електронної пошти підтверджено.",
		"Це посилання недійсне.",
		"Термін дії посилання минув. Будь ласка, підпишіться знову.",
		"Бажаєте отримувати від нас листи про можливості волонтерства?",
	} },
};

static const struct lang_texts *find(const char *lang)
{
	if (!lang)
		return NULL;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if (!strcasecmp(texts[i].lang, lang))
			return &texts[i];
	return NULL;
}

const char *mail_text(const char *lang, enum mail_text_id id)
{
	const struct lang_texts *lt = find(lang);

	if ((unsigned)id >= MAIL_T_COUNT)
		return "";
	if (!lt)
		lt = &texts[0];
	return lt->t[id];
}

bool mail_text_has_lang(const char *lang)
{
	return find(lang) != NULL;
}

bool mail_lang_is_rtl(const char *lang)
{
	static const char *const rtl[] = { "ar", "fa", "he", "ur", "ps", "yi", "ckb", "sd", "ug" };
	size_t n;

	if (!lang)
		return false;
	n = strcspn(lang, "-_");
	for (size_t i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
		if (strlen(rtl[i]) == n && !strncasecmp(lang, rtl[i], n))
			return true;
	return false;
}
