//! Governance: which relationships the rules allow, checked with the class
//! hierarchy (a rule for `server depends_on storage` allows
//! `linux_server depends_on san_volume`).

use std::collections::HashMap;

use itsm_core::{CiId, Violation};

use crate::classes::{Catalog, join};
use crate::model::Relationship;

/// Remembers the answer for each (source class, type, target class), so that
/// a bulk import of millions of relationships walks the hierarchy once per
/// distinct triple.
#[derive(Default)]
pub(crate) struct RuleMemo(HashMap<(u32, u32, u32), bool>);

impl RuleMemo {
    pub(crate) fn allows(&mut self, catalog: &Catalog, source: u32, ty: u32, target: u32) -> bool {
        *self
            .0
            .entry((source, ty, target))
            .or_insert_with(|| catalog.allows(source, ty, target))
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

/// Checks one relationship: known type, known ends, not to itself, allowed
/// by a rule. `class_of` gives the dense class of a CI the CMDB holds
/// (`u32::MAX` when its class is unknown).
/// Returns the dense type when the relationship is valid.
pub(crate) fn check_relationship(
    catalog: &Catalog,
    relationship: &Relationship,
    class_of: impl Fn(&CiId) -> Option<u32>,
    memo: &mut RuleMemo,
    prefix: &str,
    problems: &mut Vec<Violation>,
) -> Option<u32> {
    let before = problems.len();
    let ty = catalog
        .type_index
        .get(&relationship.relationship_type)
        .copied();
    if ty.is_none() {
        problems.push(Violation::new(
            join(prefix, "type"),
            "unknown_relationship_type",
            format!(
                "unknown relationship type {:?}",
                relationship.relationship_type
            ),
        ));
    }
    let mut end = |field: &str, id: &CiId| {
        let class = class_of(id);
        if class.is_none() {
            problems.push(Violation::new(
                join(prefix, field),
                "unknown_ci",
                format!("unknown configuration item {id}"),
            ));
        }
        class
    };
    let source = end("source", &relationship.source);
    let target = end("target", &relationship.target);
    if relationship.source == relationship.target {
        problems.push(Violation::new(
            join(prefix, "target"),
            "self_relationship",
            format!(
                "configuration item {} cannot relate to itself",
                relationship.source
            ),
        ));
    }
    // `u32::MAX` marks a CI whose class is unknown (reported with the CI).
    if let (Some(s), Some(t), Some(g)) = (source, ty, target)
        && s != u32::MAX
        && g != u32::MAX
        && !memo.allows(catalog, s, t, g)
    {
        problems.push(Violation::new(
            prefix.to_owned(),
            "not_allowed",
            not_allowed_message(catalog, s, &relationship.relationship_type, g),
        ));
    }
    if problems.len() == before { ty } else { None }
}
