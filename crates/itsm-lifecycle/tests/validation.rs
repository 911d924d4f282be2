//! Definition validation: one test per problem kind, and a definition with
//! several problems reporting all of them at once.

use itsm_core::{IncidentState, StateCategory};
use itsm_lifecycle::{
    IncidentEvent, IssueKind, LifecycleError, MAX_NAME_CHARS, PlainContext, StateDefinition,
    TransitionDefinition, Workflow, WorkflowDefinition, incident_flow,
};
use serde_json::json;

type Dynamic = WorkflowDefinition<String, String>;

/// A small valid dynamic workflow: new → open → done, with cancel from new.
fn base() -> serde_json::Value {
    json!({
        "name": "demo",
        "initial": "new",
        "states": [
            {"key": "new", "category": "new"},
            {"key": "open", "category": "open"},
            {"key": "done", "category": "closed"},
            {"key": "cancelled", "category": "cancelled"}
        ],
        "transitions": [
            {"from": "new", "event": "start", "to": "open"},
            {"from": "open", "event": "finish", "to": "done", "guards": ["approved"]},
            {"from": "new", "event": "cancel", "to": "cancelled"}
        ],
        "terminal": ["done", "cancelled"]
    })
}

fn definition(value: serde_json::Value) -> Dynamic {
    serde_json::from_value(value).expect("test definition parses")
}

/// Builds the workflow and compares the issues found, as (path, kind), with the expected ones.
fn check(value: serde_json::Value, expected: &[(&str, IssueKind)]) {
    let result = Workflow::new(
        definition(value.clone()),
        &PlainContext::knowing(["approved"]),
    );
    let actual: Vec<(String, IssueKind)> = match &result {
        Ok(_) => Vec::new(),
        Err(LifecycleError::InvalidDefinition { issues, .. }) => {
            issues.iter().map(|i| (i.path.clone(), i.kind)).collect()
        }
        Err(other) => panic!("unexpected error {other:?}"),
    };
    let expected: Vec<(String, IssueKind)> = expected
        .iter()
        .map(|(p, k)| ((*p).to_owned(), *k))
        .collect();
    assert_eq!(
        actual,
        expected,
        "definition {value:#}\nerror: {result:?}",
        result = result.as_ref().err()
    );
}

fn with(
    mut value: serde_json::Value,
    edit: impl FnOnce(&mut serde_json::Value),
) -> serde_json::Value {
    edit(&mut value);
    value
}

#[test]
fn the_base_definition_is_valid() {
    check(base(), &[]);
}

#[test]
fn unknown_state() {
    check(
        with(base(), |v| v["transitions"][0]["to"] = json!("opne")),
        &[
            ("states[1]", IssueKind::UnreachableState),
            ("states[2]", IssueKind::UnreachableState),
            ("transitions[0].to", IssueKind::UnknownState),
        ],
    );
    check(
        with(base(), |v| v["initial"] = json!("draft")),
        &[("initial", IssueKind::UnknownState)],
    );
    check(
        with(base(), |v| v["terminal"][1] = json!("canceled")),
        &[("terminal[1]", IssueKind::UnknownState)],
    );
}

#[test]
fn duplicate_state() {
    check(
        with(base(), |v| {
            v["states"]
                .as_array_mut()
                .unwrap()
                .push(json!({"key": "open", "category": "paused"}))
        }),
        &[("states[4].key", IssueKind::DuplicateState)],
    );
}

#[test]
fn duplicate_transition() {
    check(
        with(base(), |v| {
            v["transitions"]
                .as_array_mut()
                .unwrap()
                .push(json!({"from": "new", "event": "start", "to": "done"}));
        }),
        &[("transitions[3]", IssueKind::DuplicateTransition)],
    );
}

#[test]
fn unreachable_state() {
    check(
        with(base(), |v| {
            v["states"]
                .as_array_mut()
                .unwrap()
                .push(json!({"key": "limbo", "category": "open"}));
            v["transitions"]
                .as_array_mut()
                .unwrap()
                .push(json!({"from": "limbo", "event": "finish", "to": "done"}));
        }),
        &[("states[4]", IssueKind::UnreachableState)],
    );
}

#[test]
fn dead_end() {
    // "waiting" is reachable but nothing leaves it, and it is neither terminal nor closed.
    check(
        with(base(), |v| {
            v["states"]
                .as_array_mut()
                .unwrap()
                .push(json!({"key": "waiting", "category": "paused"}));
            v["transitions"]
                .as_array_mut()
                .unwrap()
                .push(json!({"from": "open", "event": "wait", "to": "waiting"}));
        }),
        &[("states[4]", IssueKind::DeadEnd)],
    );
}

#[test]
fn dead_end_in_a_cycle() {
    // a ⇄ b forever: both are reachable, neither leads to an end.
    check(
        with(base(), |v| {
            let states = v["states"].as_array_mut().unwrap();
            states.push(json!({"key": "a", "category": "open"}));
            states.push(json!({"key": "b", "category": "open"}));
            let ts = v["transitions"].as_array_mut().unwrap();
            ts.push(json!({"from": "open", "event": "loop", "to": "a"}));
            ts.push(json!({"from": "a", "event": "loop", "to": "b"}));
            ts.push(json!({"from": "b", "event": "loop", "to": "a"}));
        }),
        &[
            ("states[4]", IssueKind::DeadEnd),
            ("states[5]", IssueKind::DeadEnd),
        ],
    );
}

#[test]
fn terminal_has_outgoing() {
    check(
        with(base(), |v| {
            v["transitions"]
                .as_array_mut()
                .unwrap()
                .push(json!({"from": "done", "event": "reopen", "to": "open"}));
        }),
        &[("transitions[3].from", IssueKind::TerminalHasOutgoing)],
    );
}

#[test]
fn unknown_guard() {
    check(
        with(base(), |v| {
            v["transitions"][1]["guards"] = json!(["approved", "cab_approved"])
        }),
        &[("transitions[1].guards[1]", IssueKind::UnknownGuard)],
    );
}

#[test]
fn bad_names() {
    check(
        with(base(), |v| {
            v["states"][1]["required_fields"] = json!(["notes", "notes"]);
            v["states"][1]["reasons"] = json!([" "]);
            v["states"][1]["reason_fields"] = json!({"waiting": ["notes"]});
        }),
        &[
            ("states[1].reason_fields.waiting", IssueKind::BadName),
            ("states[1].reasons[0]", IssueKind::BadName),
            ("states[1].required_fields[1]", IssueKind::BadName),
        ],
    );
}

#[test]
fn category_mismatch() {
    let mut def = incident_flow();
    def.states[2].category = StateCategory::Open; // on_hold is paused
    let err = Workflow::new(def, &PlainContext::itil()).unwrap_err();
    let LifecycleError::InvalidDefinition { issues, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        issues
            .iter()
            .map(|i| (i.path.as_str(), i.kind))
            .collect::<Vec<_>>(),
        [("states[2].category", IssueKind::CategoryMismatch)]
    );
}

#[test]
fn too_large() {
    let n = 4200usize;
    let states = (0..n)
        .map(|i| StateDefinition::new(format!("s{i}"), StateCategory::Open))
        .collect();
    let transitions = (0..n)
        .map(|i| {
            TransitionDefinition::new(
                format!("s{i}"),
                format!("e{i}"),
                format!("s{}", (i + 1) % n),
            )
        })
        .collect();
    let def = WorkflowDefinition {
        name: "huge".into(),
        description: None,
        initial: "s0".to_owned(),
        states,
        transitions,
        terminal: vec![],
    };
    let err = Workflow::new(def, &PlainContext::default()).unwrap_err();
    assert!(
        matches!(&err, LifecycleError::InvalidDefinition { issues, .. } if issues.iter().any(|i| i.kind == IssueKind::TooLarge)),
        "{err:?}"
    );
}

#[test]
fn several_problems_are_reported_at_once() {
    let value = json!({
        "name": "broken",
        "initial": "new",
        "states": [
            {"key": "new", "category": "new"},
            {"key": "open", "category": "open"},
            {"key": "open", "category": "open"},
            {"key": "done", "category": "closed"},
            {"key": "orphan", "category": "open"},
            {"key": "stuck", "category": "paused"}
        ],
        "transitions": [
            {"from": "new", "event": "start", "to": "open"},
            {"from": "new", "event": "start", "to": "done"},
            {"from": "open", "event": "finish", "to": "done", "guards": ["signed_off"]},
            {"from": "open", "event": "wait", "to": "stuck"},
            {"from": "done", "event": "reopen", "to": "open"},
            {"from": "open", "event": "escalate", "to": "vendor"},
            {"from": "orphan", "event": "finish", "to": "done"}
        ],
        "terminal": ["done"]
    });
    check(
        value,
        &[
            ("states[2].key", IssueKind::DuplicateState),
            ("states[4]", IssueKind::UnreachableState),
            ("states[5]", IssueKind::DeadEnd),
            ("transitions[1]", IssueKind::DuplicateTransition),
            ("transitions[2].guards[0]", IssueKind::UnknownGuard),
            ("transitions[4].from", IssueKind::TerminalHasOutgoing),
            ("transitions[5].to", IssueKind::UnknownState),
        ],
    );
    // The message names the path, the value and the kind.
    let err = Workflow::new(definition(base()), &PlainContext::default()).unwrap_err();
    assert!(err.to_string().starts_with("workflow \"demo\" is invalid: 1 problem(s): transitions[1].guards[0]: guard \"approved\""), "{err}");
}

#[test]
fn every_default_flow_is_valid() {
    use itsm_lifecycle::{
        change_flow, major_incident_flow, problem_flow, release_flow, service_request_flow,
    };
    let facts = PlainContext::itil();
    Workflow::new(incident_flow(), &facts).unwrap();
    Workflow::new(major_incident_flow(), &facts).unwrap();
    Workflow::new(problem_flow(), &facts).unwrap();
    for t in [
        itsm_core::ChangeType::Normal,
        itsm_core::ChangeType::Standard,
        itsm_core::ChangeType::Emergency,
    ] {
        Workflow::new(change_flow(t), &facts).unwrap();
        Workflow::new(change_flow(t).to_dynamic(), &facts).unwrap();
    }
    Workflow::new(release_flow(), &facts).unwrap();
    Workflow::new(service_request_flow(), &facts).unwrap();
    // Without the ITIL guards known, the guarded flows are refused.
    let err =
        Workflow::<IncidentState, IncidentEvent>::new(incident_flow(), &PlainContext::default())
            .unwrap_err();
    assert!(
        matches!(err, LifecycleError::InvalidDefinition { ref issues, .. } if issues.len() == 1 && issues[0].kind == IssueKind::UnknownGuard)
    );
}

#[test]
fn json_errors_name_the_path() {
    let err = Dynamic::from_json(r#"{"name": "x", "initial": "a", "states": [{"key": "a", "category": "sleeping"}], "transitions": [], "terminal": []}"#)
        .unwrap_err();
    assert!(
        matches!(&err, LifecycleError::Json { path, .. } if path == "states[0].category"),
        "{err:?}"
    );
}

/// `base()` with every `"from"` quoted name replaced by `to` (a state or an event).
fn renamed(from: &str, to: &str) -> serde_json::Value {
    let text = base()
        .to_string()
        .replace(&format!("\"{from}\""), &serde_json::to_string(to).unwrap());
    serde_json::from_str(&text).unwrap()
}

#[test]
fn names_that_would_corrupt_messages_and_diagrams_are_refused() {
    for bad in [
        "",
        " ",
        "op\u{0}en",
        "op\nen",
        "op\u{7}en",
        "\u{202e}nepo",
        "op\u{2066}en",
        &"o".repeat(MAX_NAME_CHARS + 1),
    ] {
        check(
            renamed("done", bad),
            &[("states[2].key", IssueKind::BadName)],
        );
        check(
            renamed("start", bad),
            &[("transitions[0].event", IssueKind::BadName)],
        );
        check(
            with(base(), |v| v["name"] = json!(bad)),
            &[("name", IssueKind::BadName)],
        );
    }
    // Names of any script, and the longest allowed, are fine.
    check(renamed("done", "在处理"), &[]);
    check(renamed("done", "fermé_é"), &[]);
    check(renamed("done", &"o".repeat(MAX_NAME_CHARS)), &[]);
    // The message quotes at most 40 characters of a long name.
    let long = "x".repeat(10_000);
    let err = Workflow::new(
        definition(renamed("done", &long)),
        &PlainContext::knowing(["approved"]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.len() < 400, "{} bytes: {}", err.len(), &err[..200]);
}
