//! The sales inbox over HTTP: users API, sign-in and its cookie, CSRF refusal, session expiry,
//! tenant isolation, roles, throttling, logout, the lead page's evidence and actions, CSV export,
//! and `admin create-user`.

use crate::helpers::{TestApp, ahmed_body, spawn_app, spawn_app_with};
use reqwest::Method;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};

/// The password every test user gets.
pub const PASSWORD: &str = "correct horse battery staple";

/// A page as the browser would get it.
pub struct Page {
    /// Status.
    pub status: u16,
    /// `Location`, for redirects.
    pub location: String,
    /// Every `Set-Cookie`.
    pub cookies: Vec<String>,
    /// The HTML.
    pub body: String,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

async fn read(res: reqwest::Response) -> Page {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let cookies = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    let body = res.text().await.expect("body");
    Page {
        status,
        location,
        cookies,
        body,
    }
}

/// The value of the first `name="csrf"` input of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap_or("").to_owned()
}

fn cookie_value(cookies: &[String], name: &str) -> Option<String> {
    cookies.iter().find_map(|c| {
        c.strip_prefix(&format!("{name}="))
            .map(|rest| rest.split(';').next().unwrap_or("").to_owned())
    })
}

/// A signed-in browser: its session cookie and the CSRF token of its pages.
pub struct Signed {
    /// `lead_session=...`.
    pub cookie: String,
    /// The session's CSRF token.
    pub csrf: String,
}

/// GET a page with a cookie.
pub async fn get_page(app: &TestApp, cookie: &str, path: &str) -> Page {
    read(
        client()
            .get(app.url(path))
            .header(COOKIE, cookie)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// POST a form with a cookie.
pub async fn post_page(app: &TestApp, cookie: &str, path: &str, form: &[(&str, &str)]) -> Page {
    read(
        client()
            .post(app.url(path))
            .header(COOKIE, cookie)
            .form(form)
            .send()
            .await
            .expect("request"),
    )
    .await
}

/// Tries to sign in; the page answered.
pub async fn try_sign_in(app: &TestApp, email: &str, password: &str) -> Page {
    let form = read(
        client()
            .get(app.url("/app/login"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(form.status, 200);
    let login_csrf = cookie_value(&form.cookies, "lead_login_csrf").expect("login csrf cookie");
    post_page(
        app,
        &format!("lead_login_csrf={login_csrf}"),
        "/app/login",
        &[
            ("email", email),
            ("password", password),
            ("csrf", &csrf_of(&form.body)),
        ],
    )
    .await
}

/// Signs in and returns the session.
pub async fn sign_in(app: &TestApp, email: &str) -> Signed {
    let page = try_sign_in(app, email, PASSWORD).await;
    assert_eq!(
        (page.status, page.location.as_str()),
        (303, "/app"),
        "{}",
        page.body
    );
    let token = cookie_value(&page.cookies, "lead_session").expect("session cookie");
    let cookie = format!("lead_session={token}");
    let inbox = get_page(app, &cookie, "/app").await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    Signed {
        csrf: csrf_of(&inbox.body),
        cookie,
    }
}

/// Creates a user through the API with the admin token.
pub async fn add_user(app: &TestApp, client_id: &str, email: &str, role: &str) -> Value {
    let reply = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{client_id}/users"),
            Some(json!({"email": email, "name": "Sara", "role": role, "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

/// A client with an owner, and a lead from Ahmed's web form that has been processed.
pub async fn client_with_lead(app: &TestApp, slug: &str, owner: &str) -> (String, String, String) {
    let (client_id, key) = app.create_realty(slug).await;
    add_user(app, &client_id, owner, "owner").await;
    let accepted = app.web_form(&key, ahmed_body(), None).await;
    assert_eq!(accepted.status, 202, "{}", accepted.body);
    let lead_id = accepted.body["lead_id"]
        .as_str()
        .expect("lead id")
        .to_owned();
    let done = app
        .wait_for_lead(&key, &lead_id, |l| {
            l["state"].as_str().is_some_and(|s| s != "NEW")
        })
        .await;
    assert!(!done.is_null());
    (client_id, key, lead_id)
}

#[tokio::test]
async fn users_api_creates_lists_and_removes_users_without_showing_passwords() {
    let app = spawn_app().await;
    let (client_id, key) = app.create_realty("users-api").await;
    let (other_id, other_key) = app.create_realty("users-api-other").await;
    let created = add_user(&app, &client_id, "Owner@Example.com", "owner").await;
    assert_eq!(created["email"], "owner@example.com");
    assert_eq!(created["role"], "owner");
    assert!(created.get("password").is_none() && created.get("password_hash").is_none());

    // The client's own key works too, for its own users only.
    let by_key = app
        .send_as(
            &key,
            Method::POST,
            &format!("/api/v1/clients/{client_id}/users"),
            Some(json!({"email": "agent@example.com", "name": "Ali", "role": "agent", "password": PASSWORD})),
        )
        .await;
    assert_eq!(by_key.status, 201, "{}", by_key.body);
    let foreign = app
        .send_as(
            &other_key,
            Method::GET,
            &format!("/api/v1/clients/{client_id}/users"),
            None,
        )
        .await;
    assert_eq!(foreign.status, 404);

    let short = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{client_id}/users"),
            Some(json!({"email": "x@example.com", "name": "X", "role": "agent", "password": "short"})),
        )
        .await;
    assert_eq!(
        (short.status, short.fields()),
        (422, vec!["password".to_owned()])
    );
    let taken = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{other_id}/users"),
            Some(json!({"email": "owner@example.com", "name": "X", "role": "agent", "password": PASSWORD})),
        )
        .await;
    assert_eq!(taken.status, 409);
    let bad_role = app
        .admin(
            Method::POST,
            &format!("/api/v1/clients/{client_id}/users"),
            Some(json!({"email": "y@example.com", "name": "Y", "role": "boss", "password": PASSWORD})),
        )
        .await;
    assert_eq!(bad_role.status, 422);

    let listed = app
        .get_as(&key, &format!("/api/v1/clients/{client_id}/users"))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body.as_array().map(Vec::len), Some(2));
    assert!(!listed.body.to_string().contains("argon2"));

    let agent_id = by_key.body["id"].as_str().expect("id");
    let agent = sign_in(&app, "agent@example.com").await;
    let removed = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/clients/{client_id}/users/{agent_id}"),
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    // Removing a user ends their sessions.
    assert_eq!(get_page(&app, &agent.cookie, "/app").await.status, 303);
    let again = app
        .admin(
            Method::DELETE,
            &format!("/api/v1/clients/{client_id}/users/{agent_id}"),
            None,
        )
        .await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn sign_in_sets_a_protected_cookie_and_wrong_or_unknown_credentials_fail_alike() {
    let app =
        spawn_app_with(|s| s.public_base_url = Some("https://leads.example.com".to_owned())).await;
    let (client_id, _) = app.create_realty("cookie-flags").await;
    add_user(&app, &client_id, "ana@example.com", "agent").await;

    assert_eq!(get_page(&app, "", "/app").await.location, "/app/login");
    let ok = try_sign_in(&app, "ANA@example.com", PASSWORD).await;
    assert_eq!(ok.status, 303);
    let cookie = ok
        .cookies
        .iter()
        .find(|c| c.starts_with("lead_session="))
        .expect("session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/app"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }

    let wrong = try_sign_in(&app, "ana@example.com", "not the password at all").await;
    let unknown = try_sign_in(&app, "nobody@example.com", "not the password at all").await;
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert!(wrong.body.contains("Wrong email or password"));
    assert!(!wrong.cookies.iter().any(|c| c.starts_with("lead_session=")));
}

#[tokio::test]
async fn cookies_are_not_marked_secure_on_plain_http() {
    let app = spawn_app().await;
    let (client_id, _) = app.create_realty("cookie-http").await;
    add_user(&app, &client_id, "plain@example.com", "agent").await;
    let ok = try_sign_in(&app, "plain@example.com", PASSWORD).await;
    let cookie = ok
        .cookies
        .iter()
        .find(|c| c.starts_with("lead_session="))
        .expect("cookie");
    assert!(!cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn state_changing_forms_without_the_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let (_, key, lead_id) = client_with_lead(&app, "csrf", "csrf@example.com").await;
    let me = sign_in(&app, "csrf@example.com").await;
    let detail = app.get_as(&key, &format!("/api/v1/leads/{lead_id}")).await;
    let conversation = detail.body["conversations"][0]["id"]
        .as_str()
        .expect("conversation")
        .to_owned();

    let forged = post_page(
        &app,
        &me.cookie,
        &format!("/app/leads/{lead_id}/take-over"),
        &[("conversation_id", &conversation), ("csrf", "forged")],
    )
    .await;
    assert_eq!(forged.status, 403);
    let missing = post_page(
        &app,
        &me.cookie,
        &format!("/app/leads/{lead_id}/state"),
        &[("value", "DISQUALIFIED"), ("reason", "x")],
    )
    .await;
    assert_eq!(missing.status, 403);
    let after = app
        .get_as(&key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(after.body["escalated"], false);
    let lead = app.get_as(&key, &format!("/api/v1/leads/{lead_id}")).await;
    assert_ne!(lead.body["state"], "DISQUALIFIED");

    // Sign-in itself needs the form's token too.
    let no_token = post_page(
        &app,
        "",
        "/app/login",
        &[
            ("email", "csrf@example.com"),
            ("password", PASSWORD),
            ("csrf", "x"),
        ],
    )
    .await;
    assert_eq!(no_token.status, 403);
    let logout = post_page(&app, &me.cookie, "/app/logout", &[("csrf", "")]).await;
    assert_eq!(logout.status, 403);
    assert_eq!(get_page(&app, &me.cookie, "/app").await.status, 200);
}

#[tokio::test]
async fn a_session_idle_too_long_expires() {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let app = spawn_app().await;
    let (client_id, _) = app.create_realty("expiry").await;
    add_user(&app, &client_id, "idle@example.com", "agent").await;
    let me = sign_in(&app, "idle@example.com").await;
    let db = sea_orm::Database::connect(format!(
        "sqlite://{}/test.db?mode=rwc",
        app.dir.path().display()
    ))
    .await
    .expect("database");
    let nine_hours_ago = chrono::Utc::now() - chrono::Duration::hours(9);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "UPDATE user_sessions SET last_seen_at = ?",
        [nine_hours_ago.into()],
    ))
    .await
    .expect("age the session");
    let page = get_page(&app, &me.cookie, "/app").await;
    assert_eq!((page.status, page.location.as_str()), (303, "/app/login"));
    // Seven hours idle is still a live session.
    let me = sign_in(&app, "idle@example.com").await;
    let seven_hours_ago = chrono::Utc::now() - chrono::Duration::hours(7);
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "UPDATE user_sessions SET last_seen_at = ?",
        [seven_hours_ago.into()],
    ))
    .await
    .expect("age the session");
    assert_eq!(get_page(&app, &me.cookie, "/app").await.status, 200);
}

#[tokio::test]
async fn another_tenants_lead_is_not_found_and_agents_cannot_open_settings() {
    let app = spawn_app().await;
    let (_, _, lead_id) = client_with_lead(&app, "iso-a", "a@example.com").await;
    let (other_client, _) = app.create_realty("iso-b").await;
    add_user(&app, &other_client, "b@example.com", "agent").await;
    let owner = sign_in(&app, "a@example.com").await;
    let agent = sign_in(&app, "b@example.com").await;

    assert_eq!(
        get_page(&app, &owner.cookie, &format!("/app/leads/{lead_id}"))
            .await
            .status,
        200
    );
    let foreign = get_page(&app, &agent.cookie, &format!("/app/leads/{lead_id}")).await;
    assert_eq!(foreign.status, 404);
    assert!(!foreign.body.contains("Ahmed"));
    let list = get_page(&app, &agent.cookie, "/app/leads?q=ahmed").await;
    assert!(!list.body.contains(&lead_id));
    let act = post_page(
        &app,
        &agent.cookie,
        &format!("/app/leads/{lead_id}/score"),
        &[("csrf", &agent.csrf), ("value", "COLD"), ("reason", "x")],
    )
    .await;
    assert_eq!(act.status, 404);

    assert_eq!(
        get_page(&app, &agent.cookie, "/app/settings").await.status,
        403
    );
    let add = post_page(
        &app,
        &agent.cookie,
        "/app/settings/users",
        &[
            ("csrf", &agent.csrf),
            ("email", "c@example.com"),
            ("name", "C"),
            ("role", "owner"),
            ("password", PASSWORD),
        ],
    )
    .await;
    assert_eq!(add.status, 403);
    let settings = get_page(&app, &owner.cookie, "/app/settings").await;
    assert_eq!(settings.status, 200);
    assert!(settings.body.contains("widget.js"));
    assert_eq!(
        get_page(&app, &agent.cookie, "/app/usage").await.status,
        200
    );
}

#[tokio::test]
async fn repeated_failed_sign_ins_are_throttled_per_account() {
    let app = spawn_app().await;
    let (client_id, _) = app.create_realty("throttle").await;
    add_user(&app, &client_id, "t@example.com", "agent").await;
    for _ in 0..5 {
        assert_eq!(
            try_sign_in(&app, "t@example.com", "wrong password here")
                .await
                .status,
            401
        );
    }
    // Now even the right password waits.
    let blocked = try_sign_in(&app, "t@example.com", PASSWORD).await;
    assert_eq!(blocked.status, 429, "{}", blocked.body);
    assert!(blocked.body.contains("Too many failed sign-ins"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let app = spawn_app().await;
    let (client_id, _) = app.create_realty("logout").await;
    add_user(&app, &client_id, "out@example.com", "agent").await;
    let me = sign_in(&app, "out@example.com").await;
    let out = post_page(&app, &me.cookie, "/app/logout", &[("csrf", &me.csrf)]).await;
    assert_eq!((out.status, out.location.as_str()), (303, "/app/login"));
    assert!(
        out.cookies
            .iter()
            .any(|c| c.starts_with("lead_session=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(
        get_page(&app, &me.cookie, "/app").await.location,
        "/app/login"
    );
}

#[tokio::test]
async fn the_lead_page_shows_evidence_and_its_actions_go_through_the_use_cases() {
    let app = spawn_app().await;
    let (client_id, key, lead_id) = client_with_lead(&app, "actions", "act@example.com").await;
    let me = sign_in(&app, "act@example.com").await;
    let page = get_page(&app, &me.cookie, &format!("/app/leads/{lead_id}")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("<mark class=\"evidence\""),
        "no evidence quote in {}",
        page.body
    );
    assert!(page.body.contains("Dammam"));
    let detail = app.get_as(&key, &format!("/api/v1/leads/{lead_id}")).await;
    let conversation = detail.body["conversations"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = |action: &str| format!("/app/leads/{lead_id}/{action}");

    let took = post_page(
        &app,
        &me.cookie,
        &path("take-over"),
        &[("csrf", &me.csrf), ("conversation_id", &conversation)],
    )
    .await;
    assert_eq!(
        (took.status, took.location.clone()),
        (303, format!("/app/leads/{lead_id}"))
    );
    let conv = app
        .get_as(&key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(conv.body["escalated"], true);
    assert_eq!(
        conv.body["escalations"][0]["raised_by"],
        "user:act@example.com"
    );

    let replied = post_page(
        &app,
        &me.cookie,
        &path("reply"),
        &[
            ("csrf", &me.csrf),
            ("conversation_id", &conversation),
            ("text", "Hello Ahmed, this is Sara"),
        ],
    )
    .await;
    assert_eq!(replied.status, 303);
    let messages = app
        .get_as(
            &key,
            &format!("/api/v1/conversations/{conversation}/messages"),
        )
        .await;
    assert!(
        messages
            .body
            .to_string()
            .contains("Hello Ahmed, this is Sara")
    );

    let released = post_page(
        &app,
        &me.cookie,
        &path("release"),
        &[("csrf", &me.csrf), ("conversation_id", &conversation)],
    )
    .await;
    assert_eq!(released.status, 303);
    let conv = app
        .get_as(&key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(conv.body["escalated"], false);

    let scored = post_page(
        &app,
        &me.cookie,
        &path("score"),
        &[
            ("csrf", &me.csrf),
            ("value", "HOT"),
            ("reason", "cash buyer"),
        ],
    )
    .await;
    assert_eq!(scored.status, 303);
    let lead = app.get_as(&key, &format!("/api/v1/leads/{lead_id}")).await;
    assert_eq!(lead.body["score"], "HOT");

    let fixed = post_page(
        &app,
        &me.cookie,
        &path("field"),
        &[
            ("csrf", &me.csrf),
            ("field", "location"),
            ("value", "Riyadh"),
        ],
    )
    .await;
    assert_eq!(fixed.status, 303);
    let page = get_page(&app, &me.cookie, &format!("/app/leads/{lead_id}")).await;
    assert!(page.body.contains("Riyadh") && page.body.contains("set by a person"));

    // The lead was handed off by the take-over; only legal transitions are offered and accepted.
    let illegal = post_page(
        &app,
        &me.cookie,
        &path("state"),
        &[("csrf", &me.csrf), ("value", "NEW"), ("reason", "x")],
    )
    .await;
    assert_eq!(illegal.status, 409);
    let bad_field = post_page(
        &app,
        &me.cookie,
        &path("field"),
        &[("csrf", &me.csrf), ("field", "budget"), ("value", "lots")],
    )
    .await;
    assert_eq!(bad_field.status, 422);

    // The hot lead is in the inbox's waiting list.
    let inbox = get_page(&app, &me.cookie, "/app").await;
    let waiting = inbox.body.split("id=\"waiting\"").nth(1).unwrap_or("");
    assert!(
        waiting.contains(&lead_id),
        "hot lead not waiting: {}",
        inbox.body
    );
    let _ = client_id;
}

#[tokio::test]
async fn the_lead_list_filters_searches_and_exports_csv() {
    let app = spawn_app().await;
    let (_, key, lead_id) = client_with_lead(&app, "list", "list@example.com").await;
    let mut other = ahmed_body();
    other["name"] = json!("=Mona");
    other["phone"] = json!("+966507654321");
    other["email"] = json!("mona@example.com");
    assert_eq!(app.web_form(&key, other, None).await.status, 202);
    let me = sign_in(&app, "list@example.com").await;

    let all = get_page(&app, &me.cookie, "/app/leads").await;
    assert!(all.body.contains(&lead_id) && all.body.contains("=Mona"));
    let search = get_page(&app, &me.cookie, "/app/leads?q=AHMED").await;
    assert!(search.body.contains(&lead_id) && !search.body.contains("=Mona"));
    let by_phone = get_page(&app, &me.cookie, "/app/leads?q=7654321").await;
    assert!(by_phone.body.contains("=Mona") && !by_phone.body.contains(&lead_id));
    let by_channel = get_page(&app, &me.cookie, "/app/leads?channel=sms").await;
    assert!(!by_channel.body.contains(&lead_id));
    let bad = get_page(&app, &me.cookie, "/app/leads?state=SOMETHING").await;
    assert_eq!(bad.status, 422);

    let csv = get_page(&app, &me.cookie, "/app/leads/export.csv?q=mona").await;
    assert_eq!(csv.status, 200);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines.len(), 2, "{}", csv.body);
    assert!(lines[0].starts_with("id,created_at,name"));
    assert!(
        lines[1].contains(",'=Mona,"),
        "formula not neutralised: {}",
        lines[1]
    );
}

#[tokio::test]
async fn arabic_users_get_a_right_to_left_interface() {
    let app = spawn_app().await;
    let (client_id, _) = app.create_realty("arabic").await;
    add_user(&app, &client_id, "ar@example.com", "agent").await;
    let me = sign_in(&app, "ar@example.com").await;
    let switched = post_page(
        &app,
        &me.cookie,
        "/app/language",
        &[
            ("csrf", &me.csrf),
            ("language", "ar"),
            ("back", "/app/leads"),
        ],
    )
    .await;
    assert_eq!(
        (switched.status, switched.location.as_str()),
        (303, "/app/leads")
    );
    let page = get_page(&app, &me.cookie, "/app/leads").await;
    assert!(page.body.contains("<html lang=\"ar\" dir=\"rtl\">"));
    assert!(page.body.contains("العملاء المحتملون"));
    let evil = post_page(
        &app,
        &me.cookie,
        "/app/language",
        &[
            ("csrf", &me.csrf),
            ("language", "en"),
            ("back", "https://evil.example/"),
        ],
    )
    .await;
    assert_eq!(evil.location, "/app");
}

#[tokio::test]
async fn admin_create_user_reads_the_password_from_standard_input() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let app = spawn_app().await;
    let (client_id, _) = app.create_realty("cli-user").await;
    let db = format!("sqlite://{}/test.db?mode=rwc", app.dir.path().display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_lead-server"))
        .args([
            "admin",
            "create-user",
            "--client",
            "cli-user",
            "--email",
            "first@example.com",
            "--name",
            "First",
            "--role",
            "owner",
        ])
        .env("DATABASE_URL", &db)
        .env("DATA_DIR", app.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lead-server runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password written");
    let out = child.wait_with_output().expect("exits");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("client_id={client_id}")),
        "{stdout}"
    );
    assert!(!stdout.contains(PASSWORD));
    let me = sign_in(&app, "first@example.com").await;
    assert_eq!(
        get_page(&app, &me.cookie, "/app/settings").await.status,
        200
    );
}
