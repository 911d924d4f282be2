//! Every root type of the schema bundle has a realistic example under
//! `docs/examples/core/`; each example is valid against its committed schema,
//! round-trips through serde unchanged, and breaks no rule.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use itsm_core::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A validator for `schema` that also checks formats (`uuid`, `date-time`).
fn validator(name: &str, schema: &serde_json::Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("{name}: bad schema: {e}"))
}

/// `docs/` of the repository, through the links under `tests/repo/` (which
/// `cargo package` copies into the `.crate`).
fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs")
}

/// The root types: every schema file but the bundle.
fn root_names() -> Vec<String> {
    schema_bundle().names().map(str::to_owned).collect()
}

/// Deserialises `text` as a `T`, serialises it again, and checks the JSON is unchanged.
fn round_trip<T: Serialize + DeserializeOwned>(name: &str, text: &str) -> T {
    let value: T = from_json(text).unwrap_or_else(|e| panic!("{name}: {e}"));
    let original: serde_json::Value = serde_json::from_str(text).unwrap();
    let again = serde_json::to_value(&value).unwrap();
    assert_eq!(
        again, original,
        "{name}: the example changes through a round trip"
    );
    value
}

/// Round-trips `text` as a `T` and checks it breaks no rule.
fn valid<T: Serialize + DeserializeOwned + Validate>(name: &str, text: &str) {
    let value: T = round_trip(name, text);
    let violations = value.validate();
    assert!(
        violations.is_empty(),
        "{name}: the example breaks rules: {violations:#?}"
    );
}

/// The type-specific checks of one example.
fn check_example(name: &str, text: &str) {
    match name {
        "incident" => valid::<Incident>(name, text),
        "problem" => valid::<Problem>(name, text),
        "known_error" => valid::<KnownError>(name, text),
        "knowledge_article" => valid::<KnowledgeArticle>(name, text),
        "change" => valid::<Change>(name, text),
        "release" => valid::<Release>(name, text),
        "service_request" => valid::<ServiceRequest>(name, text),
        "task" => valid::<Task>(name, text),
        "task_template" => valid::<TaskTemplate>(name, text),
        "service" => valid::<Service>(name, text),
        "configuration_item_ref" => valid::<ConfigurationItemRef>(name, text),
        "person" => valid::<Person>(name, text),
        "group" => valid::<Group>(name, text),
        "role" => valid::<Role>(name, text),
        "directory" => valid::<Directory>(name, text),
        "asset" => valid::<Asset>(name, text),
        "software_licence" => valid::<SoftwareLicence>(name, text),
        "installation" => valid::<Installation>(name, text),
        "licence_position" => {
            let position: LicencePosition = round_trip(name, text);
            assert_eq!(
                position.shortfall,
                position.consumed.saturating_sub(position.entitled),
                "{name}: shortfall"
            );
            assert_eq!(
                position.unused,
                position.entitled.saturating_sub(position.consumed),
                "{name}: unused"
            );
        }
        "request_item" => valid::<RequestItem>(name, text),
        "catalog_item" => valid::<CatalogItem>(name, text),
        "standard_change_template" => valid::<StandardChangeTemplate>(name, text),
        "catalog" => valid::<Catalog>(name, text),
        "order" => {
            round_trip::<Order>(name, text);
        }
        "ordered" => {
            let ordered: Ordered = round_trip(name, text);
            assert!(ordered.request.validate().is_empty(), "{name}: request");
            assert!(ordered.item.validate().is_empty(), "{name}: item");
            if let Some(change) = &ordered.change {
                assert!(change.validate().is_empty(), "{name}: change");
            }
        }
        "timeline" => valid::<Timeline>(name, text),
        "priority_matrix" => {
            let definition: PriorityMatrixDefinition = round_trip(name, text);
            PriorityMatrix::new(definition).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        "timeline_event" => {
            round_trip::<TimelineEvent>(name, text);
        }
        "violation" => {
            round_trip::<Violation>(name, text);
        }
        other => panic!("root type {other} has no example check in tests/fixtures.rs"),
    }
}

#[test]
fn every_root_type_has_a_valid_example() {
    let names = root_names();
    let mut failures = Vec::new();
    for name in &names {
        let example = docs().join(format!("examples/core/{name}.json"));
        let Ok(text) = std::fs::read_to_string(&example) else {
            failures.push(format!("docs/examples/core/{name}.json is missing"));
            continue;
        };
        let schema_path = docs().join(format!("schemas/core/{name}.schema.json"));
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&schema_path).unwrap()).unwrap();
        let instance: serde_json::Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("{name}: bad schema: {e}"));
        for error in validator.iter_errors(&instance) {
            failures.push(format!("{name}.json at {}: {error}", error.instance_path()));
        }
        check_example(name, &text);
    }
    // No example without a root type.
    let known: BTreeSet<String> = names.iter().map(|n| format!("{n}.json")).collect();
    for entry in std::fs::read_dir(docs().join("examples/core")).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !known.contains(&file) {
            failures.push(format!("docs/examples/core/{file} matches no root type"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The schemas are not vacuous: an instance breaking them is refused.
#[test]
fn schemas_refuse_broken_examples() {
    let check = |name: &str, pointer: &str, bad: serde_json::Value| {
        let schema_path = docs().join(format!("schemas/core/{name}.schema.json"));
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(schema_path).unwrap()).unwrap();
        let text =
            std::fs::read_to_string(docs().join(format!("examples/core/{name}.json"))).unwrap();
        let mut instance: serde_json::Value = serde_json::from_str(&text).unwrap();
        *instance.pointer_mut(pointer).unwrap() = bad.clone();
        let validator = validator(name, &schema);
        assert!(
            !validator.is_valid(&instance),
            "{name}: {pointer} = {bad} should break the schema"
        );
    };
    check("incident", "/state", "exploded".into());
    check("incident", "/number", "INC12".into());
    check("incident", "/reopen_count", (-1).into());
    check("change", "/approvals/0/decision", "maybe".into());
    check("timeline", "/events/0/type", "exploded".into());
    check("timeline_event", "/at", 12.into());
    check("service_request", "/catalog_item", "not-a-uuid".into());
    check("problem", "/opened_at", "yesterday".into());
    check("role", "/permissions/0/kinds", "incident".into());
    check("directory", "/groups/0/members/0", "not-a-uuid".into());
    check("asset", "/state", "lost".into());
    check("asset", "/warranty_end", "next year".into());
    check("asset", "/cost/amount_minor", 12.5.into());
    check("software_licence", "/metric", "per_site".into());
    check("software_licence", "/entitlements", (-1).into());
    check("installation", "/cores", "many".into());
    check("licence_position", "/consumed", (-3).into());
    check("catalog_item", "/variables/0/kind/type", "colour".into());
    check("catalog_item", "/approval/kind", "anyone".into());
    check("catalog", "/items/0/fulfilment_tasks/0/order", (-1).into());
    check("standard_change_template", "/risk", "tiny".into());
    check("request_item", "/number", "RITM12".into());
    check("order", "/quantity", (-1).into());
    check("ordered", "/tasks/0/parent/kind", "release".into());
    check("task", "/state", "done".into());
    check("task", "/parent/kind", "release".into());
    check("task", "/order", (-1).into());
    check("task_template", "/order", "first".into());
}
