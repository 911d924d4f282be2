//! [`Converted`] and its [`LossReport`].

use itsm_core::FieldValue;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::RefKind;

/// The formats this crate converts from and to.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Format {
    /// ServiceNow Table API JSON (`{"result": [...]}` records).
    Servicenow,
    /// Jira Service Management REST issue JSON.
    Jira,
    /// TM Forum TMF621 Trouble Ticket, version 4.
    Tmf621V4,
    /// TM Forum TMF621 Trouble Ticket, version 5.
    Tmf621V5,
    /// TM Forum TMF639 Resource Inventory (a resource).
    Tmf639,
    /// Our own JSON, passed through without conversion (the CLI's `itsm`
    /// format); its reports are always empty.
    Itsm,
}

impl Format {
    /// The `snake_case` wire name (`tmf621_v5`).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Servicenow => "servicenow",
            Self::Jira => "jira",
            Self::Tmf621V4 => "tmf621_v4",
            Self::Tmf621V5 => "tmf621_v5",
            Self::Tmf639 => "tmf639",
            Self::Itsm => "itsm",
        }
    }

    /// The prefix of the extension keys that keep this format's fields
    /// (`servicenow`, `jira`, `tmf621` for both versions, `tmf639`).
    #[must_use]
    pub const fn extension_prefix(self) -> &'static str {
        match self {
            Self::Servicenow => "servicenow",
            Self::Jira => "jira",
            Self::Tmf621V4 | Self::Tmf621V5 => "tmf621",
            Self::Tmf639 => "tmf639",
            Self::Itsm => "itsm",
        }
    }

    /// The extension key that keeps the source's own id of a record
    /// (`external_id.servicenow`), so that a second import is recognisable.
    #[must_use]
    pub fn external_id_key(self) -> String {
        format!("external_id.{}", self.extension_prefix())
    }
}

/// Which way a conversion went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the vendor's format to ours.
    Import,
    /// From ours to the vendor's format.
    Export,
}

/// A converted record and what the conversion could not carry exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Converted<T> {
    /// The converted record.
    pub record: T,
    /// On import, the record's comments and work notes as our timeline
    /// events (`comment_added`), oldest first; empty on export.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub timeline: Vec<itsm_core::TimelineEvent>,
    /// What had no place, what was approximated, what did not resolve.
    pub report: LossReport,
}

/// Everything a conversion did not carry exactly. Anything it does not list
/// survives a round trip unchanged.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct LossReport {
    /// The vendor format on the other side.
    pub format: Format,
    /// Import (theirs to ours) or export (ours to theirs).
    pub direction: Direction,
    /// Source fields with no place in the target's own fields. On import they
    /// are kept in the record's extensions (`kept_as`), and export restores
    /// them; on export, and for a record without extensions (a
    /// relationship), they are dropped (`kept_as` is `null`).
    #[serde(default)]
    pub unmapped: Vec<UnmappedField>,
    /// Values mapped to something close but not equal, or not mapped at all
    /// because they do not read (an unknown code, a malformed date).
    #[serde(default)]
    pub approximations: Vec<Approximation>,
    /// References (people, groups, CIs, records) that the lookup could not
    /// resolve; the original is kept in the extensions.
    #[serde(default)]
    pub unresolved: Vec<UnresolvedReference>,
}

impl LossReport {
    /// An empty report.
    #[must_use]
    pub fn new(format: Format, direction: Direction) -> Self {
        Self {
            format,
            direction,
            unmapped: Vec::new(),
            approximations: Vec::new(),
            unresolved: Vec::new(),
        }
    }

    /// Whether nothing was lost, approximated or left unresolved.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.unmapped.is_empty() && self.approximations.is_empty() && self.unresolved.is_empty()
    }

    /// Every path the report names, in order: unmapped, approximated, unresolved.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.unmapped
            .iter()
            .map(|u| u.path.as_str())
            .chain(self.approximations.iter().map(|a| a.path.as_str()))
            .chain(self.unresolved.iter().map(|u| u.path.as_str()))
    }
}

/// A source field with no place in the target's own fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UnmappedField {
    /// Its JSON path in the source (`u_vendor_ticket`, `fields.customfield_10010`).
    pub path: String,
    /// The extension key that keeps it (`servicenow.u_vendor_ticket`), or
    /// `null` when it was dropped.
    #[serde(default)]
    pub kept_as: Option<String>,
}

/// A value mapped approximately, or not mapped because it does not read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Approximation {
    /// Its JSON path in the source.
    pub path: String,
    /// The source value.
    pub source_value: FieldValue,
    /// What it became (`null`: nothing, the field was left empty or defaulted).
    pub became: FieldValue,
    /// Why it is not exact.
    pub reason: String,
}

/// A reference that the lookup could not resolve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UnresolvedReference {
    /// Its JSON path in the source.
    pub path: String,
    /// What the reference held (a sys_id, an account id, a name).
    pub value: FieldValue,
    /// What it refers to.
    pub kind: RefKind,
    /// The extension key that keeps the original, or `null` when dropped.
    #[serde(default)]
    pub kept_as: Option<String>,
}
