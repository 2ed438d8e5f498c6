//! Urgency, decision maker, wants-a-human, not-interested and language: short signals read from
//! phrases, negation and the agent's previous question.

use crate::analyze::{Conversation, TurnData};
use crate::lexicon::{Concept, Hit};
use crate::text::{Kind, Script};
use lead_domain::language::Language;
use lead_domain::qualification::Urgency;

/// A signal read from the lead's words, with where it was read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Read<T> {
    /// The value.
    pub value: T,
    /// Turn index in the conversation.
    pub turn: usize,
    /// Byte span in the turn.
    pub span: (usize, usize),
    /// How sure the reading is.
    pub confidence: f32,
}

fn read<T>(value: T, t: &TurnData<'_>, from: usize, to: usize, confidence: f32) -> Read<T> {
    Read {
        value,
        turn: t.index,
        span: t.span(from, to),
        confidence,
    }
}

/// Whether a negation stands within `window` tokens before `k`, in the same sentence.
fn negated(t: &TurnData<'_>, k: usize, window: usize) -> bool {
    let from = k.saturating_sub(window).max(t.sentence_start(k));
    t.within(from, k)
        .any(|h| matches!(h.c, Concept::Neg) && h.end <= k)
        || t.toks[from..k.min(t.toks.len())]
            .iter()
            .any(|x| is_negation_word(&x.norm))
}

/// Negation words, checked on the tokens too because a longer phrase may have absorbed them.
pub fn is_negation_word(norm: &str) -> bool {
    matches!(
        norm,
        "not"
            | "don't"
            | "dont"
            | "isn't"
            | "never"
            | "مش"
            | "مو"
            | "مب"
            | "موب"
            | "لست"
            | "ليس"
            | "مهب"
            | "mish"
            | "msh"
            | "mesh"
            | "mo"
            | "mu"
    )
}

/// Words whose negation means "no hurry" rather than nothing ("مو مستعجل", "not urgent").
fn is_hurry_word(norm: &str) -> bool {
    matches!(
        norm,
        "urgent" | "rush" | "hurry" | "ضروري" | "عاجل" | "urgently"
    ) || norm.contains("مستعجل")
        || norm.starts_with("mesta3")
        || norm.starts_with("mista3")
}

/// Reads urgency; the latest statement wins. `time_urgency` holds urgency carried by time words.
pub fn urgency(
    conv: &Conversation<'_>,
    time_urgency: &[(Urgency, usize, (usize, usize))],
) -> Option<Read<Urgency>> {
    let mut found: Vec<Read<Urgency>> = time_urgency
        .iter()
        .map(|(u, turn, span)| Read {
            value: *u,
            turn: *turn,
            span: *span,
            confidence: 0.85,
        })
        .collect();
    for t in &conv.lead {
        for h in &t.hits {
            match h.c {
                Concept::Urgency(level) => {
                    if level == Urgency::High && negated(t, h.start, 2) {
                        if is_hurry_word(&t.toks[h.start].norm) {
                            found.push(read(
                                Urgency::Low,
                                t,
                                h.start.saturating_sub(1),
                                h.end,
                                0.8,
                            ));
                        }
                        continue;
                    }
                    found.push(read(level, t, h.start, h.end, 0.85));
                }
                Concept::Soon => {
                    // "قريبة من شغلي" is near, not soon.
                    let near = t
                        .at(h.end)
                        .any(|x| matches!(x.c, Concept::FromPlace | Concept::Between))
                        || t.toks.get(h.end).is_some_and(|x| x.norm == "to");
                    if near || negated(t, h.start, 2) {
                        continue;
                    }
                    found.push(read(Urgency::Medium, t, h.start, h.end, 0.8));
                }
                _ => {}
            }
        }
    }
    found.into_iter().max_by_key(|r| (r.turn, r.span.0))
}

/// Reads whether the lead decides alone; the latest statement wins.
pub fn decision_maker(conv: &Conversation<'_>) -> Option<Read<bool>> {
    let mut best: Option<Read<bool>> = None;
    for t in &conv.lead {
        let mut explicit: Option<Read<bool>> = None;
        for (idx, h) in t.hits.iter().enumerate() {
            if let Some(v) = decision_at(t, idx, h) {
                explicit = Some(read(v, t, h.start, h.end, 0.85));
            }
        }
        if explicit.is_none() && t.asked.decision {
            explicit = answer_to_decision_question(t);
        }
        if explicit.is_some() {
            best = explicit;
        }
    }
    best
}

fn person_near(t: &TurnData<'_>, from: usize, to: usize) -> bool {
    let end = to.min(t.sentence_end(from.min(t.toks.len().saturating_sub(1))));
    t.within(from, end)
        .any(|h| matches!(h.c, Concept::Person | Concept::OtherRef))
}

/// The nearest subject before token `k` in its sentence: `Some(true)` for the lead, `Some(false)` for someone else.
fn subject_before(t: &TurnData<'_>, k: usize) -> Option<bool> {
    let from = k.saturating_sub(8).max(t.sentence_start(k));
    let mut subject = None;
    for h in t.within(from, k) {
        if h.end > k {
            continue;
        }
        match h.c {
            Concept::SelfRef => subject = Some(true),
            Concept::Person | Concept::OtherRef => subject = Some(false),
            _ => {}
        }
    }
    subject
}

/// "القرار لي ولزوجتي", "I'll decide with my wife": a decision shared with someone is not the lead's alone.
fn shared_with_someone(t: &TurnData<'_>, h: &Hit) -> bool {
    let joins = |k: usize| {
        matches!(
            t.toks[k].norm.as_str(),
            "and" | "with" | "مع" | "ومع" | "w" | "&"
        )
    };
    let glued_and = |x: &Hit| {
        t.toks
            .get(x.start)
            .is_some_and(|tk| tk.norm.starts_with('و'))
    };
    let to = (h.end + 4).min(t.sentence_end(h.start));
    let after = t
        .within(h.end, to)
        .any(|x| matches!(x.c, Concept::Person) && (glued_and(x) || (h.end..x.start).any(joins)));
    // "my wife and I decide", "أنا وزوجي نقرر"; the person must be someone else's, not the lead's own
    // title ("I'm the HR director and I sign off").
    let possessed = |x: &Hit| {
        glued_and(x)
            || x.start
                .checked_sub(1)
                .and_then(|k| t.toks.get(k))
                .is_some_and(|tk| matches!(tk.norm.as_str(), "my" | "our"))
    };
    let from = h.start.saturating_sub(5).max(t.sentence_start(h.start));
    let before = t.within(from, h.start).any(|x| {
        matches!(x.c, Concept::Person)
            && x.end <= h.start
            && possessed(x)
            && (glued_and(x) || (x.end..h.start).any(joins))
    });
    after || before
}

fn decision_at(t: &TurnData<'_>, idx: usize, h: &Hit) -> Option<bool> {
    let v = decision_core(t, idx, h)?;
    Some(v && !shared_with_someone(t, h))
}

fn decision_core(t: &TurnData<'_>, _idx: usize, h: &Hit) -> Option<bool> {
    let sent_end = t.sentence_end(h.start);
    match h.c {
        Concept::DecisionTrue => Some(!negated(t, h.start, 2)),
        Concept::DecisionFalse => Some(false),
        Concept::Consult => {
            // "ask my husband", "discuss it with my wife", "لازم أسأل جوزي".
            person_near(t, h.end, h.end + 4).then_some(false)
        }
        Concept::DecideSelf => {
            let denied = negated(t, h.start, 3)
                || t.within(t.sentence_start(h.start), sent_end)
                    .any(|x| matches!(x.c, Concept::DecisionFalse));
            Some(!denied)
        }
        Concept::DecideOther => match subject_before(t, h.start) {
            Some(true) => Some(true),
            Some(false) => Some(false),
            None => person_near(t, h.end, h.end + 4).then_some(false),
        },
        Concept::Decide => {
            // "the decision is mine", "القرار عند المدير", "I will be making the final decision myself".
            let after = t.within(h.end, (h.end + 4).min(sent_end));
            let mut self_after = false;
            let mut other_after = false;
            for x in after {
                match x.c {
                    // "our CFO", "my wife": a possessive before a person names that person.
                    Concept::SelfRef if t.at(x.end).any(|y| matches!(y.c, Concept::Person)) => {}
                    Concept::SelfRef => self_after = true,
                    Concept::Person | Concept::OtherRef => other_after = true,
                    Concept::DecideOther => other_after = true,
                    _ => {}
                }
            }
            let neg = negated(t, h.start, 2);
            if other_after && !self_after {
                return Some(false);
            }
            let subject = subject_before(t, h.start);
            let v = match (subject, self_after) {
                (Some(s), _) => s,
                (None, true) => true,
                (None, false) => return None,
            };
            Some(if neg { !v } else { v })
        }
        _ => None,
    }
}

/// "yes", "إيه نعم أنا", "no" right after "are you the decision maker?".
fn answer_to_decision_question(t: &TurnData<'_>) -> Option<Read<bool>> {
    for (i, tok) in t.toks.iter().enumerate() {
        if !tok.is_word() || !t.is_clause_start(i) {
            continue;
        }
        for h in t.at(i) {
            match h.c {
                Concept::Affirm => return Some(read(true, t, h.start, h.end, 0.7)),
                Concept::Deny => return Some(read(false, t, h.start, h.end, 0.6)),
                Concept::SelfRef => {
                    // "أنا", "me", "I do": a short clause naming the lead.
                    let clause_len = (i..t.toks.len())
                        .take_while(|&k| t.toks[k].is_word())
                        .count();
                    if clause_len <= 3 {
                        return Some(read(true, t, h.start, h.end, 0.65));
                    }
                }
                Concept::Person => return Some(read(false, t, h.start, h.end, 0.6)),
                _ => {}
            }
        }
    }
    None
}

/// Reads whether the lead asks for a person; the latest statement wins.
pub fn wants_human(conv: &Conversation<'_>) -> Option<Read<bool>> {
    let mut best = None;
    for t in &conv.lead {
        for h in &t.hits {
            let v = match h.c {
                Concept::CallMe => Some(!negated(t, h.start, 3)),
                Concept::RealPerson => Some(true),
                Concept::TalkTo => {
                    let to = (h.end + 3).min(t.sentence_end(h.start));
                    let staff = t
                        .within(h.end, to)
                        .any(|x| matches!(x.c, Concept::Staff | Concept::RealPerson));
                    let family = t.within(h.end, to).any(|x| {
                        matches!(x.c, Concept::Person)
                            && !matches!(t.toks[x.start].norm.as_str(), "manager" | "المدير")
                    }) || t
                        .toks
                        .get(h.end)
                        .is_some_and(|x| matches!(x.norm.as_str(), "my" | "our"));
                    (staff && !family).then(|| !negated(t, h.start, 3))
                }
                _ => None,
            };
            if let Some(v) = v {
                best = Some(read(v, t, h.start, h.end, 0.85));
            }
        }
    }
    best
}

/// "found you through a friend", "لقيت رقمكم عن طريق صاحبي": the act found the business itself (you,
/// your number, your page), which is how the lead came, not a purchase elsewhere.
fn finds_the_business(t: &TurnData<'_>, done: &Hit) -> bool {
    t.toks.get(done.end).is_some_and(|x| {
        let norm = x.norm.as_str();
        matches!(
            norm,
            "you" | "u" | "ya" | "your" | "ur" | "yours" | "number" | "رقم" | "رقمك" | "about"
        ) || x.kind == Kind::Word(Script::Arabic) && (norm.ends_with("كم") || norm.ends_with("كن"))
    })
}

/// Confidence given to a refusal that may be followed by another want ("not interested in X").
pub const SOFT_REFUSAL: f32 = 0.6;

/// Reads whether the lead is not interested: says so, asks to stop, is just browsing, or bought elsewhere.
/// The second value says whether the lead no longer wants anything (so the service is cleared).
pub fn not_interested(conv: &Conversation<'_>) -> Option<(Read<bool>, bool)> {
    let mut best = None;
    for t in &conv.lead {
        for h in &t.hits {
            let found = match h.c {
                Concept::NotInterested => Some(true),
                Concept::Browsing => Some(false),
                Concept::Stop => {
                    let tok = &t.toks[h.start];
                    let alone = t.is_clause_start(h.start)
                        && (h.end >= t.toks.len()
                            || !t.toks[h.end].is_word()
                            || t.sentence(h.end) != t.sentence(h.start));
                    let shouted = t
                        .text
                        .get(tok.start..tok.end)
                        .is_some_and(|s| s.chars().all(|c| !c.is_lowercase()) && s.len() > 2);
                    (alone || shouted).then_some(true)
                }
                Concept::Elsewhere => {
                    let (s, e) = (t.sentence_start(h.start), t.sentence_end(h.start));
                    t.within(s, e)
                        .any(|x| matches!(x.c, Concept::Done) && !finds_the_business(t, x))
                        .then_some(true)
                }
                Concept::Done => {
                    // "already bought", "خلاص اشتريت": "already" with a finished act.
                    let norm = t.toks[h.start].norm.as_str();
                    let is_already = matches!(norm, "already" | "خلاص" | "khalas" | "5alas");
                    let (s, e) = (t.sentence_start(h.start), t.sentence_end(h.start));
                    let acts = t
                        .within(s, e)
                        .filter(|x| matches!(x.c, Concept::Done) && x.start != h.start)
                        .count();
                    (is_already
                        && acts > 0
                        && !t
                            .within(s, e)
                            .any(|x| matches!(x.c, Concept::Feature("have"))))
                    .then_some(true)
                }
                _ => None,
            };
            if let Some(clears) = found {
                // "not interested in new cars, ...", "changed my mind, ...": a refusal of one thing that
                // may be followed by what the lead wants instead; confidence marks it as soft.
                let soft = matches!(h.c, Concept::NotInterested)
                    && (t
                        .toks
                        .get(h.end)
                        .is_some_and(|x| matches!(x.norm.as_str(), "in" | "بـ" | "في"))
                        || t.toks[h.start..h.end]
                            .iter()
                            .any(|x| matches!(x.norm.as_str(), "changed" | "غيرت" | "غيرنا")));
                best = Some((
                    read(
                        true,
                        t,
                        h.start,
                        h.end,
                        if soft { SOFT_REFUSAL } else { 0.85 },
                    ),
                    clears,
                ));
            }
        }
        // A whole turn of "no thanks" / "لا شكراً" turns the offer down.
        let words: Vec<usize> = (0..t.toks.len()).filter(|&k| t.toks[k].is_word()).collect();
        if (2..=4).contains(&words.len())
            && t.at(words[0]).any(|h| matches!(h.c, Concept::Deny))
            && words.iter().any(|&k| {
                matches!(
                    t.toks[k].norm.as_str(),
                    "thanks" | "thank" | "thx" | "شكرا" | "مشكور" | "مشكورين" | "shukran"
                )
            })
        {
            best = Some((read(true, t, words[0], t.toks.len(), 0.7), true));
        }
    }
    best
}

/// The language the lead mostly writes in: Arabic script letters against Latin letters.
pub fn language(conv: &Conversation<'_>) -> Option<Language> {
    let (mut ar, mut en) = (0usize, 0usize);
    for t in &conv.lead {
        for tok in &t.toks {
            match tok.kind {
                Kind::Word(Script::Arabic) => ar += tok.norm.chars().count(),
                Kind::Word(Script::Latin) => {
                    en += tok.norm.chars().filter(|c| c.is_alphabetic()).count()
                }
                _ => {}
            }
        }
    }
    match (ar, en) {
        (0, 0) => None,
        _ if ar > en => Some(Language::Ar),
        _ => Some(Language::En),
    }
}
