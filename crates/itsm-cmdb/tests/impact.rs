//! Impact analysis and dependencies: tables around one `check` helper each.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;
use itsm_cmdb::{CmdbError, QueryOptions};

const STACK: &str = "
    svc:business_service app:application db:database vm1:server vm2:server
    app depends_on db; svc depends_on app; app runs_on vm1; db runs_on vm2";

/// `expect` lists `name@depth` sorted by depth then name; `degraded` the
/// names of CIs whose redundancy held, sorted.
fn check(spec: &str, failed: &str, options: QueryOptions, expect: &str, degraded: &str) {
    let f = Fixture::parse(spec);
    let index = f.index();
    let mut searcher = index.searcher();
    // Twice on the same searcher: the reused buffers must not leak state.
    for round in 0..2 {
        let report = searcher.impact(&f.ids(failed), &options).unwrap();
        // The compact report of the same query says the same, and writes
        // the same JSON.
        let compact = searcher.impact_compact(&f.ids(failed), &options).unwrap();
        assert_eq!(
            compact.to_report(),
            report,
            "\ncase: {spec}\nfailed: {failed}"
        );
        assert_eq!(
            serde_json::to_value(&compact).unwrap(),
            serde_json::to_value(&report).unwrap(),
            "\ncase: {spec}\nfailed: {failed}"
        );
        for r in &report.impacted {
            assert_eq!(compact.path_to(&r.ci), report.path_to(&r.ci));
            assert!(compact.is_impacted(&r.ci));
        }
        let mut got: Vec<(u32, String)> = report
            .impacted
            .iter()
            .map(|r| (r.depth, f.name(&r.ci)))
            .collect();
        got.sort();
        let got: Vec<String> = got.iter().map(|(d, n)| format!("{n}@{d}")).collect();
        let mut got_degraded: Vec<String> = report.degraded.iter().map(|d| f.name(&d.ci)).collect();
        got_degraded.sort();
        assert_eq!(
            (got.join(" "), got_degraded.join(" ")),
            (expect.to_owned(), degraded.to_owned()),
            "\ncase: {spec}\nfailed: {failed} options: {options:?} round {round}"
        );
        // Every impacted CI is explained by a path from a failed CI whose steps are impacted.
        for r in &report.impacted {
            let path = report.path_to(&r.ci).expect("every impacted CI has a path");
            assert_eq!(
                path.len() as u32,
                r.depth + 1,
                "path length matches depth for {}",
                f.name(&r.ci)
            );
            assert!(
                f.ids(failed).contains(&path[0]),
                "path starts at a failed CI"
            );
            assert_eq!(*path.last().unwrap(), r.ci);
        }
        // Services are exactly the impacted CIs of a service class.
        let services: Vec<_> = report
            .impacted
            .iter()
            .filter(|r| index.is_service(&r.ci))
            .map(|r| r.ci)
            .collect();
        assert_eq!(report.services, services);
    }
}

fn all() -> QueryOptions {
    QueryOptions::new()
}

#[test]
fn impact_table() {
    // Direction of depends_on: the database fails, the application and the service are impacted.
    check(STACK, "db", all(), "db@0 app@1 svc@2", "");
    // ... and not the reverse: the application failing impacts the service only.
    check(STACK, "app", all(), "app@0 svc@1", "");
    check(STACK, "svc", all(), "svc@0", "");
    check(STACK, "vm2", all(), "vm2@0 db@1 app@2 svc@3", "");
    // Several failed CIs: each CI once, at its smallest depth.
    check(STACK, "vm2 vm1", all(), "vm1@0 vm2@0 app@1 db@1 svc@2", "");
    check(STACK, "vm2 db", all(), "db@0 vm2@0 app@1 svc@2", "");
    // Duplicated failed CIs count once.
    check(STACK, "db db", all(), "db@0 app@1 svc@2", "");
    check(STACK, "", all(), "", "");
    // Depth limits.
    check(STACK, "vm2", all().max_depth(0), "vm2@0", "");
    check(STACK, "vm2", all().max_depth(1), "vm2@0 db@1", "");
    check(STACK, "vm2", all().max_depth(2), "vm2@0 db@1 app@2", "");
    // Type filters.
    check(
        STACK,
        "vm2",
        all().relationship_types(["runs_on"]),
        "vm2@0 db@1",
        "",
    );
    check(
        STACK,
        "vm2",
        all().relationship_types(["depends_on"]),
        "vm2@0",
        "",
    );
    check(
        STACK,
        "db",
        all().relationship_types(["depends_on", "runs_on"]),
        "db@0 app@1 svc@2",
        "",
    );
    // to_target: a rack contains a server, the rack failing impacts the server.
    check(
        "rack:configuration_item s:server; rack contains s",
        "rack",
        all(),
        "rack@0 s@1",
        "",
    );
    check(
        "rack:configuration_item s:server; rack contains s",
        "s",
        all(),
        "s@0",
        "",
    );
    // both ways, and none.
    check(
        "a:network b:network; a connects_to b",
        "a",
        all(),
        "a@0 b@1",
        "",
    );
    check(
        "a:network b:network; a connects_to b",
        "b",
        all(),
        "b@0 a@1",
        "",
    );
    check(
        "a:application d:configuration_item; d documents a",
        "d",
        all(),
        "d@0",
        "",
    );
    check(
        "a:application d:configuration_item; d documents a",
        "a",
        all(),
        "a@0",
        "",
    );
    // Cycles terminate, each CI reported once.
    check(
        "a:application b:application c:application; a depends_on b; b depends_on c; c depends_on a",
        "a",
        all(),
        "a@0 c@1 b@2",
        "",
    );
    check("a:application; a depends_on a", "a", all(), "a@0", "");
    // Repeated relationships count once.
    check(
        "a:application b:database; a depends_on b; a depends_on b",
        "b",
        all(),
        "b@0 a@1",
        "",
    );
}

const CLUSTER: &str = "
    svc:business_service app:application cl:cluster n1:server n2:server n3:server n4:server
    svc depends_on app; app runs_on cl
    n1 member_of cl; n2 member_of cl; n3 member_of cl; n4 member_of cl";

/// A small query right after a cascade over the whole graph, on the same
/// searcher, answers as on a fresh one (the cascade's marks carry an older
/// epoch), whichever way the result is read.
#[test]
fn small_query_after_a_cascade_answers_as_on_a_fresh_searcher() {
    // A chain of 300 CIs: `c0` fails and takes every CI down; `c299` alone.
    let mut spec = String::new();
    for i in 0..300 {
        spec.push_str(&format!("c{i}:server "));
    }
    for i in 1..300 {
        spec.push_str(&format!("; c{i} depends_on c{}", i - 1));
    }
    let f = Fixture::parse(&spec);
    let index = f.index();
    let fresh = |failed: &str| index.impact(&f.ids(failed), &all()).unwrap();
    let mut searcher = index.searcher();
    for (failed, len) in [
        ("c0", 300),
        ("c299", 1),
        ("c0", 300),
        ("c298", 2),
        ("c150", 150),
    ] {
        let report = searcher.impact(&f.ids(failed), &all()).unwrap();
        assert_eq!(report, fresh(failed), "failed {failed}");
        assert_eq!(report.impacted.len(), len, "failed {failed}");
        assert_eq!(
            searcher.impact_view(&f.ids(failed), &all()).unwrap().len(),
            len,
            "view, failed {failed}"
        );
        assert_eq!(
            searcher
                .impact_compact(&f.ids(failed), &all())
                .unwrap()
                .to_report(),
            fresh(failed),
            "compact, failed {failed}"
        );
    }
}

#[test]
fn impact_respects_redundancy() {
    // Half of a four-node cluster required (percent): two nodes may fail.
    let half = format!("{CLUSTER}; cl redundancy member_of percent 50");
    check(&half, "n1", all(), "n1@0", "cl");
    check(&half, "n1 n2", all(), "n1@0 n2@0", "cl");
    check(
        &half,
        "n1 n2 n3",
        all(),
        "n1@0 n2@0 n3@0 cl@1 app@2 svc@3",
        "",
    );
    // Percentages round up: 60 % of 4 is 2.4, so 3 must stay up.
    let sixty = format!("{CLUSTER}; cl redundancy member_of percent 60");
    check(&sixty, "n1", all(), "n1@0", "cl");
    check(&sixty, "n1 n2", all(), "n1@0 n2@0 cl@1 app@2 svc@3", "");
    // By count: one of four required.
    let one = format!("{CLUSTER}; cl redundancy member_of at_least 1");
    check(&one, "n1 n2 n3", all(), "n1@0 n2@0 n3@0", "cl");
    check(
        &one,
        "n1 n2 n3 n4",
        all(),
        "n1@0 n2@0 n3@0 n4@0 cl@1 app@2 svc@3",
        "",
    );
    // More required than exist: the first failure impacts.
    let five = format!("{CLUSTER}; cl redundancy member_of at_least 5");
    check(&five, "n1", all(), "n1@0 cl@1 app@2 svc@3", "");
    // Zero required: never impacted through that type.
    let zero = format!("{CLUSTER}; cl redundancy member_of percent 0");
    check(&zero, "n1 n2 n3 n4", all(), "n1@0 n2@0 n3@0 n4@0", "cl");
    // Without redundancy any node impacts the cluster.
    check(CLUSTER, "n1", all(), "n1@0 cl@1 app@2 svc@3", "");
    // Two power supplies, one required; the failure of both, one failed directly
    // and one impacted through its own dependency.
    let psu = "
        srv:server p1:configuration_item p2:configuration_item grid:configuration_item app:application
        srv depends_on p1; srv depends_on p2; p2 depends_on grid; app runs_on srv
        srv redundancy depends_on at_least 1";
    check(psu, "p1", all(), "p1@0", "srv");
    check(psu, "grid", all(), "grid@0 p2@1", "srv");
    check(psu, "grid p1", all(), "grid@0 p1@0 p2@1 srv@2 app@3", "");
    // Redundancy over one type; another type still propagates normally.
    let mixed = format!(
        "{CLUSTER}; cl redundancy member_of at_least 1; st:configuration_item; cl depends_on st"
    );
    check(&mixed, "st", all(), "st@0 cl@1 app@2 svc@3", "");
    // A degraded CI propagates nothing, but is impacted when another path reaches it.
    let other = format!("{half}; cl depends_on n1");
    check(&other, "n1", all(), "n1@0 cl@1 app@2 svc@3", "");
    // Depth limit before the redundancy would break.
    check(&half, "n1 n2 n3", all().max_depth(0), "n1@0 n2@0 n3@0", "");
}

#[test]
fn degraded_reports_counts() {
    let f = Fixture::parse(&format!("{CLUSTER}; cl redundancy member_of percent 50"));
    let report = f.index().impact(&f.ids("n1 n2"), &all()).unwrap();
    assert_eq!(report.degraded.len(), 1);
    let d = &report.degraded[0];
    assert_eq!(
        (d.failed, d.total, d.required, d.relationship_type.as_str()),
        (2, 4, 2, "member_of")
    );
}

#[test]
fn impact_errors_name_the_value() {
    let f = Fixture::parse(STACK);
    let index = f.index();
    let unknown = fixture::id_of(999);
    assert_eq!(
        index.impact(&[unknown], &all()),
        Err(CmdbError::UnknownCi {
            id: unknown.to_string()
        })
    );
    assert_eq!(
        index.impact(&f.ids("db"), &all().relationship_types(["powers"])),
        Err(CmdbError::UnknownRelationshipType {
            name: "powers".into()
        })
    );
}

fn check_deps(spec: &str, start: &str, options: QueryOptions, expect: &str) {
    let f = Fixture::parse(spec);
    let report = f.index().dependencies(&f.ids(start), &options).unwrap();
    let mut got: Vec<(u32, String)> = report
        .dependencies
        .iter()
        .map(|r| (r.depth, f.name(&r.ci)))
        .collect();
    got.sort();
    let got: Vec<String> = got.iter().map(|(d, n)| format!("{n}@{d}")).collect();
    assert_eq!(
        got.join(" "),
        expect,
        "\ncase: {spec}\nstart: {start} options: {options:?}"
    );
    for r in &report.dependencies {
        assert_eq!(report.path_to(&r.ci).unwrap().len() as u32, r.depth + 1);
    }
}

#[test]
fn dependencies_table() {
    check_deps(STACK, "svc", all(), "svc@0 app@1 db@2 vm1@2 vm2@3");
    check_deps(STACK, "app", all(), "app@0 db@1 vm1@1 vm2@2");
    check_deps(STACK, "db", all(), "db@0 vm2@1");
    check_deps(STACK, "vm2", all(), "vm2@0");
    check_deps(STACK, "svc", all().max_depth(1), "svc@0 app@1");
    check_deps(
        STACK,
        "svc",
        all().relationship_types(["depends_on"]),
        "svc@0 app@1 db@2",
    );
    // Redundancy does not hide a dependency.
    check_deps(
        &format!("{CLUSTER}; cl redundancy member_of at_least 1"),
        "app",
        all(),
        "app@0 cl@1 n1@2 n2@2 n3@2 n4@2",
    );
    check_deps(
        "a:network b:network; a connects_to b",
        "a",
        all(),
        "a@0 b@1",
    );
}

#[test]
fn build_reports_every_problem_at_once() {
    let mut f = Fixture::parse(STACK);
    f.data.cis[1].class = "mainframe".into();
    f.data.cis[2].id = f.data.cis[0].id;
    f.data.relationships[0].relationship_type = "powers".into();
    f.data.relationships[1].target = fixture::id_of(77);
    f.data.cis[3].redundancy.push(itsm_cmdb::Redundancy {
        relationship_type: "runs_on".into(),
        required: itsm_cmdb::RedundancyRequirement::Percent(150),
    });
    let Err(CmdbError::Invalid { problems }) = itsm_cmdb::GraphIndex::build(&f.data) else {
        panic!("expected invalid data");
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "cis[1].class",
            "cis[2].id",
            // cis[2]'s own id is gone, so the relationships naming it fail too.
            "relationships[0].target",
            "relationships[0].type",
            "relationships[1].target",
            "relationships[3].source",
            "cis[3].redundancy[0].required.percent"
        ]
    );
}
