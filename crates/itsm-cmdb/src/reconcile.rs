//! Reconciliation: which source may write which attribute, and discovery
//! (identification followed by reconciled writes).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use itsm_core::{CiId, FieldValue};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::identify::{DiscoveryRecord, Identification};
use crate::model::{
    AttributeProvenance, ConfigurationItem, LifecycleStatus, OperationalState, ReconciliationRule,
};
use crate::store::Cmdb;

/// Why a source's write of an attribute was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefusalReason {
    /// The reconciliation rule for the attribute does not list the source.
    SourceNotAllowed {
        /// The class of the rule that applies.
        rule_class: String,
    },
    /// A higher-priority source wrote the value and it is not stale yet.
    HigherPrioritySource {
        /// The source that holds the value.
        holder: String,
        /// Its priority (lower wins).
        holder_priority: u32,
        /// The refused source's priority.
        priority: u32,
        /// When the holder wrote it.
        written_at: DateTime<Utc>,
        /// From when the holder's value is stale and may be overwritten;
        /// `None` when the rule never lets it go stale.
        stale_from: Option<DateTime<Utc>>,
    },
}

/// One refused attribute write.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RefusedWrite {
    /// The attribute.
    pub attribute: String,
    /// Why.
    #[serde(flatten)]
    pub reason: RefusalReason,
}

/// What a reconciled write did, attribute by attribute.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct ReconciliationReport {
    /// The attributes written, in key order.
    pub applied: Vec<String>,
    /// Of those, the ones that overwrote a higher-priority source's stale value.
    #[serde(default)]
    pub overrode_stale: Vec<String>,
    /// The attributes refused, in key order.
    pub refused: Vec<RefusedWrite>,
}

/// What [`Cmdb::discover`] did with a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum DiscoveryOutcome {
    /// The record matched an existing CI, which was updated (reconciled).
    Updated {
        /// The CI.
        id: CiId,
        /// What was written and refused.
        report: ReconciliationReport,
    },
    /// The record matched nothing: a CI was created with the id supplied.
    Created {
        /// The new CI.
        id: CiId,
        /// What was written and refused.
        report: ReconciliationReport,
    },
    /// Several CIs matched: nothing was written.
    Ambiguous {
        /// The identifying attribute set that matched more than one CI.
        identifiers: Vec<String>,
        /// Every matching CI, in id order.
        candidates: Vec<CiId>,
    },
}

/// The provenance of one attribute of one CI: the form in which a store's
/// provenance is saved beside its [`CmdbData`](crate::CmdbData) and restored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProvenanceRecord {
    /// The CI.
    pub ci: CiId,
    /// The attribute.
    pub attribute: String,
    /// The source that last wrote it.
    pub source: String,
    /// When.
    pub at: DateTime<Utc>,
}

enum Verdict {
    Apply { overrode_stale: bool },
    Refuse(RefusalReason),
}

impl Cmdb {
    /// Every attribute's provenance, by CI id then attribute: save it beside
    /// [`export`](Self::export) so that source priorities survive a restart.
    #[must_use]
    pub fn provenance_records(&self) -> Vec<ProvenanceRecord> {
        let mut out: Vec<ProvenanceRecord> = self
            .provenance
            .iter()
            .flat_map(|(ci, attributes)| {
                attributes.iter().map(|(attribute, p)| ProvenanceRecord {
                    ci: *ci,
                    attribute: attribute.clone(),
                    source: p.source.clone(),
                    at: p.at,
                })
            })
            .collect();
        out.sort_by(|a, b| (a.ci, &a.attribute).cmp(&(b.ci, &b.attribute)));
        out
    }

    /// Restores provenance saved with [`provenance_records`](Self::provenance_records),
    /// replacing what the store holds for those attributes.
    ///
    /// # Errors
    /// [`CmdbError::Invalid`] naming every record whose CI the store does not
    /// hold or whose attribute the CI does not set (nothing is restored then).
    pub fn restore_provenance(&mut self, records: Vec<ProvenanceRecord>) -> Result<(), CmdbError> {
        let mut problems = Vec::new();
        for (i, record) in records.iter().enumerate() {
            match self.ci(&record.ci) {
                None => problems.push(itsm_core::Violation::new(
                    format!("[{i}].ci"),
                    "unknown_ci",
                    format!("unknown configuration item {}", record.ci),
                )),
                Some(ci) if !ci.attributes.contains_key(&record.attribute) => {
                    problems.push(itsm_core::Violation::new(
                        format!("[{i}].attribute"),
                        "unknown_attribute",
                        format!(
                            "configuration item {} does not set {:?}",
                            record.ci, record.attribute
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        if !problems.is_empty() {
            return Err(CmdbError::Invalid { problems });
        }
        for record in records {
            self.provenance.entry(record.ci).or_default().insert(
                record.attribute,
                AttributeProvenance {
                    source: record.source,
                    at: record.at,
                },
            );
        }
        Ok(())
    }

    /// The reconciliation rule for an attribute of a class: an
    /// attribute-specific rule of the class or its nearest ancestor beats
    /// any all-attributes rule; then the all-attributes rule of the class or
    /// its nearest ancestor.
    fn reconciliation_rule(&self, class: u32, attribute: &str) -> Option<&ReconciliationRule> {
        self.catalog
            .ancestors(class)
            .find_map(|c| {
                self.catalog
                    .reconciliation
                    .get(&(c, Some(attribute.to_owned())))
            })
            .or_else(|| {
                self.catalog
                    .ancestors(class)
                    .find_map(|c| self.catalog.reconciliation.get(&(c, None)))
            })
    }

    fn verdict(
        &self,
        class: u32,
        id: &CiId,
        attribute: &str,
        source: &str,
        now: DateTime<Utc>,
    ) -> Verdict {
        let Some(rule) = self.reconciliation_rule(class, attribute) else {
            return Verdict::Apply {
                overrode_stale: false,
            }; // No rule: any source may write.
        };
        let Some(mine) = rule.sources.iter().find(|s| s.source == source) else {
            return Verdict::Refuse(RefusalReason::SourceNotAllowed {
                rule_class: rule.class.clone(),
            });
        };
        let Some(held) = self.provenance(id, attribute) else {
            return Verdict::Apply {
                overrode_stale: false,
            };
        };
        if held.source == source {
            return Verdict::Apply {
                overrode_stale: false,
            };
        }
        // A holder the rule does not list ranks below every listed source.
        let Some(theirs) = rule.sources.iter().find(|s| s.source == held.source) else {
            return Verdict::Apply {
                overrode_stale: false,
            };
        };
        if mine.priority <= theirs.priority {
            return Verdict::Apply {
                overrode_stale: false,
            };
        }
        let stale_from = rule
            .stale_after_seconds
            .and_then(|s| i64::try_from(s).ok())
            .and_then(chrono::TimeDelta::try_seconds)
            .and_then(|d| held.at.checked_add_signed(d));
        match stale_from {
            Some(from) if now > from => Verdict::Apply {
                overrode_stale: true,
            },
            _ => Verdict::Refuse(RefusalReason::HigherPrioritySource {
                holder: held.source.clone(),
                holder_priority: theirs.priority,
                priority: mine.priority,
                written_at: held.at,
                stale_from,
            }),
        }
    }

    /// Writes attribute values of a CI on behalf of a source, attribute by
    /// attribute under the reconciliation rules: a source the applicable rule
    /// does not list is refused; a lower-priority source is refused while
    /// the value written by a higher-priority one is not stale (older than
    /// the rule's `stale_after_seconds` at `now`). Without a rule any source
    /// may write. Each written attribute's provenance becomes (`source`,
    /// `now`); a null value clears the attribute.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`]; [`CmdbError::Invalid`] if the written
    /// values break the CI's class (nothing is written then).
    pub fn reconcile(
        &mut self,
        id: &CiId,
        source: &str,
        attributes: &BTreeMap<String, FieldValue>,
        now: DateTime<Utc>,
    ) -> Result<ReconciliationReport, CmdbError> {
        let ci = self
            .ci(id)
            .ok_or_else(|| CmdbError::UnknownCi { id: id.to_string() })?;
        let Some(&class) = self.catalog.class_index.get(&ci.class) else {
            return Err(CmdbError::UnknownCi { id: id.to_string() });
        };
        let mut updated = ci.clone();
        let mut report = ReconciliationReport::default();
        for (key, value) in attributes {
            match self.verdict(class, id, key, source, now) {
                Verdict::Apply { overrode_stale } => {
                    if *value == FieldValue::Null {
                        updated.attributes.remove(key);
                    } else {
                        updated.attributes.insert(key.clone(), value.clone());
                    }
                    report.applied.push(key.clone());
                    if overrode_stale {
                        report.overrode_stale.push(key.clone());
                    }
                }
                Verdict::Refuse(reason) => report.refused.push(RefusedWrite {
                    attribute: key.clone(),
                    reason,
                }),
            }
        }
        self.update_ci(updated)?;
        let provenance = self.provenance.entry(*id).or_default();
        for key in &report.applied {
            if attributes.get(key).is_some_and(|v| *v != FieldValue::Null) {
                provenance.insert(
                    key.clone(),
                    AttributeProvenance {
                        source: source.to_owned(),
                        at: now,
                    },
                );
            } else {
                provenance.remove(key);
            }
        }
        Ok(report)
    }

    /// Identifies a discovery record and applies it: a match is reconciled
    /// ([`reconcile`](Self::reconcile)); a new record becomes a CI with id
    /// `new_id` (life cycle `in_use`, `operational`) holding the attributes
    /// its source may write; an ambiguous record writes nothing.
    ///
    /// # Errors
    /// As [`identify`](Self::identify) and [`reconcile`](Self::reconcile);
    /// [`CmdbError::DuplicateCi`] if `new_id` is taken; [`CmdbError::Invalid`]
    /// if the new CI breaks its class.
    pub fn discover(
        &mut self,
        record: &DiscoveryRecord,
        new_id: CiId,
        now: DateTime<Utc>,
    ) -> Result<DiscoveryOutcome, CmdbError> {
        match self.identify(record)? {
            Identification::Matched { id, .. } => {
                let report = self.reconcile(&id, &record.source, &record.attributes, now)?;
                Ok(DiscoveryOutcome::Updated { id, report })
            }
            Identification::Ambiguous {
                identifiers,
                candidates,
            } => Ok(DiscoveryOutcome::Ambiguous {
                identifiers,
                candidates,
            }),
            Identification::New => {
                if self.ci(&new_id).is_some() {
                    return Err(CmdbError::DuplicateCi {
                        id: new_id.to_string(),
                    });
                }
                // Known: identify checked the class.
                let class = self
                    .catalog
                    .class_index
                    .get(&record.class)
                    .copied()
                    .unwrap_or(u32::MAX);
                let mut report = ReconciliationReport::default();
                let mut values = BTreeMap::new();
                for (key, value) in &record.attributes {
                    match self.verdict(class, &new_id, key, &record.source, now) {
                        Verdict::Apply { .. } => {
                            if *value != FieldValue::Null {
                                values.insert(key.clone(), value.clone());
                            }
                            report.applied.push(key.clone());
                        }
                        Verdict::Refuse(reason) => {
                            report.refused.push(RefusedWrite {
                                attribute: key.clone(),
                                reason,
                            });
                        }
                    }
                }
                let provenance: BTreeMap<String, AttributeProvenance> = values
                    .keys()
                    .map(|k| {
                        (
                            k.clone(),
                            AttributeProvenance {
                                source: record.source.clone(),
                                at: now,
                            },
                        )
                    })
                    .collect();
                self.add_ci(ConfigurationItem {
                    id: new_id,
                    class: record.class.clone(),
                    name: record.name.clone(),
                    attributes: values,
                    lifecycle: LifecycleStatus::InUse,
                    operational_state: OperationalState::Operational,
                    redundancy: Vec::new(),
                })?;
                if !provenance.is_empty() {
                    self.provenance.insert(new_id, provenance);
                }
                Ok(DiscoveryOutcome::Created { id: new_id, report })
            }
        }
    }
}
