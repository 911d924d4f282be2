//! [`BusinessCalendar`], the wire form of a business calendar, and its validation.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, Weekday};
use itsm_core::{Validate, Violation};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::SlaError;
use crate::local;

/// Seconds in a nominal day of wall-clock time (a local time of day, never a
/// step between days).
pub(crate) const DAY: u32 = 86_400;

/// A business calendar as integrators write it: a name, an IANA time zone, a
/// weekly schedule in local wall time, holidays and extra working dates.
///
/// ```
/// use itsm_sla::BusinessCalendar;
/// let json = r#"{"name": "uk-office", "time_zone": "Europe/London",
///   "week": {"monday": [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "17:30"}]},
///   "holidays": [{"date": "2026-12-25", "name": "Christmas Day"}]}"#;
/// let calendar = BusinessCalendar::from_json(json)?;
/// assert_eq!(calendar.week.monday.len(), 2);
/// assert!(calendar.week.sunday.is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Compile it with [`CompiledCalendar::new`](crate::CompiledCalendar::new),
/// which validates it and reports every problem at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessCalendar {
    /// The calendar's name, such as `uk-office`.
    pub name: String,
    /// An IANA time zone name, such as `Europe/London`; every local time of
    /// the calendar is wall time in this zone.
    pub time_zone: String,
    /// The working intervals of each weekday; a missing day has none.
    #[serde(default)]
    pub week: WeekSchedule,
    /// Local dates on which no work happens (the whole local day, or only
    /// the listed intervals).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holidays: Vec<Holiday>,
    /// Local dates worked with their own intervals instead of the weekday's
    /// (a Saturday worked to make up a bridge day, a stock-taking Sunday).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extra_working_dates: Vec<ExtraWorkingDate>,
}

/// The working intervals of each weekday, in local wall time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WeekSchedule {
    /// Monday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monday: Vec<WorkingInterval>,
    /// Tuesday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tuesday: Vec<WorkingInterval>,
    /// Wednesday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wednesday: Vec<WorkingInterval>,
    /// Thursday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub thursday: Vec<WorkingInterval>,
    /// Friday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub friday: Vec<WorkingInterval>,
    /// Saturday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub saturday: Vec<WorkingInterval>,
    /// Sunday's intervals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sunday: Vec<WorkingInterval>,
}

impl WeekSchedule {
    /// The same intervals on every day of the week.
    #[must_use]
    pub fn every_day(intervals: &[WorkingInterval]) -> Self {
        Self::days(&Weekday::Mon, 7, intervals)
    }

    /// The same intervals Monday to Friday, none at weekends.
    #[must_use]
    pub fn monday_to_friday(intervals: &[WorkingInterval]) -> Self {
        Self::days(&Weekday::Mon, 5, intervals)
    }

    fn days(first: &Weekday, count: u32, intervals: &[WorkingInterval]) -> Self {
        let mut week = Self::default();
        let mut day = *first;
        for _ in 0..count {
            *week.day_mut(day) = intervals.to_vec();
            day = day.succ();
        }
        week
    }

    /// The intervals of `day`.
    #[must_use]
    pub fn day(&self, day: Weekday) -> &[WorkingInterval] {
        match day {
            Weekday::Mon => &self.monday,
            Weekday::Tue => &self.tuesday,
            Weekday::Wed => &self.wednesday,
            Weekday::Thu => &self.thursday,
            Weekday::Fri => &self.friday,
            Weekday::Sat => &self.saturday,
            Weekday::Sun => &self.sunday,
        }
    }

    /// The intervals of `day`, mutably.
    pub fn day_mut(&mut self, day: Weekday) -> &mut Vec<WorkingInterval> {
        match day {
            Weekday::Mon => &mut self.monday,
            Weekday::Tue => &mut self.tuesday,
            Weekday::Wed => &mut self.wednesday,
            Weekday::Thu => &mut self.thursday,
            Weekday::Fri => &mut self.friday,
            Weekday::Sat => &mut self.saturday,
            Weekday::Sun => &mut self.sunday,
        }
    }
}

/// A working interval in local wall time: `"HH:MM"` or `"HH:MM:SS"`.
///
/// `end` may be `"24:00"`. An interval whose end is not after its start is
/// an overnight shift belonging to the day it starts (`22:00`–`06:00`);
/// `start == end` is a 24-hour shift.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkingInterval {
    /// Local start time, `00:00` to `23:59:59`.
    pub start: String,
    /// Local end time, `00:00` to `24:00`.
    pub end: String,
}

impl WorkingInterval {
    /// An interval from `start` to `end` (not validated until compiled).
    #[must_use]
    pub fn new(start: &str, end: &str) -> Self {
        Self {
            start: start.to_owned(),
            end: end.to_owned(),
        }
    }
}

/// A local date on which no work happens.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// The local date.
    pub date: NaiveDate,
    /// Its name, such as `Christmas Day`.
    pub name: String,
    /// Only these local intervals of the date are closed (a half-day
    /// holiday); empty or absent means the whole local day, which is 23 or 25
    /// hours long on DST days.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closed: Vec<WorkingInterval>,
}

impl Holiday {
    /// The whole local `date` closed, named `name` (`Christmas Day`).
    #[must_use]
    pub fn new(date: NaiveDate, name: impl Into<String>) -> Self {
        Self {
            date,
            name: name.into(),
            closed: Vec::new(),
        }
    }

    /// Only `closed` of the date's local time closed (a half-day holiday).
    #[must_use]
    pub fn partly(mut self, closed: Vec<WorkingInterval>) -> Self {
        self.closed = closed;
        self
    }
}

/// A local date worked with its own intervals, which replace its weekday's.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtraWorkingDate {
    /// The local date.
    pub date: NaiveDate,
    /// Why it is worked (may be empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The working intervals of that date (at least one).
    pub intervals: Vec<WorkingInterval>,
}

impl BusinessCalendar {
    /// A calendar that works round the clock every day, in UTC.
    #[must_use]
    pub fn always(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            time_zone: "UTC".to_owned(),
            week: WeekSchedule::every_day(&[WorkingInterval::new("00:00", "24:00")]),
            holidays: Vec::new(),
            extra_working_dates: Vec::new(),
        }
    }

    /// Parses the wire form, naming the JSON path of the first offending value.
    ///
    /// # Errors
    /// [`SlaError::Json`] when the text is not a calendar. The content is not
    /// validated here: [`CompiledCalendar::new`](crate::CompiledCalendar::new) does it.
    pub fn from_json(text: &str) -> Result<Self, SlaError> {
        itsm_core::from_json(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => SlaError::Json { path, message },
            other => SlaError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })
    }
}

impl Validate for BusinessCalendar {
    fn validate(&self) -> Vec<Violation> {
        match parse(self) {
            Ok(_) => Vec::new(),
            Err(problems) => problems,
        }
    }
}

/// A local interval in seconds after the local midnight of its date; `end`
/// is after `start` and at most two days after that midnight.
pub(crate) type LocalSpan = (u32, u32);

/// A validated calendar in local seconds, ready to compile.
pub(crate) struct Parsed {
    pub tz: chrono_tz::Tz,
    /// Indexed by `Weekday::num_days_from_monday`.
    pub week: [Vec<LocalSpan>; 7],
    /// Closed local spans of each holiday (the whole day is `(0, DAY)`).
    pub holidays: BTreeMap<NaiveDate, Vec<LocalSpan>>,
    pub extras: BTreeMap<NaiveDate, Vec<LocalSpan>>,
}

/// Parses `HH:MM` or `HH:MM:SS` into seconds after midnight; `24:00` only when `allow_24`.
pub(crate) fn parse_time(text: &str, allow_24: bool) -> Option<u32> {
    let bytes = text.as_bytes();
    let two = |i: usize| -> Option<u32> {
        let (a, b) = (*bytes.get(i)?, *bytes.get(i + 1)?);
        (a.is_ascii_digit() && b.is_ascii_digit())
            .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
    };
    let (h, m, s) = match bytes.len() {
        5 if bytes[2] == b':' => (two(0)?, two(3)?, 0),
        8 if bytes[2] == b':' && bytes[5] == b':' => (two(0)?, two(3)?, two(6)?),
        _ => return None,
    };
    if m > 59 || s > 59 {
        return None;
    }
    let secs = h * 3600 + m * 60 + s;
    if secs < DAY || (allow_24 && secs == DAY) {
        Some(secs)
    } else {
        None
    }
}

fn parse_interval(
    path: &str,
    iv: &WorkingInterval,
    problems: &mut Vec<Violation>,
) -> Option<LocalSpan> {
    let start = parse_time(&iv.start, false);
    let end = parse_time(&iv.end, true);
    if start.is_none() {
        problems.push(Violation::new(
            format!("{path}.start"),
            "malformed_time",
            format!(
                "start {:?} is not a local time \"HH:MM\" or \"HH:MM:SS\" from 00:00 to 23:59:59",
                iv.start
            ),
        ));
    }
    if end.is_none() {
        problems.push(Violation::new(
            format!("{path}.end"),
            "malformed_time",
            format!(
                "end {:?} is not a local time \"HH:MM\" or \"HH:MM:SS\" from 00:00 to 24:00",
                iv.end
            ),
        ));
    }
    let (start, end) = (start?, end?);
    // Overnight (or 24-hour) shift: the end is on the next day.
    Some(if end > start {
        (start, end)
    } else {
        (start, end + DAY)
    })
}

/// Reports spans of one list that overlap one another (`names[i]` names span `i`).
fn check_overlaps(
    spans: &[(u64, u64, String)],
    circular: Option<u64>,
    problems: &mut Vec<Violation>,
) {
    let mut sorted: Vec<&(u64, u64, String)> = spans.iter().collect();
    sorted.sort_by_key(|s| (s.0, s.1));
    for pair in sorted.windows(2) {
        if pair[1].0 < pair[0].1 {
            problems.push(Violation::new(
                pair[1].2.clone(),
                "overlapping_intervals",
                format!("{} overlaps {}", pair[1].2, pair[0].2),
            ));
        }
    }
    // The week wraps: Sunday's overnight shift runs into Monday.
    if let (Some(period), Some(last), Some(first)) = (circular, sorted.last(), sorted.first())
        && sorted.len() > 1
        && last.1 > period
        && last.1 - period > first.0
    {
        problems.push(Violation::new(
            first.2.clone(),
            "overlapping_intervals",
            format!("{} overlaps {}", first.2, last.2),
        ));
    }
}

const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// Validates `calendar` and converts it to local seconds, or returns every problem.
pub(crate) fn parse(calendar: &BusinessCalendar) -> Result<Parsed, Vec<Violation>> {
    let mut problems = Vec::new();
    if calendar.name.trim().is_empty() {
        problems.push(Violation::new("name", "required", "name is empty"));
    }
    let tz = local::parse_zone(&calendar.time_zone);
    if tz.is_none() {
        problems.push(Violation::new(
            "time_zone",
            "unknown_time_zone",
            format!(
                "time_zone {:?} is not an IANA time zone name such as \"Europe/London\"",
                calendar.time_zone
            ),
        ));
    }

    let mut week: [Vec<LocalSpan>; 7] = Default::default();
    let mut week_spans = Vec::new();
    let mut day = Weekday::Mon;
    for (index, name) in WEEKDAY_NAMES.iter().enumerate() {
        for (i, iv) in calendar.week.day(day).iter().enumerate() {
            let path = format!("week.{name}[{i}]");
            if let Some(span) = parse_interval(&path, iv, &mut problems) {
                let offset = index as u64 * u64::from(DAY);
                week_spans.push((offset + u64::from(span.0), offset + u64::from(span.1), path));
                week[index].push(span);
            }
        }
        day = day.succ();
    }
    check_overlaps(&week_spans, Some(7 * u64::from(DAY)), &mut problems);

    let (lo, hi) = local::supported_dates();
    let mut holidays: BTreeMap<NaiveDate, Vec<LocalSpan>> = BTreeMap::new();
    for (i, holiday) in calendar.holidays.iter().enumerate() {
        let path = format!("holidays[{i}]");
        if holiday.date < lo || holiday.date >= hi {
            problems.push(Violation::new(
                format!("{path}.date"),
                "date_out_of_range",
                format!(
                    "date {} is outside the supported years 1900 to 2199",
                    holiday.date
                ),
            ));
            continue;
        }
        if holidays.contains_key(&holiday.date) {
            problems.push(Violation::new(
                format!("{path}.date"),
                "duplicate_date",
                format!("date {} is listed twice as a holiday", holiday.date),
            ));
            continue;
        }
        let mut spans = Vec::new();
        let mut named = Vec::new();
        for (j, iv) in holiday.closed.iter().enumerate() {
            let ipath = format!("{path}.closed[{j}]");
            if let Some(span) = parse_interval(&ipath, iv, &mut problems) {
                named.push((u64::from(span.0), u64::from(span.1), ipath));
                spans.push(span);
            }
        }
        check_overlaps(&named, None, &mut problems);
        if holiday.closed.is_empty() {
            spans.push((0, DAY));
        }
        holidays.insert(holiday.date, spans);
    }

    let mut extras: BTreeMap<NaiveDate, Vec<LocalSpan>> = BTreeMap::new();
    for (i, extra) in calendar.extra_working_dates.iter().enumerate() {
        let path = format!("extra_working_dates[{i}]");
        if extra.date < lo || extra.date >= hi {
            problems.push(Violation::new(
                format!("{path}.date"),
                "date_out_of_range",
                format!(
                    "date {} is outside the supported years 1900 to 2199",
                    extra.date
                ),
            ));
            continue;
        }
        if extras.contains_key(&extra.date) {
            problems.push(Violation::new(
                format!("{path}.date"),
                "duplicate_date",
                format!(
                    "date {} is listed twice as an extra working date",
                    extra.date
                ),
            ));
            continue;
        }
        if holidays.contains_key(&extra.date) {
            problems.push(Violation::new(
                format!("{path}.date"),
                "holiday_and_working",
                format!(
                    "date {} is both a holiday and an extra working date",
                    extra.date
                ),
            ));
        }
        if extra.intervals.is_empty() {
            problems.push(Violation::new(
                format!("{path}.intervals"),
                "required",
                format!("extra working date {} has no intervals", extra.date),
            ));
        }
        let mut spans = Vec::new();
        let mut named = Vec::new();
        for (j, iv) in extra.intervals.iter().enumerate() {
            let ipath = format!("{path}.intervals[{j}]");
            if let Some(span) = parse_interval(&ipath, iv, &mut problems) {
                named.push((u64::from(span.0), u64::from(span.1), ipath));
                spans.push(span);
            }
        }
        check_overlaps(&named, None, &mut problems);
        extras.insert(extra.date, spans);
    }

    let weekly_time: u32 = week.iter().flatten().map(|s| s.1 - s.0).sum();
    let extra_time: u32 = extras.values().flatten().map(|s| s.1 - s.0).sum();
    let has_extra_not_holiday = extra_time > 0
        && extras
            .iter()
            .any(|(d, spans)| !spans.is_empty() && !holidays.contains_key(d));
    if weekly_time == 0 && !has_extra_not_holiday {
        problems.push(Violation::new(
            "week",
            "no_working_time",
            "the calendar has no working time at all: no weekday has an interval and no extra working date is listed",
        ));
    }

    match tz {
        Some(tz) if problems.is_empty() => {
            for spans in week
                .iter_mut()
                .chain(extras.values_mut())
                .chain(holidays.values_mut())
            {
                spans.sort_unstable();
            }
            Ok(Parsed {
                tz,
                week,
                holidays,
                extras,
            })
        }
        _ => Err(problems),
    }
}

/// The weekday index (Monday = 0) of a date.
pub(crate) fn weekday_index(date: NaiveDate) -> usize {
    date.weekday().num_days_from_monday() as usize
}
