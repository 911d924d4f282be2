//! The service catalog: [`CatalogItem`]s with typed [`CatalogVariable`]s,
//! an approval policy ([`CatalogApproval`]) and fulfilment tasks;
//! [`StandardChangeTemplate`]s; the [`Catalog`] that holds both; and
//! ordering ([`Catalog::order`]), which turns an [`Order`] into a service
//! request, its request item, their tasks and, for an item that carries a
//! standard change, that change.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::directory::{duplicate_ids, nested};
use crate::{
    Approval, ApprovalStatus, CatalogItemId, Change, ChangeId, ChangeRisk, ChangeType, Channel,
    CiId, Directory, Extensions, FieldValue, GroupId, Impact, NumberPrefix, PersonId, RecordNumber,
    RequestItem, RequestItemId, ServiceId, ServiceRequest, ServiceRequestId, ServiceRequestState,
    StandardChangeTemplateId, Task, TaskId, TaskParent, TaskTemplate, Validate, Violation,
};

/// What a [`CatalogVariable`] holds, and the rules its value follows.
///
/// On the wire the kind is the `type` key: `{"type": "choice", "choices":
/// ["8", "16"]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum VariableKind {
    /// Free text, at most `max_length` characters when set.
    Text {
        /// The longest text accepted, in characters.
        #[serde(default)]
        max_length: Option<u32>,
    },
    /// One of `choices` (a select box).
    Choice {
        /// The values a person may pick, in display order.
        choices: Vec<String>,
    },
    /// A number between `min` and `max` (inclusive, each optional), a whole
    /// number when `integer`.
    Number {
        /// The smallest value accepted.
        #[serde(default)]
        min: Option<f64>,
        /// The largest value accepted.
        #[serde(default)]
        max: Option<f64>,
        /// Whether only whole numbers are accepted.
        #[serde(default)]
        integer: bool,
    },
    /// Yes or no (a check box).
    Boolean,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A person of the directory, by id.
    Person,
    /// A group of the directory, by id.
    Group,
    /// A configuration item, by id.
    ConfigurationItem,
}

/// One question a catalog item asks when it is ordered (ServiceNow's
/// variables, GLPI's form questions, Jira's request type fields).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogVariable {
    /// The key its value has in an order and in the request item's
    /// `variables`: lower-case letters, digits and `_`, starting with a
    /// letter (`memory_gb`).
    pub name: String,
    /// The question as people read it (`Memory`).
    pub label: String,
    /// What it holds.
    pub kind: VariableKind,
    /// Whether an order must answer it.
    #[serde(default)]
    pub required: bool,
    /// The value an order that leaves it out gets.
    #[serde(default)]
    pub default: Option<FieldValue>,
    /// Help text shown beside the question.
    #[serde(default)]
    pub help: Option<String>,
}

/// Who approves an order of a catalog item.
///
/// On the wire the policy is the `kind` key: `{"kind": "none"}`,
/// `{"kind": "manager"}`, `{"kind": "group", "group": "…"}`,
/// `{"kind": "people", "approvers": ["…"]}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum CatalogApproval {
    /// No approval: the request item goes straight to fulfilment
    /// (`approval` is `not_required`).
    #[default]
    None,
    /// The manager of the person the item is for.
    Manager,
    /// The active members of a group, on the group's behalf (a CAB, a
    /// licence desk).
    Group {
        /// The approving group.
        group: GroupId,
    },
    /// Named people.
    People {
        /// The approvers.
        approvers: Vec<PersonId>,
    },
}

/// Something a person may order from the service catalog: a laptop, access
/// to an application, a standard change (ServiceNow's catalog item, Jira's
/// request type, GLPI's form, iTop's request template).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "CatalogItem")]
pub struct CatalogItem {
    /// The item's id.
    pub id: CatalogItemId,
    /// Its name, unique in the catalog (`Standard laptop`).
    pub name: String,
    /// One line a person reads in the catalog.
    pub short_description: String,
    /// The full description.
    #[serde(default)]
    pub description: Option<String>,
    /// The catalog category (`Hardware`).
    #[serde(default)]
    pub category: Option<String>,
    /// The service it belongs to.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// Whether it can be ordered.
    #[serde(default = "yes")]
    pub active: bool,
    /// The questions an order answers.
    #[serde(default)]
    pub variables: Vec<CatalogVariable>,
    /// Who approves an order; `none` sends it straight to fulfilment.
    #[serde(default)]
    pub approval: CatalogApproval,
    /// The group that fulfils it.
    #[serde(default)]
    pub fulfilment_group: Option<GroupId>,
    /// The name of the workflow its request items follow; absent, the ITIL
    /// service request flow.
    #[serde(default)]
    pub workflow: Option<String>,
    /// The fulfilment tasks an order creates under its request item.
    #[serde(default)]
    pub fulfilment_tasks: Vec<TaskTemplate>,
    /// The standard change an order creates, pre-approved, from this
    /// template.
    #[serde(default)]
    pub standard_change: Option<StandardChangeTemplateId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

fn yes() -> bool {
    true
}

/// The fields a change made from a [`StandardChangeTemplate`] takes from it
/// and may not edit afterwards: the pre-approval covers exactly these.
pub const STANDARD_CHANGE_FIXED: &[&str] = &[
    "change_type",
    "template",
    "category",
    "risk",
    "impact",
    "implementation_plan",
    "backout_plan",
    "test_plan",
];

/// A standard change: a pre-authorised, low-risk change that follows a
/// known procedure, so that a change made from it needs no request for
/// change assessment and no CAB (ServiceNow's standard change template,
/// iTop's routine change).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "StandardChangeTemplate")]
pub struct StandardChangeTemplate {
    /// The template's id.
    pub id: StandardChangeTemplateId,
    /// Its name, unique in the catalog (`Restart web tier`).
    pub name: String,
    /// The change's short description.
    pub short_description: String,
    /// The change's description.
    #[serde(default)]
    pub description: Option<String>,
    /// The change's category.
    #[serde(default)]
    pub category: Option<String>,
    /// The assessed risk: `low`, which is what makes it standard.
    pub risk: ChangeRisk,
    /// The expected impact.
    pub impact: Impact,
    /// The service it changes.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The configuration items it changes.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// The group that implements it.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// How it is implemented: the procedure that was approved.
    pub implementation_plan: String,
    /// How it is backed out.
    pub backout_plan: String,
    /// How it is tested.
    #[serde(default)]
    pub test_plan: Option<String>,
    /// The implementation tasks each change made from it gets.
    #[serde(default)]
    pub tasks: Vec<TaskTemplate>,
    /// Whether changes may still be made from it.
    #[serde(default = "yes")]
    pub active: bool,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// The service catalog: its items and the standard change templates they
/// may carry, checked together.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    /// What may be ordered.
    #[serde(default)]
    pub items: Vec<CatalogItem>,
    /// The standard change templates.
    #[serde(default)]
    pub standard_changes: Vec<StandardChangeTemplate>,
}

/// An order of one catalog item: what a person submits on the portal.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The item ordered.
    pub catalog_item: CatalogItemId,
    /// Who orders.
    pub requested_by: PersonId,
    /// Who it is for; absent, the person who orders.
    #[serde(default)]
    pub requested_for: Option<PersonId>,
    /// How many.
    #[serde(default = "one")]
    pub quantity: u32,
    /// The answers, by variable name.
    #[serde(default)]
    pub variables: Extensions,
    /// How it was ordered.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// When it was submitted.
    pub opened_at: DateTime<Utc>,
}

fn one() -> u32 {
    1
}

/// What an order creates, linked together: the service request, its request
/// item, the item's fulfilment tasks, and the standard change with its
/// implementation tasks when the item carries one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Ordered {
    /// The service request (`REQ…`), which lists the item and the change.
    pub request: ServiceRequest,
    /// The request item (`RITM…`), with the order's variables.
    pub item: RequestItem,
    /// The standard change (`CHG…`), pre-approved, naming the request and
    /// the item.
    #[serde(default)]
    pub change: Option<Change>,
    /// The tasks: the item's fulfilment tasks, then the change's.
    #[serde(default)]
    pub tasks: Vec<Task>,
}

/// What ordering needs from the caller: the next number of each kind and
/// random bits for ids (this crate reads no clock and no random source).
pub trait Numbering {
    /// The next free number with `prefix`.
    fn next_number(&mut self, prefix: NumberPrefix) -> RecordNumber;
    /// Ten random bytes for a UUID v7.
    fn random(&mut self) -> [u8; 10];
}

/// References an order's `person`, `group` and `configuration_item`
/// answers are checked against; each check runs only when its source is
/// given.
#[derive(Clone, Copy, Debug, Default)]
pub struct OrderRefs<'a> {
    /// People and groups: an answer must name an active one.
    pub directory: Option<&'a Directory>,
    /// Configuration items: an answer must name one of these.
    pub configuration_items: Option<&'a HashSet<CiId>>,
}

fn violation(out: &mut Vec<Violation>, path: &str, rule: &str, message: impl Display) {
    out.push(Violation::new(path, rule, message.to_string()));
}

fn text(out: &mut Vec<Violation>, path: &str, value: &str) {
    if value.trim().is_empty() {
        violation(
            out,
            path,
            "empty",
            format_args!("{path} is empty ({value:?})"),
        );
    }
}

fn opt_text(out: &mut Vec<Violation>, path: &str, value: Option<&String>) {
    if let Some(v) = value {
        text(out, path, v);
    }
}

/// `duplicate_entry` for the second and later holders of one key.
fn unique<'a, K: Eq + std::hash::Hash + Display + 'a>(
    out: &mut Vec<Violation>,
    keys: impl Iterator<Item = (String, K)>,
) {
    let mut seen = HashSet::new();
    for (path, key) in keys {
        if !seen.insert(key.to_string()) {
            violation(
                out,
                &path,
                "duplicate_entry",
                format_args!("{path} ({key}) is listed twice"),
            );
        }
    }
}

fn is_key(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn task_templates(out: &mut Vec<Violation>, list: &str, tasks: &[TaskTemplate]) {
    for (i, t) in tasks.iter().enumerate() {
        text(out, &format!("{list}[{i}].name"), &t.name);
        text(
            out,
            &format!("{list}[{i}].short_description"),
            &t.short_description,
        );
        opt_text(
            out,
            &format!("{list}[{i}].description"),
            t.description.as_ref(),
        );
    }
    unique(
        out,
        tasks
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("{list}[{i}].name"), t.name.as_str())),
    );
}

impl Validate for CatalogItem {
    /// Its own rules: name and short description not blank; each variable
    /// named as a key (`invalid_name`), labelled, named once
    /// (`duplicate_entry`), a choice with choices (`empty`, no blank or
    /// repeated choice), a number range with `min` ≤ `max` (`out_of_range`),
    /// a text limit of at least 1, and a default that its own variable
    /// accepts (the order rules); approvers listed once and at least one;
    /// fulfilment task templates named, described and named once.
    fn validate(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        text(&mut out, "name", &self.name);
        text(&mut out, "short_description", &self.short_description);
        opt_text(&mut out, "description", self.description.as_ref());
        opt_text(&mut out, "category", self.category.as_ref());
        opt_text(&mut out, "workflow", self.workflow.as_ref());
        for (i, v) in self.variables.iter().enumerate() {
            let at = |field: &str| format!("variables[{i}].{field}");
            if !is_key(&v.name) {
                violation(
                    &mut out,
                    &at("name"),
                    "invalid_name",
                    format_args!(
                        "{} ({:?}) is not a key: lower-case letters, digits and _, starting with a letter",
                        at("name"),
                        v.name
                    ),
                );
            }
            text(&mut out, &at("label"), &v.label);
            opt_text(&mut out, &at("help"), v.help.as_ref());
            match &v.kind {
                VariableKind::Choice { choices } => {
                    if choices.is_empty() {
                        violation(
                            &mut out,
                            &at("kind.choices"),
                            "empty",
                            format_args!("{} is empty; a choice needs choices", at("kind.choices")),
                        );
                    }
                    for (j, c) in choices.iter().enumerate() {
                        text(&mut out, &format!("variables[{i}].kind.choices[{j}]"), c);
                    }
                    unique(
                        &mut out,
                        choices.iter().enumerate().map(|(j, c)| {
                            (format!("variables[{i}].kind.choices[{j}]"), c.as_str())
                        }),
                    );
                }
                VariableKind::Number { min, max, .. } => {
                    for (field, bound) in [("min", min), ("max", max)] {
                        if bound.is_some_and(|b| !b.is_finite()) {
                            violation(
                                &mut out,
                                &at(&format!("kind.{field}")),
                                "out_of_range",
                                format_args!(
                                    "{} is not a finite number",
                                    at(&format!("kind.{field}"))
                                ),
                            );
                        }
                    }
                    if let (Some(lo), Some(hi)) = (min, max)
                        && lo > hi
                    {
                        violation(
                            &mut out,
                            &at("kind.max"),
                            "out_of_range",
                            format_args!("{} ({hi}) is below kind.min ({lo})", at("kind.max")),
                        );
                    }
                }
                VariableKind::Text {
                    max_length: Some(0),
                } => violation(
                    &mut out,
                    &at("kind.max_length"),
                    "out_of_range",
                    format_args!("{} is 0; no text would fit", at("kind.max_length")),
                ),
                _ => {}
            }
            if let Some(default) = &v.default {
                for mut problem in answer_problems(v, default, &OrderRefs::default()) {
                    problem.path = at("default");
                    out.push(problem);
                }
            }
        }
        unique(
            &mut out,
            self.variables
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("variables[{i}].name"), v.name.as_str())),
        );
        if let CatalogApproval::People { approvers } = &self.approval {
            if approvers.is_empty() {
                violation(
                    &mut out,
                    "approval.approvers",
                    "empty",
                    "approval.approvers is empty; an approval by people names at least one",
                );
            }
            unique(
                &mut out,
                approvers
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("approval.approvers[{i}]"), p)),
            );
        }
        task_templates(&mut out, "fulfilment_tasks", &self.fulfilment_tasks);
        out
    }
}

impl Validate for StandardChangeTemplate {
    /// Its own rules: name, short description and both plans not blank;
    /// risk `low` (`not_low_risk`: a template that is not low risk is not
    /// a standard change); configuration items listed once; task templates
    /// named, described and named once.
    fn validate(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        text(&mut out, "name", &self.name);
        text(&mut out, "short_description", &self.short_description);
        opt_text(&mut out, "description", self.description.as_ref());
        opt_text(&mut out, "category", self.category.as_ref());
        text(&mut out, "implementation_plan", &self.implementation_plan);
        text(&mut out, "backout_plan", &self.backout_plan);
        opt_text(&mut out, "test_plan", self.test_plan.as_ref());
        if self.risk != ChangeRisk::Low {
            violation(
                &mut out,
                "risk",
                "not_low_risk",
                format_args!(
                    "risk is {}; a standard change is pre-approved only because it is low risk",
                    self.risk
                ),
            );
        }
        unique(
            &mut out,
            self.configuration_items
                .iter()
                .enumerate()
                .map(|(i, c)| (format!("configuration_items[{i}]"), c)),
        );
        task_templates(&mut out, "tasks", &self.tasks);
        out
    }
}

impl Validate for Catalog {
    /// Every item's and template's own rules (paths under `items[i]` and
    /// `standard_changes[i]`), and the rules between them: ids and names
    /// unique (`duplicate_entry`); an item's `standard_change` names a
    /// template of the catalog (`unknown_reference`) that is active when
    /// the item is (`inactive_reference`).
    fn validate(&self) -> Vec<Violation> {
        self.check(None)
    }
}

impl Catalog {
    /// [`validate`](Validate::validate), and with a directory the people
    /// and groups the catalog names: approvers, approving groups,
    /// fulfilment and implementation groups exist (`unknown_reference`)
    /// and are active (`inactive_person`, `inactive_group`).
    #[must_use]
    pub fn check(&self, directory: Option<&Directory>) -> Vec<Violation> {
        let mut out = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            nested(&mut out, &format!("items[{i}]"), item.validate());
        }
        for (i, t) in self.standard_changes.iter().enumerate() {
            nested(&mut out, &format!("standard_changes[{i}]"), t.validate());
        }
        duplicate_ids(&mut out, "items", self.items.iter().map(|i| i.id));
        duplicate_ids(
            &mut out,
            "standard_changes",
            self.standard_changes.iter().map(|t| t.id),
        );
        unique(
            &mut out,
            self.items
                .iter()
                .enumerate()
                .map(|(i, item)| (format!("items[{i}].name"), item.name.as_str())),
        );
        unique(
            &mut out,
            self.standard_changes
                .iter()
                .enumerate()
                .map(|(i, t)| (format!("standard_changes[{i}].name"), t.name.as_str())),
        );
        let templates: HashMap<StandardChangeTemplateId, &StandardChangeTemplate> = self
            .standard_changes
            .iter()
            .rev()
            .map(|t| (t.id, t))
            .collect();
        for (i, item) in self.items.iter().enumerate() {
            let Some(id) = item.standard_change else {
                continue;
            };
            let path = format!("items[{i}].standard_change");
            match templates.get(&id) {
                None => violation(
                    &mut out,
                    &path,
                    "unknown_reference",
                    format_args!("{path} ({id}) is not a standard change template of the catalog"),
                ),
                Some(t) if item.active && !t.active => violation(
                    &mut out,
                    &path,
                    "inactive_reference",
                    format_args!(
                        "{path} ({id}, {:?}) is inactive; an active item cannot carry it",
                        t.name
                    ),
                ),
                Some(_) => {}
            }
        }
        if let Some(directory) = directory {
            let mut groups: Vec<(String, GroupId)> = Vec::new();
            for (i, item) in self.items.iter().enumerate() {
                match &item.approval {
                    CatalogApproval::Group { group } => {
                        groups.push((format!("items[{i}].approval.group"), *group));
                    }
                    CatalogApproval::People { approvers } => {
                        for (j, p) in approvers.iter().enumerate() {
                            let path = format!("items[{i}].approval.approvers[{j}]");
                            person_ref(&mut out, directory, &path, *p);
                        }
                    }
                    _ => {}
                }
                let at = format!("items[{i}]");
                groups.extend(
                    item.fulfilment_group
                        .map(|g| (format!("{at}.fulfilment_group"), g)),
                );
                groups.extend(task_groups(
                    &format!("{at}.fulfilment_tasks"),
                    &item.fulfilment_tasks,
                ));
            }
            for (i, t) in self.standard_changes.iter().enumerate() {
                let at = format!("standard_changes[{i}]");
                groups.extend(
                    t.assignment_group
                        .map(|g| (format!("{at}.assignment_group"), g)),
                );
                groups.extend(task_groups(&format!("{at}.tasks"), &t.tasks));
            }
            for (path, group) in groups {
                group_ref(&mut out, directory, &path, group);
            }
        }
        out
    }

    /// The item with `id`.
    #[must_use]
    pub fn item(&self, id: CatalogItemId) -> Option<&CatalogItem> {
        self.items.iter().find(|i| i.id == id)
    }

    /// The standard change template with `id`.
    #[must_use]
    pub fn standard_change(&self, id: StandardChangeTemplateId) -> Option<&StandardChangeTemplate> {
        self.standard_changes.iter().find(|t| t.id == id)
    }

    /// Places `order`: checks it against its item ([`CatalogItem::check_order`],
    /// paths under `variables.…`), then creates, linked both ways:
    ///
    /// - the service request (`submitted`), which lists its item and change;
    /// - the request item (`submitted`) with the answers (defaults filled
    ///   in), its approvals asked of the item's approvers (`requested`), or
    ///   `approval` `not_required` when the item needs none, so that the
    ///   service request flow's `fulfil` takes it straight to fulfilment;
    /// - its fulfilment tasks (parent: the item), `pending`: the lowest
    ///   order may start (`itsm_lifecycle::ready_tasks`, and the task flow's
    ///   `ready`), as the desk's `Desk::order` does;
    /// - when the item carries a standard change: the change (`standard`,
    ///   `new`, `approval` `not_required`, the template's fixed fields, the
    ///   item's requester), naming the request and the item, with the
    ///   template's implementation tasks (parent: the change).
    ///
    /// Every record made is valid by its own rules.
    ///
    /// # Errors
    /// Every problem at once: an unknown or inactive item
    /// (`unknown_reference`, `inactive_reference` at `catalog_item`), a
    /// quantity of 0 (`out_of_range`), the answers' problems, a manager
    /// approval for a person without a manager or without a directory
    /// (`approver_missing`), a group approval of a group with no active
    /// member, and an unknown or inactive standard change template.
    pub fn order(
        &self,
        order: &Order,
        refs: &OrderRefs<'_>,
        numbering: &mut dyn Numbering,
    ) -> Result<Ordered, Vec<Violation>> {
        let mut out = Vec::new();
        let Some(item) = self.item(order.catalog_item) else {
            violation(
                &mut out,
                "catalog_item",
                "unknown_reference",
                format_args!(
                    "catalog_item ({}) is not an item of the catalog",
                    order.catalog_item
                ),
            );
            return Err(out);
        };
        if !item.active {
            violation(
                &mut out,
                "catalog_item",
                "inactive_reference",
                format_args!(
                    "catalog_item ({}, {:?}) is inactive and cannot be ordered",
                    item.id, item.name
                ),
            );
        }
        if order.quantity == 0 {
            violation(
                &mut out,
                "quantity",
                "out_of_range",
                "quantity is 0; at least 1 item must be ordered",
            );
        }
        out.extend(item.check_order(&order.variables, refs));
        let requested_for = order.requested_for.unwrap_or(order.requested_by);
        if let Some(directory) = refs.directory {
            person_ref(&mut out, directory, "requested_by", order.requested_by);
            if order.requested_for.is_some() {
                person_ref(&mut out, directory, "requested_for", requested_for);
            }
        }
        let approvers = approvers(
            item,
            (order.requested_by, requested_for),
            refs.directory,
            &mut out,
        );
        let template = match item.standard_change {
            None => None,
            Some(id) => match self.standard_change(id) {
                Some(t) if t.active => Some(t),
                found => {
                    let (rule, why) = if found.is_some() {
                        ("inactive_reference", "is inactive")
                    } else {
                        ("unknown_reference", "is not a template of the catalog")
                    };
                    violation(
                        &mut out,
                        "catalog_item",
                        rule,
                        format_args!(
                            "catalog_item {:?} carries standard change {id}, which {why}",
                            item.name
                        ),
                    );
                    None
                }
            },
        };
        if !out.is_empty() {
            return Err(out);
        }
        Ok(self.create(item, template, order, requested_for, approvers, numbering))
    }

    fn create(
        &self,
        item: &CatalogItem,
        template: Option<&StandardChangeTemplate>,
        order: &Order,
        requested_for: PersonId,
        approvers: Vec<(PersonId, Option<GroupId>)>,
        numbering: &mut dyn Numbering,
    ) -> Ordered {
        let at = order.opened_at;
        let request_id = ServiceRequestId::new_v7(at, numbering.random());
        let item_id = RequestItemId::new_v7(at, numbering.random());
        let mut request = ServiceRequest::new(
            request_id,
            numbering.next_number(NumberPrefix::ServiceRequest),
            item.id,
            order.requested_by,
            item.name.clone(),
            at,
        );
        request.requested_for = requested_for;
        request.quantity = order.quantity;
        request.channel = order.channel;
        request.items = vec![item_id];
        // A `null` answer is no answer: the default, if any, stands in.
        let mut variables = order.variables.clone();
        variables.retain(|_, v| !matches!(v, FieldValue::Null));
        for v in &item.variables {
            if let Some(default) = &v.default {
                variables
                    .entry(v.name.clone())
                    .or_insert_with(|| default.clone());
            }
        }
        let approvals: Vec<Approval> = approvers
            .into_iter()
            .map(|(p, g)| Approval::requested(p, g, at))
            .collect();
        let approval = if approvals.is_empty() {
            ApprovalStatus::NotRequired
        } else {
            ApprovalStatus::Requested
        };
        // The approvals are the item's; the request says only whether none
        // is needed.
        if approval == ApprovalStatus::NotRequired {
            request.approval = approval;
        }
        let mut request_item = RequestItem {
            id: item_id,
            number: numbering.next_number(NumberPrefix::RequestItem),
            request: request_id,
            catalog_item: item.id,
            short_description: item.name.clone(),
            quantity: order.quantity,
            requested_by: order.requested_by,
            requested_for,
            state: ServiceRequestState::Submitted,
            approval,
            approvals,
            variables,
            assignment_group: item.fulfilment_group,
            assigned_to: None,
            opened_at: at,
            due_at: None,
            closed_at: None,
            change: None,
            workflow: item.workflow.clone(),
            extensions: Extensions::new(),
        };
        let mut tasks = instantiate_all(
            &item.fulfilment_tasks,
            TaskParent::RequestItem(item_id),
            item.fulfilment_group,
            at,
            numbering,
        );
        let change = template.map(|t| {
            let (mut change, change_tasks) = t.make(order.requested_by, at, numbering);
            change.service_request = Some(request_id);
            change.request_item = Some(item_id);
            request.changes = vec![change.id];
            request_item.change = Some(change.id);
            tasks.extend(change_tasks);
            change
        });
        Ordered {
            request,
            item: request_item,
            change,
            tasks,
        }
    }
}

/// The groups `tasks` name, with their paths under `list`.
fn task_groups(list: &str, tasks: &[TaskTemplate]) -> Vec<(String, GroupId)> {
    tasks
        .iter()
        .enumerate()
        .filter_map(|(j, t)| {
            t.assignment_group
                .map(|g| (format!("{list}[{j}].assignment_group"), g))
        })
        .collect()
}

/// The tasks of `templates`, all pending.
fn instantiate_all(
    templates: &[TaskTemplate],
    parent: TaskParent,
    fallback_group: Option<GroupId>,
    at: DateTime<Utc>,
    numbering: &mut dyn Numbering,
) -> Vec<Task> {
    templates
        .iter()
        .map(|t| {
            t.instantiate(
                TaskId::new_v7(at, numbering.random()),
                numbering.next_number(NumberPrefix::Task),
                parent,
                fallback_group,
                at,
            )
        })
        .collect()
}

/// The approvers an order of `item` for `requested_for` is sent to, or the
/// problems finding them.
fn approvers(
    item: &CatalogItem,
    (requested_by, requested_for): (PersonId, PersonId),
    directory: Option<&Directory>,
    out: &mut Vec<Violation>,
) -> Vec<(PersonId, Option<GroupId>)> {
    // Separation of duties: whoever orders does not approve their order.
    let not_requester = |out: &mut Vec<Violation>, path: &str, p: PersonId| {
        if p == requested_by {
            violation(
                out,
                path,
                "requester_cannot_approve",
                format_args!("{path} ({p}) ordered the item and may not approve it"),
            );
        }
    };
    match &item.approval {
        CatalogApproval::Manager => {
            let manager = directory
                .and_then(|d| d.person(requested_for))
                .and_then(|p| p.manager);
            match (manager, directory) {
                (Some(m), Some(d)) => {
                    person_ref(out, d, "requested_for.manager", m);
                    not_requester(out, "requested_for.manager", m);
                    vec![(m, None)]
                }
                _ => {
                    violation(
                        out,
                        "requested_for",
                        "approver_missing",
                        format_args!(
                            "catalog item {:?} is approved by the manager of {requested_for}, and {}",
                            item.name,
                            if directory.is_some() {
                                "the directory gives them none"
                            } else {
                                "no directory was given to find them"
                            }
                        ),
                    );
                    Vec::new()
                }
            }
        }
        CatalogApproval::Group { group } => {
            let members: Vec<PersonId> = directory
                .map(|d| {
                    d.members(*group)
                        .into_iter()
                        .filter(|p| *p != requested_by)
                        .filter(|p| d.person(*p).is_some_and(|p| p.active))
                        .collect()
                })
                .unwrap_or_default();
            if members.is_empty() {
                violation(
                    out,
                    "catalog_item",
                    "approver_missing",
                    format_args!(
                        "catalog item {:?} is approved by group {group}, which has no active member{}",
                        item.name,
                        if directory.is_some() {
                            " but the person who ordered"
                        } else {
                            " known (no directory was given)"
                        }
                    ),
                );
            }
            members.into_iter().map(|p| (p, Some(*group))).collect()
        }
        CatalogApproval::People { approvers } => {
            for (i, p) in approvers.iter().enumerate() {
                let path = format!("catalog_item.approval.approvers[{i}]");
                if let Some(d) = directory {
                    person_ref(out, d, &path, *p);
                }
                not_requester(out, &path, *p);
            }
            approvers.iter().map(|p| (*p, None)).collect()
        }
        _ => Vec::new(),
    }
}

fn person_ref(out: &mut Vec<Violation>, directory: &Directory, path: &str, id: PersonId) {
    out.extend(directory.person_problems(path, id));
}

fn group_ref(out: &mut Vec<Violation>, directory: &Directory, path: &str, id: GroupId) {
    out.extend(directory.group_problems(path, id));
}

impl CatalogItem {
    /// The problems of an order's answers (`variables`, by variable name),
    /// every one at once, at `variables.<name>`:
    ///
    /// - `unknown_variable`: a name the item does not ask (with the nearest
    ///   known name);
    /// - `required_variable`: a required variable unanswered, with no
    ///   default (`null` counts as unanswered);
    /// - `wrong_type`: a value of the wrong JSON type;
    /// - `not_a_choice`, `out_of_range`, `not_an_integer`, `too_long`,
    ///   `invalid_date`, `invalid_id`: a value its kind refuses;
    /// - `unknown_reference`, `inactive_person`, `inactive_group`: a person,
    ///   group or configuration item that `refs` does not know or holds
    ///   inactive.
    #[must_use]
    pub fn check_order(&self, values: &Extensions, refs: &OrderRefs<'_>) -> Vec<Violation> {
        let mut out = Vec::new();
        for (name, value) in values {
            match self.variables.iter().find(|v| &v.name == name) {
                Some(variable) => {
                    if !matches!(value, FieldValue::Null) {
                        out.extend(answer_problems(variable, value, refs));
                    }
                }
                None => {
                    let path = format!("variables.{name}");
                    let hint = crate::json::nearest_name(
                        name,
                        self.variables.iter().map(|v| v.name.as_str()),
                    )
                    .map(|n| format!(" (did you mean `{n}`?)"))
                    .unwrap_or_default();
                    violation(
                        &mut out,
                        &path,
                        "unknown_variable",
                        format_args!(
                            "{path} is not a variable of catalog item {:?}{hint}",
                            self.name
                        ),
                    );
                }
            }
        }
        for v in &self.variables {
            let answered = values
                .get(&v.name)
                .is_some_and(|value| !matches!(value, FieldValue::Null));
            if v.required && !answered && v.default.is_none() {
                let path = format!("variables.{}", v.name);
                violation(
                    &mut out,
                    &path,
                    "required_variable",
                    format_args!(
                        "{path} ({:?}) is required by catalog item {:?}",
                        v.label, self.name
                    ),
                );
            }
        }
        out
    }
}

/// The problems of one answer, at `variables.<name>`.
fn answer_problems(
    variable: &CatalogVariable,
    value: &FieldValue,
    refs: &OrderRefs<'_>,
) -> Vec<Violation> {
    let mut out = Vec::new();
    let path = format!("variables.{}", variable.name);
    let wrong = |out: &mut Vec<Violation>, expected: &str| {
        violation(
            out,
            &path,
            "wrong_type",
            format_args!(
                "{path} must be {expected}, not {}",
                crate::quoted(&value.to_string())
            ),
        );
    };
    match &variable.kind {
        VariableKind::Text { max_length } => match value.as_str() {
            None => wrong(&mut out, "a text"),
            Some(s) => {
                if let Some(max) = max_length
                    && s.chars().count() > *max as usize
                {
                    violation(
                        &mut out,
                        &path,
                        "too_long",
                        format_args!(
                            "{path} is {} characters long; at most {max} are accepted",
                            s.chars().count()
                        ),
                    );
                }
            }
        },
        VariableKind::Choice { choices } => match value.as_str() {
            None => wrong(&mut out, "one of its choices, as a text"),
            Some(s) if !choices.iter().any(|c| c == s) => violation(
                &mut out,
                &path,
                "not_a_choice",
                format_args!(
                    "{path} is {}, which is not one of [{}]",
                    crate::quoted(s),
                    choices.join(", ")
                ),
            ),
            Some(_) => {}
        },
        VariableKind::Number { min, max, integer } => {
            let number = match value {
                FieldValue::Int(n) => Some(*n as f64),
                FieldValue::UInt(n) => Some(*n as f64),
                FieldValue::Float(n) => Some(*n),
                _ => None,
            };
            match number {
                None => wrong(&mut out, "a number"),
                Some(n) if !n.is_finite() => violation(
                    &mut out,
                    &path,
                    "out_of_range",
                    format_args!("{path} is {n}, not a finite number"),
                ),
                Some(n) => {
                    if *integer && matches!(value, FieldValue::Float(f) if f.fract() != 0.0) {
                        violation(
                            &mut out,
                            &path,
                            "not_an_integer",
                            format_args!("{path} is {n}; a whole number is expected"),
                        );
                    }
                    let below = min.is_some_and(|lo| n < lo);
                    let above = max.is_some_and(|hi| n > hi);
                    if below || above {
                        let bound = |b: &Option<f64>| b.map_or("…".to_owned(), |b| b.to_string());
                        violation(
                            &mut out,
                            &path,
                            "out_of_range",
                            format_args!("{path} is {n}, outside [{}, {}]", bound(min), bound(max)),
                        );
                    }
                }
            }
        }
        VariableKind::Boolean => {
            if !matches!(value, FieldValue::Bool(_)) {
                wrong(&mut out, "true or false");
            }
        }
        VariableKind::Date => match value.as_str() {
            None => wrong(&mut out, "a date (YYYY-MM-DD)"),
            Some(s) => {
                if NaiveDate::parse_from_str(s, "%Y-%m-%d").is_err() {
                    violation(
                        &mut out,
                        &path,
                        "invalid_date",
                        format_args!("{path} is {}, not a date YYYY-MM-DD", crate::quoted(s)),
                    );
                }
            }
        },
        VariableKind::Person | VariableKind::Group | VariableKind::ConfigurationItem => {
            let what = match variable.kind {
                VariableKind::Person => "person",
                VariableKind::Group => "group",
                _ => "configuration item",
            };
            let Some(s) = value.as_str() else {
                wrong(&mut out, &format!("the id of a {what}, as a text"));
                return out;
            };
            let Ok(uuid) = uuid::Uuid::try_parse(s) else {
                violation(
                    &mut out,
                    &path,
                    "invalid_id",
                    format_args!(
                        "{path} is {}, not the id of a {what} (a UUID)",
                        crate::quoted(s)
                    ),
                );
                return out;
            };
            match variable.kind {
                VariableKind::Person => {
                    if let Some(d) = refs.directory {
                        person_ref(&mut out, d, &path, PersonId::from_uuid(uuid));
                    }
                }
                VariableKind::Group => {
                    if let Some(d) = refs.directory {
                        group_ref(&mut out, d, &path, GroupId::from_uuid(uuid));
                    }
                }
                _ => {
                    if let Some(cis) = refs.configuration_items
                        && !cis.contains(&CiId::from_uuid(uuid))
                    {
                        violation(
                            &mut out,
                            &path,
                            "unknown_reference",
                            format_args!("{path} ({uuid}) is not a known configuration item"),
                        );
                    }
                }
            }
        }
    }
    out
}

impl StandardChangeTemplate {
    /// A change made from this template ([`instantiate`](Self::instantiate),
    /// its id and number from `numbering`) with its implementation tasks
    /// (parent: the change, `pending`, the template's group where a task
    /// names none).
    pub fn make(
        &self,
        requested_by: PersonId,
        opened_at: DateTime<Utc>,
        numbering: &mut dyn Numbering,
    ) -> (Change, Vec<Task>) {
        let id = ChangeId::new_v7(opened_at, numbering.random());
        let change = self.instantiate(
            id,
            numbering.next_number(NumberPrefix::Change),
            requested_by,
            opened_at,
        );
        let tasks = instantiate_all(
            &self.tasks,
            TaskParent::Change(id),
            self.assignment_group,
            opened_at,
            numbering,
        );
        (change, tasks)
    }

    /// The change this template makes: type `standard`, state `new`,
    /// `approval` `not_required` (pre-approved), with the template's
    /// description, category, risk, impact, service, configuration items,
    /// group and plans, and `template` naming it. Edits of
    /// [`STANDARD_CHANGE_FIXED`] are then refused by the lifecycle.
    #[must_use]
    pub fn instantiate(
        &self,
        id: ChangeId,
        number: RecordNumber,
        requested_by: PersonId,
        opened_at: DateTime<Utc>,
    ) -> Change {
        let mut change = Change::new(
            id,
            number,
            ChangeType::Standard,
            requested_by,
            self.short_description.clone(),
            opened_at,
        );
        change.description = self.description.clone();
        change.category = self.category.clone();
        change.risk = self.risk;
        change.impact = self.impact;
        change.service = self.service;
        change.configuration_items = self.configuration_items.clone();
        change.assignment_group = self.assignment_group;
        change.implementation_plan = Some(self.implementation_plan.clone());
        change.backout_plan = Some(self.backout_plan.clone());
        change.test_plan = self.test_plan.clone();
        change.approval = ApprovalStatus::NotRequired;
        change.template = Some(self.id);
        change
    }
}

crate::derived::derived_fields!(CatalogItem, [], |_record, _given| {});
crate::derived::derived_fields!(StandardChangeTemplate, [], |_record, _given| {});
