//! Projectors fold a stream's events into the record's state, so that every
//! projection can be checked against, and rebuilt from, the events alone.

use itsm_core::{TimelineChange, TimelineEvent};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{RecordedEvent, StreamId, StreamKind};
use crate::payload::{Payload, PayloadRegistry, RecordOpened};
use crate::record::{Record, decode_record};

/// Folds events, one at a time, into a record's state.
pub trait Projector {
    /// The state after `event`, from the state before it (`None` before
    /// the stream's first event). Events the projector does not know leave
    /// the state as it is.
    ///
    /// # Errors
    /// A sentence saying why the event cannot apply.
    fn apply(
        &self,
        state: Option<Record>,
        event: &RecordedEvent,
        registry: &PayloadRegistry,
    ) -> Result<Option<Record>, String>;
}

/// The store's own projector, over its standard payloads:
/// - `record_opened` sets the whole record;
/// - `timeline_event` applies what the timeline says changed: the state,
///   the priority, the assignment (`assignment_group`, `assigned_to`), and
///   any field by its JSON key (`resolved_at`), custom fields as
///   `extensions.<key>`; comments change no field;
/// - every other event type (audit entries, a product's own) changes nothing.
///
/// A value the record's field cannot hold (a priority `p9`) is an error,
/// never dropped.
#[derive(Clone, Copy, Debug, Default)]
pub struct DocumentProjector;

/// Where a field named by a timeline event lives in the record's JSON: a
/// field of the record itself when the record has it (records serialise
/// every field, `null` when unset), otherwise a custom field in
/// `extensions` — as `itsm-core` names them, by their key alone, or
/// explicitly as `extensions.<key>`.
fn place<'a>(doc: &Map<String, Value>, field: &'a str) -> (bool, &'a str) {
    match field.strip_prefix("extensions.") {
        Some(key) => (true, key),
        None => (field == "extensions" || !doc.contains_key(field), field),
    }
}

fn set(doc: &mut Map<String, Value>, field: &str, value: Value, touched: &mut Vec<String>) {
    let (custom, key) = place(doc, field);
    if custom {
        let ext = doc
            .entry("extensions")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(ext) = ext {
            if value.is_null() {
                ext.remove(key);
            } else {
                ext.insert(key.to_owned(), value);
            }
        }
        touched.push(format!("extensions.{key}"));
    } else {
        doc.insert(key.to_owned(), value);
        touched.push(key.to_owned());
    }
}

fn get<'a>(doc: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    match field.strip_prefix("extensions.") {
        Some(key) => doc.get("extensions").and_then(|e| e.get(key)),
        None => doc.get(field),
    }
}

fn to_value<T: Serialize>(value: &T) -> Result<Value, String> {
    serde_json::to_value(value).map_err(|e| e.to_string())
}

impl Projector for DocumentProjector {
    fn apply(
        &self,
        state: Option<Record>,
        event: &RecordedEvent,
        registry: &PayloadRegistry,
    ) -> Result<Option<Record>, String> {
        match event.event_type.as_str() {
            RecordOpened::EVENT_TYPE => {
                if state.is_some() {
                    return Err("the record is opened a second time".to_owned());
                }
                let opened: RecordOpened = registry.decode(event).map_err(|e| e.to_string())?;
                if opened.record.stream_id() != event.stream_id {
                    return Err(format!(
                        "the opened record's id {} is not the stream's",
                        opened.record.stream_id()
                    ));
                }
                Ok(Some(opened.record))
            }
            <TimelineEvent as Payload>::EVENT_TYPE => {
                let timeline: TimelineEvent = registry.decode(event).map_err(|e| e.to_string())?;
                let Some(record) = state else {
                    return Err("a timeline event before the record was opened".to_owned());
                };
                apply_timeline(
                    &record,
                    &event.stream_kind,
                    &timeline.change,
                    &event.location(),
                )
                .map(Some)
            }
            _ => Ok(state),
        }
    }
}

fn apply_timeline(
    record: &Record,
    kind: &StreamKind,
    change: &TimelineChange,
    at: &str,
) -> Result<Record, String> {
    let Value::Object(mut doc) = (match to_value(record)? {
        Value::Object(mut tagged) => tagged.remove("record").unwrap_or(Value::Null),
        other => other,
    }) else {
        return Err("the record does not serialise as an object".to_owned());
    };
    let mut touched = Vec::new();
    match change {
        TimelineChange::StateChanged { to, .. } => {
            set(&mut doc, "state", Value::String(to.clone()), &mut touched);
        }
        TimelineChange::PriorityChanged { to, .. } => {
            set(&mut doc, "priority", to_value(to)?, &mut touched);
        }
        TimelineChange::AssignmentChanged {
            to_group,
            to_assignee,
            ..
        } => {
            set(
                &mut doc,
                "assignment_group",
                to_value(to_group)?,
                &mut touched,
            );
            set(
                &mut doc,
                "assigned_to",
                to_value(to_assignee)?,
                &mut touched,
            );
        }
        TimelineChange::FieldChanged { field, to, .. } => {
            set(&mut doc, field, to_value(to)?, &mut touched);
        }
        _ => return Ok(record.clone()),
    }
    let text = serde_json::to_string(&doc).map_err(|e| e.to_string())?;
    let updated = decode_record(kind, &text, at).map_err(|e| e.to_string())?;
    // A field the record type does not keep would vanish here: refuse it.
    let Value::Object(kept) = (match to_value(&updated)? {
        Value::Object(mut tagged) => tagged.remove("record").unwrap_or(Value::Null),
        other => other,
    }) else {
        return Err("the record does not serialise as an object".to_owned());
    };
    for field in touched {
        let wanted = get(&doc, &field).filter(|v| !v.is_null());
        let got = get(&kept, &field).filter(|v| !v.is_null());
        if wanted != got {
            return Err(format!(
                "a {kind} has no field {field:?} that keeps the value {}",
                wanted.map_or_else(|| "null".to_owned(), ToString::to_string)
            ));
        }
    }
    Ok(updated)
}

/// How a projection differs from its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MismatchKind {
    /// The events fold to a record, and no projection row exists.
    Missing,
    /// A projection row exists, and the events fold to no record.
    Unexpected,
    /// The row's version is not the stream's.
    StaleVersion,
    /// The row's record differs from the fold; the detail names the fields.
    Differs,
    /// The events do not fold (the detail says why).
    FoldFailed,
    /// The stream's versions are not 1, 2, 3 … up to its head.
    VersionGap,
}

/// One projection that differs from its events.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProjectionMismatch {
    /// The stream.
    pub stream: StreamId,
    /// Its kind.
    pub kind: StreamKind,
    /// How it differs.
    pub mismatch: MismatchKind,
    /// What differs, in words.
    pub detail: String,
}

/// The result of [`Store::check`](crate::Store::check).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CheckReport {
    /// How many streams were replayed.
    pub streams: u64,
    /// How many events were replayed.
    pub events: u64,
    /// Every projection that differs from its events.
    pub mismatches: Vec<ProjectionMismatch>,
}

impl CheckReport {
    /// Whether every projection matched its events.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.mismatches.is_empty()
    }
}

/// The result of [`Store::rebuild`](crate::Store::rebuild).
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct RebuildReport {
    /// How many streams were replayed.
    pub streams: u64,
    /// How many projection rows were written.
    pub written: u64,
    /// How many rows were removed (their events fold to no record).
    pub removed: u64,
    /// Streams another writer moved on during the rebuild: their rows are
    /// that writer's, already in step.
    pub moved_on: u64,
    /// Streams whose events do not fold, with the reason: left as they were.
    pub failed: Vec<ProjectionMismatch>,
}

/// The names of the top-level fields in which two records differ.
pub(crate) fn differing_fields(a: &Record, b: &Record) -> Vec<String> {
    let (Ok(Value::Object(a)), Ok(Value::Object(b))) = (to_value(a), to_value(b)) else {
        return vec!["<record>".to_owned()];
    };
    let a = a.get("record").and_then(Value::as_object);
    let b = b.get("record").and_then(Value::as_object);
    let (Some(a), Some(b)) = (a, b) else {
        return vec!["kind".to_owned()];
    };
    let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .cloned()
        .collect()
}
