//! Governance: which relationships the rules allow, checked with the class
//! hierarchy (a rule for `server depends_on storage_device` allows
//! `linux_server depends_on storage_device`).

use std::collections::HashMap;

use itsm_core::Violation;

use crate::classes::{At, Catalog};
use crate::model::Relationship;

/// The largest answer table kept as a flat array (one byte per
/// (source class, type, target class)); larger catalogs use a map.
const TABLE_LIMIT: usize = 1 << 22;

/// Remembers the answer for each (source class, type, target class), so that
/// a bulk import of millions of relationships walks the hierarchy once per
/// distinct triple.
pub(crate) struct RuleMemo {
    classes: usize,
    types: usize,
    /// 0 = not asked yet, 1 = allowed, 2 = not allowed.
    table: Vec<u8>,
    map: HashMap<(u32, u32, u32), bool>,
    /// The allowed target classes of each (source class, type) asked about.
    targets: HashMap<(u32, u32), Vec<u32>>,
}

impl RuleMemo {
    pub(crate) fn new(catalog: &Catalog) -> Self {
        let (classes, types) = (catalog.classes.len(), catalog.types.len());
        let size = classes.saturating_mul(classes).saturating_mul(types);
        let table = if size <= TABLE_LIMIT {
            vec![0; size]
        } else {
            Vec::new()
        };
        Self {
            classes,
            types,
            table,
            map: HashMap::new(),
            targets: HashMap::new(),
        }
    }

    pub(crate) fn allows(&mut self, catalog: &Catalog, source: u32, ty: u32, target: u32) -> bool {
        let slot = (source as usize * self.types + ty as usize) * self.classes + target as usize;
        match self.table.get(slot) {
            Some(1) => return true,
            Some(2) => return false,
            Some(_) => {
                let answer = self.compute(catalog, source, ty, target);
                self.table[slot] = if answer { 1 } else { 2 };
                return answer;
            }
            None => {}
        }
        if let Some(&answer) = self.map.get(&(source, ty, target)) {
            return answer;
        }
        let answer = self.compute(catalog, source, ty, target);
        self.map.insert((source, ty, target), answer);
        answer
    }

    /// One walk up the target's ancestors (at most 64 levels) against the
    /// source's allowed targets, themselves computed once per (class, type).
    fn compute(&mut self, catalog: &Catalog, source: u32, ty: u32, target: u32) -> bool {
        let allowed = self
            .targets
            .entry((source, ty))
            .or_insert_with(|| catalog.allowed_targets(source, ty));
        catalog
            .ancestors(target)
            .any(|t| allowed.binary_search(&t).is_ok())
    }
}

/// The message of a relationship that no rule allows.
pub(crate) fn not_allowed_message(catalog: &Catalog, source: u32, ty: &str, target: u32) -> String {
    format!(
        "no rule allows {} {ty} {} (nor any rule for their ancestors)",
        catalog.class_name(source),
        catalog.class_name(target)
    )
}

/// The ends and type of a relationship, resolved by the caller. An end is
/// `None` when the CMDB does not hold the CI, `Some(None)` when it holds it
/// but its class is unknown (reported with the CI).
pub(crate) struct Resolved {
    pub(crate) source: Option<Option<u32>>,
    pub(crate) ty: Option<u32>,
    pub(crate) target: Option<Option<u32>>,
}

/// Checks one relationship: known type, known ends, not to itself, allowed
/// by a rule. Returns whether it is valid.
pub(crate) fn check_relationship(
    catalog: &Catalog,
    relationship: &Relationship,
    resolved: &Resolved,
    memo: &mut RuleMemo,
    at: At,
    problems: &mut Vec<Violation>,
) -> bool {
    let before = problems.len();
    if resolved.ty.is_none() {
        problems.push(Violation::new(
            at.path("type"),
            "unknown_relationship_type",
            format!(
                "unknown relationship type {:?}",
                relationship.relationship_type
            ),
        ));
    }
    for (field, end, id) in [
        ("source", resolved.source, &relationship.source),
        ("target", resolved.target, &relationship.target),
    ] {
        if end.is_none() {
            problems.push(Violation::new(
                at.path(field),
                "unknown_ci",
                format!("unknown configuration item {id}"),
            ));
        }
    }
    if relationship.source == relationship.target {
        problems.push(Violation::new(
            at.path("target"),
            "self_relationship",
            format!(
                "configuration item {} cannot relate to itself",
                relationship.source
            ),
        ));
    }
    if let (Some(Some(s)), Some(t), Some(Some(g))) = (resolved.source, resolved.ty, resolved.target)
        && !memo.allows(catalog, s, t, g)
    {
        problems.push(Violation::new(
            at.path(""),
            "not_allowed",
            not_allowed_message(catalog, s, &relationship.relationship_type, g),
        ));
    }
    problems.len() == before
}
