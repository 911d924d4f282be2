//! `itsm-cmdb` (under construction): configuration items, typed
//! relationships and impact analysis.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

// ---- model and store (owned by the model/store work) ----
mod error;
mod model;

pub use error::CmdbError;
pub use model::{
    AttributeDefinition, AttributeProvenance, AttributeType, CiClass, CmdbData, ConfigurationItem, IdentificationRule,
    ImpactDirection, LifecycleStatus, OperationalState, ReconciliationRule, Redundancy, RedundancyRequirement,
    Relationship, RelationshipRule, RelationshipType, SourcePriority,
};

// ---- graph index and queries (owned by the graph work) ----
