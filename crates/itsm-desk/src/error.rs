//! [`DeskError`]: every way a desk call can fail. A failed call wrote nothing.

/// Every way a desk call can fail. Nothing is written when a call fails.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    /// The record was changed by someone else since it was read: load it
    /// again and retry on its new state.
    #[error("version conflict on {number}: expected version {expected}, actual {}", actual.map_or_else(|| "none".to_owned(), |v| v.to_string()))]
    VersionConflict {
        /// The record's number.
        number: String,
        /// The version the caller expected.
        expected: u64,
        /// The record's version.
        actual: Option<u64>,
    },
    /// No record has this number.
    #[error("no record {number}")]
    NotFound {
        /// The number asked for.
        number: String,
    },
    /// The command is not allowed on this record (an unknown event, a link
    /// between kinds that do not link, …).
    #[error("{number}: {message}")]
    Refused {
        /// The record's number.
        number: String,
        /// Why.
        message: String,
    },
    /// The lifecycle refused the command (not allowed in this state, a
    /// guard or a required field failed).
    #[error("{number}: {source}")]
    Lifecycle {
        /// The record's number.
        number: String,
        /// The lifecycle's error.
        #[source]
        source: Box<itsm_lifecycle::LifecycleError>,
    },
    /// An order from the service catalog was refused; every problem is
    /// listed with its path (`variables.memory_gb`, `quantity`).
    #[error("order of catalog item {catalog_item} refused: {} problem(s): {}", problems.len(), problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Order {
        /// The catalog item ordered.
        catalog_item: String,
        /// Every problem of the order.
        problems: Vec<itsm_core::Violation>,
    },
    /// An SLA could not be evaluated.
    #[error("{number}: sla {definition_q}: {source}", definition_q = itsm_core::quoted(definition))]
    Sla {
        /// The record's number.
        number: String,
        /// The SLA definition.
        definition: String,
        /// The clock's error.
        #[source]
        source: itsm_sla::SlaError,
    },
    /// The configuration has problems; every one is listed with its file
    /// and JSON path.
    #[error("invalid desk configuration: {} problem(s): {}", problems.len(), problems.join("; "))]
    Config {
        /// Each problem, naming its file and path.
        problems: Vec<String>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] itsm_store::StoreError),
    /// The stored CMDB failed.
    #[error(transparent)]
    Cmdb(#[from] itsm_cmdb::CmdbError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = DeskError> = std::result::Result<T, E>;
