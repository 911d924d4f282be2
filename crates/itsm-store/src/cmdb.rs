//! The CMDB in the database: loaded into an [`itsm_cmdb::Cmdb`], saved back
//! as the difference from what was loaded, with a history of every change.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use itsm_cmdb::{Cmdb, CmdbData, CmdbDiff, ConfigurationItem, ProvenanceRecord, Relationship};
use itsm_core::{CiId, PersonId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::model::to_nanos;

/// Who changes the CMDB, when, and from which source (`manual`, `sccm`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CmdbChange {
    /// The person; `None` for a system or a discovery run.
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// The source.
    pub source: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// What a history entry records.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CmdbChangeKind {
    /// A CI was added; the detail is the CI.
    CiAdded,
    /// A CI was removed; the detail is the CI as it was.
    CiRemoved,
    /// A CI changed; the detail lists its field changes.
    CiChanged,
    /// A relationship was added; the detail is the relationship.
    RelationshipAdded,
    /// A relationship was removed; the detail is the relationship.
    RelationshipRemoved,
    /// Classes, relationship types or rules changed; the detail is the new definitions.
    DefinitionsChanged,
}

/// One entry of the CMDB's history.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CmdbHistoryEntry {
    /// Its sequence number, increasing.
    pub seq: u64,
    /// The CMDB version the change produced.
    pub cmdb_version: u64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// From which source.
    pub source: String,
    /// What.
    pub change: CmdbChangeKind,
    /// The CI concerned (a relationship's source).
    #[serde(default)]
    pub ci: Option<CiId>,
    /// The detail, as JSON.
    pub detail: String,
}

/// The stored CMDB as a backend reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct CmdbRows {
    /// The CMDB's version: the number of saves.
    pub version: u64,
    /// The definitions (a [`CmdbData`] without CIs or relationships), as JSON.
    pub definitions: String,
    /// The CIs' JSON, in the order they were added.
    pub cis: Vec<String>,
    /// The relationships, in the order they were added.
    pub relationships: Vec<Relationship>,
    /// The provenance of every attribute.
    pub provenance: Vec<ProvenanceRecord>,
}

/// A CI row to write.
#[derive(Clone, Debug, PartialEq)]
pub struct CiRow {
    /// The CI.
    pub id: CiId,
    /// Its class.
    pub class: String,
    /// Its name.
    pub name: String,
    /// Its JSON.
    pub doc: String,
}

/// A history row to write.
#[derive(Clone, Debug, PartialEq)]
pub struct HistoryRow {
    /// What.
    pub change: CmdbChangeKind,
    /// The CI concerned.
    pub ci: Option<CiId>,
    /// The detail, as JSON.
    pub detail: String,
}

/// One save of the CMDB, as the difference from the loaded state.
#[derive(Clone, Debug, PartialEq)]
pub struct CmdbWrite {
    /// The version the change was made on.
    pub expected_version: u64,
    /// New definitions, when they changed.
    pub definitions: Option<String>,
    /// CIs added (appended in this order).
    pub added_cis: Vec<CiRow>,
    /// CIs changed (rewritten in place).
    pub changed_cis: Vec<CiRow>,
    /// CIs removed.
    pub removed_cis: Vec<CiId>,
    /// Relationships added (appended in this order).
    pub added_relationships: Vec<Relationship>,
    /// Relationships removed.
    pub removed_relationships: Vec<Relationship>,
    /// Provenance written or rewritten.
    pub provenance_upserts: Vec<ProvenanceRecord>,
    /// Provenance removed, by CI and attribute.
    pub provenance_removals: Vec<(CiId, String)>,
    /// The history entries, in order.
    pub history: Vec<HistoryRow>,
    /// When, in nanoseconds.
    pub at: i64,
    /// Who.
    pub actor: Option<PersonId>,
    /// From which source.
    pub source: String,
}

impl CmdbWrite {
    /// Whether the write changes nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.history.is_empty()
            && self.provenance_upserts.is_empty()
            && self.provenance_removals.is_empty()
    }
}

/// A CMDB loaded from the store: change it through [`cmdb_mut`](Self::cmdb_mut),
/// then [`Store::save_cmdb`](crate::Store::save_cmdb) writes only what changed.
#[derive(Debug)]
pub struct StoredCmdb {
    cmdb: Cmdb,
    base: CmdbData,
    base_definitions: String,
    base_provenance: Vec<ProvenanceRecord>,
    version: u64,
}

impl StoredCmdb {
    /// The CMDB.
    #[must_use]
    pub fn cmdb(&self) -> &Cmdb {
        &self.cmdb
    }

    /// The CMDB, to change.
    pub fn cmdb_mut(&mut self) -> &mut Cmdb {
        &mut self.cmdb
    }

    /// The version it was loaded (or last saved) at.
    #[must_use]
    pub fn version(&self) -> u64 {
        self.version
    }

    /// What a save would write: the difference from the loaded state.
    #[must_use]
    pub fn pending(&self) -> CmdbDiff {
        CmdbDiff::between(&self.base, self.cmdb.data())
    }

    /// The CMDB, leaving the store behind.
    #[must_use]
    pub fn into_cmdb(self) -> Cmdb {
        self.cmdb
    }

    pub(crate) fn empty() -> Result<Self> {
        let data = CmdbData::default();
        let cmdb = Cmdb::import(data.clone())?;
        Ok(Self {
            base_definitions: definitions_json(&data)?,
            cmdb,
            base: data,
            base_provenance: Vec::new(),
            version: 0,
        })
    }

    pub(crate) fn from_rows(rows: CmdbRows) -> Result<Self> {
        let mut data: CmdbData = from_stored(&rows.definitions, "cmdb definitions")?;
        data.cis = rows
            .cis
            .iter()
            .map(|doc| from_stored::<ConfigurationItem>(doc, "cmdb ci"))
            .collect::<Result<_>>()?;
        data.relationships = rows.relationships;
        let mut cmdb = Cmdb::import(data.clone())?;
        cmdb.restore_provenance(rows.provenance.clone())?;
        Ok(Self {
            base_definitions: rows.definitions,
            cmdb,
            base: data,
            base_provenance: rows.provenance,
            version: rows.version,
        })
    }

    /// The write that brings the stored CMDB to the current state.
    pub(crate) fn write(&self, change: &CmdbChange) -> Result<CmdbWrite> {
        let diff = self.pending();
        let data = self.cmdb.data();
        let definitions = definitions_json(data)?;
        let mut history = Vec::new();
        let definitions = (definitions != self.base_definitions).then(|| {
            history.push(HistoryRow {
                change: CmdbChangeKind::DefinitionsChanged,
                ci: None,
                detail: definitions.clone(),
            });
            definitions
        });
        let row = |ci: &ConfigurationItem| -> Result<CiRow> {
            Ok(CiRow {
                id: ci.id,
                class: ci.class.clone(),
                name: ci.name.clone(),
                doc: to_json(ci)?,
            })
        };
        let mut added_cis = Vec::with_capacity(diff.added_cis.len());
        // Added CIs keep the order the CMDB holds them in.
        let added: std::collections::HashSet<CiId> = diff.added_cis.iter().map(|c| c.id).collect();
        for ci in data.cis.iter().filter(|c| added.contains(&c.id)) {
            let r = row(ci)?;
            history.push(HistoryRow {
                change: CmdbChangeKind::CiAdded,
                ci: Some(ci.id),
                detail: r.doc.clone(),
            });
            added_cis.push(r);
        }
        let mut changed_cis = Vec::with_capacity(diff.changed_cis.len());
        for change in &diff.changed_cis {
            if let Some(ci) = self.cmdb.ci(&change.id) {
                changed_cis.push(row(ci)?);
                history.push(HistoryRow {
                    change: CmdbChangeKind::CiChanged,
                    ci: Some(change.id),
                    detail: to_json(&change.changes)?,
                });
            }
        }
        for ci in &diff.removed_cis {
            history.push(HistoryRow {
                change: CmdbChangeKind::CiRemoved,
                ci: Some(ci.id),
                detail: to_json(ci)?,
            });
        }
        let added_rels: std::collections::HashSet<&Relationship> =
            diff.added_relationships.iter().collect();
        let added_relationships: Vec<Relationship> = data
            .relationships
            .iter()
            .filter(|r| added_rels.contains(r))
            .cloned()
            .collect();
        for r in &added_relationships {
            history.push(HistoryRow {
                change: CmdbChangeKind::RelationshipAdded,
                ci: Some(r.source),
                detail: to_json(r)?,
            });
        }
        for r in &diff.removed_relationships {
            history.push(HistoryRow {
                change: CmdbChangeKind::RelationshipRemoved,
                ci: Some(r.source),
                detail: to_json(r)?,
            });
        }
        let before: BTreeMap<(CiId, &str), &ProvenanceRecord> = self
            .base_provenance
            .iter()
            .map(|p| ((p.ci, p.attribute.as_str()), p))
            .collect();
        let now = self.cmdb.provenance_records();
        let after: BTreeMap<(CiId, &str), &ProvenanceRecord> = now
            .iter()
            .map(|p| ((p.ci, p.attribute.as_str()), p))
            .collect();
        let provenance_upserts = after
            .iter()
            .filter(|(k, p)| before.get(k) != Some(p))
            .map(|(_, p)| (*p).clone())
            .collect();
        let provenance_removals = before
            .keys()
            .filter(|k| !after.contains_key(k))
            .map(|(ci, a)| (*ci, (*a).to_owned()))
            .collect();
        Ok(CmdbWrite {
            expected_version: self.version,
            definitions,
            added_cis,
            changed_cis,
            removed_cis: diff.removed_cis.iter().map(|c| c.id).collect(),
            added_relationships,
            removed_relationships: diff.removed_relationships,
            provenance_upserts,
            provenance_removals,
            history,
            at: to_nanos(change.at, "cmdb change at")?,
            actor: change.actor,
            source: change.source.clone(),
        })
    }

    /// After a successful save: what is stored is now the current state.
    pub(crate) fn saved(&mut self, version: u64) -> Result<()> {
        self.base = self.cmdb.data().clone();
        self.base_definitions = definitions_json(&self.base)?;
        self.base_provenance = self.cmdb.provenance_records();
        self.version = version;
        Ok(())
    }
}

fn definitions_json(data: &CmdbData) -> Result<String> {
    to_json(&CmdbData {
        classes: data.classes.clone(),
        relationship_types: data.relationship_types.clone(),
        rules: data.rules.clone(),
        identification_rules: data.identification_rules.clone(),
        reconciliation_rules: data.reconciliation_rules.clone(),
        source_namespaces: data.source_namespaces.clone(),
        cis: Vec::new(),
        relationships: Vec::new(),
    })
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::invalid("cmdb", vec![e.to_string()]))
}

fn from_stored<T: serde::de::DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    itsm_core::from_json(text).map_err(|e| {
        let (path, message) = match e {
            itsm_core::CoreError::Json { path, message } => (path, message),
            other => (".".to_owned(), other.to_string()),
        };
        StoreError::CorruptPayload {
            at: what.to_owned(),
            event_type: what.to_owned(),
            path,
            message,
        }
    })
}
