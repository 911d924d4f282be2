//! The SLA clock: evaluating one ticket whose timeline has 5 pauses.
//!
//! Workload: the `docs/examples/sla` calendar (Monday–Friday 09:00–17:30
//! Europe/London with the England and Wales bank holidays of 2025–2027 plus
//! 24 and 31 December) and resolution definition (goals per priority, two of
//! them in working days; pause on hold for the caller or a vendor; warnings
//! at 50, 75 and 90 %), and the same definition with every goal in business
//! hours; 4,000 tickets opened at instants uniform over 2025–2026 at
//! one-second resolution, each with 15 or 16 events: created, work started,
//! 5 × (on hold, resumed) with gaps of 0–2 days, a priority change and, for
//! half of them, the resolution; evaluated one day after the last event. A
//! same-run timing over every ticket prints the median and p99 per
//! evaluation (goal: median ≤ 1 µs), then criterion measures the same,
//! cycling through the tickets (cold caches), plus `explain`, compiling a
//! definition and a compliance report over every evaluation.
//!
//! Run: `cargo bench -p itsm-benches --bench sla_clock`

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use itsm_core::{Priority, RecordKind, StateCategory, Timeline, TimelineChange, TimelineEvent};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, ComplianceReport,
    DurationSpec, SlaDefinition, evaluate, explain,
};

const TICKETS: usize = 4_000;
const CALENDAR: &str = include_str!("../../docs/examples/sla/uk-office.calendar.json");
const DEFINITION: &str = include_str!("../../docs/examples/sla/incident-resolution.sla.json");

/// A small deterministic generator (SplitMix64), so every run sees the same inputs.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> i64 {
        i64::try_from(self.next() % n).unwrap_or(0)
    }
}

fn state(
    from: &str,
    from_category: StateCategory,
    to: &str,
    to_category: StateCategory,
    reason: Option<&str>,
) -> TimelineChange {
    TimelineChange::StateChanged {
        from: from.into(),
        from_category,
        to: to.into(),
        to_category,
        reason: reason.map(str::to_owned),
    }
}

/// One ticket with 5 pauses; returns the timeline and the evaluation instant.
fn ticket(rng: &mut SplitMix) -> (Timeline, DateTime<Utc>) {
    let start = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let mut at = start + chrono::Duration::seconds(rng.below(2 * 365 * 86_400));
    let priority = Priority::ALL[usize::try_from(rng.below(4)).unwrap_or(0)];
    let mut events = vec![TimelineEvent {
        at,
        actor: None,
        change: TimelineChange::Created {
            record_kind: RecordKind::Incident,
            state: "new".into(),
            category: StateCategory::New,
            priority: Some(priority),
            assignment_group: None,
            assignee: None,
        },
    }];
    let mut push = |at: DateTime<Utc>, change| {
        events.push(TimelineEvent {
            at,
            actor: None,
            change,
        })
    };
    at += chrono::Duration::seconds(rng.below(4 * 3600));
    push(
        at,
        state(
            "new",
            StateCategory::New,
            "in_progress",
            StateCategory::Open,
            None,
        ),
    );
    for i in 0..5 {
        at += chrono::Duration::seconds(rng.below(2 * 86_400));
        let reason = if i % 2 == 0 {
            "awaiting_caller"
        } else {
            "awaiting_vendor"
        };
        push(
            at,
            state(
                "in_progress",
                StateCategory::Open,
                "on_hold",
                StateCategory::Paused,
                Some(reason),
            ),
        );
        at += chrono::Duration::seconds(rng.below(2 * 86_400));
        push(
            at,
            state(
                "on_hold",
                StateCategory::Paused,
                "in_progress",
                StateCategory::Open,
                None,
            ),
        );
    }
    at += chrono::Duration::seconds(rng.below(86_400));
    let to = Priority::ALL[usize::try_from(rng.below(4)).unwrap_or(0)];
    push(
        at,
        TimelineChange::PriorityChanged {
            from: Some(priority),
            to,
        },
    );
    if rng.below(2) == 0 {
        at += chrono::Duration::seconds(rng.below(86_400));
        push(
            at,
            state(
                "in_progress",
                StateCategory::Open,
                "resolved",
                StateCategory::Resolved,
                None,
            ),
        );
    }
    (Timeline { events }, at + chrono::Duration::days(1))
}

struct Setup {
    calendar: CompiledCalendar,
    /// The example definition: P3 and P4 goals in working days.
    sla: CompiledSla,
    /// The same definition with every goal in business hours (4, 8, 24, 40).
    hours: CompiledSla,
    tickets: Vec<(Timeline, DateTime<Utc>)>,
}

fn setup() -> Setup {
    let calendar =
        CompiledCalendar::new(&BusinessCalendar::from_json(CALENDAR).expect("calendar json"))
            .expect("calendar");
    let sla = CompiledSla::new(&SlaDefinition::from_json(DEFINITION).expect("definition json"))
        .expect("definition");
    let mut definition = sla.definition().clone();
    for (goal, hours) in definition.goals.iter_mut().zip([4, 8, 24, 40]) {
        goal.duration = Some(DurationSpec::BusinessTime {
            seconds: BusinessDuration::from_hours(hours),
        });
    }
    let hours = CompiledSla::new(&definition).expect("definition in hours");
    let mut rng = SplitMix(0x5EED_5EED);
    let tickets = (0..TICKETS).map(|_| ticket(&mut rng)).collect();
    Setup {
        calendar,
        sla,
        hours,
        tickets,
    }
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// Times every ticket (32 evaluations each, warm, to rise above the
/// timer's resolution) and prints the median and p99 per evaluation.
fn same_run_timing(label: &str, sla: &CompiledSla, s: &Setup) {
    const REPEAT: u32 = 32;
    let mut per_call = Vec::with_capacity(s.tickets.len());
    let mut cycles = 0usize;
    let mut breached = 0usize;
    for (timeline, now) in &s.tickets {
        let result = evaluate(sla, &s.calendar, timeline, *now).expect("evaluate");
        cycles += result.cycles.len();
        breached += result.cycles.iter().filter(|c| c.breached).count();
        let begin = Instant::now();
        for _ in 0..REPEAT {
            black_box(evaluate(black_box(sla), &s.calendar, black_box(timeline), *now).ok());
        }
        per_call.push(begin.elapsed() / REPEAT);
    }
    per_call.sort_unstable();
    println!(
        "sla_clock same-run [{label}]: evaluate, 16 events incl. 5 pauses, {} tickets ({cycles} cycles, {breached} breached): median {:?}, p99 {:?} per evaluation (goal <= 1 us)",
        s.tickets.len(),
        percentile(&per_call, 50),
        percentile(&per_call, 99),
    );
}

fn bench(c: &mut Criterion) {
    let s = setup();
    same_run_timing("goals in business hours", &s.hours, &s);
    same_run_timing(
        "example definition, P3/P4 goals in working days",
        &s.sla,
        &s,
    );
    for (name, sla) in [
        ("evaluate_5_pauses_hours", &s.hours),
        ("evaluate_5_pauses_working_days", &s.sla),
    ] {
        let mut i = 0;
        c.bench_function(&format!("sla_clock/{name}"), |b| {
            b.iter(|| {
                let (timeline, now) = &s.tickets[i % s.tickets.len()];
                i += 1;
                black_box(evaluate(sla, &s.calendar, black_box(timeline), *now).ok())
            });
        });
    }
    let mut j = 0;
    c.bench_function("sla_clock/explain_5_pauses", |b| {
        b.iter(|| {
            let (timeline, now) = &s.tickets[j % s.tickets.len()];
            j += 1;
            black_box(explain(&s.sla, &s.calendar, black_box(timeline), *now).ok())
        });
    });
    c.bench_function("sla_clock/compile_definition", |b| {
        let definition = s.sla.definition().clone();
        b.iter(|| black_box(CompiledSla::new(black_box(&definition)).ok()));
    });
    let evaluations: Vec<_> = s
        .tickets
        .iter()
        .map(|(timeline, now)| evaluate(&s.sla, &s.calendar, timeline, *now).expect("evaluate"))
        .collect();
    c.bench_function("sla_clock/compliance_4k_tickets", |b| {
        b.iter(|| black_box(ComplianceReport::from_evaluations(black_box(&evaluations))));
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
