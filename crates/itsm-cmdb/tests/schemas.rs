//! The committed JSON Schemas under `docs/schemas/cmdb/` are the generated
//! ones; `UPDATE_SCHEMAS=1 cargo test -p itsm-cmdb --test schemas`
//! regenerates them. Every CMDB example validates against them.

use std::path::{Path, PathBuf};

/// `docs/` of the repository, through the links under `tests/repo/` (which
/// `cargo package` copies into the `.crate`).
fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs")
}

#[path = "repo/crates/itsm-core/tests/support/schema_drift.rs"]
mod schema_drift;

#[test]
fn committed_schemas_match_the_generated_ones() {
    schema_drift::check(&itsm_cmdb::schema_bundle(), "cmdb", "itsm-cmdb");
}

#[test]
fn every_public_wire_type_is_in_the_bundle() {
    let bundle = itsm_cmdb::schema_bundle()
        .documents()
        .into_iter()
        .find(|d| d.path == "cmdb/bundle.schema.json")
        .unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&bundle.content).unwrap();
    let defs = bundle["$defs"].as_object().unwrap();
    for name in [
        "AttributeDefinition",
        "AttributeProvenance",
        "AttributeType",
        "CiChange",
        "CiClass",
        "CiHealth",
        "CiPath",
        "CmdbData",
        "CmdbDiff",
        "ConfigurationItem",
        "DegradedCi",
        "DependencyReport",
        "DiscoveryOutcome",
        "DiscoveryRecord",
        "FieldChange",
        "HealthReport",
        "HealthState",
        "Identification",
        "IdentificationRule",
        "ImpactDirection",
        "ImpactReport",
        "ImpactedService",
        "IndexMemory",
        "LifecycleStatus",
        "OperationalState",
        "PathDirection",
        "ProvenanceRecord",
        "QueryOptions",
        "ReachedCi",
        "ReconciliationReport",
        "ReconciliationRule",
        "Redundancy",
        "RedundancyRequirement",
        "RefusalReason",
        "RefusedWrite",
        "Relationship",
        "RelationshipRule",
        "RelationshipType",
        "RootCauseCandidate",
        "SinglePointOfFailure",
        "SourcePriority",
    ] {
        assert!(
            defs.contains_key(name),
            "{name} has no schema in the bundle"
        );
    }
}

#[test]
fn every_public_wire_type_has_a_schema() {
    let bundle = itsm_cmdb::schema_bundle();
    let names: Vec<&str> = bundle.names().collect();
    for expected in [
        "cmdb_data",
        "configuration_item",
        "relationship",
        "discovery_record",
        "identification",
        "reconciliation_report",
        "discovery_outcome",
        "cmdb_diff",
        "query_options",
        "impact_report",
        "dependency_report",
    ] {
        assert!(names.contains(&expected), "no schema named {expected}");
    }
}

fn validator(name: &str) -> jsonschema::Validator {
    // The generated schema, which the drift test holds equal to the committed one.
    let path = format!("cmdb/{name}.schema.json");
    let documents = itsm_cmdb::schema_bundle().documents();
    let document = documents.iter().find(|d| d.path == path).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&document.content).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn examples_validate_against_the_cmdb_data_schema() {
    let validator = validator("cmdb_data");
    let mut checked = 0;
    for entry in std::fs::read_dir(docs().join("examples/cmdb")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let instance: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&instance)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        checked += 1;
    }
    assert!(checked > 0, "no example checked");
}

#[test]
fn the_schema_rejects_a_wrongly_named_state() {
    let validator = validator("configuration_item");
    let bad = serde_json::json!({
        "id": "0190e3a4-0000-7000-8000-000000000001", "class": "application", "name": "x",
        "lifecycle": "InUse", "operational_state": "operational"
    });
    assert!(!validator.is_valid(&bad));
    let good = serde_json::json!({
        "id": "0190e3a4-0000-7000-8000-000000000001", "class": "application", "name": "x",
        "lifecycle": "in_use", "operational_state": "operational"
    });
    assert!(validator.is_valid(&good));
}
