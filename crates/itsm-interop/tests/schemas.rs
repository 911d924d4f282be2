//! The committed JSON Schemas under `docs/schemas/interop/` are the
//! generated ones; `UPDATE_SCHEMAS=1 cargo test -p itsm-interop --test
//! schemas` regenerates them. The mapping and lookup fixtures, the default
//! mappings, and the reports of converting every fixture validate against
//! them.

mod common;

#[path = "repo/crates/itsm-core/tests/support/schema_drift.rs"]
mod schema_drift;

use itsm_interop::{
    InteropOptions, JiraMapping, LookupTables, ServiceNow, ServiceNowMapping, ServiceNowTable,
    TmfMapping,
};
use serde_json::Value;

#[test]
fn committed_schemas_match_the_generated_ones() {
    schema_drift::check(&itsm_interop::schema_bundle(), "interop", "itsm-interop");
}

fn validator(name: &str) -> jsonschema::Validator {
    let path = format!("interop/{name}.schema.json");
    let documents = itsm_interop::schema_bundle().documents();
    let document = documents
        .iter()
        .find(|d| d.path == path)
        .unwrap_or_else(|| panic!("{path}"));
    let schema: Value = serde_json::from_str(&document.content).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, value: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn the_mappings_and_the_fixtures_validate() {
    assert_valid(
        &validator("servicenow_mapping"),
        &serde_json::to_value(ServiceNowMapping::default()).unwrap(),
        "default servicenow mapping",
    );
    assert_valid(
        &validator("servicenow_mapping"),
        &common::fixture("servicenow/mapping.json"),
        "servicenow/mapping.json",
    );
    assert_valid(
        &validator("jira_mapping"),
        &serde_json::to_value(JiraMapping::default()).unwrap(),
        "default jira mapping",
    );
    assert_valid(
        &validator("tmf_mapping"),
        &serde_json::to_value(TmfMapping::default()).unwrap(),
        "default tmf mapping",
    );
    assert_valid(
        &validator("lookup_tables"),
        &common::fixture("servicenow/lookup.json"),
        "servicenow/lookup.json",
    );
    assert_valid(
        &validator("interop_options"),
        &serde_json::to_value(InteropOptions::default()).unwrap(),
        "options",
    );
    // A mapping with an unknown member does not validate.
    let bad =
        serde_json::json!({"incident_state": [{"code": "1", "value": "new", "colour": "red"}]});
    assert!(!validator("servicenow_mapping").is_valid(&bad));
}

#[test]
fn every_conversion_and_its_report_validate() {
    let sn = ServiceNow::new(ServiceNowMapping::default(), InteropOptions::default()).unwrap();
    let lookup: LookupTables =
        serde_json::from_value(common::fixture("servicenow/lookup.json")).unwrap();
    let converted = validator("converted");
    let report = validator("loss_report");
    for record in common::fixture("servicenow/incident.json")["result"]
        .as_array()
        .unwrap()
    {
        let c = sn
            .import(ServiceNowTable::Incident, record, &lookup)
            .unwrap();
        assert_valid(
            &converted,
            &serde_json::to_value(&c).unwrap(),
            "converted incident",
        );
        let back = sn.export(&c.record, &lookup).unwrap();
        assert_valid(
            &report,
            &serde_json::to_value(&back.report).unwrap(),
            "export report",
        );
    }
}
