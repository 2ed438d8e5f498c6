//! A client's notification settings (who on the team is paged, in which language, for which
//! events, and the webhook endpoints) and its webhook deliveries: listed with every attempt, and
//! re-sent on request. The admin may act on any client; a client's API key on its own.

use crate::auth::{AdminAuth, TenantAuth};
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use lead_domain::contact::{Email, PhoneNumber};
use lead_domain::events::{DeliveryFilter, DeliveryStatus, EventType, WebhookDelivery};
use lead_domain::ids::TenantId;
use lead_domain::language::Language;
use lead_domain::notifications::{NotificationSettings, WebhookEndpoint, is_event_name};
use lead_domain::tenant::{Secret, Tenant};
use lead_domain::usecases::UseCaseError;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// Who is calling about a client: the platform admin, or the client itself with its key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// The platform admin token.
    Admin,
    /// The client's own API key.
    Client,
}

/// The client `id` as the caller may see it: any client with the admin token, its own with an API
/// key (another client's id is not found). The tenant is read fresh from storage.
///
/// # Errors
/// Authentication failures; [`ApiError::NotFound`] for another client or an unknown id.
pub async fn authorize_client(
    req: &HttpRequest,
    state: &AppState,
    id: Uuid,
) -> Result<(Tenant, Caller), ApiError> {
    let caller = if req.headers().contains_key(AUTHORIZATION) {
        AdminAuth::extract(req).await?;
        Caller::Admin
    } else {
        let TenantAuth(tenant) = TenantAuth::extract(req).await?;
        if tenant.id.as_uuid() != id {
            return Err(ApiError::NotFound("client"));
        }
        Caller::Client
    };
    let tenant = state
        .deps
        .tenants
        .get_tenant(TenantId::from_uuid(id))
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    Ok((tenant, caller))
}

fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// `notifications` in `PATCH /api/v1/clients/{id}`: each field given replaces the stored one.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsPatch {
    /// Email addresses to page (RFC 5322).
    pub email: Option<Vec<String>>,
    /// Numbers to page by SMS (E.164).
    pub sms: Option<Vec<String>>,
    /// Numbers to page on WhatsApp (E.164).
    pub whatsapp: Option<Vec<String>>,
    /// `en` or `ar`: the language of the pages.
    #[schema(value_type = Option<String>)]
    pub language: Option<Language>,
    /// Event types that page people (default `lead.hot`, `conversation.escalated`).
    pub events: Option<Vec<String>>,
    /// Webhook endpoints, replacing the stored list.
    pub webhooks: Option<Vec<WebhookPatch>>,
}

/// One webhook endpoint in a settings change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// `https://` (or `http://`) URL events are posted to.
    pub url: String,
    /// Event types, or `["*"]` for all (the default).
    pub events: Option<Vec<String>>,
    /// `null` makes the server generate one (returned once in this response); a `whsec_` value
    /// sets it; absent keeps the secret of the stored endpoint with the same URL.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub secret: Option<Option<String>>,
}

/// The notification settings as shown: secrets never, only whether one is set.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationsView {
    /// Email addresses paged.
    pub email: Vec<String>,
    /// Numbers paged by SMS.
    pub sms: Vec<String>,
    /// Numbers paged on WhatsApp.
    pub whatsapp: Vec<String>,
    /// Language of the pages.
    pub language: String,
    /// Event types that page people.
    pub events: Vec<String>,
    /// Webhook endpoints.
    pub webhooks: Vec<WebhookView>,
}

/// A webhook endpoint as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WebhookView {
    /// Endpoint id (`we_...`), named by its deliveries.
    pub id: String,
    /// Where events go.
    pub url: String,
    /// Event types, or `*`.
    pub events: Vec<String>,
    /// Whether a signing secret is set (always, once saved).
    pub secret_set: bool,
    /// The generated secret: only in the response of the change that generated it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Set after the receiver answered 410 Gone; saving the endpoint again enables it.
    pub disabled: bool,
}

impl From<&NotificationSettings> for NotificationsView {
    fn from(n: &NotificationSettings) -> Self {
        Self {
            email: n.email.clone(),
            sms: n.sms.clone(),
            whatsapp: n.whatsapp.clone(),
            language: n.language.code().to_owned(),
            events: n.events.iter().map(|e| e.as_str().to_owned()).collect(),
            webhooks: n
                .webhooks
                .iter()
                .map(|w| WebhookView {
                    id: w.id.clone(),
                    url: w.url.clone(),
                    events: w.events.clone(),
                    secret_set: !w.secret.expose().is_empty(),
                    secret: None,
                    disabled: w.disabled,
                })
                .collect(),
        }
    }
}

fn check_events(field: &str, names: &[String], errors: &mut Vec<FieldError>) {
    for (i, name) in names.iter().enumerate() {
        if !is_event_name(name) {
            errors.push(FieldError::new(
                format!("{field}[{i}]"),
                "unknown_event",
                "expected one of the documented event types or *",
            ));
        }
    }
}

fn check_url(field: &str, raw: &str, public_only: bool, errors: &mut Vec<FieldError>) {
    match url::Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            if public_only && let Err(e) = lead_channels::egress::check_host(&u) {
                errors.push(FieldError::new(
                    field,
                    "private_address",
                    format!("{e}: webhooks are sent to public internet addresses only"),
                ));
            }
        }
        _ => errors.push(FieldError::new(
            field,
            "invalid_url",
            "expected an absolute http(s) URL",
        )),
    }
}

/// Secrets generated by a settings change, by endpoint id, shown once.
pub type GeneratedSecrets = Vec<(String, String)>;

/// Applies a settings change; returns the new settings and the secrets generated (by endpoint
/// id), to show once. With `public_only`, endpoints on loopback, private or link-local addresses
/// are refused.
///
/// # Errors
/// Every field at fault.
pub fn apply_notifications(
    current: &NotificationSettings,
    patch: NotificationsPatch,
    public_only: bool,
    new_id: &mut dyn FnMut() -> Uuid,
) -> Result<(NotificationSettings, GeneratedSecrets), Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut next = current.clone();
    if let Some(list) = patch.email {
        next.email = Vec::new();
        for (i, e) in list.iter().enumerate() {
            match Email::parse(e) {
                Ok(email) => next.email.push(email.as_str().to_owned()),
                Err(_) => errors.push(FieldError::new(
                    format!("notifications.email[{i}]"),
                    "invalid_email",
                    "expected an email address",
                )),
            }
        }
    }
    for (field, list, slot) in [
        ("sms", patch.sms, &mut next.sms),
        ("whatsapp", patch.whatsapp, &mut next.whatsapp),
    ] {
        if let Some(list) = list {
            slot.clear();
            for (i, n) in list.iter().enumerate() {
                match PhoneNumber::parse(n) {
                    Ok(p) if n.trim().starts_with('+') => slot.push(p.as_str().to_owned()),
                    _ => errors.push(FieldError::new(
                        format!("notifications.{field}[{i}]"),
                        "invalid_phone",
                        "expected an E.164 number such as +966501112233",
                    )),
                }
            }
        }
    }
    if let Some(language) = patch.language {
        next.language = language;
    }
    if let Some(events) = patch.events {
        check_events("notifications.events", &events, &mut errors);
        next.events = events.iter().filter_map(|e| EventType::parse(e)).collect();
    }
    let mut generated = Vec::new();
    if let Some(hooks) = patch.webhooks {
        next.webhooks = Vec::new();
        for (i, hook) in hooks.into_iter().enumerate() {
            let field = format!("notifications.webhooks[{i}]");
            check_url(&format!("{field}.url"), &hook.url, public_only, &mut errors);
            let events = hook.events.unwrap_or_else(|| vec!["*".to_owned()]);
            check_events(&format!("{field}.events"), &events, &mut errors);
            let url = hook.url.trim().to_owned();
            let stored = current.webhooks.iter().find(|w| w.url == url);
            let id = stored.map_or_else(|| format!("we_{}", new_id().simple()), |w| w.id.clone());
            let secret = match hook.secret {
                Some(Some(s)) => {
                    if !s.starts_with(lead_channels::webhooks::SECRET_PREFIX)
                        || lead_channels::webhooks::secret_key(&s).map_or(true, |k| k.len() < 24)
                    {
                        errors.push(FieldError::new(
                            format!("{field}.secret"),
                            "invalid_secret",
                            "expected whsec_ followed by the base64 of 24 to 64 random bytes",
                        ));
                    }
                    s
                }
                Some(None) => {
                    let s = lead_channels::webhooks::secret_from_bytes(&rand::random());
                    generated.push((id.clone(), s.clone()));
                    s
                }
                None => match stored {
                    Some(w) if !w.secret.expose().is_empty() => w.secret.expose().to_owned(),
                    _ => {
                        let s = lead_channels::webhooks::secret_from_bytes(&rand::random());
                        generated.push((id.clone(), s.clone()));
                        s
                    }
                },
            };
            next.webhooks.push(WebhookEndpoint {
                id,
                url,
                events,
                secret: Secret::new(secret),
                disabled: false,
            });
        }
    }
    if errors.is_empty() {
        Ok((next, generated))
    } else {
        Err(errors)
    }
}

/// `?status=` and paging of the deliveries list.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    /// `pending`, `delivered`, `retrying` or `failed`.
    pub status: Option<String>,
    /// At most this many (default 50, at most 200).
    pub limit: Option<u64>,
    /// Skip this many.
    pub offset: Option<u64>,
}

/// One webhook delivery with its attempts.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Delivery id (`whd_...`).
    pub id: String,
    /// The event's id, sent as `webhook-id`.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The endpoint's id.
    pub endpoint_id: String,
    /// Where it goes.
    pub url: String,
    /// `pending`, `delivered`, `retrying` or `failed`.
    pub status: String,
    /// Every attempt, oldest first.
    pub attempts: Vec<AttemptView>,
    /// When the next attempt is due, while retrying.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The event sent.
    #[schema(value_type = Object)]
    pub event: serde_json::Value,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One attempt.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AttemptView {
    /// When.
    pub at: DateTime<Utc>,
    /// The receiver's status, when it answered.
    pub status_code: Option<u16>,
    /// What went wrong.
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: u64,
}

/// A page of deliveries.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryList {
    /// Newest first.
    pub items: Vec<DeliveryView>,
}

impl From<WebhookDelivery> for DeliveryView {
    fn from(d: WebhookDelivery) -> Self {
        Self {
            event: serde_json::to_value(&d.event).unwrap_or(serde_json::Value::Null),
            id: d.id,
            event_id: d.event_id,
            event_type: d.event_type.as_str().to_owned(),
            endpoint_id: d.endpoint_id,
            url: d.url,
            status: d.status.as_str().to_owned(),
            attempts: d
                .attempts
                .into_iter()
                .map(|a| AttemptView {
                    at: a.at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
            next_attempt_at: d.next_attempt_at,
            created_at: d.created_at,
            updated_at: d.updated_at,
        }
    }
}

fn usecase_error(e: UseCaseError) -> ApiError {
    match e {
        UseCaseError::NotFound(what) => ApiError::NotFound(what),
        UseCaseError::Invalid(_) => ApiError::NotImplemented("webhook deliveries"),
        UseCaseError::Store(s) => s.into(),
        other => ApiError::Internal(anyhow::anyhow!(other)),
    }
}

/// A client's webhook deliveries, newest first, with every attempt.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/webhook-deliveries", operation_id = "list_webhook_deliveries", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id"), DeliveriesQuery),
    responses(
        (status = 200, description = "Deliveries", body = DeliveryList),
        (status = 401, description = "No or wrong credentials", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn list_deliveries(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<DeliveriesQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, _) = authorize_client(&req, &state, id.into_inner()).await?;
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(DeliveryStatus::parse(s).ok_or_else(|| {
            ApiError::field(
                "status",
                "invalid_status",
                "expected pending, delivered, retrying or failed",
            )
        })?),
    };
    let filter = DeliveryFilter {
        status,
        limit: query.limit.unwrap_or(50).clamp(1, 200),
        offset: query.offset.unwrap_or(0),
    };
    let items = lead_domain::usecases::events::list_deliveries(&state.deps, &tenant, &filter)
        .await
        .map_err(usecase_error)?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: items.into_iter().map(DeliveryView::from).collect(),
    }))
}

/// Sends a webhook delivery again now (after the receiver was fixed); answers `202`.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/webhook-deliveries/{delivery_id}/retry", operation_id = "retry_webhook_delivery", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id"), ("delivery_id" = String, Path, description = "Delivery id")),
    responses(
        (status = 202, description = "Queued again", body = DeliveryView),
        (status = 401, description = "No or wrong credentials", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client or delivery", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn retry_delivery(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery_id) = path.into_inner();
    let (tenant, _) = authorize_client(&req, &state, id).await?;
    let delivery =
        lead_domain::usecases::events::retry_delivery(&state.deps, &tenant, &delivery_id)
            .await
            .map_err(usecase_error)?;
    state.wake.notify_waiters();
    Ok(HttpResponse::Accepted().json(DeliveryView::from(delivery)))
}

/// The type of a domain event, as sent in a webhook's `type` (see `docs/EVENTS.md`).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum WebhookEventType {
    /// A new lead's first message was processed.
    #[serde(rename = "lead.created")]
    LeadCreated,
    /// The score changed.
    #[serde(rename = "lead.scored")]
    LeadScored,
    /// The lead turned HOT.
    #[serde(rename = "lead.hot")]
    LeadHot,
    /// The lifecycle moved.
    #[serde(rename = "lead.state_changed")]
    LeadStateChanged,
    /// A conversation was handed to a person.
    #[serde(rename = "conversation.escalated")]
    ConversationEscalated,
    /// A person gave it back to the AI.
    #[serde(rename = "conversation.released")]
    ConversationReleased,
    /// The lead wrote.
    #[serde(rename = "message.received")]
    MessageReceived,
    /// A reply reached the provider.
    #[serde(rename = "message.sent")]
    MessageSent,
    /// A reply could not be delivered.
    #[serde(rename = "message.failed")]
    MessageFailed,
    /// No configured channel can reach the lead.
    #[serde(rename = "lead.undeliverable")]
    LeadUndeliverable,
    /// Model spending crossed 80% of the monthly budget.
    #[serde(rename = "budget.alert")]
    BudgetAlert,
    /// The CRM refused the tenant's token; sync stopped until it is replaced.
    #[serde(rename = "crm.disconnected")]
    CrmDisconnected,
}

/// The body of every outbound webhook, signed per Standard Webhooks (`webhook-id` is `id`,
/// `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"id": "evt_0193a0c47a517c1e9f000123456789ab", "type": "lead.hot",
    "created_at": "2026-12-05T09:30:00Z", "client_id": "0193a0c4-0000-7000-8000-000000000001",
    "data": {"lead": {"id": "0193a0c4-0000-7000-8000-000000000002", "name": "Sara Ali",
    "phone": "+966501234567", "source": "web_form", "state": "QUALIFIED", "score": "HOT",
    "points": 85, "service": "buy_villa", "location": "Riyadh"},
    "conversation_id": "0193a0c4-0000-7000-8000-000000000003",
    "message_id": "0193a0c4-0000-7000-8000-000000000004",
    "reasons": ["budget above the high-value threshold"]}}))]
pub struct WebhookEvent {
    /// `evt_...`, stable across retries: de-duplicate on it.
    pub id: String,
    /// What happened.
    #[serde(rename = "type")]
    pub kind: WebhookEventType,
    /// When the change was made.
    pub created_at: DateTime<Utc>,
    /// The client.
    pub client_id: Uuid,
    /// The details: `lead`, `conversation_id`, `message_id`, `channel`, `body`, `previous_score`,
    /// `from_state`, `to_state`, `reasons`, `by`, `month`, `spent_usd`, `budget_usd`, `integration` as the type
    /// calls for; absent fields are omitted.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::WebhookEventType;
    use lead_domain::events::{ALL_EVENT_TYPES, EventType};

    /// The documented mirror of the domain's event types, matched exhaustively so a new domain
    /// type does not compile until the OpenAPI document names it too.
    fn documented(t: EventType) -> WebhookEventType {
        match t {
            EventType::LeadCreated => WebhookEventType::LeadCreated,
            EventType::LeadScored => WebhookEventType::LeadScored,
            EventType::LeadHot => WebhookEventType::LeadHot,
            EventType::LeadStateChanged => WebhookEventType::LeadStateChanged,
            EventType::ConversationEscalated => WebhookEventType::ConversationEscalated,
            EventType::ConversationReleased => WebhookEventType::ConversationReleased,
            EventType::MessageReceived => WebhookEventType::MessageReceived,
            EventType::MessageSent => WebhookEventType::MessageSent,
            EventType::MessageFailed => WebhookEventType::MessageFailed,
            EventType::LeadUndeliverable => WebhookEventType::LeadUndeliverable,
            EventType::BudgetAlert => WebhookEventType::BudgetAlert,
            EventType::CrmDisconnected => WebhookEventType::CrmDisconnected,
        }
    }

    #[test]
    fn the_documented_event_types_are_the_domain_s() {
        for t in ALL_EVENT_TYPES {
            assert_eq!(
                serde_json::to_value(documented(t)).unwrap(),
                serde_json::Value::String(t.as_str().to_owned())
            );
        }
    }
}
