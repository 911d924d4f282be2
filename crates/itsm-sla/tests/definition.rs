//! SLA definitions: validation (every error at once, with paths), the trap
//! warnings, the wire form of every enum, and lossless round trips.

use itsm_core::{GroupId, Priority, RecordKind, StateCategory, Validate};
use itsm_sla::{
    BusinessDuration, CompiledSla, Condition, DeadlineKind, DurationSpec, EventPattern,
    GoalSelection, SegmentKind, SlaDefinition, SlaError, SlaGoal, SlaKind, SlaStage, SlaTarget,
};
use proptest::prelude::*;
use strum::IntoEnumIterator;

fn base() -> SlaDefinition {
    SlaDefinition {
        name: "incident-resolution".into(),
        kind: SlaKind::Sla,
        target: SlaTarget::Resolution,
        applies_to: vec![RecordKind::Incident],
        goals: vec![
            SlaGoal {
                when: Condition::priority(&[Priority::P1]),
                duration: Some(DurationSpec::BusinessTime {
                    seconds: BusinessDuration::from_hours(4),
                }),
                due_date: None,
            },
            SlaGoal {
                when: Condition::Always,
                duration: Some(DurationSpec::WorkingDays {
                    days: 3,
                    end_of_working_day: true,
                }),
                due_date: None,
            },
        ],
        goal_selection: GoalSelection::FirstMatch,
        calendar: Some("uk-office".into()),
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

/// Checks the (path, rule) pairs of the errors and of the warnings.
fn check(
    case: &str,
    definition: &SlaDefinition,
    errors: &[(&str, &str)],
    warnings: &[(&str, &str)],
) {
    let report = definition.check();
    let got = |list: &[itsm_core::Violation]| -> Vec<(String, String)> {
        list.iter()
            .map(|v| (v.path.clone(), v.rule.clone()))
            .collect()
    };
    let want = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
            .collect()
    };
    assert_eq!(
        got(&report.errors),
        want(errors),
        "{case}: errors; report: {report:#?}"
    );
    assert_eq!(
        got(&report.warnings),
        want(warnings),
        "{case}: warnings; report: {report:#?}"
    );
    assert_eq!(definition.validate(), report.errors, "{case}");
    match CompiledSla::new(definition) {
        Ok(_) => assert!(errors.is_empty(), "{case}: compiled despite errors"),
        Err(SlaError::InvalidDefinition { problems, .. }) => {
            assert_eq!(problems, report.errors, "{case}")
        }
        Err(other) => panic!("{case}: unexpected error {other}"),
    }
}

fn deep(depth: usize) -> Condition {
    let mut c = Condition::Always;
    for _ in 0..depth {
        c = Condition::Not { not: Box::new(c) };
    }
    c
}

/// Name, definition, expected (path, rule) errors, expected (path, rule) warnings.
type Case<'a> = (
    &'a str,
    SlaDefinition,
    Vec<(&'a str, &'a str)>,
    Vec<(&'a str, &'a str)>,
);

#[test]
fn validation_table() {
    let g7 = GroupId::from_u128(7);
    // The first level past the limit: `cancel` is level 1.
    let too_deep_path = format!("cancel{}", ".not".repeat(itsm_sla::MAX_CONDITION_DEPTH));
    let cases: Vec<Case> = vec![
        ("valid", base(), vec![], vec![]),
        (
            "every_problem_at_once",
            SlaDefinition {
                name: " ".into(),
                applies_to: vec![],
                goals: vec![SlaGoal {
                    when: Condition::Always,
                    duration: Some(DurationSpec::CalendarDays { days: 0 }),
                    due_date: None,
                }],
                warning_thresholds: percents(&[0, 75, 75, 100]),
                start: Condition::State { any_of: vec![] },
                retroactive_pause: true,
                ..base()
            },
            vec![
                ("name", "empty_name"),
                ("applies_to", "empty_list"),
                ("goals[0].duration", "zero_duration"),
                ("warning_thresholds[0]", "threshold_out_of_range"),
                ("warning_thresholds[2]", "thresholds_not_increasing"),
                ("warning_thresholds[3]", "threshold_out_of_range"),
                ("start.any_of", "empty_list"),
                ("retroactive_pause", "retroactive_pause_without_start"),
            ],
            vec![],
        ),
        (
            "no_goal",
            SlaDefinition {
                goals: vec![],
                ..base()
            },
            vec![("goals", "empty_list")],
            vec![],
        ),
        (
            "empty_custom_target_and_calendar",
            SlaDefinition {
                target: SlaTarget::Custom(String::new()),
                calendar: Some(String::new()),
                ..base()
            },
            vec![("target.custom", "empty_name"), ("calendar", "empty_name")],
            vec![],
        ),
        (
            "nested_problems_have_paths",
            SlaDefinition {
                stop: Condition::Any {
                    any: vec![
                        Condition::Always,
                        Condition::All {
                            all: vec![Condition::Field {
                                field: String::new(),
                                any_of: vec![],
                            }],
                        },
                    ],
                },
                pause: Condition::Happened {
                    event: EventPattern::FieldChanged { field: " ".into() },
                },
                ..base()
            },
            vec![
                ("stop.any[1].all[0].field", "empty_name"),
                ("stop.any[1].all[0].any_of", "empty_list"),
                ("pause.event.field", "empty_name"),
            ],
            vec![],
        ),
        (
            "too_deep",
            SlaDefinition {
                cancel: deep(40),
                ..base()
            },
            vec![(too_deep_path.as_str(), "condition_too_deep")],
            vec![],
        ),
        (
            "too_many_conditions",
            SlaDefinition {
                reset: Condition::Any {
                    any: vec![Condition::Never; 5_000],
                },
                ..base()
            },
            vec![(".", "too_many_conditions")],
            vec![],
        ),
        (
            // A goal past the calendars' reach once passed validation and
            // then failed every evaluation of the ticket.
            "goals_longer_than_ten_years",
            SlaDefinition {
                goals: vec![
                    SlaGoal {
                        duration: Some(DurationSpec::BusinessTime {
                            seconds: BusinessDuration::from_secs(3_661 * 86_400),
                        }),
                        ..base().goals[0].clone()
                    },
                    SlaGoal {
                        duration: Some(DurationSpec::WorkingDays {
                            days: 3_661,
                            end_of_working_day: false,
                        }),
                        ..base().goals[0].clone()
                    },
                    SlaGoal {
                        duration: Some(DurationSpec::CalendarDays { days: 3_660 }),
                        ..base().goals[0].clone()
                    },
                ],
                ..base()
            },
            vec![
                ("goals[0].duration", "goal_too_long"),
                ("goals[1].duration", "goal_too_long"),
            ],
            vec![],
        ),
        (
            // 65,534 names once collided with the compiled program's
            // "any other state" number: a leaf's names count too.
            "too_many_names_in_one_leaf",
            SlaDefinition {
                stop: Condition::State {
                    any_of: (0..70_000).map(|i| format!("s{i}")).collect(),
                },
                ..base()
            },
            vec![(".", "too_many_conditions")],
            vec![],
        ),
        (
            "names_within_the_bound",
            SlaDefinition {
                stop: Condition::Any {
                    any: vec![
                        Condition::State {
                            any_of: (0..4_000).map(|i| format!("s{i}")).collect(),
                        },
                        Condition::Category {
                            any_of: vec![StateCategory::Closed],
                        },
                    ],
                },
                ..base()
            },
            vec![],
            vec![],
        ),
        (
            "too_many_goals",
            SlaDefinition {
                goals: vec![base().goals[0].clone(); 5_000],
                ..base()
            },
            vec![(".", "too_many_conditions")],
            vec![],
        ),
        (
            "start_within_stop_never_attaches",
            SlaDefinition {
                start: Condition::category(&[StateCategory::Resolved]),
                stop: Condition::category(&[StateCategory::Resolved, StateCategory::Closed]),
                ..base()
            },
            vec![],
            vec![("start", "start_within_stop")],
        ),
        (
            "start_within_stop_through_a_negation",
            SlaDefinition {
                start: Condition::All {
                    all: vec![
                        Condition::priority(&[Priority::P1]),
                        Condition::AssignmentGroup { any_of: vec![g7] },
                    ],
                },
                stop: Condition::Not {
                    not: Box::new(Condition::priority(&[Priority::P2, Priority::P3])),
                },
                ..base()
            },
            vec![],
            vec![("start", "start_within_stop")],
        ),
        (
            "start_excludes_pause_with_cancel_when_unmet",
            SlaDefinition {
                start: Condition::category(&[StateCategory::New, StateCategory::Open]),
                cancel_when_start_unmet: true,
                ..base()
            },
            vec![],
            vec![("pause", "start_excludes_pause")],
        ),
        (
            "start_excludes_pause_is_harmless_without_cancel_when_unmet",
            SlaDefinition {
                start: Condition::category(&[StateCategory::New, StateCategory::Open]),
                ..base()
            },
            vec![],
            vec![],
        ),
        (
            "pause_on_fixed_deadline",
            SlaDefinition {
                deadline: DeadlineKind::Fixed,
                ..base()
            },
            vec![],
            vec![("pause", "pause_on_fixed_deadline")],
        ),
        (
            "fixed_deadline_without_pause",
            SlaDefinition {
                deadline: DeadlineKind::Fixed,
                pause: Condition::Never,
                ..base()
            },
            vec![],
            vec![],
        ),
        (
            "level_reset",
            SlaDefinition {
                reset: Condition::priority(&[Priority::P1]),
                ..base()
            },
            vec![],
            vec![("reset", "reset_without_event")],
        ),
        (
            "event_reset",
            SlaDefinition {
                reset: Condition::Occurs {
                    event: EventPattern::AssignmentChanged,
                },
                ..base()
            },
            vec![],
            vec![],
        ),
        (
            "no_fallback_goal",
            SlaDefinition {
                goals: vec![base().goals[0].clone()],
                ..base()
            },
            vec![],
            vec![("goals", "no_fallback_goal")],
        ),
        (
            "retroactive_start_and_pause",
            SlaDefinition {
                retroactive_start: true,
                retroactive_pause: true,
                ..base()
            },
            vec![],
            vec![],
        ),
    ];
    for (name, definition, errors, warnings) in &cases {
        check(name, definition, errors, warnings);
    }
}

#[test]
fn error_messages_name_the_definition_and_the_value() {
    let bad = SlaDefinition {
        warning_thresholds: percents(&[120]),
        ..base()
    };
    let err = CompiledSla::new(&bad).unwrap_err().to_string();
    assert!(
        err.contains("\"incident-resolution\"") && err.contains("120 %"),
        "{err}"
    );
    assert_eq!(err, err.to_lowercase());
}

/// Checks how a goal of `duration` that allows no time is reported.
fn check_zero_goal(duration: DurationSpec, expect: &str) {
    let mut bad = base();
    bad.goals[0].duration = Some(duration);
    let messages: Vec<String> = bad
        .check()
        .errors
        .iter()
        .map(|v| v.message.clone())
        .collect();
    assert_eq!(
        messages,
        [format!("goal 0 allows no time at all: {expect}")]
    );
}

#[test]
fn messages_tell_durations_as_people_write_them_not_as_rust_debug_text() {
    check_zero_goal(
        DurationSpec::BusinessTime {
            seconds: BusinessDuration::ZERO,
        },
        "0 min of business time",
    );
    check_zero_goal(
        DurationSpec::WorkingDays {
            days: 0,
            end_of_working_day: true,
        },
        "0 working days, at the close of business",
    );
    check_zero_goal(DurationSpec::CalendarDays { days: 0 }, "0 calendar days");
    assert_eq!(
        DurationSpec::WorkingDays {
            days: 1,
            end_of_working_day: false
        }
        .to_string(),
        "1 working day"
    );
    assert_eq!(
        DurationSpec::BusinessTime {
            seconds: BusinessDuration::from_minutes(90)
        }
        .to_string(),
        "1 h 30 min of business time"
    );
}

#[test]
fn wire_form_as_integrators_write_it() {
    let json = r#"{
        "name": "p1-response", "kind": "ola", "target": {"custom": "first_fix"},
        "applies_to": ["incident"],
        "goals": [{"duration": {"unit": "business_time", "seconds": 3600}}],
        "start": {"type": "always"},
        "stop": {"type": "happened", "event": {"kind": "comment_added", "visibility": "public"}},
        "reset": {"type": "occurs", "event": {"kind": "assignment_changed"}}
    }"#;
    let d = SlaDefinition::from_json(json).unwrap();
    assert_eq!(d.kind, SlaKind::Ola);
    assert_eq!(d.target, SlaTarget::Custom("first_fix".into()));
    assert_eq!(d.pause, Condition::Never);
    assert_eq!(d.goals[0].when, Condition::Always);
    assert!(d.check().is_ok());
    let err = SlaDefinition::from_json(
        r#"{"name": "x", "target": "response", "applies_to": ["incidnt"]}"#,
    )
    .unwrap_err();
    assert!(
        matches!(err, SlaError::Json { ref path, .. } if path == "applies_to[0]"),
        "{err}"
    );
    let err = SlaDefinition::from_json("{").unwrap_err();
    assert!(matches!(err, SlaError::Json { .. }), "{err}");
}

/// A goal duration as written in JSON: `Ok(seconds)` or `Err(a part of the message)`.
fn check_goal_duration(written: &str, expect: Result<u64, &str>) {
    let json = format!(
        r#"{{"name": "x", "target": "resolution", "applies_to": ["incident"],
            "goals": [{{"duration": {{"unit": "business_time", "seconds": {written}}}}}],
            "start": {{"type": "always"}}, "stop": {{"type": "never"}}}}"#
    );
    match (SlaDefinition::from_json(&json), expect) {
        (Ok(d), Ok(secs)) => assert_eq!(
            d.goals[0].duration,
            Some(DurationSpec::BusinessTime {
                seconds: BusinessDuration::from_secs(secs)
            }),
            "{written}"
        ),
        (Err(e), Err(part)) => {
            let text = e.to_string();
            assert!(text.contains(part), "{written}: {text}");
            assert!(
                text.contains("goals[0]"),
                "{written}: the path is named: {text}"
            );
        }
        (got, want) => panic!("{written}: expected {want:?}, got {got:?}"),
    }
}

#[test]
fn goal_durations_are_read_as_seconds_or_iso_8601() {
    let table: &[(&str, Result<u64, &str>)] = &[
        ("14400", Ok(14_400)),
        (r#""PT4H""#, Ok(14_400)),
        (r#""PT1H30M""#, Ok(5_400)),
        (r#""pt15m""#, Ok(900)),
        (r#""900""#, Ok(900)),
        (r#""P1D""#, Err("business time has no days")),
        (r#""PT1.5H""#, Err("fractions")),
        (r#""4 hours""#, Err("expected a whole number of seconds")),
        ("-5", Err("whole seconds (14400) or an ISO 8601 duration")),
        ("1.5", Err("whole seconds (14400) or an ISO 8601 duration")),
    ];
    for (written, expect) in table {
        check_goal_duration(written, *expect);
    }
    // Written back, a duration is always whole seconds.
    let d: BusinessDuration = serde_json::from_str(r#""PT2H""#).unwrap();
    assert_eq!(serde_json::to_string(&d).unwrap(), "7200");
    assert_eq!("PT2H".parse::<BusinessDuration>().unwrap(), d);
    assert!(matches!(
        "P2D".parse::<BusinessDuration>(),
        Err(SlaError::InvalidDuration { ref text, .. }) if text == "P2D"
    ));
}

#[test]
fn the_british_spelling_of_canceled_is_read_and_the_american_written() {
    let stage: SlaStage = serde_json::from_str(r#""cancelled""#).unwrap();
    assert_eq!(stage, SlaStage::Canceled);
    assert_eq!(serde_json::to_string(&stage).unwrap(), r#""canceled""#);
    assert_eq!("cancelled".parse::<SlaStage>().unwrap(), SlaStage::Canceled);
    let category: itsm_core::StateCategory = serde_json::from_str(r#""cancelled""#).unwrap();
    assert_eq!(category, itsm_core::StateCategory::Canceled);
    assert_eq!(
        "cancelled".parse::<itsm_core::StateCategory>().unwrap(),
        itsm_core::StateCategory::Canceled
    );
}

/// `edit` applied to a valid definition's JSON must fail at exactly `path`.
fn check_error_path(case: &str, edit: (&str, serde_json::Value), path: &str) {
    let mut json = serde_json::to_value(base()).unwrap();
    *json
        .pointer_mut(edit.0)
        .unwrap_or_else(|| panic!("{case}: no {}", edit.0)) = edit.1;
    match SlaDefinition::from_json(&json.to_string()) {
        Err(SlaError::Json {
            path: actual,
            message,
        }) => {
            assert_eq!(actual, path, "{case}: {message}");
        }
        other => panic!("{case}: expected an error at {path}, got {other:?}"),
    }
}

#[test]
fn every_nested_position_names_its_own_path() {
    use serde_json::json;
    let cases: &[(&str, (&str, serde_json::Value), &str)] = &[
        (
            "an event kind deep in a condition",
            (
                "/stop",
                json!({"type": "any", "any": [{"type": "happened", "event": {"kind": "exploded"}}]}),
            ),
            "stop.any[0].event.kind",
        ),
        (
            "a field of an event pattern",
            (
                "/stop",
                json!({"type": "any", "any": [{"type": "occurs", "event": {"kind": "state_changed", "to_category": "sideways"}}]}),
            ),
            "stop.any[0].event.to_category",
        ),
        (
            "a condition type",
            (
                "/pause",
                json!({"type": "not", "not": {"type": "sometimes"}}),
            ),
            "pause.not.type",
        ),
        (
            "a listed category",
            (
                "/cancel",
                json!({"type": "all", "all": [{"type": "category", "any_of": ["closed", "gone"]}]}),
            ),
            "cancel.all[0].any_of[1]",
        ),
        (
            "a goal's seconds",
            (
                "/goals/0/duration",
                json!({"unit": "business_time", "seconds": "P1D"}),
            ),
            "goals[0].duration.seconds",
        ),
        (
            "a goal's unit",
            (
                "/goals/0/duration",
                json!({"unit": "fortnights", "days": 1}),
            ),
            "goals[0].duration.unit",
        ),
        (
            "working days",
            (
                "/goals/0/duration",
                json!({"unit": "working_days", "days": -1}),
            ),
            "goals[0].duration.days",
        ),
        (
            "a goal's condition",
            (
                "/goals/0/when",
                json!({"type": "priority", "any_of": ["p9"]}),
            ),
            "goals[0].when.any_of[0]",
        ),
        (
            "a missing field of a variant",
            ("/stop", json!({"type": "field", "any_of": []})),
            "stop",
        ),
    ];
    for (case, edit, path) in cases {
        check_error_path(case, edit.clone(), path);
    }
}

/// A misspelt or unknown key in a definition is refused with its path and
/// the nearest known name: `pasue` once passed validation and turned an
/// achieved SLA into a breached one.
#[test]
fn definitions_refuse_unknown_fields_and_suggest_the_nearest() {
    use serde_json::json;
    let cases: &[(&str, (&str, serde_json::Value), &str, &str)] = &[
        (
            "pasue",
            ("/pasue", json!({"type": "never"})),
            "pasue",
            "(did you mean `pause`?)",
        ),
        (
            "a goal's whne",
            ("/goals/0/whne", json!({"type": "always"})),
            "goals[0].whne",
            "(did you mean `when`?)",
        ),
        (
            "a field beside a unit condition",
            ("/start", json!({"type": "always", "any_of": ["x"]})),
            "start",
            "unknown field \"any_of\": this variant has no fields",
        ),
        (
            "a field of a condition",
            ("/stop", json!({"type": "category", "any_off": ["closed"]})),
            "stop.any_off",
            "(did you mean `any_of`?)",
        ),
        (
            "nothing near",
            ("/colour", json!("blue")),
            "colour",
            "unknown field `colour`",
        ),
    ];
    for (case, (pointer, value), path, part) in cases {
        let mut json = serde_json::to_value(base()).unwrap();
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let target = if parent.is_empty() {
            &mut json
        } else {
            json.pointer_mut(parent).unwrap()
        };
        match target {
            serde_json::Value::Object(map) => {
                map.insert(key.to_owned(), value.clone());
            }
            _ => panic!("{case}: {parent} is not an object"),
        }
        if *pointer == "/start" {
            json["start"] = value.clone();
        }
        match SlaDefinition::from_json(&json.to_string()) {
            Err(SlaError::Json {
                path: actual,
                message,
            }) => {
                assert_eq!(&actual, path, "{case}: {message}");
                assert!(message.contains(part), "{case}: {message}");
            }
            other => panic!("{case}: expected an error, got {other:?}"),
        }
    }
    let near =
        itsm_core::did_you_mean("unknown field `colour`, expected `name` or `pause`".to_owned());
    assert!(!near.contains("did you mean"), "{near}");
}

fn check_enum<T>(field: &str)
where
    T: IntoEnumIterator
        + std::fmt::Display
        + serde::Serialize
        + serde::de::DeserializeOwned
        + std::str::FromStr<Err = SlaError>
        + PartialEq
        + std::fmt::Debug
        + Copy,
{
    for v in T::iter() {
        let wire = serde_json::to_string(&v).unwrap();
        assert_eq!(wire, format!("\"{v}\""), "{field}");
        assert_eq!(serde_json::from_str::<T>(&wire).unwrap(), v, "{field}");
        assert_eq!(v.to_string().parse::<T>().unwrap(), v, "{field}");
    }
    let err = "Nope".parse::<T>().unwrap_err();
    assert!(
        matches!(err, SlaError::InvalidName { .. }),
        "{field}: {err}"
    );
    assert!(err.to_string().contains("\"Nope\""), "{field}: {err}");
}

#[test]
fn serde_and_strum_agree_on_every_variant() {
    check_enum::<SlaKind>("sla kind");
    check_enum::<GoalSelection>("goal selection");
    check_enum::<DeadlineKind>("deadline kind");
    check_enum::<SlaStage>("sla stage");
    check_enum::<SegmentKind>("segment kind");
}

fn arb_leaf() -> impl Strategy<Value = Condition> {
    prop_oneof![
        Just(Condition::Always),
        Just(Condition::Never),
        prop::collection::vec("[a-z_]{1,8}", 1..3).prop_map(|any_of| Condition::State { any_of }),
        prop::collection::vec(0usize..6, 1..3).prop_map(|ix| Condition::Category {
            any_of: ix
                .into_iter()
                .map(|i| StateCategory::iter().nth(i).unwrap())
                .collect()
        }),
        prop::collection::vec(0usize..6, 1..3).prop_map(|ix| Condition::Priority {
            any_of: ix.into_iter().map(|i| Priority::ALL[i]).collect()
        }),
        (any::<u128>()).prop_map(|g| Condition::AssignmentGroup {
            any_of: vec![GroupId::from_u128(g)]
        }),
        ("[a-z]{1,6}", any::<i64>(), "[a-z ]{0,6}").prop_map(|(field, i, s)| Condition::Field {
            field,
            any_of: vec![
                itsm_core::FieldValue::Int(i),
                itsm_core::FieldValue::String(s),
                itsm_core::FieldValue::Null
            ]
        }),
        Just(Condition::Happened {
            event: EventPattern::CommentAdded { visibility: None }
        }),
        Just(Condition::Occurs {
            event: EventPattern::StateChanged {
                to: Some("on_hold".into()),
                to_category: None
            }
        }),
        Just(Condition::OnHoldReason {
            any_of: vec!["awaiting_caller".into()]
        }),
    ]
}

fn arb_condition() -> impl Strategy<Value = Condition> {
    arb_leaf().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|all| Condition::All { all }),
            prop::collection::vec(inner.clone(), 0..3).prop_map(|any| Condition::Any { any }),
            inner.prop_map(|c| Condition::Not { not: Box::new(c) }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn definitions_round_trip_losslessly(
        start in arb_condition(), stop in arb_condition(), pause in arb_condition(),
        resume in prop::option::of(arb_condition()), secs in 1u64..10_000_000,
        thresholds in prop::collection::btree_set(1u8..100, 0..4),
        fixed in any::<bool>(), retro in any::<bool>(),
    ) {
        let d = SlaDefinition {
            start, stop, pause, resume,
            goals: vec![SlaGoal { when: Condition::Always, duration: Some(DurationSpec::BusinessTime { seconds: BusinessDuration::from_secs(secs) }), due_date: None,}],
            warning_thresholds: thresholds.into_iter().map(itsm_sla::WarningThreshold::Percent).collect(),
            deadline: if fixed { DeadlineKind::Fixed } else { DeadlineKind::Elapsed },
            retroactive_start: retro,
            ..base()
        };
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(SlaDefinition::from_json(&json).unwrap(), d.clone());
        // Any well-formed definition validates without panicking, and compiles when it has no error.
        let report = d.check();
        prop_assert_eq!(CompiledSla::new(&d).is_ok(), report.errors.is_empty());
    }
}

/// Whole-percentage warning thresholds.
fn percents(list: &[u8]) -> Vec<itsm_sla::WarningThreshold> {
    list.iter()
        .copied()
        .map(itsm_sla::WarningThreshold::Percent)
        .collect()
}
