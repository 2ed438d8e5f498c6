//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database dropped after the test.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lead_domain::ids::{ConversationId, JobId, LeadId, MessageId};
use lead_domain::ports::{InboundIntake, IntakeIds};
use lead_store::SeaOrmStore;
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// The server used when `TEST_DATABASE_URL` is not set.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// The fixed instant the intake tests start from.
pub fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap_or_default()
}

/// The same intake with new ids, as a second delivery or caller would make.
pub fn fresh_ids(mut intake: InboundIntake) -> InboundIntake {
    intake.ids = IntakeIds {
        lead: LeadId::from_uuid(uuid::Uuid::new_v4()),
        conversation: ConversationId::from_uuid(uuid::Uuid::new_v4()),
        message: MessageId::from_uuid(uuid::Uuid::new_v4()),
        job: JobId::from_uuid(uuid::Uuid::new_v4()),
    };
    intake
}

/// A migrated, empty database for one test.
pub struct TestDb {
    pub url: String,
    pub store: SeaOrmStore,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin: DatabaseConnection,
        name: String,
    },
}

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl TestDb {
    /// A fresh database of the given kind, or `None` when PostgreSQL is unreachable outside CI.
    pub async fn new(kind: Kind, test: &str) -> Option<TestDb> {
        match kind {
            Kind::Sqlite => Some(Self::sqlite().await),
            Kind::Postgres => Self::postgres(test).await,
        }
    }

    /// An empty, migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create temp dir");
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("store.db").display()
        );
        let store = SeaOrmStore::connect(&url).await.expect("open sqlite store");
        store.migrate().await.expect("migrate sqlite");
        TestDb {
            url,
            store,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh, migrated PostgreSQL database on the server of `TEST_DATABASE_URL`, or `None`
    /// (after printing why) when the server is unreachable and `CI` is not `true`.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let admin_url =
            std::env::var("TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        // A short timeout: an absent server should skip quickly, not after 30 seconds.
        let mut options = ConnectOptions::new(admin_url.clone());
        options
            .connect_timeout(Duration::from_secs(3))
            .acquire_timeout(Duration::from_secs(3));
        let admin = match Database::connect(options).await {
            Ok(conn) => conn,
            Err(err) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("postgres at {admin_url} is required under CI=true: {err}");
                }
                eprintln!("skipping {test}: postgres at {admin_url} is unreachable: {err}");
                return None;
            }
        };
        let name = format!("lead_store_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("parse TEST_DATABASE_URL");
        url.set_path(&name);
        let url = url.to_string();
        let store = SeaOrmStore::connect(&url)
            .await
            .expect("open postgres store");
        store.migrate().await.expect("migrate postgres");
        Some(TestDb {
            url,
            store,
            cleanup: Cleanup::Postgres { admin, name },
        })
    }

    /// Which backend this database is on.
    pub fn kind(&self) -> Kind {
        match self.cleanup {
            Cleanup::Sqlite(_) => Kind::Sqlite,
            Cleanup::Postgres { .. } => Kind::Postgres,
        }
    }

    /// Another pool on the same database, as a second process would open.
    pub async fn another_store(&self) -> SeaOrmStore {
        SeaOrmStore::connect(&self.url)
            .await
            .expect("open another store")
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn finish(self) {
        let TestDb { store, cleanup, .. } = self;
        store.close().await.expect("close store");
        if let Cleanup::Postgres { admin, name } = cleanup {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop test database");
        }
    }
}

/// Declares one test per backend running `$check(&TestDb)`.
macro_rules! on_both_backends {
    ($($name:ident => $check:path;)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                use crate::support::{Kind, TestDb};

                async fn run(kind: Kind) {
                    let Some(db) = TestDb::new(kind, stringify!($name)).await else {
                        return;
                    };
                    $check(&db).await;
                    db.finish().await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn sqlite() {
                    run(Kind::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn postgres() {
                    run(Kind::Postgres).await;
                }
            }
        )*
    };
}

pub(crate) use on_both_backends;
