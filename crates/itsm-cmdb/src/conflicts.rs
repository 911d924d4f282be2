//! Change schedule conflicts: [`ConflictChecker`] checks a change's planned
//! window against a [`CompiledSchedule`] and the other scheduled changes
//! ([`ScheduledChanges`]), and lists every [`Conflict`] with its reason.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use chrono::{DateTime, TimeDelta, Utc};
use itsm_core::{Change, ChangeId, CiId, RecordNumber, RecordState, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::index::NONE;
use crate::schedule::{Attached, MAX_PLANNED_WINDOW_DAYS, Opens, WindowKind, bit};
use crate::wall::Span;
use crate::{CmdbError, CompiledSchedule, WindowTarget};

/// A half-open interval of time, `[start, end)`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(deny_unknown_fields)]
pub struct Interval {
    /// The first instant in it.
    pub start: DateTime<Utc>,
    /// The first instant after it.
    pub end: DateTime<Utc>,
}

impl Interval {
    fn of((start, end): Span) -> Self {
        Self { start, end }
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}–{}",
            self.start
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            self.end
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    }
}

/// How a CI related to a change's CI stands to it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RelatedAs {
    /// It depends on the change's CI (ServiceNow's "parent"): a failure of
    /// the change's CI travels to it.
    Dependent,
    /// The change's CI depends on it (ServiceNow's "child"): a failure of it
    /// travels to the change's CI.
    Dependency,
}

/// A CI one relationship away from a change's CI, on which another change
/// is scheduled.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelatedCi {
    /// The related CI, which the other change lists.
    pub ci: CiId,
    /// The type of the relationship between the two.
    pub relationship_type: String,
    /// How it stands to the change's CI.
    pub related_as: RelatedAs,
}

/// A maintenance window that applies to a CI, with the parts of the planned
/// window during which it is open.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AppliedWindow {
    /// The window's name.
    pub window: String,
    /// What it is attached to.
    pub attached_to: WindowTarget,
    /// The CI it reaches the change's CI through: the CI itself (a window
    /// on it or its class), or the service that depends on it.
    pub window_ci: CiId,
    /// The parts of the planned window during which it is open (empty: none).
    pub open: Vec<Interval>,
}

/// One reason why a change cannot happen as planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Conflict {
    /// The change has no planned window, so nothing else can be checked:
    /// the only conflict listed.
    Unscheduled {
        /// The fields missing: `planned_start`, `planned_end` or both.
        missing: Vec<String>,
    },
    /// The planned window overlaps a blackout that covers a CI of the change.
    Blackout {
        /// The blackout's name.
        window: String,
        /// What the blackout is attached to.
        attached_to: WindowTarget,
        /// The change's CI it covers.
        ci: CiId,
        /// The CI that carries it: `ci` itself, a CI (or class member) that
        /// `ci` depends on, or a service that depends on `ci`.
        window_ci: CiId,
        /// From `ci` to `window_ci`, one relationship a step, as short as
        /// any (one CI when they are the same).
        path: Vec<CiId>,
        /// Every part of the planned window the blackout is open.
        overlaps: Vec<Interval>,
    },
    /// A CI of the change has maintenance windows and the planned window is
    /// not inside them.
    OutsideMaintenanceWindow {
        /// The change's CI.
        ci: CiId,
        /// The parts of the planned window no applicable maintenance window
        /// covers.
        uncovered: Vec<Interval>,
        /// The maintenance windows on the CI and its class (open or not),
        /// and those of services depending on it that are open during part
        /// of the planned window.
        windows: Vec<AppliedWindow>,
        /// The nearest service with a maintenance window that depends on
        /// the CI (the CI itself if it is one), if any: its windows apply
        /// to the CI whether or not they are open.
        nearest_service: Option<CiId>,
    },
    /// Another scheduled change lists the same CI, at an overlapping time
    /// (ServiceNow's "CI already scheduled").
    CiAlreadyScheduled {
        /// The CI both changes list.
        ci: CiId,
        /// The other change.
        change: ChangeId,
        /// The other change's number.
        number: RecordNumber,
        /// When both are planned.
        overlap: Interval,
    },
    /// Another scheduled change lists a CI one relationship away from a CI
    /// of the change, at an overlapping time (ServiceNow's "parent CI" and
    /// "child CI already scheduled").
    RelatedCiScheduled {
        /// The change's CI.
        ci: CiId,
        /// The other change.
        change: ChangeId,
        /// The other change's number.
        number: RecordNumber,
        /// The related CIs the other change lists, by id.
        related: Vec<RelatedCi>,
        /// When both are planned.
        overlap: Interval,
    },
}

impl Conflict {
    /// The conflict's kind, as on the wire (`blackout`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Unscheduled { .. } => "unscheduled",
            Self::Blackout { .. } => "blackout",
            Self::OutsideMaintenanceWindow { .. } => "outside_maintenance_window",
            Self::CiAlreadyScheduled { .. } => "ci_already_scheduled",
            Self::RelatedCiScheduled { .. } => "related_ci_scheduled",
        }
    }

    /// The change's CI it is about (`None` for [`Conflict::Unscheduled`]).
    #[must_use]
    pub fn ci(&self) -> Option<CiId> {
        match self {
            Self::Unscheduled { .. } => None,
            Self::Blackout { ci, .. }
            | Self::OutsideMaintenanceWindow { ci, .. }
            | Self::CiAlreadyScheduled { ci, .. }
            | Self::RelatedCiScheduled { ci, .. } => Some(*ci),
        }
    }

    /// Why, in a sentence, each CI written by `name` (its name, or its id).
    #[must_use]
    pub fn describe(&self, name: &dyn Fn(&CiId) -> String) -> String {
        let target = |t: &WindowTarget| match t {
            WindowTarget::Ci(id) => format!("on {}", name(id)),
            WindowTarget::Class(c) => format!("on the class {c}"),
            WindowTarget::Service(id) => format!("on the service {}", name(id)),
        };
        let first = |list: &[Interval]| list.first().map(ToString::to_string).unwrap_or_default();
        match self {
            Self::Unscheduled { missing } => format!(
                "the change has no {}, so its schedule cannot be checked",
                missing.join(" and ")
            ),
            Self::Blackout {
                window,
                attached_to,
                ci,
                window_ci,
                path,
                overlaps,
            } => {
                let how = if window_ci == ci {
                    String::new()
                } else if matches!(attached_to, WindowTarget::Service(_)) {
                    format!(", which {} depends on", name(window_ci))
                } else {
                    format!(
                        ", as it depends on {} ({} relationship(s) away)",
                        name(window_ci),
                        path.len().saturating_sub(1)
                    )
                };
                format!(
                    "{} is under the blackout {window:?} ({}){how}, open {}{}",
                    name(ci),
                    target(attached_to),
                    first(overlaps),
                    if overlaps.len() > 1 {
                        format!(" and {} more time(s)", overlaps.len() - 1)
                    } else {
                        String::new()
                    }
                )
            }
            Self::OutsideMaintenanceWindow {
                ci,
                uncovered,
                windows,
                nearest_service,
            } => {
                let mut names: Vec<String> =
                    windows.iter().map(|w| format!("{:?}", w.window)).collect();
                if let Some(s) = nearest_service
                    && !windows.iter().any(|w| w.window_ci == *s)
                {
                    names.push(format!("those of the service {}", name(s)));
                }
                format!(
                    "{} may be changed only in its maintenance windows ({}), and none is open {}{}",
                    name(ci),
                    names.join(", "),
                    first(uncovered),
                    if uncovered.len() > 1 {
                        format!(" nor {} more time(s)", uncovered.len() - 1)
                    } else {
                        String::new()
                    }
                )
            }
            Self::CiAlreadyScheduled {
                ci,
                number,
                overlap,
                ..
            } => format!("{} is already scheduled by {number} {overlap}", name(ci)),
            Self::RelatedCiScheduled {
                ci,
                number,
                related,
                overlap,
                ..
            } => {
                let list: Vec<String> = related
                    .iter()
                    .map(|r| {
                        let role = match r.related_as {
                            RelatedAs::Dependent => "depends on it",
                            RelatedAs::Dependency => "it depends on",
                        };
                        format!("{} ({role}, {})", name(&r.ci), r.relationship_type)
                    })
                    .collect();
                format!(
                    "{number} changes {} related to {} {overlap}",
                    list.join(", "),
                    name(ci)
                )
            }
        }
    }
}

impl fmt::Display for Conflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe(&|id| id.to_string()))
    }
}

/// The conflicts of one change's planned window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConflictReport {
    /// The change checked.
    pub change: ChangeId,
    /// Its number.
    pub number: RecordNumber,
    /// Its planned window, when it has one.
    pub planned: Option<Interval>,
    /// Every conflict, by the change's CIs in their order (each CI's
    /// blackouts by window, then its maintenance windows, then the other
    /// changes in their order); empty when the change may go ahead.
    pub conflicts: Vec<Conflict>,
}

impl ConflictReport {
    /// Whether the change conflicts with nothing.
    #[must_use]
    pub fn is_clear(&self) -> bool {
        self.conflicts.is_empty()
    }
}

/// One change counted as scheduled.
#[derive(Clone, Debug)]
struct Scheduled {
    id: ChangeId,
    number: RecordNumber,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    cis: Vec<CiId>,
}

/// Other changes, indexed by CI and by time for conflict checks.
///
/// A change counts as scheduled when it is not closed or cancelled and has
/// a planned start and a planned end after it; the others are left out
/// (a draft with dates counts: ServiceNow compares active changes).
/// Building it costs one pass over the changes' CIs; a check then looks up
/// only the CIs it touches.
#[derive(Clone, Debug, Default)]
pub struct ScheduledChanges {
    changes: Vec<Scheduled>,
    by_ci: HashMap<CiId, Vec<u32>>,
    /// Positions in `changes` by planned start.
    by_start: Vec<u32>,
    /// `reach[i]`: the latest end among `by_start[..=i]`.
    reach: Vec<DateTime<Utc>>,
}

impl ScheduledChanges {
    /// Indexes the scheduled ones among `changes`.
    #[must_use]
    pub fn new(changes: &[Change]) -> Self {
        let mut out = Self::default();
        for change in changes {
            let (Some(start), Some(end)) = (change.planned_start, change.planned_end) else {
                continue;
            };
            if end <= start || change.state.category().is_final() {
                continue;
            }
            let Ok(k) = u32::try_from(out.changes.len()) else {
                break;
            };
            let mut seen = HashSet::new();
            let cis: Vec<CiId> = change
                .configuration_items
                .iter()
                .copied()
                .filter(|c| seen.insert(*c))
                .collect();
            for ci in &cis {
                out.by_ci.entry(*ci).or_default().push(k);
            }
            out.changes.push(Scheduled {
                id: change.id,
                number: change.number,
                start,
                end,
                cis,
            });
        }
        out.by_start = (0..out.changes.len())
            .filter_map(|k| u32::try_from(k).ok())
            .collect();
        out.by_start
            .sort_by_key(|&k| (out.changes[k as usize].start, k));
        let mut latest: Option<DateTime<Utc>> = None;
        out.reach = out
            .by_start
            .iter()
            .map(|&k| {
                let end = out.changes[k as usize].end;
                let r = latest.map_or(end, |l| l.max(end));
                latest = Some(r);
                r
            })
            .collect();
        out
    }

    /// How many changes count as scheduled.
    #[must_use]
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether none does.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    fn on_ci(&self, ci: &CiId) -> &[u32] {
        self.by_ci.get(ci).map_or(&[], Vec::as_slice)
    }

    /// The changes whose planned window overlaps `[from, to)`, appended to
    /// `out` in no particular order.
    fn overlapping(&self, from: DateTime<Utc>, to: DateTime<Utc>, out: &mut Vec<u32>) {
        let mut i = self
            .by_start
            .partition_point(|&k| self.changes[k as usize].start < to);
        while i > 0 && self.reach[i - 1] > from {
            i -= 1;
            let k = self.by_start[i];
            if self.changes[k as usize].end > from {
                out.push(k);
            }
        }
    }
}

/// Which of the schedule's groups of windows are open during a planned window.
#[derive(Clone, Copy, Debug)]
struct Open {
    ci_blackouts: bool,
    service_blackouts: bool,
    service_maintenance: bool,
}

/// A group of windows whose openings a check looks at before walking.
#[derive(Clone, Copy, Debug)]
enum Which {
    CiBlackouts,
    ServiceBlackouts,
    ServiceMaintenance,
}

/// A change's CI with more relationships than this finds related changes
/// among the changes overlapping in time instead of among its neighbours,
/// when those are fewer.
const FEW_NEIGHBOURS: usize = 32;

/// Reusable scratch for conflict checks on one [`CompiledSchedule`]: visited
/// marks stamped with an epoch (a check costs what it visits, never the
/// size of the estate) and the openings of the schedule's recurring windows
/// computed once per check.
///
/// Keep one per thread and reuse it; the schedule stays shared.
#[derive(Debug)]
pub struct ConflictChecker<'s> {
    schedule: &'s CompiledSchedule<'s>,
    /// Per CI: the walk that last reached it.
    stamp: Vec<u32>,
    epoch: u32,
    /// The last walk's visits: (CI, position of the visit it came from).
    queue: Vec<(u32, u32)>,
    /// Per window: the change's CI that last looked at it.
    seen: Vec<u32>,
    seen_epoch: u32,
    /// Per recurrence: the check that computed its openings, and where
    /// they are in `occurrences`.
    memo: Vec<(u32, u32, u32)>,
    check_epoch: u32,
    occurrences: Vec<Span>,
    /// The changes overlapping the planned window, once per check (`None`
    /// until needed).
    overlapping: Option<Vec<u32>>,
    /// The services' windows open during the planned window, once per
    /// check (`None` until needed).
    open_services: Option<Vec<u32>>,
    /// How many CIs a walk up to the services may visit before the check
    /// answers from the schedule's closures instead.
    budget: usize,
    /// The two searches of [`ConflictChecker::meet`], allocated on first use.
    meet: Option<Box<Meet>>,
}

/// Scratch of a search from both ends: per CI and side, the search that
/// last reached it and where in that side's queue.
#[derive(Debug)]
struct Meet {
    epoch: u32,
    mark: [Vec<u32>; 2],
    at: [Vec<u32>; 2],
    /// (CI, position of the visit it came from, depth), per side.
    queue: [Vec<(u32, u32, u32)>; 2],
}

/// The default of [`ConflictChecker::set_walk_budget`].
const WALK_BUDGET: usize = 4_096;

/// Advances an epoch, clearing its stamps on wrap-around.
fn bump(epoch: &mut u32, stamps: &mut [u32]) -> u32 {
    if *epoch == u32::MAX {
        stamps.fill(0);
        *epoch = 0;
    }
    *epoch += 1;
    *epoch
}

impl<'a> CompiledSchedule<'a> {
    /// A fresh [`ConflictChecker`] on this schedule; it allocates four bytes
    /// per CI once: reuse it across checks.
    #[must_use]
    pub fn checker(&self) -> ConflictChecker<'_> {
        ConflictChecker::new(self)
    }

    /// [`ConflictChecker::check`] with a fresh checker and `others` indexed
    /// for this one check (keep a checker and a [`ScheduledChanges`] for
    /// repeated checks).
    ///
    /// # Errors
    /// As [`ConflictChecker::check`].
    pub fn check(&self, change: &Change, others: &[Change]) -> Result<ConflictReport, CmdbError> {
        self.checker().check(change, &ScheduledChanges::new(others))
    }
}

/// The openings of a window within the planned window, clipped to it.
fn clip(spans: &[Span], from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Interval> {
    spans
        .iter()
        .filter_map(|&(s, e)| {
            let (s, e) = (s.max(from), e.min(to));
            (s < e).then(|| Interval::of((s, e)))
        })
        .collect()
}

/// The parts of `[from, to)` that `open` (clipped to it, any order) leaves uncovered.
fn uncovered(mut open: Vec<Interval>, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Interval> {
    open.sort_unstable();
    let mut gaps = Vec::new();
    let mut at = from;
    for o in open {
        if o.start > at {
            gaps.push(Interval {
                start: at,
                end: o.start,
            });
        }
        at = at.max(o.end);
    }
    if at < to {
        gaps.push(Interval { start: at, end: to });
    }
    gaps
}

/// The order of conflicts of one CI: kind, then window or change.
fn rank(conflict: &Conflict, key: u32) -> (u8, u32) {
    let kind = match conflict {
        Conflict::Unscheduled { .. } => 0,
        Conflict::Blackout { .. } => 1,
        Conflict::OutsideMaintenanceWindow { .. } => 2,
        Conflict::CiAlreadyScheduled { .. } => 3,
        Conflict::RelatedCiScheduled { .. } => 4,
    };
    (kind, key)
}

impl<'s> ConflictChecker<'s> {
    /// A checker on `schedule`.
    #[must_use]
    pub fn new(schedule: &'s CompiledSchedule<'s>) -> Self {
        Self {
            schedule,
            stamp: vec![0; schedule.index.len()],
            epoch: 0,
            queue: Vec::new(),
            seen: vec![0; schedule.windows.len()],
            seen_epoch: 0,
            memo: vec![(0, 0, 0); schedule.recurrences.len()],
            check_epoch: 0,
            occurrences: Vec::new(),
            overlapping: None,
            open_services: None,
            budget: WALK_BUDGET,
            meet: None,
        }
    }

    /// Checks `change`'s planned window against the schedule and the other
    /// `scheduled` changes, and lists every conflict with its reason:
    ///
    /// - `blackout`: a blackout open during the planned window covers a CI
    ///   of the change: one on the CI, on its class, on a CI it depends on
    ///   (or that CI's class), or on a service that depends on it; once per
    ///   blackout and CI, through the nearest CI that carries it;
    /// - `outside_maintenance_window`: a CI of the change has maintenance
    ///   windows (its own, its class's, or a depending service's) and part
    ///   of the planned window is in none of them;
    /// - `ci_already_scheduled`: another scheduled change lists the same CI
    ///   at an overlapping time;
    /// - `related_ci_scheduled`: another scheduled change lists a CI one
    ///   relationship away (either way), at an overlapping time, and not the
    ///   CI itself;
    /// - `unscheduled`, alone: the change has no planned start or end.
    ///
    /// Windows and planned windows are half-open: touching is not
    /// overlapping. The change itself, if `scheduled` holds it, is skipped
    /// (by id). Relationships follow the types' impact directions;
    /// redundancy does not shield a CI from a blackout, and relationships of
    /// a type along which nothing travels relate nothing.
    ///
    /// The check reads the CIs it touches: the change's CIs, the CIs they
    /// depend on that lead to a blackout (only when one is open during the
    /// planned window), the CIs depending on them that lead to a service
    /// with a window (only when such a window is open), their neighbours or
    /// the changes overlapping in time (whichever are fewer).
    ///
    /// # Errors
    /// [`CmdbError::InvalidChange`] with every problem of the change: a CI the
    /// CMDB does not hold (`configuration_items[i]`, `unknown_ci`); a
    /// planned end not after the planned start (`planned_end`,
    /// `end_before_start`) or more than [`MAX_PLANNED_WINDOW_DAYS`] after it
    /// (`window_too_long`).
    pub fn check(
        &mut self,
        change: &Change,
        scheduled: &ScheduledChanges,
    ) -> Result<ConflictReport, CmdbError> {
        let schedule = self.schedule;
        let index = schedule.index;
        let mut problems = Vec::new();
        let mut cis: Vec<u32> = Vec::with_capacity(change.configuration_items.len());
        let mark = bump(&mut self.epoch, &mut self.stamp);
        for (i, id) in change.configuration_items.iter().enumerate() {
            match index.dense(id) {
                Some(v) => {
                    if self.stamp[v as usize] != mark {
                        self.stamp[v as usize] = mark;
                        cis.push(v);
                    }
                }
                None => problems.push(Violation::new(
                    format!("configuration_items[{i}]"),
                    "unknown_ci",
                    format!("unknown configuration item {id}"),
                )),
            }
        }
        let mut report = ConflictReport {
            change: change.id,
            number: change.number,
            planned: None,
            conflicts: Vec::new(),
        };
        let (start, end) = match (change.planned_start, change.planned_end) {
            (Some(start), Some(end)) => (start, end),
            (start, end) => {
                if !problems.is_empty() {
                    return Err(CmdbError::InvalidChange { problems });
                }
                let mut missing = Vec::new();
                if start.is_none() {
                    missing.push("planned_start".to_owned());
                }
                if end.is_none() {
                    missing.push("planned_end".to_owned());
                }
                report.conflicts.push(Conflict::Unscheduled { missing });
                return Ok(report);
            }
        };
        if end <= start {
            problems.push(Violation::new(
                "planned_end",
                "end_before_start",
                format!(
                    "planned_end {} is not after planned_start {}",
                    end.to_rfc3339(),
                    start.to_rfc3339()
                ),
            ));
        } else if end - start > TimeDelta::days(i64::from(MAX_PLANNED_WINDOW_DAYS)) {
            problems.push(Violation::new(
                "planned_end",
                "window_too_long",
                format!(
                    "the planned window is longer than {MAX_PLANNED_WINDOW_DAYS} days ({} to {})",
                    start.to_rfc3339(),
                    end.to_rfc3339()
                ),
            ));
        }
        if !problems.is_empty() {
            return Err(CmdbError::InvalidChange { problems });
        }
        report.planned = Some(Interval { start, end });
        if self.check_epoch == u32::MAX {
            self.memo.fill((0, 0, 0));
            self.check_epoch = 0;
        }
        self.check_epoch += 1;
        self.occurrences.clear();
        self.overlapping = None;
        self.open_services = None;
        let open = Open {
            ci_blackouts: self.group_open(Which::CiBlackouts, start, end),
            service_blackouts: self.group_open(Which::ServiceBlackouts, start, end),
            service_maintenance: self.group_open(Which::ServiceMaintenance, start, end),
        };
        for &c in &cis {
            let mut found: Vec<((u8, u32), Conflict)> = Vec::new();
            self.windows_of(c, (start, end), open, &mut found);
            self.changes_of(c, change.id, (start, end), scheduled, &mut found);
            found.sort_by_key(|(r, _)| *r);
            report.conflicts.extend(found.into_iter().map(|(_, c)| c));
        }
        Ok(report)
    }

    /// The openings of recurrence `r` during the check's planned window.
    fn recurring(&mut self, r: u32, from: DateTime<Utc>, to: DateTime<Utc>) -> (usize, usize) {
        let (stamp, lo, hi) = self.memo[r as usize];
        if stamp == self.check_epoch {
            return (lo as usize, hi as usize);
        }
        let lo = self.occurrences.len();
        self.schedule.recurrences[r as usize].occurrences(from, to, &mut self.occurrences);
        let hi = self.occurrences.len();
        self.memo[r as usize] = (
            self.check_epoch,
            u32::try_from(lo).unwrap_or(NONE),
            u32::try_from(hi).unwrap_or(NONE),
        );
        (lo, hi)
    }

    /// Window `w`'s openings during `[from, to)`, clipped.
    fn openings(&mut self, w: u32, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Interval> {
        match self.schedule.windows[w as usize].opens {
            Opens::Once(s, e) => clip(&[(s, e)], from, to),
            Opens::Recurring(r) => {
                let (lo, hi) = self.recurring(r, from, to);
                clip(&self.occurrences[lo..hi], from, to)
            }
        }
    }

    /// Whether a window of a group is open during `[from, to)`.
    fn group_open(&mut self, which: Which, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        let schedule = self.schedule;
        let group = match which {
            Which::CiBlackouts => &schedule.ci_blackouts,
            Which::ServiceBlackouts => &schedule.service_blackouts,
            Which::ServiceMaintenance => &schedule.service_maintenance,
        };
        if group.is_empty() {
            return false;
        }
        if group.once_overlaps(from, to) {
            return true;
        }
        group.recurrences.iter().any(|&r| {
            let (lo, hi) = self.recurring(r, from, to);
            hi > lo
        })
    }

    /// Breadth-first from `c` along dependency arcs (`up` false) or impact
    /// arcs, entering only CIs whose bit is set in `within`. The visits are
    /// left in `queue`; `false` when it stopped at `limit` visits.
    fn walk(&mut self, c: u32, up: bool, within: &[u64], limit: usize) -> bool {
        let index = self.schedule.index;
        let mark = bump(&mut self.epoch, &mut self.stamp);
        self.queue.clear();
        self.stamp[c as usize] = mark;
        self.queue.push((c, NONE));
        let mut head = 0;
        while let Some(&(v, _)) = self.queue.get(head) {
            let position = u32::try_from(head).unwrap_or(NONE);
            head += 1;
            let arcs = if up {
                index.impact_arcs(v)
            } else {
                index.depend_arcs(v)
            };
            for &arc in arcs {
                let (w, _) = index.unpack(arc);
                if self.stamp[w as usize] != mark && bit(within, w) {
                    self.stamp[w as usize] = mark;
                    self.queue.push((w, position));
                }
            }
            if self.queue.len() > limit {
                return false;
            }
        }
        true
    }

    /// The path from the walk's start to the visit at `position`.
    fn path(&self, position: usize) -> Vec<CiId> {
        let index = self.schedule.index;
        let mut path = Vec::new();
        let mut at = position;
        // Each step goes to an earlier visit: at most `queue.len()` steps.
        for _ in 0..self.queue.len() {
            let (v, pred) = self.queue[at];
            path.push(index.id(v));
            if pred == NONE {
                break;
            }
            at = pred as usize;
        }
        path.reverse();
        path
    }

    /// Blackouts and maintenance windows of the change's CI `c`.
    fn windows_of(
        &mut self,
        c: u32,
        (from, to): Span,
        open: Open,
        found: &mut Vec<((u8, u32), Conflict)>,
    ) {
        let schedule = self.schedule;
        let index = schedule.index;
        let id = index.id(c);
        let seen = bump(&mut self.seen_epoch, &mut self.seen);

        // Blackouts on the CI, on CIs it depends on, and on their classes.
        if open.ci_blackouts && bit(&schedule.under_blackout, c) {
            self.walk(c, false, &schedule.under_blackout, usize::MAX);
            for position in 0..self.queue.len() {
                let v = self.queue[position].0;
                let own = schedule.own_windows(v);
                let class = schedule.class_windows_of(v).iter().copied();
                for w in own.chain(class) {
                    let window = &schedule.windows[w as usize];
                    if window.kind != WindowKind::Blackout || self.seen[w as usize] == seen {
                        continue;
                    }
                    self.seen[w as usize] = seen;
                    let overlaps = self.openings(w, from, to);
                    if !overlaps.is_empty() {
                        let conflict = Conflict::Blackout {
                            window: window.name.clone(),
                            attached_to: window.target.clone(),
                            ci: id,
                            window_ci: index.id(v),
                            path: self.path(position),
                            overlaps,
                        };
                        found.push((rank(&conflict, w), conflict));
                    }
                }
            }
        }

        // The CI's own maintenance windows and its class's.
        let nearest = schedule
            .maintained_by
            .get(c as usize)
            .copied()
            .filter(|&s| s != NONE);
        let own = schedule.own_windows(c);
        let class = schedule.class_windows_of(c).iter().copied();
        let mut local: Vec<(u32, AppliedWindow)> = Vec::new();
        for w in own.chain(class) {
            let window = &schedule.windows[w as usize];
            if window.kind != WindowKind::Maintenance || self.seen[w as usize] == seen {
                continue;
            }
            self.seen[w as usize] = seen;
            let open = self.openings(w, from, to);
            local.push((
                w,
                AppliedWindow {
                    window: window.name.clone(),
                    attached_to: window.target.clone(),
                    window_ci: id,
                    open,
                },
            ));
        }
        local.sort_by_key(|(w, _)| *w);
        let covered_here = |list: &[(u32, AppliedWindow)]| {
            let open: Vec<Interval> = list
                .iter()
                .flat_map(|(_, a)| a.open.iter().copied())
                .collect();
            uncovered(open, from, to)
        };
        let mut gaps = covered_here(&local);

        // Windows of services that depend on the CI: walked only when a
        // service's blackout is open, or when one of their maintenance
        // windows is open and may cover what the CI's own leave uncovered.
        let maintenance_walk = open.service_maintenance && nearest.is_some() && !gaps.is_empty();
        let mut applied: Vec<(u32, AppliedWindow)> = Vec::new();
        if (open.service_blackouts || maintenance_walk) && bit(&schedule.in_service, c) {
            // A few CIs up to the services: walk them. Beyond the budget
            // (a CI that every service depends on), ask each open window's
            // service whether it depends on the CI instead.
            let walked = self.walk(c, true, &schedule.in_service, self.budget);
            let answered = !walked
                && schedule.closures.is_some()
                && self.by_closures(c, (from, to), seen, found, &mut applied);
            if !answered {
                if !walked {
                    self.walk(c, true, &schedule.in_service, usize::MAX);
                }
                self.by_walk(c, (from, to), seen, found, &mut applied);
            }
        }

        // Inside the union of every maintenance window that applies?
        if local.is_empty() && nearest.is_none() {
            return;
        }
        if !applied.is_empty() {
            applied.sort_by_key(|(w, _)| *w);
            local.extend(applied);
            gaps = covered_here(&local);
        }
        if gaps.is_empty() {
            return;
        }
        let conflict = Conflict::OutsideMaintenanceWindow {
            ci: id,
            uncovered: gaps,
            windows: local.into_iter().map(|(_, a)| a).collect(),
            nearest_service: nearest.map(|s| index.id(s)),
        };
        found.push((rank(&conflict, 0), conflict));
    }

    /// The services' windows found by the last walk up from `c`.
    fn by_walk(
        &mut self,
        c: u32,
        (from, to): Span,
        seen: u32,
        found: &mut Vec<((u8, u32), Conflict)>,
        applied: &mut Vec<(u32, AppliedWindow)>,
    ) {
        let schedule = self.schedule;
        for position in 0..self.queue.len() {
            let v = self.queue[position].0;
            for w in schedule.service_windows_of(v) {
                if self.seen[w as usize] == seen {
                    continue;
                }
                self.seen[w as usize] = seen;
                let open = self.openings(w, from, to);
                if !open.is_empty() {
                    let path = self.path(position);
                    self.service_window(c, w, v, open, path, found, applied);
                }
            }
        }
    }

    /// The services' windows open during `[from, to)` whose service depends
    /// on `c`, each with a shortest path from `c`; `false` (and nothing
    /// added) if a path cannot be found, which the closures rule out.
    fn by_closures(
        &mut self,
        c: u32,
        (from, to): Span,
        seen: u32,
        found: &mut Vec<((u8, u32), Conflict)>,
        applied: &mut Vec<(u32, AppliedWindow)>,
    ) -> bool {
        let schedule = self.schedule;
        let Some(closures) = schedule.closures.as_ref() else {
            return false;
        };
        let open_windows = match self.open_services.take() {
            Some(list) => list,
            None => self.open_service_windows(from, to),
        };
        let mut reached: Vec<(u32, u32, Vec<Interval>, Vec<CiId>)> = Vec::new();
        let mut complete = true;
        for &w in &open_windows {
            let Attached::Service(s) = schedule.windows[w as usize].attached else {
                continue;
            };
            if self.seen[w as usize] == seen || !(s == c || closures.contains(s, c)) {
                continue;
            }
            let open = self.openings(w, from, to);
            if open.is_empty() {
                continue;
            }
            let path = if schedule.windows[w as usize].kind == WindowKind::Blackout {
                match self.meet(c, s) {
                    Some(path) => path,
                    None => {
                        complete = false;
                        break;
                    }
                }
            } else {
                Vec::new()
            };
            reached.push((w, s, open, path));
        }
        self.open_services = Some(open_windows);
        if !complete {
            return false;
        }
        for (w, s, open, path) in reached {
            self.seen[w as usize] = seen;
            self.service_window(c, w, s, open, path, found, applied);
        }
        true
    }

    /// A service's window `w` on `s`, open during `open`, applies to the
    /// change's CI `c`: a blackout conflict (through `path`), or a
    /// maintenance window of the CI.
    #[allow(clippy::too_many_arguments)] // the parts of one finding
    fn service_window(
        &self,
        c: u32,
        w: u32,
        s: u32,
        open: Vec<Interval>,
        path: Vec<CiId>,
        found: &mut Vec<((u8, u32), Conflict)>,
        applied: &mut Vec<(u32, AppliedWindow)>,
    ) {
        let schedule = self.schedule;
        let index = schedule.index;
        let window = &schedule.windows[w as usize];
        if window.kind == WindowKind::Blackout {
            let conflict = Conflict::Blackout {
                window: window.name.clone(),
                attached_to: window.target.clone(),
                ci: index.id(c),
                window_ci: index.id(s),
                path,
                overlaps: open,
            };
            found.push((rank(&conflict, w), conflict));
        } else {
            applied.push((
                w,
                AppliedWindow {
                    window: window.name.clone(),
                    attached_to: window.target.clone(),
                    window_ci: index.id(s),
                    open,
                },
            ));
        }
    }

    /// Every window on a service open during `[from, to)`, sorted.
    fn open_service_windows(&mut self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<u32> {
        let schedule = self.schedule;
        let mut list = Vec::new();
        let once = &schedule.service_once;
        let mut i = once.partition_point(|&(s, _, _)| s < to);
        while i > 0 && schedule.service_once_reach[i - 1] > from {
            i -= 1;
            if once[i].1 > from {
                list.push(once[i].2);
            }
        }
        for (r, windows) in &schedule.service_recurring {
            let (lo, hi) = self.recurring(*r, from, to);
            if hi > lo {
                list.extend(windows);
            }
        }
        list.sort_unstable();
        list
    }

    /// A shortest path from `c` up to `s`, a service that depends on it,
    /// along impact arcs: breadth-first from both ends, a whole level of
    /// the smaller side at a time, so that it visits about the square root
    /// of what a walk from `c` alone would when every service depends on
    /// `c`. `None` if `s` does not depend on `c`.
    fn meet(&mut self, c: u32, s: u32) -> Option<Vec<CiId>> {
        let schedule = self.schedule;
        let index = schedule.index;
        if c == s {
            return Some(vec![index.id(c)]);
        }
        let n = index.len();
        let m = self.meet.get_or_insert_with(|| {
            Box::new(Meet {
                epoch: 0,
                mark: [vec![0; n], vec![0; n]],
                at: [vec![0; n], vec![0; n]],
                queue: [Vec::new(), Vec::new()],
            })
        });
        if m.epoch == u32::MAX {
            m.mark.iter_mut().for_each(|v| v.fill(0));
            m.epoch = 0;
        }
        m.epoch += 1;
        let e = m.epoch;
        let mut level = [0..1usize, 0..1usize];
        for (side, start) in [(0, c), (1, s)] {
            m.queue[side].clear();
            m.queue[side].push((start, NONE, 0));
            m.mark[side][start as usize] = e;
            m.at[side][start as usize] = 0;
        }
        loop {
            if level[0].is_empty() || level[1].is_empty() {
                return None;
            }
            // Side 0 goes up from `c` (impact arcs, among the CIs some
            // service depends on); side 1 down from `s` (dependency arcs).
            let side = usize::from(level[1].len() < level[0].len());
            let other = 1 - side;
            let next_start = m.queue[side].len();
            let mut best: Option<(u32, u32)> = None;
            for p in level[side].clone() {
                let (v, _, depth) = m.queue[side][p];
                let arcs = if side == 0 {
                    index.impact_arcs(v)
                } else {
                    index.depend_arcs(v)
                };
                for &arc in arcs {
                    let (w, _) = index.unpack(arc);
                    if m.mark[side][w as usize] == e || (side == 0 && !bit(&schedule.in_service, w))
                    {
                        continue;
                    }
                    m.mark[side][w as usize] = e;
                    m.at[side][w as usize] = u32::try_from(m.queue[side].len()).unwrap_or(NONE);
                    m.queue[side].push((w, u32::try_from(p).unwrap_or(NONE), depth + 1));
                    if m.mark[other][w as usize] == e {
                        let there = m.queue[other][m.at[other][w as usize] as usize].2;
                        let total = depth + 1 + there;
                        if best.is_none_or(|(t, _)| total < t) {
                            best = Some((total, w));
                        }
                    }
                }
            }
            level[side] = next_start..m.queue[side].len();
            if let Some((_, w)) = best {
                // From `c` up to `w`, then from `w` up to `s`.
                let mut path = Vec::new();
                let mut at = m.at[0][w as usize];
                while at != NONE {
                    let (v, pred, _) = m.queue[0][at as usize];
                    path.push(index.id(v));
                    at = pred;
                }
                path.reverse();
                let mut at = m.queue[1][m.at[1][w as usize] as usize].1;
                while at != NONE {
                    let (v, pred, _) = m.queue[1][at as usize];
                    path.push(index.id(v));
                    at = pred;
                }
                return Some(path);
            }
        }
    }

    /// Sets how many CIs a walk up from a change's CI to the services with
    /// windows may visit (default 4,096) before the check asks each open
    /// service window instead whether its service depends on the CI (one
    /// search in the schedule's precomputed closures each, and a search
    /// from both ends for a blackout's path). The answer is the same either
    /// way; the budget only trades one cost for the other. `0` always asks.
    pub fn set_walk_budget(&mut self, visits: usize) {
        self.budget = visits;
    }

    /// Other scheduled changes on the change's CI `c` or one relationship away.
    fn changes_of(
        &mut self,
        c: u32,
        me: ChangeId,
        (from, to): Span,
        scheduled: &ScheduledChanges,
        found: &mut Vec<((u8, u32), Conflict)>,
    ) {
        if scheduled.is_empty() {
            return;
        }
        let index = self.schedule.index;
        let id = index.id(c);
        let overlap = |k: u32| {
            let x = &scheduled.changes[k as usize];
            let (s, e) = (x.start.max(from), x.end.min(to));
            (x.id != me && s < e).then_some(Interval { start: s, end: e })
        };
        let direct: &[u32] = scheduled.on_ci(&id);
        for &k in direct {
            if let Some(overlap) = overlap(k) {
                let x = &scheduled.changes[k as usize];
                let conflict = Conflict::CiAlreadyScheduled {
                    ci: id,
                    change: x.id,
                    number: x.number,
                    overlap,
                };
                found.push((rank(&conflict, k), conflict));
            }
        }

        let (up, down) = (index.impact_arcs(c), index.depend_arcs(c));
        let degree = up.len() + down.len();
        let mut related: BTreeMap<u32, Vec<RelatedCi>> = BTreeMap::new();
        let mut add = |k: u32, n: u32, ty: u32, related_as: RelatedAs| {
            if n != c && !direct.contains(&k) && overlap(k).is_some() {
                related.entry(k).or_default().push(RelatedCi {
                    ci: index.id(n),
                    relationship_type: index.type_name(ty).to_owned(),
                    related_as,
                });
            }
        };
        let by_neighbours = degree <= FEW_NEIGHBOURS || {
            let overlapping = self.overlapping.get_or_insert_with(|| {
                let mut list = Vec::new();
                scheduled.overlapping(from, to, &mut list);
                list
            });
            let cis: usize = overlapping
                .iter()
                .map(|&k| scheduled.changes[k as usize].cis.len())
                .sum();
            degree <= cis
        };
        if by_neighbours {
            for (arcs, related_as) in [(up, RelatedAs::Dependent), (down, RelatedAs::Dependency)] {
                for &arc in arcs {
                    let (n, ty) = index.unpack(arc);
                    for &k in scheduled.on_ci(&index.id(n)) {
                        add(k, n, ty, related_as);
                    }
                }
            }
        } else {
            for &k in self.overlapping.as_deref().unwrap_or(&[]) {
                for x in &scheduled.changes[k as usize].cis {
                    let Some(n) = index.dense(x) else { continue };
                    for (arcs, related_as) in
                        [(up, RelatedAs::Dependent), (down, RelatedAs::Dependency)]
                    {
                        // Arcs are sorted by their other end (the high bits).
                        let first = arcs.partition_point(|&a| index.unpack(a).0 < n);
                        for &arc in arcs[first..]
                            .iter()
                            .take_while(|&&a| index.unpack(a).0 == n)
                        {
                            add(k, n, index.unpack(arc).1, related_as);
                        }
                    }
                }
            }
        }
        for (k, mut list) in related {
            let Some(overlap) = overlap(k) else { continue };
            list.sort_by(|a, b| {
                (a.ci, a.related_as, &a.relationship_type).cmp(&(
                    b.ci,
                    b.related_as,
                    &b.relationship_type,
                ))
            });
            list.dedup();
            let x = &scheduled.changes[k as usize];
            let conflict = Conflict::RelatedCiScheduled {
                ci: id,
                change: x.id,
                number: x.number,
                related: list,
                overlap,
            };
            found.push((rank(&conflict, k), conflict));
        }
    }
}
