//! Error reporting to Sentry when `SENTRY_DSN` is set: panics (the panic integration), server
//! errors answered over HTTP (the actix integration, with the request's method, route and URL
//! path only), and `ERROR` events logged outside a request (the tracing integration; lower levels
//! become breadcrumbs). No personal data leaves: `send_default_pii` stays off, request bodies are
//! never read, and [`scrub`] removes query strings, cookies, headers and user fields from every
//! event before it is sent.

use crate::config::Settings;
use sentry::protocol::Event;
use sentry::types::Dsn;
use std::str::FromStr;
use tracing::{Level, Metadata};

/// The `tracing` targets whose `ERROR` events are already reported through the actix integration
/// (the failed request's own report), so they travel as breadcrumbs of that report instead of
/// reports of their own.
const REPORTED_BY_HTTP: &[&str] = &["lead_server::error", "lead_server::tracing_http"];

/// Headers kept on a reported request; every other header (authorisation, keys, cookies, client
/// addresses) is dropped.
const KEPT_HEADERS: &[&str] = &["content-type", "accept", "user-agent", "x-request-id"];

/// Why error reporting could not start.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration SENTRY_DSN: {0}")]
pub struct ReportingError(String);

/// Keeps the Sentry client alive; dropping it sends the reports still queued (up to two seconds).
pub struct ReportingGuard {
    _guard: Option<sentry::ClientInitGuard>,
}

impl ReportingGuard {
    /// Whether reports are being sent.
    pub fn is_enabled(&self) -> bool {
        self._guard.as_ref().is_some_and(|g| g.is_enabled())
    }
}

/// Starts the Sentry client when `SENTRY_DSN` is set; does nothing otherwise.
///
/// # Errors
/// [`ReportingError`] when the DSN cannot be parsed.
pub fn init(settings: &Settings) -> Result<ReportingGuard, ReportingError> {
    let Some(dsn) = &settings.sentry_dsn else {
        return Ok(ReportingGuard { _guard: None });
    };
    let dsn = Dsn::from_str(dsn.expose().trim()).map_err(|e| ReportingError(e.to_string()))?;
    let mut options = sentry::ClientOptions::new()
        .release(concat!(
            env!("CARGO_PKG_NAME"),
            "@",
            env!("CARGO_PKG_VERSION")
        ))
        .send_default_pii(false)
        .max_request_body_size(sentry::MaxRequestBodySize::None)
        // Traces are not sent to Sentry (spans go to the OpenTelemetry collector), nor sessions
        // (the release-health feature is off).
        .traces_sample_rate(0.0)
        .before_send(|event| Some(scrub(event)));
    if let Some(environment) = &settings.sentry_environment {
        options = options.environment(environment.clone());
    }
    let options = sentry::ClientOptions::from((dsn, options));
    Ok(ReportingGuard {
        _guard: Some(sentry::init(options)),
    })
}

/// Whether Sentry is configured, so the HTTP middleware and the tracing layer are installed.
pub fn is_configured(settings: &Settings) -> bool {
    settings.sentry_dsn.is_some()
}

/// An event without personal data: no user, and of the request only its method, the URL without
/// query string or fragment, and a few harmless headers.
pub fn scrub(mut event: Event<'static>) -> Event<'static> {
    event.user = None;
    if let Some(request) = event.request.as_mut() {
        request.data = None;
        request.query_string = None;
        request.cookies = None;
        request.env.clear();
        request
            .headers
            .retain(|name, _| KEPT_HEADERS.contains(&name.to_ascii_lowercase().as_str()));
        if let Some(url) = request.url.as_mut() {
            url.set_query(None);
            url.set_fragment(None);
        }
    }
    event
}

/// Whether an event becomes a Sentry report of its own: `ERROR`, unless the failed request is
/// reported already.
pub fn is_report(metadata: &Metadata<'_>) -> bool {
    *metadata.level() == Level::ERROR && !REPORTED_BY_HTTP.contains(&metadata.target())
}

/// Whether an event becomes a breadcrumb of the next report: `WARN` and `INFO`, and the errors a
/// request's own report covers.
pub fn is_breadcrumb(metadata: &Metadata<'_>) -> bool {
    matches!(*metadata.level(), Level::WARN | Level::INFO)
        || (*metadata.level() == Level::ERROR && !is_report(metadata))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sentry::protocol::{Request, User};

    #[test]
    fn scrubbing_removes_personal_data_from_the_request() {
        let mut headers = std::collections::BTreeMap::new();
        headers.insert("Authorization".to_owned(), "Bearer secret".to_owned());
        headers.insert("X-Api-Key".to_owned(), "lk_secret".to_owned());
        headers.insert("Content-Type".to_owned(), "application/json".to_owned());
        let event = Event {
            user: Some(User {
                email: Some("a@example.com".to_owned()),
                ..Default::default()
            }),
            request: Some(Request {
                url: "https://api.example.com/api/v1/leads?phone=%2B966501234567#x"
                    .parse()
                    .ok(),
                method: Some("GET".to_owned()),
                data: Some("{\"phone\":\"+966501234567\"}".to_owned()),
                query_string: Some("phone=%2B966501234567".to_owned()),
                cookies: Some("session=abc".to_owned()),
                headers: headers.into_iter().collect(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let event = scrub(event);
        assert!(event.user.is_none());
        let Some(request) = event.request else {
            panic!("the request stays")
        };
        assert_eq!(
            request.url.map(|u| u.to_string()).as_deref(),
            Some("https://api.example.com/api/v1/leads")
        );
        assert!(request.data.is_none() && request.query_string.is_none());
        assert!(request.cookies.is_none());
        assert_eq!(
            request.headers.keys().collect::<Vec<_>>(),
            vec!["Content-Type"]
        );
    }

    #[test]
    fn http_errors_are_breadcrumbs_and_other_errors_are_reports() {
        struct Probe;
        impl tracing::Callsite for Probe {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &Metadata<'_> {
                unreachable!("not registered")
            }
        }
        let meta = |target: &'static str, level| {
            Metadata::new(
                "event",
                target,
                level,
                None,
                None,
                None,
                tracing::field::FieldSet::new(&[], tracing::callsite::Identifier(&Probe)),
                tracing::metadata::Kind::EVENT,
            )
        };
        let http = meta("lead_server::error", Level::ERROR);
        assert!(!is_report(&http) && is_breadcrumb(&http));
        let worker = meta("lead_server::worker", Level::ERROR);
        assert!(is_report(&worker) && !is_breadcrumb(&worker));
        let debug = meta("lead_server::worker", Level::DEBUG);
        assert!(!is_report(&debug) && !is_breadcrumb(&debug));
    }
}
