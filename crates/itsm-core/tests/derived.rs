//! Derived fields: an incident's and a problem's `priority`, a change's and a
//! request's `approval` are optional on input and computed when absent; a
//! value given is kept; errors keep their exact paths.

mod common;

use common::*;
use itsm_core::*;
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `record` as JSON with `edits` applied (`null` removes the key).
fn edited<T: Serialize>(record: &T, edits: &Value) -> String {
    let mut value = serde_json::to_value(record).unwrap();
    let object = value.as_object_mut().unwrap();
    for (key, edit) in edits.as_object().unwrap() {
        if edit.is_null() {
            object.remove(key);
        } else {
            object.insert(key.clone(), edit.clone());
        }
    }
    value.to_string()
}

/// Reads `record` edited by `edits` and compares the derived field's wire
/// value, or the error's path and message start, with `expect`.
fn check<T: Serialize + DeserializeOwned + std::fmt::Debug>(
    record: &T,
    field: &str,
    edits: Value,
    expect: Result<&str, (&str, &str)>,
) {
    let text = edited(record, &edits);
    let read: Result<T, CoreError> = from_json(&text);
    match (read, expect) {
        (Ok(value), Ok(want)) => {
            let got = serde_json::to_value(&value).unwrap()[field].clone();
            assert_eq!(got, json!(want), "{field} of {edits}");
        }
        (Err(CoreError::Json { path, message }), Err((want_path, want_message))) => {
            assert_eq!(path, want_path, "path of the error for {edits}: {message}");
            assert!(
                message.starts_with(want_message),
                "message for {edits}: {message}"
            );
        }
        (got, want) => panic!("{edits}: expected {want:?}, got {got:?}"),
    }
}

fn approval(decision: &str) -> Value {
    json!({
        "approver": PersonId::from_u128(40),
        "decision": decision,
        "requested_at": "2026-03-02T09:00:00Z",
        "decided_at": if decision == "approved" || decision == "rejected" {
            json!("2026-03-02T10:00:00Z")
        } else {
            Value::Null
        },
        "comment": "ok"
    })
}

#[test]
fn incident_priority_is_derived_from_impact_and_urgency_when_absent() {
    let incident = valid_incident();
    let cases = [
        (
            json!({"priority": null, "impact": "high", "urgency": "high"}),
            Ok("p1"),
        ),
        (
            json!({"priority": null, "impact": "high", "urgency": "low"}),
            Ok("p3"),
        ),
        (
            json!({"priority": null, "impact": "medium", "urgency": "medium"}),
            Ok("p3"),
        ),
        (
            json!({"priority": null, "impact": "low", "urgency": "medium"}),
            Ok("p4"),
        ),
        (
            json!({"priority": null, "impact": "low", "urgency": "low"}),
            Ok("p5"),
        ),
        // A value given is kept, even one the matrix would not give.
        (
            json!({"priority": "p2", "impact": "low", "urgency": "low"}),
            Ok("p2"),
        ),
        // Outside the default matrix: the priority must be given.
        (
            json!({"priority": null, "impact": "very_high", "urgency": "low"}),
            Err((
                ".",
                "priority is absent and the default matrix (servicenow_3x3) has no cell for impact very_high",
            )),
        ),
        (
            json!({"priority": "p1", "impact": "very_high", "urgency": "low"}),
            Ok("p1"),
        ),
        // Errors elsewhere keep their path, with or without the priority.
        (
            json!({"priority": null, "urgency": "soon"}),
            Err(("urgency", "unknown variant `soon`")),
        ),
        (
            json!({"priority": null, "configuration_items": ["not-a-uuid"]}),
            Err(("configuration_items[0]", "UUID parsing failed")),
        ),
        (
            json!({"priority": "p9"}),
            Err(("priority", "unknown variant `p9`")),
        ),
        // Other required fields are still required.
        (
            json!({"priority": null, "impact": null}),
            Err((".", "missing field `impact`")),
        ),
    ];
    for (edits, expect) in cases {
        check(&incident, "priority", edits, expect);
    }
}

#[test]
fn problem_priority_is_derived_when_absent() {
    let problem = valid_problem();
    check(
        &problem,
        "priority",
        json!({"priority": null, "impact": "medium", "urgency": "high"}),
        Ok("p2"),
    );
    check(
        &problem,
        "priority",
        json!({"priority": "p4", "impact": "medium", "urgency": "high"}),
        Ok("p4"),
    );
}

#[test]
fn change_approval_is_derived_from_its_approvals_when_absent() {
    let change = valid_change();
    let cases = [
        (
            json!({"approval": null, "approvals": []}),
            Ok("not_requested"),
        ),
        (
            json!({"approval": null, "approvals": [approval("canceled")]}),
            Ok("not_requested"),
        ),
        (
            json!({"approval": null, "approvals": [approval("requested")]}),
            Ok("requested"),
        ),
        (
            json!({"approval": null, "approvals": [approval("approved"), approval("requested")]}),
            Ok("requested"),
        ),
        (
            json!({"approval": null, "approvals": [approval("approved")]}),
            Ok("approved"),
        ),
        (
            json!({"approval": null, "approvals": [approval("approved"), approval("rejected")]}),
            Ok("rejected"),
        ),
        (
            json!({"approval": "requested", "approvals": []}),
            Ok("requested"),
        ),
        (
            json!({"approval": null, "approvals": [{"decision": "approved"}]}),
            Err(("approvals[0]", "missing field `approver`")),
        ),
    ];
    for (edits, expect) in cases {
        check(&change, "approval", edits, expect);
    }
}

#[test]
fn service_request_approval_is_derived_when_absent() {
    let request = valid_service_request();
    check(
        &request,
        "approval",
        json!({"approval": null, "approvals": [approval("rejected")]}),
        Ok("rejected"),
    );
    check(
        &request,
        "approval",
        json!({"approval": null, "approvals": []}),
        Ok("not_requested"),
    );
}

#[test]
fn a_derived_record_is_written_whole_and_passes_validation() {
    // Read without its derived fields, the valid examples are the same
    // records: nothing else moves, and output writes the fields again.
    let incident = valid_incident();
    let read: Incident = from_json(&edited(&incident, &json!({"priority": null}))).unwrap();
    assert_eq!(read.priority, Priority::P5);
    assert_eq!(read, incident);
    assert!(serde_json::to_value(&read).unwrap()["priority"] == "p5");

    let mut change = valid_change();
    change.approvals.truncate(1);
    assert_eq!(change.approval, ApprovalStatus::Approved);
    let read: Change = from_json(&edited(&change, &json!({"approval": null}))).unwrap();
    assert_eq!(read, change);
    assert!(read.validate().is_empty(), "{:?}", read.validate());
}

#[test]
fn a_derived_record_inside_another_document_is_completed_too() {
    // Through serde_json directly, inside a list: the trait impls do it, not
    // only `from_json`.
    let mut incident = valid_incident();
    incident.impact = Impact::High;
    incident.urgency = Urgency::Medium;
    let text = format!("[{}]", edited(&incident, &json!({"priority": null})));
    let read: Vec<Incident> = serde_json::from_str(&text).unwrap();
    assert_eq!(read[0].priority, Priority::P2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Without its priority, any incident reads back as itself with the
    /// matrix's priority, or is refused naming the priority when the matrix
    /// has no cell.
    #[test]
    fn any_incident_without_priority_gets_the_matrix_priority(v in incident()) {
        let text = edited(&v, &json!({"priority": null}));
        let read: Result<Incident, CoreError> = from_json(&text);
        match PriorityMatrix::servicenow().priority(v.impact, v.urgency) {
            Ok(p) => {
                let read = read.map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(read.priority, p);
                prop_assert_eq!(Incident { priority: v.priority, ..read }, v);
            }
            Err(_) => {
                let err = read.err().map(|e| e.to_string()).unwrap_or_default();
                prop_assert!(err.contains("priority is absent"), "{}", err);
            }
        }
    }

    /// Without its approval, any change reads back as itself with the
    /// approval its approvals give.
    #[test]
    fn any_change_without_approval_gets_the_approvals_verdict(v in change()) {
        let text = edited(&v, &json!({"approval": null}));
        let read: Change = from_json(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(read.approval, approval_from_approvals(&v.approvals));
        prop_assert_eq!(Change { approval: v.approval, ..read }, v);
    }
}

/// Every record with custom fields keeps the top-level keys it does not know
/// in its extensions: nothing an import brings is dropped.
#[test]
fn unknown_top_level_fields_are_kept_in_extensions() {
    let incident = valid_incident();
    let text = edited(
        &incident,
        &json!({"sys_id": "46d44a5ddb1f2200c5e4ae9a", "u_vendor_ticket": 4711, "extnsions": {"a": 1}}),
    );
    let read: Incident = from_json(&text).unwrap();
    assert_eq!(
        read.extensions["sys_id"],
        FieldValue::String("46d44a5ddb1f2200c5e4ae9a".into())
    );
    assert_eq!(read.extensions["u_vendor_ticket"], FieldValue::Int(4711));
    // A misspelt field name is kept too, never lost.
    assert!(read.extensions.contains_key("extnsions"));
    assert_eq!(
        Incident {
            extensions: incident.extensions.clone(),
            ..read.clone()
        },
        incident
    );
    // Written back, they are in extensions; read again, the same record.
    let again: Incident = from_json(&serde_json::to_string(&read).unwrap()).unwrap();
    assert_eq!(again, read);

    // A key given at the top level and in extensions is refused, not merged.
    let text = edited(&incident, &json!({"u_x": 1, "extensions": {"u_x": 2}}));
    let err = from_json::<Incident>(&text).unwrap_err().to_string();
    assert!(
        err.contains("\"u_x\" is given both at the top level and in extensions"),
        "{err}"
    );
    // A bad value in an unknown field is reported at its path.
    let text = edited(&incident, &json!({"u_deep": {"k": [1, {"z": null}]}}));
    assert!(from_json::<Incident>(&text).is_ok());

    // The other records with custom fields do the same.
    let person = valid_person();
    let read: Person = from_json(&edited(&person, &json!({"ldap_dn": "cn=x"}))).unwrap();
    assert_eq!(
        read.extensions["ldap_dn"],
        FieldValue::String("cn=x".into())
    );
    let change = valid_change();
    let read: Change = from_json(&edited(&change, &json!({"u_cab_date": "2026-03-01"}))).unwrap();
    assert!(read.extensions.contains_key("u_cab_date"));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Any record with extra top-level keys reads back with those keys (and
    /// only those) added to its extensions.
    #[test]
    fn extra_top_level_keys_land_in_extensions(
        v in incident(),
        extra in proptest::collection::btree_map("u_[a-z]{1,8}", any::<i32>(), 0..4),
    ) {
        let extra: std::collections::BTreeMap<String, i32> = extra
            .into_iter()
            .filter(|(k, _)| !v.extensions.contains_key(k))
            .collect();
        let edits = serde_json::to_value(&extra).unwrap();
        let read: Incident = from_json(&edited(&v, &edits)).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected = v.clone();
        for (k, n) in &extra {
            expected.extensions.insert(k.clone(), FieldValue::Int(i64::from(*n)));
        }
        prop_assert_eq!(read, expected);
    }
}
