//! Reconciliation: source priorities per class and attribute, staleness,
//! attribute-specific rules over all-attributes rules, provenance.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_cmdb::{
    Cmdb, CmdbData, ConfigurationItem, DiscoveryOutcome, DiscoveryRecord, ReconciliationReport,
    ReconciliationRule, RefusalReason, SourcePriority,
};
use itsm_core::{CiId, FieldValue};

fn id(n: u128) -> CiId {
    CiId::from_u128(n)
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn rule(
    class: &str,
    attribute: Option<&str>,
    sources: &[(&str, u32)],
    stale: Option<u64>,
) -> ReconciliationRule {
    ReconciliationRule {
        class: class.into(),
        attribute: attribute.map(Into::into),
        sources: sources
            .iter()
            .map(|(s, p)| SourcePriority {
                source: (*s).into(),
                priority: *p,
            })
            .collect(),
        stale_after_seconds: stale,
    }
}

/// server.ram_gb: sccm 10, discovery 20, stale after an hour.
/// server (all attributes): discovery 10, sccm 20, never stale.
/// linux_server (all attributes): excel 1, sccm 2.
/// CIs: 1 a server, 2 a linux server, 3 an application (no rule).
fn estate() -> Cmdb {
    let mut data = CmdbData::starter();
    data.reconciliation_rules = vec![
        rule(
            "server",
            Some("ram_gb"),
            &[("sccm", 10), ("discovery", 20)],
            Some(3600),
        ),
        rule("server", None, &[("discovery", 10), ("sccm", 20)], None),
        rule("linux_server", None, &[("excel", 1), ("sccm", 2)], None),
    ];
    data.cis = vec![
        ConfigurationItem::new(id(1), "server", "srv-01"),
        ConfigurationItem::new(id(2), "linux_server", "srv-02"),
        ConfigurationItem::new(id(3), "application", "payroll"),
    ];
    Cmdb::import(data).unwrap()
}

/// (ci, source, attribute, value, seconds after t0)
type Write = (u128, &'static str, &'static str, i64, i64);

/// A short description of what happened to the last write's attribute.
fn describe(report: &ReconciliationReport) -> String {
    if let Some(refused) = report.refused.first() {
        return match &refused.reason {
            RefusalReason::SourceNotAllowed { rule_class } => {
                format!("refused: not allowed by {rule_class}")
            }
            RefusalReason::HigherPrioritySource {
                holder,
                holder_priority,
                priority,
                written_at,
                stale_from,
            } => {
                format!(
                    "refused: held by {holder} ({holder_priority} over {priority}) since +{}s, stale from {}",
                    (*written_at - t0()).num_seconds(),
                    stale_from.map_or("never".to_owned(), |s| format!(
                        "+{}s",
                        (s - t0()).num_seconds()
                    ))
                )
            }
            other => format!("refused: {other:?}"),
        };
    }
    if report.overrode_stale.is_empty() {
        "applied".to_owned()
    } else {
        "applied over a stale value".to_owned()
    }
}

fn check(case: &str, writes: &[Write], expected: &str, expected_value: Option<i64>) {
    let mut cmdb = estate();
    let mut last = String::new();
    let (mut ci, mut attribute) = (0, "");
    for &(n, source, key, value, at) in writes {
        let values = BTreeMap::from([(key.to_owned(), FieldValue::Int(value))]);
        let report = cmdb
            .reconcile(&id(n), source, &values, t0() + Duration::seconds(at))
            .unwrap();
        last = describe(&report);
        (ci, attribute) = (n, key);
    }
    assert_eq!(
        last, expected,
        "case {case}: expected {expected:?}, got {last:?}"
    );
    let value = cmdb.ci(&id(ci)).unwrap().attributes.get(attribute).cloned();
    assert_eq!(
        value,
        expected_value.map(FieldValue::Int),
        "case {case}: final value"
    );
}

#[test]
fn reconciliation_priority_and_staleness() {
    check(
        "first write of an allowed source",
        &[(1, "discovery", "ram_gb", 64, 0)],
        "applied",
        Some(64),
    );
    check(
        "lower priority refused while the holder's value is fresh",
        &[
            (1, "sccm", "ram_gb", 64, 0),
            (1, "discovery", "ram_gb", 32, 600),
        ],
        "refused: held by sccm (10 over 20) since +0s, stale from +3600s",
        Some(64),
    );
    check(
        "lower priority accepted once the holder's value is stale",
        &[
            (1, "sccm", "ram_gb", 64, 0),
            (1, "discovery", "ram_gb", 32, 7200),
        ],
        "applied over a stale value",
        Some(32),
    );
    check(
        "exactly at the stale age the value is not yet older than it",
        &[
            (1, "sccm", "ram_gb", 64, 0),
            (1, "discovery", "ram_gb", 32, 3600),
        ],
        "refused: held by sccm (10 over 20) since +0s, stale from +3600s",
        Some(64),
    );
    check(
        "higher priority overwrites a lower one at once",
        &[
            (1, "discovery", "ram_gb", 32, 0),
            (1, "sccm", "ram_gb", 64, 1),
        ],
        "applied",
        Some(64),
    );
    check(
        "the same source rewrites its own value",
        &[
            (1, "discovery", "ram_gb", 32, 0),
            (1, "discovery", "ram_gb", 48, 1),
        ],
        "applied",
        Some(48),
    );
    check(
        "the attribute-specific rule beats the all-attributes rule: for cpu_count discovery wins",
        &[
            (1, "discovery", "cpu_count", 8, 0),
            (1, "sccm", "cpu_count", 16, 10_000_000),
        ],
        "refused: held by discovery (10 over 20) since +0s, stale from never",
        Some(8),
    );
    check(
        "a source the rule does not list",
        &[(1, "excel", "ram_gb", 64, 0)],
        "refused: not allowed by server",
        None,
    );
    check(
        "a subclass inherits the attribute-specific rule of its parent",
        &[
            (2, "sccm", "ram_gb", 64, 0),
            (2, "discovery", "ram_gb", 32, 60),
        ],
        "refused: held by sccm (10 over 20) since +0s, stale from +3600s",
        Some(64),
    );
    check(
        "an inherited attribute-specific rule beats the subclass's all-attributes rule",
        &[(2, "excel", "ram_gb", 64, 0)],
        "refused: not allowed by server",
        None,
    );
    check(
        "the subclass's all-attributes rule beats the parent's",
        &[
            (2, "excel", "cpu_count", 4, 0),
            (2, "discovery", "cpu_count", 8, 1),
        ],
        "refused: not allowed by linux_server",
        Some(4),
    );
}

#[test]
fn a_class_without_a_rule_takes_any_source_and_keeps_provenance() {
    let mut cmdb = estate();
    let values = BTreeMap::from([("version".to_owned(), FieldValue::from("4.2"))]);
    let report = cmdb.reconcile(&id(3), "anyone", &values, t0()).unwrap();
    assert_eq!(report.applied, vec!["version".to_owned()]);
    let provenance = cmdb.provenance(&id(3), "version").unwrap();
    assert_eq!(
        (provenance.source.as_str(), provenance.at),
        ("anyone", t0())
    );
}

#[test]
fn an_invalid_value_writes_nothing() {
    let mut cmdb = estate();
    let values = BTreeMap::from([
        ("ram_gb".to_owned(), FieldValue::from("lots")),
        ("cpu_count".to_owned(), FieldValue::Int(4)),
    ]);
    let err = cmdb
        .reconcile(&id(1), "discovery", &values, t0())
        .unwrap_err();
    assert!(err.to_string().contains("attributes.ram_gb"), "{err}");
    assert!(cmdb.ci(&id(1)).unwrap().attributes.is_empty());
    assert!(cmdb.provenance(&id(1), "cpu_count").is_none());
}

#[test]
fn discovery_creates_updates_or_stops_at_ambiguity() {
    let mut cmdb = estate();
    let record = |name: &str, serial: &str| DiscoveryRecord {
        source: "discovery".into(),
        class: "server".into(),
        name: name.into(),
        attributes: BTreeMap::from([
            ("serial_number".to_owned(), FieldValue::from(serial)),
            ("cpu_count".to_owned(), FieldValue::Int(8)),
        ]),
    };
    // New: created with the id supplied, provenance recorded.
    let outcome = cmdb
        .discover(&record("srv-09", "SN-9"), id(9), t0())
        .unwrap();
    assert!(
        matches!(outcome, DiscoveryOutcome::Created { id: n, .. } if n == id(9)),
        "{outcome:?}"
    );
    assert_eq!(
        cmdb.provenance(&id(9), "cpu_count")
            .map(|p| p.source.as_str()),
        Some("discovery")
    );
    // Seen again by serial number: updated, no new CI.
    let outcome = cmdb
        .discover(&record("renamed", "SN-9"), id(10), t0())
        .unwrap();
    assert!(
        matches!(outcome, DiscoveryOutcome::Updated { id: n, .. } if n == id(9)),
        "{outcome:?}"
    );
    assert!(cmdb.ci(&id(10)).is_none());
    // Two servers named alike, no serial match: ambiguous, nothing written.
    cmdb.add_ci(ConfigurationItem::new(id(11), "server", "twin"))
        .unwrap();
    cmdb.add_ci(ConfigurationItem::new(id(12), "server", "twin"))
        .unwrap();
    let outcome = cmdb
        .discover(&record("twin", "SN-404"), id(13), t0())
        .unwrap();
    assert_eq!(
        outcome,
        DiscoveryOutcome::Ambiguous {
            identifiers: vec!["name".into()],
            candidates: vec![id(11), id(12)]
        }
    );
    assert!(cmdb.ci(&id(13)).is_none());
    assert!(cmdb.ci(&id(11)).unwrap().attributes.is_empty());
}

#[test]
fn reconciliation_rules_are_validated() {
    let mut data = CmdbData::starter();
    data.reconciliation_rules = vec![
        rule("server", Some("colour"), &[("a", 1)], None),
        rule("server", None, &[], None),
        rule("server", Some("ram_gb"), &[("a", 1), ("a", 2)], None),
        rule("mainframe", None, &[("a", 1)], None),
    ];
    let problems: Vec<(String, String)> = match Cmdb::import(data) {
        Err(itsm_cmdb::CmdbError::Invalid { problems }) => {
            problems.into_iter().map(|v| (v.path, v.rule)).collect()
        }
        other => panic!("expected invalid, got {other:?}"),
    };
    let expected = [
        ("reconciliation_rules[0].attribute", "unknown_attribute"),
        ("reconciliation_rules[1].sources", "empty_sources"),
        (
            "reconciliation_rules[2].sources[1].source",
            "duplicate_source",
        ),
        ("reconciliation_rules[3].class", "unknown_class"),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| ((*p).into(), (*r).into()))
        .collect();
    assert_eq!(problems, expected);
}

#[test]
fn provenance_survives_a_restart_so_priorities_still_hold() {
    let mut cmdb = estate();
    let ram = BTreeMap::from([("ram_gb".to_owned(), FieldValue::Int(64))]);
    cmdb.reconcile(&id(1), "sccm", &ram, t0()).unwrap();
    let saved = (cmdb.export(), cmdb.provenance_records());
    let json = serde_json::to_string(&saved.1).unwrap();

    let mut restarted = Cmdb::import(saved.0).unwrap();
    restarted
        .restore_provenance(serde_json::from_str(&json).unwrap())
        .unwrap();
    assert_eq!(restarted.provenance_records(), cmdb.provenance_records());
    let lower = BTreeMap::from([("ram_gb".to_owned(), FieldValue::Int(32))]);
    let report = restarted
        .reconcile(&id(1), "discovery", &lower, t0() + Duration::seconds(60))
        .unwrap();
    assert_eq!(
        describe(&report),
        "refused: held by sccm (10 over 20) since +0s, stale from +3600s"
    );

    let err = restarted
        .restore_provenance(vec![itsm_cmdb::ProvenanceRecord {
            ci: id(1),
            attribute: "cpu_count".into(),
            source: "sccm".into(),
            at: t0(),
        }])
        .unwrap_err();
    assert!(
        err.to_string().contains("does not set \"cpu_count\""),
        "{err}"
    );
}
