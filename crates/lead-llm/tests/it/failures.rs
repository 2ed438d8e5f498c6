//! The failure policy end to end: which answers are retried, how long we wait, and the circuit breaker.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lead_llm::{BreakerState, CircuitBreaker, FailurePolicy, LlmError};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::{
    ManualClock, anthropic_client, anthropic_tool_response, fast_policy, openai_client,
    openai_tool_response, tool_request,
};

fn error_body(kind: &str) -> serde_json::Value {
    json!({"type": "error", "error": {"type": kind, "message": format!("{kind} happened")}})
}

/// Answers `first` once, then succeeds; returns the outcome and how many requests were made.
async fn first_then_ok(first: ResponseTemplate) -> (Result<(), LlmError>, usize) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(first)
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_tool_response("record", json!({"budget": 1}))),
        )
        .mount(&server)
        .await;
    let outcome = anthropic_client(&server, fast_policy())
        .call_tool(&tool_request())
        .await
        .map(|_| ());
    (outcome, server.received_requests().await.unwrap().len())
}

#[tokio::test]
async fn transient_statuses_are_retried_and_then_succeed() {
    for (status, kind) in [
        (408, "timeout_error"),
        (409, "conflict"),
        (500, "api_error"),
        (502, "api_error"),
        (503, "api_error"),
        (504, "api_error"),
        (529, "overloaded_error"),
    ] {
        let (outcome, requests) =
            first_then_ok(ResponseTemplate::new(status).set_body_json(error_body(kind))).await;
        assert!(outcome.is_ok(), "status {status}: {outcome:?}");
        assert_eq!(requests, 2, "status {status} is retried once");
    }
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    for (status, kind) in [
        (400, "invalid_request_error"),
        (401, "authentication_error"),
        (403, "permission_error"),
        (404, "not_found_error"),
        (413, "request_too_large"),
        (422, "invalid_request_error"),
    ] {
        let (outcome, requests) =
            first_then_ok(ResponseTemplate::new(status).set_body_json(error_body(kind))).await;
        match outcome {
            Err(LlmError::Rejected {
                status: got,
                kind: got_kind,
                message,
                ..
            }) => {
                assert_eq!((got, got_kind.as_str()), (status, kind));
                assert_eq!(message, format!("{kind} happened"));
            }
            other => panic!("status {status}: expected a rejection, got {other:?}"),
        }
        assert_eq!(requests, 1, "status {status} is not retried");
    }
}

#[tokio::test]
async fn a_429_without_retry_after_is_a_spend_cap_and_not_retried() {
    let (outcome, requests) =
        first_then_ok(ResponseTemplate::new(429).set_body_json(error_body("rate_limit_error")))
            .await;
    match outcome {
        Err(
            err @ LlmError::RateLimited {
                retry_after: None, ..
            },
        ) => assert!(!err.is_transient()),
        other => panic!("expected a rate limit, got {other:?}"),
    }
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn retry_after_seconds_are_honoured() {
    let started = Instant::now();
    let template = ResponseTemplate::new(429)
        .insert_header("retry-after", "1")
        .set_body_json(error_body("rate_limit_error"));
    let (outcome, requests) = first_then_ok(template).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(requests, 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited only {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_ms_is_honoured_on_overload() {
    let started = Instant::now();
    let template = ResponseTemplate::new(529)
        .insert_header("retry-after-ms", "300")
        .insert_header("retry-after", "4")
        .set_body_json(error_body("overloaded_error"));
    let (outcome, requests) = first_then_ok(template).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(requests, 2);
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "waited {waited:?}"
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_is_handed_back_without_waiting() {
    let started = Instant::now();
    let template = ResponseTemplate::new(429)
        .insert_header("retry-after", "120")
        .set_body_json(error_body("rate_limit_error"));
    let (outcome, requests) = first_then_ok(template).await;
    let err = outcome.unwrap_err();
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert!(err.is_transient());
    assert_eq!(requests, 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn retries_stop_after_the_configured_number() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503).set_body_json(error_body("api_error")))
        .mount(&server)
        .await;
    let policy = FailurePolicy {
        breaker_threshold: 100,
        ..fast_policy()
    };

    let err = anthropic_client(&server, policy)
        .call_tool(&tool_request())
        .await
        .unwrap_err();

    assert!(
        matches!(err, LlmError::Unavailable { status: 503, .. }),
        "{err:?}"
    );
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "one attempt and two retries"
    );
}

#[tokio::test]
async fn a_slow_server_times_out_and_is_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    let policy = FailurePolicy {
        total_timeout: Duration::from_millis(200),
        max_retries: 1,
        ..fast_policy()
    };

    let err = anthropic_client(&server, policy)
        .call_tool(&tool_request())
        .await
        .unwrap_err();

    assert!(matches!(err, LlmError::Timeout { .. }), "{err:?}");
    assert!(err.is_transient());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error_that_counts_for_the_breaker() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let settings = lead_llm::OpenAiSettings {
        base_url: format!("http://{address}"),
        ..lead_llm::OpenAiSettings::default()
    };
    let client = lead_llm::openai::OpenAiClient::new(
        &settings,
        FailurePolicy {
            max_retries: 1,
            ..fast_policy()
        },
    )
    .unwrap();

    let err = client.call_tool(&tool_request()).await.unwrap_err();

    assert!(matches!(err, LlmError::Connect { .. }), "{err:?}");
    assert_eq!(
        client.transport().breaker().state(),
        BreakerState::Closed { failures: 2 }
    );
}

#[tokio::test]
async fn the_breaker_opens_skips_calls_and_recovers_after_the_cool_down() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(529).set_body_json(error_body("overloaded_error")))
        .mount(&server)
        .await;
    let clock = ManualClock::default();
    let policy = FailurePolicy {
        max_retries: 0,
        breaker_threshold: 3,
        ..fast_policy()
    };
    let breaker = Arc::new(CircuitBreaker::with_clock(
        3,
        Duration::from_secs(30),
        clock.clock(),
    ));
    let client =
        anthropic_client(&server, policy).map_transport(|t| t.with_breaker(breaker.clone()));

    for _ in 0..3 {
        let err = client.call_tool(&tool_request()).await.unwrap_err();
        assert!(
            matches!(err, LlmError::Unavailable { status: 529, .. }),
            "{err:?}"
        );
    }
    assert_eq!(breaker.state(), BreakerState::Open);
    let err = client.call_tool(&tool_request()).await.unwrap_err();
    assert!(matches!(err, LlmError::CircuitOpen { .. }), "{err:?}");
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        3,
        "an open breaker sends nothing"
    );

    server.reset().await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(anthropic_tool_response("record", json!({"budget": 1}))),
        )
        .mount(&server)
        .await;
    clock.advance(Duration::from_secs(29));
    assert!(matches!(
        client.call_tool(&tool_request()).await,
        Err(LlmError::CircuitOpen { .. })
    ));
    clock.advance(Duration::from_secs(1));

    client.call_tool(&tool_request()).await.unwrap();

    assert_eq!(breaker.state(), BreakerState::Closed { failures: 0 });
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        1,
        "one probe after the cool-down"
    );
}

#[tokio::test]
async fn rejected_requests_do_not_open_the_breaker() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_json(error_body("invalid_request_error")))
        .mount(&server)
        .await;
    let client = openai_client(&server, None);

    for _ in 0..5 {
        assert!(matches!(
            client.call_tool(&tool_request()).await,
            Err(LlmError::Rejected { status: 400, .. })
        ));
    }

    assert_eq!(
        client.transport().breaker().state(),
        BreakerState::Closed { failures: 0 }
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 5);
}

#[tokio::test]
async fn the_openai_client_follows_the_same_policy() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500).set_body_string("upstream crashed"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(openai_tool_response("record", r#"{"budget": 1}"#)),
        )
        .mount(&server)
        .await;

    openai_client(&server, None)
        .call_tool(&tool_request())
        .await
        .unwrap();

    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}
