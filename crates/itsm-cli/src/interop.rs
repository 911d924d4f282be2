//! `itsm import` and `itsm export`: records from and to ServiceNow, Jira,
//! TMF621 and TMF639 (through `itsm-interop`), streamed, into or out of a
//! desk's database or standard output.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use itsm_cmdb::{Cmdb, CmdbData, ConfigurationItem, Relationship};
use itsm_core::{TimelineChange, TimelineEvent};
use itsm_desk::{Config, Ctx, Desk};
use itsm_interop::{
    Converted, Format, IndexedLookup, InteropOptions, ItsmRecord, Jira, JiraMapping, LookupTables,
    LossReport, ResourceRecord, ServiceNow, ServiceNowMapping, ServiceNowTable, Tmf621,
    Tmf621Version, Tmf639, TmfMapping,
};
use itsm_store::{
    AppendRequest, CmdbChange, EventId, ExpectedVersion, NewEvent, Payload, Record, RecordOpened,
    StoredCmdb, StreamId, StreamKind,
};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value, json};

use crate::input::Inputs;
use crate::{CliError, Output, Report};

/// A format on the other side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum Vendor {
    /// ServiceNow Table API records (`{"result": [...]}` or JSON lines).
    Servicenow,
    /// Jira Service Management issues (`{"issues": [...]}` or JSON lines).
    Jira,
    /// TMF621 trouble tickets (an array, one ticket, or JSON lines).
    Tmf621,
    /// TMF639 resources (an array, one resource, or JSON lines).
    Tmf639,
    /// Our own records (`{"kind", "record"}`, as `itsm import` prints them).
    Itsm,
}

/// The TMF621 version, when it is not to be detected per ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TmfVersion {
    /// Version 4.
    V4,
    /// Version 5.
    V5,
}

/// Options shared by import and export.
#[derive(Debug, Args)]
pub(crate) struct Common {
    /// The ServiceNow table (default: each record's `sys_class_name`, else
    /// the file's name: `incident.json` holds incidents).
    #[arg(long, value_name = "TABLE")]
    table: Option<String>,
    /// The TMF621 version (default: detected per ticket: v5 when it has
    /// `statusChangeHistory`, `externalIdentifier` or nested parties; on
    /// export, v5).
    #[arg(long, value_enum)]
    tmf_version: Option<TmfVersion>,
    /// A mapping file (ServiceNowMapping, JiraMapping or TmfMapping JSON);
    /// default: the built-in mapping.
    #[arg(long, value_name = "FILE")]
    mapping: Option<PathBuf>,
    /// Lookup tables (LookupTables JSON) resolving references to our ids.
    #[arg(long, value_name = "FILE")]
    lookup: Option<PathBuf>,
    /// The IANA time zone of ServiceNow wall times (default: UTC).
    #[arg(long, value_name = "TZ")]
    time_zone: Option<String>,
    /// The ServiceNow instance URL, for the `link` of exported references.
    #[arg(long, value_name = "URL")]
    instance_url: Option<String>,
    /// The Jira project key of exported issues that never came from Jira.
    #[arg(long, value_name = "KEY")]
    jira_project_key: Option<String>,
    /// The input is JSON lines (one record per line); default for files
    /// named *.jsonl or *.ndjson.
    #[arg(long)]
    lines: bool,
    /// Write the summary to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    summary: Option<PathBuf>,
}

/// `itsm import`.
#[derive(Debug, Args)]
pub(crate) struct ImportArgs {
    /// The source format.
    #[arg(long, value_enum)]
    from: Vendor,
    /// The files to import, in order (`-` for standard input).
    #[arg(required = true)]
    files: Vec<String>,
    /// Write the records into this database: tickets through the desk,
    /// configuration items and relationships into its CMDB (see
    /// `itsm-interop`'s README: the starter classes when it has none, the
    /// source namespaces, undeclared attributes kept under them); without
    /// it, print each converted record and its loss report as one JSON line.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// The instant stamped on the CMDB's history (RFC 3339); default: now,
    /// read from this machine's clock.
    #[arg(long, value_parser = crate::parse_instant, value_name = "INSTANT")]
    at: Option<chrono::DateTime<chrono::Utc>>,
    /// The desk configuration directory (with --db).
    #[arg(long, value_name = "DIR")]
    config: Option<PathBuf>,
    /// Resume from, and keep, a checkpoint: the last record committed, and
    /// the relationships read so far that still wait for their
    /// configuration items.
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<PathBuf>,
    /// ServiceNow: a `sysapproval_approver` export whose rows join the
    /// changes and requested items imported (on `sysapproval`, else
    /// `document_id`) as their approvals; may be repeated.
    #[arg(long, value_name = "FILE")]
    approvals: Vec<PathBuf>,
    /// ServiceNow: a `sys_journal_field` export whose rows become the
    /// `comments` and `work_notes` of the records imported (on
    /// `element_id`); may be repeated.
    #[arg(long, value_name = "FILE")]
    journal: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// `itsm export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The target format.
    #[arg(long, value_enum)]
    to: Vendor,
    /// Files of our records (`itsm import`'s output) to export; without
    /// files, --db is read.
    files: Vec<String>,
    /// Export every ticket of this database.
    #[arg(long, value_name = "URL")]
    db: Option<String>,
    /// Write the target's array format (`{"result": [...]}`, `{"issues":
    /// [...]}`, `[...]`) instead of JSON lines.
    #[arg(long)]
    array: bool,
    #[command(flatten)]
    common: Common,
}

impl ImportArgs {
    pub(crate) fn files(&self) -> Vec<&str> {
        self.files.iter().map(String::as_str).collect()
    }
}

impl ExportArgs {
    pub(crate) fn files(&self) -> Vec<&str> {
        self.files.iter().map(String::as_str).collect()
    }
}

/// How many committed records between two checkpoint writes.
const CHECKPOINT_EVERY: u64 = 1_000;
/// The most refusals listed in a summary (the count is always complete).
const MAX_REFUSALS: usize = 100;

/// The most relationships an import holds while their configuration items
/// have not arrived (about 150 bytes each); beyond it they are refused.
const MAX_HELD: usize = 200_000;

/// The converters, built once from the options.
struct Converters {
    servicenow: ServiceNow,
    jira: Jira,
    tmf621: Tmf621,
    tmf639: Tmf639,
    lookup: IndexedLookup,
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path, what: &str) -> Result<T, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| CliError::Read {
        file: path.display().to_string(),
        message: e.to_string(),
    })?;
    let source = crate::input::Source {
        name: path.display().to_string(),
        text,
    };
    crate::input::parse_text(&source, what)
}

fn content(file: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Content {
        file: file.display().to_string(),
        message: e.to_string(),
    }
}

impl Converters {
    fn new(common: &Common, vendor: Vendor) -> Result<Self, CliError> {
        let options = InteropOptions {
            time_zone: common.time_zone.clone(),
            instance_url: common.instance_url.clone(),
            jira_project_key: common.jira_project_key.clone(),
        };
        let mapping_text = match &common.mapping {
            Some(path) => Some((
                path.clone(),
                std::fs::read_to_string(path).map_err(|e| CliError::Read {
                    file: path.display().to_string(),
                    message: e.to_string(),
                })?,
            )),
            None => None,
        };
        let mapping_for = |v: Vendor| mapping_text.as_ref().filter(|_| v == vendor);
        let servicenow_mapping = match mapping_for(Vendor::Servicenow) {
            Some((path, text)) => {
                ServiceNowMapping::from_json(text).map_err(|e| content(path, e))?
            }
            None => ServiceNowMapping::default(),
        };
        let jira_mapping = match mapping_for(Vendor::Jira) {
            Some((path, text)) => JiraMapping::from_json(text).map_err(|e| content(path, e))?,
            None => JiraMapping::default(),
        };
        let tmf_mapping = match mapping_text
            .as_ref()
            .filter(|_| matches!(vendor, Vendor::Tmf621 | Vendor::Tmf639))
        {
            Some((path, text)) => TmfMapping::from_json(text).map_err(|e| content(path, e))?,
            None => TmfMapping::default(),
        };
        let invalid = |e: itsm_interop::InteropError| CliError::Usage {
            message: e.to_string(),
        };
        Ok(Self {
            servicenow: ServiceNow::new(servicenow_mapping, options.clone()).map_err(invalid)?,
            jira: Jira::new(jira_mapping, options.clone()).map_err(invalid)?,
            tmf621: Tmf621::new(tmf_mapping.clone(), options.clone()).map_err(invalid)?,
            tmf639: Tmf639::new(tmf_mapping, options).map_err(invalid)?,
            lookup: IndexedLookup::new(match &common.lookup {
                Some(path) => read_json(path, "lookup tables")?,
                None => LookupTables::default(),
            }),
        })
    }

    /// One source record to ours (a TMF639 resource gives its CI and its
    /// relationships).
    /// Returns the records, the report, and for a TMF639 resource the line
    /// to print (the CI with its relationships, as `itsm export --to
    /// tmf639` reads it back).
    #[allow(clippy::type_complexity)]
    fn import(
        &self,
        vendor: Vendor,
        common: &Common,
        file: &str,
        value: &Value,
    ) -> Result<
        (
            Vec<ItsmRecord>,
            Vec<TimelineEvent>,
            LossReport,
            Option<Value>,
        ),
        String,
    > {
        let lookup = &self.lookup;
        let single = |c: Result<Converted<ItsmRecord>, itsm_interop::InteropError>| {
            c.map(|c| (vec![c.record], c.timeline, c.report, None))
                .map_err(|e| e.to_string())
        };
        match vendor {
            Vendor::Servicenow => {
                let table = servicenow_table(common.table.as_deref(), value, file)?;
                single(self.servicenow.import(table, value, lookup))
            }
            Vendor::Jira => single(self.jira.import(value, lookup)),
            Vendor::Tmf621 => single(self.tmf621.import(
                tmf_version(common.tmf_version, value),
                value,
                lookup,
            )),
            Vendor::Tmf639 => {
                let c = self
                    .tmf639
                    .import(value, lookup)
                    .map_err(|e| e.to_string())?;
                let line = serde_json::to_value(&c.record).map_err(|e| e.to_string())?;
                let mut records = vec![ItsmRecord::ConfigurationItem(c.record.configuration_item)];
                records.extend(
                    c.record
                        .relationships
                        .into_iter()
                        .map(ItsmRecord::Relationship),
                );
                Ok((records, Vec::new(), c.report, Some(line)))
            }
            Vendor::Itsm => {
                // Our own records, bare or as `itsm import` printed them.
                let (inner, timeline) = split_line(value)?;
                let record: ItsmRecord = serde_json::from_value(inner)
                    .map_err(|e| format!("not a record of ours: {e}"))?;
                Ok((
                    vec![record],
                    timeline,
                    LossReport::new(Format::Itsm, itsm_interop::Direction::Import),
                    None,
                ))
            }
        }
    }
}

impl Converters {
    /// Keeps in the vendor's source namespace the attributes of `ci` that
    /// its class in `cmdb` does not declare.
    fn keep_undeclared(
        &self,
        vendor: Vendor,
        ci: &mut ConfigurationItem,
        cmdb: &Cmdb,
    ) -> Vec<itsm_interop::UnmappedField> {
        let class = ci.class.clone();
        let declares = |key: &str| cmdb.attribute_definition(&class, key).is_some();
        match vendor {
            Vendor::Servicenow => self.servicenow.keep_undeclared(ci, &declares),
            Vendor::Tmf639 => self.tmf639.keep_undeclared(ci, &declares),
            _ => Vec::new(),
        }
    }
}

/// A line of ours: the record (bare, or under `record` beside `report` or
/// `timeline`, as `itsm import` prints it) and its timeline events.
fn split_line(value: &Value) -> Result<(Value, Vec<TimelineEvent>), String> {
    if value.get("report").is_none() && value.get("timeline").is_none() {
        return Ok((value.clone(), Vec::new()));
    }
    let timeline = match value.get("timeline") {
        Some(events) => itsm_core::from_json::<Vec<TimelineEvent>>(&events.to_string())
            .map_err(|e| format!("timeline: {e}"))?,
        None => Vec::new(),
    };
    Ok((
        value.get("record").cloned().unwrap_or(Value::Null),
        timeline,
    ))
}

/// The ServiceNow table of a record: the option, its `sys_class_name`, or
/// the file's name.
fn servicenow_table(
    option: Option<&str>,
    value: &Value,
    file: &str,
) -> Result<ServiceNowTable, String> {
    if let Some(name) = option {
        return ServiceNowTable::from_name(name).ok_or_else(|| format!("--table {name:?} is not one of incident, problem, change_request, sc_req_item, kb_knowledge, cmdb_ci, cmdb_rel_ci"));
    }
    let class = value.get("sys_class_name").and_then(|c| {
        c.as_str()
            .or_else(|| c.get("value").and_then(Value::as_str))
    });
    if let Some(class) = class {
        if let Some(table) = ServiceNowTable::from_name(class) {
            return Ok(table);
        }
        if class.starts_with("cmdb_ci") {
            return Ok(ServiceNowTable::CmdbCi);
        }
    }
    let stem = Path::new(file)
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("");
    let stem = stem.split('.').next().unwrap_or(stem);
    ServiceNowTable::from_name(stem).ok_or_else(|| {
        "no ServiceNow table: give --table, or a sys_class_name, or name the file after its table (incident.json)".to_owned()
    })
}

fn vendor_name(vendor: Vendor) -> &'static str {
    match vendor {
        Vendor::Servicenow => "servicenow",
        Vendor::Jira => "jira",
        Vendor::Tmf621 => "tmf621",
        Vendor::Tmf639 => "tmf639",
        Vendor::Itsm => "itsm",
    }
}

fn tmf_version(option: Option<TmfVersion>, value: &Value) -> Tmf621Version {
    match option {
        Some(TmfVersion::V4) => Tmf621Version::V4,
        Some(TmfVersion::V5) => Tmf621Version::V5,
        None => {
            let nested = value
                .get("relatedParty")
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|p| p.get("partyOrPartyRole").is_some()));
            if value.get("statusChangeHistory").is_some()
                || value.get("externalIdentifier").is_some()
                || nested
            {
                Tmf621Version::V5
            } else {
                Tmf621Version::V4
            }
        }
    }
}

// ------------------------------------------------------------ streaming

/// Calls `each` with every record of a document, one at a time: the
/// elements of a top-level array, of its `result` or `issues` array, or the
/// document itself. Only one record is in memory at a time.
struct Sink<'f> {
    each: &'f mut dyn FnMut(Value) -> Result<(), CliError>,
    stop: Option<CliError>,
}

fn call<E: serde::de::Error>(sink: &RefCell<Sink<'_>>, value: Value) -> Result<(), E> {
    let mut sink = sink.borrow_mut();
    match (sink.each)(value) {
        Ok(()) => Ok(()),
        Err(e) => {
            sink.stop = Some(e);
            Err(E::custom("stopped"))
        }
    }
}

struct Records<'a, 'f>(&'a RefCell<Sink<'f>>);

const CONTAINERS: [&str; 2] = ["result", "issues"];

impl<'de> Visitor<'de> for Records<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a record, an array of records, or {\"result\"|\"issues\": [...]}")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            call(self.0, value)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut single = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if CONTAINERS.contains(&key.as_str()) {
                map.next_value_seed(Records(self.0))?;
                streamed = true;
            } else {
                let value: Value = map.next_value()?;
                if !streamed {
                    single.insert(key, value);
                }
            }
        }
        if streamed {
            Ok(())
        } else {
            call(self.0, Value::Object(single))
        }
    }
}

/// The array under `result` or `issues` (or the one record there): the
/// same visitor, one level down.
impl<'de> DeserializeSeed<'de> for Records<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(Elements(self.0))
    }
}

struct Elements<'a, 'f>(&'a RefCell<Sink<'f>>);

impl<'de> Visitor<'de> for Elements<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<Value>()? {
            call(self.0, value)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut one = Map::new();
        while let Some((k, v)) = map.next_entry::<String, Value>()? {
            one.insert(k, v);
        }
        call(self.0, Value::Object(one))
    }
}

/// Every record of `reader`, JSON lines or one document.
pub(crate) fn each_record(
    name: &str,
    reader: Box<dyn Read + '_>,
    lines: bool,
    each: &mut dyn FnMut(Value) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let json_error = |path: String, message: String| CliError::Json {
        file: name.to_owned(),
        what: "records".to_owned(),
        path,
        message,
        value: None,
    };
    let reader = BufReader::with_capacity(1 << 16, reader);
    if lines {
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(|e| CliError::Read {
                file: name.to_owned(),
                message: e.to_string(),
            })?;
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(&line)
                .map_err(|e| json_error(format!("line {}", n + 1), e.to_string()))?;
            if let Some((path, literal)) = itsm_core::oversized_integer(&line) {
                return Err(json_error(
                    format!("line {}: {path}", n + 1),
                    format!(
                        "the integer {literal} is too large for 64 bits and would lose its digits as a float: write it as a string"
                    ),
                ));
            }
            each(value)?;
        }
        return Ok(());
    }
    let sink = RefCell::new(Sink { each, stop: None });
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = deserializer.deserialize_any(Records(&sink));
    if let Some(e) = sink.into_inner().stop {
        return Err(e);
    }
    result
        .and_then(|()| deserializer.end())
        .map_err(|e| json_error(".".to_owned(), e.to_string()))
}

pub(crate) fn is_lines(file: &str, flag: bool) -> bool {
    flag || file.ends_with(".jsonl") || file.ends_with(".ndjson")
}

// ------------------------------------------------------------ summary

#[derive(Default)]
struct Summary {
    read: u64,
    written: BTreeMap<&'static str, u64>,
    unchanged: u64,
    losses: BTreeMap<String, BTreeMap<&'static str, u64>>,
    refused: u64,
    refusals: Vec<Value>,
    skipped_by_checkpoint: u64,
}

impl Summary {
    fn losses(&mut self, report: &LossReport) {
        for u in &report.unmapped {
            *self
                .losses
                .entry(u.path.clone())
                .or_default()
                .entry("unmapped")
                .or_default() += 1;
        }
        for a in &report.approximations {
            *self
                .losses
                .entry(a.path.clone())
                .or_default()
                .entry("approximated")
                .or_default() += 1;
        }
        for u in &report.unresolved {
            *self
                .losses
                .entry(u.path.clone())
                .or_default()
                .entry("unresolved")
                .or_default() += 1;
        }
    }

    fn refuse(&mut self, file: &str, index: u64, message: String) {
        self.refused += 1;
        if self.refusals.len() < MAX_REFUSALS {
            self.refusals
                .push(json!({"file": file, "record": index, "message": message}));
        }
    }

    fn to_json(&self, direction: &str) -> Value {
        json!({
            "summary": {
                "direction": direction,
                "read": self.read,
                "written": self.written,
                "unchanged": self.unchanged,
                "skipped_by_checkpoint": self.skipped_by_checkpoint,
                "refused": self.refused,
                "refusals": self.refusals,
                "losses": self.losses,
            }
        })
    }
}

fn write_line(out: &mut dyn Write, value: &Value) -> Result<(), CliError> {
    let werr = |e: std::io::Error| CliError::Write {
        file: "<stdout>".to_owned(),
        message: e.to_string(),
    };
    serde_json::to_writer(&mut *out, value).map_err(|e| werr(e.into()))?;
    out.write_all(b"\n").map_err(werr)
}

fn finish(
    summary: Value,
    to: Option<&Path>,
    print_last: bool,
    stdout: &mut dyn Write,
) -> Result<Report, CliError> {
    if let Some(path) = to {
        std::fs::write(path, format!("{summary}\n")).map_err(|e| CliError::Write {
            file: path.display().to_string(),
            message: e.to_string(),
        })?;
        return Ok(Report::ok(Output::Nothing));
    }
    if print_last {
        stdout.flush().ok();
        return Ok(Report::ok(Output::Json(summary)));
    }
    Ok(Report::ok(Output::Nothing))
}

// ------------------------------------------------------------ checkpoint

/// Where an import stopped: the file (by its position and name) and the
/// last record committed in it, with the relationships read so far that
/// still wait for their configuration items.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Checkpoint {
    file_index: usize,
    file: String,
    record: u64,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    held: Vec<HeldRelationship>,
}

fn save_checkpoint(path: &Path, checkpoint: &Checkpoint) -> Result<(), CliError> {
    let temp = path.with_extension("tmp");
    let text = serde_json::to_string(checkpoint).unwrap_or_default();
    let write = |e: std::io::Error| CliError::Write {
        file: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::write(&temp, text + "\n").map_err(write)?;
    std::fs::rename(&temp, path).map_err(write)
}

// ------------------------------------------------------------ import

/// Our ticket as the desk stores it (`None` for CIs and relationships).
fn ticket(record: ItsmRecord) -> Option<Record> {
    match record {
        ItsmRecord::Incident(r) => Some(Record::Incident(r)),
        ItsmRecord::Problem(r) => Some(Record::Problem(r)),
        ItsmRecord::Change(r) => Some(Record::Change(r)),
        ItsmRecord::ServiceRequest(r) => Some(Record::ServiceRequest(r)),
        ItsmRecord::KnowledgeArticle(r) => Some(Record::KnowledgeArticle(r)),
        _ => None,
    }
}

fn opened_at(record: &Record) -> chrono::DateTime<chrono::Utc> {
    match record {
        Record::Incident(r) => r.opened_at,
        Record::Problem(r) => r.opened_at,
        Record::Change(r) => r.opened_at,
        Record::ServiceRequest(r) => r.opened_at,
        Record::KnowledgeArticle(r) => r.created_at,
        Record::KnownError(r) => r.created_at,
        Record::Release(r) => r.opened_at,
        _ => chrono::DateTime::<chrono::Utc>::UNIX_EPOCH,
    }
}

/// Writes one ticket: through the desk's lifecycle when it is in its
/// initial state (so its SLA clocks start), else as a `record_opened` event
/// with the record as the other tool left it. Returns whether it was new.
fn store_ticket(desk: &mut Desk, record: Record) -> Result<bool, String> {
    let stream = record.stream_id();
    if desk
        .store()
        .record(stream)
        .map_err(|e| e.to_string())?
        .is_some()
    {
        return Ok(false);
    }
    let at = opened_at(&record);
    if record.category() == itsm_core::StateCategory::New {
        desk.open_record(record, &Ctx::at(at))
            .map_err(|e| e.to_string())?;
        return Ok(true);
    }
    // The event id is derived from the record id: a retry is a no-op.
    let event = NewEvent::encode(
        EventId::from_u128(stream_event_id(stream)),
        &RecordOpened {
            record: record.clone(),
        },
        at,
        None,
    )
    .map_err(|e| e.to_string())?;
    let request = AppendRequest::events(
        stream,
        StreamKind::from(record.kind()),
        ExpectedVersion::NoStream,
        vec![event],
    )
    .with_projection(record);
    desk.store().append(&request).map_err(|e| e.to_string())?;
    Ok(true)
}

/// The timeline events of a stored record's stream, oldest first.
fn stored_timeline(desk: &mut Desk, stream: StreamId) -> Result<Vec<TimelineEvent>, String> {
    const PAGE: usize = 10_000;
    let mut out = Vec::new();
    let mut from = 1;
    loop {
        let page = desk
            .store()
            .read_stream(stream, from, PAGE)
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        from = last.version + 1;
        for event in &page {
            if event.event_type == <TimelineEvent as Payload>::EVENT_TYPE {
                out.push(
                    desk.store()
                        .decode::<TimelineEvent>(event)
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        if page.len() < PAGE {
            break;
        }
    }
    Ok(out)
}

/// Adds the imported comments and work notes to a stored ticket through
/// the desk (`comment`), each at its own instant and by its own author,
/// skipping those its stream already holds (same instant, author,
/// visibility and text): a second import adds nothing. Returns whether any
/// was added.
fn store_comments(
    desk: &mut Desk,
    number: &itsm_core::RecordNumber,
    timeline: &[TimelineEvent],
) -> Result<bool, String> {
    if timeline.is_empty() {
        return Ok(false);
    }
    let stream = desk
        .store()
        .record_by_number(number)
        .map_err(|e| e.to_string())?
        .map(|r| r.record.stream_id())
        .ok_or_else(|| format!("{number} is not in the store"))?;
    let stored = stored_timeline(desk, stream)?;
    let mut added = false;
    for event in timeline {
        let TimelineChange::CommentAdded { visibility, text } = &event.change else {
            continue;
        };
        if stored.contains(event) {
            continue;
        }
        let ctx = Ctx {
            actor: event.actor,
            at: event.at,
            expected_version: None,
        };
        desk.comment(number, *visibility, text, &ctx)
            .map_err(|e| format!("{number}: comment at {}: {e}", event.at))?;
        added = true;
    }
    Ok(added)
}

fn stream_event_id(stream: StreamId) -> u128 {
    stream.as_u128() ^ 0x1d0f_1d0f_1d0f_1d0f_1d0f_1d0f_1d0f_1d0f
}

// ------------------------------------------------------------ the CMDB

/// The stored CMDB, ready for imported CIs: the starter definitions when
/// it has no classes, and every source namespace of `itsm-interop` (a
/// definitions change in its history when either was missing).
fn open_cmdb(desk: &mut Desk) -> Result<StoredCmdb, CliError> {
    let refused = |e: &dyn std::fmt::Display| CliError::Refused {
        message: format!("the stored cmdb: {e}"),
    };
    let mut stored = desk.store().load_cmdb().map_err(|e| refused(&e))?;
    let data = stored.cmdb().data();
    let starter = data.classes.is_empty();
    let missing: Vec<String> = itsm_interop::SOURCE_NAMESPACES
        .iter()
        .filter(|n| !data.source_namespaces.iter().any(|m| m == *n))
        .map(|n| (*n).to_owned())
        .collect();
    if starter || !missing.is_empty() {
        let mut data: CmdbData = stored.cmdb().export();
        if starter {
            data = crate::cmdb::with_starter(data);
        }
        data.source_namespaces.extend(missing);
        *stored.cmdb_mut() = Cmdb::import(data).map_err(|e| refused(&e))?;
    }
    Ok(stored)
}

/// Writes what changed in the CMDB since the last save.
fn save_cmdb(
    desk: &mut Desk,
    stored: &mut StoredCmdb,
    source: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<(), CliError> {
    let change = CmdbChange {
        actor: None,
        source: source.to_owned(),
        at,
    };
    desk.store()
        .save_cmdb(stored, &change)
        .map(drop)
        .map_err(|e| CliError::Refused {
            message: format!("saving the cmdb: {e}"),
        })
}

/// Adds a CI, or rewrites it when the source changed it. Returns whether
/// anything changed.
fn store_ci(stored: &mut StoredCmdb, ci: ConfigurationItem) -> Result<bool, String> {
    let cmdb = stored.cmdb_mut();
    let result = match cmdb.ci(&ci.id) {
        Some(existing) if *existing == ci => return Ok(false),
        Some(_) => cmdb.update_ci(ci),
        None => cmdb.add_ci(ci),
    };
    result.map(|()| true).map_err(|e| e.to_string())
}

/// Adds a relationship between two stored CIs. Returns whether it was new,
/// or `Held` when an end is not stored yet.
fn store_relationship(stored: &mut StoredCmdb, relationship: Relationship) -> Stored {
    let cmdb = stored.cmdb_mut();
    if cmdb
        .relationships_of(&relationship.source)
        .any(|r| *r == relationship)
    {
        return Stored::Unchanged;
    }
    if cmdb.ci(&relationship.source).is_none() || cmdb.ci(&relationship.target).is_none() {
        return Stored::Held(relationship);
    }
    match cmdb.add_relationship(relationship) {
        Ok(()) => Stored::Written,
        Err(e) => Stored::Refused(e.to_string()),
    }
}

/// What became of one record of an import.
enum Stored {
    Written,
    Unchanged,
    Refused(String),
    /// A relationship whose configuration items are not stored yet: held
    /// until they arrive, later in the file or in a later file.
    Held(Relationship),
}

impl From<Result<bool, String>> for Stored {
    fn from(result: Result<bool, String>) -> Self {
        match result {
            Ok(true) => Self::Written,
            Ok(false) => Self::Unchanged,
            Err(message) => Self::Refused(message),
        }
    }
}

/// A relationship read before its configuration items, with where it was read.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct HeldRelationship {
    file: String,
    record: u64,
    relationship: Relationship,
}

/// Stores the held relationships whose ends have arrived; with `last`, the
/// others are refused, naming the missing end.
fn store_held(
    stored: &mut StoredCmdb,
    held: &mut Vec<HeldRelationship>,
    summary: &mut Summary,
    last: bool,
) {
    let waiting = std::mem::take(held);
    for h in waiting {
        match store_relationship(stored, h.relationship) {
            Stored::Written => *summary.written.entry("relationship").or_default() += 1,
            Stored::Unchanged => summary.unchanged += 1,
            Stored::Refused(message) => summary.refuse(&h.file, h.record, message),
            Stored::Held(relationship) if last => {
                let cmdb = stored.cmdb();
                let (end, id) = if cmdb.ci(&relationship.source).is_none() {
                    ("source", relationship.source)
                } else {
                    ("target", relationship.target)
                };
                summary.refuse(
                    &h.file,
                    h.record,
                    format!(
                        "the relationship's {end}, configuration item {id}, is in neither the cmdb nor the files imported"
                    ),
                );
            }
            Stored::Held(relationship) => held.push(HeldRelationship { relationship, ..h }),
        }
    }
}

/// `itsm import --from … FILE…`.
pub(crate) fn import(
    args: ImportArgs,
    inputs: &mut Inputs<'_>,
    stdout: &mut dyn Write,
) -> Result<Report, CliError> {
    let converters = Converters::new(&args.common, args.from)?;
    let mut desk = match &args.db {
        Some(url) => {
            let config = match &args.config {
                Some(dir) => Config::load_dir(dir).map_err(|e| content(dir, e))?,
                None => Config::default(),
            };
            Some(Desk::open(url, config).map_err(|e| CliError::Refused {
                message: format!("{}: {e}", itsm_store::mask_url(url)),
            })?)
        }
        None => None,
    };
    let resume: Option<Checkpoint> = match &args.checkpoint {
        Some(path) if path.exists() => Some(read_json(path, "checkpoint")?),
        _ => None,
    };
    if let Some(c) = &resume
        && args.files.get(c.file_index).map(String::as_str) != Some(c.file.as_str())
    {
        return Err(CliError::Usage {
            message: format!(
                "the checkpoint names file {} ({:?}), which is not at that place among the files given",
                c.file_index + 1,
                c.file
            ),
        });
    }
    if args.from != Vendor::Servicenow && !(args.approvals.is_empty() && args.journal.is_empty()) {
        return Err(CliError::Usage {
            message:
                "--approvals and --journal join ServiceNow tables: use them with --from servicenow"
                    .to_owned(),
        });
    }
    let mut joins = crate::join::read(&args.approvals, &args.journal, inputs, args.common.lines)?;
    let mut summary = Summary::default();
    let mut since_checkpoint = 0u64;
    let mut last: Option<Checkpoint> = None;
    // The stored CMDB, loaded at the first CI or relationship.
    let mut cmdb: Option<StoredCmdb> = None;
    // Relationships read before their CIs, stored once the CIs arrive (a
    // resumed import takes those its checkpoint carried).
    let mut held: Vec<HeldRelationship> =
        resume.as_ref().map(|c| c.held.clone()).unwrap_or_default();
    let cmdb_source = format!("import:{}", vendor_name(args.from));
    let at = args.at.unwrap_or_else(crate::now);
    for (file_index, file) in args.files.iter().enumerate() {
        let skip_to = match &resume {
            Some(c) if file_index < c.file_index => {
                continue;
            }
            Some(c) if file_index == c.file_index => Some(c.record),
            _ => None,
        };
        let reader = inputs.reader(file)?;
        let mut index = 0u64;
        let mut each = |value: Value| -> Result<(), CliError> {
            let i = index;
            index += 1;
            summary.read += 1;
            // The rows of the join files that belong to this record (taken
            // even when the checkpoint skips it: they were imported with it).
            let joined = if joins.is_empty() {
                None
            } else {
                joins.join(&value)
            };
            if skip_to.is_some_and(|s| i <= s) {
                summary.skipped_by_checkpoint += 1;
                return Ok(());
            }
            let value = joined.unwrap_or(value);
            let (records, timeline, report, resource) =
                match converters.import(args.from, &args.common, file, &value) {
                    Ok(x) => x,
                    Err(message) => {
                        summary.refuse(file, i, message);
                        return Ok(());
                    }
                };
            summary.losses(&report);
            let external_id = records.first().and_then(|r| {
                [
                    Format::Servicenow,
                    Format::Jira,
                    Format::Tmf621V4,
                    Format::Tmf639,
                ]
                .into_iter()
                .find_map(|f| r.external_id(f).map(str::to_owned))
            });
            match desk.as_mut() {
                None => {
                    for record in &records {
                        *summary.written.entry(record.kind()).or_default() += 1;
                    }
                    match resource {
                        Some(resource) => {
                            write_line(stdout, &json!({"record": resource, "report": &report}))?
                        }
                        None => {
                            for record in records {
                                let mut line = json!({"record": record, "report": &report});
                                if !timeline.is_empty() {
                                    line["timeline"] = json!(timeline);
                                }
                                write_line(stdout, &line)?;
                            }
                        }
                    }
                }
                Some(desk) => {
                    for record in records {
                        let kind = record.kind();
                        let stored = match record {
                            ItsmRecord::ConfigurationItem(mut ci) => {
                                let loaded = match cmdb.take() {
                                    Some(stored) => stored,
                                    None => open_cmdb(desk)?,
                                };
                                let stored = cmdb.insert(loaded);
                                let moved =
                                    converters.keep_undeclared(args.from, &mut ci, stored.cmdb());
                                if !moved.is_empty() {
                                    let mut kept = LossReport::new(
                                        report.format,
                                        itsm_interop::Direction::Import,
                                    );
                                    kept.unmapped = moved;
                                    summary.losses(&kept);
                                }
                                Stored::from(store_ci(stored, ci))
                            }
                            ItsmRecord::Relationship(relationship) => {
                                let loaded = match cmdb.take() {
                                    Some(stored) => stored,
                                    None => open_cmdb(desk)?,
                                };
                                let stored = cmdb.insert(loaded);
                                store_relationship(stored, relationship)
                            }
                            other => Stored::from(match ticket(other) {
                                Some(ticket) => {
                                    let number = *ticket.number();
                                    store_ticket(desk, ticket).and_then(|new| {
                                        let added = store_comments(desk, &number, &timeline)?;
                                        Ok(new || added)
                                    })
                                }
                                None => Err(format!("a {kind} has no place in the store")),
                            }),
                        };
                        match stored {
                            Stored::Written => *summary.written.entry(kind).or_default() += 1,
                            Stored::Unchanged => summary.unchanged += 1,
                            Stored::Refused(message) => summary.refuse(file, i, message),
                            Stored::Held(relationship) if held.len() < MAX_HELD => {
                                held.push(HeldRelationship {
                                    file: file.clone(),
                                    record: i,
                                    relationship,
                                });
                            }
                            Stored::Held(_) => summary.refuse(
                                file,
                                i,
                                format!(
                                    "more than {MAX_HELD} relationships wait for configuration items not imported yet: import the configuration items first"
                                ),
                            ),
                        }
                    }
                    since_checkpoint += 1;
                    last = Some(Checkpoint {
                        file_index,
                        file: file.clone(),
                        record: i,
                        external_id,
                        held: Vec::new(),
                    });
                    if since_checkpoint >= CHECKPOINT_EVERY {
                        // The CMDB first: a checkpoint never names a record
                        // whose CIs are not saved.
                        if let Some(stored) = &mut cmdb {
                            save_cmdb(desk, stored, &cmdb_source, at)?;
                        }
                        if let (Some(path), Some(c)) = (&args.checkpoint, &mut last) {
                            // The relationships still waiting travel with
                            // the checkpoint, so a resumed import holds them.
                            c.held.clone_from(&held);
                            save_checkpoint(path, c)?;
                        }
                        since_checkpoint = 0;
                    }
                }
            }
            Ok(())
        };
        each_record(file, reader, is_lines(file, args.common.lines), &mut each)?;
        // The relationships that waited for this file's CIs.
        if !held.is_empty()
            && let Some(desk) = desk.as_mut()
        {
            let stored = match cmdb.take() {
                Some(stored) => stored,
                None => open_cmdb(desk)?,
            };
            store_held(cmdb.insert(stored), &mut held, &mut summary, false);
        }
    }
    if !held.is_empty()
        && let Some(desk) = desk.as_mut()
    {
        let stored = match cmdb.take() {
            Some(stored) => stored,
            None => open_cmdb(desk)?,
        };
        store_held(cmdb.insert(stored), &mut held, &mut summary, true);
    }
    for (file, index, message) in joins.leftovers() {
        summary.refuse(&file, index, message);
    }
    if let (Some(desk), Some(stored)) = (desk.as_mut(), cmdb.as_mut()) {
        save_cmdb(desk, stored, &cmdb_source, at)?;
    }
    if let (Some(path), Some(c)) = (&args.checkpoint, &mut last) {
        c.held.clear();
        save_checkpoint(path, c)?;
    }
    let print_last = true;
    finish(
        summary.to_json("import"),
        args.common.summary.as_deref(),
        print_last,
        stdout,
    )
}

// ------------------------------------------------------------ export

fn ours(record: Record) -> Option<ItsmRecord> {
    match record {
        Record::Incident(r) => Some(ItsmRecord::Incident(r)),
        Record::Problem(r) => Some(ItsmRecord::Problem(r)),
        Record::Change(r) => Some(ItsmRecord::Change(r)),
        Record::ServiceRequest(r) => Some(ItsmRecord::ServiceRequest(r)),
        Record::KnowledgeArticle(r) => Some(ItsmRecord::KnowledgeArticle(r)),
        _ => None,
    }
}

impl Converters {
    fn export(
        &self,
        vendor: Vendor,
        common: &Common,
        record: &ItsmRecord,
        timeline: &[TimelineEvent],
        relationships: Vec<itsm_cmdb::Relationship>,
    ) -> Result<Converted<Value>, String> {
        let lookup = &self.lookup;
        let version = match common.tmf_version {
            Some(TmfVersion::V4) => Tmf621Version::V4,
            _ => Tmf621Version::V5,
        };
        let result = match vendor {
            Vendor::Servicenow => self
                .servicenow
                .export_with_timeline(record, timeline, lookup),
            Vendor::Jira => self.jira.export_with_timeline(record, timeline, lookup),
            Vendor::Tmf621 => self
                .tmf621
                .export_with_timeline(version, record, timeline, lookup),
            Vendor::Tmf639 => match record {
                ItsmRecord::ConfigurationItem(ci) => self.tmf639.export(
                    &ResourceRecord {
                        configuration_item: ci.clone(),
                        relationships,
                    },
                    lookup,
                ),
                other => return Err(format!("a {} is not a TMF639 resource", other.kind())),
            },
            Vendor::Itsm => {
                let mut line = serde_json::to_value(record).map_err(|e| e.to_string())?;
                if !timeline.is_empty() {
                    // As `itsm import` prints it: the record beside its timeline.
                    line = json!({"record": line, "timeline": timeline});
                }
                return Ok(Converted {
                    record: line,
                    timeline: Vec::new(),
                    report: LossReport::new(Format::Itsm, itsm_interop::Direction::Export),
                });
            }
        };
        result.map_err(|e| e.to_string())
    }
}

/// Writes records as JSON lines or inside the target's array.
struct Writer<'w> {
    out: &'w mut dyn Write,
    array: Option<(&'static str, &'static str)>,
    first: bool,
}

impl Writer<'_> {
    fn new(out: &mut dyn Write, vendor: Vendor, array: bool) -> Writer<'_> {
        let array = array.then_some(match vendor {
            Vendor::Servicenow => ("{\"result\":[", "]}"),
            Vendor::Jira => ("{\"issues\":[", "]}"),
            _ => ("[", "]"),
        });
        Writer {
            out,
            array,
            first: true,
        }
    }

    fn write(&mut self, value: &Value) -> Result<(), CliError> {
        let werr = |e: std::io::Error| CliError::Write {
            file: "<stdout>".to_owned(),
            message: e.to_string(),
        };
        match self.array {
            None => write_line(self.out, value),
            Some((open, _)) => {
                let sep: &[u8] = if self.first { open.as_bytes() } else { b",\n" };
                self.first = false;
                self.out.write_all(sep).map_err(werr)?;
                serde_json::to_writer(&mut *self.out, value).map_err(|e| werr(e.into()))
            }
        }
    }

    fn close(mut self) -> Result<(), CliError> {
        let werr = |e: std::io::Error| CliError::Write {
            file: "<stdout>".to_owned(),
            message: e.to_string(),
        };
        if let Some((open, close)) = self.array {
            if self.first {
                self.out.write_all(open.as_bytes()).map_err(werr)?;
            }
            self.out.write_all(close.as_bytes()).map_err(werr)?;
            self.out.write_all(b"\n").map_err(werr)?;
            self.first = false;
        }
        Ok(())
    }
}

/// `itsm export --to … [--db URL | FILE…]`.
pub(crate) fn export(
    args: ExportArgs,
    inputs: &mut Inputs<'_>,
    stdout: &mut dyn Write,
) -> Result<Report, CliError> {
    let converters = Converters::new(&args.common, args.to)?;
    let mut summary = Summary::default();
    let mut writer = Writer::new(stdout, args.to, args.array);
    let emit = |summary: &mut Summary,
                writer: &mut Writer<'_>,
                file: &str,
                i: u64,
                record: ItsmRecord,
                timeline: Vec<TimelineEvent>,
                relationships: Vec<itsm_cmdb::Relationship>|
     -> Result<(), CliError> {
        summary.read += 1;
        match converters.export(args.to, &args.common, &record, &timeline, relationships) {
            Ok(c) => {
                summary.losses(&c.report);
                *summary.written.entry(record.kind()).or_default() += 1;
                writer.write(&c.record)
            }
            Err(message) => {
                summary.refuse(file, i, message);
                Ok(())
            }
        }
    };
    match (&args.db, args.files.is_empty()) {
        (Some(url), true) => {
            let mut desk = Desk::open(url, Config::default()).map_err(|e| CliError::Refused {
                message: format!("{}: {e}", itsm_store::mask_url(url)),
            })?;
            let shown = itsm_store::mask_url(url);
            let mut after = None;
            let mut i = 0u64;
            loop {
                let page = desk
                    .store()
                    .streams(after, 1_000)
                    .map_err(|e| CliError::Refused {
                        message: e.to_string(),
                    })?;
                let Some(last) = page.last() else { break };
                after = Some(last.stream);
                for info in page {
                    let stored =
                        desk.store()
                            .record(info.stream)
                            .map_err(|e| CliError::Refused {
                                message: e.to_string(),
                            })?;
                    let Some(stored) = stored else { continue };
                    let timeline = stored_timeline(&mut desk, info.stream)
                        .map_err(|message| CliError::Refused { message })?;
                    match ours(stored.record) {
                        Some(record) => emit(
                            &mut summary,
                            &mut writer,
                            &shown,
                            i,
                            record,
                            timeline,
                            Vec::new(),
                        )?,
                        None => summary.refuse(
                            &shown,
                            i,
                            format!("a {} has no form in this format", info.kind),
                        ),
                    }
                    i += 1;
                }
            }
            // Then the CMDB: its CIs, and their relationships (TMF639
            // writes each CI's own with it; ServiceNow and ours as records
            // of their own). Jira and TMF621 have no form for them.
            if matches!(args.to, Vendor::Servicenow | Vendor::Tmf639 | Vendor::Itsm) {
                let stored = desk.store().load_cmdb().map_err(|e| CliError::Refused {
                    message: format!("the stored cmdb: {e}"),
                })?;
                let data = stored.cmdb().data();
                for ci in &data.cis {
                    let relationships = if args.to == Vendor::Tmf639 {
                        stored
                            .cmdb()
                            .relationships_of(&ci.id)
                            .filter(|r| r.source == ci.id)
                            .cloned()
                            .collect()
                    } else {
                        Vec::new()
                    };
                    emit(
                        &mut summary,
                        &mut writer,
                        &shown,
                        i,
                        ItsmRecord::ConfigurationItem(ci.clone()),
                        Vec::new(),
                        relationships,
                    )?;
                    i += 1;
                }
                if args.to != Vendor::Tmf639 {
                    for relationship in &data.relationships {
                        emit(
                            &mut summary,
                            &mut writer,
                            &shown,
                            i,
                            ItsmRecord::Relationship(relationship.clone()),
                            Vec::new(),
                            Vec::new(),
                        )?;
                        i += 1;
                    }
                }
            }
        }
        (None, false) => {
            for file in &args.files {
                let reader = inputs.reader(file)?;
                let mut i = 0u64;
                let mut each = |value: Value| -> Result<(), CliError> {
                    let n = i;
                    i += 1;
                    // Our records, bare, as `itsm import` printed them, or a
                    // resource record (a CI with its relationships).
                    // The summary line of `itsm import` is not a record.
                    if value
                        .as_object()
                        .is_some_and(|m| m.len() == 1 && m.contains_key("summary"))
                    {
                        return Ok(());
                    }
                    let (inner, timeline) = match split_line(&value) {
                        Ok(x) => x,
                        Err(message) => {
                            summary.refuse(file, n, message);
                            return Ok(());
                        }
                    };
                    if inner.get("configuration_item").is_some() {
                        match serde_json::from_value::<ResourceRecord>(inner) {
                            Ok(r) => {
                                return emit(
                                    &mut summary,
                                    &mut writer,
                                    file,
                                    n,
                                    ItsmRecord::ConfigurationItem(r.configuration_item),
                                    timeline,
                                    r.relationships,
                                );
                            }
                            Err(e) => {
                                summary.refuse(file, n, format!("not a resource record: {e}"));
                                return Ok(());
                            }
                        }
                    }
                    match serde_json::from_value::<ItsmRecord>(inner) {
                        Ok(record) => emit(
                            &mut summary,
                            &mut writer,
                            file,
                            n,
                            record,
                            timeline,
                            Vec::new(),
                        ),
                        Err(e) => {
                            summary.refuse(file, n, format!("not a record of ours: {e}"));
                            Ok(())
                        }
                    }
                };
                each_record(file, reader, is_lines(file, args.common.lines), &mut each)?;
            }
        }
        _ => {
            return Err(CliError::Usage {
                message: "give either --db URL or files of our records, not both".to_owned(),
            });
        }
    }
    writer.close()?;
    let print_last = !args.array;
    finish(
        summary.to_json("export"),
        args.common.summary.as_deref(),
        print_last,
        stdout,
    )
}
