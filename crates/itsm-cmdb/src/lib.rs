//! Configuration items, typed relationships and fast impact analysis: an
//! embeddable CMDB.
//!
//! ```
//! use itsm_cmdb::{Cmdb, CmdbData, ConfigurationItem, QueryOptions, Relationship};
//! use itsm_core::CiId;
//!
//! let (portal, app, db, vm) = (CiId::from_u128(1), CiId::from_u128(2), CiId::from_u128(3), CiId::from_u128(4));
//! // The ready-made classes, relationship types and governance rules.
//! let mut cmdb = Cmdb::import(CmdbData::starter())?;
//! cmdb.add_ci(ConfigurationItem::new(portal, "business_service", "Payroll portal"))?;
//! cmdb.add_ci(ConfigurationItem::new(app, "application", "payroll"))?;
//! cmdb.add_ci(ConfigurationItem::new(db, "database", "payroll-db").with_attribute("engine", "postgresql"))?;
//! cmdb.add_ci(ConfigurationItem::new(vm, "virtual_machine", "vm-db-01"))?;
//! cmdb.add_relationship(Relationship::new(portal, "depends_on", app))?;
//! cmdb.add_relationship(Relationship::new(app, "depends_on", db))?;
//! cmdb.add_relationship(Relationship::new(db, "runs_on", vm))?;
//!
//! // Freeze it and ask what breaks when the virtual machine fails.
//! let index = cmdb.index()?;
//! let report = index.impact(&[vm], &QueryOptions::new())?;
//! assert_eq!(report.services, vec![portal]);
//! assert_eq!(report.path_to(&portal), Some(vec![vm, db, app, portal]));
//! // "depends on" carries failures to the dependent only: the database's
//! // failure does not impact the virtual machine it runs on.
//! assert!(!index.impact(&[db], &QueryOptions::new())?.is_impacted(&vm));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Holding a CMDB in memory and answering "what breaks if this fails?" and
//! "what could explain these incidents?" at once, on estates of millions of
//! CIs: classes as data in a hierarchy with inherited typed attributes,
//! relationship types as data with the direction failures travel,
//! governance rules, redundancy, identification and reconciliation of
//! discovery data, snapshots and their differences; then a frozen, compact
//! [`GraphIndex`] for queries (impact, dependencies, root-cause candidates,
//! single points of failure, cycles, health propagation).
//!
//! # What it is not for
//! It is not a database: it performs no I/O, reads no clock (callers pass
//! `now`) and persists nothing; store the JSON of [`CmdbData`] (schemas in
//! [`schema_bundle`]) wherever you like. It exposes no third-party graph type.
//!
//! # Features
//! - [`Cmdb`]: the mutable store; every change validated, bulk
//!   [`import`](Cmdb::import) reporting every problem with its path.
//! - [`CmdbData::starter`]: ready-made classes, relationship types and rules.
//! - [`Cmdb::identify`], [`Cmdb::reconcile`], [`Cmdb::discover`]: discovery
//!   data matched to CIs and written under source priorities.
//! - [`CmdbDiff`]: what changed between two snapshots, and how to apply it.
//! - [`ChangeSchedule`]: blackout and maintenance windows on CIs, classes and
//!   services; [`ConflictChecker::check`] lists every conflict of a change's
//!   planned window with them and with the other scheduled changes.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// ---- model and store (owned by the model/store work) ----
mod classes;
mod error;
mod governance;
mod identify;
mod idhash;
mod model;
mod reconcile;
mod snapshot;
mod starter;
mod store;

pub use error::CmdbError;
pub use identify::{DiscoveryRecord, Identification};
pub use model::{
    AttributeDefinition, AttributeProvenance, AttributeType, CiClass, CmdbData, ConfigurationItem,
    IdentificationRule, ImpactDirection, LifecycleStatus, OperationalState, ReconciliationRule,
    Redundancy, RedundancyRequirement, Relationship, RelationshipRule, RelationshipType,
    SourcePriority,
};
pub use reconcile::{
    DiscoveryOutcome, ProvenanceRecord, ReconciliationReport, RefusalReason, RefusedWrite,
};
pub use snapshot::{CiChange, CmdbDiff, FieldChange};
pub use store::Cmdb;

/// The README's example, compiled and run as a doctest.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctest;

/// The JSON Schemas of this crate's wire types (namespace `cmdb`).
#[must_use]
pub fn schema_bundle() -> itsm_core::SchemaBundle {
    itsm_core::SchemaBundle::new("cmdb")
        .with::<CmdbData>("cmdb_data")
        .with::<ConfigurationItem>("configuration_item")
        .with::<Relationship>("relationship")
        .with::<CiClass>("ci_class")
        .with::<RelationshipType>("relationship_type")
        .with::<RelationshipRule>("relationship_rule")
        .with::<IdentificationRule>("identification_rule")
        .with::<ReconciliationRule>("reconciliation_rule")
        .with::<AttributeProvenance>("attribute_provenance")
        .with::<ProvenanceRecord>("provenance_record")
        .with::<DiscoveryRecord>("discovery_record")
        .with::<Identification>("identification")
        .with::<ReconciliationReport>("reconciliation_report")
        .with::<DiscoveryOutcome>("discovery_outcome")
        .with::<CmdbDiff>("cmdb_diff")
        .with::<QueryOptions>("query_options")
        .with::<ImpactReport>("impact_report")
        .with::<DependencyReport>("dependency_report")
        .with::<ImpactedService>("impacted_service")
        .with::<RootCauseCandidate>("root_cause_candidate")
        .with::<SinglePointOfFailure>("single_point_of_failure")
        .with::<CiPath>("ci_path")
        .with::<HealthReport>("health_report")
        .with::<IndexMemory>("index_memory")
        .with::<PathDirection>("path_direction")
        .with::<RefusalReason>("refusal_reason")
        .with::<ChangeSchedule>("change_schedule")
        .with::<ConflictReport>("conflict_report")
}

// ---- graph index and queries (owned by the graph work) ----
mod health;
mod impact;
mod index;
mod paths;
mod queries;
mod rootcause;
mod scc;
mod spof;

pub use health::{CiHealth, HealthReport, HealthState};
pub use impact::{
    CompactImpactReport, DegradedCi, DependencyReport, ImpactReport, ImpactView, ImpactedCi,
    QueryOptions, ReachedCi, Searcher,
};
pub use index::{GraphIndex, IndexMemory};
pub use paths::{CiPath, PathDirection};
pub use queries::ImpactedService;
pub use rootcause::RootCauseCandidate;
pub use spof::SinglePointOfFailure;

// ---- change schedules and their conflicts ----
mod conflicts;
mod schedule;
mod wall;

pub use conflicts::{
    AppliedWindow, Conflict, ConflictChecker, ConflictReport, Interval, RelatedAs, RelatedCi,
    ScheduledChanges,
};
pub use schedule::{
    ChangeSchedule, CompiledSchedule, DayOfWeek, MAX_PLANNED_WINDOW_DAYS, MonthlyWindow,
    OnceWindow, ScheduleWindow, WeekOfMonth, WeeklyWindow, WindowTarget, WindowTime,
};
