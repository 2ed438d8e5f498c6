//! `eval-conversations`: the library entry point on a few dialogues written for these tests (their
//! output shape and the consistency of its metrics, whatever the qualifier decides today), the
//! command's files, and the same outcome when two of the dialogues are played over HTTP.

use crate::helpers::{TestApp, spawn_app};
use chrono::{DateTime, Utc};
use lead_server::eval_conversations::{Played, Profiles, Report, evaluate, run};
use reqwest::Method;
use serde_json::{Value, json};

const PROFILES: &str = r#"{
  "reference_date": "2026-11-24",
  "fx_usd": {"USD": 1.0, "SAR": 0.2667, "AED": 0.2723},
  "profiles": {
    "realty": {
      "industry": "real_estate", "currency": "SAR",
      "min_budget": 300000, "high_value_threshold": 5000000,
      "services": {
        "buy_apartment": "buying an apartment / flat",
        "buy_villa": "buying a villa or house",
        "rent_residential": "renting an apartment, villa or house"
      },
      "service_min_budget": {"rent_residential": 2000}
    },
    "clinic": {
      "industry": "dental_clinic", "currency": "AED",
      "min_budget": 500, "high_value_threshold": 40000,
      "services": {"whitening": "teeth whitening", "implants": "dental implants"}
    }
  }
}"#;

/// Written for these tests: no relative dates, so playing them on another day changes nothing.
fn dialogues() -> Vec<Value> {
    vec![
        json!({"id": "it-flat-en", "profile": "realty", "channel": "live_chat",
               "turns": ["Good evening", "I'd like to buy a flat in Dammam with two bedrooms",
                         "we can spend about 700,000 riyals"],
               "expect": {"escalate_at": null, "escalation_reason": null,
                          "reply_language": ["en", "en", "en"], "final_score": "WARM"}}),
        json!({"id": "it-villa-ar", "profile": "realty", "channel": "live_chat",
               "turns": ["مرحبا، عندكم فلل للبيع في الخبر؟", "الميزانية تقريباً مليونين ريال",
                         "ممكن اتكلم مع موظف؟"],
               "expect": {"escalate_at": 3, "escalation_reason": "human_request",
                          "reply_language": ["ar", "ar", "ar"], "final_score": "WARM"}}),
        json!({"id": "it-mansion-en", "profile": "realty", "channel": "live_chat",
               "turns": ["Looking for a large villa in Riyadh", "budget is 9 million SAR", "thanks"],
               "expect": {"escalate_at": 2, "escalation_reason": "high_value",
                          "reply_language": ["en", "en", "en"], "final_score": "WARM"}}),
        json!({"id": "it-smile-mixed", "profile": "clinic", "channel": "live_chat",
               "turns": ["hi, how much is teeth whitening?", "اريد موعد", "👍"],
               "expect": {"escalate_at": null, "escalation_reason": null,
                          "reply_language": ["en", "ar", "ar"], "final_score": "UNSCORED"}}),
    ]
}

fn cases_text(dialogues: &[Value]) -> String {
    dialogues
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

async fn report() -> Report {
    evaluate(&cases_text(&dialogues()), PROFILES)
        .await
        .expect("the evaluation runs")
}

#[tokio::test]
async fn every_dialogue_is_played_turn_by_turn_and_its_metrics_add_up() {
    let report = report().await;
    let dialogues = dialogues();
    assert_eq!(report.played.len(), dialogues.len());
    let lines = report.lines();
    let turns: usize = dialogues
        .iter()
        .map(|d| d["turns"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(lines.len(), turns + dialogues.len());

    let mut language_turns = 0;
    for (d, played) in dialogues.iter().zip(&report.played) {
        assert_eq!(played.id, d["id"].as_str().expect("id"));
        assert_eq!(
            played.turns.len(),
            d["turns"].as_array().expect("turns").len()
        );
        // The escalated flag never goes back, and the first escalated turn is the one reported
        // with the kinds it recorded.
        let first = played.turns.iter().position(|t| t.escalated);
        assert_eq!(played.escalated_at, first.map(|i| i + 1));
        if let Some(i) = first {
            assert!(played.turns[i..].iter().all(|t| t.escalated));
            assert!(!played.escalation_kinds.is_empty());
            assert_eq!(played.escalation_kinds, played.turns[i].escalation_kinds);
        }
        for (i, t) in played.turns.iter().enumerate() {
            assert_eq!(t.turn, i + 1);
            assert_eq!(t.text, d["turns"][i].as_str().expect("turn"));
            assert!(t.error.is_none(), "{}: {:?}", played.id, t.error);
            assert_eq!(t.reply.is_some(), t.reply_language.is_some());
            if let Some(lang) = &t.reply_language {
                assert!(lang == "en" || lang == "ar", "{lang}");
            }
            if first.is_none_or(|f| i <= f) {
                language_turns += 1;
            }
        }
        assert!(["HOT", "WARM", "COLD", "UNSCORED"].contains(&played.final_score.as_str()));
    }

    for line in &lines {
        match line["record"].as_str() {
            Some("turn") => {
                for key in ["id", "turn", "text", "reply", "reply_language", "escalated"] {
                    assert!(line.get(key).is_some(), "{key} in {line}");
                }
                assert!(line["escalation_kinds"].is_array(), "{line}");
            }
            Some("dialogue") => {
                for key in [
                    "escalation",
                    "reason",
                    "reply_language",
                    "final_score",
                    "answered",
                ] {
                    assert!(line["checks"].get(key).is_some(), "{key} in {line}");
                }
                assert_eq!(line["passed"].as_bool(), Some(line["failure"].is_null()));
                assert!(line["final_score"].is_string() && line["expect"].is_object());
            }
            _ => panic!("unknown record {line}"),
        }
    }

    let s = &report.summary;
    assert_eq!(s.dialogues, dialogues.len());
    assert_eq!(s.expected_escalations, 2);
    assert_eq!(s.passed + s.failing.len(), s.dialogues);
    assert!(s.false_escalations + s.missed_escalations <= s.dialogues);
    assert!(s.wrong_reasons <= s.reasons_judged && s.reasons_judged <= 2);
    assert_eq!(s.language_turns, language_turns);
    assert!(s.language_right <= s.language_turns);
    assert!(s.score_right <= s.dialogues && s.answered <= s.dialogues);
    let verdict_passes = report.verdicts.iter().filter(|v| v.passed()).count();
    assert_eq!(s.passed, verdict_passes);
    let text = s.to_string();
    for heading in [
        "false escalations:",
        "missed escalations:",
        "wrong escalation reason:",
        "reply-language accuracy:",
        "final-score accuracy:",
        "turns before an escalation answered:",
    ] {
        assert!(text.contains(heading), "{text}");
    }
    for (id, why) in &s.failing {
        assert!(text.contains(&format!("  {id}: {why}")), "{text}");
    }
}

#[tokio::test]
async fn the_command_writes_its_lines_and_refuses_bad_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = dir.path().join("cases.jsonl");
    let profiles = dir.path().join("clients.json");
    let out = dir.path().join("out.jsonl");
    let two = &dialogues()[..2];
    std::fs::write(&cases, cases_text(two)).expect("write cases");
    std::fs::write(&profiles, PROFILES).expect("write profiles");
    run(&cases, &profiles, Some(&out))
        .await
        .expect("the command runs");
    let written = std::fs::read_to_string(&out).expect("output");
    let lines: Vec<Value> = written
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3 + 3 + 2);
    assert_eq!(
        lines.iter().filter(|l| l["record"] == "dialogue").count(),
        2
    );

    std::fs::write(&cases, "{\"id\": \"x\", \"profile\": \"nowhere\"}").expect("write");
    let err = run(&cases, &profiles, None).await.expect_err("bad cases");
    assert!(err.to_string().contains("line 1"), "{err}");
    let err = run(&dir.path().join("missing.jsonl"), &profiles, None)
        .await
        .expect_err("missing file");
    assert!(err.to_string().contains("missing.jsonl"), "{err}");
}

/// Plays a dialogue through `POST /webhooks/live-chat`; returns the replies (text, language) per
/// turn, then the conversation and lead as the API shows them once every job has run.
async fn play_over_http(
    app: &TestApp,
    key: &str,
    widget: &str,
    session: &str,
    turns: &[&str],
) -> (Vec<(Option<String>, Option<String>)>, Value, Value) {
    let mut replies = Vec::new();
    let mut conversation = String::new();
    for text in turns {
        let res = app
            .http
            .post(app.url("/webhooks/live-chat"))
            .json(&json!({"widget_key": widget, "session_id": session, "message": text}))
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 200);
        let body: Value = res.json().await.expect("json");
        conversation = body["conversation_id"].as_str().expect("id").to_owned();
        let reply = &body["reply"];
        replies.push((
            reply["text"].as_str().map(str::to_owned),
            reply["language"].as_str().map(str::to_owned),
        ));
        if reply.is_null() {
            // No reply to wait for (an escalated conversation): wait for the job instead, which
            // stamps the conversation after the message arrived.
            wait_for_processing(app, key, &conversation).await;
        }
    }
    let shown = app
        .get_as(key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let lead_id = shown.body["lead_id"].as_str().expect("lead id").to_owned();
    let lead = app.get_as(key, &format!("/api/v1/leads/{lead_id}")).await;
    assert_eq!(lead.status, 200, "{}", lead.body);
    (replies, shown.body, lead.body)
}

async fn wait_for_processing(app: &TestApp, key: &str, conversation: &str) {
    let time = |v: &Value| v.as_str().and_then(|s| s.parse::<DateTime<Utc>>().ok());
    for _ in 0..100 {
        let shown = app
            .get_as(key, &format!("/api/v1/conversations/{conversation}"))
            .await;
        if let (Some(updated), Some(inbound)) = (
            time(&shown.body["updated_at"]),
            time(&shown.body["last_inbound_at"]),
        ) && updated > inbound
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the message of {conversation} was not processed in time");
}

fn same_as_eval(
    played: &Played,
    replies: &[(Option<String>, Option<String>)],
    conv: &Value,
    lead: &Value,
) {
    for (t, (text, language)) in played.turns.iter().zip(replies) {
        assert_eq!(&t.reply, text, "{} turn {} reply", played.id, t.turn);
        assert_eq!(
            &t.reply_language, language,
            "{} turn {} language",
            played.id, t.turn
        );
    }
    let escalated = played.turns.last().is_some_and(|t| t.escalated);
    assert_eq!(
        conv["escalated"].as_bool(),
        Some(escalated),
        "{}",
        played.id
    );
    let mut http_kinds: Vec<String> = conv["escalations"]
        .as_array()
        .expect("escalations")
        .iter()
        .map(|e| e["kind"].as_str().expect("kind").to_owned())
        .collect();
    let mut eval_kinds: Vec<String> = played
        .turns
        .iter()
        .flat_map(|t| t.escalation_kinds.clone())
        .collect();
    http_kinds.sort();
    eval_kinds.sort();
    assert_eq!(http_kinds, eval_kinds, "{}", played.id);
    assert_eq!(
        lead["score"].as_str(),
        Some(played.final_score.as_str()),
        "{}",
        played.id
    );
}

#[tokio::test]
async fn the_same_dialogues_over_http_end_the_same_way() {
    let report = report().await;
    let profiles = Profiles::parse(PROFILES).expect("profiles");
    let app = spawn_app().await;
    for (n, index) in [0usize, 1].into_iter().enumerate() {
        let dialogue = &report.dialogues[index];
        let played = &report.played[index];
        let body = profiles
            .client_request(&dialogue.profile, &format!("evalc-http-{n}"))
            .expect("client body");
        let (id, key) = app.create_client(body).await;
        let shown = app
            .admin(Method::GET, &format!("/api/v1/clients/{id}"), None)
            .await;
        let widget = shown.body["widget_key"].as_str().expect("widget key");
        let turns: Vec<&str> = dialogue.turns.iter().map(String::as_str).collect();
        let (replies, conversation, lead) =
            play_over_http(&app, &key, widget, &format!("visit-{n}"), &turns).await;
        same_as_eval(played, &replies, &conversation, &lead);
    }
}
