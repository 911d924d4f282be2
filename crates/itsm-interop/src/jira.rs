//! Jira Service Management issues (REST issue JSON) of the incident,
//! problem, change and service request types.

use itsm_core::{
    ApprovalDecision, ChangeCloseCode, ChangeRisk, ChangeState, ChangeType, Impact,
    IncidentResolutionCode, IncidentState, NumberPrefix, Priority, ProblemResolutionCode,
    ProblemState, RecordKind, ServiceRequestState, Urgency, Violation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::activity;
use crate::codes::{CodeEntry, Table, check, rows, with_approx};
use crate::engine::{Conv, Dialect, Engine, Field, Tables, field, get};
use crate::{
    Converted, Direction, Format, InteropError, InteropOptions, ItsmRecord, Lookup, LossReport,
    RefKind,
};

/// How a Jira Service Management project's issue types, statuses,
/// resolutions and priorities map to ours: tables, as data.
///
/// The defaults follow the ITSM project template (issue types Incident,
/// Problem, Change, Service request; its workflows' statuses; the
/// resolutions Done, Won't Do, Duplicate, Cannot Reproduce, Known error,
/// Declined; priorities Highest to Lowest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct JiraMapping {
    /// `fields.issuetype.name` to the kind of record.
    pub issue_types: Vec<CodeEntry<RecordKind>>,
    /// `fields.priority.name`.
    pub priority: Vec<CodeEntry<Priority>>,
    /// `fields.status.name` of incidents.
    pub incident_status: Vec<CodeEntry<IncidentState>>,
    /// `fields.status.name` of problems.
    pub problem_status: Vec<CodeEntry<ProblemState>>,
    /// `fields.status.name` of changes.
    pub change_status: Vec<CodeEntry<ChangeState>>,
    /// `fields.status.name` of service requests.
    pub request_status: Vec<CodeEntry<ServiceRequestState>>,
    /// `fields.resolution.name` of incidents.
    pub incident_resolution: Vec<CodeEntry<IncidentResolutionCode>>,
    /// `fields.resolution.name` of problems.
    pub problem_resolution: Vec<CodeEntry<ProblemResolutionCode>>,
    /// `fields.resolution.name` of changes (their close code).
    pub change_resolution: Vec<CodeEntry<ChangeCloseCode>>,
    /// The site's custom fields that carry impact, urgency, change type and
    /// risk (their ids differ from site to site); a field left `null`
    /// keeps our value at its default and reports a changed one on export.
    pub custom_fields: JiraCustomFields,
    /// The impact field's options (`fields.<impact>.value`).
    pub impact: Vec<CodeEntry<Impact>>,
    /// The urgency field's options.
    pub urgency: Vec<CodeEntry<Urgency>>,
    /// The change type field's options.
    pub change_type: Vec<CodeEntry<ChangeType>>,
    /// The change risk field's options.
    pub change_risk: Vec<CodeEntry<ChangeRisk>>,
    /// An approver's decision (`approverDecision`) in the approvals field.
    pub approval_decision: Vec<CodeEntry<ApprovalDecision>>,
}

/// The ids of a Jira site's custom fields (`customfield_10004`), as its
/// `GET /rest/api/2/field` lists them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JiraCustomFields {
    /// The impact select field.
    #[serde(default)]
    pub impact: Option<String>,
    /// The urgency select field.
    #[serde(default)]
    pub urgency: Option<String>,
    /// The change type select field.
    #[serde(default)]
    pub change_type: Option<String>,
    /// The change risk select field.
    #[serde(default)]
    pub change_risk: Option<String>,
    /// Jira Service Management's approvals field (`Approvals`), on changes
    /// and service requests: each approver's decision is one of our
    /// approvals, and the record's overall approval follows from them.
    #[serde(default)]
    pub approvals: Option<String>,
}

impl Default for JiraMapping {
    fn default() -> Self {
        use ChangeState as C;
        use IncidentState as I;
        use ProblemState as P;
        use ServiceRequestState as S;
        Self {
            issue_types: with_approx(
                rows(&[
                    ("Incident", RecordKind::Incident),
                    ("Problem", RecordKind::Problem),
                    ("Change", RecordKind::Change),
                    ("Service request", RecordKind::ServiceRequest),
                ]),
                &[
                    ("Service request with approvals", RecordKind::ServiceRequest),
                    ("[System] Incident", RecordKind::Incident),
                    ("[System] Problem", RecordKind::Problem),
                    ("[System] Change", RecordKind::Change),
                    ("[System] Service request", RecordKind::ServiceRequest),
                ],
            ),
            priority: with_approx(
                rows(&[
                    ("Highest", Priority::P1),
                    ("High", Priority::P2),
                    ("Medium", Priority::P3),
                    ("Low", Priority::P4),
                    ("Lowest", Priority::P5),
                ]),
                &[("Lowest", Priority::P6)],
            ),
            incident_status: with_approx(
                rows(&[
                    ("Open", I::New),
                    ("Work in progress", I::InProgress),
                    ("Pending", I::OnHold),
                    ("Resolved", I::Resolved),
                    ("Closed", I::Closed),
                    ("Canceled", I::Canceled),
                ]),
                &[("Escalated", I::InProgress), ("Completed", I::Resolved)],
            ),
            problem_status: with_approx(
                rows(&[
                    ("Open", P::New),
                    ("Under review", P::Assess),
                    ("Under investigation", P::RootCauseAnalysis),
                    ("In progress", P::FixInProgress),
                    ("Completed", P::Resolved),
                    ("Closed", P::Closed),
                ]),
                &[("Canceled", P::Closed)],
            ),
            change_status: with_approx(
                rows(&[
                    ("Open", C::New),
                    ("Planning", C::Assess),
                    ("Awaiting CAB approval", C::Authorize),
                    ("Awaiting implementation", C::Scheduled),
                    ("Implementing", C::Implement),
                    ("Peer review", C::Review),
                    ("Completed", C::Closed),
                    ("Canceled", C::Canceled),
                ]),
                &[("Failed", C::Closed), ("Declined", C::Canceled)],
            ),
            request_status: with_approx(
                rows(&[
                    ("Waiting for support", S::Submitted),
                    ("Waiting for approval", S::AwaitingApproval),
                    ("In progress", S::Fulfilment),
                    ("Resolved", S::ClosedComplete),
                    ("Canceled", S::ClosedIncomplete),
                    ("Declined", S::Rejected),
                ]),
                &[
                    ("Waiting for customer", S::Fulfilment),
                    ("Pending", S::Fulfilment),
                    ("Escalated", S::Fulfilment),
                    ("Closed", S::ClosedComplete),
                    ("Waiting for support", S::Approved),
                ],
            ),
            incident_resolution: with_approx(
                rows(&[
                    ("Done", IncidentResolutionCode::SolutionProvided),
                    ("Won't Do", IncidentResolutionCode::NoResolutionProvided),
                    ("Duplicate", IncidentResolutionCode::Duplicate),
                    ("Known error", IncidentResolutionCode::KnownError),
                ]),
                &[
                    (
                        "Cannot Reproduce",
                        IncidentResolutionCode::NoResolutionProvided,
                    ),
                    ("Done", IncidentResolutionCode::WorkaroundProvided),
                    ("Done", IncidentResolutionCode::ResolvedByCaller),
                    ("Done", IncidentResolutionCode::ResolvedByChange),
                    ("Done", IncidentResolutionCode::ResolvedByProblem),
                    ("Done", IncidentResolutionCode::ResolvedByRequest),
                    ("Won't Do", IncidentResolutionCode::UserError),
                ],
            ),
            problem_resolution: with_approx(
                rows(&[
                    ("Done", ProblemResolutionCode::FixApplied),
                    ("Won't Do", ProblemResolutionCode::RiskAccepted),
                    ("Duplicate", ProblemResolutionCode::Duplicate),
                    ("Declined", ProblemResolutionCode::Canceled),
                ]),
                &[("Cannot Reproduce", ProblemResolutionCode::Canceled)],
            ),
            change_resolution: with_approx(
                rows(&[
                    ("Done", ChangeCloseCode::Successful),
                    ("Won't Do", ChangeCloseCode::Unsuccessful),
                ]),
                &[
                    ("Done", ChangeCloseCode::SuccessfulWithIssues),
                    ("Declined", ChangeCloseCode::Unsuccessful),
                ],
            ),
            custom_fields: JiraCustomFields::default(),
            impact: with_approx(
                rows(&[
                    ("Extensive / Widespread", Impact::VeryHigh),
                    ("Significant / Large", Impact::High),
                    ("Moderate / Limited", Impact::Medium),
                    ("Minor / Localized", Impact::Low),
                ]),
                &[("Minor / Localized", Impact::VeryLow)],
            ),
            urgency: with_approx(
                rows(&[
                    ("Critical", Urgency::VeryHigh),
                    ("High", Urgency::High),
                    ("Medium", Urgency::Medium),
                    ("Low", Urgency::Low),
                ]),
                &[("Low", Urgency::VeryLow)],
            ),
            change_type: rows(&[
                ("Standard", ChangeType::Standard),
                ("Normal", ChangeType::Normal),
                ("Emergency", ChangeType::Emergency),
            ]),
            change_risk: rows(&[
                ("Critical", ChangeRisk::VeryHigh),
                ("High", ChangeRisk::High),
                ("Medium", ChangeRisk::Moderate),
                ("Low", ChangeRisk::Low),
            ]),
            approval_decision: with_approx(
                rows(&[
                    ("pending", ApprovalDecision::Requested),
                    ("approved", ApprovalDecision::Approved),
                    ("declined", ApprovalDecision::Rejected),
                ]),
                // JSM has no withdrawn approval: a canceled one reads back
                // as declined.
                &[("declined", ApprovalDecision::Canceled)],
            ),
        }
    }
}

impl JiraMapping {
    /// Reads a mapping from JSON; tables it omits keep their defaults.
    ///
    /// # Errors
    /// [`InteropError::Json`] with the path of an unknown field or a bad
    /// value; [`InteropError::InvalidMapping`] with every problem.
    pub fn from_json(text: &str) -> Result<Self, InteropError> {
        crate::read_mapping(text, "jira", Self::validate)
    }

    /// Every problem at once: empty codes, a code mapped twice by exact rows.
    #[must_use]
    pub fn validate(&self) -> Vec<Violation> {
        let mut problems = Vec::new();
        check("issue_types", &self.issue_types, &mut problems);
        check("priority", &self.priority, &mut problems);
        check("incident_status", &self.incident_status, &mut problems);
        check("problem_status", &self.problem_status, &mut problems);
        check("change_status", &self.change_status, &mut problems);
        check("request_status", &self.request_status, &mut problems);
        check(
            "incident_resolution",
            &self.incident_resolution,
            &mut problems,
        );
        check(
            "problem_resolution",
            &self.problem_resolution,
            &mut problems,
        );
        check("change_resolution", &self.change_resolution, &mut problems);
        check("impact", &self.impact, &mut problems);
        check("urgency", &self.urgency, &mut problems);
        check("change_type", &self.change_type, &mut problems);
        check("change_risk", &self.change_risk, &mut problems);
        check("approval_decision", &self.approval_decision, &mut problems);
        let ids = [
            ("custom_fields.impact", &self.custom_fields.impact),
            ("custom_fields.urgency", &self.custom_fields.urgency),
            ("custom_fields.change_type", &self.custom_fields.change_type),
            ("custom_fields.change_risk", &self.custom_fields.change_risk),
        ];
        for (path, id) in ids {
            if let Some(id) = id
                && (id.is_empty() || id.contains('.') || id.contains('\\'))
            {
                problems.push(crate::codes::violation(
                    path.to_owned(),
                    "custom_field_id",
                    format!("{id:?} is not a Jira field id (\"customfield_10004\")"),
                ));
            }
        }
        problems
    }

    fn tables(&self) -> Tables {
        let mut t = Tables::new();
        t.insert("issue_types", Table::compile(&self.issue_types));
        t.insert("priority", Table::compile(&self.priority));
        t.insert("incident_status", Table::compile(&self.incident_status));
        t.insert("problem_status", Table::compile(&self.problem_status));
        t.insert("change_status", Table::compile(&self.change_status));
        t.insert("request_status", Table::compile(&self.request_status));
        t.insert(
            "incident_resolution",
            Table::compile(&self.incident_resolution),
        );
        t.insert(
            "problem_resolution",
            Table::compile(&self.problem_resolution),
        );
        t.insert("change_resolution", Table::compile(&self.change_resolution));
        t.insert("impact", Table::compile(&self.impact));
        t.insert("urgency", Table::compile(&self.urgency));
        t.insert("change_type", Table::compile(&self.change_type));
        t.insert("change_risk", Table::compile(&self.change_risk));
        t.insert("approval_decision", Table::compile(&self.approval_decision));
        t
    }
}

const NIL: &str = "\"00000000-0000-0000-0000-000000000000\"";
const EPOCH: &str = "\"1970-01-01T00:00:00Z\"";
const KEY: &[&str] = &["key"];
const TYPE: &[&str] = &["fields", "issuetype", "name"];
const SUMMARY: &[&str] = &["fields", "summary"];
const DESCRIPTION: &[&str] = &["fields", "description"];
const STATUS: &[&str] = &["fields", "status", "name"];
const PRIORITY: &[&str] = &["fields", "priority", "name"];
const RESOLUTION: &[&str] = &["fields", "resolution", "name"];
const CREATED: &[&str] = &["fields", "created"];
const RESOLVED: &[&str] = &["fields", "resolutiondate"];
const ASSIGNEE: &[&str] = &["fields", "assignee"];
const REPORTER: &[&str] = &["fields", "reporter"];

use RefKind as K;

const INCIDENT: &[Field] = &[
    field(KEY, &["id"], Conv::OwnId(K::Incident)).required(),
    field(KEY, &["number"], Conv::Number(NumberPrefix::Incident)).import_only(),
    field(TYPE, &[], Conv::Tag("issue_types", "incident")),
    field(SUMMARY, &["short_description"], Conv::Text).or("\"\""),
    field(DESCRIPTION, &["description"], Conv::Text),
    field(STATUS, &["state"], Conv::Code("incident_status")).or("\"new\""),
    field(PRIORITY, &["priority"], Conv::Code("priority")).or("\"p5\""),
    field(
        RESOLUTION,
        &["resolution_code"],
        Conv::Code("incident_resolution"),
    ),
    field(CREATED, &["opened_at"], Conv::Time).or(EPOCH),
    field(RESOLVED, &["resolved_at"], Conv::Time),
    field(ASSIGNEE, &["assigned_to"], Conv::Ref(K::Person)),
    field(REPORTER, &["caller"], Conv::Ref(K::Person)).or(NIL),
    field(&[], &["impact"], Conv::Constant).or("\"low\""),
    field(&[], &["urgency"], Conv::Constant).or("\"low\""),
];

const PROBLEM: &[Field] = &[
    field(KEY, &["id"], Conv::OwnId(K::Problem)).required(),
    field(KEY, &["number"], Conv::Number(NumberPrefix::Problem)).import_only(),
    field(TYPE, &[], Conv::Tag("issue_types", "problem")),
    field(SUMMARY, &["short_description"], Conv::Text).or("\"\""),
    field(DESCRIPTION, &["description"], Conv::Text),
    field(STATUS, &["state"], Conv::Code("problem_status")).or("\"new\""),
    field(PRIORITY, &["priority"], Conv::Code("priority")).or("\"p5\""),
    field(
        RESOLUTION,
        &["resolution_code"],
        Conv::Code("problem_resolution"),
    ),
    field(CREATED, &["opened_at"], Conv::Time).or(EPOCH),
    field(RESOLVED, &["resolved_at"], Conv::Time),
    field(ASSIGNEE, &["assigned_to"], Conv::Ref(K::Person)),
    field(REPORTER, &["opened_by"], Conv::Ref(K::Person)),
    field(&[], &["impact"], Conv::Constant).or("\"low\""),
    field(&[], &["urgency"], Conv::Constant).or("\"low\""),
];

const CHANGE: &[Field] = &[
    field(KEY, &["id"], Conv::OwnId(K::Change)).required(),
    field(KEY, &["number"], Conv::Number(NumberPrefix::Change)).import_only(),
    field(TYPE, &[], Conv::Tag("issue_types", "change")),
    field(SUMMARY, &["short_description"], Conv::Text).or("\"\""),
    field(DESCRIPTION, &["description"], Conv::Text),
    field(STATUS, &["state"], Conv::Code("change_status")).or("\"new\""),
    field(PRIORITY, &["priority"], Conv::Code("priority")),
    field(RESOLUTION, &["close_code"], Conv::Code("change_resolution")),
    field(CREATED, &["opened_at"], Conv::Time).or(EPOCH),
    field(RESOLVED, &["closed_at"], Conv::Time),
    field(ASSIGNEE, &["assigned_to"], Conv::Ref(K::Person)),
    field(REPORTER, &["requested_by"], Conv::Ref(K::Person)).or(NIL),
    field(&[], &["change_type"], Conv::Constant).or("\"normal\""),
    field(&[], &["risk"], Conv::Constant).or("\"moderate\""),
    field(&[], &["impact"], Conv::Constant).or("\"low\""),
    field(&[], &["approval"], Conv::Constant).or("\"not_requested\""),
];

const REQUEST: &[Field] = &[
    field(KEY, &["id"], Conv::OwnId(K::ServiceRequest)).required(),
    field(KEY, &["number"], Conv::Number(NumberPrefix::ServiceRequest)).import_only(),
    field(TYPE, &[], Conv::Tag("issue_types", "service_request")),
    field(SUMMARY, &["short_description"], Conv::Text).or("\"\""),
    field(STATUS, &["state"], Conv::Code("request_status")).or("\"submitted\""),
    field(PRIORITY, &["priority"], Conv::Code("priority")),
    field(CREATED, &["opened_at"], Conv::Time).or(EPOCH),
    field(RESOLVED, &["closed_at"], Conv::Time),
    field(ASSIGNEE, &["assigned_to"], Conv::Ref(K::Person)),
    field(REPORTER, &["requested_by"], Conv::Ref(K::Person)).or(NIL),
    field(REPORTER, &["requested_for"], Conv::Ref(K::Person))
        .or(NIL)
        .import_only(),
    field(&[], &["catalog_item"], Conv::Constant).or(NIL),
    field(&[], &["quantity"], Conv::Constant).or("1"),
    field(&[], &["approval"], Conv::Constant).or("\"not_requested\""),
];

/// A kind's rows, with the site's custom fields in place of the constants
/// they configure.
fn rows_for(table: &[Field], custom: &JiraCustomFields) -> Vec<Field> {
    table
        .iter()
        .map(|f| {
            let configured = match f.ours().as_slice() {
                ["impact"] => custom.impact.as_ref().map(|id| (id, "impact")),
                ["urgency"] => custom.urgency.as_ref().map(|id| (id, "urgency")),
                ["change_type"] => custom.change_type.as_ref().map(|id| (id, "change_type")),
                ["risk"] => custom.change_risk.as_ref().map(|id| (id, "change_risk")),
                _ => None,
            };
            match (configured, &f.conv) {
                (Some((id, table)), Conv::Constant) => {
                    let mut row = f.clone();
                    row.conv = Conv::Code(table);
                    let mut row = row.at(vec!["fields".to_owned(), id.clone(), "value".to_owned()]);
                    row.fallback = f.fallback;
                    row
                }
                _ => f.clone(),
            }
        })
        .collect()
}

/// Whether the record's overall approval is the one its approvals give.
fn derived_approval(record: &ItsmRecord) -> bool {
    match record {
        ItsmRecord::Change(c) => c.approval == itsm_core::approval_from_approvals(&c.approvals),
        ItsmRecord::ServiceRequest(r) => {
            r.approval == itsm_core::approval_from_approvals(&r.approvals)
        }
        _ => false,
    }
}

/// Converts Jira Service Management issues to ours and back.
///
/// ```
/// use itsm_interop::{InteropOptions, Jira, JiraMapping, LookupTables};
/// let jira = Jira::new(JiraMapping::default(), InteropOptions::default())?;
/// let issue = serde_json::json!({"id": "10042", "key": "ITSM-42", "fields": {
///     "issuetype": {"name": "Incident"}, "summary": "Printer on fire",
///     "status": {"name": "Work in progress"}, "priority": {"name": "High"},
///     "created": "2026-03-02T09:15:00.000+0000", "customfield_10010": "x"}});
/// let converted = jira.import(&issue, &LookupTables::default())?;
/// let incident = converted.record.as_incident().unwrap();
/// assert_eq!(incident.number.to_string(), "INC0000042");
/// assert_eq!(incident.priority, itsm_core::Priority::P2);
/// assert_eq!(incident.extensions["jira.fields.customfield_10010"], "x".into());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Jira {
    mapping: JiraMapping,
    tables: Tables,
    options: InteropOptions,
    /// Each kind's rows (incident, problem, change, service request).
    rows: [Vec<Field>; 4],
}

impl Jira {
    /// A converter for this mapping and these options.
    ///
    /// # Errors
    /// [`InteropError::InvalidMapping`] listing every problem of the mapping.
    pub fn new(mapping: JiraMapping, options: InteropOptions) -> Result<Self, InteropError> {
        let problems = mapping.validate();
        if !problems.is_empty() {
            return Err(InteropError::InvalidMapping {
                name: "jira",
                problems,
            });
        }
        let custom = &mapping.custom_fields;
        let rows = [
            rows_for(INCIDENT, custom),
            rows_for(PROBLEM, custom),
            rows_for(CHANGE, custom),
            rows_for(REQUEST, custom),
        ];
        Ok(Self {
            tables: mapping.tables(),
            mapping,
            options,
            rows,
        })
    }

    /// The mapping in use.
    #[must_use]
    pub fn mapping(&self) -> &JiraMapping {
        &self.mapping
    }

    fn fields_of(&self, kind: RecordKind) -> Option<(&[Field], &'static str)> {
        match kind {
            RecordKind::Incident => Some((&self.rows[0], "incident")),
            RecordKind::Problem => Some((&self.rows[1], "problem")),
            RecordKind::Change => Some((&self.rows[2], "change")),
            RecordKind::ServiceRequest => Some((&self.rows[3], "service_request")),
            _ => None,
        }
    }

    fn engine<'a>(&'a self, lookup: &'a dyn Lookup) -> Engine<'a> {
        Engine {
            format: Format::Jira,
            dialect: Dialect::Jira,
            tables: &self.tables,
            tz: None,
            lookup,
            containers: &["fields"],
            instance_url: None,
            project_key: self.options.jira_project_key.as_deref().unwrap_or("ITSM"),
        }
    }

    /// One issue (an element of a search result's `issues`) to ours; its
    /// issue type decides the kind.
    ///
    /// # Errors
    /// [`InteropError::UnknownType`] for an issue type the mapping does not
    /// know (or that is not an incident, problem, change or service
    /// request); [`InteropError::Missing`] without a `key`.
    pub fn import(
        &self,
        issue: &Value,
        lookup: &dyn Lookup,
    ) -> Result<Converted<ItsmRecord>, InteropError> {
        let name = get(issue, TYPE).and_then(Value::as_str).unwrap_or("");
        let table = self.tables.get("issue_types");
        let kind = table
            .and_then(|t| t.import(name))
            .and_then(|(kind, _)| kind.parse::<RecordKind>().ok())
            .and_then(|kind| self.fields_of(kind))
            .ok_or_else(|| InteropError::UnknownType {
                format: "jira",
                path: "fields.issuetype.name".into(),
                value: name.to_owned(),
                expected: self
                    .mapping
                    .issue_types
                    .iter()
                    .map(|e| e.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
        let (fields, kind) = kind;
        let engine = self.engine(lookup);
        let mut source = issue.clone();
        let mut ext = activity::Ext::new();
        let mut extra = LossReport::new(Format::Jira, Direction::Import);
        let timeline = activity::import_jira_comments(&engine, &mut source, &mut ext, &mut extra);
        let mut approvals = Value::Object(serde_json::Map::new());
        let approvals_read = match (&self.mapping.custom_fields.approvals, kind) {
            (Some(field), "change" | "service_request") => activity::import_jira_approvals(
                &engine,
                field,
                &mut source,
                &mut approvals,
                &mut ext,
                &mut extra,
            ),
            _ => false,
        };
        let (mut ours, mut report) = engine.import(fields, &source, &["extensions"])?;
        if approvals_read {
            // The overall approval follows from the approvals (itsm-core
            // derives it when it is absent).
            if let (Value::Object(map), Some(list)) = (&mut ours, approvals.get("approvals")) {
                map.insert("approvals".to_owned(), list.clone());
                map.remove("approval");
            }
        }
        activity::merge(&mut ours, &["extensions"], ext, &mut report, extra);
        Ok(Converted {
            record: ItsmRecord::from_json(kind, ours)?,
            timeline,
            report,
        })
    }

    /// One of our records as an issue.
    ///
    /// # Errors
    /// [`InteropError::UnknownType`] for a record Jira issues do not carry
    /// here (knowledge articles, configuration items, relationships).
    pub fn export(
        &self,
        record: &ItsmRecord,
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        self.export_with_timeline(record, &[], lookup)
    }

    /// One of our records with its timeline: comments and work notes as
    /// `fields.comment.comments` (`jsdPublic` true and false); every other
    /// event is reported (`timeline.state_changed`).
    ///
    /// # Errors
    /// As [`export`](Self::export).
    pub fn export_with_timeline(
        &self,
        record: &ItsmRecord,
        timeline: &[itsm_core::TimelineEvent],
        lookup: &dyn Lookup,
    ) -> Result<Converted<Value>, InteropError> {
        let kind = match record {
            ItsmRecord::Incident(_) => RecordKind::Incident,
            ItsmRecord::Problem(_) => RecordKind::Problem,
            ItsmRecord::Change(_) => RecordKind::Change,
            ItsmRecord::ServiceRequest(_) => RecordKind::ServiceRequest,
            other => {
                return Err(InteropError::UnknownType {
                    format: "jira",
                    path: "kind".into(),
                    value: other.kind().into(),
                    expected: "incident, problem, change, service_request".into(),
                });
            }
        };
        let (fields, _) = self.fields_of(kind).unwrap_or((&self.rows[0], "incident"));
        let engine = self.engine(lookup);
        let mut ours = record.to_json();
        let key = crate::engine::ext_key("jira", &["fields", "comment"]);
        let approvals_field = self
            .mapping
            .custom_fields
            .approvals
            .as_deref()
            .filter(|_| matches!(kind, RecordKind::Change | RecordKind::ServiceRequest));
        let mut keys = vec![key];
        if let Some(field) = approvals_field {
            keys.push(crate::engine::ext_key("jira", &["fields", field]));
        }
        let mut ext = activity::take_kept(&mut ours, &["extensions"], &keys);
        let mut approvals_out = Value::Object(serde_json::Map::new());
        let mut approvals_report = LossReport::new(Format::Jira, Direction::Export);
        if let Some(field) = approvals_field {
            // An overall approval that follows from the approvals is carried
            // by them; one that does not is left to the field table, which
            // reports it.
            if derived_approval(record)
                && let Value::Object(map) = &mut ours
            {
                map.remove("approval");
            }
            activity::export_jira_approvals(
                &engine,
                field,
                &mut ours,
                &mut ext,
                &mut approvals_out,
                &mut approvals_report,
            );
        }
        let (mut record, mut report) = engine.export(fields, &ours, &["extensions"]);
        if let Some(field) = approvals_field
            && let Some(value) = crate::engine::get(&approvals_out, &["fields", field])
        {
            crate::engine::set(&mut record, &["fields", field], value.clone());
        }
        report.unmapped.extend(approvals_report.unmapped);
        report
            .approximations
            .extend(approvals_report.approximations);
        activity::export_jira_comments(&engine, timeline, &mut ext, &mut record, &mut report);
        activity::report_other_events(timeline, &mut report);
        Ok(Converted {
            record,
            timeline: Vec::new(),
            report,
        })
    }
}
