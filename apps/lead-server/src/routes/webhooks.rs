//! The web-form intake webhook (JSON, `X-API-Key`, `Idempotency-Key`); the Twilio webhooks are in
//! `twilio`, live chat in `live_chat`.

use crate::auth::TenantAuth;
use crate::error::{ApiError, FieldError};
use crate::extract::ValidJson;
use crate::routes::leads::parse_contact;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use lead_domain::lead::{Channel, Sender};
use lead_domain::usecases::InboundRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// The system notice stored for a web form sent without a message.
const WEB_FORM_NOTICE: &str = "Web form submitted without a message";

/// The header a form can send so a retried submission is stored once.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";

/// A web-form submission, as in the seed's quick start.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebFormRequest {
    /// The lead's name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// Phone; local numbers use the client's default region.
    #[validate(length(max = 32))]
    pub phone: Option<String>,
    /// Email.
    #[validate(length(max = 254))]
    pub email: Option<String>,
    /// What the lead wrote.
    #[validate(length(min = 1, max = 5000))]
    pub message: Option<String>,
    /// Where the form is (`website`, `facebook ad`).
    #[validate(length(max = 100))]
    pub source: Option<String>,
}

/// What an accepted intake stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IntakeAccepted {
    /// Always `accepted`: stored durably, processing queued.
    pub status: String,
    /// The lead (new or existing).
    pub lead_id: Uuid,
    /// The conversation.
    pub conversation_id: Uuid,
    /// The stored message, when there was one.
    pub message_id: Option<Uuid>,
    /// The processing job; `null` for a paused client or a submission without a message.
    pub job_id: Option<Uuid>,
    /// Whether the lead was created by this submission.
    pub lead_created: bool,
    /// Whether this was a replay of an earlier submission with the same `Idempotency-Key`.
    pub duplicate: bool,
}

/// The SHA-256 of a request's fields in a canonical form (sorted keys), so a retry that
/// re-serialises the same form matches and a different form does not.
fn request_digest(fields: &serde_json::Value) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(fields.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let bad = || {
        ApiError::Validation(vec![FieldError::new(
            IDEMPOTENCY_HEADER,
            "invalid_idempotency_key",
            "must be 1 to 255 visible ASCII characters",
        )])
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    if text.is_empty() || text.len() > 255 || !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(bad());
    }
    Ok(Some(text.to_owned()))
}

/// Accepts a web-form lead: stored durably and queued for qualification before the answer.
#[utoipa::path(
    post, path = "/webhooks/web-form", operation_id = "submit_web_form", tag = "webhooks",
    request_body(content = WebFormRequest, content_type = "application/json", example = json!({
        "name": "Ahmed", "phone": "+966501234567", "email": "ahmed@example.com",
        "message": "I am looking to buy an apartment in Dammam, budget around 800,000 SAR", "source": "website"
    })),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key are stored once")),
    responses(
        (status = 202, description = "Stored and queued", body = IntakeAccepted),
        (status = 400, description = "Broken JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or wrong API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub async fn web_form(
    req: HttpRequest,
    TenantAuth(tenant): TenantAuth,
    state: web::Data<AppState>,
    body: ValidJson<WebFormRequest>,
) -> Result<HttpResponse, ApiError> {
    let form = body.0;
    let key = idempotency_key(&req)?;
    let digest_input = serde_json::json!({
        "name": form.name, "phone": form.phone, "email": form.email,
        "message": form.message, "source": form.source,
    });
    let mut errors = Vec::new();
    let contact = parse_contact(
        &tenant,
        form.name.as_deref(),
        form.phone.as_deref(),
        form.email.as_deref(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // A form sent without a message still gets the greeting and the first question: the
    // submission itself is the notice the conversation starts from.
    let (body, sender) = match form.message.filter(|m| !m.trim().is_empty()) {
        Some(message) => (message, Sender::Lead),
        None => (WEB_FORM_NOTICE.to_owned(), Sender::System),
    };
    let receipt = super::accept(
        &state,
        &tenant,
        InboundRequest {
            channel: Some(Channel::WebForm),
            contact,
            body: Some(body),
            source_detail: form
                .source
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty()),
            request_digest: key.as_ref().map(|_| request_digest(&digest_input)),
            dedup_key: key.map(|k| ("idempotency".to_owned(), k)),
            sender: Some(sender),
        },
    )
    .await?;
    tracing::info!(
        client_id = %tenant.id,
        lead_id = %receipt.lead_id,
        lead_created = receipt.lead_created,
        duplicate = receipt.duplicate,
        queued = receipt.job_id.is_some(),
        "web form accepted"
    );
    Ok(HttpResponse::Accepted().json(IntakeAccepted {
        status: "accepted".to_owned(),
        lead_id: receipt.lead_id.as_uuid(),
        conversation_id: receipt.conversation_id.as_uuid(),
        message_id: receipt.message_id.map(|m| m.as_uuid()),
        job_id: receipt.job_id.map(|j| j.as_uuid()),
        lead_created: receipt.lead_created,
        duplicate: receipt.duplicate,
    }))
}
