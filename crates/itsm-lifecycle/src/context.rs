//! [`GuardContext`]: what the caller tells the engine about a record, and
//! [`PlainContext`], a ready-made context.

use std::collections::BTreeSet;

use itsm_core::{Approval, Change, CommentVisibility, Incident, KnowledgeArticle, OnHoldReason};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::ApprovalPolicy;
use crate::policy::ApprovalOutcome;

/// What the caller knows about the record being moved: which guards pass,
/// which fields are filled in, and the reason given with the event.
///
/// The engine reads nothing else: no clock, no database.
pub trait GuardContext {
    /// Whether this context can evaluate the guard named `guard`; building a
    /// workflow reports every guard the context does not know.
    fn knows_guard(&self, guard: &str) -> bool;

    /// Whether the guard named `guard` lets the transition through.
    fn guard_allows(&self, guard: &str) -> bool;

    /// Whether the record has (or will have, with this update) a value for `field`.
    fn has_field(&self, field: &str) -> bool;

    /// The reason given with the event, such as the on-hold reason `awaiting_caller`.
    fn reason(&self) -> Option<&str> {
        None
    }

    /// Whether a comment of `visibility` comes with the event (a state
    /// entered with a reason may require one). None by default.
    fn has_comment(&self, visibility: CommentVisibility) -> bool {
        let _ = visibility;
        false
    }
}

/// The names of the guards used by the default ITIL flows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard;

impl Guard {
    /// The incident is on hold awaiting the caller.
    pub const AWAITING_CALLER: &'static str = "awaiting_caller";
    /// The actor holds a role allowed to re-analyse a closed problem.
    pub const REANALYZE_ROLE: &'static str = "reanalyze_role";
    /// The record's approval policy is met.
    pub const APPROVED: &'static str = "approved";
    /// The record's approval was rejected.
    pub const REJECTED: &'static str = "rejected";
    /// Every change a release holds is approved (or a standard change) and
    /// links back to it: the caller, who holds the changes, decides it
    /// (`itsm_core::Release::check_changes`); the desk does.
    pub const CHANGES_APPROVED: &'static str = "changes_approved";
    /// The record needs no approval: its `approval` is `not_required` (a
    /// request item whose catalog item has no approval policy), so it may
    /// go straight to fulfilment.
    pub const APPROVAL_NOT_REQUIRED: &'static str = "approval_not_required";
    /// Every guard of the default ITIL flows.
    pub const ITIL: &'static [&'static str] = &[
        Self::AWAITING_CALLER,
        Self::REANALYZE_ROLE,
        Self::APPROVED,
        Self::REJECTED,
        Self::CHANGES_APPROVED,
        Self::APPROVAL_NOT_REQUIRED,
    ];
}

/// The record fields named by the default ITIL flows: the JSON keys of the
/// `itsm-core` records, so that a caller can apply effects by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field;

impl Field {
    /// When the record was resolved.
    pub const RESOLVED_AT: &'static str = "resolved_at";
    /// Who resolved the record.
    pub const RESOLVED_BY: &'static str = "resolved_by";
    /// When the record was closed.
    pub const CLOSED_AT: &'static str = "closed_at";
    /// Who closed the record.
    pub const CLOSED_BY: &'static str = "closed_by";
    /// How many times the incident was reopened.
    pub const REOPEN_COUNT: &'static str = "reopen_count";
    /// When the incident was last reopened.
    pub const LAST_REOPENED_AT: &'static str = "last_reopened_at";
    /// Who last reopened the incident.
    pub const LAST_REOPENED_BY: &'static str = "last_reopened_by";
    /// Why the incident is on hold.
    pub const ON_HOLD_REASON: &'static str = "on_hold_reason";
    /// How the incident or problem was resolved.
    pub const RESOLUTION_CODE: &'static str = "resolution_code";
    /// What was done to resolve the incident.
    pub const RESOLUTION_NOTES: &'static str = "resolution_notes";
    /// The problem an incident awaits.
    pub const PROBLEM: &'static str = "problem";
    /// The change an incident awaits.
    pub const CHANGE_REQUEST: &'static str = "change_request";
    /// How the change ended.
    pub const CLOSE_CODE: &'static str = "close_code";
    /// Notes on how the change ended.
    pub const CLOSE_NOTES: &'static str = "close_notes";
    /// The planned start of a change.
    pub const PLANNED_START: &'static str = "planned_start";
    /// The planned end of a change.
    pub const PLANNED_END: &'static str = "planned_end";
    /// When a change's implementation started.
    pub const ACTUAL_START: &'static str = "actual_start";
    /// When a change's implementation ended.
    pub const ACTUAL_END: &'static str = "actual_end";
    /// When a known error's permanent fix was in place.
    pub const FIXED_AT: &'static str = "fixed_at";
    /// When a knowledge article was published.
    pub const PUBLISHED_AT: &'static str = "published_at";
    /// When a knowledge article was retired.
    pub const RETIRED_AT: &'static str = "retired_at";
    /// When work on a task started.
    pub const STARTED_AT: &'static str = "started_at";
    /// The person an asset is provided to.
    pub const ASSIGNED_TO: &'static str = "assigned_to";
}

/// A plain [`GuardContext`]: sets of known guards, passing guards and filled
/// fields, and the reason given. Serialisable, so a test or a tool can keep
/// the facts of a case in JSON.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
pub struct PlainContext {
    /// The guards this context can evaluate.
    #[serde(default)]
    pub known_guards: BTreeSet<String>,
    /// The guards that pass; a guard not listed fails.
    #[serde(default)]
    pub passing_guards: BTreeSet<String>,
    /// The fields that have a value.
    #[serde(default)]
    pub fields: BTreeSet<String>,
    /// The reason given with the event.
    #[serde(default)]
    pub reason: Option<String>,
    /// The visibilities of the comments given with the event.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub comments: BTreeSet<CommentVisibility>,
}

impl PlainContext {
    /// A context that knows the given guards, none passing, no fields.
    #[must_use]
    pub fn knowing<I, G>(guards: I) -> Self
    where
        I: IntoIterator<Item = G>,
        G: Into<String>,
    {
        Self {
            known_guards: guards.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }

    /// A context that knows every guard of the default ITIL flows ([`Guard::ITIL`]).
    #[must_use]
    pub fn itil() -> Self {
        Self::knowing(Guard::ITIL.iter().copied())
    }

    /// These facts with a comment of `visibility` given with the event.
    #[must_use]
    pub fn with_comment(mut self, visibility: CommentVisibility) -> Self {
        self.comments.insert(visibility);
        self
    }

    /// These facts with `guard` known and passing.
    #[must_use]
    pub fn passing(mut self, guard: impl Into<String>) -> Self {
        let guard = guard.into();
        self.known_guards.insert(guard.clone());
        self.passing_guards.insert(guard);
        self
    }

    /// These facts with `field` filled in.
    #[must_use]
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.fields.insert(field.into());
        self
    }

    /// These facts with `reason` given.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The facts of an incident for the default incident flow: its filled
    /// fields, and [`Guard::AWAITING_CALLER`] when it is on hold awaiting the caller.
    #[must_use]
    pub fn for_incident(incident: &Incident) -> Self {
        let mut facts = Self::itil();
        let filled = [
            (Field::RESOLUTION_CODE, incident.resolution_code.is_some()),
            (
                Field::RESOLUTION_NOTES,
                incident
                    .resolution_notes
                    .as_deref()
                    .is_some_and(|n| !n.trim().is_empty()),
            ),
            (Field::ON_HOLD_REASON, incident.on_hold_reason.is_some()),
            (Field::RESOLVED_AT, incident.resolved_at.is_some()),
            (Field::CLOSED_AT, incident.closed_at.is_some()),
            (Field::PROBLEM, incident.problem.is_some()),
            (Field::CHANGE_REQUEST, incident.change_request.is_some()),
        ];
        facts.fields.extend(
            filled
                .iter()
                .filter(|(_, f)| *f)
                .map(|(n, _)| (*n).to_owned()),
        );
        if incident.on_hold_reason == Some(OnHoldReason::AwaitingCaller) {
            facts
                .passing_guards
                .insert(Guard::AWAITING_CALLER.to_owned());
        }
        facts
    }

    /// The facts of a change for the default change flows: its filled fields,
    /// and [`Guard::APPROVED`] or [`Guard::REJECTED`] as `policy` decides over
    /// its approvals.
    #[must_use]
    pub fn for_change(change: &Change, policy: &ApprovalPolicy) -> Self {
        let mut facts = Self::itil();
        let filled = [
            (Field::CLOSE_CODE, change.close_code.is_some()),
            (
                Field::CLOSE_NOTES,
                change
                    .close_notes
                    .as_deref()
                    .is_some_and(|n| !n.trim().is_empty()),
            ),
            (Field::PLANNED_START, change.planned_start.is_some()),
            (Field::PLANNED_END, change.planned_end.is_some()),
        ];
        facts.fields.extend(
            filled
                .iter()
                .filter(|(_, f)| *f)
                .map(|(n, _)| (*n).to_owned()),
        );
        facts.approvals(&change.approvals, policy);
        facts
    }

    /// The facts of a knowledge article for the default knowledge flow:
    /// [`Guard::APPROVED`] or [`Guard::REJECTED`] as `policy` decides over
    /// its approvals (publishing needs the first).
    #[must_use]
    pub fn for_knowledge_article(article: &KnowledgeArticle, policy: &ApprovalPolicy) -> Self {
        let mut facts = Self::itil();
        facts.approvals(&article.approvals, policy);
        facts
    }

    /// Adds [`Guard::APPROVED`] or [`Guard::REJECTED`] as `policy` decides
    /// over `approvals`.
    fn approvals(&mut self, approvals: &[Approval], policy: &ApprovalPolicy) {
        match policy.outcome(approvals) {
            ApprovalOutcome::Approved => {
                self.passing_guards.insert(Guard::APPROVED.to_owned());
            }
            ApprovalOutcome::Rejected { .. } => {
                self.passing_guards.insert(Guard::REJECTED.to_owned());
            }
            _ => {}
        }
    }
}

impl GuardContext for PlainContext {
    fn knows_guard(&self, guard: &str) -> bool {
        self.known_guards.contains(guard)
    }

    fn guard_allows(&self, guard: &str) -> bool {
        self.passing_guards.contains(guard)
    }

    fn has_field(&self, field: &str) -> bool {
        self.fields.contains(field)
    }

    fn reason(&self) -> Option<&str> {
        self.reason.as_deref()
    }

    fn has_comment(&self, visibility: CommentVisibility) -> bool {
        self.comments.contains(&visibility)
    }
}

impl<C: GuardContext + ?Sized> GuardContext for &C {
    fn knows_guard(&self, guard: &str) -> bool {
        (**self).knows_guard(guard)
    }

    fn guard_allows(&self, guard: &str) -> bool {
        (**self).guard_allows(guard)
    }

    fn has_field(&self, field: &str) -> bool {
        (**self).has_field(field)
    }

    fn reason(&self) -> Option<&str> {
        (**self).reason()
    }

    fn has_comment(&self, visibility: CommentVisibility) -> bool {
        (**self).has_comment(visibility)
    }
}
