//! Cal.com API v2: free slots, bookings, reschedules and cancellations behind the domain's
//! [`Calendar`] port, and the verification and reading of Cal.com's webhooks.
//!
//! Cal.com versions each endpoint with the `cal-api-version` header; the versions this client
//! speaks are pinned in [`versions`], the one place to change when Cal.com moves.

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use chrono_tz::Tz;
use lead_domain::booking::{
    BookedMeeting, BookingSettings, Calendar, CalendarError, NewBooking, Slot,
};
use lead_domain::language::Language;
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

pub mod webhook;

/// Cal.com's public API root; paths start with `/v2`.
pub const DEFAULT_API_BASE_URL: &str = "https://api.cal.com";

/// The environment variable naming another API root (self-hosted Cal.com, tests): the origin,
/// without `/v2`.
pub const API_BASE_URL_ENV: &str = "CALCOM_API_BASE_URL";

/// A request timeout short enough to answer the lead in the same turn.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// The `cal-api-version` of each endpoint, from Cal.com's API v2 reference.
pub mod versions {
    /// `GET /v2/slots`.
    pub const SLOTS: &str = "2024-09-04";
    /// `POST /v2/bookings`, `/v2/bookings/{uid}/reschedule` and `/v2/bookings/{uid}/cancel`.
    pub const BOOKINGS: &str = "2026-02-25";
}

/// Why the client could not be built.
#[derive(Debug, thiserror::Error)]
pub enum CalcomSetupError {
    /// The base URL is not an absolute http(s) URL.
    #[error("invalid Cal.com API base URL {0:?}")]
    BaseUrl(String),
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client: {0}")]
    Http(#[from] reqwest::Error),
}

/// Talks to one Cal.com deployment for every tenant; each call carries the tenant's key.
#[derive(Debug, Clone)]
pub struct CalcomClient {
    http: reqwest::Client,
    base: String,
}

impl CalcomClient {
    /// A client for the deployment at `base_url` (`https://api.cal.com` or a self-hosted origin).
    ///
    /// # Errors
    /// [`CalcomSetupError`] when the URL is not http(s) or the HTTP client cannot be built.
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, CalcomSetupError> {
        let parsed = url::Url::parse(base_url)
            .map_err(|_| CalcomSetupError::BaseUrl(base_url.to_owned()))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(CalcomSetupError::BaseUrl(base_url.to_owned()));
        }
        let base = base_url
            .trim_end_matches('/')
            .trim_end_matches("/v2")
            .to_owned();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("lead-server/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, base })
    }

    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        version: &str,
        settings: &BookingSettings,
    ) -> reqwest::RequestBuilder {
        crate::trace_context::inject(
            self.http
                .request(method, format!("{}{path}", self.base))
                .bearer_auth(settings.api_key.expose())
                .header("cal-api-version", version),
        )
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, CalendarError> {
        let response = request
            .send()
            .await
            .map_err(|e| CalendarError::Unavailable(network_error(&e)))?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response
            .text()
            .await
            .map_err(|e| CalendarError::Unavailable(network_error(&e)))?;
        if status.is_success() {
            let value: Value = serde_json::from_str(&body).map_err(|e| {
                CalendarError::Unavailable(format!("unreadable Cal.com response: {e}"))
            })?;
            return Ok(value.get("data").cloned().unwrap_or(Value::Null));
        }
        Err(classify(status, &body, retry_after))
    }
}

fn network_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "Cal.com did not answer in time".to_owned()
    } else {
        "could not reach Cal.com".to_owned()
    }
}

/// The message of Cal.com's error envelope: `error.message`, else the top-level `message`.
fn error_message(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let nested = value
        .get("error")
        .and_then(|e| e.get("message"))
        .and_then(Value::as_str);
    let top = value.get("message").and_then(Value::as_str);
    nested
        .or(top)
        .map(str::to_owned)
        .unwrap_or_else(|| body.chars().take(200).collect())
}

/// Whether a 400 says the time is taken: Cal.com answers a lost slot with 400 on some paths.
fn says_unavailable(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "not available",
        "already has booking",
        "no_available_users",
        "no available users",
        "unavailable",
        "booking conflict",
        "seats full",
    ]
    .iter()
    .any(|needle| m.contains(needle))
}

fn classify(status: StatusCode, body: &str, retry_after: Option<Duration>) -> CalendarError {
    let message = error_message(body);
    match status.as_u16() {
        401 | 403 => CalendarError::Unauthorized,
        404 => CalendarError::NotFound(message),
        409 => CalendarError::SlotTaken(message),
        400 if says_unavailable(&message) => CalendarError::SlotTaken(message),
        429 => CalendarError::RateLimited { retry_after },
        s if s >= 500 => CalendarError::Unavailable(format!("Cal.com answered {s}: {message}")),
        _ => CalendarError::Rejected(message),
    }
}

fn utc_iso(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    value
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Reads the booking in a response's `data`; recurring event types answer with a list.
fn booked_meeting(data: &Value) -> Result<BookedMeeting, CalendarError> {
    let booking = match data {
        Value::Array(items) => items.first().unwrap_or(&Value::Null),
        other => other,
    };
    let uid = booking
        .get("uid")
        .and_then(Value::as_str)
        .ok_or_else(|| CalendarError::Unavailable("Cal.com booking without a uid".to_owned()))?;
    let start = parse_time(booking.get("start"))
        .ok_or_else(|| CalendarError::Unavailable("Cal.com booking without a start".to_owned()))?;
    Ok(BookedMeeting {
        uid: uid.to_owned(),
        start,
        end: parse_time(booking.get("end")),
        status: booking
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or("accepted")
            .to_owned(),
        meeting_url: booking
            .get("meetingUrl")
            .and_then(Value::as_str)
            .filter(|u| u.starts_with("http"))
            .map(str::to_owned),
    })
}

#[derive(Debug, Deserialize)]
struct SlotItem {
    start: String,
}

const fn language_code(language: Language) -> &'static str {
    match language {
        Language::En => "en",
        Language::Ar => "ar",
    }
}

#[async_trait]
impl Calendar for CalcomClient {
    async fn slots(
        &self,
        settings: &BookingSettings,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        time_zone: Tz,
    ) -> Result<Vec<Slot>, CalendarError> {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("eventTypeId", &settings.event_type_id.to_string())
            .append_pair("start", &utc_iso(from))
            .append_pair("end", &utc_iso(to))
            .append_pair("timeZone", time_zone.name())
            .finish();
        let path = format!("/v2/slots?{query}");
        let request = self.request(reqwest::Method::GET, &path, versions::SLOTS, settings);
        let data = self.send(request).await?;
        let days: BTreeMap<String, Vec<SlotItem>> = serde_json::from_value(data)
            .map_err(|e| CalendarError::Unavailable(format!("unreadable Cal.com slots: {e}")))?;
        let mut slots: Vec<Slot> = days
            .values()
            .flatten()
            .filter_map(|s| DateTime::parse_from_rfc3339(&s.start).ok())
            .map(|d| Slot {
                start: d.with_timezone(&Utc),
            })
            .collect();
        slots.sort();
        Ok(slots)
    }

    async fn book(
        &self,
        settings: &BookingSettings,
        booking: &NewBooking,
    ) -> Result<BookedMeeting, CalendarError> {
        let mut attendee = json!({
            "name": booking.name,
            "timeZone": booking.time_zone.name(),
            "language": language_code(booking.language),
        });
        if let Some(email) = &booking.email {
            attendee["email"] = json!(email.as_str());
        }
        if let Some(phone) = &booking.phone {
            attendee["phoneNumber"] = json!(phone.as_str());
        }
        let body = json!({
            "start": utc_iso(booking.start),
            "eventTypeId": settings.event_type_id,
            "attendee": attendee,
            "metadata": booking.metadata,
        });
        let request = self
            .request(
                reqwest::Method::POST,
                "/v2/bookings",
                versions::BOOKINGS,
                settings,
            )
            .json(&body);
        booked_meeting(&self.send(request).await?)
    }

    async fn reschedule(
        &self,
        settings: &BookingSettings,
        uid: &str,
        start: DateTime<Utc>,
        reason: Option<String>,
    ) -> Result<BookedMeeting, CalendarError> {
        let mut body = json!({ "start": utc_iso(start) });
        if let Some(reason) = reason {
            body["reschedulingReason"] = json!(reason);
        }
        let path = format!("/v2/bookings/{}/reschedule", urlencode(uid));
        let request = self
            .request(reqwest::Method::POST, &path, versions::BOOKINGS, settings)
            .json(&body);
        booked_meeting(&self.send(request).await?)
    }

    async fn cancel(
        &self,
        settings: &BookingSettings,
        uid: &str,
        reason: Option<String>,
    ) -> Result<(), CalendarError> {
        let mut body = json!({});
        if let Some(reason) = reason {
            body["cancellationReason"] = json!(reason);
        }
        let path = format!("/v2/bookings/{}/cancel", urlencode(uid));
        let request = self
            .request(reqwest::Method::POST, &path, versions::BOOKINGS, settings)
            .json(&body);
        self.send(request).await.map(|_| ())
    }
}

fn urlencode(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes()).collect()
}
