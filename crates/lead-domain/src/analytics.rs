//! What a sales manager reads about a tenant's leads: speed to first response, the funnel, scores
//! over time, escalations, failed replies and model cost. The store returns raw facts over an
//! indexed date range (`AnalyticsReader`), leads already counted by local day and kind in SQL;
//! `summarize` turns them into figures, each with its count, so a small sample reads as small.

use crate::hours::BusinessHours;
use crate::ids::TenantId;
use crate::lead::{ALL_CHANNELS, Channel};
use crate::lifecycle::{ALL_STATES, LeadState};
use crate::ports::StoreError;
use crate::scoring::Score;
use async_trait::async_trait;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The longest range one report covers, so a request cannot ask for decades.
pub const MAX_RANGE_DAYS: i64 = 400;

/// The range a report covers when the caller gives none: the last 30 days.
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// How the per-group table splits the leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// By the local day the lead arrived.
    Day,
    /// By the ISO week the lead arrived.
    Week,
    /// By the channel of the conversation.
    Channel,
    /// By the lead's first-contact channel.
    Source,
}

impl GroupBy {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Channel => "channel",
            GroupBy::Source => "source",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "day" => Some(GroupBy::Day),
            "week" => Some(GroupBy::Week),
            "channel" => Some(GroupBy::Channel),
            "source" => Some(GroupBy::Source),
            _ => None,
        }
    }
}

/// Why an analytics request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A parameter is malformed; the field and what was expected.
    #[error("invalid {0}: {1}")]
    Invalid(&'static str, &'static str),
}

/// The dates (inclusive, in the tenant's timezone) and grouping of one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyticsQuery {
    /// First local day.
    pub from: NaiveDate,
    /// Last local day, included.
    pub to: NaiveDate,
    /// How the per-group table splits the leads.
    pub group_by: GroupBy,
}

impl AnalyticsQuery {
    /// Parses the API's `from`, `to` (`YYYY-MM-DD`) and `group_by`; missing dates give the 30 days
    /// ending `today`, a missing grouping gives days.
    ///
    /// # Errors
    /// A malformed date or grouping, `from` after `to`, or a range over [`MAX_RANGE_DAYS`].
    pub fn parse(
        from: Option<&str>,
        to: Option<&str>,
        group_by: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, QueryError> {
        let date = |field: &'static str, s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| QueryError::Invalid(field, "expected YYYY-MM-DD"))
        };
        let to = match to.filter(|s| !s.trim().is_empty()) {
            Some(s) => date("to", s)?,
            None => today,
        };
        let from = match from.filter(|s| !s.trim().is_empty()) {
            Some(s) => date("from", s)?,
            None => to - Duration::days(DEFAULT_RANGE_DAYS - 1),
        };
        if from > to {
            return Err(QueryError::Invalid("from", "must not be after to"));
        }
        if (to - from).num_days() >= MAX_RANGE_DAYS {
            return Err(QueryError::Invalid("to", "the range is at most 400 days"));
        }
        let group_by = match group_by.filter(|s| !s.trim().is_empty()) {
            Some(s) => GroupBy::parse(s.trim()).ok_or(QueryError::Invalid(
                "group_by",
                "expected day, week, channel or source",
            ))?,
            None => GroupBy::Day,
        };
        Ok(Self { from, to, group_by })
    }

    /// The instants the range covers: local midnight of `from` to local midnight after `to`.
    pub fn window(&self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            local_midnight(tz, self.from),
            local_midnight(tz, self.to + Duration::days(1)),
        )
    }
}

fn local_midnight(tz: Tz, day: NaiveDate) -> DateTime<Utc> {
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

/// The states a lead has been in, as a small set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateSet(u8);

impl StateSet {
    /// The set from its bits: NEW 1, QUALIFYING 2, QUALIFIED 4, APPOINTMENT_BOOKED 8,
    /// HANDED_OFF 16, NURTURING 32, DISQUALIFIED 64 (how the store keeps it).
    pub const fn from_bits(bits: u8) -> Self {
        Self(bits & 127)
    }

    const fn bit(state: LeadState) -> u8 {
        match state {
            LeadState::New => 1,
            LeadState::Qualifying => 2,
            LeadState::Qualified => 4,
            LeadState::AppointmentBooked => 8,
            LeadState::HandedOff => 16,
            LeadState::Nurturing => 32,
            LeadState::Disqualified => 64,
        }
    }

    /// The set with one more state.
    #[must_use]
    pub const fn with(self, state: LeadState) -> Self {
        Self(self.0 | Self::bit(state))
    }

    /// Whether the lead has been in the state.
    pub const fn contains(self, state: LeadState) -> bool {
        self.0 & Self::bit(state) != 0
    }
}

/// Leads created in the range that share their local day, source, score, states and interest, as
/// the report needs them: the store counts them in SQL instead of sending one row per lead.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadFact {
    /// When the first of them arrived (any instant of their local day would do).
    pub created_at: DateTime<Utc>,
    /// How many leads these are (at least one).
    pub count: u64,
    /// First-contact channel.
    pub source: Channel,
    /// Score now.
    pub score: Score,
    /// Every state it has been in (the current one and each state of its history).
    pub reached: StateSet,
    /// The lead said it is not interested.
    pub not_interested: bool,
}

/// One conversation of a lead created in the range: its first inbound message and the first reply
/// that was sent (or delivered).
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseFact {
    /// The conversation's channel.
    pub channel: Channel,
    /// The lead's first-contact channel.
    pub source: Channel,
    /// The states the conversation's lead has been in.
    pub reached: StateSet,
    /// The first inbound message.
    pub first_inbound: DateTime<Utc>,
    /// The first outbound message at or after it that was sent or delivered, if any.
    pub first_reply: Option<DateTime<Utc>>,
}

/// Model calls, tokens and cost in the range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct UsageTotals {
    /// Calls.
    pub calls: u64,
    /// Input tokens.
    pub tokens_in: u64,
    /// Output tokens.
    pub tokens_out: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
}

/// Everything the store reads for one report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalyticsFacts {
    /// Leads created in the range.
    pub leads: Vec<LeadFact>,
    /// Conversations of those leads that have an inbound message.
    pub responses: Vec<ResponseFact>,
    /// Escalations raised in the range, by reason kind.
    pub escalations: Vec<(String, u64)>,
    /// Replies written in the range that failed to deliver, by channel and error.
    pub failures: Vec<(Channel, String, u64)>,
    /// Model usage recorded in the range.
    pub usage: UsageTotals,
}

/// Reads analytics facts, scoped by tenant like every storage port.
#[async_trait]
pub trait AnalyticsReader: Send + Sync {
    /// The facts of `[from, to)`: leads created in it (counted by their local day in `tz`) with
    /// their conversations' first response, and escalations, failed replies and model usage
    /// recorded in it.
    ///
    /// # Errors
    /// On database failure.
    async fn analytics_facts(
        &self,
        tenant: TenantId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        tz: Tz,
    ) -> Result<AnalyticsFacts, StoreError>;
}

/// The UTC offset of `tz` over `[from, to)` as pieces `(since, seconds east of UTC)`, the first
/// piece starting at `from`; lets SQL place an instant on its local day with integer arithmetic
/// (`(epoch + offset) / 86400`) on both backends, which know no time zones.
pub fn utc_offsets(tz: Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, i32)> {
    let offset = |t: DateTime<Utc>| {
        tz.offset_from_utc_datetime(&t.naive_utc())
            .fix()
            .local_minus_utc()
    };
    let mut pieces = vec![(from, offset(from))];
    let mut at = from;
    while at < to {
        let next = (at + Duration::hours(6)).min(to);
        let current = pieces.last().map_or(0, |p| p.1);
        if offset(next) != current {
            // Narrow the change down to the second (zones change on whole seconds).
            let (mut lo, mut hi) = (at.timestamp(), next.timestamp());
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                let same = DateTime::from_timestamp(mid, 0).is_some_and(|t| offset(t) == current);
                if same {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let hi = DateTime::from_timestamp(hi, 0).unwrap_or(next);
            pieces.push((hi, offset(hi)));
        }
        at = next;
    }
    pieces
}

/// Nearest-rank percentiles of response times in seconds, with their count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Percentiles {
    /// How many responses they are computed over.
    pub count: u64,
    /// Median.
    pub p50: Option<i64>,
    /// 90th percentile.
    pub p90: Option<i64>,
    /// 99th percentile.
    pub p99: Option<i64>,
    /// Slowest.
    pub max: Option<i64>,
}

impl Percentiles {
    /// The percentiles of a set of durations (sorted here).
    pub fn of(mut seconds: Vec<i64>) -> Self {
        seconds.sort_unstable();
        let n = seconds.len();
        let rank = |p: f64| -> Option<i64> {
            if n == 0 {
                return None;
            }
            // Nearest rank: the smallest value with at least p% of the values at or below it.
            let r = ((p / 100.0) * n as f64).ceil() as usize;
            seconds.get(r.clamp(1, n) - 1).copied()
        };
        Self {
            count: n as u64,
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: seconds.last().copied(),
        }
    }
}

/// Speed to first response of one slice of conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpeedRow {
    /// The slice: a channel name, `all`, `open` (inside business hours) or `closed`.
    pub key: String,
    /// Response times of the answered conversations.
    pub answered: Percentiles,
    /// Conversations with no reply sent yet.
    pub unanswered: u64,
}

/// One rate with its numerator and denominator.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateRow {
    /// What is counted: a state name (`QUALIFIED`, ...) or `not_interested`.
    pub key: String,
    /// Leads counted.
    pub count: u64,
    /// Out of this many leads.
    pub of: u64,
    /// `count / of`, `None` with no leads.
    pub rate: Option<f64>,
}

/// The leads of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRow {
    /// The day (`YYYY-MM-DD`), week (`YYYY-Www`), channel or source.
    pub key: String,
    /// Leads (for channel grouping: leads with a conversation on the channel).
    pub leads: u64,
    /// Of them, reached QUALIFIED or APPOINTMENT_BOOKED.
    pub qualified: u64,
    /// Of them, reached APPOINTMENT_BOOKED.
    pub booked: u64,
    /// Of them, reached HANDED_OFF.
    pub handed_off: u64,
    /// Speed to first response of the group's conversations.
    pub response: Percentiles,
}

/// Leads of one period by score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreRow {
    /// The period (day or week, following the grouping; days for channel and source).
    pub period: String,
    /// Hot.
    pub hot: u64,
    /// Warm.
    pub warm: u64,
    /// Cold.
    pub cold: u64,
    /// Unscored.
    pub unscored: u64,
}

/// A count of something by its kind and detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountRow {
    /// The kind (escalation reason, channel).
    pub key: String,
    /// The detail (error), empty when none.
    pub detail: String,
    /// How many.
    pub count: u64,
}

/// Model cost and what it bought.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostRow {
    /// Calls, tokens and dollars.
    pub usage: UsageTotals,
    /// Leads created in the range.
    pub leads: u64,
    /// Of them qualified.
    pub qualified: u64,
    /// Of them booked.
    pub booked: u64,
    /// Cost per lead, `None` without leads.
    pub per_lead: Option<f64>,
    /// Cost per qualified lead.
    pub per_qualified: Option<f64>,
    /// Cost per booking.
    pub per_booking: Option<f64>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnalyticsReport {
    /// First day.
    pub from: NaiveDate,
    /// Last day (included).
    pub to: NaiveDate,
    /// The grouping of `groups`.
    pub group_by: GroupBy,
    /// Leads created in the range.
    pub leads: u64,
    /// Speed to first response: `all`, then every channel with conversations.
    pub speed_by_channel: Vec<SpeedRow>,
    /// Speed to first response inside (`open`) and outside (`closed`) business hours.
    pub speed_by_hours: Vec<SpeedRow>,
    /// Leads by state reached, then the not-interested count.
    pub funnel: Vec<RateRow>,
    /// The per-group table.
    pub groups: Vec<GroupRow>,
    /// Scores of the leads by period.
    pub scores: Vec<ScoreRow>,
    /// Escalations by reason.
    pub escalations: Vec<CountRow>,
    /// Failed replies by channel and error.
    pub failures: Vec<CountRow>,
    /// Model cost.
    pub cost: CostRow,
}

fn is_qualified(reached: StateSet) -> bool {
    reached.contains(LeadState::Qualified) || reached.contains(LeadState::AppointmentBooked)
}

/// The period names of instants, each local date named once.
struct Periods {
    tz: Tz,
    weekly: bool,
    names: HashMap<NaiveDate, String>,
}

impl Periods {
    fn new(tz: Tz, weekly: bool) -> Self {
        Self {
            tz,
            weekly,
            names: HashMap::new(),
        }
    }

    fn of(&mut self, at: DateTime<Utc>) -> String {
        let day = at.with_timezone(&self.tz).date_naive();
        let weekly = self.weekly;
        self.names
            .entry(day)
            .or_insert_with(|| period_of_day(day, weekly))
            .clone()
    }
}

/// The business's opening intervals around a report's range, merged and sorted, so placing each
/// first message inside or outside hours is a binary search; instants outside the precomputed
/// span ask the hours themselves.
struct OpenIntervals<'a> {
    hours: &'a BusinessHours,
    span: (DateTime<Utc>, DateTime<Utc>),
    intervals: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl<'a> OpenIntervals<'a> {
    fn new(hours: &'a BusinessHours, query: &AnalyticsQuery) -> Self {
        let tz = hours.timezone();
        // Shifts starting the day before may run into the first day; a week of margin on each
        // side covers first messages shortly outside the range.
        let (first, last) = (query.from - Duration::days(8), query.to + Duration::days(8));
        let mut all: Vec<(DateTime<Utc>, DateTime<Utc>)> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .flat_map(|d| hours.intervals_starting_on(d).collect::<Vec<_>>())
            .collect();
        all.sort_unstable();
        let mut intervals: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(all.len());
        for (start, end) in all {
            match intervals.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => intervals.push((start, end)),
            }
        }
        Self {
            hours,
            span: (
                local_midnight(tz, query.from - Duration::days(7)),
                local_midnight(tz, query.to + Duration::days(7)),
            ),
            intervals,
        }
    }

    fn is_open(&self, at: DateTime<Utc>) -> bool {
        if at < self.span.0 || at >= self.span.1 {
            return self.hours.is_open(at);
        }
        let after = self.intervals.partition_point(|(start, _)| *start <= at);
        after > 0
            && self
                .intervals
                .get(after - 1)
                .is_some_and(|(_, end)| at < *end)
    }
}

fn period_of_day(day: NaiveDate, weekly: bool) -> String {
    if weekly {
        let week = day.iso_week();
        format!("{}-W{:02}", week.year(), week.week())
    } else {
        day.format("%Y-%m-%d").to_string()
    }
}

fn ratio(count: u64, of: u64) -> Option<f64> {
    (of > 0).then(|| count as f64 / of as f64)
}

fn per(cost: f64, of: u64) -> Option<f64> {
    (of > 0).then(|| cost / of as f64)
}

fn seconds(r: &ResponseFact) -> Option<i64> {
    r.first_reply
        .map(|reply| (reply - r.first_inbound).num_seconds().max(0))
}

fn speed_row(key: String, responses: &[&ResponseFact]) -> SpeedRow {
    let answered: Vec<i64> = responses.iter().filter_map(|r| seconds(r)).collect();
    let unanswered = (responses.len() - answered.len()) as u64;
    SpeedRow {
        key,
        answered: Percentiles::of(answered),
        unanswered,
    }
}

/// Turns the facts into the report; `hours` places each first message inside or outside
/// business hours and gives the timezone of days and weeks.
pub fn summarize(
    facts: &AnalyticsFacts,
    query: &AnalyticsQuery,
    hours: &BusinessHours,
) -> AnalyticsReport {
    let tz = hours.timezone();
    let leads: u64 = facts.leads.iter().map(|l| l.count).sum();
    let open_at = OpenIntervals::new(hours, query);
    let all: Vec<&ResponseFact> = facts.responses.iter().collect();
    let mut speed_by_channel = vec![speed_row("all".to_owned(), &all)];
    for channel in ALL_CHANNELS {
        let slice: Vec<&ResponseFact> = all
            .iter()
            .copied()
            .filter(|r| r.channel == channel)
            .collect();
        if !slice.is_empty() {
            speed_by_channel.push(speed_row(channel.as_str().to_owned(), &slice));
        }
    }
    let (open, closed): (Vec<&ResponseFact>, Vec<&ResponseFact>) =
        all.iter().partition(|r| open_at.is_open(r.first_inbound));
    let speed_by_hours = vec![
        speed_row("open".to_owned(), &open),
        speed_row("closed".to_owned(), &closed),
    ];

    let mut funnel: Vec<RateRow> = ALL_STATES
        .iter()
        .map(|s| {
            let count = facts
                .leads
                .iter()
                .filter(|l| l.reached.contains(*s))
                .map(|l| l.count)
                .sum();
            RateRow {
                key: s.as_str().to_owned(),
                count,
                of: leads,
                rate: ratio(count, leads),
            }
        })
        .collect();
    let not_interested = facts
        .leads
        .iter()
        .filter(|l| l.not_interested)
        .map(|l| l.count)
        .sum();
    funnel.push(RateRow {
        key: "not_interested".to_owned(),
        count: not_interested,
        of: leads,
        rate: ratio(not_interested, leads),
    });

    let weekly = query.group_by == GroupBy::Week;
    let mut periods = Periods::new(tz, weekly);
    let groups = group_rows(facts, query.group_by, &mut periods);
    let mut scores: BTreeMap<String, ScoreRow> = BTreeMap::new();
    for l in &facts.leads {
        let key = periods.of(l.created_at);
        let row = scores.entry(key.clone()).or_insert_with(|| ScoreRow {
            period: key,
            hot: 0,
            warm: 0,
            cold: 0,
            unscored: 0,
        });
        match l.score {
            Score::Hot => row.hot += l.count,
            Score::Warm => row.warm += l.count,
            Score::Cold => row.cold += l.count,
            Score::Unscored => row.unscored += l.count,
        }
    }
    let mut escalations: Vec<CountRow> = facts
        .escalations
        .iter()
        .map(|(reason, count)| CountRow {
            key: reason.clone(),
            detail: String::new(),
            count: *count,
        })
        .collect();
    escalations.sort_by(|a, b| b.count.cmp(&a.count).then(a.key.cmp(&b.key)));
    let mut failures: Vec<CountRow> = facts
        .failures
        .iter()
        .map(|(channel, error, count)| CountRow {
            key: channel.as_str().to_owned(),
            detail: error.clone(),
            count: *count,
        })
        .collect();
    failures.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then(a.key.cmp(&b.key))
            .then(a.detail.cmp(&b.detail))
    });
    let qualified_n = facts
        .leads
        .iter()
        .filter(|l| is_qualified(l.reached))
        .map(|l| l.count)
        .sum();
    let booked_n = facts
        .leads
        .iter()
        .filter(|l| l.reached.contains(LeadState::AppointmentBooked))
        .map(|l| l.count)
        .sum();
    let cost = facts.usage.cost_usd;
    AnalyticsReport {
        from: query.from,
        to: query.to,
        group_by: query.group_by,
        leads,
        speed_by_channel,
        speed_by_hours,
        funnel,
        groups,
        scores: scores.into_values().collect(),
        escalations,
        failures,
        cost: CostRow {
            usage: facts.usage,
            leads,
            qualified: qualified_n,
            booked: booked_n,
            per_lead: per(cost, leads),
            per_qualified: per(cost, qualified_n),
            per_booking: per(cost, booked_n),
        },
    }
}

#[derive(Default)]
struct GroupAcc {
    leads: u64,
    qualified: u64,
    booked: u64,
    handed_off: u64,
    responses: Vec<i64>,
}

impl GroupAcc {
    fn add_lead(&mut self, l: &LeadFact) {
        self.add_reached(l.reached, l.count);
    }

    fn add_reached(&mut self, reached: StateSet, count: u64) {
        self.leads += count;
        self.qualified += count * u64::from(is_qualified(reached));
        self.booked += count * u64::from(reached.contains(LeadState::AppointmentBooked));
        self.handed_off += count * u64::from(reached.contains(LeadState::HandedOff));
    }
}

fn group_rows(facts: &AnalyticsFacts, group_by: GroupBy, periods: &mut Periods) -> Vec<GroupRow> {
    let mut groups: BTreeMap<String, GroupAcc> = BTreeMap::new();
    match group_by {
        GroupBy::Day | GroupBy::Week => {
            for l in &facts.leads {
                groups
                    .entry(periods.of(l.created_at))
                    .or_default()
                    .add_lead(l);
            }
            for r in &facts.responses {
                if let Some(s) = seconds(r) {
                    groups
                        .entry(periods.of(r.first_inbound))
                        .or_default()
                        .responses
                        .push(s);
                }
            }
        }
        GroupBy::Source => {
            for l in &facts.leads {
                groups
                    .entry(l.source.as_str().to_owned())
                    .or_default()
                    .add_lead(l);
            }
            for r in &facts.responses {
                if let Some(s) = seconds(r) {
                    groups
                        .entry(r.source.as_str().to_owned())
                        .or_default()
                        .responses
                        .push(s);
                }
            }
        }
        GroupBy::Channel => {
            // A lead counts once per channel it talked on: its conversation there stands for it.
            for r in &facts.responses {
                let group = groups.entry(r.channel.as_str().to_owned()).or_default();
                group.add_reached(r.reached, 1);
                if let Some(s) = seconds(r) {
                    group.responses.push(s);
                }
            }
        }
    }
    groups
        .into_iter()
        .map(|(key, g)| GroupRow {
            key,
            leads: g.leads,
            qualified: g.qualified,
            booked: g.booked,
            handed_off: g.handed_off,
            response: Percentiles::of(g.responses),
        })
        .collect()
}

#[cfg(test)]
mod tests;
