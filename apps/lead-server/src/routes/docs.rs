//! The OpenAPI document generated from the handlers' types, and a docs page that renders it with
//! no asset from the internet.

use crate::error::{FieldError, Problem};
use crate::routes::{
    analytics, booking, clients, conversations, crm, health, jobs, knowledge, leads, live_chat,
    notifications, twilio, users, webhooks, widget_keys,
};
use crate::views;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse};
use std::sync::OnceLock;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The service's OpenAPI description.
#[derive(OpenApi)]
#[openapi(
    info(title = "lead-server", description = "AI lead response and qualification service"),
    paths(
        health::health, health::live, health::ready,
        clients::create, clients::get, clients::update, clients::activate, clients::pause, clients::rotate, clients::usage, widget_keys::rotate_widget_key,
        users::create, users::list, users::delete,
        jobs::list, jobs::retry,
        leads::create, leads::list, leads::get, leads::update, leads::erase, leads::score, leads::handoff, leads::merge, crm::sync, leads::hot,
        conversations::get, conversations::messages, conversations::add_message, conversations::escalate,
        conversations::release, conversations::active,
        webhooks::web_form, twilio::sms_inbound, twilio::whatsapp_inbound, twilio::missed_call,
        twilio::twilio_status, live_chat::post_message, live_chat::stream, live_chat::config,
        live_chat::history,
        knowledge::create_document, knowledge::list_documents, knowledge::get_document,
        knowledge::replace_document, knowledge::delete_document, knowledge::search,
        booking::calcom_webhook,
        analytics::analytics, analytics::create_experiment, analytics::list_experiments,
        analytics::get_experiment, analytics::stop_experiment,
        notifications::list_deliveries, notifications::retry_delivery,
    ),
    components(schemas(
        Problem, FieldError, health::HealthStatus,
        clients::CreateClientRequest, clients::UpdateClientRequest, clients::RotateKeyRequest, clients::RotatedKey,
        clients::UsageView, clients::ModelUsageView,
        users::CreateUserRequest, users::UserView,
        leads::CreateLeadRequest, leads::UpdateLeadRequest, leads::ScoreRequest, leads::HandoffRequest, leads::MergeRequest,
        conversations::AddMessageRequest, conversations::EscalateRequest,
        webhooks::WebFormRequest, webhooks::IntakeAccepted,
        live_chat::LiveChatRequest, live_chat::LiveChatAccepted, live_chat::ChatReply, live_chat::ChatEvent,
        live_chat::WidgetConfig, live_chat::WidgetGreeting, live_chat::ChatHistory, live_chat::HistoryMessage,
        views::ClientView, views::ClientCreated, views::TwilioView, views::LeadView, views::LeadDetail,
        views::StateChangeView, views::ConversationView, views::ConversationDetail, views::MessageView,
        knowledge::DocumentRequest, knowledge::DocumentCreated, knowledge::DocumentSummary,
        knowledge::DocumentList, knowledge::ChunkView, knowledge::DocumentDetail,
        knowledge::SearchItem, knowledge::SearchResults, views::SourceView,
        views::EscalationView, views::LeadPage, views::ConversationPage, views::MessagePage,
        booking::BookingPatch, booking::BookingView, booking::LeadBookingView, booking::CalcomWebhookReceipt,
        analytics::AnalyticsView, analytics::CreateExperimentRequest, analytics::VariantRequest,
        analytics::StopExperimentRequest, analytics::ExperimentView, analytics::VariantView,
        analytics::VerdictView, analytics::ExperimentList,
        notifications::NotificationsPatch, notifications::WebhookPatch, notifications::NotificationsView,
        notifications::WebhookView, notifications::DeliveryView, notifications::AttemptView,
        notifications::DeliveryList, notifications::WebhookEvent, notifications::WebhookEventType,
        crm::CrmPatch, crm::CrmView, crm::CrmDealView, crm::LeadCrmView, crm::CrmSyncQueued,
        jobs::JobView, jobs::JobPage, jobs::JobRetried,
    )),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Probes"),
        (name = "clients", description = "Client management (platform admin token; a client's own X-API-Key may read itself, its usage and webhook deliveries, and change its notifications). Outbound webhooks carry a `WebhookEvent`"),
        (name = "jobs", description = "The job queue: dead jobs listed and re-driven (platform admin token)"),
        (name = "leads", description = "Leads of the calling client (X-API-Key)"),
        (name = "conversations", description = "Conversations of the calling client (X-API-Key)"),
        (name = "webhooks", description = "Lead intake"),
        (name = "knowledge", description = "A client's knowledge base (platform admin token or the client's X-API-Key)"),
        (name = "analytics", description = "A client's analytics and A/B experiments (platform admin token or the client's X-API-Key)"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(
                crate::auth::API_KEY_HEADER,
            ))),
        );
        components.add_security_scheme(
            "widget_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::routes::live_chat::WIDGET_KEY_HEADER,
                "The client's public widget key; the chat endpoints also take it as `widget_key` in the body or query",
            ))),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// `GET /openapi.json`: generated once per process and served with an `ETag`, so clients and
/// generators revalidate with `If-None-Match` and get `304` while the build is the same.
pub async fn openapi_json(req: HttpRequest) -> HttpResponse {
    static DOCUMENT: OnceLock<Result<(String, String), String>> = OnceLock::new();
    let document = DOCUMENT.get_or_init(|| {
        let json = ApiDoc::openapi().to_json().map_err(|e| e.to_string())?;
        let etag = crate::conventions::entity_tag(json.as_bytes());
        Ok((json, etag))
    });
    match document {
        Ok((json, etag)) => crate::conventions::fixed_document(
            &req,
            "application/json",
            "no-cache",
            json.as_bytes(),
            etag,
        ),
        Err(e) => actix_web::ResponseError::error_response(&crate::error::ApiError::Internal(
            anyhow::anyhow!("openapi serialisation: {e}"),
        )),
    }
}

/// `GET /docs`: a self-contained page listing every operation of `/openapi.json`.
pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::html())
        .body(DOCS_HTML)
}

/// The readable API page, also hashed into the HTML content security policy.
pub(crate) const DOCS_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lead-server API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0; } .muted { color: #666; }
details { border: 1px solid #ddd; border-radius: 6px; margin: .4rem 0; padding: .4rem .8rem; }
summary { cursor: pointer; } code { background: #f4f4f4; padding: 0 .25rem; border-radius: 3px; }
.m { display: inline-block; min-width: 4.5rem; font-weight: 600; text-transform: uppercase; }
.get { color: #0a6; } .post { color: #06c; } .patch { color: #a60; } .delete { color: #c33; }
pre { background: #f7f7f7; padding: .6rem; overflow: auto; font-size: 13px; }
</style>
</head>
<body>
<h1>lead-server API</h1>
<p class="muted">Generated from <a href="/openapi.json">/openapi.json</a>. Errors are <code>application/problem+json</code> with a stable <code>code</code>.</p>
<div id="ops">Loading…</div>
<script>
fetch('/openapi.json').then(r => r.json()).then(doc => {
  const out = document.getElementById('ops'); out.textContent = '';
  const esc = s => String(s ?? '').replace(/[&<>]/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;'}[c]));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const d = document.createElement('details');
      const responses = Object.entries(op.responses || {}).map(([s, r]) => `<li><code>${esc(s)}</code> ${esc(r.description)}</li>`).join('');
      const params = (op.parameters || []).map(p => `<li><code>${esc(p.name)}</code> (${esc(p.in)}) ${esc(p.description)}</li>`).join('');
      const body = op.requestBody ? `<pre>${esc(JSON.stringify(op.requestBody.content, null, 2))}</pre>` : '';
      d.innerHTML = `<summary><span class="m ${method}">${method}</span> <code>${esc(path)}</code> ${esc(op.summary || '')}</summary>
        <p>${esc(op.description || '')}</p>${params ? '<h4>Parameters</h4><ul>' + params + '</ul>' : ''}
        ${body ? '<h4>Request body</h4>' + body : ''}<h4>Responses</h4><ul>${responses}</ul>`;
      out.appendChild(d);
    }
  }
  const s = document.createElement('details');
  s.innerHTML = '<summary>Schemas</summary><pre>' + esc(JSON.stringify(doc.components.schemas, null, 2)) + '</pre>';
  out.appendChild(s);
}).catch(e => { document.getElementById('ops').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>
"#;
