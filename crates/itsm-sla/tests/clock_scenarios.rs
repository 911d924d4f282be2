//! Scenario tables for the SLA clock: pauses, priority changes (while running
//! and while paused), retroactive start and pause, fixed deadlines, multiple
//! cycles, resets, thresholds crossed once, tickets opened outside working
//! hours. Every case goes through one `check` helper.

use chrono::{DateTime, Duration, Utc};
use itsm_core::{
    CommentVisibility, GroupId, Priority, RecordKind, StateCategory, Timeline, TimelineChange,
    TimelineEvent,
};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, Condition, DeadlineKind,
    DurationSpec, EventPattern, SlaCycle, SlaDefinition, SlaError, SlaGoal, SlaKind, SlaStage,
    SlaTarget, WorkingInterval, evaluate, explain,
};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn hours(h: u64) -> DurationSpec {
    DurationSpec::BusinessTime {
        seconds: BusinessDuration::from_hours(h),
    }
}

/// Incident resolution: P1 4 h, P2 8 h, anything else 24 h; pauses on hold;
/// warnings at 50, 75 and 90 %; 24×7 unless the case says otherwise.
fn resolution() -> SlaDefinition {
    SlaDefinition {
        name: "incident-resolution".into(),
        kind: SlaKind::Sla,
        target: SlaTarget::Resolution,
        applies_to: vec![RecordKind::Incident],
        goals: vec![
            SlaGoal {
                when: Condition::priority(&[Priority::P1]),
                duration: Some(hours(4)),
                due_date: None,
            },
            SlaGoal {
                when: Condition::priority(&[Priority::P2]),
                duration: Some(hours(8)),
                due_date: None,
            },
            SlaGoal {
                when: Condition::Always,
                duration: Some(hours(24)),
                due_date: None,
            },
        ],
        goal_selection: Default::default(),
        calendar: None,
        warning_thresholds: percents(&[50, 75, 90]),
        start: Condition::category(&[
            StateCategory::New,
            StateCategory::Open,
            StateCategory::Paused,
        ]),
        stop: Condition::category(&[StateCategory::Resolved, StateCategory::Closed]),
        pause: Condition::category(&[StateCategory::Paused]),
        resume: None,
        cancel: Condition::category(&[StateCategory::Canceled]),
        cancel_when_start_unmet: false,
        reset: Condition::Never,
        retroactive_start: false,
        retroactive_pause: false,
        deadline: DeadlineKind::Elapsed,
    }
}

/// What happens to the ticket, in the order given.
#[derive(Clone, Copy, Debug)]
enum Ev {
    /// Created in `new` with a priority.
    Open(&'static str, Priority),
    /// Created directly `in_progress`.
    OpenWorking(&'static str, Priority),
    Work(&'static str),
    Hold(&'static str, &'static str),
    Resolve(&'static str),
    Cancel(&'static str),
    Prio(&'static str, Priority),
    Group(&'static str, u128),
    Comment(&'static str),
}

fn category(state: &str) -> StateCategory {
    match state {
        "new" => StateCategory::New,
        "in_progress" => StateCategory::Open,
        "on_hold" => StateCategory::Paused,
        "resolved" => StateCategory::Resolved,
        "closed" => StateCategory::Closed,
        _ => StateCategory::Canceled,
    }
}

fn timeline(events: &[Ev]) -> Timeline {
    let mut state = "new".to_owned();
    let mut priority = None;
    let mut group = None;
    let mut out = Vec::new();
    for ev in events {
        let (at, change) = match *ev {
            Ev::Open(at, p) | Ev::OpenWorking(at, p) => {
                state = if matches!(ev, Ev::Open(..)) {
                    "new"
                } else {
                    "in_progress"
                }
                .to_owned();
                priority = Some(p);
                (
                    at,
                    TimelineChange::Created {
                        record_kind: RecordKind::Incident,
                        state: state.clone(),
                        category: category(&state),
                        priority: Some(p),
                        assignment_group: None,
                        assignee: None,
                    },
                )
            }
            Ev::Work(at) | Ev::Hold(at, _) | Ev::Resolve(at) | Ev::Cancel(at) => {
                let (to, reason) = match *ev {
                    Ev::Work(_) => ("in_progress", None),
                    Ev::Hold(_, r) => ("on_hold", Some(r.to_owned())),
                    Ev::Resolve(_) => ("resolved", None),
                    _ => ("canceled", None),
                };
                let change = TimelineChange::StateChanged {
                    from: state.clone(),
                    from_category: category(&state),
                    to: to.to_owned(),
                    to_category: category(to),
                    reason,
                };
                state = to.to_owned();
                (at, change)
            }
            Ev::Prio(at, p) => {
                let change = TimelineChange::PriorityChanged {
                    from: priority,
                    to: p,
                };
                priority = Some(p);
                (at, change)
            }
            Ev::Group(at, g) => {
                let to = Some(GroupId::from_u128(g));
                let change = TimelineChange::AssignmentChanged {
                    from_group: group,
                    to_group: to,
                    from_assignee: None,
                    to_assignee: None,
                };
                group = to;
                (at, change)
            }
            Ev::Comment(at) => (
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

/// The expected figures of one cycle; `None` fields are not checked.
#[derive(Clone, Debug, Default)]
struct Exp {
    stage: Option<SlaStage>,
    start: Option<&'static str>,
    stop: Option<&'static str>,
    elapsed_min: Option<u64>,
    paused_min: Option<u64>,
    due: Option<&'static str>,
    original_due: Option<&'static str>,
    breached_at: Option<Option<&'static str>>,
    thresholds: Option<[Option<&'static str>; 3]>,
    next: Option<Option<&'static str>>,
    goal: Option<usize>,
    left_secs: Option<u64>,
}

fn exp(stage: SlaStage, elapsed_min: u64, paused_min: u64) -> Exp {
    Exp {
        stage: Some(stage),
        elapsed_min: Some(elapsed_min),
        paused_min: Some(paused_min),
        ..Exp::default()
    }
}

fn uk_office() -> CompiledCalendar {
    let mut calendar: BusinessCalendar = BusinessCalendar::always("uk-office");
    calendar.time_zone = "Europe/London".into();
    calendar.week =
        itsm_sla::WeekSchedule::monday_to_friday(&[WorkingInterval::new("09:00", "17:30")]);
    CompiledCalendar::new(&calendar).unwrap()
}

fn check(
    name: &str,
    definition: &SlaDefinition,
    calendar: &CompiledCalendar,
    events: &[Ev],
    now: &str,
    expected: &[Exp],
) {
    let sla = CompiledSla::new(definition).unwrap_or_else(|e| panic!("{name}: {e}"));
    let result = evaluate(&sla, calendar, &timeline(events), t(now))
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let cycles = &result.cycles;
    assert_eq!(
        cycles.len(),
        expected.len(),
        "{name}: cycle count; actual cycles: {cycles:#?}"
    );
    for (i, (c, e)) in cycles.iter().zip(expected).enumerate() {
        let ctx = || format!("{name}: cycle {i}: expected {e:?}\nactual {c:#?}");
        let opt_t = |s: Option<&str>| s.map(t);
        if let Some(stage) = e.stage {
            assert_eq!(c.stage, stage, "{}", ctx());
        }
        if let Some(s) = e.start {
            assert_eq!(c.start, t(s), "{}", ctx());
        }
        if let Some(s) = e.stop {
            assert_eq!(c.stop, Some(t(s)), "{}", ctx());
        }
        if let Some(m) = e.elapsed_min {
            assert_eq!(c.business_elapsed.as_secs(), m * 60, "{}", ctx());
        }
        if let Some(m) = e.paused_min {
            assert_eq!(c.business_paused.as_secs(), m * 60, "{}", ctx());
        }
        if let Some(s) = e.due {
            assert_eq!(c.due_at, t(s), "{}", ctx());
        }
        if let Some(s) = e.original_due {
            assert_eq!(c.original_due_at, t(s), "{}", ctx());
        }
        if let Some(b) = e.breached_at {
            assert_eq!(c.breached_at, opt_t(b), "{}", ctx());
            assert_eq!(c.breached, b.is_some(), "{}", ctx());
        }
        if let Some(th) = e.thresholds {
            let actual: Vec<_> = c.thresholds.iter().map(|x| x.crossed_at).collect();
            let want: Vec<_> = th.iter().map(|x| opt_t(*x)).collect();
            assert_eq!(actual, want, "{}", ctx());
        }
        if let Some(n) = e.next {
            assert_eq!(c.next_event_at, opt_t(n), "{}", ctx());
        }
        if let Some(l) = e.left_secs {
            assert_eq!(c.business_remaining.as_secs(), l, "{}", ctx());
        }
        if let Some(g) = e.goal {
            assert_eq!(c.goal, g, "{}", ctx());
        }
        invariants(name, c);
    }
}

/// What holds for every cycle, whatever the scenario.
fn invariants(name: &str, c: &SlaCycle) {
    assert_eq!(c.breached, c.breached_at.is_some(), "{name}");
    if !c.breached {
        assert_eq!(
            c.business_elapsed + c.business_remaining,
            c.goal_duration,
            "{name}"
        );
    } else {
        assert!(c.business_remaining.is_zero(), "{name}");
    }
    assert_eq!(c.stop.is_some(), c.stage.is_final(), "{name}");
}

/// A scenario with its own definition: name, definition, events, now, expected cycles.
type DefCase<'a> = (&'a str, &'a SlaDefinition, Vec<Ev>, &'a str, Vec<Exp>);

use Ev::*;
use SlaStage::*;

const D: &str = "2026-03-02"; // a Monday

fn at(hm: &str) -> &'static str {
    Box::leak(format!("{D}T{hm}:00Z").into_boxed_str())
}

#[test]
fn pauses_and_stops() {
    let def = resolution();
    let cal = CompiledCalendar::always();
    let cases: Vec<(&str, Vec<Ev>, &str, Vec<Exp>)> = vec![
        (
            "running_p1",
            vec![Open(at("09:00"), Priority::P1)],
            at("10:00"),
            vec![Exp {
                due: Some(at("13:00")),
                original_due: Some(at("13:00")),
                breached_at: Some(None),
                thresholds: Some([None, None, None]),
                next: Some(Some(at("11:00"))),
                goal: Some(0),
                ..exp(InProgress, 60, 0)
            }],
        ),
        (
            "pause_moves_due",
            vec![
                Open(at("09:00"), Priority::P1),
                Hold(at("10:00"), "awaiting_caller"),
                Work(at("11:00")),
            ],
            at("12:00"),
            vec![Exp {
                due: Some(at("14:00")),
                original_due: Some(at("13:00")),
                ..exp(InProgress, 120, 60)
            }],
        ),
        (
            "paused_now_due_as_if_resumed_now",
            vec![
                Open(at("09:00"), Priority::P1),
                Hold(at("10:00"), "awaiting_caller"),
            ],
            at("12:00"),
            vec![Exp {
                due: Some(at("15:00")),
                next: Some(None),
                ..exp(Paused, 60, 120)
            }],
        ),
        (
            "two_pauses",
            vec![
                Open(at("09:00"), Priority::P2),
                Hold(at("09:30"), "awaiting_caller"),
                Work(at("10:00")),
                Hold(at("11:00"), "awaiting_vendor"),
                Work(at("13:00")),
            ],
            at("14:00"),
            vec![Exp {
                due: Some(at("19:30")),
                ..exp(InProgress, 150, 150)
            }],
        ),
        (
            "resolved_in_time",
            vec![Open(at("09:00"), Priority::P1), Resolve(at("12:00"))],
            at("15:00"),
            vec![Exp {
                stop: Some(at("12:00")),
                due: Some(at("13:00")),
                next: Some(None),
                ..exp(Achieved, 180, 0)
            }],
        ),
        (
            "resolved_late",
            vec![Open(at("09:00"), Priority::P1), Resolve(at("14:00"))],
            at("15:00"),
            vec![Exp {
                breached_at: Some(Some(at("13:00"))),
                due: Some(at("13:00")),
                thresholds: Some([Some(at("11:00")), Some(at("12:00")), Some(at("12:36"))]),
                ..exp(Breached, 300, 0)
            }],
        ),
        (
            "resolved_on_the_due_instant_has_no_time_left",
            vec![Open(at("09:00"), Priority::P1), Resolve(at("13:00"))],
            at("15:00"),
            vec![Exp {
                breached_at: Some(Some(at("13:00"))),
                ..exp(Breached, 240, 0)
            }],
        ),
        (
            "resolved_a_second_before_due",
            vec![
                Open(at("09:00"), Priority::P1),
                Resolve("2026-03-02T12:59:59Z"),
            ],
            at("15:00"),
            vec![Exp {
                breached_at: Some(None),
                elapsed_min: None,
                left_secs: Some(1),
                ..exp(Achieved, 0, 0)
            }],
        ),
        (
            "stop_while_paused",
            vec![
                Open(at("09:00"), Priority::P1),
                Hold(at("10:00"), "awaiting_caller"),
                Resolve(at("11:00")),
            ],
            at("12:00"),
            vec![Exp {
                stop: Some(at("11:00")),
                ..exp(Achieved, 60, 60)
            }],
        ),
        (
            "breach_while_running_then_still_running",
            vec![Open(at("09:00"), Priority::P1)],
            at("14:00"),
            vec![Exp {
                breached_at: Some(Some(at("13:00"))),
                next: Some(None),
                ..exp(InProgress, 300, 0)
            }],
        ),
        (
            "cancelled",
            vec![Open(at("09:00"), Priority::P1), Cancel(at("10:00"))],
            at("12:00"),
            vec![Exp {
                stop: Some(at("10:00")),
                ..exp(Canceled, 60, 0)
            }],
        ),
        (
            "events_after_now_are_ignored",
            vec![Open(at("09:00"), Priority::P1), Resolve(at("12:00"))],
            at("11:00"),
            vec![exp(InProgress, 120, 0)],
        ),
        (
            "opened_directly_in_progress",
            vec![
                OpenWorking(at("09:00"), Priority::P2),
                Hold(at("09:30"), "awaiting_caller"),
            ],
            at("10:00"),
            vec![Exp {
                due: Some(at("17:30")),
                ..exp(Paused, 30, 30)
            }],
        ),
        (
            "comments_change_nothing",
            vec![
                Open(at("09:00"), Priority::P1),
                Comment(at("09:10")),
                Comment(at("09:20")),
            ],
            at("10:00"),
            vec![exp(InProgress, 60, 0)],
        ),
    ];
    for (name, events, now, expected) in cases {
        check(name, &def, &cal, &events, now, &expected);
    }
}

#[test]
fn priority_changes() {
    let def = resolution();
    let cal = CompiledCalendar::always();
    let cases: Vec<(&str, Vec<Ev>, &str, Vec<Exp>)> = vec![
        (
            "raised_priority_retargets_and_keeps_elapsed",
            vec![
                Open(at("09:00"), Priority::P3),
                Prio(at("11:00"), Priority::P1),
            ],
            at("12:00"),
            vec![Exp {
                goal: Some(0),
                due: Some(at("13:00")),
                original_due: Some("2026-03-03T09:00:00Z"),
                // 50 % of 4 h was already behind when the goal changed: crossed then.
                thresholds: Some([Some(at("11:00")), Some(at("12:00")), None]),
                next: Some(Some(at("12:36"))),
                ..exp(InProgress, 180, 0)
            }],
        ),
        (
            "pending_time_survives_priority_change",
            vec![
                Open(at("09:00"), Priority::P3),
                Hold(at("10:00"), "awaiting_caller"),
                Prio(at("10:30"), Priority::P1),
                Work(at("11:00")),
            ],
            at("12:00"),
            vec![Exp {
                goal: Some(0),
                due: Some(at("14:00")),
                thresholds: Some([Some(at("12:00")), None, None]),
                ..exp(InProgress, 120, 60)
            }],
        ),
        (
            "priority_change_while_paused_stays_paused",
            vec![
                Open(at("09:00"), Priority::P3),
                Hold(at("10:00"), "awaiting_caller"),
                Prio(at("10:30"), Priority::P2),
            ],
            at("12:00"),
            vec![Exp {
                goal: Some(1),
                due: Some(at("19:00")),
                ..exp(Paused, 60, 120)
            }],
        ),
        (
            "lowered_priority_after_breach_keeps_the_breach",
            vec![
                Open(at("09:00"), Priority::P1),
                Prio(at("14:00"), Priority::P3),
            ],
            at("15:00"),
            vec![Exp {
                goal: Some(2),
                breached_at: Some(Some(at("13:00"))),
                due: Some(at("13:00")),
                ..exp(InProgress, 360, 0)
            }],
        ),
        (
            "raised_priority_past_its_goal_breaches_at_the_change",
            vec![
                Open(at("09:00"), Priority::P3),
                Prio(at("14:00"), Priority::P1),
            ],
            at("15:00"),
            vec![Exp {
                breached_at: Some(Some(at("14:00"))),
                thresholds: Some([Some(at("14:00")), Some(at("14:00")), Some(at("14:00"))]),
                ..exp(InProgress, 360, 0)
            }],
        ),
        (
            "thresholds_crossed_once_even_after_recalculation",
            vec![
                Open(at("09:00"), Priority::P1),
                Prio(at("11:30"), Priority::P3),
                Prio(at("12:00"), Priority::P1),
            ],
            at("12:10"),
            vec![Exp {
                thresholds: Some([Some(at("11:00")), Some(at("12:00")), None]),
                ..exp(InProgress, 190, 0)
            }],
        ),
    ];
    for (name, events, now, expected) in cases {
        check(name, &def, &cal, &events, now, &expected);
    }
}

#[test]
fn options_and_cycles() {
    let cal = CompiledCalendar::always();
    let work_started = SlaDefinition {
        start: Condition::category(&[StateCategory::Open]),
        ..resolution()
    };
    let retro = SlaDefinition {
        retroactive_start: true,
        ..work_started.clone()
    };
    let retro_pause = SlaDefinition {
        retroactive_pause: true,
        ..retro.clone()
    };
    let fixed = SlaDefinition {
        deadline: DeadlineKind::Fixed,
        pause: Condition::Never,
        ..resolution()
    };
    let fixed_with_pause = SlaDefinition {
        deadline: DeadlineKind::Fixed,
        ..resolution()
    };
    let reset = SlaDefinition {
        reset: Condition::Occurs {
            event: EventPattern::AssignmentChanged,
        },
        ..resolution()
    };
    let cancel_unmet = SlaDefinition {
        cancel_when_start_unmet: true,
        start: Condition::category(&[StateCategory::New, StateCategory::Open]),
        pause: Condition::Never,
        ..resolution()
    };
    let plain = resolution();
    let waiting = [
        Open(at("09:00"), Priority::P1),
        Hold(at("09:30"), "awaiting_caller"),
        Work(at("10:30")),
    ];
    let cases: Vec<DefCase> = vec![
        (
            "start_when_work_starts",
            &work_started,
            vec![Open(at("09:00"), Priority::P1), Work(at("10:00"))],
            at("11:00"),
            vec![Exp {
                start: Some(at("10:00")),
                ..exp(InProgress, 60, 0)
            }],
        ),
        (
            "retroactive_start_counts_from_opening",
            &retro,
            vec![Open(at("09:00"), Priority::P1), Work(at("10:00"))],
            at("11:00"),
            vec![Exp {
                start: Some(at("09:00")),
                original_due: Some(at("13:00")),
                thresholds: Some([Some(at("11:00")), None, None]),
                ..exp(InProgress, 120, 0)
            }],
        ),
        (
            "retroactive_start_without_pause_counts_waiting",
            &retro,
            waiting.to_vec(),
            at("11:00"),
            vec![exp(InProgress, 120, 0)],
        ),
        (
            "retroactive_pause_counts_waiting_as_paused",
            &retro_pause,
            waiting.to_vec(),
            at("11:00"),
            vec![Exp {
                start: Some(at("09:00")),
                due: Some(at("14:00")),
                ..exp(InProgress, 60, 60)
            }],
        ),
        (
            "retroactive_start_applies_to_the_first_cycle_only",
            &retro,
            vec![
                Open(at("09:00"), Priority::P1),
                Work(at("10:00")),
                Resolve(at("11:00")),
                Work(at("12:00")),
            ],
            at("13:00"),
            vec![
                Exp {
                    start: Some(at("09:00")),
                    ..exp(Achieved, 120, 0)
                },
                Exp {
                    start: Some(at("12:00")),
                    ..exp(InProgress, 60, 0)
                },
            ],
        ),
        (
            "fixed_deadline_never_moves",
            &fixed,
            vec![
                Open(at("09:00"), Priority::P1),
                Hold(at("10:00"), "awaiting_caller"),
                Work(at("11:00")),
            ],
            at("12:00"),
            vec![Exp {
                due: Some(at("13:00")),
                original_due: Some(at("13:00")),
                ..exp(InProgress, 180, 0)
            }],
        ),
        (
            "fixed_deadline_ignores_the_pause_condition",
            &fixed_with_pause,
            vec![
                Open(at("09:00"), Priority::P1),
                Hold(at("10:00"), "awaiting_caller"),
            ],
            at("14:00"),
            vec![Exp {
                due: Some(at("13:00")),
                breached_at: Some(Some(at("13:00"))),
                ..exp(InProgress, 300, 0)
            }],
        ),
        (
            "reopened_ticket_opens_a_new_cycle",
            &plain,
            vec![
                Open(at("09:00"), Priority::P1),
                Resolve(at("10:00")),
                Work(at("11:00")),
            ],
            at("12:00"),
            vec![
                Exp {
                    start: Some(at("09:00")),
                    stop: Some(at("10:00")),
                    ..exp(Achieved, 60, 0)
                },
                Exp {
                    start: Some(at("11:00")),
                    due: Some(at("15:00")),
                    ..exp(InProgress, 60, 0)
                },
            ],
        ),
        (
            "reset_closes_the_cycle_and_opens_another",
            &reset,
            vec![
                Open(at("09:00"), Priority::P1),
                Group(at("10:00"), 7),
                Comment(at("10:30")),
                Group(at("11:00"), 8),
            ],
            at("11:30"),
            vec![
                Exp {
                    stop: Some(at("10:00")),
                    ..exp(Canceled, 60, 0)
                },
                Exp {
                    start: Some(at("10:00")),
                    stop: Some(at("11:00")),
                    ..exp(Canceled, 60, 0)
                },
                Exp {
                    start: Some(at("11:00")),
                    ..exp(InProgress, 30, 0)
                },
            ],
        ),
        (
            "cancel_when_start_unmet_cancels_on_hold",
            &cancel_unmet,
            vec![
                Open(at("09:00"), Priority::P1),
                Hold(at("10:00"), "awaiting_caller"),
                Work(at("11:00")),
            ],
            at("12:00"),
            vec![
                Exp {
                    stop: Some(at("10:00")),
                    ..exp(Canceled, 60, 0)
                },
                Exp {
                    start: Some(at("11:00")),
                    ..exp(InProgress, 60, 0)
                },
            ],
        ),
    ];
    for (name, def, events, now, expected) in cases {
        check(name, def, &cal, &events, now, &expected);
    }
}

#[test]
fn business_calendar_scenarios() {
    let cal = uk_office();
    let def = SlaDefinition {
        calendar: Some("uk-office".into()),
        ..resolution()
    };
    let cases: Vec<(&str, Vec<Ev>, &str, Vec<Exp>)> = vec![
        (
            // Saturday 10:00; nothing counts before Monday 09:00 (GMT in March).
            "ticket_opened_outside_working_hours",
            vec![Open("2026-03-07T10:00:00Z", Priority::P2)],
            "2026-03-09T10:00:00Z",
            vec![Exp {
                start: Some("2026-03-07T10:00:00Z"),
                original_due: Some("2026-03-09T17:00:00Z"),
                next: Some(Some("2026-03-09T13:00:00Z")),
                ..exp(InProgress, 60, 0)
            }],
        ),
        (
            "deadline_using_up_the_day_lands_on_the_closing_instant",
            vec![Open("2026-03-06T13:30:00Z", Priority::P1)],
            "2026-03-06T14:00:00Z",
            vec![Exp {
                due: Some("2026-03-06T17:30:00Z"),
                ..exp(InProgress, 30, 0)
            }],
        ),
        (
            "deadline_carries_over_the_weekend",
            vec![Open("2026-03-06T15:00:00Z", Priority::P1)],
            "2026-03-06T16:00:00Z",
            vec![Exp {
                due: Some("2026-03-09T10:30:00Z"),
                ..exp(InProgress, 60, 0)
            }],
        ),
        (
            "weekend_pause_costs_no_business_time",
            vec![
                Open("2026-03-06T16:30:00Z", Priority::P1),
                Hold("2026-03-07T10:00:00Z", "awaiting_caller"),
                Work("2026-03-08T10:00:00Z"),
            ],
            "2026-03-09T10:00:00Z",
            vec![Exp {
                due: Some("2026-03-09T12:00:00Z"),
                ..exp(InProgress, 120, 0)
            }],
        ),
        (
            // Across the spring-forward night of 29 March 2026: still 8.5 h a day.
            "dst_change_over_the_weekend",
            vec![Open("2026-03-27T17:00:00Z", Priority::P2)],
            "2026-03-30T09:00:00Z",
            vec![Exp {
                due: Some("2026-03-30T15:30:00Z"),
                ..exp(InProgress, 90, 0)
            }],
        ),
    ];
    for (name, events, now, expected) in cases {
        check(name, &def, &cal, &events, now, &expected);
    }
}

#[test]
fn breach_is_decided_on_time_left_not_on_a_rounded_percentage() {
    let def = SlaDefinition {
        goals: vec![SlaGoal {
            when: Condition::Always,
            duration: Some(DurationSpec::BusinessTime {
                seconds: BusinessDuration::from_secs(100_000),
            }),
            due_date: None,
        }],
        ..resolution()
    };
    let sla = CompiledSla::new(&def).unwrap();
    let timeline = timeline(&[Open(at("09:00"), Priority::P3)]);
    let now = t(at("09:00")) + Duration::seconds(99_999);
    let cycle = evaluate(&sla, &CompiledCalendar::always(), &timeline, now)
        .unwrap()
        .cycles
        .remove(0);
    assert_eq!(format!("{:.1}", cycle.percentage), "100.0");
    assert_eq!(cycle.business_remaining.as_secs(), 1);
    assert!(!cycle.breached);
    assert_eq!(cycle.next_event_at, Some(now + Duration::seconds(1)));
    let later = evaluate(
        &sla,
        &CompiledCalendar::always(),
        &timeline,
        now + Duration::seconds(1),
    )
    .unwrap();
    assert!(later.cycles[0].breached);
}

#[test]
fn conditions_over_events_fields_and_groups() {
    let cal = CompiledCalendar::always();
    let response = SlaDefinition {
        name: "incident-response".into(),
        target: SlaTarget::Response,
        start: Condition::Always,
        stop: Condition::Any {
            any: vec![
                Condition::Happened {
                    event: EventPattern::CommentAdded {
                        visibility: Some(CommentVisibility::Public),
                    },
                },
                Condition::category(&[StateCategory::Resolved, StateCategory::Closed]),
            ],
        },
        pause: Condition::Never,
        cancel: Condition::Never,
        ..resolution()
    };
    let group_ola = SlaDefinition {
        name: "network-ola".into(),
        kind: SlaKind::Ola,
        start: Condition::AssignmentGroup {
            any_of: vec![GroupId::from_u128(7)],
        },
        stop: Condition::Not {
            not: Box::new(Condition::AssignmentGroup {
                any_of: vec![GroupId::from_u128(7)],
            }),
        },
        pause: Condition::OnHoldReason {
            any_of: vec!["awaiting_vendor".into()],
        },
        ..resolution()
    };
    let cases: Vec<DefCase> = vec![
        (
            "response_stops_on_first_public_comment",
            &response,
            vec![
                Open(at("09:00"), Priority::P1),
                Comment(at("09:20")),
                Comment(at("09:40")),
            ],
            at("10:00"),
            vec![Exp {
                stop: Some(at("09:20")),
                ..exp(Achieved, 20, 0)
            }],
        ),
        (
            "ola_runs_while_the_group_holds_it_and_pauses_only_for_vendors",
            &group_ola,
            vec![
                Open(at("09:00"), Priority::P1),
                Group(at("09:10"), 7),
                Hold(at("09:20"), "awaiting_caller"),
                Work(at("09:30")),
                Hold(at("09:40"), "awaiting_vendor"),
                Work(at("10:40")),
                Group(at("11:00"), 9),
            ],
            at("12:00"),
            vec![Exp {
                start: Some(at("09:10")),
                stop: Some(at("11:00")),
                ..exp(Achieved, 50, 60)
            }],
        ),
    ];
    for (name, def, events, now, expected) in cases {
        check(name, def, &cal, &events, now, &expected);
    }
}

#[test]
fn errors_and_non_applicable_records() {
    let cal = CompiledCalendar::always();
    // A record kind the definition does not apply to gets no cycle.
    let changes_only = SlaDefinition {
        applies_to: vec![RecordKind::Change],
        ..resolution()
    };
    let sla = CompiledSla::new(&changes_only).unwrap();
    let result = evaluate(
        &sla,
        &cal,
        &timeline(&[Open(at("09:00"), Priority::P1)]),
        t(at("10:00")),
    )
    .unwrap();
    assert!(result.cycles.is_empty());
    assert_eq!(result.next_event_at, None);

    // A retroactive start needs an opened time.
    let retro = SlaDefinition {
        retroactive_start: true,
        ..resolution()
    };
    let sla = CompiledSla::new(&retro).unwrap();
    let mut tl = timeline(&[Open(at("09:00"), Priority::P1), Work(at("09:30"))]);
    tl.events.remove(0);
    let err = evaluate(&sla, &cal, &tl, t(at("10:00"))).unwrap_err();
    assert!(matches!(err, SlaError::NoOpenedTime { .. }), "{err}");

    // Out-of-order events are refused.
    let sla = CompiledSla::new(&resolution()).unwrap();
    let mut tl = timeline(&[
        Open(at("09:00"), Priority::P1),
        Work(at("09:30")),
        Hold(at("09:40"), "x"),
    ]);
    tl.events[2].at = t(at("09:10"));
    let err = evaluate(&sla, &cal, &tl, t(at("10:00"))).unwrap_err();
    assert!(
        matches!(&err, SlaError::InvalidTimeline { problems }
            if problems.len() == 1 && problems[0].path == "events[2].at" && problems[0].rule == "out_of_order"),
        "{err}"
    );

    // One notion of a valid timeline: what `Timeline::validate` refuses,
    // evaluate refuses, over the events up to `now`.
    let valid = timeline(&[
        Open(at("09:00"), Priority::P1),
        Work(at("09:30")),
        Hold(at("09:40"), "x"),
    ]);
    let mut duplicated = valid.clone();
    duplicated.events.insert(2, duplicated.events[1].clone());
    let mut created_twice = valid.clone();
    created_twice
        .events
        .insert(1, created_twice.events[0].clone());
    for (name, tl, path, rule) in [
        (
            "a state change repeated",
            &duplicated,
            "events[2].from",
            "state_mismatch",
        ),
        (
            "two created events",
            &created_twice,
            "events[1].type",
            "created_not_first",
        ),
    ] {
        assert!(!tl.validate().is_empty(), "{name}: validate refuses it");
        let err = evaluate(&sla, &cal, tl, t(at("10:00"))).unwrap_err();
        assert!(
            matches!(&err, SlaError::InvalidTimeline { problems }
                if problems.iter().any(|p| p.path == path && p.rule == rule)),
            "{name}: {err}"
        );
    }
    // A fault after `now` is not read: the clock cut at `now` is the clock.
    let mut late_fault = valid.clone();
    late_fault.events.push(late_fault.events[2].clone());
    late_fault.events[3].at = t(at("11:00"));
    assert_eq!(
        evaluate(&sla, &cal, &late_fault, t(at("10:00"))).unwrap(),
        evaluate(&sla, &cal, &valid, t(at("10:00"))).unwrap()
    );
    assert!(evaluate(&sla, &cal, &late_fault, t(at("11:30"))).is_err());

    // The calendar must be the one the definition names.
    let err = evaluate(&sla, &uk_office(), &tl, t(at("10:00"))).unwrap_err();
    assert!(err.to_string().contains("\"24x7\""), "{err}");
}

/// Found by the fuzz target `sla_evaluate` (fuzz/regressions/sla_evaluate/):
/// an event up to `now` listed after an event after `now` was skipped
/// silently, because reading stops at the first event after `now`, and the
/// figures left it out. It is out of order, and refused as such.
#[test]
fn an_event_up_to_now_after_a_later_event_is_refused_not_skipped() {
    let cal = CompiledCalendar::always();
    let sla = CompiledSla::new(&resolution()).unwrap();
    let mut tl = timeline(&[
        Open(at("09:00"), Priority::P1),
        Work(at("09:30")),
        Hold(at("09:40"), "x"),
    ]);
    // The hold is listed after an event of 11:00, but happened before `now`.
    tl.events.insert(2, tl.events[1].clone());
    tl.events[2].at = t(at("11:00"));
    let err = evaluate(&sla, &cal, &tl, t(at("10:00"))).unwrap_err();
    assert!(
        matches!(&err, SlaError::InvalidTimeline { problems }
            if problems.len() == 1 && problems[0].path == "events[3].at" && problems[0].rule == "out_of_order"),
        "{err}"
    );
    assert!(!tl.validate().is_empty(), "validate refuses it too");
    // After 11:00 the whole timeline is read, and refused the same way.
    assert!(evaluate(&sla, &cal, &tl, t(at("12:00"))).is_err());
    // Without the misplaced hold, the event after `now` is simply not read.
    tl.events.remove(3);
    assert!(evaluate(&sla, &cal, &tl, t(at("10:00"))).is_ok());
}

#[test]
fn explanation_segments_add_up_to_the_figures() {
    let cal = uk_office();
    let def = SlaDefinition {
        calendar: Some("uk-office".into()),
        ..resolution()
    };
    let sla = CompiledSla::new(&def).unwrap();
    let events = [
        Open("2026-03-06T16:00:00Z", Priority::P2),
        Hold("2026-03-09T10:00:00Z", "awaiting_caller"),
        Work("2026-03-09T11:00:00Z"),
    ];
    let now = t("2026-03-09T12:00:00Z");
    let explanation = explain(&sla, &cal, &timeline(&events), now).unwrap();
    let cycle = &explanation.cycles[0];
    let kinds: Vec<_> = cycle
        .segments
        .iter()
        .map(|s| (s.kind.to_string(), s.from, s.to))
        .collect();
    let want = vec![
        (
            "running".to_string(),
            t("2026-03-06T16:00:00Z"),
            t("2026-03-06T17:30:00Z"),
        ),
        (
            "outside_working_hours".to_string(),
            t("2026-03-06T17:30:00Z"),
            t("2026-03-09T09:00:00Z"),
        ),
        (
            "running".to_string(),
            t("2026-03-09T09:00:00Z"),
            t("2026-03-09T10:00:00Z"),
        ),
        (
            "paused".to_string(),
            t("2026-03-09T10:00:00Z"),
            t("2026-03-09T11:00:00Z"),
        ),
        (
            "running".to_string(),
            t("2026-03-09T11:00:00Z"),
            t("2026-03-09T12:00:00Z"),
        ),
    ];
    assert_eq!(kinds, want);
    let running: u64 = cycle
        .segments
        .iter()
        .filter(|s| s.kind.to_string() == "running")
        .map(|s| s.business.as_secs())
        .sum();
    let paused: u64 = cycle
        .segments
        .iter()
        .filter(|s| s.kind.to_string() == "paused")
        .map(|s| s.business.as_secs())
        .sum();
    assert_eq!(running, cycle.cycle.business_elapsed.as_secs());
    assert_eq!(paused, cycle.cycle.business_paused.as_secs());
    assert_eq!(
        cycle.cycle,
        evaluate(&sla, &cal, &timeline(&events), now)
            .unwrap()
            .cycles[0]
    );
}

/// Checks how `d` reads for people.
fn check_humanized(d: BusinessDuration, expect: &str) {
    assert_eq!(d.humanized(), expect, "{d}");
}

#[test]
fn durations_and_cycles_are_told_to_people_in_local_time() {
    check_humanized(BusinessDuration::ZERO, "0 min");
    check_humanized(BusinessDuration::from_secs(40), "40 s");
    check_humanized(BusinessDuration::from_minutes(45), "45 min");
    check_humanized(BusinessDuration::from_hours(4), "4 h");
    check_humanized(BusinessDuration::from_minutes(146), "2 h 26 min");
    check_humanized(BusinessDuration::from_hours(30), "30 h");

    // Summer in London: one hour ahead of UTC.
    let cal = uk_office();
    assert_eq!(
        cal.local(t("2026-04-14T12:44:00Z")).to_rfc3339(),
        "2026-04-14T13:44:00+01:00"
    );
    assert_eq!(
        cal.local(t("2026-01-14T12:44:00Z")).to_rfc3339(),
        "2026-01-14T12:44:00+00:00"
    );
    let def = SlaDefinition {
        calendar: Some("uk-office".into()),
        ..resolution()
    };
    let sla = CompiledSla::new(&def).unwrap();
    let events = [
        Open("2026-04-14T08:00:00Z", Priority::P2),
        Hold("2026-04-14T09:00:00Z", "awaiting_caller"),
        Work("2026-04-14T09:30:00Z"),
    ];
    let e = evaluate(&sla, &cal, &timeline(&events), t("2026-04-14T10:26:00Z")).unwrap();
    let text = e.current().unwrap().describe(&cal);
    assert!(
        text.starts_with("In progress: 1 h 56 min of ")
            && text.contains(", 30 min on hold not counted; due "),
        "{text}"
    );
    assert!(text.ends_with("(Europe/London, +01:00)"), "{text}");
}

/// Whole-percentage warning thresholds.
fn percents(list: &[u8]) -> Vec<itsm_sla::WarningThreshold> {
    list.iter()
        .copied()
        .map(itsm_sla::WarningThreshold::Percent)
        .collect()
}

/// One segment as a line: `running 06 16:00-06 17:30 started[0] -> calendar_closes`,
/// each boundary's causes joined by `+` and the events behind it in brackets.
fn segment_line(s: &itsm_sla::ExplanationSegment) -> String {
    let boundary = |b: &itsm_sla::SegmentBoundary| {
        let causes: Vec<String> = b.causes.iter().map(ToString::to_string).collect();
        let events: Vec<String> = b
            .events
            .iter()
            .map(|e| format!("{}:{}", e.index, e.kind))
            .collect();
        if events.is_empty() {
            causes.join("+")
        } else {
            format!("{}[{}]", causes.join("+"), events.join(","))
        }
    };
    format!(
        "{} {}-{} {} -> {}",
        s.kind,
        s.from.format("%d %H:%M"),
        s.to.format("%d %H:%M"),
        boundary(&s.from_cause),
        boundary(&s.to_cause)
    )
}

/// Explains the events and checks every segment of every cycle, as lines.
fn check_causes(
    name: &str,
    def: &SlaDefinition,
    cal: &CompiledCalendar,
    events: &[Ev],
    now: &str,
    expected: &[&[&str]],
) {
    let sla = CompiledSla::new(def).unwrap_or_else(|e| panic!("{name}: {e}"));
    let explanation = explain(&sla, cal, &timeline(events), t(now)).unwrap();
    let actual: Vec<Vec<String>> = explanation
        .cycles
        .iter()
        .map(|c| c.segments.iter().map(segment_line).collect())
        .collect();
    let want: Vec<Vec<String>> = expected
        .iter()
        .map(|c| c.iter().map(|s| (*s).to_owned()).collect())
        .collect();
    assert_eq!(actual, want, "{name}");
}

#[test]
fn explanations_name_their_causes() {
    let office = SlaDefinition {
        calendar: Some("uk-office".into()),
        ..resolution()
    };
    let cal = uk_office();
    check_causes(
        "calendar_edges_a_hold_and_now",
        &office,
        &cal,
        &[
            Open("2026-03-06T16:00:00Z", Priority::P2),
            Hold("2026-03-09T10:00:00Z", "awaiting_caller"),
            Work("2026-03-09T11:00:00Z"),
        ],
        "2026-03-09T12:00:00Z",
        &[&[
            "running 06 16:00-06 17:30 started[0:created] -> calendar_closes",
            "outside_working_hours 06 17:30-09 09:00 calendar_closes -> calendar_opens",
            "running 09 09:00-09 10:00 calendar_opens -> paused[1:state_changed]",
            "paused 09 10:00-09 11:00 paused[1:state_changed] -> resumed[2:state_changed]",
            "running 09 11:00-09 12:00 resumed[2:state_changed] -> evaluated",
        ]],
    );
    // Today's unlabelled split: the priority change is named, not the
    // comment of the same instant.
    let round_the_clock = resolution();
    let always = CompiledCalendar::always();
    check_causes(
        "a_priority_change_is_named",
        &round_the_clock,
        &always,
        &[
            Open(at("09:00"), Priority::P3),
            Comment(at("09:30")),
            Comment(at("10:00")),
            Prio(at("10:00"), Priority::P1),
            Resolve(at("11:00")),
        ],
        at("12:00"),
        &[&[
            "running 02 09:00-02 10:00 started[0:created] -> goal_changed[3:priority_changed]",
            "running 02 10:00-02 11:00 goal_changed[3:priority_changed] -> stopped[4:state_changed]",
        ]],
    );
    check_causes(
        "a_goal_change_and_a_pause_on_one_update",
        &round_the_clock,
        &always,
        &[
            Open(at("09:00"), Priority::P3),
            Prio(at("10:00"), Priority::P1),
            Hold(at("10:00"), "awaiting_vendor"),
        ],
        at("11:00"),
        &[&[
            "running 02 09:00-02 10:00 started[0:created] -> goal_changed+paused[1:priority_changed,2:state_changed]",
            "paused 02 10:00-02 11:00 goal_changed+paused[1:priority_changed,2:state_changed] -> evaluated",
        ]],
    );
    // Found by the boundary law: an update at `now` and the evaluation
    // instant are one boundary, and it names both.
    check_causes(
        "a_hold_at_now_ends_the_last_segment_with_both_causes",
        &round_the_clock,
        &always,
        &[
            Open(at("09:00"), Priority::P3),
            Hold(at("10:00"), "awaiting_caller"),
        ],
        at("10:00"),
        &[&["running 02 09:00-02 10:00 started[0:created] -> paused+evaluated[1:state_changed]"]],
    );
    let retro = SlaDefinition {
        start: Condition::category(&[StateCategory::Open]),
        retroactive_start: true,
        retroactive_pause: true,
        ..resolution()
    };
    check_causes(
        "a_retroactive_start_counts_from_the_opening",
        &retro,
        &always,
        &[
            Open(at("09:00"), Priority::P3),
            Hold(at("09:30"), "awaiting_caller"),
            Work(at("10:00")),
        ],
        at("10:30"),
        &[&[
            "running 02 09:00-02 09:30 opened[0:created] -> paused[1:state_changed]",
            "paused 02 09:30-02 10:00 paused[1:state_changed] -> started[2:state_changed]",
            "running 02 10:00-02 10:30 started[2:state_changed] -> evaluated",
        ]],
    );
    let reset = SlaDefinition {
        reset: Condition::Occurs {
            event: EventPattern::AssignmentChanged,
        },
        ..resolution()
    };
    check_causes(
        "a_reset_closes_one_cycle_and_starts_the_next",
        &reset,
        &always,
        &[
            Open(at("09:00"), Priority::P3),
            Group(at("10:00"), 7),
            Cancel(at("11:00")),
        ],
        at("12:00"),
        &[
            &["running 02 09:00-02 10:00 started[0:created] -> reset[1:assignment_changed]"],
            &[
                "running 02 10:00-02 11:00 started[1:assignment_changed] -> canceled[2:state_changed]",
            ],
        ],
    );
}
