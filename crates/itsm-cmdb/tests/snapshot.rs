//! Snapshots and diff: a table of differences, and the laws
//! diff(a, a) is empty, apply(a, diff(a, b)) is b, and diff(b, a) mirrors diff(a, b).

use std::collections::BTreeSet;

use itsm_cmdb::{
    Cmdb, CmdbData, CmdbDiff, ConfigurationItem, LifecycleStatus, OperationalState, Relationship,
};
use itsm_core::{CiId, FieldValue};
use proptest::prelude::*;

fn id(n: u128) -> CiId {
    CiId::from_u128(n)
}

fn before() -> CmdbData {
    let mut data = CmdbData::starter();
    data.cis = vec![
        ConfigurationItem::new(id(1), "application", "payroll").with_attribute("version", "4.1"),
        ConfigurationItem::new(id(2), "database", "payroll-db")
            .with_attribute("engine", "postgresql"),
        ConfigurationItem::new(id(3), "virtual_machine", "vm-01"),
    ];
    data.relationships = vec![
        Relationship::new(id(1), "depends_on", id(2)),
        Relationship::new(id(2), "runs_on", id(3)),
    ];
    data
}

/// One line per difference, in the diff's order.
fn lines(diff: &CmdbDiff) -> Vec<String> {
    let show = |v: &Option<FieldValue>| v.as_ref().map_or("-".to_owned(), ToString::to_string);
    let mut out = Vec::new();
    out.extend(diff.added_cis.iter().map(|c| format!("+ci {}", c.name)));
    out.extend(diff.removed_cis.iter().map(|c| format!("-ci {}", c.name)));
    for change in &diff.changed_cis {
        for f in &change.changes {
            out.push(format!(
                "~ci {} {}: {} -> {}",
                change.id.as_u128(),
                f.field,
                show(&f.before),
                show(&f.after)
            ));
        }
    }
    let rel = |r: &Relationship| {
        format!(
            "{} {} {}",
            r.source.as_u128(),
            r.relationship_type,
            r.target.as_u128()
        )
    };
    out.extend(
        diff.added_relationships
            .iter()
            .map(|r| format!("+rel {}", rel(r))),
    );
    out.extend(
        diff.removed_relationships
            .iter()
            .map(|r| format!("-rel {}", rel(r))),
    );
    out
}

fn check(case: &str, change: impl FnOnce(&mut CmdbData), expected: &[&str]) {
    let a = before();
    let mut b = a.clone();
    change(&mut b);
    let diff = CmdbDiff::between(&a, &b);
    let actual = lines(&diff);
    assert_eq!(
        actual, expected,
        "case {case}: expected {expected:#?}, got {actual:#?}"
    );
    let mut applied = a.clone();
    diff.apply(&mut applied).unwrap();
    assert!(
        CmdbDiff::between(&applied, &b).is_empty(),
        "case {case}: applying the diff does not give the after state"
    );
}

#[test]
fn diff_table() {
    check("nothing changed", |_| {}, &[]);
    check(
        "a ci added with a relationship",
        |d| {
            d.cis
                .push(ConfigurationItem::new(id(4), "linux_server", "host-01"));
            d.relationships
                .push(Relationship::new(id(3), "hosted_on", id(4)));
        },
        &["+ci host-01", "+rel 3 hosted_on 4"],
    );
    check(
        "a ci removed with its relationships",
        |d| {
            d.cis.retain(|c| c.id != id(3));
            d.relationships.retain(|r| r.target != id(3));
        },
        &["-ci vm-01", "-rel 2 runs_on 3"],
    );
    check(
        "attribute by attribute: changed, added, removed",
        |d| {
            d.cis[0].attributes.insert("version".into(), "4.2".into());
            d.cis[0].attributes.insert("vendor".into(), "acme".into());
            d.cis[1].attributes.clear();
        },
        &[
            "~ci 1 attributes.vendor: - -> \"acme\"",
            "~ci 1 attributes.version: \"4.1\" -> \"4.2\"",
            "~ci 2 attributes.engine: \"postgresql\" -> -",
        ],
    );
    check(
        "fixed fields in a fixed order",
        |d| {
            d.cis[2].operational_state = OperationalState::Down;
            d.cis[2].lifecycle = LifecycleStatus::InMaintenance;
            d.cis[2].name = "vm-01b".into();
        },
        &[
            "~ci 3 name: \"vm-01\" -> \"vm-01b\"",
            "~ci 3 lifecycle: \"in_use\" -> \"in_maintenance\"",
            "~ci 3 operational_state: \"operational\" -> \"down\"",
        ],
    );
    check(
        "order of the data does not matter",
        |d| {
            d.cis.reverse();
            d.relationships.reverse();
        },
        &[],
    );
    check(
        "a relationship retyped is one removed and one added",
        |d| d.relationships[1].relationship_type = "hosted_on".into(),
        &["+rel 2 hosted_on 3", "-rel 2 runs_on 3"],
    );
}

#[test]
fn snapshots_from_the_store_diff_its_changes() {
    let mut cmdb = Cmdb::import(before()).unwrap();
    let snapshot = cmdb.export();
    cmdb.remove_ci(&id(1)).unwrap();
    let diff = CmdbDiff::between(&snapshot, &cmdb.export());
    assert_eq!(lines(&diff), vec!["-ci payroll", "-rel 1 depends_on 2"]);
}

#[test]
fn apply_refuses_a_diff_that_does_not_fit() {
    let a = before();
    let mut b = a.clone();
    b.cis.pop();
    b.relationships.pop();
    let diff = CmdbDiff::between(&a, &b);
    let mut target = b.clone();
    let err = diff.apply(&mut target).unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown configuration item 00000000-0000-0000-0000-000000000003"
    );
    assert_eq!(target, b, "a failed apply leaves the data unchanged");
}

// ---- laws ----

fn state() -> impl Strategy<Value = CmdbData> {
    (
        proptest::collection::btree_map(
            0u8..10,
            (0u8..3, 0u8..3, proptest::option::of(0u8..4)),
            0..10,
        ),
        proptest::collection::btree_set((0u8..10, 0u8..2, 0u8..10), 0..15),
    )
        .prop_map(|(cis, rels)| {
            let mut data = CmdbData::starter();
            for (n, (name, state, version)) in &cis {
                let mut ci =
                    ConfigurationItem::new(id((*n).into()), "application", format!("app-{name}"));
                ci.operational_state = [
                    OperationalState::Operational,
                    OperationalState::Degraded,
                    OperationalState::Down,
                ][*state as usize];
                if let Some(v) = version {
                    ci = ci.with_attribute("version", format!("{v}.0"));
                }
                data.cis.push(ci);
            }
            let types = ["depends_on", "runs_on"];
            for (s, t, g) in rels {
                if cis.contains_key(&s) && cis.contains_key(&g) {
                    data.relationships.push(Relationship::new(
                        id(s.into()),
                        types[t as usize],
                        id(g.into()),
                    ));
                }
            }
            data
        })
}

fn normalized(data: &CmdbData) -> (Vec<ConfigurationItem>, BTreeSet<(CiId, String, CiId)>) {
    let mut cis = data.cis.clone();
    cis.sort_by_key(|c| c.id);
    let rels = data
        .relationships
        .iter()
        .map(|r| (r.source, r.relationship_type.clone(), r.target))
        .collect();
    (cis, rels)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn diff_of_a_state_with_itself_is_empty(a in state()) {
        prop_assert!(CmdbDiff::between(&a, &a).is_empty());
    }

    #[test]
    fn applying_the_diff_gives_the_after_state(a in state(), b in state()) {
        let diff = CmdbDiff::between(&a, &b);
        let mut applied = a.clone();
        diff.apply(&mut applied).unwrap();
        prop_assert_eq!(normalized(&applied), normalized(&b));
        prop_assert_eq!(diff.is_empty(), normalized(&a) == normalized(&b));
    }

    #[test]
    fn diff_backwards_mirrors_diff_forwards(a in state(), b in state()) {
        let forward = CmdbDiff::between(&a, &b);
        let backward = CmdbDiff::between(&b, &a);
        prop_assert_eq!(&forward.added_cis, &backward.removed_cis);
        prop_assert_eq!(&forward.added_relationships, &backward.removed_relationships);
        prop_assert_eq!(forward.changed_cis.len(), backward.changed_cis.len());
        for (f, b) in forward.changed_cis.iter().zip(&backward.changed_cis) {
            prop_assert_eq!(f.id, b.id);
            for (x, y) in f.changes.iter().zip(&b.changes) {
                prop_assert_eq!((&x.field, &x.before, &x.after), (&y.field, &y.after, &y.before));
            }
        }
    }

    #[test]
    fn diff_json_round_trips(a in state(), b in state()) {
        let diff = CmdbDiff::between(&a, &b);
        let back: CmdbDiff = serde_json::from_str(&serde_json::to_string(&diff).unwrap()).unwrap();
        prop_assert_eq!(back, diff);
    }
}
