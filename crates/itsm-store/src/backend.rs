//! The one trait both databases implement, and the rows it exchanges.
//!
//! [`Store`](crate::Store) checks and prepares every call, then hands the
//! backend plain rows; a backend only runs SQL. The conformance suite
//! (`tests/conformance.rs`) runs the same tests against each.

use itsm_core::{CiId, PersonId};

use crate::clock::{ClockRow, DueClock};
use crate::cmdb::{CmdbHistoryEntry, CmdbRows, CmdbWrite};
use crate::error::Result;
use crate::model::{
    AppendOutcome, EventId, ExpectedVersion, NewEvent, RecordedEvent, StreamId, StreamInfo,
    StreamKind, StreamSnapshot,
};
use crate::record::{ProjectionRow, RecordQuery};

/// An append, checked and prepared by the store.
#[derive(Clone, Debug)]
pub struct AppendBatch<'a> {
    /// The stream.
    pub stream: StreamId,
    /// Its kind.
    pub kind: &'a StreamKind,
    /// The concurrency check (`Exact(0)` is already `NoStream`).
    pub expected: ExpectedVersion,
    /// The events.
    pub events: &'a [NewEvent],
    /// Each event's `occurred_at` in nanoseconds.
    pub occurred_at: Vec<i64>,
    /// The instant the store stamps on every event, in nanoseconds.
    pub recorded_at: i64,
    /// The record's new projection row.
    pub projection: Option<ProjectionRow>,
    /// The record's clocks, replacing the ones it had.
    pub clocks: Option<Vec<ClockRow>>,
}

impl AppendBatch<'_> {
    /// Why the stream's version did not move: its kind is another
    /// (`WrongStreamKind`) or its version is (`Conflict`). `actual` is the
    /// stream's version and kind, `None` when it does not exist.
    pub(crate) fn refused(
        &self,
        index: usize,
        actual: Option<(u64, String)>,
    ) -> Result<AppendResult> {
        match actual {
            Some((_, kind)) if kind != self.kind.as_str() => {
                Err(crate::StoreError::WrongStreamKind {
                    stream: self.stream,
                    expected: self.kind.clone(),
                    actual: StreamKind::new(kind)?,
                })
            }
            actual => Ok(AppendResult::Conflict {
                index,
                actual: actual.map(|(v, _)| v),
            }),
        }
    }

    /// The outcome of this batch written from `first_version` at `first_position`.
    pub(crate) fn outcome(&self, first_version: u64, first_position: u64) -> AppendOutcome {
        let count = self.events.len() as u64;
        AppendOutcome {
            stream: self.stream,
            first_version,
            last_version: first_version + count - 1,
            first_position,
            last_position: first_position + count - 1,
            already_stored: false,
        }
    }
}

/// What a backend's append did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppendResult {
    /// Written: one outcome per batch, in order.
    Appended(Vec<AppendOutcome>),
    /// A stream is at another version (`None`: it does not exist). Nothing written.
    Conflict {
        /// Which batch.
        index: usize,
        /// The stream's version.
        actual: Option<u64>,
    },
    /// An event id of the batch is stored already. Nothing written.
    DuplicateEventId,
}

/// Where a stored event id is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventLocation {
    /// The event.
    pub event_id: EventId,
    /// Its stream.
    pub stream: StreamId,
    /// Its version there.
    pub version: u64,
    /// Its position.
    pub position: u64,
}

/// A projection row as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordRow {
    /// The record's id.
    pub id: StreamId,
    /// Its kind.
    pub kind: StreamKind,
    /// Its priority rank (the page order's first key).
    pub priority_rank: u8,
    /// The stream version it reflects.
    pub version: u64,
    /// When it was written, in nanoseconds.
    pub updated_at: i64,
    /// The record's JSON.
    pub doc: String,
}

/// How a record is looked up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RecordKey {
    /// By id.
    Id(StreamId),
    /// By number (`INC0001234`).
    Number(String),
}

/// A clock as read back: the record kind and the evaluation's JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockRead {
    /// The record's kind.
    pub record_kind: StreamKind,
    /// The evaluation's JSON.
    pub summary: String,
}

/// A database that keeps streams, projections, clocks and the CMDB.
pub trait Backend: Send {
    /// `sqlite` or `postgres`.
    fn name(&self) -> &'static str;

    /// The schema version of the database (the last migration applied).
    ///
    /// # Errors
    /// The database's.
    fn schema_version(&mut self) -> Result<u32>;

    /// Appends to one or more streams in one transaction: checks each
    /// stream's expected version and kind, writes the events with the next
    /// positions (in batch order), the projections and the clocks — or
    /// nothing. The batches name distinct streams, in ascending id order
    /// (the order rows are locked in, so concurrent appends cannot deadlock).
    ///
    /// # Errors
    /// [`StoreError::WrongStreamKind`](crate::StoreError::WrongStreamKind), the database's.
    fn append(&mut self, batches: &[AppendBatch<'_>]) -> Result<AppendResult>;

    /// Where these event ids are stored, for those that are.
    ///
    /// # Errors
    /// The database's.
    fn locate_events(&mut self, ids: &[EventId]) -> Result<Vec<EventLocation>>;

    /// Up to `limit` events of a stream from version `from`, in version order.
    ///
    /// # Errors
    /// The database's.
    fn read_stream(
        &mut self,
        stream: StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>>;

    /// Up to `limit` events after `position`, in position order.
    ///
    /// # Errors
    /// The database's.
    fn read_all(&mut self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>>;

    /// The highest committed position (0 for an empty store).
    ///
    /// # Errors
    /// The database's.
    fn head(&mut self) -> Result<u64>;

    /// A stream's head.
    ///
    /// # Errors
    /// The database's.
    fn stream_info(&mut self, stream: StreamId) -> Result<Option<StreamInfo>>;

    /// Up to `limit` streams after `after`, in id order.
    ///
    /// # Errors
    /// The database's.
    fn streams(&mut self, after: Option<StreamId>, limit: usize) -> Result<Vec<StreamInfo>>;

    /// Saves a snapshot, replacing the stream's previous one; refused when
    /// the stream is behind the snapshot's version.
    ///
    /// # Errors
    /// [`StoreError::Invalid`](crate::StoreError::Invalid), the database's.
    fn save_snapshot(&mut self, snapshot: &StreamSnapshot) -> Result<()>;

    /// The stream's snapshot.
    ///
    /// # Errors
    /// The database's.
    fn load_snapshot(&mut self, stream: StreamId) -> Result<Option<StreamSnapshot>>;

    /// Saves a consumer's checkpoint.
    ///
    /// # Errors
    /// The database's.
    fn save_checkpoint(&mut self, name: &str, position: u64) -> Result<()>;

    /// A consumer's checkpoint.
    ///
    /// # Errors
    /// The database's.
    fn checkpoint(&mut self, name: &str) -> Result<Option<u64>>;

    /// One record's projection row.
    ///
    /// # Errors
    /// The database's.
    fn record(&mut self, key: &RecordKey) -> Result<Option<RecordRow>>;

    /// One page of a query, already checked.
    ///
    /// # Errors
    /// The database's.
    fn query(&mut self, query: &RecordQuery) -> Result<Vec<RecordRow>>;

    /// The database's plan for a query, as text.
    ///
    /// # Errors
    /// The database's.
    fn explain(&mut self, query: &RecordQuery) -> Result<String>;

    /// Writes a projection row rebuilt from the events at stream version
    /// `version`, unless the stream has moved past it (returns `false`).
    ///
    /// # Errors
    /// The database's.
    fn put_projection(
        &mut self,
        row: &ProjectionRow,
        version: u64,
        updated_at: i64,
    ) -> Result<bool>;

    /// Removes a record's projection row.
    ///
    /// # Errors
    /// The database's.
    fn delete_projection(&mut self, id: StreamId) -> Result<()>;

    /// Replaces a record's clocks in one transaction.
    ///
    /// # Errors
    /// The database's.
    fn put_clocks(
        &mut self,
        record: StreamId,
        kind: &StreamKind,
        clocks: &[ClockRow],
    ) -> Result<()>;

    /// A record's clocks, by definition name.
    ///
    /// # Errors
    /// The database's.
    fn clocks(&mut self, record: StreamId) -> Result<Vec<ClockRead>>;

    /// Up to `limit` clocks whose next event is before `before` (nanoseconds),
    /// earliest first.
    ///
    /// # Errors
    /// The database's.
    fn due_clocks(&mut self, before: i64, limit: usize) -> Result<Vec<DueClock>>;

    /// Claims up to `limit` due clocks (next event before `before`) that
    /// no lease holds at `now` (nanoseconds): each is leased to `owner`
    /// until `until`, in one statement, skipping the rows another
    /// transaction is claiming. A clock's lease ends when its clocks are
    /// written again.
    ///
    /// # Errors
    /// The database's.
    fn claim_due(
        &mut self,
        before: i64,
        now: i64,
        until: i64,
        owner: &str,
        limit: usize,
    ) -> Result<Vec<DueClock>>;

    /// The stored CMDB, or `None` when none was saved.
    ///
    /// # Errors
    /// The database's.
    fn cmdb_load(&mut self) -> Result<Option<CmdbRows>>;

    /// Writes a CMDB change in one transaction if the CMDB is still at
    /// `write.expected_version`; returns the new version.
    ///
    /// # Errors
    /// [`StoreError::CmdbConflict`](crate::StoreError::CmdbConflict), the database's.
    fn cmdb_write(&mut self, write: &CmdbWrite) -> Result<u64>;

    /// The CMDB's history after `after` (a sequence number), optionally of one CI.
    ///
    /// # Errors
    /// The database's.
    fn cmdb_history(
        &mut self,
        ci: Option<CiId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<CmdbHistoryEntry>>;
}

pub(crate) fn person_from(bytes: Option<[u8; 16]>) -> Option<PersonId> {
    bytes.map(|b| PersonId::from_u128(u128::from_be_bytes(b)))
}
