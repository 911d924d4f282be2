//! The events of the default ITIL flows, one enum per record kind.

use std::borrow::Cow;

use crate::LifecycleError;
use crate::key::{EventKey, WorkflowKey};

macro_rules! events {
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

        impl $name {
            /// Every event of this kind.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];
        }

        impl std::str::FromStr for $name {
            type Err = LifecycleError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| <&'static str>::from(*v) == s).ok_or_else(|| {
                    LifecycleError::InvalidName {
                        field: stringify!($name),
                        value: s.to_owned(),
                        expected: Self::ALL.iter().map(|v| <&'static str>::from(*v)).collect::<Vec<_>>().join(", "),
                    }
                })
            }
        }

        impl WorkflowKey for $name {
            fn wire_name(&self) -> Cow<'_, str> {
                Cow::Borrowed(<&'static str>::from(*self))
            }

            fn ordinal(&self) -> Option<usize> {
                Some(*self as usize)
            }
        }

        impl EventKey for $name {}
    };
}

events!(
    /// What may happen to an incident.
    IncidentEvent {
        /// An agent starts working on it (new → in progress).
        Start,
        /// It is put on hold, with a reason (new or in progress → on hold).
        Hold,
        /// Work resumes (on hold → in progress); clears the on-hold reason.
        Resume,
        /// The caller answered while it awaited the caller (on hold → in progress).
        CallerUpdated,
        /// Service is restored (→ resolved); needs a resolution code and notes.
        Resolve,
        /// The caller or an agent rejects the resolution (resolved → in progress).
        Reopen,
        /// The resolution is confirmed, or auto-close fires (resolved → closed).
        Close,
        /// Raised in error or a duplicate (any open state → canceled).
        Cancel,
    }
);

events!(
    /// What may happen to the major-incident state of an incident.
    MajorIncidentEvent {
        /// The major incident manager accepts the proposal.
        Accept,
        /// The major incident manager rejects the proposal.
        Reject,
        /// The incident was cancelled, or the major incident withdrawn.
        Cancel,
    }
);

events!(
    /// What may happen to a problem.
    ProblemEvent {
        /// Start assessing it (new → assess).
        Assess,
        /// Start the root cause analysis (assess → root cause analysis).
        Analyze,
        /// Start fixing it (root cause analysis → fix in progress).
        StartFix,
        /// Resolve it with a resolution code (→ resolved).
        Resolve,
        /// Close it (resolved → closed).
        Close,
        /// Re-analyse a closed problem (closed → root cause analysis); authorised roles only.
        Reanalyze,
    }
);

events!(
    /// What may happen to a change.
    ChangeEvent {
        /// Submit for technical assessment (new → assess).
        Assess,
        /// Ask the change authority (assess, or new for an emergency → authorize).
        RequestAuthorization,
        /// An approver rejected it (authorize → new); pending approvals are cancelled.
        Reject,
        /// Send back to new (assess or authorize → new); pending approvals are cancelled.
        Revert,
        /// Schedule the change: a pre-authorised standard change from new, a
        /// normal or emergency change from authorize once the approval policy
        /// is met (→ scheduled).
        Schedule,
        /// Start implementing (scheduled → implement).
        Implement,
        /// Implementation finished (implement → review).
        Review,
        /// Implementation failed and was backed out (implement → review),
        /// as when the release deploying it failed.
        BackOut,
        /// Close after review (review → closed); needs a close code and notes.
        Close,
        /// Cancel before review (new … implement → canceled).
        Cancel,
    }
);

events!(
    /// What may happen to a release.
    ReleaseEvent {
        /// Start building (planning → build).
        Build,
        /// Start testing (build → test).
        Test,
        /// Testing failed; back to build (test → build).
        Rework,
        /// Start deploying (test → deploy).
        Deploy,
        /// Deployment done; review it (deploy → review).
        Review,
        /// Close after review (review → closed).
        Close,
        /// Cancel before deployment (planning, build, test → canceled).
        Cancel,
        /// The deployment failed: back out its changes and rebuild
        /// (deploy → build).
        BackOut,
    }
);

events!(
    /// What may happen to a service request.
    ServiceRequestEvent {
        /// Ask the approvers (submitted → awaiting approval).
        RequestApproval,
        /// The approval policy is met (awaiting approval → approved).
        Approve,
        /// An approver rejected it (awaiting approval → rejected).
        Reject,
        /// Start fulfilment (approved → fulfilment).
        Fulfil,
        /// Fulfilled in full (fulfilment → closed complete).
        Complete,
        /// Closed without complete fulfilment (any open state → closed incomplete).
        CloseIncomplete,
    }
);

events!(
    /// What may happen to a known error.
    KnownErrorEvent {
        /// The permanent fix is in place (open → fixed).
        Fix,
        /// The fix did not hold (fixed → open); clears `fixed_at`.
        Reopen,
        /// No longer relevant (open or fixed → retired).
        Retire,
    }
);

events!(
    /// What may happen to a knowledge article.
    KnowledgeEvent {
        /// Send the draft for review (draft → review).
        Submit,
        /// Send it back to its author (review → draft).
        Rework,
        /// Publish it to its audience (review → published).
        Publish,
        /// Withdraw it (published → retired).
        Retire,
    }
);

events!(
    /// What may happen to a task.
    TaskEvent {
        /// The tasks before it are done, or its parent reached the stage
        /// that starts it (pending → open).
        Ready,
        /// The assignee starts work (open → work in progress); sets
        /// `started_at`.
        Start,
        /// Work waits on someone else (work in progress → on hold).
        Hold,
        /// Work resumes (on hold → work in progress).
        Resume,
        /// The work is done (open or work in progress → closed complete).
        Complete,
        /// Ended without the work done (open, work in progress or on hold →
        /// closed incomplete); needs close notes.
        CloseIncomplete,
        /// Not needed after all (pending or open → closed skipped); needs
        /// close notes.
        Skip,
    }
);

events!(
    /// What may happen to an IT asset: exactly the moves of
    /// `itsm_core::AssetState::TRANSITIONS`, each with a name.
    AssetEvent {
        /// The ordered asset arrived (on order → in stock); clears
        /// `assigned_to`, as a stocked asset is with no one.
        Receive,
        /// The order was cancelled before it arrived (on order → retired);
        /// clears `assigned_to`.
        CancelOrder,
        /// Provided to a person (in stock → in use); needs `assigned_to`.
        Deploy,
        /// Given back, or sent back to the store after maintenance (in use
        /// or in maintenance → in stock); clears `assigned_to`.
        Return,
        /// Sent for repair or servicing (in stock or in use → in
        /// maintenance); a deployed asset keeps its assignment.
        Repair,
        /// Repaired and back in service (in maintenance → in use); needs
        /// `assigned_to`.
        Restore,
        /// Withdrawn from use (in stock, in use or in maintenance →
        /// retired); clears `assigned_to`.
        Retire,
        /// Sold, recycled or destroyed (retired → disposed); clears
        /// `assigned_to`.
        Dispose,
    }
);
