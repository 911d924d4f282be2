//! ServiceNow: every mapped field in a table, the fixtures, round trips.

mod common;

use common::{differences, fixture, normalise};
use itsm_interop::{
    Format, InteropError, InteropOptions, ItsmRecord, LookupTables, ServiceNow, ServiceNowMapping,
    ServiceNowTable,
};
use serde_json::{Value, json};

const SYS_ID: &str = "9d385017c611228701d22104cc95c371";

fn servicenow() -> ServiceNow {
    ServiceNow::new(ServiceNowMapping::default(), InteropOptions::default()).unwrap()
}

fn lookup() -> LookupTables {
    serde_json::from_value(fixture("servicenow/lookup.json")).unwrap()
}

fn minimal(table: ServiceNowTable) -> Value {
    match table {
        ServiceNowTable::CmdbRelCi => json!({}),
        _ => json!({"sys_id": SYS_ID}),
    }
}

/// Imports a minimal record of `table` with `theirs` set, and checks our
/// JSON at `ours` (a `/`-separated pointer) against `expected`, and whether
/// the report names the field.
fn check(
    table: ServiceNowTable,
    theirs: (&str, Value),
    ours: &str,
    expected: Value,
    reported: bool,
) {
    let mut record = minimal(table);
    record[theirs.0] = theirs.1.clone();
    let converted = servicenow()
        .import(table, &record, &lookup())
        .unwrap_or_else(|e| panic!("{table:?} {theirs:?}: {e}"));
    let json = serde_json::to_value(&converted.record).unwrap();
    let actual = json["record"].pointer(ours).cloned().unwrap_or(Value::Null);
    assert_eq!(
        actual, expected,
        "{table:?} {} = {}: our {ours}",
        theirs.0, theirs.1
    );
    let named = converted.report.paths().any(|p| p == theirs.0);
    assert_eq!(
        named, reported,
        "{table:?} {} = {}: reported? {:#?}",
        theirs.0, theirs.1, converted.report
    );
}

use ServiceNowTable::{ChangeRequest, CmdbCi, Incident, KbKnowledge, Problem, ScReqItem};

#[test]
fn incident_fields() {
    let abel = "01958f3c-0001-7001-8001-000000001001";
    for (theirs, value, ours, expected, reported) in [
        (
            "number",
            json!("INC0010001"),
            "/number",
            json!("INC0010001"),
            false,
        ),
        (
            "number",
            json!("SIR0010001"),
            "/number",
            json!("INC0010001"),
            true,
        ),
        (
            "short_description",
            json!("Email down"),
            "/short_description",
            json!("Email down"),
            false,
        ),
        (
            "description",
            json!("All of floor 3"),
            "/description",
            json!("All of floor 3"),
            false,
        ),
        (
            "category",
            json!("network"),
            "/category",
            json!("network"),
            false,
        ),
        (
            "subcategory",
            json!("vpn"),
            "/subcategory",
            json!("vpn"),
            false,
        ),
        ("state", json!("1"), "/state", json!("new"), false),
        ("state", json!("2"), "/state", json!("in_progress"), false),
        ("state", json!("3"), "/state", json!("on_hold"), false),
        ("state", json!("6"), "/state", json!("resolved"), false),
        ("state", json!("7"), "/state", json!("closed"), false),
        ("state", json!("8"), "/state", json!("canceled"), false),
        (
            "state",
            json!({"display_value": "In Progress", "value": "2"}),
            "/state",
            json!("in_progress"),
            false,
        ),
        ("state", json!("9"), "/state", json!("new"), true),
        (
            "hold_reason",
            json!("1"),
            "/on_hold_reason",
            json!("awaiting_caller"),
            false,
        ),
        (
            "hold_reason",
            json!("3"),
            "/on_hold_reason",
            json!("awaiting_problem"),
            false,
        ),
        (
            "hold_reason",
            json!("4"),
            "/on_hold_reason",
            json!("awaiting_vendor"),
            false,
        ),
        (
            "hold_reason",
            json!("5"),
            "/on_hold_reason",
            json!("awaiting_change"),
            false,
        ),
        (
            "hold_reason",
            json!("2"),
            "/on_hold_reason",
            Value::Null,
            true,
        ),
        ("impact", json!("1"), "/impact", json!("high"), false),
        ("impact", json!("2"), "/impact", json!("medium"), false),
        ("impact", json!("3"), "/impact", json!("low"), false),
        ("urgency", json!("1"), "/urgency", json!("high"), false),
        ("urgency", json!("3"), "/urgency", json!("low"), false),
        ("priority", json!("1"), "/priority", json!("p1"), false),
        ("priority", json!("5"), "/priority", json!("p5"), false),
        (
            "close_code",
            json!("Solution provided"),
            "/resolution_code",
            json!("solution_provided"),
            false,
        ),
        (
            "close_code",
            json!("Workaround provided"),
            "/resolution_code",
            json!("workaround_provided"),
            false,
        ),
        (
            "close_code",
            json!("Solved (Permanently)"),
            "/resolution_code",
            json!("solution_provided"),
            true,
        ),
        (
            "close_notes",
            json!("Rebooted"),
            "/resolution_notes",
            json!("Rebooted"),
            false,
        ),
        (
            "contact_type",
            json!("self-service"),
            "/channel",
            json!("self_service"),
            false,
        ),
        (
            "contact_type",
            json!("walk-in"),
            "/channel",
            json!("walk_in"),
            false,
        ),
        (
            "contact_type",
            json!("virtual_agent"),
            "/channel",
            json!("chat"),
            true,
        ),
        (
            "opened_at",
            json!("2026-03-02 09:15:00"),
            "/opened_at",
            json!("2026-03-02T09:15:00Z"),
            false,
        ),
        (
            "opened_at",
            json!("02/03/2026 09:15"),
            "/opened_at",
            json!("1970-01-01T00:00:00Z"),
            true,
        ),
        (
            "resolved_at",
            json!("2026-03-02 11:00:00"),
            "/resolved_at",
            json!("2026-03-02T11:00:00Z"),
            false,
        ),
        (
            "closed_at",
            json!("2026-03-05 11:00:00"),
            "/closed_at",
            json!("2026-03-05T11:00:00Z"),
            false,
        ),
        ("reopen_count", json!("2"), "/reopen_count", json!(2), false),
        (
            "reopen_count",
            json!("two"),
            "/reopen_count",
            json!(0),
            true,
        ),
        (
            "reopened_time",
            json!("2026-03-03 08:00:00"),
            "/last_reopened_at",
            json!("2026-03-03T08:00:00Z"),
            false,
        ),
        (
            "caller_id",
            json!("abel.tuter"),
            "/caller",
            json!(abel),
            false,
        ),
        (
            "caller_id",
            json!({"link": "x", "value": "5137153cc611227c000bbd1bd8cd2005"}),
            "/caller",
            json!("5137153c-c611-227c-000b-bd1bd8cd2005"),
            false,
        ),
        (
            "caller_id",
            json!("5137153cc611227c000bbd1bd8cd2005"),
            "/caller",
            json!("5137153c-c611-227c-000b-bd1bd8cd2005"),
            false,
        ),
        (
            "caller_id",
            json!({"display_value": "abel.tuter"}),
            "/caller",
            json!(abel),
            false,
        ),
        (
            "caller_id",
            json!({"display_value": "Former Employee", "value": ""}),
            "/caller",
            json!("00000000-0000-0000-0000-000000000000"),
            true,
        ),
        (
            "caller_id",
            json!("Former Employee"),
            "/extensions/servicenow.caller_id",
            json!("Former Employee"),
            true,
        ),
        (
            "assigned_to",
            json!("beth.anglin"),
            "/assigned_to",
            json!("01958f3c-0001-7001-8001-000000001002"),
            false,
        ),
        (
            "assigned_to",
            json!("nobody"),
            "/assigned_to",
            Value::Null,
            true,
        ),
        (
            "opened_by",
            json!("itil"),
            "/opened_by",
            json!("01958f3c-0001-7001-8001-000000001005"),
            false,
        ),
        (
            "resolved_by",
            json!("david.loo"),
            "/resolved_by",
            json!("01958f3c-0001-7001-8001-000000001003"),
            false,
        ),
        (
            "closed_by",
            json!("fred.luddy"),
            "/closed_by",
            json!("01958f3c-0001-7001-8001-000000001004"),
            false,
        ),
        (
            "assignment_group",
            json!("not-a-group"),
            "/assignment_group",
            Value::Null,
            true,
        ),
        (
            "business_service",
            json!("0a52d3dcd7011200f2d224837e6103f2"),
            "/service",
            json!("0a52d3dc-d701-1200-f2d2-24837e6103f2"),
            false,
        ),
        (
            "cmdb_ci",
            json!({"value": "27d32778c0a8000b00db970eeaa60f16"}),
            "/configuration_items",
            json!(["27d32778-c0a8-000b-00db-970eeaa60f16"]),
            false,
        ),
        (
            "parent_incident",
            json!("27d32778c0a8000b00db970eeaa60f16"),
            "/parent_incident",
            json!("27d32778-c0a8-000b-00db-970eeaa60f16"),
            false,
        ),
        (
            "problem_id",
            json!("27d32778c0a8000b00db970eeaa60f16"),
            "/problem",
            json!("27d32778-c0a8-000b-00db-970eeaa60f16"),
            false,
        ),
        (
            "caused_by",
            json!("27d32778c0a8000b00db970eeaa60f16"),
            "/caused_by_change",
            json!("27d32778-c0a8-000b-00db-970eeaa60f16"),
            false,
        ),
        (
            "rfc",
            json!("27d32778c0a8000b00db970eeaa60f16"),
            "/change_request",
            json!("27d32778-c0a8-000b-00db-970eeaa60f16"),
            false,
        ),
        (
            "major_incident_state",
            json!("accepted"),
            "/major_incident_state",
            json!("accepted"),
            false,
        ),
        (
            "u_vendor_ticket",
            json!("CISCO-1"),
            "/extensions/servicenow.u_vendor_ticket",
            json!("CISCO-1"),
            true,
        ),
        (
            "sys_id",
            json!(SYS_ID),
            "/extensions/external_id.servicenow",
            json!(SYS_ID),
            false,
        ),
    ] {
        check(Incident, (theirs, value), ours, expected, reported);
    }
}

#[test]
fn problem_change_request_knowledge_and_ci_fields() {
    let id = "27d32778-c0a8-000b-00db-970eeaa60f16";
    let sys = "27d32778c0a8000b00db970eeaa60f16";
    for (table, theirs, value, ours, expected, reported) in [
        (
            Problem,
            "state",
            json!("101"),
            "/state",
            json!("new"),
            false,
        ),
        (
            Problem,
            "state",
            json!("102"),
            "/state",
            json!("assess"),
            false,
        ),
        (
            Problem,
            "state",
            json!("103"),
            "/state",
            json!("root_cause_analysis"),
            false,
        ),
        (
            Problem,
            "state",
            json!("104"),
            "/state",
            json!("fix_in_progress"),
            false,
        ),
        (
            Problem,
            "state",
            json!("106"),
            "/state",
            json!("resolved"),
            false,
        ),
        (
            Problem,
            "state",
            json!("107"),
            "/state",
            json!("closed"),
            false,
        ),
        (
            Problem,
            "cause_notes",
            json!("Bad firmware"),
            "/root_cause",
            json!("Bad firmware"),
            false,
        ),
        (
            Problem,
            "known_error",
            json!("true"),
            "/known_error",
            json!(true),
            false,
        ),
        (
            Problem,
            "known_error",
            json!("yes"),
            "/known_error",
            json!(false),
            true,
        ),
        (
            Problem,
            "resolution_code",
            json!("fix_applied"),
            "/resolution_code",
            json!("fix_applied"),
            false,
        ),
        (
            Problem,
            "duplicate_of",
            json!(sys),
            "/duplicate_of",
            json!(id),
            false,
        ),
        (
            Problem,
            "number",
            json!("PRB0040001"),
            "/number",
            json!("PRB0040001"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("-5"),
            "/state",
            json!("new"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("-4"),
            "/state",
            json!("assess"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("-3"),
            "/state",
            json!("authorize"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("-2"),
            "/state",
            json!("scheduled"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("-1"),
            "/state",
            json!("implement"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("0"),
            "/state",
            json!("review"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("3"),
            "/state",
            json!("closed"),
            false,
        ),
        (
            ChangeRequest,
            "state",
            json!("4"),
            "/state",
            json!("canceled"),
            false,
        ),
        (
            ChangeRequest,
            "type",
            json!("emergency"),
            "/change_type",
            json!("emergency"),
            false,
        ),
        (
            ChangeRequest,
            "risk",
            json!("2"),
            "/risk",
            json!("high"),
            false,
        ),
        (
            ChangeRequest,
            "approval",
            json!("approved"),
            "/approval",
            json!("approved"),
            false,
        ),
        (
            ChangeRequest,
            "close_code",
            json!("successful_issues"),
            "/close_code",
            json!("successful_with_issues"),
            false,
        ),
        (
            ChangeRequest,
            "start_date",
            json!("2026-03-07 22:00:00"),
            "/planned_start",
            json!("2026-03-07T22:00:00Z"),
            false,
        ),
        (
            ChangeRequest,
            "work_end",
            json!("2026-03-08 01:00:00"),
            "/actual_end",
            json!("2026-03-08T01:00:00Z"),
            false,
        ),
        (
            ChangeRequest,
            "backout_plan",
            json!("Restore snapshot"),
            "/backout_plan",
            json!("Restore snapshot"),
            false,
        ),
        (
            ScReqItem,
            "state",
            json!("-5"),
            "/state",
            json!("awaiting_approval"),
            false,
        ),
        (
            ScReqItem,
            "state",
            json!("2"),
            "/state",
            json!("fulfilment"),
            false,
        ),
        (
            ScReqItem,
            "state",
            json!("3"),
            "/state",
            json!("closed_complete"),
            false,
        ),
        (
            ScReqItem,
            "state",
            json!("7"),
            "/state",
            json!("closed_incomplete"),
            true,
        ),
        (
            ScReqItem,
            "quantity",
            json!("3"),
            "/quantity",
            json!(3),
            false,
        ),
        (
            ScReqItem,
            "number",
            json!("RITM0010001"),
            "/number",
            json!("REQ0010001"),
            true,
        ),
        (
            ScReqItem,
            "cat_item",
            json!(sys),
            "/catalog_item",
            json!(id),
            false,
        ),
        (
            ScReqItem,
            "requested_for",
            json!("abel.tuter"),
            "/requested_for",
            json!("01958f3c-0001-7001-8001-000000001001"),
            false,
        ),
        (
            ScReqItem,
            "due_date",
            json!("2026-03-09 17:00:00"),
            "/due_at",
            json!("2026-03-09T17:00:00Z"),
            false,
        ),
        (
            KbKnowledge,
            "short_description",
            json!("Reset MFA"),
            "/title",
            json!("Reset MFA"),
            false,
        ),
        (
            KbKnowledge,
            "text",
            json!("<p>Open the portal</p>"),
            "/body",
            json!("<p>Open the portal</p>"),
            false,
        ),
        (
            KbKnowledge,
            "workflow_state",
            json!("published"),
            "/state",
            json!("published"),
            false,
        ),
        (
            KbKnowledge,
            "workflow_state",
            json!("outdated"),
            "/state",
            json!("retired"),
            true,
        ),
        (
            KbKnowledge,
            "meta",
            json!("mfa,okta, reset"),
            "/keywords",
            json!(["mfa", "okta", "reset"]),
            false,
        ),
        (
            KbKnowledge,
            "published",
            json!("2026-03-01"),
            "/published_at",
            json!("2026-03-01T00:00:00Z"),
            false,
        ),
        (
            KbKnowledge,
            "kb_knowledge_base",
            json!({"value": "a7e8a78bff0221009b20ffffffffff17"}),
            "/knowledge_base",
            json!("a7e8a78bff0221009b20ffffffffff17"),
            false,
        ),
        (
            CmdbCi,
            "sys_class_name",
            json!("cmdb_ci_linux_server"),
            "/class",
            json!("linux_server"),
            false,
        ),
        (
            CmdbCi,
            "sys_class_name",
            json!("cmdb_ci_vmware_instance"),
            "/class",
            json!("virtual_machine"),
            true,
        ),
        (
            CmdbCi,
            "sys_class_name",
            json!("u_cmdb_ci_robot"),
            "/class",
            json!("configuration_item"),
            true,
        ),
        (
            CmdbCi,
            "install_status",
            json!("1"),
            "/lifecycle",
            json!("in_use"),
            false,
        ),
        (
            CmdbCi,
            "install_status",
            json!("2"),
            "/lifecycle",
            json!("ordered"),
            false,
        ),
        (
            CmdbCi,
            "install_status",
            json!("7"),
            "/lifecycle",
            json!("retired"),
            false,
        ),
        (
            CmdbCi,
            "install_status",
            json!("100"),
            "/lifecycle",
            json!("retired"),
            true,
        ),
        (
            CmdbCi,
            "operational_status",
            json!("2"),
            "/operational_state",
            json!("down"),
            false,
        ),
        (
            CmdbCi,
            "ip_address",
            json!("10.0.0.1"),
            "/attributes/ip_address",
            json!("10.0.0.1"),
            false,
        ),
        (
            CmdbCi,
            "cpu_count",
            json!("16"),
            "/attributes/cpu_count",
            json!(16),
            false,
        ),
        (
            CmdbCi,
            "u_cost_centre",
            json!("CC-1"),
            "/attributes/servicenow.u_cost_centre",
            json!("CC-1"),
            true,
        ),
    ] {
        check(table, (theirs, value), ours, expected, reported);
    }
}

#[test]
fn relationship_types_read_both_ways() {
    let sn = servicenow();
    let (a, b) = (
        "0a52d3dcd7011200f2d224837e6103f2",
        "27d32778c0a8000b00db970eeaa60f16",
    );
    for (type_value, source, kind, target, approximate) in [
        (
            json!({"display_value": "Depends on::Used by", "value": "1a9cb166f1571100a92eb60da2bce5c5"}),
            a,
            "depends_on",
            b,
            false,
        ),
        (json!("Depends on::Used by"), a, "depends_on", b, false),
        (
            json!({"display_value": "Runs on::Runs"}),
            a,
            "runs_on",
            b,
            false,
        ),
        // ServiceNow's parent is the cluster; our member_of reads node → cluster.
        (
            json!({"display_value": "Members::Member of"}),
            b,
            "member_of",
            a,
            false,
        ),
        (
            json!("Virtualized by::Virtualizes"),
            a,
            "hosted_on",
            b,
            true,
        ),
        (json!("Feeds::Fed by"), a, "Feeds::Fed by", b, true),
    ] {
        let record = json!({"sys_id": "x", "parent": {"value": a}, "child": {"value": b}, "type": type_value});
        let converted = sn
            .import(
                ServiceNowTable::CmdbRelCi,
                &record,
                &LookupTables::default(),
            )
            .unwrap();
        let ItsmRecord::Relationship(r) = &converted.record else {
            panic!()
        };
        assert_eq!(r.relationship_type, kind, "{type_value}");
        assert_eq!(
            r.source.as_uuid().simple().to_string(),
            source,
            "{type_value}"
        );
        assert_eq!(
            r.target.as_uuid().simple().to_string(),
            target,
            "{type_value}"
        );
        assert_eq!(
            converted
                .report
                .approximations
                .iter()
                .any(|x| x.path == "type"),
            approximate,
            "{type_value}"
        );
        // The sys_id of a relationship has no place of ours: reported, dropped.
        assert!(
            converted
                .report
                .unmapped
                .iter()
                .any(|u| u.path == "sys_id" && u.kept_as.is_none())
        );
        // And back: the parent and child as ServiceNow reads them.
        let back = sn
            .export(&converted.record, &LookupTables::default())
            .unwrap()
            .record;
        assert_eq!(back["parent"]["value"], a, "{type_value}");
        assert_eq!(back["child"]["value"], b, "{type_value}");
        if !approximate {
            assert_eq!(
                back["type"]["display_value"],
                type_value
                    .get("display_value")
                    .unwrap_or(&type_value)
                    .clone()
            );
        }
    }
}

#[test]
fn time_zone_option_reads_and_writes_wall_time() {
    let sn = ServiceNow::new(
        ServiceNowMapping::default(),
        InteropOptions {
            time_zone: Some("Europe/London".into()),
            ..InteropOptions::default()
        },
    )
    .unwrap();
    for (wall, utc) in [
        ("2026-03-02 09:15:00", "2026-03-02T09:15:00Z"),
        ("2026-07-02 09:15:00", "2026-07-02T08:15:00Z"),
        // In the spring-forward gap: moved forward by the gap.
        ("2026-03-29 01:30:00", "2026-03-29T01:30:00Z"),
        // In the autumn fold: the earlier instant.
        ("2026-10-25 01:30:00", "2026-10-25T00:30:00Z"),
    ] {
        let record = json!({"sys_id": SYS_ID, "opened_at": wall});
        let converted = sn
            .import(Incident, &record, &LookupTables::default())
            .unwrap();
        let incident = converted.record.as_incident().unwrap();
        assert_eq!(
            incident
                .opened_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            utc,
            "{wall}"
        );
        let back = sn
            .export(&converted.record, &LookupTables::default())
            .unwrap()
            .record;
        assert_eq!(back["opened_at"], wall, "{wall}");
    }
    // Wall times at the ends of the calendar neither panic nor wrap.
    for wall in [
        "262142-12-31 23:59:59",
        "-262143-01-01 00:00:00",
        "0000-01-01 00:00:00",
    ] {
        let record = json!({"sys_id": SYS_ID, "opened_at": wall});
        let converted = sn
            .import(Incident, &record, &LookupTables::default())
            .unwrap();
        let back = sn
            .export(&converted.record, &LookupTables::default())
            .unwrap()
            .record;
        assert_eq!(back["opened_at"], wall, "{wall}");
    }
    let err = ServiceNow::new(
        ServiceNowMapping::default(),
        InteropOptions {
            time_zone: Some("Mars/Olympus".into()),
            ..InteropOptions::default()
        },
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("\"Mars/Olympus\" is not an IANA time zone"),
        "{err}"
    );
}

#[test]
fn the_incident_export_imports_whole_and_round_trips() {
    let sn = servicenow();
    let lookup = lookup();
    let export = fixture("servicenow/incident.json");
    let records = export["result"].as_array().unwrap();
    assert_eq!(records.len(), 50);
    let mut unresolved = 0;
    for (i, record) in records.iter().enumerate() {
        let converted = sn
            .import(Incident, record, &lookup)
            .unwrap_or_else(|e| panic!("result[{i}]: {e}"));
        let incident = converted.record.as_incident().unwrap();
        assert_eq!(
            converted.record.external_id(Format::Servicenow),
            record["sys_id"].as_str()
        );
        assert_eq!(
            incident.number.to_string(),
            record["number"].as_str().unwrap()
        );
        // Every custom field is reported and kept.
        for name in ["u_business_unit", "sys_domain", "company", "location"] {
            let key = format!("servicenow.{name}");
            assert_eq!(
                incident
                    .extensions
                    .get(&key)
                    .map(|v| serde_json::to_value(v).unwrap()),
                Some(record[name].clone()),
                "result[{i}].{name}"
            );
            assert!(
                converted.report.unmapped.iter().any(|u| u.path == name),
                "result[{i}]: {name} not reported"
            );
        }
        unresolved += converted.report.unresolved.len();
        // theirs → ours → theirs gives the record back.
        let back = sn.export(&converted.record, &lookup).unwrap();
        let diff = differences(&normalise(record), &normalise(&back.record));
        assert!(
            diff.is_empty(),
            "result[{i}] changed on the round trip: {diff:#?}"
        );
        // A second import of the exported record is the same record.
        let again = sn.import(Incident, &back.record, &lookup).unwrap();
        assert_eq!(again.record, converted.record, "result[{i}]");
    }
    // The five callers known only by a display name do not resolve.
    assert_eq!(unresolved, 5);
}

#[test]
fn the_cmdb_export_imports_whole_and_round_trips() {
    let sn = servicenow();
    let lookup = LookupTables::default();
    for (file, table, count) in [
        ("servicenow/cmdb_ci.json", CmdbCi, 7),
        ("servicenow/cmdb_rel_ci.json", ServiceNowTable::CmdbRelCi, 7),
    ] {
        let export = fixture(file);
        let records = export["result"].as_array().unwrap();
        assert_eq!(records.len(), count);
        for (i, record) in records.iter().enumerate() {
            let converted = sn
                .import(table, record, &lookup)
                .unwrap_or_else(|e| panic!("{file} result[{i}]: {e}"));
            let back = sn.export(&converted.record, &lookup).unwrap();
            if table == CmdbCi {
                let diff = differences(&normalise(record), &normalise(&back.record));
                assert!(diff.is_empty(), "{file} result[{i}]: {diff:#?}");
            } else {
                // A relationship keeps no extensions: the fields the report
                // does not name come back.
                for name in ["parent", "child"] {
                    assert_eq!(
                        back.record[name]["value"], record[name]["value"],
                        "{file} result[{i}].{name}"
                    );
                }
                for name in ["sys_id", "connection_strength", "sys_updated_on"] {
                    assert!(
                        converted.report.unmapped.iter().any(|u| u.path == name),
                        "{file} result[{i}]: {name}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_record_that_is_not_an_object_or_has_no_sys_id_is_refused_with_its_path() {
    let sn = servicenow();
    let err = sn
        .import(Incident, &json!(["x"]), &LookupTables::default())
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "servicenow record: . = [\"x\"]: a record is a JSON object"
    );
    let err = sn
        .import(
            Incident,
            &json!({"number": "INC0000001"}),
            &LookupTables::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, InteropError::Missing { ref path, .. } if path == "sys_id"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "servicenow record: sys_id is required but missing"
    );
    let err = sn
        .import(
            ServiceNowTable::CmdbRelCi,
            &json!({"parent": "a", "type": "Runs on::Runs"}),
            &LookupTables::default(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "servicenow record: child is required but missing"
    );
}

#[test]
fn an_instance_mapping_loads_from_json_and_refuses_unknown_fields_with_the_path() {
    let text = std::fs::read_to_string(common::examples().join("servicenow/mapping.json")).unwrap();
    let mapping = ServiceNowMapping::from_json(&text).unwrap();
    assert_eq!(mapping.incident_state.len(), 7);
    // Tables the file omits keep their defaults.
    assert_eq!(
        mapping.problem_state,
        ServiceNowMapping::default().problem_state
    );
    let sn = ServiceNow::new(mapping, InteropOptions::default()).unwrap();
    let converted = sn
        .import(
            Incident,
            &json!({"sys_id": SYS_ID, "state": "10", "contact_type": "teams"}),
            &LookupTables::default(),
        )
        .unwrap();
    assert_eq!(
        converted.record.as_incident().unwrap().state,
        itsm_core::IncidentState::InProgress
    );
    let approximated: Vec<&str> = converted
        .report
        .approximations
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    assert!(
        approximated.contains(&"state") && approximated.contains(&"contact_type"),
        "{approximated:?}"
    );

    let err = ServiceNowMapping::from_json(
        r#"{"incident_state": [{"code": "1", "value": "new", "colour": "red"}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(err, InteropError::Json { ref path, .. } if path == "incident_state[0].colour"),
        "{err}"
    );
    assert!(err.to_string().contains("colour"), "{err}");
    let err = ServiceNowMapping::from_json(r#"{"incident_states": []}"#).unwrap_err();
    assert!(err.to_string().contains("incident_states"), "{err}");
    let err = ServiceNowMapping::from_json(r#"{"impact": [{"code": "1", "value": "huge"}]}"#)
        .unwrap_err();
    assert!(
        matches!(err, InteropError::Json { ref path, .. } if path == "impact[0].value"),
        "{err}"
    );
}

#[test]
fn validation_reports_every_problem_of_a_mapping() {
    let text = r#"{
        "incident_state": [{"code": "1", "value": "new"}, {"code": "1", "value": "in_progress"}, {"code": " ", "value": "closed"}],
        "relationship_types": [{"name": "Depends on", "relationship_type": "depends_on"}, {"name": "A::B", "relationship_type": ""}]
    }"#;
    let InteropError::InvalidMapping { problems, .. } =
        ServiceNowMapping::from_json(text).unwrap_err()
    else {
        panic!()
    };
    let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "incident_state[1].code",
            "incident_state[2].code",
            "relationship_types[0].name",
            "relationship_types[1].relationship_type"
        ]
    );
    assert!(
        problems[0]
            .message
            .contains("already mapped by incident_state[0]"),
        "{}",
        problems[0].message
    );
}

#[test]
fn export_reports_what_servicenow_cannot_hold() {
    let sn = servicenow();
    let record = json!({"sys_id": SYS_ID, "number": "INC0010001", "impact": "1", "urgency": "3", "priority": "1"});
    let mut converted = sn
        .import(Incident, &record, &LookupTables::default())
        .unwrap();
    let ItsmRecord::Incident(incident) = &mut converted.record else {
        panic!()
    };
    incident.impact = itsm_core::Impact::VeryHigh;
    incident.priority = itsm_core::Priority::P6;
    incident.configuration_items =
        vec![itsm_core::CiId::from_u128(1), itsm_core::CiId::from_u128(2)];
    incident
        .extensions
        .insert("jira.fields.labels".into(), "x".into());
    incident.opened_at += chrono::Duration::milliseconds(250);
    let out = sn
        .export(&converted.record, &LookupTables::default())
        .unwrap();
    assert_eq!(out.record["impact"], "1");
    assert_eq!(out.record["priority"], "5");
    let approximated: Vec<&str> = out
        .report
        .approximations
        .iter()
        .map(|a| a.path.as_str())
        .collect();
    assert_eq!(
        approximated,
        ["configuration_items", "impact", "priority", "opened_at"]
    );
    let unmapped: Vec<&str> = out
        .report
        .unmapped
        .iter()
        .map(|u| u.path.as_str())
        .collect();
    assert_eq!(unmapped, ["extensions.jira.fields.labels"]);
}

/// Imports a `cmdb_ci` record with `theirs` set through `mapping`, checks
/// our attributes, then exports it and checks the field comes back.
fn check_ci_attribute(
    mapping: &ServiceNowMapping,
    theirs: (&str, Value),
    attribute: &str,
    expected: Value,
) {
    let sn = ServiceNow::new(mapping.clone(), InteropOptions::default()).unwrap();
    let mut record =
        json!({"sys_id": SYS_ID, "name": "srv-01", "sys_class_name": "cmdb_ci_linux_server"});
    record[theirs.0] = theirs.1.clone();
    let converted = sn
        .import(CmdbCi, &record, &LookupTables::default())
        .unwrap();
    let ci = converted.record.as_configuration_item().unwrap();
    let actual = ci
        .attributes
        .get(attribute)
        .map_or(Value::Null, |v| serde_json::to_value(v).unwrap());
    assert_eq!(
        actual, expected,
        "{} = {}: attribute {attribute}",
        theirs.0, theirs.1
    );
    let back = sn
        .export(&converted.record, &LookupTables::default())
        .unwrap();
    assert_eq!(
        back.record[theirs.0], theirs.1,
        "{} exported back",
        theirs.0
    );
}

#[test]
fn ci_attributes_are_a_table_an_instance_overrides() {
    let default = ServiceNowMapping::default();
    let instance = ServiceNowMapping::from_json(
        r#"{"ci_attributes": [
            {"field": "u_rack", "attribute": "rack"},
            {"field": "u_slots", "attribute": "slots", "type": "integer"},
            {"field": "u_virtual", "attribute": "virtual", "type": "boolean"},
            {"field": "u_warranty_end", "attribute": "warranty_end", "type": "date"},
            {"field": "u_last_seen", "attribute": "last_seen", "type": "date_time"},
            {"field": "short_description", "attribute": "summary"}
        ]}"#,
    )
    .unwrap();
    for (mapping, theirs, value, attribute, expected) in [
        (
            &default,
            "short_description",
            json!("Payroll DB host"),
            "description",
            json!("Payroll DB host"),
        ),
        (
            &default,
            "serial_number",
            json!("SN-1"),
            "serial_number",
            json!("SN-1"),
        ),
        (
            &default,
            "asset_tag",
            json!("P1000"),
            "asset_tag",
            json!("P1000"),
        ),
        (
            &default,
            "ip_address",
            json!("10.0.0.1"),
            "ip_address",
            json!("10.0.0.1"),
        ),
        (
            &default,
            "fqdn",
            json!("srv-01.acme.example"),
            "fqdn",
            json!("srv-01.acme.example"),
        ),
        (
            &default,
            "os_version",
            json!("9.4"),
            "os_version",
            json!("9.4"),
        ),
        (&default, "cpu_count", json!("16"), "cpu_count", json!(16)),
        (&default, "version", json!("4.2"), "version", json!("4.2")),
        (
            &default,
            "u_rack",
            json!("R12"),
            "servicenow.u_rack",
            json!("R12"),
        ),
        (&instance, "u_rack", json!("R12"), "rack", json!("R12")),
        (&instance, "u_slots", json!("4"), "slots", json!(4)),
        (
            &instance,
            "u_virtual",
            json!("true"),
            "virtual",
            json!(true),
        ),
        (
            &instance,
            "u_warranty_end",
            json!("2028-01-31"),
            "warranty_end",
            json!("2028-01-31T00:00:00Z"),
        ),
        (
            &instance,
            "u_last_seen",
            json!("2026-03-02 09:15:00"),
            "last_seen",
            json!("2026-03-02T09:15:00Z"),
        ),
        (
            &instance,
            "short_description",
            json!("Payroll DB host"),
            "summary",
            json!("Payroll DB host"),
        ),
        // The instance's list replaces the default one.
        (
            &instance,
            "ip_address",
            json!("10.0.0.1"),
            "servicenow.ip_address",
            json!("10.0.0.1"),
        ),
    ] {
        check_ci_attribute(mapping, (theirs, value), attribute, expected);
    }
}

#[test]
fn ci_attribute_rows_are_validated_with_their_paths() {
    let text = r#"{"ci_attributes": [
        {"field": "u_rack", "attribute": "rack"},
        {"field": "", "attribute": "x"},
        {"field": "sys_class_name", "attribute": "class"},
        {"field": "u_rack", "attribute": "rack2"},
        {"field": "u_a", "attribute": ""},
        {"field": "u_b", "attribute": "servicenow.b"},
        {"field": "u_c", "attribute": "rack"}
    ]}"#;
    let InteropError::InvalidMapping { problems, .. } =
        ServiceNowMapping::from_json(text).unwrap_err()
    else {
        panic!()
    };
    let actual: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| (p.path.as_str(), p.rule.as_str()))
        .collect();
    assert_eq!(
        actual,
        [
            ("ci_attributes[1].field", "empty_field"),
            ("ci_attributes[2].field", "reserved_field"),
            ("ci_attributes[3].field", "duplicate_code"),
            ("ci_attributes[4].attribute", "empty_attribute"),
            ("ci_attributes[5].attribute", "namespaced_attribute"),
            ("ci_attributes[6].attribute", "duplicate_attribute"),
        ]
    );
    let err = ServiceNowMapping::from_json(
        r#"{"ci_attributes": [{"field": "u_a", "attribute": "a", "type": "colour"}]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(err, InteropError::Json { ref path, .. } if path == "ci_attributes[0].type"),
        "{err}"
    );
}

/// Imports a linux server with `field` set, keeps what `declared` does not
/// name under the source namespace, and checks where `field` went and that
/// export gives it back.
fn check_kept(field: (&str, Value), declared: &[&str], key: &str, kept: Value, moved_now: bool) {
    let sn = servicenow();
    let mut record =
        json!({"sys_id": SYS_ID, "name": "srv-01", "sys_class_name": "cmdb_ci_linux_server"});
    record[field.0] = field.1.clone();
    let mut converted = sn
        .import(CmdbCi, &record, &LookupTables::default())
        .unwrap();
    let ItsmRecord::ConfigurationItem(ci) = &mut converted.record else {
        panic!()
    };
    let moved = sn.keep_undeclared(ci, &|k| declared.contains(&k));
    let actual = ci
        .attributes
        .get(key)
        .map_or(Value::Null, |v| serde_json::to_value(v).unwrap());
    assert_eq!(actual, kept, "{field:?} declared {declared:?}: {key}");
    let reported: Vec<(&str, Option<&str>)> = moved
        .iter()
        .map(|m| (m.path.as_str(), m.kept_as.as_deref()))
        .collect();
    if moved_now {
        assert_eq!(reported, [(field.0, Some(key))], "{field:?}");
    } else {
        assert!(reported.is_empty(), "{field:?}: {reported:?}");
    }
    let back = sn
        .export(&converted.record, &LookupTables::default())
        .unwrap();
    assert_eq!(back.record[field.0], field.1, "{field:?} exported back");
}

#[test]
fn undeclared_ci_attributes_are_kept_in_the_source_namespace() {
    check_kept(
        ("ip_address", json!("10.0.0.1")),
        &["ip_address"],
        "ip_address",
        json!("10.0.0.1"),
        false,
    );
    check_kept(
        ("ip_address", json!("10.0.0.1")),
        &[],
        "servicenow.ip_address",
        json!("10.0.0.1"),
        true,
    );
    // Written back in ServiceNow's form: the integer as its text.
    check_kept(
        ("cpu_count", json!("16")),
        &[],
        "servicenow.cpu_count",
        json!("16"),
        true,
    );
    check_kept(
        ("cpu_count", json!("16")),
        &["cpu_count"],
        "cpu_count",
        json!(16),
        false,
    );
    // The source's own text is kept when it differs from what export writes.
    check_kept(
        ("cpu_count", json!(" 16 ")),
        &[],
        "servicenow.cpu_count",
        json!(" 16 "),
        true,
    );
    check_kept(
        ("short_description", json!("Payroll host")),
        &[],
        "servicenow.short_description",
        json!("Payroll host"),
        true,
    );
    // A field that was never an attribute stays where the import kept it.
    check_kept(
        ("u_rack", json!("R12")),
        &[],
        "servicenow.u_rack",
        json!("R12"),
        false,
    );
}
