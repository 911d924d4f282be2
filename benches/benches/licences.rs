//! Licence compliance over 100,000 installations: `licence_compliance` (one
//! pass over the installations with hash maps) beside a naive peer written
//! here (for each product, a scan over every licence and every
//! installation), on the same input, checked to agree before anything is
//! timed.
//!
//! Run: `cargo bench -p itsm-benches --bench licences`. Besides criterion's
//! report, prints the median and p99 of whole compliance runs, each timed
//! on its own.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
// The deterministic generator the other benches use: every run sees the same input.
use itsm_benches::estate::Rng;
use itsm_core::{
    CiId, Extensions, Installation, LicenceMetric, LicencePosition, PersonId, SoftwareLicence,
    SoftwareLicenceId, licence_compliance,
};

const INSTALLATIONS: usize = 100_000;
const DEVICES: usize = 20_000;
const PRODUCTS: usize = 500;
const LICENCES: usize = 1_000;
const PEOPLE: usize = 5_000;
const RUNS: usize = 200;
const PEER_RUNS: usize = 5;

fn product(i: usize) -> String {
    format!("product {i:03}")
}

/// The metric of product `i`: a third of the products each.
fn metric(i: usize) -> LicenceMetric {
    [
        LicenceMetric::PerDevice,
        LicenceMetric::PerCore,
        LicenceMetric::PerUser,
    ][i % 3]
}

/// 1,000 licences, two per product (the 20 last products have none), each
/// in its product's metric; per-user licences assigned to up to 40 people.
fn licences() -> Vec<SoftwareLicence> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..LICENCES)
        .map(|n| {
            let p = n % (PRODUCTS - 20);
            let metric = metric(p);
            let assigned_to = if metric == LicenceMetric::PerUser {
                (0..rng.below(40))
                    .map(|_| PersonId::from_u128(1 + rng.below(PEOPLE) as u128))
                    .collect()
            } else {
                Vec::new()
            };
            SoftwareLicence {
                id: SoftwareLicenceId::from_u128(1 + n as u128),
                product: product(p),
                vendor: None,
                metric,
                entitlements: (rng.below(200) as u32)
                    * if metric == LicenceMetric::PerCore {
                        8
                    } else {
                        1
                    },
                assigned_to,
                cost: None,
                extensions: Extensions::new(),
            }
        })
        .collect()
}

/// 100,000 installations of the 500 products on 20,000 devices (2 to 64
/// cores each), one in 20 reported twice.
fn installations() -> Vec<Installation> {
    let mut rng = Rng(42);
    let mut out = Vec::with_capacity(INSTALLATIONS);
    while out.len() < INSTALLATIONS {
        let device = rng.below(DEVICES);
        let installation = Installation {
            device: CiId::from_u128(1_000_000 + device as u128),
            product: product(rng.below(PRODUCTS)),
            cores: 2 + (device % 63) as u32,
        };
        if rng.below(20) == 0 && out.len() + 1 < INSTALLATIONS {
            out.push(installation.clone());
        }
        out.push(installation);
    }
    out
}

/// The peer: for each product and metric, a scan over every licence and
/// every installation.
fn naive(licences: &[SoftwareLicence], installations: &[Installation]) -> Vec<LicencePosition> {
    let mut products: BTreeSet<&str> = licences.iter().map(|l| l.product.as_str()).collect();
    products.extend(installations.iter().map(|i| i.product.as_str()));
    let mut out = Vec::new();
    for product in products {
        let mut cores: BTreeMap<CiId, u32> = BTreeMap::new();
        for i in installations.iter().filter(|i| i.product == product) {
            let c = cores.entry(i.device).or_insert(0);
            *c = (*c).max(i.cores);
        }
        let licensed = licences.iter().any(|l| l.product == product);
        for metric in [
            LicenceMetric::PerUser,
            LicenceMetric::PerDevice,
            LicenceMetric::PerCore,
        ] {
            let mine: Vec<&SoftwareLicence> = licences
                .iter()
                .filter(|l| l.product == product && l.metric == metric)
                .collect();
            if mine.is_empty()
                && !(!licensed && metric == LicenceMetric::PerDevice && !cores.is_empty())
            {
                continue;
            }
            let entitled: u64 = mine.iter().map(|l| u64::from(l.entitlements)).sum();
            let consumed = match metric {
                LicenceMetric::PerUser => mine
                    .iter()
                    .flat_map(|l| l.assigned_to.iter())
                    .collect::<BTreeSet<_>>()
                    .len() as u64,
                LicenceMetric::PerDevice => cores.len() as u64,
                _ => cores.values().map(|&c| u64::from(c)).sum(),
            };
            out.push(LicencePosition {
                product: product.to_owned(),
                metric,
                entitled,
                consumed,
                shortfall: consumed.saturating_sub(entitled),
                unused: entitled.saturating_sub(consumed),
            });
        }
    }
    out
}

/// The median and p99 of `runs` calls of `f`, each timed on its own.
fn per_run(runs: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    let n = times.len();
    (times[n / 2], times[(n * 99).div_ceil(100) - 1])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn report() {
    let licences = licences();
    let installations = installations();
    let ours = licence_compliance(&licences, &installations);
    assert_eq!(ours, naive(&licences, &installations));
    let over = ours.iter().filter(|r| r.shortfall > 0).count();
    let unused = ours.iter().filter(|r| r.unused > 0).count();
    // Warm up, then time each run on its own.
    for _ in 0..5 {
        black_box(licence_compliance(&licences, &installations));
    }
    let (med, p99) = per_run(RUNS, || {
        black_box(licence_compliance(
            black_box(&licences),
            black_box(&installations),
        ));
    });
    let (peer_med, peer_p99) = per_run(PEER_RUNS, || {
        black_box(naive(black_box(&licences), black_box(&installations)));
    });
    println!(
        "\nlicence compliance: {INSTALLATIONS} installations on {DEVICES} devices, {LICENCES} licences, {PRODUCTS} products; {} rows, {over} over-deployed, {unused} with unused licences:",
        ours.len()
    );
    println!("| measurement | median | p99 |");
    println!("|---|---|---|");
    println!(
        "| `licence_compliance` ({RUNS} runs) | {} | {} |",
        ms(med),
        ms(p99)
    );
    println!(
        "| peer: a scan per product ({PEER_RUNS} runs; p99 is the slowest) | {} | {} |",
        ms(peer_med),
        ms(peer_p99)
    );
    println!(
        "| peer / ours, median | {:.1}x | |",
        peer_med.as_secs_f64() / med.as_secs_f64()
    );
}

fn benches(c: &mut Criterion) {
    report();
    let licences = licences();
    let installations = installations();
    let mut g = c.benchmark_group("licence_compliance_100k");
    g.sample_size(20);
    g.throughput(Throughput::Elements(installations.len() as u64));
    g.bench_function("licence_compliance", |b| {
        b.iter(|| black_box(licence_compliance(&licences, &installations)));
    });
    g.finish();
}

criterion_group!(licence_benches, benches);
criterion_main!(licence_benches);
