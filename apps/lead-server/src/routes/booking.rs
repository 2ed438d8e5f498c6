//! Booking: the tenant's calendar settings as the API takes and shows them (the key and the
//! webhook secret are write-only), and Cal.com's webhooks at `POST /webhooks/calcom/{client_id}`.

use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use lead_channels::calcom::webhook::{SIGNATURE_HEADER, Trigger, parse_event, verify_signature};
use lead_domain::booking::{BookingProvider, BookingRecord, BookingSettings};
use lead_domain::contact::Email;
use lead_domain::ids::{LeadId, TenantId};
use lead_domain::ports::StoreError;
use lead_domain::scoring::Score;
use lead_domain::tenant::Secret;
use lead_domain::usecases::UseCaseError;
use lead_domain::usecases::booking::{
    CalendarAttendee, CalendarChange, CalendarOutcome, apply_calendar_change,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// The `booking` object of `PATCH /api/v1/clients/{id}`; a field left out keeps its value, so the
/// write-only key need not be sent again to change `offer_for`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingPatch {
    /// `calcom`.
    #[schema(value_type = Option<String>)]
    pub provider: Option<BookingProvider>,
    /// The Cal.com API key (`cal_live_...`); never shown back.
    pub api_key: Option<String>,
    /// The Cal.com event type bookings are made for.
    pub event_type_id: Option<u64>,
    /// The secret Cal.com signs its webhooks with; never shown back.
    pub webhook_secret: Option<String>,
    /// Scores at which the AI offers a meeting unasked (`HOT`, `WARM`, `COLD`).
    #[schema(value_type = Option<Vec<String>>)]
    pub offer_for: Option<Vec<Score>>,
    /// How many days ahead slots are offered (1 to 30).
    pub days_ahead: Option<u32>,
}

/// Merges a patch into the current settings, naming the field at fault.
pub fn merge_booking(
    current: Option<&BookingSettings>,
    patch: BookingPatch,
    errors: &mut Vec<FieldError>,
) -> Option<BookingSettings> {
    let api_key = match (patch.api_key, current) {
        (Some(k), _) => Secret::new(k.trim()),
        (None, Some(c)) => c.api_key.clone(),
        (None, None) => {
            errors.push(FieldError::new(
                "booking.api_key",
                "required",
                "the Cal.com API key is required to connect a calendar",
            ));
            return None;
        }
    };
    let Some(event_type_id) = patch.event_type_id.or(current.map(|c| c.event_type_id)) else {
        errors.push(FieldError::new(
            "booking.event_type_id",
            "required",
            "the Cal.com event type to book is required",
        ));
        return None;
    };
    let settings = BookingSettings {
        provider: patch
            .provider
            .or(current.map(|c| c.provider))
            .unwrap_or_default(),
        api_key,
        event_type_id,
        webhook_secret: match patch.webhook_secret {
            Some(s) if s.trim().is_empty() => None,
            Some(s) => Some(Secret::new(s.trim())),
            None => current.and_then(|c| c.webhook_secret.clone()),
        },
        offer_for: patch
            .offer_for
            .or(current.map(|c| c.offer_for.clone()))
            .unwrap_or_else(|| vec![Score::Hot, Score::Warm]),
        days_ahead: patch
            .days_ahead
            .or(current.map(|c| c.days_ahead))
            .unwrap_or(7),
    };
    if let Err(e) = settings.validate() {
        let field = match e {
            lead_domain::booking::BookingSettingsError::EmptyKey => "booking.api_key",
            lead_domain::booking::BookingSettingsError::NoEventType => "booking.event_type_id",
            lead_domain::booking::BookingSettingsError::DaysAhead { .. } => "booking.days_ahead",
            lead_domain::booking::BookingSettingsError::OfferFor => "booking.offer_for",
        };
        errors.push(FieldError::new(field, "invalid", e.to_string()));
        return None;
    }
    Some(settings)
}

/// The calendar settings as `GET /api/v1/clients/{id}` shows them: whether the secrets are set,
/// never their values, and the webhook URL to give Cal.com.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingView {
    /// `calcom`.
    pub provider: String,
    /// The event type bookings are made for.
    pub event_type_id: u64,
    /// Whether an API key is stored.
    pub api_key_set: bool,
    /// Whether a webhook secret is stored.
    pub webhook_secret_set: bool,
    /// Scores at which a meeting is offered unasked.
    pub offer_for: Vec<String>,
    /// Days ahead slots are offered.
    pub days_ahead: u32,
    /// The path Cal.com's webhook subscription must point at.
    pub webhook_path: String,
}

impl BookingView {
    /// The view of a tenant's settings.
    pub fn of(tenant: TenantId, s: &BookingSettings) -> Self {
        Self {
            provider: match s.provider {
                BookingProvider::Calcom => "calcom".to_owned(),
            },
            event_type_id: s.event_type_id,
            api_key_set: !s.api_key.expose().is_empty(),
            webhook_secret_set: s.webhook_secret.is_some(),
            offer_for: s.offer_for.iter().map(|x| x.as_str().to_owned()).collect(),
            days_ahead: s.days_ahead,
            webhook_path: format!("/webhooks/calcom/{tenant}"),
        }
    }
}

/// A lead's booking as `GET /api/v1/leads/{id}` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeadBookingView {
    /// `offered`, `awaiting_contact`, `pending`, `booked` or `cancelled`.
    pub status: String,
    /// Cal.com's booking uid, once booked.
    pub uid: Option<String>,
    /// The booked start.
    pub start: Option<chrono::DateTime<chrono::Utc>>,
    /// The slots last offered.
    pub offered: Vec<chrono::DateTime<chrono::Utc>>,
    /// What happened, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<lead_domain::booking::BookingChange>,
}

impl From<&BookingRecord> for LeadBookingView {
    fn from(r: &BookingRecord) -> Self {
        Self {
            status: r.status.as_str().to_owned(),
            uid: r.uid.clone(),
            start: r.start,
            offered: r.offered.clone(),
            history: r.history.clone(),
        }
    }
}

/// What the webhook answers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalcomWebhookReceipt {
    /// `applied`, `duplicate`, `ignored` (a trigger we do not act on) or `no_lead`.
    pub result: String,
    /// The lead the booking belongs to, when found.
    pub lead_id: Option<Uuid>,
}

/// Receives Cal.com's booking webhooks: verified with the tenant's webhook secret against the raw
/// body, applied once per booking uid and trigger.
#[utoipa::path(
    post,
    path = "/webhooks/calcom/{client_id}",
    operation_id = "calcom_webhook",
    tag = "webhooks",
    params(("client_id" = Uuid, Path, description = "The client the Cal.com subscription belongs to")),
    request_body(content = Object, description = "Cal.com's webhook body: triggerEvent, createdAt, payload"),
    responses(
        (status = 200, description = "Applied, a repeat, or a trigger the service does not act on", body = CalcomWebhookReceipt),
        (status = 401, description = "Missing or wrong X-Cal-Signature-256, or no webhook secret configured"),
        (status = 422, description = "The body is not a Cal.com booking webhook")
    )
)]
pub async fn calcom_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    client_id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let unsigned = || ApiError::UnsignedWebhook("X-Cal-Signature-256 does not match".to_owned());
    // An unknown client and a wrong signature answer alike, so the endpoint reveals no tenants.
    let tenant = state
        .deps
        .tenants
        .get_tenant(TenantId::from_uuid(client_id.into_inner()))
        .await?
        .ok_or_else(unsigned)?;
    let secret = tenant
        .settings
        .booking
        .as_ref()
        .and_then(|b| b.webhook_secret.clone())
        .ok_or_else(unsigned)?;
    let signature = req
        .headers()
        .get(SIGNATURE_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unsigned)?;
    if !verify_signature(secret.expose(), &body, signature) {
        return Err(unsigned());
    }
    // Signed provider traffic has its own budget: nothing else a tenant receives can starve it.
    state.limits.webhook(tenant.id).await?;
    let event =
        parse_event(&body).map_err(|e| ApiError::field("payload", "invalid", e.to_string()))?;
    let (Some(trigger), Some(payload)) = (event.trigger, event.payload) else {
        return Ok(HttpResponse::Ok().json(CalcomWebhookReceipt {
            result: "ignored".to_owned(),
            lead_id: None,
        }));
    };
    let change = match trigger {
        Trigger::Created => CalendarChange::Created {
            uid: payload.uid.clone(),
            start: payload
                .start_time
                .ok_or_else(|| ApiError::field("payload.startTime", "required", "missing"))?,
        },
        Trigger::Rescheduled => CalendarChange::Rescheduled {
            uid: payload.uid.clone(),
            previous_uid: payload.reschedule_uid.clone(),
            start: payload
                .start_time
                .ok_or_else(|| ApiError::field("payload.startTime", "required", "missing"))?,
        },
        Trigger::Cancelled => CalendarChange::Cancelled {
            uid: payload.uid.clone(),
        },
        Trigger::MeetingEnded => {
            return Ok(HttpResponse::Ok().json(CalcomWebhookReceipt {
                result: "ignored".to_owned(),
                lead_id: None,
            }));
        }
    };
    let attendee = CalendarAttendee {
        lead_ref: payload
            .lead_ref()
            .and_then(|r| r.parse::<Uuid>().ok())
            .map(LeadId::from_uuid),
        email: payload
            .attendees
            .iter()
            .find_map(|a| a.email.as_deref().and_then(|e| Email::parse(e).ok())),
    };
    // The lead may be saved by its own conversation at the same moment: read again and re-apply.
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        match apply_calendar_change(&state.deps, &tenant, &change, &attendee).await {
            Err(UseCaseError::Store(StoreError::Stale(_))) if attempt < 5 => continue,
            other => break other.map_err(crate::routes::leads::usecase_error)?,
        }
    };
    // Applying is idempotent per booking uid (a repeat or a replay finds the change made); the
    // log keeps each delivery for audit.
    let key = format!("{}:{}", event.trigger_name, payload.uid);
    state
        .storage
        .webhooks
        .first_time(tenant.id, "calcom", &key, state.deps.clock.now())
        .await?;
    let (result, lead_id) = match outcome {
        CalendarOutcome::Applied(id) => ("applied", Some(id.as_uuid())),
        CalendarOutcome::AlreadyApplied(id) => ("duplicate", Some(id.as_uuid())),
        CalendarOutcome::NoLead => ("no_lead", None),
    };
    Ok(HttpResponse::Ok().json(CalcomWebhookReceipt {
        result: result.to_owned(),
        lead_id,
    }))
}
