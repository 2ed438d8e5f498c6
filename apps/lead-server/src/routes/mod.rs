//! The HTTP routes, one module per resource, and the table that mounts them.

pub mod analytics;
pub mod booking;
pub mod clients;
pub mod conversations;
pub mod crm;
pub mod docs;
pub mod health;
pub mod jobs;
pub mod knowledge;
pub mod leads;
pub mod live_chat;
pub mod notifications;
pub mod twilio;
pub mod users;
pub mod webhooks;
pub mod widget_keys;

use actix_web::http::Method;
use actix_web::web;
use lead_domain::ports::IntakeReceipt;
use lead_domain::tenant::Tenant;
use lead_domain::usecases::{self, InboundRequest};

use crate::error::ApiError;
use crate::state::AppState;

/// Accepts an inbound contact for `tenant` and, when it queued work, wakes an idle queue worker,
/// so every intake route answers only after the lead is stored and never leaves a job waiting
/// for the workers' next poll.
///
/// # Errors
/// The use case's failure, mapped to HTTP.
pub async fn accept(
    state: &AppState,
    tenant: &Tenant,
    request: InboundRequest,
) -> Result<IntakeReceipt, ApiError> {
    let channel = request.channel;
    let receipt = usecases::accept_inbound(&state.deps, tenant, request)
        .await
        .map_err(leads::usecase_error)?;
    if !receipt.duplicate {
        crate::metrics::record_intake(channel);
    }
    if receipt.job_id.is_some() && !receipt.duplicate {
        state.wake.notify_one();
    }
    Ok(receipt)
}

/// Mounts every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health::health))
        .route("/health/live", web::get().to(health::live))
        .route("/health/ready", web::get().to(health::ready))
        .route("/openapi.json", web::get().to(docs::openapi_json))
        .route("/docs", web::get().to(docs::docs_page))
        .route("/docs/problems", web::get().to(crate::problems::index))
        .route(
            "/docs/problems/{code}",
            web::get().to(crate::problems::problem_page),
        )
        .service(
            web::scope("/api/v1")
                .route("/clients", web::post().to(clients::create))
                .route("/clients/{id}", web::get().to(clients::get))
                .route("/clients/{id}", web::patch().to(clients::update))
                .route("/clients/{id}/activate", web::post().to(clients::activate))
                .route("/clients/{id}/pause", web::post().to(clients::pause))
                .route(
                    "/clients/{id}/rotate-api-key",
                    web::post().to(clients::rotate),
                )
                .route("/clients/{id}/usage", web::get().to(clients::usage))
                .route(
                    "/clients/{id}/analytics",
                    web::get().to(analytics::analytics),
                )
                .route(
                    "/clients/{id}/experiments",
                    web::post().to(analytics::create_experiment),
                )
                .route(
                    "/clients/{id}/experiments",
                    web::get().to(analytics::list_experiments),
                )
                .route(
                    "/clients/{id}/experiments/{exp_id}",
                    web::get().to(analytics::get_experiment),
                )
                .route(
                    "/clients/{id}/experiments/{exp_id}/stop",
                    web::post().to(analytics::stop_experiment),
                )
                .route(
                    "/clients/{id}/webhook-deliveries",
                    web::get().to(notifications::list_deliveries),
                )
                .route(
                    "/clients/{id}/webhook-deliveries/{delivery_id}/retry",
                    web::post().to(notifications::retry_delivery),
                )
                .route(
                    "/clients/{id}/rotate-widget-key",
                    web::post().to(widget_keys::rotate_widget_key),
                )
                .route("/clients/{id}/users", web::post().to(users::create))
                .route("/clients/{id}/users", web::get().to(users::list))
                .route(
                    "/clients/{id}/users/{user_id}",
                    web::delete().to(users::delete),
                )
                .route(
                    "/clients/{id}/knowledge/search",
                    web::get().to(knowledge::search),
                )
                .route(
                    "/clients/{id}/knowledge",
                    web::post().to(knowledge::create_document),
                )
                .route(
                    "/clients/{id}/knowledge",
                    web::get().to(knowledge::list_documents),
                )
                .route(
                    "/clients/{id}/knowledge/{doc_id}",
                    web::get().to(knowledge::get_document),
                )
                .route(
                    "/clients/{id}/knowledge/{doc_id}",
                    web::put().to(knowledge::replace_document),
                )
                .route(
                    "/clients/{id}/knowledge/{doc_id}",
                    web::delete().to(knowledge::delete_document),
                )
                .route("/jobs", web::get().to(jobs::list))
                .route("/jobs/{id}/retry", web::post().to(jobs::retry))
                .route("/leads", web::post().to(leads::create))
                .route("/leads", web::get().to(leads::list))
                .route("/leads/client/{id}/hot", web::get().to(leads::hot))
                .route("/leads/{id}", web::get().to(leads::get))
                .route("/leads/{id}", web::patch().to(leads::update))
                .route("/leads/{id}", web::delete().to(leads::erase))
                .route("/leads/{id}/score", web::patch().to(leads::score))
                .route("/leads/{id}/handoff", web::post().to(leads::handoff))
                .route("/leads/{id}/merge", web::post().to(leads::merge))
                .route("/leads/{id}/crm-sync", web::post().to(crm::sync))
                .route(
                    "/conversations/client/{id}/active",
                    web::get().to(conversations::active),
                )
                .route("/conversations/{id}", web::get().to(conversations::get))
                .route(
                    "/conversations/{id}/messages",
                    web::get().to(conversations::messages),
                )
                .route(
                    "/conversations/{id}/messages",
                    web::post().to(conversations::add_message),
                )
                .route(
                    "/conversations/{id}/escalate",
                    web::post().to(conversations::escalate),
                )
                .route(
                    "/conversations/{id}/release",
                    web::post().to(conversations::release),
                ),
        )
        .service(
            web::scope("/webhooks")
                .route("/web-form", web::post().to(webhooks::web_form))
                .route("/sms/inbound", web::post().to(twilio::sms_inbound))
                .route(
                    "/whatsapp/inbound",
                    web::post().to(twilio::whatsapp_inbound),
                )
                .route("/missed-call", web::post().to(twilio::missed_call))
                .route(
                    "/calcom/{client_id}",
                    web::post().to(booking::calcom_webhook),
                )
                .route("/twilio/status", web::post().to(twilio::twilio_status))
                .route("/live-chat", web::post().to(live_chat::post_message))
                .route(
                    "/live-chat",
                    web::method(Method::OPTIONS).to(live_chat::preflight),
                )
                .route("/live-chat/stream", web::get().to(live_chat::stream))
                .route("/live-chat/config", web::get().to(live_chat::config))
                .route(
                    "/live-chat/config",
                    web::method(Method::OPTIONS).to(live_chat::preflight),
                )
                .route("/live-chat/history", web::get().to(live_chat::history))
                .route(
                    "/live-chat/history",
                    web::method(Method::OPTIONS).to(live_chat::preflight),
                )
                .route(
                    "/live-chat/stream",
                    web::method(Method::OPTIONS).to(live_chat::preflight),
                ),
        )
        .configure(crate::app::configure)
        .route("/widget.js", web::get().to(live_chat::widget_js))
        .route("/widget/demo.html", web::get().to(live_chat::demo_html));
}
