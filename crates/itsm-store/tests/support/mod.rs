//! Shared by the store's tests: a fresh store on every backend, and record
//! and event builders.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    GroupId, Impact, Incident, IncidentId, PersonId, Priority, RecordNumber, TimelineChange,
    TimelineEvent, Urgency,
};
use itsm_store::{
    AppendRequest, EventId, ExpectedVersion, NewEvent, Record, RecordOpened, Store, StreamId,
    StreamKind,
};

/// The PostgreSQL server's URL, when the suite should run there too.
pub fn postgres_url() -> Option<String> {
    std::env::var("ITSM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh, empty SQLite file for `name`.
pub fn sqlite_url(name: &str) -> String {
    let dir = std::env::temp_dir().join(format!(
        "itsm-store-tests-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    format!("sqlite://{}", dir.join(format!("{name}.db")).display())
}

/// A fresh, empty PostgreSQL schema for `name` (dropped first if a previous
/// run left it).
pub fn postgres_schema_url(base: &str, name: &str) -> String {
    let schema = format!("t_{}", name.to_lowercase());
    let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}schema={schema}")
}

/// A fresh URL on each backend: a SQLite file, and PostgreSQL when its URL is set.
pub fn urls(name: &str) -> Vec<String> {
    let mut urls = vec![sqlite_url(name)];
    if let Some(base) = postgres_url() {
        urls.push(postgres_schema_url(&base, name));
    }
    urls
}

/// A fresh store on each backend.
pub fn stores(name: &str) -> Vec<Store> {
    urls(name).iter().map(|u| Store::open(u).unwrap()).collect()
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

pub fn stream(n: u128) -> StreamId {
    StreamId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n)
}

pub fn kind(name: &str) -> StreamKind {
    StreamKind::new(name).unwrap()
}

static EVENT: AtomicU64 = AtomicU64::new(1);

/// A new, unique event id.
pub fn event_id() -> EventId {
    let n = EVENT.fetch_add(1, Ordering::Relaxed);
    EventId::from_u128((u128::from(std::process::id()) << 64) | u128::from(n))
}

/// A product event of an unregistered type.
pub fn note(text: &str) -> NewEvent {
    NewEvent {
        event_id: event_id(),
        event_type: "note".to_owned(),
        schema_version: 1,
        occurred_at: t0(),
        actor: None,
        correlation_id: None,
        causation_id: None,
        payload: serde_json::json!({ "text": text }).to_string(),
    }
}

pub fn append_notes(
    store: &mut Store,
    s: StreamId,
    expected: ExpectedVersion,
    n: usize,
) -> itsm_store::Result<itsm_store::AppendOutcome> {
    let events = (0..n).map(|i| note(&format!("n{i}"))).collect();
    store.append(&AppendRequest::events(s, kind("ticket"), expected, events))
}

/// An incident numbered `n`, in group `group`, with a priority.
pub fn incident(n: u32, group: u128, priority: Priority) -> Incident {
    let mut i = Incident::new(
        IncidentId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + u128::from(n)),
        format!("INC{n:07}").parse::<RecordNumber>().unwrap(),
        PersonId::from_u128(1),
        format!("incident {n}"),
        t0() + Duration::minutes(i64::from(n)),
    );
    i.assignment_group = Some(GroupId::from_u128(group));
    let (impact, urgency) = match priority {
        Priority::P1 => (Impact::High, Urgency::High),
        Priority::P2 => (Impact::High, Urgency::Medium),
        Priority::P3 => (Impact::Medium, Urgency::Medium),
        Priority::P4 => (Impact::Medium, Urgency::Low),
        _ => (Impact::Low, Urgency::Low),
    };
    i.impact = impact;
    i.urgency = urgency;
    i.priority = priority;
    i
}

/// Opens a record: its `record_opened` event and its projection.
pub fn open_record(store: &mut Store, record: &Record) -> itsm_store::AppendOutcome {
    open_record_with(store, record, None)
}

/// Opens a record with its SLA clocks.
pub fn open_record_with_clocks(
    store: &mut Store,
    record: &Record,
    clocks: Vec<itsm_sla::SlaEvaluation>,
) -> itsm_store::AppendOutcome {
    open_record_with(store, record, Some(clocks))
}

fn open_record_with(
    store: &mut Store,
    record: &Record,
    clocks: Option<Vec<itsm_sla::SlaEvaluation>>,
) -> itsm_store::AppendOutcome {
    let opened = NewEvent::encode(
        event_id(),
        &RecordOpened {
            record: record.clone(),
        },
        record.opened_at(),
        None,
    )
    .unwrap();
    let mut request = AppendRequest::events(
        record.stream_id(),
        StreamKind::from(record.kind()),
        ExpectedVersion::NoStream,
        vec![opened],
    )
    .with_projection(record.clone());
    request.clocks = clocks;
    store.append(&request).unwrap()
}

/// A timeline event at `t0 + minutes`.
pub fn timeline(minutes: i64, change: TimelineChange) -> TimelineEvent {
    TimelineEvent {
        at: t0() + Duration::minutes(minutes),
        actor: Some(PersonId::from_u128(2)),
        change,
    }
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "itsm-store-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
