//! A bilingual glossary of what leads ask businesses about, so an Arabic question meets an English
//! passage and the other way round: each concept lists English words (stemmed when read), Arabic
//! words in their dialect spellings (normalised when read) and Arabizi spellings. Also the function
//! words a search ignores.

use super::{english_stem, strip_prefix};
use crate::text::{Kind, tokenize};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// A meaning shared by words of both languages.
#[derive(Debug)]
pub(crate) struct Concept {
    /// The term suffix (`cx` + name).
    pub(crate) name: &'static str,
    /// Weight of a question word with this meaning: 1 specific, 0.5 generic, 0 a pure signal.
    pub(crate) weight: f32,
    /// Whether the question asks for a figure (price, time, count, duration).
    pub(crate) figure: bool,
    /// A broader meaning a passage word also stands for ("weeks" is a duration).
    pub(crate) broader: Option<&'static str>,
    /// Words with this meaning.
    forms: &'static [&'static str],
}

const fn c(
    name: &'static str,
    weight: f32,
    figure: bool,
    forms: &'static [&'static str],
) -> Concept {
    Concept {
        name,
        weight,
        figure,
        broader: None,
        forms,
    }
}

const fn span(name: &'static str, forms: &'static [&'static str]) -> Concept {
    Concept {
        name,
        weight: 0.5,
        figure: true,
        broader: Some("duration"),
        forms,
    }
}

/// The glossary. Generic words (price, when, where) weigh half: they say what kind of answer is
/// wanted, not which passage has it.
static CONCEPTS: &[Concept] = &[
    c("price", 0.5, true, &[
        "price", "prices", "pricing", "cost", "costs", "fee", "fees", "charge", "charges", "tuition",
        "rate", "rates", "tariff", "much", "سعر", "اسعار", "السعر", "الاسعار", "تكلفه", "تكلفة", "كلفه",
        "رسوم", "بكم", "قيمه", "ثمن", "si3r", "s3r", "as3ar", "bkam", "b kam", "2addesh", "addesh",
        "adesh", "2adesh", "2adaish", "kam", "bikam",
    ]),
    c("howmany", 0.0, true, &["many", "كم", "قديش", "اديش", "كام"]),
    c("when", 0.5, true, &["when", "متى", "امتى", "emta", "meta", "ايمتى", "امتا"]),
    c("hours", 0.5, true, &[
        "hours", "hour", "open", "opening", "close", "closing", "timing", "timings", "time", "times",
        "دوام", "الدوام", "مواعيد", "موعيد", "تفتحون", "تفتحوا", "يفتح", "مفتوح", "تسكرون", "تقفلون",
        "ساعات", "ساعه", "الساعه", "وقت", "اوقات", "sa3a", "dawam",
    ]),
    c("place", 0.5, false, &[
        "where", "address", "location", "located", "office", "branch", "branches", "showroom",
        "وين", "فين", "مكان", "مكانكم", "عنوان", "موقع", "مكتب", "فرع", "فروع", "معرض", "معارض",
        "ween", "wen", "fein", "makan",
    ]),
    c("phone", 0.7, true, &[
        "number", "phone", "call", "contact", "hotline", "whatsapp", "رقم", "الرقم", "تلفون", "هاتف",
        "جوال", "اتصال", "واتساب", "ra8am", "rakam",
    ]),
    c("warranty", 1.0, true, &["warranty", "guarantee", "ضمان", "كفاله"]),
    span("year", &["year", "years", "yearly", "annual", "annually", "سنه", "سنوات", "سنين", "سنويا", "سنوي", "عام", "sana", "sneen"]),
    span("month", &["month", "months", "monthly", "شهر", "اشهر", "شهور", "شهري", "شهريا", "shahr"]),
    span("week", &["week", "weeks", "اسبوع", "اسابيع", "usbu3"]),
    c("duration", 0.5, true, &["long", "duration", "period", "مده", "المده", "طول", "كم يوم"]),
    span("day", &["day", "days", "يوم", "ايام", "اليوم", "yom", "youm"]),
    c("instalment", 1.0, false, &[
        "instalment", "instalments", "installment", "installments", "tabby", "tamara", "تقسيط",
        "اقسط", "قسط", "اقساط", "تقسط", "ta2seet", "taqseet", "2sat",
    ]),
    c("finance", 1.0, false, &["finance", "financing", "loan", "mortgage", "تمويل", "تمولون", "قرض", "tamweel"]),
    c("interest", 1.0, true, &["interest", "profit", "apr", "فايده", "فائده", "فوايد", "فوائد", "ربح", "مرابحه", "fayda"]),
    c("downpayment", 1.0, true, &["down", "upfront", "دفعه", "الدفعه", "مقدم", "مقدمه"]),
    c("deposit", 1.0, true, &["deposit", "booking", "reservation", "reserve", "عربون", "حجز", "احجز", "عربون"]),
    c("bank", 1.0, false, &["bank", "banks", "بنك", "بنوك", "مصرف", "مصارف", "bank"]),
    c("cash", 1.0, false, &["cash", "كاش", "نقد", "نقدا", "نقدي", "kash"]),
    c("discount", 1.0, true, &["discount", "discounts", "offer", "offers", "promotion", "خصم", "تخفيض", "عرض", "عروض", "5asm", "khasm"]),
    c("commission", 1.0, true, &["commission", "عموله", "عمولتكم", "سعي"]),
    c("sell", 0.7, false, &["sell", "selling", "resale", "ابيع", "ابيعها", "بيع", "يبيع"]),
    c("rent", 1.0, false, &["rent", "rental", "lease", "leasing", "ايجار", "اجار", "تاجير", "استئجار", "ijar"]),
    c("apartment", 1.0, false, &["apartment", "apartments", "flat", "flats", "شقه", "شقق", "sha2a", "shaqa"]),
    c("villa", 1.0, false, &["villa", "villas", "فيلا", "فلل", "فله", "فيله"]),
    c("land", 1.0, false, &["land", "plot", "plots", "ارض", "اراضي", "قطعه"]),
    c("sqm", 1.0, true, &["sqm", "m2", "m²", "meter", "metre", "square", "متر", "مربع", "meter"]),
    c("bedroom", 1.0, false, &["bedroom", "bedrooms", "room", "rooms", "bhk", "br", "غرفه", "غرف", "اوضه", "اوض", "ghorfa"]),
    c("pool", 1.0, true, &["pool", "swimming", "مسبح", "حوض", "بركه"]),
    c("insurance", 1.0, false, &["insurance", "insurer", "تامين", "التامين", "ta2meen"]),
    c("emergency", 1.0, false, &["emergency", "urgent", "طوارئ", "طوارى", "طارئ", "طارئه", "mosta3jal"]),
    c("night", 0.7, false, &["night", "late", "ليل", "الليل", "بالليل", "lail", "leil"]),
    c("cancel", 1.0, false, &["cancel", "cancellation", "reschedule", "الغاء", "الغي", "كنسل", "الغيت", "cancel"]),
    c("noshow", 1.0, true, &["show", "miss", "missed", "fine", "penalty", "غرامه", "احضر", "حضرت", "غياب"]),
    c("child", 1.0, false, &[
        "child", "children", "kid", "kids", "son", "daughter", "paediatric", "pediatric", "اطفال",
        "طفل", "ولدي", "بنتي", "عيالي", "اولاد", "ibni", "weldi",
    ]),
    c("doctor", 1.0, false, &["doctor", "dentist", "dr", "physician", "دكتور", "دكتوره", "طبيب", "طبيبه", "دكاتره", "doktor"]),
    c("woman", 1.0, false, &["woman", "women", "female", "ladies", "lady", "نساء", "سيدات", "بنات", "للبنات", "امراه", "حريم"]),
    c("clean", 1.0, false, &["clean", "cleaning", "scaling", "polish", "polishing", "تنظيف", "تلميع", "جير", "ينظف", "نظافه", "tanzeef"]),
    c("whiten", 1.0, false, &["whitening", "whiten", "bleaching", "تبييض", "tabyeed"]),
    c("implant", 1.0, false, &["implant", "implants", "زراعه", "زرعه"]),
    c("braces", 1.0, false, &["braces", "orthodontic", "orthodontics", "aligner", "aligners", "تقويم"]),
    c("tooth", 1.0, false, &["tooth", "teeth", "dental", "سن", "اسنان", "ضرس", "sinn"]),
    c("ac", 1.0, false, &["ac", "aircon", "conditioner", "conditioning", "split", "مكيف", "مكيفات", "تكييف", "mokayef", "mkayef", "mukayyif"]),
    c("gas", 1.0, false, &["gas", "refrigerant", "غاز", "فريون", "freon"]),
    c("water", 1.0, false, &["water", "ماء", "مويه", "مي", "الميه", "moya"]),
    c("heater", 1.0, false, &["heater", "heaters", "boiler", "سخان", "سخانات"]),
    c("replace", 0.7, false, &["replace", "replacement", "change", "تغيير", "تبديل", "غير", "taghyeer"]),
    c("install", 0.7, false, &["install", "installation", "fitting", "supply", "تركيب", "تركب", "تركبون", "tarkeeb"]),
    c("repair", 0.7, false, &["repair", "fix", "broken", "breaks", "تصليح", "اصلاح", "خراب", "خربان", "عطل", "tasleeh"]),
    c("maintenance", 0.7, false, &["maintenance", "service", "servicing", "صيانه", "سيرفس", "seyana", "siyana"]),
    c("technician", 1.0, false, &["technician", "engineer", "فني", "الفني", "فنيين", "مهندس"]),
    c("sameday", 1.0, false, &["same", "today", "نفس", "الحين", "اليوم"]),
    c("car", 0.7, false, &["car", "cars", "vehicle", "vehicles", "سياره", "سيارات", "عربيه", "sayyara", "3arabeya"]),
    c("delivery", 1.0, true, &["delivery", "deliver", "receive", "handover", "استلام", "استلم", "توصيل", "تسليم", "tasleem"]),
    c("pickup", 1.0, true, &["pickup", "pick", "collect", "collection", "drop", "تاخذون", "تاخذوا", "توصلون", "البيت", "بيت"]),
    c("salary", 1.0, true, &["salary", "income", "راتب", "الراتب", "معاش", "دخل", "ratib"]),
    c("km", 1.0, true, &["km", "kilometre", "kilometer", "kilometres", "mileage", "كيلو"]),
    c("kwh", 1.0, true, &["kwh", "kw", "kilowatt", "واط", "كيلوواط"]),
    c("student", 1.0, false, &["student", "students", "طالب", "طلاب", "الطلاب", "تلاميذ"]),
    c("class", 1.0, false, &["class", "classes", "group", "صف", "فصل", "شعبه", "كلاس"]),
    c("course", 1.0, false, &["course", "courses", "program", "programme", "دوره", "دورات", "كورس", "كورسات"]),
    c("private", 1.0, false, &["private", "individual", "خصوصي", "خاص", "فردي"]),
    c("job", 1.0, true, &["job", "jobs", "employment", "employed", "placement", "hired", "hire", "توظيف", "يتوظفون", "وظيفه", "وظايف", "شغل"]),
    c("scholarship", 1.0, true, &["scholarship", "scholarships", "grant", "منحه", "منح"]),
    c("staff", 1.0, false, &["staff", "employees", "team", "corporate", "company", "موظفين", "موظفينا", "شركه", "شركات"]),
    c("university", 1.0, false, &["university", "universities", "admission", "admissions", "college", "جامعه", "جامعات", "قبول", "jam3a"]),
    c("battery", 1.0, false, &["battery", "batteries", "storage", "بطاريه", "بطاريات"]),
    c("panel", 1.0, false, &["panel", "panels", "module", "modules", "الواح", "لوح", "الالواح", "الواحكم"]),
    c("inverter", 1.0, false, &["inverter", "انفرتر", "عاكس"]),
    c("survey", 1.0, true, &["survey", "inspection", "visit", "assessment", "معاينه", "زياره", "كشف"]),
    c("free", 1.0, false, &["free", "complimentary", "ببلاش", "مجاني", "مجانا", "مجانيه", "ببلاش", "balash"]),
    c("dust", 1.0, false, &["dust", "dusty", "sand", "غبار", "تراب"]),
    c("payback", 1.0, true, &["payback", "pays", "return", "roi", "يرجع", "استرداد", "توفير"]),
    c("electric", 1.0, false, &["electric", "electricity", "bill", "كهرباء", "فاتوره"]),
    c("friday", 1.0, false, &["friday", "fri", "جمعه", "الجمعه"]),
    c("saturday", 1.0, false, &["saturday", "sat", "سبت", "السبت"]),
    c("sunday", 1.0, false, &["sunday", "احد", "الاحد"]),
    c("thursday", 1.0, false, &["thursday", "خميس", "الخميس"]),
    c("pet", 1.0, false, &["pet", "pets", "cat", "dog", "حيوان", "حيوانات", "قطه", "كلب"]),
    c("parking", 1.0, false, &["parking", "garage", "مواقف", "موقف", "باركنج"]),
    c("size", 0.7, true, &["size", "area", "big", "مساحه", "حجم"]),
    c("ready", 1.0, false, &["ready", "stock", "available", "availability", "جاهز", "جاهزه", "متوفر", "متوفره", "متاح"]),
];

/// Words a search ignores in both languages: they say nothing about which passage answers.
static STOP: &[&str] = &[
    "a", "an", "the", "is", "are", "was", "be", "do", "does", "did", "you", "your", "yours", "u", "ur",
    "i", "im", "me", "my", "we", "our", "us", "to", "of", "in", "on", "for", "with", "and", "or", "any",
    "there", "what", "whats", "which", "how", "can", "could", "it", "its", "this", "that", "these",
    "those", "have", "has", "had", "if", "at", "from", "by", "pls", "plz", "please", "guys", "hi",
    "hello", "get", "got", "want", "wanna", "need", "would", "like", "will", "about", "tell", "know",
    "much", "many", "so", "also", "just", "some", "much", "ok", "okay", "thanks", "thank", "again",
    "after", "before", "each", "per", "am", "pm", "sir", "madam", "than", "then", "they", "them",
    "he", "she", "his", "her", "who", "why", "up", "out", "into", "all", "ya", "el", "al",
    "في", "من", "على", "علي", "الى", "الي", "عن", "هل", "انا", "انت", "انتم", "عندكم", "عندك",
    "عندي", "لو", "اذا", "يا", "او", "ما", "هذا", "هذي", "هذه", "اللي", "الي", "شو", "وش", "ايش",
    "اش", "ابي", "ابغى", "ابغي", "ودي", "بدي", "عشان", "مع", "كل", "فيه", "فيها", "في", "حق",
    "حقكم", "تبعكم", "منكم", "عليه", "بس", "لي", "لكم", "هو", "هي", "احنا", "نحن", "كيف", "ليش",
    "لا", "نعم", "اي", "ايه", "شي", "شيء", "او", "غيره", "بالضبط", "يعني", "طيب", "السلام",
    "عليكم", "مرحبا", "اهلا", "لو", "سمحت", "عليّ", "تسوون", "عندهم", "يكون", "كان", "الا",
    "اريد", "حاب", "ممكن", "تقدرون", "تقدر", "ولا", "bdi", "3andkom", "3ndkm", "fi", "fe", "ana",
    "ma3", "mn", "men", "3ala", "lel", "la", "bi", "b", "w", "wla", "shu", "sho", "esh", "eh",
];

/// Every glossary form under its normalised spellings.
pub(crate) fn build() -> HashMap<String, &'static Concept> {
    let mut map = HashMap::new();
    for concept in CONCEPTS {
        for form in concept.forms {
            for key in spellings(form) {
                map.entry(key).or_insert(concept);
            }
        }
    }
    map
}

/// The normalised spellings a form is looked up under: the tokenizer's form, the English stem of
/// a Latin word, the Arabic word without its prefix.
fn spellings(form: &str) -> Vec<String> {
    let mut out = Vec::new();
    let tokens = tokenize(form);
    let norm: String = tokens
        .iter()
        .filter(|t| !matches!(t.kind, Kind::Punct(_)))
        .map(|t| t.norm.as_str())
        .collect::<Vec<_>>()
        .join("");
    if norm.is_empty() {
        return out;
    }
    if norm.is_ascii() {
        out.push(english_stem(&norm));
    } else {
        out.push(strip_prefix(&norm).to_owned());
    }
    out.push(norm);
    out
}

/// The concept a normalised word (or its stem) stands for.
pub(crate) fn lookup(word: &str) -> Option<&'static Concept> {
    super::forms().get(word).copied()
}

fn stops() -> &'static HashSet<String> {
    static STOPS: OnceLock<HashSet<String>> = OnceLock::new();
    STOPS.get_or_init(|| {
        STOP.iter()
            .flat_map(|w| {
                tokenize(w)
                    .into_iter()
                    .map(|t| t.norm)
                    .collect::<Vec<_>>()
            })
            .collect()
    })
}

/// Whether a normalised word is a function word.
pub(crate) fn is_stop(word: &str) -> bool {
    stops().contains(word)
}
