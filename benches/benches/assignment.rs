//! Assignment decisions over 1,000 rules: `Assigner::decide` (the rules
//! filed by their most selective condition, then a person picked) beside a
//! naive peer written here (a first-match scan over every rule, then the
//! same pick), on the same facts, checked to agree before anything is timed.
//!
//! Run: `cargo bench -p itsm-benches --bench assignment`. Besides
//! criterion's report, prints the median and p99 of single decisions, each
//! timed on its own (so each figure includes one `Instant::now` pair, about
//! 20–40 ns), and the time to validate and compile the rules.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
// The deterministic generator the other benches use: every run sees the same input.
use itsm_benches::estate::Rng;
use itsm_core::{Directory, Extensions, Group, GroupId, Person, PersonId, Priority, ServiceId};
use itsm_lifecycle::{Assigner, AssignmentFacts, AssignmentRule, AssignmentRules, Pick, Workload};

const RULES: usize = 1_000;
const GROUPS: usize = 50;
const MEMBERS: usize = 8;
const QUERIES: usize = 100_000;

fn person_id(i: usize) -> PersonId {
    PersonId::from_u128(1 + i as u128)
}

fn group_id(i: usize) -> GroupId {
    GroupId::from_u128(10_000 + i as u128)
}

fn service_id(i: usize) -> ServiceId {
    ServiceId::from_u128(20_000 + i as u128)
}

/// 50 groups of 8 people, one person in 10 inactive.
fn directory() -> Directory {
    let people = (0..GROUPS * MEMBERS)
        .map(|i| Person {
            id: person_id(i),
            name: format!("agent {i}"),
            user_name: None,
            email: None,
            active: i % 10 != 3,
            time_zone: None,
            manager: None,
            groups: Vec::new(),
            roles: Vec::new(),
            extensions: Extensions::new(),
        })
        .collect();
    let groups = (0..GROUPS)
        .map(|g| Group {
            id: group_id(g),
            name: format!("group {g}"),
            description: None,
            email: None,
            active: true,
            manager: None,
            parent: None,
            members: (0..MEMBERS).map(|m| person_id(g * MEMBERS + m)).collect(),
            roles: Vec::new(),
            extensions: Extensions::new(),
        })
        .collect();
    Directory {
        people,
        groups,
        roles: Vec::new(),
    }
}

/// 1,000 rules as a large desk writes them: 400 by service (half of them
/// also by priority), 300 by CI class, 299 by category (a third also by
/// priority), and a catch-all last.
fn rules() -> AssignmentRules {
    let pick = |i: usize| [Pick::RoundRobin, Pick::LeastLoaded, Pick::GroupOnly][i % 3];
    let mut rules = Vec::with_capacity(RULES);
    for i in 0..RULES - 1 {
        let base = AssignmentRule {
            name: format!("rule {i}"),
            category: None,
            service: None,
            ci_class: None,
            priorities: Vec::new(),
            group: group_id(i % GROUPS),
            pick: pick(i),
        };
        rules.push(match i {
            0..400 => AssignmentRule {
                service: Some(service_id(i / 2)),
                // Pairs: the first of each pair for P1–P2, the second for the rest.
                priorities: if i % 2 == 0 {
                    vec![Priority::P1, Priority::P2]
                } else {
                    Vec::new()
                },
                ..base
            },
            400..700 => AssignmentRule {
                ci_class: Some(format!("class_{}", i - 400)),
                ..base
            },
            _ => AssignmentRule {
                category: Some(format!("category_{}", (i - 700) / 3)),
                priorities: match (i - 700) % 3 {
                    0 => vec![Priority::P1],
                    1 => vec![Priority::P2, Priority::P3],
                    _ => Vec::new(),
                },
                ..base
            },
        });
    }
    rules.push(AssignmentRule {
        name: "catch-all".to_owned(),
        category: None,
        service: None,
        ci_class: None,
        priorities: Vec::new(),
        group: group_id(0),
        pick: Pick::LeastLoaded,
    });
    AssignmentRules { rules }
}

/// Facts spread over the rules' values and beyond (a quarter match nothing
/// specific and fall to the catch-all).
fn queries(n: usize) -> Vec<AssignmentFacts> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|_| {
            let some = |rng: &mut Rng, p: usize| rng.below(100) < p;
            AssignmentFacts {
                category: some(&mut rng, 70).then(|| format!("category_{}", rng.below(130))),
                service: some(&mut rng, 50).then(|| service_id(rng.below(260))),
                ci_class: some(&mut rng, 40).then(|| format!("class_{}", rng.below(400))),
                priority: some(&mut rng, 90).then(|| Priority::ALL[rng.below(6)]),
            }
        })
        .collect()
}

/// Loads for everyone and a round-robin cursor for every group.
fn workload() -> Workload {
    let mut rng = Rng(42);
    Workload {
        last_assigned: (0..GROUPS)
            .map(|g| (group_id(g), person_id(g * MEMBERS + rng.below(MEMBERS))))
            .collect(),
        open_work: (0..GROUPS * MEMBERS)
            .map(|i| (person_id(i), rng.below(20) as u32))
            .collect(),
    }
}

/// The peer: the first rule, in order, whose conditions hold, by scanning
/// every rule (how a rule table is usually read).
fn naive_route(rules: &[AssignmentRule], f: &AssignmentFacts) -> Option<usize> {
    rules.iter().position(|r| {
        r.category
            .as_ref()
            .is_none_or(|c| f.category.as_ref() == Some(c))
            && r.service.is_none_or(|s| f.service == Some(s))
            && r.ci_class
                .as_ref()
                .is_none_or(|c| f.ci_class.as_ref() == Some(c))
            && (r.priorities.is_empty() || f.priority.is_some_and(|p| r.priorities.contains(&p)))
    })
}

/// The median and p99 of `f` over `inputs`, each call timed on its own.
fn per_call<T>(inputs: &[T], mut f: impl FnMut(&T)) -> (Duration, Duration) {
    let mut times: Vec<Duration> = inputs
        .iter()
        .map(|x| {
            let start = Instant::now();
            f(x);
            start.elapsed()
        })
        .collect();
    times.sort();
    let n = times.len();
    (times[n / 2], times[(n * 99).div_ceil(100) - 1])
}

fn ns(d: Duration) -> String {
    format!("{:.0} ns", d.as_secs_f64() * 1e9)
}

fn report() {
    let directory = directory();
    let rules = rules();
    let started = Instant::now();
    let assigner = Assigner::new(rules.clone(), &directory).expect("the bench's rules are valid");
    let compile = started.elapsed();
    let facts = queries(QUERIES);
    let load = workload();
    let mut by_kind = [0usize; 4];
    for f in &facts {
        let ours = assigner.route(f).map(|(i, _)| i);
        assert_eq!(ours, naive_route(&rules.rules, f), "{f:?}");
        let i = ours.expect("the catch-all matches everything");
        by_kind[match i {
            0..400 => 0,
            400..700 => 1,
            999 => 3,
            _ => 2,
        }] += 1;
    }
    // Warm up, then time each call on its own.
    for f in &facts {
        black_box(assigner.decide(f, &load));
    }
    let (ours_med, ours_p99) = per_call(&facts, |f| {
        black_box(assigner.decide(black_box(f), &load));
    });
    let (route_med, route_p99) = per_call(&facts, |f| {
        black_box(assigner.route(black_box(f)));
    });
    let (peer_med, peer_p99) = per_call(&facts, |f| {
        black_box(naive_route(&rules.rules, black_box(f)));
    });
    println!(
        "\nassignment over {RULES} rules, {QUERIES} decisions (decided by service rules {}, CI class {}, category {}, catch-all {}):",
        by_kind[0], by_kind[1], by_kind[2], by_kind[3]
    );
    println!("| measurement | median | p99 |");
    println!("|---|---|---|");
    println!(
        "| `Assigner::decide` (route and pick) | {} | {} |",
        ns(ours_med),
        ns(ours_p99)
    );
    println!(
        "| `Assigner::route` (the rule only) | {} | {} |",
        ns(route_med),
        ns(route_p99)
    );
    println!(
        "| peer: first-match scan over every rule | {} | {} |",
        ns(peer_med),
        ns(peer_p99)
    );
    println!(
        "| peer / route, median | {:.1}x | |",
        peer_med.as_secs_f64() / route_med.as_secs_f64()
    );
    println!(
        "| `Assigner::new` (validate and compile the {RULES} rules), once | {:.2} ms | |",
        compile.as_secs_f64() * 1e3
    );
}

fn benches(c: &mut Criterion) {
    report();
    let directory = directory();
    let rules = rules();
    let assigner = Assigner::new(rules.clone(), &directory).expect("valid");
    let facts = queries(4_096);
    let load = workload();

    let mut g = c.benchmark_group("assignment_1000_rules");
    g.throughput(Throughput::Elements(facts.len() as u64));
    g.bench_function("decide", |b| {
        b.iter(|| {
            for f in &facts {
                black_box(assigner.decide(black_box(f), &load));
            }
        });
    });
    g.bench_function("naive_scan_peer", |b| {
        b.iter(|| {
            for f in &facts {
                black_box(naive_route(&rules.rules, black_box(f)));
            }
        });
    });
    g.finish();

    let mut g = c.benchmark_group("assignment_compile");
    g.sample_size(20);
    g.bench_function("assigner_new_1000_rules", |b| {
        b.iter(|| black_box(Assigner::new(rules.clone(), &directory).ok()))
    });
    g.finish();
}

criterion_group!(assignment, benches);
criterion_main!(assignment);
