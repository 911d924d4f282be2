//! Business-time arithmetic: `itsm-sla` against `workclock` on the same
//! inputs in the same run.
//!
//! Workload: Monday–Friday 09:00–17:30 Europe/London with the England and
//! Wales bank holidays of 2025–2027 plus 24 and 31 December; 1,000,000 start
//! instants uniform over 2025–2026 at one-second resolution; `add` of K
//! business hours for K in {4, 8, 40, 200}; `between` for pairs whose span is
//! uniform in 0–30 days. Before measuring, both libraries run on every input
//! and must agree; then a same-run timing over all inputs prints medians,
//! p99s and ratios, and criterion measures each operation.
//!
//! Run: `cargo bench -p itsm-benches --bench business_time`

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::fmt::Debug;
use std::hint::black_box;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, Holiday, WeekSchedule, WorkingInterval,
};
use workclock::{Holidays, Schedule, Weekdays, WorkDay};

const N: usize = 1_000_000;
const HOURS: [u64; 4] = [4, 8, 40, 200];

/// England and Wales bank holidays 2025–2027, plus 24 and 31 December.
const HOLIDAYS: &[&str] = &[
    "2025-01-01",
    "2025-04-18",
    "2025-04-21",
    "2025-05-05",
    "2025-05-26",
    "2025-08-25",
    "2025-12-25",
    "2025-12-26",
    "2026-01-01",
    "2026-04-03",
    "2026-04-06",
    "2026-05-04",
    "2026-05-25",
    "2026-08-31",
    "2026-12-25",
    "2026-12-28",
    "2027-01-01",
    "2027-03-26",
    "2027-03-29",
    "2027-05-03",
    "2027-05-31",
    "2027-08-30",
    "2027-12-27",
    "2027-12-28",
    "2025-12-24",
    "2025-12-31",
    "2026-12-24",
    "2026-12-31",
    "2027-12-24",
    "2027-12-31",
];

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

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn ours() -> CompiledCalendar {
    let mut calendar = BusinessCalendar::always("uk-office");
    calendar.time_zone = "Europe/London".to_owned();
    calendar.week = WeekSchedule::monday_to_friday(&[WorkingInterval::new("09:00", "17:30")]);
    calendar.holidays = HOLIDAYS
        .iter()
        .map(|d| Holiday {
            date: NaiveDate::from_str(d).expect("holiday date"),
            name: (*d).to_owned(),
            closed: Vec::new(),
        })
        .collect();
    CompiledCalendar::new(&calendar).expect("calendar")
}

fn theirs() -> Schedule {
    let dates: Vec<_> = HOLIDAYS
        .iter()
        .map(|d| d.parse().expect("jiff date"))
        .collect();
    Schedule::builder()
        .time_zone("Europe/London")
        .rule(WorkDay::new(
            "09:00".parse().expect("jiff time"),
            "17:30".parse().expect("jiff time"),
            Weekdays::MON_TO_FRI,
        ))
        .rule(Holidays::new(dates))
        .build()
        .expect("workclock schedule")
}

/// Pins the closure's types to those of `workclock::Schedule::add` (jiff's
/// `Timestamp` and `SignedDuration`), which this package cannot name: jiff is
/// not one of its dependencies.
fn typed<T, D, E>(f: impl Fn(T, D) -> Result<T, E>) -> impl Fn(T, D) -> Result<T, E> {
    f
}

fn parse_instant<T: FromStr, D, E>(_: &impl Fn(T, D) -> Result<T, E>, text: &str) -> T
where
    T::Err: Debug,
{
    text.parse().expect("jiff timestamp")
}

fn parse_duration<T, D: FromStr, E>(_: &impl Fn(T, D) -> Result<T, E>, text: &str) -> D
where
    D::Err: Debug,
{
    text.parse().expect("jiff signed duration")
}

struct Inputs {
    starts: Vec<DateTime<Utc>>,
    ends: Vec<DateTime<Utc>>,
}

fn inputs() -> Inputs {
    let lo = DateTime::parse_from_rfc3339("2025-01-01T00:00:00Z")
        .expect("instant")
        .timestamp();
    let hi = DateTime::parse_from_rfc3339("2027-01-01T00:00:00Z")
        .expect("instant")
        .timestamp();
    let mut rng = SplitMix(0x5EED_2025);
    let mut starts = Vec::with_capacity(N);
    let mut ends = Vec::with_capacity(N);
    for _ in 0..N {
        let s = lo + rng.below((hi - lo) as u64) as i64;
        let span = rng.below(30 * 86_400 + 1) as i64;
        starts.push(DateTime::from_timestamp(s, 0).expect("instant"));
        ends.push(DateTime::from_timestamp(s + span, 0).expect("instant"));
    }
    Inputs { starts, ends }
}

/// Median and 99th percentile of per-operation times, from batches of 1,000 operations.
fn per_op(mut f: impl FnMut(usize), n: usize) -> (f64, f64) {
    const BATCH: usize = 1_000;
    let mut samples: Vec<f64> = Vec::with_capacity(n / BATCH);
    for batch in 0..n / BATCH {
        let started = Instant::now();
        for i in batch * BATCH..(batch + 1) * BATCH {
            f(i);
        }
        samples.push(started.elapsed().as_nanos() as f64 / BATCH as f64);
    }
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}

fn same_run_comparison(cal: &CompiledCalendar, schedule: &Schedule, inputs: &Inputs) {
    let wc_add = typed(|t, d| schedule.add(t, d));
    let wc_starts: Vec<_> = inputs
        .starts
        .iter()
        .map(|t| parse_instant(&wc_add, &t.to_rfc3339()))
        .collect();
    let wc_ends: Vec<_> = inputs
        .ends
        .iter()
        .map(|t| parse_instant(&wc_add, &t.to_rfc3339()))
        .collect();

    // Agreement on every input.
    let mut disagreements = 0usize;
    for &k in &HOURS {
        let d = BusinessDuration::from_hours(k);
        let wd = parse_duration(&wc_add, &format!("PT{k}H"));
        for (start, wc_start) in inputs.starts.iter().zip(&wc_starts) {
            let mine = cal.add(*start, d).expect("itsm add").timestamp();
            let theirs = wc_add(*wc_start, wd).expect("workclock add").as_second();
            if mine != theirs {
                disagreements += 1;
                if disagreements <= 5 {
                    eprintln!("add {k}h from {start}: itsm {mine}, workclock {theirs}");
                }
            }
        }
    }
    for i in 0..N {
        let mine = cal
            .between(inputs.starts[i], inputs.ends[i])
            .expect("itsm between")
            .as_secs() as i64;
        let theirs = schedule.between(wc_starts[i], wc_ends[i]).as_secs();
        if mine != theirs {
            disagreements += 1;
            if disagreements <= 5 {
                eprintln!(
                    "between {} and {}: itsm {mine}, workclock {theirs}",
                    inputs.starts[i], inputs.ends[i]
                );
            }
        }
    }
    assert_eq!(disagreements, 0, "itsm-sla and workclock disagree");
    println!(
        "agreement: itsm-sla and workclock agree on all {} adds and {N} betweens",
        N * HOURS.len()
    );

    println!("| operation | itsm-sla median (p99) | workclock median (p99) | ratio of medians |");
    println!("|---|---|---|---|");
    for &k in &HOURS {
        let d = BusinessDuration::from_hours(k);
        let wd = parse_duration(&wc_add, &format!("PT{k}H"));
        let (m, m99) = per_op(
            |i| _ = black_box(cal.add(black_box(inputs.starts[i]), d)),
            N,
        );
        let (w, w99) = per_op(|i| _ = black_box(wc_add(black_box(wc_starts[i]), wd)), N);
        println!(
            "| add {k} h | {m:.1} ns ({m99:.1}) | {w:.1} ns ({w99:.1}) | {:.1}x |",
            w / m
        );
    }
    let (m, m99) = per_op(
        |i| _ = black_box(cal.between(black_box(inputs.starts[i]), black_box(inputs.ends[i]))),
        N,
    );
    let (w, w99) = per_op(
        |i| _ = black_box(schedule.between(black_box(wc_starts[i]), black_box(wc_ends[i]))),
        N,
    );
    println!(
        "| between (0-30 days) | {m:.1} ns ({m99:.1}) | {w:.1} ns ({w99:.1}) | {:.1}x |",
        w / m
    );
    let started = Instant::now();
    let compiled = black_box(ours());
    println!(
        "compiling the calendar: {:?} ({})",
        started.elapsed(),
        compiled.name()
    );
}

fn business_time(c: &mut Criterion) {
    let cal = ours();
    let schedule = theirs();
    let inputs = inputs();
    same_run_comparison(&cal, &schedule, &inputs);

    let wc_add = typed(|t, d| schedule.add(t, d));
    let wc_starts: Vec<_> = inputs
        .starts
        .iter()
        .map(|t| parse_instant(&wc_add, &t.to_rfc3339()))
        .collect();
    let wc_ends: Vec<_> = inputs
        .ends
        .iter()
        .map(|t| parse_instant(&wc_add, &t.to_rfc3339()))
        .collect();

    for &k in &HOURS {
        let mut group = c.benchmark_group(format!("business_time/add_{k}h"));
        let d = BusinessDuration::from_hours(k);
        let wd = parse_duration(&wc_add, &format!("PT{k}H"));
        let mut i = 0;
        group.bench_function("itsm_sla", |b| {
            b.iter(|| {
                i = (i + 1) % N;
                cal.add(black_box(inputs.starts[i]), d)
            })
        });
        let mut i = 0;
        group.bench_function("workclock", |b| {
            b.iter(|| {
                i = (i + 1) % N;
                wc_add(black_box(wc_starts[i]), wd)
            })
        });
        group.finish();
    }
    let mut group = c.benchmark_group("business_time/between");
    let mut i = 0;
    group.bench_function("itsm_sla", |b| {
        b.iter(|| {
            i = (i + 1) % N;
            cal.between(black_box(inputs.starts[i]), black_box(inputs.ends[i]))
        })
    });
    let mut i = 0;
    group.bench_function("workclock", |b| {
        b.iter(|| {
            i = (i + 1) % N;
            schedule.between(black_box(wc_starts[i]), black_box(wc_ends[i]))
        })
    });
    group.finish();
    c.bench_function("business_time/compile_calendar", |b| b.iter(ours));
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    targets = business_time
}
criterion_main!(benches);
