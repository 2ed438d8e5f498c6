//! HTTP conventions every route gets without doing anything: `HEAD` wherever `GET` is served,
//! `405` with `Allow` for a known path called with the wrong method, compression of JSON, HTML
//! and scripts above [`COMPRESS_MIN_BYTES`], and `ETag`/`If-None-Match` for fixed documents.
//!
//! The methods of a path come from the OpenAPI document (every API route is documented there)
//! plus [`UNDOCUMENTED_ROUTES`], the pages and assets the document does not describe.

use crate::error::ApiError;
use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::OnceLock;
use utoipa::OpenApi;

/// Bodies smaller than this are sent uncompressed: below about a kilobyte the encoding's framing
/// costs more than it saves.
pub const COMPRESS_MIN_BYTES: u64 = 1024;

/// Routes served but not described in the OpenAPI document: `(path template, methods)`.
pub const UNDOCUMENTED_ROUTES: &[(&str, &[&str])] = &[
    ("/openapi.json", &["GET"]),
    ("/docs", &["GET"]),
    ("/docs/problems", &["GET"]),
    ("/docs/problems/{code}", &["GET"]),
    ("/metrics", &["GET"]),
    ("/widget.js", &["GET"]),
    ("/widget/demo.html", &["GET"]),
    ("/webhooks/live-chat", &["OPTIONS"]),
    ("/webhooks/live-chat/stream", &["OPTIONS"]),
    ("/webhooks/live-chat/config", &["OPTIONS"]),
    ("/webhooks/live-chat/history", &["OPTIONS"]),
];

/// Path templates split into segments, with the methods each serves.
type RouteTable = Vec<(Vec<String>, Vec<String>)>;

fn route_table() -> &'static RouteTable {
    static TABLE: OnceLock<RouteTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut methods: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let doc = crate::routes::docs::ApiDoc::openapi();
        for (path, item) in &doc.paths.paths {
            let entry = methods.entry(path.clone()).or_default();
            let ops = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
                ("OPTIONS", item.options.is_some()),
            ];
            entry.extend(
                ops.iter()
                    .filter(|(_, on)| *on)
                    .map(|(m, _)| (*m).to_owned()),
            );
        }
        for (path, list) in UNDOCUMENTED_ROUTES {
            let entry = methods.entry((*path).to_owned()).or_default();
            entry.extend(list.iter().map(|m| (*m).to_owned()));
        }
        methods
            .into_iter()
            .map(|(path, mut list)| {
                if list.iter().any(|m| m == "GET") {
                    list.push("HEAD".to_owned());
                }
                list.sort_unstable();
                list.dedup();
                (segments(&path), list)
            })
            .collect()
    })
}

fn segments(path: &str) -> Vec<String> {
    // No trailing-slash folding: the router does not fold them either.
    path.split('/').map(str::to_owned).collect()
}

/// The methods a concrete path is served with, merged over every template it matches (empty when
/// no route has the path).
pub fn allowed_methods(path: &str) -> Vec<String> {
    let parts = segments(path);
    let mut allowed: Vec<String> = route_table()
        .iter()
        .filter(|(template, _)| {
            template.len() == parts.len()
                && template.iter().zip(&parts).all(|(t, p)| {
                    (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p
                })
        })
        .flat_map(|(_, methods)| methods.iter().cloned())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    allowed
}

/// The default service: `405` with `Allow` when the path exists with other methods, else `404`.
pub async fn unmatched(req: HttpRequest) -> HttpResponse {
    let allowed = allowed_methods(req.path());
    // A route this instance does not mount (`/metrics` moved to METRICS_PORT) is simply not here.
    if allowed.is_empty() || allowed.iter().any(|m| m == req.method().as_str()) {
        return ApiError::RouteNotFound(req.path().to_owned()).error_response();
    }
    let mut res = ApiError::MethodNotAllowed.error_response();
    if let Ok(value) = HeaderValue::from_str(&allowed.join(", ")) {
        res.headers_mut().insert(header::ALLOW, value);
    }
    res
}

/// Answers `HEAD` with the `GET` route (the HTTP layer sends the headers and drops the body), and
/// marks responses too small or not worth compressing so the `Compress` middleware around it
/// leaves them alone.
pub async fn head_and_compression(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    // Only a client that accepts an encoding can be sent one; others pass through untouched.
    let accepts_encoding = req.headers().contains_key(header::ACCEPT_ENCODING);
    let mut res = next.call(req).await?;
    if accepts_encoding && !worth_compressing(&res) {
        res.headers_mut().insert(
            header::CONTENT_ENCODING,
            HeaderValue::from_static("identity"),
        );
    }
    Ok(res)
}

/// Removes the `Content-Encoding: identity` marker [`head_and_compression`] left for `Compress`
/// (it is the default and says nothing to a client).
pub async fn drop_identity_marker(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res
        .headers()
        .get(header::CONTENT_ENCODING)
        .is_some_and(|v| v == "identity")
    {
        res.headers_mut().remove(header::CONTENT_ENCODING);
    }
    Ok(res)
}

fn worth_compressing<B: MessageBody>(res: &ServiceResponse<B>) -> bool {
    let content_type = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let textual = ["json", "html", "javascript", "text/plain", "xml", "css"]
        .iter()
        .any(|t| content_type.contains(t));
    // A stream (server-sent events) must reach the browser as each event is written.
    let streaming = content_type.starts_with("text/event-stream");
    let large = match res.response().body().size() {
        BodySize::Sized(n) => n >= COMPRESS_MIN_BYTES,
        BodySize::Stream => true,
        BodySize::None => false,
    };
    res.status() != StatusCode::NOT_MODIFIED && textual && !streaming && large
}

/// A strong entity tag for a fixed body: the first 16 bytes of its SHA-256, in hex and quoted.
pub fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// Whether the request's `If-None-Match` names `etag` (or is `*`), comparing weakly as RFC 9110
/// asks for `GET`.
pub fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_owned();
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| candidate.trim() == "*" || bare(candidate) == bare(etag))
}

/// Serves a fixed document with its `ETag`: `304 Not Modified` when the client's copy is current.
pub fn fixed_document(
    req: &HttpRequest,
    content_type: &'static str,
    cache_control: &'static str,
    body: &'static [u8],
    etag: &str,
) -> HttpResponse {
    if not_modified(req, etag) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.to_owned()))
            .insert_header((header::CACHE_CONTROL, cache_control))
            .finish();
    }
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::ETAG, etag.to_owned()))
        .insert_header((header::CACHE_CONTROL, cache_control))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_come_from_the_document_and_the_undocumented_routes() {
        assert_eq!(allowed_methods("/api/v1/clients"), ["POST"]);
        assert_eq!(
            allowed_methods("/api/v1/leads/0190b6c2-0000-7000-8000-000000000000"),
            ["DELETE", "GET", "HEAD", "PATCH"]
        );
        assert_eq!(allowed_methods("/widget.js"), ["GET", "HEAD"]);
        assert_eq!(allowed_methods("/webhooks/live-chat"), ["OPTIONS", "POST"]);
        assert!(allowed_methods("/nothing/here").is_empty());
        assert!(allowed_methods("/api/v1/leads/").is_empty());
        assert!(allowed_methods("/api/v1/leads//").is_empty());
    }

    #[test]
    fn entity_tags_are_quoted_and_depend_on_the_body() {
        let a = entity_tag(b"one");
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 34);
        assert_ne!(a, entity_tag(b"two"));
    }
}
