//! [`CmdbError`], the one error type of this crate.

/// Everything that can go wrong in `itsm-cmdb`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CmdbError {
    /// A CI id that the CMDB does not hold.
    #[error("unknown configuration item {id}")]
    UnknownCi {
        /// The id, as text.
        id: String,
    },
    /// CMDB data (definitions, CIs or relationships) broke one or more rules;
    /// every problem is listed, each with its JSON path (`cis[12].attributes.ram_gb`).
    #[error("{} problem(s) in cmdb data: {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid {
        /// Every problem found.
        problems: Vec<itsm_core::Violation>,
    },
    /// A change schedule broke one or more rules; every problem is listed,
    /// each with its JSON path in the schedule (`blackouts[2].when.weekly.time_zone`).
    #[error("{} problem(s) in the change schedule: {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidSchedule {
        /// Every problem found.
        problems: Vec<itsm_core::Violation>,
    },
    /// A change cannot be checked against a schedule; every problem is
    /// listed, each with its JSON path in the change (`planned_end`).
    #[error("{} problem(s) in the change: {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidChange {
        /// Every problem found.
        problems: Vec<itsm_core::Violation>,
    },
    /// A CI with this id already exists.
    #[error("configuration item {id} already exists")]
    DuplicateCi {
        /// The id, as text.
        id: String,
    },
    /// A relationship that the CMDB does not hold.
    #[error("unknown relationship {source_id} {relationship_type} {target_id}")]
    UnknownRelationship {
        /// The source CI's id, as text.
        source_id: String,
        /// The relationship type key.
        relationship_type: String,
        /// The target CI's id, as text.
        target_id: String,
    },
    /// No governance rule allows a relationship between these classes.
    #[error(
        "no rule allows {source_class} {relationship_type} {target_class} (nor any rule for their ancestors)"
    )]
    RelationshipNotAllowed {
        /// The source CI's class.
        source_class: String,
        /// The relationship type key.
        relationship_type: String,
        /// The target CI's class.
        target_class: String,
    },
    /// Removing a CI that a dependent relationship requires.
    #[error(
        "cannot remove configuration item {id}: {dependent} requires it through {relationship_type}, a dependent relationship"
    )]
    RequiredByDependent {
        /// The CI that was to be removed.
        id: String,
        /// The CI that cannot exist without it.
        dependent: String,
        /// The dependent relationship type.
        relationship_type: String,
    },
    /// An incoming record cannot be identified: no identification rule
    /// applies to its class, or it carries none of the identifying attribute sets.
    #[error("cannot identify a record of class {class_q}: {reason}", class_q = itsm_core::quoted(class))]
    Unidentifiable {
        /// The record's class.
        class: String,
        /// Why, in a sentence.
        reason: String,
    },
    /// JSON that does not parse as CMDB data.
    #[error("invalid json at {path}: {message}")]
    Json {
        /// The JSON path of the offending value (`.` for the document itself).
        path: String,
        /// What the parser reported, with line and column.
        message: String,
    },
    /// A query named a relationship type that the graph index does not know.
    #[error("unknown relationship type \"{name}\"")]
    UnknownRelationshipType {
        /// The type key given.
        name: String,
    },
    /// More CIs or relationships than the graph index's packed 32-bit layout can address.
    #[error("graph index capacity exceeded: {message}")]
    IndexCapacity {
        /// What overflowed, with the counts.
        message: String,
    },
    /// A string is not a known name of an enumeration.
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
