//! Serialization laws: every record, timeline and field value deserialises to
//! itself, and malformed JSON gets a [`CoreError::Json`] naming the field,
//! never a panic.

mod common;

use common::*;
use itsm_core::{CoreError, from_json};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Serialises `value`, parses it back through [`from_json`], and checks both
/// the value and its JSON survive unchanged.
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
) -> Result<(), TestCaseError> {
    let text = serde_json::to_string(value).map_err(|e| TestCaseError::fail(e.to_string()))?;
    let back: T = from_json(&text).map_err(|e| TestCaseError::fail(format!("{e}\nin {text}")))?;
    prop_assert_eq!(&back, value, "value changed through {}", text);
    let again = serde_json::to_string(&back).map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(again, text);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn incident_round_trips(v in incident()) { round_trip(&v)?; }
    #[test]
    fn problem_round_trips(v in problem()) { round_trip(&v)?; }
    #[test]
    fn known_error_round_trips(v in known_error()) { round_trip(&v)?; }
    #[test]
    fn knowledge_article_round_trips(v in knowledge_article()) { round_trip(&v)?; }
    #[test]
    fn change_round_trips(v in change()) { round_trip(&v)?; }
    #[test]
    fn release_round_trips(v in release()) { round_trip(&v)?; }
    #[test]
    fn service_request_round_trips(v in service_request()) { round_trip(&v)?; }
    #[test]
    fn request_item_round_trips(v in request_item()) { round_trip(&v)?; }
    #[test]
    fn catalog_item_round_trips(v in catalog_item()) { round_trip(&v)?; }
    #[test]
    fn standard_change_template_round_trips(v in standard_change_template()) { round_trip(&v)?; }
    #[test]
    fn catalog_round_trips(v in catalog()) { round_trip(&v)?; }
    #[test]
    fn order_round_trips(v in order()) { round_trip(&v)?; }
    fn task_round_trips(v in task()) { round_trip(&v)?; }
    #[test]
    fn task_template_round_trips(v in task_template()) { round_trip(&v)?; }
    #[test]
    fn service_round_trips(v in service()) { round_trip(&v)?; }
    #[test]
    fn configuration_item_ref_round_trips(v in configuration_item_ref()) { round_trip(&v)?; }
    #[test]
    fn person_round_trips(v in person()) { round_trip(&v)?; }
    #[test]
    fn group_round_trips(v in group()) { round_trip(&v)?; }
    #[test]
    fn role_round_trips(v in role()) { round_trip(&v)?; }
    #[test]
    fn directory_round_trips(v in directory()) { round_trip(&v)?; }
    #[test]
    fn asset_round_trips(v in asset()) { round_trip(&v)?; }
    #[test]
    fn software_licence_round_trips(v in software_licence()) { round_trip(&v)?; }
    #[test]
    fn installation_round_trips(v in installation()) { round_trip(&v)?; }
    #[test]
    fn licence_position_round_trips(v in licence_position()) { round_trip(&v)?; }
    #[test]
    fn priority_matrix_definition_round_trips(v in priority_matrix_definition()) { round_trip(&v)?; }
    #[test]
    fn violation_round_trips(v in violation()) { round_trip(&v)?; }
    #[test]
    fn timeline_event_round_trips(v in timeline_event()) { round_trip(&v)?; }
    #[test]
    fn timeline_round_trips(v in timeline()) { round_trip(&v)?; }

    #[test]
    fn field_value_round_trips(v in field_value()) {
        round_trip(&v)?;
        // Display is the compact JSON text.
        prop_assert_eq!(v.to_string(), serde_json::to_string(&v).unwrap());
    }
}

proptest! {
    // Many cases: a float parsed one ULP off shows up only on some values.
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]
    #[test]
    fn float_field_values_round_trip_exactly(x in any::<f64>().prop_filter("finite", |x| x.is_finite())) {
        round_trip(&itsm_core::FieldValue::Float(x))?;
    }
}

/// `value` serialised, with the JSON at `pointer` replaced by `new`.
fn mutated<T: Serialize>(value: &T, pointer: &str, new: serde_json::Value) -> String {
    let mut json = serde_json::to_value(value).unwrap();
    *json
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("no {pointer}")) = new;
    json.to_string()
}

/// Parses `text` as a `T` and checks the error names `path`.
fn check_path<T: DeserializeOwned + std::fmt::Debug>(case: &str, text: &str, path: &str) {
    match from_json::<T>(text) {
        Err(CoreError::Json {
            path: actual,
            message,
        }) => {
            assert_eq!(
                actual, path,
                "case {case:?}: expected path {path:?}, actual {actual:?} ({message})"
            );
            assert!(!message.is_empty(), "case {case:?}: empty message");
        }
        other => panic!("case {case:?}: expected CoreError::Json at {path:?}, actual {other:?}"),
    }
}

#[test]
fn malformed_json_names_the_field() {
    use serde_json::json;
    let incident = valid_incident();
    let change = valid_change();
    check_path::<itsm_core::Incident>(
        "bad id",
        &mutated(&incident, "/id", json!("not-a-uuid")),
        "id",
    );
    check_path::<itsm_core::Incident>(
        "unknown impact",
        &mutated(&incident, "/impact", json!("severe")),
        "impact",
    );
    check_path::<itsm_core::Incident>(
        "short number",
        &mutated(&incident, "/number", json!("INC12")),
        "number",
    );
    check_path::<itsm_core::Incident>(
        "number of wrong type",
        &mutated(&incident, "/number", json!(1234)),
        "number",
    );
    check_path::<itsm_core::Incident>(
        "bad instant",
        &mutated(&incident, "/opened_at", json!("yesterday")),
        "opened_at",
    );
    check_path::<itsm_core::Incident>(
        "bad CI in list",
        &mutated(&incident, "/configuration_items/1", json!("x")),
        "configuration_items[1]",
    );
    check_path::<itsm_core::Incident>(
        "negative reopen count",
        &mutated(&incident, "/reopen_count", json!(-1)),
        "reopen_count",
    );
    check_path::<itsm_core::Incident>(
        "bad on-hold reason",
        &mutated(&incident, "/on_hold_reason", json!("awaiting_godot")),
        "on_hold_reason",
    );
    check_path::<itsm_core::Change>(
        "bad approval decision",
        &mutated(&change, "/approvals/0/decision", json!("maybe")),
        "approvals[0].decision",
    );
    check_path::<itsm_core::Change>(
        "bad decision time",
        &mutated(&change, "/approvals/1/decided_at", json!(42)),
        "approvals[1].decided_at",
    );
    check_path::<itsm_core::ServiceRequest>(
        "negative quantity",
        &mutated(&valid_service_request(), "/quantity", json!(-1)),
        "quantity",
    );
    check_path::<itsm_core::Person>(
        "active as text",
        &mutated(&valid_person(), "/active", json!("yes")),
        "active",
    );
    check_path::<itsm_core::Incident>(
        "missing field",
        r#"{"id": "0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a5968"}"#,
        ".",
    );
    check_path::<itsm_core::Incident>(
        "trailing text",
        &format!("{} x", serde_json::to_string(&incident).unwrap()),
        ".",
    );
    check_path::<itsm_core::Incident>("not an object", "[]", ".");
    // A syntax error inside a key ends the path at the object, with no
    // meaningless `?` segment.
    check_path::<itsm_core::Timeline>(
        "cut inside a key",
        r#"{"events": [{"at": "2026-03-02T09:00:00Z", "ty"#,
        "events[0]",
    );
    check_path::<itsm_core::Incident>("cut after a comma", r#"{"description": "x","#, ".");
    check_path::<itsm_core::Incident>("empty input", "", ".");
    check_path::<itsm_core::Timeline>(
        "unknown event type",
        r#"{"events": [{"at": "2026-03-02T09:00:00Z", "type": "exploded"}]}"#,
        "events[0].type",
    );
}

/// Every position inside a timeline event names its own field: the event's
/// own fields, the change's fields wherever `at` and `actor` sit, and fields
/// given before the tag (named by their key).
#[test]
fn a_bad_field_inside_a_timeline_event_names_its_own_path() {
    let event = |body: &str| format!(r#"{{"events": [{{"at": "2026-03-02T09:00:00Z"}}, {body}]}}"#);
    let ok_first = r#"{"at": "2026-03-02T09:00:00Z", "type": "created", "record_kind": "incident", "state": "new", "category": "new"}"#;
    let cases: &[(&str, String, &str)] = &[
        (
            "a bad category",
            event(
                r#"{"at": "2026-03-02T09:05:00Z", "type": "state_changed", "from": "new", "from_category": "new", "to": "x", "to_category": "sideways"}"#,
            ),
            "events[1].to_category",
        ),
        (
            "a bad instant",
            event(
                r#"{"at": "yesterday", "type": "comment_added", "visibility": "public", "text": "hi"}"#,
            ),
            "events[1].at",
        ),
        (
            "at after the change's fields",
            event(r#"{"type": "priority_changed", "to": "p9", "at": "2026-03-02T09:05:00Z"}"#),
            "events[1].to",
        ),
        (
            "a bad actor",
            event(
                r#"{"actor": 7, "at": "2026-03-02T09:05:00Z", "type": "priority_changed", "to": "p1"}"#,
            ),
            "events[1].actor",
        ),
        (
            "a bad group in an assignment",
            event(
                r#"{"at": "2026-03-02T09:05:00Z", "type": "assignment_changed", "to_group": "not-a-uuid"}"#,
            ),
            "events[1].to_group",
        ),
        (
            "a missing field of the change",
            event(r#"{"at": "2026-03-02T09:05:00Z", "type": "comment_added", "text": "hi"}"#),
            "events[1]",
        ),
        (
            "no type",
            event(r#"{"at": "2026-03-02T09:05:00Z"}"#),
            "events[1]",
        ),
        (
            "no at",
            event(r#"{"type": "comment_added", "visibility": "public", "text": "hi"}"#),
            "events[1]",
        ),
    ];
    for (case, text, path) in cases {
        check_path::<itsm_core::Timeline>(
            case,
            &text.replace(r#"{"at": "2026-03-02T09:00:00Z"}"#, ok_first),
            path,
        );
    }
    // A field before the tag (as tools that sort keys write it): still its
    // own path, found by reading the document again with the tag first.
    let text = event(r#"{"to": "p9", "type": "priority_changed", "at": "2026-03-02T09:05:00Z"}"#)
        .replace(r#"{"at": "2026-03-02T09:00:00Z"}"#, ok_first);
    match from_json::<itsm_core::Timeline>(&text) {
        Err(CoreError::Json { path, message }) => {
            assert_eq!(path, "events[1].to");
            assert!(message.starts_with("unknown variant `p9`"), "{message}");
            assert!(!message.contains(" at line "), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // The wire form is unchanged: the change's fields beside at and actor.
    let timeline: itsm_core::Timeline =
        from_json(&format!(r#"{{"events": [{ok_first}]}}"#)).unwrap();
    let written = serde_json::to_value(&timeline).unwrap();
    assert_eq!(
        written["events"][0],
        serde_json::json!({"at": "2026-03-02T09:00:00Z", "actor": null, "type": "created", "record_kind": "incident",
               "state": "new", "category": "new", "priority": null, "assignment_group": null, "assignee": null})
    );
}

#[test]
fn deeply_nested_extension_is_an_error_not_a_stack_overflow() {
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let text = mutated(
        &valid_incident(),
        "/extensions",
        serde_json::json!({"deep": "PLACEHOLDER"}),
    )
    .replace("\"PLACEHOLDER\"", &nested);
    assert!(matches!(
        from_json::<itsm_core::Incident>(&text),
        Err(CoreError::Json { .. })
    ));
    let event = format!(
        r#"{{"events": [{{"at": "2026-03-02T09:00:00Z", "type": "field_changed", "field": "x", "to": {nested}}}]}}"#
    );
    assert!(matches!(
        from_json::<itsm_core::Timeline>(&event),
        Err(CoreError::Json { .. })
    ));
}

/// The keys of a serialised incident whose values are not free-form.
const TYPED_INCIDENT_KEYS: &[&str] = &[
    "id",
    "number",
    "caller",
    "short_description",
    "description",
    "category",
    "subcategory",
    "channel",
    "service",
    "configuration_items",
    "impact",
    "urgency",
    "priority",
    "state",
    "on_hold_reason",
    "assignment_group",
    "assigned_to",
    "opened_at",
    "opened_by",
    "resolved_at",
    "resolved_by",
    "closed_at",
    "closed_by",
    "resolution_code",
    "resolution_notes",
    "reopen_count",
    "last_reopened_at",
    "last_reopened_by",
    "parent_incident",
    "problem",
    "caused_by_change",
    "change_request",
    "major_incident_state",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Any field given a value of the wrong type is named in the error.
    #[test]
    fn wrong_type_is_reported_at_its_field(v in incident(), key in proptest::sample::select(TYPED_INCIDENT_KEYS)) {
        let text = mutated(&v, &format!("/{key}"), serde_json::json!({"wrong": [true]}));
        match from_json::<itsm_core::Incident>(&text) {
            Err(CoreError::Json { path, .. }) => prop_assert_eq!(path, key),
            other => prop_assert!(false, "expected an error at {}, got {:?}", key, other),
        }
    }

    /// Truncated, corrupted or extended JSON is an error or a value, never a panic.
    #[test]
    fn mutated_json_never_panics(
        v in change(),
        cut in any::<proptest::sample::Index>(),
        at_index in any::<proptest::sample::Index>(),
        insert in "(?s).{0,8}",
        kind in 0_u8..3,
    ) {
        let text = serde_json::to_string(&v).unwrap();
        let chars: Vec<char> = text.chars().collect();
        let mutated: String = match kind {
            0 => chars[..cut.index(chars.len())].iter().collect(),
            1 => {
                let i = at_index.index(chars.len());
                chars[..i].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(&chars[i + 1..]).collect()
            }
            _ => {
                let i = at_index.index(chars.len() + 1);
                chars[..i].iter().chain(insert.chars().collect::<Vec<_>>().iter()).chain(&chars[i..]).collect()
            }
        };
        match from_json::<itsm_core::Change>(&mutated) {
            Ok(_) | Err(CoreError::Json { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
        }
        match from_json::<itsm_core::Timeline>(&mutated) {
            Ok(_) | Err(CoreError::Json { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error kind {:?}", other),
        }
    }

    /// Arbitrary text is an error or a value, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,64}") {
        let incident = from_json::<itsm_core::Incident>(&text);
        prop_assert!(matches!(incident, Ok(_) | Err(CoreError::Json { .. })), "{:?}", incident);
        let value = from_json::<itsm_core::FieldValue>(&text);
        prop_assert!(matches!(value, Ok(_) | Err(CoreError::Json { .. })), "{:?}", value);
    }
}

#[test]
fn a_key_given_twice_in_custom_fields_is_refused_not_dropped() {
    let text = serde_json::to_string(&valid_incident()).unwrap();
    let with = |extensions: &str| {
        let cut = text.rfind('}').unwrap();
        format!(
            "{},\"extensions\":{extensions}}}",
            &text[..cut]
                .replace("\"extensions\":{}", "\"x_placeholder\":null")
                .replace(",\"x_placeholder\":null", "")
        )
    };
    // The record's own extension map, and a map nested inside a value.
    for (case, extensions, path) in [
        (
            "top level",
            r#"{"vendor_ticket": "A-1", "vendor_ticket": "A-2"}"#,
            "extensions",
        ),
        (
            "nested",
            r#"{"vendor": {"id": 1, "id": 2}}"#,
            "extensions.vendor",
        ),
    ] {
        let json = with(extensions);
        match from_json::<itsm_core::Incident>(&json) {
            Err(CoreError::Json {
                path: actual,
                message,
            }) => {
                assert!(
                    actual.starts_with(path),
                    "{case}: path {actual:?}, expected {path:?}"
                );
                assert!(message.contains("is given twice"), "{case}: {message}");
            }
            other => panic!("{case}: {other:?} for {json}"),
        }
    }
    // The same keys once each are kept, all of them.
    let json = with(r#"{"vendor_ticket": "A-1", "vendor": {"id": 1, "name": "Acme"}}"#);
    let incident = from_json::<itsm_core::Incident>(&json).unwrap();
    assert_eq!(incident.extensions.len(), 2);
}

/// Checks `oversized_integer` on one document: the path and literal of the
/// first integer too large for 64 bits, or none.
fn check_oversized(text: &str, expected: Option<(&str, &str)>) {
    let got = itsm_core::oversized_integer(text);
    assert_eq!(
        got.as_ref().map(|(p, l)| (p.as_str(), l.as_str())),
        expected,
        "{text}"
    );
}

#[test]
fn an_integer_too_large_for_64_bits_is_found_with_its_path() {
    let cases: &[(&str, Option<(&str, &str)>)] = &[
        (
            r#"{"extensions": {"big": 12345678901234567890123}}"#,
            Some(("extensions.big", "12345678901234567890123")),
        ),
        (
            r#"{"a": [1, 2, 18446744073709551616]}"#,
            Some(("a[2]", "18446744073709551616")),
        ),
        (r#"{"a": [1, 2, 18446744073709551615]}"#, None),
        ("-9223372036854775808", None),
        ("-9223372036854775809", Some((".", "-9223372036854775809"))),
        (r#"{"a": 1e30, "b": 1.5, "c": -0.0}"#, None),
        (r#"{"s": "12345678901234567890123"}"#, None),
        (
            r#"{"s": "a \"quoted\" 1", "t": {"u": [[1], [2, 99999999999999999999]]}}"#,
            Some(("t.u[1][1]", "99999999999999999999")),
        ),
        (
            r#"{"a": {"b": 1}, "c": 99999999999999999999}"#,
            Some(("c", "99999999999999999999")),
        ),
        (r#"{"a": "#, None),
        ("", None),
    ];
    for (text, expected) in cases {
        check_oversized(text, *expected);
    }
}

#[test]
fn a_custom_field_too_large_for_64_bits_is_refused_not_rounded() {
    let text = serde_json::to_string(&valid_incident()).unwrap();
    let big = text.replacen(
        "\"extensions\":{}",
        "\"extensions\":{\"x_ticket_id\":12345678901234567890123}",
        1,
    );
    assert_ne!(big, text, "the fixture has an extensions map");
    match from_json::<itsm_core::Incident>(&big) {
        Err(itsm_core::CoreError::Json { path, message }) => {
            assert_eq!(path, "extensions.x_ticket_id", "{message}");
            assert!(
                message.contains("12345678901234567890123")
                    && message.contains("write it as a string"),
                "{message}"
            );
        }
        other => panic!("accepted: {other:?}"),
    }
    // As a string, the digits are kept.
    let kept = text.replacen(
        "\"extensions\":{}",
        "\"extensions\":{\"x_ticket_id\":\"12345678901234567890123\"}",
        1,
    );
    let incident = from_json::<itsm_core::Incident>(&kept).unwrap();
    assert_eq!(
        incident.extensions["x_ticket_id"].as_str(),
        Some("12345678901234567890123")
    );
}

proptest! {
    /// Every 64-bit integer passes; every longer run of digits is found.
    #[test]
    fn sixty_four_bit_integers_pass_and_longer_ones_are_found(
        i in any::<i64>(),
        u in any::<u64>(),
        digits in "[1-9][0-9]{20,40}",
        negative in any::<bool>(),
    ) {
        let small = format!("[{i}, {u}]");
        prop_assert!(itsm_core::oversized_integer(&small).is_none());
        let literal = if negative { format!("-{digits}") } else { digits };
        let found = itsm_core::oversized_integer(&format!(r#"{{"x": [0, {literal}]}}"#));
        prop_assert_eq!(found, Some(("x[1]".to_owned(), literal)));
    }
}
