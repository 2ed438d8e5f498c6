//! HTTP conventions over real requests: 405 with `Allow`, HEAD wherever GET is served,
//! compression above the threshold, `ETag`/`If-None-Match`, and problem `type` links that resolve.

use crate::helpers::{ahmed_body, spawn_app, test_realty_body};
use reqwest::Method;
use reqwest::header::{ACCEPT_ENCODING, ALLOW, CONTENT_ENCODING, ETAG, IF_NONE_MATCH};

/// A client that neither decompresses nor asks for an encoding unless told to.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder().build().expect("client")
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_allow() {
    let app = spawn_app().await;
    let res = app
        .http
        .delete(app.url("/api/v1/clients"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()[ALLOW], "POST");
    let body: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(body["code"], "method_not_allowed");

    let res = app
        .http
        .put(app.url("/api/v1/leads/0190b6c2-0000-7000-8000-000000000000"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()[ALLOW], "DELETE, GET, HEAD, PATCH");

    let res = app
        .http
        .post(app.url("/widget.js"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers()[ALLOW], "GET, HEAD");

    let missing = app.get("/no/such/route").await;
    assert_eq!((missing.status, missing.code()), (404, "route_not_found"));
    assert!(!missing.headers.contains_key(ALLOW));
}

#[tokio::test]
async fn head_is_served_wherever_get_is() {
    let app = spawn_app().await;
    let (id, key) = app.create_client(test_realty_body()).await;
    for (path, key) in [
        ("/health".to_owned(), None),
        ("/health/ready".to_owned(), None),
        ("/openapi.json".to_owned(), None),
        ("/widget.js".to_owned(), None),
        ("/docs/problems/conflict".to_owned(), None),
        ("/api/v1/leads".to_owned(), Some(key.as_str())),
        (format!("/api/v1/leads/client/{id}/hot"), Some(key.as_str())),
    ] {
        let mut get = app.http.get(app.url(&path));
        let mut head = app.http.head(app.url(&path));
        if let Some(key) = key {
            get = get.header("X-API-Key", key);
            head = head.header("X-API-Key", key);
        }
        let get = get.send().await.expect("get");
        let head = head.send().await.expect("head");
        assert_eq!(head.status(), get.status(), "HEAD {path}");
        assert_eq!(head.status().as_u16(), 200, "HEAD {path}");
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "HEAD {path}"
        );
        assert!(
            head.bytes().await.expect("body").is_empty(),
            "HEAD {path} sent a body"
        );
    }
}

#[tokio::test]
async fn large_json_and_scripts_are_compressed_and_small_answers_are_not() {
    let app = spawn_app().await;
    let http = raw_client();
    for encoding in ["gzip", "br"] {
        let doc = http
            .get(app.url("/openapi.json"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .expect("request");
        assert_eq!(doc.status().as_u16(), 200);
        assert_eq!(doc.headers()[CONTENT_ENCODING], encoding, "openapi.json");
        let script = http
            .get(app.url("/widget.js"))
            .header(ACCEPT_ENCODING, encoding)
            .send()
            .await
            .expect("request");
        assert_eq!(script.headers()[CONTENT_ENCODING], encoding, "widget.js");
    }
    let small = http
        .get(app.url("/health/live"))
        .header(ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .expect("request");
    assert_eq!(small.status().as_u16(), 200);
    assert!(
        small.headers().get(CONTENT_ENCODING).is_none(),
        "a body under the threshold is sent as is: {:?}",
        small.headers()
    );
    let plain = http
        .get(app.url("/openapi.json"))
        .send()
        .await
        .expect("request");
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let body: serde_json::Value = plain.json().await.expect("json");
    assert!(body["paths"].is_object());
}

#[tokio::test]
async fn the_openapi_document_and_the_widget_revalidate_with_etags() {
    let app = spawn_app().await;
    for path in ["/openapi.json", "/widget.js"] {
        let first = app.http.get(app.url(path)).send().await.expect("request");
        assert_eq!(first.status().as_u16(), 200);
        let etag = first.headers()[ETAG].to_str().expect("etag").to_owned();
        assert!(etag.starts_with('"'), "{etag}");
        let again = app
            .http
            .get(app.url(path))
            .header(IF_NONE_MATCH, &etag)
            .send()
            .await
            .expect("request");
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(again.headers()[ETAG], etag.as_str());
        assert!(again.bytes().await.expect("body").is_empty());
        let stale = app
            .http
            .get(app.url(path))
            .header(IF_NONE_MATCH, "\"not-the-current-one\"")
            .send()
            .await
            .expect("request");
        assert_eq!(stale.status().as_u16(), 200, "{path}");
    }
}

#[tokio::test]
async fn problem_types_resolve_to_a_page_explaining_the_code() {
    let app = spawn_app().await;
    let (_, key) = app.create_client(test_realty_body()).await;
    let mut body = ahmed_body();
    body["phone"] = serde_json::json!("not a phone");
    body["email"] = serde_json::json!("nope");
    let invalid = app
        .send_as(&key, Method::POST, "/webhooks/web-form", Some(body))
        .await;
    let taken = app
        .admin(Method::POST, "/api/v1/clients", Some(test_realty_body()))
        .await;
    let missing = app.get("/no/such/route").await;
    for problem in [&invalid, &taken, &missing] {
        let kind = problem.body["type"].as_str().expect("type");
        let code = problem.code();
        assert_eq!(kind, format!("/docs/problems/{code}"));
        let page = app.http.get(app.url(kind)).send().await.expect("request");
        assert_eq!(page.status().as_u16(), 200, "{kind}");
        let html = page.text().await.expect("html");
        assert!(html.contains(code), "{kind} does not explain {code}");
    }
    let index = app
        .http
        .get(app.url("/docs/problems"))
        .send()
        .await
        .expect("request")
        .text()
        .await
        .expect("html");
    for code in [
        "validation_failed",
        "conflict",
        "rate_limited",
        "method_not_allowed",
    ] {
        assert!(index.contains(&format!("/docs/problems/{code}")), "{code}");
    }
    let unknown = app.get("/docs/problems/no_such_code").await;
    assert_eq!(unknown.status, 404);
}
