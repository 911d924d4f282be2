//! [`CompiledCalendar`]: a validated calendar compiled into UTC working
//! intervals with prefix sums, so that business-time arithmetic is a binary
//! search rather than a walk through time.
//!
//! Layout: a *window* of whole UTC years (at least 2014–2036, widened to
//! cover every holiday and extra working date) holds the merged working
//! intervals as three arrays (`starts`, `ends`, and `cum`, the working
//! seconds before each interval). Outside the window the same intervals are
//! computed exactly, four weeks at a time, by the same function that built
//! the window, so both paths agree by construction.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::calendar::{self, DAY, LocalSpan, Parsed};
use crate::local::{self, MAX_SECS, MIN_SECS};
use crate::{BusinessCalendar, BusinessDuration, DurationSpec, SlaError};

const NS: i128 = 1_000_000_000;
/// The span computed at a time outside the compiled window.
const CHUNK: i64 = 28 * 86_400;
/// A search for working time gives up after this long without any, beyond
/// the last holiday or extra working date.
const SEARCH_LIMIT: i64 = 400 * 86_400;
/// The compiled window always covers at least these UTC years.
const WINDOW_YEARS: (i32, i32) = (2014, 2036);

/// A business calendar compiled for fast, DST-correct business-time arithmetic.
///
/// Build one with [`CompiledCalendar::new`] (which validates the calendar and
/// reports every problem at once) or [`CompiledCalendar::always`] (24×7), then
/// share it: every method takes `&self`, and the type is `Send + Sync`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use itsm_sla::{BusinessCalendar, BusinessDuration, CompiledCalendar, WeekSchedule, WorkingInterval};
///
/// let mut uk = BusinessCalendar::always("uk-office");
/// uk.time_zone = "Europe/London".into();
/// uk.week = WeekSchedule::monday_to_friday(&[WorkingInterval::new("09:00", "17:30")]);
/// let uk = CompiledCalendar::new(&uk)?;
///
/// // Friday 16:30 GMT plus 4 business hours: 1 hour on Friday, then 3 on
/// // Monday, after the clocks went forward on Sunday.
/// let friday = Utc.with_ymd_and_hms(2026, 3, 27, 16, 30, 0).unwrap();
/// let due = uk.add(friday, BusinessDuration::from_hours(4))?;
/// assert_eq!(due, Utc.with_ymd_and_hms(2026, 3, 30, 11, 0, 0).unwrap()); // 12:00 BST
/// assert_eq!(uk.between(friday, due)?, BusinessDuration::from_hours(4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Precision and range
/// Working intervals start and end on whole seconds. Instants keep their
/// nanoseconds: [`add`](Self::add) carries them (a deadline added to
/// 10:00:00.25 inside working time lands on a `.25`), and
/// [`between`](Self::between) measures exactly and then rounds the business
/// time *down* to whole seconds. So `between(a, add(a, d)) == d` for every
/// instant `a`, and both functions are monotone.
///
/// Instants must lie in 1900-01-01T00:00:00Z ..= 2200-01-01T00:00:00Z;
/// anything else (including the ends of chrono's range) is
/// [`SlaError::OutOfRange`].
#[derive(Clone)]
pub struct CompiledCalendar {
    name: String,
    time_zone: String,
    tz: Tz,
    always: bool,
    week: [Vec<LocalSpan>; 7],
    holidays: BTreeMap<NaiveDate, Vec<LocalSpan>>,
    extras: BTreeMap<NaiveDate, Vec<LocalSpan>>,
    /// A UTC instant after which holidays and extra dates no longer matter.
    last_special: i64,
    win_lo: i64,
    win_hi: i64,
    /// The merged working intervals of the window, in order, each with the
    /// working seconds before it: one dense array, so that a lookup touches
    /// one or two cache lines.
    ivs: Vec<Interval>,
    /// Working seconds in the whole window.
    total: i64,
    /// For each `2^SHIFT`-second bucket of UTC time from `win_lo`: the first
    /// interval ending after the bucket's start.
    by_instant: Vec<u32>,
    /// For each `2^SHIFT`-second bucket of working time: the first interval
    /// whose cumulative end reaches the bucket's start.
    by_work: Vec<u32>,
    /// The UTC date of each day of the window (`win_lo` is a UTC midnight),
    /// so that turning a result into a `DateTime` needs no calendar division.
    utc_dates: Vec<NaiveDate>,
    /// Working days of the window, for `add_working_days` by index.
    days: WorkingDays,
}

/// One merged working interval `[start, end)` of the window, in UTC seconds,
/// and the working seconds from `win_lo` to its start.
#[derive(Clone, Copy, Debug)]
struct Interval {
    start: i64,
    end: i64,
    cum: i64,
}

impl Interval {
    /// Working seconds from `win_lo` to the end of this interval.
    #[inline]
    fn cum_end(&self) -> i64 {
        self.cum + (self.end - self.start)
    }
}

/// The working days of the local dates `first..first + before.len() - 1`:
/// `before[i]` counts the working days among the dates before `first + i`,
/// and the `k`-th working day is the date `first + date[k]`, closing at
/// `close[k]`. `exact` is false when some stretch without a working day is
/// longer than the search limit: the walk would fail there, so the index is
/// not used at all.
#[derive(Clone, Debug, Default)]
struct WorkingDays {
    first: Option<NaiveDate>,
    before: Vec<u32>,
    date: Vec<u32>,
    close: Vec<i64>,
    exact: bool,
}

/// A business position: working seconds from the calendar's origin (the
/// start of the compiled window; the Unix epoch for a 24×7 calendar) to an
/// instant, and the nanoseconds of a partial second (zero outside working
/// time). Positions are monotone in the instant, so business time between two
/// instants is a subtraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    secs: i64,
    nanos: u32,
}

impl Position {
    /// The business time from `self` to `later`, rounded down to whole
    /// seconds; zero when `later` is not after `self`.
    #[inline]
    pub(crate) fn until(self, later: Position) -> BusinessDuration {
        let secs = later.secs - self.secs - i64::from(later.nanos < self.nanos);
        BusinessDuration::from_secs(u64::try_from(secs).unwrap_or(0))
    }
}

/// Bucket width of the lookup tables: 2^16 s (about 18 hours), so a lookup
/// is a shift, an index and a scan over the few intervals of one bucket.
const SHIFT: u32 = 16;

impl fmt::Debug for CompiledCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CompiledCalendar")
            .field("name", &self.name)
            .field("time_zone", &self.time_zone)
            .field("always", &self.always)
            .field("holidays", &self.holidays.len())
            .field("extra_working_dates", &self.extras.len())
            .field("compiled_intervals", &self.ivs.len())
            .finish()
    }
}

/// What a scan callback asks for next.
enum Step {
    Continue,
    Stop,
}

/// How a scan ended.
enum ScanEnd {
    /// The callback stopped it.
    Stopped,
    /// Reached the requested end (or the end of the supported range).
    Reached,
    /// No working time for [`SEARCH_LIMIT`] beyond the last special date.
    NoWork,
}

/// A leap second (`23:59:60.x`, chrono's nanoseconds of 10⁹ and more) read
/// as the first instant after it, the next whole second (`00:00:00`).
///
/// Business time is counted in civil (POSIX) seconds, where a leap second
/// does not exist. The reading is monotone and lands on a whole second, so
/// `between` over whole-second instants stays additive across a leap
/// instant, and `add` never returns one.
fn civil(t: DateTime<Utc>) -> DateTime<Utc> {
    if t.timestamp_subsec_nanos() >= 1_000_000_000 {
        DateTime::from_timestamp(t.timestamp().saturating_add(1), 0).unwrap_or(t)
    } else {
        t
    }
}

fn to_secs_nanos(t: DateTime<Utc>) -> (i64, u32) {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

fn to_ns(t: DateTime<Utc>) -> i128 {
    i128::from(t.timestamp()) * NS + i128::from(t.timestamp_subsec_nanos())
}

fn from_ns(ns: i128) -> Option<DateTime<Utc>> {
    let secs = i64::try_from(ns.div_euclid(NS)).ok()?;
    let nanos = u32::try_from(ns.rem_euclid(NS)).ok()?;
    DateTime::from_timestamp(secs, nanos)
}

fn instant(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .map_or_else(|| format!("{secs} s after the epoch"), |t| t.to_rfc3339())
}

/// Sorts and merges touching or overlapping intervals in place.
fn merge(v: &mut Vec<(i64, i64)>) {
    v.sort_unstable();
    let mut out: Vec<(i64, i64)> = Vec::with_capacity(v.len());
    for &(s, e) in v.iter() {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    *v = out;
}

/// `a` minus `b`, both sorted and merged.
fn subtract(a: &[(i64, i64)], b: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out = Vec::with_capacity(a.len());
    let mut j = 0;
    for &(s, e) in a {
        let mut cur = s;
        while j < b.len() && b[j].1 <= cur {
            j += 1;
        }
        let mut k = j;
        while k < b.len() && b[k].0 < e {
            if b[k].0 > cur {
                out.push((cur, b[k].0));
            }
            cur = cur.max(b[k].1);
            k += 1;
        }
        if cur < e {
            out.push((cur, e));
        }
    }
    out
}

impl CompiledCalendar {
    /// Validates and compiles `calendar`.
    ///
    /// # Errors
    /// [`SlaError::InvalidCalendar`] listing every problem, each with its
    /// JSON path: an unknown time zone, malformed or overlapping intervals,
    /// duplicate dates, dates outside 1900–2199, no working time at all.
    pub fn new(calendar: &BusinessCalendar) -> Result<Self, SlaError> {
        let parsed = calendar::parse(calendar).map_err(|problems| SlaError::InvalidCalendar {
            name: calendar.name.clone(),
            problems,
        })?;
        Ok(Self::compile(&calendar.name, &calendar.time_zone, parsed))
    }

    /// The built-in 24×7 calendar (named `24x7`, in UTC): business time is
    /// elapsed time.
    #[must_use]
    pub fn always() -> Self {
        let mut week: [Vec<LocalSpan>; 7] = Default::default();
        for day in &mut week {
            day.push((0, DAY));
        }
        Self::compile(
            "24x7",
            "UTC",
            Parsed {
                tz: Tz::UTC,
                week,
                holidays: BTreeMap::new(),
                extras: BTreeMap::new(),
            },
        )
    }

    fn compile(name: &str, time_zone: &str, parsed: Parsed) -> Self {
        let Parsed {
            tz,
            week,
            holidays,
            extras,
        } = parsed;
        let always = holidays.is_empty()
            && extras.is_empty()
            && week.iter().all(|d| d.as_slice() == [(0, DAY)]);
        let first = holidays
            .keys()
            .next()
            .into_iter()
            .chain(extras.keys().next())
            .min()
            .copied();
        let last = holidays
            .keys()
            .next_back()
            .into_iter()
            .chain(extras.keys().next_back())
            .max()
            .copied();
        let year_lo = first
            .map_or(WINDOW_YEARS.0, |d| d.year().min(WINDOW_YEARS.0))
            .max(1900);
        let year_hi = last
            .map_or(WINDOW_YEARS.1, |d| d.year().max(WINDOW_YEARS.1))
            .min(2199);
        let year_start = |y: i32| {
            NaiveDate::from_ymd_opt(y, 1, 1).map_or(MIN_SECS, |d| {
                d.and_hms_opt(0, 0, 0)
                    .map_or(MIN_SECS, |t| t.and_utc().timestamp())
            })
        };
        let last_special = last.map_or(MIN_SECS, |d| year_start(d.year()) + 400 * 86_400);
        let mut this = Self {
            name: name.to_owned(),
            time_zone: time_zone.to_owned(),
            tz,
            always,
            week,
            holidays,
            extras,
            last_special,
            win_lo: 0,
            win_hi: 0,
            ivs: Vec::new(),
            total: 0,
            by_instant: Vec::new(),
            by_work: Vec::new(),
            utc_dates: Vec::new(),
            days: WorkingDays::default(),
        };
        if !always {
            let (lo, hi) = (year_start(year_lo), year_start(year_hi + 1));
            let intervals = this.raw(lo, hi);
            let mut total = 0;
            this.ivs.reserve_exact(intervals.len());
            for &(start, end) in &intervals {
                this.ivs.push(Interval {
                    start,
                    end,
                    cum: total,
                });
                total += end - start;
            }
            this.total = total;
            this.win_lo = lo;
            this.win_hi = hi;
            this.build_tables();
            this.build_working_days(year_lo, year_hi);
        }
        this
    }

    fn build_tables(&mut self) {
        let n = self.ivs.len();
        let buckets = ((self.win_hi - self.win_lo) >> SHIFT) + 1;
        let mut j = 0;
        for k in 0..buckets {
            let at = self.win_lo + (k << SHIFT);
            while j < n && self.ivs[j].end <= at {
                j += 1;
            }
            self.by_instant.push(u32::try_from(j).unwrap_or(u32::MAX));
        }
        let mut j = 0;
        for k in 0..=(self.total >> SHIFT) {
            let at = k << SHIFT;
            while j < n && self.ivs[j].cum_end() < at {
                j += 1;
            }
            self.by_work.push(u32::try_from(j).unwrap_or(u32::MAX));
        }
        let mut date = DateTime::from_timestamp(self.win_lo, 0).map(|t| t.date_naive());
        let mut at = self.win_lo;
        while at < self.win_hi {
            let Some(d) = date else { break };
            self.utc_dates.push(d);
            date = d.succ_opt();
            at += 86_400;
        }
    }

    /// Indexes the working days of the local dates of the window's years,
    /// with the same day rule as the walk of [`Self::add_working_days_walk`].
    fn build_working_days(&mut self, year_lo: i32, year_hi: i32) {
        let (Some(first), Some(last)) = (
            NaiveDate::from_ymd_opt(year_lo, 1, 1),
            NaiveDate::from_ymd_opt(year_hi, 12, 31),
        ) else {
            return;
        };
        let limit = SEARCH_LIMIT / 86_400;
        let mut days = WorkingDays {
            first: Some(first),
            exact: true,
            ..WorkingDays::default()
        };
        let mut date = first;
        let mut index: u32 = 0;
        // The index start counts as a working boundary for the gap rule.
        let mut previous: u32 = 0;
        loop {
            days.before
                .push(u32::try_from(days.date.len()).unwrap_or(u32::MAX));
            if let Some(&(_, close)) = self.day_working(date).last() {
                if i64::from(index - previous) > limit {
                    days.exact = false;
                }
                previous = index;
                days.date.push(index);
                days.close.push(close);
            }
            if date >= last {
                break;
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
            index += 1;
        }
        days.before
            .push(u32::try_from(days.date.len()).unwrap_or(u32::MAX));
        self.days = days;
    }

    /// The first interval ending after `s` (`ivs.len()` if none); `s` in the window.
    #[inline]
    fn first_ending_after(&self, s: i64) -> usize {
        let k = ((s - self.win_lo) >> SHIFT) as usize;
        let mut j = self
            .by_instant
            .get(k)
            .map_or(self.ivs.len(), |&j| j as usize);
        while let Some(iv) = self.ivs.get(j)
            && iv.end <= s
        {
            j += 1;
        }
        j
    }

    /// The calendar's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The calendar's IANA time zone name.
    #[must_use]
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }

    /// `at` in the calendar's local time, with its offset from UTC then
    /// (`2026-04-14T13:44:00+01:00` in London in summer): how an SLA's
    /// instants are shown to the people who work by this calendar.
    #[must_use]
    pub fn local(&self, at: DateTime<Utc>) -> DateTime<FixedOffset> {
        at.with_timezone(&self.tz).fixed_offset()
    }

    /// Whether this calendar works round the clock with no holidays (business
    /// time is elapsed time).
    #[must_use]
    pub fn is_always(&self) -> bool {
        self.always
    }

    // ---- interval generation (the single source of truth) ----

    /// Pushes the UTC intervals of the working spans belonging to `date`
    /// (before holidays are removed).
    fn own(&self, date: NaiveDate, out: &mut Vec<(i64, i64)>) {
        let spans = self
            .extras
            .get(&date)
            .unwrap_or(&self.week[calendar::weekday_index(date)]);
        self.push_spans(date, spans, out);
    }

    /// Pushes the UTC intervals closed by a holiday on `date`.
    fn closed(&self, date: NaiveDate, out: &mut Vec<(i64, i64)>) {
        if let Some(spans) = self.holidays.get(&date) {
            self.push_spans(date, spans, out);
        }
    }

    fn push_spans(&self, date: NaiveDate, spans: &[LocalSpan], out: &mut Vec<(i64, i64)>) {
        for &(s, e) in spans {
            if let (Some(s), Some(e)) = (
                local::resolve(&self.tz, date, s),
                local::resolve(&self.tz, date, e),
            ) && e > s
            {
                out.push((s, e));
            }
        }
    }

    /// The merged working intervals within `[lo, hi)`, clipped to it; both in
    /// the supported range.
    fn raw(&self, lo: i64, hi: i64) -> Vec<(i64, i64)> {
        let (Some(dlo), Some(dhi)) = (
            local::local_date(&self.tz, lo),
            local::local_date(&self.tz, hi),
        ) else {
            return Vec::new();
        };
        let (Some(dlo), Some(dhi)) = (
            dlo.checked_sub_signed(TimeDelta::days(3)),
            dhi.checked_add_signed(TimeDelta::days(3)),
        ) else {
            return Vec::new();
        };
        let mut work = Vec::new();
        let mut closed = Vec::new();
        let mut d = dlo;
        while d <= dhi {
            self.own(d, &mut work);
            self.closed(d, &mut closed);
            match d.succ_opt() {
                Some(next) => d = next,
                None => break,
            }
        }
        merge(&mut work);
        merge(&mut closed);
        let mut out = subtract(&work, &closed);
        out.retain_mut(|iv| {
            iv.0 = iv.0.max(lo);
            iv.1 = iv.1.min(hi);
            iv.0 < iv.1
        });
        out
    }

    /// The working intervals belonging to the local `date` (holidays removed).
    fn day_working(&self, date: NaiveDate) -> Vec<(i64, i64)> {
        let mut work = Vec::new();
        self.own(date, &mut work);
        merge(&mut work);
        let mut closed = Vec::new();
        for d in [date.pred_opt(), Some(date), date.succ_opt()]
            .into_iter()
            .flatten()
        {
            self.closed(d, &mut closed);
        }
        merge(&mut closed);
        subtract(&work, &closed)
    }

    /// Calls `f` with every working interval from `from` on, in order (the
    /// first may be clipped to start at `from`, and intervals may be split
    /// where computed pieces meet), until `f` stops, `until` or the end of
    /// the supported range is reached, or (without `until`) no working time
    /// is found for the search limit.
    fn scan(&self, from: i64, until: Option<i64>, mut f: impl FnMut(i64, i64) -> Step) -> ScanEnd {
        let end = until.unwrap_or(MAX_SECS).min(MAX_SECS);
        let mut p = from.max(MIN_SECS);
        let mut last_seen = p;
        while p < end {
            if p >= self.win_lo && p < self.win_hi {
                let i = self.ivs.partition_point(|iv| iv.end <= p);
                for iv in &self.ivs[i..] {
                    if iv.start >= end {
                        return ScanEnd::Reached;
                    }
                    last_seen = iv.end;
                    if let Step::Stop = f(iv.start.max(p), iv.end) {
                        return ScanEnd::Stopped;
                    }
                }
                p = self.win_hi;
                continue;
            }
            let hi = if p < self.win_lo {
                (p + CHUNK).min(self.win_lo)
            } else {
                p + CHUNK
            }
            .min(end);
            for (s, e) in self.raw(p, hi) {
                last_seen = e;
                if let Step::Stop = f(s, e) {
                    return ScanEnd::Stopped;
                }
            }
            if until.is_none() && hi - last_seen.max(self.last_special) > SEARCH_LIMIT {
                return ScanEnd::NoWork;
            }
            p = hi;
        }
        ScanEnd::Reached
    }
}

impl CompiledCalendar {
    fn check(&self, what: &'static str, t: DateTime<Utc>) -> Result<(), SlaError> {
        if Self::in_range(t.timestamp(), t.timestamp_subsec_nanos()) {
            Ok(())
        } else {
            Err(SlaError::OutOfRange {
                what,
                value: t.to_rfc3339(),
            })
        }
    }

    fn out_of_range_result(
        what: &'static str,
        t: DateTime<Utc>,
        by: impl fmt::Display,
    ) -> SlaError {
        SlaError::OutOfRange {
            what,
            value: format!("{} plus {by}", t.to_rfc3339()),
        }
    }

    fn no_working_time(&self, after: DateTime<Utc>) -> SlaError {
        SlaError::NoWorkingTime {
            calendar: self.name.clone(),
            after: after.to_rfc3339(),
        }
    }

    /// Working time from `win_lo` to the instant `(s, n)` inside the window,
    /// as whole seconds and the nanoseconds of a partial second.
    #[inline]
    fn cum_at(&self, s: i64, n: u32) -> Position {
        let j = self.first_ending_after(s);
        match self.ivs.get(j) {
            Some(iv) if iv.start <= s => Position {
                secs: iv.cum + (s - iv.start),
                nanos: n,
            },
            Some(iv) => Position {
                secs: iv.cum,
                nanos: 0,
            },
            None => Position {
                secs: self.total,
                nanos: 0,
            },
        }
    }

    #[inline]
    fn in_window(&self, s: i64) -> bool {
        s >= self.win_lo && s < self.win_hi
    }

    /// Whether `(s, n)` is a supported instant.
    #[inline]
    fn in_range(s: i64, n: u32) -> bool {
        s >= MIN_SECS && (s < MAX_SECS || (s == MAX_SECS && n == 0))
    }

    /// Whether `t` lies in the range business-time arithmetic supports
    /// (1900-01-01 to 2200-01-01 UTC, both included).
    pub(crate) fn supports(t: DateTime<Utc>) -> bool {
        Self::in_range(t.timestamp(), t.timestamp_subsec_nanos())
    }

    /// The end of local date `date` in the calendar's zone: the instant its
    /// next date starts (local midnight, moved forward by a gap as the rules
    /// of `local.rs` say). `None` outside chrono's range.
    pub(crate) fn end_of_local_date(&self, date: NaiveDate) -> Option<DateTime<Utc>> {
        let secs = local::resolve(&self.tz, date.succ_opt()?, 0)?;
        DateTime::from_timestamp(secs, 0)
    }

    /// The business position of `t` (see [`Position`]), when the calendar
    /// can compute it by lookup: always for a 24×7 calendar, inside the
    /// compiled window otherwise. `None` means "use `add` and `between`",
    /// which also handle every other supported instant.
    #[cfg(test)]
    pub(crate) fn position(&self, t: DateTime<Utc>) -> Option<Position> {
        let (s, n) = to_secs_nanos(t);
        self.position_of(s, n)
    }

    /// [`position`](Self::position) of the instant `(s, n)` (whole seconds
    /// since the epoch and nanoseconds).
    #[inline]
    pub(crate) fn position_of(&self, s: i64, n: u32) -> Option<Position> {
        if self.always {
            return Self::in_range(s, n).then_some(Position { secs: s, nanos: n });
        }
        self.in_window(s).then(|| self.cum_at(s, n))
    }

    /// The instant `u = t + (working seconds)` from a position: the UTC
    /// instant whose position is `p.secs + secs` (the closing instant of an
    /// interval used up exactly), with `p`'s nanoseconds. `None` when it lies
    /// beyond the compiled window.
    #[inline]
    fn instant_at(&self, p: Position, secs: i64) -> Option<DateTime<Utc>> {
        if self.always {
            let u = p.secs.checked_add(secs)?;
            return if u < MAX_SECS || (u == MAX_SECS && p.nanos == 0) {
                DateTime::from_timestamp(u, p.nanos)
            } else {
                None
            };
        }
        if secs >= i64::MAX / 4 {
            return None;
        }
        let target = p.secs + secs;
        let key = target + i64::from(p.nanos > 0);
        if key > self.total {
            return None;
        }
        let mut j = self
            .by_work
            .get((key >> SHIFT) as usize)
            .map_or(0, |&j| j as usize);
        let iv = loop {
            let iv = self.ivs.get(j)?;
            if iv.cum_end() >= key {
                break iv;
            }
            j += 1;
        };
        self.utc(iv.start + (target - iv.cum), p.nanos)
    }

    /// The `DateTime` of `(u, n)`, by the window's date table when it covers `u`.
    #[inline]
    fn utc(&self, u: i64, n: u32) -> Option<DateTime<Utc>> {
        let offset = u - self.win_lo;
        if offset >= 0 {
            let day = offset / 86_400;
            if let Some(date) = usize::try_from(day)
                .ok()
                .and_then(|d| self.utc_dates.get(d))
            {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let sod = (offset - day * 86_400) as u32;
                let time = chrono::NaiveTime::from_num_seconds_from_midnight_opt(sod, n)?;
                return Some(date.and_time(time).and_utc());
            }
        }
        DateTime::from_timestamp(u, n)
    }

    /// [`add`](Self::add) from an instant whose position is already known
    /// (as returned by [`position`](Self::position) for `t`).
    #[inline]
    pub(crate) fn add_from(
        &self,
        t: DateTime<Utc>,
        p: Position,
        d: BusinessDuration,
    ) -> Result<DateTime<Utc>, SlaError> {
        if d.is_zero() {
            return Ok(t);
        }
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        match self.instant_at(p, secs) {
            Some(u) => Ok(u),
            None => self.add(t, d),
        }
    }

    /// The earliest instant `u >= t` such that the business time in `[t, u)`
    /// is `d`.
    ///
    /// Adding zero returns `t` unchanged, even outside working hours. A
    /// deadline that uses up a working interval exactly lands on its closing
    /// instant, not on the next opening. Nanoseconds of `t` are carried when
    /// `t` is inside working time.
    ///
    /// # Errors
    /// - [`SlaError::OutOfRange`] when `t` or the result lies outside the
    ///   supported range (1900-01-01 to 2200-01-01 UTC), for instance for a
    ///   duration of 10⁹ hours;
    /// - [`SlaError::NoWorkingTime`] when the calendar has no more working
    ///   time (more than 400 days without any after its last holiday or extra
    ///   working date).
    #[inline]
    pub fn add(&self, t: DateTime<Utc>, d: BusinessDuration) -> Result<DateTime<Utc>, SlaError> {
        let t = civil(t);
        let (s, n) = to_secs_nanos(t);
        if !Self::in_range(s, n) {
            self.check("start instant", t)?;
        }
        if d.is_zero() {
            return Ok(t);
        }
        let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
        if self.always {
            return s
                .checked_add(secs)
                .filter(|&u| u < MAX_SECS || (u == MAX_SECS && n == 0))
                .and_then(|u| DateTime::from_timestamp(u, n))
                .ok_or_else(|| Self::out_of_range_result("result of add", t, d));
        }
        if self.in_window(s)
            && let Some(u) = self.instant_at(self.cum_at(s, n), secs)
        {
            return Ok(u);
        }
        self.add_slow(t, d)
    }

    fn add_slow(&self, t: DateTime<Utc>, d: BusinessDuration) -> Result<DateTime<Utc>, SlaError> {
        let start = to_ns(t);
        let mut rem = i128::from(d.as_secs()) * NS;
        // Business time never exceeds elapsed time.
        if rem > i128::from(MAX_SECS) * NS - start {
            return Err(Self::out_of_range_result("result of add", t, d));
        }
        let mut result = None;
        let end = self.scan(t.timestamp(), None, |s, e| {
            let lo = (i128::from(s) * NS).max(start);
            let avail = i128::from(e) * NS - lo;
            if avail <= 0 {
                return Step::Continue;
            }
            if avail >= rem {
                result = Some(lo + rem);
                return Step::Stop;
            }
            rem -= avail;
            Step::Continue
        });
        match (result.and_then(from_ns), end) {
            (Some(u), _) => {
                self.check("result of add", u)
                    .map_err(|_| Self::out_of_range_result("result of add", t, d))?;
                Ok(u)
            }
            (None, ScanEnd::NoWork) => Err(self.no_working_time(t)),
            (None, _) => Err(Self::out_of_range_result("result of add", t, d)),
        }
    }

    /// The business time in the half-open `[a, b)`, rounded down to whole
    /// seconds. When `b <= a` the interval is empty and the result is zero
    /// (business time is never negative).
    ///
    /// # Errors
    /// [`SlaError::OutOfRange`] when `a` or `b` lies outside the supported
    /// range (1900-01-01 to 2200-01-01 UTC).
    #[inline]
    pub fn between(
        &self,
        a: DateTime<Utc>,
        b: DateTime<Utc>,
    ) -> Result<BusinessDuration, SlaError> {
        let (a, b) = (civil(a), civil(b));
        let (sa, na) = to_secs_nanos(a);
        let (sb, nb) = to_secs_nanos(b);
        if !Self::in_range(sa, na) {
            self.check("start instant", a)?;
        }
        if !Self::in_range(sb, nb) {
            self.check("end instant", b)?;
        }
        if (sb, nb) <= (sa, na) {
            return Ok(BusinessDuration::ZERO);
        }
        if self.always {
            return Ok(Position {
                secs: sa,
                nanos: na,
            }
            .until(Position {
                secs: sb,
                nanos: nb,
            }));
        }
        if self.in_window(sa) && self.in_window(sb) {
            return Ok(self.cum_at(sa, na).until(self.cum_at(sb, nb)));
        }
        let (a_ns, b_ns) = (to_ns(a), to_ns(b));
        let mut total: i128 = 0;
        self.scan(sa, Some(sb + 1), |s, e| {
            let lo = (i128::from(s) * NS).max(a_ns);
            if lo >= b_ns {
                return Step::Stop;
            }
            let hi = (i128::from(e) * NS).min(b_ns);
            if hi > lo {
                total += hi - lo;
            }
            Step::Continue
        });
        Ok(BusinessDuration::from_secs(
            u64::try_from(total / NS).unwrap_or(0),
        ))
    }

    /// Whether `t` is working time (false outside the supported range).
    #[must_use]
    pub fn is_working(&self, t: DateTime<Utc>) -> bool {
        let t = civil(t);
        if self.check("instant", t).is_err() {
            return false;
        }
        if self.always {
            return true;
        }
        let s = t.timestamp();
        if self.in_window(s) {
            let j = self.first_ending_after(s);
            return self.ivs.get(j).is_some_and(|iv| iv.start <= s);
        }
        !self.raw(s, s + 1).is_empty()
    }

    /// The earliest working instant at or after `t`: `t` itself when it is
    /// working time, otherwise the next opening.
    ///
    /// # Errors
    /// [`SlaError::OutOfRange`] for `t` or a result outside the supported
    /// range; [`SlaError::NoWorkingTime`] when no working time follows.
    pub fn next_opening(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, SlaError> {
        let t = civil(t);
        self.check("instant", t)?;
        if self.always {
            return Ok(t);
        }
        let s = t.timestamp();
        let mut found = None;
        let end = self.scan(s, None, |start, _| {
            found = Some(start);
            Step::Stop
        });
        match (found, end) {
            (Some(start), _) if start <= s => Ok(t),
            (Some(start), _) => {
                DateTime::from_timestamp(start, 0).ok_or_else(|| SlaError::OutOfRange {
                    what: "next opening",
                    value: instant(start),
                })
            }
            (None, ScanEnd::NoWork) => Err(self.no_working_time(t)),
            (None, _) => Err(SlaError::OutOfRange {
                what: "next opening after",
                value: t.to_rfc3339(),
            }),
        }
    }

    /// The next instant after `t` at which working time ends: the end of the
    /// working period containing `t`, or of the next one when `t` is outside
    /// working time. Adjacent intervals (`09:00–12:00` then `12:00–17:00`, or
    /// an overnight shift running into the next day's) form one period.
    ///
    /// # Errors
    /// [`SlaError::NeverCloses`] for a 24×7 calendar or a working period
    /// longer than 400 days; [`SlaError::NoWorkingTime`] when no working time
    /// follows; [`SlaError::OutOfRange`] for `t` or a result outside the
    /// supported range.
    pub fn next_closing(&self, t: DateTime<Utc>) -> Result<DateTime<Utc>, SlaError> {
        let t = civil(t);
        self.check("instant", t)?;
        let never = || SlaError::NeverCloses {
            calendar: self.name.clone(),
            after: t.to_rfc3339(),
        };
        if self.always {
            return Err(never());
        }
        let s = t.timestamp();
        let mut close: Option<i64> = None;
        let mut too_long = false;
        let end = self.scan(s, None, |start, e| {
            if let Some(c) = close
                && start > c
            {
                return Step::Stop;
            }
            close = Some(e);
            if e - s > SEARCH_LIMIT {
                too_long = true;
                return Step::Stop;
            }
            Step::Continue
        });
        if too_long {
            return Err(never());
        }
        match (close, end) {
            (Some(c), ScanEnd::Reached) if c >= MAX_SECS => Err(SlaError::OutOfRange {
                what: "next closing after",
                value: t.to_rfc3339(),
            }),
            (Some(c), _) => DateTime::from_timestamp(c, 0).ok_or_else(|| SlaError::OutOfRange {
                what: "next closing",
                value: instant(c),
            }),
            (None, ScanEnd::NoWork) => Err(self.no_working_time(t)),
            (None, _) => Err(SlaError::OutOfRange {
                what: "next closing after",
                value: t.to_rfc3339(),
            }),
        }
    }

    /// The same local wall time `days` local days after `t`, in the
    /// calendar's zone (a local day lasts 23, 24 or 25 hours across DST
    /// changes; a wall time that falls in a gap moves forward by the gap, one
    /// in a fold takes the earlier instant). Zero days returns `t`.
    ///
    /// # Errors
    /// [`SlaError::OutOfRange`] for `t` or a result outside the supported range.
    pub fn add_calendar_days(
        &self,
        t: DateTime<Utc>,
        days: u32,
    ) -> Result<DateTime<Utc>, SlaError> {
        self.check("start instant", t)?;
        if days == 0 {
            return Ok(t);
        }
        let err = || {
            Self::out_of_range_result(
                "result of add_calendar_days",
                t,
                format!("{days} calendar days"),
            )
        };
        let wall = local::wall(&self.tz, t);
        let date = wall
            .date()
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .ok_or_else(err)?;
        let secs = local::resolve_naive(&self.tz, date.and_time(wall.time())).ok_or_else(err)?;
        let u = DateTime::from_timestamp(secs, t.timestamp_subsec_nanos()).ok_or_else(err)?;
        self.check("result of add_calendar_days", u)
            .map_err(|_| err())?;
        Ok(u)
    }

    /// `days` working days after `t`: a working day is a local date with
    /// working time belonging to it (holidays removed). The result is on the
    /// `days`-th working date strictly after `t`'s local date, at `t`'s local
    /// wall time, or, with `end_of_working_day`, at that date's closing
    /// instant (the end of its last working interval). Zero days returns `t`.
    ///
    /// # Errors
    /// [`SlaError::OutOfRange`] for `t` or a result outside the supported
    /// range; [`SlaError::NoWorkingTime`] when no working day follows.
    pub fn add_working_days(
        &self,
        t: DateTime<Utc>,
        days: u32,
        end_of_working_day: bool,
    ) -> Result<DateTime<Utc>, SlaError> {
        self.check("start instant", t)?;
        if days == 0 {
            return Ok(t);
        }
        let wall = local::wall(&self.tz, t);
        if let Some((date, close)) = self.working_day_by_index(wall.date(), days) {
            return self.working_day_result(t, wall, date, close, days, end_of_working_day);
        }
        self.add_working_days_walk(t, wall, days, end_of_working_day)
    }

    /// The `days`-th working date after `start` and its closing instant, by
    /// the index, when the index covers it (`days > 0`).
    fn working_day_by_index(&self, start: NaiveDate, days: u32) -> Option<(NaiveDate, i64)> {
        let index = &self.days;
        let first = index.first.filter(|_| index.exact)?;
        let i = usize::try_from((start - first).num_days()).ok()?;
        let seen = *index.before.get(i + 1)?;
        let k = usize::try_from(u64::from(seen) + u64::from(days) - 1).ok()?;
        let offset = *index.date.get(k)?;
        let date = first.checked_add_days(chrono::Days::new(u64::from(offset)))?;
        Some((date, *index.close.get(k)?))
    }

    /// The result of `add_working_days` landing on `date` (closing at `close`).
    fn working_day_result(
        &self,
        t: DateTime<Utc>,
        wall: chrono::NaiveDateTime,
        date: NaiveDate,
        close: i64,
        days: u32,
        end_of_working_day: bool,
    ) -> Result<DateTime<Utc>, SlaError> {
        let err = || {
            Self::out_of_range_result(
                "result of add_working_days",
                t,
                format!("{days} working days"),
            )
        };
        let u = if end_of_working_day {
            DateTime::from_timestamp(close, 0)
        } else {
            local::resolve_naive(&self.tz, date.and_time(wall.time()))
                .and_then(|secs| DateTime::from_timestamp(secs, t.timestamp_subsec_nanos()))
        }
        .ok_or_else(err)?;
        self.check("result of add_working_days", u)
            .map_err(|_| err())?;
        Ok(u)
    }

    /// `add_working_days` by walking the local dates one by one: the
    /// definition the index reproduces, and the path beyond it.
    fn add_working_days_walk(
        &self,
        t: DateTime<Utc>,
        wall: chrono::NaiveDateTime,
        days: u32,
        end_of_working_day: bool,
    ) -> Result<DateTime<Utc>, SlaError> {
        let err = || {
            Self::out_of_range_result(
                "result of add_working_days",
                t,
                format!("{days} working days"),
            )
        };
        let last_special = self
            .holidays
            .keys()
            .next_back()
            .into_iter()
            .chain(self.extras.keys().next_back())
            .max();
        let (_, max_date) = local::supported_dates();
        let mut date = wall.date();
        let mut last_found = date.max(last_special.copied().unwrap_or(date));
        let mut count = 0;
        loop {
            date = date.succ_opt().ok_or_else(err)?;
            if date >= max_date {
                return Err(err());
            }
            let spans = self.day_working(date);
            let Some(&(_, close)) = spans.last() else {
                if (date - last_found).num_days() > SEARCH_LIMIT / 86_400 {
                    return Err(self.no_working_time(t));
                }
                continue;
            };
            last_found = last_found.max(date);
            count += 1;
            if count == days {
                return self.working_day_result(t, wall, date, close, days, end_of_working_day);
            }
        }
    }

    /// Adds an amount in any of the three units.
    ///
    /// # Errors
    /// As [`add`](Self::add), [`add_working_days`](Self::add_working_days)
    /// or [`add_calendar_days`](Self::add_calendar_days).
    pub fn add_span(
        &self,
        t: DateTime<Utc>,
        span: DurationSpec,
    ) -> Result<DateTime<Utc>, SlaError> {
        let t = civil(t);
        match span {
            DurationSpec::BusinessTime { seconds } => self.add(t, seconds),
            DurationSpec::WorkingDays {
                days,
                end_of_working_day,
            } => self.add_working_days(t, days, end_of_working_day),
            DurationSpec::CalendarDays { days } => self.add_calendar_days(t, days),
        }
    }
}

#[cfg(test)]
mod tests {
    //! Differential tests of the lookup paths against the walks they replace.

    use chrono::{DateTime, NaiveDate};

    use super::CompiledCalendar;
    use crate::{BusinessCalendar, BusinessDuration, Holiday, WeekSchedule, WorkingInterval};

    /// SplitMix64: deterministic inputs.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            (z ^ (z >> 31)) % n
        }
    }

    fn calendar(zone: &str, week: WeekSchedule, holidays: &[&str]) -> CompiledCalendar {
        let mut c = BusinessCalendar::always("test");
        c.time_zone = zone.to_owned();
        c.week = week;
        c.holidays = holidays
            .iter()
            .map(|d| Holiday {
                date: d.parse::<NaiveDate>().expect("date"),
                name: (*d).to_owned(),
                closed: Vec::new(),
            })
            .collect();
        CompiledCalendar::new(&c).expect("calendar")
    }

    fn calendars() -> Vec<CompiledCalendar> {
        let office = WeekSchedule::monday_to_friday(&[
            WorkingInterval::new("09:00", "12:00"),
            WorkingInterval::new("13:00", "17:30"),
        ]);
        let nights = WeekSchedule {
            sunday: vec![WorkingInterval::new("22:00", "06:00")],
            wednesday: vec![WorkingInterval::new("01:30", "02:30")],
            friday: vec![WorkingInterval::new("00:00", "24:00")],
            ..WeekSchedule::default()
        };
        vec![
            calendar(
                "Europe/London",
                office.clone(),
                &["2025-12-25", "2025-12-26", "2026-03-30", "2026-10-26"],
            ),
            calendar(
                "Pacific/Apia",
                nights.clone(),
                &["2011-12-29", "2012-01-02"],
            ),
            calendar("Australia/Lord_Howe", nights, &["2026-04-05"]),
            // Holidays far apart widen the window to 1950-2150.
            calendar("America/New_York", office, &["1950-01-02", "2150-06-01"]),
        ]
    }

    /// `add_working_days` by the index agrees with the walk over random
    /// instants, including those whose target lies beyond the index.
    #[test]
    fn working_days_by_index_match_the_walk() {
        let mut rng = Rng(7);
        let (lo, hi) = (1_262_304_000_i64, 2_177_452_800_i64); // 2010 to 2039
        for cal in calendars() {
            let mut indexed = 0;
            for _ in 0..1_500 {
                let t = DateTime::from_timestamp(
                    lo + i64::try_from(rng.below(u64::try_from(hi - lo).unwrap_or(1))).unwrap_or(0),
                    u32::try_from(rng.below(3)).unwrap_or(0) * 250_000_000,
                )
                .expect("instant");
                let days = u32::try_from(1 + rng.below(40)).unwrap_or(1);
                let eod = rng.below(2) == 0;
                let wall = super::local::wall(&cal.tz, t);
                let walked = cal.add_working_days_walk(t, wall, days, eod);
                if cal.working_day_by_index(wall.date(), days).is_some() {
                    indexed += 1;
                }
                let got = cal.add_working_days(t, days, eod);
                assert_eq!(
                    got.as_ref().map_err(ToString::to_string),
                    walked.as_ref().map_err(ToString::to_string),
                    "{} {t} + {days} working days (end of day: {eod})",
                    cal.time_zone()
                );
            }
            assert!(
                indexed > 1_000,
                "{}: the index answered {indexed} times",
                cal.time_zone()
            );
        }
    }

    /// `between` and `add` through positions agree with the scanning paths.
    #[test]
    fn positions_match_the_scan() {
        let mut rng = Rng(11);
        // 2014 to 2035, inside every window, leaving room for the spans.
        let (lo, hi) = (1_388_534_400_i64, 2_051_222_400_i64);
        for cal in calendars() {
            for _ in 0..1_000 {
                let s =
                    lo + i64::try_from(rng.below(u64::try_from(hi - lo).unwrap_or(1))).unwrap_or(0);
                let a = DateTime::from_timestamp(
                    s,
                    u32::try_from(rng.below(2)).unwrap_or(0) * 500_000_000,
                )
                .expect("instant");
                let b = DateTime::from_timestamp(
                    s + i64::try_from(rng.below(40 * 86_400)).unwrap_or(0),
                    0,
                )
                .expect("instant");
                let d = BusinessDuration::from_secs(rng.below(200 * 3600));
                let p = cal.position(a).expect("inside the window");
                assert_eq!(
                    cal.add_from(a, p, d).ok(),
                    cal.add_slow(a, d).ok(),
                    "add {a} {d}"
                );
                assert_eq!(cal.add(a, d).ok(), cal.add_slow(a, d).ok(), "add {a} {d}");
                let q = cal.position(b).expect("inside the window");
                let mut scanned: i128 = 0;
                let (a_ns, b_ns) = (super::to_ns(a), super::to_ns(b));
                cal.scan(a.timestamp(), Some(b.timestamp() + 1), |s, e| {
                    let lo = (i128::from(s) * super::NS).max(a_ns);
                    let hi = (i128::from(e) * super::NS).min(b_ns);
                    if hi > lo {
                        scanned += hi - lo;
                    }
                    super::Step::Continue
                });
                let scanned = u64::try_from(scanned / super::NS).unwrap_or(0);
                assert_eq!(p.until(q).as_secs(), scanned, "between {a} {b}");
                assert_eq!(
                    cal.between(a, b).ok().map(BusinessDuration::as_secs),
                    Some(scanned)
                );
            }
        }
    }
}
