//! Twilio webhooks: inbound SMS and WhatsApp, missed calls and message status callbacks, each
//! routed to a client by its number and checked against that client's signature before anything is stored.

use crate::error::{ApiError, FieldError};
use crate::extract::FormBody;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use lead_channels::optout::{self, KeywordIntent};
use lead_channels::signature::{RequestUrlParts, RequestValidator, SIGNATURE_HEADER, parse_form};
use lead_channels::twilio::{
    AddressKind, EMPTY_TWIML, FormError, InboundMessage, MessageStatusCallback, TWIML_CONTENT_TYPE,
    TwilioAddress, VoiceStatusCallback,
};
use lead_domain::contact::Address;
use lead_domain::lead::{Channel, Sender};
use lead_domain::ports::ContactInfo;
use lead_domain::tenant::Tenant;
use lead_domain::usecases::InboundRequest;

fn form_error(err: FormError) -> ApiError {
    match err {
        FormError::Missing(field) => ApiError::field(
            field,
            "required",
            format!("twilio field {field} is missing"),
        ),
        FormError::Invalid { field, reason } => ApiError::field(field, "invalid", reason),
    }
}

fn twiml() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(TWIML_CONTENT_TYPE)
        .body(EMPTY_TWIML)
}

/// The one refusal of a Twilio request: an unknown number, a wrong signature and another
/// account's request all answer exactly this, so the answer does not reveal which numbers belong
/// to a client.
fn refused(reason: &str) -> ApiError {
    tracing::info!(reason, "twilio request refused");
    ApiError::InvalidSignature("the signature does not match".to_owned())
}

/// Finds the client that registered `to` and checks the request's signature with its auth token
/// and that the request came from its account.
async fn tenant_for(
    state: &AppState,
    req: &HttpRequest,
    to: &TwilioAddress,
    account_sid: Option<&str>,
    pairs: &[(String, String)],
) -> Result<Tenant, ApiError> {
    let number = to
        .phone_number()
        .map_err(|e| ApiError::field("To", "invalid", e.to_string()))?;
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |p| p.as_str());
    // Forwarded headers are written by whoever sends the request: without PUBLIC_BASE_URL they
    // are believed only from a trusted proxy, else a request signed for another deployment's
    // URL would validate here.
    let proxied = crate::proxies::via_trusted_proxy(req, &state.proxies);
    let url = RequestUrlParts {
        public_base_url: state.settings.public_base_url.as_deref(),
        forwarded_proto: header("x-forwarded-proto").filter(|_| proxied),
        forwarded_host: header("x-forwarded-host").filter(|_| proxied),
        host: header("host"),
        scheme: "http",
        path_and_query,
    }
    .twilio_url()
    .map_err(|e| refused(&e.to_string()))?;
    let signature = header(SIGNATURE_HEADER).unwrap_or("");
    let found = state
        .deps
        .tenants
        .find_tenant_by_number(&number, to.number_kind())
        .await?;
    let Some((tenant, twilio)) = found.and_then(|t| {
        let twilio = t.settings.twilio.clone()?;
        Some((t, twilio))
    }) else {
        // The same work as a known number, so timing does not tell them apart either.
        let _ = RequestValidator::new(secrecy::SecretString::from("unknown".to_owned()))
            .validate_form(&url, pairs, signature);
        return Err(refused("no client registered the number"));
    };
    let validator = RequestValidator::new(secrecy::SecretString::from(
        twilio.auth_token.expose().to_owned(),
    ));
    validator
        .validate_form(&url, pairs, signature)
        .map_err(|e| refused(&e.to_string()))?;
    if let Some(sid) = account_sid
        && sid != twilio.account_sid
    {
        return Err(refused("the request comes from another twilio account"));
    }
    // Signed webhooks draw on their own budget: no widget, API or form traffic can spend it.
    state.limits.webhook(tenant.id).await?;
    Ok(tenant)
}

async fn inbound(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: FormBody,
    expected: AddressKind,
) -> Result<HttpResponse, ApiError> {
    let pairs = parse_form(&body.0);
    let message = InboundMessage::from_form(&pairs).map_err(form_error)?;
    if message.to.kind() != expected {
        return Err(ApiError::field(
            "To",
            "wrong_channel",
            match expected {
                AddressKind::Phone => {
                    "this endpoint takes SMS; WhatsApp goes to /webhooks/whatsapp/inbound"
                }
                AddressKind::WhatsApp => {
                    "this endpoint takes WhatsApp (whatsapp: addresses); SMS goes to /webhooks/sms/inbound"
                }
            },
        ));
    }
    let tenant = tenant_for(
        &state,
        &req,
        &message.to,
        Some(&message.account_sid),
        &pairs,
    )
    .await?;
    let from = message
        .from
        .phone_number()
        .map_err(|e| ApiError::field("From", "invalid", e.to_string()))?;
    let address = Address::Phone(from.clone());
    // STOP and START act only on a MessageSid seen for the first time, and before the message is
    // queued (so no reply races the opt-out): a replayed START must not re-subscribe someone who
    // has since sent STOP.
    if let Some(intent) = optout::classify(&message.body) {
        let now = state.deps.clock.now();
        let first = state
            .storage
            .webhooks
            .first_time(tenant.id, "twilio-opt", &message.message_sid, now)
            .await?;
        match intent {
            KeywordIntent::OptOut if first => {
                state
                    .deps
                    .opt_outs
                    .opt_out(tenant.id, &address, now)
                    .await?
            }
            KeywordIntent::OptIn if first => {
                state.deps.opt_outs.opt_in(tenant.id, &address).await?
            }
            _ => {}
        }
    }
    let text = if message.body.trim().is_empty() && message.num_media > 0 {
        format!("[{} media attachment(s)]", message.num_media)
    } else {
        message.body.clone()
    };
    let channel = match expected {
        AddressKind::Phone => Channel::Sms,
        AddressKind::WhatsApp => Channel::Whatsapp,
    };
    let receipt = super::accept(
        &state,
        &tenant,
        InboundRequest {
            channel: Some(channel),
            contact: ContactInfo {
                name: message.profile_name.clone(),
                phone: Some(from),
                email: None,
                chat_session: None,
                ..ContactInfo::default()
            },
            body: Some(text),
            source_detail: None,
            dedup_key: Some(("twilio".to_owned(), message.message_sid.clone())),
            request_digest: None,
            sender: None,
        },
    )
    .await?;
    tracing::info!(
        client_id = %tenant.id,
        lead_id = %receipt.lead_id,
        channel = channel.as_str(),
        duplicate = receipt.duplicate,
        "twilio message accepted"
    );
    Ok(twiml())
}

/// Inbound SMS (Twilio form post, signed).
#[utoipa::path(
    post, path = "/webhooks/sms/inbound", operation_id = "receive_sms", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio's message parameters"),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature over the URL and parameters")),
    responses(
        (status = 200, description = "Stored and queued; empty TwiML", content_type = "text/xml"),
        (status = 403, description = "Bad signature, or no client registered the To number (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a form body", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or invalid Twilio fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn sms_inbound(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    inbound(req, state, body, AddressKind::Phone).await
}

/// Inbound WhatsApp (Twilio form post with `whatsapp:` addresses, signed).
#[utoipa::path(
    post, path = "/webhooks/whatsapp/inbound", operation_id = "receive_whatsapp", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio's message parameters"),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature over the URL and parameters")),
    responses(
        (status = 200, description = "Stored and queued; empty TwiML", content_type = "text/xml"),
        (status = 403, description = "Bad signature, or no client registered the number (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn whatsapp_inbound(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    inbound(req, state, body, AddressKind::WhatsApp).await
}

/// Twilio voice status callback: a missed call (no-answer, busy, failed, canceled) creates or finds
/// the lead and queues a follow-up, once per `CallSid`; other statuses store nothing.
#[utoipa::path(
    post, path = "/webhooks/missed-call", operation_id = "receive_missed_call", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio's call status parameters"),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    responses(
        (status = 200, description = "Handled; empty TwiML", content_type = "text/xml"),
        (status = 403, description = "Bad signature, or no client registered the number (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn missed_call(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    let pairs = parse_form(&body.0);
    let call = VoiceStatusCallback::from_form(&pairs).map_err(form_error)?;
    let to = TwilioAddress::parse("To", &call.to).map_err(form_error)?;
    let tenant = tenant_for(&state, &req, &to, Some(&call.account_sid), &pairs).await?;
    if !call.call_status.is_missed() {
        return Ok(twiml());
    }
    let Some(caller) = call.caller().and_then(|c| c.phone_number().ok()) else {
        tracing::info!(client_id = %tenant.id, "missed call from a withheld number: nobody to follow up");
        return Ok(twiml());
    };
    let status = pairs
        .iter()
        .find(|(k, _)| k == "CallStatus")
        .map_or("missed", |(_, v)| v.as_str());
    let receipt = super::accept(
        &state,
        &tenant,
        InboundRequest {
            channel: Some(Channel::MissedCall),
            contact: ContactInfo {
                name: None,
                phone: Some(caller),
                email: None,
                chat_session: None,
                ..ContactInfo::default()
            },
            body: Some(format!("Missed call ({status})")),
            source_detail: Some("missed call".to_owned()),
            dedup_key: Some(("twilio-call".to_owned(), call.call_sid.clone())),
            request_digest: None,
            sender: Some(Sender::System),
        },
    )
    .await?;
    tracing::info!(client_id = %tenant.id, lead_id = %receipt.lead_id, duplicate = receipt.duplicate, "missed call accepted");
    Ok(twiml())
}

/// Twilio message status callback: records the delivery state of a message we sent.
#[utoipa::path(
    post, path = "/webhooks/twilio/status", operation_id = "receive_twilio_status", tag = "webhooks",
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "Twilio's status parameters"),
    params(("X-Twilio-Signature" = String, Header, description = "Twilio's signature")),
    responses(
        (status = 200, description = "Recorded; empty TwiML", content_type = "text/xml"),
        (status = 403, description = "Bad signature, or no client registered the number (the same answer)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
pub async fn twilio_status(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: FormBody,
) -> Result<HttpResponse, ApiError> {
    let pairs = parse_form(&body.0);
    let callback = MessageStatusCallback::from_form(&pairs).map_err(form_error)?;
    // The sender is the client's own number, which routes the callback to it.
    let from_raw = pairs
        .iter()
        .find(|(k, _)| k == "From")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| {
            ApiError::Validation(vec![FieldError::new(
                "From",
                "required",
                "twilio field From is missing",
            )])
        })?;
    let from = TwilioAddress::parse("From", from_raw).map_err(form_error)?;
    let tenant = tenant_for(&state, &req, &from, callback.account_sid.as_deref(), &pairs).await?;
    let Some(status) = callback.status.delivery_status() else {
        return Ok(twiml());
    };
    let now = state.deps.clock.now();
    let event = format!("{}:{}", callback.message_sid, status.as_str());
    if !state
        .storage
        .webhooks
        .first_time(tenant.id, "twilio-status", &event, now)
        .await?
    {
        return Ok(twiml());
    }
    let error = callback
        .error_code
        .map(|code| format!("twilio error {code}"));
    let matched = state
        .deps
        .leads
        .set_delivery_by_provider_id(tenant.id, &callback.message_sid, status, error)
        .await?;
    tracing::info!(client_id = %tenant.id, matched, status = status.as_str(), "twilio status recorded");
    Ok(twiml())
}
