//! Pure choices made from search hits: how much of a question a passage covers, the order the
//! lead sees passages in, whether the best one answers, and which of its sentences to quote.

use super::{KnowledgeHit, TextAnalyzer};
use crate::language::{Language, detect_language};
use std::collections::HashSet;

/// One word of a question with every index term that may stand for it in a passage (its stem, a
/// bilingual concept, a transliteration key) and how much it says about what is asked.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryWord {
    /// The word as written, for explanations.
    pub word: String,
    /// Terms that match it; any one is enough.
    pub terms: Vec<String>,
    /// Weight in the coverage: 1 for a content word, less for generic ones ("price", "when").
    pub weight: f32,
    /// Whether the word asks for a figure (price, time, count, duration), so sentences with
    /// numbers answer it better.
    pub wants_figure: bool,
}

/// The least share of a question a passage must cover to be quoted as the answer.
pub const ANSWER_THRESHOLD: f64 = 0.5;

/// A hit with the share of the question it covers.
#[derive(Debug, Clone, PartialEq)]
pub struct ScoredHit {
    /// The store's hit.
    pub hit: KnowledgeHit,
    /// Weighted share of the question's words found in the passage (with its title and headings).
    pub coverage: f64,
}

/// An answer quoted from one passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    /// The quoted sentences.
    pub text: String,
    /// The passage's language.
    pub language: Language,
    /// The passage quoted.
    pub hit: KnowledgeHit,
}

/// The weighted share of `words` that have a term in `terms`.
pub fn coverage(words: &[QueryWord], terms: &HashSet<String>) -> f64 {
    let total: f32 = words.iter().map(|w| w.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let found: f32 = words
        .iter()
        .filter(|w| w.terms.iter().any(|t| terms.contains(t)))
        .map(|w| w.weight)
        .sum();
    f64::from(found / total)
}

fn term_set(analyzer: &dyn TextAnalyzer, text: &str) -> HashSet<String> {
    analyzer.index_terms(text).into_iter().collect()
}

/// Orders the store's candidates by question coverage, the store's order breaking ties.
pub fn rerank(
    analyzer: &dyn TextAnalyzer,
    words: &[QueryWord],
    hits: Vec<KnowledgeHit>,
) -> Vec<ScoredHit> {
    let mut scored: Vec<ScoredHit> = hits
        .into_iter()
        .map(|hit| {
            let context = format!(
                "{}\n{}\n{}",
                hit.title,
                hit.heading_path.join("\n"),
                hit.text
            );
            let coverage = coverage(words, &term_set(analyzer, &context));
            ScoredHit { hit, coverage }
        })
        .collect();
    scored.sort_by(|a, b| b.coverage.total_cmp(&a.coverage));
    scored
}

/// The lines and sentences of a passage, in order.
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut current = String::new();
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            current.push(c);
            let ends = matches!(c, '.' | '!' | '?' | '؟' | '؛')
                && chars.peek().is_none_or(|n| n.is_whitespace());
            if ends {
                let s = current.trim().to_owned();
                if !s.is_empty() {
                    out.push(s);
                }
                current.clear();
            }
        }
        let s = current.trim().to_owned();
        if !s.is_empty() {
            out.push(s);
        }
    }
    out
}

/// The most characters quoted from a passage.
const MAX_QUOTE_CHARS: usize = 360;

/// The answer to a question from the best hit, or `None` when it covers less than
/// [`ANSWER_THRESHOLD`] of the question: its most relevant sentences (one, or two when the second
/// is nearly as relevant), the section heading prefixed to a bare list item or table row.
pub fn answer_from(
    analyzer: &dyn TextAnalyzer,
    words: &[QueryWord],
    hits: &[ScoredHit],
) -> Option<Answer> {
    let best = hits.first().filter(|h| h.coverage >= ANSWER_THRESHOLD)?;
    let units = sentences(&best.hit.text);
    let figure = words.iter().any(|w| w.wants_figure);
    let scores: Vec<f64> = units
        .iter()
        .map(|u| {
            let mut s = coverage(words, &term_set(analyzer, u));
            if figure
                && u.chars()
                    .any(|c| c.is_ascii_digit() || ('٠'..='٩').contains(&c))
            {
                s += 0.15;
            }
            s
        })
        .collect();
    let top = scores
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)))
        .map(|(i, _)| i)?;
    let mut chosen = vec![top];
    let runner_up = scores
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != top)
        .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(&a.0)));
    if let Some((i, s)) = runner_up
        && *s > 0.0
        && *s >= scores[top] * 0.8
        && units[top].chars().count() + units[i].chars().count() <= MAX_QUOTE_CHARS
    {
        chosen.push(i);
    }
    chosen.sort_unstable();
    let mut text = chosen
        .iter()
        .map(|&i| units[i].as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if let Some(section) = best.hit.heading_path.last()
        && !text.contains(section.as_str())
        && section.chars().count() <= 80
    {
        text = format!("{section}: {text}");
    }
    let language = best
        .hit
        .language
        .or_else(|| detect_language(&best.hit.text))
        .unwrap_or_default();
    Some(Answer {
        text,
        language,
        hit: best.hit.clone(),
    })
}

/// The line that tells a lead the quote is in the other language, in the lead's language and the
/// passage's, or `None` when both are the same.
pub fn lead_in(lead: Language, passage: Language) -> Option<&'static str> {
    match (lead, passage) {
        (Language::Ar, Language::En) => {
            Some("هذا ما تقوله معلوماتنا (بالإنجليزية) / From our information:")
        }
        (Language::En, Language::Ar) => Some("From our information (in Arabic) / من معلوماتنا:"),
        _ => None,
    }
}
