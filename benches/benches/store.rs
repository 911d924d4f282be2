//! The store: append throughput against a bare INSERT of the same rows,
//! catch-up reading, and the desk's queries on a generated store.
//!
//! 1. Append throughput, single-event transactions and batches of 100, on a
//!    SQLite file (WAL, `synchronous=NORMAL`) and on PostgreSQL (when
//!    `ITSM_TEST_POSTGRES_URL` is set). The peer inserts the same rows into
//!    a table of the same definition (same indexes), in the same
//!    transaction pattern, with a prepared statement (on PostgreSQL, one
//!    multi-row `INSERT … SELECT FROM UNNEST` per batch, as ours).
//! 2. Catch-up read of 1,000,000 events on SQLite, in pages of 10,000.
//! 3. A generated SQLite store of `ITSM_BENCH_RECORDS` incidents (default
//!    1,000,000) with 5 events each, a projection and an SLA clock, written
//!    through `Store::append` (the time it took is printed): load by number
//!    (p50/p99 over 10,000 random numbers), "open incidents of group G in
//!    priority order, first page of 50", "clocks due before T, first 1,000".
//!
//! Run: `cargo bench -p itsm-benches --bench store` (all three parts), or
//! `ITSM_BENCH_STORE_PARTS=append cargo bench -p itsm-benches --bench store`.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use itsm_benches::SplitMix;
use itsm_core::{
    GroupId, Impact, Incident, IncidentId, PersonId, Priority, RecordKind, RecordNumber, Urgency,
};
use itsm_store::{
    AppendRequest, EventId, ExpectedVersion, NewEvent, Record, RecordFilter, RecordOpened,
    RecordQuery, Store, StreamId, StreamKind,
};

const EVENTS_DDL: &str = "CREATE TABLE events (
    position INTEGER PRIMARY KEY, stream_id BLOB NOT NULL, stream_kind TEXT NOT NULL,
    version INTEGER NOT NULL, event_id BLOB NOT NULL, event_type TEXT NOT NULL,
    schema_version INTEGER NOT NULL, recorded_at INTEGER NOT NULL, occurred_at INTEGER NOT NULL,
    actor BLOB, correlation_id TEXT, causation_id BLOB, payload TEXT NOT NULL);
CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
CREATE UNIQUE INDEX events_event_id ON events (event_id);";

const PAYLOAD: &str = r#"{"at":"2026-03-02T09:00:00Z","actor":null,"type":"comment_added","visibility":"work_note","text":"called the user back"}"#;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("itsm-bench-store-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    path
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

fn event() -> NewEvent {
    let n = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    NewEvent {
        event_id: EventId::from_u128((0x0190_u128 << 112) | u128::from(n)),
        event_type: "timeline_event".into(),
        schema_version: 1,
        occurred_at: t0(),
        actor: None,
        correlation_id: None,
        causation_id: None,
        payload: PAYLOAD.into(),
    }
}

/// Our append: `batch` events per transaction on one stream per writer.
struct Ours {
    store: Store,
    stream: StreamId,
    version: u64,
}

impl Ours {
    fn append(&mut self, batch: usize) {
        let events = (0..batch).map(|_| event()).collect();
        let o = self
            .store
            .append(&AppendRequest::events(
                self.stream,
                StreamKind::new("incident").unwrap(),
                ExpectedVersion::Exact(self.version),
                events,
            ))
            .unwrap();
        self.version = o.last_version;
    }
}

/// The peer on SQLite: prepared INSERTs of the same rows in one transaction.
struct BareSqlite {
    conn: rusqlite::Connection,
    position: i64,
    stream: [u8; 16],
}

impl BareSqlite {
    fn open(path: &std::path::Path) -> Self {
        let conn = rusqlite::Connection::open(path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "NORMAL").unwrap();
        conn.execute_batch(EVENTS_DDL).unwrap();
        Self {
            conn,
            position: 0,
            stream: [7; 16],
        }
    }

    fn append(&mut self, batch: usize) {
        let tx = self.conn.transaction().unwrap();
        {
            let mut insert = tx
                .prepare_cached("INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)")
                .unwrap();
            for _ in 0..batch {
                self.position += 1;
                let e = event();
                insert
                    .execute(rusqlite::params![
                        self.position,
                        self.stream,
                        "incident",
                        self.position,
                        e.event_id.to_bytes(),
                        e.event_type,
                        1,
                        0i64,
                        0i64,
                        None::<Vec<u8>>,
                        None::<String>,
                        None::<Vec<u8>>,
                        e.payload
                    ])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
}

/// The peer on PostgreSQL: one multi-row INSERT per transaction.
struct BarePostgres {
    client: postgres::Client,
    position: i64,
}

impl BarePostgres {
    fn open(url: &str) -> Self {
        let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
        client
            .batch_execute(
                "DROP SCHEMA IF EXISTS bench_bare CASCADE; CREATE SCHEMA bench_bare; SET search_path TO bench_bare;
                 CREATE TABLE events (position BIGINT PRIMARY KEY, stream_id UUID NOT NULL, stream_kind TEXT NOT NULL,
                   version BIGINT NOT NULL, event_id UUID NOT NULL, event_type TEXT NOT NULL, schema_version BIGINT NOT NULL,
                   recorded_at BIGINT NOT NULL, occurred_at BIGINT NOT NULL, actor UUID, correlation_id TEXT, causation_id UUID,
                   payload TEXT NOT NULL);
                 CREATE UNIQUE INDEX events_stream_version ON events (stream_id, version);
                 CREATE UNIQUE INDEX events_event_id ON events (event_id);",
            )
            .unwrap();
        Self {
            client,
            position: 0,
        }
    }

    fn append(&mut self, batch: usize) {
        let ids: Vec<uuid::Uuid> = (0..batch)
            .map(|_| uuid::Uuid::from_u128(event().event_id.as_u128()))
            .collect();
        let payloads: Vec<&str> = vec![PAYLOAD; batch];
        let mut tx = self.client.transaction().unwrap();
        tx.execute(
            "INSERT INTO events (position, stream_id, stream_kind, version, event_id, event_type, schema_version, \
             recorded_at, occurred_at, payload) \
             SELECT $1 + e.o, '01900000-0000-7000-8000-000000000001', 'incident', $1 + e.o, e.id, 'timeline_event', 1, 0, 0, e.p \
             FROM UNNEST($2::uuid[], $3::text[]) WITH ORDINALITY AS e(id, p, o)",
            &[&self.position, &ids, &payloads],
        )
        .unwrap();
        tx.commit().unwrap();
        self.position += batch as i64;
    }
}

/// Whether a part of this bench runs: `ITSM_BENCH_STORE_PARTS` lists them
/// (`append,catch_up,generated`); all run when it is unset.
fn part(name: &str) -> bool {
    std::env::var("ITSM_BENCH_STORE_PARTS")
        .map_or(true, |parts| parts.split(',').any(|p| p == name))
}

fn bench_append(c: &mut Criterion) {
    if !part("append") {
        return;
    }
    let mut group = c.benchmark_group("append");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(4))
        .warm_up_time(Duration::from_secs(1));
    for batch in [1usize, 100] {
        group.throughput(Throughput::Elements(batch as u64));
        let path = temp(&format!("ours-{batch}.db"));
        let mut ours = Ours {
            store: Store::open(&format!("sqlite://{}", path.display())).unwrap(),
            stream: StreamId::from_u128(1),
            version: 0,
        };
        group.bench_function(format!("sqlite/itsm-store/batch {batch}"), |b| {
            b.iter(|| ours.append(batch))
        });
        let mut bare = BareSqlite::open(&temp(&format!("bare-{batch}.db")));
        group.bench_function(format!("sqlite/bare insert/batch {batch}"), |b| {
            b.iter(|| bare.append(batch))
        });
        if let Ok(url) = std::env::var("ITSM_TEST_POSTGRES_URL") {
            let mut admin = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            admin
                .batch_execute("DROP SCHEMA IF EXISTS bench_ours CASCADE")
                .unwrap();
            let mut ours = Ours {
                store: Store::open(&format!(
                    "{url}{}schema=bench_ours",
                    if url.contains('?') { '&' } else { '?' }
                ))
                .unwrap(),
                stream: StreamId::from_u128(1),
                version: 0,
            };
            group.bench_function(format!("postgres/itsm-store/batch {batch}"), |b| {
                b.iter(|| ours.append(batch))
            });
            let mut bare = BarePostgres::open(&url);
            group.bench_function(format!("postgres/bare insert/batch {batch}"), |b| {
                b.iter(|| bare.append(batch))
            });
        }
    }
    group.finish();
}

fn bench_catch_up(c: &mut Criterion) {
    if !part("catch_up") {
        return;
    }
    const EVENTS: u64 = 1_000_000;
    let path = temp("catch-up.db");
    let mut store = Store::open(&format!("sqlite://{}", path.display())).unwrap();
    let started = Instant::now();
    let mut ours = Ours {
        store,
        stream: StreamId::from_u128(2),
        version: 0,
    };
    for _ in 0..EVENTS / 1_000 {
        ours.append(1_000);
    }
    store = ours.store;
    eprintln!(
        "catch-up: wrote {EVENTS} events in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let read_all = |store: &mut Store| {
        let mut last = 0;
        let mut n = 0u64;
        loop {
            let page = store.read_all(last, 10_000).unwrap();
            let Some(e) = page.last() else { break };
            last = e.position;
            n += page.len() as u64;
        }
        assert_eq!(n, EVENTS);
        n
    };
    let started = Instant::now();
    read_all(&mut store);
    eprintln!(
        "catch-up: one read of {EVENTS} events: {:.0} events/s",
        EVENTS as f64 / started.elapsed().as_secs_f64()
    );
    let mut group = c.benchmark_group("catch_up");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(EVENTS));
    group.bench_function("sqlite/read_all 1,000,000 events, pages of 10,000", |b| {
        b.iter(|| black_box(read_all(&mut store)))
    });
    group.finish();
}

fn incident(n: u64, group: u64, priority: Priority) -> Incident {
    let mut i = Incident::new(
        IncidentId::from_u128((0x0190_u128 << 112) | (0x7000 << 64) | u128::from(n)),
        format!("INC{n:07}").parse::<RecordNumber>().unwrap(),
        PersonId::from_u128(1),
        "Payroll portal returns HTTP 500",
        t0() + chrono::Duration::seconds(n as i64),
    );
    i.assignment_group = Some(GroupId::from_u128(u128::from(group)));
    i.impact = Impact::Medium;
    i.urgency = Urgency::Medium;
    i.priority = priority;
    i
}

fn clock(next: DateTime<Utc>) -> itsm_sla::SlaEvaluation {
    serde_json::from_value(serde_json::json!({
        "definition": "resolution", "kind": "sla", "target": "resolution",
        "evaluated_at": t0().to_rfc3339(), "cycles": [], "next_event_at": next.to_rfc3339(),
    }))
    .unwrap()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn bench_generated(c: &mut Criterion) {
    if !part("generated") {
        return;
    }
    let records: u64 = std::env::var("ITSM_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let groups = 200u64;
    let path = temp("generated.db");
    let mut store = Store::open(&format!("sqlite://{}", path.display())).unwrap();
    let mut rng = SplitMix(42);
    let started = Instant::now();
    for n in 1..=records {
        let priority = Priority::ALL[(rng.next_u64() % 5) as usize];
        let mut i = incident(n, rng.next_u64() % groups, priority);
        if rng.next_u64().is_multiple_of(3) {
            i.state = itsm_core::IncidentState::Closed;
            i.resolved_at = Some(i.opened_at + chrono::Duration::hours(1));
            i.closed_at = Some(i.opened_at + chrono::Duration::hours(2));
            i.resolution_code = Some(itsm_core::IncidentResolutionCode::SolutionProvided);
            i.resolution_notes = Some("fixed".into());
        }
        let record = Record::Incident(i);
        let mut events = vec![
            NewEvent::encode(
                event().event_id,
                &RecordOpened {
                    record: record.clone(),
                },
                t0(),
                None,
            )
            .unwrap(),
        ];
        events.extend((0..4).map(|_| event()));
        let next = t0() + chrono::Duration::minutes((rng.next_u64() % (60 * 24 * 30)) as i64);
        store
            .append(
                &AppendRequest::events(
                    record.stream_id(),
                    StreamKind::from(RecordKind::Incident),
                    ExpectedVersion::NoStream,
                    events,
                )
                .with_projection(record)
                .with_clocks(vec![clock(next)]),
            )
            .unwrap();
    }
    let took = started.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0)
        + std::fs::metadata(format!("{}-wal", path.display()))
            .map(|m| m.len())
            .unwrap_or(0);
    eprintln!(
        "generated: {records} records, {} events in {:.1} s ({:.0} records/s), {:.2} GB on disk",
        records * 5,
        took.as_secs_f64(),
        records as f64 / took.as_secs_f64(),
        size as f64 / 1e9
    );
    // Same-run latency distribution of a load by number.
    let mut times = Vec::with_capacity(10_000);
    for _ in 0..10_000 {
        let n = 1 + rng.next_u64() % records;
        let number: RecordNumber = format!("INC{n:07}").parse().unwrap();
        let t = Instant::now();
        let r = store.record_by_number(&number).unwrap();
        times.push(t.elapsed());
        assert!(r.is_some());
    }
    times.sort();
    eprintln!(
        "load by number: p50 {:?}, p99 {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let mut times = Vec::with_capacity(1_000);
    for g in 0..1_000u64 {
        let q = RecordQuery::new(
            RecordKind::Incident,
            RecordFilter::Group(GroupId::from_u128(u128::from(g % groups))),
            50,
        )
        .open();
        let t = Instant::now();
        let page = store.query(&q).unwrap();
        times.push(t.elapsed());
        assert_eq!(page.records.len(), 50);
    }
    times.sort();
    eprintln!(
        "open incidents of a group, first 50: p50 {:?}, p99 {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );
    let mut times = Vec::with_capacity(200);
    for d in 0..200i64 {
        let before = t0() + chrono::Duration::hours(24 + d);
        let t = Instant::now();
        let due = store.due_clocks(before, 1_000).unwrap();
        times.push(t.elapsed());
        assert_eq!(due.len(), 1_000);
    }
    times.sort();
    eprintln!(
        "clocks due before T, first 1,000: p50 {:?}, p99 {:?}",
        percentile(&times, 0.5),
        percentile(&times, 0.99)
    );

    let mut group = c.benchmark_group("generated store");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(5));
    let mut n = 0u64;
    group.bench_function("load by number", |b| {
        b.iter(|| {
            n = n.wrapping_add(7919) % records + 1;
            let number: RecordNumber = format!("INC{n:07}").parse().unwrap();
            black_box(store.record_by_number(&number).unwrap())
        })
    });
    let mut g = 0u64;
    group.bench_function("open incidents of group G by priority, first 50", |b| {
        b.iter(|| {
            g = (g + 1) % groups;
            let q = RecordQuery::new(
                RecordKind::Incident,
                RecordFilter::Group(GroupId::from_u128(u128::from(g))),
                50,
            )
            .open();
            black_box(store.query(&q).unwrap())
        })
    });
    let mut d = 0i64;
    group.bench_function("clocks due before T, first 1,000", |b| {
        b.iter(|| {
            d = (d + 1) % 500;
            black_box(
                store
                    .due_clocks(t0() + chrono::Duration::hours(24 + d), 1_000)
                    .unwrap(),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench_append, bench_catch_up, bench_generated);
criterion_main!(benches);
