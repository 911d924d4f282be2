//! Hostile input to the clock: enormous goals, instants at the edge of
//! chrono's range, huge timelines, explanations over centuries, deeply nested
//! or malformed JSON. Errors, never panics or hangs.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{Priority, RecordKind, StateCategory, Timeline, TimelineChange, TimelineEvent};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, Condition, DurationSpec,
    MAX_GOAL_DAYS, SlaDefinition, SlaError, SlaGoal, WeekSchedule, WorkingInterval, evaluate,
    explain,
};

fn definition(calendar: Option<&str>, hours: u64) -> SlaDefinition {
    SlaDefinition::from_json(&format!(
        r#"{{"name": "hostile", "target": "resolution", "applies_to": ["incident"],
            "calendar": {}, "warning_thresholds": [50, 90],
            "goals": [{{"duration": {{"unit": "business_time", "seconds": {}}}}}],
            "start": {{"type": "category", "any_of": ["new", "open", "paused"]}},
            "stop": {{"type": "category", "any_of": ["resolved", "closed"]}},
            "pause": {{"type": "category", "any_of": ["paused"]}}}}"#,
        calendar.map_or("null".to_owned(), |c| format!("{c:?}")),
        hours.saturating_mul(3600),
    ))
    .unwrap()
}

fn uk_office() -> CompiledCalendar {
    CompiledCalendar::new(&BusinessCalendar {
        name: "uk-office".into(),
        time_zone: "Europe/London".into(),
        week: WeekSchedule::monday_to_friday(&[WorkingInterval::new("09:00", "17:30")]),
        holidays: vec![],
        extra_working_dates: vec![],
    })
    .unwrap()
}

fn created(at: DateTime<Utc>) -> TimelineEvent {
    TimelineEvent {
        at,
        actor: None,
        change: TimelineChange::Created {
            record_kind: RecordKind::Incident,
            state: "new".into(),
            category: StateCategory::New,
            priority: Some(Priority::P1),
            assignment_group: None,
            assignee: None,
        },
    }
}

fn toggle(at: DateTime<Utc>, hold: bool) -> TimelineEvent {
    let (from, fc, to, tc) = if hold {
        (
            "in_progress",
            StateCategory::Open,
            "on_hold",
            StateCategory::Paused,
        )
    } else {
        (
            "on_hold",
            StateCategory::Paused,
            "in_progress",
            StateCategory::Open,
        )
    };
    TimelineEvent {
        at,
        actor: None,
        change: TimelineChange::StateChanged {
            from: from.into(),
            from_category: fc,
            to: to.into(),
            to_category: tc,
            reason: None,
        },
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

#[test]
fn a_goal_of_a_billion_hours_is_refused_and_the_longest_allowed_never_panics() {
    // A goal past the calendars' reach is refused before any evaluation.
    for hours in [1_000_000_000, u64::from(MAX_GOAL_DAYS) * 24 + 1] {
        match CompiledSla::new(&definition(None, hours)) {
            Err(SlaError::InvalidDefinition { problems, .. }) => {
                assert!(
                    problems.iter().any(|p| p.rule == "goal_too_long"),
                    "{problems:?}"
                );
            }
            other => panic!("{hours} h: expected goal_too_long, got {other:?}"),
        }
    }
    let mut d = definition(None, 1);
    d.goals = vec![SlaGoal {
        when: Condition::Always,
        duration: Some(DurationSpec::BusinessTime {
            seconds: BusinessDuration::MAX,
        }),
        due_date: None,
    }];
    assert!(CompiledSla::new(&d).is_err());
    // The longest goal allowed: a result, or a range error near 2199.
    for (calendar, compiled) in [
        (None, CompiledCalendar::always()),
        (Some("uk-office"), uk_office()),
    ] {
        let sla = CompiledSla::new(&definition(calendar, u64::from(MAX_GOAL_DAYS) * 24)).unwrap();
        for opened in [t0(), Utc.with_ymd_and_hms(2195, 1, 1, 0, 0, 0).unwrap()] {
            let timeline = Timeline {
                events: vec![created(opened)],
            };
            match evaluate(&sla, &compiled, &timeline, opened + Duration::hours(1)) {
                Ok(result) => assert!(!result.cycles[0].breached),
                Err(e) => assert!(matches!(e, SlaError::OutOfRange { .. }), "{e}"),
            }
        }
    }
}

#[test]
fn instants_at_the_edge_of_chronos_range_are_errors() {
    let sla = CompiledSla::new(&definition(None, 4)).unwrap();
    for at in [DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC] {
        let timeline = Timeline {
            events: vec![created(at)],
        };
        let result = evaluate(&sla, &CompiledCalendar::always(), &timeline, at);
        assert!(
            matches!(result, Err(SlaError::OutOfRange { .. })),
            "{at}: {result:?}"
        );
    }
    // An opened ticket evaluated at the end of time.
    let timeline = Timeline {
        events: vec![created(t0())],
    };
    let result = evaluate(&sla, &uk_office(), &timeline, DateTime::<Utc>::MAX_UTC);
    assert!(result.is_err(), "{result:?}");
}

#[test]
fn a_hundred_thousand_pauses_evaluate_in_linear_time() {
    let sla = CompiledSla::new(&definition(Some("uk-office"), 10_000)).unwrap();
    let mut events = vec![created(t0())];
    let mut start_work = toggle(t0(), false);
    if let TimelineChange::StateChanged {
        from,
        from_category,
        ..
    } = &mut start_work.change
    {
        *from = "new".into();
        *from_category = StateCategory::New;
    }
    events.push(start_work);
    for i in 0..100_000 {
        events.push(toggle(t0() + Duration::minutes(2 * i + 1), i % 2 == 0));
    }
    let timeline = Timeline { events };
    let now = t0() + Duration::days(200);
    let result = evaluate(&sla, &uk_office(), &timeline, now).unwrap();
    let cycle = &result.cycles[0];
    assert!(!cycle.business_elapsed.is_zero() && !cycle.business_paused.is_zero());
}

#[test]
fn an_explanation_over_centuries_stops_at_its_limit() {
    let sla = CompiledSla::new(&definition(
        Some("uk-office"),
        u64::from(MAX_GOAL_DAYS) * 24,
    ))
    .unwrap();
    let start = Utc.with_ymd_and_hms(1901, 1, 1, 0, 0, 0).unwrap();
    let timeline = Timeline {
        events: vec![created(start)],
    };
    let now = Utc.with_ymd_and_hms(2199, 1, 1, 0, 0, 0).unwrap();
    let explained = explain(&sla, &uk_office(), &timeline, now);
    assert!(
        matches!(
            explained,
            Err(SlaError::TooManySegments { .. }) | Err(SlaError::OutOfRange { .. })
        ),
        "{explained:?}"
    );
}

#[test]
fn malformed_and_deeply_nested_json_is_an_error() {
    for text in [
        "",
        "null",
        "[]",
        r#"{"name": 5}"#,
        "{\"name\": \"x\", \"target\": \"respond\"}",
    ] {
        assert!(
            matches!(SlaDefinition::from_json(text), Err(SlaError::Json { .. })),
            "{text:?}"
        );
    }
    let deep = format!(
        "{}{{\"type\": \"always\"}}{}",
        "{\"type\": \"not\", \"not\": ".repeat(10_000),
        "}".repeat(10_000)
    );
    let text = format!(
        r#"{{"name": "x", "target": "response", "applies_to": ["incident"], "goals": [], "start": {deep}, "stop": {{"type": "never"}}}}"#
    );
    assert!(matches!(
        SlaDefinition::from_json(&text),
        Err(SlaError::Json { .. })
    ));
}
