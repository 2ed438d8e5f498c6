//! The evaluation harness: reads labelled cases (JSONL) and tenant profiles (clients.json), writes
//! prediction lines in the format `score.py` reads, and reports per-field accuracy. Pure: text in, text out.

use crate::{Role, RuleExtractor, TenantProfile};
use chrono::NaiveDate;
use lead_domain::qualification::Currency;
use lead_domain::scoring::{QualificationRules, score};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The twelve predicted fields, in the order `score.py` reports them.
pub const FIELDS: [&str; 12] = [
    "language",
    "service",
    "budget_min",
    "budget_max",
    "currency",
    "urgency",
    "timeline",
    "decision_maker",
    "location",
    "wants_human",
    "not_interested",
    "score",
];

/// Why the profiles file could not be used.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EvalError {
    /// The profiles file is not valid JSON.
    #[error("invalid profiles json: {0}")]
    ProfilesJson(String),
    /// A required part of the profiles file is missing or has the wrong type.
    #[error("invalid profiles file: {0}")]
    Profiles(String),
}

/// One tenant of the profiles file, ready to run.
struct Tenant {
    extractor: RuleExtractor,
    rules: QualificationRules,
}

/// The profiles file: reference date and tenants.
pub struct Profiles {
    today: NaiveDate,
    tenants: BTreeMap<String, Tenant>,
}

fn num(v: &Value, field: &str, profile: &str) -> Result<f64, EvalError> {
    v.get(field)
        .and_then(Value::as_f64)
        .ok_or_else(|| EvalError::Profiles(format!("profile {profile}: missing number {field}")))
}

impl Profiles {
    /// Parses `clients.json`: `reference_date`, `fx_usd` and `profiles`.
    ///
    /// # Errors
    /// [`EvalError`] when the text is not JSON or lacks the reference date or a profile's fields.
    pub fn parse(text: &str) -> Result<Self, EvalError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| EvalError::ProfilesJson(e.to_string()))?;
        let today = root
            .get("reference_date")
            .and_then(Value::as_str)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .ok_or_else(|| EvalError::Profiles("missing or invalid reference_date".into()))?;
        let mut fx = lead_domain::scoring::default_fx_usd();
        if let Some(map) = root.get("fx_usd").and_then(Value::as_object) {
            for (code, rate) in map {
                if let (Ok(c), Some(r)) = (Currency::parse(code), rate.as_f64()) {
                    fx.insert(c, r);
                }
            }
        }
        let profiles = root
            .get("profiles")
            .and_then(Value::as_object)
            .ok_or_else(|| EvalError::Profiles("missing profiles".into()))?;
        let mut tenants = BTreeMap::new();
        for (name, p) in profiles {
            let currency = p
                .get("currency")
                .and_then(Value::as_str)
                .and_then(|c| Currency::parse(c).ok())
                .ok_or_else(|| EvalError::Profiles(format!("profile {name}: missing currency")))?;
            let industry = p
                .get("industry")
                .and_then(Value::as_str)
                .unwrap_or(name)
                .to_owned();
            let services: Vec<(String, String)> = p
                .get("services")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            let mut rules = QualificationRules::new(
                currency,
                num(p, "min_budget", name)?,
                num(p, "high_value_threshold", name)?,
            );
            rules.fx_usd = fx.clone();
            if let Some(m) = p.get("service_min_budget").and_then(Value::as_object) {
                for (k, v) in m {
                    if let Some(x) = v.as_f64() {
                        rules.service_min_budget.insert(k.clone(), x);
                    }
                }
            }
            let mut profile = TenantProfile::new(industry, currency, services);
            profile.service_synonyms = pairs(p.get("service_synonyms"));
            profile.places = pairs(p.get("places"));
            tenants.insert(
                name.clone(),
                Tenant {
                    extractor: RuleExtractor::new(profile),
                    rules,
                },
            );
        }
        Ok(Self { today, tenants })
    }

    /// The reference date ("today") of the file.
    pub fn today(&self) -> NaiveDate {
        self.today
    }
}

/// Reads `{"key": ["phrase", ...]}` or `{"key": "phrase"}` into (key, phrase) pairs.
fn pairs(v: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(map) = v.and_then(Value::as_object) {
        for (k, val) in map {
            match val {
                Value::String(s) => out.push((k.clone(), s.clone())),
                Value::Array(items) => out.extend(
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|s| (k.clone(), s.to_owned())),
                ),
                _ => {}
            }
        }
    }
    out
}

/// A line that could not be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    /// 1-based line number in the cases file.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// The result of an evaluation run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One JSON line per evaluated case: `{"id":..., "predicted": {...}}`.
    pub predictions: Vec<String>,
    /// Lines skipped, with their line numbers.
    pub skipped: Vec<Skipped>,
    /// Cases that carried `expected`.
    pub labelled: usize,
    /// Correct predictions per field over the labelled cases.
    pub hits: BTreeMap<&'static str, usize>,
}

impl Report {
    /// Per-field accuracy and the overall accuracy, when cases carried `expected`.
    pub fn accuracy(&self) -> Option<(Vec<(&'static str, f64)>, f64)> {
        if self.labelled == 0 {
            return None;
        }
        let n = self.labelled as f64;
        let per: Vec<(&'static str, f64)> = FIELDS
            .iter()
            .map(|f| (*f, self.hits.get(f).copied().unwrap_or(0) as f64 / n))
            .collect();
        let overall = per.iter().map(|(_, a)| a).sum::<f64>() / FIELDS.len() as f64;
        Some((per, overall))
    }

    /// A printable accuracy table (empty when no case carried `expected`).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        if let Some((per, overall)) = self.accuracy() {
            for (f, a) in per {
                s.push_str(&format!("{f:16} {a:.3}\n"));
            }
            s.push_str(&format!(
                "overall field accuracy {overall:.3} ({} cases)\n",
                self.labelled
            ));
        }
        for k in &self.skipped {
            s.push_str(&format!("skipped line {}: {}\n", k.line, k.reason));
        }
        s
    }
}

/// Predicts one case: the twelve fields as JSON.
pub fn predict(profiles: &Profiles, profile: &str, turns: &[(Role, &str)]) -> Option<Value> {
    let tenant = profiles.tenants.get(profile)?;
    let ex = tenant.extractor.extract(turns, profiles.today);
    let q = &ex.qualification;
    let card = score(q, &tenant.rules);
    let budget = q.budget.as_ref().map(|b| b.value);
    Some(json!({
        "language": q.language.unwrap_or_default().code(),
        "service": q.service.as_ref().map(|f| f.value.clone()),
        "budget_min": budget.and_then(|b| b.min),
        "budget_max": budget.and_then(|b| b.max),
        "currency": budget.map(|b| b.currency.to_string()),
        "urgency": q.urgency.as_ref().map(|f| f.value.as_str()),
        "timeline": q.timeline.as_ref().map(|f| f.value.as_str()),
        "decision_maker": q.decision_maker.as_ref().map(|f| f.value),
        "location": q.location.as_ref().map(|f| f.value.clone()),
        "wants_human": q.wants_human(),
        "not_interested": q.not_interested(),
        "score": card.score.as_str(),
    }))
}

fn same(field: &str, want: &Value, got: &Value) -> bool {
    if field == "budget_min" || field == "budget_max" {
        return match (want.as_f64(), got.as_f64()) {
            (Some(w), Some(g)) => (g - w).abs() <= 0.01 * w.abs(),
            _ => want.is_null() && got.is_null(),
        };
    }
    match (want.as_str(), got.as_str()) {
        (Some(w), Some(g)) => w.trim().eq_ignore_ascii_case(g.trim()),
        _ => want == got,
    }
}

fn parse_turns(case: &Map<String, Value>) -> Result<Vec<(Role, &str)>, String> {
    let turns = case
        .get("turns")
        .and_then(Value::as_array)
        .ok_or("missing turns")?;
    turns
        .iter()
        .map(|t| {
            let role = match t.get("role").and_then(Value::as_str) {
                Some("lead" | "user" | "customer") => Role::Lead,
                Some(_) => Role::Agent,
                None => return Err("turn without role".to_owned()),
            };
            let text = t
                .get("text")
                .and_then(Value::as_str)
                .ok_or("turn without text")?;
            Ok((role, text))
        })
        .collect()
}

/// Runs every case of a JSONL text. Reads only `id`, `profile`, `channel` and `turns` (and `expected`
/// to score); a malformed line is reported with its line number and skipped.
pub fn run(cases: &str, profiles: &Profiles) -> Report {
    let mut report = Report::default();
    for (n, line) in cases.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let skip = |reason: String| Skipped {
            line: line_no,
            reason,
        };
        let case: Map<String, Value> = match serde_json::from_str(line) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                report.skipped.push(skip("not a json object".into()));
                continue;
            }
            Err(e) => {
                report.skipped.push(skip(format!("invalid json: {e}")));
                continue;
            }
        };
        let Some(id) = case.get("id").cloned() else {
            report.skipped.push(skip("missing id".into()));
            continue;
        };
        let Some(profile) = case.get("profile").and_then(Value::as_str) else {
            report.skipped.push(skip("missing profile".into()));
            continue;
        };
        let turns = match parse_turns(&case) {
            Ok(t) => t,
            Err(e) => {
                report.skipped.push(skip(e));
                continue;
            }
        };
        let Some(predicted) = predict(profiles, profile, &turns) else {
            report
                .skipped
                .push(skip(format!("unknown profile {profile}")));
            continue;
        };
        if let Some(expected) = case.get("expected").and_then(Value::as_object) {
            report.labelled += 1;
            for f in FIELDS {
                let want = expected.get(f).unwrap_or(&Value::Null);
                let got = predicted.get(f).unwrap_or(&Value::Null);
                if same(f, want, got) {
                    *report.hits.entry(f).or_default() += 1;
                }
            }
        }
        report
            .predictions
            .push(json!({"id": id, "predicted": predicted}).to_string());
    }
    report
}

#[cfg(test)]
mod tests;
