//! The service catalog: an order's answers checked against the item's
//! variables, the catalog's own rules, and ordering, which creates the
//! request, its item, their tasks and a pre-approved standard change, all
//! linked both ways.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use itsm_core::*;
use proptest::prelude::*;
use serde_json::json;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Numbers 1, 2, 3, … per prefix, and random bytes from a counter.
#[derive(Default)]
struct Seq {
    next: std::collections::HashMap<NumberPrefix, u64>,
    random: u8,
}

impl Numbering for Seq {
    fn next_number(&mut self, prefix: NumberPrefix) -> RecordNumber {
        let n = self.next.entry(prefix).or_insert(0);
        *n += 1;
        RecordNumber::new(prefix, *n).unwrap()
    }

    fn random(&mut self) -> [u8; 10] {
        self.random = self.random.wrapping_add(1);
        [self.random; 10]
    }
}

const ANN: PersonId = PersonId::from_u128(1);
const MIA: PersonId = PersonId::from_u128(2);
const BOB: PersonId = PersonId::from_u128(3);
const ZED: PersonId = PersonId::from_u128(4);
const CAB: GroupId = GroupId::from_u128(10);
const DESK: GroupId = GroupId::from_u128(11);
const OLD: GroupId = GroupId::from_u128(12);
const WEB: CiId = CiId::from_u128(100);
const LAPTOP: CatalogItemId = CatalogItemId::from_u128(20);
const RESTART: CatalogItemId = CatalogItemId::from_u128(21);
const ACCESS: CatalogItemId = CatalogItemId::from_u128(22);
const RESTART_TEMPLATE: StandardChangeTemplateId = StandardChangeTemplateId::from_u128(30);

fn person(id: PersonId, name: &str, active: bool, manager: Option<PersonId>) -> Person {
    let mut p = Person::new(id, name);
    p.active = active;
    p.manager = manager;
    p
}

fn directory() -> Directory {
    let mut cab = Group::new(CAB, "Change advisory board");
    cab.members = vec![MIA, ZED, BOB];
    let mut desk = Group::new(DESK, "Service desk");
    desk.members = vec![ZED];
    let mut old = Group::new(OLD, "Disbanded team");
    old.active = false;
    Directory {
        people: vec![
            person(ANN, "Ann", true, Some(MIA)),
            person(MIA, "Mia", true, None),
            person(BOB, "Bob", false, None),
            person(ZED, "Zed", true, None),
        ],
        groups: vec![cab, desk, old],
        roles: Vec::new(),
    }
}

fn variable(name: &str, kind: VariableKind, required: bool) -> CatalogVariable {
    CatalogVariable {
        name: name.to_owned(),
        label: name.replace('_', " "),
        kind,
        required,
        default: None,
        help: None,
    }
}

fn task(name: &str, order: u32) -> TaskTemplate {
    TaskTemplate {
        name: name.to_owned(),
        short_description: name.replace('_', " "),
        description: None,
        assignment_group: None,
        order,
    }
}

fn item(id: CatalogItemId, name: &str) -> CatalogItem {
    let mut item: CatalogItem = serde_json::from_value(json!({
        "id": id, "name": name, "short_description": format!("Order a {name}")
    }))
    .unwrap();
    item.fulfilment_group = Some(DESK);
    item
}

fn catalog() -> Catalog {
    let mut laptop = item(LAPTOP, "Standard laptop");
    laptop.variables = vec![
        variable(
            "memory_gb",
            VariableKind::Choice {
                choices: vec!["8".into(), "16".into(), "32".into()],
            },
            true,
        ),
        CatalogVariable {
            default: Some("linux".into()),
            ..variable(
                "operating_system",
                VariableKind::Choice {
                    choices: vec!["linux".into(), "windows".into()],
                },
                true,
            )
        },
        variable("delivery", VariableKind::Date, false),
        variable(
            "monitors",
            VariableKind::Number {
                min: Some(0.0),
                max: Some(3.0),
                integer: true,
            },
            false,
        ),
        variable(
            "notes",
            VariableKind::Text {
                max_length: Some(20),
            },
            false,
        ),
        variable("docking_station", VariableKind::Boolean, false),
        variable("user", VariableKind::Person, false),
        variable("team", VariableKind::Group, false),
        variable("replaces", VariableKind::ConfigurationItem, false),
    ];
    laptop.approval = CatalogApproval::Manager;
    laptop.fulfilment_tasks = vec![task("deliver", 20), task("prepare", 10)];

    let mut restart = item(RESTART, "Restart web tier");
    restart.standard_change = Some(RESTART_TEMPLATE);

    let mut access = item(ACCESS, "Production access");
    access.approval = CatalogApproval::Group { group: CAB };

    let template: StandardChangeTemplate = serde_json::from_value(json!({
        "id": RESTART_TEMPLATE,
        "name": "Rolling restart of the web tier",
        "short_description": "Rolling restart of the web tier",
        "category": "maintenance",
        "risk": "low",
        "impact": "low",
        "configuration_items": [WEB],
        "assignment_group": CAB,
        "implementation_plan": "Drain, restart and re-enable each node in turn.",
        "backout_plan": "Re-enable the drained node.",
        "test_plan": "Synthetic checks green on every node.",
        "tasks": [
            {"name": "drain", "short_description": "Drain node", "order": 1},
            {"name": "restart", "short_description": "Restart node", "order": 2},
            {"name": "verify", "short_description": "Verify", "order": 3,
             "assignment_group": DESK}
        ]
    }))
    .unwrap();
    Catalog {
        items: vec![laptop, restart, access],
        standard_changes: vec![template],
    }
}

fn refs<'a>(directory: &'a Directory, cis: &'a HashSet<CiId>) -> OrderRefs<'a> {
    OrderRefs {
        directory: Some(directory),
        configuration_items: Some(cis),
    }
}

/// The (path, rule) pairs of `violations`, sorted.
fn pairs(violations: &[Violation]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = violations
        .iter()
        .map(|v| (v.path.clone(), v.rule.clone()))
        .collect();
    out.sort();
    out
}

fn expected(expect: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = expect
        .iter()
        .map(|(p, r)| ((*p).to_owned(), (*r).to_owned()))
        .collect();
    out.sort();
    out
}

/// Checks the answers `values` against the laptop item.
fn check(values: serde_json::Value, expect: &[(&str, &str)]) {
    let catalog = catalog();
    let directory = directory();
    let cis: HashSet<CiId> = [WEB].into();
    let values: Extensions = serde_json::from_value(values.clone()).unwrap();
    let problems = catalog.items[0].check_order(&values, &refs(&directory, &cis));
    assert_eq!(
        pairs(&problems),
        expected(expect),
        "answers {values:?}: {problems:#?}"
    );
}

#[test]
fn answers_are_checked_against_the_variables() {
    let ok: &[(&str, &str)] = &[];
    check(json!({"memory_gb": "16"}), ok);
    check(
        json!({"memory_gb": "32", "operating_system": "windows", "delivery": "2026-12-24",
               "monitors": 2, "notes": "by the window", "docking_station": true,
               "user": ANN, "team": DESK, "replaces": WEB}),
        ok,
    );
    check(json!({"memory_gb": "16", "monitors": 2.0}), ok);
    check(json!({}), &[("variables.memory_gb", "required_variable")]);
    check(
        json!({"memory_gb": null}),
        &[("variables.memory_gb", "required_variable")],
    );
    // A required variable with a default needs no answer.
    check(json!({"memory_gb": "8", "operating_system": null}), ok);
    check(
        json!({"memory_gb": "12"}),
        &[("variables.memory_gb", "not_a_choice")],
    );
    check(
        json!({"memory_gb": 16}),
        &[("variables.memory_gb", "wrong_type")],
    );
    check(
        json!({"memory_gb": "16", "memroy_gb": "8"}),
        &[("variables.memroy_gb", "unknown_variable")],
    );
    check(
        json!({"memory_gb": "16", "monitors": 4}),
        &[("variables.monitors", "out_of_range")],
    );
    check(
        json!({"memory_gb": "16", "monitors": -1}),
        &[("variables.monitors", "out_of_range")],
    );
    check(
        json!({"memory_gb": "16", "monitors": 1.5}),
        &[("variables.monitors", "not_an_integer")],
    );
    check(
        json!({"memory_gb": "16", "monitors": "two"}),
        &[("variables.monitors", "wrong_type")],
    );
    check(
        json!({"memory_gb": "16", "delivery": "2026-02-30"}),
        &[("variables.delivery", "invalid_date")],
    );
    check(
        json!({"memory_gb": "16", "delivery": 20261224}),
        &[("variables.delivery", "wrong_type")],
    );
    check(
        json!({"memory_gb": "16", "notes": "a note far longer than twenty"}),
        &[("variables.notes", "too_long")],
    );
    // Twenty characters, some of them outside ASCII, fit.
    check(
        json!({"memory_gb": "16", "notes": "ééééééééééééééééééé!"}),
        ok,
    );
    check(
        json!({"memory_gb": "16", "docking_station": "yes"}),
        &[("variables.docking_station", "wrong_type")],
    );
    check(
        json!({"memory_gb": "16", "user": "ann"}),
        &[("variables.user", "invalid_id")],
    );
    check(
        json!({"memory_gb": "16", "user": BOB}),
        &[("variables.user", "inactive_person")],
    );
    check(
        json!({"memory_gb": "16", "user": PersonId::from_u128(99)}),
        &[("variables.user", "unknown_reference")],
    );
    check(
        json!({"memory_gb": "16", "team": OLD}),
        &[("variables.team", "inactive_group")],
    );
    check(
        json!({"memory_gb": "16", "team": GroupId::from_u128(98)}),
        &[("variables.team", "unknown_reference")],
    );
    check(
        json!({"memory_gb": "16", "replaces": CiId::from_u128(97)}),
        &[("variables.replaces", "unknown_reference")],
    );
    // Every problem at once.
    check(
        json!({"memory_gb": "64", "monitors": 9, "delivery": "soon", "extra": 1}),
        &[
            ("variables.memory_gb", "not_a_choice"),
            ("variables.monitors", "out_of_range"),
            ("variables.delivery", "invalid_date"),
            ("variables.extra", "unknown_variable"),
        ],
    );
}

#[test]
fn messages_name_the_value_and_suggest_the_nearest_variable() {
    let catalog = catalog();
    let values: Extensions =
        serde_json::from_value(json!({"memroy_gb": "8", "memory_gb": "12"})).unwrap();
    let problems = catalog.items[0].check_order(&values, &OrderRefs::default());
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text.iter().any(|t| t.contains("did you mean `memory_gb`")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("\"12\"") && t.contains("8, 16, 32")),
        "{text:?}"
    );
}

#[test]
fn without_references_ids_are_only_checked_for_shape() {
    let catalog = catalog();
    let values: Extensions = serde_json::from_value(
        json!({"memory_gb": "8", "user": PersonId::from_u128(99), "replaces": CiId::from_u128(97)}),
    )
    .unwrap();
    assert!(
        catalog.items[0]
            .check_order(&values, &OrderRefs::default())
            .is_empty()
    );
}

/// Checks the catalog after `edit` breaks exactly `expect`.
fn check_catalog(edit: impl FnOnce(&mut Catalog), expect: &[(&str, &str)]) {
    let mut catalog = catalog();
    edit(&mut catalog);
    let problems = catalog.check(Some(&directory()));
    assert_eq!(pairs(&problems), expected(expect), "{problems:#?}");
}

#[test]
fn the_catalog_checks_its_items_and_templates() {
    check_catalog(|_| {}, &[]);
    assert!(catalog().validate().is_empty());
    check_catalog(
        |c| c.standard_changes[0].risk = ChangeRisk::Moderate,
        &[("standard_changes[0].risk", "not_low_risk")],
    );
    check_catalog(
        |c| c.items[1].standard_change = Some(StandardChangeTemplateId::from_u128(77)),
        &[("items[1].standard_change", "unknown_reference")],
    );
    check_catalog(
        |c| c.standard_changes[0].active = false,
        &[("items[1].standard_change", "inactive_reference")],
    );
    // An inactive item may keep an inactive template.
    check_catalog(
        |c| {
            c.standard_changes[0].active = false;
            c.items[1].active = false;
        },
        &[],
    );
    check_catalog(
        |c| c.items[0].variables[1].name = "memory_gb".into(),
        &[("items[0].variables[1].name", "duplicate_entry")],
    );
    check_catalog(
        |c| c.items[0].variables[0].name = "Memory GB".into(),
        &[("items[0].variables[0].name", "invalid_name")],
    );
    check_catalog(
        |c| {
            c.items[0].variables[0].kind = VariableKind::Choice {
                choices: Vec::new(),
            }
        },
        &[("items[0].variables[0].kind.choices", "empty")],
    );
    check_catalog(
        |c| {
            c.items[0].variables[0].kind = VariableKind::Choice {
                choices: vec!["8".into(), " ".into(), "8".into()],
            }
        },
        &[
            ("items[0].variables[0].kind.choices[1]", "empty"),
            ("items[0].variables[0].kind.choices[2]", "duplicate_entry"),
        ],
    );
    check_catalog(
        |c| {
            c.items[0].variables[3].kind = VariableKind::Number {
                min: Some(5.0),
                max: Some(1.0),
                integer: false,
            }
        },
        &[("items[0].variables[3].kind.max", "out_of_range")],
    );
    check_catalog(
        |c| {
            c.items[0].variables[4].kind = VariableKind::Text {
                max_length: Some(0),
            }
        },
        &[("items[0].variables[4].kind.max_length", "out_of_range")],
    );
    check_catalog(
        |c| c.items[0].variables[1].default = Some("beos".into()),
        &[("items[0].variables[1].default", "not_a_choice")],
    );
    check_catalog(
        |c| c.items[2].approval = CatalogApproval::People { approvers: vec![] },
        &[("items[2].approval.approvers", "empty")],
    );
    check_catalog(
        |c| {
            c.items[2].approval = CatalogApproval::People {
                approvers: vec![MIA, BOB, MIA],
            }
        },
        &[
            ("items[2].approval.approvers[1]", "inactive_person"),
            ("items[2].approval.approvers[2]", "duplicate_entry"),
        ],
    );
    check_catalog(
        |c| c.items[2].approval = CatalogApproval::Group { group: OLD },
        &[("items[2].approval.group", "inactive_group")],
    );
    check_catalog(
        |c| c.items[1].name = c.items[0].name.clone(),
        &[("items[1].name", "duplicate_entry")],
    );
    check_catalog(
        |c| c.items[1].id = c.items[0].id,
        &[("items[1].id", "duplicate_entry")],
    );
    check_catalog(
        |c| c.items[0].fulfilment_tasks[1].name = "deliver".into(),
        &[("items[0].fulfilment_tasks[1].name", "duplicate_entry")],
    );
    check_catalog(
        |c| c.standard_changes[0].tasks[2].assignment_group = Some(GroupId::from_u128(55)),
        &[(
            "standard_changes[0].tasks[2].assignment_group",
            "unknown_reference",
        )],
    );
    check_catalog(
        |c| {
            c.standard_changes[0].implementation_plan = " ".into();
            c.standard_changes[0].configuration_items = vec![WEB, WEB];
        },
        &[
            ("standard_changes[0].implementation_plan", "empty"),
            (
                "standard_changes[0].configuration_items[1]",
                "duplicate_entry",
            ),
        ],
    );
}

fn order(item: CatalogItemId, variables: serde_json::Value) -> Order {
    Order {
        catalog_item: item,
        requested_by: ANN,
        requested_for: None,
        quantity: 1,
        variables: serde_json::from_value(variables).unwrap(),
        channel: Some(Channel::SelfService),
        opened_at: at("2026-12-07T09:00:00Z"),
    }
}

fn place(order: &Order) -> Result<Ordered, Vec<Violation>> {
    let directory = directory();
    let cis: HashSet<CiId> = [WEB].into();
    catalog().order(order, &refs(&directory, &cis), &mut Seq::default())
}

/// Every record made is valid, and the links run both ways.
fn assert_linked(ordered: &Ordered) {
    let Ordered {
        request,
        item,
        change,
        tasks,
    } = ordered;
    assert!(request.validate().is_empty(), "{:#?}", request.validate());
    assert!(item.validate().is_empty(), "{:#?}", item.validate());
    assert_eq!(request.items, vec![item.id]);
    assert_eq!(item.request, request.id);
    assert_eq!(request.catalog_item, item.catalog_item);
    match change {
        Some(change) => {
            assert!(change.validate().is_empty(), "{:#?}", change.validate());
            assert_eq!(request.changes, vec![change.id]);
            assert_eq!(item.change, Some(change.id));
            assert_eq!(change.service_request, Some(request.id));
            assert_eq!(change.request_item, Some(item.id));
        }
        None => {
            assert!(request.changes.is_empty());
            assert_eq!(item.change, None);
        }
    }
    for t in tasks {
        let parent = match t.parent {
            TaskParent::RequestItem(id) => id == item.id,
            TaskParent::Change(id) => change.as_ref().is_some_and(|c| c.id == id),
            _ => false,
        };
        assert!(parent, "task {} has a stranger for parent", t.number);
    }
    let mut numbers: Vec<String> = tasks.iter().map(|t| t.number.to_string()).collect();
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), tasks.len(), "task numbers repeat");
}

#[test]
fn ordering_a_standard_change_creates_it_pre_approved_and_linked_both_ways() {
    let ordered = place(&order(RESTART, json!({}))).unwrap();
    assert_linked(&ordered);
    let change = ordered.change.as_ref().expect("a standard change");
    assert_eq!(change.change_type, ChangeType::Standard);
    assert_eq!(change.state, ChangeState::New);
    assert_eq!(change.approval, ApprovalStatus::NotRequired);
    assert!(change.approvals.is_empty());
    assert_eq!(change.template, Some(RESTART_TEMPLATE));
    assert_eq!(change.risk, ChangeRisk::Low);
    assert_eq!(change.configuration_items, vec![WEB]);
    assert_eq!(change.assignment_group, Some(CAB));
    assert_eq!(change.requested_by, ANN);
    assert_eq!(
        change.implementation_plan.as_deref(),
        Some("Drain, restart and re-enable each node in turn.")
    );
    assert_eq!(change.number.to_string(), "CHG0000001");
    // The item needs no approval: straight to fulfilment.
    assert_eq!(ordered.item.approval, ApprovalStatus::NotRequired);
    assert_eq!(ordered.request.approval, ApprovalStatus::NotRequired);
    assert_eq!(ordered.item.state, ServiceRequestState::Submitted);
    // The template's implementation tasks, under the change, in order.
    let tasks: Vec<(&str, TaskState, Option<GroupId>)> = ordered
        .tasks
        .iter()
        .map(|t| (t.template.as_deref().unwrap(), t.state, t.assignment_group))
        .collect();
    assert_eq!(
        tasks,
        vec![
            ("drain", TaskState::Pending, Some(CAB)),
            ("restart", TaskState::Pending, Some(CAB)),
            ("verify", TaskState::Pending, Some(DESK)),
        ]
    );
    assert!(
        ordered
            .tasks
            .iter()
            .all(|t| t.parent == TaskParent::Change(change.id))
    );
}

#[test]
fn ordering_an_item_asks_its_approvers_and_fills_defaults() {
    let ordered = place(&order(LAPTOP, json!({"memory_gb": "16"}))).unwrap();
    assert_linked(&ordered);
    let item = &ordered.item;
    assert!(ordered.change.is_none());
    assert_eq!(item.number.to_string(), "RITM0000001");
    assert_eq!(ordered.request.number.to_string(), "REQ0000001");
    assert_eq!(item.approval, ApprovalStatus::Requested);
    let approvers: Vec<PersonId> = item.approvals.iter().map(|a| a.approver).collect();
    assert_eq!(approvers, vec![MIA], "Ann's manager approves");
    assert_eq!(
        item.variables.get("operating_system"),
        Some(&FieldValue::from("linux"))
    );
    assert_eq!(
        item.variables.get("memory_gb"),
        Some(&FieldValue::from("16"))
    );
    assert_eq!(item.assignment_group, Some(DESK));
    // Fulfilment tasks, pending until the caller readies them.
    let tasks: Vec<(&str, TaskState)> = ordered
        .tasks
        .iter()
        .map(|t| (t.template.as_deref().unwrap(), t.state))
        .collect();
    assert_eq!(
        tasks,
        vec![
            ("deliver", TaskState::Pending),
            ("prepare", TaskState::Pending)
        ]
    );
}

#[test]
fn a_group_approval_asks_the_active_members_on_the_groups_behalf() {
    let ordered = place(&order(ACCESS, json!({}))).unwrap();
    assert_linked(&ordered);
    let approvers: Vec<(PersonId, Option<GroupId>)> = ordered
        .item
        .approvals
        .iter()
        .map(|a| (a.approver, a.group))
        .collect();
    assert_eq!(approvers, vec![(MIA, Some(CAB)), (ZED, Some(CAB))]);
}

fn refused(order: &Order, expect: &[(&str, &str)]) {
    let problems = place(order).expect_err("refused");
    assert_eq!(pairs(&problems), expected(expect), "{problems:#?}");
}

#[test]
fn a_bad_order_is_refused_with_every_problem() {
    refused(
        &order(CatalogItemId::from_u128(5), json!({})),
        &[("catalog_item", "unknown_reference")],
    );
    let mut o = order(LAPTOP, json!({"memory_gb": "12", "notes": 5}));
    o.quantity = 0;
    o.requested_for = Some(BOB);
    refused(
        &o,
        &[
            ("quantity", "out_of_range"),
            ("variables.memory_gb", "not_a_choice"),
            ("variables.notes", "wrong_type"),
            ("requested_for", "inactive_person"),
            ("requested_for", "approver_missing"),
        ],
    );
    // Mia has no manager to approve her laptop.
    let mut o = order(LAPTOP, json!({"memory_gb": "8"}));
    o.requested_for = Some(MIA);
    refused(&o, &[("requested_for", "approver_missing")]);
    let mut c = catalog();
    c.items[1].active = false;
    let problems = c
        .order(
            &order(RESTART, json!({})),
            &OrderRefs::default(),
            &mut Seq::default(),
        )
        .unwrap_err();
    assert_eq!(
        pairs(&problems),
        expected(&[("catalog_item", "inactive_reference")])
    );
    let mut c = catalog();
    c.standard_changes[0].active = false;
    let problems = c
        .order(
            &order(RESTART, json!({})),
            &OrderRefs::default(),
            &mut Seq::default(),
        )
        .unwrap_err();
    assert_eq!(
        pairs(&problems),
        expected(&[("catalog_item", "inactive_reference")])
    );
    // Without a directory, a manager cannot be found.
    let problems = catalog()
        .order(
            &order(LAPTOP, json!({"memory_gb": "8"})),
            &OrderRefs::default(),
            &mut Seq::default(),
        )
        .unwrap_err();
    assert_eq!(
        pairs(&problems),
        expected(&[("requested_for", "approver_missing")])
    );
}

#[test]
fn wire_forms_are_snake_case_and_tagged() {
    let kind = serde_json::to_value(VariableKind::Number {
        min: Some(0.0),
        max: None,
        integer: true,
    })
    .unwrap();
    assert_eq!(
        kind,
        json!({"type": "number", "min": 0.0, "max": null, "integer": true})
    );
    assert_eq!(
        serde_json::to_value(VariableKind::ConfigurationItem).unwrap(),
        json!({"type": "configuration_item"})
    );
    assert_eq!(
        serde_json::to_value(CatalogApproval::Group { group: CAB }).unwrap(),
        json!({"kind": "group", "group": CAB})
    );
    let parent =
        serde_json::to_value(TaskParent::RequestItem(RequestItemId::from_u128(1))).unwrap();
    assert_eq!(
        parent,
        json!({"kind": "request_item", "id": RequestItemId::from_u128(1)})
    );
    let err = serde_json::from_value::<VariableKind>(json!({"type": "colour"})).unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

/// An answer for the laptop's `memory_gb` drawn from good and bad values.
fn memory_answer() -> impl Strategy<Value = Option<serde_json::Value>> {
    prop_oneof![
        Just(None),
        Just(Some(json!("8"))),
        Just(Some(json!("16"))),
        Just(Some(json!("12"))),
        Just(Some(json!(16))),
        Just(Some(serde_json::Value::Null)),
    ]
}

fn monitors_answer() -> impl Strategy<Value = Option<serde_json::Value>> {
    prop_oneof![
        Just(None),
        (-2_i64..6).prop_map(|n| Some(json!(n))),
        (0.0_f64..4.0).prop_map(|x| Some(json!(x))),
    ]
}

proptest! {
    /// An order is placed exactly when its answers and its people pass,
    /// and whatever it makes is valid and linked both ways.
    #[test]
    fn an_order_is_placed_iff_it_is_sound(
        memory in memory_answer(),
        monitors in monitors_answer(),
        quantity in 0_u32..3,
        for_mia in any::<bool>(),
        which in 0_usize..3,
    ) {
        let mut values = serde_json::Map::new();
        if let Some(m) = memory {
            values.insert("memory_gb".into(), m);
        }
        if let Some(m) = monitors {
            values.insert("monitors".into(), m);
        }
        let item = [LAPTOP, RESTART, ACCESS][which];
        let mut o = order(item, serde_json::Value::Object(values));
        o.quantity = quantity;
        if for_mia {
            o.requested_for = Some(MIA);
        }
        let catalog = catalog();
        let directory = directory();
        let cis: HashSet<CiId> = [WEB].into();
        let answers_ok = catalog.item(item).unwrap().check_order(&o.variables, &refs(&directory, &cis)).is_empty();
        let manager_ok = item != LAPTOP || !for_mia;
        let sound = answers_ok && manager_ok && quantity > 0;
        match place(&o) {
            Ok(ordered) => {
                prop_assert!(sound);
                assert_linked(&ordered);
                prop_assert_eq!(ordered.item.quantity, quantity);
                prop_assert_eq!(ordered.change.is_some(), item == RESTART);
            }
            Err(problems) => {
                prop_assert!(!sound, "refused a sound order: {:?}", problems);
                prop_assert!(!problems.is_empty());
            }
        }
    }
}

#[test]
fn whoever_orders_does_not_approve_and_a_null_answer_takes_the_default() {
    // Zed orders production access: the CAB's other members approve.
    let mut o = order(ACCESS, json!({}));
    o.requested_by = ZED;
    let ordered = place(&o).unwrap();
    let approvers: Vec<PersonId> = ordered.item.approvals.iter().map(|a| a.approver).collect();
    assert_eq!(approvers, vec![MIA]);
    // Named approvers: the person ordering may not be one of them.
    let mut c = catalog();
    c.items[2].approval = CatalogApproval::People {
        approvers: vec![MIA, ANN],
    };
    let directory = directory();
    let problems = c
        .order(
            &order(ACCESS, json!({})),
            &OrderRefs {
                directory: Some(&directory),
                configuration_items: None,
            },
            &mut Seq::default(),
        )
        .unwrap_err();
    assert_eq!(
        pairs(&problems),
        expected(&[(
            "catalog_item.approval.approvers[1]",
            "requester_cannot_approve"
        )])
    );
    // Ann's manager is Mia; Mia ordering for Ann may not approve it.
    let mut o = order(LAPTOP, json!({"memory_gb": "8"}));
    o.requested_by = MIA;
    o.requested_for = Some(ANN);
    assert_eq!(
        pairs(&place(&o).unwrap_err()),
        expected(&[("requested_for.manager", "requester_cannot_approve")])
    );
    // `null` is no answer: the default stands.
    let ordered = place(&order(
        LAPTOP,
        json!({"memory_gb": "8", "operating_system": null}),
    ))
    .unwrap();
    assert_eq!(
        ordered.item.variables.get("operating_system"),
        Some(&FieldValue::from("linux"))
    );
}
