//! The committed JSON Schemas under `docs/schemas/cmdb/` are the generated
//! ones; `UPDATE_SCHEMAS=1 cargo test -p itsm-cmdb --test schemas`
//! regenerates them. Every CMDB example validates against its schema (the
//! change records beside them against core's).

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
        "AppliedWindow",
        "AttributeDefinition",
        "AttributeProvenance",
        "AttributeType",
        "CiChange",
        "CiClass",
        "CiHealth",
        "ChangeSchedule",
        "CiPath",
        "CmdbData",
        "Conflict",
        "ConflictReport",
        "DayOfWeek",
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
        "Interval",
        "LifecycleStatus",
        "MonthlyWindow",
        "OnceWindow",
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
        "RelatedAs",
        "RelatedCi",
        "Relationship",
        "RelationshipRule",
        "RelationshipType",
        "RootCauseCandidate",
        "ScheduleWindow",
        "SinglePointOfFailure",
        "SourcePriority",
        "WeekOfMonth",
        "WeeklyWindow",
        "WindowTarget",
        "WindowTime",
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
        "change_schedule",
        "conflict_report",
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

/// Which schema each example file holds: `None` for a core change record,
/// validated against core's schema (an array: each of its items).
const EXAMPLES: [(&str, Option<&str>); 4] = [
    ("estate.json", Some("cmdb_data")),
    ("change_schedule.json", Some("change_schedule")),
    ("planned_change.json", None),
    ("scheduled_changes.json", None),
];

fn core_change_validator() -> jsonschema::Validator {
    let documents = itsm_core::schema_bundle().documents();
    let document = documents
        .iter()
        .find(|d| d.path == "core/change.schema.json")
        .unwrap();
    let schema: serde_json::Value = serde_json::from_str(&document.content).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn every_example_validates_against_its_schema() {
    let mut listed: Vec<String> = Vec::new();
    for entry in std::fs::read_dir(docs().join("examples/cmdb")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            listed.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    listed.sort();
    let mut known: Vec<String> = EXAMPLES.iter().map(|(f, _)| (*f).to_owned()).collect();
    known.sort();
    assert_eq!(listed, known, "every example file has a row in EXAMPLES");
    for (file, schema) in EXAMPLES {
        let path = docs().join("examples/cmdb").join(file);
        let instance: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let (validator, items) = match schema {
            Some(name) => (validator(name), vec![instance]),
            None => (
                core_change_validator(),
                match instance {
                    serde_json::Value::Array(items) => items,
                    one => vec![one],
                },
            ),
        };
        for item in &items {
            let errors: Vec<String> = validator
                .iter_errors(item)
                .map(|e| format!("{}: {e}", e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{file}: {errors:?}");
        }
    }
}

#[test]
fn the_schedule_schema_rejects_a_misspelt_field_and_an_unknown_day() {
    let validator = validator("change_schedule");
    let window = |when: serde_json::Value| serde_json::json!({"maintenance_windows": [{"name": "w", "applies_to": {"class": "database"}, "when": when}]});
    let good = window(
        serde_json::json!({"weekly": {"time_zone": "UTC", "days": ["sunday"], "start": "02:00", "end": "06:00"}}),
    );
    assert!(validator.is_valid(&good));
    for bad in [
        window(
            serde_json::json!({"weekly": {"time_zone": "UTC", "days": ["sun"], "start": "02:00", "end": "06:00"}}),
        ),
        window(
            serde_json::json!({"weekly": {"time_zone": "UTC", "days": ["sunday"], "start": "02:00", "end": "06:00", "untill": "2026-01-01"}}),
        ),
        window(
            serde_json::json!({"daily": {"time_zone": "UTC", "start": "02:00", "end": "06:00"}}),
        ),
    ] {
        assert!(!validator.is_valid(&bad), "{bad}");
    }
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
