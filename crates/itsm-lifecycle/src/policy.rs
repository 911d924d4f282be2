//! Pure rules beside the workflows: approval policies, auto-close, the
//! change-type lock, the incidents a resolved problem releases and the
//! article versions a publication retires.

use chrono::{DateTime, Days, Utc};
use itsm_core::{
    Approval, ApprovalDecision, Change, ChangeState, ChangeType, Incident, IncidentId,
    IncidentState, KnowledgeArticle, KnowledgeState, MajorIncidentState, OnHoldReason, Problem,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::LifecycleError;

/// How the approvals of a change, a request or a knowledge article decide.
///
/// Under every policy a single rejection rejects. Cancelled approvals are
/// ignored; the approvers counted (M) are those not cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
// Read and written internally tagged by `itsm_core::internally_tagged!`
// below, so that an error inside keeps its exact path.
#[serde(remote = "Self", rename_all = "snake_case", deny_unknown_fields)]
#[schemars(tag = "type", rename = "ApprovalPolicy")]
#[non_exhaustive]
pub enum ApprovalPolicy {
    /// At least `required` of the approvers must approve (N of M).
    NOfM {
        /// N, the approvals needed; 0 approves at once.
        required: u32,
    },
    /// Every approver asked must approve, and at least one must be asked.
    All,
    /// Approval is not needed: approved unless someone rejects.
    Optional,
}

itsm_core::internally_tagged!(ApprovalPolicy, "type");

/// What an [`ApprovalPolicy`] decides over a set of approvals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ApprovalOutcome {
    /// The policy is met.
    Approved,
    /// An approver rejected.
    Rejected {
        /// How many rejected.
        rejections: u32,
    },
    /// Not decided yet; enough approvers are still to answer.
    Pending {
        /// Approvals so far.
        approved: u32,
        /// Approvals needed.
        required: u32,
        /// Approvers yet to answer.
        outstanding: u32,
    },
    /// Cannot be met: fewer approvers are left to answer than approvals are
    /// missing (more approvers must be asked).
    Unattainable {
        /// Approvals so far.
        approved: u32,
        /// Approvals needed.
        required: u32,
        /// Approvers yet to answer.
        outstanding: u32,
    },
}

impl ApprovalPolicy {
    /// Decides over `approvals`. Pure and total: any input gets an answer.
    #[must_use]
    pub fn outcome(&self, approvals: &[Approval]) -> ApprovalOutcome {
        let (mut approved, mut rejected, mut outstanding) = (0u32, 0u32, 0u32);
        for a in approvals {
            match a.decision {
                ApprovalDecision::Approved => approved = approved.saturating_add(1),
                ApprovalDecision::Rejected => rejected = rejected.saturating_add(1),
                ApprovalDecision::Requested => outstanding = outstanding.saturating_add(1),
                _ => {}
            }
        }
        if rejected > 0 {
            return ApprovalOutcome::Rejected {
                rejections: rejected,
            };
        }
        let required = match *self {
            Self::NOfM { required } => required,
            Self::All => approved.saturating_add(outstanding).max(1),
            Self::Optional => 0,
        };
        if approved >= required {
            ApprovalOutcome::Approved
        } else if approved.saturating_add(outstanding) < required {
            ApprovalOutcome::Unattainable {
                approved,
                required,
                outstanding,
            }
        } else {
            ApprovalOutcome::Pending {
                approved,
                required,
                outstanding,
            }
        }
    }
}

/// Cancels every approval still requested (the effect
/// [`Effect::CancelPendingApprovals`](crate::Effect::CancelPendingApprovals));
/// returns how many it cancelled. Decided approvals keep their decision.
pub fn cancel_pending_approvals(approvals: &mut [Approval]) -> usize {
    let mut n = 0;
    for a in approvals
        .iter_mut()
        .filter(|a| a.decision == ApprovalDecision::Requested)
    {
        a.decision = ApprovalDecision::Canceled;
        n += 1;
    }
    n
}

/// Retires, at `at`, the article version that `published` supersedes, as
/// publishing a new version does: each article of `articles` whose id is
/// `published.supersedes` and that is itself published becomes retired,
/// with `retired_at` set. Returns how many it retired.
///
/// Nothing happens unless `published` is published, supersedes a version
/// other than itself, and that version is still published: a draft or a
/// version in review that was never published is left for its author to
/// discard, and a retired one stays as it was. Articles are matched by id
/// only, so the lineage may be stored in any order.
///
/// On the typed path, apply the `retire` event to the superseded version
/// instead (its timeline then records the retirement); this function is
/// the rule both follow.
pub fn retire_superseded(
    published: &KnowledgeArticle,
    articles: &mut [KnowledgeArticle],
    at: DateTime<Utc>,
) -> usize {
    let Some(older) = published.supersedes.filter(|id| *id != published.id) else {
        return 0;
    };
    if published.state != KnowledgeState::Published {
        return 0;
    }
    let mut n = 0;
    for a in articles
        .iter_mut()
        .filter(|a| a.id == older && a.state == KnowledgeState::Published)
    {
        a.state = KnowledgeState::Retired;
        a.retired_at = Some(at);
        n += 1;
    }
    n
}

/// Checks that `change` may change its type to `to`: only while it is new
/// and has no approval that is not cancelled (the approvals asked for
/// depend on the type).
///
/// # Errors
/// [`LifecycleError::ChangeTypeLocked`] naming the state and the approvals.
pub fn check_change_type_change(change: &Change, to: ChangeType) -> Result<(), LifecycleError> {
    let approvals = change
        .approvals
        .iter()
        .filter(|a| a.decision != ApprovalDecision::Canceled)
        .count();
    if change.change_type == to || (change.state == ChangeState::New && approvals == 0) {
        Ok(())
    } else {
        Err(LifecycleError::ChangeTypeLocked {
            from: change.change_type.to_string(),
            to: to.to_string(),
            state: change.state.to_string(),
            approvals,
        })
    }
}

/// Refuses an edit of a change made from a standard change template that
/// changes one of the fields the template fixed
/// ([`STANDARD_CHANGE_FIXED`](itsm_core::STANDARD_CHANGE_FIXED)): its
/// pre-approval covers the procedure as the template wrote it. A change
/// without a template may be edited freely, but cannot be given one: only
/// [`StandardChangeTemplate::instantiate`](itsm_core::StandardChangeTemplate::instantiate)
/// makes a change of a template.
///
/// # Errors
/// [`LifecycleError::FixedByTemplate`] naming the first such field.
pub fn check_standard_change_edit(change: &Change, edited: &Change) -> Result<(), LifecycleError> {
    let Some(template) = change.template.or(edited.template) else {
        return Ok(());
    };
    // Every fixed field compared by its JSON value, so that a field added
    // to the list is enforced without code here.
    let (before, after) = match (serde_json::to_value(change), serde_json::to_value(edited)) {
        (Ok(b), Ok(a)) => (b, a),
        _ => {
            return Err(LifecycleError::FixedByTemplate {
                number: change.number.to_string(),
                field: "template".to_owned(),
                template: template.to_string(),
            });
        }
    };
    match itsm_core::STANDARD_CHANGE_FIXED
        .iter()
        .find(|f| before.get(**f) != after.get(**f))
    {
        Some(field) => Err(LifecycleError::FixedByTemplate {
            number: change.number.to_string(),
            field: (*field).to_owned(),
            template: template.to_string(),
        }),
        None => Ok(()),
    }
}

/// When resolved incidents close by themselves: `days` calendar days after
/// they were resolved (ServiceNow's `glide.ui.autoclose.time`); 0 disables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoClose {
    /// Days after resolution; 0 disables auto-close.
    pub days: u32,
}

impl AutoClose {
    /// The instant a record resolved at `resolved_at` becomes due for
    /// closing; `None` when auto-close is disabled, for a major incident
    /// (proposed or accepted) and when the instant is out of range.
    #[must_use]
    pub fn due_at(
        &self,
        resolved_at: DateTime<Utc>,
        major: Option<MajorIncidentState>,
    ) -> Option<DateTime<Utc>> {
        if self.days == 0
            || matches!(
                major,
                Some(MajorIncidentState::Proposed | MajorIncidentState::Accepted)
            )
        {
            return None;
        }
        resolved_at.checked_add_days(Days::new(u64::from(self.days)))
    }

    /// Whether a record resolved at `resolved_at` is due for closing at `now`.
    #[must_use]
    pub fn is_due(
        &self,
        resolved_at: Option<DateTime<Utc>>,
        major: Option<MajorIncidentState>,
        now: DateTime<Utc>,
    ) -> bool {
        resolved_at
            .and_then(|r| self.due_at(r, major))
            .is_some_and(|due| now >= due)
    }

    /// Whether `incident` is resolved and due for closing at `now`; the
    /// caller then applies [`IncidentEvent::Close`](crate::IncidentEvent::Close)
    /// with no actor.
    #[must_use]
    pub fn incident_due(&self, incident: &Incident, now: DateTime<Utc>) -> bool {
        incident.state == IncidentState::Resolved
            && self.is_due(incident.resolved_at, incident.major_incident_state, now)
    }
}

/// The incidents that resolving `problem` releases: those related to it
/// (by their `problem` field or the problem's `related_incidents`) that are
/// on hold awaiting a problem, and only those, in the order given.
#[must_use]
pub fn incidents_to_resolve(problem: &Problem, incidents: &[Incident]) -> Vec<IncidentId> {
    incidents
        .iter()
        .filter(|i| {
            i.state == IncidentState::OnHold
                && i.on_hold_reason == Some(OnHoldReason::AwaitingProblem)
        })
        .filter(|i| i.problem == Some(problem.id) || problem.related_incidents.contains(&i.id))
        .map(|i| i.id)
        .collect()
}
