//! [`Store`]: checks every call, then runs it on its backend.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use itsm_core::{CiId, RecordNumber};

use crate::backend::{AppendBatch, AppendResult, Backend, RecordKey, RecordRow};
use crate::clock::{DueClock, StoredClock, check_clocks};
use crate::cmdb::{CmdbChange, CmdbHistoryEntry, StoredCmdb};
use crate::error::{Result, StoreError};
use crate::model::{
    AppendOutcome, AppendRequest, ExpectedVersion, RecordedEvent, StreamId, StreamInfo,
    StreamSnapshot, from_nanos, now, to_nanos,
};
use crate::payload::{Payload, PayloadRegistry};
use crate::postgres::PostgresBackend;
use crate::projector::{
    CheckReport, MismatchKind, ProjectionMismatch, Projector, RebuildReport, differing_fields,
};
use crate::record::{
    PageCursor, ProjectionRow, RecordPage, RecordQuery, StoredRecord, decode_record,
};
use crate::sqlite::{SqliteBackend, SqliteOptions};
use crate::url::StoreLocation;

/// The most events one append may carry.
pub const MAX_BATCH: usize = 10_000;

/// How a store is opened.
#[derive(Clone, Debug, Default)]
pub struct StoreOptions {
    /// The payload types and their upcasters.
    pub registry: Option<PayloadRegistry>,
    /// SQLite settings (ignored by PostgreSQL).
    pub sqlite: SqliteOptions,
}

/// The database: event streams, projections, SLA clocks and the CMDB, on
/// one backend. Synchronous, one connection; open one store per thread.
pub struct Store {
    backend: Box<dyn Backend>,
    registry: PayloadRegistry,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend.name())
            .field("registry", &self.registry)
            .finish()
    }
}

fn location(stream: StreamId) -> String {
    format!("append to stream {stream}")
}

impl Store {
    /// Opens the store at `url` — `sqlite://PATH`, `sqlite::memory:` or
    /// `postgres://USER:PASSWORD@HOST/DB[?schema=NAME]` — and migrates it.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`], [`StoreError::Backend`] when the database
    /// cannot be reached, [`StoreError::SchemaTooNew`] for a database written
    /// by a newer version, [`StoreError::Migration`].
    pub fn open(url: &str) -> Result<Self> {
        Self::open_with(url, StoreOptions::default())
    }

    /// [`open`](Self::open) with options.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn open_with(url: &str, options: StoreOptions) -> Result<Self> {
        let backend: Box<dyn Backend> = match StoreLocation::parse(url)? {
            StoreLocation::SqliteFile(path) => {
                Box::new(SqliteBackend::open(&path, &options.sqlite)?)
            }
            StoreLocation::SqliteMemory => {
                Box::new(SqliteBackend::open(":memory:", &options.sqlite)?)
            }
            StoreLocation::Postgres(url) => Box::new(PostgresBackend::open(&url)?),
        };
        Ok(Self::with_backend(backend, options.registry))
    }

    /// A store over a backend of your own (it must pass the conformance suite).
    #[must_use]
    pub fn with_backend(backend: Box<dyn Backend>, registry: Option<PayloadRegistry>) -> Self {
        Self {
            backend,
            registry: registry.unwrap_or_else(PayloadRegistry::standard),
        }
    }

    /// `sqlite` or `postgres`.
    #[must_use]
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The payload registry.
    #[must_use]
    pub fn registry(&self) -> &PayloadRegistry {
        &self.registry
    }

    /// The database's schema version.
    ///
    /// # Errors
    /// The database's.
    pub fn schema_version(&mut self) -> Result<u32> {
        self.backend.schema_version()
    }

    /// Appends events in one transaction, with the record's projection and
    /// clocks when the request carries them.
    ///
    /// - The stream must be at the expected version, or nothing is written
    ///   and [`StoreError::VersionConflict`] names both versions.
    /// - Appending events whose ids are all stored already, in this stream
    ///   and in this order, writes nothing and returns their original
    ///   positions (`already_stored`): a retry is safe.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] listing every problem of the request (no
    /// events, too many, an id twice, a projection of another record, …),
    /// [`StoreError::CorruptPayload`], [`StoreError::UnknownSchemaVersion`],
    /// [`StoreError::WrongStreamKind`], [`StoreError::VersionConflict`],
    /// [`StoreError::IdempotencyMismatch`], the database's.
    pub fn append(&mut self, request: &AppendRequest) -> Result<AppendOutcome> {
        let mut outcomes = self.append_all(std::slice::from_ref(request))?;
        Ok(outcomes.remove(0))
    }

    /// Appends to several streams in one transaction: every request is
    /// checked as [`append`](Self::append) checks it, and either all of them
    /// land or none does. Within the transaction the streams are written in
    /// ascending id order (so that concurrent multi-stream appends lock rows
    /// in one order), and so take their positions; the outcomes come back
    /// in the order of `requests`.
    ///
    /// # Errors
    /// As [`append`](Self::append), and [`StoreError::Invalid`] when two
    /// requests name the same stream or none is given.
    pub fn append_all(&mut self, requests: &[AppendRequest]) -> Result<Vec<AppendOutcome>> {
        let mut order: Vec<usize> = (0..requests.len()).collect();
        order.sort_by_key(|&i| requests[i].stream);
        let mut problems = Vec::new();
        if requests.is_empty() {
            problems.push("an append names at least one stream".to_owned());
        }
        for pair in order.windows(2) {
            if requests[pair[0]].stream == requests[pair[1]].stream {
                problems.push(format!(
                    "requests[{}] and requests[{}] both write stream {}",
                    pair[0].min(pair[1]),
                    pair[0].max(pair[1]),
                    requests[pair[0]].stream
                ));
            }
        }
        let total: usize = requests.iter().map(|r| r.events.len()).sum();
        if total > MAX_BATCH {
            problems.push(format!(
                "{total} events, more than the {MAX_BATCH} one append may carry"
            ));
        }
        if !problems.is_empty() {
            return Err(StoreError::invalid("append", problems));
        }
        let mut batches = Vec::with_capacity(requests.len());
        for &i in &order {
            let (batch, projection_problems) = self.prepare(&requests[i])?;
            if !projection_problems.is_empty() {
                return Err(StoreError::invalid(
                    location(requests[i].stream),
                    projection_problems,
                ));
            }
            batches.push(batch);
        }
        let result = self.backend.append(&batches)?;
        drop(batches);
        let sorted = match result {
            AppendResult::Appended(outcomes) => outcomes,
            AppendResult::Conflict { index, actual } => {
                let request = &requests[order[index]];
                return self
                    .retried_all(requests)?
                    .ok_or(StoreError::VersionConflict {
                        stream: request.stream,
                        expected: request.expected,
                        actual,
                    });
            }
            AppendResult::DuplicateEventId => {
                return self.retried_all(requests)?.ok_or_else(|| {
                    StoreError::IdempotencyMismatch {
                        event_id: requests[0].events[0].event_id,
                        reason: "stored concurrently by another append".to_owned(),
                    }
                });
            }
        };
        let mut outcomes = vec![None; requests.len()];
        for (outcome, &i) in sorted.into_iter().zip(&order) {
            outcomes[i] = Some(outcome);
        }
        Ok(outcomes.into_iter().flatten().collect())
    }

    /// After a refused append: the original outcomes if every event of
    /// every request is stored already (a retry), `None` if none is.
    fn retried_all(&mut self, requests: &[AppendRequest]) -> Result<Option<Vec<AppendOutcome>>> {
        let mut outcomes = Vec::with_capacity(requests.len());
        for request in requests {
            match self.retried(request)? {
                Some(o) => outcomes.push(o),
                None if outcomes.is_empty() => return Ok(None),
                None => {
                    return Err(StoreError::IdempotencyMismatch {
                        event_id: request.events[0].event_id,
                        reason: "some streams of this append are stored already and others not: this is not a retry of one append".to_owned(),
                    });
                }
            }
        }
        Ok(Some(outcomes))
    }

    /// Checks a request and turns it into a backend batch.
    fn prepare<'a>(&self, request: &'a AppendRequest) -> Result<(AppendBatch<'a>, Vec<String>)> {
        let mut problems = Vec::new();
        let at = location(request.stream);
        if request.events.is_empty() {
            problems.push("events: an append carries at least one event".to_owned());
        }
        if request.events.len() > MAX_BATCH {
            problems.push(format!(
                "events: {} events, more than the {MAX_BATCH} one append may carry",
                request.events.len()
            ));
        }
        let mut ids = HashSet::new();
        let mut occurred_at = Vec::with_capacity(request.events.len());
        for (i, event) in request.events.iter().enumerate() {
            if !ids.insert(event.event_id) {
                problems.push(format!(
                    "events[{i}].event_id: {} appears twice",
                    event.event_id
                ));
            }
            if event.event_type.is_empty() || event.event_type.len() > 128 {
                problems.push(format!(
                    "events[{i}].event_type: must be 1 to 128 characters"
                ));
            }
            match to_nanos(event.occurred_at, "occurred_at") {
                Ok(n) => occurred_at.push(n),
                Err(e) => problems.push(format!("events[{i}].occurred_at: {e}")),
            }
        }
        if !problems.is_empty() {
            return Err(StoreError::invalid(at, problems));
        }
        // Payload errors are typed: the first one is returned as it is.
        for (i, event) in request.events.iter().enumerate() {
            self.registry
                .check_new(&|| format!("{at}: events[{i}]"), event)?;
        }
        let mut projection_problems = Vec::new();
        let projection = match &request.projection {
            None => None,
            Some(record) => {
                if record.stream_id() != request.stream {
                    projection_problems.push(format!(
                        "projection: the record's id {} is not the stream's",
                        record.stream_id()
                    ));
                }
                if crate::model::StreamKind::from(record.kind()) != request.kind {
                    projection_problems.push(format!(
                        "projection: a {} record in a {} stream",
                        record.kind(),
                        request.kind
                    ));
                }
                Some(ProjectionRow::of(record)?)
            }
        };
        let clocks = request.clocks.as_deref().map(check_clocks).transpose()?;
        let expected = match request.expected {
            ExpectedVersion::Exact(0) => ExpectedVersion::NoStream,
            other => other,
        };
        Ok((
            AppendBatch {
                stream: request.stream,
                kind: &request.kind,
                expected,
                events: &request.events,
                occurred_at,
                recorded_at: to_nanos(now(), "recorded_at")?,
                projection,
                clocks,
            },
            projection_problems,
        ))
    }

    /// After a refused append: the original outcome if every event of the
    /// request is stored already (a retry), an error if only some are.
    fn retried(&mut self, request: &AppendRequest) -> Result<Option<AppendOutcome>> {
        let ids: Vec<_> = request.events.iter().map(|e| e.event_id).collect();
        let found = self.backend.locate_events(&ids)?;
        if found.is_empty() {
            return Ok(None);
        }
        let first = found[0];
        let complete = found.len() == ids.len()
            && found.iter().enumerate().all(|(i, loc)| {
                loc.event_id == ids[i]
                    && loc.stream == request.stream
                    && loc.version == first.version + i as u64
                    && loc.position == first.position + i as u64
            });
        if !complete {
            let reason = if found.iter().any(|l| l.stream != request.stream) {
                format!(
                    "is stored in stream {}, not in {}",
                    found
                        .iter()
                        .find(|l| l.stream != request.stream)
                        .map_or(first.stream, |l| l.stream),
                    request.stream
                )
            } else {
                format!(
                    "{} of the {} events are stored already: this is not a retry of one append",
                    found.len(),
                    ids.len()
                )
            };
            return Err(StoreError::IdempotencyMismatch {
                event_id: first.event_id,
                reason,
            });
        }
        let count = ids.len() as u64;
        Ok(Some(AppendOutcome {
            stream: request.stream,
            first_version: first.version,
            last_version: first.version + count - 1,
            first_position: first.position,
            last_position: first.position + count - 1,
            already_stored: true,
        }))
    }

    /// Up to `limit` events of a stream from version `from` (1 for all), in
    /// version order.
    ///
    /// # Errors
    /// The database's.
    pub fn read_stream(
        &mut self,
        stream: StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        self.backend.read_stream(stream, from.max(1), limit)
    }

    /// Up to `limit` events after position `after` (0 for all), in position
    /// order: the catch-up read. Positions are committed in order and
    /// without gaps, so a reader that continues from the last position it
    /// read never skips an event.
    ///
    /// # Errors
    /// The database's.
    pub fn read_all(&mut self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        self.backend.read_all(after, limit)
    }

    /// The highest committed position.
    ///
    /// # Errors
    /// The database's.
    pub fn head(&mut self) -> Result<u64> {
        self.backend.head()
    }

    /// A stream's head, `None` when it does not exist.
    ///
    /// # Errors
    /// The database's.
    pub fn stream(&mut self, stream: StreamId) -> Result<Option<StreamInfo>> {
        self.backend.stream_info(stream)
    }

    /// Up to `limit` streams after `after`, in id order.
    ///
    /// # Errors
    /// The database's.
    pub fn streams(&mut self, after: Option<StreamId>, limit: usize) -> Result<Vec<StreamInfo>> {
        self.backend.streams(after, limit)
    }

    /// Decodes an event's payload as `P`, upcasting an older version.
    ///
    /// # Errors
    /// As [`PayloadRegistry::decode`].
    pub fn decode<P: Payload>(&self, event: &RecordedEvent) -> Result<P> {
        self.registry.decode(event)
    }

    /// Saves a snapshot of a stream's folded state.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the stream is behind the snapshot, the database's.
    pub fn save_snapshot(&mut self, snapshot: &StreamSnapshot) -> Result<()> {
        serde_json::from_str::<serde::de::IgnoredAny>(&snapshot.state).map_err(|e| {
            StoreError::CorruptPayload {
                at: format!("snapshot of stream {}", snapshot.stream),
                event_type: "snapshot".to_owned(),
                path: ".".to_owned(),
                message: e.to_string(),
            }
        })?;
        self.backend.save_snapshot(snapshot)
    }

    /// A stream's latest snapshot.
    ///
    /// # Errors
    /// The database's.
    pub fn load_snapshot(&mut self, stream: StreamId) -> Result<Option<StreamSnapshot>> {
        self.backend.load_snapshot(stream)
    }

    /// Saves a consumer's checkpoint (the last position it processed).
    ///
    /// # Errors
    /// The database's.
    pub fn save_checkpoint(&mut self, name: &str, position: u64) -> Result<()> {
        self.backend.save_checkpoint(name, position)
    }

    /// A consumer's checkpoint.
    ///
    /// # Errors
    /// The database's.
    pub fn checkpoint(&mut self, name: &str) -> Result<Option<u64>> {
        self.backend.checkpoint(name)
    }

    fn stored(row: RecordRow) -> Result<StoredRecord> {
        Ok(StoredRecord {
            record: decode_record(&row.kind, &row.doc, &format!("record {}", row.id))?,
            version: row.version,
            updated_at: from_nanos(row.updated_at),
        })
    }

    /// A record's current state, by id.
    ///
    /// # Errors
    /// [`StoreError::CorruptPayload`] when the stored JSON does not decode, the database's.
    pub fn record(&mut self, id: StreamId) -> Result<Option<StoredRecord>> {
        self.backend
            .record(&RecordKey::Id(id))?
            .map(Self::stored)
            .transpose()
    }

    /// A record's current state, by number.
    ///
    /// # Errors
    /// As [`record`](Self::record).
    pub fn record_by_number(&mut self, number: &RecordNumber) -> Result<Option<StoredRecord>> {
        self.backend
            .record(&RecordKey::Number(number.to_string()))?
            .map(Self::stored)
            .transpose()
    }

    /// One page of records, in priority then id order.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a limit out of range, the database's.
    pub fn query(&mut self, query: &RecordQuery) -> Result<RecordPage> {
        query.check()?;
        let rows = self.backend.query(query)?;
        let next = (rows.len() == query.limit as usize)
            .then(|| rows.last())
            .flatten()
            .map(|r| PageCursor {
                priority_rank: r.priority_rank,
                id: r.id,
            });
        let records = rows.into_iter().map(Self::stored).collect::<Result<_>>()?;
        Ok(RecordPage { records, next })
    }

    /// The database's plan for a query, as text: to see which index serves it.
    ///
    /// # Errors
    /// As [`query`](Self::query).
    pub fn explain(&mut self, query: &RecordQuery) -> Result<String> {
        query.check()?;
        self.backend.explain(query)
    }

    /// A record's stored clocks, by definition name.
    ///
    /// # Errors
    /// [`StoreError::CorruptPayload`] when a stored evaluation does not decode, the database's.
    pub fn clocks(&mut self, record: StreamId) -> Result<Vec<StoredClock>> {
        self.backend
            .clocks(record)?
            .into_iter()
            .map(|c| {
                let evaluation =
                    itsm_core::from_json(&c.summary).map_err(|e| StoreError::CorruptPayload {
                        at: format!("clocks of record {record}"),
                        event_type: "sla_evaluation".to_owned(),
                        path: match &e {
                            itsm_core::CoreError::Json { path, .. } => path.clone(),
                            _ => ".".to_owned(),
                        },
                        message: e.to_string(),
                    })?;
                Ok(StoredClock {
                    record,
                    record_kind: c.record_kind,
                    evaluation,
                })
            })
            .collect()
    }

    /// Replaces a record's clocks on their own (after a timer re-evaluated
    /// them), in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for a definition twice or an instant out of range, the database's.
    pub fn put_clocks(
        &mut self,
        record: StreamId,
        kind: &crate::model::StreamKind,
        clocks: &[itsm_sla::SlaEvaluation],
    ) -> Result<()> {
        let rows = check_clocks(clocks)?;
        self.backend.put_clocks(record, kind, &rows)
    }

    /// Up to `limit` clocks whose next threshold or breach comes before
    /// `before`, earliest first: one range scan of the due index.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an instant out of range, the database's.
    pub fn due_clocks(&mut self, before: DateTime<Utc>, limit: usize) -> Result<Vec<DueClock>> {
        self.backend.due_clocks(to_nanos(before, "before")?, limit)
    }

    /// Claims up to `limit` clocks due before `before` for `owner`, leased
    /// for `lease` (wall-clock time): another process claiming meanwhile
    /// gets other clocks (PostgreSQL skips the rows being claimed with
    /// `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a time). Writing
    /// a record's clocks again ends their lease; an expired lease lets
    /// another process claim them (a crashed ticker's clocks are not lost).
    ///
    /// # Errors
    /// [`StoreError::Invalid`] for an instant out of range, the database's.
    pub fn claim_due(
        &mut self,
        before: DateTime<Utc>,
        limit: usize,
        owner: &str,
        lease: std::time::Duration,
    ) -> Result<Vec<DueClock>> {
        let now = now();
        let until = now
            + chrono::Duration::from_std(lease)
                .map_err(|e| StoreError::invalid("lease", vec![e.to_string()]))?;
        self.backend.claim_due(
            to_nanos(before, "before")?,
            to_nanos(now, "now")?,
            to_nanos(until, "lease end")?,
            owner,
            limit,
        )
    }

    /// Replays every stream through `projector` and reports each projection
    /// that differs from its events, and each stream whose versions are not
    /// contiguous. Writes nothing.
    ///
    /// # Errors
    /// The database's.
    pub fn check(&mut self, projector: &dyn Projector) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        self.each_stream(|store, info| {
            report.streams += 1;
            let (fold, events) = store.fold(&info, projector)?;
            report.events += events;
            let mismatch = |mismatch, detail: String| ProjectionMismatch {
                stream: info.stream,
                kind: info.kind.clone(),
                mismatch,
                detail,
            };
            let stored = store.backend.record(&RecordKey::Id(info.stream))?;
            let problem = match (fold, stored) {
                (Err(m), _) => Some(m),
                (Ok(None), None) => None,
                (Ok(Some(_)), None) => Some(mismatch(
                    MismatchKind::Missing,
                    "the events fold to a record, and no projection exists".to_owned(),
                )),
                (Ok(None), Some(_)) => Some(mismatch(
                    MismatchKind::Unexpected,
                    "a projection exists, and the events fold to no record".to_owned(),
                )),
                (Ok(Some(folded)), Some(row)) => {
                    if row.version == info.version {
                        match decode_record(&row.kind, &row.doc, "projection") {
                            Ok(stored) if stored == folded => None,
                            Ok(stored) => Some(mismatch(
                                MismatchKind::Differs,
                                format!("fields {:?} differ", differing_fields(&stored, &folded)),
                            )),
                            Err(e) => Some(mismatch(MismatchKind::Differs, e.to_string())),
                        }
                    } else {
                        Some(mismatch(
                            MismatchKind::StaleVersion,
                            format!(
                                "the projection is at version {}, the stream at {}",
                                row.version, info.version
                            ),
                        ))
                    }
                }
            };
            report.mismatches.extend(problem);
            Ok(())
        })?;
        Ok(report)
    }

    /// Rebuilds every projection from the events alone, stream by stream,
    /// each in its own transaction that checks the stream did not move on.
    ///
    /// # Errors
    /// The database's.
    pub fn rebuild(&mut self, projector: &dyn Projector) -> Result<RebuildReport> {
        let mut report = RebuildReport::default();
        self.each_stream(|store, info| {
            report.streams += 1;
            match store.fold(&info, projector)?.0 {
                Err(m) => report.failed.push(m),
                Ok(Some(record)) => {
                    let row = ProjectionRow::of(&record)?;
                    if store
                        .backend
                        .put_projection(&row, info.version, to_nanos(now(), "now")?)?
                    {
                        report.written += 1;
                    } else {
                        report.moved_on += 1;
                    }
                }
                Ok(None) => {
                    if store.backend.record(&RecordKey::Id(info.stream))?.is_some() {
                        store.backend.delete_projection(info.stream)?;
                        report.removed += 1;
                    }
                }
            }
            Ok(())
        })?;
        Ok(report)
    }

    fn each_stream(
        &mut self,
        mut visit: impl FnMut(&mut Self, StreamInfo) -> Result<()>,
    ) -> Result<()> {
        let mut after = None;
        loop {
            let page = self.backend.streams(after, 1_000)?;
            let Some(last) = page.last() else {
                return Ok(());
            };
            after = Some(last.stream);
            for info in page {
                visit(self, info)?;
            }
        }
    }

    /// Folds one stream: the record (or why not) and the number of events.
    fn fold(
        &mut self,
        info: &StreamInfo,
        projector: &dyn Projector,
    ) -> Result<(
        Result<Option<crate::record::Record>, ProjectionMismatch>,
        u64,
    )> {
        let mut state = None;
        let mut expected = 1u64;
        loop {
            let page = self.backend.read_stream(info.stream, expected, 10_000)?;
            if page.is_empty() {
                break;
            }
            for event in &page {
                let fail = |mismatch, detail| ProjectionMismatch {
                    stream: info.stream,
                    kind: info.kind.clone(),
                    mismatch,
                    detail,
                };
                if event.version != expected {
                    return Ok((
                        Err(fail(
                            MismatchKind::VersionGap,
                            format!("version {expected} is missing (found {})", event.version),
                        )),
                        expected - 1,
                    ));
                }
                state = match projector.apply(state, event, &self.registry) {
                    Ok(s) => s,
                    Err(message) => {
                        return Ok((
                            Err(fail(
                                MismatchKind::FoldFailed,
                                format!("version {}: {message}", event.version),
                            )),
                            expected,
                        ));
                    }
                };
                expected += 1;
            }
        }
        let events = expected - 1;
        if events != info.version {
            return Ok((
                Err(ProjectionMismatch {
                    stream: info.stream,
                    kind: info.kind.clone(),
                    mismatch: MismatchKind::VersionGap,
                    detail: format!(
                        "the stream is at version {}, its events end at {events}",
                        info.version
                    ),
                }),
                events,
            ));
        }
        Ok((Ok(state), events))
    }

    /// The stored CMDB, loaded into an [`itsm_cmdb::Cmdb`] (an empty one
    /// when none was saved).
    ///
    /// # Errors
    /// [`StoreError::Cmdb`] when the stored data is not a valid CMDB,
    /// [`StoreError::CorruptPayload`], the database's.
    pub fn load_cmdb(&mut self) -> Result<StoredCmdb> {
        match self.backend.cmdb_load()? {
            Some(rows) => StoredCmdb::from_rows(rows),
            None => StoredCmdb::empty(),
        }
    }

    /// Saves what changed in the CMDB since it was loaded, in one
    /// transaction, with a history entry per CI and relationship changed;
    /// returns how many history entries were written.
    ///
    /// # Errors
    /// [`StoreError::CmdbConflict`] when another writer saved first
    /// (nothing is written), the database's.
    pub fn save_cmdb(&mut self, cmdb: &mut StoredCmdb, change: &CmdbChange) -> Result<usize> {
        let write = cmdb.write(change)?;
        if write.is_empty() {
            return Ok(0);
        }
        let version = self.backend.cmdb_write(&write)?;
        cmdb.saved(version)?;
        Ok(write.history.len())
    }

    /// The CMDB's history after sequence number `after` (0 for all), of
    /// one CI or of all, oldest first.
    ///
    /// # Errors
    /// The database's.
    pub fn cmdb_history(
        &mut self,
        ci: Option<CiId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<CmdbHistoryEntry>> {
        self.backend.cmdb_history(ci, after, limit)
    }
}
