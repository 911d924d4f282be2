//! The wire form: snake_case names agreeing between serde and strum, and
//! lossless JSON round trips of whole CMDBs (and of import then export).

use std::str::FromStr;

use itsm_cmdb::{
    AttributeDefinition, AttributeType, CiClass, Cmdb, CmdbData, ConfigurationItem,
    IdentificationRule, ImpactDirection, LifecycleStatus, OperationalState, ReconciliationRule,
    Redundancy, RedundancyRequirement, Relationship, RelationshipRule, RelationshipType,
    SourcePriority,
};
use itsm_core::{CiId, FieldValue};
use proptest::prelude::*;
use strum::IntoEnumIterator;

fn serde_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn check_names<T>(expected: &[&str])
where
    T: IntoEnumIterator
        + serde::Serialize
        + serde::de::DeserializeOwned
        + std::fmt::Display
        + FromStr
        + PartialEq
        + std::fmt::Debug,
    <T as FromStr>::Err: std::fmt::Display,
{
    let mut names = Vec::new();
    for variant in T::iter() {
        let wire = serde_name(&variant);
        assert_eq!(
            variant.to_string(),
            wire,
            "{variant:?}: display and serde disagree"
        );
        assert_eq!(
            T::from_str(&wire).ok(),
            Some(variant),
            "{wire}: from_str does not parse it back"
        );
        let back: T = serde_json::from_value(serde_json::Value::String(wire.clone())).unwrap();
        assert_eq!(back.to_string(), wire);
        names.push(wire);
    }
    assert_eq!(names, expected);
}

#[test]
fn enum_names_agree_between_serde_strum_and_from_str() {
    check_names::<LifecycleStatus>(&[
        "planned",
        "ordered",
        "installed",
        "in_use",
        "in_maintenance",
        "retired",
    ]);
    check_names::<OperationalState>(&["operational", "degraded", "down"]);
    check_names::<ImpactDirection>(&["to_source", "to_target", "both", "none"]);
}

#[test]
fn from_str_names_the_expected_values() {
    let err = OperationalState::from_str("sideways").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid operational state \"sideways\": expected one of operational, degraded, down"
    );
}

#[test]
fn tagged_enums_are_snake_case_on_the_wire() {
    use itsm_cmdb::{DiscoveryOutcome, Identification, ReconciliationReport, RefusalReason};
    let t0 = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let id = CiId::from_u128(1);
    let report = ReconciliationReport::default();
    // Every variant of every tagged enum: (value, tag field, expected tag).
    let cases: Vec<(serde_json::Value, &str, &str)> = vec![
        (
            serde_json::to_value(AttributeType::String).unwrap(),
            "type",
            "string",
        ),
        (
            serde_json::to_value(AttributeType::Integer).unwrap(),
            "type",
            "integer",
        ),
        (
            serde_json::to_value(AttributeType::Number).unwrap(),
            "type",
            "number",
        ),
        (
            serde_json::to_value(AttributeType::Boolean).unwrap(),
            "type",
            "boolean",
        ),
        (
            serde_json::to_value(AttributeType::DateTime).unwrap(),
            "type",
            "date_time",
        ),
        (
            serde_json::to_value(AttributeType::Choice { values: vec![] }).unwrap(),
            "type",
            "choice",
        ),
        (
            serde_json::to_value(Identification::New).unwrap(),
            "outcome",
            "new",
        ),
        (
            serde_json::to_value(Identification::Matched {
                id,
                identifiers: vec![],
            })
            .unwrap(),
            "outcome",
            "matched",
        ),
        (
            serde_json::to_value(Identification::Ambiguous {
                identifiers: vec![],
                candidates: vec![],
            })
            .unwrap(),
            "outcome",
            "ambiguous",
        ),
        (
            serde_json::to_value(RefusalReason::SourceNotAllowed {
                rule_class: "x".into(),
            })
            .unwrap(),
            "reason",
            "source_not_allowed",
        ),
        (
            serde_json::to_value(RefusalReason::HigherPrioritySource {
                holder: "a".into(),
                holder_priority: 1,
                priority: 2,
                written_at: t0,
                stale_from: None,
            })
            .unwrap(),
            "reason",
            "higher_priority_source",
        ),
        (
            serde_json::to_value(DiscoveryOutcome::Updated {
                id,
                report: report.clone(),
            })
            .unwrap(),
            "outcome",
            "updated",
        ),
        (
            serde_json::to_value(DiscoveryOutcome::Created { id, report }).unwrap(),
            "outcome",
            "created",
        ),
        (
            serde_json::to_value(DiscoveryOutcome::Ambiguous {
                identifiers: vec![],
                candidates: vec![],
            })
            .unwrap(),
            "outcome",
            "ambiguous",
        ),
    ];
    for (value, field, tag) in cases {
        assert_eq!(value[field], tag, "{value}");
    }
    // Externally tagged: the variant is the key.
    assert_eq!(
        serde_json::to_string(&RedundancyRequirement::AtLeast(1)).unwrap(),
        r#"{"at_least":1}"#
    );
    assert_eq!(
        serde_json::to_string(&RedundancyRequirement::Percent(50)).unwrap(),
        r#"{"percent":50}"#
    );
    // A refusal reads flat inside a refused write.
    let refused = itsm_cmdb::RefusedWrite {
        attribute: "ram_gb".into(),
        reason: RefusalReason::SourceNotAllowed {
            rule_class: "server".into(),
        },
    };
    assert_eq!(
        serde_json::to_string(&refused).unwrap(),
        r#"{"attribute":"ram_gb","reason":"source_not_allowed","rule_class":"server"}"#
    );
}

// ---- arbitrary data ----

fn name() -> impl Strategy<Value = String> {
    "[a-z][a-z_]{0,8}"
}

fn value() -> impl Strategy<Value = FieldValue> {
    let leaf = prop_oneof![
        Just(FieldValue::Null),
        any::<bool>().prop_map(FieldValue::Bool),
        any::<i64>().prop_map(FieldValue::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(FieldValue::UInt),
        // Quarters are exact in binary and print without loss.
        (-1_000_000i32..1_000_000).prop_map(|q| FieldValue::Float(f64::from(q) / 4.0 + 0.25)),
        ".{0,12}".prop_map(FieldValue::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..3).prop_map(FieldValue::Array),
            proptest::collection::btree_map(name(), inner, 0..3).prop_map(FieldValue::Object),
        ]
    })
}

fn attribute_type() -> impl Strategy<Value = AttributeType> {
    prop_oneof![
        Just(AttributeType::String),
        Just(AttributeType::Integer),
        Just(AttributeType::Number),
        Just(AttributeType::Boolean),
        Just(AttributeType::DateTime),
        proptest::collection::vec(name(), 0..3).prop_map(|values| AttributeType::Choice { values }),
    ]
}

fn ci() -> impl Strategy<Value = ConfigurationItem> {
    (
        any::<u128>(),
        name(),
        ".{0,10}",
        proptest::collection::btree_map(name(), value(), 0..3),
        proptest::sample::select(LifecycleStatus::iter().collect::<Vec<_>>()),
        proptest::sample::select(OperationalState::iter().collect::<Vec<_>>()),
        proptest::collection::vec(
            (
                name(),
                prop_oneof![
                    any::<u32>().prop_map(RedundancyRequirement::AtLeast),
                    any::<u8>().prop_map(RedundancyRequirement::Percent)
                ],
            ),
            0..2,
        ),
    )
        .prop_map(
            |(id, class, name, attributes, lifecycle, operational_state, redundancy)| {
                ConfigurationItem {
                    id: CiId::from_u128(id),
                    class,
                    name,
                    attributes,
                    lifecycle,
                    operational_state,
                    redundancy: redundancy
                        .into_iter()
                        .map(|(relationship_type, required)| Redundancy {
                            relationship_type,
                            required,
                        })
                        .collect(),
                }
            },
        )
}

fn data() -> impl Strategy<Value = CmdbData> {
    (
        proptest::collection::vec(
            (
                name(),
                proptest::option::of(name()),
                proptest::option::of(name()),
                any::<bool>(),
                proptest::collection::vec((name(), attribute_type(), any::<bool>()), 0..3),
            ),
            0..4,
        ),
        proptest::collection::vec(
            (
                name(),
                ".{0,6}",
                ".{0,6}",
                proptest::sample::select(ImpactDirection::iter().collect::<Vec<_>>()),
                any::<bool>(),
            ),
            0..3,
        ),
        proptest::collection::vec((name(), name(), name()), 0..3),
        proptest::collection::vec(
            (
                name(),
                proptest::collection::vec(proptest::collection::vec(name(), 0..3), 0..3),
            ),
            0..2,
        ),
        proptest::collection::vec(
            (
                name(),
                proptest::option::of(name()),
                proptest::collection::vec((name(), any::<u32>()), 0..3),
                proptest::option::of(any::<u64>()),
            ),
            0..2,
        ),
        proptest::collection::vec(ci(), 0..5),
        proptest::collection::vec((any::<u128>(), name(), any::<u128>()), 0..5),
    )
        .prop_map(
            |(classes, types, rules, identification, reconciliation, cis, relationships)| {
                CmdbData {
                    classes: classes
                        .into_iter()
                        .map(|(name, label, parent, service, attributes)| CiClass {
                            name,
                            label,
                            parent,
                            service,
                            attributes: attributes
                                .into_iter()
                                .map(|(name, value_type, required)| AttributeDefinition {
                                    name,
                                    value_type,
                                    required,
                                })
                                .collect(),
                        })
                        .collect(),
                    relationship_types: types
                        .into_iter()
                        .map(
                            |(name, forward, reverse, impact, dependent)| RelationshipType {
                                name,
                                forward,
                                reverse,
                                impact,
                                dependent,
                            },
                        )
                        .collect(),
                    rules: rules
                        .into_iter()
                        .map(
                            |(source_class, relationship_type, target_class)| RelationshipRule {
                                source_class,
                                relationship_type,
                                target_class,
                            },
                        )
                        .collect(),
                    identification_rules: identification
                        .into_iter()
                        .map(|(class, identifiers)| IdentificationRule { class, identifiers })
                        .collect(),
                    reconciliation_rules: reconciliation
                        .into_iter()
                        .map(|(class, attribute, sources, stale_after_seconds)| {
                            ReconciliationRule {
                                class,
                                attribute,
                                sources: sources
                                    .into_iter()
                                    .map(|(source, priority)| SourcePriority { source, priority })
                                    .collect(),
                                stale_after_seconds,
                            }
                        })
                        .collect(),
                    source_namespaces: Vec::new(),
                    cis,
                    relationships: relationships
                        .into_iter()
                        .map(|(s, t, g)| {
                            Relationship::new(CiId::from_u128(s), t, CiId::from_u128(g))
                        })
                        .collect(),
                }
            },
        )
}

/// Valid data: the starter definitions, CIs of a few classes with values
/// of the right types, and relationships the rules allow, without repeats.
fn valid_data() -> impl Strategy<Value = CmdbData> {
    let classes = [
        "linux_server",
        "virtual_machine",
        "database",
        "application",
        "technical_service",
    ];
    (
        proptest::collection::vec((0usize..5, 0u32..64, any::<bool>(), 0u8..3), 1..25),
        proptest::collection::vec(
            (any::<prop::sample::Index>(), any::<prop::sample::Index>()),
            0..40,
        ),
    )
        .prop_map(move |(cis, pairs)| {
            let mut data = CmdbData::starter();
            for (i, (class, number, flag, state)) in cis.into_iter().enumerate() {
                let mut ci = ConfigurationItem::new(
                    CiId::from_u128(i as u128 + 1),
                    classes[class],
                    format!("ci-{i}"),
                );
                ci.operational_state = [
                    OperationalState::Operational,
                    OperationalState::Degraded,
                    OperationalState::Down,
                ][state as usize];
                match classes[class] {
                    "linux_server" => {
                        ci = ci
                            .with_attribute("ram_gb", i64::from(number))
                            .with_attribute("os_version", "9")
                    }
                    "virtual_machine" if flag => {
                        ci = ci
                            .with_attribute("vcpus", i64::from(number))
                            .with_redundancy("depends_on", RedundancyRequirement::Percent(50));
                    }
                    "database" => {
                        ci = ci.with_attribute("engine", if flag { "postgresql" } else { "oracle" })
                    }
                    _ => {}
                }
                data.cis.push(ci);
            }
            // Everything may depend on a technical service.
            let services: Vec<CiId> = data
                .cis
                .iter()
                .filter(|c| c.class == "technical_service")
                .map(|c| c.id)
                .collect();
            let mut seen = std::collections::BTreeSet::new();
            if !services.is_empty() {
                for (a, b) in pairs {
                    let source = data.cis[a.index(data.cis.len())].id;
                    let target = services[b.index(services.len())];
                    if source != target && seen.insert((source, target)) {
                        data.relationships
                            .push(Relationship::new(source, "depends_on", target));
                    }
                }
            }
            data
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cmdb_data_json_round_trips(data in data()) {
        let text = serde_json::to_string(&data).unwrap();
        let back: CmdbData = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(back, data);
    }

    #[test]
    fn export_of_import_is_identity_for_valid_data(data in valid_data()) {
        let cmdb = Cmdb::import(data.clone());
        prop_assert!(cmdb.is_ok(), "{:?}", cmdb.err());
        let cmdb = cmdb.unwrap();
        prop_assert_eq!(cmdb.export(), data.clone());
        let again = Cmdb::from_json(&cmdb.to_json().unwrap()).unwrap();
        prop_assert_eq!(again.export(), data);
    }
}

#[test]
fn field_values_of_every_kind_survive_the_store() {
    // Attribute values are FieldValue: integers beyond i64 keep their value.
    let mut data = CmdbData::starter();
    data.classes[0].attributes.push(AttributeDefinition {
        name: "big".into(),
        value_type: AttributeType::Integer,
        required: false,
    });
    data.cis.push(
        ConfigurationItem::new(CiId::from_u128(1), "application", "a")
            .with_attribute("big", FieldValue::UInt(u64::MAX)),
    );
    let cmdb = Cmdb::from_json(&serde_json::to_string(&data).unwrap()).unwrap();
    assert_eq!(cmdb.export(), data);
}
