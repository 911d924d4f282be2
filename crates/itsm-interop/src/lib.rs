//! Conversions between our ITSM records and ServiceNow, Jira Service
//! Management and TM Forum (TMF621 Trouble Ticket v4 and v5, TMF639
//! Resource), each returning the record and a [`LossReport`].
//!
//! ```
//! use itsm_interop::{InteropOptions, LookupTables, ServiceNow, ServiceNowMapping, ServiceNowTable};
//!
//! let servicenow = ServiceNow::new(ServiceNowMapping::default(), InteropOptions::default())?;
//! let lookup = LookupTables::default();
//! let exported = serde_json::json!({
//!     "sys_id": "46d44a2ba9fe1981012e9b9bd89f3b38", "number": "INC0010042",
//!     "short_description": "VPN drops every 10 minutes", "state": "3", "hold_reason": "4",
//!     "impact": "1", "urgency": "1", "priority": "1",
//!     "opened_at": "2026-03-02 09:15:00",
//!     "caller_id": {"link": "https://acme.service-now.com/api/now/table/sys_user/5137153cc611227c000bbd1bd8cd2005",
//!                   "value": "5137153cc611227c000bbd1bd8cd2005"},
//!     "u_vendor_ticket": "CISCO-55512"
//! });
//! let imported = servicenow.import(ServiceNowTable::Incident, &exported, &lookup)?;
//! let incident = imported.record.as_incident().unwrap();
//! assert_eq!(incident.state, itsm_core::IncidentState::OnHold);
//! assert_eq!(incident.on_hold_reason, Some(itsm_core::OnHoldReason::AwaitingVendor));
//! // The custom field had no place of ours: kept in the extensions, and reported.
//! assert_eq!(imported.report.unmapped[0].kept_as.as_deref(), Some("servicenow.u_vendor_ticket"));
//! // The source's id is kept, so a second import is recognisable.
//! assert_eq!(imported.record.external_id(itsm_interop::Format::Servicenow), Some("46d44a2ba9fe1981012e9b9bd89f3b38"));
//!
//! // Back to ServiceNow: the same record, link and custom field included.
//! let back = servicenow.export(&imported.record, &lookup)?;
//! assert_eq!(back.record["u_vendor_ticket"], "CISCO-55512");
//! assert_eq!(back.record["caller_id"], exported["caller_id"]);
//! assert_eq!(back.record["opened_at"], "2026-03-02 09:15:00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! Moving records between a service desk built on the `itsm` crates and the
//! tools it lives beside, without losing anything silently: every
//! conversion returns a [`Converted`] whose [`LossReport`] names every
//! source field that had no place, every value mapped approximately and
//! every reference that did not resolve. Unmapped fields are kept in the
//! record's extensions under the source's own names (`servicenow.u_vendor_ticket`),
//! so that exporting restores them; the source's id is kept as
//! `external_id.<source>`.
//!
//! # What it is not for
//! It is pure: it reads no clock, does no I/O and calls no API. Fetching
//! from and writing to the vendors' APIs, and storing what it converts, are
//! the caller's (the CLI's `itsm import` and `itsm export` read files).
//!
//! # Features
//! - [`ServiceNow`]: `incident`, `problem`, `change_request`, `sc_req_item`,
//!   `kb_knowledge`, `cmdb_ci` (with `sys_class_name`) and `cmdb_rel_ci`
//!   (`Depends on::Used by`), mapped by a [`ServiceNowMapping`] of code
//!   tables, the class catalogue (`ci_class`) and the CI attribute table
//!   ([`CiAttributeEntry`]).
//! - [`Jira`]: Jira Service Management issues of the incident, problem,
//!   change and service request types, by a [`JiraMapping`] of status and
//!   resolution maps.
//! - [`Tmf621`]: TMF621 Trouble Ticket v4 and v5 to and from an incident;
//!   [`Tmf639`]: a TMF639 resource to and from a configuration item and its
//!   relationships.
//! - [`Lookup`] (and [`LookupTables`], [`IndexedLookup`] for large tables):
//!   the caller's way of resolving references to our ids.
//! - [`JiraCustomFields`]: a site's custom fields for impact, urgency,
//!   change type and risk.
//! - Comments and work notes as timeline events beside the record
//!   ([`Converted::timeline`]; ServiceNow `comments`/`work_notes`, Jira
//!   `fields.comment`, TMF621 `note`), written back by
//!   `export_with_timeline`; ServiceNow `sysapproval_approver` rows, and
//!   Jira Service Management's approvals field (its id in
//!   [`JiraCustomFields::approvals`]), as a change's or request's
//!   `approvals`.
//! - [`schema_bundle`]: the JSON Schemas of the mappings and the loss report.
//!
//! # Extension keys
//! An unmapped source field is kept under `<prefix>.<path>`, the path's
//! segments joined by `.` (a `.` or `\` inside a segment escaped by `\`):
//! `servicenow.u_vendor_ticket`, `jira.fields.customfield_10010`,
//! `tmf621.href`. The source id is `external_id.<prefix>`. A configuration
//! item keeps them among its attributes; a CMDB that lists
//! [`SOURCE_NAMESPACES`] as its source namespaces accepts them, and
//! `keep_undeclared` ([`ServiceNow::keep_undeclared`],
//! [`Tmf639::keep_undeclared`]) moves there the attributes a CI's class
//! does not declare.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod activity;
mod codes;
mod engine;
mod error;
mod jira;
mod lookup;
mod record;
mod report;
mod servicenow;
mod tmf;

pub use codes::CodeEntry;
pub use error::InteropError;
pub use jira::{Jira, JiraCustomFields, JiraMapping};
pub use lookup::{IndexedLookup, InteropOptions, Lookup, LookupTables, RefKind};
pub use record::ItsmRecord;
pub use report::{
    Approximation, Converted, Direction, Format, LossReport, UnmappedField, UnresolvedReference,
};
pub use servicenow::{
    CiAttributeEntry, CiAttributeType, RelationshipTypeEntry, ServiceNow, ServiceNowMapping,
    ServiceNowTable,
};
pub use tmf::{ResourceRecord, Tmf621, Tmf621Version, Tmf639, TmfMapping};

/// The namespaces of the extension keys and CI attributes that conversions
/// keep for themselves: a format's kept fields (`servicenow.u_vendor_ticket`)
/// and the source ids (`external_id.servicenow`). A CMDB that stores
/// imported CIs lists them as its
/// [`source_namespaces`](itsm_cmdb::CmdbData::source_namespaces).
pub const SOURCE_NAMESPACES: [&str; 5] = ["servicenow", "jira", "tmf621", "tmf639", "external_id"];

/// The JSON Schemas of this crate's wire types (namespace `interop`).
#[must_use]
pub fn schema_bundle() -> itsm_core::SchemaBundle {
    itsm_core::SchemaBundle::new("interop")
        .with::<ServiceNowMapping>("servicenow_mapping")
        .with::<JiraMapping>("jira_mapping")
        .with::<TmfMapping>("tmf_mapping")
        .with::<LookupTables>("lookup_tables")
        .with::<InteropOptions>("interop_options")
        .with::<LossReport>("loss_report")
        .with::<ItsmRecord>("itsm_record")
        .with::<Converted<ItsmRecord>>("converted")
        .with::<ResourceRecord>("resource_record")
}

/// A core JSON error as ours.
pub(crate) fn core_json(error: itsm_core::CoreError) -> InteropError {
    match error {
        itsm_core::CoreError::Json { path, message } => InteropError::Json { path, message },
        other => InteropError::Json {
            path: ".".into(),
            message: other.to_string(),
        },
    }
}

/// A mapping read from JSON and validated: every problem `validate` finds,
/// or the mapping (the one reading of the three vendors' mapping files).
pub(crate) fn read_mapping<T: serde::de::DeserializeOwned>(
    text: &str,
    name: &'static str,
    validate: impl FnOnce(&T) -> Vec<itsm_core::Violation>,
) -> Result<T, InteropError> {
    let mapping: T = itsm_core::from_json(text).map_err(core_json)?;
    let problems = validate(&mapping);
    if problems.is_empty() {
        Ok(mapping)
    } else {
        Err(InteropError::InvalidMapping { name, problems })
    }
}

/// The options' time zone, or a problem naming it.
pub(crate) fn time_zone(
    options: &InteropOptions,
    problems: &mut Vec<itsm_core::Violation>,
) -> Option<chrono_tz::Tz> {
    let name = options.time_zone.as_deref()?;
    match name.parse::<chrono_tz::Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            problems.push(itsm_core::Violation {
                path: "options.time_zone".into(),
                rule: "unknown_time_zone".into(),
                message: format!("{name:?} is not an IANA time zone (\"Europe/London\")"),
            });
            None
        }
    }
}
