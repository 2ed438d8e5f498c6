//! The inbox's stylesheet and script, compiled into the binary and served with a content hash
//! free, short cache lifetime (they change only with the binary).

use actix_web::HttpResponse;
use actix_web::http::header;

const CSS: &str = include_str!("../../assets/app/app.css");
const JS: &str = include_str!("../../assets/app/app.js");

/// `GET /app/assets/app.css`.
pub async fn css() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(CSS)
}

/// `GET /app/assets/app.js`.
pub async fn js() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(JS)
}
