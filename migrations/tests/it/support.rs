//! Test databases: a temporary SQLite file, or a fresh PostgreSQL database per test.

use std::time::Duration;

use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection};

/// The server used when `TEST_DATABASE_URL` is not set.
const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A connected, empty database that is removed when the test is done.
pub struct TestDb {
    pub conn: DatabaseConnection,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin: DatabaseConnection,
        name: String,
    },
}

impl TestDb {
    /// An empty SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("create temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        let conn = Database::connect(&url).await.expect("open sqlite database");
        TestDb {
            conn,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A fresh PostgreSQL database on the server of `TEST_DATABASE_URL`, or
    /// `None` (after printing why) when the server is unreachable outside CI.
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
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&admin_url).expect("parse TEST_DATABASE_URL");
        url.set_path(&name);
        let conn = Database::connect(url.as_str())
            .await
            .expect("connect to test database");
        Some(TestDb {
            conn,
            cleanup: Cleanup::Postgres { admin, name },
        })
    }

    /// Closes the connection and drops the PostgreSQL database.
    pub async fn finish(self) {
        let TestDb { conn, cleanup } = self;
        conn.close().await.expect("close test connection");
        if let Cleanup::Postgres { admin, name } = cleanup {
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .expect("drop test database");
        }
    }
}
