//! The bodies of the fuzz targets of the itsm crates.
//!
//! Each public function takes the raw bytes libFuzzer generates, and panics
//! only when a library misbehaves: a panic inside the library, or a law the
//! library documents that the input breaks. Errors returned by the library
//! are expected answers to bad input and are ignored.
//!
//! The same functions run under libFuzzer (`fuzz_targets/`, nightly,
//! `fuzz/run`) and in the stable replay test (`tests/replay.rs`), which
//! feeds them every committed corpus file and regression input.
//!
//! Several targets read more than one JSON document from one input: the
//! documents are simply written one after the other (`{…} {…} […]`), and
//! [`documents`] splits them. Whatever follows the last document that
//! parses is left to the target (the calendar target reads it as binary
//! probes).

#![forbid(unsafe_code)]

use std::fmt::Debug;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;

use itsm_cmdb::{Cmdb, CmdbData, QueryOptions};
use itsm_core::{
    Change, ConfigurationItemRef, Directory, Group, Incident, KnowledgeArticle, KnownError, Person,
    PriorityMatrix, PriorityMatrixDefinition, Problem, Release, Role, Service, ServiceRequest,
    Timeline, TimelineEvent, Validate, Violation,
};
use itsm_desk::{Command, CommandAt};
use itsm_interop::{
    Converted, InteropError, InteropOptions, Jira, JiraMapping, LookupTables, ServiceNow,
    ServiceNowMapping, ServiceNowTable, Tmf621, Tmf621Version, Tmf639, TmfMapping,
};
use itsm_lifecycle::{AuditEntry, Guard, PlainContext, Workflow, WorkflowDefinition};
use itsm_sla::{BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, SlaDefinition};
use itsm_store::{
    AuditRecord, EventId, PayloadRegistry, RecordOpened, RecordedEvent, StreamId, StreamKind,
};
use serde_json::Value;

/// A target's body: the bytes of one input.
pub type Target = fn(&[u8]);

/// The list of targets, as named in `fuzz/Cargo.toml` and `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("record_json", record_json),
    ("definition_json", definition_json),
    ("calendar", calendar),
    ("sla_evaluate", sla_evaluate),
    ("workflow", workflow),
    ("cmdb", cmdb),
    ("desk_command", desk_command),
    ("store_payload", store_payload),
    ("interop", interop),
];

/// Splits `data` into the JSON documents written one after the other at its
/// start (at most `max`), each as its exact text, and returns the bytes
/// after the last one.
#[must_use]
pub fn documents(data: &[u8], max: usize) -> (Vec<&str>, &[u8]) {
    let mut docs = Vec::new();
    let mut start = 0;
    while docs.len() < max {
        let rest = &data[start..];
        let mut stream =
            serde_json::Deserializer::from_slice(rest).into_iter::<serde::de::IgnoredAny>();
        match stream.next() {
            Some(Ok(_)) => {
                let end = stream.byte_offset();
                // A document that parsed is UTF-8 (serde_json checks strings;
                // everything else is ASCII).
                let Ok(text) = std::str::from_utf8(&rest[..end]) else {
                    break;
                };
                docs.push(text);
                start += end;
            }
            _ => break,
        }
    }
    (docs, &data[start..])
}

/// Parses `text` as a `T` with [`itsm_core::from_json`]; when it parses,
/// checks the law "every serialised value deserialises to itself".
fn round_trip<T>(text: &str) -> Option<T>
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let value = itsm_core::from_json::<T>(text).ok()?;
    let written = serde_json::to_string(&value).expect("a parsed value serialises");
    match itsm_core::from_json::<T>(&written) {
        Ok(again) => assert_eq!(again, value, "round trip changed the value: {written}"),
        Err(e) => panic!(
            "{} does not read back what it wrote: {e}\nwritten: {written}",
            std::any::type_name::<T>()
        ),
    }
    Some(value)
}

/// Every record and value of `itsm_core` (and the store's [`itsm_store::Record`])
/// through `itsm_core::from_json`, then `validate`, then the round-trip law.
pub fn record_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    fn record<T>(text: &str)
    where
        T: Serialize + DeserializeOwned + PartialEq + Debug + Validate,
    {
        if let Some(value) = round_trip::<T>(text) {
            let _ = value.validate();
        }
    }
    record::<Incident>(text);
    record::<Problem>(text);
    record::<KnownError>(text);
    record::<KnowledgeArticle>(text);
    record::<Change>(text);
    record::<Release>(text);
    record::<ServiceRequest>(text);
    record::<Service>(text);
    record::<ConfigurationItemRef>(text);
    record::<Person>(text);
    record::<Group>(text);
    record::<Role>(text);
    record::<Directory>(text);
    record::<Timeline>(text);
    let _ = round_trip::<TimelineEvent>(text);
    let _ = round_trip::<Violation>(text);
    let _ = round_trip::<itsm_store::Record>(text);
    if let Some(definition) = round_trip::<PriorityMatrixDefinition>(text)
        && let Ok(matrix) = PriorityMatrix::new(definition)
    {
        let _ = matrix.definition();
    }
}

/// The definitions' own parsers: `SlaDefinition::from_json` (then `check`
/// and compile), `BusinessCalendar::from_json` (then compile), a workflow
/// definition's `from_json` (then compile and draw), CMDB data (then
/// import), each with the round-trip law.
pub fn definition_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sla) = SlaDefinition::from_json(text) {
        let _ = round_trip::<SlaDefinition>(text);
        let report = sla.check();
        let compiled = CompiledSla::new(&sla);
        assert_eq!(
            report.is_ok(),
            compiled.is_ok(),
            "check and compile disagree: {report:?} / {:?}",
            compiled.err()
        );
    }
    if let Ok(calendar) = BusinessCalendar::from_json(text) {
        let _ = round_trip::<BusinessCalendar>(text);
        let _ = CompiledCalendar::new(&calendar);
    }
    if let Ok(definition) = WorkflowDefinition::<String, String>::from_json(text) {
        let _ = round_trip::<WorkflowDefinition<String, String>>(text);
        if let Ok(workflow) = Workflow::new(definition, &passing_context(None)) {
            let _ = workflow.to_dot();
            let _ = workflow.to_mermaid();
        }
    }
    if let Some(data) = round_trip::<CmdbData>(text)
        && let Ok(cmdb) = Cmdb::import(data)
    {
        let written = cmdb.to_json().expect("an imported CMDB serialises");
        let again = Cmdb::from_json(&written).expect("an exported CMDB imports again");
        assert_eq!(
            again.export(),
            cmdb.export(),
            "export, import, export changed the CMDB"
        );
    }
    let _ = round_trip::<PlainContext>(text);
    let _ = round_trip::<QueryOptions>(text);
}

/// The supported range of a compiled calendar, in Unix seconds
/// (1900-01-01 and 2200-01-01).
const MIN_SECS: i64 = -2_208_988_800;
const MAX_SECS: i64 = 7_258_118_400;

fn u64_at(bytes: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    for (k, slot) in b.iter_mut().enumerate() {
        *slot = bytes.get(i + k).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}

/// An instant from 12 bytes: mostly inside the supported range (and a day
/// either side), with nanoseconds half of the time, leap seconds included.
fn instant(raw_secs: u64, raw_nanos: u32) -> Option<DateTime<Utc>> {
    let span = (MAX_SECS - MIN_SECS + 2 * 86_400) as u64;
    let secs = MIN_SECS - 86_400 + (raw_secs % span) as i64;
    let nanos = if raw_nanos & 1 == 0 {
        0
    } else {
        raw_nanos % 2_000_000_000
    };
    DateTime::from_timestamp(secs, nanos)
}

/// A duration from 4 bytes: seconds, minutes or hours, small or huge.
fn duration(raw: u32) -> BusinessDuration {
    let value = u64::from(raw >> 2);
    BusinessDuration::from_secs(match raw & 3 {
        0 => value % 86_400,
        1 => value % 1_000_000,
        2 => value * 60,
        _ => value * 3_600,
    })
}

fn is_leap(t: DateTime<Utc>) -> bool {
    t.timestamp_subsec_nanos() >= 1_000_000_000
}

/// A calendar's JSON, compiled, then `add` and `between` at the instants and
/// durations the bytes after it give (16 bytes each; fixed probes when there
/// are none), checking the documented laws: `between(a, add(a, d)) == d`
/// where `add` succeeds, `add` monotone in `d` and in `t`, `between` monotone
/// in its end, never above elapsed time, and additive over whole seconds.
pub fn calendar(data: &[u8]) {
    let (docs, rest) = documents(data, 1);
    let Some(text) = docs.first() else {
        return;
    };
    let Ok(definition) = BusinessCalendar::from_json(text) else {
        return;
    };
    let Ok(cal) = CompiledCalendar::new(&definition) else {
        return;
    };
    // The newline that ends a calendar file is not a probe.
    let rest = rest.strip_prefix(b"\n").unwrap_or(rest);
    let mut probes: Vec<(DateTime<Utc>, BusinessDuration)> = Vec::new();
    if rest.len() < 16 {
        let base = Utc.with_ymd_and_hms(2026, 3, 27, 16, 40, 0).unwrap();
        for (k, d) in [0u64, 1, 59, 3_600, 28_800, 86_400, 1_000_000]
            .iter()
            .enumerate()
        {
            let k = k as i64;
            probes.push((
                base + Duration::hours(7 * k),
                BusinessDuration::from_secs(*d),
            ));
            probes.push((
                base + Duration::days(40 * k) + Duration::milliseconds(250),
                BusinessDuration::from_secs(*d),
            ));
        }
    } else {
        for chunk in rest.chunks(16).take(8) {
            let raw_secs = u64_at(chunk, 0);
            let raw_nanos = u64_at(chunk, 8) as u32;
            let raw_d = (u64_at(chunk, 8) >> 32) as u32;
            if let Some(t) = instant(raw_secs, raw_nanos) {
                probes.push((t, duration(raw_d)));
            }
        }
    }
    check_calendar(&cal, &probes);
}

fn check_calendar(cal: &CompiledCalendar, probes: &[(DateTime<Utc>, BusinessDuration)]) {
    for &(a, d) in probes {
        let _ = cal.is_working(a);
        let Ok(u) = cal.add(a, d) else {
            continue;
        };
        assert!(u >= a, "add({a}, {d:?}) = {u} is before its start");
        assert!(!is_leap(u), "add({a}, {d:?}) returned a leap second {u:?}");
        assert_eq!(
            cal.between(a, u).ok(),
            Some(d),
            "law between(a, add(a, d)) == d broken: a = {a:?}, d = {d:?}, add = {u:?}"
        );
        // Monotone in d.
        let half = BusinessDuration::from_secs(d.as_secs() / 2);
        let h = cal
            .add(a, half)
            .unwrap_or_else(|e| panic!("add({a:?}, {d:?}) succeeds but add of half fails: {e}"));
        assert!(
            h <= u,
            "add not monotone in d: a = {a:?}, d = {d:?}: {u:?}; d/2: {h:?}"
        );
        // Between is monotone in its end, never above elapsed time.
        let bh = cal.between(a, h).expect("in range");
        assert!(
            bh <= d,
            "between not monotone: a = {a:?}, {h:?} -> {bh:?}, {u:?} -> {d:?}"
        );
        if !is_leap(a) {
            let elapsed = (u - a).num_seconds().max(0) as u64;
            assert!(
                d.as_secs() <= elapsed,
                "business time {d:?} above elapsed {elapsed}s from {a:?} to {u:?}"
            );
        }
    }
    // Pairs of probes: add monotone in t; between additive over whole seconds.
    for pair in probes.windows(2) {
        let (mut a, d) = pair[0];
        let (mut b, _) = pair[1];
        if b < a {
            std::mem::swap(&mut a, &mut b);
        }
        if let (Ok(ua), Ok(ub)) = (cal.add(a, d), cal.add(b, d))
            && !is_leap(a)
            && !is_leap(b)
        {
            assert!(
                ua <= ub,
                "add not monotone in t: add({a:?}) = {ua:?}, add({b:?}) = {ub:?}"
            );
        }
        let whole = |t: DateTime<Utc>| t.timestamp_subsec_nanos() == 0;
        if whole(a)
            && whole(b)
            && let Ok(c) = cal.add(b, d)
            && let (Ok(ab), Ok(bc), Ok(ac)) =
                (cal.between(a, b), cal.between(b, c), cal.between(a, c))
        {
            assert_eq!(
                ab.as_secs() + bc.as_secs(),
                ac.as_secs(),
                "between not additive: {a:?} {b:?} {c:?}"
            );
        }
    }
}

/// A fixed instant used when an input gives none.
fn default_now(timeline: &Timeline) -> DateTime<Utc> {
    timeline
        .events
        .last()
        .map(|e| e.at)
        .and_then(|t| t.checked_add_signed(Duration::days(30)))
        .unwrap_or_else(|| Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap())
}

/// An SLA definition, a timeline, optionally a calendar and an instant
/// (`"2026-04-01T00:00:00Z"`), as JSON documents one after the other:
/// compile, `evaluate` and `explain`, checking that evaluating the timeline
/// cut at `now` gives the same result as evaluating it whole.
pub fn sla_evaluate(data: &[u8]) {
    let (docs, _) = documents(data, 4);
    let (Some(definition), Some(timeline)) = (docs.first(), docs.get(1)) else {
        return;
    };
    let Ok(definition) = SlaDefinition::from_json(definition) else {
        return;
    };
    let Ok(sla) = CompiledSla::new(&definition) else {
        return;
    };
    let Ok(timeline) = itsm_core::from_json::<Timeline>(timeline) else {
        return;
    };
    let calendar = match docs.get(2) {
        Some(text) => {
            let Ok(calendar) = BusinessCalendar::from_json(text) else {
                return;
            };
            let Ok(compiled) = CompiledCalendar::new(&calendar) else {
                return;
            };
            compiled
        }
        None => CompiledCalendar::always(),
    };
    let now = match docs.get(3) {
        Some(text) => match serde_json::from_str::<DateTime<Utc>>(text) {
            Ok(now) => now,
            Err(_) => return,
        },
        None => default_now(&timeline),
    };
    let whole = itsm_sla::evaluate(&sla, &calendar, &timeline, now);
    // The timeline cut at `now`: the events up to `now`.
    let cut = Timeline {
        events: timeline
            .events
            .iter()
            .filter(|e| e.at <= now)
            .cloned()
            .collect(),
    };
    let cut_result = itsm_sla::evaluate(&sla, &calendar, &cut, now);
    // An event up to `now` listed after one after `now` is out of order: the
    // whole timeline is refused (the cut one may be valid).
    let first_late = timeline.events.iter().position(|e| e.at > now);
    let misplaced = first_late.is_some_and(|i| timeline.events[i..].iter().any(|e| e.at <= now));
    if misplaced {
        // Refused: as out of order, or for an error found before the
        // timeline is read (a calendar mismatch).
        assert!(
            whole.is_err(),
            "an event up to now after one after now is not refused: {whole:?}"
        );
    } else {
        match (&whole, &cut_result) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "evaluating the cut timeline differs"),
            (Err(a), Err(b)) => assert_eq!(
                a.to_string(),
                b.to_string(),
                "evaluating the cut timeline fails otherwise"
            ),
            (a, b) => panic!("evaluating the cut timeline differs: {a:?} / {b:?}"),
        }
    }
    let explained = itsm_sla::explain(&sla, &calendar, &timeline, now);
    if let (Ok(evaluation), Ok(explanation)) = (&whole, &explained) {
        assert_eq!(
            evaluation.cycles.len(),
            explanation.cycles.len(),
            "explain and evaluate disagree"
        );
    }
    if let Ok(evaluation) = whole {
        let _ = itsm_sla::ComplianceReport::from_evaluations(&[evaluation]);
    }
}

/// A context knowing every guard of `definition` and of the ITIL flows,
/// all passing, every required field present, and the first reason given.
fn passing_context(definition: Option<&WorkflowDefinition<String, String>>) -> PlainContext {
    let mut context = PlainContext::knowing(Guard::ITIL.iter().map(|g| (*g).to_owned()));
    if let Some(d) = definition {
        for t in &d.transitions {
            context.known_guards.extend(t.guards.iter().cloned());
        }
        for s in &d.states {
            context.fields.extend(s.required_fields.iter().cloned());
            for fields in s.reason_fields.values() {
                context.fields.extend(fields.iter().cloned());
            }
        }
        context.reason = d.states.iter().find_map(|s| s.reasons.first().cloned());
    }
    context.passing_guards = context.known_guards.clone();
    context
}

/// A workflow definition, optionally a guard context (`PlainContext`) and a
/// list of event names, one after the other: compile, then `apply` the
/// events in turn (every event of the definition when no list is given),
/// checking that an applied transition goes where `target` says, that its
/// event was among `allowed_events`, and that replaying the audit entries
/// reproduces the state reached.
pub fn workflow(data: &[u8]) {
    let (docs, _) = documents(data, 3);
    let Some(text) = docs.first() else {
        return;
    };
    let Ok(definition) = WorkflowDefinition::<String, String>::from_json(text) else {
        return;
    };
    let context = match docs.get(1) {
        Some(text) => match itsm_core::from_json::<PlainContext>(text) {
            Ok(context) => context,
            Err(_) => return,
        },
        None => passing_context(Some(&definition)),
    };
    let events: Vec<String> = match docs.get(2) {
        Some(text) => match serde_json::from_str::<Vec<String>>(text) {
            Ok(events) => events.into_iter().take(256).collect(),
            Err(_) => return,
        },
        None => {
            let mut events: Vec<String> = definition
                .transitions
                .iter()
                .map(|t| t.event.clone())
                .collect();
            events.truncate(256);
            // Twice: loops come back to earlier states.
            events.extend(events.clone());
            events
        }
    };
    let Ok(workflow) = Workflow::new(definition, &context) else {
        return;
    };
    let _ = workflow.to_dot();
    let _ = workflow.to_mermaid();
    let mut state = workflow.initial().clone();
    let mut history: Vec<AuditEntry<String, String>> = Vec::new();
    let mut at = Utc.with_ymd_and_hms(2026, 1, 5, 9, 0, 0).unwrap();
    for event in &events {
        let allowed: Vec<String> = workflow
            .allowed_events(&state, &context)
            .into_iter()
            .cloned()
            .collect();
        match workflow.apply(&state, event, None, at, &context) {
            Ok(transition) => {
                assert!(
                    allowed.contains(event),
                    "{event:?} applied but not allowed from {state:?}"
                );
                assert_eq!(transition.audit.from, state);
                assert_eq!(
                    Some(&transition.audit.to),
                    workflow.target(&state, event),
                    "apply and target disagree"
                );
                state = transition.audit.to.clone();
                history.push(transition.audit);
            }
            Err(_) => continue,
        }
        at += Duration::minutes(5);
    }
    let replayed = workflow
        .replay(&history)
        .unwrap_or_else(|e| panic!("replaying the history the workflow wrote fails: {e}"));
    assert_eq!(replayed, &state, "replay does not reproduce the state");
}

/// CMDB data (the form `Cmdb::from_json` reads), optionally followed by
/// query options: import, index, then impact, dependencies, impacted
/// services, root causes and single points of failure from the first CIs,
/// checking depths against the limit and that a reused searcher answers as
/// a fresh one.
pub fn cmdb(data: &[u8]) {
    let (docs, _) = documents(data, 2);
    let Some(text) = docs.first() else {
        return;
    };
    let Ok(cmdb) = Cmdb::from_json(text) else {
        return;
    };
    let options = match docs.get(1) {
        Some(text) => match itsm_core::from_json::<QueryOptions>(text) {
            Ok(options) => options,
            Err(_) => return,
        },
        None => QueryOptions::new(),
    };
    let Ok(index) = cmdb.index() else {
        return;
    };
    let ids: Vec<_> = index.ci_ids().iter().take(8).copied().collect();
    let mut searcher = index.searcher();
    for id in &ids {
        let failed = std::slice::from_ref(id);
        let reused = searcher.impact(failed, &options);
        let fresh = index.impact(failed, &options);
        match (&reused, &fresh) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "a reused searcher answers otherwise"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("a reused searcher answers otherwise: {a:?} / {b:?}"),
        }
        if let Ok(report) = reused {
            let mut seen = std::collections::HashSet::new();
            for reached in &report.impacted {
                assert!(seen.insert(reached.ci), "{} reached twice", reached.ci);
                if let Some(limit) = options.max_depth {
                    assert!(reached.depth <= limit, "depth above the limit");
                }
            }
            let _ = searcher.root_causes(
                &report.impacted.iter().map(|r| r.ci).collect::<Vec<_>>(),
                &options,
                5,
            );
        }
        let _ = searcher.dependencies(failed, &options);
        let _ = searcher.impacted_services(failed, &options);
        if index.is_service(id) {
            let _ = searcher.single_points_of_failure(id, &options);
        }
    }
    let _ = searcher.impact(&ids, &options);
}

/// The desk's commands as an integration sends them: a [`CommandAt`] (one
/// line of `itsm desk batch`) or a bare [`Command`], with the round-trip law.
pub fn desk_command(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(at) = round_trip::<CommandAt>(text) {
        let _ = at.ctx();
    }
    let _ = round_trip::<Command>(text);
    // A batch file: one command a line.
    for line in text.lines().take(64) {
        let _ = round_trip::<CommandAt>(line);
    }
}

/// A stored event (a [`RecordedEvent`], or a bare payload wrapped in one of
/// each standard type at versions 1 to 3), decoded by the store's payload
/// registry: upcast, then decoded as each standard payload type, with a
/// registry that also knows a version-3 type with upcasters.
pub fn store_payload(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut registry = PayloadRegistry::standard();
    registry
        .upcaster("fuzz_renamed", 1, |mut value| {
            if let itsm_core::FieldValue::Object(map) = &mut value
                && let Some(old) = map.remove("old")
            {
                map.insert("new".to_owned(), old);
            }
            Ok(value)
        })
        .upcaster("fuzz_renamed", 2, |value| match value {
            itsm_core::FieldValue::Object(_) => Ok(value),
            _ => Err("not an object".to_owned()),
        });
    let decode_all = |event: &RecordedEvent| {
        if let Ok((version, upcast)) = registry.upcast(event) {
            assert!(
                registry
                    .current_version(&event.event_type)
                    .is_none_or(|v| v == version),
                "upcast to {version}, not the current version"
            );
            let _ = serde_json::from_str::<serde::de::IgnoredAny>(&upcast)
                .expect("an upcast payload is JSON");
        }
        let _ = registry.decode::<RecordOpened>(event);
        let _ = registry.decode::<TimelineEvent>(event);
        let _ = registry.decode::<AuditRecord>(event);
    };
    if let Ok(event) = itsm_core::from_json::<RecordedEvent>(text) {
        decode_all(&event);
        let written = serde_json::to_string(&event).expect("an event serialises");
        let again = itsm_core::from_json::<RecordedEvent>(&written)
            .unwrap_or_else(|e| panic!("a stored event does not read back: {e}\n{written}"));
        assert_eq!(again, event, "round trip changed the event");
        return;
    }
    // A bare payload: stored under each type and a few versions.
    if serde_json::from_str::<serde::de::IgnoredAny>(text).is_err() {
        return;
    }
    let at = Utc.with_ymd_and_hms(2026, 3, 27, 16, 40, 0).unwrap();
    for event_type in [
        "record_opened",
        "timeline_event",
        "audit_entry",
        "fuzz_renamed",
        "other",
    ] {
        for schema_version in [1, 2, 3] {
            let event = RecordedEvent {
                position: 1,
                stream_id: StreamId::from_u128(1),
                stream_kind: StreamKind::new("incident").expect("a valid kind"),
                version: 1,
                event_id: EventId::from_u128(2),
                event_type: event_type.to_owned(),
                schema_version,
                recorded_at: at,
                occurred_at: at,
                actor: None,
                correlation_id: None,
                causation_id: None,
                payload: text.to_owned(),
            };
            decode_all(&event);
        }
    }
}

/// The formats the `interop` target reads, chosen by the input's first byte:
/// the seven ServiceNow tables, a Jira issue, a TMF621 ticket (v4, v5) and a
/// TMF639 resource.
const INTEROP_FORMATS: u8 = 11;

/// The people and groups of the ServiceNow fixtures, so that references
/// resolve (and unresolved ones are reported) as in a real import.
fn interop_lookup() -> LookupTables {
    serde_json::from_str(include_str!(
        "../../docs/examples/interop/servicenow/lookup.json"
    ))
    .expect("the committed lookup fixture reads")
}

/// One import, export and second import of the `interop` target: the record
/// (and its timeline) read back from what was written must equal the first
/// import, and the second export must write the same document.
fn interop_law<R, I, E>(source: &Value, import: I, export: E) -> bool
where
    R: PartialEq + Debug + Serialize,
    I: Fn(&Value) -> Result<Converted<R>, InteropError>,
    E: Fn(&R, &[TimelineEvent]) -> Result<Converted<Value>, InteropError>,
{
    let Ok(first) = import(source) else {
        return false;
    };
    // The report and the record are wire types: they serialise.
    serde_json::to_string(&first.report).expect("a loss report serialises");
    serde_json::to_string(&first.record).expect("an imported record serialises");
    let written = match export(&first.record, &first.timeline) {
        Ok(written) => written,
        Err(e) => panic!(
            "an imported record does not export: {e}\nrecord: {:?}",
            first.record
        ),
    };
    let again = match import(&written.record) {
        Ok(again) => again,
        Err(e) => panic!(
            "an exported record does not import: {e}\nwritten: {}",
            written.record
        ),
    };
    assert_eq!(
        again.record, first.record,
        "import, export, import changed the record\nwritten: {}",
        written.record
    );
    assert_eq!(
        again.timeline, first.timeline,
        "import, export, import changed the timeline\nwritten: {}",
        written.record
    );
    let rewritten = export(&again.record, &again.timeline).expect("exported once, exports again");
    assert_eq!(
        rewritten.record, written.record,
        "a second export wrote another document"
    );
    true
}

/// The interop conversions: the first byte picks the format (a ServiceNow
/// table, Jira, TMF621 v4 or v5, TMF639), then a JSON document is the
/// source record and an optional second one is the format's mapping file.
/// Any record that imports must export, import again to the same record and
/// timeline, and export again to the same document.
pub fn interop(data: &[u8]) {
    interop_imports(data);
}

/// The body of the `interop` target; true when the source record imported
/// (and so went through the whole law), for the seed test.
pub fn interop_imports(data: &[u8]) -> bool {
    let Some((&selector, rest)) = data.split_first() else {
        return false;
    };
    let (docs, _) = documents(rest, 2);
    let Some(Ok(source)) = docs.first().map(|t| serde_json::from_str::<Value>(t)) else {
        return false;
    };
    let mapping = docs.get(1).copied();
    let lookup = interop_lookup();
    let options = InteropOptions::default();
    match selector % INTEROP_FORMATS {
        n @ 0..=6 => {
            let table = ServiceNowTable::ALL[usize::from(n)];
            let mapping = match mapping.map(ServiceNowMapping::from_json) {
                None => ServiceNowMapping::default(),
                Some(Ok(m)) => m,
                Some(Err(_)) => return false,
            };
            let Ok(sn) = ServiceNow::new(mapping, options) else {
                return false;
            };
            interop_law(
                &source,
                |v| sn.import(table, v, &lookup),
                |r, t| sn.export_with_timeline(r, t, &lookup),
            )
        }
        7 => {
            let mapping = match mapping.map(JiraMapping::from_json) {
                None => JiraMapping::default(),
                Some(Ok(m)) => m,
                Some(Err(_)) => return false,
            };
            let Ok(jira) = Jira::new(mapping, options) else {
                return false;
            };
            interop_law(
                &source,
                |v| jira.import(v, &lookup),
                |r, t| jira.export_with_timeline(r, t, &lookup),
            )
        }
        n => {
            let mapping = match mapping.map(TmfMapping::from_json) {
                None => TmfMapping::default(),
                Some(Ok(m)) => m,
                Some(Err(_)) => return false,
            };
            if n == 10 {
                let Ok(tmf) = Tmf639::new(mapping, options) else {
                    return false;
                };
                interop_law(
                    &source,
                    |v| tmf.import(v, &lookup),
                    |r, _| tmf.export(r, &lookup),
                )
            } else {
                let version = if n == 8 {
                    Tmf621Version::V4
                } else {
                    Tmf621Version::V5
                };
                let Ok(tmf) = Tmf621::new(mapping, options) else {
                    return false;
                };
                interop_law(
                    &source,
                    |v| tmf.import(version, v, &lookup),
                    |r, t| tmf.export_with_timeline(version, r, t, &lookup),
                )
            }
        }
    }
}
