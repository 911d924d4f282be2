//! Commands as data, and batches of them written in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use itsm_core::{
    ApprovalDecision, CiId, CommentVisibility, GroupId, PersonId, RecordNumber, TimelineEvent,
};
use itsm_lifecycle::Input;
use itsm_store::{AppendRequest, ExpectedVersion, Record, StreamId};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::desk::Ctx;

/// The most commands one batch may hold.
pub const MAX_BATCH_COMMANDS: usize = 1_000;

/// One command of the desk, as data: what [`Desk::run`](crate::Desk::run)
/// and [`Desk::batch`](crate::Desk::batch) take, and what a product queues
/// or an integration sends.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Command {
    /// Open a record ([`Desk::open_record`](crate::Desk::open_record)).
    Open {
        /// The record, in its initial state (boxed: a change is large).
        record: Box<Record>,
    },
    /// Apply a workflow event ([`Desk::apply`](crate::Desk::apply)).
    Apply {
        /// The record.
        number: RecordNumber,
        /// The event's wire name (`resolve`, `major_accept`).
        event: String,
        /// Its reason and fields.
        #[serde(default)]
        input: Input,
    },
    /// Set fields without an event ([`Desk::update`](crate::Desk::update)).
    Update {
        /// The record.
        number: RecordNumber,
        /// The fields.
        input: Input,
    },
    /// Assign ([`Desk::assign`](crate::Desk::assign)).
    Assign {
        /// The record.
        number: RecordNumber,
        /// The group.
        #[serde(default)]
        group: Option<GroupId>,
        /// The person.
        #[serde(default)]
        person: Option<PersonId>,
    },
    /// A comment or a work note ([`Desk::comment`](crate::Desk::comment)).
    Comment {
        /// The record.
        number: RecordNumber,
        /// Public comment or work note.
        visibility: CommentVisibility,
        /// The text.
        text: String,
    },
    /// Link two records ([`Desk::link`](crate::Desk::link)).
    Link {
        /// The first record.
        a: RecordNumber,
        /// The second record.
        b: RecordNumber,
    },
    /// Attach CIs ([`Desk::attach_cis`](crate::Desk::attach_cis)).
    AttachCis {
        /// The record.
        number: RecordNumber,
        /// The CIs.
        cis: Vec<CiId>,
    },
    /// Ask for approvals ([`Desk::request_approvals`](crate::Desk::request_approvals)).
    RequestApprovals {
        /// The record.
        number: RecordNumber,
        /// The approvers.
        approvers: Vec<PersonId>,
        /// The group they approve for.
        #[serde(default)]
        group: Option<GroupId>,
    },
    /// An approver's decision ([`Desk::decide`](crate::Desk::decide)).
    Decide {
        /// The record.
        number: RecordNumber,
        /// The approver.
        approver: PersonId,
        /// Approved or rejected.
        decision: ApprovalDecision,
        /// Why.
        #[serde(default)]
        comment: Option<String>,
    },
}

/// A command with who gives it, when, and the version it expects: one line
/// of `itsm desk batch`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandAt {
    /// The command.
    pub command: Command,
    /// The domain instant.
    pub at: DateTime<Utc>,
    /// Who; absent for the system.
    #[serde(default)]
    pub actor: Option<PersonId>,
    /// The version the sender read; the command is refused if the record
    /// moved on.
    #[serde(default)]
    pub expected_version: Option<u64>,
}

impl CommandAt {
    /// The command's context.
    #[must_use]
    pub fn ctx(&self) -> Ctx {
        Ctx {
            actor: self.actor,
            at: self.at,
            expected_version: self.expected_version,
        }
    }
}

/// What a batch has written so far: the merged writes, one per stream, and
/// each record as the batch left it, which the batch's later commands load.
#[derive(Default)]
pub(crate) struct BatchWrites {
    pub writes: Vec<AppendRequest>,
    by_stream: HashMap<StreamId, usize>,
    pub records: HashMap<StreamId, (Record, u64, Vec<TimelineEvent>)>,
    numbers: HashMap<RecordNumber, StreamId>,
}

impl BatchWrites {
    /// The record `number` as the batch left it.
    pub fn by_number(&self, number: &RecordNumber) -> Option<&(Record, u64, Vec<TimelineEvent>)> {
        self.numbers.get(number).and_then(|id| self.records.get(id))
    }

    /// Adds one record's write: its events follow the batch's earlier ones
    /// on that stream, its projection and clocks replace theirs. Returns the
    /// record's version after it.
    pub fn add(
        &mut self,
        request: AppendRequest,
        record: Record,
        timeline: Vec<TimelineEvent>,
    ) -> u64 {
        let stream = request.stream;
        let count = request.events.len() as u64;
        let base = match request.expected {
            ExpectedVersion::Exact(v) => v,
            _ => 0,
        };
        let version = base + count;
        match self.by_stream.get(&stream) {
            Some(&i) => {
                let merged = &mut self.writes[i];
                merged.events.extend(request.events);
                merged.projection = request.projection;
                merged.clocks = request.clocks;
            }
            None => {
                self.by_stream.insert(stream, self.writes.len());
                self.writes.push(request);
            }
        }
        self.numbers.insert(*record.number(), stream);
        self.records.insert(stream, (record, version, timeline));
        version
    }
}
