//! `TwilioClient` against a local server speaking Twilio's REST Messages API.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine as _;
use lead_channels::twilio::{
    MessageContent, MessageFrom, OutgoingMessage, RejectionReason, Retry, TwilioAddress,
    TwilioClient, TwilioCredentials, TwilioError,
};
use secrecy::SecretString;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tenant-auth-token";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

fn credentials() -> TwilioCredentials {
    TwilioCredentials {
        account_sid: ACCOUNT.to_owned(),
        auth_token: SecretString::from(TOKEN),
    }
}

fn sms(body: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: TwilioAddress::phone("+971501234567"),
        from: MessageFrom::Number(TwilioAddress::phone("+15005550006")),
        content: MessageContent::Text(body.to_owned()),
        status_callback: Some("https://leads.example.com/webhooks/twilio/status".to_owned()),
    }
}

/// A 201 body as Twilio returns it for a created message.
fn created(sid: &str, to: &str, body: &str) -> serde_json::Value {
    serde_json::json!({
        "account_sid": ACCOUNT,
        "api_version": "2010-04-01",
        "body": body,
        "date_created": "Mon, 30 Nov 2026 15:00:00 +0000",
        "date_sent": null,
        "date_updated": "Mon, 30 Nov 2026 15:00:00 +0000",
        "direction": "outbound-api",
        "error_code": null,
        "error_message": null,
        "from": "+15005550006",
        "messaging_service_sid": null,
        "num_media": "0",
        "num_segments": "1",
        "price": null,
        "price_unit": "USD",
        "sid": sid,
        "status": "queued",
        "subresource_uris": {"media": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}/Media.json")},
        "to": to,
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"),
    })
}

/// An error body in Twilio's format.
fn twilio_error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

async fn server_answering(response: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(response)
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> TwilioClient {
    match TwilioClient::new(&server.uri(), Duration::from_secs(2)) {
        Ok(client) => client,
        Err(e) => panic!("client: {e}"),
    }
}

async fn send_to(
    server: &MockServer,
    message: &OutgoingMessage,
) -> Result<lead_channels::twilio::SentMessage, TwilioError> {
    client(server).send_message(&credentials(), message).await
}

async fn only_request_form(server: &MockServer) -> (wiremock::Request, BTreeMap<String, String>) {
    let requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "exactly one request expected");
    let request = requests[0].clone();
    let form = url::form_urlencoded::parse(&request.body)
        .into_owned()
        .collect();
    (request, form)
}

#[tokio::test]
async fn sends_an_sms_with_twilio_request_shape() {
    let server = server_answering(ResponseTemplate::new(201).set_body_json(created(
        "SMaaaabbbbccccddddeeeeffff00001111",
        "+971501234567",
        "مرحبا",
    )))
    .await;

    let sent = send_to(&server, &sms("مرحبا، كيف نساعدك؟")).await;

    let sent = sent.map_err(|e| e.to_string());
    assert_eq!(
        sent.as_ref().map(|s| s.sid.as_str()),
        Ok("SMaaaabbbbccccddddeeeeffff00001111")
    );
    assert_eq!(sent.as_ref().map(|s| s.status.as_str()), Ok("queued"));
    let (request, form) = only_request_form(&server).await;
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(request.url.path(), MESSAGES_PATH);
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    assert_eq!(
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
        Some(expected_auth.as_str())
    );
    assert_eq!(
        request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    let expected: BTreeMap<String, String> = [
        ("To", "+971501234567"),
        ("From", "+15005550006"),
        ("Body", "مرحبا، كيف نساعدك؟"),
        (
            "StatusCallback",
            "https://leads.example.com/webhooks/twilio/status",
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(form, expected);
}

#[tokio::test]
async fn sends_a_whatsapp_template_through_a_messaging_service() {
    let server = server_answering(ResponseTemplate::new(201).set_body_json(created(
        "SM11112222333344445555666677778888",
        "whatsapp:+971501234567",
        "",
    )))
    .await;
    let message = OutgoingMessage {
        to: TwilioAddress::whatsapp("+971501234567"),
        from: MessageFrom::MessagingService("MG0123456789abcdef0123456789abcdef".to_owned()),
        content: MessageContent::Template {
            content_sid: "HX0123456789abcdef0123456789abcdef".to_owned(),
            variables: BTreeMap::from([
                ("1".to_owned(), "سارة".to_owned()),
                ("2".to_owned(), "Acme".to_owned()),
            ]),
        },
        status_callback: None,
    };

    let sent = send_to(&server, &message).await;

    assert!(sent.is_ok(), "{sent:?}");
    let (_, form) = only_request_form(&server).await;
    assert_eq!(
        form.get("To").map(String::as_str),
        Some("whatsapp:+971501234567")
    );
    assert_eq!(
        form.get("MessagingServiceSid").map(String::as_str),
        Some("MG0123456789abcdef0123456789abcdef")
    );
    assert_eq!(
        form.get("ContentSid").map(String::as_str),
        Some("HX0123456789abcdef0123456789abcdef")
    );
    let variables: Option<serde_json::Value> = form
        .get("ContentVariables")
        .and_then(|v| serde_json::from_str(v).ok());
    assert_eq!(
        variables,
        Some(serde_json::json!({"1": "سارة", "2": "Acme"}))
    );
    assert!(
        !form.contains_key("Body")
            && !form.contains_key("From")
            && !form.contains_key("StatusCallback")
    );
}

#[tokio::test]
async fn permanent_errors_are_classified_by_twilio_code() {
    let cases = [
        (
            400,
            21211,
            "Invalid 'To' Phone Number: +97150",
            RejectionReason::InvalidNumber,
        ),
        (
            400,
            21610,
            "Attempt to send to unsubscribed recipient",
            RejectionReason::Unsubscribed,
        ),
        (
            400,
            21614,
            "'To' number is not a valid mobile number",
            RejectionReason::NotMobile,
        ),
        (
            400,
            63016,
            "Failed to send freeform message because you are outside the allowed window.",
            RejectionReason::OutsideWhatsAppWindow,
        ),
        (401, 20003, "Authenticate", RejectionReason::Authentication),
        (
            404,
            20404,
            "The requested resource was not found",
            RejectionReason::Other,
        ),
        (
            400,
            21602,
            "Message body is required.",
            RejectionReason::Other,
        ),
    ];
    for (status, code, text, reason) in cases {
        let server = server_answering(twilio_error(status, code, text)).await;

        let error = send_to(&server, &sms("hello")).await;

        let Err(error) = error else {
            panic!("{code}: expected an error")
        };
        assert_eq!(error.retry(), Retry::Never, "{code}");
        assert_eq!(error.rejection(), Some(reason), "{code}");
        let TwilioError::Rejected(api) = &error else {
            panic!("{code}: {error:?}")
        };
        assert_eq!(
            (api.status, api.code, api.message.as_str()),
            (status, Some(code), text)
        );
        assert_eq!(
            api.more_info.as_deref(),
            Some(format!("https://www.twilio.com/docs/errors/{code}").as_str())
        );
    }
}

#[tokio::test]
async fn rate_limits_honour_retry_after() {
    let server = server_answering(
        twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "7"),
    )
    .await;
    let error = send_to(&server, &sms("hello")).await;
    assert_eq!(
        error.map_err(|e| e.retry()).err(),
        Some(Retry::After(Duration::from_secs(7)))
    );

    let server = server_answering(twilio_error(429, 20429, "Too Many Requests")).await;
    let error = send_to(&server, &sms("hello")).await;
    assert_eq!(error.map_err(|e| e.retry()).err(), Some(Retry::Backoff));
}

#[tokio::test]
async fn server_errors_are_retryable_even_without_a_json_body() {
    for response in [
        twilio_error(500, 20500, "Internal Server Error"),
        ResponseTemplate::new(502).set_body_string("<html><body>Bad Gateway</body></html>"),
        ResponseTemplate::new(503),
    ] {
        let server = server_answering(response).await;
        let error = send_to(&server, &sms("hello")).await;
        let Err(error) = error else {
            panic!("expected an error")
        };
        assert!(matches!(error, TwilioError::Unavailable(_)), "{error:?}");
        assert_eq!(error.retry(), Retry::Backoff);
        assert_eq!(error.rejection(), None);
    }
}

#[tokio::test]
async fn server_error_then_success_sends_once_when_retried() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(twilio_error(503, 20503, "Service Unavailable"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(created(
            "SM00000000000000000000000000000001",
            "+971501234567",
            "hi",
        )))
        .mount(&server)
        .await;
    let client = client(&server);

    let first = client.send_message(&credentials(), &sms("hi")).await;
    assert_eq!(
        first.as_ref().map_err(TwilioError::retry).err(),
        Some(Retry::Backoff)
    );
    let second = client.send_message(&credentials(), &sms("hi")).await;

    assert_eq!(
        second.map(|s| s.sid).map_err(|e| e.to_string()),
        Ok("SM00000000000000000000000000000001".to_owned())
    );
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
}

#[tokio::test]
async fn unreachable_and_slow_twilio_are_network_errors() {
    // A port that was just bound and released refuses connections.
    let port = match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
        Ok(addr) => addr.port(),
        Err(e) => panic!("binding: {e}"),
    };
    let down = TwilioClient::new(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2));
    let error = match down {
        Ok(client) => client.send_message(&credentials(), &sms("hi")).await,
        Err(e) => panic!("client: {e}"),
    };
    assert!(matches!(error, Err(TwilioError::Network(_))), "{error:?}");

    let server = server_answering(
        ResponseTemplate::new(201)
            .set_body_json(created(
                "SM00000000000000000000000000000002",
                "+971501234567",
                "hi",
            ))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let slow = match TwilioClient::new(&server.uri(), Duration::from_millis(300)) {
        Ok(client) => client,
        Err(e) => panic!("client: {e}"),
    };
    let error = slow.send_message(&credentials(), &sms("hi")).await;
    let Err(error) = error else {
        panic!("expected a timeout")
    };
    assert!(matches!(error, TwilioError::Network(_)), "{error:?}");
    assert_eq!(error.retry(), Retry::Backoff);
}

#[tokio::test]
async fn an_unreadable_success_is_never_retried() {
    let server = server_answering(ResponseTemplate::new(201).set_body_string("not json")).await;
    let error = send_to(&server, &sms("hi")).await;
    let Err(error) = error else {
        panic!("expected an error")
    };
    assert!(
        matches!(error, TwilioError::InvalidResponse { status: 201, .. }),
        "{error:?}"
    );
    assert_eq!(error.retry(), Retry::Never);
}

#[test]
fn rejects_base_urls_that_are_not_http() {
    for base in ["", "api.twilio.com", "ftp://api.twilio.com"] {
        assert!(
            matches!(
                TwilioClient::new(base, Duration::from_secs(1)),
                Err(TwilioError::InvalidRequest(_))
            ),
            "{base}"
        );
    }
}
