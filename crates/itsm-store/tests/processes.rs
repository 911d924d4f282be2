//! Separate processes on one database: writers that never lose an update,
//! and a writer killed (SIGKILL) in the middle of a batch that leaves the
//! database as it was before the batch. The children are this test binary,
//! run again as the ignored `child` test with its orders in the environment.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use itsm_store::{AppendRequest, DocumentProjector, ExpectedVersion, NewEvent, Store, StoreError};
use support::*;

const BATCH: usize = 50;

fn spawn(url: &str, mode: &str, writer: usize) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ITSM_CHILD_URL", url)
        .env("ITSM_CHILD_MODE", mode)
        .env("ITSM_CHILD_WRITER", writer.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// The child: `contend` appends 50 single events to 5 shared streams at
/// the version it read, retrying on conflict; `batches` appends batches of
/// 50 events to its own stream until it is killed (at most 20,000 batches).
#[test]
#[ignore = "run by the tests of this file as a child process"]
fn child() {
    let url = std::env::var("ITSM_CHILD_URL").expect("run by the parent test");
    let mode = std::env::var("ITSM_CHILD_MODE").unwrap();
    let writer: u128 = std::env::var("ITSM_CHILD_WRITER").unwrap().parse().unwrap();
    let mut store = Store::open(&url).unwrap();
    match mode.as_str() {
        "contend" => {
            for i in 0..50u128 {
                let s = stream((writer + i) % 5);
                loop {
                    let version = store.stream(s).unwrap().map_or(0, |i| i.version);
                    match append_notes(&mut store, s, ExpectedVersion::Exact(version), 1) {
                        Ok(_) => break,
                        Err(StoreError::VersionConflict { .. }) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }
        "batches" => {
            let s = stream(1000 + writer);
            for b in 0..20_000u64 {
                let events: Vec<NewEvent> = (0..BATCH)
                    .map(|i| {
                        let mut e = note("x");
                        e.payload = serde_json::json!({ "batch": b, "i": i }).to_string();
                        e
                    })
                    .collect();
                store
                    .append(&AppendRequest::events(
                        s,
                        kind("ticket"),
                        ExpectedVersion::Exact(b * BATCH as u64),
                        events,
                    ))
                    .unwrap();
            }
        }
        other => panic!("unknown mode {other}"),
    }
}

#[test]
fn separate_processes_never_lose_an_update() {
    for url in urls("processes") {
        let mut store = Store::open(&url).unwrap();
        let children: Vec<Child> = (0..4).map(|w| spawn(&url, "contend", w)).collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "a writer failed");
        }
        assert_eq!(store.head().unwrap(), 200);
        let mut total = 0;
        for s in 0..5 {
            let events = store.read_stream(stream(s), 1, 1000).unwrap();
            assert!(
                events
                    .iter()
                    .enumerate()
                    .all(|(i, e)| e.version == i as u64 + 1)
            );
            total += events.len();
        }
        assert_eq!(total, 200, "no update lost");
        let positions: Vec<u64> = store
            .read_all(0, 1000)
            .unwrap()
            .iter()
            .map(|e| e.position)
            .collect();
        assert_eq!(
            positions,
            (1..=200).collect::<Vec<_>>(),
            "positions without gaps"
        );
    }
}

#[test]
fn a_writer_killed_mid_batch_leaves_whole_batches_only() {
    for url in urls("crash") {
        for (round, wait_for) in [(0usize, 200u64), (1, 2_000), (2, 5_000)] {
            let mut child = spawn(&url, "batches", round);
            let mut store = Store::open(&url).unwrap();
            let start = Instant::now();
            let s = stream(1000 + round as u128);
            // Let it write for a while, then kill it wherever it is.
            while store.stream(s).unwrap().map_or(0, |i| i.version) < wait_for
                && start.elapsed() < Duration::from_secs(60)
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            child.kill().unwrap();
            child.wait().unwrap();
            drop(store);
            let mut store = Store::open(&url).unwrap();
            let version = store.stream(s).unwrap().map_or(0, |i| i.version);
            assert!(version >= wait_for.min(200), "the writer wrote");
            assert_eq!(
                version % BATCH as u64,
                0,
                "round {round}: a partial batch landed ({version} events)"
            );
            let events = store.read_stream(s, 1, 1_000_000).unwrap();
            assert_eq!(events.len() as u64, version);
            for (i, e) in events.iter().enumerate() {
                let v: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
                assert_eq!(v["batch"], (i / BATCH) as u64);
                assert_eq!(v["i"], (i % BATCH) as u64);
            }
            let report = store.check(&DocumentProjector).unwrap();
            assert!(report.is_clean(), "{:?}", report.mismatches);
            // The database stays writable after the crash.
            append_notes(&mut store, s, ExpectedVersion::Exact(version), 1).unwrap();
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            let conn = rusqlite::Connection::open(path).unwrap();
            let ok: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(ok, "ok");
        }
    }
}
