//! What happened on a record beside its fields: comments and work notes
//! (timeline events of ours) and ServiceNow and Jira Service Management
//! approvals (our `approvals`).
//!
//! Each is a list of their entries read member by member with the engine's
//! conversions. Import keeps the source's original list under
//! `<prefix>.<their path>` whenever export would not give it back exactly;
//! export writes the kept original while it still reads as our current
//! value, and writes fresh otherwise. Members with no place of ours are
//! named in the report.

use chrono::{DateTime, Utc};
use itsm_core::{CommentVisibility, PersonId, TimelineChange, TimelineEvent};
use serde_json::{Map, Value, json};

use crate::engine::{Conv, Engine, Note, derived_id, ext_key, fv, get, is_empty, remove, set};
use crate::{Approximation, LossReport, RefKind, UnmappedField, UnresolvedReference};

/// The extensions (ours) a conversion reads and writes its kept originals in.
pub(crate) type Ext = Map<String, Value>;

// ------------------------------------------------------------ shared

/// The comment events of a timeline, with their places in it.
fn comments(timeline: &[TimelineEvent]) -> Vec<(usize, &TimelineEvent)> {
    timeline
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e.change, TimelineChange::CommentAdded { .. }))
        .collect()
}

fn comment_parts(event: &TimelineEvent) -> Option<(CommentVisibility, &str)> {
    match &event.change {
        TimelineChange::CommentAdded { visibility, text } => Some((*visibility, text)),
        _ => None,
    }
}

/// Reports the events no format of comments carries, one entry per type
/// (`timeline.state_changed`).
pub(crate) fn report_other_events(timeline: &[TimelineEvent], report: &mut LossReport) {
    let mut seen: Vec<String> = Vec::new();
    for event in timeline {
        if comment_parts(event).is_some() {
            continue;
        }
        let kind = serde_json::to_value(event)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_default();
        if !seen.contains(&kind) {
            report.unmapped.push(UnmappedField {
                path: format!("timeline.{kind}"),
                kept_as: None,
            });
            seen.push(kind);
        }
    }
}

/// A person's id from a key: the lookup's, or one derived from the key
/// (reported unresolved).
fn person(
    engine: &Engine<'_>,
    key: &str,
    path: &str,
    kept_as: &str,
    report: &mut LossReport,
) -> PersonId {
    match engine.resolve(RefKind::Person, key) {
        Some(id) => PersonId::from_uuid(id),
        None => {
            report.unresolved.push(UnresolvedReference {
                path: path.to_owned(),
                value: key.into(),
                kind: RefKind::Person,
                kept_as: Some(kept_as.to_owned()),
            });
            PersonId::from_uuid(derived_id(engine.format.extension_prefix(), key))
        }
    }
}

fn person_key(engine: &Engine<'_>, id: PersonId) -> String {
    engine.key_for(RefKind::Person, *id.as_uuid())
}

fn comment(
    at: DateTime<Utc>,
    actor: Option<PersonId>,
    visibility: CommentVisibility,
    text: String,
) -> TimelineEvent {
    TimelineEvent {
        at,
        actor,
        change: TimelineChange::CommentAdded { visibility, text },
    }
}

/// Keeps `raw` under `key` when export would write something else.
fn keep_if_differs(ext: &mut Ext, key: &str, raw: &Value, regenerated: &Value) -> Option<String> {
    (raw != regenerated).then(|| {
        ext.insert(key.to_owned(), raw.clone());
        key.to_owned()
    })
}

/// Reports each given comment that does not read back equal from what
/// export wrote (`timeline[i]`).
fn report_unreadable(
    given: &[(usize, &TimelineEvent)],
    back: &[TimelineEvent],
    why: &str,
    written: &Value,
    report: &mut LossReport,
) {
    for (n, (i, event)) in given.iter().enumerate() {
        if back.get(n) != Some(*event) {
            report.approximations.push(Approximation {
                path: format!("timeline[{i}]"),
                source_value: serde_json::to_value(event)
                    .map(|v| fv(&v))
                    .unwrap_or_default(),
                became: fv(written),
                reason: why.to_owned(),
            });
        }
    }
}

fn by_time(mut events: Vec<TimelineEvent>) -> Vec<TimelineEvent> {
    events.sort_by_key(|e| e.at);
    events
}

// ------------------------------------------------------------ ServiceNow journals

/// ServiceNow's journal fields and the visibility of their entries.
pub(crate) const JOURNALS: [(&str, CommentVisibility, &str); 2] = [
    ("comments", CommentVisibility::Public, "Additional comments"),
    ("work_notes", CommentVisibility::WorkNote, "Work notes"),
];

/// The author ServiceNow writes for an entry without a person of ours.
const SYSTEM: &str = "system";

/// A journal field's display value, newest entry first:
/// `2026-03-02 09:20:11 - Fred Luddy (Work notes)\nText\n\n…`. Returns the
/// entries oldest first, or `None` when the text is not a journal.
fn parse_journal(
    engine: &Engine<'_>,
    field: &str,
    visibility: CommentVisibility,
    text: &str,
    report: &mut LossReport,
    kept_as: &str,
) -> Option<Vec<TimelineEvent>> {
    let mut entries: Vec<(DateTime<Utc>, String, Vec<&str>)> = Vec::new();
    for line in text.split('\n') {
        if let Some((at, author)) = journal_header(engine, line) {
            entries.push((at, author, Vec::new()));
        } else if let Some(last) = entries.last_mut() {
            last.2.push(line);
        } else if !line.is_empty() {
            return None;
        }
    }
    let count = entries.len();
    let mut events = Vec::with_capacity(count);
    for (n, (at, author, lines)) in entries.into_iter().enumerate().rev() {
        let mut body = lines.join("\n");
        // Entries are separated by an empty line.
        while body.ends_with('\n') {
            body.pop();
        }
        let actor = (author != SYSTEM).then(|| {
            let path = format!("{field}[{}].author", count - 1 - n);
            person(engine, &author, &path, kept_as, report)
        });
        events.push(comment(at, actor, visibility, body));
    }
    Some(events)
}

/// `2026-03-02 09:20:11 - Fred Luddy (Work notes)`: the instant and the author.
fn journal_header(engine: &Engine<'_>, line: &str) -> Option<(DateTime<Utc>, String)> {
    let time = line.get(..19)?;
    let rest = line.get(19..)?.strip_prefix(" - ")?;
    let at = engine.parse_time(time)?;
    let open = rest.rfind(" (")?;
    rest.ends_with(')').then_some(())?;
    Some((at, rest[..open].to_owned()))
}

fn write_journal(engine: &Engine<'_>, label: &str, events: &[&TimelineEvent]) -> String {
    let mut out = String::new();
    for event in events.iter().rev() {
        let Some((_, text)) = comment_parts(event) else {
            continue;
        };
        let author = event
            .actor
            .map_or_else(|| SYSTEM.to_owned(), |a| person_key(engine, a));
        let (time, _) = engine.format_time(event.at);
        out.push_str(&format!("{time} - {author} ({label})\n{text}\n\n"));
    }
    out
}

/// Imports `comments` and `work_notes`, removing them from `residue`.
pub(crate) fn import_servicenow_journals(
    engine: &Engine<'_>,
    residue: &mut Value,
    ext: &mut Ext,
    report: &mut LossReport,
) -> Vec<TimelineEvent> {
    let mut out = Vec::new();
    for (field, visibility, label) in JOURNALS {
        let Some(raw) = get(residue, &[field]).cloned() else {
            continue;
        };
        remove(residue, &[field]);
        if is_empty(&raw) {
            if raw != Value::String(String::new()) {
                ext.insert(ext_key("servicenow", &[field]), raw);
            }
            continue;
        }
        let key = ext_key("servicenow", &[field]);
        let text = raw.as_str().map(str::to_owned).or_else(|| {
            raw.get("display_value")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        let parsed = text
            .as_deref()
            .and_then(|t| parse_journal(engine, field, visibility, t, report, &key));
        match parsed {
            Some(events) => {
                // As export will write them: from the timeline, in time order.
                let events = by_time(events);
                let refs: Vec<&TimelineEvent> = events.iter().collect();
                let regenerated = Value::String(write_journal(engine, label, &refs));
                keep_if_differs(ext, &key, &raw, &regenerated);
                out.extend(events);
            }
            None => {
                ext.insert(key.clone(), raw.clone());
                report.approximations.push(Approximation {
                    path: field.to_owned(),
                    source_value: fv(&raw),
                    became: itsm_core::FieldValue::Null,
                    reason: "not a journal (entries \"YYYY-MM-DD HH:MM:SS - Name (Label)\" newest first, as the Table API's display value writes them); kept, no comment made".to_owned(),
                });
            }
        }
    }
    by_time(out)
}

/// Writes the timeline's comments as `comments` and `work_notes`.
pub(crate) fn export_servicenow_journals(
    engine: &Engine<'_>,
    timeline: &[TimelineEvent],
    ext: &mut Ext,
    out: &mut Value,
    report: &mut LossReport,
) {
    let all = comments(timeline);
    let mut back_all: Vec<TimelineEvent> = Vec::new();
    for (field, visibility, label) in JOURNALS {
        let key = ext_key("servicenow", &[field]);
        let mine: Vec<(usize, &TimelineEvent)> = all
            .iter()
            .filter(|(_, e)| comment_parts(e).is_some_and(|(v, _)| v == visibility))
            .copied()
            .collect();
        let events: Vec<&TimelineEvent> = mine.iter().map(|(_, e)| *e).collect();
        let wanted: Vec<TimelineEvent> = events.iter().map(|e| (*e).clone()).collect();
        if let Some(kept) = ext.remove(&key) {
            let mut scratch = LossReport::new(report.format, report.direction);
            let back = kept
                .as_str()
                .or_else(|| kept.get("display_value").and_then(Value::as_str))
                .map_or(Some(Vec::new()), |t| {
                    // In time order, as import gives them to the timeline
                    // (a journal written oldest first reads back reversed).
                    parse_journal(engine, field, visibility, t, &mut scratch, &key).map(by_time)
                });
            // A kept text that is no journal made no comments: restored
            // while there are still none.
            if back.as_ref() == Some(&wanted) || (back.is_none() && wanted.is_empty()) {
                set(out, &[field], kept);
                back_all.extend(wanted);
                continue;
            }
        }
        if events.is_empty() {
            // ServiceNow writes an empty field as "".
            set(out, &[field], Value::String(String::new()));
            continue;
        }
        let written = write_journal(engine, label, &events);
        let mut scratch = LossReport::new(report.format, report.direction);
        let back = parse_journal(engine, field, visibility, &written, &mut scratch, &key)
            .unwrap_or_default();
        back_all.extend(back.iter().cloned());
        let value = Value::String(written);
        report_unreadable(
            &mine,
            &back,
            "does not read back from the journal: ServiceNow keeps whole seconds, and a text with a line like an entry's header, or ending in a line break, splits differently",
            &value,
            report,
        );
        set(out, &[field], value);
    }
    // Import merges the two journals by time: comments out of time order,
    // or a comment and a work note at one instant, come back reordered.
    let back_all = by_time(back_all);
    let given: Vec<&TimelineEvent> = all.iter().map(|(_, e)| *e).collect();
    if back_all.len() == given.len()
        && back_all.iter().zip(&given).any(|(a, b)| a != *b)
        && report
            .approximations
            .iter()
            .all(|a| !a.path.starts_with("timeline"))
    {
        report.approximations.push(Approximation {
            path: "timeline".to_owned(),
            source_value: itsm_core::FieldValue::Null,
            became: itsm_core::FieldValue::Null,
            reason: "comments and work notes come back in time order, comments before work notes at one instant".to_owned(),
        });
    }
}

// ------------------------------------------------------------ ServiceNow approvals

/// The member of a change or requested item that holds its
/// `sysapproval_approver` rows (joined by `sysapproval`).
pub(crate) const APPROVERS: &str = "sysapproval_approver";

/// The row members that have a place of ours.
const APPROVER_MEMBERS: [&str; 5] = [
    "approver",
    "state",
    "sys_created_on",
    "sys_updated_on",
    "comments",
];

/// Reads `sysapproval_approver` into our `approvals`, removing it from `residue`.
pub(crate) fn import_servicenow_approvals(
    engine: &Engine<'_>,
    residue: &mut Value,
    ours: &mut Value,
    ext: &mut Ext,
    report: &mut LossReport,
) {
    let Some(raw) = get(residue, &[APPROVERS]).cloned() else {
        return;
    };
    remove(residue, &[APPROVERS]);
    let key = ext_key("servicenow", &[APPROVERS]);
    let Value::Array(rows) = &raw else {
        if !is_empty(&raw) {
            ext.insert(key.clone(), raw.clone());
            report.approximations.push(Approximation {
                path: APPROVERS.to_owned(),
                source_value: fv(&raw),
                became: itsm_core::FieldValue::Null,
                reason: "expected an array of sysapproval_approver rows; kept, no approval made"
                    .to_owned(),
            });
        }
        return;
    };
    let mut approvals = Vec::new();
    let mut lost = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let at = |name: &str| format!("{APPROVERS}[{i}].{name}");
        let Value::Object(members) = row else {
            report.approximations.push(Approximation {
                path: format!("{APPROVERS}[{i}]"),
                source_value: fv(row),
                became: itsm_core::FieldValue::Null,
                reason: "a row is an object; kept, no approval made".to_owned(),
            });
            lost.push(());
            continue;
        };
        for name in members.keys() {
            if !APPROVER_MEMBERS.contains(&name.as_str()) && !is_empty(&members[name]) {
                report.unmapped.push(UnmappedField {
                    path: at(name),
                    kept_as: Some(key.clone()),
                });
            }
        }
        let approver_key = members
            .get("approver")
            .and_then(|a| engine.ref_key(a))
            .unwrap_or_default();
        let approver = person(engine, &approver_key, &at("approver"), &key, report);
        let decision = engine.read(Conv::Code("approval_decision"), members.get("state"), None);
        let decision_value = match decision.note {
            Note::Exact => decision.value,
            Note::Approximate(reason) => {
                report.approximations.push(Approximation {
                    path: at("state"),
                    source_value: members.get("state").map(fv).unwrap_or_default(),
                    became: decision.value.as_ref().map(fv).unwrap_or_default(),
                    reason,
                });
                decision.value
            }
            Note::Unresolved(_) => None,
        }
        .unwrap_or_else(|| json!("requested"));
        let decided = matches!(decision_value.as_str(), Some("approved" | "rejected"));
        let time = |name: &str, report: &mut LossReport| {
            let read = engine.read(Conv::Time, members.get(name), None);
            if let Note::Approximate(reason) = read.note {
                report.approximations.push(Approximation {
                    path: at(name),
                    source_value: members.get(name).map(fv).unwrap_or_default(),
                    became: itsm_core::FieldValue::Null,
                    reason,
                });
            }
            read.value.unwrap_or(Value::Null)
        };
        let requested_at = time("sys_created_on", report);
        let updated = time("sys_updated_on", report);
        let comment = engine.read(Conv::Text, members.get("comments"), None).value;
        approvals.push(json!({
            "approver": approver,
            "decision": decision_value,
            "requested_at": requested_at,
            "decided_at": if decided { updated } else { Value::Null },
            "comment": comment,
        }));
    }
    set(ours, &["approvals"], Value::Array(approvals.clone()));
    let regenerated = write_approvals(engine, &approvals);
    if keep_if_differs(ext, &key, &raw, &regenerated).is_none() && !lost.is_empty() {
        ext.insert(key, raw);
    }
}

fn write_approvals(engine: &Engine<'_>, approvals: &[Value]) -> Value {
    let rows: Vec<Value> = approvals
        .iter()
        .map(|a| {
            let mut row = Map::new();
            let member = |conv: Conv, name: &str| engine.write(conv, a.get(name), a).0;
            row.insert(
                "approver".into(),
                member(Conv::Ref(RefKind::Person), "approver").unwrap_or_default(),
            );
            row.insert(
                "state".into(),
                member(Conv::Code("approval_decision"), "decision").unwrap_or_default(),
            );
            for (theirs, ours) in [
                ("sys_created_on", "requested_at"),
                ("sys_updated_on", "decided_at"),
            ] {
                row.insert(
                    theirs.into(),
                    member(Conv::Time, ours).unwrap_or_else(|| Value::String(String::new())),
                );
            }
            row.insert(
                "comments".into(),
                member(Conv::Text, "comment").unwrap_or_else(|| Value::String(String::new())),
            );
            Value::Object(row)
        })
        .collect();
    Value::Array(rows)
}

/// Writes our `approvals` as `sysapproval_approver` rows; removes them from
/// `ours` (so that the field table does not report them).
pub(crate) fn export_servicenow_approvals(
    engine: &Engine<'_>,
    ours: &mut Value,
    ext: &mut Ext,
    out: &mut Value,
    report: &mut LossReport,
) {
    let approvals: Vec<Value> = get(ours, &["approvals"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    remove(ours, &["approvals"]);
    let key = ext_key("servicenow", &[APPROVERS]);
    if let Some(kept) = ext.remove(&key) {
        let mut probe_residue = json!({ APPROVERS: kept.clone() });
        let mut probe = Value::Object(Map::new());
        let mut scratch_ext = Ext::new();
        let mut scratch = LossReport::new(report.format, report.direction);
        import_servicenow_approvals(
            engine,
            &mut probe_residue,
            &mut probe,
            &mut scratch_ext,
            &mut scratch,
        );
        let back = get(&probe, &["approvals"]).cloned().unwrap_or(json!([]));
        if normalise(&back) == normalise(&Value::Array(approvals.clone())) {
            set(out, &[APPROVERS], kept);
            return;
        }
    }
    if approvals.is_empty() {
        return;
    }
    let rows = write_approvals(engine, &approvals);
    report_approval_losses(engine, &approvals, &["group"], Some(&rows), report);
    for (i, approval) in approvals.iter().enumerate() {
        if approval.get("comment").and_then(Value::as_str) == Some("") {
            report.approximations.push(Approximation {
                path: format!("approvals[{i}].comment"),
                source_value: "".into(),
                became: itsm_core::FieldValue::Null,
                reason: "an empty text reads back as no value".to_owned(),
            });
        }
    }
    set(out, &[APPROVERS], rows);
}

/// Reports what export loses of our approvals: the members in `unplaced`
/// (no column in the target), a decision time on an undecided approval,
/// and the values its conversions approximate (`became`: the written
/// row's member, when `rows` are given by position).
fn report_approval_losses(
    engine: &Engine<'_>,
    approvals: &[Value],
    unplaced: &[&str],
    rows: Option<&Value>,
    report: &mut LossReport,
) {
    for (i, approval) in approvals.iter().enumerate() {
        for name in unplaced {
            if approval.get(*name).is_some_and(|v| !v.is_null()) {
                report.unmapped.push(UnmappedField {
                    path: format!("approvals[{i}].{name}"),
                    kept_as: None,
                });
            }
        }
        let decided = matches!(
            approval.get("decision").and_then(Value::as_str),
            Some("approved" | "rejected")
        );
        if !decided && approval.get("decided_at").is_some_and(|d| !d.is_null()) {
            report.unmapped.push(UnmappedField {
                path: format!("approvals[{i}].decided_at"),
                kept_as: None,
            });
        }
        for (ours_name, conv) in [
            ("decision", Conv::Code("approval_decision")),
            ("requested_at", Conv::Time),
            ("decided_at", Conv::Time),
        ] {
            if let (_, Some(reason)) = engine.write(conv, approval.get(ours_name), approval) {
                report.approximations.push(Approximation {
                    path: format!("approvals[{i}].{ours_name}"),
                    source_value: approval.get(ours_name).map(fv).unwrap_or_default(),
                    became: rows
                        .and_then(|r| get(r, &[&i.to_string(), ours_name]))
                        .map(fv)
                        .unwrap_or_default(),
                    reason,
                });
            }
        }
    }
}

/// Our approvals as JSON with absent and `null` members alike.
fn normalise(approvals: &Value) -> Value {
    let Value::Array(items) = approvals else {
        return approvals.clone();
    };
    Value::Array(
        items
            .iter()
            .map(|a| match a {
                Value::Object(m) => Value::Object(
                    m.iter()
                        .filter(|(_, v)| !v.is_null())
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                ),
                other => other.clone(),
            })
            .collect(),
    )
}

// ------------------------------------------------------------ Jira comments

/// The members of a Jira comment that have a place of ours.
const JIRA_MEMBERS: [&str; 4] = ["author", "body", "created", "jsdPublic"];

fn read_jira_comments(
    engine: &Engine<'_>,
    raw: &Value,
    report: &mut LossReport,
    kept_as: &str,
) -> Result<Vec<TimelineEvent>, String> {
    let items = raw
        .get("comments")
        .and_then(Value::as_array)
        .ok_or("expected {\"comments\": [...]}")?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = |m: &str| format!("fields.comment.comments[{i}].{m}");
        let Value::Object(members) = item else {
            return Err(format!("comments[{i}] is not an object"));
        };
        for (name, value) in members {
            if !JIRA_MEMBERS.contains(&name.as_str()) && !is_empty(value) {
                report.unmapped.push(UnmappedField {
                    path: path(name),
                    kept_as: Some(kept_as.to_owned()),
                });
            }
        }
        let at = members
            .get("created")
            .and_then(Value::as_str)
            .and_then(|t| engine.parse_time(t))
            .ok_or_else(|| format!("comments[{i}].created is not an instant"))?;
        let Some(text) = members.get("body").and_then(Value::as_str) else {
            return Err(format!(
                "comments[{i}].body is not text (an Atlassian Document Format body needs the REST API v2 or the service desk API, which give text)"
            ));
        };
        let actor = members
            .get("author")
            .and_then(|a| engine.ref_key(a))
            .map(|key| person(engine, &key, &path("author"), kept_as, report));
        let visibility = match members.get("jsdPublic").and_then(Value::as_bool) {
            Some(false) => CommentVisibility::WorkNote,
            _ => CommentVisibility::Public,
        };
        out.push(comment(at, actor, visibility, text.to_owned()));
    }
    if let Some(total) = raw.get("total").and_then(Value::as_u64)
        && total > items.len() as u64
    {
        report.approximations.push(Approximation {
            path: "fields.comment.total".to_owned(),
            source_value: fv(&total.into()),
            became: fv(&Value::from(items.len())),
            reason: format!(
                "the export holds {} of {total} comments; fetch the rest with /rest/api/2/issue/{{key}}/comment",
                items.len()
            ),
        });
    }
    Ok(by_time(out))
}

fn write_jira_comments(engine: &Engine<'_>, events: &[&TimelineEvent]) -> Value {
    let items: Vec<Value> = events
        .iter()
        .filter_map(|event| {
            let (visibility, text) = comment_parts(event)?;
            let mut item = Map::new();
            if let Some(actor) = event.actor {
                item.insert(
                    "author".into(),
                    engine.write_ref(RefKind::Person, *actor.as_uuid()),
                );
            }
            item.insert("body".into(), text.into());
            item.insert("created".into(), engine.format_time(event.at).0.into());
            item.insert(
                "jsdPublic".into(),
                (visibility == CommentVisibility::Public).into(),
            );
            Some(Value::Object(item))
        })
        .collect();
    json!({ "comments": items })
}

/// Imports `fields.comment`, removing it from `residue`.
pub(crate) fn import_jira_comments(
    engine: &Engine<'_>,
    residue: &mut Value,
    ext: &mut Ext,
    report: &mut LossReport,
) -> Vec<TimelineEvent> {
    let Some(raw) = get(residue, &["fields", "comment"]).cloned() else {
        return Vec::new();
    };
    remove(residue, &["fields", "comment"]);
    let key = ext_key("jira", &["fields", "comment"]);
    if is_empty(&raw) {
        ext.insert(key, raw);
        return Vec::new();
    }
    match read_jira_comments(engine, &raw, report, &key) {
        Ok(events) => {
            let refs: Vec<&TimelineEvent> = events.iter().collect();
            keep_if_differs(ext, &key, &raw, &write_jira_comments(engine, &refs));
            events
        }
        Err(reason) => {
            ext.insert(key, raw.clone());
            report.approximations.push(Approximation {
                path: "fields.comment".to_owned(),
                source_value: fv(&raw),
                became: itsm_core::FieldValue::Null,
                reason: format!("{reason}; kept, no comment made"),
            });
            Vec::new()
        }
    }
}

/// Writes the timeline's comments as `fields.comment`.
pub(crate) fn export_jira_comments(
    engine: &Engine<'_>,
    timeline: &[TimelineEvent],
    ext: &mut Ext,
    out: &mut Value,
    report: &mut LossReport,
) {
    let key = ext_key("jira", &["fields", "comment"]);
    let mine = comments(timeline);
    let wanted: Vec<TimelineEvent> = mine.iter().map(|(_, e)| (*e).clone()).collect();
    if let Some(kept) = ext.remove(&key) {
        let mut scratch = LossReport::new(report.format, report.direction);
        let back = if is_empty(&kept) {
            Ok(Vec::new())
        } else {
            read_jira_comments(engine, &kept, &mut scratch, &key)
        };
        if back.as_ref() == Ok(&wanted) || (back.is_err() && wanted.is_empty()) {
            set(out, &["fields", "comment"], kept);
            return;
        }
    }
    if mine.is_empty() {
        return;
    }
    let refs: Vec<&TimelineEvent> = mine.iter().map(|(_, e)| *e).collect();
    let written = write_jira_comments(engine, &refs);
    let mut scratch = LossReport::new(report.format, report.direction);
    let back = read_jira_comments(engine, &written, &mut scratch, &key).unwrap_or_default();
    report_unreadable(&mine, &back, "Jira keeps milliseconds", &written, report);
    set(out, &["fields", "comment"], written);
}

// ------------------------------------------------------------ Jira approvals

/// The members of a Jira Service Management approval that have a place of
/// ours (each approver of an approval is one approval of ours).
const JIRA_APPROVAL_MEMBERS: [&str; 3] = ["approvers", "createdDate", "completedDate"];
const JIRA_APPROVER_MEMBERS: [&str; 2] = ["approver", "approverDecision"];

/// A JSM date (`{"iso8601", "jira", "friendly", "epochMillis"}`, or a bare
/// string) as the time the engine reads.
fn jira_date(raw: Option<&Value>) -> Option<&Value> {
    let raw = raw?;
    if raw.is_string() {
        return Some(raw);
    }
    raw.get("jira").or_else(|| raw.get("iso8601"))
}

/// Reads the JSM approvals field (an array of approvals, each with its
/// approvers and their decisions) into our approvals: one per approver.
fn read_jira_approvals(
    engine: &Engine<'_>,
    field: &str,
    raw: &Value,
    report: &mut LossReport,
    kept_as: &str,
) -> Result<Vec<Value>, String> {
    let items = raw.as_array().ok_or("expected an array of approvals")?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = |name: &str| format!("fields.{field}[{i}].{name}");
        let members = item.as_object().ok_or("an approval is an object")?;
        for name in members.keys() {
            if !JIRA_APPROVAL_MEMBERS.contains(&name.as_str()) && !is_empty(&members[name]) {
                report.unmapped.push(UnmappedField {
                    path: at(name),
                    kept_as: Some(kept_as.to_owned()),
                });
            }
        }
        let time = |name: &str, report: &mut LossReport| {
            let read = engine.read(Conv::Time, jira_date(members.get(name)), None);
            if let Note::Approximate(reason) = read.note {
                report.approximations.push(Approximation {
                    path: at(name),
                    source_value: members.get(name).map(fv).unwrap_or_default(),
                    became: itsm_core::FieldValue::Null,
                    reason,
                });
            }
            read.value.unwrap_or(Value::Null)
        };
        let requested_at = time("createdDate", report);
        let completed_at = time("completedDate", report);
        let approvers = members
            .get("approvers")
            .and_then(Value::as_array)
            .ok_or("an approval has an array of approvers")?;
        for (j, approver) in approvers.iter().enumerate() {
            let at = |name: &str| format!("fields.{field}[{i}].approvers[{j}].{name}");
            let members = approver.as_object().ok_or("an approver is an object")?;
            for name in members.keys() {
                if !JIRA_APPROVER_MEMBERS.contains(&name.as_str()) && !is_empty(&members[name]) {
                    report.unmapped.push(UnmappedField {
                        path: at(name),
                        kept_as: Some(kept_as.to_owned()),
                    });
                }
            }
            let key = members
                .get("approver")
                .and_then(|a| engine.ref_key(a))
                .ok_or("an approver names no user")?;
            let person = person(engine, &key, &at("approver"), kept_as, report);
            let read = engine.read(
                Conv::Code("approval_decision"),
                members.get("approverDecision"),
                None,
            );
            let decision = match read.note {
                Note::Exact => read.value,
                Note::Approximate(reason) => {
                    report.approximations.push(Approximation {
                        path: at("approverDecision"),
                        source_value: members.get("approverDecision").map(fv).unwrap_or_default(),
                        became: read.value.as_ref().map(fv).unwrap_or_default(),
                        reason,
                    });
                    read.value
                }
                Note::Unresolved(_) => None,
            }
            .unwrap_or_else(|| json!("requested"));
            let decided = matches!(decision.as_str(), Some("approved" | "rejected"));
            out.push(json!({
                "approver": person,
                "decision": decision,
                "requested_at": requested_at,
                "decided_at": if decided { completed_at.clone() } else { Value::Null },
            }));
        }
    }
    Ok(out)
}

/// Our approvals as the JSM approvals field: one approval per approval of
/// ours, with its one approver.
fn write_jira_approvals(engine: &Engine<'_>, approvals: &[Value]) -> Value {
    let items: Vec<Value> = approvals
        .iter()
        .map(|a| {
            let member = |conv: Conv, name: &str| engine.write(conv, a.get(name), a).0;
            let decision =
                member(Conv::Code("approval_decision"), "decision").unwrap_or(Value::Null);
            let mut item = Map::new();
            item.insert("finalDecision".into(), decision.clone());
            item.insert(
                "approvers".into(),
                json!([{
                    "approver": member(Conv::Ref(RefKind::Person), "approver").unwrap_or_default(),
                    "approverDecision": decision,
                }]),
            );
            for (theirs, ours) in [
                ("createdDate", "requested_at"),
                ("completedDate", "decided_at"),
            ] {
                if let Some(time) = member(Conv::Time, ours) {
                    item.insert(theirs.into(), json!({ "jira": time }));
                }
            }
            Value::Object(item)
        })
        .collect();
    Value::Array(items)
}

/// Imports the JSM approvals field `fields.<field>` into our `approvals`,
/// removing it from `residue`. Returns whether approvals were read (the
/// record's overall approval is then derived from them).
pub(crate) fn import_jira_approvals(
    engine: &Engine<'_>,
    field: &str,
    residue: &mut Value,
    ours: &mut Value,
    ext: &mut Ext,
    report: &mut LossReport,
) -> bool {
    let path = ["fields", field];
    let Some(raw) = get(residue, &path).cloned() else {
        return false;
    };
    remove(residue, &path);
    let key = ext_key("jira", &path);
    if is_empty(&raw) {
        if !raw.is_null() {
            ext.insert(key, raw);
        }
        return false;
    }
    match read_jira_approvals(engine, field, &raw, report, &key) {
        Ok(approvals) => {
            keep_if_differs(ext, &key, &raw, &write_jira_approvals(engine, &approvals));
            set(ours, &["approvals"], Value::Array(approvals));
            true
        }
        Err(reason) => {
            ext.insert(key, raw.clone());
            report.approximations.push(Approximation {
                path: format!("fields.{field}"),
                source_value: fv(&raw),
                became: itsm_core::FieldValue::Null,
                reason: format!("{reason}; kept, no approval made"),
            });
            false
        }
    }
}

/// Writes our `approvals` as the JSM approvals field `fields.<field>`;
/// removes them from `ours` (so that the field table does not report them).
pub(crate) fn export_jira_approvals(
    engine: &Engine<'_>,
    field: &str,
    ours: &mut Value,
    ext: &mut Ext,
    out: &mut Value,
    report: &mut LossReport,
) {
    let approvals: Vec<Value> = get(ours, &["approvals"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    remove(ours, &["approvals"]);
    let path = ["fields", field];
    let key = ext_key("jira", &path);
    if let Some(kept) = ext.remove(&key) {
        let mut scratch = LossReport::new(report.format, report.direction);
        let back = if is_empty(&kept) {
            Ok(Vec::new())
        } else {
            read_jira_approvals(engine, field, &kept, &mut scratch, &key)
        };
        let same = back.as_ref().is_ok_and(|b| {
            normalise(&Value::Array(b.clone())) == normalise(&Value::Array(approvals.clone()))
        });
        if same || (back.is_err() && approvals.is_empty()) {
            set(out, &path, kept);
            return;
        }
    }
    if approvals.is_empty() {
        return;
    }
    let written = write_jira_approvals(engine, &approvals);
    report_approval_losses(engine, &approvals, &["group", "comment"], None, report);
    set(out, &path, written);
}

// ------------------------------------------------------------ TMF621 notes

/// The members of a TMF note that have a place of ours (`@type` is the
/// v5 marker, written again on export).
const NOTE_MEMBERS: [&str; 4] = ["author", "date", "text", "@type"];

fn read_notes(
    engine: &Engine<'_>,
    raw: &Value,
    report: &mut LossReport,
    kept_as: &str,
) -> Result<Vec<TimelineEvent>, String> {
    let items = raw.as_array().ok_or("expected an array of notes")?;
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(members) = item else {
            return Err(format!("note[{i}] is not an object"));
        };
        for (name, value) in members {
            if !NOTE_MEMBERS.contains(&name.as_str()) && !is_empty(value) {
                report.unmapped.push(UnmappedField {
                    path: format!("note[{i}].{name}"),
                    kept_as: Some(kept_as.to_owned()),
                });
            }
        }
        let at = members
            .get("date")
            .and_then(Value::as_str)
            .and_then(|t| engine.parse_time(t))
            .ok_or_else(|| format!("note[{i}].date is not an RFC 3339 instant"))?;
        let text = members
            .get("text")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("note[{i}].text is not text"))?;
        let actor = members
            .get("author")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty())
            .map(|key| person(engine, key, &format!("note[{i}].author"), kept_as, report));
        out.push(comment(
            at,
            actor,
            CommentVisibility::Public,
            text.to_owned(),
        ));
    }
    Ok(by_time(out))
}

fn write_notes(engine: &Engine<'_>, events: &[&TimelineEvent], v5: bool) -> Value {
    Value::Array(
        events
            .iter()
            .filter_map(|event| {
                let (_, text) = comment_parts(event)?;
                let mut note = Map::new();
                if let Some(actor) = event.actor {
                    note.insert("author".into(), person_key(engine, actor).into());
                }
                note.insert("date".into(), engine.format_time(event.at).0.into());
                note.insert("text".into(), text.into());
                if v5 {
                    note.insert("@type".into(), "Note".into());
                }
                Some(Value::Object(note))
            })
            .collect(),
    )
}

/// Notes without the TMF v5 marker `"@type": "Note"` (another `@type` is
/// the source's own, and stays).
fn without_note_marker(notes: &Value) -> Value {
    let mut notes = notes.clone();
    if let Value::Array(items) = &mut notes {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if item.get("@type").and_then(Value::as_str) == Some("Note") {
                item.remove("@type");
            }
        }
    }
    notes
}

/// Imports `note`, removing it from `residue`.
pub(crate) fn import_notes(
    engine: &Engine<'_>,
    residue: &mut Value,
    ext: &mut Ext,
    report: &mut LossReport,
    v5: bool,
) -> Vec<TimelineEvent> {
    let Some(raw) = get(residue, &["note"]).cloned() else {
        return Vec::new();
    };
    remove(residue, &["note"]);
    let key = ext_key("tmf621", &["note"]);
    if is_empty(&raw) {
        ext.insert(key, raw);
        return Vec::new();
    }
    match read_notes(engine, &raw, report, &key) {
        Ok(events) => {
            let refs: Vec<&TimelineEvent> = events.iter().collect();
            // Kept without the version's marker (`@type: Note`), which
            // export writes for the version it writes: so a note kept from
            // v5 without the marker, and read back with it, is kept alike.
            let plain = without_note_marker(&raw);
            let regenerated = without_note_marker(&write_notes(engine, &refs, v5));
            keep_if_differs(ext, &key, &plain, &regenerated);
            events
        }
        Err(reason) => {
            ext.insert(key, raw.clone());
            report.approximations.push(Approximation {
                path: "note".to_owned(),
                source_value: fv(&raw),
                became: itsm_core::FieldValue::Null,
                reason: format!("{reason}; kept, no comment made"),
            });
            Vec::new()
        }
    }
}

/// Writes the timeline's public comments as `note`; work notes stay ours
/// (a TMF621 ticket is shared with the other party).
pub(crate) fn export_notes(
    engine: &Engine<'_>,
    timeline: &[TimelineEvent],
    ext: &mut Ext,
    out: &mut Value,
    report: &mut LossReport,
    v5: bool,
) {
    let key = ext_key("tmf621", &["note"]);
    let all = comments(timeline);
    let mut mine = Vec::new();
    for (i, event) in all {
        if comment_parts(event).is_some_and(|(v, _)| v == CommentVisibility::WorkNote) {
            report.unmapped.push(UnmappedField {
                path: format!("timeline[{i}]"),
                kept_as: None,
            });
        } else {
            mine.push((i, event));
        }
    }
    let wanted: Vec<TimelineEvent> = mine.iter().map(|(_, e)| (*e).clone()).collect();
    if let Some(kept) = ext.remove(&key) {
        let mut scratch = LossReport::new(report.format, report.direction);
        let back = if is_empty(&kept) {
            Ok(Vec::new())
        } else {
            read_notes(engine, &kept, &mut scratch, &key)
        };
        if back.as_ref() == Ok(&wanted) || (back.is_err() && wanted.is_empty()) {
            // The version's own marker: `@type: Note` in v5 only.
            let mut kept = kept;
            if let (Value::Array(items), true) = (&mut kept, back.is_ok()) {
                for item in items.iter_mut().filter_map(Value::as_object_mut) {
                    if v5 {
                        item.entry("@type").or_insert_with(|| "Note".into());
                    } else if item.get("@type").and_then(Value::as_str) == Some("Note") {
                        item.remove("@type");
                    }
                }
            }
            set(out, &["note"], kept);
            return;
        }
    }
    if mine.is_empty() {
        return;
    }
    let refs: Vec<&TimelineEvent> = mine.iter().map(|(_, e)| *e).collect();
    let written = write_notes(engine, &refs, v5);
    let mut scratch = LossReport::new(report.format, report.direction);
    let back = read_notes(engine, &written, &mut scratch, &key).unwrap_or_default();
    report_unreadable(
        &mine,
        &back,
        "does not read back from the note",
        &written,
        report,
    );
    set(out, &["note"], written);
}

// ------------------------------------------------------------ plumbing

/// Takes the kept originals under `keys` out of our record's extensions
/// (at `ext_at`), so that the field table does not restore them itself.
pub(crate) fn take_kept(ours: &mut Value, ext_at: &[&str], keys: &[String]) -> Ext {
    let mut taken = Ext::new();
    if let Some(Value::Object(ext)) = crate::engine::get_mut_pub(ours, ext_at) {
        for key in keys {
            if let Some(value) = ext.remove(key) {
                taken.insert(key.clone(), value);
            }
        }
    }
    taken
}

/// Adds what the activity conversions kept and reported to a record's.
pub(crate) fn merge(
    ours: &mut Value,
    ext_at: &[&str],
    ext: Ext,
    into: &mut LossReport,
    extra: LossReport,
) {
    if !ext.is_empty() {
        let mut place = get(ours, ext_at)
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if let Value::Object(map) = &mut place {
            map.extend(ext);
        }
        set(ours, ext_at, place);
    }
    into.unmapped.extend(extra.unmapped);
    into.approximations.extend(extra.approximations);
    into.unresolved.extend(extra.unresolved);
}

/// Reports every event of a timeline that a record of this kind cannot
/// carry in this format (`timeline.comment_added`, …).
pub(crate) fn report_all_events(timeline: &[TimelineEvent], report: &mut LossReport) {
    report_other_events(timeline, report);
    if timeline.iter().any(|e| comment_parts(e).is_some()) {
        report.unmapped.push(UnmappedField {
            path: "timeline.comment_added".to_owned(),
            kept_as: None,
        });
    }
}
