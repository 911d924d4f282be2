//! TM Forum: TMF621 Trouble Ticket (v4 and v5) and TMF639 Resource.

use itsm_cmdb::{ConfigurationItem, LifecycleStatus, OperationalState, Relationship};
use itsm_core::{
    Channel, CiId, Impact, IncidentState, NumberPrefix, OnHoldReason, Priority, Violation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::activity;
use crate::codes::{CodeEntry, Table, check, rows, with_approx};
use crate::engine::{
    Conv, Dialect, Engine, Field, RoleShape, Tables, derived_id, field, get, is_empty,
};
use crate::{
    Approximation, Converted, Direction, Format, InteropError, InteropOptions, ItsmRecord, Lookup,
    LossReport, RefKind, UnmappedField, UnresolvedReference,
};

/// How TM Forum values map to ours: tables, as data.
///
/// TMF621 leaves `severity`, `priority` and `ticketType` free text; the
/// defaults follow the examples of the specifications (`Critical`, `Major`,
/// `Minor`; priorities `1` to `5`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct TmfMapping {
    /// TMF621 `severity` to our impact.
    pub severity: Vec<CodeEntry<Impact>>,
    /// TMF621 `priority`.
    pub priority: Vec<CodeEntry<Priority>>,
    /// TMF621 `status` (`acknowledged`, `inProgress`, `pending`, `held`, `resolved`, `closed`, `cancelled`, `rejected`).
    pub status: Vec<CodeEntry<IncidentState>>,
    /// TMF621 `statusChangeReason` of a pending or held ticket, to our on-hold reason.
    pub hold_reason: Vec<CodeEntry<OnHoldReason>>,
    /// TMF621 `channel.name`.
    pub channel: Vec<CodeEntry<Channel>>,
    /// TMF639 `operationalState` (`enable`, `disable`).
    pub operational_state: Vec<CodeEntry<OperationalState>>,
    /// TMF639 `resourceStatus` (`available`, `reserved`, `standby`, `suspended`, `unknown`, `alarm`).
    pub resource_status: Vec<CodeEntry<LifecycleStatus>>,
    /// TMF639 `resourceRelationship[].relationshipType` to our relationship type key.
    pub relationship_type: Vec<CodeEntry<String>>,
}

impl Default for TmfMapping {
    fn default() -> Self {
        use IncidentState as I;
        Self {
            severity: with_approx(
                rows(&[
                    ("Critical", Impact::VeryHigh),
                    ("Major", Impact::High),
                    ("Moderate", Impact::Medium),
                    ("Minor", Impact::Low),
                    ("Warning", Impact::VeryLow),
                ]),
                &[("Cosmetic", Impact::VeryLow)],
            ),
            priority: rows(&[
                ("1", Priority::P1),
                ("2", Priority::P2),
                ("3", Priority::P3),
                ("4", Priority::P4),
                ("5", Priority::P5),
                ("6", Priority::P6),
            ]),
            status: with_approx(
                rows(&[
                    ("acknowledged", I::New),
                    ("inProgress", I::InProgress),
                    ("pending", I::OnHold),
                    ("resolved", I::Resolved),
                    ("closed", I::Closed),
                    ("cancelled", I::Canceled),
                ]),
                &[("held", I::OnHold), ("rejected", I::Canceled)],
            ),
            hold_reason: rows(&[
                ("awaitingCustomer", OnHoldReason::AwaitingCaller),
                ("awaitingChange", OnHoldReason::AwaitingChange),
                ("awaitingProblem", OnHoldReason::AwaitingProblem),
                ("awaitingVendor", OnHoldReason::AwaitingVendor),
            ]),
            channel: rows(&[
                ("phone", Channel::Phone),
                ("email", Channel::Email),
                ("selfService", Channel::SelfService),
                ("chat", Channel::Chat),
                ("walkIn", Channel::WalkIn),
                ("monitoring", Channel::Monitoring),
            ]),
            operational_state: with_approx(
                rows(&[
                    ("enable", OperationalState::Operational),
                    ("disable", OperationalState::Down),
                ]),
                &[("enable", OperationalState::Degraded)],
            ),
            resource_status: with_approx(
                rows(&[
                    ("available", LifecycleStatus::InUse),
                    ("reserved", LifecycleStatus::Ordered),
                    ("standby", LifecycleStatus::Installed),
                    ("suspended", LifecycleStatus::InMaintenance),
                    ("unknown", LifecycleStatus::Planned),
                ]),
                &[
                    ("alarm", LifecycleStatus::InUse),
                    ("suspended", LifecycleStatus::Retired),
                ],
            ),
            relationship_type: rows(&[
                ("dependsOn", "depends_on".to_owned()),
                ("runsOn", "runs_on".to_owned()),
                ("hostedOn", "hosted_on".to_owned()),
                ("contains", "contains".to_owned()),
                ("memberOf", "member_of".to_owned()),
                ("connectsTo", "connects_to".to_owned()),
                ("poweredBy", "powered_by".to_owned()),
            ]),
        }
    }
}

impl TmfMapping {
    /// Reads a mapping from JSON; tables it omits keep their defaults.
    ///
    /// # Errors
    /// [`InteropError::Json`] with the path of an unknown field or a bad
    /// value; [`InteropError::InvalidMapping`] with every problem.
    pub fn from_json(text: &str) -> Result<Self, InteropError> {
        crate::read_mapping(text, "tmf", Self::validate)
    }

    /// Every problem at once: empty codes, a code mapped twice by exact rows.
    #[must_use]
    pub fn validate(&self) -> Vec<Violation> {
        let mut problems = Vec::new();
        check("severity", &self.severity, &mut problems);
        check("priority", &self.priority, &mut problems);
        check("status", &self.status, &mut problems);
        check("hold_reason", &self.hold_reason, &mut problems);
        check("channel", &self.channel, &mut problems);
        check("operational_state", &self.operational_state, &mut problems);
        check("resource_status", &self.resource_status, &mut problems);
        check("relationship_type", &self.relationship_type, &mut problems);
        problems
    }

    fn tables(&self) -> Tables {
        let mut t = Tables::new();
        t.insert("severity", Table::compile(&self.severity));
        t.insert("priority", Table::compile(&self.priority));
        t.insert("status", Table::compile(&self.status));
        t.insert("hold_reason", Table::compile(&self.hold_reason));
        t.insert("channel", Table::compile(&self.channel));
        t.insert("operational_state", Table::compile(&self.operational_state));
        t.insert("resource_status", Table::compile(&self.resource_status));
        t.insert("relationship_type", Table::compile(&self.relationship_type));
        t
    }
}

/// The TMF621 version of a trouble ticket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tmf621Version {
    /// Version 4: `statusChange`, `externalId`, flat related parties and entities.
    V4,
    /// Version 5: `statusChangeHistory`, `externalIdentifier[]`, `@type` required.
    V5,
}

const NIL: &str = "\"00000000-0000-0000-0000-000000000000\"";
const EPOCH: &str = "\"1970-01-01T00:00:00Z\"";
const PARTY: &[&str] = &["relatedParty"];
const ENTITY: &[&str] = &["relatedEntity"];

use RefKind as K;

macro_rules! ticket_fields {
    ($party:expr, $entity:expr, $number:expr, $history:expr, $($extra:expr),*) => {
        &[
            field(&["id"], &["id"], Conv::OwnId(K::Incident)).required(),
            $number,
            field(&["name"], &["short_description"], Conv::Text).or("\"\""),
            field(&["description"], &["description"], Conv::Text),
            field(&["severity"], &["impact"], Conv::Code("severity")).or("\"low\""),
            field(&[], &["urgency"], Conv::Constant).or("\"low\""),
            field(&["priority"], &["priority"], Conv::Code("priority")).or("\"p5\""),
            field(&["ticketType"], &[], Conv::Fixed("incident")),
            field(&["status"], &["state"], Conv::Code("status")).or("\"new\""),
            field(&["statusChangeReason"], &["on_hold_reason"], Conv::Code("hold_reason")),
            field(&["creationDate"], &["opened_at"], Conv::Time).or(EPOCH),
            field(&["resolutionDate"], &["resolved_at"], Conv::Time),
            field(&["channel", "name"], &["channel"], Conv::Code("channel")),
            field(PARTY, &["caller"], Conv::Role { role: "reporter", kind: K::Person, many: false, referred: "Individual", shape: $party }).or(NIL),
            field(PARTY, &["opened_by"], Conv::Role { role: "creator", kind: K::Person, many: false, referred: "Individual", shape: $party }),
            field(PARTY, &["assigned_to"], Conv::Role { role: "assignee", kind: K::Person, many: false, referred: "Individual", shape: $party }),
            field(PARTY, &["assignment_group"], Conv::Role { role: "assignmentGroup", kind: K::Group, many: false, referred: "Organization", shape: $party }),
            field(PARTY, &["resolved_by"], Conv::Role { role: "resolver", kind: K::Person, many: false, referred: "Individual", shape: $party }),
            field(PARTY, &["closed_by"], Conv::Role { role: "closer", kind: K::Person, many: false, referred: "Individual", shape: $party }),
            field(ENTITY, &["configuration_items"], Conv::Role { role: "affectedResource", kind: K::ConfigurationItem, many: true, referred: "Resource", shape: $entity }),
            field(ENTITY, &["service"], Conv::Role { role: "affectedService", kind: K::Service, many: false, referred: "Service", shape: $entity }),
            field(ENTITY, &["problem"], Conv::Role { role: "problem", kind: K::Problem, many: false, referred: "Problem", shape: $entity }),
            field(ENTITY, &["change_request"], Conv::Role { role: "change", kind: K::Change, many: false, referred: "ChangeRequest", shape: $entity }),
            field(ENTITY, &["caused_by_change"], Conv::Role { role: "causedBy", kind: K::Change, many: false, referred: "ChangeRequest", shape: $entity }),
            field(ENTITY, &["parent_incident"], Conv::Role { role: "parent", kind: K::Incident, many: false, referred: "TroubleTicket", shape: $entity }),
            $history,
            $($extra),*
        ]
    };
}

const V5_PARTY: RoleShape = RoleShape::Nested {
    inner: "partyOrPartyRole",
    inner_type: "PartyRef",
    outer_type: "RelatedPartyRefOrPartyRoleRef",
};
const V5_ENTITY: RoleShape = RoleShape::Nested {
    inner: "entity",
    inner_type: "EntityRef",
    outer_type: "RelatedEntity",
};

const TICKET_V4: &[Field] = ticket_fields!(
    RoleShape::Flat,
    RoleShape::Flat,
    field(
        &["externalId"],
        &["number"],
        Conv::Number(NumberPrefix::Incident)
    ),
    field(
        &["statusChange"],
        &["extensions", "tmf621.status_change"],
        Conv::History { v5: false }
    ),
);

const TICKET_V5: &[Field] = ticket_fields!(
    V5_PARTY,
    V5_ENTITY,
    field(
        &["externalIdentifier"],
        &["number"],
        Conv::ExternalIdentifiers
    ),
    field(
        &["statusChangeHistory"],
        &["extensions", "tmf621.status_change"],
        Conv::History { v5: true }
    ),
    field(&["@type"], &[], Conv::Fixed("TroubleTicket")).required()
);

/// Converts TMF621 trouble tickets (v4 or v5) to our incidents and back.
///
/// ```
/// use itsm_interop::{InteropOptions, LookupTables, Tmf621, Tmf621Version, TmfMapping};
/// let tmf = Tmf621::new(TmfMapping::default(), InteropOptions::default())?;
/// let ticket = serde_json::json!({"id": "3180", "@type": "TroubleTicket",
///     "name": "Broadband down", "description": "No sync since 08:00",
///     "severity": "Major", "priority": "2", "ticketType": "incident", "status": "inProgress",
///     "creationDate": "2026-03-02T08:05:00Z",
///     "externalIdentifier": [{"id": "INC0003180", "owner": "itsm", "@type": "ExternalIdentifier"}]});
/// let converted = tmf.import(Tmf621Version::V5, &ticket, &LookupTables::default())?;
/// let incident = converted.record.as_incident().unwrap();
/// assert_eq!(incident.number.to_string(), "INC0003180");
/// assert_eq!(incident.impact, itsm_core::Impact::High);
/// // The same ticket as v4: `externalIdentifier[]` becomes `externalId`.
/// let v4 = tmf.export(Tmf621Version::V4, &converted.record, &LookupTables::default())?;
/// assert_eq!(v4.record["externalId"], "INC0003180");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tmf621 {
    mapping: TmfMapping,
    tables: Tables,
}

fn tmf_engine<'a>(format: Format, tables: &'a Tables, lookup: &'a dyn Lookup) -> Engine<'a> {
    Engine {
        format,
        dialect: Dialect::Tmf,
        tables,
        tz: None,
        lookup,
        containers: &[],
        instance_url: None,
        project_key: "",
    }
}

fn check_mapping(mapping: &TmfMapping, options: &InteropOptions) -> Result<Tables, InteropError> {
    let mut problems = mapping.validate();
    let _ = crate::time_zone(options, &mut problems);
    if problems.is_empty() {
        Ok(mapping.tables())
    } else {
        Err(InteropError::InvalidMapping {
            name: "tmf",
            problems,
        })
    }
}

impl Tmf621 {
    /// A converter for this mapping.
    ///
    /// # Errors
    /// [`InteropError::InvalidMapping`] listing every problem of the mapping.
    pub fn new(mapping: TmfMapping, options: InteropOptions) -> Result<Self, InteropError> {
        Ok(Self {
            tables: check_mapping(&mapping, &options)?,
            mapping,
        })
    }

    /// The mapping in use.
    #[must_use]
    pub fn mapping(&self) -> &TmfMapping {
        &self.mapping
    }

    const fn format(version: Tmf621Version) -> (Format, &'static [Field]) {
        match version {
            Tmf621Version::V4 => (Format::Tmf621V4, TICKET_V4),
            Tmf621Version::V5 => (Format::Tmf621V5, TICKET_V5),
        }
    }

    /// One trouble ticket to an incident.
    ///
    /// # Errors
    /// [`InteropError::Missing`] without an `id` (or, in v5, an `@type`).
    pub fn import(
        &self,
        version: Tmf621Version,
        ticket: &Value,
        lookup: &dyn Lookup,
    ) -> Result<Converted<ItsmRecord>, InteropError> {
        let (format, fields) = Self::format(version);
        let engine = tmf_engine(format, &self.tables, lookup);
        let mut source = ticket.clone();
        let mut ext = activity::Ext::new();
        let mut extra = LossReport::new(format, Direction::Import);
        let v5 = version == Tmf621Version::V5;
        let timeline = if source.is_object() {
            activity::import_notes(&engine, &mut source, &mut ext, &mut extra, v5)
        } else {
            Vec::new()
        };
        let (mut ours, mut report) = engine.import(fields, &source, &["extensions"])?;
        activity::merge(&mut ours, &["extensions"], ext, &mut report, extra);
        Ok(Converted {
            record: ItsmRecord::from_json("incident", ours)?,
            timeline,
            report,
        })
    }

    /// An incident as a trouble ticket.
    ///
    /// # Errors
    /// [`InteropError::UnknownType`] for a record that is not an incident.
    pub fn export(
        &self,
        version: Tmf621Version,
        record: &ItsmRecord,
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        self.export_with_timeline(version, record, &[], lookup)
    }

    /// An incident with its timeline: public comments as `note`; work
    /// notes (agents only, while a ticket is shared with the other party)
    /// and every other event are reported.
    ///
    /// # Errors
    /// As [`export`](Self::export).
    pub fn export_with_timeline(
        &self,
        version: Tmf621Version,
        record: &ItsmRecord,
        timeline: &[itsm_core::TimelineEvent],
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        let ItsmRecord::Incident(_) = record else {
            return Err(InteropError::UnknownType {
                format: Self::format(version).0.name(),
                path: "kind".into(),
                value: record.kind().into(),
                expected: "incident".into(),
            });
        };
        let (format, fields) = Self::format(version);
        let engine = tmf_engine(format, &self.tables, lookup);
        let mut ours = record.to_json();
        let key = crate::engine::ext_key("tmf621", &["note"]);
        let mut ext = activity::take_kept(&mut ours, &["extensions"], &[key]);
        let (mut record, mut report) = engine.export(fields, &ours, &["extensions"]);
        let v5 = version == Tmf621Version::V5;
        activity::export_notes(&engine, timeline, &mut ext, &mut record, &mut report, v5);
        activity::report_other_events(timeline, &mut report);
        Ok(Converted {
            record,
            timeline: Vec::new(),
            report,
        })
    }
}

/// A TMF639 resource as ours: the configuration item and the relationships
/// that read from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ResourceRecord {
    /// The configuration item.
    pub configuration_item: ConfigurationItem,
    /// Its relationships (`resourceRelationship`), each with this CI as source.
    #[serde(default)]
    pub relationships: Vec<Relationship>,
}

const RESOURCE: &[Field] = &[
    field(&["id"], &["id"], Conv::OwnId(K::ConfigurationItem)).required(),
    field(&["name"], &["name"], Conv::Text).or("\"\""),
    field(&["resourceSpecification", "name"], &["class"], Conv::Text).or("\"configuration_item\""),
    field(
        &["operationalState"],
        &["operational_state"],
        Conv::Code("operational_state"),
    )
    .or("\"operational\""),
    field(
        &["resourceStatus"],
        &["lifecycle"],
        Conv::Code("resource_status"),
    )
    .or("\"in_use\""),
    field(
        &["resourceCharacteristic"],
        &["attributes"],
        Conv::Characteristics,
    ),
];

const RELATIONSHIPS_KEY: &str = "tmf639.resourceRelationship";

/// Converts TMF639 resources to configuration items and back.
///
/// ```
/// use itsm_interop::{InteropOptions, LookupTables, Tmf639, TmfMapping};
/// let tmf = Tmf639::new(TmfMapping::default(), InteropOptions::default())?;
/// let resource = serde_json::json!({"id": "db-01", "name": "payroll-db", "@type": "LogicalResource",
///     "resourceSpecification": {"id": "7", "name": "database"},
///     "operationalState": "enable", "resourceStatus": "available",
///     "resourceCharacteristic": [{"name": "engine", "value": "postgresql"}],
///     "resourceRelationship": [{"relationshipType": "runsOn", "resource": {"id": "vm-01"}}]});
/// let converted = tmf.import(&resource, &LookupTables::default())?;
/// let ci = &converted.record.configuration_item;
/// assert_eq!(ci.class, "database");
/// assert_eq!(ci.attributes["engine"], "postgresql".into());
/// assert_eq!(converted.record.relationships[0].relationship_type, "runs_on");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Tmf639 {
    mapping: TmfMapping,
    tables: Tables,
}

impl Tmf639 {
    /// A converter for this mapping.
    ///
    /// # Errors
    /// [`InteropError::InvalidMapping`] listing every problem of the mapping.
    pub fn new(mapping: TmfMapping, options: InteropOptions) -> Result<Self, InteropError> {
        Ok(Self {
            tables: check_mapping(&mapping, &options)?,
            mapping,
        })
    }

    /// The mapping in use.
    #[must_use]
    pub fn mapping(&self) -> &TmfMapping {
        &self.mapping
    }

    /// Moves into the `tmf639.` source namespace every attribute of `ci`
    /// that its class does not declare (`declares` says which it does), as
    /// `tmf639.resourceCharacteristic.<name>`, so that a CMDB with the
    /// `tmf639` source namespace accepts the CI; export writes them as
    /// characteristics again. Returns the moves, as unmapped fields of the
    /// source.
    pub fn keep_undeclared(
        &self,
        ci: &mut itsm_cmdb::ConfigurationItem,
        declares: &dyn Fn(&str) -> bool,
    ) -> Vec<UnmappedField> {
        let undeclared: Vec<String> = ci
            .attributes
            .keys()
            .filter(|k| !crate::engine::is_namespaced(k) && !declares(k))
            .cloned()
            .collect();
        let mut moved = Vec::new();
        for name in undeclared {
            let Some(value) = ci.attributes.remove(&name) else {
                continue;
            };
            let key = crate::engine::ext_key("tmf639", &["resourceCharacteristic", &name]);
            ci.attributes.insert(key.clone(), value);
            moved.push(UnmappedField {
                path: format!("resourceCharacteristic[?(@.name=='{name}')]"),
                kept_as: Some(key),
            });
        }
        moved
    }

    /// One resource to a configuration item and its relationships.
    ///
    /// # Errors
    /// [`InteropError::Missing`] without an `id`; [`InteropError::InvalidValue`]
    /// when the resource is not an object.
    pub fn import(
        &self,
        resource: &Value,
        lookup: &dyn Lookup,
    ) -> Result<Converted<ResourceRecord>, InteropError> {
        let engine = tmf_engine(Format::Tmf639, &self.tables, lookup);
        let mut source = resource.clone();
        let relationships_raw = match &mut source {
            Value::Object(map) => map.remove("resourceRelationship"),
            _ => None,
        };
        let (mut ours, mut report) = engine.import(RESOURCE, &source, &["attributes"])?;
        let ci_id = get(&ours, &["id"])
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<CiId>().ok())
            .unwrap_or(CiId::from_u128(0));
        let mut relationships = Vec::new();
        if let Some(raw) = relationships_raw.filter(|r| !is_empty(r)) {
            let items = raw.as_array().cloned().unwrap_or_default();
            for (i, item) in items.iter().enumerate() {
                let path = format!("resourceRelationship[{i}]");
                let code = item
                    .get("relationshipType")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let relationship_type = match self
                    .tables
                    .get("relationship_type")
                    .and_then(|t| t.import(code))
                {
                    Some((ours_type, crate::codes::Exactness::Exact)) => ours_type.to_owned(),
                    Some((ours_type, crate::codes::Exactness::Approximate(reason))) => {
                        report.approximations.push(Approximation {
                            path: format!("{path}.relationshipType"),
                            source_value: code.into(),
                            became: ours_type.into(),
                            reason,
                        });
                        ours_type.to_owned()
                    }
                    None => {
                        report.approximations.push(Approximation {
                            path: format!("{path}.relationshipType"),
                            source_value: code.into(),
                            became: code.into(),
                            reason: "not in relationship_type; kept as the type key".into(),
                        });
                        code.to_owned()
                    }
                };
                let key = item
                    .get("resource")
                    .and_then(|r| r.get("id"))
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let target = match engine.resolve(RefKind::ConfigurationItem, key) {
                    Some(id) => CiId::from_uuid(id),
                    None => {
                        report.unresolved.push(UnresolvedReference {
                            path: format!("{path}.resource.id"),
                            value: key.into(),
                            kind: RefKind::ConfigurationItem,
                            kept_as: Some(RELATIONSHIPS_KEY.into()),
                        });
                        CiId::from_uuid(derived_id("tmf639", key))
                    }
                };
                relationships.push(Relationship::new(ci_id, relationship_type, target));
            }
            // Keep the originals when export would not give them back.
            if self.write_relationships(&relationships, &engine).0 != raw {
                if let Some(Value::Object(attributes)) = ours.get_mut("attributes") {
                    attributes.insert(RELATIONSHIPS_KEY.into(), raw);
                }
                report.unmapped.retain(|u| u.path != "resourceRelationship");
            }
        }
        let configuration_item: ConfigurationItem =
            serde_json::from_value(ours).map_err(|e| InteropError::Record {
                kind: "configuration_item",
                message: e.to_string(),
            })?;
        Ok(Converted {
            record: ResourceRecord {
                configuration_item,
                relationships,
            },
            timeline: Vec::new(),
            report,
        })
    }

    fn write_relationships(
        &self,
        relationships: &[Relationship],
        engine: &Engine<'_>,
    ) -> (Value, Vec<Approximation>) {
        let mut lost = Vec::new();
        let items = relationships
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let code = match self
                    .tables
                    .get("relationship_type")
                    .and_then(|t| t.export(&r.relationship_type))
                {
                    Some((code, _)) => code.to_owned(),
                    None => {
                        lost.push(Approximation {
                            path: format!("relationships[{i}].type"),
                            source_value: r.relationship_type.as_str().into(),
                            became: r.relationship_type.as_str().into(),
                            reason: "not in relationship_type; written as the type key".into(),
                        });
                        r.relationship_type.clone()
                    }
                };
                let target = engine.write_ref(RefKind::ConfigurationItem, *r.target.as_uuid());
                serde_json::json!({"relationshipType": code, "resource": {"id": target}})
            })
            .collect();
        (Value::Array(items), lost)
    }

    /// A configuration item and its relationships as a resource.
    ///
    /// # Errors
    /// None at present; the `Result` leaves room for records that cannot be
    /// written at all.
    pub fn export(
        &self,
        record: &ResourceRecord,
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        let engine = tmf_engine(Format::Tmf639, &self.tables, lookup);
        let mut ci = record.configuration_item.clone();
        let original = ci.attributes.remove(RELATIONSHIPS_KEY);
        let ours = serde_json::to_value(&ci).unwrap_or_default();
        let (mut out, mut report) = engine.export(RESOURCE, &ours, &["attributes"]);
        let mine: Vec<Relationship> = record
            .relationships
            .iter()
            .filter(|r| r.source == ci.id)
            .cloned()
            .collect();
        for (i, r) in record.relationships.iter().enumerate() {
            if r.source != ci.id {
                report.unmapped.push(UnmappedField {
                    path: format!("relationships[{i}]"),
                    kept_as: None,
                });
            }
        }
        let restored = original.and_then(|o| {
            let value: Value = serde_json::from_value(serde_json::to_value(&o).ok()?).ok()?;
            let mut probe =
                serde_json::json!({"id": ci.id.to_string(), "resourceRelationship": value.clone()});
            if let Value::Object(map) = &mut probe {
                map.insert("id".into(), Value::String(ci.id.to_string()));
            }
            let back = self.import(&probe, lookup).ok()?;
            (back.record.relationships == mine).then_some(value)
        });
        let relationships = match restored {
            Some(value) => value,
            None => {
                let (value, lost) = self.write_relationships(&mine, &engine);
                report.approximations.extend(lost);
                value
            }
        };
        if !is_empty(&relationships)
            && let Value::Object(map) = &mut out
        {
            map.insert("resourceRelationship".into(), relationships);
        }
        let _ = Map::<String, Value>::new();
        Ok(Converted {
            record: out,
            timeline: Vec::new(),
            report,
        })
    }
}
