//! Erasure on request and the tenants' retention periods, applied by a daily job.

use super::Deps;
use super::leads::LeadError;
use crate::ids::{LeadId, TenantId};
use crate::ports::StoreError;
use crate::retention::{Purged, retention_cutoff};
use crate::tenant::Tenant;

/// Erases a person's data on request (right to erasure): the lead and every record about them.
///
/// # Errors
/// [`LeadError::NotFound`] when the tenant has no such lead; storage failures.
pub async fn erase_lead(deps: &Deps, tenant: &Tenant, id: LeadId) -> Result<(), LeadError> {
    if deps.retention.erase_lead(tenant.id, id).await? {
        Ok(())
    } else {
        Err(LeadError::NotFound("lead"))
    }
}

/// What one retention pass did, tenant by tenant.
#[derive(Debug, Default)]
pub struct RetentionReport {
    /// Tenants whose period was applied, with what was removed.
    pub purged: Vec<(TenantId, Purged)>,
    /// Tenants whose pass failed; the next pass tries again.
    pub failed: Vec<(TenantId, StoreError)>,
}

/// Applies every tenant's retention period once: leads idle longer than the period and messages
/// older than it are removed. One tenant's failure does not stop the others.
///
/// # Errors
/// When the periods themselves cannot be read.
pub async fn apply_retention(deps: &Deps) -> Result<RetentionReport, StoreError> {
    let now = deps.clock.now();
    let mut report = RetentionReport::default();
    for (tenant, days) in deps.retention.retention_policies().await? {
        match deps
            .retention
            .purge_before(tenant, retention_cutoff(now, days))
            .await
        {
            Ok(purged) => report.purged.push((tenant, purged)),
            Err(error) => report.failed.push((tenant, error)),
        }
    }
    Ok(report)
}
