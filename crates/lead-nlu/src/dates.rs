//! Timelines: when the lead wants to act, from fixed words, month and season names, weekdays and
//! relative periods ("in 3 weeks", "بعد شهرين"), bucketed against a reference date passed in.

use crate::analyze::{Conversation, TurnData};
use crate::lexicon::{Concept, Fixed, Rank, Unit};
use crate::text::Kind;
use chrono::{Datelike, Days, Months, NaiveDate};
use lead_domain::qualification::{Timeline, Urgency};

/// A timeline read from the lead's words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimelineRead {
    /// The bucket.
    pub timeline: Timeline,
    /// Turn index in the conversation.
    pub turn: usize,
    /// Byte span in the turn.
    pub span: (usize, usize),
    /// How sure the reading is.
    pub confidence: f32,
}

/// Buckets a date against the reference date per the qualification rules.
pub fn bucket(date: NaiveDate, today: NaiveDate) -> Timeline {
    let end_next_month = end_of_month(today.checked_add_months(Months::new(1)).unwrap_or(today));
    let three = today.checked_add_months(Months::new(3)).unwrap_or(today);
    let six = today.checked_add_months(Months::new(6)).unwrap_or(today);
    if date <= today {
        Timeline::Immediate
    } else if date <= end_next_month {
        Timeline::Within1Month
    } else if date <= three {
        Timeline::OneToThreeMonths
    } else if date <= six {
        Timeline::ThreeToSixMonths
    } else {
        Timeline::OverSixMonths
    }
}

/// The last day of the month of `d`.
pub fn end_of_month(d: NaiveDate) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(d.year(), d.month(), 1).unwrap_or(d);
    first
        .checked_add_months(Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(d)
}

/// The next start of calendar month `m` (this month counts as now).
fn next_month_start(m: u32, today: NaiveDate) -> NaiveDate {
    let year = if m >= today.month() {
        today.year()
    } else {
        today.year() + 1
    };
    NaiveDate::from_ymd_opt(year, m, 1).unwrap_or(today)
}

fn add_units(today: NaiveDate, unit: Unit, n: f64) -> NaiveDate {
    let n = n.clamp(0.0, 1000.0);
    match unit {
        Unit::Day => today.checked_add_days(Days::new(n.ceil() as u64)),
        Unit::Week => today.checked_add_days(Days::new((n * 7.0).ceil() as u64)),
        Unit::Month => {
            let whole = n.floor() as u32;
            let d = today.checked_add_months(Months::new(whole));
            let extra = ((n - n.floor()) * 30.0).round() as u64;
            d.and_then(|d| d.checked_add_days(Days::new(extra)))
        }
        Unit::Year => today.checked_add_months(Months::new((n * 12.0).round() as u32)),
        Unit::Hour => today.checked_add_days(Days::new((n / 24.0).floor() as u64)),
    }
    .unwrap_or(NaiveDate::MAX)
}

/// A small count before a time unit: digits, number words, "a", "few", or a range ("4-5") read at its end.
fn count_before(t: &TurnData<'_>, unit_start: usize) -> Option<(f64, usize)> {
    if unit_start == 0 {
        return None;
    }
    let k = unit_start - 1;
    let tok = &t.toks[k];
    if let Kind::Number(n) = tok.kind {
        // "4-5 months", "1 to 2 weeks": the start of the range.
        let mut start = k;
        if k >= 2
            && (t.toks[k - 1].is_punct('-')
                || t.at_where(k - 1, |c| matches!(c, Concept::RangeTo))
                    .is_some())
            && t.toks[k - 2].num().is_some()
        {
            start = k - 2;
        }
        return Some((n.value, start));
    }
    if let Some(h) = t.ending_at(unit_start, |c| {
        matches!(
            c,
            Concept::NumWord(_, Rank::Unit | Rank::Teen | Rank::Ten) | Concept::Few(_)
        )
    }) {
        return match h.c {
            Concept::NumWord(v, _) => Some((v, h.start)),
            Concept::Few(n) => Some((f64::from(n), h.start)),
            _ => None,
        };
    }
    None
}

/// Whether a time preposition (in, within, after, بعد, خلال) or "next" stands shortly before token `k`.
fn prep_before(t: &TurnData<'_>, k: usize) -> bool {
    let from = k.saturating_sub(3).max(t.sentence_start(k));
    (from..k).any(|j| {
        t.at_where(j, |c| matches!(c, Concept::TimePrep | Concept::NextAdj))
            .is_some()
    })
}

fn negated_before(t: &TurnData<'_>, k: usize) -> bool {
    let from = k.saturating_sub(2).max(t.sentence_start(k));
    (from..k).any(|j| {
        t.at(j)
            .any(|h| matches!(h.c, Concept::Neg | Concept::Browsing) && h.end <= k)
    }) || t.toks[from..k.min(t.toks.len())]
        .iter()
        .any(|x| crate::signals::is_negation_word(&x.norm))
}

fn past_around(t: &TurnData<'_>, start: usize, end: usize) -> bool {
    let before = start.saturating_sub(2).max(t.sentence_start(start));
    (before..start).any(|j| {
        t.at_where(j, |c| matches!(c, Concept::Time(Fixed::Past)))
            .is_some()
    }) || t
        .at_where(end, |c| matches!(c, Concept::Time(Fixed::Past)))
        .is_some()
}

/// Urgency carried by a time word: level, turn index and byte span.
pub type TimeUrgency = (Urgency, usize, (usize, usize));

/// Reads the timeline; the latest statement wins. Also returns the urgency that some time words carry
/// (today, ASAP: high; "in the coming weeks": medium), with its position, for the urgency reader.
pub fn extract(
    conv: &Conversation<'_>,
    today: NaiveDate,
) -> (Option<TimelineRead>, Vec<TimeUrgency>) {
    let mut best: Option<TimelineRead> = None;
    let mut urg = Vec::new();
    for t in &conv.lead {
        let mut consumed_to = 0usize;
        // "what time do you open on Saturday?": the business's hours, not the lead's plan.
        let hours_questions = crate::business::hours_question_sentences(t);
        for h in &t.hits {
            if h.start < consumed_to || hours_questions.contains(&t.sentence(h.start)) {
                continue;
            }
            let Some((tl, start, end, conf)) = read_at(t, h, today, &mut urg) else {
                continue;
            };
            consumed_to = end;
            best = Some(TimelineRead {
                timeline: tl,
                turn: t.index,
                span: t.span(start, end),
                confidence: conf,
            });
        }
    }
    (best, urg)
}

/// Reads a time expression at hit `h`: bucket, token range and confidence.
fn read_at(
    t: &TurnData<'_>,
    h: &crate::lexicon::Hit,
    today: NaiveDate,
    urg: &mut Vec<TimeUrgency>,
) -> Option<(Timeline, usize, usize, f32)> {
    let toks = &t.toks;
    match h.c {
        Concept::Time(f) => {
            if negated_before(t, h.start) {
                return None;
            }
            let tl = match f {
                Fixed::Immediate => {
                    // "for a while now", "until now" are not plans.
                    let norm = toks[h.start].norm.as_str();
                    // "now my wife wants ...": a clause-opening "now" is a discourse marker.
                    if norm == "now"
                        && h.end == h.start + 1
                        && t.is_clause_start(h.start)
                        && t.toks
                            .get(h.end)
                            .is_some_and(|x| x.is_word() && x.sentence == toks[h.start].sentence)
                    {
                        return None;
                    }
                    if norm == "now" && h.end == h.start + 1 && h.start > 0 {
                        let prev = toks[h.start - 1].norm.as_str();
                        if matches!(
                            prev,
                            "while" | "until" | "till" | "by" | "from" | "for" | "far"
                        ) {
                            return None;
                        }
                    }
                    Timeline::Immediate
                }
                Fixed::Today | Fixed::Asap => {
                    urg.push((Urgency::High, t.index, t.span(h.start, h.end)));
                    Timeline::Immediate
                }
                Fixed::NextWeek => {
                    bucket(today.checked_add_days(Days::new(7)).unwrap_or(today), today)
                }
                Fixed::ThisMonth => bucket(end_of_month(today), today),
                Fixed::NextMonth => bucket(
                    end_of_month(today.checked_add_months(Months::new(1)).unwrap_or(today)),
                    today,
                ),
                Fixed::ThisYear => bucket(
                    NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
                    today,
                ),
                Fixed::NextYear => {
                    // "early next year in January": a month named right after wins, read at the month.
                    let month_follows = t
                        .within(h.end, (h.end + 3).min(toks.len()))
                        .any(|x| matches!(x.c, Concept::Month(..)));
                    if month_follows {
                        return None;
                    }
                    Timeline::OverSixMonths
                }
                Fixed::FewWeeks => bucket(
                    today.checked_add_days(Days::new(21)).unwrap_or(today),
                    today,
                ),
                Fixed::ComingWeeks => {
                    urg.push((Urgency::Medium, t.index, t.span(h.start, h.end)));
                    bucket(
                        today.checked_add_days(Days::new(21)).unwrap_or(today),
                        today,
                    )
                }
                Fixed::FewMonths => bucket(add_units(today, Unit::Month, 3.0), today),
                Fixed::Past => return None,
            };
            Some((tl, h.start, h.end, 0.85))
        }
        Concept::Month(m, ambiguous) => {
            let capital = toks[h.start].capitalized && !t.is_clause_start(h.start);
            let prep = prep_before(t, h.start)
                || t.ending_at(h.start, |c| matches!(c, Concept::EndOf))
                    .is_some();
            let day_next = toks
                .get(h.end)
                .and_then(|x| x.num())
                .is_some_and(|n| (1.0..=31.0).contains(&n.value) && !n.decimal);
            let day_prev = h.start > 0
                && toks[h.start - 1]
                    .num()
                    .is_some_and(|n| (1.0..=31.0).contains(&n.value) && !n.decimal);
            if ambiguous && !(capital || prep || day_next || day_prev) {
                return None;
            }
            // "آب" is also "father": only after "شهر".
            if ambiguous && matches!(toks[h.start].kind, Kind::Word(crate::text::Script::Arabic)) {
                let after_month_word = h.start > 0
                    && t.at_where(h.start - 1, |c| {
                        matches!(c, Concept::TimeUnit(Unit::Month, _))
                    })
                    .is_some();
                if !after_month_word {
                    return None;
                }
            }
            let year = toks
                .get(h.end)
                .and_then(|x| x.num())
                .filter(|n| (2020.0..=2100.0).contains(&n.value))
                .map(|n| n.value as i32);
            let mut date = match year {
                Some(y) => NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today),
                None => next_month_start(m, today),
            };
            if t.ending_at(h.start, |c| matches!(c, Concept::EndOf))
                .is_some()
                || (h.start >= 2
                    && t.ending_at(h.start - 1, |c| matches!(c, Concept::EndOf))
                        .is_some())
            {
                date = end_of_month(date);
            } else if let Some(day) = day_next
                .then(|| toks[h.end].num())
                .flatten()
                .or_else(|| day_prev.then(|| toks[h.start - 1].num()).flatten())
            {
                date = NaiveDate::from_ymd_opt(date.year(), m, day.value as u32).unwrap_or(date);
                if date < today {
                    date = NaiveDate::from_ymd_opt(date.year() + 1, m, day.value as u32)
                        .unwrap_or(date);
                }
            }
            let end = if year.is_some() || day_next {
                h.end + 1
            } else {
                h.end
            };
            let start = if day_prev { h.start - 1 } else { h.start };
            Some((bucket(date, today), start, end, 0.85))
        }
        Concept::Season(m) => {
            // "fall" is also a verb: only "in the fall", "fall 2027", "fall intake".
            let year = toks
                .get(h.end)
                .and_then(|x| x.num())
                .filter(|n| (2020.0..=2100.0).contains(&n.value) && !n.decimal)
                .map(|n| n.value as i32);
            if toks[h.start].norm == "fall"
                && h.end == h.start + 1
                && year.is_none()
                && !prep_before(t, h.start)
                && !toks
                    .get(h.end)
                    .is_some_and(|x| matches!(x.norm.as_str(), "intake" | "semester" | "term"))
            {
                return None;
            }
            if let Some(y) = year {
                let date = NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(today);
                return Some((bucket(date, today), h.start, h.end + 1, 0.75));
            }
            let mut date = next_month_start(m, today);
            if m == 12
                && date.year() == today.year()
                && t.ending_at(h.start, |c| matches!(c, Concept::NextAdj))
                    .is_some()
            {
                date = NaiveDate::from_ymd_opt(today.year() + 1, 12, 1).unwrap_or(date);
            }
            Some((bucket(date, today), h.start, h.end, 0.75))
        }
        Concept::Weekday(d) => {
            let wd = today.weekday().num_days_from_monday();
            let mut ahead = (d + 7 - wd) % 7;
            if ahead == 0 {
                ahead = 7;
            }
            let next = t
                .ending_at(h.start, |c| matches!(c, Concept::NextAdj))
                .is_some()
                || t.at_where(h.end, |c| matches!(c, Concept::NextAdj))
                    .is_some();
            // Up to the coming Saturday is "this week"; later, or "next Monday", is within the month.
            let days_to_saturday = (5 + 7 - wd) % 7;
            let tl = if !next && ahead <= days_to_saturday {
                Timeline::Immediate
            } else {
                Timeline::Within1Month
            };
            Some((tl, h.start, h.end, 0.7))
        }
        Concept::TimeUnit(unit, dual) => {
            // Gulf "شهر ٤" is April.
            if unit == Unit::Month
                && dual == 1
                && let Some(n) = toks.get(h.end).and_then(|x| x.num())
                && (1.0..=12.0).contains(&n.value)
                && !n.decimal
                && count_before(t, h.start).is_none()
            {
                let date = next_month_start(n.value as u32, today);
                return Some((bucket(date, today), h.start, h.end + 1, 0.75));
            }
            if past_around(t, h.start, h.end) {
                return None;
            }
            let (n, start) = match count_before(t, h.start) {
                Some((n, s)) => (n, s),
                None if dual == 2 => (2.0, h.start),
                None => {
                    // "in a month", "بعد سنة", "within a week": the unit alone means one.
                    let plural = matches!(
                        toks[h.start].norm.as_str(),
                        "days"
                            | "weeks"
                            | "months"
                            | "years"
                            | "ايام"
                            | "اسابيع"
                            | "اشهر"
                            | "شهور"
                            | "سنوات"
                            | "سنين"
                    );
                    // The preposition must stand right before the unit ("بعد شهر"), so "في الدوحة كل أسبوع"
                    // is not a date.
                    let prep_right_before = t
                        .ending_at(h.start, |c| {
                            matches!(c, Concept::TimePrep | Concept::NextAdj)
                        })
                        .is_some();
                    if plural
                        || !(prep_right_before || t.asked.timeline && t.is_clause_start(h.start))
                    {
                        return None;
                    }
                    (1.0, h.start)
                }
            };
            let n = if dual == 2 && n < 2.0 { 2.0 } else { n };
            // The count must be governed by a time preposition ("in 3 weeks", "بعد ٤ أشهر"), follow
            // "next" ("next 2 weeks"), be followed by "from now", or answer the agent's "when?".
            let from_now = t
                .at_where(h.end, |c| matches!(c, Concept::TimePrep))
                .is_some_and(|x| toks[x.start].norm == "from");
            let answer = t.asked.timeline && t.is_clause_start(start);
            if !(prep_before(t, start) || from_now || answer) {
                return None;
            }
            // "for 2 years" is a duration, "every week" a frequency, not dates.
            if start > 0
                && matches!(
                    toks[start - 1].norm.as_str(),
                    "for" | "لمده" | "مده" | "every" | "each" | "per" | "كل" | "once"
                )
            {
                return None;
            }
            // Several weeks count to their end ("within 3 months" is 1_3_months); a day or two is now.
            let tl = match unit {
                Unit::Day if n <= 1.0 => Timeline::Immediate,
                Unit::Hour if n <= 72.0 => Timeline::Immediate,
                _ => bucket(add_units(today, unit, n), today),
            };
            Some((tl, start, h.end, 0.8))
        }
        _ => {
            // A year on its own after a time preposition: this year, or later (over six months).
            None
        }
    }
    .or_else(|| year_at(t, h, today))
}

/// "in 2027", "في عام ٢٠٢٧": the year with no month.
fn year_at(
    t: &TurnData<'_>,
    h: &crate::lexicon::Hit,
    today: NaiveDate,
) -> Option<(Timeline, usize, usize, f32)> {
    if !matches!(h.c, Concept::TimePrep) {
        return None;
    }
    let mut k = h.end;
    // "the second half of 2027", "early 2027"; a month in between is read at the month instead.
    for _ in 0..4 {
        if t.toks.get(k).is_some_and(|x| x.num().is_some()) {
            break;
        }
        if t.at_where(k, |c| {
            matches!(c, Concept::Month(..) | Concept::TimeUnit(..))
        })
        .is_some()
        {
            return None;
        }
        k += 1;
    }
    let n = t.toks.get(k)?.num()?;
    if n.decimal || n.grouped || n.int_digits != 4 {
        return None;
    }
    let y = n.value as i32;
    if t.ending_at(k, |c| matches!(c, Concept::NotMoneyBefore))
        .is_some()
        || t.at_where(k + 1, |c| matches!(c, Concept::Month(..)))
            .is_some()
    {
        return None;
    }
    let tl = if y == today.year() {
        Timeline::Within1Month
    } else if y > today.year() && y < today.year() + 30 {
        Timeline::OverSixMonths
    } else {
        return None;
    };
    Some((tl, h.start, k + 1, 0.6))
}

#[cfg(test)]
mod tests;
