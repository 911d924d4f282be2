//! Snapshots and their difference: CIs and relationships added, removed and
//! changed (attribute by attribute) between two states.

use std::collections::{BTreeMap, BTreeSet};

use itsm_core::{CiId, FieldValue};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::model::{CmdbData, ConfigurationItem, Relationship};

/// One changed field of a CI.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FieldChange {
    /// The field: `name`, `class`, `lifecycle`, `operational_state`,
    /// `redundancy`, or `attributes.<key>` for an attribute.
    pub field: String,
    /// Its value before; `None` for an attribute that was not set.
    #[serde(default)]
    pub before: Option<FieldValue>,
    /// Its value after; `None` for an attribute that is no longer set.
    #[serde(default)]
    pub after: Option<FieldValue>,
}

/// A CI present in both states with different contents.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CiChange {
    /// The CI.
    pub id: CiId,
    /// What changed: the fixed fields in the order `name`, `class`,
    /// `lifecycle`, `operational_state`, `redundancy`, then attributes by key.
    pub changes: Vec<FieldChange>,
}

/// The difference between two states of a CMDB. Every list is in a
/// deterministic order: CIs by id, relationships by (source, type, target).
/// Definitions (classes, types, rules) are not compared.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CmdbDiff {
    /// CIs only in the second state.
    #[serde(default)]
    pub added_cis: Vec<ConfigurationItem>,
    /// CIs only in the first state.
    #[serde(default)]
    pub removed_cis: Vec<ConfigurationItem>,
    /// CIs in both states, changed.
    #[serde(default)]
    pub changed_cis: Vec<CiChange>,
    /// Relationships only in the second state.
    #[serde(default)]
    pub added_relationships: Vec<Relationship>,
    /// Relationships only in the first state.
    #[serde(default)]
    pub removed_relationships: Vec<Relationship>,
}

fn to_field<T: Serialize>(value: &T) -> FieldValue {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

fn from_field<T: DeserializeOwned>(
    id: &CiId,
    field: &str,
    value: Option<&FieldValue>,
) -> Result<T, CmdbError> {
    let invalid = |message: String| CmdbError::Json {
        path: format!("changed_cis[{id}].{field}"),
        message,
    };
    let value = value.ok_or_else(|| invalid("the new value is missing".to_owned()))?;
    let json = serde_json::to_value(value).map_err(|e| invalid(e.to_string()))?;
    serde_json::from_value(json).map_err(|e| invalid(e.to_string()))
}

/// References to `items` sorted by key; of items with equal keys, the last one.
fn sorted<'a, T, K: Ord>(items: &'a [T], key: impl Fn(&'a T) -> K) -> Vec<&'a T> {
    let mut keyed: Vec<(K, std::cmp::Reverse<usize>, &T)> = items
        .iter()
        .enumerate()
        .map(|(i, t)| (key(t), std::cmp::Reverse(i), t))
        .collect();
    // Equal keys sort by descending position: the last occurrence comes first.
    keyed.sort_unstable_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    keyed.dedup_by(|a, b| a.0 == b.0);
    keyed.into_iter().map(|(_, _, t)| t).collect()
}

enum Side<'a, T> {
    Before(&'a T),
    After(&'a T),
    Both(&'a T, &'a T),
}

/// Walks two key-sorted lists together, in key order.
fn merge<'a, T, K: Ord>(
    before: &[&'a T],
    after: &[&'a T],
    key: impl Fn(&'a T) -> K,
    mut visit: impl FnMut(Side<'a, T>),
) {
    let (mut i, mut j) = (0, 0);
    while i < before.len() || j < after.len() {
        let order = match (before.get(i), after.get(j)) {
            (Some(a), Some(b)) => key(a).cmp(&key(b)),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match order {
            std::cmp::Ordering::Less => {
                visit(Side::Before(before[i]));
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                visit(Side::After(after[j]));
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                visit(Side::Both(before[i], after[j]));
                i += 1;
                j += 1;
            }
        }
    }
}

fn relationship_key(r: &Relationship) -> (CiId, &str, CiId) {
    (r.source, r.relationship_type.as_str(), r.target)
}

fn ci_changes(before: &ConfigurationItem, after: &ConfigurationItem) -> Vec<FieldChange> {
    let mut changes = Vec::new();
    let mut fixed = |field: &str, a: FieldValue, b: FieldValue| {
        if a != b {
            changes.push(FieldChange {
                field: field.to_owned(),
                before: Some(a),
                after: Some(b),
            });
        }
    };
    fixed("name", to_field(&before.name), to_field(&after.name));
    fixed("class", to_field(&before.class), to_field(&after.class));
    fixed(
        "lifecycle",
        to_field(&before.lifecycle),
        to_field(&after.lifecycle),
    );
    fixed(
        "operational_state",
        to_field(&before.operational_state),
        to_field(&after.operational_state),
    );
    fixed(
        "redundancy",
        to_field(&before.redundancy),
        to_field(&after.redundancy),
    );
    let keys: BTreeSet<&String> = before
        .attributes
        .keys()
        .chain(after.attributes.keys())
        .collect();
    for key in keys {
        let (a, b) = (before.attributes.get(key), after.attributes.get(key));
        if a != b {
            changes.push(FieldChange {
                field: format!("attributes.{key}"),
                before: a.cloned(),
                after: b.cloned(),
            });
        }
    }
    changes
}

impl CmdbDiff {
    /// What changed from `before` to `after`.
    #[must_use]
    pub fn between(before: &CmdbData, after: &CmdbData) -> Self {
        let mut diff = Self::default();
        let (old, new) = (sorted(&before.cis, |c| c.id), sorted(&after.cis, |c| c.id));
        merge(
            &old,
            &new,
            |c| c.id,
            |side| match side {
                Side::Before(c) => diff.removed_cis.push(c.clone()),
                Side::After(c) => diff.added_cis.push(c.clone()),
                Side::Both(was, now) => {
                    if was != now {
                        let changes = ci_changes(was, now);
                        if !changes.is_empty() {
                            diff.changed_cis.push(CiChange {
                                id: now.id,
                                changes,
                            });
                        }
                    }
                }
            },
        );
        let old = sorted(&before.relationships, relationship_key);
        let new = sorted(&after.relationships, relationship_key);
        merge(&old, &new, relationship_key, |side| match side {
            Side::Before(r) => diff.removed_relationships.push(r.clone()),
            Side::After(r) => diff.added_relationships.push(r.clone()),
            Side::Both(..) => {}
        });
        diff
    }

    /// Whether nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.added_cis.is_empty()
            && self.removed_cis.is_empty()
            && self.changed_cis.is_empty()
            && self.added_relationships.is_empty()
            && self.removed_relationships.is_empty()
    }

    /// Applies the difference to `data` (which should be the `before` state):
    /// removals first, then changes, then additions appended in the diff's
    /// order. Nothing is validated against the definitions: import the
    /// result into a [`Cmdb`](crate::Cmdb) for that.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] when a removed or changed CI is missing,
    /// [`CmdbError::DuplicateCi`] when an added one exists,
    /// [`CmdbError::UnknownRelationship`] when a removed relationship is
    /// missing, [`CmdbError::Json`] when a change names an unknown field or
    /// carries a value of the wrong shape. `data` is unchanged on error.
    pub fn apply(&self, data: &mut CmdbData) -> Result<(), CmdbError> {
        let mut out = data.clone();
        let removed: BTreeSet<CiId> = self.removed_cis.iter().map(|c| c.id).collect();
        let present: BTreeSet<CiId> = out.cis.iter().map(|c| c.id).collect();
        if let Some(missing) = removed.iter().find(|id| !present.contains(id)) {
            return Err(CmdbError::UnknownCi {
                id: missing.to_string(),
            });
        }
        out.cis.retain(|c| !removed.contains(&c.id));
        let held: BTreeSet<_> = data.relationships.iter().map(relationship_key).collect();
        if let Some(r) = self
            .removed_relationships
            .iter()
            .find(|r| !held.contains(&relationship_key(r)))
        {
            return Err(CmdbError::UnknownRelationship {
                source_id: r.source.to_string(),
                relationship_type: r.relationship_type.clone(),
                target_id: r.target.to_string(),
            });
        }
        let gone: BTreeSet<_> = self
            .removed_relationships
            .iter()
            .map(relationship_key)
            .collect();
        out.relationships
            .retain(|r| !gone.contains(&relationship_key(r)));
        let position: BTreeMap<CiId, usize> =
            out.cis.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        for change in &self.changed_cis {
            let &i = position
                .get(&change.id)
                .ok_or_else(|| CmdbError::UnknownCi {
                    id: change.id.to_string(),
                })?;
            let ci = &mut out.cis[i];
            for field in &change.changes {
                let after = field.after.as_ref();
                match field.field.as_str() {
                    "name" => ci.name = from_field(&ci.id, "name", after)?,
                    "class" => ci.class = from_field(&ci.id, "class", after)?,
                    "lifecycle" => ci.lifecycle = from_field(&ci.id, "lifecycle", after)?,
                    "operational_state" => {
                        ci.operational_state = from_field(&ci.id, "operational_state", after)?
                    }
                    "redundancy" => ci.redundancy = from_field(&ci.id, "redundancy", after)?,
                    other => {
                        let Some(key) = other.strip_prefix("attributes.") else {
                            return Err(CmdbError::Json {
                                path: format!("changed_cis[{}].field", ci.id),
                                message: format!("unknown field {other:?}"),
                            });
                        };
                        match after {
                            Some(value) => ci.attributes.insert(key.to_owned(), value.clone()),
                            None => ci.attributes.remove(key),
                        };
                    }
                }
            }
        }
        for ci in &self.added_cis {
            if position.contains_key(&ci.id) {
                return Err(CmdbError::DuplicateCi {
                    id: ci.id.to_string(),
                });
            }
            out.cis.push(ci.clone());
        }
        out.relationships
            .extend(self.added_relationships.iter().cloned());
        *data = out;
        Ok(())
    }
}
