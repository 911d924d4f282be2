//! Due-date goals (the record's own due date as the target) and warnings a
//! time before the due instant: scenario tables through one `check` helper,
//! refusals through `check_refused`, and the definition rules through
//! `check_definition`. Laws and the oracle are in `goals_laws.rs`.
//!
//! Early March 2026: London is on GMT (UTC = local time); Monday is the 2nd,
//! Friday the 6th. `uk-office` works Monday to Friday, 09:00–17:30.

use itsm_core::{FieldValue, Priority, Timeline};
use itsm_sla::{
    CompiledCalendar, CompiledSla, SlaDefinition, SlaError, SlaEvaluation, SlaStage, evaluate,
    explain,
};
use serde_json::{Value, json};

#[path = "support/story.rs"]
mod story;
use Ev::*;
use story::{Ev, t, uk_office};

/// The incident's timeline: a hold is awaiting the caller.
fn timeline(events: &[Ev]) -> Timeline {
    story::timeline(events, Some("awaiting_caller"))
}

/// The resolution SLA on `uk-office` (P1 4 h, otherwise 8 h; pauses on
/// hold), with `overrides` replacing its top-level keys. `null` removes one.
fn definition(overrides: &Value) -> SlaDefinition {
    let mut base = json!({
        "name": "resolution", "target": "resolution",
        "applies_to": ["incident", "service_request"],
        "calendar": "uk-office",
        "goals": [
            {"when": {"type": "priority", "any_of": ["p1"]},
             "duration": {"unit": "business_time", "seconds": 14400}},
            {"duration": {"unit": "business_time", "seconds": 28800}}
        ],
        "start": {"type": "category", "any_of": ["new", "open", "paused"]},
        "stop": {"type": "category", "any_of": ["resolved", "closed"]},
        "pause": {"type": "category", "any_of": ["paused"]},
        "cancel": {"type": "category", "any_of": ["canceled"]}
    });
    for (key, value) in overrides.as_object().unwrap() {
        if value.is_null() {
            base.as_object_mut().unwrap().remove(key);
        } else {
            base[key] = value.clone();
        }
    }
    SlaDefinition::from_json(&base.to_string()).unwrap_or_else(|e| panic!("{overrides}: {e}"))
}

/// The goals of a due-date SLA: the record's due date, else 8 business hours;
/// warnings at 50 % and one business hour before the due instant.
fn due_sla() -> Value {
    json!({
        "goals": [
            {"due_date": {}},
            {"duration": {"unit": "business_time", "seconds": 28800}}
        ],
        "warning_thresholds": [50, {"before_due": "PT1H"}]
    })
}

/// The expected figures of one cycle; `None` fields are not checked.
/// Instants are `"DD HH:MM"` of March 2026, or full RFC 3339 text.
#[derive(Clone, Debug, Default)]
struct Exp {
    stage: Option<SlaStage>,
    goal: Option<usize>,
    start: Option<&'static str>,
    elapsed_min: Option<u64>,
    paused_min: Option<u64>,
    goal_min: Option<u64>,
    due: Option<&'static str>,
    original_due: Option<&'static str>,
    breached_at: Option<Option<&'static str>>,
    thresholds: Option<Vec<Option<&'static str>>>,
    next: Option<Option<&'static str>>,
}

fn exp(stage: SlaStage, goal: usize, elapsed_min: u64) -> Exp {
    Exp {
        stage: Some(stage),
        goal: Some(goal),
        elapsed_min: Some(elapsed_min),
        ..Exp::default()
    }
}

/// One scenario: its name, the definition's overrides, the calendar
/// (`uk-office` or the 24×7 one), the events, now, the expected cycles.
struct Case {
    name: &'static str,
    overrides: Value,
    office: bool,
    events: Vec<Ev>,
    now: &'static str,
    expected: Vec<Exp>,
}

fn evaluate_case(case: &Case) -> (SlaDefinition, SlaEvaluation) {
    let mut overrides = case.overrides.clone();
    if !case.office {
        overrides["calendar"] = Value::Null;
    }
    let def = definition(&overrides);
    let sla = CompiledSla::new(&def).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    let cal = if case.office {
        uk_office()
    } else {
        CompiledCalendar::always()
    };
    let tl = timeline(&case.events);
    let now = t(case.now);
    let result = evaluate(&sla, &cal, &tl, now).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    // The explanation's cycles are the evaluation's.
    let explained = explain(&sla, &cal, &tl, now).unwrap();
    let cycles: Vec<_> = explained.cycles.into_iter().map(|c| c.cycle).collect();
    assert_eq!(
        cycles, result.cycles,
        "{}: explain and evaluate differ",
        case.name
    );
    (def, result)
}

fn check(case: &Case) {
    let (def, result) = evaluate_case(case);
    let name = case.name;
    let cycles = &result.cycles;
    assert_eq!(
        cycles.len(),
        case.expected.len(),
        "{name}: cycle count; actual {cycles:#?}"
    );
    for (i, (c, e)) in cycles.iter().zip(&case.expected).enumerate() {
        let ctx = || format!("{name}: cycle {i}: expected {e:?}\nactual {c:#?}");
        let opt = |s: Option<&str>| s.map(t);
        if let Some(stage) = e.stage {
            assert_eq!(c.stage, stage, "{}", ctx());
        }
        if let Some(g) = e.goal {
            assert_eq!(c.goal, g, "{}", ctx());
        }
        if let Some(s) = e.start {
            assert_eq!(c.start, t(s), "{}", ctx());
        }
        if let Some(min) = e.elapsed_min {
            assert_eq!(c.business_elapsed.as_secs(), min * 60, "{}", ctx());
        }
        if let Some(min) = e.paused_min {
            assert_eq!(c.business_paused.as_secs(), min * 60, "{}", ctx());
        }
        if let Some(min) = e.goal_min {
            assert_eq!(c.goal_duration.as_secs(), min * 60, "{}", ctx());
        }
        if let Some(s) = e.due {
            assert_eq!(c.due_at, t(s), "{}", ctx());
        }
        if let Some(s) = e.original_due {
            assert_eq!(c.original_due_at, t(s), "{}", ctx());
        }
        if let Some(b) = e.breached_at {
            assert_eq!(c.breached_at, opt(b), "{}", ctx());
        }
        if let Some(list) = &e.thresholds {
            let actual: Vec<_> = c.thresholds.iter().map(|x| x.crossed_at).collect();
            let want: Vec<_> = list.iter().map(|x| opt(*x)).collect();
            assert_eq!(actual, want, "{}", ctx());
        }
        if let Some(n) = e.next {
            assert_eq!(c.next_event_at, opt(n), "{}", ctx());
        }
        // Whatever the scenario.
        assert_eq!(c.breached, c.breached_at.is_some(), "{}", ctx());
        if c.breached {
            assert!(c.business_remaining.is_zero(), "{}", ctx());
        } else {
            assert_eq!(
                c.business_elapsed + c.business_remaining,
                c.goal_duration,
                "{}",
                ctx()
            );
        }
        if def.goals[c.goal].due_date.is_some() {
            assert_ne!(
                c.stage,
                SlaStage::Paused,
                "{}: a due date never pauses",
                ctx()
            );
        }
    }
}

#[test]
fn warnings_a_time_before_the_due_t() {
    use SlaStage::*;
    let hour_before = json!({"warning_thresholds": [{"before_due": 3600}]});
    let cases = vec![
        Case {
            name: "an_hour_before_the_breach_round_the_clock",
            overrides: json!({"warning_thresholds": [50, {"before_due": "PT1H"}]}),
            office: false,
            events: vec![Open("2 09:00", Priority::P1)],
            now: "2 12:30",
            expected: vec![Exp {
                due: Some("2 13:00"),
                thresholds: Some(vec![Some("2 11:00"), Some("2 12:00")]),
                next: Some(Some("2 13:00")),
                ..exp(InProgress, 0, 210)
            }],
        },
        Case {
            // Friday 16:00-17:30 and Monday 09:00-11:30: due Monday 11:30.
            name: "an_hour_before_the_breach_in_working_hours",
            overrides: hour_before.clone(),
            office: true,
            events: vec![Open("6 16:00", Priority::P1)],
            now: "9 10:00",
            expected: vec![Exp {
                due: Some("9 11:30"),
                thresholds: Some(vec![None]),
                next: Some(Some("9 10:30")),
                ..exp(InProgress, 0, 150)
            }],
        },
        Case {
            name: "an_hour_before_the_breach_once_crossed",
            overrides: hour_before.clone(),
            office: true,
            events: vec![Open("6 16:00", Priority::P1)],
            now: "9 11:00",
            expected: vec![Exp {
                thresholds: Some(vec![Some("9 10:30")]),
                next: Some(Some("9 11:30")),
                ..exp(InProgress, 0, 210)
            }],
        },
        Case {
            name: "a_pause_moves_the_warning_with_the_due_instant",
            overrides: hour_before.clone(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P1),
                Hold("2 10:00"),
                Work("2 11:00"),
            ],
            now: "2 12:00",
            expected: vec![Exp {
                due: Some("2 14:00"),
                paused_min: Some(60),
                thresholds: Some(vec![None]),
                next: Some(Some("2 13:00")),
                ..exp(InProgress, 0, 120)
            }],
        },
        Case {
            // The close of business Monday is one business hour before 10:00 Tuesday
            // too, and the earliest such instant, as for a percentage.
            name: "a_warning_falling_on_an_opening_is_given_at_the_close_before",
            overrides: json!({"warning_thresholds": [{"before_due": 3600}],
                "goals": [{"duration": {"unit": "business_time", "seconds": 34200}}]}),
            office: true,
            events: vec![Open("2 09:00", Priority::P3)],
            now: "3 09:30",
            expected: vec![Exp {
                due: Some("3 10:00"),
                thresholds: Some(vec![Some("2 17:30")]),
                ..exp(InProgress, 0, 540)
            }],
        },
        Case {
            name: "a_warning_longer_than_the_goal_is_crossed_at_the_start",
            overrides: json!({"warning_thresholds": [{"before_due": "PT5H"}]}),
            office: false,
            events: vec![Open("2 09:00", Priority::P1)],
            now: "2 10:00",
            expected: vec![Exp {
                thresholds: Some(vec![Some("2 09:00")]),
                next: Some(Some("2 13:00")),
                ..exp(InProgress, 0, 60)
            }],
        },
        Case {
            // 3 h before a 4 h goal is its first hour; 75 % its third.
            name: "mixed_thresholds_fire_in_time_order_not_list_order",
            overrides: json!({"warning_thresholds": [{"before_due": 10800}, 75]}),
            office: false,
            events: vec![Open("2 09:00", Priority::P1)],
            now: "2 09:30",
            expected: vec![Exp {
                thresholds: Some(vec![None, None]),
                next: Some(Some("2 10:00")),
                ..exp(InProgress, 0, 30)
            }],
        },
        Case {
            name: "mixed_thresholds_after_the_first",
            overrides: json!({"warning_thresholds": [{"before_due": 10800}, 75]}),
            office: false,
            events: vec![Open("2 09:00", Priority::P1)],
            now: "2 11:00",
            expected: vec![Exp {
                thresholds: Some(vec![Some("2 10:00"), None]),
                next: Some(Some("2 12:00")),
                ..exp(InProgress, 0, 120)
            }],
        },
        Case {
            // P2 (8 h, due 17:00) then P1 at 10:00 (4 h, due 13:00): warned at
            // 12:00; back to P2 at 12:45, the crossing stays.
            name: "a_priority_change_moves_the_warning_and_a_crossing_stays",
            overrides: hour_before.clone(),
            office: false,
            events: vec![
                Open("2 09:00", Priority::P2),
                Prio("2 10:00", Priority::P1),
                Prio("2 12:45", Priority::P2),
            ],
            now: "2 13:00",
            expected: vec![Exp {
                due: Some("2 17:00"),
                thresholds: Some(vec![Some("2 12:00")]),
                next: Some(Some("2 17:00")),
                ..exp(InProgress, 1, 240)
            }],
        },
    ];
    for case in &cases {
        check(case);
    }
}

#[test]
fn due_date_goals() {
    use SlaStage::*;
    let due = due_sla;
    let only_due = || {
        json!({"goals": [{"due_date": {}}],
               "warning_thresholds": [50, {"before_due": "PT1H"}]})
    };
    // Opened Monday 09:00 with a due date of Tuesday 13:00: 8.5 h on
    // Monday and 4 h on Tuesday, 750 minutes. 50 % is Monday 15:15; one
    // business hour before the due instant is Tuesday 12:00.
    let opened_with_due = |extra: &[Ev]| {
        let mut v = vec![
            Open("2 09:00", Priority::P3),
            Due("2 09:00", Some("2026-03-03T13:00:00Z")),
        ];
        v.extend_from_slice(extra);
        v
    };
    let cases = vec![
        Case {
            name: "a_due_date_in_working_hours_is_the_breach",
            overrides: due(),
            office: true,
            events: opened_with_due(&[]),
            now: "3 12:30",
            expected: vec![Exp {
                goal_min: Some(750),
                due: Some("3 13:00"),
                original_due: Some("3 13:00"),
                breached_at: Some(None),
                thresholds: Some(vec![Some("2 15:15"), Some("3 12:00")]),
                next: Some(Some("3 13:00")),
                ..exp(InProgress, 0, 720)
            }],
        },
        Case {
            name: "a_due_date_goal_never_pauses",
            overrides: due(),
            office: true,
            events: opened_with_due(&[Hold("2 10:00"), Work("2 14:00"), Hold("3 09:30")]),
            now: "3 12:30",
            expected: vec![Exp {
                paused_min: Some(0),
                due: Some("3 13:00"),
                thresholds: Some(vec![Some("2 15:15"), Some("3 12:00")]),
                ..exp(InProgress, 0, 720)
            }],
        },
        Case {
            name: "resolved_before_the_due_date_is_achieved",
            overrides: due(),
            office: true,
            events: opened_with_due(&[Resolve("3 12:59")]),
            now: "3 15:00",
            expected: vec![Exp {
                breached_at: Some(None),
                ..exp(Achieved, 0, 749)
            }],
        },
        Case {
            name: "resolved_on_the_due_instant_is_breached",
            overrides: due(),
            office: true,
            events: opened_with_due(&[Resolve("3 13:00")]),
            now: "3 15:00",
            expected: vec![Exp {
                breached_at: Some(Some("3 13:00")),
                ..exp(Breached, 0, 750)
            }],
        },
        Case {
            name: "still_open_after_the_due_date_is_breached_at_it",
            overrides: due(),
            office: true,
            events: opened_with_due(&[]),
            now: "3 15:00",
            expected: vec![Exp {
                due: Some("3 13:00"),
                breached_at: Some(Some("3 13:00")),
                next: Some(None),
                ..exp(InProgress, 0, 870)
            }],
        },
        Case {
            name: "an_empty_due_date_falls_back_to_the_next_goal",
            overrides: due(),
            office: true,
            events: vec![Open("2 09:00", Priority::P3)],
            now: "2 10:00",
            expected: vec![Exp {
                due: Some("2 17:00"),
                ..exp(InProgress, 1, 60)
            }],
        },
        Case {
            name: "an_empty_string_is_no_due_date",
            overrides: due(),
            office: true,
            events: vec![Open("2 09:00", Priority::P3), Due("2 09:00", Some(""))],
            now: "2 10:00",
            expected: vec![exp(InProgress, 1, 60)],
        },
        Case {
            // Paused an hour under the 8 h fallback; at 12:00 the due date
            // (Tuesday 10:00) comes: 2 h so far and 6.5 h to it, 510 min.
            // 50 % is then 255 min, at 14:15; an hour before Tuesday 10:00
            // is the close of business Monday.
            name: "a_due_date_set_later_retargets_the_running_clock",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Hold("2 10:00"),
                Work("2 11:00"),
                Due("2 12:00", Some("2026-03-03T10:00:00Z")),
            ],
            now: "2 13:00",
            expected: vec![Exp {
                goal_min: Some(510),
                paused_min: Some(60),
                due: Some("3 10:00"),
                original_due: Some("2 17:00"),
                thresholds: Some(vec![None, None]),
                next: Some(Some("2 14:15")),
                ..exp(InProgress, 0, 180)
            }],
        },
        Case {
            name: "a_due_date_set_while_on_hold_resumes_the_clock",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Hold("2 10:00"),
                Due("2 11:00", Some("2026-03-02T16:00:00Z")),
            ],
            now: "2 12:00",
            expected: vec![Exp {
                goal_min: Some(360),
                paused_min: Some(60),
                due: Some("2 16:00"),
                ..exp(InProgress, 0, 120)
            }],
        },
        Case {
            name: "no_due_date_and_no_other_goal_means_no_clock",
            overrides: only_due(),
            office: true,
            events: vec![Open("2 09:00", Priority::P3)],
            now: "2 10:00",
            expected: vec![],
        },
        Case {
            name: "no_other_goal_the_clock_attaches_when_a_due_date_is_set",
            overrides: only_due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 11:00", Some("2026-03-02T15:00:00Z")),
            ],
            now: "2 12:00",
            expected: vec![Exp {
                start: Some("2 11:00"),
                goal_min: Some(240),
                due: Some("2 15:00"),
                ..exp(InProgress, 0, 60)
            }],
        },
        Case {
            name: "a_due_date_in_the_past_breaches_as_the_cycle_starts",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-01T12:00:00Z")),
            ],
            now: "2 10:00",
            expected: vec![Exp {
                goal_min: Some(0),
                due: Some("1 12:00"),
                breached_at: Some(Some("2 09:00")),
                thresholds: Some(vec![Some("2 09:00"), Some("2 09:00")]),
                next: Some(None),
                ..exp(InProgress, 0, 60)
            }],
        },
        Case {
            name: "a_due_date_moved_into_the_past_breaches_at_the_change",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T17:00:00Z")),
                Due("2 11:00", Some("2026-03-02T10:00:00Z")),
            ],
            now: "2 12:00",
            expected: vec![Exp {
                due: Some("2 10:00"),
                original_due: Some("2 17:00"),
                breached_at: Some(Some("2 11:00")),
                thresholds: Some(vec![Some("2 11:00"), Some("2 11:00")]),
                ..exp(InProgress, 0, 180)
            }],
        },
        Case {
            // Due 13:00 (240 min): 50 % at 11:00. Moved at 11:30 to Tuesday
            // 12:00: 150 + 360 + 180 = 690 min; the crossing at 11:00 stays,
            // and one hour before the new due instant is Tuesday 11:00.
            name: "a_due_date_moved_later_moves_the_breach_and_keeps_crossings",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T13:00:00Z")),
                Due("2 11:30", Some("2026-03-03T12:00:00Z")),
            ],
            now: "3 11:30",
            expected: vec![Exp {
                goal_min: Some(690),
                due: Some("3 12:00"),
                breached_at: Some(None),
                thresholds: Some(vec![Some("2 11:00"), Some("3 11:00")]),
                next: Some(Some("3 12:00")),
                ..exp(InProgress, 0, 660)
            }],
        },
        Case {
            // Due Saturday 10:00: 150 business minutes from Friday 15:00,
            // all used by 17:30, but the breach is the instant written.
            name: "a_due_date_outside_working_hours_is_kept_as_written",
            overrides: due(),
            office: true,
            events: vec![
                Open("6 15:00", Priority::P3),
                Due("6 15:00", Some("2026-03-07T10:00:00Z")),
            ],
            now: "6 18:00",
            expected: vec![Exp {
                goal_min: Some(150),
                due: Some("7 10:00"),
                breached_at: Some(None),
                thresholds: Some(vec![Some("6 16:15"), Some("6 16:30")]),
                next: Some(Some("7 10:00")),
                ..exp(InProgress, 0, 150)
            }],
        },
        Case {
            name: "resolved_outside_working_hours_before_the_due_date_is_achieved",
            overrides: due(),
            office: true,
            events: vec![
                Open("6 15:00", Priority::P3),
                Due("6 15:00", Some("2026-03-07T10:00:00Z")),
                Resolve("6 18:00"),
            ],
            now: "9 10:00",
            expected: vec![Exp {
                breached_at: Some(None),
                ..exp(Achieved, 0, 150)
            }],
        },
        Case {
            name: "a_due_date_outside_working_hours_breaches_when_it_passes",
            overrides: due(),
            office: true,
            events: vec![
                Open("6 15:00", Priority::P3),
                Due("6 15:00", Some("2026-03-07T10:00:00Z")),
            ],
            now: "7 11:00",
            expected: vec![Exp {
                breached_at: Some(Some("7 10:00")),
                ..exp(InProgress, 0, 150)
            }],
        },
        Case {
            name: "next_opening_moves_a_due_date_outside_working_hours",
            overrides: json!({"goals": [{"due_date": {"outside_working_hours": "next_opening"}}]}),
            office: true,
            events: vec![
                Open("6 15:00", Priority::P3),
                Due("6 15:00", Some("2026-03-07T10:00:00Z")),
            ],
            now: "7 11:00",
            expected: vec![Exp {
                due: Some("9 09:00"),
                breached_at: Some(None),
                next: Some(Some("9 09:00")),
                ..exp(InProgress, 0, 150)
            }],
        },
        Case {
            name: "next_opening_keeps_a_due_date_in_working_hours",
            overrides: json!({"goals": [{"due_date": {"outside_working_hours": "next_opening"}}]}),
            office: true,
            events: vec![
                Open("6 15:00", Priority::P3),
                Due("6 15:00", Some("2026-03-06T16:00:00Z")),
            ],
            now: "6 16:30",
            expected: vec![Exp {
                due: Some("6 16:00"),
                breached_at: Some(Some("6 16:00")),
                ..exp(InProgress, 0, 90)
            }],
        },
        Case {
            name: "a_date_without_time_is_the_end_of_that_day",
            overrides: due(),
            office: true,
            events: vec![
                Open("6 09:00", Priority::P3),
                Due("6 09:00", Some("2026-03-06")),
            ],
            now: "6 10:00",
            expected: vec![Exp {
                due: Some("7 00:00"),
                goal_min: Some(510),
                ..exp(InProgress, 0, 60)
            }],
        },
        Case {
            // London moves to BST on 29 March: that day ends at 23:00 UTC.
            name: "a_date_without_time_ends_at_local_midnight_across_dst",
            overrides: due(),
            office: true,
            events: vec![
                Open("27 09:00", Priority::P3),
                Due("27 09:00", Some("2026-03-29")),
            ],
            now: "27 10:00",
            expected: vec![Exp {
                due: Some("2026-03-29T23:00:00Z"),
                ..exp(InProgress, 0, 60)
            }],
        },
        Case {
            name: "a_cleared_due_date_keeps_the_promise_when_no_other_goal_applies",
            overrides: only_due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T15:00:00Z")),
                Due("2 10:00", None),
            ],
            now: "2 16:00",
            expected: vec![Exp {
                due: Some("2 15:00"),
                breached_at: Some(Some("2 15:00")),
                ..exp(InProgress, 0, 420)
            }],
        },
        Case {
            // On hold from 10:00, not paused under the due date; cleared at
            // 11:00, the 8 h goal pauses until 12:00. 180 min run; due
            // 13:00 + 300 min: 17:30, then 30 min on Tuesday.
            name: "a_cleared_due_date_falls_back_to_the_next_goal",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T15:00:00Z")),
                Hold("2 10:00"),
                Due("2 11:00", None),
                Work("2 12:00"),
            ],
            now: "2 13:00",
            expected: vec![Exp {
                paused_min: Some(60),
                due: Some("3 09:30"),
                thresholds: Some(vec![None, None]),
                next: Some(Some("2 14:00")),
                ..exp(InProgress, 1, 180)
            }],
        },
        Case {
            name: "shortest_takes_the_duration_when_the_due_date_is_later",
            overrides: json!({"goal_selection": "shortest", "goals": due()["goals"]}),
            office: true,
            events: opened_with_due(&[]),
            now: "2 10:00",
            expected: vec![exp(InProgress, 1, 60)],
        },
        Case {
            name: "shortest_takes_the_due_date_when_it_is_sooner",
            overrides: json!({"goal_selection": "shortest", "goals": due()["goals"]}),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T12:00:00Z")),
            ],
            now: "2 10:00",
            expected: vec![Exp {
                due: Some("2 12:00"),
                ..exp(InProgress, 0, 60)
            }],
        },
        Case {
            // Found by the oracle: the business time to the due instant is
            // used up at the close of business, the breach is still 17:32.
            name: "a_due_date_whose_business_time_is_used_up_breaches_only_when_it_passes",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T17:31:00Z")),
                Due("2 17:30", Some("2026-03-02T17:32:00Z")),
            ],
            now: "2 17:30",
            expected: vec![Exp {
                goal_min: Some(510),
                due: Some("2 17:32"),
                breached_at: Some(None),
                next: Some(Some("2 17:32")),
                ..exp(InProgress, 0, 510)
            }],
        },
        Case {
            name: "a_due_date_whose_business_time_is_used_up_breaches_when_it_passes",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 09:00", Some("2026-03-02T17:31:00Z")),
                Due("2 17:30", Some("2026-03-02T17:32:00Z")),
            ],
            now: "2 17:40",
            expected: vec![Exp {
                breached_at: Some(Some("2 17:32")),
                ..exp(InProgress, 0, 510)
            }],
        },
        Case {
            name: "a_due_date_after_now_is_not_read",
            overrides: due(),
            office: true,
            events: vec![
                Open("2 09:00", Priority::P3),
                Due("2 11:00", Some("2026-03-02T12:00:00Z")),
            ],
            now: "2 10:00",
            expected: vec![exp(InProgress, 1, 60)],
        },
    ];
    for case in &cases {
        check(case);
    }
}

/// Evaluates and expects `SlaError::InvalidTimeline` with exactly these (path, rule) pairs.
fn check_refused(name: &str, overrides: &Value, events: &[Ev], now: &str, want: &[(&str, &str)]) {
    let sla = CompiledSla::new(&definition(overrides)).unwrap();
    match evaluate(&sla, &uk_office(), &timeline(events), t(now)) {
        Err(SlaError::InvalidTimeline { problems }) => {
            let got: Vec<(&str, &str)> = problems
                .iter()
                .map(|v| (v.path.as_str(), v.rule.as_str()))
                .collect();
            assert_eq!(got, want, "{name}: {problems:#?}");
            for p in &problems {
                assert!(p.message.contains("due_at"), "{name}: {}", p.message);
            }
        }
        Err(other) => panic!("{name}: refused with another error: {other}"),
        Ok(result) if want.is_empty() => {
            assert!(!result.cycles.is_empty(), "{name}");
        }
        Ok(result) => panic!("{name}: accepted: {result:#?}"),
    }
}

#[test]
fn a_due_date_that_is_not_one_is_refused_with_its_path() {
    let open = Open("2 09:00", Priority::P3);
    let bad = "invalid_due_date";
    check_refused(
        "a_number",
        &due_sla(),
        &[open, DueValue("2 09:00", || FieldValue::Int(5))],
        "2 10:00",
        &[("events[1].to", bad)],
    );
    check_refused(
        "words_and_a_date_out_of_range_both_listed",
        &due_sla(),
        &[
            open,
            Due("2 09:00", Some("tomorrow")),
            Due("2 09:30", Some("2300-01-01T00:00:00Z")),
        ],
        "2 10:00",
        &[("events[1].to", bad), ("events[2].to", bad)],
    );
    check_refused(
        "a_bad_value_after_now_is_not_read",
        &due_sla(),
        &[open, Due("2 11:00", Some("tomorrow"))],
        "2 10:00",
        &[],
    );
    check_refused(
        "a_field_no_goal_reads_may_hold_anything",
        &json!({}),
        &[open, Due("2 09:00", Some("tomorrow"))],
        "2 10:00",
        &[],
    );
}

/// Checks the (path, rule) pairs of the errors and of the warnings of a
/// definition with `overrides`.
fn check_definition(
    name: &str,
    overrides: &Value,
    errors: &[(&str, &str)],
    warnings: &[(&str, &str)],
) {
    let report = definition(overrides).check();
    let pairs = |list: &[itsm_core::Violation]| {
        list.iter()
            .map(|v| (v.path.clone(), v.rule.clone()))
            .collect::<Vec<_>>()
    };
    let want = |list: &[(&str, &str)]| {
        list.iter()
            .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        pairs(&report.errors),
        want(errors),
        "{name}: errors {report:#?}"
    );
    assert_eq!(
        pairs(&report.warnings),
        want(warnings),
        "{name}: warnings {report:#?}"
    );
    assert_eq!(
        CompiledSla::new(&definition(overrides)).is_ok(),
        errors.is_empty(),
        "{name}"
    );
}

#[test]
fn definitions_of_due_date_goals_and_warnings_are_validated() {
    let hours = |h: u64| json!({"unit": "business_time", "seconds": h * 3600});
    check_definition("the_base_is_clean", &json!({}), &[], &[]);
    check_definition("a_due_date_sla_is_clean", &due_sla(), &[], &[]);
    check_definition(
        "a_goal_with_both_targets",
        &json!({"goals": [{"duration": hours(4), "due_date": {}}, {"duration": hours(8)}]}),
        &[("goals[0]", "goal_target")],
        &[],
    );
    check_definition(
        "a_goal_with_neither",
        &json!({"goals": [{"when": {"type": "always"}}]}),
        &[("goals[0]", "goal_target")],
        &[],
    );
    check_definition(
        "an_empty_field_name",
        &json!({"goals": [{"due_date": {"field": " "}}, {"duration": hours(8)}]}),
        &[("goals[0].due_date.field", "empty_name")],
        &[],
    );
    check_definition(
        "only_due_dates_apply_always",
        &json!({"goals": [{"due_date": {}}], "pause": null}),
        &[],
        &[("goals", "no_fallback_for_missing_due_date")],
    );
    check_definition(
        "only_due_dates_and_a_pause_condition",
        &json!({"goals": [{"due_date": {}}]}),
        &[],
        &[
            ("goals", "no_fallback_for_missing_due_date"),
            ("pause", "pause_on_due_date_goals"),
        ],
    );
    check_definition(
        "every_problem_of_the_thresholds_at_once",
        &json!({"warning_thresholds": [
            0, 50, {"before_due": "PT2H"}, {"before_due": "PT2H"}, 40, {"before_due": 0},
            {"before_due": 316_300_000}
        ]}),
        &[
            ("warning_thresholds[0]", "threshold_out_of_range"),
            (
                "warning_thresholds[3].before_due",
                "thresholds_not_increasing",
            ),
            ("warning_thresholds[4]", "thresholds_not_increasing"),
            ("warning_thresholds[5].before_due", "threshold_out_of_range"),
            ("warning_thresholds[6].before_due", "threshold_out_of_range"),
            (
                "warning_thresholds[6].before_due",
                "thresholds_not_increasing",
            ),
        ],
        &[],
    );
    check_definition(
        "too_many_thresholds",
        &json!({"warning_thresholds": (1..=101).rev().map(|s| json!({"before_due": s})).collect::<Vec<_>>()}),
        &[("warning_thresholds", "too_many_thresholds")],
        &[],
    );
    check_definition(
        "a_warning_as_long_as_a_goal",
        &json!({"warning_thresholds": [{"before_due": "PT4H"}, {"before_due": "PT1H"}]}),
        &[],
        &[(
            "warning_thresholds[0].before_due",
            "warning_before_whole_goal",
        )],
    );
}

/// Reads `text` as a definition and checks the result's `warning_thresholds`
/// written back, or a part of the error.
fn check_threshold_wire(thresholds: &str, expect: Result<&str, &str>) {
    let text = format!(
        r#"{{"name": "x", "target": "resolution", "applies_to": ["incident"],
            "goals": [{{"duration": {{"unit": "business_time", "seconds": 3600}}}}],
            "start": {{"type": "always"}}, "stop": {{"type": "never"}},
            "warning_thresholds": {thresholds}}}"#
    );
    match (SlaDefinition::from_json(&text), expect) {
        (Ok(d), Ok(written)) => assert_eq!(
            serde_json::to_string(&d.warning_thresholds).unwrap(),
            written,
            "{thresholds}"
        ),
        (Err(e), Err(part)) => {
            let message = e.to_string();
            assert!(message.contains(part), "{thresholds}: {message}");
            assert!(
                message.contains("warning_thresholds["),
                "{thresholds}: {message}"
            );
        }
        (got, want) => panic!("{thresholds}: got {got:?}, expected {want:?}"),
    }
}

#[test]
fn thresholds_read_as_bare_percentages_or_objects() {
    check_threshold_wire("[50, 75, 90]", Ok("[50,75,90]"));
    check_threshold_wire(r#"[{"percent": 50}]"#, Ok("[50]"));
    check_threshold_wire(
        r#"[{"before_due": "PT1H30M"}]"#,
        Ok(r#"[{"before_due":5400}]"#),
    );
    check_threshold_wire(
        r#"[{"before_due": 60}, 80]"#,
        Ok(r#"[{"before_due":60},80]"#),
    );
    check_threshold_wire("[300]", Err("invalid value: integer `300`"));
    check_threshold_wire("[-1]", Err("invalid value: integer `-1`"));
    check_threshold_wire(r#"[{"befor_due": 60}]"#, Err("did you mean `before_due`?"));
    check_threshold_wire(r#"[{"percent": 5, "before_due": 60}]"#, Err("not both"));
    check_threshold_wire("[{}]", Err("missing field"));
    check_threshold_wire(r#"[{"before_due": "P1D"}]"#, Err("days"));
    check_threshold_wire(r#"["50"]"#, Err("a whole percentage"));
}

#[test]
fn due_date_goals_read_and_write_their_wire_form() {
    let d = definition(
        &json!({"goals": [{"due_date": {}}, {"due_date": {"field": "u_negotiated_due", "outside_working_hours": "next_opening"}}]}),
    );
    let written = serde_json::to_value(&d).unwrap();
    assert_eq!(
        written["goals"],
        json!([
            {"when": {"type": "always"}, "due_date": {"field": "due_at", "outside_working_hours": "keep"}},
            {"when": {"type": "always"}, "due_date": {"field": "u_negotiated_due", "outside_working_hours": "next_opening"}}
        ])
    );
    assert_eq!(SlaDefinition::from_json(&written.to_string()).unwrap(), d);
    let text = json!({"name": "x", "target": "resolution", "applies_to": ["incident"],
        "goals": [{"due_date": {"feild": "due_at"}}],
        "start": {"type": "always"}, "stop": {"type": "never"}})
    .to_string();
    let message = SlaDefinition::from_json(&text).unwrap_err().to_string();
    assert!(
        message.contains("goals[0].due_date") && message.contains("did you mean `field`?"),
        "{message}"
    );
}

#[test]
fn stored_threshold_crossings_keep_reading() {
    // As clocks were stored before time-before thresholds existed.
    let old = r#"{"percent": 50, "crossed_at": "2026-03-02T11:00:00Z"}"#;
    let read: itsm_sla::ThresholdCrossing = serde_json::from_str(old).unwrap();
    assert_eq!(read.threshold, itsm_sla::WarningThreshold::Percent(50));
    assert_eq!(serde_json::to_string(&read).unwrap(), old.replace(' ', ""));
    let new = r#"{"before_due":3600,"crossed_at":null}"#;
    let read: itsm_sla::ThresholdCrossing = serde_json::from_str(new).unwrap();
    assert_eq!(serde_json::to_string(&read).unwrap(), new);
    assert!(serde_json::from_str::<itsm_sla::ThresholdCrossing>(r#"{"crossed_at":null}"#).is_err());
}

#[test]
fn explanations_name_the_due_date_changes() {
    let sla = CompiledSla::new(&definition(&due_sla())).unwrap();
    let events = [
        Open("2 09:00", Priority::P3),
        Hold("2 10:00"),
        Due("2 11:00", Some("2026-03-02T16:00:00Z")),
        Due("2 13:00", Some("2026-03-02T15:00:00Z")),
    ];
    let explanation = explain(&sla, &uk_office(), &timeline(&events), t("2 14:00")).unwrap();
    let line = |s: &itsm_sla::ExplanationSegment| {
        let b = |b: &itsm_sla::SegmentBoundary| {
            let causes: Vec<String> = b.causes.iter().map(ToString::to_string).collect();
            let events: Vec<String> = b
                .events
                .iter()
                .map(|e| format!("{}:{}", e.index, e.kind))
                .collect();
            format!("{}[{}]", causes.join("+"), events.join(","))
        };
        format!(
            "{} {}-{} {} -> {}",
            s.kind,
            s.from.format("%H:%M"),
            s.to.format("%H:%M"),
            b(&s.from_cause),
            b(&s.to_cause)
        )
    };
    let lines: Vec<String> = explanation.cycles[0].segments.iter().map(line).collect();
    assert_eq!(
        lines,
        [
            "running 09:00-10:00 started[0:created] -> paused[1:state_changed]",
            "paused 10:00-11:00 paused[1:state_changed] -> goal_changed+resumed[2:field_changed]",
            "running 11:00-13:00 goal_changed+resumed[2:field_changed] -> due_date_changed[3:field_changed]",
            "running 13:00-14:00 due_date_changed[3:field_changed] -> evaluated[]",
        ]
    );
}
