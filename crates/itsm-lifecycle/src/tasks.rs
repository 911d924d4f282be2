//! The rule of tasks as data: a parent cannot be resolved or closed while
//! one of its tasks is active ([`TaskRule`]), the facts the typed path
//! needs of a parent's tasks ([`ChildTask`]), and ServiceNow's sequencing
//! of tasks by `order` ([`ready_tasks`]).

use std::collections::{BTreeSet, HashMap};

use itsm_core::{
    RecordKind, RecordNumber, RecordState, StateCategory, Task, TaskParent, TaskState,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A parent cannot enter certain state categories while one of its tasks
/// is still active (pending, open, in progress or on hold): ServiceNow's
/// "cannot close a change with open change tasks". Data, on by default.
///
/// On the wire: `{"enabled": true, "parents": ["incident", …],
/// "blocked_categories": ["resolved", "closed"]}`; absent keys take their
/// defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRule {
    /// Whether the rule applies at all. On when absent.
    #[serde(default = "on")]
    pub enabled: bool,
    /// The kinds of parent it covers. By default incidents, problems,
    /// changes and request items.
    #[serde(default = "default_parents")]
    pub parents: BTreeSet<RecordKind>,
    /// The categories a covered parent may not enter while a task is
    /// active. By default resolved and closed; cancelling stays allowed
    /// (whoever cancels a parent cancels or skips its tasks).
    #[serde(default = "default_blocked")]
    pub blocked_categories: BTreeSet<StateCategory>,
}

fn on() -> bool {
    true
}

fn default_parents() -> BTreeSet<RecordKind> {
    BTreeSet::from([
        RecordKind::Incident,
        RecordKind::Problem,
        RecordKind::Change,
        RecordKind::RequestItem,
    ])
}

fn default_blocked() -> BTreeSet<StateCategory> {
    BTreeSet::from([StateCategory::Resolved, StateCategory::Closed])
}

impl Default for TaskRule {
    /// On, for incidents, problems, changes and request items, blocking
    /// resolved and closed.
    fn default() -> Self {
        Self {
            enabled: true,
            parents: default_parents(),
            blocked_categories: default_blocked(),
        }
    }
}

impl TaskRule {
    /// The rule switched off: nothing is ever blocked.
    #[must_use]
    pub fn off() -> Self {
        Self {
            enabled: false,
            ..Self::default()
        }
    }

    /// Whether a parent of `kind` entering `category` must wait for its
    /// active tasks.
    #[must_use]
    pub fn blocks(&self, kind: RecordKind, category: StateCategory) -> bool {
        self.enabled && self.parents.contains(&kind) && self.blocked_categories.contains(&category)
    }
}

/// What the typed path needs to know of one task of a parent: its number,
/// its parent and its state. Made from a [`Task`] by
/// [`Input::with_tasks`](crate::Input::with_tasks).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildTask {
    /// The task's number (`TASK…`), named when it blocks its parent.
    pub number: RecordNumber,
    /// The record it belongs to.
    pub parent: TaskParent,
    /// Its state.
    pub state: TaskState,
}

impl From<&Task> for ChildTask {
    fn from(task: &Task) -> Self {
        Self {
            number: task.number,
            parent: task.parent,
            state: task.state,
        }
    }
}

/// The numbers of the `tasks` that keep a parent of `parent_kind` from
/// entering `target`, under `rule`: every active task (its state's
/// category new, open or paused), in the order given; empty when the rule
/// does not block this kind and category, or no task is active.
///
/// `tasks` are the parent's tasks; the caller chose them by parent.
///
/// ```
/// use chrono::DateTime;
/// use itsm_core::{ChangeId, RecordKind, StateCategory, Task, TaskId, TaskParent};
/// use itsm_lifecycle::{TaskRule, open_tasks_blocking};
///
/// let parent = TaskParent::Change(ChangeId::from_u128(1));
/// let task = Task::new(TaskId::from_u128(2), "TASK0000002".parse()?, parent, "Fail over", DateTime::UNIX_EPOCH);
/// let tasks = [task];
/// let rule = TaskRule::default();
/// let blocking = open_tasks_blocking(&rule, RecordKind::Change, StateCategory::Closed, &tasks);
/// assert_eq!(blocking, [&tasks[0].number]);
/// assert!(open_tasks_blocking(&TaskRule::off(), RecordKind::Change, StateCategory::Closed, &tasks).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn open_tasks_blocking<'a>(
    rule: &TaskRule,
    parent_kind: RecordKind,
    target: StateCategory,
    tasks: &'a [Task],
) -> Vec<&'a RecordNumber> {
    if !rule.blocks(parent_kind, target) {
        return Vec::new();
    }
    tasks
        .iter()
        .filter(|t| t.state.category().is_active())
        .map(|t| &t.number)
        .collect()
}

/// The pending tasks that may now open, ServiceNow's sequencing by
/// `order`: a pending task is ready when no active task of the same parent
/// has a lower order. Tasks of one order run in parallel; a closed or
/// skipped task no longer holds its successors back.
///
/// `tasks` may mix parents: each parent's tasks are sequenced among
/// themselves. The result keeps the order given.
///
/// ```
/// use chrono::DateTime;
/// use itsm_core::{ChangeId, Task, TaskId, TaskParent, TaskState};
/// use itsm_lifecycle::ready_tasks;
///
/// let parent = TaskParent::Change(ChangeId::from_u128(1));
/// let task = |n: u128, order: u32, state: TaskState| -> Result<Task, Box<dyn std::error::Error>> {
///     let mut t = Task::new(TaskId::from_u128(n), format!("TASK{n:07}").parse()?, parent, "step", DateTime::UNIX_EPOCH);
///     t.order = order;
///     t.state = state;
///     Ok(t)
/// };
/// let tasks = [
///     task(1, 100, TaskState::ClosedComplete)?,
///     task(2, 200, TaskState::Pending)?,
///     task(3, 200, TaskState::Pending)?,
///     task(4, 300, TaskState::Pending)?,
/// ];
/// let ready: Vec<_> = ready_tasks(&tasks).iter().map(|t| t.number.to_string()).collect();
/// assert_eq!(ready, ["TASK0000002", "TASK0000003"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn ready_tasks(tasks: &[Task]) -> Vec<&Task> {
    // The lowest order of an active task, per parent.
    let mut lowest: HashMap<TaskParent, u32> = HashMap::new();
    for task in tasks.iter().filter(|t| t.state.category().is_active()) {
        lowest
            .entry(task.parent)
            .and_modify(|o| *o = (*o).min(task.order))
            .or_insert(task.order);
    }
    tasks
        .iter()
        .filter(|t| t.state == TaskState::Pending)
        .filter(|t| lowest.get(&t.parent) == Some(&t.order))
        .collect()
}
