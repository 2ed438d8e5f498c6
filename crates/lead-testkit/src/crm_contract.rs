//! The contract of the CRM-link port: every adapter and the in-memory fake must pass it.

use crate::contract::{Store, stored_tenant};
use chrono::{DateTime, Utc};
use lead_domain::crm::{CrmLink, CrmLinks};
use lead_domain::ids::LeadId;
use lead_domain::ports::StoreError;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-05T06:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// A link round-trips within its tenant only, and a save from a stale read (or a second first
/// insert) is refused: the claim two workers race for has exactly one winner.
pub async fn crm_links<S: Store + CrmLinks + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let lead = LeadId::from_uuid(uuid::Uuid::new_v4());
    assert_eq!(ok(store.crm_link(tenant.id, lead).await, "empty"), None);

    let mut claim = CrmLink::new(tenant.id, lead);
    claim.claimed_at = Some(t0());
    let saved = ok(store.save_crm_link(&claim).await, "claim");
    assert_eq!(saved.version, 1);
    assert_eq!(
        ok(store.crm_link(tenant.id, lead).await, "load"),
        Some(saved.clone())
    );
    assert_eq!(
        ok(store.crm_link(other.id, lead).await, "other tenant"),
        None
    );

    // A second worker's claim from its own fresh read loses.
    assert!(matches!(
        store.save_crm_link(&claim).await,
        Err(StoreError::Stale(_))
    ));

    let mut done = saved.clone();
    done.contact_id = Some("512".into());
    done.deal_id = Some("9001".into());
    done.claimed_at = None;
    done.synced_at = Some(t0());
    done.note_marker = Some("abc".into());
    done.last_error = Some("was down".into());
    let done = ok(store.save_crm_link(&done).await, "update");
    assert_eq!(done.version, 2);
    assert_eq!(
        ok(store.crm_link(tenant.id, lead).await, "reload"),
        Some(done)
    );

    // A save from the version before is refused.
    assert!(matches!(
        store.save_crm_link(&saved).await,
        Err(StoreError::Stale(_))
    ));
}
