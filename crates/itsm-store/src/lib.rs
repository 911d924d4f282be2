//! The database of the `itsm` crates: every record's history as an event
//! stream, its current state as a projection written in the same
//! transaction, SLA clock state with a due index, and the CMDB with its
//! change history — on embedded SQLite or on a shared PostgreSQL.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use itsm_core::{Incident, IncidentId, PersonId, RecordNumber};
//! use itsm_store::{
//!     AppendRequest, DocumentProjector, EventId, ExpectedVersion, NewEvent, Record, RecordOpened,
//!     Store, StoreError, StreamId, StreamKind,
//! };
//!
//! let mut store = Store::open("sqlite::memory:")?;
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 0).unwrap();
//! let incident = Incident::new(
//!     IncidentId::from_u128(1),
//!     "INC0001234".parse::<RecordNumber>()?,
//!     PersonId::from_u128(7),
//!     "Payroll portal returns HTTP 500",
//!     at,
//! );
//! let stream = StreamId::from(incident.id);
//! let record = Record::Incident(incident);
//! let opened = NewEvent::encode(
//!     EventId::from_u128(100),
//!     &RecordOpened { record: record.clone() },
//!     at,
//!     None,
//! )?;
//! let request = AppendRequest::events(
//!     stream,
//!     StreamKind::from(record.kind()),
//!     ExpectedVersion::NoStream,
//!     vec![opened],
//! )
//! .with_projection(record);
//! let outcome = store.append(&request)?;
//! assert_eq!((outcome.last_version, outcome.last_position), (1, 1));
//!
//! // The projection was written in the same transaction.
//! let number: RecordNumber = "INC0001234".parse()?;
//! assert_eq!(store.record_by_number(&number)?.unwrap().version, 1);
//!
//! // A retry of the same append is a no-op with the original positions…
//! assert!(store.append(&request)?.already_stored);
//! // …and a stale writer gets a typed conflict.
//! let mut stale = request.clone();
//! stale.events[0].event_id = EventId::from_u128(101);
//! assert!(matches!(store.append(&stale), Err(StoreError::VersionConflict { actual: Some(1), .. })));
//!
//! // Every projection equals the fold of its events.
//! assert!(store.check(&DocumentProjector)?.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Persisting what the engines decide: appends that check the expected
//! version and are idempotent by event id, catch-up reads that never skip
//! an event, upcasting of old payloads, projections indexed for the lists a
//! service desk shows, SLA clocks with "which clocks are due before T", the
//! CMDB saved as a difference with its history, versioned migrations.
//!
//! # What it is not for
//! It decides nothing about ITSM rules: what a record becomes after an
//! event is the engines' (and the desk's) business; the store keeps it,
//! atomically. It holds no async runtime: its API is synchronous (see
//! `docs/DESIGN.md` for use from async code).
//!
//! # Features
//! - [`Store::open`] from a URL: `sqlite://PATH`, `sqlite::memory:`,
//!   `postgres://USER:PASSWORD@HOST/DB[?schema=NAME]`.
//! - [`Store::append`] with [`ExpectedVersion`], projection and clocks in one
//!   transaction; [`Store::read_stream`], [`Store::read_all`], snapshots
//!   and consumer checkpoints.
//! - [`PayloadRegistry`]: payload types, schema versions and upcasters.
//! - [`Store::query`] over the [`Record`] projections, paged by index;
//!   [`Store::check`] and [`Store::rebuild`] with a [`Projector`].
//! - [`Store::due_clocks`] over the stored [`StoredClock`]s.
//! - [`Store::load_cmdb`] and [`Store::save_cmdb`] with [`Store::cmdb_history`].
//! - [`Backend`]: the trait both databases implement.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod backend;
mod clock;
mod cmdb;
mod error;
mod migrate;
mod model;
mod payload;
mod postgres;
mod projector;
mod record;
mod sqlite;
mod store;
mod url;

pub use backend::{
    AppendBatch, AppendResult, Backend, ClockRead, EventLocation, RecordKey, RecordRow,
};
pub use clock::{ClockRow, DueClock, StoredClock};
pub use cmdb::{
    CiRow, CmdbChange, CmdbChangeKind, CmdbHistoryEntry, CmdbRows, CmdbWrite, HistoryRow,
    StoredCmdb,
};
pub use error::{Result, StoreError};
pub use migrate::SCHEMA_VERSION;
pub use model::{
    AppendOutcome, AppendRequest, EventId, ExpectedVersion, MAX_STREAM_KIND_LEN, NewEvent,
    RecordedEvent, StreamId, StreamInfo, StreamKind, StreamSnapshot,
};
pub use payload::{AuditRecord, Payload, PayloadRegistry, RecordOpened, Upcaster};
pub use postgres::PostgresBackend;
pub use projector::{
    CheckReport, DocumentProjector, MismatchKind, ProjectionMismatch, Projector, RebuildReport,
};
pub use record::{
    MAX_PAGE, NO_PRIORITY_RANK, PageCursor, ProjectionRow, Record, RecordFilter, RecordPage,
    RecordQuery, StoredRecord,
};
pub use sqlite::{SqliteBackend, SqliteOptions};
pub use store::{MAX_BATCH, Store, StoreOptions};
pub use url::{StoreLocation, mask as mask_url};

/// The JSON Schemas of this crate's wire types (namespace `store`).
#[must_use]
pub fn schema_bundle() -> itsm_core::SchemaBundle {
    itsm_core::SchemaBundle::new("store")
        .with::<NewEvent>("new_event")
        .with::<RecordedEvent>("recorded_event")
        .with::<ExpectedVersion>("expected_version")
        .with::<AppendOutcome>("append_outcome")
        .with::<StreamInfo>("stream_info")
        .with::<StreamSnapshot>("stream_snapshot")
        .with::<Record>("record")
        .with::<StoredRecord>("stored_record")
        .with::<RecordQuery>("record_query")
        .with::<RecordPage>("record_page")
        .with::<RecordOpened>("record_opened")
        .with::<AuditRecord>("audit_record")
        .with::<StoredClock>("stored_clock")
        .with::<DueClock>("due_clock")
        .with::<CmdbChange>("cmdb_change")
        .with::<CmdbHistoryEntry>("cmdb_history_entry")
        .with::<CheckReport>("check_report")
        .with::<RebuildReport>("rebuild_report")
}

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctest;
