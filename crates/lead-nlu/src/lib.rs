//! Offline bilingual lead qualifier: reads service, budget, timeline, urgency, decision maker,
//! location, wants-human, not-interested and language from Arabic (Gulf, Egyptian, Levantine, MSA),
//! Arabizi and English conversations, with no model and no I/O. It also says what the lead's latest
//! message is about (its intent) and how sure it is of that, which is what the domain escalates on.
//!
//! The entry point is [`RuleExtractor`]: build it once per tenant from a [`TenantProfile`], then call
//! [`RuleExtractor::extract`] with the turns and the reference date. Scoring is the domain's
//! (`lead_domain::scoring::score`). [`eval`] runs the labelled evaluation format.

mod analyze;
mod booking;
mod business;
mod dates;
pub mod eval;
mod extract;
mod intent;
mod lexicon;
mod money;
mod phrases;
mod place;
mod port;
pub mod search;
mod service;
mod signals;
mod text;

pub use analyze::{MAX_TURN_BYTES, MAX_TURNS, Role};
pub use booking::read_booking;
pub use extract::{Extraction, FieldConfidence, RuleExtractor, TenantProfile};
pub use port::OfflineRules;
pub use search::SearchAnalyzer;

/// Tokens and phrase hits of a text, for diagnosing rules (not a stable format).
#[doc(hidden)]
pub fn debug_hits(text: &str) -> String {
    let toks = text::tokenize(text);
    let mut hits = Vec::new();
    phrases::LEXICON.scan(&toks, &mut hits);
    let mut s = String::new();
    for (i, t) in toks.iter().enumerate() {
        s.push_str(&format!("{i}:{}[{:?}] ", t.norm, t.sentence));
    }
    s.push('\n');
    for h in hits {
        s.push_str(&format!("{}..{} {:?}\n", h.start, h.end, h.c));
    }
    s
}
