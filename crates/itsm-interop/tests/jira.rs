//! Jira Service Management: statuses, resolutions and fields in tables, the
//! search-result fixture, round trips.

mod common;

use common::{differences, fixture, normalise};
use itsm_interop::{
    Format, InteropError, InteropOptions, ItsmRecord, Jira, JiraMapping, LookupTables,
};
use serde_json::{Value, json};

fn jira() -> Jira {
    Jira::new(JiraMapping::default(), InteropOptions::default()).unwrap()
}

fn issue(issuetype: &str) -> Value {
    json!({"id": "10042", "key": "ITSM-42", "fields": {"issuetype": {"name": issuetype}}})
}

/// Imports an issue of `issuetype` with `fields.<theirs>` set and checks our
/// JSON at `ours` and whether the report names the field.
fn check(issuetype: &str, theirs: &str, value: Value, ours: &str, expected: Value, reported: bool) {
    let mut record = issue(issuetype);
    record["fields"][theirs] = value.clone();
    let converted = jira()
        .import(&record, &LookupTables::default())
        .unwrap_or_else(|e| panic!("{issuetype} {theirs}: {e}"));
    let json = serde_json::to_value(&converted.record).unwrap();
    let actual = json["record"].pointer(ours).cloned().unwrap_or(Value::Null);
    assert_eq!(
        actual, expected,
        "{issuetype} fields.{theirs} = {value}: our {ours}"
    );
    let path = format!("fields.{theirs}");
    let named = converted.report.paths().any(|p| p.starts_with(&path));
    assert_eq!(
        named, reported,
        "{issuetype} {path} = {value}: {:#?}",
        converted.report
    );
}

#[test]
fn statuses_resolutions_and_fields() {
    let account = "5b10ac8d-82e0-5b22-cc7d-4ef500000000";
    for (t, theirs, value, ours, expected, reported) in [
        (
            "Incident",
            "status",
            json!({"name": "Open"}),
            "/state",
            json!("new"),
            false,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Work in progress"}),
            "/state",
            json!("in_progress"),
            false,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Pending"}),
            "/state",
            json!("on_hold"),
            false,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Resolved"}),
            "/state",
            json!("resolved"),
            false,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Closed"}),
            "/state",
            json!("closed"),
            false,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Canceled"}),
            "/state",
            json!("canceled"),
            false,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Escalated"}),
            "/state",
            json!("in_progress"),
            true,
        ),
        (
            "Incident",
            "status",
            json!({"name": "Triage"}),
            "/state",
            json!("new"),
            true,
        ),
        (
            "Incident",
            "resolution",
            json!({"name": "Done"}),
            "/resolution_code",
            json!("solution_provided"),
            false,
        ),
        (
            "Incident",
            "resolution",
            json!({"name": "Won't Do"}),
            "/resolution_code",
            json!("no_resolution_provided"),
            false,
        ),
        (
            "Incident",
            "resolution",
            json!({"name": "Duplicate"}),
            "/resolution_code",
            json!("duplicate"),
            false,
        ),
        (
            "Incident",
            "resolution",
            json!({"name": "Cannot Reproduce"}),
            "/resolution_code",
            json!("no_resolution_provided"),
            true,
        ),
        (
            "Incident",
            "priority",
            json!({"name": "Highest"}),
            "/priority",
            json!("p1"),
            false,
        ),
        (
            "Incident",
            "priority",
            json!({"name": "High"}),
            "/priority",
            json!("p2"),
            false,
        ),
        (
            "Incident",
            "priority",
            json!({"name": "Medium"}),
            "/priority",
            json!("p3"),
            false,
        ),
        (
            "Incident",
            "priority",
            json!({"name": "Low"}),
            "/priority",
            json!("p4"),
            false,
        ),
        (
            "Incident",
            "priority",
            json!({"name": "Lowest"}),
            "/priority",
            json!("p5"),
            false,
        ),
        (
            "Incident",
            "summary",
            json!("VPN down"),
            "/short_description",
            json!("VPN down"),
            false,
        ),
        (
            "Incident",
            "description",
            json!("Since 9am"),
            "/description",
            json!("Since 9am"),
            false,
        ),
        (
            "Incident",
            "description",
            json!({"type": "doc", "version": 1, "content": []}),
            "/description",
            Value::Null,
            true,
        ),
        (
            "Incident",
            "created",
            json!("2026-03-02T10:15:00.000+0100"),
            "/opened_at",
            json!("2026-03-02T09:15:00Z"),
            false,
        ),
        (
            "Incident",
            "resolutiondate",
            json!("2026-03-02T11:00:00.000+0000"),
            "/resolved_at",
            json!("2026-03-02T11:00:00Z"),
            false,
        ),
        (
            "Incident",
            "assignee",
            json!({"accountId": account, "displayName": "Beth"}),
            "/assigned_to",
            json!(account),
            false,
        ),
        (
            "Incident",
            "assignee",
            json!({"accountId": "5b10ac8d82e05b22cc7d4ef5"}),
            "/assigned_to",
            Value::Null,
            true,
        ),
        (
            "Incident",
            "reporter",
            json!({"accountId": account}),
            "/caller",
            json!(account),
            false,
        ),
        (
            "Incident",
            "customfield_10010",
            json!({"requestType": {"id": "12"}}),
            "/extensions/jira.fields.customfield_10010",
            json!({"requestType": {"id": "12"}}),
            true,
        ),
        (
            "Problem",
            "status",
            json!({"name": "Under review"}),
            "/state",
            json!("assess"),
            false,
        ),
        (
            "Problem",
            "status",
            json!({"name": "Under investigation"}),
            "/state",
            json!("root_cause_analysis"),
            false,
        ),
        (
            "Problem",
            "status",
            json!({"name": "Completed"}),
            "/state",
            json!("resolved"),
            false,
        ),
        (
            "Problem",
            "resolution",
            json!({"name": "Won't Do"}),
            "/resolution_code",
            json!("risk_accepted"),
            false,
        ),
        (
            "Problem",
            "reporter",
            json!({"accountId": account}),
            "/opened_by",
            json!(account),
            false,
        ),
        (
            "Change",
            "status",
            json!({"name": "Planning"}),
            "/state",
            json!("assess"),
            false,
        ),
        (
            "Change",
            "status",
            json!({"name": "Awaiting CAB approval"}),
            "/state",
            json!("authorize"),
            false,
        ),
        (
            "Change",
            "status",
            json!({"name": "Awaiting implementation"}),
            "/state",
            json!("scheduled"),
            false,
        ),
        (
            "Change",
            "status",
            json!({"name": "Implementing"}),
            "/state",
            json!("implement"),
            false,
        ),
        (
            "Change",
            "status",
            json!({"name": "Peer review"}),
            "/state",
            json!("review"),
            false,
        ),
        (
            "Change",
            "status",
            json!({"name": "Failed"}),
            "/state",
            json!("closed"),
            true,
        ),
        (
            "Change",
            "resolution",
            json!({"name": "Done"}),
            "/close_code",
            json!("successful"),
            false,
        ),
        (
            "Change",
            "resolutiondate",
            json!("2026-03-08T01:00:00.000+0000"),
            "/closed_at",
            json!("2026-03-08T01:00:00Z"),
            false,
        ),
        (
            "Change",
            "reporter",
            json!({"accountId": account}),
            "/requested_by",
            json!(account),
            false,
        ),
        (
            "Service request",
            "status",
            json!({"name": "Waiting for support"}),
            "/state",
            json!("submitted"),
            false,
        ),
        (
            "Service request",
            "status",
            json!({"name": "Waiting for approval"}),
            "/state",
            json!("awaiting_approval"),
            false,
        ),
        (
            "Service request",
            "status",
            json!({"name": "In progress"}),
            "/state",
            json!("fulfilment"),
            false,
        ),
        (
            "Service request",
            "status",
            json!({"name": "Resolved"}),
            "/state",
            json!("closed_complete"),
            false,
        ),
        (
            "Service request",
            "status",
            json!({"name": "Declined"}),
            "/state",
            json!("rejected"),
            false,
        ),
        (
            "Service request",
            "reporter",
            json!({"accountId": account}),
            "/requested_for",
            json!(account),
            false,
        ),
    ] {
        check(t, theirs, value, ours, expected, reported);
    }
}

#[test]
fn the_key_gives_the_number_and_is_kept_as_the_external_id() {
    let converted = jira()
        .import(&issue("Problem"), &LookupTables::default())
        .unwrap();
    let ItsmRecord::Problem(problem) = &converted.record else {
        panic!()
    };
    assert_eq!(problem.number.to_string(), "PRB0000042");
    assert_eq!(converted.record.external_id(Format::Jira), Some("ITSM-42"));
    let approximation = converted
        .report
        .approximations
        .iter()
        .find(|a| a.path == "key")
        .unwrap();
    assert_eq!(approximation.became, "PRB0000042".into());
    // The same key gives the same id: a second import is recognisable.
    let again = jira()
        .import(&issue("Problem"), &LookupTables::default())
        .unwrap();
    assert_eq!(again.record, converted.record);
}

#[test]
fn an_unknown_issue_type_is_refused_with_its_path_and_the_known_ones() {
    let err = jira()
        .import(&issue("Epic"), &LookupTables::default())
        .unwrap_err();
    assert!(
        matches!(err, InteropError::UnknownType { ref path, .. } if path == "fields.issuetype.name")
    );
    assert!(err.to_string().starts_with("jira record: fields.issuetype.name = \"Epic\" is not a known record type (expected one of Incident, Problem, Change, Service request"), "{err}");
    let err = jira()
        .import(
            &json!({"fields": {"issuetype": {"name": "Incident"}}}),
            &LookupTables::default(),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "jira record: key is required but missing");
}

#[test]
fn the_search_result_imports_whole_and_round_trips() {
    let jira = jira();
    let lookup = LookupTables::default();
    let search = fixture("jira/search.json");
    let issues = search["issues"].as_array().unwrap();
    let mut kinds = std::collections::BTreeMap::new();
    for (i, issue) in issues.iter().enumerate() {
        let converted = jira
            .import(issue, &lookup)
            .unwrap_or_else(|e| panic!("issues[{i}]: {e}"));
        *kinds.entry(converted.record.kind()).or_insert(0) += 1;
        assert_eq!(
            converted.record.external_id(Format::Jira),
            issue["key"].as_str()
        );
        for name in ["project", "labels", "updated", "customfield_10010"] {
            let path = format!("fields.{name}");
            if !issue["fields"][name].is_null() && issue["fields"][name] != json!([]) {
                assert!(
                    converted.report.unmapped.iter().any(|u| u.path == path),
                    "issues[{i}] {path}"
                );
            }
        }
        let back = jira.export(&converted.record, &lookup).unwrap();
        let diff = differences(&normalise(issue), &normalise(&back.record));
        assert!(
            diff.is_empty(),
            "issues[{i}] changed on the round trip: {diff:#?}"
        );
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            ("change", 2),
            ("incident", 4),
            ("problem", 2),
            ("service_request", 2)
        ]
    );
}

#[test]
fn export_writes_a_key_for_a_record_that_never_came_from_jira() {
    let jira = Jira::new(
        JiraMapping::default(),
        InteropOptions {
            jira_project_key: Some("OPS".into()),
            ..InteropOptions::default()
        },
    )
    .unwrap();
    let incident = itsm_core::Incident::new(
        itsm_core::IncidentId::from_u128(9),
        "INC0000123".parse().unwrap(),
        itsm_core::PersonId::from_u128(1),
        "Disk full",
        chrono::DateTime::parse_from_rfc3339("2026-03-02T09:15:00Z")
            .unwrap()
            .into(),
    );
    let record = ItsmRecord::Incident(incident);
    let out = jira.export(&record, &LookupTables::default()).unwrap();
    assert_eq!(out.record["key"], "OPS-123");
    assert_eq!(out.record["fields"]["issuetype"]["name"], "Incident");
    assert_eq!(
        out.record["fields"]["created"],
        "2026-03-02T09:15:00.000+0000"
    );
    assert_eq!(out.record["fields"]["priority"]["name"], "Lowest");
    // A Jira key cannot carry our id: reported, unless the lookup maps the
    // key to it. Impact and urgency have no place among Jira's system
    // fields; at their defaults nothing is lost.
    let paths: Vec<&str> = out.report.paths().collect();
    assert_eq!(paths, ["id"]);
    let mut lookup = LookupTables::default();
    lookup.records.insert(
        "OPS-123".into(),
        *itsm_core::IncidentId::from_u128(9).as_uuid(),
    );
    let out = jira.export(&record, &lookup).unwrap();
    assert!(out.report.is_empty(), "{:#?}", out.report);
    let back = jira.import(&out.record, &lookup).unwrap();
    assert_eq!(
        back.record.as_incident().unwrap().id,
        itsm_core::IncidentId::from_u128(9)
    );
}

#[test]
fn a_jira_mapping_refuses_unknown_fields_with_the_path() {
    let err =
        JiraMapping::from_json(r#"{"priority": [{"code": "P1", "value": "p1"}], "statuses": []}"#)
            .unwrap_err();
    assert!(
        matches!(err, InteropError::Json { ref path, .. } if path == "statuses"),
        "{err}"
    );
    let mapping =
        JiraMapping::from_json(r#"{"priority": [{"code": "P1", "value": "p1"}]}"#).unwrap();
    assert_eq!(mapping.priority.len(), 1);
    assert_eq!(
        mapping.incident_status,
        JiraMapping::default().incident_status
    );
}

#[test]
fn a_sites_custom_fields_carry_impact_urgency_change_type_and_risk() {
    let mut mapping = JiraMapping::default();
    mapping.custom_fields.impact = Some("customfield_10004".into());
    mapping.custom_fields.urgency = Some("customfield_10045".into());
    mapping.custom_fields.change_type = Some("customfield_10005".into());
    mapping.custom_fields.change_risk = Some("customfield_10006".into());
    let jira = Jira::new(mapping, InteropOptions::default()).unwrap();
    let select = |value: &str| json!({"self": "https://acme.atlassian.net/rest/api/2/customFieldOption/1", "value": value, "id": "1"});
    for (issuetype, theirs, value, ours, expected, reported) in [
        (
            "Incident",
            "customfield_10004",
            "Significant / Large",
            "/impact",
            json!("high"),
            false,
        ),
        (
            "Incident",
            "customfield_10004",
            "Extensive / Widespread",
            "/impact",
            json!("very_high"),
            false,
        ),
        (
            "Incident",
            "customfield_10004",
            "Galactic",
            "/impact",
            json!("low"),
            true,
        ),
        (
            "Incident",
            "customfield_10045",
            "Critical",
            "/urgency",
            json!("very_high"),
            false,
        ),
        (
            "Problem",
            "customfield_10045",
            "Medium",
            "/urgency",
            json!("medium"),
            false,
        ),
        (
            "Change",
            "customfield_10005",
            "Emergency",
            "/change_type",
            json!("emergency"),
            false,
        ),
        (
            "Change",
            "customfield_10006",
            "Medium",
            "/risk",
            json!("moderate"),
            false,
        ),
        (
            "Change",
            "customfield_10004",
            "Minor / Localized",
            "/impact",
            json!("low"),
            false,
        ),
    ] {
        let mut record = issue(issuetype);
        record["fields"][theirs] = select(value);
        let converted = jira.import(&record, &LookupTables::default()).unwrap();
        let json = serde_json::to_value(&converted.record).unwrap();
        assert_eq!(
            json["record"].pointer(ours).cloned().unwrap(),
            expected,
            "{issuetype} {theirs} {value}"
        );
        let path = format!("fields.{theirs}.value");
        assert_eq!(
            converted.report.paths().any(|p| p == path),
            reported,
            "{issuetype} {theirs} {value}: {:#?}",
            converted.report
        );
        // And back: the option as the site wrote it, with its id and link.
        let back = jira
            .export(&converted.record, &LookupTables::default())
            .unwrap()
            .record;
        assert_eq!(
            back["fields"][theirs],
            select(value),
            "{issuetype} {theirs} {value}"
        );
    }
    // Without the ids, the same fields are kept as unmapped custom fields.
    let mut record = issue("Incident");
    record["fields"]["customfield_10004"] = select("Significant / Large");
    let converted = jira_default()
        .import(&record, &LookupTables::default())
        .unwrap();
    assert_eq!(
        converted.record.as_incident().unwrap().impact,
        itsm_core::Impact::Low
    );
    assert!(
        converted
            .report
            .unmapped
            .iter()
            .any(|u| u.path == "fields.customfield_10004")
    );

    let err = JiraMapping::from_json(r#"{"custom_fields": {"impact": "fields.customfield_1"}}"#)
        .unwrap_err();
    assert!(err.to_string().contains("custom_fields.impact"), "{err}");
}

fn jira_default() -> Jira {
    Jira::new(JiraMapping::default(), InteropOptions::default()).unwrap()
}
