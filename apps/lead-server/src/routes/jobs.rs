//! The operator's view of the job queue: list jobs by state and re-drive a dead one (admin).

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use lead_domain::ids::JobId;
use lead_domain::jobs::{Job, JobStatus};
use lead_domain::usecases::{self, Redrive};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::leads::usecase_error;
use crate::auth::AdminAuth;
use crate::error::{ApiError, FieldError};
use crate::state::AppState;
use crate::views::PageQuery;

/// A queued job as operators see it; the payload's kind only, never its content.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobView {
    /// Job id.
    pub id: Uuid,
    /// The client it works for.
    pub client_id: Uuid,
    /// `process_inbound`, `send_outbound`, `notify`, ...
    pub kind: String,
    /// `queued`, `running`, `done` or `dead`.
    pub status: String,
    /// Attempts started so far.
    pub attempts: u32,
    /// Earliest next run.
    pub run_at: DateTime<Utc>,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<&Job> for JobView {
    fn from(job: &Job) -> Self {
        Self {
            id: job.id.as_uuid(),
            client_id: job.tenant_id.as_uuid(),
            kind: job.payload.kind().to_owned(),
            status: job.status.as_str().to_owned(),
            attempts: job.attempts,
            run_at: job.run_at,
            last_error: job.last_error.clone(),
            created_at: job.created_at,
            updated_at: job.updated_at,
        }
    }
}

/// One page of jobs.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobPage {
    /// The jobs, oldest first.
    pub items: Vec<JobView>,
    /// Jobs in this state in all.
    pub total: u64,
}

/// Which jobs to list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobListQuery {
    /// `queued`, `running`, `done` or `dead` (default `dead`).
    pub status: Option<String>,
    /// Rows to return, 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u64>,
}

/// Lists jobs in a state across clients, oldest first: dead jobs by default, so an operator sees
/// what an outage left behind.
#[utoipa::path(
    get, path = "/api/v1/jobs", operation_id = "list_jobs", tag = "jobs",
    params(JobListQuery),
    responses((status = 200, description = "A page of jobs", body = JobPage), (status = 422, description = "Invalid fields", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []))
)]
pub async fn list(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    query: web::Query<JobListQuery>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let page = PageQuery {
        limit: q.limit,
        offset: q.offset,
    }
    .page()?;
    let status = match q.status.as_deref().unwrap_or("dead") {
        "queued" => JobStatus::Queued,
        "running" => JobStatus::Running,
        "done" => JobStatus::Done,
        "dead" => JobStatus::Dead,
        _ => {
            return Err(ApiError::Validation(vec![FieldError::new(
                "status",
                "invalid_status",
                "must be one of queued, running, done, dead",
            )]));
        }
    };
    let jobs = state.deps.jobs.list_jobs(status, page).await?;
    Ok(HttpResponse::Ok().json(JobPage {
        items: jobs.items.iter().map(JobView::from).collect(),
        total: jobs.total,
    }))
}

/// What a re-drive did.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobRetried {
    /// The job.
    pub id: Uuid,
    /// `queued`: it runs again now, with a fresh attempt count and time budget.
    pub status: String,
}

/// Puts a dead job back in the queue after the outage that killed it is over.
#[utoipa::path(
    post, path = "/api/v1/jobs/{id}/retry", operation_id = "retry_job", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, description = "The job is queued again", body = JobRetried), (status = 404, description = "No dead job has this id", body = crate::error::Problem, content_type = "application/problem+json")),
    security(("admin_token" = []))
)]
pub async fn retry(
    _admin: AdminAuth,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = JobId::from_uuid(id.into_inner());
    usecases::redrive_dead(&state.deps, Redrive::One(id))
        .await
        .map_err(usecase_error)?;
    tracing::info!(job_id = %id, "dead job re-driven");
    Ok(HttpResponse::Ok().json(JobRetried {
        id: id.as_uuid(),
        status: JobStatus::Queued.as_str().to_owned(),
    }))
}
