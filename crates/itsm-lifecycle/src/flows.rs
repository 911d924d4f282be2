//! The default ITIL flows, as workflow definitions (plain data).

use itsm_core::{
    AssetState, ChangeState, ChangeType, CommentVisibility, IncidentState, KnowledgeState,
    KnownErrorState, MajorIncidentState, OnHoldReason, ProblemState, RecordState, ReleaseState,
    ServiceRequestState, TaskState,
};
use strum::IntoEnumIterator;

use crate::context::{Field, Guard};
use crate::{
    AssetEvent, ChangeEvent, Effect, IncidentEvent, KnowledgeEvent, KnownErrorEvent,
    MajorIncidentEvent, ProblemEvent, ReleaseEvent, ServiceRequestEvent, StateDefinition,
    TaskEvent, TransitionDefinition as T, WorkflowDefinition,
};

fn state<S: RecordState>(key: S, description: &str) -> StateDefinition<S> {
    StateDefinition::new(key, key.category()).described(description)
}

fn set_at(field: &str) -> Effect {
    Effect::SetTimestamp {
        field: field.to_owned(),
    }
}

fn clear_at(field: &str) -> Effect {
    Effect::ClearTimestamp {
        field: field.to_owned(),
    }
}

fn set_by(field: &str) -> Effect {
    Effect::SetActor {
        field: field.to_owned(),
    }
}

fn clear(field: &str) -> Effect {
    Effect::ClearField {
        field: field.to_owned(),
    }
}

/// The incident flow: new → in progress ⇄ on hold → resolved → closed, with
/// reopen from resolved and cancel from any open state.
///
/// On hold needs a reason ([`OnHoldReason`]), and the problem or change
/// awaited when the reason names one; resolved needs a resolution
/// code and notes; a caller update returns an incident awaiting the caller
/// to in progress; cancelling cancels a proposed or accepted major incident.
#[must_use]
pub fn incident_flow() -> WorkflowDefinition<IncidentState, IncidentEvent> {
    use IncidentEvent as Ev;
    use IncidentState as St;
    let resolve = |from| {
        let t = T::new(from, Ev::Resolve, St::Resolved)
            .effect(set_at(Field::RESOLVED_AT))
            .effect(set_by(Field::RESOLVED_BY));
        if from == St::OnHold {
            t.effect(clear(Field::ON_HOLD_REASON))
        } else {
            t
        }
    };
    let cancel = |from| {
        let t = T::new(from, Ev::Cancel, St::Canceled).effect(Effect::CancelMajorIncident);
        if from == St::OnHold {
            t.effect(clear(Field::ON_HOLD_REASON))
        } else {
            t
        }
    };
    let hold = |from| {
        T::new(from, Ev::Hold, St::OnHold).effect(Effect::SetReason {
            field: Field::ON_HOLD_REASON.to_owned(),
        })
    };
    WorkflowDefinition {
        name: "incident".to_owned(),
        description: Some(
            "ITIL incident management: restore normal service as quickly as possible.".to_owned(),
        ),
        initial: St::New,
        states: vec![
            state(St::New, "Logged, not yet worked on."),
            state(St::InProgress, "Assigned and being worked on."),
            state(
                St::OnHold,
                "Waiting for the caller, a change, a problem or a vendor; SLA clocks pause.",
            )
            .with_reasons(OnHoldReason::iter().map(|r| r.to_string()))
            .requiring_for(OnHoldReason::AwaitingProblem.to_string(), Field::PROBLEM)
            .requiring_for(
                OnHoldReason::AwaitingChange.to_string(),
                Field::CHANGE_REQUEST,
            )
            .requiring_comment_for(
                OnHoldReason::AwaitingCaller.to_string(),
                CommentVisibility::Public,
            ),
            state(
                St::Resolved,
                "Service restored; awaiting confirmation or auto-close.",
            )
            .requiring(Field::RESOLUTION_CODE)
            .requiring(Field::RESOLUTION_NOTES),
            state(St::Closed, "Closed; final."),
            state(
                St::Canceled,
                "Canceled (raised in error, a duplicate); final.",
            ),
        ],
        transitions: vec![
            T::new(St::New, Ev::Start, St::InProgress),
            hold(St::New),
            hold(St::InProgress),
            T::new(St::OnHold, Ev::Resume, St::InProgress).effect(clear(Field::ON_HOLD_REASON)),
            T::new(St::OnHold, Ev::CallerUpdated, St::InProgress)
                .guard(Guard::AWAITING_CALLER)
                .effect(clear(Field::ON_HOLD_REASON)),
            resolve(St::New),
            resolve(St::InProgress),
            resolve(St::OnHold),
            T::new(St::Resolved, Ev::Reopen, St::InProgress)
                .effect(Effect::Increment {
                    field: Field::REOPEN_COUNT.to_owned(),
                })
                .effect(set_at(Field::LAST_REOPENED_AT))
                .effect(set_by(Field::LAST_REOPENED_BY))
                .effect(clear_at(Field::RESOLVED_AT))
                .effect(clear(Field::RESOLVED_BY)),
            T::new(St::Resolved, Ev::Close, St::Closed)
                .effect(set_at(Field::CLOSED_AT))
                .effect(set_by(Field::CLOSED_BY)),
            cancel(St::New),
            cancel(St::InProgress),
            cancel(St::OnHold),
        ],
        terminal: vec![St::Closed, St::Canceled],
    }
}

/// The major-incident flow, on the incident's `major_incident_state`:
/// proposed → accepted | rejected; proposed or accepted → canceled (with the
/// incident, see [`Effect::CancelMajorIncident`]).
#[must_use]
pub fn major_incident_flow() -> WorkflowDefinition<MajorIncidentState, MajorIncidentEvent> {
    use MajorIncidentEvent as Ev;
    use MajorIncidentState as St;
    WorkflowDefinition {
        name: "major_incident".to_owned(),
        description: Some("Major incident management, beside the incident's own state.".to_owned()),
        initial: St::Proposed,
        states: vec![
            state(
                St::Proposed,
                "Proposed, awaiting the major incident manager.",
            ),
            state(St::Accepted, "Handled as a major incident."),
            state(St::Rejected, "Handled as an ordinary incident; final."),
            state(St::Canceled, "Canceled with the incident; final."),
        ],
        transitions: vec![
            T::new(St::Proposed, Ev::Accept, St::Accepted),
            T::new(St::Proposed, Ev::Reject, St::Rejected),
            T::new(St::Proposed, Ev::Cancel, St::Canceled),
            T::new(St::Accepted, Ev::Cancel, St::Canceled),
        ],
        terminal: vec![St::Rejected, St::Canceled],
    }
}

/// The problem flow: new → assess → root cause analysis → fix in progress →
/// resolved → closed; resolving (from any open state, with a
/// [`ProblemResolutionCode`](itsm_core::ProblemResolutionCode)) releases the
/// incidents awaiting it; re-analysis from closed needs an authorised role.
#[must_use]
pub fn problem_flow() -> WorkflowDefinition<ProblemState, ProblemEvent> {
    use ProblemEvent as Ev;
    use ProblemState as St;
    let resolve = |from| {
        T::new(from, Ev::Resolve, St::Resolved)
            .effect(set_at(Field::RESOLVED_AT))
            .effect(set_by(Field::RESOLVED_BY))
            .effect(Effect::ResolveIncidentsAwaitingProblem)
    };
    WorkflowDefinition {
        name: "problem".to_owned(),
        description: Some(
            "ITIL problem management: find and remove the causes of incidents.".to_owned(),
        ),
        initial: St::New,
        states: vec![
            state(St::New, "Logged, not yet assessed."),
            state(St::Assess, "Being assessed and prioritised."),
            state(
                St::RootCauseAnalysis,
                "The root cause is being investigated.",
            ),
            state(
                St::FixInProgress,
                "A fix is being delivered, usually through a change.",
            ),
            state(
                St::Resolved,
                "Resolved: fix applied, risk accepted, duplicate or canceled.",
            )
            .requiring(Field::RESOLUTION_CODE),
            state(St::Closed, "Closed; an authorised role may re-analyse it."),
        ],
        transitions: vec![
            T::new(St::New, Ev::Assess, St::Assess),
            T::new(St::Assess, Ev::Analyze, St::RootCauseAnalysis),
            T::new(St::RootCauseAnalysis, Ev::StartFix, St::FixInProgress),
            resolve(St::New),
            resolve(St::Assess),
            resolve(St::RootCauseAnalysis),
            resolve(St::FixInProgress),
            T::new(St::Resolved, Ev::Close, St::Closed).effect(set_at(Field::CLOSED_AT)),
            T::new(St::Closed, Ev::Reanalyze, St::RootCauseAnalysis)
                .guard(Guard::REANALYZE_ROLE)
                .effect(clear_at(Field::RESOLVED_AT))
                .effect(clear(Field::RESOLVED_BY))
                .effect(clear_at(Field::CLOSED_AT)),
        ],
        terminal: vec![],
    }
}

/// The change flow of one change type.
///
/// - normal: new → assess → authorize → scheduled → implement → review → closed;
/// - standard (pre-authorised): new → scheduled → implement → review → closed
///   (there is no assess: new → assess is refused);
/// - emergency: new → authorize → scheduled → … (skips assess, still authorised).
///
/// Authorize → scheduled (the event `schedule`) needs the approval policy met ([`Guard::APPROVED`]);
/// a rejection ([`Guard::REJECTED`]) or a revert sends the change back to new
/// and cancels pending approvals. Cancel is allowed from new to implement,
/// refused in review and closed. Scheduled needs planned start and end;
/// closed needs a close code and notes.
#[must_use]
pub fn change_flow(change_type: ChangeType) -> WorkflowDefinition<ChangeState, ChangeEvent> {
    use ChangeEvent as Ev;
    use ChangeState as St;
    let (name, path): (&str, &[ChangeState]) = match change_type {
        ChangeType::Standard => ("change_standard", &[St::New, St::Scheduled, St::Implement]),
        ChangeType::Emergency => (
            "change_emergency",
            &[St::New, St::Authorize, St::Scheduled, St::Implement],
        ),
        _ => (
            "change_normal",
            &[
                St::New,
                St::Assess,
                St::Authorize,
                St::Scheduled,
                St::Implement,
            ],
        ),
    };
    let has = |s| path.contains(&s);
    let mut states = vec![state(St::New, "Being drafted.")];
    if has(St::Assess) {
        states.push(state(
            St::Assess,
            "Being assessed by the technical reviewers.",
        ));
    }
    if has(St::Authorize) {
        states.push(state(
            St::Authorize,
            "Awaiting authorisation by the change authority.",
        ));
    }
    states.extend([
        state(St::Scheduled, "Authorised and scheduled.")
            .requiring(Field::PLANNED_START)
            .requiring(Field::PLANNED_END),
        state(St::Implement, "Being implemented."),
        state(St::Review, "Implemented; the outcome is being reviewed."),
        state(St::Closed, "Closed; final.")
            .requiring(Field::CLOSE_CODE)
            .requiring(Field::CLOSE_NOTES),
        state(St::Canceled, "Canceled; final."),
    ]);
    let mut transitions = Vec::new();
    match change_type {
        ChangeType::Standard => transitions.push(T::new(St::New, Ev::Schedule, St::Scheduled)),
        ChangeType::Emergency => {
            transitions.push(T::new(St::New, Ev::RequestAuthorization, St::Authorize))
        }
        _ => {
            transitions.push(T::new(St::New, Ev::Assess, St::Assess));
            transitions.push(T::new(St::Assess, Ev::RequestAuthorization, St::Authorize));
            transitions.push(
                T::new(St::Assess, Ev::Revert, St::New).effect(Effect::CancelPendingApprovals),
            );
        }
    }
    if has(St::Authorize) {
        transitions.extend([
            T::new(St::Authorize, Ev::Schedule, St::Scheduled).guard(Guard::APPROVED),
            T::new(St::Authorize, Ev::Reject, St::New)
                .guard(Guard::REJECTED)
                .effect(Effect::CancelPendingApprovals),
            T::new(St::Authorize, Ev::Revert, St::New).effect(Effect::CancelPendingApprovals),
        ]);
    }
    transitions.extend([
        T::new(St::Scheduled, Ev::Implement, St::Implement).effect(set_at(Field::ACTUAL_START)),
        T::new(St::Implement, Ev::Review, St::Review).effect(set_at(Field::ACTUAL_END)),
        T::new(St::Implement, Ev::BackOut, St::Review).effect(set_at(Field::ACTUAL_END)),
        T::new(St::Review, Ev::Close, St::Closed).effect(set_at(Field::CLOSED_AT)),
    ]);
    for &from in path {
        transitions
            .push(T::new(from, Ev::Cancel, St::Canceled).effect(Effect::CancelPendingApprovals));
    }
    WorkflowDefinition {
        name: name.to_owned(),
        description: Some(format!("ITIL change enablement, {change_type} change.")),
        initial: St::New,
        states,
        transitions,
        terminal: vec![St::Closed, St::Canceled],
    }
}

/// The release flow: planning → build → test → deploy → review → closed;
/// failed tests go back to build; cancel before deploy. Entering build and
/// deploy needs every change approved (guard `changes_approved`); deploying
/// sets `actual_start` and moves the changes to implementation
/// (`ImplementReleaseChanges`), entering review sets `actual_end` (the
/// deployment window); a failed deployment backs the changes out
/// (`BackOutReleaseChanges`) and goes back to build.
#[must_use]
pub fn release_flow() -> WorkflowDefinition<ReleaseState, ReleaseEvent> {
    use ReleaseEvent as Ev;
    use ReleaseState as St;
    WorkflowDefinition {
        name: "release".to_owned(),
        description: Some("ITIL release management.".to_owned()),
        initial: St::Planning,
        states: vec![
            state(St::Planning, "Scope and schedule are being planned."),
            state(St::Build, "The release package is being built."),
            state(St::Test, "The release is being tested."),
            state(St::Deploy, "The release is being deployed."),
            state(St::Review, "Deployed; under review."),
            state(St::Closed, "Closed; final."),
            state(St::Canceled, "Canceled before deployment; final."),
        ],
        transitions: vec![
            T::new(St::Planning, Ev::Build, St::Build).guard(Guard::CHANGES_APPROVED),
            T::new(St::Build, Ev::Test, St::Test),
            T::new(St::Test, Ev::Rework, St::Build),
            T::new(St::Test, Ev::Deploy, St::Deploy)
                .guard(Guard::CHANGES_APPROVED)
                .effect(set_at(Field::ACTUAL_START))
                .effect(Effect::ImplementReleaseChanges),
            T::new(St::Deploy, Ev::Review, St::Review).effect(set_at(Field::ACTUAL_END)),
            T::new(St::Deploy, Ev::BackOut, St::Build).effect(Effect::BackOutReleaseChanges),
            T::new(St::Review, Ev::Close, St::Closed).effect(set_at(Field::CLOSED_AT)),
            T::new(St::Planning, Ev::Cancel, St::Canceled),
            T::new(St::Build, Ev::Cancel, St::Canceled),
            T::new(St::Test, Ev::Cancel, St::Canceled),
        ],
        terminal: vec![St::Closed, St::Canceled],
    }
}

/// The service request flow, which request items follow too: submitted →
/// awaiting approval → approved | rejected; approved → fulfilment → closed
/// complete; closed incomplete from any open state. An item that needs no
/// approval (its `approval` is `not_required`, guard
/// [`Guard::APPROVAL_NOT_REQUIRED`]) goes from submitted straight to
/// fulfilment.
#[must_use]
pub fn service_request_flow() -> WorkflowDefinition<ServiceRequestState, ServiceRequestEvent> {
    use ServiceRequestEvent as Ev;
    use ServiceRequestState as St;
    let incomplete = |from| {
        T::new(from, Ev::CloseIncomplete, St::ClosedIncomplete)
            .effect(set_at(Field::CLOSED_AT))
            .effect(Effect::CancelPendingApprovals)
    };
    WorkflowDefinition {
        name: "service_request".to_owned(),
        description: Some("ITIL service request management.".to_owned()),
        initial: St::Submitted,
        states: vec![
            state(St::Submitted, "Submitted by the requester."),
            state(St::AwaitingApproval, "Waiting for the approvers."),
            state(St::Approved, "Approved; fulfilment may start."),
            state(St::Rejected, "Rejected by an approver; final."),
            state(St::Fulfilment, "Being fulfilled."),
            state(St::ClosedComplete, "Fulfilled; final."),
            state(
                St::ClosedIncomplete,
                "Closed without complete fulfilment; final.",
            ),
        ],
        transitions: vec![
            T::new(St::Submitted, Ev::RequestApproval, St::AwaitingApproval),
            T::new(St::Submitted, Ev::Fulfil, St::Fulfilment).guard(Guard::APPROVAL_NOT_REQUIRED),
            T::new(St::AwaitingApproval, Ev::Approve, St::Approved).guard(Guard::APPROVED),
            T::new(St::AwaitingApproval, Ev::Reject, St::Rejected)
                .guard(Guard::REJECTED)
                .effect(Effect::CancelPendingApprovals)
                .effect(set_at(Field::CLOSED_AT)),
            T::new(St::Approved, Ev::Fulfil, St::Fulfilment),
            T::new(St::Fulfilment, Ev::Complete, St::ClosedComplete)
                .effect(set_at(Field::CLOSED_AT)),
            incomplete(St::Submitted),
            incomplete(St::AwaitingApproval),
            incomplete(St::Approved),
            incomplete(St::Fulfilment),
        ],
        terminal: vec![St::Rejected, St::ClosedComplete, St::ClosedIncomplete],
    }
}

/// The known-error flow: open → fixed → retired, with open → retired when
/// the error is no longer relevant and fixed → open when the fix did not
/// hold. Fixing sets `fixed_at`; reopening clears it.
#[must_use]
pub fn known_error_flow() -> WorkflowDefinition<KnownErrorState, KnownErrorEvent> {
    use KnownErrorEvent as Ev;
    use KnownErrorState as St;
    WorkflowDefinition {
        name: "known_error".to_owned(),
        description: Some(
            "A known error: root cause and workaround documented while the permanent fix is pending."
                .to_owned(),
        ),
        initial: St::Open,
        states: vec![
            state(
                St::Open,
                "Recorded with a root cause and a workaround; the fix is pending.",
            ),
            state(St::Fixed, "The permanent fix is in place."),
            state(
                St::Retired,
                "No longer relevant (the affected component is gone); final.",
            ),
        ],
        transitions: vec![
            T::new(St::Open, Ev::Fix, St::Fixed).effect(set_at(Field::FIXED_AT)),
            T::new(St::Fixed, Ev::Reopen, St::Open).effect(clear_at(Field::FIXED_AT)),
            T::new(St::Open, Ev::Retire, St::Retired),
            T::new(St::Fixed, Ev::Retire, St::Retired),
        ],
        terminal: vec![St::Retired],
    }
}

/// The knowledge flow: draft → review → published → retired, with review →
/// draft for rework. Publishing needs the approval policy met over the
/// article's approvals ([`Guard::APPROVED`]), as a change's authorisation
/// does, and sets `published_at`; rework cancels pending approvals;
/// retiring sets `retired_at`. Publishing a version that supersedes
/// another retires the older one: [`retire_superseded`](crate::retire_superseded).
#[must_use]
pub fn knowledge_flow() -> WorkflowDefinition<KnowledgeState, KnowledgeEvent> {
    use KnowledgeEvent as Ev;
    use KnowledgeState as St;
    WorkflowDefinition {
        name: "knowledge".to_owned(),
        description: Some("Knowledge management: write, review, publish, retire.".to_owned()),
        initial: St::Draft,
        states: vec![
            state(St::Draft, "Being written."),
            state(St::Review, "Being reviewed before publication."),
            state(St::Published, "Published and visible to its audience."),
            state(St::Retired, "Withdrawn; final."),
        ],
        transitions: vec![
            T::new(St::Draft, Ev::Submit, St::Review),
            T::new(St::Review, Ev::Rework, St::Draft).effect(Effect::CancelPendingApprovals),
            T::new(St::Review, Ev::Publish, St::Published)
                .guard(Guard::APPROVED)
                .effect(set_at(Field::PUBLISHED_AT)),
            T::new(St::Published, Ev::Retire, St::Retired).effect(set_at(Field::RETIRED_AT)),
        ],
        terminal: vec![St::Retired],
    }
}

/// The task flow (incident, problem, change and request tasks): pending →
/// open → work in progress ⇄ on hold, then closed complete, closed
/// incomplete or closed skipped, all final.
///
/// A task is opened pending and made ready when the tasks before it are
/// done ([`ready_tasks`](crate::ready_tasks)); starting sets `started_at`;
/// every closing sets `closed_at` and `closed_by`; closing incomplete and
/// skipping need close notes. Whether the parent may close while a task is
/// active is the parent's rule: [`TaskRule`](crate::TaskRule).
#[must_use]
pub fn task_flow() -> WorkflowDefinition<TaskState, TaskEvent> {
    use TaskEvent as Ev;
    use TaskState as St;
    let close = |from, event, to| {
        T::new(from, event, to)
            .effect(set_at(Field::CLOSED_AT))
            .effect(set_by(Field::CLOSED_BY))
    };
    WorkflowDefinition {
        name: "task".to_owned(),
        description: Some(
            "A task of an incident, a problem, a change or a request item.".to_owned(),
        ),
        initial: St::Pending,
        states: vec![
            state(
                St::Pending,
                "Waiting for the tasks before it, or for its parent's stage.",
            ),
            state(St::Open, "Ready to be worked on."),
            state(St::WorkInProgress, "Being worked on."),
            state(
                St::OnHold,
                "Waiting on someone outside the assignee's control.",
            ),
            state(St::ClosedComplete, "Done; final."),
            state(St::ClosedIncomplete, "Ended without the work done; final.")
                .requiring(Field::CLOSE_NOTES),
            state(St::ClosedSkipped, "Not needed after all; final.").requiring(Field::CLOSE_NOTES),
        ],
        transitions: vec![
            T::new(St::Pending, Ev::Ready, St::Open),
            T::new(St::Open, Ev::Start, St::WorkInProgress).effect(set_at(Field::STARTED_AT)),
            T::new(St::WorkInProgress, Ev::Hold, St::OnHold),
            T::new(St::OnHold, Ev::Resume, St::WorkInProgress),
            close(St::Open, Ev::Complete, St::ClosedComplete),
            close(St::WorkInProgress, Ev::Complete, St::ClosedComplete),
            close(St::Open, Ev::CloseIncomplete, St::ClosedIncomplete),
            close(
                St::WorkInProgress,
                Ev::CloseIncomplete,
                St::ClosedIncomplete,
            ),
            close(St::OnHold, Ev::CloseIncomplete, St::ClosedIncomplete),
            close(St::Pending, Ev::Skip, St::ClosedSkipped),
            close(St::Open, Ev::Skip, St::ClosedSkipped),
        ],
        terminal: vec![St::ClosedComplete, St::ClosedIncomplete, St::ClosedSkipped],
    }
}

/// The IT asset flow: on order → in stock ⇄ in use, either of them ⇄ in
/// maintenance, then retired → disposed; an order may be cancelled (on
/// order → retired).
///
/// Its moves are exactly `itsm_core::AssetState::TRANSITIONS`, one event
/// per move or group of like moves, so the flow and
/// `AssetState::can_move_to` cannot disagree (a test compares them).
/// `in_use` needs `assigned_to`, the person the asset is provided to: a
/// rack server is provided to the person who answers for it. Every move to
/// `in_stock`, `retired` or `disposed` clears `assigned_to`, since a stored,
/// retired or disposed asset is with no one (`itsm_core::validate_assets`
/// refuses a retired asset still assigned), whatever the update that moves
/// it writes; `repair` keeps it, as a laptop in repair is still its user's.
/// `disposed` is the only terminal state.
#[must_use]
pub fn asset_flow() -> WorkflowDefinition<AssetState, AssetEvent> {
    use AssetEvent as Ev;
    use AssetState as St;
    let unassigning = |from, event, to| T::new(from, event, to).effect(clear(Field::ASSIGNED_TO));
    WorkflowDefinition {
        name: "asset".to_owned(),
        description: Some(
            "An IT asset, hardware or software: order, stock, use, maintenance, retirement, disposal."
                .to_owned(),
        ),
        initial: St::OnOrder,
        states: vec![
            state(St::OnOrder, "Ordered, not yet received."),
            state(St::InStock, "Received and in the store, assigned to no one."),
            state(St::InUse, "Deployed: provided to a person.").requiring(Field::ASSIGNED_TO),
            state(St::InMaintenance, "Out for repair or servicing."),
            state(St::Retired, "Withdrawn from use, awaiting disposal."),
            state(
                St::Disposed,
                "Sold, recycled or destroyed: the end of its life; final.",
            ),
        ],
        transitions: vec![
            unassigning(St::OnOrder, Ev::Receive, St::InStock),
            unassigning(St::OnOrder, Ev::CancelOrder, St::Retired),
            T::new(St::InStock, Ev::Deploy, St::InUse),
            unassigning(St::InUse, Ev::Return, St::InStock),
            unassigning(St::InMaintenance, Ev::Return, St::InStock),
            T::new(St::InStock, Ev::Repair, St::InMaintenance),
            T::new(St::InUse, Ev::Repair, St::InMaintenance),
            T::new(St::InMaintenance, Ev::Restore, St::InUse),
            unassigning(St::InStock, Ev::Retire, St::Retired),
            unassigning(St::InUse, Ev::Retire, St::Retired),
            unassigning(St::InMaintenance, Ev::Retire, St::Retired),
            unassigning(St::Retired, Ev::Dispose, St::Disposed),
        ],
        terminal: vec![St::Disposed],
    }
}
