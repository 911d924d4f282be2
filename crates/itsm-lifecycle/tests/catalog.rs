//! Records ordered from the catalog, moved by the typed path: a request
//! item that needs no approval goes straight to fulfilment, one that does
//! waits for its approvers; a standard change made from a template is
//! scheduled without a CAB and keeps the fields its template fixed.

use chrono::{DateTime, Duration, Utc};
use itsm_core::*;
use itsm_lifecycle::*;
use serde_json::json;

const ANN: PersonId = PersonId::from_u128(1);
const MIA: PersonId = PersonId::from_u128(2);
const FREE: CatalogItemId = CatalogItemId::from_u128(20);
const RESTART: CatalogItemId = CatalogItemId::from_u128(21);
const APPROVED: CatalogItemId = CatalogItemId::from_u128(22);
const TEMPLATE: StandardChangeTemplateId = StandardChangeTemplateId::from_u128(30);

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

#[derive(Default)]
struct Seq(u64);

impl Numbering for Seq {
    fn next_number(&mut self, prefix: NumberPrefix) -> RecordNumber {
        self.0 += 1;
        RecordNumber::new(prefix, self.0).unwrap()
    }

    fn random(&mut self) -> [u8; 10] {
        self.0 += 1;
        [self.0 as u8; 10]
    }
}

fn catalog() -> Catalog {
    serde_json::from_value(json!({
        "items": [
            {"id": FREE, "name": "Mouse", "short_description": "A mouse",
             "approval": {"kind": "none"},
             "fulfilment_tasks": [{"name": "ship", "short_description": "Ship it"}]},
            {"id": RESTART, "name": "Restart", "short_description": "Restart the web tier",
             "standard_change": TEMPLATE},
            {"id": APPROVED, "name": "Admin rights", "short_description": "Local admin",
             "approval": {"kind": "people", "approvers": [MIA]}}
        ],
        "standard_changes": [{
            "id": TEMPLATE, "name": "Restart", "short_description": "Rolling restart",
            "category": "maintenance", "risk": "low", "impact": "low",
            "implementation_plan": "One node at a time.", "backout_plan": "Re-enable the node.",
            "tasks": [{"name": "restart", "short_description": "Restart", "order": 1}]
        }]
    }))
    .unwrap()
}

fn place(item: CatalogItemId) -> Ordered {
    let order = Order {
        catalog_item: item,
        requested_by: ANN,
        requested_for: None,
        quantity: 1,
        variables: Extensions::new(),
        channel: None,
        opened_at: at("2026-12-07T09:00:00Z"),
    };
    catalog()
        .order(&order, &OrderRefs::default(), &mut Seq::default())
        .unwrap()
}

#[test]
fn an_item_without_approval_goes_straight_to_fulfilment() {
    let items = Lifecycle::<RequestItem>::itil().unwrap();
    let ordered = place(FREE);
    let t = at("2026-12-07T09:01:00Z");
    let opened = items.open(ordered.item, Some(ANN), t).unwrap().record;
    let step = items
        .apply(
            &opened,
            ServiceRequestEvent::Fulfil,
            &Input::new(),
            Some(ANN),
            t,
        )
        .unwrap();
    assert_eq!(step.record.state, ServiceRequestState::Fulfilment);
    let done = items
        .apply(
            &step.record,
            ServiceRequestEvent::Complete,
            &Input::new(),
            Some(ANN),
            t + Duration::hours(1),
        )
        .unwrap()
        .record;
    assert_eq!(done.state, ServiceRequestState::ClosedComplete);
    assert!(done.validate().is_empty(), "{:#?}", done.validate());
}

#[test]
fn an_item_with_approvers_waits_for_them() {
    let items = Lifecycle::<RequestItem>::itil().unwrap();
    let ordered = place(APPROVED);
    assert_eq!(ordered.item.approval, ApprovalStatus::Requested);
    let t = at("2026-12-07T09:01:00Z");
    let item = items.open(ordered.item, Some(ANN), t).unwrap().record;
    let err = items
        .apply(
            &item,
            ServiceRequestEvent::Fulfil,
            &Input::new(),
            Some(ANN),
            t,
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("approval_not_required"),
        "the guard is named: {err}"
    );
    // Even a caller vouching for `approval_not_required` cannot skip the
    // approval: the record decides that guard.
    let vouched = Input::new().with_guard(Guard::APPROVAL_NOT_REQUIRED);
    assert!(
        items
            .apply(&item, ServiceRequestEvent::Fulfil, &vouched, Some(ANN), t)
            .is_err()
    );
    let waiting = items
        .apply(
            &item,
            ServiceRequestEvent::RequestApproval,
            &Input::new(),
            Some(ANN),
            t,
        )
        .unwrap()
        .record;
    let decided = items
        .decide(&waiting, MIA, ApprovalDecision::Approved, None, t)
        .unwrap()
        .record;
    let approved = items
        .apply(
            &decided,
            ServiceRequestEvent::Approve,
            &Input::new(),
            Some(MIA),
            t,
        )
        .unwrap()
        .record;
    let fulfilling = items
        .apply(
            &approved,
            ServiceRequestEvent::Fulfil,
            &Input::new(),
            Some(ANN),
            t,
        )
        .unwrap()
        .record;
    assert_eq!(fulfilling.state, ServiceRequestState::Fulfilment);
    // The requester may not approve their own item.
    let err = items
        .decide(&waiting, ANN, ApprovalDecision::Approved, None, t)
        .unwrap_err();
    assert!(err.to_string().contains("may not approve"), "{err}");
}

#[test]
fn a_standard_change_from_a_template_is_scheduled_without_a_cab() {
    let changes = Lifecycle::<Change>::itil().unwrap();
    let ordered = place(RESTART);
    let t = at("2026-12-07T09:01:00Z");
    let change = changes
        .open(ordered.change.unwrap(), Some(ANN), t)
        .unwrap()
        .record;
    let planned = Input::new()
        .with_value("planned_start", &at("2026-12-08T22:00:00Z"))
        .unwrap()
        .with_value("planned_end", &at("2026-12-08T23:00:00Z"))
        .unwrap();
    let scheduled = changes
        .apply(&change, ChangeEvent::Schedule, &planned, Some(ANN), t)
        .unwrap()
        .record;
    assert_eq!(scheduled.state, ChangeState::Scheduled);
    assert_eq!(scheduled.approval, ApprovalStatus::NotRequired);
    assert!(
        scheduled.validate().is_empty(),
        "{:#?}",
        scheduled.validate()
    );
}

/// Edits `field` of a change made from the template to `value`.
fn check_edit(field: &str, value: serde_json::Value, allowed: bool) {
    let changes = Lifecycle::<Change>::itil().unwrap();
    let ordered = place(RESTART);
    let t = at("2026-12-07T09:01:00Z");
    let change = changes
        .open(ordered.change.unwrap(), Some(ANN), t)
        .unwrap()
        .record;
    let input = Input::new().with_value(field, &value).unwrap();
    let result = changes.update(&change, &input, Some(ANN), t);
    match (allowed, result) {
        (true, Ok(_)) => {}
        (false, Err(LifecycleError::FixedByTemplate { field: f, .. })) => {
            assert_eq!(f, field);
        }
        (allowed, other) => panic!("edit of {field} to {value}: allowed {allowed}, got {other:?}"),
    }
}

#[test]
fn the_fields_a_template_fixes_cannot_be_edited() {
    check_edit("risk", json!("high"), false);
    check_edit("impact", json!("high"), false);
    check_edit("category", json!("hardware"), false);
    check_edit("implementation_plan", json!("All nodes at once."), false);
    check_edit("backout_plan", json!("Hope."), false);
    check_edit("test_plan", json!("None."), false);
    check_edit("change_type", json!("normal"), false);
    check_edit("template", json!(null), false);
    check_edit("short_description", json!("Rolling restart, node 3"), true);
    check_edit("assigned_to", json!(MIA), true);
    // Every fixed field has a case above.
    for field in STANDARD_CHANGE_FIXED {
        assert!(
            [
                "change_type",
                "template",
                "category",
                "risk",
                "impact",
                "implementation_plan",
                "backout_plan",
                "test_plan"
            ]
            .contains(field),
            "{field} has no case above"
        );
    }
}

#[test]
fn a_change_without_a_template_may_change_those_fields() {
    let changes = Lifecycle::<Change>::itil().unwrap();
    let t = at("2026-12-07T09:01:00Z");
    let change = Change::new(
        ChangeId::from_u128(5),
        "CHG0000005".parse().unwrap(),
        ChangeType::Normal,
        ANN,
        "Patch",
        t,
    );
    let change = changes.open(change, Some(ANN), t).unwrap().record;
    let input = Input::new().with_value("risk", &json!("high")).unwrap();
    assert_eq!(
        changes
            .update(&change, &input, Some(ANN), t)
            .unwrap()
            .record
            .risk,
        ChangeRisk::High
    );
}

/// The service request flow renamed `name`; `direct` lets any submitted
/// item go to fulfilment (a fulfilment with its approval done elsewhere).
fn named_flow(name: &str, direct: bool) -> Workflow<ServiceRequestState, ServiceRequestEvent> {
    let mut definition = service_request_flow();
    definition.name = name.to_owned();
    if direct {
        for t in &mut definition.transitions {
            if t.from == ServiceRequestState::Submitted && t.event == ServiceRequestEvent::Fulfil {
                t.guards.clear();
            }
        }
    }
    Workflow::new(definition, &PlainContext::itil()).unwrap()
}

#[test]
fn an_item_follows_the_fulfilment_workflow_its_catalog_item_names() {
    let items = Lifecycle::<RequestItem>::with_workflows(vec![
        named_flow("service_request", false),
        named_flow("hardware_fulfilment", true),
    ])
    .unwrap();
    let t = at("2026-12-07T09:01:00Z");
    let mut ordered = place(APPROVED).item;
    assert_eq!(ordered.approval, ApprovalStatus::Requested);
    // Without a name: the first workflow, whose fulfil waits for approval.
    let plain = items.open(ordered.clone(), Some(ANN), t).unwrap().record;
    assert!(
        items
            .apply(
                &plain,
                ServiceRequestEvent::Fulfil,
                &Input::new(),
                Some(ANN),
                t
            )
            .is_err()
    );
    // Named: that workflow.
    ordered.workflow = Some("hardware_fulfilment".to_owned());
    let named = items.open(ordered.clone(), Some(ANN), t).unwrap().record;
    assert_eq!(items.workflow(&named).name(), "hardware_fulfilment");
    let step = items
        .apply(
            &named,
            ServiceRequestEvent::Fulfil,
            &Input::new(),
            Some(ANN),
            t,
        )
        .unwrap();
    assert_eq!(step.record.state, ServiceRequestState::Fulfilment);
    // The workflow is fixed once opened.
    let edit = Input::new()
        .with_value("workflow", &json!("service_request"))
        .unwrap();
    assert!(matches!(
        items.update(&named, &edit, Some(ANN), t),
        Err(LifecycleError::InvalidEdit { field, .. }) if field == "workflow"
    ));
    // A name the lifecycle does not have is refused, not replaced by the default.
    ordered.workflow = Some("laptops".to_owned());
    match items.open(ordered, Some(ANN), t) {
        Err(LifecycleError::UnknownWorkflow { name, known, .. }) => {
            assert_eq!(name, "laptops");
            assert_eq!(known, "service_request, hardware_fulfilment");
        }
        other => panic!("{other:?}"),
    }
    // Two workflows of one name cannot be told apart.
    assert!(matches!(
        Lifecycle::<RequestItem>::with_workflows(vec![
            named_flow("a", false),
            named_flow("a", true)
        ]),
        Err(LifecycleError::DuplicateWorkflow { .. })
    ));
    // Other kinds still take exactly one workflow per default flow.
    assert!(matches!(
        Lifecycle::<ServiceRequest>::with_workflows(vec![
            named_flow("a", false),
            named_flow("b", true)
        ]),
        Err(LifecycleError::FlowCount { .. })
    ));
}

#[test]
fn approvals_change_only_by_asking_and_deciding() {
    let items = Lifecycle::<RequestItem>::itil().unwrap();
    let t = at("2026-12-07T09:01:00Z");
    let item = items
        .open(place(APPROVED).item, Some(ANN), t)
        .unwrap()
        .record;
    // Writing the approvals, or who asked once approvers are asked, is refused.
    let forged = Input::new()
        .with_value(
            "approvals",
            &json!([{"approver": MIA, "decision": "approved", "decided_at": t}]),
        )
        .unwrap();
    assert!(matches!(
        items.update(&item, &forged, Some(ANN), t),
        Err(LifecycleError::InvalidEdit { field, .. }) if field == "approvals"
    ));
    let other = Input::new().with_value("requested_by", &MIA).unwrap();
    assert!(matches!(
        items.update(&item, &other, Some(ANN), t),
        Err(LifecycleError::InvalidEdit { field, .. }) if field == "requested_by"
    ));
    // A change cannot be given a template by an edit.
    let changes = Lifecycle::<Change>::itil().unwrap();
    let change = Change::new(
        ChangeId::from_u128(6),
        "CHG0000006".parse().unwrap(),
        ChangeType::Standard,
        ANN,
        "Patch",
        t,
    );
    let change = changes.open(change, Some(ANN), t).unwrap().record;
    let templated = Input::new().with_value("template", &TEMPLATE).unwrap();
    assert!(matches!(
        changes.update(&change, &templated, Some(ANN), t),
        Err(LifecycleError::FixedByTemplate { field, .. }) if field == "template"
    ));
}
