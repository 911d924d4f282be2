//! [`InteropError`], the one error type of this crate.

use itsm_core::Violation;

/// Everything that can go wrong in `itsm-interop`.
///
/// Messages are lower-case and name the format, the JSON path and the
/// offending value. A value that is merely unusual (an unknown state code, a
/// reference nobody can resolve) is not an error: it is reported in the
/// [`LossReport`](crate::LossReport) and kept in the record's extensions.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InteropError {
    /// Text that does not parse as the expected JSON (a mapping file, options).
    #[error("invalid JSON at {path}: {message}")]
    Json {
        /// The JSON path of the offending value (`.` for the document itself).
        path: String,
        /// What the parser reported.
        message: String,
    },
    /// A source record lacks a field without which it cannot be converted.
    #[error("{format} record: {path} is required but missing")]
    Missing {
        /// The source format (`servicenow`, `tmf621_v5`, …).
        format: &'static str,
        /// The JSON path of the missing field.
        path: String,
    },
    /// A source record is not shaped as the format requires.
    #[error("{format} record: {path} = {value}: {reason}")]
    InvalidValue {
        /// The source format.
        format: &'static str,
        /// The JSON path of the offending value (`.` for the record itself).
        path: String,
        /// The offending value, as JSON (shortened past 80 characters).
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A record type that this format's mapping does not know.
    #[error(
        "{format} record: {path} = {value_q} is not a known record type (expected one of {expected})"
    , value_q = itsm_core::quoted(value))]
    UnknownType {
        /// The source format.
        format: &'static str,
        /// The JSON path of the type field.
        path: String,
        /// The type found.
        value: String,
        /// The accepted types, comma-separated.
        expected: String,
    },
    /// A mapping (code tables, relationship types, options) broke one or
    /// more rules; every problem is listed with its JSON path.
    #[error("{} problem(s) in the {name} mapping: {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidMapping {
        /// Which mapping (`servicenow`, `jira`, `tmf`).
        name: &'static str,
        /// Every problem found.
        problems: Vec<Violation>,
    },
    /// The converted record does not decode as our type (a bug in a mapping
    /// table that escaped validation; never expected).
    #[error("converted {kind} does not decode: {message}")]
    Record {
        /// The kind of record being built.
        kind: &'static str,
        /// What serde reported.
        message: String,
    },
}

/// A JSON value as text for a message, shortened past 80 characters.
pub(crate) fn shown(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= 80 {
        text
    } else {
        let mut short: String = text.chars().take(77).collect();
        short.push_str("...");
        short
    }
}
