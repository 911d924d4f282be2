//! [`LifecycleError`], the one error type of this crate.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::DefinitionIssue;

/// Why the engine refused a transition: one guard, required field or reason.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// A guard did not allow the transition.
    Guard {
        /// The guard's name.
        guard: String,
    },
    /// The target state requires a field the record does not have.
    MissingField {
        /// The field's name.
        field: String,
    },
    /// The target state requires a reason and none was given.
    MissingReason {
        /// The reasons accepted.
        expected: Vec<String>,
    },
    /// The reason given is not one the target state accepts.
    InvalidReason {
        /// The reason given.
        reason: String,
        /// The reasons accepted.
        expected: Vec<String>,
    },
    /// The reason given needs a comment with the event, and none was given.
    MissingComment {
        /// The reason given.
        reason: String,
        /// The comment's visibility: public (to the caller) or a work note.
        visibility: itsm_core::CommentVisibility,
    },
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Guard { guard } => write!(f, "guard {guard:?} refused"),
            Self::MissingField { field } => write!(f, "required field {field:?} is missing"),
            Self::MissingReason { expected } => {
                write!(f, "a reason is required (one of {})", expected.join(", "))
            }
            Self::InvalidReason { reason, expected } => {
                write!(
                    f,
                    "reason {reason:?} is not accepted (expected one of {})",
                    expected.join(", ")
                )
            }
            Self::MissingComment { reason, visibility } => write!(
                f,
                "reason {reason:?} needs a {} with the event",
                match visibility {
                    itsm_core::CommentVisibility::Public => "public comment (to the caller)",
                    _ => "work note",
                }
            ),
        }
    }
}

/// Why a replayed history entry does not fit the workflow.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ReplayFault {
    /// The entry starts from another state than the one the record was in.
    WrongFrom {
        /// The state the record was in.
        expected: String,
    },
    /// The workflow has no transition for the entry's state and event.
    NoTransition,
    /// The workflow's transition leads elsewhere than the entry says.
    WrongTarget {
        /// The state the workflow leads to.
        expected: String,
    },
    /// The entry is earlier than the one before it.
    OutOfOrder,
}

impl std::fmt::Display for ReplayFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WrongFrom { expected } => write!(f, "the record was in {expected:?}"),
            Self::NoTransition => f.write_str("the workflow has no such transition"),
            Self::WrongTarget { expected } => write!(f, "the workflow leads to {expected:?}"),
            Self::OutOfOrder => f.write_str("the entry is earlier than the previous one"),
        }
    }
}

/// Everything that can go wrong in `itsm-lifecycle`.
///
/// Messages are lower-case and name the workflow, the state, the event and
/// the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// A workflow definition has problems; every one of them is listed.
    #[error("workflow {workflow_q} is invalid: {} problem(s): {}", issues.len(), issues.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), workflow_q = itsm_core::quoted(workflow))]
    InvalidDefinition {
        /// The workflow's name.
        workflow: String,
        /// Every problem found.
        issues: Vec<DefinitionIssue>,
    },
    /// The record's state is not a state of the workflow.
    #[error("workflow {workflow_q} has no state {state_q}", workflow_q = itsm_core::quoted(workflow), state_q = itsm_core::quoted(state))]
    UnknownState {
        /// The workflow's name.
        workflow: String,
        /// The state's wire name.
        state: String,
    },
    /// The record is in a terminal state; nothing may happen to it.
    #[error("workflow {workflow_q}: state {state_q} is terminal, event {event_q} is refused", workflow_q = itsm_core::quoted(workflow), state_q = itsm_core::quoted(state), event_q = itsm_core::quoted(event))]
    Terminal {
        /// The workflow's name.
        workflow: String,
        /// The terminal state.
        state: String,
        /// The event refused.
        event: String,
    },
    /// The workflow has no transition for this event from this state.
    #[error("workflow {workflow_q}: event {event_q} is not allowed in state {state_q} (allowed: {})", if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") }, workflow_q = itsm_core::quoted(workflow), event_q = itsm_core::quoted(event), state_q = itsm_core::quoted(state))]
    NotAllowed {
        /// The workflow's name.
        workflow: String,
        /// The record's state.
        state: String,
        /// The event refused.
        event: String,
        /// The events the workflow defines from this state.
        allowed: Vec<String>,
    },
    /// A guard, a required field or a reason refused the transition; every
    /// refusal is listed.
    #[error("workflow {workflow_q}: event {event_q} from {state_q} to {to_q} refused: {}", refusals.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), workflow_q = itsm_core::quoted(workflow), event_q = itsm_core::quoted(event), state_q = itsm_core::quoted(state), to_q = itsm_core::quoted(to))]
    Refused {
        /// The workflow's name.
        workflow: String,
        /// The record's state.
        state: String,
        /// The event refused.
        event: String,
        /// The state the transition would have reached.
        to: String,
        /// Every reason for refusing.
        refusals: Vec<Refusal>,
    },
    /// A history entry does not fit the workflow; the first such entry is reported.
    #[error(
        "workflow {workflow_q}: history entry {index} ({from_q} --{event}--> {to_q}) refused: {fault}"
    , workflow_q = itsm_core::quoted(workflow), from_q = itsm_core::quoted(from), to_q = itsm_core::quoted(to))]
    ReplayRefused {
        /// The workflow's name.
        workflow: String,
        /// The entry's position in the history (0-based).
        index: usize,
        /// The entry's `from`.
        from: String,
        /// The entry's `event`.
        event: String,
        /// The entry's `to`.
        to: String,
        /// What does not fit.
        fault: Box<ReplayFault>,
    },
    /// A change's type may change only while it is new and has no approvals.
    #[error(
        "change type may not change from {from} to {to}: the change is {state_q} with {approvals} approval(s); only a new change without approvals may change type"
    , state_q = itsm_core::quoted(state))]
    ChangeTypeLocked {
        /// The current type.
        from: String,
        /// The requested type.
        to: String,
        /// The change's state.
        state: String,
        /// The approvals not cancelled.
        approvals: usize,
    },
    /// A record names a workflow the lifecycle does not have (a request
    /// item whose catalog item names a fulfilment workflow the desk was not
    /// configured with).
    #[error("{record}: workflow {name_q} is not one of this lifecycle's ({known})", name_q = itsm_core::quoted(name))]
    UnknownWorkflow {
        /// The record's number.
        record: String,
        /// The workflow it names.
        name: String,
        /// The workflows there are.
        known: String,
    },
    /// Two workflows of a kind whose records name their workflow share a name.
    #[error("two {kind} workflows are named {name_q}; a record names the one it follows", name_q = itsm_core::quoted(name))]
    DuplicateWorkflow {
        /// The kind of record.
        kind: String,
        /// The name given twice.
        name: String,
    },
    /// An edit of a field that a change's standard change template fixes.
    #[error(
        "{number}: {field} is fixed by standard change template {template} and may not be edited; make a normal change to deviate from the template"
    )]
    FixedByTemplate {
        /// The change's number.
        number: String,
        /// The field.
        field: String,
        /// The template's id.
        template: String,
    },
    /// A string is not a known name of an enumeration.
    #[error("invalid {field} {value_q}: expected one of {expected}", value_q = itsm_core::quoted(value))]
    InvalidName {
        /// The field or type being parsed.
        field: &'static str,
        /// The text that failed to parse.
        value: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// An edit names a field that cannot be edited, or that the record does not have.
    #[error("{record}: field {field_q} cannot be edited: {reason}", field_q = itsm_core::quoted(field))]
    InvalidEdit {
        /// The record's number.
        record: String,
        /// The field (its JSON key, `extensions.<key>` for a custom field).
        field: String,
        /// Why not.
        reason: String,
    },
    /// A record is opened in another state than its workflow's initial state.
    #[error(
        "{record}: a record opens in state {initial_q} of workflow {workflow_q}, not in {state_q}"
    , initial_q = itsm_core::quoted(initial), workflow_q = itsm_core::quoted(workflow), state_q = itsm_core::quoted(state))]
    NotInitial {
        /// The record's number.
        record: String,
        /// The workflow's name.
        workflow: String,
        /// The record's state.
        state: String,
        /// The workflow's initial state.
        initial: String,
    },
    /// A timeline event does not fit the record it is replayed on; the first such event is reported.
    #[error("{record}: timeline event {index} cannot be replayed: {message}")]
    TimelineRefused {
        /// The record's number.
        record: String,
        /// The event's position in the timeline (0-based).
        index: usize,
        /// What does not fit.
        message: String,
    },
    /// A typed lifecycle was given another number of workflows than its record has default flows.
    #[error("a {kind} lifecycle needs {expected} workflow(s), one per default flow, not {given}")]
    FlowCount {
        /// The kind of record.
        kind: String,
        /// The number of default flows.
        expected: usize,
        /// The number of workflows given.
        given: usize,
    },
    /// An error of `itsm-core`, such as a priority matrix without the cell asked for.
    #[error(transparent)]
    Core(#[from] itsm_core::CoreError),
    /// A major-incident rule set has problems; every one is listed with its path.
    #[error("major-incident rules are invalid: {} problem(s): {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidRules {
        /// Every problem found.
        problems: Vec<itsm_core::Violation>,
    },
    /// The directory has no person of this id.
    #[error("actor {person} is not a person of the directory")]
    UnknownActor {
        /// The person's id.
        person: String,
    },
    /// No role of the actor permits the event on this kind of record.
    #[error("{actor} may not apply {event_q} to a {kind}: {why}", event_q = itsm_core::quoted(event))]
    NotPermitted {
        /// The actor's id.
        actor: String,
        /// The event.
        event: String,
        /// The kind of record.
        kind: String,
        /// Why not: their roles, or that they are inactive.
        why: String,
    },
    /// A rule of separation of duties forbids this person this approval.
    #[error("{record}: {person} requested it and may not approve it ({rule})")]
    SeparationOfDuties {
        /// The record's number.
        record: String,
        /// The person.
        person: String,
        /// The rule (`requester_cannot_approve`).
        rule: String,
    },
    /// A parent would enter a state category that [`TaskRule`](crate::TaskRule)
    /// blocks while some of its tasks are active.
    #[error("{kind} {record} cannot become {category} while its task(s) {} are active", tasks.join(", "))]
    OpenTasks {
        /// The parent's kind.
        kind: String,
        /// The parent's number.
        record: String,
        /// The category it would enter (`resolved`, `closed`).
        category: String,
        /// The numbers of its active tasks.
        tasks: Vec<String>,
    },
    /// Assignment rules have problems; every one is listed with its path.
    #[error("assignment rules are invalid: {} problem(s): {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidAssignmentRules {
        /// Every problem found.
        problems: Vec<itsm_core::Violation>,
    },
    /// JSON that does not parse as the expected type.
    #[error("invalid JSON at {path}: {message}")]
    Json {
        /// The JSON path of the offending value (`.` for the document itself).
        path: String,
        /// What the parser reported, with line and column.
        message: String,
    },
}
