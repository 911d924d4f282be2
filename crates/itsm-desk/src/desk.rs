//! [`Desk`]: one call per command, one transaction per call.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Utc};
use itsm_cmdb::QueryOptions;
use itsm_core::{
    AffectedService, ApprovalDecision, ApprovalStatus, Catalog, ChangeState, CiId,
    CommentVisibility, FieldValue, GroupId, Impact, Incident, IncidentState, KnownError, Numbering,
    Order, OrderRefs, Ordered, PersonId, RecordKind, RecordNumber, RecordState, ReleaseState,
    ServiceEffect, StandardChangeTemplate, Task, TaskId, TaskParent, Timeline, TimelineEvent,
    Urgency, Validate, Violation,
};
use itsm_lifecycle::{
    Actor, Effect, Input, LifecycleError, MajorIncidentAssessment, MajorIncidentEvent,
    MajorIncidentFacts, RelatedIncident, TaskEvent,
};
use itsm_sla::{
    BusinessDuration, CompiledCalendar, CompiledSla, ComplianceReport, SlaEvaluation,
    WarningThreshold,
};
use itsm_store::{
    AppendRequest, CheckReport, DocumentProjector, DueClock, EventId, ExpectedVersion, NewEvent,
    Payload, PayloadRegistry, Record, RecordFilter, RecordOpened, RecordPage, RecordQuery,
    RecordedEvent, Store, StoreError, StoreOptions, StoredClock, StreamId, StreamKind,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::batch::{BatchWrites, Command, CommandAt, MAX_BATCH_COMMANDS};
use crate::config::Config;
use crate::error::{DeskError, Result};
use crate::flows::Flows;

/// The most records one command may change, follow-ons included.
pub const MAX_RECORDS_PER_COMMAND: usize = 1_000;

/// The most incidents read per configuration item when a major-incident
/// assessment looks for related incidents (the highest priority first).
const MAJOR_RELATED_PAGE: u32 = 1_000;

/// A service's criticality from its CI's `criticality` attribute: the
/// CMDB's four levels, or the service portfolio's names.
fn criticality_of(text: &str) -> Option<itsm_core::Criticality> {
    use itsm_core::Criticality as C;
    match text {
        "critical" | "most_critical" => Some(C::MostCritical),
        "high" | "somewhat_critical" => Some(C::SomewhatCritical),
        "medium" | "less_critical" => Some(C::LessCritical),
        "low" | "not_critical" => Some(C::NotCritical),
        _ => None,
    }
}

/// Who acts, when (the domain instant), and which version of the record the
/// caller read (the command is refused if it moved on).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ctx {
    /// Who; `None` for the system.
    pub actor: Option<PersonId>,
    /// When.
    pub at: DateTime<Utc>,
    /// The version the caller read; `None` to act on the current one.
    pub expected_version: Option<u64>,
}

impl Ctx {
    /// The system acting at `at`, on the current version.
    #[must_use]
    pub fn at(at: DateTime<Utc>) -> Self {
        Self {
            actor: None,
            at,
            expected_version: None,
        }
    }

    /// This context with `actor` acting.
    #[must_use]
    pub fn by(mut self, actor: PersonId) -> Self {
        self.actor = Some(actor);
        self
    }

    /// This context expecting the record at `version`.
    #[must_use]
    pub fn expecting(mut self, version: u64) -> Self {
        self.expected_version = Some(version);
        self
    }
}

/// Another record a command changed (a follow-on rule, the other end of a link).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Touched {
    /// Its number.
    pub number: RecordNumber,
    /// Its version after the command.
    pub version: u64,
    /// Why it changed.
    pub why: String,
}

/// What a command did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Outcome {
    /// The record after the command.
    pub record: Record,
    /// Its version after the command.
    pub version: u64,
    /// The timeline events the command recorded on it.
    pub timeline: Vec<TimelineEvent>,
    /// Its SLA clocks after the command.
    pub clocks: Vec<SlaEvaluation>,
    /// Effects left for the product (those no follow-on rule performed).
    pub effects: Vec<Effect>,
    /// The other records the command changed.
    pub also: Vec<Touched>,
}

/// A record with its clocks and links, as `show` returns it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordView {
    /// The record.
    pub record: Record,
    /// Its version.
    pub version: u64,
    /// Its SLA clocks.
    pub clocks: Vec<StoredClock>,
    /// Its links, by field.
    pub links: Vec<LinkView>,
}

/// One link of a record, as `show` returns it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LinkView {
    /// The field that holds it (`problem`, `related_incidents`,
    /// `extensions.child_incidents`, …).
    pub field: String,
    /// What the field holds: the linked record's id, or its number.
    pub target: String,
    /// The linked record's number; `None` when no stored record has that
    /// id or number.
    pub number: Option<RecordNumber>,
}

/// An SLA threshold crossed or a breach, recorded by [`Desk::tick`] once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SlaNotice {
    /// The SLA definition.
    pub definition: String,
    /// The cycle (0 for the first).
    pub cycle: usize,
    /// `threshold` or `breach`.
    pub notice: String,
    /// The threshold's percentage (100 for a breach); for a warning a time
    /// before the due instant, the whole percentage of the goal used when it
    /// was crossed.
    pub percent: u8,
    /// For a warning a time before the due instant: that time, in business
    /// seconds. Absent for a percentage and a breach.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_due: Option<BusinessDuration>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

impl Payload for SlaNotice {
    const EVENT_TYPE: &'static str = "sla_notice";
    const SCHEMA_VERSION: u32 = 1;
}

/// What a tick did.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct TickReport {
    /// Clocks looked at.
    pub clocks: u64,
    /// Threshold crossings recorded.
    pub thresholds: u64,
    /// Breaches recorded.
    pub breaches: u64,
    /// Notices another process had recorded first (nothing written again).
    pub already_recorded: u64,
}

/// How many records' timelines a desk keeps between commands.
///
/// A command loads a record's projection (one indexed read) and needs its
/// whole timeline to evaluate the SLA clocks; a timeline kept here at the
/// record's current version is used as it is, one kept at an older version
/// is completed with the events written since (by this desk or another),
/// and only a record not kept has its stream read from the start. At about
/// 50 events of 300 bytes a record, the cache holds some 60 MB at most.
pub const TIMELINE_CACHE_RECORDS: usize = 4_096;

/// The timelines a desk keeps, each at the stream version it is complete to.
#[derive(Default)]
struct TimelineCache {
    entries: HashMap<StreamId, (u64, Vec<TimelineEvent>)>,
}

impl TimelineCache {
    fn take(&mut self, stream: StreamId) -> Option<(u64, Vec<TimelineEvent>)> {
        self.entries.remove(&stream)
    }

    fn keep(&mut self, stream: StreamId, version: u64, events: Vec<TimelineEvent>) {
        if self.entries.len() >= TIMELINE_CACHE_RECORDS && !self.entries.contains_key(&stream) {
            // Any entry: a missed one is read again, never wrong.
            if let Some(old) = self.entries.keys().next().copied() {
                self.entries.remove(&old);
            }
        }
        self.entries.insert(stream, (version, events));
    }
}

/// A record loaded for a command.
struct Loaded {
    record: Record,
    version: u64,
    timeline: Vec<TimelineEvent>,
}

/// A record as the running batch left it, loaded for the next command.
fn batched(entry: Option<&(Record, u64, Vec<TimelineEvent>)>) -> Option<Loaded> {
    entry.map(|(record, version, timeline)| Loaded {
        record: record.clone(),
        version: *version,
        timeline: timeline.clone(),
    })
}

/// One record's writes in a command.
struct Pending {
    request: AppendRequest,
    number: RecordNumber,
    record: Record,
    timeline: Vec<TimelineEvent>,
    /// The record's whole timeline after the command.
    full: Timeline,
    clocks: Vec<SlaEvaluation>,
    why: String,
}

struct Engines {
    flows: Flows,
    calendars: Vec<CompiledCalendar>,
    slas: Vec<(CompiledSla, usize)>,
}

/// The service-desk engine: the store and the engines, one transaction per
/// command. Open one desk per thread or process; they share the database.
pub struct Desk {
    store: Store,
    config: Config,
    engines: Engines,
    timelines: TimelineCache,
    /// The writes of the batch being run, if one is.
    batch: Option<BatchWrites>,
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

fn lifecycle_error(number: &RecordNumber) -> impl Fn(LifecycleError) -> DeskError + '_ {
    move |source| DeskError::Lifecycle {
        number: number.to_string(),
        source: Box::new(source),
    }
}

/// A step's audit entry as the JSON of an `audit_entry` event.
fn audit_json(number: &RecordNumber, audit: Option<&impl Serialize>) -> Result<Option<String>> {
    audit
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| refused(number, e.to_string()))
}

fn refused(number: &RecordNumber, message: impl Into<String>) -> DeskError {
    DeskError::Refused {
        number: number.to_string(),
        message: message.into(),
    }
}

static SEQUENCE: AtomicU64 = AtomicU64::new(0);

/// A fresh event id: UUID v7 at `at`, with 80 bits from the process's
/// hasher seed (random per process), the process id and a counter.
fn fresh_id(at: DateTime<Utc>) -> EventId {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(SEQUENCE.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_i64(at.timestamp_nanos_opt().unwrap_or(0));
    let a = h.finish();
    h.write_u64(a);
    let b = h.finish();
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&a.to_le_bytes());
    random[8..].copy_from_slice(&b.to_le_bytes()[..2]);
    EventId::new_v7(at, random)
}

/// A stable id for a fact that must be recorded once (an SLA notice): the
/// same fact gives the same id in every process, so a second recording is
/// the store's idempotent no-op.
fn stable_id(parts: &[&str]) -> EventId {
    // FNV-1a, 128-bit.
    let mut hash: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            hash ^= u128::from(b);
            hash = hash.wrapping_mul(0x0000_0000_0100_0000_0000_0000_0000_013b);
        }
    }
    // Mark it as a UUID v8 (custom), RFC 9562 variant.
    let hash = (hash & !(0xf << 76) | (0x8 << 76)) & !(0x3 << 62) | (0x2 << 62);
    EventId::from_u128(hash)
}

/// Applies a lifecycle command to whichever record kind `$record` is,
/// giving `(Record, Option<audit JSON>, timeline, follow-ups)`.
macro_rules! step {
    ($self:expr, $record:expr, $number:expr, |$r:ident, $lc:ident| $call:expr) => {{
        let number = $number;
        macro_rules! finish {
            ($wrap:path, $step:expr) => {{
                let step = $step.map_err(lifecycle_error(number))?;
                let audit = audit_json(number, step.audit.as_ref())?;
                ($wrap(step.record), audit, step.timeline, step.follow_ups)
            }};
        }
        match $record {
            Record::Incident($r) => {
                let $lc = &$self.engines.flows.incident;
                finish!(Record::Incident, $call)
            }
            Record::Problem($r) => {
                let $lc = &$self.engines.flows.problem;
                finish!(Record::Problem, $call)
            }
            Record::KnownError($r) => {
                let $lc = &$self.engines.flows.known_error;
                finish!(Record::KnownError, $call)
            }
            Record::Change($r) => {
                let $lc = &$self.engines.flows.change;
                finish!(Record::Change, $call)
            }
            Record::Release($r) => {
                let $lc = &$self.engines.flows.release;
                finish!(Record::Release, $call)
            }
            Record::ServiceRequest($r) => {
                let $lc = &$self.engines.flows.request;
                finish!(Record::ServiceRequest, $call)
            }
            Record::KnowledgeArticle($r) => {
                let $lc = &$self.engines.flows.knowledge;
                finish!(Record::KnowledgeArticle, $call)
            }
            Record::RequestItem($r) => {
                let $lc = &$self.engines.flows.request_item;
                finish!(Record::RequestItem, $call)
            }
            Record::Task($r) => {
                let $lc = &$self.engines.flows.task;
                finish!(Record::Task, $call)
            }
            other => {
                return Err(refused(
                    other.number(),
                    format!("a {} has no lifecycle here", other.kind()),
                ));
            }
        }
    }};
}

/// Whether `record`'s tasks may be worked: an active incident or problem,
/// a change being implemented, a request item in fulfilment.
fn at_work(record: &Record) -> bool {
    match record {
        Record::Incident(_) | Record::Problem(_) => record.category().is_active(),
        Record::Change(c) => c.state == ChangeState::Implement,
        Record::RequestItem(r) => r.state == itsm_core::ServiceRequestState::Fulfilment,
        _ => false,
    }
}

/// Refuses an input that sets what only the desk writes: a record's list
/// of tasks (`extensions.tasks`).
fn desk_owned(number: &RecordNumber, input: &Input) -> Result<()> {
    if input.fields.contains_key(crate::links::TASKS) {
        return Err(refused(
            number,
            "extensions.tasks lists the record's tasks; the desk writes it when a task is opened",
        ));
    }
    Ok(())
}

/// A refusal listing `problems` of `what`, or `Ok` when there are none.
fn refuse_problems(number: &RecordNumber, what: &str, problems: &[Violation]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    Err(refused(
        number,
        format!(
            "{what} is refused: {}",
            problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    ))
}

fn parse_event<E: serde::de::DeserializeOwned>(
    number: &RecordNumber,
    kind: RecordKind,
    name: &str,
) -> Result<E> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| refused(number, format!("{name:?} is not an event of a {kind}")))
}

impl Desk {
    /// Opens the database at `url` (`sqlite://PATH`, `sqlite::memory:`,
    /// `postgres://…`), migrating it, with `config`.
    ///
    /// # Errors
    /// [`DeskError::Config`] listing every problem of the configuration,
    /// and the store's errors.
    pub fn open(url: &str, config: Config) -> Result<Self> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(DeskError::Config { problems });
        }
        let matrix = itsm_core::PriorityMatrix::new(config.matrix.clone()).map_err(|e| {
            DeskError::Config {
                problems: vec![format!("matrix: {e}")],
            }
        })?;
        let calendars: Vec<CompiledCalendar> = config
            .calendars
            .iter()
            .map(CompiledCalendar::new)
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| DeskError::Config {
                problems: vec![format!("calendars: {e}")],
            })?;
        let mut slas = Vec::new();
        for d in &config.slas {
            let sla = CompiledSla::new(d).map_err(|e| DeskError::Config {
                problems: vec![format!("slas: {e}")],
            })?;
            let calendar = d
                .calendar
                .as_ref()
                .and_then(|name| config.calendars.iter().position(|c| &c.name == name))
                .unwrap_or(0);
            slas.push((sla, calendar));
        }
        let mut problems = Vec::new();
        let Some(flows) = crate::flows::Flows::compile(
            &config.workflows,
            (
                config.approval_policy,
                config.separation_of_duties,
                &config.task_rule,
            ),
            Some(&matrix),
            &mut problems,
        ) else {
            return Err(DeskError::Config { problems });
        };
        let engines = Engines {
            flows,
            calendars,
            slas,
        };
        let mut registry = PayloadRegistry::standard();
        registry.register::<SlaNotice>();
        let store = Store::open_with(
            url,
            StoreOptions {
                registry: Some(registry),
                ..Default::default()
            },
        )?;
        Ok(Self {
            store,
            config,
            engines,
            timelines: TimelineCache::default(),
            batch: None,
        })
    }

    /// The store underneath, for reads the desk does not wrap.
    pub fn store(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The configuration.
    #[must_use]
    pub fn config(&self) -> &Config {
        &self.config
    }

    fn load(&mut self, number: &RecordNumber) -> Result<Loaded> {
        if let Some(loaded) = batched(self.batch.as_ref().and_then(|b| b.by_number(number))) {
            return Ok(loaded);
        }
        let stored = self
            .store
            .record_by_number(number)?
            .ok_or_else(|| DeskError::NotFound {
                number: number.to_string(),
            })?;
        let timeline = self.timeline(stored.record.stream_id(), stored.version)?;
        Ok(Loaded {
            record: stored.record,
            version: stored.version,
            timeline,
        })
    }

    fn load_id(&mut self, id: StreamId) -> Result<Option<Loaded>> {
        if let Some(loaded) = batched(self.batch.as_ref().and_then(|b| b.records.get(&id))) {
            return Ok(Some(loaded));
        }
        let Some(stored) = self.store.record(id)? else {
            return Ok(None);
        };
        let timeline = self.timeline(id, stored.version)?;
        Ok(Some(Loaded {
            record: stored.record,
            version: stored.version,
            timeline,
        }))
    }

    /// The record `id` as it is now: as the running batch left it, or stored.
    fn current(&mut self, id: StreamId) -> Result<Option<Record>> {
        if let Some((record, _, _)) = self.batch.as_ref().and_then(|b| b.records.get(&id)) {
            return Ok(Some(record.clone()));
        }
        Ok(self.store.record(id)?.map(|s| s.record))
    }

    /// A record's timeline at stream `version`: the kept one, completed
    /// with the events stored since, or read from the stream.
    fn timeline(&mut self, stream: StreamId, version: u64) -> Result<Vec<TimelineEvent>> {
        const PAGE: usize = 10_000;
        let (mut out, mut from) = match self.timelines.take(stream) {
            Some((kept, events)) if kept <= version => (events, kept + 1),
            _ => (Vec::new(), 1),
        };
        while from <= version {
            let page = self.store.read_stream(stream, from, PAGE)?;
            let Some(last) = page.last() else { break };
            from = last.version + 1;
            // Events past `version` were written after the projection was
            // read; the append's version check refuses such a command.
            for e in page.iter().filter(|e| e.version <= version) {
                if e.event_type == <TimelineEvent as Payload>::EVENT_TYPE {
                    out.push(self.store.decode::<TimelineEvent>(e)?);
                }
            }
            if page.len() < PAGE {
                break;
            }
        }
        Ok(out)
    }

    /// The record's clocks on a timeline: every SLA that applies to its
    /// kind and whose start condition matched.
    fn clocks(
        &self,
        record: &Record,
        timeline: &Timeline,
        now: DateTime<Utc>,
    ) -> Result<Vec<SlaEvaluation>> {
        let mut out = Vec::new();
        for (sla, calendar) in &self.engines.slas {
            if !sla.definition().applies_to.contains(&record.kind()) {
                continue;
            }
            let evaluation =
                itsm_sla::evaluate(sla, &self.engines.calendars[*calendar], timeline, now)
                    .map_err(|source| DeskError::Sla {
                        number: record.number().to_string(),
                        definition: sla.name().to_owned(),
                        source,
                    })?;
            if !evaluation.cycles.is_empty() {
                out.push(evaluation);
            }
        }
        Ok(out)
    }

    /// The writes of one record's step; `before` is the record's version and
    /// timeline as loaded (taken, not copied: the step's events follow them).
    #[allow(clippy::too_many_arguments)]
    fn pending(
        &self,
        before: Option<(u64, Vec<TimelineEvent>)>,
        record: Record,
        audit: Option<String>,
        timeline: Vec<TimelineEvent>,
        extra: Vec<NewEvent>,
        ctx: &Ctx,
        why: &str,
    ) -> Result<Pending> {
        let mut events = Vec::new();
        if before.is_none() {
            events.push(NewEvent::encode(
                fresh_id(ctx.at),
                &RecordOpened {
                    record: record.clone(),
                },
                ctx.at,
                ctx.actor,
            )?);
        }
        if let Some(audit) = audit {
            events.push(NewEvent {
                event_id: fresh_id(ctx.at),
                event_type: "audit_entry".to_owned(),
                schema_version: 1,
                occurred_at: ctx.at,
                actor: ctx.actor,
                correlation_id: None,
                causation_id: None,
                payload: audit,
            });
        }
        for t in &timeline {
            events.push(NewEvent::timeline(fresh_id(t.at), t)?);
        }
        events.extend(extra);
        let (expected, mut events_after) = match before {
            Some((version, history)) => (ExpectedVersion::Exact(version), history),
            None => (ExpectedVersion::NoStream, Vec::new()),
        };
        events_after.extend(timeline.iter().cloned());
        let full = Timeline {
            events: events_after,
        };
        let clocks = self.clocks(&record, &full, ctx.at)?;
        let request = AppendRequest::events(
            record.stream_id(),
            StreamKind::from(record.kind()),
            expected,
            events,
        )
        .with_projection(record.clone())
        .with_clocks(clocks.clone());
        Ok(Pending {
            request,
            number: *record.number(),
            record,
            timeline,
            full,
            clocks,
            why: why.to_owned(),
        })
    }

    /// Writes the pendings in one transaction; the first is the command's
    /// record. Records a command leaves unchanged are not written.
    fn commit(&mut self, pendings: Vec<Pending>, effects: Vec<Effect>) -> Result<Outcome> {
        let mut pendings = pendings.into_iter();
        let Some(mut main) = pendings.next() else {
            return Err(DeskError::Refused {
                number: String::new(),
                message: "a command names a record".to_owned(),
            });
        };
        let others: Vec<Pending> = pendings.filter(|p| !p.request.events.is_empty()).collect();
        let writes: Vec<&Pending> = std::iter::once(&main)
            .filter(|p| !p.request.events.is_empty())
            .chain(&others)
            .collect();
        if self.batch.is_some() {
            return Ok(self.defer(main, others, effects));
        }
        let requests: Vec<AppendRequest> = writes.iter().map(|p| p.request.clone()).collect();
        let outcomes = if requests.is_empty() {
            Vec::new()
        } else {
            match self.store.append_all(&requests) {
                Ok(o) => o,
                Err(StoreError::VersionConflict {
                    stream,
                    expected,
                    actual,
                }) => {
                    let pending = writes.iter().find(|p| p.request.stream == stream);
                    return Err(DeskError::VersionConflict {
                        number: pending
                            .map_or_else(|| stream.to_string(), |p| p.number.to_string()),
                        expected: match expected {
                            ExpectedVersion::Exact(v) => v,
                            _ => 0,
                        },
                        actual,
                    });
                }
                Err(e) => return Err(e.into()),
            }
        };
        let version_of = |p: &Pending| {
            requests
                .iter()
                .zip(&outcomes)
                .find(|(r, _)| r.stream == p.request.stream)
                .map(|(_, o)| o.last_version)
                .unwrap_or(match p.request.expected {
                    ExpectedVersion::Exact(v) => v,
                    _ => 0,
                })
        };
        let version = version_of(&main);
        let also = others
            .iter()
            .map(|p| Touched {
                number: p.number,
                version: version_of(p),
                why: p.why.clone(),
            })
            .collect();
        // The timelines as written: the next command on these records reads
        // no event again.
        let kept: Vec<(StreamId, u64)> = std::iter::once(&main)
            .chain(&others)
            .map(|p| (p.request.stream, version_of(p)))
            .collect();
        let main_full = std::mem::take(&mut main.full.events);
        let replayed = |stream: StreamId| {
            requests
                .iter()
                .zip(&outcomes)
                .any(|(r, o)| r.stream == stream && o.already_stored)
        };
        for ((stream, version), events) in kept
            .into_iter()
            .zip(std::iter::once(main_full).chain(others.into_iter().map(|p| p.full.events)))
        {
            // A retry found stored is complete to no version we know of.
            if !replayed(stream) {
                self.timelines.keep(stream, version, events);
            }
        }
        Ok(Outcome {
            record: main.record,
            version,
            timeline: main.timeline,
            clocks: main.clocks,
            effects,
            also,
        })
    }

    /// A command's writes kept in the running batch, to be written with it.
    fn defer(&mut self, main: Pending, others: Vec<Pending>, effects: Vec<Effect>) -> Outcome {
        let Some(batch) = self.batch.as_mut() else {
            return Outcome {
                record: main.record,
                version: 0,
                timeline: main.timeline,
                clocks: main.clocks,
                effects,
                also: Vec::new(),
            };
        };
        let mut add = |p: &Pending| {
            let unchanged = match p.request.expected {
                ExpectedVersion::Exact(v) => v,
                _ => 0,
            };
            if p.request.events.is_empty() {
                unchanged
            } else {
                batch.add(p.request.clone(), p.record.clone(), p.full.events.clone())
            }
        };
        let version = add(&main);
        let also = others
            .iter()
            .filter(|p| !p.request.events.is_empty())
            .map(|p| Touched {
                number: p.number,
                version: add(p),
                why: p.why.clone(),
            })
            .collect();
        Outcome {
            record: main.record,
            version,
            timeline: main.timeline,
            clocks: main.clocks,
            effects,
            also,
        }
    }

    /// Runs one command given as data.
    ///
    /// # Errors
    /// The command's own.
    pub fn run(&mut self, command: &Command, ctx: &Ctx) -> Result<Outcome> {
        match command {
            Command::Open { record } => self.open_record((**record).clone(), ctx),
            Command::Apply {
                number,
                event,
                input,
            } => self.apply(number, event, input, ctx),
            Command::Update { number, input } => self.update(number, input, ctx),
            Command::Assign {
                number,
                group,
                person,
            } => self.assign(number, *group, *person, ctx),
            Command::Comment {
                number,
                visibility,
                text,
            } => self.comment(number, *visibility, text, ctx),
            Command::Link { a, b } => self.link(a, b, ctx),
            Command::AttachCis { number, cis } => self.attach_cis(number, cis, ctx),
            Command::RequestApprovals {
                number,
                approvers,
                group,
            } => self.request_approvals(number, approvers, *group, ctx),
            Command::Decide {
                number,
                approver,
                decision,
                comment,
            } => self.decide(number, *approver, *decision, comment.clone(), ctx),
        }
    }

    /// Runs `commands` in order and writes what they did in one
    /// transaction: one commit for the lot, which is how an integration
    /// feeding many events (alerts, an import) goes fast on a server whose
    /// commits wait for the disk.
    ///
    /// Each command sees the records as the commands before it left them.
    /// A command refused (by its lifecycle, a stale `expected_version`, a
    /// missing record) writes nothing and the others go on: its result is
    /// its error. The writes then land whole or not at all: when another
    /// writer moved one of the records meanwhile, the batch writes nothing
    /// and fails with [`DeskError::VersionConflict`], to be run again.
    ///
    /// # Errors
    /// [`DeskError::Refused`] for more than [`MAX_BATCH_COMMANDS`]
    /// commands; [`DeskError::VersionConflict`] when the batch lost a race;
    /// the store's errors.
    pub fn batch(&mut self, commands: &[CommandAt]) -> Result<Vec<Result<Outcome>>> {
        if commands.len() > MAX_BATCH_COMMANDS {
            return Err(DeskError::Refused {
                number: "batch".to_owned(),
                message: format!(
                    "{} commands, more than the {MAX_BATCH_COMMANDS} a batch may hold",
                    commands.len()
                ),
            });
        }
        self.batch = Some(BatchWrites::default());
        let results: Vec<Result<Outcome>> = commands
            .iter()
            .map(|c| self.run(&c.command, &c.ctx()))
            .collect();
        let Some(batch) = self.batch.take() else {
            return Ok(results);
        };
        if batch.writes.is_empty() {
            return Ok(results);
        }
        match self.store.append_all(&batch.writes) {
            Ok(_) => {}
            Err(StoreError::VersionConflict {
                stream,
                expected,
                actual,
            }) => {
                let number = batch
                    .records
                    .get(&stream)
                    .map_or_else(|| stream.to_string(), |(r, _, _)| r.number().to_string());
                return Err(DeskError::VersionConflict {
                    number,
                    expected: match expected {
                        ExpectedVersion::Exact(v) => v,
                        _ => 0,
                    },
                    actual,
                });
            }
            Err(e) => return Err(e.into()),
        }
        for (stream, (_, version, timeline)) in batch.records {
            self.timelines.keep(stream, version, timeline);
        }
        Ok(results)
    }

    fn expect(&self, loaded: &Loaded, ctx: &Ctx) -> Result<()> {
        match ctx.expected_version {
            Some(v) if v != loaded.version => Err(DeskError::VersionConflict {
                number: loaded.record.number().to_string(),
                expected: v,
                actual: Some(loaded.version),
            }),
            _ => Ok(()),
        }
    }

    /// Opens a record: derives its priority and approval summary, records
    /// its `created` event, attaches its SLA clocks.
    ///
    /// # Errors
    /// The lifecycle's refusal (a record not in its initial state), a
    /// number already used, the store's errors.
    pub fn open_record(&mut self, record: Record, ctx: &Ctx) -> Result<Outcome> {
        let number = *record.number();
        if self
            .batch
            .as_ref()
            .is_some_and(|b| b.by_number(&number).is_some())
            || self.store.record_by_number(&number)?.is_some()
        {
            return Err(refused(&number, "a record with this number exists"));
        }
        let pre_approved = match &record {
            Record::Change(c) => c.template.is_some() || c.approval == ApprovalStatus::NotRequired,
            Record::ServiceRequest(r) => r.approval == ApprovalStatus::NotRequired,
            Record::RequestItem(r) => r.approval == ApprovalStatus::NotRequired,
            _ => false,
        };
        if pre_approved {
            return Err(refused(
                &number,
                "a record that needs no approval is made by an order (`order`) or a standard \
                 change template (`open_standard_change`), not opened as given",
            ));
        }
        let (record, audit, mut timeline, _) =
            step!(self, record, &number, |r, lc| lc.open(r, ctx.actor, ctx.at));
        let mut also = Vec::new();
        // A task joins its parent's list of tasks, in the same transaction.
        if let Record::Task(task) = &record {
            let parent = self.task_parent(task)?;
            let edit = crate::links::task_input(&parent.record, &record)
                .ok_or_else(|| refused(&number, "the task cannot join its parent's list"))?;
            let parent_number = *parent.record.number();
            let (pr, pa, pt, _) = step!(self, &parent.record, &parent_number, |r, lc| lc
                .update(r, &edit, ctx.actor, ctx.at));
            also.push(self.pending(
                Some((parent.version, parent.timeline)),
                pr,
                pa,
                pt,
                Vec::new(),
                ctx,
                &format!("task {number} added"),
            )?);
        }
        // Its turn may have come at once.
        let (record, audit) = match record {
            Record::Task(t) if self.may_start(&t)? => {
                let (task, audit, more) = self.ready_task(&t, ctx)?;
                timeline.extend(more);
                (task, audit)
            }
            other => (other, audit),
        };
        // A known error's workaround is recorded on its problem's incidents.
        if let Record::KnownError(ke) = &record
            && self.config.rules.workaround_to_incidents
        {
            also = self.workaround_notes(ke, ctx)?;
        }
        let main = self.pending(None, record, audit, timeline, Vec::new(), ctx, "opened")?;
        let mut pendings = vec![main];
        pendings.extend(also);
        self.commit(pendings, Vec::new())
    }

    /// Places an order from the service catalog ([`Catalog::order`]) and
    /// opens what it makes in one transaction: the service request (the
    /// outcome's record), its request item, their tasks and, for an item
    /// that carries one, the pre-approved standard change, linked both
    /// ways. Each parent lists its tasks' numbers in `extensions.tasks`.
    /// `numbering` gives the numbers and the ids' random bits; `refs`
    /// what people, groups and CIs in the answers are checked against.
    ///
    /// # Errors
    /// [`DeskError::Order`] with every problem of the order;
    /// [`DeskError::Refused`] when a number it was given is taken; the
    /// lifecycle's and the store's errors. Nothing is written on an error.
    pub fn order(
        &mut self,
        catalog: &Catalog,
        order: &Order,
        refs: &OrderRefs<'_>,
        numbering: &mut dyn Numbering,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let directory = self.config.directory.clone();
        let refs = OrderRefs {
            directory: directory.as_ref().or(refs.directory),
            configuration_items: refs.configuration_items,
        };
        let catalog_problems = catalog.check(refs.directory);
        if !catalog_problems.is_empty() {
            return Err(DeskError::Order {
                catalog_item: order.catalog_item.to_string(),
                problems: catalog_problems,
            });
        }
        // Everything the order makes is stamped with the desk's instant.
        let mut order = order.clone();
        order.opened_at = ctx.at;
        let order = &order;
        let ordered =
            catalog
                .order(order, &refs, numbering)
                .map_err(|problems| DeskError::Order {
                    catalog_item: order.catalog_item.to_string(),
                    problems,
                })?;
        let Ordered {
            request,
            mut item,
            mut change,
            tasks,
        } = ordered;
        if let Some(list) = crate::links::task_list(&tasks, TaskParent::RequestItem(item.id)) {
            item.extensions.insert("tasks".to_owned(), list);
        }
        if let Some(change) = change.as_mut()
            && let Some(list) = crate::links::task_list(&tasks, TaskParent::Change(change.id))
        {
            change.extensions.insert("tasks".to_owned(), list);
        }
        let mut records = vec![Record::ServiceRequest(request), Record::RequestItem(item)];
        records.extend(change.map(Record::Change));
        records.extend(tasks.into_iter().map(Record::Task));
        self.open_all(records, ctx, "ordered")
    }

    /// Opens a standard change from `template` for `requested_by`, with
    /// the template's implementation tasks, in one transaction: the change
    /// (type `standard`, pre-approved, the template's fixed fields) lists
    /// its tasks, and the first of them is ready.
    ///
    /// # Errors
    /// [`DeskError::Refused`] for an inactive or invalid template and for
    /// a number already taken; the lifecycle's and the store's errors.
    pub fn open_standard_change(
        &mut self,
        template: &StandardChangeTemplate,
        requested_by: PersonId,
        numbering: &mut dyn Numbering,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let problems = template.validate();
        if !template.active || !problems.is_empty() {
            let why = if template.active {
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                "it is inactive".to_owned()
            };
            return Err(DeskError::Refused {
                number: template.name.clone(),
                message: format!("no change can be made from this template: {why}"),
            });
        }
        let (mut change, tasks) = template.make(requested_by, ctx.at, numbering);
        if let Some(list) = crate::links::task_list(&tasks, TaskParent::Change(change.id)) {
            change.extensions.insert("tasks".to_owned(), list);
        }
        let mut records = vec![Record::Change(change)];
        records.extend(tasks.into_iter().map(Record::Task));
        self.open_all(records, ctx, "opened from a template")
    }

    /// Opens `records` (none of them opened yet) in one transaction, the
    /// first as the outcome's record; the tasks among them whose turn has
    /// come ([`itsm_lifecycle::ready_tasks`]) are made ready.
    fn open_all(&mut self, records: Vec<Record>, ctx: &Ctx, why: &str) -> Result<Outcome> {
        let tasks: Vec<Task> = records
            .iter()
            .filter_map(|r| match r {
                Record::Task(t) => Some(t.clone()),
                _ => None,
            })
            .collect();
        let working: BTreeSet<u128> = records
            .iter()
            .filter(|r| at_work(r))
            .map(|r| r.stream_id().as_u128())
            .collect();
        let ready: BTreeSet<TaskId> = itsm_lifecycle::ready_tasks(&tasks)
            .iter()
            .filter(|t| working.contains(&t.parent.uuid().as_u128()))
            .map(|t| t.id)
            .collect();
        if records.len() > MAX_RECORDS_PER_COMMAND {
            return Err(refused(
                records[0].number(),
                format!(
                    "the command makes {} records; a command writes at most {MAX_RECORDS_PER_COMMAND}",
                    records.len()
                ),
            ));
        }
        let mut pendings = Vec::with_capacity(records.len());
        for record in records {
            let number = *record.number();
            if self
                .batch
                .as_ref()
                .is_some_and(|b| b.by_number(&number).is_some())
                || self.store.record_by_number(&number)?.is_some()
                || pendings.iter().any(|p: &Pending| p.number == number)
            {
                return Err(refused(&number, "a record with this number exists"));
            }
            let (record, audit, mut timeline, _) =
                step!(self, record, &number, |r, lc| lc.open(r, ctx.actor, ctx.at));
            // The first tasks of each parent may start at once.
            let (record, audit) = match record {
                Record::Task(t) if ready.contains(&t.id) => {
                    let (task, audit, more) = self.ready_task(&t, ctx)?;
                    timeline.extend(more);
                    (task, audit)
                }
                other => (other, audit),
            };
            pendings.push(self.pending(None, record, audit, timeline, Vec::new(), ctx, why)?);
        }
        self.commit(pendings, Vec::new())
    }

    /// Applies a workflow event to a record, with the fields and reason of
    /// `input`, then runs the follow-on rules. Incidents also take the
    /// major-incident events `major_propose`, `major_accept`,
    /// `major_reject` and `major_cancel`.
    ///
    /// # Errors
    /// [`DeskError::NotFound`], [`DeskError::VersionConflict`],
    /// [`DeskError::Refused`] for an event the record's flow does not
    /// have, [`DeskError::Lifecycle`] when the flow refuses it.
    pub fn apply(
        &mut self,
        number: &RecordNumber,
        event: &str,
        input: &Input,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        desk_owned(number, input)?;
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        // A task starts when its turn has come and its parent is at work.
        if let Record::Task(task) = &loaded.record
            && event == "ready"
            && !self.may_start(task)?
        {
            return Err(refused(
                number,
                "its turn has not come: a task is ready once every task of a lower order \
                 has ended and its parent is at work (a change implementing, an item in \
                 fulfilment)",
            ));
        }
        let mut owned: Option<Input> = None;
        // With a directory, the actor's roles decide: their permission, and
        // the guards roles pass (a caller's claim to them is dropped).
        if !event.starts_with("major_")
            && let Some(actor) = self.actor(number, ctx)?
        {
            actor
                .check_permission(loaded.record.kind(), event)
                .map_err(lifecycle_error(number))?;
            owned = Some(input.clone().with_actor(&actor, &self.config.guard_roles));
        }
        // The task rule needs the record's tasks as they are now.
        if self.config.task_rule.enabled
            && self
                .config
                .task_rule
                .parents
                .contains(&loaded.record.kind())
            && crate::links::task_numbers(&loaded.record).map_or(true, |n| !n.is_empty())
        {
            let tasks = self.tasks_of(&loaded.record)?;
            owned = Some(owned.unwrap_or_else(|| input.clone()).with_tasks(&tasks));
        }
        let input = owned.as_ref().unwrap_or(input);
        let (record, audit, timeline, follow_ups) =
            match (&loaded.record, event.strip_prefix("major_")) {
                (Record::Incident(i), Some(major)) => {
                    let lc = &self.engines.flows.incident;
                    let step = if major == "propose" {
                        lc.propose_major(i, ctx.actor, ctx.at)
                            .map_err(lifecycle_error(number))?
                    } else {
                        let e: MajorIncidentEvent =
                            parse_event(number, RecordKind::Incident, major)?;
                        let s = lc
                            .apply_major(i, e, ctx.actor, ctx.at)
                            .map_err(lifecycle_error(number))?;
                        let audit = audit_json(number, s.audit.as_ref())?;
                        return self.finish(
                            loaded,
                            Record::Incident(s.record),
                            audit,
                            s.timeline,
                            s.follow_ups,
                            ctx,
                        );
                    };
                    let audit = audit_json(number, step.audit.as_ref())?;
                    (
                        Record::Incident(step.record),
                        audit,
                        step.timeline,
                        step.follow_ups,
                    )
                }
                (Record::Release(r), None) if matches!(event, "build" | "deploy") => {
                    // The desk holds the changes, so it decides the guard.
                    let input = self.vouch_for_release_changes(r, event, input)?;
                    let r = r.clone();
                    let lc = &self.engines.flows.release;
                    let e = parse_event(number, RecordKind::Release, event)?;
                    let step = lc
                        .apply(&r, e, &input, ctx.actor, ctx.at)
                        .map_err(lifecycle_error(number))?;
                    let audit = audit_json(number, step.audit.as_ref())?;
                    (
                        Record::Release(step.record),
                        audit,
                        step.timeline,
                        step.follow_ups,
                    )
                }
                (record, _) => {
                    let kind = record.kind();
                    step!(self, record, number, |r, lc| lc.apply(
                        r,
                        parse_event(number, kind, event)?,
                        input,
                        ctx.actor,
                        ctx.at
                    ))
                }
            };
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// `input` with the guard `changes_approved` as the stored changes
    /// decide it (a caller's own claim is dropped), or a refusal naming
    /// every change the release may not take into `event`'s state.
    fn vouch_for_release_changes(
        &mut self,
        release: &itsm_core::Release,
        event: &str,
        input: &Input,
    ) -> Result<Input> {
        let mut changes = Vec::new();
        for id in release.changes.iter().take(MAX_RECORDS_PER_COMMAND + 1) {
            if let Some(Record::Change(c)) = self.current(StreamId::from(*id))? {
                changes.push(c);
            }
        }
        let mut target = release.clone();
        target.state = if event == "build" {
            ReleaseState::Build
        } else {
            ReleaseState::Deploy
        };
        let problems = target.check_changes(&changes);
        let mut input = input.clone();
        input.guards.remove(itsm_lifecycle::Guard::CHANGES_APPROVED);
        if problems.is_empty() {
            input
                .guards
                .insert(itsm_lifecycle::Guard::CHANGES_APPROVED.to_owned());
            return Ok(input);
        }
        let listed: Vec<String> = problems.iter().map(|p| p.message.clone()).collect();
        Err(refused(
            &release.number,
            format!(
                "{event} needs every change approved and linked back: {}",
                listed.join("; ")
            ),
        ))
    }

    fn finish(
        &mut self,
        loaded: Loaded,
        record: Record,
        audit: Option<String>,
        timeline: Vec<TimelineEvent>,
        follow_ups: Vec<Effect>,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let (also, effects) = self.follow_ons(&loaded.record, &record, follow_ups, ctx)?;
        let main = self.pending(
            Some((loaded.version, loaded.timeline)),
            record,
            audit,
            timeline,
            Vec::new(),
            ctx,
            "command",
        )?;
        let mut pendings = vec![main];
        pendings.extend(also);
        self.commit(pendings, effects)
    }

    /// Sets fields without an event (a description, impact and urgency — the
    /// priority follows from the matrix —, a custom field as `extensions.<key>`).
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub fn update(&mut self, number: &RecordNumber, input: &Input, ctx: &Ctx) -> Result<Outcome> {
        desk_owned(number, input)?;
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        self.works_on(number, &loaded.record, ctx)?;
        let (record, audit, timeline, follow_ups) = step!(self, &loaded.record, number, |r, lc| lc
            .update(r, input, ctx.actor, ctx.at));
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// Assigns a record to a group and, optionally, a person.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub fn assign(
        &mut self,
        number: &RecordNumber,
        group: Option<GroupId>,
        person: Option<PersonId>,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        self.works_on(number, &loaded.record, ctx)?;
        if let Some(directory) = &self.config.directory {
            let problems = match (group, person) {
                (Some(g), p) => directory.assignment_problems(g, p),
                (None, Some(p)) => self.person_problems(p, "assigned_to"),
                (None, None) => Vec::new(),
            };
            refuse_problems(number, "the assignment", &problems)?;
        }
        let (record, audit, timeline, follow_ups) = step!(self, &loaded.record, number, |r, lc| lc
            .assign(r, group, person, ctx.actor, ctx.at));
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// Sets impact and urgency; the priority follows from the matrix.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub fn set_impact_urgency(
        &mut self,
        number: &RecordNumber,
        impact: Impact,
        urgency: Urgency,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let input = Input::new()
            .with_value("impact", &impact)
            .and_then(|i| i.with_value("urgency", &urgency))
            .map_err(lifecycle_error(number))?;
        self.update(number, &input, ctx)
    }

    /// Adds a public comment or a work note. A public comment by the caller
    /// of an incident on hold awaiting them is their reply: with the rule
    /// [`FollowOnRules::caller_reply_resumes`](crate::FollowOnRules::caller_reply_resumes) (on by default) the incident
    /// resumes (`caller_updated`) in the same transaction.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub fn comment(
        &mut self,
        number: &RecordNumber,
        visibility: CommentVisibility,
        text: &str,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        // The caller's reply to an incident awaiting them resumes it.
        if let Record::Incident(incident) = &loaded.record
            && self.config.rules.caller_reply_resumes
            && visibility == CommentVisibility::Public
            && incident.state == itsm_core::IncidentState::OnHold
            && incident.on_hold_reason == Some(itsm_core::OnHoldReason::AwaitingCaller)
            && ctx.actor == Some(incident.caller)
        {
            let lc = &self.engines.flows.incident;
            let input = Input::new().with_comment(visibility, text);
            let step = lc
                .apply(
                    incident,
                    itsm_lifecycle::IncidentEvent::CallerUpdated,
                    &input,
                    ctx.actor,
                    ctx.at,
                )
                .map_err(lifecycle_error(number))?;
            let audit = audit_json(number, step.audit.as_ref())?;
            return self.finish(
                loaded,
                Record::Incident(step.record),
                audit,
                step.timeline,
                step.follow_ups,
                ctx,
            );
        }
        let (record, audit, timeline, follow_ups) = step!(self, &loaded.record, number, |r, lc| lc
            .comment(r, visibility, text, ctx.actor, ctx.at));
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// Asks `approvers` (on behalf of `group`, if any) for their approval of
    /// a change or a service request; the record's approval summary follows
    /// from its approval policy.
    ///
    /// # Errors
    /// [`DeskError::Lifecycle`] for a record without approvals, and as
    /// [`apply`](Self::apply).
    pub fn request_approvals(
        &mut self,
        number: &RecordNumber,
        approvers: &[PersonId],
        group: Option<GroupId>,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        self.works_on(number, &loaded.record, ctx)?;
        if self.config.directory.is_some() {
            let problems: Vec<Violation> = match (group, &self.config.directory) {
                (Some(g), Some(directory)) => approvers
                    .iter()
                    .flat_map(|p| directory.assignment_problems(g, Some(*p)))
                    .collect(),
                _ => approvers
                    .iter()
                    .flat_map(|p| self.person_problems(*p, "approver"))
                    .collect(),
            };
            refuse_problems(number, "the approval request", &problems)?;
        }
        let (record, audit, timeline, follow_ups) = step!(self, &loaded.record, number, |r, lc| lc
            .request_approvals(r, approvers, group, ctx.actor, ctx.at));
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// Records `approver`'s decision (approved, or rejected with a comment)
    /// on the approval they were asked for; the approval summary follows.
    ///
    /// # Errors
    /// [`DeskError::Lifecycle`] when `approver` has no approval waiting for
    /// an answer, and as [`apply`](Self::apply).
    pub fn decide(
        &mut self,
        number: &RecordNumber,
        approver: PersonId,
        decision: ApprovalDecision,
        comment: Option<String>,
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        if self.config.directory.is_some() {
            let mut problems = self.person_problems(approver, "approver");
            if ctx.actor != Some(approver) {
                problems.push(Violation::new(
                    "approver",
                    "not_the_approver",
                    format!(
                        "approver ({approver}) decides for themselves; the command is by {}",
                        ctx.actor
                            .map_or_else(|| "the system".to_owned(), |a| a.to_string())
                    ),
                ));
            }
            refuse_problems(number, "the decision", &problems)?;
        }
        let (record, audit, timeline, follow_ups) = step!(self, &loaded.record, number, |r, lc| lc
            .decide(r, approver, decision, comment.clone(), ctx.at));
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// Attaches configuration items to a record; for an incident, the
    /// business services their failure impacts, and those it only
    /// degrades, are recorded from the stored CMDB's impact analysis
    /// (`affected_services`, each `impacted` or `degraded`).
    ///
    /// # Errors
    /// As [`apply`](Self::apply), and the CMDB's errors.
    pub fn attach_cis(
        &mut self,
        number: &RecordNumber,
        cis: &[CiId],
        ctx: &Ctx,
    ) -> Result<Outcome> {
        let loaded = self.load(number)?;
        self.expect(&loaded, ctx)?;
        self.works_on(number, &loaded.record, ctx)?;
        let mut all: Vec<CiId> = loaded.record.configuration_items().to_vec();
        for ci in cis {
            if !all.contains(ci) {
                all.push(*ci);
            }
        }
        let mut input = Input::new()
            .with_value("configuration_items", &all)
            .map_err(lifecycle_error(number))?;
        if matches!(loaded.record, Record::Incident(_)) {
            let cmdb = self.store.load_cmdb()?;
            if cmdb.cmdb().ci_count() > 0 {
                let known: Vec<CiId> = all
                    .iter()
                    .copied()
                    .filter(|c| cmdb.cmdb().ci(c).is_some())
                    .collect();
                let index = cmdb.cmdb().index()?;
                let mut affected: Vec<AffectedService> = Vec::new();
                for s in index.impacted_services(&known, &QueryOptions::new())? {
                    // Nearest first; a service reached twice keeps its worst effect.
                    match affected.iter_mut().find(|a| a.service == s.service) {
                        Some(a) if s.effect == ServiceEffect::Impacted => a.effect = s.effect,
                        Some(_) => {}
                        None => affected.push(AffectedService {
                            service: s.service,
                            effect: s.effect,
                        }),
                    }
                }
                input = input
                    .with_value("affected_services", &affected)
                    .map_err(lifecycle_error(number))?;
            }
        }
        let (record, audit, timeline, follow_ups) = step!(self, &loaded.record, number, |r, lc| lc
            .update(r, &input, ctx.actor, ctx.at));
        self.finish(loaded, record, audit, timeline, follow_ups, ctx)
    }

    /// A record's clock under the configured SLA `sla` as it stands, and
    /// under `alternative` (another definition, another calendar, edits to
    /// the record's stored timeline), side by side with their difference
    /// ([`itsm_sla::what_if`]): how a service manager answers "would we have
    /// breached under the new SLA?", and how a repair of stored clocks after
    /// a definition changes is previewed before it is applied. Nothing is
    /// written.
    ///
    /// # Errors
    /// [`DeskError::Refused`] for an SLA the configuration does not name;
    /// [`DeskError::Sla`] for an alternative that does not hold (with every
    /// problem and its path) or a clock that cannot be evaluated; the
    /// store's errors.
    pub fn what_if(
        &mut self,
        number: &RecordNumber,
        sla: &str,
        alternative: &itsm_sla::WhatIf,
        now: DateTime<Utc>,
    ) -> Result<itsm_sla::WhatIfReport> {
        let loaded = self.load(number)?;
        let Some((compiled, calendar)) = self.engines.slas.iter().find(|(s, _)| s.name() == sla)
        else {
            let known: Vec<&str> = self.engines.slas.iter().map(|(s, _)| s.name()).collect();
            return Err(refused(
                number,
                format!(
                    "no SLA {} in the configuration (known: {})",
                    itsm_core::quoted(sla),
                    known.join(", ")
                ),
            ));
        };
        let timeline = Timeline {
            events: loaded.timeline.clone(),
        };
        itsm_sla::what_if(
            compiled,
            &self.engines.calendars[*calendar],
            &timeline,
            now,
            alternative,
        )
        .map_err(|source| DeskError::Sla {
            number: number.to_string(),
            definition: sla.to_owned(),
            source,
        })
    }

    /// Assesses an incident against the configured major-incident criteria
    /// ([`Config::major_incident_rules`]): the criticality of its affected
    /// services comes from their CIs' `criticality` attribute in the stored
    /// CMDB (`critical`, `high`, `medium`, `low`, or the portfolio's
    /// `most_critical` … `not_critical`), and the incidents a volume
    /// criterion counts are those sharing one of its configuration items or
    /// affected services (the store finds incidents by CI). With `propose`,
    /// a candidate is proposed as a major incident at `ctx.at`, by
    /// `ctx.actor`, with a work note naming every criterion that matched,
    /// in one transaction.
    ///
    /// # Errors
    /// [`DeskError::Refused`] for a record that is not an incident; the
    /// store's and the CMDB's errors; as [`apply`](Self::apply) when
    /// proposing.
    pub fn assess_major(
        &mut self,
        number: &RecordNumber,
        propose: bool,
        ctx: &Ctx,
    ) -> Result<(MajorIncidentAssessment, Option<Outcome>)> {
        let loaded = self.load(number)?;
        let Record::Incident(incident) = &loaded.record else {
            return Err(refused(
                number,
                "only an incident can be a major incident".to_owned(),
            ));
        };
        let incident = incident.clone();
        // The services' criticality, from the stored CMDB.
        let mut criticality = BTreeMap::new();
        let cmdb = self.store.load_cmdb()?;
        for a in &incident.affected_services {
            if let Some(ci) = cmdb.cmdb().ci(&a.service)
                && let Some(level) = ci
                    .attributes
                    .get("criticality")
                    .and_then(|v| v.as_str())
                    .and_then(criticality_of)
            {
                criticality.insert(a.service, level);
            }
        }
        // The incidents that share a CI or a service, found by CI.
        let mut related: Vec<RelatedIncident> = Vec::new();
        let mut keys: Vec<CiId> = incident.configuration_items.clone();
        keys.extend(incident.affected_services.iter().map(|a| a.service));
        keys.sort_unstable();
        keys.dedup();
        for ci in keys.iter().take(MAX_RECORDS_PER_COMMAND) {
            let query = RecordQuery::new(
                itsm_store::StreamKind::from(RecordKind::Incident),
                RecordFilter::Ci(*ci),
                MAJOR_RELATED_PAGE,
            );
            for stored in self.store.query(&query)?.records {
                if let Record::Incident(other) = &stored.record
                    && other.id != incident.id
                    && !related.iter().any(|r| r.number == other.number)
                {
                    related.push(RelatedIncident::of(other));
                }
            }
        }
        let facts = MajorIncidentFacts {
            service_criticality: &criticality,
            related: &related,
            now: ctx.at,
        };
        let assessment = self.config.major_incident_rules.assess(&incident, &facts);
        if !(propose && assessment.candidate) {
            return Ok((assessment, None));
        }
        let lc = &self.engines.flows.incident;
        let mut step = lc
            .propose_major(&incident, ctx.actor, ctx.at)
            .map_err(lifecycle_error(number))?;
        let reasons: Vec<String> = assessment
            .matched
            .iter()
            .map(|m| format!("{} ({}): {}", m.path, m.criterion, m.reason))
            .collect();
        step.timeline.push(TimelineEvent {
            at: ctx.at,
            actor: ctx.actor,
            change: itsm_core::TimelineChange::CommentAdded {
                visibility: CommentVisibility::WorkNote,
                text: format!("Proposed as a major incident: {}", reasons.join("; ")),
            },
        });
        let audit = audit_json(number, step.audit.as_ref())?;
        let outcome = self.finish(
            loaded,
            Record::Incident(step.record),
            audit,
            step.timeline,
            step.follow_ups,
            ctx,
        )?;
        Ok((assessment, Some(outcome)))
    }

    /// Links two records, writing both ends in one transaction:
    /// incident ↔ problem, problem ↔ known error, known error ↔ change,
    /// problem ↔ change, incident → change,
    /// change ↔ release, incident → parent incident, any record ↔
    /// knowledge article, request ↔ change.
    ///
    /// # Errors
    /// [`DeskError::Refused`] for kinds that do not link, and as [`apply`](Self::apply).
    pub fn link(&mut self, a: &RecordNumber, b: &RecordNumber, ctx: &Ctx) -> Result<Outcome> {
        let left = self.load(a)?;
        self.expect(&left, ctx)?;
        let right = self.load(b)?;
        self.works_on(a, &left.record, ctx)?;
        self.works_on(b, &right.record, ctx)?;
        let (li, ri) = crate::links::link_inputs(&left.record, &right.record).ok_or_else(|| {
            refused(
                a,
                format!(
                    "a {} does not link to a {}",
                    left.record.kind(),
                    right.record.kind()
                ),
            )
        })?;
        let (lr, la, lt, _) = step!(self, &left.record, a, |r, lc| lc
            .update(r, &li, ctx.actor, ctx.at));
        let (rr, ra, rt, _) = step!(self, &right.record, b, |r, lc| lc
            .update(r, &ri, ctx.actor, ctx.at));
        let main = self.pending(
            Some((left.version, left.timeline)),
            lr,
            la,
            lt,
            Vec::new(),
            ctx,
            "link",
        )?;
        let other = self.pending(
            Some((right.version, right.timeline)),
            rr,
            ra,
            rt,
            Vec::new(),
            ctx,
            &format!("linked to {a}"),
        )?;
        self.commit(vec![main, other], Vec::new())
    }

    /// The person acting, as the configured directory knows them; `None`
    /// without a directory or for the system.
    fn actor(&self, number: &RecordNumber, ctx: &Ctx) -> Result<Option<Actor>> {
        match (&self.config.directory, ctx.actor) {
            (Some(directory), Some(person)) => Actor::from_directory(directory, person)
                .map(Some)
                .map_err(lifecycle_error(number)),
            _ => Ok(None),
        }
    }

    /// With a directory, refuses a person who holds no permission on
    /// `record`'s kind: edits, assignments, approval requests, CIs and
    /// links are work on the record, though not events of its flow.
    fn works_on(&self, number: &RecordNumber, record: &Record, ctx: &Ctx) -> Result<()> {
        let Some(actor) = self.actor(number, ctx)? else {
            return Ok(());
        };
        let kind: &str = record.kind().into();
        let allowed = actor.active
            && actor.permissions.iter().any(|p| {
                p.kinds
                    .iter()
                    .any(|k| k == itsm_core::WILDCARD || k == kind)
            });
        if allowed {
            Ok(())
        } else {
            Err(refused(
                number,
                format!(
                    "{} {} no role that works on {kind} records",
                    actor.person,
                    if actor.active {
                        "holds"
                    } else {
                        "is inactive and holds"
                    }
                ),
            ))
        }
    }

    /// `unknown_reference` or `inactive_person` when `person` is not an
    /// active person of the configured directory.
    fn person_problems(&self, person: PersonId, path: &str) -> Vec<Violation> {
        self.config
            .directory
            .as_ref()
            .map(|d| d.person_problems(path, person))
            .unwrap_or_default()
    }

    /// The record `task` belongs to, loaded: it must exist, be of the kind
    /// the task names, and still be active.
    fn task_parent(&mut self, task: &Task) -> Result<Loaded> {
        let parent = self.parent_of(task)?;
        if !parent.record.category().is_active() {
            return Err(refused(
                &task.number,
                format!(
                    "its parent {} is {}: a finished record takes no new task",
                    parent.record.number(),
                    parent.record.state_name()
                ),
            ));
        }
        Ok(parent)
    }

    /// Whether `task` may start now: pending, its turn come among its
    /// parent's tasks, and its parent at work.
    fn may_start(&mut self, task: &Task) -> Result<bool> {
        if task.state != itsm_core::TaskState::Pending {
            return Ok(false);
        }
        let parent = self.parent_of(task)?;
        if !at_work(&parent.record) {
            return Ok(false);
        }
        let mut siblings = self.tasks_of(&parent.record)?;
        if !siblings.iter().any(|s| s.id == task.id) {
            siblings.push(task.clone());
        }
        Ok(itsm_lifecycle::ready_tasks(&siblings)
            .iter()
            .any(|t| t.id == task.id))
    }

    /// The record `task` belongs to, loaded: it must exist and be of the
    /// kind the task names.
    fn parent_of(&mut self, task: &Task) -> Result<Loaded> {
        let id = StreamId::from_u128(task.parent.uuid().as_u128());
        let kind = task.parent.kind();
        let parent = self.load_id(id)?.ok_or_else(|| {
            refused(
                &task.number,
                format!("its parent, {kind} {id}, is not a record of the desk"),
            )
        })?;
        if parent.record.kind() != kind {
            return Err(refused(
                &task.number,
                format!(
                    "its parent {id} is a {}, not a {kind}",
                    parent.record.kind()
                ),
            ));
        }
        Ok(parent)
    }

    /// The tasks `parent` lists in `extensions.tasks`, as they are now.
    fn tasks_of(&mut self, parent: &Record) -> Result<Vec<Task>> {
        let mut tasks = Vec::new();
        let numbers =
            crate::links::task_numbers(parent).map_err(|why| refused(parent.number(), why))?;
        if numbers.len() > MAX_RECORDS_PER_COMMAND {
            return Err(refused(
                parent.number(),
                format!(
                    "it lists {} tasks, more than a command reads ({MAX_RECORDS_PER_COMMAND})",
                    numbers.len()
                ),
            ));
        }
        for n in numbers {
            let Ok(number) = n.parse::<RecordNumber>() else {
                return Err(refused(
                    parent.number(),
                    format!("extensions.tasks lists {n:?}, which is not a record number"),
                ));
            };
            let current = match self.batch.as_ref().and_then(|b| b.by_number(&number)) {
                Some((record, _, _)) => Some(record.clone()),
                None => self.store.record_by_number(&number)?.map(|s| s.record),
            };
            match current {
                Some(Record::Task(t)) => tasks.push(t),
                _ => {
                    return Err(refused(
                        parent.number(),
                        format!("extensions.tasks lists {number}, which is not a task of the desk"),
                    ));
                }
            }
        }
        Ok(tasks)
    }

    /// `task` made ready: the record, its audit entry, its timeline events.
    fn ready_task(
        &self,
        task: &Task,
        ctx: &Ctx,
    ) -> Result<(Record, Option<String>, Vec<TimelineEvent>)> {
        let step = self
            .engines
            .flows
            .task
            .apply(task, TaskEvent::Ready, &Input::new(), ctx.actor, ctx.at)
            .map_err(lifecycle_error(&task.number))?;
        let audit = audit_json(&task.number, step.audit.as_ref())?;
        Ok((Record::Task(step.record), audit, step.timeline))
    }

    /// The tasks of `parent`, which has just come to work, whose turn has
    /// come, made ready.
    fn ready_first_tasks(&mut self, parent: &Record, ctx: &Ctx) -> Result<Vec<Pending>> {
        let tasks = self.tasks_of(parent)?;
        self.ready_stored(
            &tasks,
            &format!("its parent {} is at work", parent.number()),
            ctx,
        )
    }

    /// The stored tasks among `tasks` whose turn has come
    /// ([`itsm_lifecycle::ready_tasks`]), made ready.
    fn ready_stored(&mut self, tasks: &[Task], why: &str, ctx: &Ctx) -> Result<Vec<Pending>> {
        let ready: Vec<Task> = itsm_lifecycle::ready_tasks(tasks)
            .into_iter()
            .cloned()
            .collect();
        let mut out = Vec::new();
        for task in ready {
            let loaded = self.load(&task.number)?;
            let (record, audit, timeline) = self.ready_task(&task, ctx)?;
            out.push(self.pending(
                Some((loaded.version, loaded.timeline)),
                record,
                audit,
                timeline,
                Vec::new(),
                ctx,
                why,
            )?);
        }
        Ok(out)
    }

    /// The pending siblings of `ended` whose turn has come, made ready.
    fn ready_next_tasks(&mut self, ended: &Task, ctx: &Ctx) -> Result<Vec<Pending>> {
        let parent = self.parent_of(ended)?;
        // A parent that is not at work (ended, or not yet implementing or
        // fulfilling) starts no task.
        if !at_work(&parent.record) {
            return Ok(Vec::new());
        }
        let mut siblings = self.tasks_of(&parent.record)?;
        for s in &mut siblings {
            if s.id == ended.id {
                s.clone_from(ended);
            }
        }
        self.ready_stored(
            &siblings,
            &format!("its turn came when {} ended", ended.number),
            ctx,
        )
    }

    /// The follow-on rules a step triggers: the other records' writes, and
    /// the effects no rule performed.
    fn follow_ons(
        &mut self,
        before: &Record,
        after: &Record,
        follow_ups: Vec<Effect>,
        ctx: &Ctx,
    ) -> Result<(Vec<Pending>, Vec<Effect>)> {
        let rules = self.config.rules.clone();
        let mut pendings = Vec::new();
        let mut effects = Vec::new();
        for effect in follow_ups {
            match (&effect, after) {
                (Effect::ResolveIncidentsAwaitingProblem, Record::Problem(p))
                    if rules.resolve_incidents_with_problem =>
                {
                    let mut incidents = Vec::new();
                    for id in &p.related_incidents {
                        if let Some(l) = self.load_id(StreamId::from(*id))?
                            && let Record::Incident(i) = &l.record
                        {
                            incidents.push((i.clone(), l));
                        }
                    }
                    let plain: Vec<Incident> = incidents.iter().map(|(i, _)| i.clone()).collect();
                    let release = itsm_lifecycle::incidents_to_resolve(p, &plain);
                    for (incident, loaded) in incidents {
                        if release.contains(&incident.id) {
                            pendings.push(self.resolve_incident(
                                &incident,
                                loaded,
                                &format!("resolved with problem {}", p.number),
                                ctx,
                            )?);
                        }
                    }
                }
                (Effect::ImplementReleaseChanges, Record::Release(r))
                    if rules.release_deploys_changes =>
                {
                    pendings.extend(self.release_changes(r, false, ctx)?);
                }
                (Effect::BackOutReleaseChanges, Record::Release(r))
                    if rules.release_deploys_changes =>
                {
                    pendings.extend(self.release_changes(r, true, ctx)?);
                }
                _ => effects.push(effect),
            }
        }
        match (before, after) {
            (b, a)
                if rules.ready_next_tasks
                    && !at_work(b)
                    && at_work(a)
                    && !matches!(a, Record::Incident(_) | Record::Problem(_)) =>
            {
                pendings.extend(self.ready_first_tasks(a, ctx)?);
            }
            (Record::Task(b), Record::Task(t))
                if rules.ready_next_tasks
                    && b.state.category().is_active()
                    && !t.state.category().is_active() =>
            {
                pendings.extend(self.ready_next_tasks(t, ctx)?);
            }
            (Record::Incident(b), Record::Incident(i))
                if rules.resolve_children_with_parent
                    && b.state != IncidentState::Resolved
                    && i.state == IncidentState::Resolved =>
            {
                let mut stack: Vec<String> = children(i);
                let mut seen = BTreeSet::new();
                while let Some(child) = stack.pop() {
                    if !seen.insert(child.clone()) || seen.len() > MAX_RECORDS_PER_COMMAND {
                        continue;
                    }
                    let Ok(number) = child.parse::<RecordNumber>() else {
                        continue;
                    };
                    let Ok(loaded) = self.load(&number) else {
                        continue;
                    };
                    if let Record::Incident(c) = &loaded.record
                        && c.category_is_active()
                    {
                        let c = c.clone();
                        stack.extend(children(&c));
                        pendings.push(self.resolve_incident(
                            &c,
                            loaded,
                            &format!("resolved with parent {}", i.number),
                            ctx,
                        )?);
                    }
                }
            }
            (Record::Change(b), Record::Change(c))
                if rules.release_follows_changes
                    && !implemented(b.state)
                    && implemented(c.state) =>
            {
                if let Some(release) = c.release
                    && let Some(loaded) = self.load_id(StreamId::from(release))?
                    && let Record::Release(r) = &loaded.record
                    && r.state == ReleaseState::Deploy
                {
                    let mut all_done = true;
                    for other in r.changes.iter().filter(|id| **id != c.id) {
                        match self.current(StreamId::from(*other))? {
                            Some(Record::Change(o)) if implemented(o.state) => {}
                            _ => all_done = false,
                        }
                    }
                    if all_done {
                        let r = r.clone();
                        let number = r.number;
                        let step = self
                            .engines
                            .flows
                            .release
                            .apply(
                                &r,
                                itsm_lifecycle::ReleaseEvent::Review,
                                &Input::new(),
                                ctx.actor,
                                ctx.at,
                            )
                            .map_err(lifecycle_error(&number))?;
                        let audit = audit_json(&number, step.audit.as_ref())?;
                        pendings.push(self.pending(
                            Some((loaded.version, loaded.timeline)),
                            Record::Release(step.record),
                            audit,
                            step.timeline,
                            Vec::new(),
                            ctx,
                            &format!("its last change {} was implemented", c.number),
                        )?);
                    }
                }
            }
            _ => {}
        }
        if pendings.len() > MAX_RECORDS_PER_COMMAND {
            return Err(refused(
                after.number(),
                format!(
                    "the command would change {} records, more than {MAX_RECORDS_PER_COMMAND}",
                    pendings.len()
                ),
            ));
        }
        Ok((pendings, effects))
    }

    /// A release deployed as one unit: each of its changes moved to
    /// implementation with it, or, when the deployment failed, backed out
    /// (implementation failed, close code `unsuccessful`, and a work note
    /// naming the release). A change that cannot follow refuses the whole
    /// command.
    fn release_changes(
        &mut self,
        release: &itsm_core::Release,
        back_out: bool,
        ctx: &Ctx,
    ) -> Result<Vec<Pending>> {
        use itsm_core::ChangeState as S;
        use itsm_lifecycle::ChangeEvent as E;
        let mut out = Vec::new();
        let why = if back_out {
            format!(
                "backed out with release {}: its deployment failed",
                release.number
            )
        } else {
            format!("deployed with release {}", release.number)
        };
        for id in &release.changes {
            let Some(loaded) = self.load_id(StreamId::from(*id))? else {
                return Err(refused(
                    &release.number,
                    format!("its change {id} is not stored"),
                ));
            };
            let Record::Change(c) = &loaded.record else {
                continue;
            };
            let lc = &self.engines.flows.change;
            let note = Input::new().with_comment(CommentVisibility::WorkNote, why.clone());
            let failed = || {
                note.clone()
                    .with_field("close_code", "unsuccessful")
                    .with_field("close_notes", why.clone())
            };
            let step = match (back_out, c.state) {
                (false, S::Implement) => continue,
                (false, _) => lc.apply(c, E::Implement, &note, ctx.actor, ctx.at),
                (true, S::Implement) => lc.apply(c, E::BackOut, &failed(), ctx.actor, ctx.at),
                // Implemented before the deployment failed: backed out all
                // the same, recorded on the change.
                (true, S::Review) => lc.update(c, &failed(), ctx.actor, ctx.at),
                (true, _) => continue,
            }
            .map_err(|e| {
                refused(
                    &release.number,
                    format!("its change {} cannot follow: {e}", c.number),
                )
            })?;
            let audit = audit_json(&c.number, step.audit.as_ref())?;
            out.push(self.pending(
                Some((loaded.version, loaded.timeline)),
                Record::Change(step.record),
                audit,
                step.timeline,
                Vec::new(),
                ctx,
                &why,
            )?);
        }
        Ok(out)
    }

    fn resolve_incident(
        &mut self,
        incident: &Incident,
        loaded: Loaded,
        why: &str,
        ctx: &Ctx,
    ) -> Result<Pending> {
        // The task rule holds here too: an incident with active tasks is
        // not resolved by a follow-on, and the command is refused naming them.
        let tasks = if self.config.task_rule.enabled {
            self.tasks_of(&loaded.record)?
        } else {
            Vec::new()
        };
        let input = Input::new()
            .with_field("resolution_code", "solution_provided")
            .with_field("resolution_notes", why)
            .with_tasks(&tasks);
        let step = self
            .engines
            .flows
            .incident
            .apply(
                incident,
                itsm_lifecycle::IncidentEvent::Resolve,
                &input,
                ctx.actor,
                ctx.at,
            )
            .map_err(lifecycle_error(&incident.number))?;
        let audit = audit_json(&incident.number, step.audit.as_ref())?;
        self.pending(
            Some((loaded.version, loaded.timeline)),
            Record::Incident(step.record),
            audit,
            step.timeline,
            Vec::new(),
            ctx,
            why,
        )
    }

    /// Work notes carrying a known error's workaround to the open incidents
    /// of its problem.
    fn workaround_notes(&mut self, ke: &KnownError, ctx: &Ctx) -> Result<Vec<Pending>> {
        let Some(problem) = self.current(StreamId::from(ke.problem))? else {
            return Ok(Vec::new());
        };
        let Record::Problem(problem) = problem else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for id in &problem.related_incidents {
            if let Some(loaded) = self.load_id(StreamId::from(*id))?
                && let Record::Incident(i) = &loaded.record
                && i.category_is_active()
            {
                let text = format!(
                    "Workaround from known error {}: {}",
                    ke.number, ke.workaround
                );
                let step = self
                    .engines
                    .flows
                    .incident
                    .comment(i, CommentVisibility::WorkNote, text, ctx.actor, ctx.at)
                    .map_err(lifecycle_error(&i.number))?;
                out.push(self.pending(
                    Some((loaded.version, loaded.timeline)),
                    Record::Incident(step.record),
                    None,
                    step.timeline,
                    Vec::new(),
                    ctx,
                    &format!("workaround of {}", ke.number),
                )?);
            }
        }
        Ok(out)
    }

    /// A record with its version, clocks and links.
    ///
    /// # Errors
    /// [`DeskError::NotFound`], the store's errors.
    pub fn show(&mut self, number: &RecordNumber) -> Result<RecordView> {
        let stored = self
            .store
            .record_by_number(number)?
            .ok_or_else(|| DeskError::NotFound {
                number: number.to_string(),
            })?;
        let clocks = self.store.clocks(stored.record.stream_id())?;
        let mut links = Vec::new();
        for (field, target) in crate::links::links_of(&stored.record) {
            let linked = match (target.parse::<RecordNumber>(), target.parse::<StreamId>()) {
                (Ok(n), _) => self.store.record_by_number(&n)?,
                (_, Ok(id)) => self.store.record(id)?,
                _ => None,
            };
            links.push(LinkView {
                field,
                target,
                number: linked.map(|r| *r.record.number()),
            });
        }
        Ok(RecordView {
            record: stored.record,
            version: stored.version,
            clocks,
            links,
        })
    }

    /// One page of records.
    ///
    /// # Errors
    /// The store's errors.
    pub fn list(&mut self, query: &RecordQuery) -> Result<RecordPage> {
        Ok(self.store.query(query)?)
    }

    /// The clocks whose next threshold or breach comes before `before`.
    ///
    /// # Errors
    /// The store's errors.
    pub fn due(&mut self, before: DateTime<Utc>, limit: usize) -> Result<Vec<DueClock>> {
        Ok(self.store.due_clocks(before, limit)?)
    }

    /// Records every threshold crossing and breach due at `now` as an
    /// `sla_notice` event on its record, exactly once. Due clocks are
    /// claimed (leased) by this tick, so processes ticking together share
    /// them (on PostgreSQL with `FOR UPDATE SKIP LOCKED`); and each notice has an
    /// id made from the record, the SLA, the cycle and the threshold, so a
    /// second tick, here or in another process, finds it stored and writes
    /// nothing. The clocks are evaluated again and stored with the notices.
    ///
    /// # Errors
    /// The store's and the clock's errors.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Result<TickReport> {
        let mut report = TickReport::default();
        let mut done: BTreeSet<StreamId> = BTreeSet::new();
        let owner = format!("tick-{}-{}", std::process::id(), fresh_id(now));
        loop {
            // Claimed clocks are leased to this tick: another process ticking
            // at the same time claims others. Writing a record's clocks ends
            // their lease; a record already done here stays leased, so each
            // round claims something new and the loop ends.
            let due = self
                .store
                .claim_due(now, 500, &owner, std::time::Duration::from_secs(60))?;
            if due.is_empty() {
                return Ok(report);
            }
            for d in &due {
                if !done.insert(d.record) {
                    continue;
                }
                report.clocks += 1;
                // A record changed by another process meanwhile: load and retry.
                for _ in 0..8 {
                    match self.tick_record(d.record, now, &mut report) {
                        Err(DeskError::VersionConflict { .. }) => continue,
                        other => {
                            other?;
                            break;
                        }
                    }
                }
            }
        }
    }

    fn tick_record(
        &mut self,
        id: StreamId,
        now: DateTime<Utc>,
        report: &mut TickReport,
    ) -> Result<()> {
        let Some(loaded) = self.load_id(id)? else {
            return Ok(());
        };
        let timeline = Timeline {
            events: loaded.timeline,
        };
        let clocks = self.clocks(&loaded.record, &timeline, now)?;
        let number = loaded.record.number().to_string();
        let mut events = Vec::new();
        for clock in &clocks {
            for (c, cycle) in clock.cycles.iter().enumerate() {
                let mut notices: Vec<(String, u8, Option<BusinessDuration>, DateTime<Utc>)> = cycle
                    .thresholds
                    .iter()
                    .filter_map(|t| {
                        let at = t.crossed_at.filter(|at| *at <= now)?;
                        let (percent, before_due) = match t.threshold {
                            WarningThreshold::Percent(p) => (p, None),
                            WarningThreshold::BeforeDue(d) => {
                                let goal = cycle.goal_duration.as_secs();
                                let used = t.threshold.mark(cycle.goal_duration).as_secs();
                                let percent = (used * 100).checked_div(goal).unwrap_or(100);
                                (u8::try_from(percent.min(100)).unwrap_or(100), Some(d))
                            }
                            _ => return None,
                        };
                        Some(("threshold".to_owned(), percent, before_due, at))
                    })
                    .collect();
                if let Some(at) = cycle.breached_at.filter(|at| *at <= now) {
                    notices.push(("breach".to_owned(), 100, None, at));
                }
                for (notice, percent, before_due, at) in notices {
                    // A percentage keeps the key it always had.
                    let key = match before_due {
                        Some(d) => format!("before_due:{}", d.as_secs()),
                        None => percent.to_string(),
                    };
                    let id = stable_id(&[
                        &id.to_string(),
                        &clock.definition,
                        &c.to_string(),
                        &notice,
                        &key,
                    ]);
                    let payload = SlaNotice {
                        definition: clock.definition.clone(),
                        cycle: c,
                        notice: notice.clone(),
                        percent,
                        before_due,
                        at,
                    };
                    let mut event = NewEvent::encode(id, &payload, at, None)?;
                    event.correlation_id = Some(format!("sla:{}", clock.definition));
                    events.push((event, notice));
                }
            }
        }
        // Only the notices not recorded yet.
        let recorded: BTreeSet<EventId> = self
            .store
            .read_stream(id, 1, 100_000)?
            .iter()
            .filter(|e| e.event_type == SlaNotice::EVENT_TYPE)
            .map(|e| e.event_id)
            .collect();
        let before = events.len() as u64;
        events.retain(|(e, _)| !recorded.contains(&e.event_id));
        report.already_recorded += before - events.len() as u64;
        if events.is_empty() {
            self.store
                .put_clocks(id, &StreamKind::from(loaded.record.kind()), &clocks)?;
            self.timelines.keep(id, loaded.version, timeline.events);
            return Ok(());
        }
        report.thresholds += events.iter().filter(|(_, n)| n == "threshold").count() as u64;
        report.breaches += events.iter().filter(|(_, n)| n == "breach").count() as u64;
        let request = AppendRequest::events(
            id,
            StreamKind::from(loaded.record.kind()),
            ExpectedVersion::Exact(loaded.version),
            events.into_iter().map(|(e, _)| e).collect(),
        )
        .with_projection(loaded.record.clone())
        .with_clocks(clocks);
        match self.store.append(&request) {
            Ok(o) => {
                // Notices are not timeline events: the timeline is unchanged,
                // complete to the version written (or, when another tick had
                // written these notices, to the version loaded).
                let complete_to = if o.already_stored {
                    report.already_recorded += request.events.len() as u64;
                    loaded.version
                } else {
                    o.last_version
                };
                self.timelines.keep(id, complete_to, timeline.events);
                Ok(())
            }
            Err(StoreError::VersionConflict { actual, .. }) => Err(DeskError::VersionConflict {
                number,
                expected: loaded.version,
                actual,
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// A compliance report over the stored clocks of the records of `kind`
    /// that `filter` selects (a group, an assignee, a priority, a state,
    /// a CI, or all), counting the cycles that started in `[from, to)`;
    /// `definition`, when given, keeps only that SLA's clocks.
    ///
    /// The clocks are as stored: evaluated at each record's last command or
    /// tick. Tick first (`tick(to)`) for a report that counts the breaches
    /// that fell due since.
    ///
    /// # Errors
    /// The store's errors.
    pub fn compliance(
        &mut self,
        kind: RecordKind,
        filter: itsm_store::RecordFilter,
        definition: Option<&str>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<ComplianceReport> {
        let mut evaluations = Vec::new();
        let mut query = RecordQuery::new(kind, filter, 1_000);
        loop {
            let page = self.store.query(&query)?;
            for r in &page.records {
                for clock in self.store.clocks(r.record.stream_id())? {
                    if definition.is_some_and(|d| d != clock.evaluation.definition) {
                        continue;
                    }
                    let mut e = clock.evaluation;
                    e.cycles.retain(|c| c.start >= from && c.start < to);
                    evaluations.push(e);
                }
            }
            match page.next {
                Some(next) => query = query.after(next),
                None => break,
            }
        }
        Ok(ComplianceReport::from_evaluations(&evaluations))
    }

    /// Replays every stream and compares it with the projections.
    ///
    /// # Errors
    /// The store's errors.
    pub fn check(&mut self) -> Result<CheckReport> {
        Ok(self.store.check(&DocumentProjector)?)
    }

    /// Every event after `after`, in position order, up to `limit`: the
    /// export, page by page.
    ///
    /// # Errors
    /// The store's errors.
    pub fn export_page(&mut self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>> {
        Ok(self.store.read_all(after, limit)?)
    }

    /// Replays exported events into this (empty) database, in position
    /// order, verifying that each lands at its exported version and
    /// position; the projections are rebuilt from the events and the clocks
    /// evaluated again at `now`.
    ///
    /// # Errors
    /// [`DeskError::Refused`] when the database is not empty or an event
    /// does not land where it was exported, and the store's errors.
    pub fn import(
        &mut self,
        events: impl IntoIterator<Item = RecordedEvent>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let refuse = |message: String| DeskError::Refused {
            number: "import".to_owned(),
            message,
        };
        if self.store.head()? != 0 {
            return Err(refuse("import needs an empty database".to_owned()));
        }
        let mut count = 0;
        let mut versions: HashMap<StreamId, u64> = HashMap::new();
        for event in events {
            let version = versions.entry(event.stream_id).or_insert(0);
            let request = AppendRequest::events(
                event.stream_id,
                event.stream_kind.clone(),
                ExpectedVersion::Exact(*version),
                vec![NewEvent {
                    event_id: event.event_id,
                    event_type: event.event_type.clone(),
                    schema_version: event.schema_version,
                    occurred_at: event.occurred_at,
                    actor: event.actor,
                    correlation_id: event.correlation_id.clone(),
                    causation_id: event.causation_id,
                    payload: event.payload.clone(),
                }],
            );
            let o = self.store.append(&request)?;
            if o.first_version != event.version || o.first_position != event.position {
                return Err(refuse(format!(
                    "event {} landed at version {} position {}, exported at version {} position {}",
                    event.event_id,
                    o.first_version,
                    o.first_position,
                    event.version,
                    event.position
                )));
            }
            *version = o.last_version;
            count += 1;
        }
        self.store.rebuild(&DocumentProjector)?;
        let mut after = None;
        loop {
            let page = self.store.streams(after, 1_000)?;
            let Some(last) = page.last() else { break };
            after = Some(last.stream);
            for info in page {
                if let Some(loaded) = self.load_id(info.stream)? {
                    let timeline = Timeline {
                        events: loaded.timeline,
                    };
                    let clocks = self.clocks(&loaded.record, &timeline, now)?;
                    self.store.put_clocks(info.stream, &info.kind, &clocks)?;
                }
            }
        }
        Ok(count)
    }
}

/// Whether a change is implemented (in review or closed).
fn implemented(state: ChangeState) -> bool {
    matches!(state, ChangeState::Review | ChangeState::Closed)
}

/// The numbers of an incident's children, as `link` records them.
fn children(incident: &Incident) -> Vec<String> {
    match incident.extensions.get("child_incidents") {
        Some(FieldValue::Array(items)) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    }
}

trait Active {
    fn category_is_active(&self) -> bool;
}

impl Active for Incident {
    fn category_is_active(&self) -> bool {
        itsm_core::RecordState::category(self.state).is_active()
    }
}
