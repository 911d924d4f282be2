//! Business calendars, fast and DST-correct business time, and the SLA clock
//! of ITSM records: SLA, OLA and underpinning-contract definitions written as
//! data, replayed over a ticket's timeline by a pure function.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use itsm_core::{Priority, RecordKind, StateCategory, Timeline, TimelineChange, TimelineEvent};
//! use itsm_sla::{evaluate, BusinessCalendar, CompiledCalendar, CompiledSla, SlaDefinition, SlaStage};
//!
//! // A calendar: Monday to Friday, 09:00-17:30 London time.
//! let calendar = CompiledCalendar::new(&BusinessCalendar::from_json(r#"{
//!     "name": "uk-office", "time_zone": "Europe/London",
//!     "week": {"monday": [{"start": "09:00", "end": "17:30"}], "tuesday": [{"start": "09:00", "end": "17:30"}],
//!              "wednesday": [{"start": "09:00", "end": "17:30"}], "thursday": [{"start": "09:00", "end": "17:30"}],
//!              "friday": [{"start": "09:00", "end": "17:30"}]}}"#)?)?;
//!
//! // A definition: resolve P1 incidents in 4 business hours; pause while on hold.
//! let sla = CompiledSla::new(&SlaDefinition::from_json(r#"{
//!     "name": "p1-resolution", "target": "resolution", "applies_to": ["incident"],
//!     "calendar": "uk-office", "warning_thresholds": [50, 75],
//!     "goals": [{"duration": {"unit": "business_time", "seconds": 14400}}],
//!     "start": {"type": "category", "any_of": ["new", "open", "paused"]},
//!     "stop": {"type": "category", "any_of": ["resolved", "closed"]},
//!     "pause": {"type": "category", "any_of": ["paused"]}}"#)?)?;
//!
//! // A timeline: opened Friday 16:30, on hold for the caller from 17:00 to Monday 10:00.
//! let at = |d, h, m| Utc.with_ymd_and_hms(2026, 3, d, h, m, 0).unwrap();
//! let state = |from: &str, fc, to: &str, tc| TimelineChange::StateChanged {
//!     from: from.into(), from_category: fc, to: to.into(), to_category: tc, reason: None,
//! };
//! let event = |at, change| TimelineEvent { at, actor: None, change };
//! let timeline = Timeline { events: vec![
//!     event(at(6, 16, 30), TimelineChange::Created {
//!         record_kind: RecordKind::Incident, state: "in_progress".into(), category: StateCategory::Open,
//!         priority: Some(Priority::P1), assignment_group: None, assignee: None,
//!     }),
//!     event(at(6, 17, 0), state("in_progress", StateCategory::Open, "on_hold", StateCategory::Paused)),
//!     event(at(9, 10, 0), state("on_hold", StateCategory::Paused, "in_progress", StateCategory::Open)),
//! ] };
//!
//! let result = evaluate(&sla, &calendar, &timeline, at(9, 11, 0))?;
//! let cycle = &result.cycles[0];
//! assert_eq!(cycle.stage, SlaStage::InProgress);
//! assert_eq!(cycle.business_elapsed.as_secs(), 90 * 60); // 30 min on Friday, 1 h on Monday
//! assert_eq!(cycle.business_paused.as_secs(), 90 * 60); // Friday 17:00-17:30 and Monday 09:00-10:00
//! assert_eq!(cycle.due_at, at(9, 13, 30)); // moved 1 h 30 later by the pause
//! assert_eq!(result.next_event_at, Some(at(9, 11, 30))); // the 50 % warning
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Computing service-level clocks correctly and fast: a [`BusinessCalendar`]
//! (weekly hours in an IANA zone, holidays, extra working dates) compiles
//! once into a [`CompiledCalendar`] whose `add` and `between` are lookups in
//! prefix sums of working seconds, correct across DST changes; an
//! [`SlaDefinition`] (goals per condition, in business time, working days,
//! calendar days or the record's own due date; start / pause / resume / stop
//! / cancel / reset conditions over the ticket timeline; warning thresholds
//! as percentages or times before the due instant; retroactive start and
//! pause; fixed deadlines) compiles into a [`CompiledSla`]; [`evaluate`]
//! replays an `itsm_core::Timeline` and returns each cycle's stage, elapsed,
//! paused and remaining time, due instant, breach and the next instant at
//! which a timer should fire; [`explain`] lists the segments behind the
//! figures, each boundary naming the event or calendar edge that caused it;
//! [`what_if`] evaluates the clock again under another definition, calendar
//! or edited timeline, beside the clock as it is; [`ComplianceReport`]
//! aggregates many evaluations.
//!
//! # What it is not for
//! `itsm-sla` never reads the system clock, performs no I/O and schedules
//! nothing: callers pass `now`, store the results and set the timers
//! themselves. It does not decide which transitions a ticket may take (that
//! is `itsm-lifecycle`) and knows nothing about the CMDB.
//!
//! # Features
//! - Three units that never convert silently: [`BusinessDuration`] and the
//!   working-days and calendar-days variants of [`DurationSpec`].
//! - Every wire type has a JSON Schema in [`schema_bundle`] (namespace `sla`).
//! - Validation reports every problem at once, and
//!   [`SlaDefinition::check`] warns about the known traps.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
// ---- calendar and business time (owned by the calendar work) ----
mod calendar;
mod compiled;
mod error;
mod iso8601;
mod local;
mod units;

pub use calendar::{BusinessCalendar, ExtraWorkingDate, Holiday, WeekSchedule, WorkingInterval};
pub use compiled::CompiledCalendar;
pub use error::SlaError;
pub use units::{BusinessDuration, DurationSpec};

// ---- SLA definitions and clock (owned by the clock work) ----
mod clock;
mod compliance;
mod condition;
mod definition;
mod due;
mod threshold;
mod what_if;

pub use clock::{
    BoundaryCause, CycleExplanation, EventRef, ExplanationSegment, MAX_EXPLANATION_SEGMENTS,
    SegmentBoundary, SegmentKind, SlaCycle, SlaEvaluation, SlaExplanation, SlaStage, evaluate,
    explain,
};
pub use compliance::{ComplianceReport, ComplianceRow, DurationStats};
pub use condition::{Condition, EventPattern, MAX_CONDITION_DEPTH};
pub use definition::{
    CompiledSla, DeadlineKind, DefinitionReport, DueDateGoal, GoalSelection, MAX_CONDITION_NODES,
    MAX_GOAL_DAYS, MAX_WARNING_THRESHOLDS, OutsideWorkingHours, SlaDefinition, SlaGoal, SlaKind,
    SlaTarget,
};
pub use threshold::{ThresholdCrossing, WarningThreshold};
pub use what_if::{
    CycleDifference, EvaluationDifference, MAX_WHAT_IF_EDITS, TimelineEdit, WhatIf, WhatIfReport,
    compare_evaluations, edit_timeline, what_if,
};

/// The JSON Schemas (draft 2020-12) of this crate's wire types, namespace
/// `sla`: calendars, SLA definitions and their validation reports,
/// evaluations, cycles, explanations, compliance reports, what-ifs and
/// their reports.
#[must_use]
pub fn schema_bundle() -> itsm_core::SchemaBundle {
    itsm_core::SchemaBundle::new("sla")
        .with::<BusinessCalendar>("business_calendar")
        .with::<DurationSpec>("duration_spec")
        .with::<SlaDefinition>("sla_definition")
        .with::<Condition>("condition")
        .with::<DefinitionReport>("definition_report")
        .with::<SlaEvaluation>("sla_evaluation")
        .with::<SlaCycle>("sla_cycle")
        .with::<SlaExplanation>("sla_explanation")
        .with::<ComplianceReport>("compliance_report")
        .with::<WhatIf>("what_if")
        .with::<WhatIfReport>("what_if_report")
}
