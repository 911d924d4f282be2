//! [`WorkflowKey`], [`StateKey`] and [`EventKey`]: what the engine needs of a
//! state or an event, implemented for the typed ITIL enums and for `String`.

use std::borrow::Cow;
use std::fmt::Debug;
use std::hash::Hash;

use itsm_core::{
    AssetState, ChangeState, IncidentState, KnowledgeState, KnownErrorState, MajorIncidentState,
    ProblemState, RecordState, ReleaseState, ServiceRequestState, StateCategory, TaskState,
};
use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A state or event key: comparable, hashable, with a `snake_case` wire name.
///
/// Typed enums also give a small [`ordinal`](WorkflowKey::ordinal), which lets
/// the compiled workflow find a key with one array lookup instead of a hash.
pub trait WorkflowKey:
    Clone + Eq + Hash + Debug + Serialize + DeserializeOwned + JsonSchema + Send + Sync + 'static
{
    /// The key's wire name, as written in JSON, diagrams and timelines.
    fn wire_name(&self) -> Cow<'_, str>;

    /// A small dense number unique to this key within its type (the variant
    /// index of an enum); `None` for open-ended keys such as `String`.
    fn ordinal(&self) -> Option<usize> {
        None
    }
}

/// A key naming a state.
pub trait StateKey: WorkflowKey {
    /// The category the key's type fixes for it (the typed ITIL states have
    /// one); `None` when the workflow definition alone decides it.
    fn intrinsic_category(&self) -> Option<StateCategory> {
        None
    }
}

/// A key naming an event (what a user or an integration does to a record).
pub trait EventKey: WorkflowKey {}

impl WorkflowKey for String {
    fn wire_name(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl StateKey for String {}
impl EventKey for String {}

macro_rules! core_state_key {
    ($($ty:ident { $($variant:ident),+ $(,)? })+) => {$(
        impl WorkflowKey for $ty {
            fn wire_name(&self) -> Cow<'_, str> {
                Cow::Borrowed(RecordState::name(*self))
            }

            fn ordinal(&self) -> Option<usize> {
                let mut i = 0usize;
                $(
                    if *self == $ty::$variant {
                        return Some(i);
                    }
                    i += 1;
                )+
                let _ = i;
                None
            }
        }

        impl StateKey for $ty {
            fn intrinsic_category(&self) -> Option<StateCategory> {
                Some(RecordState::category(*self))
            }
        }
    )+};
}

core_state_key! {
    IncidentState { New, InProgress, OnHold, Resolved, Closed, Canceled }
    MajorIncidentState { Proposed, Accepted, Rejected, Canceled }
    ProblemState { New, Assess, RootCauseAnalysis, FixInProgress, Resolved, Closed }
    ChangeState { New, Assess, Authorize, Scheduled, Implement, Review, Closed, Canceled }
    ReleaseState { Planning, Build, Test, Deploy, Review, Closed, Canceled }
    ServiceRequestState { Submitted, AwaitingApproval, Approved, Rejected, Fulfilment, ClosedComplete, ClosedIncomplete }
    KnownErrorState { Open, Fixed, Retired }
    KnowledgeState { Draft, Review, Published, Retired }
    TaskState { Pending, Open, WorkInProgress, OnHold, ClosedComplete, ClosedIncomplete, ClosedSkipped }
    AssetState { OnOrder, InStock, InUse, InMaintenance, Retired, Disposed }
}
