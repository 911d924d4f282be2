//! [`ChangeSchedule`]: blackout and maintenance windows as data, attached to
//! a CI, a CI class or a service; and [`CompiledSchedule`], a schedule
//! validated against a CMDB and indexed for conflict checks.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use itsm_core::{CiId, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::classes::Catalog;
use crate::index::NONE;
use crate::wall::{self, DAY, DayRule, Recurrence, Span};
use crate::{CmdbData, CmdbError, GraphIndex};

/// The longest planned window a conflict check accepts, in days: a change
/// planned over more than a year is refused rather than checked, so that
/// the walk over a recurring window's dates stays bounded (at most this
/// many dates and four more per distinct recurrence).
pub const MAX_PLANNED_WINDOW_DAYS: u32 = 366;

/// The blackout and maintenance windows of an estate: when changes must not
/// happen, and when they may.
///
/// - A **blackout** forbids changes while it is open. One on a CI also
///   covers every CI that depends on it, following the relationship types'
///   [`ImpactDirection`](crate::ImpactDirection)s (a blackout on a host
///   covers the virtual machines hosted on it and the applications that run
///   on those); one on a class covers every CI of the class or a subclass,
///   and their dependents likewise; one on a service covers the service and
///   every CI it depends on.
/// - A **maintenance window** is when changes may happen. A CI with at least
///   one maintenance window (its own, its class's or a class ancestor's, or
///   one of a service that depends on it) may be changed only while one of
///   them is open: the planned window must lie inside their union.
///
/// Validate it against a CMDB with [`CompiledSchedule::new`], which reports
/// every problem at once with its JSON path.
///
/// ```
/// use itsm_cmdb::ChangeSchedule;
/// let json = r#"{
///   "blackouts": [{"name": "quarter-end", "applies_to": {"service": "0190e3a4-0000-7000-8000-000000000002"},
///     "when": {"once": {"start": "2026-03-30T00:00:00Z", "end": "2026-04-02T00:00:00Z"}}}],
///   "maintenance_windows": [{"name": "sunday-early", "applies_to": {"class": "virtual_machine"},
///     "when": {"weekly": {"time_zone": "Europe/London", "days": ["sunday"], "start": "02:00", "end": "06:00"}}}]
/// }"#;
/// let schedule = ChangeSchedule::from_json(json)?;
/// assert_eq!(schedule.blackouts[0].name, "quarter-end");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeSchedule {
    /// Windows during which no change may happen.
    #[serde(default)]
    pub blackouts: Vec<ScheduleWindow>,
    /// Windows during which changes may happen.
    #[serde(default)]
    pub maintenance_windows: Vec<ScheduleWindow>,
}

/// One blackout or maintenance window: what it applies to, and when it is open.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleWindow {
    /// Its name, unique in the schedule (blackouts and maintenance windows
    /// together): conflicts name the window by it.
    pub name: String,
    /// What it is for, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The CI, class or service it is attached to.
    pub applies_to: WindowTarget,
    /// When it is open.
    pub when: WindowTime,
}

/// What a window is attached to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WindowTarget {
    /// One configuration item (and, for a blackout, the CIs that depend on it).
    Ci(CiId),
    /// Every CI of a class or one of its subclasses (and, for a blackout,
    /// the CIs that depend on them).
    Class(String),
    /// A business service CI, and every CI it depends on.
    Service(CiId),
}

/// When a window is open: half-open intervals `[start, end)`, so a window
/// ending at 06:00 and a change starting at 06:00 do not meet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum WindowTime {
    /// Once, between two instants.
    Once(OnceWindow),
    /// Every week, on some days, between two local times.
    Weekly(WeeklyWindow),
    /// Every month, on one weekday of one week of the month ("the second
    /// Tuesday"), between two local times.
    Monthly(MonthlyWindow),
}

/// A window open once, from `start` (inclusive) to `end` (exclusive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OnceWindow {
    /// When it opens.
    pub start: DateTime<Utc>,
    /// When it closes; after `start`.
    pub end: DateTime<Utc>,
}

/// A weekly window in local wall time.
///
/// `start` and `end` are `"HH:MM"` or `"HH:MM:SS"`; `end` may be `"24:00"`.
/// An `end` not after `start` ends on the next day (`22:00`–`02:00`), and
/// `start == end` is open for a whole day. On a DST change a local time in
/// the gap moves forward by the gap's length and one in the fold takes the
/// earlier instant, so a Sunday 00:00–04:00 window in Europe/London is open
/// four hours on most Sundays, three on the last Sunday of March and five
/// on the last Sunday of October.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyWindow {
    /// An IANA time zone name (`Europe/London`).
    pub time_zone: String,
    /// The days on which it opens (at least one, each once).
    pub days: Vec<DayOfWeek>,
    /// The local time it opens.
    pub start: String,
    /// The local time it closes.
    pub end: String,
    /// The first local date on which it opens, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// The last local date on which it opens, if it has one (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// A monthly window in local wall time, on one weekday of one week of the
/// month; `start`, `end`, `from` and `until` as in [`WeeklyWindow`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MonthlyWindow {
    /// An IANA time zone name (`Europe/London`).
    pub time_zone: String,
    /// Which week of the month (`second`, or `last`).
    pub week: WeekOfMonth,
    /// Which weekday of that week.
    pub day: DayOfWeek,
    /// The local time it opens.
    pub start: String,
    /// The local time it closes.
    pub end: String,
    /// The first local date on which it opens, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// The last local date on which it opens, if it has one (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<NaiveDate>,
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // the days name themselves
pub enum DayOfWeek {
    Monday,
    Tuesday,
    Wednesday,
    Thursday,
    Friday,
    Saturday,
    Sunday,
}

impl DayOfWeek {
    /// Chrono's weekday.
    #[must_use]
    pub fn weekday(self) -> Weekday {
        match self {
            Self::Monday => Weekday::Mon,
            Self::Tuesday => Weekday::Tue,
            Self::Wednesday => Weekday::Wed,
            Self::Thursday => Weekday::Thu,
            Self::Friday => Weekday::Fri,
            Self::Saturday => Weekday::Sat,
            Self::Sunday => Weekday::Sun,
        }
    }
}

/// Which week of a month a monthly window opens in: the first seven days
/// are the first week, and so on; `last` is the last seven days.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)] // the weeks name themselves
pub enum WeekOfMonth {
    First,
    Second,
    Third,
    Fourth,
    Last,
}

impl ChangeSchedule {
    /// Parses a schedule from JSON (it is validated by [`CompiledSchedule::new`]).
    ///
    /// # Errors
    /// [`CmdbError::Json`] with the path of the first value that does not
    /// parse, an unknown field named with the nearest known one.
    pub fn from_json(text: &str) -> Result<Self, CmdbError> {
        itsm_core::from_json::<Self>(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => CmdbError::Json { path, message },
            other => CmdbError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })
    }

    /// Every window with its kind, blackouts first, each with its JSON path.
    fn windows(&self) -> impl Iterator<Item = (WindowKind, String, &ScheduleWindow)> + '_ {
        let blackouts = self
            .blackouts
            .iter()
            .enumerate()
            .map(|(i, w)| (WindowKind::Blackout, format!("blackouts[{i}]"), w));
        let maintenance = self.maintenance_windows.iter().enumerate().map(|(i, w)| {
            (
                WindowKind::Maintenance,
                format!("maintenance_windows[{i}]"),
                w,
            )
        });
        blackouts.chain(maintenance)
    }
}

/// A window's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WindowKind {
    Blackout,
    Maintenance,
}

/// What a compiled window is attached to, in the index's numbering.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Attached {
    Ci(u32),
    Class(u32),
    Service(u32),
}

/// When a compiled window is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Opens {
    Once(DateTime<Utc>, DateTime<Utc>),
    /// The recurrence's place in [`CompiledSchedule::recurrences`].
    Recurring(u32),
}

/// One window, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Window {
    pub(crate) name: String,
    pub(crate) kind: WindowKind,
    pub(crate) target: WindowTarget,
    pub(crate) attached: Attached,
    pub(crate) opens: Opens,
}

/// Windows whose openings a check looks at before walking the graph: the
/// once-windows' intervals merged and sorted, and the recurrences.
#[derive(Clone, Debug, Default)]
pub(crate) struct Group {
    pub(crate) once: Vec<Span>,
    pub(crate) recurrences: Vec<u32>,
}

impl Group {
    fn add(&mut self, opens: Opens) {
        match opens {
            Opens::Once(s, e) => self.once.push((s, e)),
            Opens::Recurring(r) => self.recurrences.push(r),
        }
    }

    fn finish(&mut self) {
        self.recurrences.sort_unstable();
        self.recurrences.dedup();
        self.once.sort_unstable();
        let mut merged: Vec<Span> = Vec::with_capacity(self.once.len());
        for &(s, e) in &self.once {
            match merged.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.once = merged;
    }

    /// Whether a once-window of the group overlaps `[from, to)`.
    pub(crate) fn once_overlaps(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
        // Merged and sorted: the last interval starting before `to` is the
        // only one that can reach past `from`.
        let i = self.once.partition_point(|&(s, _)| s < to);
        i > 0 && self.once[i - 1].1 > from
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.once.is_empty() && self.recurrences.is_empty()
    }
}

/// A [`ChangeSchedule`] validated against a CMDB and indexed for conflict
/// checks on its [`GraphIndex`], which it borrows.
///
/// Building it reads every CI once (to find the members of classes with
/// windows) and marks, once for all checks, the CIs that have a blackout at
/// or below them and those a service with a window depends on, so that a
/// check walks only the CIs that can lead to a window.
///
/// ```
/// use itsm_cmdb::{ChangeSchedule, Cmdb, CmdbData, CompiledSchedule, ConfigurationItem};
/// use itsm_core::CiId;
/// let mut cmdb = Cmdb::import(CmdbData::starter())?;
/// cmdb.add_ci(ConfigurationItem::new(CiId::from_u128(1), "database", "payroll-db"))?;
/// let index = cmdb.index()?;
/// let schedule = ChangeSchedule::from_json(r#"{"blackouts": [{"name": "freeze",
///   "applies_to": {"class": "datbase"},
///   "when": {"once": {"start": "2026-03-30T00:00:00Z", "end": "2026-03-29T00:00:00Z"}}}]}"#)?;
/// let problems = match CompiledSchedule::new(&schedule, cmdb.data(), &index) {
///     Err(itsm_cmdb::CmdbError::InvalidSchedule { problems }) => problems,
///     other => panic!("{other:?}"),
/// };
/// let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
/// assert_eq!(paths, ["blackouts[0].applies_to.class", "blackouts[0].when.once.end"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CompiledSchedule<'a> {
    pub(crate) index: &'a GraphIndex,
    pub(crate) windows: Vec<Window>,
    pub(crate) recurrences: Vec<Recurrence>,
    /// `(CI, window)` for the windows on a CI, sorted.
    pub(crate) on_ci: Vec<(u32, u32)>,
    /// `(service, window)` for the windows on a service, sorted.
    pub(crate) on_service: Vec<(u32, u32)>,
    /// Per CI, its class (in the catalogue's numbering); empty when no
    /// window is attached to a class.
    pub(crate) class_of: Vec<u32>,
    /// Per class, the windows on it or on one of its ancestors.
    pub(crate) class_windows: Vec<Vec<u32>>,
    /// Bits: the CIs with a blackout on them, their class, or a CI they
    /// depend on (empty when no blackout is on a CI or a class).
    pub(crate) under_blackout: Vec<u64>,
    /// Bits: the CIs a service with a window depends on, the services
    /// included (empty when no window is on a service).
    pub(crate) in_service: Vec<u64>,
    /// Per CI, the nearest service with a maintenance window that depends
    /// on it (itself for such a service), or `NONE`; empty when no
    /// maintenance window is on a service.
    pub(crate) maintained_by: Vec<u32>,
    /// The blackouts on CIs and classes.
    pub(crate) ci_blackouts: Group,
    /// The blackouts on services.
    pub(crate) service_blackouts: Group,
    /// The maintenance windows on services.
    pub(crate) service_maintenance: Group,
    /// The windows on services by when they open: the once-windows by
    /// start (with the latest end so far), the recurring ones by recurrence.
    pub(crate) service_once: Vec<(DateTime<Utc>, DateTime<Utc>, u32)>,
    pub(crate) service_once_reach: Vec<DateTime<Utc>>,
    pub(crate) service_recurring: Vec<(u32, Vec<u32>)>,
    /// What each service with a window depends on, when it fits the budget
    /// (see [`Closures`]).
    pub(crate) closures: Option<Closures>,
}

/// Per service with a window, the CIs it depends on (itself included), as
/// sorted keys: a CI's key is its dense id, or one key for all the CIs of a
/// cycle (a meshed network is one key), so that "does this service depend
/// on that CI?" is one binary search. Built only while the keys stay within
/// [`CLOSURE_BUDGET`] per CI of the estate.
#[derive(Clone, Debug)]
pub(crate) struct Closures {
    /// Per CI, its key.
    key: Vec<u32>,
    /// The services, sorted, and their closures' keys, sorted.
    services: Vec<u32>,
    sets: Vec<Vec<u32>>,
}

/// How many closure keys, per CI of the estate (plus a million), the
/// services' closures may hold in all before they are given up (checks then
/// walk up to the services instead).
const CLOSURE_BUDGET: usize = 16;

impl Closures {
    /// Whether `service` depends on `ci` (or is it).
    pub(crate) fn contains(&self, service: u32, ci: u32) -> bool {
        let (Ok(i), Some(&k)) = (
            self.services.binary_search(&service),
            self.key.get(ci as usize),
        ) else {
            return false;
        };
        self.sets[i].binary_search(&k).is_ok()
    }

    /// The closures of `services` (sorted, distinct) in `index`, or `None`
    /// beyond the budget.
    fn build(index: &GraphIndex, services: &[u32]) -> Option<Self> {
        let n = index.len();
        let cycles = index.strongly_connected_components(None).ok()?;
        let mut key: Vec<u32> = (0..u32::try_from(n).ok()?).collect();
        let mut members: Vec<Vec<u32>> = Vec::new();
        for cycle in cycles.iter().filter(|c| c.len() > 1) {
            let k = u32::try_from(n + members.len()).ok()?;
            let list: Vec<u32> = cycle.iter().filter_map(|id| index.dense(id)).collect();
            for &v in &list {
                key[v as usize] = k;
            }
            members.push(list);
        }
        // A cycle's arcs out of it, to keys.
        let out: Vec<Vec<u32>> = members
            .iter()
            .enumerate()
            .map(|(i, list)| {
                let own = (n + i) as u32;
                let mut arcs: Vec<u32> = list
                    .iter()
                    .flat_map(|&v| index.depend_arcs(v))
                    .map(|&a| key[index.unpack(a).0 as usize])
                    .filter(|&k| k != own)
                    .collect();
                arcs.sort_unstable();
                arcs.dedup();
                arcs
            })
            .collect();
        let budget = CLOSURE_BUDGET * n + 1_000_000;
        let mut stamp = vec![0u32; n + members.len()];
        let mut total = 0usize;
        let mut sets = Vec::with_capacity(services.len());
        let mut stack: Vec<u32> = Vec::new();
        for (epoch, &s) in (1u32..).zip(services) {
            let mut set = Vec::new();
            let start = key[s as usize];
            stamp[start as usize] = epoch;
            stack.push(start);
            while let Some(k) = stack.pop() {
                set.push(k);
                let mut visit = |next: u32| {
                    if stamp[next as usize] != epoch {
                        stamp[next as usize] = epoch;
                        stack.push(next);
                    }
                };
                if (k as usize) < n {
                    for &a in index.depend_arcs(k) {
                        visit(key[index.unpack(a).0 as usize]);
                    }
                } else {
                    for &next in &out[k as usize - n] {
                        visit(next);
                    }
                }
            }
            total += set.len();
            if total > budget {
                return None;
            }
            set.sort_unstable();
            sets.push(set);
        }
        Some(Self {
            key,
            services: services.to_vec(),
            sets,
        })
    }
}

pub(crate) fn bit(bits: &[u64], v: u32) -> bool {
    bits.get((v >> 6) as usize)
        .is_some_and(|w| w & (1u64 << (v & 63)) != 0)
}

fn set(bits: &mut [u64], v: u32) -> bool {
    let w = &mut bits[(v >> 6) as usize];
    let b = 1u64 << (v & 63);
    let was = *w & b != 0;
    *w |= b;
    !was
}

/// Every CI reached from `sources` along impact arcs (`up`: to the CIs that
/// depend on them) or dependency arcs, the sources included, as bits.
fn closure(index: &GraphIndex, sources: &[u32], up: bool) -> Vec<u64> {
    let mut bits = vec![0u64; index.len().div_ceil(64)];
    let mut stack: Vec<u32> = Vec::new();
    for &s in sources {
        if set(&mut bits, s) {
            stack.push(s);
        }
    }
    while let Some(v) = stack.pop() {
        let arcs = if up {
            index.impact_arcs(v)
        } else {
            index.depend_arcs(v)
        };
        for &arc in arcs {
            let (w, _) = index.unpack(arc);
            if set(&mut bits, w) {
                stack.push(w);
            }
        }
    }
    bits
}

/// Per CI, the nearest of `sources` reached from it against dependency
/// arcs (breadth-first from all sources at once), or `NONE`.
fn nearest_source(index: &GraphIndex, sources: &[u32]) -> Vec<u32> {
    let mut origin = vec![NONE; index.len()];
    let mut queue: Vec<u32> = Vec::new();
    for &s in sources {
        if origin[s as usize] == NONE {
            origin[s as usize] = s;
            queue.push(s);
        }
    }
    let mut head = 0;
    while let Some(&v) = queue.get(head) {
        head += 1;
        let from = origin[v as usize];
        for &arc in index.depend_arcs(v) {
            let (w, _) = index.unpack(arc);
            if origin[w as usize] == NONE {
                origin[w as usize] = from;
                queue.push(w);
            }
        }
    }
    origin
}

/// The parsed local times of a recurring window, or its problems.
struct LocalParts<'s> {
    time_zone: &'s str,
    start: &'s str,
    end: &'s str,
    from: Option<NaiveDate>,
    until: Option<NaiveDate>,
}

fn compile_local(
    parts: &LocalParts<'_>,
    rule: Option<DayRule>,
    path: &str,
    problems: &mut Vec<Violation>,
) -> Option<Recurrence> {
    let tz = wall::parse_zone(parts.time_zone);
    if tz.is_none() {
        problems.push(Violation::new(
            format!("{path}.time_zone"),
            "unknown_time_zone",
            format!(
                "time_zone {} is not an IANA time zone name such as \"Europe/London\"",
                itsm_core::quoted(parts.time_zone)
            ),
        ));
    }
    let start = wall::parse_time(parts.start, false);
    if start.is_none() {
        problems.push(Violation::new(
            format!("{path}.start"),
            "malformed_time",
            format!(
                "start {} is not a local time \"HH:MM\" or \"HH:MM:SS\" from 00:00 to 23:59:59",
                itsm_core::quoted(parts.start)
            ),
        ));
    }
    let end = wall::parse_time(parts.end, true);
    if end.is_none() {
        problems.push(Violation::new(
            format!("{path}.end"),
            "malformed_time",
            format!(
                "end {} is not a local time \"HH:MM\" or \"HH:MM:SS\" from 00:00 to 24:00",
                itsm_core::quoted(parts.end)
            ),
        ));
    }
    let (lo, hi) = (wall::first_date(), wall::end_date());
    let mut dates_ok = true;
    for (field, date) in [("from", parts.from), ("until", parts.until)] {
        if let Some(d) = date
            && (d < lo || d >= hi)
        {
            dates_ok = false;
            problems.push(Violation::new(
                format!("{path}.{field}"),
                "date_out_of_range",
                format!("{field} {d} is outside the supported years 1900 to 2199"),
            ));
        }
    }
    if let (Some(from), Some(until)) = (parts.from, parts.until)
        && until < from
    {
        dates_ok = false;
        problems.push(Violation::new(
            format!("{path}.until"),
            "until_before_from",
            format!("until {until} is before from {from}"),
        ));
    }
    let (tz, start, end, rule) = (tz?, start?, end?, rule?);
    if !dates_ok {
        return None;
    }
    // Overnight (or a whole day): the end is on the next date.
    let end = if end > start { end } else { end + DAY };
    Some(Recurrence {
        tz,
        rule,
        start,
        end,
        from: parts.from,
        until: parts.until,
    })
}

fn weekly_rule(days: &[DayOfWeek], path: &str, problems: &mut Vec<Violation>) -> Option<DayRule> {
    if days.is_empty() {
        problems.push(Violation::new(
            format!("{path}.days"),
            "empty",
            "days is empty: a weekly window opens on at least one day",
        ));
        return None;
    }
    let mut mask = 0u8;
    let mut ok = true;
    for (i, day) in days.iter().enumerate() {
        let b = 1u8 << day.weekday().num_days_from_monday();
        if mask & b != 0 {
            ok = false;
            problems.push(Violation::new(
                format!("{path}.days[{i}]"),
                "duplicate_entry",
                format!(
                    "{} is listed twice",
                    serde_json::to_string(day).unwrap_or_default()
                ),
            ));
        }
        mask |= b;
    }
    ok.then_some(DayRule::Weekly(mask))
}

/// The compiled time of `when` at `path` (`…when`), or `None` with its problems.
fn compile_when(
    when: &WindowTime,
    path: &str,
    recurrences: &mut Vec<Recurrence>,
    interned: &mut HashMap<Recurrence, u32>,
    problems: &mut Vec<Violation>,
) -> Option<Opens> {
    let recurrence = match when {
        WindowTime::Once(once) => {
            if once.end <= once.start {
                problems.push(Violation::new(
                    format!("{path}.once.end"),
                    "end_before_start",
                    format!(
                        "end {} is not after start {}",
                        once.end.to_rfc3339(),
                        once.start.to_rfc3339()
                    ),
                ));
                return None;
            }
            return Some(Opens::Once(once.start, once.end));
        }
        WindowTime::Weekly(w) => {
            let path = format!("{path}.weekly");
            let rule = weekly_rule(&w.days, &path, problems);
            let parts = LocalParts {
                time_zone: &w.time_zone,
                start: &w.start,
                end: &w.end,
                from: w.from,
                until: w.until,
            };
            compile_local(&parts, rule, &path, problems)?
        }
        WindowTime::Monthly(m) => {
            let path = format!("{path}.monthly");
            let nth = match m.week {
                WeekOfMonth::First => 1,
                WeekOfMonth::Second => 2,
                WeekOfMonth::Third => 3,
                WeekOfMonth::Fourth => 4,
                WeekOfMonth::Last => 0,
            };
            let rule = Some(DayRule::Monthly {
                nth,
                day: m.day.weekday(),
            });
            let parts = LocalParts {
                time_zone: &m.time_zone,
                start: &m.start,
                end: &m.end,
                from: m.from,
                until: m.until,
            };
            compile_local(&parts, rule, &path, problems)?
        }
    };
    let next = u32::try_from(recurrences.len()).unwrap_or(NONE);
    let id = *interned.entry(recurrence.clone()).or_insert_with(|| {
        recurrences.push(recurrence);
        next
    });
    Some(Opens::Recurring(id))
}

impl<'a> CompiledSchedule<'a> {
    /// Validates `schedule` against a CMDB's `data` and the `index` built
    /// from it, and indexes it for [`ConflictChecker`](crate::ConflictChecker)s.
    ///
    /// Costs one pass over the CIs when a window is on a class, and one
    /// walk of the CIs a window can reach (those a service with a window
    /// depends on; those that depend on a CI with a blackout), each at most
    /// the estate.
    ///
    /// # Errors
    /// [`CmdbError::InvalidSchedule`] listing every problem at once, each with its
    /// JSON path in the schedule: an empty or repeated name (`duplicate_name`),
    /// a CI the CMDB does not hold (`unknown_ci`), an unknown class
    /// (`unknown_class`), a service that is not a business service
    /// (`not_a_service`), an end not after its start (`end_before_start`),
    /// an unknown time zone (`unknown_time_zone`), a malformed local time
    /// (`malformed_time`), no or repeated days (`empty`, `duplicate_entry`),
    /// a date outside 1900–2199 (`date_out_of_range`), `until` before
    /// `from` (`until_before_from`); or, at the path `.`, an index that
    /// does not hold the data's CIs (`index_mismatch`).
    pub fn new(
        schedule: &ChangeSchedule,
        data: &CmdbData,
        index: &'a GraphIndex,
    ) -> Result<Self, CmdbError> {
        let mut problems = Vec::new();
        if data.cis.len() != index.len() {
            problems.push(Violation::new(
                ".",
                "index_mismatch",
                format!(
                    "the index holds {} configuration items and the data {}: build the index from the same data",
                    index.len(),
                    data.cis.len()
                ),
            ));
            return Err(CmdbError::InvalidSchedule { problems });
        }
        let catalog = Catalog::compile(data, &mut Vec::new());
        let mut windows = Vec::new();
        let mut recurrences = Vec::new();
        let mut interned = HashMap::new();
        let mut names: HashMap<&str, String> = HashMap::new();
        for (kind, path, w) in schedule.windows() {
            if w.name.trim().is_empty() {
                problems.push(Violation::new(
                    format!("{path}.name"),
                    "empty",
                    "name is empty",
                ));
            } else if let Some(first) = names.get(w.name.as_str()) {
                problems.push(Violation::new(
                    format!("{path}.name"),
                    "duplicate_name",
                    format!(
                        "name {} is also the name of {first}",
                        itsm_core::quoted(&w.name)
                    ),
                ));
            } else {
                names.insert(&w.name, path.clone());
            }
            let attached = attach(&w.applies_to, &path, &catalog, index, &mut problems);
            let opens = compile_when(
                &w.when,
                &format!("{path}.when"),
                &mut recurrences,
                &mut interned,
                &mut problems,
            );
            if let (Some(attached), Some(opens)) = (attached, opens) {
                windows.push(Window {
                    name: w.name.clone(),
                    kind,
                    target: w.applies_to.clone(),
                    attached,
                    opens,
                });
            }
        }
        if !problems.is_empty() {
            return Err(CmdbError::InvalidSchedule { problems });
        }
        Ok(Self::index_windows(
            windows,
            recurrences,
            &catalog,
            data,
            index,
        ))
    }

    fn index_windows(
        windows: Vec<Window>,
        recurrences: Vec<Recurrence>,
        catalog: &Catalog,
        data: &CmdbData,
        index: &'a GraphIndex,
    ) -> Self {
        let mut on_ci = Vec::new();
        let mut on_service = Vec::new();
        let mut own_class: Vec<Vec<u32>> = vec![Vec::new(); catalog.classes.len()];
        let mut ci_blackouts = Group::default();
        let mut service_blackouts = Group::default();
        let mut service_maintenance = Group::default();
        let mut blackout_cis = Vec::new();
        let mut blackout_classes = vec![false; catalog.classes.len()];
        let mut windowed_services = Vec::new();
        let mut maintained_services = Vec::new();
        for (w, window) in windows.iter().enumerate() {
            let w = u32::try_from(w).unwrap_or(NONE);
            let blackout = window.kind == WindowKind::Blackout;
            match window.attached {
                Attached::Ci(v) => {
                    on_ci.push((v, w));
                    if blackout {
                        blackout_cis.push(v);
                        ci_blackouts.add(window.opens);
                    }
                }
                Attached::Class(c) => {
                    own_class[c as usize].push(w);
                    if blackout {
                        blackout_classes[c as usize] = true;
                        ci_blackouts.add(window.opens);
                    }
                }
                Attached::Service(v) => {
                    on_service.push((v, w));
                    windowed_services.push(v);
                    if blackout {
                        service_blackouts.add(window.opens);
                    } else {
                        service_maintenance.add(window.opens);
                        maintained_services.push(v);
                    }
                }
            }
        }
        on_ci.sort_unstable();
        on_service.sort_unstable();
        ci_blackouts.finish();
        service_blackouts.finish();
        service_maintenance.finish();

        // Each class's windows, its ancestors' included.
        let any_class = own_class.iter().any(|w| !w.is_empty());
        let mut class_windows: Vec<Vec<u32>> = vec![Vec::new(); catalog.classes.len()];
        let mut class_blacked = vec![false; catalog.classes.len()];
        let mut class_of = Vec::new();
        if any_class {
            for (c, list) in class_windows.iter_mut().enumerate() {
                let c = u32::try_from(c).unwrap_or(NONE);
                for a in catalog.ancestors(c) {
                    list.extend(&own_class[a as usize]);
                    class_blacked[c as usize] |= blackout_classes[a as usize];
                }
                list.sort_unstable();
            }
            class_of = vec![NONE; index.len()];
            for ci in &data.cis {
                if let (Some(v), Some(&c)) =
                    (index.dense(&ci.id), catalog.class_index.get(&ci.class))
                {
                    class_of[v as usize] = c;
                    if class_blacked[c as usize] {
                        blackout_cis.push(v);
                    }
                }
            }
        }
        let under_blackout = if blackout_cis.is_empty() {
            Vec::new()
        } else {
            closure(index, &blackout_cis, true)
        };
        let in_service = if windowed_services.is_empty() {
            Vec::new()
        } else {
            closure(index, &windowed_services, false)
        };
        windowed_services.sort_unstable();
        windowed_services.dedup();
        let closures = if windowed_services.is_empty() {
            None
        } else {
            Closures::build(index, &windowed_services)
        };
        let mut service_once = Vec::new();
        let mut by_recurrence: HashMap<u32, Vec<u32>> = HashMap::new();
        for (w, window) in windows.iter().enumerate() {
            let w = u32::try_from(w).unwrap_or(NONE);
            if let Attached::Service(_) = window.attached {
                match window.opens {
                    Opens::Once(s, e) => service_once.push((s, e, w)),
                    Opens::Recurring(r) => by_recurrence.entry(r).or_default().push(w),
                }
            }
        }
        service_once.sort_unstable();
        let mut latest: Option<DateTime<Utc>> = None;
        let service_once_reach = service_once
            .iter()
            .map(|&(_, e, _)| {
                let r = latest.map_or(e, |l| l.max(e));
                latest = Some(r);
                r
            })
            .collect();
        let mut service_recurring: Vec<(u32, Vec<u32>)> = by_recurrence.into_iter().collect();
        service_recurring.sort_unstable();
        let maintained_by = if maintained_services.is_empty() {
            Vec::new()
        } else {
            maintained_services.sort_unstable();
            maintained_services.dedup();
            nearest_source(index, &maintained_services)
        };
        Self {
            index,
            windows,
            recurrences,
            on_ci,
            on_service,
            class_of,
            class_windows,
            under_blackout,
            in_service,
            maintained_by,
            ci_blackouts,
            service_blackouts,
            service_maintenance,
            service_once,
            service_once_reach,
            service_recurring,
            closures,
        }
    }

    /// The index the schedule was compiled against.
    #[must_use]
    pub fn index(&self) -> &'a GraphIndex {
        self.index
    }

    /// How many windows it holds (blackouts and maintenance windows).
    #[must_use]
    pub fn window_count(&self) -> usize {
        self.windows.len()
    }

    /// About how many bytes it holds beside the index: the windows, the
    /// per-CI tables (a class, a nearest service, two bits) and the
    /// services' closures.
    #[must_use]
    pub fn memory_bytes(&self) -> u64 {
        fn bytes<T>(v: &[T]) -> u64 {
            std::mem::size_of_val(v) as u64
        }
        let windows: u64 = self
            .windows
            .iter()
            .map(|w| std::mem::size_of::<Window>() as u64 + w.name.len() as u64)
            .sum();
        let closures = self.closures.as_ref().map_or(0, |c| {
            bytes(&c.key) + bytes(&c.services) + c.sets.iter().map(|s| bytes(s)).sum::<u64>()
        });
        windows
            + bytes(&self.on_ci)
            + bytes(&self.on_service)
            + bytes(&self.class_of)
            + self.class_windows.iter().map(|c| bytes(c)).sum::<u64>()
            + bytes(&self.under_blackout)
            + bytes(&self.in_service)
            + bytes(&self.maintained_by)
            + bytes(&self.service_once)
            + bytes(&self.service_once_reach)
            + self
                .service_recurring
                .iter()
                .map(|(_, w)| bytes(w))
                .sum::<u64>()
            + closures
    }

    /// The windows on CI `v` (its own), as window numbers.
    pub(crate) fn own_windows(&self, v: u32) -> impl Iterator<Item = u32> + '_ {
        let start = self.on_ci.partition_point(|&(c, _)| c < v);
        self.on_ci[start..]
            .iter()
            .take_while(move |&&(c, _)| c == v)
            .map(|&(_, w)| w)
    }

    /// The windows on service `v`, as window numbers.
    pub(crate) fn service_windows_of(&self, v: u32) -> impl Iterator<Item = u32> + '_ {
        let start = self.on_service.partition_point(|&(c, _)| c < v);
        self.on_service[start..]
            .iter()
            .take_while(move |&&(c, _)| c == v)
            .map(|&(_, w)| w)
    }

    /// The windows on CI `v`'s class or one of its ancestors.
    pub(crate) fn class_windows_of(&self, v: u32) -> &[u32] {
        self.class_of
            .get(v as usize)
            .and_then(|&c| self.class_windows.get(c as usize))
            .map_or(&[], Vec::as_slice)
    }
}

/// Resolves what a window at `path` is attached to, or reports why not.
fn attach(
    target: &WindowTarget,
    path: &str,
    catalog: &Catalog,
    index: &GraphIndex,
    problems: &mut Vec<Violation>,
) -> Option<Attached> {
    match target {
        WindowTarget::Ci(id) => {
            let found = index.dense(id).map(Attached::Ci);
            if found.is_none() {
                problems.push(Violation::new(
                    format!("{path}.applies_to.ci"),
                    "unknown_ci",
                    format!("unknown configuration item {id}"),
                ));
            }
            found
        }
        WindowTarget::Class(name) => {
            let found = catalog.class_index.get(name).map(|&c| Attached::Class(c));
            if found.is_none() {
                let nearest = nearest_name(name, catalog.classes.iter().map(|c| c.name.as_str()));
                problems.push(Violation::new(
                    format!("{path}.applies_to.class"),
                    "unknown_class",
                    match nearest {
                        Some(n) => format!(
                            "unknown class {}; did you mean {}?",
                            itsm_core::quoted(name),
                            itsm_core::quoted(n)
                        ),
                        None => format!("unknown class {}", itsm_core::quoted(name)),
                    },
                ));
            }
            found
        }
        WindowTarget::Service(id) => match index.dense(id) {
            None => {
                problems.push(Violation::new(
                    format!("{path}.applies_to.service"),
                    "unknown_ci",
                    format!("unknown configuration item {id}"),
                ));
                None
            }
            Some(v) if !index.is_service_dense(v) => {
                problems.push(Violation::new(
                    format!("{path}.applies_to.service"),
                    "not_a_service",
                    format!(
                        "configuration item {id} is not a business service (its class is not flagged service): attach the window to it as a ci"
                    ),
                ));
                None
            }
            Some(v) => Some(Attached::Service(v)),
        },
    }
}

/// The known name nearest to `name` by edit distance, if near enough (a
/// third of its length, at least one edit).
fn nearest_name<'n>(name: &str, known: impl Iterator<Item = &'n str>) -> Option<&'n str> {
    let limit = (name.chars().count() / 3).max(1);
    known
        .map(|k| (edits(name, k), k))
        .filter(|&(d, _)| d <= limit)
        .min_by_key(|&(d, k)| (d, k.len()))
        .map(|(_, k)| k)
}

/// The Levenshtein distance between two short names.
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}
