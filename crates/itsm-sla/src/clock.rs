//! The SLA clock: [`evaluate`] replays a ticket's timeline against a compiled
//! definition and a compiled calendar and returns its cycles; [`explain`]
//! returns the segments that produced the figures.
//!
//! Business time is never walked: every figure is one or two lookups in the
//! compiled calendar (`between` at each transition, `add` for each instant
//! reported).

use chrono::{DateTime, Utc};
use itsm_core::{Priority, Timeline, TimelineChange, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::compiled::Position;
use crate::condition::Snapshot;
use crate::definition::{
    CompiledSla, DeadlineKind, GoalSelection, GoalTarget, OutsideWorkingHours, SlaKind, SlaTarget,
    TRUTH_CANCEL, TRUTH_PAUSE, TRUTH_RESET, TRUTH_RESUME, TRUTH_START, TRUTH_STOP,
};
use crate::due::parse_due;
use crate::units::{BusinessDuration, DurationSpec};
use crate::{CompiledCalendar, SlaError, ThresholdCrossing};

/// Where a cycle of the clock stands.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum SlaStage {
    /// Running.
    InProgress,
    /// Paused.
    Paused,
    /// Stopped within its goal.
    Achieved,
    /// Stopped after its goal ran out.
    Breached,
    /// Canceled (or closed by a reset). Read also from the British spelling
    /// `cancelled`.
    #[serde(alias = "cancelled")]
    Canceled,
}

impl itsm_core::Label for SlaStage {
    fn label(&self) -> String {
        match self {
            Self::InProgress => "In progress",
            Self::Paused => "Paused",
            Self::Achieved => "Achieved",
            Self::Breached => "Breached",
            Self::Canceled => "Canceled",
        }
        .to_owned()
    }
}

impl SlaStage {
    /// Whether the cycle is finished (achieved, breached or cancelled).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Achieved | Self::Breached | Self::Canceled)
    }
}

crate::definition::impl_from_str!(
    SlaStage => "sla stage",
    SegmentKind => "segment kind",
    BoundaryCause => "boundary cause",
);

/// One cycle of the clock: from an attach (or reset) to a stop, a cancel or now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlaCycle {
    /// Where the cycle stands.
    pub stage: SlaStage,
    /// The index in the definition's `goals` of the goal in force.
    pub goal: usize,
    /// The business time the goal allows (a working-days or calendar-days
    /// goal is converted at the cycle's start, through the calendar).
    pub goal_duration: BusinessDuration,
    /// The ticket's priority at the end of the cycle (or now).
    pub priority: Option<Priority>,
    /// When the cycle started (the record's opening, with a retroactive start).
    pub start: DateTime<Utc>,
    /// When it stopped, was cancelled or reset; `None` while it runs or is paused.
    pub stop: Option<DateTime<Utc>>,
    /// Business time counted while running.
    pub business_elapsed: BusinessDuration,
    /// Wall-clock seconds while running.
    pub actual_elapsed_secs: u64,
    /// Business time spent paused.
    pub business_paused: BusinessDuration,
    /// Wall-clock seconds spent paused.
    pub actual_paused_secs: u64,
    /// Business time remaining before the breach (zero once breached).
    /// Read also from its former name `business_left`.
    #[serde(alias = "business_left")]
    pub business_remaining: BusinessDuration,
    /// Business elapsed time as a percentage of the goal, for display only:
    /// the breach is decided on the time left.
    pub percentage: f64,
    /// Whether the goal ran out (at any time during the cycle).
    pub breached: bool,
    /// When the goal runs out: moved later by pauses; while paused, as if
    /// the clock resumed now; the breach instant once breached.
    pub due_at: DateTime<Utc>,
    /// The due instant at the start, with the first goal and no pause.
    pub original_due_at: DateTime<Utc>,
    /// When the goal ran out.
    pub breached_at: Option<DateTime<Utc>>,
    /// Each warning threshold and when it was crossed.
    pub thresholds: Vec<ThresholdCrossing>,
    /// The next instant at which something happens (a threshold or the
    /// breach) if nothing else changes: when to schedule a timer. `None`
    /// when paused, finished or already breached with no threshold left.
    pub next_event_at: Option<DateTime<Utc>>,
}

impl SlaCycle {
    /// The cycle told to people, its instants in `calendar`'s local time
    /// and its amounts humanized: `Achieved: 2 h 26 min of 4 h used, 30 min
    /// on hold not counted; due 2026-04-14 13:44 (Europe/London, +01:00)`.
    #[must_use]
    pub fn describe(&self, calendar: &CompiledCalendar) -> String {
        use itsm_core::Label;
        let due = calendar.local(self.due_at);
        let mut out = format!(
            "{}: {} of {} used",
            self.stage.label(),
            self.business_elapsed.humanized(),
            self.goal_duration.humanized()
        );
        if self.business_paused > BusinessDuration::ZERO {
            out.push_str(&format!(
                ", {} on hold not counted",
                self.business_paused.humanized()
            ));
        }
        out.push_str(&format!(
            "; due {} ({}, {})",
            due.format("%Y-%m-%d %H:%M"),
            calendar.time_zone(),
            due.format("%:z")
        ));
        if let Some(at) = self.breached_at {
            out.push_str(&format!(
                "; breached {}",
                calendar.local(at).format("%Y-%m-%d %H:%M")
            ));
        }
        out
    }
}

/// The result of [`evaluate`]: every cycle of one definition on one ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlaEvaluation {
    /// The definition's name.
    pub definition: String,
    /// SLA, OLA or underpinning contract.
    pub kind: SlaKind,
    /// What was measured.
    pub target: SlaTarget,
    /// The instant of the evaluation.
    pub evaluated_at: DateTime<Utc>,
    /// The cycles, oldest first; empty when the clock never attached.
    pub cycles: Vec<SlaCycle>,
    /// The earliest `next_event_at` of the cycles.
    pub next_event_at: Option<DateTime<Utc>>,
}

impl SlaEvaluation {
    /// The last cycle, the one that is running or paused if any is.
    #[must_use]
    pub fn current(&self) -> Option<&SlaCycle> {
        self.cycles.last()
    }
}

/// What a segment of a cycle was.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum SegmentKind {
    /// Running in working hours: counted.
    Running,
    /// Running outside working hours: not counted.
    OutsideWorkingHours,
    /// Paused: counted as pause.
    Paused,
}

/// Why a segment of an explanation starts or ends there.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum BoundaryCause {
    /// The record was opened: a retroactive start counts from here.
    Opened,
    /// The clock attached: the start condition held (and neither stop nor cancel).
    Started,
    /// The pause condition began to hold.
    Paused,
    /// The clock resumed: the resume condition held, or the pause condition
    /// no longer did (or a due-date goal, which never pauses, came into force).
    Resumed,
    /// Another goal came into force: a priority change, a field a goal
    /// reads, a due date set or cleared.
    GoalChanged,
    /// The due date of the due-date goal in force moved.
    DueDateChanged,
    /// The stop condition held: the cycle completed.
    Stopped,
    /// The cancel condition held (or, with `cancel_when_start_unmet`, the
    /// start condition no longer did).
    Canceled,
    /// The reset condition held: the cycle closed and the next one opens.
    Reset,
    /// The calendar's working time begins.
    CalendarOpens,
    /// The calendar's working time ends.
    CalendarCloses,
    /// The instant of the evaluation (`now`): the figures stop here.
    Evaluated,
}

/// A timeline event behind a boundary: its index in the timeline's
/// `events`, and its type (`priority_changed`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventRef {
    /// The index in the timeline's `events`.
    pub index: usize,
    /// The event's type, as the timeline writes it (`state_changed`).
    #[serde(rename = "type")]
    pub kind: String,
}

/// One boundary of a segment: what the clock did there and the timeline
/// events that made it; a calendar edge and the evaluation instant name no
/// event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SegmentBoundary {
    /// What happened there, in the order the clock applied it (a goal
    /// change and a pause may fall on one update).
    pub causes: Vec<BoundaryCause>,
    /// The timeline events behind it: those of the update that the
    /// conditions in question read (all of the update's events when none
    /// can be singled out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventRef>,
}

impl SegmentBoundary {
    fn edge(cause: BoundaryCause) -> Self {
        Self {
            causes: vec![cause],
            events: Vec::new(),
        }
    }
}

/// One stretch of a cycle, for display and audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExplanationSegment {
    /// What the clock was doing.
    pub kind: SegmentKind,
    /// Start (inclusive).
    pub from: DateTime<Utc>,
    /// End (exclusive).
    pub to: DateTime<Utc>,
    /// Business time in the segment.
    pub business: BusinessDuration,
    /// Why the segment starts at `from`.
    pub from_cause: SegmentBoundary,
    /// Why it ends at `to`.
    pub to_cause: SegmentBoundary,
}

/// The segments of one cycle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CycleExplanation {
    /// The cycle's figures.
    pub cycle: SlaCycle,
    /// The segments, in order, from the cycle's start to its stop (or now).
    pub segments: Vec<ExplanationSegment>,
}

/// The result of [`explain`]: each cycle with the segments behind its figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlaExplanation {
    /// The definition's name.
    pub definition: String,
    /// The instant of the evaluation.
    pub evaluated_at: DateTime<Utc>,
    /// The cycles, oldest first.
    pub cycles: Vec<CycleExplanation>,
}

/// The most segments one explanation lists; beyond it [`explain`] fails.
pub const MAX_EXPLANATION_SEGMENTS: usize = 100_000;

/// Replays `timeline` up to `now` (events after `now` are ignored) and returns
/// every cycle of the clock of `sla`, with business time counted by `calendar`.
///
/// A pure function: the same inputs give the same result, and evaluating a
/// timeline cut at `now` gives the same result as evaluating it whole.
///
/// # Errors
/// - [`SlaError::CalendarMismatch`] when the definition names a calendar and
///   `calendar` has another name;
/// - [`SlaError::InvalidTimeline`] when the events up to `now` break the rules
///   of [`Timeline::validate`] (out of order, a `created` event not first, a
///   state change from a state the record was not in), when an event up
///   to `now` is listed after one after `now` (out of order), or when a
///   field a due-date goal reads is set to something that is not a due date
///   (`invalid_due_date`, at `events[i].to`);
/// - [`SlaError::NoOpenedTime`] for a retroactive start without a `created` event;
/// - the calendar's errors ([`SlaError::OutOfRange`], [`SlaError::NoWorkingTime`])
///   when an instant or a duration is beyond what it can compute.
pub fn evaluate(
    sla: &CompiledSla,
    calendar: &CompiledCalendar,
    timeline: &Timeline,
    now: DateTime<Utc>,
) -> Result<SlaEvaluation, SlaError> {
    let (cycles, _) = run(sla, calendar, timeline, now, false)?;
    let next_event_at = cycles.iter().filter_map(|c| c.next_event_at).min();
    let d = &sla.definition;
    Ok(SlaEvaluation {
        definition: d.name.clone(),
        kind: d.kind,
        target: d.target.clone(),
        evaluated_at: now,
        cycles,
        next_event_at,
    })
}

/// Like [`evaluate`], and lists for each cycle the running, paused and
/// outside-working-hours segments that produced its figures. Each boundary
/// of a segment names its cause: the timeline events that started, paused,
/// resumed, retargeted or stopped the clock, a calendar edge, or the
/// evaluation instant.
///
/// # Errors
/// Those of [`evaluate`], and [`SlaError::TooManySegments`] when the
/// explanation would list more than [`MAX_EXPLANATION_SEGMENTS`] segments.
pub fn explain(
    sla: &CompiledSla,
    calendar: &CompiledCalendar,
    timeline: &Timeline,
    now: DateTime<Utc>,
) -> Result<SlaExplanation, SlaError> {
    let (cycles, segments) = run(sla, calendar, timeline, now, true)?;
    let mut out = Vec::with_capacity(cycles.len());
    let mut budget = MAX_EXPLANATION_SEGMENTS;
    for (cycle, raw) in cycles.into_iter().zip(segments) {
        let mut list = Vec::new();
        for span in raw {
            if span.paused {
                push_segment(&mut list, &mut budget, SegmentKind::Paused, span, calendar)?;
            } else {
                split_running(&mut list, &mut budget, span, calendar)?;
            }
        }
        out.push(CycleExplanation {
            cycle,
            segments: list,
        });
    }
    Ok(SlaExplanation {
        definition: sla.definition.name.clone(),
        evaluated_at: now,
        cycles: out,
    })
}

fn push_segment(
    list: &mut Vec<ExplanationSegment>,
    budget: &mut usize,
    kind: SegmentKind,
    span: Span,
    calendar: &CompiledCalendar,
) -> Result<(), SlaError> {
    let (from, to) = (span.from, span.to);
    if from >= to {
        return Ok(());
    }
    if *budget == 0 {
        return Err(SlaError::TooManySegments {
            limit: MAX_EXPLANATION_SEGMENTS,
        });
    }
    *budget -= 1;
    let business = if kind == SegmentKind::OutsideWorkingHours {
        BusinessDuration::ZERO
    } else {
        between(calendar, from, to)?
    };
    list.push(ExplanationSegment {
        kind,
        from,
        to,
        business,
        from_cause: span.start,
        to_cause: span.end,
    });
    Ok(())
}

/// Splits a running stretch into working and outside-working-hours pieces;
/// the edges between them are the calendar's.
fn split_running(
    list: &mut Vec<ExplanationSegment>,
    budget: &mut usize,
    span: Span,
    calendar: &CompiledCalendar,
) -> Result<(), SlaError> {
    let Span {
        from,
        to,
        start,
        end: last,
        ..
    } = span;
    let mut start = Some(start);
    let mut last = Some(last);
    let mut cursor = from;
    while cursor < to {
        let working = calendar.is_working(cursor);
        let boundary = if working {
            calendar.next_closing(cursor)
        } else {
            calendar.next_opening(cursor)
        };
        // A calendar that never closes (24×7) or never opens again ends the split.
        let end = boundary.map_or(to, |b| b.min(to));
        let end = if end <= cursor { to } else { end };
        let kind = if working {
            SegmentKind::Running
        } else {
            SegmentKind::OutsideWorkingHours
        };
        let edge = if working {
            BoundaryCause::CalendarCloses
        } else {
            BoundaryCause::CalendarOpens
        };
        let piece = Span {
            from: cursor,
            to: end,
            paused: false,
            start: start
                .take()
                .unwrap_or_else(|| SegmentBoundary::edge(previous_edge(working))),
            end: if end < to {
                SegmentBoundary::edge(edge)
            } else {
                last.take().unwrap_or_default()
            },
        };
        push_segment(list, budget, kind, piece, calendar)?;
        cursor = end;
    }
    Ok(())
}

/// The calendar edge a piece starts at, after the first: working time
/// begins where the calendar opens, and the rest where it closes.
fn previous_edge(working: bool) -> BoundaryCause {
    if working {
        BoundaryCause::CalendarOpens
    } else {
        BoundaryCause::CalendarCloses
    }
}

fn between(
    calendar: &CompiledCalendar,
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> Result<BusinessDuration, SlaError> {
    calendar.between(a, b)
}

/// An instant of the replay with its whole seconds, nanoseconds and business
/// position, each computed once: the business time between two marks is a
/// subtraction, and an instant a business duration after a mark one lookup.
#[derive(Clone, Copy)]
struct Mark {
    at: DateTime<Utc>,
    secs: i64,
    nanos: u32,
    pos: Option<Position>,
}

impl Mark {
    #[inline]
    fn new(at: DateTime<Utc>, cal: &CompiledCalendar) -> Self {
        let (secs, nanos) = (at.timestamp(), at.timestamp_subsec_nanos());
        Self {
            at,
            secs,
            nanos,
            pos: cal.position_of(secs, nanos),
        }
    }

    /// Whether `self` is strictly after `other`.
    #[inline]
    fn is_after(&self, other: &Mark) -> bool {
        (self.secs, self.nanos) > (other.secs, other.nanos)
    }

    /// `calendar.between(self, later)`.
    #[inline]
    fn business_until(
        &self,
        later: &Mark,
        cal: &CompiledCalendar,
    ) -> Result<BusinessDuration, SlaError> {
        match (self.pos, later.pos) {
            (Some(a), Some(b)) => Ok(a.until(b)),
            _ => between(cal, self.at, later.at),
        }
    }

    /// `calendar.add(self, d)`.
    #[inline]
    fn add(&self, d: BusinessDuration, cal: &CompiledCalendar) -> Result<DateTime<Utc>, SlaError> {
        match self.pos {
            Some(p) => cal.add_from(self.at, p, d),
            None => cal.add(self.at, d),
        }
    }

    /// Whole wall-clock seconds from `self` to `later` (zero when `later` is earlier).
    #[inline]
    fn secs_until(&self, later: &Mark) -> u64 {
        let whole = later.secs - self.secs - i64::from(later.nanos < self.nanos);
        u64::try_from(whole).unwrap_or(0)
    }
}

/// The business time a goal allows from `start`.
fn resolve(
    calendar: &CompiledCalendar,
    spec: &DurationSpec,
    start: &Mark,
) -> Result<BusinessDuration, SlaError> {
    match spec {
        DurationSpec::BusinessTime { seconds } => Ok(*seconds),
        other => {
            let due = calendar.add_span(start.at, *other)?;
            start.business_until(&Mark::new(due, calendar), calendar)
        }
    }
}

/// A cycle being replayed.
struct Active {
    goal: usize,
    target: BusinessDuration,
    start: Mark,
    seg: Mark,
    paused: bool,
    elapsed: BusinessDuration,
    paused_business: BusinessDuration,
    paused_actual: u64,
    original_due: DateTime<Utc>,
    breached_at: Option<DateTime<Utc>>,
    /// The due instant of the due-date goal in force; `None` under a
    /// duration goal. Under a due-date goal the breach is this instant, not
    /// the elapsed time reaching the target, and the cycle never pauses.
    due: Option<DateTime<Utc>>,
    crossed: Vec<ThresholdCrossing>,
    /// The elapsed time at which `advance` has something to note.
    next_mark: BusinessDuration,
    segments: Option<Vec<Span>>,
    /// Why the current segment started (recorded for [`explain`] only).
    seg_cause: SegmentBoundary,
}

impl Active {
    /// Counts the time from the segment's start to `t`, noting thresholds
    /// and the breach reached on the way. `why` is the cause of the
    /// boundary at `t` (given when recording an explanation).
    fn advance(
        &mut self,
        t: &Mark,
        cal: &CompiledCalendar,
        why: Option<SegmentBoundary>,
    ) -> Result<(), SlaError> {
        if !t.is_after(&self.seg) {
            // Another cause of the boundary the current segment starts at,
            // which the previous segment ends at.
            if let Some(why) = why {
                if let Some(previous) = self.segments.as_mut().and_then(|l| l.last_mut())
                    && previous.to == self.seg.at
                {
                    merge(&mut previous.end, why.clone());
                }
                merge(&mut self.seg_cause, why);
            }
            return Ok(());
        }
        if let Some(list) = &mut self.segments {
            let end = why.unwrap_or_default();
            list.push(Span {
                from: self.seg.at,
                to: t.at,
                paused: self.paused,
                start: std::mem::replace(&mut self.seg_cause, end.clone()),
                end,
            });
        }
        // A due-date goal breaches at its instant, working hours or not.
        if let Some(due) = self.due
            && self.breached_at.is_none()
            && self.seg.at < due
            && due <= t.at
        {
            self.breached_at = Some(due);
        }
        let b = self.seg.business_until(t, cal)?;
        if self.paused {
            self.paused_business += b;
            self.paused_actual = self.paused_actual.saturating_add(self.seg.secs_until(t));
        } else {
            let before = self.elapsed;
            let after = before + b;
            if after < self.next_mark {
                self.elapsed = after;
                self.seg = *t;
                return Ok(());
            }
            for slot in &mut self.crossed {
                let at = slot.threshold.mark(self.target);
                if slot.crossed_at.is_none() && before < at && at <= after {
                    slot.crossed_at = Some(self.seg.add(at - before, cal)?);
                }
            }
            if self.due.is_none()
                && self.breached_at.is_none()
                && before < self.target
                && self.target <= after
            {
                self.breached_at = Some(self.seg.add(self.target - before, cal)?);
            }
            self.elapsed = after;
            self.next_mark = self.next_mark();
        }
        self.seg = *t;
        Ok(())
    }

    /// The target and due instant of goal `goal` coming into force at
    /// `here`: a duration from the cycle's start; or, for a due date, the
    /// elapsed time so far and the business time from `here` to the due
    /// instant, so that the time left is always the business time to it. A
    /// due-date goal whose field is empty keeps the due instant in force.
    fn target_of(
        &self,
        sla: &CompiledSla,
        cal: &CompiledCalendar,
        goal: usize,
        dues: &[Option<DateTime<Utc>>],
        here: &Mark,
    ) -> Result<(BusinessDuration, Option<DateTime<Utc>>), SlaError> {
        match sla.targets[goal] {
            GoalTarget::Duration(spec) => Ok((resolve(cal, &spec, &self.start)?, None)),
            GoalTarget::DueDate { .. } => {
                let due = due_of(sla, cal, goal, dues)?.or(self.due);
                let left = match due {
                    Some(u) => here.business_until(&Mark::new(u, cal), cal)?,
                    None => BusinessDuration::ZERO,
                };
                Ok((self.elapsed + left, due))
            }
        }
    }

    /// The business elapsed time at which the earliest threshold not yet
    /// crossed is reached; `None` when every one is. (The two forms mix, so
    /// the earliest is not always the first listed.)
    fn next_threshold(&self) -> Option<BusinessDuration> {
        self.crossed
            .iter()
            .filter(|slot| slot.crossed_at.is_none())
            .map(|slot| slot.threshold.mark(self.target))
            .min()
    }

    /// The business elapsed time at which the next threshold or the breach
    /// is reached (`MAX` when none is left).
    fn next_mark(&self) -> BusinessDuration {
        let threshold = self.next_threshold();
        let breach = (self.due.is_none() && self.breached_at.is_none()).then_some(self.target);
        threshold
            .into_iter()
            .chain(breach)
            .min()
            .unwrap_or(BusinessDuration::MAX)
    }

    /// Marks, at `t`, thresholds and the breach already reached (after a
    /// new goal or a new due date): under a due-date goal, the breach is
    /// reached when the due instant is not after `t`.
    fn settle(&mut self, t: DateTime<Utc>) {
        for slot in &mut self.crossed {
            if slot.crossed_at.is_none() && slot.threshold.mark(self.target) <= self.elapsed {
                slot.crossed_at = Some(t);
            }
        }
        let reached = match self.due {
            Some(due) => due <= t,
            None => self.target <= self.elapsed,
        };
        if self.breached_at.is_none() && reached {
            self.breached_at = Some(t);
        }
        self.next_mark = self.next_mark();
    }

    fn report(
        self,
        stage: SlaStage,
        stop: Option<DateTime<Utc>>,
        reference: &Mark,
        priority: Option<Priority>,
        cal: &CompiledCalendar,
    ) -> Result<SlaCycle, SlaError> {
        let left = if self.breached_at.is_some() {
            BusinessDuration::ZERO
        } else {
            self.target - self.elapsed
        };
        let due_at = match (self.due, self.breached_at) {
            (Some(due), _) => due,
            (None, Some(b)) => b,
            (None, None) => reference.add(left, cal)?,
        };
        let next_event_at = if stage == SlaStage::InProgress {
            match (self.next_threshold(), self.breached_at) {
                (Some(at), _) => Some(reference.add(at - self.elapsed, cal)?),
                (None, None) => Some(due_at),
                (None, Some(_)) => None,
            }
        } else {
            None
        };
        let percentage = if self.target.is_zero() {
            100.0
        } else {
            // Display only: an f64 carries 53 bits, ample for seconds.
            #[allow(clippy::cast_precision_loss)]
            let p = self.elapsed.as_secs() as f64 * 100.0 / self.target.as_secs() as f64;
            p
        };
        Ok(SlaCycle {
            stage,
            goal: self.goal,
            goal_duration: self.target,
            priority,
            start: self.start.at,
            stop,
            business_elapsed: self.elapsed,
            actual_elapsed_secs: self
                .start
                .secs_until(reference)
                .saturating_sub(self.paused_actual),
            business_paused: self.paused_business,
            actual_paused_secs: self.paused_actual,
            business_remaining: left,
            percentage,
            breached: self.breached_at.is_some(),
            due_at,
            original_due_at: self.original_due,
            breached_at: self.breached_at,
            thresholds: self.crossed,
            next_event_at,
        })
    }
}

/// The truth of every condition at one update.
#[derive(Clone, Copy)]
struct Truth {
    start: bool,
    stop: bool,
    cancel: bool,
    reset: bool,
    pause: bool,
    resume: bool,
}

impl Truth {
    /// The conditions over a record about which nothing is known yet.
    fn initial(sla: &CompiledSla, snapshot: &Snapshot, stack: &mut Vec<bool>) -> Self {
        let t = &sla.table;
        Self {
            start: t.eval(&sla.start, snapshot, stack),
            stop: t.eval(&sla.stop, snapshot, stack),
            cancel: t.eval(&sla.cancel, snapshot, stack),
            reset: t.eval(&sla.reset, snapshot, stack),
            pause: t.eval(&sla.pause, snapshot, stack),
            resume: sla
                .resume
                .as_ref()
                .is_some_and(|r| t.eval(r, snapshot, stack)),
        }
    }
}

/// A stretch of a cycle, with why it starts and ends (recorded for
/// [`explain`] only).
#[derive(Clone, Debug)]
struct Span {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    paused: bool,
    start: SegmentBoundary,
    end: SegmentBoundary,
}

type Segments = Vec<Vec<Span>>;

#[allow(clippy::too_many_lines)]
fn run(
    sla: &CompiledSla,
    cal: &CompiledCalendar,
    timeline: &Timeline,
    now: DateTime<Utc>,
    record: bool,
) -> Result<(Vec<SlaCycle>, Segments), SlaError> {
    let d = &sla.definition;
    let matches = d
        .calendar
        .as_deref()
        .map_or_else(|| cal.is_always(), |name| name == cal.name());
    if !matches {
        return Err(SlaError::CalendarMismatch {
            definition: d.name.clone(),
            expected: d.calendar.clone().unwrap_or_else(|| "24x7".to_owned()),
            actual: cal.name().to_owned(),
        });
    }
    let events = &timeline.events;
    // One notion of a valid timeline: what `Timeline::validate` refuses, the
    // clock refuses too, over the events it reads (those up to `now`).
    let read = events
        .iter()
        .position(|e| e.at > now)
        .unwrap_or(events.len());
    let mut problems = Timeline::validate_events(&events[..read]);
    // An event up to `now` listed after one after `now` is out of order, and
    // reading stops before it: refused, not skipped silently (found by the
    // fuzz target `sla_evaluate`). Faults among events after `now` stay unread.
    if let Some(k) = events[read..].iter().position(|e| e.at <= now) {
        let i = read + k;
        problems.push(Violation::new(
            format!("events[{i}].at"),
            "out_of_order",
            format!(
                "{} is before the previous event ({})",
                events[i].at,
                events[i - 1].at
            ),
        ));
    }
    // A due date a due-date goal reads must be one: refused with its path,
    // like any other fault of the timeline, rather than taken as "none".
    if !sla.due_fields.is_empty() {
        for (i, event) in events[..read].iter().enumerate() {
            if let TimelineChange::FieldChanged { field, to, .. } = &event.change
                && sla.due_fields.contains(field)
                && let Err(message) = parse_due(to, cal)
            {
                problems.push(Violation::new(
                    format!("events[{i}].to"),
                    "invalid_due_date",
                    format!("field {field:?}: {message}"),
                ));
            }
        }
    }
    if !problems.is_empty() {
        return Err(SlaError::InvalidTimeline { problems });
    }
    let mut cycles = Vec::new();
    let mut segments: Segments = Vec::new();
    if let Some(TimelineChange::Created { record_kind, .. }) = events.first().map(|e| &e.change)
        && !d.applies_to.contains(record_kind)
    {
        return Ok((cycles, segments));
    }
    let table = &sla.table;
    let mut snapshot = table.empty_snapshot();
    let mut stack = Vec::new();
    let mut active: Option<Active> = None;
    let mut first = crate::condition::CHANGED_ALL;
    let mut goals_changed;
    let mut truth = Truth::initial(sla, &snapshot, &mut stack);
    let fixed = d.deadline == DeadlineKind::Fixed;
    let opened = if d.retroactive_start {
        timeline.opened_at()
    } else {
        None
    };
    // With a retroactive pause: the pause state before the clock attached.
    let mut shadow: Option<Shadow> = None;
    // With an explanation: each event of the update with what it changed,
    // and whether it set a due date a goal reads.
    let mut update: Vec<(usize, u8, bool)> = Vec::new();
    // The due date in each field a due-date goal reads.
    let mut dues: Vec<Option<DateTime<Utc>>> = vec![None; sla.due_fields.len()];

    let mut i = 0;
    while i < events.len() {
        let at = events[i].at;
        if at > now {
            break;
        }
        let mut changed = table.begin_update(&mut snapshot) | first;
        first = 0;
        let mut j = i;
        let mut due_changed = false;
        update.clear();
        while j < events.len() && events[j].at == at {
            let change = &events[j].change;
            let bits = table.apply(&mut snapshot, change);
            changed |= bits;
            let mut due_event = false;
            if !dues.is_empty()
                && let TimelineChange::FieldChanged { field, to, .. } = change
                && let Some(k) = sla.due_fields.iter().position(|f| f == field)
            {
                due_event = true;
                // Read without error above.
                let due = parse_due(to, cal).unwrap_or(None);
                if dues[k] != due {
                    dues[k] = due;
                    due_changed = true;
                }
            }
            if record {
                update.push((j, bits, due_event));
            }
            j += 1;
        }
        // The boundary of a segment at this update, when recording.
        let why = |causes: &[BoundaryCause], deps: u8, due: bool| {
            record.then(|| boundary(&update, events, causes, deps, due))
        };
        i = j;
        goals_changed = changed & sla.goal_deps != 0 || due_changed;
        // The conditions over the category and the priority only are read
        // together from one row; of the others, only those that read what
        // changed are evaluated again.
        let row = sla.truths[snapshot.table_index()];
        let mut eval = |bit: u8, program: &crate::condition::Program, old: bool| {
            if sla.tabled & bit != 0 {
                row & bit != 0
            } else if program.deps & changed != 0 {
                table.eval(program, &snapshot, &mut stack)
            } else {
                old
            }
        };
        truth = Truth {
            start: eval(TRUTH_START, &sla.start, truth.start),
            stop: eval(TRUTH_STOP, &sla.stop, truth.stop),
            cancel: eval(TRUTH_CANCEL, &sla.cancel, truth.cancel),
            reset: eval(TRUTH_RESET, &sla.reset, truth.reset),
            pause: !fixed && eval(TRUTH_PAUSE, &sla.pause, truth.pause),
            resume: sla
                .resume
                .as_ref()
                .is_some_and(|r| eval(TRUTH_RESUME, r, truth.resume)),
        };
        let wants_pause = truth.pause && !(sla.resume.is_some() && truth.resume);
        let wants_resume = if sla.resume.is_some() {
            truth.resume
        } else {
            !truth.pause
        };
        // The instant of this update, with its business position: computed
        // once, and only when a clock runs or may attach.
        let here = (active.is_some() || truth.start).then(|| Mark::new(at, cal));

        if let Some(a) = active.as_mut() {
            let start_unmet = d.cancel_when_start_unmet && !truth.start;
            let closing = if truth.cancel || start_unmet {
                let deps = sla.cancel.deps | if start_unmet { sla.start.deps } else { 0 };
                Some((SlaStage::Canceled, BoundaryCause::Canceled, deps))
            } else if truth.reset {
                Some((SlaStage::Canceled, BoundaryCause::Reset, sla.reset.deps))
            } else if truth.stop {
                Some((SlaStage::Achieved, BoundaryCause::Stopped, sla.stop.deps))
            } else {
                None
            };
            // Always computed while a clock runs.
            let here = &here.unwrap_or(a.seg);
            if let Some((stage, cause, deps)) = closing {
                a.advance(here, cal, why(&[cause], deps, false))?;
                let stage = if stage == SlaStage::Achieved && a.breached_at.is_some() {
                    SlaStage::Breached
                } else {
                    stage
                };
                if let Some(list) = a.segments.take() {
                    segments.push(list);
                }
                if let Some(a) = active.take() {
                    cycles.push(a.report(stage, Some(at), here, snapshot.priority(), cal)?);
                }
            } else {
                // Another goal comes into force, or the due date of the
                // due-date goal in force moves.
                let retarget = if goals_changed {
                    match select_goal(sla, cal, &snapshot, &mut stack, &a.start, &dues)? {
                        Some(g) if g != a.goal => Some(g),
                        Some(g) if due_of(sla, cal, g, &dues)? != a.due => Some(g),
                        _ => None,
                    }
                } else {
                    None
                };
                let under_due = match retarget {
                    Some(g) => matches!(sla.targets[g], GoalTarget::DueDate { .. }),
                    None => a.due.is_some(),
                };
                // A due-date goal never pauses: coming into force, it resumes a paused cycle.
                let flip = if under_due {
                    a.paused
                } else if a.paused {
                    wants_resume
                } else {
                    wants_pause
                };
                if retarget.is_some() || flip {
                    let mut causes = Vec::new();
                    let (mut deps, mut due) = (0, false);
                    match retarget {
                        Some(g) if g != a.goal => {
                            causes.push(BoundaryCause::GoalChanged);
                            deps |= sla.goal_deps;
                            due |= due_changed;
                        }
                        Some(_) => {
                            causes.push(BoundaryCause::DueDateChanged);
                            due = true;
                        }
                        None => {}
                    }
                    if flip && a.paused {
                        causes.push(BoundaryCause::Resumed);
                        deps |= sla.resume.as_ref().unwrap_or(&sla.pause).deps;
                    } else if flip {
                        causes.push(BoundaryCause::Paused);
                        deps |= sla.pause.deps;
                    }
                    a.advance(here, cal, why(&causes, deps, due))?;
                }
                if let Some(g) = retarget {
                    a.goal = g;
                    (a.target, a.due) = a.target_of(sla, cal, g, &dues, here)?;
                    a.settle(at);
                }
                if flip {
                    a.paused = !a.paused;
                }
            }
        }

        if let Some(here) = here
            && active.is_none()
            && truth.start
            && !truth.stop
            && !truth.cancel
        {
            let retro = if d.retroactive_start && cycles.is_empty() {
                Some(opened.ok_or_else(|| SlaError::NoOpenedTime {
                    definition: d.name.clone(),
                })?)
            } else {
                None
            };
            let start = match retro {
                Some(opened) if opened < at => Mark::new(opened, cal),
                _ => here,
            };
            if let Some(goal) = select_goal(sla, cal, &snapshot, &mut stack, &start, &dues)? {
                let (target, due) = match sla.targets[goal] {
                    GoalTarget::Duration(spec) => (resolve(cal, &spec, &start)?, None),
                    GoalTarget::DueDate { .. } => {
                        let due = due_of(sla, cal, goal, &dues)?;
                        let until = due.map_or(Ok(BusinessDuration::ZERO), |u| {
                            start.business_until(&Mark::new(u, cal), cal)
                        })?;
                        (until, due)
                    }
                };
                let mut a = Active {
                    goal,
                    target,
                    start,
                    seg: start,
                    paused: false,
                    elapsed: BusinessDuration::ZERO,
                    paused_business: BusinessDuration::ZERO,
                    paused_actual: 0,
                    original_due: match due {
                        Some(due) => due,
                        None => start.add(target, cal)?,
                    },
                    breached_at: None,
                    due,
                    crossed: sla
                        .thresholds
                        .iter()
                        .map(|threshold| ThresholdCrossing {
                            threshold: *threshold,
                            crossed_at: None,
                        })
                        .collect(),
                    next_mark: BusinessDuration::ZERO,
                    segments: record.then(Vec::new),
                    seg_cause: SegmentBoundary::default(),
                };
                let started = why(&[BoundaryCause::Started], sla.start.deps, false);
                a.seg_cause = if record && start.at < at {
                    // A retroactive start counts from the created event.
                    let created = events
                        .iter()
                        .position(|e| matches!(e.change, TimelineChange::Created { .. }));
                    SegmentBoundary {
                        causes: vec![BoundaryCause::Opened],
                        events: created
                            .map(|k| vec![event_ref(events, k)])
                            .unwrap_or_default(),
                    }
                } else {
                    started.clone().unwrap_or_default()
                };
                // A due date not after the start is breached as the cycle starts.
                a.settle(start.at);
                // A due-date goal never pauses, not even retroactively.
                let pauses = a.due.is_none();
                if retro.is_some() {
                    match shadow.take() {
                        Some(sh) if d.retroactive_pause => {
                            for span in sh.list {
                                a.paused = span.paused && pauses;
                                a.seg = Mark::new(span.from, cal);
                                a.seg_cause = span.start;
                                a.advance(
                                    &Mark::new(span.to, cal),
                                    cal,
                                    record.then_some(span.end),
                                )?;
                            }
                            a.paused = sh.paused && pauses;
                            a.seg = Mark::new(sh.since, cal);
                            a.seg_cause = sh.since_cause;
                            a.advance(&here, cal, started)?;
                        }
                        _ => a.advance(&here, cal, started)?,
                    }
                }
                a.settle(at);
                a.paused = wants_pause && pauses;
                active = Some(a);
            }
        }

        if active.is_none() && cycles.is_empty() && d.retroactive_pause {
            let sh = shadow.get_or_insert_with(|| Shadow {
                paused: false,
                since: at,
                since_cause: why(&[BoundaryCause::Opened], 0, false).unwrap_or_default(),
                list: Vec::new(),
            });
            let next = if sh.paused {
                !wants_resume
            } else {
                wants_pause
            };
            if next != sh.paused {
                let b = if sh.paused {
                    let deps = sla.resume.as_ref().unwrap_or(&sla.pause).deps;
                    why(&[BoundaryCause::Resumed], deps, false)
                } else {
                    why(&[BoundaryCause::Paused], sla.pause.deps, false)
                }
                .unwrap_or_default();
                if at > sh.since {
                    let start = std::mem::replace(&mut sh.since_cause, b.clone());
                    sh.list.push(Span {
                        from: sh.since,
                        to: at,
                        paused: sh.paused,
                        start,
                        end: b,
                    });
                } else {
                    merge(&mut sh.since_cause, b);
                }
                sh.paused = next;
                sh.since = at;
            }
        }
    }

    if let Some(mut a) = active {
        let end = Mark::new(now, cal);
        let evaluated = record.then(|| SegmentBoundary::edge(BoundaryCause::Evaluated));
        a.advance(&end, cal, evaluated)?;
        let stage = if a.paused {
            SlaStage::Paused
        } else {
            SlaStage::InProgress
        };
        if let Some(list) = a.segments.take() {
            segments.push(list);
        }
        let reference = if now < a.start.at { a.start } else { end };
        cycles.push(a.report(stage, None, &reference, snapshot.priority(), cal)?);
    }
    Ok((cycles, segments))
}

/// The pause state before the clock attached, with a retroactive pause:
/// paused or not since when (and why), and the stretches before.
struct Shadow {
    paused: bool,
    since: DateTime<Utc>,
    since_cause: SegmentBoundary,
    list: Vec<Span>,
}

/// The boundary at an update for `causes`: the update's events that
/// changed what `deps` reads (or, with `due`, set a due date a goal reads);
/// all of them when none does.
fn boundary(
    update: &[(usize, u8, bool)],
    events: &[itsm_core::TimelineEvent],
    causes: &[BoundaryCause],
    deps: u8,
    due: bool,
) -> SegmentBoundary {
    let mut list: Vec<EventRef> = update
        .iter()
        .filter(|(_, bits, due_event)| bits & deps != 0 || (due && *due_event))
        .map(|(k, _, _)| event_ref(events, *k))
        .collect();
    if list.is_empty() {
        list = update
            .iter()
            .map(|(k, _, _)| event_ref(events, *k))
            .collect();
    }
    SegmentBoundary {
        causes: causes.to_vec(),
        events: list,
    }
}

/// Adds `more` to the causes and events of `into`, each once.
fn merge(into: &mut SegmentBoundary, more: SegmentBoundary) {
    for cause in more.causes {
        if !into.causes.contains(&cause) {
            into.causes.push(cause);
        }
    }
    for event in more.events {
        if !into.events.contains(&event) {
            into.events.push(event);
        }
    }
}

/// Event `k` of the timeline, by index and type.
fn event_ref(events: &[itsm_core::TimelineEvent], k: usize) -> EventRef {
    let kind = match &events[k].change {
        TimelineChange::Created { .. } => "created",
        TimelineChange::StateChanged { .. } => "state_changed",
        TimelineChange::PriorityChanged { .. } => "priority_changed",
        TimelineChange::AssignmentChanged { .. } => "assignment_changed",
        TimelineChange::FieldChanged { .. } => "field_changed",
        TimelineChange::CommentAdded { .. } => "comment_added",
        // A kind added to the timeline later: its type as written.
        other => {
            return EventRef {
                index: k,
                kind: serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str().map(str::to_owned)))
                    .unwrap_or_else(|| "unknown".to_owned()),
            };
        }
    };
    EventRef {
        index: k,
        kind: kind.to_owned(),
    }
}

/// The index of the goal in force for the snapshot; `None` when no goal's
/// condition holds (a due-date goal holds only while its field has a due
/// date). Only `shortest` converts durations (from `start`), and compares a
/// due date by the business time from `start` to it.
fn select_goal(
    sla: &CompiledSla,
    cal: &CompiledCalendar,
    snapshot: &Snapshot,
    stack: &mut Vec<bool>,
    start: &Mark,
    dues: &[Option<DateTime<Utc>>],
) -> Result<Option<usize>, SlaError> {
    let mut best: Option<(usize, BusinessDuration)> = None;
    for (i, program) in sla.goals.iter().enumerate() {
        if let GoalTarget::DueDate { field, .. } = sla.targets[i]
            && dues[field].is_none()
        {
            continue;
        }
        if !sla.table.eval(program, snapshot, stack) {
            continue;
        }
        match sla.definition.goal_selection {
            GoalSelection::FirstMatch => return Ok(Some(i)),
            GoalSelection::Shortest => {
                let target = match sla.targets[i] {
                    GoalTarget::Duration(spec) => resolve(cal, &spec, start)?,
                    GoalTarget::DueDate { .. } => match due_of(sla, cal, i, dues)? {
                        Some(due) => start.business_until(&Mark::new(due, cal), cal)?,
                        None => continue,
                    },
                };
                if best.is_none_or(|(_, t)| target < t) {
                    best = Some((i, target));
                }
            }
        }
    }
    Ok(best.map(|(i, _)| i))
}

/// The due instant goal `goal` aims at: its field's due date, moved to the
/// next opening when the goal says so; `None` for a duration goal or a
/// field without a due date.
fn due_of(
    sla: &CompiledSla,
    cal: &CompiledCalendar,
    goal: usize,
    dues: &[Option<DateTime<Utc>>],
) -> Result<Option<DateTime<Utc>>, SlaError> {
    let GoalTarget::DueDate { field, outside } = sla.targets[goal] else {
        return Ok(None);
    };
    match (dues[field], outside) {
        (None, _) => Ok(None),
        (Some(due), OutsideWorkingHours::Keep) => Ok(Some(due)),
        (Some(due), _) => cal.next_opening(due).map(Some),
    }
}
