//! [`Problem`], [`KnownError`] and [`KnowledgeArticle`].

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    Approval, ApprovalStatus, ChangeId, CiId, Extensions, GroupId, Impact, IncidentId,
    KnowledgeArticleId, KnowledgeState, KnownErrorId, KnownErrorState, PersonId, Priority,
    ProblemId, ProblemResolutionCode, ProblemState, RecordNumber, ServiceId, Urgency,
};

/// A problem: the cause, or potential cause, of one or more incidents (ITIL 4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions and completed by the trait
// impls below, which compute the derived field when the input leaves it out.
#[serde(remote = "Self")]
#[schemars(rename = "Problem")]
pub struct Problem {
    /// The problem's id.
    pub id: ProblemId,
    /// Its human-readable number (`PRB…`).
    pub number: RecordNumber,
    /// One line a person reads in a list.
    pub short_description: String,
    /// The full description.
    #[serde(default)]
    pub description: Option<String>,
    /// The category.
    #[serde(default)]
    pub category: Option<String>,
    /// The affected service.
    #[serde(default)]
    pub service: Option<ServiceId>,
    /// The affected configuration items.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// How widely it affects the business.
    pub impact: Impact,
    /// How quickly it must be addressed.
    pub urgency: Urgency,
    /// The priority. Derived when absent on input: from `impact` and
    /// `urgency` by the ServiceNow 3×3 matrix.
    #[schemars(default = "crate::derived::absent_priority", transform = crate::derived::no_default)]
    pub priority: Priority,
    /// The state.
    pub state: ProblemState,
    /// The group responsible for it.
    #[serde(default)]
    pub assignment_group: Option<GroupId>,
    /// The problem coordinator working on it.
    #[serde(default)]
    pub assigned_to: Option<PersonId>,
    /// When it was opened.
    pub opened_at: DateTime<Utc>,
    /// Who opened it.
    #[serde(default)]
    pub opened_by: Option<PersonId>,
    /// The root cause, once found.
    #[serde(default)]
    pub root_cause: Option<String>,
    /// A workaround that restores service while the cause remains.
    #[serde(default)]
    pub workaround: Option<String>,
    /// Whether the problem is a known error (root cause and workaround documented).
    #[serde(default)]
    pub known_error: bool,
    /// The known-error record, once one is published.
    #[serde(default)]
    pub known_error_record: Option<KnownErrorId>,
    /// How it was resolved; required once resolved.
    #[serde(default)]
    pub resolution_code: Option<ProblemResolutionCode>,
    /// The problem this one duplicates; required when the resolution code is `duplicate`.
    #[serde(default)]
    pub duplicate_of: Option<ProblemId>,
    /// What was done to fix it.
    #[serde(default)]
    pub fix_notes: Option<String>,
    /// When it was resolved.
    #[serde(default)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// Who resolved it.
    #[serde(default)]
    pub resolved_by: Option<PersonId>,
    /// When it was closed.
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
    /// The incidents it causes.
    #[serde(default)]
    pub related_incidents: Vec<IncidentId>,
    /// The changes that fix it, or that caused it.
    #[serde(default)]
    pub related_changes: Vec<ChangeId>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A known error: a problem that has been analysed, with a documented root
/// cause and workaround (ITIL 4), kept as a record of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "KnownError")]
pub struct KnownError {
    /// The known error's id.
    pub id: KnownErrorId,
    /// Its human-readable number (`KE…`).
    pub number: RecordNumber,
    /// The problem it documents.
    pub problem: ProblemId,
    /// A title that a person searching for the symptom would recognise.
    pub title: String,
    /// The symptoms, as callers describe them.
    #[serde(default)]
    pub symptoms: Option<String>,
    /// The root cause.
    pub root_cause: String,
    /// The workaround.
    pub workaround: String,
    /// The knowledge article that publishes it.
    #[serde(default)]
    pub knowledge_article: Option<KnowledgeArticleId>,
    /// The affected configuration items.
    #[serde(default)]
    pub configuration_items: Vec<CiId>,
    /// The state.
    pub state: KnownErrorState,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
    /// When the permanent fix was in place.
    #[serde(default)]
    pub fixed_at: Option<DateTime<Utc>>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// A knowledge article: know-how written down for agents or users.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
// The derives are kept as inherent functions, completed by the trait impls
// below: unknown top-level keys go to `extensions`.
#[serde(remote = "Self")]
#[schemars(rename = "KnowledgeArticle")]
pub struct KnowledgeArticle {
    /// The article's id.
    pub id: KnowledgeArticleId,
    /// Its human-readable number (`KB…`).
    pub number: RecordNumber,
    /// The title.
    pub title: String,
    /// The text (Markdown or HTML, as the knowledge base keeps it).
    pub body: String,
    /// The knowledge base it belongs to (`IT`, `HR`, …).
    pub knowledge_base: String,
    /// The category within the knowledge base.
    #[serde(default)]
    pub category: Option<String>,
    /// Search keywords.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The state.
    pub state: KnowledgeState,
    /// The author.
    pub author: PersonId,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last updated.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// When it was published.
    #[serde(default)]
    pub published_at: Option<DateTime<Utc>>,
    /// When it stops being valid.
    #[serde(default)]
    pub valid_to: Option<DateTime<Utc>>,
    /// When it was retired.
    #[serde(default)]
    pub retired_at: Option<DateTime<Utc>>,
    /// The known error it publishes, if any.
    #[serde(default)]
    pub known_error: Option<KnownErrorId>,
    /// The version within the article's lineage, from 1 (the default when
    /// absent on input); [`revise`](KnowledgeArticle::revise) makes the next.
    #[serde(default = "first_version")]
    pub version: u32,
    /// The article version this one replaces, if any: publishing this one
    /// retires that one.
    #[serde(default)]
    pub supersedes: Option<KnowledgeArticleId>,
    /// The overall approval status of publishing. Derived when absent on
    /// input: from `approvals`, by [`approval_from_approvals`](crate::approval_from_approvals).
    #[schemars(default = "crate::derived::absent_approval", transform = crate::derived::no_default)]
    pub approval: ApprovalStatus,
    /// Each approver's decision on publishing.
    #[serde(default)]
    pub approvals: Vec<Approval>,
    /// Custom fields, round-tripped untouched.
    #[serde(default, deserialize_with = "crate::unique_fields")]
    pub extensions: Extensions,
}

/// The version of an article read without one.
const fn first_version() -> u32 {
    1
}

crate::derived::derived_fields!(Problem, [("priority", "p5")], |problem, given| {
    if !given[0] {
        problem.priority = crate::derived::derived_priority(problem.impact, problem.urgency)?;
    }
});

crate::derived::derived_fields!(KnownError, [], |_record, _given| {});

crate::derived::derived_fields!(
    KnowledgeArticle,
    [("approval", "not_requested")],
    |article, given| {
        if !given[0] {
            article.approval = crate::approval_from_approvals(&article.approvals);
        }
    }
);
