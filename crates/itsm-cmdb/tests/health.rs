//! Health propagation.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;
use itsm_cmdb::{HealthState, QueryOptions};

const MAP: &str = "
    svc:business_service app:application db:database cl:cluster n1:server n2:server
    svc depends_on app; app depends_on db; db runs_on cl; n1 member_of cl; n2 member_of cl
    cl redundancy member_of at_least 1";

/// `expect`: `name=state` sorted by name, with `<cause` for warnings.
fn check(spec: &str, incidents: &str, expect: &str) {
    let f = Fixture::parse(spec);
    let report = f
        .index()
        .health(&f.ids(incidents), &QueryOptions::new())
        .unwrap();
    let mut got: Vec<String> = report
        .cis
        .iter()
        .map(|h| match h.cause {
            Some(c) => format!("{}={}<{}", f.name(&h.ci), h.state, f.name(&c)),
            None => format!("{}={}", f.name(&h.ci), h.state),
        })
        .collect();
    got.sort();
    assert_eq!(
        got.join(" "),
        expect,
        "\ncase: {spec}\nincidents: {incidents}"
    );
}

#[test]
fn health_table() {
    check(MAP, "", "");
    check(MAP, "db", "app=warning<db db=critical svc=warning<db");
    // A CI with its own incident is not downgraded to warning.
    check(MAP, "db svc", "app=warning<db db=critical svc=critical");
    check(MAP, "svc db", "app=warning<db db=critical svc=critical");
    // A cluster that loses one of its two nodes is degraded, not a warning
    // (it is still up), and propagates nothing.
    check(MAP, "n1", "cl=degraded<n1 n1=critical");
    // The cluster goes down when the second node fails: that node is the cause.
    check(
        MAP,
        "n1 n2",
        "app=warning<n2 cl=warning<n2 db=warning<n2 n1=critical n2=critical svc=warning<n2",
    );
}

#[test]
fn health_state_names_round_trip() {
    use strum::IntoEnumIterator;
    for s in HealthState::iter() {
        assert_eq!(serde_json::to_string(&s).unwrap(), format!("\"{s}\""));
        assert_eq!(s.to_string().parse::<HealthState>().unwrap(), s);
    }
    assert!(HealthState::Degraded < HealthState::Warning);
    assert!(HealthState::Warning < HealthState::Critical);
    assert!("red".parse::<HealthState>().is_err());
}
