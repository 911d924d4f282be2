//! A model-based test: random appends (right and wrong expectations, wrong
//! kinds, retries of earlier requests) against the store and against a
//! plain in-memory model of streams. After every step the outcome agrees,
//! and at the end every stream and the global order equal the model's.

mod support;

use std::collections::BTreeMap;

use itsm_store::{AppendRequest, ExpectedVersion, Store, StoreError, StreamId};
use proptest::prelude::*;
use support::*;

#[derive(Clone, Debug)]
enum Op {
    /// Append `count` events to stream `s` expecting `expect` (an offset
    /// from the true version: 0 is right), or `Any`, or `NoStream`.
    Append {
        s: u8,
        count: u8,
        expect: Expect,
        other_kind: bool,
    },
    /// Send again the request of an earlier successful append.
    Retry { nth: u8 },
}

#[derive(Clone, Copy, Debug)]
enum Expect {
    Right,
    Off(i8),
    Any,
    NoStream,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..4, 1u8..4, prop_oneof![
            4 => Just(Expect::Right),
            2 => (-2i8..=2).prop_filter("off", |d| *d != 0).prop_map(Expect::Off),
            1 => Just(Expect::Any),
            1 => Just(Expect::NoStream),
        ], proptest::bool::weighted(0.1))
            .prop_map(|(s, count, expect, other_kind)| Op::Append { s, count, expect, other_kind }),
        1 => any::<u8>().prop_map(|nth| Op::Retry { nth }),
    ]
}

/// The model: each stream's events (by payload text), and the global order.
#[derive(Default)]
struct Model {
    streams: BTreeMap<StreamId, Vec<String>>,
    global: Vec<(StreamId, String)>,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn the_store_behaves_like_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        let mut store = Store::open("sqlite::memory:").unwrap();
        let mut model = Model::default();
        let mut done: Vec<(AppendRequest, itsm_store::AppendOutcome)> = Vec::new();
        for op in ops {
            match op {
                Op::Append { s, count, expect, other_kind } => {
                    let id = stream(u128::from(s));
                    let current = model.streams.get(&id).map(|e| e.len() as u64);
                    // Only existing streams are written with the wrong kind: a new
                    // stream takes the kind it is opened with.
                    let other_kind = other_kind && current.is_some();
                    let expected = match expect {
                        Expect::Right => current.map_or(ExpectedVersion::NoStream, ExpectedVersion::Exact),
                        Expect::Off(d) => ExpectedVersion::Exact(current.unwrap_or(0).saturating_add_signed(i64::from(d))),
                        Expect::Any => ExpectedVersion::Any,
                        Expect::NoStream => ExpectedVersion::NoStream,
                    };
                    let events: Vec<_> = (0..count).map(|i| note(&format!("{s}-{i}"))).collect();
                    let texts: Vec<String> = events.iter().map(|e| e.payload.clone()).collect();
                    let request = AppendRequest::events(id, kind(if other_kind { "change" } else { "ticket" }), expected, events);
                    let result = store.append(&request);
                    let accepts = match expected {
                        ExpectedVersion::Any => true,
                        ExpectedVersion::NoStream | ExpectedVersion::Exact(0) => current.is_none(),
                        ExpectedVersion::Exact(v) => current == Some(v),
                    };
                    if other_kind {
                        prop_assert!(matches!(result, Err(StoreError::WrongStreamKind { .. })), "{result:?}");
                    } else if accepts {
                        let o = result.unwrap();
                        let entry = model.streams.entry(id).or_default();
                        prop_assert_eq!(o.first_version, entry.len() as u64 + 1);
                        prop_assert_eq!(o.first_position, model.global.len() as u64 + 1);
                        for t in &texts { entry.push(t.clone()); model.global.push((id, t.clone())); }
                        prop_assert_eq!(o.last_version, entry.len() as u64);
                        done.push((request, o));
                    } else {
                        match result {
                            Err(StoreError::VersionConflict { actual, .. }) => prop_assert_eq!(actual, current),
                            other => prop_assert!(false, "expected a conflict, got {:?}", other),
                        }
                    }
                }
                Op::Retry { nth } => {
                    if done.is_empty() { continue; }
                    let (request, original) = &done[usize::from(nth) % done.len()];
                    let again = store.append(request).unwrap();
                    prop_assert!(again.already_stored);
                    prop_assert_eq!((again.first_position, again.last_position), (original.first_position, original.last_position));
                }
            }
        }
        for (id, texts) in &model.streams {
            let stored: Vec<String> = store.read_stream(*id, 1, 1000).unwrap().into_iter().map(|e| e.payload).collect();
            prop_assert_eq!(&stored, texts);
        }
        let global: Vec<(StreamId, String)> = store.read_all(0, 10_000).unwrap().into_iter().map(|e| (e.stream_id, e.payload)).collect();
        prop_assert_eq!(global, model.global);
    }
}
