//! Paths between CIs and impacted services for a ticket.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;
use itsm_cmdb::{PathDirection, QueryOptions};

const MAP: &str = "
    svc:business_service crit:critical_service app:application db:database vm:server
    app depends_on db; svc depends_on app; crit depends_on svc; db runs_on vm";

/// `expect`: `a -type-> b ...` or `none`.
fn check_path(
    spec: &str,
    from: &str,
    to: &str,
    direction: PathDirection,
    options: QueryOptions,
    expect: &str,
) {
    let f = Fixture::parse(spec);
    let path = f
        .index()
        .path(&f.id(from), &f.id(to), direction, &options)
        .unwrap();
    let got = match path {
        None => "none".to_owned(),
        Some(p) => {
            assert_eq!(p.relationship_types.len() + 1, p.cis.len());
            let mut s = f.name(&p.cis[0]);
            for (ci, ty) in p.cis[1..].iter().zip(&p.relationship_types) {
                s.push_str(&format!(" -{ty}-> {}", f.name(ci)));
            }
            s
        }
    };
    assert_eq!(
        got, expect,
        "\ncase: {spec}\n{from} to {to} {direction} {options:?}"
    );
}

#[test]
fn path_table() {
    let all = QueryOptions::new;
    check_path(
        MAP,
        "vm",
        "svc",
        PathDirection::Impact,
        all(),
        "vm -runs_on-> db -depends_on-> app -depends_on-> svc",
    );
    check_path(MAP, "svc", "vm", PathDirection::Impact, all(), "none");
    check_path(
        MAP,
        "svc",
        "vm",
        PathDirection::Dependency,
        all(),
        "svc -depends_on-> app -depends_on-> db -runs_on-> vm",
    );
    check_path(
        MAP,
        "svc",
        "vm",
        PathDirection::Either,
        all(),
        "svc -depends_on-> app -depends_on-> db -runs_on-> vm",
    );
    check_path(MAP, "vm", "vm", PathDirection::Impact, all(), "vm");
    check_path(
        MAP,
        "vm",
        "svc",
        PathDirection::Impact,
        all().max_depth(2),
        "none",
    );
    check_path(
        MAP,
        "vm",
        "svc",
        PathDirection::Impact,
        all().max_depth(3),
        "vm -runs_on-> db -depends_on-> app -depends_on-> svc",
    );
    check_path(
        MAP,
        "vm",
        "svc",
        PathDirection::Impact,
        all().relationship_types(["depends_on"]),
        "none",
    );
    // Either way at each step: two applications sharing a database are related.
    let shared = "a:application b:application db:database; a depends_on db; b depends_on db";
    check_path(
        shared,
        "a",
        "b",
        PathDirection::Either,
        all(),
        "a -depends_on-> db -depends_on-> b",
    );
    check_path(shared, "a", "b", PathDirection::Impact, all(), "none");
    // Shortest path wins in a cycle.
    check_path(
        "a:application b:application c:application; a depends_on b; b depends_on c; c depends_on a",
        "a",
        "c",
        PathDirection::Impact,
        all(),
        "a -depends_on-> c",
    );
}

#[test]
fn path_direction_names_round_trip() {
    use strum::IntoEnumIterator;
    for d in PathDirection::iter() {
        let wire = serde_json::to_string(&d).unwrap();
        assert_eq!(wire, format!("\"{d}\""));
        assert_eq!(d.to_string().parse::<PathDirection>().unwrap(), d);
    }
    assert!(
        "sideways"
            .parse::<PathDirection>()
            .unwrap_err()
            .to_string()
            .contains("\"sideways\"")
    );
}

/// `expect`: `service@depth<affected` sorted.
fn check_services(spec: &str, affected: &str, options: QueryOptions, expect: &str) {
    let f = Fixture::parse(spec);
    let services = f
        .index()
        .impacted_services(&f.ids(affected), &options)
        .unwrap();
    let mut got: Vec<String> = services
        .iter()
        .map(|s| {
            format!(
                "{}@{}<{}",
                f.name(&s.service),
                s.depth,
                f.name(&s.affected_ci)
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got.join(" "),
        expect,
        "\ncase: {spec}\naffected: {affected}"
    );
}

#[test]
fn impacted_services_table() {
    let all = QueryOptions::new;
    check_services(MAP, "db", all(), "crit@3<db svc@2<db");
    check_services(MAP, "vm", all(), "crit@4<vm svc@3<vm");
    // A service class inherited from an ancestor counts.
    check_services(MAP, "svc", all(), "crit@1<svc svc@0<svc");
    check_services(MAP, "crit", all(), "crit@0<crit");
    check_services(MAP, "db", all().max_depth(2), "svc@2<db");
    check_services(MAP, "db", all().relationship_types(["runs_on"]), "");
    // Redundancy does not hide a service that uses the affected CI.
    let cluster = "
        svc:business_service cl:cluster n1:server n2:server
        svc runs_on cl; n1 member_of cl; n2 member_of cl; cl redundancy member_of at_least 1";
    check_services(cluster, "n1", all(), "svc@2<n1");
    let report = Fixture::parse(cluster);
    assert!(
        report
            .index()
            .impact(&report.ids("n1"), &all())
            .unwrap()
            .services
            .is_empty()
    );
}
