//! Budgets: amounts in digits and words of both languages, ranges and bounds, currencies, and the
//! many numbers that are not budgets (phones, counts, sizes, years, ages, times, salaries, bills).

use crate::analyze::{Conversation, TurnData};
use crate::lexicon::{Concept, Hit, Rank};
use crate::text::{Kind, Script};

/// A budget read from the lead's words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Amount {
    /// Lower bound.
    pub min: Option<f64>,
    /// Upper bound or single figure.
    pub max: Option<f64>,
    /// ISO code when stated (`POUND` still unresolved).
    pub currency: Option<&'static str>,
    /// Turn index in the conversation.
    pub turn: usize,
    /// Byte span in the turn.
    pub span: (usize, usize),
    /// How sure the reading is.
    pub confidence: f32,
}

/// A number expression: tokens `start..end` say `value`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Qty {
    /// The value.
    pub value: f64,
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The largest multiplier word seen (1 when none).
    pub mult: f64,
    /// Whether no multiplier word is attached (a bare figure may be a count).
    pub bare: bool,
    /// Whether the expression is one number written in digits.
    pub digits: bool,
}

fn num_hit(t: &TurnData<'_>, i: usize) -> Option<Hit> {
    t.at_where(i, |c| {
        matches!(
            c,
            Concept::NumWord(..)
                | Concept::Mult(_)
                | Concept::Dual(_)
                | Concept::Half
                | Concept::Quarter
                | Concept::Article
        )
    })
}

/// Whether token `i` is "and" / "و" on its own, or a word carrying the و proclitic before a number word.
fn joins(t: &TurnData<'_>, i: usize) -> bool {
    t.at_where(i, |c| matches!(c, Concept::And)).is_some()
}

/// Parses the number expression that starts at token `i`, if any.
pub fn parse_qty(t: &TurnData<'_>, i: usize) -> Option<Qty> {
    let toks = &t.toks;
    let mut total = 0.0f64;
    let mut group = 0.0f64;
    let mut last_rank: Option<Rank> = None;
    let mut last_mult = 1.0f64;
    let mut max_mult = 1.0f64;
    let mut k = i;
    let mut any = false;
    let mut digits_only = true;
    let mut after_mult = false;
    let mut pending_and = false;
    let mut half_pending = false;
    let mut end = i;
    let mut steps = 0;
    // State before an "and" that continued the figure ("million and 200 thousand"); restored when
    // what follows turns out to start a new figure ("600k and 800k").
    let mut snapshot: Option<(usize, f64, f64)> = None;
    while k < toks.len() && steps < 24 {
        steps += 1;
        let tok = &toks[k];
        if let Kind::Number(n) = tok.kind {
            // Digits start an expression, or continue one after "million and ..." ("مليون و 200 ألف").
            if any && !(after_mult && pending_and) {
                break;
            }
            if any && n.value >= last_mult {
                break;
            }
            if any {
                snapshot = Some((end, total, last_mult));
            }
            group = n.value;
            last_rank = None;
            any = true;
            after_mult = false;
            pending_and = false;
            k += 1;
            end = k;
            continue;
        }
        let Some(h) = num_hit(t, k) else {
            if any && !pending_and && joins(t, k) && k + 1 < toks.len() {
                pending_and = true;
                k += 1;
                continue;
            }
            break;
        };
        // A و glued to a number word is a conjunction ("وعشرين").
        let glued_and = h.prefixed
            && matches!(tok.kind, Kind::Word(Script::Arabic))
            && tok.norm.starts_with('و');
        let and_here = pending_and || glued_and;
        match h.c {
            Concept::Quarter if after_mult && and_here => {
                digits_only = false;
                total += last_mult / 4.0;
                after_mult = false;
                last_mult /= 4.0;
            }
            Concept::NumWord(v, rank) => {
                digits_only = false;
                if any {
                    let ok = match (last_rank, rank) {
                        _ if after_mult => and_here || !matches!(rank, Rank::HundredMul),
                        (Some(Rank::Unit), Rank::Ten) => and_here,
                        (Some(Rank::Ten), Rank::Unit) => true,
                        (
                            Some(Rank::Hundreds | Rank::HundredMul),
                            Rank::Unit | Rank::Teen | Rank::Ten,
                        ) => true,
                        (Some(Rank::Unit | Rank::Teen | Rank::Ten), Rank::HundredMul) => !and_here,
                        _ => false,
                    };
                    if !ok {
                        break;
                    }
                }
                if rank == Rank::HundredMul {
                    group = group.max(1.0) * 100.0;
                } else {
                    group += v;
                }
                last_rank = Some(rank);
                after_mult = false;
            }
            Concept::Mult(m) => {
                // "m" standing apart from the number is meters; glued ("1.2m") it is million.
                if tok.norm == "m" && tok.space_before {
                    break;
                }
                if let Some((e, tot, lm)) = snapshot
                    && m >= lm
                {
                    end = e;
                    total = tot;
                    group = 0.0;
                    break;
                }
                snapshot = None;
                if !any && !half_pending {
                    // A bare Arabic "ألف" / "مليون" is one of it; a bare "k" or "million" needs "a" before it.
                    let arabic_word = matches!(tok.kind, Kind::Word(Script::Arabic));
                    let after_article = k > i
                        && t.at_where(k - 1, |c| matches!(c, Concept::Article))
                            .is_some();
                    if !arabic_word && !after_article {
                        break;
                    }
                    group = 1.0;
                }
                if half_pending && group == 0.0 {
                    group = 0.5;
                }
                if group == 0.0 {
                    group = 1.0;
                }
                if m > max_mult {
                    total = (total + group) * m;
                    max_mult = m;
                } else {
                    total += group * m;
                }
                group = 0.0;
                last_mult = m;
                after_mult = true;
                half_pending = false;
                last_rank = None;
            }
            Concept::Dual(m) => {
                if any && !after_mult {
                    break;
                }
                digits_only = false;
                total += 2.0 * m;
                max_mult = max_mult.max(m);
                last_mult = m;
                after_mult = true;
                last_rank = None;
            }
            Concept::Half => {
                digits_only = false;
                if after_mult && and_here {
                    total += last_mult / 2.0;
                    after_mult = false;
                    last_mult /= 2.0;
                } else if any && and_here {
                    group += 0.5;
                } else if !any {
                    half_pending = true;
                } else {
                    break;
                }
            }
            Concept::Article => {
                // "a million", "half a million": only before a multiplier or hundred.
                let next = num_hit(t, k + 1).map(|n| n.c);
                let next_is_mult = matches!(
                    next,
                    Some(Concept::Mult(_) | Concept::NumWord(_, Rank::HundredMul))
                );
                let and_a_half = any && pending_and && matches!(next, Some(Concept::Half));
                if !(next_is_mult && (!any || half_pending) || and_a_half) {
                    break;
                }
                k += 1;
                continue;
            }
            _ => break,
        }
        any = true;
        pending_and = false;
        k = h.end.max(k + 1);
        end = k;
    }
    if !any {
        return None;
    }
    let value = total + group;
    if value <= 0.0 || !value.is_finite() {
        return None;
    }
    let bare = max_mult == 1.0;
    let digits = digits_only && end == i + 1;
    Some(Qty {
        value,
        start: i,
        end,
        mult: max_mult,
        bare,
        digits,
    })
}

/// First token of the clause of token `i`: after the last comma of its sentence.
fn clause_start(t: &TurnData<'_>, i: usize) -> usize {
    let sent = t.sentence_start(i);
    let mut k = i.min(t.toks.len());
    while k > sent && !(t.toks[k - 1].is_punct(',')) {
        k -= 1;
    }
    k
}

/// The number right before token `k`, when there is one (0 otherwise).
fn qty_value_before(t: &TurnData<'_>, k: usize) -> f64 {
    k.checked_sub(1)
        .and_then(|j| t.toks.get(j))
        .and_then(|x| x.num())
        .map_or(0.0, |n| n.value)
}

/// Currency stated right after tokens ending at `end`, or right before `start`.
fn currency_near(
    t: &TurnData<'_>,
    start: usize,
    end: usize,
) -> Option<(&'static str, usize, usize)> {
    let code_of = |h: Hit| match h.c {
        // "3 bd" is three bedrooms; "250 BD" is Bahraini dinars.
        Concept::Currency(_)
            if t.toks[h.start].norm == "bd" && qty_value_before(t, h.start) < 20.0 =>
        {
            None
        }
        Concept::Currency(code) => Some((code, h.start, h.end)),
        _ => None,
    };
    t.at_where(end, |c| matches!(c, Concept::Currency(_)))
        .and_then(code_of)
        .or_else(|| {
            t.ending_at(start, |c| matches!(c, Concept::Currency(_)))
                .and_then(code_of)
        })
}

fn is_count_unit(t: &TurnData<'_>, i: usize) -> bool {
    t.at_where(i, |c| {
        matches!(c, Concept::CountUnit | Concept::TimeUnit(..))
    })
    .is_some()
        && t.at_where(i, |c| {
            matches!(c, Concept::PerPeriod | Concept::Currency(_))
        })
        .is_none()
}

/// Function words that may follow an amount without making it a count ("750k for a flat").
const FUNCTION_WORDS: &[&str] = &[
    "for",
    "to",
    "in",
    "on",
    "at",
    "is",
    "are",
    "was",
    "be",
    "a",
    "an",
    "the",
    "or",
    "and",
    "with",
    "please",
    "pls",
    "plz",
    "but",
    "so",
    "that",
    "this",
    "if",
    "we",
    "i",
    "you",
    "it",
    "its",
    "it's",
    "is",
    "by",
    "from",
    "total",
    "all",
    "ok",
    "okay",
    "fine",
    "inshallah",
    "insha'allah",
    "yalla",
    "thanks",
    "thank",
    "lol",
    "then",
    "which",
    "as",
    "of",
    "de",
    "el",
    "fe",
    "fi",
    "ya",
    "w",
    "wa",
    "bs",
    "khalas",
    "في",
    "من",
    "على",
    "علي",
    "الى",
    "او",
    "لو",
    "عشان",
    "لان",
    "يعني",
    "ان",
    "اذا",
    "ممكن",
    "شكرا",
    "تقريبا",
    "والله",
    "ليش",
    "هذا",
    "هذي",
    "ده",
    "دي",
    "عليها",
    "عليه",
    "لها",
    "له",
    "يا",
    "ولا",
];

/// Whether token `i` (a word) after an amount makes it a count or size rather than money.
fn next_word_is_noun(t: &TurnData<'_>, i: usize) -> bool {
    let Some(tok) = t.toks.get(i) else {
        return false;
    };
    if !tok.is_word() {
        return false;
    }
    let norm = tok.norm.as_str();
    // Function words, and Arabic words opening a new clause or a "for ..." phrase.
    if FUNCTION_WORDS.contains(&norm)
        || norm.starts_with('و')
        || norm.starts_with("لل")
        || norm.starts_with('ل') && norm.chars().count() > 3
    {
        return false;
    }
    let neutral = t.at(i).any(|h| {
        matches!(
            h.c,
            Concept::Currency(_)
                | Concept::PostMax
                | Concept::PostMin
                | Concept::PerPeriod
                | Concept::BudgetCue
                | Concept::And
                | Concept::RangeTo
                | Concept::Neg
                | Concept::Approx
                | Concept::Time(_)
                | Concept::Urgency(_)
                | Concept::BoundMax
                | Concept::TimePrep
                | Concept::SelfRef
                | Concept::Affirm
                | Concept::Article
        )
    });
    !neutral
}

/// The last figure with a multiplier in a turn (value, multiplier), e.g. a price the agent quoted.
pub fn quoted_scale(t: &TurnData<'_>) -> Option<(f64, f64)> {
    let mut found = None;
    let mut i = 0;
    while i < t.toks.len() {
        match parse_qty(t, i) {
            Some(q) => {
                if q.mult > 1.0 {
                    found = Some((q.value, q.mult));
                }
                i = q.end.max(i + 1);
            }
            None => i += 1,
        }
    }
    found
}

/// A bare reply read at the scale of the figure it answers: "1.2" after "1.4M", "850" after "900k".
fn rescale(a: &mut Amount, reference: Option<(f64, f64)>) {
    let Some((ref_value, mult)) = reference else {
        return;
    };
    let bare_small = |v: Option<f64>| v.is_none_or(|v| v < 1000.0);
    if !(bare_small(a.min) && bare_small(a.max)) {
        return;
    }
    let Some(v) = a.max.or(a.min) else { return };
    let scaled = v * mult;
    if scaled >= ref_value * 0.2 && scaled <= ref_value * 5.0 {
        a.min = a.min.map(|x| x * mult);
        a.max = a.max.map(|x| x * mult);
        a.confidence = a.confidence.min(0.6);
    }
}

/// Reads every budget statement of the lead; the latest accepted one wins.
pub fn extract(conv: &Conversation<'_>) -> Option<Amount> {
    let mut best: Option<Amount> = None;
    // The scale of the last figure with a multiplier, from the lead or the agent.
    let mut scale: Option<(f64, f64)> = None;
    for t in &conv.lead {
        if t.asked.quoted.is_some() {
            scale = t.asked.quoted;
        }
        let mut i = 0;
        while i < t.toks.len() {
            let starts_qty = matches!(t.toks[i].kind, Kind::Number(_)) || num_hit(t, i).is_some();
            if !starts_qty {
                i += 1;
                continue;
            }
            let Some(q1) = parse_qty(t, i) else {
                i += 1;
                continue;
            };
            let (amount, next) = read_amount(t, q1, best.is_some());
            if let Some(mut a) = amount {
                if q1.mult == 1.0 && a.currency.is_none() {
                    rescale(&mut a, scale);
                }
                best = Some(a);
            }
            // Any price with a multiplier ("the 1.8M villa") sets the scale of a bare reply ("we can do 1.5").
            if q1.mult > 1.0 && !is_count_unit(t, q1.end) {
                scale = Some((q1.value, q1.mult));
            }
            i = next.max(i + 1);
        }
    }
    best
}

/// Reads the amount (single figure or range) starting with `q1`; returns it when it is a budget, and
/// the token to continue from. `budget_stated` says an earlier figure of the lead was a budget, so a
/// bounded bare figure ("400 max") corrects it.
fn read_amount(t: &TurnData<'_>, q1: Qty, budget_stated: bool) -> (Option<Amount>, usize) {
    let toks = &t.toks;
    let cur1 = currency_near(t, q1.start, q1.end);
    let mut after1 = q1.end;
    if let Some((_, cs, ce)) = cur1
        && cs >= q1.end
    {
        after1 = ce;
    }
    // Range: "X - Y", "X to Y", "between X and Y", "من X إلى Y", "٦ و ٧ ملايين".
    let between_before = (q1.start.saturating_sub(3)..q1.start)
        .any(|k| t.at_where(k, |c| matches!(c, Concept::Between)).is_some())
        || t.ending_at(q1.start, |c| matches!(c, Concept::Between))
            .is_some();
    let mut q2: Option<Qty> = None;
    if after1 < toks.len() {
        let joiner = t
            .at(after1)
            .find(|h| matches!(h.c, Concept::RangeTo | Concept::And))
            .copied();
        if let Some(j) = joiner {
            let is_and = matches!(j.c, Concept::And)
                && !t.at(after1).any(|h| matches!(h.c, Concept::RangeTo));
            let ok = !is_and || between_before;
            let mut k = j.end;
            if ok {
                // Skip a currency symbol before the second figure ("$250,000 and $300,000").
                if t.at_where(k, |c| matches!(c, Concept::Currency(_)))
                    .is_some()
                    && k + 1 < toks.len()
                {
                    k = t
                        .at_where(k, |c| matches!(c, Concept::Currency(_)))
                        .map_or(k, |h| h.end);
                }
                q2 = parse_qty(t, k);
            }
        } else if between_before {
            // "بين ست وسبع ملايين": the و is glued to the second number.
            if let Some(h) = num_hit(t, after1)
                && h.prefixed
                && toks[after1].norm.starts_with('و')
            {
                q2 = parse_qty_unglued(t, after1);
            }
        }
    }
    let mut lo = q1;
    let hi = q2;
    if let Some(h) = hi {
        if lo.mult == 1.0 && h.mult > 1.0 && lo.value * h.mult <= h.value * 1.0001 {
            lo.value *= h.mult;
            lo.mult = h.mult;
        }
        if lo.value > h.value * 1.0001 {
            // Not a range in increasing order ("2019-2021" is handled as years below; "10-5" is not money).
            return (None, h.end);
        }
    }
    let last = hi.unwrap_or(lo);
    let cur = hi.and_then(|h| currency_near(t, h.start, h.end)).or(cur1);
    let mut end_tok = last.end;
    if let Some((_, cs, ce)) = cur
        && cs >= last.end
    {
        end_tok = ce;
    }
    let cont = end_tok;
    if !is_budget(t, &lo, hi.as_ref(), end_tok, cur.is_some(), budget_stated) {
        return (None, cont);
    }
    // Bounds before the figure and after it.
    let sent_start = t.sentence_start(lo.start);
    let look_from = lo.start.saturating_sub(5).max(sent_start);
    let mut min_only = false;
    for h in t.within(look_from, lo.start) {
        if h.end > lo.start {
            continue;
        }
        match h.c {
            Concept::BoundMin => min_only = true,
            Concept::MoreThan => {
                let negated = (h.start.saturating_sub(4).max(sent_start)..h.start)
                    .any(|k| t.at_where(k, |c| matches!(c, Concept::Neg)).is_some());
                min_only = !negated;
            }
            Concept::BoundMax | Concept::LessThan | Concept::Approx => min_only = false,
            _ => {}
        }
    }
    for (k, tok) in toks.iter().enumerate().skip(end_tok).take(2) {
        let plus = tok.is_punct('+');
        if plus && !tok.space_before
            || !plus && t.at_where(k, |c| matches!(c, Concept::PostMin)).is_some()
        {
            min_only = true;
        }
        if t.at_where(k, |c| matches!(c, Concept::PostMax)).is_some() {
            min_only = false;
        }
    }
    let (min, max) = match hi {
        Some(h) => (Some(lo.value), Some(h.value)),
        None if min_only => (Some(lo.value), None),
        None => (None, Some(lo.value)),
    };
    let span_start = look_from.max(sent_start);
    let first_tok = (span_start..lo.start)
        .find(|&k| {
            t.at(k).any(|h| {
                matches!(
                    h.c,
                    Concept::BoundMin
                        | Concept::BoundMax
                        | Concept::MoreThan
                        | Concept::LessThan
                        | Concept::Approx
                        | Concept::Between
                )
            })
        })
        .unwrap_or(lo.start);
    let first_tok = cur.map_or(first_tok, |(_, cs, _)| first_tok.min(cs));
    let confidence = if cur.is_some() { 0.9 } else { 0.75 };
    let amount = Amount {
        min,
        max,
        currency: cur.map(|c| c.0),
        turn: t.index,
        span: t.span(first_tok, end_tok),
        confidence,
    };
    (Some(amount), cont)
}

/// Parses a number word that carries a glued و as the start of a new expression.
fn parse_qty_unglued(t: &TurnData<'_>, i: usize) -> Option<Qty> {
    let h = num_hit(t, i)?;
    let mut q = parse_qty(t, i)?;
    if let Concept::NumWord(v, _) = h.c
        && q.end == h.end
    {
        q.value = v;
    }
    Some(q)
}

/// Whether a figure is what the lead will pay, not a phone, count, size, year, age, time or bill.
fn is_budget(
    t: &TurnData<'_>,
    lo: &Qty,
    hi: Option<&Qty>,
    end_tok: usize,
    has_currency: bool,
    budget_stated: bool,
) -> bool {
    let toks = &t.toks;
    let last = hi.unwrap_or(lo);
    // Phone numbers and references: long digit strings, leading zeros, "+", digit groups side by side.
    for q in std::iter::once(lo).chain(hi) {
        if let Some(n) = toks.get(q.start).and_then(|tk| tk.num()) {
            if n.leading_zero && n.int_digits >= 5
                || n.int_digits >= 9 && !n.grouped && q.mult == 1.0
            {
                return false;
            }
            if q.digits && !has_currency {
                let prev_num = q.start > 0 && toks[q.start - 1].num().is_some();
                let next_num = toks.get(q.end).is_some_and(|x| x.num().is_some());
                let plus = q.start > 0 && toks[q.start - 1].is_punct('+');
                if prev_num || next_num || plus {
                    return false;
                }
                // Times ("5:30") and dates ("12/5"): a colon or slash glued between two numbers.
                let glued_sep = |sep: usize, other: usize| {
                    toks.get(sep)
                        .is_some_and(|x| (x.is_punct(':') || x.is_punct('/')) && !x.space_before)
                        && toks
                            .get(other)
                            .is_some_and(|x| x.num().is_some() && !x.space_before)
                };
                if glued_sep(q.end, q.end + 1)
                    || q.start >= 2
                        && glued_sep(q.start - 1, q.start)
                        && toks[q.start - 2].num().is_some()
                {
                    return false;
                }
                // Years and model years.
                if !n.decimal
                    && !n.grouped
                    && n.int_digits == 4
                    && (1900.0..=2100.0).contains(&n.value)
                {
                    let cue_close = (q.start.saturating_sub(2)..q.start)
                        .any(|k| t.at_where(k, |c| matches!(c, Concept::BudgetCue)).is_some());
                    if !cue_close {
                        return false;
                    }
                }
            }
        }
    }
    // The word right before: model, grade, class of, رقم, an age marker.
    let before = |k: usize| {
        t.ending_at(k, |c| matches!(c, Concept::NotMoneyBefore))
            .is_some()
    };
    if before(lo.start) {
        return false;
    }
    if lo.bare
        && !has_currency
        && t.ending_at(lo.start, |c| matches!(c, Concept::AgeBefore))
            .is_some()
    {
        return false;
    }
    // Negated figure: "مش 80", "not 80k".
    if t.ending_at(lo.start, |c| matches!(c, Concept::Neg))
        .is_some()
    {
        return false;
    }
    // A day of the month ("January 15", "15 December").
    let month_next_to = |k: usize| t.at_where(k, |c| matches!(c, Concept::Month(..))).is_some();
    if lo.bare
        && lo.value <= 31.0
        && (month_next_to(lo.end)
            || t.ending_at(lo.start, |c| matches!(c, Concept::Month(..)))
                .is_some())
    {
        return false;
    }
    // Units after: sizes, counts, distances, durations.
    if is_count_unit(t, end_tok) {
        return false;
    }
    if let Some(tk) = toks.get(end_tok)
        && (tk.is_punct('%') || tk.norm == "%")
    {
        return false;
    }
    // Cues in the sentence: the nearest cue before the figure decides.
    let sent_start = t.sentence_start(lo.start);
    let sent_end = t.sentence_end(lo.start);
    let mut nearest: Option<(usize, bool)> = None;
    let mut weak_cue = false;
    let mut sell = false;
    let mut budget_cue_in_sentence = false;
    for h in t.within(sent_start, sent_end) {
        match h.c {
            Concept::BudgetCue => {
                budget_cue_in_sentence = true;
                if h.start < lo.start {
                    nearest = Some((h.start, true));
                }
            }
            // A salary or bill in an earlier clause ("I earn 9000 a month, want around 70k") does not
            // reach past the comma.
            Concept::NonBudgetCue if h.start < lo.start && h.start >= clause_start(t, lo.start) => {
                nearest = Some((h.start, false));
            }
            // "I have 50k", "we have around $18,000": at most two words between.
            Concept::WeakBudgetCue if h.end <= lo.start && lo.start - h.end <= 2 => weak_cue = true,
            Concept::SellCue => sell = true,
            _ => {}
        }
    }
    if matches!(nearest, Some((_, false))) {
        return false;
    }
    // "800 is too much", "٨٠٠ كثير علي": a figure the lead turns down is not their budget.
    let turned_down = t.within(end_tok, (end_tok + 3).min(sent_end)).any(|h| {
        matches!(h.c, Concept::TooMuch)
            && t.at_where(h.start, |c| matches!(c, Concept::PostMax))
                .is_none()
    });
    if turned_down {
        return false;
    }
    // "we have $18,000 for it": money the lead has for the job is what they pay, not an asking price.
    if sell && !budget_cue_in_sentence && !weak_cue {
        return false;
    }
    let cue_before = nearest.is_some_and(|(pos, is_budget)| is_budget && lo.start - pos <= 10);
    let cue_after = t
        .within(end_tok, (end_tok + 3).min(sent_end))
        .any(|h| matches!(h.c, Concept::BudgetCue));
    let marker = (lo.start.saturating_sub(4).max(sent_start)..lo.start).any(|k| {
        t.at_where(k, |c| {
            matches!(
                c,
                Concept::BoundMin
                    | Concept::BoundMax
                    | Concept::MoreThan
                    | Concept::LessThan
                    | Concept::Approx
                    | Concept::Between
            )
        })
        .is_some()
    }) || t
        .within(end_tok, (end_tok + 2).min(toks.len()))
        .any(|h| matches!(h.c, Concept::PostMax | Concept::PostMin));
    // "sorry, 400 max": once a budget is stated, a figure with an upper bound corrects it.
    let upper_bound = (lo.start.saturating_sub(4).max(sent_start)..lo.start).any(|k| {
        t.at_where(k, |c| matches!(c, Concept::BoundMax | Concept::LessThan))
            .is_some()
    }) || t
        .within(end_tok, (end_tok + 2).min(toks.len()))
        .any(|h| matches!(h.c, Concept::PostMax));
    let big = last.mult > 1.0;
    // A figure followed by a noun is a count ("3 units", "5 new split AC units", "10k followers").
    if !has_currency && (!cue_before || !lo.bare) && next_word_is_noun(t, end_tok) {
        return false;
    }
    // A figure with "k", "M", "ألف" or "مليون" is money in a sales conversation unless a unit or cue
    // above said otherwise; a bare figure needs a currency, a cue or the agent's budget question.
    has_currency
        || cue_before
        || cue_after
        || t.asked.budget
        || big
        || (marker && last.value >= 1000.0)
        || (upper_bound && budget_stated)
        || (weak_cue && last.value >= 100.0 && big)
}

#[cfg(test)]
mod tests;
