//! The mutable store: single changes validated, dependent removals refused,
//! and a model-based test of add/remove against a trivially correct model.

use std::collections::{BTreeMap, BTreeSet};

use itsm_cmdb::{Cmdb, CmdbData, CmdbError, ConfigurationItem, Relationship};
use itsm_core::CiId;
use proptest::prelude::*;

fn id(n: u128) -> CiId {
    CiId::from_u128(n)
}

/// host 10 ← vm 11 (hosted_on, dependent) ← app 12 (runs_on); rack 13 contains server 14 (dependent, to_target).
fn estate() -> Cmdb {
    let mut cmdb = Cmdb::import(CmdbData::starter()).unwrap();
    for ci in [
        ConfigurationItem::new(id(10), "linux_server", "host-01"),
        ConfigurationItem::new(id(11), "virtual_machine", "vm-01"),
        ConfigurationItem::new(id(12), "application", "app"),
        ConfigurationItem::new(id(13), "hardware", "rack-01"),
        ConfigurationItem::new(id(14), "server", "srv-02"),
    ] {
        cmdb.add_ci(ci).unwrap();
    }
    for r in [
        Relationship::new(id(11), "hosted_on", id(10)),
        Relationship::new(id(12), "runs_on", id(11)),
        Relationship::new(id(13), "contains", id(14)),
    ] {
        cmdb.add_relationship(r).unwrap();
    }
    cmdb
}

enum Op {
    AddCi(ConfigurationItem),
    UpdateCi(ConfigurationItem),
    RemoveCi(u128),
    AddRel(u128, &'static str, u128),
    RemoveRel(u128, &'static str, u128),
}

/// Applies `op` to the estate and compares the outcome's display (or "ok").
fn check(case: &str, op: Op, expected: &str) {
    let mut cmdb = estate();
    let result = match op {
        Op::AddCi(ci) => cmdb.add_ci(ci),
        Op::UpdateCi(ci) => cmdb.update_ci(ci),
        Op::RemoveCi(n) => cmdb.remove_ci(&id(n)).map(|_| ()),
        Op::AddRel(s, t, g) => cmdb.add_relationship(Relationship::new(id(s), t, id(g))),
        Op::RemoveRel(s, t, g) => cmdb.remove_relationship(&Relationship::new(id(s), t, id(g))),
    };
    let actual = match result {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        actual, expected,
        "case {case}: expected {expected:?}, got {actual:?}"
    );
}

const ID10: &str = "00000000-0000-0000-0000-00000000000a";
const ID11: &str = "00000000-0000-0000-0000-00000000000b";
const ID13: &str = "00000000-0000-0000-0000-00000000000d";
const ID14: &str = "00000000-0000-0000-0000-00000000000e";

#[test]
fn single_changes_are_validated() {
    check(
        "add a valid ci",
        Op::AddCi(ConfigurationItem::new(id(20), "database", "db")),
        "ok",
    );
    check(
        "add a ci with a taken id",
        Op::AddCi(ConfigurationItem::new(id(10), "database", "db")),
        &format!("configuration item {ID10} already exists"),
    );
    check(
        "add a ci with a bad choice",
        Op::AddCi(ConfigurationItem::new(id(20), "database", "db").with_attribute("engine", "db2")),
        "1 problem(s) in cmdb data: attributes.engine: \"db2\" is not a choice of attribute \"engine\": expected one of postgresql, mysql, oracle, sql_server, mongodb, other (bad_choice)",
    );
    check(
        "update a ci",
        Op::UpdateCi(ConfigurationItem::new(id(12), "application", "app v2")),
        "ok",
    );
    check(
        "update an unknown ci",
        Op::UpdateCi(ConfigurationItem::new(id(99), "application", "x")),
        "unknown configuration item 00000000-0000-0000-0000-000000000063",
    );
    check(
        "a change of class the relationships' rules no longer allow",
        Op::UpdateCi(ConfigurationItem::new(id(12), "business_capability", "app")),
        &format!(
            "1 problem(s) in cmdb data: class: no rule allows business_capability runs_on virtual_machine (nor any rule for their ancestors) (relationship 00000000-0000-0000-0000-00000000000c runs_on {ID11}) (not_allowed)"
        ),
    );
    check(
        "a change of class to a subclass the rules still allow",
        Op::UpdateCi(ConfigurationItem::new(id(14), "windows_server", "srv-02")),
        "ok",
    );
    check("remove a leaf ci", Op::RemoveCi(12), "ok");
    check(
        "remove the host of a vm (hosted_on is dependent, to_source)",
        Op::RemoveCi(10),
        &format!(
            "cannot remove configuration item {ID10}: {ID11} requires it through hosted_on, a dependent relationship"
        ),
    );
    check(
        "remove the vm: its own hosted_on goes with it",
        Op::RemoveCi(11),
        "ok",
    );
    check(
        "remove the rack containing a server (contains is dependent, to_target)",
        Op::RemoveCi(13),
        &format!(
            "cannot remove configuration item {ID13}: {ID14} requires it through contains, a dependent relationship"
        ),
    );
    check("remove the contained server", Op::RemoveCi(14), "ok");
    check(
        "remove an unknown ci",
        Op::RemoveCi(99),
        "unknown configuration item 00000000-0000-0000-0000-000000000063",
    );
    check(
        "add an allowed relationship",
        Op::AddRel(12, "runs_on", 10),
        "ok",
    );
    check(
        "add a relationship no rule allows",
        Op::AddRel(10, "runs_on", 12),
        "no rule allows linux_server runs_on application (nor any rule for their ancestors)",
    );
    check(
        "add a relationship to an unknown ci",
        Op::AddRel(12, "runs_on", 99),
        "unknown configuration item 00000000-0000-0000-0000-000000000063",
    );
    check(
        "add a duplicate relationship",
        Op::AddRel(12, "runs_on", 11),
        &format!(
            "1 problem(s) in cmdb data: .: relationship 00000000-0000-0000-0000-00000000000c runs_on {ID11} already exists (duplicate_relationship)"
        ),
    );
    check(
        "add a relationship of an unknown type",
        Op::AddRel(12, "feeds", 11),
        "1 problem(s) in cmdb data: type: unknown relationship type \"feeds\" (unknown_relationship_type)",
    );
    check(
        "remove a dependent relationship (moving a vm)",
        Op::RemoveRel(11, "hosted_on", 10),
        "ok",
    );
    check(
        "remove a relationship the store does not hold",
        Op::RemoveRel(12, "depends_on", 11),
        &format!("unknown relationship 00000000-0000-0000-0000-00000000000c depends_on {ID11}"),
    );
}

#[test]
fn removing_a_ci_removes_its_relationships() {
    let mut cmdb = estate();
    cmdb.remove_ci(&id(11)).unwrap();
    assert_eq!(cmdb.relationship_count(), 1);
    assert_eq!(cmdb.relationships_of(&id(10)).count(), 0);
    assert_eq!(cmdb.relationships_of(&id(12)).count(), 0);
    assert!(Cmdb::import(cmdb.export()).is_ok());
}

/// A DNS service used by 100,000 virtual machines: removing them one by one,
/// then the service, is linear (a list scan per removal would take minutes).
#[test]
fn removing_many_cis_attached_to_a_hub_stays_linear() {
    let mut data = CmdbData::starter();
    let dns = id(1);
    data.cis
        .push(ConfigurationItem::new(dns, "technical_service", "DNS"));
    for n in 0..100_000u128 {
        data.cis
            .push(ConfigurationItem::new(id(10 + n), "virtual_machine", "vm"));
        data.relationships
            .push(Relationship::new(id(10 + n), "depends_on", dns));
    }
    let mut cmdb = Cmdb::import(data).unwrap();
    for n in (0..100_000u128).step_by(2) {
        cmdb.remove_ci(&id(10 + n)).unwrap();
    }
    assert_eq!(cmdb.relationships_of(&dns).count(), 50_000);
    assert_eq!(cmdb.relationship_count(), 50_000);
    cmdb.remove_ci(&dns).unwrap();
    assert_eq!(cmdb.relationship_count(), 0);
    assert_eq!(cmdb.ci_count(), 50_000);
    assert!(Cmdb::import(cmdb.export()).is_ok());
}

#[test]
fn is_service_follows_the_class_hierarchy() {
    let mut cmdb = estate();
    cmdb.add_ci(ConfigurationItem::new(
        id(30),
        "business_service",
        "Payroll",
    ))
    .unwrap();
    assert!(cmdb.is_service(&id(30)));
    assert!(!cmdb.is_service(&id(12)));
}

// ---- model-based: the store against a map and a set ----

#[derive(Clone, Debug)]
enum Step {
    AddCi(u8, bool),
    RemoveCi(u8),
    AddRel(u8, u8, u8),
    RemoveRel(u8, u8, u8),
    /// Orders the store's CIs again; changes nothing the model sees.
    Relayout,
}

const TYPES: [&str; 3] = ["depends_on", "hosted_on", "connects_to"];

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0u8..12, any::<bool>()).prop_map(|(n, vm)| Step::AddCi(n, vm)),
        (0u8..12).prop_map(Step::RemoveCi),
        (0u8..12, 0u8..3, 0u8..12).prop_map(|(s, t, g)| Step::AddRel(s, t, g)),
        (0u8..12, 0u8..3, 0u8..12).prop_map(|(s, t, g)| Step::RemoveRel(s, t, g)),
        Just(Step::Relayout),
    ]
}

/// The reference: CIs by id with their class, and a set of relationships.
#[derive(Default)]
struct Model {
    cis: BTreeMap<u8, &'static str>,
    rels: BTreeSet<(u8, u8, u8)>,
}

impl Model {
    fn allowed(&self, s: u8, t: u8, g: u8) -> bool {
        // Test definitions: anything depends_on / connects_to anything; vm hosted_on server.
        s != g
            && self.cis.contains_key(&s)
            && self.cis.contains_key(&g)
            && (t != 1 || (self.cis[&s] == "virtual_machine" && self.cis[&g] == "server"))
    }

    fn removable(&self, n: u8) -> bool {
        self.cis.contains_key(&n)
            && !self
                .rels
                .iter()
                .any(|&(s, t, g)| t == 1 && g == n && s != n)
    }
}

fn definitions() -> CmdbData {
    let mut data = CmdbData::starter();
    data.rules
        .retain(|r| r.relationship_type == "hosted_on" && r.target_class == "server");
    for t in ["depends_on", "connects_to"] {
        data.rules.push(itsm_cmdb::RelationshipRule {
            source_class: "configuration_item".into(),
            relationship_type: t.into(),
            target_class: "configuration_item".into(),
        });
    }
    data
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]
    #[test]
    fn store_agrees_with_a_reference_model(steps in proptest::collection::vec(step(), 1..80)) {
        let mut cmdb = Cmdb::import(definitions()).unwrap();
        let mut model = Model::default();
        for step in steps {
            match step {
                Step::AddCi(n, vm) => {
                    let class = if vm { "virtual_machine" } else { "server" };
                    let ok = cmdb.add_ci(ConfigurationItem::new(id(n.into()), class, "ci")).is_ok();
                    prop_assert_eq!(ok, !model.cis.contains_key(&n));
                    model.cis.entry(n).or_insert(class);
                }
                Step::RemoveCi(n) => {
                    let result = cmdb.remove_ci(&id(n.into()));
                    prop_assert_eq!(result.is_ok(), model.removable(n), "{:?}", result);
                    if result.is_ok() {
                        model.cis.remove(&n);
                        model.rels.retain(|&(s, _, g)| s != n && g != n);
                    }
                }
                Step::AddRel(s, t, g) => {
                    let ok = cmdb
                        .add_relationship(Relationship::new(id(s.into()), TYPES[t as usize], id(g.into())))
                        .is_ok();
                    prop_assert_eq!(ok, model.allowed(s, t, g) && !model.rels.contains(&(s, t, g)));
                    if ok {
                        model.rels.insert((s, t, g));
                    }
                }
                Step::RemoveRel(s, t, g) => {
                    let ok = cmdb
                        .remove_relationship(&Relationship::new(id(s.into()), TYPES[t as usize], id(g.into())))
                        .is_ok();
                    prop_assert_eq!(ok, model.rels.remove(&(s, t, g)));
                }
                Step::Relayout => cmdb.relayout(),
            }
            // The store's contents equal the model's, and its per-CI lists agree.
            let cis: BTreeSet<CiId> = cmdb.data().cis.iter().map(|c| c.id).collect();
            let expected: BTreeSet<CiId> = model.cis.keys().map(|&n| id(n.into())).collect();
            prop_assert_eq!(cis, expected);
            let rels: BTreeSet<(CiId, String, CiId)> =
                cmdb.data().relationships.iter().map(|r| (r.source, r.relationship_type.clone(), r.target)).collect();
            let expected: BTreeSet<(CiId, String, CiId)> = model
                .rels
                .iter()
                .map(|&(s, t, g)| (id(s.into()), TYPES[t as usize].to_owned(), id(g.into())))
                .collect();
            prop_assert_eq!(rels, expected);
            for &n in model.cis.keys() {
                let mine: BTreeSet<(u8, u8, u8)> = model.rels.iter().copied().filter(|&(s, _, g)| s == n || g == n).collect();
                let theirs: BTreeSet<(CiId, String, CiId)> = cmdb
                    .relationships_of(&id(n.into()))
                    .map(|r| (r.source, r.relationship_type.clone(), r.target))
                    .collect();
                let mine: BTreeSet<(CiId, String, CiId)> = mine
                    .into_iter()
                    .map(|(s, t, g)| (id(s.into()), TYPES[t as usize].to_owned(), id(g.into())))
                    .collect();
                prop_assert_eq!(theirs, mine);
                let ci = cmdb.ci(&id(n.into())).map(|c| (c.id, c.class.clone()));
                prop_assert_eq!(ci, Some((id(n.into()), model.cis[&n].to_owned())));
                prop_assert_eq!(cmdb.is_service(&id(n.into())), false);
            }
        }
        // Whatever the store holds imports again unchanged.
        prop_assert_eq!(Cmdb::import(cmdb.export()).map(|c| c.export()).map_err(|e: CmdbError| e.to_string()), Ok(cmdb.export()));
    }
}
