//! `spawn_app()`: boots the real `Application` on port 0 with a fresh database, and typed helpers
//! for the calls tests make.

use lead_server::config::{SecretString, Settings};
use lead_server::startup::Application;
use serde_json::{Value, json};
use std::sync::Once;
use tempfile::TempDir;

/// The admin token every test app is configured with.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";

static TRACING: Once = Once::new();

/// A running server and a client to call it.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub address: String,
    /// HTTP client.
    pub http: reqwest::Client,
    /// The admin token generated at start, when none was configured.
    pub generated_admin_token: Option<String>,
    /// Keeps the database directory alive for the test.
    pub dir: TempDir,
}

/// The seed's quick-start client body, exactly as written.
pub fn test_realty_body() -> Value {
    json!({
        "name": "Test Realty",
        "slug": "test-realty",
        "industry": "real_estate",
        "timezone": "Asia/Riyadh",
        "business_hours": {
            "monday": {"start": "09:00", "end": "18:00"},
            "tuesday": {"start": "09:00", "end": "18:00"},
            "wednesday": {"start": "09:00", "end": "18:00"},
            "thursday": {"start": "09:00", "end": "18:00"},
            "friday": {"start": "09:00", "end": "13:00"}
        }
    })
}

/// The seed's quick-start web-form lead, exactly as written.
pub fn ahmed_body() -> Value {
    json!({
        "name": "Ahmed",
        "phone": "+966501234567",
        "email": "ahmed@example.com",
        "message": "I am looking to buy an apartment in Dammam, budget around 800,000 SAR",
        "source": "website"
    })
}

/// Boots an app on SQLite in a fresh temporary directory with the default test settings.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Boots an app after letting the test adjust the settings.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
    TRACING.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            lead_server::telemetry::init(lead_server::config::LogFormat::Pretty);
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings {
        host: "127.0.0.1".to_owned(),
        port: 0,
        database_url: format!("sqlite://{}/test.db?mode=rwc", dir.path().display()),
        data_dir: dir.path().to_owned(),
        admin_token: Some(SecretString::new(ADMIN_TOKEN)),
        workers: 1,
        worker_poll_ms: 25,
        shutdown_timeout_seconds: 2,
        // The tests' receivers listen on 127.0.0.1.
        webhook_allow_private_networks: true,
        ..Settings::default()
    };
    adjust(&mut settings);
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let generated_admin_token = app.generated_admin_token().map(str::to_owned);
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        http: reqwest::Client::new(),
        generated_admin_token,
        dir,
    }
}

/// A response read whole: status, headers and JSON body (`Null` when the body is not JSON).
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body as JSON.
    pub body: Value,
}

impl Reply {
    /// Reads a response.
    pub async fn read(res: reqwest::Response) -> Self {
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Self {
            status,
            headers,
            body,
        }
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The problem `code`.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    /// The fields named in a validation problem.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    /// `url` for a path.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// GET without credentials.
    pub async fn get(&self, path: &str) -> Reply {
        Reply::read(self.http.get(self.url(path)).send().await.expect("request")).await
    }

    /// GET with an API key.
    pub async fn get_as(&self, key: &str, path: &str) -> Reply {
        Reply::read(
            self.http
                .get(self.url(path))
                .header("X-API-Key", key)
                .send()
                .await
                .expect("request"),
        )
        .await
    }

    /// A request with the admin token.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Reply {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::read(req.send().await.expect("request")).await
    }

    /// A JSON request with an API key.
    pub async fn send_as(
        &self,
        key: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header("X-API-Key", key);
        if let Some(body) = body {
            req = req.json(&body);
        }
        Reply::read(req.send().await.expect("request")).await
    }

    /// Creates a client with the admin token; returns its id and API key.
    pub async fn create_client(&self, body: Value) -> (String, String) {
        let reply = self
            .admin(reqwest::Method::POST, "/api/v1/clients", Some(body))
            .await;
        assert_eq!(reply.status, 201, "create client: {}", reply.body);
        (
            reply.body["id"].as_str().expect("id").to_owned(),
            reply.body["api_key"].as_str().expect("api_key").to_owned(),
        )
    }

    /// Creates the seed's Test Realty with a distinct slug.
    pub async fn create_realty(&self, slug: &str) -> (String, String) {
        let mut body = test_realty_body();
        body["slug"] = json!(slug);
        self.create_client(body).await
    }

    /// Creates Test Realty with a distinct slug and the widget allowed on `origins`; returns its
    /// id, API key and widget key (shown by `GET /api/v1/clients/{id}`).
    pub async fn create_chat_client(
        &self,
        slug: &str,
        origins: &[&str],
    ) -> (String, String, String) {
        let mut body = test_realty_body();
        body["slug"] = json!(slug);
        body["allowed_origins"] = json!(origins);
        let (id, key) = self.create_client(body).await;
        let shown = self
            .admin(reqwest::Method::GET, &format!("/api/v1/clients/{id}"), None)
            .await;
        let widget = shown.body["widget_key"]
            .as_str()
            .expect("GET /api/v1/clients/{id} shows the widget key")
            .to_owned();
        (id, key, widget)
    }

    /// Posts a web form with a key and optional idempotency key.
    pub async fn web_form(&self, key: &str, body: Value, idempotency: Option<&str>) -> Reply {
        let mut req = self
            .http
            .post(self.url("/webhooks/web-form"))
            .header("X-API-Key", key)
            .json(&body);
        if let Some(k) = idempotency {
            req = req.header("Idempotency-Key", k);
        }
        Reply::read(req.send().await.expect("request")).await
    }

    /// Polls a lead until `done` holds or about five seconds pass; returns the last body.
    pub async fn wait_for_lead(
        &self,
        key: &str,
        lead_id: &str,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let mut last = Value::Null;
        for _ in 0..100 {
            let reply = self.get_as(key, &format!("/api/v1/leads/{lead_id}")).await;
            last = reply.body;
            if done(&last) {
                return last;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        last
    }
}

/// The PostgreSQL server used when `TEST_DATABASE_URL` is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A fresh PostgreSQL database for one test, dropped by [`PgDatabase::drop_database`].
pub struct PgDatabase {
    /// URL of the fresh database.
    pub url: String,
    admin: sea_orm::DatabaseConnection,
    name: String,
}

impl PgDatabase {
    /// Creates a database on the server of `TEST_DATABASE_URL`; `None` (after saying why) when the
    /// server is unreachable and `CI` is not `true`.
    pub async fn create(test: &str) -> Option<Self> {
        use sea_orm::ConnectionTrait;
        let admin_url =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let admin = match sea_orm::Database::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(err) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("postgres at {admin_url} is required under CI=true: {err}");
                }
                eprintln!("skipping {test}: postgres at {admin_url} is unreachable: {err}");
                return None;
            }
        };
        let name = format!("lead_server_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("parse TEST_DATABASE_URL");
        url.set_path(&name);
        Some(Self {
            url: url.to_string(),
            admin,
            name,
        })
    }

    /// Drops the database, closing the servers' connections to it.
    pub async fn drop_database(self) {
        use sea_orm::ConnectionTrait;
        let _ = self
            .admin
            .execute_unprepared(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ))
            .await;
    }
}

/// Boots an app on a PostgreSQL database.
pub async fn spawn_app_on(db: &PgDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let url = db.url.clone();
    spawn_app_with(move |s| {
        s.database_url = url;
        s.db_max_connections = 4;
        adjust(s);
    })
    .await
}
