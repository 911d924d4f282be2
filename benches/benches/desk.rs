//! The desk: one command end to end (load the record and its timeline,
//! apply through the lifecycle, evaluate its two SLA clocks, append the
//! events with the projection and the clocks in one transaction), on SQLite
//! in memory, on a SQLite file and on PostgreSQL (when
//! `ITSM_TEST_POSTGRES_URL` is set); sustained events per second with 1 and
//! 4 writers on a SQLite file and on PostgreSQL; `tick` over open clocks.
//!
//! Workload: incidents opened with the default configuration (ServiceNow
//! matrix, 24×7 calendar, response and resolution SLAs); each measured
//! command is a work note (an `apply` that records one timeline event,
//! re-evaluates both clocks and rewrites the projection), on records whose
//! history grows as the bench runs, cycling over 1,000 records.
//!
//! Run: `cargo bench -p itsm-benches --bench desk` (or one part:
//! `ITSM_BENCH_DESK_PARTS=apply|sustained|tick`).

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use itsm_core::{CommentVisibility, Impact, Incident, IncidentId, PersonId, RecordNumber, Urgency};
use itsm_desk::{Command, CommandAt, Config, Ctx, Desk, DeskError};
use itsm_store::Record;

const RECORDS: u64 = 1_000;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn number(n: u64) -> RecordNumber {
    format!("INC{n:07}").parse().unwrap()
}

fn temp(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!("itsm-bench-desk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    format!("sqlite://{}", path.display())
}

fn postgres(schema: &str) -> Option<String> {
    let base = std::env::var("ITSM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())?;
    let mut client = postgres::Client::connect(&base, postgres::NoTls).ok()?;
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .ok()?;
    Some(format!(
        "{base}{}schema={schema}",
        if base.contains('?') { '&' } else { '?' }
    ))
}

/// A desk with `RECORDS` open incidents, each with its clocks.
fn seeded(url: &str, first: u64) -> Desk {
    let mut desk = Desk::open(url, Config::default()).unwrap();
    for n in first..first + RECORDS {
        let mut i = Incident::new(
            IncidentId::from_u128(u128::from(n)),
            number(n),
            PersonId::from_u128(1),
            "bench",
            t0(),
        );
        i.impact = Impact::Medium;
        i.urgency = Urgency::Medium;
        desk.open_record(Record::Incident(i), &Ctx::at(t0()))
            .unwrap();
    }
    desk
}

fn note(desk: &mut Desk, n: u64, k: u64) -> Result<(), DeskError> {
    let at = t0() + chrono::Duration::seconds(k as i64);
    desk.comment(
        &number(n),
        CommentVisibility::WorkNote,
        "checked the logs",
        &Ctx::at(at),
    )
    .map(drop)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Whether a part of this bench runs: `ITSM_BENCH_DESK_PARTS` lists them
/// (`apply,sustained,tick`); all run when it is unset.
fn part(name: &str) -> bool {
    std::env::var("ITSM_BENCH_DESK_PARTS").map_or(true, |parts| parts.split(',').any(|p| p == name))
}

fn bench_apply(c: &mut Criterion) {
    if !part("apply") {
        return;
    }
    let mut targets = vec![
        ("sqlite memory", "sqlite::memory:".to_owned()),
        ("sqlite file", temp("apply.db")),
    ];
    if let Some(url) = postgres("bench_desk_apply") {
        targets.push(("postgres", url));
    }
    let mut group = c.benchmark_group("desk apply (one work note, end to end)");
    group
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    for (name, url) in targets {
        let mut desk = seeded(&url, 1);
        // Same-run distribution over 2,000 commands.
        let mut times = Vec::with_capacity(2_000);
        for k in 0..2_000u64 {
            let t = Instant::now();
            note(&mut desk, 1 + k % RECORDS, k).unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        eprintln!(
            "{name}: apply p50 {:?}, p99 {:?}",
            percentile(&times, 0.5),
            percentile(&times, 0.99)
        );
        let mut k = 10_000u64;
        group.bench_function(name, |b| {
            b.iter(|| {
                k += 1;
                note(&mut desk, 1 + k % RECORDS, k).unwrap();
                black_box(k);
            })
        });
        // Criterion's estimate is a mean, which the slow tail moves; the
        // median and p99 again, now that the histories have grown.
        let mut times = Vec::with_capacity(2_000);
        for _ in 0..2_000u64 {
            k += 1;
            let t = Instant::now();
            note(&mut desk, 1 + k % RECORDS, k).unwrap();
            times.push(t.elapsed());
        }
        times.sort();
        let events = desk.store().head().unwrap_or(0);
        eprintln!(
            "{name}: apply p50 {:?}, p99 {:?} on histories of ~{} events",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            events / RECORDS
        );
    }
    group.finish();
}

/// Commands per second with `writers` threads for `seconds`, each its own
/// desk on `url`, each sending `size` work notes per call (1: one command a
/// transaction; more: one [`Desk::batch`] a transaction). Each writer works
/// its own 1,000 records, or, `shared`, all walk the same 1,000 in the same
/// order: then they race on every ticket, and a call that loses (a version
/// conflict, which refuses a whole batch) is run again and counts nothing.
fn sustained(url: &str, writers: u64, seconds: u64, size: u64, shared: bool) -> f64 {
    let base = 1_000_000 * size + 10_000_000 * writers + 100_000_000 * u64::from(shared);
    if shared {
        drop(seeded(url, base));
    }
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let first = if shared { base } else { base + 1_000 * (w + 1) };
                let mut desk = if shared {
                    Desk::open(&url, Config::default()).unwrap()
                } else {
                    seeded(&url, first)
                };
                let start = Instant::now();
                let mut done = 0u64;
                while start.elapsed() < Duration::from_secs(seconds) {
                    // Racing writers keep one instant: a ticket's timeline
                    // stays in time order whoever commits first.
                    let at = |i: u64| {
                        t0() + chrono::Duration::seconds(if shared { 1 } else { i as i64 })
                    };
                    let batch: Vec<CommandAt> = (0..size)
                        .map(|i| CommandAt {
                            command: Command::Comment {
                                number: number(first + (done + i) % RECORDS),
                                visibility: CommentVisibility::WorkNote,
                                text: "checked the logs".to_owned(),
                            },
                            at: at(done + i),
                            actor: None,
                            expected_version: None,
                        })
                        .collect();
                    let written = if size == 1 {
                        desk.run(&batch[0].command, &batch[0].ctx()).map(drop)
                    } else {
                        desk.batch(&batch)
                            .map(|results| assert!(results.iter().all(Result::is_ok)))
                    };
                    match written {
                        Ok(()) => done += size,
                        Err(DeskError::VersionConflict { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
                (done, start.elapsed())
            })
        })
        .collect();
    let mut events = 0;
    let mut longest = Duration::ZERO;
    for h in handles {
        let (n, took) = h.join().unwrap();
        events += n;
        longest = longest.max(took);
    }
    events as f64 / longest.as_secs_f64()
}

fn bench_sustained(_: &mut Criterion) {
    if !part("sustained") {
        return;
    }
    let mut targets = vec![("sqlite file", temp("sustained.db"))];
    if let Some(url) = postgres("bench_desk_sustained") {
        targets.push(("postgres", url));
    }
    for (name, url) in targets {
        for (size, shared, writers) in [
            (1, false, 1),
            (1, false, 4),
            (1, true, 4),
            (32, false, 1),
            (32, false, 4),
            (32, true, 4),
        ] {
            let rate = sustained(&url, writers, 5, size, shared);
            eprintln!(
                "{name}: {writers} writer(s), {} a transaction, {}: {rate:.0} commands/s sustained",
                if size == 1 {
                    "one command".to_owned()
                } else {
                    format!("batches of {size}")
                },
                if shared {
                    "racing on the same 1,000 tickets"
                } else {
                    "each its own 1,000 tickets"
                },
            );
        }
    }
}

fn bench_tick(c: &mut Criterion) {
    if !part("tick") {
        return;
    }
    let open: u64 = std::env::var("ITSM_BENCH_CLOCKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let url = temp("tick.db");
    let mut desk = Desk::open(&url, Config::default()).unwrap();
    let start = Instant::now();
    for n in 1..=open {
        let mut i = Incident::new(
            IncidentId::from_u128(u128::from(n)),
            number(n),
            PersonId::from_u128(1),
            "tick",
            t0() + chrono::Duration::seconds(n as i64),
        );
        i.impact = Impact::Medium;
        i.urgency = Urgency::Medium;
        desk.open_record(Record::Incident(i), &Ctx::at(t0()))
            .unwrap();
    }
    eprintln!(
        "tick: opened {open} incidents ({} clocks) in {:.1} s",
        open * 2,
        start.elapsed().as_secs_f64()
    );
    // Every clock is due a long time later: each tick records the notices once.
    let now = t0() + chrono::Duration::days(30);
    let due = desk.due(now, usize::MAX).unwrap().len();
    let start = Instant::now();
    let report = desk.tick(now).unwrap();
    eprintln!(
        "tick over {due} due clocks: {:.2} s ({} thresholds, {} breaches)",
        start.elapsed().as_secs_f64(),
        report.thresholds,
        report.breaches
    );
    let start = Instant::now();
    let again = desk.tick(now).unwrap();
    assert_eq!(again.thresholds + again.breaches, 0);
    eprintln!(
        "second tick at the same instant: {:.2} s, nothing recorded again",
        start.elapsed().as_secs_f64()
    );
    let _ = c;
}

criterion_group!(benches, bench_apply, bench_sustained, bench_tick);
criterion_main!(benches);
