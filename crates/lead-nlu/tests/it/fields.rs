//! Table tests of every field reader, with sentences in English, Gulf, Egyptian and Levantine Arabic,
//! MSA, Arabizi and code-switching.

use lead_nlu::Role;
use lead_nlu::eval::{Profiles, predict};
use serde_json::{Value, json};
use std::sync::LazyLock;

/// The mismatches of one table test. Every check goes through it, and it fails the test when it is
/// dropped with mismatches, so one run shows every failing row and no test can forget to assert.
#[derive(Default)]
struct Table {
    misses: Vec<String>,
}

impl Drop for Table {
    fn drop(&mut self) {
        // A test that already panicked reports that panic; a second one would abort the run.
        if !self.misses.is_empty() && !std::thread::panicking() {
            panic!(
                "{} mismatches:\n{}",
                self.misses.len(),
                self.misses.join("\n")
            );
        }
    }
}

static P: LazyLock<Profiles> = LazyLock::new(|| match Profiles::parse(crate::PROFILES) {
    Ok(p) => p,
    Err(e) => panic!("test profiles must parse: {e}"),
});

impl Table {
    /// Runs a conversation ("L: ..." lead, "A: ..." agent) and compares the named fields.
    fn check(&mut self, profile: &str, turns: &[&str], want: &[(&str, Value)]) {
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
                self.misses
                    .push(format!("{field}: expected {value}, got {g} in {turns:?}"));
            }
        }
    }

    fn money(&mut self, profile: &str, text: &str, min: Value, max: Value, currency: Value) {
        self.check(
            profile,
            &[text],
            &[
                ("budget_min", min),
                ("budget_max", max),
                ("currency", currency),
            ],
        );
    }

    fn timeline(&mut self, profile: &str, turns: &[&str], want: Value) {
        self.check(profile, turns, &[("timeline", want)]);
    }

    fn urgency(&mut self, turns: &[&str], want: Value) {
        self.check("home_services", turns, &[("urgency", want)]);
    }

    fn decision(&mut self, turns: &[&str], want: Value) {
        self.check("real_estate", turns, &[("decision_maker", want)]);
    }

    fn human(&mut self, turns: &[&str], want: bool) {
        self.check("dental_clinic", turns, &[("wants_human", json!(want))]);
    }

    fn not_interested(&mut self, turns: &[&str], want: bool) {
        self.check("auto_dealer", turns, &[("not_interested", json!(want))]);
    }

    fn service(&mut self, profile: &str, text: &str, want: Value) {
        self.check(profile, &[text], &[("service", want)]);
    }

    fn location(&mut self, text: &str, want: Value) {
        self.check("real_estate", &[text], &[("location", want)]);
    }
}

#[test]
fn money_in_english_digits_and_words() {
    let mut t = Table::default();
    let n = Value::Null;
    t.money(
        "real_estate",
        "budget is 750k for a flat",
        n.clone(),
        json!(750000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "we can spend up to 1.5 million riyals",
        n.clone(),
        json!(1500000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "our budget is between 600k and 800k",
        json!(600000),
        json!(800000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "budget: 350-400k",
        json!(350000),
        json!(400000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "looking for a villa, budget no more than 3M",
        n.clone(),
        json!(3000000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "budget around half a million",
        n.clone(),
        json!(500000),
        json!("SAR"),
    );
    t.money(
        "dental_clinic",
        "I can pay $1,200 for it",
        n.clone(),
        json!(1200),
        json!("USD"),
    );
    t.money(
        "education",
        "I can spend twenty five thousand dollars",
        n.clone(),
        json!(25000),
        json!("USD"),
    );
    t.money(
        "education",
        "my budget is five hundred dollars",
        n.clone(),
        json!(500),
        json!("USD"),
    );
    t.money(
        "real_estate",
        "budget of at least 2 million dirhams",
        json!(2000000),
        n.clone(),
        json!("AED"),
    );
    t.money(
        "home_services",
        "I have 300 euros for the job",
        n.clone(),
        json!(300),
        json!("EUR"),
    );
    t.money(
        "auto_dealer",
        "budget 90k+ for a new car",
        json!(90000),
        n.clone(),
        json!("SAR"),
    );
}

#[test]
fn money_in_arabic_dialects_and_msa() {
    let mut t = Table::default();
    let n = Value::Null;
    t.money(
        "real_estate",
        "ميزانيتي مليونين ونص",
        n.clone(),
        json!(2500000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "الميزانية من ٣٠٠ إلى ٤٠٠ ألف",
        json!(300000),
        json!(400000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "تقريبا ثلاثمية ألف ريال",
        n.clone(),
        json!(300000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "على الأقل ٢ مليون",
        json!(2000000),
        n.clone(),
        json!("SAR"),
    );
    t.money(
        "dental_clinic",
        "ميزانيتي حوالي ٢٥٠٠ درهم",
        n.clone(),
        json!(2500),
        json!("AED"),
    );
    t.money(
        "home_services",
        "بحدود ٧٥٠٠ ريال قطري",
        n.clone(),
        json!(7500),
        json!("QAR"),
    );
    t.money(
        "home_services",
        "ميزانيتي ٥٠٠ دينار",
        n.clone(),
        json!(500),
        json!("KWD"),
    );
    t.money(
        "home_services",
        "الميزانية ٣٠٠ دينار بحريني",
        n.clone(),
        json!(300),
        json!("BHD"),
    );
    t.money(
        "home_services",
        "معايا ألفين جنيه بس",
        n.clone(),
        json!(2000),
        json!("EGP"),
    );
    t.money(
        "real_estate",
        "الميزانية ١٫٢ مليون",
        n.clone(),
        json!(1200000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "بقيمة ١٥٠٬٠٠٠ درهم",
        n.clone(),
        json!(150000),
        json!("AED"),
    );
    t.money(
        "real_estate",
        "ما عندي أكثر من ٥٠٠ ألف",
        n.clone(),
        json!(500000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "بدي ادفع حوالي ٩٠٠ ألف",
        n.clone(),
        json!(900000),
        json!("SAR"),
    );
    t.money(
        "auto_dealer",
        "الميزانية مية وخمسين ألف",
        n.clone(),
        json!(150000),
        json!("SAR"),
    );
    t.money(
        "auto_dealer",
        "ميزانيتي خمسة وسبعين ألف ريال",
        n.clone(),
        json!(75000),
        json!("SAR"),
    );
    t.money(
        "auto_dealer",
        "الميزانية بين ستمية وسبعمية ألف",
        json!(600000),
        json!(700000),
        json!("SAR"),
    );
}

#[test]
fn money_in_arabizi_and_code_switching() {
    let mut t = Table::default();
    let n = Value::Null;
    t.money(
        "real_estate",
        "budget 500 alf",
        n.clone(),
        json!(500000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "mezanyti 2 malyon",
        n.clone(),
        json!(2000000),
        json!("SAR"),
    );
    t.money(
        "home_services",
        "3andi 300 dinar bas",
        n.clone(),
        json!(300),
        json!("KWD"),
    );
    t.money(
        "solar",
        "الميزانية 20k USD",
        n.clone(),
        json!(20000),
        json!("USD"),
    );
    t.money(
        "home_services",
        "I can pay 2000 pounds, I live in Cairo",
        n.clone(),
        json!(2000),
        json!("EGP"),
    );
}

#[test]
fn numbers_that_are_not_budgets() {
    let mut t = Table::default();
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
        t.check("auto_dealer", &[text], &none);
    }
}

#[test]
fn money_context_from_the_agent_question_and_corrections() {
    let mut t = Table::default();
    t.check(
        "real_estate",
        &[
            "L: flat in Jeddah",
            "A: What budget do you have in mind?",
            "L: 1.3M max",
        ],
        &[("budget_max", json!(1300000))],
    );
    t.check(
        "real_estate",
        &["L: شقة في جدة", "A: كم ميزانيتك؟", "L: ٨٠٠"],
        &[("budget_max", json!(800))],
    );
    t.check(
        "auto_dealer",
        &[
            "L: budget 100k",
            "A: Noted",
            "L: actually make it 85k, not 100k",
        ],
        &[("budget_max", json!(85000))],
    );
    t.check(
        "real_estate",
        &["L: my salary is 20k, I can pay 4k per month for rent"],
        &[("budget_max", json!(4000))],
    );
    t.check(
        "real_estate",
        &["L: I have 3 kids", "A: What's your budget?", "L: around 2M"],
        &[("budget_max", json!(2000000))],
    );
}

#[test]
fn timelines_in_english() {
    let mut t = Table::default();
    let r = "real_estate";
    t.timeline(r, &["want to move in February"], json!("1_3_months"));
    t.timeline(r, &["planning for March"], json!("3_6_months"));
    t.timeline(r, &["probably in June"], json!("over_6_months"));
    t.timeline(r, &["need it in 5 weeks"], json!("within_1_month"));
    t.timeline(r, &["need it in 8 weeks"], json!("1_3_months"));
    t.timeline(r, &["within 3 months"], json!("1_3_months"));
    t.timeline(r, &["in 4 months or so"], json!("3_6_months"));
    t.timeline(r, &["in about 7 months"], json!("over_6_months"));
    t.timeline(r, &["next weekend"], json!("within_1_month"));
    t.timeline(r, &["can we do it tomorrow?"], json!("immediate"));
    t.timeline(r, &["by the end of the month"], json!("within_1_month"));
    t.timeline(r, &["sometime next year"], json!("over_6_months"));
    t.timeline(r, &["this summer"], json!("over_6_months"));
    t.timeline(r, &["on December 15"], json!("within_1_month"));
    t.timeline(r, &["I called yesterday about a flat"], Value::Null);
    t.timeline(r, &["I may buy a flat"], Value::Null);
    t.timeline(r, &["I've been looking for a while now"], Value::Null);
    t.timeline(r, &["I have lived here for 2 years"], Value::Null);
}

#[test]
fn timelines_in_arabic_and_arabizi() {
    let mut t = Table::default();
    let r = "real_estate";
    t.timeline(r, &["بعد ثلاث شهور"], json!("1_3_months"));
    t.timeline(r, &["خلال أسبوع"], json!("within_1_month"));
    t.timeline(r, &["بعد سنتين إن شاء الله"], json!("over_6_months"));
    t.timeline(r, &["في شهر ٢"], json!("1_3_months"));
    t.timeline(r, &["الشهر القادم"], json!("within_1_month"));
    t.timeline(r, &["الأسبوع القادم إن شاء الله"], json!("within_1_month"));
    t.timeline(r, &["باجر الصبح"], json!("immediate"));
    t.timeline(r, &["محتاجها دلوقتي"], json!("immediate"));
    t.timeline(r, &["في الصيف"], json!("over_6_months"));
    t.timeline(r, &["في مارس"], json!("3_6_months"));
    t.timeline(r, &["في شباط"], json!("1_3_months"));
    t.timeline(r, &["bukra inshallah"], json!("immediate"));
    t.timeline(r, &["ba3d shahrein"], json!("1_3_months"));
    t.timeline(r, &["بس مو الحين"], Value::Null);
    t.timeline(r, &["اشتريت بيت قبل سنتين"], Value::Null);
    t.timeline(
        r,
        &["A: متى تبي تشتري؟", "L: ٣ شهور تقريباً"],
        json!("1_3_months"),
    );
}

#[test]
fn urgency_words_and_negation() {
    let mut t = Table::default();
    t.urgency(&["it's urgent, the AC died"], json!("high"));
    t.urgency(&["not urgent at all"], json!("low"));
    t.urgency(&["مو ضروري"], json!("low"));
    t.urgency(&["ASAP please"], json!("high"));
    t.urgency(&["soon hopefully"], json!("medium"));
    t.urgency(&["قريباً إن شاء الله"], json!("medium"));
    t.urgency(&["البيت قريب من البحر"], Value::Null);
    t.urgency(&["I'm in no hurry"], json!("low"));
    t.urgency(&["just exploring options for now"], json!("low"));
    t.urgency(&["mish mesta3gel"], json!("low"));
    t.urgency(&["عاجل لو سمحت"], json!("high"));
    t.urgency(&["in the coming weeks"], json!("medium"));
    t.urgency(&["tomorrow morning"], Value::Null);
    t.check("home_services", &["urgent!"], &[("timeline", Value::Null)]);
    t.check(
        "home_services",
        &["asap"],
        &[("timeline", json!("immediate"))],
    );
}

#[test]
fn decision_maker_statements_and_answers() {
    let mut t = Table::default();
    t.decision(&["I'm the owner of the company"], json!(true));
    t.decision(&["my wife has the final say"], json!(false));
    t.decision(&["need my father's approval first"], json!(false));
    t.decision(&["القرار لزوجي"], json!(false));
    t.decision(&["لازم أشاور أهلي"], json!(false));
    t.decision(&["أنا اللي أقرر"], json!(true));
    t.decision(&["مش أنا اللي بقرر، أبويا"], json!(false));
    t.decision(&["it's for my house in Riyadh"], Value::Null);
    t.decision(&["A: Are you the decision maker?", "L: yes"], json!(true));
    t.decision(
        &["A: Are you the decision maker?", "L: no, my boss is"],
        json!(false),
    );
    t.decision(&["A: هل أنت صاحب القرار؟", "L: أيوه"], json!(true));
    t.decision(&["A: هل أنت صاحب القرار؟", "L: لا"], json!(false));
    t.decision(&["A: مين صاحب القرار؟", "L: أنا"], json!(true));
    t.decision(&["A: What's your budget?", "L: yes around 2M"], Value::Null);
    t.decision(
        &["I decide, but later I said", "actually my husband decides"],
        json!(false),
    );
}

#[test]
fn wants_human_requests() {
    let mut t = Table::default();
    t.human(&["can I talk to a real person?"], true);
    t.human(&["please call me at 0501234567"], true);
    t.human(&["don't call me, just text"], false);
    t.human(&["اتصلوا علي على هالرقم"], true);
    t.human(&["ابي اكلم موظف"], true);
    t.human(&["my number is 0501234567"], false);
    t.human(&["I'll talk to my husband first"], false);
    t.human(&["Yes I called you earlier"], false);
    t.human(&["ممكن حد يكلمني بكرة؟"], true);
}

#[test]
fn not_interested_signals() {
    let mut t = Table::default();
    t.not_interested(&["not interested anymore, thanks"], true);
    t.not_interested(&["we found another dealer, thanks"], true);
    t.not_interested(&["لا شكراً اشترينا خلاص"], true);
    t.not_interested(&["just browsing for now"], true);
    t.not_interested(&["unsubscribe"], true);
    t.not_interested(&["مش مهتم شكرا"], true);
    t.not_interested(&["I already have a car and want a second one"], false);
    t.not_interested(&["the AC stopped working"], false);
    t.check(
        "auto_dealer",
        &["I already bought a car elsewhere"],
        &[("service", Value::Null)],
    );
}

#[test]
fn services_per_industry() {
    let mut t = Table::default();
    t.service(
        "real_estate",
        "looking for a 2br flat to rent in Dubai Marina",
        json!("rent_residential"),
    );
    t.service("real_estate", "بدي اشتري بيت بعمان", json!("buy_villa"));
    t.service(
        "real_estate",
        "ابغى ارض تجارية في الدمام",
        json!("commercial"),
    );
    t.service(
        "real_estate",
        "want to list my apartment for sale",
        json!("sell_property"),
    );
    t.service("real_estate", "عايز أبيع شقتي", json!("sell_property"));
    t.service(
        "real_estate",
        "office for rent in Olaya",
        json!("commercial"),
    );
    t.service("real_estate", "ابي قطعة ارض سكنية", json!("land"));
    t.service(
        "dental_clinic",
        "I need braces for my daughter",
        json!("orthodontics"),
    );
    t.service(
        "dental_clinic",
        "عندي ضرس مكسور ويوجعني",
        json!("emergency"),
    );
    t.service("dental_clinic", "زراعة ضرس واحد", json!("implants"));
    t.service("dental_clinic", "ابي تنظيف جير", json!("checkup_cleaning"));
    t.service("dental_clinic", "abi tabyeed asnan", json!("whitening"));
    t.service("home_services", "my AC is not cooling", json!("ac_repair"));
    t.service(
        "home_services",
        "need a new AC installed in the bedroom",
        json!("ac_install"),
    );
    t.service("home_services", "toilet is blocked", json!("plumbing"));
    t.service("home_services", "بدي كهربجي", json!("electrical"));
    t.service("home_services", "ابي تنظيف للفيلا", json!("cleaning"));
    t.service(
        "home_services",
        "want to remodel our kitchen",
        json!("renovation"),
    );
    t.service("auto_dealer", "I want to sell my car", json!("trade_in"));
    t.service(
        "auto_dealer",
        "ابي سيارة جديدة بالتقسيط",
        json!("financing"),
    );
    t.service(
        "auto_dealer",
        "need an oil change",
        json!("service_maintenance"),
    );
    t.service(
        "auto_dealer",
        "looking for a second hand SUV",
        json!("used_car"),
    );
    t.service(
        "education",
        "IELTS preparation classes",
        json!("english_course"),
    );
    t.service(
        "education",
        "my company needs Excel training for our staff",
        json!("corporate_training"),
    );
    t.service(
        "education",
        "أبي مدرس رياضيات لولدي",
        json!("kids_tutoring"),
    );
    t.service(
        "education",
        "ابغى أقدم على ماجستير في امريكا",
        json!("university_admission"),
    );
    t.service(
        "solar",
        "solar panels for my farm",
        json!("commercial_solar"),
    );
    t.service("solar", "my solar inverter is broken", json!("maintenance"));
    t.service(
        "solar",
        "ابي بطارية للطاقة الشمسية",
        json!("battery_storage"),
    );
    t.service("solar", "hi there", Value::Null);
}

#[test]
fn tenant_synonyms_places_and_unknown_industries() {
    let mut t = Table::default();
    t.service("pet_grooming", "ابي تقليم كلب", json!("dog_grooming"));
    t.service(
        "pet_grooming",
        "need boarding for my cat next week",
        json!("cat_boarding"),
    );
    t.check(
        "pet_grooming",
        &["grooming near the avenues please"],
        &[
            ("location", json!("Kuwait City")),
            ("currency", Value::Null),
        ],
    );
    t.check(
        "pet_grooming",
        &["grooming for 20 dinars"],
        &[("budget_max", json!(20)), ("currency", json!("KWD"))],
    );
}

#[test]
fn locations_and_their_roles() {
    let mut t = Table::default();
    t.location(
        "moving from Dubai to Abu Dhabi next month",
        json!("Abu Dhabi"),
    );
    t.location("I live in Sharjah but want a flat in Dubai", json!("Dubai"));
    t.location("أنا من جدة وأبي شقة في الرياض", json!("Riyadh"));
    t.location("ساكن في الدوحة", json!("Doha"));
    t.location("villa in Al Wakrah", json!("Al Wakrah"));
    t.location("عايز شقة في مدينة نصر", json!("Cairo"));
    t.location("flat in Salmiya", json!("Kuwait City"));
    t.location("ننتقل الى مسقط", json!("Muscat"));
    t.location("بالخبر لو سمحت", json!("Khobar"));
    t.location("apartment in jeddah pls", json!("Jeddah"));
    t.location("أرسل لي التفاصيل مع السلامة", Value::Null);
    t.location("we want to study in Canada", Value::Null);
}

#[test]
fn language_by_script() {
    let mut t = Table::default();
    t.check(
        "real_estate",
        &["ابي شقة في الرياض"],
        &[("language", json!("ar"))],
    );
    t.check(
        "real_estate",
        &["abi shqa fe riyadh"],
        &[("language", json!("en"))],
    );
    t.check(
        "real_estate",
        &["Hi, I want a flat please, شكرا"],
        &[("language", json!("en"))],
    );
    t.check(
        "real_estate",
        &["السلام عليكم، I want شقة في الرياض بسرعة"],
        &[("language", json!("ar"))],
    );
    t.check("real_estate", &["👍"], &[("language", json!("en"))]);
}

#[test]
fn scores_follow_the_domain_rules() {
    let mut t = Table::default();
    t.check(
        "real_estate",
        &[
            "Need a 3BR apartment in Riyadh, budget 1.2M, want to buy next month, I'm the decision maker",
        ],
        &[("score", json!("HOT"))],
    );
    t.check(
        "real_estate",
        &["villa for 100k"],
        &[("score", json!("COLD"))],
    );
    t.check("real_estate", &["hello"], &[("score", json!("UNSCORED"))]);
    t.check(
        "real_estate",
        &["STOP"],
        &[("score", json!("COLD")), ("not_interested", json!(true))],
    );
}

#[test]
fn more_services_across_dialects() {
    let mut t = Table::default();
    t.service(
        "real_estate",
        "I'm looking for a townhouse in Dubai",
        json!("buy_villa"),
    );
    t.service(
        "real_estate",
        "need a studio for rent",
        json!("rent_residential"),
    );
    t.service(
        "real_estate",
        "looking to lease an office downtown",
        json!("commercial"),
    );
    t.service(
        "real_estate",
        "أبي أأجر فيلا في الرياض",
        json!("rent_residential"),
    );
    t.service(
        "real_estate",
        "عندي أرض وأبي أبيعها",
        json!("sell_property"),
    );
    t.service(
        "real_estate",
        "ابغى شقة تمليك في جدة",
        json!("buy_apartment"),
    );
    t.service("real_estate", "بدي محل تجاري بعمان", json!("commercial"));
    t.service(
        "dental_clinic",
        "I chipped my front tooth and it hurts",
        json!("emergency"),
    );
    t.service("dental_clinic", "عايز أعمل فينير", json!("cosmetic"));
    t.service(
        "dental_clinic",
        "بدي قوم تقويم لبنتي",
        json!("orthodontics"),
    );
    t.service(
        "home_services",
        "water leaking from the ceiling",
        json!("plumbing"),
    );
    t.service(
        "home_services",
        "want to paint the whole villa",
        json!("renovation"),
    );
    t.service("home_services", "المكيف يطلع صوت", json!("ac_repair"));
    t.service("home_services", "عايز سباك ضروري", json!("plumbing"));
    t.service("auto_dealer", "I want a Land Cruiser", json!("new_car"));
    t.service(
        "auto_dealer",
        "عايز عربية مستعملة بحالة كويسة",
        json!("used_car"),
    );
    t.service(
        "auto_dealer",
        "need a car loan for a Camry",
        json!("financing"),
    );
    t.service(
        "auto_dealer",
        "how much is my car worth? it's a 2018 Accord",
        json!("trade_in"),
    );
    t.service(
        "education",
        "spoken English for my son",
        json!("english_course"),
    );
    t.service("education", "عايز أتعلم برمجة", json!("coding_bootcamp"));
    t.service(
        "education",
        "GMAT prep and help with applications to US universities",
        json!("university_admission"),
    );
    t.service(
        "solar",
        "how much for a 10kW system for my villa",
        json!("residential_solar"),
    );
    t.service(
        "solar",
        "off-grid solar for our factory",
        json!("commercial_solar"),
    );
    t.service("solar", "الألواح تحتاج تنظيف", json!("maintenance"));
}

#[test]
fn more_money_shapes() {
    let mut t = Table::default();
    let n = Value::Null;
    t.money(
        "real_estate",
        "SAR 900,000 is my budget",
        n.clone(),
        json!(900000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "budget 2-3M",
        json!(2000000),
        json!(3000000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "from 500k to 700k",
        json!(500000),
        json!(700000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "max budget is 80k",
        n.clone(),
        json!(80000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "I can afford 3000 a month",
        n.clone(),
        json!(3000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "budget 5,000-7,000 AED",
        json!(5000),
        json!(7000),
        json!("AED"),
    );
    t.money(
        "real_estate",
        "ميزانيتي مليون إلى مليون ونص",
        json!(1000000),
        json!(1500000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "الميزانية مليون وربع",
        n.clone(),
        json!(1250000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "ميزانيتي عشرة آلاف ريال بالشهر",
        n.clone(),
        json!(10000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "ميزانيتي ٢٥ الف",
        n.clone(),
        json!(25000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "budget 1,5 million",
        n.clone(),
        json!(1500000),
        json!("SAR"),
    );
    t.money(
        "home_services",
        "not more than 5k",
        n.clone(),
        json!(5000),
        json!("USD"),
    );
}

#[test]
fn more_timelines_and_urgency() {
    let mut t = Table::default();
    let r = "real_estate";
    t.timeline(r, &["in two weeks"], json!("within_1_month"));
    t.timeline(r, &["within the next 48 hours"], json!("immediate"));
    t.timeline(r, &["this Thursday"], json!("immediate"));
    t.timeline(r, &["after Ramadan"], json!("1_3_months"));
    t.timeline(r, &["خلال الشهرين الجايين"], json!("1_3_months"));
    t.timeline(r, &["نهاية السنة"], json!("within_1_month"));
    t.timeline(r, &["maybe in spring"], json!("3_6_months"));
    t.timeline(r, &["early January"], json!("1_3_months"));
    t.urgency(&["in a couple of weeks"], Value::Null);
    t.urgency(&["I need it done in the coming weeks"], json!("medium"));
}

#[test]
fn more_decisions_humans_and_refusals() {
    let mut t = Table::default();
    t.decision(&["I need to check with my wife"], json!(false));
    t.decision(&["my partner and I will decide together"], json!(false));
    t.decision(&["the company will decide"], json!(false));
    t.decision(&["I have full authority on this"], json!(true));
    t.decision(
        &["my wife and I decide together on these things"],
        json!(false),
    );
    t.decision(&["my wife and I decide"], json!(false));
    t.decision(&["I'll decide with my wife this weekend"], json!(false));
    t.decision(&["أنا وزوجي بنقرر"], json!(false));
    t.decision(&["أنا اللي بقرر وحدي"], json!(true));
    t.decision(&["لازم آخذ موافقة المدير"], json!(false));
    t.decision(&["بشوف مع زوجتي وبرد عليك"], json!(false));
    t.human(&["can you call me?"], true);
    t.human(&["I prefer a phone call"], true);
    t.human(&["please have someone contact me"], true);
    t.human(&["is there a human I can talk to"], true);
    t.human(&["بدي حدا يحكي معي"], true);
    t.human(&["I'll call you tomorrow"], false);
    t.not_interested(&["no thanks"], true);
    t.not_interested(&["لا شكرا"], true);
    t.not_interested(&["we decided not to buy"], true);
    t.not_interested(&["found a cheaper option elsewhere"], true);
    t.not_interested(&["No, the budget is 80k"], false);
}

#[test]
fn dialect_expressions_of_every_field() {
    let mut t = Table::default();
    let n = Value::Null;
    t.money(
        "real_estate",
        "الميزانية ما تتعدى ٨٠٠ ألف",
        n.clone(),
        json!(800000),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "ميزانيتي ابتداءً من مليون",
        json!(1000000),
        n.clone(),
        json!("SAR"),
    );
    t.money(
        "real_estate",
        "مليون فما فوق",
        json!(1000000),
        n.clone(),
        json!("SAR"),
    );
    t.money(
        "dental_clinic",
        "بدي ادفع شي ١٠٠٠ درهم",
        n.clone(),
        json!(1000),
        json!("AED"),
    );
    t.timeline("real_estate", &["كمان شهر"], json!("within_1_month"));
    t.timeline("real_estate", &["عقب شهرين"], json!("1_3_months"));
    t.timeline("real_estate", &["بعد جمعة"], json!("within_1_month"));
    t.timeline("real_estate", &["في أقرب وقت"], json!("immediate"));
    t.timeline("real_estate", &["خلال الأيام الجاية"], json!("immediate"));
    t.urgency(&["في أقرب وقت لو سمحت"], json!("high"));
    t.decision(&["البيت باسمي"], json!(true));
    t.decision(&["لازم أرجع لزوجي"], json!(false));
    t.decision(&["القرار مشترك بيني وبين أخوي"], json!(false));
    t.human(&["ممكن حد يتصل بيا؟"], true);
    t.human(&["دقولي على الرقم"], true);
    t.not_interested(&["خلاص صرفت نظر"], true);
    t.not_interested(&["مش محتاج خلاص شكرا"], true);
}

#[test]
fn multi_turn_conversations() {
    let mut t = Table::default();
    t.check(
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
    t.check(
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
    t.check(
        "auto_dealer",
        &[
            "L: I want a used Tucson, budget 60k",
            "A: Noted",
            "L: sorry, I meant 50k max",
        ],
        &[("budget_max", json!(50000)), ("service", json!("used_car"))],
    );
}

#[test]
fn cities_missing_from_the_gazetteer() {
    let mut t = Table::default();
    t.location(
        "I live in Hafr Al Batin and need a flat",
        json!("Hafr Al Batin"),
    );
    t.location(
        "we are based in Tabarjal, looking for land",
        json!("Tabarjal"),
    );
    t.location("I'm from Zarzis", json!("Zarzis"));
    t.location("I live in a small flat", Value::Null);
    t.location("based in Riyadh", json!("Riyadh"));
}

#[test]
fn small_talk_reads_nothing() {
    let mut t = Table::default();
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
        t.check("real_estate", &[text], &empty);
    }
}

#[test]
fn questions_about_the_business_hours_and_office_give_no_lead_facts() {
    let mut t = Table::default();
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
        t.check("real_estate", &[text], &none);
    }
    // The lead's own plan next to a question about the business still counts.
    t.check(
        "real_estate",
        &["are you open on saturday? I want to buy an office next week"],
        &[
            ("service", json!("commercial")),
            ("timeline", json!("within_1_month")),
        ],
    );
    t.check(
        "real_estate",
        &["need a shop to rent for my business tomorrow, where is your office?"],
        &[
            ("service", json!("commercial")),
            ("timeline", json!("immediate")),
        ],
    );
    // A task asked of the business for a time is the lead's timeline.
    t.timeline(
        "home_services",
        &["can you work on my kitchen tomorrow?"],
        json!("immediate"),
    );
    t.timeline(
        "home_services",
        &["are you available to start next week?"],
        json!("within_1_month"),
    );
    // Asking whether the business is free at a time says when the lead wants the service.
    t.timeline(
        "home_services",
        &["my AC stopped, are you available tomorrow?"],
        json!("immediate"),
    );
    // A question about the business hours does not undo a stated plan or service.
    t.check(
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
}

#[test]
fn no_longer_interested_and_found_through_someone() {
    let mut t = Table::default();
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
        t.not_interested(&[text], true);
    }
    t.check(
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
        t.not_interested(&[text], false);
    }
}

#[test]
fn inflected_service_verbs() {
    let mut t = Table::default();
    for text in [
        "want my teeth whitened before eid",
        "can you whiten my teeth?",
        "looking to get my teeth done white",
        "I'd like whiter teeth for the summer",
        "بدي ابيض اسناني",
        "ابغى اسناني بيضاء",
    ] {
        t.service("dental_clinic", text, json!("whitening"));
    }
    for text in [
        "we want to redo the bathroom",
        "redoing our kitchen this spring",
        "looking to revamp our kitchen and bathrooms",
        "need to overhaul the old bathroom",
        "بدنا نجدد المطبخ",
        "عايزين نشطب الحمامات",
    ] {
        t.service("home_services", text, json!("renovation"));
    }
}

#[test]
fn a_figure_turned_down_and_a_bounded_correction() {
    let mut t = Table::default();
    let n = Value::Null;
    let mut correct = |turns: &[&str], max: f64| {
        t.check(
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
    t.money(
        "dental_clinic",
        "5000 is too much for me",
        n.clone(),
        n.clone(),
        n.clone(),
    );
    // "Egyptian بالكتير" after a figure is an upper bound, not a refusal.
    t.money(
        "dental_clinic",
        "معايا ٨٠٠ درهم بالكتير",
        n.clone(),
        json!(800),
        json!("AED"),
    );
}

#[test]
fn money_the_lead_has_for_the_job() {
    let mut t = Table::default();
    let n = Value::Null;
    t.money(
        "home_services",
        "We have around $18,000 for it",
        n.clone(),
        json!(18000),
        json!("USD"),
    );
    t.money(
        "home_services",
        "I have about $7,500 for it",
        n.clone(),
        json!(7500),
        json!("USD"),
    );
    t.money(
        "home_services",
        "we've set aside 12,000 dollars for it",
        n.clone(),
        json!(12000),
        json!("USD"),
    );
    // Asking money for something the lead sells is not a budget.
    t.money(
        "auto_dealer",
        "I want 50k for it",
        n.clone(),
        n.clone(),
        n.clone(),
    );
}

#[test]
fn asking_someone_first_is_not_deciding() {
    let mut t = Table::default();
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
        t.decision(&[text], json!(false));
    }
    t.decision(&["أنا صاحب القرار"], json!(true));
}

#[test]
#[should_panic(expected = "1 mismatches")]
fn a_table_with_a_mismatch_fails_when_it_is_dropped() {
    let mut t = Table::default();
    t.service(
        "real_estate",
        "looking to buy a villa",
        json!("no_such_service"),
    );
}
