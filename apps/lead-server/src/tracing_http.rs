//! Request spans and W3C trace context. `tracing-actix-web` opens one server span per request
//! through [`ServerSpan`], named by method and route template (`POST /webhooks/{slug}`), with the
//! semantic-convention `http.*`, `url.*` and `server.*` attributes; an incoming `traceparent` makes
//! it a child of the caller's span. Jobs keep the `traceparent` of the span that enqueued them
//! (the store writes it), and [`job_span`] continues that trace in the worker, so one trace runs
//! from the webhook through the queue to the model call and the outbound send. The adapters write
//! `traceparent` on their own outgoing calls through the process's propagator, set by
//! [`install_propagator`].
//!
//! `tracing-actix-web`'s own OpenTelemetry features stop at an older OpenTelemetry release than
//! the workspace's, so the parent is set here with `tracing-opentelemetry` instead.

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use lead_domain::jobs::Job;
use opentelemetry::global;
use opentelemetry::propagation::Extractor;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use std::collections::HashMap;
use std::time::Instant;
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::RootSpanBuilder;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The header carrying the request id, echoed on every response.
pub const REQUEST_ID: &str = "x-request-id";

/// The request id of a request (the caller's `X-Request-Id` when sane, otherwise a new one), kept
/// in the request's extensions for the access log and the response header.
#[derive(Debug, Clone)]
pub struct RequestIdentity(pub String);

/// Makes the W3C Trace Context propagator the process's own, so incoming `traceparent` headers are
/// read and outgoing calls carry one. Calling it again changes nothing.
pub fn install_propagator() {
    global::set_text_map_propagator(TraceContextPropagator::new());
}

/// Reads propagation headers from actix's header map.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0
            .keys()
            .map(actix_web::http::header::HeaderName::as_str)
            .collect()
    }
}

/// The caller's request id when it is short and plain, otherwise a new one.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| {
            use lead_domain::ports::IdGenerator as _;
            crate::adapters::UuidV7Ids.new_uuid().to_string()
        })
}

/// The span `tracing-actix-web` opens for every request. Neither the query string nor the
/// client's address is recorded: both can carry personal data.
pub struct ServerSpan;

impl RootSpanBuilder for ServerSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let id = request_id(request);
        request.extensions_mut().insert(RequestIdentity(id.clone()));
        let method = request.method().as_str();
        let route = request.match_pattern();
        let name = match &route {
            Some(route) => format!("{method} {route}"),
            None => method.to_owned(),
        };
        let info = request.connection_info();
        let (host, port) = split_host(info.host());
        let user_agent = request
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let span = tracing::info_span!(
            "request",
            otel.name = %name,
            otel.kind = "server",
            otel.status_code = Empty,
            http.request.method = %method,
            http.route = Empty,
            http.response.status_code = Empty,
            url.path = %request.path(),
            url.scheme = %info.scheme(),
            server.address = %host,
            server.port = port,
            network.protocol.version = protocol_version(request.version()),
            user_agent.original = %user_agent,
            request_id = %id,
        );
        drop(info);
        if let Some(route) = &route {
            span.record("http.route", route.as_str());
        }
        let parent = global::get_text_map_propagator(|p| p.extract(&Headers(request.headers())));
        // Without a tracing-opentelemetry layer (export off) there is nothing to link.
        let _ = span.set_parent(parent);
        span
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        let status = match outcome {
            Ok(response) => response.status(),
            Err(error) => error.as_response_error().status_code(),
        };
        span.record("http.response.status_code", status.as_u16());
        // Client errors are the caller's; only server errors mark the span failed.
        if status.is_server_error() {
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// Writes the access log line (method, path without query string, status, latency) inside the
/// request's span, and echoes the request id on the response.
///
/// # Errors
/// The inner service's error, unchanged.
pub async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let request_id = req
        .extensions()
        .get::<RequestIdentity>()
        .map(|id| id.0.clone());
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let started = Instant::now();
    let mut res = next.call(req).await?;
    let status = res.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::error!(%method, %path, status, latency_ms, "request");
    } else {
        tracing::info!(%method, %path, status, latency_ms, "request");
    }
    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), value);
    }
    Ok(res)
}

/// `host:port` split into the host and the port, when one is given.
fn split_host(host: &str) -> (&str, Option<u16>) {
    match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') || name.starts_with('[') => {
            match port.parse::<u16>() {
                Ok(port) => (name, Some(port)),
                Err(_) => (host, None),
            }
        }
        _ => (host, None),
    }
}

/// The protocol version as the semantic conventions write it.
fn protocol_version(version: actix_web::http::Version) -> &'static str {
    match version {
        actix_web::http::Version::HTTP_09 => "0.9",
        actix_web::http::Version::HTTP_10 => "1.0",
        actix_web::http::Version::HTTP_2 => "2",
        actix_web::http::Version::HTTP_3 => "3",
        _ => "1.1",
    }
}

/// The span one run of a job executes in: a consumer span named after the job's kind, the child
/// of the span that enqueued it when the job kept its trace context.
pub fn job_span(job: &Job) -> Span {
    let kind = job.payload.kind();
    let span = tracing::info_span!(
        "job",
        otel.name = %format!("job {kind}"),
        otel.kind = "consumer",
        otel.status_code = Empty,
        job.kind = kind,
        job.id = %job.id,
        job.attempt = job.attempts,
    );
    if let Some(traceparent) = &job.trace_context {
        let carrier = HashMap::from([("traceparent".to_owned(), traceparent.clone())]);
        let parent = global::get_text_map_propagator(|p| p.extract(&carrier));
        let _ = span.set_parent(parent);
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_split_into_name_and_port() {
        assert_eq!(split_host("example.com:8080"), ("example.com", Some(8080)));
        assert_eq!(split_host("example.com"), ("example.com", None));
        assert_eq!(split_host("[::1]:80"), ("[::1]", Some(80)));
        assert_eq!(split_host("[::1]"), ("[::1]", None));
    }
}
