//! CMDB graph: impact analysis, index build and strongly connected
//! components on generated CMDB-shaped estates, side by side with petgraph
//! on the same graphs, in the same run.
//!
//! Run with `cargo bench -p itsm-benches --bench cmdb`. For each estate
//! (by default 200,000 and 1,000,000 CIs, each with and without redundancy
//! declarations) it prints the build times (`Cmdb::index()`,
//! `GraphIndex::build` from `CmdbData`, the petgraph peer's build), the
//! memory per relationship, then the impact of single failed CIs drawn from
//! a mix that includes whole-estate cascades: p50, p99 and mean for our
//! borrowed view, our compact owned report, our `ImpactReport`, and the
//! peer, each answering its own stream of queries, with every answer of
//! every stream checked identical to the other side's; then the strongly
//! connected components, and criterion medians of the impact queries.
//!
//! Environment (all optional):
//! - `CMDB_BENCH_SCALES`: comma-separated estate sizes (default
//!   `200000,1000000`);
//! - `CMDB_BENCH_REDUNDANCY`: `both` (default), `with` or `without`;
//! - `CMDB_BENCH_QUERIES`: queries per stream (default 2,000);
//! - `CMDB_BENCH_SHARED_PERCENT`: the share of queries failing a shared
//!   infrastructure service (default 2);
//! - `CMDB_BENCH_CRITERION`: `0` to skip the criterion groups;
//! - `CMDB_BENCH_EDITED`: `1` to also measure the store after 10,000
//!   changes (on the first estate).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use itsm_benches::estate::{LAYERS, Rng, generate};
use itsm_cmdb::{
    Cmdb, CmdbData, ConfigurationItem, GraphIndex, ImpactDirection, QueryOptions,
    RedundancyRequirement, Relationship,
};
use itsm_core::CiId;
use petgraph::Direction::Outgoing;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::{Bfs, EdgeRef, VisitMap, Visitable};

/// "No redundancy entry" in the peer's per-edge table.
const NO_ENTRY: u32 = u32::MAX;

/// petgraph's visit map for our graph type (a `FixedBitSet`).
type VisitSet = <DiGraph<(), u8> as Visitable>::Map;

/// The peer: the same impact graph in a petgraph `DiGraph`, one edge per
/// impact arc with its type as weight, used the way a careful petgraph user
/// would for repeated queries: the id map and the redundancy tables built
/// once, each query stream keeping its traversal buffers and clearing only
/// what its last query visited, redundancy counters in an array stamped per
/// query (no `HashMap`, no fresh `VecDeque` per query).
struct Peer {
    graph: DiGraph<(), u8>,
    ids: Vec<CiId>,
    map: HashMap<CiId, NodeIndex>,
    /// Per edge: the redundancy entry of (its target, its type), or `NO_ENTRY`.
    edge_entry: Vec<u32>,
    /// Per redundancy entry: how many dependencies of its type may fail.
    tolerance: Vec<u32>,
}

/// One peer query stream's reusable buffers.
struct PeerScratch {
    /// petgraph's `Bfs`, kept between queries (its queue and visit map).
    bfs: Bfs<NodeIndex, VisitSet>,
    visited: VisitSet,
    /// Per redundancy entry: (query stamp, dependencies failed).
    counts: Vec<(u32, u32)>,
    stamp: u32,
}

impl Peer {
    fn build(data: &CmdbData) -> Self {
        let mut graph = DiGraph::with_capacity(data.cis.len(), data.relationships.len());
        let mut map = HashMap::with_capacity(data.cis.len());
        for ci in &data.cis {
            map.insert(ci.id, graph.add_node(()));
        }
        let types: HashMap<&str, (u8, ImpactDirection)> = data
            .relationship_types
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.as_str(), (i as u8, t.impact)))
            .collect();
        for r in &data.relationships {
            let (s, t) = (map[&r.source], map[&r.target]);
            let (k, dir) = types[r.relationship_type.as_str()];
            match dir {
                ImpactDirection::ToSource => {
                    graph.add_edge(t, s, k);
                }
                ImpactDirection::ToTarget => {
                    graph.add_edge(s, t, k);
                }
                ImpactDirection::Both => {
                    graph.add_edge(s, t, k);
                    graph.add_edge(t, s, k);
                }
                _ => {}
            }
        }
        // Only an estate with redundancy needs the per-edge table.
        let declared = data.cis.iter().any(|c| !c.redundancy.is_empty());
        let mut edge_entry = vec![NO_ENTRY; if declared { graph.edge_count() } else { 0 }];
        let mut tolerance = Vec::new();
        for (i, ci) in data.cis.iter().enumerate() {
            for red in &ci.redundancy {
                let k = types[red.relationship_type.as_str()].0;
                let node = NodeIndex::new(i);
                let entry = tolerance.len() as u32;
                let mut sources = Vec::new();
                for e in graph.edges_directed(node, petgraph::Direction::Incoming) {
                    if *e.weight() == k {
                        edge_entry[e.id().index()] = entry;
                        sources.push(e.source());
                    }
                }
                sources.sort_unstable();
                sources.dedup();
                let total = sources.len() as u32;
                let required = match red.required {
                    RedundancyRequirement::AtLeast(n) => n,
                    RedundancyRequirement::Percent(p) => {
                        (u64::from(total) * u64::from(p)).div_ceil(100) as u32
                    }
                };
                tolerance.push(total.saturating_sub(required));
            }
        }
        Self {
            graph,
            ids: data.cis.iter().map(|c| c.id).collect(),
            map,
            edge_entry,
            tolerance,
        }
    }

    fn scratch(&self) -> PeerScratch {
        PeerScratch {
            bfs: Bfs {
                stack: Default::default(),
                discovered: self.graph.visit_map(),
            },
            visited: self.graph.visit_map(),
            counts: vec![(0, 0); self.tolerance.len()],
            stamp: 0,
        }
    }

    /// Impact without redundancy: petgraph's own `Bfs`, returning the
    /// impacted nodes (indices, as petgraph gives them).
    fn impact_bfs(&self, s: &mut PeerScratch, failed: &CiId) -> Vec<NodeIndex> {
        let start = self.map[failed];
        s.bfs.discovered.visit(start);
        s.bfs.stack.push_back(start);
        let mut out = Vec::new();
        while let Some(v) = s.bfs.next(&self.graph) {
            out.push(v);
        }
        for &v in &out {
            s.bfs.discovered.unvisit(v);
        }
        out
    }

    /// Impact with redundancy: breadth-first over petgraph's edges with the
    /// same rule as ours; the impacted nodes with their depth (the output
    /// is the queue).
    fn impact_redundancy(&self, s: &mut PeerScratch, failed: &CiId) -> Vec<(NodeIndex, u32)> {
        let start = self.map[failed];
        s.stamp += 1;
        let stamp = s.stamp;
        let mut out = vec![(start, 0u32)];
        s.visited.visit(start);
        let mut head = 0;
        while let Some(&(u, d)) = out.get(head) {
            head += 1;
            for e in self.graph.edges_directed(u, Outgoing) {
                let v = e.target();
                if s.visited.is_visited(&v) {
                    continue;
                }
                let entry = self.edge_entry[e.id().index()];
                if entry != NO_ENTRY {
                    let c = &mut s.counts[entry as usize];
                    if c.0 != stamp {
                        *c = (stamp, 0);
                    }
                    c.1 += 1;
                    if c.1 <= self.tolerance[entry as usize] {
                        continue;
                    }
                }
                s.visited.visit(v);
                out.push((v, d + 1));
            }
        }
        for &(v, _) in &out {
            s.visited.unvisit(v);
        }
        out
    }

    /// The query the estate calls for (petgraph's `Bfs` when nothing
    /// declares redundancy), its result dropped; returns how many CIs it
    /// reached.
    fn query(&self, s: &mut PeerScratch, failed: &CiId) -> usize {
        if self.tolerance.is_empty() {
            let out = black_box(self.impact_bfs(s, failed));
            out.len()
        } else {
            let out = black_box(self.impact_redundancy(s, failed));
            out.len()
        }
    }

    fn bytes(&self) -> usize {
        std::mem::size_of_val(self.graph.raw_nodes())
            + std::mem::size_of_val(self.graph.raw_edges())
    }
}

/// The p99 of the full impact report over 1,000 failed CIs drawn from
/// `cis` (best of 5 per query).
fn report_p99(index: &GraphIndex, cis: &[ConfigurationItem]) -> Duration {
    let mut rng = Rng(43);
    let failed: Vec<CiId> = (0..1000).map(|_| cis[rng.below(cis.len())].id).collect();
    let mut searcher = index.searcher();
    let options = QueryOptions::new();
    let mut times = vec![Duration::MAX; failed.len()];
    for _round in 0..5 {
        for (i, f) in failed.iter().enumerate() {
            let t = Instant::now();
            let report = black_box(searcher.impact(&[*f], &options).expect("known CI"));
            times[i] = times[i].min(t.elapsed());
            drop(report);
        }
    }
    times.sort_unstable();
    percentile(&times, 0.99)
}
/// The store after 10,000 changes, which it absorbs without ordering its
/// CIs again (removed CIs give their place to the last, new CIs go last):
/// how long `index()` takes then, how much the impact p99 moves, and what
/// `relayout()` costs and gives back.
fn edited_store(cmdb: &Cmdb) {
    let data = cmdb.data();
    let of_class = |class: &str| -> Vec<CiId> {
        data.cis
            .iter()
            .filter(|c| c.class == class)
            .map(|c| c.id)
            .collect()
    };
    let (clusters, arrays, apps) = (
        of_class("cluster"),
        of_class("storage"),
        of_class("application"),
    );
    let fresh_p99 = report_p99(&cmdb.index().expect("valid"), &data.cis);
    let mut edited = cmdb.clone();
    let mut rng = Rng(7);
    let mut removed = 0;
    while removed < 5_000 {
        let victim = data.cis[rng.below(data.cis.len())].id;
        if edited.remove_ci(&victim).is_ok() {
            removed += 1;
        }
    }
    for _ in 0..5_000 {
        // A new VM on a cluster and a storage array, running an application.
        let vm = CiId::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next()));
        edited
            .add_ci(ConfigurationItem::new(vm, "virtual_machine", "new-vm"))
            .expect("a new VM");
        for (source, ty, target) in [
            (vm, "hosted_on", clusters[rng.below(clusters.len())]),
            (vm, "uses_storage", arrays[rng.below(arrays.len())]),
            (apps[rng.below(apps.len())], "runs_on", vm),
        ] {
            // Its other end may have been removed above.
            let _ = edited.add_relationship(Relationship::new(source, ty, target));
        }
    }
    let mut edited_index = Duration::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        black_box(edited.index().expect("valid"));
        edited_index = edited_index.min(t.elapsed());
    }
    let edited_p99 = report_p99(&edited.index().expect("valid"), &edited.data().cis);
    let t = Instant::now();
    edited.relayout();
    let relayout = t.elapsed();
    let relaid_p99 = report_p99(&edited.index().expect("valid"), &edited.data().cis);
    println!(
        "after 10,000 changes (5,000 CIs removed, 5,000 VMs added with their relationships), no relayout: \
         Cmdb::index() {edited_index:.2?} (best of 3); impact report p99 {edited_p99:.2?} \
         (fresh store {fresh_p99:.2?}); relayout() {relayout:.2?}, then p99 {relaid_p99:.2?}"
    );
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The one-minute load average, as `/proc/loadavg` gives it.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// A stream of queries, each failing one CI of the layer `mix` gives it,
/// drawn uniformly within the layer.
fn stream(seed: u64, queries: usize, layers: &[Vec<CiId>], mix: &[usize]) -> Vec<CiId> {
    let mut rng = Rng(seed);
    mix.iter()
        .take(queries)
        .map(|&l| layers[l][rng.below(layers[l].len())])
        .collect()
}

/// The layer of each query of the mix: 2 % the shared infrastructure
/// services (DNS, NTP …: a whole-estate cascade without redundancy), the
/// others a layer drawn in proportion to its size (so a CI drawn uniformly
/// from the estate). Every way's stream follows the same layers, each with
/// CIs of its own, so that the streams differ query by query but hold the
/// same share of each kind of query.
fn query_mix(queries: usize, layers: &[Vec<CiId>]) -> Vec<usize> {
    let mut rng = Rng(99);
    let shared: u64 = env_or("CMDB_BENCH_SHARED_PERCENT", "2")
        .parse()
        .expect("CMDB_BENCH_SHARED_PERCENT: a number");
    let total: usize = layers.iter().map(Vec::len).sum();
    (0..queries)
        .map(|_| {
            if rng.chance(shared) {
                return layers.len() - 1;
            }
            let mut at = rng.below(total);
            for (l, cis) in layers.iter().enumerate() {
                if at < cis.len() {
                    return l;
                }
                at -= cis.len();
            }
            layers.len() - 1
        })
        .collect()
}

/// p50, p99 and mean of `times` (sorted here).
fn stats(times: &mut [Duration]) -> (Duration, Duration, Duration) {
    times.sort_unstable();
    let mean = times.iter().sum::<Duration>() / times.len().max(1) as u32;
    (percentile(times, 0.5), percentile(times, 0.99), mean)
}

fn ratio(peer: Duration, ours: Duration) -> f64 {
    peer.as_secs_f64() / ours.as_secs_f64()
}

/// The ways an impact query is answered, each on its own stream.
const WAYS: [&str; 4] = [
    "ours, view (impact_view)",
    "ours, compact report (impact_compact)",
    "ours, ImpactReport (impact)",
    "petgraph",
];

/// Best and median of `rounds` runs of `f`.
fn timed<T>(rounds: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(rounds);
    let mut last = None;
    for _ in 0..rounds {
        drop(last.take());
        let t = Instant::now();
        let out = black_box(f());
        times.push(t.elapsed());
        last = Some(out);
    }
    times.sort_unstable();
    let out = last.unwrap_or_else(f);
    (times[0], times[times.len() / 2], out)
}

fn estate(c: &mut Criterion, total: usize, redundancy: bool, queries: usize, edited: bool) {
    let name = format!(
        "{total} CIs, {}",
        if redundancy {
            "redundancy declared"
        } else {
            "no redundancy declared"
        }
    );
    println!("\n=== estate: {name} (load average {}) ===", load());
    let t = Instant::now();
    let generated = generate(total, redundancy);
    let declaring = generated
        .cis
        .iter()
        .filter(|c| !c.redundancy.is_empty())
        .count();
    println!(
        "generated {} CIs ({declaring} declaring redundancy), {} relationships in {:.2?}",
        generated.cis.len(),
        generated.relationships.len(),
        t.elapsed()
    );
    let t = Instant::now();
    let cmdb = Cmdb::import(generated).expect("the generated data is valid");
    println!("store import (Cmdb::import): {:.2?}", t.elapsed());
    let data = cmdb.data();

    // Builds, in turn so that each sees the same machine.
    let rounds = if total <= 300_000 { 7 } else { 3 };
    let (mut store_t, mut build_t, mut peer_t) = (Vec::new(), Vec::new(), Vec::new());
    let (mut index, mut built, mut peer) = (None, None, None);
    for _ in 0..rounds {
        drop((index.take(), built.take(), peer.take()));
        let t = Instant::now();
        index = Some(cmdb.index().expect("the store's data is valid"));
        store_t.push(t.elapsed());
        let t = Instant::now();
        built = Some(GraphIndex::build(data).expect("the generated data is valid"));
        build_t.push(t.elapsed());
        let t = Instant::now();
        peer = Some(Peer::build(data));
        peer_t.push(t.elapsed());
    }
    let (Some(index), Some(built), Some(peer)) = (index, built, peer) else {
        unreachable!("built at least once")
    };
    assert!(
        index == built,
        "Cmdb::index() and GraphIndex::build give the same index"
    );
    drop(built);
    for t in [&mut store_t, &mut build_t, &mut peer_t] {
        t.sort_unstable();
    }
    let med = |t: &[Duration]| t[t.len() / 2];
    println!(
        "build, best / median of {rounds}: Cmdb::index() {:.2?} / {:.2?}; GraphIndex::build(CmdbData) {:.2?} / {:.2?}; \
         petgraph peer build (graph, id map, redundancy tables) {:.2?} / {:.2?}; petgraph/GraphIndex::build {:.2}x best, {:.2}x median",
        store_t[0],
        med(&store_t),
        build_t[0],
        med(&build_t),
        peer_t[0],
        med(&peer_t),
        ratio(peer_t[0], build_t[0]),
        ratio(med(&peer_t), med(&build_t)),
    );
    let memory = index.memory();
    println!(
        "memory: {} impact arcs; adjacency {:.2} bytes/relationship, with id maps {:.2} ({} MB); petgraph {:.2} bytes/relationship ({} MB, without its id map)",
        index.impact_arc_count(),
        memory.adjacency_bytes_per_relationship(),
        memory.total_bytes_per_relationship(),
        memory.total_bytes() >> 20,
        peer.bytes() as f64 / data.relationships.len() as f64,
        peer.bytes() >> 20,
    );

    // One stream of different queries per way.
    let layers: Vec<Vec<CiId>> = LAYERS
        .iter()
        .map(|(class, _)| {
            data.cis
                .iter()
                .filter(|c| c.class == *class)
                .map(|c| c.id)
                .collect()
        })
        .collect();
    let mix = query_mix(queries, &layers);
    let streams: Vec<Vec<CiId>> = (0..WAYS.len() as u64)
        .map(|w| stream(100 + w, queries, &layers, &mix))
        .collect();
    let options = QueryOptions::new();
    let (mut view_s, mut compact_s, mut report_s) =
        (index.searcher(), index.searcher(), index.searcher());
    let mut peer_s = peer.scratch();
    let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(queries); WAYS.len()];
    let mut sizes: Vec<Vec<usize>> = vec![Vec::with_capacity(queries); WAYS.len()];
    let load_before = load();
    // Query i of each way in turn, starting with a different way each
    // time, so that every way sees the same machine and the same kind of
    // caches (another way's query, on other CIs, ran last). Each query is
    // timed once, its result dropped inside the timing.
    for i in 0..queries {
        for k in 0..WAYS.len() {
            let w = (i + k) % WAYS.len();
            let f = &streams[w][i..=i];
            let t = Instant::now();
            let n = match w {
                0 => black_box(view_s.impact_view(f, &options).expect("known CI").len()),
                1 => {
                    let r = black_box(compact_s.impact_compact(f, &options).expect("known CI"));
                    r.len()
                }
                2 => {
                    let r = black_box(report_s.impact(f, &options).expect("known CI"));
                    r.impacted.len()
                }
                _ => peer.query(&mut peer_s, &f[0]),
            };
            times[w].push(t.elapsed());
            sizes[w].push(n);
        }
    }
    let load_after = load();

    // Every answer of every stream, both sides: the same impacted CIs, and
    // with redundancy the same depths; the view and the report reached as
    // many as the compact report.
    let to_peer: Vec<u32> = index
        .ci_ids()
        .iter()
        .map(|id| peer.map[id].index() as u32)
        .collect();
    let mut seen: Vec<(u32, u32)> = vec![(u32::MAX, 0); total];
    let mut check = index.searcher();
    let mut check_peer = peer.scratch();
    let mut checked = 0u32;
    for (w, stream) in streams.iter().enumerate() {
        for (i, f) in stream.iter().enumerate() {
            let ours = check.impact_compact(&[*f], &options).expect("known CI");
            assert_eq!(
                ours.len(),
                sizes[w][i],
                "{}: query {i} reached another count",
                WAYS[w]
            );
            for r in ours.iter() {
                seen[to_peer[r.position()] as usize] = (checked, r.depth());
            }
            let theirs: Vec<(NodeIndex, Option<u32>)> = if redundancy {
                peer.impact_redundancy(&mut check_peer, f)
                    .into_iter()
                    .map(|(v, d)| (v, Some(d)))
                    .collect()
            } else {
                peer.impact_bfs(&mut check_peer, f)
                    .into_iter()
                    .map(|v| (v, None))
                    .collect()
            };
            assert_eq!(
                theirs.len(),
                ours.len(),
                "impact sets differ for failed CI {f}"
            );
            for (v, d) in theirs {
                let (stamp, depth) = seen[v.index()];
                assert!(
                    stamp == checked && d.is_none_or(|d| d == depth),
                    "impact sets differ for failed CI {f} at {}",
                    peer.ids[v.index()]
                );
            }
            checked += 1;
        }
    }

    let mut all_sizes: Vec<usize> = sizes.concat();
    all_sizes.sort_unstable();
    let cascades = all_sizes.iter().filter(|&&s| s * 2 >= total).count();
    println!(
        "impact of one failed CI, {queries} queries per way, each way its own stream (2 % shared infrastructure services, \
         98 % uniform); load average {load_before} before, {load_after} after; {checked} answers checked identical \
         on both sides{}. Impacted CIs over all streams: p50 {}, p90 {}, p99 {}, max {}; {cascades} queries ({:.1} %) \
         reached half the estate or more",
        if redundancy {
            " (sets and depths)"
        } else {
            " (sets)"
        },
        all_sizes[all_sizes.len() / 2],
        all_sizes[all_sizes.len() * 9 / 10],
        all_sizes[all_sizes.len() * 99 / 100],
        all_sizes.last().copied().unwrap_or_default(),
        100.0 * cascades as f64 / all_sizes.len() as f64,
    );
    // Queries that reach few CIs, on their own: the mean per way.
    let small_mean = |w: usize| {
        let small: Vec<Duration> = times[w]
            .iter()
            .zip(&sizes[w])
            .filter(|&(_, &n)| n < 100)
            .map(|(&t, _)| t)
            .collect();
        (
            small.iter().sum::<Duration>() / small.len().max(1) as u32,
            small.len(),
        )
    };
    let smalls: Vec<(Duration, usize)> = (0..WAYS.len()).map(small_mean).collect();
    let summary: Vec<(Duration, Duration, Duration)> = times.iter_mut().map(|t| stats(t)).collect();
    let (p50, p99, mean) = summary[3];
    println!(
        "  petgraph ({}): p50 {p50:.2?} p99 {p99:.2?} mean {mean:.2?}; queries reaching < 100 CIs: mean {:.2?} over {}",
        if redundancy {
            "BFS over petgraph's edges, array counters"
        } else {
            "petgraph::visit::Bfs"
        },
        smalls[3].0,
        smalls[3].1,
    );
    for w in 0..3 {
        let (o50, o99, omean) = summary[w];
        println!(
            "  {}: p50 {o50:.2?} p99 {o99:.2?} mean {omean:.2?}; petgraph/ours p50 {:.2}x p99 {:.2}x mean {:.2}x; \
             queries reaching < 100 CIs: mean {:.2?} over {} ({:.2}x)",
            WAYS[w],
            ratio(p50, o50),
            ratio(p99, o99),
            ratio(mean, omean),
            smalls[w].0,
            smalls[w].1,
            ratio(smalls[3].0, smalls[w].0),
        );
    }
    // One line per estate for the results table.
    let (c50, c99, cmean) = summary[1];
    let (r50, r99, rmean) = summary[2];
    let (v50, v99, _) = summary[0];
    println!(
        "| {name} | {c50:.2?} / {c99:.2?} / {cmean:.2?} | {r50:.2?} / {r99:.2?} / {rmean:.2?} | {v50:.2?} / {v99:.2?} | \
         {p50:.2?} / {p99:.2?} / {mean:.2?} | {:.2}x / {:.2}x / {:.2}x | {:.2}x / {:.2}x | {:.2}x / {:.2}x | {load_before}–{load_after} |",
        ratio(p50, c50),
        ratio(p99, c99),
        ratio(mean, cmean),
        ratio(p50, r50),
        ratio(p99, r99),
        ratio(p50, v50),
        ratio(p99, v99),
    );

    let (scc_best, _, ours_scc) = timed(3, || {
        index
            .strongly_connected_components(None)
            .expect("no type filter")
    });
    let (peer_scc_best, _, peer_scc) = timed(3, || petgraph::algo::tarjan_scc(&peer.graph));
    let peer_cyclic = peer_scc
        .iter()
        .filter(|c| c.len() > 1 || peer.graph.contains_edge(c[0], c[0]))
        .count();
    let peer_in_cycles: usize = peer_scc.iter().filter(|c| c.len() > 1).map(Vec::len).sum();
    let ours_in_cycles: usize = ours_scc.iter().filter(|c| c.len() > 1).map(Vec::len).sum();
    assert_eq!(
        (ours_scc.len(), ours_in_cycles),
        (peer_cyclic, peer_in_cycles),
        "the same cycles"
    );
    println!(
        "strongly connected components: {} cycles holding {ours_in_cycles} CIs; ours {scc_best:.2?}, petgraph tarjan_scc {peer_scc_best:.2?} (best of 3)",
        ours_scc.len()
    );
    drop((ours_scc, peer_scc));

    if edited {
        edited_store(&cmdb);
    }

    if env_or("CMDB_BENCH_CRITERION", "1") != "0" {
        let tag = format!(
            "{total}_{}",
            if redundancy { "redundancy" } else { "plain" }
        );
        let mut group = c.benchmark_group(format!("cmdb_impact_{tag}"));
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(4));
        let mut i = 0;
        group.bench_function("ours_view", |b| {
            b.iter(|| {
                i = (i + 1) % queries;
                black_box(
                    view_s
                        .impact_view(&streams[0][i..=i], &options)
                        .expect("known CI")
                        .len(),
                )
            })
        });
        let mut i = 0;
        group.bench_function("ours_compact", |b| {
            b.iter(|| {
                i = (i + 1) % queries;
                black_box(
                    compact_s
                        .impact_compact(&streams[1][i..=i], &options)
                        .expect("known CI"),
                )
            })
        });
        let mut i = 0;
        group.bench_function("ours_report", |b| {
            b.iter(|| {
                i = (i + 1) % queries;
                black_box(
                    report_s
                        .impact(&streams[2][i..=i], &options)
                        .expect("known CI"),
                )
            })
        });
        let mut i = 0;
        group.bench_function("petgraph", |b| {
            b.iter(|| {
                i = (i + 1) % queries;
                black_box(peer.query(&mut peer_s, &streams[3][i]))
            })
        });
        group.finish();
    }
}

fn bench(c: &mut Criterion) {
    let scales: Vec<usize> = env_or("CMDB_BENCH_SCALES", "200000,1000000")
        .split(',')
        .map(|s| {
            s.trim()
                .replace('_', "")
                .parse()
                .expect("CMDB_BENCH_SCALES: numbers")
        })
        .collect();
    let variants: Vec<bool> = match env_or("CMDB_BENCH_REDUNDANCY", "both").as_str() {
        "with" => vec![true],
        "without" => vec![false],
        _ => vec![true, false],
    };
    let queries: usize = env_or("CMDB_BENCH_QUERIES", "2000")
        .parse()
        .expect("CMDB_BENCH_QUERIES: a number");
    let edited = env_or("CMDB_BENCH_EDITED", "0") == "1";
    println!(
        "| estate | compact report p50 / p99 / mean | ImpactReport p50 / p99 / mean | view p50 / p99 | petgraph p50 / p99 / mean | \
         petgraph/compact p50 / p99 / mean | petgraph/ImpactReport p50 / p99 | petgraph/view p50 / p99 | load |"
    );
    let mut first = true;
    for &total in &scales {
        for &redundancy in &variants {
            estate(c, total, redundancy, queries, edited && first);
            first = false;
        }
    }
}

fn main() {
    // A large stack for the peer's algorithms, which may recurse; ours do not.
    let worker = std::thread::Builder::new()
        .stack_size(1 << 30)
        .spawn(|| {
            let mut c = Criterion::default().configure_from_args();
            bench(&mut c);
            c.final_summary();
        })
        .expect("spawn the bench thread");
    worker.join().expect("the bench completes");
}
