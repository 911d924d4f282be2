//! The compiled definitions of a CMDB: the class hierarchy with its
//! inherited attributes, the relationship types and the rules, validated
//! together and turned into dense tables.

use std::collections::HashMap;

use itsm_core::{FieldValue, Violation};

use crate::model::{
    AttributeDefinition, AttributeType, CmdbData, ConfigurationItem, IdentificationRule,
    ImpactDirection, ReconciliationRule, RedundancyRequirement, RelationshipType,
};

/// How many levels a class hierarchy may have (ServiceNow's deepest is
/// about ten). The bound keeps every walk up the hierarchy short.
const MAX_DEPTH: usize = 64;

/// One class, compiled.
#[derive(Clone, Debug)]
pub(crate) struct ClassInfo {
    pub(crate) name: String,
    /// The parent's dense index; `None` for a root (and for a class whose
    /// declared parent is unknown or part of a cycle: those are reported).
    pub(crate) parent: Option<u32>,
    /// Every attribute it declares or inherits, with the class that declares it.
    pub(crate) attributes: Vec<(AttributeDefinition, u32)>,
    pub(crate) attribute_index: HashMap<String, usize>,
    /// Whether it or an ancestor is flagged `service`.
    pub(crate) service: bool,
    /// The identification rule it uses (its own or the nearest ancestor's).
    pub(crate) identification: Option<usize>,
}

/// Validated, dense definitions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Catalog {
    pub(crate) class_index: HashMap<String, u32>,
    pub(crate) classes: Vec<ClassInfo>,
    pub(crate) type_index: HashMap<String, u32>,
    pub(crate) types: Vec<RelationshipType>,
    /// Governance rules as (source class, type, target class).
    pub(crate) rules: std::collections::HashSet<(u32, u32, u32)>,
    /// The target classes the rules name, by (source class, type).
    pub(crate) rule_targets: HashMap<(u32, u32), Vec<u32>>,
    pub(crate) identification_rules: Vec<IdentificationRule>,
    /// Reconciliation rules by (class, attribute or `None` for all).
    pub(crate) reconciliation: HashMap<(u32, Option<String>), ReconciliationRule>,
    /// The source namespaces (`servicenow`), without their dot.
    pub(crate) source_namespaces: Vec<String>,
}

fn push(problems: &mut Vec<Violation>, path: String, rule: &str, message: String) {
    problems.push(Violation::new(path, rule, message));
}

/// Where a checked item sits in the data, for the paths of its problems.
#[derive(Clone, Copy, Debug)]
pub(crate) enum At {
    /// A single item outside any list (a CI passed to `add_ci`).
    Root,
    /// `cis[i]`.
    Ci(usize),
    /// `relationships[i]`.
    Relationship(usize),
}

impl At {
    /// The path of `field` of the item (the item itself for an empty field).
    pub(crate) fn path(self, field: &str) -> String {
        let item = match self {
            Self::Root if field.is_empty() => return ".".to_owned(),
            Self::Root => return field.to_owned(),
            Self::Ci(i) => format!("cis[{i}]"),
            Self::Relationship(i) => format!("relationships[{i}]"),
        };
        join(&item, field)
    }
}

/// `prefix.field`, `field` when the prefix is empty, `prefix` when the field is.
pub(crate) fn join(prefix: &str, field: &str) -> String {
    if field.is_empty() {
        prefix.to_owned()
    } else if prefix.is_empty() {
        field.to_owned()
    } else {
        format!("{prefix}.{field}")
    }
}

impl Catalog {
    /// Compiles the definitions of `data` (not its CIs or relationships),
    /// appending every problem found. The catalog is usable even when
    /// problems were found: bad entries are left out.
    pub(crate) fn compile(data: &CmdbData, problems: &mut Vec<Violation>) -> Self {
        let mut catalog = Self::default();
        catalog.compile_classes(data, problems);
        catalog.compile_types(data, problems);
        catalog.compile_rules(data, problems);
        catalog.compile_identification(data, problems);
        catalog.compile_reconciliation(data, problems);
        catalog.compile_namespaces(data, problems);
        catalog
    }

    fn compile_namespaces(&mut self, data: &CmdbData, problems: &mut Vec<Violation>) {
        for (i, name) in data.source_namespaces.iter().enumerate() {
            let path = format!("source_namespaces[{i}]");
            let bad = name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bad {
                push(
                    problems,
                    path,
                    "invalid_namespace",
                    format!(
                        "source namespace {name:?} is not a word of letters, digits, '_' or '-' (\"servicenow\")"
                    ),
                );
            } else if self.source_namespaces.contains(name) {
                push(
                    problems,
                    path,
                    "duplicate_namespace",
                    format!("source namespace {name:?} is listed more than once"),
                );
            } else {
                self.source_namespaces.push(name.clone());
            }
        }
    }

    /// Whether `key` lies in a source namespace (`servicenow.u_rack`).
    pub(crate) fn is_source_attribute(&self, key: &str) -> bool {
        key.split_once('.').is_some_and(|(namespace, rest)| {
            !rest.is_empty() && self.source_namespaces.iter().any(|n| n == namespace)
        })
    }

    fn compile_classes(&mut self, data: &CmdbData, problems: &mut Vec<Violation>) {
        // Names first, so that parents can be declared after their children.
        let mut declared: Vec<Option<u32>> = Vec::with_capacity(data.classes.len());
        for (i, class) in data.classes.iter().enumerate() {
            if class.name.trim().is_empty() {
                push(
                    problems,
                    format!("classes[{i}].name"),
                    "empty_name",
                    "a class needs a name".to_owned(),
                );
                declared.push(None);
                continue;
            }
            if self.class_index.contains_key(&class.name) {
                push(
                    problems,
                    format!("classes[{i}].name"),
                    "duplicate_class",
                    format!("class {:?} is declared more than once", class.name),
                );
                declared.push(None);
                continue;
            }
            let dense = u32::try_from(self.classes.len()).unwrap_or(u32::MAX);
            self.class_index.insert(class.name.clone(), dense);
            self.classes.push(ClassInfo {
                name: class.name.clone(),
                parent: None,
                attributes: Vec::new(),
                attribute_index: HashMap::new(),
                service: class.service,
                identification: None,
            });
            declared.push(Some(dense));
        }
        // Source index of each dense class, for paths.
        let mut source_of = vec![0usize; self.classes.len()];
        for (i, dense) in declared.iter().enumerate() {
            if let Some(d) = dense {
                source_of[*d as usize] = i;
            }
        }
        // Parents.
        let mut parent: Vec<Option<u32>> = vec![None; self.classes.len()];
        for (d, &i) in source_of.iter().enumerate() {
            let class = &data.classes[i];
            if let Some(p) = &class.parent {
                match self.class_index.get(p) {
                    Some(&pd) => parent[d] = Some(pd),
                    None => push(
                        problems,
                        format!("classes[{i}].parent"),
                        "unknown_parent",
                        format!("class {:?} names an unknown parent class {p:?}", class.name),
                    ),
                }
            }
        }
        // Cycles, iteratively: walk up from each unvisited class; 0 = new,
        // 1 = on the current walk, 2 = done.
        let n = self.classes.len();
        let mut state = vec![0u8; n];
        let mut walk: Vec<usize> = Vec::new();
        for start in 0..n {
            if state[start] != 0 {
                continue;
            }
            walk.clear();
            let mut at = Some(start);
            while let Some(c) = at {
                match state[c] {
                    0 => {
                        state[c] = 1;
                        walk.push(c);
                        at = parent[c].map(|p| p as usize);
                    }
                    1 => {
                        // A cycle: from c's position on the walk to its end.
                        let from = walk.iter().position(|&w| w == c).unwrap_or(0);
                        let members: Vec<usize> = walk[from..].to_vec();
                        let mut names: Vec<&str> = members
                            .iter()
                            .map(|&m| self.classes[m].name.as_str())
                            .collect();
                        names.push(self.classes[c].name.as_str());
                        push(
                            problems,
                            format!("classes[{}].parent", source_of[c]),
                            "class_cycle",
                            format!("the class hierarchy has a cycle: {}", names.join(" → ")),
                        );
                        // Break it so that every later walk up terminates.
                        parent[c] = None;
                        at = None;
                    }
                    _ => at = None,
                }
            }
            for &w in &walk {
                state[w] = 2;
            }
        }
        for (d, p) in parent.iter().enumerate() {
            self.classes[d].parent = *p;
        }
        // Depths, in O(n): walk up to a class of known depth, then assign
        // depths down the walked path. A class `MAX_DEPTH` levels down is cut
        // from its parent (and reported), so every walk up stays short.
        const UNKNOWN: usize = usize::MAX;
        let mut depth = vec![UNKNOWN; n];
        for start in 0..n {
            walk.clear();
            let mut at = Some(start);
            let mut level = 0;
            while let Some(c) = at {
                if depth[c] != UNKNOWN {
                    level = depth[c] + 1;
                    break;
                }
                walk.push(c);
                at = parent[c].map(|p| p as usize);
            }
            for &c in walk.iter().rev() {
                if level == MAX_DEPTH {
                    parent[c] = None;
                    self.classes[c].parent = None;
                    push(
                        problems,
                        format!("classes[{}].parent", source_of[c]),
                        "hierarchy_too_deep",
                        format!(
                            "class {:?} is nested {MAX_DEPTH} levels below a root class: at most {} are supported",
                            self.classes[c].name,
                            MAX_DEPTH - 1
                        ),
                    );
                    level = 0;
                }
                depth[c] = level;
                level += 1;
            }
        }
        // Attributes, parents before children.
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&d| depth[d]);
        for d in order {
            let i = source_of[d];
            let mut attributes = match parent[d] {
                Some(p) => self.classes[p as usize].attributes.clone(),
                None => Vec::new(),
            };
            let mut index: HashMap<String, usize> = attributes
                .iter()
                .enumerate()
                .map(|(k, (a, _))| (a.name.clone(), k))
                .collect();
            for (k, attribute) in data.classes[i].attributes.iter().enumerate() {
                let path = format!("classes[{i}].attributes[{k}]");
                if attribute.name.trim().is_empty() {
                    push(
                        problems,
                        join(&path, "name"),
                        "empty_name",
                        "an attribute needs a name".to_owned(),
                    );
                    continue;
                }
                if let Some(&existing) = index.get(&attribute.name) {
                    let owner = attributes[existing].1;
                    let (rule, message) = if owner as usize == d {
                        (
                            "duplicate_attribute",
                            format!("attribute {:?} is declared twice", attribute.name),
                        )
                    } else {
                        (
                            "redeclared_attribute",
                            format!(
                                "attribute {:?} is already inherited from class {:?}",
                                attribute.name, self.classes[owner as usize].name
                            ),
                        )
                    };
                    push(problems, join(&path, "name"), rule, message);
                    continue;
                }
                if let AttributeType::Choice { values } = &attribute.value_type
                    && values.is_empty()
                {
                    push(
                        problems,
                        join(&path, "type.values"),
                        "empty_choice",
                        format!("choice attribute {:?} offers no values", attribute.name),
                    );
                }
                index.insert(attribute.name.clone(), attributes.len());
                attributes.push((attribute.clone(), d as u32));
            }
            if let Some(p) = parent[d] {
                self.classes[d].service |= self.classes[p as usize].service;
            }
            self.classes[d].attributes = attributes;
            self.classes[d].attribute_index = index;
        }
    }

    fn compile_types(&mut self, data: &CmdbData, problems: &mut Vec<Violation>) {
        for (i, ty) in data.relationship_types.iter().enumerate() {
            let path = format!("relationship_types[{i}]");
            if ty.name.trim().is_empty() {
                push(
                    problems,
                    join(&path, "name"),
                    "empty_name",
                    "a relationship type needs a name".to_owned(),
                );
                continue;
            }
            if self.type_index.contains_key(&ty.name) {
                push(
                    problems,
                    join(&path, "name"),
                    "duplicate_relationship_type",
                    format!("relationship type {:?} is declared more than once", ty.name),
                );
                continue;
            }
            for (field, value) in [("forward", &ty.forward), ("reverse", &ty.reverse)] {
                if value.trim().is_empty() {
                    push(
                        problems,
                        join(&path, field),
                        "empty_name",
                        format!("relationship type {:?} needs a {field} name", ty.name),
                    );
                }
            }
            if ty.dependent && matches!(ty.impact, ImpactDirection::Both | ImpactDirection::None) {
                push(
                    problems,
                    join(&path, "dependent"),
                    "dependent_without_direction",
                    format!(
                        "relationship type {:?} is dependent but its impact is {}: a dependent relationship needs to_source or to_target",
                        ty.name, ty.impact
                    ),
                );
            }
            self.type_index.insert(
                ty.name.clone(),
                u32::try_from(self.types.len()).unwrap_or(u32::MAX),
            );
            self.types.push(ty.clone());
        }
    }

    fn compile_rules(&mut self, data: &CmdbData, problems: &mut Vec<Violation>) {
        for (i, rule) in data.rules.iter().enumerate() {
            let path = format!("rules[{i}]");
            let source = self.class_ref(&rule.source_class, &join(&path, "source_class"), problems);
            let ty = self.type_ref(
                &rule.relationship_type,
                &join(&path, "relationship_type"),
                problems,
            );
            let target = self.class_ref(&rule.target_class, &join(&path, "target_class"), problems);
            if let (Some(s), Some(t), Some(g)) = (source, ty, target)
                && self.rules.insert((s, t, g))
            {
                self.rule_targets.entry((s, t)).or_default().push(g);
            } else if source.is_some() && ty.is_some() && target.is_some() {
                push(
                    problems,
                    path,
                    "duplicate_rule",
                    format!(
                        "the rule {} {} {} is declared more than once",
                        rule.source_class, rule.relationship_type, rule.target_class
                    ),
                );
            }
        }
    }

    fn compile_identification(&mut self, data: &CmdbData, problems: &mut Vec<Violation>) {
        let mut own: HashMap<u32, usize> = HashMap::new();
        for (i, rule) in data.identification_rules.iter().enumerate() {
            let path = format!("identification_rules[{i}]");
            let Some(class) = self.class_ref(&rule.class, &join(&path, "class"), problems) else {
                continue;
            };
            if own.contains_key(&class) {
                push(
                    problems,
                    join(&path, "class"),
                    "duplicate_identification_rule",
                    format!(
                        "class {:?} has more than one identification rule",
                        rule.class
                    ),
                );
                continue;
            }
            let mut ok = true;
            if rule.identifiers.is_empty() {
                push(
                    problems,
                    join(&path, "identifiers"),
                    "empty_identifiers",
                    format!(
                        "the identification rule of class {:?} lists no attribute set",
                        rule.class
                    ),
                );
                ok = false;
            }
            for (k, set) in rule.identifiers.iter().enumerate() {
                if set.is_empty() {
                    push(
                        problems,
                        format!("{path}.identifiers[{k}]"),
                        "empty_identifiers",
                        "an identifying attribute set is empty".to_owned(),
                    );
                    ok = false;
                }
                for (j, attribute) in set.iter().enumerate() {
                    if attribute != "name"
                        && !self.classes[class as usize]
                            .attribute_index
                            .contains_key(attribute)
                    {
                        push(
                            problems,
                            format!("{path}.identifiers[{k}][{j}]"),
                            "unknown_attribute",
                            format!("class {:?} has no attribute {attribute:?}", rule.class),
                        );
                        ok = false;
                    }
                }
            }
            if ok {
                own.insert(class, self.identification_rules.len());
                self.identification_rules.push(rule.clone());
            }
        }
        for c in 0..self.classes.len() {
            let found = self.ancestors(c as u32).find_map(|a| own.get(&a).copied());
            self.classes[c].identification = found;
        }
    }

    fn compile_reconciliation(&mut self, data: &CmdbData, problems: &mut Vec<Violation>) {
        for (i, rule) in data.reconciliation_rules.iter().enumerate() {
            let path = format!("reconciliation_rules[{i}]");
            let Some(class) = self.class_ref(&rule.class, &join(&path, "class"), problems) else {
                continue;
            };
            let mut ok = true;
            if let Some(attribute) = &rule.attribute
                && !self.classes[class as usize]
                    .attribute_index
                    .contains_key(attribute)
            {
                push(
                    problems,
                    join(&path, "attribute"),
                    "unknown_attribute",
                    format!("class {:?} has no attribute {attribute:?}", rule.class),
                );
                ok = false;
            }
            if rule.sources.is_empty() {
                push(
                    problems,
                    join(&path, "sources"),
                    "empty_sources",
                    "a reconciliation rule needs at least one source".to_owned(),
                );
                ok = false;
            }
            for (k, source) in rule.sources.iter().enumerate() {
                if rule.sources[..k].iter().any(|s| s.source == source.source) {
                    push(
                        problems,
                        format!("{path}.sources[{k}].source"),
                        "duplicate_source",
                        format!("source {:?} is listed more than once", source.source),
                    );
                    ok = false;
                }
            }
            let key = (class, rule.attribute.clone());
            if self.reconciliation.contains_key(&key) {
                push(
                    problems,
                    path,
                    "duplicate_reconciliation_rule",
                    format!(
                        "class {:?} has more than one reconciliation rule for {}",
                        rule.class,
                        rule.attribute
                            .as_deref()
                            .map_or_else(|| "all attributes".to_owned(), |a| format!("{a:?}"))
                    ),
                );
                continue;
            }
            if ok {
                self.reconciliation.insert(key, rule.clone());
            }
        }
    }

    fn class_ref(&self, name: &str, path: &str, problems: &mut Vec<Violation>) -> Option<u32> {
        let found = self.class_index.get(name).copied();
        if found.is_none() {
            push(
                problems,
                path.to_owned(),
                "unknown_class",
                format!("unknown class {name:?}"),
            );
        }
        found
    }

    fn type_ref(&self, name: &str, path: &str, problems: &mut Vec<Violation>) -> Option<u32> {
        let found = self.type_index.get(name).copied();
        if found.is_none() {
            push(
                problems,
                path.to_owned(),
                "unknown_relationship_type",
                format!("unknown relationship type {name:?}"),
            );
        }
        found
    }

    /// The class and its ancestors, nearest first.
    pub(crate) fn ancestors(&self, class: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = Some(class);
        let mut steps = 0usize;
        std::iter::from_fn(move || {
            let c = at?;
            // Cycles were broken at compile time; the bound is a second guard.
            steps += 1;
            if steps > self.classes.len() {
                return None;
            }
            at = self.classes.get(c as usize).and_then(|info| info.parent);
            Some(c)
        })
    }

    /// Whether `class` is `of` or one of its subclasses.
    pub(crate) fn is_a(&self, class: u32, of: u32) -> bool {
        self.ancestors(class).any(|a| a == of)
    }

    pub(crate) fn class_name(&self, class: u32) -> &str {
        self.classes
            .get(class as usize)
            .map_or("", |c| c.name.as_str())
    }

    /// Checks a CI against its class and the relationship types, appending
    /// problems at `at` (`cis[12]`, or the root for a single CI). Returns the
    /// CI's dense class. Paths are only formatted for problems found.
    pub(crate) fn check_ci(
        &self,
        ci: &ConfigurationItem,
        at: At,
        problems: &mut Vec<Violation>,
    ) -> Option<u32> {
        if ci.name.trim().is_empty() {
            push(
                problems,
                at.path("name"),
                "empty_name",
                format!("configuration item {} needs a name", ci.id),
            );
        }
        if !ci.redundancy.is_empty() {
            self.check_redundancy(ci, at, problems);
        }
        let Some(&class) = self.class_index.get(&ci.class) else {
            push(
                problems,
                at.path("class"),
                "unknown_class",
                format!("unknown class {:?}", ci.class),
            );
            return None;
        };
        let info = &self.classes[class as usize];
        for (key, value) in &ci.attributes {
            match info.attribute_index.get(key) {
                None if self.is_source_attribute(key) => {}
                None => push(
                    problems,
                    at.path(&format!("attributes.{key}")),
                    "unknown_attribute",
                    format!("class {:?} has no attribute {key:?}", info.name),
                ),
                Some(&k) => check_value(&info.attributes[k].0, value, at, key, problems),
            }
        }
        for (definition, _) in &info.attributes {
            if !definition.required {
                continue;
            }
            let set = ci
                .attributes
                .get(&definition.name)
                .is_some_and(|v| *v != FieldValue::Null);
            if !set {
                push(
                    problems,
                    at.path(&format!("attributes.{}", definition.name)),
                    "missing_required",
                    format!(
                        "class {:?} requires attribute {:?}",
                        info.name, definition.name
                    ),
                );
            }
        }
        Some(class)
    }

    fn check_redundancy(&self, ci: &ConfigurationItem, at: At, problems: &mut Vec<Violation>) {
        for (k, redundancy) in ci.redundancy.iter().enumerate() {
            let path = |field: &str| at.path(&format!("redundancy[{k}].{field}"));
            if !self.type_index.contains_key(&redundancy.relationship_type) {
                push(
                    problems,
                    path("relationship_type"),
                    "unknown_relationship_type",
                    format!(
                        "unknown relationship type {:?}",
                        redundancy.relationship_type
                    ),
                );
            }
            if ci.redundancy[..k]
                .iter()
                .any(|r| r.relationship_type == redundancy.relationship_type)
            {
                push(
                    problems,
                    path("relationship_type"),
                    "duplicate_redundancy",
                    format!(
                        "redundancy over {:?} is declared more than once",
                        redundancy.relationship_type
                    ),
                );
            }
            match redundancy.required {
                RedundancyRequirement::AtLeast(0) => push(
                    problems,
                    path("required.at_least"),
                    "redundancy_out_of_range",
                    "at_least 0 requires nothing: use at least 1".to_owned(),
                ),
                RedundancyRequirement::Percent(p) if p == 0 || p > 100 => push(
                    problems,
                    path("required.percent"),
                    "redundancy_out_of_range",
                    format!("percent {p} is out of range: expected 1 to 100"),
                ),
                _ => {}
            }
        }
    }

    /// How failures travel along relationship type `ty` (none for an unknown type).
    pub(crate) fn impact_of(&self, ty: u32) -> ImpactDirection {
        self.types
            .get(ty as usize)
            .map_or(ImpactDirection::None, |t| t.impact)
    }

    /// The target classes named by the rules of `source`'s class and its
    /// ancestors for type `ty`, sorted: a target class or a subclass of one
    /// is allowed.
    pub(crate) fn allowed_targets(&self, source: u32, ty: u32) -> Vec<u32> {
        let mut allowed: Vec<u32> = self
            .ancestors(source)
            .filter_map(|s| self.rule_targets.get(&(s, ty)))
            .flatten()
            .copied()
            .collect();
        allowed.sort_unstable();
        allowed.dedup();
        allowed
    }
}

fn check_value(
    definition: &AttributeDefinition,
    value: &FieldValue,
    at: At,
    key: &str,
    problems: &mut Vec<Violation>,
) {
    let path = || at.path(&format!("attributes.{key}"));
    if *value == FieldValue::Null {
        return; // Unset; `missing_required` covers required attributes.
    }
    let ok = match (&definition.value_type, value) {
        (AttributeType::String, FieldValue::String(_))
        | (AttributeType::Integer, FieldValue::Int(_) | FieldValue::UInt(_))
        | (
            AttributeType::Number,
            FieldValue::Int(_) | FieldValue::UInt(_) | FieldValue::Float(_),
        )
        | (AttributeType::Boolean, FieldValue::Bool(_)) => true,
        (AttributeType::DateTime, FieldValue::String(s)) => {
            chrono::DateTime::parse_from_rfc3339(s).is_ok()
        }
        (AttributeType::Choice { values }, FieldValue::String(s)) => {
            if !values.contains(s) {
                push(
                    problems,
                    path(),
                    "bad_choice",
                    format!(
                        "{s:?} is not a choice of attribute {:?}: expected one of {}",
                        definition.name,
                        values.join(", ")
                    ),
                );
                return;
            }
            true
        }
        _ => false,
    };
    if !ok {
        push(
            problems,
            path(),
            "wrong_type",
            format!(
                "attribute {:?} expects {} but got {value}",
                definition.name,
                type_name(&definition.value_type)
            ),
        );
    }
}

fn type_name(ty: &AttributeType) -> &'static str {
    match ty {
        AttributeType::String => "a string",
        AttributeType::Integer => "an integer",
        AttributeType::Number => "a number",
        AttributeType::Boolean => "a boolean",
        AttributeType::DateTime => "an rfc 3339 date-time",
        AttributeType::Choice { .. } => "a choice",
    }
}
