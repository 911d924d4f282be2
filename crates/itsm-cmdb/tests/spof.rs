//! Single points of failure, checked against brute force on every case.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;
use itsm_cmdb::QueryOptions;

/// `expect`: `name@depth` sorted by depth then name.
fn check(spec: &str, service: &str, options: QueryOptions, expect: &str) {
    let f = Fixture::parse(spec);
    let index = f.index();
    let spofs = index
        .single_points_of_failure(&f.id(service), &options)
        .unwrap();
    let mut got: Vec<(u32, String)> = spofs.iter().map(|s| (s.depth, f.name(&s.ci))).collect();
    got.sort();
    let got: Vec<String> = got.iter().map(|(d, n)| format!("{n}@{d}")).collect();
    assert_eq!(
        got.join(" "),
        expect,
        "\ncase: {spec}\nservice: {service} {options:?}"
    );
    // Brute force: fail each CI alone and see whether the service is impacted.
    if options.max_depth.is_none() {
        let impact_options = QueryOptions {
            max_depth: None,
            ..options.clone()
        };
        let mut brute: Vec<String> = Vec::new();
        for (name, id) in &f.names {
            if name != service
                && index
                    .impact(&[*id], &impact_options)
                    .unwrap()
                    .is_impacted(&f.id(service))
            {
                brute.push(name.clone());
            }
        }
        let mut names: Vec<String> = spofs.iter().map(|s| f.name(&s.ci)).collect();
        names.sort();
        assert_eq!(names, brute, "brute force disagrees\ncase: {spec}");
    }
}

const CLUSTER: &str = "
    svc:business_service app:application db:database cl:cluster n1:server n2:server n3:server st:configuration_item
    svc depends_on app; app depends_on db; app runs_on cl; n1 member_of cl; n2 member_of cl; n3 member_of cl
    cl depends_on st; cl redundancy member_of at_least 2";

#[test]
fn spof_table() {
    let all = QueryOptions::new;
    // Without redundancy every dependency is a single point of failure.
    check(
        "svc:business_service app:application db:database; svc depends_on app; app depends_on db",
        "svc",
        all(),
        "app@1 db@2",
    );
    // A node of a cluster needing 2 of 3 is not; the cluster, its storage and the rest are.
    check(CLUSTER, "svc", all(), "app@1 cl@2 db@2 st@3");
    // Needing all 3: every node is.
    check(
        &CLUSTER.replace("at_least 2", "at_least 3"),
        "svc",
        all(),
        "app@1 cl@2 db@2 n1@3 n2@3 n3@3 st@3",
    );
    // A CI that fails two of the nodes at once is, although each node is not.
    check(
        &format!("{CLUSTER}; pdu:configuration_item; n1 depends_on pdu; n2 depends_on pdu"),
        "svc",
        all(),
        "app@1 cl@2 db@2 st@3 pdu@4",
    );
    // ... and one feeding a single node is not.
    check(
        &format!("{CLUSTER}; pdu:configuration_item; n1 depends_on pdu"),
        "svc",
        all(),
        "app@1 cl@2 db@2 st@3",
    );
    // Redundant power supplies behind a database, with a common grid.
    let psu = "
        svc:business_service db:database p1:configuration_item p2:configuration_item grid:configuration_item
        svc depends_on db; db depends_on p1; db depends_on p2; p1 depends_on grid; p2 depends_on grid
        db redundancy depends_on at_least 1";
    check(psu, "svc", all(), "db@1 grid@3");
    // Depth limit on candidates.
    check(CLUSTER, "svc", all().max_depth(2), "app@1 cl@2 db@2");
    // Type filter.
    check(
        CLUSTER,
        "svc",
        all().relationship_types(["depends_on"]),
        "app@1 db@2",
    );
    // Cycles terminate.
    check(
        "svc:business_service a:application b:application; svc depends_on a; a depends_on b; b depends_on a",
        "svc",
        all(),
        "a@1 b@2",
    );
    check("svc:business_service", "svc", all(), "");
}
