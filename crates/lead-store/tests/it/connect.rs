//! Opening stores: supported URLs, in-memory SQLite, and migrations that may run twice.

use lead_domain::ports::{LeadRepository, Page};
use lead_store::{Backend, ConnectError, SeaOrmStore};
use lead_testkit::contract::{intake, random_phone, stored_tenant};

#[tokio::test]
async fn unsupported_urls_are_refused() {
    let result = SeaOrmStore::connect("mysql://localhost/db").await;
    assert!(matches!(result, Err(ConnectError::UnsupportedUrl(_))));
}

#[tokio::test]
async fn an_in_memory_sqlite_store_keeps_its_data_across_calls() {
    let store = SeaOrmStore::connect("sqlite::memory:").await.expect("open");
    assert_eq!(store.backend(), Backend::Sqlite);
    store.migrate().await.expect("migrate");
    store.migrate().await.expect("migrate twice");
    let (tenant, _) = stored_tenant(&store).await;
    let receipt = store
        .record_inbound(&intake(
            tenant.id,
            Some(random_phone()),
            "hi",
            chrono::Utc::now(),
        ))
        .await
        .expect("intake");
    let messages = store
        .list_messages(tenant.id, receipt.conversation_id, Page::default())
        .await
        .expect("messages");
    assert_eq!(messages.total, 1);
    store.ping().await.expect("ping");
}
