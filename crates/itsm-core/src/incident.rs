//! [`Incident`]: an unplanned interruption or reduction in quality of a service.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::state::plain_enum;
use crate::{
    ChangeId, CiId, Extensions, GroupId, Impact, IncidentId, IncidentState, MajorIncidentState,
    OnHoldReason, PersonId, Priority, ProblemId, RecordNumber, ServiceId, Urgency,
};

plain_enum!(
    /// How an incident was resolved (ServiceNow's resolution codes).
    IncidentResolutionCode {
        /// A fix or an answer was given.
        SolutionProvided,
        /// A workaround restored the service; the cause remains.
        WorkaroundProvided,
        /// A known error's workaround was applied.
        KnownError,
        /// The incident duplicates another (see `parent_incident`).
        Duplicate,
        /// Resolved by the caller.
        ResolvedByCaller,
        /// Resolved by a change.
        ResolvedByChange,
        /// Resolved by fixing a problem.
        ResolvedByProblem,
        /// Resolved by a service request.
        ResolvedByRequest,
        /// The caller's error, not a fault.
        UserError,
        /// Closed without a resolution.
        NoResolutionProvided,
    }
);

plain_enum!(
    /// How an incident or request reached the service desk.
    Channel {
        /// A phone call.
        Phone,
        /// An e-mail.
        Email,
        /// The self-service portal.
        SelfService,
        /// A chat or virtual agent.
        Chat,
        /// In person.
        WalkIn,
        /// Raised by a monitoring or event-management tool.
        Monitoring,
    }
);

impl Incident {
    /// A new incident in state `new`, with ServiceNow's defaults: impact and
    /// urgency low, priority P5, nothing assigned, no custom fields.
    #[must_use]
    pub fn new(
        id: IncidentId,
        number: RecordNumber,
        caller: PersonId,
        short_description: impl Into<String>,
        opened_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            caller,
            short_description: short_description.into(),
            description: None,
            category: None,
            subcategory: None,
            channel: None,
            service: None,
            configuration_items: Vec::new(),
            affected_services: Vec::new(),
            impact: Impact::Low,
            urgency: Urgency::Low,
            priority: Priority::P5,
            state: IncidentState::New,
            on_hold_reason: None,
            assignment_group: None,
            assigned_to: None,
            opened_at,
            opened_by: None,
            resolved_at: None,
            resolved_by: None,
            closed_at: None,
            closed_by: None,
            resolution_code: None,
            resolution_notes: None,
            reopen_count: 0,
            last_reopened_at: None,
            last_reopened_by: None,
            parent_incident: None,
            problem: None,
            caused_by_change: None,
            change_request: None,
            major_incident_state: None,
            major_incident_proposed_at: None,
            major_incident_proposed_by: None,
            major_incident_decided_at: None,
            major_incident_decided_by: None,
            business_effects: Vec::new(),
            extensions: Extensions::new(),
        }
    }
}

plain_enum!(
    /// How an incident affects a business service, from the CMDB's impact
    /// analysis.
    ServiceEffect {
        /// The service is down: a failure reached it through every path it
        /// depends on.
        Impacted,
        /// The service runs with less redundancy: a CI it depends on failed,
        /// but enough of its peers stayed up (one disk of a mirror set).
        Degraded,
    }
);

plain_enum!(
    /// An effect of an incident beyond the service itself, flagged by the
    /// service desk: what makes an incident a major one whatever the
    /// services it touches.
    BusinessEffect {
        /// The organisation's reputation (press, social media, customers).
        Reputation,
        /// Legal compliance (contracts, data protection).
        LegalCompliance,
        /// Regulation (a regulator must be told).
        Regulation,
        /// Security (a breach, an attack).
        Security,
    }
);

/// A business service an incident affects, and how.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AffectedService {
    /// The service's configuration item in the CMDB.
    pub service: CiId,
    /// Impacted or only degraded.
    pub effect: ServiceEffect,
}

impl std::fmt::Display for AffectedService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.service, self.effect)
    }
}

/// An incident: an unplanned interruption to a service or a reduction in its
/// quality (ITIL 4). A major incident is an incident whose
/// `major_incident_state` is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions and completed by the trait
// impls below, which compute the derived field when the input leaves it out.
#[serde(remote = "Self")]
#[schemars(rename = "Incident")]
pub struct Incident {
    /// The incident's id.
    pub id: IncidentId,
    /// Its human-readable number (`INC…`).
    pub number: RecordNumber,
    /// The person affected who reported it.
    pub caller: PersonId,
    /// One line a person reads in a list.
    pub short_description: String,
    /// The full description.
    #[serde(default)]
    pub description: Option<String>,
    /// The category (`network`, `software`, …).
    #[serde(default)]
    pub category: Option<String>,
    /// The subcategory within the category.
    #[serde(default)]
    pub subcategory: Option<String>,
    /// How it was reported.
    #[serde(default)]
    pub channel: Option<Channel>,
    /// The affected service.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The affected configuration items.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// The business services its configuration items' failure reaches,
    /// each impacted or only degraded (a failed CI whose redundancy held):
    /// an incident that has not yet impacted a service is still an incident.
    /// The desk records them from the stored CMDB when CIs are attached.
    #[serde(default)]
    pub affected_services: Vec<AffectedService>,
    /// How widely it affects the business.
    pub impact: Impact,
    /// How quickly it must be resolved.
    pub urgency: Urgency,
    /// The priority. Derived when absent on input: from `impact` and
    /// `urgency` by the ServiceNow 3×3 matrix.
    #[schemars(default = "crate::derived::absent_priority", transform = crate::derived::no_default)]
    pub priority: Priority,
    /// The state.
    pub state: IncidentState,
    /// Why it is on hold; set exactly when `state` is `on_hold`.
    #[serde(default)]
    pub on_hold_reason: Option<OnHoldReason>,
    /// The group responsible for it.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// The agent working on it.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Who opened it (an agent, or the caller through self-service).
    #[serde(default)]
    pub opened_by: Option<PersonId>,
    /// When it was last resolved.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who last resolved it.
    #[serde(default)]
    pub resolved_by: Option<PersonId>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// Who closed it (`None` for an auto-close).
    #[serde(default)]
    pub closed_by: Option<PersonId>,
    /// How it was resolved; required once resolved.
    #[serde(default)]
    pub resolution_code: Option<IncidentResolutionCode>,
    /// What was done; required once resolved.
    #[serde(default)]
    pub resolution_notes: Option<String>,
    /// How many times it was reopened after being resolved.
    #[serde(default)]
    pub reopen_count: u32,
    /// When it was last reopened.
    #[serde(default)]
    pub last_reopened_at: Option<DateTime<Utc>>,
    /// Who last reopened it.
    #[serde(default)]
    pub last_reopened_by: Option<PersonId>,
    /// The parent incident, for a child or duplicate incident.
    #[serde(default)]
    pub parent_incident: Option<IncidentId>,
    /// The problem recorded for its cause; required while the incident is on
    /// hold awaiting a problem.
    #[serde(default)]
    pub problem: Option<ProblemId>,
    /// The change that caused it.
    #[serde(default)]
    pub caused_by_change: Option<ChangeId>,
    /// The change that will fix it (ServiceNow's `rfc`); required while the
    /// incident is on hold awaiting a change.
    #[serde(default)]
    pub change_request: Option<ChangeId>,
    /// The major-incident state; `None` for an ordinary incident never proposed as major.
    #[serde(default)]
    pub major_incident_state: Option<MajorIncidentState>,
    /// When it was (last) proposed as a major incident.
    #[serde(default)]
    pub major_incident_proposed_at: Option<DateTime<Utc>>,
    /// Who proposed it.
    #[serde(default)]
    pub major_incident_proposed_by: Option<PersonId>,
    /// When the major incident manager accepted or rejected the proposal.
    #[serde(default)]
    pub major_incident_decided_at: Option<DateTime<Utc>>,
    /// Who accepted or rejected it.
    #[serde(default)]
    pub major_incident_decided_by: Option<PersonId>,
    /// Effects beyond the service: reputation, legal compliance,
    /// regulation, security.
    #[serde(default)]
    pub business_effects: Vec<BusinessEffect>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

crate::derived::derived_fields!(Incident, [("priority", "p5")], |incident, given| {
    if !given[0] {
        incident.priority = crate::derived::derived_priority(incident.impact, incident.urgency)?;
    }
});
