//! `Cmdb::index()` builds from the store's per-CI arrays, in the store's
//! own locality order. It must hold the graph `GraphIndex::build` gives for
//! the store's data after any sequence of changes (removals move the last
//! CI or relationship into the gap, so positions and places change), and
//! the very same layout right after an import or a `relayout()`. On the
//! same random stores: the borrowed `ImpactView` says what the owned
//! `ImpactReport` says.

use itsm_cmdb::{
    Cmdb, CmdbData, ConfigurationItem, GraphIndex, ImpactReport, QueryOptions, ReachedCi,
    Redundancy, RedundancyRequirement, Relationship, RelationshipRule,
};
use itsm_core::CiId;
use proptest::prelude::*;

fn id(n: u8) -> CiId {
    CiId::from_u128(u128::from(n) + 1)
}

/// The starter definitions, with every relationship type allowed between any two CIs.
fn definitions() -> CmdbData {
    let mut data = CmdbData::starter();
    data.rules = data
        .relationship_types
        .iter()
        .map(|t| RelationshipRule {
            source_class: "configuration_item".into(),
            relationship_type: t.name.clone(),
            target_class: "configuration_item".into(),
        })
        .collect();
    data
}

const CLASSES: [&str; 4] = [
    "server",
    "virtual_machine",
    "business_service",
    "application",
];

#[derive(Clone, Debug)]
enum Step {
    /// CI, class, redundancy: none, or (type, at least / percent, value).
    AddCi(u8, u8, Option<(u8, bool, u8)>),
    RemoveCi(u8),
    /// As `AddCi`, replacing the CI (class and redundancy may change).
    UpdateCi(u8, u8, Option<(u8, bool, u8)>),
    /// Orders the store's CIs again for locality.
    Relayout,
    AddRel(u8, u8, u8),
    RemoveRel(u8, u8, u8),
}

fn step() -> impl Strategy<Value = Step> {
    let redundancy = proptest::option::of((0u8..16, any::<bool>(), 1u8..=100));
    prop_oneof![
        3 => (0u8..24, 0u8..4, redundancy.clone()).prop_map(|(n, c, r)| Step::AddCi(n, c, r)),
        1 => (0u8..24).prop_map(Step::RemoveCi),
        1 => (0u8..24, 0u8..4, redundancy).prop_map(|(n, c, r)| Step::UpdateCi(n, c, r)),
        1 => Just(Step::Relayout),
        6 => (0u8..24, 0u8..16, 0u8..24).prop_map(|(s, t, g)| Step::AddRel(s, t, g)),
        1 => (0u8..24, 0u8..16, 0u8..24).prop_map(|(s, t, g)| Step::RemoveRel(s, t, g)),
    ]
}

/// Applies the steps, ignoring the ones the store refuses.
fn store(steps: &[Step]) -> Cmdb {
    let mut cmdb = Cmdb::import(definitions()).unwrap();
    let types: Vec<String> = cmdb
        .data()
        .relationship_types
        .iter()
        .map(|t| t.name.clone())
        .collect();
    let ty = |t: u8| types[t as usize % types.len()].clone();
    let ci = |n: u8, c: u8, r: Option<(u8, bool, u8)>| {
        let mut ci = ConfigurationItem::new(id(n), CLASSES[c as usize], "ci");
        if let Some((t, at_least, v)) = r {
            ci.redundancy.push(Redundancy {
                relationship_type: ty(t),
                required: if at_least {
                    RedundancyRequirement::AtLeast(u32::from(v % 4 + 1))
                } else {
                    RedundancyRequirement::Percent(v)
                },
            });
        }
        ci
    };
    for step in steps {
        let _ = match *step {
            Step::AddCi(n, c, r) => cmdb.add_ci(ci(n, c, r)),
            Step::UpdateCi(n, c, r) => cmdb.update_ci(ci(n, c, r)),
            Step::Relayout => {
                cmdb.relayout();
                Ok(())
            }
            Step::RemoveCi(n) => cmdb.remove_ci(&id(n)).map(|_| ()),
            Step::AddRel(s, t, g) => cmdb.add_relationship(Relationship::new(id(s), ty(t), id(g))),
            Step::RemoveRel(s, t, g) => {
                cmdb.remove_relationship(&Relationship::new(id(s), ty(t), id(g)))
            }
        };
    }
    cmdb
}

/// A reached CI as a set member: (CI, depth, service, has a via).
type Reached = (CiId, u32, bool, bool);

/// A report's reached CIs as a set: (CI, depth, service, has a via), and
/// a check that every `via` is a reached CI one step closer.
fn reached_set(case: &str, reached: &[ReachedCi]) -> Vec<Reached> {
    for r in reached {
        assert_eq!(r.via.is_some(), r.depth > 0, "case {case}: via of {}", r.ci);
        assert_eq!(
            r.via.is_some(),
            r.relationship_type.is_some(),
            "case {case}"
        );
        if let Some(via) = r.via {
            assert!(
                reached
                    .iter()
                    .any(|v| v.ci == via && v.depth + 1 == r.depth),
                "case {case}: {} is reached via {via}, which is not one step closer",
                r.ci
            );
        }
    }
    let mut set: Vec<_> = reached
        .iter()
        .map(|r| (r.ci, r.depth, r.service, r.via.is_some()))
        .collect();
    set.sort_unstable();
    set
}

fn impact_set(case: &str, report: &ImpactReport) -> (Vec<Reached>, Vec<CiId>, Vec<String>) {
    let mut services = report.services.clone();
    services.sort_unstable();
    let mut degraded: Vec<String> = report.degraded.iter().map(|d| format!("{d:?}")).collect();
    degraded.sort_unstable();
    (reached_set(case, &report.impacted), services, degraded)
}

fn components(index: &GraphIndex) -> Vec<Vec<CiId>> {
    let mut all = index.strongly_connected_components(None).unwrap();
    for c in &mut all {
        c.sort_unstable();
    }
    all.sort_unstable();
    all
}

/// The store's index holds the graph built from the data (the same CIs,
/// sizes and answers, whatever the numbering), and after `relayout` the
/// very same layout.
fn check(case: &str, cmdb: &Cmdb) {
    let from_store = cmdb.index().unwrap();
    let from_data = GraphIndex::build(cmdb.data()).unwrap();
    let mut ids = from_store.ci_ids().to_vec();
    let mut expected_ids = from_data.ci_ids().to_vec();
    ids.sort_unstable();
    expected_ids.sort_unstable();
    assert_eq!(ids, expected_ids, "case {case}: CIs");
    assert_eq!(
        from_store.memory(),
        from_data.memory(),
        "case {case}: memory"
    );
    let options = QueryOptions::new();
    for ci in &cmdb.data().cis {
        assert_eq!(
            impact_set(case, &from_store.impact(&[ci.id], &options).unwrap()),
            impact_set(case, &from_data.impact(&[ci.id], &options).unwrap()),
            "case {case}: impact of {}",
            ci.id
        );
        assert_eq!(
            reached_set(
                case,
                &from_store
                    .dependencies(&[ci.id], &options)
                    .unwrap()
                    .dependencies
            ),
            reached_set(
                case,
                &from_data
                    .dependencies(&[ci.id], &options)
                    .unwrap()
                    .dependencies
            ),
            "case {case}: dependencies of {}",
            ci.id
        );
        assert_eq!(
            from_store.is_service(&ci.id),
            from_data.is_service(&ci.id),
            "case {case}: service {}",
            ci.id
        );
    }
    assert_eq!(
        components(&from_store),
        components(&from_data),
        "case {case}: cycles"
    );

    // Ordered again, the store numbers as the build does: the same layout.
    let mut ordered = cmdb.clone();
    ordered.relayout();
    assert!(
        ordered.index().unwrap() == from_data,
        "case {case}: layouts differ after relayout"
    );
    assert_eq!(
        ordered.export(),
        cmdb.export(),
        "case {case}: relayout changed the data"
    );
    // And so does a fresh import of the same data.
    let imported = Cmdb::import(cmdb.export()).unwrap();
    assert!(
        imported.index().unwrap() == from_data,
        "case {case}: layouts differ after import"
    );
}

#[test]
fn index_from_store_matches_build_for_fixed_histories() {
    use Step::*;
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("empty store", vec![]),
        ("one ci", vec![AddCi(1, 0, None)]),
        (
            "chain with a service on top",
            vec![
                AddCi(1, 2, None),
                AddCi(2, 3, None),
                AddCi(3, 0, None),
                AddRel(1, 0, 2),
                AddRel(2, 0, 3),
            ],
        ),
        (
            "removing the first ci moves the last into its position",
            vec![
                AddCi(1, 0, None),
                AddCi(2, 1, Some((0, true, 1))),
                AddCi(3, 2, None),
                AddCi(4, 3, None),
                AddRel(3, 0, 2),
                AddRel(2, 0, 4),
                AddRel(4, 0, 1),
                RemoveCi(1),
                AddRel(2, 0, 3),
            ],
        ),
        (
            "removing the first relationship moves the last into its position",
            vec![
                AddCi(1, 0, None),
                AddCi(2, 0, None),
                AddCi(3, 0, None),
                AddRel(1, 0, 2),
                AddRel(2, 0, 3),
                AddRel(3, 0, 1),
                RemoveRel(1, 0, 2),
            ],
        ),
    ];
    for (case, steps) in cases {
        check(case, &store(&steps));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn index_from_store_matches_build_after_any_changes(steps in proptest::collection::vec(step(), 0..120)) {
        let cmdb = store(&steps);
        check(&format!("{steps:?}"), &cmdb);
    }
}

/// The view of an impact analysis, read field by field, against the report
/// of the same analysis on a fresh searcher.
fn check_view(case: &str, index: &GraphIndex, failed: &[CiId], options: &QueryOptions) {
    let expected: ImpactReport = index.impact(failed, options).unwrap();
    let mut searcher = index.searcher();
    // A previous, different query must leave nothing behind.
    let _ = searcher.impact_view(&index.ci_ids()[..index.len().min(1)], &QueryOptions::new());
    let view = searcher.impact_view(failed, options).unwrap();
    assert_eq!(view.len(), expected.impacted.len(), "case {case}: len");
    assert_eq!(view.is_empty(), expected.impacted.is_empty(), "case {case}");
    let reached: Vec<_> = view.iter().map(|r| r.to_reached()).collect();
    assert_eq!(reached, expected.impacted, "case {case}: impacted");
    for (i, r) in view.iter().enumerate() {
        assert_eq!(
            view.get(i).map(|g| g.to_reached()),
            Some(r.to_reached()),
            "case {case}"
        );
        assert_eq!(
            index.ci_ids()[r.position()],
            r.ci(),
            "case {case}: position"
        );
        assert_eq!(
            r.via_position().map(|p| index.ci_ids()[p]),
            r.via(),
            "case {case}: via position"
        );
        assert_eq!(
            r.relationship_type_position()
                .map(|t| index.relationship_types()[t].as_str()),
            r.relationship_type(),
            "case {case}: type position"
        );
    }
    assert!(view.get(view.len()).is_none(), "case {case}: past the end");
    assert_eq!(
        view.services().collect::<Vec<_>>(),
        expected.services,
        "case {case}: services"
    );
    assert_eq!(view.to_report(), expected, "case {case}: report");
    // The compact report, read the same ways, on a searcher that served
    // another query before and serves another after.
    let compact = searcher.impact_compact(failed, options).unwrap();
    let _ = searcher.impact_view(&index.ci_ids()[..index.len().min(1)], &QueryOptions::new());
    assert_eq!(compact.len(), expected.impacted.len(), "case {case}: len");
    assert_eq!(
        compact.is_empty(),
        expected.impacted.is_empty(),
        "case {case}"
    );
    let reached: Vec<_> = compact.iter().map(|r| r.to_reached()).collect();
    assert_eq!(reached, expected.impacted, "case {case}: compact impacted");
    for (i, r) in compact.iter().enumerate() {
        assert_eq!(
            compact.get(i).map(|g| g.to_reached()),
            Some(r.to_reached()),
            "case {case}"
        );
        assert_eq!(
            compact.path_to(&r.ci()),
            expected.path_to(&r.ci()),
            "case {case}: path"
        );
    }
    assert!(
        compact.get(compact.len()).is_none(),
        "case {case}: past the end"
    );
    assert_eq!(
        compact.services().collect::<Vec<_>>(),
        expected.services,
        "case {case}: compact services"
    );
    assert_eq!(
        compact.degraded().collect::<Vec<_>>(),
        expected.degraded,
        "case {case}: compact degraded"
    );
    assert_eq!(compact.to_report(), expected, "case {case}: compact report");
    assert_eq!(
        serde_json::to_string(&compact).unwrap(),
        serde_json::to_string(&expected).unwrap(),
        "case {case}: compact JSON"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn impact_view_says_what_the_report_says(
        steps in proptest::collection::vec(step(), 0..120),
        failed in proptest::collection::vec(0u8..24, 0..4),
        depth in proptest::option::of(0u32..4),
        types in proptest::option::of(proptest::collection::vec(0usize..16, 1..3)),
    ) {
        let cmdb = store(&steps);
        let index = cmdb.index().unwrap();
        // Failed CIs the store holds (repeats allowed: reported once).
        let failed: Vec<CiId> = failed.into_iter().map(id).filter(|c| index.contains(c)).collect();
        let names = index.relationship_types();
        let options = QueryOptions {
            max_depth: depth,
            relationship_types: types.map(|t| t.into_iter().map(|i| names[i % names.len()].clone()).collect()),
        };
        check_view(&format!("{steps:?} {failed:?} {options:?}"), &index, &failed, &options);
    }
}

#[test]
fn impact_view_refuses_an_unknown_ci_and_keeps_serving() {
    let cmdb = store(&[
        Step::AddCi(1, 0, None),
        Step::AddCi(2, 3, None),
        Step::AddRel(2, 0, 1),
    ]);
    let index = cmdb.index().unwrap();
    let mut searcher = index.searcher();
    let unknown = id(200);
    assert_eq!(
        searcher
            .impact_view(&[id(1), unknown], &QueryOptions::new())
            .map(|v| v.len())
            .map_err(|e| e.to_string()),
        Err(format!("unknown configuration item {unknown}")),
    );
    check_view("after an error", &index, &[id(1)], &QueryOptions::new());
    assert_eq!(
        searcher
            .impact_view(&[id(1)], &QueryOptions::new())
            .unwrap()
            .len(),
        2
    );
}
