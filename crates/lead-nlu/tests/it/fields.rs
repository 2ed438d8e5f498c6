//! Table tests of every field reader, with sentences in English, Gulf, Egyptian and Levantine Arabic,
//! MSA, Arabizi and code-switching.

use lead_nlu::Role;
use lead_nlu::eval::{Profiles, predict};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::sync::LazyLock;

thread_local! {
    /// Mismatches of the running test, reported together so one run shows every failing row.
    static MISSES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// Fails the test with every mismatch recorded by `check`.
fn finish() {
    let misses = MISSES.with(|m| std::mem::take(&mut *m.borrow_mut()));
    assert!(
        misses.is_empty(),
        "{} mismatches:\n{}",
        misses.len(),
        misses.join("\n")
    );
}

static P: LazyLock<Profiles> = LazyLock::new(|| match Profiles::parse(crate::PROFILES) {
    Ok(p) => p,
    Err(e) => panic!("test profiles must parse: {e}"),
});

/// Runs a conversation ("L: ..." lead, "A: ..." agent) and compares the named fields.
fn check(profile: &str, turns: &[&str], want: &[(&str, Value)]) {
    let parsed: Vec<(Role, &str)> = turns
        .iter()
        .map(|t| match t.strip_prefix("A: ") {
            Some(rest) => (Role::Agent, rest),
            None => (Role::Lead, t.strip_prefix("L: ").unwrap_or(t)),
        })
        .collect();
    let got = predict(&P, profile, &parsed).unwrap_or(Value::Null);
    for (field, value) in want {
        let g = &got[*field];
        let same = match (g.as_f64(), value.as_f64()) {
            (Some(a), Some(b)) => (a - b).abs() <= 0.01 * b.abs(),
            _ => g == value,
        };
        if !same {
            MISSES.with(|m| {
                m.borrow_mut()
                    .push(format!("{field}: expected {value}, got {g} in {turns:?}"))
            });
        }
    }
}

fn money(profile: &str, text: &str, min: Value, max: Value, currency: Value) {
    check(
        profile,
        &[text],
        &[
            ("budget_min", min),
            ("budget_max", max),
            ("currency", currency),
        ],
    );
}

#[test]
fn money_in_english_digits_and_words() {
    let n = Value::Null;
    money(
        "real_estate",
        "budget is 750k for a flat",
        n.clone(),
        json!(750000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "we can spend up to 1.5 million riyals",
        n.clone(),
        json!(1500000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "our budget is between 600k and 800k",
        json!(600000),
        json!(800000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "budget: 350-400k",
        json!(350000),
        json!(400000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "looking for a villa, budget no more than 3M",
        n.clone(),
        json!(3000000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "budget around half a million",
        n.clone(),
        json!(500000),
        json!("SAR"),
    );
    money(
        "dental_clinic",
        "I can pay $1,200 for it",
        n.clone(),
        json!(1200),
        json!("USD"),
    );
    money(
        "education",
        "I can spend twenty five thousand dollars",
        n.clone(),
        json!(25000),
        json!("USD"),
    );
    money(
        "education",
        "my budget is five hundred dollars",
        n.clone(),
        json!(500),
        json!("USD"),
    );
    money(
        "real_estate",
        "budget of at least 2 million dirhams",
        json!(2000000),
        n.clone(),
        json!("AED"),
    );
    money(
        "home_services",
        "I have 300 euros for the job",
        n.clone(),
        json!(300),
        json!("EUR"),
    );
    money(
        "auto_dealer",
        "budget 90k+ for a new car",
        json!(90000),
        n.clone(),
        json!("SAR"),
    );
    finish();
}

#[test]
fn money_in_arabic_dialects_and_msa() {
    let n = Value::Null;
    money(
        "real_estate",
        "ميزانيتي مليونين ونص",
        n.clone(),
        json!(2500000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "الميزانية من ٣٠٠ إلى ٤٠٠ ألف",
        json!(300000),
        json!(400000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "تقريبا ثلاثمية ألف ريال",
        n.clone(),
        json!(300000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "على الأقل ٢ مليون",
        json!(2000000),
        n.clone(),
        json!("SAR"),
    );
    money(
        "dental_clinic",
        "ميزانيتي حوالي ٢٥٠٠ درهم",
        n.clone(),
        json!(2500),
        json!("AED"),
    );
    money(
        "home_services",
        "بحدود ٧٥٠٠ ريال قطري",
        n.clone(),
        json!(7500),
        json!("QAR"),
    );
    money(
        "home_services",
        "ميزانيتي ٥٠٠ دينار",
        n.clone(),
        json!(500),
        json!("KWD"),
    );
    money(
        "home_services",
        "الميزانية ٣٠٠ دينار بحريني",
        n.clone(),
        json!(300),
        json!("BHD"),
    );
    money(
        "home_services",
        "معايا ألفين جنيه بس",
        n.clone(),
        json!(2000),
        json!("EGP"),
    );
    money(
        "real_estate",
        "الميزانية ١٫٢ مليون",
        n.clone(),
        json!(1200000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "بقيمة ١٥٠٬٠٠٠ درهم",
        n.clone(),
        json!(150000),
        json!("AED"),
    );
    money(
        "real_estate",
        "ما عندي أكثر من ٥٠٠ ألف",
        n.clone(),
        json!(500000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "بدي ادفع حوالي ٩٠٠ ألف",
        n.clone(),
        json!(900000),
        json!("SAR"),
    );
    money(
        "auto_dealer",
        "الميزانية مية وخمسين ألف",
        n.clone(),
        json!(150000),
        json!("SAR"),
    );
    money(
        "auto_dealer",
        "ميزانيتي خمسة وسبعين ألف ريال",
        n.clone(),
        json!(75000),
        json!("SAR"),
    );
    money(
        "auto_dealer",
        "الميزانية بين ستمية وسبعمية ألف",
        json!(600000),
        json!(700000),
        json!("SAR"),
    );
    finish();
}

#[test]
fn money_in_arabizi_and_code_switching() {
    let n = Value::Null;
    money(
        "real_estate",
        "budget 500 alf",
        n.clone(),
        json!(500000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "mezanyti 2 malyon",
        n.clone(),
        json!(2000000),
        json!("SAR"),
    );
    money(
        "home_services",
        "3andi 300 dinar bas",
        n.clone(),
        json!(300),
        json!("KWD"),
    );
    money(
        "solar",
        "الميزانية 20k USD",
        n.clone(),
        json!(20000),
        json!("USD"),
    );
    money(
        "home_services",
        "I can pay 2000 pounds, I live in Cairo",
        n.clone(),
        json!(2000),
        json!("EGP"),
    );
    finish();
}

#[test]
fn numbers_that_are_not_budgets() {
    let none = [
        ("budget_min", Value::Null),
        ("budget_max", Value::Null),
        ("currency", Value::Null),
    ];
    for text in [
        "call me on 0551234567",
        "رقمي ٠٥٥١٢٣٤٥٦٧ اتصلوا علي",
        "my number is +971 50 123 4567",
        "need 3 bedrooms and 200 sqm",
        "عندي ٣ عيال وابي فيلا ٤ غرف",
        "I'm 35 and work in Riyadh",
        "looking for a 2019 model Camry",
        "the car has 120,000 km on it",
        "ممشاها ١٥٠ ألف كيلو",
        "my salary is 15k",
        "our monthly electricity bill is 4,000 riyals",
        "come at 5:30 please",
        "we are 12 employees",
        "class of 2025, want to study abroad",
        "I want to sell my car for 80k",
        "order number 123456",
    ] {
        check("auto_dealer", &[text], &none);
    }
    finish();
}

#[test]
fn money_context_from_the_agent_question_and_corrections() {
    check(
        "real_estate",
        &[
            "L: flat in Jeddah",
            "A: What budget do you have in mind?",
            "L: 1.3M max",
        ],
        &[("budget_max", json!(1300000))],
    );
    check(
        "real_estate",
        &["L: شقة في جدة", "A: كم ميزانيتك؟", "L: ٨٠٠"],
        &[("budget_max", json!(800))],
    );
    check(
        "auto_dealer",
        &[
            "L: budget 100k",
            "A: Noted",
            "L: actually make it 85k, not 100k",
        ],
        &[("budget_max", json!(85000))],
    );
    check(
        "real_estate",
        &["L: my salary is 20k, I can pay 4k per month for rent"],
        &[("budget_max", json!(4000))],
    );
    check(
        "real_estate",
        &["L: I have 3 kids", "A: What's your budget?", "L: around 2M"],
        &[("budget_max", json!(2000000))],
    );
    finish();
}

fn timeline(profile: &str, turns: &[&str], want: Value) {
    check(profile, turns, &[("timeline", want)]);
}

#[test]
fn timelines_in_english() {
    let r = "real_estate";
    timeline(r, &["want to move in February"], json!("1_3_months"));
    timeline(r, &["planning for March"], json!("3_6_months"));
    timeline(r, &["probably in June"], json!("over_6_months"));
    timeline(r, &["need it in 5 weeks"], json!("within_1_month"));
    timeline(r, &["need it in 8 weeks"], json!("1_3_months"));
    timeline(r, &["within 3 months"], json!("1_3_months"));
    timeline(r, &["in 4 months or so"], json!("3_6_months"));
    timeline(r, &["in about 7 months"], json!("over_6_months"));
    timeline(r, &["next weekend"], json!("within_1_month"));
    timeline(r, &["can we do it tomorrow?"], json!("immediate"));
    timeline(r, &["by the end of the month"], json!("within_1_month"));
    timeline(r, &["sometime next year"], json!("over_6_months"));
    timeline(r, &["this summer"], json!("over_6_months"));
    timeline(r, &["on December 15"], json!("within_1_month"));
    timeline(r, &["I called yesterday about a flat"], Value::Null);
    timeline(r, &["I may buy a flat"], Value::Null);
    timeline(r, &["I've been looking for a while now"], Value::Null);
    timeline(r, &["I have lived here for 2 years"], Value::Null);
    finish();
}

#[test]
fn timelines_in_arabic_and_arabizi() {
    let r = "real_estate";
    timeline(r, &["بعد ثلاث شهور"], json!("1_3_months"));
    timeline(r, &["خلال أسبوع"], json!("within_1_month"));
    timeline(r, &["بعد سنتين إن شاء الله"], json!("over_6_months"));
    timeline(r, &["في شهر ٢"], json!("1_3_months"));
    timeline(r, &["الشهر القادم"], json!("within_1_month"));
    timeline(r, &["الأسبوع القادم إن شاء الله"], json!("within_1_month"));
    timeline(r, &["باجر الصبح"], json!("immediate"));
    timeline(r, &["محتاجها دلوقتي"], json!("immediate"));
    timeline(r, &["في الصيف"], json!("over_6_months"));
    timeline(r, &["في مارس"], json!("3_6_months"));
    timeline(r, &["في شباط"], json!("1_3_months"));
    timeline(r, &["bukra inshallah"], json!("immediate"));
    timeline(r, &["ba3d shahrein"], json!("1_3_months"));
    timeline(r, &["بس مو الحين"], Value::Null);
    timeline(r, &["اشتريت بيت قبل سنتين"], Value::Null);
    timeline(
        r,
        &["A: متى تبي تشتري؟", "L: ٣ شهور تقريباً"],
        json!("1_3_months"),
    );
    finish();
}

fn urgency(turns: &[&str], want: Value) {
    check("home_services", turns, &[("urgency", want)]);
}

#[test]
fn urgency_words_and_negation() {
    urgency(&["it's urgent, the AC died"], json!("high"));
    urgency(&["not urgent at all"], json!("low"));
    urgency(&["مو ضروري"], json!("low"));
    urgency(&["ASAP please"], json!("high"));
    urgency(&["soon hopefully"], json!("medium"));
    urgency(&["قريباً إن شاء الله"], json!("medium"));
    urgency(&["البيت قريب من البحر"], Value::Null);
    urgency(&["I'm in no hurry"], json!("low"));
    urgency(&["just exploring options for now"], json!("low"));
    urgency(&["mish mesta3gel"], json!("low"));
    urgency(&["عاجل لو سمحت"], json!("high"));
    urgency(&["in the coming weeks"], json!("medium"));
    urgency(&["tomorrow morning"], Value::Null);
    check("home_services", &["urgent!"], &[("timeline", Value::Null)]);
    check(
        "home_services",
        &["asap"],
        &[("timeline", json!("immediate"))],
    );
    finish();
}

fn decision(turns: &[&str], want: Value) {
    check("real_estate", turns, &[("decision_maker", want)]);
}

#[test]
fn decision_maker_statements_and_answers() {
    decision(&["I'm the owner of the company"], json!(true));
    decision(&["my wife has the final say"], json!(false));
    decision(&["need my father's approval first"], json!(false));
    decision(&["القرار لزوجي"], json!(false));
    decision(&["لازم أشاور أهلي"], json!(false));
    decision(&["أنا اللي أقرر"], json!(true));
    decision(&["مش أنا اللي بقرر، أبويا"], json!(false));
    decision(&["it's for my house in Riyadh"], Value::Null);
    decision(&["A: Are you the decision maker?", "L: yes"], json!(true));
    decision(
        &["A: Are you the decision maker?", "L: no, my boss is"],
        json!(false),
    );
    decision(&["A: هل أنت صاحب القرار؟", "L: أيوه"], json!(true));
    decision(&["A: هل أنت صاحب القرار؟", "L: لا"], json!(false));
    decision(&["A: مين صاحب القرار؟", "L: أنا"], json!(true));
    decision(&["A: What's your budget?", "L: yes around 2M"], Value::Null);
    decision(
        &["I decide, but later I said", "actually my husband decides"],
        json!(false),
    );
    finish();
}

fn human(turns: &[&str], want: bool) {
    check("dental_clinic", turns, &[("wants_human", json!(want))]);
}

#[test]
fn wants_human_requests() {
    human(&["can I talk to a real person?"], true);
    human(&["please call me at 0501234567"], true);
    human(&["don't call me, just text"], false);
    human(&["اتصلوا علي على هالرقم"], true);
    human(&["ابي اكلم موظف"], true);
    human(&["my number is 0501234567"], false);
    human(&["I'll talk to my husband first"], false);
    human(&["Yes I called you earlier"], false);
    human(&["ممكن حد يكلمني بكرة؟"], true);
    finish();
}

fn not_interested(turns: &[&str], want: bool) {
    check("auto_dealer", turns, &[("not_interested", json!(want))]);
}

#[test]
fn not_interested_signals() {
    not_interested(&["not interested anymore, thanks"], true);
    not_interested(&["we found another dealer, thanks"], true);
    not_interested(&["لا شكراً اشترينا خلاص"], true);
    not_interested(&["just browsing for now"], true);
    not_interested(&["unsubscribe"], true);
    not_interested(&["مش مهتم شكرا"], true);
    not_interested(&["I already have a car and want a second one"], false);
    not_interested(&["the AC stopped working"], false);
    check(
        "auto_dealer",
        &["I already bought a car elsewhere"],
        &[("service", Value::Null)],
    );
    finish();
}

fn service(profile: &str, text: &str, want: Value) {
    check(profile, &[text], &[("service", want)]);
}

#[test]
fn services_per_industry() {
    service(
        "real_estate",
        "looking for a 2br flat to rent in Dubai Marina",
        json!("rent_residential"),
    );
    service("real_estate", "بدي اشتري بيت بعمان", json!("buy_villa"));
    service(
        "real_estate",
        "ابغى ارض تجارية في الدمام",
        json!("commercial"),
    );
    service(
        "real_estate",
        "want to list my apartment for sale",
        json!("sell_property"),
    );
    service("real_estate", "عايز أبيع شقتي", json!("sell_property"));
    service(
        "real_estate",
        "office for rent in Olaya",
        json!("commercial"),
    );
    service("real_estate", "ابي قطعة ارض سكنية", json!("land"));
    service(
        "dental_clinic",
        "I need braces for my daughter",
        json!("orthodontics"),
    );
    service(
        "dental_clinic",
        "عندي ضرس مكسور ويوجعني",
        json!("emergency"),
    );
    service("dental_clinic", "زراعة ضرس واحد", json!("implants"));
    service("dental_clinic", "ابي تنظيف جير", json!("checkup_cleaning"));
    service("dental_clinic", "abi tabyeed asnan", json!("whitening"));
    service("home_services", "my AC is not cooling", json!("ac_repair"));
    service(
        "home_services",
        "need a new AC installed in the bedroom",
        json!("ac_install"),
    );
    service("home_services", "toilet is blocked", json!("plumbing"));
    service("home_services", "بدي كهربجي", json!("electrical"));
    service("home_services", "ابي تنظيف للفيلا", json!("cleaning"));
    service(
        "home_services",
        "want to remodel our kitchen",
        json!("renovation"),
    );
    service("auto_dealer", "I want to sell my car", json!("trade_in"));
    service(
        "auto_dealer",
        "ابي سيارة جديدة بالتقسيط",
        json!("financing"),
    );
    service(
        "auto_dealer",
        "need an oil change",
        json!("service_maintenance"),
    );
    service(
        "auto_dealer",
        "looking for a second hand SUV",
        json!("used_car"),
    );
    service(
        "education",
        "IELTS preparation classes",
        json!("english_course"),
    );
    service(
        "education",
        "my company needs Excel training for our staff",
        json!("corporate_training"),
    );
    service(
        "education",
        "أبي مدرس رياضيات لولدي",
        json!("kids_tutoring"),
    );
    service(
        "education",
        "ابغى أقدم على ماجستير في امريكا",
        json!("university_admission"),
    );
    service(
        "solar",
        "solar panels for my farm",
        json!("commercial_solar"),
    );
    service("solar", "my solar inverter is broken", json!("maintenance"));
    service(
        "solar",
        "ابي بطارية للطاقة الشمسية",
        json!("battery_storage"),
    );
    service("solar", "hi there", Value::Null);
    finish();
}

#[test]
fn tenant_synonyms_places_and_unknown_industries() {
    service("pet_grooming", "ابي تقليم كلب", json!("dog_grooming"));
    service(
        "pet_grooming",
        "need boarding for my cat next week",
        json!("cat_boarding"),
    );
    check(
        "pet_grooming",
        &["grooming near the avenues please"],
        &[
            ("location", json!("Kuwait City")),
            ("currency", Value::Null),
        ],
    );
    check(
        "pet_grooming",
        &["grooming for 20 dinars"],
        &[("budget_max", json!(20)), ("currency", json!("KWD"))],
    );
    finish();
}

fn location(text: &str, want: Value) {
    check("real_estate", &[text], &[("location", want)]);
}

#[test]
fn locations_and_their_roles() {
    location(
        "moving from Dubai to Abu Dhabi next month",
        json!("Abu Dhabi"),
    );
    location("I live in Sharjah but want a flat in Dubai", json!("Dubai"));
    location("أنا من جدة وأبي شقة في الرياض", json!("Riyadh"));
    location("ساكن في الدوحة", json!("Doha"));
    location("villa in Al Wakrah", json!("Al Wakrah"));
    location("عايز شقة في مدينة نصر", json!("Cairo"));
    location("flat in Salmiya", json!("Kuwait City"));
    location("ننتقل الى مسقط", json!("Muscat"));
    location("بالخبر لو سمحت", json!("Khobar"));
    location("apartment in jeddah pls", json!("Jeddah"));
    location("أرسل لي التفاصيل مع السلامة", Value::Null);
    location("we want to study in Canada", Value::Null);
    finish();
}

#[test]
fn language_by_script() {
    check(
        "real_estate",
        &["ابي شقة في الرياض"],
        &[("language", json!("ar"))],
    );
    check(
        "real_estate",
        &["abi shqa fe riyadh"],
        &[("language", json!("en"))],
    );
    check(
        "real_estate",
        &["Hi, I want a flat please, شكرا"],
        &[("language", json!("en"))],
    );
    check(
        "real_estate",
        &["السلام عليكم، I want شقة في الرياض بسرعة"],
        &[("language", json!("ar"))],
    );
    check("real_estate", &["👍"], &[("language", json!("en"))]);
    finish();
}

#[test]
fn scores_follow_the_domain_rules() {
    check(
        "real_estate",
        &[
            "Need a 3BR apartment in Riyadh, budget 1.2M, want to buy next month, I'm the decision maker",
        ],
        &[("score", json!("HOT"))],
    );
    check(
        "real_estate",
        &["villa for 100k"],
        &[("score", json!("COLD"))],
    );
    check("real_estate", &["hello"], &[("score", json!("UNSCORED"))]);
    check(
        "real_estate",
        &["STOP"],
        &[("score", json!("COLD")), ("not_interested", json!(true))],
    );
    finish();
}

#[test]
fn more_services_across_dialects() {
    service(
        "real_estate",
        "I'm looking for a townhouse in Dubai",
        json!("buy_villa"),
    );
    service(
        "real_estate",
        "need a studio for rent",
        json!("rent_residential"),
    );
    service(
        "real_estate",
        "looking to lease an office downtown",
        json!("commercial"),
    );
    service(
        "real_estate",
        "أبي أأجر فيلا في الرياض",
        json!("rent_residential"),
    );
    service(
        "real_estate",
        "عندي أرض وأبي أبيعها",
        json!("sell_property"),
    );
    service(
        "real_estate",
        "ابغى شقة تمليك في جدة",
        json!("buy_apartment"),
    );
    service("real_estate", "بدي محل تجاري بعمان", json!("commercial"));
    service(
        "dental_clinic",
        "I chipped my front tooth and it hurts",
        json!("emergency"),
    );
    service("dental_clinic", "عايز أعمل فينير", json!("cosmetic"));
    service(
        "dental_clinic",
        "بدي قوم تقويم لبنتي",
        json!("orthodontics"),
    );
    service(
        "home_services",
        "water leaking from the ceiling",
        json!("plumbing"),
    );
    service(
        "home_services",
        "want to paint the whole villa",
        json!("renovation"),
    );
    service("home_services", "المكيف يطلع صوت", json!("ac_repair"));
    service("home_services", "عايز سباك ضروري", json!("plumbing"));
    service("auto_dealer", "I want a Land Cruiser", json!("new_car"));
    service(
        "auto_dealer",
        "عايز عربية مستعملة بحالة كويسة",
        json!("used_car"),
    );
    service(
        "auto_dealer",
        "need a car loan for a Camry",
        json!("financing"),
    );
    service(
        "auto_dealer",
        "how much is my car worth? it's a 2018 Accord",
        json!("trade_in"),
    );
    service(
        "education",
        "spoken English for my son",
        json!("english_course"),
    );
    service("education", "عايز أتعلم برمجة", json!("coding_bootcamp"));
    service(
        "education",
        "GMAT prep and help with applications to US universities",
        json!("university_admission"),
    );
    service(
        "solar",
        "how much for a 10kW system for my villa",
        json!("residential_solar"),
    );
    service(
        "solar",
        "off-grid solar for our factory",
        json!("commercial_solar"),
    );
    service("solar", "الألواح تحتاج تنظيف", json!("maintenance"));
    finish();
}

#[test]
fn more_money_shapes() {
    let n = Value::Null;
    money(
        "real_estate",
        "SAR 900,000 is my budget",
        n.clone(),
        json!(900000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "budget 2-3M",
        json!(2000000),
        json!(3000000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "from 500k to 700k",
        json!(500000),
        json!(700000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "max budget is 80k",
        n.clone(),
        json!(80000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "I can afford 3000 a month",
        n.clone(),
        json!(3000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "budget 5,000-7,000 AED",
        json!(5000),
        json!(7000),
        json!("AED"),
    );
    money(
        "real_estate",
        "ميزانيتي مليون إلى مليون ونص",
        json!(1000000),
        json!(1500000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "الميزانية مليون وربع",
        n.clone(),
        json!(1250000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "ميزانيتي عشرة آلاف ريال بالشهر",
        n.clone(),
        json!(10000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "ميزانيتي ٢٥ الف",
        n.clone(),
        json!(25000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "budget 1,5 million",
        n.clone(),
        json!(1500000),
        json!("SAR"),
    );
    money(
        "home_services",
        "not more than 5k",
        n.clone(),
        json!(5000),
        json!("USD"),
    );
    finish();
}

#[test]
fn more_timelines_and_urgency() {
    let r = "real_estate";
    timeline(r, &["in two weeks"], json!("within_1_month"));
    timeline(r, &["within the next 48 hours"], json!("immediate"));
    timeline(r, &["this Thursday"], json!("immediate"));
    timeline(r, &["after Ramadan"], json!("1_3_months"));
    timeline(r, &["خلال الشهرين الجايين"], json!("1_3_months"));
    timeline(r, &["نهاية السنة"], json!("within_1_month"));
    timeline(r, &["maybe in spring"], json!("3_6_months"));
    timeline(r, &["early January"], json!("1_3_months"));
    urgency(&["in a couple of weeks"], Value::Null);
    urgency(&["I need it done in the coming weeks"], json!("medium"));
    finish();
}

#[test]
fn more_decisions_humans_and_refusals() {
    decision(&["I need to check with my wife"], json!(false));
    decision(&["my partner and I will decide together"], json!(false));
    decision(&["the company will decide"], json!(false));
    decision(&["I have full authority on this"], json!(true));
    decision(
        &["my wife and I decide together on these things"],
        json!(false),
    );
    decision(&["my wife and I decide"], json!(false));
    decision(&["I'll decide with my wife this weekend"], json!(false));
    decision(&["أنا وزوجي بنقرر"], json!(false));
    decision(&["أنا اللي بقرر وحدي"], json!(true));
    decision(&["لازم آخذ موافقة المدير"], json!(false));
    decision(&["بشوف مع زوجتي وبرد عليك"], json!(false));
    human(&["can you call me?"], true);
    human(&["I prefer a phone call"], true);
    human(&["please have someone contact me"], true);
    human(&["is there a human I can talk to"], true);
    human(&["بدي حدا يحكي معي"], true);
    human(&["I'll call you tomorrow"], false);
    not_interested(&["no thanks"], true);
    not_interested(&["لا شكرا"], true);
    not_interested(&["we decided not to buy"], true);
    not_interested(&["found a cheaper option elsewhere"], true);
    not_interested(&["No, the budget is 80k"], false);
    finish();
}

#[test]
fn dialect_expressions_of_every_field() {
    let n = Value::Null;
    money(
        "real_estate",
        "الميزانية ما تتعدى ٨٠٠ ألف",
        n.clone(),
        json!(800000),
        json!("SAR"),
    );
    money(
        "real_estate",
        "ميزانيتي ابتداءً من مليون",
        json!(1000000),
        n.clone(),
        json!("SAR"),
    );
    money(
        "real_estate",
        "مليون فما فوق",
        json!(1000000),
        n.clone(),
        json!("SAR"),
    );
    money(
        "dental_clinic",
        "بدي ادفع شي ١٠٠٠ درهم",
        n.clone(),
        json!(1000),
        json!("AED"),
    );
    timeline("real_estate", &["كمان شهر"], json!("within_1_month"));
    timeline("real_estate", &["عقب شهرين"], json!("1_3_months"));
    timeline("real_estate", &["بعد جمعة"], json!("within_1_month"));
    timeline("real_estate", &["في أقرب وقت"], json!("immediate"));
    timeline("real_estate", &["خلال الأيام الجاية"], json!("immediate"));
    urgency(&["في أقرب وقت لو سمحت"], json!("high"));
    decision(&["البيت باسمي"], json!(true));
    decision(&["لازم أرجع لزوجي"], json!(false));
    decision(&["القرار مشترك بيني وبين أخوي"], json!(false));
    human(&["ممكن حد يتصل بيا؟"], true);
    human(&["دقولي على الرقم"], true);
    not_interested(&["خلاص صرفت نظر"], true);
    not_interested(&["مش محتاج خلاص شكرا"], true);
    finish();
}

#[test]
fn multi_turn_conversations() {
    check(
        "real_estate",
        &[
            "L: مرحبا، ابي فيلا",
            "A: حياك! في أي مدينة؟",
            "L: الخبر، حي العقربية",
            "A: كم الميزانية؟",
            "L: ٢ مليون تقريباً",
            "A: ومتى تبي تشتري؟ وهل أنت صاحب القرار؟",
            "L: الشهر الجاي، وإيه أنا",
        ],
        &[
            ("service", json!("buy_villa")),
            ("location", json!("Khobar")),
            ("budget_max", json!(2000000)),
            ("timeline", json!("within_1_month")),
            ("decision_maker", json!(true)),
            ("score", json!("HOT")),
        ],
    );
    check(
        "home_services",
        &[
            "L: hi my AC is leaking water",
            "A: Sorry to hear! Where are you and what's your budget?",
            "L: Sharjah. around 200",
            "A: When should the technician come?",
            "L: tomorrow if possible",
        ],
        &[
            ("service", json!("ac_repair")),
            ("location", json!("Sharjah")),
            ("budget_max", json!(200)),
            ("currency", json!("USD")),
            ("timeline", json!("immediate")),
            ("urgency", Value::Null),
        ],
    );
    check(
        "auto_dealer",
        &[
            "L: I want a used Tucson, budget 60k",
            "A: Noted",
            "L: sorry, I meant 50k max",
        ],
        &[("budget_max", json!(50000)), ("service", json!("used_car"))],
    );
    finish();
}

#[test]
fn cities_missing_from_the_gazetteer() {
    location(
        "I live in Hafr Al Batin and need a flat",
        json!("Hafr Al Batin"),
    );
    location(
        "we are based in Tabarjal, looking for land",
        json!("Tabarjal"),
    );
    location("I'm from Zarzis", json!("Zarzis"));
    location("I live in a small flat", Value::Null);
    location("based in Riyadh", json!("Riyadh"));
    finish();
}

#[test]
fn small_talk_reads_nothing() {
    let empty = [
        ("service", Value::Null),
        ("budget_max", Value::Null),
        ("timeline", Value::Null),
        ("urgency", Value::Null),
        ("decision_maker", Value::Null),
        ("location", Value::Null),
        ("wants_human", json!(false)),
        ("not_interested", json!(false)),
        ("score", json!("UNSCORED")),
    ];
    for text in [
        "hi",
        "thanks!",
        "ok",
        "who is this?",
        "how are you doing today?",
        "what are your working hours?",
        "do you have parking at the branch?",
        "صباح الخير",
        "كيف حالك؟",
        "وش اسمك",
        "تمام، مشكور",
        "okay thanks bye",
        "I'll get back to you",
        "sent you an email earlier",
        "🙏🙏",
        "ممكن تعطيني معلومات أكثر؟",
    ] {
        check("real_estate", &[text], &empty);
    }
    finish();
}

#[test]
fn questions_about_the_business_hours_and_office_give_no_lead_facts() {
    let none = [
        ("service", Value::Null),
        ("timeline", Value::Null),
        ("urgency", Value::Null),
        ("score", json!("UNSCORED")),
    ];
    for text in [
        "when does your office close on thursday?",
        "is ur branch open tomorrow?",
        "what time do you guys open today",
        "are you open on friday?",
        "do u work on sundays?",
        "what are your hours next week?",
        "متى يفتح مكتبكم يوم الخميس؟",
        "تفتحون بكرة؟",
        "بتسكروا الساعة كم اليوم؟",
        "فرعكم فاتحين الجمعة؟",
        "دوامكم يوم الأحد؟",
        "امتى بتفتحوا بكرة؟",
        "btefta7o bukra?",
        "dawamkom yom el jom3a?",
    ] {
        check("real_estate", &[text], &none);
    }
    // The lead's own plan next to a question about the business still counts.
    check(
        "real_estate",
        &["are you open on saturday? I want to buy an office next week"],
        &[
            ("service", json!("commercial")),
            ("timeline", json!("within_1_month")),
        ],
    );
    check(
        "real_estate",
        &["need a shop to rent for my business tomorrow, where is your office?"],
        &[
            ("service", json!("commercial")),
            ("timeline", json!("immediate")),
        ],
    );
    // A task asked of the business for a time is the lead's timeline.
    timeline(
        "home_services",
        &["can you work on my kitchen tomorrow?"],
        json!("immediate"),
    );
    timeline(
        "home_services",
        &["are you available to start next week?"],
        json!("within_1_month"),
    );
    // Asking whether the business is free at a time says when the lead wants the service.
    timeline(
        "home_services",
        &["my AC stopped, are you available tomorrow?"],
        json!("immediate"),
    );
    // A question about the business hours does not undo a stated plan or service.
    check(
        "solar",
        &[
            "بدي ألواح شمسية لبيتي",
            "الميزانية ٦ آلاف دولار",
            "بتفتحوا يوم الجمعة؟",
        ],
        &[
            ("service", json!("residential_solar")),
            ("timeline", Value::Null),
            ("score", json!("WARM")),
        ],
    );
    finish();
}

#[test]
fn no_longer_interested_and_found_through_someone() {
    for text in [
        "ما عدت مهتم، شكراً",
        "خلاص ما بدي، الله يعطيك العافية",
        "والله عاد مو مهتم",
        "مش مهتم بعد هيك",
        "ما عاد بدي السيارة",
        "مبقتش عايز العربية خلاص",
        "لم أعد مهتماً بالعرض",
        "ma 3ad mohtam, thanks",
        "khalas ma baddi",
        "لقينا سيارة عن طريق صديقي",
        "we found a car through a friend",
        "I bought one through my cousin, thanks",
    ] {
        not_interested(&[text], true);
    }
    check(
        "real_estate",
        &["ابي شقة بجدة", "اشتريت شقة عن طريق اخوي، فما عاد ابي"],
        &[("service", Value::Null), ("not_interested", json!(true))],
    );
    // Finding the business through someone is how the lead came, not a purchase elsewhere.
    for text in [
        "I found you through a friend, I need a used car",
        "لقيت رقمكم عن طريق صاحبي، ابي سيارة مستعملة",
        "عاد ابي سيارة جديدة",
    ] {
        not_interested(&[text], false);
    }
    finish();
}

#[test]
fn inflected_service_verbs() {
    for text in [
        "want my teeth whitened before eid",
        "can you whiten my teeth?",
        "looking to get my teeth done white",
        "I'd like whiter teeth for the summer",
        "بدي ابيض اسناني",
        "ابغى اسناني بيضاء",
    ] {
        service("dental_clinic", text, json!("whitening"));
    }
    for text in [
        "we want to redo the bathroom",
        "redoing our kitchen this spring",
        "looking to revamp our kitchen and bathrooms",
        "need to overhaul the old bathroom",
        "بدنا نجدد المطبخ",
        "عايزين نشطب الحمامات",
    ] {
        service("home_services", text, json!("renovation"));
    }
    finish();
}

#[test]
fn a_figure_turned_down_and_a_bounded_correction() {
    let n = Value::Null;
    let correct = |turns: &[&str], max: f64| {
        check(
            "dental_clinic",
            turns,
            &[("budget_min", Value::Null), ("budget_max", json!(max))],
        );
    };
    correct(
        &[
            "budget is 2000 dirhams",
            "actually 1200 max, 2000 is too much",
        ],
        1200.0,
    );
    correct(
        &[
            "around 900 AED",
            "sorry, up to 600, 900 is too expensive for me",
        ],
        600.0,
    );
    correct(
        &["الميزانية ٢٥٠٠ درهم", "لا، ١٥٠٠ بالكثير، ٢٥٠٠ كثير علي"],
        1500.0,
    );
    correct(&["budget 1500 dirham", "1000 max, 1500 ktir"], 1000.0);
    // A turned-down figure alone is no budget.
    money(
        "dental_clinic",
        "5000 is too much for me",
        n.clone(),
        n.clone(),
        n.clone(),
    );
    // "Egyptian بالكتير" after a figure is an upper bound, not a refusal.
    money(
        "dental_clinic",
        "معايا ٨٠٠ درهم بالكتير",
        n.clone(),
        json!(800),
        json!("AED"),
    );
    finish();
}

#[test]
fn money_the_lead_has_for_the_job() {
    let n = Value::Null;
    money(
        "home_services",
        "We have around $18,000 for it",
        n.clone(),
        json!(18000),
        json!("USD"),
    );
    money(
        "home_services",
        "I have about $7,500 for it",
        n.clone(),
        json!(7500),
        json!("USD"),
    );
    money(
        "home_services",
        "we've set aside 12,000 dollars for it",
        n.clone(),
        json!(12000),
        json!("USD"),
    );
    // Asking money for something the lead sells is not a budget.
    money(
        "auto_dealer",
        "I want 50k for it",
        n.clone(),
        n.clone(),
        n.clone(),
    );
    finish();
}

#[test]
fn asking_someone_first_is_not_deciding() {
    for text in [
        "لازم أسأل أبوه الأول",
        "لازم أشاور جوزي",
        "لازم ارجع لأبويا قبل",
        "بستشير أمه وبرد عليك",
        "لازم أسأل الشريك",
        "لازم أشاور مراتي الأول",
        "need to ask his dad first",
        "I have to check with my partner first",
        "gotta ask my wife before anything",
        "lazem as2al abouh el awal",
        "lazem ashawer zawgy",
    ] {
        decision(&[text], json!(false));
    }
    decision(&["أنا صاحب القرار"], json!(true));
    finish();
}
