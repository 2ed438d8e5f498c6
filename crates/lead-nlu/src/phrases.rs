//! The built-in bilingual phrase table: English, Gulf, Egyptian and Levantine Arabic, MSA and Arabizi.
//!
//! Phrases are written as people write them; they are normalised with the same tokenizer as lead
//! text, so alef and ta-marbuta variants need not be listed twice. Each file of `phrases/` holds
//! the words of one concept family; a phrase listed in two families carries both concepts.

use crate::lexicon::{Concept, Lexicon};
use std::sync::LazyLock;

mod agent_questions;
mod amounts;
mod budget_cues;
mod currencies;
mod decision_makers;
mod human_handoff;
mod interest;
mod numbers;
mod places;
mod services;
mod time_words;
mod urgency;

/// The built-in lexicon, compiled once.
pub static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::build(phrases()));

/// The phrase list the lexicon is built from: each written phrase with one concept it carries.
type Phrases = Vec<(&'static str, Concept)>;

/// Lists every word of `words` as meaning `c`, so each family file reads as concept, then words.
fn add(v: &mut Phrases, c: Concept, words: &[&'static str]) {
    v.extend(words.iter().map(|w| (*w, c)));
}

/// Every family in a fixed order: among phrases that match the same words equally well the one
/// listed first wins, and a phrase in two families carries its concepts in this order.
fn phrases() -> Phrases {
    let mut v = Vec::with_capacity(6000);
    currencies::currencies(&mut v);
    amounts::amounts(&mut v);
    budget_cues::budget_cues(&mut v);
    numbers::numbers(&mut v);
    time_words::time_words(&mut v);
    urgency::urgency(&mut v);
    decision_makers::decision_makers(&mut v);
    human_handoff::human_handoff(&mut v);
    interest::interest(&mut v);
    places::places(&mut v);
    services::services(&mut v);
    agent_questions::agent_questions(&mut v);
    v
}
