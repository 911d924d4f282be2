//! Assignment rules: which group a record goes to, by its category,
//! service, CI class and priority, and which person of that group takes it.
//!
//! [`AssignmentRules`] are data; [`Assigner`] is their compiled, validated
//! form, and [`Assigner::decide`] a pure function of the record's facts and
//! the [`Workload`] the caller passes (the round-robin cursor and each
//! person's open work): no clock, no store.

use std::collections::{BTreeMap, HashMap};

use itsm_core::{
    Change, Directory, GroupId, Incident, PersonId, Priority, Problem, ServiceId, Violation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LifecycleError;

/// The assignment rules of a desk, tried in order: the first rule whose
/// every condition holds decides the group (as ServiceNow's assignment
/// rules by their `order`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRules {
    /// The rules, first match wins.
    pub rules: Vec<AssignmentRule>,
}

/// One assignment rule: conditions on the record, the group it assigns
/// and how a person of that group is picked.
///
/// A condition left out matches every record; a condition given matches
/// only a record that has that exact value (a rule for a category never
/// matches a record without a category).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentRule {
    /// Its name, unique among the rules, given back with the decision.
    pub name: String,
    /// The record's category (`network`), compared exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// The record's service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceId>,
    /// The class of the record's configuration item (`linux_server`),
    /// compared exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_class: Option<String>,
    /// The priorities it applies to; empty for every priority.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub priorities: Vec<Priority>,
    /// The group it assigns.
    pub group: GroupId,
    /// How a person of the group is picked.
    #[serde(default)]
    pub pick: Pick,
}

/// How an assignment rule picks a person within its group. Inactive
/// people are never picked; a group with no active member gets the work
/// unassigned to anyone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Pick {
    /// Nobody: the group's own queue takes it (ServiceNow's assignment
    /// rules, GLPI's default).
    #[default]
    GroupOnly,
    /// The next active member after the one the group last assigned
    /// ([`Workload::last_assigned`]), in the group's member order, wrapping
    /// round; the first active member when there is no such person.
    RoundRobin,
    /// The active member with the least open work ([`Workload::open_work`],
    /// absent counting as none); among equals, the first in member order.
    LeastLoaded,
}

/// What the rules look at in a record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignmentFacts {
    /// The record's category.
    #[serde(default)]
    pub category: Option<String>,
    /// The record's service.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The class of the record's (main) configuration item, which only the
    /// CMDB knows: the caller looks it up.
    #[serde(default)]
    pub ci_class: Option<String>,
    /// The record's priority.
    #[serde(default)]
    pub priority: Option<Priority>,
}

impl AssignmentFacts {
    /// The facts of `incident`, with the class of its main configuration
    /// item as the caller found it in the CMDB.
    #[must_use]
    pub fn for_incident(incident: &Incident, ci_class: Option<&str>) -> Self {
        Self {
            category: incident.category.clone(),
            service: incident.service,
            ci_class: ci_class.map(str::to_owned),
            priority: Some(incident.priority),
        }
    }

    /// The facts of `problem`, with the class of its main configuration item.
    #[must_use]
    pub fn for_problem(problem: &Problem, ci_class: Option<&str>) -> Self {
        Self {
            category: problem.category.clone(),
            service: problem.service,
            ci_class: ci_class.map(str::to_owned),
            priority: Some(problem.priority),
        }
    }

    /// The facts of `change`, with the class of its main configuration item.
    #[must_use]
    pub fn for_change(change: &Change, ci_class: Option<&str>) -> Self {
        Self {
            category: change.category.clone(),
            service: change.service,
            ci_class: ci_class.map(str::to_owned),
            priority: change.priority,
        }
    }
}

/// What the caller knows about the groups' recent work, so that picking
/// a person stays a pure function.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Workload {
    /// The person each group last assigned work to: the round-robin cursor.
    #[serde(default)]
    pub last_assigned: BTreeMap<GroupId, PersonId>,
    /// How much open work each person has; a person not listed has none.
    #[serde(default)]
    pub open_work: BTreeMap<PersonId, u32>,
}

/// What the rules decided for one record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// The name of the rule that matched.
    pub rule: String,
    /// Its position in the rules.
    pub rule_index: usize,
    /// The group assigned.
    pub assignment_group: GroupId,
    /// The person picked, if the rule picks one and the group has an
    /// active member.
    pub assigned_to: Option<PersonId>,
}

impl AssignmentRule {
    fn matches(&self, facts: &AssignmentFacts) -> bool {
        fn same<T: PartialEq + ?Sized>(want: Option<&T>, have: Option<&T>) -> bool {
            want.is_none_or(|w| have == Some(w))
        }
        same(self.category.as_deref(), facts.category.as_deref())
            && same(self.service.as_ref(), facts.service.as_ref())
            && same(self.ci_class.as_deref(), facts.ci_class.as_deref())
            && (self.priorities.is_empty()
                || facts.priority.is_some_and(|p| self.priorities.contains(&p)))
    }

    /// Whether every record this rule's conditions match, `other`'s match too
    /// (so that `self` can never decide when `other` comes first).
    fn covered_by(&self, other: &Self) -> bool {
        fn wider<T: PartialEq>(general: Option<&T>, specific: Option<&T>) -> bool {
            general.is_none() || general == specific
        }
        wider(other.category.as_ref(), self.category.as_ref())
            && wider(other.service.as_ref(), self.service.as_ref())
            && wider(other.ci_class.as_ref(), self.ci_class.as_ref())
            && (other.priorities.is_empty()
                || (!self.priorities.is_empty()
                    && self.priorities.iter().all(|p| other.priorities.contains(p))))
    }

    fn has_conditions(&self) -> bool {
        self.category.is_some()
            || self.service.is_some()
            || self.ci_class.is_some()
            || !self.priorities.is_empty()
    }
}

impl AssignmentRules {
    /// Every problem of these rules against `directory`, with paths
    /// (`rules[3].group`): a blank or repeated name (`empty`,
    /// `duplicate_entry`), a blank category or CI class (`empty`), a
    /// priority listed twice (`duplicate_entry`), a group the directory
    /// does not have or that is inactive (`unknown_reference`,
    /// `inactive_group`), a rule that picks a person in a group without an
    /// active member (`no_active_member`), and a rule that an earlier rule
    /// always matches first (`unreachable`).
    #[must_use]
    pub fn validate(&self, directory: &Directory) -> Vec<Violation> {
        let mut out = Vec::new();
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut unconditional: Option<usize> = None;
        for (i, rule) in self.rules.iter().enumerate() {
            let at = |field: &str| format!("rules[{i}].{field}");
            if rule.name.trim().is_empty() {
                out.push(Violation::new(
                    at("name"),
                    "empty",
                    format!("{} is empty ({:?})", at("name"), rule.name),
                ));
            } else if let Some(first) = names.insert(rule.name.as_str(), i) {
                names.insert(rule.name.as_str(), first);
                out.push(Violation::new(
                    at("name"),
                    "duplicate_entry",
                    format!(
                        "{} ({:?}) is the name of rules[{first}] too",
                        at("name"),
                        rule.name
                    ),
                ));
            }
            for (field, value) in [("category", &rule.category), ("ci_class", &rule.ci_class)] {
                if let Some(v) = value
                    && v.trim().is_empty()
                {
                    out.push(Violation::new(
                        at(field),
                        "empty",
                        format!(
                            "{} is empty ({v:?}); leave it out to match every record",
                            at(field)
                        ),
                    ));
                }
            }
            for (j, p) in rule.priorities.iter().enumerate() {
                if rule.priorities[..j].contains(p) {
                    let path = format!("rules[{i}].priorities[{j}]");
                    out.push(Violation::new(
                        &path,
                        "duplicate_entry",
                        format!("{path} ({p}) is listed twice"),
                    ));
                }
            }
            match directory.group(rule.group) {
                None => out.push(Violation::new(
                    at("group"),
                    "unknown_reference",
                    format!(
                        "{} ({}) is not a group of the directory",
                        at("group"),
                        rule.group
                    ),
                )),
                Some(g) if !g.active => out.push(Violation::new(
                    at("group"),
                    "inactive_group",
                    format!(
                        "{} ({:?}) is inactive; work may not be assigned to it",
                        at("group"),
                        g.name
                    ),
                )),
                Some(g) => {
                    let active = directory
                        .members(g.id)
                        .into_iter()
                        .any(|m| directory.person(m).is_some_and(|p| p.active));
                    if rule.pick != Pick::GroupOnly && !active {
                        out.push(Violation::new(
                            at("pick"),
                            "no_active_member",
                            format!(
                                "{} picks a person, but group {:?} has no active member",
                                at("pick"),
                                g.name
                            ),
                        ));
                    }
                }
            }
            // Shadowing: an unconditional rule hides every later rule; otherwise
            // compare with each earlier rule (quadratic, at validation only).
            let shadow = unconditional.or_else(|| {
                self.rules[..i]
                    .iter()
                    .position(|earlier| rule.covered_by(earlier))
            });
            if let Some(k) = shadow {
                out.push(Violation::new(
                    format!("rules[{i}]"),
                    "unreachable",
                    format!(
                        "rules[{i}] ({:?}) can never decide: rules[{k}] ({:?}) matches every record it matches and comes first",
                        rule.name, self.rules[k].name
                    ),
                ));
            }
            if unconditional.is_none() && !rule.has_conditions() {
                unconditional = Some(i);
            }
        }
        out
    }
}

/// A rule index, small so that the buckets stay compact.
type RuleIx = u32;

/// [`AssignmentRules`] validated against a [`Directory`] and compiled for
/// fast decisions: each rule is filed under its most selective condition
/// (its service, else its CI class, else its category), so that a decision
/// looks only at the rules filed under the record's own values and the
/// few without any of those conditions, not at every rule. The members of
/// each group are resolved once, with their active flags.
///
/// Build a new one when the rules or the directory change.
#[derive(Clone, Debug)]
pub struct Assigner {
    rules: Vec<AssignmentRule>,
    /// Per rule: its group's index in `groups`.
    rule_group: Vec<usize>,
    /// Each distinct group: its id and its members in order, with whether each is active.
    groups: Vec<(GroupId, Vec<(PersonId, bool)>)>,
    by_service: HashMap<ServiceId, Vec<RuleIx>>,
    by_ci_class: HashMap<String, Vec<RuleIx>>,
    by_category: HashMap<String, Vec<RuleIx>>,
    /// Rules with none of the three conditions above, in order.
    rest: Vec<RuleIx>,
}

impl Assigner {
    /// Validates `rules` against `directory` and compiles them.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidAssignmentRules`] with every problem
    /// [`AssignmentRules::validate`] finds, and when there are more than
    /// `u32::MAX` rules.
    pub fn new(rules: AssignmentRules, directory: &Directory) -> Result<Self, LifecycleError> {
        let mut problems = rules.validate(directory);
        if RuleIx::try_from(rules.rules.len()).is_err() {
            problems.push(Violation::new(
                "rules",
                "out_of_range",
                format!(
                    "rules holds {} rules; at most {} are supported",
                    rules.rules.len(),
                    RuleIx::MAX
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(LifecycleError::InvalidAssignmentRules { problems });
        }
        let mut groups: Vec<(GroupId, Vec<(PersonId, bool)>)> = Vec::new();
        let mut group_ix: HashMap<GroupId, usize> = HashMap::new();
        let mut rule_group = Vec::with_capacity(rules.rules.len());
        let (mut by_service, mut by_ci_class, mut by_category) =
            (HashMap::new(), HashMap::new(), HashMap::new());
        let mut rest = Vec::new();
        for (i, rule) in rules.rules.iter().enumerate() {
            let ix = *group_ix.entry(rule.group).or_insert_with(|| {
                let members = directory
                    .members(rule.group)
                    .into_iter()
                    .map(|m| (m, directory.person(m).is_some_and(|p| p.active)))
                    .collect();
                groups.push((rule.group, members));
                groups.len() - 1
            });
            rule_group.push(ix);
            // Checked above: every index fits.
            let i = RuleIx::try_from(i).unwrap_or(RuleIx::MAX);
            if let Some(s) = rule.service {
                by_service.entry(s).or_insert_with(Vec::new).push(i);
            } else if let Some(c) = &rule.ci_class {
                by_ci_class
                    .entry(c.clone())
                    .or_insert_with(Vec::new)
                    .push(i);
            } else if let Some(c) = &rule.category {
                by_category
                    .entry(c.clone())
                    .or_insert_with(Vec::new)
                    .push(i);
            } else {
                rest.push(i);
            }
        }
        Ok(Self {
            rules: rules.rules,
            rule_group,
            groups,
            by_service,
            by_ci_class,
            by_category,
            rest,
        })
    }

    /// The rules, in order.
    #[must_use]
    pub fn rules(&self) -> &[AssignmentRule] {
        &self.rules
    }

    /// The first rule, in order, that matches `facts`, with its index.
    #[must_use]
    pub fn route(&self, facts: &AssignmentFacts) -> Option<(usize, &AssignmentRule)> {
        let empty: &[RuleIx] = &[];
        let lists = [
            facts
                .service
                .and_then(|s| self.by_service.get(&s))
                .map_or(empty, Vec::as_slice),
            facts
                .ci_class
                .as_deref()
                .and_then(|c| self.by_ci_class.get(c))
                .map_or(empty, Vec::as_slice),
            facts
                .category
                .as_deref()
                .and_then(|c| self.by_category.get(c))
                .map_or(empty, Vec::as_slice),
            &self.rest,
        ];
        // Each rule is in one list and each list is in rule order, so the
        // first match overall is the least of each list's first match.
        lists
            .iter()
            .filter_map(|list| {
                list.iter()
                    .map(|&i| i as usize)
                    .find(|&i| self.rules[i].matches(facts))
            })
            .min()
            .map(|i| (i, &self.rules[i]))
    }

    /// The group and person the rules give a record with `facts`, under
    /// `workload`; `None` when no rule matches.
    #[must_use]
    pub fn decide(&self, facts: &AssignmentFacts, workload: &Workload) -> Option<Assignment> {
        let (index, rule) = self.route(facts)?;
        let (group, members) = &self.groups[self.rule_group[index]];
        Some(Assignment {
            rule: rule.name.clone(),
            rule_index: index,
            assignment_group: *group,
            assigned_to: pick(rule.pick, *group, members, workload),
        })
    }
}

/// Picks an active member of `group` by `how`.
fn pick(
    how: Pick,
    group: GroupId,
    members: &[(PersonId, bool)],
    workload: &Workload,
) -> Option<PersonId> {
    let active = || members.iter().filter(|(_, a)| *a).map(|(p, _)| *p);
    match how {
        Pick::GroupOnly => None,
        Pick::RoundRobin => {
            let after = workload
                .last_assigned
                .get(&group)
                .and_then(|last| members.iter().position(|(p, _)| p == last))
                .map_or(0, |i| i + 1);
            members[after..]
                .iter()
                .chain(&members[..after])
                .find(|(_, a)| *a)
                .map(|(p, _)| *p)
        }
        Pick::LeastLoaded => {
            let load = |p: &PersonId| workload.open_work.get(p).copied().unwrap_or(0);
            // `min_by_key` keeps the first of equals: member order breaks ties.
            active().min_by_key(load)
        }
    }
}
