use super::*;
use crate::hours::parse_timezone;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

#[test]
fn percentiles_by_nearest_rank() {
    let p = Percentiles::of((1..=100).rev().collect());
    assert_eq!(
        (p.count, p.p50, p.p90, p.p99, p.max),
        (100, Some(50), Some(90), Some(99), Some(100))
    );
    let small = Percentiles::of(vec![7, 3]);
    assert_eq!(
        (small.p50, small.p90, small.max),
        (Some(3), Some(7), Some(7))
    );
    let none = Percentiles::of(Vec::new());
    assert_eq!((none.count, none.p50, none.max), (0, None, None));
}

#[test]
fn query_defaults_and_errors() {
    let today = day("2026-12-05");
    let q = AnalyticsQuery::parse(None, None, None, today).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (q.from, q.to, q.group_by),
        (day("2026-11-06"), today, GroupBy::Day)
    );
    let q = AnalyticsQuery::parse(Some("2026-01-01"), Some("2026-01-31"), Some("week"), today)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(q.group_by, GroupBy::Week);
    for (from, to, group) in [
        (Some("2026-02-01"), Some("2026-01-31"), None),
        (Some("yesterday"), None, None),
        (None, None, Some("month")),
        (Some("2024-01-01"), Some("2026-01-01"), None),
    ] {
        assert!(
            AnalyticsQuery::parse(from, to, group, today).is_err(),
            "{from:?} {to:?} {group:?}"
        );
    }
}

#[test]
fn window_is_local_midnight_to_midnight() {
    let tz = parse_timezone("Asia/Riyadh").unwrap_or(Tz::UTC);
    let q = AnalyticsQuery {
        from: day("2026-12-01"),
        to: day("2026-12-01"),
        group_by: GroupBy::Day,
    };
    assert_eq!(
        q.window(tz),
        (at("2026-11-30T21:00:00Z"), at("2026-12-01T21:00:00Z"))
    );
}

fn lead(created: &str, source: Channel, score: Score, states: &[LeadState]) -> LeadFact {
    LeadFact {
        created_at: at(created),
        count: 1,
        source,
        score,
        reached: states
            .iter()
            .fold(StateSet::default().with(LeadState::New), |s, x| s.with(*x)),
        not_interested: false,
    }
}

#[test]
fn summary_counts_rates_groups_and_costs() {
    let tz = parse_timezone("Asia/Riyadh").unwrap_or(Tz::UTC);
    let hours = BusinessHours::closed(tz);
    let facts = AnalyticsFacts {
        leads: vec![
            lead(
                "2026-12-01T06:00:00Z",
                Channel::Sms,
                Score::Hot,
                &[LeadState::Qualified],
            ),
            // 22:30 UTC is the next local day in Riyadh.
            lead(
                "2026-12-01T22:30:00Z",
                Channel::WebForm,
                Score::Cold,
                &[LeadState::Disqualified],
            ),
            lead(
                "2026-12-02T08:00:00Z",
                Channel::WebForm,
                Score::Warm,
                &[
                    LeadState::Qualified,
                    LeadState::AppointmentBooked,
                    LeadState::HandedOff,
                ],
            ),
        ],
        responses: vec![ResponseFact {
            channel: Channel::Whatsapp,
            source: Channel::Sms,
            reached: StateSet::default().with(LeadState::Qualified),
            first_inbound: at("2026-12-01T06:00:00Z"),
            first_reply: Some(at("2026-12-01T06:00:45Z")),
        }],
        escalations: vec![("high_value".into(), 1), ("human_requested".into(), 4)],
        failures: vec![(Channel::Sms, "21610".into(), 2)],
        usage: UsageTotals {
            calls: 6,
            tokens_in: 600,
            tokens_out: 60,
            cost_usd: 0.3,
        },
    };
    let q = AnalyticsQuery {
        from: day("2026-12-01"),
        to: day("2026-12-02"),
        group_by: GroupBy::Day,
    };
    let r = summarize(&facts, &q, &hours);
    assert_eq!(r.leads, 3);
    let keys: Vec<(&str, u64)> = r.groups.iter().map(|g| (g.key.as_str(), g.leads)).collect();
    assert_eq!(keys, vec![("2026-12-01", 1), ("2026-12-02", 2)]);
    assert_eq!(r.groups[0].response.p50, Some(45));
    let qualified = r
        .funnel
        .iter()
        .find(|f| f.key == "QUALIFIED")
        .map(|f| (f.count, f.rate));
    assert_eq!(qualified, Some((2, Some(2.0 / 3.0))));
    assert_eq!(r.speed_by_channel.len(), 2);
    assert_eq!(r.speed_by_channel[1].key, "whatsapp");
    // Always closed: every first message is outside business hours.
    assert_eq!(
        (
            r.speed_by_hours[0].answered.count,
            r.speed_by_hours[1].answered.count
        ),
        (0, 1)
    );
    assert_eq!(r.escalations[0].key, "human_requested");
    for (actual, expected) in [
        (r.cost.per_lead, 0.1),
        (r.cost.per_qualified, 0.15),
        (r.cost.per_booking, 0.3),
    ] {
        assert!(
            actual.is_some_and(|a| (a - expected).abs() < 1e-12),
            "{actual:?}"
        );
    }
    let scores: Vec<(&str, u64, u64, u64)> = r
        .scores
        .iter()
        .map(|s| (s.period.as_str(), s.hot, s.warm, s.cold))
        .collect();
    assert_eq!(
        scores,
        vec![("2026-12-01", 1, 0, 0), ("2026-12-02", 0, 1, 1)]
    );

    let weekly = summarize(
        &facts,
        &AnalyticsQuery {
            group_by: GroupBy::Week,
            ..q
        },
        &hours,
    );
    assert_eq!(weekly.groups.len(), 1);
    assert_eq!(weekly.groups[0].key, "2026-W49");
    let channels = summarize(
        &facts,
        &AnalyticsQuery {
            group_by: GroupBy::Channel,
            ..q
        },
        &hours,
    );
    assert_eq!(
        channels
            .groups
            .iter()
            .map(|g| (g.key.as_str(), g.leads, g.qualified))
            .collect::<Vec<_>>(),
        vec![("whatsapp", 1, 1)]
    );
}

#[test]
fn empty_range_has_no_rates() {
    let hours = BusinessHours::closed(Tz::UTC);
    let q = AnalyticsQuery {
        from: day("2026-12-01"),
        to: day("2026-12-01"),
        group_by: GroupBy::Source,
    };
    let r = summarize(&AnalyticsFacts::default(), &q, &hours);
    assert_eq!(r.leads, 0);
    assert!(r.funnel.iter().all(|f| f.rate.is_none()));
    assert_eq!(r.cost.per_lead, None);
    assert_eq!(r.speed_by_channel[0].answered.p50, None);
}

#[test]
fn utc_offsets_split_the_range_at_each_daylight_saving_change() {
    let berlin = parse_timezone("Europe/Berlin").unwrap_or(Tz::UTC);
    let pieces = utc_offsets(
        berlin,
        at("2026-01-01T00:00:00Z"),
        at("2027-01-01T00:00:00Z"),
    );
    assert_eq!(
        pieces,
        vec![
            (at("2026-01-01T00:00:00Z"), 3600),
            (at("2026-03-29T01:00:00Z"), 7200),
            (at("2026-10-25T01:00:00Z"), 3600),
        ]
    );
    let riyadh = parse_timezone("Asia/Riyadh").unwrap_or(Tz::UTC);
    assert_eq!(
        utc_offsets(
            riyadh,
            at("2026-01-01T00:00:00Z"),
            at("2027-01-01T00:00:00Z")
        ),
        vec![(at("2026-01-01T00:00:00Z"), 10800)]
    );
}

#[test]
fn precomputed_opening_intervals_agree_with_the_hours() {
    let json = r#"{"timezone":"Europe/Berlin","days":{"monday":{"start":"09:00","end":"18:00"},"tuesday":{"start":"22:00","end":"02:00"},"friday":[{"start":"09:00","end":"12:00"},{"start":"16:00","end":"24:00"}],"saturday":{"start":"00:00","end":"03:00"}},"holidays":["2026-03-27"]}"#;
    let hours: BusinessHours = serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}"));
    let q = AnalyticsQuery {
        from: day("2026-03-01"),
        to: day("2026-04-30"),
        group_by: GroupBy::Day,
    };
    let open = OpenIntervals::new(&hours, &q);
    // Every 7 minutes from well before the range to well after it, across the spring change.
    let mut t = at("2026-02-01T00:00:00Z");
    let mut checked = 0;
    while t < at("2026-06-01T00:00:00Z") {
        assert_eq!(open.is_open(t), hours.is_open(t), "{t}");
        t += Duration::minutes(7);
        checked += 1;
    }
    assert!(checked > 20_000);
}

#[test]
fn grouped_leads_count_with_their_weight() {
    let tz = parse_timezone("Asia/Riyadh").unwrap_or(Tz::UTC);
    let hours = BusinessHours::closed(tz);
    let mut many = lead(
        "2026-12-01T06:00:00Z",
        Channel::Sms,
        Score::Hot,
        &[LeadState::Qualified],
    );
    many.count = 40;
    let mut more = lead("2026-12-01T07:00:00Z", Channel::Sms, Score::Cold, &[]);
    more.count = 60;
    more.not_interested = true;
    let facts = AnalyticsFacts {
        leads: vec![many, more],
        ..AnalyticsFacts::default()
    };
    let q = AnalyticsQuery {
        from: day("2026-12-01"),
        to: day("2026-12-01"),
        group_by: GroupBy::Day,
    };
    let r = summarize(&facts, &q, &hours);
    assert_eq!(r.leads, 100);
    let qualified = r
        .funnel
        .iter()
        .find(|f| f.key == "QUALIFIED")
        .map(|f| (f.count, f.of));
    assert_eq!(qualified, Some((40, 100)));
    let not_interested = r.funnel.iter().find(|f| f.key == "not_interested");
    assert_eq!(not_interested.map(|f| f.count), Some(60));
    assert_eq!(
        r.groups
            .iter()
            .map(|g| (g.key.as_str(), g.leads, g.qualified))
            .collect::<Vec<_>>(),
        vec![("2026-12-01", 100, 40)]
    );
    assert_eq!((r.scores[0].hot, r.scores[0].cold), (40, 60));
    assert_eq!(r.cost.qualified, 40);
}
