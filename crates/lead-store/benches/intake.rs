//! Throughput of the intake transaction (find-or-create lead, open conversation, message, job)
//! on SQLite and PostgreSQL at 1, 8 and 32 concurrent tasks, with durable commits.
//!
//! Run with `cargo bench -p lead-store --bench intake`. PostgreSQL is used when the server of
//! `TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/test`) answers; a fresh
//! database is created for the run and dropped afterwards. One criterion iteration is one
//! intake on each task; the throughput line gives intakes per second. With
//! `LEAD_STORE_BENCH_KEEP=1` the PostgreSQL database is kept (and named) so
//! that `pgbench` can run the same statements against the same schema.
// A benchmark makes its own ids, reads the real clock, and stops on a broken setup.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use lead_domain::contact::PhoneNumber;
use lead_domain::ids::{ConversationId, JobId, LeadId, MessageId, TenantId};
use lead_domain::ports::{IntakeIds, LeadRepository};
use lead_store::SeaOrmStore;
use lead_testkit::contract::{intake, stored_tenant};
use sea_orm::{ConnectionTrait, Database};
use uuid::Uuid;

const TASKS: [u64; 3] = [1, 8, 32];

struct Target {
    name: &'static str,
    store: SeaOrmStore,
    tenant: TenantId,
    cleanup: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

async fn sqlite() -> Target {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("bench.db").display()
    );
    let store = SeaOrmStore::connect(&url).await.expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    let tenant = stored_tenant(&store).await.0.id;
    Target {
        name: "sqlite",
        store,
        tenant,
        cleanup: None,
        _dir: Some(dir),
    }
}

async fn postgres() -> Option<Target> {
    let admin_url = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let admin = match Database::connect(&admin_url).await {
        Ok(admin) => admin,
        Err(err) => {
            eprintln!("skipping postgres: {err}");
            return None;
        }
    };
    let name = format!("lead_store_bench_{}", Uuid::new_v4().simple());
    admin
        .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
        .await
        .expect("create bench database");
    let mut url = url::Url::parse(&admin_url).expect("database url");
    url.set_path(&name);
    let options = lead_store::StoreOptions {
        max_connections: 40,
        ..Default::default()
    };
    let store = SeaOrmStore::connect_with(url.as_str(), options)
        .await
        .expect("open postgres");
    store.migrate().await.expect("migrate postgres");
    let tenant = stored_tenant(&store).await.0.id;
    Some(Target {
        name: "postgres",
        store,
        tenant,
        cleanup: Some((admin_url, name)),
        _dir: None,
    })
}

/// A new contact per intake: the heaviest path (lead, conversation, message and job inserts).
fn next_phone(counter: &AtomicU64) -> PhoneNumber {
    let n = counter.fetch_add(1, Ordering::Relaxed);
    PhoneNumber::parse(&format!("+1555{:08}", n % 100_000_000)).expect("phone")
}

/// Each of `tasks` tasks runs `per_task` intakes back to back; one criterion
/// iteration is one intake per task.
async fn run(target: &Target, tasks: u64, per_task: u64, counter: Arc<AtomicU64>) -> Duration {
    let start = Instant::now();
    let mut handles = Vec::new();
    for _ in 0..tasks {
        let store = target.store.clone();
        let tenant = target.tenant;
        let counter = counter.clone();
        handles.push(tokio::spawn(async move {
            for _ in 0..per_task {
                let mut i = intake(
                    tenant,
                    Some(next_phone(&counter)),
                    "I want a villa in Riyadh",
                    Utc::now(),
                );
                i.ids = IntakeIds {
                    lead: LeadId::from_uuid(Uuid::now_v7()),
                    conversation: ConversationId::from_uuid(Uuid::now_v7()),
                    message: MessageId::from_uuid(Uuid::now_v7()),
                    job: JobId::from_uuid(Uuid::now_v7()),
                };
                store.record_inbound(&i).await.expect("intake");
            }
        }));
    }
    for handle in handles {
        handle.await.expect("bench task");
    }
    start.elapsed()
}

fn intake_throughput(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut targets = vec![rt.block_on(sqlite())];
    if let Some(pg) = rt.block_on(postgres()) {
        targets.push(pg);
    }
    let counter = Arc::new(AtomicU64::new(0));
    let mut group = c.benchmark_group("intake");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for target in &targets {
        for tasks in TASKS {
            group.throughput(Throughput::Elements(tasks));
            group.bench_with_input(BenchmarkId::new(target.name, tasks), &tasks, |b, &tasks| {
                b.iter_custom(|iters| rt.block_on(run(target, tasks, iters, counter.clone())));
            });
        }
    }
    group.finish();
    for target in targets {
        let Target { store, cleanup, .. } = target;
        rt.block_on(async {
            let _ = store.close().await;
            let keep = std::env::var("LEAD_STORE_BENCH_KEEP").as_deref() == Ok("1");
            if let Some((_, name)) = &cleanup
                && keep
            {
                eprintln!("kept postgres database {name}");
            }
            if let Some((admin_url, name)) = cleanup
                && !keep
                && let Ok(admin) = Database::connect(&admin_url).await
            {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await;
            }
        });
    }
}

criterion_group!(benches, intake_throughput);
criterion_main!(benches);
