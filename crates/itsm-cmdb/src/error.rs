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
}
