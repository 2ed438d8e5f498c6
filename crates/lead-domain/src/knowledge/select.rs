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
    /// The same share with each word also weighted by how rare it is among the candidates, so
    /// the passage holding the question's distinctive words ranks first.
    pub rank: f64,
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

/// How much rarer words weigh: `ln(1 + (n + 1) / (df + 0.5))` over `n` candidates, `df` of them
/// holding the word, so a word every candidate has still counts a little.
fn rarity(n: usize, df: usize) -> f64 {
    (1.0 + (n as f64 + 1.0) / (df as f64 + 0.5)).ln()
}

/// The weighted share of `words` found in `terms`, each word also weighted by how few of `all`
/// (the sets being compared) hold it.
pub fn rare_coverage(words: &[QueryWord], all: &[HashSet<String>], terms: &HashSet<String>) -> f64 {
    let has = |w: &QueryWord, set: &HashSet<String>| w.terms.iter().any(|t| set.contains(t));
    let (mut found, mut total) = (0.0, 0.0);
    for w in words {
        let df = all.iter().filter(|s| has(w, s)).count();
        let weight = f64::from(w.weight) * rarity(all.len(), df);
        total += weight;
        if has(w, terms) {
            found += weight;
        }
    }
    if total > 0.0 { found / total } else { 0.0 }
}

/// Orders the store's candidates by question coverage with rarer words weighing more (the rarity
/// measured among the candidates), plain coverage and then the store's order breaking ties.
pub fn rerank(
    analyzer: &dyn TextAnalyzer,
    words: &[QueryWord],
    hits: Vec<KnowledgeHit>,
) -> Vec<ScoredHit> {
    let sets: Vec<HashSet<String>> = hits
        .iter()
        .map(|hit| {
            let context = format!(
                "{}\n{}\n{}",
                hit.title,
                hit.heading_path.join("\n"),
                hit.text
            );
            term_set(analyzer, &context)
        })
        .collect();
    let mut scored: Vec<(usize, ScoredHit)> = hits
        .into_iter()
        .zip(&sets)
        .enumerate()
        .map(|(i, (hit, set))| {
            let coverage = coverage(words, set);
            let rare = rare_coverage(words, &sets, set);
            let (heading, closest) = structure(analyzer, words, &hit);
            let rank = 0.45 * rare + 0.25 * coverage + 0.15 * heading + 0.15 * closest;
            (
                i,
                ScoredHit {
                    hit,
                    coverage,
                    rank,
                },
            )
        })
        .collect();
    scored.sort_by(|(i, a), (j, b)| {
        b.rank
            .total_cmp(&a.rank)
            .then(b.coverage.total_cmp(&a.coverage))
            .then(i.cmp(j))
    });
    scored.into_iter().map(|(_, s)| s).collect()
}

/// How well a passage's structure fits the question: the share of it its own headings (below the
/// document title) hold, and the share the closest single sentence or row holds with those
/// headings, so a passage whose section is about the question, or with one line that answers all
/// of it, beats one where the words are scattered.
fn structure(analyzer: &dyn TextAnalyzer, words: &[QueryWord], hit: &KnowledgeHit) -> (f64, f64) {
    let headings: Vec<&str> = hit
        .heading_path
        .iter()
        .filter(|h| **h != hit.title)
        .map(String::as_str)
        .collect();
    let head = term_set(analyzer, &headings.join("\n"));
    let heading = coverage(words, &head);
    let closest = sentences(&hit.text)
        .iter()
        .map(|u| {
            let mut set = term_set(analyzer, u);
            set.extend(head.iter().cloned());
            coverage(words, &set)
        })
        .fold(0.0, f64::max);
    (heading, closest)
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
    let context = term_set(
        analyzer,
        &format!("{}\n{}", best.hit.title, best.hit.heading_path.join("\n")),
    );
    let scores: Vec<f64> = units
        .iter()
        .map(|u| sentence_score(words, &context, &term_set(analyzer, u), u))
        .collect();
    let order = {
        let mut order: Vec<usize> = (0..units.len()).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        order
    };
    let top = *order.first()?;
    let mut chosen = vec![top];
    let mut size = units[top].chars().count();
    for &i in order.iter().skip(1).take(2) {
        let len = units[i].chars().count();
        // Sentences at least half as relevant go on about what was asked (the charge for the
        // area asked about, the other rows of a price list) and are quoted with it.
        if scores[i] > 0.0 && scores[i] >= scores[top] * 0.5 && size + len < MAX_QUOTE_CHARS {
            chosen.push(i);
            size += len + 1;
        }
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

/// Whether a text holds a digit of either script.
fn has_number(text: &str) -> bool {
    text.chars()
        .any(|c| c.is_ascii_digit() || ('٠'..='٩').contains(&c))
}

/// How well one sentence answers: the question's words it holds, those its headings already hold
/// counting a quarter for every sentence (they are true of every sentence below them, so they do
/// not choose between them); when the question asks for a
/// figure, a sentence with a number gains, and more when it holds the very word asked for
/// ("price", "hours") beside the number.
fn sentence_score(
    words: &[QueryWord],
    context: &HashSet<String>,
    own: &HashSet<String>,
    text: &str,
) -> f64 {
    let total: f32 = words.iter().map(|w| w.weight).sum();
    if total <= 0.0 {
        return 0.0;
    }
    let mut found = 0.0f64;
    let mut asked_here = false;
    for w in words {
        if w.terms.iter().any(|t| context.contains(t)) {
            found += f64::from(w.weight) * 0.25;
        } else if w.terms.iter().any(|t| own.contains(t)) {
            let figure = if w.wants_figure { 1.5 } else { 1.0 };
            found += f64::from(w.weight) * figure;
            asked_here |= w.wants_figure;
        }
    }
    let mut score = found / f64::from(total);
    let figure_words: Vec<&QueryWord> = words.iter().filter(|w| w.wants_figure).collect();
    if !figure_words.is_empty() && has_number(text) {
        score += 0.15;
        if asked_here {
            score += 0.1;
        }
    }
    score
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
