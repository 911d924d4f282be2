//! [`Cmdb`], the mutable store: every change validated against the classes,
//! the relationship types and the governance rules.

use std::collections::{BTreeMap, HashMap};

use itsm_core::{CiId, Validate, Violation};

use crate::classes::{At, Catalog};
use crate::governance::{Resolved, RuleMemo, check_relationship, not_allowed_message};
use crate::idhash::IdMap;
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
    /// The position in `data.cis` of each CI, by the `u128` of its id.
    ci_pos: IdMap<u32>,
    /// The dense class of each CI, by position in `data.cis`.
    pub(crate) ci_class: Vec<u32>,
    /// `[source position, dense type, target position]` of each
    /// relationship, parallel to `data.relationships`.
    rel_ends: Vec<[u32; 3]>,
    /// Where each relationship sits in `touching` of its source and of its
    /// target, so that unlinking it is O(1) even at a CI with a million.
    rel_slots: Vec<[u32; 2]>,
    /// The relationships touching each CI (as source or target), by
    /// position in `data.cis`.
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

/// Finds a relationship type's dense index, trying the previous name first
/// (bulk data repeats it).
struct TypeLookup<'a> {
    catalog: &'a Catalog,
    last: Option<(&'a str, u32)>,
}

impl<'a> TypeLookup<'a> {
    fn get(&mut self, name: &'a str) -> Option<u32> {
        if let Some((n, t)) = self.last
            && n == name
        {
            return Some(t);
        }
        let t = *self.catalog.type_index.get(name)?;
        self.last = Some((name, t));
        Some(t)
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
        if data.cis.len() >= u32::MAX as usize || data.relationships.len() >= u32::MAX as usize {
            problems.push(Violation::new(
                ".",
                "too_large",
                "a cmdb holds fewer than 4,294,967,295 cis and as many relationships".to_owned(),
            ));
            return Err(CmdbError::Invalid { problems });
        }
        let mut ci_pos = IdMap::with_capacity_and_hasher(data.cis.len(), Default::default());
        let mut ci_class = Vec::with_capacity(data.cis.len());
        for (i, ci) in data.cis.iter().enumerate() {
            // The first occurrence of an id is the one relationships resolve to.
            if let std::collections::hash_map::Entry::Vacant(slot) = ci_pos.entry(ci.id.as_u128()) {
                slot.insert(to_u32(i));
            } else {
                problems.push(Violation::new(
                    format!("cis[{i}].id"),
                    "duplicate_ci",
                    format!("configuration item {} appears more than once", ci.id),
                ));
            }
            ci_class.push(
                catalog
                    .check_ci(ci, At::Ci(i), &mut problems)
                    .unwrap_or(NO_CLASS),
            );
        }
        let mut memo = RuleMemo::new(&catalog);
        let mut types = TypeLookup {
            catalog: &catalog,
            last: None,
        };
        let mut rel_ends: Vec<[u32; 3]> = Vec::with_capacity(data.relationships.len());
        let mut degree = vec![0u32; data.cis.len()];
        for (r, relationship) in data.relationships.iter().enumerate() {
            let source = ci_pos.get(&relationship.source.as_u128()).copied();
            let target = ci_pos.get(&relationship.target.as_u128()).copied();
            let class = |p: u32| Some(ci_class[p as usize]).filter(|&c| c != NO_CLASS);
            let resolved = Resolved {
                source: source.map(class),
                ty: types.get(&relationship.relationship_type),
                target: target.map(class),
            };
            let ok = check_relationship(
                &catalog,
                relationship,
                &resolved,
                &mut memo,
                At::Relationship(r),
                &mut problems,
            );
            match (ok, source, resolved.ty, target) {
                (true, Some(s), Some(t), Some(g)) => {
                    degree[s as usize] += 1;
                    degree[g as usize] += 1;
                    rel_ends.push([s, t, g]);
                }
                _ => rel_ends.push([u32::MAX; 3]),
            }
        }
        // Duplicates, by sorting (source, target, type, position): O(r log r)
        // whatever the shape of the graph.
        let mut keys: Vec<(u32, u32, u32, u32)> = rel_ends
            .iter()
            .enumerate()
            .filter(|(_, e)| e[0] != u32::MAX)
            .map(|(r, e)| (e[0], e[2], e[1], to_u32(r)))
            .collect();
        keys.sort_unstable();
        let mut duplicates: Vec<u32> = keys
            .windows(2)
            .filter(|w| (w[0].0, w[0].1, w[0].2) == (w[1].0, w[1].1, w[1].2))
            .map(|w| w[1].3)
            .collect();
        drop(keys);
        duplicates.sort_unstable();
        for r in duplicates {
            let relationship = &data.relationships[r as usize];
            problems.push(Violation::new(
                format!("relationships[{r}]"),
                "duplicate_relationship",
                format!(
                    "relationship {} {} {} appears more than once",
                    relationship.source, relationship.relationship_type, relationship.target
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(CmdbError::Invalid { problems });
        }
        let mut touching: Vec<Vec<u32>> = degree
            .iter()
            .map(|&d| Vec::with_capacity(d as usize))
            .collect();
        let mut rel_slots = Vec::with_capacity(rel_ends.len());
        for (r, &[s, _, g]) in rel_ends.iter().enumerate() {
            rel_slots.push([
                to_u32(touching[s as usize].len()),
                to_u32(touching[g as usize].len()),
            ]);
            touching[s as usize].push(to_u32(r));
            touching[g as usize].push(to_u32(r));
        }
        Ok(Self {
            data,
            catalog,
            ci_pos,
            ci_class,
            rel_ends,
            rel_slots,
            touching,
            provenance: HashMap::new(),
        })
    }

    /// Freezes the CIs and relationships into a [`GraphIndex`] for queries
    /// (impact, dependencies, root causes, cycles): the index
    /// [`GraphIndex::build`] gives for [`data`](Self::data), built from the
    /// positions the store already keeps, so no relationship end is looked
    /// up by id.
    ///
    /// # Errors
    /// As [`GraphIndex::build`] (only capacity limits, for data the store accepted).
    pub fn index(&self) -> Result<GraphIndex, CmdbError> {
        let class_service: Vec<bool> = self.catalog.classes.iter().map(|c| c.service).collect();
        GraphIndex::from_dense(&self.data, &self.ci_class, &class_service, &self.rel_ends)
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

    fn position(&self, id: &CiId) -> Option<usize> {
        self.ci_pos.get(&id.as_u128()).map(|&p| p as usize)
    }

    /// The CI with this id.
    #[must_use]
    pub fn ci(&self, id: &CiId) -> Option<&ConfigurationItem> {
        self.position(id).map(|p| &self.data.cis[p])
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
            .position(id)
            .map_or(&[], |p| self.touching[p].as_slice());
        list.iter().map(|&r| &self.data.relationships[r as usize])
    }

    /// Whether the CI's class is a business service (it or an ancestor has `service: true`).
    #[must_use]
    pub fn is_service(&self, id: &CiId) -> bool {
        self.position(id).is_some_and(|p| {
            self.catalog
                .classes
                .get(self.ci_class[p] as usize)
                .is_some_and(|c| c.service)
        })
    }

    /// When and by which source an attribute of a CI was last written
    /// through [`reconcile`](Self::reconcile) or [`discover`](Self::discover).
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
        if self.position(&ci.id).is_some() {
            return Err(CmdbError::DuplicateCi {
                id: ci.id.to_string(),
            });
        }
        let mut problems = Vec::new();
        let class = self.catalog.check_ci(&ci, At::Root, &mut problems);
        let Some(class) = class.filter(|_| problems.is_empty()) else {
            return Err(CmdbError::Invalid { problems });
        };
        if self.data.cis.len() >= u32::MAX as usize - 1 {
            return Err(CmdbError::Invalid {
                problems: vec![Violation::new(
                    ".",
                    "too_large",
                    "the cmdb is full".to_owned(),
                )],
            });
        }
        self.ci_pos
            .insert(ci.id.as_u128(), to_u32(self.data.cis.len()));
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
        let Some(p) = self.position(&ci.id) else {
            return Err(CmdbError::UnknownCi {
                id: ci.id.to_string(),
            });
        };
        let mut problems = Vec::new();
        let class = self.catalog.check_ci(&ci, At::Root, &mut problems);
        let Some(class) = class.filter(|_| problems.is_empty()) else {
            return Err(CmdbError::Invalid { problems });
        };
        if class != self.ci_class[p] {
            let mut memo = RuleMemo::new(&self.catalog);
            for &r in &self.touching[p] {
                let [s, t, g] = self.rel_ends[r as usize];
                let class_at = |q: u32| {
                    if q as usize == p {
                        class
                    } else {
                        self.ci_class[q as usize]
                    }
                };
                let (sc, gc) = (class_at(s), class_at(g));
                if !memo.allows(&self.catalog, sc, t, gc) {
                    let rel = &self.data.relationships[r as usize];
                    problems.push(Violation::new(
                        "class",
                        "not_allowed",
                        format!(
                            "{} (relationship {} {} {})",
                            not_allowed_message(&self.catalog, sc, &rel.relationship_type, gc),
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

    /// Removes a CI and every relationship it has, and returns it.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`]; [`CmdbError::RequiredByDependent`] when a
    /// dependent relationship requires it (a host with virtual machines
    /// `hosted_on` it): remove or move the dependents first.
    pub fn remove_ci(&mut self, id: &CiId) -> Result<ConfigurationItem, CmdbError> {
        let Some(p) = self.position(id) else {
            return Err(CmdbError::UnknownCi { id: id.to_string() });
        };
        for &r in &self.touching[p] {
            let [s, t, g] = self.rel_ends[r as usize];
            let ty = &self.catalog.types[t as usize];
            if !ty.dependent {
                continue;
            }
            let dependent = match ty.impact {
                ImpactDirection::ToSource if g as usize == p => Some(s),
                ImpactDirection::ToTarget if s as usize == p => Some(g),
                _ => None,
            };
            if let Some(dependent) = dependent {
                return Err(CmdbError::RequiredByDependent {
                    id: id.to_string(),
                    dependent: self.data.cis[dependent as usize].id.to_string(),
                    relationship_type: ty.name.clone(),
                });
            }
        }
        while let Some(&r) = self.touching[p].last() {
            self.remove_relationship_at(r as usize);
        }
        let last = self.data.cis.len() - 1;
        if p != last {
            // The last CI moves into the gap: repoint its relationships.
            self.ci_pos
                .insert(self.data.cis[last].id.as_u128(), to_u32(p));
            for &r in &self.touching[last] {
                let ends = &mut self.rel_ends[r as usize];
                for end in [0, 2] {
                    if ends[end] as usize == last {
                        ends[end] = to_u32(p);
                    }
                }
            }
        }
        self.ci_pos.remove(&id.as_u128());
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
        let (Some(s), Some(g)) = (
            self.position(&relationship.source),
            self.position(&relationship.target),
        ) else {
            let missing = if self.position(&relationship.source).is_none() {
                relationship.source
            } else {
                relationship.target
            };
            return Err(CmdbError::UnknownCi {
                id: missing.to_string(),
            });
        };
        let resolved = Resolved {
            source: Some(Some(self.ci_class[s])),
            ty: self
                .catalog
                .type_index
                .get(&relationship.relationship_type)
                .copied(),
            target: Some(Some(self.ci_class[g])),
        };
        let mut problems = Vec::new();
        let mut memo = RuleMemo::new(&self.catalog);
        if !check_relationship(
            &self.catalog,
            &relationship,
            &resolved,
            &mut memo,
            At::Root,
            &mut problems,
        ) {
            if let [only] = problems.as_slice()
                && only.rule == "not_allowed"
            {
                return Err(CmdbError::RelationshipNotAllowed {
                    source_class: self.catalog.class_name(self.ci_class[s]).to_owned(),
                    relationship_type: relationship.relationship_type,
                    target_class: self.catalog.class_name(self.ci_class[g]).to_owned(),
                });
            }
            return Err(CmdbError::Invalid { problems });
        }
        let t = resolved.ty.unwrap_or(u32::MAX);
        let ends = [to_u32(s), t, to_u32(g)];
        if self.find(ends).is_some() {
            return Err(CmdbError::Invalid {
                problems: vec![Violation::new(
                    ".",
                    "duplicate_relationship",
                    format!(
                        "relationship {} {} {} already exists",
                        relationship.source, relationship.relationship_type, relationship.target
                    ),
                )],
            });
        }
        if self.data.relationships.len() >= u32::MAX as usize - 1 {
            return Err(CmdbError::Invalid {
                problems: vec![Violation::new(
                    ".",
                    "too_large",
                    "the cmdb is full".to_owned(),
                )],
            });
        }
        let r = to_u32(self.data.relationships.len());
        self.rel_slots.push([
            to_u32(self.touching[s].len()),
            to_u32(self.touching[g].len()),
        ]);
        self.touching[s].push(r);
        self.touching[g].push(r);
        self.rel_ends.push(ends);
        self.data.relationships.push(relationship);
        Ok(())
    }

    /// Removes a relationship. Removing a dependent relationship is allowed
    /// (it is how a virtual machine moves to another host).
    ///
    /// # Errors
    /// [`CmdbError::UnknownRelationship`] if the CMDB does not hold it.
    pub fn remove_relationship(&mut self, relationship: &Relationship) -> Result<(), CmdbError> {
        let found = match (
            self.position(&relationship.source),
            self.catalog.type_index.get(&relationship.relationship_type),
            self.position(&relationship.target),
        ) {
            (Some(s), Some(&t), Some(g)) => self.find([to_u32(s), t, to_u32(g)]),
            _ => None,
        };
        let Some(r) = found else {
            return Err(CmdbError::UnknownRelationship {
                source_id: relationship.source.to_string(),
                relationship_type: relationship.relationship_type.clone(),
                target_id: relationship.target.to_string(),
            });
        };
        self.remove_relationship_at(r as usize);
        Ok(())
    }

    /// The position of the relationship with these ends, scanning the
    /// shorter of its two CIs' lists.
    fn find(&self, ends: [u32; 3]) -> Option<u32> {
        let (a, b) = (
            &self.touching[ends[0] as usize],
            &self.touching[ends[2] as usize],
        );
        let list = if a.len() <= b.len() { a } else { b };
        list.iter()
            .copied()
            .find(|&r| self.rel_ends[r as usize] == ends)
    }

    /// Takes relationship `r` out of the list of its source (`end` 0) or
    /// target (`end` 1), in O(1).
    fn unlink(&mut self, r: usize, end: usize) {
        let ci = self.rel_ends[r][end * 2] as usize;
        let slot = self.rel_slots[r][end] as usize;
        let list = &mut self.touching[ci];
        list.swap_remove(slot);
        if let Some(&moved) = list.get(slot) {
            // No relationship joins a CI to itself, so `moved` has `ci` at one end only.
            let which = usize::from(self.rel_ends[moved as usize][0] as usize != ci);
            self.rel_slots[moved as usize][which] = to_u32(slot);
        }
    }

    fn remove_relationship_at(&mut self, r: usize) {
        self.unlink(r, 0);
        self.unlink(r, 1);
        let last = self.data.relationships.len() - 1;
        if r != last {
            // The last relationship moves into the gap: repoint its slots.
            let [ms, _, mg] = self.rel_ends[last];
            let [ss, sg] = self.rel_slots[last];
            self.touching[ms as usize][ss as usize] = to_u32(r);
            self.touching[mg as usize][sg as usize] = to_u32(r);
        }
        self.data.relationships.swap_remove(r);
        self.rel_ends.swap_remove(r);
        self.rel_slots.swap_remove(r);
    }
}
