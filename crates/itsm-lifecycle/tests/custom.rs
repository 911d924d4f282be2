//! A custom workflow loaded from JSON: the "awaiting vendor" incident flow of
//! `docs/examples/lifecycle/`, validated, applied, replayed and diagrammed.

mod common;

use chrono::{Duration, TimeZone, Utc};
use itsm_core::{PersonId, StateCategory};
use itsm_lifecycle::{
    Effect, IssueKind, LifecycleError, PlainContext, Refusal, Workflow, WorkflowDefinition,
};

const PATH: &str = "docs/examples/lifecycle/incident_awaiting_vendor.json";

fn definition() -> WorkflowDefinition<String, String> {
    let text = std::fs::read_to_string(common::root().join(PATH)).expect("example exists");
    WorkflowDefinition::from_json(&text).expect("example parses")
}

fn guards() -> PlainContext {
    PlainContext::knowing(["awaiting_caller", "vendor_under_contract"])
}

fn s(x: &str) -> String {
    x.to_owned()
}

#[test]
fn awaiting_vendor_flow_validates_applies_and_replays() {
    let wf = Workflow::new(definition(), &guards()).expect("the example is valid");
    assert_eq!(
        wf.category(&s("awaiting_vendor")),
        Some(StateCategory::Paused)
    );
    let agent = Some(PersonId::from_u128(3));
    let t0 = Utc.with_ymd_and_hms(2026, 4, 1, 8, 0, 0).unwrap();

    let start = wf
        .apply(&s("new"), &s("start"), agent, t0, &guards())
        .unwrap();

    // Escalating needs the vendor contract guard and the vendor's ticket.
    let err = wf
        .apply(
            &s("in_progress"),
            &s("escalate_to_vendor"),
            agent,
            t0,
            &guards().with_field("vendor"),
        )
        .unwrap_err();
    let LifecycleError::Refused { refusals, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        refusals,
        &[
            Refusal::Guard {
                guard: s("vendor_under_contract")
            },
            Refusal::MissingField {
                field: s("vendor_ticket")
            }
        ]
    );

    let facts = guards()
        .passing("vendor_under_contract")
        .with_field("vendor")
        .with_field("vendor_ticket");
    let escalate = wf
        .apply(
            &s("in_progress"),
            &s("escalate_to_vendor"),
            agent,
            t0 + Duration::hours(1),
            &facts,
        )
        .unwrap();
    assert!(escalate.enters_pause());
    assert_eq!(
        escalate.effects,
        vec![Effect::SetTimestamp {
            field: s("vendor_escalated_at")
        }]
    );

    let back = wf
        .apply(
            &s("awaiting_vendor"),
            &s("vendor_responded"),
            None,
            t0 + Duration::hours(5),
            &guards(),
        )
        .unwrap();
    assert!(back.leaves_pause());
    assert_eq!(
        wf.allowed_events(&s("awaiting_vendor"), &guards()),
        [&s("vendor_responded"), &s("resolve"), &s("cancel")]
    );

    let history = [start.audit, escalate.audit, back.audit];
    assert_eq!(wf.replay(&history).unwrap(), "in_progress");
}

#[test]
fn awaiting_vendor_flow_needs_its_guards_known() {
    let err = Workflow::new(definition(), &PlainContext::knowing(["awaiting_caller"])).unwrap_err();
    let LifecycleError::InvalidDefinition { issues, .. } = err else {
        panic!("{err:?}")
    };
    assert_eq!(issues.len(), 1);
    assert_eq!(
        (issues[0].path.as_str(), issues[0].kind),
        ("transitions[4].guards[0]", IssueKind::UnknownGuard)
    );
}

#[test]
fn awaiting_vendor_flow_diagrams() {
    let wf = Workflow::new(definition(), &guards()).unwrap();
    let mermaid = wf.to_mermaid();
    let dot = wf.to_dot();
    for needle in [
        "stateDiagram-v2",
        "state \"awaiting_vendor\" as s3",
        "s2 --> s1 : caller_updated [awaiting_caller]",
        "s1 --> s3 : escalate_to_vendor [vendor_under_contract]",
        "s3 --> s1 : vendor_responded",
        "[*] --> s0",
        "s5 --> [*]",
        "class s2,s3 paused",
    ] {
        assert!(
            mermaid.contains(needle),
            "mermaid lacks {needle:?}:\n{mermaid}"
        );
    }
    for needle in [
        "digraph \"incident_awaiting_vendor\" {",
        "s3 [label=\"awaiting_vendor\", fillcolor=\"#f3e5f5\"];",
        "s1 -> s3 [label=\"escalate_to_vendor [vendor_under_contract]\"];",
        "s5 [label=\"closed\", fillcolor=\"#eceff1\", peripheries=2];",
        "__start -> s0;",
    ] {
        assert!(dot.contains(needle), "dot lacks {needle:?}:\n{dot}");
    }
    let problems: Vec<String> = [
        common::sync(
            "docs/examples/lifecycle/incident_awaiting_vendor.mmd",
            &mermaid,
        ),
        common::sync("docs/examples/lifecycle/incident_awaiting_vendor.dot", &dot),
    ]
    .into_iter()
    .flatten()
    .collect();
    common::assert_no_drift(&problems, "custom");
}

#[test]
fn diagram_labels_are_escaped() {
    let def: WorkflowDefinition<String, String> = serde_json::from_value(serde_json::json!({
        "name": "say \"hi\"",
        "initial": "a: \"x\"",
        "states": [{"key": "a: \"x\"", "category": "new"}, {"key": "b\\c", "category": "closed"}],
        "transitions": [{"from": "a: \"x\"", "event": "go; now", "to": "b\\c"}],
        "terminal": ["b\\c"]
    }))
    .unwrap();
    let wf = Workflow::new(def, &PlainContext::default()).unwrap();
    let mermaid = wf.to_mermaid();
    assert!(mermaid.contains("state \"a  'x'\" as s0"), "{mermaid}");
    assert!(mermaid.contains("s0 --> s1 : go  now"), "{mermaid}");
    let dot = wf.to_dot();
    assert!(dot.starts_with("digraph \"say \\\"hi\\\"\" {"), "{dot}");
    assert!(dot.contains("s1 [label=\"b\\\\c\""), "{dot}");
    assert!(dot.contains("[label=\"go; now\"]"), "{dot}");
    // A line break or a control character in a name is refused before any
    // diagram is drawn (see tests/validation.rs); in a description it
    // becomes a space in both diagrams.
}
