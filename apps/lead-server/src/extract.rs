//! Request body extractors with precise errors: 415 for the wrong content type, 413 past the
//! size limit, 400 for broken JSON, 422 with the field path for wrong, missing or unknown fields.

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use futures::StreamExt;
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// The size limit when the application state is missing (unit tests of handlers).
const FALLBACK_LIMIT: usize = 64 * 1024;

/// A JSON body, checked for shape by serde (unknown fields rejected by the type) and for content by `validator`.
pub struct ValidJson<T>(pub T);

/// Reads the body up to `limit` bytes.
async fn read_body(
    req: &HttpRequest,
    payload: &mut Payload,
    limit: usize,
) -> Result<web::BytesMut, ApiError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::MalformedJson(format!("could not read the body: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let essence = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        })
        .unwrap_or(false)
}

fn body_limit(req: &HttpRequest) -> usize {
    req.app_data::<web::Data<AppState>>()
        .map(|s| s.settings.max_body_bytes)
        .unwrap_or(FALLBACK_LIMIT)
}

/// Parses JSON into `T`, turning serde's errors into 400 (syntax) or 422 (data, with the field path).
///
/// # Errors
/// [`ApiError::MalformedJson`] or [`ApiError::Validation`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    reject_nul_json(bytes)?;
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::Validation(vec![data_error(&path, &inner)])
            }
            serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof
            | serde_json::error::Category::Io => ApiError::MalformedJson(format!(
                "line {} column {}: {inner}",
                inner.line(),
                inner.column()
            )),
        }
    })?;
    // Trailing characters after the value are a syntax error too.
    de.end().map_err(|e| {
        ApiError::MalformedJson(format!("line {} column {}: {e}", e.line(), e.column()))
    })?;
    Ok(value)
}

/// The message of every field refused for U+0000.
const NUL_MESSAGE: &str = "must not contain the NUL character (U+0000)";

/// Refuses U+0000 anywhere in a JSON body's strings or keys: PostgreSQL stores no NUL in text or
/// JSON, so such a value would fail deep in the database instead of here with its field named.
/// A NUL can only be written as the escape `\u0000` in JSON, so bodies without that text are
/// passed over at the cost of one scan.
///
/// # Errors
/// [`ApiError::Validation`] naming each field with `invalid_character`.
pub fn reject_nul_json(bytes: &[u8]) -> Result<(), ApiError> {
    if !bytes.windows(6).any(|w| w == b"\\u0000") {
        return Ok(());
    }
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        // Broken JSON is reported by the typed parse with its position.
        return Ok(());
    };
    let mut errors = Vec::new();
    nul_paths(&value, "", &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn nul_paths(value: &serde_json::Value, path: &str, out: &mut Vec<FieldError>) {
    let at = |p: &str| {
        if p.is_empty() {
            "body".to_owned()
        } else {
            p.to_owned()
        }
    };
    match value {
        serde_json::Value::String(text) if text.contains('\0') => {
            out.push(FieldError::new(at(path), "invalid_character", NUL_MESSAGE));
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                nul_paths(item, &format!("{path}[{i}]"), out);
            }
        }
        serde_json::Value::Object(fields) => {
            for (name, item) in fields {
                let child = if path.is_empty() {
                    name.clone()
                } else {
                    format!("{path}.{name}")
                };
                if name.contains('\0') {
                    out.push(FieldError::new(
                        at(&child.replace('\0', "\\u0000")),
                        "invalid_character",
                        NUL_MESSAGE,
                    ));
                    continue;
                }
                nul_paths(item, &child, out);
            }
        }
        _ => {}
    }
}

/// Refuses U+0000 in any form field (name or value), naming the field.
///
/// # Errors
/// [`ApiError::Validation`] with `invalid_character`.
pub fn reject_nul_form(bytes: &[u8]) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = url::form_urlencoded::parse(bytes)
        .filter(|(k, v)| k.contains('\0') || v.contains('\0'))
        .map(|(k, _)| FieldError::new(k.replace('\0', "\\u0000"), "invalid_character", NUL_MESSAGE))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn data_error(path: &str, err: &serde_json::Error) -> FieldError {
    let text = err.to_string();
    // serde's messages carry the field name between backticks; the position suffix is noise here.
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    let parent = if path == "." { "" } else { path };
    let join = |name: &str| {
        if parent.is_empty() || parent == name || parent.ends_with(&format!(".{name}")) {
            if parent.is_empty() {
                name.to_owned()
            } else {
                parent.to_owned()
            }
        } else {
            format!("{parent}.{name}")
        }
    };
    if let Some(name) = named("unknown field `") {
        FieldError::new(join(&name), "unknown_field", message)
    } else if let Some(name) = named("missing field `") {
        FieldError::new(join(&name), "required", message)
    } else {
        let field = if parent.is_empty() {
            "body".to_owned()
        } else {
            parent.to_owned()
        };
        FieldError::new(field, "invalid_type", message)
    }
}

/// Flattens `validator`'s nested errors into field paths.
pub fn validation_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out.sort_by(|a, b| a.field.cmp(&b.field));
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for e in list {
                    out.push(field_error(&path, e));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

fn field_error(path: &str, e: &validator::ValidationError) -> FieldError {
    let param = |name: &str| e.params.get(name).map(|v| v.to_string());
    let code = match e.code.as_ref() {
        "length" => "invalid_length",
        "email" => "invalid_email",
        "range" => "out_of_range",
        "regex" => "invalid_format",
        "url" => "invalid_url",
        other => other,
    };
    let message = match (&e.message, e.code.as_ref()) {
        (Some(m), _) => m.to_string(),
        (None, "length") => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must have {min} to {max} characters"),
            (Some(min), None) => format!("must have at least {min} characters"),
            (None, Some(max)) => format!("must have at most {max} characters"),
            (None, None) => "has the wrong length".to_owned(),
        },
        (None, "range") => match (param("min"), param("max")) {
            (Some(min), Some(max)) => format!("must be between {min} and {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (None, None) => "is out of range".to_owned(),
        },
        (None, "email") => "is not a valid email address".to_owned(),
        (None, other) => Cow::from(other.replace('_', " ")).into_owned(),
    };
    FieldError::new(path, code, message)
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                });
            }
            let body = read_body(&req, &mut payload, body_limit(&req)).await?;
            let value: T = parse_json(&body)?;
            value
                .validate()
                .map_err(|e| ApiError::Validation(validation_errors(&e)))?;
            Ok(ValidJson(value))
        })
    }
}

/// An optional JSON body: empty means `None`, otherwise as [`ValidJson`].
pub struct OptionalJson<T>(pub Option<T>);

impl<T: DeserializeOwned + Validate + 'static> FromRequest for OptionalJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let body = read_body(&req, &mut payload, body_limit(&req)).await?;
            if body.iter().all(u8::is_ascii_whitespace) {
                return Ok(OptionalJson(None));
            }
            if !is_json(&req) {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/json",
                });
            }
            let value: T = parse_json(&body)?;
            value
                .validate()
                .map_err(|e| ApiError::Validation(validation_errors(&e)))?;
            Ok(OptionalJson(Some(value)))
        })
    }
}

/// Raw form-encoded body bytes, size-limited, for Twilio webhooks whose signature covers the parameters.
pub struct FormBody(pub web::Bytes);

impl FromRequest for FormBody {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        let mut payload = payload.take();
        Box::pin(async move {
            let is_form = req
                .headers()
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| {
                    v.split(';')
                        .next()
                        .unwrap_or("")
                        .trim()
                        .eq_ignore_ascii_case("application/x-www-form-urlencoded")
                });
            if !is_form {
                return Err(ApiError::UnsupportedMediaType {
                    expected: "application/x-www-form-urlencoded",
                });
            }
            let body = read_body(&req, &mut payload, body_limit(&req)).await?;
            reject_nul_form(&body)?;
            Ok(FormBody(body.freeze()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        nested: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        start: String,
    }

    fn check(json: &str) -> (u16, Vec<(String, String)>) {
        match parse_json::<Body>(json.as_bytes()) {
            Ok(_) => (200, vec![]),
            Err(e) => {
                let fields = match &e {
                    ApiError::Validation(list) => list
                        .iter()
                        .map(|f| (f.field.clone(), f.code.clone()))
                        .collect(),
                    _ => vec![],
                };
                (e.status().as_u16(), fields)
            }
        }
    }

    #[test]
    fn nul_is_refused_with_the_field_named() {
        assert_eq!(
            check(r#"{"name":"a\u0000b"}"#),
            (422, vec![("name".into(), "invalid_character".into())])
        );
        assert_eq!(
            check(r#"{"name":"a","nested":{"start":"\u0000"}}"#),
            (
                422,
                vec![("nested.start".into(), "invalid_character".into())]
            )
        );
        // An escaped backslash followed by "u0000" is not a NUL.
        assert_eq!(check(r#"{"name":"a\\u0000"}"#), (200, vec![]));
        assert!(reject_nul_form(b"Body=hi%00there&To=%2B1").is_err());
        assert!(reject_nul_form(b"Body=hi+there").is_ok());
    }

    #[test]
    fn json_errors_are_classified() {
        assert_eq!(check(r#"{"name":"a"}"#), (200, vec![]));
        assert_eq!(check(r#"{"name":"#).0, 400);
        assert_eq!(check(r#"{"name":"a"} trailing"#).0, 400);
        assert_eq!(
            check(r#"{}"#),
            (422, vec![("name".into(), "required".into())])
        );
        assert_eq!(
            check(r#"{"name":1}"#),
            (422, vec![("name".into(), "invalid_type".into())])
        );
        assert_eq!(
            check(r#"{"name":"a","extra":1}"#),
            (422, vec![("extra".into(), "unknown_field".into())])
        );
        assert_eq!(
            check(r#"{"name":"a","nested":{"start":"x","bogus":1}}"#),
            (422, vec![("nested.bogus".into(), "unknown_field".into())])
        );
        assert_eq!(
            check(r#"{"name":"a","nested":{}}"#),
            (422, vec![("nested.start".into(), "required".into())])
        );
    }
}
