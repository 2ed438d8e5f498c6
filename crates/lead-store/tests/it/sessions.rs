//! The sign-in records' clean-up: idle sessions and old failed sign-ins go, live ones stay.

use chrono::Duration;
use lead_domain::language::Language;
use lead_domain::users::{Role, Session, ThrottleKey, User, UserId, UserRepository};
use lead_testkit::contract::stored_tenant;
use uuid::Uuid;

use crate::support::{TestDb, on_both_backends, t0};

async fn sessions_and_failures_are_swept_by_age(db: &TestDb) {
    let store = &db.store;
    let (tenant, _) = stored_tenant(store).await;
    let user = User {
        id: UserId::from_uuid(Uuid::now_v7()),
        tenant_id: tenant.id,
        email: format!("{}@example.com", Uuid::new_v4().simple()),
        name: "Ana".into(),
        role: Role::Agent,
        language: Language::En,
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        created_at: t0(),
    };
    store.insert_user(&user).await.expect("user");
    let session = |hash: &str, seen: chrono::DateTime<chrono::Utc>| Session {
        token_hash: hash.to_owned(),
        user_id: user.id,
        tenant_id: tenant.id,
        csrf_token: "csrf".into(),
        created_at: seen,
        last_seen_at: seen,
    };
    let idle = format!("idle-{}", Uuid::new_v4().simple());
    let live = format!("live-{}", Uuid::new_v4().simple());
    store
        .insert_session(&session(&idle, t0()))
        .await
        .expect("idle");
    store
        .insert_session(&session(&live, t0() + Duration::hours(3)))
        .await
        .expect("live");
    let key = ThrottleKey::Account(user.email.clone());
    store
        .record_sign_in_failure(&key, t0())
        .await
        .expect("old failure");
    store
        .record_sign_in_failure(&key, t0() + Duration::hours(3))
        .await
        .expect("recent failure");

    let cutoff = t0() + Duration::hours(1);
    assert!(store.delete_idle_sessions(cutoff).await.expect("sweep") >= 1);
    assert!(store.find_session(&idle).await.expect("find").is_none());
    assert!(store.find_session(&live).await.expect("find").is_some());
    assert!(
        store
            .delete_sign_in_failures_before(cutoff)
            .await
            .expect("sweep failures")
            >= 1
    );
    let left = store
        .sign_in_failures(&key, t0() - Duration::days(1))
        .await
        .expect("count");
    assert_eq!(left.count, 1, "only the recent failure is kept");
}

on_both_backends! {
    session_sweep => sessions_and_failures_are_swept_by_age;
}
