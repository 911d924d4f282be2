//! [`SlaError`], the one error type of this crate.

use itsm_core::Violation;

/// Everything that can go wrong in `itsm-sla`.
///
/// Messages are lower-case and name the field and the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SlaError {
    /// A business calendar breaks one or more rules; every problem is listed,
    /// each with the JSON path of the offending field.
    #[error("calendar {name:?} is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidCalendar {
        /// The calendar's name.
        name: String,
        /// Every problem found.
        problems: Vec<Violation>,
    },
    /// A search for working time gave up: the calendar has no working time
    /// after the given instant within the search bound.
    #[error("calendar {calendar:?} has no working time after {after}")]
    NoWorkingTime {
        /// The calendar's name.
        calendar: String,
        /// Where the search started (RFC 3339).
        after: String,
    },
    /// A search for the end of working time gave up: the calendar works
    /// without interruption after the given instant (a 24×7 calendar never closes).
    #[error("calendar {calendar:?} never closes after {after}")]
    NeverCloses {
        /// The calendar's name.
        calendar: String,
        /// Where the search started (RFC 3339).
        after: String,
    },
    /// An instant, given or computed, lies outside the range supported by
    /// business-time arithmetic: from 1900-01-01T00:00:00Z (inclusive) to
    /// 2200-01-01T00:00:00Z (inclusive).
    #[error(
        "{what} {value} is outside the supported range 1900-01-01T00:00:00Z to 2200-01-01T00:00:00Z"
    )]
    OutOfRange {
        /// What was out of range, such as `start instant` or `result of add`.
        what: &'static str,
        /// The value, or a description of it when it cannot be represented.
        value: String,
    },
    /// JSON that does not parse as the expected type.
    #[error("invalid JSON at {path}: {message}")]
    Json {
        /// The JSON path of the offending value (`.` for the document itself).
        path: String,
        /// What serde reported, with line and column.
        message: String,
    },
}
