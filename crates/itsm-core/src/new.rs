//! Constructors of the records that had none: the required fields in, the
//! rest at the values a new record has (its initial state, nothing
//! assigned, no approvals, no custom fields).
//!
//! Derived fields are filled as the engines would first compute them; the
//! desk and the typed lifecycles derive them again when they open the
//! record (an incident's or a problem's priority from the configured
//! matrix, a change's approval summary from its approvals and policy).

use chrono::{DateTime, Utc};

use crate::{
    Approval, ApprovalDecision, ApprovalStatus, CatalogItemId, Change, ChangeId, ChangeRisk,
    ChangeState, ChangeType, Group, GroupId, Impact, KnowledgeArticle, KnowledgeArticleId,
    KnowledgeState, KnownError, KnownErrorId, KnownErrorState, Person, PersonId, Priority, Problem,
    ProblemId, ProblemState, RecordNumber, Release, ReleaseId, ReleaseState, ReleaseType, Role,
    RoleId, ServiceRequest, ServiceRequestId, ServiceRequestState, Task, TaskId, TaskParent,
    TaskState, Urgency,
};

impl Problem {
    /// A new problem in state `new`: impact and urgency low, priority P5,
    /// not yet a known error, nothing assigned.
    #[must_use]
    pub fn new(
        id: ProblemId,
        number: RecordNumber,
        short_description: impl Into<String>,
        opened_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            short_description: short_description.into(),
            description: None,
            category: None,
            service: None,
            configuration_items: Vec::new(),
            impact: Impact::Low,
            urgency: Urgency::Low,
            priority: Priority::P5,
            state: ProblemState::New,
            assignment_group: None,
            assigned_to: None,
            opened_at,
            opened_by: None,
            root_cause: None,
            workaround: None,
            known_error: false,
            known_error_record: None,
            resolution_code: None,
            duplicate_of: None,
            fix_notes: None,
            resolved_at: None,
            resolved_by: None,
            closed_at: None,
            related_incidents: Vec::new(),
            related_changes: Vec::new(),
            extensions: crate::Extensions::new(),
        }
    }
}

impl KnownError {
    /// A known error of `problem`, open, with its root cause and workaround.
    #[must_use]
    pub fn new(
        id: KnownErrorId,
        number: RecordNumber,
        problem: ProblemId,
        title: impl Into<String>,
        root_cause: impl Into<String>,
        workaround: impl Into<String>,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            problem,
            title: title.into(),
            symptoms: None,
            root_cause: root_cause.into(),
            workaround: workaround.into(),
            knowledge_article: None,
            configuration_items: Vec::new(),
            state: KnownErrorState::Open,
            created_at,
            fixed_at: None,
            extensions: crate::Extensions::new(),
        }
    }
}

impl Change {
    /// A new change of `change_type` in state `new`: risk moderate, impact
    /// low, no approvals asked (`approval` not requested), nothing planned.
    #[must_use]
    pub fn new(
        id: ChangeId,
        number: RecordNumber,
        change_type: ChangeType,
        requested_by: PersonId,
        short_description: impl Into<String>,
        opened_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            change_type,
            short_description: short_description.into(),
            description: None,
            justification: None,
            category: None,
            service: None,
            configuration_items: Vec::new(),
            risk: ChangeRisk::Moderate,
            impact: Impact::Low,
            priority: None,
            state: ChangeState::New,
            requested_by,
            assignment_group: None,
            assigned_to: None,
            opened_at,
            planned_start: None,
            planned_end: None,
            actual_start: None,
            actual_end: None,
            implementation_plan: None,
            backout_plan: None,
            test_plan: None,
            approval: ApprovalStatus::NotRequested,
            approvals: Vec::new(),
            close_code: None,
            close_notes: None,
            closed_at: None,
            related_problems: Vec::new(),
            related_incidents: Vec::new(),
            release: None,
            template: None,
            service_request: None,
            request_item: None,
            extensions: crate::Extensions::new(),
        }
    }
}

impl Release {
    /// A new release of `release_type`, in planning, with no changes yet.
    #[must_use]
    pub fn new(
        id: ReleaseId,
        number: RecordNumber,
        release_type: ReleaseType,
        short_description: impl Into<String>,
        opened_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            short_description: short_description.into(),
            description: None,
            release_type,
            version: None,
            state: ReleaseState::Planning,
            manager: None,
            service: None,
            configuration_items: Vec::new(),
            changes: Vec::new(),
            opened_at,
            planned_start: None,
            planned_end: None,
            actual_start: None,
            actual_end: None,
            closed_at: None,
            extensions: crate::Extensions::new(),
        }
    }
}

impl ServiceRequest {
    /// A request for one `catalog_item`, submitted by `requested_by` for
    /// themselves (set `requested_for` for someone else), no approvals asked.
    #[must_use]
    pub fn new(
        id: ServiceRequestId,
        number: RecordNumber,
        catalog_item: CatalogItemId,
        requested_by: PersonId,
        short_description: impl Into<String>,
        opened_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            catalog_item,
            short_description: short_description.into(),
            quantity: 1,
            requested_by,
            requested_for: requested_by,
            channel: None,
            state: ServiceRequestState::Submitted,
            approval: ApprovalStatus::NotRequested,
            approvals: Vec::new(),
            priority: None,
            assignment_group: None,
            assigned_to: None,
            opened_at,
            due_at: None,
            closed_at: None,
            items: Vec::new(),
            changes: Vec::new(),
            extensions: crate::Extensions::new(),
        }
    }
}

impl Task {
    /// A task of `parent` in state `pending` (the task flow's initial
    /// state: the `ready` event opens it), first in order, nothing
    /// assigned, no dates but its opening.
    #[must_use]
    pub fn new(
        id: TaskId,
        number: RecordNumber,
        parent: TaskParent,
        short_description: impl Into<String>,
        opened_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            parent,
            short_description: short_description.into(),
            description: None,
            state: TaskState::Pending,
            order: 0,
            assignment_group: None,
            assigned_to: None,
            opened_at,
            started_at: None,
            due_at: None,
            planned_start: None,
            planned_end: None,
            closed_at: None,
            closed_by: None,
            close_notes: None,
            template: None,
            extensions: crate::Extensions::new(),
        }
    }
}

impl KnowledgeArticle {
    /// A draft article by `author` in `knowledge_base`.
    #[must_use]
    pub fn new(
        id: KnowledgeArticleId,
        number: RecordNumber,
        knowledge_base: impl Into<String>,
        title: impl Into<String>,
        body: impl Into<String>,
        author: PersonId,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number,
            title: title.into(),
            body: body.into(),
            knowledge_base: knowledge_base.into(),
            category: None,
            keywords: Vec::new(),
            state: KnowledgeState::Draft,
            author,
            created_at,
            updated_at: None,
            published_at: None,
            valid_to: None,
            retired_at: None,
            known_error: None,
            version: 1,
            supersedes: None,
            approval: ApprovalStatus::NotRequested,
            approvals: Vec::new(),
            extensions: crate::Extensions::new(),
        }
    }

    /// A draft article by `author` in `knowledge_base` that publishes the
    /// workaround of `known_error`: its title, and a body with its symptoms
    /// (when recorded), root cause and workaround; linked to it by
    /// `known_error`. Set the known error's `knowledge_article` to `id` to
    /// link it back.
    #[must_use]
    pub fn from_workaround(
        known_error: &KnownError,
        id: KnowledgeArticleId,
        number: RecordNumber,
        knowledge_base: impl Into<String>,
        author: PersonId,
        created_at: DateTime<Utc>,
    ) -> Self {
        let mut body = String::new();
        if let Some(symptoms) = known_error.symptoms.as_deref() {
            body.push_str(&format!("## Symptoms\n{symptoms}\n\n"));
        }
        body.push_str(&format!(
            "## Cause\n{}\n\n## Workaround\n{}\n",
            known_error.root_cause, known_error.workaround
        ));
        let mut article = Self::new(
            id,
            number,
            knowledge_base,
            known_error.title.clone(),
            body,
            author,
            created_at,
        );
        article.known_error = Some(known_error.id);
        article
    }

    /// The next version of this article, `id`, by `author` at `created_at`:
    /// a draft with the same number, text, knowledge base, category,
    /// keywords, known error and custom fields, one version higher, which
    /// supersedes this one. Nothing of this version's review travels:
    /// no approvals, no publication or retirement instants.
    #[must_use]
    pub fn revise(
        &self,
        id: KnowledgeArticleId,
        author: PersonId,
        created_at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            number: self.number,
            title: self.title.clone(),
            body: self.body.clone(),
            knowledge_base: self.knowledge_base.clone(),
            category: self.category.clone(),
            keywords: self.keywords.clone(),
            state: KnowledgeState::Draft,
            author,
            created_at,
            updated_at: None,
            published_at: None,
            valid_to: None,
            retired_at: None,
            known_error: self.known_error,
            version: self.version.saturating_add(1),
            supersedes: Some(self.id),
            approval: ApprovalStatus::NotRequested,
            approvals: Vec::new(),
            extensions: self.extensions.clone(),
        }
    }
}

impl Approval {
    /// `approver` asked at `at` (on behalf of `group`, if any), not yet answered.
    #[must_use]
    pub fn requested(approver: PersonId, group: Option<GroupId>, at: DateTime<Utc>) -> Self {
        Self {
            approver,
            group,
            decision: ApprovalDecision::Requested,
            requested_at: Some(at),
            decided_at: None,
            comment: None,
        }
    }
}

impl Person {
    /// An active person named `name`, in no group, with no role, manager,
    /// login, e-mail or time zone.
    #[must_use]
    pub fn new(id: PersonId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            user_name: None,
            email: None,
            active: true,
            time_zone: None,
            manager: None,
            groups: Vec::new(),
            roles: Vec::new(),
            extensions: crate::Extensions::new(),
        }
    }
}

impl Group {
    /// An active group named `name`, with no member, manager, parent or
    /// role.
    #[must_use]
    pub fn new(id: GroupId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            description: None,
            email: None,
            active: true,
            manager: None,
            parent: None,
            members: Vec::new(),
            roles: Vec::new(),
            extensions: crate::Extensions::new(),
        }
    }
}

impl Role {
    /// A role named `name` that grants no permission yet.
    #[must_use]
    pub fn new(id: RoleId, name: impl Into<String>) -> Self {
        Self {
            id,
            name: name.into(),
            description: None,
            permissions: Vec::new(),
            extensions: crate::Extensions::new(),
        }
    }
}
