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
use lead_domain::jobs::{Job, JobStatus, NewJob, RetryDecision};
use lead_domain::ports::{JobQueue, StoreError};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Value};

use crate::codec::{from_json, parse_name, statement, to_json, to_u32, ts};
use crate::entity::jobs;
use crate::error::Context;
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

/// Stores a new job on any connection or transaction, so callers can enqueue atomically with their own writes.
pub(crate) async fn insert_job<C: ConnectionTrait>(db: &C, job: &NewJob) -> Result<(), StoreError> {
    jobs::Entity::insert(job_row(job)?)
        .exec_without_returning(db)
        .await
        .context("enqueueing a job")?;
    Ok(())
}

/// The row of a new job.
pub(crate) fn job_row(job: &NewJob) -> Result<jobs::ActiveModel, StoreError> {
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
        last_error: row.last_error,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

impl SeaOrmStore {
    fn claim_sql(&self) -> String {
        match self.backend {
            Backend::Postgres => format!(
                "WITH due AS (SELECT j.seq FROM jobs j WHERE {DUE} \
                 ORDER BY j.run_at, j.seq LIMIT $2 FOR UPDATE OF j SKIP LOCKED) \
                 UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, \
                 locked_until = $3, locked_by = $4, updated_at = $1 \
                 FROM due WHERE jobs.seq = due.seq RETURNING jobs.*"
            ),
            Backend::Sqlite => format!(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, \
                 locked_until = $3, locked_by = $4, updated_at = $1 \
                 WHERE seq IN (SELECT j.seq FROM jobs j WHERE {DUE} \
                 ORDER BY j.run_at, j.seq LIMIT $2) RETURNING *"
            ),
        }
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

    async fn complete(
        &self,
        id: JobId,
        now: DateTime<Utc>,
        note: Option<String>,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1, \
                   last_error = COALESCE($2, last_error) WHERE id = $3 AND status = 'running'";
        let result = self
            .db()
            .execute_raw(statement(
                self.db_backend(),
                sql,
                vec![ts(now).into(), note.into(), id.as_uuid().into()],
            ))
            .await
            .context("completing a job")?;
        if result.rows_affected() == 0 && !self.job_exists(id).await? {
            return Err(StoreError::Stale(format!("job {id} does not exist")));
        }
        Ok(())
    }

    async fn fail(
        &self,
        id: JobId,
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
                 WHERE id = $4 AND status = 'running'",
                vec![
                    ts(at).into(),
                    error.to_owned().into(),
                    now.into(),
                    id.as_uuid().into(),
                ],
            ),
            RetryDecision::GiveUp => (
                "UPDATE jobs SET status = 'dead', last_error = $1, locked_until = NULL, \
                 locked_by = NULL, updated_at = $2 WHERE id = $3 AND status = 'running'",
                vec![error.to_owned().into(), now.into(), id.as_uuid().into()],
            ),
        };
        let result = self
            .db()
            .execute_raw(statement(self.db_backend(), sql, values))
            .await
            .context("recording a failed job attempt")?;
        if result.rows_affected() == 0 && !self.job_exists(id).await? {
            return Err(StoreError::Stale(format!("job {id} does not exist")));
        }
        Ok(())
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
