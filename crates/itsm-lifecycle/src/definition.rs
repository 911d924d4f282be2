//! Workflow definitions: plain, serialisable data, validated by
//! [`Workflow::new`](crate::Workflow::new).

use std::collections::BTreeMap;

use itsm_core::{CommentVisibility, StateCategory};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::key::{EventKey, StateKey, WorkflowKey};

/// A workflow as written by a person or shipped by this crate: an initial
/// state, the states, the transitions and the terminal states.
///
/// It is plain data; `Workflow::new` validates it and
/// compiles it into dense tables.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "WorkflowDefinition")]
#[serde(deny_unknown_fields)]
pub struct WorkflowDefinition<S, E> {
    /// The workflow's name, used in errors and diagrams (`incident`).
    pub name: String,
    /// What the workflow is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The state a new record starts in.
    pub initial: S,
    /// Every state, in the order diagrams list them.
    pub states: Vec<StateDefinition<S>>,
    /// Every transition; at most one per (from, event) pair.
    pub transitions: Vec<TransitionDefinition<S, E>>,
    /// The states nothing leaves.
    pub terminal: Vec<S>,
}

/// One state of a workflow.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "StateDefinition")]
#[serde(deny_unknown_fields)]
pub struct StateDefinition<S> {
    /// The state's key (its wire name in JSON).
    pub key: S,
    /// What the state means to SLA clocks and reports.
    pub category: StateCategory,
    /// The fields a record must have to enter this state.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_fields: Vec<String>,
    /// When not empty, entering this state needs a reason, one of these
    /// (the on-hold reasons of an incident).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
    /// Fields required on entry with a given reason, by reason
    /// (`awaiting_problem` needs `problem`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reason_fields: BTreeMap<String, Vec<String>>,
    /// A comment required with the event that enters with a given reason,
    /// by reason: `awaiting_caller` needs a public comment, the question to
    /// the caller (as ServiceNow asks for one).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub reason_comments: BTreeMap<String, CommentVisibility>,
    /// What the state means, for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One transition: `event` moves a record from `from` to `to` when every
/// guard allows it; its effects say what else changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "TransitionDefinition")]
#[serde(deny_unknown_fields)]
pub struct TransitionDefinition<S, E> {
    /// The state the record is in.
    pub from: S,
    /// What happens.
    pub event: E,
    /// The state the record moves to.
    pub to: S,
    /// Named guards, evaluated by the caller's `GuardContext`; all must allow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub guards: Vec<String>,
    /// What else changes, as data for the caller to apply.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub effects: Vec<Effect>,
}

/// A change to the record that a transition implies. The engine performs
/// none: the caller applies them. Fields are named by their JSON key on the
/// `itsm-core` record (constants on `Field`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "type", rename = "Effect")]
#[non_exhaustive]
pub enum Effect {
    /// Set a timestamp field to the transition's instant.
    SetTimestamp {
        /// The field, such as `resolved_at`.
        field: String,
    },
    /// Clear a timestamp field.
    ClearTimestamp {
        /// The field, such as `resolved_at`.
        field: String,
    },
    /// Set a person field to the transition's actor.
    SetActor {
        /// The field, such as `resolved_by`.
        field: String,
    },
    /// Set a field to the reason given with the event.
    SetReason {
        /// The field, such as `on_hold_reason`.
        field: String,
    },
    /// Clear a field.
    ClearField {
        /// The field, such as `on_hold_reason`.
        field: String,
    },
    /// Add one to a counter field.
    Increment {
        /// The field, such as `reopen_count`.
        field: String,
    },
    /// Cancel every approval still requested.
    CancelPendingApprovals,
    /// Cancel the incident's major-incident state if it is proposed or accepted.
    CancelMajorIncident,
    /// Resolve the incidents on hold awaiting this problem
    /// (listed by `incidents_to_resolve`).
    ResolveIncidentsAwaitingProblem,
    /// Move every change of this release to implementation with it: a
    /// release is deployed as one unit.
    ImplementReleaseChanges,
    /// Back out every change of this release (implementation failed,
    /// recorded on each change) when its deployment fails.
    BackOutReleaseChanges,
}

itsm_core::internally_tagged!(Effect, "type");

impl<S> StateDefinition<S> {
    /// A state of `category` with no required fields and no reasons.
    #[must_use]
    pub fn new(key: S, category: StateCategory) -> Self {
        Self {
            key,
            category,
            required_fields: Vec::new(),
            reasons: Vec::new(),
            reason_fields: BTreeMap::new(),
            reason_comments: BTreeMap::new(),
            description: None,
        }
    }

    /// This state, also requiring `field` on entry.
    #[must_use]
    pub fn requiring(mut self, field: impl Into<String>) -> Self {
        self.required_fields.push(field.into());
        self
    }

    /// This state, requiring one of `reasons` on entry.
    #[must_use]
    pub fn with_reasons<I, R>(mut self, reasons: I) -> Self
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        self.reasons.extend(reasons.into_iter().map(Into::into));
        self
    }

    /// This state, also requiring `field` on entry with `reason`.
    #[must_use]
    pub fn requiring_for(mut self, reason: impl Into<String>, field: impl Into<String>) -> Self {
        self.reason_fields
            .entry(reason.into())
            .or_default()
            .push(field.into());
        self
    }

    /// This state, also requiring a comment of `visibility` with the event
    /// that enters it with `reason`.
    #[must_use]
    pub fn requiring_comment_for(
        mut self,
        reason: impl Into<String>,
        visibility: CommentVisibility,
    ) -> Self {
        self.reason_comments.insert(reason.into(), visibility);
        self
    }

    /// This state, described.
    #[must_use]
    pub fn described(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl<S, E> TransitionDefinition<S, E> {
    /// A transition with no guard and no effect.
    #[must_use]
    pub fn new(from: S, event: E, to: S) -> Self {
        Self {
            from,
            event,
            to,
            guards: Vec::new(),
            effects: Vec::new(),
        }
    }

    /// This transition, also guarded by `guard`.
    #[must_use]
    pub fn guard(mut self, guard: impl Into<String>) -> Self {
        self.guards.push(guard.into());
        self
    }

    /// This transition, with one more effect.
    #[must_use]
    pub fn effect(mut self, effect: Effect) -> Self {
        self.effects.push(effect);
        self
    }
}

impl<S: StateKey, E: EventKey> WorkflowDefinition<S, E> {
    /// The same definition with every key replaced by its wire name: what a
    /// custom workflow loaded from JSON looks like.
    #[must_use]
    pub fn to_dynamic(&self) -> WorkflowDefinition<String, String> {
        let s = |k: &S| k.wire_name().into_owned();
        let e = |k: &E| k.wire_name().into_owned();
        WorkflowDefinition {
            name: self.name.clone(),
            description: self.description.clone(),
            initial: s(&self.initial),
            states: self
                .states
                .iter()
                .map(|st| StateDefinition {
                    key: s(&st.key),
                    category: st.category,
                    required_fields: st.required_fields.clone(),
                    reasons: st.reasons.clone(),
                    reason_fields: st.reason_fields.clone(),
                    reason_comments: st.reason_comments.clone(),
                    description: st.description.clone(),
                })
                .collect(),
            transitions: self
                .transitions
                .iter()
                .map(|t| TransitionDefinition {
                    from: s(&t.from),
                    event: e(&t.event),
                    to: s(&t.to),
                    guards: t.guards.clone(),
                    effects: t.effects.clone(),
                })
                .collect(),
            terminal: self.terminal.iter().map(s).collect(),
        }
    }
}

/// What kind of problem a workflow definition has.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum IssueKind {
    /// A state is used but not declared.
    UnknownState,
    /// A state is declared twice.
    DuplicateState,
    /// Two transitions share the same state and event.
    DuplicateTransition,
    /// A state cannot be reached from the initial state.
    UnreachableState,
    /// A non-terminal state from which no terminal (or closed or cancelled) state can be reached.
    DeadEnd,
    /// A terminal state has an outgoing transition.
    TerminalHasOutgoing,
    /// A guard is not known to the guard context.
    UnknownGuard,
    /// A typed state is declared with a category other than its own.
    CategoryMismatch,
    /// An entry reason, required field or guard is declared twice or empty.
    BadName,
    /// The definition is too large to compile (more than 2^24 state-event cells).
    TooLarge,
}

/// One problem of a workflow definition, with the JSON path that shows where.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct DefinitionIssue {
    /// Where, such as `transitions[3].to`.
    pub path: String,
    /// What kind of problem.
    pub kind: IssueKind,
    /// A sentence for a person, naming the value.
    pub message: String,
}

impl std::fmt::Display for DefinitionIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.kind)
    }
}

/// Formats a key for a message.
pub(crate) fn q<K: WorkflowKey>(key: &K) -> String {
    format!("{:?}", key.wire_name())
}

impl<S: StateKey, E: EventKey> WorkflowDefinition<S, E> {
    /// Parses a definition from JSON (a custom workflow file).
    ///
    /// # Errors
    /// [`LifecycleError::Json`](crate::LifecycleError::Json) with the JSON
    /// path of the offending value and the parser's message.
    pub fn from_json(text: &str) -> Result<Self, crate::LifecycleError> {
        itsm_core::from_json(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => {
                crate::LifecycleError::Json { path, message }
            }
            other => crate::LifecycleError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })
    }

    /// The definition as pretty-printed JSON, ending in a newline.
    ///
    /// # Errors
    /// [`LifecycleError::Json`](crate::LifecycleError::Json) if a key does
    /// not serialise as JSON (never for the typed keys and `String`).
    pub fn to_json(&self) -> Result<String, crate::LifecycleError> {
        let mut text =
            serde_json::to_string_pretty(self).map_err(|e| crate::LifecycleError::Json {
                path: ".".to_owned(),
                message: e.to_string(),
            })?;
        text.push('\n');
        Ok(text)
    }
}
