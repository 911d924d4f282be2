//! [`SlaDefinition`]: what an SLA, OLA or underpinning contract promises, and
//! when its clock starts, pauses, resumes, stops, cancels and resets; its
//! validation ([`SlaDefinition::check`]) with warnings about the known traps;
//! and its compiled form [`CompiledSla`].

use itsm_core::{RecordKind, Validate, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::condition::{LeafTable, Program, check_condition};
use crate::units::{BusinessDuration, DurationSpec};
use crate::{Condition, SlaError, WarningThreshold};

/// The longest goal a definition may set, in days: 3,660 working or calendar
/// days, or as much business time as 3,660 days of 24 hours hold (about ten
/// years). Calendars reach up to 2199, so a goal within the bound gives every
/// ticket opened before the 2180s a due instant the calendar can compute,
/// where a longer one would make the ticket's every evaluation fail.
pub const MAX_GOAL_DAYS: u32 = 3_660;

/// The most conditions one definition may hold: the nodes of every
/// condition tree together, goals included, each leaf counting once more for
/// every state, reason, priority, category, group or value it lists.
///
/// The bound keeps compiling and evaluating a definition cheap, and keeps
/// every listed name distinct in the compiled program (which numbers the
/// names it interns with 16 bits).
pub const MAX_CONDITION_NODES: usize = 4_096;

/// The most warning thresholds one definition may list (percentages and
/// times before the due instant together). Percentages alone can be at most
/// 99; the bound keeps the times before the due instant as few.
pub const MAX_WARNING_THRESHOLDS: usize = 100;

/// Implements `FromStr` from the strum names, with [`SlaError::InvalidName`].
macro_rules! impl_from_str {
    ($($ty:ty => $field:literal),+ $(,)?) => {$(
        impl std::str::FromStr for $ty {
            type Err = SlaError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                use strum::IntoEnumIterator;
                // The British spelling is read as the one we write.
                let s = if s == "cancelled" { "canceled" } else { s };
                Self::iter().find(|v| <&'static str>::from(*v) == s).ok_or_else(|| SlaError::InvalidName {
                    field: $field,
                    value: s.to_owned(),
                    expected: Self::iter().map(<&'static str>::from).collect::<Vec<_>>().join(", "),
                })
            }
        }
    )+};
}
pub(crate) use impl_from_str;

impl_from_str!(
    SlaKind => "sla kind",
    GoalSelection => "goal selection",
    DeadlineKind => "deadline kind",
    OutsideWorkingHours => "outside working hours",
);

/// What kind of agreement a definition measures.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Default,
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
pub enum SlaKind {
    /// A service level agreement with the customer.
    #[default]
    Sla,
    /// An operational level agreement between internal teams.
    Ola,
    /// An underpinning contract with a supplier.
    UnderpinningContract,
}

/// What the clock measures the time to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SlaTarget {
    /// The time to the first response.
    Response,
    /// The time to resolution.
    Resolution,
    /// A target of the organisation's own, by name (`{"custom": "first_fix"}`).
    Custom(String),
}

/// How the goal is chosen when several goals' conditions hold.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Default,
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
pub enum GoalSelection {
    /// The first goal, in order, whose condition holds.
    #[default]
    FirstMatch,
    /// The goal with the shortest duration among those whose condition holds
    /// (business-time goals only are compared; see the design notes).
    Shortest,
}

/// How the due instant behaves when the ticket waits.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Default,
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
pub enum DeadlineKind {
    /// The clock pauses, and the due instant moves later by the paused business time.
    #[default]
    Elapsed,
    /// A negotiated due date: the clock never pauses, the due instant never moves.
    Fixed,
}

/// One goal: when its condition holds, the clock aims at its duration, or
/// at the record's own due date.
///
/// Exactly one of `duration` and `due_date` is given:
/// `{"when": …, "duration": {"unit": "business_time", "seconds": 14400}}` or
/// `{"when": …, "due_date": {"field": "due_at"}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("oneOf" = [{"required": ["duration"]}, {"required": ["due_date"]}]))]
pub struct SlaGoal {
    /// When this goal applies (for example `{"type": "priority", "any_of": ["p1"]}`);
    /// always, when absent.
    #[serde(default = "Condition::always")]
    pub when: Condition,
    /// The time allowed from the cycle's start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DurationSpec")]
    pub duration: Option<DurationSpec>,
    /// The record's own due date is the target (ServiceNow's "breach on due
    /// date", a negotiated due date): the breach is that instant, and the
    /// clock never pauses while this goal is in force. The goal applies only
    /// while the record has a due date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "DueDateGoal")]
    pub due_date: Option<DueDateGoal>,
}

impl SlaGoal {
    /// A goal of `duration` when `when` holds.
    #[must_use]
    pub fn duration(when: Condition, duration: DurationSpec) -> Self {
        Self {
            when,
            duration: Some(duration),
            due_date: None,
        }
    }

    /// A goal of the record's due date when `when` holds.
    #[must_use]
    pub fn due_date(when: Condition, due_date: DueDateGoal) -> Self {
        Self {
            when,
            duration: None,
            due_date: Some(due_date),
        }
    }
}

/// Where a due-date goal reads the record's due date, and what a due date
/// outside working hours means.
///
/// The due date is the value of a field as the timeline's `field_changed`
/// events set it: an RFC 3339 instant (`"2026-03-13T17:00:00Z"`), or a date
/// alone (`"2026-03-13"`), which means the end of that day in the calendar's
/// time zone. `null` or `""` is no due date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DueDateGoal {
    /// The field, by the name its `field_changed` events give it; `due_at`
    /// (the field of our records) when absent.
    #[serde(default = "DueDateGoal::default_field")]
    pub field: String,
    /// A due date outside working hours: kept as written (the default), or
    /// moved to the next opening of the calendar, as ServiceNow does.
    #[serde(default)]
    pub outside_working_hours: OutsideWorkingHours,
}

impl DueDateGoal {
    fn default_field() -> String {
        "due_at".to_owned()
    }
}

impl Default for DueDateGoal {
    /// The field `due_at`, kept as written outside working hours.
    fn default() -> Self {
        Self {
            field: Self::default_field(),
            outside_working_hours: OutsideWorkingHours::default(),
        }
    }
}

/// What a due date outside the calendar's working hours means.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Default,
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
pub enum OutsideWorkingHours {
    /// The breach is the instant written, working hours or not: the customer
    /// agreed to an instant.
    #[default]
    Keep,
    /// The breach moves to the next opening of the calendar (ServiceNow's
    /// relative durations do this).
    NextOpening,
}

/// An SLA, OLA or underpinning-contract definition, as data.
///
/// Conditions are tested after each update of the ticket (the events of one
/// instant applied together). The clock attaches when `start` holds and
/// neither `stop` nor `cancel` does; then, in this order: `cancel` (and, with
/// `cancel_when_start_unmet`, a failing `start`) cancels it, `reset` closes it
/// and opens the next cycle, `stop` completes it, and `pause` / `resume`
/// suspend and continue it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SlaDefinition {
    /// A unique name, such as `incident-resolution-p1-p4`.
    pub name: String,
    /// SLA, OLA or underpinning contract.
    #[serde(default)]
    pub kind: SlaKind,
    /// What is measured.
    pub target: SlaTarget,
    /// The record kinds this definition applies to (at least one).
    pub applies_to: Vec<RecordKind>,
    /// The goals, in order.
    pub goals: Vec<SlaGoal>,
    /// How a goal is chosen among those whose condition holds.
    #[serde(default)]
    pub goal_selection: GoalSelection,
    /// The name of the business calendar; the built-in 24×7 calendar when absent.
    #[serde(default)]
    pub calendar: Option<String>,
    /// When warnings are due: whole percentages of the goal (1 to 99,
    /// increasing among themselves), written as bare integers, and amounts of
    /// business time before the due instant (`{"before_due": "PT1H"}`,
    /// decreasing among themselves), in any mix; at most
    /// [`MAX_WARNING_THRESHOLDS`].
    #[serde(default)]
    pub warning_thresholds: Vec<WarningThreshold>,
    /// When the clock attaches.
    pub start: Condition,
    /// When the clock completes (achieved or breached).
    pub stop: Condition,
    /// When the clock pauses; never, when absent.
    #[serde(default = "Condition::never")]
    pub pause: Condition,
    /// When a paused clock resumes; when absent, as soon as `pause` no longer holds.
    #[serde(default)]
    pub resume: Option<Condition>,
    /// When the clock is cancelled; never, when absent.
    #[serde(default = "Condition::never")]
    pub cancel: Condition,
    /// Also cancel when `start` no longer holds (ServiceNow's default "cancel
    /// when the start condition is not met").
    #[serde(default)]
    pub cancel_when_start_unmet: bool,
    /// When the current cycle is closed (cancelled) and a new one opens; never,
    /// when absent. Tested at every update: use an `occurs` condition.
    #[serde(default = "Condition::never")]
    pub reset: Condition,
    /// The first cycle starts when the record was opened, not when `start` first held.
    #[serde(default)]
    pub retroactive_start: bool,
    /// With `retroactive_start`: time the `pause` condition held before the
    /// clock attached counts as paused.
    #[serde(default)]
    pub retroactive_pause: bool,
    /// Whether pauses move the due instant.
    #[serde(default)]
    pub deadline: DeadlineKind,
}

/// What [`SlaDefinition::check`] found: errors make the definition unusable;
/// warnings name a known trap that is allowed but probably unintended.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DefinitionReport {
    /// Problems that prevent compiling the definition.
    pub errors: Vec<Violation>,
    /// Known traps: the definition compiles but probably does not do what was meant.
    pub warnings: Vec<Violation>,
}

impl DefinitionReport {
    /// Whether there are no errors (warnings allowed).
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

impl Validate for SlaDefinition {
    fn validate(&self) -> Vec<Violation> {
        self.errors()
    }
}

impl SlaDefinition {
    /// Parses the wire form, naming the JSON path of the first offending value.
    ///
    /// # Errors
    /// [`SlaError::Json`] when the text is not a definition. The content is
    /// not validated here: [`check`](Self::check) and [`CompiledSla::new`] do it.
    pub fn from_json(text: &str) -> Result<Self, SlaError> {
        itsm_core::from_json(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => SlaError::Json { path, message },
            other => SlaError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })
    }

    /// Checks the whole definition and reports every error and every
    /// warning at once, each with the JSON path of the field.
    ///
    /// Warnings: `start_within_stop` (the start condition implies the stop
    /// condition, so the clock never attaches), `start_excludes_pause` (with
    /// `cancel_when_start_unmet`, pausing would cancel the clock instead),
    /// `pause_on_fixed_deadline` (a fixed deadline never pauses),
    /// `reset_without_event` (a reset condition with no `occurs` test resets
    /// at every update while it holds), `no_fallback_goal` (no goal applies
    /// always, so some tickets get no clock), `no_fallback_for_missing_due_date`
    /// (only due-date goals apply always, so a ticket without a due date gets
    /// no clock), `pause_on_due_date_goals` (every goal is a due date, which
    /// never pauses), `warning_before_whole_goal` (a warning a time before the
    /// due instant at least as long as a business-time goal, so crossed as
    /// the cycle starts).
    #[must_use]
    pub fn check(&self) -> DefinitionReport {
        let errors = self.errors();
        let mut warnings = Vec::new();
        if errors.is_empty() {
            self.trap_warnings(&mut warnings);
        }
        DefinitionReport { errors, warnings }
    }

    /// Every error, without the (costlier) trap analysis.
    fn errors(&self) -> Vec<Violation> {
        let mut errors = Vec::new();
        if self.name.trim().is_empty() {
            errors.push(Violation::new(
                "name",
                "empty_name",
                "the definition needs a name",
            ));
        }
        if let SlaTarget::Custom(name) = &self.target
            && name.trim().is_empty()
        {
            errors.push(Violation::new(
                "target.custom",
                "empty_name",
                "a custom target needs a name",
            ));
        }
        if self.applies_to.is_empty() {
            errors.push(Violation::new(
                "applies_to",
                "empty_list",
                "the definition applies to no record kind; name at least one",
            ));
        }
        if self.goals.is_empty() {
            errors.push(Violation::new(
                "goals",
                "empty_list",
                "the definition needs at least one goal",
            ));
        }
        for (i, goal) in self.goals.iter().enumerate() {
            if let Some(due) = &goal.due_date
                && due.field.trim().is_empty()
            {
                errors.push(Violation::new(
                    format!("goals[{i}].due_date.field"),
                    "empty_name",
                    "the due date's field name is empty",
                ));
            }
            check_condition(&goal.when, &format!("goals[{i}].when"), &mut errors);
            let duration = match (&goal.duration, &goal.due_date) {
                (Some(d), None) => *d,
                (None, Some(_)) => continue,
                (Some(_), Some(_)) => {
                    errors.push(Violation::new(
                        format!("goals[{i}]"),
                        "goal_target",
                        format!("goal {i} gives both a duration and a due date; give one"),
                    ));
                    continue;
                }
                (None, None) => {
                    errors.push(Violation::new(
                        format!("goals[{i}]"),
                        "goal_target",
                        format!("goal {i} gives neither a duration nor a due date; give one"),
                    ));
                    continue;
                }
            };
            let zero = match duration {
                DurationSpec::BusinessTime { seconds } => seconds.is_zero(),
                DurationSpec::WorkingDays { days, .. } | DurationSpec::CalendarDays { days } => {
                    days == 0
                }
            };
            if zero {
                errors.push(Violation::new(
                    format!("goals[{i}].duration"),
                    "zero_duration",
                    format!("goal {i} allows no time at all: {duration}"),
                ));
            }
            let too_long = match duration {
                DurationSpec::BusinessTime { seconds } => {
                    seconds.as_secs() > u64::from(MAX_GOAL_DAYS) * 86_400
                }
                DurationSpec::WorkingDays { days, .. } | DurationSpec::CalendarDays { days } => {
                    days > MAX_GOAL_DAYS
                }
            };
            if too_long {
                errors.push(Violation::new(
                    format!("goals[{i}].duration"),
                    "goal_too_long",
                    format!(
                        "goal {i} allows {duration}; at most {MAX_GOAL_DAYS} days (about ten years) are allowed"
                    ),
                ));
            }
        }
        if let Some(name) = &self.calendar
            && name.trim().is_empty()
        {
            errors.push(Violation::new(
                "calendar",
                "empty_name",
                "the calendar name is empty",
            ));
        }
        self.threshold_errors(&mut errors);
        for (path, condition) in self.conditions() {
            check_condition(condition, &path, &mut errors);
        }
        let nodes: usize = self
            .conditions()
            .map(|(_, c)| count_nodes(c))
            .sum::<usize>()
            + self
                .goals
                .iter()
                .map(|g| count_nodes(&g.when))
                .sum::<usize>();
        if nodes > MAX_CONDITION_NODES {
            errors.push(Violation::new(
                ".",
                "too_many_conditions",
                format!(
                    "the definition's conditions count {nodes} (each node once, and once more for every name or value a leaf lists); at most {MAX_CONDITION_NODES} are allowed"
                ),
            ));
        }
        if self.retroactive_pause && !self.retroactive_start {
            errors.push(Violation::new(
                "retroactive_pause",
                "retroactive_pause_without_start",
                "retroactive_pause needs retroactive_start: without it no time before the start is counted",
            ));
        }
        errors
    }

    /// The rules of `warning_thresholds`: percentages from 1 to 99, each
    /// above the previous percentage; times before the due instant above
    /// zero and within [`MAX_GOAL_DAYS`], each shorter than the previous
    /// one (so that each form lists its thresholds in the order they fire);
    /// at most [`MAX_WARNING_THRESHOLDS`] in all.
    fn threshold_errors(&self, errors: &mut Vec<Violation>) {
        let list = &self.warning_thresholds;
        if list.len() > MAX_WARNING_THRESHOLDS {
            errors.push(Violation::new(
                "warning_thresholds",
                "too_many_thresholds",
                format!(
                    "{} warning thresholds are listed; at most {MAX_WARNING_THRESHOLDS} are allowed",
                    list.len()
                ),
            ));
            return;
        }
        let mut last_percent: Option<u8> = None;
        let mut last_before: Option<BusinessDuration> = None;
        for (i, t) in list.iter().enumerate() {
            let path = format!("warning_thresholds[{i}]");
            match *t {
                WarningThreshold::Percent(p) => {
                    if !(1..=99).contains(&p) {
                        errors.push(Violation::new(
                            path.clone(),
                            "threshold_out_of_range",
                            format!("warning threshold {p} % is not between 1 and 99"),
                        ));
                    }
                    if let Some(previous) = last_percent
                        && p <= previous
                    {
                        errors.push(Violation::new(
                            path,
                            "thresholds_not_increasing",
                            format!(
                                "warning threshold {p} % does not exceed the previous one ({previous} %)"
                            ),
                        ));
                    }
                    last_percent = Some(p);
                }
                WarningThreshold::BeforeDue(d) => {
                    if d.is_zero() {
                        errors.push(Violation::new(
                            format!("{path}.before_due"),
                            "threshold_out_of_range",
                            "a warning 0 s before the due instant is the breach itself; give a time above zero",
                        ));
                    } else if d.as_secs() > u64::from(MAX_GOAL_DAYS) * 86_400 {
                        errors.push(Violation::new(
                            format!("{path}.before_due"),
                            "threshold_out_of_range",
                            format!(
                                "a warning {} before the due instant is longer than any goal may be ({MAX_GOAL_DAYS} days)",
                                d.humanized()
                            ),
                        ));
                    }
                    if let Some(previous) = last_before
                        && d >= previous
                    {
                        errors.push(Violation::new(
                            format!("{path}.before_due"),
                            "thresholds_not_increasing",
                            format!(
                                "a warning {} before the due instant does not come after the previous one ({} before): list them from the earliest",
                                d.humanized(),
                                previous.humanized()
                            ),
                        ));
                    }
                    last_before = Some(d);
                }
            }
        }
    }

    /// Every condition of the definition with its path.
    fn conditions(&self) -> impl Iterator<Item = (String, &Condition)> {
        [
            ("start", Some(&self.start)),
            ("stop", Some(&self.stop)),
            ("pause", Some(&self.pause)),
            ("resume", self.resume.as_ref()),
            ("cancel", Some(&self.cancel)),
            ("reset", Some(&self.reset)),
        ]
        .into_iter()
        .filter_map(|(p, c)| c.map(|c| (p.to_owned(), c)))
    }

    fn trap_warnings(&self, warnings: &mut Vec<Violation>) {
        let mut table = LeafTable::default();
        let start = table.compile(&self.start);
        let stop = table.compile(&self.stop);
        let pause = table.compile(&self.pause);
        let reset = table.compile(&self.reset);
        if table.satisfiable(&[(&start, true), (&stop, false)]) == Some(false) {
            warnings.push(Violation::new(
                "start",
                "start_within_stop",
                "whenever the start condition holds the stop condition holds too: the clock never attaches",
            ));
        }
        let pauses = table.satisfiable(&[(&pause, true)]) != Some(false);
        if self.cancel_when_start_unmet
            && self.deadline == DeadlineKind::Elapsed
            && pauses
            && table.satisfiable(&[(&start, true), (&pause, true)]) == Some(false)
        {
            warnings.push(Violation::new(
                "pause",
                "start_excludes_pause",
                "the start and pause conditions exclude each other and cancel_when_start_unmet is set: \
                 the clock would be cancelled instead of paused",
            ));
        }
        if self.deadline == DeadlineKind::Fixed && pauses {
            warnings.push(Violation::new(
                "pause",
                "pause_on_fixed_deadline",
                "a fixed deadline never pauses: the pause and resume conditions are ignored",
            ));
        }
        if !reset.has_occurs && table.satisfiable(&[(&reset, true)]) != Some(false) {
            warnings.push(Violation::new(
                "reset",
                "reset_without_event",
                "the reset condition tests no event that occurs: it resets the clock at every update while it holds",
            ));
        }
        let always = |g: &&SlaGoal| g.when == Condition::Always;
        if !self
            .goals
            .iter()
            .any(|g| always(&g) && g.duration.is_some())
        {
            if self.goals.iter().any(|g| always(&g)) {
                warnings.push(Violation::new(
                    "goals",
                    "no_fallback_for_missing_due_date",
                    "the only goals that apply always are due dates: a ticket without a due date gets no clock until one is set",
                ));
            } else {
                warnings.push(Violation::new(
                    "goals",
                    "no_fallback_goal",
                    "no goal applies always: a ticket that matches no goal gets no clock",
                ));
            }
        }
        if self.deadline == DeadlineKind::Elapsed
            && pauses
            && !self.goals.is_empty()
            && self.goals.iter().all(|g| g.due_date.is_some())
        {
            warnings.push(Violation::new(
                "pause",
                "pause_on_due_date_goals",
                "every goal is a due date, which never pauses: the pause and resume conditions are ignored",
            ));
        }
        for (i, t) in self.warning_thresholds.iter().enumerate() {
            let WarningThreshold::BeforeDue(before) = *t else {
                continue;
            };
            let shorter = self
                .goals
                .iter()
                .enumerate()
                .find_map(|(g, goal)| match goal.duration {
                    Some(DurationSpec::BusinessTime { seconds }) if seconds <= before => {
                        Some((g, seconds))
                    }
                    _ => None,
                });
            if let Some((g, seconds)) = shorter {
                warnings.push(Violation::new(
                    format!("warning_thresholds[{i}].before_due"),
                    "warning_before_whole_goal",
                    format!(
                        "goal {g} allows {}, no more than this warning's {} before the due instant: under it the warning is crossed as the cycle starts",
                        seconds.humanized(),
                        before.humanized()
                    ),
                ));
            }
        }
    }
}

fn count_nodes(condition: &Condition) -> usize {
    let mut count = 0;
    let mut stack = vec![condition];
    while let Some(c) = stack.pop() {
        count += 1;
        match c {
            Condition::All { all } => stack.extend(all),
            Condition::Any { any } => stack.extend(any),
            Condition::Not { not } => stack.push(not),
            Condition::State { any_of } | Condition::OnHoldReason { any_of } => {
                count += any_of.len()
            }
            Condition::Category { any_of } => count += any_of.len(),
            Condition::Priority { any_of } => count += any_of.len(),
            Condition::AssignmentGroup { any_of } => count += any_of.len(),
            Condition::Field { any_of, .. } => count += any_of.len(),
            _ => {}
        }
    }
    count
}

/// A validated definition with its conditions compiled: what the clock runs.
///
/// Build it once per definition and reuse it for every ticket.
#[derive(Clone, Debug)]
pub struct CompiledSla {
    pub(crate) definition: SlaDefinition,
    pub(crate) table: LeafTable,
    pub(crate) start: Program,
    pub(crate) stop: Program,
    pub(crate) pause: Program,
    pub(crate) resume: Option<Program>,
    pub(crate) cancel: Program,
    pub(crate) reset: Program,
    pub(crate) goals: Vec<Program>,
    /// What each goal aims at, in the order of `goals`.
    pub(crate) targets: Vec<GoalTarget>,
    /// The fields due-date goals read, each once; a [`GoalTarget::DueDate`]
    /// names its field by its index here.
    pub(crate) due_fields: Vec<String>,
    /// What the goal conditions read, together.
    pub(crate) goal_deps: u8,
    pub(crate) thresholds: Vec<WarningThreshold>,
    /// The truths of the start, stop, cancel, reset, pause and resume
    /// conditions (bits [`TRUTH_START`] and on) that test only the category
    /// and the priority, for each [`Snapshot::table_index`](crate::condition::Snapshot::table_index):
    /// one lookup per update decides them all.
    pub(crate) truths: [u8; 49],
    /// Which of those conditions `truths` decides.
    pub(crate) tabled: u8,
}

/// What a compiled goal aims at.
#[derive(Clone, Copy, Debug)]
pub(crate) enum GoalTarget {
    /// A duration from the cycle's start.
    Duration(DurationSpec),
    /// The due date in the field `due_fields[field]`.
    DueDate {
        field: usize,
        outside: OutsideWorkingHours,
    },
}

/// Bits of [`CompiledSla::truths`].
pub(crate) const TRUTH_START: u8 = 1;
pub(crate) const TRUTH_STOP: u8 = 2;
pub(crate) const TRUTH_CANCEL: u8 = 4;
pub(crate) const TRUTH_RESET: u8 = 8;
pub(crate) const TRUTH_PAUSE: u8 = 16;
pub(crate) const TRUTH_RESUME: u8 = 32;

impl CompiledSla {
    /// Validates and compiles a definition.
    ///
    /// # Errors
    /// [`SlaError::InvalidDefinition`] listing every error of
    /// [`SlaDefinition::check`] (warnings do not prevent compiling).
    pub fn new(definition: &SlaDefinition) -> Result<Self, SlaError> {
        let errors = definition.errors();
        if !errors.is_empty() {
            return Err(SlaError::InvalidDefinition {
                name: definition.name.clone(),
                problems: errors,
            });
        }
        let mut table = LeafTable::default();
        let start = table.compile(&definition.start);
        let stop = table.compile(&definition.stop);
        let pause = table.compile(&definition.pause);
        let resume = definition.resume.as_ref().map(|c| table.compile(c));
        let cancel = table.compile(&definition.cancel);
        let reset = table.compile(&definition.reset);
        let goals: Vec<Program> = definition
            .goals
            .iter()
            .map(|g| table.compile(&g.when))
            .collect();
        let mut due_fields: Vec<String> = Vec::new();
        let mut targets = Vec::with_capacity(definition.goals.len());
        for goal in &definition.goals {
            // `errors` above guarantees exactly one of the two.
            targets.push(match (&goal.duration, &goal.due_date) {
                (_, Some(due)) => {
                    let field = match due_fields.iter().position(|f| *f == due.field) {
                        Some(k) => k,
                        None => {
                            due_fields.push(due.field.clone());
                            due_fields.len() - 1
                        }
                    };
                    GoalTarget::DueDate {
                        field,
                        outside: due.outside_working_hours,
                    }
                }
                (Some(d), None) => GoalTarget::Duration(*d),
                (None, None) => {
                    return Err(SlaError::InvalidDefinition {
                        name: definition.name.clone(),
                        problems: vec![Violation::new(
                            "goals",
                            "goal_target",
                            "a goal has no target",
                        )],
                    });
                }
            });
        }
        let mut truths = [0u8; 49];
        let mut tabled = 0;
        for (bit, program) in [
            (TRUTH_START, Some(&start)),
            (TRUTH_STOP, Some(&stop)),
            (TRUTH_CANCEL, Some(&cancel)),
            (TRUTH_RESET, Some(&reset)),
            (TRUTH_PAUSE, Some(&pause)),
            (TRUTH_RESUME, resume.as_ref()),
        ] {
            if let Some(t) = program.and_then(Program::table) {
                tabled |= bit;
                for (i, row) in truths.iter_mut().enumerate() {
                    if t >> i & 1 == 1 {
                        *row |= bit;
                    }
                }
            }
        }
        Ok(Self {
            truths,
            tabled,
            definition: definition.clone(),
            table,
            start,
            stop,
            pause,
            resume,
            cancel,
            reset,
            goal_deps: goals.iter().fold(0, |m, g| m | g.deps),
            goals,
            targets,
            due_fields,
            thresholds: definition.warning_thresholds.clone(),
        })
    }

    /// The definition this was compiled from.
    #[must_use]
    pub fn definition(&self) -> &SlaDefinition {
        &self.definition
    }

    /// The definition's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.definition.name
    }
}
