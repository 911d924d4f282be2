//! Custom workflows in a desk's configuration: a reshaped flow runs, and
//! every problem of a bad one is reported with its path.

use chrono::{DateTime, TimeZone, Utc};
use itsm_core::{Incident, IncidentId, PersonId, RecordNumber};
use itsm_desk::{Config, Ctx, Desk, DeskError, Workflows};
use itsm_lifecycle::{Input, WorkflowDefinition};
use itsm_store::Record;
use serde_json::{Value, json};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + chrono::Duration::minutes(minutes)
}

fn json_of<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

fn definition(v: Value) -> WorkflowDefinition<String, String> {
    serde_json::from_value(v).unwrap()
}

/// The ITIL incident flow without its `new → resolved` transition: an
/// incident must be started before it is resolved.
fn incident_without_shortcut() -> WorkflowDefinition<String, String> {
    let mut flow = json_of(&itsm_lifecycle::incident_flow());
    flow["name"] = json!("incident (start before resolving)");
    flow["transitions"]
        .as_array_mut()
        .unwrap()
        .retain(|t| !(t["from"] == "new" && t["event"] == "resolve"));
    definition(flow)
}

fn resolve() -> Input {
    Input::new()
        .with_field("resolution_code", "solution_provided")
        .with_field("resolution_notes", "restarted")
}

fn opened(desk: &mut Desk) -> RecordNumber {
    let number: RecordNumber = "INC0000001".parse().unwrap();
    let incident = Incident::new(
        IncidentId::from_u128(1),
        number,
        PersonId::from_u128(9),
        "VPN drops",
        t(0),
    );
    desk.open_record(Record::Incident(incident), &Ctx::at(t(0)))
        .unwrap();
    number
}

#[test]
fn a_custom_incident_workflow_replaces_the_default() {
    // The default flow resolves a new incident at once.
    let mut default = Desk::open("sqlite::memory:", Config::default()).unwrap();
    let n = opened(&mut default);
    default
        .apply(&n, "resolve", &resolve(), &Ctx::at(t(5)))
        .unwrap();

    // The custom one refuses, and resolves once the incident is started.
    let mut config = Config::default();
    config.workflows.incident = vec![incident_without_shortcut()];
    let mut desk = Desk::open("sqlite::memory:", config).unwrap();
    let n = opened(&mut desk);
    let refused = desk.apply(&n, "resolve", &resolve(), &Ctx::at(t(5)));
    assert!(
        matches!(refused, Err(DeskError::Lifecycle { .. })),
        "{refused:?}"
    );
    assert_eq!(
        desk.show(&n).unwrap().version,
        2,
        "nothing written on refusal"
    );
    desk.apply(&n, "start", &Input::new(), &Ctx::at(t(6)))
        .unwrap();
    let done = desk
        .apply(&n, "resolve", &resolve(), &Ctx::at(t(7)))
        .unwrap();
    let Record::Incident(i) = done.record else {
        panic!("an incident")
    };
    assert_eq!(i.state.to_string(), "resolved");
}

/// Checks that `workflows` gives exactly the problems whose texts contain
/// `expect`, one each, in order.
fn check(workflows: Value, expect: &[&str]) {
    let config = Config {
        workflows: serde_json::from_value::<Workflows>(workflows.clone()).unwrap(),
        ..Config::default()
    };
    let problems = config.problems();
    assert_eq!(
        problems.len(),
        expect.len(),
        "{workflows}\nexpected {expect:?}\ngot {problems:#?}"
    );
    for (p, e) in problems.iter().zip(expect) {
        assert!(p.contains(e), "expected {e:?} in {p:?}");
    }
    let opened = Desk::open("sqlite::memory:", config);
    match (opened, expect.is_empty()) {
        (Ok(_), true) => {}
        (Err(DeskError::Config { problems: p }), false) => assert_eq!(p, problems),
        (other, _) => panic!("{other:?}"),
    }
}

/// The ITIL change flows, standard, normal and emergency, as JSON.
fn change_flows() -> Vec<Value> {
    use itsm_core::ChangeType;
    [
        ChangeType::Standard,
        ChangeType::Normal,
        ChangeType::Emergency,
    ]
    .into_iter()
    .map(|t| json_of(&itsm_lifecycle::change_flow(t)))
    .collect()
}

fn renamed_state(from: &str, to: &str) -> Value {
    let text = json_of(&itsm_lifecycle::incident_flow())
        .to_string()
        .replace(&format!("\"{from}\""), &format!("\"{to}\""));
    serde_json::from_str(&text).unwrap()
}

#[test]
fn custom_workflows_are_checked_with_every_problem_and_its_path() {
    let incident = json_of(&itsm_lifecycle::incident_flow());
    let change_flows = change_flows();
    let mut unknown_guard = incident.clone();
    unknown_guard["transitions"][0]["guards"] = json!(["caller_is_happy"]);

    check(json!({}), &[]);
    check(json!({ "incident": [incident] }), &[]);
    check(json!({ "change": change_flows }), &[]);
    check(
        json!({ "incident": [renamed_state("in_progress", "triage")] }),
        &["workflows.incident[0].states[1].key: unknown variant `triage`"],
    );
    check(
        json!({ "change": [change_flows[0]] }),
        &["workflows.change:"],
    );
    check(
        json!({ "incident": [unknown_guard] }),
        &["workflows.incident[0] (\"incident\"):"],
    );
    // Every kind's problems at once.
    check(
        json!({
            "incident": [renamed_state("in_progress", "triage")],
            "change": [change_flows[0]],
            "problem": [incident],
        }),
        &[
            "workflows.incident[0].states[1].key",
            "workflows.problem[0].",
            "workflows.change:",
        ],
    );
}

#[test]
fn a_configuration_directory_holds_workflows_by_kind() {
    let dir = std::env::temp_dir().join(format!("itsm-desk-config-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("workflows")).unwrap();
    std::fs::write(
        dir.join("workflows/incident.json"),
        serde_json::to_string_pretty(&incident_without_shortcut()).unwrap(),
    )
    .unwrap();
    let config = Config::load_dir(&dir).unwrap();
    assert_eq!(config.workflows.incident, vec![incident_without_shortcut()]);
    assert!(
        config.separation_of_duties.requester_cannot_approve,
        "on by default"
    );
    std::fs::write(
        dir.join("separation_of_duties.json"),
        r#"{"requester_cannot_approve": false}"#,
    )
    .unwrap();
    let config = Config::load_dir(&dir).unwrap();
    assert!(!config.separation_of_duties.requester_cannot_approve);
    std::fs::write(
        dir.join("separation_of_duties.json"),
        r#"{"requester": false}"#,
    )
    .unwrap();
    let Err(DeskError::Config { problems }) = Config::load_dir(&dir) else {
        panic!("an unknown field is refused")
    };
    assert!(
        problems[0].contains("separation_of_duties.json"),
        "{problems:#?}"
    );
    std::fs::remove_file(dir.join("separation_of_duties.json")).unwrap();

    // A file for no kind, and a change given one workflow instead of three:
    // both reported, with their files.
    std::fs::write(dir.join("workflows/incidnet.json"), "{}").unwrap();
    std::fs::write(
        dir.join("workflows/change.json"),
        serde_json::to_string(&[change_flows().remove(0)]).unwrap(),
    )
    .unwrap();
    let Err(DeskError::Config { problems }) = Config::load_dir(&dir) else {
        panic!("refused")
    };
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].contains("incidnet.json: \"incidnet\" is not a kind"),
        "{problems:#?}"
    );
    assert!(
        problems[1].starts_with("workflows.change:"),
        "{problems:#?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// The default SLAs are the crate's copies of the documented examples, and
/// must not drift apart. The examples are read through the links under
/// `tests/repo/`, which `cargo package` copies into the `.crate`: the check
/// runs in the unpacked package too.
#[test]
fn the_default_slas_are_the_documented_examples() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let docs = root.join("tests/repo/docs/examples/sla");
    let defaults = root.join("defaults");
    let read = |path: std::path::PathBuf| {
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    for name in ["incident-response.sla.json", "incident-resolution.sla.json"] {
        assert_eq!(
            read(defaults.join(name)),
            read(docs.join(name)),
            "{name}: defaults/ and docs/examples/sla/ differ"
        );
    }
    assert_eq!(Config::default().slas.len(), 2);
}
