//! The ITIL 4 vocabulary shared by the `itsm` crates: typed ids, records,
//! states and their categories, impact, urgency and the priority matrix, and
//! the ticket timeline that the lifecycle engine writes and the SLA clock reads.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use itsm_core::{
//!     Impact, Incident, IncidentId, IncidentState, PersonId, Priority, PriorityMatrix, RecordNumber,
//!     Urgency, Validate,
//! };
//!
//! let opened = Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 0).unwrap();
//! let matrix = PriorityMatrix::servicenow();
//! let mut incident = Incident::new(
//!     IncidentId::new_v7(opened, [7; 10]),
//!     "INC0001234".parse::<RecordNumber>()?,
//!     PersonId::from_u128(1),
//!     "Payroll portal returns HTTP 500",
//!     opened,
//! );
//! incident.impact = Impact::High;
//! incident.urgency = Urgency::High;
//! incident.priority = matrix.priority(incident.impact, incident.urgency)?;
//! assert_eq!(incident.priority, Priority::P1);
//! assert!(incident.validate().is_empty());
//!
//! // Resolving without a resolution code breaks a rule, reported with its path.
//! incident.state = IncidentState::Resolved;
//! incident.resolved_at = Some(opened + chrono::Duration::hours(2));
//! let problems = incident.validate();
//! assert!(problems.iter().any(|v| v.path == "resolution_code"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! The shared model: every other crate of the family (lifecycle, SLA, CMDB)
//! and every product that embeds them speaks in these types, and integrators
//! exchange them as JSON validated by the schemas of [`schema_bundle`].
//!
//! # What it is not for
//! `itsm-core` knows nothing about graphs, clocks, time zones or workflow
//! engines. It reads no clock and performs no I/O: callers pass instants and
//! random bytes in.
//!
//! # Features
//! - Typed ids ([`IncidentId`], …, UUID v7 from a caller-supplied instant) and
//!   human-readable [`RecordNumber`]s (`INC0001234`).
//! - The records a service desk keeps: [`Incident`], [`Problem`],
//!   [`KnownError`], [`KnowledgeArticle`], [`Change`], [`Release`],
//!   [`ServiceRequest`], [`Service`], [`ConfigurationItemRef`], [`Person`],
//!   [`Group`], [`Role`], each with an [`Extensions`] map of custom fields.
//! - [`Task`]s: incident, problem, change and request tasks, one record
//!   with a typed [`TaskParent`], its own [`TaskState`]s, assignment,
//!   timestamps and `order` (lower first); [`TaskTemplate`]s make them.
//! - [`Directory`]: people, groups and roles checked together (unknown
//!   references, inactive members and managers of active groups, cycles of
//!   parent groups), the roles a person holds ([`Directory::roles_of`]) and
//!   the assignment check ([`Directory::check_assignment`]); roles carry
//!   [`Permission`]s (which events on which kinds of record).
//! - [`Asset`]s (hardware and software, with the [`AssetState`] lifecycle
//!   and its allowed moves) checked as a set against a [`Directory`]
//!   ([`validate_assets`]: duplicate tags and serial numbers, assignment to
//!   an inactive person, a retired asset still assigned), and
//!   [`SoftwareLicence`]s with the compliance calculation
//!   [`licence_compliance`] (entitled, consumed, over-deployment, unused).
//! - [`Validate`] on every record: every broken rule at once, with its path
//!   and a stable rule code.
//! - [`PriorityMatrix`] with the ServiceNow, ITIL 4×4 and GLPI presets, or a
//!   custom [`PriorityMatrixDefinition`] checked when it is built.
//! - [`Timeline`]: the ticket history the lifecycle engine writes and the SLA
//!   clock replays.
//! - [`schema_bundle`] and [`from_json`], whose errors name the offending field.
//!
//! # Wire format
//! Every type serialises with `serde` in `snake_case`, and its `Display` and
//! `FromStr` use the same names. Every public type has a JSON Schema (draft
//! 2020-12); adding an optional field or an enum variant is a minor schema
//! change (enums are `#[non_exhaustive]` where they will grow), anything else a
//! major one that bumps [`SCHEMA_VERSION`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod wire;

#[doc(hidden)]
#[path = "tagged.rs"]
pub mod __tagged;
mod asset;
mod catalog;
mod change;
mod derived;
mod directory;
mod error;
mod id;
mod incident;
mod json;
mod label;
mod new;
mod number;
mod priority;
mod problem;
mod request;
mod rules;
mod schema;
mod state;
mod task;
mod timeline;
mod validate;
mod value;

pub use asset::{
    Asset, AssetKind, AssetState, Installation, LicenceMetric, LicencePosition, Money,
    SoftwareLicence, check_assets, licence_compliance, validate_assets, validate_licences,
};
pub use catalog::{
    Catalog, CatalogApproval, CatalogItem, CatalogVariable, Numbering, Order, OrderRefs, Ordered,
    STANDARD_CHANGE_FIXED, StandardChangeTemplate, VariableKind,
};
pub use change::{
    Approval, ApprovalDecision, ApprovalStatus, Change, ChangeCloseCode, ChangeRisk, ChangeType,
    Release, ReleaseType,
};
pub use derived::approval_from_approvals;
pub use directory::Directory;
pub use error::CoreError;
pub use id::{
    AssetId, CatalogItemId, ChangeId, CiId, GroupId, IncidentId, KnowledgeArticleId, KnownErrorId,
    PersonId, ProblemId, ReleaseId, RequestItemId, RoleId, ServiceId, ServiceRequestId,
    SoftwareLicenceId, StandardChangeTemplateId, TaskId,
};
pub use incident::{
    AffectedService, BusinessEffect, Channel, Incident, IncidentResolutionCode, ServiceEffect,
};
pub use json::{did_you_mean, from_json, oversized_integer, tidy_json_path};
pub use label::{Label, MAX_QUOTED_CHARS, quoted};
pub use number::{NumberPrefix, RecordNumber};
pub use priority::{
    Impact, Priority, PriorityCell, PriorityMatrix, PriorityMatrixDefinition, Urgency,
};
pub use problem::{KnowledgeArticle, KnownError, Problem};
pub use request::{
    ConfigurationItemRef, Criticality, Group, Permission, Person, RequestItem, Role, Service,
    ServiceKind, ServiceRequest, ServiceStatus, WILDCARD,
};
pub use schema::{SCHEMA_BASE, SCHEMA_VERSION, SchemaBundle, SchemaDocument};
pub use state::{
    ChangeState, IncidentState, KnowledgeState, KnownErrorState, MajorIncidentState, OnHoldReason,
    ProblemResolutionCode, ProblemState, RecordKind, RecordState, ReleaseState,
    ServiceRequestState, StateCategory, TaskState,
};
pub use task::{Task, TaskParent, TaskTemplate};
pub use timeline::{CommentVisibility, Timeline, TimelineChange, TimelineEvent};
pub use validate::{Validate, Violation};
pub use value::{Extensions, FieldValue, unique_fields};

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

/// The schemas of every root type of this crate.
#[must_use]
pub fn schema_bundle() -> SchemaBundle {
    SchemaBundle::new("core")
        .with::<Incident>("incident")
        .with::<Problem>("problem")
        .with::<KnownError>("known_error")
        .with::<KnowledgeArticle>("knowledge_article")
        .with::<Change>("change")
        .with::<Release>("release")
        .with::<ServiceRequest>("service_request")
        .with::<RequestItem>("request_item")
        .with::<CatalogItem>("catalog_item")
        .with::<StandardChangeTemplate>("standard_change_template")
        .with::<Catalog>("catalog")
        .with::<Order>("order")
        .with::<Ordered>("ordered")
        .with::<Task>("task")
        .with::<TaskTemplate>("task_template")
        .with::<Service>("service")
        .with::<ConfigurationItemRef>("configuration_item_ref")
        .with::<Person>("person")
        .with::<Group>("group")
        .with::<Role>("role")
        .with::<Directory>("directory")
        .with::<Asset>("asset")
        .with::<SoftwareLicence>("software_licence")
        .with::<Installation>("installation")
        .with::<LicencePosition>("licence_position")
        .with::<PriorityMatrixDefinition>("priority_matrix")
        .with::<Timeline>("timeline")
        .with::<TimelineEvent>("timeline_event")
        .with::<Violation>("violation")
}
