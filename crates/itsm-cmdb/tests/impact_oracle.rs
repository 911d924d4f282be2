//! Impact with redundancy against a naive oracle: a fixpoint computed by
//! re-examining every CI until nothing changes (slow, obviously right).

#[path = "index_fixture/mod.rs"]
mod fixture;

use std::collections::{BTreeMap, BTreeSet};

use itsm_cmdb::{
    CmdbData, ConfigurationItem, GraphIndex, ImpactDirection, LifecycleStatus, OperationalState,
    QueryOptions, Redundancy, RedundancyRequirement, Relationship,
};
use proptest::prelude::*;

/// (CI count, relationships (source, type, target), redundancy (ci, type, at_least or percent, n), failed)
type Case = (
    usize,
    Vec<(usize, usize, usize)>,
    Vec<(usize, usize, bool, u32)>,
    Vec<usize>,
);

fn data(case: &Case) -> CmdbData {
    let (n, rels, reds, _) = case;
    let mut data = fixture::base();
    for i in 0..*n {
        data.cis.push(ConfigurationItem {
            id: fixture::id_of(i),
            class: "server".into(),
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
    for &(ci, t, at_least, k) in reds {
        let ty = data.relationship_types[t % types].name.clone();
        let ci = &mut data.cis[ci % n];
        if ci.redundancy.iter().any(|r| r.relationship_type == ty) {
            continue;
        }
        let required = if at_least {
            RedundancyRequirement::AtLeast(k % 4)
        } else {
            RedundancyRequirement::Percent(u8::try_from(k % 101).unwrap())
        };
        ci.redundancy.push(Redundancy {
            relationship_type: ty,
            required,
        });
    }
    data
}

/// Impacted and degraded CIs (by position), by fixpoint iteration.
fn oracle(data: &CmdbData, failed: &[usize]) -> (BTreeSet<usize>, BTreeSet<usize>) {
    let pos = |id| data.cis.iter().position(|c| c.id == id).unwrap();
    // deps[v][type] = the distinct CIs whose failure travels to v along that type.
    let mut deps: Vec<BTreeMap<String, BTreeSet<usize>>> = vec![BTreeMap::new(); data.cis.len()];
    for r in &data.relationships {
        let ty = data
            .relationship_types
            .iter()
            .find(|t| t.name == r.relationship_type)
            .unwrap();
        let (s, t) = (pos(r.source), pos(r.target));
        let mut add = |from: usize, to: usize| {
            deps[to].entry(ty.name.clone()).or_default().insert(from);
        };
        match ty.impact {
            ImpactDirection::ToSource => add(t, s),
            ImpactDirection::ToTarget => add(s, t),
            ImpactDirection::Both => {
                add(s, t);
                add(t, s);
            }
            _ => {}
        }
    }
    let mut impacted: BTreeSet<usize> = failed.iter().copied().collect();
    loop {
        let mut changed = false;
        for (v, by_type) in deps.iter().enumerate() {
            if impacted.contains(&v) {
                continue;
            }
            let hit = by_type.iter().any(|(ty, from)| {
                let down = from.iter().filter(|f| impacted.contains(f)).count() as u64;
                let total = from.len() as u64;
                match data.cis[v]
                    .redundancy
                    .iter()
                    .find(|r| &r.relationship_type == ty)
                {
                    None => down > 0,
                    Some(r) => {
                        let required = match r.required {
                            RedundancyRequirement::AtLeast(k) => u64::from(k),
                            RedundancyRequirement::Percent(p) => {
                                (total * u64::from(p)).div_ceil(100)
                            }
                        };
                        down > 0 && total - down < required
                    }
                }
            });
            if hit {
                impacted.insert(v);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let degraded = (0..data.cis.len())
        .filter(|v| !impacted.contains(v))
        .filter(|&v| {
            data.cis[v].redundancy.iter().any(|r| {
                deps[v]
                    .get(&r.relationship_type)
                    .is_some_and(|from| from.iter().any(|f| impacted.contains(f)))
            })
        })
        .collect();
    (impacted, degraded)
}

fn case() -> impl Strategy<Value = Case> {
    (1usize..30).prop_flat_map(|n| {
        (
            Just(n),
            proptest::collection::vec((0..n, 0usize..7, 0..n), 0..(3 * n)),
            proptest::collection::vec((0..n, 0usize..7, any::<bool>(), 0u32..200), 0..n),
            proptest::collection::vec(0..n, 0..4),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn impact_with_redundancy_matches_the_fixpoint_oracle(case in case()) {
        let data = data(&case);
        let index = GraphIndex::build(&data).unwrap();
        let failed: Vec<_> = case.3.iter().map(|&i| fixture::id_of(i)).collect();
        let report = index.impact(&failed, &QueryOptions::new()).unwrap();
        let pos = |id| data.cis.iter().position(|c| c.id == id).unwrap();
        let got: BTreeSet<usize> = report.impacted.iter().map(|r| pos(r.ci)).collect();
        let got_degraded: BTreeSet<usize> = report.degraded.iter().map(|d| pos(d.ci)).collect();
        let (expect, expect_degraded) = oracle(&data, &case.3);
        prop_assert_eq!(got, expect);
        prop_assert_eq!(got_degraded, expect_degraded);
        // The report survives its wire form unchanged.
        let wire = serde_json::to_string(&report).unwrap();
        prop_assert_eq!(&serde_json::from_str::<itsm_cmdb::ImpactReport>(&wire).unwrap(), &report);
        // Depths are consistent: a CI's `via` is impacted one level closer.
        let depth: BTreeMap<_, _> = report.impacted.iter().map(|r| (r.ci, r.depth)).collect();
        for r in &report.impacted {
            match r.via {
                None => prop_assert_eq!(r.depth, 0),
                Some(v) => prop_assert_eq!(depth[&v] + 1, r.depth),
            }
        }
    }
}
