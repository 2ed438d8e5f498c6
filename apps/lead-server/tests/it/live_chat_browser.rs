//! The chat widget end to end in headless Chromium: the demo page is opened, the launcher opened,
//! the business name and greeting checked, a message typed and sent, the reply must appear and
//! come back after a reload, in English and in Arabic (right to left); a page on an origin the
//! client did not allow shows why the chat does not work. The browser is driven through
//! chromedriver with the W3C WebDriver protocol spoken over plain HTTP; screenshots are saved under
//! `target/screenshots/`.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
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
                                 "--disable-dev-shm-usage", "--window-size=420,720",
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

    /// Elements matching `css` inside the widget's shadow root.
    async fn widget_all(&self, css: &str) -> Vec<String> {
        let found = self
            .cmd(
                Method::POST,
                "/execute/sync",
                Some(json!({
                    "script": "var host = document.getElementById('lead-chat-widget');\
                               if (!host || !host.shadowRoot) return [];\
                               return Array.prototype.slice.call(host.shadowRoot.querySelectorAll(arguments[0]));",
                    "args": [css],
                })),
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

    /// The first element matching `css` in the widget, waiting up to ten seconds for it.
    async fn widget(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(first) = self.widget_all(css).await.into_iter().next() {
                return first;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no element matches {css} in the widget"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn go(&self, url: &str) {
        self.cmd(Method::POST, "/url", Some(json!({ "url": url })))
            .await;
    }

    async fn click(&self, element: &str) {
        self.cmd(
            Method::POST,
            &format!("/element/{element}/click"),
            Some(json!({})),
        )
        .await;
    }

    async fn type_into(&self, element: &str, text: &str) {
        self.cmd(
            Method::POST,
            &format!("/element/{element}/value"),
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Saves a PNG of the window as `target/screenshots/{name}.png` for people to look at.
    async fn screenshot(&self, name: &str) {
        use base64::Engine;
        let shot = self.cmd(Method::GET, "/screenshot", None).await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot.as_str().unwrap_or_default())
            .expect("the screenshot is base64");
        // The workspace's target folder, whichever folder the test runs from.
        let target = std::env::var("CARGO_TARGET_DIR")
            .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
        let dir = std::path::Path::new(&target).join("screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("screenshot written");
    }

    async fn close(self) {
        self.driver
            .call(Method::DELETE, &format!("/session/{}", self.id), None)
            .await;
    }
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

/// What one chat in the browser showed.
struct Chatted {
    /// The reply text the widget showed.
    reply: String,
    /// The texts of the bubbles after a reload.
    restored: Vec<String>,
}

fn has_arabic(text: &str) -> bool {
    text.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c))
}

#[tokio::test]
async fn the_demo_page_greets_chats_and_restores_the_chat_in_english() {
    if chromedriver_missing() {
        return;
    }
    let app = spawn_app().await;
    let message = "Hello, I want to rent an apartment in Riyadh";
    let chatted = chat_in_browser(&app, "en", message).await;
    assert!(!has_arabic(&chatted.reply), "{}", chatted.reply);
    assert!(
        chatted.restored.iter().any(|t| t == message),
        "{:?}",
        chatted.restored
    );
    assert!(
        chatted
            .restored
            .iter()
            .any(|t| t.trim() == chatted.reply.trim()),
        "{:?}",
        chatted.restored
    );
}

#[tokio::test]
async fn the_arabic_demo_page_is_right_to_left_and_the_late_reply_arrives_on_the_stream() {
    if chromedriver_missing() {
        return;
    }
    // A wait of 0 ms answers the post without the reply, so only the EventSource can show it.
    let app = spawn_app_with(|s| s.live_chat_wait_ms = 0).await;
    let message = "مرحبا، أبغى فيلا في جدة";
    let chatted = chat_in_browser(&app, "ar", message).await;
    assert!(has_arabic(&chatted.reply), "{}", chatted.reply);
    assert!(
        chatted.restored.iter().any(|t| t == message),
        "{:?}",
        chatted.restored
    );
    assert!(
        chatted
            .restored
            .iter()
            .any(|t| t.trim() == chatted.reply.trim()),
        "{:?}",
        chatted.restored
    );
}

/// Opens the demo page of a new client in `lang`, opens the launcher, checks the header and
/// greeting, sends `message`, waits for the reply (checking it is the one stored for the visitor),
/// reloads and returns what the widget shows then.
async fn chat_in_browser(app: &TestApp, lang: &str, message: &str) -> Chatted {
    let (_, api_key, key) = app
        .create_chat_client(&format!("browser-{}", uuid::Uuid::new_v4().simple()), &[])
        .await;
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver::start().await;
    let session = Session::open(&driver, profile.path()).await;
    let page = app.url(&format!("/widget/demo.html?key={key}&lang={lang}"));
    session.go(&page).await;

    let root = session.widget(".lc-root").await;
    let (dir, open_label, send_label) = if lang == "ar" {
        ("rtl", "افتح المحادثة", "إرسال")
    } else {
        ("ltr", "Open chat", "Send")
    };
    assert_eq!(session.attribute(&root, "dir").await.as_deref(), Some(dir));
    let launcher = session.widget("#lead-chat-launcher").await;
    assert_eq!(
        session.attribute(&launcher, "aria-label").await.as_deref(),
        Some(open_label)
    );
    session.screenshot(&format!("widget-{lang}-closed")).await;
    session.click(&launcher).await;

    let business = session.widget("#lead-chat-business").await;
    let greeting = session.widget("#lead-chat-greeting").await;
    let started = Instant::now();
    while session.text(&greeting).await.trim().is_empty()
        || !session.text(&business).await.contains("Test Realty")
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the header and greeting did not load"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let greeting_text = session.text(&greeting).await;
    assert!(greeting_text.contains("Test Realty"), "{greeting_text}");
    assert_eq!(has_arabic(&greeting_text), lang == "ar", "{greeting_text}");

    let input = session.widget("#lead-chat-input").await;
    assert_eq!(
        session.attribute(&input, "dir").await.as_deref(),
        Some("auto")
    );
    let send = session.widget("#lead-chat-send").await;
    assert_eq!(session.text(&send).await, send_label);
    let leave = session.widget("#lead-chat-leave-number").await;
    assert_eq!(has_arabic(&session.text(&leave).await), lang == "ar");
    session.type_into(&input, message).await;
    // Enter sends, as in any chat.
    session.type_into(&input, "\u{E007}").await;

    let visitor = session.widget(".lead-chat-visitor").await;
    assert_eq!(session.text(&visitor).await, message);

    let started = Instant::now();
    let reply = loop {
        let bots = session.widget_all(".lead-chat-bot:not(.lc-greeting)").await;
        if let Some(bot) = bots.first() {
            let text = session.text(bot).await;
            if !text.trim().is_empty() {
                assert_eq!(session.attribute(bot, "dir").await.as_deref(), Some("auto"));
                break text;
            }
        }
        let errors = session.widget_all(".lead-chat-error").await;
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
    session.screenshot(&format!("widget-{lang}-open")).await;

    // The visitor leaves a name and number through the panel's small form; they reach the lead.
    let leave = session.widget("#lead-chat-leave-number").await;
    session.click(&leave).await;
    let name = session.widget("#lead-chat-name").await;
    session.type_into(&name, "Sara").await;
    let reach = session.widget("#lead-chat-reach").await;
    session.type_into(&reach, "+966501112233").await;
    session.screenshot(&format!("widget-{lang}-contact")).await;
    let save = session.widget("#lead-chat-save").await;
    session.click(&save).await;
    let started = Instant::now();
    loop {
        let leads = app.get_as(&api_key, "/api/v1/leads").await;
        let lead = &leads.body["items"][0];
        // Typed into a chat, the number is the visitor's claim on their own lead, never a lookup key.
        if lead["claimed_phone"] == "+966501112233" {
            assert_eq!(lead["phone"], serde_json::Value::Null, "{lead}");
            assert_eq!(lead["name"], "Sara", "{lead}");
            assert_eq!(leads.body["total"], 1, "{}", leads.body);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the contact details did not reach the lead: {lead}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A reload restores the chat from the server.
    session.go(&page).await;
    let launcher = session.widget("#lead-chat-launcher").await;
    session.click(&launcher).await;
    let started = Instant::now();
    let restored = loop {
        let mut texts = Vec::new();
        for bubble in session
            .widget_all(".lead-chat-visitor, .lead-chat-bot:not(.lc-greeting)")
            .await
        {
            texts.push(session.text(&bubble).await);
        }
        if texts.len() >= 2 {
            break texts;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the chat was not restored after the reload: {texts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    session.screenshot(&format!("widget-{lang}-restored")).await;
    session.close().await;
    Chatted { reply, restored }
}

/// Serves one fixed HTML page on a port of its own, so the widget runs on another origin than the
/// lead server, as it does on a business's website. The thread ends with the test process.
fn serve_page(html: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("page port");
    let port = listener.local_addr().expect("page address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut seen = Vec::new();
            let mut buf = [0u8; 1024];
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                html.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    format!("http://127.0.0.1:{port}")
}

#[tokio::test]
async fn a_page_on_an_origin_the_client_did_not_allow_says_so_until_it_is_allowed() {
    if chromedriver_missing() {
        return;
    }
    let app = spawn_app().await;
    let (id, _, key) = app
        .create_chat_client(&format!("browser-{}", uuid::Uuid::new_v4().simple()), &[])
        .await;
    let page = serve_page(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Shop</title></head>\
         <body><h1>A business website</h1>\
         <script src=\"{}\" data-key=\"{key}\" async></script></body></html>",
        app.url("/widget.js")
    ));
    let profile = tempfile::tempdir().expect("profile dir");
    let driver = Driver::start().await;
    let session = Session::open(&driver, profile.path()).await;
    session.go(&page).await;
    let launcher = session.widget("#lead-chat-launcher").await;
    session.click(&launcher).await;
    let blocked = session.widget(".lc-blocked").await;
    assert_eq!(
        session.text(&blocked).await,
        "This chat is not enabled for this website."
    );
    let input = session.widget("#lead-chat-input").await;
    assert_eq!(
        session.attribute(&input, "disabled").await.as_deref(),
        Some("true")
    );
    session.screenshot("widget-en-origin-refused").await;

    // The client allows the website: the same page chats.
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{id}"),
            Some(json!({ "allowed_origins": [page] })),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    session.go(&page).await;
    let launcher = session.widget("#lead-chat-launcher").await;
    session.click(&launcher).await;
    let input = session.widget("#lead-chat-input").await;
    session
        .type_into(&input, "Hi, I am looking for an office\u{E007}")
        .await;
    let started = Instant::now();
    loop {
        let bots = session.widget_all(".lead-chat-bot:not(.lc-greeting)").await;
        if !bots.is_empty() {
            break;
        }
        let errors = session.widget_all(".lead-chat-error").await;
        if let Some(error) = errors.first() {
            panic!("the widget shows an error: {}", session.text(error).await);
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no reply appeared on the allowed website"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    session.close().await;
}
