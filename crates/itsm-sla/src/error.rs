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
    #[error("calendar {name_q} is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), name_q = itsm_core::quoted(name))]
    InvalidCalendar {
        /// The calendar's name.
        name: String,
        /// Every problem found.
        problems: Vec<Violation>,
    },
    /// A search for working time gave up: the calendar has no working time
    /// after the given instant within the search bound.
    #[error("calendar {calendar_q} has no working time after {after}", calendar_q = itsm_core::quoted(calendar))]
    NoWorkingTime {
        /// The calendar's name.
        calendar: String,
        /// Where the search started (RFC 3339).
        after: String,
    },
    /// A search for the end of working time gave up: the calendar works
    /// without interruption after the given instant (a 24×7 calendar never closes).
    #[error("calendar {calendar_q} never closes after {after}", calendar_q = itsm_core::quoted(calendar))]
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
    /// An SLA definition breaks one or more rules; every problem is listed,
    /// each with the JSON path of the offending field.
    #[error("sla definition {name_q} is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "), name_q = itsm_core::quoted(name))]
    InvalidDefinition {
        /// The definition's name.
        name: String,
        /// Every problem found.
        problems: Vec<Violation>,
    },
    /// The calendar passed to the clock is not the one the definition names.
    #[error(
        "sla definition {definition_q} uses calendar {expected_q} but was evaluated with calendar {actual_q}"
    , definition_q = itsm_core::quoted(definition), expected_q = itsm_core::quoted(expected), actual_q = itsm_core::quoted(actual))]
    CalendarMismatch {
        /// The definition's name.
        definition: String,
        /// The calendar the definition names (`24x7` for the built-in one).
        expected: String,
        /// The calendar that was passed.
        actual: String,
    },
    /// The timeline breaks the rules of
    /// [`Timeline::validate`](itsm_core::Timeline::validate) in the events
    /// up to the evaluation instant (out of order, a `created` event not
    /// first, a state change from a state the record was not in): the same
    /// timelines `itsm validate timeline` refuses.
    #[error("the timeline is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidTimeline {
        /// Every problem found, with its path (`events[2].from`).
        problems: Vec<Violation>,
    },
    /// A definition with `retroactive_start` was evaluated over a timeline
    /// without a `created` event, so there is no opened time to start from.
    #[error(
        "sla definition {definition_q} starts retroactively but the timeline has no created event (no opened time)"
    , definition_q = itsm_core::quoted(definition))]
    NoOpenedTime {
        /// The definition's name.
        definition: String,
    },
    /// A what-if breaks one or more rules; every problem is listed, each
    /// with its path in the what-if document (`definition.goals[0]`,
    /// `edits[2].from`).
    #[error("the what-if is invalid: {}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidWhatIf {
        /// Every problem found.
        problems: Vec<Violation>,
    },
    /// An explanation would list more segments than allowed.
    #[error("the explanation would list more than {limit} segments")]
    TooManySegments {
        /// The limit.
        limit: usize,
    },
    /// A duration is neither whole seconds nor an ISO 8601 duration of
    /// hours, minutes and seconds; the message says why.
    #[error("{message}")]
    InvalidDuration {
        /// The text given.
        text: String,
        /// What is wrong with it, naming the text.
        message: String,
    },
    /// A string is not a known name of one of this crate's enumerations.
    #[error("invalid {field} {value_q}: expected one of {expected}", value_q = itsm_core::quoted(value))]
    InvalidName {
        /// The type being parsed.
        field: &'static str,
        /// The text that failed to parse.
        value: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
}
