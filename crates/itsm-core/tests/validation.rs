//! Every rule of every record, one table: a record, and the exact set of
//! `(path, rule)` pairs its `validate()` must report.

mod common;

#[path = "support/violations.rs"]
mod violations;
use violations::check;

use common::*;
use itsm_core::*;

/// A copy of `base` changed by `f`.
fn with<T>(mut base: T, f: impl FnOnce(&mut T)) -> T {
    f(&mut base);
    base
}

fn open_incident() -> Incident {
    with(valid_incident(), |i| {
        i.state = IncidentState::InProgress;
        i.resolved_at = None;
        i.resolved_by = None;
        i.closed_at = None;
        i.resolution_code = None;
        i.resolution_notes = None;
    })
}

/// A case: its name, what `validate()` returned, and the expected `(path, rule)` pairs.
type Case = (
    &'static str,
    Vec<Violation>,
    &'static [(&'static str, &'static str)],
);

#[test]
fn validation_rules() {
    use IncidentState as IS;
    let cases: Vec<Case> = vec![
        // Incident.
        ("valid closed incident", valid_incident().validate(), &[]),
        ("valid open incident", open_incident().validate(), &[]),
        (
            "incident blank short description",
            with(valid_incident(), |i| i.short_description = " \t".into()).validate(),
            &[("short_description", "empty")],
        ),
        (
            "incident numbered as a problem",
            with(valid_incident(), |i| i.number = num("PRB0001234")).validate(),
            &[("number", "wrong_number_prefix")],
        ),
        (
            "on hold without reason",
            with(open_incident(), |i| i.state = IS::OnHold).validate(),
            &[("on_hold_reason", "required_when_on_hold")],
        ),
        (
            "on hold reason while in progress",
            with(open_incident(), |i| {
                i.on_hold_reason = Some(OnHoldReason::AwaitingCaller)
            })
            .validate(),
            &[("on_hold_reason", "not_allowed_in_state")],
        ),
        (
            "on hold awaiting caller",
            with(open_incident(), |i| {
                i.state = IS::OnHold;
                i.on_hold_reason = Some(OnHoldReason::AwaitingCaller)
            })
            .validate(),
            &[],
        ),
        (
            "awaiting problem without problem",
            with(open_incident(), |i| {
                i.state = IS::OnHold;
                i.on_hold_reason = Some(OnHoldReason::AwaitingProblem)
            })
            .validate(),
            &[("problem", "required_when_on_hold")],
        ),
        (
            "awaiting change without change request",
            with(open_incident(), |i| {
                i.state = IS::OnHold;
                i.on_hold_reason = Some(OnHoldReason::AwaitingChange)
            })
            .validate(),
            &[("change_request", "required_when_on_hold")],
        ),
        (
            "resolved without resolution code or notes",
            with(valid_incident(), |i| {
                i.state = IS::Resolved;
                i.closed_at = None;
                i.resolution_code = None;
                i.resolution_notes = None
            })
            .validate(),
            &[
                ("resolution_code", "required_when_resolved"),
                ("resolution_notes", "required_when_resolved"),
            ],
        ),
        (
            "closed with blank resolution notes",
            with(valid_incident(), |i| i.resolution_notes = Some("  ".into())).validate(),
            &[("resolution_notes", "required_when_resolved")],
        ),
        (
            "resolved without resolved_at",
            with(valid_incident(), |i| {
                i.state = IS::Resolved;
                i.closed_at = None;
                i.resolved_at = None;
                i.resolved_by = None
            })
            .validate(),
            &[("resolved_at", "required_when_resolved")],
        ),
        (
            "closed without closed_at",
            with(valid_incident(), |i| i.closed_at = None).validate(),
            &[("closed_at", "required_when_closed")],
        ),
        (
            "closed before opened and resolved",
            with(valid_incident(), |i| i.closed_at = Some(at(8, 0))).validate(),
            &[
                ("closed_at", "before_opened_at"),
                ("closed_at", "before_resolved_at"),
            ],
        ),
        (
            "resolved before opened and before reopen",
            with(valid_incident(), |i| i.resolved_at = Some(at(8, 0))).validate(),
            &[
                ("resolved_at", "before_opened_at"),
                ("resolved_at", "before_last_reopened_at"),
            ],
        ),
        (
            "closed_at on an open incident",
            with(open_incident(), |i| i.closed_at = Some(at(12, 0))).validate(),
            &[("closed_at", "not_allowed_in_state")],
        ),
        (
            "closed_at on a resolved incident",
            with(valid_incident(), |i| i.state = IS::Resolved).validate(),
            &[("closed_at", "not_allowed_in_state")],
        ),
        (
            "resolved_at on a new incident",
            with(open_incident(), |i| {
                i.state = IS::New;
                i.resolved_at = Some(at(11, 0))
            })
            .validate(),
            &[("resolved_at", "not_allowed_in_state")],
        ),
        (
            "reopened at but count 0",
            with(valid_incident(), |i| i.reopen_count = 0).validate(),
            &[("last_reopened_at", "not_reopened")],
        ),
        (
            "reopen count without date",
            with(valid_incident(), |i| {
                i.reopen_count = 2;
                i.last_reopened_at = None;
                i.last_reopened_by = None
            })
            .validate(),
            &[("last_reopened_at", "required_when_reopened")],
        ),
        (
            "reopened by without date",
            with(valid_incident(), |i| {
                i.reopen_count = 0;
                i.last_reopened_at = None
            })
            .validate(),
            &[("last_reopened_by", "without_timestamp")],
        ),
        (
            "reopened before opened",
            with(valid_incident(), |i| i.last_reopened_at = Some(at(8, 0))).validate(),
            &[("last_reopened_at", "before_opened_at")],
        ),
        (
            "resolved by without resolved at",
            with(open_incident(), |i| {
                i.resolved_by = Some(PersonId::from_u128(3))
            })
            .validate(),
            &[("resolved_by", "without_timestamp")],
        ),
        (
            "closed by without closed at",
            with(open_incident(), |i| {
                i.closed_by = Some(PersonId::from_u128(3))
            })
            .validate(),
            &[("closed_by", "without_timestamp")],
        ),
        (
            "own parent",
            with(valid_incident(), |i| i.parent_incident = Some(i.id)).validate(),
            &[("parent_incident", "self_reference")],
        ),
        (
            "major incident accepted while canceled",
            with(open_incident(), |i| {
                i.state = IS::Canceled;
                i.major_incident_state = Some(MajorIncidentState::Accepted)
            })
            .validate(),
            &[("major_incident_state", "inconsistent_with_state")],
        ),
        (
            "major incident proposed while canceled",
            with(open_incident(), |i| {
                i.state = IS::Canceled;
                i.major_incident_state = Some(MajorIncidentState::Proposed)
            })
            .validate(),
            &[("major_incident_state", "inconsistent_with_state")],
        ),
        (
            "major incident canceled while in progress",
            with(open_incident(), |i| {
                i.major_incident_state = Some(MajorIncidentState::Canceled)
            })
            .validate(),
            &[("major_incident_state", "inconsistent_with_state")],
        ),
        (
            "major incident rejected while canceled",
            with(open_incident(), |i| {
                i.state = IS::Canceled;
                i.major_incident_state = Some(MajorIncidentState::Rejected)
            })
            .validate(),
            &[],
        ),
        (
            "duplicate without parent",
            with(valid_incident(), |i| {
                i.resolution_code = Some(IncidentResolutionCode::Duplicate);
                i.parent_incident = None
            })
            .validate(),
            &[("parent_incident", "required_when_duplicate")],
        ),
        (
            "incident lists a CI twice",
            with(valid_incident(), |i| {
                i.configuration_items.push(CiId::from_u128(30))
            })
            .validate(),
            &[("configuration_items[2]", "duplicate_entry")],
        ),
        (
            "incident breaking everything at once",
            with(valid_incident(), |i| {
                i.short_description.clear();
                i.on_hold_reason = Some(OnHoldReason::AwaitingVendor);
                i.closed_at = None;
                i.parent_incident = Some(i.id)
            })
            .validate(),
            &[
                ("short_description", "empty"),
                ("on_hold_reason", "not_allowed_in_state"),
                ("closed_at", "required_when_closed"),
                ("parent_incident", "self_reference"),
            ],
        ),
        (
            "long CI list with repeats",
            with(valid_incident(), |i| {
                i.configuration_items = (0..20).map(CiId::from_u128).collect();
                i.configuration_items[17] = CiId::from_u128(3);
                i.configuration_items[19] = CiId::from_u128(3);
            })
            .validate(),
            &[
                ("configuration_items[17]", "duplicate_entry"),
                ("configuration_items[19]", "duplicate_entry"),
            ],
        ),
        // Problem.
        ("valid problem", valid_problem().validate(), &[]),
        (
            "duplicate without duplicate_of",
            with(valid_problem(), |p| {
                p.resolution_code = Some(ProblemResolutionCode::Duplicate)
            })
            .validate(),
            &[("duplicate_of", "required_when_duplicate")],
        ),
        (
            "duplicate of itself",
            with(valid_problem(), |p| {
                p.resolution_code = Some(ProblemResolutionCode::Duplicate);
                p.duplicate_of = Some(p.id)
            })
            .validate(),
            &[("duplicate_of", "self_reference")],
        ),
        (
            "duplicate of another",
            with(valid_problem(), |p| {
                p.resolution_code = Some(ProblemResolutionCode::Duplicate);
                p.duplicate_of = Some(ProblemId::from_u128(9))
            })
            .validate(),
            &[],
        ),
        (
            "duplicate_of without duplicate code",
            with(valid_problem(), |p| {
                p.duplicate_of = Some(ProblemId::from_u128(9))
            })
            .validate(),
            &[("duplicate_of", "not_allowed_unless_duplicate")],
        ),
        (
            "known error without root cause or workaround",
            with(valid_problem(), |p| {
                p.resolution_code = Some(ProblemResolutionCode::RiskAccepted);
                p.root_cause = None;
                p.workaround = Some(String::new())
            })
            .validate(),
            &[
                ("root_cause", "required_when_known_error"),
                ("workaround", "required_when_known_error"),
            ],
        ),
        (
            "known error record without flag",
            with(valid_problem(), |p| p.known_error = false).validate(),
            &[("known_error_record", "not_allowed_unless_known_error")],
        ),
        (
            "fix applied without notes",
            with(valid_problem(), |p| p.fix_notes = None).validate(),
            &[("fix_notes", "required_when_fix_applied")],
        ),
        (
            "resolved problem without code",
            with(valid_problem(), |p| p.resolution_code = None).validate(),
            &[("resolution_code", "required_when_resolved")],
        ),
        (
            "resolved problem without time",
            with(valid_problem(), |p| p.resolved_at = None).validate(),
            &[
                ("resolved_at", "required_when_resolved"),
                ("resolved_by", "without_timestamp"),
            ],
        ),
        (
            "closed problem without closed_at",
            with(valid_problem(), |p| p.state = ProblemState::Closed).validate(),
            &[("closed_at", "required_when_closed")],
        ),
        (
            "problem closed before resolved",
            with(valid_problem(), |p| {
                p.state = ProblemState::Closed;
                p.closed_at = Some(at(14, 0))
            })
            .validate(),
            &[("closed_at", "before_resolved_at")],
        ),
        (
            "fix in progress without root cause",
            with(valid_problem(), |p| {
                p.state = ProblemState::FixInProgress;
                p.known_error = false;
                p.known_error_record = None;
                p.root_cause = None;
                p.resolution_code = None;
                p.resolved_at = None;
                p.resolved_by = None
            })
            .validate(),
            &[("root_cause", "required_in_state")],
        ),
        (
            "assessed problem with resolution",
            with(valid_problem(), |p| {
                p.state = ProblemState::Assess;
                p.resolved_by = None
            })
            .validate(),
            &[
                ("resolution_code", "not_allowed_in_state"),
                ("resolved_at", "not_allowed_in_state"),
            ],
        ),
        (
            "problem lists an incident twice",
            with(valid_problem(), |p| {
                p.related_incidents.push(IncidentId::from_u128(1))
            })
            .validate(),
            &[("related_incidents[1]", "duplicate_entry")],
        ),
        // Known error.
        ("valid known error", valid_known_error().validate(), &[]),
        (
            "known error blank texts",
            with(valid_known_error(), |k| {
                k.title.clear();
                k.root_cause = " ".into();
                k.workaround.clear()
            })
            .validate(),
            &[
                ("title", "empty"),
                ("root_cause", "empty"),
                ("workaround", "empty"),
            ],
        ),
        (
            "known error fixed without time",
            with(valid_known_error(), |k| k.fixed_at = None).validate(),
            &[("fixed_at", "required_in_state")],
        ),
        (
            "open known error with fixed time",
            with(valid_known_error(), |k| k.state = KnownErrorState::Open).validate(),
            &[("fixed_at", "not_allowed_in_state")],
        ),
        (
            "known error fixed before created",
            with(valid_known_error(), |k| k.fixed_at = Some(at(11, 0))).validate(),
            &[("fixed_at", "before_created_at")],
        ),
        (
            "known error with KB number",
            with(valid_known_error(), |k| k.number = num("KB0000001")).validate(),
            &[("number", "wrong_number_prefix")],
        ),
        // Knowledge article.
        ("valid article", valid_knowledge_article().validate(), &[]),
        (
            "published without time",
            with(valid_knowledge_article(), |a| a.published_at = None).validate(),
            &[("published_at", "required_when_published")],
        ),
        (
            "retired without time",
            with(valid_knowledge_article(), |a| {
                a.state = KnowledgeState::Retired
            })
            .validate(),
            &[("retired_at", "required_when_retired")],
        ),
        (
            "draft with retired time",
            with(valid_knowledge_article(), |a| {
                a.state = KnowledgeState::Draft;
                a.retired_at = Some(at(14, 0))
            })
            .validate(),
            &[("retired_at", "not_allowed_in_state")],
        ),
        (
            "valid to before published",
            with(valid_knowledge_article(), |a| a.valid_to = Some(at(12, 30))).validate(),
            &[("valid_to", "before_published_at")],
        ),
        (
            "updated before created",
            with(valid_knowledge_article(), |a| {
                a.updated_at = Some(at(11, 0))
            })
            .validate(),
            &[("updated_at", "before_created_at")],
        ),
        (
            "blank and repeated keywords",
            with(valid_knowledge_article(), |a| {
                a.keywords = vec!["payroll".into(), " ".into(), "payroll".into()]
            })
            .validate(),
            &[("keywords[1]", "empty"), ("keywords[2]", "duplicate_entry")],
        ),
        (
            "empty body",
            with(valid_knowledge_article(), |a| a.body.clear()).validate(),
            &[("body", "empty")],
        ),
        (
            "article version zero",
            with(valid_knowledge_article(), |a| a.version = 0).validate(),
            &[("version", "below_one")],
        ),
        (
            "article superseding itself",
            with(valid_knowledge_article(), |a| a.supersedes = Some(a.id)).validate(),
            &[("supersedes", "self_reference")],
        ),
        (
            "article approval inconsistent with its approvals",
            with(valid_knowledge_article(), |a| {
                a.approval = ApprovalStatus::Rejected
            })
            .validate(),
            &[("approval", "inconsistent_with_approvals")],
        ),
        (
            "article approval decided before the article was created",
            with(valid_knowledge_article(), |a| {
                a.approvals[0].requested_at = Some(at(11, 0));
                a.approvals[0].decided_at = Some(at(11, 30))
            })
            .validate(),
            &[
                ("approvals[0].requested_at", "before_opened_at"),
                ("approvals[0].decided_at", "before_opened_at"),
            ],
        ),
        // Change.
        ("valid change", valid_change().validate(), &[]),
        (
            "planned end before start",
            with(valid_change(), |c| c.planned_end = Some(at(17, 0))).validate(),
            &[("planned_end", "end_before_start")],
        ),
        (
            "actual end before start",
            with(valid_change(), |c| c.actual_end = Some(at(18, 0))).validate(),
            &[("actual_end", "end_before_start")],
        ),
        (
            "closed before implementation ended",
            with(valid_change(), |c| c.closed_at = Some(at(18, 30))).validate(),
            &[("closed_at", "before_actual_end")],
        ),
        (
            "implement without window or plans",
            with(valid_change(), |c| {
                c.state = ChangeState::Implement;
                c.actual_end = None;
                c.closed_at = None;
                c.close_code = None;
                c.planned_start = None;
                c.planned_end = None;
                c.implementation_plan = None;
                c.backout_plan = Some(" ".into())
            })
            .validate(),
            &[
                ("planned_start", "required_for_implementation"),
                ("planned_end", "required_for_implementation"),
                ("implementation_plan", "required_for_implementation"),
                ("backout_plan", "required_for_implementation"),
            ],
        ),
        (
            "standard change implemented without plans",
            with(valid_change(), |c| {
                c.change_type = ChangeType::Standard;
                c.state = ChangeState::Implement;
                c.actual_end = None;
                c.closed_at = None;
                c.close_code = None;
                c.implementation_plan = None;
                c.backout_plan = None
            })
            .validate(),
            &[],
        ),
        (
            "scheduled normal change not approved",
            with(valid_change(), |c| {
                c.state = ChangeState::Scheduled;
                c.approval = ApprovalStatus::Requested;
                c.actual_start = None;
                c.actual_end = None;
                c.closed_at = None;
                c.close_code = None
            })
            .validate(),
            &[("approval", "approval_required")],
        ),
        (
            "implementing emergency change not approved",
            with(valid_change(), |c| {
                c.change_type = ChangeType::Emergency;
                c.state = ChangeState::Implement;
                c.approval = ApprovalStatus::Requested;
                c.actual_end = None;
                c.closed_at = None;
                c.close_code = None
            })
            .validate(),
            &[("approval", "approval_required")],
        ),
        (
            "scheduled standard change needs no approval",
            with(valid_change(), |c| {
                c.change_type = ChangeType::Standard;
                c.state = ChangeState::Scheduled;
                c.approval = ApprovalStatus::NotRequested;
                c.approvals.clear();
                c.actual_start = None;
                c.actual_end = None;
                c.closed_at = None;
                c.close_code = None
            })
            .validate(),
            &[],
        ),
        (
            "approved without decision time",
            with(valid_change(), |c| c.approvals[0].decided_at = None).validate(),
            &[("approvals[0].decided_at", "required_when_decided")],
        ),
        (
            "pending approval with decision time",
            with(valid_change(), |c| {
                c.approvals[2].decided_at = Some(at(12, 0))
            })
            .validate(),
            &[("approvals[2].decided_at", "not_allowed_undecided")],
        ),
        (
            "rejected without comment",
            with(valid_change(), |c| c.approvals[1].comment = None).validate(),
            &[("approvals[1].comment", "required_when_rejected")],
        ),
        (
            "decided before asked",
            with(valid_change(), |c| {
                c.approvals[0].decided_at = Some(at(9, 30))
            })
            .validate(),
            &[("approvals[0].decided_at", "before_requested_at")],
        ),
        (
            "asked before the change opened",
            with(valid_change(), |c| {
                c.approvals[2].requested_at = Some(at(8, 0))
            })
            .validate(),
            &[("approvals[2].requested_at", "before_opened_at")],
        ),
        (
            "same approver twice",
            with(valid_change(), |c| {
                let first = c.approvals[0].clone();
                c.approvals.push(first)
            })
            .validate(),
            &[("approvals[3].approver", "duplicate_entry")],
        ),
        (
            "approved with no approving decision",
            with(valid_change(), |c| {
                c.approvals.truncate(1);
                c.approvals[0].decision = ApprovalDecision::Canceled;
                c.approvals[0].decided_at = None
            })
            .validate(),
            &[("approval", "inconsistent_with_approvals")],
        ),
        (
            "closed change without close code or notes",
            with(valid_change(), |c| {
                c.close_code = None;
                c.close_notes = None
            })
            .validate(),
            &[
                ("close_code", "required_when_closed"),
                ("close_notes", "required_when_closed"),
            ],
        ),
        (
            "closed change without closed_at",
            with(valid_change(), |c| c.closed_at = None).validate(),
            &[("closed_at", "required_when_closed")],
        ),
        (
            "new change with implementation and closure",
            with(valid_change(), |c| c.state = ChangeState::New).validate(),
            &[
                ("actual_start", "not_allowed_in_state"),
                ("actual_end", "not_allowed_in_state"),
                ("closed_at", "not_allowed_in_state"),
                ("close_code", "not_allowed_in_state"),
            ],
        ),
        (
            "canceled change keeps its history",
            with(valid_change(), |c| c.state = ChangeState::Canceled).validate(),
            &[],
        ),
        (
            "reviewed change without actual times",
            with(valid_change(), |c| {
                c.state = ChangeState::Review;
                c.closed_at = None;
                c.close_code = None;
                c.actual_start = None;
                c.actual_end = None
            })
            .validate(),
            &[
                ("actual_start", "required_in_state"),
                ("actual_end", "required_in_state"),
            ],
        ),
        // Release.
        ("valid release", valid_release().validate(), &[]),
        (
            "release planned end before start",
            with(valid_release(), |r| r.planned_end = Some(at(17, 0))).validate(),
            &[("planned_end", "end_before_start")],
        ),
        (
            "closed release without closed_at",
            with(valid_release(), |r| r.closed_at = None).validate(),
            &[("closed_at", "required_when_closed")],
        ),
        (
            "release in review without actual times",
            with(valid_release(), |r| {
                r.state = ReleaseState::Review;
                r.closed_at = None;
                r.actual_start = None;
                r.actual_end = None
            })
            .validate(),
            &[
                ("actual_start", "required_in_state"),
                ("actual_end", "required_in_state"),
            ],
        ),
        (
            "release in build with closed_at",
            with(valid_release(), |r| r.state = ReleaseState::Build).validate(),
            &[("closed_at", "not_allowed_in_state")],
        ),
        (
            "release actual end without start",
            with(valid_release(), |r| {
                r.state = ReleaseState::Deploy;
                r.closed_at = None;
                r.actual_start = None
            })
            .validate(),
            &[("actual_start", "without_start")],
        ),
        (
            "release with blank version",
            with(valid_release(), |r| r.version = Some(String::new())).validate(),
            &[("version", "empty")],
        ),
        // Service request.
        ("valid request", valid_service_request().validate(), &[]),
        (
            "quantity zero",
            with(valid_service_request(), |s| s.quantity = 0).validate(),
            &[("quantity", "out_of_range")],
        ),
        (
            "rejected approval while fulfilling",
            with(valid_service_request(), |s| {
                s.approval = ApprovalStatus::Rejected;
                s.approvals[0].decision = ApprovalDecision::Rejected;
                s.approvals[0].comment = Some("No budget".into())
            })
            .validate(),
            &[("state", "inconsistent_with_state")],
        ),
        (
            "rejected request without rejection",
            with(valid_service_request(), |s| {
                s.state = ServiceRequestState::Rejected
            })
            .validate(),
            &[
                ("state", "inconsistent_with_state"),
                ("closed_at", "required_when_closed"),
            ],
        ),
        (
            "awaiting approval but approved",
            with(valid_service_request(), |s| {
                s.state = ServiceRequestState::AwaitingApproval
            })
            .validate(),
            &[("state", "inconsistent_with_state")],
        ),
        (
            "fulfilment before approval",
            with(valid_service_request(), |s| {
                s.approval = ApprovalStatus::Requested;
                s.approvals[0].decision = ApprovalDecision::Requested;
                s.approvals[0].decided_at = None
            })
            .validate(),
            &[("state", "inconsistent_with_state")],
        ),
        (
            "closed before opened",
            with(valid_service_request(), |s| {
                s.state = ServiceRequestState::ClosedComplete;
                s.closed_at = Some(at(8, 0))
            })
            .validate(),
            &[("closed_at", "before_opened_at")],
        ),
        (
            "fulfilment with closed_at",
            with(valid_service_request(), |s| s.closed_at = Some(at(12, 0))).validate(),
            &[("closed_at", "not_allowed_in_state")],
        ),
        (
            "request approval without decision time",
            with(valid_service_request(), |s| {
                s.approvals[0].decided_at = None
            })
            .validate(),
            &[("approvals[0].decided_at", "required_when_decided")],
        ),
        // Service, CI, people.
        ("valid service", valid_service().validate(), &[]),
        (
            "service without name",
            with(valid_service(), |s| s.name.clear()).validate(),
            &[("name", "empty")],
        ),
        ("valid ci", valid_ci().validate(), &[]),
        (
            "ci without class or name",
            with(valid_ci(), |c| {
                c.class.clear();
                c.name = " ".into()
            })
            .validate(),
            &[("class", "empty"), ("name", "empty")],
        ),
        ("valid person", valid_person().validate(), &[]),
        (
            "person with bad email",
            with(valid_person(), |p| {
                p.email = Some("abel.tuter.example.com".into())
            })
            .validate(),
            &[("email", "invalid_email")],
        ),
        (
            "own manager",
            with(valid_person(), |p| p.manager = Some(p.id)).validate(),
            &[("manager", "self_reference")],
        ),
        (
            "person in a group twice",
            with(valid_person(), |p| p.groups.push(GroupId::from_u128(40))).validate(),
            &[("groups[1]", "duplicate_entry")],
        ),
        ("valid group", valid_group().validate(), &[]),
        (
            "own parent group",
            with(valid_group(), |g| g.parent = Some(g.id)).validate(),
            &[("parent", "self_reference")],
        ),
        (
            "group email without domain dot",
            with(valid_group(), |g| g.email = Some("desk@localhost".into())).validate(),
            &[("email", "invalid_email")],
        ),
        (
            "member listed twice",
            with(valid_group(), |g| g.members.push(PersonId::from_u128(10))).validate(),
            &[("members[2]", "duplicate_entry")],
        ),
        ("valid role", valid_role().validate(), &[]),
        (
            "role name with spaces",
            with(valid_role(), |r| r.name = "problem manager".into()).validate(),
            &[("name", "invalid_name")],
        ),
        (
            "role without name",
            with(valid_role(), |r| r.name.clear()).validate(),
            &[("name", "empty")],
        ),
    ];
    for (case, violations, expected) in cases {
        check(case, violations, expected);
    }
}

/// A release and its changes: `Release::check_changes`, one table.
#[test]
fn a_release_holds_only_approved_changes_linked_both_ways() {
    let release = |state: ReleaseState| {
        with(valid_release(), |r| {
            r.state = state;
            r.changes = vec![ChangeId::from_u128(1), ChangeId::from_u128(2)];
        })
    };
    let change = |n: u128, f: &dyn Fn(&mut Change)| {
        with(valid_change(), |c| {
            c.id = ChangeId::from_u128(n);
            c.number = format!("CHG{:07}", 12_340 + n).parse().unwrap();
            c.release = Some(ReleaseId::from_u128(1));
            c.state = ChangeState::Scheduled;
            f(c);
        })
    };
    let approved = |n| change(n, &|_| {});
    let requested = |n| change(n, &|c: &mut Change| c.approval = ApprovalStatus::Requested);
    let standard = |n| {
        change(n, &|c: &mut Change| {
            c.change_type = ChangeType::Standard;
            c.approval = ApprovalStatus::NotRequested;
        })
    };
    let canceled = |n| change(n, &|c: &mut Change| c.state = ChangeState::Canceled);
    let elsewhere = |n| {
        change(n, &|c: &mut Change| {
            c.release = Some(ReleaseId::from_u128(9))
        })
    };
    let unlinked = |n| change(n, &|c: &mut Change| c.release = None);
    let cases: Vec<Case> = vec![
        (
            "approved changes, linked both ways",
            release(ReleaseState::Deploy).check_changes(&[approved(1), approved(2)]),
            &[],
        ),
        (
            "a standard change is pre-authorised",
            release(ReleaseState::Build).check_changes(&[approved(1), standard(2)]),
            &[],
        ),
        (
            "planning may hold a change awaiting approval",
            release(ReleaseState::Planning).check_changes(&[approved(1), requested(2)]),
            &[],
        ),
        (
            "deploying with a change awaiting approval",
            release(ReleaseState::Deploy).check_changes(&[approved(1), requested(2)]),
            &[("changes[1]", "unapproved_change")],
        ),
        (
            "testing with a canceled change",
            release(ReleaseState::Test).check_changes(&[canceled(1), approved(2)]),
            &[("changes[0]", "unapproved_change")],
        ),
        (
            "a listed change names another release",
            release(ReleaseState::Planning).check_changes(&[elsewhere(1), approved(2)]),
            &[("changes[0]", "link_mismatch")],
        ),
        (
            "a listed change names no release",
            release(ReleaseState::Planning).check_changes(&[approved(1), unlinked(2)]),
            &[("changes[1]", "link_mismatch")],
        ),
        (
            "a change names the release without being listed",
            release(ReleaseState::Planning).check_changes(&[approved(1), approved(2), approved(3)]),
            &[("changes", "link_mismatch")],
        ),
        (
            "a listed change that is not given",
            release(ReleaseState::Review).check_changes(&[approved(1)]),
            &[("changes[1]", "unknown_change")],
        ),
        (
            "every problem at once",
            release(ReleaseState::Deploy).check_changes(&[elsewhere(1), approved(3)]),
            &[
                ("changes[0]", "link_mismatch"),
                ("changes[1]", "unknown_change"),
                ("changes", "link_mismatch"),
            ],
        ),
    ];
    for (case, violations, expected) in cases {
        check(case, violations, expected);
    }
    let messages: Vec<String> = release(ReleaseState::Deploy)
        .check_changes(&[approved(1), requested(2)])
        .iter()
        .map(|v| v.message.clone())
        .collect();
    assert_eq!(
        messages,
        [
            "release RLSE0000003 in state deploy holds change CHG0012342, which is not approved (approval requested)"
        ]
    );
}

/// Checks whether `email` passes the person e-mail rule.
fn check_email(email: &str, valid: bool) {
    let violations = with(valid_person(), |p| p.email = Some(email.to_owned())).validate();
    assert_eq!(
        violations.is_empty(),
        valid,
        "email {email:?}: expected valid={valid}, got {violations:?}"
    );
}

#[test]
fn email_shapes() {
    for (email, valid) in [
        ("a@b.co", true),
        ("first.last+tag@sub.example.org", true),
        ("o'brien@example.ie", true),
        ("jürgen@bücher.de", true),
        ("", false),
        ("abel", false),
        ("abel@", false),
        ("@example.com", false),
        ("abel@example", false),
        ("abel@@example.com", false),
        ("a@b@example.com", false),
        ("abel tuter@example.com", false),
        ("abel@example..com", false),
        (".abel@example.com", false),
        ("abel.@example.com", false),
        ("abel@-example.com", false),
        ("abel@example-.com", false),
        ("abel@example.com ", false),
        ("abel@exa_mple.com", false),
    ] {
        check_email(email, valid);
    }
}

#[test]
fn messages_name_the_values() {
    let violations = with(valid_incident(), |i| i.closed_at = Some(at(8, 0))).validate();
    let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(text.iter().any(|t| t.contains("2026-03-02 08:00:00 UTC") && t.contains("2026-03-02 11:00:00 UTC")), "{text:?}");
    let violations = with(valid_change(), |c| c.approvals[0].decided_at = None).validate();
    assert_eq!(
        violations[0].message,
        "approvals[0].decided_at is required when the decision is approved"
    );
    let violations = with(valid_person(), |p| p.email = Some("nope".into())).validate();
    assert!(
        violations[0].message.contains("\"nope\""),
        "{}",
        violations[0].message
    );
}

#[test]
fn check_reports_every_violation_through_core_error() {
    assert_eq!(valid_incident().check(), Ok(()));
    let broken = with(valid_incident(), |i| {
        i.short_description.clear();
        i.closed_at = None;
    });
    match broken.check() {
        Err(CoreError::Invalid { violations }) => assert_eq!(violations, broken.validate()),
        other => panic!("expected CoreError::Invalid, got {other:?}"),
    }
    let message = broken.check().unwrap_err().to_string();
    assert!(
        message.starts_with("2 rule(s) violated: short_description"),
        "{message}"
    );
}

/// Checks that every violation's path names a field (and index) that exists
/// in the record's JSON, and that its rule code is `snake_case`.
fn check_paths<T: serde::Serialize + Validate>(
    record: &T,
) -> Result<(), proptest::test_runner::TestCaseError> {
    let json = serde_json::to_value(record).unwrap();
    for v in record.validate() {
        let mut node = &json;
        for segment in v.path.split('.') {
            let (key, index) = match segment.split_once('[') {
                Some((key, rest)) => (
                    key,
                    Some(rest.trim_end_matches(']').parse::<usize>().unwrap()),
                ),
                None => (segment, None),
            };
            let field = node.get(key);
            proptest::prop_assert!(field.is_some(), "{}: no field {key} in {json}", v.path);
            node = field.unwrap();
            if let Some(i) = index {
                proptest::prop_assert!(node.get(i).is_some(), "{}: no index {i}", v.path);
                node = &node[i];
            }
        }
        proptest::prop_assert!(
            !v.rule.is_empty() && v.rule.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
            "rule {:?}",
            v.rule
        );
    }
    Ok(())
}

macro_rules! paths_name_real_fields {
    ($($test:ident => $strategy:expr),+ $(,)?) => {
        proptest::proptest! {
            #![proptest_config(proptest::test_runner::Config { cases: 256, ..Default::default() })]
            $(
                #[test]
                fn $test(record in $strategy) {
                    check_paths(&record)?;
                }
            )+
        }
    };
}

paths_name_real_fields!(
    incident_paths_name_real_fields => incident(),
    problem_paths_name_real_fields => problem(),
    known_error_paths_name_real_fields => known_error(),
    knowledge_article_paths_name_real_fields => knowledge_article(),
    change_paths_name_real_fields => change(),
    release_paths_name_real_fields => release(),
    service_request_paths_name_real_fields => service_request(),
    task_paths_name_real_fields => task(),
    service_paths_name_real_fields => service(),
    ci_paths_name_real_fields => configuration_item_ref(),
    person_paths_name_real_fields => person(),
    group_paths_name_real_fields => group(),
    role_paths_name_real_fields => role(),
    timeline_paths_name_real_fields => timeline(),
);

#[test]
fn every_constructor_builds_a_valid_record_that_round_trips() {
    use chrono::TimeZone;
    let at = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let person = PersonId::from_u128(1);
    let n = |s: &str| s.parse::<RecordNumber>().unwrap();
    fn check<T>(record: &T)
    where
        T: Validate + serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        assert_eq!(record.validate(), Vec::new(), "{record:?}");
        let json = serde_json::to_string(record).unwrap();
        assert_eq!(&from_json::<T>(&json).unwrap(), record);
    }
    check(&Incident::new(
        IncidentId::from_u128(1),
        n("INC0000001"),
        person,
        "VPN drops",
        at,
    ));
    let problem = Problem::new(
        ProblemId::from_u128(2),
        n("PRB0000001"),
        "VPN drops hourly",
        at,
    );
    check(&problem);
    check(&KnownError::new(
        KnownErrorId::from_u128(3),
        n("KE0000001"),
        problem.id,
        "VPN drops hourly",
        "a leaking session table",
        "restart the concentrator",
        at,
    ));
    for change_type in [
        ChangeType::Standard,
        ChangeType::Normal,
        ChangeType::Emergency,
    ] {
        check(&Change::new(
            ChangeId::from_u128(4),
            n("CHG0000001"),
            change_type,
            person,
            "Patch the concentrator",
            at,
        ));
    }
    check(&Person::new(person, "Ann Agent"));
    check(&Group::new(GroupId::from_u128(10), "Service Desk"));
    check(&Role::new(RoleId::from_u128(20), "itil"));
    check(&Release::new(
        ReleaseId::from_u128(5),
        n("RLSE0000001"),
        ReleaseType::Minor,
        "VPN 2.4",
        at,
    ));
    check(&ServiceRequest::new(
        ServiceRequestId::from_u128(6),
        n("REQ0000001"),
        CatalogItemId::from_u128(7),
        person,
        "A laptop",
        at,
    ));
    check(&Task::new(
        TaskId::from_u128(9),
        n("TASK0000001"),
        TaskParent::Change(ChangeId::from_u128(4)),
        "Fail over to the secondary concentrator",
        at,
    ));
    check(&KnowledgeArticle::new(
        KnowledgeArticleId::from_u128(8),
        n("KB0000001"),
        "it",
        "Restarting the VPN concentrator",
        "Log in, then …",
        person,
        at,
    ));
    let asked = Approval::requested(person, None, at);
    assert_eq!(
        (asked.decision, asked.requested_at),
        (ApprovalDecision::Requested, Some(at))
    );
}
