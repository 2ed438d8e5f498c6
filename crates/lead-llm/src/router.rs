//! Model routing: a fast model classifies each inbound turn through a small forced tool and answers the simple ones.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::chat::ToolSpec;
use crate::qualification::{Lang, MAX_REPLY_CHARS, MAX_SOURCES};

/// The name of the routing tool.
pub const ROUTER_TOOL_NAME: &str = "classify_turn";

/// What the lead's newest message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnKind {
    /// Only a greeting or small talk.
    Greeting,
    /// A question the tenant facts may answer.
    Question,
    /// Facts about the need: service, budget, timing, location, decision.
    QualificationInfo,
    /// A request for a person.
    WantsHuman,
    /// A request to stop messages.
    OptOut,
    /// Advertising, nonsense or abuse.
    Spam,
}

/// The validated classification of one turn.
#[derive(Debug, Clone, PartialEq)]
pub struct Routing {
    /// What the message is.
    pub kind: TurnKind,
    /// The language the lead writes in.
    pub language: Lang,
    /// The model's answer for greetings and questions it could answer from the facts.
    pub reply: Option<String>,
    /// How sure the model is of the kind, from 0 to 1.
    pub confidence: f64,
    /// Ids of the knowledge-base passages the reply states facts from.
    pub sources: Vec<String>,
}

impl Routing {
    /// The answer to send without asking the main model: only for greetings and answered questions.
    pub fn simple_reply(&self) -> Option<&str> {
        match self.kind {
            TurnKind::Greeting | TurnKind::Question => self.reply.as_deref(),
            TurnKind::QualificationInfo
            | TurnKind::WantsHuman
            | TurnKind::OptOut
            | TurnKind::Spam => None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRouting {
    kind: TurnKind,
    language: Lang,
    reply: Option<String>,
    confidence: f64,
    #[serde(default)]
    sources: Vec<String>,
}

/// The JSON schema of the routing tool input.
pub fn input_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "kind": {"type": "string",
                "enum": ["greeting", "question", "qualification_info", "wants_human", "opt_out", "spam"]},
            "language": {"type": "string", "enum": ["en", "ar"]},
            "reply": {"type": ["string", "null"], "maxLength": MAX_REPLY_CHARS,
                "description": "the answer for a greeting or a question the facts answer; null otherwise"},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "sources": {"type": "array", "items": {"type": "string"}, "maxItems": MAX_SOURCES,
                "description": "ids (the text in [brackets]) of the knowledge-base passages the reply states facts from; [] when none"}
        },
        "required": ["kind", "language", "reply", "confidence"],
        "additionalProperties": false
    })
}

/// The routing tool.
pub fn tool() -> ToolSpec {
    ToolSpec {
        name: ROUTER_TOOL_NAME.to_owned(),
        description: "Classify the lead's newest message and answer it when it is simple."
            .to_owned(),
        input_schema: input_schema(),
    }
}

/// Validates the routing tool input.
///
/// # Errors
/// A lowercase description of the first violation (missing or unknown key, unknown kind or
/// language, confidence outside 0..1, an over-long reply).
pub fn parse_routing(input: Value) -> Result<Routing, String> {
    let object = input.as_object().ok_or("the tool input is not an object")?;
    if let Some(missing) = ["kind", "language", "reply", "confidence"]
        .iter()
        .find(|k| !object.contains_key(**k))
    {
        return Err(format!("missing field `{missing}`"));
    }
    let raw: RawRouting = serde_json::from_value(input).map_err(|e| e.to_string())?;
    if !(0.0..=1.0).contains(&raw.confidence) {
        return Err(format!("confidence {} is outside 0..1", raw.confidence));
    }
    let reply = raw
        .reply
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if reply
        .as_ref()
        .is_some_and(|r| r.chars().count() > MAX_REPLY_CHARS)
    {
        return Err(format!(
            "the reply is longer than {MAX_REPLY_CHARS} characters"
        ));
    }
    Ok(Routing {
        kind: raw.kind,
        language: raw.language,
        reply,
        confidence: raw.confidence,
        sources: crate::qualification::clean_sources(raw.sources),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn input(kind: &str, reply: Value) -> Value {
        json!({"kind": kind, "language": "ar", "reply": reply, "confidence": 0.9})
    }

    #[test]
    fn every_kind_parses() {
        for (text, kind) in [
            ("greeting", TurnKind::Greeting),
            ("question", TurnKind::Question),
            ("qualification_info", TurnKind::QualificationInfo),
            ("wants_human", TurnKind::WantsHuman),
            ("opt_out", TurnKind::OptOut),
            ("spam", TurnKind::Spam),
        ] {
            assert_eq!(parse_routing(input(text, Value::Null)).unwrap().kind, kind);
        }
    }

    #[test]
    fn only_greetings_and_questions_are_answered_by_the_router() {
        let greeting = parse_routing(input("greeting", json!("أهلاً! كيف أقدر أساعدك؟"))).unwrap();
        assert_eq!(greeting.simple_reply(), Some("أهلاً! كيف أقدر أساعدك؟"));
        let info = parse_routing(input("qualification_info", json!("noted"))).unwrap();
        assert_eq!(info.simple_reply(), None);
        let unanswered = parse_routing(input("question", json!("  "))).unwrap();
        assert_eq!(unanswered.simple_reply(), None);
    }

    #[test]
    fn invalid_inputs_are_rejected() {
        assert!(
            parse_routing(input("complaint", Value::Null))
                .unwrap_err()
                .contains("unknown variant")
        );
        let mut bad = input("greeting", Value::Null);
        bad["confidence"] = json!(-0.1);
        assert!(parse_routing(bad).unwrap_err().contains("outside"));
        let mut missing = input("greeting", Value::Null);
        missing.as_object_mut().unwrap().remove("reply");
        assert!(
            parse_routing(missing)
                .unwrap_err()
                .contains("missing field `reply`")
        );
        assert!(parse_routing(json!("greeting")).is_err());
    }
}
