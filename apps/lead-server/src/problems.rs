//! The catalogue of problem `code`s behind every problem document's `type` URI: each code has a
//! page under `/docs/problems/{code}` saying what it means and what a client should do, so a
//! `type` link in an error always leads somewhere useful.

use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};

/// The path every problem `type` URI starts with.
pub const TYPE_PREFIX: &str = "/docs/problems/";

/// One problem code as documented to API users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProblemType {
    /// The stable snake_case `code`.
    pub code: &'static str,
    /// The HTTP status it comes with.
    pub status: u16,
    /// What happened, in one line.
    pub meaning: &'static str,
    /// What the caller should do about it.
    pub remedy: &'static str,
}

/// Every `code` the service can answer with. A new `ApiError` code needs a line here (a test
/// reads `error.rs` and fails on a code without one).
pub const PROBLEM_TYPES: &[ProblemType] = &[
    ProblemType {
        code: "validation_failed",
        status: 422,
        meaning: "The body parsed but some fields are wrong; `errors` lists each field with its own code.",
        remedy: "Fix the fields named in `errors[].field` and send again.",
    },
    ProblemType {
        code: "malformed_json",
        status: 400,
        meaning: "The body is not valid JSON.",
        remedy: "Send a JSON object encoded in UTF-8.",
    },
    ProblemType {
        code: "malformed_form",
        status: 400,
        meaning: "The body is not valid `application/x-www-form-urlencoded` data.",
        remedy: "Send a form encoding, as Twilio does.",
    },
    ProblemType {
        code: "unsupported_media_type",
        status: 415,
        meaning: "The `Content-Type` is not the one the endpoint reads.",
        remedy: "Send the content type the detail names.",
    },
    ProblemType {
        code: "payload_too_large",
        status: 413,
        meaning: "The body is larger than the endpoint accepts.",
        remedy: "Send a smaller body.",
    },
    ProblemType {
        code: "invalid_query",
        status: 400,
        meaning: "A query parameter is malformed or unknown.",
        remedy: "Check the parameter names and formats in the OpenAPI document.",
    },
    ProblemType {
        code: "missing_api_key",
        status: 401,
        meaning: "The `X-API-Key` header is missing.",
        remedy: "Send the client's API key in `X-API-Key`.",
    },
    ProblemType {
        code: "invalid_api_key",
        status: 401,
        meaning: "The API key is unknown, revoked, expired or malformed.",
        remedy: "Use a current key; rotate it with `POST /api/v1/clients/{id}/rotate-api-key`.",
    },
    ProblemType {
        code: "missing_admin_token",
        status: 401,
        meaning: "The platform admin bearer token is missing.",
        remedy: "Send `Authorization: Bearer <admin token>`.",
    },
    ProblemType {
        code: "invalid_admin_token",
        status: 401,
        meaning: "The admin token is wrong.",
        remedy: "Use the token configured in `ADMIN_TOKEN` (or printed at first start).",
    },
    ProblemType {
        code: "invalid_signature",
        status: 403,
        meaning: "The `X-Twilio-Signature` does not match the URL and parameters.",
        remedy: "Check the client's Twilio auth token and `PUBLIC_BASE_URL` (the URL Twilio signs).",
    },
    ProblemType {
        code: "unknown_number",
        status: 404,
        meaning: "No client registered the number the Twilio message was sent to.",
        remedy: "Add the number to the client's `twilio.phone_numbers`.",
    },
    ProblemType {
        code: "invalid_widget_key",
        status: 401,
        meaning: "No client has this widget key.",
        remedy: "Use the `widget_key` from `GET /api/v1/clients/{id}`.",
    },
    ProblemType {
        code: "origin_not_allowed",
        status: 403,
        meaning: "The page's origin is not in the client's `allowed_origins`.",
        remedy: "Add the website's origin to the client's `allowed_origins`.",
    },
    ProblemType {
        code: "not_found",
        status: 404,
        meaning: "The resource does not exist for this caller (another client's resources look the same).",
        remedy: "Check the id and the credentials used.",
    },
    ProblemType {
        code: "route_not_found",
        status: 404,
        meaning: "No route matches the path.",
        remedy: "Check the path against the OpenAPI document at `/openapi.json`.",
    },
    ProblemType {
        code: "method_not_allowed",
        status: 405,
        meaning: "The path exists but not with this method; the `Allow` header lists the methods it has.",
        remedy: "Use one of the methods in `Allow`.",
    },
    ProblemType {
        code: "conflict",
        status: 409,
        meaning: "A value that must be unique is already in use, or the request conflicts with the resource's state; the detail names the field (`slug already in use`).",
        remedy: "Choose another value for the field named in the detail.",
    },
    ProblemType {
        code: "illegal_transition",
        status: 409,
        meaning: "The lead's lifecycle does not allow this change from its current state.",
        remedy: "Read the lead's state and choose an allowed change.",
    },
    ProblemType {
        code: "concurrent_update",
        status: 409,
        meaning: "Another request changed the record first.",
        remedy: "Read the record again and retry.",
    },
    ProblemType {
        code: "rate_limited",
        status: 429,
        meaning: "The client sent more requests than its limit allows.",
        remedy: "Wait the seconds given in `Retry-After`, then retry.",
    },
    ProblemType {
        code: "not_implemented",
        status: 501,
        meaning: "The endpoint exists but its channel is not available in this deployment.",
        remedy: "Use another channel or ask the operator to enable it.",
    },
    ProblemType {
        code: "service_unavailable",
        status: 503,
        meaning: "A dependency (the database) is unavailable.",
        remedy: "Retry with backoff; an accepted lead is never lost.",
    },
    ProblemType {
        code: "internal_error",
        status: 500,
        meaning: "Something failed inside the service; the cause is logged with the request id, never returned.",
        remedy: "Retry later and report the `X-Request-Id` to the operator.",
    },
    ProblemType {
        code: "bad_request",
        status: 400,
        meaning: "The request could not be read (headers or framing).",
        remedy: "Check the request against the OpenAPI document.",
    },
    ProblemType {
        code: "not_acceptable",
        status: 406,
        meaning: "The service cannot answer in a media type the `Accept` header allows.",
        remedy: "Accept `application/json`.",
    },
    ProblemType {
        code: "request_timeout",
        status: 408,
        meaning: "The request was not received in time.",
        remedy: "Retry.",
    },
    ProblemType {
        code: "uri_too_long",
        status: 414,
        meaning: "The URL is longer than the service accepts.",
        remedy: "Shorten the query string.",
    },
    ProblemType {
        code: "headers_too_large",
        status: 431,
        meaning: "The request headers are larger than the service accepts.",
        remedy: "Send fewer or smaller headers.",
    },
    ProblemType {
        code: "http_error",
        status: 400,
        meaning: "The HTTP layer refused the request for a reason without a code of its own; the status and title say which.",
        remedy: "Check the request against the OpenAPI document.",
    },
];

/// The `type` URI of a problem code.
pub fn type_uri(code: &str) -> String {
    format!("{TYPE_PREFIX}{code}")
}

/// The documented entry of a code.
pub fn lookup(code: &str) -> Option<&'static ProblemType> {
    PROBLEM_TYPES.iter().find(|p| p.code == code)
}

/// The code the framework's own error responses (no handler ran) carry, by status.
pub fn framework_code(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        404 => "route_not_found",
        405 => "method_not_allowed",
        406 => "not_acceptable",
        408 => "request_timeout",
        413 => "payload_too_large",
        414 => "uri_too_long",
        415 => "unsupported_media_type",
        431 => "headers_too_large",
        503 => "service_unavailable",
        s if s >= 500 => "internal_error",
        _ => "http_error",
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Marks `code spans` in a catalogue text up as HTML.
fn render(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in escape(text).split('`').enumerate() {
        if i % 2 == 1 {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            out.push_str(part);
        }
    }
    out
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n\
         <style>body{{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:50rem;padding:0 1rem;color:#222}}\
         code{{background:#f4f4f4;padding:0 .25rem;border-radius:3px}}dt{{margin-top:1rem;font-weight:600}}</style>\n\
         </head>\n<body>\n{body}\n</body>\n</html>\n",
        title = escape(title),
    )
}

fn entry(p: &ProblemType) -> String {
    format!(
        "<dt id=\"{code}\"><a href=\"{uri}\"><code>{code}</code></a> ({status})</dt><dd>{meaning} {remedy}</dd>",
        code = p.code,
        uri = type_uri(p.code),
        status = p.status,
        meaning = render(p.meaning),
        remedy = render(p.remedy),
    )
}

/// `GET /docs/problems`: every problem code on one page.
pub async fn index() -> HttpResponse {
    let entries: String = PROBLEM_TYPES.iter().map(entry).collect();
    let body = format!(
        "<h1>Problem types</h1>\n<p>Every error is an <code>application/problem+json</code> document \
         (RFC 9457) whose <code>type</code> links to its entry here and whose <code>code</code> is \
         stable for clients to match on. See also <a href=\"/docs\">the API</a>.</p>\n<dl>{entries}</dl>"
    );
    html(page("Problem types", &body))
}

/// `GET /docs/problems/{code}`: what one problem code means and what to do about it.
pub async fn problem_page(req: HttpRequest, code: web::Path<String>) -> HttpResponse {
    match lookup(&code) {
        Some(p) => {
            let body = format!(
                "<h1><code>{code}</code></h1>\n<p>HTTP status {status}.</p>\n<p>{meaning}</p>\n\
                 <p><strong>What to do:</strong> {remedy}</p>\n<p><a href=\"/docs/problems\">All problem types</a></p>",
                code = p.code,
                status = p.status,
                meaning = render(p.meaning),
                remedy = render(p.remedy),
            );
            html(page(p.code, &body))
        }
        None => actix_web::ResponseError::error_response(&crate::error::ApiError::RouteNotFound(
            req.path().to_owned(),
        )),
    }
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The string literals of `ApiError::code`'s match arms, read from the source so a new code
    /// cannot be added without its documentation.
    fn api_error_codes() -> Vec<String> {
        let source = include_str!("error.rs");
        let start = source
            .find("pub fn code(&self)")
            .expect("ApiError::code in error.rs");
        let body = &source[start..];
        let end = body.find("\n    }\n").expect("end of ApiError::code");
        body[..end]
            .lines()
            .filter_map(|line| {
                let (_, rest) = line.split_once("=> \"")?;
                Some(rest.split('"').next()?.to_owned())
            })
            .collect()
    }

    #[test]
    fn every_api_error_code_is_documented() {
        let codes = api_error_codes();
        assert!(codes.len() >= 20, "read too few codes: {codes:?}");
        for code in codes {
            assert!(
                lookup(&code).is_some(),
                "problem code {code} has no entry in PROBLEM_TYPES"
            );
        }
    }

    #[test]
    fn every_framework_code_is_documented_and_codes_are_unique() {
        for status in [
            400, 404, 405, 406, 408, 413, 414, 415, 418, 431, 500, 502, 503,
        ] {
            assert!(lookup(framework_code(status)).is_some(), "status {status}");
        }
        let mut codes: Vec<_> = PROBLEM_TYPES.iter().map(|p| p.code).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len(), "duplicate problem codes");
    }

    #[test]
    fn code_spans_render_and_html_is_escaped() {
        assert_eq!(render("use `a<b>` now"), "use <code>a&lt;b&gt;</code> now");
    }
}
