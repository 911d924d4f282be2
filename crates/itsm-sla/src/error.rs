//! [`SlaError`], the one error type of this crate.

/// Everything that can go wrong in `itsm-sla`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SlaError {
    /// Placeholder until the calendar work lands its variants.
    #[error("invalid calendar {name:?}")]
    InvalidCalendar {
        /// The calendar's name.
        name: String,
    },
}
