//! The one check of a validation table, shared by the test binaries that
//! have one: the violations found are exactly the `(path, rule)` pairs
//! expected, in any order, and every message is a lower-case sentence.

use itsm_core::Violation;

/// `violations` are exactly the `(path, rule)` pairs of `expected`, in any
/// order, and every message is a non-empty, lower-case sentence.
pub fn check(case: &str, violations: Vec<Violation>, expected: &[(&str, &str)]) {
    let mut actual: Vec<(String, String)> = violations
        .iter()
        .map(|v| (v.path.clone(), v.rule.clone()))
        .collect();
    let mut wanted: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    actual.sort();
    wanted.sort();
    assert_eq!(
        actual,
        wanted,
        "case {case:?}\nexpected {wanted:?}\nactual   {actual:?}\nmessages {:#?}",
        violations
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    );
    for v in &violations {
        assert!(
            !v.message.is_empty() && v.message.chars().next().is_some_and(|c| !c.is_uppercase()),
            "case {case:?}: message {:?}",
            v.message
        );
    }
}
