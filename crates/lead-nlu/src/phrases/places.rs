//! Cities of the Gulf, Egypt and the Levant in every spelling, and the prepositions that say whose place it is.

use super::{Phrases, add};
use crate::lexicon::Concept;

/// Gives the location field a canonical city name and tells where the lead lives from where they move to.
pub(super) fn places(v: &mut Phrases) {
    add(
        v,
        Concept::City("Riyadh"),
        &[
            "riyadh",
            "riyad",
            "ryadh",
            "riadh",
            "riyath",
            "ar riyadh",
            "al riyadh",
            "el riyadh",
            "الرياض",
            "رياض",
            "olaya",
            "al olaya",
            "حي العليا",
            "malqa",
            "al malqa",
            "الملقا",
            "al yasmin",
            "الياسمين",
            "sulaimaniyah",
            "السليمانيه",
            "hittin",
            "حطين",
            "narjis",
            "النرجس",
            "sahafa",
            "حي الصحافه",
            "kafd",
            "diplomatic quarter",
            "حي السفارات",
            "al nakheel riyadh",
            "الربوة",
            "الملز",
            "al malaz",
            "qurtubah",
            "قرطبه",
            "al aqiq",
            "العقيق",
        ],
    );
    add(
        v,
        Concept::City("Jeddah"),
        &[
            "jeddah",
            "jiddah",
            "jedda",
            "jidda",
            "jeddha",
            "gedda",
            "jaddah",
            "جده",
            "جدة",
            "obhur",
            "ابحر",
            "أبحر",
            "al hamra jeddah",
            "al shati",
            "al rawdah jeddah",
            "al salamah",
            "al andalus",
            "الاندلس",
            "al safa jeddah",
            "corniche jeddah",
            "al naeem",
            "النعيم",
            "al basateen",
            "البساتين",
        ],
    );
    add(
        v,
        Concept::City("Dammam"),
        &[
            "dammam",
            "damam",
            "ad dammam",
            "al dammam",
            "الدمام",
            "دمام",
            "al faisaliyah dammam",
        ],
    );
    add(
        v,
        Concept::City("Khobar"),
        &[
            "khobar",
            "al khobar",
            "alkhobar",
            "el khobar",
            "khubar",
            "al-khobar",
            "الخبر",
            "al aqrabiyah",
            "العقربيه",
            "thuqbah",
            "الثقبه",
            "al rakah",
            "الراكه",
            "الخبر الشماليه",
        ],
    );
    add(
        v,
        Concept::City("Dhahran"),
        &["dhahran", "dahran", "al dhahran", "الظهران", "ظهران"],
    );
    add(
        v,
        Concept::City("Mecca"),
        &[
            "mecca",
            "makkah",
            "makka",
            "mekka",
            "makah",
            "مكه",
            "مكة",
            "مكه المكرمه",
            "مكة المكرمة",
            "العزيزيه",
        ],
    );
    add(
        v,
        Concept::City("Medina"),
        &[
            "medina",
            "madinah",
            "madina",
            "medinah",
            "al madinah",
            "al madina",
            "المدينه المنوره",
            "المدينة المنورة",
            "مدينه المنوره",
        ],
    );
    add(
        v,
        Concept::City("Taif"),
        &["taif", "al taif", "الطائف", "الطايف"],
    );
    add(v, Concept::City("Tabuk"), &["tabuk", "tabouk", "تبوك"]);
    add(v, Concept::City("Abha"), &["abha", "ابها", "أبها"]);
    add(
        v,
        Concept::City("Khamis Mushait"),
        &["khamis mushait", "khamis mushayt", "خميس مشيط"],
    );
    add(
        v,
        Concept::City("Buraidah"),
        &["buraidah", "buraydah", "buraida", "بريده", "بريدة"],
    );
    add(v, Concept::City("Hail"), &["ha'il", "حائل", "حايل"]);
    add(
        v,
        Concept::City("Jubail"),
        &["jubail", "al jubail", "الجبيل"],
    );
    add(v, Concept::City("Yanbu"), &["yanbu", "ينبع"]);
    add(v, Concept::City("Najran"), &["najran", "نجران"]);
    add(
        v,
        Concept::City("Jazan"),
        &["jazan", "jizan", "gizan", "جازان", "جيزان"],
    );
    add(
        v,
        Concept::City("Al Ahsa"),
        &[
            "al ahsa",
            "al hasa",
            "ahsa",
            "hofuf",
            "al hofuf",
            "الاحساء",
            "الأحساء",
            "الحسا",
            "الهفوف",
        ],
    );
    add(v, Concept::City("Qatif"), &["qatif", "al qatif", "القطيف"]);
    add(
        v,
        Concept::City("Al Kharj"),
        &["al kharj", "kharj", "الخرج"],
    );
    add(
        v,
        Concept::City("Dubai"),
        &[
            "dubai",
            "dubay",
            "dxb",
            "دبي",
            "dubai marina",
            "jbr",
            "jlt",
            "jumeirah",
            "jumeira",
            "جميرا",
            "جميره",
            "downtown dubai",
            "business bay",
            "الخليج التجاري",
            "deira",
            "bur dubai",
            "بر دبي",
            "al barsha",
            "barsha",
            "البرشاء",
            "palm jumeirah",
            "mirdif",
            "مردف",
            "al quoz",
            "القوز",
            "arabian ranches",
            "difc",
            "al nahda dubai",
            "دبي مارينا",
            "مرسى دبي",
            "international city",
            "silicon oasis",
            "jvc",
            "motor city",
            "al karama",
            "dubai hills",
            "jumeirah village",
            "al furjan",
            "dubai south",
            "damac hills",
            "al warqa",
            "الورقاء",
            "al qusais",
            "القصيص",
            "al mizhar",
            "jebel ali",
            "جبل علي",
            "dubai investment park",
            "al nahda",
            "muhaisnah",
            "al satwa",
            "al safa",
        ],
    );
    add(
        v,
        Concept::City("Abu Dhabi"),
        &[
            "abu dhabi",
            "abudhabi",
            "abu dabi",
            "abu-dhabi",
            "auh",
            "ابوظبي",
            "أبوظبي",
            "ابو ظبي",
            "أبو ظبي",
            "khalifa city",
            "مدينه خليفه",
            "al reem",
            "reem island",
            "جزيره الريم",
            "saadiyat",
            "السعديات",
            "yas island",
            "جزيره ياس",
            "mussafah",
            "مصفح",
            "al raha",
            "شاطئ الراحه",
            "mohammed bin zayed city",
            "مدينه محمد بن زايد",
        ],
    );
    add(
        v,
        Concept::City("Sharjah"),
        &[
            "sharjah",
            "sharja",
            "shj",
            "الشارقه",
            "الشارقة",
            "شارقه",
            "al majaz",
            "المجاز",
            "al khan",
            "al nahda sharjah",
        ],
    );
    add(v, Concept::City("Ajman"), &["ajman", "عجمان"]);
    add(
        v,
        Concept::City("Ras Al Khaimah"),
        &[
            "ras al khaimah",
            "ras al khaima",
            "rak",
            "راس الخيمه",
            "رأس الخيمة",
        ],
    );
    add(
        v,
        Concept::City("Fujairah"),
        &["fujairah", "fujeirah", "الفجيره", "الفجيرة"],
    );
    add(
        v,
        Concept::City("Umm Al Quwain"),
        &["umm al quwain", "ام القيوين", "أم القيوين"],
    );
    add(
        v,
        Concept::City("Al Ain"),
        &["al ain", "alain", "مدينه العين", "مدينة العين"],
    );
    add(
        v,
        Concept::City("Doha"),
        &[
            "doha",
            "الدوحه",
            "الدوحة",
            "دوحه",
            "west bay",
            "الخليج الغربي",
            "the pearl",
            "اللؤلؤه",
            "al sadd",
            "السد",
            "al waab",
            "الوعب",
            "al rayyan",
            "الريان",
            "al dafna",
            "الدفنه",
        ],
    );
    add(
        v,
        Concept::City("Al Wakrah"),
        &["al wakrah", "wakrah", "الوكره", "الوكرة"],
    );
    add(v, Concept::City("Lusail"), &["lusail", "لوسيل"]);
    add(
        v,
        Concept::City("Kuwait City"),
        &[
            "kuwait city",
            "kuwait",
            "الكويت",
            "مدينه الكويت",
            "salmiya",
            "السالميه",
            "hawalli",
            "حولي",
            "jabriya",
            "الجابريه",
            "fahaheel",
            "الفحيحيل",
            "farwaniya",
            "الفروانيه",
            "hawally",
            "salmiyah",
            "mangaf",
            "fintas",
            "mahboula",
            "abu halifa",
            "ahmadi",
            "الاحمدي",
            "المنقف",
        ],
    );
    add(
        v,
        Concept::City("Manama"),
        &[
            "manama",
            "المنامه",
            "المنامة",
            "seef",
            "السيف",
            "juffair",
            "الجفير",
            "adliya",
            "العدليه",
        ],
    );
    add(v, Concept::City("Muharraq"), &["muharraq", "المحرق"]);
    add(v, Concept::City("Riffa"), &["riffa", "الرفاع"]);
    add(
        v,
        Concept::City("Muscat"),
        &[
            "muscat",
            "masqat",
            "مسقط",
            "qurum",
            "القرم",
            "al khuwair",
            "الخوير",
            "seeb",
            "السيب",
            "bawshar",
            "بوشر",
        ],
    );
    add(v, Concept::City("Salalah"), &["salalah", "صلاله", "صلالة"]);
    add(v, Concept::City("Sohar"), &["sohar", "صحار"]);
    add(v, Concept::City("Nizwa"), &["nizwa", "نزوى"]);
    add(
        v,
        Concept::City("Cairo"),
        &[
            "cairo",
            "el qahera",
            "al qahira",
            "qahira",
            "kahera",
            "el kahera",
            "القاهره",
            "القاهرة",
            "maadi",
            "المعادي",
            "zamalek",
            "الزمالك",
            "heliopolis",
            "مصر الجديده",
            "nasr city",
            "مدينه نصر",
            "new cairo",
            "القاهره الجديده",
            "tagamoa",
            "التجمع الخامس",
            "fifth settlement",
            "el tagamo3",
            "mohandessin",
            "downtown cairo",
            "shoubra",
            "شبرا",
            "madinaty",
            "rehab",
            "الرحاب",
        ],
    );
    add(
        v,
        Concept::City("Alexandria"),
        &[
            "alexandria",
            "eskendereya",
            "iskandariya",
            "الاسكندريه",
            "الإسكندرية",
            "اسكندريه",
            "إسكندرية",
        ],
    );
    add(
        v,
        Concept::City("Giza"),
        &[
            "giza",
            "el giza",
            "الجيزه",
            "الجيزة",
            "6th of october",
            "سته اكتوبر",
            "sheikh zayed",
            "الشيخ زايد",
            "dokki",
            "الدقي",
        ],
    );
    add(
        v,
        Concept::City("Sharm El Sheikh"),
        &["sharm el sheikh", "sharm", "شرم الشيخ"],
    );
    add(
        v,
        Concept::City("Hurghada"),
        &["hurghada", "الغردقه", "الغردقة"],
    );
    add(v, Concept::City("Luxor"), &["luxor", "الاقصر", "الأقصر"]);
    add(v, Concept::City("Aswan"), &["aswan", "اسوان", "أسوان"]);
    add(
        v,
        Concept::City("Mansoura"),
        &["mansoura", "المنصوره", "المنصورة"],
    );
    add(v, Concept::City("Tanta"), &["tanta", "طنطا"]);
    add(
        v,
        Concept::City("Port Said"),
        &["port said", "بورسعيد", "بور سعيد"],
    );
    add(
        v,
        Concept::City("Amman"),
        &[
            "amman",
            "عمان",
            "عمّان",
            "abdoun",
            "عبدون",
            "sweifieh",
            "الصويفيه",
            "khalda",
            "خلدا",
            "jabal amman",
            "جبل عمان",
            "dabouq",
            "دابوق",
            "tla al ali",
            "تلاع العلي",
            "shmeisani",
            "الشميساني",
        ],
    );
    add(v, Concept::City("Irbid"), &["irbid", "اربد", "إربد"]);
    add(v, Concept::City("Zarqa"), &["zarqa", "الزرقاء", "الزرقا"]);
    add(v, Concept::City("Aqaba"), &["aqaba", "العقبه", "العقبة"]);
    add(v, Concept::City("Beirut"), &["beirut", "bayrut", "بيروت"]);
    add(v, Concept::City("Tripoli"), &["tripoli", "طرابلس"]);
    add(
        v,
        Concept::City("Damascus"),
        &["damascus", "دمشق", "الشام", "el sham"],
    );
    add(v, Concept::City("Aleppo"), &["aleppo", "حلب"]);
    add(v, Concept::City("Baghdad"), &["baghdad", "بغداد"]);
    add(
        v,
        Concept::City("Basra"),
        &["basra", "basrah", "البصره", "البصرة"],
    );
    add(
        v,
        Concept::City("Erbil"),
        &["erbil", "arbil", "اربيل", "أربيل"],
    );
    add(
        v,
        Concept::City("Casablanca"),
        &["casablanca", "الدار البيضاء", "كازابلانكا"],
    );
    add(v, Concept::City("Rabat"), &["rabat", "الرباط"]);
    add(
        v,
        Concept::City("Marrakech"),
        &["marrakech", "marrakesh", "مراكش"],
    );
    add(v, Concept::City("Tunis"), &["tunis", "تونس"]);
    add(v, Concept::City("Algiers"), &["algiers", "الجزائر العاصمه"]);
    add(v, Concept::City("Khartoum"), &["khartoum", "الخرطوم"]);
    add(v, Concept::City("Sanaa"), &["sanaa", "sana'a", "صنعاء"]);
    add(v, Concept::City("Aden"), &["aden", "عدن"]);
    add(
        v,
        Concept::City("Istanbul"),
        &["istanbul", "اسطنبول", "إسطنبول"],
    );
    add(v, Concept::City("London"), &["london", "لندن"]);
    add(
        v,
        Concept::FromPlace,
        &[
            "from",
            "من",
            "men",
            "mn",
            "min",
            "moving from",
            "relocating from",
            "originally from",
        ],
    );
    add(
        v,
        Concept::ToPlace,
        &[
            "to",
            "into",
            "moving to",
            "relocating to",
            "move to",
            "relocate to",
            "الى",
            "إلى",
            "لـ",
            "ل",
            "انتقل الى",
            "ننتقل الى",
            "بنتقل",
            "ع",
            "على",
        ],
    );
    add(
        v,
        Concept::LivePlace,
        &[
            "live in",
            "living in",
            "based in",
            "located in",
            "reside in",
            "i'm in",
            "im in",
            "we live in",
            "i live in",
            "we are in",
            "ساكن",
            "ساكن في",
            "ساكنه",
            "ساكنين",
            "اسكن",
            "اسكن في",
            "نسكن",
            "عايش في",
            "عايشين في",
            "مقيم في",
            "مقيم",
            "ساكنة",
            "sakin",
            "sakna",
            "sakeen",
            "3ayesh fe",
        ],
    );
    add(
        v,
        Concept::City("Hafr Al Batin"),
        &["hafr al batin", "hafar al batin", "حفر الباطن"],
    );
    add(
        v,
        Concept::City("Unaizah"),
        &["unaizah", "onaizah", "عنيزه", "عنيزة"],
    );
    add(v, Concept::City("Sakaka"), &["sakaka", "سكاكا"]);
    add(v, Concept::City("Arar"), &["arar", "عرعر"]);
    add(
        v,
        Concept::City("Al Baha"),
        &["al baha", "الباحه", "الباحة"],
    );
    add(v, Concept::City("Rabigh"), &["rabigh", "رابغ"]);
    add(
        v,
        Concept::City("Khafji"),
        &["khafji", "al khafji", "الخفجي"],
    );
    add(
        v,
        Concept::City("Ras Tanura"),
        &["ras tanura", "راس تنوره", "رأس تنورة"],
    );
    add(
        v,
        Concept::City("Al Majmaah"),
        &["majmaah", "al majmaah", "المجمعه", "المجمعة"],
    );
    add(
        v,
        Concept::City("Khor Fakkan"),
        &["khor fakkan", "خورفكان", "خور فكان"],
    );
    add(v, Concept::City("Kalba"), &["kalba", "كلباء"]);
    add(v, Concept::City("Sur"), &["sur oman", "صور عمان"]);
    add(v, Concept::City("Ibri"), &["ibri", "عبري"]);
    add(v, Concept::City("Barka"), &["barka", "بركاء"]);
    add(v, Concept::City("Al Khor"), &["al khor", "الخور"]);
    add(v, Concept::City("Jahra"), &["jahra", "al jahra", "الجهراء"]);
    add(v, Concept::City("Isa Town"), &["isa town", "مدينه عيسى"]);
    add(v, Concept::City("Hamad Town"), &["hamad town", "مدينه حمد"]);
    add(
        v,
        Concept::City("Ismailia"),
        &["ismailia", "الاسماعيليه", "الإسماعيلية"],
    );
    add(v, Concept::City("Suez"), &["suez", "السويس"]);
    add(v, Concept::City("Zagazig"), &["zagazig", "الزقازيق"]);
    add(v, Concept::City("Minya"), &["minya", "المنيا"]);
    add(
        v,
        Concept::City("Asyut"),
        &["asyut", "assiut", "اسيوط", "أسيوط"],
    );
    add(v, Concept::City("Sohag"), &["sohag", "سوهاج"]);
    add(v, Concept::City("Damietta"), &["damietta", "دمياط"]);
    add(v, Concept::City("Faiyum"), &["faiyum", "fayoum", "الفيوم"]);
    add(v, Concept::City("Madaba"), &["madaba", "مادبا"]);
    add(v, Concept::City("Salt"), &["as-salt", "السلط"]);
    add(v, Concept::City("Jerash"), &["jerash", "جرش"]);
    add(v, Concept::City("Karak"), &["karak", "الكرك"]);
    add(v, Concept::City("Mafraq"), &["mafraq", "المفرق"]);
    add(v, Concept::City("Sidon"), &["sidon", "saida", "صيدا"]);
    add(v, Concept::City("Tyre"), &["tyre lebanon", "صور لبنان"]);
    add(v, Concept::City("Homs"), &["homs", "حمص"]);
    add(
        v,
        Concept::City("Latakia"),
        &["latakia", "اللاذقيه", "اللاذقية"],
    );
    add(v, Concept::City("Mosul"), &["mosul", "الموصل"]);
    add(v, Concept::City("Najaf"), &["najaf", "النجف"]);
    add(v, Concept::City("Karbala"), &["karbala", "كربلاء"]);
    add(
        v,
        Concept::City("Sulaymaniyah"),
        &["sulaymaniyah", "السليمانيه العراق"],
    );
}
