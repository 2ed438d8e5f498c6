//! Leads of the authenticated client: create, list with filters, read, edit (lifecycle through the
//! domain's table), score by hand, hand off to a person, and the hot list.

use crate::auth::TenantAuth;
use crate::error::{ApiError, FieldError};
use crate::extract::{OptionalJson, ValidJson};
use crate::phone;
use crate::state::AppState;
use crate::views::{ConversationView, LeadDetail, LeadPage, LeadView, PageQuery, StateChangeView};
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use lead_domain::contact::Email;
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::lead::{Channel, Lead};
use lead_domain::lifecycle::LeadState;
use lead_domain::ports::{ContactInfo, LeadFilter};
use lead_domain::scoring::Score;
use lead_domain::tenant::Tenant;
use lead_domain::usecases::leads::{self as lead_actions, LeadEdit, LeadError};
use lead_domain::usecases::{self, InboundRequest, UseCaseError};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// Parses the contact fields of a form or API request against a tenant's phone region, collecting
/// every field error.
pub fn parse_contact(
    tenant: &Tenant,
    name: Option<&str>,
    phone_raw: Option<&str>,
    email_raw: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> ContactInfo {
    let phone = phone_raw.filter(|p| !p.trim().is_empty()).and_then(|p| {
        phone::normalise(p, &tenant.settings.default_region)
            .map_err(|e| errors.push(FieldError::new("phone", e.code, e.message)))
            .ok()
    });
    let email = email_raw.filter(|e| !e.trim().is_empty()).and_then(|e| {
        Email::parse(e)
            .map_err(|err| errors.push(FieldError::new("email", "invalid_email", err.to_string())))
            .ok()
    });
    if phone_raw.is_none_or(|p| p.trim().is_empty())
        && email_raw.is_none_or(|e| e.trim().is_empty())
    {
        errors.push(FieldError::new(
            "phone",
            "required",
            "a phone number or an email is required",
        ));
    }
    ContactInfo {
        name: name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned),
        phone,
        email,
        ..ContactInfo::default()
    }
}

/// Maps use-case failures to HTTP.
pub fn usecase_error(err: UseCaseError) -> ApiError {
    match err {
        UseCaseError::Store(e) => e.into(),
        UseCaseError::NotFound(what) => ApiError::NotFound(what),
        UseCaseError::Invalid(why) => ApiError::field("phone", "required", why),
        UseCaseError::IdempotencyKeyReused => ApiError::field(
            "header:Idempotency-Key",
            "idempotency_key_reused",
            "this key was already used for a different request; use a new key for a new submission",
        ),
        UseCaseError::Send(e) => ApiError::Internal(anyhow::anyhow!("send failed: {e}")),
        UseCaseError::Calendar(e) => ApiError::Internal(anyhow::anyhow!("calendar failed: {e}")),
        UseCaseError::Crm(e) => ApiError::Internal(anyhow::anyhow!("CRM failed: {e}")),
        e @ (UseCaseError::LeaseLost | UseCaseError::Notify(_)) => {
            ApiError::Internal(anyhow::anyhow!("{e}"))
        }
    }
}

/// Maps failures of a person's action on a lead to HTTP.
pub fn lead_error(err: LeadError) -> ApiError {
    match err {
        LeadError::NotFound(what) => ApiError::NotFound(what),
        LeadError::Illegal(i) => i.into(),
        LeadError::NoReplyAddress => ApiError::Conflict(err.to_string()),
        LeadError::EmptyReply => ApiError::field("body", "required", "the message is empty"),
        LeadError::Store(e) => e.into(),
        LeadError::UseCase(e) => usecase_error(e),
    }
}

/// The body of `POST /api/v1/leads`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLeadRequest {
    /// Name.
    #[validate(length(max = 200))]
    pub name: Option<String>,
    /// Phone; local numbers use the client's region.
    #[validate(length(max = 32))]
    pub phone: Option<String>,
    /// Email.
    #[validate(length(max = 254))]
    pub email: Option<String>,
    /// A first message from the lead; when given, it is qualified and answered.
    #[validate(length(min = 1, max = 5000))]
    pub message: Option<String>,
    /// Channel of first contact (default `web_form`).
    pub source: Option<String>,
    /// Free-form source label.
    #[validate(length(max = 200))]
    pub source_detail: Option<String>,
}

/// Creates a lead (or finds the existing one with the same phone or email).
#[utoipa::path(
    post, path = "/api/v1/leads", operation_id = "create_lead", tag = "leads",
    request_body(content = CreateLeadRequest, content_type = "application/json", example = json!({
        "name": "Sara", "phone": "+966501234568", "message": "Calling about a villa in Khobar", "source": "sms", "source_detail": "phone enquiry"
    })),
    responses(
        (status = 201, description = "Created", body = LeadView),
        (status = 200, description = "A lead with this phone or email existed", body = LeadView),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn create(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    body: ValidJson<CreateLeadRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.0;
    let mut errors = Vec::new();
    let contact = parse_contact(
        &tenant,
        req.name.as_deref(),
        req.phone.as_deref(),
        req.email.as_deref(),
        &mut errors,
    );
    let channel = match req.source.as_deref() {
        None => Channel::WebForm,
        Some(s) => match Channel::parse(s) {
            Some(c) if c != Channel::Email => c,
            _ => {
                errors.push(FieldError::new(
                    "source",
                    "invalid_channel",
                    "expected web_form, sms, whatsapp, live_chat or missed_call",
                ));
                Channel::WebForm
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let receipt = super::accept(
        &state,
        &tenant,
        InboundRequest {
            channel: Some(channel),
            contact,
            body: req.message,
            source_detail: req.source_detail,
            dedup_key: None,
            request_digest: None,
            sender: None,
        },
    )
    .await?;
    let lead = load(&state, tenant.id, receipt.lead_id.as_uuid()).await?;
    let view = LeadView::from(&lead);
    Ok(if receipt.lead_created {
        HttpResponse::Created().json(view)
    } else {
        HttpResponse::Ok().json(view)
    })
}

/// Filters of the lead list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LeadListQuery {
    /// Only this state (`NEW`, `QUALIFYING`, ...).
    pub state: Option<String>,
    /// Only this score (`HOT`, `WARM`, `COLD`, `UNSCORED`).
    pub score: Option<String>,
    /// Only this first-contact channel.
    pub source: Option<String>,
    /// Only leads created at or after (RFC 3339).
    pub created_from: Option<DateTime<Utc>>,
    /// Only leads created before (RFC 3339).
    pub created_to: Option<DateTime<Utc>>,
    /// Rows to return, 1 to 200.
    pub limit: Option<u32>,
    /// Rows to skip; use `cursor` instead to page deep.
    pub offset: Option<u64>,
    /// The `next_cursor` of the previous page: the page after it, at the cost of the first page
    /// however deep (not combined with `offset`).
    pub cursor: Option<String>,
}

/// A lead list cursor: where the previous page ended, as `created_at` and id.
fn encode_cursor(lead: &Lead) -> String {
    use base64::Engine as _;
    let raw = format!(
        "{}|{}",
        lead.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        lead.id
    );
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(text: &str) -> Option<(DateTime<Utc>, LeadId)> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let (at, id) = raw.split_once('|')?;
    let at = DateTime::parse_from_rfc3339(at).ok()?.with_timezone(&Utc);
    Some((at, LeadId::from_uuid(id.parse().ok()?)))
}

/// Leads of the client, newest first.
#[utoipa::path(
    get, path = "/api/v1/leads", operation_id = "list_leads", tag = "leads",
    params(LeadListQuery),
    responses((status = 200, description = "A page of leads matching the filters", body = LeadPage), (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn list(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    query: web::Query<LeadListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    let mut errors = Vec::new();
    let filter = LeadFilter {
        state: q.state.as_deref().and_then(|s| {
            LeadState::parse(s).or_else(|| {
                errors.push(FieldError::new(
                    "state",
                    "invalid_state",
                    "not a lead state",
                ));
                None
            })
        }),
        score: q.score.as_deref().and_then(|s| {
            Score::parse(s).or_else(|| {
                errors.push(FieldError::new(
                    "score",
                    "invalid_score",
                    "expected HOT, WARM, COLD or UNSCORED",
                ));
                None
            })
        }),
        source: q.source.as_deref().and_then(|s| {
            Channel::parse(s).or_else(|| {
                errors.push(FieldError::new(
                    "source",
                    "invalid_channel",
                    "not a channel",
                ));
                None
            })
        }),
        created_from: q.created_from,
        created_to: q.created_to,
        after: q.cursor.as_deref().and_then(|c| {
            decode_cursor(c).or_else(|| {
                errors.push(FieldError::new(
                    "cursor",
                    "invalid_cursor",
                    "not a cursor this list returned",
                ));
                None
            })
        }),
    };
    if filter.after.is_some() && page.offset > 0 {
        errors.push(FieldError::new(
            "offset",
            "conflicts_with_cursor",
            "give either cursor or offset",
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let result = state
        .deps
        .leads
        .list_leads(tenant.id, &filter, page)
        .await?;
    let full = result.items.len() == page.limit as usize;
    let mut body = LeadPage::new(
        result.items.iter().map(LeadView::from).collect(),
        result.total,
        page,
    );
    body.next_cursor = result.items.last().filter(|_| full).map(encode_cursor);
    Ok(HttpResponse::Ok().json(body))
}

async fn load(state: &AppState, tenant: TenantId, id: Uuid) -> Result<Lead, ApiError> {
    state
        .deps
        .leads
        .get_lead(tenant, LeadId::from_uuid(id))
        .await?
        .ok_or(ApiError::NotFound("lead"))
}

/// A lead with its lifecycle history and conversations.
#[utoipa::path(
    get, path = "/api/v1/leads/{id}", operation_id = "get_lead", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    responses((status = 200, description = "The lead with its conversations and history", body = LeadDetail), (status = 404, description = "No such lead for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn get(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let lead = load(&state, tenant.id, id.into_inner()).await?;
    detail(&state, &lead).await
}

async fn detail(state: &AppState, lead: &Lead) -> Result<HttpResponse, ApiError> {
    let history = state
        .deps
        .leads
        .lead_history(lead.tenant_id, lead.id)
        .await?;
    let conversations = state
        .deps
        .leads
        .lead_conversations(lead.tenant_id, lead.id)
        .await?;
    let booking = state
        .storage
        .bookings
        .booking_of_lead(lead.tenant_id, lead.id)
        .await?;
    let crm = state
        .storage
        .crm_links
        .crm_link(lead.tenant_id, lead.id)
        .await?;
    Ok(HttpResponse::Ok().json(LeadDetail {
        lead: LeadView::from(lead),
        history: history.iter().map(StateChangeView::from).collect(),
        conversations: conversations.iter().map(ConversationView::from).collect(),
        booking: booking
            .as_ref()
            .map(crate::routes::booking::LeadBookingView::from),
        crm: crm.as_ref().map(crate::routes::crm::LeadCrmView::from),
    }))
}

/// The body of `PATCH /api/v1/leads/{id}`.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateLeadRequest {
    /// Name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// Email.
    #[validate(length(max = 254))]
    pub email: Option<String>,
    /// Phone.
    #[validate(length(max = 32))]
    pub phone: Option<String>,
    /// Source label.
    #[validate(length(max = 200))]
    pub source_detail: Option<String>,
    /// Target lifecycle state; only transitions the lifecycle allows are accepted (409 otherwise).
    pub state: Option<String>,
    /// Why the state changes (kept in the history).
    #[validate(length(min = 1, max = 500))]
    pub reason: Option<String>,
}

/// Erases a lead on the person's request (right to erasure): the lead, its conversations and
/// messages, history, escalations and booking. Model usage and cost (no personal data) stay for
/// billing, and an opt-out stays so the person is not messaged again.
#[utoipa::path(
    delete, path = "/api/v1/leads/{id}", operation_id = "erase_lead", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    responses(
        (status = 204, description = "Erased"),
        (status = 404, description = "No such lead for this client", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn erase(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = LeadId::from_uuid(id.into_inner());
    usecases::retention::erase_lead(&state.deps, &tenant, id)
        .await
        .map_err(lead_error)?;
    tracing::info!(client_id = %tenant.id, lead_id = %id, "lead erased on request");
    Ok(HttpResponse::NoContent().finish())
}

/// Edits a lead's contact details or moves it through the lifecycle.
#[utoipa::path(
    patch, path = "/api/v1/leads/{id}", operation_id = "update_lead", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = UpdateLeadRequest,
    responses(
        (status = 200, description = "The lead as updated", body = LeadDetail),
        (status = 404, description = "No such lead for this client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Illegal lifecycle transition", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn update(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateLeadRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.0;
    let lead = load(&state, tenant.id, id.into_inner()).await?;
    let mut errors = Vec::new();
    let target = req.state.as_deref().and_then(|s| {
        LeadState::parse(s).or_else(|| {
            errors.push(FieldError::new(
                "state",
                "invalid_state",
                "not a lead state",
            ));
            None
        })
    });
    let phone = req.phone.as_deref().and_then(|p| {
        match phone::normalise(p, &tenant.settings.default_region) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(FieldError::new("phone", e.code, e.message));
                None
            }
        }
    });
    let email = req.email.as_deref().and_then(|e| match Email::parse(e) {
        Ok(e) => Some(e),
        Err(err) => {
            errors.push(FieldError::new("email", "invalid_email", err.to_string()));
            None
        }
    });
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let edit = LeadEdit {
        name: req.name,
        phone,
        email,
        source_detail: req.source_detail,
        state: target,
        reason: req
            .reason
            .unwrap_or_else(|| "changed through the API".to_owned()),
    };
    let lead = lead_actions::edit_lead(&state.deps, &tenant, lead.id, edit)
        .await
        .map_err(lead_error)?;
    detail(&state, &lead).await
}

/// The body of `PATCH /api/v1/leads/{id}/score`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRequest {
    /// `HOT`, `WARM`, `COLD` or `UNSCORED`.
    pub score: String,
    /// Why; kept with the lead, and the score is no longer recomputed automatically.
    #[validate(length(min = 1, max = 500))]
    pub reason: String,
}

/// Sets a lead's score by hand, with a reason.
#[utoipa::path(
    patch, path = "/api/v1/leads/{id}/score", operation_id = "score_lead", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body = ScoreRequest,
    responses((status = 200, description = "The lead with its new score", body = LeadView), (status = 404, description = "No such lead for this client", body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn score(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<ScoreRequest>,
) -> Result<HttpResponse, ApiError> {
    let req = body.0;
    let score = Score::parse(&req.score).ok_or_else(|| {
        ApiError::field(
            "score",
            "invalid_score",
            "expected HOT, WARM, COLD or UNSCORED",
        )
    })?;
    let lead = lead_actions::override_score(
        &state.deps,
        &tenant,
        LeadId::from_uuid(id.into_inner()),
        score,
        &req.reason,
    )
    .await
    .map_err(lead_error)?;
    Ok(HttpResponse::Ok().json(LeadView::from(&lead)))
}

/// The body of `POST /api/v1/leads/{id}/merge`.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The lead that stays: the one this lead is a duplicate of.
    pub into: Uuid,
}

/// Merges a lead into another after a person confirmed they are the same person (a chat visitor
/// whose claimed phone or email matches another lead shows it as `possible_duplicate_of`).
/// Conversations, escalations and history move to `into`; this lead is removed.
#[utoipa::path(
    post, path = "/api/v1/leads/{id}/merge", operation_id = "merge_leads", tag = "leads",
    params(("id" = Uuid, Path, description = "The lead to merge away")),
    request_body = MergeRequest,
    responses(
        (status = 200, description = "The lead merged into", body = LeadDetail),
        (status = 404, description = "Either lead is not the caller's", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "A lead merged into itself, or an invalid body", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn merge(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<MergeRequest>,
) -> Result<HttpResponse, ApiError> {
    let from = LeadId::from_uuid(id.into_inner());
    let into = LeadId::from_uuid(body.0.into);
    let lead = usecases::merge_leads(&state.deps, &tenant, from, into)
        .await
        .map_err(|e| match e {
            UseCaseError::Invalid(msg) => ApiError::field("into", "invalid", msg),
            other => usecase_error(other),
        })?;
    tracing::info!(client_id = %tenant.id, lead_id = %lead.id, merged = %from, "leads merged");
    detail(&state, &lead).await
}

/// The optional body of `POST /api/v1/leads/{id}/handoff`.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffRequest {
    /// Why, or who takes over.
    #[validate(length(min = 1, max = 500))]
    pub reason: Option<String>,
}

/// Hands a lead to a person: the lead becomes HANDED_OFF and its open conversations stop getting AI replies.
#[utoipa::path(
    post, path = "/api/v1/leads/{id}/handoff", operation_id = "hand_off_lead", tag = "leads",
    params(("id" = Uuid, Path, description = "Lead id")),
    request_body(content = Option<HandoffRequest>),
    responses(
        (status = 200, description = "The lead, handed to a person", body = LeadDetail),
        (status = 404, description = "No such lead for this client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Disqualified or already handed off", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn handoff(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: OptionalJson<HandoffRequest>,
) -> Result<HttpResponse, ApiError> {
    let reason = body
        .0
        .and_then(|b| b.reason)
        .unwrap_or_else(|| "handed off through the API".to_owned());
    let lead = lead_actions::hand_off(
        &state.deps,
        &tenant,
        LeadId::from_uuid(id.into_inner()),
        reason,
        "api",
    )
    .await
    .map_err(lead_error)?;
    tracing::info!(client_id = %tenant.id, lead_id = %lead.id, "lead handed off");
    detail(&state, &lead).await
}

/// HOT leads of a client; another client's id answers 404.
#[utoipa::path(
    get, path = "/api/v1/leads/client/{id}/hot", operation_id = "list_hot_leads", tag = "leads",
    params(("id" = Uuid, Path, description = "Client id (must be the caller's)"), PageQuery),
    responses((status = 200, description = "A page of the client's HOT leads", body = LeadPage), (status = 404, description = "No such lead for this client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub async fn hot(
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    if id.into_inner() != tenant.id.as_uuid() {
        return Err(ApiError::NotFound("client"));
    }
    let page = query.page()?;
    let filter = LeadFilter {
        score: Some(Score::Hot),
        ..LeadFilter::default()
    };
    let result = state
        .deps
        .leads
        .list_leads(tenant.id, &filter, page)
        .await?;
    Ok(HttpResponse::Ok().json(LeadPage::new(
        result.items.iter().map(LeadView::from).collect(),
        result.total,
        page,
    )))
}
