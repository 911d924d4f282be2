//! [`Task`]: a child record of work on an incident, a problem, a change or a
//! request item, and the [`TaskTemplate`] tasks are made from.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    ChangeId, Extensions, GroupId, IncidentId, PersonId, ProblemId, RecordKind, RecordNumber,
    RequestItemId, TaskId, TaskState,
};

/// The record a [`Task`] belongs to: an incident task, a problem task, a
/// change task or a request task (the fulfilment task of a request item).
///
/// On the wire: `{"kind": "change", "id": "…"}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskParent {
    /// An incident task.
    Incident(IncidentId),
    /// A problem task.
    Problem(ProblemId),
    /// A change task (an implementation, test or review step).
    Change(ChangeId),
    /// A request task: a fulfilment step of a request item.
    RequestItem(RequestItemId),
}

impl TaskParent {
    /// The parent's kind of record.
    #[must_use]
    pub const fn kind(self) -> RecordKind {
        match self {
            Self::Incident(_) => RecordKind::Incident,
            Self::Problem(_) => RecordKind::Problem,
            Self::Change(_) => RecordKind::Change,
            Self::RequestItem(_) => RecordKind::RequestItem,
        }
    }

    /// The parent's id, untyped: what a store keys its stream by.
    #[must_use]
    pub const fn uuid(self) -> uuid::Uuid {
        match self {
            Self::Incident(id) => *id.as_uuid(),
            Self::Problem(id) => *id.as_uuid(),
            Self::Change(id) => *id.as_uuid(),
            Self::RequestItem(id) => *id.as_uuid(),
        }
    }
}

/// A task: a unit of work that belongs to another record (its
/// [`TaskParent`]), with its own simple flow, assignment and timestamps
/// (ServiceNow's incident, problem, change and catalog tasks; GLPI's ticket
/// tasks; iTop's work orders).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Task")]
pub struct Task {
    /// The task's id.
    pub id: TaskId,
    /// Its human-readable number (`TASK…`).
    pub number: RecordNumber,
    /// The record it belongs to.
    pub parent: TaskParent,
    /// One line a person reads in a list.
    pub short_description: String,
    /// The full description: what to do.
    #[serde(default)]
    pub description: Option<String>,
    /// The state.
    pub state: TaskState,
    /// Where it comes among its parent's tasks: lower first (ServiceNow's
    /// `order`). Tasks of the same order may run in parallel.
    #[serde(default)]
    pub order: u32,
    /// The group that does it.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// The person who does it.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When work on it first started.
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    /// When it is due.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// The planned start (a change task's window).
    #[serde(default)]
    pub planned_start: Option<DateTime<Utc>>,
    /// The planned end (a change task's window).
    #[serde(default)]
    pub planned_end: Option<DateTime<Utc>>,
    /// When it was closed (complete, incomplete or skipped).
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed it.
    #[serde(default)]
    pub closed_by: Option<PersonId>,
    /// Notes on how it ended.
    #[serde(default)]
    pub close_notes: Option<String>,
    /// The name of the [`TaskTemplate`] it was made from, if any.
    #[serde(default)]
    pub template: Option<String>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A task to create, as a catalog item's fulfilment or a standard change
/// template lists them: plain data, made into a [`Task`] by
/// [`TaskTemplate::instantiate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    /// The template's name, unique within its list (`install_laptop`);
    /// the task keeps it in `template`.
    pub name: String,
    /// The task's short description.
    pub short_description: String,
    /// The task's description: the work instructions.
    #[serde(default)]
    pub description: Option<String>,
    /// The group the task goes to; when absent, the parent's group.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// Where the task comes among its siblings; lower first.
    #[serde(default)]
    pub order: u32,
}

impl TaskTemplate {
    /// The task this template makes, in state `pending` (the task flow's
    /// first state): which tasks of a list may start is for the caller to
    /// decide, by `order` (`itsm_lifecycle::ready_tasks`), and the `ready`
    /// event opens them. `fallback_group` is the parent's group, used when
    /// the template names none.
    #[must_use]
    pub fn instantiate(
        &self,
        id: TaskId,
        number: RecordNumber,
        parent: TaskParent,
        fallback_group: Option<GroupId>,
        opened_at: DateTime<Utc>,
    ) -> Task {
        Task {
            id,
            number,
            parent,
            short_description: self.short_description.clone(),
            description: self.description.clone(),
            state: TaskState::Pending,
            order: self.order,
            assignment_group: self.assignment_group.or(fallback_group),
            assigned_to: None,
            opened_at,
            started_at: None,
            due_at: None,
            planned_start: None,
            planned_end: None,
            closed_at: None,
            closed_by: None,
            close_notes: None,
            template: Some(self.name.clone()),
            extensions: Extensions::new(),
        }
    }
}

crate::derived::derived_fields!(Task, [], |_record, _given| {});
