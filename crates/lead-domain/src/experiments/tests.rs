use super::stats::{
    normal_cdf, normal_quantile, sample_size_per_variant, two_proportion_z_test, wilson_interval,
};
use super::*;
use proptest::prelude::*;

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

fn experiment(keys: &[&str], traffic: f64) -> Experiment {
    Experiment {
        id: ExperimentId::from_uuid(Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef)),
        tenant_id: TenantId::from_uuid(Uuid::from_u128(1)),
        name: "greeting".into(),
        target: Target::Greeting,
        variants: keys
            .iter()
            .map(|k| Variant {
                key: (*k).to_owned(),
                text_en: format!("Hi {k}"),
                text_ar: format!("أهلاً {k}"),
            })
            .collect(),
        metric: Metric::Replied,
        traffic,
        status: Status::Running,
        winner: None,
        created_at: DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap_or_default(),
        stopped_at: None,
    }
}

fn counts(rows: &[(&str, u64, u64)]) -> Vec<VariantCounts> {
    rows.iter()
        .map(|(k, n, x)| VariantCounts {
            key: (*k).to_owned(),
            exposures: *n,
            conversions: *x,
        })
        .collect()
}

#[test]
fn normal_distribution_matches_tables() {
    // Φ and Φ⁻¹ at the values every statistics table prints.
    assert!(close(normal_cdf(0.0), 0.5, 1e-7));
    assert!(close(normal_cdf(1.96), 0.975_002_1, 1e-6));
    assert!(close(normal_cdf(-1.0), 0.158_655_3, 1e-6));
    assert!(close(normal_quantile(0.975), 1.959_964, 1e-6));
    assert!(close(normal_quantile(0.8), 0.841_621_2, 1e-6));
    assert!(close(normal_quantile(0.995), 2.575_829_3, 1e-6));
    assert!(close(normal_quantile(0.01), -2.326_347_9, 1e-6));
}

#[test]
fn wilson_intervals_match_newcombe_1998() {
    // Newcombe, "Two-sided confidence intervals for the single proportion", Stat Med 1998,
    // Table I, method 3 (score interval without continuity correction).
    for (x, n, low, high) in [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ] {
        let (l, h) = wilson_interval(x, n, 0.05);
        assert!(
            close(l, low, 5e-5) && close(h, high, 5e-5),
            "{x}/{n}: {l} {h}"
        );
    }
    assert_eq!(wilson_interval(0, 0, 0.05), (0.0, 1.0));
}

#[test]
fn z_test_matches_the_chi_square_test() {
    // R: prop.test(c(15, 25), c(50, 50), correct = FALSE) gives X-squared = 4.1667, p = 0.04123;
    // the pooled z statistic squared is that chi-square.
    let (z, p) = two_proportion_z_test(15, 50, 25, 50).unwrap_or_default();
    assert!(close(z * z, 4.1667, 1e-4), "{z}");
    assert!(close(p, 0.04123, 1e-5), "{p}");
    assert!(z > 0.0, "the second rate is higher");
    let (z_back, p_back) = two_proportion_z_test(25, 50, 15, 50).unwrap_or_default();
    assert!(close(z_back, -z, 1e-12) && close(p_back, p, 1e-12));
    assert_eq!(two_proportion_z_test(0, 10, 0, 10), None);
    assert_eq!(two_proportion_z_test(1, 0, 1, 10), None);
}

#[test]
fn horizon_follows_lehrs_rule() {
    // Lehr's rule: n ≈ 16 p q / δ² per group at α = 0.05 and 80% power; with p q = 1/4 and
    // δ = 0.1 the exact form (1.95996 + 0.84162)² · 0.5 / 0.01 = 392.4 leads, rounded up.
    assert_eq!(sample_size_per_variant(0.10, 0.05, 0.8), 393);
    assert_eq!(sample_size_per_variant(0.05, 0.05, 0.8), 1570);
    // A stricter level (Bonferroni over two comparisons) needs more leads.
    assert!(sample_size_per_variant(0.10, 0.025, 0.8) > 393);
    assert_eq!(sample_size_per_variant(0.0, 0.05, 0.8), u64::MAX);
}

#[test]
fn no_verdict_before_the_horizon_however_large_the_gap() {
    let e = experiment(&["a", "b"], 1.0);
    // 10% vs 60% after 100 leads each is "significant" at a glance; the horizon is not reached.
    let r = results(&e, &counts(&[("a", 100, 10), ("b", 100, 60)]));
    assert_eq!(r.horizon_per_variant, 393);
    assert_eq!(r.verdict, Verdict::NoWinnerYet { more_leads: 586 });
    assert_eq!(
        r.verdict.text(),
        "no winner yet, about 586 more leads needed"
    );
    assert!(r.variants[1].p_value.unwrap_or(1.0) < 0.001);
    // Half the traffic: twice the leads.
    let half = results(&experiment(&["a", "b"], 0.5), &counts(&[("a", 100, 10)]));
    assert_eq!(half.verdict, Verdict::NoWinnerYet { more_leads: 1372 });
}

#[test]
fn verdict_at_the_horizon() {
    let e = experiment(&["a", "b"], 1.0);
    let r = results(&e, &counts(&[("a", 400, 80), ("b", 400, 120)]));
    match &r.verdict {
        Verdict::Winner { key, p_value } => {
            assert_eq!(key, "b");
            assert!(*p_value < 0.01);
        }
        other => panic!("expected a winner, got {other:?}"),
    }
    assert!(r.verdict.text().starts_with("B better (p = "));
    let worse = results(&e, &counts(&[("a", 400, 120), ("b", 400, 80)]));
    assert!(matches!(&worse.verdict, Verdict::Winner { key, .. } if key == "a"));
    let same = results(&e, &counts(&[("a", 400, 100), ("b", 400, 104)]));
    assert!(matches!(same.verdict, Verdict::NoDifference { .. }));
    assert!(
        same.verdict
            .text()
            .starts_with("no difference found (p = 0.")
    );
}

#[test]
fn three_variants_split_the_level() {
    let e = experiment(&["a", "b", "c"], 1.0);
    let r = results(&e, &counts(&[("a", 10, 1)]));
    assert!(close(r.alpha_per_comparison, 0.025, 1e-12));
    assert!(r.horizon_per_variant > 393);
    assert_eq!(r.variants.len(), 3);
    assert_eq!(r.variants[2].exposures, 0);
    assert_eq!(r.variants[2].rate, None);
}

#[test]
fn targets_and_metrics_round_trip() {
    for name in [
        "greeting",
        "prompt",
        "question:service",
        "question:budget",
        "question:timeline",
        "question:decision_maker",
        "question:location",
    ] {
        assert_eq!(Target::parse(name).map(|t| t.name()).as_deref(), Some(name));
    }
    assert_eq!(Target::parse("question:colour"), None);
    assert_eq!(Target::parse("greetings"), None);
    for m in [Metric::Replied, Metric::Qualified, Metric::Booked] {
        assert_eq!(Metric::parse(m.as_str()), Some(m));
    }
}

proptest! {
    #[test]
    fn assignment_is_stable(exp in any::<u128>(), lead in any::<u128>(), traffic in 0.05f64..=1.0) {
        let mut e = experiment(&["a", "b", "c"], traffic);
        e.id = ExperimentId::from_uuid(Uuid::from_u128(exp));
        let lead = LeadId::from_uuid(Uuid::from_u128(lead));
        let first = assign(&e, lead);
        // Another instance, after a restart: a copy with other names and times agrees.
        let mut copy = e.clone();
        copy.name = "renamed".into();
        copy.created_at += chrono::Duration::days(3);
        prop_assert_eq!(first, assign(&copy, lead));
        prop_assert_eq!(first, assign(&e, lead));
        if let Some(i) = first {
            prop_assert!(i < 3);
        }
    }

    #[test]
    fn assignment_is_balanced(exp in any::<u128>(), seed in any::<u64>(), variants in 2usize..=5) {
        let keys = ["a", "b", "c", "d", "e"];
        let mut e = experiment(&keys[..variants], 1.0);
        e.id = ExperimentId::from_uuid(Uuid::from_u128(exp));
        let n = 6_000u64;
        let mut seen = vec![0u64; variants];
        for i in 0..n {
            let lead = LeadId::from_uuid(Uuid::from_u128(u128::from(seed) << 64 | u128::from(i)));
            if let Some(v) = assign(&e, lead) {
                seen[v] += 1;
            }
        }
        prop_assert_eq!(seen.iter().sum::<u64>(), n);
        let expected = n as f64 / variants as f64;
        for count in seen {
            // Five standard deviations of a binomial share: fails by chance about once in 10^6.
            let sd = (n as f64 * (1.0 / variants as f64) * (1.0 - 1.0 / variants as f64)).sqrt();
            prop_assert!((count as f64 - expected).abs() < 5.0 * sd, "{} vs {}", count, expected);
        }
    }

    #[test]
    fn traffic_share_is_respected(exp in any::<u128>(), traffic in 0.1f64..0.9) {
        let mut e = experiment(&["a", "b"], traffic);
        e.id = ExperimentId::from_uuid(Uuid::from_u128(exp));
        let n = 5_000u64;
        let enrolled = (0..n)
            .filter(|i| assign(&e, LeadId::from_uuid(Uuid::from_u128(u128::from(*i) + 7))).is_some())
            .count() as f64;
        let sd = (n as f64 * traffic * (1.0 - traffic)).sqrt();
        prop_assert!((enrolled - n as f64 * traffic).abs() < 5.0 * sd);
    }
}
