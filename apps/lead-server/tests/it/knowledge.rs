//! The knowledge base over HTTP: documents stored, listed, shown, replaced and deleted with the
//! admin token or the client's own key, searched the way the AI sees them, limits answered with
//! 413 and 422, one client never seeing another's passages, questions answered from a document in
//! live chat in English and Arabic with the passage kept as the reply's source, and the offline
//! figures on questions written apart from the development set.

use crate::helpers::{ADMIN_TOKEN, PgDatabase, TestApp, spawn_app, spawn_app_on, spawn_app_with};
use lead_server::config::{LlmProvider, SecretString};
use reqwest::Method;
use serde_json::{Value, json};
use std::path::Path;

const PRICE_LIST: &str = "# Desert Rose Dental — Price list\n\n\
Prices in AED.\n\n\
## Whitening\n\n\
- In-clinic whitening session: AED 1,200\n\
- Take-home whitening kit: AED 650\n\n\
## Implants\n\n\
- Titanium implant with crown: AED 4,900\n\n\
## Opening hours\n\n\
Saturday to Thursday, 9:00 AM to 9:00 PM. Closed on Fridays.\n";

fn document(title: &str, content: &str) -> Value {
    json!({"title": title, "content": content, "format": "markdown", "language": "en"})
}

fn path(client: &str) -> String {
    format!("/api/v1/clients/{client}/knowledge")
}

fn search_path(client: &str, q: &str) -> String {
    let q: String = url_encode(q);
    format!("/api/v1/clients/{client}/knowledge/search?q={q}&limit=3")
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn upload(app: &TestApp, client: &str, body: Value) -> Value {
    let reply = app.admin(Method::POST, &path(client), Some(body)).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    reply.body
}

#[tokio::test]
async fn documents_are_stored_listed_shown_replaced_and_deleted() {
    let app = spawn_app().await;
    let (client, key) = app.create_realty("kb-crud").await;

    // Created with the admin token: split into passages by its headings.
    let created = upload(&app, &client, document("Price list", PRICE_LIST)).await;
    let doc = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["title"], "Price list");
    let chunks = created["chunks"].as_u64().expect("chunks");
    assert!(chunks >= 3, "{created}");
    assert!(created["created_at"].is_string());

    // Listed and shown with the client's own key, each passage with its heading path.
    let list = app.get_as(&key, &path(&client)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let items = list.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], created["id"]);
    assert_eq!(items[0]["format"], "markdown");
    assert_eq!(items[0]["language"], "en");
    assert_eq!(items[0]["chunks"].as_u64(), Some(chunks));
    let shown = app.get_as(&key, &format!("{}/{doc}", path(&client))).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert_eq!(shown.body["content"], PRICE_LIST);
    let passages = shown.body["chunks"].as_array().expect("chunks");
    assert_eq!(passages.len() as u64, chunks);
    let whitening = passages
        .iter()
        .find(|c| c["text"].as_str().unwrap_or("").contains("AED 1,200"))
        .expect("the whitening passage");
    assert_eq!(
        whitening["heading_path"],
        json!(["Desert Rose Dental — Price list", "Whitening"])
    );

    // Searched the way the AI sees it, with the client's key.
    let found = app
        .get_as(&key, &search_path(&client, "how much is teeth whitening?"))
        .await;
    assert_eq!(found.status, 200, "{}", found.body);
    let first = &found.body["items"][0];
    assert_eq!(first["document_id"], created["id"]);
    assert_eq!(first["title"], "Price list");
    assert!(
        first["text"].as_str().unwrap_or("").contains("AED 1,200"),
        "{}",
        found.body
    );
    assert!(
        first["score"].as_f64().unwrap_or(0.0) > 0.5,
        "{}",
        found.body
    );
    assert!(first["chunk_id"].is_string());

    // Replaced with the client's key: re-chunked, the old text no longer found.
    let replaced = app
        .send_as(
            &key,
            Method::PUT,
            &format!("{}/{doc}", path(&client)),
            Some(json!({"title": "Prices 2027", "content": "Whitening now costs AED 990.\n\nVeneers cost AED 1,800 per tooth."})),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(replaced.body["id"], created["id"]);
    assert_eq!(replaced.body["title"], "Prices 2027");
    assert_eq!(replaced.body["created_at"], created["created_at"]);
    let shown = app.get_as(&key, &format!("{}/{doc}", path(&client))).await;
    assert_eq!(shown.body["format"], "text");
    assert_eq!(shown.body["language"], Value::Null);
    let texts: Vec<&str> = shown.body["chunks"]
        .as_array()
        .expect("chunks")
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect();
    assert!(texts.iter().any(|t| t.contains("AED 990")), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains("AED 1,200")), "{texts:?}");
    let implants = app
        .get_as(&key, &search_path(&client, "titanium implant"))
        .await;
    assert_eq!(implants.body["items"], json!([]), "{}", implants.body);

    // Deleted: gone from the list, the detail and the search.
    let deleted = app
        .send_as(
            &key,
            Method::DELETE,
            &format!("{}/{doc}", path(&client)),
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    let again = app
        .admin(Method::DELETE, &format!("{}/{doc}", path(&client)), None)
        .await;
    assert_eq!(again.status, 404, "{}", again.body);
    let gone = app.get_as(&key, &format!("{}/{doc}", path(&client))).await;
    assert_eq!(gone.status, 404);
    let list = app.get_as(&key, &path(&client)).await;
    assert_eq!(list.body["items"], json!([]));
    let found = app.get_as(&key, &search_path(&client, "whitening")).await;
    assert_eq!(found.body["items"], json!([]));
}

#[tokio::test]
async fn html_is_read_as_text_and_its_headings_kept() {
    let app = spawn_app().await;
    let (client, key) = app.create_realty("kb-html").await;
    let html = "<html><head><style>p{color:red}</style><script>var x = '<b>';</script></head>\
                <body><h1>Riverside Villas</h1><h2>Payment plan</h2>\
                <p>Pay <b>10%</b> on booking &amp; the rest over 36 months.</p>\
                <ul><li>No interest</li><li>No fees</li></ul></body></html>";
    let created = upload(
        &app,
        &client,
        json!({"title": "Villas", "content": html, "format": "html"}),
    )
    .await;
    let doc = created["id"].as_str().expect("id");
    let shown = app.get_as(&key, &format!("{}/{doc}", path(&client))).await;
    let chunks = shown.body["chunks"].as_array().expect("chunks");
    let all: String = chunks
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        all.contains("Pay 10% on booking & the rest over 36 months."),
        "{all}"
    );
    assert!(all.contains("No interest"), "{all}");
    assert!(
        !all.contains('<') && !all.contains("color:red") && !all.contains("var x"),
        "{all}"
    );
    assert_eq!(
        chunks[0]["heading_path"],
        json!(["Riverside Villas", "Payment plan"])
    );
}

#[tokio::test]
async fn limits_and_bad_fields_are_refused_with_413_and_422() {
    let app = spawn_app().await;
    let (client, key) = app.create_realty("kb-limits").await;

    let big = "a ".repeat(300 * 1024);
    let too_big = app
        .admin(Method::POST, &path(&client), Some(document("Big", &big)))
        .await;
    assert_eq!(too_big.status, 413, "{}", too_big.body);
    assert!(
        too_big
            .content_type()
            .starts_with("application/problem+json")
    );

    let cases = [
        (json!({"title": "  ", "content": "Some text."}), "title"),
        (
            json!({"title": "x".repeat(201), "content": "Some text."}),
            "title",
        ),
        (
            json!({"title": "T", "content": "Some text.", "format": "pdf"}),
            "format",
        ),
        (
            json!({"title": "T", "content": "Some text.", "language": "fr"}),
            "language",
        ),
        (json!({"title": "T", "content": "  \n\n  "}), "content"),
    ];
    for (body, field) in cases {
        let reply = app
            .send_as(&key, Method::POST, &path(&client), Some(body.clone()))
            .await;
        assert_eq!(reply.status, 422, "{body}: {}", reply.body);
        assert!(
            reply.fields().contains(&field.to_owned()),
            "{body}: {}",
            reply.body
        );
    }
    let unknown = app
        .send_as(
            &key,
            Method::POST,
            &path(&client),
            Some(json!({"title": "T", "content": "Text", "colour": "red"})),
        )
        .await;
    assert!(
        unknown.status == 400 || unknown.status == 422,
        "{}",
        unknown.body
    );

    for query in ["q=&limit=3", "q=hello&limit=0", "q=hello&limit=21"] {
        let reply = app
            .get_as(&key, &format!("{}/search?{query}", path(&client)))
            .await;
        assert_eq!(reply.status, 422, "{query}: {}", reply.body);
    }
    // Nothing was stored by the refused uploads.
    let list = app.get_as(&key, &path(&client)).await;
    assert_eq!(list.body["items"], json!([]));
}

#[tokio::test]
async fn a_client_never_sees_another_clients_knowledge() {
    let app = spawn_app().await;
    let (mine, my_key) = app.create_realty("kb-mine").await;
    let (theirs, their_key) = app.create_realty("kb-theirs").await;
    let created = upload(&app, &mine, document("Price list", PRICE_LIST)).await;
    let doc = created["id"].as_str().expect("id");

    // Another client's key on my paths: as if nothing were there.
    for p in [
        path(&mine),
        format!("{}/{doc}", path(&mine)),
        search_path(&mine, "whitening"),
    ] {
        let reply = app.get_as(&their_key, &p).await;
        assert_eq!(reply.status, 404, "{p}: {}", reply.body);
    }
    let put = app
        .send_as(
            &their_key,
            Method::PUT,
            &format!("{}/{doc}", path(&mine)),
            Some(document("Mine now", "Free whitening for all.")),
        )
        .await;
    assert_eq!(put.status, 404);
    let delete = app
        .send_as(
            &their_key,
            Method::DELETE,
            &format!("{}/{doc}", path(&mine)),
            None,
        )
        .await;
    assert_eq!(delete.status, 404);
    // My document under their id is not theirs either.
    let cross = app
        .get_as(&their_key, &format!("{}/{doc}", path(&theirs)))
        .await;
    assert_eq!(cross.status, 404);

    // Their own search, with their key or the admin token, finds none of my passages.
    let found = app
        .get_as(&their_key, &search_path(&theirs, "how much is whitening"))
        .await;
    assert_eq!(found.status, 200);
    assert_eq!(found.body["items"], json!([]), "{}", found.body);
    let admin = app
        .admin(
            Method::GET,
            &search_path(&theirs, "whitening implant"),
            None,
        )
        .await;
    assert_eq!(admin.body["items"], json!([]), "{}", admin.body);

    // Mine are untouched and still mine.
    let shown = app.get_as(&my_key, &format!("{}/{doc}", path(&mine))).await;
    assert_eq!(shown.status, 200);
    assert_eq!(shown.body["title"], "Price list");

    // No credentials, or a wrong admin token: 401.
    let anonymous = app.get(&path(&mine)).await;
    assert_eq!(anonymous.status, 401);
    let wrong = app
        .http
        .get(app.url(&path(&mine)))
        .bearer_auth(format!("{ADMIN_TOKEN}x"))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong.status().as_u16(), 401);
}

async fn chat(app: &TestApp, widget: &str, session: &str, message: &str) -> Value {
    let res = app
        .http
        .post(app.url("/webhooks/live-chat"))
        .json(&json!({"widget_key": widget, "session_id": session, "message": message}))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status().as_u16(), 200);
    res.json().await.expect("json")
}

/// The outbound message of a conversation that carries `sources`, as the API shows it.
async fn quoted_sources(app: &TestApp, key: &str, conversation: &str) -> Vec<Value> {
    let shown = app
        .get_as(key, &format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    shown.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter(|m| m["direction"] == "outbound")
        .flat_map(|m| m["sources"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn live_chat_answers_from_an_uploaded_document_in_english_and_arabic() {
    let app = spawn_app().await;
    let (client, key, widget) = app.create_chat_client("kb-chat", &[]).await;
    let created = upload(&app, &client, document("Price list", PRICE_LIST)).await;
    let doc = created["id"].as_str().expect("id");

    // English question, English document: the price quoted, then the conversation goes on.
    let english = chat(
        &app,
        &widget,
        "kb-en",
        "How much is teeth whitening at the clinic?",
    )
    .await;
    let text = english["reply"]["text"].as_str().expect("reply");
    assert!(text.contains("AED 1,200"), "{text}");
    assert_eq!(english["reply"]["language"], "en");
    let conversation = english["conversation_id"].as_str().expect("conversation");
    let sources = quoted_sources(&app, &key, conversation).await;
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["document_id"].as_str(), Some(doc));
    assert_eq!(sources[0]["title"], "Price list");

    // Arabic question on the English document: an Arabic reply with a bilingual lead-in and the
    // figure from the document.
    let arabic = chat(&app, &widget, "kb-ar", "كم سعر زراعة الأسنان؟").await;
    let text = arabic["reply"]["text"].as_str().expect("reply");
    assert_eq!(arabic["reply"]["language"], "ar", "{arabic}");
    assert!(text.contains("4,900"), "{text}");
    assert!(text.contains("(بالإنجليزية)"), "{text}");
    let conversation = arabic["conversation_id"].as_str().expect("conversation");
    let sources = quoted_sources(&app, &key, conversation).await;
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["document_id"].as_str(), Some(doc));

    // A question no document answers: no quote, no source, and no hand-off for asking.
    let unknown = chat(
        &app,
        &widget,
        "kb-none",
        "Do you offer orthodontic retainers for dogs?",
    )
    .await;
    let conversation = unknown["conversation_id"].as_str().expect("conversation");
    assert!(quoted_sources(&app, &key, conversation).await.is_empty());
    let text = unknown["reply"]["text"].as_str().expect("reply");
    assert!(!text.contains("AED"), "{text}");
}

#[tokio::test]
async fn the_model_sees_the_passages_with_their_ids_and_its_cited_passages_are_kept() {
    let anthropic = wiremock::MockServer::start().await;
    let app = spawn_app_with(|s| {
        s.llm_provider = Some(LlmProvider::Anthropic);
        s.anthropic_api_key = Some(SecretString::new("sk-ant-local"));
        s.anthropic_base_url = anthropic.uri();
    })
    .await;
    let (client, key, widget) = app.create_chat_client("kb-model", &[]).await;
    upload(&app, &client, document("Price list", PRICE_LIST)).await;
    let found = app
        .get_as(&key, &search_path(&client, "teeth whitening price"))
        .await;
    let chunk = found.body["items"][0]["chunk_id"]
        .as_str()
        .expect("a passage")
        .to_owned();

    // The routing call must carry the passage under its id; the model answers and cites it, plus
    // an id it was never given.
    let reply = "In-clinic whitening is AED 1,200 per session.";
    let routing = json!({"kind": "question", "language": "en", "reply": reply, "confidence": 0.9,
                         "sources": [format!("[{chunk}]"), "not-a-passage"]});
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .and(wiremock::matchers::path("/v1/messages"))
        .and(wiremock::matchers::body_string_contains(format!(
            "[{chunk}]"
        )))
        .respond_with(wiremock::ResponseTemplate::new(200).set_body_json(json!({
            "id": "msg_local", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "tool_use", "id": "toolu_local",
                         "name": lead_llm::router::ROUTER_TOOL_NAME, "input": routing}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 500, "output_tokens": 40,
                      "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        })))
        .expect(1)
        .mount(&anthropic)
        .await;

    let answered = chat(&app, &widget, "kb-model-1", "how much is teeth whitening?").await;
    assert_eq!(answered["reply"]["text"], reply, "{answered}");
    let conversation = answered["conversation_id"].as_str().expect("conversation");
    let sources = quoted_sources(&app, &key, conversation).await;
    assert_eq!(sources.len(), 1, "{sources:?}");
    assert_eq!(sources[0]["chunk_id"].as_str(), Some(chunk.as_str()));
    assert_eq!(sources[0]["title"], "Price list");
}

#[tokio::test]
async fn offline_answers_meet_the_goal_on_questions_written_apart_from_the_development_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/knowledge/unseen");
    let figures = lead_server::eval_knowledge::evaluate(&dir, false)
        .await
        .expect("evaluation");
    assert!(figures.answerable >= 30, "{figures:?}");
    assert!(figures.recall_at_3 >= 0.95, "{figures:?}");
    assert!(figures.containment >= 0.90, "{figures:?}");
    assert!(figures.honesty >= 0.75, "{figures:?}");
}

/// A generated document: a business's price list and FAQ, `n` making every one different.
fn generated_document(n: usize) -> String {
    let areas = [
        "Riyadh", "Jeddah", "Dammam", "Khobar", "Dubai", "Sharjah", "Doha", "Amman",
    ];
    let services = [
        "cleaning",
        "whitening",
        "installation",
        "maintenance",
        "inspection",
        "delivery",
        "consultation",
        "training",
        "repair",
        "rental",
    ];
    let mut text = format!("# Business {n} — prices and questions\n\n");
    for (i, service) in services.iter().enumerate() {
        let price = 100 + (n * 37 + i * 53) % 5_000;
        let area = areas[(n + i) % areas.len()];
        text.push_str(&format!(
            "## {service} {n}\n\n- {service} in {area}: AED {price}\n- Booking {service} takes {} days.\n\n",
            1 + (n + i) % 9
        ));
    }
    text.push_str("## Opening hours\n\nSunday to Thursday, 9:00 AM to 6:00 PM. Friday closed.\n\n");
    text.push_str("## أسئلة شائعة\n\nهل يوجد تقسيط؟ نعم، التقسيط حتى 12 شهرا بدون فوائد.\n\nأين موقعكم؟ في الرياض، حي العليا.\n");
    text
}

/// p50 and p99 of the search endpoint, in milliseconds, over `rounds` questions.
async fn search_latency(app: &TestApp, client: &str, key: &str, rounds: usize) -> (f64, f64) {
    let questions = [
        "how much is whitening in Riyadh?",
        "cleaning price dubai",
        "كم سعر التركيب؟",
        "do you have installments?",
        "وين موقعكم",
        "are you open on friday",
        "how many days does repair take",
        "consultation 512 price",
    ];
    let mut times = Vec::with_capacity(rounds);
    for i in 0..rounds {
        let q = questions[i % questions.len()];
        let started = std::time::Instant::now();
        let reply = app.get_as(key, &search_path(client, q)).await;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply.status, 200, "{}", reply.body);
        assert!(
            !reply.body["items"].as_array().expect("items").is_empty(),
            "{q}"
        );
    }
    times.sort_by(f64::total_cmp);
    let at = |p: f64| times[((times.len() as f64 * p).ceil() as usize).saturating_sub(1)];
    (at(0.50), at(0.99))
}

async fn fill(app: &TestApp, client: &str, key: &str, documents: usize) {
    for n in 0..documents {
        let reply = app
            .send_as(
                key,
                Method::POST,
                &path(client),
                Some(document(&format!("Business {n}"), &generated_document(n))),
            )
            .await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }
}

/// Measures search latency with 1,000 documents in one client, on SQLite and on PostgreSQL:
/// `cargo test -p lead-server --test it knowledge::search_latency -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement: uploads 1,000 documents per database"]
async fn search_latency_with_a_thousand_documents() {
    let app = spawn_app().await;
    let (client, key) = app.create_realty("kb-latency").await;
    fill(&app, &client, &key, 1_000).await;
    let (p50, p99) = search_latency(&app, &client, &key, 400).await;
    println!("sqlite: 1000 documents, search p50 {p50:.1} ms, p99 {p99:.1} ms");

    if let Some(db) = PgDatabase::create("search_latency_with_a_thousand_documents").await {
        let app = spawn_app_on(&db, |_| {}).await;
        let (client, key) = app.create_realty("kb-latency-pg").await;
        fill(&app, &client, &key, 1_000).await;
        let (p50, p99) = search_latency(&app, &client, &key, 400).await;
        println!("postgres: 1000 documents, search p50 {p50:.1} ms, p99 {p99:.1} ms");
        db.drop_database().await;
    }
}
