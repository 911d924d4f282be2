//! Serialisation laws of the store's wire types: every value round-trips
//! losslessly through JSON.

use chrono::{DateTime, TimeZone, Utc};
use itsm_core::{GroupId, PersonId, Priority, StateCategory};
use itsm_store::{
    AppendOutcome, EventId, ExpectedVersion, NewEvent, PageCursor, RecordFilter, RecordQuery,
    RecordedEvent, StreamId, StreamKind,
};
use proptest::prelude::*;

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_102_444_800, 0u32..1_000_000_000)
        .prop_map(|(s, n)| Utc.timestamp_opt(s, n).single().unwrap())
}

fn kind() -> impl Strategy<Value = StreamKind> {
    "[a-z][a-z0-9_]{0,20}".prop_map(|s| StreamKind::new(s).unwrap())
}

fn payload() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(r#"{"a":1}"#.to_owned()),
        "[a-z ]{0,12}"
            .prop_map(|t| serde_json::json!({ "text": t, "n": [1, 2.5, null] }).to_string()),
        Just("[]".to_owned()),
        Just("\"just a string\"".to_owned()),
    ]
}

fn expected() -> impl Strategy<Value = ExpectedVersion> {
    prop_oneof![
        Just(ExpectedVersion::NoStream),
        Just(ExpectedVersion::Any),
        any::<u64>().prop_map(ExpectedVersion::Exact),
    ]
}

fn new_event() -> impl Strategy<Value = NewEvent> {
    (
        any::<u128>(),
        "[a-z_]{1,20}",
        1u32..5,
        instant(),
        proptest::option::of(any::<u128>()),
        proptest::option::of("[a-z0-9-]{0,10}"),
        proptest::option::of(any::<u128>()),
        payload(),
    )
        .prop_map(|(id, t, v, at, actor, corr, cause, payload)| NewEvent {
            event_id: EventId::from_u128(id),
            event_type: t,
            schema_version: v,
            occurred_at: at,
            actor: actor.map(PersonId::from_u128),
            correlation_id: corr,
            causation_id: cause.map(EventId::from_u128),
            payload,
        })
}

fn filter() -> impl Strategy<Value = RecordFilter> {
    prop_oneof![
        Just(RecordFilter::All),
        "[a-z_]{1,10}".prop_map(RecordFilter::State),
        Just(RecordFilter::Category(StateCategory::Paused)),
        any::<u128>().prop_map(|g| RecordFilter::Group(GroupId::from_u128(g))),
        any::<u128>().prop_map(|p| RecordFilter::Assignee(PersonId::from_u128(p))),
        Just(RecordFilter::Priority(Priority::P3)),
        any::<u128>().prop_map(|c| RecordFilter::Ci(itsm_core::CiId::from_u128(c))),
    ]
}

fn round_trip<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    value: &T,
) {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value, "{text}");
}

proptest! {
    #[test]
    fn new_events_round_trip(event in new_event()) {
        round_trip(&event);
    }

    #[test]
    fn recorded_events_round_trip(event in new_event(), position in 1u64.., version in 1u64.., stream in any::<u128>(), kind in kind(), recorded in instant()) {
        round_trip(&RecordedEvent {
            position, stream_id: StreamId::from_u128(stream), stream_kind: kind, version,
            event_id: event.event_id, event_type: event.event_type, schema_version: event.schema_version,
            recorded_at: recorded, occurred_at: event.occurred_at, actor: event.actor,
            correlation_id: event.correlation_id, causation_id: event.causation_id, payload: event.payload,
        });
    }

    #[test]
    fn expectations_outcomes_and_queries_round_trip(e in expected(), f in filter(), open in any::<bool>(), limit in 1u32..10_000, cursor in proptest::option::of((1u8..10, any::<u128>())), kind in kind(), a in any::<u64>(), b in any::<u64>()) {
        round_trip(&e);
        round_trip(&RecordQuery { kind, filter: f, open_only: open, after: cursor.map(|(r, id)| PageCursor { priority_rank: r, id: StreamId::from_u128(id) }), limit });
        round_trip(&AppendOutcome { stream: StreamId::from_u128(u128::from(a)), first_version: a, last_version: b, first_position: b, last_position: a, already_stored: open });
    }

    #[test]
    fn stream_kinds_are_validated_on_input(name in "\\PC{0,80}") {
        let parsed = serde_json::from_value::<StreamKind>(serde_json::Value::String(name.clone()));
        let valid = !name.is_empty() && name.len() <= 64 && name.as_bytes()[0].is_ascii_lowercase()
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        prop_assert_eq!(parsed.is_ok(), valid);
    }
}
