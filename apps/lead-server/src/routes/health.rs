//! Health endpoints: `/health` (seed format), `/health/live` (the process runs) and
//! `/health/ready` (the database and, when configured, Redis answer).

use crate::error::ApiError;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use lead_domain::ids::TenantId;
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// How long a dependency may take to answer a health probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The body of the health endpoints.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `healthy`, `alive` or `ready`.
    pub status: String,
    /// `connected` when the database answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
    /// `connected`, `not_configured`, or `unavailable` (the rate limit is then local to the instance).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redis: Option<String>,
    /// Readiness only: `cross_process` when replies stored by any process wake this instance's
    /// live-chat streams (PostgreSQL, listener connected), `in_process` when only its own do.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_wakeups: Option<String>,
    /// Server version.
    pub version: String,
}

/// Asks the database a cheap question through the storage port.
async fn database_ok(state: &AppState) -> Result<(), ApiError> {
    let probe = state
        .deps
        .tenants
        .get_tenant(TenantId::from_uuid(uuid::Uuid::nil()));
    match tokio::time::timeout(PROBE_TIMEOUT, probe).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(ApiError::Unavailable(format!("database: {e}"))),
        Err(_) => Err(ApiError::Unavailable(
            "database: no answer within 2 seconds".to_owned(),
        )),
    }
}

/// Basic health, as the seed's quick start shows it.
#[utoipa::path(get, path = "/health", operation_id = "health", tag = "health",
    responses((status = 200, description = "The database answers", body = HealthStatus), (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    database_ok(&state).await?;
    Ok(HttpResponse::Ok().json(HealthStatus {
        status: "healthy".to_owned(),
        database: Some("connected".to_owned()),
        redis: None,
        reply_wakeups: None,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}

/// Liveness: the process serves requests.
#[utoipa::path(get, path = "/health/live", operation_id = "liveness", tag = "health", responses((status = 200, description = "The process serves requests", body = HealthStatus)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthStatus {
        status: "alive".to_owned(),
        database: None,
        redis: None,
        reply_wakeups: None,
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// Readiness: the database answers (503 otherwise); Redis is reported but not required.
#[utoipa::path(get, path = "/health/ready", operation_id = "readiness", tag = "health",
    responses((status = 200, description = "The instance can serve traffic", body = HealthStatus), (status = 503, description = "The database does not answer", body = crate::error::Problem, content_type = "application/problem+json")))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    database_ok(&state).await?;
    let redis = match tokio::time::timeout(PROBE_TIMEOUT, state.limiter.redis_ping()).await {
        Ok(None) => "not_configured".to_owned(),
        Ok(Some(Ok(()))) => "connected".to_owned(),
        // Redis only shares the rate limit between instances; without it each instance limits
        // on its own, so the instance stays in service and says so.
        Ok(Some(Err(error))) => {
            tracing::warn!(%error, "redis is unavailable: the rate limit is local to this instance");
            "unavailable".to_owned()
        }
        Err(_) => {
            tracing::warn!(
                "redis did not answer within 2 seconds: the rate limit is local to this instance"
            );
            "unavailable".to_owned()
        }
    };
    Ok(HttpResponse::Ok().json(HealthStatus {
        status: "ready".to_owned(),
        database: Some("connected".to_owned()),
        redis: Some(redis),
        reply_wakeups: Some(
            if state.storage.wakeups.cross_process() {
                "cross_process"
            } else {
                "in_process"
            }
            .to_owned(),
        ),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    }))
}
