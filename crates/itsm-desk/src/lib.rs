//! The service-desk engine: one call applies a command to a record and
//! keeps its fields, timeline, SLA clocks, links and follow-on records in
//! step, persisted in one transaction by `itsm-store`.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use itsm_core::{Impact, Incident, IncidentId, PersonId, RecordNumber, Urgency};
//! use itsm_desk::{Config, Ctx, Desk};
//! use itsm_lifecycle::Input;
//! use itsm_store::Record;
//!
//! let mut desk = Desk::open("sqlite::memory:", Config::default())?;
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 15, 0).unwrap();
//! let number: RecordNumber = "INC0001234".parse()?;
//! let mut incident = Incident::new(IncidentId::from_u128(1), number.clone(), PersonId::from_u128(7), "VPN down", at);
//! incident.impact = Impact::High;
//! incident.urgency = Urgency::High;
//! let opened = desk.open_record(Record::Incident(incident), &Ctx::at(at))?;
//! // The matrix derived the priority; the response and resolution clocks attached.
//! assert_eq!(opened.version, 2);
//! assert_eq!(opened.clocks.len(), 2);
//!
//! let later = at + chrono::Duration::minutes(20);
//! let started = desk.apply(&number, "start", &Input::new(), &Ctx::at(later).expecting(2))?;
//! assert_eq!(started.record.state_name(), "in_progress");
//! // A writer that read version 2 is refused now.
//! assert!(desk.apply(&number, "start", &Input::new(), &Ctx::at(later).expecting(2)).is_err());
//! assert!(desk.check()?.is_clean());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Running a service desk on the `itsm` engines: it is the only crate that
//! combines them with storage. Each command loads the record at a version,
//! validates and applies the command through `itsm-lifecycle`, evaluates
//! the record's SLA clocks with `itsm-sla`, runs the follow-on rules, and
//! appends everything at the version it read — or nothing.
//!
//! # Features
//! - [`Desk::open`] from a store URL and a [`Config`] (defaults, or
//!   [`Config::load_dir`]).
//! - Commands: [`Desk::open_record`], [`Desk::apply`], [`Desk::assign`],
//!   [`Desk::set_impact_urgency`], [`Desk::update`], [`Desk::comment`],
//!   [`Desk::link`], [`Desk::attach_cis`].
//! - SLA: [`Desk::due`], [`Desk::tick`] (each notice recorded once),
//!   [`Desk::compliance`].
//! - [`Desk::show`], [`Desk::list`], [`Desk::check`], [`Desk::export_page`],
//!   [`Desk::import`].

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod batch;
mod config;
mod desk;
mod error;
mod flows;
mod links;

pub use batch::{Command, CommandAt, MAX_BATCH_COMMANDS};
pub use config::{Config, FollowOnRules, Workflows};
pub use desk::{
    Ctx, Desk, LinkView, MAX_RECORDS_PER_COMMAND, Outcome, RecordView, SlaNotice,
    TIMELINE_CACHE_RECORDS, TickReport, Touched,
};
pub use error::{DeskError, Result};

/// The JSON Schemas of this crate's wire types (namespace `desk`).
#[must_use]
pub fn schema_bundle() -> itsm_core::SchemaBundle {
    itsm_core::SchemaBundle::new("desk")
        .with::<Config>("config")
        .with::<FollowOnRules>("follow_on_rules")
        .with::<Outcome>("outcome")
        .with::<Touched>("touched")
        .with::<RecordView>("record_view")
        .with::<LinkView>("link_view")
        .with::<Command>("command")
        .with::<CommandAt>("command_at")
        .with::<Workflows>("workflows")
        .with::<SlaNotice>("sla_notice")
        .with::<TickReport>("tick_report")
}
