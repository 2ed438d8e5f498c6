//! Locations: gazetteer cities and districts (and tenant places), ranked so the place of service
//! beats the lead's home, which beats where they come from.

use crate::analyze::Conversation;
use crate::lexicon::Concept;
use crate::signals::Read;

/// Where a mention stands: origin ("from Jeddah") < home ("I live in") < place of service or destination.
fn role_rank(t: &crate::analyze::TurnData<'_>, start: usize) -> u8 {
    let before = |f: fn(&Concept) -> bool| {
        t.ending_at(start, f).is_some()
            || (start >= 2 && t.ending_at(start - 1, f).is_some() && t.toks[start - 1].norm == "in")
    };
    if before(|c| matches!(c, Concept::ToPlace)) {
        3
    } else if before(|c| matches!(c, Concept::FromPlace)) {
        1
    } else if before(|c| matches!(c, Concept::LivePlace))
        || t.ending_at(start, |c| matches!(c, Concept::LivePlace))
            .is_some()
    {
        2
    } else {
        3
    }
}

/// Reads the location; `tenant_places` names the canonical city of each tenant place index.
pub fn extract(conv: &Conversation<'_>, tenant_places: &[String]) -> Option<Read<String>> {
    let mut best: Option<(u8, Read<String>)> = None;
    for t in &conv.lead {
        for h in &t.hits {
            let name = match h.c {
                Concept::City(name) if !h.suffixed => name.to_owned(),
                Concept::TenantCity(idx) => match tenant_places.get(usize::from(idx)) {
                    Some(n) => n.clone(),
                    None => continue,
                },
                _ => continue,
            };
            // "سلطنة عمان" is the country Oman, not Amman.
            if name == "Amman" && h.start > 0 && t.toks[h.start - 1].norm == "سلطنه" {
                continue;
            }
            let rank = role_rank(t, h.start);
            let r = Read {
                value: name,
                turn: t.index,
                span: t.span(h.start, h.end),
                confidence: 0.9,
            };
            if best.as_ref().is_none_or(|(br, _)| rank >= *br) {
                best = Some((rank, r));
            }
        }
    }
    best.map(|(_, r)| r).or_else(|| unknown_city(conv))
}

/// A city missing from the gazetteer, named after "I live in", "based in", "I'm from": up to three
/// capitalised Latin words ("Hafr Al Batin"), when nothing else is known about them.
fn unknown_city(conv: &Conversation<'_>) -> Option<Read<String>> {
    let mut found = None;
    for t in &conv.lead {
        for h in &t.hits {
            let live = matches!(h.c, Concept::LivePlace);
            let from_me = matches!(h.c, Concept::FromPlace)
                && h.start > 0
                && matches!(
                    t.toks[h.start - 1].norm.as_str(),
                    "i'm" | "im" | "am" | "are" | "we're"
                );
            if !(live || from_me) {
                continue;
            }
            let mut words = Vec::new();
            let mut k = h.end;
            while k < t.toks.len() && words.len() < 3 {
                let tok = &t.toks[k];
                let joiner = matches!(tok.norm.as_str(), "al" | "el") && !words.is_empty();
                let known = t.at(k).next().is_some();
                if !(tok.is_word()
                    && (tok.capitalized || joiner)
                    && !known
                    && tok.sentence == t.toks[h.start].sentence)
                {
                    break;
                }
                words.push(k);
                k += 1;
            }
            while words
                .last()
                .is_some_and(|&k| matches!(t.toks[k].norm.as_str(), "al" | "el"))
            {
                words.pop();
            }
            let (Some(&first), Some(&last)) = (words.first(), words.last()) else {
                continue;
            };
            let name: Vec<String> = words.iter().map(|&k| title_case(&t.toks[k].norm)).collect();
            found = Some(Read {
                value: name.join(" "),
                turn: t.index,
                span: t.span(first, last + 1),
                confidence: 0.5,
            });
        }
    }
    found
}

fn title_case(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
