//! The embedded backend: SQLite through rusqlite (bundled), in WAL mode with
//! a busy timeout, writes in `BEGIN IMMEDIATE` transactions, statements
//! prepared once and cached.

use std::time::Duration;

use itsm_cmdb::{ProvenanceRecord, Relationship};
use itsm_core::CiId;
use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use crate::backend::{
    AppendBatch, AppendResult, Backend, ClockRead, EventLocation, RecordKey, RecordRow, person_from,
};
use crate::clock::{ClockRow, DueClock};
use crate::cmdb::{CmdbChangeKind, CmdbHistoryEntry, CmdbRows, CmdbWrite};
use crate::error::{Result, StoreError};
use crate::migrate::{self, Migration};
use crate::model::{
    EventId, ExpectedVersion, RecordedEvent, StreamId, StreamInfo, StreamKind, StreamSnapshot,
    from_nanos,
};
use crate::record::{RecordFilter, RecordQuery};

/// The SQLite migrations, in order.
pub(crate) const MIGRATIONS: &[Migration] = migrate::migrations!("sqlite");

const NAME: &str = "sqlite";

fn db(operation: &'static str) -> impl Fn(rusqlite::Error) -> StoreError {
    move |e| StoreError::Backend {
        backend: NAME,
        operation,
        message: e.to_string(),
    }
}

/// How a SQLite store is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqliteOptions {
    /// How long a writer waits for another process's write lock.
    pub busy_timeout: Duration,
    /// `synchronous=FULL` instead of `NORMAL`: a commit survives a power
    /// loss, not only a crash of the process, at the cost of an fsync each.
    pub synchronous_full: bool,
    /// SQLite's page cache for this connection, in KiB (SQLite's own
    /// default is 2 MiB, small for a desk of a million records).
    pub cache_kib: u32,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self {
            busy_timeout: Duration::from_secs(30),
            synchronous_full: false,
            cache_kib: 32 * 1024,
        }
    }
}

/// The SQLite backend: one connection, one writer at a time per database.
#[derive(Debug)]
pub struct SqliteBackend {
    conn: Connection,
}

fn id_bytes(bytes: Vec<u8>) -> [u8; 16] {
    let mut out = [0u8; 16];
    if bytes.len() == 16 {
        out.copy_from_slice(&bytes);
    }
    out
}

fn opt_id(row: &Row<'_>, i: usize) -> rusqlite::Result<Option<[u8; 16]>> {
    Ok(row.get::<_, Option<Vec<u8>>>(i)?.map(id_bytes))
}

fn stream_of(bytes: Vec<u8>) -> StreamId {
    StreamId::from_u128(u128::from_be_bytes(id_bytes(bytes)))
}

fn kind_of(text: String) -> rusqlite::Result<StreamKind> {
    StreamKind::new(text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

const EVENT_COLUMNS: &str = "position, stream_id, stream_kind, version, event_id, event_type, \
     schema_version, recorded_at, occurred_at, actor, correlation_id, causation_id, payload";

fn event_row(row: &Row<'_>) -> rusqlite::Result<RecordedEvent> {
    Ok(RecordedEvent {
        position: u64_of(row.get(0)?),
        stream_id: stream_of(row.get(1)?),
        stream_kind: kind_of(row.get(2)?)?,
        version: u64_of(row.get(3)?),
        event_id: EventId::from_u128(u128::from_be_bytes(id_bytes(row.get(4)?))),
        event_type: row.get(5)?,
        schema_version: u32::try_from(row.get::<_, i64>(6)?).unwrap_or(u32::MAX),
        recorded_at: from_nanos(row.get(7)?),
        occurred_at: from_nanos(row.get(8)?),
        actor: person_from(opt_id(row, 9)?),
        correlation_id: row.get(10)?,
        causation_id: opt_id(row, 11)?.map(|b| EventId::from_u128(u128::from_be_bytes(b))),
        payload: row.get(12)?,
    })
}

fn record_row(row: &Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok(RecordRow {
        id: stream_of(row.get(0)?),
        kind: kind_of(row.get(1)?)?,
        priority_rank: u8::try_from(row.get::<_, i64>(2)?).unwrap_or(u8::MAX),
        version: u64_of(row.get(3)?),
        updated_at: row.get(4)?,
        doc: row.get(5)?,
    })
}

const RECORD_COLUMNS: &str = "r.id, r.kind, r.priority, r.version, r.updated_at, r.doc";

/// The SQL of a query page: one index range in page order.
fn query_sql(query: &RecordQuery) -> String {
    let (from, dimension, open_table) = match &query.filter {
        RecordFilter::Ci(_) => (
            "record_cis c JOIN records r ON r.id = c.record_id",
            "c.ci_id = ?2 AND c.kind = ?1",
            "c",
        ),
        _ => ("records r", "r.kind = ?1", "r"),
    };
    let dimension = match &query.filter {
        RecordFilter::All | RecordFilter::Ci(_) => dimension.to_owned(),
        RecordFilter::State(_) => format!("{dimension} AND r.state = ?2"),
        RecordFilter::Category(_) => format!("{dimension} AND r.category = ?2"),
        RecordFilter::Group(_) => format!("{dimension} AND r.assignment_group = ?2"),
        RecordFilter::Assignee(_) => format!("{dimension} AND r.assignee = ?2"),
        RecordFilter::Priority(_) => format!("{dimension} AND r.priority = ?2"),
    };
    let open = if query.open_only {
        format!(" AND {open_table}.is_open = 1")
    } else {
        String::new()
    };
    let (p, i) = match &query.filter {
        RecordFilter::Ci(_) => ("c.priority", "c.record_id"),
        _ => ("r.priority", "r.id"),
    };
    let after = if query.after.is_some() {
        format!(" AND ({p}, {i}) > (?3, ?4)")
    } else {
        String::new()
    };
    format!("SELECT {RECORD_COLUMNS} FROM {from} WHERE {dimension}{open}{after} ORDER BY {p}, {i}")
}

fn bind_query(query: &RecordQuery) -> Vec<rusqlite::types::Value> {
    use rusqlite::types::Value;
    let second = match &query.filter {
        RecordFilter::All => Value::Null,
        RecordFilter::State(s) => Value::Text(s.clone()),
        RecordFilter::Category(c) => Value::Text(c.to_string()),
        RecordFilter::Group(g) => Value::Blob(g.as_u128().to_be_bytes().to_vec()),
        RecordFilter::Assignee(p) => Value::Blob(p.as_u128().to_be_bytes().to_vec()),
        RecordFilter::Priority(p) => Value::Integer(i64::from(p.rank())),
        RecordFilter::Ci(c) => Value::Blob(c.as_u128().to_be_bytes().to_vec()),
    };
    let (rank, id) = query.after.map_or((Value::Null, Value::Null), |c| {
        (
            Value::Integer(i64::from(c.priority_rank)),
            Value::Blob(c.id.to_bytes().to_vec()),
        )
    });
    vec![
        Value::Text(query.kind.as_str().to_owned()),
        second,
        rank,
        id,
    ]
}

impl SqliteBackend {
    /// Opens (creating it if needed) the database file at `path`, or an
    /// in-memory database for `:memory:`, and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the file cannot be opened,
    /// [`StoreError::SchemaTooNew`] for a database of a newer version,
    /// [`StoreError::Migration`] when a migration fails.
    pub fn open(path: &str, options: &SqliteOptions) -> Result<Self> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()
        } else {
            Connection::open(path)
        }
        .map_err(db("open"))?;
        conn.busy_timeout(options.busy_timeout)
            .map_err(db("set busy_timeout"))?;
        if path != ":memory:" {
            // Switching a new file to WAL needs a moment alone with it, and
            // SQLite answers "locked" at once, without the busy handler,
            // when another process is opening (and migrating) the same new
            // file: retried until the busy timeout, as any other wait.
            let deadline = std::time::Instant::now() + options.busy_timeout;
            loop {
                match conn.pragma_update(None, "journal_mode", "WAL") {
                    Ok(()) => break,
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if matches!(
                            e.code,
                            rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                        ) && std::time::Instant::now() < deadline =>
                    {
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    Err(e) => return Err(db("set journal_mode=WAL")(e)),
                }
            }
        }
        let sync = if options.synchronous_full {
            "FULL"
        } else {
            "NORMAL"
        };
        conn.pragma_update(None, "synchronous", sync)
            .map_err(db("set synchronous"))?;
        conn.pragma_update(None, "cache_size", -i64::from(options.cache_kib))
            .map_err(db("set cache_size"))?;
        conn.set_prepared_statement_cache_capacity(64);
        let mut backend = Self { conn };
        backend.migrate(path, MIGRATIONS)?;
        Ok(backend)
    }

    /// Applies `migrations` up to the last one, refusing a newer database.
    pub(crate) fn migrate(&mut self, location: &str, migrations: &[Migration]) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin migration"))?;
        tx.execute_batch(migrate::SCHEMA_TABLE)
            .map_err(db("create the schema table"))?;
        let current: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM itsm_schema",
                [],
                |r| r.get(0),
            )
            .map_err(db("read the schema version"))?;
        let current = u32::try_from(current).unwrap_or(u32::MAX);
        let pending = migrate::pending(location, current, migrations)?;
        for m in pending {
            tx.execute_batch(m.sql).map_err(|e| StoreError::Migration {
                version: m.version,
                name: m.name,
                message: e.to_string(),
            })?;
            tx.execute(
                "INSERT INTO itsm_schema (version, name, applied_at) VALUES (?1, ?2, ?3)",
                params![m.version, m.name, migrate::now_nanos()],
            )
            .map_err(db("record a migration"))?;
        }
        tx.commit().map_err(db("commit migrations"))
    }

    fn locate_actual(
        tx: &rusqlite::Transaction<'_>,
        stream: &[u8],
    ) -> Result<Option<(u64, String)>> {
        tx.prepare_cached("SELECT version, kind FROM streams WHERE stream_id = ?1")
            .and_then(|mut s| {
                s.query_row(params![stream], |r| Ok((u64_of(r.get(0)?), r.get(1)?)))
                    .optional()
            })
            .map_err(db("read the stream version"))
    }
}

fn is_unique_violation(e: &rusqlite::Error, column: &str) -> bool {
    matches!(e, rusqlite::Error::SqliteFailure(f, Some(msg))
        if f.code == rusqlite::ErrorCode::ConstraintViolation && msg.contains(column))
}

impl Backend for SqliteBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema_version(&mut self) -> Result<u32> {
        let v: i64 = self
            .conn
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM itsm_schema",
                [],
                |r| r.get(0),
            )
            .map_err(db("read the schema version"))?;
        Ok(u32::try_from(v).unwrap_or(u32::MAX))
    }

    fn append(&mut self, batches: &[AppendBatch<'_>]) -> Result<AppendResult> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin append"))?;
        let mut versions = Vec::with_capacity(batches.len());
        for (index, batch) in batches.iter().enumerate() {
            let count = batch.events.len() as u64;
            let stream = batch.stream.to_bytes();
            let kind = batch.kind.as_str();
            // 1. The stream's version: checked and moved in one statement.
            let moved: Option<(u64, String)> = match batch.expected {
            ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => tx
                .prepare_cached(
                    "INSERT INTO streams (stream_id, kind, version) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (stream_id) DO NOTHING RETURNING version, kind",
                )
                .and_then(|mut s| {
                    s.query_row(params![stream, kind, i64_of(count)], |r| {
                        Ok((u64_of(r.get(0)?), r.get(1)?))
                    })
                    .optional()
                }),
            ExpectedVersion::Exact(v) => tx
                .prepare_cached(
                    "UPDATE streams SET version = version + ?3 \
                     WHERE stream_id = ?1 AND version = ?2 AND kind = ?4 RETURNING version, kind",
                )
                .and_then(|mut s| {
                    s.query_row(params![stream, i64_of(v), i64_of(count), kind], |r| {
                        Ok((u64_of(r.get(0)?), r.get(1)?))
                    })
                    .optional()
                }),
            ExpectedVersion::Any => tx
                .prepare_cached(
                    "INSERT INTO streams (stream_id, kind, version) VALUES (?1, ?2, ?3) \
                     ON CONFLICT (stream_id) DO UPDATE SET version = streams.version + excluded.version \
                     WHERE streams.kind = excluded.kind RETURNING version, kind",
                )
                .and_then(|mut s| {
                    s.query_row(params![stream, kind, i64_of(count)], |r| {
                        Ok((u64_of(r.get(0)?), r.get(1)?))
                    })
                    .optional()
                }),
        }
        .map_err(db("move the stream version"))?;
            let Some((last_version, _)) = moved else {
                let actual = Self::locate_actual(&tx, &stream)?;
                drop(tx);
                return batch.refused(index, actual);
            };
            // 2. The projection and the clocks.
            if let Some(row) = &batch.projection {
                write_projection(&tx, row, last_version, batch.recorded_at)?;
            }
            if let Some(clocks) = &batch.clocks {
                write_clocks(&tx, &stream, kind, clocks)?;
            }
            versions.push(last_version + 1 - count);
        }
        // 3. The events, at the next positions (one writer: BEGIN IMMEDIATE).
        let head: i64 = tx
            .prepare_cached("SELECT COALESCE(MAX(position), 0) FROM events")
            .and_then(|mut s| s.query_row([], |r| r.get(0)))
            .map_err(db("read the head position"))?;
        let mut next_position = u64_of(head) + 1;
        let mut outcomes = Vec::with_capacity(batches.len());
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO events (position, stream_id, stream_kind, version, event_id, event_type, \
                     schema_version, recorded_at, occurred_at, actor, correlation_id, causation_id, payload) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(db("prepare the event insert"))?;
            for (batch, first_version) in batches.iter().zip(versions) {
                let count = batch.events.len() as u64;
                let first_position = next_position;
                let stream = batch.stream.to_bytes();
                let kind = batch.kind.as_str();
                for (i, event) in batch.events.iter().enumerate() {
                    let i = i as u64;
                    let result = insert.execute(params![
                        i64_of(first_position + i),
                        stream,
                        kind,
                        i64_of(first_version + i),
                        event.event_id.to_bytes(),
                        event.event_type,
                        event.schema_version,
                        batch.recorded_at,
                        batch.occurred_at[i as usize],
                        event.actor.map(|a| a.as_u128().to_be_bytes()),
                        event.correlation_id,
                        event.causation_id.map(|c| c.to_bytes()),
                        event.payload,
                    ]);
                    match result {
                        Ok(_) => {}
                        Err(e) if is_unique_violation(&e, "event_id") => {
                            return Ok(AppendResult::DuplicateEventId);
                        }
                        Err(e) => return Err(db("insert an event")(e)),
                    }
                }
                next_position += count;
                outcomes.push(batch.outcome(first_version, first_position));
            }
        }
        tx.commit().map_err(db("commit the append"))?;
        Ok(AppendResult::Appended(outcomes))
    }

    fn locate_events(&mut self, ids: &[EventId]) -> Result<Vec<EventLocation>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT stream_id, version, position FROM events WHERE event_id = ?1")
            .map_err(db("prepare an event lookup"))?;
        let mut out = Vec::new();
        for id in ids {
            let found = stmt
                .query_row(params![id.to_bytes()], |r| {
                    Ok(EventLocation {
                        event_id: *id,
                        stream: stream_of(r.get(0)?),
                        version: u64_of(r.get(1)?),
                        position: u64_of(r.get(2)?),
                    })
                })
                .optional()
                .map_err(db("look an event up"))?;
            out.extend(found);
        }
        Ok(out)
    }

    fn read_stream(
        &mut self,
        stream: StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        // No ORDER BY: with one, this SQLite (STAT4) prepares the statement
        // again after every write to `events`, which costs more than the
        // read. The range of `events_stream_version` yields versions in
        // order; if a plan ever did not, the rows are sorted here.
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = ?1 AND version >= ?2"
            ))
            .map_err(db("prepare a stream read"))?;
        let mut rows = stmt
            .query(params![stream.to_bytes(), i64_of(from)])
            .map_err(db("read a stream"))?;
        let mut out: Vec<RecordedEvent> = Vec::new();
        let mut in_order = true;
        while let Some(row) = rows.next().map_err(db("read a stream"))? {
            let event = event_row(row).map_err(db("decode an event row"))?;
            in_order &= out.last().is_none_or(|last| last.version < event.version);
            out.push(event);
            if in_order && out.len() >= limit {
                break;
            }
        }
        if !in_order {
            out.sort_by_key(|e| e.version);
            out.truncate(limit);
        }
        Ok(out)
    }

    fn read_all(&mut self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE position > ?1 ORDER BY position"
            ))
            .map_err(db("prepare a catch-up read"))?;
        let mut out = Vec::with_capacity(limit.min(100_000));
        let mut rows = stmt
            .query(params![i64_of(after)])
            .map_err(db("read events"))?;
        while out.len() < limit
            && let Some(row) = rows.next().map_err(db("read events"))?
        {
            out.push(event_row(row).map_err(db("decode an event row"))?);
        }
        Ok(out)
    }

    fn head(&mut self) -> Result<u64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(position), 0) FROM events", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(u64_of)
            .map_err(db("read the head position"))
    }

    fn stream_info(&mut self, stream: StreamId) -> Result<Option<StreamInfo>> {
        self.conn
            .prepare_cached("SELECT version, kind FROM streams WHERE stream_id = ?1")
            .and_then(|mut s| {
                s.query_row(params![stream.to_bytes()], |r| {
                    Ok(StreamInfo {
                        stream,
                        version: u64_of(r.get(0)?),
                        kind: kind_of(r.get(1)?)?,
                    })
                })
                .optional()
            })
            .map_err(db("read a stream"))
    }

    fn streams(&mut self, after: Option<StreamId>, limit: usize) -> Result<Vec<StreamInfo>> {
        let after = after.map_or_else(Vec::new, |s| s.to_bytes().to_vec());
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT stream_id, version, kind FROM streams WHERE stream_id > ?1 \
                 ORDER BY stream_id",
            )
            .map_err(db("prepare a stream listing"))?;
        stmt.query_map(params![after], |r| {
            Ok(StreamInfo {
                stream: stream_of(r.get(0)?),
                version: u64_of(r.get(1)?),
                kind: kind_of(r.get(2)?)?,
            })
        })
        .and_then(|rows| rows.take(limit).collect())
        .map_err(db("list streams"))
    }

    fn save_snapshot(&mut self, snapshot: &StreamSnapshot) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin a snapshot"))?;
        let stream = snapshot.stream.to_bytes();
        let version = Self::locate_actual(&tx, &stream)?.map(|(v, _)| v);
        if version.is_none_or(|v| v < snapshot.version) {
            return Err(StoreError::invalid(
                format!("snapshot of stream {}", snapshot.stream),
                vec![format!(
                    "version {} is ahead of the stream ({})",
                    snapshot.version,
                    version.map_or_else(|| "no stream".to_owned(), |v| format!("version {v}"))
                )],
            ));
        }
        tx.execute(
            "INSERT INTO snapshots (stream_id, version, schema_version, taken_at, state) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (stream_id) DO UPDATE SET \
             version = excluded.version, schema_version = excluded.schema_version, \
             taken_at = excluded.taken_at, state = excluded.state",
            params![
                stream,
                i64_of(snapshot.version),
                snapshot.schema_version,
                crate::model::to_nanos(snapshot.taken_at, "snapshot taken_at")?,
                snapshot.state
            ],
        )
        .map_err(db("write a snapshot"))?;
        tx.commit().map_err(db("commit a snapshot"))
    }

    fn load_snapshot(&mut self, stream: StreamId) -> Result<Option<StreamSnapshot>> {
        self.conn
            .prepare_cached(
                "SELECT version, schema_version, taken_at, state FROM snapshots WHERE stream_id = ?1",
            )
            .and_then(|mut s| {
                s.query_row(params![stream.to_bytes()], |r| {
                    Ok(StreamSnapshot {
                        stream,
                        version: u64_of(r.get(0)?),
                        schema_version: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                        taken_at: from_nanos(r.get(2)?),
                        state: r.get(3)?,
                    })
                })
                .optional()
            })
            .map_err(db("read a snapshot"))
    }

    fn save_checkpoint(&mut self, name: &str, position: u64) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO checkpoints (name, position) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET position = excluded.position",
            )
            .and_then(|mut s| s.execute(params![name, i64_of(position)]))
            .map(drop)
            .map_err(db("write a checkpoint"))
    }

    fn checkpoint(&mut self, name: &str) -> Result<Option<u64>> {
        self.conn
            .prepare_cached("SELECT position FROM checkpoints WHERE name = ?1")
            .and_then(|mut s| {
                s.query_row(params![name], |r| r.get::<_, i64>(0))
                    .optional()
            })
            .map(|p| p.map(u64_of))
            .map_err(db("read a checkpoint"))
    }

    fn record(&mut self, key: &RecordKey) -> Result<Option<RecordRow>> {
        let result = match key {
            RecordKey::Id(id) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM records r WHERE r.id = ?1"
                ))
                .and_then(|mut s| s.query_row(params![id.to_bytes()], record_row).optional()),
            RecordKey::Number(n) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT {RECORD_COLUMNS} FROM records r WHERE r.number = ?1"
                ))
                .and_then(|mut s| s.query_row(params![n], record_row).optional()),
        };
        result.map_err(db("read a record"))
    }

    fn query(&mut self, query: &RecordQuery) -> Result<Vec<RecordRow>> {
        let sql = query_sql(query);
        let mut stmt = self
            .conn
            .prepare_cached(&sql)
            .map_err(db("prepare a query"))?;
        // Only the parameters the statement names (the cursor's are absent
        // on a first page); the page ends where `limit` rows were read, so
        // no LIMIT parameter makes SQLite re-plan at every new value.
        let count = stmt.parameter_count();
        stmt.query_map(
            rusqlite::params_from_iter(bind_query(query).into_iter().take(count)),
            record_row,
        )
        .and_then(|rows| rows.take(query.limit as usize).collect())
        .map_err(db("run a query"))
    }

    fn explain(&mut self, query: &RecordQuery) -> Result<String> {
        let sql = format!("EXPLAIN QUERY PLAN {}", query_sql(query));
        let mut stmt = self.conn.prepare(&sql).map_err(db("prepare an explain"))?;
        let count = stmt.parameter_count();
        let lines: Vec<String> = stmt
            .query_map(
                rusqlite::params_from_iter(bind_query(query).into_iter().take(count)),
                |r| r.get(3),
            )
            .and_then(Iterator::collect)
            .map_err(db("explain a query"))?;
        Ok(lines.join("\n"))
    }

    fn put_projection(
        &mut self,
        row: &crate::record::ProjectionRow,
        version: u64,
        updated_at: i64,
    ) -> Result<bool> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin a projection rebuild"))?;
        let current = Self::locate_actual(&tx, &row.id.to_bytes())?.map(|(v, _)| v);
        if current != Some(version) {
            return Ok(false);
        }
        write_projection(&tx, row, version, updated_at)?;
        tx.commit().map_err(db("commit a projection"))?;
        Ok(true)
    }

    fn delete_projection(&mut self, id: StreamId) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin a projection removal"))?;
        tx.execute(
            "DELETE FROM record_cis WHERE record_id = ?1",
            params![id.to_bytes()],
        )
        .and_then(|_| tx.execute("DELETE FROM records WHERE id = ?1", params![id.to_bytes()]))
        .map_err(db("remove a projection"))?;
        tx.commit().map_err(db("commit a projection removal"))
    }

    fn put_clocks(
        &mut self,
        record: StreamId,
        kind: &StreamKind,
        clocks: &[ClockRow],
    ) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin a clock write"))?;
        write_clocks(&tx, &record.to_bytes(), kind.as_str(), clocks)?;
        tx.commit().map_err(db("commit clocks"))
    }

    fn clocks(&mut self, record: StreamId) -> Result<Vec<ClockRead>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record_kind, summary FROM clocks WHERE record_id = ?1 ORDER BY definition",
            )
            .map_err(db("prepare a clock read"))?;
        stmt.query_map(params![record.to_bytes()], |r| {
            Ok(ClockRead {
                record_kind: kind_of(r.get(0)?)?,
                summary: r.get(1)?,
            })
        })
        .and_then(Iterator::collect)
        .map_err(db("read clocks"))
    }

    fn due_clocks(&mut self, before: i64, limit: usize) -> Result<Vec<DueClock>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT record_id, record_kind, definition, next_event_at FROM clocks \
                 WHERE next_event_at IS NOT NULL AND next_event_at < ?1 \
                 ORDER BY next_event_at, record_id, definition",
            )
            .map_err(db("prepare the due clocks"))?;
        stmt.query_map(params![before], |r| {
            Ok(DueClock {
                record: stream_of(r.get(0)?),
                record_kind: kind_of(r.get(1)?)?,
                definition: r.get(2)?,
                next_event_at: from_nanos(r.get(3)?),
            })
        })
        .and_then(|rows| rows.take(limit).collect())
        .map_err(db("read the due clocks"))
    }

    fn claim_due(
        &mut self,
        before: i64,
        now: i64,
        until: i64,
        owner: &str,
        limit: usize,
    ) -> Result<Vec<DueClock>> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin a claim"))?;
        let claimed = tx
            .prepare_cached(
                "UPDATE clocks SET claimed_by = ?1, claimed_until = ?2 WHERE rowid IN ( \
                 SELECT rowid FROM clocks WHERE next_event_at IS NOT NULL AND next_event_at < ?3 \
                 AND (claimed_until IS NULL OR claimed_until < ?4) \
                 ORDER BY next_event_at, record_id, definition LIMIT ?5) \
                 RETURNING record_id, record_kind, definition, next_event_at",
            )
            .and_then(|mut s| {
                s.query_map(
                    params![owner, until, before, now, i64_of(limit as u64)],
                    |r| {
                        Ok(DueClock {
                            record: stream_of(r.get(0)?),
                            record_kind: kind_of(r.get(1)?)?,
                            definition: r.get(2)?,
                            next_event_at: from_nanos(r.get(3)?),
                        })
                    },
                )?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(db("claim due clocks"))?;
        tx.commit().map_err(db("commit a claim"))?;
        let mut claimed = claimed;
        claimed.sort_by(|a, b| {
            (a.next_event_at, a.record, &a.definition).cmp(&(
                b.next_event_at,
                b.record,
                &b.definition,
            ))
        });
        Ok(claimed)
    }

    fn cmdb_load(&mut self) -> Result<Option<CmdbRows>> {
        let meta: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT version, definitions FROM cmdb_meta WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db("read the cmdb"))?;
        let Some((version, definitions)) = meta else {
            return Ok(None);
        };
        let cis: Vec<String> = self
            .conn
            .prepare("SELECT doc FROM cmdb_cis ORDER BY seq")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(db("read the cmdb cis"))?;
        let relationships: Vec<Relationship> = self
            .conn
            .prepare("SELECT source, type, target FROM cmdb_relationships ORDER BY seq")
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(Relationship {
                        source: ci_of(r.get(0)?),
                        relationship_type: r.get(1)?,
                        target: ci_of(r.get(2)?),
                    })
                })?
                .collect()
            })
            .map_err(db("read the cmdb relationships"))?;
        let provenance: Vec<ProvenanceRecord> = self
            .conn
            .prepare("SELECT ci, attribute, source, at FROM cmdb_provenance ORDER BY ci, attribute")
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok(ProvenanceRecord {
                        ci: ci_of(r.get(0)?),
                        attribute: r.get(1)?,
                        source: r.get(2)?,
                        at: from_nanos(r.get(3)?),
                    })
                })?
                .collect()
            })
            .map_err(db("read the cmdb provenance"))?;
        Ok(Some(CmdbRows {
            version: u64_of(version),
            definitions,
            cis,
            relationships,
            provenance,
        }))
    }

    fn cmdb_write(&mut self, write: &CmdbWrite) -> Result<u64> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db("begin a cmdb write"))?;
        let actual: u64 = tx
            .query_row("SELECT version FROM cmdb_meta WHERE id = 1", [], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map_err(db("read the cmdb version"))?
            .map_or(0, u64_of);
        if actual != write.expected_version {
            return Err(StoreError::CmdbConflict {
                expected: write.expected_version,
                actual,
            });
        }
        let version = actual + 1;
        let w = |e| db("write the cmdb")(e);
        match &write.definitions {
            Some(d) => tx.execute(
                "INSERT INTO cmdb_meta (id, version, definitions) VALUES (1, ?1, ?2) \
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version, definitions = excluded.definitions",
                params![i64_of(version), d],
            ),
            None => tx.execute(
                "INSERT INTO cmdb_meta (id, version, definitions) VALUES (1, ?1, '{}') \
                 ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                params![i64_of(version)],
            ),
        }
        .map_err(w)?;
        {
            let mut del_ci = tx
                .prepare_cached("DELETE FROM cmdb_cis WHERE id = ?1")
                .map_err(w)?;
            for id in &write.removed_cis {
                del_ci
                    .execute(params![id.as_u128().to_be_bytes()])
                    .map_err(w)?;
            }
            let mut del_rel = tx
                .prepare_cached(
                    "DELETE FROM cmdb_relationships WHERE source = ?1 AND type = ?2 AND target = ?3",
                )
                .map_err(w)?;
            for r in &write.removed_relationships {
                del_rel
                    .execute(params![
                        r.source.as_u128().to_be_bytes(),
                        r.relationship_type,
                        r.target.as_u128().to_be_bytes()
                    ])
                    .map_err(w)?;
            }
            let mut upd_ci = tx
                .prepare_cached(
                    "UPDATE cmdb_cis SET class = ?2, name = ?3, doc = ?4, updated_at = ?5 WHERE id = ?1",
                )
                .map_err(w)?;
            for c in &write.changed_cis {
                upd_ci
                    .execute(params![
                        c.id.as_u128().to_be_bytes(),
                        c.class,
                        c.name,
                        c.doc,
                        write.at
                    ])
                    .map_err(w)?;
            }
            let mut seq: i64 = tx
                .query_row("SELECT COALESCE(MAX(seq), 0) FROM cmdb_cis", [], |r| {
                    r.get(0)
                })
                .map_err(w)?;
            let mut add_ci = tx
                .prepare_cached(
                    "INSERT INTO cmdb_cis (id, seq, class, name, doc, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )
                .map_err(w)?;
            for c in &write.added_cis {
                seq += 1;
                add_ci
                    .execute(params![
                        c.id.as_u128().to_be_bytes(),
                        seq,
                        c.class,
                        c.name,
                        c.doc,
                        write.at
                    ])
                    .map_err(w)?;
            }
            let mut seq: i64 = tx
                .query_row(
                    "SELECT COALESCE(MAX(seq), 0) FROM cmdb_relationships",
                    [],
                    |r| r.get(0),
                )
                .map_err(w)?;
            let mut add_rel = tx
                .prepare_cached(
                    "INSERT INTO cmdb_relationships (source, type, target, seq) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(w)?;
            for r in &write.added_relationships {
                seq += 1;
                add_rel
                    .execute(params![
                        r.source.as_u128().to_be_bytes(),
                        r.relationship_type,
                        r.target.as_u128().to_be_bytes(),
                        seq
                    ])
                    .map_err(w)?;
            }
            let mut del_prov = tx
                .prepare_cached("DELETE FROM cmdb_provenance WHERE ci = ?1 AND attribute = ?2")
                .map_err(w)?;
            for (ci, attribute) in &write.provenance_removals {
                del_prov
                    .execute(params![ci.as_u128().to_be_bytes(), attribute])
                    .map_err(w)?;
            }
            let mut put_prov = tx
                .prepare_cached(
                    "INSERT INTO cmdb_provenance (ci, attribute, source, at) VALUES (?1, ?2, ?3, ?4) \
                     ON CONFLICT (ci, attribute) DO UPDATE SET source = excluded.source, at = excluded.at",
                )
                .map_err(w)?;
            for p in &write.provenance_upserts {
                put_prov
                    .execute(params![
                        p.ci.as_u128().to_be_bytes(),
                        p.attribute,
                        p.source,
                        crate::model::to_nanos(p.at, "provenance at")?
                    ])
                    .map_err(w)?;
            }
            let mut hist = tx
                .prepare_cached(
                    "INSERT INTO cmdb_history (cmdb_version, at, actor, source, change, ci, detail) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(w)?;
            for h in &write.history {
                hist.execute(params![
                    i64_of(version),
                    write.at,
                    write.actor.map(|a| a.as_u128().to_be_bytes()),
                    write.source,
                    change_name(h.change),
                    h.ci.map(|c| c.as_u128().to_be_bytes()),
                    h.detail
                ])
                .map_err(w)?;
            }
        }
        tx.commit().map_err(db("commit a cmdb write"))?;
        Ok(version)
    }

    fn cmdb_history(
        &mut self,
        ci: Option<CiId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<CmdbHistoryEntry>> {
        let sql = if ci.is_some() {
            "SELECT seq, cmdb_version, at, actor, source, change, ci, detail FROM cmdb_history \
             WHERE ci = ?1 AND seq > ?2 ORDER BY ci, seq LIMIT ?3"
        } else {
            "SELECT seq, cmdb_version, at, actor, source, change, ci, detail FROM cmdb_history \
             WHERE ?1 IS NULL AND seq > ?2 ORDER BY seq LIMIT ?3"
        };
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(db("prepare the cmdb history"))?;
        stmt.query_map(
            params![
                ci.map(|c| c.as_u128().to_be_bytes()),
                i64_of(after),
                i64_of(limit as u64)
            ],
            |r| {
                Ok(CmdbHistoryEntry {
                    seq: u64_of(r.get(0)?),
                    cmdb_version: u64_of(r.get(1)?),
                    at: from_nanos(r.get(2)?),
                    actor: person_from(opt_id(r, 3)?),
                    source: r.get(4)?,
                    change: change_of(&r.get::<_, String>(5)?),
                    ci: opt_id(r, 6)?.map(|b| CiId::from_u128(u128::from_be_bytes(b))),
                    detail: r.get(7)?,
                })
            },
        )
        .and_then(Iterator::collect)
        .map_err(db("read the cmdb history"))
    }
}

fn ci_of(bytes: Vec<u8>) -> CiId {
    CiId::from_u128(u128::from_be_bytes(id_bytes(bytes)))
}

pub(crate) fn change_name(change: CmdbChangeKind) -> &'static str {
    match change {
        CmdbChangeKind::CiAdded => "ci_added",
        CmdbChangeKind::CiRemoved => "ci_removed",
        CmdbChangeKind::CiChanged => "ci_changed",
        CmdbChangeKind::RelationshipAdded => "relationship_added",
        CmdbChangeKind::RelationshipRemoved => "relationship_removed",
        CmdbChangeKind::DefinitionsChanged => "definitions_changed",
    }
}

pub(crate) fn change_of(name: &str) -> CmdbChangeKind {
    match name {
        "ci_added" => CmdbChangeKind::CiAdded,
        "ci_removed" => CmdbChangeKind::CiRemoved,
        "relationship_added" => CmdbChangeKind::RelationshipAdded,
        "relationship_removed" => CmdbChangeKind::RelationshipRemoved,
        "definitions_changed" => CmdbChangeKind::DefinitionsChanged,
        _ => CmdbChangeKind::CiChanged,
    }
}

fn write_projection(
    tx: &rusqlite::Transaction<'_>,
    row: &crate::record::ProjectionRow,
    version: u64,
    updated_at: i64,
) -> Result<()> {
    let w = |e| db("write a projection")(e);
    let id = row.id.to_bytes();
    tx.prepare_cached(
        "INSERT INTO records (id, kind, number, state, category, priority, assignment_group, assignee, \
         is_open, version, opened_at, updated_at, doc) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) \
         ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, number = excluded.number, \
         state = excluded.state, category = excluded.category, priority = excluded.priority, \
         assignment_group = excluded.assignment_group, assignee = excluded.assignee, \
         is_open = excluded.is_open, version = excluded.version, opened_at = excluded.opened_at, \
         updated_at = excluded.updated_at, doc = excluded.doc",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            row.kind.as_str(),
            row.number,
            row.state,
            row.category,
            row.priority_rank,
            row.assignment_group.map(|g| g.as_u128().to_be_bytes()),
            row.assignee.map(|p| p.as_u128().to_be_bytes()),
            row.is_open,
            i64_of(version),
            row.opened_at_nanos,
            updated_at,
            row.doc,
        ])
    })
    .map_err(|e| {
        if is_unique_violation(&e, "number") {
            StoreError::invalid(
                format!("projection of {}", row.id),
                vec![format!("number {} belongs to another record", row.number)],
            )
        } else {
            w(e)
        }
    })?;
    tx.prepare_cached("DELETE FROM record_cis WHERE record_id = ?1")
        .and_then(|mut s| s.execute(params![id]))
        .map_err(w)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO record_cis (ci_id, kind, priority, record_id, is_open) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(w)?;
    for ci in &row.cis {
        insert
            .execute(params![
                ci.as_u128().to_be_bytes(),
                row.kind.as_str(),
                row.priority_rank,
                id,
                row.is_open
            ])
            .map_err(w)?;
    }
    Ok(())
}

fn write_clocks(
    tx: &rusqlite::Transaction<'_>,
    record: &[u8; 16],
    kind: &str,
    clocks: &[ClockRow],
) -> Result<()> {
    let w = |e| db("write clocks")(e);
    tx.prepare_cached("DELETE FROM clocks WHERE record_id = ?1")
        .and_then(|mut s| s.execute(params![record]))
        .map_err(w)?;
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO clocks (record_id, definition, record_kind, stage, breached, next_event_at, \
             evaluated_at, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(w)?;
    for c in clocks {
        insert
            .execute(params![
                record,
                c.definition,
                kind,
                c.stage,
                c.breached,
                c.next_event_at,
                c.evaluated_at,
                c.summary
            ])
            .map_err(w)?;
    }
    Ok(())
}
