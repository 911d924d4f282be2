//! Every query result round-trips through JSON unchanged.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;
use itsm_cmdb::{PathDirection, QueryOptions};
use serde::Serialize;
use serde::de::DeserializeOwned;

const MAP: &str = "
    svc:business_service app:application db:database cl:cluster n1:server n2:server
    svc depends_on app; app depends_on db; db runs_on cl; n1 member_of cl; n2 member_of cl
    cl redundancy member_of at_least 1; db depends_on app";

fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(what: &str, value: &T) {
    let wire = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&wire).unwrap_or_else(|e| panic!("{what}: {e}\n{wire}"));
    assert_eq!(&back, value, "{what} changed through {wire}");
}

#[test]
fn query_results_round_trip() {
    let f = Fixture::parse(MAP);
    let index = f.index();
    let all =
        QueryOptions::new()
            .max_depth(9)
            .relationship_types(["depends_on", "runs_on", "member_of"]);
    check("options", &all);
    check("impact", &index.impact(&f.ids("n1 n2"), &all).unwrap());
    check(
        "degraded impact",
        &index.impact(&f.ids("n1"), &all).unwrap(),
    );
    check(
        "dependencies",
        &index.dependencies(&f.ids("svc"), &all).unwrap(),
    );
    check(
        "services",
        &index.impacted_services(&f.ids("n1"), &all).unwrap(),
    );
    check(
        "root causes",
        &index.root_causes(&f.ids("svc db"), &all, 5).unwrap(),
    );
    check(
        "spof",
        &index.single_points_of_failure(&f.id("svc"), &all).unwrap(),
    );
    check(
        "path",
        &index
            .path(&f.id("n1"), &f.id("svc"), PathDirection::Either, &all)
            .unwrap(),
    );
    check("health", &index.health(&f.ids("n1 db"), &all).unwrap());
    check("memory", &index.memory());
    check(
        "cycles",
        &index.strongly_connected_components(None).unwrap(),
    );
}
