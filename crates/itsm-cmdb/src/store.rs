//! [`Cmdb`], the mutable store: every change validated against the classes,
//! the relationship types and the governance rules.

use std::collections::{BTreeMap, HashMap};

use itsm_core::{CiId, Validate, Violation};

use crate::classes::{At, Catalog};
use crate::governance::{Resolved, RuleMemo, check_relationship, not_allowed_message};
use crate::idhash::IdMap;
use crate::model::{
    AttributeDefinition, AttributeProvenance, CmdbData, ConfigurationItem, ImpactDirection,
    RedundancyRequirement, Relationship,
};
use crate::{CmdbError, GraphIndex};

/// The marker of a CI whose class is unknown (only while importing).
const NO_CLASS: u32 = u32::MAX;

/// What [`Cmdb::index`] hands to the index build: the store's per-place
/// arrays (see the fields of [`Cmdb`]).
pub(crate) struct Placed<'a> {
    pub(crate) data: &'a CmdbData,
    pub(crate) ids: &'a [CiId],
    pub(crate) class: &'a [u32],
    /// Whether each class is a business service.
    pub(crate) class_service: &'a [bool],
    pub(crate) redundancy: &'a [Box<[TypedRequirement]>],
    pub(crate) touching: &'a [Vec<Touch>],
    /// How many impact arcs the relationships make.
    pub(crate) arcs: u64,
}

/// A redundancy declaration resolved: `(dense type, requirement)`.
pub(crate) type TypedRequirement = (u32, RedundancyRequirement);

/// A checked CI's redundancy declarations, resolved and sorted by type.
fn resolve_redundancy(catalog: &Catalog, ci: &ConfigurationItem) -> Box<[TypedRequirement]> {
    let mut list: Vec<TypedRequirement> = ci
        .redundancy
        .iter()
        .filter_map(|r| Some((*catalog.type_index.get(&r.relationship_type)?, r.required)))
        .collect();
    list.sort_unstable_by_key(|&(ty, _)| ty);
    list.into_boxed_slice()
}

/// One relationship as one of its CIs sees it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Touch {
    /// The relationship's position in `data.relationships`.
    pub(crate) rel: u32,
    /// The place of the CI at the other end.
    pub(crate) other: u32,
    /// The relationship type's dense index shifted left by 3, with
    /// [`AS_TARGET`], [`IMPACTS`] and [`DEPENDS`] in the low bits.
    pub(crate) kind: u32,
}

/// [`Touch::kind`]: this CI is the relationship's target (else its source).
pub(crate) const AS_TARGET: u32 = 1;
/// [`Touch::kind`]: a failure of this CI travels to the other end.
pub(crate) const IMPACTS: u32 = 2;
/// [`Touch::kind`]: a failure of the other end travels to this CI.
pub(crate) const DEPENDS: u32 = 4;

/// A mutable CMDB: definitions, CIs and relationships, always valid.
///
/// Every change is checked: CIs against their class (unknown attribute,
/// wrong type, missing required attribute, bad choice, redundancy over an
/// unknown type), relationships against the governance rules (inherited
/// down the class hierarchy). A bulk [`import`](Self::import) reports every
/// problem at once. The store keeps its contents in the [`CmdbData`] layout,
/// so [`data`](Self::data) borrows them and [`export`](Self::export) clones them.
///
/// Beside them it keeps what [`index`](Self::index) needs, per CI in a
/// locality order of its own (computed at import, kept through changes,
/// computed again by [`relayout`](Self::relayout)), so that building the
/// index reads those arrays in order instead of reorganising the data.
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
    // The store knows each CI by its *place*: its rank in an order chosen
    // for locality (breadth-first over the relationships), so that
    // `index` reads every per-place array below in order and numbers the
    // index's CIs by place. `data.cis` keeps the caller's order.
    /// The place of each CI, by the `u128` of its id.
    ci_pos: IdMap<u32>,
    /// The dense class of each CI, by place.
    ci_class: Vec<u32>,
    /// The id of each CI, by place.
    place_ids: Vec<CiId>,
    /// The redundancy each CI declares, by place: `(dense type,
    /// requirement)`, sorted by type (mostly empty, which allocates nothing).
    redundancy: Vec<Box<[TypedRequirement]>>,
    /// The position in `data.cis` of each place, and the place of each position.
    pos_of_place: Vec<u32>,
    place_of_pos: Vec<u32>,
    /// `[source place, dense type, target place]` of each relationship,
    /// parallel to `data.relationships`.
    rel_ends: Vec<[u32; 3]>,
    /// Where each relationship sits in `touching` of its source and of its
    /// target, so that unlinking it is O(1) even at a CI with a million.
    rel_slots: Vec<[u32; 2]>,
    /// The relationships touching each CI (as source or target), by
    /// place, each with its other end and its type, so that
    /// [`index`](Self::index) reads each CI's neighbours in one place.
    touching: Vec<Vec<Touch>>,
    /// How many impact arcs the relationships make.
    arcs: u64,
    pub(crate) provenance: HashMap<CiId, BTreeMap<String, AttributeProvenance>>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// How relationship `rel` with ends `[source, type, target]`, whose type
/// carries failures `impact`, appears to its source and to its target.
fn touches(rel: u32, [s, t, g]: [u32; 3], impact: ImpactDirection) -> [Touch; 2] {
    let (to_target, to_source) = match impact {
        ImpactDirection::ToTarget => (true, false),
        ImpactDirection::ToSource => (false, true),
        ImpactDirection::Both => (true, true),
        _ => (false, false),
    };
    let bit = |on: bool, b: u32| if on { b } else { 0 };
    [
        Touch {
            rel,
            other: g,
            kind: (t << 3) | bit(to_target, IMPACTS) | bit(to_source, DEPENDS),
        },
        Touch {
            rel,
            other: s,
            kind: (t << 3) | AS_TARGET | bit(to_source, IMPACTS) | bit(to_target, DEPENDS),
        },
    ]
}

/// How many impact arcs a relationship seen as `touches` makes.
fn arc_count([at_source, at_target]: &[Touch; 2]) -> u64 {
    u64::from(at_source.kind & IMPACTS != 0) + u64::from(at_target.kind & IMPACTS != 0)
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
        let mut touching: Vec<Vec<Touch>> = degree
            .iter()
            .map(|&d| Vec::with_capacity(d as usize))
            .collect();
        let mut rel_slots = Vec::with_capacity(rel_ends.len());
        let mut arcs = 0u64;
        for (r, &[s, t, g]) in rel_ends.iter().enumerate() {
            rel_slots.push([
                to_u32(touching[s as usize].len()),
                to_u32(touching[g as usize].len()),
            ]);
            let both = touches(to_u32(r), [s, t, g], catalog.impact_of(t));
            arcs += arc_count(&both);
            let [at_source, at_target] = both;
            touching[s as usize].push(at_source);
            touching[g as usize].push(at_target);
        }
        // Places start as the positions; `relayout` then orders them.
        let identity: Vec<u32> = (0..data.cis.len()).map(to_u32).collect();
        let mut cmdb = Self {
            place_ids: data.cis.iter().map(|c| c.id).collect(),
            redundancy: data
                .cis
                .iter()
                .map(|c| resolve_redundancy(&catalog, c))
                .collect(),
            data,
            catalog,
            ci_pos,
            ci_class,
            pos_of_place: identity.clone(),
            place_of_pos: identity,
            rel_ends,
            rel_slots,
            touching,
            arcs,
            provenance: HashMap::new(),
        };
        cmdb.relayout();
        Ok(cmdb)
    }

    /// Orders the CIs again for locality, as [`import`](Self::import)
    /// does: breadth-first over the relationships, so that related CIs sit
    /// close together in the next [`index`](Self::index) and queries read
    /// neighbouring memory. The order is the one [`GraphIndex::build`]
    /// computes for [`data`](Self::data), so right after this call
    /// `index()` equals `GraphIndex::build(data())`.
    ///
    /// Between two calls the store keeps its order through every change (a
    /// new CI goes last, a removed CI's place goes to the last CI), so
    /// `index()` never computes an order; after many changes, call this
    /// before indexing to give queries their best layout again. It costs
    /// about as much as [`GraphIndex::build`]. The order is internal:
    /// [`data`](Self::data) keeps the CIs in the order they were given.
    pub fn relayout(&mut self) {
        let impacts: Vec<ImpactDirection> = self
            .data
            .relationship_types
            .iter()
            .map(|t| t.impact)
            .collect();
        // Numbered as `GraphIndex::build` numbers: by position in the data.
        let pos = |q: u32| self.pos_of_place[q as usize];
        let ends: Vec<[u32; 3]> = self
            .rel_ends
            .iter()
            .map(|&[s, k, g]| [pos(s), k, pos(g)])
            .collect();
        let (new_of, _) = crate::index::store_layout(self.data.cis.len(), &ends, &impacts);
        drop(ends);
        let to: Vec<u32> = self
            .pos_of_place
            .iter()
            .map(|&p| new_of[p as usize])
            .collect();
        self.move_places(&to);
    }

    /// Moves the CI at each place `q` to place `to[q]` (a permutation).
    fn move_places(&mut self, to: &[u32]) {
        let mut from = vec![0u32; to.len()];
        for (q, &t) in to.iter().enumerate() {
            from[t as usize] = to_u32(q);
        }
        let by = |q: &u32| *q as usize;
        self.ci_class = from.iter().map(|q| self.ci_class[by(q)]).collect();
        self.place_ids = from.iter().map(|q| self.place_ids[by(q)]).collect();
        self.redundancy = from
            .iter()
            .map(|q| self.redundancy[by(q)].clone())
            .collect();
        self.pos_of_place = from.iter().map(|q| self.pos_of_place[by(q)]).collect();
        for (q, &p) in self.pos_of_place.iter().enumerate() {
            self.place_of_pos[p as usize] = to_u32(q);
        }
        // Copied in the new order, so that the lists also lie in memory in
        // the order `index` reads them.
        self.touching = from
            .iter()
            .map(|q| {
                self.touching[by(q)]
                    .iter()
                    .map(|t| Touch {
                        other: to[t.other as usize],
                        ..*t
                    })
                    .collect()
            })
            .collect();
        for ends in &mut self.rel_ends {
            ends[0] = to[ends[0] as usize];
            ends[2] = to[ends[2] as usize];
        }
        for q in self.ci_pos.values_mut() {
            *q = to[*q as usize];
        }
    }

    /// Freezes the CIs and relationships into a [`GraphIndex`] for queries
    /// (impact, dependencies, root causes, cycles). It holds the graph
    /// [`GraphIndex::build`] gives for [`data`](Self::data), numbered in
    /// the store's order (see [`relayout`](Self::relayout)): the store
    /// keeps every CI's relationships with their other end and type, in
    /// that order, so the build reads its arrays in order, looks no id up
    /// and computes no order.
    ///
    /// # Errors
    /// As [`GraphIndex::build`] (only capacity limits, for data the store accepted).
    pub fn index(&self) -> Result<GraphIndex, CmdbError> {
        let class_service: Vec<bool> = self.catalog.classes.iter().map(|c| c.service).collect();
        GraphIndex::from_store(&Placed {
            data: &self.data,
            ids: &self.place_ids,
            class: &self.ci_class,
            class_service: &class_service,
            redundancy: &self.redundancy,
            touching: &self.touching,
            arcs: self.arcs,
        })
    }

    /// The CIs in the order of `data.cis`, each with its dense class.
    pub(crate) fn cis_with_class(&self) -> impl Iterator<Item = (&ConfigurationItem, u32)> + '_ {
        self.data
            .cis
            .iter()
            .zip(&self.place_of_pos)
            .map(|(ci, &q)| (ci, self.ci_class[q as usize]))
    }

    /// The CI at place `q`.
    fn ci_at(&self, q: usize) -> &ConfigurationItem {
        &self.data.cis[self.pos_of_place[q] as usize]
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

    /// The place of the CI with this id.
    fn place(&self, id: &CiId) -> Option<usize> {
        self.ci_pos.get(&id.as_u128()).map(|&p| p as usize)
    }

    /// The CI with this id.
    #[must_use]
    pub fn ci(&self, id: &CiId) -> Option<&ConfigurationItem> {
        self.place(id).map(|q| self.ci_at(q))
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
        let list: &[Touch] = self.place(id).map_or(&[], |p| self.touching[p].as_slice());
        list.iter()
            .map(|t| &self.data.relationships[t.rel as usize])
    }

    /// Whether the CI's class is a business service (it or an ancestor has `service: true`).
    #[must_use]
    pub fn is_service(&self, id: &CiId) -> bool {
        self.place(id).is_some_and(|p| {
            self.catalog
                .classes
                .get(self.ci_class[p] as usize)
                .is_some_and(|c| c.service)
        })
    }

    /// Whether the catalogue has this class.
    #[must_use]
    pub fn has_class(&self, class: &str) -> bool {
        self.catalog.class_index.contains_key(class)
    }

    /// The definition of an attribute that `class` declares or inherits
    /// (`None` for an unknown class or an undeclared attribute).
    #[must_use]
    pub fn attribute_definition(&self, class: &str, key: &str) -> Option<&AttributeDefinition> {
        let info = &self.catalog.classes[*self.catalog.class_index.get(class)? as usize];
        info.attribute_index
            .get(key)
            .map(|&k| &info.attributes[k].0)
    }

    /// Whether `key` lies in one of the
    /// [`source_namespaces`](CmdbData::source_namespaces) (`servicenow.u_rack`
    /// when `servicenow` is one): a CI of any class may carry it.
    #[must_use]
    pub fn is_source_attribute(&self, key: &str) -> bool {
        self.catalog.is_source_attribute(key)
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
        if self.place(&ci.id).is_some() {
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
        // The new CI goes last, at the same place as position.
        let q = to_u32(self.data.cis.len());
        self.ci_pos.insert(ci.id.as_u128(), q);
        self.pos_of_place.push(q);
        self.place_of_pos.push(q);
        self.place_ids.push(ci.id);
        self.redundancy.push(resolve_redundancy(&self.catalog, &ci));
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
        let Some(p) = self.place(&ci.id) else {
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
            for touch in &self.touching[p] {
                let r = touch.rel;
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
        self.redundancy[p] = resolve_redundancy(&self.catalog, &ci);
        let at = self.pos_of_place[p] as usize;
        self.data.cis[at] = ci;
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
        let Some(p) = self.place(id) else {
            return Err(CmdbError::UnknownCi { id: id.to_string() });
        };
        for touch in &self.touching[p] {
            let [s, t, g] = self.rel_ends[touch.rel as usize];
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
                    dependent: self.place_ids[dependent as usize].to_string(),
                    relationship_type: ty.name.clone(),
                });
            }
        }
        while let Some(touch) = self.touching[p].last() {
            self.remove_relationship_at(touch.rel as usize);
        }
        let last = self.data.cis.len() - 1;
        if p != last {
            // The CI at the last place moves to this one: repoint its relationships.
            self.ci_pos
                .insert(self.place_ids[last].as_u128(), to_u32(p));
            for i in 0..self.touching[last].len() {
                let touch = self.touching[last][i];
                let r = touch.rel as usize;
                // `last` is the source (side 0) or the target (side 1);
                // the other side's entry names it as its other end.
                let side = (touch.kind & AS_TARGET) as usize;
                self.rel_ends[r][side * 2] = to_u32(p);
                let slot = self.rel_slots[r][1 - side] as usize;
                self.touching[touch.other as usize][slot].other = to_u32(p);
            }
        }
        self.ci_pos.remove(&id.as_u128());
        // In `data.cis`, the last CI moves into the gap.
        let at = self.pos_of_place[p] as usize;
        let last_at = self.data.cis.len() - 1;
        if at != last_at {
            let moved = self.place_of_pos[last_at];
            self.pos_of_place[moved as usize] = to_u32(at);
            self.place_of_pos[at] = moved;
        }
        self.place_of_pos.pop();
        // Among the places, the last CI moves into the gap.
        self.ci_class.swap_remove(p);
        self.touching.swap_remove(p);
        self.place_ids.swap_remove(p);
        self.redundancy.swap_remove(p);
        self.pos_of_place.swap_remove(p);
        if let Some(&moved_at) = self.pos_of_place.get(p) {
            self.place_of_pos[moved_at as usize] = to_u32(p);
        }
        self.provenance.remove(id);
        Ok(self.data.cis.swap_remove(at))
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
            self.place(&relationship.source),
            self.place(&relationship.target),
        ) else {
            let missing = if self.place(&relationship.source).is_none() {
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
        let both = touches(r, ends, self.catalog.impact_of(t));
        self.arcs += arc_count(&both);
        let [at_source, at_target] = both;
        self.touching[s].push(at_source);
        self.touching[g].push(at_target);
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
            self.place(&relationship.source),
            self.catalog.type_index.get(&relationship.relationship_type),
            self.place(&relationship.target),
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
            .map(|t| t.rel)
            .find(|&r| self.rel_ends[r as usize] == ends)
    }

    /// Takes relationship `r` out of the list of its source (`end` 0) or
    /// target (`end` 1), in O(1).
    fn unlink(&mut self, r: usize, end: usize) {
        let ci = self.rel_ends[r][end * 2] as usize;
        let slot = self.rel_slots[r][end] as usize;
        let list = &mut self.touching[ci];
        list.swap_remove(slot);
        if let Some(moved) = list.get(slot) {
            // `ci` is `moved`'s source (side 0) or target (side 1).
            let which = (moved.kind & AS_TARGET) as usize;
            self.rel_slots[moved.rel as usize][which] = to_u32(slot);
        }
    }

    fn remove_relationship_at(&mut self, r: usize) {
        let [s, _, g] = self.rel_ends[r];
        let [at_source, at_target] = [self.rel_slots[r][0], self.rel_slots[r][1]];
        let both = [
            self.touching[s as usize][at_source as usize],
            self.touching[g as usize][at_target as usize],
        ];
        self.arcs -= arc_count(&both);
        self.unlink(r, 0);
        self.unlink(r, 1);
        let last = self.data.relationships.len() - 1;
        if r != last {
            // The last relationship moves into the gap: repoint its slots.
            let [ms, _, mg] = self.rel_ends[last];
            let [ss, sg] = self.rel_slots[last];
            self.touching[ms as usize][ss as usize].rel = to_u32(r);
            self.touching[mg as usize][sg as usize].rel = to_u32(r);
        }
        self.data.relationships.swap_remove(r);
        self.rel_ends.swap_remove(r);
        self.rel_slots.swap_remove(r);
    }
}
