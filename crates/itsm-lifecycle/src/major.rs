//! Major-incident criteria: a rule set, as data, that proposes an incident
//! as a major incident and says which criteria matched and why.
//!
//! ITIL calls an incident major when it affects, or may affect, services
//! critical to the business, or has a significant effect on the
//! organisation's reputation, legal compliance, regulation or security.
//! [`MajorIncidentRules`] writes that as criteria over the incident, the
//! criticality of the services it affects (which the caller reads from its
//! CMDB or service portfolio) and the other incidents on the same services
//! or CIs; [`MajorIncidentRules::assess`] is pure.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use itsm_core::{
    BusinessEffect, CiId, Criticality, Impact, Incident, Priority, RecordNumber, ServiceEffect,
    Urgency, Violation,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The most criteria a rule set holds, counted through `all_of`.
pub const MAX_MAJOR_CRITERIA: usize = 256;

/// The longest window a volume criterion may count over: 90 days.
pub const MAX_VOLUME_WINDOW_SECONDS: u64 = 90 * 86_400;

/// One criterion of a [`MajorIncidentRules`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "type", rename = "MajorIncidentCriterion")]
#[non_exhaustive]
pub enum MajorIncidentCriterion {
    /// A service the incident affects is at least this critical; with
    /// `include_degraded`, a service it only degrades (may affect) counts.
    ServiceCriticality {
        /// The least critical service that matches (`most_critical` matches
        /// only the most critical ones).
        at_least: Criticality,
        /// Whether a degraded service (redundancy held) counts too.
        #[serde(default)]
        include_degraded: bool,
    },
    /// The incident is flagged with one of these business effects.
    BusinessEffect {
        /// The effects that match.
        any_of: Vec<BusinessEffect>,
    },
    /// The incident's priority is this high or higher (`p1` is highest).
    Priority {
        /// The lowest priority that matches.
        at_least: Priority,
    },
    /// The incident's impact is this high or higher.
    Impact {
        /// The lowest impact that matches.
        at_least: Impact,
    },
    /// The incident's urgency is this high or higher.
    Urgency {
        /// The lowest urgency that matches.
        at_least: Urgency,
    },
    /// At least `incidents` incidents (this one included) affect one of the
    /// same services or configuration items, opened within `within_seconds`
    /// before this one's assessment.
    Volume {
        /// How many incidents make a pattern (at least 2).
        incidents: u32,
        /// The window, in seconds.
        within_seconds: u64,
        /// Count incidents on the same configuration items, the same
        /// services, or either.
        on: VolumeScope,
    },
    /// Every one of these criteria matches.
    AllOf {
        /// The criteria.
        criteria: Vec<MajorIncidentCriterion>,
    },
}

itsm_core::internally_tagged!(MajorIncidentCriterion, "type");

/// What a volume criterion counts incidents on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VolumeScope {
    /// The same configuration items.
    ConfigurationItems,
    /// The same affected services.
    Services,
    /// Either.
    Either,
}

/// The rules that propose an incident as major: it is proposed when any
/// criterion matches (combine criteria with `all_of`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MajorIncidentRules {
    /// The criteria; any one that matches proposes the incident.
    pub criteria: Vec<MajorIncidentCriterion>,
}

impl Default for MajorIncidentRules {
    /// ITIL's definition as criteria: a most-critical service impacted, a
    /// flagged effect on reputation, legal compliance, regulation or
    /// security, a P1, or five incidents on the same service or CI within
    /// an hour.
    fn default() -> Self {
        Self {
            criteria: vec![
                MajorIncidentCriterion::ServiceCriticality {
                    at_least: Criticality::MostCritical,
                    include_degraded: false,
                },
                MajorIncidentCriterion::BusinessEffect {
                    any_of: vec![
                        BusinessEffect::Reputation,
                        BusinessEffect::LegalCompliance,
                        BusinessEffect::Regulation,
                        BusinessEffect::Security,
                    ],
                },
                MajorIncidentCriterion::Priority {
                    at_least: Priority::P1,
                },
                MajorIncidentCriterion::Volume {
                    incidents: 5,
                    within_seconds: 3_600,
                    on: VolumeScope::Either,
                },
            ],
        }
    }
}

/// Another incident, as a volume criterion counts it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RelatedIncident {
    /// Its number.
    pub number: RecordNumber,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Its configuration items.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// The services it affects.
    #[serde(default)]
    pub services: Vec<CiId>,
}

impl RelatedIncident {
    /// What a volume criterion reads of `incident`.
    #[must_use]
    pub fn of(incident: &Incident) -> Self {
        Self {
            number: incident.number,
            opened_at: incident.opened_at,
            configuration_items: incident.configuration_items.clone(),
            services: incident
                .affected_services
                .iter()
                .map(|a| a.service)
                .collect(),
        }
    }
}

/// What the rules read beside the incident.
#[derive(Clone, Copy, Debug)]
pub struct MajorIncidentFacts<'a> {
    /// The criticality of each service (by its CI), from the CMDB or the
    /// service portfolio; a service not listed matches no criticality.
    pub service_criticality: &'a BTreeMap<CiId, Criticality>,
    /// Other incidents a volume criterion may count (this one is counted
    /// anyway, and found here or not).
    pub related: &'a [RelatedIncident],
    /// The instant of the assessment: the end of every volume window.
    pub now: DateTime<Utc>,
}

/// A criterion that matched, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MatchedCriterion {
    /// Its path in the rule set (`criteria[2]`).
    pub path: String,
    /// The criterion's type (`service_criticality`).
    pub criterion: String,
    /// Why it matched, naming the values.
    pub reason: String,
}

/// The outcome of [`MajorIncidentRules::assess`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MajorIncidentAssessment {
    /// The incident.
    pub number: RecordNumber,
    /// Whether the rules propose it as a major incident (some criterion
    /// matched, and it is active and not already a major incident or a
    /// proposal).
    pub candidate: bool,
    /// Every criterion that matched, in rule-set order.
    pub matched: Vec<MatchedCriterion>,
    /// Why it is not proposed although criteria matched (already proposed
    /// or accepted, or no longer active); `None` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_proposed_because: Option<String>,
}

impl MajorIncidentRules {
    /// Reads a rule set from JSON and checks it.
    ///
    /// # Errors
    /// [`crate::LifecycleError::Json`] with the path of a bad field (an
    /// unknown one is refused); [`crate::LifecycleError::InvalidRules`] with
    /// every problem [`check`](Self::check) finds.
    pub fn from_json(text: &str) -> Result<Self, crate::LifecycleError> {
        let rules: Self = itsm_core::from_json(text).map_err(|e| match e {
            itsm_core::CoreError::Json { path, message } => {
                crate::LifecycleError::Json { path, message }
            }
            other => crate::LifecycleError::Json {
                path: ".".to_owned(),
                message: other.to_string(),
            },
        })?;
        let problems = rules.check();
        if problems.is_empty() {
            Ok(rules)
        } else {
            Err(crate::LifecycleError::InvalidRules { problems })
        }
    }

    /// Every problem of the rule set, each with its path: no criterion, an
    /// empty `any_of` or `all_of`, a volume of fewer than 2 incidents or a
    /// window of 0 or more than 90 days, more than
    /// [`MAX_MAJOR_CRITERIA`] criteria.
    #[must_use]
    pub fn check(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        if self.criteria.is_empty() {
            out.push(Violation::new(
                "criteria",
                "empty",
                "a rule set with no criterion proposes nothing",
            ));
        }
        let mut count = 0;
        for (i, c) in self.criteria.iter().enumerate() {
            check_criterion(c, &format!("criteria[{i}]"), &mut count, &mut out);
        }
        if count > MAX_MAJOR_CRITERIA {
            out.push(Violation::new(
                "criteria",
                "out_of_range",
                format!("{count} criteria, more than the {MAX_MAJOR_CRITERIA} a rule set may hold"),
            ));
        }
        out
    }

    /// Assesses `incident`: every criterion that matches, with its reason,
    /// and whether the incident is a candidate to propose.
    #[must_use]
    pub fn assess(
        &self,
        incident: &Incident,
        facts: &MajorIncidentFacts<'_>,
    ) -> MajorIncidentAssessment {
        let mut matched = Vec::new();
        for (i, c) in self.criteria.iter().enumerate() {
            if let Some(reason) = matches(c, incident, facts, 0) {
                matched.push(MatchedCriterion {
                    path: format!("criteria[{i}]"),
                    criterion: kind(c).to_owned(),
                    reason,
                });
            }
        }
        let not_proposed_because = if matched.is_empty() {
            None
        } else if !itsm_core::RecordState::category(incident.state).is_active() {
            Some(format!("the incident is {}", incident.state))
        } else {
            match incident.major_incident_state {
                Some(
                    s @ (itsm_core::MajorIncidentState::Proposed
                    | itsm_core::MajorIncidentState::Accepted),
                ) => Some(format!("it is already a major incident ({s})")),
                _ => None,
            }
        };
        MajorIncidentAssessment {
            number: incident.number,
            candidate: !matched.is_empty() && not_proposed_because.is_none(),
            matched,
            not_proposed_because,
        }
    }
}

fn kind(c: &MajorIncidentCriterion) -> &'static str {
    match c {
        MajorIncidentCriterion::ServiceCriticality { .. } => "service_criticality",
        MajorIncidentCriterion::BusinessEffect { .. } => "business_effect",
        MajorIncidentCriterion::Priority { .. } => "priority",
        MajorIncidentCriterion::Impact { .. } => "impact",
        MajorIncidentCriterion::Urgency { .. } => "urgency",
        MajorIncidentCriterion::Volume { .. } => "volume",
        MajorIncidentCriterion::AllOf { .. } => "all_of",
    }
}

fn check_criterion(
    c: &MajorIncidentCriterion,
    path: &str,
    count: &mut usize,
    out: &mut Vec<Violation>,
) {
    *count += 1;
    if *count > MAX_MAJOR_CRITERIA {
        return;
    }
    match c {
        MajorIncidentCriterion::BusinessEffect { any_of } if any_of.is_empty() => {
            out.push(Violation::new(
                format!("{path}.any_of"),
                "empty",
                "a business-effect criterion with no effect never matches",
            ));
        }
        MajorIncidentCriterion::Volume {
            incidents,
            within_seconds,
            ..
        } => {
            if *incidents < 2 {
                out.push(Violation::new(
                    format!("{path}.incidents"),
                    "out_of_range",
                    format!("{incidents} incident(s) is no pattern: at least 2"),
                ));
            }
            if *within_seconds == 0 || *within_seconds > MAX_VOLUME_WINDOW_SECONDS {
                out.push(Violation::new(
                    format!("{path}.within_seconds"),
                    "out_of_range",
                    format!(
                        "a window of {within_seconds} s: from 1 s to {MAX_VOLUME_WINDOW_SECONDS} s (90 days)"
                    ),
                ));
            }
        }
        MajorIncidentCriterion::AllOf { criteria } => {
            if criteria.is_empty() {
                out.push(Violation::new(
                    format!("{path}.criteria"),
                    "empty",
                    "an all_of with no criterion",
                ));
            }
            for (i, inner) in criteria.iter().enumerate() {
                check_criterion(inner, &format!("{path}.criteria[{i}]"), count, out);
            }
        }
        _ => {}
    }
}

/// Why `c` matches, or `None`. `depth` bounds `all_of` nesting (the checked
/// rule set is bounded anyway).
fn matches(
    c: &MajorIncidentCriterion,
    incident: &Incident,
    facts: &MajorIncidentFacts<'_>,
    depth: usize,
) -> Option<String> {
    match c {
        MajorIncidentCriterion::ServiceCriticality {
            at_least,
            include_degraded,
        } => {
            let hits: Vec<String> = incident
                .affected_services
                .iter()
                .filter(|a| *include_degraded || a.effect == ServiceEffect::Impacted)
                .filter_map(|a| {
                    let c = facts.service_criticality.get(&a.service)?;
                    // Criticality is ordered most critical first.
                    (rank_criticality(*c) <= rank_criticality(*at_least))
                        .then(|| format!("service {} ({}, {c})", a.service, a.effect))
                })
                .collect();
            (!hits.is_empty()).then(|| {
                format!(
                    "{} at least {at_least}: {}",
                    if *include_degraded {
                        "affects a service"
                    } else {
                        "impacts a service"
                    },
                    hits.join(", ")
                )
            })
        }
        MajorIncidentCriterion::BusinessEffect { any_of } => {
            let hits: Vec<String> = incident
                .business_effects
                .iter()
                .filter(|e| any_of.contains(e))
                .map(ToString::to_string)
                .collect();
            (!hits.is_empty()).then(|| format!("flagged with {}", hits.join(", ")))
        }
        MajorIncidentCriterion::Priority { at_least } => (incident.priority.rank()
            <= at_least.rank())
        .then(|| format!("priority {} is at least {at_least}", incident.priority)),
        // Levels are ordered highest first.
        MajorIncidentCriterion::Impact { at_least } => (incident.impact <= *at_least)
            .then(|| format!("impact {} is at least {at_least}", incident.impact)),
        MajorIncidentCriterion::Urgency { at_least } => (incident.urgency <= *at_least)
            .then(|| format!("urgency {} is at least {at_least}", incident.urgency)),
        MajorIncidentCriterion::Volume {
            incidents,
            within_seconds,
            on,
        } => volume(incident, facts, *incidents, *within_seconds, *on),
        MajorIncidentCriterion::AllOf { criteria } => {
            if criteria.is_empty() || depth >= MAX_MAJOR_CRITERIA {
                return None;
            }
            let mut reasons = Vec::with_capacity(criteria.len());
            for inner in criteria {
                reasons.push(matches(inner, incident, facts, depth + 1)?);
            }
            Some(reasons.join("; and "))
        }
    }
}

fn rank_criticality(c: Criticality) -> u8 {
    match c {
        Criticality::MostCritical => 1,
        Criticality::SomewhatCritical => 2,
        Criticality::LessCritical => 3,
        _ => 4,
    }
}

/// The incidents on one of the same CIs or services, opened in the window,
/// this one included; a match names the busiest CI or service.
fn volume(
    incident: &Incident,
    facts: &MajorIncidentFacts<'_>,
    needed: u32,
    within_seconds: u64,
    on: VolumeScope,
) -> Option<String> {
    let window =
        Duration::seconds(i64::try_from(within_seconds.min(MAX_VOLUME_WINDOW_SECONDS)).ok()?);
    let since = facts.now.checked_sub_signed(window)?;
    let this = RelatedIncident::of(incident);
    let mut counts: BTreeMap<(&'static str, CiId), Vec<RecordNumber>> = BTreeMap::new();
    let mut add = |label: &'static str, ids: &[CiId], number: RecordNumber| {
        for id in ids {
            let list = counts.entry((label, *id)).or_default();
            if !list.contains(&number) {
                list.push(number);
            }
        }
    };
    let cis = matches!(on, VolumeScope::ConfigurationItems | VolumeScope::Either);
    let services = matches!(on, VolumeScope::Services | VolumeScope::Either);
    for other in std::iter::once(&this).chain(facts.related.iter().filter(|r| {
        r.number != incident.number && r.opened_at >= since && r.opened_at <= facts.now
    })) {
        let shares_ci = this
            .configuration_items
            .iter()
            .any(|c| other.configuration_items.contains(c));
        let shares_service = this.services.iter().any(|s| other.services.contains(s));
        if cis && shares_ci {
            add(
                "configuration item",
                &other.configuration_items,
                other.number,
            );
        }
        if services && shares_service {
            add("service", &other.services, other.number);
        }
    }
    let mine = |label: &str, id: &CiId| match label {
        "service" => this.services.contains(id),
        _ => this.configuration_items.contains(id),
    };
    let (&(label, id), numbers) = counts
        .iter()
        .filter(|((label, id), _)| mine(label, id))
        .max_by_key(|(_, numbers)| numbers.len())?;
    (numbers.len() >= usize::try_from(needed).unwrap_or(usize::MAX)).then(|| {
        let listed: Vec<String> = numbers.iter().map(ToString::to_string).collect();
        format!(
            "{} incidents on {label} {id} within {within_seconds} s (at least {needed}): {}",
            numbers.len(),
            listed.join(", ")
        )
    })
}
