//! The example estate in `docs/examples/cmdb/estate.json` imports, exports
//! unchanged, and answers impact questions the way its operators expect.

use std::path::Path;

use itsm_cmdb::{Cmdb, QueryOptions};
use itsm_core::CiId;

fn estate() -> Cmdb {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs/examples/cmdb/estate.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    Cmdb::from_json(&text).unwrap()
}

fn ci(cmdb: &Cmdb, name: &str) -> CiId {
    cmdb.data()
        .cis
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.id)
        .unwrap()
}

#[test]
fn the_example_estate_imports_and_round_trips() {
    let cmdb = estate();
    assert_eq!((cmdb.ci_count(), cmdb.relationship_count()), (25, 35));
    let again = Cmdb::from_json(&cmdb.to_json().unwrap()).unwrap();
    assert_eq!(again.export(), cmdb.export());
}

/// (failed CIs, CI, expected: "impacted", "degraded" or "up")
fn check(cmdb: &Cmdb, failed: &[&str], name: &str, expected: &str) {
    let report = cmdb
        .index()
        .unwrap()
        .impact(
            &failed.iter().map(|n| ci(cmdb, n)).collect::<Vec<_>>(),
            &QueryOptions::new(),
        )
        .unwrap();
    let id = ci(cmdb, name);
    let actual = if report.is_impacted(&id) {
        "impacted"
    } else if report.degraded.iter().any(|d| d.ci == id) {
        "degraded"
    } else {
        "up"
    };
    assert_eq!(
        actual, expected,
        "failed {failed:?}: {name} expected {expected}, got {actual}"
    );
}

#[test]
fn the_example_estate_answers_impact_questions() {
    let cmdb = estate();
    check(&cmdb, &["payroll-db"], "Payroll", "impacted");
    check(&cmdb, &["payroll-db"], "Pay employees", "impacted");
    check(&cmdb, &["payroll-db"], "vm-payroll-db-01", "up"); // depends_on points at the dependent only
    check(&cmdb, &["san-01"], "Payroll", "impacted"); // san → cluster (depends_on is not redundant) → vms → …
    check(&cmdb, &["esx-a-01"], "esx-cluster-a", "degraded"); // 3 of 4 members up, half required
    check(&cmdb, &["esx-a-01"], "Payroll", "up");
    check(
        &cmdb,
        &["esx-a-01", "esx-a-02", "esx-a-03"],
        "esx-cluster-a",
        "impacted",
    );
    check(
        &cmdb,
        &["esx-a-01", "esx-a-02", "esx-a-03"],
        "Payroll",
        "impacted",
    );
    check(&cmdb, &["esx-a-01-psu1"], "esx-a-01", "degraded"); // dual power supplies, one required
    check(
        &cmdb,
        &["esx-a-01-psu1", "esx-a-01-psu2"],
        "esx-a-01",
        "impacted",
    );
    check(&cmdb, &["bind-dns"], "DNS", "impacted");
    check(&cmdb, &["bind-dns"], "Payroll", "impacted"); // every vm depends on DNS
    check(&cmdb, &["DNS"], "DNS", "impacted"); // the DNS cycle terminates
    // The DNS VM is pinned to one host: that host takes DNS, and so payroll, down.
    check(&cmdb, &["esx-a-04"], "esx-cluster-a", "degraded");
    check(&cmdb, &["esx-a-04"], "vm-dns-01", "impacted");
    check(&cmdb, &["esx-a-04"], "Payroll", "impacted");
}

#[test]
fn the_host_of_a_pinned_vm_cannot_be_removed() {
    let mut cmdb = estate();
    let host = ci(&cmdb, "esx-a-04");
    let err = cmdb.remove_ci(&host).unwrap_err().to_string();
    assert!(
        err.contains("through hosted_on, a dependent relationship"),
        "{err}"
    );
    let other = ci(&cmdb, "esx-a-01");
    cmdb.remove_ci(&other).unwrap();
    assert_eq!(cmdb.relationship_count(), 35 - 5); // member_of, connects_to, contains, two powered_by
}
