//! The committed JSON Schemas under `docs/schemas/desk/` are the generated
//! ones; `UPDATE_SCHEMAS=1 cargo test -p itsm-desk --test schemas`
//! regenerates them.

#[path = "repo/crates/itsm-core/tests/support/schema_drift.rs"]
mod schema_drift;

#[test]
fn committed_schemas_match_the_generated_ones() {
    schema_drift::check(&itsm_desk::schema_bundle(), "desk", "itsm-desk");
}

/// The default configuration is valid against its own schema, and round-trips.
#[test]
fn the_default_configuration_validates_against_its_schema() {
    let documents = itsm_desk::schema_bundle().documents();
    let document = documents
        .iter()
        .find(|d| d.path == "desk/config.schema.json")
        .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&document.content).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let config = serde_json::to_value(itsm_desk::Config::default()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&config)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let back: itsm_desk::Config = serde_json::from_value(config).unwrap();
    assert_eq!(back, itsm_desk::Config::default());
}
