//! Change schedule conflicts on the CMDB bench estate: one conflict check
//! (`ConflictChecker::check`) per change, on the 1,000,000-CI estate the
//! `cmdb` bench generates.
//!
//! Run with `cargo bench -p itsm-benches --bench cmdb_schedule`. It builds
//! the estate (with its redundancy declarations, which a check ignores),
//! its `GraphIndex`, a change schedule of blackouts and maintenance windows
//! on a sample of CIs, classes and services, and a year of scheduled
//! changes; then it checks a stream of random changes (each CI drawn
//! uniformly from the estate, so mostly virtual machines, and 3 % network
//! devices), each timed once, and prints p50, p99, mean and max, the same by
//! the layer of the change's first CI, and the conflicts found; then the
//! same stream with one more blackout, on a network device (a worst case:
//! it reaches every CI of this estate); then criterion medians.
//!
//! Environment (all optional):
//! - `SCHEDULE_BENCH_SCALE`: the estate's size (default 1,000,000);
//! - `SCHEDULE_BENCH_CHECKS`: the changes checked and timed (default 4,000);
//! - `SCHEDULE_BENCH_SCHEDULED`: the other scheduled changes (default 50,000);
//! - `SCHEDULE_BENCH_CRITERION`: `0` to skip the criterion group.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use criterion::Criterion;
use itsm_benches::estate::{LAYERS, Rng, generate};
use itsm_cmdb::{
    ChangeSchedule, CmdbData, CompiledSchedule, ConflictChecker, DayOfWeek, GraphIndex,
    MonthlyWindow, OnceWindow, ScheduleWindow, ScheduledChanges, WeekOfMonth, WeeklyWindow,
    WindowTarget, WindowTime,
};
use itsm_core::{
    Change, ChangeId, ChangeState, ChangeType, CiId, NumberPrefix, PersonId, RecordNumber,
};

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn number(name: &str, default: usize) -> usize {
    env_or(name, &default.to_string())
        .replace(['_', ','], "")
        .parse()
        .unwrap_or_else(|_| panic!("{name}: a number"))
}

/// The one-minute load average, as `/proc/loadavg` gives it.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn year_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .expect("an instant")
}

/// An instant of 2026 on the quarter-hour grid.
fn some_instant(rng: &mut Rng) -> DateTime<Utc> {
    year_start() + Span::minutes(15 * rng.below(365 * 96) as i64)
}

fn once(rng: &mut Rng, min_hours: usize, max_hours: usize) -> WindowTime {
    let start = some_instant(rng);
    let hours = min_hours + rng.below(max_hours - min_hours + 1);
    WindowTime::Once(OnceWindow {
        start,
        end: start + Span::hours(hours as i64),
    })
}

fn weekly(zone: &str, days: &[DayOfWeek], start: &str, end: &str) -> WindowTime {
    WindowTime::Weekly(WeeklyWindow {
        time_zone: zone.to_owned(),
        days: days.to_vec(),
        start: start.to_owned(),
        end: end.to_owned(),
        from: None,
        until: None,
    })
}

fn monthly(zone: &str, week: WeekOfMonth, day: DayOfWeek, start: &str, end: &str) -> WindowTime {
    WindowTime::Monthly(MonthlyWindow {
        time_zone: zone.to_owned(),
        week,
        day,
        start: start.to_owned(),
        end: end.to_owned(),
        from: None,
        until: None,
    })
}

fn window(name: String, applies_to: WindowTarget, when: WindowTime) -> ScheduleWindow {
    ScheduleWindow {
        name,
        description: None,
        applies_to,
        when,
    }
}

/// `count` distinct CIs of a layer.
fn sample(rng: &mut Rng, layer: &[CiId], count: usize) -> Vec<CiId> {
    let mut picked = std::collections::HashSet::new();
    let count = count.min(layer.len());
    while picked.len() < count {
        picked.insert(layer[rng.below(layer.len())]);
    }
    let mut out: Vec<CiId> = picked.into_iter().collect();
    out.sort_unstable();
    out
}

const ZONES: [&str; 3] = ["Europe/London", "America/New_York", "Asia/Tokyo"];

/// The schedule: what a large organisation keeps (see the module's docs in
/// `benches/README.md` for the counts).
fn schedule(layers: &BTreeMap<&str, Vec<CiId>>) -> ChangeSchedule {
    use DayOfWeek::{Monday, Saturday, Sunday, Thursday, Tuesday, Wednesday};
    let mut rng = Rng(0x5C4E_D01E);
    let mut s = ChangeSchedule::default();
    let mut n = 0usize;
    let mut name = |what: &str| {
        n += 1;
        format!("{what}-{n}")
    };
    // Blackouts: freezes of a few services, applications, databases and
    // infrastructure CIs, once each in the year; a weekly market-open
    // freeze on some services; a month-end freeze of every database.
    for id in sample(&mut rng, &layers["business_service"], 200) {
        let when = once(&mut rng, 24, 120);
        s.blackouts.push(window(
            name("service-freeze"),
            WindowTarget::Service(id),
            when,
        ));
    }
    for id in sample(&mut rng, &layers["business_service"], 100) {
        let when = weekly(
            "America/New_York",
            &[Monday, Tuesday, Wednesday, Thursday, DayOfWeek::Friday],
            "09:00",
            "10:00",
        );
        s.blackouts
            .push(window(name("market-open"), WindowTarget::Service(id), when));
    }
    for (layer, count, hours) in [
        ("application", 1_000, 48),
        ("database", 500, 24),
        ("host", 300, 24),
        ("cluster", 100, 24),
        ("storage", 50, 48),
    ] {
        for id in sample(&mut rng, &layers[layer], count) {
            let when = once(&mut rng, hours / 2, hours);
            s.blackouts.push(window(
                name(&format!("{layer}-freeze")),
                WindowTarget::Ci(id),
                when,
            ));
        }
    }
    s.blackouts.push(window(
        "database-month-end".into(),
        WindowTarget::Class("database".into()),
        monthly(
            "Europe/London",
            WeekOfMonth::Last,
            DayOfWeek::Friday,
            "18:00",
            "24:00",
        ),
    ));
    // Maintenance windows: per class, on a tenth of the services (weeknights
    // in one of three zones) and on some applications.
    s.maintenance_windows.push(window(
        "vm-sunday".into(),
        WindowTarget::Class("virtual_machine".into()),
        weekly("Europe/London", &[Sunday], "02:00", "06:00"),
    ));
    s.maintenance_windows.push(window(
        "host-patch-tuesday".into(),
        WindowTarget::Class("host".into()),
        monthly(
            "Europe/London",
            WeekOfMonth::Second,
            Tuesday,
            "22:00",
            "02:00",
        ),
    ));
    s.maintenance_windows.push(window(
        "database-saturday-night".into(),
        WindowTarget::Class("database".into()),
        weekly("Europe/London", &[Saturday], "22:00", "04:00"),
    ));
    s.maintenance_windows.push(window(
        "network-sunday".into(),
        WindowTarget::Class("network_device".into()),
        weekly("UTC", &[Sunday], "00:00", "04:00"),
    ));
    let weeknights = [Monday, Tuesday, Wednesday, Thursday];
    for id in sample(&mut rng, &layers["business_service"], 2_000) {
        let zone = ZONES[rng.below(ZONES.len())];
        let first = rng.below(3);
        let days = &weeknights[first..first + 2];
        s.maintenance_windows.push(window(
            name("service-weeknights"),
            WindowTarget::Service(id),
            weekly(zone, days, "20:00", "23:30"),
        ));
    }
    for id in sample(&mut rng, &layers["application"], 2_000) {
        s.maintenance_windows.push(window(
            name("application-saturday"),
            WindowTarget::Ci(id),
            weekly("Europe/London", &[Saturday], "20:00", "24:00"),
        ));
    }
    s
}

/// A change on `cis`, planned over `[start, start + quarters × 15 min)`.
fn change(
    n: u64,
    cis: Vec<CiId>,
    start: DateTime<Utc>,
    quarters: usize,
    state: ChangeState,
) -> Change {
    let mut c = Change::new(
        ChangeId::from_u128(u128::from(n) + 1),
        RecordNumber::new(NumberPrefix::Change, n + 1).expect("a change number"),
        ChangeType::Normal,
        PersonId::from_u128(1),
        "bench change",
        year_start(),
    );
    c.configuration_items = cis;
    c.planned_start = Some(start);
    c.planned_end = Some(start + Span::minutes(15 * quarters as i64));
    c.state = state;
    c
}

/// 1 to 3 CIs drawn uniformly from the estate, the layer of the first.
fn some_cis(rng: &mut Rng, all: &[(CiId, usize)]) -> (Vec<CiId>, usize) {
    let (first, layer) = all[rng.below(all.len())];
    let mut cis = vec![first];
    for _ in 0..rng.below(3) {
        cis.push(all[rng.below(all.len())].0);
    }
    (cis, layer)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// p50, p99, mean and max of `times` (sorted here).
fn stats(times: &mut [Duration]) -> (Duration, Duration, Duration, Duration) {
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    (
        percentile(times, 0.5),
        percentile(times, 0.99),
        mean,
        times[times.len() - 1],
    )
}

/// Checks every change once, timed: (time, layer of the first CI, conflicts by kind).
fn run(
    checker: &mut ConflictChecker<'_>,
    changes: &[(Change, usize)],
    scheduled: &ScheduledChanges,
) -> (Vec<(Duration, usize)>, BTreeMap<&'static str, usize>, usize) {
    let mut times = Vec::with_capacity(changes.len());
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut clear = 0;
    for (c, layer) in changes {
        let t = Instant::now();
        let report = black_box(checker.check(c, scheduled).expect("a valid change"));
        times.push((t.elapsed(), *layer));
        clear += usize::from(report.is_clear());
        for conflict in &report.conflicts {
            *kinds.entry(conflict.kind()).or_default() += 1;
        }
    }
    (times, kinds, clear)
}

fn print_run(
    label: &str,
    times: &[(Duration, usize)],
    kinds: &BTreeMap<&str, usize>,
    clear: usize,
) {
    let mut all: Vec<Duration> = times.iter().map(|(t, _)| *t).collect();
    let (p50, p99, mean, max) = stats(&mut all);
    println!(
        "{label}: {} checks, p50 {p50:.2?}, p99 {p99:.2?}, mean {mean:.2?}, max {max:.2?} (load average {})",
        times.len(),
        load()
    );
    println!("  clear: {clear}; conflicts found: {kinds:?}");
    println!("  | layer of the first CI | checks | p50 | p99 | max |");
    println!("  |---|---|---|---|---|");
    for (l, (layer, _)) in LAYERS.iter().enumerate() {
        let mut these: Vec<Duration> = times
            .iter()
            .filter(|(_, x)| *x == l)
            .map(|(t, _)| *t)
            .collect();
        if these.is_empty() {
            continue;
        }
        let (p50, p99, _, max) = stats(&mut these);
        println!(
            "  | {layer} | {} | {p50:.2?} | {p99:.2?} | {max:.2?} |",
            these.len()
        );
    }
}

fn bench(c: &mut Criterion) {
    let total = number("SCHEDULE_BENCH_SCALE", 1_000_000);
    let checks = number("SCHEDULE_BENCH_CHECKS", 4_000);
    let scheduled_count = number("SCHEDULE_BENCH_SCHEDULED", 50_000);
    println!(
        "=== change schedule conflicts: {total} CIs (load average {}) ===",
        load()
    );

    let t = Instant::now();
    let data: CmdbData = generate(total, true);
    println!(
        "generated {} CIs, {} relationships in {:.2?}",
        data.cis.len(),
        data.relationships.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let index = GraphIndex::build(&data).expect("the generated data is valid");
    println!("GraphIndex::build: {:.2?}", t.elapsed());
    let mut layers: BTreeMap<&str, Vec<CiId>> = BTreeMap::new();
    let mut all: Vec<(CiId, usize)> = Vec::with_capacity(data.cis.len());
    for ci in &data.cis {
        let l = LAYERS
            .iter()
            .position(|(name, _)| *name == ci.class)
            .expect("a layer's class");
        layers.entry(LAYERS[l].0).or_default().push(ci.id);
        all.push((ci.id, l));
    }

    let schedule = schedule(&layers);
    let t = Instant::now();
    let compiled = CompiledSchedule::new(&schedule, &data, &index).expect("a valid schedule");
    println!(
        "schedule: {} blackouts, {} maintenance windows; CompiledSchedule::new {:.2?}, {} MB beside the index",
        schedule.blackouts.len(),
        schedule.maintenance_windows.len(),
        t.elapsed(),
        compiled.memory_bytes() >> 20
    );

    let mut rng = Rng(0x0C4A_46E5);
    let states = [
        ChangeState::Scheduled,
        ChangeState::Scheduled,
        ChangeState::Implement,
        ChangeState::Authorize,
        ChangeState::New,
    ];
    let others: Vec<Change> = (0..scheduled_count)
        .map(|k| {
            let (cis, _) = some_cis(&mut rng, &all);
            let start = some_instant(&mut rng);
            let state = states[rng.below(states.len())];
            change(1_000_000 + k as u64, cis, start, 2 + rng.below(31), state)
        })
        .collect();
    let t = Instant::now();
    let scheduled = ScheduledChanges::new(&others);
    println!(
        "{} scheduled changes; ScheduledChanges::new {:.2?}",
        scheduled.len(),
        t.elapsed()
    );

    let stream: Vec<(Change, usize)> = (0..checks)
        .map(|k| {
            let (cis, layer) = some_cis(&mut rng, &all);
            let start = some_instant(&mut rng);
            (
                change(
                    k as u64,
                    cis,
                    start,
                    2 + rng.below(31),
                    ChangeState::Authorize,
                ),
                layer,
            )
        })
        .collect();

    let mut checker = compiled.checker();
    // Warm up: the first checks page the index in.
    run(&mut checker, &stream[..stream.len().min(200)], &scheduled);
    let (times, kinds, clear) = run(&mut checker, &stream, &scheduled);
    print_run("one check per change", &times, &kinds, clear);

    // The worst case of this estate: a blackout on one network device
    // reaches every CI (the network is meshed, and every host depends on
    // it), so every check walks its change's CIs' dependencies.
    let mut worst = schedule.clone();
    worst.blackouts.push(window(
        "core-network-freeze".into(),
        WindowTarget::Ci(layers["network_device"][0]),
        WindowTime::Once(OnceWindow {
            start: year_start(),
            end: year_start() + Span::days(365),
        }),
    ));
    let t = Instant::now();
    let compiled_worst = CompiledSchedule::new(&worst, &data, &index).expect("a valid schedule");
    println!(
        "\nwith a year-long blackout on a network device: CompiledSchedule::new {:.2?}",
        t.elapsed()
    );
    {
        let mut checker = compiled_worst.checker();
        run(&mut checker, &stream[..stream.len().min(50)], &scheduled);
        let (times, kinds, clear) =
            run(&mut checker, &stream[..stream.len().min(1_000)], &scheduled);
        print_run(
            "one check per change, network blackout",
            &times,
            &kinds,
            clear,
        );
    }
    drop(compiled_worst);

    if env_or("SCHEDULE_BENCH_CRITERION", "1") != "0" {
        let mut group = c.benchmark_group(format!("cmdb_schedule/{total} CIs"));
        let mut i = 0;
        group.bench_function("check one change", |b| {
            b.iter(|| {
                i = (i + 1) % stream.len();
                black_box(
                    checker
                        .check(&stream[i].0, &scheduled)
                        .expect("a valid change"),
                )
            })
        });
        group.finish();
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
