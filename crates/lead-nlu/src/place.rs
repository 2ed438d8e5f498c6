//! Locations: gazetteer cities and districts (and tenant places), ranked so the place of service
//! beats the lead's home, which beats where they come from.

use crate::analyze::Conversation;
use crate::lexicon::C;
use crate::signals::Read;

/// Where a mention stands: origin ("from Jeddah") < home ("I live in") < place of service or destination.
fn role_rank(t: &crate::analyze::TurnData<'_>, start: usize) -> u8 {
    let before = |f: fn(&C) -> bool| {
        t.ending_at(start, f).is_some()
            || (start >= 2 && t.ending_at(start - 1, f).is_some() && t.toks[start - 1].norm == "in")
    };
    if before(|c| matches!(c, C::ToPlace)) {
        3
    } else if before(|c| matches!(c, C::FromPlace)) {
        1
    } else if before(|c| matches!(c, C::LivePlace))
        || t.ending_at(start, |c| matches!(c, C::LivePlace)).is_some()
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
                C::City(name) if !h.suffixed => name.to_owned(),
                C::TenantCity(idx) => match tenant_places.get(usize::from(idx)) {
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
    best.map(|(_, r)| r)
}
