//! The global-order pitfall: a writer that took position N commits after a
//! writer that took N+1, and a reader that saw N+1 skips N forever. Two
//! writers whose commits interleave: A is slowed inside its insert (a
//! trigger sleeps), B starts after A. The store must make B wait for A's
//! positions, so a tailing reader sees 1 then 2 and never 2 alone.
//!
//! PostgreSQL only: SQLite has one writer at a time (BEGIN IMMEDIATE), so
//! its commits cannot interleave; the threads test covers it.

mod support;

use std::time::Duration;

use itsm_store::{AppendRequest, ExpectedVersion, Store};
use support::*;

#[test]
fn a_reader_never_sees_a_later_commit_before_an_earlier_position() {
    let Some(base) = postgres_url() else {
        eprintln!(
            "ITSM_TEST_POSTGRES_URL is not set: the PostgreSQL commit-order test did not run"
        );
        return;
    };
    let url = postgres_schema_url(&base, "commit_order");
    drop(Store::open(&url).unwrap());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin
        .batch_execute(
            "SET search_path TO t_commit_order;
             CREATE FUNCTION slow_event() RETURNS trigger AS $$
             BEGIN IF NEW.event_type = 'slow' THEN PERFORM pg_sleep(1.5); END IF; RETURN NEW; END
             $$ LANGUAGE plpgsql;
             CREATE TRIGGER slow BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION slow_event();",
        )
        .unwrap();
    let slow_writer = {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut store = Store::open(&url).unwrap();
            let mut e = note("slow");
            e.event_type = "slow".into();
            store
                .append(&AppendRequest::events(
                    stream(1),
                    kind("ticket"),
                    ExpectedVersion::NoStream,
                    vec![e],
                ))
                .unwrap()
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let fast_writer = {
        let url = url.clone();
        std::thread::spawn(move || {
            let mut store = Store::open(&url).unwrap();
            append_notes(&mut store, stream(2), ExpectedVersion::NoStream, 1).unwrap()
        })
    };
    let mut reader = Store::open(&url).unwrap();
    std::thread::sleep(Duration::from_millis(400));
    // A is still inside its transaction: B waits for it, and nothing is visible.
    assert!(
        !fast_writer.is_finished(),
        "the later writer committed before the earlier one"
    );
    assert!(reader.read_all(0, 10).unwrap().is_empty());
    let mut seen = Vec::new();
    while seen.len() < 2 {
        for e in reader
            .read_all(seen.last().copied().unwrap_or(0), 10)
            .unwrap()
        {
            seen.push(e.position);
        }
        assert!(
            seen.first().is_none_or(|p| *p == 1),
            "the reader saw {seen:?} first"
        );
    }
    let a = slow_writer.join().unwrap();
    let b = fast_writer.join().unwrap();
    assert_eq!((a.first_position, b.first_position), (1, 2));
    assert_eq!(seen, [1, 2]);
}
