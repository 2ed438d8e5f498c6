//! `lead-server eval-knowledge --dir DIR`: loads `DIR/documents/*.md` into one client of a fresh
//! in-memory SQLite store (every client holds every document, so retrieval must pick the right
//! one among all of them), asks each question of `DIR/questions.jsonl` through the search and the
//! offline answer the conversation uses, and prints recall@1, recall@3, answer containment and
//! how often unanswerable questions get the honest fallback.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use lead_domain::knowledge::DocumentFormat;
use lead_domain::usecases::knowledge::{self as kb_usecases, DocumentInput};
use serde::Deserialize;

use crate::eval_conversations::{StepClock, fresh_deps};
use crate::routes::knowledge::LIMITS;

/// One question of the evaluation set.
#[derive(Debug, Deserialize)]
struct Question {
    id: String,
    #[serde(default)]
    profile: Option<String>,
    question: String,
    expect_document: Option<String>,
    #[serde(default)]
    expect_contains: Vec<String>,
}

/// The figures of one run.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Answerable questions.
    pub answerable: usize,
    /// Share whose expected document is the first passage's.
    pub recall_at_1: f64,
    /// Share whose expected document is among the first three passages'.
    pub recall_at_3: f64,
    /// Share whose answer contains every expected string.
    pub containment: f64,
    /// Unanswerable questions.
    pub unanswerable: usize,
    /// Share of unanswerable questions given no quote.
    pub honesty: f64,
}

/// Text compared the way the evaluation set says: digits of every script as ASCII, `٫` as `.`,
/// `٪` as `%`, thousands separators between digits removed, lower case, spaces collapsed.
pub fn normalise(text: &str) -> String {
    let chars: Vec<char> = text
        .chars()
        .map(|c| match c {
            '\u{0660}'..='\u{0669}' => char::from(b'0' + (c as u32 - 0x0660) as u8),
            '\u{06F0}'..='\u{06F9}' => char::from(b'0' + (c as u32 - 0x06F0) as u8),
            '٫' => '.',
            '٪' => '%',
            other => other,
        })
        .collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if matches!(c, ',' | '٬') && between_digits {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `answer` contains `expected` after [`normalise`], a number not inside a longer one.
pub fn contains(answer: &str, expected: &str) -> bool {
    let (a, e) = (normalise(answer), normalise(expected));
    if e.is_empty() {
        return true;
    }
    let digit_start = e.starts_with(|c: char| c.is_ascii_digit());
    let digit_end = e.ends_with(|c: char| c.is_ascii_digit());
    a.match_indices(&e).any(|(i, _)| {
        let before = a[..i].chars().next_back();
        let after = a[i + e.len()..].chars().next();
        let glued_before = digit_start && before.is_some_and(|c| c.is_ascii_digit());
        let glued_after = digit_end && after.is_some_and(|c| c.is_ascii_digit());
        !glued_before && !glued_after
    })
}

/// The businesses the questions are asked to: `DIR/../clients.json` profiles (name, industry and
/// services), or one generic business when there is no such file. Every business holds every
/// document, so retrieval must still pick the right one among all of them.
fn read_profiles(dir: &Path) -> Vec<(String, String, serde_json::Value)> {
    let parsed = std::fs::read_to_string(dir.join("../clients.json"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok());
    let mut out = Vec::new();
    if let Some(profiles) = parsed
        .as_ref()
        .and_then(|v| v.get("profiles"))
        .and_then(serde_json::Value::as_object)
    {
        for (name, profile) in profiles {
            let industry = profile
                .get("industry")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(name)
                .to_owned();
            let services: serde_json::Map<String, serde_json::Value> = profile
                .get("services")
                .and_then(serde_json::Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| {
                            v.as_str()
                                .map(|d| (k.clone(), serde_json::json!({ "description": d })))
                        })
                        .collect()
                })
                .unwrap_or_default();
            let services = if services.is_empty() {
                serde_json::Value::Null
            } else {
                serde_json::Value::Object(services)
            };
            out.push((name.clone(), industry, services));
        }
    }
    if out.is_empty() {
        out.push((
            "knowledge_eval".to_owned(),
            "real_estate".to_owned(),
            serde_json::Value::Null,
        ));
    }
    out
}

/// Runs the evaluation and prints the figures.
///
/// # Errors
/// When the folder cannot be read or the store cannot be set up.
pub async fn run(dir: &Path) -> anyhow::Result<()> {
    let figures = evaluate(dir, true).await?;
    println!(
        "recall@1={:.3} recall@3={:.3} containment={:.3} answerable={} unanswerable_honesty={:.3} unanswerable={}",
        figures.recall_at_1,
        figures.recall_at_3,
        figures.containment,
        figures.answerable,
        figures.honesty,
        figures.unanswerable
    );
    Ok(())
}

/// Loads the documents, asks every question and returns the figures; `verbose` prints each miss.
///
/// # Errors
/// When the folder cannot be read or the store cannot be set up.
pub async fn evaluate(dir: &Path, verbose: bool) -> anyhow::Result<Figures> {
    let start: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-24T07:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .context("reference time")?;
    let deps = fresh_deps(Arc::new(StepClock(Mutex::new(start)))).await?;
    let kb = deps
        .knowledge
        .clone()
        .context("the evaluation store has no knowledge base")?;
    let profiles = read_profiles(dir);
    let mut tenants = Vec::new();
    for (name, industry, services) in &profiles {
        let request = serde_json::from_value(serde_json::json!({
            "name": name.replace('_', " "),
            "slug": format!("knowledge-eval-{}", name.replace('_', "-")),
            "industry": industry,
            "timezone": "Asia/Riyadh",
            "business_hours": {},
            "services": services,
        }))
        .context("evaluation client")?;
        let (tenant, _) = crate::routes::clients::create_client(&deps, request)
            .await
            .map_err(|e| anyhow::anyhow!("creating the evaluation client {name}: {e}"))?;
        tenants.push((name.clone(), tenant));
    }
    let mut names: HashMap<String, String> = HashMap::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir.join("documents"))
        .with_context(|| format!("reading {}/documents", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    paths.sort();
    for path in paths {
        let content = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = content
            .lines()
            .find_map(|l| l.strip_prefix("# "))
            .unwrap_or(&stem)
            .trim()
            .to_owned();
        for (_, tenant) in &tenants {
            let (document, _) = kb_usecases::save_document(
                &kb,
                &LIMITS,
                deps.ids.as_ref(),
                tenant.id,
                None,
                DocumentInput {
                    title: title.clone(),
                    content: content.clone(),
                    format: DocumentFormat::Markdown,
                    language: None,
                    blocks: None,
                },
                start,
            )
            .await
            .map_err(|e| anyhow::anyhow!("storing {}: {e}", path.display()))?;
            names.insert(document.id.to_string(), stem.clone());
        }
    }

    let text = std::fs::read_to_string(dir.join("questions.jsonl"))
        .with_context(|| format!("reading {}/questions.jsonl", dir.display()))?;
    let mut f = Figures::default();
    let (mut at1, mut at3, mut contained, mut honest) = (0usize, 0usize, 0usize, 0usize);
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let q: Question = serde_json::from_str(line)
            .with_context(|| format!("questions.jsonl line {}", n + 1))?;
        let tenant = q
            .profile
            .as_ref()
            .and_then(|p| tenants.iter().find(|(name, _)| name == p))
            .or_else(|| tenants.first())
            .map(|(_, t)| t)
            .context("no evaluation client")?;
        let hits = kb_usecases::search(&kb, tenant, &q.question, 3).await?;
        let docs: Vec<&str> = hits
            .iter()
            .map(|h| {
                names
                    .get(&h.hit.document_id.to_string())
                    .map_or("?", String::as_str)
            })
            .collect();
        let lookup = kb_usecases::look_up(&deps, tenant, &q.question).await?;
        let answer = lookup.and_then(|l| l.answer);
        match &q.expect_document {
            Some(expected) => {
                f.answerable += 1;
                let first = docs.first() == Some(&expected.as_str());
                let top3 = docs.contains(&expected.as_str());
                at1 += usize::from(first);
                at3 += usize::from(top3);
                let text = answer.as_ref().map_or("", |a| a.text.as_str());
                let ok = q.expect_contains.iter().all(|e| contains(text, e));
                contained += usize::from(ok);
                if verbose && (!top3 || !ok) {
                    println!(
                        "miss {} top3={top3} contains={ok} q={:?} docs={docs:?} answer={text:?}",
                        q.id, q.question
                    );
                }
            }
            None => {
                f.unanswerable += 1;
                honest += usize::from(answer.is_none());
                if verbose && answer.is_some() {
                    println!("answered-unanswerable {} q={:?}", q.id, q.question);
                }
            }
        }
    }
    let share = |k: usize, n: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
    f.recall_at_1 = share(at1, f.answerable);
    f.recall_at_3 = share(at3, f.answerable);
    f.containment = share(contained, f.answerable);
    f.honesty = share(honest, f.unanswerable);
    Ok(f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containment_follows_the_evaluation_rules() {
        assert!(contains("Price: AED 1,450 per session", "1,450"));
        assert!(contains("السعر ١٬٤٥٠ درهم", "1,450"));
        assert!(contains("from 4:00 PM", "٤:٠٠"));
        assert!(!contains("AED 1,499", "149"));
        assert!(contains("rate 2.99% a year", "2.99%"));
        assert!(contains("خصم ٤٪", "4%"));
    }
}
