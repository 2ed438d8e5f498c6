//! Benchmark of extraction plus domain scoring on realistic lead messages in both languages.
// A benchmark makes its own ids, reads the real clock, and stops on a broken setup.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use lead_domain::qualification::Currency;
use lead_domain::scoring::{QualificationRules, score};
use lead_nlu::{Role, RuleExtractor, TenantProfile};
use std::hint::black_box;

const MESSAGES: &[&str] = &[
    "Hi, looking for a 3BR apartment in Riyadh, budget around 1.2M, want to buy next month. I'm the decision maker.",
    "السلام عليكم، ابغى فيلا في جدة حي الروضة، الميزانية بين ٢ و ٣ ملايين، وناوي اشتري بعد شهرين إن شاء الله",
    "salam, abi ashtari shqa fe el khobar, budget 700 alf, ana elli aqarer, bukra lw sm7t",
    "عايز أأجر شقة في الرياض، مش عايز أدفع أكتر من ٤٠ ألف بالسنة، والشركة هي اللي بتقرر مش أنا",
    "Good afternoon, my family is relocating to Jeddah in January and we are looking to purchase a villa with at least 5 bedrooms. Our budget is between 2.5 and 3 million riyals. Please call me back on 0501234567.",
    "STOP. I already bought a place, please don't message me again",
];

fn bench(c: &mut Criterion) {
    let services = [
        ("buy_apartment", "buying an apartment / flat"),
        ("buy_villa", "buying a villa or house"),
        ("rent_residential", "renting an apartment, villa or house"),
        (
            "sell_property",
            "selling or listing the lead's own property",
        ),
        ("commercial", "office, shop, warehouse or land for business"),
        ("land", "buying a plot of land"),
    ];
    let sar = Currency::code(*b"SAR");
    let profile = TenantProfile::new(
        "real_estate",
        sar,
        services
            .iter()
            .map(|(k, d)| ((*k).into(), (*d).into()))
            .collect(),
    );
    let extractor = RuleExtractor::new(profile);
    let rules = QualificationRules::new(sar, 300_000.0, 5_000_000.0);
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    c.bench_function("extract_and_score_per_message", |b| {
        b.iter(|| {
            for m in MESSAGES {
                let ex = extractor.extract(
                    &[
                        (Role::Agent, "How can we help?"),
                        (Role::Lead, black_box(m)),
                    ],
                    today,
                );
                black_box(score(&ex.qualification, &rules));
            }
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
