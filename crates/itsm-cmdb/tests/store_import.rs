//! Bulk import: every problem of a whole CMDB reported at once, with paths.

use itsm_cmdb::{
    AttributeDefinition, AttributeType, CiClass, Cmdb, CmdbData, CmdbError, ConfigurationItem,
    ImpactDirection, RedundancyRequirement, Relationship, RelationshipRule, RelationshipType,
};
use itsm_core::{CiId, FieldValue, Validate};

fn id(n: u128) -> CiId {
    CiId::from_u128(n)
}

/// A small valid estate on the starter definitions.
fn base() -> CmdbData {
    let mut data = CmdbData::starter();
    data.cis = vec![
        ConfigurationItem::new(id(1), "business_service", "Payroll"),
        ConfigurationItem::new(id(2), "application", "payroll-app")
            .with_attribute("version", "4.2"),
        ConfigurationItem::new(id(3), "database", "payroll-db")
            .with_attribute("engine", "postgresql"),
        ConfigurationItem::new(id(4), "linux_server", "srv-01")
            .with_attribute("ram_gb", 64)
            .with_attribute("serial_number", "SN-1"),
    ];
    data.relationships = vec![
        Relationship::new(id(1), "depends_on", id(2)),
        Relationship::new(id(2), "depends_on", id(3)),
        Relationship::new(id(3), "runs_on", id(4)),
    ];
    data
}

/// Imports `data` and compares the (path, rule) of every problem, in order.
fn check(case: &str, data: CmdbData, expected: &[(&str, &str)]) {
    let actual: Vec<(String, String)> = match Cmdb::import(data) {
        Ok(_) => Vec::new(),
        Err(CmdbError::Invalid { problems }) => {
            problems.into_iter().map(|v| (v.path, v.rule)).collect()
        }
        Err(other) => panic!("case {case}: expected Invalid, got {other}"),
    };
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    assert_eq!(
        actual, expected,
        "case {case}: expected {expected:?}, got {actual:?}"
    );
}

fn with(f: impl FnOnce(&mut CmdbData)) -> CmdbData {
    let mut data = base();
    f(&mut data);
    data
}

fn class(name: &str, parent: Option<&str>) -> CiClass {
    CiClass {
        name: name.into(),
        label: None,
        parent: parent.map(Into::into),
        service: false,
        attributes: vec![],
    }
}

#[test]
fn import_reports_every_problem_with_its_path() {
    check("valid estate", base(), &[]);
    check(
        "unknown attribute",
        with(|d| {
            d.cis[1].attributes.insert("colour".into(), "red".into());
        }),
        &[("cis[1].attributes.colour", "unknown_attribute")],
    );
    check(
        "source attribute without a namespace policy",
        with(|d| {
            d.cis[1]
                .attributes
                .insert("servicenow.u_rack".into(), "R12".into());
        }),
        &[("cis[1].attributes.servicenow.u_rack", "unknown_attribute")],
    );
    check(
        "source attribute in a listed namespace, any value",
        with(|d| {
            d.source_namespaces = vec!["servicenow".into(), "tmf639".into()];
            d.cis[1]
                .attributes
                .insert("servicenow.u_rack".into(), "R12".into());
            d.cis[3]
                .attributes
                .insert("tmf639.resourceCharacteristic.slot".into(), 4.into());
        }),
        &[],
    );
    check(
        "a namespace admits only keys below it",
        with(|d| {
            d.source_namespaces = vec!["servicenow".into()];
            d.cis[1].attributes.insert("servicenow".into(), "x".into());
            d.cis[1].attributes.insert("servicenow.".into(), "x".into());
            d.cis[1].attributes.insert("jira.key".into(), "x".into());
        }),
        &[
            ("cis[1].attributes.jira.key", "unknown_attribute"),
            ("cis[1].attributes.servicenow", "unknown_attribute"),
            ("cis[1].attributes.servicenow.", "unknown_attribute"),
        ],
    );
    check(
        "a declared attribute keeps its type under a namespace policy",
        with(|d| {
            d.source_namespaces = vec!["servicenow".into()];
            d.cis[3].attributes.insert("ram_gb".into(), "lots".into());
        }),
        &[("cis[3].attributes.ram_gb", "wrong_type")],
    );
    check(
        "bad and repeated namespaces",
        with(|d| {
            d.source_namespaces = vec![
                "servicenow".into(),
                String::new(),
                "a.b".into(),
                "servicenow".into(),
            ];
        }),
        &[
            ("source_namespaces[1]", "invalid_namespace"),
            ("source_namespaces[2]", "invalid_namespace"),
            ("source_namespaces[3]", "duplicate_namespace"),
        ],
    );
    check(
        "wrong type: text for a number",
        with(|d| {
            d.cis[3].attributes.insert("ram_gb".into(), "lots".into());
        }),
        &[("cis[3].attributes.ram_gb", "wrong_type")],
    );
    check(
        "integer attribute rejects a fraction",
        with(|d| {
            d.cis[3]
                .attributes
                .insert("cpu_count".into(), FieldValue::Float(2.5));
        }),
        &[("cis[3].attributes.cpu_count", "wrong_type")],
    );
    check(
        "number attribute accepts an integer and a fraction",
        with(|d| {
            d.cis[3]
                .attributes
                .insert("ram_gb".into(), FieldValue::Float(0.5));
        }),
        &[],
    );
    check(
        "bad choice",
        with(|d| {
            d.cis[2].attributes.insert("engine".into(), "db2".into());
        }),
        &[("cis[2].attributes.engine", "bad_choice")],
    );
    check(
        "missing required attribute, inherited from the parent class",
        with(|d| {
            let hardware = d.classes.iter_mut().find(|c| c.name == "server").unwrap();
            hardware.attributes.push(AttributeDefinition {
                name: "rack".into(),
                value_type: AttributeType::String,
                required: true,
            });
        }),
        &[("cis[3].attributes.rack", "missing_required")],
    );
    check(
        "null does not satisfy a required attribute",
        with(|d| {
            let server = d.classes.iter_mut().find(|c| c.name == "server").unwrap();
            server.attributes.push(AttributeDefinition {
                name: "rack".into(),
                value_type: AttributeType::String,
                required: true,
            });
            d.cis[3].attributes.insert("rack".into(), FieldValue::Null);
        }),
        &[("cis[3].attributes.rack", "missing_required")],
    );
    check(
        "date-time attribute must be rfc 3339",
        with(|d| {
            d.classes[0].attributes.push(AttributeDefinition {
                name: "installed_at".into(),
                value_type: AttributeType::DateTime,
                required: false,
            });
            d.cis[0]
                .attributes
                .insert("installed_at".into(), "2026-03-01T10:00:00Z".into());
            d.cis[1]
                .attributes
                .insert("installed_at".into(), "yesterday".into());
        }),
        &[("cis[1].attributes.installed_at", "wrong_type")],
    );
    check(
        "unknown class",
        with(|d| d.cis[1].class = "mainframe".into()),
        &[("cis[1].class", "unknown_class")],
    );
    check(
        "empty name",
        with(|d| d.cis[0].name = " ".into()),
        &[("cis[0].name", "empty_name")],
    );
    check(
        "duplicate ci",
        with(|d| {
            d.cis
                .push(ConfigurationItem::new(id(1), "application", "again"))
        }),
        &[("cis[4].id", "duplicate_ci")],
    );
    check(
        "redundancy over an unknown type, percent over 100 and at_least 0",
        with(|d| {
            d.cis[3] = d.cis[3]
                .clone()
                .with_redundancy("fed_by", RedundancyRequirement::AtLeast(1))
                .with_redundancy("powered_by", RedundancyRequirement::Percent(150))
                .with_redundancy("member_of", RedundancyRequirement::AtLeast(0));
        }),
        &[
            (
                "cis[3].redundancy[0].relationship_type",
                "unknown_relationship_type",
            ),
            (
                "cis[3].redundancy[1].required.percent",
                "redundancy_out_of_range",
            ),
            (
                "cis[3].redundancy[2].required.at_least",
                "redundancy_out_of_range",
            ),
        ],
    );
    check(
        "redundancy declared twice for one type",
        with(|d| {
            d.cis[3] = d.cis[3]
                .clone()
                .with_redundancy("powered_by", RedundancyRequirement::AtLeast(1))
                .with_redundancy("powered_by", RedundancyRequirement::Percent(50));
        }),
        &[(
            "cis[3].redundancy[1].relationship_type",
            "duplicate_redundancy",
        )],
    );
    check(
        "relationship to an unknown ci and of an unknown type",
        with(|d| {
            d.relationships
                .push(Relationship::new(id(2), "feeds", id(99)))
        }),
        &[
            ("relationships[3].type", "unknown_relationship_type"),
            ("relationships[3].target", "unknown_ci"),
        ],
    );
    check(
        "relationship no rule allows",
        with(|d| {
            d.relationships
                .push(Relationship::new(id(4), "depends_on", id(1)))
        }),
        &[("relationships[3]", "not_allowed")],
    );
    check(
        "duplicate relationship",
        with(|d| {
            d.relationships
                .push(Relationship::new(id(2), "depends_on", id(3)))
        }),
        &[("relationships[3]", "duplicate_relationship")],
    );
    check(
        "relationship of a ci to itself",
        with(|d| {
            d.relationships
                .push(Relationship::new(id(2), "depends_on", id(2)))
        }),
        &[("relationships[3].target", "self_relationship")],
    );
    check(
        "relationship of a ci with an unknown class is reported once, on the ci",
        with(|d| d.cis[1].class = "mainframe".into()),
        &[("cis[1].class", "unknown_class")],
    );
    check(
        "unknown parent class",
        with(|d| d.classes.push(class("mainframe", Some("big_iron")))),
        &[("classes[17].parent", "unknown_parent")],
    );
    check(
        "class hierarchy cycle",
        with(|d| {
            d.classes.push(class("a", Some("b")));
            d.classes.push(class("b", Some("c")));
            d.classes.push(class("c", Some("a")));
        }),
        &[("classes[17].parent", "class_cycle")],
    );
    check(
        "a class that is its own parent",
        with(|d| d.classes.push(class("ouroboros", Some("ouroboros")))),
        &[("classes[17].parent", "class_cycle")],
    );
    check(
        "duplicate class",
        with(|d| d.classes.push(class("server", None))),
        &[("classes[17].name", "duplicate_class")],
    );
    check(
        "attribute redeclared in a subclass",
        with(|d| {
            let linux = d
                .classes
                .iter_mut()
                .find(|c| c.name == "linux_server")
                .unwrap();
            linux.attributes.push(AttributeDefinition {
                name: "ram_gb".into(),
                value_type: AttributeType::Integer,
                required: false,
            });
        }),
        &[("classes[3].attributes[1].name", "redeclared_attribute")],
    );
    check(
        "choice without values",
        with(|d| {
            d.classes[0].attributes.push(AttributeDefinition {
                name: "tier".into(),
                value_type: AttributeType::Choice { values: vec![] },
                required: false,
            });
        }),
        &[("classes[0].attributes[3].type.values", "empty_choice")],
    );
    check(
        "dependent relationship type without a direction, and a duplicate type",
        with(|d| {
            d.relationship_types.push(RelationshipType {
                name: "paired_with".into(),
                forward: "paired with".into(),
                reverse: "paired with".into(),
                impact: ImpactDirection::Both,
                dependent: true,
            });
            d.relationship_types.push(d.relationship_types[0].clone());
        }),
        &[
            (
                "relationship_types[7].dependent",
                "dependent_without_direction",
            ),
            ("relationship_types[8].name", "duplicate_relationship_type"),
        ],
    );
    check(
        "rule naming an unknown class and type",
        with(|d| {
            d.rules.push(RelationshipRule {
                source_class: "mainframe".into(),
                relationship_type: "feeds".into(),
                target_class: "server".into(),
            });
        }),
        &[
            ("rules[34].source_class", "unknown_class"),
            ("rules[34].relationship_type", "unknown_relationship_type"),
        ],
    );
    check(
        "several problems in one import are all reported",
        with(|d| {
            d.cis[1].attributes.insert("colour".into(), "red".into());
            d.cis[3].attributes.insert("ram_gb".into(), true.into());
            d.relationships
                .push(Relationship::new(id(4), "depends_on", id(1)));
        }),
        &[
            ("cis[1].attributes.colour", "unknown_attribute"),
            ("cis[3].attributes.ram_gb", "wrong_type"),
            ("relationships[3]", "not_allowed"),
        ],
    );
}

#[test]
fn not_allowed_message_names_the_missing_rule() {
    let data = with(|d| {
        d.relationships
            .push(Relationship::new(id(4), "depends_on", id(1)))
    });
    let problems = data.validate();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].message,
        "no rule allows linux_server depends_on business_service (nor any rule for their ancestors)"
    );
}

#[test]
fn wrong_type_message_names_the_value() {
    let data = with(|d| {
        d.cis[3].attributes.insert("ram_gb".into(), "lots".into());
    });
    let err = Cmdb::import(data).unwrap_err().to_string();
    assert!(
        err.contains("cis[3].attributes.ram_gb") && err.contains("\"lots\""),
        "{err}"
    );
}

#[test]
fn export_of_an_import_is_the_same_data() {
    let data = base();
    let cmdb = Cmdb::import(data.clone()).unwrap();
    assert_eq!(cmdb.export(), data);
    let again = Cmdb::from_json(&cmdb.to_json().unwrap()).unwrap();
    assert_eq!(again.export(), data);
}

#[test]
fn from_json_names_the_path_of_a_bad_value() {
    let text = r#"{"cis": [{"id": "00000000-0000-0000-0000-000000000001", "class": "x", "name": "a",
        "lifecycle": "in_use", "operational_state": "sideways"}]}"#;
    match Cmdb::from_json(text) {
        Err(CmdbError::Json { path, .. }) => assert_eq!(path, "cis[0].operational_state"),
        other => panic!("expected a json error, got {other:?}"),
    }
}

/// A chain of classes, each the parent of the next.
fn chain(depth: usize) -> CmdbData {
    let mut data = CmdbData::default();
    for level in 0..depth {
        let parent = (level > 0).then(|| format!("c{}", level - 1));
        data.classes
            .push(class(&format!("c{level}"), parent.as_deref()));
    }
    data
}

#[test]
fn class_hierarchies_deeper_than_64_levels_are_refused() {
    check("63 levels below the root", chain(64), &[]);
    check(
        "64 levels below the root",
        chain(65),
        &[("classes[64].parent", "hierarchy_too_deep")],
    );
}

#[test]
fn a_hundred_thousand_level_class_chain_is_refused_in_linear_time() {
    let problems = chain(100_000).validate();
    assert_eq!(problems.len(), 100_000 / 64);
    assert!(problems.iter().all(|p| p.rule == "hierarchy_too_deep"));
}

/// The class catalogue refuses a misspelt key with its path and the nearest
/// known name: `atributes` once lost a class's attribute definitions.
#[test]
fn a_misspelt_key_in_the_class_catalogue_is_refused_with_a_suggestion() {
    let text = r#"{"classes": [{"name": "server", "atributes": [{"name": "cpu", "type": {"type": "integer"}}]}],
                  "relationship_types": [], "cis": [], "relationships": []}"#;
    match itsm_cmdb::Cmdb::from_json(text) {
        Err(itsm_cmdb::CmdbError::Json { path, message }) => {
            assert_eq!(path, "classes[0].atributes", "{message}");
            assert!(
                message.contains("(did you mean `attributes`?)"),
                "{message}"
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}
