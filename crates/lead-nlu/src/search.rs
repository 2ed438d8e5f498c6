//! Search terms for the knowledge base: one normalisation for passages and questions, so a lead's
//! question in English, Arabic (any dialect) or Arabizi meets the passage that answers it even when
//! the passage is in the other language.
//!
//! A word becomes up to three terms:
//! - its normalised stem: NFKC, Arabic letter forms unified, diacritics and tatweel dropped,
//!   digits of every script as ASCII (numbers without thousands separators), light Arabic prefix
//!   and suffix stripping (ال, و, ب, ل, ك, ف; ها, ات, ون, ين, ه, ي...), English Snowball stemming;
//! - a bilingual concept (`cx` + name) from a glossary of words leads use in questions about a
//!   business (price, warranty, instalments, branch, opening hours...), shared by both languages;
//! - a transliteration key: the consonant skeleton of the word in a common Latin alphabet, so a
//!   brand or place written in Arabic letters meets its Latin spelling (دامان / Daman,
//!   القيروان / Qairawan). Passages are indexed under the key of their own script (`pl`, `pa`) and
//!   questions ask for the key of the other script, so keys only ever match across scripts.

mod glossary;
#[cfg(test)]
mod tests;

use crate::text::{Kind, Script, Token, tokenize};
use lead_domain::knowledge::{QueryWord, TextAnalyzer};
use rust_stemmers::{Algorithm, Stemmer};
use std::collections::HashMap;
use std::sync::OnceLock;

/// The knowledge-base analyser behind the domain's `TextAnalyzer` port; stateless and cheap to share.
#[derive(Debug, Clone, Copy, Default)]
pub struct SearchAnalyzer;

/// The most words of a question that are searched (a long message is cut, not refused).
const MAX_QUERY_WORDS: usize = 40;

impl TextAnalyzer for SearchAnalyzer {
    fn index_terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for token in tokenize(text) {
            let Some(word) = analyse(&token) else {
                continue;
            };
            if word.stop {
                continue;
            }
            out.push(word.stem.clone());
            if let Some(concept) = word.concept {
                out.push(format!("cx{}", concept.name));
                if let Some(broader) = concept.broader {
                    out.push(format!("cx{broader}"));
                }
            }
            if let Some(key) = word.key {
                out.push(format!("{}{key}", own_key_prefix(word.script)));
            }
        }
        out
    }

    fn query_words(&self, text: &str) -> Vec<QueryWord> {
        let mut out: Vec<QueryWord> = Vec::new();
        for token in tokenize(text) {
            let Some(word) = analyse(&token) else {
                continue;
            };
            let wants_figure = word.concept.is_some_and(|c| c.figure);
            if word.stop {
                if wants_figure {
                    out.push(QueryWord {
                        word: token.norm.clone(),
                        terms: Vec::new(),
                        weight: 0.0,
                        wants_figure,
                    });
                }
                continue;
            }
            let mut terms = vec![word.stem.clone()];
            let mut weight = 1.0;
            if let Some(concept) = word.concept {
                terms.push(format!("cx{}", concept.name));
                weight = concept.weight;
            }
            if let Some(key) = word.key {
                terms.push(format!("{}{key}", other_key_prefix(word.script)));
            }
            if out.iter().any(|w| w.terms == terms) {
                continue;
            }
            out.push(QueryWord {
                word: token.norm.clone(),
                terms,
                weight,
                wants_figure,
            });
            if out.len() >= MAX_QUERY_WORDS {
                break;
            }
        }
        out
    }
}

/// Which script a word was written in, for its transliteration key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordScript {
    Latin,
    Arabic,
    Number,
}

fn own_key_prefix(script: WordScript) -> &'static str {
    match script {
        WordScript::Arabic => "pa",
        _ => "pl",
    }
}

fn other_key_prefix(script: WordScript) -> &'static str {
    match script {
        WordScript::Arabic => "pl",
        _ => "pa",
    }
}

/// One word read for search.
struct Word {
    stem: String,
    stop: bool,
    concept: Option<&'static glossary::Concept>,
    key: Option<String>,
    script: WordScript,
}

fn analyse(token: &Token) -> Option<Word> {
    match token.kind {
        Kind::Punct(_) => None,
        Kind::Number(n) => {
            let stem = if n.decimal {
                format!("{}", n.value).replace('.', "p")
            } else if n.value.fract() == 0.0 && n.value.abs() < 1e15 {
                format!("{}", n.value as i64)
            } else {
                token.norm.chars().filter(char::is_ascii_digit).collect()
            };
            Some(Word {
                stem,
                stop: false,
                concept: None,
                key: None,
                script: WordScript::Number,
            })
        }
        Kind::Word(Script::Latin) => {
            let norm = token.norm.as_str();
            let stem = english_stem(norm);
            let concept = glossary::lookup(norm).or_else(|| glossary::lookup(&stem));
            let stop = glossary::is_stop(norm) && concept.is_none_or(|c| c.weight == 0.0);
            let key = (!stop && norm.chars().count() >= 3)
                .then(|| latin_key(&stem))
                .filter(|k| k.len() >= 3);
            Some(Word {
                stem,
                stop: stop || concept.is_some_and(|c| c.weight == 0.0),
                concept,
                key,
                script: WordScript::Latin,
            })
        }
        Kind::Word(Script::Arabic) => {
            let norm = token.norm.as_str();
            let bare = strip_prefix(norm);
            let stem = strip_suffix(bare);
            let concept = glossary::lookup(norm)
                .or_else(|| glossary::lookup(bare))
                .or_else(|| glossary::lookup(&stem))
                .or_else(|| {
                    // The accusative ending (خصماً, نقداً) leaves an alif once its tanween is dropped.
                    stem.strip_suffix('ا')
                        .filter(|s| s.chars().count() >= 3)
                        .and_then(glossary::lookup)
                })
                .or_else(|| {
                    // A glued preposition or conjunction (لكلبي, بسعر, فالسعر) is not stripped
                    // from the stem, where it is too often part of the word, but a glossary word
                    // behind it is still that word.
                    ['ل', 'ب', 'ك', 'ف', 'و']
                        .iter()
                        .filter_map(|p| norm.strip_prefix(*p))
                        .filter(|rest| rest.chars().count() >= 3)
                        .find_map(|rest| {
                            glossary::lookup(rest).or_else(|| glossary::lookup(strip_prefix(rest)))
                        })
                });
            let stop = glossary::is_stop(norm) || glossary::is_stop(bare);
            let key = (!stop && bare.chars().count() >= 3)
                .then(|| arabic_key(bare))
                .filter(|k| k.len() >= 3);
            Some(Word {
                stem,
                stop: stop || concept.is_some_and(|c| c.weight == 0.0),
                concept,
                key,
                script: WordScript::Arabic,
            })
        }
    }
}

fn stemmer() -> &'static Stemmer {
    static STEMMER: OnceLock<Stemmer> = OnceLock::new();
    STEMMER.get_or_init(|| Stemmer::create(Algorithm::English))
}

/// The English Snowball stem of a lower-case word; Arabizi words with digits are kept whole.
pub(crate) fn english_stem(word: &str) -> String {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return word.to_owned();
    }
    let stem = stemmer().stem(word).into_owned();
    // "apartments"/"apartment" and "flats"/"flat" already agree; keep British and American
    // spellings of the same stem together too.
    match stem.as_str() {
        "centr" => "center".to_owned(),
        _ => stem,
    }
}

/// Arabic prefixes stripped before matching, longest first: the article with a preposition or
/// conjunction, the article, then the conjunction و. A lone ب, ل, ك or ف is too often part of the
/// word (كامري, باترول, فيلا) to strip.
const PREFIXES: &[&str] = &["وبال", "وال", "بال", "كال", "فال", "لل", "ال", "و"];

/// Arabic suffixes stripped for the stem: pronouns, plural and feminine endings.
const SUFFIXES: &[&str] = &[
    "هما", "كما", "ها", "هم", "كم", "نا", "ات", "ان", "ون", "ين", "يه", "ه", "ي",
];

/// The word without its article or a glued conjunction, keeping at least three letters (four after
/// a lone و, so وين stays).
pub(crate) fn strip_prefix(word: &str) -> &str {
    let len = word.chars().count();
    for p in PREFIXES {
        if let Some(rest) = word.strip_prefix(p) {
            let plen = p.chars().count();
            let keep = if plen == 1 { 4 } else { 3 };
            if len - plen >= keep {
                return rest;
            }
        }
    }
    word
}

/// The stem: one suffix stripped when at least three letters stay.
pub(crate) fn strip_suffix(word: &str) -> String {
    let len = word.chars().count();
    for s in SUFFIXES {
        if let Some(rest) = word.strip_suffix(s)
            && len - s.chars().count() >= 3
        {
            return rest.to_owned();
        }
    }
    word.to_owned()
}

/// The consonant skeleton of a Latin word: vowels and y/w dropped, sounds spelled alike merged
/// (c/k/q, p/b, v/f, z/s, x = ks), doubled letters once.
pub(crate) fn latin_key(word: &str) -> String {
    let chars: Vec<char> = word.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let (sound, skip) = match (c, next) {
            ('s', Some('h')) => (Some('s'), 2),
            ('k', Some('h')) => (Some('k'), 2),
            ('t', Some('h')) => (Some('t'), 2),
            ('d', Some('h')) => (Some('d'), 2),
            ('g', Some('h')) => (Some('g'), 2),
            ('p', Some('h')) => (Some('f'), 2),
            ('c', Some('h')) => (Some('s'), 2),
            ('c', Some('e' | 'i' | 'y')) => (Some('s'), 1),
            ('c' | 'k' | 'q', _) => (Some('k'), 1),
            ('x', _) => {
                push_sound(&mut out, 'k');
                (Some('s'), 1)
            }
            ('p' | 'b', _) => (Some('b'), 1),
            ('v' | 'f', _) => (Some('f'), 1),
            ('z' | 's', _) => (Some('s'), 1),
            ('j' | 'g', _) => (Some('j'), 1),
            ('a' | 'e' | 'i' | 'o' | 'u' | 'y' | 'w' | '\'' | '-', _) => (None, 1),
            ('2' | '3', _) => (None, 1),
            ('7', _) => (Some('h'), 1),
            ('5', _) => (Some('k'), 1),
            ('6', _) => (Some('t'), 1),
            ('8', _) => (Some('k'), 1),
            ('9', _) => (Some('s'), 1),
            (c, _) if c.is_ascii_lowercase() => (Some(c), 1),
            _ => (None, 1),
        };
        if let Some(s) = sound {
            push_sound(&mut out, s);
        }
        i += skip;
    }
    // A final h after a vowel is usually the Arabic ta marbuta ("Sharjah", "Malqa" spelled "Malqah").
    if out.len() > 2 && out.ends_with('h') && word.ends_with("ah") {
        out.pop();
    }
    out
}

/// The consonant skeleton of an Arabic word in the same alphabet as [`latin_key`].
pub(crate) fn arabic_key(word: &str) -> String {
    let mut out = String::new();
    let n = word.chars().count();
    for (i, c) in word.chars().enumerate() {
        let sound = match c {
            'ب' => Some('b'),
            'ت' | 'ط' | 'ث' => Some('t'),
            'ج' | 'غ' => Some('j'),
            'ح' => Some('h'),
            'خ' | 'ق' | 'ك' => Some('k'),
            'د' | 'ض' | 'ذ' | 'ظ' => Some('d'),
            'ر' => Some('r'),
            'ز' | 'س' | 'ص' => Some('s'),
            'ش' => Some('s'),
            'ف' => Some('f'),
            'ل' => Some('l'),
            'م' => Some('m'),
            'ن' => Some('n'),
            // A final ه is the feminine ending; elsewhere it is an h.
            'ه' if i + 1 < n => Some('h'),
            _ => None,
        };
        if let Some(s) = sound {
            push_sound(&mut out, s);
        }
    }
    out
}

fn push_sound(out: &mut String, s: char) {
    if !out.ends_with(s) {
        out.push(s);
    }
}

/// Index of glossary forms, built once.
pub(crate) fn forms() -> &'static HashMap<String, &'static glossary::Concept> {
    static FORMS: OnceLock<HashMap<String, &'static glossary::Concept>> = OnceLock::new();
    FORMS.get_or_init(glossary::build)
}
