//! [`Cmdb`], the mutable store: every change validated against the classes,
//! the relationship types and the governance rules.

use std::collections::{BTreeMap, HashMap};

use itsm_core::{CiId, Validate, Violation};

use crate::classes::Catalog;
use crate::governance::{RuleMemo, check_relationship, not_allowed_message};
use crate::model::{
    AttributeProvenance, CmdbData, ConfigurationItem, ImpactDirection, Relationship,
};
use crate::{CmdbError, GraphIndex};

/// The marker of a CI whose class is unknown (only while importing).
const NO_CLASS: u32 = u32::MAX;

/// A mutable CMDB: definitions, CIs and relationships, always valid.
///
/// Every change is checked: CIs against their class (unknown attribute,
/// wrong type, missing required attribute, bad choice, redundancy over an
/// unknown type), relationships against the governance rules (inherited
/// down the class hierarchy). A bulk [`import`](Self::import) reports every
/// problem at once. The store keeps its contents in the [`CmdbData`] layout,
/// so [`data`](Self::data) borrows them and [`export`](Self::export) clones them.
///
/// ```
/// use itsm_cmdb::{Cmdb, CmdbData, ConfigurationItem, LifecycleStatus, OperationalState, Relationship};
/// use itsm_core::CiId;
///
/// let mut cmdb = Cmdb::import(CmdbData::starter())?;
/// let ci = |id: u128, class: &str, name: &str| ConfigurationItem {
///     id: CiId::from_u128(id),
///     class: class.into(),
///     name: name.into(),
///     attributes: Default::default(),
///     lifecycle: LifecycleStatus::InUse,
///     operational_state: OperationalState::Operational,
///     redundancy: vec![],
/// };
/// cmdb.add_ci(ci(1, "application", "payroll"))?;
/// cmdb.add_ci(ci(2, "database", "payroll-db"))?;
/// cmdb.add_relationship(Relationship {
///     source: CiId::from_u128(1),
///     relationship_type: "depends_on".into(),
///     target: CiId::from_u128(2),
/// })?;
/// // The governance rules have no `database depends_on application`.
/// let refused = cmdb.add_relationship(Relationship {
///     source: CiId::from_u128(2),
///     relationship_type: "depends_on".into(),
///     target: CiId::from_u128(1),
/// });
/// assert!(refused.is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Cmdb {
    pub(crate) data: CmdbData,
    pub(crate) catalog: Catalog,
    ci_pos: HashMap<CiId, u32>,
    /// The dense class of each CI, by position in `data.cis`.
    ci_class: Vec<u32>,
    /// The positions in `data.relationships` of the relationships touching
    /// each CI (as source or target), by position in `data.cis`.
    touching: Vec<Vec<u32>>,
    pub(crate) provenance: HashMap<CiId, BTreeMap<String, AttributeProvenance>>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Validate for CmdbData {
    /// Every problem of the whole CMDB: definitions, CIs and relationships,
    /// each with its JSON path.
    fn validate(&self) -> Vec<Violation> {
        match Cmdb::import(self.clone()) {
            Ok(_) => Vec::new(),
            Err(CmdbError::Invalid { problems }) => problems,
            Err(other) => vec![Violation::new(".", "invalid", other.to_string())],
        }
    }
}

impl Cmdb {
    /// Imports a whole CMDB, checking everything: the class hierarchy (unknown
    /// parents, cycles, redeclared attributes), the relationship types, the
    /// governance, identification and reconciliation rules, every CI against
    /// its class and every relationship against the rules.
    ///
    /// # Errors
    /// [`CmdbError::Invalid`] with every problem found, each with its path
    /// (`cis[12].attributes.ram_gb`, `relationships[3]`).
    pub fn import(data: CmdbData) -> Result<Self, CmdbError> {
        let mut problems = Vec::new();
        let catalog = Catalog::compile(&data, &mut problems);
        let mut ci_pos = HashMap::with_capacity(data.cis.len());
        let mut ci_class = Vec::with_capacity(data.cis.len());
        for (i, ci) in data.cis.iter().enumerate() {
            let prefix = format!("cis[{i}]");
            // The first occurrence of an id is the one relationships resolve to.
            if let std::collections::hash_map::Entry::Vacant(slot) = ci_pos.entry(ci.id) {
                slot.insert(to_u32(i));
            } else {
                problems.push(Violation::new(
                    format!("{prefix}.id"),
                    "duplicate_ci",
                    format!("configuration item {} appears more than once", ci.id),
                ));
            }
            ci_class.push(
                catalog
                    .check_ci(ci, &prefix, &mut problems)
                    .unwrap_or(NO_CLASS),
            );
        }
        let mut touching: Vec<Vec<u32>> = vec![Vec::new(); data.cis.len()];
        let mut memo = RuleMemo::default();
        for (r, relationship) in data.relationships.iter().enumerate() {
            let prefix = format!("relationships[{r}]");
            let class_of = |id: &CiId| ci_pos.get(id).map(|&p: &u32| ci_class[p as usize]);
            if check_relationship(
                &catalog,
                relationship,
                class_of,
                &mut memo,
                &prefix,
                &mut problems,
            )
            .is_none()
            {
                continue;
            }
            let (s, t) = (
                ci_pos[&relationship.source] as usize,
                ci_pos[&relationship.target] as usize,
            );
            if find_in(&data.relationships, &touching, s, t, relationship).is_some() {
                problems.push(Violation::new(
                    prefix,
                    "duplicate_relationship",
                    format!(
                        "relationship {} {} {} appears more than once",
                        relationship.source, relationship.relationship_type, relationship.target
                    ),
                ));
                continue;
            }
            touching[s].push(to_u32(r));
            touching[t].push(to_u32(r));
        }
        if !problems.is_empty() {
            return Err(CmdbError::Invalid { problems });
        }
        Ok(Self {
            data,
            catalog,
            ci_pos,
            ci_class,
            touching,
            provenance: HashMap::new(),
        })
    }

    /// Freezes the CIs and relationships into a [`GraphIndex`] for queries
    /// (impact, dependencies, root causes, cycles). The store keeps its
    /// contents in the [`CmdbData`] layout, so this is the index build alone.
    ///
    /// # Errors
    /// As [`GraphIndex::build`] (only capacity limits, for data the store accepted).
    pub fn index(&self) -> Result<GraphIndex, CmdbError> {
        GraphIndex::build(&self.data)
    }

    /// Parses a whole CMDB from JSON and imports it.
    ///
    /// # Errors
    /// [`CmdbError::Json`] with the path of the first value that does not
    /// parse; [`CmdbError::Invalid`] as [`import`](Self::import).
    pub fn from_json(text: &str) -> Result<Self, CmdbError> {
        let data = itsm_core::from_json::<CmdbData>(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => CmdbError::Json { path, message },
            other => CmdbError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })?;
        Self::import(data)
    }

    /// The whole CMDB as pretty-printed JSON (the form [`from_json`](Self::from_json) reads).
    ///
    /// # Errors
    /// [`CmdbError::Json`] if serialisation fails (it does not for data the
    /// store accepted).
    pub fn to_json(&self) -> Result<String, CmdbError> {
        serde_json::to_string_pretty(&self.data).map_err(|e| CmdbError::Json {
            path: ".".to_owned(),
            message: e.to_string(),
        })
    }

    /// The whole CMDB as data (a snapshot): export(import(x)) == x.
    #[must_use]
    pub fn export(&self) -> CmdbData {
        self.data.clone()
    }

    /// The store's contents, borrowed. CIs and relationships are in insertion
    /// order, except that a removal moves the last item into the gap.
    #[must_use]
    pub fn data(&self) -> &CmdbData {
        &self.data
    }

    /// The CI with this id.
    #[must_use]
    pub fn ci(&self, id: &CiId) -> Option<&ConfigurationItem> {
        self.ci_pos.get(id).map(|&p| &self.data.cis[p as usize])
    }

    /// The number of CIs.
    #[must_use]
    pub fn ci_count(&self) -> usize {
        self.data.cis.len()
    }

    /// The number of relationships.
    #[must_use]
    pub fn relationship_count(&self) -> usize {
        self.data.relationships.len()
    }

    /// The relationships of which this CI is the source or the target.
    pub fn relationships_of(&self, id: &CiId) -> impl Iterator<Item = &Relationship> + '_ {
        let list: &[u32] = self
            .ci_pos
            .get(id)
            .map_or(&[], |&p| self.touching[p as usize].as_slice());
        list.iter().map(|&r| &self.data.relationships[r as usize])
    }

    /// Whether the CI's class is a business service (it or an ancestor has `service: true`).
    #[must_use]
    pub fn is_service(&self, id: &CiId) -> bool {
        let Some(&p) = self.ci_pos.get(id) else {
            return false;
        };
        self.catalog
            .classes
            .get(self.ci_class[p as usize] as usize)
            .is_some_and(|c| c.service)
    }

    /// When and by which source an attribute of a CI was last written
    /// through [`reconcile`](Self::reconcile).
    #[must_use]
    pub fn provenance(&self, id: &CiId, attribute: &str) -> Option<&AttributeProvenance> {
        self.provenance.get(id).and_then(|m| m.get(attribute))
    }

    /// Adds a CI.
    ///
    /// # Errors
    /// [`CmdbError::DuplicateCi`] if its id is taken; [`CmdbError::Invalid`]
    /// with every problem of the CI against its class.
    pub fn add_ci(&mut self, ci: ConfigurationItem) -> Result<(), CmdbError> {
        if self.ci_pos.contains_key(&ci.id) {
            return Err(CmdbError::DuplicateCi {
                id: ci.id.to_string(),
            });
        }
        let mut problems = Vec::new();
        let class = self.catalog.check_ci(&ci, "", &mut problems);
        let Some(class) = class.filter(|_| problems.is_empty()) else {
            return Err(CmdbError::Invalid { problems });
        };
        self.ci_pos.insert(ci.id, to_u32(self.data.cis.len()));
        self.data.cis.push(ci);
        self.ci_class.push(class);
        self.touching.push(Vec::new());
        Ok(())
    }

    /// Replaces the CI with the same id. A change of class is checked
    /// against the governance rules for every relationship of the CI.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`]; [`CmdbError::Invalid`] with every problem
    /// (the CI against its class, and relationships the new class breaks).
    pub fn update_ci(&mut self, ci: ConfigurationItem) -> Result<(), CmdbError> {
        let Some(&p) = self.ci_pos.get(&ci.id) else {
            return Err(CmdbError::UnknownCi {
                id: ci.id.to_string(),
            });
        };
        let p = p as usize;
        let mut problems = Vec::new();
        let class = self.catalog.check_ci(&ci, "", &mut problems);
        let Some(class) = class.filter(|_| problems.is_empty()) else {
            return Err(CmdbError::Invalid { problems });
        };
        if class != self.ci_class[p] {
            let mut memo = RuleMemo::default();
            for &r in &self.touching[p] {
                let rel = &self.data.relationships[r as usize];
                let class_of = |id: &CiId| {
                    if *id == ci.id {
                        class
                    } else {
                        self.class_at(id)
                    }
                };
                let ty = self.catalog.type_index[&rel.relationship_type];
                let (s, t) = (class_of(&rel.source), class_of(&rel.target));
                if !memo.allows(&self.catalog, s, ty, t) {
                    problems.push(Violation::new(
                        "class",
                        "not_allowed",
                        format!(
                            "{} (relationship {} {} {})",
                            not_allowed_message(&self.catalog, s, &rel.relationship_type, t),
                            rel.source,
                            rel.relationship_type,
                            rel.target
                        ),
                    ));
                }
            }
            if !problems.is_empty() {
                return Err(CmdbError::Invalid { problems });
            }
        }
        if let Some(provenance) = self.provenance.get_mut(&ci.id) {
            provenance.retain(|attribute, _| ci.attributes.contains_key(attribute));
        }
        self.data.cis[p] = ci;
        self.ci_class[p] = class;
        Ok(())
    }

    fn class_at(&self, id: &CiId) -> u32 {
        self.ci_pos
            .get(id)
            .map_or(NO_CLASS, |&p| self.ci_class[p as usize])
    }

    /// Removes a CI and every relationship it has, and returns it.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`]; [`CmdbError::RequiredByDependent`] when a
    /// dependent relationship requires it (a host with virtual machines
    /// `hosted_on` it): remove or move the dependents first.
    pub fn remove_ci(&mut self, id: &CiId) -> Result<ConfigurationItem, CmdbError> {
        let Some(&p) = self.ci_pos.get(id) else {
            return Err(CmdbError::UnknownCi { id: id.to_string() });
        };
        let p = p as usize;
        for &r in &self.touching[p] {
            let rel = &self.data.relationships[r as usize];
            let ty = &self.catalog.types[self.catalog.type_index[&rel.relationship_type] as usize];
            if !ty.dependent {
                continue;
            }
            let dependent = match ty.impact {
                ImpactDirection::ToSource if rel.target == *id => Some(rel.source),
                ImpactDirection::ToTarget if rel.source == *id => Some(rel.target),
                _ => None,
            };
            if let Some(dependent) = dependent {
                return Err(CmdbError::RequiredByDependent {
                    id: id.to_string(),
                    dependent: dependent.to_string(),
                    relationship_type: ty.name.clone(),
                });
            }
        }
        while let Some(&r) = self.touching[p].last() {
            self.remove_relationship_at(r as usize);
        }
        let last = self.data.cis.len() - 1;
        if p != last {
            let moved = self.data.cis[last].id;
            self.ci_pos.insert(moved, to_u32(p));
        }
        self.ci_pos.remove(id);
        self.ci_class.swap_remove(p);
        self.touching.swap_remove(p);
        self.provenance.remove(id);
        Ok(self.data.cis.swap_remove(p))
    }

    /// Adds a relationship.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for an end the CMDB does not hold;
    /// [`CmdbError::RelationshipNotAllowed`] when no governance rule allows it
    /// (for the classes or any of their ancestors); [`CmdbError::Invalid`] for
    /// an unknown type, a relationship of a CI to itself, or a duplicate.
    pub fn add_relationship(&mut self, relationship: Relationship) -> Result<(), CmdbError> {
        for id in [&relationship.source, &relationship.target] {
            if !self.ci_pos.contains_key(id) {
                return Err(CmdbError::UnknownCi { id: id.to_string() });
            }
        }
        let mut problems = Vec::new();
        let class_of = |id: &CiId| Some(self.class_at(id));
        let checked = check_relationship(
            &self.catalog,
            &relationship,
            class_of,
            &mut RuleMemo::default(),
            "",
            &mut problems,
        );
        if checked.is_none() {
            if let [only] = problems.as_slice()
                && only.rule == "not_allowed"
            {
                return Err(CmdbError::RelationshipNotAllowed {
                    source_class: self
                        .catalog
                        .class_name(self.class_at(&relationship.source))
                        .to_owned(),
                    relationship_type: relationship.relationship_type,
                    target_class: self
                        .catalog
                        .class_name(self.class_at(&relationship.target))
                        .to_owned(),
                });
            }
            return Err(CmdbError::Invalid { problems });
        }
        let s = self.ci_pos[&relationship.source] as usize;
        let t = self.ci_pos[&relationship.target] as usize;
        if find_in(
            &self.data.relationships,
            &self.touching,
            s,
            t,
            &relationship,
        )
        .is_some()
        {
            return Err(CmdbError::Invalid {
                problems: vec![Violation::new(
                    "",
                    "duplicate_relationship",
                    format!(
                        "relationship {} {} {} already exists",
                        relationship.source, relationship.relationship_type, relationship.target
                    ),
                )],
            });
        }
        let r = to_u32(self.data.relationships.len());
        self.touching[s].push(r);
        self.touching[t].push(r);
        self.data.relationships.push(relationship);
        Ok(())
    }

    /// Removes a relationship. Removing a dependent relationship is allowed
    /// (it is how a virtual machine moves to another host).
    ///
    /// # Errors
    /// [`CmdbError::UnknownRelationship`] if the CMDB does not hold it.
    pub fn remove_relationship(&mut self, relationship: &Relationship) -> Result<(), CmdbError> {
        let unknown = || CmdbError::UnknownRelationship {
            source_id: relationship.source.to_string(),
            relationship_type: relationship.relationship_type.clone(),
            target_id: relationship.target.to_string(),
        };
        let (Some(&s), Some(&t)) = (
            self.ci_pos.get(&relationship.source),
            self.ci_pos.get(&relationship.target),
        ) else {
            return Err(unknown());
        };
        let r = find_in(
            &self.data.relationships,
            &self.touching,
            s as usize,
            t as usize,
            relationship,
        )
        .ok_or_else(unknown)?;
        self.remove_relationship_at(r as usize);
        Ok(())
    }

    fn remove_relationship_at(&mut self, r: usize) {
        let rel = &self.data.relationships[r];
        let (s, t) = (
            self.ci_pos[&rel.source] as usize,
            self.ci_pos[&rel.target] as usize,
        );
        let r32 = to_u32(r);
        for end in [s, t] {
            self.touching[end].retain(|&x| x != r32);
        }
        let last = self.data.relationships.len() - 1;
        if r != last {
            let moved = &self.data.relationships[last];
            let (ms, mt) = (
                self.ci_pos[&moved.source] as usize,
                self.ci_pos[&moved.target] as usize,
            );
            let last32 = to_u32(last);
            for end in [ms, mt] {
                for x in &mut self.touching[end] {
                    if *x == last32 {
                        *x = r32;
                    }
                }
            }
        }
        self.data.relationships.swap_remove(r);
    }
}

/// The position of `relationship` among those touching CI positions `s` and
/// `t`, scanning the shorter list.
fn find_in(
    all: &[Relationship],
    touching: &[Vec<u32>],
    s: usize,
    t: usize,
    relationship: &Relationship,
) -> Option<u32> {
    let list = if touching[s].len() <= touching[t].len() {
        &touching[s]
    } else {
        &touching[t]
    };
    list.iter()
        .copied()
        .find(|&r| all[r as usize] == *relationship)
}
