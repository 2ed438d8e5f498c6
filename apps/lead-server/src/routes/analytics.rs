//! A client's analytics (speed to lead, funnel, scores, escalations, failed replies, cost) and
//! its A/B experiments. The platform admin token or the client's own API key.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use lead_domain::analytics::{AnalyticsQuery, AnalyticsReport, QueryError, summarize};
use lead_domain::experiments::{Experiment, ExperimentId, Results, Variant, Verdict};
use lead_domain::tenant::Tenant;
use lead_domain::usecases::experiments::{self as usecases, ExperimentError, NewExperiment};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::ApiError;
use crate::extract::parse_json;
use crate::state::AppState;

/// The client a request may work on: any client with the admin token, its own with an API key.
async fn authorize(req: &HttpRequest, state: &AppState, id: Uuid) -> Result<Tenant, ApiError> {
    super::notifications::authorize_client(req, state, id)
        .await
        .map(|(tenant, _)| tenant)
}

/// The query of `GET /api/v1/clients/{id}/analytics`.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AnalyticsParams {
    /// First day `YYYY-MM-DD` in the client's timezone (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day `YYYY-MM-DD`, included (default: today).
    pub to: Option<String>,
    /// `day` (default), `week`, `channel` or `source`.
    pub group_by: Option<String>,
}

fn query_error(err: QueryError) -> ApiError {
    match err {
        QueryError::Invalid(field, message) => ApiError::field(field, "invalid", message),
    }
}

/// Computes a report for a tenant: the facts of the range from the store, summarized.
///
/// # Errors
/// Malformed parameters, storage failures.
pub async fn report(
    state: &AppState,
    tenant: &Tenant,
    params: &AnalyticsParams,
) -> Result<AnalyticsReport, ApiError> {
    let hours = &tenant.settings.business_hours;
    let today = state
        .deps
        .clock
        .now()
        .with_timezone(&hours.timezone())
        .date_naive();
    let query = AnalyticsQuery::parse(
        params.from.as_deref(),
        params.to.as_deref(),
        params.group_by.as_deref(),
        today,
    )
    .map_err(query_error)?;
    let (from, to) = query.window(hours.timezone());
    let facts = state
        .storage
        .analytics
        .analytics_facts(tenant.id, from, to, hours.timezone())
        .await?;
    Ok(summarize(&facts, &query, hours))
}

/// The analytics of a client over a date range. Every figure carries its count; rates and
/// percentiles are `null` when nothing was counted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalyticsView {
    /// Client id.
    pub client_id: Uuid,
    /// First day.
    pub from: String,
    /// Last day (included).
    pub to: String,
    /// `day`, `week`, `channel` or `source`.
    pub group_by: String,
    /// Leads created in the range.
    pub leads: u64,
    /// Speed to first response in seconds (`count`, `p50`, `p90`, `p99`, `max`, `unanswered`):
    /// `all`, then per channel.
    #[schema(value_type = Vec<Object>)]
    pub speed_by_channel: serde_json::Value,
    /// Speed to first response inside (`open`) and outside (`closed`) business hours.
    #[schema(value_type = Vec<Object>)]
    pub speed_by_hours: serde_json::Value,
    /// Leads by state reached and not interested: `key`, `count`, `of`, `rate`.
    #[schema(value_type = Vec<Object>)]
    pub funnel: serde_json::Value,
    /// Per group: `key`, `leads`, `qualified`, `booked`, `handed_off`, `response`.
    #[schema(value_type = Vec<Object>)]
    pub groups: serde_json::Value,
    /// Leads per period by score: `period`, `hot`, `warm`, `cold`, `unscored`.
    #[schema(value_type = Vec<Object>)]
    pub scores: serde_json::Value,
    /// Escalations by reason: `key`, `count`.
    #[schema(value_type = Vec<Object>)]
    pub escalations: serde_json::Value,
    /// Replies that failed to deliver: `key` (channel), `detail` (error), `count`.
    #[schema(value_type = Vec<Object>)]
    pub failures: serde_json::Value,
    /// Model calls, tokens, cost, and cost per lead, qualified lead and booking.
    #[schema(value_type = Object)]
    pub cost: serde_json::Value,
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))
}

impl AnalyticsView {
    fn of(client: Uuid, r: &AnalyticsReport) -> Result<Self, ApiError> {
        Ok(Self {
            client_id: client,
            from: r.from.to_string(),
            to: r.to.to_string(),
            group_by: r.group_by.as_str().to_owned(),
            leads: r.leads,
            speed_by_channel: json(&r.speed_by_channel)?,
            speed_by_hours: json(&r.speed_by_hours)?,
            funnel: json(&r.funnel)?,
            groups: json(&r.groups)?,
            scores: json(&r.scores)?,
            escalations: json(&r.escalations)?,
            failures: json(&r.failures)?,
            cost: json(&r.cost)?,
        })
    }
}

/// Speed to lead, the funnel, scores over time, escalations, failed replies and model cost.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/analytics", tag = "analytics",
    operation_id = "get_client_analytics",
    params(("id" = Uuid, Path, description = "Client id"), AnalyticsParams),
    responses(
        (status = 200, description = "The report", body = AnalyticsView),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid dates or grouping", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn analytics(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    params: web::Query<AnalyticsParams>,
) -> Result<HttpResponse, ApiError> {
    let tenant = authorize(&req, &state, path.into_inner()).await?;
    let report = report(&state, &tenant, &params).await?;
    Ok(HttpResponse::Ok().json(AnalyticsView::of(tenant.id.as_uuid(), &report)?))
}

/// One variant of a new experiment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantRequest {
    /// Short key (`a`, `b`); the first variant is the control.
    pub key: String,
    /// English text; `{business}` and `{name}` are filled in.
    pub text_en: String,
    /// Arabic text.
    pub text_ar: String,
}

/// The body of `POST /api/v1/clients/{id}/experiments`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateExperimentRequest {
    /// Name.
    pub name: String,
    /// `greeting`, `question:<field>` (service, budget, timeline, decision_maker, location) or
    /// `prompt` (the variant text becomes the model's brand-voice instruction).
    pub target: String,
    /// Two to five variants, control first.
    pub variants: Vec<VariantRequest>,
    /// `replied`, `qualified` or `booked`.
    pub metric: String,
    /// Share of new leads in the experiment, 0 < traffic ≤ 1 (default 1).
    #[serde(default)]
    pub traffic: Option<f64>,
}

/// The body of `POST .../experiments/{exp_id}/stop`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopExperimentRequest {
    /// The variant every new lead gets; default: the verdict's winner, else the control.
    #[serde(default)]
    pub winner: Option<String>,
}

/// One variant with its results.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantView {
    /// Key.
    pub key: String,
    /// English text.
    pub text_en: String,
    /// Arabic text.
    pub text_ar: String,
    /// Leads that saw it.
    pub exposures: u64,
    /// Of them, converted.
    pub conversions: u64,
    /// Conversion rate, `null` without exposures.
    pub rate: Option<f64>,
    /// Lower bound of the 95% Wilson interval.
    pub rate_low: f64,
    /// Upper bound of the 95% Wilson interval.
    pub rate_high: f64,
    /// Two-sided p-value of the z-test against the control (`null` for the control).
    pub p_value: Option<f64>,
}

/// The verdict.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerdictView {
    /// `no_winner_yet`, `winner` or `no_difference`.
    pub kind: String,
    /// In words: "B better (p = 0.01)", "no winner yet, about N more leads needed".
    pub text: String,
    /// The better variant, for `winner`.
    pub winner: Option<String>,
    /// The p-value behind it.
    pub p_value: Option<f64>,
    /// Leads still needed before the verdict is read, for `no_winner_yet`.
    pub more_leads: Option<u64>,
}

/// An experiment with its results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentView {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// `greeting`, `question:<field>` or `prompt`.
    pub target: String,
    /// `replied`, `qualified` or `booked`.
    pub metric: String,
    /// Share of new leads in the experiment.
    pub traffic: f64,
    /// `running` or `stopped`.
    pub status: String,
    /// The variant new leads get once stopped.
    pub winner: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Stopped.
    pub stopped_at: Option<DateTime<Utc>>,
    /// Variants with results, control first.
    pub variants: Vec<VariantView>,
    /// Leads each variant needs before the verdict is read (fixed horizon, power analysis).
    pub horizon_per_variant: u64,
    /// The level of each comparison with the control (5% split by Bonferroni).
    pub alpha_per_comparison: f64,
    /// The verdict.
    pub verdict: VerdictView,
}

/// The list of a client's experiments.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExperimentList {
    /// Newest first.
    pub items: Vec<ExperimentView>,
}

impl ExperimentView {
    /// The view of an experiment and its results.
    pub fn of(e: &Experiment, r: &Results) -> Self {
        let variants = e
            .variants
            .iter()
            .zip(&r.variants)
            .map(|(v, res)| VariantView {
                key: v.key.clone(),
                text_en: v.text_en.clone(),
                text_ar: v.text_ar.clone(),
                exposures: res.exposures,
                conversions: res.conversions,
                rate: res.rate,
                rate_low: res.interval.0,
                rate_high: res.interval.1,
                p_value: res.p_value,
            })
            .collect();
        let (kind, winner, p_value, more_leads) = match &r.verdict {
            Verdict::NoWinnerYet { more_leads } => ("no_winner_yet", None, None, Some(*more_leads)),
            Verdict::Winner { key, p_value } => ("winner", Some(key.clone()), Some(*p_value), None),
            Verdict::NoDifference { p_value } => ("no_difference", None, *p_value, None),
        };
        Self {
            id: e.id.as_uuid(),
            name: e.name.clone(),
            target: e.target.name(),
            metric: e.metric.as_str().to_owned(),
            traffic: e.traffic,
            status: e.status.as_str().to_owned(),
            winner: e.winner.clone(),
            created_at: e.created_at,
            stopped_at: e.stopped_at,
            variants,
            horizon_per_variant: r.horizon_per_variant,
            alpha_per_comparison: r.alpha_per_comparison,
            verdict: VerdictView {
                kind: kind.to_owned(),
                text: r.verdict.text(),
                winner,
                p_value,
                more_leads,
            },
        }
    }
}

/// Maps experiment failures to HTTP.
pub fn experiment_error(err: ExperimentError) -> ApiError {
    match err {
        ExperimentError::Invalid {
            field,
            code,
            message,
        } => ApiError::field(field, code, message),
        ExperimentError::NotFound => ApiError::NotFound("experiment"),
        ExperimentError::Conflict(why) => ApiError::Conflict(why.to_owned()),
        ExperimentError::Unavailable => ApiError::NotImplemented("experiments"),
        ExperimentError::Store(e) => e.into(),
    }
}

/// Defines an A/B test; new leads are split between its variants at once.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/experiments", tag = "analytics",
    operation_id = "create_experiment",
    params(("id" = Uuid, Path, description = "Client id")),
    request_body = CreateExperimentRequest,
    responses(
        (status = 201, description = "Running", body = ExperimentView),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another experiment on the target is running", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn create_experiment(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let tenant = authorize(&req, &state, path.into_inner()).await?;
    let request: CreateExperimentRequest = parse_json(&body)?;
    let experiment = usecases::create_experiment(
        &state.deps,
        tenant.id,
        NewExperiment {
            name: request.name,
            target: request.target,
            variants: request
                .variants
                .into_iter()
                .map(|v| Variant {
                    key: v.key,
                    text_en: v.text_en,
                    text_ar: v.text_ar,
                })
                .collect(),
            metric: request.metric,
            traffic: request.traffic,
        },
    )
    .await
    .map_err(experiment_error)?;
    let (experiment, results) = usecases::experiment_results(&state.deps, tenant.id, experiment.id)
        .await
        .map_err(experiment_error)?;
    Ok(HttpResponse::Created().json(ExperimentView::of(&experiment, &results)))
}

/// Every experiment of the client with its results, newest first.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/experiments", tag = "analytics",
    operation_id = "list_experiments",
    params(("id" = Uuid, Path, description = "Client id")),
    responses(
        (status = 200, description = "The experiments", body = ExperimentList),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn list_experiments(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let tenant = authorize(&req, &state, path.into_inner()).await?;
    let all = usecases::list_results(&state.deps, tenant.id)
        .await
        .map_err(experiment_error)?;
    Ok(HttpResponse::Ok().json(ExperimentList {
        items: all.iter().map(|(e, r)| ExperimentView::of(e, r)).collect(),
    }))
}

/// One experiment with exposures, conversions, rates with 95% intervals and the verdict.
#[utoipa::path(
    get, path = "/api/v1/clients/{id}/experiments/{exp_id}", tag = "analytics",
    operation_id = "get_experiment",
    params(("id" = Uuid, Path, description = "Client id"), ("exp_id" = Uuid, Path, description = "Experiment id")),
    responses(
        (status = 200, description = "The experiment and its results", body = ExperimentView),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client or experiment for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn get_experiment(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    let tenant = authorize(&req, &state, client).await?;
    let (experiment, results) =
        usecases::experiment_results(&state.deps, tenant.id, ExperimentId::from_uuid(id))
            .await
            .map_err(experiment_error)?;
    Ok(HttpResponse::Ok().json(ExperimentView::of(&experiment, &results)))
}

/// Stops an experiment: its history stays and every new lead gets the chosen variant.
#[utoipa::path(
    post, path = "/api/v1/clients/{id}/experiments/{exp_id}/stop", tag = "analytics",
    operation_id = "stop_experiment",
    params(("id" = Uuid, Path, description = "Client id"), ("exp_id" = Uuid, Path, description = "Experiment id")),
    request_body(content = Option<StopExperimentRequest>, description = "The winner; empty for the verdict's winner or the control"),
    responses(
        (status = 200, description = "Stopped", body = ExperimentView),
        (status = 401, description = "No admin token or API key", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client or experiment for this caller", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Stopped already", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown variant", body = crate::error::Problem, content_type = "application/problem+json"),
    ),
    security(("admin_token" = []), ("api_key" = []))
)]
pub async fn stop_experiment(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (client, id) = path.into_inner();
    let tenant = authorize(&req, &state, client).await?;
    let request: StopExperimentRequest = if body.iter().all(u8::is_ascii_whitespace) {
        StopExperimentRequest::default()
    } else {
        parse_json(&body)?
    };
    let (experiment, results) = usecases::stop_experiment(
        &state.deps,
        tenant.id,
        ExperimentId::from_uuid(id),
        request.winner.as_deref(),
    )
    .await
    .map_err(experiment_error)?;
    Ok(HttpResponse::Ok().json(ExperimentView::of(&experiment, &results)))
}
