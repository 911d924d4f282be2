//! A data-driven workflow engine for ITSM records, and the ITIL default flows
//! for incident, major incident, problem, known error, change, release,
//! service request and knowledge article.
//!
//! For the ITIL records of `itsm-core` the typed path is the default:
//! [`Lifecycle`] applies an event to the record itself and returns the
//! record, its audit entry and the timeline events that describe what
//! changed.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use itsm_core::{Incident, IncidentId, IncidentState, PersonId, Priority, PriorityMatrix, Urgency};
//! use itsm_lifecycle::{IncidentEvent, Input, Lifecycle};
//!
//! let lifecycle = Lifecycle::<Incident>::itil()?.with_matrix(PriorityMatrix::servicenow());
//! let agent = Some(PersonId::from_u128(7));
//! let at = |minute| Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0).unwrap();
//! let draft = Incident::new(
//!     IncidentId::from_u128(1),
//!     "INC0001234".parse()?,
//!     PersonId::from_u128(2),
//!     "Payroll portal returns HTTP 500",
//!     at(0),
//! );
//!
//! // Opening writes the `created` event; the matrix sets the priority.
//! let opened = lifecycle.open(draft, agent, at(0))?;
//! let mut incident = opened.record.clone();
//! let mut timeline = opened.timeline.clone();
//!
//! // Putting it on hold needs a reason; the record keeps it, the clock pauses.
//! let hold = Input::new().with_reason("awaiting_vendor");
//! let step = lifecycle.apply(&incident, IncidentEvent::Hold, &hold, agent, at(5))?;
//! assert_eq!(step.record.state, IncidentState::OnHold);
//! incident = step.record;
//! timeline.extend(step.timeline);
//!
//! // A new urgency: the priority follows, and the timeline says so.
//! let urgent = Input::new().with_value("urgency", &Urgency::High)?;
//! let step = lifecycle.update(&incident, &urgent, agent, at(6))?;
//! assert_eq!(step.record.priority, Priority::P3);
//! incident = step.record;
//! timeline.extend(step.timeline);
//!
//! // Resolving without a resolution code is refused, and the error says why;
//! // with the code and notes in the input it goes through.
//! let refused = lifecycle.apply(&incident, IncidentEvent::Resolve, &Input::new(), agent, at(9));
//! assert!(refused.unwrap_err().to_string().contains("\"resolution_code\" is missing"));
//! let resolution = Input::new()
//!     .with_field("resolution_code", "solution_provided")
//!     .with_field("resolution_notes", "Restarted the application pool.");
//! let step = lifecycle.apply(&incident, IncidentEvent::Resolve, &resolution, agent, at(9))?;
//! assert_eq!(step.record.resolved_at, Some(at(9)));
//! incident = step.record;
//! timeline.extend(step.timeline);
//!
//! // The record is the fold of its own timeline.
//! assert_eq!(lifecycle.replay(&opened.record, &timeline)?, incident);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Under the typed path, and for custom flows on records of a product's
//! own, is the engine: [`Workflow::apply`] takes a state, an event and a
//! [`GuardContext`] and returns a [`Transition`] whose [`Effect`]s name the
//! fields to change as strings.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use itsm_core::{IncidentState, PersonId, StateCategory};
//! use itsm_lifecycle::{incident_flow, Effect, PlainContext, Field, IncidentEvent, Workflow};
//!
//! let workflow = Workflow::new(incident_flow(), &PlainContext::itil())?;
//! let agent = Some(PersonId::from_u128(7));
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 0).unwrap();
//!
//! let start = workflow.apply(&IncidentState::New, &IncidentEvent::Start, agent, at, &PlainContext::itil())?;
//!
//! // Putting an incident on hold needs a reason; the clock pauses.
//! let on_hold = PlainContext::itil().with_reason("awaiting_vendor");
//! let hold = workflow.apply(&start.audit.to, &IncidentEvent::Hold, agent, at, &on_hold)?;
//! assert_eq!(hold.audit.to, IncidentState::OnHold);
//! assert_eq!(hold.to_category, StateCategory::Paused);
//! assert!(hold.effects.contains(&Effect::SetReason { field: Field::ON_HOLD_REASON.to_owned() }));
//!
//! // Replaying the audit history reproduces the state.
//! assert_eq!(workflow.replay(&[start.audit, hold.audit])?, &IncidentState::OnHold);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Deciding what may happen to a ticket next, and doing it to the record:
//! [`Lifecycle`] opens a record ([`Lifecycle::open`], with its `created`
//! event), applies events with the fields that come with them
//! ([`Lifecycle::apply`], [`Input`]), edits, assigns, comments and records
//! approval decisions, and returns a [`Step`]: the record as it is now, the
//! audit entry, the timeline events of every change (state, priority,
//! assignment, fields, comments and work notes) and the effects left for
//! the caller because they touch other records. [`Lifecycle::replay`] folds
//! a timeline back into the record, so a record, its audit trail and its
//! timeline cannot disagree. Underneath, [`Workflow::apply`] takes a
//! record's current state, an event, an actor, an instant and a
//! caller-supplied [`GuardContext`], and returns the [`Transition`] (its
//! audit entry, its [`Effect`]s as data, its timeline event for the SLA
//! clock) or a [`LifecycleError`] naming the guard, required field or
//! reason that refused it. One engine serves the typed ITIL enums of
//! `itsm-core` and fully dynamic `String` keys loaded from JSON
//! ([`WorkflowDefinition::from_json`]); building a [`Workflow`] validates its
//! definition and reports every problem at once. Definitions export as
//! Mermaid ([`Workflow::to_mermaid`]) and Graphviz DOT ([`Workflow::to_dot`]).
//!
//! # What it is not for
//! It stores nothing, reads no clock and performs no side effect: the
//! caller keeps the record and its timeline, passes `now`, and performs the
//! follow-ups (resolving the incidents a problem releases, notifying). It
//! knows nothing about SLA clocks, calendars or the CMDB. Guards are names:
//! what "approved" means for a record is its approvals under an
//! [`ApprovalPolicy`], or the caller's [`GuardContext`].
//!
//! # Features
//! - [`Lifecycle`] over every [`Record`]: [`Incident`](itsm_core::Incident)
//!   (with the major-incident flow: [`Lifecycle::propose_major`],
//!   [`Lifecycle::apply_major`]), [`Problem`](itsm_core::Problem),
//!   [`KnownError`](itsm_core::KnownError), [`Change`](itsm_core::Change)
//!   (its approval summary follows [`ApprovalPolicy::status`]),
//!   [`Release`](itsm_core::Release),
//!   [`ServiceRequest`](itsm_core::ServiceRequest),
//!   [`KnowledgeArticle`](itsm_core::KnowledgeArticle) and
//!   [`Task`](itsm_core::Task).
//! - [`Workflow`]: validation with paths, dense compiled tables, `apply`,
//!   [`Workflow::allowed_events`], [`Workflow::replay`] (a million entries in
//!   about ten milliseconds on one core).
//! - The default flows: [`incident_flow`], [`major_incident_flow`],
//!   [`problem_flow`], [`known_error_flow`], [`change_flow`] (normal,
//!   standard, emergency), [`release_flow`], [`service_request_flow`],
//!   [`knowledge_flow`], [`task_flow`], and [`asset_flow`] for IT assets
//!   (run through [`Workflow`]: an asset has no record number).
//! - Tasks: a parent cannot be resolved or closed while one of its tasks
//!   is active, a rule that is data ([`TaskRule`], on by default, for
//!   incidents, problems, changes and request items) and that the typed
//!   path enforces when given the parent's tasks
//!   ([`Lifecycle::with_task_rule`], [`Input::with_tasks`]); the same check
//!   as a pure function ([`open_tasks_blocking`]); sequencing by `order`
//!   ([`ready_tasks`]).
//! - Pure rules: [`ApprovalPolicy`], [`AutoClose`], [`check_change_type_change`], [`check_standard_change_edit`],
//!   [`incidents_to_resolve`], [`cancel_pending_approvals`].
//! - Who acts: an [`Actor`] built from an `itsm_core::Directory` (their
//!   roles, directly and through groups, and those roles' permissions);
//!   [`Lifecycle::apply_as`] checks the actor's permission and decides the
//!   role guards by [`GuardRoles`] (data: `reanalyze_role` passed by
//!   `problem_manager` by default), so a caller no longer vouches for them;
//!   [`ActorContext`] does the same for [`Workflow::apply`].
//! - Separation of duties ([`SeparationOfDuties`], on by default): the
//!   requester of a change or a request may not approve it.
//! - Assignment rules as data ([`AssignmentRules`]: category, service, CI
//!   class and priority to a group, first match wins), compiled into an
//!   [`Assigner`] that also picks a person of the group, round-robin or
//!   least loaded ([`Pick`]), from the [`Workload`] the caller passes.
//! - JSON Schemas of every definition type: [`schema_bundle`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod actor;
mod assignment;
mod context;
mod definition;
mod diagram;
mod engine;
mod error;
mod events;
mod flows;
mod key;
mod major;
mod policy;
mod record;
mod tasks;
mod typed;

pub use actor::{Actor, ActorContext, GuardRoles, SeparationOfDuties, permission_problems};
pub use assignment::{
    Assigner, Assignment, AssignmentFacts, AssignmentRule, AssignmentRules, Pick, Workload,
};
pub use context::{Field, Guard, GuardContext, PlainContext};
pub use definition::{
    DefinitionIssue, Effect, IssueKind, StateDefinition, TransitionDefinition, WorkflowDefinition,
};
pub use engine::{AuditEntry, MAX_NAME_CHARS, Transition, Workflow};
pub use error::{LifecycleError, Refusal, ReplayFault};
pub use events::{
    AssetEvent, ChangeEvent, IncidentEvent, KnowledgeEvent, KnownErrorEvent, MajorIncidentEvent,
    ProblemEvent, ReleaseEvent, ServiceRequestEvent, TaskEvent,
};
pub use flows::{
    asset_flow, change_flow, incident_flow, knowledge_flow, known_error_flow, major_incident_flow,
    problem_flow, release_flow, service_request_flow, task_flow,
};
pub use key::{EventKey, StateKey, WorkflowKey};
pub use major::{
    MAX_MAJOR_CRITERIA, MAX_VOLUME_WINDOW_SECONDS, MajorIncidentAssessment, MajorIncidentCriterion,
    MajorIncidentFacts, MajorIncidentRules, MatchedCriterion, RelatedIncident, VolumeScope,
};
pub use policy::{
    ApprovalOutcome, ApprovalPolicy, AutoClose, cancel_pending_approvals, check_change_type_change,
    check_standard_change_edit, incidents_to_resolve, retire_superseded,
};
pub use record::Record;
pub use tasks::{ChildTask, TaskRule, open_tasks_blocking, ready_tasks};
pub use typed::{Input, InputComment, Lifecycle, Step};

use itsm_core::SchemaBundle;

/// The schemas of every root type of this crate (namespace `lifecycle`).
/// Workflow definitions, audit entries and transitions are given with
/// `String` keys: the typed ITIL keys serialise to the same strings.
#[must_use]
pub fn schema_bundle() -> SchemaBundle {
    SchemaBundle::new("lifecycle")
        .with::<WorkflowDefinition<String, String>>("workflow_definition")
        .with::<AuditEntry<String, String>>("audit_entry")
        .with::<Transition<String, String>>("transition")
        .with::<DefinitionIssue>("definition_issue")
        .with::<Refusal>("refusal")
        .with::<ReplayFault>("replay_fault")
        .with::<PlainContext>("plain_context")
        .with::<ApprovalPolicy>("approval_policy")
        .with::<ApprovalOutcome>("approval_outcome")
        .with::<AutoClose>("auto_close")
        .with::<Input>("input")
        .with::<IncidentEvent>("incident_event")
        .with::<MajorIncidentEvent>("major_incident_event")
        .with::<ProblemEvent>("problem_event")
        .with::<ChangeEvent>("change_event")
        .with::<ReleaseEvent>("release_event")
        .with::<ServiceRequestEvent>("service_request_event")
        .with::<KnownErrorEvent>("known_error_event")
        .with::<KnowledgeEvent>("knowledge_event")
        .with::<TaskEvent>("task_event")
        .with::<AssetEvent>("asset_event")
        .with::<TaskRule>("task_rule")
        .with::<MajorIncidentRules>("major_incident_rules")
        .with::<MajorIncidentAssessment>("major_incident_assessment")
        .with::<RelatedIncident>("related_incident")
        .with::<Actor>("actor")
        .with::<GuardRoles>("guard_roles")
        .with::<SeparationOfDuties>("separation_of_duties")
        .with::<AssignmentRules>("assignment_rules")
        .with::<AssignmentFacts>("assignment_facts")
        .with::<Workload>("workload")
        .with::<Assignment>("assignment")
}
