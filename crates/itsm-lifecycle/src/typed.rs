//! [`Lifecycle`]: the typed path for the ITIL records. Applying an event
//! updates the record itself and returns the timeline events that describe
//! what changed, so that a record, its audit trail and its timeline cannot
//! disagree: [`Lifecycle::replay`] folds the timeline back into the record.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use itsm_core::{
    Approval, ApprovalDecision, ApprovalStatus, CommentVisibility, FieldValue, GroupId, Impact,
    Incident, MajorIncidentState, PersonId, PriorityMatrix, RecordState, StateCategory, Task,
    TimelineChange, TimelineEvent, Urgency,
};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::key::WorkflowKey;
use crate::policy::ApprovalOutcome;
use crate::{
    Actor, ApprovalPolicy, AuditEntry, ChildTask, Effect, Guard, GuardContext, GuardRoles,
    LifecycleError, MajorIncidentEvent, PlainContext, Record, SeparationOfDuties, TaskRule,
    Transition, Workflow, cancel_pending_approvals, major_incident_flow,
};

type Object = Map<String, Value>;

/// The record's own due date (a service request's `due_at`), written on
/// the timeline when the record opens with one.
const DUE_AT: &str = "due_at";
const MAJOR_PROPOSED_AT: &str = "major_incident_proposed_at";
const MAJOR_PROPOSED_BY: &str = "major_incident_proposed_by";
const MAJOR_DECIDED_AT: &str = "major_incident_decided_at";
const MAJOR_DECIDED_BY: &str = "major_incident_decided_by";
const STATE: &str = "state";
const APPROVAL: &str = "approval";
const APPROVALS: &str = "approvals";
const PRIORITY: &str = "priority";
const IMPACT: &str = "impact";
const URGENCY: &str = "urgency";
const ASSIGNMENT_GROUP: &str = "assignment_group";
const ASSIGNED_TO: &str = "assigned_to";
const ON_HOLD_REASON: &str = "on_hold_reason";
const MAJOR: &str = "major_incident_state";
const EXTENSIONS: &str = "extensions";
/// Custom fields are named `extensions.<key>` in inputs (so that a
/// misspelt field is refused, not stored); timelines name them by their
/// key, as `itsm-core` does.
const EXTENSION_PREFIX: &str = "extensions.";

/// What comes with an event or an edit: the reason, the fields the user
/// filled in, and the guards the caller vouches for.
///
/// Fields are named by the record's JSON keys (`resolution_code`,
/// `planned_start`), custom fields as `extensions.<key>` (the timeline
/// then names them by their key); `null` clears a field. Values are JSON,
/// as a form or a command line gives them.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Input {
    /// The reason given with the event, such as the on-hold reason
    /// `awaiting_vendor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The fields to set before the event is applied, by JSON key.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fields: BTreeMap<String, FieldValue>,
    /// Guards that the record cannot decide and the caller vouches for,
    /// such as `reanalyze_role` (the actor's roles). The record decides
    /// `approved`, `rejected` (from its approvals and the policy) and
    /// `awaiting_caller` (from its on-hold reason) itself.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub guards: BTreeSet<String>,
    /// A comment given with the event or the edit, recorded on the
    /// timeline before the state change: the question to the caller that
    /// putting an incident on hold `awaiting_caller` requires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<InputComment>,
    /// The record's tasks, as the caller holds them: with a [`TaskRule`]
    /// on, an event that would take the record into a blocked category
    /// while one of them is active is refused
    /// ([`LifecycleError::OpenTasks`]). Tasks of another parent are
    /// ignored. The lifecycle reads no store: tasks not given here are
    /// not seen.
    ///
    /// Not on the wire: the program that keeps the tasks gives them
    /// ([`with_tasks`](Self::with_tasks)), so that a client sending a
    /// command cannot vouch that a record has none.
    #[serde(skip)]
    pub tasks: Vec<ChildTask>,
}

/// A comment that comes with an event or an edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct InputComment {
    /// Public (to the caller) or a work note (agents only).
    pub visibility: CommentVisibility,
    /// The text; it may not be blank.
    pub text: String,
}

impl Input {
    /// Nothing: no reason, no fields, no guards.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// This input with a comment of `visibility`.
    #[must_use]
    pub fn with_comment(mut self, visibility: CommentVisibility, text: impl Into<String>) -> Self {
        self.comment = Some(InputComment {
            visibility,
            text: text.into(),
        });
        self
    }

    /// This input with `reason` given.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// This input with `field` set to `value`.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>, value: impl Into<FieldValue>) -> Self {
        self.fields.insert(field.into(), value.into());
        self
    }

    /// This input with `field` set to the JSON form of `value` (a typed
    /// code, an id, an instant, an `Option`).
    ///
    /// # Errors
    /// [`LifecycleError::Json`] when `value` has no JSON form.
    pub fn with_value(
        self,
        field: impl Into<String>,
        value: &impl Serialize,
    ) -> Result<Self, LifecycleError> {
        let field = field.into();
        let value = serde_json::to_value(value)
            .and_then(serde_json::from_value::<FieldValue>)
            .map_err(|e| json_error(&field, &e))?;
        Ok(self.with_field(field, value))
    }

    /// This input with the role guards of `roles` decided by `actor`: those
    /// the actor passes are vouched for, and any other guard of `roles`
    /// the input vouched for is withdrawn.
    #[must_use]
    pub fn with_actor(mut self, actor: &Actor, roles: &GuardRoles) -> Self {
        self.guards.retain(|g| !roles.decides(g));
        self.guards.extend(actor.role_guards(roles));
        self
    }

    /// This input with `guard` vouched for.
    #[must_use]
    pub fn with_guard(mut self, guard: impl Into<String>) -> Self {
        self.guards.insert(guard.into());
        self
    }

    /// This input with `tasks`, the record's tasks, added to those it
    /// holds, for the [`TaskRule`] to check.
    #[must_use]
    pub fn with_tasks(mut self, tasks: &[Task]) -> Self {
        self.tasks.extend(tasks.iter().map(ChildTask::from));
        self
    }
}

/// What one command did to a record: the record as it is now, the audit
/// entry of its transition, the timeline events that describe every change,
/// and the effects left for the caller (those that touch other records).
///
/// `S` and `E` are the state and event of the flow that moved it: the
/// record's own flow, or the major-incident flow for
/// [`Lifecycle::apply_major`].
///
/// It serialises as `{record, audit, timeline, follow_ups}`, the form a
/// service desk returns or stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(bound(
    serialize = "R: Serialize, S: Serialize, E: Serialize",
    deserialize = "R: DeserializeOwned, S: DeserializeOwned, E: DeserializeOwned"
))]
pub struct Step<R: Record, S = <R as Record>::State, E = <R as Record>::Event> {
    /// The record after the command.
    pub record: R,
    /// The transition's audit entry; `None` for an edit, a comment or the opening.
    pub audit: Option<AuditEntry<S, E>>,
    /// What changed, in order: the `created` event when opening; the
    /// edits; the `state_changed` event; what the transition's effects set.
    pub timeline: Vec<TimelineEvent>,
    /// Effects this record cannot apply to itself, for the caller, such as
    /// [`Effect::ResolveIncidentsAwaitingProblem`].
    pub follow_ups: Vec<Effect>,
}

/// The typed lifecycle of one kind of ITIL record: its workflows (the ITIL
/// default flows, or custom ones), its approval policy and, optionally, the
/// priority matrix that derives its priority.
///
/// Every command returns a [`Step`]; the record is never changed in place.
/// Custom flows keep their string-named [`Effect`]s: they are interpreted
/// here by the record's JSON keys, and a field the record does not have
/// lands in its extensions.
#[derive(Clone, Debug)]
pub struct Lifecycle<R: Record> {
    flows: Vec<Workflow<R::State, R::Event>>,
    major: Workflow<MajorIncidentState, MajorIncidentEvent>,
    policy: ApprovalPolicy,
    matrix: Option<PriorityMatrix>,
    /// The fields the workflows' effects set, which no edit may change.
    effect_fields: BTreeSet<String>,
    /// Which roles pass the role guards, for the `…_as` calls.
    guard_roles: GuardRoles,
    /// Who may not approve what.
    separation: SeparationOfDuties,
    /// Which categories a parent may not enter while its tasks are active.
    task_rule: TaskRule,
}

impl<R: Record> Lifecycle<R> {
    /// The ITIL default flows of `R` ([`Record::flows`]), the approval policy
    /// [`ApprovalPolicy::All`], and no priority matrix.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidDefinition`] if a default flow were invalid
    /// (the tests say they are not).
    pub fn itil() -> Result<Self, LifecycleError> {
        let flows = R::flows()
            .into_iter()
            .map(|d| Workflow::new(d, &PlainContext::itil()))
            .collect::<Result<Vec<_>, _>>()?;
        Self::with_workflows(flows)
    }

    /// Custom workflows, one for each of `R`'s default flows and in the same
    /// order (changes: standard, normal, emergency). A record that names its
    /// workflow ([`Record::NAMED_FLOWS`], request items) takes one or more,
    /// with distinct names, the first followed by records that name none.
    ///
    /// # Errors
    /// [`LifecycleError::FlowCount`] when the number of workflows differs
    /// from the number of default flows (is zero, for named flows);
    /// [`LifecycleError::DuplicateWorkflow`] when two named flows share a
    /// name.
    pub fn with_workflows(
        flows: Vec<Workflow<R::State, R::Event>>,
    ) -> Result<Self, LifecycleError> {
        let expected = R::flows().len();
        if R::NAMED_FLOWS {
            for (i, w) in flows.iter().enumerate() {
                if flows[..i].iter().any(|o| o.name() == w.name()) {
                    return Err(LifecycleError::DuplicateWorkflow {
                        kind: R::KIND.to_string(),
                        name: w.name().to_owned(),
                    });
                }
            }
        }
        let count_ok = if R::NAMED_FLOWS {
            !flows.is_empty()
        } else {
            flows.len() == expected
        };
        if !count_ok {
            return Err(LifecycleError::FlowCount {
                kind: R::KIND.to_string(),
                expected,
                given: flows.len(),
            });
        }
        let effect_fields = flows
            .iter()
            .flat_map(|w| &w.definition().transitions)
            .flat_map(|t| &t.effects)
            .filter_map(effect_field)
            .map(str::to_owned)
            .collect();
        Ok(Self {
            flows,
            major: Workflow::new(major_incident_flow(), &PlainContext::itil())?,
            policy: ApprovalPolicy::All,
            matrix: None,
            effect_fields,
            guard_roles: GuardRoles::default(),
            separation: SeparationOfDuties::default(),
            task_rule: TaskRule::default(),
        })
    }

    /// This lifecycle with `policy` deciding approvals (changes and requests).
    #[must_use]
    pub fn with_policy(mut self, policy: ApprovalPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// This lifecycle with `matrix` deriving the priority of records that
    /// have impact and urgency (incidents, problems); their priority can
    /// then no longer be edited directly.
    #[must_use]
    pub fn with_matrix(mut self, matrix: PriorityMatrix) -> Self {
        self.matrix = Some(matrix);
        self
    }

    /// This lifecycle with `roles` deciding the role guards of
    /// [`apply_as`](Self::apply_as) and [`allowed_events_as`](Self::allowed_events_as)
    /// (by default [`GuardRoles::default`]).
    #[must_use]
    pub fn with_guard_roles(mut self, roles: GuardRoles) -> Self {
        self.guard_roles = roles;
        self
    }

    /// This lifecycle under `rules` of separation of duties (by default
    /// every rule on: [`SeparationOfDuties::default`]).
    #[must_use]
    pub fn with_separation_of_duties(mut self, rules: SeparationOfDuties) -> Self {
        self.separation = rules;
        self
    }

    /// This lifecycle under `rule` for the record's tasks (by default
    /// [`TaskRule::default`]: no resolving or closing an incident, a
    /// problem or a change while one of its tasks is active;
    /// [`TaskRule::off`] switches it off). The rule sees the tasks an
    /// event's [`Input`] gives ([`Input::with_tasks`]).
    #[must_use]
    pub fn with_task_rule(mut self, rule: TaskRule) -> Self {
        self.task_rule = rule;
        self
    }

    /// The rule for the record's tasks.
    #[must_use]
    pub fn task_rule(&self) -> &TaskRule {
        &self.task_rule
    }

    /// Which roles pass the role guards.
    #[must_use]
    pub fn guard_roles(&self) -> &GuardRoles {
        &self.guard_roles
    }

    /// The rules of separation of duties.
    #[must_use]
    pub fn separation_of_duties(&self) -> SeparationOfDuties {
        self.separation
    }

    /// The workflow `record` follows (for a change, the one of its type).
    #[must_use]
    pub fn workflow(&self, record: &R) -> &Workflow<R::State, R::Event> {
        if let Some(name) = record.flow_name()
            && let Some(named) = self.flows.iter().find(|w| w.name() == name)
        {
            return named;
        }
        let i = record.flow_index().min(self.flows.len().saturating_sub(1));
        &self.flows[i]
    }

    /// Refuses a record that names a workflow this lifecycle does not have.
    fn check_flow_name(&self, record: &R) -> Result<(), LifecycleError> {
        match record.flow_name() {
            Some(name) if !self.flows.iter().any(|w| w.name() == name) => {
                Err(LifecycleError::UnknownWorkflow {
                    record: record.number().to_string(),
                    name: name.to_owned(),
                    known: self
                        .flows
                        .iter()
                        .map(|w| w.name().to_owned())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
            _ => Ok(()),
        }
    }

    /// The approval policy.
    #[must_use]
    pub fn policy(&self) -> ApprovalPolicy {
        self.policy
    }

    /// The priority matrix, if the priority is derived.
    #[must_use]
    pub fn matrix(&self) -> Option<&PriorityMatrix> {
        self.matrix.as_ref()
    }

    /// Opens `record` at `at`: stamps its opening instant (`opened_at`, or
    /// `created_at`), derives its priority and approval summary, and
    /// returns it with its `created` timeline event.
    ///
    /// # Errors
    /// [`LifecycleError::NotInitial`] when the record is not in its
    /// workflow's initial state; [`LifecycleError::Core`] when the matrix
    /// has no cell for its impact and urgency.
    pub fn open(
        &self,
        record: R,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        self.check_flow_name(&record)?;
        let workflow = self.workflow(&record);
        let state = record.state();
        if state != *workflow.initial() {
            return Err(LifecycleError::NotInitial {
                record: record.number().to_string(),
                workflow: workflow.name().to_owned(),
                state: state.name().to_owned(),
                initial: workflow.initial().name().to_owned(),
            });
        }
        let mut obj = to_object(&record)?;
        obj.insert(R::OPENED_AT.to_owned(), json(R::OPENED_AT, &at)?);
        self.derive(&mut obj)?;
        let change = TimelineChange::Created {
            record_kind: R::KIND,
            state: state.name().to_owned(),
            category: workflow.category(&state).unwrap_or(state.category()),
            priority: read(&obj, PRIORITY)?.flatten(),
            assignment_group: read(&obj, ASSIGNMENT_GROUP)?.flatten(),
            assignee: read(&obj, ASSIGNED_TO)?.flatten(),
        };
        let mut timeline = vec![TimelineEvent { at, actor, change }];
        // A due date given at opening is on the timeline from the start, as
        // an SLA goal on the record's own due date reads it.
        if let Some(due) = obj.get(DUE_AT).filter(|v| !v.is_null()) {
            timeline.push(TimelineEvent {
                at,
                actor,
                change: TimelineChange::FieldChanged {
                    field: DUE_AT.to_owned(),
                    from: FieldValue::Null,
                    to: field_value(DUE_AT, due)?,
                },
            });
        }
        Ok(Step {
            record: from_object(obj)?,
            audit: None,
            timeline,
            follow_ups: Vec::new(),
        })
    }

    /// Applies `event` to `record`, by `actor` at `at`: sets the fields of
    /// `input` (and what they derive), applies the transition of the
    /// record's workflow, and applies its effects to the record.
    ///
    /// The guards and required fields are checked against the record as
    /// edited: a resolution code given in `input` satisfies "resolved needs
    /// a resolution code".
    ///
    /// # Errors
    /// [`LifecycleError::InvalidEdit`] for a field that cannot be edited;
    /// [`LifecycleError::Json`] for a value of the wrong type; the errors of
    /// [`Workflow::apply`] (not allowed, refused with every reason);
    /// [`LifecycleError::ChangeTypeLocked`] for a change's type changed
    /// too late; [`LifecycleError::OpenTasks`] when the [`TaskRule`]
    /// blocks the state entered while a task `input` gives is active.
    pub fn apply(
        &self,
        record: &R,
        event: R::Event,
        input: &Input,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        self.check_flow_name(record)?;
        let before = to_object(record)?;
        let (edited, mut mid, mut timeline) = self.edited(record, &before, input, actor, at)?;
        let facts = RecordFacts::new(&mid, input, self.policy)?;
        let workflow = self.workflow(&edited);
        let transition = workflow.apply(&edited.state(), &event, actor, at, &facts)?;
        let target = &transition.audit.to;
        self.check_tasks(
            &before,
            record,
            workflow.category(target).unwrap_or(target.category()),
            &input.tasks,
        )?;
        timeline.extend(comment_event(record, input, actor, at)?);
        mid.insert(STATE.to_owned(), json(STATE, &transition.audit.to)?);
        let mut after = mid.clone();
        let follow_ups = self.effects(&mut after, &transition)?;
        self.derive(&mut after)?;
        timeline.push(transition.timeline);
        diff(&mid, &after, at, actor, &mut timeline)?;
        Ok(Step {
            record: from_object(after)?,
            audit: Some(transition.audit),
            timeline,
            follow_ups,
        })
    }

    /// Applies `event` to `record` on behalf of `actor`, as
    /// [`apply`](Self::apply) does, after checking that one of the actor's
    /// roles permits the event on this kind of record; the role guards
    /// ([`GuardRoles`]) are decided by the actor's roles, whatever `input`
    /// vouches for.
    ///
    /// # Errors
    /// [`LifecycleError::NotPermitted`] when no role of the actor permits
    /// the event, or the actor is inactive; then those of [`apply`](Self::apply).
    pub fn apply_as(
        &self,
        record: &R,
        event: R::Event,
        input: &Input,
        actor: &Actor,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        actor.check_permission(R::KIND, &event.wire_name())?;
        let input = input.clone().with_actor(actor, &self.guard_roles);
        self.apply(record, event, &input, Some(actor.person), at)
    }

    /// Sets the fields of `input` without an event: an assignment, a new
    /// impact or urgency (the priority follows when a matrix is set), a
    /// description, a custom field. A record in a final state may still be
    /// corrected here; whether a product allows it is the product's rule.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidEdit`] for a field that cannot be edited, or
    /// a reason given without an event; [`LifecycleError::Json`] for a
    /// value of the wrong type.
    pub fn update(
        &self,
        record: &R,
        input: &Input,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        if input.reason.is_some() {
            return Err(LifecycleError::InvalidEdit {
                record: record.number().to_string(),
                field: "reason".to_owned(),
                reason: "a reason comes with an event".to_owned(),
            });
        }
        self.check_flow_name(record)?;
        let before = to_object(record)?;
        let (edited, _, mut timeline) = self.edited(record, &before, input, actor, at)?;
        timeline.extend(comment_event(record, input, actor, at)?);
        Ok(Step {
            record: edited,
            audit: None,
            timeline,
            follow_ups: Vec::new(),
        })
    }

    /// Assigns `record` to `group` and `assignee` (either may be `None`).
    ///
    /// # Errors
    /// [`LifecycleError::InvalidEdit`] for a record without an assignment
    /// (known errors, releases, articles).
    pub fn assign(
        &self,
        record: &R,
        group: Option<GroupId>,
        assignee: Option<PersonId>,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        let input = Input::new()
            .with_value(ASSIGNMENT_GROUP, &group)?
            .with_value(ASSIGNED_TO, &assignee)?;
        self.update(record, &input, actor, at)
    }

    /// Adds a comment (public) or a work note (agents only) to `record`;
    /// the record itself does not change.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidEdit`] when `text` is blank.
    pub fn comment(
        &self,
        record: &R,
        visibility: CommentVisibility,
        text: impl Into<String>,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(LifecycleError::InvalidEdit {
                record: record.number().to_string(),
                field: "text".to_owned(),
                reason: format!("a {} needs text", comment_kind(visibility)),
            });
        }
        Ok(Step {
            record: record.clone(),
            audit: None,
            timeline: vec![TimelineEvent {
                at,
                actor,
                change: TimelineChange::CommentAdded { visibility, text },
            }],
            follow_ups: Vec::new(),
        })
    }

    /// Asks each of `approvers` (on behalf of `group`, if any) for their
    /// approval at `at`; an approver already asked keeps their answer, one
    /// whose approval was cancelled is asked again. The approval summary
    /// follows.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidEdit`] for a record without approvals
    /// (only changes and service requests have them);
    /// [`LifecycleError::SeparationOfDuties`] when an approver is the
    /// record's requester and the rule is on.
    pub fn request_approvals(
        &self,
        record: &R,
        approvers: &[PersonId],
        group: Option<GroupId>,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        for approver in approvers {
            self.check_approver(record, *approver)?;
        }
        self.edit_approvals(record, actor, at, |approvals| {
            for approver in approvers {
                let asked = Approval {
                    approver: *approver,
                    group,
                    decision: ApprovalDecision::Requested,
                    requested_at: Some(at),
                    decided_at: None,
                    comment: None,
                };
                match approvals
                    .iter_mut()
                    .find(|a| a.approver == *approver && a.group == group)
                {
                    Some(a) if a.decision == ApprovalDecision::Canceled => *a = asked,
                    Some(_) => {}
                    None => approvals.push(asked),
                }
            }
            Ok(())
        })
    }

    /// Records `approver`'s decision, approved or rejected (a rejection
    /// expects a comment), on the approval they were asked for, at `at`.
    /// The approval summary follows.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidEdit`] for another decision, or when
    /// `approver` has no approval waiting for their answer;
    /// [`LifecycleError::SeparationOfDuties`] when the approver approves
    /// a record they requested and the rule is on (they may reject it).
    pub fn decide(
        &self,
        record: &R,
        approver: PersonId,
        decision: ApprovalDecision,
        comment: Option<String>,
        at: DateTime<Utc>,
    ) -> Result<Step<R>, LifecycleError> {
        if !matches!(
            decision,
            ApprovalDecision::Approved | ApprovalDecision::Rejected
        ) {
            return Err(LifecycleError::InvalidEdit {
                record: record.number().to_string(),
                field: APPROVALS.to_owned(),
                reason: format!("a decision is approved or rejected, not {decision}"),
            });
        }
        if decision == ApprovalDecision::Approved {
            self.check_approver(record, approver)?;
        }
        self.edit_approvals(record, Some(approver), at, |approvals| {
            let waiting = approvals
                .iter_mut()
                .find(|a| a.approver == approver && a.decision == ApprovalDecision::Requested)
                .ok_or_else(|| format!("{approver} has no approval waiting for an answer"))?;
            waiting.decision = decision;
            waiting.decided_at = Some(at);
            waiting.comment = comment;
            Ok(())
        })
    }

    /// The separation-of-duties check of `approver` on `record`, whose
    /// requester is its [`Record::REQUESTER`] field (`requested_by`, or a
    /// knowledge article's `author`).
    fn check_approver(&self, record: &R, approver: PersonId) -> Result<(), LifecycleError> {
        if !self.separation.requester_cannot_approve {
            return Ok(());
        }
        let requester: Option<PersonId> = read(&to_object(record)?, R::REQUESTER)?;
        self.separation
            .check_approver(&record.number().to_string(), requester, approver)
    }

    fn edit_approvals(
        &self,
        record: &R,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
        edit: impl FnOnce(&mut Vec<Approval>) -> Result<(), String>,
    ) -> Result<Step<R>, LifecycleError> {
        let refused = |reason: String| LifecycleError::InvalidEdit {
            record: record.number().to_string(),
            field: APPROVALS.to_owned(),
            reason,
        };
        let before = to_object(record)?;
        let mut approvals: Vec<Approval> = read(&before, APPROVALS)?
            .ok_or_else(|| refused(format!("{} has no approvals", a_kind::<R>())))?;
        edit(&mut approvals).map_err(refused)?;
        let mut after = before.clone();
        after.insert(APPROVALS.to_owned(), json(APPROVALS, &approvals)?);
        self.derive(&mut after)?;
        let mut timeline = Vec::new();
        diff(&before, &after, at, actor, &mut timeline)?;
        Ok(Step {
            record: from_object(after)?,
            audit: None,
            timeline,
            follow_ups: Vec::new(),
        })
    }

    /// The events `actor` may apply to `record` (for a UI's buttons): those
    /// whose guards allow them, with the role guards decided by the actor's
    /// roles, and that one of the actor's roles permits.
    ///
    /// # Errors
    /// [`LifecycleError::Json`] if the record's approvals cannot be read.
    pub fn allowed_events_as(
        &self,
        record: &R,
        input: &Input,
        actor: &Actor,
    ) -> Result<Vec<R::Event>, LifecycleError> {
        let input = input.clone().with_actor(actor, &self.guard_roles);
        Ok(self
            .allowed_events(record, &input)?
            .into_iter()
            .filter(|e| actor.may_apply(R::KIND, &e.wire_name()))
            .collect())
    }

    /// The events whose guards allow them for `record` (for a UI's
    /// buttons), with the guards `input` vouches for, less those the
    /// [`TaskRule`] blocks while a task `input` gives is active.
    ///
    /// # Errors
    /// [`LifecycleError::Json`] if the record's approvals cannot be read.
    pub fn allowed_events(
        &self,
        record: &R,
        input: &Input,
    ) -> Result<Vec<R::Event>, LifecycleError> {
        self.check_flow_name(record)?;
        let obj = to_object(record)?;
        let facts = RecordFacts::new(&obj, input, self.policy)?;
        let workflow = self.workflow(record);
        let state = record.state();
        let mut events = Vec::new();
        for event in workflow.allowed_events(&state, &facts) {
            let blocked = match workflow.target(&state, event) {
                Some(to) => {
                    let category = workflow.category(to).unwrap_or(to.category());
                    self.check_tasks(&obj, record, category, &input.tasks)
                        .is_err()
                }
                None => false,
            };
            if !blocked {
                events.push(*event);
            }
        }
        Ok(events)
    }

    /// [`LifecycleError::OpenTasks`] when the task rule keeps `record`
    /// (whose JSON is `obj`) from entering `category` while one of its
    /// `tasks` is active.
    fn check_tasks(
        &self,
        obj: &Object,
        record: &R,
        category: StateCategory,
        tasks: &[ChildTask],
    ) -> Result<(), LifecycleError> {
        if tasks.is_empty() || !self.task_rule.blocks(R::KIND, category) {
            return Ok(());
        }
        let Some(id) = obj.get("id").and_then(Value::as_str) else {
            return Ok(());
        };
        let open: Vec<String> = tasks
            .iter()
            .filter(|t| t.parent.kind() == R::KIND && t.parent.uuid().to_string() == id)
            .filter(|t| t.state.category().is_active())
            .map(|t| t.number.to_string())
            .collect();
        if open.is_empty() {
            Ok(())
        } else {
            Err(LifecycleError::OpenTasks {
                kind: R::KIND.to_string(),
                record: record.number().to_string(),
                category: category.to_string(),
                tasks: open,
            })
        }
    }

    /// Folds `timeline` into `opened`, the record as it was before the
    /// first event (as [`open`](Lifecycle::open) returned it, when the
    /// timeline starts with its `created` event). For any sequence of steps,
    /// the last step's record equals the fold of all their timelines.
    ///
    /// # Errors
    /// [`LifecycleError::TimelineRefused`] for the first event that does
    /// not fit: a `created` event that is not first or names another kind
    /// or state, a state change that starts elsewhere than the record is, a
    /// priority or assignment change on a record without one;
    /// [`LifecycleError::Json`] when the result is not a valid record. A
    /// `field_changed` naming a field the record does not have sets the
    /// custom field of that key.
    pub fn replay(&self, opened: &R, timeline: &[TimelineEvent]) -> Result<R, LifecycleError> {
        let mut obj = to_object(opened)?;
        for (index, event) in timeline.iter().enumerate() {
            let refused = |message: String| LifecycleError::TimelineRefused {
                record: opened.number().to_string(),
                index,
                message,
            };
            let current = obj.get(STATE).and_then(Value::as_str).unwrap_or_default();
            match &event.change {
                TimelineChange::Created {
                    record_kind, state, ..
                } => {
                    if index > 0 {
                        return Err(refused("a created event may only come first".to_owned()));
                    }
                    if *record_kind != R::KIND || state != current {
                        return Err(refused(format!(
                            "created names a {record_kind} in {state:?}, the record is a {} in {current:?}",
                            R::KIND
                        )));
                    }
                }
                TimelineChange::StateChanged { from, to, .. } => {
                    if from != current {
                        return Err(refused(format!(
                            "the change starts from {from:?} but the record was in {current:?}"
                        )));
                    }
                    obj.insert(STATE.to_owned(), Value::String(to.clone()));
                }
                TimelineChange::PriorityChanged { to, .. } => {
                    set_known(&mut obj, PRIORITY, json(PRIORITY, to)?).map_err(refused)?;
                }
                TimelineChange::AssignmentChanged {
                    to_group,
                    to_assignee,
                    ..
                } => {
                    set_known(
                        &mut obj,
                        ASSIGNMENT_GROUP,
                        json(ASSIGNMENT_GROUP, to_group)?,
                    )
                    .map_err(refused)?;
                    set_known(&mut obj, ASSIGNED_TO, json(ASSIGNED_TO, to_assignee)?)
                        .map_err(refused)?;
                }
                TimelineChange::FieldChanged { field, to, .. } => {
                    // A field the record does not have is a custom field.
                    set_any(&mut obj, field, json(field, to)?);
                }
                TimelineChange::CommentAdded { .. } => {}
                other => return Err(refused(format!("cannot replay {other:?}"))),
            }
        }
        from_object(obj)
    }

    /// The record with `input`'s fields set and what they derive, its JSON
    /// form, and the timeline events of the difference.
    fn edited(
        &self,
        record: &R,
        before: &Object,
        input: &Input,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<(R, Object, Vec<TimelineEvent>), LifecycleError> {
        let mut obj = before.clone();
        for (field, value) in &input.fields {
            let refused = |reason: &str| LifecycleError::InvalidEdit {
                record: record.number().to_string(),
                field: field.clone(),
                reason: reason.to_owned(),
            };
            let value = json(field, value)?;
            if let Some(key) = field.strip_prefix(EXTENSION_PREFIX) {
                if key.trim().is_empty() {
                    return Err(refused("a custom field needs a name"));
                }
                if self.effect_fields.contains(key) {
                    return Err(refused("the workflow sets it"));
                }
                if obj.contains_key(key) {
                    return Err(refused(
                        "a custom field may not be named like a field of the record",
                    ));
                }
                set_extension(&mut obj, key, value);
                continue;
            }
            if !obj.contains_key(field) {
                return Err(refused(&format!(
                    "{} has no such field (custom fields are named extensions.<key>)",
                    a_kind::<R>()
                )));
            }
            if let Some(why) = self.owned(field, &obj) {
                return Err(refused(why));
            }
            obj.insert(field.clone(), value);
        }
        self.derive(&mut obj)?;
        if obj == *before {
            // Nothing changed: no need to read the record back.
            return Ok((record.clone(), obj, Vec::new()));
        }
        let edited: R = from_object(obj)?;
        record.check_edit(&edited)?;
        // The typed record's own JSON: values as the record writes them.
        let obj = to_object(&edited)?;
        let mut timeline = Vec::new();
        diff(before, &obj, at, actor, &mut timeline)?;
        Ok((edited, obj, timeline))
    }

    /// Why an edit may not set `field`, if it may not.
    fn owned(&self, field: &str, obj: &Object) -> Option<&'static str> {
        if field == STATE {
            Some("the state changes only through events")
        } else if R::FIXED.contains(&field) {
            Some("it is fixed when the record is opened")
        } else if self.effect_fields.contains(field) {
            Some("the workflow sets it")
        } else if field == EXTENSIONS {
            Some("custom fields are edited one by one, as extensions.<key>")
        } else if field == APPROVAL && obj.contains_key(APPROVALS) {
            Some("it is derived from the approvals and the approval policy")
        } else if field == APPROVALS {
            Some("approvals change only by asking approvers and by their decisions")
        } else if field == R::REQUESTER && asked(obj) {
            Some("the requester is fixed once approvers are asked (separation of duties reads it)")
        } else if [
            MAJOR,
            MAJOR_PROPOSED_AT,
            MAJOR_PROPOSED_BY,
            MAJOR_DECIDED_AT,
            MAJOR_DECIDED_BY,
        ]
        .contains(&field)
        {
            Some("it changes only through the major-incident flow")
        } else if field == PRIORITY && self.derives_priority(obj) {
            Some("it is derived from impact and urgency by the priority matrix")
        } else {
            None
        }
    }

    fn derives_priority(&self, obj: &Object) -> bool {
        self.matrix.is_some() && obj.contains_key(IMPACT) && obj.contains_key(URGENCY)
    }

    /// Sets what the record's own fields decide: the priority (from impact
    /// and urgency, when a matrix is set) and the approval summary (from
    /// the approvals and the policy; `not_required` stays while no approval
    /// is asked).
    fn derive(&self, obj: &mut Object) -> Result<(), LifecycleError> {
        if let Some(matrix) = &self.matrix
            && self.derives_priority(obj)
        {
            let impact: Impact = read(obj, IMPACT)?.ok_or_else(|| missing(IMPACT))?;
            let urgency: Urgency = read(obj, URGENCY)?.ok_or_else(|| missing(URGENCY))?;
            let priority = matrix.priority(impact, urgency)?;
            obj.insert(PRIORITY.to_owned(), json(PRIORITY, &priority)?);
        }
        if obj.contains_key(APPROVAL) {
            let approvals: Vec<Approval> = read(obj, APPROVALS)?.unwrap_or_default();
            let status = self.policy.status(&approvals);
            // A record that needs no approval (a standard change, an item
            // whose catalog item has none) keeps saying so until somebody
            // is asked after all.
            let not_required =
                !asked(obj) && obj.get(APPROVAL).and_then(Value::as_str) == Some("not_required");
            if !not_required {
                obj.insert(APPROVAL.to_owned(), json(APPROVAL, &status)?);
            }
        }
        Ok(())
    }

    /// Applies the transition's effects to `obj`; returns those it cannot
    /// apply to this record.
    fn effects(
        &self,
        obj: &mut Object,
        t: &Transition<R::State, R::Event>,
    ) -> Result<Vec<Effect>, LifecycleError> {
        let (at, actor) = (t.audit.at, t.audit.actor);
        let mut follow_ups = Vec::new();
        for effect in &t.effects {
            match effect {
                Effect::SetTimestamp { field } => set_any(obj, field, json(field, &at)?),
                Effect::ClearTimestamp { field } | Effect::ClearField { field } => {
                    set_any(obj, field, Value::Null);
                }
                Effect::SetActor { field } => set_any(obj, field, json(field, &actor)?),
                Effect::SetReason { field } => {
                    set_any(obj, field, json(field, &t.audit.reason)?);
                }
                Effect::Increment { field } => {
                    let count = match get_any(obj, field) {
                        None | Some(Value::Null) => 0,
                        Some(v) => v.as_u64().ok_or_else(|| LifecycleError::Json {
                            path: field.clone(),
                            message: format!("cannot increment {v}"),
                        })?,
                    };
                    set_any(obj, field, Value::from(count.saturating_add(1)));
                }
                Effect::CancelPendingApprovals => {
                    if let Some(mut approvals) = read::<Vec<Approval>>(obj, APPROVALS)?
                        && cancel_pending_approvals(&mut approvals) > 0
                    {
                        obj.insert(APPROVALS.to_owned(), json(APPROVALS, &approvals)?);
                    }
                }
                Effect::CancelMajorIncident => {
                    if let Some(state) = read::<Option<MajorIncidentState>>(obj, MAJOR)?.flatten()
                        && let Ok(cancel) = self.major.apply(
                            &state,
                            &MajorIncidentEvent::Cancel,
                            actor,
                            at,
                            &PlainContext::itil(),
                        )
                    {
                        obj.insert(MAJOR.to_owned(), json(MAJOR, &cancel.audit.to)?);
                    }
                }
                other => follow_ups.push(other.clone()),
            }
        }
        Ok(follow_ups)
    }
}

impl Lifecycle<Incident> {
    /// Proposes `incident` as a major incident (its `major_incident_state`
    /// becomes `proposed`): allowed while it is active and was never
    /// proposed, or was rejected.
    ///
    /// # Errors
    /// [`LifecycleError::NotAllowed`] otherwise.
    pub fn propose_major(
        &self,
        incident: &Incident,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<Incident>, LifecycleError> {
        let allowed = incident.state.category().is_active()
            && matches!(
                incident.major_incident_state,
                None | Some(MajorIncidentState::Rejected)
            );
        if !allowed {
            return Err(LifecycleError::NotAllowed {
                workflow: self.major.name().to_owned(),
                state: incident
                    .major_incident_state
                    .map_or("none", RecordState::name)
                    .to_owned(),
                event: "propose".to_owned(),
                allowed: Vec::new(),
            });
        }
        let before = to_object(incident)?;
        let mut after = before.clone();
        after.insert(MAJOR.to_owned(), json(MAJOR, self.major.initial())?);
        // Who proposed it and when; a new proposal has no decision yet.
        after.insert(MAJOR_PROPOSED_AT.to_owned(), json(MAJOR_PROPOSED_AT, &at)?);
        after.insert(
            MAJOR_PROPOSED_BY.to_owned(),
            json(MAJOR_PROPOSED_BY, &actor)?,
        );
        after.insert(MAJOR_DECIDED_AT.to_owned(), Value::Null);
        after.insert(MAJOR_DECIDED_BY.to_owned(), Value::Null);
        let mut timeline = Vec::new();
        diff(&before, &after, at, actor, &mut timeline)?;
        Ok(Step {
            record: from_object(after)?,
            audit: None,
            timeline,
            follow_ups: Vec::new(),
        })
    }

    /// Applies `event` of the major-incident flow to a proposed or accepted
    /// major incident: accept or reject. Cancel comes with cancelling the
    /// incident (the effect [`Effect::CancelMajorIncident`], applied by
    /// [`apply`](Lifecycle::apply)), because a cancelled major incident
    /// belongs to a cancelled incident; a proposal is withdrawn by
    /// rejecting it.
    ///
    /// # Errors
    /// [`LifecycleError::NotAllowed`] for an incident never proposed, or
    /// `cancel` on an incident that is not cancelled; the errors of
    /// [`Workflow::apply`].
    pub fn apply_major(
        &self,
        incident: &Incident,
        event: MajorIncidentEvent,
        actor: Option<PersonId>,
        at: DateTime<Utc>,
    ) -> Result<Step<Incident, MajorIncidentState, MajorIncidentEvent>, LifecycleError> {
        let Some(state) = incident.major_incident_state else {
            return Err(LifecycleError::NotAllowed {
                workflow: self.major.name().to_owned(),
                state: "none".to_owned(),
                event: event.wire_name().into_owned(),
                allowed: vec!["propose".to_owned()],
            });
        };
        if event == MajorIncidentEvent::Cancel
            && incident.state.category() != StateCategory::Canceled
        {
            // A cancelled major incident belongs to a cancelled incident
            // (`Incident::validate`): it is cancelled by cancelling the
            // incident, and a proposal is withdrawn by rejecting it.
            return Err(LifecycleError::NotAllowed {
                workflow: self.major.name().to_owned(),
                state: state.name().to_owned(),
                event: event.wire_name().into_owned(),
                allowed: self
                    .major
                    .allowed_events(&state, &PlainContext::itil())
                    .into_iter()
                    .filter(|e| **e != MajorIncidentEvent::Cancel)
                    .map(|e| e.wire_name().into_owned())
                    .collect(),
            });
        }
        let transition = self
            .major
            .apply(&state, &event, actor, at, &PlainContext::itil())?;
        let before = to_object(incident)?;
        let mut after = before.clone();
        after.insert(MAJOR.to_owned(), json(MAJOR, &transition.audit.to)?);
        // The major incident manager's decision: who and when.
        if matches!(
            event,
            MajorIncidentEvent::Accept | MajorIncidentEvent::Reject
        ) {
            after.insert(MAJOR_DECIDED_AT.to_owned(), json(MAJOR_DECIDED_AT, &at)?);
            after.insert(MAJOR_DECIDED_BY.to_owned(), json(MAJOR_DECIDED_BY, &actor)?);
        }
        let mut timeline = Vec::new();
        diff(&before, &after, at, actor, &mut timeline)?;
        Ok(Step {
            record: from_object(after)?,
            audit: Some(transition.audit),
            timeline,
            follow_ups: Vec::new(),
        })
    }
}

impl ApprovalPolicy {
    /// The overall approval status that this policy gives `approvals`:
    /// rejected on any rejection; approved when the policy is met (with no
    /// approvals at all when it needs none); requested while approvals are
    /// outstanding or missing; not requested when none was asked (or every
    /// one was cancelled).
    #[must_use]
    pub fn status(&self, approvals: &[Approval]) -> ApprovalStatus {
        let none_asked = approvals
            .iter()
            .all(|a| a.decision == ApprovalDecision::Canceled);
        match self.outcome(approvals) {
            ApprovalOutcome::Rejected { .. } => ApprovalStatus::Rejected,
            ApprovalOutcome::Approved if approvals.is_empty() || !none_asked => {
                ApprovalStatus::Approved
            }
            _ if none_asked => ApprovalStatus::NotRequested,
            _ => ApprovalStatus::Requested,
        }
    }
}

/// The guard context of a record as edited: the record decides `approved`,
/// `rejected`, `awaiting_caller` and, for a release without changes,
/// `changes_approved`; the caller vouches for the rest.
struct RecordFacts<'a> {
    obj: &'a Object,
    input: &'a Input,
    approval: Option<ApprovalOutcome>,
}

impl<'a> RecordFacts<'a> {
    fn new(
        obj: &'a Object,
        input: &'a Input,
        policy: ApprovalPolicy,
    ) -> Result<Self, LifecycleError> {
        let approval = read::<Vec<Approval>>(obj, APPROVALS)?.map(|a| policy.outcome(&a));
        Ok(Self {
            obj,
            input,
            approval,
        })
    }
}

impl GuardContext for RecordFacts<'_> {
    fn knows_guard(&self, _guard: &str) -> bool {
        true
    }

    fn guard_allows(&self, guard: &str) -> bool {
        match (guard, self.approval) {
            (Guard::AWAITING_CALLER, _) if self.obj.contains_key(ON_HOLD_REASON) => {
                self.obj.get(ON_HOLD_REASON).and_then(Value::as_str) == Some(Guard::AWAITING_CALLER)
            }
            // A release that holds no change holds no unapproved one; with
            // changes, the caller (who holds them) vouches.
            (Guard::CHANGES_APPROVED, _)
                if self
                    .obj
                    .get("changes")
                    .and_then(Value::as_array)
                    .is_some_and(Vec::is_empty) =>
            {
                true
            }
            (Guard::APPROVAL_NOT_REQUIRED, _) => {
                self.obj.get("approval").and_then(Value::as_str) == Some("not_required")
            }
            (Guard::APPROVED, Some(outcome)) => outcome == ApprovalOutcome::Approved,
            (Guard::REJECTED, Some(outcome)) => {
                matches!(outcome, ApprovalOutcome::Rejected { .. })
            }
            _ => self.input.guards.contains(guard),
        }
    }

    fn has_field(&self, field: &str) -> bool {
        filled(get_any(self.obj, field))
    }

    fn reason(&self) -> Option<&str> {
        self.input.reason.as_deref()
    }

    fn has_comment(&self, visibility: CommentVisibility) -> bool {
        self.input
            .comment
            .as_ref()
            .is_some_and(|c| c.visibility == visibility && !c.text.trim().is_empty())
    }
}

/// Whether `obj` holds an approval that is not cancelled.
fn asked(obj: &Object) -> bool {
    obj.get(APPROVALS)
        .and_then(Value::as_array)
        .is_some_and(|a| {
            a.iter()
                .any(|v| v.get("decision").and_then(Value::as_str) != Some("canceled"))
        })
}

/// "public comment" or "work note", for messages.
fn comment_kind(visibility: CommentVisibility) -> &'static str {
    match visibility {
        CommentVisibility::Public => "public comment",
        CommentVisibility::WorkNote => "work note",
    }
}

/// The timeline event of the comment that comes with `input`, if any.
fn comment_event<R: Record>(
    record: &R,
    input: &Input,
    actor: Option<PersonId>,
    at: DateTime<Utc>,
) -> Result<Option<TimelineEvent>, LifecycleError> {
    let Some(comment) = &input.comment else {
        return Ok(None);
    };
    if comment.text.trim().is_empty() {
        return Err(LifecycleError::InvalidEdit {
            record: record.number().to_string(),
            field: "comment.text".to_owned(),
            reason: format!("a {} needs text", comment_kind(comment.visibility)),
        });
    }
    Ok(Some(TimelineEvent {
        at,
        actor,
        change: TimelineChange::CommentAdded {
            visibility: comment.visibility,
            text: comment.text.clone(),
        },
    }))
}

/// "an incident", "a change": the record's kind with its article.
fn a_kind<R: Record>() -> String {
    let kind = R::KIND.to_string();
    let article = if kind.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {}", kind.replace('_', " "))
}

/// Whether a value counts as filled in: not null, not blank, not empty.
fn filled(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.trim().is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
        Some(_) => true,
    }
}

/// The timeline events that turn `before` into `after`: one
/// `assignment_changed` for the group and assignee together, one
/// `priority_changed`, and one `field_changed` for every other field
/// (custom fields by their key).
fn diff(
    before: &Object,
    after: &Object,
    at: DateTime<Utc>,
    actor: Option<PersonId>,
    out: &mut Vec<TimelineEvent>,
) -> Result<(), LifecycleError> {
    let null = Value::Null;
    let mut push = |change| out.push(TimelineEvent { at, actor, change });
    let mut assignment = false;
    for (key, new) in after {
        let old = before.get(key).unwrap_or(&null);
        if old == new {
            continue;
        }
        match key.as_str() {
            EXTENSIONS => {
                let (empty_old, empty_new) = (Map::new(), Map::new());
                let old = old.as_object().unwrap_or(&empty_old);
                let new = new.as_object().unwrap_or(&empty_new);
                let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
                for k in keys {
                    let (a, b) = (old.get(k), new.get(k));
                    if a != b {
                        push(TimelineChange::FieldChanged {
                            field: k.clone(),
                            from: field_value(k, a.unwrap_or(&null))?,
                            to: field_value(k, b.unwrap_or(&null))?,
                        });
                    }
                }
            }
            ASSIGNMENT_GROUP | ASSIGNED_TO => assignment = true,
            PRIORITY if !new.is_null() => push(TimelineChange::PriorityChanged {
                from: value(PRIORITY, old)?,
                to: value(PRIORITY, new)?,
            }),
            _ => push(TimelineChange::FieldChanged {
                field: key.clone(),
                from: field_value(key, old)?,
                to: field_value(key, new)?,
            }),
        }
    }
    if assignment {
        push(TimelineChange::AssignmentChanged {
            from_group: read(before, ASSIGNMENT_GROUP)?.flatten(),
            to_group: read(after, ASSIGNMENT_GROUP)?.flatten(),
            from_assignee: read(before, ASSIGNED_TO)?.flatten(),
            to_assignee: read(after, ASSIGNED_TO)?.flatten(),
        });
    }
    Ok(())
}

/// The field an effect sets, if it sets one.
fn effect_field(effect: &Effect) -> Option<&str> {
    match effect {
        Effect::SetTimestamp { field }
        | Effect::ClearTimestamp { field }
        | Effect::SetActor { field }
        | Effect::SetReason { field }
        | Effect::ClearField { field }
        | Effect::Increment { field } => Some(field),
        _ => None,
    }
}

/// Sets a field of the record, or a custom field when the record has none
/// of that name (custom flows set timestamps of their own).
fn set_any(obj: &mut Object, field: &str, value: Value) {
    if obj.contains_key(field) && field != EXTENSIONS {
        obj.insert(field.to_owned(), value);
    } else {
        set_extension(obj, field, value);
    }
}

fn get_any<'a>(obj: &'a Object, field: &str) -> Option<&'a Value> {
    match obj.get(field) {
        Some(v) if field != EXTENSIONS => Some(v),
        _ => obj
            .get(EXTENSIONS)
            .and_then(Value::as_object)
            .and_then(|e| e.get(field.strip_prefix(EXTENSION_PREFIX).unwrap_or(field))),
    }
}

/// Sets a custom field; `null` removes it.
fn set_extension(obj: &mut Object, key: &str, value: Value) {
    let entry = obj
        .entry(EXTENSIONS)
        .or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    if let Value::Object(extensions) = entry {
        if value.is_null() {
            extensions.remove(key);
        } else {
            extensions.insert(key.to_owned(), value);
        }
    }
}

/// Sets a field the record has.
fn set_known(obj: &mut Object, field: &str, value: Value) -> Result<(), String> {
    match obj.get_mut(field) {
        Some(slot) if field != EXTENSIONS => {
            *slot = value;
            Ok(())
        }
        _ => Err(format!("the record has no field {field:?}")),
    }
}

fn to_object<T: Serialize>(record: &T) -> Result<Object, LifecycleError> {
    match serde_json::to_value(record) {
        Ok(Value::Object(obj)) => Ok(obj),
        Ok(other) => Err(LifecycleError::Json {
            path: ".".to_owned(),
            message: format!("a record is a JSON object, not {other}"),
        }),
        Err(e) => Err(json_error(".", &e)),
    }
}

fn from_object<T: DeserializeOwned>(obj: Object) -> Result<T, LifecycleError> {
    serde_path_to_error::deserialize(Value::Object(obj)).map_err(|e| LifecycleError::Json {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// Reads a field of the record as a `T`; `None` when the record has no such field.
fn read<T: DeserializeOwned>(obj: &Object, field: &str) -> Result<Option<T>, LifecycleError> {
    obj.get(field).map(|v| value(field, v)).transpose()
}

fn value<T: DeserializeOwned>(field: &str, v: &Value) -> Result<T, LifecycleError> {
    T::deserialize(v).map_err(|e| json_error(field, &e))
}

fn field_value(field: &str, v: &Value) -> Result<FieldValue, LifecycleError> {
    value(field, v)
}

fn json(field: &str, v: &impl Serialize) -> Result<Value, LifecycleError> {
    serde_json::to_value(v).map_err(|e| json_error(field, &e))
}

fn json_error(field: &str, e: &serde_json::Error) -> LifecycleError {
    LifecycleError::Json {
        path: field.to_owned(),
        message: e.to_string(),
    }
}

fn missing(field: &str) -> LifecycleError {
    LifecycleError::Json {
        path: field.to_owned(),
        message: "missing field".to_owned(),
    }
}
