//! The compliance report, checked against an independent computation over
//! random evaluations, and on one hand-made table.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::Priority;
use itsm_sla::{
    BusinessDuration, ComplianceReport, ComplianceRow, DurationStats, SlaCycle, SlaEvaluation,
    SlaKind, SlaStage, SlaTarget,
};
use proptest::prelude::*;

/// Count, mean, median and 90th percentile.
type Stats = (usize, f64, f64, u64);
/// Met, breached, business-time and actual-time statistics.
type Expected = (usize, usize, Option<Stats>, Option<Stats>);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn cycle(
    stage: SlaStage,
    breached: bool,
    priority: Option<Priority>,
    business: u64,
    actual: u64,
) -> SlaCycle {
    let start = t0();
    SlaCycle {
        stage,
        goal: 0,
        goal_duration: BusinessDuration::from_hours(4),
        priority,
        start,
        stop: stage
            .is_final()
            .then(|| start + Duration::seconds(i64::try_from(actual).unwrap())),
        business_elapsed: BusinessDuration::from_secs(business),
        actual_elapsed_secs: actual,
        business_paused: BusinessDuration::ZERO,
        actual_paused_secs: 0,
        business_remaining: BusinessDuration::ZERO,
        percentage: 0.0,
        breached,
        due_at: start,
        original_due_at: start,
        breached_at: breached.then_some(start),
        thresholds: vec![],
        next_event_at: None,
    }
}

fn evaluation(name: &str, target: SlaTarget, cycles: Vec<SlaCycle>) -> SlaEvaluation {
    SlaEvaluation {
        definition: name.into(),
        kind: SlaKind::Sla,
        target,
        evaluated_at: t0(),
        cycles,
        next_event_at: None,
    }
}

/// Nearest-rank percentile by counting: the smallest value with at least
/// `p` % of the values at or below it.
fn percentile(values: &[u64], p: usize) -> u64 {
    *values
        .iter()
        .filter(|v| values.iter().filter(|w| w <= v).count() * 100 >= p * values.len())
        .min()
        .unwrap()
}

fn median(values: &[u64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    }
}

fn stats(values: &[u64]) -> Option<Stats> {
    if values.is_empty() {
        return None;
    }
    let mean = values.iter().sum::<u64>() as f64 / values.len() as f64;
    Some((values.len(), mean, median(values), percentile(values, 90)))
}

fn summary(s: &Option<DurationStats>) -> Option<Stats> {
    s.as_ref()
        .map(|s| (s.count, s.mean_secs, s.median_secs, s.p90_secs))
}

/// The row the report should hold for the cycles selected by `keep`.
fn expected_row(
    evaluations: &[SlaEvaluation],
    keep: impl Fn(&SlaEvaluation, &SlaCycle) -> bool,
) -> Expected {
    let mut met = 0;
    let mut breached = 0;
    let mut business = Vec::new();
    let mut actual = Vec::new();
    for e in evaluations {
        for c in e.cycles.iter().filter(|c| keep(e, c)) {
            match c.stage {
                SlaStage::Achieved => met += 1,
                SlaStage::Breached => breached += 1,
                SlaStage::InProgress | SlaStage::Paused if c.breached => breached += 1,
                _ => {}
            }
            if matches!(c.stage, SlaStage::Achieved | SlaStage::Breached) {
                business.push(c.business_elapsed.as_secs());
                actual.push(c.actual_elapsed_secs);
            }
        }
    }
    (met, breached, stats(&business), stats(&actual))
}

fn check_row(row: &ComplianceRow, expected: Expected) {
    let (met, breached, business, actual) = expected;
    assert_eq!(
        (row.met, row.breached, row.counted),
        (met, breached, met + breached),
        "{row:#?}"
    );
    let percent = (met + breached > 0).then(|| met as f64 * 100.0 / (met + breached) as f64);
    assert_eq!(row.met_percent, percent, "{row:#?}");
    let close = |a: Option<Stats>, b: Option<Stats>| match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.0 == b.0 && (a.1 - b.1).abs() < 1e-6 && a.2 == b.2 && a.3 == b.3,
        _ => false,
    };
    assert!(
        close(summary(&row.business_time), business),
        "business: {row:#?} vs {business:?}"
    );
    assert!(
        close(summary(&row.actual_time), actual),
        "actual: {row:#?} vs {actual:?}"
    );
}

fn check_report(evaluations: &[SlaEvaluation]) {
    let report = ComplianceReport::from_evaluations(evaluations);
    for row in &report.by_definition {
        let name = row.definition.clone().unwrap();
        check_row(row, expected_row(evaluations, |e, _| e.definition == name));
    }
    for row in &report.by_definition_and_priority {
        let name = row.definition.clone().unwrap();
        check_row(
            row,
            expected_row(evaluations, |e, c| {
                e.definition == name && c.priority == row.priority
            }),
        );
    }
    for row in &report.by_target {
        check_row(
            row,
            expected_row(evaluations, |e, _| e.target == row.target),
        );
    }
    // Every counted cycle appears in exactly one row of each grouping.
    let total = |rows: &[ComplianceRow]| rows.iter().map(|r| r.counted).sum::<usize>();
    let (m, b, _, _) = expected_row(evaluations, |_, _| true);
    assert_eq!(total(&report.by_definition), m + b);
    assert_eq!(total(&report.by_definition_and_priority), m + b);
    assert_eq!(total(&report.by_target), m + b);
}

#[test]
fn hand_made_table() {
    use SlaStage::*;
    let evaluations = vec![
        evaluation(
            "resolution",
            SlaTarget::Resolution,
            vec![
                cycle(Achieved, false, Some(Priority::P1), 100, 200),
                cycle(Canceled, false, Some(Priority::P1), 50, 50),
            ],
        ),
        evaluation(
            "resolution",
            SlaTarget::Resolution,
            vec![cycle(Breached, true, Some(Priority::P1), 300, 400)],
        ),
        evaluation(
            "resolution",
            SlaTarget::Resolution,
            vec![cycle(InProgress, true, Some(Priority::P2), 900, 900)],
        ),
        evaluation(
            "resolution",
            SlaTarget::Resolution,
            vec![cycle(Paused, false, Some(Priority::P2), 10, 10)],
        ),
        evaluation(
            "response",
            SlaTarget::Response,
            vec![cycle(Achieved, false, None, 60, 60)],
        ),
    ];
    let report = ComplianceReport::from_evaluations(&evaluations);
    let resolution = &report.by_definition[0];
    assert_eq!(resolution.definition.as_deref(), Some("resolution"));
    // Achieved, breached, and the running one already breached; the cancelled
    // and the paused one within its goal are not counted.
    assert_eq!(
        (resolution.counted, resolution.met, resolution.breached),
        (3, 1, 2)
    );
    let percent = resolution.met_percent.unwrap();
    assert!((percent - 100.0 / 3.0).abs() < 1e-9, "{percent}");
    let business = resolution.business_time.as_ref().unwrap();
    assert_eq!(
        (
            business.count,
            business.mean_secs,
            business.median_secs,
            business.p90_secs
        ),
        (2, 200.0, 200.0, 300)
    );
    assert_eq!(report.by_definition_and_priority.len(), 3);
    assert_eq!(
        report
            .by_target
            .iter()
            .map(|r| r.target.clone())
            .collect::<Vec<_>>(),
        vec![SlaTarget::Response, SlaTarget::Resolution]
    );
    check_report(&evaluations);
}

#[test]
fn empty_input_gives_an_empty_report() {
    let report = ComplianceReport::from_evaluations(&[]);
    assert!(
        report.by_definition.is_empty()
            && report.by_definition_and_priority.is_empty()
            && report.by_target.is_empty()
    );
    assert_eq!(DurationStats::of(&[]), None);
}

fn arb_cycle() -> impl Strategy<Value = SlaCycle> {
    let stage = prop_oneof![
        Just(SlaStage::InProgress),
        Just(SlaStage::Paused),
        Just(SlaStage::Achieved),
        Just(SlaStage::Breached),
        Just(SlaStage::Canceled)
    ];
    (
        stage,
        any::<bool>(),
        prop::option::of(0usize..6),
        0u64..100_000,
        0u64..300_000,
    )
        .prop_map(|(s, b, p, bus, act)| {
            let breached = s == SlaStage::Breached || (s != SlaStage::Achieved && b);
            cycle(s, breached, p.map(|i| Priority::ALL[i]), bus, act)
        })
}

fn arb_evaluation() -> impl Strategy<Value = SlaEvaluation> {
    let target = prop_oneof![
        Just(SlaTarget::Response),
        Just(SlaTarget::Resolution),
        Just(SlaTarget::Custom("fix".into()))
    ];
    (0usize..3, target, prop::collection::vec(arb_cycle(), 0..4))
        .prop_map(|(d, target, cycles)| evaluation(["a", "b", "c"][d], target, cycles))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn report_matches_an_independent_computation(evaluations in prop::collection::vec(arb_evaluation(), 0..40)) {
        check_report(&evaluations);
    }
}
