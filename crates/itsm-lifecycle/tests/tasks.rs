//! Tasks on the typed path: a task's own flow keeps `itsm-core`'s rules;
//! a parent cannot be resolved or closed while one of its tasks is active
//! ([`TaskRule`], data, on by default, switchable off); the pure
//! [`open_tasks_blocking`] and [`ready_tasks`]; and the law that, with the
//! rule on, no sequence of events takes a parent into a blocked category
//! while a task is active.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    Change, ChangeId, ChangeState, ChangeType, Incident, IncidentId, IncidentState, PersonId,
    ProblemId, RecordKind, RecordNumber, RecordState, StateCategory, Task, TaskId, TaskParent,
    TaskState, Validate,
};
use itsm_lifecycle::{
    ChangeEvent, IncidentEvent, Input, Lifecycle, LifecycleError, TaskEvent, TaskRule,
    open_tasks_blocking, ready_tasks,
};
use proptest::prelude::*;
use serde_json::json;

const ACTOR: PersonId = PersonId::from_u128(0xA);
const INCIDENT: IncidentId = IncidentId::from_u128(0x1);
const CHANGE: ChangeId = ChangeId::from_u128(0x2);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()
}

fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

fn number(n: u64) -> RecordNumber {
    format!("TASK{n:07}").parse().unwrap()
}

/// Task `n` of `parent`, in `state`, of `order`.
fn task(n: u64, parent: TaskParent, state: TaskState, order: u32) -> Task {
    let mut t = Task::new(
        TaskId::from_u128(u128::from(n)),
        number(n),
        parent,
        "step",
        t0(),
    );
    t.state = state;
    t.order = order;
    t
}

fn incident_task(n: u64, state: TaskState) -> Task {
    task(n, TaskParent::Incident(INCIDENT), state, 0)
}

fn incident() -> Incident {
    let mut i = Incident::new(
        INCIDENT,
        "INC0000001".parse().unwrap(),
        ACTOR,
        "VPN drops",
        t0(),
    );
    i.state = IncidentState::InProgress;
    i
}

fn resolve_input() -> Input {
    Input::new()
        .with_field("resolution_code", "solution_provided")
        .with_field("resolution_notes", "restarted the concentrator")
}

fn change_in_review() -> Change {
    let mut c = Change::new(
        CHANGE,
        "CHG0000002".parse().unwrap(),
        ChangeType::Standard,
        ACTOR,
        "Patch the concentrator",
        t0(),
    );
    c.state = ChangeState::Review;
    c
}

fn close_change_input() -> Input {
    Input::new()
        .with_field("close_code", "successful")
        .with_field("close_notes", "patched")
}

// The parent's side.

/// One case of the rule: the tasks given, the rule, and the task numbers
/// the refusal must name (empty: the incident resolves).
fn check_resolve(case: &str, tasks: &[Task], rule: TaskRule, blocked_by: &[&str]) {
    let lc = Lifecycle::<Incident>::itil().unwrap().with_task_rule(rule);
    let result = lc.apply(
        &incident(),
        IncidentEvent::Resolve,
        &resolve_input().with_tasks(tasks),
        Some(ACTOR),
        at(5),
    );
    match (blocked_by, result) {
        ([], Ok(step)) => assert_eq!(step.record.state, IncidentState::Resolved, "{case}"),
        ([], Err(e)) => panic!("case {case:?}: expected resolved, got {e}"),
        (
            expected,
            Err(LifecycleError::OpenTasks {
                kind,
                record,
                category,
                tasks,
            }),
        ) => {
            assert_eq!(
                (kind.as_str(), record.as_str(), category.as_str()),
                ("incident", "INC0000001", "resolved"),
                "{case}"
            );
            assert_eq!(tasks, expected, "case {case:?}");
        }
        (expected, other) => {
            panic!("case {case:?}: expected refusal by {expected:?}, got {other:?}")
        }
    }
}

#[test]
fn a_parent_waits_for_its_active_tasks() {
    use TaskState as S;
    let on = TaskRule::default;
    let other_parent = task(9, TaskParent::Problem(ProblemId::from_u128(1)), S::Open, 0);
    let same_id_other_kind = task(
        8,
        TaskParent::Change(ChangeId::from_u128(INCIDENT.as_uuid().as_u128())),
        S::Open,
        0,
    );
    let cases: Vec<(&str, Vec<Task>, TaskRule, &[&str])> = vec![
        ("no tasks", vec![], on(), &[]),
        (
            "every task ended",
            vec![
                incident_task(1, S::ClosedComplete),
                incident_task(2, S::ClosedIncomplete),
                incident_task(3, S::ClosedSkipped),
            ],
            on(),
            &[],
        ),
        (
            "every active state blocks, named in order",
            vec![
                incident_task(1, S::Pending),
                incident_task(2, S::ClosedComplete),
                incident_task(3, S::Open),
                incident_task(4, S::WorkInProgress),
                incident_task(5, S::OnHold),
            ],
            on(),
            &["TASK0000001", "TASK0000003", "TASK0000004", "TASK0000005"],
        ),
        (
            "the rule switched off",
            vec![incident_task(1, S::Open)],
            TaskRule::off(),
            &[],
        ),
        (
            "the rule not covering incidents",
            vec![incident_task(1, S::Open)],
            TaskRule {
                parents: [RecordKind::Change].into(),
                ..TaskRule::default()
            },
            &[],
        ),
        (
            "the rule blocking only closure",
            vec![incident_task(1, S::Open)],
            TaskRule {
                blocked_categories: [StateCategory::Closed].into(),
                ..TaskRule::default()
            },
            &[],
        ),
        (
            "tasks of other records are not this one's",
            vec![other_parent, same_id_other_kind],
            on(),
            &[],
        ),
    ];
    for (case, tasks, rule, blocked_by) in cases {
        check_resolve(case, &tasks, rule, blocked_by);
    }
}

#[test]
fn the_refusal_names_the_parent_and_its_open_tasks() {
    let lc = Lifecycle::<Change>::itil().unwrap();
    let tasks = [
        task(
            1,
            TaskParent::Change(CHANGE),
            TaskState::ClosedComplete,
            100,
        ),
        task(
            2,
            TaskParent::Change(CHANGE),
            TaskState::WorkInProgress,
            200,
        ),
        task(3, TaskParent::Change(CHANGE), TaskState::Pending, 300),
    ];
    let error = lc
        .apply(
            &change_in_review(),
            ChangeEvent::Close,
            &close_change_input().with_tasks(&tasks),
            Some(ACTOR),
            at(5),
        )
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "change CHG0000002 cannot become closed while its task(s) TASK0000002, TASK0000003 are active"
    );
    // Once they end, it closes.
    let ended = [
        tasks[0].clone(),
        task(
            2,
            TaskParent::Change(CHANGE),
            TaskState::ClosedComplete,
            200,
        ),
        task(3, TaskParent::Change(CHANGE), TaskState::ClosedSkipped, 300),
    ];
    let step = lc
        .apply(
            &change_in_review(),
            ChangeEvent::Close,
            &close_change_input().with_tasks(&ended),
            Some(ACTOR),
            at(5),
        )
        .unwrap();
    assert_eq!(step.record.state, ChangeState::Closed);
}

#[test]
fn cancelling_a_parent_is_not_blocked_by_default() {
    let lc = Lifecycle::<Incident>::itil().unwrap();
    let tasks = [incident_task(1, TaskState::Open)];
    let step = lc
        .apply(
            &incident(),
            IncidentEvent::Cancel,
            &Input::new().with_tasks(&tasks),
            Some(ACTOR),
            at(5),
        )
        .unwrap();
    assert_eq!(step.record.state, IncidentState::Canceled);
}

#[test]
fn allowed_events_leave_out_what_the_tasks_block() {
    let lc = Lifecycle::<Incident>::itil().unwrap();
    let tasks = [incident_task(1, TaskState::Open)];
    let input = resolve_input().with_tasks(&tasks);
    let allowed = lc.allowed_events(&incident(), &input).unwrap();
    assert!(!allowed.contains(&IncidentEvent::Resolve), "{allowed:?}");
    assert!(allowed.contains(&IncidentEvent::Cancel), "{allowed:?}");
    let off = lc.clone().with_task_rule(TaskRule::off());
    assert!(
        off.allowed_events(&incident(), &input)
            .unwrap()
            .contains(&IncidentEvent::Resolve)
    );
    assert_eq!(off.task_rule(), &TaskRule::off());
}

#[test]
fn the_rule_reads_from_json_with_defaults() {
    let check = |text: &str, expected: TaskRule| {
        let rule: TaskRule = itsm_core::from_json(text).unwrap();
        assert_eq!(rule, expected, "{text}");
        let again: TaskRule = itsm_core::from_json(&serde_json::to_string(&rule).unwrap()).unwrap();
        assert_eq!(again, rule);
    };
    check("{}", TaskRule::default());
    check(r#"{"enabled": false}"#, TaskRule::off());
    check(
        r#"{"parents": ["change"], "blocked_categories": ["closed"]}"#,
        TaskRule {
            enabled: true,
            parents: [RecordKind::Change].into(),
            blocked_categories: [StateCategory::Closed].into(),
        },
    );
    assert_eq!(
        serde_json::to_value(TaskRule::default()).unwrap(),
        json!({
            "enabled": true,
            "parents": ["incident", "problem", "change", "request_item"],
            "blocked_categories": ["resolved", "closed"],
        })
    );
    assert!(itsm_core::from_json::<TaskRule>(r#"{"enable": false}"#).is_err());
    // The committed example is the default.
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/repo/docs/examples/lifecycle/task_rule.json");
    check(
        &std::fs::read_to_string(example).unwrap(),
        TaskRule::default(),
    );
}

#[test]
fn open_tasks_blocking_is_the_same_rule_as_a_pure_function() {
    use TaskState as S;
    let tasks = [
        incident_task(1, S::Open),
        incident_task(2, S::ClosedComplete),
        incident_task(3, S::OnHold),
    ];
    let rule = TaskRule::default();
    let numbers = |v: Vec<&RecordNumber>| v.iter().map(ToString::to_string).collect::<Vec<_>>();
    let cases: Vec<(RecordKind, StateCategory, &TaskRule, Vec<&str>)> = vec![
        (
            RecordKind::Incident,
            StateCategory::Resolved,
            &rule,
            vec!["TASK0000001", "TASK0000003"],
        ),
        (
            RecordKind::RequestItem,
            StateCategory::Closed,
            &rule,
            vec!["TASK0000001", "TASK0000003"],
        ),
        (RecordKind::Incident, StateCategory::Canceled, &rule, vec![]),
        (RecordKind::Incident, StateCategory::Open, &rule, vec![]),
        (RecordKind::Release, StateCategory::Closed, &rule, vec![]),
    ];
    for (kind, category, rule, expected) in cases {
        assert_eq!(
            numbers(open_tasks_blocking(rule, kind, category, &tasks)),
            expected,
            "{kind} → {category}"
        );
    }
    assert!(
        open_tasks_blocking(
            &TaskRule::off(),
            RecordKind::Incident,
            StateCategory::Resolved,
            &tasks
        )
        .is_empty()
    );
}

#[test]
fn ready_tasks_follow_the_order() {
    use TaskState as S;
    let c = TaskParent::Change(CHANGE);
    let i = TaskParent::Incident(INCIDENT);
    let cases: Vec<(&str, Vec<Task>, &[u64])> = vec![
        ("nothing", vec![], &[]),
        (
            "the lowest order first, in parallel",
            vec![
                task(1, c, S::Pending, 100),
                task(2, c, S::Pending, 100),
                task(3, c, S::Pending, 200),
            ],
            &[1, 2],
        ),
        (
            "an open task of lower order holds the next back",
            vec![task(1, c, S::Open, 100), task(2, c, S::Pending, 200)],
            &[],
        ),
        (
            "a task on hold holds the next back",
            vec![task(1, c, S::OnHold, 100), task(2, c, S::Pending, 200)],
            &[],
        ),
        (
            "closed and skipped tasks release the next",
            vec![
                task(1, c, S::ClosedComplete, 100),
                task(2, c, S::ClosedSkipped, 150),
                task(3, c, S::Pending, 200),
                task(4, c, S::Pending, 300),
            ],
            &[3],
        ),
        (
            "an open task of the same order runs alongside",
            vec![
                task(1, c, S::WorkInProgress, 100),
                task(2, c, S::Pending, 100),
            ],
            &[2],
        ),
        (
            "each parent is sequenced on its own",
            vec![
                task(1, c, S::Open, 100),
                task(2, c, S::Pending, 200),
                task(3, i, S::Pending, 500),
            ],
            &[3],
        ),
    ];
    for (case, tasks, expected) in cases {
        let ready: Vec<u64> = ready_tasks(&tasks)
            .iter()
            .map(|t| t.number.value())
            .collect();
        assert_eq!(ready, expected, "case {case:?}");
    }
}

// The task's own flow on the typed path.

#[test]
fn a_task_runs_its_flow_on_the_typed_path_and_keeps_core_rules() {
    let lc = Lifecycle::<Task>::itil().unwrap();
    let opened = lc
        .open(
            Task::new(
                TaskId::from_u128(1),
                number(1),
                TaskParent::Change(CHANGE),
                "Fail over",
                t0(),
            ),
            Some(ACTOR),
            t0(),
        )
        .unwrap();
    let mut t = opened.record;
    let mut timeline = opened.timeline;
    for (i, event) in [
        TaskEvent::Ready,
        TaskEvent::Start,
        TaskEvent::Hold,
        TaskEvent::Resume,
    ]
    .into_iter()
    .enumerate()
    {
        let step = lc
            .apply(&t, event, &Input::new(), Some(ACTOR), at(i as i64 + 1))
            .unwrap();
        t = step.record;
        timeline.extend(step.timeline);
        assert_eq!(t.validate(), Vec::new(), "after {event}");
    }
    assert_eq!(
        (t.state, t.started_at),
        (TaskState::WorkInProgress, Some(at(2)))
    );
    // Closing incomplete needs notes.
    let refused = lc.apply(
        &t,
        TaskEvent::CloseIncomplete,
        &Input::new(),
        Some(ACTOR),
        at(5),
    );
    assert!(
        refused.unwrap_err().to_string().contains("close_notes"),
        "close_incomplete without notes"
    );
    let step = lc
        .apply(
            &t,
            TaskEvent::CloseIncomplete,
            &Input::new().with_field("close_notes", "the vendor withdrew the firmware"),
            Some(ACTOR),
            at(5),
        )
        .unwrap();
    timeline.extend(step.timeline);
    let t = step.record;
    assert_eq!(
        (t.state, t.closed_at, t.closed_by),
        (TaskState::ClosedIncomplete, Some(at(5)), Some(ACTOR))
    );
    assert_eq!(t.validate(), Vec::new());
    let opened = Task::new(
        TaskId::from_u128(1),
        number(1),
        TaskParent::Change(CHANGE),
        "Fail over",
        t0(),
    );
    assert_eq!(lc.replay(&opened, &timeline).unwrap(), t);
}

#[test]
fn a_task_stays_with_its_parent() {
    let lc = Lifecycle::<Task>::itil().unwrap();
    let t = task(1, TaskParent::Change(CHANGE), TaskState::Open, 0);
    let moved = Input::new()
        .with_value("parent", &TaskParent::Incident(INCIDENT))
        .unwrap();
    let error = lc.update(&t, &moved, Some(ACTOR), at(1)).unwrap_err();
    assert!(
        matches!(&error, LifecycleError::InvalidEdit { field, .. } if field == "parent"),
        "{error}"
    );
    // Its started_at and closed_at are the flow's to set.
    let stamped = Input::new().with_value("started_at", &at(1)).unwrap();
    assert!(lc.update(&t, &stamped, Some(ACTOR), at(1)).is_err());
}

// The law.

/// An incident event and whether its input carries the resolution fields.
fn incident_events() -> impl Strategy<Value = Vec<(usize, bool)>> {
    proptest::collection::vec((0..IncidentEvent::ALL.len(), any::<bool>()), 0..12)
}

fn any_active_state() -> impl Strategy<Value = TaskState> {
    proptest::sample::select(vec![
        TaskState::Pending,
        TaskState::Open,
        TaskState::WorkInProgress,
        TaskState::OnHold,
    ])
}

proptest! {
    /// With the rule on, no sequence of events takes an incident into a
    /// blocked category while one of its tasks is active; with it off, the
    /// tasks change nothing.
    #[test]
    fn no_event_sequence_resolves_a_parent_with_an_active_task(
        events in incident_events(),
        active in any_active_state(),
        ended in proptest::collection::vec(
            proptest::sample::select(vec![
                TaskState::ClosedComplete,
                TaskState::ClosedIncomplete,
                TaskState::ClosedSkipped,
            ]),
            0..3,
        ),
    ) {
        let mut tasks: Vec<Task> = ended
            .iter()
            .enumerate()
            .map(|(n, s)| incident_task(n as u64 + 10, *s))
            .collect();
        tasks.push(incident_task(1, active));
        let on = Lifecycle::<Incident>::itil().unwrap();
        let off = on.clone().with_task_rule(TaskRule::off());
        let opened = Incident::new(INCIDENT, "INC0000001".parse().unwrap(), ACTOR, "VPN drops", t0());
        let (mut with_rule, mut without_rule, mut untasked) =
            (opened.clone(), opened.clone(), opened);
        for (i, (e, fields)) in events.into_iter().enumerate() {
            let event = IncidentEvent::ALL[e];
            let base = if fields { resolve_input() } else { Input::new() };
            let base = if event == IncidentEvent::Hold {
                base.with_reason("awaiting_vendor")
            } else {
                base
            };
            let input = base.clone().with_tasks(&tasks);
            let when = at(i as i64 + 1);
            if let Ok(step) = on.apply(&with_rule, event, &input, Some(ACTOR), when) {
                with_rule = step.record;
            }
            let category = with_rule.state.category();
            prop_assert!(
                !TaskRule::default().blocked_categories.contains(&category),
                "the incident reached {} with task {} {}",
                with_rule.state,
                tasks.last().unwrap().number,
                active
            );
            let a = off.apply(&without_rule, event, &input, Some(ACTOR), when).map(|s| s.record);
            let b = off.apply(&untasked, event, &base, Some(ACTOR), when).map(|s| s.record);
            prop_assert_eq!(a.is_ok(), b.is_ok());
            if let (Ok(a), Ok(b)) = (a, b) {
                without_rule = a;
                untasked = b;
            }
            prop_assert_eq!(&without_rule, &untasked);
        }
    }
}
