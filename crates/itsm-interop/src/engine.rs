//! The one interpreter of field tables: every format is a list of [`Field`]s
//! (their path, our path, a conversion), read and written here.
//!
//! Import walks the fields, converts each value, and keeps in the record's
//! extensions (under `<prefix>.<their path>`) every source value that export
//! would not give back exactly: unmapped fields, approximated codes,
//! unresolved references, presentational extras (`display_value`). Export
//! writes each field from our record, but writes the kept original instead
//! whenever importing it again gives our current value, so that a round trip
//! restores the source exactly and a changed field is written fresh.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{
    DateTime, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use itsm_core::{FieldValue, NumberPrefix, RecordNumber};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::codes::{Exactness, Table};
use crate::error::shown;
use crate::{
    Approximation, Direction, Format, InteropError, Lookup, LossReport, RefKind, UnmappedField,
    UnresolvedReference,
};

/// How a format writes its values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// Every value a string, references `{link, value}`, `""` for empty.
    ServiceNow,
    /// Typed JSON; named values as `{name}`, users as `{accountId}`.
    Jira,
    /// Typed JSON; instants RFC 3339.
    Tmf,
}

/// The TMF shape of a related party or entity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RoleShape {
    /// v4: `{id, role, @referredType}`.
    Flat,
    /// v5: `{role, <inner>: {id, @referredType, @type}, @type}`.
    Nested {
        inner: &'static str,
        inner_type: &'static str,
        outer_type: &'static str,
    },
}

/// A conversion between one of their values and one of ours.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Conv {
    /// A string.
    Text,
    /// A code looked up in the named table.
    Code(&'static str),
    /// An instant.
    Time,
    /// A date, read as midnight UTC.
    Date,
    /// A non-negative integer (`u32`).
    Int,
    /// A boolean.
    Bool,
    /// A reference to one record.
    Ref(RefKind),
    /// One reference of theirs to a list of ours (ServiceNow's `cmdb_ci`).
    RefToList(RefKind),
    /// A comma-separated list of words.
    Csv,
    /// A record number with this prefix (derived from digits when it has another).
    Number(NumberPrefix),
    /// The record's own id.
    OwnId(RefKind),
    /// A value we do not keep but always write (a type marker).
    Fixed(&'static str),
    /// A record type from a table: it must import to this value of ours.
    Tag(&'static str, &'static str),
    /// Nothing of theirs: ours takes the fallback, export writes nothing.
    Constant,
    /// TMF621's status history: v4 `statusChange[{status, changeDate,
    /// changeReason}]`, v5 `statusChangeHistory[{status, statusChangeDate,
    /// statusChangeReason}]`; ours holds the v5 names.
    History { v5: bool },
    /// TMF621 v5 `externalIdentifier[]` to our record number.
    ExternalIdentifiers,
    /// TMF639 `resourceCharacteristic[{name, value}]` to our attributes.
    Characteristics,
    /// The elements of a TMF array with this role.
    Role {
        role: &'static str,
        kind: RefKind,
        many: bool,
        referred: &'static str,
        shape: RoleShape,
    },
}

/// Where a field is in their record: a path written in the table, or one
/// an instance configures (a Jira custom field's id).
#[derive(Clone, Debug)]
pub(crate) enum Path {
    Static(&'static [&'static str]),
    Owned(Vec<String>),
}

/// One row of a format's field table.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    pub path: Path,
    /// Our path (`attributes.ip_address`).
    pub ours_at: Path,
    pub conv: Conv,
    /// Our value (JSON text) when theirs is missing or unusable; given for
    /// fields our type requires.
    pub fallback: Option<&'static str>,
    /// Read on import only: export writes the field from another row and
    /// reports a difference.
    pub import_only: bool,
    /// The source must have it (else the record is refused).
    pub required: bool,
}

pub(crate) const fn field(
    theirs: &'static [&'static str],
    ours: &'static [&'static str],
    conv: Conv,
) -> Field {
    Field {
        path: Path::Static(theirs),
        ours_at: Path::Static(ours),
        conv,
        fallback: None,
        import_only: false,
        required: false,
    }
}

impl Field {
    /// Their path.
    pub(crate) fn theirs(&self) -> Vec<&str> {
        match &self.path {
            Path::Static(p) => p.to_vec(),
            Path::Owned(p) => p.iter().map(String::as_str).collect(),
        }
    }

    /// Our path.
    pub(crate) fn ours(&self) -> Vec<&str> {
        match &self.ours_at {
            Path::Static(p) => p.to_vec(),
            Path::Owned(p) => p.iter().map(String::as_str).collect(),
        }
    }

    /// The same row to a path of ours a mapping configured.
    pub(crate) fn into_ours(mut self, path: Vec<String>) -> Self {
        self.ours_at = Path::Owned(path);
        self
    }

    /// The same row at a path an instance configured.
    pub(crate) fn at(mut self, path: Vec<String>) -> Self {
        self.path = Path::Owned(path);
        self
    }

    pub(crate) const fn or(mut self, fallback: &'static str) -> Self {
        self.fallback = Some(fallback);
        self
    }

    pub(crate) const fn import_only(mut self) -> Self {
        self.import_only = true;
        self
    }

    pub(crate) const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// Named code tables, compiled from a mapping.
pub(crate) type Tables = BTreeMap<&'static str, Table>;

/// One conversion's settings.
pub(crate) struct Engine<'a> {
    pub format: Format,
    pub dialect: Dialect,
    pub tables: &'a Tables,
    pub tz: Option<Tz>,
    pub lookup: &'a dyn Lookup,
    /// Top-level objects whose members are kept one by one (Jira's `fields`).
    pub containers: &'static [&'static str],
    pub instance_url: Option<&'a str>,
    pub project_key: &'a str,
}

/// What reading one value gave.
#[derive(Debug)]
pub(crate) struct Read {
    pub value: Option<Value>,
    pub note: Note,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Note {
    Exact,
    Approximate(String),
    Unresolved(RefKind),
}

impl Read {
    fn exact(value: Option<Value>) -> Self {
        Self {
            value,
            note: Note::Exact,
        }
    }

    fn approx(value: Option<Value>, reason: String) -> Self {
        Self {
            value,
            note: Note::Approximate(reason),
        }
    }
}

// ---------------------------------------------------------------- JSON paths

pub(crate) fn get<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut node = value;
    for segment in path {
        node = match node {
            Value::Object(map) => map.get(*segment)?,
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

pub(crate) fn set(value: &mut Value, path: &[&str], new: Value) {
    let Some((last, parents)) = path.split_last() else {
        *value = new;
        return;
    };
    let mut node = value;
    for segment in parents {
        if !node.is_object() {
            *node = Value::Object(Map::new());
        }
        let Value::Object(map) = node else { return };
        node = map
            .entry((*segment).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if !node.is_object() {
        *node = Value::Object(Map::new());
    }
    if let Value::Object(map) = node {
        map.insert((*last).to_owned(), new);
    }
}

pub(crate) fn remove(value: &mut Value, path: &[&str]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = value;
    for segment in parents {
        node = match node {
            Value::Object(map) => match map.get_mut(*segment) {
                Some(child) => child,
                None => return,
            },
            _ => return,
        };
    }
    if let Value::Object(map) = node {
        map.remove(*last);
    }
}

/// Whether a value carries nothing: `null`, `""`, `[]` or `{}`.
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Prunes one subtree with an explicit stack (no recursion on input depth).
fn prune_child(root: &mut Value) {
    // Collect every object/array path in pre-order, then prune deepest first.
    let mut paths: Vec<Vec<PathStep>> = vec![Vec::new()];
    let mut i = 0;
    while i < paths.len() {
        let path = paths[i].clone();
        if let Some(node) = walk(root, &path) {
            match node {
                Value::Object(map) => {
                    for key in map.keys() {
                        let mut p = path.clone();
                        p.push(PathStep::Key(key.clone()));
                        paths.push(p);
                    }
                }
                Value::Array(items) => {
                    for index in 0..items.len() {
                        let mut p = path.clone();
                        p.push(PathStep::Index(index));
                        paths.push(p);
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    for path in paths.iter().rev() {
        if let Some(Value::Object(map)) = walk_mut(root, path) {
            map.retain(|_, v| !is_empty(v));
        }
    }
}

#[derive(Clone)]
enum PathStep {
    Key(String),
    Index(usize),
}

fn walk<'v>(mut node: &'v Value, path: &[PathStep]) -> Option<&'v Value> {
    for step in path {
        node = match (step, node) {
            (PathStep::Key(k), Value::Object(map)) => map.get(k)?,
            (PathStep::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

fn walk_mut<'v>(mut node: &'v mut Value, path: &[PathStep]) -> Option<&'v mut Value> {
    for step in path {
        node = match (step, node) {
            (PathStep::Key(k), Value::Object(map)) => map.get_mut(k)?,
            (PathStep::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(node)
}

/// Merges `src` into `dst` where `dst` has nothing: objects member by
/// member (iteratively), arrays by appending the elements `dst` lacks.
pub(crate) fn merge_absent(dst: &mut Value, src: Value) {
    let mut work = vec![(Vec::<String>::new(), src)];
    while let Some((path, src)) = work.pop() {
        let steps: Vec<&str> = path.iter().map(String::as_str).collect();
        let here = match get(dst, &steps) {
            None => {
                set(dst, &steps, src);
                continue;
            }
            Some(here) => here,
        };
        match (here, src) {
            (Value::Object(_), Value::Object(members)) => {
                for (key, child) in members {
                    let mut p = path.clone();
                    p.push(key);
                    work.push((p, child));
                }
            }
            (Value::Array(_), Value::Array(items)) => {
                let Some(Value::Array(existing)) = get_mut(dst, &steps) else {
                    continue;
                };
                for item in items {
                    if !existing.contains(&item) {
                        existing.push(item);
                    }
                }
            }
            (existing, src) if is_empty(existing) => set(dst, &steps, src),
            _ => {}
        }
    }
}

/// [`get`], mutably.
pub(crate) fn get_mut_pub<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    get_mut(value, path)
}

fn get_mut<'v>(value: &'v mut Value, path: &[&str]) -> Option<&'v mut Value> {
    let mut node = value;
    for segment in path {
        node = match node {
            Value::Object(map) => map.get_mut(*segment)?,
            Value::Array(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

// ------------------------------------------------------- extension key names

/// `prefix.seg.seg`, with `.` and `\` inside a segment escaped by `\`.
pub(crate) fn ext_key(prefix: &str, path: &[&str]) -> String {
    let mut key = String::from(prefix);
    for segment in path {
        key.push('.');
        for c in segment.chars() {
            if c == '.' || c == '\\' {
                key.push('\\');
            }
            key.push(c);
        }
    }
    key
}

/// The path of an extension key after its prefix and dot.
pub(crate) fn ext_path(rest: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(last) = out.last_mut()
                {
                    last.push(next);
                }
            }
            '.' => out.push(String::new()),
            _ => {
                if let Some(last) = out.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    out
}

fn joined(path: &[&str]) -> String {
    path.join(".")
}

// ------------------------------------------------------------------- ids

/// A stable id for a key that is not a UUID: a version 8 UUID holding a
/// 128-bit FNV-1a hash of the format prefix and the key.
pub(crate) fn derived_id(prefix: &str, key: &str) -> Uuid {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET;
    for byte in prefix.bytes().chain([0]).chain(key.bytes()) {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    uuid::Builder::from_custom_bytes(hash.to_be_bytes()).into_uuid()
}

fn parse_uuid(key: &str) -> Option<Uuid> {
    if key.len() == 32 || key.len() == 36 {
        Uuid::try_parse(key).ok()
    } else {
        None
    }
}

pub(crate) fn fv(value: &Value) -> FieldValue {
    serde_json::from_value(value.clone()).unwrap_or_default()
}

fn fv_opt(value: Option<&Value>) -> FieldValue {
    value.map(fv).unwrap_or_default()
}

// ------------------------------------------------------------------- engine

impl Engine<'_> {
    fn prefix(&self) -> &'static str {
        self.format.extension_prefix()
    }

    fn table(&self, name: &str) -> Option<&Table> {
        self.tables.get(name)
    }

    /// A scalar as text (ServiceNow: `{value}` and `{display_value}` unwrapped).
    fn scalar<'v>(&self, raw: &'v Value) -> Option<std::borrow::Cow<'v, str>> {
        match raw {
            Value::String(s) => Some(s.as_str().into()),
            Value::Number(n) => Some(n.to_string().into()),
            Value::Bool(b) => Some(b.to_string().into()),
            Value::Object(map) if self.dialect != Dialect::Tmf => {
                ["value", "name", "display_value"]
                    .iter()
                    .find_map(|k| {
                        map.get(*k)
                            .and_then(Value::as_str)
                            .filter(|s| !s.is_empty())
                    })
                    .map(Into::into)
            }
            _ => None,
        }
    }

    pub(crate) fn ref_key(&self, raw: &Value) -> Option<String> {
        match raw {
            Value::String(s) => Some(s.clone()),
            Value::Object(map) => {
                let keys: &[&str] = match self.dialect {
                    Dialect::ServiceNow => &["value", "display_value"],
                    Dialect::Jira => &["accountId", "key", "name", "emailAddress"],
                    Dialect::Tmf => &["id"],
                };
                keys.iter().find_map(|k| {
                    map.get(*k)
                        .and_then(Value::as_str)
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                })
            }
            _ => None,
        }
    }

    pub(crate) fn resolve(&self, kind: RefKind, key: &str) -> Option<Uuid> {
        self.lookup.resolve(kind, key).or_else(|| {
            if self.lookup.accepts_uuid_keys() {
                parse_uuid(key)
            } else {
                None
            }
        })
    }

    pub(crate) fn key_for(&self, kind: RefKind, id: Uuid) -> String {
        self.lookup
            .key_of(kind, id)
            .unwrap_or_else(|| match self.dialect {
                Dialect::ServiceNow => id.simple().to_string(),
                _ => id.hyphenated().to_string(),
            })
    }

    pub(crate) fn write_ref(&self, kind: RefKind, id: Uuid) -> Value {
        let key = self.key_for(kind, id);
        match self.dialect {
            Dialect::ServiceNow => {
                let mut map = Map::new();
                if let Some(url) = self.instance_url {
                    map.insert(
                        "link".into(),
                        format!(
                            "{}/api/now/table/{}/{key}",
                            url.trim_end_matches('/'),
                            kind.servicenow_table()
                        )
                        .into(),
                    );
                }
                map.insert("value".into(), key.into());
                Value::Object(map)
            }
            Dialect::Jira => serde_json::json!({ "accountId": key }),
            Dialect::Tmf => Value::String(key),
        }
    }

    pub(crate) fn parse_time(&self, text: &str) -> Option<DateTime<Utc>> {
        match self.dialect {
            Dialect::ServiceNow => {
                let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok()?;
                match self.tz {
                    None => Some(naive.and_utc()),
                    Some(tz) => local_to_utc(tz, naive),
                }
            }
            Dialect::Jira => DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z")
                .or_else(|_| DateTime::parse_from_rfc3339(text))
                .ok()
                .map(|t| t.with_timezone(&Utc)),
            Dialect::Tmf => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.with_timezone(&Utc)),
        }
    }

    pub(crate) fn format_time(&self, at: DateTime<Utc>) -> (String, Option<String>) {
        match self.dialect {
            Dialect::ServiceNow => {
                let text = match self.tz {
                    None => at.format("%Y-%m-%d %H:%M:%S").to_string(),
                    Some(tz) => at
                        .with_timezone(&tz)
                        .format("%Y-%m-%d %H:%M:%S")
                        .to_string(),
                };
                let lost = (at.nanosecond() != 0)
                    .then(|| "ServiceNow keeps whole seconds; the fraction is dropped".to_owned());
                (text, lost)
            }
            Dialect::Jira => {
                let text = at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string();
                let lost = (!at.nanosecond().is_multiple_of(1_000_000))
                    .then(|| "Jira keeps milliseconds; the rest is dropped".to_owned());
                (text, lost)
            }
            Dialect::Tmf => (at.to_rfc3339_opts(SecondsFormat::AutoSi, true), None),
        }
    }

    /// Reads one of their values as one of ours.
    pub(crate) fn read(&self, conv: Conv, raw: Option<&Value>, own_key: Option<&str>) -> Read {
        let raw = raw.filter(|r| !is_empty(r));
        let Some(raw) = raw else {
            return match conv {
                Conv::Number(prefix) => self.derived_number(prefix, own_key),
                Conv::ExternalIdentifiers => self.derived_number(NumberPrefix::Incident, own_key),
                _ => Read::exact(None),
            };
        };
        let not_text = || Read::approx(None, "expected a string".to_owned());
        match conv {
            Conv::Text => match raw {
                Value::String(s) => Read::exact(Some(s.clone().into())),
                _ if self.dialect == Dialect::ServiceNow => match self.scalar(raw) {
                    Some(s) => Read::exact(Some(s.into_owned().into())),
                    None => not_text(),
                },
                _ => not_text(),
            },
            Conv::Code(table) => {
                let Some(code) = self.scalar(raw) else {
                    return not_text();
                };
                match self.table(table).and_then(|t| t.import(&code)) {
                    Some((value, Exactness::Exact)) => Read::exact(Some(value.into())),
                    Some((value, Exactness::Approximate(why))) => {
                        Read::approx(Some(value.into()), why)
                    }
                    None => {
                        Read::approx(None, format!("code {code:?} is not in the {table} table"))
                    }
                }
            }
            Conv::Time => match self.scalar(raw).and_then(|s| self.parse_time(&s)) {
                Some(at) => Read::exact(serde_json::to_value(at).ok()),
                None => Read::approx(None, "not an instant in this format".to_owned()),
            },
            Conv::Date => match self
                .scalar(raw)
                .and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
            {
                Some(date) => {
                    Read::exact(serde_json::to_value(date.and_time(NaiveTime::MIN).and_utc()).ok())
                }
                None => Read::approx(None, "not a date YYYY-MM-DD".to_owned()),
            },
            Conv::Int => match raw
                .as_u64()
                .or_else(|| self.scalar(raw).and_then(|s| s.trim().parse().ok()))
                .and_then(|n| u32::try_from(n).ok())
            {
                Some(n) => Read::exact(Some(n.into())),
                None => Read::approx(None, "not a whole number from 0 to 4294967295".to_owned()),
            },
            Conv::Bool => match raw.as_bool().or_else(|| match self.scalar(raw).as_deref() {
                Some("true") => Some(true),
                Some("false") => Some(false),
                _ => None,
            }) {
                Some(b) => Read::exact(Some(b.into())),
                None => Read::approx(None, "not true or false".to_owned()),
            },
            Conv::Ref(kind) => self.read_ref(kind, raw),
            Conv::RefToList(kind) => {
                let read = self.read_ref(kind, raw);
                Read {
                    value: read.value.map(|v| Value::Array(vec![v])),
                    note: read.note,
                }
            }
            Conv::Csv => match self.scalar(raw) {
                Some(text) => Read::exact(Some(Value::Array(
                    text.split(',')
                        .map(str::trim)
                        .filter(|w| !w.is_empty())
                        .map(|w| Value::String(w.to_owned()))
                        .collect(),
                ))),
                None => not_text(),
            },
            Conv::Number(prefix) => {
                let Some(text) = self.scalar(raw) else {
                    return not_text();
                };
                match text.parse::<RecordNumber>() {
                    Ok(n) if n.prefix() == prefix => Read::exact(Some(n.to_string().into())),
                    _ => match number_from_digits(prefix, &text) {
                        Some(n) => Read::approx(
                            Some(n.to_string().into()),
                            format!(
                                "{text:?} is not a {} number; its digits are kept",
                                prefix.letters()
                            ),
                        ),
                        None => {
                            let derived = self.derived_number(prefix, Some(&text));
                            Read::approx(
                                derived.value,
                                format!("{text:?} has no digits; a number was derived from it"),
                            )
                        }
                    },
                }
            }
            Conv::OwnId(kind) => match self.scalar(raw) {
                Some(key) => {
                    let id = self
                        .resolve(kind, &key)
                        .unwrap_or_else(|| derived_id(self.prefix(), &key));
                    Read::exact(Some(id.hyphenated().to_string().into()))
                }
                None => not_text(),
            },
            Conv::Fixed(expected) => match self.scalar(raw) {
                Some(s) if s == expected => Read::exact(None),
                _ => Read::approx(None, format!("read as {expected:?}")),
            },
            Conv::Tag(table, value) => match self.scalar(raw) {
                Some(s)
                    if self
                        .table(table)
                        .and_then(|t| t.import(&s))
                        .is_some_and(|(v, e)| v == value && e == Exactness::Exact) =>
                {
                    Read::exact(None)
                }
                _ => Read::approx(None, format!("read as a {value}")),
            },
            Conv::History { v5 } => {
                let Value::Array(items) = raw else {
                    return Read::approx(None, "expected an array".to_owned());
                };
                let names = history_names(v5);
                let out: Vec<Value> = items
                    .iter()
                    .map(|item| {
                        let mut entry = Map::new();
                        for (theirs, ours) in names {
                            if let Some(v) = item.get(theirs) {
                                entry.insert(ours.to_owned(), v.clone());
                            }
                        }
                        Value::Object(entry)
                    })
                    .collect();
                Read::exact(Some(Value::Array(out)))
            }
            Conv::ExternalIdentifiers => {
                let Value::Array(items) = raw else {
                    return Read::approx(None, "expected an array".to_owned());
                };
                let ids: Vec<&str> = items
                    .iter()
                    .filter_map(|i| i.get("id").and_then(Value::as_str))
                    .collect();
                if let Some(n) = ids.iter().find_map(|id| {
                    id.parse::<RecordNumber>()
                        .ok()
                        .filter(|n| n.prefix() == NumberPrefix::Incident)
                }) {
                    return Read::exact(Some(n.to_string().into()));
                }
                match ids.first() {
                    Some(first) => self.read(
                        Conv::Number(NumberPrefix::Incident),
                        Some(&Value::String((*first).to_owned())),
                        own_key,
                    ),
                    None => self.derived_number(NumberPrefix::Incident, own_key),
                }
            }
            Conv::Characteristics => {
                let Value::Array(items) = raw else {
                    return Read::approx(None, "expected an array".to_owned());
                };
                let mut out = Map::new();
                for item in items {
                    if let (Some(name), Some(value)) =
                        (item.get("name").and_then(Value::as_str), item.get("value"))
                    {
                        out.insert(name.to_owned(), value.clone());
                    }
                }
                Read::exact(Some(Value::Object(out)))
            }
            Conv::Constant => Read::exact(None),
            Conv::Role {
                kind, many, shape, ..
            } => {
                let Value::Array(items) = raw else {
                    return Read::approx(None, "expected an array".to_owned());
                };
                let mut ids = Vec::new();
                for item in items {
                    let id = match shape {
                        RoleShape::Flat => item.get("id"),
                        RoleShape::Nested { inner, .. } => {
                            item.get(inner).and_then(|i| i.get("id"))
                        }
                    };
                    match id
                        .and_then(Value::as_str)
                        .and_then(|k| self.resolve(kind, k))
                    {
                        Some(id) => ids.push(Value::String(id.hyphenated().to_string())),
                        None => {
                            return Read {
                                value: None,
                                note: Note::Unresolved(kind),
                            };
                        }
                    }
                }
                if many {
                    Read::exact(Some(Value::Array(ids)))
                } else if ids.len() > 1 {
                    let first = ids.swap_remove(0);
                    Read::approx(
                        Some(first),
                        format!(
                            "{} parties or entities with this role; the first is kept",
                            items.len()
                        ),
                    )
                } else {
                    Read::exact(ids.pop())
                }
            }
        }
    }

    fn read_ref(&self, kind: RefKind, raw: &Value) -> Read {
        match self.ref_key(raw).and_then(|key| self.resolve(kind, &key)) {
            Some(id) => Read::exact(Some(id.hyphenated().to_string().into())),
            None => Read {
                value: None,
                note: Note::Unresolved(kind),
            },
        }
    }

    fn derived_number(&self, prefix: NumberPrefix, key: Option<&str>) -> Read {
        let key = key.unwrap_or("");
        let number = number_from_digits(prefix, key).or_else(|| {
            let id = derived_id(self.prefix(), key).as_u128();
            RecordNumber::new(prefix, u64::try_from(id % 10_000_000).ok()?).ok()
        });
        Read::approx(
            number.map(|n| n.to_string().into()),
            "no record number in the source; derived from its id".to_owned(),
        )
    }

    /// Writes one of our values in their form.
    pub(crate) fn write(
        &self,
        conv: Conv,
        current: Option<&Value>,
        ours: &Value,
    ) -> (Option<Value>, Option<String>) {
        if let Conv::Fixed(value) = conv {
            return (Some(value.into()), None);
        }
        if let Conv::Tag(table, value) = conv {
            return match self.table(table).and_then(|t| t.export(value)) {
                Some((code, _)) => (Some(code.into()), None),
                None => (None, Some(format!("no {table} code for {value}"))),
            };
        }
        if let Conv::OwnId(kind) = conv {
            let Some(id) = current
                .and_then(Value::as_str)
                .and_then(|s| Uuid::try_parse(s).ok())
            else {
                return (None, None);
            };
            if self.dialect == Dialect::Jira {
                let number = ours
                    .get("number")
                    .and_then(Value::as_str)
                    .and_then(|n| n.parse::<RecordNumber>().ok());
                if let (None, Some(n)) = (self.lookup.key_of(kind, id), number) {
                    return (
                        Some(format!("{}-{}", self.project_key, n.value()).into()),
                        None,
                    );
                }
            }
            return (Some(self.key_for(kind, id).into()), None);
        }
        let Some(current) = current.filter(|c| !c.is_null()) else {
            return (None, None);
        };
        let text = |s: String| -> Value { Value::String(s) };
        match conv {
            Conv::Text | Conv::Number(_) => (current.as_str().map(|s| text(s.to_owned())), None),
            Conv::Code(table) => {
                let Some(value) = current.as_str() else {
                    return (None, None);
                };
                match self.table(table).and_then(|t| t.export(value)) {
                    Some((code, Exactness::Exact)) => (Some(text(code.to_owned())), None),
                    Some((code, Exactness::Approximate(why))) => {
                        (Some(text(code.to_owned())), Some(why))
                    }
                    None => (
                        None,
                        Some(format!(
                            "{value} has no code in the {table} table; left empty"
                        )),
                    ),
                }
            }
            Conv::Time => match serde_json::from_value::<DateTime<Utc>>(current.clone()) {
                Ok(at) => {
                    let (s, lost) = self.format_time(at);
                    (Some(text(s)), lost)
                }
                Err(_) => (None, None),
            },
            Conv::Date => match serde_json::from_value::<DateTime<Utc>>(current.clone()) {
                Ok(at) => {
                    let lost = (at.time() != NaiveTime::MIN).then(|| {
                        "the format keeps the date only; the time of day is dropped".to_owned()
                    });
                    (Some(text(at.format("%Y-%m-%d").to_string())), lost)
                }
                Err(_) => (None, None),
            },
            Conv::Int => match (current.as_u64(), self.dialect) {
                (Some(n), Dialect::ServiceNow) => (Some(text(n.to_string())), None),
                (Some(n), _) => (Some(n.into()), None),
                _ => (None, None),
            },
            Conv::Bool => match (current.as_bool(), self.dialect) {
                (Some(b), Dialect::ServiceNow) => (Some(text(b.to_string())), None),
                (Some(b), _) => (Some(b.into()), None),
                _ => (None, None),
            },
            Conv::Ref(kind) => match current.as_str().and_then(|s| Uuid::try_parse(s).ok()) {
                Some(id) => (Some(self.write_ref(kind, id)), None),
                None => (None, None),
            },
            Conv::RefToList(kind) => {
                let ids: Vec<Uuid> = current
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().and_then(|s| Uuid::try_parse(s).ok()))
                            .collect()
                    })
                    .unwrap_or_default();
                match ids.first() {
                    None => (None, None),
                    Some(first) => (
                        Some(self.write_ref(kind, *first)),
                        (ids.len() > 1).then(|| {
                            format!(
                                "the format holds one; {} of {} are dropped",
                                ids.len() - 1,
                                ids.len()
                            )
                        }),
                    ),
                }
            }
            Conv::Csv => {
                let words: Vec<&str> = current
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let lossy = words
                    .iter()
                    .any(|w| w.contains(',') || w.trim() != *w || w.is_empty());
                (
                    Some(text(words.join(","))),
                    lossy.then(|| "a word holds a comma or spaces at its ends; the list will split differently".to_owned()),
                )
            }
            Conv::Role {
                role,
                kind,
                referred,
                shape,
                ..
            } => {
                let ids: Vec<Uuid> = match current {
                    Value::Array(items) => items
                        .iter()
                        .filter_map(|v| v.as_str().and_then(|s| Uuid::try_parse(s).ok()))
                        .collect(),
                    Value::String(s) => Uuid::try_parse(s).ok().into_iter().collect(),
                    _ => Vec::new(),
                };
                let elements: Vec<Value> = ids
                    .into_iter()
                    .map(|id| {
                        let key = self.key_for(kind, id);
                        match shape {
                            RoleShape::Flat => serde_json::json!({"id": key, "role": role, "@referredType": referred}),
                            RoleShape::Nested {
                                inner,
                                inner_type,
                                outer_type,
                            } => serde_json::json!({
                                "role": role,
                                inner: {"id": key, "@referredType": referred, "@type": inner_type},
                                "@type": outer_type,
                            }),
                        }
                    })
                    .collect();
                (Some(Value::Array(elements)), None)
            }
            Conv::History { v5 } => {
                let names = history_names(v5);
                let items: Vec<Value> = current
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|entry| {
                                let mut item = Map::new();
                                for (theirs, ours) in names {
                                    if let Some(v) = entry.get(ours) {
                                        item.insert(theirs.to_owned(), v.clone());
                                    }
                                }
                                if v5 {
                                    item.insert("@type".into(), "StatusChange".into());
                                }
                                Value::Object(item)
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (Some(Value::Array(items)), None)
            }
            Conv::ExternalIdentifiers => match current.as_str() {
                Some(number) => (
                    Some(serde_json::json!([{
                        "id": number, "owner": "itsm", "externalIdentifierType": "number",
                        "@type": "ExternalIdentifier"
                    }])),
                    None,
                ),
                None => (None, None),
            },
            Conv::Characteristics => {
                let items: Vec<Value> = current
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .filter(|(k, _)| !is_namespaced(k))
                            .map(|(k, v)| serde_json::json!({"name": k, "value": v}))
                            .collect()
                    })
                    .unwrap_or_default();
                (Some(Value::Array(items)), None)
            }
            Conv::Fixed(_) | Conv::Tag(..) | Conv::OwnId(_) | Conv::Constant => (None, None),
        }
    }

    /// Reads a field with its fallback applied.
    fn read_field(&self, field: &Field, raw: Option<&Value>, own_key: Option<&str>) -> Read {
        let mut read = self.read(field.conv, raw, own_key);
        // An empty list or object is no value (`","` is no keywords), as
        // export reads our empty lists.
        if read
            .value
            .as_ref()
            .is_some_and(|v| (v.is_array() || v.is_object()) && is_empty(v))
        {
            read.value = None;
        }
        if read.value.is_none()
            && let Some(fallback) = field.fallback
        {
            read.value = serde_json::from_str(fallback).ok();
            if read.note == Note::Exact && !matches!(field.conv, Conv::Constant) {
                read.note = Note::Approximate(format!("missing; defaulted to {fallback}"));
            }
        }
        read
    }

    /// The elements of a role field's array that carry its role.
    fn role_elements(field: &Field, source: &Value) -> Option<Value> {
        let Conv::Role { role, .. } = field.conv else {
            return get(source, &field.theirs()).cloned();
        };
        let items = get(source, &field.theirs())?.as_array()?;
        let selected: Vec<Value> = items
            .iter()
            .filter(|i| i.get("role").and_then(Value::as_str) == Some(role))
            .cloned()
            .collect();
        (!selected.is_empty()).then_some(Value::Array(selected))
    }

    fn field_key(&self, field: &Field) -> String {
        match field.conv {
            Conv::Role { role, .. } => {
                let mut path = field.theirs();
                path.push(role);
                ext_key(self.prefix(), &path)
            }
            _ => ext_key(self.prefix(), &field.theirs()),
        }
    }

    /// Theirs to ours: the record as our JSON, with the report.
    pub(crate) fn import(
        &self,
        fields: &[Field],
        source: &Value,
        ext_at: &[&str],
    ) -> Result<(Value, LossReport), InteropError> {
        let format = self.format.name();
        if !source.is_object() {
            return Err(InteropError::InvalidValue {
                format,
                path: ".".into(),
                value: shown(source),
                reason: "a record is a JSON object".into(),
            });
        }
        let mut report = LossReport::new(self.format, Direction::Import);
        let mut residue = source.clone();
        let mut ours = Value::Object(Map::new());
        let mut ext = Map::new();
        let own_key = fields
            .iter()
            .find(|f| matches!(f.conv, Conv::OwnId(_)))
            .and_then(|f| get(source, &f.theirs()))
            .and_then(|raw| self.scalar(raw).map(std::borrow::Cow::into_owned));

        for field in fields {
            // What the source holds there, even if empty (`""` stays `""`).
            let present = if field.theirs().is_empty() {
                None
            } else {
                Self::role_elements(field, source)
            };
            let raw = present.clone().filter(|r| !is_empty(r));
            if field.required && raw.is_none() {
                return Err(InteropError::Missing {
                    format,
                    path: joined(&field.theirs()),
                });
            }
            if !field.theirs().is_empty() {
                match field.conv {
                    Conv::Role { role, .. } => {
                        if let Some(Value::Array(items)) = get_mut(&mut residue, &field.theirs()) {
                            items.retain(|i| i.get("role").and_then(Value::as_str) != Some(role));
                        }
                    }
                    _ => remove(&mut residue, &field.theirs()),
                }
            }
            let read = self.read_field(field, raw.as_ref(), own_key.as_deref());
            if let Some(value) = &read.value {
                set(&mut ours, &field.ours(), value.clone());
            }
            // Keep the original when export would not give it back.
            let mut kept_as = None;
            // A field the source lacks but export would write (a default, a
            // derived number, a type marker) is kept as what the source had
            // there (`null` for nothing), so that export leaves it out again.
            let original = raw
                .clone()
                .or_else(|| present.clone())
                .unwrap_or(Value::Null);
            if !field.import_only && !field.theirs().is_empty() {
                let (regenerated, _) = self.write(field.conv, read.value.as_ref(), &ours);
                let differs = match &regenerated {
                    Some(r) => r != &original,
                    None => raw.is_some(),
                };
                if differs && !matches!(field.conv, Conv::OwnId(_)) {
                    let raw = &original;
                    let key = self.field_key(field);
                    ext.insert(key.clone(), raw.clone());
                    kept_as = Some(key);
                }
            }
            let path = match field.conv {
                Conv::Role { role, .. } => {
                    format!("{}[?(@.role=='{role}')]", joined(&field.theirs()))
                }
                _ => joined(&field.theirs()),
            };
            match read.note {
                Note::Exact => {}
                Note::Approximate(reason) => report.approximations.push(Approximation {
                    path,
                    source_value: fv_opt(raw.as_ref()),
                    became: fv_opt(read.value.as_ref()),
                    reason,
                }),
                Note::Unresolved(kind) => report.unresolved.push(UnresolvedReference {
                    path,
                    value: fv_opt(raw.as_ref()),
                    kind,
                    kept_as,
                }),
            }
        }
        if let Some(key) = own_key {
            ext.insert(self.format.external_id_key(), Value::String(key));
        }

        prune_child(&mut residue);
        if let Value::Object(members) = residue {
            for (name, value) in members {
                let nested = self.containers.contains(&name.as_str());
                match value {
                    Value::Object(inner) if nested => {
                        for (sub, value) in inner {
                            let key = ext_key(self.prefix(), &[name.as_str(), sub.as_str()]);
                            report.unmapped.push(UnmappedField {
                                path: format!("{name}.{sub}"),
                                kept_as: Some(key.clone()),
                            });
                            ext.insert(key, value);
                        }
                    }
                    value => {
                        let key = ext_key(self.prefix(), &[name.as_str()]);
                        report.unmapped.push(UnmappedField {
                            path: name,
                            kept_as: Some(key.clone()),
                        });
                        ext.insert(key, value);
                    }
                }
            }
        }
        let mut place = get(&ours, ext_at)
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        if let Value::Object(map) = &mut place {
            map.extend(ext);
        }
        set(&mut ours, ext_at, place);
        Ok((ours, report))
    }

    /// Ours to theirs: their JSON, with the report.
    pub(crate) fn export(
        &self,
        fields: &[Field],
        ours: &Value,
        ext_at: &[&str],
    ) -> (Value, LossReport) {
        let mut report = LossReport::new(self.format, Direction::Export);
        let mut ext = get(ours, ext_at)
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let own_original = ext.remove(&self.format.external_id_key());
        let mut out = Value::Object(Map::new());
        let own_key_now = own_original
            .as_ref()
            .and_then(|o| self.scalar(o).map(std::borrow::Cow::into_owned));

        for field in fields {
            let ours_path = field.ours();
            let mut current = if ours_path.is_empty() {
                None
            } else {
                get(ours, &ours_path)
                    .filter(|c| match c {
                        Value::Null => false,
                        Value::Array(_) | Value::Object(_) => !is_empty(c),
                        _ => true,
                    })
                    .cloned()
            };
            if matches!(field.conv, Conv::Characteristics) {
                // Characteristics kept in the source namespace (the class
                // did not declare them) are characteristics all the same.
                let mut map = match current.take() {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                map.retain(|k, _| !is_namespaced(k));
                for (key, value) in &ext {
                    if let Some(name) = kept_characteristic(self.prefix(), key) {
                        map.entry(name).or_insert_with(|| value.clone());
                    }
                }
                current = (!map.is_empty()).then_some(Value::Object(map));
            }
            // The kept original, when it still imports to our value.
            let original = if matches!(field.conv, Conv::OwnId(_)) {
                own_original.clone()
            } else if field.import_only {
                None
            } else {
                ext.remove(&self.field_key(field))
            };
            if let Some(original) = original {
                let read = self.read_field(field, Some(&original), own_key_now.as_deref());
                // An attribute kept only in the source namespace (its class
                // does not declare it) is the value of its field.
                let kept_in_place = current.is_none()
                    && !ext_at.is_empty()
                    && ours_path.len() > ext_at.len()
                    && ours_path.starts_with(ext_at);
                if read.value == current || kept_in_place {
                    self.put(field, &mut out, original);
                    continue;
                }
            }
            if field.import_only {
                let written = Self::role_elements(field, &out);
                let read = self.read_field(field, written.as_ref(), own_key_now.as_deref());
                if read.value != current {
                    report.approximations.push(Approximation {
                        path: joined(&ours_path),
                        source_value: fv_opt(current.as_ref()),
                        became: fv_opt(read.value.as_ref()),
                        reason: format!(
                            "the format has one field, {}, for this and another value",
                            joined(&field.theirs())
                        ),
                    });
                }
                continue;
            }
            if matches!(field.conv, Conv::Constant) {
                let fallback = field
                    .fallback
                    .and_then(|f| serde_json::from_str::<Value>(f).ok());
                if current.is_some() && current != fallback {
                    report.unmapped.push(UnmappedField {
                        path: joined(&ours_path),
                        kept_as: None,
                    });
                }
                continue;
            }
            let (written, mut lost) = self.write(field.conv, current.as_ref(), ours);
            if matches!(field.conv, Conv::Text)
                && current.as_ref().and_then(Value::as_str) == Some("")
                && field.fallback != Some("\"\"")
            {
                lost = Some("an empty text reads back as no value".to_owned());
            }
            if matches!(field.conv, Conv::OwnId(_))
                && written.is_some()
                && self.read(field.conv, written.as_ref(), None).value != current
            {
                lost = Some(format!(
                    "{} cannot carry this id; importing it again gives another unless the lookup maps {}",
                    joined(&field.theirs()),
                    written
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                ));
            }
            if let Some(reason) = lost {
                report.approximations.push(Approximation {
                    path: joined(&ours_path),
                    source_value: fv_opt(current.as_ref()),
                    became: fv_opt(written.as_ref()),
                    reason,
                });
            }
            match written {
                Some(w) => self.put(field, &mut out, w),
                None if self.dialect == Dialect::ServiceNow
                    && !field.theirs().is_empty()
                    && get(&out, &field.theirs()).is_none() =>
                {
                    set(&mut out, &field.theirs(), Value::String(String::new()));
                }
                None => {}
            }
        }

        // Our fields that no row covers.
        let paths: Vec<Vec<&str>> = fields.iter().map(Field::ours).collect();
        let covered: BTreeSet<&str> = paths.iter().filter_map(|p| p.first().copied()).collect();
        let in_place: BTreeSet<&str> = paths
            .iter()
            .filter(|p| p.len() == ext_at.len() + 1 && p.starts_with(ext_at))
            .filter_map(|p| p.last().copied())
            .collect();
        if let Value::Object(members) = ours {
            for (name, value) in members {
                if covered.contains(name.as_str()) && !(ext_at.len() == 1 && ext_at[0] == name) {
                    continue;
                }
                if ext_at.len() == 1 && ext_at[0] == name {
                    continue;
                }
                if !is_default(value) {
                    report.unmapped.push(UnmappedField {
                        path: name.clone(),
                        kept_as: None,
                    });
                }
            }
        }
        let prefix = format!("{}.", self.prefix());
        let characteristics = fields
            .iter()
            .any(|f| matches!(f.conv, Conv::Characteristics));
        for (key, value) in ext {
            if in_place.contains(key.as_str())
                || (characteristics
                    && (!is_namespaced(&key) || kept_characteristic(self.prefix(), &key).is_some()))
            {
                continue;
            }
            if let Some(rest) = key.strip_prefix(&prefix)
                && !is_empty(&value)
            {
                let path = ext_path(rest);
                let steps: Vec<&str> = path.iter().map(String::as_str).collect();
                let mut wrapped = Value::Object(Map::new());
                set(&mut wrapped, &steps, value);
                merge_absent(&mut out, wrapped);
            } else {
                report.unmapped.push(UnmappedField {
                    path: format!("{}.{key}", ext_at.join(".")),
                    kept_as: None,
                });
            }
        }
        (out, report)
    }

    fn put(&self, field: &Field, out: &mut Value, value: Value) {
        if field.theirs().is_empty() || value.is_null() {
            return;
        }
        match (field.conv, value) {
            (Conv::Role { .. }, Value::Array(items)) => {
                let mut wrapped = Value::Object(Map::new());
                set(&mut wrapped, &field.theirs(), Value::Array(items));
                merge_absent(out, wrapped);
            }
            (_, value) => set(out, &field.theirs(), value),
        }
    }
}

/// The v4 and v5 names of a status change's members, and ours (v5's).
fn history_names(v5: bool) -> [(&'static str, &'static str); 3] {
    if v5 {
        [
            ("status", "status"),
            ("statusChangeDate", "statusChangeDate"),
            ("statusChangeReason", "statusChangeReason"),
        ]
    } else {
        [
            ("status", "status"),
            ("changeDate", "statusChangeDate"),
            ("changeReason", "statusChangeReason"),
        ]
    }
}

/// Whether an extension or attribute key belongs to a conversion (a
/// format's kept field or an external id) rather than to the record.
pub(crate) fn is_namespaced(key: &str) -> bool {
    key.split_once('.')
        .is_some_and(|(namespace, _)| crate::SOURCE_NAMESPACES.contains(&namespace))
}

/// The name of a characteristic kept as `<prefix>.resourceCharacteristic.<name>`.
pub(crate) fn kept_characteristic(prefix: &str, key: &str) -> Option<String> {
    let rest = key
        .strip_prefix(prefix)?
        .strip_prefix(".resourceCharacteristic.")?;
    let mut path = ext_path(rest);
    (path.len() == 1).then(|| path.remove(0))
}

/// Whether one of our values is its type's default (nothing to lose).
fn is_default(value: &Value) -> bool {
    match value {
        Value::String(_) => false,
        _ => is_empty(value) || value == &Value::Bool(false) || value.as_u64() == Some(0),
    }
}

fn number_from_digits(prefix: NumberPrefix, text: &str) -> Option<RecordNumber> {
    let digits: String = text
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let value: u64 = digits.parse().ok()?;
    RecordNumber::new(prefix, value).ok()
}

/// A wall time in `tz` as UTC: a time in a fold takes the earlier instant,
/// a time in a gap moves forward by the gap (the workspace's DST rule).
fn local_to_utc(tz: Tz, naive: NaiveDateTime) -> Option<DateTime<Utc>> {
    use chrono::{LocalResult, Offset};
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => {
            // The offset before the gap (gaps are at most a few hours): the
            // wall time read with it is the instant the gap moved it to
            // (01:30 in London's spring gap is 01:30 GMT, 02:30 BST).
            (1..=24 * 60).find_map(|m| {
                let earlier = naive.checked_sub_signed(chrono::Duration::minutes(m))?;
                let t = tz.from_local_datetime(&earlier).latest()?;
                let offset =
                    chrono::Duration::seconds(i64::from(t.offset().fix().local_minus_utc()));
                Some(naive.checked_sub_signed(offset)?.and_utc())
            })
        }
    }
}
