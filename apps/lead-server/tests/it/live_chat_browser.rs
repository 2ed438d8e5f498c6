//! The chat widget end to end in headless Chromium: the demo page is opened, a message typed and
//! sent, and the reply must appear. The browser is driven through chromedriver with the W3C
//! WebDriver protocol spoken over plain HTTP.

use crate::helpers::{TestApp, spawn_app, spawn_app_with, test_realty_body};
use reqwest::Method;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The W3C key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver child process, killed when the test ends however it ends.
struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let driver = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        let started = Instant::now();
        loop {
            let ready = driver
                .http
                .get(format!("{}/status", driver.base))
                .send()
                .await
                .ok()
                .map(|r| r.json::<Value>());
            if let Some(body) = ready
                && body.await.is_ok_and(|b| b["value"]["ready"] == true)
            {
                return driver;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.expect("webdriver request");
        let status = res.status();
        let body: Value = res.json().await.expect("webdriver answers JSON");
        assert!(status.is_success(), "webdriver {path}: {status} {body}");
        body["value"].clone()
    }
}

/// A browser session, deleted at the end of the test.
struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl<'a> Session<'a> {
    async fn open(driver: &'a Driver, profile: &std::path::Path) -> Self {
        let binary = std::env::var("CHROMIUM_BINARY").unwrap_or_else(|_| CHROMIUM.to_owned());
        let value = driver
            .call(
                Method::POST,
                "/session",
                Some(json!({"capabilities": {"alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": {
                        "binary": binary,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                 "--disable-dev-shm-usage",
                                 format!("--user-data-dir={}", profile.display())]
                    }
                }}})),
            )
            .await;
        let id = value["sessionId"].as_str().expect("session id").to_owned();
        Self { driver, id }
    }

    async fn cmd(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        self.driver
            .call(method, &format!("/session/{}{path}", self.id), body)
            .await
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let found = self
            .cmd(
                Method::POST,
                "/elements",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        found
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    async fn find(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(first) = self.find_all(css).await.into_iter().next() {
                return first;
            }
            if started.elapsed() > Duration::from_secs(10) {
                let page = self.cmd(Method::GET, "/source", None).await;
                panic!("no element matches {css} in {page}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn text(&self, element: &str) -> String {
        self.cmd(Method::GET, &format!("/element/{element}/text"), None)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    async fn attribute(&self, element: &str, name: &str) -> Option<String> {
        self.cmd(
            Method::GET,
            &format!("/element/{element}/attribute/{name}"),
            None,
        )
        .await
        .as_str()
        .map(str::to_owned)
    }

    async fn close(self) {
        self.driver
            .call(Method::DELETE, &format!("/session/{}", self.id), None)
            .await;
    }
}

/// The API key and widget key of a new client.
async fn new_client(app: &TestApp) -> (String, String) {
    let mut body = test_realty_body();
    body["slug"] = json!(format!("browser-{}", uuid::Uuid::new_v4().simple()));
    let (id, api_key) = app.create_client(body).await;
    let shown = app
        .admin(Method::GET, &format!("/api/v1/clients/{id}"), None)
        .await;
    let widget = shown.body["widget_key"]
        .as_str()
        .expect("widget key")
        .to_owned();
    (api_key, widget)
}

/// The texts of every outbound message the client's leads received.
async fn stored_replies(app: &TestApp, api_key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let leads = app.get_as(api_key, "/api/v1/leads").await;
    for lead in leads.body["items"].as_array().cloned().unwrap_or_default() {
        let id = lead["id"].as_str().unwrap_or_default();
        let detail = app.get_as(api_key, &format!("/api/v1/leads/{id}")).await;
        for conversation in detail.body["conversations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
        {
            let cid = conversation["id"].as_str().unwrap_or_default();
            let messages = app
                .get_as(api_key, &format!("/api/v1/conversations/{cid}/messages"))
                .await;
            out.extend(
                messages.body["items"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .iter()
                    .filter(|m| m["direction"] == "outbound")
                    .filter_map(|m| m["body"].as_str().map(str::to_owned)),
            );
        }
    }
    out
}

fn chromedriver_missing() -> bool {
    if std::path::Path::new(CHROMEDRIVER).exists() {
        return false;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{CHROMEDRIVER} is required under CI=true (Debian packages chromium and chromium-driver)"
    );
    eprintln!("skipping the browser test: {CHROMEDRIVER} is not installed");
    true
}

#[tokio::test]
async fn the_demo_page_sends_a_message_and_shows_the_reply() {
    if chromedriver_missing() {
        return;
    }
    let app = spawn_app().await;
    let reply = chat_in_browser(&app, "Hello, I want to rent an apartment in Riyadh").await;
    assert!(
        !reply
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{reply}"
    );
}

#[tokio::test]
async fn an_arabic_reply_that_comes_later_arrives_through_the_event_stream() {
    if chromedriver_missing() {
        return;
    }
    // A wait of 0 ms answers the post without the reply, so only the EventSource can show it.
    let app = spawn_app_with(|s| s.live_chat_wait_ms = 0).await;
    let reply = chat_in_browser(&app, "مرحبا، أبغى فيلا في جدة").await;
    assert!(
        reply
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{reply}"
    );
}

/// Opens the demo page of a new client, sends `message` and returns the reply the page shows,
/// after checking it is the reply stored for the visitor.
async fn chat_in_browser(app: &TestApp, message: &str) -> String {
    let (api_key, key) = new_client(app).await;
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver::start().await;
    let session = Session::open(&driver, profile.path()).await;
    session
        .cmd(
            Method::POST,
            "/url",
            Some(json!({"url": app.url(&format!("/widget/demo.html?key={key}"))})),
        )
        .await;

    let input = session.find("#lead-chat-input").await;
    assert_eq!(
        session.attribute(&input, "dir").await.as_deref(),
        Some("auto")
    );
    session
        .cmd(
            Method::POST,
            &format!("/element/{input}/value"),
            Some(json!({"text": message})),
        )
        .await;
    let send = session.find("#lead-chat-send").await;
    session
        .cmd(
            Method::POST,
            &format!("/element/{send}/click"),
            Some(json!({})),
        )
        .await;

    let visitor = session.find(".lead-chat-visitor").await;
    assert_eq!(session.text(&visitor).await, message);

    let started = Instant::now();
    let reply = loop {
        if let Some(bot) = session.find_all(".lead-chat-bot").await.into_iter().next() {
            let text = session.text(&bot).await;
            if !text.trim().is_empty() {
                assert_eq!(
                    session.attribute(&bot, "dir").await.as_deref(),
                    Some("auto")
                );
                break text;
            }
        }
        let errors = session.find_all(".lead-chat-error").await;
        if let Some(error) = errors.first() {
            panic!("the widget shows an error: {}", session.text(error).await);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no reply appeared in the widget"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    // What the page shows is the reply the server stored for this visitor.
    let stored = stored_replies(app, &api_key).await;
    assert!(
        stored.iter().any(|r| r.trim() == reply.trim()),
        "{reply:?} not among {stored:?}"
    );
    session.close().await;
    reply
}
