//! `itsm-sla` (under construction): business calendars, business-time
//! arithmetic and the SLA clock.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// ---- calendar and business time (owned by the calendar work) ----
mod calendar;
mod compiled;
mod error;
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

pub use clock::{
    CycleExplanation, ExplanationSegment, MAX_EXPLANATION_SEGMENTS, SegmentKind, SlaCycle,
    SlaEvaluation, SlaExplanation, SlaStage, ThresholdCrossing, evaluate, explain,
};
pub use compliance::{ComplianceReport, ComplianceRow, DurationStats};
pub use condition::{Condition, EventPattern, MAX_CONDITION_DEPTH};
pub use definition::{
    CompiledSla, DeadlineKind, DefinitionReport, GoalSelection, MAX_CONDITION_NODES, SlaDefinition,
    SlaGoal, SlaKind, SlaTarget,
};
