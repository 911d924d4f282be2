//! The committed JSON Schemas under `docs/schemas/lifecycle/` match the
//! generated ones (regenerate with `UPDATE_SCHEMAS=1 cargo test -p
//! itsm-lifecycle --test schemas`), and every JSON fixture of this crate
//! validates against them.

#[allow(
    dead_code,
    reason = "each test binary uses a different part of the shared helpers"
)]
mod common;

#[path = "repo/crates/itsm-core/tests/support/schema_drift.rs"]
mod schema_drift;

#[test]
fn committed_schemas_match_the_generated_ones() {
    schema_drift::check(
        &itsm_lifecycle::schema_bundle(),
        "lifecycle",
        "itsm-lifecycle",
    );
}

fn validator(name: &str) -> jsonschema::Validator {
    let doc = itsm_lifecycle::schema_bundle()
        .documents()
        .into_iter()
        .find(|d| d.path == format!("lifecycle/{name}.schema.json"))
        .expect("schema exists");
    let schema: serde_json::Value = serde_json::from_str(&doc.content).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

fn json_files(dir: &str) -> Vec<(String, serde_json::Value)> {
    let mut out = Vec::new();
    let path = common::root().join(dir);
    for entry in std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .flatten()
    {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p).unwrap();
            out.push((
                p.display().to_string(),
                serde_json::from_str(&text).unwrap(),
            ));
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn example_and_default_workflow_definitions_validate_against_the_schema() {
    let v = validator("workflow_definition");
    let files: Vec<_> = json_files("docs/examples/lifecycle")
        .into_iter()
        .filter(|(path, _)| other_root(path).is_none())
        .chain(json_files("docs/workflows"))
        .collect();
    assert!(
        files.len() >= 12,
        "expected the example and the 11 default flows, found {}",
        files.len()
    );
    for (path, value) in files {
        let errors: Vec<String> = v
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
    }
}

/// The root type other than a workflow definition that an example is
/// named after (`assignment_rules.json`, `task_rule.json`).
fn other_root(path: &str) -> Option<&'static str> {
    const OTHERS: &[&str] = &["assignment_rules", "task_rule"];
    let stem = std::path::Path::new(path).file_stem()?.to_str()?;
    OTHERS.iter().copied().find(|o| *o == stem)
}

#[test]
fn examples_named_after_a_root_type_validate_against_its_schema() {
    let mut seen = 0;
    for (path, value) in json_files("docs/examples/lifecycle") {
        let Some(name) = other_root(&path) else {
            continue;
        };
        seen += 1;
        let errors: Vec<String> = validator(name)
            .iter_errors(&value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{path}: {errors:#?}");
        let mut broken = value.clone();
        let (pointer, bad) = match name {
            "assignment_rules" => ("/rules/0/pick", "whoever"),
            _ => ("/blocked_categories/0", "sleeping"),
        };
        *broken.pointer_mut(pointer).unwrap() = bad.into();
        assert!(
            !validator(name).is_valid(&broken),
            "{path}: the schema accepts {bad:?} at {pointer}"
        );
    }
    assert_eq!(
        seen, 2,
        "expected docs/examples/lifecycle/assignment_rules.json and task_rule.json"
    );
}

#[test]
fn the_schema_rejects_a_broken_definition() {
    let v = validator("workflow_definition");
    let broken = serde_json::json!({"name": "x", "initial": "a", "states": [{"key": "a", "category": "sleeping"}], "transitions": [], "terminal": []});
    assert!(!v.is_valid(&broken));
    let bad_effect = serde_json::json!({"name": "x", "initial": "a", "states": [{"key": "a", "category": "new"}],
        "transitions": [{"from": "a", "event": "e", "to": "a", "effects": [{"type": "explode"}]}], "terminal": []});
    assert!(!v.is_valid(&bad_effect));
}
