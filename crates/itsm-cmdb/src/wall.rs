//! Local wall time: the only module of this crate that turns local times
//! into instants, for the recurring windows of a change schedule.
//!
//! The DST rules are those of `itsm-sla`'s business calendars, and live
//! here and nowhere else in this crate:
//! - a local time in a gap (spring forward) moves forward by the length of
//!   the gap, so 02:30 on a day whose 02:00–03:00 does not exist is 03:30;
//! - a local time in a fold (autumn back) takes the earlier instant.
//!
//! Dates are walked as civil dates (`NaiveDate::succ_opt`), never by adding
//! 86,400 seconds, and every walk is bounded by its caller's interval.

use chrono::{
    DateTime, Datelike, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc,
    Weekday,
};
use chrono_tz::Tz;

/// Seconds in a nominal day of wall-clock time (a time of day, never a
/// step between days).
pub(crate) const DAY: u32 = 86_400;

/// The earliest local date a recurring window may name (`from`, `until`).
pub(crate) fn first_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// The first local date a recurring window may not name.
pub(crate) fn end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2200, 1, 1).unwrap_or(NaiveDate::MAX)
}

/// The zone named `name`, if it is an IANA name.
pub(crate) fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// A local time of day `"HH:MM"` or `"HH:MM:SS"` as seconds after
/// midnight; `"24:00"` only when `allow_24`.
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
    (secs < DAY || (allow_24 && secs == DAY)).then_some(secs)
}

/// The UTC offset in seconds in effect at `secs` after the epoch.
fn offset_at(tz: &Tz, secs: i64) -> i64 {
    match DateTime::from_timestamp(secs, 0) {
        Some(t) => i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        ),
        None => 0,
    }
}

/// The instant of the local wall time `secs` seconds after the local
/// midnight starting `date` (`secs` may pass a day: an overnight window
/// ends on the next date, reached as a civil date), with this module's gap
/// and fold rules. `None` only outside chrono's range.
pub(crate) fn resolve(tz: &Tz, date: NaiveDate, secs: u32) -> Option<DateTime<Utc>> {
    let local: NaiveDateTime = date
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::seconds(i64::from(secs)))?;
    let wall = local.and_utc().timestamp();
    let at = match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, b) => a.timestamp().min(b.timestamp()),
        LocalResult::None => {
            // In a gap: find the transition T, the first instant whose
            // local time is after `local`; `local - offset before T` is
            // `local` moved forward by the gap's length. Offsets are within
            // ±26 hours and gaps at most a day, so T lies within two days
            // of `wall`. The bisection takes at most 19 steps.
            let (mut lo, mut hi) = (wall - 2 * 86_400, wall + 2 * 86_400);
            if lo + offset_at(tz, lo) > wall || hi + offset_at(tz, hi) <= wall {
                return None;
            }
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if mid + offset_at(tz, mid) > wall {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            wall - offset_at(tz, hi - 1)
        }
    };
    DateTime::from_timestamp(at, 0)
}

/// The local date of the instant `t` in `tz`; at the ends of chrono's
/// range, where the local time cannot be written, the first or last date.
pub(crate) fn local_date(tz: &Tz, t: DateTime<Utc>) -> NaiveDate {
    let utc = t.naive_utc();
    let offset = tz.offset_from_utc_datetime(&utc).fix();
    match utc.checked_add_offset(offset) {
        Some(local) => local.date(),
        None if offset.local_minus_utc() > 0 => NaiveDate::MAX,
        None => NaiveDate::MIN,
    }
}

/// Which dates of a recurring window have an occurrence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum DayRule {
    /// These weekdays: bit `d` for `Weekday::num_days_from_monday() == d`.
    Weekly(u8),
    /// The `nth` (1 to 4, or 0 for the last) given weekday of each month.
    Monthly { nth: u8, day: Weekday },
}

impl DayRule {
    fn matches(self, date: NaiveDate) -> bool {
        match self {
            Self::Weekly(mask) => mask & (1 << date.weekday().num_days_from_monday()) != 0,
            Self::Monthly { nth, day } => {
                if date.weekday() != day {
                    return false;
                }
                if nth == 0 {
                    // The last one: a week later is another month.
                    return date
                        .checked_add_days(chrono::Days::new(7))
                        .is_none_or(|later| later.month() != date.month());
                }
                (date.day() - 1) / 7 + 1 == u32::from(nth)
            }
        }
    }
}

/// A recurring window, compiled: on each date its rule matches (within
/// `from..=until`), from `start` to `end` seconds of local wall time after
/// that date's midnight (`end` past [`DAY`] for a window that ends on the
/// next date).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Recurrence {
    pub(crate) tz: Tz,
    pub(crate) rule: DayRule,
    pub(crate) start: u32,
    pub(crate) end: u32,
    pub(crate) from: Option<NaiveDate>,
    pub(crate) until: Option<NaiveDate>,
}

/// An occurrence or a part of one: `[start, end)`.
pub(crate) type Span = (DateTime<Utc>, DateTime<Utc>);

impl Recurrence {
    /// Appends the occurrences that overlap `[from, to)`, in order, unclipped.
    ///
    /// Walks the local dates from two days before `from`'s (an occurrence
    /// lasts at most a day and a DST hour, so none that starts earlier
    /// reaches `from`) to `to`'s: at most the interval's length in days
    /// plus four dates. An occurrence whose end is not after its start once
    /// resolved (a window inside a DST gap, whose end moved back past its
    /// moved start) is empty and skipped.
    pub(crate) fn occurrences(&self, from: DateTime<Utc>, to: DateTime<Utc>, out: &mut Vec<Span>) {
        let tz = &self.tz;
        let last = local_date(tz, to);
        let mut date = local_date(tz, from)
            .checked_sub_days(chrono::Days::new(2))
            .unwrap_or(NaiveDate::MIN);
        if let Some(first) = self.from {
            date = date.max(first);
        }
        let last = self.until.map_or(last, |u| u.min(last));
        while date <= last {
            if self.rule.matches(date)
                && let (Some(s), Some(e)) =
                    (resolve(tz, date, self.start), resolve(tz, date, self.end))
                && s < e
                && s < to
                && e > from
            {
                out.push((s, e));
            }
            match date.succ_opt() {
                Some(next) => date = next,
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("an instant")
            .with_timezone(&Utc)
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn gaps_move_forward_and_folds_take_the_earlier_instant() {
        let paris: Tz = "Europe/Paris".parse().expect("a zone");
        let london: Tz = "Europe/London".parse().expect("a zone");
        // (zone, local date, local seconds, expected instant)
        let cases = [
            // Paris springs forward on 2026-03-29 at 02:00 to 03:00.
            (paris, "2026-03-29", 2 * 3600 + 1800, "2026-03-29T01:30:00Z"),
            (paris, "2026-03-29", 3 * 3600, "2026-03-29T01:00:00Z"),
            (paris, "2026-03-29", 3600 + 1800, "2026-03-29T00:30:00Z"),
            // London falls back on 2026-10-25 at 02:00 to 01:00: 01:30 twice.
            (london, "2026-10-25", 3600 + 1800, "2026-10-25T00:30:00Z"),
            (london, "2026-10-25", 2 * 3600, "2026-10-25T02:00:00Z"),
            // An overnight end on the next civil date.
            (london, "2026-10-24", DAY + 3600, "2026-10-25T00:00:00Z"),
        ];
        for (tz, d, secs, expected) in cases {
            assert_eq!(
                resolve(&tz, date(d), secs),
                Some(at(expected)),
                "{tz} {d} +{secs}s"
            );
        }
    }

    #[test]
    fn monthly_rules_pick_the_nth_and_the_last_weekday() {
        let second_tuesday = DayRule::Monthly {
            nth: 2,
            day: Weekday::Tue,
        };
        let last_friday = DayRule::Monthly {
            nth: 0,
            day: Weekday::Fri,
        };
        // (rule, date, matches): March 2026 starts on a Sunday.
        let cases = [
            (second_tuesday, "2026-03-10", true),
            (second_tuesday, "2026-03-03", false),
            (second_tuesday, "2026-03-17", false),
            (second_tuesday, "2026-03-11", false),
            (last_friday, "2026-03-27", true),
            (last_friday, "2026-03-20", false),
            (last_friday, "2026-12-25", true),
        ];
        for (rule, d, expected) in cases {
            assert_eq!(rule.matches(date(d)), expected, "{rule:?} {d}");
        }
    }

    #[test]
    fn times_parse_as_the_calendars_do() {
        let cases = [
            ("02:00", false, Some(7200)),
            ("23:59:59", false, Some(DAY - 1)),
            ("24:00", true, Some(DAY)),
            ("24:00", false, None),
            ("2:00", false, None),
            ("02:60", false, None),
            ("ab:cd", false, None),
            ("", false, None),
        ];
        for (text, allow_24, expected) in cases {
            assert_eq!(parse_time(text, allow_24), expected, "{text:?}");
        }
    }
}
