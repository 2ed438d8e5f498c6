//! The one table from failure to HTTP status and stable `code`, rendered as RFC 9457 problem documents.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use lead_domain::lifecycle::IllegalTransition;
use lead_domain::ports::StoreError;
use serde::Serialize;
use std::fmt;
use utoipa::ToSchema;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// One field at fault in a rejected request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request (`phone`, `business_hours.monday.start`, `header:Idempotency-Key`).
    pub field: String,
    /// Stable snake_case reason (`required`, `invalid_phone`, `too_long`, `unknown_field`).
    pub code: String,
    /// What is wrong, for people.
    pub message: String,
}

impl FieldError {
    /// A field error from its parts.
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// Every way a request can fail; [`ApiError::status`] and [`ApiError::code`] are the one table.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body parsed but its fields are wrong.
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The body is not a valid form encoding.
    #[error("the body is not a valid form: {0}")]
    MalformedForm(String),
    /// The content type is not the one the endpoint reads.
    #[error("unsupported content type: expected {expected}")]
    UnsupportedMediaType {
        /// The type the endpoint reads.
        expected: &'static str,
    },
    /// The body is larger than the limit.
    #[error("the body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A query parameter is malformed.
    #[error("invalid query string: {0}")]
    InvalidQuery(String),
    /// No `X-API-Key` header.
    #[error("the X-API-Key header is missing")]
    MissingApiKey,
    /// The key is unknown, expired or malformed.
    #[error("the API key is not valid")]
    InvalidApiKey,
    /// No admin bearer token.
    #[error("an admin bearer token is required")]
    MissingAdminToken,
    /// The admin token is wrong.
    #[error("the admin token is not valid")]
    InvalidAdminToken,
    /// A Twilio request whose signature does not match.
    #[error("the twilio request signature is not valid: {0}")]
    InvalidSignature(String),
    /// A provider webhook without a valid signature for the tenant it names (Cal.com).
    #[error("invalid webhook signature: {0}")]
    UnsignedWebhook(String),
    /// A live-chat request with a widget key no client has.
    #[error("the widget key is not valid")]
    UnknownWidgetKey,
    /// A browser request from a page whose origin the client did not allow.
    #[error("this origin is not allowed to use the chat widget of this client")]
    OriginNotAllowed,
    /// A Twilio webhook to a number no client registered.
    #[error("no client registered the number {0}")]
    UnknownNumber(String),
    /// The resource does not exist for this caller (another tenant's resource looks the same).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// No route matches the path.
    #[error("no route matches {0}")]
    RouteNotFound(String),
    /// The route exists with other methods.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A unique value is taken, or the request conflicts with the resource's state; the message
    /// names the field (`slug already in use`), never the database's words.
    #[error("{0}")]
    Conflict(String),
    /// The lifecycle table refuses the change.
    #[error("illegal lifecycle transition: {0}")]
    IllegalTransition(IllegalTransition),
    /// Someone else changed the record first.
    #[error("the record was changed by another request; read it again and retry")]
    ConcurrentUpdate,
    /// Too many requests for this tenant.
    #[error("rate limit exceeded; retry after {retry_after_secs} seconds")]
    RateLimited {
        /// Seconds until a request will be accepted.
        retry_after_secs: u64,
    },
    /// The endpoint exists but its channel is not wired in this build.
    #[error("{0} is not available yet")]
    NotImplemented(&'static str),
    /// A dependency (database, Redis) is down.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// Anything else; the cause is logged, never returned.
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    /// The stable snake_case code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_failed",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::MalformedForm(_) => "malformed_form",
            ApiError::UnsupportedMediaType { .. } => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::InvalidQuery(_) => "invalid_query",
            ApiError::MissingApiKey => "missing_api_key",
            ApiError::InvalidApiKey => "invalid_api_key",
            ApiError::MissingAdminToken => "missing_admin_token",
            ApiError::InvalidAdminToken => "invalid_admin_token",
            ApiError::InvalidSignature(_) | ApiError::UnsignedWebhook(_) => "invalid_signature",
            ApiError::UnknownNumber(_) => "unknown_number",
            ApiError::UnknownWidgetKey => "invalid_widget_key",
            ApiError::OriginNotAllowed => "origin_not_allowed",
            ApiError::NotFound(_) => "not_found",
            ApiError::RouteNotFound(_) => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::Conflict(_) => "conflict",
            ApiError::IllegalTransition(_) => "illegal_transition",
            ApiError::ConcurrentUpdate => "concurrent_update",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::NotImplemented(_) => "not_implemented",
            ApiError::Unavailable(_) => "service_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The HTTP status of each error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) | ApiError::MalformedForm(_) | ApiError::InvalidQuery(_) => {
                StatusCode::BAD_REQUEST
            }
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::MissingApiKey
            | ApiError::InvalidApiKey
            | ApiError::MissingAdminToken
            | ApiError::InvalidAdminToken
            | ApiError::UnknownWidgetKey
            | ApiError::UnsignedWebhook(_) => StatusCode::UNAUTHORIZED,
            ApiError::InvalidSignature(_) | ApiError::OriginNotAllowed => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) | ApiError::RouteNotFound(_) | ApiError::UnknownNumber(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) | ApiError::IllegalTransition(_) | ApiError::ConcurrentUpdate => {
                StatusCode::CONFLICT
            }
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A validation failure of a single field.
    pub fn field(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError::Validation(vec![FieldError::new(field, code, message)])
    }

    /// The problem document of this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let errors = match self {
            ApiError::Validation(errors) => Some(errors.clone()),
            _ => None,
        };
        Problem {
            kind: crate::problems::type_uri(self.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code: self.code().to_owned(),
            errors,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            // The database's own text (constraint names, values) is logged, never returned: the
            // answer names the field only.
            StoreError::Conflict(msg) => {
                tracing::info!(cause = %msg, "conflict");
                // The store names the field ("slug already in use") when it knows it.
                if msg.ends_with("already in use") && !msg.contains(':') {
                    ApiError::Conflict(msg)
                } else {
                    ApiError::Conflict(format!(
                        "another record already has this {}",
                        conflicting_field(&msg)
                    ))
                }
            }
            StoreError::Stale(_) => ApiError::ConcurrentUpdate,
            StoreError::Unavailable(msg) => {
                tracing::warn!(cause = %msg, "storage unavailable");
                ApiError::Unavailable("the database is not reachable right now".to_owned())
            }
            StoreError::Unexpected(msg) => {
                ApiError::Internal(anyhow::anyhow!("storage failure: {msg}"))
            }
        }
    }
}

/// The public field a unique-constraint failure is about, read from the constraint or column name
/// in the database's message; `value` when none is recognised.
fn conflicting_field(message: &str) -> &'static str {
    let message = message.to_ascii_lowercase();
    [
        ("slug", "slug"),
        ("widget_key", "widget_key"),
        ("key_hash", "api_key"),
        ("api_keys", "api_key"),
        ("phone_numbers", "phone_number"),
        ("number", "phone_number"),
        ("email", "email"),
        ("phone", "phone"),
        ("idempotency", "Idempotency-Key"),
    ]
    .into_iter()
    .find(|(needle, _)| message.contains(needle))
    .map_or("value", |(_, field)| field)
}

impl From<IllegalTransition> for ApiError {
    fn from(err: IllegalTransition) -> Self {
        ApiError::IllegalTransition(err)
    }
}

/// An RFC 9457 problem document with our `code` and, for validation, the fields at fault.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type; it resolves to a page explaining the code
    /// (`/docs/problems/validation_failed`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary of the status.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// Stable snake_case code.
    pub code: String,
    /// The fields at fault, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => {
                tracing::error!(error = ?cause, "request failed with an internal error");
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "request failed: a dependency is unavailable");
            }
            _ => {}
        }
        let mut builder = HttpResponse::build(self.status());
        builder.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        if let ApiError::RateLimited { retry_after_secs } = self {
            builder.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        builder.body(serde_json::to_string(&self.problem()).unwrap_or_else(|_| {
            r#"{"type":"/docs/problems/internal_error","title":"Internal Server Error","status":500,"detail":"internal error","code":"internal_error"}"#.to_owned()
        }))
    }
}

/// Converts the framework's own extractor errors (paths, queries) into problem documents.
pub mod handlers {
    use super::ApiError;
    use actix_web::error::{PathError, QueryPayloadError};
    use actix_web::{Error, HttpRequest};

    /// A malformed id in a path names no resource.
    pub fn path_error(_err: PathError, _req: &HttpRequest) -> Error {
        ApiError::NotFound("resource").into()
    }

    /// A malformed query string.
    pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> Error {
        ApiError::InvalidQuery(err.to_string()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_distinct_problem_body() {
        let err = ApiError::field("phone", "invalid_phone", "not a phone number");
        let p = err.problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.code, "validation_failed");
        assert_eq!(p.kind, "/docs/problems/validation_failed");
        assert_eq!(p.errors.map(|e| e.len()), Some(1));
    }

    #[test]
    fn store_errors_map_to_http_classes() {
        assert_eq!(
            ApiError::from(StoreError::Conflict("slug".into())).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::from(StoreError::Stale("lead".into())).code(),
            "concurrent_update"
        );
        assert_eq!(
            ApiError::from(StoreError::Unavailable("down".into())).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert_eq!(
            ApiError::from(StoreError::Unexpected("boom".into())).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn conflicts_name_the_field_never_the_database_text() {
        let err = ApiError::from(StoreError::Conflict(
            "creating client: Execution Error: error returned from database: duplicate key value violates unique constraint \"clients_slug_key\" DETAIL: Key (slug)=(acme) already exists".into(),
        ));
        let detail = err.problem().detail;
        assert!(detail.contains("slug"), "{detail}");
        assert!(
            !detail.contains("acme") && !detail.contains("constraint"),
            "{detail}"
        );
        let down = ApiError::from(StoreError::Unavailable(
            "pool timed out: 10.0.0.5:5432".into(),
        ));
        assert!(!down.problem().detail.contains("10.0.0.5"));
    }

    #[test]
    fn internal_causes_are_not_returned() {
        let err = ApiError::Internal(anyhow::anyhow!("password=hunter2 leaked in a cause"));
        assert!(!err.problem().detail.contains("hunter2"));
    }
}
