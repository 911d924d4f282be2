//! What-if: a record's clock evaluated again under another definition,
//! another calendar or an edited timeline, side by side with the baseline.
//! Scenarios through one `check` helper, refusals through `check_refused`,
//! the edited timelines through `check_edited`, and laws.
//!
//! Early March 2026: London is on GMT (UTC = local time); Monday is the 2nd.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    CommentVisibility, Priority, RecordKind, StateCategory, Timeline, TimelineChange, TimelineEvent,
};
use itsm_sla::{
    BusinessCalendar, CompiledSla, SlaDefinition, SlaError, SlaStage, TimelineEdit, WhatIf,
    WhatIfReport, compare_evaluations, edit_timeline, what_if,
};
use proptest::prelude::*;
use serde_json::{Value, json};

#[path = "support/story.rs"]
mod story;
use Ev::*;
use story::{Ev, t, uk_office};

/// The incident's timeline: a hold gives no reason.
fn timeline(events: &[Ev]) -> Timeline {
    story::timeline(events, None)
}

fn calendar_json(holiday: Option<&str>) -> Value {
    let day = json!([{"start": "09:00", "end": "17:30"}]);
    json!({
        "name": "uk-office", "time_zone": "Europe/London",
        "week": {"monday": day, "tuesday": day, "wednesday": day, "thursday": day, "friday": day},
        "holidays": holiday.map_or(json!([]), |d| json!([{"date": d, "name": "a day off"}]))
    })
}

/// Resolution on `uk-office`: P1 4 h, otherwise 8 h; pauses on hold.
fn definition(overrides: &Value) -> Value {
    let mut base = json!({
        "name": "resolution", "target": "resolution", "applies_to": ["incident"],
        "calendar": "uk-office",
        "goals": [
            {"when": {"type": "priority", "any_of": ["p1"]},
             "duration": {"unit": "business_time", "seconds": 14400}},
            {"duration": {"unit": "business_time", "seconds": 28800}}
        ],
        "start": {"type": "category", "any_of": ["new", "open", "paused"]},
        "stop": {"type": "category", "any_of": ["resolved", "closed"]},
        "pause": {"type": "category", "any_of": ["paused"]}
    });
    for (key, value) in overrides.as_object().unwrap() {
        base[key] = value.clone();
    }
    base
}

/// Runs a what-if given as JSON on the baseline definition with `overrides`.
fn run(
    overrides: &Value,
    events: &[Ev],
    now: &str,
    alternative: &Value,
) -> Result<WhatIfReport, SlaError> {
    let sla =
        CompiledSla::new(&SlaDefinition::from_json(&definition(overrides).to_string()).unwrap())
            .unwrap();
    let alternative = WhatIf::from_json(&alternative.to_string())?;
    what_if(&sla, &uk_office(), &timeline(events), t(now), &alternative)
}

/// What one cycle of the difference should say; `None` fields are not checked.
#[derive(Clone, Debug, Default)]
struct Diff {
    stages: Option<(Option<SlaStage>, Option<SlaStage>)>,
    breached_changed: Option<bool>,
    goal_changed: Option<bool>,
    due_moved_min: Option<Option<i64>>,
    elapsed_delta_min: Option<Option<i64>>,
    paused_delta_min: Option<Option<i64>>,
}

fn stages(before: SlaStage, after: SlaStage) -> Diff {
    Diff {
        stages: Some((Some(before), Some(after))),
        ..Diff::default()
    }
}

/// Checks a what-if: whether anything changed, the verdicts, and each cycle.
#[allow(clippy::too_many_arguments)]
fn check(
    name: &str,
    overrides: &Value,
    events: &[Ev],
    now: &str,
    alternative: &Value,
    changed: bool,
    breached: (bool, bool),
    cycles: &[Diff],
) {
    let report = run(overrides, events, now, alternative).unwrap_or_else(|e| panic!("{name}: {e}"));
    let d = &report.difference;
    let ctx = || format!("{name}: {report:#?}");
    assert_eq!(d.changed, changed, "{}", ctx());
    assert_eq!(
        (d.breached_in_baseline, d.breached_in_alternative),
        breached,
        "{}",
        ctx()
    );
    assert_eq!(d.cycles.len(), cycles.len(), "{}", ctx());
    for (c, e) in d.cycles.iter().zip(cycles) {
        if let Some(s) = e.stages {
            assert_eq!((c.baseline_stage, c.alternative_stage), s, "{}", ctx());
            assert_eq!(c.stage_changed, s.0 != s.1, "{}", ctx());
        }
        if let Some(b) = e.breached_changed {
            assert_eq!(c.breached_changed, b, "{}", ctx());
        }
        if let Some(g) = e.goal_changed {
            assert_eq!(c.goal_changed, g, "{}", ctx());
        }
        let min = |s: Option<i64>| s.map(|s| s / 60);
        if let Some(m) = e.due_moved_min {
            assert_eq!(min(c.due_moved_secs), m, "{}", ctx());
        }
        if let Some(m) = e.elapsed_delta_min {
            assert_eq!(min(c.business_elapsed_delta_secs), m, "{}", ctx());
        }
        if let Some(m) = e.paused_delta_min {
            assert_eq!(min(c.business_paused_delta_secs), m, "{}", ctx());
        }
    }
    // The report is the two evaluations and their difference.
    assert_eq!(
        compare_evaluations(&report.baseline, &report.alternative),
        report.difference
    );
    assert_eq!(
        report.edited_timeline.is_some(),
        alternative.get("edits").is_some()
    );
    let json = serde_json::to_string(&report).unwrap();
    assert_eq!(
        serde_json::from_str::<WhatIfReport>(&json).unwrap(),
        report,
        "{name}"
    );
}

#[test]
fn what_ifs_side_by_side() {
    use SlaStage::*;
    let four_hours = definition(&json!({
        "name": "resolution-4h",
        "goals": [{"duration": {"unit": "business_time", "seconds": 14400}}]
    }));
    // Resolved after 6 h: achieved under 8 h, breached under 4 h at 13:00.
    check(
        "would_we_have_breached_under_the_new_sla",
        &json!({}),
        &[Open("2 09:00", Priority::P3), Resolve("2 15:00")],
        "2 16:00",
        &json!({"definition": four_hours}),
        true,
        (false, true),
        &[Diff {
            breached_changed: Some(true),
            due_moved_min: Some(Some(-240)),
            elapsed_delta_min: Some(Some(0)),
            ..stages(Achieved, Breached)
        }],
    );
    // P1, resolved at 13:30, breached at 13:00; on hold 10:00-11:00 it is
    // due at 14:00 and achieved.
    check(
        "had_it_been_on_hold",
        &json!({}),
        &[
            Open("2 09:00", Priority::P1),
            Work("2 09:05"),
            Resolve("2 13:30"),
        ],
        "2 14:00",
        &json!({"edits": [{"type": "hold", "from": "2026-03-02T10:00:00Z", "to": "2026-03-02T11:00:00Z",
                           "reason": "awaiting_caller"}]}),
        true,
        (true, false),
        &[Diff {
            breached_changed: Some(true),
            due_moved_min: Some(Some(60)),
            elapsed_delta_min: Some(Some(-60)),
            paused_delta_min: Some(Some(60)),
            ..stages(Breached, Achieved)
        }],
    );
    check(
        "had_the_priority_changed",
        &json!({}),
        &[Open("2 09:00", Priority::P3), Resolve("2 14:00")],
        "2 15:00",
        &json!({"edits": [{"type": "priority", "at": "2026-03-02T10:00:00Z", "to": "p1"}]}),
        true,
        (false, true),
        &[Diff {
            goal_changed: Some(true),
            due_moved_min: Some(Some(-240)),
            ..stages(Achieved, Breached)
        }],
    );
    // A holiday on Monday: nothing counts until Tuesday, due a day later.
    check(
        "had_monday_been_a_holiday",
        &json!({}),
        &[Open("2 09:00", Priority::P1)],
        "2 12:00",
        &json!({"calendar": calendar_json(Some("2026-03-02"))}),
        true,
        (false, false),
        &[Diff {
            due_moved_min: Some(Some(24 * 60)),
            elapsed_delta_min: Some(Some(-180)),
            ..stages(InProgress, InProgress)
        }],
    );
    // Reopened: two cycles; without the reopening, one.
    check(
        "had_it_not_been_reopened",
        &json!({}),
        &[
            Open("2 09:00", Priority::P3),
            Resolve("2 10:00"),
            Work("2 11:00"),
            Resolve("2 12:00"),
        ],
        "2 13:00",
        &json!({"edits": [{"type": "remove", "index": 3}, {"type": "remove", "index": 2}]}),
        true,
        (false, false),
        &[
            stages(Achieved, Achieved),
            Diff {
                due_moved_min: Some(None),
                ..Diff {
                    stages: Some((Some(Achieved), None)),
                    ..Diff::default()
                }
            },
        ],
    );
    check(
        "a_what_if_that_changes_nothing",
        &json!({}),
        &[Open("2 09:00", Priority::P3), Comment("2 10:00")],
        "2 11:00",
        &json!({"definition": definition(&json!({})), "edits": [{"type": "remove", "index": 1}]}),
        false,
        (false, false),
        &[Diff {
            due_moved_min: Some(Some(0)),
            elapsed_delta_min: Some(Some(0)),
            paused_delta_min: Some(Some(0)),
            goal_changed: Some(false),
            ..stages(InProgress, InProgress)
        }],
    );
    // A negotiated due date had it been agreed at opening.
    let due = definition(&json!({
        "name": "resolution-due",
        "goals": [{"due_date": {}}, {"duration": {"unit": "business_time", "seconds": 28800}}]
    }));
    let base_due = json!({"name": "resolution-due", "goals": due["goals"]});
    check(
        "had_a_due_date_been_agreed",
        &base_due,
        &[Open("2 09:00", Priority::P3), Resolve("2 16:00")],
        "2 17:00",
        &json!({"edits": [{"type": "field", "at": "2026-03-02T09:00:00Z", "field": "due_at",
                           "to": "2026-03-02T12:00:00Z"}]}),
        true,
        (false, true),
        &[Diff {
            goal_changed: Some(true),
            due_moved_min: Some(Some(-300)),
            ..stages(Achieved, Breached)
        }],
    );
}

/// Expects `SlaError::InvalidWhatIf` with exactly these (path, rule) pairs.
fn check_refused(name: &str, events: &[Ev], alternative: &Value, want: &[(&str, &str)]) {
    match run(&json!({}), events, "2 18:00", alternative) {
        Err(SlaError::InvalidWhatIf { problems }) => {
            let got: Vec<(&str, &str)> = problems
                .iter()
                .map(|v| (v.path.as_str(), v.rule.as_str()))
                .collect();
            assert_eq!(got, want, "{name}: {problems:#?}");
        }
        other => panic!("{name}: expected a refusal, got {other:#?}"),
    }
}

#[test]
fn what_ifs_that_do_not_fit_are_refused_with_every_problem_and_its_path() {
    let worked = [
        Open("2 09:00", Priority::P3),
        Work("2 09:30"),
        Resolve("2 15:00"),
    ];
    let hold = |from: &str, to: Option<&str>| {
        json!({"type": "hold", "from": format!("2026-03-02T{from}:00Z"),
               "to": to.map(|to| format!("2026-03-02T{to}:00Z"))})
    };
    check_refused(
        "a_hold_across_a_state_change",
        &worked,
        &json!({"edits": [hold("09:00", Some("10:00"))]}),
        &[("edits[0]", "hold_across_state_change")],
    );
    check_refused(
        "a_hold_with_no_end_across_the_resolution",
        &worked,
        &json!({"edits": [hold("10:00", None)]}),
        &[("edits[0]", "hold_across_state_change")],
    );
    check_refused(
        "a_hold_of_a_record_already_on_hold",
        &[Open("2 09:00", Priority::P3), Hold("2 09:30")],
        &json!({"edits": [hold("10:00", Some("11:00"))]}),
        &[("edits[0].from", "not_holdable")],
    );
    check_refused(
        "a_hold_of_a_resolved_record",
        &worked,
        &json!({"edits": [hold("16:00", Some("17:00"))]}),
        &[("edits[0].from", "not_holdable")],
    );
    check_refused(
        "edits_before_the_opening",
        &worked,
        &json!({"edits": [hold("08:00", Some("08:30")),
                          {"type": "priority", "at": "2026-03-01T10:00:00Z", "to": "p1"}]}),
        &[
            ("edits[0].from", "before_opened"),
            ("edits[1].at", "before_opened"),
        ],
    );
    check_refused(
        "every_problem_at_once",
        &worked,
        &json!({
            "definition": definition(&json!({"goals": [{"duration": {"unit": "calendar_days", "days": 0}}]})),
            "calendar": {"name": "uk-office", "time_zone": "Mars/Olympus"},
            "edits": [hold("11:00", Some("10:00")), {"type": "field", "at": "2026-03-02T10:00:00Z", "field": "", "to": null},
                      {"type": "remove", "index": 1}, {"type": "remove", "index": 1}]
        }),
        &[
            ("definition.goals[0].duration", "zero_duration"),
            ("calendar.time_zone", "unknown_time_zone"),
            ("calendar.week", "no_working_time"),
            ("edits[0].to", "hold_ends_before_it_begins"),
            ("edits[1].field", "empty_name"),
            ("edits[3].index", "removed_twice"),
        ],
    );
    check_refused(
        "a_removal_out_of_range",
        &worked,
        &json!({"edits": [{"type": "remove", "index": 9}]}),
        &[("edits[0].index", "no_such_event")],
    );
    check_refused(
        "an_inserted_state_change_from_the_wrong_state",
        &worked,
        &json!({"edits": [{"type": "insert", "event": {"at": "2026-03-02T10:00:00Z", "type": "state_changed",
            "from": "new", "from_category": "new", "to": "on_hold", "to_category": "paused"}}]}),
        &[("edits[0]", "state_mismatch"), ("edits", "state_mismatch")],
    );
    check_refused(
        "a_removal_that_leaves_a_later_event_dangling",
        &worked,
        &json!({"edits": [{"type": "remove", "index": 1}]}),
        &[("edits", "state_mismatch")],
    );
}

#[test]
fn what_if_documents_refuse_unknown_fields_with_their_path() {
    for (text, path, part) in [
        (json!({"edtis": []}), "edtis", "did you mean `edits`?"),
        (
            json!({"edits": [{"type": "hold", "fromm": "2026-03-02T10:00:00Z"}]}),
            "edits[0]",
            "did you mean `from`?",
        ),
        (json!({"edits": [{"type": "holdd"}]}), "edits[0]", "holdd"),
    ] {
        let err = WhatIf::from_json(&text.to_string()).unwrap_err();
        let SlaError::Json { path: got, message } = &err else {
            panic!("{text}: {err}")
        };
        assert!(got.starts_with(path), "{text}: {got}");
        assert!(message.contains(part), "{text}: {message}");
    }
}

/// Applies the edits and checks the edited timeline as one line per event.
fn check_edited(name: &str, events: &[Ev], edits: &Value, want: &[&str]) {
    let edits: Vec<TimelineEdit> = serde_json::from_value(edits.clone()).unwrap();
    let edited = edit_timeline(&timeline(events), &edits).unwrap_or_else(|e| panic!("{name}: {e}"));
    let lines: Vec<String> = edited
        .events
        .iter()
        .map(|e| {
            let what = match &e.change {
                TimelineChange::Created { priority, .. } => format!("created {priority:?}"),
                TimelineChange::StateChanged {
                    from, to, reason, ..
                } => {
                    format!(
                        "{from}->{to}{}",
                        reason
                            .as_ref()
                            .map(|r| format!(" ({r})"))
                            .unwrap_or_default()
                    )
                }
                TimelineChange::PriorityChanged { from, to } => {
                    format!("priority {from:?}->{to:?}")
                }
                TimelineChange::FieldChanged { field, from, to } => {
                    format!("{field} {from:?}->{to:?}")
                }
                TimelineChange::CommentAdded { .. } => "comment".to_owned(),
                other => format!("{other:?}"),
            };
            format!("{} {what}", e.at.format("%H:%M"))
        })
        .collect();
    assert_eq!(lines, want, "{name}");
    assert!(
        edited.validate().is_empty(),
        "{name}: {:?}",
        edited.validate()
    );
}

#[test]
fn edits_keep_the_timeline_coherent() {
    check_edited(
        "a_hold_returns_to_the_state_it_left_around_the_events_of_its_instants",
        &[
            Open("2 09:00", Priority::P3),
            Work("2 09:30"),
            Comment("2 10:00"),
            Resolve("2 12:00"),
        ],
        &json!([{"type": "hold", "from": "2026-03-02T10:00:00Z", "to": "2026-03-02T12:00:00Z", "reason": "awaiting_vendor"}]),
        &[
            "09:00 created Some(P3)",
            "09:30 new->in_progress",
            "10:00 comment",
            "10:00 in_progress->on_hold (awaiting_vendor)",
            "12:00 on_hold->in_progress",
            "12:00 in_progress->resolved",
        ],
    );
    check_edited(
        "a_priority_change_and_the_next_one_starts_from_it",
        &[Open("2 09:00", Priority::P3), Prio("2 11:00", Priority::P2)],
        &json!([{"type": "priority", "at": "2026-03-02T10:00:00Z", "to": "p1"}]),
        &[
            "09:00 created Some(P3)",
            "10:00 priority Some(P3)->P1",
            "11:00 priority Some(P1)->P2",
        ],
    );
    check_edited(
        "a_field_names_the_value_it_replaces",
        &[Open("2 09:00", Priority::P3)],
        &json!([{"type": "field", "at": "2026-03-02T09:00:00Z", "field": "due_at", "to": "2026-03-03"},
                {"type": "field", "at": "2026-03-02T09:30:00Z", "field": "due_at", "to": null}]),
        &[
            "09:00 created Some(P3)",
            "09:00 due_at Null->String(\"2026-03-03\")",
            "09:30 due_at String(\"2026-03-03\")->Null",
        ],
    );
}

fn arb_events() -> impl Strategy<Value = (DateTime<Utc>, Vec<(i64, u8)>)> {
    (
        (0i64..60 * 24 * 60).prop_map(|m| {
            Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + Duration::minutes(m)
        }),
        prop::collection::vec((1i64..600, 0u8..5), 0..8),
    )
}

/// A timeline of work, holds, priority changes and comments.
fn arb_timeline(start: DateTime<Utc>, steps: &[(i64, u8)]) -> Timeline {
    let mut at = start;
    let mut events = vec![TimelineEvent {
        at,
        actor: None,
        change: TimelineChange::Created {
            record_kind: RecordKind::Incident,
            state: "new".into(),
            category: StateCategory::New,
            priority: Some(Priority::P3),
            assignment_group: None,
            assignee: None,
        },
    }];
    let mut state = ("new", StateCategory::New);
    for (gap, kind) in steps {
        at += Duration::minutes(*gap);
        let change = match kind {
            0 | 1 => {
                let to = if *kind == 0 {
                    ("in_progress", StateCategory::Open)
                } else {
                    ("on_hold", StateCategory::Paused)
                };
                let change = TimelineChange::StateChanged {
                    from: state.0.into(),
                    from_category: state.1,
                    to: to.0.into(),
                    to_category: to.1,
                    reason: None,
                };
                state = to;
                change
            }
            2 => TimelineChange::PriorityChanged {
                from: None,
                to: Priority::P1,
            },
            _ => TimelineChange::CommentAdded {
                visibility: CommentVisibility::WorkNote,
                text: "note".into(),
            },
        };
        events.push(TimelineEvent {
            at,
            actor: None,
            change,
        });
    }
    Timeline { events }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Nothing asked, nothing changed; and the difference of two
    /// evaluations is the opposite of the difference the other way round.
    #[test]
    fn an_empty_what_if_changes_nothing_and_differences_are_antisymmetric(
        (start, steps) in arb_events(), tail in 0i64..3 * 24 * 60,
        hold_from in 0i64..3 * 24 * 60, hold_len in 1i64..600,
    ) {
        let tl = arb_timeline(start, &steps);
        let now = tl.events.last().unwrap().at + Duration::minutes(tail);
        let sla = CompiledSla::new(&SlaDefinition::from_json(&definition(&json!({})).to_string()).unwrap()).unwrap();
        let cal = uk_office();
        let same = what_if(&sla, &cal, &tl, now, &WhatIf::default()).unwrap();
        prop_assert!(!same.difference.changed);
        prop_assert_eq!(&same.baseline, &same.alternative);
        // A hold, when it fits, never adds business elapsed time.
        let from = start + Duration::minutes(hold_from);
        let hold = WhatIf {
            edits: vec![TimelineEdit::Hold {
                from,
                to: Some(from + Duration::minutes(hold_len)),
                state: "on_hold".into(),
                reason: None,
            }],
            ..WhatIf::default()
        };
        if let Ok(report) = what_if(&sla, &cal, &tl, now, &hold) {
            prop_assert_eq!(report.baseline.cycles.len(), report.alternative.cycles.len());
            for d in &report.difference.cycles {
                prop_assert!(d.business_elapsed_delta_secs.unwrap() <= 0);
                prop_assert!(d.business_paused_delta_secs.unwrap() >= 0);
                prop_assert_eq!(
                    d.business_elapsed_delta_secs.unwrap() + d.business_paused_delta_secs.unwrap(), 0
                );
            }
            let back = compare_evaluations(&report.alternative, &report.baseline);
            for (x, y) in report.difference.cycles.iter().zip(&back.cycles) {
                prop_assert_eq!(x.due_moved_secs.map(|s| -s), y.due_moved_secs);
                prop_assert_eq!(x.business_elapsed_delta_secs.map(|s| -s), y.business_elapsed_delta_secs);
                prop_assert_eq!(x.stage_changed, y.stage_changed);
            }
            prop_assert!(report.edited_timeline.unwrap().validate().is_empty());
            // The what-if and its report read back to themselves.
            let json = serde_json::to_string(&hold).unwrap();
            prop_assert_eq!(WhatIf::from_json(&json).unwrap(), hold);
        }
    }
}

fn arb_edit() -> impl Strategy<Value = TimelineEdit> {
    let at = (0i64..4_000_000_000).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap());
    prop_oneof![
        (
            at.clone(),
            prop::option::of(at.clone()),
            "[a-z_]{0,10}",
            prop::option::of("[a-z_]{1,10}")
        )
            .prop_map(|(from, to, state, reason)| TimelineEdit::Hold {
                from,
                to,
                state,
                reason
            }),
        (at.clone(), 0usize..6).prop_map(|(at, p)| TimelineEdit::Priority {
            at,
            to: Priority::ALL[p]
        }),
        (at.clone(), "[a-z_]{0,10}", prop::option::of("[0-9-]{0,12}")).prop_map(
            |(at, field, to)| {
                TimelineEdit::Field {
                    at,
                    field,
                    to: to.map_or(itsm_core::FieldValue::Null, Into::into),
                }
            }
        ),
        (at, 0usize..6).prop_map(|(at, p)| TimelineEdit::Insert {
            event: TimelineEvent {
                at,
                actor: None,
                change: TimelineChange::PriorityChanged {
                    from: None,
                    to: Priority::ALL[p]
                },
            },
        }),
        (0usize..1_000).prop_map(|index| TimelineEdit::Remove { index }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Every what-if document reads back to itself, and checking one never
    /// panics, whatever its edits.
    #[test]
    fn what_if_documents_round_trip_losslessly(
        edits in prop::collection::vec(arb_edit(), 0..6), with_definition in any::<bool>(),
        with_calendar in any::<bool>(),
    ) {
        let doc = WhatIf {
            definition: with_definition
                .then(|| SlaDefinition::from_json(&definition(&json!({})).to_string()).unwrap()),
            calendar: with_calendar
                .then(|| BusinessCalendar::from_json(&calendar_json(Some("2026-03-02")).to_string()).unwrap()),
            edits,
        };
        let json = serde_json::to_string(&doc).unwrap();
        prop_assert_eq!(WhatIf::from_json(&json).unwrap(), doc.clone());
        let _ = doc.check();
        let _ = edit_timeline(&timeline(&[Open("2 09:00", Priority::P3), Work("2 10:00")]), &doc.edits);
    }
}
