//! Root-cause candidates.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;
use itsm_cmdb::QueryOptions;

const ESTATE: &str = "
    shop:business_service mail:business_service crm:business_service
    web:application smtp:application crmapp:application db:database vm1:server vm2:server vm3:server san:configuration_item
    shop depends_on web; mail depends_on smtp; crm depends_on crmapp
    web depends_on db; crmapp depends_on db
    web runs_on vm1; smtp runs_on vm2; crmapp runs_on vm3; db runs_on vm3
    vm1 depends_on san; vm2 depends_on san; vm3 depends_on san";

/// `expect`: `name:count` in rank order.
fn check(spec: &str, impacted: &str, options: QueryOptions, limit: usize, expect: &str) {
    let f = Fixture::parse(spec);
    let candidates = f
        .index()
        .root_causes(&f.ids(impacted), &options, limit)
        .unwrap();
    let got: Vec<String> = candidates
        .iter()
        .map(|c| format!("{}:{}", f.name(&c.ci), c.explains.len()))
        .collect();
    assert_eq!(
        got.join(" "),
        expect,
        "\ncase: {spec}\nimpacted: {impacted} {options:?}"
    );
    // Every candidate explains CIs that depend on it.
    let index = f.index();
    for c in &candidates {
        for e in &c.explains {
            assert!(
                index
                    .dependencies(&[*e], &options)
                    .unwrap()
                    .dependencies
                    .iter()
                    .any(|d| d.ci == c.ci)
            );
        }
    }
}

#[test]
fn root_cause_table() {
    let all = QueryOptions::new;
    // Two services sharing a database: the database explains both, ahead of the
    // storage that explains them too but from further away.
    check(ESTATE, "shop crm", all(), 3, "db:2 vm3:2 san:2");
    // Three services: only the storage explains all three.
    check(ESTATE, "shop crm mail", all(), 2, "san:3 db:2");
    // An impacted CI explains itself.
    check(ESTATE, "db", all(), 2, "db:1 vm3:1");
    // A service and its own application: the application explains both.
    check(ESTATE, "shop web", all(), 1, "web:2");
    // Limits and filters.
    check(ESTATE, "shop crm mail", all().max_depth(2), 1, "db:2");
    check(
        ESTATE,
        "shop crm",
        all().relationship_types(["depends_on"]),
        2,
        "db:2 shop:1",
    );
    check(ESTATE, "shop crm", all(), 0, "");
    check(ESTATE, "", all(), 5, "");
}
