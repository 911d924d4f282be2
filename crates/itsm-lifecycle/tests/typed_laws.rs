//! Laws of the typed path, for any sequence of commands on any ITIL record:
//!
//! - the record equals the fold of its own timeline (`Lifecycle::replay`),
//!   after every step and over the whole history;
//! - its audit trail replays, through its workflow, to its state;
//! - the timeline's state changes are exactly the audit entries (same
//!   states, instant, actor and reason), and the timeline is well-formed;
//! - for incidents, known errors, releases, articles and tasks, whose flows and
//!   `itsm-core` rules were written apart, the record never breaks a rule.
//!
//! Commands are drawn at random; those the engine refuses are skipped, as
//! a product would show the refusal and move on.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    ApprovalDecision, Change, CommentVisibility, GroupId, Incident, IncidentId, KnowledgeArticle,
    KnownError, PersonId, PriorityMatrix, Problem, Release, ServiceRequest, Task, Timeline,
    TimelineChange, TimelineEvent,
};
use itsm_lifecycle::{
    ApprovalPolicy, AuditEntry, Input, Lifecycle, LifecycleError, MajorIncidentEvent, Record,
    WorkflowKey,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()
}

/// One random command: what, and three numbers that choose its details.
type Op = (u8, usize, usize, usize);

/// What a record kind offers the random commands.
struct Pool {
    /// Fields an input may carry, with a value.
    fields: Vec<(&'static str, Value)>,
    /// Reasons an event may carry.
    reasons: &'static [&'static str],
    /// Whether every step must leave the record valid by `itsm-core`'s rules.
    keeps_rules: bool,
}

/// An extra command for one record kind (the major-incident flow).
type Extra<R> = dyn Fn(&R, usize, DateTime<Utc>) -> Result<(R, Vec<TimelineEvent>), LifecycleError>;

fn input(pool: &Pool, picks: usize, reason: Option<usize>, guard: bool) -> Input {
    let mut i = Input::new();
    for (k, (field, value)) in pool.fields.iter().enumerate() {
        if picks >> k & 1 == 1 {
            i = i.with_value(*field, value).unwrap();
        }
    }
    if let Some(r) = reason.filter(|_| !pool.reasons.is_empty()) {
        i = i.with_reason(pool.reasons[r % pool.reasons.len()]);
    }
    if guard {
        i = i.with_guard("reanalyze_role");
    }
    i
}

fn law<R: Record>(lc: &Lifecycle<R>, record: R, pool: &Pool, ops: &[Op], extra: Option<&Extra<R>>) {
    let actor = |n: usize| Some(PersonId::from_u128(100 + (n % 3) as u128));
    let opened = lc.open(record, actor(0), t0()).unwrap();
    let mut current = opened.record.clone();
    let mut timeline = opened.timeline.clone();
    let mut audit: Vec<AuditEntry<R::State, R::Event>> = Vec::new();
    for (i, &(what, a, b, c)) in ops.iter().enumerate() {
        let at = t0() + Duration::minutes(i as i64 + 1);
        let who = actor(a + b);
        let outcome = match what % 11 {
            0..=4 => {
                let events = lc.workflow(&current).events();
                let event = events[a % events.len()];
                let reason = (c % 3 != 0).then_some(c);
                lc.apply(
                    &current,
                    event,
                    &input(pool, b, reason, c % 2 == 0),
                    who,
                    at,
                )
                .map(|s| (s.record, s.timeline, s.audit))
            }
            5 => lc
                .update(&current, &input(pool, b, None, false), who, at)
                .map(|s| (s.record, s.timeline, s.audit)),
            6 => lc
                .assign(
                    &current,
                    (a % 2 == 0).then(|| GroupId::from_u128(7)),
                    (b % 2 == 0).then(|| PersonId::from_u128(101)),
                    who,
                    at,
                )
                .map(|s| (s.record, s.timeline, s.audit)),
            7 => lc
                .comment(
                    &current,
                    CommentVisibility::WorkNote,
                    "looked at it",
                    who,
                    at,
                )
                .map(|s| (s.record, s.timeline, s.audit)),
            8 => {
                let approvers: Vec<PersonId> = (0..=a % 3)
                    .map(|k| PersonId::from_u128(11 + k as u128))
                    .collect();
                lc.request_approvals(&current, &approvers, None, who, at)
                    .map(|s| (s.record, s.timeline, s.audit))
            }
            9 => {
                let (decision, comment) = if b % 3 == 0 {
                    (ApprovalDecision::Rejected, Some("no".to_owned()))
                } else {
                    (ApprovalDecision::Approved, None)
                };
                lc.decide(
                    &current,
                    PersonId::from_u128(11 + (a % 3) as u128),
                    decision,
                    comment,
                    at,
                )
                .map(|s| (s.record, s.timeline, s.audit))
            }
            _ => match extra {
                Some(extra) => extra(&current, a, at).map(|(r, t)| (r, t, None)),
                None => continue,
            },
        };
        let Ok((next, events, entry)) = outcome else {
            continue;
        };
        assert_eq!(
            lc.replay(&current, &events).unwrap(),
            next,
            "step {i}: the step's record is not the fold of its timeline {events:#?}"
        );
        if pool.keeps_rules {
            let violations = next.validate();
            assert!(
                violations.is_empty(),
                "step {i} (op {:?}) breaks core rules: {violations:#?}\n{next:#?}",
                ops[i]
            );
        }
        timeline.extend(events);
        audit.extend(entry);
        current = next;
    }
    assert_eq!(
        lc.replay(&opened.record, &timeline).unwrap(),
        current,
        "the record is not the fold of its timeline"
    );
    assert_eq!(
        lc.workflow(&current).replay(&audit).unwrap(),
        &current.state()
    );
    let from_timeline: Vec<_> = timeline
        .iter()
        .filter_map(|e| match &e.change {
            TimelineChange::StateChanged {
                from, to, reason, ..
            } => Some((from.clone(), to.clone(), e.at, e.actor, reason.clone())),
            _ => None,
        })
        .collect();
    let from_audit: Vec<_> = audit
        .iter()
        .map(|a| {
            (
                a.from.wire_name().into_owned(),
                a.to.wire_name().into_owned(),
                a.at,
                a.actor,
                a.reason.clone(),
            )
        })
        .collect();
    assert_eq!(from_timeline, from_audit, "timeline and audit disagree");
    let timeline = Timeline { events: timeline };
    assert_eq!(timeline.validate(), vec![]);
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec((0u8..11, 0usize..64, 0usize..64, 0usize..64), 0..40)
}

fn incident() -> Incident {
    Incident::new(
        IncidentId::from_u128(1),
        "INC0000001".parse().unwrap(),
        PersonId::from_u128(2),
        "VPN drops every hour",
        t0(),
    )
}

fn incident_pool() -> Pool {
    Pool {
        fields: vec![
            ("resolution_code", json!("solution_provided")),
            ("resolution_notes", json!("restarted the concentrator")),
            ("problem", json!("0196300a-0000-7000-8000-00000000b0b0")),
            (
                "change_request",
                json!("0196300a-0000-7000-8000-00000000c0c0"),
            ),
            ("urgency", json!("high")),
            ("impact", json!("medium")),
            ("extensions.vendor_ticket", json!("V-1")),
        ],
        reasons: &[
            "awaiting_caller",
            "awaiting_change",
            "awaiting_problem",
            "awaiting_vendor",
        ],
        keeps_rules: true,
    }
}

fn major(
    i: &Incident,
    a: usize,
    at: DateTime<Utc>,
) -> Result<(Incident, Vec<TimelineEvent>), LifecycleError> {
    let lc = Lifecycle::<Incident>::itil()?;
    let actor = Some(PersonId::from_u128(3));
    match a % 4 {
        0 => lc
            .propose_major(i, actor, at)
            .map(|s| (s.record, s.timeline)),
        n => {
            let event = [
                MajorIncidentEvent::Accept,
                MajorIncidentEvent::Reject,
                MajorIncidentEvent::Cancel,
            ][n - 1];
            lc.apply_major(i, event, actor, at)
                .map(|s| (s.record, s.timeline))
        }
    }
}

fn change() -> Change {
    serde_json::from_value(json!({
        "id": "0196300a-000a-7000-8000-000000003005",
        "number": "CHG0003005",
        "change_type": "normal",
        "short_description": "Add a second DNS server",
        "risk": "moderate",
        "impact": "medium",
        "state": "new",
        "requested_by": "0196300a-0001-7000-8000-000000000004",
        "opened_at": "2026-05-04T09:00:00Z",
        "approval": "not_requested"
    }))
    .unwrap()
}

fn json_record<R: Record>(value: Value) -> R {
    serde_json::from_value(value).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn incidents_are_the_fold_of_their_timeline(ops in ops()) {
        let lc = Lifecycle::<Incident>::itil().unwrap().with_matrix(PriorityMatrix::servicenow());
        law(&lc, incident(), &incident_pool(), &ops, Some(&major));
    }

    #[test]
    fn changes_are_the_fold_of_their_timeline(ops in ops(), kind in 0usize..3, n in 0u32..3) {
        let lc = Lifecycle::<Change>::itil().unwrap().with_policy(ApprovalPolicy::NOfM { required: n });
        let mut c = change();
        c.change_type = ["standard", "normal", "emergency"][kind].parse().unwrap();
        let pool = Pool {
            fields: vec![
                ("planned_start", json!("2026-05-04T18:00:00Z")),
                ("planned_end", json!("2026-05-04T19:00:00Z")),
                ("close_code", json!("successful")),
                ("close_notes", json!("done")),
                ("implementation_plan", json!("build it")),
                ("backout_plan", json!("power it off")),
                ("change_type", json!("emergency")),
                ("priority", json!("p2")),
            ],
            reasons: &[],
            keeps_rules: false,
        };
        law(&lc, c, &pool, &ops, None);
    }

    #[test]
    fn problems_are_the_fold_of_their_timeline(ops in ops()) {
        let lc = Lifecycle::<Problem>::itil().unwrap().with_matrix(PriorityMatrix::servicenow());
        let problem = json_record(json!({
            "id": "0196300a-0000-7000-8000-00000000b0b0",
            "number": "PRB0001042",
            "short_description": "DNS is a single point of failure",
            "impact": "high", "urgency": "medium", "priority": "p2",
            "state": "new", "opened_at": "2026-05-04T09:00:00Z"
        }));
        let pool = Pool {
            fields: vec![
                ("resolution_code", json!("risk_accepted")),
                ("root_cause", json!("one DNS server")),
                ("workaround", json!("restart it elsewhere")),
                ("resolution_code", json!(null)),
                ("urgency", json!("low")),
            ],
            reasons: &[],
            keeps_rules: false,
        };
        law::<Problem>(&lc, problem, &pool, &ops, None);
    }

    #[test]
    fn known_errors_are_the_fold_of_their_timeline(ops in ops()) {
        let lc = Lifecycle::<KnownError>::itil().unwrap();
        let ke = json_record(json!({
            "id": "01958f3c-0008-7001-8001-000000008001",
            "number": "KE0000012",
            "problem": "0196300a-0000-7000-8000-00000000b0b0",
            "title": "Payroll loses DNS",
            "root_cause": "One DNS server.",
            "workaround": "Restart vm-dns-01 elsewhere.",
            "state": "open",
            "created_at": "2026-05-04T09:00:00Z"
        }));
        let pool = Pool {
            fields: vec![("workaround", json!("fail over")), ("symptoms", json!("timeouts"))],
            reasons: &[],
            keeps_rules: true,
        };
        law::<KnownError>(&lc, ke, &pool, &ops, None);
    }

    #[test]
    fn releases_are_the_fold_of_their_timeline(ops in ops()) {
        let lc = Lifecycle::<Release>::itil().unwrap();
        let release = json_record(json!({
            "id": "01958f3c-000b-7001-8001-00000000b001",
            "number": "RLSE0000012",
            "short_description": "March maintenance release",
            "release_type": "minor",
            "state": "planning",
            "opened_at": "2026-05-04T09:00:00Z"
        }));
        let pool = Pool {
            fields: vec![("version", json!("2026.05.1")), ("extensions.train", json!("messaging"))],
            reasons: &[],
            keeps_rules: true,
        };
        law::<Release>(&lc, release, &pool, &ops, None);
    }

    #[test]
    fn requests_are_the_fold_of_their_timeline(ops in ops(), n in 0u32..3) {
        let lc = Lifecycle::<ServiceRequest>::itil().unwrap().with_policy(ApprovalPolicy::NOfM { required: n });
        let request = json_record(json!({
            "id": "01958f3c-000c-7001-8001-00000000c001",
            "number": "REQ0010001",
            "catalog_item": "01958f3c-000d-7001-8001-00000000d001",
            "short_description": "Standard laptop",
            "requested_by": "01958f3c-0001-7001-8001-000000001001",
            "requested_for": "01958f3c-0001-7007-8007-000000001007",
            "state": "submitted",
            "approval": "not_requested",
            "opened_at": "2026-05-04T09:00:00Z"
        }));
        let pool = Pool {
            fields: vec![("quantity", json!(2)), ("due_at", json!("2026-05-11T17:00:00Z"))],
            reasons: &[],
            keeps_rules: false,
        };
        law::<ServiceRequest>(&lc, request, &pool, &ops, None);
    }

    #[test]
    fn articles_are_the_fold_of_their_timeline(ops in ops()) {
        let lc = Lifecycle::<KnowledgeArticle>::itil().unwrap();
        let article = json_record(json!({
            "id": "01958f3c-0009-7001-8001-000000009001",
            "number": "KB0010045",
            "title": "Payroll cannot resolve names",
            "body": "Restart vm-dns-01 on another host.",
            "knowledge_base": "IT",
            "state": "draft",
            "author": "01958f3c-0001-7003-8003-000000001003",
            "created_at": "2026-05-04T09:00:00Z"
        }));
        let pool = Pool {
            fields: vec![("body", json!("Fail over to vm-dns-02.")), ("keywords", json!(["dns", "payroll"]))],
            reasons: &[],
            keeps_rules: true,
        };
        law::<KnowledgeArticle>(&lc, article, &pool, &ops, None);
    }

    #[test]
    fn tasks_are_the_fold_of_their_timeline(ops in ops()) {
        let lc = Lifecycle::<Task>::itil().unwrap();
        let task = json_record(json!({
            "id": "01958f3c-0011-7001-8001-000000011001",
            "number": "TASK0010001",
            "parent": {"kind": "change", "id": "01958f3c-0008-7001-8001-000000008001"},
            "short_description": "Fail over to the secondary concentrator",
            "state": "pending",
            "opened_at": "2026-05-04T09:00:00Z"
        }));
        let pool = Pool {
            fields: vec![
                ("close_notes", json!("Not needed: the secondary was already active.")),
                ("description", json!("Fail over, update, fail back.")),
                ("due_at", json!("2026-05-05T17:00:00Z")),
                ("order", json!(200)),
            ],
            reasons: &[],
            keeps_rules: true,
        };
        law::<Task>(&lc, task, &pool, &ops, None);
    }
}
