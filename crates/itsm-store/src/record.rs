//! Records as the projection keeps them, and the queries over them.

use chrono::{DateTime, Utc};
use itsm_core::{
    Change, CiId, GroupId, Incident, KnowledgeArticle, KnownError, PersonId, Priority, Problem,
    RecordKind, RecordNumber, RecordState, Release, RequestItem, ServiceRequest, StateCategory,
    Task,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::model::{StreamId, StreamKind, to_nanos};

/// Any ITIL record of `itsm-core`, tagged with its kind: what a projection
/// holds as a record's current state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", content = "record", rename_all = "snake_case")]
#[non_exhaustive]
#[allow(clippy::large_enum_variant)] // plain data, moved rarely; boxing would cost every reader
pub enum Record {
    /// An incident.
    Incident(Incident),
    /// A problem.
    Problem(Problem),
    /// A known error.
    KnownError(KnownError),
    /// A change.
    Change(Change),
    /// A release.
    Release(Release),
    /// A service request.
    ServiceRequest(ServiceRequest),
    /// A knowledge article.
    KnowledgeArticle(KnowledgeArticle),
    /// A request item.
    RequestItem(RequestItem),
    /// A task.
    Task(Task),
}

/// The sort rank of "no priority": after P6.
pub const NO_PRIORITY_RANK: u8 = 9;

macro_rules! each_record {
    ($self:expr, $r:ident => $body:expr) => {
        match $self {
            Record::Incident($r) => $body,
            Record::Problem($r) => $body,
            Record::KnownError($r) => $body,
            Record::Change($r) => $body,
            Record::Release($r) => $body,
            Record::ServiceRequest($r) => $body,
            Record::KnowledgeArticle($r) => $body,
            Record::RequestItem($r) => $body,
            Record::Task($r) => $body,
        }
    };
}

impl Record {
    /// The record's kind.
    #[must_use]
    pub const fn kind(&self) -> RecordKind {
        match self {
            Self::Incident(_) => RecordKind::Incident,
            Self::Problem(_) => RecordKind::Problem,
            Self::KnownError(_) => RecordKind::KnownError,
            Self::Change(_) => RecordKind::Change,
            Self::Release(_) => RecordKind::Release,
            Self::ServiceRequest(_) => RecordKind::ServiceRequest,
            Self::KnowledgeArticle(_) => RecordKind::KnowledgeArticle,
            Self::RequestItem(_) => RecordKind::RequestItem,
            Self::Task(_) => RecordKind::Task,
        }
    }

    /// Its id, as a stream id.
    #[must_use]
    pub fn stream_id(&self) -> StreamId {
        each_record!(self, r => StreamId::from(r.id))
    }

    /// Its custom fields.
    #[must_use]
    pub fn extensions(&self) -> &itsm_core::Extensions {
        each_record!(self, r => &r.extensions)
    }

    /// Its human number.
    #[must_use]
    pub fn number(&self) -> &RecordNumber {
        each_record!(self, r => &r.number)
    }

    /// Its state's wire name.
    #[must_use]
    pub fn state_name(&self) -> &'static str {
        each_record!(self, r => r.state.name())
    }

    /// Its state's category.
    #[must_use]
    pub fn category(&self) -> StateCategory {
        each_record!(self, r => r.state.category())
    }

    /// Its priority, for the kinds that have one.
    #[must_use]
    pub fn priority(&self) -> Option<Priority> {
        match self {
            Self::Incident(r) => Some(r.priority),
            Self::Problem(r) => Some(r.priority),
            Self::Change(r) => r.priority,
            Self::ServiceRequest(r) => r.priority,
            Self::KnownError(_)
            | Self::Release(_)
            | Self::KnowledgeArticle(_)
            | Self::RequestItem(_)
            | Self::Task(_) => None,
        }
    }

    /// Its assignment group.
    #[must_use]
    pub fn assignment_group(&self) -> Option<GroupId> {
        match self {
            Self::Incident(r) => r.assignment_group,
            Self::Problem(r) => r.assignment_group,
            Self::Change(r) => r.assignment_group,
            Self::ServiceRequest(r) => r.assignment_group,
            Self::RequestItem(r) => r.assignment_group,
            Self::Task(r) => r.assignment_group,
            Self::KnownError(_) | Self::Release(_) | Self::KnowledgeArticle(_) => None,
        }
    }

    /// The person it is assigned to (a release's manager, an article's author).
    #[must_use]
    pub fn assignee(&self) -> Option<PersonId> {
        match self {
            Self::Incident(r) => r.assigned_to,
            Self::Problem(r) => r.assigned_to,
            Self::Change(r) => r.assigned_to,
            Self::ServiceRequest(r) => r.assigned_to,
            Self::Release(r) => r.manager,
            Self::KnowledgeArticle(r) => Some(r.author),
            Self::RequestItem(r) => r.assigned_to,
            Self::Task(r) => r.assigned_to,
            Self::KnownError(_) => None,
        }
    }

    /// The configuration items it affects.
    #[must_use]
    pub fn configuration_items(&self) -> &[CiId] {
        match self {
            Self::Incident(r) => &r.configuration_items,
            Self::Problem(r) => &r.configuration_items,
            Self::KnownError(r) => &r.configuration_items,
            Self::Change(r) => &r.configuration_items,
            Self::Release(r) => &r.configuration_items,
            Self::ServiceRequest(_)
            | Self::KnowledgeArticle(_)
            | Self::RequestItem(_)
            | Self::Task(_) => &[],
        }
    }

    /// When it was opened (created).
    #[must_use]
    pub fn opened_at(&self) -> DateTime<Utc> {
        match self {
            Self::Incident(r) => r.opened_at,
            Self::Problem(r) => r.opened_at,
            Self::Change(r) => r.opened_at,
            Self::Release(r) => r.opened_at,
            Self::ServiceRequest(r) => r.opened_at,
            Self::KnownError(r) => r.created_at,
            Self::KnowledgeArticle(r) => r.created_at,
            Self::RequestItem(r) => r.opened_at,
            Self::Task(r) => r.opened_at,
        }
    }
}

/// The columns a projection row is indexed by, and its JSON: what a backend
/// writes for a [`Record`]. Computed once, by [`ProjectionRow::of`].
#[derive(Clone, Debug, PartialEq)]
pub struct ProjectionRow {
    /// The record's id (the stream's).
    pub id: StreamId,
    /// Its kind.
    pub kind: StreamKind,
    /// Its number.
    pub number: String,
    /// Its state's wire name.
    pub state: String,
    /// Its state category's wire name.
    pub category: String,
    /// Its priority rank: 1 for P1 … 6 for P6, [`NO_PRIORITY_RANK`] without one.
    pub priority_rank: u8,
    /// Its assignment group.
    pub assignment_group: Option<GroupId>,
    /// Its assignee.
    pub assignee: Option<PersonId>,
    /// Whether it is still active (new, open or paused).
    pub is_open: bool,
    /// When it was opened, in nanoseconds since the epoch.
    pub opened_at_nanos: i64,
    /// Its configuration items, each once.
    pub cis: Vec<CiId>,
    /// The record's JSON (the bare record, without the kind tag).
    pub doc: String,
}

impl ProjectionRow {
    /// The row of a record.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when the record cannot be serialised or its
    /// opening instant is outside the store's range.
    pub fn of(record: &Record) -> Result<Self> {
        let doc = each_record!(record, r => serde_json::to_string(r))
            .map_err(|e| StoreError::invalid("projection", vec![e.to_string()]))?;
        let mut cis = record.configuration_items().to_vec();
        cis.sort_unstable();
        cis.dedup();
        Ok(Self {
            id: record.stream_id(),
            kind: StreamKind::from(record.kind()),
            number: record.number().to_string(),
            state: record.state_name().to_owned(),
            category: record.category().to_string(),
            priority_rank: record.priority().map_or(NO_PRIORITY_RANK, Priority::rank),
            assignment_group: record.assignment_group(),
            assignee: record.assignee(),
            is_open: record.category().is_active(),
            opened_at_nanos: to_nanos(record.opened_at(), "projection opened_at")?,
            cis,
            doc,
        })
    }
}

/// Decodes a projection's JSON as a record of a kind.
pub(crate) fn decode_record(kind: &StreamKind, doc: &str, at: &str) -> Result<Record> {
    fn parse<T: serde::de::DeserializeOwned>(doc: &str, at: &str, kind: &str) -> Result<T> {
        itsm_core::from_json(doc).map_err(|e| StoreError::CorruptPayload {
            at: at.to_owned(),
            event_type: format!("{kind} projection"),
            path: match &e {
                itsm_core::CoreError::Json { path, .. } => path.clone(),
                _ => ".".to_owned(),
            },
            message: e.to_string(),
        })
    }
    let k = kind.as_str();
    Ok(match k {
        "incident" => Record::Incident(parse(doc, at, k)?),
        "problem" => Record::Problem(parse(doc, at, k)?),
        "known_error" => Record::KnownError(parse(doc, at, k)?),
        "change" => Record::Change(parse(doc, at, k)?),
        "release" => Record::Release(parse(doc, at, k)?),
        "service_request" => Record::ServiceRequest(parse(doc, at, k)?),
        "knowledge_article" => Record::KnowledgeArticle(parse(doc, at, k)?),
        "request_item" => Record::RequestItem(parse(doc, at, k)?),
        "task" => Record::Task(parse(doc, at, k)?),
        other => {
            return Err(StoreError::invalid(
                format!("projection at {at}"),
                vec![format!("stream kind {other:?} has no record type")],
            ));
        }
    })
}

/// A record as the projection holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StoredRecord {
    /// The record.
    pub record: Record,
    /// Its stream's version when this state was written.
    pub version: u64,
    /// When the store wrote this state.
    pub updated_at: DateTime<Utc>,
}

/// The one dimension a record query selects on. Each is served by an index
/// whose order is the page order: priority (P1 first, records without a
/// priority last), then id (UUID v7 ids: oldest first).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RecordFilter {
    /// Every record of the kind.
    All,
    /// Records in a state (its wire name).
    State(String),
    /// Records in a state category.
    Category(StateCategory),
    /// Records of an assignment group.
    Group(GroupId),
    /// Records of an assignee.
    Assignee(PersonId),
    /// Records of a priority.
    Priority(Priority),
    /// Records that affect a configuration item.
    Ci(CiId),
}

/// Where a page starts: after the last row of the previous page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PageCursor {
    /// The last row's priority rank.
    pub priority_rank: u8,
    /// The last row's id.
    pub id: StreamId,
}

/// A paged query over the projection.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RecordQuery {
    /// The record kind.
    pub kind: StreamKind,
    /// The dimension selected on.
    pub filter: RecordFilter,
    /// Only records still active (new, open or paused).
    #[serde(default)]
    pub open_only: bool,
    /// Start after this row; `None` for the first page.
    #[serde(default)]
    pub after: Option<PageCursor>,
    /// The page size, 1 to [`MAX_PAGE`].
    pub limit: u32,
}

/// The largest page a query returns.
pub const MAX_PAGE: u32 = 10_000;

impl RecordQuery {
    /// The first page of `limit` records of `kind` selected by `filter`.
    #[must_use]
    pub fn new(kind: impl Into<StreamKind>, filter: RecordFilter, limit: u32) -> Self {
        Self {
            kind: kind.into(),
            filter,
            open_only: false,
            after: None,
            limit,
        }
    }

    /// Only active records.
    #[must_use]
    pub fn open(mut self) -> Self {
        self.open_only = true;
        self
    }

    /// The page after `cursor`.
    #[must_use]
    pub fn after(mut self, cursor: PageCursor) -> Self {
        self.after = Some(cursor);
        self
    }

    pub(crate) fn check(&self) -> Result<()> {
        if self.limit == 0 || self.limit > MAX_PAGE {
            return Err(StoreError::invalid(
                "record query",
                vec![format!(
                    "limit {} is not between 1 and {MAX_PAGE}",
                    self.limit
                )],
            ));
        }
        Ok(())
    }
}

/// One page of a query.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RecordPage {
    /// The records, in page order.
    pub records: Vec<StoredRecord>,
    /// Where the next page starts; `None` when this page is the last.
    pub next: Option<PageCursor>,
}
