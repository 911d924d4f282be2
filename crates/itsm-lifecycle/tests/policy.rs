//! The pure rules: approval policies, auto-close, the change-type lock and
//! the incidents a resolved problem releases.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    Approval, ApprovalDecision, ApprovalStatus, Change, ChangeId, ChangeRisk, ChangeState,
    ChangeType, Impact, Incident, IncidentId, IncidentState, MajorIncidentState, OnHoldReason,
    PersonId, Problem, ProblemId, RecordNumber,
};
use itsm_lifecycle::{
    ApprovalOutcome, ApprovalPolicy, AutoClose, Guard, GuardContext, LifecycleError, PlainContext,
    cancel_pending_approvals, check_change_type_change, incidents_to_resolve,
};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 27, 16, 0, 0).unwrap()
}

fn approvals(spec: &str) -> Vec<Approval> {
    spec.chars()
        .enumerate()
        .map(|(i, c)| Approval {
            approver: PersonId::from_u128(i as u128 + 1),
            group: None,
            decision: match c {
                'a' => ApprovalDecision::Approved,
                'r' => ApprovalDecision::Rejected,
                'q' => ApprovalDecision::Requested,
                'c' => ApprovalDecision::Canceled,
                _ => panic!("bad approval {c}"),
            },
            requested_at: None,
            decided_at: None,
            comment: None,
        })
        .collect()
}

/// `spec`: one letter per approver: a(pproved), r(ejected), q (requested), c(anceled).
fn check(policy: ApprovalPolicy, spec: &str, expected: ApprovalOutcome) {
    let actual = policy.outcome(&approvals(spec));
    assert_eq!(actual, expected, "policy {policy:?} over {spec:?}");
}

#[test]
fn approval_policies() {
    use ApprovalOutcome::{Approved, Pending, Rejected, Unattainable};
    let two = ApprovalPolicy::NOfM { required: 2 };
    check(
        two,
        "",
        Unattainable {
            approved: 0,
            required: 2,
            outstanding: 0,
        },
    );
    check(
        two,
        "qq",
        Pending {
            approved: 0,
            required: 2,
            outstanding: 2,
        },
    );
    check(
        two,
        "aqq",
        Pending {
            approved: 1,
            required: 2,
            outstanding: 2,
        },
    );
    check(two, "aaq", Approved);
    check(two, "aaa", Approved);
    check(two, "aar", Rejected { rejections: 1 });
    check(two, "rqq", Rejected { rejections: 1 });
    check(
        two,
        "acc",
        Unattainable {
            approved: 1,
            required: 2,
            outstanding: 0,
        },
    );
    check(
        two,
        "acq",
        Pending {
            approved: 1,
            required: 2,
            outstanding: 1,
        },
    );
    check(ApprovalPolicy::NOfM { required: 0 }, "", Approved);
    check(
        ApprovalPolicy::All,
        "",
        Unattainable {
            approved: 0,
            required: 1,
            outstanding: 0,
        },
    );
    check(
        ApprovalPolicy::All,
        "aq",
        Pending {
            approved: 1,
            required: 2,
            outstanding: 1,
        },
    );
    check(ApprovalPolicy::All, "aac", Approved);
    check(ApprovalPolicy::All, "aar", Rejected { rejections: 1 });
    check(ApprovalPolicy::Optional, "", Approved);
    check(ApprovalPolicy::Optional, "qq", Approved);
    check(ApprovalPolicy::Optional, "qr", Rejected { rejections: 1 });
}

#[test]
fn cancel_pending_approvals_keeps_decisions() {
    let mut a = approvals("aqrqc");
    assert_eq!(cancel_pending_approvals(&mut a), 2);
    let decisions: Vec<_> = a.iter().map(|x| x.decision).collect();
    use ApprovalDecision::{Approved, Canceled, Rejected};
    assert_eq!(
        decisions,
        [Approved, Canceled, Rejected, Canceled, Canceled]
    );
}

fn change(state: ChangeState, spec: &str) -> Change {
    Change {
        id: ChangeId::from_u128(1),
        number: "CHG0000001".parse::<RecordNumber>().unwrap(),
        change_type: ChangeType::Normal,
        short_description: "patch".into(),
        description: None,
        justification: None,
        category: None,
        service: None,
        configuration_items: vec![],
        risk: ChangeRisk::Low,
        impact: Impact::Low,
        priority: None,
        state,
        requested_by: PersonId::from_u128(9),
        assignment_group: None,
        assigned_to: None,
        opened_at: t0(),
        planned_start: None,
        planned_end: None,
        actual_start: None,
        actual_end: None,
        implementation_plan: None,
        backout_plan: None,
        test_plan: None,
        approval: ApprovalStatus::NotRequested,
        approvals: approvals(spec),
        close_code: None,
        close_notes: None,
        closed_at: None,
        related_problems: vec![],
        related_incidents: vec![],
        release: None,
        template: None,
        service_request: None,
        request_item: None,
        extensions: Default::default(),
    }
}

#[test]
fn change_type_may_change_only_in_new_without_approvals() {
    let ok =
        |state, spec: &str| check_change_type_change(&change(state, spec), ChangeType::Standard);
    assert_eq!(ok(ChangeState::New, ""), Ok(()));
    assert_eq!(
        ok(ChangeState::New, "cc"),
        Ok(()),
        "cancelled approvals do not count"
    );
    assert!(matches!(
        ok(ChangeState::New, "q"),
        Err(LifecycleError::ChangeTypeLocked { approvals: 1, .. })
    ));
    assert!(matches!(
        ok(ChangeState::Assess, ""),
        Err(LifecycleError::ChangeTypeLocked { approvals: 0, .. })
    ));
    // Keeping the same type is always fine.
    assert_eq!(
        check_change_type_change(&change(ChangeState::Implement, "a"), ChangeType::Normal),
        Ok(())
    );
    let msg = ok(ChangeState::Authorize, "aq").unwrap_err().to_string();
    assert_eq!(
        msg,
        "change type may not change from normal to standard: the change is \"authorize\" with 2 approval(s); only a new change without approvals may change type"
    );
}

#[test]
fn facts_for_change_follow_the_policy() {
    let policy = ApprovalPolicy::NOfM { required: 1 };
    assert!(
        PlainContext::for_change(&change(ChangeState::Authorize, "aq"), &policy)
            .guard_allows(Guard::APPROVED)
    );
    assert!(
        PlainContext::for_change(&change(ChangeState::Authorize, "ar"), &policy)
            .guard_allows(Guard::REJECTED)
    );
    let pending = PlainContext::for_change(&change(ChangeState::Authorize, "q"), &policy);
    assert!(!pending.guard_allows(Guard::APPROVED) && !pending.guard_allows(Guard::REJECTED));
}

fn incident(
    n: u128,
    state: IncidentState,
    reason: Option<OnHoldReason>,
    problem: Option<u128>,
) -> Incident {
    let mut i = Incident::new(
        IncidentId::from_u128(n),
        "INC0000001".parse().unwrap(),
        PersonId::from_u128(1),
        "x",
        t0(),
    );
    i.state = state;
    i.on_hold_reason = reason;
    i.problem = problem.map(ProblemId::from_u128);
    i
}

#[test]
fn auto_close_rule() {
    let resolved = t0();
    let check = |days: u32, major: Option<MajorIncidentState>, now: DateTime<Utc>, due: bool| {
        assert_eq!(
            AutoClose { days }.is_due(Some(resolved), major, now),
            due,
            "days {days}, major {major:?}, now {now}"
        );
    };
    check(
        7,
        None,
        resolved + Duration::days(7) - Duration::seconds(1),
        false,
    );
    check(7, None, resolved + Duration::days(7), true);
    check(7, None, resolved + Duration::days(30), true);
    check(0, None, resolved + Duration::days(3650), false);
    check(
        1,
        Some(MajorIncidentState::Accepted),
        resolved + Duration::days(30),
        false,
    );
    check(
        1,
        Some(MajorIncidentState::Proposed),
        resolved + Duration::days(30),
        false,
    );
    check(
        1,
        Some(MajorIncidentState::Rejected),
        resolved + Duration::days(30),
        true,
    );
    check(
        1,
        Some(MajorIncidentState::Canceled),
        resolved + Duration::days(1),
        true,
    );
    assert!(!AutoClose { days: 3 }.is_due(None, None, resolved + Duration::days(30)));
    assert_eq!(
        AutoClose { days: u32::MAX }.due_at(DateTime::<Utc>::MAX_UTC - Duration::days(1), None),
        None
    );
    // The incident must be resolved.
    let mut inc = incident(1, IncidentState::Resolved, None, None);
    inc.resolved_at = Some(resolved);
    assert!(AutoClose { days: 2 }.incident_due(&inc, resolved + Duration::days(2)));
    inc.state = IncidentState::InProgress;
    assert!(!AutoClose { days: 2 }.incident_due(&inc, resolved + Duration::days(2)));
}

#[test]
fn resolving_a_problem_lists_only_incidents_awaiting_it() {
    let mut problem: Problem = serde_json::from_value(serde_json::json!({
        "id": ProblemId::from_u128(77),
        "number": "PRB0000001",
        "short_description": "leak",
        "impact": "low",
        "urgency": "low",
        "priority": "p5",
        "state": "fix_in_progress",
        "opened_at": t0(),
    }))
    .unwrap_or_else(|e| panic!("problem fixture: {e}"));
    problem.related_incidents = vec![IncidentId::from_u128(5)];
    let incidents = [
        incident(
            1,
            IncidentState::OnHold,
            Some(OnHoldReason::AwaitingProblem),
            Some(77),
        ), // yes
        incident(
            2,
            IncidentState::OnHold,
            Some(OnHoldReason::AwaitingVendor),
            Some(77),
        ), // other reason
        incident(3, IncidentState::InProgress, None, Some(77)), // not on hold
        incident(
            4,
            IncidentState::OnHold,
            Some(OnHoldReason::AwaitingProblem),
            Some(78),
        ), // other problem
        incident(
            5,
            IncidentState::OnHold,
            Some(OnHoldReason::AwaitingProblem),
            None,
        ), // related by the problem
        incident(
            6,
            IncidentState::OnHold,
            Some(OnHoldReason::AwaitingProblem),
            None,
        ), // unrelated
    ];
    assert_eq!(
        incidents_to_resolve(&problem, &incidents),
        [IncidentId::from_u128(1), IncidentId::from_u128(5)]
    );
}
