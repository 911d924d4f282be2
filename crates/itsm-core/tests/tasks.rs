//! Tasks: every rule of [`Task`] and [`TaskTemplate`] in one table, the
//! tasks a template makes, and validation that never panics on any task.

mod common;

#[path = "support/violations.rs"]
mod violations;
use violations::check;

use common::*;
use itsm_core::*;
use proptest::prelude::*;

/// A copy of `base` changed by `f`.
fn with<T>(mut base: T, f: impl FnOnce(&mut T)) -> T {
    f(&mut base);
    base
}

/// `valid_task()` ended in `state` at 13:00 by person 3, with notes.
fn closed(state: TaskState) -> Task {
    with(valid_task(), |t| {
        t.state = state;
        t.closed_at = Some(at(13, 0));
        t.closed_by = Some(PersonId::from_u128(3));
        t.close_notes = Some("Updated; tunnels back at 1,204.".to_owned());
    })
}

/// A case: its name, the record, and the expected `(path, rule)` pairs.
type Case<T> = (&'static str, T, &'static [(&'static str, &'static str)]);

#[test]
fn task_rules() {
    use TaskState as S;
    let cases: Vec<Case<Task>> = vec![
        ("valid task in progress", valid_task(), &[]),
        (
            "valid pending task without start",
            with(valid_task(), |t| {
                t.state = S::Pending;
                t.started_at = None;
            }),
            &[],
        ),
        ("valid closed complete", closed(S::ClosedComplete), &[]),
        (
            "closed complete needs no notes",
            with(closed(S::ClosedComplete), |t| t.close_notes = None),
            &[],
        ),
        ("valid closed incomplete", closed(S::ClosedIncomplete), &[]),
        (
            "skipped before it started",
            with(closed(S::ClosedSkipped), |t| t.started_at = None),
            &[],
        ),
        (
            "close notes drafted while active",
            with(valid_task(), |t| {
                t.close_notes = Some("So far so good".into())
            }),
            &[],
        ),
        (
            "numbered as a change",
            with(valid_task(), |t| t.number = num("CHG0000011")),
            &[("number", "wrong_number_prefix")],
        ),
        (
            "blank texts",
            with(valid_task(), |t| {
                t.short_description = " ".into();
                t.description = Some("\t".into());
                t.template = Some(String::new());
                t.close_notes = Some(" ".into());
            }),
            &[
                ("short_description", "empty"),
                ("description", "empty"),
                ("template", "empty"),
                ("close_notes", "empty"),
            ],
        ),
        (
            "in progress without a start",
            with(valid_task(), |t| t.started_at = None),
            &[("started_at", "required_in_state")],
        ),
        (
            "on hold without a start",
            with(valid_task(), |t| {
                t.state = S::OnHold;
                t.started_at = None;
            }),
            &[("started_at", "required_in_state")],
        ),
        (
            "closed without closed_at",
            with(closed(S::ClosedComplete), |t| t.closed_at = None),
            &[
                ("closed_at", "required_when_closed"),
                ("closed_by", "without_timestamp"),
            ],
        ),
        (
            "incomplete without notes",
            with(closed(S::ClosedIncomplete), |t| t.close_notes = None),
            &[("close_notes", "required_when_closed")],
        ),
        (
            "skipped with blank notes",
            with(closed(S::ClosedSkipped), |t| {
                t.close_notes = Some("  ".into())
            }),
            &[("close_notes", "required_when_closed")],
        ),
        (
            "open task with closure fields",
            with(valid_task(), |t| {
                t.state = S::Open;
                t.closed_at = Some(at(13, 0));
                t.closed_by = Some(PersonId::from_u128(3));
            }),
            &[
                ("closed_at", "not_allowed_in_state"),
                ("closed_by", "not_allowed_in_state"),
            ],
        ),
        (
            "closed_by without closed_at while pending",
            with(valid_task(), |t| {
                t.state = S::Pending;
                t.closed_by = Some(PersonId::from_u128(3));
            }),
            &[
                ("closed_by", "not_allowed_in_state"),
                ("closed_by", "without_timestamp"),
            ],
        ),
        (
            "instants before opening",
            with(closed(S::ClosedComplete), |t| {
                t.started_at = Some(at(8, 0));
                t.due_at = Some(at(8, 30));
                t.closed_at = Some(at(8, 45));
            }),
            &[
                ("started_at", "before_opened_at"),
                ("due_at", "before_opened_at"),
                ("closed_at", "before_opened_at"),
            ],
        ),
        (
            "closed before it started",
            with(closed(S::ClosedComplete), |t| t.closed_at = Some(at(9, 30))),
            &[("closed_at", "before_started_at")],
        ),
        (
            "planned end before start",
            with(valid_task(), |t| t.planned_end = Some(at(9, 30))),
            &[("planned_end", "end_before_start")],
        ),
        (
            "planned end without start",
            with(valid_task(), |t| t.planned_start = None),
            &[("planned_start", "without_start")],
        ),
        (
            "planned window before opening is allowed",
            with(valid_task(), |t| {
                t.planned_start = Some(at(7, 0));
                t.planned_end = Some(at(8, 0));
            }),
            &[],
        ),
    ];
    for (name, task, expected) in cases {
        check(name, task.validate(), expected);
    }
}

#[test]
fn task_template_rules() {
    let base = TaskTemplate {
        name: "install_laptop".to_owned(),
        short_description: "Install the laptop".to_owned(),
        description: None,
        assignment_group: None,
        order: 100,
    };
    let cases: Vec<Case<TaskTemplate>> = vec![
        ("valid template", base.clone(), &[]),
        (
            "blank texts",
            with(base.clone(), |t| {
                t.name = String::new();
                t.short_description = " ".into();
                t.description = Some("\n".into());
            }),
            &[
                ("name", "empty"),
                ("short_description", "empty"),
                ("description", "empty"),
            ],
        ),
    ];
    for (name, template, expected) in cases {
        check(name, template.validate(), expected);
    }
}

#[test]
fn a_template_makes_a_valid_task_open_when_first_else_pending() {
    let parent = TaskParent::Change(ChangeId::from_u128(4));
    let fallback = Some(GroupId::from_u128(9));
    let template = TaskTemplate {
        name: "update_firmware".to_owned(),
        short_description: "Update the primary".to_owned(),
        description: Some("Fail over first.".to_owned()),
        assignment_group: None,
        order: 200,
    };
    let first = template.instantiate(
        TaskId::from_u128(1),
        num("TASK0000001"),
        parent,
        fallback,
        at(9, 0),
    );
    assert_eq!(first.state, TaskState::Pending);
    assert_eq!(first.assignment_group, fallback);
    assert_eq!(first.template.as_deref(), Some("update_firmware"));
    assert_eq!(first.order, 200);
    assert_eq!(first.validate(), Vec::new());
}

#[test]
fn the_parent_names_its_kind_on_the_wire() {
    let task = valid_task();
    let json = serde_json::to_value(&task).unwrap();
    assert_eq!(
        json["parent"],
        serde_json::json!({"kind": "change", "id": ChangeId::from_u128(4).to_string()})
    );
    assert_eq!(task.parent.kind(), RecordKind::Change);
    // An unknown top-level key (ServiceNow's `sys_id`) goes to the
    // extensions, and is written there.
    let mut json = json;
    json["sys_id"] = "46d44a5a".into();
    let back: Task = from_json(&json.to_string()).unwrap();
    assert_eq!(back.extensions.len(), 1);
    let written = serde_json::to_value(&back).unwrap();
    assert_eq!(written["extensions"]["sys_id"], "46d44a5a");
    assert_eq!(from_json::<Task>(&written.to_string()).unwrap(), back);
}

proptest! {
    /// Validation never panics on any task, and every violation carries a
    /// rule code and a message (paths are checked in tests/validation.rs).
    #[test]
    fn validating_any_task_never_panics_and_messages_are_sentences(t in task()) {
        for v in t.validate() {
            prop_assert!(!v.message.is_empty());
            prop_assert!(!v.rule.is_empty());
        }
    }

    /// A closed-complete task built from any instants in order is valid.
    #[test]
    fn a_task_closed_in_order_is_valid(
        mut t in task(),
        steps in proptest::array::uniform3(0_i64..10_000_000),
    ) {
        let start = t.opened_at + chrono::Duration::seconds(steps[0]);
        t.number = num("TASK0000001");
        t.short_description = "Do it".to_owned();
        t.description = None;
        t.template = None;
        t.close_notes = None;
        t.planned_start = None;
        t.planned_end = None;
        t.state = TaskState::ClosedComplete;
        t.started_at = Some(start);
        t.due_at = Some(start + chrono::Duration::seconds(steps[1]));
        t.closed_at = Some(start + chrono::Duration::seconds(steps[2]));
        prop_assert_eq!(t.validate(), Vec::new());
    }
}
