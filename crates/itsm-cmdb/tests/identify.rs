//! Identification: attribute sets in priority order, inherited until a
//! subclass defines its own rule, ambiguity reported, never guessed.

use std::collections::BTreeMap;

use itsm_cmdb::{
    Cmdb, CmdbData, ConfigurationItem, DiscoveryRecord, Identification, IdentificationRule,
};
use itsm_core::{CiId, FieldValue};

fn id(n: u128) -> CiId {
    CiId::from_u128(n)
}

/// Starter rules: configuration_item by name; hardware by serial_number then
/// name; virtual_machine by fqdn, ip_address, name. Plus a rule of its own
/// for windows_server (by asset_tag only).
fn estate() -> Cmdb {
    let mut data = CmdbData::starter();
    data.identification_rules.push(IdentificationRule {
        class: "windows_server".into(),
        identifiers: vec![vec!["asset_tag".into()]],
    });
    data.cis = vec![
        ConfigurationItem::new(id(1), "linux_server", "srv-01")
            .with_attribute("serial_number", "SN-1"),
        ConfigurationItem::new(id(2), "server", "srv-02").with_attribute("serial_number", "SN-2"),
        ConfigurationItem::new(id(3), "network_device", "srv-02")
            .with_attribute("serial_number", "SN-3"),
        ConfigurationItem::new(id(4), "virtual_machine", "vm-a")
            .with_attribute("fqdn", "a.example.com"),
        ConfigurationItem::new(id(5), "virtual_machine", "vm-b")
            .with_attribute("ip_address", "10.0.0.5"),
        ConfigurationItem::new(id(6), "virtual_machine", "vm-c")
            .with_attribute("ip_address", "10.0.0.5"),
        ConfigurationItem::new(id(7), "windows_server", "win-01")
            .with_attribute("asset_tag", "AT-7")
            .with_attribute("serial_number", "SN-7"),
        ConfigurationItem::new(id(8), "application", "payroll"),
    ];
    Cmdb::import(data).unwrap()
}

fn record(class: &str, name: &str, attributes: &[(&str, &str)]) -> DiscoveryRecord {
    DiscoveryRecord {
        source: "scanner".into(),
        class: class.into(),
        name: name.into(),
        attributes: attributes
            .iter()
            .map(|(k, v)| ((*k).to_owned(), FieldValue::from(*v)))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn matched(n: u128, set: &[&str]) -> String {
    format!(
        "{:?}",
        Identification::Matched {
            id: id(n),
            identifiers: set.iter().map(|s| (*s).to_owned()).collect()
        }
    )
}

fn ambiguous(set: &[&str], candidates: &[u128]) -> String {
    format!(
        "{:?}",
        Identification::Ambiguous {
            identifiers: set.iter().map(|s| (*s).to_owned()).collect(),
            candidates: candidates.iter().map(|&n| id(n)).collect(),
        }
    )
}

fn check(case: &str, record: DiscoveryRecord, expected: &str) {
    let actual = match estate().identify(&record) {
        Ok(found) => format!("{found:?}"),
        Err(e) => e.to_string(),
    };
    assert_eq!(
        actual, expected,
        "case {case}: expected {expected}, got {actual}"
    );
}

#[test]
fn identification_table() {
    check(
        "serial number matches a subclass ci (rule inherited from hardware)",
        record("linux_server", "whatever", &[("serial_number", "SN-1")]),
        &matched(1, &["serial_number"]),
    );
    check(
        "a server record finds a linux server: candidates are the rule class's subtree",
        record("server", "x", &[("serial_number", "SN-1")]),
        &matched(1, &["serial_number"]),
    );
    check(
        "unknown serial falls through to the name",
        record("server", "srv-01", &[("serial_number", "SN-404")]),
        &matched(1, &["name"]),
    );
    check(
        "name alone, two hardware cis share it: ambiguous, not guessed",
        record("hardware", "srv-02", &[]),
        &ambiguous(&["name"], &[2, 3]),
    );
    check(
        "higher-priority set decides before an ambiguous lower one",
        record("hardware", "srv-02", &[("serial_number", "SN-3")]),
        &matched(3, &["serial_number"]),
    );
    check(
        "nothing matches: new",
        record("linux_server", "srv-99", &[("serial_number", "SN-99")]),
        &format!("{:?}", Identification::New),
    );
    check(
        "vm by fqdn",
        record("virtual_machine", "renamed", &[("fqdn", "a.example.com")]),
        &matched(4, &["fqdn"]),
    );
    check(
        "vm by ip address when the fqdn is absent, two share it: ambiguous",
        record("virtual_machine", "vm-z", &[("ip_address", "10.0.0.5")]),
        &ambiguous(&["ip_address"], &[5, 6]),
    );
    check(
        "a subclass rule replaces the inherited one: serial numbers are not tried",
        record("windows_server", "win-01", &[("serial_number", "SN-7")]),
        "cannot identify a record of class \"windows_server\": it carries none of the identifying attribute sets of class \"windows_server\": [asset_tag]",
    );
    check(
        "the subclass's own rule",
        record("windows_server", "x", &[("asset_tag", "AT-7")]),
        &matched(7, &["asset_tag"]),
    );
    check(
        "the root rule (name) for an application",
        record("application", "payroll", &[]),
        &matched(8, &["name"]),
    );
    check(
        "an unknown class",
        record("mainframe", "x", &[]),
        "cannot identify a record of class \"mainframe\": unknown class \"mainframe\"",
    );
}

#[test]
fn a_class_without_any_rule_is_unidentifiable() {
    let mut data = CmdbData::starter();
    data.identification_rules.clear();
    let cmdb = Cmdb::import(data).unwrap();
    let err = cmdb
        .identify(&record("application", "payroll", &[]))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot identify a record of class \"application\": no identification rule applies to it nor to its ancestors"
    );
}

#[test]
fn identification_rules_are_validated() {
    let mut data = CmdbData::starter();
    data.identification_rules.push(IdentificationRule {
        class: "server".into(),
        identifiers: vec![vec!["mac".into()], vec![]],
    });
    data.identification_rules.push(IdentificationRule {
        class: "mainframe".into(),
        identifiers: vec![vec!["name".into()]],
    });
    let problems: Vec<(String, String)> = match Cmdb::import(data) {
        Err(itsm_cmdb::CmdbError::Invalid { problems }) => {
            problems.into_iter().map(|v| (v.path, v.rule)).collect()
        }
        other => panic!("expected invalid, got {other:?}"),
    };
    assert_eq!(
        problems,
        vec![
            (
                "identification_rules[3].identifiers[0][0]".to_owned(),
                "unknown_attribute".to_owned()
            ),
            (
                "identification_rules[3].identifiers[1]".to_owned(),
                "empty_identifiers".to_owned()
            ),
            (
                "identification_rules[4].class".to_owned(),
                "unknown_class".to_owned()
            ),
        ]
    );
}

// ---- the batch tables agree with the scan ----

fn small_estate(cis: &[(u8, u8, Option<u8>, Option<u8>)]) -> Cmdb {
    let classes = [
        "linux_server",
        "server",
        "network_device",
        "virtual_machine",
        "application",
    ];
    let mut data = CmdbData::starter();
    for (i, &(class, name, serial, ip)) in cis.iter().enumerate() {
        let class = classes[class as usize % classes.len()];
        let mut ci = ConfigurationItem::new(id(i as u128 + 1), class, format!("n{name}"));
        if let Some(serial) =
            serial.filter(|_| class != "virtual_machine" && class != "application")
        {
            ci = ci.with_attribute("serial_number", format!("SN-{serial}"));
        }
        if let Some(ip) = ip.filter(|_| class == "virtual_machine") {
            ci = ci.with_attribute("ip_address", format!("10.0.0.{ip}"));
        }
        data.cis.push(ci);
    }
    Cmdb::import(data).unwrap()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn identify_all_agrees_with_identify(
        cis in proptest::collection::vec((0u8..5, 0u8..6, proptest::option::of(0u8..6), proptest::option::of(0u8..4)), 0..30),
        records in proptest::collection::vec((0u8..6, 0u8..6, proptest::option::of(0u8..6), proptest::option::of(0u8..4), proptest::bool::ANY), 1..20),
    ) {
        let cmdb = small_estate(&cis);
        let classes = ["linux_server", "server", "network_device", "virtual_machine", "application", "hardware"];
        let records: Vec<DiscoveryRecord> = records
            .into_iter()
            .map(|(class, name, serial, ip, named)| {
                let mut attributes = Vec::new();
                let serial = serial.map(|s| format!("SN-{s}"));
                let ip = ip.map(|i| format!("10.0.0.{i}"));
                if let Some(s) = &serial { attributes.push(("serial_number", s.as_str())); }
                if let Some(i) = &ip { attributes.push(("ip_address", i.as_str())); }
                let name = if named { format!("n{name}") } else { String::new() };
                record(classes[class as usize], &name, &attributes)
            })
            .collect();
        let batch = cmdb.identify_all(&records);
        for (record, batched) in records.iter().zip(batch) {
            proptest::prop_assert_eq!(batched, cmdb.identify(record), "{:?}", record);
        }
    }
}
