//! What the lead's latest message is about (greeting, question, information, a request for a person,
//! opt-out, refusal, thanks, or unreadable), and how sure the reading is of it.
//!
//! The confidence the domain escalates on says whether the message was understood, not whether it
//! carried a qualification fact: "Hi", "السلام عليكم", "what are your office hours?" and "ok thanks"
//! are understood; only gibberish, symbols or a script the reader does not know are not.

mod cues;
mod readable;

pub use cues::Cue;

use crate::analyze::{Conversation, TurnData};
use crate::lexicon::{Concept, Hit};
use crate::text::Kind;
use lead_domain::qualification::MessageIntent;
use readable::Readability;

/// What the field readers found in the latest lead turn, which the intent builds on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatestTurnFacts {
    /// Confidences of the qualification facts read from the turn (service, budget, timeline,
    /// urgency, decision maker, location).
    pub fact_confidences: Vec<f32>,
    /// Whether the turn asks for a person.
    pub wants_human: bool,
    /// Whether the turn says the lead is not interested.
    pub not_interested: bool,
}

/// The intent of the latest lead turn and how sure the reading is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IntentReading {
    /// What the message is about.
    pub intent: MessageIntent,
    /// How sure the reading is of what the message means, 0 to 1.
    pub confidence: f32,
}

/// Confidence of a message that could not be read.
const UNREADABLE: f32 = 0.25;
/// The lowest confidence an understood message gets.
const UNDERSTOOD_FLOOR: f32 = 0.7;

/// Reads the intent of the conversation's latest lead turn; `None` when the lead has not written.
pub fn read_latest(conv: &Conversation<'_>, facts: &LatestTurnFacts) -> Option<IntentReading> {
    let turn = conv.lead.last()?;
    let mut cue_hits = Vec::new();
    cues::CUES.scan(&turn.toks, &mut cue_hits);
    let all_hits: Vec<Hit> = turn.hits.iter().chain(&cue_hits).copied().collect();
    let readability = Readability::of(turn, &all_hits);
    let understood = |intent: MessageIntent, base: f32| {
        // Some junk among words that read: still understood, a little less sure.
        let confidence = (base - 0.15 * readability.junk_share()).max(UNDERSTOOD_FLOOR);
        Some(IntentReading { intent, confidence })
    };
    if facts.wants_human {
        return understood(MessageIntent::WantsHuman, 0.9);
    }
    if opts_out(turn, &cue_hits) {
        return understood(MessageIntent::OptOut, 0.95);
    }
    if facts.not_interested {
        return understood(MessageIntent::NotInterested, 0.9);
    }
    if !facts.fact_confidences.is_empty() {
        let mean = facts.fact_confidences.iter().sum::<f32>() / facts.fact_confidences.len() as f32;
        return understood(
            MessageIntent::Information,
            0.75 + 0.2 * mean.clamp(0.0, 1.0),
        );
    }
    if readability.is_unreadable() {
        return Some(IntentReading {
            intent: MessageIntent::Unclear,
            confidence: UNREADABLE,
        });
    }
    if asks_question(turn, &cue_hits) {
        return understood(MessageIntent::Question, 0.9);
    }
    let has = |cue: Cue| cue_hits.iter().any(|h| h.c == Concept::Intent(cue));
    if has(Cue::Greeting) {
        return understood(MessageIntent::Greeting, 0.95);
    }
    if has(Cue::Thanks) {
        // "ok", "تمام شكراً", "great": an acknowledgement, even right after the agent's question.
        return understood(MessageIntent::Thanks, 0.9);
    }
    let is_short_answer = short_answer(turn);
    if (is_short_answer && turn.follows_agent) || number_only(turn) {
        return understood(MessageIntent::Information, 0.85);
    }
    if is_short_answer || readability.words() == 0 {
        // A bare "yes" with nothing asked, an emoji.
        return understood(MessageIntent::Thanks, 0.9);
    }
    if readability.numbers > 0 || readability.words() >= 3 {
        // A statement the field readers found nothing in ("the booking is under the name Sara").
        return understood(MessageIntent::Information, 0.8);
    }
    understood(MessageIntent::Thanks, 0.85)
}

/// Words of a turn outside the given hits and the tokens they cover.
fn uncovered_words<'t>(
    turn: &'t TurnData<'_>,
    from: usize,
    to: usize,
    hits: &'t [Hit],
    keep: impl Fn(&Hit) -> bool + 't,
) -> impl Iterator<Item = usize> + 't {
    (from..to).filter(move |&k| {
        turn.toks.get(k).is_some_and(|t| t.is_word())
            && !hits.iter().any(|h| keep(h) && h.start <= k && k < h.end)
    })
}

/// "unsubscribe", "stop texting me", "لا ترسل", or a stop word standing alone ("STOP", "الغاء لو سمحت").
fn opts_out(turn: &TurnData<'_>, cue_hits: &[Hit]) -> bool {
    cue_hits.iter().any(|h| match h.c {
        Concept::Intent(Cue::OptOut) => true,
        Concept::Intent(Cue::OptOutWord) => {
            let (from, to) = (turn.sentence_start(h.start), turn.sentence_end(h.start));
            let alone = uncovered_words(turn, from, to, cue_hits, |x| {
                matches!(
                    x.c,
                    Concept::Intent(Cue::OptOutWord | Cue::Polite | Cue::Thanks | Cue::Greeting)
                )
            })
            .next()
            .is_none();
            // "STOP SENDING ME THIS": a capitalised stop word in a message with no lower case.
            // Arabic has no case, so only Latin capitals count.
            let shouted = turn.toks.get(h.start).is_some_and(|tok| {
                turn.text
                    .get(tok.start..tok.end)
                    .is_some_and(|s| s.chars().count() > 2 && s.chars().any(char::is_uppercase))
            }) && !turn.text.chars().any(char::is_lowercase);
            alone || shouted
        }
        _ => false,
    })
}

/// Words after which a clause-start question word still opens the question ("and where", "hi what").
fn opens_question(norm: &str) -> bool {
    matches!(
        norm,
        "and" | "so" | "but" | "also" | "ok" | "okay" | "then" | "w" | "wa" | "bs" | "bas" | "tb"
    )
}

/// A question about the business: a question mark in a sentence that is more than a greeting or
/// thanks ("how are you?" is a greeting), a question word or phrase, or a clause-opening
/// question word ("what time", "is there", "shu", "wain").
fn asks_question(turn: &TurnData<'_>, cue_hits: &[Hit]) -> bool {
    let courtesy = |h: &Hit| {
        matches!(
            h.c,
            Concept::Intent(Cue::Greeting | Cue::Thanks | Cue::Polite)
        )
    };
    let marked = turn.toks.iter().enumerate().any(|(k, tok)| {
        (tok.is_punct('?') || tok.is_punct('؟'))
            && uncovered_words(turn, turn.sentence_start(k), k, cue_hits, courtesy)
                .next()
                .is_some()
    });
    if marked {
        return true;
    }
    cue_hits.iter().any(|h| match h.c {
        Concept::Intent(Cue::Question) => true,
        Concept::Intent(Cue::QuestionLead) => {
            turn.is_clause_start(h.start)
                || h.start.checked_sub(1).is_some_and(|p| {
                    turn.toks.get(p).is_some_and(|t| opens_question(&t.norm))
                        || cue_hits.iter().any(|x| courtesy(x) && x.end == h.start)
                })
        }
        _ => false,
    })
}

/// A short yes or no ("yes", "نعم", "la2 mesh keda"): up to three words opening with an affirmation
/// or denial.
fn short_answer(turn: &TurnData<'_>) -> bool {
    let words: Vec<usize> = (0..turn.toks.len())
        .filter(|&k| turn.toks[k].is_word())
        .collect();
    let Some(&first) = words.first() else {
        return false;
    };
    words.len() <= 3
        && turn
            .at(first)
            .any(|h| matches!(h.c, Concept::Affirm | Concept::Deny))
}

/// A turn that is a number and nothing else (a count, an amount, a phone number).
fn number_only(turn: &TurnData<'_>) -> bool {
    turn.toks.iter().any(|t| matches!(t.kind, Kind::Number(_)))
        && !turn.toks.iter().any(|t| t.is_word())
}
