//! A small text format for graph fixtures, shared by the graph tests.
//!
//! Statements are separated by `;` or new lines:
//! - `name:class ...` declares CIs (ids are derived from their order);
//! - `a depends_on b` adds a relationship;
//! - `x redundancy member_of at_least 1` or `... percent 50` declares redundancy.
#![allow(dead_code)]

use std::collections::BTreeMap;

use itsm_cmdb::{
    CiClass, CmdbData, ConfigurationItem, GraphIndex, ImpactDirection, LifecycleStatus,
    OperationalState, Redundancy, RedundancyRequirement, Relationship, RelationshipType,
};
use itsm_core::CiId;

pub struct Fixture {
    pub data: CmdbData,
    pub names: BTreeMap<String, CiId>,
}

fn class(name: &str, parent: Option<&str>, service: bool) -> CiClass {
    CiClass {
        name: name.to_owned(),
        label: None,
        parent: parent.map(str::to_owned),
        service,
        attributes: Vec::new(),
    }
}

fn rel_type(name: &str, impact: ImpactDirection) -> RelationshipType {
    RelationshipType {
        name: name.to_owned(),
        forward: name.replace('_', " "),
        reverse: format!("reverse of {name}"),
        impact,
        dependent: false,
    }
}

/// The classes and relationship types every fixture has.
pub fn base() -> CmdbData {
    CmdbData {
        classes: vec![
            class("configuration_item", None, false),
            class("business_service", Some("configuration_item"), true),
            class("critical_service", Some("business_service"), false),
            class("application", Some("configuration_item"), false),
            class("database", Some("configuration_item"), false),
            class("server", Some("configuration_item"), false),
            class("cluster", Some("configuration_item"), false),
            class("network", Some("configuration_item"), false),
        ],
        relationship_types: vec![
            rel_type("depends_on", ImpactDirection::ToSource),
            rel_type("runs_on", ImpactDirection::ToSource),
            rel_type("hosted_on", ImpactDirection::ToSource),
            rel_type("contains", ImpactDirection::ToTarget),
            rel_type("member_of", ImpactDirection::ToTarget),
            rel_type("connects_to", ImpactDirection::Both),
            rel_type("documents", ImpactDirection::None),
        ],
        ..CmdbData::default()
    }
}

pub fn id_of(i: usize) -> CiId {
    CiId::from_u128(0x1000_0000_0000_0000_0000_0000_0000_0000 + i as u128)
}

impl Fixture {
    pub fn parse(spec: &str) -> Self {
        let mut data = base();
        let mut names = BTreeMap::new();
        for stmt in spec
            .split([';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let words: Vec<&str> = stmt.split_whitespace().collect();
            if words.iter().all(|w| w.contains(':')) {
                for w in words {
                    let (name, class) = w.split_once(':').unwrap();
                    let id = id_of(data.cis.len());
                    names.insert(name.to_owned(), id);
                    data.cis.push(ConfigurationItem {
                        id,
                        class: class.to_owned(),
                        name: name.to_owned(),
                        attributes: BTreeMap::new(),
                        lifecycle: LifecycleStatus::InUse,
                        operational_state: OperationalState::Operational,
                        redundancy: Vec::new(),
                    });
                }
            } else if words.len() == 5 && words[1] == "redundancy" {
                let n: u32 = words[4].parse().unwrap();
                let required = match words[3] {
                    "at_least" => RedundancyRequirement::AtLeast(n),
                    "percent" => RedundancyRequirement::Percent(u8::try_from(n).unwrap()),
                    other => panic!("bad requirement {other}"),
                };
                let id = names[words[0]];
                let ci = data.cis.iter_mut().find(|c| c.id == id).unwrap();
                ci.redundancy.push(Redundancy {
                    relationship_type: words[2].to_owned(),
                    required,
                });
            } else if words.len() == 3 {
                data.relationships.push(Relationship {
                    source: names[words[0]],
                    relationship_type: words[1].to_owned(),
                    target: names[words[2]],
                });
            } else {
                panic!("bad fixture statement {stmt:?}");
            }
        }
        Self { data, names }
    }

    pub fn index(&self) -> GraphIndex {
        GraphIndex::build(&self.data).expect("fixture builds")
    }

    pub fn id(&self, name: &str) -> CiId {
        *self
            .names
            .get(name)
            .unwrap_or_else(|| panic!("no CI {name} in fixture"))
    }

    pub fn ids(&self, names: &str) -> Vec<CiId> {
        names.split_whitespace().map(|n| self.id(n)).collect()
    }

    pub fn name(&self, id: &CiId) -> String {
        self.names
            .iter()
            .find(|(_, v)| *v == id)
            .map_or_else(|| id.to_string(), |(k, _)| k.clone())
    }
}
