//! TM Forum: TMF621 v4 and v5 trouble tickets and TMF639 resources.

mod common;

use common::{differences, fixture, normalise};
use itsm_interop::{
    Format, InteropError, InteropOptions, ItsmRecord, LookupTables, Tmf621, Tmf621Version, Tmf639,
    TmfMapping,
};
use serde_json::{Value, json};

fn tmf621() -> Tmf621 {
    Tmf621::new(TmfMapping::default(), InteropOptions::default()).unwrap()
}

const PERSON: &str = "8a7b6c5d-4e3f-4a1b-9c8d-7e6f5a4b3c2d";

fn ticket(version: Tmf621Version) -> Value {
    match version {
        Tmf621Version::V4 => json!({"id": "42"}),
        Tmf621Version::V5 => json!({"id": "42", "@type": "TroubleTicket"}),
    }
}

/// Imports a ticket with `theirs` set and checks our JSON at `ours` and
/// whether the report names the field.
fn check(
    version: Tmf621Version,
    theirs: &str,
    value: Value,
    ours: &str,
    expected: Value,
    reported: bool,
) {
    let mut record = ticket(version);
    record[theirs] = value.clone();
    let converted = tmf621()
        .import(version, &record, &LookupTables::default())
        .unwrap_or_else(|e| panic!("{theirs}: {e}"));
    let json = serde_json::to_value(&converted.record).unwrap();
    let actual = json["record"].pointer(ours).cloned().unwrap_or(Value::Null);
    assert_eq!(
        actual, expected,
        "{version:?} {theirs} = {value}: our {ours}"
    );
    let path = match value[0]["role"].as_str() {
        Some(role) => format!("{theirs}[?(@.role=='{role}')]"),
        None => theirs.to_owned(),
    };
    let named = converted.report.paths().any(|p| p == path);
    assert_eq!(
        named, reported,
        "{version:?} {theirs} = {value}: {:#?}",
        converted.report
    );
}

#[test]
fn trouble_ticket_fields_in_both_versions() {
    use Tmf621Version::{V4, V5};
    for version in [V4, V5] {
        for (theirs, value, ours, expected, reported) in [
            (
                "name",
                json!("Line down"),
                "/short_description",
                json!("Line down"),
                false,
            ),
            (
                "description",
                json!("No sync"),
                "/description",
                json!("No sync"),
                false,
            ),
            (
                "severity",
                json!("Critical"),
                "/impact",
                json!("very_high"),
                false,
            ),
            ("severity", json!("Major"), "/impact", json!("high"), false),
            ("severity", json!("Minor"), "/impact", json!("low"), false),
            (
                "severity",
                json!("Cosmetic"),
                "/impact",
                json!("very_low"),
                true,
            ),
            ("priority", json!("1"), "/priority", json!("p1"), false),
            ("priority", json!("6"), "/priority", json!("p6"), false),
            (
                "status",
                json!("acknowledged"),
                "/state",
                json!("new"),
                false,
            ),
            (
                "status",
                json!("inProgress"),
                "/state",
                json!("in_progress"),
                false,
            ),
            (
                "status",
                json!("pending"),
                "/state",
                json!("on_hold"),
                false,
            ),
            ("status", json!("held"), "/state", json!("on_hold"), true),
            (
                "status",
                json!("resolved"),
                "/state",
                json!("resolved"),
                false,
            ),
            ("status", json!("closed"), "/state", json!("closed"), false),
            (
                "status",
                json!("cancelled"),
                "/state",
                json!("canceled"),
                false,
            ),
            (
                "status",
                json!("rejected"),
                "/state",
                json!("canceled"),
                true,
            ),
            (
                "statusChangeReason",
                json!("awaitingVendor"),
                "/on_hold_reason",
                json!("awaiting_vendor"),
                false,
            ),
            (
                "statusChangeReason",
                json!("Customer asked"),
                "/on_hold_reason",
                Value::Null,
                true,
            ),
            (
                "creationDate",
                json!("2026-03-02T09:15:00+01:00"),
                "/opened_at",
                json!("2026-03-02T08:15:00Z"),
                false,
            ),
            (
                "resolutionDate",
                json!("2026-03-02T10:00:00Z"),
                "/resolved_at",
                json!("2026-03-02T10:00:00Z"),
                false,
            ),
            (
                "ticketType",
                json!("incident"),
                "/extensions/tmf621.ticketType",
                Value::Null,
                false,
            ),
            (
                "ticketType",
                json!("complaint"),
                "/extensions/tmf621.ticketType",
                json!("complaint"),
                true,
            ),
            (
                "lastUpdate",
                json!("2026-03-02T10:00:00Z"),
                "/extensions/tmf621.lastUpdate",
                json!("2026-03-02T10:00:00Z"),
                true,
            ),
        ] {
            check(version, theirs, value, ours, expected, reported);
        }
    }
    // Version-specific shapes.
    check(
        V4,
        "externalId",
        json!("INC0000042"),
        "/number",
        json!("INC0000042"),
        false,
    );
    check(
        V4,
        "externalId",
        json!("CRM-4711"),
        "/number",
        json!("INC0004711"),
        true,
    );
    check(
        V4,
        "relatedParty",
        json!([{"id": PERSON, "role": "reporter", "@referredType": "Individual"}]),
        "/caller",
        json!(PERSON),
        false,
    );
    check(
        V4,
        "relatedEntity",
        json!([{"id": PERSON, "role": "affectedResource", "@referredType": "Resource"}]),
        "/configuration_items",
        json!([PERSON]),
        false,
    );
    check(
        V4,
        "statusChange",
        json!([{"status": "pending", "changeDate": "2026-03-02T10:00:00Z"}]),
        "/extensions/tmf621.status_change",
        json!([{"status": "pending", "statusChangeDate": "2026-03-02T10:00:00Z"}]),
        false,
    );
    check(
        V5,
        "externalIdentifier",
        json!([{"id": "INC0000042", "owner": "itsm", "externalIdentifierType": "number", "@type": "ExternalIdentifier"}]),
        "/number",
        json!("INC0000042"),
        false,
    );
    check(
        V5,
        "relatedParty",
        json!([{"role": "assignee", "partyOrPartyRole": {"id": PERSON, "@referredType": "Individual", "@type": "PartyRef"}, "@type": "RelatedPartyRefOrPartyRoleRef"}]),
        "/assigned_to",
        json!(PERSON),
        false,
    );
    check(
        V5,
        "relatedParty",
        json!([{"role": "assignee", "partyOrPartyRole": {"id": "NOC-7"}}]),
        "/assigned_to",
        Value::Null,
        true,
    );
    check(
        V5,
        "statusChangeHistory",
        json!([{"status": "pending", "statusChangeDate": "2026-03-02T10:00:00Z", "@type": "StatusChange"}]),
        "/extensions/tmf621.status_change",
        json!([{"status": "pending", "statusChangeDate": "2026-03-02T10:00:00Z"}]),
        false,
    );
}

#[test]
fn v5_requires_its_type() {
    let err = tmf621()
        .import(
            Tmf621Version::V5,
            &json!({"id": "1"}),
            &LookupTables::default(),
        )
        .unwrap_err();
    assert!(
        matches!(err, InteropError::Missing { ref path, .. } if path == "@type"),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "tmf621_v5 record: @type is required but missing"
    );
}

#[test]
fn the_fixtures_round_trip_and_convert_between_versions() {
    let tmf = tmf621();
    let lookup = LookupTables::default();
    for (file, version) in [
        ("tmf621/trouble_ticket_v4.json", Tmf621Version::V4),
        ("tmf621/trouble_ticket_v5.json", Tmf621Version::V5),
    ] {
        let source = fixture(file);
        let converted = tmf.import(version, &source, &lookup).unwrap();
        let format = if version == Tmf621Version::V4 {
            Format::Tmf621V4
        } else {
            Format::Tmf621V5
        };
        assert_eq!(converted.record.external_id(format), source["id"].as_str());
        let back = tmf
            .export_with_timeline(version, &converted.record, &converted.timeline, &lookup)
            .unwrap();
        let diff = differences(&normalise(&source), &normalise(&back.record));
        assert!(diff.is_empty(), "{file}: {diff:#?}");
    }
    // v4 → ours → v5: statusChange becomes statusChangeHistory, externalId
    // becomes externalIdentifier[], parties and entities nest.
    let v4 = fixture("tmf621/trouble_ticket_v4.json");
    let imported = tmf.import(Tmf621Version::V4, &v4, &lookup).unwrap();
    let ours = imported.record;
    let v5 = tmf
        .export_with_timeline(Tmf621Version::V5, &ours, &imported.timeline, &lookup)
        .unwrap()
        .record;
    assert_eq!(v5["@type"], "TroubleTicket");
    assert_eq!(v5["externalIdentifier"][0]["id"], "INC0003180");
    assert_eq!(
        v5["statusChangeHistory"][2]["statusChangeDate"],
        "2026-03-02T09:40:00Z"
    );
    assert_eq!(v5["statusChangeHistory"][2]["@type"], "StatusChange");
    assert!(v5.get("statusChange").is_none() && v5.get("externalId").is_none());
    assert_eq!(v5["relatedParty"][0]["partyOrPartyRole"]["id"], PERSON);
    assert_eq!(v5["note"][0]["@type"], "Note");
    // And v5 → ours → v4.
    let v5 = fixture("tmf621/trouble_ticket_v5.json");
    let ours = tmf.import(Tmf621Version::V5, &v5, &lookup).unwrap().record;
    let v4 = tmf
        .export(Tmf621Version::V4, &ours, &lookup)
        .unwrap()
        .record;
    assert_eq!(v4["externalId"], "INC0003181");
    assert_eq!(v4["statusChange"][1]["changeReason"], "Assigned to NOC");
    assert_eq!(
        v4["relatedEntity"][0]["id"],
        "1e2d3c4b-5a69-4788-9a0b-1c2d3e4f5a6b"
    );
    assert_eq!(v4["relatedEntity"][0]["role"], "affectedResource");
}

#[test]
fn a_resource_round_trips_with_its_characteristics_and_relationships() {
    let tmf = Tmf639::new(TmfMapping::default(), InteropOptions::default()).unwrap();
    let lookup = LookupTables::default();
    let source = fixture("tmf639/resource.json");
    let converted = tmf.import(&source, &lookup).unwrap();
    let ci = &converted.record.configuration_item;
    assert_eq!(ci.class, "application");
    assert_eq!(ci.name, "enb-lds-0412");
    assert_eq!(ci.lifecycle, itsm_cmdb::LifecycleStatus::InUse);
    assert_eq!(
        ci.operational_state,
        itsm_cmdb::OperationalState::Operational
    );
    assert_eq!(ci.attributes["vendor"], "Ericsson".into());
    assert_eq!(
        serde_json::to_value(&ci.attributes["bands"]).unwrap(),
        json!(["B3", "B7", "B20"])
    );
    let types: Vec<&str> = converted
        .record
        .relationships
        .iter()
        .map(|r| r.relationship_type.as_str())
        .collect();
    assert_eq!(types, ["runs_on", "depends_on"]);
    assert!(
        converted
            .record
            .relationships
            .iter()
            .all(|r| r.source == ci.id)
    );
    for path in [
        "administrativeState",
        "usageState",
        "place",
        "category",
        "description",
    ] {
        assert!(
            converted.report.unmapped.iter().any(|u| u.path == path),
            "{path}"
        );
    }
    let back = tmf.export(&converted.record, &lookup).unwrap();
    let diff = differences(&normalise(&source), &normalise(&back.record));
    assert!(diff.is_empty(), "{diff:#?}");

    // A changed operational state is written fresh; degraded is approximate.
    let mut changed = converted.record.clone();
    changed.configuration_item.operational_state = itsm_cmdb::OperationalState::Degraded;
    changed
        .configuration_item
        .attributes
        .insert("vendor".into(), "Nokia".into());
    let out = tmf.export(&changed, &lookup).unwrap();
    assert_eq!(out.record["operationalState"], "enable");
    assert!(
        out.report
            .approximations
            .iter()
            .any(|a| a.path == "operational_state")
    );
    assert!(
        out.record["resourceCharacteristic"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "vendor", "value": "Nokia"}))
    );
}

#[test]
fn only_incidents_become_trouble_tickets() {
    let tmf = tmf621();
    let ci = itsm_cmdb::ConfigurationItem::new(itsm_core::CiId::from_u128(1), "server", "s1");
    let err = tmf
        .export(
            Tmf621Version::V5,
            &ItsmRecord::ConfigurationItem(ci),
            &LookupTables::default(),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tmf621_v5 record: kind = \"configuration_item\" is not a known record type (expected one of incident)"
    );
}

#[test]
fn undeclared_characteristics_are_kept_in_the_source_namespace_and_exported_back() {
    let tmf = Tmf639::new(TmfMapping::default(), InteropOptions::default()).unwrap();
    let resource = fixture("tmf639/resource.json");
    let lookup = LookupTables::default();
    for declared in [
        &[][..],
        &["vendor"][..],
        &["vendor", "version", "bands"][..],
    ] {
        let mut converted = tmf.import(&resource, &lookup).unwrap();
        let ci = &mut converted.record.configuration_item;
        let moved = tmf.keep_undeclared(ci, &|k| declared.contains(&k));
        for name in ["vendor", "version", "bands"] {
            let key = format!("tmf639.resourceCharacteristic.{name}");
            assert_eq!(
                ci.attributes.contains_key(&key),
                !declared.contains(&name),
                "{name} with {declared:?}"
            );
            assert_eq!(ci.attributes.contains_key(name), declared.contains(&name));
            assert_eq!(
                moved
                    .iter()
                    .any(|m| m.kept_as.as_deref() == Some(key.as_str())
                        && m.path == format!("resourceCharacteristic[?(@.name=='{name}')]")),
                !declared.contains(&name)
            );
        }
        let back = tmf.export(&converted.record, &lookup).unwrap();
        assert_eq!(
            back.record["resourceCharacteristic"], resource["resourceCharacteristic"],
            "{declared:?}"
        );
        assert!(back.record.get("tmf639.resourceCharacteristic").is_none());
    }
}
