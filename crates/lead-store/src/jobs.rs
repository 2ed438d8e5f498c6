//! The durable job queue on the service's own database: the `JobQueue` port.
//!
//! Claiming is one statement per backend. PostgreSQL selects due jobs with
//! `FOR UPDATE SKIP LOCKED` and marks them running in the same statement, so
//! concurrent claimers (threads or processes) never receive the same job.
//! SQLite has a single writer: the claim runs in a `BEGIN IMMEDIATE`
//! transaction, which holds the write lock from the start, as one
//! `UPDATE ... WHERE seq IN (SELECT ... LIMIT n) RETURNING *`.
//!
//! A job is due when it is queued and its `run_at` has come, or when it is
//! running but its lease (`locked_until`) ran out because its worker died.
//! Jobs sharing a `queue_key` (one conversation) run one at a time and in
//! `seq` order: a job is due only while no job with the same key and a
//! smaller `seq` is still queued or running.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use lead_domain::ids::{JobId, TenantId};
use lead_domain::jobs::{Job, JobLease, JobStatus, NewJob, QueueStats, RetryDecision};
use lead_domain::ports::{JobQueue, Page, PageOf, StoreError};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Value,
};

use crate::codec::{from_json, page_bounds, parse_name, statement, to_json, to_u32, ts};
use crate::entity::jobs;
use crate::error::{Context, corrupt};
use crate::{Backend, SeaOrmStore};

/// The condition that makes a job claimable at `$1`, shared by both backends.
const DUE: &str = "((j.status = 'queued' AND j.run_at <= $1) \
      OR (j.status = 'running' AND j.locked_until <= $1 AND j.attempts < j.max_attempts)) \
     AND NOT EXISTS (SELECT 1 FROM jobs e \
       WHERE e.queue_key = j.queue_key AND e.seq < j.seq AND e.status IN ('queued', 'running'))";

/// A running job whose lease ran out after its last allowed attempt will not be retried.
const BURY_EXPIRED: &str = "UPDATE jobs SET status = 'dead', locked_until = NULL, updated_at = $1, \
     last_error = 'lease expired during the last attempt' \
     WHERE status = 'running' AND locked_until <= $1 AND attempts >= max_attempts";

/// Stores a job unless a job with the same effect key is stored already (a decision applied
/// again); returns whether it was stored.
pub(crate) async fn insert_job_once<C: ConnectionTrait>(
    db: &C,
    job: &NewJob,
) -> Result<bool, StoreError> {
    let inserted = jobs::Entity::insert(job_row(job)?)
        .on_conflict(
            OnConflict::column(jobs::Column::EffectKey)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .context("enqueueing a job once")?;
    Ok(inserted > 0)
}

/// Completes a running job if `lease` is still its current lease, on a transaction the caller
/// commits; returns whether it was.
pub(crate) async fn complete_on<C: ConnectionTrait>(
    db: &C,
    lease: JobLease,
    now: DateTime<Utc>,
    note: Option<String>,
) -> Result<bool, StoreError> {
    let sql = "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1, \
               last_error = COALESCE($2, last_error) \
               WHERE id = $3 AND status = 'running' AND lease_token = $4";
    let result = db
        .execute_raw(statement(
            db.get_database_backend(),
            sql,
            vec![
                ts(now).into(),
                note.into(),
                lease.id.as_uuid().into(),
                token(lease)?.into(),
            ],
        ))
        .await
        .context("completing a job")?;
    Ok(result.rows_affected() > 0)
}

/// A lease's token as the column stores it.
fn token(lease: JobLease) -> Result<i64, StoreError> {
    i64::try_from(lease.token)
        .map_err(|e| StoreError::Unexpected(format!("lease token out of range: {e}")))
}

/// Stores a new job on any connection or transaction, so callers can enqueue atomically with their own writes.
pub(crate) async fn insert_job<C: ConnectionTrait>(db: &C, job: &NewJob) -> Result<(), StoreError> {
    jobs::Entity::insert(job_row(job)?)
        .exec_without_returning(db)
        .await
        .context("enqueueing a job")?;
    Ok(())
}

/// The row of a new job, carrying the trace context of the current span.
pub(crate) fn job_row(job: &NewJob) -> Result<jobs::ActiveModel, StoreError> {
    job_row_traced(job, None)
}

/// The row of a new job, carrying `trace` (the `traceparent` of the span that asked for it,
/// captured where the request ran) or else the current span's.
pub(crate) fn job_row_traced(
    job: &NewJob,
    trace: Option<&str>,
) -> Result<jobs::ActiveModel, StoreError> {
    let trace_context = trace
        .map(str::to_owned)
        .or_else(crate::trace_context::current);
    Ok(jobs::ActiveModel {
        id: Set(job.id.as_uuid()),
        tenant_id: Set(job.tenant_id.as_uuid()),
        kind: Set(job.payload.kind().to_owned()),
        payload: Set(to_json("job payload", &job.payload)?),
        queue_key: Set(Some(job.payload.ordering_key())),
        status: Set(JobStatus::Queued.as_str().to_owned()),
        attempts: Set(0),
        max_attempts: Set(i32::try_from(job.max_attempts).unwrap_or(i32::MAX)),
        run_at: Set(ts(job.run_at)),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        // The port gives no enqueue time; the earliest run time is the
        // closest the caller's clock says, and `seq` carries the order.
        created_at: Set(ts(job.run_at)),
        updated_at: Set(ts(job.run_at)),
        lease_token: Set(0),
        effect_key: Set(job.payload.effect_key()),
        trace_context: Set(trace_context),
        ..Default::default()
    })
}

fn job_from_row(row: jobs::Model) -> Result<Job, StoreError> {
    Ok(Job {
        id: JobId::from_uuid(row.id),
        tenant_id: TenantId::from_uuid(row.tenant_id),
        payload: from_json("job payload", row.payload)?,
        status: parse_name("job status", &row.status)?,
        attempts: to_u32("job attempts", i64::from(row.attempts))?,
        max_attempts: to_u32("job max attempts", i64::from(row.max_attempts))?,
        run_at: row.run_at,
        locked_until: row.locked_until,
        lease_token: u64::try_from(row.lease_token).map_err(|e| corrupt("job lease token", e))?,
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
        trace_context: row.trace_context,
    })
}

impl SeaOrmStore {
    fn claim_sql(&self) -> String {
        match self.backend {
            Backend::Postgres => format!(
                "WITH due AS (SELECT j.seq FROM jobs j WHERE {DUE} \
                 ORDER BY j.run_at, j.seq LIMIT $2 FOR UPDATE OF j SKIP LOCKED) \
                 UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, \
                 lease_token = jobs.lease_token + 1, \
                 locked_until = $3, locked_by = $4, updated_at = $1 \
                 FROM due WHERE jobs.seq = due.seq RETURNING jobs.*"
            ),
            Backend::Sqlite => format!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
                 lease_token = lease_token + 1, \
                 locked_until = $3, locked_by = $4, updated_at = $1 \
                 WHERE seq IN (SELECT j.seq FROM jobs j WHERE {DUE} \
                 ORDER BY j.run_at, j.seq LIMIT $2) RETURNING *"
            ),
        }
    }

    /// Why a fenced update matched no row: the job is gone, or the lease is no longer current.
    async fn lost(&self, lease: JobLease) -> Result<StoreError, StoreError> {
        Ok(if self.job_exists(lease.id).await? {
            StoreError::Stale(format!("job {} is no longer held by this lease", lease.id))
        } else {
            StoreError::Stale(format!("job {} does not exist", lease.id))
        })
    }

    async fn job_exists(&self, id: JobId) -> Result<bool, StoreError> {
        Ok(jobs::Entity::find()
            .filter(jobs::Column::Id.eq(id.as_uuid()))
            .one(self.db())
            .await
            .context("looking up a job")?
            .is_some())
    }
}

#[async_trait]
impl JobQueue for SeaOrmStore {
    async fn enqueue(&self, job: &NewJob) -> Result<(), StoreError> {
        insert_job(self.db(), job).await
    }

    async fn claim_due(
        &self,
        worker: &str,
        now: DateTime<Utc>,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<Job>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = ts(now);
        let lease = chrono::Duration::from_std(lease)
            .map_err(|e| StoreError::Unexpected(format!("lease out of range: {e}")))?;
        let until = ts(now + lease);
        let backend = self.db_backend();
        let txn = self.begin_write().await.context("starting a job claim")?;
        txn.execute_raw(statement(backend, BURY_EXPIRED, vec![now.into()]))
            .await
            .context("burying jobs whose last lease expired")?;
        let claim = statement(
            backend,
            &self.claim_sql(),
            vec![
                now.into(),
                i64::from(limit).into(),
                until.into(),
                worker.to_owned().into(),
            ],
        );
        let mut rows = jobs::Entity::find()
            .from_raw_sql(claim)
            .all(&txn)
            .await
            .context("claiming due jobs")?;
        txn.commit().await.context("committing a job claim")?;
        rows.sort_by_key(|row| (row.run_at, row.seq));
        rows.into_iter().map(job_from_row).collect()
    }

    async fn renew(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        extend: Duration,
    ) -> Result<bool, StoreError> {
        let extend = chrono::Duration::from_std(extend)
            .map_err(|e| StoreError::Unexpected(format!("lease out of range: {e}")))?;
        let sql = "UPDATE jobs SET locked_until = $1 \
                   WHERE id = $2 AND status = 'running' AND lease_token = $3";
        let result = self
            .db()
            .execute_raw(statement(
                self.db_backend(),
                sql,
                vec![
                    ts(now + extend).into(),
                    lease.id.as_uuid().into(),
                    token(lease)?.into(),
                ],
            ))
            .await
            .context("renewing a job lease")?;
        Ok(result.rows_affected() > 0)
    }

    async fn complete(
        &self,
        lease: JobLease,
        now: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(), StoreError> {
        if complete_on(self.db(), lease, now, note).await? {
            return Ok(());
        }
        Err(self.lost(lease).await?)
    }

    async fn fail(
        &self,
        lease: JobLease,
        error: &str,
        decision: RetryDecision,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let now = ts(now);
        let (sql, values): (&str, Vec<Value>) = match decision {
            // The attempt count decides too, so a job can never outlive its
            // allowance whatever the caller's policy says.
            RetryDecision::RetryAt(at) => (
                "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                 run_at = $1, last_error = $2, locked_until = NULL, locked_by = NULL, updated_at = $3 \
                 WHERE id = $4 AND status = 'running' AND lease_token = $5",
                vec![
                    ts(at).into(),
                    error.to_owned().into(),
                    now.into(),
                    lease.id.as_uuid().into(),
                    token(lease)?.into(),
                ],
            ),
            RetryDecision::GiveUp => (
                "UPDATE jobs SET status = 'dead', last_error = $1, locked_until = NULL, \
                 locked_by = NULL, updated_at = $2 \
                 WHERE id = $3 AND status = 'running' AND lease_token = $4",
                vec![
                    error.to_owned().into(),
                    now.into(),
                    lease.id.as_uuid().into(),
                    token(lease)?.into(),
                ],
            ),
        };
        let result = self
            .db()
            .execute_raw(statement(self.db_backend(), sql, values))
            .await
            .context("recording a failed job attempt")?;
        if result.rows_affected() > 0 {
            return Ok(());
        }
        Err(self.lost(lease).await?)
    }

    async fn queue_stats(&self, now: DateTime<Utc>) -> Result<QueueStats, StoreError> {
        let rows: Vec<(String, String, i64)> = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::Kind)
            .column(jobs::Column::Status)
            .column_as(jobs::Column::Id.count(), "n")
            .filter(jobs::Column::Status.is_in(["queued", "running", "dead"]))
            .group_by(jobs::Column::Kind)
            .group_by(jobs::Column::Status)
            .into_tuple()
            .all(self.db())
            .await
            .context("counting jobs by kind and status")?;
        let counts = rows
            .into_iter()
            .map(|(kind, status, n)| {
                let status = parse_name("job status", &status)?;
                Ok((kind, status, u64::try_from(n).unwrap_or(0)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let oldest_due: Option<Option<DateTime<Utc>>> = jobs::Entity::find()
            .select_only()
            .column_as(jobs::Column::RunAt.min(), "oldest")
            .filter(jobs::Column::Status.eq("queued"))
            .filter(jobs::Column::RunAt.lte(ts(now)))
            .into_tuple()
            .one(self.db())
            .await
            .context("finding the oldest due job")?;
        Ok(QueueStats {
            counts,
            oldest_due: oldest_due.flatten(),
        })
    }

    async fn list_jobs(&self, status: JobStatus, page: Page) -> Result<PageOf<Job>, StoreError> {
        let (limit, offset) = page_bounds(page);
        let query = jobs::Entity::find().filter(jobs::Column::Status.eq(status.as_str()));
        let total = query
            .clone()
            .count(self.db())
            .await
            .context("counting jobs")?;
        let rows = query
            .order_by_asc(jobs::Column::Seq)
            .limit(limit)
            .offset(offset)
            .all(self.db())
            .await
            .context("listing jobs")?;
        Ok(PageOf {
            items: rows
                .into_iter()
                .map(job_from_row)
                .collect::<Result<_, _>>()?,
            total,
        })
    }

    async fn retry_dead(&self, id: JobId, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let now = ts(now);
        let sql = "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, created_at = $1, \
                   updated_at = $1, locked_until = NULL, locked_by = NULL \
                   WHERE id = $2 AND status = 'dead'";
        let result = self
            .db()
            .execute_raw(statement(
                self.db_backend(),
                sql,
                vec![now.into(), id.as_uuid().into()],
            ))
            .await
            .context("re-driving a dead job")?;
        Ok(result.rows_affected() > 0)
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> Result<Option<Job>, StoreError> {
        jobs::Entity::find()
            .filter(jobs::Column::TenantId.eq(tenant.as_uuid()))
            .filter(jobs::Column::Id.eq(id.as_uuid()))
            .one(self.db())
            .await
            .context("loading a job")?
            .map(job_from_row)
            .transpose()
    }
}
