//! Differential test of business-time arithmetic against a naive oracle
//! written here: it resolves every local interval of every local day on its
//! own (a gap is found by stepping minute by minute), then decides "working
//! or not" segment by segment between all boundaries. Slow, but obviously
//! right. Random calendars, random instants biased towards DST transitions
//! (inside and outside the compiled window), random durations; plus the laws.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, ExtraWorkingDate, Holiday,
    WorkingInterval,
};
use proptest::prelude::*;

const ZONES: &[&str] = &[
    "Europe/London",
    "America/New_York",
    "Australia/Lord_Howe",
    "Pacific/Apia",
    "Europe/Dublin",
    "Asia/Kolkata",
    "UTC",
];

fn hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// One weekday: up to two intervals inside the window 01:00 to 01:00 next
/// day (so days never overlap; boundaries are biased towards 01:00-03:00,
/// where the gaps and folds of most zones are), as minutes after midnight, end possibly past 24:00.
#[derive(Clone, Debug)]
struct DaySpec(Vec<(u32, u32)>);

fn day_spec() -> impl Strategy<Value = DaySpec> {
    (
        0u8..4,
        proptest::collection::vec(prop_oneof![60u32..200, 60u32..1500, 1440u32..1500], 4),
    )
        .prop_map(|(count, mut cuts)| {
            cuts.sort_unstable();
            cuts.dedup();
            let mut spans = Vec::new();
            let mut i = 0;
            while spans.len() < usize::from(count.min(2)) && i + 1 < cuts.len() {
                let (s, e) = (cuts[i], cuts[i + 1]);
                if s < 1440 {
                    spans.push((s, e));
                }
                i += 2;
            }
            DaySpec(spans)
        })
}

fn interval((s, e): (u32, u32)) -> WorkingInterval {
    let end = if e == 1440 {
        "24:00".to_owned()
    } else {
        hhmm(e % 1440)
    };
    WorkingInterval::new(&hhmm(s), &end)
}

/// UTC intervals `[start, end)` in seconds.
type Spans = Vec<(i64, i64)>;

/// The oracle's view of a calendar: local spans per date.
struct Oracle {
    tz: Tz,
    week: Vec<Vec<(u32, u32)>>,
    holidays: Vec<(NaiveDate, Vec<(u32, u32)>)>,
    extras: Vec<(NaiveDate, Vec<(u32, u32)>)>,
}

impl Oracle {
    /// Local wall time to instant: gaps move forward by their length, folds take the earlier instant.
    fn resolve(&self, local: NaiveDateTime) -> i64 {
        match self.tz.from_local_datetime(&local) {
            LocalResult::Single(t) => t.timestamp(),
            LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
            LocalResult::None => {
                // Step to the first existing minute: that is the transition.
                let mut next = local;
                let transition = loop {
                    next += Duration::minutes(1);
                    if let Some(t) = self.tz.from_local_datetime(&next).earliest() {
                        break t.timestamp();
                    }
                };
                let before = DateTime::from_timestamp(transition - 1, 0).unwrap();
                let offset = self
                    .tz
                    .offset_from_utc_datetime(&before.naive_utc())
                    .fix()
                    .local_minus_utc();
                local.and_utc().timestamp() - i64::from(offset)
            }
        }
    }

    fn spans_to_utc(&self, date: NaiveDate, spans: &[(u32, u32)]) -> Vec<(i64, i64)> {
        let midnight = date.and_hms_opt(0, 0, 0).unwrap();
        spans
            .iter()
            .map(|&(s, e)| {
                (
                    self.resolve(midnight + Duration::minutes(i64::from(s))),
                    self.resolve(midnight + Duration::minutes(i64::from(e))),
                )
            })
            .collect()
    }

    /// Every own interval and every closed interval of the dates around `[lo, hi)`.
    fn intervals(&self, lo: i64, hi: i64) -> (Spans, Spans) {
        let first = DateTime::from_timestamp(lo, 0).unwrap().date_naive() - Duration::days(3);
        let last = DateTime::from_timestamp(hi, 0).unwrap().date_naive() + Duration::days(3);
        let (mut own, mut closed) = (Vec::new(), Vec::new());
        let mut date = first;
        while date <= last {
            let spans = match self.extras.iter().find(|(d, _)| *d == date) {
                Some((_, spans)) => spans.clone(),
                None => self.week[chrono::Datelike::weekday(&date).num_days_from_monday() as usize]
                    .clone(),
            };
            own.extend(self.spans_to_utc(date, &spans));
            for (_, spans) in self.holidays.iter().filter(|(d, _)| *d == date) {
                closed.extend(self.spans_to_utc(date, spans));
            }
            date += Duration::days(1);
        }
        (own, closed)
    }

    /// Working segments (constant status between consecutive boundaries) over `[lo, hi)`.
    fn segments(&self, lo: i64, hi: i64) -> Vec<(i64, i64)> {
        let (own, closed) = self.intervals(lo, hi);
        let mut cuts: Vec<i64> = own
            .iter()
            .chain(&closed)
            .flat_map(|&(s, e)| [s, e])
            .collect();
        cuts.push(lo);
        cuts.push(hi);
        cuts.retain(|&c| c >= lo && c <= hi);
        cuts.sort_unstable();
        cuts.dedup();
        let inside = |x: i64, list: &[(i64, i64)]| list.iter().any(|&(s, e)| s <= x && x < e);
        cuts.windows(2)
            .filter(|w| inside(w[0], &own) && !inside(w[0], &closed))
            .map(|w| (w[0], w[1]))
            .collect()
    }

    /// Business nanoseconds in `[a, b)` (instants in nanoseconds).
    fn between(&self, a: i128, b: i128) -> i128 {
        if b <= a {
            return 0;
        }
        let lo = i64::try_from(a.div_euclid(1_000_000_000)).unwrap();
        let hi = i64::try_from(b.div_euclid(1_000_000_000)).unwrap() + 1;
        self.segments(lo, hi)
            .iter()
            .map(|&(s, e)| {
                let s = (i128::from(s) * 1_000_000_000).max(a);
                let e = (i128::from(e) * 1_000_000_000).min(b);
                (e - s).max(0)
            })
            .sum()
    }

    /// The earliest `u >= a` with `d` business nanoseconds in `[a, u)`, searching `horizon_days`.
    fn add(&self, a: i128, d: i128, horizon_days: i64) -> Option<i128> {
        if d == 0 {
            return Some(a);
        }
        let lo = i64::try_from(a.div_euclid(1_000_000_000)).unwrap();
        let mut rem = d;
        for (s, e) in self.segments(lo, lo + horizon_days * 86_400) {
            let s = (i128::from(s) * 1_000_000_000).max(a);
            let e = i128::from(e) * 1_000_000_000;
            if e <= s {
                continue;
            }
            if e - s >= rem {
                return Some(s + rem);
            }
            rem -= e - s;
        }
        None
    }
}

fn ns(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos())
}

/// Offset changes of `tz` in a few years inside and outside the compiled window.
fn transitions(tz: Tz) -> Vec<i64> {
    let mut out = Vec::new();
    for year in [2011, 2012, 2026, 2027, 2040] {
        let mut t = Utc
            .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let end = Utc
            .with_ymd_and_hms(year + 1, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp();
        let offset = |t: i64| {
            tz.offset_from_utc_datetime(&DateTime::from_timestamp(t, 0).unwrap().naive_utc())
                .fix()
        };
        let mut previous = offset(t);
        while t < end {
            t += 1800;
            let now = offset(t);
            if now != previous {
                out.push(t);
                previous = now;
            }
        }
    }
    out
}

#[derive(Clone, Debug)]
struct Case {
    zone: usize,
    week: Vec<DaySpec>,
    /// Holidays: days after the anchor date, and an optional closed span (minutes).
    holidays: Vec<(i64, Option<(u32, u32)>)>,
    extras: Vec<(i64, (u32, u32))>,
    /// Pick a transition (index) or a uniform instant.
    anchor: (bool, usize, i64),
    offset_secs: i64,
    nanos: u32,
    durations: Vec<u64>,
    span_secs: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        0..ZONES.len(),
        proptest::collection::vec(day_spec(), 7),
        proptest::collection::vec(
            (-5i64..20, proptest::option::of((0u32..1440, 1u32..600))),
            0..4,
        ),
        proptest::collection::vec(
            (-5i64..20, (prop_oneof![60u32..200, 60u32..1200], 1u32..300)),
            0..3,
        ),
        (any::<bool>(), any::<usize>(), 0i64..(30 * 365 * 86_400)),
        -3 * 86_400i64..3 * 86_400,
        prop_oneof![Just(0u32), 0u32..1_000_000_000],
        proptest::collection::vec(prop_oneof![0u64..7200, 0u64..200 * 3600, Just(0u64)], 3),
        0i64..20 * 86_400,
    )
        .prop_map(
            |(zone, week, holidays, extras, anchor, offset_secs, nanos, durations, span_secs)| {
                Case {
                    zone,
                    week,
                    holidays,
                    extras,
                    anchor,
                    offset_secs,
                    nanos,
                    durations,
                    span_secs,
                }
            },
        )
}

fn build(case: &Case) -> Option<(BusinessCalendar, Oracle, DateTime<Utc>)> {
    let zone = ZONES[case.zone];
    let tz: Tz = zone.parse().unwrap();
    let anchor = if case.anchor.0 {
        let list = transitions(tz);
        if list.is_empty() {
            Utc.with_ymd_and_hms(2026, 3, 29, 1, 0, 0)
                .unwrap()
                .timestamp()
        } else {
            list[case.anchor.1 % list.len()]
        }
    } else {
        Utc.with_ymd_and_hms(2008, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp()
            + case.anchor.2
    };
    let start = DateTime::from_timestamp(anchor + case.offset_secs, case.nanos)?;
    let anchor_date = start.date_naive();
    let mut calendar = BusinessCalendar::always("random");
    calendar.time_zone = zone.to_owned();
    let mut day = chrono::Weekday::Mon;
    for spec in &case.week {
        *calendar.week.day_mut(day) = spec.0.iter().map(|&s| interval(s)).collect();
        day = day.succ();
    }
    let mut holidays = Vec::new();
    for &(offset, closed) in &case.holidays {
        let date = anchor_date + Duration::days(offset);
        if holidays.iter().any(|(d, _)| *d == date) {
            continue;
        }
        let spans = match closed {
            Some((s, len)) => vec![(s, s + len)],
            None => vec![(0, 1440)],
        };
        calendar.holidays.push(Holiday {
            date,
            name: format!("holiday {offset}"),
            closed: closed
                .map(|(s, len)| vec![interval((s, s + len))])
                .unwrap_or_default(),
        });
        holidays.push((date, spans));
    }
    let mut extras = Vec::new();
    for &(offset, (s, len)) in &case.extras {
        let date = anchor_date + Duration::days(offset);
        if extras.iter().any(|(d, _)| *d == date) || holidays.iter().any(|(d, _)| *d == date) {
            continue;
        }
        calendar.extra_working_dates.push(ExtraWorkingDate {
            date,
            name: String::new(),
            intervals: vec![interval((s, s + len))],
        });
        extras.push((date, vec![(s, s + len)]));
    }
    let week = case.week.iter().map(|d| d.0.clone()).collect();
    Some((
        calendar,
        Oracle {
            tz,
            week,
            holidays,
            extras,
        },
        start,
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn agrees_with_the_oracle_and_obeys_the_laws(case in case()) {
        let Some((calendar, oracle, a)) = build(&case) else { return Ok(()) };
        let compiled = match CompiledCalendar::new(&calendar) {
            Ok(c) => c,
            // Only "no working time at all" may be rejected: the generator makes no other mistake.
            Err(e) => {
                prop_assert!(e.to_string().contains("no working time"), "unexpected rejection: {e}");
                return Ok(());
            }
        };
        // between, against the oracle, and what b < a gives.
        let b = a + Duration::seconds(case.span_secs) + Duration::nanoseconds(i64::from(case.nanos % 7_777));
        let got = compiled.between(a, b).unwrap();
        let want = oracle.between(ns(a), ns(b)) / 1_000_000_000;
        prop_assert_eq!(i128::from(got.as_secs()), want, "between({}, {})", a, b);
        prop_assert_eq!(compiled.between(b, a).unwrap(), BusinessDuration::ZERO);

        let mut previous: Option<(u64, DateTime<Utc>)> = None;
        let mut durations = case.durations.clone();
        durations.sort_unstable();
        for secs in durations {
            let d = BusinessDuration::from_secs(secs);
            match (compiled.add(a, d), oracle.add(ns(a), i128::from(secs) * 1_000_000_000, 120)) {
                (Ok(u), Some(want)) => prop_assert_eq!(ns(u), want, "add({}, {}s)", a, secs),
                (Ok(u), None) => prop_assert!(u > a + Duration::days(100), "oracle found nothing but add gave {}", u),
                (Err(e), Some(want)) => prop_assert!(false, "add({a}, {secs}s) failed with {e}; oracle: {want}"),
                (Err(_), None) => continue,
            }
            let u = compiled.add(a, d).unwrap();
            // Law: between(a, add(a, d)) == d.
            prop_assert_eq!(compiled.between(a, u).unwrap(), d);
            prop_assert!(u >= a);
            // Law: add is monotone in d.
            if let Some((ps, pu)) = previous {
                prop_assert!(ps <= secs && pu <= u, "add not monotone in d: {ps}s -> {pu}, {secs}s -> {u}");
            }
            previous = Some((secs, u));
            // Law: add is monotone in t.
            let later = a + Duration::seconds(case.span_secs % 7_200);
            let v = compiled.add(later, d).unwrap();
            prop_assert!(v >= u, "add not monotone in t: add({a})={u}, add({later})={v}");
        }
        // is_working and next_opening agree with the oracle's segments.
        let lo = a.timestamp();
        let segments = oracle.segments(lo, lo + 60 * 86_400);
        let working = segments.iter().any(|&(s, e)| s <= lo && lo < e);
        prop_assert_eq!(compiled.is_working(DateTime::from_timestamp(lo, 0).unwrap()), working);
        if let Some(&(s, _)) = segments.first() {
            let want = if s <= lo { DateTime::from_timestamp(lo, 0).unwrap() } else { DateTime::from_timestamp(s, 0).unwrap() };
            prop_assert_eq!(compiled.next_opening(DateTime::from_timestamp(lo, 0).unwrap()).unwrap(), want);
        }
    }
}
