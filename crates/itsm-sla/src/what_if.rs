//! What-if: a record's clocks evaluated again under a changed definition, a
//! changed calendar or an edited timeline ([`WhatIf`]), side by side with
//! the baseline and the difference ([`what_if`], [`WhatIfReport`]); the
//! timeline edits on their own ([`edit_timeline`]), and the difference of
//! any two evaluations ([`compare_evaluations`]), which is how the repair
//! of stored clocks after a definition changes is previewed.

use chrono::{DateTime, Utc};
use itsm_core::{FieldValue, Priority, StateCategory, Timeline, TimelineChange, TimelineEvent};
use itsm_core::{Validate, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    BusinessCalendar, CompiledCalendar, CompiledSla, SlaDefinition, SlaError, SlaEvaluation,
    SlaStage, evaluate,
};

/// The most edits one what-if may make to a timeline: each costs one pass
/// over the timeline.
pub const MAX_WHAT_IF_EDITS: usize = 1_000;

/// One edit to a record's timeline: "had it been on hold from X to Y", "had
/// the priority changed at T". Written as data:
/// `{"type": "hold", "from": "2026-03-02T10:00:00Z", "to": "2026-03-02T12:00:00Z"}`.
///
/// Edits keep the timeline coherent: a hold enters its state from the state
/// the record was in and returns to it; a priority or field change names the
/// value it replaces, and the next change of the same value now starts from
/// the new one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "type", rename = "TimelineEdit")]
#[non_exhaustive]
pub enum TimelineEdit {
    /// Had the record been on hold from `from` to `to`: at `from` it moves
    /// from the state it was in (new or open) to the on-hold state, after
    /// the events of that instant; at `to` it returns, before the events of
    /// that instant. No state change of the record may fall between.
    Hold {
        /// When the hold begins.
        from: DateTime<Utc>,
        /// When it ends; still on hold when absent.
        #[serde(default)]
        to: Option<DateTime<Utc>>,
        /// The on-hold state's wire name; `on_hold` when absent. Its
        /// category is `paused`.
        #[serde(default = "on_hold")]
        state: String,
        /// The on-hold reason, such as `awaiting_caller`.
        #[serde(default)]
        reason: Option<String>,
    },
    /// Had the priority changed to `to` at `at`, after the events of that instant.
    Priority {
        /// When.
        at: DateTime<Utc>,
        /// The new priority.
        to: Priority,
    },
    /// Had field `field` been set to `to` at `at`, after the events of that
    /// instant: a due date is `{"type": "field", "field": "due_at", "to": "2026-03-13T17:00:00Z"}`.
    Field {
        /// When.
        at: DateTime<Utc>,
        /// The field's name, as `field_changed` events name it.
        field: String,
        /// The new value; `null` clears the field.
        #[serde(default)]
        to: FieldValue,
    },
    /// Had this event happened too: inserted after the events of its instant.
    Insert {
        /// The event.
        event: TimelineEvent,
    },
    /// Had event `index` of the timeline (as given, before any edit) not happened.
    Remove {
        /// Its index in the timeline's `events`.
        index: usize,
    },
}

itsm_core::internally_tagged!(TimelineEdit, "type");

fn on_hold() -> String {
    "on_hold".to_owned()
}

/// The alternative a record's clocks are evaluated under: another
/// definition, another calendar, edits to the timeline, or any of them
/// together. Whatever is absent is the baseline's.
///
/// ```json
/// {"definition": {…}, "edits": [{"type": "priority", "at": "2026-03-02T10:00:00Z", "to": "p1"}]}
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// The SLA definition to evaluate with instead ("would we have breached
    /// under the new SLA?").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub definition: Option<SlaDefinition>,
    /// The business calendar to count business time with instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<BusinessCalendar>,
    /// Edits to the timeline, applied in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<TimelineEdit>,
}

impl WhatIf {
    /// Parses the wire form, naming the JSON path of the first offending value.
    ///
    /// # Errors
    /// [`SlaError::Json`] when the text is not a what-if. The content is not
    /// validated here: [`check`](Self::check) and [`what_if`] do it.
    pub fn from_json(text: &str) -> Result<Self, SlaError> {
        itsm_core::from_json(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => SlaError::Json { path, message },
            other => SlaError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })
    }

    /// Every problem that does not depend on the timeline, at once, each
    /// with its path in this document: the definition's errors
    /// (`definition.goals[0].duration`), the calendar's
    /// (`calendar.week.monday[0]`), and the edits' own (`edits[1].to`: a
    /// hold that ends before it begins, an empty name, too many edits).
    #[must_use]
    pub fn check(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        let prefixed = |prefix: &str, v: Violation| {
            let path = if v.path == "." || v.path.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{}", v.path)
            };
            Violation { path, ..v }
        };
        if let Some(d) = &self.definition {
            out.extend(
                d.check()
                    .errors
                    .into_iter()
                    .map(|v| prefixed("definition", v)),
            );
        }
        if let Some(c) = &self.calendar {
            out.extend(c.validate().into_iter().map(|v| prefixed("calendar", v)));
        }
        if self.edits.len() > MAX_WHAT_IF_EDITS {
            out.push(Violation::new(
                "edits",
                "too_many_edits",
                format!(
                    "{} edits are listed; at most {MAX_WHAT_IF_EDITS} are allowed",
                    self.edits.len()
                ),
            ));
            return out;
        }
        let mut removed = Vec::new();
        for (j, edit) in self.edits.iter().enumerate() {
            match edit {
                TimelineEdit::Hold {
                    from, to, state, ..
                } => {
                    if let Some(to) = to
                        && to <= from
                    {
                        out.push(Violation::new(
                            format!("edits[{j}].to"),
                            "hold_ends_before_it_begins",
                            format!("the hold ends ({to}) no later than it begins ({from})"),
                        ));
                    }
                    if state.trim().is_empty() {
                        out.push(Violation::new(
                            format!("edits[{j}].state"),
                            "empty_name",
                            "the on-hold state's name is empty",
                        ));
                    }
                }
                TimelineEdit::Field { field, .. } if field.trim().is_empty() => {
                    out.push(Violation::new(
                        format!("edits[{j}].field"),
                        "empty_name",
                        "the field name is empty",
                    ));
                }
                TimelineEdit::Remove { index } => {
                    if removed.contains(index) {
                        out.push(Violation::new(
                            format!("edits[{j}].index"),
                            "removed_twice",
                            format!("event {index} is already removed by an earlier edit"),
                        ));
                    }
                    removed.push(*index);
                }
                _ => {}
            }
        }
        out
    }
}

/// Where an event of an edited timeline comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Origin {
    /// Event `i` of the timeline as given.
    Given(usize),
    /// Made by edit `j`.
    Edit(usize),
}

/// The timeline with `edits` applied, in order. Edits name instants and,
/// for a removal, an index in `timeline` as given.
///
/// # Errors
/// [`SlaError::InvalidWhatIf`] listing every problem, each with its path
/// (`edits[2].from`): the edits' own (see [`WhatIf::check`]); an index out
/// of range; an edit before the record was opened; a hold of a record that
/// is not new or open then, or across a state change of the record; and
/// whatever makes the edited timeline break the rules of
/// [`Timeline::validate`] (an inserted state change from a state the record
/// was not in).
pub fn edit_timeline(timeline: &Timeline, edits: &[TimelineEdit]) -> Result<Timeline, SlaError> {
    let shape = WhatIf {
        edits: edits.to_vec(),
        ..WhatIf::default()
    }
    .check();
    if !shape.is_empty() {
        return Err(SlaError::InvalidWhatIf { problems: shape });
    }
    let mut list: Vec<(TimelineEvent, Origin)> = timeline
        .events
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, e)| (e, Origin::Given(i)))
        .collect();
    let opened = timeline.opened_at();
    let mut problems = Vec::new();
    for (j, edit) in edits.iter().enumerate() {
        if let Err(v) = apply(&mut list, opened, j, edit) {
            problems.push(v);
        }
    }
    if problems.is_empty() {
        let events: Vec<TimelineEvent> = list.iter().map(|(e, _)| e.clone()).collect();
        for v in Timeline::validate_events(&events) {
            problems.push(blame(&list, v));
        }
    }
    if problems.is_empty() {
        Ok(Timeline {
            events: list.into_iter().map(|(e, _)| e).collect(),
        })
    } else {
        Err(SlaError::InvalidWhatIf { problems })
    }
}

/// A fault of the edited timeline at `events[k]…`, told in terms of what
/// the caller wrote: the edit that made the event, or the given event the
/// edits no longer fit.
fn blame(list: &[(TimelineEvent, Origin)], v: Violation) -> Violation {
    let index = v
        .path
        .strip_prefix("events[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|n| n.parse::<usize>().ok());
    match index.and_then(|k| list.get(k)).map(|(_, o)| *o) {
        Some(Origin::Edit(j)) => Violation::new(
            format!("edits[{j}]"),
            v.rule,
            format!(
                "the event this edit makes does not fit the timeline: {}",
                v.message
            ),
        ),
        Some(Origin::Given(i)) => Violation::new(
            "edits",
            v.rule,
            format!(
                "after the edits, event {i} of the timeline no longer fits: {}",
                v.message
            ),
        ),
        None => Violation::new("edits", v.rule, v.message),
    }
}

/// The position after every event at or before `at`.
fn after(list: &[(TimelineEvent, Origin)], at: DateTime<Utc>) -> usize {
    list.partition_point(|(e, _)| e.at <= at)
}

/// The position before every event at or after `at`.
fn before(list: &[(TimelineEvent, Origin)], at: DateTime<Utc>) -> usize {
    list.partition_point(|(e, _)| e.at < at)
}

fn apply(
    list: &mut Vec<(TimelineEvent, Origin)>,
    opened: Option<DateTime<Utc>>,
    j: usize,
    edit: &TimelineEdit,
) -> Result<(), Violation> {
    let not_opened = |at: DateTime<Utc>, path: &str| {
        opened.filter(|o| at < *o).map(|o| {
            Violation::new(
                format!("edits[{j}].{path}"),
                "before_opened",
                format!("{at} is before the record was opened ({o})"),
            )
        })
    };
    let new = |at: DateTime<Utc>, change: TimelineChange| {
        (
            TimelineEvent {
                at,
                actor: None,
                change,
            },
            Origin::Edit(j),
        )
    };
    match edit {
        TimelineEdit::Remove { index } => {
            let k = list
                .iter()
                .position(|(_, o)| *o == Origin::Given(*index))
                .ok_or_else(|| {
                    Violation::new(
                        format!("edits[{j}].index"),
                        "no_such_event",
                        format!("the timeline has no event {index}"),
                    )
                })?;
            list.remove(k);
        }
        TimelineEdit::Insert { event } => {
            let k = after(list, event.at);
            list.insert(k, (event.clone(), Origin::Edit(j)));
        }
        TimelineEdit::Priority { at, to } => {
            if let Some(v) = not_opened(*at, "at") {
                return Err(v);
            }
            let k = after(list, *at);
            let from = list[..k].iter().fold(None, |p, (e, _)| match &e.change {
                TimelineChange::Created { priority, .. } => *priority,
                TimelineChange::PriorityChanged { to, .. } => Some(*to),
                _ => p,
            });
            list.insert(
                k,
                new(*at, TimelineChange::PriorityChanged { from, to: *to }),
            );
            if let Some((e, _)) = list[k + 1..]
                .iter_mut()
                .find(|(e, _)| matches!(e.change, TimelineChange::PriorityChanged { .. }))
                && let TimelineChange::PriorityChanged { from, .. } = &mut e.change
            {
                *from = Some(*to);
            }
        }
        TimelineEdit::Field { at, field, to } => {
            if let Some(v) = not_opened(*at, "at") {
                return Err(v);
            }
            let k = after(list, *at);
            let is_field = |c: &TimelineChange| matches!(c, TimelineChange::FieldChanged { field: f, .. } if f == field);
            let from = list[..k]
                .iter()
                .rev()
                .find_map(|(e, _)| match &e.change {
                    TimelineChange::FieldChanged { field: f, to, .. } if f == field => {
                        Some(to.clone())
                    }
                    _ => None,
                })
                .unwrap_or_default();
            let change = TimelineChange::FieldChanged {
                field: field.clone(),
                from,
                to: to.clone(),
            };
            list.insert(k, new(*at, change));
            if let Some((e, _)) = list[k + 1..].iter_mut().find(|(e, _)| is_field(&e.change))
                && let TimelineChange::FieldChanged { from, .. } = &mut e.change
            {
                *from = to.clone();
            }
        }
        TimelineEdit::Hold {
            from,
            to,
            state,
            reason,
        } => {
            if let Some(v) = not_opened(*from, "from") {
                return Err(v);
            }
            let k = after(list, *from);
            let current = list[..k].iter().fold(None, |s, (e, _)| match &e.change {
                TimelineChange::Created {
                    state, category, ..
                } => Some((state.clone(), *category)),
                TimelineChange::StateChanged {
                    to, to_category, ..
                } => Some((to.clone(), *to_category)),
                _ => s,
            });
            let Some((was, category)) = current else {
                return Err(Violation::new(
                    format!("edits[{j}].from"),
                    "state_unknown",
                    format!("the timeline does not say which state the record was in at {from}"),
                ));
            };
            if !matches!(category, StateCategory::New | StateCategory::Open) {
                let what = if category == StateCategory::Paused {
                    "already on hold"
                } else {
                    "neither new nor open"
                };
                return Err(Violation::new(
                    format!("edits[{j}].from"),
                    "not_holdable",
                    format!(
                        "the record is {what} at {from} (in {was:?}, category {category}): only a new or open record can be put on hold"
                    ),
                ));
            }
            let end = to.map_or(list.len(), |t| before(list, t));
            if let Some((e, o)) = list[k..end.max(k)]
                .iter()
                .find(|(e, _)| matches!(e.change, TimelineChange::StateChanged { .. }))
            {
                let which = match o {
                    Origin::Given(i) => format!("event {i} of the timeline"),
                    Origin::Edit(m) => format!("the state change of edits[{m}]"),
                };
                return Err(Violation::new(
                    format!("edits[{j}]"),
                    "hold_across_state_change",
                    format!(
                        "the record changes state at {} ({which}) during the hold; a hold cannot span it",
                        e.at
                    ),
                ));
            }
            let enter = TimelineChange::StateChanged {
                from: was.clone(),
                from_category: category,
                to: state.clone(),
                to_category: StateCategory::Paused,
                reason: reason.clone(),
            };
            list.insert(k, new(*from, enter));
            if let Some(t) = to {
                let leave = TimelineChange::StateChanged {
                    from: state.clone(),
                    from_category: StateCategory::Paused,
                    to: was,
                    to_category: category,
                    reason: None,
                };
                let k = before(list, *t);
                list.insert(k, new(*t, leave));
            }
        }
    }
    Ok(())
}

/// How one cycle differs between two evaluations, paired by position
/// (the first cycle of each, then the second, …). Signed amounts are the
/// alternative minus the baseline, in seconds; `None` where a side has no
/// such cycle (or, for the breach, no breach).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CycleDifference {
    /// The cycle's position (0 for the first).
    pub cycle: usize,
    /// Its stage in the baseline; `None` when the baseline has no such cycle.
    pub baseline_stage: Option<SlaStage>,
    /// Its stage in the alternative; `None` when the alternative has no such cycle.
    pub alternative_stage: Option<SlaStage>,
    /// Whether the stages differ (or only one side has the cycle).
    pub stage_changed: bool,
    /// Whether one side is breached and the other is not.
    pub breached_changed: bool,
    /// Whether another goal is in force.
    pub goal_changed: bool,
    /// How far the due instant moved, in wall-clock seconds (positive: later).
    pub due_moved_secs: Option<i64>,
    /// How far the breach instant moved, when both sides breached.
    pub breach_moved_secs: Option<i64>,
    /// The change of the goal, in business seconds.
    pub goal_duration_delta_secs: Option<i64>,
    /// The change of the business elapsed time, in business seconds.
    pub business_elapsed_delta_secs: Option<i64>,
    /// The change of the business time paused, in business seconds.
    pub business_paused_delta_secs: Option<i64>,
}

/// What changed between two evaluations of one record's clock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EvaluationDifference {
    /// Whether the cycles differ at all.
    pub changed: bool,
    /// Whether any cycle of the baseline is breached.
    pub breached_in_baseline: bool,
    /// Whether any cycle of the alternative is breached: "would we have
    /// breached under the new SLA?".
    pub breached_in_alternative: bool,
    /// Each cycle's difference, for every position either side has.
    pub cycles: Vec<CycleDifference>,
}

/// The baseline and the alternative evaluations side by side, with their
/// difference: what [`what_if`] returns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WhatIfReport {
    /// The clock as it is.
    pub baseline: SlaEvaluation,
    /// The clock under the what-if.
    pub alternative: SlaEvaluation,
    /// The timeline the alternative was evaluated on, when the what-if
    /// edited it (its event indices are those the alternative's
    /// explanation would name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_timeline: Option<Timeline>,
    /// What changed.
    pub difference: EvaluationDifference,
}

fn signed(a: u64, b: u64) -> i64 {
    let d = i128::from(a) - i128::from(b);
    i64::try_from(d).unwrap_or(if d < 0 { i64::MIN } else { i64::MAX })
}

/// The difference of `alternative` from `baseline`: cycles paired by
/// position, each with its changes. Pure and cheap: use it on a stored
/// evaluation and a fresh one to preview what a repair would change.
#[must_use]
pub fn compare_evaluations(
    baseline: &SlaEvaluation,
    alternative: &SlaEvaluation,
) -> EvaluationDifference {
    let n = baseline.cycles.len().max(alternative.cycles.len());
    let cycles = (0..n)
        .map(|i| {
            let (b, a) = (baseline.cycles.get(i), alternative.cycles.get(i));
            let both = b.zip(a);
            CycleDifference {
                cycle: i,
                baseline_stage: b.map(|c| c.stage),
                alternative_stage: a.map(|c| c.stage),
                stage_changed: b.map(|c| c.stage) != a.map(|c| c.stage),
                breached_changed: b.is_some_and(|c| c.breached) != a.is_some_and(|c| c.breached),
                goal_changed: both.is_some_and(|(b, a)| b.goal != a.goal),
                due_moved_secs: both.map(|(b, a)| (a.due_at - b.due_at).num_seconds()),
                breach_moved_secs: both
                    .and_then(|(b, a)| Some((a.breached_at? - b.breached_at?).num_seconds())),
                goal_duration_delta_secs: both
                    .map(|(b, a)| signed(a.goal_duration.as_secs(), b.goal_duration.as_secs())),
                business_elapsed_delta_secs: both.map(|(b, a)| {
                    signed(a.business_elapsed.as_secs(), b.business_elapsed.as_secs())
                }),
                business_paused_delta_secs: both
                    .map(|(b, a)| signed(a.business_paused.as_secs(), b.business_paused.as_secs())),
            }
        })
        .collect();
    EvaluationDifference {
        changed: baseline.cycles != alternative.cycles,
        breached_in_baseline: baseline.cycles.iter().any(|c| c.breached),
        breached_in_alternative: alternative.cycles.iter().any(|c| c.breached),
        cycles,
    }
}

/// Evaluates a record's clock as it is and under `alternative` (another
/// definition, another calendar, edits to the timeline), both at `now`, and
/// returns them side by side with their difference. A pure function, like
/// [`evaluate`].
///
/// The alternative definition is evaluated with the alternative calendar
/// when one is given, with `calendar` otherwise; so a definition that names
/// another calendar needs that calendar in the what-if.
///
/// # Errors
/// - [`SlaError::InvalidWhatIf`] listing every problem of the what-if
///   ([`WhatIf::check`], then those of [`edit_timeline`]), each with its
///   path in the what-if document;
/// - the errors of [`evaluate`], for the baseline and for the alternative
///   ([`SlaError::CalendarMismatch`] when the alternative definition names a
///   calendar the what-if does not give).
pub fn what_if(
    sla: &CompiledSla,
    calendar: &CompiledCalendar,
    timeline: &Timeline,
    now: DateTime<Utc>,
    alternative: &WhatIf,
) -> Result<WhatIfReport, SlaError> {
    let problems = alternative.check();
    if !problems.is_empty() {
        return Err(SlaError::InvalidWhatIf { problems });
    }
    let baseline = evaluate(sla, calendar, timeline, now)?;
    let alt_sla = alternative
        .definition
        .as_ref()
        .map(CompiledSla::new)
        .transpose()?;
    let alt_calendar = alternative
        .calendar
        .as_ref()
        .map(CompiledCalendar::new)
        .transpose()?;
    let edited = if alternative.edits.is_empty() {
        None
    } else {
        Some(edit_timeline(timeline, &alternative.edits)?)
    };
    let evaluation = evaluate(
        alt_sla.as_ref().unwrap_or(sla),
        alt_calendar.as_ref().unwrap_or(calendar),
        edited.as_ref().unwrap_or(timeline),
        now,
    )?;
    let difference = compare_evaluations(&baseline, &evaluation);
    Ok(WhatIfReport {
        baseline,
        alternative: evaluation,
        edited_timeline: edited,
        difference,
    })
}
