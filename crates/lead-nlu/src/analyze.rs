//! A conversation prepared for the field readers: tokens and phrase hits of every turn, and what the
//! agent asked just before each lead turn.

use crate::lexicon::{Concept, Hit, Lexicon};
use crate::text::{Token, tokenize};

/// Longest text read per turn, in bytes; longer turns are cut at a character boundary so time stays bounded.
pub const MAX_TURN_BYTES: usize = 16 * 1024;
/// Most turns read; the latest ones are kept because the latest statement wins.
pub const MAX_TURNS: usize = 64;

/// Who wrote a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The lead: only their words carry facts.
    Lead,
    /// The business (agent, bot or salesperson): their questions give meaning to short answers.
    Agent,
}

/// What the agent's previous turn asked about.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Asked {
    /// The last amount with a multiplier the agent quoted ("1.4M"): its value and multiplier, so a
    /// bare reply ("1.2 max") is read at the same scale.
    pub quoted: Option<(f64, f64)>,
    /// The budget.
    pub budget: bool,
    /// The timing.
    pub timeline: bool,
    /// Who decides.
    pub decision: bool,
    /// The place.
    pub location: bool,
}

/// One analysed turn.
#[derive(Debug, Clone)]
pub struct TurnData<'a> {
    /// Index of the turn in the conversation (both sides counted).
    pub index: usize,
    /// The turn's text (possibly cut to [`MAX_TURN_BYTES`]).
    pub text: &'a str,
    /// Tokens.
    pub toks: Vec<Token>,
    /// Phrase hits sorted by start token.
    pub hits: Vec<Hit>,
    /// What the agent asked just before this lead turn.
    pub asked: Asked,
    /// Whether the turn right before this one is the agent's, so a bare "yes" or a number answers it.
    pub follows_agent: bool,
}

impl TurnData<'_> {
    /// Hits starting at token `i`.
    pub fn at(&self, i: usize) -> impl Iterator<Item = &Hit> {
        let from = self.hits.partition_point(|h| h.start < i);
        self.hits[from..].iter().take_while(move |h| h.start == i)
    }

    /// The first hit starting at `i` whose concept satisfies `f`.
    pub fn at_where(&self, i: usize, f: impl Fn(&Concept) -> bool) -> Option<Hit> {
        self.at(i).find(|h| f(&h.c)).copied()
    }

    /// The hit ending exactly at token `end` (exclusive) whose concept satisfies `f`, if any.
    pub fn ending_at(&self, end: usize, f: impl Fn(&Concept) -> bool) -> Option<Hit> {
        let upto = self.hits.partition_point(|h| h.start < end);
        self.hits[..upto]
            .iter()
            .rev()
            .take(24)
            .find(|h| h.end == end && f(&h.c))
            .copied()
    }

    /// Hits whose start lies in `from..to`.
    pub fn within(&self, from: usize, to: usize) -> impl Iterator<Item = &Hit> {
        let a = self.hits.partition_point(|h| h.start < from);
        self.hits[a..].iter().take_while(move |h| h.start < to)
    }

    /// Sentence index of token `i`.
    pub fn sentence(&self, i: usize) -> u32 {
        self.toks.get(i).map_or(u32::MAX, |t| t.sentence)
    }

    /// First token of the sentence that token `i` belongs to.
    pub fn sentence_start(&self, i: usize) -> usize {
        let s = self.sentence(i);
        let mut k = i.min(self.toks.len());
        while k > 0 && self.toks[k - 1].sentence == s {
            k -= 1;
        }
        k
    }

    /// One past the last token of the sentence that token `i` belongs to.
    pub fn sentence_end(&self, i: usize) -> usize {
        let s = self.sentence(i);
        let mut k = i;
        while k < self.toks.len() && self.toks[k].sentence == s {
            k += 1;
        }
        k
    }

    /// Byte span of tokens `from..to` in the turn's text.
    pub fn span(&self, from: usize, to: usize) -> (usize, usize) {
        let start = self.toks.get(from).map_or(0, |t| t.start);
        let end = to
            .checked_sub(1)
            .and_then(|k| self.toks.get(k))
            .map_or(start, |t| t.end);
        (start, end.max(start))
    }

    /// Whether token `i` starts a clause (the text start, a new sentence, or after `, : (`).
    pub fn is_clause_start(&self, i: usize) -> bool {
        let (Some(cur), Some(prev)) = (
            self.toks.get(i),
            i.checked_sub(1).and_then(|k| self.toks.get(k)),
        ) else {
            return true;
        };
        if prev.sentence != cur.sentence {
            return true;
        }
        matches!(prev.kind, crate::text::Kind::Punct(c) if matches!(c, '.' | ',' | '!' | '?' | '؟' | ';' | ':' | '('))
    }
}

/// A whole conversation analysed: lead turns carry facts, agent turns only questions.
#[derive(Debug, Clone)]
pub struct Conversation<'a> {
    /// Lead turns in order.
    pub lead: Vec<TurnData<'a>>,
}

/// Cuts a text to at most `max` bytes at a character boundary.
fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Tokenises and scans every turn with the built-in lexicon and the tenant's own.
pub fn analyze<'a>(turns: &[(Role, &'a str)], tenant: &Lexicon) -> Conversation<'a> {
    let skip = turns.len().saturating_sub(MAX_TURNS);
    let mut lead = Vec::new();
    let mut asked = Asked::default();
    let mut previous_role: Option<Role> = None;
    for (index, (role, raw)) in turns.iter().enumerate().skip(skip) {
        let text = clip(raw, MAX_TURN_BYTES);
        let toks = tokenize(text);
        let mut hits = Vec::new();
        crate::phrases::LEXICON.scan(&toks, &mut hits);
        match role {
            Role::Agent => {
                asked = Asked::default();
                for h in &hits {
                    match h.c {
                        Concept::AskBudget | Concept::BudgetCue => asked.budget = true,
                        Concept::AskTimeline => asked.timeline = true,
                        Concept::AskDecision | Concept::Decide => asked.decision = true,
                        Concept::AskLocation => asked.location = true,
                        _ => {}
                    }
                }
                let agent = TurnData {
                    index,
                    text,
                    toks,
                    hits,
                    asked,
                    follows_agent: previous_role == Some(Role::Agent),
                };
                asked.quoted = crate::money::quoted_scale(&agent);
            }
            Role::Lead => {
                tenant.scan(&toks, &mut hits);
                hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end)));
                lead.push(TurnData {
                    index,
                    text,
                    toks,
                    hits,
                    asked,
                    follows_agent: previous_role == Some(Role::Agent),
                });
                asked = Asked::default();
            }
        }
        previous_role = Some(*role);
    }
    Conversation { lead }
}
