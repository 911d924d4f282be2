//! [`ServiceRequest`] and its [`RequestItem`]s, [`Service`], [`ConfigurationItemRef`], and the people:
//! [`Person`], [`Group`], [`Role`].

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::state::plain_enum;
use crate::{
    Approval, ApprovalStatus, CatalogItemId, ChangeId, Channel, CiId, Extensions, GroupId,
    PersonId, Priority, RecordKind, RecordNumber, RequestItemId, RoleId, ServiceId,
    ServiceRequestId, ServiceRequestState,
};

/// A service request: a request from a user for something that is a normal
/// part of service delivery (ITIL 4), ordered from the service catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions and completed by the trait
// impls below, which compute the derived field when the input leaves it out.
#[serde(remote = "Self")]
#[schemars(rename = "ServiceRequest")]
pub struct ServiceRequest {
    /// The request's id.
    pub id: ServiceRequestId,
    /// Its human-readable number (`REQ…`).
    pub number: RecordNumber,
    /// The catalog item ordered.
    pub catalog_item: CatalogItemId,
    /// One line a person reads in a list.
    pub short_description: String,
    /// How many of the item.
    #[serde(default = "one")]
    pub quantity: u32,
    /// Who asked.
    pub requested_by: PersonId,
    /// Who it is for (may differ from who asked).
    pub requested_for: PersonId,
    /// How it was requested.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The state.
    pub state: ServiceRequestState,
    /// The overall approval status. Derived when absent on input: from
    /// `approvals`, by [`approval_from_approvals`](crate::approval_from_approvals).
    #[schemars(default = "crate::derived::absent_approval", transform = crate::derived::no_default)]
    pub approval: ApprovalStatus,
    /// Each approver's decision.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// The priority.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// The fulfilment group.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// The fulfiller.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it is due.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Its request items, one per catalog item ordered (each names this
    /// request in `request`).
    #[serde(default)]
    pub items: Vec<RequestItemId>,
    /// The changes it ordered (standard changes from the catalog); each
    /// names this request in `service_request`.
    #[serde(default)]
    pub changes: Vec<ChangeId>,
    /// Custom fields (the catalog item's variables), round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

fn one() -> u32 {
    1
}

/// A request item: one catalog item ordered in a [`ServiceRequest`], with
/// the order's answers, its own approval and fulfilment (ServiceNow's
/// requested item, `RITM…`). It follows the service request flow, by
/// [`ServiceRequestState`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions and completed by the trait
// impls below, which compute the derived field when the input leaves it out.
#[serde(remote = "Self")]
#[schemars(rename = "RequestItem")]
pub struct RequestItem {
    /// The item's id.
    pub id: RequestItemId,
    /// Its human-readable number (`RITM…`).
    pub number: RecordNumber,
    /// The service request it belongs to.
    pub request: ServiceRequestId,
    /// The catalog item ordered.
    pub catalog_item: CatalogItemId,
    /// One line a person reads in a list.
    pub short_description: String,
    /// How many.
    #[serde(default = "one")]
    pub quantity: u32,
    /// Who ordered it.
    pub requested_by: PersonId,
    /// Who it is for.
    pub requested_for: PersonId,
    /// The state.
    pub state: ServiceRequestState,
    /// The overall approval status: `not_required` when its catalog item
    /// needs no approval. Derived when absent on input: from `approvals`,
    /// by [`approval_from_approvals`](crate::approval_from_approvals).
    #[schemars(default = "crate::derived::absent_approval", transform = crate::derived::no_default)]
    pub approval: ApprovalStatus,
    /// Each approver's decision.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// The order's answers, by variable name (checked against the catalog
    /// item by [`CatalogItem::check_order`](crate::CatalogItem::check_order)).
    #[serde(default)]
    pub variables: Extensions,
    /// The fulfilment group.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// The fulfiller.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// When it is due.
    #[serde(default)]
    pub due_at: Option<DateTime<Utc>>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// The standard change it ordered, which names it in `request_item`.
    #[serde(default)]
    pub change: Option<ChangeId>,
    /// The name of the workflow it follows: its catalog item's fulfilment
    /// workflow; absent, the service request flow. Fixed once opened.
    #[serde(default)]
    pub workflow: Option<String>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

plain_enum!(
    /// Whether a service faces the business or supports other services.
    ServiceKind {
        /// Delivered to customers and users.
        Business,
        /// Supports business services; not seen by users.
        Technical,
    }
);

plain_enum!(
    /// How critical a service is to the business (ServiceNow's business criticality).
    Criticality {
        /// 1 - most critical.
        MostCritical,
        /// 2 - somewhat critical.
        SomewhatCritical,
        /// 3 - less critical.
        LessCritical,
        /// 4 - not critical.
        NotCritical,
    }
);

plain_enum!(
    /// Where a service stands in the service portfolio.
    ServiceStatus {
        /// Being designed or built.
        Pipeline,
        /// Live, in the service catalog.
        Live,
        /// Withdrawn.
        Retired,
    }
);

/// A service: a means of enabling value co-creation by facilitating outcomes
/// that customers want to achieve (ITIL 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Service")]
pub struct Service {
    /// The service's id.
    pub id: ServiceId,
    /// Its name (`Online banking`).
    pub name: String,
    /// Business or technical.
    pub kind: ServiceKind,
    /// How critical it is.
    pub criticality: Criticality,
    /// Where it stands in the portfolio.
    pub status: ServiceStatus,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// The service owner.
    #[serde(default)]
    pub owner: Option<PersonId>,
    /// The group that supports it (the default assignment group).
    #[serde(default)]
    pub support_group: Option<GroupId>,
    /// The configuration item that stands for it in the CMDB.
    #[serde(default)]
    pub configuration_item: Option<CiId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A reference to a configuration item kept in a CMDB: enough to show it on
/// a ticket without loading the CMDB.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "ConfigurationItemRef")]
pub struct ConfigurationItemRef {
    /// The item's id.
    pub id: CiId,
    /// Its class name (`linux_server`, `database`, …).
    pub class: String,
    /// Its name.
    pub name: String,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A person: a caller, an agent, an approver, a manager.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Person")]
pub struct Person {
    /// The person's id.
    pub id: PersonId,
    /// Their full name.
    pub name: String,
    /// Their login name.
    #[serde(default)]
    pub user_name: Option<String>,
    /// Their e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether they can still log in and be assigned work.
    #[serde(default = "yes")]
    pub active: bool,
    /// Their IANA time zone (`Europe/London`).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// Their manager.
    #[serde(default)]
    pub manager: Option<PersonId>,
    /// The groups they belong to.
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// The roles granted to them directly.
    #[serde(default)]
    pub roles: Vec<RoleId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

fn yes() -> bool {
    true
}

/// A group: an assignment group, a CAB, a team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Group")]
pub struct Group {
    /// The group's id.
    pub id: GroupId,
    /// Its name (`Service Desk`).
    pub name: String,
    /// What it does.
    #[serde(default)]
    pub description: Option<String>,
    /// Its e-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether work may still be assigned to it.
    #[serde(default = "yes")]
    pub active: bool,
    /// Its manager.
    #[serde(default)]
    pub manager: Option<PersonId>,
    /// Its parent group.
    #[serde(default)]
    pub parent: Option<GroupId>,
    /// Its members.
    #[serde(default)]
    pub members: Vec<PersonId>,
    /// The roles its members inherit.
    #[serde(default)]
    pub roles: Vec<RoleId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A role: a set of permissions (`itil`, `problem_manager`, `change_manager`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "Role")]
pub struct Role {
    /// The role's id.
    pub id: RoleId,
    /// Its name, as guards and policies refer to it (`problem_manager`).
    pub name: String,
    /// What it grants.
    #[serde(default)]
    pub description: Option<String>,
    /// Which events it may apply to which kinds of record; none when
    /// absent (a role that only names a responsibility, as before
    /// permissions existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<Permission>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

impl Role {
    /// Whether one of this role's permissions allows applying `event` to a
    /// record of `kind`.
    #[must_use]
    pub fn allows(&self, kind: RecordKind, event: &str) -> bool {
        self.permissions.iter().any(|p| p.allows(kind, event))
    }
}

/// Matches every kind of record, or every event, in a [`Permission`].
pub const WILDCARD: &str = "*";

/// One grant of a [`Role`]: it may apply any of `events` to records of any
/// of `kinds`. [`WILDCARD`] (`*`) in either list matches everything.
///
/// Kinds are [`RecordKind`] names (`incident`, `change`); events are the
/// names of the lifecycle's events (`resolve`, `approve`), which this
/// crate does not know: `itsm-lifecycle` checks them.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Permission {
    /// The kinds of record, or `*` for every kind.
    pub kinds: Vec<String>,
    /// The events, or `*` for every event.
    pub events: Vec<String>,
}

impl Permission {
    /// A permission to apply `events` to `kinds`.
    #[must_use]
    pub fn new<K, E>(kinds: K, events: E) -> Self
    where
        K: IntoIterator,
        K::Item: Into<String>,
        E: IntoIterator,
        E::Item: Into<String>,
    {
        Self {
            kinds: kinds.into_iter().map(Into::into).collect(),
            events: events.into_iter().map(Into::into).collect(),
        }
    }

    /// Whether this permission allows applying `event` to a record of `kind`.
    #[must_use]
    pub fn allows(&self, kind: RecordKind, event: &str) -> bool {
        let kind: &str = kind.into();
        self.kinds.iter().any(|k| k == WILDCARD || k == kind)
            && self.events.iter().any(|e| e == WILDCARD || e == event)
    }
}

crate::derived::derived_fields!(
    ServiceRequest,
    [("approval", "not_requested")],
    |request, given| {
        if !given[0] {
            request.approval = crate::approval_from_approvals(&request.approvals);
        }
    }
);

crate::derived::derived_fields!(
    RequestItem,
    [("approval", "not_requested")],
    |item, given| {
        if !given[0] {
            item.approval = crate::approval_from_approvals(&item.approvals);
        }
    }
);

crate::derived::derived_fields!(Service, [], |_record, _given| {});

crate::derived::derived_fields!(ConfigurationItemRef, [], |_record, _given| {});

crate::derived::derived_fields!(Person, [], |_record, _given| {});

crate::derived::derived_fields!(Group, [], |_record, _given| {});

crate::derived::derived_fields!(Role, [], |_record, _given| {});
