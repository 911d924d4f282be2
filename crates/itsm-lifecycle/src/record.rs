//! [`Record`]: what the typed path needs of an ITIL record, implemented for
//! the eight records of `itsm-core` that have a lifecycle.

use std::fmt::Debug;

use itsm_core::{
    Change, ChangeState, ChangeType, Incident, IncidentState, KnowledgeArticle, KnowledgeState,
    KnownError, KnownErrorState, Problem, ProblemState, RecordKind, RecordNumber, RecordState,
    Release, ReleaseState, RequestItem, ServiceRequest, ServiceRequestState, Task, TaskState,
    Validate,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::key::{EventKey, StateKey};
use crate::{
    ChangeEvent, IncidentEvent, KnowledgeEvent, KnownErrorEvent, LifecycleError, ProblemEvent,
    ReleaseEvent, ServiceRequestEvent, TaskEvent, WorkflowDefinition, change_flow,
    check_change_type_change, check_standard_change_edit, incident_flow, knowledge_flow,
    known_error_flow, problem_flow, release_flow, service_request_flow, task_flow,
};

pub(crate) mod sealed {
    /// Only the records of `itsm-core` are [`Record`](super::Record)s: the
    /// trait may gain methods without a major version.
    pub trait Sealed {}
}

/// An ITIL record that [`Lifecycle`](crate::Lifecycle) moves: incident,
/// problem, known error, change, release, service request, knowledge
/// article, task.
///
/// Sealed: implemented for the records of `itsm-core` only. Fields are
/// reached by their JSON key, so the same interpreter serves every record.
pub trait Record:
    sealed::Sealed + Clone + PartialEq + Debug + Serialize + DeserializeOwned + Validate
{
    /// The record's typed state.
    type State: StateKey + RecordState;
    /// The events of the record's default flow.
    type Event: EventKey + Copy;
    /// The kind named in the `created` timeline event.
    const KIND: RecordKind;
    /// The JSON key of the instant the record was opened
    /// (`opened_at`, or `created_at` for known errors and articles).
    const OPENED_AT: &'static str;
    /// Whether a record names the workflow it follows
    /// ([`flow_name`](Record::flow_name)): a lifecycle of such records takes
    /// any number of workflows (at least one), told apart by name.
    const NAMED_FLOWS: bool = false;
    /// The keys fixed when the record is opened, which no edit may change.
    const FIXED: &'static [&'static str];
    /// The JSON key of the person who asks for the record's approval, whom
    /// separation of duties keeps from approving it: `requested_by` (changes
    /// and service requests), `author` for knowledge articles.
    const REQUESTER: &'static str = "requested_by";

    /// The record's state.
    fn state(&self) -> Self::State;

    /// The record's human-readable number, for messages.
    fn number(&self) -> &RecordNumber;

    /// The ITIL default flows of this kind of record; most kinds have one,
    /// changes have one per change type (standard, normal, emergency).
    fn flows() -> Vec<WorkflowDefinition<Self::State, Self::Event>>;

    /// Which of [`flows`](Record::flows) this record follows.
    fn flow_index(&self) -> usize {
        0
    }

    /// The name of the workflow this record follows, when it names one (a
    /// request item, its catalog item's fulfilment workflow): the
    /// lifecycle's workflow of that name, and an error when it has none.
    /// `None` (every other record): [`flow_index`](Record::flow_index).
    fn flow_name(&self) -> Option<&str> {
        None
    }

    /// Checks an edit that the generic rules cannot: a change may change
    /// its type only while new and without approvals.
    ///
    /// # Errors
    /// The rule's error.
    fn check_edit(&self, _edited: &Self) -> Result<(), LifecycleError> {
        Ok(())
    }
}

macro_rules! record {
    ($ty:ident, $state:ty, $event:ty, $kind:ident, $opened:literal, $flows:expr) => {
        impl sealed::Sealed for $ty {}

        impl Record for $ty {
            type State = $state;
            type Event = $event;
            const KIND: RecordKind = RecordKind::$kind;
            const OPENED_AT: &'static str = $opened;
            const FIXED: &'static [&'static str] = &["id", "number", $opened];

            fn state(&self) -> $state {
                self.state
            }

            fn number(&self) -> &RecordNumber {
                &self.number
            }

            fn flows() -> Vec<WorkflowDefinition<$state, $event>> {
                $flows
            }

            record!(@extra $ty);
        }
    };
    (@extra Change) => {
        fn flow_index(&self) -> usize {
            change_flow_index(self.change_type)
        }

        fn check_edit(&self, edited: &Self) -> Result<(), LifecycleError> {
            check_change_type_change(self, edited.change_type)?;
            check_standard_change_edit(self, edited)
        }
    };
    (@extra KnowledgeArticle) => {
        const REQUESTER: &'static str = "author";
    };
    (@extra RequestItem) => {
        const NAMED_FLOWS: bool = true;

        fn flow_name(&self) -> Option<&str> {
            self.workflow.as_deref()
        }

        fn check_edit(&self, edited: &Self) -> Result<(), LifecycleError> {
            // What was ordered stays as ordered: the catalog item, its
            // answers (checked when ordered), the request, the workflow.
            let changed = [
                ("catalog_item", self.catalog_item != edited.catalog_item),
                ("request", self.request != edited.request),
                ("variables", self.variables != edited.variables),
                ("workflow", self.workflow != edited.workflow),
            ];
            match changed.iter().find(|(_, c)| *c) {
                Some((field, _)) => Err(LifecycleError::InvalidEdit {
                    record: self.number.to_string(),
                    field: (*field).to_owned(),
                    reason: "a request item keeps what was ordered; order again to change it"
                        .to_owned(),
                }),
                None => Ok(()),
            }
        }
    };
    (@extra Task) => {
        fn check_edit(&self, edited: &Self) -> Result<(), LifecycleError> {
            if self.parent == edited.parent {
                Ok(())
            } else {
                Err(LifecycleError::InvalidEdit {
                    record: self.number.to_string(),
                    field: "parent".to_owned(),
                    reason: "a task stays with the record it was opened for".to_owned(),
                })
            }
        }
    };
    (@extra $ty:ty) => {};
}

/// The change types, in the order of `Change`'s flows.
const CHANGE_TYPES: [ChangeType; 3] = [
    ChangeType::Standard,
    ChangeType::Normal,
    ChangeType::Emergency,
];

fn change_flow_index(change_type: ChangeType) -> usize {
    CHANGE_TYPES
        .iter()
        .position(|t| *t == change_type)
        .unwrap_or(1)
}

record!(
    Incident,
    IncidentState,
    IncidentEvent,
    Incident,
    "opened_at",
    vec![incident_flow()]
);
record!(
    Problem,
    ProblemState,
    ProblemEvent,
    Problem,
    "opened_at",
    vec![problem_flow()]
);
record!(
    KnownError,
    KnownErrorState,
    KnownErrorEvent,
    KnownError,
    "created_at",
    vec![known_error_flow()]
);
record!(
    Change,
    ChangeState,
    ChangeEvent,
    Change,
    "opened_at",
    CHANGE_TYPES.iter().map(|t| change_flow(*t)).collect()
);
record!(
    Release,
    ReleaseState,
    ReleaseEvent,
    Release,
    "opened_at",
    vec![release_flow()]
);
record!(
    ServiceRequest,
    ServiceRequestState,
    ServiceRequestEvent,
    ServiceRequest,
    "opened_at",
    vec![service_request_flow()]
);
record!(
    RequestItem,
    ServiceRequestState,
    ServiceRequestEvent,
    RequestItem,
    "opened_at",
    vec![service_request_flow()]
);
record!(
    KnowledgeArticle,
    KnowledgeState,
    KnowledgeEvent,
    KnowledgeArticle,
    "created_at",
    vec![knowledge_flow()]
);
record!(
    Task,
    TaskState,
    TaskEvent,
    Task,
    "opened_at",
    vec![task_flow()]
);
