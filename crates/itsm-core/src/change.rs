//! [`Change`] and [`Release`], with approvals.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::state::plain_enum;
use crate::{
    ChangeId, ChangeState, CiId, Extensions, GroupId, Impact, IncidentId, PersonId, Priority,
    ProblemId, RecordNumber, ReleaseId, ReleaseState, RequestItemId, ServiceId, ServiceRequestId,
    StandardChangeTemplateId,
};

plain_enum!(
    /// The type of a change, which decides its workflow and approval.
    ChangeType {
        /// Pre-authorised, low risk, following a procedure (no CAB).
        Standard,
        /// Assessed and authorised through the normal process.
        Normal,
        /// Implemented as soon as possible; authorised by the emergency CAB.
        Emergency,
    }
);

plain_enum!(
    /// The assessed risk of a change (ServiceNow's risk levels).
    ChangeRisk {
        /// Very high risk.
        VeryHigh,
        /// High risk.
        High,
        /// Moderate risk.
        Moderate,
        /// Low risk.
        Low,
    }
);

plain_enum!(
    /// One approver's decision.
    ApprovalDecision {
        /// Asked, not yet answered.
        Requested,
        /// Approved.
        Approved,
        /// Rejected.
        Rejected,
        /// No longer needed (the record was cancelled or sent back to new).
        Canceled,
    }
);

plain_enum!(
    /// The overall approval status of a record.
    ApprovalStatus {
        /// No approval has been asked for.
        NotRequested,
        /// Approval has been asked for and is pending.
        Requested,
        /// Approved.
        Approved,
        /// Rejected.
        Rejected,
        /// Needs no approval: pre-authorised (a standard change) or ordered
        /// from a catalog item whose approval policy is none.
        NotRequired,
    }
);

plain_enum!(
    /// How a change ended.
    ChangeCloseCode {
        /// Implemented as planned.
        Successful,
        /// Implemented, with issues.
        SuccessfulWithIssues,
        /// Not implemented, or backed out.
        Unsuccessful,
    }
);

plain_enum!(
    /// The kind of a release.
    ReleaseType {
        /// A major release: new features, possibly breaking.
        Major,
        /// A minor release: improvements and fixes.
        Minor,
        /// An emergency release: an urgent fix.
        Emergency,
    }
);

/// One approver's part in an approval.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Approval {
    /// The person asked to approve.
    pub approver: PersonId,
    /// The group on whose behalf they approve (a CAB), if any.
    #[serde(default)]
    pub group: Option<GroupId>,
    /// Their decision.
    pub decision: ApprovalDecision,
    /// When they were asked.
    #[serde(default)]
    pub requested_at: Option<DateTime<Utc>>,
    /// When they decided; set exactly when the decision is approved or rejected.
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    /// Their comment; expected with a rejection.
    #[serde(default)]
    pub comment: Option<String>,
}

/// A change: the addition, modification or removal of anything that could
/// have a direct or indirect effect on services (ITIL 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions and completed by the trait
// impls below, which compute the derived field when the input leaves it out.
#[serde(remote = "Self")]
#[schemars(rename = "Change")]
pub struct Change {
    /// The change's id.
    pub id: ChangeId,
    /// Its human-readable number (`CHG…`).
    pub number: RecordNumber,
    /// Standard, normal or emergency.
    pub change_type: ChangeType,
    /// One line a person reads in a list.
    pub short_description: String,
    /// The full description.
    #[serde(default)]
    pub description: Option<String>,
    /// Why the change is needed.
    #[serde(default)]
    pub justification: Option<String>,
    /// The category.
    #[serde(default)]
    pub category: Option<String>,
    /// The affected service.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The configuration items it changes.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// The assessed risk.
    pub risk: ChangeRisk,
    /// The expected impact.
    pub impact: Impact,
    /// The priority.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// The state.
    pub state: ChangeState,
    /// Who asked for it.
    pub requested_by: PersonId,
    /// The group responsible for it.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// The implementer.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// The planned start of implementation.
    #[serde(default)]
    pub planned_start: Option<DateTime<Utc>>,
    /// The planned end of implementation.
    #[serde(default)]
    pub planned_end: Option<DateTime<Utc>>,
    /// When implementation actually started.
    #[serde(default)]
    pub actual_start: Option<DateTime<Utc>>,
    /// When implementation actually ended.
    #[serde(default)]
    pub actual_end: Option<DateTime<Utc>>,
    /// How it will be implemented.
    #[serde(default)]
    pub implementation_plan: Option<String>,
    /// How it will be backed out if it fails.
    #[serde(default)]
    pub backout_plan: Option<String>,
    /// How it will be tested.
    #[serde(default)]
    pub test_plan: Option<String>,
    /// The overall approval status. Derived when absent on input: from
    /// `approvals`, by [`approval_from_approvals`](crate::approval_from_approvals).
    #[schemars(default = "crate::derived::absent_approval", transform = crate::derived::no_default)]
    pub approval: ApprovalStatus,
    /// Each approver's decision.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// How it ended; required once closed.
    #[serde(default)]
    pub close_code: Option<ChangeCloseCode>,
    /// Notes on how it ended.
    #[serde(default)]
    pub close_notes: Option<String>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// The problems it fixes.
    #[serde(default)]
    pub related_problems: Vec<ProblemId>,
    /// The incidents it resolves.
    #[serde(default)]
    pub related_incidents: Vec<IncidentId>,
    /// The release that delivers it.
    #[serde(default)]
    pub release: Option<ReleaseId>,
    /// The standard change template it was made from; its fixed fields
    /// ([`STANDARD_CHANGE_FIXED`](crate::STANDARD_CHANGE_FIXED)) may not be edited.
    #[serde(default)]
    pub template: Option<StandardChangeTemplateId>,
    /// The service request that ordered it (a standard change ordered from
    /// the catalog); the request lists it in `changes`.
    #[serde(default)]
    pub service_request: Option<ServiceRequestId>,
    /// The request item that ordered it; the item names it in `change`.
    #[serde(default)]
    pub request_item: Option<RequestItemId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A release: a version of a service or of configuration items, made
/// available for use (ITIL 4), delivered by one or more changes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Release")]
pub struct Release {
    /// The release's id.
    pub id: ReleaseId,
    /// Its human-readable number (`RLSE…`).
    pub number: RecordNumber,
    /// One line a person reads in a list.
    pub short_description: String,
    /// The full description.
    #[serde(default)]
    pub description: Option<String>,
    /// Major, minor or emergency.
    pub release_type: ReleaseType,
    /// The version it delivers (`2.4.0`).
    #[serde(default)]
    pub version: Option<String>,
    /// The state.
    pub state: ReleaseState,
    /// The release manager.
    #[serde(default)]
    pub manager: Option<PersonId>,
    /// The service it delivers to.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The configuration items it deploys.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// The changes that deliver it.
    #[serde(default)]
    pub changes: Vec<ChangeId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// The planned start.
    #[serde(default)]
    pub planned_start: Option<DateTime<Utc>>,
    /// The planned end.
    #[serde(default)]
    pub planned_end: Option<DateTime<Utc>>,
    /// The actual start.
    #[serde(default)]
    pub actual_start: Option<DateTime<Utc>>,
    /// The actual end.
    #[serde(default)]
    pub actual_end: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

crate::derived::derived_fields!(Change, [("approval", "not_requested")], |change, given| {
    if !given[0] {
        change.approval = crate::approval_from_approvals(&change.approvals);
    }
});

crate::derived::derived_fields!(Release, [], |_record, _given| {});
