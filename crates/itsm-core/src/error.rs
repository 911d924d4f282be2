//! [`CoreError`], the one error type of this crate.

use crate::{Impact, Priority, Urgency, Violation};

/// Everything that can go wrong in `itsm-core`.
///
/// Messages are lower-case and name the field and the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// A string is not a valid id.
    #[error(
        "invalid {kind} id {value_q}: expected a UUID such as \"0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a5968\""
    , value_q = crate::quoted(value))]
    InvalidId {
        /// The kind of record the id names.
        kind: &'static str,
        /// The text that failed to parse.
        value: String,
    },
    /// A string is not a valid record number.
    #[error("invalid record number {value_q}: {reason}", value_q = crate::quoted(value))]
    InvalidNumber {
        /// The text that failed to parse.
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A string is not a known name of an enumeration.
    #[error("invalid {field} {value_q}: expected one of {expected}", value_q = crate::quoted(value))]
    InvalidName {
        /// The field or type being parsed.
        field: &'static str,
        /// The text that failed to parse.
        value: String,
        /// The accepted names, comma-separated.
        expected: String,
    },
    /// A priority matrix definition is not total or has duplicate cells.
    #[error("priority matrix {name_q} is invalid: {}", problems.join("; "), name_q = crate::quoted(name))]
    InvalidMatrix {
        /// The matrix's name.
        name: String,
        /// Every problem found, one sentence each.
        problems: Vec<String>,
    },
    /// A matrix was asked for a cell it does not define.
    #[error(
        "priority matrix {matrix_q} defines no priority for impact {impact} and urgency {urgency}"
    , matrix_q = crate::quoted(matrix))]
    UndefinedCell {
        /// The matrix's name.
        matrix: String,
        /// The impact looked up.
        impact: Impact,
        /// The urgency looked up.
        urgency: Urgency,
    },
    /// A priority outside the range a matrix may produce.
    #[error("priority {priority} is not produced by matrix {matrix_q}", matrix_q = crate::quoted(matrix))]
    UnknownPriority {
        /// The matrix's name.
        matrix: String,
        /// The priority.
        priority: Priority,
    },
    /// A record broke one or more of its rules.
    #[error("{} rule(s) violated: {}", violations.len(), violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Every violated rule.
        violations: Vec<Violation>,
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
