//! Identification: which existing CI an incoming discovery record is about.

use std::collections::{BTreeMap, HashMap};

use itsm_core::{CiId, FieldValue};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::store::Cmdb;
use crate::{CmdbError, ConfigurationItem};

/// A record about one CI from a discovery source (SCCM, a network scan, a
/// cloud inventory, a person).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiscoveryRecord {
    /// The source that sent it (`sccm`), as named in reconciliation rules.
    pub source: String,
    /// The class it describes (`linux_server`).
    pub class: String,
    /// The CI's name as the source knows it.
    pub name: String,
    /// The attribute values it reports.
    #[serde(default, deserialize_with = "itsm_core::unique_fields")]
    pub attributes: BTreeMap<String, FieldValue>,
}

/// What identification found for a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Identification {
    /// Exactly one existing CI matches the first attribute set that matched anything.
    Matched {
        /// The CI.
        id: CiId,
        /// The identifying attribute set that matched.
        identifiers: Vec<String>,
    },
    /// No existing CI matches any attribute set the record carries: it is new.
    New,
    /// Several CIs match the first attribute set that matched anything:
    /// nothing is guessed, a person decides.
    Ambiguous {
        /// The identifying attribute set that matched more than one CI.
        identifiers: Vec<String>,
        /// Every matching CI, in id order.
        candidates: Vec<CiId>,
    },
}

/// A value the record reports (null counts as not reported).
fn reported<'a>(attributes: &'a BTreeMap<String, FieldValue>, key: &str) -> Option<&'a FieldValue> {
    attributes.get(key).filter(|v| **v != FieldValue::Null)
}

fn matches(ci: &ConfigurationItem, record: &DiscoveryRecord, set: &[String]) -> bool {
    set.iter().all(|key| {
        if key == "name" {
            ci.name == record.name
        } else {
            match (ci.attributes.get(key), reported(&record.attributes, key)) {
                (Some(have), Some(want)) => have == want,
                _ => false,
            }
        }
    })
}

/// The values of an attribute set as one lookup key (`None` when a value is
/// missing or null). Equal keys mean equal values: each value is written
/// in its `Debug` form, which tells integers, floats and strings apart.
fn key_of(name: &str, attributes: &BTreeMap<String, FieldValue>, set: &[String]) -> Option<String> {
    let mut key = String::new();
    for attribute in set {
        if attribute == "name" {
            key.push_str(&format!("{name:?}"));
        } else {
            key.push_str(&format!("{:?}", reported(attributes, attribute)?));
        }
        key.push('\u{0}');
    }
    Some(key)
}

/// How identification finds the CIs of a class subtree whose values for an
/// attribute set equal a record's.
trait Candidates {
    fn find(&mut self, cmdb: &Cmdb, rule: usize, set: usize, record: &DiscoveryRecord)
    -> Vec<CiId>;
}

/// One record: scan the CIs.
struct Scan;

impl Candidates for Scan {
    fn find(
        &mut self,
        cmdb: &Cmdb,
        rule: usize,
        set: usize,
        record: &DiscoveryRecord,
    ) -> Vec<CiId> {
        let in_scope = cmdb.rule_scope(rule);
        let set = &cmdb.catalog.identification_rules[rule].identifiers[set];
        cmdb.cis_with_class()
            .filter(|&(ci, c)| {
                in_scope.get(c as usize).copied().unwrap_or(false) && matches(ci, record, set)
            })
            .map(|(ci, _)| ci.id)
            .collect()
    }
}

/// A batch: one table per (rule, attribute set), built on first use.
#[derive(Default)]
struct Tables(HashMap<(usize, usize), HashMap<String, Vec<CiId>>>);

impl Candidates for Tables {
    fn find(
        &mut self,
        cmdb: &Cmdb,
        rule: usize,
        set: usize,
        record: &DiscoveryRecord,
    ) -> Vec<CiId> {
        let attributes = &cmdb.catalog.identification_rules[rule].identifiers[set];
        let table = self.0.entry((rule, set)).or_insert_with(|| {
            let in_scope = cmdb.rule_scope(rule);
            let mut table: HashMap<String, Vec<CiId>> = HashMap::new();
            for (ci, c) in cmdb.cis_with_class() {
                if in_scope.get(c as usize).copied().unwrap_or(false)
                    && let Some(key) = key_of(&ci.name, &ci.attributes, attributes)
                {
                    table.entry(key).or_default().push(ci.id);
                }
            }
            table
        });
        key_of(&record.name, &record.attributes, attributes)
            .and_then(|key| table.get(&key).cloned())
            .unwrap_or_default()
    }
}

impl Cmdb {
    /// Which dense classes an identification rule covers: its class and
    /// every class below it.
    fn rule_scope(&self, rule: usize) -> Vec<bool> {
        let owner = self
            .catalog
            .class_index
            .get(&self.catalog.identification_rules[rule].class)
            .copied();
        (0..self.catalog.classes.len())
            .map(|c| owner.is_some_and(|o| self.catalog.is_a(c as u32, o)))
            .collect()
    }

    /// Finds the existing CI a discovery record is about. The record's class
    /// uses its own identification rule or, without one, its nearest
    /// ancestor's; the rule's attribute sets are tried in order, skipping sets
    /// the record does not carry in full; candidates are the CIs of the rule's
    /// class and its subclasses whose values are equal (the set entry `name`
    /// compares the CI's name). The first set that matches anything decides:
    /// one CI is a match, several are ambiguous. Without any match the record
    /// is new.
    ///
    /// This scans the CIs; for many records use [`identify_all`](Self::identify_all).
    ///
    /// # Errors
    /// [`CmdbError::Unidentifiable`] when the class is unknown, has no rule
    /// (nor an ancestor), or the record carries none of the attribute sets.
    pub fn identify(&self, record: &DiscoveryRecord) -> Result<Identification, CmdbError> {
        self.identify_with(record, &mut Scan)
    }

    /// [`identify`](Self::identify) for a batch of records (a discovery run),
    /// with one lookup table per identifying attribute set, built once: linear
    /// in the number of CIs plus the number of records. Results are in the
    /// order of `records`, each an error or an identification.
    #[must_use]
    pub fn identify_all(
        &self,
        records: &[DiscoveryRecord],
    ) -> Vec<Result<Identification, CmdbError>> {
        let mut tables = Tables::default();
        records
            .iter()
            .map(|r| self.identify_with(r, &mut tables))
            .collect()
    }

    fn identify_with(
        &self,
        record: &DiscoveryRecord,
        candidates: &mut dyn Candidates,
    ) -> Result<Identification, CmdbError> {
        let unidentifiable = |reason: String| CmdbError::Unidentifiable {
            class: record.class.clone(),
            reason,
        };
        let class = *self
            .catalog
            .class_index
            .get(&record.class)
            .ok_or_else(|| unidentifiable(format!("unknown class {:?}", record.class)))?;
        let rule_index = self.catalog.classes[class as usize]
            .identification
            .ok_or_else(|| {
                unidentifiable(
                    "no identification rule applies to it nor to its ancestors".to_owned(),
                )
            })?;
        let rule = &self.catalog.identification_rules[rule_index];
        let mut applicable = false;
        for (k, set) in rule.identifiers.iter().enumerate() {
            if key_of(&record.name, &record.attributes, set).is_none()
                || record.name.is_empty() && set.iter().any(|a| a == "name")
            {
                continue;
            }
            applicable = true;
            let mut found = candidates.find(self, rule_index, k, record);
            match found.len() {
                0 => {}
                1 => {
                    return Ok(Identification::Matched {
                        id: found[0],
                        identifiers: set.clone(),
                    });
                }
                _ => {
                    found.sort();
                    return Ok(Identification::Ambiguous {
                        identifiers: set.clone(),
                        candidates: found,
                    });
                }
            }
        }
        if applicable {
            Ok(Identification::New)
        } else {
            let sets: Vec<String> = rule
                .identifiers
                .iter()
                .map(|s| format!("[{}]", s.join(", ")))
                .collect();
            Err(unidentifiable(format!(
                "it carries none of the identifying attribute sets of class {:?}: {}",
                rule.class,
                sets.join(", ")
            )))
        }
    }
}
