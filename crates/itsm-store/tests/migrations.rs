//! A database written by the first schema (event streams only, before
//! projections, clocks and the CMDB existed) opens, migrates to the
//! current schema, and gets its projections rebuilt from its events; its
//! older payloads are upcast on read. On SQLite and on PostgreSQL.
//!
//! The fixture is `tests/fixtures/schema_v1_events.json`: three events as
//! schema 1 stored them, one of a product type at payload version 1.

mod support;

use itsm_core::{GroupId, RecordKind, RecordNumber};
use itsm_store::{
    DocumentProjector, PayloadRegistry, RecordFilter, RecordQuery, SCHEMA_VERSION, Store,
    StoreOptions,
};
use support::*;

const SQLITE_V1: &str = include_str!("../migrations/sqlite/0001_event_streams.sql");
const POSTGRES_V1: &str = include_str!("../migrations/postgres/0001_event_streams.sql");

fn fixture() -> Vec<serde_json::Value> {
    serde_json::from_str(include_str!("fixtures/schema_v1_events.json")).unwrap()
}

fn uuid_bytes(v: &serde_json::Value) -> Option<Vec<u8>> {
    v.as_str()
        .map(|s| uuid::Uuid::parse_str(s).unwrap().as_bytes().to_vec())
}

fn uuid_of(v: &serde_json::Value) -> Option<uuid::Uuid> {
    v.as_str().map(|s| uuid::Uuid::parse_str(s).unwrap())
}

fn write_sqlite_v1(path: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(SQLITE_V1).unwrap();
    conn.execute_batch(
        "CREATE TABLE itsm_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
         INSERT INTO itsm_schema VALUES (1, 'event_streams', 0);",
    )
    .unwrap();
    for e in fixture() {
        conn.execute(
            "INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL, ?11)",
            rusqlite::params![
                e["position"].as_i64(),
                uuid_bytes(&e["stream_id"]),
                e["stream_kind"].as_str(),
                e["version"].as_i64(),
                uuid_bytes(&e["event_id"]),
                e["event_type"].as_str(),
                e["schema_version"].as_i64(),
                e["recorded_at"].as_i64(),
                e["occurred_at"].as_i64(),
                uuid_bytes(&e["actor"]),
                e["payload"].to_string()
            ],
        )
        .unwrap();
    }
    conn.execute(
        "INSERT INTO streams VALUES (?1, 'incident', 3)",
        [uuid_bytes(&fixture()[0]["stream_id"])],
    )
    .unwrap();
}

fn write_postgres_v1(url: &str) {
    let (base, schema) = url
        .rsplit_once("schema=")
        .map(|(b, s)| (b.trim_end_matches(['?', '&']), s))
        .unwrap();
    let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema};"
        ))
        .unwrap();
    client.batch_execute(POSTGRES_V1).unwrap();
    client
        .batch_execute(
            "CREATE TABLE itsm_schema (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL);
             INSERT INTO itsm_schema VALUES (1, 'event_streams', 0);
             UPDATE store_position SET last_position = 3;",
        )
        .unwrap();
    for e in fixture() {
        client
            .execute(
                "INSERT INTO events VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, $11)",
                &[
                    &e["position"].as_i64(), &uuid_of(&e["stream_id"]), &e["stream_kind"].as_str(),
                    &e["version"].as_i64(), &uuid_of(&e["event_id"]), &e["event_type"].as_str(),
                    &e["schema_version"].as_i64(), &e["recorded_at"].as_i64(), &e["occurred_at"].as_i64(),
                    &uuid_of(&e["actor"]), &e["payload"].to_string(),
                ],
            )
            .unwrap();
    }
    client
        .execute(
            "INSERT INTO streams VALUES ($1, 'incident', 3)",
            &[&uuid_of(&fixture()[0]["stream_id"])],
        )
        .unwrap();
}

#[test]
fn a_first_schema_database_migrates_and_rebuilds_its_projections() {
    let mut registry = PayloadRegistry::standard();
    registry.register_type("vendor_note", 2);
    registry.upcaster("vendor_note", 1, |mut v| {
        if let itsm_core::FieldValue::Object(map) = &mut v {
            let body = map.remove("body").ok_or("no body")?;
            map.insert("text".into(), body);
        }
        Ok(v)
    });
    for url in urls("migrate_v1") {
        if let Some(path) = url.strip_prefix("sqlite://") {
            write_sqlite_v1(path);
        } else {
            write_postgres_v1(&url);
        }
        let options = StoreOptions {
            registry: Some(registry.clone()),
            ..Default::default()
        };
        let mut store = Store::open_with(&url, options.clone()).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        // Opening again applies nothing more.
        drop(store);
        let mut store = Store::open_with(&url, options).unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
        assert_eq!(store.head().unwrap(), 3);
        // No projection yet: the check says so, the rebuild writes it.
        let report = store.check(&DocumentProjector).unwrap();
        assert_eq!(report.mismatches.len(), 1, "{:?}", report.mismatches);
        let rebuilt = store.rebuild(&DocumentProjector).unwrap();
        assert_eq!(rebuilt.written, 1);
        assert!(store.check(&DocumentProjector).unwrap().is_clean());
        let number: RecordNumber = "INC0000777".parse().unwrap();
        let stored = store.record_by_number(&number).unwrap().unwrap();
        assert_eq!(
            (stored.record.state_name(), stored.version),
            ("in_progress", 3)
        );
        let page = store
            .query(
                &RecordQuery::new(
                    RecordKind::Incident,
                    RecordFilter::Group(GroupId::from_u128(9)),
                    10,
                )
                .open(),
            )
            .unwrap();
        assert_eq!(page.records.len(), 1);
        // The old product payload reads in its current shape.
        let note = &store.read_all(2, 1).unwrap()[0];
        assert_eq!(
            store.registry().upcast(note).unwrap(),
            (2, r#"{"text":"vendor case 4411 opened"}"#.to_owned())
        );
        // And the migrated database takes new appends at the next position.
        let o = append_notes(
            &mut store,
            stream(1),
            itsm_store::ExpectedVersion::NoStream,
            1,
        )
        .unwrap();
        assert_eq!(o.first_position, 4);
    }
}
