//! Who acts: actors built from a directory, permissions, role guards
//! decided by roles (not vouched for by the caller), and separation of
//! duties on approvals. Tables around one `check` per area, and laws.

use chrono::{DateTime, TimeZone, Utc};
use itsm_core::{
    ApprovalDecision, Change, ChangeId, ChangeType, Directory, Group, GroupId, Permission, Person,
    PersonId, Problem, ProblemId, ProblemState, RecordKind, Role, RoleId,
};
use itsm_lifecycle::{
    Actor, ActorContext, ChangeEvent, Guard, GuardContext, GuardRoles, Input, Lifecycle,
    LifecycleError, PlainContext, ProblemEvent, SeparationOfDuties, Workflow, permission_problems,
    problem_flow,
};
use proptest::prelude::*;

fn p(n: u128) -> PersonId {
    PersonId::from_u128(n)
}

fn g(n: u128) -> GroupId {
    GroupId::from_u128(100 + n)
}

fn r(n: u128) -> RoleId {
    RoleId::from_u128(200 + n)
}

fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, minute, 0).unwrap()
}

fn person(n: u128, name: &str, active: bool, roles: &[u128]) -> Person {
    Person {
        active,
        roles: roles.iter().map(|&x| r(x)).collect(),
        ..Person::new(p(n), name)
    }
}

fn group(n: u128, active: bool, parent: Option<u128>, members: &[u128], roles: &[u128]) -> Group {
    Group {
        active,
        parent: parent.map(g),
        members: members.iter().map(|&m| p(m)).collect(),
        roles: roles.iter().map(|&x| r(x)).collect(),
        ..Group::new(g(n), format!("group {n}"))
    }
}

fn role(n: u128, name: &str, permissions: Vec<Permission>) -> Role {
    Role {
        permissions,
        ..Role::new(r(n), name)
    }
}

/// Ann (agent, through the service desk: `itil`), Bob (problem manager,
/// directly), Cy (inactive problem manager), Dee (in the problem team, a
/// child of the service desk: `itil` inherited, `problem_manager` through
/// the team), Eve (no roles), Flo (`change_manager` through an inactive
/// group: none).
fn directory() -> Directory {
    Directory {
        people: vec![
            person(1, "Ann", true, &[]),
            person(2, "Bob", true, &[2]),
            person(3, "Cy", false, &[2]),
            person(4, "Dee", true, &[]),
            person(5, "Eve", true, &[]),
            person(6, "Flo", true, &[]),
        ],
        groups: vec![
            group(1, true, None, &[1], &[1]),
            group(2, true, Some(1), &[4], &[2]),
            group(3, false, None, &[6], &[3]),
        ],
        roles: vec![
            role(
                1,
                "itil",
                vec![
                    Permission::new(["incident", "service_request"], ["*"]),
                    Permission::new(["problem"], ["assess", "analyze", "reanalyze"]),
                ],
            ),
            role(
                2,
                "problem_manager",
                vec![Permission::new(["problem", "known_error"], ["*"])],
            ),
            role(
                3,
                "change_manager",
                vec![Permission::new(["change"], ["*"])],
            ),
        ],
    }
}

fn actor(n: u128) -> Actor {
    Actor::from_directory(&directory(), p(n)).unwrap()
}

/// A case of `actors_from_the_directory`: the case, the person, whether
/// active, their groups and their role names.
type ActorCase = (
    &'static str,
    u128,
    bool,
    &'static [u128],
    &'static [&'static str],
);

/// A case of separation of duties: the case, the rules, the approvers
/// asked, who decides, their decision, and `Ok` or a part of the error.
type DecisionCase = (
    &'static str,
    SeparationOfDuties,
    &'static [u128],
    u128,
    ApprovalDecision,
    Result<(), &'static str>,
);

#[test]
fn actors_from_the_directory() {
    let cases: &[ActorCase] = &[
        ("roles through a group", 1, true, &[1], &["itil"]),
        ("roles granted directly", 2, true, &[], &["problem_manager"]),
        (
            "an inactive person keeps their roles, and may do nothing",
            3,
            false,
            &[],
            &["problem_manager"],
        ),
        (
            "a child group inherits its parent's roles",
            4,
            true,
            &[2],
            &["problem_manager", "itil"],
        ),
        ("no roles", 5, true, &[], &[]),
        ("an inactive group grants nothing", 6, true, &[3], &[]),
    ];
    for (case, who, active, groups, roles) in cases {
        let a = actor(*who);
        assert_eq!(a.person, p(*who), "case {case:?}");
        assert_eq!(a.active, *active, "case {case:?}");
        assert_eq!(
            a.groups,
            groups.iter().map(|&x| g(x)).collect::<Vec<_>>(),
            "case {case:?}"
        );
        assert_eq!(a.roles, *roles, "case {case:?}");
    }
    assert!(matches!(
        Actor::from_directory(&directory(), p(99)),
        Err(LifecycleError::UnknownActor { .. })
    ));
}

#[test]
fn permissions_of_actors() {
    let cases: &[(&str, u128, RecordKind, &str, bool)] = &[
        (
            "an agent resolves an incident",
            1,
            RecordKind::Incident,
            "resolve",
            true,
        ),
        (
            "an agent analyses a problem",
            1,
            RecordKind::Problem,
            "analyze",
            true,
        ),
        (
            "an agent may not close a problem",
            1,
            RecordKind::Problem,
            "close",
            false,
        ),
        (
            "a problem manager closes a problem",
            2,
            RecordKind::Problem,
            "close",
            true,
        ),
        (
            "a problem manager may not resolve an incident",
            2,
            RecordKind::Incident,
            "resolve",
            false,
        ),
        (
            "an inactive problem manager may do nothing",
            3,
            RecordKind::Problem,
            "close",
            false,
        ),
        ("roles add up", 4, RecordKind::Incident, "resolve", true),
        ("roles add up", 4, RecordKind::KnownError, "publish", true),
        (
            "no roles, no permission",
            5,
            RecordKind::Incident,
            "resolve",
            false,
        ),
        (
            "an inactive group's role grants nothing",
            6,
            RecordKind::Change,
            "implement",
            false,
        ),
    ];
    for (case, who, kind, event, expected) in cases {
        let a = actor(*who);
        assert_eq!(a.may_apply(*kind, event), *expected, "case {case:?}");
        assert_eq!(
            a.check_permission(*kind, event).is_ok(),
            *expected,
            "case {case:?}"
        );
    }
    let refused = actor(3)
        .check_permission(RecordKind::Problem, "close")
        .unwrap_err();
    assert!(
        refused.to_string().contains("they are inactive"),
        "{refused}"
    );
    let refused = actor(1)
        .check_permission(RecordKind::Problem, "close")
        .unwrap_err();
    assert_eq!(
        refused.to_string(),
        format!(
            "{} may not apply \"close\" to a problem: none of their roles (itil) allows it",
            p(1)
        )
    );
}

/// A problem resolved (risk accepted) and closed.
fn closed_problem(lifecycle: &Lifecycle<Problem>) -> Problem {
    let draft = Problem::new(
        ProblemId::from_u128(1),
        "PRB0001001".parse().unwrap(),
        "Disk fills up",
        at(0),
    );
    let mut problem = lifecycle.open(draft, None, at(0)).unwrap().record;
    let resolve = Input::new().with_field("resolution_code", "risk_accepted");
    problem = lifecycle
        .apply(&problem, ProblemEvent::Resolve, &resolve, None, at(1))
        .unwrap()
        .record;
    problem = lifecycle
        .apply(&problem, ProblemEvent::Close, &Input::new(), None, at(2))
        .unwrap()
        .record;
    assert_eq!(problem.state, ProblemState::Closed);
    problem
}

/// Re-analysing a closed problem on behalf of `who`, with `input`:
/// `Ok(())` or the error's text.
fn check_reanalyze(
    case: &str,
    lifecycle: &Lifecycle<Problem>,
    who: u128,
    input: &Input,
    expected: Result<(), &str>,
) {
    let problem = closed_problem(lifecycle);
    let outcome = lifecycle
        .apply_as(&problem, ProblemEvent::Reanalyze, input, &actor(who), at(3))
        .map(|step| {
            assert_eq!(
                step.record.state,
                ProblemState::RootCauseAnalysis,
                "case {case:?}"
            );
            assert_eq!(step.audit.unwrap().actor, Some(p(who)), "case {case:?}");
        })
        .map_err(|e| e.to_string());
    match (&outcome, expected) {
        (Ok(()), Ok(())) => {}
        (Err(actual), Err(part)) if actual.contains(part) => {}
        _ => panic!("case {case:?}: expected {expected:?}, got {outcome:?}"),
    }
}

#[test]
fn the_reanalyze_guard_is_decided_by_roles() {
    let itil = Lifecycle::<Problem>::itil().unwrap();
    let vouched = Input::new().with_guard(Guard::REANALYZE_ROLE);
    let none = Input::new();
    let cases: &[(&str, u128, &Input, Result<(), &str>)] = &[
        ("a problem manager re-analyses", 2, &none, Ok(())),
        ("a manager through a group re-analyses", 4, &none, Ok(())),
        (
            "an agent may apply the event but fails the guard",
            1,
            &none,
            Err("guard \"reanalyze_role\" refused"),
        ),
        (
            "vouching for the guard no longer helps",
            1,
            &vouched,
            Err("guard \"reanalyze_role\" refused"),
        ),
        (
            "without permission the guard is not even asked",
            5,
            &vouched,
            Err("may not apply \"reanalyze\" to a problem"),
        ),
        (
            "an inactive manager may not",
            3,
            &none,
            Err("they are inactive"),
        ),
    ];
    for (case, who, input, expected) in cases {
        check_reanalyze(case, &itil, *who, input, *expected);
    }
    // The mapping is data: let agents re-analyse.
    let roles = GuardRoles {
        guards: [(
            Guard::REANALYZE_ROLE.to_owned(),
            vec!["itil".to_owned(), "problem_manager".to_owned()],
        )]
        .into(),
    };
    let agents = Lifecycle::<Problem>::itil()
        .unwrap()
        .with_guard_roles(roles);
    check_reanalyze(
        "agents re-analyse under a custom mapping",
        &agents,
        1,
        &none,
        Ok(()),
    );
    check_reanalyze("and managers still do", &agents, 2, &none, Ok(()));
}

#[test]
fn allowed_events_for_an_actor() {
    let lifecycle = Lifecycle::<Problem>::itil().unwrap();
    let problem = closed_problem(&lifecycle);
    let events = |who| {
        lifecycle
            .allowed_events_as(&problem, &Input::new(), &actor(who))
            .unwrap()
    };
    assert_eq!(events(2), vec![ProblemEvent::Reanalyze]);
    assert_eq!(
        events(1),
        Vec::<ProblemEvent>::new(),
        "the agent fails the guard"
    );
    assert_eq!(events(5), Vec::<ProblemEvent>::new(), "no permission");
}

#[test]
fn an_actor_context_decides_role_guards_for_the_engine() {
    let roles = GuardRoles::default();
    let workflow = Workflow::new(problem_flow(), &PlainContext::itil()).unwrap();
    // The inner context vouches for the guard; the actor's roles overrule it.
    let inner = PlainContext::itil().passing(Guard::REANALYZE_ROLE);
    for (who, allowed) in [(1, false), (2, true), (3, false), (4, true)] {
        let a = actor(who);
        let ctx = ActorContext::new(&inner, &a, &roles);
        assert!(ctx.knows_guard(Guard::REANALYZE_ROLE));
        assert_eq!(
            ctx.guard_allows(Guard::REANALYZE_ROLE),
            allowed,
            "person {who}"
        );
        let applied = workflow.apply(
            &ProblemState::Closed,
            &ProblemEvent::Reanalyze,
            Some(p(who)),
            at(3),
            &ctx,
        );
        assert_eq!(applied.is_ok(), allowed, "person {who}");
        // Other guards are the inner context's.
        assert_eq!(
            ctx.guard_allows(Guard::APPROVED),
            inner.guard_allows(Guard::APPROVED)
        );
    }
}

#[test]
fn guard_roles_are_checked_against_the_directory() {
    let d = directory();
    assert!(GuardRoles::default().validate(&d).is_empty());
    let bad = GuardRoles {
        guards: [
            (
                "reanalyze_role".to_owned(),
                vec!["problem_manager".to_owned(), "problem_admin".to_owned()],
            ),
            ("cab_member".to_owned(), Vec::new()),
        ]
        .into(),
    };
    let found: Vec<(String, String)> = bad
        .validate(&d)
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    assert_eq!(
        found,
        vec![
            ("guards.cab_member".to_owned(), "empty".to_owned()),
            (
                "guards.reanalyze_role[1]".to_owned(),
                "unknown_reference".to_owned()
            ),
        ]
    );
}

#[test]
fn permission_events_are_checked_against_the_flows() {
    let cases: &[(&str, Permission, &[&str])] = &[
        (
            "events of the kind",
            Permission::new(["problem"], ["close", "reanalyze"]),
            &[],
        ),
        ("every event", Permission::new(["incident"], ["*"]), &[]),
        (
            "an event of another kind",
            Permission::new(["incident"], ["reanalyze"]),
            &["permissions[0].events[0]"],
        ),
        (
            "an event of one of the kinds",
            Permission::new(["incident", "problem"], ["reanalyze"]),
            &[],
        ),
        (
            "any kind's events under a wildcard",
            Permission::new(["*"], ["publish", "explode"]),
            &["permissions[0].events[1]"],
        ),
        (
            "unreadable kinds are left to itsm-core",
            Permission::new(["ticket"], ["explode"]),
            &[],
        ),
    ];
    for (case, permission, expected) in cases {
        let role = role(9, "x", vec![permission.clone()]);
        let found: Vec<String> = permission_problems(&role)
            .into_iter()
            .inspect(|v| assert_eq!(v.rule, "unknown_event", "case {case:?}"))
            .map(|v| v.path)
            .collect();
        assert_eq!(found, *expected, "case {case:?}");
    }
    for (i, role) in directory().roles.iter().enumerate() {
        assert!(permission_problems(role).is_empty(), "role {i}");
    }
}

// ---- separation of duties ----

const REQUESTER: u128 = 7;

fn change_awaiting(
    lifecycle: &Lifecycle<Change>,
    approvers: &[u128],
) -> Result<Change, LifecycleError> {
    let draft = Change::new(
        ChangeId::from_u128(1),
        "CHG0001001".parse().unwrap(),
        ChangeType::Normal,
        p(REQUESTER),
        "Patch the mail servers",
        at(0),
    );
    let change = lifecycle.open(draft, Some(p(REQUESTER)), at(0))?.record;
    let change = lifecycle
        .apply(
            &change,
            ChangeEvent::Assess,
            &Input::new(),
            Some(p(REQUESTER)),
            at(1),
        )?
        .record;
    let approvers: Vec<PersonId> = approvers.iter().map(|&a| p(a)).collect();
    Ok(lifecycle
        .request_approvals(&change, &approvers, None, Some(p(REQUESTER)), at(2))?
        .record)
}

/// Asks `approvers`, then has `who` decide `decision`, under `rules`:
/// `Ok(())` or the error's text.
fn check_decision(
    case: &str,
    rules: SeparationOfDuties,
    approvers: &[u128],
    who: u128,
    decision: ApprovalDecision,
    expected: Result<(), &str>,
) {
    let lifecycle = Lifecycle::<Change>::itil()
        .unwrap()
        .with_separation_of_duties(rules);
    let outcome = change_awaiting(&lifecycle, approvers)
        .and_then(|c| lifecycle.decide(&c, p(who), decision, Some("checked".into()), at(3)))
        .map(|_| ())
        .map_err(|e| e.to_string());
    match (&outcome, expected) {
        (Ok(()), Ok(())) => {}
        (Err(actual), Err(part)) if actual.contains(part) => {}
        _ => panic!("case {case:?}: expected {expected:?}, got {outcome:?}"),
    }
}

#[test]
fn the_requester_of_a_change_cannot_approve_it() {
    use ApprovalDecision::*;
    let on = SeparationOfDuties::default();
    let off = SeparationOfDuties::off();
    let sod = "requested it and may not approve it (requester_cannot_approve)";
    let cases: &[DecisionCase] = &[
        ("another approver approves", on, &[8], 8, Approved, Ok(())),
        (
            "the requester may not be asked",
            on,
            &[8, REQUESTER],
            8,
            Approved,
            Err(sod),
        ),
        (
            "the requester may be asked when the rule is off",
            off,
            &[8, REQUESTER],
            REQUESTER,
            Approved,
            Ok(()),
        ),
        (
            "the requester may reject",
            off,
            &[REQUESTER],
            REQUESTER,
            Rejected,
            Ok(()),
        ),
        (
            "the requester's approval is refused before asking whether one waits",
            on,
            &[],
            REQUESTER,
            Approved,
            Err(sod),
        ),
        (
            "another approver not asked",
            on,
            &[8],
            9,
            Approved,
            Err("no approval waiting"),
        ),
    ];
    for (case, rules, approvers, who, decision, expected) in cases {
        check_decision(case, *rules, approvers, *who, *decision, *expected);
    }
    // An approval asked while the rule was off cannot be approved once it is on.
    let off_lifecycle = Lifecycle::<Change>::itil()
        .unwrap()
        .with_separation_of_duties(off);
    let asked = change_awaiting(&off_lifecycle, &[REQUESTER]).unwrap();
    let on_lifecycle = Lifecycle::<Change>::itil().unwrap();
    let refused = on_lifecycle
        .decide(&asked, p(REQUESTER), Approved, None, at(3))
        .unwrap_err();
    assert!(
        matches!(refused, LifecycleError::SeparationOfDuties { .. }),
        "{refused}"
    );
    assert!(
        on_lifecycle
            .decide(
                &asked,
                p(REQUESTER),
                Rejected,
                Some("withdrawn".into()),
                at(3)
            )
            .is_ok()
    );
}

#[test]
fn separation_of_duties_is_on_when_absent_on_the_wire() {
    let rules: SeparationOfDuties = itsm_core::from_json("{}").unwrap();
    assert_eq!(rules, SeparationOfDuties::default());
    assert!(rules.requester_cannot_approve);
    let off: SeparationOfDuties =
        itsm_core::from_json(r#"{"requester_cannot_approve": false}"#).unwrap();
    assert_eq!(off, SeparationOfDuties::off());
}

proptest! {
    /// For an approver who is not the requester, the rule changes nothing.
    #[test]
    fn separation_only_concerns_the_requester(approver in 8u128..12, approve in any::<bool>()) {
        let decision = if approve { ApprovalDecision::Approved } else { ApprovalDecision::Rejected };
        let run = |rules| {
            let lifecycle = Lifecycle::<Change>::itil().unwrap().with_separation_of_duties(rules);
            let change = change_awaiting(&lifecycle, &[approver]).unwrap();
            lifecycle.decide(&change, p(approver), decision, Some("ok".into()), at(3)).map(|s| s.record)
        };
        prop_assert_eq!(run(SeparationOfDuties::default()), run(SeparationOfDuties::off()));
    }

    /// An actor may apply an event exactly when they are active and one of
    /// their roles' permissions allows it.
    #[test]
    fn may_apply_is_active_and_a_role_allows(who in 1u128..7, kind in 0usize..7, event in 0usize..5) {
        use strum::IntoEnumIterator;
        let kind: RecordKind = RecordKind::iter().nth(kind).unwrap();
        let event = ["resolve", "close", "reanalyze", "publish", "implement"][event];
        let d = directory();
        let a = Actor::from_directory(&d, p(who)).unwrap();
        let by_roles = d.roles_of(p(who)).iter().any(|role| role.allows(kind, event));
        prop_assert_eq!(a.may_apply(kind, event), a.active && by_roles);
    }

    /// Actors, guard roles and separation rules round-trip.
    #[test]
    fn actor_types_round_trip(who in 1u128..7, flag in any::<bool>()) {
        fn again<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) -> Result<(), TestCaseError> {
            let text = serde_json::to_string(v).unwrap();
            let back: T = itsm_core::from_json(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(&back, v);
            Ok(())
        }
        again(&actor(who))?;
        again(&GuardRoles::default())?;
        again(&SeparationOfDuties { requester_cannot_approve: flag })?;
    }
}
