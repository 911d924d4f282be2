//! One table per default flow: every legal move, and a representative set of
//! refused moves with the reason expected.

use std::collections::BTreeSet;
use std::fmt::Debug;

use chrono::{DateTime, TimeZone, Utc};
use itsm_core::{
    AssetState, ChangeState, ChangeType, IncidentState, KnowledgeState, KnownErrorState,
    MajorIncidentState, PersonId, ProblemState, ReleaseState, ServiceRequestState, TaskState,
    TimelineChange,
};
use itsm_lifecycle::{
    AssetEvent, ChangeEvent, Effect, EventKey, Field, IncidentEvent, KnowledgeEvent,
    KnownErrorEvent, LifecycleError, MajorIncidentEvent, PlainContext, ProblemEvent, Refusal,
    ReleaseEvent, ServiceRequestEvent, StateKey, TaskEvent, Workflow, WorkflowDefinition,
    asset_flow, change_flow, incident_flow, knowledge_flow, known_error_flow, major_incident_flow,
    problem_flow, release_flow, service_request_flow, task_flow,
};

/// What a move should do.
#[derive(Debug)]
enum Expect<S> {
    /// Succeed, reaching this state.
    To(S),
    /// Refused: the workflow has no such move from this state.
    NotAllowed,
    /// Refused: the state is terminal.
    Terminal,
    /// Refused by guards, fields or reasons, written `guard:x`, `field:x`, `reason`, `bad_reason:x`.
    Refused(&'static [&'static str]),
}
use Expect::{NotAllowed, Refused, Terminal, To};

/// A context from a spec: `g:guard f:field r:reason c:visibility`,
/// separated by spaces (`c:public` is a public comment given).
fn facts(spec: &str) -> PlainContext {
    spec.split_whitespace()
        .fold(PlainContext::itil(), |f, token| {
            match token.split_once(':') {
                Some(("g", g)) => f.passing(g),
                Some(("f", x)) => f.with_field(x),
                Some(("r", r)) => f.with_reason(r),
                Some(("c", c)) => {
                    let mut f = f;
                    f.comments.insert(c.parse().expect("a comment visibility"));
                    f
                }
                _ => panic!("bad facts token {token:?}"),
            }
        })
}

fn refusal_text(r: &Refusal) -> String {
    match r {
        Refusal::Guard { guard } => format!("guard:{guard}"),
        Refusal::MissingField { field } => format!("field:{field}"),
        Refusal::MissingReason { .. } => "reason".to_owned(),
        Refusal::InvalidReason { reason, .. } => format!("bad_reason:{reason}"),
        Refusal::MissingComment { visibility, .. } => format!("comment:{visibility}"),
        other => format!("{other:?}"),
    }
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// Applies one case and compares; a failure prints the case, the expected and the actual.
fn check<S: StateKey, E: EventKey>(
    wf: &Workflow<S, E>,
    (from, event, spec, expect): &(S, E, &str, Expect<S>),
) {
    let actor = Some(PersonId::from_u128(1));
    let actual = wf.apply(from, event, actor, at(), &facts(spec));
    let ok = match (expect, &actual) {
        (To(to), Ok(t)) => {
            t.audit.to == *to
                && t.audit.from == *from
                && t.audit.event == *event
                && t.audit.actor == actor
                && Some(t.to_category) == wf.category(to)
                && matches!(&t.timeline.change, TimelineChange::StateChanged { to: name, .. } if *name == to.wire_name())
        }
        (NotAllowed, Err(LifecycleError::NotAllowed { .. })) => true,
        (Terminal, Err(LifecycleError::Terminal { .. })) => true,
        (Refused(want), Err(LifecycleError::Refused { refusals, .. })) => {
            refusals.iter().map(refusal_text).collect::<Vec<_>>()
                == want.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>()
        }
        _ => false,
    };
    assert!(
        ok,
        "workflow {}: case {from:?} --{event:?}--> with facts {spec:?}\nexpected: {expect:?}\nactual:   {actual:?}",
        wf.name()
    );
}

/// Runs a table and checks that its successful rows are exactly the
/// workflow's transitions: every legal move is in the table.
fn run<S: StateKey + Ord, E: EventKey + Ord>(
    definition: WorkflowDefinition<S, E>,
    table: &[(S, E, &str, Expect<S>)],
) {
    let wf = Workflow::new(definition, &PlainContext::itil()).expect("default flow is valid");
    for case in table {
        check(&wf, case);
    }
    let legal: BTreeSet<(S, E, S)> = table
        .iter()
        .filter_map(|(s, e, _, x)| match x {
            To(to) => Some((s.clone(), e.clone(), to.clone())),
            _ => None,
        })
        .collect();
    let defined: BTreeSet<(S, E, S)> = wf
        .definition()
        .transitions
        .iter()
        .map(|t| (t.from.clone(), t.event.clone(), t.to.clone()))
        .collect();
    assert_eq!(
        legal,
        defined,
        "workflow {}: the table's legal moves differ from the workflow's",
        wf.name()
    );
}

const RESOLVED: &str = "f:resolution_code f:resolution_notes";

#[test]
fn incident_flow_table() {
    use IncidentEvent as E;
    use IncidentState as S;
    run(
        incident_flow(),
        &[
            (S::New, E::Start, "", To(S::InProgress)),
            (S::New, E::Hold, "r:awaiting_caller c:public", To(S::OnHold)),
            // Awaiting the caller needs the question to the caller: a public
            // comment, not a work note (as ServiceNow asks).
            (
                S::InProgress,
                E::Hold,
                "r:awaiting_caller",
                Refused(&["comment:public"]),
            ),
            (
                S::InProgress,
                E::Hold,
                "r:awaiting_caller c:work_note",
                Refused(&["comment:public"]),
            ),
            (S::InProgress, E::Hold, "r:awaiting_vendor", To(S::OnHold)),
            (
                S::InProgress,
                E::Hold,
                "r:awaiting_change f:change_request",
                To(S::OnHold),
            ),
            (
                S::InProgress,
                E::Hold,
                "r:awaiting_problem f:problem",
                To(S::OnHold),
            ),
            (S::OnHold, E::Resume, "", To(S::InProgress)),
            (
                S::OnHold,
                E::CallerUpdated,
                "g:awaiting_caller",
                To(S::InProgress),
            ),
            (S::New, E::Resolve, RESOLVED, To(S::Resolved)),
            (S::InProgress, E::Resolve, RESOLVED, To(S::Resolved)),
            (S::OnHold, E::Resolve, RESOLVED, To(S::Resolved)),
            (S::Resolved, E::Reopen, "", To(S::InProgress)),
            (S::Resolved, E::Close, "", To(S::Closed)),
            (S::New, E::Cancel, "", To(S::Canceled)),
            (S::InProgress, E::Cancel, "", To(S::Canceled)),
            (S::OnHold, E::Cancel, "", To(S::Canceled)),
            // Refused.
            (S::InProgress, E::Hold, "", Refused(&["reason"])),
            (
                S::InProgress,
                E::Hold,
                "r:lunch_break",
                Refused(&["bad_reason:lunch_break"]),
            ),
            (
                S::InProgress,
                E::Hold,
                "r:awaiting_problem",
                Refused(&["field:problem"]),
            ),
            (
                S::New,
                E::Hold,
                "r:awaiting_change f:problem",
                Refused(&["field:change_request"]),
            ),
            (
                S::OnHold,
                E::CallerUpdated,
                "r:awaiting_vendor",
                Refused(&["guard:awaiting_caller"]),
            ),
            (
                S::InProgress,
                E::Resolve,
                "f:resolution_code",
                Refused(&["field:resolution_notes"]),
            ),
            (
                S::InProgress,
                E::Resolve,
                "",
                Refused(&["field:resolution_code", "field:resolution_notes"]),
            ),
            (S::Closed, E::Reopen, "", Terminal),
            (S::Closed, E::Cancel, "", Terminal),
            (S::Canceled, E::Start, "", Terminal),
            (S::Resolved, E::Cancel, "", NotAllowed),
            (S::Resolved, E::Hold, "r:awaiting_caller", NotAllowed),
            (S::InProgress, E::Reopen, "", NotAllowed),
            (S::OnHold, E::Reopen, "", NotAllowed),
            (S::New, E::Close, "", NotAllowed),
            (S::InProgress, E::Close, "", NotAllowed),
            (S::InProgress, E::Start, "", NotAllowed),
            (S::OnHold, E::Hold, "r:awaiting_caller", NotAllowed),
            (S::New, E::CallerUpdated, "g:awaiting_caller", NotAllowed),
        ],
    );
}

#[test]
fn major_incident_flow_table() {
    use MajorIncidentEvent as E;
    use MajorIncidentState as S;
    run(
        major_incident_flow(),
        &[
            (S::Proposed, E::Accept, "", To(S::Accepted)),
            (S::Proposed, E::Reject, "", To(S::Rejected)),
            (S::Proposed, E::Cancel, "", To(S::Canceled)),
            (S::Accepted, E::Cancel, "", To(S::Canceled)),
            (S::Accepted, E::Accept, "", NotAllowed),
            (S::Accepted, E::Reject, "", NotAllowed),
            (S::Rejected, E::Accept, "", Terminal),
            (S::Rejected, E::Cancel, "", Terminal),
            (S::Canceled, E::Accept, "", Terminal),
        ],
    );
}

#[test]
fn problem_flow_table() {
    use ProblemEvent as E;
    use ProblemState as S;
    let code = "f:resolution_code";
    run(
        problem_flow(),
        &[
            (S::New, E::Assess, "", To(S::Assess)),
            (S::Assess, E::Analyze, "", To(S::RootCauseAnalysis)),
            (S::RootCauseAnalysis, E::StartFix, "", To(S::FixInProgress)),
            (S::New, E::Resolve, code, To(S::Resolved)),
            (S::Assess, E::Resolve, code, To(S::Resolved)),
            (S::RootCauseAnalysis, E::Resolve, code, To(S::Resolved)),
            (S::FixInProgress, E::Resolve, code, To(S::Resolved)),
            (S::Resolved, E::Close, "", To(S::Closed)),
            (
                S::Closed,
                E::Reanalyze,
                "g:reanalyze_role",
                To(S::RootCauseAnalysis),
            ),
            (
                S::Closed,
                E::Reanalyze,
                "",
                Refused(&["guard:reanalyze_role"]),
            ),
            (
                S::FixInProgress,
                E::Resolve,
                "",
                Refused(&["field:resolution_code"]),
            ),
            (S::Resolved, E::Reanalyze, "g:reanalyze_role", NotAllowed),
            (
                S::FixInProgress,
                E::Reanalyze,
                "g:reanalyze_role",
                NotAllowed,
            ),
            (S::New, E::Analyze, "", NotAllowed),
            (S::New, E::StartFix, "", NotAllowed),
            (S::Resolved, E::Assess, "", NotAllowed),
            (S::Closed, E::Close, "", NotAllowed),
        ],
    );
}

const SCHEDULE: &str = "f:planned_start f:planned_end";
const APPROVED_SCHEDULE: &str = "g:approved f:planned_start f:planned_end";
const CLOSE: &str = "f:close_code f:close_notes";

#[test]
fn normal_change_flow_table() {
    use ChangeEvent as E;
    use ChangeState as S;
    run(
        change_flow(ChangeType::Normal),
        &[
            (S::New, E::Assess, "", To(S::Assess)),
            (S::Assess, E::RequestAuthorization, "", To(S::Authorize)),
            (S::Assess, E::Revert, "", To(S::New)),
            (
                S::Authorize,
                E::Schedule,
                APPROVED_SCHEDULE,
                To(S::Scheduled),
            ),
            (S::Authorize, E::Reject, "g:rejected", To(S::New)),
            (S::Authorize, E::Revert, "", To(S::New)),
            (S::Scheduled, E::Implement, "", To(S::Implement)),
            (S::Implement, E::Review, "", To(S::Review)),
            (S::Implement, E::BackOut, "", To(S::Review)),
            (S::Review, E::Close, CLOSE, To(S::Closed)),
            (S::New, E::Cancel, "", To(S::Canceled)),
            (S::Assess, E::Cancel, "", To(S::Canceled)),
            (S::Authorize, E::Cancel, "", To(S::Canceled)),
            (S::Scheduled, E::Cancel, "", To(S::Canceled)),
            (S::Implement, E::Cancel, "", To(S::Canceled)),
            (
                S::Authorize,
                E::Schedule,
                SCHEDULE,
                Refused(&["guard:approved"]),
            ),
            (
                S::Authorize,
                E::Schedule,
                "g:approved",
                Refused(&["field:planned_start", "field:planned_end"]),
            ),
            (S::Authorize, E::Reject, "", Refused(&["guard:rejected"])),
            (
                S::Review,
                E::Close,
                "f:close_code",
                Refused(&["field:close_notes"]),
            ),
            (S::Review, E::Cancel, "", NotAllowed),
            (S::Closed, E::Cancel, "", Terminal),
            (S::New, E::Schedule, SCHEDULE, NotAllowed),
            (S::New, E::RequestAuthorization, "", NotAllowed),
            (S::Scheduled, E::Revert, "", NotAllowed),
        ],
    );
}

#[test]
fn standard_change_flow_table() {
    use ChangeEvent as E;
    use ChangeState as S;
    run(
        change_flow(ChangeType::Standard),
        &[
            (S::New, E::Schedule, SCHEDULE, To(S::Scheduled)),
            (S::Scheduled, E::Implement, "", To(S::Implement)),
            (S::Implement, E::Review, "", To(S::Review)),
            (S::Implement, E::BackOut, "", To(S::Review)),
            (S::Review, E::Close, CLOSE, To(S::Closed)),
            (S::New, E::Cancel, "", To(S::Canceled)),
            (S::Scheduled, E::Cancel, "", To(S::Canceled)),
            (S::Implement, E::Cancel, "", To(S::Canceled)),
            (S::New, E::Assess, "", NotAllowed),
            (S::New, E::RequestAuthorization, "", NotAllowed),
            (
                S::New,
                E::Schedule,
                "",
                Refused(&["field:planned_start", "field:planned_end"]),
            ),
            (S::Review, E::Cancel, "", NotAllowed),
            (S::Closed, E::Cancel, "", Terminal),
        ],
    );
}

#[test]
fn emergency_change_flow_table() {
    use ChangeEvent as E;
    use ChangeState as S;
    run(
        change_flow(ChangeType::Emergency),
        &[
            (S::New, E::RequestAuthorization, "", To(S::Authorize)),
            (
                S::Authorize,
                E::Schedule,
                APPROVED_SCHEDULE,
                To(S::Scheduled),
            ),
            (S::Authorize, E::Reject, "g:rejected", To(S::New)),
            (S::Authorize, E::Revert, "", To(S::New)),
            (S::Scheduled, E::Implement, "", To(S::Implement)),
            (S::Implement, E::Review, "", To(S::Review)),
            (S::Implement, E::BackOut, "", To(S::Review)),
            (S::Review, E::Close, CLOSE, To(S::Closed)),
            (S::New, E::Cancel, "", To(S::Canceled)),
            (S::Authorize, E::Cancel, "", To(S::Canceled)),
            (S::Scheduled, E::Cancel, "", To(S::Canceled)),
            (S::Implement, E::Cancel, "", To(S::Canceled)),
            (S::New, E::Assess, "", NotAllowed),
            (S::New, E::Schedule, SCHEDULE, NotAllowed),
            (
                S::Authorize,
                E::Schedule,
                SCHEDULE,
                Refused(&["guard:approved"]),
            ),
            (S::Review, E::Cancel, "", NotAllowed),
            (S::Canceled, E::Assess, "", Terminal),
        ],
    );
}

#[test]
fn release_flow_table() {
    use ReleaseEvent as E;
    use ReleaseState as S;
    run(
        release_flow(),
        &[
            (S::Planning, E::Build, "g:changes_approved", To(S::Build)),
            // A release holds approved changes only: the caller vouches.
            (
                S::Planning,
                E::Build,
                "",
                Refused(&["guard:changes_approved"]),
            ),
            (S::Build, E::Test, "", To(S::Test)),
            (S::Test, E::Rework, "", To(S::Build)),
            (S::Test, E::Deploy, "g:changes_approved", To(S::Deploy)),
            (S::Test, E::Deploy, "", Refused(&["guard:changes_approved"])),
            (S::Deploy, E::Review, "", To(S::Review)),
            // A failed deployment: back to build.
            (S::Deploy, E::BackOut, "", To(S::Build)),
            (S::Review, E::Close, "", To(S::Closed)),
            (S::Planning, E::Cancel, "", To(S::Canceled)),
            (S::Build, E::Cancel, "", To(S::Canceled)),
            (S::Test, E::Cancel, "", To(S::Canceled)),
            (S::Deploy, E::Cancel, "", NotAllowed),
            (S::Review, E::Cancel, "", NotAllowed),
            (S::Planning, E::Deploy, "", NotAllowed),
            (S::Closed, E::Cancel, "", Terminal),
            (S::Canceled, E::Build, "", Terminal),
        ],
    );
}

#[test]
fn service_request_flow_table() {
    use ServiceRequestEvent as E;
    use ServiceRequestState as S;
    run(
        service_request_flow(),
        &[
            (
                S::Submitted,
                E::RequestApproval,
                "",
                To(S::AwaitingApproval),
            ),
            (
                S::AwaitingApproval,
                E::Approve,
                "g:approved",
                To(S::Approved),
            ),
            (
                S::AwaitingApproval,
                E::Reject,
                "g:rejected",
                To(S::Rejected),
            ),
            (S::Approved, E::Fulfil, "", To(S::Fulfilment)),
            (S::Fulfilment, E::Complete, "", To(S::ClosedComplete)),
            (
                S::Submitted,
                E::CloseIncomplete,
                "",
                To(S::ClosedIncomplete),
            ),
            (
                S::AwaitingApproval,
                E::CloseIncomplete,
                "",
                To(S::ClosedIncomplete),
            ),
            (S::Approved, E::CloseIncomplete, "", To(S::ClosedIncomplete)),
            (
                S::Fulfilment,
                E::CloseIncomplete,
                "",
                To(S::ClosedIncomplete),
            ),
            (
                S::AwaitingApproval,
                E::Approve,
                "",
                Refused(&["guard:approved"]),
            ),
            (
                S::AwaitingApproval,
                E::Reject,
                "",
                Refused(&["guard:rejected"]),
            ),
            // An item that needs no approval goes straight to fulfilment.
            (
                S::Submitted,
                E::Fulfil,
                "g:approval_not_required",
                To(S::Fulfilment),
            ),
            (
                S::Submitted,
                E::Fulfil,
                "",
                Refused(&["guard:approval_not_required"]),
            ),
            (
                S::Submitted,
                E::Fulfil,
                "g:approved",
                Refused(&["guard:approval_not_required"]),
            ),
            (
                S::AwaitingApproval,
                E::Fulfil,
                "g:approval_not_required",
                NotAllowed,
            ),
            (S::Submitted, E::Approve, "g:approved", NotAllowed),
            (S::Rejected, E::Approve, "g:approved", Terminal),
            (S::ClosedComplete, E::CloseIncomplete, "", Terminal),
        ],
    );
}

fn incident_wf() -> Workflow<IncidentState, IncidentEvent> {
    Workflow::new(incident_flow(), &PlainContext::itil()).unwrap()
}

fn field(f: &str) -> String {
    f.to_owned()
}

#[test]
fn reopen_updates_count_and_last_reopened() {
    let t = incident_wf()
        .apply(
            &IncidentState::Resolved,
            &IncidentEvent::Reopen,
            None,
            at(),
            &PlainContext::itil(),
        )
        .unwrap();
    for e in [
        Effect::Increment {
            field: field(Field::REOPEN_COUNT),
        },
        Effect::SetTimestamp {
            field: field(Field::LAST_REOPENED_AT),
        },
        Effect::SetActor {
            field: field(Field::LAST_REOPENED_BY),
        },
        Effect::ClearTimestamp {
            field: field(Field::RESOLVED_AT),
        },
    ] {
        assert!(t.effects.contains(&e), "missing {e:?} in {:?}", t.effects);
    }
}

#[test]
fn caller_update_on_awaiting_caller_clears_the_reason() {
    let facts = PlainContext::itil().passing(itsm_lifecycle::Guard::AWAITING_CALLER);
    let t = incident_wf()
        .apply(
            &IncidentState::OnHold,
            &IncidentEvent::CallerUpdated,
            None,
            at(),
            &facts,
        )
        .unwrap();
    assert_eq!(t.audit.to, IncidentState::InProgress);
    assert!(t.leaves_pause());
    assert_eq!(
        t.effects,
        vec![Effect::ClearField {
            field: field(Field::ON_HOLD_REASON)
        }]
    );
}

#[test]
fn hold_records_the_reason_in_audit_and_timeline() {
    let facts = PlainContext::itil()
        .with_reason("awaiting_problem")
        .with_field(Field::PROBLEM);
    let t = incident_wf()
        .apply(
            &IncidentState::InProgress,
            &IncidentEvent::Hold,
            None,
            at(),
            &facts,
        )
        .unwrap();
    assert_eq!(t.audit.reason.as_deref(), Some("awaiting_problem"));
    assert!(t.enters_pause());
    assert!(
        matches!(&t.timeline.change, TimelineChange::StateChanged { reason: Some(r), .. } if r == "awaiting_problem")
    );
}

#[test]
fn cancelling_an_incident_cancels_its_major_incident() {
    let wf = incident_wf();
    let major = Workflow::new(major_incident_flow(), &PlainContext::itil()).unwrap();
    for from in [
        IncidentState::New,
        IncidentState::InProgress,
        IncidentState::OnHold,
    ] {
        let t = wf
            .apply(
                &from,
                &IncidentEvent::Cancel,
                None,
                at(),
                &PlainContext::itil(),
            )
            .unwrap();
        assert!(t.effects.contains(&Effect::CancelMajorIncident), "{from:?}");
    }
    // The effect is always applicable on the major-incident flow from proposed and accepted.
    for from in [MajorIncidentState::Proposed, MajorIncidentState::Accepted] {
        let t = major
            .apply(
                &from,
                &MajorIncidentEvent::Cancel,
                None,
                at(),
                &PlainContext::itil(),
            )
            .unwrap();
        assert_eq!(t.audit.to, MajorIncidentState::Canceled);
    }
}

#[test]
fn reverting_a_change_to_new_cancels_pending_approvals() {
    let wf = Workflow::new(change_flow(ChangeType::Normal), &PlainContext::itil()).unwrap();
    for from in [ChangeState::Assess, ChangeState::Authorize] {
        let t = wf
            .apply(
                &from,
                &ChangeEvent::Revert,
                None,
                at(),
                &PlainContext::itil(),
            )
            .unwrap();
        assert_eq!(t.audit.to, ChangeState::New);
        assert!(
            t.effects.contains(&Effect::CancelPendingApprovals),
            "{from:?}"
        );
    }
}

#[test]
fn resolving_a_problem_releases_waiting_incidents() {
    let wf = Workflow::new(problem_flow(), &PlainContext::itil()).unwrap();
    let t = wf
        .apply(
            &ProblemState::FixInProgress,
            &ProblemEvent::Resolve,
            None,
            at(),
            &PlainContext::itil().with_field("resolution_code"),
        )
        .unwrap();
    assert!(t.effects.contains(&Effect::ResolveIncidentsAwaitingProblem));
}

#[test]
fn not_allowed_lists_the_events_allowed() {
    let err = incident_wf()
        .apply(
            &IncidentState::Resolved,
            &IncidentEvent::Cancel,
            None,
            at(),
            &PlainContext::itil(),
        )
        .unwrap_err();
    assert_eq!(
        err,
        LifecycleError::NotAllowed {
            workflow: "incident".into(),
            state: "resolved".into(),
            event: "cancel".into(),
            allowed: vec!["reopen".into(), "close".into()],
        }
    );
    assert_eq!(
        err.to_string(),
        "workflow \"incident\": event \"cancel\" is not allowed in state \"resolved\" (allowed: reopen, close)"
    );
}

#[test]
fn allowed_events_follow_guards() {
    let wf = incident_wf();
    let check = |state: IncidentState, facts: PlainContext, want: &[IncidentEvent]| {
        let got: Vec<IncidentEvent> = wf
            .allowed_events(&state, &facts)
            .into_iter()
            .copied()
            .collect();
        assert_eq!(got, want, "state {state:?}, facts {facts:?}");
    };
    use IncidentEvent as E;
    check(
        IncidentState::OnHold,
        PlainContext::itil(),
        &[E::Resume, E::Resolve, E::Cancel],
    );
    check(
        IncidentState::OnHold,
        PlainContext::itil().passing("awaiting_caller"),
        &[E::Resume, E::CallerUpdated, E::Resolve, E::Cancel],
    );
    check(
        IncidentState::New,
        PlainContext::itil(),
        &[E::Start, E::Hold, E::Resolve, E::Cancel],
    );
    check(IncidentState::Closed, PlainContext::itil(), &[]);
}

#[test]
fn known_error_flow_table() {
    use KnownErrorEvent as E;
    use KnownErrorState as S;
    run(
        known_error_flow(),
        &[
            (S::Open, E::Fix, "", To(S::Fixed)),
            (S::Fixed, E::Reopen, "", To(S::Open)),
            (S::Open, E::Retire, "", To(S::Retired)),
            (S::Fixed, E::Retire, "", To(S::Retired)),
            (S::Open, E::Reopen, "", NotAllowed),
            (S::Fixed, E::Fix, "", NotAllowed),
            (S::Retired, E::Reopen, "", Terminal),
        ],
    );
}

#[test]
fn knowledge_flow_table() {
    use KnowledgeEvent as E;
    use KnowledgeState as S;
    run(
        knowledge_flow(),
        &[
            (S::Draft, E::Submit, "", To(S::Review)),
            (S::Review, E::Rework, "", To(S::Draft)),
            (S::Review, E::Publish, "g:approved", To(S::Published)),
            (S::Review, E::Publish, "", Refused(&["guard:approved"])),
            (
                S::Review,
                E::Publish,
                "g:rejected",
                Refused(&["guard:approved"]),
            ),
            (S::Published, E::Retire, "", To(S::Retired)),
            (S::Draft, E::Publish, "", NotAllowed),
            (S::Draft, E::Retire, "", NotAllowed),
            (S::Published, E::Submit, "", NotAllowed),
            (S::Retired, E::Submit, "", Terminal),
        ],
    );
}

#[test]
fn task_flow_table() {
    use TaskEvent as E;
    use TaskState as S;
    const NOTES: &str = "f:close_notes";
    run(
        task_flow(),
        &[
            (S::Pending, E::Ready, "", To(S::Open)),
            (S::Open, E::Start, "", To(S::WorkInProgress)),
            (S::WorkInProgress, E::Hold, "", To(S::OnHold)),
            (S::OnHold, E::Resume, "", To(S::WorkInProgress)),
            (S::Open, E::Complete, "", To(S::ClosedComplete)),
            (S::WorkInProgress, E::Complete, "", To(S::ClosedComplete)),
            (S::Open, E::CloseIncomplete, NOTES, To(S::ClosedIncomplete)),
            (
                S::WorkInProgress,
                E::CloseIncomplete,
                NOTES,
                To(S::ClosedIncomplete),
            ),
            (
                S::OnHold,
                E::CloseIncomplete,
                NOTES,
                To(S::ClosedIncomplete),
            ),
            (
                S::OnHold,
                E::CloseIncomplete,
                "",
                Refused(&["field:close_notes"]),
            ),
            (S::Pending, E::Skip, NOTES, To(S::ClosedSkipped)),
            (S::Open, E::Skip, NOTES, To(S::ClosedSkipped)),
            (S::Pending, E::Skip, "", Refused(&["field:close_notes"])),
            (S::Pending, E::Start, "", NotAllowed),
            (S::Pending, E::Complete, "", NotAllowed),
            (S::Open, E::Hold, "", NotAllowed),
            (S::OnHold, E::Complete, "", NotAllowed),
            (S::WorkInProgress, E::Skip, NOTES, NotAllowed),
            (S::ClosedComplete, E::Ready, "", Terminal),
            (S::ClosedIncomplete, E::Start, "", Terminal),
            (S::ClosedSkipped, E::Ready, "", Terminal),
        ],
    );
}

#[test]
fn closing_a_task_stamps_when_and_who_and_starting_stamps_when() {
    let wf = Workflow::new(task_flow(), &PlainContext::itil()).unwrap();
    let actor = Some(PersonId::from_u128(1));
    let start = wf
        .apply(&TaskState::Open, &TaskEvent::Start, actor, at(), &facts(""))
        .unwrap();
    assert_eq!(
        start.effects,
        [Effect::SetTimestamp {
            field: Field::STARTED_AT.to_owned()
        }]
    );
    let complete = wf
        .apply(
            &TaskState::WorkInProgress,
            &TaskEvent::Complete,
            actor,
            at(),
            &facts(""),
        )
        .unwrap();
    assert_eq!(
        complete.effects,
        [
            Effect::SetTimestamp {
                field: Field::CLOSED_AT.to_owned()
            },
            Effect::SetActor {
                field: Field::CLOSED_BY.to_owned()
            },
        ]
    );
}

/// The person an asset is provided to, given.
const ASSIGNED: &str = "f:assigned_to";

#[test]
fn asset_flow_table() {
    use AssetEvent as E;
    use AssetState as S;
    run(
        asset_flow(),
        &[
            (S::OnOrder, E::Receive, "", To(S::InStock)),
            (S::OnOrder, E::CancelOrder, "", To(S::Retired)),
            (S::InStock, E::Deploy, ASSIGNED, To(S::InUse)),
            (S::InStock, E::Deploy, "", Refused(&["field:assigned_to"])),
            (S::InUse, E::Return, ASSIGNED, To(S::InStock)),
            (S::InMaintenance, E::Return, "", To(S::InStock)),
            (S::InStock, E::Repair, "", To(S::InMaintenance)),
            (S::InUse, E::Repair, ASSIGNED, To(S::InMaintenance)),
            (S::InMaintenance, E::Restore, ASSIGNED, To(S::InUse)),
            (
                S::InMaintenance,
                E::Restore,
                "",
                Refused(&["field:assigned_to"]),
            ),
            (S::InStock, E::Retire, "", To(S::Retired)),
            (S::InUse, E::Retire, ASSIGNED, To(S::Retired)),
            (S::InMaintenance, E::Retire, "", To(S::Retired)),
            (S::Retired, E::Dispose, "", To(S::Disposed)),
            (S::OnOrder, E::Deploy, ASSIGNED, NotAllowed),
            (S::OnOrder, E::Repair, "", NotAllowed),
            (S::InStock, E::Receive, "", NotAllowed),
            (S::InStock, E::Return, "", NotAllowed),
            (S::InStock, E::Dispose, "", NotAllowed),
            (S::InUse, E::Deploy, ASSIGNED, NotAllowed),
            (S::InUse, E::Restore, ASSIGNED, NotAllowed),
            (S::InMaintenance, E::CancelOrder, "", NotAllowed),
            (S::Retired, E::Deploy, ASSIGNED, NotAllowed),
            (S::Retired, E::Return, "", NotAllowed),
            (S::Disposed, E::Receive, "", Terminal),
            (S::Disposed, E::Deploy, ASSIGNED, Terminal),
        ],
    );
}

#[test]
fn stocking_retiring_or_disposing_of_an_asset_clears_its_assignment_and_repair_keeps_it() {
    use AssetEvent as E;
    use AssetState as S;
    let wf = Workflow::new(asset_flow(), &PlainContext::itil()).unwrap();
    let clears = [Effect::ClearField {
        field: Field::ASSIGNED_TO.to_owned(),
    }];
    let check = |from: S, event: E, expected: &[Effect]| {
        let t = wf
            .apply(&from, &event, None, at(), &facts(ASSIGNED))
            .unwrap_or_else(|e| panic!("{from} --{event}-->: {e}"));
        assert_eq!(t.effects, expected, "{from} --{event}-->");
    };
    check(S::InUse, E::Return, &clears);
    check(S::InMaintenance, E::Return, &clears);
    check(S::InStock, E::Retire, &clears);
    check(S::InUse, E::Retire, &clears);
    check(S::InMaintenance, E::Retire, &clears);
    check(S::OnOrder, E::CancelOrder, &clears);
    check(S::Retired, E::Dispose, &clears);
    check(S::OnOrder, E::Receive, &clears);
    check(S::InUse, E::Repair, &[]);
    check(S::InStock, E::Deploy, &[]);
    check(S::InMaintenance, E::Restore, &[]);
}

/// The differential check: the flow's moves, as `(from, to)` pairs, are
/// exactly `AssetState::TRANSITIONS`, the table `can_move_to` reads; and the
/// compiled workflow agrees with `can_move_to` on every state and event.
#[test]
fn asset_flow_moves_are_exactly_the_asset_state_transitions() {
    let definition = asset_flow();
    let moves: BTreeSet<(AssetState, AssetState)> = definition
        .transitions
        .iter()
        .map(|t| (t.from, t.to))
        .collect();
    let table: BTreeSet<(AssetState, AssetState)> =
        AssetState::TRANSITIONS.iter().copied().collect();
    assert_eq!(
        table.len(),
        AssetState::TRANSITIONS.len(),
        "a row of AssetState::TRANSITIONS is repeated"
    );
    assert_eq!(
        moves, table,
        "asset_flow differs from AssetState::TRANSITIONS"
    );
    let wf = Workflow::new(definition, &PlainContext::itil()).unwrap();
    use strum::IntoEnumIterator;
    let mut reached = BTreeSet::new();
    for from in AssetState::iter() {
        for event in AssetEvent::ALL {
            if let Some(to) = wf.target(&from, event) {
                assert!(from.can_move_to(*to), "{from} --{event}--> {to}");
                reached.insert((from, *to));
            }
        }
    }
    assert_eq!(reached, table, "some allowed move has no event");
    // The one terminal state is the one with no move out.
    for state in AssetState::iter() {
        assert_eq!(
            wf.is_terminal(&state),
            !AssetState::iter().any(|to| state.can_move_to(to)),
            "{state}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::test_runner::Config { cases: 256, ..proptest::test_runner::Config::default() })]

    /// Any sequence of events, each with or without an assignment written
    /// by the caller's update (applied before the flow's effects): every
    /// accepted event makes a move `can_move_to` allows, a refused one
    /// changes nothing, an asset in use is always assigned, and a stocked,
    /// retired or disposed asset never stays assigned.
    #[test]
    fn asset_events_only_make_allowed_moves_and_never_leave_a_retired_asset_assigned(
        steps in proptest::collection::vec((0..AssetEvent::ALL.len(), proptest::bool::ANY), 0..60)
    ) {
        let wf = Workflow::new(asset_flow(), &PlainContext::itil()).unwrap();
        let mut state = *wf.initial();
        let mut assigned = false;
        for (i, give) in steps {
            let event = AssetEvent::ALL[i];
            let mut facts = PlainContext::itil();
            if assigned || give {
                facts = facts.with_field(Field::ASSIGNED_TO);
            }
            match wf.apply(&state, &event, None, at(), &facts) {
                Ok(t) => {
                    proptest::prop_assert!(
                        state.can_move_to(t.audit.to),
                        "{} --{}--> {} is not in AssetState::TRANSITIONS", state, event, t.audit.to
                    );
                    proptest::prop_assert_eq!(t.audit.from, state);
                    assigned = assigned || give;
                    for effect in &t.effects {
                        match effect {
                            Effect::ClearField { field } if field == Field::ASSIGNED_TO => {
                                assigned = false;
                            }
                            other => proptest::prop_assert!(false, "unexpected effect {:?}", other),
                        }
                    }
                    state = t.audit.to;
                }
                Err(
                    LifecycleError::NotAllowed { .. }
                    | LifecycleError::Terminal { .. }
                    | LifecycleError::Refused { .. },
                ) => {}
                Err(other) => proptest::prop_assert!(false, "unexpected error {}", other),
            }
            if state == AssetState::InStock {
                proptest::prop_assert!(!assigned, "in stock and assigned");
            }
            if state == AssetState::InUse {
                proptest::prop_assert!(assigned, "in use with no one assigned");
            }
            if !state.may_be_assigned() {
                proptest::prop_assert!(!assigned, "{} and still assigned", state);
            }
        }
    }
}
