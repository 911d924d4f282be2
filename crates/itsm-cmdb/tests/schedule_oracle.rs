//! Change schedule conflicts on small random estates: against a naive
//! oracle written here (every CI, every window and every other change by
//! brute force, occurrences found by resolving every local date of a wide
//! range on its own), laws (shrinking the planned window adds no conflict,
//! adding a blackout removes none), and JSON round trips.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc,
};
use chrono_tz::Tz;
use itsm_cmdb::{
    ChangeSchedule, CiClass, CmdbData, CompiledSchedule, ConfigurationItem, Conflict, DayOfWeek,
    GraphIndex, ImpactDirection, Interval, MonthlyWindow, OnceWindow, RelatedAs, Relationship,
    RelationshipType, ScheduleWindow, ScheduledChanges, WeekOfMonth, WeeklyWindow, WindowTarget,
    WindowTime,
};
use itsm_core::{
    Change, ChangeId, ChangeState, ChangeType, CiId, NumberPrefix, PersonId, RecordNumber,
    RecordState,
};
use proptest::prelude::*;

// ---- the estate ----

/// (name, parent, service)
const CLASSES: [(&str, Option<&str>, bool); 5] = [
    ("ci", None, false),
    ("svc", Some("ci"), true),
    ("app", Some("ci"), false),
    ("db", Some("app"), false),
    ("box", Some("ci"), false),
];

const TYPES: [(&str, ImpactDirection); 4] = [
    ("uses", ImpactDirection::ToSource),
    ("feeds", ImpactDirection::ToTarget),
    ("peers", ImpactDirection::Both),
    ("notes", ImpactDirection::None),
];

const ZONES: [&str; 5] = [
    "UTC",
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Europe/Paris",
];

/// Extra CIs that all `uses` CI 0, in a case with a hub.
const HUB_LEAVES: usize = 34;

fn id_of(i: usize) -> CiId {
    CiId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + i as u128)
}

/// The two seasons a case is drawn in: from 2026-03-01 (the spring gaps of
/// New York on the 8th, London and Paris on the 29th; Lord Howe's autumn
/// fold on 5 April), and from 2026-10-18 (the autumn folds of London and
/// Paris on the 25th, New York on 1 November).
fn t0(autumn: bool) -> DateTime<Utc> {
    let (m, d) = if autumn { (10, 18) } else { (3, 1) };
    Utc.with_ymd_and_hms(2026, m, d, 0, 0, 0)
        .single()
        .expect("an instant")
}

/// The DST changes of a season, in quarter hours after its `t0`.
fn dst_days(autumn: bool) -> [u32; 3] {
    if autumn {
        [7 * 96, 14 * 96, 14 * 96]
    } else {
        [7 * 96, 28 * 96, 35 * 96]
    }
}

/// `t0` plus `quarters` quarter hours.
fn q(autumn: bool, quarters: u32) -> DateTime<Utc> {
    t0(autumn) + Duration::minutes(15 * i64::from(quarters))
}

#[derive(Clone, Debug)]
struct Estate {
    classes: Vec<usize>,
    relationships: Vec<(usize, usize, usize)>,
}

impl Estate {
    fn n(&self) -> usize {
        self.classes.len()
    }

    fn data(&self) -> CmdbData {
        CmdbData {
            classes: CLASSES
                .iter()
                .map(|(name, parent, service)| CiClass {
                    name: (*name).into(),
                    label: None,
                    parent: parent.map(Into::into),
                    service: *service,
                    attributes: Vec::new(),
                })
                .collect(),
            relationship_types: TYPES
                .iter()
                .map(|(name, impact)| RelationshipType {
                    name: (*name).into(),
                    forward: (*name).into(),
                    reverse: format!("{name} (reverse)"),
                    impact: *impact,
                    dependent: false,
                })
                .collect(),
            cis: self
                .classes
                .iter()
                .enumerate()
                .map(|(i, &c)| ConfigurationItem::new(id_of(i), CLASSES[c].0, format!("ci{i}")))
                .collect(),
            relationships: self
                .relationships
                .iter()
                .map(|&(s, t, g)| Relationship::new(id_of(s), TYPES[t].0, id_of(g)))
                .collect(),
            ..CmdbData::default()
        }
    }

    /// `deps[a]`: (b, type) for every "a depends on b" (a failure of b travels to a).
    fn deps(&self) -> Vec<BTreeSet<(usize, usize)>> {
        let mut deps = vec![BTreeSet::new(); self.n()];
        for &(s, t, g) in &self.relationships {
            match TYPES[t].1 {
                ImpactDirection::ToSource => {
                    deps[s].insert((g, t));
                }
                ImpactDirection::ToTarget => {
                    deps[g].insert((s, t));
                }
                ImpactDirection::Both => {
                    deps[s].insert((g, t));
                    deps[g].insert((s, t));
                }
                _ => {}
            }
        }
        deps
    }

    fn is_a(&self, ci: usize, class: usize) -> bool {
        let mut at = Some(self.classes[ci]);
        while let Some(c) = at {
            if c == class {
                return true;
            }
            at = CLASSES[c]
                .1
                .and_then(|p| CLASSES.iter().position(|(n, _, _)| *n == p));
        }
        false
    }

    fn is_service(&self, ci: usize) -> bool {
        self.is_a(ci, 1)
    }
}

/// Distances from `from` along `edges` (breadth-first); `usize::MAX` unreached.
fn distances(edges: &[BTreeSet<(usize, usize)>], from: usize) -> Vec<usize> {
    let mut dist = vec![usize::MAX; edges.len()];
    dist[from] = 0;
    let mut queue = VecDeque::from([from]);
    while let Some(v) = queue.pop_front() {
        for &(w, _) in &edges[v] {
            if dist[w] == usize::MAX {
                dist[w] = dist[v] + 1;
                queue.push_back(w);
            }
        }
    }
    dist
}

fn reversed(edges: &[BTreeSet<(usize, usize)>]) -> Vec<BTreeSet<(usize, usize)>> {
    let mut out = vec![BTreeSet::new(); edges.len()];
    for (a, list) in edges.iter().enumerate() {
        for &(b, t) in list {
            out[b].insert((a, t));
        }
    }
    out
}

// ---- occurrences, the oracle's way ----

/// A local date-time to an instant: the earlier of a fold; in a gap, the
/// offset in force twelve hours before (the one before the gap).
fn oracle_resolve(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc))),
        LocalResult::None => {
            let before = local.and_utc() - Duration::hours(12);
            let offset = tz.offset_from_utc_datetime(&before.naive_utc()).fix();
            Some((local - Duration::seconds(i64::from(offset.local_minus_utc()))).and_utc())
        }
    }
}

fn days_in_month(d: NaiveDate) -> u32 {
    let (y, m) = (d.year(), d.month());
    let next = if m == 12 {
        NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.map_or(31, |n| n.pred_opt().map_or(31, |p| p.day()))
}

fn secs(text: &str) -> u32 {
    let parts: Vec<u32> = text
        .split(':')
        .map(|p| p.parse().expect("digits"))
        .collect();
    parts[0] * 3600 + parts[1] * 60 + parts.get(2).copied().unwrap_or(0)
}

/// A recurring window taken apart: zone, which dates, start, end, from, until.
type Recurring<'w> = (
    &'w str,
    Box<dyn Fn(NaiveDate) -> bool>,
    &'w str,
    &'w str,
    Option<NaiveDate>,
    Option<NaiveDate>,
);

/// Every opening of `when` that overlaps `[lo, hi)`, unclipped.
fn occurrences(
    when: &WindowTime,
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let (zone, matches, start, end, from, until): Recurring<'_> = match when {
        WindowTime::Once(o) => {
            return if o.start < hi && o.end > lo {
                vec![(o.start, o.end)]
            } else {
                Vec::new()
            };
        }
        WindowTime::Weekly(w) => {
            let days = w.days.clone();
            (
                &w.time_zone,
                Box::new(move |d: NaiveDate| days.iter().any(|x| x.weekday() == d.weekday())),
                &w.start,
                &w.end,
                w.from,
                w.until,
            )
        }
        WindowTime::Monthly(m) => {
            let (week, day) = (m.week, m.day.weekday());
            (
                &m.time_zone,
                Box::new(move |d: NaiveDate| {
                    d.weekday() == day
                        && match week {
                            WeekOfMonth::First => d.day() <= 7,
                            WeekOfMonth::Second => (8..=14).contains(&d.day()),
                            WeekOfMonth::Third => (15..=21).contains(&d.day()),
                            WeekOfMonth::Fourth => (22..=28).contains(&d.day()),
                            WeekOfMonth::Last => d.day() + 7 > days_in_month(d),
                        }
                }),
                &m.start,
                &m.end,
                m.from,
                m.until,
            )
        }
        other => panic!("{other:?}"),
    };
    let tz: Tz = zone.parse().expect("a zone");
    let (s, mut e) = (secs(start), secs(end));
    if e <= s {
        e += 86_400;
    }
    let mut out = Vec::new();
    let mut d = (lo - Duration::days(3)).date_naive();
    let last = (hi + Duration::days(2)).date_naive();
    while d <= last {
        let valid = from.is_none_or(|f| d >= f) && until.is_none_or(|u| d <= u);
        if valid && matches(d) {
            let midnight = d.and_hms_opt(0, 0, 0).expect("midnight");
            let a = oracle_resolve(tz, midnight + Duration::seconds(i64::from(s)));
            let b = oracle_resolve(tz, midnight + Duration::seconds(i64::from(e)));
            if let (Some(a), Some(b)) = (a, b)
                && a < b
                && a < hi
                && b > lo
            {
                out.push((a, b));
            }
        }
        d = d.succ_opt().expect("a next day");
    }
    out
}

fn clip(
    list: &[(DateTime<Utc>, DateTime<Utc>)],
    lo: DateTime<Utc>,
    hi: DateTime<Utc>,
) -> Vec<Interval> {
    let mut out: Vec<Interval> = list
        .iter()
        .filter_map(|&(a, b)| {
            let (a, b) = (a.max(lo), b.min(hi));
            (a < b).then_some(Interval { start: a, end: b })
        })
        .collect();
    out.sort();
    out
}

/// `[lo, hi)` minus the union of `open`, minute by minute on the quarter-hour grid
/// and DST offsets (every instant here is a whole minute).
fn gaps(open: &[Interval], lo: DateTime<Utc>, hi: DateTime<Utc>) -> Vec<Interval> {
    let mut out: Vec<Interval> = Vec::new();
    let mut t = lo;
    while t < hi {
        let covered = open.iter().any(|o| o.start <= t && t < o.end);
        if !covered {
            match out.last_mut() {
                Some(last) if last.end == t => last.end = t + Duration::minutes(1),
                _ => out.push(Interval {
                    start: t,
                    end: t + Duration::minutes(1),
                }),
            }
        }
        t += Duration::minutes(1);
    }
    out
}

// ---- the case ----

#[derive(Clone, Debug)]
struct Case {
    autumn: bool,
    estate: Estate,
    schedule: ChangeSchedule,
    change: Change,
    others: Vec<Change>,
}

fn change_of(
    autumn: bool,
    n: u64,
    cis: &[usize],
    window: Option<(u32, u32)>,
    state: ChangeState,
) -> Change {
    let mut c = Change::new(
        ChangeId::from_u128(0xC000 + u128::from(n)),
        RecordNumber::new(NumberPrefix::Change, n).expect("a number"),
        ChangeType::Normal,
        PersonId::from_u128(1),
        "a change",
        t0(autumn),
    );
    c.configuration_items = cis.iter().map(|&i| id_of(i)).collect();
    if let Some((start, len)) = window {
        c.planned_start = Some(q(autumn, start));
        c.planned_end = Some(q(autumn, start + len));
    }
    c.state = state;
    c
}

const DAYS: [DayOfWeek; 7] = [
    DayOfWeek::Monday,
    DayOfWeek::Tuesday,
    DayOfWeek::Wednesday,
    DayOfWeek::Thursday,
    DayOfWeek::Friday,
    DayOfWeek::Saturday,
    DayOfWeek::Sunday,
];

const WEEKS: [WeekOfMonth; 5] = [
    WeekOfMonth::First,
    WeekOfMonth::Second,
    WeekOfMonth::Third,
    WeekOfMonth::Fourth,
    WeekOfMonth::Last,
];

fn hhmm(half_hours: u32) -> String {
    if half_hours >= 48 {
        "24:00".to_owned()
    } else {
        format!("{:02}:{:02}", half_hours / 2, 30 * (half_hours % 2))
    }
}

/// A local time from a draw: half the time between 00:30 and 03:30, where
/// the DST changes of the zones drawn are, else any half hour or `24:00`.
fn hour(draw: u32, end: bool) -> String {
    if draw & 1 == 0 {
        hhmm(1 + (draw >> 1) % 6)
    } else {
        hhmm((draw >> 1) % if end { 49 } else { 48 })
    }
}

/// (shape, zone, a, b, c, d, validity): the raw draws of one window's time.
type TimeDraw = (u8, usize, u32, u32, u8, u32, u8);

fn when_of(autumn: bool, draw: TimeDraw) -> WindowTime {
    let (shape, zone, a, b, mask, c, validity) = draw;
    let zone = ZONES[zone % ZONES.len()].to_owned();
    let from =
        (validity & 1 == 1).then(|| (t0(autumn) + Duration::days(i64::from(c % 20))).date_naive());
    let until = (validity & 2 == 2)
        .then(|| (t0(autumn) + Duration::days(i64::from(20 + c % 20))).date_naive());
    match shape % 3 {
        0 => WindowTime::Once(OnceWindow {
            start: q(autumn, a % (35 * 96)),
            end: q(autumn, a % (35 * 96) + 1 + b % (3 * 96)),
        }),
        1 => {
            let mask = if mask & 0x7f == 0 { 1 } else { mask & 0x7f };
            WindowTime::Weekly(WeeklyWindow {
                time_zone: zone,
                days: (0..7)
                    .filter(|d| mask & (1 << d) != 0)
                    .map(|d| DAYS[d])
                    .collect(),
                start: hour(a, false),
                end: hour(b, true),
                from,
                until,
            })
        }
        _ => WindowTime::Monthly(MonthlyWindow {
            time_zone: zone,
            week: WEEKS[(mask % 5) as usize],
            day: DAYS[(c % 7) as usize],
            start: hour(a, false),
            end: hour(b, true),
            from,
            until,
        }),
    }
}

/// (blackout, target kind, target pick, time draw)
type WindowDraw = (bool, u8, usize, TimeDraw);

fn schedule_of(autumn: bool, estate: &Estate, draws: &[WindowDraw]) -> ChangeSchedule {
    let services: Vec<usize> = (0..estate.n()).filter(|&i| estate.is_service(i)).collect();
    let mut schedule = ChangeSchedule::default();
    for (i, &(blackout, kind, pick, time)) in draws.iter().enumerate() {
        let applies_to = match kind % 3 {
            0 => WindowTarget::Ci(id_of(pick % estate.n())),
            1 => WindowTarget::Class(CLASSES[pick % CLASSES.len()].0.to_owned()),
            _ if services.is_empty() => WindowTarget::Ci(id_of(pick % estate.n())),
            _ => WindowTarget::Service(id_of(services[pick % services.len()])),
        };
        let window = ScheduleWindow {
            name: format!("w{i}"),
            description: None,
            applies_to,
            when: when_of(autumn, time),
        };
        if blackout {
            schedule.blackouts.push(window);
        } else {
            schedule.maintenance_windows.push(window);
        }
    }
    schedule
}

fn estate_strategy() -> impl Strategy<Value = Estate> {
    (2usize..=9, any::<bool>()).prop_flat_map(|(n, hub)| {
        (
            prop::collection::vec(1usize..CLASSES.len(), n),
            prop::collection::vec((0..n, 0..TYPES.len(), 0..n), 0..=2 * n),
        )
            .prop_map(move |(classes, rels)| {
                let mut classes = classes;
                let mut relationships: Vec<(usize, usize, usize)> =
                    rels.into_iter().filter(|&(s, _, g)| s != g).collect();
                if hub {
                    for leaf in 0..HUB_LEAVES {
                        classes.push(4);
                        relationships.push((n + leaf, 0, 0));
                    }
                }
                Estate {
                    classes,
                    relationships,
                }
            })
    })
}

fn time_draw() -> impl Strategy<Value = TimeDraw> {
    (
        any::<u8>(),
        any::<usize>(),
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
        any::<u32>(),
        0u8..4,
    )
}

/// A CI drawn for a change: in an estate with a hub, the hub or one of
/// its first CIs two times in three, a leaf otherwise.
fn pick(estate: &Estate, draw: u16) -> usize {
    let base = estate.n()
        - if estate.n() > HUB_LEAVES {
            HUB_LEAVES
        } else {
            0
        };
    let draw = usize::from(draw);
    if base < estate.n() && draw % 3 == 0 {
        base + draw / 3 % HUB_LEAVES
    } else {
        draw % base
    }
}

fn case_strategy() -> impl Strategy<Value = Case> {
    estate_strategy().prop_flat_map(|estate| {
        let states = prop::sample::select(vec![
            ChangeState::New,
            ChangeState::Scheduled,
            ChangeState::Implement,
            ChangeState::Closed,
            ChangeState::Canceled,
        ]);
        (
            (Just(estate), any::<bool>(), prop::option::of(0usize..3)),
            prop::collection::vec(
                (any::<bool>(), any::<u8>(), any::<usize>(), time_draw()),
                0..6,
            ),
            prop::collection::vec(any::<u16>(), 0..4),
            prop::option::weighted(0.95, (0u32..35 * 96, 1u32..4 * 96)),
            // Other changes start up to two days either side of the change.
            prop::collection::vec(
                (
                    prop::collection::vec(any::<u16>(), 1..3),
                    prop::option::weighted(0.9, (0u32..2 * 192, 1u32..2 * 96)),
                    states,
                    any::<bool>(),
                ),
                0..6,
            ),
        )
            .prop_map(|((estate, autumn, near), draws, cis, planned, others)| {
                let schedule = schedule_of(autumn, &estate, &draws);
                let cis: Vec<usize> = cis.into_iter().map(|d| pick(&estate, d)).collect();
                // Half the changes start within two days of a DST change.
                let planned = planned.map(|(start, len)| match near {
                    Some(i) => (
                        (dst_days(autumn)[i] + start % (4 * 96)).saturating_sub(2 * 96),
                        len,
                    ),
                    None => (start, len),
                });
                let change = change_of(autumn, 1, &cis, planned, ChangeState::Authorize);
                let at = planned.map_or(96, |(start, _)| start);
                let others = others
                    .into_iter()
                    .enumerate()
                    .map(|(k, (cis, window, state, me))| {
                        // Now and then the change itself, listed among the others.
                        let n = if me { 1 } else { 2 + k as u64 };
                        let cis: Vec<usize> = cis.into_iter().map(|d| pick(&estate, d)).collect();
                        let window =
                            window.map(|(delta, len)| ((at + delta).saturating_sub(192), len));
                        change_of(autumn, n, &cis, window, state)
                    })
                    .collect();
                Case {
                    autumn,
                    estate,
                    schedule,
                    change,
                    others,
                }
            })
    })
}

/// One CI and recurring windows in zones that change to and from summer
/// time, a change within two days of a change: the openings alone, where
/// the DST rules show.
fn dst_case_strategy() -> impl Strategy<Value = Case> {
    (
        any::<bool>(),
        0usize..3,
        prop::collection::vec(
            (any::<bool>(), 1u8..3, 1usize..ZONES.len(), time_draw()),
            1..4,
        ),
        (0u32..4 * 96, 1u32..2 * 96),
    )
        .prop_map(|(autumn, near, draws, (start, len))| {
            let estate = Estate {
                classes: vec![2],
                relationships: Vec::new(),
            };
            let draws: Vec<WindowDraw> = draws
                .into_iter()
                .map(|(blackout, shape, zone, time)| {
                    let (_, _, a, b, mask, c, validity) = time;
                    (blackout, 0, 0, (shape, zone, a, b, mask, c, validity))
                })
                .collect();
            let schedule = schedule_of(autumn, &estate, &draws);
            let start = (dst_days(autumn)[near] + start).saturating_sub(2 * 96);
            let change = change_of(autumn, 1, &[0], Some((start, len)), ChangeState::Authorize);
            Case {
                autumn,
                estate,
                schedule,
                change,
                others: Vec::new(),
            }
        })
}

// ---- the oracle ----

/// What the oracle expects of one conflict, and what it checks of the actual one.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Expected {
    Unscheduled,
    Blackout {
        overlaps: Vec<Interval>,
        distance: usize,
    },
    Outside {
        uncovered: Vec<Interval>,
        windows: BTreeSet<String>,
        nearest: Option<usize>,
    },
    Already {
        overlap: Interval,
    },
    Related {
        related: BTreeSet<(CiId, String, RelatedAs)>,
        overlap: Interval,
    },
}

/// A conflict's identity: (the change's CI, kind, window name or other change number).
type Key = (Option<CiId>, &'static str, String);

fn key(c: &Conflict) -> Key {
    match c {
        Conflict::Blackout { ci, window, .. } => (Some(*ci), "blackout", window.clone()),
        Conflict::OutsideMaintenanceWindow { ci, .. } => (Some(*ci), "outside", String::new()),
        Conflict::CiAlreadyScheduled { ci, number, .. } => {
            (Some(*ci), "already", number.to_string())
        }
        Conflict::RelatedCiScheduled { ci, number, .. } => {
            (Some(*ci), "related", number.to_string())
        }
        _ => (None, c.kind(), String::new()),
    }
}

fn oracle(case: &Case) -> BTreeMap<Key, Expected> {
    let mut out = BTreeMap::new();
    let change = &case.change;
    let (Some(lo), Some(hi)) = (change.planned_start, change.planned_end) else {
        out.insert((None, "unscheduled", String::new()), Expected::Unscheduled);
        return out;
    };
    let estate = &case.estate;
    let deps = estate.deps();
    let dependents = reversed(&deps);
    let pos = |id: &CiId| {
        (0..estate.n())
            .find(|&i| id_of(i) == *id)
            .expect("a CI of the estate")
    };
    let windows: Vec<(bool, &ScheduleWindow)> = case
        .schedule
        .blackouts
        .iter()
        .map(|w| (true, w))
        .chain(case.schedule.maintenance_windows.iter().map(|w| (false, w)))
        .collect();
    let mut cis: Vec<usize> = Vec::new();
    for id in &change.configuration_items {
        let c = pos(id);
        if !cis.contains(&c) {
            cis.push(c);
        }
    }
    for &c in &cis {
        let down = distances(&deps, c);
        let up = distances(&dependents, c);
        let class_index = |name: &str| {
            CLASSES
                .iter()
                .position(|(n, _, _)| *n == name)
                .expect("a class")
        };
        // Blackouts.
        for &(blackout, w) in &windows {
            if !blackout {
                continue;
            }
            let distance = match &w.applies_to {
                WindowTarget::Ci(x) => down[pos(x)],
                WindowTarget::Class(k) => (0..estate.n())
                    .filter(|&m| estate.is_a(m, class_index(k)))
                    .map(|m| down[m])
                    .min()
                    .unwrap_or(usize::MAX),
                WindowTarget::Service(s) => up[pos(s)],
                other => panic!("{other:?}"),
            };
            let overlaps = clip(&occurrences(&w.when, lo, hi), lo, hi);
            if distance != usize::MAX && !overlaps.is_empty() {
                out.insert(
                    (Some(id_of(c)), "blackout", w.name.clone()),
                    Expected::Blackout { overlaps, distance },
                );
            }
        }
        // Maintenance windows.
        let mut applies = false;
        let mut open = Vec::new();
        let mut names = BTreeSet::new();
        let mut nearest: Option<usize> = None;
        for &(blackout, w) in &windows {
            if blackout {
                continue;
            }
            let windows_open = clip(&occurrences(&w.when, lo, hi), lo, hi);
            match &w.applies_to {
                WindowTarget::Ci(x) if pos(x) == c => {
                    names.insert(w.name.clone());
                }
                WindowTarget::Class(k) if estate.is_a(c, class_index(k)) => {
                    names.insert(w.name.clone());
                }
                WindowTarget::Service(s) if up[pos(s)] != usize::MAX => {
                    let d = up[pos(s)];
                    nearest = Some(nearest.map_or(d, |n| n.min(d)));
                    if !windows_open.is_empty() {
                        names.insert(w.name.clone());
                    }
                }
                _ => continue,
            }
            applies = true;
            open.extend(windows_open);
        }
        if applies {
            let uncovered = gaps(&open, lo, hi);
            if !uncovered.is_empty() {
                out.insert(
                    (Some(id_of(c)), "outside", String::new()),
                    Expected::Outside {
                        uncovered,
                        windows: names,
                        nearest,
                    },
                );
            }
        }
        // Other changes.
        for other in &case.others {
            let (Some(s), Some(e)) = (other.planned_start, other.planned_end) else {
                continue;
            };
            if other.id == change.id || other.state.category().is_final() || e <= s {
                continue;
            }
            let (a, b) = (s.max(lo), e.min(hi));
            if a >= b {
                continue;
            }
            let overlap = Interval { start: a, end: b };
            let listed: BTreeSet<usize> = other.configuration_items.iter().map(&pos).collect();
            if listed.contains(&c) {
                out.insert(
                    (Some(id_of(c)), "already", other.number.to_string()),
                    Expected::Already { overlap },
                );
                continue;
            }
            let mut related = BTreeSet::new();
            for &x in &listed {
                for &(b, t) in &deps[c] {
                    if b == x {
                        related.insert((id_of(x), TYPES[t].0.to_owned(), RelatedAs::Dependency));
                    }
                }
                for &(b, t) in &deps[x] {
                    if b == c {
                        related.insert((id_of(x), TYPES[t].0.to_owned(), RelatedAs::Dependent));
                    }
                }
            }
            if !related.is_empty() {
                out.insert(
                    (Some(id_of(c)), "related", other.number.to_string()),
                    Expected::Related { related, overlap },
                );
            }
        }
    }
    out
}

/// Every way `actual` differs from the oracle's expectations.
fn compare(case: &Case, actual: &[Conflict]) -> Vec<String> {
    let expected = oracle(case);
    let estate = &case.estate;
    let deps = estate.deps();
    let pos = |id: &CiId| {
        (0..estate.n())
            .find(|&i| id_of(i) == *id)
            .expect("a CI of the estate")
    };
    let depends = |a: usize, b: usize| deps[a].iter().any(|&(x, _)| x == b);
    let mut problems = Vec::new();
    let actual_keys: BTreeSet<Key> = actual.iter().map(key).collect();
    let expected_keys: BTreeSet<Key> = expected.keys().cloned().collect();
    if actual_keys.len() != actual.len() {
        problems.push("a conflict is listed twice".to_owned());
    }
    if actual_keys != expected_keys {
        problems.push(format!(
            "conflicts differ: missing {:?}, unexpected {:?}",
            expected_keys.difference(&actual_keys).collect::<Vec<_>>(),
            actual_keys.difference(&expected_keys).collect::<Vec<_>>()
        ));
        return problems;
    }
    // Grouped by the change's CIs, in their order.
    let order: Vec<CiId> = case.change.configuration_items.clone();
    let ranks: Vec<usize> = actual
        .iter()
        .filter_map(Conflict::ci)
        .map(|ci| {
            order
                .iter()
                .position(|o| *o == ci)
                .expect("a CI of the change")
        })
        .collect();
    if ranks.windows(2).any(|w| w[0] > w[1]) {
        problems.push(format!(
            "conflicts are not in the order of the change's CIs: {ranks:?}"
        ));
    }
    for conflict in actual {
        let k = key(conflict);
        match (conflict, &expected[&k]) {
            (Conflict::Unscheduled { .. }, Expected::Unscheduled) => {}
            (
                Conflict::Blackout {
                    ci,
                    attached_to,
                    window_ci,
                    path,
                    overlaps,
                    ..
                },
                Expected::Blackout {
                    overlaps: o,
                    distance,
                },
            ) => {
                if overlaps != o {
                    problems.push(format!("{k:?}: overlaps {overlaps:?}, expected {o:?}"));
                }
                let steps: Vec<usize> = path.iter().map(&pos).collect();
                let carrier_ok = match attached_to {
                    WindowTarget::Ci(x) => x == window_ci,
                    WindowTarget::Class(name) => estate.is_a(
                        pos(window_ci),
                        CLASSES
                            .iter()
                            .position(|(n, _, _)| n == name)
                            .expect("a class"),
                    ),
                    WindowTarget::Service(s) => s == window_ci,
                    _ => false,
                };
                let up = matches!(attached_to, WindowTarget::Service(_));
                let linked = steps.windows(2).all(|w| {
                    if up {
                        depends(w[1], w[0])
                    } else {
                        depends(w[0], w[1])
                    }
                });
                if path.first() != Some(ci)
                    || path.last() != Some(window_ci)
                    || path.len() != distance + 1
                    || !linked
                    || !carrier_ok
                {
                    problems.push(format!(
                        "{k:?}: path {steps:?} to {window_ci} is not a shortest one ({distance} steps) to a CI carrying the window"
                    ));
                }
            }
            (
                Conflict::OutsideMaintenanceWindow {
                    ci,
                    uncovered,
                    windows,
                    nearest_service,
                },
                Expected::Outside {
                    uncovered: u,
                    windows: w,
                    nearest,
                },
            ) => {
                if uncovered != u {
                    problems.push(format!("{k:?}: uncovered {uncovered:?}, expected {u:?}"));
                }
                let names: BTreeSet<String> = windows.iter().map(|a| a.window.clone()).collect();
                if &names != w {
                    problems.push(format!("{k:?}: windows {names:?}, expected {w:?}"));
                }
                let up = distances(&reversed(&deps), pos(ci));
                let got = nearest_service.map(|s| up[pos(&s)]);
                if got != *nearest {
                    problems.push(format!(
                        "{k:?}: nearest service at {got:?}, expected {nearest:?}"
                    ));
                }
            }
            (Conflict::CiAlreadyScheduled { overlap, .. }, Expected::Already { overlap: o }) => {
                if overlap != o {
                    problems.push(format!("{k:?}: overlap {overlap:?}, expected {o:?}"));
                }
            }
            (
                Conflict::RelatedCiScheduled {
                    related, overlap, ..
                },
                Expected::Related {
                    related: r,
                    overlap: o,
                },
            ) => {
                let got: BTreeSet<(CiId, String, RelatedAs)> = related
                    .iter()
                    .map(|x| (x.ci, x.relationship_type.clone(), x.related_as))
                    .collect();
                if &got != r || got.len() != related.len() || overlap != o {
                    problems.push(format!(
                        "{k:?}: related {got:?} {overlap:?}, expected {r:?} {o:?}"
                    ));
                }
            }
            (a, e) => problems.push(format!("{k:?}: {a:?} against {e:?}")),
        }
    }
    problems
}

fn run_case(case: &Case) -> Result<Vec<Conflict>, String> {
    run_with_budget(case, None)
}

/// A check with the default walk budget, or `budget` (0: every service's
/// window is asked through the closures, never walked to).
fn run_with_budget(case: &Case, budget: Option<usize>) -> Result<Vec<Conflict>, String> {
    let data = case.estate.data();
    let index = GraphIndex::build(&data).map_err(|e| e.to_string())?;
    let compiled =
        CompiledSchedule::new(&case.schedule, &data, &index).map_err(|e| e.to_string())?;
    let scheduled = ScheduledChanges::new(&case.others);
    let mut checker = compiled.checker();
    if let Some(b) = budget {
        checker.set_walk_budget(b);
    }
    let report = checker
        .check(&case.change, &scheduled)
        .map_err(|e| e.to_string())?;
    Ok(report.conflicts)
}

/// The identities of a check's conflicts.
fn keys(case: &Case) -> Result<BTreeSet<Key>, String> {
    Ok(run_case(case)?.iter().map(key).collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn conflicts_match_the_brute_force_oracle(case in case_strategy()) {
        for budget in [None, Some(0), Some(2)] {
            let actual = run_with_budget(&case, budget).map_err(TestCaseError::fail)?;
            let problems = compare(&case, &actual);
            prop_assert!(
                problems.is_empty(),
                "walk budget {budget:?}: {}\nactual: {actual:#?}",
                problems.join("\n")
            );
        }
    }

    #[test]
    fn windows_across_dst_changes_match_the_oracle(case in dst_case_strategy()) {
        let actual = run_case(&case).map_err(TestCaseError::fail)?;
        let problems = compare(&case, &actual);
        prop_assert!(problems.is_empty(), "{}\nactual: {actual:#?}", problems.join("\n"));
    }

    /// Shrinking the planned window never adds a conflict (of any kind:
    /// fewer openings overlap, and less has to be covered).
    #[test]
    fn shrinking_the_planned_window_adds_no_conflict(
        case in case_strategy(),
        cut in (0.0f64..1.0, 0.0f64..1.0),
    ) {
        let (Some(lo), Some(hi)) = (case.change.planned_start, case.change.planned_end) else {
            return Ok(());
        };
        let minutes = (hi - lo).num_minutes();
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let (a, b) = ((cut.0 * minutes as f64) as i64, (cut.1 * minutes as f64) as i64);
        let (a, b) = (a.min(b), a.max(b).max(a.min(b) + 1).min(minutes));
        prop_assume!(a < b);
        let mut smaller = case.clone();
        smaller.change.planned_start = Some(lo + Duration::minutes(a));
        smaller.change.planned_end = Some(lo + Duration::minutes(b));
        let before = keys(&case).map_err(TestCaseError::fail)?;
        let after = keys(&smaller).map_err(TestCaseError::fail)?;
        prop_assert!(after.is_subset(&before), "added: {:?}", after.difference(&before).collect::<Vec<_>>());
    }

    /// Adding a blackout never removes a conflict.
    #[test]
    fn adding_a_blackout_removes_no_conflict(
        case in case_strategy(),
        extra in (any::<u8>(), any::<usize>(), time_draw()),
    ) {
        let mut more = case.clone();
        let added = schedule_of(case.autumn, &case.estate, &[(true, extra.0, extra.1, extra.2)]);
        for mut w in added.blackouts {
            w.name = "added".to_owned();
            more.schedule.blackouts.push(w);
        }
        let before = keys(&case).map_err(TestCaseError::fail)?;
        let after = keys(&more).map_err(TestCaseError::fail)?;
        prop_assert!(before.is_subset(&after), "removed: {:?}", before.difference(&after).collect::<Vec<_>>());
    }

    /// Every schedule and every report reads back from its JSON as itself.
    #[test]
    fn schedules_and_reports_round_trip(case in case_strategy()) {
        let json = serde_json::to_string(&case.schedule).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back = ChangeSchedule::from_json(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&back, &case.schedule);
        let data = case.estate.data();
        let index = GraphIndex::build(&data).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let compiled = CompiledSchedule::new(&case.schedule, &data, &index)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let report = compiled.check(&case.change, &case.others).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let json = serde_json::to_string(&report).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let back: itsm_cmdb::ConflictReport = serde_json::from_str(&json).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(back, report);
    }
}

/// The oracle's own resolution agrees with the DST rules on fixed cases,
/// so that a disagreement above points at the library.
#[test]
fn the_oracle_resolves_gaps_and_folds_as_documented() {
    let paris: Tz = "Europe/Paris".parse().expect("a zone");
    let london: Tz = "Europe/London".parse().expect("a zone");
    let local = |d: &str, t: &str| {
        NaiveDateTime::parse_from_str(&format!("{d} {t}"), "%Y-%m-%d %H:%M").expect("a local time")
    };
    let utc = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .expect("an instant")
            .with_timezone(&Utc)
    };
    assert_eq!(
        oracle_resolve(paris, local("2026-03-29", "02:30")),
        Some(utc("2026-03-29T01:30:00Z"))
    );
    assert_eq!(
        oracle_resolve(london, local("2026-10-25", "01:30")),
        Some(utc("2026-10-25T00:30:00Z"))
    );
    assert_eq!(
        oracle_resolve(
            "Australia/Lord_Howe".parse().expect("a zone"),
            local("2026-10-04", "02:15")
        ),
        Some(utc("2026-10-03T15:45:00Z"))
    );
}

/// The cases the generator draws reach every kind of conflict, the hub and
/// DST days, so that the oracle test above cannot pass by checking nothing.
#[test]
fn the_generated_cases_reach_every_kind_of_conflict() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case_strategy();
    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let (mut hubs, mut paths_through_others) = (0, 0);
    for _ in 0..400 {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        if case.estate.n() > HUB_LEAVES {
            hubs += 1;
        }
        for conflict in run_case(&case).expect("a check") {
            *kinds.entry(conflict.kind()).or_default() += 1;
            if let Conflict::Blackout { path, .. } = &conflict
                && path.len() > 1
            {
                paths_through_others += 1;
            }
        }
    }
    for kind in [
        "unscheduled",
        "blackout",
        "outside_maintenance_window",
        "ci_already_scheduled",
        "related_ci_scheduled",
    ] {
        assert!(
            kinds.get(kind).copied().unwrap_or(0) >= 5,
            "{kind}: {kinds:?}"
        );
    }
    assert!(hubs >= 20, "{hubs} hubs");
    assert!(
        paths_through_others >= 5,
        "{paths_through_others} inherited blackouts"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// No planned window, however far in the past or the future, and no
    /// zone makes a check panic: it answers, or refuses a malformed change.
    #[test]
    fn no_instant_makes_a_check_panic(
        start in prop_oneof![
            DateTime::<Utc>::MIN_UTC.timestamp()..DateTime::<Utc>::MAX_UTC.timestamp(),
            DateTime::<Utc>::MAX_UTC.timestamp() - 40 * 86_400..DateTime::<Utc>::MAX_UTC.timestamp(),
            DateTime::<Utc>::MIN_UTC.timestamp()..DateTime::<Utc>::MIN_UTC.timestamp() + 40 * 86_400,
            any::<i64>(),
        ],
        length in prop_oneof![1i64..100_000, 1i64..30 * 86_400, any::<i64>()],
        zone in prop::sample::select(vec!["UTC", "Pacific/Kiritimati", "Pacific/Apia", "America/Adak", "Europe/London"]),
        once_at in any::<i64>(),
    ) {
        let clamp = |s: i64| {
            DateTime::from_timestamp(s.clamp(DateTime::<Utc>::MIN_UTC.timestamp(), DateTime::<Utc>::MAX_UTC.timestamp()), 0)
                .expect("in range")
        };
        let (lo, hi) = (clamp(start), clamp(start.saturating_add(length)));
        let estate = Estate { classes: vec![1, 2], relationships: vec![(0, 0, 1)] };
        let data = estate.data();
        let index = GraphIndex::build(&data).expect("an index");
        let every_day = WeeklyWindow {
            time_zone: zone.to_owned(),
            days: DAYS.to_vec(),
            start: "23:30".to_owned(),
            end: "00:30".to_owned(),
            from: None,
            until: None,
        };
        let (a, b) = (clamp(once_at), clamp(once_at.saturating_add(3600)));
        let mut schedule = ChangeSchedule::default();
        let windows = [
            (WindowTarget::Ci(id_of(1)), WindowTime::Weekly(every_day.clone())),
            (WindowTarget::Service(id_of(0)), WindowTime::Monthly(MonthlyWindow {
                time_zone: zone.to_owned(),
                week: WeekOfMonth::Last,
                day: DayOfWeek::Sunday,
                start: "00:00".to_owned(),
                end: "00:00".to_owned(),
                from: None,
                until: None,
            })),
        ];
        for (i, (target, when)) in windows.into_iter().enumerate() {
            let w = |kind: &str| ScheduleWindow {
                name: format!("{kind}{i}"),
                description: None,
                applies_to: target.clone(),
                when: when.clone(),
            };
            schedule.blackouts.push(w("b"));
            schedule.maintenance_windows.push(w("m"));
        }
        if a < b {
            schedule.blackouts.push(ScheduleWindow {
                name: "once".to_owned(),
                description: None,
                applies_to: WindowTarget::Class("ci".to_owned()),
                when: WindowTime::Once(OnceWindow { start: a, end: b }),
            });
        }
        let compiled = CompiledSchedule::new(&schedule, &data, &index)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut change = change_of(false, 1, &[0, 1], None, ChangeState::Authorize);
        change.planned_start = Some(lo);
        change.planned_end = Some(hi);
        let other = change_of(false, 2, &[1], None, ChangeState::Scheduled);
        let mut other = other;
        other.planned_start = Some(lo);
        other.planned_end = Some(hi);
        let result = compiled.check(&change, &[other]);
        // Refused only for a malformed window.
        prop_assert!(result.is_ok() || hi <= lo || hi - lo > Duration::days(366), "{result:?}");
    }
}
