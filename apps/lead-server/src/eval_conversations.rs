//! `lead-server eval-conversations`: plays scripted live-chat dialogues turn by turn through the
//! real use cases (intake, queued processing, escalation, templated reply) and measures escalation
//! timing and reason, reply language and the final score against labels.
//!
//! Each dialogue runs in isolation: a fresh in-memory SQLite store with the migrations applied, a
//! client created from the dialogue's profile exactly as `POST /api/v1/clients` would create it
//! (see [`Profiles::client_request`]), the offline qualifier and no language model. The clock starts
//! at the profiles' `reference_date`, 10:00 in the client's zone (`Asia/Riyadh`), and moves one
//! minute per turn; the client is open around the clock so business hours never change a reply.
//!
//! # Output
//!
//! JSON lines (to `--out`, else stdout), in dialogue order:
//!
//! - one per turn: `{"record": "turn", "id", "turn" (1-based), "text", "reply" (string or null),
//!   "reply_language" ("en", "ar" or null), "escalated" (the conversation's flag after the turn),
//!   "escalation_kinds" (kinds of the escalation records this turn created), "error" (null unless
//!   the turn's processing job failed)}`;
//! - one per dialogue after its turns: `{"record": "dialogue", "id", "profile", "turns",
//!   "escalated_at" (first turn with the flag set, or null), "escalation_kinds" (of that turn),
//!   "final_score", "expect": {...as labelled}, "checks": {"escalation", "reason" (null when not
//!   judged), "reply_language", "final_score", "answered"}, "passed", "failure" (one line, or null)}`.
//!
//! The summary (see [`Summary`]) goes to stderr.

use crate::adapters::UuidV7Ids;
use crate::routes::clients::{CreateClientRequest, create_client};
use crate::storage::Storage;
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use lead_domain::ids::{ConversationId, LeadId};
use lead_domain::jobs::{RetryDecision, RetryPolicy};
use lead_domain::lead::{Channel, Direction, Sender};
use lead_domain::ports::{
    Clock, ContactInfo, MessageSender, Notification, Notifier, NotifyError, OutboundMessage,
    SendError, SendReceipt,
};
use lead_domain::tenant::Tenant;
use lead_domain::usecases::{Deps, InboundRequest, accept_inbound, all_messages, run_job};
use lead_store::{SeaOrmStore, StoreOptions};
use serde::Serialize;
use serde_json::{Value, json};
use std::fmt;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// The timezone of every evaluation client: the reference date's 10:00 is read in it.
pub const TIMEZONE: &str = "Asia/Riyadh";

/// Why the cases or profiles cannot be evaluated; the command exits non-zero with it.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The profiles file is not usable.
    #[error("profiles: {0}")]
    Profiles(String),
    /// A line of the cases file is not a usable dialogue.
    #[error("cases line {line}: {reason}")]
    Case {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The cases file holds no dialogue.
    #[error("cases: no dialogue found")]
    Empty,
}

/// The profiles file (`clients.json`): the reference date, exchange rates and each profile.
#[derive(Debug, Clone)]
pub struct Profiles {
    reference_date: NaiveDate,
    fx_usd: serde_json::Map<String, Value>,
    profiles: serde_json::Map<String, Value>,
}

impl Profiles {
    /// Parses `clients.json`.
    ///
    /// # Errors
    /// [`InputError::Profiles`] when it is not JSON or lacks the reference date or profiles.
    pub fn parse(text: &str) -> Result<Self, InputError> {
        let root: Value = serde_json::from_str(text)
            .map_err(|e| InputError::Profiles(format!("not JSON: {e}")))?;
        let reference_date = root
            .get("reference_date")
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| InputError::Profiles("missing or invalid reference_date".into()))?;
        let fx_usd = root
            .get("fx_usd")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let profiles = root
            .get("profiles")
            .and_then(Value::as_object)
            .cloned()
            .ok_or_else(|| InputError::Profiles("missing profiles".into()))?;
        let parsed = Self {
            reference_date,
            fx_usd,
            profiles,
        };
        // Every profile must make a valid client body, so a bad one fails before any dialogue runs.
        for name in parsed.profiles.keys() {
            let body = parsed.client_request(name, "check")?;
            serde_json::from_value::<CreateClientRequest>(body)
                .map_err(|e| InputError::Profiles(format!("profile {name}: {e}")))?;
        }
        Ok(parsed)
    }

    /// The reference date ("today") the dialogues are played on.
    pub fn reference_date(&self) -> NaiveDate {
        self.reference_date
    }

    /// Whether a profile of this name exists.
    pub fn contains(&self, profile: &str) -> bool {
        self.profiles.contains_key(profile)
    }

    /// The `POST /api/v1/clients` body of a profile: industry, services with their descriptions,
    /// scoring rules (currency, minimum budget, per-service minimums, high-value threshold, the
    /// file's exchange rates), the default escalation policy, and hours open around the clock.
    /// The in-process evaluation and the HTTP consistency test create their clients from it.
    ///
    /// # Errors
    /// [`InputError::Profiles`] for an unknown profile or one missing a required field.
    pub fn client_request(&self, profile: &str, slug: &str) -> Result<Value, InputError> {
        let p = self
            .profiles
            .get(profile)
            .ok_or_else(|| InputError::Profiles(format!("unknown profile {profile:?}")))?;
        let missing = |field: &str| InputError::Profiles(format!("profile {profile}: {field}"));
        let num = |field: &str| {
            p.get(field)
                .and_then(Value::as_f64)
                .ok_or_else(|| missing(&format!("missing number {field}")))
        };
        let currency = p
            .get("currency")
            .and_then(Value::as_str)
            .ok_or_else(|| missing("missing currency"))?;
        let industry = p.get("industry").and_then(Value::as_str).unwrap_or(profile);
        let synonyms = p.get("service_synonyms").and_then(Value::as_object);
        let services: serde_json::Map<String, Value> = p
            .get("services")
            .and_then(Value::as_object)
            .ok_or_else(|| missing("missing services"))?
            .iter()
            .map(|(key, description)| {
                let words: Vec<&str> = match synonyms.and_then(|s| s.get(key)) {
                    Some(Value::String(s)) => vec![s.as_str()],
                    Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                (
                    key.clone(),
                    json!({
                        "description": description.as_str().unwrap_or_default(),
                        "synonyms": words,
                    }),
                )
            })
            .collect();
        let service_min_budget: serde_json::Map<String, Value> = p
            .get("service_min_budget")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_number())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default();
        let mut rules = json!({
            "currency": currency,
            "min_budget": num("min_budget")?,
            "high_value_threshold": num("high_value_threshold")?,
            "service_min_budget": service_min_budget,
        });
        if !self.fx_usd.is_empty() {
            rules["fx_usd"] = Value::Object(self.fx_usd.clone());
        }
        let always = json!({"start": "00:00", "end": "24:00"});
        let hours: serde_json::Map<String, Value> = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
        ]
        .iter()
        .map(|d| ((*d).to_owned(), always.clone()))
        .collect();
        Ok(json!({
            "name": format!("Eval {profile}"),
            "slug": slug,
            "industry": industry,
            "timezone": TIMEZONE,
            "business_hours": hours,
            "services": services,
            "currency": currency,
            "qualification_rules": rules,
        }))
    }
}

/// What a dialogue is labelled with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Expect {
    /// 1-based turn of the first escalation, or `None` when none is due.
    pub escalate_at: Option<usize>,
    /// The eval name of the first escalation's reason (`human_request`, `keyword`, ...).
    pub escalation_reason: Option<String>,
    /// Per turn, the language the reply should be in.
    pub reply_language: Vec<String>,
    /// `HOT`, `WARM`, `COLD` or `UNSCORED` after the last turn.
    pub final_score: String,
}

/// One scripted dialogue of the cases file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dialogue {
    /// Case id.
    pub id: String,
    /// Profile name in `clients.json`.
    pub profile: String,
    /// The lead's messages, in order.
    pub turns: Vec<String>,
    /// The labels.
    pub expect: Expect,
}

/// The escalation reasons of the eval labels.
const REASONS: [&str; 5] = [
    "human_request",
    "keyword",
    "high_value",
    "low_confidence",
    "max_exchanges",
];

/// The API's escalation kind for an eval reason name.
pub fn escalation_kind(reason: &str) -> &str {
    match reason {
        "human_request" => "human_requested",
        "max_exchanges" => "too_many_exchanges",
        other => other,
    }
}

/// Parses the cases file (one JSON dialogue per line; blank lines are skipped), checking every
/// label against the profiles so a bad file fails before anything runs.
///
/// # Errors
/// [`InputError::Case`] naming the first bad line; [`InputError::Empty`] for a file with no dialogue.
pub fn parse_dialogues(text: &str, profiles: &Profiles) -> Result<Vec<Dialogue>, InputError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| InputError::Case { line, reason };
        let v: Value = serde_json::from_str(raw).map_err(|e| bad(format!("not JSON: {e}")))?;
        let string = |field: &str| {
            v.get(field)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("missing string {field}")))
        };
        let id = string("id")?;
        let profile = string("profile")?;
        if !profiles.contains(&profile) {
            return Err(bad(format!("unknown profile {profile:?}")));
        }
        if let Some(channel) = v.get("channel").and_then(Value::as_str)
            && channel != "live_chat"
        {
            return Err(bad(format!("channel {channel:?} is not live_chat")));
        }
        let turns: Vec<String> = v
            .get("turns")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned))
            .ok_or_else(|| bad("missing turns".into()))?
            .collect();
        if turns.is_empty() || turns.iter().any(|t| t.trim().is_empty()) {
            return Err(bad("turns must be non-empty strings".into()));
        }
        let e = v
            .get("expect")
            .ok_or_else(|| bad("missing expect".into()))?;
        let escalate_at = match e.get("escalate_at") {
            None | Some(Value::Null) => None,
            Some(n) => match n.as_u64() {
                Some(n) if n >= 1 && (n as usize) <= turns.len() => Some(n as usize),
                _ => return Err(bad(format!("escalate_at {n} is not a turn"))),
            },
        };
        let escalation_reason = match e.get("escalation_reason") {
            None | Some(Value::Null) => None,
            Some(Value::String(r)) if REASONS.contains(&r.as_str()) => Some(r.clone()),
            Some(r) => return Err(bad(format!("unknown escalation_reason {r}"))),
        };
        if escalate_at.is_some() != escalation_reason.is_some() {
            return Err(bad(
                "escalate_at and escalation_reason must both be set or both null".into(),
            ));
        }
        let reply_language: Vec<String> = e
            .get("reply_language")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned))
            .ok_or_else(|| bad("missing reply_language".into()))?
            .collect();
        if reply_language.len() != turns.len()
            || reply_language.iter().any(|l| l != "en" && l != "ar")
        {
            return Err(bad(
                "reply_language must give en or ar for every turn".into()
            ));
        }
        let final_score = e
            .get("final_score")
            .and_then(Value::as_str)
            .filter(|s| ["HOT", "WARM", "COLD", "UNSCORED"].contains(s))
            .ok_or_else(|| bad("final_score must be HOT, WARM, COLD or UNSCORED".into()))?
            .to_owned();
        out.push(Dialogue {
            id,
            profile,
            turns,
            expect: Expect {
                escalate_at,
                escalation_reason,
                reply_language,
                final_score,
            },
        });
    }
    if out.is_empty() {
        return Err(InputError::Empty);
    }
    Ok(out)
}

/// What one turn produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TurnOutcome {
    /// Case id.
    pub id: String,
    /// 1-based turn.
    pub turn: usize,
    /// The lead's message.
    pub text: String,
    /// The AI reply stored for this turn, if any.
    pub reply: Option<String>,
    /// The reply's language code.
    pub reply_language: Option<String>,
    /// The conversation's escalated flag after the turn.
    pub escalated: bool,
    /// Kinds of the escalation records this turn created.
    pub escalation_kinds: Vec<String>,
    /// Why the turn's processing job failed, when it did.
    pub error: Option<String>,
}

/// What a whole dialogue produced.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Played {
    /// Case id.
    pub id: String,
    /// The turns.
    pub turns: Vec<TurnOutcome>,
    /// The first turn after which the conversation was escalated.
    pub escalated_at: Option<usize>,
    /// The escalation kinds of that turn.
    pub escalation_kinds: Vec<String>,
    /// The lead's score after the last turn.
    pub final_score: String,
}

impl Played {
    /// Builds the dialogue view from its turns: the first escalation and its kinds.
    pub fn from_turns(id: String, turns: Vec<TurnOutcome>, final_score: String) -> Self {
        let first = turns.iter().find(|t| t.escalated);
        let escalated_at = first.map(|t| t.turn);
        let escalation_kinds = first
            .map(|t| t.escalation_kinds.clone())
            .unwrap_or_default();
        Self {
            id,
            turns,
            escalated_at,
            escalation_kinds,
            final_score,
        }
    }
}

/// How the escalation timing compares with the label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Timing {
    /// Escalated at the expected turn, or never when none was expected.
    Right,
    /// Escalated with no trigger expected, or earlier than expected.
    False,
    /// Expected but never escalated, or later.
    Missed,
}

/// Pass or fail per criterion for one dialogue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Case id.
    pub id: String,
    /// Escalation timing.
    pub timing: Timing,
    /// Whether the first escalation's kinds include the expected reason; `None` when not judged
    /// (no reason expected, or never escalated).
    pub reason_ok: Option<bool>,
    /// Turns whose reply language was judged (turns after an escalation are not).
    pub language_scored: usize,
    /// Of those, turns answered in the expected language.
    pub language_right: usize,
    /// Whether the final score matches.
    pub score_ok: bool,
    /// Whether every turn before the first escalation (every turn, when none) got a reply.
    pub answered: bool,
    /// One line naming each failed criterion; empty when the dialogue passed.
    pub failures: Vec<String>,
}

impl Verdict {
    /// Whether every criterion passed.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Judges a played dialogue against its labels.
pub fn judge(dialogue: &Dialogue, played: &Played) -> Verdict {
    let expect = &dialogue.expect;
    let mut failures = Vec::new();
    let got = played.escalated_at;
    let kinds = || {
        if played.escalation_kinds.is_empty() {
            String::new()
        } else {
            format!(" ({})", played.escalation_kinds.join(","))
        }
    };
    let timing = match (expect.escalate_at, got) {
        (None, None) => Timing::Right,
        (None, Some(a)) => {
            failures.push(format!("false escalation at turn {a}{}", kinds()));
            Timing::False
        }
        (Some(e), Some(a)) if a < e => {
            failures.push(format!(
                "false escalation at turn {a}{}, expected at {e}",
                kinds()
            ));
            Timing::False
        }
        (Some(e), None) => {
            failures.push(format!("missed escalation expected at turn {e}"));
            Timing::Missed
        }
        (Some(e), Some(a)) if a > e => {
            failures.push(format!(
                "missed escalation: at turn {a}{}, expected at {e}",
                kinds()
            ));
            Timing::Missed
        }
        (Some(_), Some(_)) => Timing::Right,
    };
    let reason_ok = match (&expect.escalation_reason, got) {
        (Some(reason), Some(_)) => {
            let kind = escalation_kind(reason);
            let ok = played.escalation_kinds.iter().any(|k| k == kind);
            if !ok {
                failures.push(format!(
                    "escalation reason {}, expected {kind}",
                    played.escalation_kinds.join(",")
                ));
            }
            Some(ok)
        }
        _ => None,
    };
    let mut language_scored = 0;
    let mut language_right = 0;
    let mut wrong_turns = Vec::new();
    let mut unanswered = Vec::new();
    for (i, turn) in played.turns.iter().enumerate() {
        let escalated_before = got.is_some_and(|a| a < turn.turn);
        if escalated_before {
            continue;
        }
        language_scored += 1;
        let expected = expect.reply_language.get(i).map(String::as_str);
        if turn.reply.is_some() && turn.reply_language.as_deref() == expected {
            language_right += 1;
        } else {
            wrong_turns.push(turn.turn);
        }
        if turn.reply.is_none() && got.is_none_or(|a| turn.turn < a) {
            unanswered.push(turn.turn);
        }
    }
    if !wrong_turns.is_empty() {
        failures.push(format!("reply language wrong at turns {wrong_turns:?}"));
    }
    let score_ok = played.final_score == expect.final_score;
    if !score_ok {
        failures.push(format!(
            "final score {}, expected {}",
            played.final_score, expect.final_score
        ));
    }
    let answered = unanswered.is_empty();
    if !answered {
        failures.push(format!("no reply at turns {unanswered:?}"));
    }
    Verdict {
        id: dialogue.id.clone(),
        timing,
        reason_ok,
        language_scored,
        language_right,
        score_ok,
        answered,
        failures,
    }
}

/// The measurement over every dialogue.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Dialogues played.
    pub dialogues: usize,
    /// Dialogues that passed every criterion.
    pub passed: usize,
    /// Dialogues labelled with an escalation.
    pub expected_escalations: usize,
    /// Escalated with no trigger expected, or earlier than expected.
    pub false_escalations: usize,
    /// Expected but never escalated, or later.
    pub missed_escalations: usize,
    /// Dialogues whose escalation reason was judged.
    pub reasons_judged: usize,
    /// Of those, the first escalation's kinds lacked the expected reason.
    pub wrong_reasons: usize,
    /// Turns whose reply language was judged.
    pub language_turns: usize,
    /// Of those, answered in the expected language.
    pub language_right: usize,
    /// Dialogues whose final score matches.
    pub score_right: usize,
    /// Dialogues where every turn before the first escalation got a reply.
    pub answered: usize,
    /// Failing dialogues: id and one line saying why.
    pub failing: Vec<(String, String)>,
}

impl Summary {
    /// Adds up the verdicts.
    pub fn of(verdicts: &[Verdict], dialogues: &[Dialogue]) -> Self {
        let mut s = Self {
            dialogues: verdicts.len(),
            expected_escalations: dialogues
                .iter()
                .filter(|d| d.expect.escalate_at.is_some())
                .count(),
            ..Self::default()
        };
        for v in verdicts {
            match v.timing {
                Timing::Right => {}
                Timing::False => s.false_escalations += 1,
                Timing::Missed => s.missed_escalations += 1,
            }
            if let Some(ok) = v.reason_ok {
                s.reasons_judged += 1;
                if !ok {
                    s.wrong_reasons += 1;
                }
            }
            s.language_turns += v.language_scored;
            s.language_right += v.language_right;
            s.score_right += usize::from(v.score_ok);
            s.answered += usize::from(v.answered);
            if v.passed() {
                s.passed += 1;
            } else {
                s.failing.push((v.id.clone(), v.failures.join("; ")));
            }
        }
        s
    }
}

fn ratio(n: usize, d: usize) -> String {
    if d == 0 {
        format!("{n}/{d}")
    } else {
        format!("{n}/{d} ({:.1}%)", 100.0 * n as f64 / d as f64)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "dialogues: {} ({} expected to escalate), passed every check: {}",
            self.dialogues,
            self.expected_escalations,
            ratio(self.passed, self.dialogues)
        )?;
        writeln!(f, "false escalations: {}", self.false_escalations)?;
        writeln!(f, "missed escalations: {}", self.missed_escalations)?;
        writeln!(
            f,
            "wrong escalation reason: {} of {} judged",
            self.wrong_reasons, self.reasons_judged
        )?;
        writeln!(
            f,
            "reply-language accuracy: {} turns",
            ratio(self.language_right, self.language_turns)
        )?;
        writeln!(
            f,
            "final-score accuracy: {}",
            ratio(self.score_right, self.dialogues)
        )?;
        writeln!(
            f,
            "turns before an escalation answered: {} dialogues",
            ratio(self.answered, self.dialogues)
        )?;
        if !self.failing.is_empty() {
            writeln!(f, "failing dialogues:")?;
            for (id, why) in &self.failing {
                writeln!(f, "  {id}: {why}")?;
            }
        }
        Ok(())
    }
}

/// Everything an evaluation produced.
#[derive(Debug, Clone)]
pub struct Report {
    /// The dialogues as read.
    pub dialogues: Vec<Dialogue>,
    /// What each produced.
    pub played: Vec<Played>,
    /// Each one judged.
    pub verdicts: Vec<Verdict>,
    /// The totals.
    pub summary: Summary,
}

impl Report {
    /// The output lines (see the module documentation).
    pub fn lines(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for ((d, p), v) in self.dialogues.iter().zip(&self.played).zip(&self.verdicts) {
            for t in &p.turns {
                out.push(json!({
                    "record": "turn",
                    "id": t.id,
                    "turn": t.turn,
                    "text": t.text,
                    "reply": t.reply,
                    "reply_language": t.reply_language,
                    "escalated": t.escalated,
                    "escalation_kinds": t.escalation_kinds,
                    "error": t.error,
                }));
            }
            out.push(json!({
                "record": "dialogue",
                "id": d.id,
                "profile": d.profile,
                "turns": d.turns.len(),
                "escalated_at": p.escalated_at,
                "escalation_kinds": p.escalation_kinds,
                "final_score": p.final_score,
                "expect": d.expect,
                "checks": {
                    "escalation": v.timing,
                    "reason": v.reason_ok,
                    "reply_language": v.language_right == v.language_scored,
                    "final_score": v.score_ok,
                    "answered": v.answered,
                },
                "passed": v.passed(),
                "failure": (!v.passed()).then(|| v.failures.join("; ")),
            }));
        }
        out
    }
}

/// A clock that only moves when told: each dialogue starts at the reference date.
#[derive(Debug)]
pub(crate) struct StepClock(pub(crate) Mutex<DateTime<Utc>>);

impl StepClock {
    fn advance(&self, by: Duration) {
        if let Ok(mut now) = self.0.lock() {
            *now += by;
        }
    }
}

impl Clock for StepClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(now) => *now,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// Live-chat replies are stored, never sent; anything else reaching this sender is refused.
#[derive(Debug)]
struct NoSender;

#[async_trait]
impl MessageSender for NoSender {
    async fn send(
        &self,
        _tenant: &Tenant,
        _message: &OutboundMessage,
    ) -> Result<SendReceipt, SendError> {
        Err(SendError::NotConfigured(
            "the conversation evaluation sends nothing".into(),
        ))
    }
}

/// Team notifications go nowhere: the evaluation reads escalations from the store, and a log line
/// per hot lead would bury the summary.
#[derive(Debug)]
struct QuietNotifier;

#[async_trait]
impl Notifier for QuietNotifier {
    async fn notify(
        &self,
        _tenant: &Tenant,
        _notification: &Notification,
    ) -> Result<(), NotifyError> {
        Ok(())
    }
}

/// 10:00 on the reference date in the evaluation timezone.
fn start_time(date: NaiveDate) -> anyhow::Result<DateTime<Utc>> {
    let tz: chrono_tz::Tz = TIMEZONE
        .parse()
        .map_err(|e| anyhow::anyhow!("timezone {TIMEZONE}: {e}"))?;
    let local = date.and_time(NaiveTime::from_hms_opt(10, 0, 0).unwrap_or(NaiveTime::MIN));
    tz.from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| anyhow::anyhow!("10:00 on {date} does not exist in {TIMEZONE}"))
}

/// A fresh store and adapters for one dialogue.
pub(crate) async fn fresh_deps(clock: Arc<StepClock>) -> anyhow::Result<Deps> {
    let options = StoreOptions {
        intake_lanes: 0,
        ..StoreOptions::default()
    };
    let store = SeaOrmStore::connect_with("sqlite::memory:", options)
        .await
        .map_err(|e| anyhow::anyhow!("opening an in-memory database: {e}"))?;
    store
        .migrate()
        .await
        .map_err(|e| anyhow::anyhow!("migrating the in-memory database: {e}"))?;
    let storage = Storage::from_adapter(Arc::new(store));
    Ok(Deps {
        tenants: storage.tenants,
        leads: storage.leads,
        escalations: storage.escalations,
        usage: storage.usage,
        opt_outs: storage.opt_outs,
        jobs: storage.jobs,
        model: None,
        extractor: crate::qualifier::offline_extractor(),
        sender: Arc::new(NoSender),
        notifier: Arc::new(QuietNotifier),
        clock,
        ids: Arc::new(UuidV7Ids),
        retry: RetryPolicy::default(),
        budgets: lead_domain::jobs::RetryBudgets::default(),
        decisions: storage.decisions,
        knowledge: Some(lead_domain::knowledge::KnowledgeBase {
            store: storage.knowledge,
            analyzer: Arc::new(lead_nlu::SearchAnalyzer),
        }),
        booking: None,
        experiments: None,
        events: None,
        retention: storage.retention,
        crm: None,
    })
}

/// Runs every due job to the end, as a worker would; returns the first failure, if any.
async fn drain_jobs(deps: &Deps) -> anyhow::Result<Option<String>> {
    let mut failure = None;
    loop {
        let now = deps.clock.now();
        let jobs = deps
            .jobs
            .claim_due("eval", now, 16, std::time::Duration::from_secs(60))
            .await?;
        if jobs.is_empty() {
            return Ok(failure);
        }
        for job in &jobs {
            match run_job(deps, job).await {
                Ok(run) if run.completed => {}
                Ok(run) => deps.jobs.complete(job.lease(), now, run.note).await?,
                Err(err) => {
                    let text = err.to_string();
                    deps.jobs
                        .fail(job.lease(), &text, RetryDecision::GiveUp, now)
                        .await?;
                    failure.get_or_insert(text);
                }
            }
        }
    }
}

/// Plays one dialogue through the use cases on a store of its own.
///
/// # Errors
/// When the store cannot be opened, the client cannot be created, or storage fails.
pub async fn play(profiles: &Profiles, dialogue: &Dialogue) -> anyhow::Result<Played> {
    let clock = Arc::new(StepClock(Mutex::new(start_time(
        profiles.reference_date(),
    )?)));
    let deps = fresh_deps(clock.clone()).await?;
    let body = profiles.client_request(&dialogue.profile, "eval-client")?;
    let request: CreateClientRequest = serde_json::from_value(body)
        .map_err(|e| anyhow::anyhow!("profile {}: {e}", dialogue.profile))?;
    let (tenant, _) = create_client(&deps, request)
        .await
        .map_err(|e| anyhow::anyhow!("creating the client of {}: {e}", dialogue.profile))?;
    let session: String = dialogue
        .id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .take(100)
        .collect();
    let mut turns = Vec::new();
    let mut seen_messages = 0usize;
    let mut seen_escalations = 0usize;
    let mut ids: Option<(LeadId, ConversationId)> = None;
    for (i, text) in dialogue.turns.iter().enumerate() {
        if i > 0 {
            clock.advance(Duration::minutes(1));
        }
        let receipt = accept_inbound(
            &deps,
            &tenant,
            InboundRequest {
                channel: Some(Channel::LiveChat),
                contact: ContactInfo {
                    chat_session: Some(format!("eval-{session}")),
                    ..ContactInfo::default()
                },
                body: Some(text.clone()),
                source_detail: Some("live chat".to_owned()),
                ..InboundRequest::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("{} turn {}: {e}", dialogue.id, i + 1))?;
        ids = Some((receipt.lead_id, receipt.conversation_id));
        let error = drain_jobs(&deps).await?;
        let all = all_messages(&deps, tenant.id, receipt.conversation_id).await?;
        let reply = all
            .iter()
            .skip(seen_messages)
            .rfind(|m| m.direction == Direction::Outbound && m.sender == Sender::Ai);
        seen_messages = all.len();
        let conversation = deps
            .leads
            .get_conversation(tenant.id, receipt.conversation_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("{}: the conversation vanished", dialogue.id))?;
        let escalations = deps
            .escalations
            .conversation_escalations(tenant.id, receipt.conversation_id)
            .await?;
        let kinds = escalations
            .iter()
            .skip(seen_escalations)
            .map(|e| e.reason.kind().to_owned())
            .collect();
        seen_escalations = escalations.len();
        turns.push(TurnOutcome {
            id: dialogue.id.clone(),
            turn: i + 1,
            text: text.clone(),
            reply: reply.map(|m| m.body.clone()),
            reply_language: reply.and_then(|m| m.language).map(|l| l.code().to_owned()),
            escalated: conversation.escalated,
            escalation_kinds: kinds,
            error,
        });
    }
    let final_score = match ids {
        Some((lead, _)) => deps
            .leads
            .get_lead(tenant.id, lead)
            .await?
            .map(|l| l.score.score.as_str().to_owned())
            .ok_or_else(|| anyhow::anyhow!("{}: the lead vanished", dialogue.id))?,
        None => "UNSCORED".to_owned(),
    };
    Ok(Played::from_turns(dialogue.id.clone(), turns, final_score))
}

/// The library entry point: parses both files' text, plays and judges every dialogue.
///
/// # Errors
/// [`InputError`] (wrapped) for bad input; storage failures while playing.
pub async fn evaluate(cases: &str, profiles: &str) -> anyhow::Result<Report> {
    let profiles = Profiles::parse(profiles)?;
    let dialogues = parse_dialogues(cases, &profiles)?;
    let mut played = Vec::with_capacity(dialogues.len());
    let mut verdicts = Vec::with_capacity(dialogues.len());
    for d in &dialogues {
        let p = play(&profiles, d).await?;
        verdicts.push(judge(d, &p));
        played.push(p);
    }
    let summary = Summary::of(&verdicts, &dialogues);
    Ok(Report {
        dialogues,
        played,
        verdicts,
        summary,
    })
}

/// Runs the evaluation of the files, writing the JSON lines to `out` (or stdout) and the summary to
/// stderr. Accuracy never fails the command: it is a measurement.
///
/// # Errors
/// When a file cannot be read or written or is invalid, or the store fails.
pub async fn run(cases: &Path, profiles: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))
    };
    let report = evaluate(&read(cases)?, &read(profiles)?).await?;
    let mut text = String::new();
    for line in report.lines() {
        text.push_str(&line.to_string());
        text.push('\n');
    }
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing the results: {e}"))?,
    }
    eprint!("{}", report.summary);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dialogue(escalate_at: Option<usize>, reason: Option<&str>, langs: &[&str]) -> Dialogue {
        Dialogue {
            id: "d".into(),
            profile: "p".into(),
            turns: langs.iter().map(|_| "text".to_owned()).collect(),
            expect: Expect {
                escalate_at,
                escalation_reason: reason.map(str::to_owned),
                reply_language: langs.iter().map(|l| (*l).to_owned()).collect(),
                final_score: "WARM".into(),
            },
        }
    }

    /// Turns as (reply language or no reply, escalated flag, kinds created).
    fn played(turns: &[(Option<&str>, bool, &[&str])], score: &str) -> Played {
        let turns = turns
            .iter()
            .enumerate()
            .map(|(i, (lang, escalated, kinds))| TurnOutcome {
                id: "d".into(),
                turn: i + 1,
                text: "text".into(),
                reply: lang.map(|_| "reply".to_owned()),
                reply_language: lang.map(str::to_owned),
                escalated: *escalated,
                escalation_kinds: kinds.iter().map(|k| (*k).to_owned()).collect(),
                error: None,
            })
            .collect();
        Played::from_turns("d".into(), turns, score.into())
    }

    #[test]
    fn a_dialogue_escalated_at_the_labelled_turn_for_the_labelled_reason_passes() {
        let d = dialogue(Some(2), Some("human_request"), &["en", "ar", "ar"]);
        let p = played(
            &[
                (Some("en"), false, &[]),
                (Some("ar"), true, &["human_requested", "keyword"]),
                (None, true, &[]),
            ],
            "WARM",
        );
        assert_eq!(p.escalated_at, Some(2));
        let v = judge(&d, &p);
        assert_eq!(v.timing, Timing::Right);
        assert_eq!(v.reason_ok, Some(true));
        // The third turn follows the escalation: not judged for language, silence is fine.
        assert_eq!((v.language_right, v.language_scored), (2, 2));
        assert!(v.answered && v.score_ok && v.passed(), "{:?}", v.failures);
    }

    #[test]
    fn early_escalations_are_false_and_late_or_absent_ones_missed() {
        let d = dialogue(Some(2), Some("keyword"), &["en", "en"]);
        let early = judge(
            &d,
            &played(
                &[(Some("en"), true, &["low_confidence"]), (None, true, &[])],
                "WARM",
            ),
        );
        assert_eq!(early.timing, Timing::False);
        assert_eq!(early.reason_ok, Some(false));
        let never = judge(
            &d,
            &played(
                &[(Some("en"), false, &[]), (Some("en"), false, &[])],
                "WARM",
            ),
        );
        assert_eq!(never.timing, Timing::Missed);
        assert_eq!(never.reason_ok, None);
        let calm = dialogue(None, None, &["en"]);
        let v = judge(&calm, &played(&[(Some("en"), true, &["keyword"])], "WARM"));
        assert_eq!(v.timing, Timing::False);
        assert_eq!(v.reason_ok, None);
        assert_eq!(
            escalation_kind("max_exchanges"),
            "too_many_exchanges",
            "eval names map to API kinds"
        );
    }

    #[test]
    fn missing_replies_and_wrong_languages_count_against_the_turn() {
        let d = dialogue(None, None, &["ar", "ar", "en"]);
        let v = judge(
            &d,
            &played(
                &[
                    (Some("ar"), false, &[]),
                    (None, false, &[]),
                    (Some("ar"), false, &[]),
                ],
                "HOT",
            ),
        );
        assert_eq!((v.language_right, v.language_scored), (1, 3));
        assert!(!v.answered);
        assert!(!v.score_ok);
        assert_eq!(v.failures.len(), 3, "{:?}", v.failures);
    }

    #[test]
    fn the_summary_adds_up_the_verdicts() {
        let good = dialogue(None, None, &["en"]);
        let bad = Dialogue {
            id: "b".into(),
            ..dialogue(Some(1), Some("high_value"), &["en"])
        };
        let verdicts = vec![
            judge(&good, &played(&[(Some("en"), false, &[])], "WARM")),
            Verdict {
                id: "b".into(),
                ..judge(&bad, &played(&[(Some("ar"), true, &["keyword"])], "COLD"))
            },
        ];
        let s = Summary::of(&verdicts, &[good, bad]);
        assert_eq!(s.dialogues, 2);
        assert_eq!(s.passed, 1);
        assert_eq!(s.expected_escalations, 1);
        assert_eq!((s.false_escalations, s.missed_escalations), (0, 0));
        assert_eq!((s.wrong_reasons, s.reasons_judged), (1, 1));
        assert_eq!((s.language_right, s.language_turns), (1, 2));
        assert_eq!(s.score_right, 1);
        assert_eq!(s.answered, 2);
        assert_eq!(s.failing.len(), 1);
        assert_eq!(s.failing[0].0, "b");
        let text = s.to_string();
        assert!(
            text.contains("reply-language accuracy: 1/2 (50.0%)"),
            "{text}"
        );
        assert!(text.contains("  b: "), "{text}");
    }

    #[test]
    fn bad_input_is_refused_with_the_line() {
        let profiles = Profiles::parse(
            r#"{"reference_date": "2026-11-24", "profiles": {"p": {"industry": "solar",
                "currency": "USD", "min_budget": 1, "high_value_threshold": 100,
                "services": {"panels": "solar panels"}}}}"#,
        )
        .expect("profiles");
        let ok = r#"{"id": "a", "profile": "p", "turns": ["hi"], "expect": {"escalate_at": null, "escalation_reason": null, "reply_language": ["en"], "final_score": "UNSCORED"}}"#;
        assert_eq!(
            parse_dialogues(&format!("{ok}\n\n"), &profiles)
                .expect("parses")
                .len(),
            1
        );
        let cases = [
            ok.replace("\"p\"", "\"nope\""),
            ok.replace("[\"en\"]", "[\"en\", \"en\"]"),
            ok.replace("\"escalate_at\": null", "\"escalate_at\": 2"),
            ok.replace("UNSCORED", "TEPID"),
            "not json".to_owned(),
        ];
        for bad in cases {
            let text = format!("{ok}\n{bad}");
            match parse_dialogues(&text, &profiles) {
                Err(InputError::Case { line: 2, .. }) => {}
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_dialogues("\n", &profiles),
            Err(InputError::Empty)
        ));
        assert!(Profiles::parse("{}").is_err());
        assert!(
            Profiles::parse(r#"{"reference_date": "2026-11-24", "profiles": {"p": {}}}"#).is_err()
        );
    }
}
