//! The contract of the erasure and retention port: every adapter and the in-memory fake must
//! pass it.

use crate::contract::{Store, intake, random_phone, stored_tenant};
use chrono::{DateTime, Duration, Utc};
use lead_domain::ports::{Page, StoreError};
use lead_domain::retention::DataRetention;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T09:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Erasure removes a lead and its messages for its own tenant only; a retention pass removes idle
/// leads and old messages but keeps a lead that wrote recently; periods are listed per tenant.
pub async fn retention<S: Store + DataRetention + ?Sized>(store: &S) {
    let (mut tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;

    // Erasure.
    let erased = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "erase me", t0()))
            .await,
        "intake to erase",
    );
    assert!(
        !ok(
            store.erase_lead(other.id, erased.lead_id).await,
            "other tenant"
        ),
        "another tenant cannot erase the lead"
    );
    assert!(ok(
        store.erase_lead(tenant.id, erased.lead_id).await,
        "erase"
    ));
    assert!(ok(store.get_lead(tenant.id, erased.lead_id).await, "get").is_none());
    let left = ok(
        store
            .list_messages(tenant.id, erased.conversation_id, Page::default())
            .await,
        "messages of an erased lead",
    );
    assert_eq!(left.total, 0, "the erased lead's messages are gone");
    assert!(!ok(
        store.erase_lead(tenant.id, erased.lead_id).await,
        "again"
    ));
    if let Some(job) = erased.job_id {
        assert!(
            ok(store.get_job(tenant.id, job).await, "the erased lead's job").is_none(),
            "a queued job carrying the erased lead's ids is removed with it"
        );
    }

    // Retention: an idle lead, a lead that wrote again recently, a recent lead.
    let idle = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "old", t0()))
            .await,
        "idle lead",
    );
    let returning_phone = random_phone();
    let returning = ok(
        store
            .record_inbound(&intake(
                tenant.id,
                Some(returning_phone.clone()),
                "old too",
                t0(),
            ))
            .await,
        "returning lead",
    );
    let later = t0() + Duration::days(40);
    let again = ok(
        store
            .record_inbound(&intake(
                tenant.id,
                Some(returning_phone),
                "back again",
                later,
            ))
            .await,
        "returning lead writes again",
    );
    assert_eq!(again.lead_id, returning.lead_id);
    let recent = ok(
        store
            .record_inbound(&intake(tenant.id, Some(random_phone()), "new", later))
            .await,
        "recent lead",
    );
    let foreign = ok(
        store
            .record_inbound(&intake(other.id, Some(random_phone()), "other's old", t0()))
            .await,
        "another tenant's old lead",
    );

    let purged = ok(
        store
            .purge_before(tenant.id, t0() + Duration::days(30))
            .await,
        "purge",
    );
    assert_eq!(purged.leads, 1, "only the idle lead goes: {purged:?}");
    assert_eq!(purged.messages, 2, "the two old messages go: {purged:?}");
    assert!(ok(store.get_lead(tenant.id, idle.lead_id).await, "idle").is_none());
    assert!(
        ok(
            store.get_lead(tenant.id, returning.lead_id).await,
            "returning"
        )
        .is_some()
    );
    assert!(ok(store.get_lead(tenant.id, recent.lead_id).await, "recent").is_some());
    assert!(
        ok(store.get_lead(other.id, foreign.lead_id).await, "foreign").is_some(),
        "another tenant's data is untouched"
    );
    let kept = ok(
        store
            .list_messages(tenant.id, again.conversation_id, Page::default())
            .await,
        "returning messages",
    );
    assert_eq!(
        kept.items
            .iter()
            .map(|m| m.body.as_str())
            .collect::<Vec<_>>(),
        ["back again"]
    );

    // Periods.
    tenant.settings.retention_days = Some(30);
    ok(store.update_tenant(&tenant).await, "set a period");
    let policies = ok(store.retention_policies().await, "policies");
    assert!(policies.contains(&(tenant.id, 30)), "{policies:?}");
    assert!(!policies.iter().any(|(t, _)| *t == other.id));
}
