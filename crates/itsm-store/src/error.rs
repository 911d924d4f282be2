//! [`StoreError`]: every way a store call can fail.

use crate::model::{EventId, ExpectedVersion, StreamId, StreamKind};

/// Every way a store call can fail. A failed write has written nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no backend we know, or is malformed.
    #[error("invalid store url {url_q}: {reason}", url_q = itsm_core::quoted(url))]
    InvalidUrl {
        /// The URL as given (a password in it is masked).
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The database or the connection failed.
    #[error("{backend}: {operation} failed: {message}")]
    Backend {
        /// `sqlite` or `postgres`.
        backend: &'static str,
        /// What the store was doing.
        operation: &'static str,
        /// The database's own message.
        message: String,
    },
    /// The stream is not at the version the append expected: somebody else
    /// wrote first. Load the stream again and retry on the new state.
    #[error(
        "version conflict on stream {stream}: expected {expected}, actual {}",
        actual.map_or_else(|| "no stream".to_owned(), |v| format!("version {v}"))
    )]
    VersionConflict {
        /// The stream.
        stream: StreamId,
        /// What the append expected.
        expected: ExpectedVersion,
        /// The stream's version (`None`: the stream does not exist).
        actual: Option<u64>,
    },
    /// The stream exists with another kind than the one the call names.
    #[error("stream {stream} is a {actual} stream, not a {expected} stream")]
    WrongStreamKind {
        /// The stream.
        stream: StreamId,
        /// The kind the call named.
        expected: StreamKind,
        /// The kind the stream has.
        actual: StreamKind,
    },
    /// Some events of the batch are stored already and others are not, or an
    /// event id is stored in another stream: this is not a retry of one append.
    #[error("event {event_id}: {reason}")]
    IdempotencyMismatch {
        /// The first event id concerned.
        event_id: EventId,
        /// What does not match.
        reason: String,
    },
    /// A payload is not the JSON its event type requires.
    #[error("{at}: corrupt {event_type_q} payload at {path}: {message}", event_type_q = itsm_core::quoted(event_type))]
    CorruptPayload {
        /// Where the payload is: `events[2]` of an append, or `position 17`.
        at: String,
        /// The event type.
        event_type: String,
        /// The JSON path of the problem inside the payload (`.` for the root).
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A payload's schema version is newer than this code knows.
    #[error(
        "{at}: {event_type_q} payload of schema version {version} is unknown: this code reads versions 1 to {known}"
    , event_type_q = itsm_core::quoted(event_type))]
    UnknownSchemaVersion {
        /// Where the payload is.
        at: String,
        /// The event type.
        event_type: String,
        /// The payload's version.
        version: u32,
        /// The newest version this code knows.
        known: u32,
    },
    /// A payload of an older schema version has no converter to the next one.
    #[error("{at}: no upcaster converts {event_type_q} payloads from version {from}", event_type_q = itsm_core::quoted(event_type))]
    MissingUpcaster {
        /// Where the payload is.
        at: String,
        /// The event type.
        event_type: String,
        /// The version without a converter.
        from: u32,
    },
    /// An upcaster failed on a payload.
    #[error("{at}: upcasting {event_type_q} from version {from} failed: {message}", event_type_q = itsm_core::quoted(event_type))]
    UpcastFailed {
        /// Where the payload is.
        at: String,
        /// The event type.
        event_type: String,
        /// The version it started from.
        from: u32,
        /// The upcaster's message.
        message: String,
    },
    /// An event's type is not the one the caller decodes.
    #[error("{at}: event type is {actual_q}, not {expected_q}", actual_q = itsm_core::quoted(actual), expected_q = itsm_core::quoted(expected))]
    WrongEventType {
        /// Where the event is.
        at: String,
        /// The type the caller asked for.
        expected: &'static str,
        /// The stored type.
        actual: String,
    },
    /// The database was written by a newer version of this crate.
    #[error(
        "{location}: the database has schema version {found}, newer than the {supported} this code knows; upgrade itsm-store before opening it"
    )]
    SchemaTooNew {
        /// The database (URL with the password masked).
        location: String,
        /// Its schema version.
        found: u32,
        /// The newest this code knows.
        supported: u32,
    },
    /// A migration failed; the database is as it was before it.
    #[error("migration {version} ({name}) failed: {message}")]
    Migration {
        /// The migration's number.
        version: u32,
        /// Its name.
        name: &'static str,
        /// The database's message.
        message: String,
    },
    /// A call's arguments are not usable; every problem is listed.
    #[error("invalid {what}: {}", problems.join("; "))]
    Invalid {
        /// What was checked (`append to stream …`, `stream kind`).
        what: String,
        /// Every problem, each naming its path and value.
        problems: Vec<String>,
    },
    /// A projector could not fold a stream's events.
    #[error("stream {stream}: projection failed at version {version}: {message}")]
    Projection {
        /// The stream.
        stream: StreamId,
        /// The event's version in the stream.
        version: u64,
        /// What went wrong.
        message: String,
    },
    /// The stored CMDB was saved by another writer since it was loaded.
    #[error(
        "cmdb conflict: loaded at version {expected}, the database is at version {actual}; load it again and reapply the change"
    )]
    CmdbConflict {
        /// The version the caller loaded.
        expected: u64,
        /// The database's version.
        actual: u64,
    },
    /// The stored CMDB does not load into a valid [`itsm_cmdb::Cmdb`].
    #[error("stored cmdb: {0}")]
    Cmdb(#[from] itsm_cmdb::CmdbError),
}

/// Shorthand for results of this crate.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

impl StoreError {
    pub(crate) fn invalid(what: impl Into<String>, problems: Vec<String>) -> Self {
        Self::Invalid {
            what: what.into(),
            problems,
        }
    }
}
