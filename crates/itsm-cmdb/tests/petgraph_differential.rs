//! Differential tests against petgraph (an independent implementation) on
//! random graphs: reachability (impact and dependencies without redundancy,
//! with depths) and strongly connected components.

#[path = "index_fixture/mod.rs"]
mod fixture;

use std::collections::{BTreeMap, BTreeSet};

use itsm_cmdb::{
    CmdbData, ConfigurationItem, GraphIndex, ImpactDirection, LifecycleStatus, OperationalState,
    QueryOptions, Relationship,
};
use petgraph::graph::{DiGraph, NodeIndex};
use proptest::prelude::*;

/// A random CMDB: `n` CIs and relationships `(source, type, target)` over
/// the fixture's relationship types.
fn data(n: usize, rels: &[(usize, usize, usize)]) -> CmdbData {
    let mut data = fixture::base();
    for i in 0..n {
        data.cis.push(ConfigurationItem {
            id: fixture::id_of(i),
            class: if i % 5 == 0 {
                "business_service".into()
            } else {
                "server".into()
            },
            name: format!("ci{i}"),
            attributes: BTreeMap::new(),
            lifecycle: LifecycleStatus::InUse,
            operational_state: OperationalState::Operational,
            redundancy: Vec::new(),
        });
    }
    let types = data.relationship_types.len();
    for &(s, t, target) in rels {
        data.relationships.push(Relationship {
            source: fixture::id_of(s % n),
            relationship_type: data.relationship_types[t % types].name.clone(),
            target: fixture::id_of(target % n),
        });
    }
    data
}

/// The impact graph in petgraph, built from the data independently of the index.
fn oracle(data: &CmdbData, follow: &BTreeSet<String>) -> DiGraph<(), ()> {
    let mut g = DiGraph::new();
    for _ in &data.cis {
        g.add_node(());
    }
    let node = |id| NodeIndex::new(data.cis.iter().position(|c| c.id == id).unwrap());
    for r in &data.relationships {
        if !follow.contains(&r.relationship_type) {
            continue;
        }
        let ty = data
            .relationship_types
            .iter()
            .find(|t| t.name == r.relationship_type)
            .unwrap();
        let (s, t) = (node(r.source), node(r.target));
        match ty.impact {
            ImpactDirection::ToSource => {
                g.add_edge(t, s, ());
            }
            ImpactDirection::ToTarget => {
                g.add_edge(s, t, ());
            }
            ImpactDirection::Both => {
                g.add_edge(s, t, ());
                g.add_edge(t, s, ());
            }
            _ => {}
        }
    }
    g
}

/// Multi-source shortest distances (unit weights) by petgraph's Dijkstra.
fn distances(g: &DiGraph<(), ()>, sources: &[usize]) -> BTreeMap<usize, u32> {
    let mut best: BTreeMap<usize, u32> = BTreeMap::new();
    for &s in sources {
        for (v, d) in petgraph::algo::dijkstra(g, NodeIndex::new(s), None, |_| 1u32) {
            let e = best.entry(v.index()).or_insert(d);
            *e = (*e).min(d);
        }
    }
    best
}

/// A random graph: CI count, relationships, failed CIs, type choice bits, depth limit.
type Case = (
    usize,
    Vec<(usize, usize, usize)>,
    Vec<usize>,
    u8,
    Option<u32>,
);

fn graph_strategy() -> impl Strategy<Value = Case> {
    (1usize..40).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec((0..n, 0usize..7, 0..n), 0..(3 * n)),
            proptest::collection::vec(0..n, 0..4),
            any::<u8>(),
            proptest::option::of(0u32..6),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn reachability_and_depths_match_petgraph((n, rels, failed, type_bits, max_depth) in graph_strategy()) {
        let data = data(n, &rels);
        let index = GraphIndex::build(&data).unwrap();
        // A random subset of the types, or all of them.
        let all_types: Vec<String> = data.relationship_types.iter().map(|t| t.name.clone()).collect();
        let chosen: Vec<String> = all_types.iter().enumerate().filter(|(i, _)| type_bits & (1 << i) != 0).map(|(_, t)| t.clone()).collect();
        let (options, follow) = if type_bits & 0x80 != 0 {
            (QueryOptions { max_depth, relationship_types: None }, all_types.iter().cloned().collect())
        } else {
            (QueryOptions { max_depth, relationship_types: Some(chosen.clone()) }, chosen.iter().cloned().collect())
        };
        let g = oracle(&data, &follow);
        let within = |d: &u32| max_depth.is_none_or(|m| *d <= m);

        let failed_ids: Vec<_> = failed.iter().map(|&i| fixture::id_of(i)).collect();
        let report = index.impact(&failed_ids, &options).unwrap();
        let got: BTreeMap<usize, u32> = report.impacted.iter().map(|r| (data.cis.iter().position(|c| c.id == r.ci).unwrap(), r.depth)).collect();
        let expect: BTreeMap<usize, u32> = distances(&g, &failed).into_iter().filter(|(_, d)| within(d)).collect();
        prop_assert_eq!(&got, &expect);
        prop_assert_eq!(got.len(), report.impacted.len(), "each CI once");

        let mut reversed = g.clone();
        reversed.reverse();
        let deps = index.dependencies(&failed_ids, &options).unwrap();
        let got: BTreeMap<usize, u32> = deps.dependencies.iter().map(|r| (data.cis.iter().position(|c| c.id == r.ci).unwrap(), r.depth)).collect();
        let expect: BTreeMap<usize, u32> = distances(&reversed, &failed).into_iter().filter(|(_, d)| within(d)).collect();
        prop_assert_eq!(got, expect);
    }

    #[test]
    fn strongly_connected_components_match_petgraph((n, rels, _failed, type_bits, _depth) in graph_strategy()) {
        let data = data(n, &rels);
        let index = GraphIndex::build(&data).unwrap();
        let all_types: Vec<String> = data.relationship_types.iter().map(|t| t.name.clone()).collect();
        let chosen: Vec<String> = all_types.iter().enumerate().filter(|(i, _)| type_bits & (1 << i) != 0).map(|(_, t)| t.clone()).collect();
        let (filter, follow) = if type_bits & 0x80 != 0 {
            (None, all_types.iter().cloned().collect())
        } else {
            (Some(chosen.clone()), chosen.iter().cloned().collect())
        };
        let g = oracle(&data, &follow);
        let got: BTreeSet<BTreeSet<usize>> = index
            .strongly_connected_components(filter.as_deref())
            .unwrap()
            .into_iter()
            .map(|c| c.iter().map(|id| data.cis.iter().position(|x| x.id == *id).unwrap()).collect())
            .collect();
        let expect: BTreeSet<BTreeSet<usize>> = petgraph::algo::kosaraju_scc(&g)
            .into_iter()
            .filter(|c| c.len() > 1 || g.contains_edge(c[0], c[0]))
            .map(|c| c.into_iter().map(NodeIndex::index).collect())
            .collect();
        prop_assert_eq!(got, expect);
    }
}
