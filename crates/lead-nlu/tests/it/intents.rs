//! The intent of the lead's latest message and the confidence the domain escalates on: every
//! understood message (greeting, question, thanks, information, refusal, a request for a person) reads
//! with high confidence in English, Arabic and Arabizi; only unreadable text is unclear.

use chrono::NaiveDate;
use lead_domain::qualification::{Currency, MessageIntent, Qualification};
use lead_nlu::{Role, RuleExtractor, TenantProfile};
use std::sync::LazyLock;

/// The confidence below which the domain hands a conversation to a person.
const ESCALATION_THRESHOLD: f32 = 0.6;

static EXTRACTOR: LazyLock<RuleExtractor> = LazyLock::new(|| {
    let currency = Currency::parse("SAR").unwrap_or_else(|e| panic!("SAR must parse: {e}"));
    let services = [
        ("buy_apartment", "buying an apartment / flat"),
        ("buy_villa", "buying a villa or house"),
        ("rent_residential", "renting an apartment, villa or house"),
        (
            "sell_property",
            "selling or listing the lead's own property",
        ),
        ("commercial", "office, shop, warehouse or land for business"),
        ("land", "buying a plot of land"),
    ]
    .iter()
    .map(|(k, d)| ((*k).to_owned(), (*d).to_owned()))
    .collect();
    RuleExtractor::new(TenantProfile::new("real_estate", currency, services))
});

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default()
}

/// Reads a conversation written as "A: ..." (agent) and lead lines.
fn read(turns: &[&str]) -> Qualification {
    let parsed: Vec<(Role, &str)> = turns
        .iter()
        .map(|t| match t.strip_prefix("A: ") {
            Some(rest) => (Role::Agent, rest),
            None => (Role::Lead, *t),
        })
        .collect();
    EXTRACTOR.extract(&parsed, today()).qualification
}

/// Checks every single-message conversation reads with the intent and an understood confidence.
fn expect_understood(intent: MessageIntent, messages: &[&str]) {
    let mut misses = Vec::new();
    for text in messages {
        let q = read(&[text]);
        let confidence = q.confidence.unwrap_or(0.0);
        if q.intent != Some(intent) || confidence < 0.7 {
            misses.push(format!("{text:?}: {:?} at {confidence:.2}", q.intent));
        }
    }
    assert!(
        misses.is_empty(),
        "expected {intent:?}, missed:\n{}",
        misses.join("\n")
    );
}

#[test]
fn greetings_are_understood() {
    expect_understood(
        MessageIntent::Greeting,
        &[
            "Hello there!",
            "good afternoon",
            "hey 👋",
            "Hi, how are you?",
            "أهلاً وسهلاً",
            "صباح النور",
            "هلا والله",
            "السلام عليكم ورحمة الله وبركاته",
            "ازيكم عاملين ايه",
            "mar7aba",
            "salamo alaykom",
            "ahlan",
        ],
    );
}

#[test]
fn questions_about_the_business_are_understood() {
    expect_understood(
        MessageIntent::Question,
        &[
            "what are your opening hours",
            "do you accept credit cards?",
            "Is parking available at your office?",
            "who should I contact about paperwork?",
            "hi, what time do you close",
            "متى تفتحون؟",
            "فين مكتبكم بالظبط",
            "قديش بتاخدوا عالاستشارة",
            "هل تقبلون الدفع بالبطاقة",
            "كم رسوم الخدمة",
            "wain maktabkom?",
            "shu el shorot",
            "kam el rosoom",
        ],
    );
}

#[test]
fn thanks_and_acknowledgements_are_understood() {
    expect_understood(
        MessageIntent::Thanks,
        &[
            "thank you so much!",
            "okay great",
            "👍",
            "🙏🙏",
            "cool, noted",
            "alright, I'll think about it",
            "شكرا جزيلا",
            "الله يعطيك العافية",
            "تمام",
            "اوكي",
            "طيب، مشكورين",
            "mashkoor",
            "tamam ya3tik el 3afye",
        ],
    );
}

#[test]
fn facts_make_information_even_after_a_greeting() {
    expect_understood(
        MessageIntent::Information,
        &[
            "I'm after a 2 bedroom apartment in Dammam",
            "hello, we want a plot of land near Khobar",
            "ميزانيتي ٥٠٠ ألف",
            "مرحبا، ابغى فيلا في جدة",
            "abi shaqa fi jeddah",
        ],
    );
}

#[test]
fn short_answers_to_the_agent_are_information() {
    for turns in [
        &["A: Are you the one who decides?", "yes"][..],
        &["A: How many bedrooms do you need?", "4"],
        &["A: هل أنت صاحب القرار؟", "نعم"],
        &["A: Have you seen the listing?", "la"],
    ] {
        let q = read(turns);
        assert_eq!(q.intent, Some(MessageIntent::Information), "{turns:?}");
        assert!(q.confidence.is_some_and(|c| c >= 0.7), "{turns:?}");
    }
}

#[test]
fn requests_for_a_person_are_wants_human() {
    expect_understood(
        MessageIntent::WantsHuman,
        &[
            "can I speak to someone from sales please",
            "ابغى اكلم موظف",
            "ممكن حد من عندكم يتصل علي",
            "momken akalim 7ad mn el mabi3at",
            "not interested in the bot, let me talk to a real person",
        ],
    );
}

#[test]
fn mentioning_a_person_is_not_asking_for_one() {
    for text in [
        "the final say is with my boss",
        "القرار لزوجتي",
        "my brother will have a look at it with me",
    ] {
        let q = read(&[text]);
        assert!(!q.wants_human(), "{text:?} read as a request for a person");
        assert_ne!(q.intent, Some(MessageIntent::WantsHuman), "{text:?}");
        assert!(q.confidence.is_some_and(|c| c >= 0.7), "{text:?}");
    }
}

#[test]
fn opt_outs_are_understood() {
    expect_understood(
        MessageIntent::OptOut,
        &[
            "STOP",
            "unsubscribe me please",
            "I'm not interested, stop texting me",
            "لا ترسلوا لي رسائل مرة ثانية",
            "الغاء",
            "الغاء الاشتراك لو سمحت",
            "la tirsil",
        ],
    );
}

#[test]
fn stop_words_inside_a_sentence_are_not_opt_outs() {
    for text in [
        "the AC stopped working",
        "please stop by the office tomorrow",
        "الغاء الحجز القديم وحجز موعد جديد",
        "توقف المكيف عن التبريد",
        "how do I cancel my viewing appointment?",
    ] {
        let q = read(&[text]);
        assert_ne!(q.intent, Some(MessageIntent::OptOut), "{text:?}");
        assert!(q.confidence.is_some_and(|c| c >= 0.7), "{text:?}");
    }
    let q = read(&["STOP SENDING ME THESE"]);
    assert_eq!(q.intent, Some(MessageIntent::OptOut));
}

#[test]
fn refusals_are_not_interested() {
    expect_understood(
        MessageIntent::NotInterested,
        &[
            "we're not interested anymore",
            "مو مهتم الحين",
            "mesh mohtam",
        ],
    );
}

#[test]
fn gibberish_symbols_and_unknown_scripts_are_unclear() {
    let mut misses = Vec::new();
    for text in [
        "asdkjh qwpoe zzxv",
        "fjdkslq vnmx",
        "hjkl xcvbn ;;",
        "ضصثقفغ",
        ";;; !!!",
        "???",
        "#$%&*",
        "你好，我想买一套房子",
        "Здравствуйте, я хочу купить квартиру",
        "मुझे एक घर चाहिए",
        "Bonjour, je voudrais des informations s'il vous plaît",
        "Hola, necesito información por favor",
        "Guten Tag, ich möchte eine Wohnung mieten",
    ] {
        let q = read(&[text]);
        let confidence = q.confidence.unwrap_or(1.0);
        if q.intent != Some(MessageIntent::Unclear) || confidence >= ESCALATION_THRESHOLD {
            misses.push(format!("{text:?}: {:?} at {confidence:.2}", q.intent));
        }
    }
    assert!(misses.is_empty(), "missed:\n{}", misses.join("\n"));
}

#[test]
fn ordinary_sentences_with_unlisted_words_are_understood() {
    for text in [
        "my cat likes the garden",
        "sorry, the kids were playing with my phone",
        "the weather is lovely here",
        "ya3ni kida 3adi",
        "الجو حلو اليوم",
    ] {
        let q = read(&[text]);
        assert_ne!(q.intent, Some(MessageIntent::Unclear), "{text:?}");
        assert!(q.confidence.is_some_and(|c| c >= 0.7), "{text:?}");
    }
}

#[test]
fn only_the_latest_lead_turn_decides() {
    // Unreadable then understood: the later message is read.
    let q = read(&[
        "qwzx vbnm",
        "A: Sorry, could you say that again?",
        "I want a villa",
    ]);
    assert_eq!(q.intent, Some(MessageIntent::Information));
    // Understood then unreadable.
    let q = read(&["hi", "A: Hello! How can I help?", "zxcv bnmq lkjh"]);
    assert_eq!(q.intent, Some(MessageIntent::Unclear));
    assert!(q.confidence.is_some_and(|c| c < ESCALATION_THRESHOLD));
    // A greeting then a question, in one message: a question.
    let q = read(&["good morning, when does your office open?"]);
    assert_eq!(q.intent, Some(MessageIntent::Question));
}

#[test]
fn no_lead_turn_gives_no_intent_and_no_confidence() {
    for turns in [&[][..], &["A: Hi, how can we help you today?"]] {
        let q = read(turns);
        assert_eq!(q.intent, None, "{turns:?}");
        assert_eq!(q.confidence, None, "{turns:?}");
    }
}

/// "ابي فيلا في جدة بميزانية مليونين" as a PDF pastes it: Arabic presentation forms, with the
/// lam-alef ligature.
const PDF_PASTED_REQUEST: &str = "\u{FE8D}\u{FE91}\u{FEF2} \u{FED3}\u{FEF4}\u{FEFC} \u{FED3}\u{FEF2} \u{FE9F}\u{FEAA}\u{FE93} \u{FE91}\u{FEE4}\u{FEF4}\u{FEB0}\u{FE8D}\u{FEE7}\u{FEF4}\u{FE94} \u{FEE3}\u{FEE0}\u{FEF4}\u{FEEE}\u{FEE7}\u{FEF4}\u{FEE6}";

#[test]
fn pdf_pasted_arabic_reads_like_plain_text() {
    let q = read(&[PDF_PASTED_REQUEST]);
    assert_eq!(
        q.service.as_ref().map(|f| f.value.as_str()),
        Some("buy_villa")
    );
    assert_eq!(
        q.location.as_ref().map(|f| f.value.as_str()),
        Some("Jeddah")
    );
    assert_eq!(
        q.budget.as_ref().and_then(|b| b.value.max),
        Some(2_000_000.0)
    );
    assert_eq!(q.intent, Some(MessageIntent::Information));
    // Evidence quotes the lead's own characters, cut at character boundaries of the original text.
    for evidence in [
        q.service.as_ref().and_then(|f| f.evidence.as_ref()),
        q.location.as_ref().and_then(|f| f.evidence.as_ref()),
        q.budget.as_ref().and_then(|f| f.evidence.as_ref()),
    ] {
        let Some(e) = evidence else {
            panic!("every fact carries evidence");
        };
        let (start, end) = e.span.unwrap_or_default();
        assert!(!e.quote.is_empty());
        assert_eq!(PDF_PASTED_REQUEST.get(start..end), Some(e.quote.as_str()));
    }
    // The lam-alef ligature of "لا" in an opt-out, and thanks in presentation forms.
    let q = read(&["\u{FEFB} \u{FE97}\u{FEAE}\u{FEB3}\u{FEE0}\u{FEEE}\u{FE8D} \u{FEDF}\u{FEF2}"]);
    assert_eq!(q.intent, Some(MessageIntent::OptOut));
    let q = read(&["\u{FEB7}\u{FEDC}\u{FEAE}\u{FE8D} \u{FE9F}\u{FEB0}\u{FEF3}\u{FEE0}\u{FE8E}"]);
    assert_eq!(q.intent, Some(MessageIntent::Thanks));
}

#[test]
fn full_width_digits_and_letters_read_as_ascii() {
    let q = read(&["ميزانيتي ８００ ألف"]);
    assert_eq!(q.budget.as_ref().and_then(|b| b.value.max), Some(800_000.0));
    let evidence = q.budget.as_ref().and_then(|b| b.evidence.clone());
    assert!(evidence.is_some_and(|e| e.quote.contains("８００")));
    let q = read(&["ｂｕｄｇｅｔ ２.５Ｍ riyals"]);
    assert_eq!(
        q.budget.as_ref().and_then(|b| b.value.max),
        Some(2_500_000.0)
    );
    let q = read(&["ＳＴＯＰ"]);
    assert_eq!(q.intent, Some(MessageIntent::OptOut));
}
