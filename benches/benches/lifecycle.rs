//! Lifecycle engine benchmarks: validated transitions per second, and the
//! replay of 1,000,000 audit entries (goal: under 100 ms on one core),
//! typed and dynamic keys, beside a naive peer (a `HashMap<(from, event), to>`
//! of strings, as a hand-rolled engine would keep it) on the same history.
//!
//! Run: `cargo bench -p itsm-benches --bench lifecycle`. Besides criterion's
//! report, prints a table of medians and p99 measured over repeated runs.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use itsm_core::{IncidentState, PersonId};
use itsm_lifecycle::{AuditEntry, IncidentEvent, PlainContext, Workflow, incident_flow};

const ENTRIES: usize = 1_000_000;

/// A history of `n` entries cycling through the incident flow without ending:
/// start, then (hold, resume, resolve, reopen)*.
fn history(n: usize) -> Vec<AuditEntry<IncidentState, IncidentEvent>> {
    use IncidentEvent as E;
    use IncidentState as S;
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let cycle = [
        (S::InProgress, E::Hold, S::OnHold, Some("awaiting_vendor")),
        (S::OnHold, E::Resume, S::InProgress, None),
        (S::InProgress, E::Resolve, S::Resolved, None),
        (S::Resolved, E::Reopen, S::InProgress, None),
    ];
    let mut out = Vec::with_capacity(n);
    if n > 0 {
        out.push(AuditEntry {
            from: S::New,
            to: S::InProgress,
            event: E::Start,
            actor: None,
            at: t0,
            reason: None,
        });
    }
    for i in 1..n {
        let (from, event, to, reason) = cycle[(i - 1) % cycle.len()];
        out.push(AuditEntry {
            from,
            to,
            event,
            actor: Some(PersonId::from_u128(7)),
            at: t0 + chrono::Duration::seconds(i64::try_from(i).unwrap_or(0)),
            reason: reason.map(str::to_owned),
        });
    }
    out
}

fn dynamic(
    history: &[AuditEntry<IncidentState, IncidentEvent>],
) -> Vec<AuditEntry<String, String>> {
    history
        .iter()
        .map(|e| AuditEntry {
            from: e.from.to_string(),
            to: e.to.to_string(),
            event: e.event.to_string(),
            actor: e.actor,
            at: e.at,
            reason: e.reason.clone(),
        })
        .collect()
}

/// The naive peer: string maps, checked the same way (from, transition, to, order).
struct Naive {
    table: HashMap<(String, String), String>,
    initial: String,
}

impl Naive {
    fn new() -> Self {
        let def = incident_flow().to_dynamic();
        let table = def
            .transitions
            .iter()
            .map(|t| ((t.from.clone(), t.event.clone()), t.to.clone()))
            .collect();
        Self {
            table,
            initial: def.initial,
        }
    }

    fn replay(&self, history: &[AuditEntry<String, String>]) -> Option<String> {
        let mut cur = self.initial.clone();
        let mut last: Option<DateTime<Utc>> = None;
        for e in history {
            if e.from != cur || last.is_some_and(|l| e.at < l) {
                return None;
            }
            let to = self.table.get(&(cur.clone(), e.event.clone()))?;
            if *to != e.to {
                return None;
            }
            cur.clone_from(to);
            last = Some(e.at);
        }
        Some(cur)
    }
}

/// A representative mix of applies: legal moves with their facts, and refusals.
fn apply_cases() -> Vec<(IncidentState, IncidentEvent, PlainContext)> {
    use IncidentEvent as E;
    use IncidentState as S;
    let resolved = PlainContext::itil()
        .with_field("resolution_code")
        .with_field("resolution_notes");
    vec![
        (S::New, E::Start, PlainContext::itil()),
        (
            S::InProgress,
            E::Hold,
            PlainContext::itil()
                .with_reason("awaiting_caller")
                .with_comment(itsm_core::CommentVisibility::Public),
        ),
        (
            S::OnHold,
            E::CallerUpdated,
            PlainContext::itil().passing("awaiting_caller"),
        ),
        (S::InProgress, E::Resolve, resolved.clone()),
        (S::Resolved, E::Reopen, PlainContext::itil()),
        (S::OnHold, E::Resolve, resolved),
        (S::Resolved, E::Close, PlainContext::itil()),
        (S::InProgress, E::Cancel, PlainContext::itil()),
    ]
}

/// Runs `f` `runs` times and returns (median, p99) wall time.
fn sample(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let p99 = times[((runs * 99).div_ceil(100)).saturating_sub(1).min(runs - 1)];
    (times[runs / 2], p99)
}

fn report() {
    let wf = Workflow::new(incident_flow(), &PlainContext::itil()).expect("valid");
    let dwf = Workflow::new(incident_flow().to_dynamic(), &PlainContext::itil()).expect("valid");
    let typed = history(ENTRIES);
    let dyn_history = dynamic(&typed);
    let naive = Naive::new();
    assert!(wf.replay(&typed).is_ok(), "the history is valid");
    assert_eq!(
        naive.replay(&dyn_history).as_deref(),
        dwf.replay(&dyn_history).ok().map(String::as_str)
    );

    let (t_med, t_p99) = sample(51, || {
        black_box(wf.replay(black_box(&typed)).ok());
    });
    let (d_med, d_p99) = sample(21, || {
        black_box(dwf.replay(black_box(&dyn_history)).ok());
    });
    let (n_med, n_p99) = sample(11, || {
        black_box(naive.replay(black_box(&dyn_history)));
    });
    let cases = apply_cases();
    let per_batch = 100_000usize;
    let (a_med, a_p99) = sample(21, || {
        for i in 0..per_batch {
            let (s, e, f) = &cases[i % cases.len()];
            let _ = black_box(wf.apply(s, e, None, DateTime::<Utc>::UNIX_EPOCH, f));
        }
    });
    let (v_med, v_p99) = sample(51, || {
        black_box(Workflow::new(incident_flow(), &PlainContext::itil()).ok());
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("\nlifecycle medians (p99) over repeated runs, one core:");
    println!("| measurement | median | p99 | notes |");
    println!("|---|---|---|---|");
    println!(
        "| replay 1M entries, typed keys | {:.2} ms | {:.2} ms | {:.1} M entries/s |",
        ms(t_med),
        ms(t_p99),
        ENTRIES as f64 / t_med.as_secs_f64() / 1e6
    );
    println!(
        "| replay 1M entries, String keys | {:.2} ms | {:.2} ms | {:.1} M entries/s |",
        ms(d_med),
        ms(d_p99),
        ENTRIES as f64 / d_med.as_secs_f64() / 1e6
    );
    println!(
        "| naive peer (HashMap of strings), same 1M | {:.2} ms | {:.2} ms | typed is {:.1}× faster, String keys {:.1}× |",
        ms(n_med),
        ms(n_p99),
        n_med.as_secs_f64() / t_med.as_secs_f64(),
        n_med.as_secs_f64() / d_med.as_secs_f64()
    );
    println!(
        "| apply (validated transition), mixed cases | {:.0} ns | {:.0} ns | {:.2} M transitions/s |",
        a_med.as_secs_f64() * 1e9 / per_batch as f64,
        a_p99.as_secs_f64() * 1e9 / per_batch as f64,
        per_batch as f64 / a_med.as_secs_f64() / 1e6
    );
    println!(
        "| validate + compile the incident flow | {:.1} µs | {:.1} µs | |\n",
        v_med.as_secs_f64() * 1e6,
        v_p99.as_secs_f64() * 1e6
    );
}

fn benches(c: &mut Criterion) {
    report();
    let wf = Workflow::new(incident_flow(), &PlainContext::itil()).expect("valid");
    let dwf = Workflow::new(incident_flow().to_dynamic(), &PlainContext::itil()).expect("valid");
    let typed = history(ENTRIES);
    let dyn_history = dynamic(&typed);
    let naive = Naive::new();

    let mut g = c.benchmark_group("lifecycle_replay");
    g.sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Elements(ENTRIES as u64));
    g.bench_function("typed_1m", |b| {
        b.iter(|| black_box(wf.replay(black_box(&typed)).ok()))
    });
    g.bench_function("string_1m", |b| {
        b.iter(|| black_box(dwf.replay(black_box(&dyn_history)).ok()))
    });
    g.bench_function("naive_peer_1m", |b| {
        b.iter(|| black_box(naive.replay(black_box(&dyn_history))))
    });
    g.finish();

    let cases = apply_cases();
    let mut g = c.benchmark_group("lifecycle_apply");
    g.throughput(Throughput::Elements(cases.len() as u64));
    g.bench_function("incident_mixed", |b| {
        b.iter(|| {
            for (s, e, f) in &cases {
                let _ = black_box(wf.apply(s, e, None, DateTime::<Utc>::UNIX_EPOCH, f));
            }
        });
    });
    g.bench_function("validate_incident_flow", |b| {
        b.iter(|| black_box(Workflow::new(incident_flow(), &PlainContext::itil()).ok()))
    });
    g.finish();
}

criterion_group!(lifecycle, benches);
criterion_main!(lifecycle);
