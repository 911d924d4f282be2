//! A 1,000,000-CI chain: impact and cycle detection are iterative and
//! complete on a thread with a 256 KiB stack.

#[path = "index_fixture/mod.rs"]
mod fixture;

use std::collections::BTreeMap;

use itsm_cmdb::{
    ConfigurationItem, GraphIndex, LifecycleStatus, OperationalState, QueryOptions, Relationship,
};

const N: usize = 1_000_000;

#[test]
fn million_ci_chain_on_a_small_stack() {
    let worker = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(|| {
            let mut data = fixture::base();
            data.cis = (0..N)
                .map(|i| ConfigurationItem {
                    id: fixture::id_of(i),
                    class: "application".into(),
                    name: String::new(),
                    attributes: BTreeMap::new(),
                    lifecycle: LifecycleStatus::InUse,
                    operational_state: OperationalState::Operational,
                    redundancy: Vec::new(),
                })
                .collect();
            // ci[i + 1] depends on ci[i]: a failure of ci[0] travels the whole chain.
            data.relationships = (0..N - 1)
                .map(|i| Relationship {
                    source: fixture::id_of(i + 1),
                    relationship_type: "depends_on".into(),
                    target: fixture::id_of(i),
                })
                .collect();
            let index = GraphIndex::build(&data).unwrap();
            let mut searcher = index.searcher();
            let report = searcher
                .impact(&[fixture::id_of(0)], &QueryOptions::new())
                .unwrap();
            assert_eq!(report.impacted.len(), N);
            assert_eq!(report.impacted.last().map(|r| r.depth), Some(N as u32 - 1));
            let deps = searcher
                .dependencies(&[fixture::id_of(N - 1)], &QueryOptions::new())
                .unwrap();
            assert_eq!(deps.dependencies.len(), N);
            assert!(
                index
                    .strongly_connected_components(None)
                    .unwrap()
                    .is_empty()
            );

            // Closing the chain makes one cycle of every CI.
            data.relationships.push(Relationship {
                source: fixture::id_of(0),
                relationship_type: "depends_on".into(),
                target: fixture::id_of(N - 1),
            });
            let index = GraphIndex::build(&data).unwrap();
            let components = index.strongly_connected_components(None).unwrap();
            assert_eq!(components.iter().map(Vec::len).collect::<Vec<_>>(), vec![N]);
            let path = index
                .path(
                    &fixture::id_of(5),
                    &fixture::id_of(3),
                    itsm_cmdb::PathDirection::Impact,
                    &QueryOptions::new(),
                )
                .unwrap()
                .unwrap();
            assert_eq!(path.cis.len(), N - 1);
        })
        .unwrap();
    worker
        .join()
        .expect("the chain queries complete on a 256 KiB stack");
}
