//! The `itsm` family in one dependency: the ITIL vocabulary of
//! [`itsm-core`](itsm_core) at the root, and the engines behind features.
//!
//! ```
//! use itsm::{Impact, Priority, PriorityMatrix, Urgency};
//!
//! let matrix = PriorityMatrix::preset("servicenow_3x3")?;
//! assert_eq!(matrix.priority(Impact::High, Urgency::High)?, Priority::P1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Depending on one crate and choosing the engines you need:
//! `itsm = { version = "0.1", default-features = false, features = ["sla"] }`.
//! It adds no logic of its own; each module is the crate of the same name.
//!
//! Instants are chrono's `DateTime<Utc>`; the facade re-exports chrono as
//! [`itsm::chrono`](chrono), so a product needs no dependency of its own
//! to call it.
//!
//! # Features
//! - `generate-ids` (default): `IncidentId::generate(now)` and the other
//!   ids' `generate`, UUID v7 ids whose random part comes from the
//!   operating system.
//! - `lifecycle` (default): [`lifecycle`], the workflow engine and the ITIL default flows.
//! - `sla` (default): [`sla`], business calendars and the SLA clock.
//! - `cmdb` (default): [`cmdb`], configuration items and impact analysis.
//! - `store`: `itsm::store`, the database (SQLite or PostgreSQL) of event
//!   streams, projections, SLA clock state and the CMDB.
//! - `desk`: `itsm::desk`, the service-desk engine over the store (brings
//!   `store` and the three engines).
//! - `interop`: `itsm::interop`, records in and out of ServiceNow, Jira
//!   Service Management and TM Forum Open APIs, each with a loss report.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub use itsm_core::*;

/// Dates and times as the libraries take them (`chrono::{DateTime, Utc}`):
/// the `chrono` crate itself, at the version the libraries use.
pub use chrono;

/// The workflow engine and the ITIL default flows: the `itsm-lifecycle` crate.
#[cfg(feature = "lifecycle")]
pub mod lifecycle {
    pub use itsm_lifecycle::*;
}

/// Business calendars, business time and the SLA clock: the `itsm-sla` crate.
#[cfg(feature = "sla")]
pub mod sla {
    pub use itsm_sla::*;
}

/// Configuration items, relationships and impact analysis: the `itsm-cmdb` crate.
#[cfg(feature = "cmdb")]
pub mod cmdb {
    pub use itsm_cmdb::*;
}

/// The database: event streams, projections, SLA clock state and the CMDB:
/// the `itsm-store` crate.
#[cfg(feature = "store")]
pub mod store {
    pub use itsm_store::*;
}

/// The service-desk engine: one atomic call per command over the store and
/// the engines: the `itsm-desk` crate.
#[cfg(feature = "desk")]
pub mod desk {
    pub use itsm_desk::*;
}

/// Records in and out of ServiceNow, Jira Service Management and TM Forum
/// Open APIs: the `itsm-interop` crate.
#[cfg(feature = "interop")]
pub mod interop {
    pub use itsm_interop::*;
}
