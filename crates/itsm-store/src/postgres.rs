//! The shared backend: PostgreSQL through the synchronous `postgres` client.
//!
//! Global positions come from the single row of `store_position`, updated
//! in the append's transaction just before its events are inserted: the row
//! lock is held to commit, so positions are committed in order and without
//! gaps, and a catch-up reader never skips one. No sequence, no advisory
//! lock: the same SQL serves PostgreSQL-wire distributed databases.
//!
//! An append, to one stream or to many (a desk command, a batch of them),
//! is one statement committed on its own: data-modifying common table
//! expressions lock the streams in id order, check and move their
//! versions, allocate the positions, insert the events and write the
//! projections, their CI rows and the clocks, with every value passed as an
//! array; a refusal rolls the whole statement back. One round trip, one
//! prepared plan, whatever the number of streams.

use std::collections::HashMap;

use itsm_cmdb::{ProvenanceRecord, Relationship};
use itsm_core::CiId;
use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Statement};
use uuid::Uuid;

use crate::backend::{
    AppendBatch, AppendResult, Backend, ClockRead, EventLocation, RecordKey, RecordRow,
};
use crate::clock::{ClockRow, DueClock};
use crate::cmdb::{CmdbHistoryEntry, CmdbRows, CmdbWrite};
use crate::error::{Result, StoreError};
use crate::migrate::{self, Migration};
use crate::model::{
    EventId, ExpectedVersion, RecordedEvent, StreamId, StreamInfo, StreamKind, StreamSnapshot,
    from_nanos, to_nanos,
};
use crate::record::{ProjectionRow, RecordFilter, RecordQuery};
use crate::sqlite::{change_name, change_of};

/// The PostgreSQL migrations, in order.
pub(crate) const MIGRATIONS: &[Migration] = migrate::migrations!("postgres");

const NAME: &str = "postgres";

fn db(operation: &'static str) -> impl Fn(postgres::Error) -> StoreError {
    move |e| StoreError::Backend {
        backend: NAME,
        operation,
        message: e
            .as_db_error()
            .map_or_else(|| e.to_string(), |d| d.to_string()),
    }
}

/// The PostgreSQL backend: one connection, statements prepared once.
pub struct PostgresBackend {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl std::fmt::Debug for PostgresBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresBackend").finish_non_exhaustive()
    }
}

fn prepared(
    cache: &mut HashMap<String, Statement>,
    client: &mut impl GenericClient,
    sql: &str,
) -> Result<Statement> {
    if let Some(s) = cache.get(sql) {
        return Ok(s.clone());
    }
    let s = client.prepare(sql).map_err(db("prepare a statement"))?;
    cache.insert(sql.to_owned(), s.clone());
    Ok(s)
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn i64_of(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn uuid(v: u128) -> Uuid {
    Uuid::from_u128(v)
}

fn kind_of(text: String) -> Result<StreamKind> {
    StreamKind::new(text)
}

const EVENT_COLUMNS: &str = "position, stream_id, stream_kind, version, event_id, event_type, \
     schema_version, recorded_at, occurred_at, actor, correlation_id, causation_id, payload";

fn event_row(row: &Row) -> Result<RecordedEvent> {
    Ok(RecordedEvent {
        position: u64_of(row.get(0)),
        stream_id: StreamId::from_uuid(row.get(1)),
        stream_kind: kind_of(row.get(2))?,
        version: u64_of(row.get(3)),
        event_id: EventId::from_uuid(row.get(4)),
        event_type: row.get(5),
        schema_version: u32::try_from(row.get::<_, i64>(6)).unwrap_or(u32::MAX),
        recorded_at: from_nanos(row.get(7)),
        occurred_at: from_nanos(row.get(8)),
        actor: row
            .get::<_, Option<Uuid>>(9)
            .map(|u| itsm_core::PersonId::from_u128(u.as_u128())),
        correlation_id: row.get(10),
        causation_id: row.get::<_, Option<Uuid>>(11).map(EventId::from_uuid),
        payload: row.get(12),
    })
}

const RECORD_COLUMNS: &str = "r.id, r.kind, r.priority, r.version, r.updated_at, r.doc";

fn record_row(row: &Row) -> Result<RecordRow> {
    Ok(RecordRow {
        id: StreamId::from_uuid(row.get(0)),
        kind: kind_of(row.get(1))?,
        priority_rank: u8::try_from(row.get::<_, i64>(2)).unwrap_or(u8::MAX),
        version: u64_of(row.get(3)),
        updated_at: row.get(4),
        doc: row.get(5),
    })
}

/// The SQL of a query page and its parameters: one index range in page order.
fn query_sql(query: &RecordQuery) -> (String, Vec<Box<dyn ToSql + Sync>>) {
    let mut params: Vec<Box<dyn ToSql + Sync>> = vec![Box::new(query.kind.as_str().to_owned())];
    let is_ci = matches!(query.filter, RecordFilter::Ci(_));
    let (from, t, p, i) = if is_ci {
        (
            "record_cis c JOIN records r ON r.id = c.record_id",
            "c",
            "c.priority",
            "c.record_id",
        )
    } else {
        ("records r", "r", "r.priority", "r.id")
    };
    let mut wh = format!("{t}.kind = $1");
    let mut push = |column: &str, value: Box<dyn ToSql + Sync>, params: &mut Vec<_>| {
        params.push(value);
        wh.push_str(&format!(" AND {column} = ${}", params.len()));
    };
    match &query.filter {
        RecordFilter::All => {}
        RecordFilter::State(s) => push("r.state", Box::new(s.clone()), &mut params),
        RecordFilter::Category(c) => push("r.category", Box::new(c.to_string()), &mut params),
        RecordFilter::Group(g) => push(
            "r.assignment_group",
            Box::new(uuid(g.as_u128())),
            &mut params,
        ),
        RecordFilter::Assignee(a) => push("r.assignee", Box::new(uuid(a.as_u128())), &mut params),
        RecordFilter::Priority(pr) => {
            push("r.priority", Box::new(i64::from(pr.rank())), &mut params);
        }
        RecordFilter::Ci(c) => push("c.ci_id", Box::new(uuid(c.as_u128())), &mut params),
    }
    if query.open_only {
        wh.push_str(&format!(" AND {t}.is_open"));
    }
    if let Some(cursor) = query.after {
        params.push(Box::new(i64::from(cursor.priority_rank)));
        params.push(Box::new(cursor.id.uuid()));
        wh.push_str(&format!(
            " AND ({p}, {i}) > (${}, ${})",
            params.len() - 1,
            params.len()
        ));
    }
    params.push(Box::new(i64::from(query.limit)));
    (
        format!(
            "SELECT {RECORD_COLUMNS} FROM {from} WHERE {wh} ORDER BY {p}, {i} LIMIT ${}",
            params.len()
        ),
        params,
    )
}

fn unique_violation_on(e: &postgres::Error, constraint: &str) -> bool {
    e.code() == Some(&SqlState::UNIQUE_VIOLATION)
        && e.as_db_error()
            .and_then(|d| d.constraint())
            .is_some_and(|c| c == constraint)
}

/// Splits a `schema=NAME` parameter off a PostgreSQL URL.
fn split_schema(url: &str) -> Result<(String, Option<String>)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_owned(), None));
    };
    let mut schema = None;
    let mut rest = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("schema", name)) => schema = Some(name.to_owned()),
            _ => rest.push(pair),
        }
    }
    if let Some(name) = &schema {
        let ok = !name.is_empty()
            && name.len() <= 63
            && name.as_bytes()[0].is_ascii_lowercase()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(StoreError::InvalidUrl {
                url: crate::url::mask(url),
                reason: format!(
                    "schema {name:?} is not a lower-case name of 1 to 63 letters, digits and underscores"
                ),
            });
        }
    }
    let base = if rest.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((base, schema))
}

impl PostgresBackend {
    /// Connects to `url` (`postgres://user:password@host:port/db`, with an
    /// optional `schema=NAME` parameter that keeps the store in its own
    /// schema, created if needed) and applies pending migrations.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the server cannot be reached,
    /// [`StoreError::SchemaTooNew`], [`StoreError::Migration`].
    pub fn open(url: &str) -> Result<Self> {
        let (base, schema) = split_schema(url)?;
        let mut client = Client::connect(&base, NoTls).map_err(db("connect"))?;
        if let Some(schema) = &schema {
            // Two processes may create the schema at once: the loser retries.
            let mut attempts = 0;
            loop {
                match client.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")) {
                    Ok(()) => break,
                    Err(_) if attempts < 3 => attempts += 1,
                    Err(e) => return Err(db("create the schema")(e)),
                }
            }
            client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .map_err(db("set the search path"))?;
        }
        let mut backend = Self {
            client,
            statements: HashMap::new(),
        };
        backend.migrate(&crate::url::mask(url), MIGRATIONS)?;
        Ok(backend)
    }

    /// Applies `migrations` up to the last one, refusing a newer database.
    pub(crate) fn migrate(&mut self, location: &str, migrations: &[Migration]) -> Result<()> {
        let mut attempts = 0;
        loop {
            match self.client.batch_execute(migrate::SCHEMA_TABLE) {
                Ok(()) => break,
                Err(_) if attempts < 3 => attempts += 1,
                Err(e) => return Err(db("create the schema table")(e)),
            }
        }
        let mut tx = self.client.transaction().map_err(db("begin migration"))?;
        // Row 0 serialises migrating processes (a row lock, not an advisory one).
        tx.execute(
            "INSERT INTO itsm_schema (version, name, applied_at) VALUES (0, 'lock', 0) \
             ON CONFLICT (version) DO NOTHING",
            &[],
        )
        .map_err(db("create the migration lock"))?;
        tx.query(
            "SELECT version FROM itsm_schema WHERE version = 0 FOR UPDATE",
            &[],
        )
        .map_err(db("take the migration lock"))?;
        let current: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM itsm_schema", &[])
            .map_err(db("read the schema version"))?
            .get(0);
        let current = u32::try_from(current).unwrap_or(0);
        for m in migrate::pending(location, current, migrations)? {
            tx.batch_execute(m.sql).map_err(|e| StoreError::Migration {
                version: m.version,
                name: m.name,
                message: e
                    .as_db_error()
                    .map_or_else(|| e.to_string(), |d| d.to_string()),
            })?;
            tx.execute(
                "INSERT INTO itsm_schema (version, name, applied_at) VALUES ($1, $2, $3)",
                &[
                    &i32::try_from(m.version).unwrap_or(i32::MAX),
                    &m.name,
                    &migrate::now_nanos(),
                ],
            )
            .map_err(db("record a migration"))?;
        }
        tx.commit().map_err(db("commit migrations"))
    }
}

impl Backend for PostgresBackend {
    fn name(&self) -> &'static str {
        NAME
    }

    fn schema_version(&mut self) -> Result<u32> {
        let v: i32 = self
            .client
            .query_one("SELECT COALESCE(MAX(version), 0) FROM itsm_schema", &[])
            .map_err(db("read the schema version"))?
            .get(0);
        Ok(u32::try_from(v).unwrap_or(0))
    }

    fn append(&mut self, batches: &[AppendBatch<'_>]) -> Result<AppendResult> {
        // The store refuses an append without events before it gets here.
        match batches.first() {
            Some(first) if batches.iter().all(|b| !b.events.is_empty()) => {
                self.append_statement(batches, first.recorded_at)
            }
            _ => Err(StoreError::invalid(
                "append",
                vec!["an append writes at least one event to each stream".to_owned()],
            )),
        }
    }

    fn locate_events(&mut self, ids: &[EventId]) -> Result<Vec<EventLocation>> {
        let uuids: Vec<Uuid> = ids.iter().map(|i| i.uuid()).collect();
        let rows = self
            .client
            .query(
                "SELECT event_id, stream_id, version, position FROM events WHERE event_id = ANY($1)",
                &[&uuids],
            )
            .map_err(db("look events up"))?;
        let found: HashMap<Uuid, EventLocation> = rows
            .iter()
            .map(|r| {
                let id: Uuid = r.get(0);
                (
                    id,
                    EventLocation {
                        event_id: EventId::from_uuid(id),
                        stream: StreamId::from_uuid(r.get(1)),
                        version: u64_of(r.get(2)),
                        position: u64_of(r.get(3)),
                    },
                )
            })
            .collect();
        Ok(uuids.iter().filter_map(|u| found.get(u).copied()).collect())
    }

    fn read_stream(
        &mut self,
        stream: StreamId,
        from: u64,
        limit: usize,
    ) -> Result<Vec<RecordedEvent>> {
        let s = prepared(
            &mut self.statements,
            &mut self.client,
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE stream_id = $1 AND version >= $2 \
                 ORDER BY version LIMIT $3"
            ),
        )?;
        self.client
            .query(&s, &[&stream.uuid(), &i64_of(from), &i64_of(limit as u64)])
            .map_err(db("read a stream"))?
            .iter()
            .map(event_row)
            .collect()
    }

    fn read_all(&mut self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        let s = prepared(
            &mut self.statements,
            &mut self.client,
            &format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE position > $1 ORDER BY position LIMIT $2"
            ),
        )?;
        self.client
            .query(&s, &[&i64_of(after), &i64_of(limit as u64)])
            .map_err(db("read events"))?
            .iter()
            .map(event_row)
            .collect()
    }

    fn head(&mut self) -> Result<u64> {
        let v: i64 = self
            .client
            .query_one("SELECT last_position FROM store_position WHERE id = 1", &[])
            .map_err(db("read the head position"))?
            .get(0);
        Ok(u64_of(v))
    }

    fn stream_info(&mut self, stream: StreamId) -> Result<Option<StreamInfo>> {
        self.client
            .query_opt(
                "SELECT version, kind FROM streams WHERE stream_id = $1",
                &[&stream.uuid()],
            )
            .map_err(db("read a stream"))?
            .map(|r| {
                Ok(StreamInfo {
                    stream,
                    version: u64_of(r.get(0)),
                    kind: kind_of(r.get(1))?,
                })
            })
            .transpose()
    }

    fn streams(&mut self, after: Option<StreamId>, limit: usize) -> Result<Vec<StreamInfo>> {
        let rows = match after {
            None => self.client.query(
                "SELECT stream_id, version, kind FROM streams ORDER BY stream_id LIMIT $1",
                &[&i64_of(limit as u64)],
            ),
            Some(after) => self.client.query(
                "SELECT stream_id, version, kind FROM streams WHERE stream_id > $1 \
                 ORDER BY stream_id LIMIT $2",
                &[&after.uuid(), &i64_of(limit as u64)],
            ),
        }
        .map_err(db("list streams"))?;
        rows.iter()
            .map(|r| {
                Ok(StreamInfo {
                    stream: StreamId::from_uuid(r.get(0)),
                    version: u64_of(r.get(1)),
                    kind: kind_of(r.get(2))?,
                })
            })
            .collect()
    }

    fn save_snapshot(&mut self, snapshot: &StreamSnapshot) -> Result<()> {
        let mut tx = self.client.transaction().map_err(db("begin a snapshot"))?;
        let stream = snapshot.stream.uuid();
        let version = tx
            .query_opt(
                "SELECT version FROM streams WHERE stream_id = $1 FOR SHARE",
                &[&stream],
            )
            .map_err(db("read the stream version"))?
            .map(|r| u64_of(r.get(0)));
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
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (stream_id) DO UPDATE SET \
             version = EXCLUDED.version, schema_version = EXCLUDED.schema_version, \
             taken_at = EXCLUDED.taken_at, state = EXCLUDED.state",
            &[
                &stream,
                &i64_of(snapshot.version),
                &i64::from(snapshot.schema_version),
                &to_nanos(snapshot.taken_at, "snapshot taken_at")?,
                &snapshot.state,
            ],
        )
        .map_err(db("write a snapshot"))?;
        tx.commit().map_err(db("commit a snapshot"))
    }

    fn load_snapshot(&mut self, stream: StreamId) -> Result<Option<StreamSnapshot>> {
        Ok(self
            .client
            .query_opt(
                "SELECT version, schema_version, taken_at, state FROM snapshots WHERE stream_id = $1",
                &[&stream.uuid()],
            )
            .map_err(db("read a snapshot"))?
            .map(|r| StreamSnapshot {
                stream,
                version: u64_of(r.get(0)),
                schema_version: u32::try_from(r.get::<_, i64>(1)).unwrap_or(u32::MAX),
                taken_at: from_nanos(r.get(2)),
                state: r.get(3),
            }))
    }

    fn save_checkpoint(&mut self, name: &str, position: u64) -> Result<()> {
        self.client
            .execute(
                "INSERT INTO checkpoints (name, position) VALUES ($1, $2) \
                 ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                &[&name, &i64_of(position)],
            )
            .map(drop)
            .map_err(db("write a checkpoint"))
    }

    fn checkpoint(&mut self, name: &str) -> Result<Option<u64>> {
        Ok(self
            .client
            .query_opt("SELECT position FROM checkpoints WHERE name = $1", &[&name])
            .map_err(db("read a checkpoint"))?
            .map(|r| u64_of(r.get(0))))
    }

    fn record(&mut self, key: &RecordKey) -> Result<Option<RecordRow>> {
        let row = match key {
            RecordKey::Id(id) => {
                let s = prepared(
                    &mut self.statements,
                    &mut self.client,
                    &format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.id = $1"),
                )?;
                self.client.query_opt(&s, &[&id.uuid()])
            }
            RecordKey::Number(n) => {
                let s = prepared(
                    &mut self.statements,
                    &mut self.client,
                    &format!("SELECT {RECORD_COLUMNS} FROM records r WHERE r.number = $1"),
                )?;
                self.client.query_opt(&s, &[n])
            }
        }
        .map_err(db("read a record"))?;
        row.as_ref().map(record_row).transpose()
    }

    fn query(&mut self, query: &RecordQuery) -> Result<Vec<RecordRow>> {
        let (sql, params) = query_sql(query);
        let s = prepared(&mut self.statements, &mut self.client, &sql)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(AsRef::as_ref).collect();
        self.client
            .query(&s, &refs)
            .map_err(db("run a query"))?
            .iter()
            .map(record_row)
            .collect()
    }

    fn explain(&mut self, query: &RecordQuery) -> Result<String> {
        let (sql, params) = query_sql(query);
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(AsRef::as_ref).collect();
        let rows = self
            .client
            .query(&format!("EXPLAIN {sql}"), &refs)
            .map_err(db("explain a query"))?;
        Ok(rows
            .iter()
            .map(|r| r.get::<_, String>(0))
            .collect::<Vec<_>>()
            .join("\n"))
    }

    fn put_projection(
        &mut self,
        row: &ProjectionRow,
        version: u64,
        updated_at: i64,
    ) -> Result<bool> {
        let cache = &mut self.statements;
        let mut tx = self
            .client
            .transaction()
            .map_err(db("begin a projection rebuild"))?;
        let current = tx
            .query_opt(
                "SELECT version FROM streams WHERE stream_id = $1 FOR UPDATE",
                &[&row.id.uuid()],
            )
            .map_err(db("read the stream version"))?
            .map(|r| u64_of(r.get(0)));
        if current != Some(version) {
            return Ok(false);
        }
        write_projection(cache, &mut tx, row, version, updated_at)?;
        tx.commit().map_err(db("commit a projection"))?;
        Ok(true)
    }

    fn delete_projection(&mut self, id: StreamId) -> Result<()> {
        let mut tx = self
            .client
            .transaction()
            .map_err(db("begin a projection removal"))?;
        tx.execute("DELETE FROM record_cis WHERE record_id = $1", &[&id.uuid()])
            .and_then(|_| tx.execute("DELETE FROM records WHERE id = $1", &[&id.uuid()]))
            .map_err(db("remove a projection"))?;
        tx.commit().map_err(db("commit a projection removal"))
    }

    fn put_clocks(
        &mut self,
        record: StreamId,
        kind: &StreamKind,
        clocks: &[ClockRow],
    ) -> Result<()> {
        let cache = &mut self.statements;
        let mut tx = self
            .client
            .transaction()
            .map_err(db("begin a clock write"))?;
        write_clocks(cache, &mut tx, record.uuid(), kind.as_str(), clocks)?;
        tx.commit().map_err(db("commit clocks"))
    }

    fn clocks(&mut self, record: StreamId) -> Result<Vec<ClockRead>> {
        self.client
            .query(
                "SELECT record_kind, summary FROM clocks WHERE record_id = $1 ORDER BY definition",
                &[&record.uuid()],
            )
            .map_err(db("read clocks"))?
            .iter()
            .map(|r| {
                Ok(ClockRead {
                    record_kind: kind_of(r.get(0))?,
                    summary: r.get(1),
                })
            })
            .collect()
    }

    fn due_clocks(&mut self, before: i64, limit: usize) -> Result<Vec<DueClock>> {
        let s = prepared(
            &mut self.statements,
            &mut self.client,
            "SELECT record_id, record_kind, definition, next_event_at FROM clocks \
             WHERE next_event_at IS NOT NULL AND next_event_at < $1 \
             ORDER BY next_event_at, record_id, definition LIMIT $2",
        )?;
        self.client
            .query(&s, &[&before, &i64_of(limit as u64)])
            .map_err(db("read the due clocks"))?
            .iter()
            .map(|r| {
                Ok(DueClock {
                    record: StreamId::from_uuid(r.get(0)),
                    record_kind: kind_of(r.get(1))?,
                    definition: r.get(2),
                    next_event_at: from_nanos(r.get(3)),
                })
            })
            .collect()
    }

    fn claim_due(
        &mut self,
        before: i64,
        now: i64,
        until: i64,
        owner: &str,
        limit: usize,
    ) -> Result<Vec<DueClock>> {
        let s = prepared(
            &mut self.statements,
            &mut self.client,
            "UPDATE clocks c SET claimed_by = $1, claimed_until = $2 FROM ( \
             SELECT record_id, definition FROM clocks WHERE next_event_at IS NOT NULL \
             AND next_event_at < $3 AND (claimed_until IS NULL OR claimed_until < $4) \
             ORDER BY next_event_at, record_id, definition LIMIT $5 FOR UPDATE SKIP LOCKED) d \
             WHERE c.record_id = d.record_id AND c.definition = d.definition \
             RETURNING c.record_id, c.record_kind, c.definition, c.next_event_at",
        )?;
        let mut claimed: Vec<DueClock> = self
            .client
            .query(&s, &[&owner, &until, &before, &now, &i64_of(limit as u64)])
            .map_err(db("claim due clocks"))?
            .iter()
            .map(|r| {
                Ok(DueClock {
                    record: StreamId::from_uuid(r.get(0)),
                    record_kind: kind_of(r.get(1))?,
                    definition: r.get(2),
                    next_event_at: from_nanos(r.get(3)),
                })
            })
            .collect::<Result<_>>()?;
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
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .map_err(db("begin a cmdb read"))?;
        let Some(meta) = tx
            .query_opt(
                "SELECT version, definitions FROM cmdb_meta WHERE id = 1",
                &[],
            )
            .map_err(db("read the cmdb"))?
        else {
            return Ok(None);
        };
        let cis: Vec<String> = tx
            .query("SELECT doc FROM cmdb_cis ORDER BY seq", &[])
            .map_err(db("read the cmdb cis"))?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let relationships: Vec<Relationship> = tx
            .query(
                "SELECT source, type, target FROM cmdb_relationships ORDER BY seq",
                &[],
            )
            .map_err(db("read the cmdb relationships"))?
            .iter()
            .map(|r| Relationship {
                source: CiId::from_u128(r.get::<_, Uuid>(0).as_u128()),
                relationship_type: r.get(1),
                target: CiId::from_u128(r.get::<_, Uuid>(2).as_u128()),
            })
            .collect();
        let provenance: Vec<ProvenanceRecord> = tx
            .query(
                "SELECT ci, attribute, source, at FROM cmdb_provenance ORDER BY ci, attribute",
                &[],
            )
            .map_err(db("read the cmdb provenance"))?
            .iter()
            .map(|r| ProvenanceRecord {
                ci: CiId::from_u128(r.get::<_, Uuid>(0).as_u128()),
                attribute: r.get(1),
                source: r.get(2),
                at: from_nanos(r.get(3)),
            })
            .collect();
        tx.commit().map_err(db("end a cmdb read"))?;
        Ok(Some(CmdbRows {
            version: u64_of(meta.get(0)),
            definitions: meta.get(1),
            cis,
            relationships,
            provenance,
        }))
    }

    fn cmdb_write(&mut self, write: &CmdbWrite) -> Result<u64> {
        let w = db("write the cmdb");
        let mut tx = self
            .client
            .transaction()
            .map_err(db("begin a cmdb write"))?;
        // The meta row's lock orders CMDB writers; a first save creates it.
        tx.execute(
            "INSERT INTO cmdb_meta (id, version, definitions) VALUES (1, 0, '{}') \
             ON CONFLICT (id) DO NOTHING",
            &[],
        )
        .map_err(&w)?;
        let actual = u64_of(
            tx.query_one("SELECT version FROM cmdb_meta WHERE id = 1 FOR UPDATE", &[])
                .map_err(&w)?
                .get(0),
        );
        if actual != write.expected_version {
            return Err(StoreError::CmdbConflict {
                expected: write.expected_version,
                actual,
            });
        }
        let version = actual + 1;
        match &write.definitions {
            Some(d) => tx.execute(
                "UPDATE cmdb_meta SET version = $1, definitions = $2 WHERE id = 1",
                &[&i64_of(version), d],
            ),
            None => tx.execute(
                "UPDATE cmdb_meta SET version = $1 WHERE id = 1",
                &[&i64_of(version)],
            ),
        }
        .map_err(&w)?;
        let removed: Vec<Uuid> = write
            .removed_cis
            .iter()
            .map(|c| uuid(c.as_u128()))
            .collect();
        tx.execute("DELETE FROM cmdb_cis WHERE id = ANY($1)", &[&removed])
            .map_err(&w)?;
        for r in &write.removed_relationships {
            tx.execute(
                "DELETE FROM cmdb_relationships WHERE source = $1 AND type = $2 AND target = $3",
                &[
                    &uuid(r.source.as_u128()),
                    &r.relationship_type,
                    &uuid(r.target.as_u128()),
                ],
            )
            .map_err(&w)?;
        }
        for c in &write.changed_cis {
            tx.execute(
                "UPDATE cmdb_cis SET class = $2, name = $3, doc = $4, updated_at = $5 WHERE id = $1",
                &[&uuid(c.id.as_u128()), &c.class, &c.name, &c.doc, &write.at],
            )
            .map_err(&w)?;
        }
        let base: i64 = tx
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM cmdb_cis", &[])
            .map_err(&w)?
            .get(0);
        let ids: Vec<Uuid> = write
            .added_cis
            .iter()
            .map(|c| uuid(c.id.as_u128()))
            .collect();
        let classes: Vec<&str> = write.added_cis.iter().map(|c| c.class.as_str()).collect();
        let names: Vec<&str> = write.added_cis.iter().map(|c| c.name.as_str()).collect();
        let docs: Vec<&str> = write.added_cis.iter().map(|c| c.doc.as_str()).collect();
        tx.execute(
            "INSERT INTO cmdb_cis (id, seq, class, name, doc, updated_at) \
             SELECT e.id, $1 + e.o, e.class, e.name, e.doc, $2 \
             FROM UNNEST($3::uuid[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(id, class, name, doc, o)",
            &[&base, &write.at, &ids, &classes, &names, &docs],
        )
        .map_err(&w)?;
        let base: i64 = tx
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM cmdb_relationships", &[])
            .map_err(&w)?
            .get(0);
        let sources: Vec<Uuid> = write
            .added_relationships
            .iter()
            .map(|r| uuid(r.source.as_u128()))
            .collect();
        let types: Vec<&str> = write
            .added_relationships
            .iter()
            .map(|r| r.relationship_type.as_str())
            .collect();
        let targets: Vec<Uuid> = write
            .added_relationships
            .iter()
            .map(|r| uuid(r.target.as_u128()))
            .collect();
        tx.execute(
            "INSERT INTO cmdb_relationships (source, type, target, seq) \
             SELECT e.source, e.type, e.target, $1 + e.o \
             FROM UNNEST($2::uuid[], $3::text[], $4::uuid[]) WITH ORDINALITY AS e(source, type, target, o)",
            &[&base, &sources, &types, &targets],
        )
        .map_err(&w)?;
        for (ci, attribute) in &write.provenance_removals {
            tx.execute(
                "DELETE FROM cmdb_provenance WHERE ci = $1 AND attribute = $2",
                &[&uuid(ci.as_u128()), attribute],
            )
            .map_err(&w)?;
        }
        for p in &write.provenance_upserts {
            tx.execute(
                "INSERT INTO cmdb_provenance (ci, attribute, source, at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (ci, attribute) DO UPDATE SET source = EXCLUDED.source, at = EXCLUDED.at",
                &[
                    &uuid(p.ci.as_u128()),
                    &p.attribute,
                    &p.source,
                    &to_nanos(p.at, "provenance at")?,
                ],
            )
            .map_err(&w)?;
        }
        let base: i64 = tx
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM cmdb_history", &[])
            .map_err(&w)?
            .get(0);
        let changes: Vec<&str> = write
            .history
            .iter()
            .map(|h| change_name(h.change))
            .collect();
        let cis: Vec<Option<Uuid>> = write
            .history
            .iter()
            .map(|h| h.ci.map(|c| uuid(c.as_u128())))
            .collect();
        let details: Vec<&str> = write.history.iter().map(|h| h.detail.as_str()).collect();
        tx.execute(
            "INSERT INTO cmdb_history (seq, cmdb_version, at, actor, source, change, ci, detail) \
             SELECT $1 + e.o, $2, $3, $4, $5, e.change, e.ci, e.detail \
             FROM UNNEST($6::text[], $7::uuid[], $8::text[]) WITH ORDINALITY AS e(change, ci, detail, o)",
            &[
                &base,
                &i64_of(version),
                &write.at,
                &write.actor.map(|a| uuid(a.as_u128())),
                &write.source,
                &changes,
                &cis,
                &details,
            ],
        )
        .map_err(&w)?;
        tx.commit().map_err(db("commit a cmdb write"))?;
        Ok(version)
    }

    fn cmdb_history(
        &mut self,
        ci: Option<CiId>,
        after: u64,
        limit: usize,
    ) -> Result<Vec<CmdbHistoryEntry>> {
        let rows = match ci {
            Some(ci) => self.client.query(
                "SELECT seq, cmdb_version, at, actor, source, change, ci, detail FROM cmdb_history \
                 WHERE ci = $1 AND seq > $2 ORDER BY ci, seq LIMIT $3",
                &[&uuid(ci.as_u128()), &i64_of(after), &i64_of(limit as u64)],
            ),
            None => self.client.query(
                "SELECT seq, cmdb_version, at, actor, source, change, ci, detail FROM cmdb_history \
                 WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[&i64_of(after), &i64_of(limit as u64)],
            ),
        }
        .map_err(db("read the cmdb history"))?;
        Ok(rows
            .iter()
            .map(|r| CmdbHistoryEntry {
                seq: u64_of(r.get(0)),
                cmdb_version: u64_of(r.get(1)),
                at: from_nanos(r.get(2)),
                actor: r
                    .get::<_, Option<Uuid>>(3)
                    .map(|u| itsm_core::PersonId::from_u128(u.as_u128())),
                source: r.get(4),
                change: change_of(r.get(5)),
                ci: r
                    .get::<_, Option<Uuid>>(6)
                    .map(|u| CiId::from_u128(u.as_u128())),
                detail: r.get(7),
            })
            .collect())
    }
}

/// The one statement of an append: every stream's version checked and
/// moved, the positions allocated under the `store_position` row lock (held
/// to the statement's commit), the events inserted, the projections, their
/// CI rows and the clocks written — everything conditioned on every
/// stream's check. The streams' rows are written before the statement
/// knows whether every stream agreed, so a refused append fails on purpose
/// (a division by zero, SQLSTATE 22012, in the last line) and the database
/// rolls all of it back: a refusal writes nothing. Its text is the same for
/// any number of streams (the values come as arrays), so it is prepared
/// once.
const APPEND: &str = "\
WITH want AS (
    SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::bigint[], $5::text[])
        AS w(stream_id, kind, expected, n, mode)),
locked AS (
    SELECT stream_id FROM streams WHERE stream_id = ANY($1::uuid[])
    ORDER BY stream_id FOR UPDATE),
moved AS (
    UPDATE streams st SET version = st.version + w.n FROM want w
    WHERE (SELECT count(*) FROM locked) >= 0
      AND st.stream_id = w.stream_id AND st.kind = w.kind
      AND (w.mode = 'any' OR (w.mode = 'exact' AND st.version = w.expected))
    RETURNING st.stream_id, st.version),
created AS (
    INSERT INTO streams (stream_id, kind, version)
    SELECT w.stream_id, w.kind, w.n FROM want w
    WHERE w.mode IN ('new', 'any') AND (SELECT count(*) FROM locked) >= 0
    ON CONFLICT (stream_id) DO NOTHING
    RETURNING stream_id, version),
s AS (SELECT * FROM moved UNION ALL SELECT * FROM created),
ok AS (SELECT (SELECT count(*) FROM s) = cardinality($1::uuid[]) AS all_ok),
pos AS (
    UPDATE store_position SET last_position = last_position + $6::bigint
    WHERE id = 1 AND (SELECT all_ok FROM ok)
    RETURNING last_position),
ev AS (
    INSERT INTO events (position, stream_id, stream_kind, version, event_id, event_type,
        schema_version, recorded_at, occurred_at, actor, correlation_id, causation_id, payload)
    SELECT pos.last_position - $6::bigint + e.o, e.stream_id, w.kind, s.version - e.back,
        e.event_id, e.event_type, e.schema_version, $7::bigint, e.occurred_at, e.actor,
        e.correlation_id, e.causation_id, e.payload
    FROM pos, UNNEST($8::uuid[], $9::bigint[], $10::uuid[], $11::text[], $12::bigint[],
            $13::bigint[], $14::uuid[], $15::text[], $16::uuid[], $17::text[]) WITH ORDINALITY
        AS e(stream_id, back, event_id, event_type, schema_version, occurred_at, actor,
            correlation_id, causation_id, payload, o)
    JOIN s ON s.stream_id = e.stream_id
    JOIN want w ON w.stream_id = e.stream_id),
rec AS (
    INSERT INTO records (id, kind, number, state, category, priority, assignment_group,
        assignee, is_open, version, opened_at, updated_at, doc)
    SELECT r.id, r.kind, r.number, r.state, r.category, r.priority, r.assignment_group,
        r.assignee, r.is_open, s.version, r.opened_at, $7::bigint, r.doc
    FROM UNNEST($18::uuid[], $19::text[], $20::text[], $21::text[], $22::text[], $23::bigint[],
            $24::uuid[], $25::uuid[], $26::boolean[], $27::bigint[], $28::text[])
        AS r(id, kind, number, state, category, priority, assignment_group, assignee, is_open,
            opened_at, doc)
    JOIN s ON s.stream_id = r.id
    WHERE (SELECT all_ok FROM ok)
    ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, number = EXCLUDED.number,
        state = EXCLUDED.state, category = EXCLUDED.category, priority = EXCLUDED.priority,
        assignment_group = EXCLUDED.assignment_group, assignee = EXCLUDED.assignee,
        is_open = EXCLUDED.is_open, version = EXCLUDED.version, opened_at = EXCLUDED.opened_at,
        updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc),
cis AS (
    SELECT DISTINCT * FROM UNNEST($29::uuid[], $30::uuid[], $31::text[], $32::bigint[],
            $33::boolean[])
        AS c(record_id, ci_id, kind, priority, is_open)),
cis_gone AS (
    DELETE FROM record_cis rc
    WHERE rc.record_id = ANY($18::uuid[]) AND (SELECT all_ok FROM ok)
      AND NOT EXISTS (SELECT 1 FROM cis c WHERE c.record_id = rc.record_id
          AND c.ci_id = rc.ci_id AND c.kind = rc.kind AND c.priority = rc.priority)),
cis_kept AS (
    INSERT INTO record_cis (ci_id, kind, priority, record_id, is_open)
    SELECT c.ci_id, c.kind, c.priority, c.record_id, c.is_open FROM cis c
    WHERE (SELECT all_ok FROM ok)
    ON CONFLICT (ci_id, kind, priority, record_id) DO UPDATE SET is_open = EXCLUDED.is_open),
clocks_gone AS (
    DELETE FROM clocks k
    WHERE k.record_id = ANY($34::uuid[]) AND (SELECT all_ok FROM ok)
      AND NOT EXISTS (SELECT 1 FROM UNNEST($35::uuid[], $36::text[]) AS c(record_id, definition)
          WHERE c.record_id = k.record_id AND c.definition = k.definition)),
clocks_kept AS (
    INSERT INTO clocks (record_id, definition, record_kind, stage, breached, next_event_at,
        evaluated_at, summary, claimed_by, claimed_until)
    SELECT c.record_id, c.definition, c.record_kind, c.stage, c.breached, c.next_event_at,
        c.evaluated_at, c.summary, NULL, NULL
    FROM UNNEST($35::uuid[], $36::text[], $37::text[], $38::text[], $39::boolean[],
            $40::bigint[], $41::bigint[], $42::text[])
        AS c(record_id, definition, record_kind, stage, breached, next_event_at, evaluated_at,
            summary)
    WHERE (SELECT all_ok FROM ok)
    ON CONFLICT (record_id, definition) DO UPDATE SET record_kind = EXCLUDED.record_kind,
        stage = EXCLUDED.stage, breached = EXCLUDED.breached,
        next_event_at = EXCLUDED.next_event_at, evaluated_at = EXCLUDED.evaluated_at,
        summary = EXCLUDED.summary, claimed_by = NULL, claimed_until = NULL)
SELECT CASE WHEN (SELECT all_ok FROM ok) THEN (SELECT last_position FROM pos)
        ELSE (SELECT count(*) FROM s) / 0 END,
    ARRAY(SELECT stream_id FROM s), ARRAY(SELECT version FROM s)";

/// The columns of [`APPEND`], filled batch by batch.
#[derive(Default)]
struct AppendColumns {
    streams: Vec<Uuid>,
    kinds: Vec<String>,
    expected: Vec<i64>,
    counts: Vec<i64>,
    modes: Vec<&'static str>,
    ev_stream: Vec<Uuid>,
    ev_back: Vec<i64>,
    ev_id: Vec<Uuid>,
    ev_type: Vec<String>,
    ev_schema: Vec<i64>,
    ev_occurred: Vec<i64>,
    ev_actor: Vec<Option<Uuid>>,
    ev_correlation: Vec<Option<String>>,
    ev_causation: Vec<Option<Uuid>>,
    ev_payload: Vec<String>,
    r_id: Vec<Uuid>,
    r_kind: Vec<String>,
    r_number: Vec<String>,
    r_state: Vec<String>,
    r_category: Vec<String>,
    r_priority: Vec<i64>,
    r_group: Vec<Option<Uuid>>,
    r_assignee: Vec<Option<Uuid>>,
    r_open: Vec<bool>,
    r_opened: Vec<i64>,
    r_doc: Vec<String>,
    c_record: Vec<Uuid>,
    c_ci: Vec<Uuid>,
    c_kind: Vec<String>,
    c_priority: Vec<i64>,
    c_open: Vec<bool>,
    k_streams: Vec<Uuid>,
    k_record: Vec<Uuid>,
    k_definition: Vec<String>,
    k_kind: Vec<String>,
    k_stage: Vec<Option<String>>,
    k_breached: Vec<bool>,
    k_next: Vec<Option<i64>>,
    k_evaluated: Vec<i64>,
    k_summary: Vec<String>,
}

impl AppendColumns {
    fn add(&mut self, batch: &AppendBatch<'_>) {
        let stream = batch.stream.uuid();
        let count = batch.events.len();
        self.streams.push(stream);
        self.kinds.push(batch.kind.as_str().to_owned());
        let (mode, expected) = match batch.expected {
            ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => ("new", 0),
            ExpectedVersion::Exact(v) => ("exact", i64_of(v)),
            ExpectedVersion::Any => ("any", 0),
        };
        self.modes.push(mode);
        self.expected.push(expected);
        self.counts.push(i64_of(count as u64));
        for (i, (e, occurred)) in batch.events.iter().zip(&batch.occurred_at).enumerate() {
            self.ev_stream.push(stream);
            self.ev_back.push(i64_of((count - 1 - i) as u64));
            self.ev_id.push(e.event_id.uuid());
            self.ev_type.push(e.event_type.clone());
            self.ev_schema.push(i64::from(e.schema_version));
            self.ev_occurred.push(*occurred);
            self.ev_actor.push(e.actor.map(|a| uuid(a.as_u128())));
            self.ev_correlation.push(e.correlation_id.clone());
            self.ev_causation.push(e.causation_id.map(EventId::uuid));
            self.ev_payload.push(e.payload.clone());
        }
        if let Some(row) = &batch.projection {
            let id = row.id.uuid();
            let priority = i64::from(row.priority_rank);
            self.r_id.push(id);
            self.r_kind.push(row.kind.as_str().to_owned());
            self.r_number.push(row.number.clone());
            self.r_state.push(row.state.clone());
            self.r_category.push(row.category.clone());
            self.r_priority.push(priority);
            self.r_group
                .push(row.assignment_group.map(|g| uuid(g.as_u128())));
            self.r_assignee
                .push(row.assignee.map(|p| uuid(p.as_u128())));
            self.r_open.push(row.is_open);
            self.r_opened.push(row.opened_at_nanos);
            self.r_doc.push(row.doc.clone());
            for ci in &row.cis {
                self.c_record.push(id);
                self.c_ci.push(uuid(ci.as_u128()));
                self.c_kind.push(row.kind.as_str().to_owned());
                self.c_priority.push(priority);
                self.c_open.push(row.is_open);
            }
        }
        if let Some(clocks) = &batch.clocks {
            self.k_streams.push(stream);
            for c in clocks {
                self.k_record.push(stream);
                self.k_definition.push(c.definition.clone());
                self.k_kind.push(batch.kind.as_str().to_owned());
                self.k_stage.push(c.stage.clone());
                self.k_breached.push(c.breached);
                self.k_next.push(c.next_event_at);
                self.k_evaluated.push(c.evaluated_at);
                self.k_summary.push(c.summary.clone());
            }
        }
    }
}

impl PostgresBackend {
    /// An append with at least one event in every stream, as the one
    /// statement [`APPEND`], committed on its own: one round trip for any
    /// number of streams (the desk's command, a batch of commands), where a
    /// transaction of statements takes some seven per stream.
    fn append_statement(
        &mut self,
        batches: &[AppendBatch<'_>],
        recorded_at: i64,
    ) -> Result<AppendResult> {
        let mut c = AppendColumns::default();
        for batch in batches {
            c.add(batch);
        }
        let total = i64_of(c.ev_id.len() as u64);
        let statement = prepared(&mut self.statements, &mut self.client, APPEND)?;
        let params: [&(dyn ToSql + Sync); 42] = [
            &c.streams,
            &c.kinds,
            &c.expected,
            &c.counts,
            &c.modes,
            &total,
            &recorded_at,
            &c.ev_stream,
            &c.ev_back,
            &c.ev_id,
            &c.ev_type,
            &c.ev_schema,
            &c.ev_occurred,
            &c.ev_actor,
            &c.ev_correlation,
            &c.ev_causation,
            &c.ev_payload,
            &c.r_id,
            &c.r_kind,
            &c.r_number,
            &c.r_state,
            &c.r_category,
            &c.r_priority,
            &c.r_group,
            &c.r_assignee,
            &c.r_open,
            &c.r_opened,
            &c.r_doc,
            &c.c_record,
            &c.c_ci,
            &c.c_kind,
            &c.c_priority,
            &c.c_open,
            &c.k_streams,
            &c.k_record,
            &c.k_definition,
            &c.k_kind,
            &c.k_stage,
            &c.k_breached,
            &c.k_next,
            &c.k_evaluated,
            &c.k_summary,
        ];
        let row = match self.client.query_one(&statement, &params) {
            Ok(row) => row,
            Err(e) if e.code() == Some(&SqlState::DIVISION_BY_ZERO) => {
                return self.refusal(batches);
            }
            Err(e) if unique_violation_on(&e, "events_event_id") => {
                return Ok(AppendResult::DuplicateEventId);
            }
            Err(e) if unique_violation_on(&e, "records_number") => {
                return Err(StoreError::invalid(
                    "projection",
                    vec![format!(
                        "a number of {} belongs to another record",
                        c.r_number.join(", ")
                    )],
                ));
            }
            Err(e) => return Err(db("append")(e)),
        };
        let Some(last_position) = row.get::<_, Option<i64>>(0) else {
            return self.refusal(batches);
        };
        let ids: Vec<Uuid> = row.get(1);
        let versions: Vec<i64> = row.get(2);
        let version_of: HashMap<Uuid, i64> = ids.into_iter().zip(versions).collect();
        // Positions were given in the order of the events' arrays: batch by batch.
        let mut next_position = u64_of(last_position) + 1 - u64_of(total);
        let mut outcomes = Vec::with_capacity(batches.len());
        for batch in batches {
            let count = batch.events.len() as u64;
            let last_version = version_of
                .get(&batch.stream.uuid())
                .copied()
                .ok_or_else(|| {
                    StoreError::invalid(
                        "append",
                        vec![format!(
                            "the database returned no version for {}",
                            batch.stream
                        )],
                    )
                })?;
            outcomes.push(batch.outcome(u64_of(last_version) + 1 - count, next_position));
            next_position += count;
        }
        Ok(AppendResult::Appended(outcomes))
    }

    /// Which stream refused an append that wrote nothing, and why.
    fn refusal(&mut self, batches: &[AppendBatch<'_>]) -> Result<AppendResult> {
        for (index, batch) in batches.iter().enumerate() {
            let actual = self
                .client
                .query_opt(
                    "SELECT version, kind FROM streams WHERE stream_id = $1",
                    &[&batch.stream.uuid()],
                )
                .map_err(db("read the stream version"))?
                .map(|r| (u64_of(r.get(0)), r.get::<_, String>(1)));
            let fits = match (&actual, batch.expected) {
                (Some((_, kind)), _) if kind != batch.kind.as_str() => false,
                (
                    None,
                    ExpectedVersion::NoStream | ExpectedVersion::Exact(0) | ExpectedVersion::Any,
                ) => true,
                (Some(_), ExpectedVersion::Any) => true,
                (Some((v, _)), ExpectedVersion::Exact(e)) => *v == e,
                _ => false,
            };
            if !fits {
                return batch.refused(index, actual);
            }
        }
        Err(StoreError::invalid(
            "append",
            vec!["refused by the database, yet every stream is at its expected version".to_owned()],
        ))
    }
}

fn write_projection(
    cache: &mut HashMap<String, Statement>,
    tx: &mut postgres::Transaction<'_>,
    row: &ProjectionRow,
    version: u64,
    updated_at: i64,
) -> Result<()> {
    let id = row.id.uuid();
    let s = prepared(
        cache,
        tx,
        "INSERT INTO records (id, kind, number, state, category, priority, assignment_group, assignee, \
         is_open, version, opened_at, updated_at, doc) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, number = EXCLUDED.number, \
         state = EXCLUDED.state, category = EXCLUDED.category, priority = EXCLUDED.priority, \
         assignment_group = EXCLUDED.assignment_group, assignee = EXCLUDED.assignee, \
         is_open = EXCLUDED.is_open, version = EXCLUDED.version, opened_at = EXCLUDED.opened_at, \
         updated_at = EXCLUDED.updated_at, doc = EXCLUDED.doc",
    )?;
    tx.execute(
        &s,
        &[
            &id,
            &row.kind.as_str(),
            &row.number,
            &row.state,
            &row.category,
            &i64::from(row.priority_rank),
            &row.assignment_group.map(|g| uuid(g.as_u128())),
            &row.assignee.map(|p| uuid(p.as_u128())),
            &row.is_open,
            &i64_of(version),
            &row.opened_at_nanos,
            &updated_at,
            &row.doc,
        ],
    )
    .map_err(|e| {
        if unique_violation_on(&e, "records_number") {
            StoreError::invalid(
                format!("projection of {}", row.id),
                vec![format!("number {} belongs to another record", row.number)],
            )
        } else {
            db("write a projection")(e)
        }
    })?;
    let s = prepared(cache, tx, "DELETE FROM record_cis WHERE record_id = $1")?;
    tx.execute(&s, &[&id]).map_err(db("write a projection"))?;
    if !row.cis.is_empty() {
        let cis: Vec<Uuid> = row.cis.iter().map(|c| uuid(c.as_u128())).collect();
        let s = prepared(
            cache,
            tx,
            "INSERT INTO record_cis (ci_id, kind, priority, record_id, is_open) \
             SELECT c, $2, $3, $4, $5 FROM UNNEST($1::uuid[]) AS c",
        )?;
        tx.execute(
            &s,
            &[
                &cis,
                &row.kind.as_str(),
                &i64::from(row.priority_rank),
                &id,
                &row.is_open,
            ],
        )
        .map_err(db("write a projection"))?;
    }
    Ok(())
}

fn write_clocks(
    cache: &mut HashMap<String, Statement>,
    tx: &mut postgres::Transaction<'_>,
    record: Uuid,
    kind: &str,
    clocks: &[ClockRow],
) -> Result<()> {
    let s = prepared(cache, tx, "DELETE FROM clocks WHERE record_id = $1")?;
    tx.execute(&s, &[&record]).map_err(db("write clocks"))?;
    if clocks.is_empty() {
        return Ok(());
    }
    let definitions: Vec<&str> = clocks.iter().map(|c| c.definition.as_str()).collect();
    let stages: Vec<Option<&str>> = clocks.iter().map(|c| c.stage.as_deref()).collect();
    let breached: Vec<bool> = clocks.iter().map(|c| c.breached).collect();
    let next: Vec<Option<i64>> = clocks.iter().map(|c| c.next_event_at).collect();
    let evaluated: Vec<i64> = clocks.iter().map(|c| c.evaluated_at).collect();
    let summaries: Vec<&str> = clocks.iter().map(|c| c.summary.as_str()).collect();
    let s = prepared(
        cache,
        tx,
        "INSERT INTO clocks (record_id, definition, record_kind, stage, breached, next_event_at, \
         evaluated_at, summary) \
         SELECT $1, e.definition, $2, e.stage, e.breached, e.next_event_at, e.evaluated_at, e.summary \
         FROM UNNEST($3::text[], $4::text[], $5::bool[], $6::bigint[], $7::bigint[], $8::text[]) \
         AS e(definition, stage, breached, next_event_at, evaluated_at, summary)",
    )?;
    tx.execute(
        &s,
        &[
            &record,
            &kind,
            &definitions,
            &stages,
            &breached,
            &next,
            &evaluated,
            &summaries,
        ],
    )
    .map_err(db("write clocks"))?;
    Ok(())
}
