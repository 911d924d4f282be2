//! One incident's story told as a list of events, for the SLA tests that
//! tell one (`goals_and_warnings.rs`, `what_if.rs`): instants, the
//! `uk-office` calendar, and the timeline the events make.
//!
//! Each test uses part of it.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use itsm_core::{
    CommentVisibility, FieldValue, Priority, RecordKind, StateCategory, Timeline, TimelineChange,
    TimelineEvent,
};
use itsm_sla::{BusinessCalendar, CompiledCalendar, WorkingInterval};

/// `"DD HH:MM"` of March 2026, or a full RFC 3339 instant.
pub fn t(s: &str) -> DateTime<Utc> {
    let full = if s.contains('T') {
        s.to_owned()
    } else {
        let (day, hm) = s.split_once(' ').unwrap();
        format!("2026-03-{day:0>2}T{hm}:00Z")
    };
    DateTime::parse_from_rfc3339(&full)
        .unwrap_or_else(|e| panic!("{s}: {e}"))
        .with_timezone(&Utc)
}

/// London, Monday to Friday, 09:00–17:30.
pub fn uk_office() -> CompiledCalendar {
    let mut calendar = BusinessCalendar::always("uk-office");
    calendar.time_zone = "Europe/London".into();
    calendar.week =
        itsm_sla::WeekSchedule::monday_to_friday(&[WorkingInterval::new("09:00", "17:30")]);
    CompiledCalendar::new(&calendar).unwrap()
}

/// What happens to the record, at `"DD HH:MM"` instants of March 2026.
#[derive(Clone, Copy, Debug)]
pub enum Ev {
    Open(&'static str, Priority),
    Work(&'static str),
    Hold(&'static str),
    Resolve(&'static str),
    Prio(&'static str, Priority),
    /// The `due_at` field set to an RFC 3339 text, a date, or cleared (`None`).
    Due(&'static str, Option<&'static str>),
    /// The `due_at` field set to any value.
    DueValue(&'static str, fn() -> FieldValue),
    /// A public comment.
    Comment(&'static str),
}

/// The incident's timeline; a hold gives `hold_reason`.
pub fn timeline(events: &[Ev], hold_reason: Option<&str>) -> Timeline {
    use Ev::*;
    let category = |s: &str| match s {
        "new" => StateCategory::New,
        "in_progress" => StateCategory::Open,
        "on_hold" => StateCategory::Paused,
        _ => StateCategory::Resolved,
    };
    let mut state = "new";
    let mut priority = None;
    let mut due = FieldValue::Null;
    let mut out = Vec::new();
    for ev in events {
        let (at, change) = match *ev {
            Open(at, p) => {
                priority = Some(p);
                let change = TimelineChange::Created {
                    record_kind: RecordKind::Incident,
                    state: state.to_owned(),
                    category: StateCategory::New,
                    priority: Some(p),
                    assignment_group: None,
                    assignee: None,
                };
                (at, change)
            }
            Work(at) | Hold(at) | Resolve(at) => {
                let to = match *ev {
                    Work(_) => "in_progress",
                    Hold(_) => "on_hold",
                    _ => "resolved",
                };
                let change = TimelineChange::StateChanged {
                    from: state.to_owned(),
                    from_category: category(state),
                    to: to.to_owned(),
                    to_category: category(to),
                    reason: hold_reason.filter(|_| to == "on_hold").map(str::to_owned),
                };
                state = to;
                (at, change)
            }
            Prio(at, p) => {
                let change = TimelineChange::PriorityChanged {
                    from: priority,
                    to: p,
                };
                priority = Some(p);
                (at, change)
            }
            Due(at, _) | DueValue(at, _) => {
                let to = match *ev {
                    Due(_, Some(text)) => FieldValue::from(text),
                    DueValue(_, value) => value(),
                    _ => FieldValue::Null,
                };
                let change = TimelineChange::FieldChanged {
                    field: "due_at".into(),
                    from: std::mem::replace(&mut due, to.clone()),
                    to,
                };
                (at, change)
            }
            Comment(at) => (
                at,
                TimelineChange::CommentAdded {
                    visibility: CommentVisibility::Public,
                    text: "hello".into(),
                },
            ),
        };
        out.push(TimelineEvent {
            at: t(at),
            actor: None,
            change,
        });
    }
    Timeline { events: out }
}
