//! The CMDB's plain data: classes, configuration items, relationship types,
//! relationships and the rules that govern them. This is also the JSON
//! import/export form of a whole CMDB ([`CmdbData`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use itsm_core::{CiId, FieldValue};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The type of a class attribute's values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case")]
#[schemars(tag = "type", rename = "AttributeType")]
#[non_exhaustive]
pub enum AttributeType {
    /// Text.
    String,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// An RFC 3339 instant, as a string.
    DateTime,
    /// One of a fixed list of strings.
    Choice {
        /// The accepted values.
        values: Vec<String>,
    },
}

itsm_core::internally_tagged!(AttributeType, "type");

/// A typed attribute declared by a class and inherited by its subclasses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttributeDefinition {
    /// The attribute's key (`ip_address`).
    pub name: String,
    /// The type of its values.
    #[serde(rename = "type")]
    pub value_type: AttributeType,
    /// Whether every CI of the class must set it.
    #[serde(default)]
    pub required: bool,
}

/// A CI class, in a single-inheritance hierarchy (`configuration_item` →
/// `hardware` → `server` → `linux_server`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiClass {
    /// The class key, `snake_case` (`linux_server`).
    pub name: String,
    /// The name a person reads (`Linux Server`).
    #[serde(default)]
    pub label: Option<String>,
    /// The parent class; `None` only for the root class.
    #[serde(default)]
    pub parent: Option<String>,
    /// Whether CIs of this class are business services: impact analysis
    /// reports them as impacted services. Inherited by subclasses.
    #[serde(default)]
    pub service: bool,
    /// The attributes it declares (its subclasses inherit them).
    #[serde(default)]
    pub attributes: Vec<AttributeDefinition>,
}

/// Where a CI stands in its life cycle.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum LifecycleStatus {
    /// Planned, not yet ordered or built.
    Planned,
    /// Ordered or being built.
    Ordered,
    /// Installed, not yet in service.
    Installed,
    /// In service.
    InUse,
    /// In service, under maintenance.
    InMaintenance,
    /// Out of service.
    Retired,
}

/// Whether a CI is currently working.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum OperationalState {
    /// Working normally.
    Operational,
    /// Working with reduced capacity or redundancy.
    Degraded,
    /// Not working.
    Down,
}

/// How many of a CI's dependencies of one relationship type must stay up
/// for the CI to stay up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RedundancyRequirement {
    /// At least this many must stay up (two power supplies, one required: `at_least: 1`).
    AtLeast(u32),
    /// At least this percentage, rounded up (a four-node cluster with half required: `percent: 50`).
    Percent(u8),
}

/// A CI's redundancy over one relationship type: it stays up (degraded)
/// while enough of the CIs it depends on through that type stay up.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redundancy {
    /// The relationship type whose dependencies are redundant (`member_of`).
    pub relationship_type: String,
    /// How many must stay up.
    pub required: RedundancyRequirement,
}

/// A configuration item.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigurationItem {
    /// The CI's id.
    pub id: CiId,
    /// Its class key.
    pub class: String,
    /// Its name (`db-prod-01`).
    pub name: String,
    /// Its attribute values, by attribute key.
    #[serde(default, deserialize_with = "itsm_core::unique_fields")]
    pub attributes: BTreeMap<String, FieldValue>,
    /// Its life-cycle status.
    pub lifecycle: LifecycleStatus,
    /// Its operational state.
    pub operational_state: OperationalState,
    /// Redundancy declarations, at most one per relationship type.
    #[serde(default)]
    pub redundancy: Vec<Redundancy>,
}

/// Which way a failure travels along a relationship `source → target`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum ImpactDirection {
    /// A failure of the target impacts the source: the source is the
    /// dependent (`application depends_on database`).
    ToSource,
    /// A failure of the source impacts the target: the target is the
    /// dependent (`rack contains server`).
    ToTarget,
    /// A failure of either end impacts the other (`connects_to`).
    Both,
    /// Failures do not travel along it (documentation only).
    None,
}

/// A relationship type, as data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipType {
    /// The type key (`depends_on`).
    pub name: String,
    /// How the relationship reads from source to target (`depends on`).
    pub forward: String,
    /// How it reads from target to source (`used by`).
    pub reverse: String,
    /// Which way failures travel.
    pub impact: ImpactDirection,
    /// Whether the dependent end cannot exist without the other (a virtual
    /// machine without its host): removing the other end is refused while the
    /// relationship exists. Only meaningful with `to_source` or `to_target`.
    #[serde(default)]
    pub dependent: bool,
}

/// A relationship `source --type--> target` between two CIs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Relationship {
    /// The CI the relationship reads from.
    pub source: CiId,
    /// The relationship type key.
    #[serde(rename = "type")]
    pub relationship_type: String,
    /// The CI the relationship reads to.
    pub target: CiId,
}

/// A governance rule: relationships of this type are allowed from CIs of
/// `source_class` (or a subclass) to CIs of `target_class` (or a subclass).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipRule {
    /// The source's class or an ancestor of it.
    pub source_class: String,
    /// The relationship type key.
    pub relationship_type: String,
    /// The target's class or an ancestor of it.
    pub target_class: String,
}

/// How to recognise an existing CI of a class in a record from a discovery
/// source: sets of identifying attributes tried in order. A subclass's rule
/// replaces the one it would inherit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentificationRule {
    /// The class it applies to (and its subclasses without a rule of their own).
    pub class: String,
    /// Attribute sets, highest priority first; `name` names the CI's name.
    pub identifiers: Vec<Vec<String>>,
}

/// One source allowed to write an attribute, with its priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SourcePriority {
    /// The discovery source (`sccm`, `servicenow_discovery`, `manual`).
    pub source: String,
    /// Lower numbers win.
    pub priority: u32,
}

/// Which sources may write an attribute of a class, in which priority.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconciliationRule {
    /// The class it applies to (and its subclasses).
    pub class: String,
    /// The attribute; `None` for every attribute of the class. A rule for
    /// one attribute beats a rule for all.
    #[serde(default)]
    pub attribute: Option<String>,
    /// The sources allowed to write, with their priorities.
    pub sources: Vec<SourcePriority>,
    /// After how many seconds without an update a higher-priority source's
    /// value is stale, so that a lower-priority source may overwrite it.
    #[serde(default)]
    pub stale_after_seconds: Option<u64>,
}

/// A whole CMDB as data: the import/export form, and what a snapshot holds.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct CmdbData {
    /// The class hierarchy.
    #[serde(default)]
    pub classes: Vec<CiClass>,
    /// The relationship types.
    #[serde(default)]
    pub relationship_types: Vec<RelationshipType>,
    /// The governance rules.
    #[serde(default)]
    pub rules: Vec<RelationshipRule>,
    /// The identification rules.
    #[serde(default)]
    pub identification_rules: Vec<IdentificationRule>,
    /// The reconciliation rules.
    #[serde(default)]
    pub reconciliation_rules: Vec<ReconciliationRule>,
    /// Source namespaces: a CI of any class may carry attributes whose key
    /// is one of these names, a `.`, and anything (`servicenow` admits
    /// `servicenow.u_rack`). They are what an import from another tool
    /// keeps of fields its class does not declare: untyped, never
    /// required, and never mistaken for the class's own attributes. Empty:
    /// every attribute must be declared by the class.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub source_namespaces: Vec<String>,
    /// The configuration items.
    #[serde(default)]
    pub cis: Vec<ConfigurationItem>,
    /// The relationships.
    #[serde(default)]
    pub relationships: Vec<Relationship>,
}

/// When and by which source an attribute was last written (kept by the
/// store for reconciliation).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AttributeProvenance {
    /// The source that wrote it.
    pub source: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl ConfigurationItem {
    /// A CI in use and operational, with no attributes and no redundancy.
    #[must_use]
    pub fn new(id: CiId, class: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            id,
            class: class.into(),
            name: name.into(),
            attributes: BTreeMap::new(),
            lifecycle: LifecycleStatus::InUse,
            operational_state: OperationalState::Operational,
            redundancy: Vec::new(),
        }
    }

    /// The same CI with one more attribute value.
    #[must_use]
    pub fn with_attribute(mut self, key: impl Into<String>, value: impl Into<FieldValue>) -> Self {
        self.attributes.insert(key.into(), value.into());
        self
    }

    /// The same CI with one more redundancy declaration.
    #[must_use]
    pub fn with_redundancy(
        mut self,
        relationship_type: impl Into<String>,
        required: RedundancyRequirement,
    ) -> Self {
        self.redundancy.push(Redundancy {
            relationship_type: relationship_type.into(),
            required,
        });
        self
    }
}

impl Relationship {
    /// The relationship `source --relationship_type--> target`.
    #[must_use]
    pub fn new(source: CiId, relationship_type: impl Into<String>, target: CiId) -> Self {
        Self {
            source,
            relationship_type: relationship_type.into(),
            target,
        }
    }
}

macro_rules! from_str_via_strum {
    ($ty:ty, $field:literal) => {
        impl std::str::FromStr for $ty {
            type Err = crate::CmdbError;

            /// Parses the `snake_case` name that `Display` writes and serde uses.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                use strum::IntoEnumIterator;
                Self::iter().find(|v| v.as_ref() == s).ok_or_else(|| {
                    crate::CmdbError::InvalidName {
                        field: $field,
                        value: s.to_owned(),
                        expected: Self::iter()
                            .map(|v| v.as_ref().to_owned())
                            .collect::<Vec<_>>()
                            .join(", "),
                    }
                })
            }
        }
    };
}

from_str_via_strum!(LifecycleStatus, "life-cycle status");
from_str_via_strum!(OperationalState, "operational state");
from_str_via_strum!(ImpactDirection, "impact direction");
