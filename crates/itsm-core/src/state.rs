//! State enums of every record kind, and the [`StateCategory`] each state belongs to.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a state means, whatever the workflow: lets the SLA and reporting code
/// reason about "paused" or "resolved" without knowing a workflow's states.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum StateCategory {
    /// Recorded, not yet worked on.
    New,
    /// Being worked on.
    Open,
    /// Waiting on someone outside the assignee's control; SLA clocks usually pause.
    Paused,
    /// The work is done and awaits confirmation or closure.
    Resolved,
    /// Finished; no further work.
    Closed,
    /// Abandoned before completion. Read also from the British spelling
    /// `cancelled`.
    #[serde(alias = "cancelled")]
    Canceled,
}

crate::wire::impl_from_str!(StateCategory => "StateCategory");

impl StateCategory {
    /// Whether a record in this category is still active (new, open or paused).
    #[must_use]
    pub const fn is_active(self) -> bool {
        matches!(self, Self::New | Self::Open | Self::Paused)
    }

    /// Whether a record in this category is finished (closed or cancelled).
    #[must_use]
    pub const fn is_final(self) -> bool {
        matches!(self, Self::Closed | Self::Canceled)
    }
}

/// A record state that knows its category and its wire name.
pub trait RecordState: Copy + Eq + std::fmt::Debug + 'static {
    /// Every state of this kind, in workflow order.
    const ALL: &'static [Self];

    /// The category of this state.
    fn category(self) -> StateCategory;

    /// The `snake_case` wire name of this state.
    fn name(self) -> &'static str;
}

macro_rules! states {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident => $category:ident ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            strum::Display, strum::EnumIter, strum::AsRefStr, strum::IntoStaticStr,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        crate::wire::impl_from_str!($name => stringify!($name));

        impl RecordState for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];

            fn category(self) -> StateCategory {
                match self {
                    $(Self::$variant => StateCategory::$category,)+
                }
            }

            fn name(self) -> &'static str {
                self.into()
            }
        }
    };
}

states!(
    /// The state of an [`Incident`](crate::Incident) (ServiceNow's incident states).
    IncidentState {
        /// Logged, not yet worked on.
        New => New,
        /// Assigned and being worked on.
        InProgress => Open,
        /// Waiting; the incident's [`OnHoldReason`] says for what.
        OnHold => Paused,
        /// Service restored; awaiting confirmation or auto-close.
        Resolved => Resolved,
        /// Closed; final.
        Closed => Closed,
        /// Cancelled (raised in error, a duplicate); final.
        Canceled => Canceled,
    }
);

states!(
    /// The state of a [`Problem`](crate::Problem).
    ProblemState {
        /// Logged, not yet assessed.
        New => New,
        /// Being assessed and prioritised.
        Assess => Open,
        /// The root cause is being investigated.
        RootCauseAnalysis => Open,
        /// A fix is being built or delivered (usually through a change).
        FixInProgress => Open,
        /// Resolved with a [`ProblemResolutionCode`].
        Resolved => Resolved,
        /// Closed; may be re-analysed by an authorised role.
        Closed => Closed,
    }
);

states!(
    /// The state of a [`KnownError`](crate::KnownError).
    KnownErrorState {
        /// Recorded with a root cause and a workaround; the fix is pending.
        Open => Open,
        /// The permanent fix is in place.
        Fixed => Resolved,
        /// No longer relevant (the affected component is gone).
        Retired => Closed,
    }
);

states!(
    /// The state of a [`KnowledgeArticle`](crate::KnowledgeArticle).
    KnowledgeState {
        /// Being written.
        Draft => New,
        /// Being reviewed before publication.
        Review => Open,
        /// Published and visible to its audience; the authoring work is done.
        Published => Resolved,
        /// Withdrawn.
        Retired => Closed,
    }
);

states!(
    /// The state of a [`Change`](crate::Change) (ServiceNow's change states).
    ChangeState {
        /// Being drafted.
        New => New,
        /// Being assessed by the technical reviewers.
        Assess => Open,
        /// Awaiting authorisation by the change authority (CAB).
        Authorize => Open,
        /// Authorised and scheduled.
        Scheduled => Open,
        /// Being implemented.
        Implement => Open,
        /// Implemented; the outcome is being reviewed.
        Review => Resolved,
        /// Closed; final.
        Closed => Closed,
        /// Cancelled; final.
        Canceled => Canceled,
    }
);

states!(
    /// The state of a [`Release`](crate::Release).
    ReleaseState {
        /// Scope and schedule are being planned.
        Planning => New,
        /// The release package is being built.
        Build => Open,
        /// The release is being tested.
        Test => Open,
        /// The release is being deployed.
        Deploy => Open,
        /// Deployed; under review.
        Review => Resolved,
        /// Closed; final.
        Closed => Closed,
        /// Cancelled before deployment; final.
        Canceled => Canceled,
    }
);

states!(
    /// The state of a [`ServiceRequest`](crate::ServiceRequest).
    ServiceRequestState {
        /// Submitted by the requester.
        Submitted => New,
        /// Waiting for the approvers.
        AwaitingApproval => Open,
        /// Approved; fulfilment may start.
        Approved => Open,
        /// Rejected by an approver; final.
        Rejected => Canceled,
        /// Being fulfilled.
        Fulfilment => Open,
        /// Fulfilled; final.
        ClosedComplete => Closed,
        /// Closed without complete fulfilment; final.
        ClosedIncomplete => Closed,
    }
);

states!(
    /// The major-incident state of an incident (ServiceNow's major incident
    /// management): a field of its own beside the incident state.
    MajorIncidentState {
        /// Proposed as a major incident, awaiting the major incident manager.
        Proposed => Open,
        /// Accepted: handled as a major incident.
        Accepted => Open,
        /// Rejected: handled as an ordinary incident.
        Rejected => Closed,
        /// Cancelled with the incident.
        Canceled => Canceled,
    }
);

states!(
    /// The state of a [`Task`](crate::Task) (ServiceNow's task states).
    TaskState {
        /// Waiting for an earlier task or for its parent to reach the stage
        /// that starts it; not yet workable.
        Pending => New,
        /// Ready to be worked on.
        Open => New,
        /// Being worked on.
        WorkInProgress => Open,
        /// Waiting on someone outside the assignee's control.
        OnHold => Paused,
        /// Done; final.
        ClosedComplete => Closed,
        /// Ended without the work done; final.
        ClosedIncomplete => Closed,
        /// Not needed after all; final.
        ClosedSkipped => Canceled,
    }
);

macro_rules! plain_enum {
    (
        $(#[$doc:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident ),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, schemars::JsonSchema,
            strum::Display, strum::EnumIter, strum::AsRefStr, strum::IntoStaticStr,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )+
        }

        crate::wire::impl_from_str!($name => stringify!($name));
    };
}
pub(crate) use plain_enum;

plain_enum!(
    /// Why an incident is on hold.
    OnHoldReason {
        /// Waiting for the caller to answer.
        AwaitingCaller,
        /// Waiting for a change to be implemented.
        AwaitingChange,
        /// Waiting for a problem to be resolved.
        AwaitingProblem,
        /// Waiting for a vendor or supplier.
        AwaitingVendor,
    }
);

plain_enum!(
    /// How a problem was resolved.
    ProblemResolutionCode {
        /// A permanent fix was applied.
        FixApplied,
        /// The risk of leaving the cause in place was accepted.
        RiskAccepted,
        /// The problem duplicates another; see `duplicate_of`.
        Duplicate,
        /// The problem was cancelled.
        Canceled,
    }
);

plain_enum!(
    /// The kind of record, as named in timelines, SLA definitions and schemas.
    RecordKind {
        /// An [`Incident`](crate::Incident).
        Incident,
        /// A [`Problem`](crate::Problem).
        Problem,
        /// A [`KnownError`](crate::KnownError).
        KnownError,
        /// A [`Change`](crate::Change).
        Change,
        /// A [`Release`](crate::Release).
        Release,
        /// A [`ServiceRequest`](crate::ServiceRequest).
        ServiceRequest,
        /// A [`KnowledgeArticle`](crate::KnowledgeArticle).
        KnowledgeArticle,
        /// A [`Task`](crate::Task).
        Task,
        /// A [`RequestItem`](crate::RequestItem).
        RequestItem,
    }
);
