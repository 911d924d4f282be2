//! The three units of SLA time, which never convert into one another:
//! business time ([`BusinessDuration`]), working days and calendar days
//! (both variants of [`DurationSpec`]).

use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// An amount of business time: working seconds counted by a calendar.
///
/// Whole seconds. On the wire it is written as an integer number of
/// seconds, and read from one or from an ISO 8601 duration of hours,
/// minutes and seconds (`"PT4H30M"`), the form people write by hand; the
/// same text parses with [`FromStr`](std::str::FromStr). Arithmetic
/// saturates (it never overflows or panics): `a - b` is zero when `b > a`.
/// Use [`checked_add`](Self::checked_add) and [`checked_sub`](Self::checked_sub)
/// to detect it.
///
/// ```
/// use itsm_sla::BusinessDuration;
/// let four_hours = BusinessDuration::from_hours(4);
/// assert_eq!(four_hours.as_secs(), 14_400);
/// assert_eq!(four_hours - BusinessDuration::from_minutes(30), BusinessDuration::from_secs(12_600));
/// assert_eq!(BusinessDuration::ZERO - four_hours, BusinessDuration::ZERO);
/// assert_eq!(four_hours.to_string(), "4:00:00");
/// assert_eq!("PT4H".parse::<BusinessDuration>()?, four_hours);
/// let read: BusinessDuration = serde_json::from_str("\"PT3H30M\"")?;
/// assert_eq!(serde_json::to_string(&read)?, "12600");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct BusinessDuration(u64);

impl std::str::FromStr for BusinessDuration {
    type Err = crate::SlaError;

    /// Whole seconds (`16200`) or ISO 8601 hours, minutes and seconds
    /// (`PT4H30M`, designators in either case). Days, weeks, months, years,
    /// fractions and signs are refused with a message that says why.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        crate::iso8601::parse_seconds(text)
            .map(Self)
            .map_err(|message| crate::SlaError::InvalidDuration {
                text: text.to_owned(),
                message,
            })
    }
}

impl<'de> Deserialize<'de> for BusinessDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Seconds;
        impl serde::de::Visitor<'_> for Seconds {
            type Value = BusinessDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("whole seconds (14400) or an ISO 8601 duration (\"PT4H\")")
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(BusinessDuration(v))
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map(BusinessDuration)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                crate::iso8601::parse_seconds(v)
                    .map(BusinessDuration)
                    .map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Seconds)
    }
}

impl JsonSchema for BusinessDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "BusinessDuration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Business time: whole working seconds. Written as an integer; read from an integer or from an ISO 8601 duration of hours, minutes and seconds (\"PT4H30M\"). Days are not business time: use working_days or calendar_days.",
            "anyOf": [
                { "type": "integer", "format": "uint64", "minimum": 0 },
                { "type": "string", "pattern": "^([0-9]+|[Pp][Tt]([0-9]+[Hh])?([0-9]+[Mm])?([0-9]+[Ss])?)$" }
            ]
        })
    }
}

impl BusinessDuration {
    /// No business time.
    pub const ZERO: Self = Self(0);
    /// The largest representable amount.
    pub const MAX: Self = Self(u64::MAX);

    /// `secs` seconds of business time.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self(secs)
    }

    /// `minutes` minutes of business time (saturating).
    #[must_use]
    pub const fn from_minutes(minutes: u64) -> Self {
        Self(minutes.saturating_mul(60))
    }

    /// `hours` hours of business time (saturating).
    #[must_use]
    pub const fn from_hours(hours: u64) -> Self {
        Self(hours.saturating_mul(3600))
    }

    /// The number of whole seconds.
    #[must_use]
    pub const fn as_secs(self) -> u64 {
        self.0
    }

    /// Whether this is zero.
    #[must_use]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + other`, or `None` on overflow.
    #[must_use]
    pub const fn checked_add(self, other: Self) -> Option<Self> {
        match self.0.checked_add(other.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// `self - other`, or `None` when `other > self`.
    #[must_use]
    pub const fn checked_sub(self, other: Self) -> Option<Self> {
        match self.0.checked_sub(other.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }
}

impl Add for BusinessDuration {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for BusinessDuration {
    fn add_assign(&mut self, rhs: Self) {
        *self = *self + rhs;
    }
}

impl Sub for BusinessDuration {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Self(self.0.saturating_sub(rhs.0))
    }
}

impl SubAssign for BusinessDuration {
    fn sub_assign(&mut self, rhs: Self) {
        *self = *self - rhs;
    }
}

impl std::iter::Sum for BusinessDuration {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

impl BusinessDuration {
    /// The amount for people, in hours and minutes of business time:
    /// `2 h 26 min`, `45 min`, `4 h`, `40 s` under a minute, `0 min` for none.
    /// Hours are not turned into days: a business day's length is the
    /// calendar's, not 24 hours.
    ///
    /// ```
    /// use itsm_sla::BusinessDuration;
    /// assert_eq!(BusinessDuration::from_minutes(146).humanized(), "2 h 26 min");
    /// assert_eq!(BusinessDuration::from_hours(30).humanized(), "30 h");
    /// ```
    #[must_use]
    pub fn humanized(&self) -> String {
        let s = self.0;
        let (h, m) = (s / 3600, (s / 60) % 60);
        match (h, m) {
            (0, 0) if s > 0 => format!("{s} s"),
            (0, m) => format!("{m} min"),
            (h, 0) => format!("{h} h"),
            (h, m) => format!("{h} h {m} min"),
        }
    }
}

impl fmt::Display for BusinessDuration {
    /// `H:MM:SS`, hours unbounded: `42:30:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        write!(f, "{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
    }
}

/// An amount of SLA time in one of three units that never convert silently.
///
/// On the wire: `{"unit": "business_time", "seconds": 14400}`,
/// `{"unit": "working_days", "days": 3, "end_of_working_day": true}` or
/// `{"unit": "calendar_days", "days": 5}`. Apply one with
/// [`CompiledCalendar::add_span`](crate::CompiledCalendar::add_span).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "unit", rename = "DurationSpec")]
#[non_exhaustive]
pub enum DurationSpec {
    /// Working seconds counted by the calendar.
    BusinessTime {
        /// The business time.
        seconds: BusinessDuration,
    },
    /// The same local wall time (or the close of business, with
    /// `end_of_working_day`) on the N-th working day after the start's local date.
    WorkingDays {
        /// N.
        days: u32,
        /// Land on the closing instant of that working day instead of the start's wall time.
        #[serde(default)]
        end_of_working_day: bool,
    },
    /// The same local wall time N local days later in the calendar's zone
    /// (23, 24 or 25 hours per day across DST changes).
    CalendarDays {
        /// N.
        days: u32,
    },
}

itsm_core::internally_tagged!(DurationSpec, "unit");

impl fmt::Display for DurationSpec {
    /// For people and messages: `4 h of business time`, `3 working days`,
    /// `2 working days, at the close of business`, `5 calendar days`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BusinessTime { seconds } => write!(f, "{} of business time", seconds.humanized()),
            Self::WorkingDays {
                days,
                end_of_working_day,
            } => {
                write!(f, "{days} working day{}", if *days == 1 { "" } else { "s" })?;
                if *end_of_working_day {
                    f.write_str(", at the close of business")?;
                }
                Ok(())
            }
            Self::CalendarDays { days } => {
                write!(
                    f,
                    "{days} calendar day{}",
                    if *days == 1 { "" } else { "s" }
                )
            }
        }
    }
}
