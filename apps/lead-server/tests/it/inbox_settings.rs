//! The owner's settings forms: each change lands in the client's settings exactly as the API
//! would store it, bad input changes nothing, agents and forged forms are refused, and a new
//! webhook's secret is shown once.

use crate::helpers::spawn_app;
use crate::inbox::{add_user, get_page, post_page, sign_in};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn an_owner_edits_every_section_and_the_api_shows_it() {
    let app = spawn_app().await;
    let (id, _key) = app.create_realty("settings-forms").await;
    add_user(&app, &id, "owner@example.com", "owner").await;
    add_user(&app, &id, "agent@example.com", "agent").await;
    let owner = sign_in(&app, "owner@example.com").await;
    let agent = sign_in(&app, "agent@example.com").await;
    let path = format!("/api/v1/clients/{id}");
    let client = || app.admin(Method::GET, &path, None);

    let saved = |p: &crate::inbox::Page| {
        assert_eq!(
            (p.status, p.location.as_str()),
            (303, "/app/settings?saved=1"),
            "{}",
            p.body
        );
    };
    saved(
        &post_page(
            &app,
            &owner.cookie,
            "/app/settings/hours",
            &[
                ("csrf", &owner.csrf),
                ("timezone", "Asia/Dubai"),
                ("sunday", "09:00-13:00, 16:00-20:00"),
                ("monday", "09:00-18:00"),
                ("holidays", "2026-12-31\n2027-01-01"),
            ],
        )
        .await,
    );
    saved(
        &post_page(
            &app,
            &owner.cookie,
            "/app/settings/rules",
            &[
                ("csrf", &owner.csrf),
                ("currency", "aed"),
                ("min_budget", "250,000"),
                ("high_value", "5000000"),
                ("hot_threshold", "6"),
                ("warm_threshold", "3"),
            ],
        )
        .await,
    );
    saved(
        &post_page(
            &app,
            &owner.cookie,
            "/app/settings/escalation",
            &[
                ("csrf", &owner.csrf),
                ("on_human_request", "1"),
                ("on_hot", "handoff"),
                ("max_exchanges", "8"),
                ("keywords", "lawyer, complaint\nمحامي"),
            ],
        )
        .await,
    );
    saved(
        &post_page(
            &app,
            &owner.cookie,
            "/app/settings/services",
            &[
                ("csrf", &owner.csrf),
                (
                    "services",
                    "buy_villa: Villas for sale\nrent_office: Offices to rent",
                ),
            ],
        )
        .await,
    );
    saved(
        &post_page(
            &app,
            &owner.cookie,
            "/app/settings/channels",
            &[
                ("csrf", &owner.csrf),
                ("phone_reply_channel", "whatsapp"),
                (
                    "origins",
                    "https://agency.example\nhttps://www.agency.example",
                ),
            ],
        )
        .await,
    );
    saved(
        &post_page(
            &app,
            &owner.cookie,
            "/app/settings/notifications",
            &[
                ("csrf", &owner.csrf),
                ("email", "sales@agency.example"),
                ("sms", "+971501112233"),
                ("language", "ar"),
                ("event", "lead.hot"),
                ("event", "lead.undeliverable"),
            ],
        )
        .await,
    );

    let c = client().await.body;
    assert_eq!(c["timezone"], "Asia/Dubai", "{c}");
    assert_eq!(
        c["business_hours"]["days"]["sunday"],
        json!([{"start": "09:00", "end": "13:00"}, {"start": "16:00", "end": "20:00"}]),
        "{c}"
    );
    assert!(
        c["business_hours"]["days"]["tuesday"].is_null(),
        "closed: {c}"
    );
    assert_eq!(
        c["business_hours"]["holidays"],
        json!(["2026-12-31", "2027-01-01"]),
        "{c}"
    );
    let rules = &c["qualification_rules"];
    assert_eq!(rules["currency"], "AED");
    assert_eq!(rules["min_budget"], 250_000.0);
    assert_eq!(rules["hot_at"], 6);
    let esc = &c["escalation"];
    assert_eq!(esc["on_human_request"], true);
    assert_eq!(esc["on_high_value"], false, "an unchecked box turns it off");
    assert_eq!(esc["on_hot"], "handoff");
    assert_eq!(esc["max_exchanges"], 8);
    assert_eq!(esc["keywords"], json!(["lawyer", "complaint", "محامي"]));
    assert_eq!(
        c["services"]["rent_office"]["description"],
        "Offices to rent"
    );
    assert!(c["services"]["buy_apartment"].is_null(), "replaced: {c}");
    assert_eq!(c["phone_reply_channel"], "whatsapp");
    assert_eq!(
        c["allowed_origins"],
        json!(["https://agency.example", "https://www.agency.example"])
    );
    let n = &c["notifications"];
    assert_eq!(n["email"], json!(["sales@agency.example"]));
    assert_eq!(n["language"], "ar");
    assert_eq!(n["events"], json!(["lead.hot", "lead.undeliverable"]));

    // The page shows what was saved.
    let page = get_page(&app, &owner.cookie, "/app/settings?saved=1").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Saved."));
    assert!(page.body.contains("09:00-13:00, 16:00-20:00"));
    assert!(page.body.contains("Offices to rent"));

    // A webhook's secret is shown once, on the answer to adding it.
    let added = post_page(
        &app,
        &owner.cookie,
        "/app/settings/webhooks",
        &[
            ("csrf", &owner.csrf),
            ("url", "https://hooks.example.com/leads"),
            ("event", "lead.hot"),
        ],
    )
    .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert!(added.body.contains("whsec_"), "the secret shows once");
    let again = get_page(&app, &owner.cookie, "/app/settings").await;
    assert!(again.body.contains("https://hooks.example.com/leads"));
    assert!(!again.body.contains("whsec_"), "and never again");
    let c = client().await.body;
    let hook = &c["notifications"]["webhooks"][0];
    assert_eq!(hook["secret_set"], true);
    assert_eq!(hook["events"], json!(["lead.hot"]));
    let hook_id = hook["id"].as_str().expect("id").to_owned();
    assert_eq!(
        c["notifications"]["email"],
        json!(["sales@agency.example"]),
        "kept"
    );
    let removed = post_page(
        &app,
        &owner.cookie,
        &format!("/app/settings/webhooks/{hook_id}/delete"),
        &[("csrf", &owner.csrf)],
    )
    .await;
    assert_eq!(removed.status, 303);
    assert_eq!(client().await.body["notifications"]["webhooks"], json!([]));

    // Bad input is refused with the field named and changes nothing.
    let before = client().await.body;
    let bad = post_page(
        &app,
        &owner.cookie,
        "/app/settings/hours",
        &[
            ("csrf", &owner.csrf),
            ("timezone", "Mars/Olympus"),
            ("monday", "09:00-18:00"),
        ],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.body.contains("timezone"), "{}", bad.body);
    let bad = post_page(
        &app,
        &owner.cookie,
        "/app/settings/notifications",
        &[("csrf", &owner.csrf), ("sms", "0501112233")],
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(client().await.body, before);

    // Agents and forged forms change nothing.
    let denied = post_page(
        &app,
        &agent.cookie,
        "/app/settings/rules",
        &[("csrf", &agent.csrf), ("min_budget", "1")],
    )
    .await;
    assert_eq!(denied.status, 403);
    let forged = post_page(
        &app,
        &owner.cookie,
        "/app/settings/rules",
        &[("csrf", "forged"), ("min_budget", "1")],
    )
    .await;
    assert_eq!(forged.status, 403);
    assert_eq!(client().await.body, before);
}
