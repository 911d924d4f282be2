//! The committed JSON Schemas under `docs/schemas/store/` are the generated
//! ones; `UPDATE_SCHEMAS=1 cargo test -p itsm-store --test schemas`
//! regenerates them.

#[path = "repo/crates/itsm-core/tests/support/schema_drift.rs"]
mod schema_drift;

#[test]
fn committed_schemas_match_the_generated_ones() {
    schema_drift::check(&itsm_store::schema_bundle(), "store", "itsm-store");
}

fn validator(name: &str) -> jsonschema::Validator {
    let path = format!("store/{name}.schema.json");
    let documents = itsm_store::schema_bundle().documents();
    let document = documents.iter().find(|d| d.path == path).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&document.content).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

/// An exported event (one line of `itsm desk export`) validates against
/// its schema, and a bad stream kind does not.
#[test]
fn a_recorded_event_validates_against_its_schema() {
    let validator = validator("recorded_event");
    let mut event = serde_json::json!({
        "position": 1, "stream_id": "0190e3a4-0000-7000-8000-000000000001", "stream_kind": "incident",
        "version": 1, "event_id": "0190e3a4-0000-7000-8000-000000000002", "event_type": "note",
        "schema_version": 1, "recorded_at": "2026-03-02T09:00:00Z", "occurred_at": "2026-03-02T09:00:00Z",
        "payload": { "text": "hello" }
    });
    assert!(validator.is_valid(&event));
    let decoded: itsm_store::RecordedEvent = serde_json::from_value(event.clone()).unwrap();
    assert_eq!(decoded.payload, r#"{"text":"hello"}"#);
    event["stream_kind"] = "Not A Kind".into();
    assert!(!validator.is_valid(&event));
}
