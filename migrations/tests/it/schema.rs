//! Migrations apply, revert and re-apply on both backends, and the schema enforces its invariants.

use chrono::Utc;
use migrations::{Migrator, MigratorTrait, TABLES};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr, SqlErr, Value};
use sea_orm_migration::SchemaManager;
use serde_json::json;
use uuid::Uuid;

use crate::support::TestDb;

async fn existing_tables(db: &DatabaseConnection) -> Vec<&'static str> {
    let manager = SchemaManager::new(db);
    let mut found = Vec::new();
    for table in TABLES {
        if manager.has_table(table).await.expect("look up table") {
            found.push(*table);
        }
    }
    found
}

async fn check_up_down_up(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("first up");
    assert_eq!(existing_tables(db).await, TABLES.to_vec());

    // A second run finds nothing pending and changes nothing.
    Migrator::up(db, None).await.expect("second up");
    assert!(
        Migrator::get_pending_migrations(db)
            .await
            .expect("pending")
            .is_empty()
    );
    assert_eq!(
        Migrator::get_applied_migrations(db)
            .await
            .expect("applied")
            .len(),
        Migrator::migrations().len()
    );
    assert_eq!(existing_tables(db).await, TABLES.to_vec());

    Migrator::down(db, None).await.expect("down");
    assert_eq!(existing_tables(db).await, Vec::<&str>::new());

    Migrator::up(db, None).await.expect("up after down");
    assert_eq!(existing_tables(db).await, TABLES.to_vec());
}

#[tokio::test]
async fn up_down_up_on_sqlite() {
    let db = TestDb::sqlite().await;
    check_up_down_up(&db.conn).await;
    db.finish().await;
}

#[tokio::test]
async fn up_down_up_on_postgres() {
    let Some(db) = TestDb::postgres("up_down_up_on_postgres").await else {
        return;
    };
    check_up_down_up(&db.conn).await;
    db.finish().await;
}

async fn insert(
    db: &DatabaseConnection,
    table: &'static str,
    row: Vec<(&'static str, Value)>,
) -> Result<(), DbErr> {
    let (columns, values): (Vec<_>, Vec<_>) = row.into_iter().unzip();
    let values: Vec<SimpleExpr> = values.into_iter().map(Expr::val).collect();
    let stmt = Query::insert()
        .into_table(table)
        .columns(columns)
        .values(values)
        .map_err(|e| DbErr::Custom(e.to_string()))?
        .to_owned();
    db.execute(&stmt).await.map(|_| ())
}

async fn count(db: &DatabaseConnection, table: &'static str, tenant: Uuid) -> i64 {
    let stmt = Query::select()
        .expr(Expr::col("tenant_id").count())
        .from(table)
        .and_where(Expr::col("tenant_id").eq(tenant))
        .to_owned();
    let row = db.query_one(&stmt).await.expect("count").expect("one row");
    row.try_get_by_index::<i64>(0).expect("count value")
}

fn assert_unique_violation(result: Result<(), DbErr>, what: &str) {
    match result {
        Err(err) => assert!(
            matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))),
            "{what}: expected a unique violation, got {err}"
        ),
        Ok(()) => panic!("{what}: expected a unique violation, the insert succeeded"),
    }
}

async fn tenant(db: &DatabaseConnection) -> Uuid {
    let id = Uuid::now_v7();
    let now = Utc::now();
    insert(
        db,
        "clients",
        vec![
            ("id", id.into()),
            ("name", "Acme".into()),
            ("slug", format!("acme-{}", id.simple()).into()),
            ("industry", "real_estate".into()),
            ("timezone", "Asia/Riyadh".into()),
            ("status", "active".into()),
            ("settings", json!({"currency": "SAR"}).into()),
            ("widget_key", format!("wk_{}", id.simple()).into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
    .expect("insert tenant");
    id
}

async fn lead(
    db: &DatabaseConnection,
    tenant: Uuid,
    phone: Option<&str>,
    email: Option<&str>,
) -> Result<Uuid, DbErr> {
    let id = Uuid::now_v7();
    let now = Utc::now();
    insert(
        db,
        "leads",
        vec![
            ("id", id.into()),
            ("tenant_id", tenant.into()),
            ("phone", phone.map(str::to_owned).into()),
            ("email", email.map(str::to_owned).into()),
            ("state", "new".into()),
            ("score", "UNSCORED".into()),
            (
                "score_card",
                json!({"score": "UNSCORED", "points": 0, "reasons": []}).into(),
            ),
            ("qualification", json!({}).into()),
            ("source_channel", "sms".into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
    .map(|()| id)
}

async fn conversation(
    db: &DatabaseConnection,
    tenant: Uuid,
    lead: Uuid,
    status: &str,
) -> Result<(), DbErr> {
    let now = Utc::now();
    insert(
        db,
        "conversations",
        vec![
            ("id", Uuid::now_v7().into()),
            ("tenant_id", tenant.into()),
            ("lead_id", lead.into()),
            ("channel", "sms".into()),
            ("status", status.into()),
            ("created_at", now.into()),
            ("updated_at", now.into()),
        ],
    )
    .await
}

async fn check_constraints(db: &DatabaseConnection) {
    Migrator::up(db, None).await.expect("up");
    let acme = tenant(db).await;
    let other = tenant(db).await;

    let first = lead(db, acme, Some("+966500000001"), Some("a@example.com"))
        .await
        .expect("first lead");
    assert_unique_violation(
        lead(db, acme, Some("+966500000001"), None)
            .await
            .map(|_| ()),
        "same phone",
    );
    assert_unique_violation(
        lead(db, acme, None, Some("a@example.com"))
            .await
            .map(|_| ()),
        "same email",
    );
    lead(db, acme, None, None)
        .await
        .expect("a lead without phone or email");
    lead(db, acme, None, None)
        .await
        .expect("a second lead without phone or email");
    lead(db, other, Some("+966500000001"), Some("a@example.com"))
        .await
        .expect("the same contact at another tenant");
    assert_eq!(count(db, "leads", acme).await, 3);

    conversation(db, acme, first, "open")
        .await
        .expect("open conversation");
    assert_unique_violation(
        conversation(db, acme, first, "open").await,
        "second open conversation",
    );
    conversation(db, acme, first, "closed")
        .await
        .expect("closed conversation");
    conversation(db, acme, first, "closed")
        .await
        .expect("another closed conversation");

    let webhook = |id: &'static str| {
        vec![
            ("provider", Value::from("twilio")),
            ("provider_id", id.into()),
            ("tenant_id", acme.into()),
            ("created_at", Utc::now().into()),
        ]
    };
    insert(db, "processed_webhooks", webhook("SM1"))
        .await
        .expect("first webhook");
    assert_unique_violation(
        insert(db, "processed_webhooks", webhook("SM1")).await,
        "same webhook",
    );

    let opt_out = |tenant: Uuid| {
        vec![
            ("tenant_id", Value::from(tenant)),
            ("address", "+966500000001".into()),
            ("created_at", Utc::now().into()),
        ]
    };
    insert(db, "opt_outs", opt_out(acme))
        .await
        .expect("opt out");
    assert_unique_violation(insert(db, "opt_outs", opt_out(acme)).await, "same opt out");
    insert(db, "opt_outs", opt_out(other))
        .await
        .expect("opt out at another tenant");

    // Removing a tenant removes its rows and nobody else's.
    let delete = Query::delete()
        .from_table("clients")
        .and_where(Expr::col("id").eq(acme))
        .to_owned();
    db.execute(&delete).await.expect("delete tenant");
    assert_eq!(count(db, "leads", acme).await, 0);
    assert_eq!(count(db, "conversations", acme).await, 0);
    assert_eq!(count(db, "opt_outs", acme).await, 0);
    assert_eq!(count(db, "leads", other).await, 1);
}

#[tokio::test]
async fn constraints_on_sqlite() {
    let db = TestDb::sqlite().await;
    check_constraints(&db.conn).await;
    db.finish().await;
}

#[tokio::test]
async fn constraints_on_postgres() {
    let Some(db) = TestDb::postgres("constraints_on_postgres").await else {
        return;
    };
    check_constraints(&db.conn).await;
    db.finish().await;
}
