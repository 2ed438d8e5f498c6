//! Client (tenant) management for the platform admin: create with a one-time API key, read,
//! edit, pause, activate, rotate the key with a grace period, and month-to-date model usage.

use crate::auth::{AdminAuth, NewApiKey, generate_api_key};
use crate::error::{ApiError, FieldError};
use crate::extract::{OptionalJson, ValidJson};
use crate::phone;
use crate::presets;
use crate::routes::notifications::{Caller, apply_notifications, authorize_client};
use crate::state::AppState;
use crate::views::{ClientCreated, ClientView};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lead_domain::escalation::EscalationPolicy;
use lead_domain::hours::{BusinessHours, HoursError, parse_timezone, serde_value::RawDay};
use lead_domain::ids::TenantId;
use lead_domain::language::Language;
use lead_domain::lead::YearMonth;
use lead_domain::qualification::Currency;
use lead_domain::scoring::QualificationRules;
use lead_domain::tenant::{
    LlmOverride, PhoneReplyChannel, ServiceDef, Tenant, TenantSettings, TenantStatus,
    TwilioSettings,
};
use lead_domain::usecases::Deps;
use serde::{Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// Accepts `null` as "clear" and absence as "keep" for optional settings.
fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn valid_slug(slug: &str) -> Result<(), validator::ValidationError> {
    let ok = slug.len() >= 2
        && slug.len() <= 63
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if ok {
        Ok(())
    } else {
        let mut e = validator::ValidationError::new("invalid_slug");
        e.message = Some("must be 2 to 63 lower-case letters, digits or dashes, not starting or ending with a dash".into());
        Err(e)
    }
}

fn non_negative(v: f64) -> Result<(), validator::ValidationError> {
    if v.is_finite() && v >= 0.0 {
        Ok(())
    } else {
        let mut e = validator::ValidationError::new("out_of_range");
        e.message = Some("must be a non-negative number".into());
        Err(e)
    }
}

/// The body of `POST /api/v1/clients`: the seed's fields plus optional settings.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateClientRequest {
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: String,
    /// Unique URL-safe name.
    #[validate(custom(function = "valid_slug"))]
    pub slug: String,
    /// Industry key (`real_estate`, `dental_clinic`, `home_services`, `auto_dealer`, `education`, `solar`, or any other).
    #[validate(length(min = 1, max = 64))]
    pub industry: String,
    /// IANA timezone such as `Asia/Riyadh`.
    #[validate(length(min = 1, max = 64))]
    pub timezone: String,
    /// Day name to `{"start": "09:00", "end": "18:00"}` or a list of such shifts.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub business_hours: BTreeMap<String, RawDay>,
    /// Closed dates.
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
    /// Service catalogue; defaults to the industry's.
    #[schema(value_type = Option<Object>)]
    pub services: Option<BTreeMap<String, ServiceDef>>,
    /// ISO 4217 currency; defaults to the region's.
    #[validate(length(equal = 3))]
    pub currency: Option<String>,
    /// Minimum budget; defaults to the industry's.
    #[validate(custom(function = "non_negative"))]
    pub min_budget: Option<f64>,
    /// High-value threshold; defaults to the industry's.
    #[validate(custom(function = "non_negative"))]
    pub high_value_threshold: Option<f64>,
    /// Full scoring rules, replacing the three fields above.
    #[schema(value_type = Option<Object>)]
    pub qualification_rules: Option<QualificationRules>,
    /// Escalation triggers.
    #[schema(value_type = Option<Object>)]
    pub escalation: Option<EscalationPolicy>,
    /// Monthly model budget in US dollars.
    #[validate(custom(function = "non_negative"))]
    pub monthly_budget_usd: Option<f64>,
    /// How replies should sound.
    #[validate(length(max = 500))]
    pub brand_voice: Option<String>,
    /// `en` or `ar`.
    #[schema(value_type = Option<String>)]
    pub default_language: Option<Language>,
    /// Extra place names mapped to canonical cities.
    pub extra_locations: Option<BTreeMap<String, String>>,
    /// `sms` or `whatsapp`.
    #[schema(value_type = Option<String>)]
    pub phone_reply_channel: Option<PhoneReplyChannel>,
    /// Twilio account and numbers.
    #[schema(value_type = Option<Object>)]
    pub twilio: Option<TwilioSettings>,
    /// Origins allowed to embed the chat widget.
    pub allowed_origins: Option<Vec<String>>,
    /// ISO 3166 region for local phone numbers; defaults from the timezone.
    pub default_region: Option<String>,
}

/// The body of `PATCH /api/v1/clients/{id}`: every field optional; absent fields keep their value.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateClientRequest {
    /// Display name.
    #[validate(length(min = 1, max = 200))]
    pub name: Option<String>,
    /// Industry key.
    #[validate(length(min = 1, max = 64))]
    pub industry: Option<String>,
    /// IANA timezone; keeps the hours.
    #[validate(length(min = 1, max = 64))]
    pub timezone: Option<String>,
    /// Weekly hours, replacing the old ones.
    #[schema(value_type = Option<Object>)]
    pub business_hours: Option<BTreeMap<String, RawDay>>,
    /// Closed dates, replacing the old ones.
    pub holidays: Option<Vec<NaiveDate>>,
    /// Service catalogue.
    #[schema(value_type = Option<Object>)]
    pub services: Option<BTreeMap<String, ServiceDef>>,
    /// Scoring rules.
    #[schema(value_type = Option<Object>)]
    pub qualification_rules: Option<QualificationRules>,
    /// Escalation triggers.
    #[schema(value_type = Option<Object>)]
    pub escalation: Option<EscalationPolicy>,
    /// Monthly model budget in US dollars; `null` removes the limit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<f64>)]
    pub monthly_budget_usd: Option<Option<f64>>,
    /// How replies should sound; `null` clears it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub brand_voice: Option<Option<String>>,
    /// `en` or `ar`.
    #[schema(value_type = Option<String>)]
    pub default_language: Option<Language>,
    /// Extra place names.
    pub extra_locations: Option<BTreeMap<String, String>>,
    /// `sms` or `whatsapp`.
    #[schema(value_type = Option<String>)]
    pub phone_reply_channel: Option<PhoneReplyChannel>,
    /// Twilio account and numbers; `null` removes them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub twilio: Option<Option<TwilioSettings>>,
    /// Origins allowed to embed the chat widget.
    pub allowed_origins: Option<Vec<String>>,
    /// Default phone region.
    pub default_region: Option<String>,
    /// The tenant's model provider and model ids (`{"provider": "anthropic"|"openai"|"offline",
    /// "routing_model", "qualification_model"}`); `null` returns to the operator's defaults.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub llm: Option<Option<LlmOverride>>,
    /// The Cal.com calendar the AI books meetings in (`{"provider": "calcom", "api_key",
    /// "event_type_id", "webhook_secret", "offer_for", "days_ahead"}`); the key and the secret are
    /// write-only; `null` disconnects it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub booking: Option<Option<crate::routes::booking::BookingPatch>>,
    /// Who on the team is paged and the webhook endpoints (`{"email", "sms", "whatsapp",
    /// "language", "events", "webhooks": [{"url", "events", "secret"}]}`); a client may change
    /// these with its own API key.
    pub notifications: Option<crate::routes::notifications::NotificationsPatch>,
    /// The CRM leads are synced to (`{"provider": "hubspot", "access_token", "sync",
    /// "deal": {"pipeline", "stage_by_state"}, "owner_id"}`); the token is write-only; `null`
    /// disconnects it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>)]
    pub crm: Option<Option<crate::routes::crm::CrmPatch>>,
    /// Days leads and messages are kept after their last activity (1 to 3650), removed by a daily
    /// job; `null` keeps them.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<u32>)]
    pub retention_days: Option<Option<u32>>,
}

/// The optional body of `POST /api/v1/clients/{id}/rotate-api-key`.
#[derive(Debug, Clone, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotateKeyRequest {
    /// Seconds the old keys keep working (0 to 30 days; default 0: they stop now).
    #[validate(range(max = 2_592_000))]
    pub grace_period_seconds: Option<u32>,
}

/// The new key after a rotation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RotatedKey {
    /// Client.
    pub client_id: Uuid,
    /// The new API key, shown this once.
    pub api_key: String,
    /// Its first characters, to recognise it later.
    pub key_prefix: String,
    /// When the previous keys stop working.
    pub previous_keys_expire_at: DateTime<Utc>,
}

/// Month-to-date usage of one model.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ModelUsageView {
    /// Model id.
    pub model: String,
    /// Calls.
    pub calls: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cache write tokens.
    pub cache_write_tokens: u64,
    /// Cache read tokens.
    pub cache_read_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
}

/// Token usage and cost of a client for a month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UsageView {
    /// Client.
    pub client_id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    /// Per model.
    pub models: Vec<ModelUsageView>,
    /// Total cost in US dollars.
    pub total_cost_usd: f64,
    /// The monthly budget, if any.
    pub monthly_budget_usd: Option<f64>,
    /// Budget left this month, if there is a budget.
    pub budget_left_usd: Option<f64>,
}

/// `?month=YYYY-MM` of the usage endpoint.
#[derive(Debug, Clone, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// Month `YYYY-MM` (default: the current month, UTC).
    pub month: Option<String>,
}

fn hours_error(err: HoursError) -> FieldError {
    match err {
        HoursError::UnknownTimezone(_) => {
            FieldError::new("timezone", "unknown_timezone", err.to_string())
        }
        HoursError::UnknownDay(ref day) => FieldError::new(
            format!("business_hours.{day}"),
            "invalid_hours",
            err.to_string(),
        ),
        HoursError::EmptyShift(ref day) => FieldError::new(
            format!("business_hours.{day}"),
            "invalid_hours",
            err.to_string(),
        ),
    }
}

fn check_region(region: &str, errors: &mut Vec<FieldError>) -> String {
    let upper = region.trim().to_ascii_uppercase();
    if !phone::is_known_region(&upper) {
        errors.push(FieldError::new(
            "default_region",
            "unknown_region",
            "expected an ISO 3166 alpha-2 region such as SA or AE",
        ));
    }
    upper
}

/// Everything a new client needs, checked: the request, turned into a tenant and its first key.
///
/// # Errors
/// [`ApiError::Validation`] listing every field at fault.
pub fn build_tenant(
    req: CreateClientRequest,
    id: TenantId,
    now: DateTime<Utc>,
) -> Result<(Tenant, NewApiKey), ApiError> {
    let mut errors = Vec::new();
    let tz = parse_timezone(&req.timezone).map_err(hours_error);
    let hours = match &tz {
        Ok(tz) => {
            BusinessHours::from_json_days(*tz, &req.business_hours, req.holidays.iter().copied())
                .map_err(|e| errors.push(hours_error(e)))
                .ok()
        }
        Err(e) => {
            errors.push(e.clone());
            None
        }
    };
    let region = match &req.default_region {
        Some(r) => check_region(r, &mut errors),
        None => presets::region_for_timezone(&req.timezone).to_owned(),
    };
    let currency = match &req.currency {
        Some(c) => match Currency::parse(c) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(FieldError::new(
                    "currency",
                    "invalid_currency",
                    e.to_string(),
                ));
                None
            }
        },
        None => Some(presets::currency_for_region(&region)),
    };
    let twilio = req.twilio.map(|t| check_twilio(t, &mut errors));
    let (Some(hours), Some(currency)) = (hours, currency) else {
        return Err(ApiError::Validation(errors));
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let rules = req.qualification_rules.unwrap_or_else(|| {
        let mut rules = presets::rules_for(&req.industry, currency);
        if let Some(min) = req.min_budget {
            rules.min_budget = min;
        }
        if let Some(max) = req.high_value_threshold {
            rules.high_value_threshold = max;
        }
        rules
    });
    let services = req
        .services
        .unwrap_or_else(|| presets::services_for(&req.industry));
    let widget: [u8; 16] = rand::random();
    let tenant = Tenant {
        id,
        name: req.name.trim().to_owned(),
        slug: req.slug,
        status: TenantStatus::Active,
        settings: TenantSettings {
            industry: req.industry,
            business_hours: hours,
            services,
            rules,
            escalation: req.escalation.unwrap_or_default(),
            monthly_budget_usd: req.monthly_budget_usd,
            brand_voice: req.brand_voice,
            default_language: req.default_language.unwrap_or_default(),
            extra_locations: req.extra_locations.unwrap_or_default(),
            phone_reply_channel: req.phone_reply_channel.unwrap_or_default(),
            twilio,
            allowed_origins: req.allowed_origins.unwrap_or_default(),
            default_region: region,
            llm: None,
            booking: None,
            notifications: Default::default(),
            retention_days: None,
            crm: None,
        },
        widget_key: format!("wk_{}", URL_SAFE_NO_PAD.encode(widget)),
        created_at: now,
        updated_at: now,
    };
    Ok((tenant, generate_api_key(now)))
}

fn check_twilio(t: TwilioSettings, errors: &mut Vec<FieldError>) -> TwilioSettings {
    if !t.account_sid.starts_with("AC") || t.account_sid.len() != 34 {
        errors.push(FieldError::new(
            "twilio.account_sid",
            "invalid_account_sid",
            "expected AC followed by 32 hexadecimal characters",
        ));
    }
    if t.auth_token.expose().trim().is_empty() {
        errors.push(FieldError::new(
            "twilio.auth_token",
            "required",
            "must not be empty",
        ));
    }
    t
}

/// Creates a client and returns it with its first key; shared by the API and `admin create-tenant`.
///
/// # Errors
/// Validation errors; [`ApiError::Conflict`] when the slug is taken.
pub async fn create_client(
    deps: &Deps,
    req: CreateClientRequest,
) -> Result<(Tenant, String), ApiError> {
    req.validate()
        .map_err(|e| ApiError::Validation(crate::extract::validation_errors(&e)))?;
    let now = deps.clock.now();
    let (tenant, key) = build_tenant(req, TenantId::from_uuid(deps.ids.new_uuid()), now)?;
    deps.tenants.insert_tenant(&tenant, &key.record).await?;
    Ok((tenant, key.secret))
}

/// Rotates a client's key; shared by the API and `admin rotate-key`.
///
/// # Errors
/// [`ApiError::NotFound`] for an unknown client.
pub async fn rotate_key(
    deps: &Deps,
    id: TenantId,
    grace_seconds: u32,
) -> Result<(RotatedKey, String), ApiError> {
    let now = deps.clock.now();
    deps.tenants
        .get_tenant(id)
        .await?
        .ok_or(ApiError::NotFound("client"))?;
    let key = generate_api_key(now);
    let expire = now + chrono::Duration::seconds(i64::from(grace_seconds));
    deps.tenants
        .rotate_api_key(id, &key.record, expire)
        .await
        .map_err(|e| match e {
            lead_domain::ports::StoreError::Stale(_) => ApiError::NotFound("client"),
            other => other.into(),
        })?;
    Ok((
        RotatedKey {
            client_id: id.as_uuid(),
            api_key: key.secret.clone(),
            key_prefix: key.record.prefix.clone(),
            previous_keys_expire_at: expire,
        },
        key.record.hash,
    ))
}

/// The client `id`, or 404.
pub(crate) async fn load(state: &AppState, id: Uuid) -> Result<Tenant, ApiError> {
    state
        .deps
        .tenants
        .get_tenant(TenantId::from_uuid(id))
        .await?
        .ok_or(ApiError::NotFound("client"))
}

/// Stores a changed client and forgets its cached keys.
pub(crate) async fn save(state: &AppState, tenant: &Tenant) -> Result<(), ApiError> {
    state
        .deps
        .tenants
        .update_tenant(tenant)
        .await
        .map_err(|e| match e {
            lead_domain::ports::StoreError::Stale(_) => ApiError::NotFound("client"),
            other => other.into(),
        })?;
    state.keys.invalidate(tenant.id);
    Ok(())
}

/// Creates a client; the API key is in the answer this once.
#[utoipa::path(
    post, path = "/api/v1/clients", operation_id = "create_client", tag = "clients",
    request_body(content = CreateClientRequest, content_type = "application/json", example = json!({
        "name": "Test Realty", "slug": "test-realty", "industry": "real_estate", "timezone": "Asia/Riyadh",
        "business_hours": {"monday": {"start": "09:00", "end": "18:00"}, "friday": {"start": "09:00", "end": "13:00"}}
    })),
    responses(
        (status = 201, description = "Created, with the API key", body = ClientCreated),
        (status = 401, description = "No or wrong admin token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Slug taken", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []))
)]
pub async fn create(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    body: ValidJson<CreateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, api_key) = create_client(&state.deps, body.0).await?;
    tracing::info!(client_id = %tenant.id, "client created");
    Ok(HttpResponse::Created().json(ClientCreated {
        client: ClientView::from(&tenant),
        api_key,
    }))
}

/// A client.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}", operation_id = "get_client", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The client", body = ClientView), (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, _) = authorize_client(&req, &state, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ClientView::from(&tenant)))
}

/// Edits a client's settings.
#[utoipa::path(
    patch, path = "/api/v1/clients/{id}", operation_id = "update_client", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = UpdateClientRequest,
    responses(
        (status = 200, description = "The client as updated", body = ClientView),
        (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "A number belongs to another client", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: ValidJson<UpdateClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, caller) = authorize_client(&req, &state, id.into_inner()).await?;
    let body = body.0;
    if caller == Caller::Client {
        only_notifications(&req, &body)?;
    }
    let (_, view) = update_client_settings(&state, tenant, body).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Applies and stores a settings change exactly as `PATCH /api/v1/clients/{id}` does, for the
/// API and the owner's settings page alike; the view shows secrets generated by this change
/// (they are never readable again).
///
/// # Errors
/// [`ApiError::Validation`] naming every field at fault (nothing is stored then); a conflict or
/// storage failure from saving.
pub(crate) async fn update_client_settings(
    state: &AppState,
    mut tenant: Tenant,
    mut body: UpdateClientRequest,
) -> Result<(Tenant, ClientView), ApiError> {
    validator::Validate::validate(&body)
        .map_err(|e| ApiError::Validation(crate::extract::validation_errors(&e)))?;
    let notifications = body.notifications.take();
    let mut generated = Vec::new();
    if let Some(patch) = notifications {
        let ids = state.deps.ids.clone();
        let (next, secrets) = apply_notifications(
            &tenant.settings.notifications,
            patch,
            !state.settings.webhook_allow_private_networks,
            &mut || ids.new_uuid(),
        )
        .map_err(ApiError::Validation)?;
        tenant.settings.notifications = next;
        generated = secrets;
    }
    apply_update(&mut tenant, body)?;
    tenant.updated_at = state.deps.clock.now();
    save(state, &tenant).await?;
    let mut view = ClientView::from(&tenant);
    for (endpoint, secret) in generated {
        if let Some(w) = view
            .notifications
            .webhooks
            .iter_mut()
            .find(|w| w.id == endpoint)
        {
            w.secret = Some(secret);
        }
    }
    Ok((tenant, view))
}

/// A client's own key may change only its notification settings.
fn only_notifications(req: &HttpRequest, body: &UpdateClientRequest) -> Result<(), ApiError> {
    let _ = req;
    let r = body;
    let given = [
        ("name", r.name.is_some()),
        ("industry", r.industry.is_some()),
        ("timezone", r.timezone.is_some()),
        ("business_hours", r.business_hours.is_some()),
        ("holidays", r.holidays.is_some()),
        ("services", r.services.is_some()),
        ("qualification_rules", r.qualification_rules.is_some()),
        ("escalation", r.escalation.is_some()),
        ("monthly_budget_usd", r.monthly_budget_usd.is_some()),
        ("brand_voice", r.brand_voice.is_some()),
        ("default_language", r.default_language.is_some()),
        ("extra_locations", r.extra_locations.is_some()),
        ("phone_reply_channel", r.phone_reply_channel.is_some()),
        ("twilio", r.twilio.is_some()),
        ("allowed_origins", r.allowed_origins.is_some()),
        ("default_region", r.default_region.is_some()),
        ("llm", r.llm.is_some()),
        ("booking", r.booking.is_some()),
    ];
    let errors: Vec<FieldError> = given
        .into_iter()
        .filter(|(_, set)| *set)
        .map(|(field, _)| {
            FieldError::new(
                field,
                "admin_only",
                "only the platform admin may change this; a client's key may change notifications",
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn apply_update(tenant: &mut Tenant, req: UpdateClientRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let s = &mut tenant.settings;
    let tz = match &req.timezone {
        Some(name) => match parse_timezone(name) {
            Ok(tz) => tz,
            Err(e) => {
                errors.push(hours_error(e));
                s.business_hours.timezone()
            }
        },
        None => s.business_hours.timezone(),
    };
    if req.timezone.is_some() || req.business_hours.is_some() || req.holidays.is_some() {
        let days = match req.business_hours {
            Some(days) => days,
            // Keep the hours: rebuild them from their stored form under the new timezone.
            None => lead_domain::hours::BusinessHoursSpec::from(&s.business_hours).days,
        };
        let holidays: Vec<NaiveDate> = req
            .holidays
            .unwrap_or_else(|| s.business_hours.holidays().iter().copied().collect());
        match BusinessHours::from_json_days(tz, &days, holidays) {
            Ok(h) => s.business_hours = h,
            Err(e) => errors.push(hours_error(e)),
        }
    }
    if let Some(region) = &req.default_region {
        s.default_region = check_region(region, &mut errors);
    }
    if let Some(Some(t)) = req.twilio.clone() {
        s.twilio = Some(check_twilio(t, &mut errors));
    } else if let Some(None) = req.twilio {
        s.twilio = None;
    }
    match req.booking.clone() {
        Some(Some(patch)) => {
            s.booking =
                crate::routes::booking::merge_booking(s.booking.as_ref(), patch, &mut errors)
        }
        Some(None) => s.booking = None,
        None => {}
    }
    match req.crm.clone() {
        Some(Some(patch)) => {
            s.crm = crate::routes::crm::merge_crm(s.crm.as_ref(), patch, &mut errors);
        }
        Some(None) => s.crm = None,
        None => {}
    }
    match req.retention_days {
        Some(Some(days)) if (1..=lead_domain::retention::MAX_RETENTION_DAYS).contains(&days) => {
            s.retention_days = Some(days);
        }
        Some(Some(_)) => errors.push(FieldError::new(
            "retention_days",
            "out_of_range",
            "must be between 1 and 3650 days, or null to keep data",
        )),
        Some(None) => s.retention_days = None,
        None => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if let Some(name) = req.name {
        tenant.name = name.trim().to_owned();
    }
    let s = &mut tenant.settings;
    if let Some(v) = req.industry {
        s.industry = v;
    }
    if let Some(v) = req.services {
        s.services = v;
    }
    if let Some(v) = req.qualification_rules {
        s.rules = v;
    }
    if let Some(v) = req.escalation {
        s.escalation = v;
    }
    if let Some(v) = req.monthly_budget_usd {
        if v.is_some_and(|b| !b.is_finite() || b < 0.0) {
            return Err(ApiError::field(
                "monthly_budget_usd",
                "out_of_range",
                "must be a non-negative number",
            ));
        }
        s.monthly_budget_usd = v;
    }
    if let Some(v) = req.brand_voice {
        s.brand_voice = v;
    }
    if let Some(v) = req.default_language {
        s.default_language = v;
    }
    if let Some(v) = req.extra_locations {
        s.extra_locations = v;
    }
    if let Some(v) = req.phone_reply_channel {
        s.phone_reply_channel = v;
    }
    if let Some(v) = req.allowed_origins {
        s.allowed_origins = v;
    }
    if let Some(v) = req.llm {
        s.llm = v;
    }
    Ok(())
}

async fn set_status(
    state: &AppState,
    id: Uuid,
    status: TenantStatus,
) -> Result<HttpResponse, ApiError> {
    let mut tenant = load(state, id).await?;
    if tenant.status != status {
        tenant.status = status;
        tenant.updated_at = state.deps.clock.now();
        save(state, &tenant).await?;
        tracing::info!(client_id = %tenant.id, status = status.as_str(), "client status changed");
    }
    Ok(HttpResponse::Ok().json(ClientView::from(&tenant)))
}

/// Resumes automatic replies for a client.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/activate", operation_id = "activate_client", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The client, now active", body = ClientView), (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []))
)]
pub async fn activate(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_status(&state, id.into_inner(), TenantStatus::Active).await
}

/// Pauses a client: leads are still stored, but nothing is answered.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/pause", operation_id = "pause_client", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id")),
    responses((status = 200, description = "The client, now paused", body = ClientView), (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []))
)]
pub async fn pause(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    set_status(&state, id.into_inner(), TenantStatus::Paused).await
}

/// Issues a new API key; the old ones work until the grace period ends.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/rotate-api-key", operation_id = "rotate_client_api_key", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body(content = Option<RotateKeyRequest>, description = "Optional grace period"),
    responses((status = 200, description = "The new API key (shown once) and when the previous keys expire", body = RotatedKey), (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []))
)]
pub async fn rotate(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: OptionalJson<RotateKeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let tenant_id = TenantId::from_uuid(id.into_inner());
    let grace = body.0.and_then(|b| b.grace_period_seconds).unwrap_or(0);
    let (rotated, hash) = rotate_key(&state.deps, tenant_id, grace).await?;
    state
        .keys
        .rotated(tenant_id, &hash, rotated.previous_keys_expire_at);
    tracing::info!(client_id = %tenant_id, grace_seconds = grace, "api key rotated");
    Ok(HttpResponse::Ok().json(rotated))
}

/// Month-to-date tokens and cost per model, and the budget left.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/usage", operation_id = "get_client_usage", tag = "clients",
    params(("id" = Uuid, Path, description = "Client id"), UsageQuery),
    responses((status = 200, description = "The client's model usage and cost for the month", body = UsageView), (status = 404, description = "No such client", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn usage(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    query: web::Query<UsageQuery>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, _) = authorize_client(&req, &state, id.into_inner()).await?;
    let month = match &query.month {
        None => YearMonth::of(state.deps.clock.now()),
        Some(m) => parse_month(m)
            .ok_or_else(|| ApiError::field("month", "invalid_month", "expected YYYY-MM"))?,
    };
    let totals = state.deps.usage.month_usage(tenant.id, month).await?;
    let total: f64 = totals.iter().map(|t| t.cost_usd).sum();
    let budget = tenant.settings.monthly_budget_usd;
    Ok(HttpResponse::Ok().json(UsageView {
        client_id: tenant.id.as_uuid(),
        month: month.to_string(),
        models: totals
            .into_iter()
            .map(|t| ModelUsageView {
                model: t.model,
                calls: t.calls,
                input_tokens: t.input_tokens,
                output_tokens: t.output_tokens,
                cache_write_tokens: t.cache_write_tokens,
                cache_read_tokens: t.cache_read_tokens,
                cost_usd: t.cost_usd,
            })
            .collect(),
        total_cost_usd: total,
        monthly_budget_usd: budget,
        budget_left_usd: budget.map(|b| (b - total).max(0.0)),
    }))
}

fn parse_month(s: &str) -> Option<YearMonth> {
    let date = NaiveDate::parse_from_str(&format!("{}-01", s.trim()), "%Y-%m-%d").ok()?;
    Some(YearMonth {
        year: date.year(),
        month: date.month(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_body() -> CreateClientRequest {
        crate::extract::parse_json(
            br#"{"name":"Test Realty","slug":"test-realty","industry":"real_estate","timezone":"Asia/Riyadh",
                "business_hours":{"monday":{"start":"09:00","end":"18:00"},"friday":{"start":"09:00","end":"13:00"}}}"#,
        )
        .expect("seed body parses")
    }

    #[test]
    fn the_seed_body_builds_a_real_estate_tenant() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let (tenant, key) =
            build_tenant(seed_body(), TenantId::from_uuid(Uuid::nil()), now).expect("valid");
        assert_eq!(tenant.settings.rules.currency.as_str(), "SAR");
        assert_eq!(tenant.settings.default_region, "SA");
        assert!(tenant.settings.services.contains_key("buy_villa"));
        assert!(key.secret.starts_with("lk_"));
        assert!(tenant.widget_key.starts_with("wk_"));
    }

    #[test]
    fn every_bad_field_is_reported() {
        let mut req = seed_body();
        req.timezone = "Mars/Olympus".into();
        req.currency = Some("S$R".into());
        req.default_region = Some("XX".into());
        let err = build_tenant(
            req,
            TenantId::from_uuid(Uuid::nil()),
            DateTime::<Utc>::UNIX_EPOCH,
        );
        let Err(ApiError::Validation(fields)) = err else {
            panic!("expected validation errors");
        };
        let names: Vec<&str> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["timezone", "default_region", "currency"]);
    }

    #[test]
    fn months_parse() {
        assert_eq!(
            parse_month("2026-11"),
            Some(YearMonth {
                year: 2026,
                month: 11
            })
        );
        assert_eq!(parse_month("2026-13"), None);
    }
}
