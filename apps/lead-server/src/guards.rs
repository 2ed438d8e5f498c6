//! Edge guards every response passes through: query strings with NUL refused before any handler,
//! and the browser security headers (`X-Content-Type-Options`, `Referrer-Policy`, and on HTML
//! pages a content security policy and frame rules).

use crate::error::ApiError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Refuses a query string carrying an encoded NUL (`%00`): PostgreSQL stores no NUL in text, so
/// it would otherwise fail in the database instead of here.
pub async fn reject_nul_query(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody + 'static>>, actix_web::Error> {
    let query = req.query_string();
    if query.contains("%00") || query.contains('\0') {
        let field = query
            .split('&')
            .find(|pair| pair.contains("%00") || pair.contains('\0'))
            .and_then(|pair| pair.split('=').next())
            .unwrap_or("query")
            .to_owned();
        let err = ApiError::field(
            field,
            "invalid_character",
            "must not contain the NUL character (U+0000)",
        );
        let (req, _) = req.into_parts();
        let res = actix_web::ResponseError::error_response(&err);
        return Ok(ServiceResponse::new(req, res).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

/// The `'sha256-…'` sources of every inline `<script>` in the service's own HTML pages, so the
/// policy allows exactly those scripts and nothing injected.
fn inline_script_hashes() -> &'static str {
    static HASHES: OnceLock<String> = OnceLock::new();
    HASHES.get_or_init(|| {
        let mut out = String::new();
        for page in [
            crate::routes::docs::DOCS_HTML,
            crate::routes::live_chat::DEMO_HTML,
        ] {
            let mut rest = page;
            while let Some(start) = rest.find("<script>") {
                let body = &rest[start + "<script>".len()..];
                let Some(end) = body.find("</script>") else {
                    break;
                };
                let digest = Sha256::digest(&body.as_bytes()[..end]);
                out.push_str(&format!(" 'sha256-{}'", STANDARD.encode(digest)));
                rest = &body[end..];
            }
        }
        out
    })
}

/// The content security policy of the service's HTML pages: its own scripts (and the inline ones
/// it ships, by hash), its own API, no plugins, no framing by other sites.
pub fn html_policy() -> String {
    format!(
        "default-src 'self'; script-src 'self'{}; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'",
        inline_script_hashes()
    )
}

/// Adds the security headers: `nosniff` and `Referrer-Policy` everywhere; on HTML a CSP with
/// `frame-ancestors 'none'` and `X-Frame-Options: DENY`. The widget is a script embedded by
/// the tenant's own pages (allowed by `allowed_origins` on the chat endpoints), never a frame,
/// so refusing frames does not stop it embedding.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let is_html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        if let Ok(policy) = HeaderValue::from_str(&html_policy()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    if headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/javascript"))
    {
        // The widget script is meant to be loaded by other sites' pages.
        headers.insert(
            HeaderName::from_static("cross-origin-resource-policy"),
            HeaderValue::from_static("cross-origin"),
        );
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_each_shipped_inline_script_by_hash() {
        let policy = html_policy();
        let count = crate::routes::docs::DOCS_HTML.matches("<script>").count()
            + crate::routes::live_chat::DEMO_HTML
                .matches("<script>")
                .count();
        assert!(count >= 2);
        assert_eq!(policy.matches("'sha256-").count(), count);
        assert!(!policy.contains("unsafe-eval"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
