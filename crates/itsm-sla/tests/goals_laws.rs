//! Laws of due-date goals and warnings a time before the due instant over
//! random timelines, a differential test against a naive minute-stepping
//! oracle written here (a Monday–Friday 09:00–17:30 Europe/London calendar
//! decided minute by minute with chrono-tz, the due-date definition's rules
//! spelled out by hand), and lossless round trips of the new wire forms.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use itsm_core::{
    CommentVisibility, FieldValue, Priority, RecordKind, StateCategory, Timeline, TimelineChange,
    TimelineEvent,
};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, Condition, DueDateGoal,
    DurationSpec, OutsideWorkingHours, SlaDefinition, SlaEvaluation, SlaGoal, SlaStage,
    ThresholdCrossing, WarningThreshold, WeekSchedule, WorkingInterval, evaluate,
};
use proptest::prelude::*;

#[path = "support/boundaries.rs"]
mod boundaries;

/// The fallback goal, in minutes: 8 business hours.
const FALLBACK_MIN: i64 = 480;
/// The warning before the due instant, in minutes.
const BEFORE_MIN: i64 = 60;

/// The record's due date if it has one, else 8 business hours; warnings at
/// 50 % and one business hour before the due instant; pauses on hold (under
/// the 8 h goal only: a due date never pauses).
fn due_definition(calendar: Option<&str>) -> SlaDefinition {
    let text = serde_json::json!({
        "name": "due", "target": "resolution", "applies_to": ["incident"],
        "calendar": calendar,
        "goals": [{"due_date": {}}, {"duration": {"unit": "business_time", "seconds": FALLBACK_MIN * 60}}],
        "warning_thresholds": [50, {"before_due": BEFORE_MIN * 60}],
        "start": {"type": "category", "any_of": ["new", "open", "paused"]},
        "stop": {"type": "category", "any_of": ["resolved", "closed"]},
        "pause": {"type": "category", "any_of": ["paused"]},
        "cancel": {"type": "category", "any_of": ["canceled"]}
    });
    SlaDefinition::from_json(&text.to_string()).unwrap()
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

/// The oracle's calendar: is the minute starting at `t` working time?
fn naive_working(t: DateTime<Utc>) -> bool {
    let local = t.with_timezone(&chrono_tz::Europe::London);
    let weekday = !matches!(local.weekday(), Weekday::Sat | Weekday::Sun);
    let minute = local.hour() * 60 + local.minute();
    weekday && (9 * 60..17 * 60 + 30).contains(&minute)
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Work,
    Hold,
    Resolve,
    Cancel,
    Prio(usize),
    Comment,
    /// The due date set this many minutes after the event (may be negative), or cleared.
    Due(Option<i64>),
}

fn category(state: &str) -> StateCategory {
    match state {
        "new" => StateCategory::New,
        "in_progress" => StateCategory::Open,
        "on_hold" => StateCategory::Paused,
        "resolved" => StateCategory::Resolved,
        _ => StateCategory::Canceled,
    }
}

/// A timeline from `start`: created (with a due date `due` minutes after
/// opening, when given), then each step after its gap in minutes. With
/// `hold_as_work`, every hold is written as work instead.
fn build(
    start: DateTime<Utc>,
    due: Option<i64>,
    steps: &[(i64, Action)],
    hold_as_work: bool,
) -> Timeline {
    let mut at = start;
    let mut state = "new".to_owned();
    let mut priority = Priority::P3;
    let mut value = FieldValue::Null;
    let mut events = vec![TimelineEvent {
        at,
        actor: None,
        change: TimelineChange::Created {
            record_kind: RecordKind::Incident,
            state: state.clone(),
            category: StateCategory::New,
            priority: Some(priority),
            assignment_group: None,
            assignee: None,
        },
    }];
    let due_change = |at: DateTime<Utc>, offset: Option<i64>, value: &mut FieldValue| {
        let to = offset.map_or(FieldValue::Null, |m| {
            FieldValue::from((at + Duration::minutes(m)).to_rfc3339())
        });
        TimelineChange::FieldChanged {
            field: "due_at".into(),
            from: std::mem::replace(value, to.clone()),
            to,
        }
    };
    if let Some(m) = due {
        let change = due_change(at, Some(m), &mut value);
        events.push(TimelineEvent {
            at,
            actor: None,
            change,
        });
    }
    for (gap, action) in steps {
        at += Duration::minutes(*gap);
        let change = match action {
            Action::Prio(p) => {
                let change = TimelineChange::PriorityChanged {
                    from: Some(priority),
                    to: Priority::ALL[*p],
                };
                priority = Priority::ALL[*p];
                change
            }
            Action::Comment => TimelineChange::CommentAdded {
                visibility: CommentVisibility::WorkNote,
                text: "note".into(),
            },
            Action::Due(offset) => due_change(at, *offset, &mut value),
            other => {
                let to = match other {
                    Action::Hold if !hold_as_work => "on_hold",
                    Action::Work | Action::Hold => "in_progress",
                    Action::Resolve => "resolved",
                    _ => "canceled",
                };
                let change = TimelineChange::StateChanged {
                    from: state.clone(),
                    from_category: category(&state),
                    to: to.into(),
                    to_category: category(to),
                    reason: (to == "on_hold").then(|| "awaiting_caller".to_owned()),
                };
                state = to.to_owned();
                change
            }
        };
        events.push(TimelineEvent {
            at,
            actor: None,
            change,
        });
    }
    Timeline { events }
}

/// One cycle as the oracle sees it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct OracleCycle {
    stage: SlaStage,
    start: DateTime<Utc>,
    stop: Option<DateTime<Utc>>,
    goal: usize,
    target_secs: i64,
    elapsed_secs: i64,
    paused_secs: i64,
    breached_at: Option<DateTime<Utc>>,
    crossed: [Option<DateTime<Utc>>; 2],
    due_at: Option<DateTime<Utc>>,
}

/// The business elapsed seconds at which each threshold is crossed.
fn marks(target_secs: i64) -> [i64; 2] {
    // ceil(50 %), and one hour before the due instant (zero at the least).
    [
        (target_secs + 1) / 2,
        (target_secs - BEFORE_MIN * 60).max(0),
    ]
}

/// Working minutes from `a` to `b`, one by one.
fn working_minutes(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    let mut n = 0;
    let mut t = a;
    while t < b {
        if naive_working(t) {
            n += 1;
        }
        t += Duration::minutes(1);
    }
    n
}

/// The due-date definition, replayed minute by minute.
#[allow(clippy::too_many_lines)]
fn oracle(timeline: &Timeline, now: DateTime<Utc>) -> Vec<OracleCycle> {
    let events: Vec<&TimelineEvent> = timeline.events.iter().filter(|e| e.at <= now).collect();
    let mut out: Vec<OracleCycle> = Vec::new();
    let mut current: Option<OracleCycle> = None;
    let mut cat = StateCategory::New;
    let mut due: Option<DateTime<Utc>> = None;
    let mut t = events[0].at;
    let mut k = 0;
    // Thresholds behind the elapsed time, and the breach, noted at `at`.
    let settle = |c: &mut OracleCycle, at: DateTime<Utc>| {
        for (i, mark) in marks(c.target_secs).into_iter().enumerate() {
            if c.crossed[i].is_none() && mark <= c.elapsed_secs {
                c.crossed[i] = Some(at);
            }
        }
        let reached = match c.due_at {
            Some(d) if c.goal == 0 => d <= at,
            _ => c.target_secs <= c.elapsed_secs,
        };
        if c.breached_at.is_none() && reached {
            c.breached_at = Some(at);
        }
    };
    loop {
        let mut updated = false;
        let mut due_moved = false;
        while k < events.len() && events[k].at == t {
            match &events[k].change {
                TimelineChange::Created { category, .. } => cat = *category,
                TimelineChange::StateChanged { to_category, .. } => cat = *to_category,
                TimelineChange::FieldChanged { to, .. } => {
                    let value = to
                        .as_str()
                        .map(|s| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc));
                    due_moved |= value != due;
                    due = value;
                }
                _ => {}
            }
            k += 1;
            updated = true;
        }
        if updated {
            let start = matches!(
                cat,
                StateCategory::New | StateCategory::Open | StateCategory::Paused
            );
            let stop = matches!(cat, StateCategory::Resolved | StateCategory::Closed);
            let cancel = cat == StateCategory::Canceled;
            if let Some(mut c) = current.take() {
                if cancel || stop {
                    c.stop = Some(t);
                    c.stage = if cancel {
                        SlaStage::Canceled
                    } else if c.breached_at.is_some() {
                        SlaStage::Breached
                    } else {
                        SlaStage::Achieved
                    };
                    out.push(c);
                } else {
                    // The due date if there is one, else the fallback; with no
                    // due date left, a due-date goal keeps its due instant.
                    let goal = if due.is_some() { 0 } else { 1 };
                    if goal != c.goal || (goal == 0 && due_moved) {
                        c.goal = goal;
                        if goal == 0 {
                            let d = due.unwrap();
                            c.due_at = Some(d);
                            c.target_secs = c.elapsed_secs + 60 * working_minutes(t, d);
                        } else {
                            c.due_at = None;
                            c.target_secs = FALLBACK_MIN * 60;
                        }
                        settle(&mut c, t);
                    }
                    current = Some(c);
                }
            }
            if current.is_none() && start && !stop && !cancel {
                let goal = if due.is_some() { 0 } else { 1 };
                let mut c = OracleCycle {
                    stage: SlaStage::InProgress,
                    start: t,
                    stop: None,
                    goal,
                    target_secs: match due {
                        Some(d) => 60 * working_minutes(t, d),
                        None => FALLBACK_MIN * 60,
                    },
                    elapsed_secs: 0,
                    paused_secs: 0,
                    breached_at: None,
                    crossed: [None; 2],
                    due_at: due,
                };
                settle(&mut c, t);
                current = Some(c);
            }
        }
        if t >= now {
            break;
        }
        // One minute passes.
        if let Some(c) = current.as_mut() {
            let next = t + Duration::minutes(1);
            if c.goal == 0
                && c.breached_at.is_none()
                && c.due_at.is_some_and(|d| t < d && d <= next)
            {
                c.breached_at = c.due_at;
            }
            let paused = c.goal == 1 && cat == StateCategory::Paused;
            if naive_working(t) {
                if paused {
                    c.paused_secs += 60;
                } else {
                    let before = c.elapsed_secs;
                    c.elapsed_secs += 60;
                    for (i, mark) in marks(c.target_secs).into_iter().enumerate() {
                        if c.crossed[i].is_none() && before < mark && mark <= c.elapsed_secs {
                            c.crossed[i] = Some(t + Duration::seconds(mark - before));
                        }
                    }
                    if c.goal == 1
                        && c.breached_at.is_none()
                        && before < c.target_secs
                        && c.target_secs <= c.elapsed_secs
                    {
                        c.breached_at = Some(t + Duration::seconds(c.target_secs - before));
                    }
                }
            }
        }
        t += Duration::minutes(1);
    }
    if let Some(mut c) = current {
        c.stage = if c.goal == 1 && cat == StateCategory::Paused {
            SlaStage::Paused
        } else {
            SlaStage::InProgress
        };
        if c.goal == 1 {
            c.due_at = None;
            if c.breached_at.is_none() {
                // Step on from now until the goal runs out.
                let mut left = c.target_secs - c.elapsed_secs;
                let mut u = now;
                while left > 0 {
                    if naive_working(u) {
                        left -= 60;
                    }
                    u += Duration::minutes(1);
                }
                c.due_at = Some(u + Duration::seconds(left));
            }
        }
        out.push(c);
    }
    out
}

fn compare(result: &SlaEvaluation, expected: &[OracleCycle]) -> Result<(), TestCaseError> {
    let actual: Vec<OracleCycle> = result
        .cycles
        .iter()
        .map(|c| {
            let secs = |d: BusinessDuration| i64::try_from(d.as_secs()).unwrap();
            OracleCycle {
                stage: c.stage,
                start: c.start,
                stop: c.stop,
                goal: c.goal,
                target_secs: secs(c.goal_duration),
                elapsed_secs: secs(c.business_elapsed),
                paused_secs: secs(c.business_paused),
                breached_at: c.breached_at,
                crossed: [c.thresholds[0].crossed_at, c.thresholds[1].crossed_at],
                // Compared for open cycles: the due date, or where the goal runs out.
                due_at: (!c.stage.is_final() && (c.goal == 0 || !c.breached)).then_some(c.due_at),
            }
        })
        .collect();
    let expected: Vec<OracleCycle> = expected
        .iter()
        .map(|c| OracleCycle {
            due_at: if c.stage.is_final() { None } else { c.due_at },
            ..*c
        })
        .collect();
    prop_assert_eq!(actual, expected);
    Ok(())
}

/// Instants in 2026, a third of them within two days of a London DST change.
fn arb_start() -> impl Strategy<Value = DateTime<Utc>> {
    let base = |y, m, d| Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap();
    prop_oneof![
        (0i64..365 * 24 * 60).prop_map(move |m| base(2026, 1, 1) + Duration::minutes(m)),
        (-2 * 24 * 60i64..2 * 24 * 60).prop_map(move |m| base(2026, 3, 29) + Duration::minutes(m)),
        (-2 * 24 * 60i64..2 * 24 * 60).prop_map(move |m| base(2026, 10, 25) + Duration::minutes(m)),
    ]
}

/// Due dates from a day before to five days after, on whole minutes.
fn arb_offset() -> impl Strategy<Value = i64> {
    prop_oneof![-24 * 60i64..0, 0i64..5 * 24 * 60, Just(0)]
}

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Work),
        3 => Just(Action::Hold),
        2 => Just(Action::Resolve),
        1 => Just(Action::Cancel),
        2 => (0usize..4).prop_map(Action::Prio),
        1 => Just(Action::Comment),
        3 => prop::option::weighted(0.8, arb_offset()).prop_map(Action::Due),
    ]
}

fn arb_steps() -> impl Strategy<Value = Vec<(i64, Action)>> {
    let gap = prop_oneof![Just(0i64), 1i64..180, 180i64..3 * 24 * 60];
    prop::collection::vec((gap, arb_action()), 0..10)
}

fn last_at(timeline: &Timeline) -> DateTime<Utc> {
    timeline.events.last().map(|e| e.at).unwrap()
}

fn arb_threshold() -> impl Strategy<Value = WarningThreshold> {
    prop_oneof![
        (0u8..=255).prop_map(WarningThreshold::Percent),
        (0u64..10_000_000)
            .prop_map(|s| WarningThreshold::BeforeDue(BusinessDuration::from_secs(s))),
    ]
}

fn arb_goal() -> impl Strategy<Value = SlaGoal> {
    prop_oneof![
        (1u64..10_000_000).prop_map(|s| SlaGoal::duration(
            Condition::Always,
            DurationSpec::BusinessTime {
                seconds: BusinessDuration::from_secs(s)
            }
        )),
        ("[a-z_]{0,12}", any::<bool>()).prop_map(|(field, next)| SlaGoal::due_date(
            Condition::priority(&[Priority::P1]),
            DueDateGoal {
                field,
                outside_working_hours: if next {
                    OutsideWorkingHours::NextOpening
                } else {
                    OutsideWorkingHours::Keep
                },
            }
        )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn due_date_clock_agrees_with_the_naive_oracle(
        start in arb_start(), due in prop::option::of(arb_offset()), steps in arb_steps(),
        tail in 0i64..3 * 24 * 60,
    ) {
        let timeline = build(start, due, &steps, false);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let sla = CompiledSla::new(&due_definition(Some("uk-office"))).unwrap();
        let result = evaluate(&sla, &uk_office(), &timeline, now).unwrap();
        compare(&result, &oracle(&timeline, now))?;
    }

    /// Holding the record never changes a cycle under a due date: the
    /// evaluation with every hold written as work instead is the same.
    #[test]
    fn a_due_date_goal_never_pauses(
        start in arb_start(), due in arb_offset(), steps in arb_steps(), tail in 0i64..3 * 24 * 60,
        office in any::<bool>(),
    ) {
        // The due date is set at opening and only ever moved, never cleared.
        let steps: Vec<_> = steps
            .into_iter()
            .map(|(gap, a)| (gap, if matches!(a, Action::Due(None)) { Action::Comment } else { a }))
            .collect();
        let held = build(start, Some(due), &steps, false);
        let worked = build(start, Some(due), &steps, true);
        let now = last_at(&held) + Duration::minutes(tail);
        let (sla, cal) = if office {
            (CompiledSla::new(&due_definition(Some("uk-office"))).unwrap(), uk_office())
        } else {
            (CompiledSla::new(&due_definition(None)).unwrap(), CompiledCalendar::always())
        };
        let a = evaluate(&sla, &cal, &held, now).unwrap();
        let b = evaluate(&sla, &cal, &worked, now).unwrap();
        prop_assert_eq!(&a, &b);
        for c in &a.cycles {
            prop_assert_eq!(c.goal, 0);
            prop_assert!(c.business_paused.is_zero());
            prop_assert_ne!(c.stage, SlaStage::Paused);
        }
    }

    /// A warning a time before the due instant is due exactly that much
    /// business time before it: the timer instant `w` of a running cycle
    /// whose warning is still ahead has `between(w, due) == before`, and
    /// evaluating at `w` finds it crossed there, the due instant unmoved.
    #[test]
    fn a_warning_before_the_due_instant_is_that_much_business_time_before_it(
        start in arb_start(), due in prop::option::of(arb_offset()), steps in arb_steps(),
        tail in 0i64..3 * 24 * 60, before_min in 1u64..600,
    ) {
        let timeline = build(start, due, &steps, false);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let before = BusinessDuration::from_minutes(before_min);
        let mut def = due_definition(Some("uk-office"));
        def.warning_thresholds = vec![WarningThreshold::BeforeDue(before)];
        let sla = CompiledSla::new(&def).unwrap();
        let cal = uk_office();
        let result = evaluate(&sla, &cal, &timeline, now).unwrap();
        let Some(c) = result.cycles.last() else { return Ok(()) };
        if c.stage != SlaStage::InProgress || c.breached || c.thresholds[0].crossed_at.is_some() {
            return Ok(());
        }
        let w = c.next_event_at.unwrap();
        prop_assert_eq!(cal.between(w, c.due_at).unwrap(), before);
        let later = evaluate(&sla, &cal, &timeline, w).unwrap();
        let d = later.cycles.last().unwrap();
        prop_assert_eq!(d.thresholds[0].crossed_at, Some(w));
        prop_assert_eq!(d.due_at, c.due_at);
        prop_assert_eq!(d.business_remaining, before);
    }

    #[test]
    fn thresholds_and_due_date_goals_round_trip_losslessly(
        thresholds in prop::collection::vec(arb_threshold(), 0..6),
        goals in prop::collection::vec(arb_goal(), 1..4),
        crossed in prop::option::of(0i64..4_000_000_000),
    ) {
        let mut d = due_definition(None);
        d.goals = goals;
        d.warning_thresholds = thresholds.clone();
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(SlaDefinition::from_json(&json).unwrap(), d.clone());
        // Any such definition validates without panicking, and compiles when it has no error.
        prop_assert_eq!(CompiledSla::new(&d).is_ok(), d.check().errors.is_empty());
        for threshold in thresholds {
            // The mark of any threshold on any goal, without overflow: a
            // percentage up to 100 % is never past the goal, a time before
            // the due instant is the goal less that time.
            for target in [0, 1, 99, 12_345, u64::MAX / 3, u64::MAX] {
                let target = BusinessDuration::from_secs(target);
                let mark = threshold.mark(target);
                match threshold {
                    WarningThreshold::Percent(p) if p <= 100 => prop_assert!(mark <= target),
                    WarningThreshold::BeforeDue(d) => prop_assert_eq!(mark, target - d),
                    _ => {}
                }
            }
            let crossing = ThresholdCrossing {
                threshold,
                crossed_at: crossed.and_then(|s| DateTime::from_timestamp(s, 0)),
            };
            let json = serde_json::to_string(&crossing).unwrap();
            prop_assert_eq!(serde_json::from_str::<ThresholdCrossing>(&json).unwrap(), crossing);
        }
    }

    /// Reported figures of due-date cycles agree with the calendar, and
    /// their wire form reads back to themselves.
    #[test]
    fn due_date_cycles_agree_with_the_calendar(
        start in arb_start(), due in prop::option::of(arb_offset()), steps in arb_steps(),
        tail in 0i64..3 * 24 * 60,
    ) {
        let timeline = build(start, due, &steps, false);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let cal = uk_office();
        let sla = CompiledSla::new(&due_definition(Some("uk-office"))).unwrap();
        let result = evaluate(&sla, &cal, &timeline, now).unwrap();
        let json = serde_json::to_string(&result).unwrap();
        prop_assert_eq!(&serde_json::from_str::<SlaEvaluation>(&json).unwrap(), &result);
        let explanation = itsm_sla::explain(&sla, &cal, &timeline, now).unwrap();
        boundaries::check(&explanation, &timeline, now)?;
        for c in &result.cycles {
            if c.breached {
                prop_assert!(c.business_remaining.is_zero());
            } else {
                prop_assert_eq!(c.business_elapsed + c.business_remaining, c.goal_duration);
                let from = c.stop.unwrap_or(now);
                prop_assert_eq!(cal.between(from, c.due_at).unwrap(), c.business_remaining);
                prop_assert!(c.stop.is_some() || c.due_at > now || c.goal == 1);
            }
            if c.stage == SlaStage::InProgress && !c.breached {
                prop_assert!(c.next_event_at.is_some_and(|n| n >= now && n <= c.due_at));
            }
        }
    }
}
