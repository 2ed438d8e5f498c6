//! The OpenAPI contract: `/openapi.json` passes a real validator (`openapi-spec-validator` from the
//! Python virtual environment `.ci/run` creates), and the house rules client generators rely on.

use crate::helpers::spawn_app;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The variable naming the virtual environment that holds `openapi-spec-validator`.
const VENV_VAR: &str = "OPENAPI_VALIDATOR_VENV";

/// The validator's executable: from `OPENAPI_VALIDATOR_VENV`, else the venv `.ci/run` makes under
/// the workspace's `target/`. `None` when neither exists.
fn validator() -> Option<PathBuf> {
    let venv = match std::env::var_os(VENV_VAR) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-venv"),
    };
    let bin = venv.join("bin/openapi-spec-validator");
    bin.is_file().then_some(bin)
}

async fn document() -> Value {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, 200);
    doc.body
}

#[tokio::test]
async fn openapi_document_passes_openapi_spec_validator() {
    let Some(bin) = validator() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "openapi-spec-validator is missing: run .ci/run once or set {VENV_VAR} to a venv with it installed"
        );
        eprintln!("skipped: no openapi-spec-validator (run .ci/run once, or set {VENV_VAR})");
        return;
    };
    let doc = document().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&doc).expect("json")).expect("write");
    let out = std::process::Command::new(&bin)
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the OpenAPI document is invalid:\n{report}"
    );
    assert!(
        report.contains("OK"),
        "unexpected validator output: {report}"
    );
}

fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if ["get", "put", "post", "patch", "delete", "head", "options"]
                .contains(&method.as_str())
            {
                ops.push((method.clone(), path.clone(), op));
            }
        }
    }
    ops
}

#[tokio::test]
async fn every_operation_has_a_unique_id_and_described_responses() {
    let doc = document().await;
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut faults = Vec::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        ids.entry(id).or_default().push(format!("{method} {path}"));
        let responses = op["responses"].as_object().expect("responses");
        if responses.is_empty() {
            faults.push(format!("{method} {path}: no responses"));
        }
        for (status, response) in responses {
            if response["description"].as_str().is_none_or(str::is_empty) {
                faults.push(format!("{method} {path} {status}: no description"));
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["in"] == "path"
                && !path.contains(&format!("{{{}}}", p["name"].as_str().unwrap_or("")))
            {
                faults.push(format!(
                    "{method} {path}: path parameter {} is not in the path",
                    p["name"]
                ));
            }
        }
    }
    for (id, ops) in &ids {
        if id.is_empty() || ops.len() > 1 {
            faults.push(format!("operationId {id:?} used by {ops:?}"));
        }
    }
    assert!(faults.is_empty(), "{}", faults.join("\n"));
}

#[tokio::test]
async fn the_contract_declares_problems_security_and_examples() {
    let doc = document().await;
    let problem = &doc["components"]["schemas"]["Problem"];
    for field in ["type", "title", "status", "detail", "code"] {
        assert!(
            problem["properties"][field].is_object(),
            "Problem.{field} missing"
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["admin_token"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["in"], "header");
    assert_eq!(schemes["api_key"]["name"], "X-API-Key");
    assert_eq!(schemes["widget_key"]["in"], "header");
    assert_eq!(schemes["widget_key"]["name"], "X-Widget-Key");
    for (path, method) in [
        ("/api/v1/clients", "post"),
        ("/webhooks/web-form", "post"),
        ("/api/v1/leads", "post"),
        ("/webhooks/live-chat", "post"),
    ] {
        let body = &doc["paths"][path][method]["requestBody"]["content"]["application/json"];
        assert!(
            body["example"].is_object() || body["examples"].is_object(),
            "{method} {path} has no request example"
        );
    }
    let stream = &doc["paths"]["/webhooks/live-chat/stream"]["get"]["parameters"];
    let after = stream
        .as_array()
        .expect("parameters")
        .iter()
        .find(|p| p["name"] == "after")
        .expect("after parameter");
    assert_eq!(after["in"], "query");
    assert_ne!(after["required"], true);
}
