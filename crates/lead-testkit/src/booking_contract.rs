//! The contract of the booking-record port: every adapter and the in-memory fake must pass it.

use crate::contract::{Store, stored_tenant};
use chrono::{DateTime, Duration, Utc};
use lead_domain::booking::{BookingRecord, BookingRepository, BookingStatus};
use lead_domain::ids::{ConversationId, LeadId};
use lead_domain::ports::StoreError;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T09:00:00Z")
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

fn ok<T>(r: Result<T, StoreError>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// A record round-trips, is found by its calendar uid only within its tenant, and a save from a
/// stale read is refused so two turns never overwrite each other's booking.
pub async fn bookings<S: Store + BookingRepository + ?Sized>(store: &S) {
    let (tenant, _) = stored_tenant(store).await;
    let (other, _) = stored_tenant(store).await;
    let lead = LeadId::from_uuid(uuid::Uuid::new_v4());
    let conversation = ConversationId::from_uuid(uuid::Uuid::new_v4());
    assert_eq!(
        ok(store.booking_of_lead(tenant.id, lead).await, "empty"),
        None
    );

    let mut record = BookingRecord::new(tenant.id, lead, conversation, t0());
    record.offered = vec![t0() + Duration::days(1), t0() + Duration::days(2)];
    record.record("offered", "ai", None, t0());
    let saved = ok(store.save_booking(&record).await, "first save");
    assert_eq!(saved.version, 1);
    let loaded = ok(store.booking_of_lead(tenant.id, lead).await, "load")
        .unwrap_or_else(|| panic!("the saved booking is missing"));
    assert_eq!(loaded, saved);

    // A second insert from a fresh record loses to the first.
    let again = BookingRecord::new(tenant.id, lead, conversation, t0());
    assert!(matches!(
        store.save_booking(&again).await,
        Err(StoreError::Stale(_))
    ));

    let mut booked = loaded.clone();
    booked.status = BookingStatus::Booked;
    booked.uid = Some(format!("bk_{}", uuid::Uuid::new_v4().simple()));
    booked.start = Some(t0() + Duration::days(1));
    booked.record("booked", "ai", booked.start, t0() + Duration::minutes(1));
    let booked = ok(store.save_booking(&booked).await, "book");
    assert_eq!(booked.version, 2);
    // The earlier read is stale now.
    assert!(matches!(
        store.save_booking(&loaded).await,
        Err(StoreError::Stale(_))
    ));

    let uid = booked.uid.clone().unwrap_or_default();
    let found = ok(store.booking_by_uid(tenant.id, &uid).await, "by uid")
        .unwrap_or_else(|| panic!("not found by uid"));
    assert_eq!(found.status, BookingStatus::Booked);
    assert_eq!(found.history.len(), 2);
    assert_eq!(
        ok(store.booking_by_uid(other.id, &uid).await, "other tenant"),
        None
    );
    assert_eq!(
        ok(
            store.booking_of_lead(other.id, lead).await,
            "other tenant's lead"
        ),
        None
    );
}
