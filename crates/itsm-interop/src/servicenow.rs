//! ServiceNow's Table API: incident, problem, change_request, sc_req_item,
//! kb_knowledge, cmdb_ci and cmdb_rel_ci.

use chrono_tz::Tz;
use itsm_cmdb::{LifecycleStatus, OperationalState, Relationship};
use itsm_core::{
    ApprovalDecision, ApprovalStatus, ChangeCloseCode, ChangeRisk, ChangeState, ChangeType,
    Channel, Impact, IncidentResolutionCode, IncidentState, KnowledgeState, MajorIncidentState,
    NumberPrefix, OnHoldReason, Priority, ProblemResolutionCode, ProblemState, ServiceRequestState,
    Urgency, Violation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::activity;
use crate::codes::{CodeEntry, Table, check, rows, violation, with_approx};
use crate::engine::{Conv, Dialect, Engine, Field, Tables, field, is_empty};
use crate::error::shown;
use crate::{
    Approximation, Converted, Direction, Format, InteropError, InteropOptions, ItsmRecord, Lookup,
    LossReport, RefKind, UnmappedField, UnresolvedReference,
};

/// The ServiceNow tables this crate maps.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ServiceNowTable {
    /// `incident`, to an [`Incident`](itsm_core::Incident).
    Incident,
    /// `problem`, to a [`Problem`](itsm_core::Problem).
    Problem,
    /// `change_request`, to a [`Change`](itsm_core::Change).
    ChangeRequest,
    /// `sc_req_item` (a requested item), to a [`ServiceRequest`](itsm_core::ServiceRequest).
    ScReqItem,
    /// `kb_knowledge`, to a [`KnowledgeArticle`](itsm_core::KnowledgeArticle).
    KbKnowledge,
    /// `cmdb_ci` and its subclasses (`sys_class_name`), to a [`ConfigurationItem`](itsm_cmdb::ConfigurationItem).
    CmdbCi,
    /// `cmdb_rel_ci`, to a [`Relationship`].
    CmdbRelCi,
}

impl ServiceNowTable {
    /// Every table, in the order above.
    pub const ALL: [Self; 7] = [
        Self::Incident,
        Self::Problem,
        Self::ChangeRequest,
        Self::ScReqItem,
        Self::KbKnowledge,
        Self::CmdbCi,
        Self::CmdbRelCi,
    ];

    /// The table's name in ServiceNow.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Problem => "problem",
            Self::ChangeRequest => "change_request",
            Self::ScReqItem => "sc_req_item",
            Self::KbKnowledge => "kb_knowledge",
            Self::CmdbCi => "cmdb_ci",
            Self::CmdbRelCi => "cmdb_rel_ci",
        }
    }

    /// The table for a name (`None` for one this crate does not map).
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The table a record of ours exports to.
    #[must_use]
    pub const fn for_record(record: &ItsmRecord) -> Self {
        match record {
            ItsmRecord::Incident(_) => Self::Incident,
            ItsmRecord::Problem(_) => Self::Problem,
            ItsmRecord::Change(_) => Self::ChangeRequest,
            ItsmRecord::ServiceRequest(_) => Self::ScReqItem,
            ItsmRecord::KnowledgeArticle(_) => Self::KbKnowledge,
            ItsmRecord::ConfigurationItem(_) => Self::CmdbCi,
            ItsmRecord::Relationship(_) => Self::CmdbRelCi,
        }
    }
}

/// A ServiceNow relationship type (`cmdb_rel_type`) and ours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RelationshipTypeEntry {
    /// Its name, the two readings joined by `::` (`Depends on::Used by`).
    pub name: String,
    /// Its sys_id on the instance, when references carry only that.
    #[serde(default)]
    pub sys_id: Option<String>,
    /// Our relationship type key (`depends_on`).
    pub relationship_type: String,
    /// Whether ServiceNow's parent is our target (`Members::Member of`: the
    /// cluster is the parent, while our `member_of` reads node → cluster).
    #[serde(default)]
    pub reversed: bool,
    /// Whether using this row loses information.
    #[serde(default)]
    pub approximate: bool,
}

/// How a `cmdb_ci` attribute's value reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CiAttributeType {
    /// Text, as the instance writes it.
    #[default]
    Text,
    /// A whole number from 0 to 4294967295 (`"4"`).
    Integer,
    /// `"true"` or `"false"`.
    Boolean,
    /// A date and time (`2026-03-02 09:15:00`, in the options' time zone).
    DateTime,
    /// A date (`2026-03-02`), kept as midnight UTC.
    Date,
}

/// One `cmdb_ci` field kept as an attribute of our configuration item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CiAttributeEntry {
    /// The instance's field (`ip_address`, `u_rack`).
    pub field: String,
    /// Our attribute key (`ip_address`); a key the CI's class does not
    /// declare is kept under the `servicenow.` source namespace when the
    /// CI is stored (see `itsm import --db`).
    pub attribute: String,
    /// How the value reads (default `text`).
    #[serde(rename = "type", default)]
    pub value_type: CiAttributeType,
}

impl CiAttributeEntry {
    fn new(field: &str, attribute: &str, value_type: CiAttributeType) -> Self {
        Self {
            field: field.to_owned(),
            attribute: attribute.to_owned(),
            value_type,
        }
    }
}

/// The `cmdb_ci` fields that have rows of their own, never attributes.
const CI_OWN_FIELDS: [&str; 5] = [
    "sys_id",
    "sys_class_name",
    "name",
    "install_status",
    "operational_status",
];

/// How an instance's codes map to ours: code tables per field, as data.
///
/// The defaults follow an out-of-the-box instance. An instance with its own
/// codes writes a JSON file with only the tables it changes; unknown fields
/// are refused with their path ([`ServiceNowMapping::from_json`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceNowMapping {
    /// `incident.state`: 1 New, 2 In Progress, 3 On Hold, 6 Resolved, 7 Closed, 8 Canceled.
    pub incident_state: Vec<CodeEntry<IncidentState>>,
    /// `impact` of incidents, problems and changes: 1 High, 2 Medium, 3 Low.
    pub impact: Vec<CodeEntry<Impact>>,
    /// `urgency`: 1 High, 2 Medium, 3 Low.
    pub urgency: Vec<CodeEntry<Urgency>>,
    /// `priority`: 1 Critical … 5 Planning.
    pub priority: Vec<CodeEntry<Priority>>,
    /// `incident.hold_reason`: 1 Awaiting Caller, 3 Awaiting Problem, 4 Awaiting Vendor, 5 Awaiting Change.
    pub hold_reason: Vec<CodeEntry<OnHoldReason>>,
    /// `incident.close_code`.
    pub incident_close_code: Vec<CodeEntry<IncidentResolutionCode>>,
    /// `contact_type`.
    pub contact_type: Vec<CodeEntry<Channel>>,
    /// `incident.major_incident_state`.
    pub major_incident_state: Vec<CodeEntry<MajorIncidentState>>,
    /// `problem.state`: 101 New … 107 Closed.
    pub problem_state: Vec<CodeEntry<ProblemState>>,
    /// `problem.resolution_code`.
    pub problem_resolution_code: Vec<CodeEntry<ProblemResolutionCode>>,
    /// `change_request.state`: -5 New … 4 Canceled.
    pub change_state: Vec<CodeEntry<ChangeState>>,
    /// `change_request.type`.
    pub change_type: Vec<CodeEntry<ChangeType>>,
    /// `change_request.risk`: 1 Very High … 4 Low.
    pub change_risk: Vec<CodeEntry<ChangeRisk>>,
    /// `change_request.close_code`.
    pub change_close_code: Vec<CodeEntry<ChangeCloseCode>>,
    /// `approval` of changes and requested items.
    pub approval: Vec<CodeEntry<ApprovalStatus>>,
    /// `sysapproval_approver.state`, one approver's decision: requested,
    /// approved, rejected, cancelled (not_required, not_yet_requested and
    /// duplicate approximately).
    pub approval_decision: Vec<CodeEntry<ApprovalDecision>>,
    /// `sc_req_item.state`: -5 Pending, 1 Open, 2 Work in Progress, 3 Closed Complete, 4 Closed Incomplete, 7 Closed Skipped.
    pub request_item_state: Vec<CodeEntry<ServiceRequestState>>,
    /// `kb_knowledge.workflow_state`.
    pub knowledge_state: Vec<CodeEntry<KnowledgeState>>,
    /// `cmdb_ci.install_status`: 1 Installed, 2 On Order, 3 In Maintenance, …
    pub install_status: Vec<CodeEntry<LifecycleStatus>>,
    /// `cmdb_ci.operational_status`: 1 Operational, 2 Non-Operational, …
    pub operational_status: Vec<CodeEntry<OperationalState>>,
    /// `cmdb_ci.sys_class_name` to our CI class key: the class catalogue.
    pub ci_class: Vec<CodeEntry<String>>,
    /// `cmdb_ci` fields kept as attributes of our CI: `short_description`
    /// as `description`, `serial_number`, `asset_tag`, `ip_address`,
    /// `fqdn`, `os_version`, `cpu_count` (integer), `version`. An instance
    /// lists its own (`u_rack`) here; a list given replaces this one.
    pub ci_attributes: Vec<CiAttributeEntry>,
    /// `cmdb_rel_ci.type`: relationship types, both readings.
    pub relationship_types: Vec<RelationshipTypeEntry>,
}

fn levels<T: Clone>(high: T, medium: T, low: T, very_high: T, very_low: T) -> Vec<CodeEntry<T>> {
    with_approx(
        rows(&[("1", high), ("2", medium), ("3", low)]),
        &[("1", very_high), ("3", very_low)],
    )
}

impl Default for ServiceNowMapping {
    fn default() -> Self {
        use ChangeState as C;
        use IncidentResolutionCode as R;
        use IncidentState as I;
        use LifecycleStatus as L;
        use ProblemState as P;
        use ServiceRequestState as S;
        let rel =
            |name: &str, ours: &str, reversed: bool, approximate: bool| RelationshipTypeEntry {
                name: name.to_owned(),
                sys_id: None,
                relationship_type: ours.to_owned(),
                reversed,
                approximate,
            };
        Self {
            incident_state: rows(&[
                ("1", I::New),
                ("2", I::InProgress),
                ("3", I::OnHold),
                ("6", I::Resolved),
                ("7", I::Closed),
                ("8", I::Canceled),
            ]),
            impact: levels(
                Impact::High,
                Impact::Medium,
                Impact::Low,
                Impact::VeryHigh,
                Impact::VeryLow,
            ),
            urgency: levels(
                Urgency::High,
                Urgency::Medium,
                Urgency::Low,
                Urgency::VeryHigh,
                Urgency::VeryLow,
            ),
            priority: with_approx(
                rows(&[
                    ("1", Priority::P1),
                    ("2", Priority::P2),
                    ("3", Priority::P3),
                    ("4", Priority::P4),
                    ("5", Priority::P5),
                ]),
                &[("5", Priority::P6)],
            ),
            hold_reason: rows(&[
                ("1", OnHoldReason::AwaitingCaller),
                ("3", OnHoldReason::AwaitingProblem),
                ("4", OnHoldReason::AwaitingVendor),
                ("5", OnHoldReason::AwaitingChange),
            ]),
            incident_close_code: with_approx(
                rows(&[
                    ("Solution provided", R::SolutionProvided),
                    ("Workaround provided", R::WorkaroundProvided),
                    ("Known error", R::KnownError),
                    ("Duplicate", R::Duplicate),
                    ("Resolved by caller", R::ResolvedByCaller),
                    ("Resolved by change", R::ResolvedByChange),
                    ("Resolved by problem", R::ResolvedByProblem),
                    ("Resolved by request", R::ResolvedByRequest),
                    ("User error", R::UserError),
                    ("No resolution provided", R::NoResolutionProvided),
                ]),
                // The codes of instances older than Utah.
                &[
                    ("Solved (Permanently)", R::SolutionProvided),
                    ("Solved (Work Around)", R::WorkaroundProvided),
                    ("Solved Remotely (Permanently)", R::SolutionProvided),
                    ("Solved Remotely (Work Around)", R::WorkaroundProvided),
                    ("Not Solved (Not Reproducible)", R::NoResolutionProvided),
                    ("Not Solved (Too Costly)", R::NoResolutionProvided),
                    ("Closed/Resolved by Caller", R::ResolvedByCaller),
                ],
            ),
            contact_type: with_approx(
                rows(&[
                    ("phone", Channel::Phone),
                    ("email", Channel::Email),
                    ("self-service", Channel::SelfService),
                    ("chat", Channel::Chat),
                    ("walk-in", Channel::WalkIn),
                    ("monitoring", Channel::Monitoring),
                ]),
                &[
                    ("virtual_agent", Channel::Chat),
                    ("event", Channel::Monitoring),
                ],
            ),
            major_incident_state: rows(&[
                ("proposed", MajorIncidentState::Proposed),
                ("accepted", MajorIncidentState::Accepted),
                ("rejected", MajorIncidentState::Rejected),
                ("canceled", MajorIncidentState::Canceled),
            ]),
            problem_state: rows(&[
                ("101", P::New),
                ("102", P::Assess),
                ("103", P::RootCauseAnalysis),
                ("104", P::FixInProgress),
                ("106", P::Resolved),
                ("107", P::Closed),
            ]),
            problem_resolution_code: rows(&[
                ("fix_applied", ProblemResolutionCode::FixApplied),
                ("risk_accepted", ProblemResolutionCode::RiskAccepted),
                ("duplicate", ProblemResolutionCode::Duplicate),
                ("canceled", ProblemResolutionCode::Canceled),
            ]),
            change_state: rows(&[
                ("-5", C::New),
                ("-4", C::Assess),
                ("-3", C::Authorize),
                ("-2", C::Scheduled),
                ("-1", C::Implement),
                ("0", C::Review),
                ("3", C::Closed),
                ("4", C::Canceled),
            ]),
            change_type: rows(&[
                ("standard", ChangeType::Standard),
                ("normal", ChangeType::Normal),
                ("emergency", ChangeType::Emergency),
            ]),
            change_risk: rows(&[
                ("1", ChangeRisk::VeryHigh),
                ("2", ChangeRisk::High),
                ("3", ChangeRisk::Moderate),
                ("4", ChangeRisk::Low),
            ]),
            change_close_code: rows(&[
                ("successful", ChangeCloseCode::Successful),
                ("successful_issues", ChangeCloseCode::SuccessfulWithIssues),
                ("unsuccessful", ChangeCloseCode::Unsuccessful),
            ]),
            approval: rows(&[
                ("not requested", ApprovalStatus::NotRequested),
                ("requested", ApprovalStatus::Requested),
                ("approved", ApprovalStatus::Approved),
                ("rejected", ApprovalStatus::Rejected),
                ("not_required", ApprovalStatus::NotRequired),
            ]),
            approval_decision: with_approx(
                rows(&[
                    ("requested", ApprovalDecision::Requested),
                    ("approved", ApprovalDecision::Approved),
                    ("rejected", ApprovalDecision::Rejected),
                    ("cancelled", ApprovalDecision::Canceled),
                ]),
                &[
                    ("not_required", ApprovalDecision::Canceled),
                    ("not_yet_requested", ApprovalDecision::Requested),
                    ("duplicate", ApprovalDecision::Canceled),
                ],
            ),
            request_item_state: with_approx(
                rows(&[
                    ("-5", S::AwaitingApproval),
                    ("1", S::Submitted),
                    ("2", S::Fulfilment),
                    ("3", S::ClosedComplete),
                    ("4", S::ClosedIncomplete),
                ]),
                &[
                    ("7", S::ClosedIncomplete),
                    ("1", S::Approved),
                    ("4", S::Rejected),
                ],
            ),
            knowledge_state: with_approx(
                rows(&[
                    ("draft", KnowledgeState::Draft),
                    ("review", KnowledgeState::Review),
                    ("published", KnowledgeState::Published),
                    ("retired", KnowledgeState::Retired),
                ]),
                &[
                    ("pending_retirement", KnowledgeState::Published),
                    ("outdated", KnowledgeState::Retired),
                ],
            ),
            install_status: with_approx(
                rows(&[
                    ("1", L::InUse),
                    ("2", L::Ordered),
                    ("3", L::InMaintenance),
                    ("4", L::Installed),
                    ("6", L::Planned),
                    ("7", L::Retired),
                ]),
                &[
                    ("5", L::InMaintenance),
                    ("8", L::Retired),
                    ("100", L::Retired),
                ],
            ),
            operational_status: with_approx(
                rows(&[
                    ("1", OperationalState::Operational),
                    ("2", OperationalState::Down),
                    ("3", OperationalState::Degraded),
                ]),
                &[
                    ("4", OperationalState::Operational),
                    ("5", OperationalState::Operational),
                    ("6", OperationalState::Down),
                ],
            ),
            ci_class: rows(&[
                ("cmdb_ci", "configuration_item".to_owned()),
                ("cmdb_ci_hardware", "hardware".to_owned()),
                ("cmdb_ci_server", "server".to_owned()),
                ("cmdb_ci_linux_server", "linux_server".to_owned()),
                ("cmdb_ci_win_server", "windows_server".to_owned()),
                ("cmdb_ci_netgear", "network_device".to_owned()),
                ("cmdb_ci_storage_device", "storage_device".to_owned()),
                ("cmdb_ci_vm_instance", "virtual_machine".to_owned()),
                ("cmdb_ci_cluster", "cluster".to_owned()),
                ("cmdb_ci_appl", "application".to_owned()),
                ("cmdb_ci_db_instance", "database".to_owned()),
                ("cmdb_ci_service", "business_service".to_owned()),
                ("cmdb_ci_service_technical", "technical_service".to_owned()),
            ])
            .into_iter()
            .chain(with_approx(
                Vec::new(),
                &[
                    ("cmdb_ci_vmware_instance", "virtual_machine".to_owned()),
                    ("cmdb_ci_db_ora_instance", "database".to_owned()),
                    ("cmdb_ci_db_mssql_instance", "database".to_owned()),
                    ("cmdb_ci_db_postgresql_instance", "database".to_owned()),
                    ("cmdb_ci_app_server", "middleware".to_owned()),
                    ("cmdb_ci_ip_router", "network_device".to_owned()),
                    ("cmdb_ci_ip_switch", "network_device".to_owned()),
                    ("cmdb_ci_service_discovered", "business_service".to_owned()),
                ],
            ))
            .collect(),
            ci_attributes: {
                use CiAttributeType::{Integer, Text};
                vec![
                    CiAttributeEntry::new("short_description", "description", Text),
                    CiAttributeEntry::new("serial_number", "serial_number", Text),
                    CiAttributeEntry::new("asset_tag", "asset_tag", Text),
                    CiAttributeEntry::new("ip_address", "ip_address", Text),
                    CiAttributeEntry::new("fqdn", "fqdn", Text),
                    CiAttributeEntry::new("os_version", "os_version", Text),
                    CiAttributeEntry::new("cpu_count", "cpu_count", Integer),
                    CiAttributeEntry::new("version", "version", Text),
                ]
            },
            relationship_types: vec![
                rel("Depends on::Used by", "depends_on", false, false),
                rel("Runs on::Runs", "runs_on", false, false),
                rel("Hosted on::Hosts", "hosted_on", false, false),
                rel("Contains::Contained by", "contains", false, false),
                rel("Members::Member of", "member_of", true, false),
                rel("Connects to::Connected by", "connects_to", false, false),
                rel("Powered by::Powers", "powered_by", false, false),
                rel("Virtualized by::Virtualizes", "hosted_on", false, true),
                rel("Cluster of::Cluster", "member_of", false, true),
                rel("Uses::Used by", "depends_on", false, true),
            ],
        }
    }
}

impl ServiceNowMapping {
    /// Reads a mapping from JSON; tables it omits keep their defaults.
    ///
    /// # Errors
    /// [`InteropError::Json`] with the path of an unknown field or a bad
    /// value; [`InteropError::InvalidMapping`] with every problem of
    /// [`validate`](Self::validate).
    pub fn from_json(text: &str) -> Result<Self, InteropError> {
        crate::read_mapping(text, "servicenow", Self::validate)
    }

    /// Every problem at once: empty codes, a code mapped twice by exact
    /// rows, an unnamed relationship type, a relationship type named twice.
    #[must_use]
    pub fn validate(&self) -> Vec<Violation> {
        let mut problems = Vec::new();
        check("incident_state", &self.incident_state, &mut problems);
        check("impact", &self.impact, &mut problems);
        check("urgency", &self.urgency, &mut problems);
        check("priority", &self.priority, &mut problems);
        check("hold_reason", &self.hold_reason, &mut problems);
        check(
            "incident_close_code",
            &self.incident_close_code,
            &mut problems,
        );
        check("contact_type", &self.contact_type, &mut problems);
        check(
            "major_incident_state",
            &self.major_incident_state,
            &mut problems,
        );
        check("problem_state", &self.problem_state, &mut problems);
        check(
            "problem_resolution_code",
            &self.problem_resolution_code,
            &mut problems,
        );
        check("change_state", &self.change_state, &mut problems);
        check("change_type", &self.change_type, &mut problems);
        check("change_risk", &self.change_risk, &mut problems);
        check("change_close_code", &self.change_close_code, &mut problems);
        check("approval", &self.approval, &mut problems);
        check("approval_decision", &self.approval_decision, &mut problems);
        check(
            "request_item_state",
            &self.request_item_state,
            &mut problems,
        );
        check("knowledge_state", &self.knowledge_state, &mut problems);
        check("install_status", &self.install_status, &mut problems);
        check(
            "operational_status",
            &self.operational_status,
            &mut problems,
        );
        check("ci_class", &self.ci_class, &mut problems);
        for (i, entry) in self.ci_class.iter().enumerate() {
            if entry.value.trim().is_empty() {
                problems.push(violation(
                    format!("ci_class[{i}].value"),
                    "empty_class",
                    "a class key may not be empty".into(),
                ));
            }
        }
        for (i, entry) in self.ci_attributes.iter().enumerate() {
            let path = format!("ci_attributes[{i}]");
            if entry.field.trim().is_empty() {
                problems.push(violation(
                    format!("{path}.field"),
                    "empty_field",
                    "a field name may not be empty".into(),
                ));
            } else if CI_OWN_FIELDS.contains(&entry.field.as_str()) {
                problems.push(violation(
                    format!("{path}.field"),
                    "reserved_field",
                    format!(
                        "{:?} has a row of its own (sys_id, sys_class_name, name, install_status, operational_status)",
                        entry.field
                    ),
                ));
            } else if let Some(first) = self.ci_attributes[..i]
                .iter()
                .position(|e| e.field == entry.field)
            {
                problems.push(violation(
                    format!("{path}.field"),
                    "duplicate_code",
                    format!(
                        "{:?} is already mapped by ci_attributes[{first}]",
                        entry.field
                    ),
                ));
            }
            if entry.attribute.trim().is_empty() {
                problems.push(violation(
                    format!("{path}.attribute"),
                    "empty_attribute",
                    "an attribute key may not be empty".into(),
                ));
            } else if crate::engine::is_namespaced(&entry.attribute) {
                problems.push(violation(
                    format!("{path}.attribute"),
                    "namespaced_attribute",
                    format!(
                        "{:?} lies in a source namespace (servicenow., jira., tmf621., tmf639., external_id.), which conversions keep for themselves",
                        entry.attribute
                    ),
                ));
            } else if let Some(first) = self.ci_attributes[..i]
                .iter()
                .position(|e| e.attribute == entry.attribute)
            {
                problems.push(violation(
                    format!("{path}.attribute"),
                    "duplicate_attribute",
                    format!(
                        "{:?} is already filled by ci_attributes[{first}]",
                        entry.attribute
                    ),
                ));
            }
        }
        for (i, entry) in self.relationship_types.iter().enumerate() {
            let path = format!("relationship_types[{i}]");
            if !entry.name.contains("::") {
                problems.push(violation(
                    format!("{path}.name"),
                    "relationship_name",
                    format!(
                        "{:?} is not two readings joined by \"::\" (\"Depends on::Used by\")",
                        entry.name
                    ),
                ));
            }
            if entry.relationship_type.trim().is_empty() {
                problems.push(violation(
                    format!("{path}.relationship_type"),
                    "empty_type",
                    "a relationship type key may not be empty".into(),
                ));
            }
            if !entry.approximate
                && let Some(first) = self.relationship_types[..i]
                    .iter()
                    .position(|e| !e.approximate && e.name == entry.name)
            {
                problems.push(violation(
                    format!("{path}.name"),
                    "duplicate_code",
                    format!(
                        "{:?} is already mapped by relationship_types[{first}]",
                        entry.name
                    ),
                ));
            }
        }
        problems
    }

    fn tables(&self) -> Tables {
        let mut t = Tables::new();
        t.insert("incident_state", Table::compile(&self.incident_state));
        t.insert("impact", Table::compile(&self.impact));
        t.insert("urgency", Table::compile(&self.urgency));
        t.insert("priority", Table::compile(&self.priority));
        t.insert("hold_reason", Table::compile(&self.hold_reason));
        t.insert(
            "incident_close_code",
            Table::compile(&self.incident_close_code),
        );
        t.insert("contact_type", Table::compile(&self.contact_type));
        t.insert(
            "major_incident_state",
            Table::compile(&self.major_incident_state),
        );
        t.insert("problem_state", Table::compile(&self.problem_state));
        t.insert(
            "problem_resolution_code",
            Table::compile(&self.problem_resolution_code),
        );
        t.insert("change_state", Table::compile(&self.change_state));
        t.insert("change_type", Table::compile(&self.change_type));
        t.insert("change_risk", Table::compile(&self.change_risk));
        t.insert("change_close_code", Table::compile(&self.change_close_code));
        t.insert("approval", Table::compile(&self.approval));
        t.insert("approval_decision", Table::compile(&self.approval_decision));
        t.insert(
            "request_item_state",
            Table::compile(&self.request_item_state),
        );
        t.insert("knowledge_state", Table::compile(&self.knowledge_state));
        t.insert("install_status", Table::compile(&self.install_status));
        t.insert(
            "operational_status",
            Table::compile(&self.operational_status),
        );
        t.insert("ci_class", Table::compile(&self.ci_class));
        t
    }
}

const NIL: &str = "\"00000000-0000-0000-0000-000000000000\"";
const EPOCH: &str = "\"1970-01-01T00:00:00Z\"";

use RefKind as K;

const INCIDENT: &[Field] = &[
    field(&["sys_id"], &["id"], Conv::OwnId(K::Incident)).required(),
    field(
        &["number"],
        &["number"],
        Conv::Number(NumberPrefix::Incident),
    ),
    field(&["caller_id"], &["caller"], Conv::Ref(K::Person)).or(NIL),
    field(&["short_description"], &["short_description"], Conv::Text).or("\"\""),
    field(&["description"], &["description"], Conv::Text),
    field(&["category"], &["category"], Conv::Text),
    field(&["subcategory"], &["subcategory"], Conv::Text),
    field(&["contact_type"], &["channel"], Conv::Code("contact_type")),
    field(&["business_service"], &["service"], Conv::Ref(K::Service)),
    field(
        &["cmdb_ci"],
        &["configuration_items"],
        Conv::RefToList(K::ConfigurationItem),
    ),
    field(&["impact"], &["impact"], Conv::Code("impact")).or("\"low\""),
    field(&["urgency"], &["urgency"], Conv::Code("urgency")).or("\"low\""),
    field(&["priority"], &["priority"], Conv::Code("priority")).or("\"p5\""),
    field(&["state"], &["state"], Conv::Code("incident_state")).or("\"new\""),
    field(
        &["hold_reason"],
        &["on_hold_reason"],
        Conv::Code("hold_reason"),
    ),
    field(
        &["assignment_group"],
        &["assignment_group"],
        Conv::Ref(K::Group),
    ),
    field(&["assigned_to"], &["assigned_to"], Conv::Ref(K::Person)),
    field(&["opened_at"], &["opened_at"], Conv::Time).or(EPOCH),
    field(&["opened_by"], &["opened_by"], Conv::Ref(K::Person)),
    field(&["resolved_at"], &["resolved_at"], Conv::Time),
    field(&["resolved_by"], &["resolved_by"], Conv::Ref(K::Person)),
    field(&["closed_at"], &["closed_at"], Conv::Time),
    field(&["closed_by"], &["closed_by"], Conv::Ref(K::Person)),
    field(
        &["close_code"],
        &["resolution_code"],
        Conv::Code("incident_close_code"),
    ),
    field(&["close_notes"], &["resolution_notes"], Conv::Text),
    field(&["reopen_count"], &["reopen_count"], Conv::Int).or("0"),
    field(&["reopened_time"], &["last_reopened_at"], Conv::Time),
    field(
        &["reopened_by"],
        &["last_reopened_by"],
        Conv::Ref(K::Person),
    ),
    field(
        &["parent_incident"],
        &["parent_incident"],
        Conv::Ref(K::Incident),
    ),
    field(&["problem_id"], &["problem"], Conv::Ref(K::Problem)),
    field(&["caused_by"], &["caused_by_change"], Conv::Ref(K::Change)),
    field(&["rfc"], &["change_request"], Conv::Ref(K::Change)),
    field(
        &["major_incident_state"],
        &["major_incident_state"],
        Conv::Code("major_incident_state"),
    ),
];

const PROBLEM: &[Field] = &[
    field(&["sys_id"], &["id"], Conv::OwnId(K::Problem)).required(),
    field(
        &["number"],
        &["number"],
        Conv::Number(NumberPrefix::Problem),
    ),
    field(&["short_description"], &["short_description"], Conv::Text).or("\"\""),
    field(&["description"], &["description"], Conv::Text),
    field(&["category"], &["category"], Conv::Text),
    field(&["business_service"], &["service"], Conv::Ref(K::Service)),
    field(
        &["cmdb_ci"],
        &["configuration_items"],
        Conv::RefToList(K::ConfigurationItem),
    ),
    field(&["impact"], &["impact"], Conv::Code("impact")).or("\"low\""),
    field(&["urgency"], &["urgency"], Conv::Code("urgency")).or("\"low\""),
    field(&["priority"], &["priority"], Conv::Code("priority")).or("\"p5\""),
    field(&["state"], &["state"], Conv::Code("problem_state")).or("\"new\""),
    field(
        &["assignment_group"],
        &["assignment_group"],
        Conv::Ref(K::Group),
    ),
    field(&["assigned_to"], &["assigned_to"], Conv::Ref(K::Person)),
    field(&["opened_at"], &["opened_at"], Conv::Time).or(EPOCH),
    field(&["opened_by"], &["opened_by"], Conv::Ref(K::Person)),
    field(&["cause_notes"], &["root_cause"], Conv::Text),
    field(&["workaround"], &["workaround"], Conv::Text),
    field(&["known_error"], &["known_error"], Conv::Bool).or("false"),
    field(
        &["resolution_code"],
        &["resolution_code"],
        Conv::Code("problem_resolution_code"),
    ),
    field(&["duplicate_of"], &["duplicate_of"], Conv::Ref(K::Problem)),
    field(&["fix_notes"], &["fix_notes"], Conv::Text),
    field(&["resolved_at"], &["resolved_at"], Conv::Time),
    field(&["resolved_by"], &["resolved_by"], Conv::Ref(K::Person)),
    field(&["closed_at"], &["closed_at"], Conv::Time),
];

const CHANGE: &[Field] = &[
    field(&["sys_id"], &["id"], Conv::OwnId(K::Change)).required(),
    field(&["number"], &["number"], Conv::Number(NumberPrefix::Change)),
    field(&["type"], &["change_type"], Conv::Code("change_type")).or("\"normal\""),
    field(&["short_description"], &["short_description"], Conv::Text).or("\"\""),
    field(&["description"], &["description"], Conv::Text),
    field(&["justification"], &["justification"], Conv::Text),
    field(&["category"], &["category"], Conv::Text),
    field(&["business_service"], &["service"], Conv::Ref(K::Service)),
    field(
        &["cmdb_ci"],
        &["configuration_items"],
        Conv::RefToList(K::ConfigurationItem),
    ),
    field(&["risk"], &["risk"], Conv::Code("change_risk")).or("\"moderate\""),
    field(&["impact"], &["impact"], Conv::Code("impact")).or("\"low\""),
    field(&["priority"], &["priority"], Conv::Code("priority")),
    field(&["state"], &["state"], Conv::Code("change_state")).or("\"new\""),
    field(&["requested_by"], &["requested_by"], Conv::Ref(K::Person)).or(NIL),
    field(
        &["assignment_group"],
        &["assignment_group"],
        Conv::Ref(K::Group),
    ),
    field(&["assigned_to"], &["assigned_to"], Conv::Ref(K::Person)),
    field(&["opened_at"], &["opened_at"], Conv::Time).or(EPOCH),
    field(&["start_date"], &["planned_start"], Conv::Time),
    field(&["end_date"], &["planned_end"], Conv::Time),
    field(&["work_start"], &["actual_start"], Conv::Time),
    field(&["work_end"], &["actual_end"], Conv::Time),
    field(
        &["implementation_plan"],
        &["implementation_plan"],
        Conv::Text,
    ),
    field(&["backout_plan"], &["backout_plan"], Conv::Text),
    field(&["test_plan"], &["test_plan"], Conv::Text),
    field(&["approval"], &["approval"], Conv::Code("approval")).or("\"not_requested\""),
    field(
        &["close_code"],
        &["close_code"],
        Conv::Code("change_close_code"),
    ),
    field(&["close_notes"], &["close_notes"], Conv::Text),
    field(&["closed_at"], &["closed_at"], Conv::Time),
];

const REQUEST_ITEM: &[Field] = &[
    field(&["sys_id"], &["id"], Conv::OwnId(K::ServiceRequest)).required(),
    field(
        &["number"],
        &["number"],
        Conv::Number(NumberPrefix::ServiceRequest),
    ),
    field(&["cat_item"], &["catalog_item"], Conv::Ref(K::CatalogItem)).or(NIL),
    field(&["short_description"], &["short_description"], Conv::Text).or("\"\""),
    field(&["quantity"], &["quantity"], Conv::Int).or("1"),
    field(&["opened_by"], &["requested_by"], Conv::Ref(K::Person)).or(NIL),
    field(&["requested_for"], &["requested_for"], Conv::Ref(K::Person)).or(NIL),
    field(&["contact_type"], &["channel"], Conv::Code("contact_type")),
    field(&["state"], &["state"], Conv::Code("request_item_state")).or("\"submitted\""),
    field(&["approval"], &["approval"], Conv::Code("approval")).or("\"not_requested\""),
    field(&["priority"], &["priority"], Conv::Code("priority")),
    field(
        &["assignment_group"],
        &["assignment_group"],
        Conv::Ref(K::Group),
    ),
    field(&["assigned_to"], &["assigned_to"], Conv::Ref(K::Person)),
    field(&["opened_at"], &["opened_at"], Conv::Time).or(EPOCH),
    field(&["due_date"], &["due_at"], Conv::Time),
    field(&["closed_at"], &["closed_at"], Conv::Time),
];

const KNOWLEDGE: &[Field] = &[
    field(&["sys_id"], &["id"], Conv::OwnId(K::KnowledgeArticle)).required(),
    field(
        &["number"],
        &["number"],
        Conv::Number(NumberPrefix::KnowledgeArticle),
    ),
    field(&["short_description"], &["title"], Conv::Text).or("\"\""),
    field(&["text"], &["body"], Conv::Text).or("\"\""),
    field(&["kb_knowledge_base"], &["knowledge_base"], Conv::Text).or("\"\""),
    field(&["kb_category"], &["category"], Conv::Text),
    field(&["meta"], &["keywords"], Conv::Csv),
    field(
        &["workflow_state"],
        &["state"],
        Conv::Code("knowledge_state"),
    )
    .or("\"draft\""),
    field(&["author"], &["author"], Conv::Ref(K::Person)).or(NIL),
    field(&["sys_created_on"], &["created_at"], Conv::Time).or(EPOCH),
    field(&["sys_updated_on"], &["updated_at"], Conv::Time),
    field(&["published"], &["published_at"], Conv::Date),
    field(&["valid_to"], &["valid_to"], Conv::Date),
    field(&["retired"], &["retired_at"], Conv::Date),
];

/// The `cmdb_ci` rows of its own fields; the attributes come from the
/// mapping's `ci_attributes`.
const CI: &[Field] = &[
    field(&["sys_id"], &["id"], Conv::OwnId(K::ConfigurationItem)).required(),
    field(&["sys_class_name"], &["class"], Conv::Code("ci_class")).or("\"configuration_item\""),
    field(&["name"], &["name"], Conv::Text).or("\"\""),
    field(
        &["install_status"],
        &["lifecycle"],
        Conv::Code("install_status"),
    )
    .or("\"in_use\""),
    field(
        &["operational_status"],
        &["operational_state"],
        Conv::Code("operational_status"),
    )
    .or("\"operational\""),
];

/// The `cmdb_ci` rows: its own fields, then the mapping's attributes.
fn ci_fields(attributes: &[CiAttributeEntry]) -> Vec<Field> {
    let mut rows = CI.to_vec();
    rows.extend(attributes.iter().map(|entry| {
        let conv = match entry.value_type {
            CiAttributeType::Text => Conv::Text,
            CiAttributeType::Integer => Conv::Int,
            CiAttributeType::Boolean => Conv::Bool,
            CiAttributeType::DateTime => Conv::Time,
            CiAttributeType::Date => Conv::Date,
        };
        field(&[], &[], conv)
            .at(vec![entry.field.clone()])
            .into_ours(vec!["attributes".to_owned(), entry.attribute.clone()])
    }));
    rows
}

impl ServiceNowTable {
    fn static_fields(self) -> &'static [Field] {
        match self {
            Self::Incident => INCIDENT,
            Self::Problem => PROBLEM,
            Self::ChangeRequest => CHANGE,
            Self::ScReqItem => REQUEST_ITEM,
            Self::KbKnowledge => KNOWLEDGE,
            Self::CmdbCi => CI,
            Self::CmdbRelCi => &[],
        }
    }

    const fn kind(self) -> &'static str {
        match self {
            Self::Incident => "incident",
            Self::Problem => "problem",
            Self::ChangeRequest => "change",
            Self::ScReqItem => "service_request",
            Self::KbKnowledge => "knowledge_article",
            Self::CmdbCi => "configuration_item",
            Self::CmdbRelCi => "relationship",
        }
    }

    /// Whether the table is a task table with the journal fields
    /// `comments` and `work_notes`.
    const fn has_journals(self) -> bool {
        matches!(
            self,
            Self::Incident | Self::Problem | Self::ChangeRequest | Self::ScReqItem
        )
    }

    /// Whether the table's records are approved (`sysapproval_approver`).
    const fn has_approvals(self) -> bool {
        matches!(self, Self::ChangeRequest | Self::ScReqItem)
    }

    const fn extensions_at(self) -> &'static [&'static str] {
        match self {
            Self::CmdbCi => &["attributes"],
            _ => &["extensions"],
        }
    }
}

/// Converts ServiceNow Table API records to ours and back.
///
/// ```
/// use itsm_interop::{InteropOptions, LookupTables, ServiceNow, ServiceNowMapping, ServiceNowTable};
/// let servicenow = ServiceNow::new(ServiceNowMapping::default(), InteropOptions::default())?;
/// let record = serde_json::json!({
///     "sys_id": "9d385017c611228701d22104cc95c371", "number": "INC0010001",
///     "short_description": "Email down", "state": "2", "impact": "1", "urgency": "2",
///     "priority": "2", "opened_at": "2026-03-02 09:15:00", "caller_id": "",
///     "u_vendor_ticket": "VND-7"
/// });
/// let converted = servicenow.import(ServiceNowTable::Incident, &record, &LookupTables::default())?;
/// let incident = converted.record.as_incident().unwrap();
/// assert_eq!(incident.state, itsm_core::IncidentState::InProgress);
/// assert_eq!(incident.extensions["servicenow.u_vendor_ticket"], "VND-7".into());
/// assert_eq!(converted.report.unmapped[0].path, "u_vendor_ticket");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct ServiceNow {
    mapping: ServiceNowMapping,
    tables: Tables,
    ci_fields: Vec<Field>,
    tz: Option<Tz>,
    options: InteropOptions,
}

impl ServiceNow {
    /// A converter for this mapping and these options.
    ///
    /// # Errors
    /// [`InteropError::InvalidMapping`] listing every problem of the mapping
    /// and of the options (an unknown time zone).
    pub fn new(mapping: ServiceNowMapping, options: InteropOptions) -> Result<Self, InteropError> {
        let mut problems = mapping.validate();
        let tz = crate::time_zone(&options, &mut problems);
        if !problems.is_empty() {
            return Err(InteropError::InvalidMapping {
                name: "servicenow",
                problems,
            });
        }
        Ok(Self {
            tables: mapping.tables(),
            ci_fields: ci_fields(&mapping.ci_attributes),
            mapping,
            tz,
            options,
        })
    }

    /// The mapping in use.
    #[must_use]
    pub fn mapping(&self) -> &ServiceNowMapping {
        &self.mapping
    }

    fn fields(&self, table: ServiceNowTable) -> &[Field] {
        match table {
            ServiceNowTable::CmdbCi => &self.ci_fields,
            other => other.static_fields(),
        }
    }

    fn engine<'a>(&'a self, lookup: &'a dyn Lookup) -> Engine<'a> {
        Engine {
            format: Format::Servicenow,
            dialect: Dialect::ServiceNow,
            tables: &self.tables,
            tz: self.tz,
            lookup,
            containers: &[],
            instance_url: self.options.instance_url.as_deref(),
            project_key: "",
        }
    }

    /// Moves into the `servicenow.` source namespace every attribute of
    /// `ci` that its class does not declare (`declares` says which it
    /// does) and that a row of [`ci_attributes`](ServiceNowMapping::ci_attributes)
    /// filled, written back in ServiceNow's form (`servicenow.ip_address`:
    /// `"10.0.0.1"`), so that a CMDB with the `servicenow` source namespace
    /// accepts the CI and export restores the field. Returns the moves, as
    /// unmapped fields of the source. A key already kept there (the
    /// source's original text) is left as it is.
    pub fn keep_undeclared(
        &self,
        ci: &mut itsm_cmdb::ConfigurationItem,
        declares: &dyn Fn(&str) -> bool,
    ) -> Vec<UnmappedField> {
        let lookup = crate::LookupTables::default();
        let engine = self.engine(&lookup);
        let undeclared: Vec<String> = ci
            .attributes
            .keys()
            .filter(|k| !crate::engine::is_namespaced(k) && !declares(k))
            .cloned()
            .collect();
        let mut moved = Vec::new();
        for attribute in undeclared {
            let Some(row) = self.ci_fields[CI.len()..]
                .iter()
                .find(|f| f.ours().last() == Some(&attribute.as_str()))
            else {
                continue;
            };
            let Some(value) = ci.attributes.remove(&attribute) else {
                continue;
            };
            let theirs = row.theirs();
            let key = crate::engine::ext_key("servicenow", &theirs);
            let ours = serde_json::to_value(&value).unwrap_or_default();
            let (written, _) = engine.write(row.conv, Some(&ours), &Value::Null);
            let kept: itsm_core::FieldValue = written
                .and_then(|w| serde_json::from_value(w).ok())
                .unwrap_or(value);
            ci.attributes.entry(key.clone()).or_insert(kept);
            moved.push(UnmappedField {
                path: theirs.join("."),
                kept_as: Some(key),
            });
        }
        moved
    }

    /// One record of `table` (an element of the Table API's `result`) to ours.
    ///
    /// # Errors
    /// [`InteropError::InvalidValue`] when the record is not an object,
    /// [`InteropError::Missing`] without a `sys_id` (or, for `cmdb_rel_ci`,
    /// a `parent`, `child` or `type`).
    pub fn import(
        &self,
        table: ServiceNowTable,
        record: &Value,
        lookup: &dyn Lookup,
    ) -> Result<Converted<ItsmRecord>, InteropError> {
        if table == ServiceNowTable::CmdbRelCi {
            return self.import_relationship(record, lookup);
        }
        let engine = self.engine(lookup);
        let mut source = record.clone();
        let mut ext = activity::Ext::new();
        let mut extra = LossReport::new(Format::Servicenow, Direction::Import);
        let mut approvals = Value::Object(Map::new());
        let timeline = if table.has_journals() && source.is_object() {
            if table.has_approvals() {
                activity::import_servicenow_approvals(
                    &engine,
                    &mut source,
                    &mut approvals,
                    &mut ext,
                    &mut extra,
                );
            }
            activity::import_servicenow_journals(&engine, &mut source, &mut ext, &mut extra)
        } else {
            Vec::new()
        };
        let (mut ours, mut report) =
            engine.import(self.fields(table), &source, table.extensions_at())?;
        if let Some(list) = approvals.get("approvals") {
            crate::engine::set(&mut ours, &["approvals"], list.clone());
        }
        activity::merge(&mut ours, table.extensions_at(), ext, &mut report, extra);
        Ok(Converted {
            record: ItsmRecord::from_json(table.kind(), ours)?,
            timeline,
            report,
        })
    }

    /// One of our records as a Table API record of [`ServiceNowTable::for_record`].
    ///
    /// # Errors
    /// None at present; the `Result` leaves room for records that cannot be
    /// written at all.
    pub fn export(
        &self,
        record: &ItsmRecord,
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        self.export_with_timeline(record, &[], lookup)
    }

    /// One of our records with its timeline: the comments and work notes
    /// as the journal fields `comments` and `work_notes` (task tables);
    /// every other event is reported (`timeline.state_changed`).
    ///
    /// # Errors
    /// As [`export`](Self::export).
    pub fn export_with_timeline(
        &self,
        record: &ItsmRecord,
        timeline: &[itsm_core::TimelineEvent],
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        let table = ServiceNowTable::for_record(record);
        if let ItsmRecord::Relationship(relationship) = record {
            let mut converted = self.export_relationship(relationship, lookup);
            activity::report_all_events(timeline, &mut converted.report);
            return Ok(converted);
        }
        let engine = self.engine(lookup);
        let mut ours = record.to_json();
        let ext_at = table.extensions_at();
        let mut extra = LossReport::new(Format::Servicenow, Direction::Export);
        let mut out = Value::Object(Map::new());
        let mut ext = if table.has_journals() {
            let keys: Vec<String> = activity::JOURNALS
                .iter()
                .map(|(f, _, _)| *f)
                .chain(table.has_approvals().then_some(activity::APPROVERS))
                .map(|f| crate::engine::ext_key("servicenow", &[f]))
                .collect();
            activity::take_kept(&mut ours, ext_at, &keys)
        } else {
            activity::Ext::new()
        };
        if table.has_approvals() {
            activity::export_servicenow_approvals(
                &engine, &mut ours, &mut ext, &mut out, &mut extra,
            );
        }
        let (mut written, mut report) = engine.export(self.fields(table), &ours, ext_at);
        if table.has_journals() {
            activity::export_servicenow_journals(
                &engine,
                timeline,
                &mut ext,
                &mut written,
                &mut report,
            );
            activity::report_other_events(timeline, &mut report);
        } else {
            activity::report_all_events(timeline, &mut report);
        }
        crate::engine::merge_absent(&mut written, out);
        drop(ext);
        activity::merge(
            &mut Value::Null,
            &[],
            activity::Ext::new(),
            &mut report,
            extra,
        );
        Ok(Converted {
            record: written,
            timeline: Vec::new(),
            report,
        })
    }

    fn import_relationship(
        &self,
        record: &Value,
        lookup: &dyn Lookup,
    ) -> Result<Converted<ItsmRecord>, InteropError> {
        let format = "servicenow";
        let Value::Object(members) = record else {
            return Err(InteropError::InvalidValue {
                format,
                path: ".".into(),
                value: shown(record),
                reason: "a record is a JSON object".into(),
            });
        };
        let engine = self.engine(lookup);
        let mut report = LossReport::new(Format::Servicenow, Direction::Import);
        let mut end = |name: &str| -> Result<itsm_core::CiId, InteropError> {
            let raw = members.get(name).filter(|v| !is_empty(v)).ok_or_else(|| {
                InteropError::Missing {
                    format,
                    path: name.into(),
                }
            })?;
            let key = engine.ref_key(raw).unwrap_or_default();
            match engine.resolve(RefKind::ConfigurationItem, &key) {
                Some(id) => Ok(itsm_core::CiId::from_uuid(id)),
                None => {
                    report.unresolved.push(UnresolvedReference {
                        path: name.into(),
                        value: serde_json::from_value(raw.clone()).unwrap_or_default(),
                        kind: RefKind::ConfigurationItem,
                        kept_as: None,
                    });
                    Ok(itsm_core::CiId::from_uuid(crate::engine::derived_id(
                        "servicenow",
                        &key,
                    )))
                }
            }
        };
        let parent = end("parent")?;
        let child = end("child")?;
        let type_raw = members
            .get("type")
            .filter(|v| !is_empty(v))
            .ok_or_else(|| InteropError::Missing {
                format,
                path: "type".into(),
            })?;
        let (name, sys_id) = match type_raw {
            Value::Object(t) => (
                t.get("display_value")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                t.get("value").and_then(Value::as_str).map(str::to_owned),
            ),
            Value::String(s) if s.contains("::") => (Some(s.clone()), None),
            Value::String(s) => (None, Some(s.clone())),
            _ => (None, None),
        };
        let entry = self.mapping.relationship_types.iter().find(|e| {
            name.as_deref() == Some(e.name.as_str())
                || (sys_id.is_some()
                    && (e.sys_id == sys_id || sys_id.as_deref() == Some(e.name.as_str())))
        });
        let relationship = match entry {
            Some(e) => {
                if e.approximate {
                    report.approximations.push(Approximation {
                        path: "type".into(),
                        source_value: serde_json::from_value(type_raw.clone()).unwrap_or_default(),
                        became: e.relationship_type.as_str().into(),
                        reason: format!(
                            "{:?} is mapped approximately to {}",
                            e.name, e.relationship_type
                        ),
                    });
                }
                if e.reversed {
                    Relationship::new(child, e.relationship_type.clone(), parent)
                } else {
                    Relationship::new(parent, e.relationship_type.clone(), child)
                }
            }
            None => {
                let text = name.or(sys_id).unwrap_or_default();
                report.approximations.push(Approximation {
                    path: "type".into(),
                    source_value: serde_json::from_value(type_raw.clone()).unwrap_or_default(),
                    became: text.as_str().into(),
                    reason: "not in relationship_types; kept as the type key".into(),
                });
                Relationship::new(parent, text, child)
            }
        };
        for (key, value) in members {
            if !["parent", "child", "type"].contains(&key.as_str()) && !is_empty(value) {
                report.unmapped.push(UnmappedField {
                    path: key.clone(),
                    kept_as: None,
                });
            }
        }
        Ok(Converted {
            record: ItsmRecord::Relationship(relationship),
            timeline: Vec::new(),
            report,
        })
    }

    fn export_relationship(
        &self,
        relationship: &Relationship,
        lookup: &dyn Lookup,
    ) -> Converted<Value> {
        let engine = self.engine(lookup);
        let mut report = LossReport::new(Format::Servicenow, Direction::Export);
        let entry = self
            .mapping
            .relationship_types
            .iter()
            .find(|e| e.relationship_type == relationship.relationship_type);
        let (parent, child, type_value) = match entry {
            Some(e) => {
                if e.approximate {
                    report.approximations.push(Approximation {
                        path: "type".into(),
                        source_value: relationship.relationship_type.as_str().into(),
                        became: e.name.as_str().into(),
                        reason: format!(
                            "{} has no exact ServiceNow type; written as {:?}",
                            e.relationship_type, e.name
                        ),
                    });
                }
                let mut t = Map::new();
                if let Some(sys_id) = &e.sys_id {
                    t.insert("value".into(), sys_id.clone().into());
                }
                t.insert("display_value".into(), e.name.clone().into());
                let (p, c) = if e.reversed {
                    (relationship.target, relationship.source)
                } else {
                    (relationship.source, relationship.target)
                };
                (p, c, Value::Object(t))
            }
            None => {
                report.approximations.push(Approximation {
                    path: "type".into(),
                    source_value: relationship.relationship_type.as_str().into(),
                    became: relationship.relationship_type.as_str().into(),
                    reason: "not in relationship_types; written as the type key".into(),
                });
                (
                    relationship.source,
                    relationship.target,
                    serde_json::json!({"display_value": relationship.relationship_type}),
                )
            }
        };
        let record = serde_json::json!({
            "parent": engine.write_ref(RefKind::ConfigurationItem, *parent.as_uuid()),
            "child": engine.write_ref(RefKind::ConfigurationItem, *child.as_uuid()),
            "type": type_value,
        });
        Converted {
            record,
            timeline: Vec::new(),
            report,
        }
    }
}
