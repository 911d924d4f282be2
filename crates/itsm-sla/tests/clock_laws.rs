//! Laws of the SLA clock over random timelines, and a differential test
//! against a naive minute-stepping oracle written here (slow but obviously
//! right): a Monday–Friday 09:00–17:30 Europe/London calendar decided minute
//! by minute with chrono-tz, and the resolution definition's rules spelled
//! out by hand.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc, Weekday};
use itsm_core::{
    CommentVisibility, Priority, RecordKind, StateCategory, Timeline, TimelineChange, TimelineEvent,
};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, Condition, DeadlineKind,
    DurationSpec, SlaDefinition, SlaEvaluation, SlaGoal, SlaKind, SlaStage, SlaTarget,
    WeekSchedule, WorkingInterval, evaluate,
};
use proptest::prelude::*;

#[path = "support/boundaries.rs"]
mod boundaries;

fn hours(h: u64) -> DurationSpec {
    DurationSpec::BusinessTime {
        seconds: BusinessDuration::from_hours(h),
    }
}

const GOAL_HOURS: [u64; 3] = [4, 8, 24];

fn resolution(calendar: Option<&str>) -> SlaDefinition {
    SlaDefinition {
        name: "incident-resolution".into(),
        kind: SlaKind::Sla,
        target: SlaTarget::Resolution,
        applies_to: vec![RecordKind::Incident],
        goals: vec![
            SlaGoal {
                when: Condition::priority(&[Priority::P1]),
                duration: Some(hours(GOAL_HOURS[0])),
                due_date: None,
            },
            SlaGoal {
                when: Condition::priority(&[Priority::P2]),
                duration: Some(hours(GOAL_HOURS[1])),
                due_date: None,
            },
            SlaGoal {
                when: Condition::Always,
                duration: Some(hours(GOAL_HOURS[2])),
                due_date: None,
            },
        ],
        goal_selection: Default::default(),
        calendar: calendar.map(str::to_owned),
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

fn uk_office() -> CompiledCalendar {
    let calendar = BusinessCalendar {
        name: "uk-office".into(),
        time_zone: "Europe/London".into(),
        week: WeekSchedule::monday_to_friday(&[WorkingInterval::new("09:00", "17:30")]),
        holidays: vec![],
        extra_working_dates: vec![],
    };
    CompiledCalendar::new(&calendar).unwrap()
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

fn build(start: DateTime<Utc>, first: usize, steps: &[(i64, Action)]) -> Timeline {
    let mut at = start;
    let mut state = "new".to_owned();
    let mut priority = Priority::ALL[first];
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
            other => {
                let to = match other {
                    Action::Work => "in_progress",
                    Action::Hold => "on_hold",
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
#[derive(Debug, PartialEq)]
struct OracleCycle {
    stage: SlaStage,
    start: DateTime<Utc>,
    stop: Option<DateTime<Utc>>,
    elapsed_min: u64,
    paused_min: u64,
    breached_at: Option<DateTime<Utc>>,
    crossed: [Option<DateTime<Utc>>; 3],
    goal: usize,
    due_at: Option<DateTime<Utc>>,
}

fn goal_of(p: Priority) -> usize {
    match p {
        Priority::P1 => 0,
        Priority::P2 => 1,
        _ => 2,
    }
}

/// The resolution definition, replayed minute by minute.
fn oracle(
    timeline: &Timeline,
    now: DateTime<Utc>,
    working: impl Fn(DateTime<Utc>) -> bool,
) -> Vec<OracleCycle> {
    let events: Vec<&TimelineEvent> = timeline.events.iter().filter(|e| e.at <= now).collect();
    let mut out: Vec<OracleCycle> = Vec::new();
    let mut current: Option<OracleCycle> = None;
    let mut cat = StateCategory::New;
    let mut prio = Priority::P3;
    let mut paused = false;
    let mut t = events[0].at;
    let mut k = 0;
    let settle = |c: &mut OracleCycle, at: DateTime<Utc>| {
        let target = GOAL_HOURS[c.goal] * 60;
        for (i, p) in [50, 75, 90].iter().enumerate() {
            if c.crossed[i].is_none() && c.elapsed_min * 100 >= target * p {
                c.crossed[i] = Some(at);
            }
        }
        if c.breached_at.is_none() && c.elapsed_min >= target {
            c.breached_at = Some(at);
        }
    };
    loop {
        // Apply every event of this minute, then decide.
        let mut updated = false;
        while k < events.len() && events[k].at == t {
            match &events[k].change {
                TimelineChange::Created {
                    category, priority, ..
                } => {
                    cat = *category;
                    prio = priority.unwrap_or(Priority::P3);
                }
                TimelineChange::StateChanged { to_category, .. } => cat = *to_category,
                TimelineChange::PriorityChanged { to, .. } => prio = *to,
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
                    if goal_of(prio) != c.goal {
                        c.goal = goal_of(prio);
                        settle(&mut c, t);
                    }
                    paused = cat == StateCategory::Paused;
                    current = Some(c);
                }
            }
            if current.is_none() && start && !stop && !cancel {
                paused = cat == StateCategory::Paused;
                current = Some(OracleCycle {
                    stage: SlaStage::InProgress,
                    start: t,
                    stop: None,
                    elapsed_min: 0,
                    paused_min: 0,
                    breached_at: None,
                    crossed: [None; 3],
                    goal: goal_of(prio),
                    due_at: None,
                });
            }
        }
        if t >= now {
            break;
        }
        // One minute passes.
        if let Some(c) = current.as_mut()
            && working(t)
        {
            if paused {
                c.paused_min += 1;
            } else {
                c.elapsed_min += 1;
                settle(c, t + Duration::minutes(1));
            }
        }
        t += Duration::minutes(1);
    }
    if let Some(mut c) = current {
        c.stage = if paused {
            SlaStage::Paused
        } else {
            SlaStage::InProgress
        };
        if c.breached_at.is_none() {
            // Step on from now until the goal runs out.
            let mut left = GOAL_HOURS[c.goal] * 60 - c.elapsed_min;
            let mut u = now;
            while left > 0 {
                if working(u) {
                    left -= 1;
                }
                u += Duration::minutes(1);
            }
            c.due_at = Some(u);
        }
        out.push(c);
    }
    out
}

fn compare(result: &SlaEvaluation, expected: &[OracleCycle]) -> Result<(), TestCaseError> {
    let actual: Vec<OracleCycle> = result
        .cycles
        .iter()
        .map(|c| OracleCycle {
            stage: c.stage,
            start: c.start,
            stop: c.stop,
            elapsed_min: c.business_elapsed.as_secs() / 60,
            paused_min: c.business_paused.as_secs() / 60,
            breached_at: c.breached_at,
            crossed: [
                c.thresholds[0].crossed_at,
                c.thresholds[1].crossed_at,
                c.thresholds[2].crossed_at,
            ],
            goal: c.goal,
            due_at: (!c.stage.is_final() && !c.breached).then_some(c.due_at),
        })
        .collect();
    prop_assert_eq!(actual.as_slice(), expected);
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

fn arb_action() -> impl Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Work),
        3 => Just(Action::Hold),
        2 => Just(Action::Resolve),
        1 => Just(Action::Cancel),
        3 => (0usize..4).prop_map(Action::Prio),
        1 => Just(Action::Comment),
    ]
}

fn arb_steps() -> impl Strategy<Value = Vec<(i64, Action)>> {
    let gap = prop_oneof![Just(0i64), 1i64..180, 180i64..3 * 24 * 60];
    prop::collection::vec((gap, arb_action()), 0..10)
}

fn last_at(timeline: &Timeline) -> DateTime<Utc> {
    timeline.events.last().map(|e| e.at).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn clock_agrees_with_the_naive_oracle_on_a_business_calendar(
        start in arb_start(), first in 0usize..4, steps in arb_steps(), tail in 0i64..3 * 24 * 60,
    ) {
        let timeline = build(start, first, &steps);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let sla = CompiledSla::new(&resolution(Some("uk-office"))).unwrap();
        let result = evaluate(&sla, &uk_office(), &timeline, now).unwrap();
        compare(&result, &oracle(&timeline, now, naive_working))?;
    }

    #[test]
    fn clock_agrees_with_the_naive_oracle_round_the_clock(
        start in arb_start(), first in 0usize..4, steps in arb_steps(), tail in 0i64..24 * 60,
    ) {
        let timeline = build(start, first, &steps);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let sla = CompiledSla::new(&resolution(None)).unwrap();
        let result = evaluate(&sla, &CompiledCalendar::always(), &timeline, now).unwrap();
        compare(&result, &oracle(&timeline, now, |_| true))?;
    }

    #[test]
    fn pausing_never_increases_business_elapsed_time(
        start in arb_start(), first in 0usize..4, steps in arb_steps(), tail in 0i64..3 * 24 * 60,
        retro in any::<bool>(),
    ) {
        let timeline = build(start, first, &steps);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let cal = uk_office();
        let with = SlaDefinition { retroactive_start: retro, ..resolution(Some("uk-office")) };
        let without = SlaDefinition { pause: Condition::Never, ..with.clone() };
        let a = evaluate(&CompiledSla::new(&with).unwrap(), &cal, &timeline, now).unwrap();
        let b = evaluate(&CompiledSla::new(&without).unwrap(), &cal, &timeline, now).unwrap();
        prop_assert_eq!(a.cycles.len(), b.cycles.len());
        for (x, y) in a.cycles.iter().zip(&b.cycles) {
            prop_assert!(x.business_elapsed <= y.business_elapsed);
            prop_assert_eq!(x.business_elapsed + x.business_paused, y.business_elapsed);
            prop_assert!(x.due_at >= y.due_at || x.breached);
        }
    }

    #[test]
    fn evaluating_a_timeline_cut_at_now_gives_the_same_result(
        start in arb_start(), first in 0usize..4, steps in arb_steps(), cut in 0usize..12, offset in 0i64..120,
        retro in any::<bool>(), retro_pause in any::<bool>(),
    ) {
        let timeline = build(start, first, &steps);
        let index = cut.min(timeline.events.len() - 1);
        let now = timeline.events[index].at + Duration::minutes(offset);
        let truncated = Timeline { events: timeline.events.iter().filter(|e| e.at <= now).cloned().collect() };
        let def = SlaDefinition { retroactive_start: retro, retroactive_pause: retro && retro_pause, ..resolution(Some("uk-office")) };
        let sla = CompiledSla::new(&def).unwrap();
        let cal = uk_office();
        prop_assert_eq!(evaluate(&sla, &cal, &timeline, now).unwrap(), evaluate(&sla, &cal, &truncated, now).unwrap());
        // Retroactive starts and pauses name their causes too.
        boundaries::check(&itsm_sla::explain(&sla, &cal, &timeline, now).unwrap(), &timeline, now)?;
    }

    #[test]
    fn thresholds_and_breaches_are_crossed_once(
        start in arb_start(), first in 0usize..4, steps in arb_steps(), a in 0i64..5 * 24 * 60, b in 0i64..5 * 24 * 60,
    ) {
        let timeline = build(start, first, &steps);
        let (t1, t2) = (start + Duration::minutes(a.min(b)), start + Duration::minutes(a.max(b)));
        let sla = CompiledSla::new(&resolution(Some("uk-office"))).unwrap();
        let cal = uk_office();
        let early = evaluate(&sla, &cal, &timeline, t1).unwrap();
        let late = evaluate(&sla, &cal, &timeline, t2).unwrap();
        prop_assert!(late.cycles.len() >= early.cycles.len());
        for (i, (x, y)) in early.cycles.iter().zip(&late.cycles).enumerate() {
            if x.stage.is_final() {
                prop_assert_eq!(x, y, "finished cycle {} changed", i);
                continue;
            }
            prop_assert!(y.business_elapsed >= x.business_elapsed);
            if let Some(at) = x.breached_at {
                prop_assert!(at <= t1);
                prop_assert_eq!(y.breached_at, Some(at));
            }
            for (p, q) in x.thresholds.iter().zip(&y.thresholds) {
                if let Some(at) = p.crossed_at {
                    prop_assert!(at <= t1);
                    prop_assert_eq!(q.crossed_at, Some(at));
                }
            }
            // The timer instant is the next change, and nothing changes before it.
            if let Some(next) = x.next_event_at {
                prop_assert!(next >= t1);
            }
        }
    }

    #[test]
    fn reported_instants_agree_with_the_calendar(
        start in arb_start(), first in 0usize..4, steps in arb_steps(), tail in 0i64..3 * 24 * 60,
    ) {
        let timeline = build(start, first, &steps);
        let now = last_at(&timeline) + Duration::minutes(tail);
        let cal = uk_office();
        let sla = CompiledSla::new(&resolution(Some("uk-office"))).unwrap();
        let result = evaluate(&sla, &cal, &timeline, now).unwrap();
        // Results round-trip losslessly through their wire form.
        let json = serde_json::to_string(&result).unwrap();
        prop_assert_eq!(&serde_json::from_str::<SlaEvaluation>(&json).unwrap(), &result);
        let explanation = itsm_sla::explain(&sla, &cal, &timeline, now).unwrap();
        let json = serde_json::to_string(&explanation).unwrap();
        prop_assert_eq!(&serde_json::from_str::<itsm_sla::SlaExplanation>(&json).unwrap(), &explanation);
        boundaries::check(&explanation, &timeline, now)?;
        for c in result.cycles {
            if !c.breached {
                prop_assert_eq!(c.business_elapsed + c.business_remaining, c.goal_duration);
                let from = c.stop.unwrap_or(now);
                prop_assert_eq!(cal.between(from, c.due_at).unwrap(), c.business_remaining);
            } else {
                prop_assert!(c.business_remaining.is_zero());
                prop_assert_eq!(Some(c.due_at), c.breached_at);
            }
            prop_assert_eq!(cal.between(c.start, c.original_due_at).unwrap().as_secs(), GOAL_HOURS[goal_of_start(&timeline, c.start)] * 3600);
            if c.stage == SlaStage::InProgress && !c.breached {
                prop_assert!(c.next_event_at.is_some_and(|n| n >= now && n <= c.due_at));
            }
        }
    }
}

/// The goal of the priority the ticket had at `at` (for the original due instant).
fn goal_of_start(timeline: &Timeline, at: DateTime<Utc>) -> usize {
    let mut p = Priority::P3;
    for e in timeline.events.iter().take_while(|e| e.at <= at) {
        match &e.change {
            TimelineChange::Created { priority, .. } => p = priority.unwrap_or(Priority::P3),
            TimelineChange::PriorityChanged { to, .. } => p = *to,
            _ => {}
        }
    }
    goal_of(p)
}

#[test]
fn evaluating_a_ticket_with_five_pauses_matches_the_oracle() {
    let start = Utc.with_ymd_and_hms(2026, 3, 26, 8, 0, 0).unwrap();
    let mut steps = Vec::new();
    for _ in 0..5 {
        steps.push((45, Action::Work));
        steps.push((90, Action::Hold));
    }
    steps.push((30, Action::Prio(0)));
    steps.push((600, Action::Work));
    let timeline = build(start, 2, &steps);
    let now = last_at(&timeline) + Duration::hours(30);
    let sla = CompiledSla::new(&resolution(Some("uk-office"))).unwrap();
    let result = evaluate(&sla, &uk_office(), &timeline, now).unwrap();
    let expected = oracle(&timeline, now, naive_working);
    compare(&result, &expected).unwrap();
    assert!(result.cycles[0].breached, "{result:#?}");
}

/// Whole-percentage warning thresholds.
fn percents(list: &[u8]) -> Vec<itsm_sla::WarningThreshold> {
    list.iter()
        .copied()
        .map(itsm_sla::WarningThreshold::Percent)
        .collect()
}
