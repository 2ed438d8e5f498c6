//! `CalcomClient` against a local server speaking Cal.com API v2: slots in a zone with DST,
//! booking, reschedule, cancel, the errors a lead must never be misled by, and webhooks.

use chrono::{DateTime, Utc};
use lead_channels::calcom::webhook::{Trigger, parse_event, sign, verify_signature};
use lead_channels::calcom::{CalcomClient, versions};
use lead_domain::booking::{BookingProvider, BookingSettings, Calendar, CalendarError, NewBooking};
use lead_domain::contact::Email;
use lead_domain::language::Language;
use lead_domain::scoring::Score;
use lead_domain::tenant::Secret;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn settings() -> BookingSettings {
    BookingSettings {
        provider: BookingProvider::Calcom,
        api_key: Secret::new("cal_live_test_key"),
        event_type_id: 123,
        webhook_secret: Some(Secret::new("whsec-cal")),
        offer_for: vec![Score::Hot],
        days_ahead: 7,
    }
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn client(server: &MockServer) -> CalcomClient {
    CalcomClient::new(&server.uri(), Duration::from_secs(2)).unwrap_or_else(|e| panic!("{e}"))
}

fn london() -> chrono_tz::Tz {
    "Europe/London".parse().unwrap_or(chrono_tz::Tz::UTC)
}

fn booking_data(uid: &str, start: &str) -> serde_json::Value {
    json!({
        "id": 91,
        "uid": uid,
        "title": "Viewing between Test Realty and Sara",
        "status": "accepted",
        "start": start,
        "end": "2026-10-26T10:30:00.000Z",
        "duration": 30,
        "eventTypeId": 123,
        "eventType": {"id": 123, "slug": "viewing"},
        "meetingUrl": "https://app.cal.com/video/abc",
        "location": "https://app.cal.com/video/abc",
        "attendees": [{"name": "Sara", "email": "sara@example.com", "timeZone": "Europe/London", "language": "en", "absent": false}],
        "hosts": [{"id": 1, "name": "Agent", "timeZone": "Europe/London"}]
    })
}

#[tokio::test]
async fn slots_are_read_across_a_dst_change_with_the_pinned_version_and_the_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/slots"))
        .and(header("cal-api-version", versions::SLOTS))
        .and(header("authorization", "Bearer cal_live_test_key"))
        .and(query_param("eventTypeId", "123"))
        .and(query_param("timeZone", "Europe/London"))
        .and(query_param("start", "2026-10-23T00:00:00.000Z"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": {
                "2026-10-23": [{"start": "2026-10-23T10:00:00.000+01:00"}],
                "2026-10-26": [{"start": "2026-10-26T10:00:00.000+00:00"}, {"start": "2026-10-26T11:00:00.000+00:00"}]
            }
        })))
        .expect(1)
        .mount(&server)
        .await;
    let slots = client(&server)
        .slots(
            &settings(),
            utc("2026-10-23T00:00:00Z"),
            utc("2026-10-30T00:00:00Z"),
            london(),
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let starts: Vec<_> = slots.iter().map(|s| s.start).collect();
    assert_eq!(
        starts,
        vec![
            utc("2026-10-23T09:00:00Z"),
            utc("2026-10-26T10:00:00Z"),
            utc("2026-10-26T11:00:00Z")
        ]
    );
}

#[tokio::test]
async fn a_booking_sends_the_attendee_and_our_reference() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/bookings"))
        .and(header("cal-api-version", versions::BOOKINGS))
        .and(body_partial_json(json!({
            "start": "2026-10-26T10:00:00.000Z",
            "eventTypeId": 123,
            "attendee": {"name": "Sara", "email": "sara@example.com", "timeZone": "Europe/London", "language": "ar"},
            "metadata": {"lead_id": "lead-1"}
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "status": "success",
            "data": booking_data("bk_1", "2026-10-26T10:00:00.000Z")
        })))
        .expect(1)
        .mount(&server)
        .await;
    let booked = client(&server)
        .book(
            &settings(),
            &NewBooking {
                start: utc("2026-10-26T10:00:00Z"),
                name: "Sara".to_owned(),
                email: Email::parse("sara@example.com").ok(),
                phone: None,
                time_zone: london(),
                language: Language::Ar,
                metadata: BTreeMap::from([("lead_id".to_owned(), "lead-1".to_owned())]),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(booked.uid, "bk_1");
    assert_eq!(booked.start, utc("2026-10-26T10:00:00Z"));
    assert_eq!(
        booked.meeting_url.as_deref(),
        Some("https://app.cal.com/video/abc")
    );
}

#[tokio::test]
async fn reschedule_returns_the_new_booking_and_cancel_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v2/bookings/bk_1/reschedule"))
        .and(header("cal-api-version", versions::BOOKINGS))
        .and(body_partial_json(
            json!({"start": "2026-10-29T11:00:00.000Z"}),
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "status": "success",
            "data": booking_data("bk_2", "2026-10-29T11:00:00.000Z")
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/bookings/bk_2/cancel"))
        .and(header("cal-api-version", versions::BOOKINGS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "status": "success",
            "data": booking_data("bk_2", "2026-10-29T11:00:00.000Z")
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server);
    let moved = c
        .reschedule(&settings(), "bk_1", utc("2026-10-29T11:00:00Z"), None)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(moved.uid, "bk_2");
    c.cancel(&settings(), "bk_2", Some("lead asked".to_owned()))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
}

async fn error_for(
    status: u16,
    body: serde_json::Value,
    retry_after: Option<&str>,
) -> CalendarError {
    let server = MockServer::start().await;
    let mut response = ResponseTemplate::new(status).set_body_json(body);
    if let Some(v) = retry_after {
        response = response.insert_header("retry-after", v);
    }
    Mock::given(method("POST"))
        .and(path("/v2/bookings"))
        .respond_with(response)
        .mount(&server)
        .await;
    let result = client(&server)
        .book(
            &settings(),
            &NewBooking {
                start: utc("2026-10-26T10:00:00Z"),
                name: "Sara".to_owned(),
                email: Email::parse("sara@example.com").ok(),
                phone: None,
                time_zone: london(),
                language: Language::En,
                metadata: BTreeMap::new(),
            },
        )
        .await;
    match result {
        Err(e) => e,
        Ok(b) => panic!("expected an error, got {b:?}"),
    }
}

fn envelope(code: &str, message: &str) -> serde_json::Value {
    json!({
        "status": "error",
        "timestamp": "2026-10-20T10:00:00.000Z",
        "path": "/v2/bookings",
        "error": {"code": code, "message": message}
    })
}

#[tokio::test]
async fn errors_are_classified_so_a_lost_slot_is_never_confirmed() {
    assert!(matches!(
        error_for(409, envelope("BookingConflict", "booking conflict"), None).await,
        CalendarError::SlotTaken(_)
    ));
    assert!(matches!(
        error_for(
            400,
            envelope(
                "BadRequestException",
                "User either already has booking at this time or is not available"
            ),
            None
        )
        .await,
        CalendarError::SlotTaken(_)
    ));
    assert!(matches!(
        error_for(
            400,
            envelope(
                "BadRequestException",
                "responses - {title}error_required_field"
            ),
            None
        )
        .await,
        CalendarError::Rejected(_)
    ));
    assert_eq!(
        error_for(
            401,
            envelope("UnauthorizedException", "Invalid API key"),
            None
        )
        .await,
        CalendarError::Unauthorized
    );
    assert_eq!(
        error_for(
            429,
            envelope("ThrottlerException", "Too Many Requests"),
            Some("7")
        )
        .await,
        CalendarError::RateLimited {
            retry_after: Some(Duration::from_secs(7))
        }
    );
    let unavailable = error_for(503, json!({"message": "down"}), None).await;
    assert!(matches!(unavailable, CalendarError::Unavailable(_)));
    assert!(unavailable.is_retryable());
}

#[tokio::test]
async fn an_unreachable_calendar_is_retryable() {
    let c = CalcomClient::new("http://127.0.0.1:9", Duration::from_millis(500))
        .unwrap_or_else(|e| panic!("{e}"));
    let err = c
        .cancel(&settings(), "bk", None)
        .await
        .err()
        .unwrap_or_else(|| panic!("expected an error"));
    assert!(err.is_retryable(), "{err:?}");
}

#[test]
fn webhook_signatures_are_checked_against_the_raw_body() {
    let body = br#"{"triggerEvent":"BOOKING_CREATED","createdAt":"2026-10-20T10:00:00.000Z","payload":{"uid":"bk_9","startTime":"2026-10-26T10:00:00.000Z","endTime":"2026-10-26T10:30:00.000Z","attendees":[{"name":"Sara","email":"sara@example.com","timeZone":"Europe/London","language":{"locale":"en"}}],"metadata":{"lead_id":"abc"}}}"#;
    let good = sign("whsec-cal", body);
    assert_eq!(good.len(), 64);
    assert!(verify_signature("whsec-cal", body, &good));
    assert!(!verify_signature("other", body, &good));
    assert!(!verify_signature("whsec-cal", b"{}", &good));
    assert!(!verify_signature("whsec-cal", body, "no-secret-provided"));
    assert!(!verify_signature("whsec-cal", body, ""));
    let event = parse_event(body).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(event.trigger, Some(Trigger::Created));
    let payload = event.payload.unwrap_or_else(|| panic!("payload"));
    assert_eq!(payload.uid, "bk_9");
    assert_eq!(payload.lead_ref(), Some("abc"));
    assert_eq!(
        payload.attendees[0].email.as_deref(),
        Some("sara@example.com")
    );
    let other = parse_event(br#"{"triggerEvent":"BOOKING_PAID","payload":{}}"#)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(other.trigger, None);
    assert!(parse_event(b"not json").is_err());
}
