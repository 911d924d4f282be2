//! Governance rules, inherited down the class hierarchy on both ends.

use itsm_cmdb::{CiClass, Cmdb, CmdbData, ConfigurationItem, Relationship, RelationshipRule};
use itsm_core::CiId;

/// Classes: ci → hardware → server → linux_server; ci → application → web_app;
/// ci → service (service) → business_service. Rules: application runs_on server,
/// ci depends_on service, web_app depends_on linux_server.
fn definitions() -> CmdbData {
    let class = |name: &str, parent: Option<&str>| CiClass {
        name: name.into(),
        label: None,
        parent: parent.map(Into::into),
        service: name == "service",
        attributes: vec![],
    };
    let rule = |s: &str, t: &str, g: &str| RelationshipRule {
        source_class: s.into(),
        relationship_type: t.into(),
        target_class: g.into(),
    };
    let starter = CmdbData::starter();
    CmdbData {
        classes: vec![
            class("ci", None),
            class("hardware", Some("ci")),
            class("server", Some("hardware")),
            class("linux_server", Some("server")),
            class("application", Some("ci")),
            class("web_app", Some("application")),
            class("service", Some("ci")),
            class("business_service", Some("service")),
        ],
        relationship_types: starter.relationship_types,
        rules: vec![
            rule("application", "runs_on", "server"),
            rule("ci", "depends_on", "service"),
            rule("web_app", "depends_on", "linux_server"),
        ],
        ..CmdbData::default()
    }
}

/// Adds a `source_class` CI and a `target_class` CI and the relationship
/// between them; compares "ok" or the error message.
fn check(source_class: &str, ty: &str, target_class: &str, expected: &str) {
    let mut cmdb = Cmdb::import(definitions()).unwrap();
    let (s, g) = (CiId::from_u128(1), CiId::from_u128(2));
    cmdb.add_ci(ConfigurationItem::new(s, source_class, "s"))
        .unwrap();
    cmdb.add_ci(ConfigurationItem::new(g, target_class, "g"))
        .unwrap();
    let actual = match cmdb.add_relationship(Relationship::new(s, ty, g)) {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.to_string(),
    };
    let case = format!("{source_class} {ty} {target_class}");
    assert_eq!(
        actual, expected,
        "case {case}: expected {expected:?}, got {actual:?}"
    );
}

#[test]
fn rules_are_inherited_down_the_class_hierarchy() {
    check("application", "runs_on", "server", "ok");
    check("web_app", "runs_on", "server", "ok"); // source inherits
    check("application", "runs_on", "linux_server", "ok"); // target inherits
    check("web_app", "runs_on", "linux_server", "ok"); // both inherit
    check("linux_server", "depends_on", "business_service", "ok"); // root rule covers every class
    check("web_app", "depends_on", "linux_server", "ok");
    check(
        "application",
        "depends_on",
        "linux_server",
        "no rule allows application depends_on linux_server (nor any rule for their ancestors)",
    ); // a rule of a subclass does not reach up to its parent
    check(
        "web_app",
        "depends_on",
        "server",
        "no rule allows web_app depends_on server (nor any rule for their ancestors)",
    );
    check(
        "server",
        "runs_on",
        "application",
        "no rule allows server runs_on application (nor any rule for their ancestors)",
    ); // rules are directed
    check(
        "application",
        "hosted_on",
        "server",
        "no rule allows application hosted_on server (nor any rule for their ancestors)",
    ); // rules are per type
    check("linux_server", "depends_on", "business_service", "ok");
    check(
        "business_service",
        "depends_on",
        "hardware",
        "no rule allows business_service depends_on hardware (nor any rule for their ancestors)",
    );
}

#[test]
fn starter_rules_allow_the_usual_estate() {
    let mut cmdb = Cmdb::import(CmdbData::starter()).unwrap();
    let id = CiId::from_u128;
    for (n, class) in [
        (1, "business_service"),
        (2, "application"),
        (3, "database"),
        (4, "virtual_machine"),
        (5, "linux_server"),
        (6, "cluster"),
        (7, "storage_device"),
        (8, "network_device"),
        (9, "technical_service"),
        (10, "power_supply"),
        (11, "business_capability"),
    ] {
        cmdb.add_ci(ConfigurationItem::new(id(n), class, class))
            .unwrap();
    }
    for (s, t, g) in [
        (11, "depends_on", 1),
        (1, "depends_on", 2),
        (2, "depends_on", 3),
        (3, "runs_on", 4),
        (4, "hosted_on", 5),
        (5, "member_of", 6),
        (6, "depends_on", 7),
        (5, "connects_to", 8),
        (4, "depends_on", 9),
        (5, "powered_by", 10),
    ] {
        let r = Relationship::new(id(s), t, id(g));
        assert!(cmdb.add_relationship(r.clone()).is_ok(), "{r:?} refused");
    }
}
