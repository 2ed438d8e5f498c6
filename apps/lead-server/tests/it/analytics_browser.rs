//! `/app/analytics` and `/app/experiments` in headless Chromium through chromedriver: the report's
//! tables and server-drawn charts in English, then in Arabic right to left with the bars mirrored.
//! Screenshots are saved under `target/screenshots/analytics-*.png`.

use crate::helpers::{TestApp, ahmed_body, spawn_app};
use crate::inbox::{PASSWORD, add_user};
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::Method;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

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

    async fn browser(&self, profile: &std::path::Path) -> Client {
        let binary = std::env::var("CHROMIUM_BINARY").unwrap_or_else(|_| CHROMIUM.to_owned());
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": binary,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1280,2000", "--lang=en-US",
                         format!("--user-data-dir={}", profile.display())]
            }),
        );
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
    std::fs::write(dir.join(format!("analytics-{name}.png")), png).expect("screenshot written");
}

async fn wait_for(browser: &Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// A client with an owner, three processed leads and a greeting experiment.
async fn scene(app: &TestApp) {
    let (client_id, key) = app.create_realty("browser-analytics").await;
    add_user(app, &client_id, "sara@example.com", "owner").await;
    for (name, phone) in [
        ("Ahmed", "+966501234567"),
        ("Khalid", "+966509999999"),
        ("Mona", "+966508888888"),
    ] {
        let mut body = ahmed_body();
        body["name"] = json!(name);
        body["phone"] = json!(phone);
        body["email"] = serde_json::Value::Null;
        let accepted = app.web_form(&key, body, None).await;
        let lead = accepted.body["lead_id"].as_str().expect("lead").to_owned();
        app.wait_for_lead(&key, &lead, |l| l["state"] != "NEW")
            .await;
    }
    let created = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/clients/{client_id}/experiments"),
            Some(json!({
                "name": "Budget question wording",
                "target": "question:budget",
                "variants": [
                    {"key": "a", "text_en": "What budget do you have in mind?", "text_ar": "كم الميزانية اللي في بالك؟"},
                    {"key": "b", "text_en": "Roughly how much would you like to spend?", "text_ar": "تقريباً كم ودك تصرف؟"}
                ],
                "metric": "qualified"
            })),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
}

#[tokio::test]
async fn a_manager_reads_analytics_and_experiments_in_english_and_arabic() {
    let app = spawn_app().await;
    scene(&app).await;
    let driver = Driver::start().await;
    let profile = tempfile::tempdir().expect("profile");
    let browser = driver.browser(profile.path()).await;

    browser.goto(&app.url("/app/login")).await.expect("open");
    wait_for(&browser, "#email")
        .await
        .send_keys("sara@example.com")
        .await
        .expect("type");
    wait_for(&browser, "#password")
        .await
        .send_keys(PASSWORD)
        .await
        .expect("type");
    wait_for(&browser, "#sign-in")
        .await
        .click()
        .await
        .expect("sign in");
    wait_for(&browser, "#sign-out").await;

    browser
        .goto(&app.url("/app/analytics"))
        .await
        .expect("analytics");
    let total = wait_for(&browser, "#lead-total strong")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(total, "3");
    let funnel_rows = browser
        .find_all(Locator::Css("#table-funnel tbody tr"))
        .await
        .expect("funnel rows");
    assert_eq!(funnel_rows.len(), 8, "seven states and not interested");
    let first_cell = wait_for(&browser, "#table-funnel tbody tr td")
        .await
        .text()
        .await
        .expect("cell");
    assert_eq!(first_cell, "New");
    let bars = browser
        .find_all(Locator::Css("#table-funnel svg rect.bar"))
        .await
        .expect("bars");
    assert_eq!(bars.len(), 8);
    screenshot(&browser, "01-report-en").await;

    browser
        .goto(&app.url("/app/experiments"))
        .await
        .expect("experiments");
    let heading = wait_for(&browser, "section.experiment h2")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(heading, "Budget question wording");
    let verdict = wait_for(&browser, "p.verdict")
        .await
        .text()
        .await
        .expect("text");
    assert!(verdict.contains("no winner yet"), "{verdict}");
    wait_for(&browser, "#new-experiment summary")
        .await
        .click()
        .await
        .expect("open the form");
    wait_for(&browser, "#x-name").await;
    screenshot(&browser, "02-experiments-en").await;

    wait_for(&browser, "#switch-language")
        .await
        .click()
        .await
        .expect("switch");
    wait_for(&browser, "html[dir=rtl]").await;
    let title = wait_for(&browser, "main h1")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(title, "التجارب");
    screenshot(&browser, "03-experiments-ar").await;

    // Stop the running experiment with variant B, then define a new one, through the Arabic page.
    wait_for(&browser, "form.stop-experiment select option[value=b]")
        .await
        .click()
        .await
        .expect("choose b");
    wait_for(&browser, "form.stop-experiment button")
        .await
        .click()
        .await
        .expect("stop");
    wait_for(&browser, "#new-experiment").await;
    let stopped = browser
        .execute(
            "return document.querySelectorAll('form.stop-experiment').length",
            vec![],
        )
        .await
        .expect("count");
    assert_eq!(stopped, 0, "a stopped experiment has no stop button");
    let summary = wait_for(&browser, "section.experiment p")
        .await
        .text()
        .await
        .expect("text");
    assert!(
        summary.contains("متوقفة") && summary.contains('B'),
        "{summary}"
    );
    wait_for(&browser, "#new-experiment summary")
        .await
        .click()
        .await
        .expect("open the form");
    for (css, value) in [
        ("#x-name", "تحية أدفأ"),
        ("#x-key-1", "a"),
        ("#x-en-1", "Welcome to {business}."),
        ("#x-ar-1", "أهلاً بك في {business}."),
        ("#x-key-2", "b"),
        ("#x-en-2", "Hi {name}, thanks for reaching {business}!"),
        ("#x-ar-2", "مرحباً {name}، شكراً لتواصلك مع {business}!"),
    ] {
        wait_for(&browser, css)
            .await
            .send_keys(value)
            .await
            .expect("type");
    }
    screenshot(&browser, "05-experiment-form-ar").await;
    wait_for(&browser, "#create-experiment button[type=submit]")
        .await
        .click()
        .await
        .expect("create");
    wait_for(&browser, "form.stop-experiment").await;
    let sections = browser
        .execute(
            "return document.querySelectorAll('section.experiment').length",
            vec![],
        )
        .await
        .expect("count");
    assert_eq!(sections, 2);
    let newest = wait_for(&browser, "section.experiment h2")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(newest, "تحية أدفأ");

    browser
        .goto(&app.url("/app/analytics"))
        .await
        .expect("analytics");
    let total = wait_for(&browser, "#lead-total strong")
        .await
        .text()
        .await
        .expect("text");
    assert_eq!(total, "٣", "Arabic-Indic digits");
    let first_cell = wait_for(&browser, "#table-funnel tbody tr td")
        .await
        .text()
        .await
        .expect("cell");
    assert_eq!(first_cell, "جديد");
    // Labels sit on the right of the chart in Arabic.
    let anchor = browser
        .execute(
            "return document.querySelector('#table-funnel svg text').getAttribute('text-anchor')",
            vec![],
        )
        .await
        .expect("anchor");
    assert_eq!(anchor, "end");
    let direction = browser
        .execute("return getComputedStyle(document.body).direction", vec![])
        .await
        .expect("style");
    assert_eq!(direction, "rtl");
    screenshot(&browser, "04-report-ar").await;
    browser.close().await.expect("close");
}
