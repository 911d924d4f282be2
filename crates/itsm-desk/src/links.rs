//! Links between records, as data: which kinds link, and which field each
//! end records the other in.

use itsm_core::FieldValue;
use itsm_lifecycle::Input;
use itsm_store::Record;
use serde_json::Value;

/// How one end records a link.
#[derive(Clone, Copy)]
enum End {
    /// A field holding the other's id (`problem`, `release`).
    One(&'static str),
    /// A field holding a list of the other's ids (`related_incidents`).
    Many(&'static str),
    /// A custom field listing the other's numbers (`extensions.changes`).
    Numbers(&'static str),
}

use End::{Many, Numbers, One};

/// The link rules: (kind of a, kind of b, how a records b, how b records a).
const RULES: &[(&str, &str, End, End)] = &[
    (
        "incident",
        "problem",
        One("problem"),
        Many("related_incidents"),
    ),
    (
        "problem",
        "known_error",
        One("known_error_record"),
        One("problem"),
    ),
    (
        "known_error",
        "change",
        Numbers("extensions.changes"),
        Numbers("extensions.known_errors"),
    ),
    (
        "problem",
        "change",
        Many("related_changes"),
        Many("related_problems"),
    ),
    // An incident linked to a change: the change that fixes it (or that it
    // awaits, on hold awaiting change).
    (
        "incident",
        "change",
        One("change_request"),
        Many("related_incidents"),
    ),
    ("change", "release", One("release"), Many("changes")),
    // An incident linked to another incident: the second is its parent.
    (
        "incident",
        "incident",
        One("parent_incident"),
        Numbers("extensions.child_incidents"),
    ),
    (
        "known_error",
        "knowledge_article",
        One("knowledge_article"),
        One("known_error"),
    ),
    (
        "incident",
        "knowledge_article",
        Numbers("extensions.knowledge_articles"),
        Numbers("extensions.linked_records"),
    ),
    (
        "problem",
        "knowledge_article",
        Numbers("extensions.knowledge_articles"),
        Numbers("extensions.linked_records"),
    ),
    (
        "change",
        "knowledge_article",
        Numbers("extensions.knowledge_articles"),
        Numbers("extensions.linked_records"),
    ),
    (
        "release",
        "knowledge_article",
        Numbers("extensions.knowledge_articles"),
        Numbers("extensions.linked_records"),
    ),
    (
        "service_request",
        "knowledge_article",
        Numbers("extensions.knowledge_articles"),
        Numbers("extensions.linked_records"),
    ),
    (
        "service_request",
        "change",
        Numbers("extensions.changes"),
        Numbers("extensions.requests"),
    ),
];

fn object(record: &Record) -> serde_json::Map<String, Value> {
    match serde_json::to_value(record) {
        Ok(Value::Object(mut tagged)) => match tagged.remove("record") {
            Some(Value::Object(o)) => o,
            _ => serde_json::Map::new(),
        },
        _ => serde_json::Map::new(),
    }
}

fn current<'a>(obj: &'a serde_json::Map<String, Value>, field: &str) -> Option<&'a Value> {
    match field.strip_prefix("extensions.") {
        Some(key) => obj.get("extensions").and_then(|e| e.get(key)),
        None => obj.get(field),
    }
}

/// The input that makes `record` point at `other` through `end`.
fn input(record: &Record, end: End, other: &Record) -> Option<Input> {
    let obj = object(record);
    let id = other.stream_id().to_string();
    let number = other.number().to_string();
    let value = match end {
        One(field) => {
            if field == "problem" && matches!(record, Record::KnownError(_)) {
                // A known error's problem is set when it is recorded; the link
                // must name the same problem.
                return (current(&obj, field)?.as_str()? == id).then(Input::new);
            }
            return Some(Input::new().with_field(field, FieldValue::String(id)));
        }
        Many(field) => (field, id),
        Numbers(field) => (field, number),
    };
    let (field, item) = value;
    let mut items: Vec<FieldValue> = match current(&obj, field) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(|s| FieldValue::String(s.to_owned())))
            .collect(),
        _ => Vec::new(),
    };
    if !items.iter().any(|v| v.as_str() == Some(item.as_str())) {
        items.push(FieldValue::String(item));
    }
    Some(Input::new().with_field(field, FieldValue::Array(items)))
}

/// The custom field in which a parent lists its tasks' numbers (a task
/// names its parent in its own `parent`).
pub(crate) const TASKS: &str = "extensions.tasks";

/// The edit that adds `task` to `parent`'s list of tasks.
pub(crate) fn task_input(parent: &Record, task: &Record) -> Option<Input> {
    input(parent, Numbers(TASKS), task)
}

/// The value of `extensions.tasks` for `parent` among `tasks`: their
/// numbers, or `None` when it has none.
pub(crate) fn task_list(
    tasks: &[itsm_core::Task],
    parent: itsm_core::TaskParent,
) -> Option<FieldValue> {
    let numbers: Vec<FieldValue> = tasks
        .iter()
        .filter(|t| t.parent == parent)
        .map(|t| FieldValue::String(t.number.to_string()))
        .collect();
    (!numbers.is_empty()).then_some(FieldValue::Array(numbers))
}

/// The numbers of the tasks `parent` lists (read from its custom fields
/// directly: this runs on every command); why not, when the list is not a
/// list of texts.
pub(crate) fn task_numbers(parent: &Record) -> Result<Vec<String>, String> {
    match parent.extensions().get("tasks") {
        None | Some(FieldValue::Null) => Ok(Vec::new()),
        Some(FieldValue::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("extensions.tasks holds {v}, not a task number"))
            })
            .collect(),
        Some(other) => Err(format!(
            "extensions.tasks is {other}, not a list of task numbers"
        )),
    }
}

/// The edits that link `a` and `b`, each end's; `None` when their kinds do
/// not link (in either order).
pub(crate) fn link_inputs(a: &Record, b: &Record) -> Option<(Input, Input)> {
    let (ka, kb) = (a.kind().to_string(), b.kind().to_string());
    if a.stream_id() == b.stream_id() {
        return None;
    }
    for (x, y, ex, ey) in RULES {
        if *x == ka && *y == kb {
            return Some((input(a, *ex, b)?, input(b, *ey, a)?));
        }
        if *x == kb && *y == ka && x != y {
            return Some((input(a, *ey, b)?, input(b, *ex, a)?));
        }
    }
    None
}

/// A record's links: each link field and the ids or numbers it holds.
pub(crate) fn links_of(record: &Record) -> Vec<(String, String)> {
    let kind = record.kind().to_string();
    let obj = object(record);
    let mut out = Vec::new();
    for (x, y, ex, ey) in RULES {
        for (k, end) in [(x, ex), (y, ey)] {
            if **k != kind {
                continue;
            }
            let field = match end {
                One(f) | Many(f) | Numbers(f) => *f,
            };
            match current(&obj, field) {
                Some(Value::String(s)) => out.push((field.to_owned(), s.clone())),
                Some(Value::Array(a)) => {
                    out.extend(
                        a.iter()
                            .filter_map(|v| v.as_str())
                            .map(|s| (field.to_owned(), s.to_owned())),
                    );
                }
                _ => {}
            }
        }
    }
    out.extend(
        task_numbers(record)
            .unwrap_or_default()
            .into_iter()
            .map(|n| (TASKS.to_owned(), n)),
    );
    out.sort();
    out.dedup();
    out
}
