//! Cycles: strongly connected components of the impact graph.

#[path = "index_fixture/mod.rs"]
mod fixture;

use fixture::Fixture;

/// `expect`: components as space-separated names, sorted, joined by ` | `.
fn check(spec: &str, types: Option<&[&str]>, expect: &str) {
    let f = Fixture::parse(spec);
    let types: Option<Vec<String>> = types.map(|t| t.iter().map(|s| (*s).to_owned()).collect());
    let components = f
        .index()
        .strongly_connected_components(types.as_deref())
        .unwrap();
    let mut got: Vec<String> = components
        .iter()
        .map(|c| {
            let mut names: Vec<String> = c.iter().map(|id| f.name(id)).collect();
            names.sort();
            names.join(" ")
        })
        .collect();
    got.sort();
    assert_eq!(got.join(" | "), expect, "\ncase: {spec}\ntypes: {types:?}");
    // Each CI is reported once.
    let mut all: Vec<_> = components.iter().flatten().collect();
    let before = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), before, "a CI in two components: {spec}");
}

#[test]
fn cycles_table() {
    check("a:application b:database; a depends_on b", None, "");
    check(
        "a:application b:application; a depends_on b; b depends_on a",
        None,
        "a b",
    );
    check(
        "a:application b:application c:application; a depends_on b; b depends_on c; c depends_on a",
        None,
        "a b c",
    );
    // Two cycles joined by one relationship stay two components.
    check(
        "a:application b:application c:application d:application; a depends_on b; b depends_on a; c depends_on d; d depends_on c; c depends_on a",
        None,
        "a b | c d",
    );
    // A self-relationship is a cycle of one.
    check("a:application; a depends_on a", None, "a");
    // Impact travelling both ways makes a cycle of two.
    check("a:network b:network; a connects_to b", None, "a b");
    // Mixed directions: a depends_on b (b → a) and a contains b (a → b).
    check(
        "a:application b:database; a depends_on b; a contains b",
        None,
        "a b",
    );
    // ... unless one of the types is left out.
    check(
        "a:application b:database; a depends_on b; a contains b",
        Some(&["depends_on"]),
        "",
    );
    // documents carries no impact, so it closes no cycle.
    check(
        "a:application b:application; a depends_on b; a documents b; b documents a",
        None,
        "",
    );
    check("", None, "");
}

#[test]
fn cycles_reject_unknown_types() {
    let f = Fixture::parse("a:application");
    let err = f
        .index()
        .strongly_connected_components(Some(&["powers".to_owned()]))
        .unwrap_err();
    assert_eq!(err.to_string(), "unknown relationship type \"powers\"");
}
