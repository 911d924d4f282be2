//! Local wall time: the only module that turns local times into instants.
//!
//! The DST rules live here and nowhere else:
//! - a local time in a gap (spring forward, or a skipped day such as
//!   Pacific/Apia's 30 December 2011) moves forward by the length of the gap,
//!   so 01:30 on a day whose 01:00–02:00 does not exist is 02:30;
//! - a local time in a fold (autumn back) takes the earlier instant.
//!
//! Every instant here is whole seconds since the Unix epoch (`i64`); dates
//! are walked as civil dates, never by adding 86,400 seconds.

use std::str::FromStr;

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

/// First supported instant: 1900-01-01T00:00:00Z.
pub(crate) const MIN_SECS: i64 = -2_208_988_800;
/// First unsupported instant: 2200-01-01T00:00:00Z.
pub(crate) const MAX_SECS: i64 = 7_258_118_400;

/// The supported range of local dates (half-open), with a margin of days
/// inside [`MIN_SECS`, `MAX_SECS`) so that every zone's local dates resolve.
pub(crate) fn supported_dates() -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(2200, 1, 1).unwrap_or(NaiveDate::MAX),
    )
}

/// The zone named `name`, if it is an IANA name.
pub(crate) fn parse_zone(name: &str) -> Option<Tz> {
    Tz::from_str(name).ok()
}

/// The UTC offset in seconds in effect at `secs`.
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

/// The instant of local wall time `secs` seconds after the local midnight
/// starting `date` (`secs` may exceed a day: overnight shifts end on the next
/// date), with the gap and fold rules of this module. `None` only outside
/// chrono's range.
pub(crate) fn resolve(tz: &Tz, date: NaiveDate, secs: u32) -> Option<i64> {
    let local: NaiveDateTime = date
        .and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::seconds(i64::from(secs)))?;
    resolve_naive(tz, local)
}

/// [`resolve`] for a local date-time.
pub(crate) fn resolve_naive(tz: &Tz, local: NaiveDateTime) -> Option<i64> {
    let wall = local.and_utc().timestamp();
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.timestamp()),
        LocalResult::Ambiguous(a, b) => Some(a.timestamp().min(b.timestamp())),
        LocalResult::None => {
            // In a gap: find the transition T, the first instant whose local
            // time is after `local`; the offset before it is o_b, and
            // `local - o_b` is `local` moved forward by the gap's length.
            // Offsets are within ±26 hours and gaps at most a day, so T lies
            // within two days of `wall`.
            let (mut lo, mut hi) = (wall - 2 * 86_400, wall + 2 * 86_400);
            if lo + offset_at(tz, lo) > wall || hi + offset_at(tz, hi) <= wall {
                return None;
            }
            // Invariant: local(lo) <= wall < local(hi).
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if mid + offset_at(tz, mid) > wall {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            Some(wall - offset_at(tz, hi - 1))
        }
    }
}

/// The local date-time (wall clock) of instant `t` in `tz`.
pub(crate) fn wall(tz: &Tz, t: DateTime<Utc>) -> NaiveDateTime {
    tz.from_utc_datetime(&t.naive_utc()).naive_local()
}

/// The local date of the instant `secs` in `tz`.
pub(crate) fn local_date(tz: &Tz, secs: i64) -> Option<NaiveDate> {
    let t = DateTime::from_timestamp(secs, 0)?;
    Some(wall(tz, t).date())
}
