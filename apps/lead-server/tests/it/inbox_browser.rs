//! The sales inbox in headless Chromium, driven through chromedriver with the `fantoccini`
//! WebDriver client: sign in, see the hot lead on top, open it, see the evidence quote, take over,
//! reply (the local Twilio stand-in receives the SMS), release, switch to Arabic and see the
//! right-to-left layout. Screenshots of each page are saved under `target/screenshots/inbox-*.png`.

use crate::helpers::{TestApp, ahmed_body, spawn_app_with};
use crate::inbox::{PASSWORD, add_user};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::Method;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const SMS_NUMBER: &str = "+14155550100";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Messages.json";

/// A chromedriver child process, killed when the test ends however it ends.
struct Driver {
    child: Child,
    url: String,
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
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while reqwest::get(format!("{}/status", driver.url))
            .await
            .is_err()
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        driver
    }

    async fn browser(&self, profile: &std::path::Path, width: u32, height: u32) -> Client {
        let binary = std::env::var("CHROMIUM_BINARY").unwrap_or_else(|_| CHROMIUM.to_owned());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         format!("--window-size={width},{height}"), "--lang=en-US",
                         format!("--user-data-dir={}", profile.display())]
            }),
        );
        // Both of rustls' crypto back ends are in the build; the WebDriver client needs one chosen.
        let _ = rustls::crypto::ring::default_provider().install_default();
        ClientBuilder::rustls()
            .expect("tls")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("browser session")
    }
}

async fn screenshot(browser: &Client, name: &str) {
    let png = browser.screenshot().await.expect("screenshot");
    let target = std::env::var("CARGO_TARGET_DIR")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../target").to_owned());
    let dir = std::path::Path::new(&target).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot folder");
    std::fs::write(dir.join(format!("inbox-{name}.png")), png).expect("screenshot written");
}

async fn text_of(browser: &Client, css: &str) -> String {
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .expect("text")
}

async fn click(browser: &Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .click()
        .await
        .expect("click");
}

/// A client with Twilio pointed at the stand-in, an owner, a cold lead and a hot lead (Ahmed).
async fn scene(app: &TestApp) -> (String, String) {
    let (client_id, key) = app.create_realty("browser-inbox").await;
    let patched = app
        .admin(
            Method::PATCH,
            &format!("/api/v1/clients/{client_id}"),
            Some(
                json!({"twilio": {"account_sid": ACCOUNT, "auth_token": "tenant-auth-token",
                "phone_numbers": [SMS_NUMBER]}}),
            ),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    add_user(app, &client_id, "sara@example.com", "owner").await;
    let cold = json!({"name": "Khalid", "phone": "+966509999999", "message": "just looking", "source": "website"});
    assert_eq!(app.web_form(&key, cold, None).await.status, 202);
    let hot = app.web_form(&key, ahmed_body(), None).await;
    let lead_id = hot.body["lead_id"].as_str().expect("lead").to_owned();
    app.wait_for_lead(&key, &lead_id, |l| l["state"] != "NEW")
        .await;
    let scored = app
        .send_as(
            &key,
            Method::PATCH,
            &format!("/api/v1/leads/{lead_id}/score"),
            Some(json!({"score": "HOT", "reason": "ready to buy this month"})),
        )
        .await;
    assert_eq!(scored.status, 200, "{}", scored.body);
    (key, lead_id)
}

#[tokio::test]
async fn a_salesperson_works_a_hot_lead_in_the_browser_in_english_and_arabic() {
    let twilio = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(MESSAGES_PATH))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": "reply",
            "sid": "SM22222222222222222222222222222222", "status": "queued",
            "to": "+966501234567", "from": SMS_NUMBER, "error_code": null, "error_message": null,
        })))
        .mount(&twilio)
        .await;
    let base = twilio.uri();
    let app = spawn_app_with(move |s| s.twilio_api_base_url = base).await;
    let (_, lead_id) = scene(&app).await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile");
    let browser = driver.browser(profile.path(), 1280, 900).await;

    browser.goto(&app.url("/app")).await.expect("open");
    assert!(
        browser
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/app/login")
    );
    screenshot(&browser, "01-login").await;
    browser
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys("sara@example.com")
        .await
        .expect("type");
    browser
        .find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    click(&browser, "#sign-in").await;

    let first = text_of(&browser, "#waiting li:first-child .name").await;
    assert_eq!(first, "Ahmed", "the hot lead is on top");
    screenshot(&browser, "02-inbox").await;

    click(&browser, "#waiting li:first-child a").await;
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("mark.evidence"))
        .await
        .expect("evidence");
    let mut quotes = Vec::new();
    for mark in browser
        .find_all(Locator::Css("mark.evidence"))
        .await
        .expect("marks")
    {
        quotes.push(mark.text().await.expect("text"));
    }
    assert!(
        quotes.iter().any(|q| q.contains("Dammam")),
        "evidence: {quotes:?}"
    );
    screenshot(&browser, "03-lead").await;

    click(&browser, "button.take-over").await;
    let paused = text_of(&browser, ".paused").await;
    assert!(paused.contains("AI replies paused"));
    screenshot(&browser, "04-taken-over").await;

    let reply = browser
        .find(Locator::Css("form.reply textarea"))
        .await
        .expect("reply box");
    reply
        .send_keys("Hello Ahmed, Sara here. When can we call you?")
        .await
        .expect("type");
    click(&browser, "form.reply button.send").await;
    let started = Instant::now();
    loop {
        let received = twilio.received_requests().await.unwrap_or_default();
        let sent = received.iter().any(|r| {
            r.url.path() == MESSAGES_PATH && String::from_utf8_lossy(&r.body).contains("Sara+here")
        });
        if sent {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the Twilio stand-in got no reply"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser
        .goto(&app.url(&format!("/app/leads/{lead_id}")))
        .await
        .expect("reload");
    let page = browser.source().await.expect("source");
    assert!(page.contains("Sara here"));
    screenshot(&browser, "05-replied").await;

    click(&browser, "button.release").await;
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("button.take-over"))
        .await
        .expect("taken back by the AI");
    screenshot(&browser, "06-released").await;

    click(&browser, "#switch-language").await;
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("html[dir=rtl]"))
        .await
        .expect("right to left");
    let heading = text_of(&browser, "#conv-h").await;
    assert_eq!(heading, "المحادثة");
    let direction = browser
        .execute("return getComputedStyle(document.body).direction", vec![])
        .await
        .expect("style");
    assert_eq!(direction, "rtl");
    screenshot(&browser, "07-lead-ar").await;
    browser.goto(&app.url("/app")).await.expect("inbox");
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#waiting"))
        .await
        .expect("inbox in Arabic");
    screenshot(&browser, "08-inbox-ar").await;
    browser.goto(&app.url("/app/leads")).await.expect("list");
    screenshot(&browser, "09-leads-ar").await;
    browser
        .goto(&app.url("/app/settings"))
        .await
        .expect("settings");
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#h-tz"))
        .await
        .expect("the settings forms in Arabic");
    screenshot(&browser, "13-settings-ar").await;
    browser.close().await.expect("close");

    // A phone-sized window in Arabic.
    let profile = tempfile::tempdir().expect("profile");
    let phone = driver.browser(profile.path(), 390, 844).await;
    phone
        .goto(&app.url("/app/login?lang=ar"))
        .await
        .expect("open");
    phone
        .find(Locator::Id("email"))
        .await
        .expect("email")
        .send_keys("sara@example.com")
        .await
        .expect("type");
    phone
        .find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(PASSWORD)
        .await
        .expect("type");
    screenshot(&phone, "10-login-ar-phone").await;
    click(&phone, "#sign-in").await;
    phone
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#waiting"))
        .await
        .expect("inbox");
    screenshot(&phone, "11-inbox-ar-phone").await;
    phone
        .goto(&app.url(&format!("/app/leads/{lead_id}")))
        .await
        .expect("lead");
    screenshot(&phone, "12-lead-ar-phone").await;
    phone.close().await.expect("close");
}
