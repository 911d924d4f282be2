//! The conformance suite: every test runs on a SQLite file, and on
//! PostgreSQL when `ITSM_TEST_POSTGRES_URL` is set (each test in its own schema).

mod support;

use chrono::Duration;
use itsm_core::{
    CiId, GroupId, PersonId, Priority, RecordNumber, StateCategory, TimelineChange, TimelineEvent,
};
use itsm_store::{
    AppendRequest, DocumentProjector, ExpectedVersion, MismatchKind, NewEvent, PayloadRegistry,
    Record, RecordFilter, RecordQuery, Store, StoreError, StoreOptions, StreamKind, StreamSnapshot,
};
use support::*;

fn each(name: &str, test: impl Fn(&mut Store)) {
    for mut store in stores(name) {
        eprintln!("-- {name} on {}", store.backend_name());
        test(&mut store);
    }
}

#[test]
fn appends_take_contiguous_versions_and_positions() {
    each("append_basics", |store| {
        let (a, b) = (stream(1), stream(2));
        let o = append_notes(store, a, ExpectedVersion::NoStream, 3).unwrap();
        assert_eq!(
            (
                o.first_version,
                o.last_version,
                o.first_position,
                o.last_position
            ),
            (1, 3, 1, 3)
        );
        let o = append_notes(store, b, ExpectedVersion::Any, 2).unwrap();
        assert_eq!(
            (
                o.first_version,
                o.last_version,
                o.first_position,
                o.last_position
            ),
            (1, 2, 4, 5)
        );
        let o = append_notes(store, a, ExpectedVersion::Exact(3), 1).unwrap();
        assert_eq!(
            (o.first_version, o.last_version, o.first_position),
            (4, 4, 6)
        );
        assert_eq!(store.head().unwrap(), 6);
        let events = store.read_stream(a, 1, 100).unwrap();
        assert_eq!(
            events.iter().map(|e| e.version).collect::<Vec<_>>(),
            [1, 2, 3, 4]
        );
        assert_eq!(
            events.iter().map(|e| e.position).collect::<Vec<_>>(),
            [1, 2, 3, 6]
        );
        assert_eq!(store.read_stream(a, 3, 1).unwrap()[0].version, 3);
        let all = store.read_all(0, 100).unwrap();
        assert_eq!(
            all.iter().map(|e| e.position).collect::<Vec<_>>(),
            [1, 2, 3, 4, 5, 6]
        );
        assert_eq!(store.read_all(4, 1).unwrap()[0].position, 5);
        assert!(store.read_all(6, 10).unwrap().is_empty());
        let info = store.stream(a).unwrap().unwrap();
        assert_eq!((info.version, info.kind.as_str()), (4, "ticket"));
        assert!(store.stream(stream(99)).unwrap().is_none());
        // The envelope comes back as written.
        let first = &events[0];
        assert_eq!(first.event_type, "note");
        assert_eq!(first.occurred_at, t0());
        assert_eq!(first.payload, r#"{"text":"n0"}"#);
        assert_eq!(store.streams(None, 10).unwrap().len(), 2);
        assert_eq!(store.streams(Some(a), 10).unwrap()[0].stream, b);
    });
}

/// One row: the stream's version before (None: no stream), what the append
/// expects, and the outcome (Ok(last version) or Err(actual version)).
fn check_expected(
    store: &mut Store,
    n: u128,
    before: Option<u64>,
    expected: ExpectedVersion,
    expect: Result<u64, Option<u64>>,
) {
    let s = stream(n);
    if let Some(v) = before {
        append_notes(store, s, ExpectedVersion::NoStream, v as usize).unwrap();
    }
    let head = store.head().unwrap();
    let got = match append_notes(store, s, expected, 2) {
        Ok(o) => Ok(o.last_version),
        Err(StoreError::VersionConflict {
            actual,
            expected: e,
            stream,
        }) => {
            assert_eq!((e, stream), (expected, s));
            Err(actual)
        }
        Err(other) => panic!("{expected:?} on {before:?}: unexpected {other}"),
    };
    assert_eq!(
        got, expect,
        "expected {expected:?} on a stream at {before:?}"
    );
    if got.is_err() {
        assert_eq!(
            store.head().unwrap(),
            head,
            "a refused append wrote nothing"
        );
    }
}

#[test]
fn expected_versions_are_enforced() {
    use ExpectedVersion::*;
    each("expected_versions", |store| {
        check_expected(store, 1, None, NoStream, Ok(2));
        check_expected(store, 2, Some(1), NoStream, Err(Some(1)));
        check_expected(store, 3, None, Any, Ok(2));
        check_expected(store, 4, Some(3), Any, Ok(5));
        check_expected(store, 5, Some(3), Exact(3), Ok(5));
        check_expected(store, 6, Some(3), Exact(2), Err(Some(3)));
        check_expected(store, 7, Some(3), Exact(4), Err(Some(3)));
        check_expected(store, 8, None, Exact(1), Err(None));
        check_expected(store, 9, None, Exact(0), Ok(2));
        check_expected(store, 10, Some(1), Exact(0), Err(Some(1)));
    });
}

#[test]
fn a_retried_append_is_a_no_op_with_the_original_positions() {
    each("idempotency", |store| {
        let s = stream(1);
        let request = AppendRequest::events(
            s,
            kind("ticket"),
            ExpectedVersion::NoStream,
            vec![note("a"), note("b")],
        );
        let first = store.append(&request).unwrap();
        append_notes(store, s, ExpectedVersion::Exact(2), 1).unwrap();
        let retry = store.append(&request).unwrap();
        assert!(retry.already_stored);
        assert_eq!(
            (
                retry.first_position,
                retry.last_position,
                retry.last_version
            ),
            (first.first_position, first.last_position, 2)
        );
        assert_eq!(store.head().unwrap(), 3);
        // Part of a batch stored, part new: not a retry.
        let mut mixed = request.clone();
        mixed.events.push(note("c"));
        mixed.expected = ExpectedVersion::Exact(3);
        assert!(matches!(
            store.append(&mixed),
            Err(StoreError::IdempotencyMismatch { .. })
        ));
        // The same event id in another stream: not a retry either.
        let mut elsewhere = request.clone();
        elsewhere.stream = stream(2);
        assert!(matches!(
            store.append(&elsewhere),
            Err(StoreError::IdempotencyMismatch { .. })
        ));
        assert_eq!(store.head().unwrap(), 3);
        assert!(store.stream(stream(2)).unwrap().is_none());
    });
}

#[test]
fn a_batch_lands_whole_or_not_at_all() {
    each("atomic_batch", |store| {
        let stored = note("stored");
        let stored_id = stored.event_id;
        store
            .append(&AppendRequest::events(
                stream(1),
                kind("ticket"),
                ExpectedVersion::NoStream,
                vec![stored],
            ))
            .unwrap();
        // The third event repeats an id stored in another stream: the
        // database refuses it after the first two were inserted.
        let mut dup = note("dup");
        dup.event_id = stored_id;
        let batch = vec![note("x"), note("y"), dup];
        let err = store
            .append(&AppendRequest::events(
                stream(2),
                kind("ticket"),
                ExpectedVersion::NoStream,
                batch,
            ))
            .unwrap_err();
        assert!(
            matches!(err, StoreError::IdempotencyMismatch { .. }),
            "{err}"
        );
        assert_eq!(store.head().unwrap(), 1);
        assert!(store.stream(stream(2)).unwrap().is_none());
        assert!(store.read_stream(stream(2), 1, 10).unwrap().is_empty());
    });
}

#[test]
fn bad_data_gets_typed_errors_and_writes_nothing() {
    each("bad_data", |store| {
        append_notes(store, stream(1), ExpectedVersion::NoStream, 1).unwrap();
        let s = stream(2);
        let mut corrupt = note("x");
        corrupt.payload = "{not json".to_owned();
        let err = store
            .append(&AppendRequest::events(
                s,
                kind("ticket"),
                ExpectedVersion::Any,
                vec![corrupt],
            ))
            .unwrap_err();
        assert!(matches!(err, StoreError::CorruptPayload { .. }), "{err}");
        // A registered type whose payload does not decode names the field.
        let mut bad = NewEvent::timeline(
            event_id(),
            &timeline(
                1,
                TimelineChange::PriorityChanged {
                    from: None,
                    to: Priority::P1,
                },
            ),
        )
        .unwrap();
        bad.payload = bad.payload.replace("\"p1\"", "\"p9\"");
        match store
            .append(&AppendRequest::events(
                s,
                kind("ticket"),
                ExpectedVersion::Any,
                vec![bad],
            ))
            .unwrap_err()
        {
            StoreError::CorruptPayload {
                event_type,
                message,
                ..
            } => {
                // The path stops at the event: `TimelineEvent` flattens its
                // change (issue "Hardening" replaces the flatten).
                assert_eq!(event_type, "timeline_event");
                assert!(message.contains("p9"), "{message}");
            }
            other => panic!("{other}"),
        }
        let mut newer = NewEvent::timeline(
            event_id(),
            &timeline(
                1,
                TimelineChange::PriorityChanged {
                    from: None,
                    to: Priority::P1,
                },
            ),
        )
        .unwrap();
        newer.schema_version = 7;
        match store
            .append(&AppendRequest::events(
                s,
                kind("ticket"),
                ExpectedVersion::Any,
                vec![newer],
            ))
            .unwrap_err()
        {
            StoreError::UnknownSchemaVersion { version, known, .. } => {
                assert_eq!((version, known), (7, 1))
            }
            other => panic!("{other}"),
        }
        // A wrong stream kind, for every kind of expectation.
        for expected in [
            ExpectedVersion::Any,
            ExpectedVersion::Exact(1),
            ExpectedVersion::NoStream,
        ] {
            let err = store
                .append(&AppendRequest::events(
                    stream(1),
                    kind("change"),
                    expected,
                    vec![note("k")],
                ))
                .unwrap_err();
            assert!(
                matches!(&err, StoreError::WrongStreamKind { actual, .. } if actual.as_str() == "ticket"),
                "{expected:?}: {err}"
            );
        }
        // Every problem of a request at once.
        let dup = note("d");
        let err = store
            .append(&AppendRequest::events(
                s,
                kind("ticket"),
                ExpectedVersion::Any,
                vec![dup.clone(), dup],
            ))
            .unwrap_err();
        assert!(err.to_string().contains("appears twice"), "{err}");
        let err = store
            .append(&AppendRequest::events(
                s,
                kind("ticket"),
                ExpectedVersion::Any,
                vec![],
            ))
            .unwrap_err();
        assert!(err.to_string().contains("at least one event"), "{err}");
        assert!(StreamKind::new("Bad Kind").is_err());
        assert_eq!(store.head().unwrap(), 1);
        assert!(store.stream(s).unwrap().is_none());
    });
}

#[test]
fn older_payloads_are_upcast_on_read() {
    let mut registry = PayloadRegistry::standard();
    registry.register_type("vendor_note", 3);
    registry.upcaster("vendor_note", 1, |mut v| {
        // v1 called the text "body".
        if let itsm_core::FieldValue::Object(map) = &mut v {
            let body = map.remove("body").ok_or("no body")?;
            map.insert("text".into(), body);
        }
        Ok(v)
    });
    registry.upcaster("vendor_note", 2, |mut v| {
        if let itsm_core::FieldValue::Object(map) = &mut v {
            map.entry("lang".into()).or_insert("en".into());
        }
        Ok(v)
    });
    for url in urls("upcasting") {
        let mut store = Store::open_with(
            &url,
            StoreOptions {
                registry: Some(registry.clone()),
                ..Default::default()
            },
        )
        .unwrap();
        let mut v1 = note("x");
        v1.event_type = "vendor_note".into();
        v1.payload = r#"{"body":"disk full"}"#.into();
        let mut v3 = note("y");
        v3.event_type = "vendor_note".into();
        v3.schema_version = 3;
        v3.payload = r#"{"text":"ok","lang":"fr"}"#.into();
        store
            .append(&AppendRequest::events(
                stream(1),
                kind("ticket"),
                ExpectedVersion::NoStream,
                vec![v1, v3],
            ))
            .unwrap();
        let events = store.read_stream(stream(1), 1, 10).unwrap();
        assert_eq!(events[0].schema_version, 1, "stored as written");
        let (version, text) = store.registry().upcast(&events[0]).unwrap();
        assert_eq!(
            (version, text.as_str()),
            (3, r#"{"lang":"en","text":"disk full"}"#)
        );
        assert_eq!(
            store.registry().upcast(&events[1]).unwrap().1,
            r#"{"text":"ok","lang":"fr"}"#
        );
        // A version with no converter is an error, not a silent pass.
        let mut gap = PayloadRegistry::standard();
        gap.register_type("vendor_note", 3);
        assert!(matches!(
            gap.upcast(&events[0]),
            Err(StoreError::MissingUpcaster { from: 1, .. })
        ));
    }
}

#[test]
fn snapshots_and_checkpoints() {
    each("snapshots", |store| {
        let s = stream(1);
        append_notes(store, s, ExpectedVersion::NoStream, 3).unwrap();
        let snapshot = StreamSnapshot {
            stream: s,
            version: 2,
            schema_version: 1,
            taken_at: t0(),
            state: r#"{"count":2}"#.into(),
        };
        store.save_snapshot(&snapshot).unwrap();
        assert_eq!(store.load_snapshot(s).unwrap(), Some(snapshot.clone()));
        let ahead = StreamSnapshot {
            version: 4,
            ..snapshot.clone()
        };
        assert!(matches!(
            store.save_snapshot(&ahead),
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(store.load_snapshot(s).unwrap().unwrap().version, 2);
        let rest = store.read_stream(s, snapshot.version + 1, 100).unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(store.checkpoint("mailer").unwrap(), None);
        store.save_checkpoint("mailer", 2).unwrap();
        store.save_checkpoint("mailer", 3).unwrap();
        assert_eq!(store.checkpoint("mailer").unwrap(), Some(3));
    });
}

/// The records of the query tests: 60 incidents over 3 groups, 5
/// priorities, open or resolved, with 2 CIs.
fn query_records() -> Vec<Record> {
    (1..=60u32)
        .map(|n| {
            let priority = Priority::ALL[(n % 5) as usize];
            let mut i = incident(n, u128::from(n % 3), priority);
            if n % 4 == 0 {
                i.state = itsm_core::IncidentState::Resolved;
                i.resolved_at = Some(i.opened_at + Duration::hours(1));
                i.resolution_code = Some(itsm_core::IncidentResolutionCode::SolutionProvided);
                i.resolution_notes = Some("fixed".into());
            } else if n % 4 == 1 {
                i.state = itsm_core::IncidentState::InProgress;
            }
            i.assigned_to = (n % 2 == 0).then(|| PersonId::from_u128(50));
            i.configuration_items = if n % 3 == 0 {
                vec![CiId::from_u128(7), CiId::from_u128(8)]
            } else {
                vec![CiId::from_u128(8)]
            };
            Record::Incident(i)
        })
        .collect()
}

fn matches(record: &Record, filter: &RecordFilter) -> bool {
    match filter {
        RecordFilter::All => true,
        RecordFilter::State(s) => record.state_name() == s,
        RecordFilter::Category(c) => record.category() == *c,
        RecordFilter::Group(g) => record.assignment_group() == Some(*g),
        RecordFilter::Assignee(p) => record.assignee() == Some(*p),
        RecordFilter::Priority(p) => record.priority() == Some(*p),
        RecordFilter::Ci(c) => record.configuration_items().contains(c),
        _ => unreachable!(),
    }
}

/// One row: a query, paged through with `page` rows a page, must list
/// exactly the oracle's records in priority then id order.
fn check_query(
    store: &mut Store,
    records: &[Record],
    filter: RecordFilter,
    open_only: bool,
    page: u32,
) {
    let mut expect: Vec<&Record> = records
        .iter()
        .filter(|r| matches(r, &filter) && (!open_only || r.category().is_active()))
        .collect();
    expect.sort_by_key(|r| (r.priority().map_or(9, Priority::rank), r.stream_id()));
    let mut query = RecordQuery::new(itsm_core::RecordKind::Incident, filter.clone(), page);
    query.open_only = open_only;
    let mut got = Vec::new();
    loop {
        let result = store.query(&query).unwrap();
        got.extend(result.records.into_iter().map(|s| s.record));
        match result.next {
            Some(cursor) => query = query.after(cursor),
            None => break,
        }
    }
    let expect: Vec<Record> = expect.into_iter().cloned().collect();
    assert_eq!(got.len(), expect.len(), "{filter:?} open_only={open_only}");
    assert!(
        got == expect,
        "{filter:?} open_only={open_only}: order or content differs"
    );
    // The database serves it from an index, in page order.
    let plan = store.explain(&query).unwrap();
    match store.backend_name() {
        "sqlite" => {
            assert!(
                plan.contains("USING INDEX")
                    || plan.contains("USING COVERING INDEX")
                    || plan.contains("USING PRIMARY KEY"),
                "{filter:?}: {plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{filter:?} sorts: {plan}");
        }
        _ => {
            assert!(plan.contains("Index"), "{filter:?}: {plan}");
            assert!(!plan.contains("Seq Scan"), "{filter:?}: {plan}");
            assert!(!plan.contains("Sort"), "{filter:?} sorts: {plan}");
        }
    }
}

#[test]
fn projections_answer_the_desk_queries_from_indexes() {
    each("queries", |store| {
        let records = query_records();
        for r in &records {
            open_record(store, r);
        }
        let g1 = GroupId::from_u128(1);
        for open_only in [false, true] {
            for page in [7, 50] {
                check_query(store, &records, RecordFilter::All, open_only, page);
                check_query(store, &records, RecordFilter::Group(g1), open_only, page);
                check_query(
                    store,
                    &records,
                    RecordFilter::Assignee(PersonId::from_u128(50)),
                    open_only,
                    page,
                );
                check_query(
                    store,
                    &records,
                    RecordFilter::Priority(Priority::P2),
                    open_only,
                    page,
                );
                check_query(
                    store,
                    &records,
                    RecordFilter::State("resolved".into()),
                    open_only,
                    page,
                );
                check_query(
                    store,
                    &records,
                    RecordFilter::Category(StateCategory::Open),
                    open_only,
                    page,
                );
                check_query(
                    store,
                    &records,
                    RecordFilter::Ci(CiId::from_u128(7)),
                    open_only,
                    page,
                );
            }
        }
        // Half the records change: priority, CIs, state, assignee. Their
        // rows move in every index, their old CI rows go.
        let mut records = records;
        for (i, r) in records.iter_mut().enumerate().filter(|(i, _)| i % 2 == 1) {
            let Record::Incident(inc) = r else {
                unreachable!()
            };
            inc.priority = Priority::ALL[(i + 2) % 5];
            inc.configuration_items = if i % 3 == 0 {
                vec![CiId::from_u128(9)]
            } else {
                vec![CiId::from_u128(7), CiId::from_u128(9), CiId::from_u128(7)]
            };
            inc.configuration_items.dedup();
            inc.state = itsm_core::IncidentState::OnHold;
            inc.on_hold_reason = Some(itsm_core::OnHoldReason::AwaitingCaller);
            inc.assigned_to = (i % 4 == 1).then(|| PersonId::from_u128(50));
            let request = AppendRequest::events(
                r.stream_id(),
                kind("incident"),
                ExpectedVersion::Exact(1),
                vec![note("changed")],
            )
            .with_projection(r.clone());
            assert_eq!(store.append(&request).unwrap().last_version, 2);
        }
        for filter in [
            RecordFilter::All,
            RecordFilter::Ci(CiId::from_u128(7)),
            RecordFilter::Ci(CiId::from_u128(8)),
            RecordFilter::Ci(CiId::from_u128(9)),
            RecordFilter::Priority(Priority::P2),
            RecordFilter::Assignee(PersonId::from_u128(50)),
            RecordFilter::State("on_hold".into()),
            RecordFilter::Category(StateCategory::Paused),
        ] {
            for open_only in [false, true] {
                check_query(store, &records, filter.clone(), open_only, 7);
            }
        }
        // By id and by number.
        let first = records[0].clone();
        let by_id = store.record(first.stream_id()).unwrap().unwrap();
        assert_eq!((by_id.record, by_id.version), (first.clone(), 1));
        let number: RecordNumber = "INC0000002".parse().unwrap();
        assert_eq!(
            store
                .record_by_number(&number)
                .unwrap()
                .unwrap()
                .record
                .number(),
            &number
        );
        assert!(
            store
                .record_by_number(&"INC0999999".parse().unwrap())
                .unwrap()
                .is_none()
        );
        assert!(matches!(
            store.query(&RecordQuery::new(
                itsm_core::RecordKind::Incident,
                RecordFilter::All,
                0
            )),
            Err(StoreError::Invalid { .. })
        ));
    });
}

fn clock(definition: &str, next: Option<i64>) -> itsm_sla::SlaEvaluation {
    serde_json::from_value(serde_json::json!({
        "definition": definition,
        "kind": "sla",
        "target": "resolution",
        "evaluated_at": t0().to_rfc3339(),
        "cycles": [],
        "next_event_at": next.map(|m| (t0() + Duration::minutes(m)).to_rfc3339()),
    }))
    .unwrap()
}

#[test]
fn clocks_are_written_with_the_append_and_listed_when_due() {
    each("clocks", |store| {
        for (n, minutes) in [(1u32, 30i64), (2, 10), (3, 20)] {
            let record = Record::Incident(incident(n, 1, Priority::P3));
            open_record_with_clocks(
                store,
                &record,
                vec![clock("resolve", Some(minutes)), clock("respond", None)],
            );
        }
        let due = store.due_clocks(t0() + Duration::minutes(25), 10).unwrap();
        let got: Vec<(String, i64)> = due
            .iter()
            .map(|d| (d.definition.clone(), (d.next_event_at - t0()).num_minutes()))
            .collect();
        assert_eq!(
            got,
            [("resolve".to_owned(), 10), ("resolve".to_owned(), 20)]
        );
        assert_eq!(
            store
                .due_clocks(t0() + Duration::minutes(60), 1)
                .unwrap()
                .len(),
            1
        );
        let s1 = Record::Incident(incident(1, 1, Priority::P3)).stream_id();
        let clocks = store.clocks(s1).unwrap();
        assert_eq!(
            clocks
                .iter()
                .map(|c| c.evaluation.definition.as_str())
                .collect::<Vec<_>>(),
            ["resolve", "respond"]
        );
        // Replacing a record's clocks replaces them all.
        store
            .put_clocks(s1, &kind("incident"), &[clock("resolve", Some(5))])
            .unwrap();
        assert_eq!(store.clocks(s1).unwrap().len(), 1);
        assert_eq!(
            store.due_clocks(t0() + Duration::minutes(6), 10).unwrap()[0].record,
            s1
        );
        // So does an append that carries them: `resolve` goes, `respond` comes.
        let request = AppendRequest::events(
            s1,
            kind("incident"),
            ExpectedVersion::Any,
            vec![note("clocks again")],
        )
        .with_clocks(vec![clock("respond", Some(7))]);
        store.append(&request).unwrap();
        let clocks = store.clocks(s1).unwrap();
        assert_eq!(
            clocks
                .iter()
                .map(|c| c.evaluation.definition.as_str())
                .collect::<Vec<_>>(),
            ["respond"]
        );
        let due = store.due_clocks(t0() + Duration::minutes(8), 10).unwrap();
        assert_eq!((due[0].record, due[0].definition.as_str()), (s1, "respond"));
        assert!(matches!(
            store.put_clocks(s1, &kind("incident"), &[clock("a", None), clock("a", None)]),
            Err(StoreError::Invalid { .. })
        ));
    });
}

#[test]
fn check_finds_projections_that_differ_and_rebuild_mends_them() {
    each("check_rebuild", |store| {
        let mut records = Vec::new();
        for n in 1..=5u32 {
            let record = Record::Incident(incident(n, 1, Priority::P4));
            open_record(store, &record);
            records.push(record);
        }
        // Two timeline events on record 1, with the projection in step.
        let Record::Incident(mut first) = records[0].clone() else {
            unreachable!()
        };
        let events = [
            timeline(
                5,
                TimelineChange::PriorityChanged {
                    from: Some(Priority::P4),
                    to: Priority::P2,
                },
            ),
            timeline(
                6,
                TimelineChange::StateChanged {
                    from: "new".into(),
                    from_category: StateCategory::New,
                    to: "in_progress".into(),
                    to_category: StateCategory::Open,
                    reason: None,
                },
            ),
            timeline(
                7,
                TimelineChange::FieldChanged {
                    field: "vendor_ticket".into(),
                    from: itsm_core::FieldValue::Null,
                    to: "V-1".into(),
                },
            ),
            timeline(
                8,
                TimelineChange::CommentAdded {
                    visibility: itsm_core::CommentVisibility::WorkNote,
                    text: "looking".into(),
                },
            ),
        ];
        first.priority = Priority::P2;
        first.state = itsm_core::IncidentState::InProgress;
        first
            .extensions
            .insert("vendor_ticket".into(), "V-1".into());
        let new: Vec<NewEvent> = events
            .iter()
            .map(|e| NewEvent::timeline(event_id(), e).unwrap())
            .collect();
        store
            .append(
                &AppendRequest::events(
                    records[0].stream_id(),
                    kind("incident"),
                    ExpectedVersion::Exact(1),
                    new,
                )
                .with_projection(Record::Incident(first.clone())),
            )
            .unwrap();
        let report = store.check(&DocumentProjector).unwrap();
        assert!(report.is_clean(), "{:?}", report.mismatches);
        assert_eq!((report.streams, report.events), (5, 9));
        // A projection written out of step with its events is reported.
        let Record::Incident(mut wrong) = records[1].clone() else {
            unreachable!()
        };
        wrong.short_description = "edited behind the events' back".into();
        store
            .append(
                &AppendRequest::events(
                    records[1].stream_id(),
                    kind("incident"),
                    ExpectedVersion::Exact(1),
                    vec![note("n")],
                )
                .with_projection(Record::Incident(wrong)),
            )
            .unwrap();
        let report = store.check(&DocumentProjector).unwrap();
        assert_eq!(report.mismatches.len(), 1, "{:?}", report.mismatches);
        assert_eq!(report.mismatches[0].mismatch, MismatchKind::Differs);
        assert!(
            report.mismatches[0].detail.contains("short_description"),
            "{}",
            report.mismatches[0].detail
        );
        // A value the record cannot hold does not fold: reported, not dropped.
        let bogus = NewEvent::timeline(
            event_id(),
            &timeline(
                9,
                TimelineChange::FieldChanged {
                    field: "urgency".into(),
                    from: itsm_core::FieldValue::Null,
                    to: "extreme".into(),
                },
            ),
        )
        .unwrap();
        store
            .append(&AppendRequest::events(
                records[2].stream_id(),
                kind("incident"),
                ExpectedVersion::Exact(1),
                vec![bogus],
            ))
            .unwrap();
        let report = store.check(&DocumentProjector).unwrap();
        assert!(
            report
                .mismatches
                .iter()
                .any(|m| m.mismatch == MismatchKind::FoldFailed && m.detail.contains("extreme")),
            "{:?}",
            report.mismatches
        );
        // Rebuild mends what folds, leaves what does not, and check agrees.
        let rebuilt = store.rebuild(&DocumentProjector).unwrap();
        assert_eq!(
            (rebuilt.streams, rebuilt.written, rebuilt.failed.len()),
            (5, 4, 1)
        );
        let report = store.check(&DocumentProjector).unwrap();
        assert_eq!(report.mismatches.len(), 1, "{:?}", report.mismatches);
        assert_eq!(
            store
                .record(records[0].stream_id())
                .unwrap()
                .unwrap()
                .record,
            Record::Incident(first)
        );
        assert_eq!(
            store
                .record(records[1].stream_id())
                .unwrap()
                .unwrap()
                .record,
            records[1]
        );
    });
}

#[test]
fn the_cmdb_is_saved_as_a_diff_with_its_history() {
    use itsm_cmdb::{CmdbData, ConfigurationItem, Relationship};
    use itsm_store::{CmdbChange, CmdbChangeKind};
    each("cmdb", |store| {
        let mut stored = store.load_cmdb().unwrap();
        assert_eq!((stored.version(), stored.cmdb().ci_count()), (0, 0));
        let change = |source: &str, minutes| CmdbChange {
            actor: Some(PersonId::from_u128(3)),
            source: source.into(),
            at: t0() + Duration::minutes(minutes),
        };
        // The starter definitions, then a small estate.
        *stored.cmdb_mut() = itsm_cmdb::Cmdb::import(CmdbData::starter()).unwrap();
        let (app, db, vm) = (CiId::from_u128(1), CiId::from_u128(2), CiId::from_u128(3));
        let c = stored.cmdb_mut();
        c.add_ci(ConfigurationItem::new(app, "application", "payroll"))
            .unwrap();
        c.add_ci(
            ConfigurationItem::new(db, "database", "payroll-db")
                .with_attribute("engine", "postgresql"),
        )
        .unwrap();
        c.add_ci(ConfigurationItem::new(vm, "virtual_machine", "vm-1"))
            .unwrap();
        c.add_relationship(Relationship::new(app, "depends_on", db))
            .unwrap();
        c.add_relationship(Relationship::new(db, "runs_on", vm))
            .unwrap();
        assert_eq!(
            store.save_cmdb(&mut stored, &change("manual", 0)).unwrap(),
            6
        );
        assert_eq!(stored.version(), 1);
        let loaded = store.load_cmdb().unwrap();
        assert_eq!(loaded.cmdb().data(), stored.cmdb().data());
        // A change writes only what changed.
        let mut ci = loaded.cmdb().ci(&db).unwrap().clone();
        ci.attributes.insert("engine".into(), "mysql".into());
        let mut loaded = loaded;
        loaded.cmdb_mut().update_ci(ci).unwrap();
        loaded
            .cmdb_mut()
            .remove_relationship(&Relationship::new(db, "runs_on", vm))
            .unwrap();
        assert_eq!(store.save_cmdb(&mut loaded, &change("sccm", 5)).unwrap(), 2);
        // Nothing changed: nothing written.
        assert_eq!(store.save_cmdb(&mut loaded, &change("sccm", 6)).unwrap(), 0);
        let history = store.cmdb_history(Some(db), 0, 100).unwrap();
        let kinds: Vec<CmdbChangeKind> = history.iter().map(|h| h.change).collect();
        assert_eq!(
            kinds,
            [
                CmdbChangeKind::CiAdded,
                CmdbChangeKind::RelationshipAdded,
                CmdbChangeKind::CiChanged,
                CmdbChangeKind::RelationshipRemoved
            ]
        );
        assert_eq!(history[2].source, "sccm");
        assert_eq!(history[2].at, t0() + Duration::minutes(5));
        assert_eq!(history[2].actor, Some(PersonId::from_u128(3)));
        assert!(history[2].detail.contains("mysql"), "{}", history[2].detail);
        // A writer that loaded before the save gets a conflict and writes nothing.
        let mut stale = stored;
        stale.cmdb_mut().remove_ci(&vm).unwrap();
        assert!(matches!(
            store.save_cmdb(&mut stale, &change("manual", 7)),
            Err(StoreError::CmdbConflict {
                expected: 1,
                actual: 2
            })
        ));
        let reloaded = store.load_cmdb().unwrap();
        assert_eq!(reloaded.cmdb().ci_count(), 3);
        assert_eq!(reloaded.cmdb().relationship_count(), 1);
        assert_eq!(
            reloaded.cmdb().ci(&db).unwrap().attributes["engine"],
            "mysql".into()
        );
        assert_eq!(store.cmdb_history(None, 0, 100).unwrap().len(), 8);
    });
}

#[test]
fn reconciliation_provenance_is_persisted() {
    use itsm_cmdb::{CmdbData, ConfigurationItem, ReconciliationRule, SourcePriority};
    use itsm_store::CmdbChange;
    each("provenance", |store| {
        let mut data = CmdbData::starter();
        data.reconciliation_rules.push(ReconciliationRule {
            class: "server".into(),
            attribute: None,
            sources: vec![
                SourcePriority {
                    source: "sccm".into(),
                    priority: 1,
                },
                SourcePriority {
                    source: "manual".into(),
                    priority: 2,
                },
            ],
            stale_after_seconds: None,
        });
        let mut stored = store.load_cmdb().unwrap();
        *stored.cmdb_mut() = itsm_cmdb::Cmdb::import(data).unwrap();
        let server = CiId::from_u128(10);
        stored
            .cmdb_mut()
            .add_ci(ConfigurationItem::new(server, "server", "srv-1"))
            .unwrap();
        let mut attributes = std::collections::BTreeMap::new();
        attributes.insert("ram_gb".to_owned(), itsm_core::FieldValue::Int(64));
        let report = stored
            .cmdb_mut()
            .reconcile(&server, "sccm", &attributes, t0())
            .unwrap();
        assert!(report.refused.is_empty(), "{report:?}");
        let change = CmdbChange {
            actor: None,
            source: "sccm".into(),
            at: t0(),
        };
        store.save_cmdb(&mut stored, &change).unwrap();
        let loaded = store.load_cmdb().unwrap();
        let p = loaded.cmdb().provenance(&server, "ram_gb").unwrap();
        assert_eq!((p.source.as_str(), p.at), ("sccm", t0()));
        // A lower-priority source is still refused after the reload.
        let mut loaded = loaded;
        attributes.insert("ram_gb".to_owned(), itsm_core::FieldValue::Int(32));
        let report = loaded
            .cmdb_mut()
            .reconcile(&server, "manual", &attributes, t0() + Duration::hours(1))
            .unwrap();
        assert_eq!(report.refused.len(), 1, "{report:?}");
    });
}

#[test]
fn concurrent_writers_never_lose_an_update_and_readers_never_skip() {
    for url in urls("threads") {
        let writers = 4;
        let per_writer = 40;
        let streams = 5u128;
        {
            let mut store = Store::open(&url).unwrap();
            for s in 0..streams {
                append_notes(&mut store, stream(s), ExpectedVersion::NoStream, 1).unwrap();
            }
        }
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (url, done) = (url.clone(), done.clone());
            std::thread::spawn(move || {
                let mut store = Store::open(&url).unwrap();
                let mut last = 0;
                let mut seen = 0u64;
                loop {
                    let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                    for e in store.read_all(last, 1000).unwrap() {
                        assert_eq!(e.position, last + 1, "the reader skipped a position");
                        last = e.position;
                        seen += 1;
                    }
                    if finished && store.read_all(last, 1).unwrap().is_empty() {
                        return seen;
                    }
                }
            })
        };
        let handles: Vec<_> = (0..writers)
            .map(|w| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&url).unwrap();
                    let mut conflicts = 0;
                    for i in 0..per_writer {
                        let s = stream((w + i) as u128 % streams);
                        loop {
                            // Read, decide, append at the version read: the desk's loop.
                            let version = store.stream(s).unwrap().unwrap().version;
                            match append_notes(&mut store, s, ExpectedVersion::Exact(version), 1) {
                                Ok(_) => break,
                                Err(StoreError::VersionConflict { .. }) => conflicts += 1,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                    conflicts
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        let seen = reader.join().unwrap();
        let mut store = Store::open(&url).unwrap();
        let total = streams as u64 + (writers * per_writer) as u64;
        assert_eq!(store.head().unwrap(), total);
        assert_eq!(seen, total);
        let mut sum = 0;
        for s in 0..streams {
            let events = store.read_stream(stream(s), 1, 10_000).unwrap();
            assert!(
                events
                    .iter()
                    .enumerate()
                    .all(|(i, e)| e.version == i as u64 + 1),
                "versions are contiguous"
            );
            sum += events.len() as u64;
        }
        assert_eq!(sum, total, "no update lost");
    }
}

#[test]
fn a_database_of_a_newer_schema_is_refused() {
    for url in urls("newer_schema") {
        drop(Store::open(&url).unwrap());
        if url.starts_with("sqlite://") {
            let path = url.trim_start_matches("sqlite://");
            rusqlite_free_exec(
                path,
                "INSERT INTO itsm_schema (version, name, applied_at) VALUES (99, 'future', 0)",
            );
        } else {
            let (base, schema) = url
                .rsplit_once("schema=")
                .map(|(b, s)| (b.trim_end_matches(['?', '&']), s))
                .unwrap();
            let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
            client.batch_execute(&format!("INSERT INTO {schema}.itsm_schema (version, name, applied_at) VALUES (99, 'future', 0)")).unwrap();
        }
        match Store::open(&url) {
            Err(StoreError::SchemaTooNew {
                found, supported, ..
            }) => assert_eq!((found, supported), (99, itsm_store::SCHEMA_VERSION)),
            other => panic!("{other:?}"),
        }
    }
}

fn rusqlite_free_exec(path: &str, sql: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(sql).unwrap();
}

#[test]
fn timeline_payloads_round_trip_through_the_store() {
    each("timeline_decode", |store| {
        let event = timeline(
            3,
            TimelineChange::AssignmentChanged {
                from_group: None,
                to_group: Some(GroupId::from_u128(4)),
                from_assignee: None,
                to_assignee: None,
            },
        );
        let mut new = NewEvent::timeline(event_id(), &event).unwrap();
        new.correlation_id = Some("req-1".into());
        new.causation_id = Some(event_id());
        store
            .append(&AppendRequest::events(
                stream(1),
                kind("incident"),
                ExpectedVersion::NoStream,
                vec![new.clone()],
            ))
            .unwrap();
        let stored = &store.read_stream(stream(1), 1, 1).unwrap()[0];
        let decoded: TimelineEvent = store.decode(stored).unwrap();
        assert_eq!(decoded, event);
        assert_eq!(
            (stored.actor, &stored.correlation_id, stored.causation_id),
            (event.actor, &new.correlation_id, new.causation_id)
        );
        assert!(matches!(
            store.decode::<itsm_store::AuditRecord>(stored),
            Err(StoreError::WrongEventType { .. })
        ));
    });
}

#[test]
fn an_append_to_several_streams_lands_whole_or_not_at_all() {
    each("append_all", |store| {
        let (a, b, c) = (stream(3), stream(1), stream(2));
        append_notes(store, b, ExpectedVersion::NoStream, 2).unwrap();
        let requests = vec![
            AppendRequest::events(
                a,
                kind("ticket"),
                ExpectedVersion::NoStream,
                vec![note("a1")],
            ),
            AppendRequest::events(
                b,
                kind("ticket"),
                ExpectedVersion::Exact(2),
                vec![note("b3"), note("b4")],
            ),
        ];
        let outcomes = store.append_all(&requests).unwrap();
        // Outcomes in request order; positions in stream id order (b before a).
        assert_eq!(outcomes[0].stream, a);
        assert_eq!(
            (outcomes[1].first_version, outcomes[1].first_position),
            (3, 3)
        );
        assert_eq!(
            (outcomes[0].first_version, outcomes[0].first_position),
            (1, 5)
        );
        // A retry of the whole append is a no-op.
        let again = store.append_all(&requests).unwrap();
        assert!(again.iter().all(|o| o.already_stored));
        assert_eq!(
            again,
            outcomes
                .iter()
                .map(|o| itsm_store::AppendOutcome {
                    already_stored: true,
                    ..o.clone()
                })
                .collect::<Vec<_>>()
        );
        // One stale stream refuses the whole append.
        let stale = vec![
            AppendRequest::events(
                c,
                kind("ticket"),
                ExpectedVersion::NoStream,
                vec![note("c1")],
            ),
            AppendRequest::events(
                b,
                kind("ticket"),
                ExpectedVersion::Exact(2),
                vec![note("b5")],
            ),
        ];
        match store.append_all(&stale) {
            Err(StoreError::VersionConflict { stream, actual, .. }) => {
                assert_eq!((stream, actual), (b, Some(4)))
            }
            other => panic!("{other:?}"),
        }
        assert!(store.stream(c).unwrap().is_none());
        assert_eq!(store.head().unwrap(), 5);
        // The same stream twice is refused before anything runs.
        let twice = vec![
            AppendRequest::events(c, kind("ticket"), ExpectedVersion::Any, vec![note("x")]),
            AppendRequest::events(c, kind("ticket"), ExpectedVersion::Any, vec![note("y")]),
        ];
        assert!(matches!(
            store.append_all(&twice),
            Err(StoreError::Invalid { .. })
        ));
    });
}

#[test]
fn due_clocks_are_claimed_by_one_owner_at_a_time() {
    each("claims", |store| {
        for n in 1..=6u32 {
            let record = Record::Incident(incident(n, 1, Priority::P3));
            open_record_with_clocks(store, &record, vec![clock("resolve", Some(i64::from(n)))]);
        }
        let before = t0() + Duration::minutes(60);
        let lease = std::time::Duration::from_secs(600);
        let a = store.claim_due(before, 4, "a", lease).unwrap();
        let b = store.claim_due(before, 4, "b", lease).unwrap();
        assert_eq!(a.len(), 4);
        assert_eq!(b.len(), 2, "b gets only what a did not claim");
        assert!(a.iter().all(|x| b.iter().all(|y| x.record != y.record)));
        assert!(store.claim_due(before, 4, "c", lease).unwrap().is_empty());
        // Writing a record's clocks ends its lease.
        let first = a[0].record;
        store
            .put_clocks(first, &kind("incident"), &[clock("resolve", Some(2))])
            .unwrap();
        let c = store.claim_due(before, 4, "c", lease).unwrap();
        assert_eq!(c.iter().map(|d| d.record).collect::<Vec<_>>(), [first]);
        // So does an append that carries them.
        let request = AppendRequest::events(
            first,
            kind("incident"),
            ExpectedVersion::Any,
            vec![note("clocks again")],
        )
        .with_clocks(vec![clock("resolve", Some(2))]);
        store.append(&request).unwrap();
        let d = store.claim_due(before, 4, "d", lease).unwrap();
        assert_eq!(d.iter().map(|d| d.record).collect::<Vec<_>>(), [first]);
        // An expired lease lets another owner claim.
        let d = store
            .claim_due(before, 10, "d", std::time::Duration::ZERO)
            .unwrap();
        assert!(d.is_empty());
        std::thread::sleep(std::time::Duration::from_millis(5));
        store
            .put_clocks(first, &kind("incident"), &[clock("resolve", Some(2))])
            .unwrap();
        assert_eq!(
            store
                .claim_due(before, 10, "e", std::time::Duration::ZERO)
                .unwrap()
                .len(),
            1
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(
            store.claim_due(before, 10, "f", lease).unwrap().len(),
            1,
            "e's lease expired"
        );
    });
}

#[test]
fn concurrent_claimers_share_the_due_clocks_without_overlap() {
    for url in urls("claim_threads") {
        {
            let mut store = Store::open(&url).unwrap();
            for n in 1..=200u32 {
                let record = Record::Incident(incident(n, 1, Priority::P3));
                open_record_with_clocks(
                    &mut store,
                    &record,
                    vec![clock("resolve", Some(i64::from(n % 50)))],
                );
            }
        }
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut store = Store::open(&url).unwrap();
                    let mut mine = Vec::new();
                    loop {
                        let got = store
                            .claim_due(
                                t0() + Duration::hours(2),
                                7,
                                &format!("w{w}"),
                                std::time::Duration::from_secs(600),
                            )
                            .unwrap();
                        if got.is_empty() {
                            return mine;
                        }
                        mine.extend(got.into_iter().map(|d| d.record));
                    }
                })
            })
            .collect();
        let mut all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(
            (n, all.len()),
            (200, 200),
            "every due clock claimed exactly once"
        );
    }
}
