//! Conversations of the authenticated client: read with messages, page through messages, send a
//! message as a person, escalate to a person or release back to the AI, and the active list.

use crate::auth::TenantAuth;
use crate::error::ApiError;
use crate::extract::{OptionalJson, ValidJson};
use crate::routes::leads::lead_error;
use crate::state::AppState;
use crate::views::{
    ConversationDetail, ConversationPage, ConversationView, EscalationView, MessagePage,
    MessageView, PageQuery,
};
use actix_web::{HttpResponse, web};
use lead_domain::ids::{ConversationId, TenantId};
use lead_domain::lead::Conversation;
use lead_domain::ports::Page;
use lead_domain::usecases::leads as lead_actions;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

async fn load(state: &AppState, tenant: TenantId, id: Uuid) -> Result<Conversation, ApiError> {
    state
        .deps
        .leads
        .get_conversation(tenant, ConversationId::from_uuid(id))
        .await?
        .ok_or(ApiError::NotFound("conversation"))
}

async fn detail(
    state: &AppState,
    conversation: &Conversation,
) -> Result<ConversationDetail, ApiError> {
    let messages = state
        .deps
        .leads
        .list_messages(
            conversation.tenant_id,
            conversation.id,
            Page {
                limit: 200,
                offset: 0,
            },
        )
        .await?;
    let escalations = state
        .deps
        .escalations
        .conversation_escalations(conversation.tenant_id, conversation.id)
        .await?;
    let mut views: Vec<MessageView> = messages.items.iter().map(MessageView::from).collect();
    if let Some(kb) = &state.deps.knowledge {
        let ids: Vec<_> = messages.items.iter().map(|m| m.id).collect();
        for source in kb
            .store
            .message_sources(conversation.tenant_id, &ids)
            .await?
        {
            if let Some(view) = views
                .iter_mut()
                .find(|v| v.id == source.message_id.as_uuid())
            {
                view.sources.push(crate::views::SourceView {
                    document_id: source.document_id.as_uuid(),
                    chunk_id: source.chunk_id.as_uuid(),
                    title: source.title,
                });
            }
        }
    }
    Ok(ConversationDetail {
        conversation: ConversationView::from(conversation),
        messages: views,
        message_total: messages.total,
        escalations: escalations.iter().map(EscalationView::from).collect(),
    })
}

/// A conversation with its messages and escalations.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}", operation_id = "get_conversation", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation with its lead", body = ConversationDetail), (status = 404, description = "No such conversation for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conversation = load(&state, tenant.id, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(detail(&state, &conversation).await?))
}

/// Messages of a conversation, oldest first.
#[utoipa::path(
    get, path = "/api/v1/conversations/{id}/messages", operation_id = "list_conversation_messages", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id"), PageQuery),
    responses((status = 200, description = "A page of the conversation's messages, oldest first", body = MessagePage), (status = 404, description = "No such conversation for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn messages(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.page()?;
    let conversation = load(&state, tenant.id, id.into_inner()).await?;
    let result = state
        .deps
        .leads
        .list_messages(tenant.id, conversation.id, page)
        .await?;
    Ok(HttpResponse::Ok().json(MessagePage::new(
        result.items.iter().map(MessageView::from).collect(),
        result.total,
        page,
    )))
}

/// The body of `POST /api/v1/conversations/{id}/messages`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMessageRequest {
    /// Text to send to the lead.
    #[validate(length(min = 1, max = 4000))]
    pub body: String,
}

/// Sends a message to the lead as a person of the client; it is stored and delivered by a queued job.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/messages", operation_id = "add_conversation_message", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    request_body = AddMessageRequest,
    responses(
        (status = 201, description = "Stored and queued for sending", body = MessageView),
        (status = 404, description = "No such conversation for this client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "The conversation has no address to reply to", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn add_message(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<AddMessageRequest>,
) -> Result<HttpResponse, ApiError> {
    let stored = lead_actions::reply(
        &state.deps,
        &tenant,
        ConversationId::from_uuid(id.into_inner()),
        &body.0.body,
    )
    .await
    .map_err(lead_error)?;
    Ok(HttpResponse::Created().json(MessageView::from(&stored)))
}

/// The optional body of `POST /api/v1/conversations/{id}/escalate`.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EscalateRequest {
    /// Why.
    #[validate(length(min = 1, max = 500))]
    pub note: Option<String>,
}

/// Escalates a conversation to a person: AI replies stop and the lead is handed off.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/escalate", operation_id = "escalate_conversation", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    request_body(content = Option<EscalateRequest>),
    responses((status = 200, description = "The conversation, now with a person", body = ConversationDetail), (status = 404, description = "No such conversation for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn escalate(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: OptionalJson<EscalateRequest>,
) -> Result<HttpResponse, ApiError> {
    let note = body
        .0
        .and_then(|b| b.note)
        .unwrap_or_else(|| "escalated through the API".to_owned());
    let conversation = lead_actions::take_over(
        &state.deps,
        &tenant,
        ConversationId::from_uuid(id.into_inner()),
        note,
        "api",
    )
    .await
    .map_err(lead_error)?;
    Ok(HttpResponse::Ok().json(detail(&state, &conversation).await?))
}

/// Releases an escalated conversation back to the AI.
#[utoipa::path(
    post, path = "/api/v1/conversations/{id}/release", operation_id = "release_conversation", tag = "conversations",
    params(("id" = Uuid, Path, description = "Conversation id")),
    responses((status = 200, description = "The conversation, handed back to the AI", body = ConversationDetail), (status = 404, description = "No such conversation for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn release(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let conversation = lead_actions::release(
        &state.deps,
        &tenant,
        ConversationId::from_uuid(id.into_inner()),
        "api",
    )
    .await
    .map_err(lead_error)?;
    Ok(HttpResponse::Ok().json(detail(&state, &conversation).await?))
}

/// Open conversations of a client, most recently active first; another client's id answers 404.
#[utoipa::path(
    get, path = "/api/v1/conversations/client/{id}/active", operation_id = "list_active_conversations", tag = "conversations",
    params(("id" = Uuid, Path, description = "Client id (must be the caller's)"), PageQuery),
    responses((status = 200, description = "A page of the client's active conversations", body = ConversationPage), (status = 404, description = "No such conversation for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn active(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    if id.into_inner() != tenant.id.as_uuid() {
        return Err(ApiError::NotFound("client"));
    }
    let page = query.page()?;
    let result = state
        .deps
        .leads
        .active_conversations(tenant.id, page)
        .await?;
    Ok(HttpResponse::Ok().json(ConversationPage::new(
        result.items.iter().map(ConversationView::from).collect(),
        result.total,
        page,
    )))
}
