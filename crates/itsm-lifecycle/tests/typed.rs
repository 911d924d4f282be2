//! The typed path, one table per record kind: each case opens a record,
//! runs commands, and states what the last command does to the record and
//! which timeline events it writes (or why it is refused). Every case also
//! checks the law that the record equals the fold of its timeline, and that
//! the audit entries replay to its state.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    ApprovalDecision, Change, CommentVisibility, GroupId, Incident, IncidentId, KnowledgeArticle,
    KnownError, MajorIncidentState, PersonId, PriorityMatrix, Problem, RecordState, Release,
    ReleaseState, ServiceRequest, TimelineChange, TimelineEvent, Validate,
};
use itsm_lifecycle::{
    ApprovalPolicy, AuditEntry, Effect, Input, Lifecycle, LifecycleError, MajorIncidentEvent,
    Record, ReleaseEvent, Step,
};
use serde_json::{Value, json};

const ACTOR: PersonId = PersonId::from_u128(0xA);
const GROUP: GroupId = GroupId::from_u128(0x6);
const PROBLEM: &str = "0196300a-0000-7000-8000-00000000b0b0";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()
}

/// The instant of the `i`-th command (the opening is command 0).
fn at(i: usize) -> DateTime<Utc> {
    t0() + Duration::minutes(i as i64)
}

fn person(n: u128) -> PersonId {
    PersonId::from_u128(n)
}

/// One command of a case.
#[derive(Clone, Debug)]
enum Cmd {
    /// An event and its input: `r:reason g:guard f:key=value`, where a value
    /// that is not JSON is a string.
    Ev(&'static str, &'static str),
    /// An edit without an event, with the same input spec.
    Edit(&'static str),
    /// A public comment.
    Comment(&'static str),
    /// Assign to the group `GROUP` and the actor.
    Assign,
    /// Ask these approvers.
    Ask(&'static [u128]),
    /// This approver approves.
    Approve(u128),
    /// This approver rejects, with a comment.
    Reject(u128),
}
use Cmd::{Approve, Ask, Assign, Comment, Edit, Ev, Reject};

/// What the last command should do.
#[derive(Debug)]
enum Expect {
    /// Succeed: these fields of the record (JSON), these timeline events
    /// (see `render`), and whether the record then breaks no core rule.
    Ok {
        fields: &'static [(&'static str, &'static str)],
        timeline: &'static [&'static str],
        valid: bool,
    },
    /// Fail with an error whose message contains this.
    Err(&'static str),
}

fn input(spec: &str) -> Input {
    spec.split_whitespace().fold(Input::new(), |i, token| {
        match token.split_once(':').expect("token is x:…") {
            ("r", r) => i.with_reason(r),
            ("g", g) => i.with_guard(g),
            // A comment: `c:public=text` or `c:work_note=text` (`_` for a space).
            ("c", vt) => {
                let (v, t) = vt.split_once('=').expect("c:visibility=text");
                i.with_comment(v.parse().expect("a visibility"), t.replace('_', " "))
            }
            ("f", kv) => {
                let (k, v) = kv.split_once('=').expect("f:key=value");
                let v: Value = serde_json::from_str(v).unwrap_or_else(|_| Value::String(v.into()));
                i.with_value(k, &v).unwrap()
            }
            other => panic!("bad input token {other:?}"),
        }
    })
}

/// A timeline event as a short string; an instant equal to the command's
/// is `@`, the actor is `actor`; arrays are their length.
fn render(e: &TimelineEvent, at: DateTime<Utc>) -> String {
    let v = |x: &itsm_core::FieldValue| {
        let j = serde_json::to_value(x).unwrap();
        if j == serde_json::to_value(at).unwrap() {
            "@".to_owned()
        } else if j == serde_json::to_value(ACTOR).unwrap() {
            "actor".to_owned()
        } else if let Value::Array(a) = j {
            format!("[{}]", a.len())
        } else {
            j.to_string()
        }
    };
    match &e.change {
        TimelineChange::Created { state, .. } => format!("created:{state}"),
        TimelineChange::StateChanged {
            from, to, reason, ..
        } => match reason {
            Some(r) => format!("state:{from}>{to}:{r}"),
            None => format!("state:{from}>{to}"),
        },
        TimelineChange::PriorityChanged { from, to } => {
            format!(
                "priority:{}>{to}",
                from.map_or("-".into(), |p| p.to_string())
            )
        }
        TimelineChange::AssignmentChanged { .. } => "assignment".to_owned(),
        TimelineChange::FieldChanged { field, to, .. } => format!("field:{field}={}", v(to)),
        TimelineChange::CommentAdded { visibility, .. } => format!("comment:{visibility}"),
        other => format!("{other:?}"),
    }
}

/// Runs one command.
fn run_cmd<R: Record>(
    lc: &Lifecycle<R>,
    record: &R,
    cmd: &Cmd,
    at: DateTime<Utc>,
) -> Result<Step<R>, LifecycleError> {
    let actor = Some(ACTOR);
    match cmd {
        Ev(event, spec) => {
            let event: R::Event = serde_json::from_value(json!(event)).expect("an event name");
            lc.apply(record, event, &input(spec), actor, at)
        }
        Edit(spec) => lc.update(record, &input(spec), actor, at),
        Comment(text) => lc.comment(record, CommentVisibility::Public, *text, actor, at),
        Assign => lc.assign(record, Some(GROUP), actor, actor, at),
        Ask(who) => {
            let who: Vec<PersonId> = who.iter().map(|n| person(*n)).collect();
            lc.request_approvals(record, &who, None, actor, at)
        }
        Approve(who) => lc.decide(record, person(*who), ApprovalDecision::Approved, None, at),
        Reject(who) => lc.decide(
            record,
            person(*who),
            ApprovalDecision::Rejected,
            Some("not this week".into()),
            at,
        ),
    }
}

/// Opens `record`, runs the commands, and compares the last one with the
/// expectation; a failure prints the case, the expected and the actual.
fn check<R: Record>(lc: &Lifecycle<R>, record: &R, (name, cmds, expect): &(&str, &[Cmd], Expect)) {
    let opened = lc.open(record.clone(), Some(ACTOR), at(0)).expect("opens");
    let mut current = opened.record.clone();
    let mut timeline = opened.timeline.clone();
    let mut audit: Vec<AuditEntry<R::State, R::Event>> = Vec::new();
    let (last, prefix) = cmds.split_last().expect("a case has commands");
    for (i, cmd) in prefix.iter().enumerate() {
        let step = run_cmd(lc, &current, cmd, at(i + 1))
            .unwrap_or_else(|e| panic!("case {name:?}: command {i} {cmd:?} failed: {e}"));
        timeline.extend(step.timeline);
        audit.extend(step.audit);
        current = step.record;
    }
    let at_last = at(cmds.len());
    let actual = run_cmd(lc, &current, last, at_last);
    match (expect, actual) {
        (
            Expect::Ok {
                fields,
                timeline: want,
                valid,
            },
            Ok(step),
        ) => {
            let got: Vec<String> = step.timeline.iter().map(|e| render(e, at_last)).collect();
            assert_eq!(got, *want, "case {name:?}: the timeline of {last:?}");
            let obj = serde_json::to_value(&step.record).unwrap();
            for (field, value) in *fields {
                let want: Value = serde_json::from_str(value).unwrap();
                let got = field.split('.').fold(&obj, |o, k| {
                    match k.parse::<usize>() {
                        Ok(i) => o.get(i),
                        Err(_) => o.get(k),
                    }
                    .unwrap_or(&Value::Null)
                });
                assert_eq!(got, &want, "case {name:?}: field {field}");
            }
            let violations = step.record.validate();
            assert_eq!(
                violations.is_empty(),
                *valid,
                "case {name:?}: core rules: {violations:#?}"
            );
            timeline.extend(step.timeline);
            audit.extend(step.audit);
            let record = step.record;
            // The law: the record is the fold of its own timeline …
            assert_eq!(
                lc.replay(&opened.record, &timeline).unwrap(),
                record,
                "case {name:?}: the record is not the fold of its timeline"
            );
            // … its audit trail replays to its state, and agrees with the timeline.
            assert_eq!(
                lc.workflow(&record).replay(&audit).unwrap(),
                &record.state(),
                "case {name:?}: audit replay"
            );
            let states: Vec<(String, String)> = timeline
                .iter()
                .filter_map(|e| match &e.change {
                    TimelineChange::StateChanged { from, to, .. } => {
                        Some((from.clone(), to.clone()))
                    }
                    _ => None,
                })
                .collect();
            let audited: Vec<(String, String)> = audit
                .iter()
                .map(|a| (a.from.name().to_owned(), a.to.name().to_owned()))
                .collect();
            assert_eq!(states, audited, "case {name:?}: timeline and audit");
        }
        (Expect::Err(want), Err(e)) => assert!(
            e.to_string().contains(want),
            "case {name:?}: expected an error containing {want:?}, got: {e}"
        ),
        (expect, actual) => {
            panic!("case {name:?}: {last:?}\nexpected: {expect:?}\nactual:   {actual:?}")
        }
    }
}

type Case = (&'static str, &'static [Cmd], Expect);

const fn ok(
    fields: &'static [(&'static str, &'static str)],
    timeline: &'static [&'static str],
) -> Expect {
    Expect::Ok {
        fields,
        timeline,
        valid: true,
    }
}

fn incident() -> Incident {
    Incident::new(
        IncidentId::from_u128(1),
        "INC0000001".parse().unwrap(),
        person(2),
        "VPN drops every hour",
        t0(),
    )
}

const RESOLVE: Cmd = Ev(
    "resolve",
    "f:resolution_code=solution_provided f:resolution_notes=restarted",
);

#[test]
fn incident_table() {
    let lc = Lifecycle::<Incident>::itil()
        .unwrap()
        .with_matrix(PriorityMatrix::servicenow());
    let cases: &[Case] = &[
        (
            "start",
            &[Ev("start", "")],
            ok(&[("state", "\"in_progress\"")], &["state:new>in_progress"]),
        ),
        (
            "hold needs a reason",
            &[Ev("hold", "")],
            Expect::Err("a reason is required"),
        ),
        (
            "hold sets the on-hold reason",
            &[Ev("hold", "r:awaiting_vendor")],
            ok(
                &[("on_hold_reason", "\"awaiting_vendor\"")],
                &[
                    "state:new>on_hold:awaiting_vendor",
                    "field:on_hold_reason=\"awaiting_vendor\"",
                ],
            ),
        ),
        (
            "awaiting a problem needs the problem",
            &[Ev("hold", "r:awaiting_problem")],
            Expect::Err("\"problem\" is missing"),
        ),
        (
            "the problem given with the event satisfies the hold",
            &[Ev(
                "hold",
                "r:awaiting_problem f:problem=0196300a-0000-7000-8000-00000000b0b0",
            )],
            ok(
                &[("problem", "\"0196300a-0000-7000-8000-00000000b0b0\"")],
                &[
                    "field:problem=\"0196300a-0000-7000-8000-00000000b0b0\"",
                    "state:new>on_hold:awaiting_problem",
                    "field:on_hold_reason=\"awaiting_problem\"",
                ],
            ),
        ),
        (
            "holding for the caller records the question to the caller before the state change",
            &[Ev("hold", "r:awaiting_caller c:public=Which_VPN_client?")],
            ok(
                &[
                    ("state", "\"on_hold\""),
                    ("on_hold_reason", "\"awaiting_caller\""),
                ],
                &[
                    "comment:public",
                    "state:new>on_hold:awaiting_caller",
                    "field:on_hold_reason=\"awaiting_caller\"",
                ],
            ),
        ),
        (
            "holding for the caller without a question to the caller is refused",
            &[Ev("hold", "r:awaiting_caller c:work_note=asked_by_phone")],
            Expect::Err("reason \"awaiting_caller\" needs a public comment (to the caller)"),
        ),
        (
            "a blank comment is refused",
            &[Ev("start", "c:public=_")],
            Expect::Err("a public comment needs text"),
        ),
        (
            "a comment may come with any event or edit",
            &[Ev("start", "c:work_note=on_it")],
            ok(
                &[("state", "\"in_progress\"")],
                &["comment:work_note", "state:new>in_progress"],
            ),
        ),
        (
            "a caller update resumes an incident awaiting the caller",
            &[
                Ev("hold", "r:awaiting_caller c:public=Which_VPN_client?"),
                Ev("caller_updated", ""),
            ],
            ok(
                &[("state", "\"in_progress\""), ("on_hold_reason", "null")],
                &["state:on_hold>in_progress", "field:on_hold_reason=null"],
            ),
        ),
        (
            "a caller update does not move an incident awaiting a vendor",
            &[Ev("hold", "r:awaiting_vendor"), Ev("caller_updated", "")],
            Expect::Err("guard \"awaiting_caller\" refused"),
        ),
        (
            "resolve without a code lists both missing fields",
            &[Ev("start", ""), Ev("resolve", "")],
            Expect::Err(
                "required field \"resolution_code\" is missing; required field \"resolution_notes\" is missing",
            ),
        ),
        (
            "resolve with the code and notes of the input",
            &[Ev("start", ""), RESOLVE],
            ok(
                &[
                    ("state", "\"resolved\""),
                    ("resolved_at", "\"2026-05-04T09:02:00Z\""),
                ],
                &[
                    "field:resolution_code=\"solution_provided\"",
                    "field:resolution_notes=\"restarted\"",
                    "state:in_progress>resolved",
                    "field:resolved_at=@",
                    "field:resolved_by=actor",
                ],
            ),
        ),
        (
            "resolving from on hold clears the reason",
            &[Ev("hold", "r:awaiting_vendor"), RESOLVE],
            ok(
                &[("on_hold_reason", "null")],
                &[
                    "field:resolution_code=\"solution_provided\"",
                    "field:resolution_notes=\"restarted\"",
                    "state:on_hold>resolved",
                    "field:on_hold_reason=null",
                    "field:resolved_at=@",
                    "field:resolved_by=actor",
                ],
            ),
        ),
        (
            "reopen counts and clears the resolution",
            &[Ev("start", ""), RESOLVE, Ev("reopen", "")],
            ok(
                &[
                    ("reopen_count", "1"),
                    ("resolved_at", "null"),
                    ("resolved_by", "null"),
                ],
                &[
                    "state:resolved>in_progress",
                    "field:last_reopened_at=@",
                    "field:last_reopened_by=actor",
                    "field:reopen_count=1",
                    "field:resolved_at=null",
                    "field:resolved_by=null",
                ],
            ),
        ),
        (
            "close sets closed_at and closed_by",
            &[RESOLVE, Ev("close", "")],
            ok(
                &[("state", "\"closed\"")],
                &[
                    "state:resolved>closed",
                    "field:closed_at=@",
                    "field:closed_by=actor",
                ],
            ),
        ),
        (
            "a closed incident is final",
            &[RESOLVE, Ev("close", ""), Ev("reopen", "")],
            Expect::Err("is terminal"),
        ),
        (
            "impact and urgency derive the priority",
            &[Edit("f:impact=high f:urgency=high")],
            ok(
                &[("priority", "\"p1\"")],
                &[
                    "field:impact=\"high\"",
                    "priority:p5>p1",
                    "field:urgency=\"high\"",
                ],
            ),
        ),
        (
            "the priority cannot be edited when the matrix derives it",
            &[Edit("f:priority=p1")],
            Expect::Err("derived from impact and urgency"),
        ),
        (
            "a timestamp the workflow sets cannot be edited",
            &[Edit("f:resolved_at=2026-05-04T10:00:00Z")],
            Expect::Err("the workflow sets it"),
        ),
        (
            "the state cannot be edited",
            &[Edit("f:state=closed")],
            Expect::Err("only through events"),
        ),
        (
            "the major-incident state cannot be edited",
            &[Edit("f:major_incident_state=accepted")],
            Expect::Err("major-incident flow"),
        ),
        (
            "a misspelt field is refused",
            &[Edit("f:resolution_cdoe=x")],
            Expect::Err("an incident has no such field"),
        ),
        (
            "a value of the wrong type is refused with its path",
            &[Edit("f:impact=enormous")],
            Expect::Err("invalid JSON at impact"),
        ),
        (
            "a reason without an event is refused",
            &[Edit("r:awaiting_vendor")],
            Expect::Err("a reason comes with an event"),
        ),
        (
            "a custom field",
            &[Edit("f:extensions.vendor_ticket=V-1")],
            ok(
                &[("extensions.vendor_ticket", "\"V-1\"")],
                &["field:vendor_ticket=\"V-1\""],
            ),
        ),
        (
            "a custom field may not shadow a field of the record",
            &[Edit("f:extensions.priority=p1")],
            Expect::Err("named like a field of the record"),
        ),
        (
            "a custom field cleared",
            &[
                Edit("f:extensions.vendor_ticket=V-1"),
                Edit("f:extensions.vendor_ticket=null"),
            ],
            ok(
                &[("extensions.vendor_ticket", "null")],
                &["field:vendor_ticket=null"],
            ),
        ),
        (
            "an assignment",
            &[Assign],
            ok(
                &[("assigned_to", "\"00000000-0000-0000-0000-00000000000a\"")],
                &["assignment"],
            ),
        ),
        (
            "an edit that changes nothing writes nothing",
            &[Edit("f:impact=low")],
            ok(&[("impact", "\"low\"")], &[]),
        ),
        (
            "a comment changes nothing but the timeline",
            &[Comment("called the user back")],
            ok(&[("state", "\"new\"")], &["comment:public"]),
        ),
        (
            "a blank comment is refused",
            &[Comment("  ")],
            Expect::Err("needs text"),
        ),
        (
            "approvals are not an incident's",
            &[Ask(&[11])],
            Expect::Err("an incident has no approvals"),
        ),
    ];
    for case in cases {
        check(&lc, &incident(), case);
    }
}

#[test]
fn opening_stamps_the_instant_and_writes_created() {
    let lc = Lifecycle::<Incident>::itil()
        .unwrap()
        .with_matrix(PriorityMatrix::servicenow());
    let mut i = incident();
    i.impact = itsm_core::Impact::High;
    i.urgency = itsm_core::Urgency::Medium;
    i.assignment_group = Some(GROUP);
    let opened = lc.open(i, Some(ACTOR), at(5)).unwrap();
    assert_eq!(opened.record.opened_at, at(5));
    assert_eq!(opened.record.priority, itsm_core::Priority::P2);
    assert_eq!(
        opened.timeline,
        vec![TimelineEvent {
            at: at(5),
            actor: Some(ACTOR),
            change: TimelineChange::Created {
                record_kind: itsm_core::RecordKind::Incident,
                state: "new".into(),
                category: itsm_core::StateCategory::New,
                priority: Some(itsm_core::Priority::P2),
                assignment_group: Some(GROUP),
                assignee: None,
            },
        }]
    );
    let mut started = incident();
    started.state = itsm_core::IncidentState::InProgress;
    let err = lc.open(started, None, at(0)).unwrap_err();
    assert!(err.to_string().contains("opens in state \"new\""), "{err}");
}

#[test]
fn the_major_incident_flow_on_an_incident() {
    let lc = Lifecycle::<Incident>::itil().unwrap();
    let opened = lc.open(incident(), Some(ACTOR), at(0)).unwrap();
    let not_proposed = lc.apply_major(&opened.record, MajorIncidentEvent::Accept, None, at(1));
    assert!(
        not_proposed
            .unwrap_err()
            .to_string()
            .contains("allowed: propose")
    );

    let proposed = lc
        .propose_major(&opened.record, Some(ACTOR), at(1))
        .unwrap();
    assert_eq!(
        proposed.record.major_incident_state,
        Some(MajorIncidentState::Proposed)
    );
    let accepted = lc
        .apply_major(
            &proposed.record,
            MajorIncidentEvent::Accept,
            Some(ACTOR),
            at(2),
        )
        .unwrap();
    assert_eq!(
        accepted.audit.as_ref().map(|a| a.to),
        Some(MajorIncidentState::Accepted)
    );
    assert!(lc.propose_major(&accepted.record, None, at(3)).is_err());
    // Cancelling the incident cancels the accepted major incident with it.
    let cancelled = lc
        .apply(
            &accepted.record,
            itsm_lifecycle::IncidentEvent::Cancel,
            &Input::new(),
            Some(ACTOR),
            at(3),
        )
        .unwrap();
    assert_eq!(
        cancelled.record.major_incident_state,
        Some(MajorIncidentState::Canceled)
    );
    assert!(
        cancelled.record.validate().is_empty(),
        "{:#?}",
        cancelled.record.validate()
    );
    let rendered: Vec<String> = [&proposed, &cancelled]
        .iter()
        .flat_map(|s| s.timeline.iter().map(|e| render(e, e.at)))
        .chain(accepted.timeline.iter().map(|e| render(e, e.at)))
        .collect();
    assert_eq!(
        rendered,
        [
            // Who proposed it, and when.
            "field:major_incident_proposed_at=@",
            "field:major_incident_proposed_by=actor",
            "field:major_incident_state=\"proposed\"",
            "state:new>canceled",
            "field:major_incident_state=\"canceled\"",
            // Who decided, and when.
            "field:major_incident_decided_at=@",
            "field:major_incident_decided_by=actor",
            "field:major_incident_state=\"accepted\"",
        ]
    );
    assert_eq!(accepted.record.major_incident_decided_at, Some(at(2)));
    assert_eq!(accepted.record.major_incident_proposed_at, Some(at(1)));
    let timeline: Vec<TimelineEvent> = [
        opened.timeline,
        proposed.timeline,
        accepted.timeline,
        cancelled.timeline,
    ]
    .concat();
    assert_eq!(
        lc.replay(&opened.record, &timeline).unwrap(),
        cancelled.record
    );
}

fn change(change_type: &str) -> Change {
    serde_json::from_value(json!({
        "id": "0196300a-000a-7000-8000-000000003005",
        "number": "CHG0003005",
        "change_type": change_type,
        "short_description": "Add a second DNS server",
        "risk": "moderate",
        "impact": "medium",
        "state": "new",
        "requested_by": "0196300a-0001-7000-8000-000000000004",
        "opened_at": "2026-05-04T09:00:00Z",
        "implementation_plan": "Build vm-dns-02.",
        "backout_plan": "Power it off.",
        "approval": "not_requested"
    }))
    .unwrap()
}

const WINDOW: &str = "f:planned_start=2026-05-04T18:00:00Z f:planned_end=2026-05-04T19:00:00Z";

#[test]
fn change_table() {
    let lc = Lifecycle::<Change>::itil()
        .unwrap()
        .with_policy(ApprovalPolicy::NOfM { required: 2 });
    let to_authorize = [
        Ev("assess", ""),
        Ev("request_authorization", ""),
        Ask(&[11, 12, 13]),
    ];
    let cases: Vec<(&str, Vec<Cmd>, Expect)> = vec![
        (
            "asking the CAB makes the approval requested",
            to_authorize.into(),
            ok(
                &[("approval", "\"requested\"")],
                &["field:approval=\"requested\"", "field:approvals=[3]"],
            ),
        ),
        (
            "one approval of two is not enough",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12, 13]),
                Approve(11),
                Ev("schedule", WINDOW),
            ]
            .into(),
            Expect::Err("guard \"approved\" refused"),
        ),
        (
            "authorised after two approvals: the summary is approved, and the change valid",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12, 13]),
                Approve(11),
                Approve(12),
                Ev("schedule", WINDOW),
            ]
            .into(),
            ok(
                &[("state", "\"scheduled\""), ("approval", "\"approved\"")],
                &[
                    "field:planned_end=\"2026-05-04T19:00:00Z\"",
                    "field:planned_start=\"2026-05-04T18:00:00Z\"",
                    "state:authorize>scheduled",
                ],
            ),
        ),
        (
            "the second approval turns the summary to approved",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12, 13]),
                Approve(11),
                Approve(12),
            ]
            .into(),
            ok(
                &[("approval", "\"approved\"")],
                &["field:approval=\"approved\"", "field:approvals=[3]"],
            ),
        ),
        (
            "a rejection rejects, and rejecting cancels the pending approvals",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12, 13]),
                Reject(11),
                Ev("reject", ""),
            ]
            .into(),
            ok(
                &[
                    ("state", "\"new\""),
                    ("approval", "\"rejected\""),
                    ("approvals.1.decision", "\"canceled\""),
                ],
                &["state:authorize>new", "field:approvals=[3]"],
            ),
        ),
        (
            "scheduling needs the planned window",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12]),
                Approve(11),
                Approve(12),
                Ev("schedule", ""),
            ]
            .into(),
            Expect::Err(
                "required field \"planned_start\" is missing; required field \"planned_end\" is missing",
            ),
        ),
        (
            "implementing and reviewing record the actual window",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12]),
                Approve(11),
                Approve(12),
                Ev("schedule", WINDOW),
                Ev("implement", ""),
                Ev("review", ""),
            ]
            .into(),
            ok(
                &[
                    ("actual_start", "\"2026-05-04T09:07:00Z\""),
                    ("actual_end", "\"2026-05-04T09:08:00Z\""),
                ],
                &["state:implement>review", "field:actual_end=@"],
            ),
        ),
        (
            "closing with the close code and notes",
            [
                Ev("assess", ""),
                Ev("request_authorization", ""),
                Ask(&[11, 12]),
                Approve(11),
                Approve(12),
                Ev("schedule", WINDOW),
                Ev("implement", ""),
                Ev("review", ""),
                Ev("close", "f:close_code=successful f:close_notes=done"),
            ]
            .into(),
            ok(
                &[("state", "\"closed\"")],
                &[
                    "field:close_code=\"successful\"",
                    "field:close_notes=\"done\"",
                    "state:review>closed",
                    "field:closed_at=@",
                ],
            ),
        ),
        (
            "the type may not change once approvals are asked",
            [
                Ev("assess", ""),
                Ask(&[11]),
                Edit("f:change_type=emergency"),
            ]
            .into(),
            Expect::Err("change type may not change"),
        ),
        (
            "the type may change while new without approvals, and the flow follows",
            [
                Edit("f:change_type=emergency"),
                Ev("request_authorization", ""),
            ]
            .into(),
            ok(&[("state", "\"authorize\"")], &["state:new>authorize"]),
        ),
        (
            "the approval summary cannot be edited",
            [Edit("f:approval=approved")].into(),
            Expect::Err("derived from the approvals"),
        ),
        (
            "a decision from someone not asked is refused",
            [Ask(&[11]), Approve(12)].into(),
            Expect::Err("has no approval waiting"),
        ),
    ];
    for (name, cmds, expect) in cases {
        check(&lc, &change("normal"), &(name, cmds.as_slice(), expect));
    }
    let standard: &[Case] = &[
        (
            "a standard change has no assess",
            &[Ev("assess", "")],
            Expect::Err("not allowed in state \"new\" (allowed: schedule, cancel)"),
        ),
        (
            "a standard change is scheduled without approval and stays valid",
            &[Ev("schedule", WINDOW)],
            ok(
                &[
                    ("state", "\"scheduled\""),
                    ("approval", "\"not_requested\""),
                ],
                &[
                    "field:planned_end=\"2026-05-04T19:00:00Z\"",
                    "field:planned_start=\"2026-05-04T18:00:00Z\"",
                    "state:new>scheduled",
                ],
            ),
        ),
    ];
    for case in standard {
        check(&lc, &change("standard"), case);
    }
}

fn problem() -> Problem {
    serde_json::from_value(json!({
        "id": PROBLEM,
        "number": "PRB0001042",
        "short_description": "DNS is a single point of failure",
        "impact": "high",
        "urgency": "medium",
        "priority": "p2",
        "state": "new",
        "opened_at": "2026-05-04T09:00:00Z"
    }))
    .unwrap()
}

const FIXED: &str = "f:resolution_code=fix_applied f:fix_notes=second_server";

#[test]
fn problem_table() {
    let lc = Lifecycle::<Problem>::itil().unwrap();
    let cases: &[Case] = &[
        (
            "assess, analyse, fix with the root cause",
            &[
                Ev("assess", ""),
                Ev("analyze", ""),
                Ev("start_fix", "f:root_cause=one_server"),
            ],
            ok(
                &[("state", "\"fix_in_progress\"")],
                &[
                    "field:root_cause=\"one_server\"",
                    "state:root_cause_analysis>fix_in_progress",
                ],
            ),
        ),
        (
            "resolving leaves the waiting incidents to the caller",
            &[
                Ev("assess", ""),
                Ev("analyze", ""),
                Ev("start_fix", "f:root_cause=one_server"),
                Ev("resolve", FIXED),
            ],
            ok(
                &[
                    ("state", "\"resolved\""),
                    ("resolved_by", "\"00000000-0000-0000-0000-00000000000a\""),
                ],
                &[
                    "field:fix_notes=\"second_server\"",
                    "field:resolution_code=\"fix_applied\"",
                    "state:fix_in_progress>resolved",
                    "field:resolved_at=@",
                    "field:resolved_by=actor",
                ],
            ),
        ),
        (
            "re-analysis needs the role",
            &[
                Ev("resolve", "f:resolution_code=risk_accepted"),
                Ev("close", ""),
                Ev("reanalyze", ""),
            ],
            Expect::Err("guard \"reanalyze_role\" refused"),
        ),
        (
            "re-analysis with the role clears the resolution times",
            &[
                Ev("resolve", "f:resolution_code=risk_accepted"),
                Ev("close", ""),
                Ev("reanalyze", "g:reanalyze_role f:resolution_code=null"),
            ],
            ok(
                &[("state", "\"root_cause_analysis\""), ("closed_at", "null")],
                &[
                    "field:resolution_code=null",
                    "state:closed>root_cause_analysis",
                    "field:closed_at=null",
                    "field:resolved_at=null",
                    "field:resolved_by=null",
                ],
            ),
        ),
    ];
    for case in cases {
        check(&lc, &problem(), case);
    }
    let opened = lc.open(problem(), None, at(0)).unwrap();
    let resolved = lc
        .apply(
            &opened.record,
            itsm_lifecycle::ProblemEvent::Resolve,
            &input("f:resolution_code=risk_accepted"),
            None,
            at(1),
        )
        .unwrap();
    assert_eq!(
        resolved.follow_ups,
        vec![Effect::ResolveIncidentsAwaitingProblem]
    );
}

#[test]
fn known_error_table() {
    let lc = Lifecycle::<KnownError>::itil().unwrap();
    let ke: KnownError = serde_json::from_value(json!({
        "id": "01958f3c-0008-7001-8001-000000008001",
        "number": "KE0000012",
        "problem": PROBLEM,
        "title": "Payroll loses DNS when esx-a-04 fails",
        "root_cause": "One DNS server.",
        "workaround": "Restart vm-dns-01 elsewhere.",
        "state": "open",
        "created_at": "2026-05-04T09:00:00Z"
    }))
    .unwrap();
    let cases: &[Case] = &[
        (
            "fix",
            &[Ev("fix", "")],
            ok(
                &[("state", "\"fixed\"")],
                &["state:open>fixed", "field:fixed_at=@"],
            ),
        ),
        (
            "reopen clears the fix",
            &[Ev("fix", ""), Ev("reopen", "")],
            ok(
                &[("fixed_at", "null")],
                &["state:fixed>open", "field:fixed_at=null"],
            ),
        ),
        (
            "retire",
            &[Ev("fix", ""), Ev("retire", "")],
            ok(&[("state", "\"retired\"")], &["state:fixed>retired"]),
        ),
        (
            "the workaround is edited, and recorded",
            &[Edit("f:workaround=Fail_over")],
            ok(
                &[("workaround", "\"Fail_over\"")],
                &["field:workaround=\"Fail_over\""],
            ),
        ),
        (
            "a known error has no assignment",
            &[Assign],
            Expect::Err("a known error has no such field"),
        ),
    ];
    for case in cases {
        check(&lc, &ke, case);
    }
}

#[test]
fn release_table() {
    let lc = Lifecycle::<Release>::itil().unwrap();
    let release: Release = serde_json::from_value(json!({
        "id": "01958f3c-000b-7001-8001-00000000b001",
        "number": "RLSE0000012",
        "short_description": "March maintenance release",
        "release_type": "minor",
        "state": "planning",
        "opened_at": "2026-05-04T09:00:00Z"
    }))
    .unwrap();
    let mut with_change = release.clone();
    with_change.changes = vec![itsm_core::ChangeId::from_u128(0xc4a)];
    let path = [
        Ev("build", ""),
        Ev("test", ""),
        Ev("deploy", ""),
        Ev("review", ""),
        Ev("close", ""),
    ];
    let cases: Vec<(&str, Vec<Cmd>, Expect)> = vec![
        (
            "rework",
            [Ev("build", ""), Ev("test", ""), Ev("rework", "")].into(),
            ok(&[("state", "\"build\"")], &["state:test>build"]),
        ),
        (
            "deploy starts the window",
            path[..3].to_vec(),
            ok(&[], &["state:test>deploy", "field:actual_start=@"]),
        ),
        (
            "review ends it, and the release is valid",
            path[..4].to_vec(),
            ok(&[], &["state:deploy>review", "field:actual_end=@"]),
        ),
        (
            "close",
            path.to_vec(),
            ok(
                &[("closed_at", "\"2026-05-04T09:05:00Z\"")],
                &["state:review>closed", "field:closed_at=@"],
            ),
        ),
        (
            "a release holding a change needs the caller to vouch for its approval",
            [Ev("build", "")].into(),
            Expect::Err("guard \"changes_approved\" refused"),
        ),
        (
            "no cancel once deployed",
            [
                Ev("build", ""),
                Ev("test", ""),
                Ev("deploy", ""),
                Ev("cancel", ""),
            ]
            .into(),
            Expect::Err("not allowed"),
        ),
    ];
    for (name, cmds, expect) in cases {
        let held = name.starts_with("a release holding");
        let release = if held { &with_change } else { &release };
        check(&lc, release, &(name, cmds.as_slice(), expect));
    }
    // Vouched for, the release is deployed with its changes, and a failed
    // deployment backs them out: both are left to the caller, who holds
    // the changes.
    let opened = lc.open(with_change.clone(), None, at(0)).unwrap().record;
    let vouched = Input::new().with_guard("changes_approved");
    let built = lc
        .apply(&opened, ReleaseEvent::Build, &vouched, None, at(1))
        .unwrap()
        .record;
    let tested = lc
        .apply(&built, ReleaseEvent::Test, &Input::new(), None, at(2))
        .unwrap()
        .record;
    let deployed = lc
        .apply(&tested, ReleaseEvent::Deploy, &vouched, None, at(3))
        .unwrap();
    assert_eq!(deployed.follow_ups, [Effect::ImplementReleaseChanges]);
    let failed = lc
        .apply(
            &deployed.record,
            ReleaseEvent::BackOut,
            &Input::new(),
            None,
            at(4),
        )
        .unwrap();
    assert_eq!(failed.follow_ups, [Effect::BackOutReleaseChanges]);
    assert_eq!(failed.record.state, ReleaseState::Build);
}

/// A request opened with its due date puts the date on the timeline at its
/// opening, so an SLA goal on the record's own due date starts with it; a
/// request without one writes only `created`.
#[test]
fn a_due_date_given_at_opening_is_on_the_timeline() {
    let lc = Lifecycle::<ServiceRequest>::itil().unwrap();
    let base = json!({
        "id": "01958f3c-000c-7001-8001-00000000c001",
        "number": "REQ0010001",
        "catalog_item": "01958f3c-000d-7001-8001-00000000d001",
        "short_description": "Standard laptop",
        "requested_by": "01958f3c-0001-7001-8001-000000001001",
        "requested_for": "01958f3c-0001-7007-8007-000000001007",
        "state": "submitted",
        "approval": "not_requested",
        "opened_at": "2026-05-04T09:00:00Z"
    });
    let mut with_due = base.clone();
    with_due["due_at"] = json!("2026-05-08T17:00:00Z");
    for (request, expected) in [
        (base, vec!["created:submitted"]),
        (
            with_due,
            vec!["created:submitted", "field:due_at=\"2026-05-08T17:00:00Z\""],
        ),
    ] {
        let request: ServiceRequest = serde_json::from_value(request).unwrap();
        let opened = lc.open(request, Some(ACTOR), at(0)).unwrap();
        let rendered: Vec<String> = opened.timeline.iter().map(|e| render(e, at(0))).collect();
        assert_eq!(rendered, expected);
        // The record is still the fold of its own events.
        assert_eq!(
            lc.replay(&opened.record, &opened.timeline[1..]).unwrap(),
            opened.record
        );
    }
}

#[test]
fn service_request_table() {
    let lc = Lifecycle::<ServiceRequest>::itil().unwrap();
    let request: ServiceRequest = serde_json::from_value(json!({
        "id": "01958f3c-000c-7001-8001-00000000c001",
        "number": "REQ0010001",
        "catalog_item": "01958f3c-000d-7001-8001-00000000d001",
        "short_description": "Standard laptop",
        "requested_by": "01958f3c-0001-7001-8001-000000001001",
        "requested_for": "01958f3c-0001-7007-8007-000000001007",
        "state": "submitted",
        "approval": "not_requested",
        "opened_at": "2026-05-04T09:00:00Z"
    }))
    .unwrap();
    let cases: &[Case] = &[
        (
            "approved by the manager, then fulfilled",
            &[
                Ask(&[21]),
                Ev("request_approval", ""),
                Approve(21),
                Ev("approve", ""),
                Ev("fulfil", ""),
                Ev("complete", ""),
            ],
            ok(
                &[
                    ("state", "\"closed_complete\""),
                    ("approval", "\"approved\""),
                ],
                &["state:fulfilment>closed_complete", "field:closed_at=@"],
            ),
        ),
        (
            "approve before the decision is refused",
            &[Ask(&[21]), Ev("request_approval", ""), Ev("approve", "")],
            Expect::Err("guard \"approved\" refused"),
        ),
        (
            "rejected",
            &[
                Ask(&[21, 22]),
                Ev("request_approval", ""),
                Reject(21),
                Ev("reject", ""),
            ],
            ok(
                &[
                    ("state", "\"rejected\""),
                    ("approval", "\"rejected\""),
                    ("approvals.1.decision", "\"canceled\""),
                ],
                &[
                    "state:awaiting_approval>rejected",
                    "field:approvals=[2]",
                    "field:closed_at=@",
                ],
            ),
        ),
        (
            "withdrawn while awaiting approval: pending approvals are cancelled",
            &[
                Ask(&[21]),
                Ev("request_approval", ""),
                Ev("close_incomplete", ""),
            ],
            ok(
                &[("approval", "\"not_requested\"")],
                &[
                    "state:awaiting_approval>closed_incomplete",
                    "field:approval=\"not_requested\"",
                    "field:approvals=[1]",
                    "field:closed_at=@",
                ],
            ),
        ),
    ];
    for case in cases {
        check(&lc, &request, case);
    }
}

#[test]
fn knowledge_table() {
    let lc = Lifecycle::<KnowledgeArticle>::itil().unwrap();
    let article: KnowledgeArticle = serde_json::from_value(json!({
        "id": "01958f3c-0009-7001-8001-000000009001",
        "number": "KB0010045",
        "title": "Payroll cannot resolve names",
        "body": "Restart vm-dns-01 on another host.",
        "knowledge_base": "IT",
        "state": "draft",
        "author": "01958f3c-0001-7003-8003-000000001003",
        "created_at": "2026-05-04T09:00:00Z"
    }))
    .unwrap();
    let cases: &[Case] = &[
        (
            "rework",
            &[Ev("submit", ""), Ev("rework", "")],
            ok(&[("state", "\"draft\"")], &["state:review>draft"]),
        ),
        (
            "publish once approved",
            &[Ev("submit", ""), Ask(&[11]), Approve(11), Ev("publish", "")],
            ok(
                &[("state", "\"published\""), ("approval", "\"approved\"")],
                &["state:review>published", "field:published_at=@"],
            ),
        ),
        (
            "publishing needs the approval",
            &[Ev("submit", ""), Ev("publish", "")],
            Expect::Err("guard \"approved\" refused"),
        ),
        (
            "publishing waits for the approver",
            &[Ev("submit", ""), Ask(&[11]), Ev("publish", "")],
            Expect::Err("guard \"approved\" refused"),
        ),
        (
            "a rejected article cannot be published",
            &[Ev("submit", ""), Ask(&[11]), Reject(11), Ev("publish", "")],
            Expect::Err("guard \"approved\" refused"),
        ),
        (
            "rework cancels the pending approvals",
            &[
                Ev("submit", ""),
                Ask(&[11, 12]),
                Approve(11),
                Ev("rework", ""),
            ],
            ok(
                &[
                    ("state", "\"draft\""),
                    ("approvals.0.decision", "\"approved\""),
                    ("approvals.1.decision", "\"canceled\""),
                    ("approval", "\"approved\""),
                ],
                &[
                    "state:review>draft",
                    "field:approval=\"approved\"",
                    "field:approvals=[2]",
                ],
            ),
        ),
        (
            "retire",
            &[
                Ev("submit", ""),
                Ask(&[11]),
                Approve(11),
                Ev("publish", ""),
                Ev("retire", ""),
            ],
            ok(
                &[("state", "\"retired\"")],
                &["state:published>retired", "field:retired_at=@"],
            ),
        ),
        (
            "a draft cannot be published unreviewed",
            &[Ev("publish", "")],
            Expect::Err("not allowed"),
        ),
    ];
    for case in cases {
        check(&lc, &article, case);
    }
}

#[test]
fn custom_flows_keep_string_effects_and_unknown_fields_land_in_extensions() {
    use itsm_lifecycle::{IncidentEvent, PlainContext, Workflow, incident_flow};
    let mut flow = incident_flow();
    for t in &mut flow.transitions {
        if t.event == IncidentEvent::Hold {
            t.effects.push(Effect::SetTimestamp {
                field: "vendor_escalated_at".into(),
            });
        }
    }
    let lc = Lifecycle::<Incident>::with_workflows(vec![
        Workflow::new(flow, &PlainContext::itil()).unwrap(),
    ])
    .unwrap();
    let opened = lc.open(incident(), None, at(0)).unwrap();
    let held = lc
        .apply(
            &opened.record,
            IncidentEvent::Hold,
            &Input::new().with_reason("awaiting_vendor"),
            None,
            at(1),
        )
        .unwrap();
    assert_eq!(
        held.record.extensions.get("vendor_escalated_at"),
        Some(&itsm_core::FieldValue::from("2026-05-04T09:01:00Z"))
    );
    let edit = lc.update(
        &held.record,
        &Input::new().with_field("extensions.vendor_escalated_at", "x"),
        None,
        at(2),
    );
    assert!(
        edit.unwrap_err()
            .to_string()
            .contains("the workflow sets it")
    );
    let other = lc.update(
        &held.record,
        &Input::new().with_field("extensions.vendor_ticket", "V-1"),
        None,
        at(2),
    );
    assert!(
        other.is_ok(),
        "other custom fields stay editable by their extension key"
    );
    let timeline = [opened.timeline, held.timeline].concat();
    assert_eq!(lc.replay(&opened.record, &timeline).unwrap(), held.record);
    let wrong = Lifecycle::<Change>::with_workflows(Vec::new()).unwrap_err();
    assert!(wrong.to_string().contains("needs 3 workflow(s)"), "{wrong}");
}

#[test]
fn replay_refuses_a_timeline_that_does_not_fit() {
    let lc = Lifecycle::<Incident>::itil().unwrap();
    let opened = lc.open(incident(), None, at(0)).unwrap();
    let started = lc
        .apply(
            &opened.record,
            itsm_lifecycle::IncidentEvent::Start,
            &Input::new(),
            None,
            at(1),
        )
        .unwrap();
    // The start twice: the second starts from new while the record is in progress.
    let twice = [started.timeline.clone(), started.timeline].concat();
    let err = lc.replay(&opened.record, &twice).unwrap_err();
    assert!(
        err.to_string()
            .contains("timeline event 1 cannot be replayed"),
        "{err}"
    );
    let created_late = [twice[..1].to_vec(), opened.timeline.clone()].concat();
    assert!(lc.replay(&opened.record, &created_late).is_err());
    // A field the record does not have is a custom field, named by its key.
    let custom = vec![TimelineEvent {
        at: at(1),
        actor: None,
        change: TimelineChange::FieldChanged {
            field: "colour".into(),
            from: itsm_core::FieldValue::Null,
            to: "red".into(),
        },
    }];
    let coloured = lc.replay(&opened.record, &custom).unwrap();
    assert_eq!(coloured.extensions.get("colour"), Some(&"red".into()));
    // A priority change on a record without a priority does not fit.
    let articles = Lifecycle::<KnowledgeArticle>::itil().unwrap();
    let article: KnowledgeArticle = serde_json::from_value(json!({
        "id": "01958f3c-0009-7001-8001-000000009001", "number": "KB0010045",
        "title": "t", "body": "b", "knowledge_base": "IT", "state": "draft",
        "author": "01958f3c-0001-7003-8003-000000001003", "created_at": "2026-05-04T09:00:00Z"
    }))
    .unwrap();
    let priority = vec![TimelineEvent {
        at: at(1),
        actor: None,
        change: TimelineChange::PriorityChanged {
            from: None,
            to: itsm_core::Priority::P1,
        },
    }];
    let err = articles.replay(&article, &priority).unwrap_err();
    assert!(err.to_string().contains("no field \"priority\""), "{err}");
}

#[test]
fn approval_status_follows_the_policy() {
    use itsm_core::{Approval, ApprovalStatus};
    let a = |d: ApprovalDecision| Approval {
        approver: person(1),
        group: None,
        decision: d,
        requested_at: None,
        decided_at: None,
        comment: None,
    };
    use ApprovalDecision::{Approved as Y, Canceled as C, Rejected as N, Requested as Q};
    let cases: &[(ApprovalPolicy, &[ApprovalDecision], ApprovalStatus)] = &[
        (ApprovalPolicy::All, &[], ApprovalStatus::NotRequested),
        (ApprovalPolicy::All, &[C, C], ApprovalStatus::NotRequested),
        (ApprovalPolicy::All, &[Q], ApprovalStatus::Requested),
        (ApprovalPolicy::All, &[Y, Q], ApprovalStatus::Requested),
        (ApprovalPolicy::All, &[Y, C], ApprovalStatus::Approved),
        (ApprovalPolicy::All, &[Y, N], ApprovalStatus::Rejected),
        (
            ApprovalPolicy::NOfM { required: 2 },
            &[Y, Q, Q],
            ApprovalStatus::Requested,
        ),
        (
            ApprovalPolicy::NOfM { required: 2 },
            &[Y, Y, Q],
            ApprovalStatus::Approved,
        ),
        (ApprovalPolicy::Optional, &[], ApprovalStatus::Approved),
        (ApprovalPolicy::Optional, &[C], ApprovalStatus::NotRequested),
        (ApprovalPolicy::Optional, &[Q], ApprovalStatus::Approved),
    ];
    for (policy, decisions, want) in cases {
        let approvals: Vec<Approval> = decisions.iter().map(|d| a(*d)).collect();
        assert_eq!(
            policy.status(&approvals),
            *want,
            "{policy:?} over {decisions:?}"
        );
    }
}

#[test]
fn a_step_round_trips_through_json() {
    let lc = Lifecycle::<Incident>::itil().unwrap();
    let opened = lc.open(incident(), Some(ACTOR), at(0)).unwrap();
    let held = lc
        .apply(
            &opened.record,
            itsm_lifecycle::IncidentEvent::Hold,
            &input("r:awaiting_vendor f:extensions.vendor_ticket=V-1"),
            Some(ACTOR),
            at(1),
        )
        .unwrap();
    let text = serde_json::to_string(&held).unwrap();
    let back: Step<Incident> = serde_json::from_str(&text).unwrap();
    assert_eq!(back, held);
    let proposed = lc.propose_major(&held.record, None, at(2)).unwrap();
    let accepted = lc
        .apply_major(&proposed.record, MajorIncidentEvent::Accept, None, at(3))
        .unwrap();
    let text = serde_json::to_string(&accepted).unwrap();
    let back: Step<Incident, MajorIncidentState, MajorIncidentEvent> =
        serde_json::from_str(&text).unwrap();
    assert_eq!(back, accepted);
}

#[test]
fn allowed_events_follow_the_record() {
    use itsm_lifecycle::{ChangeEvent as C, IncidentEvent as I, ProblemEvent as P};
    let incidents = Lifecycle::<Incident>::itil().unwrap();
    let opened = incidents.open(incident(), None, at(0)).unwrap().record;
    let vendor = incidents
        .apply(&opened, I::Hold, &input("r:awaiting_vendor"), None, at(1))
        .unwrap()
        .record;
    // Awaiting a vendor, a caller update is not offered; awaiting the caller, it is.
    assert_eq!(
        incidents.allowed_events(&vendor, &Input::new()).unwrap(),
        [I::Resume, I::Resolve, I::Cancel]
    );
    let caller = incidents
        .apply(
            &opened,
            I::Hold,
            &input("r:awaiting_caller c:public=Which_client?"),
            None,
            at(1),
        )
        .unwrap()
        .record;
    assert_eq!(
        incidents.allowed_events(&caller, &Input::new()).unwrap(),
        [I::Resume, I::CallerUpdated, I::Resolve, I::Cancel]
    );

    let changes = Lifecycle::<Change>::itil().unwrap();
    let mut c = changes.open(change("normal"), None, at(0)).unwrap().record;
    for event in [C::Assess, C::RequestAuthorization] {
        c = changes
            .apply(&c, event, &Input::new(), None, at(1))
            .unwrap()
            .record;
    }
    c = changes
        .request_approvals(&c, &[person(11)], None, None, at(2))
        .unwrap()
        .record;
    assert_eq!(
        changes.allowed_events(&c, &Input::new()).unwrap(),
        [C::Revert, C::Cancel]
    );
    c = changes
        .decide(&c, person(11), ApprovalDecision::Approved, None, at(3))
        .unwrap()
        .record;
    assert_eq!(
        changes.allowed_events(&c, &Input::new()).unwrap(),
        [C::Schedule, C::Revert, C::Cancel]
    );

    // A guard the record cannot decide is the caller's to vouch for.
    let problems = Lifecycle::<Problem>::itil().unwrap();
    let mut p = problems.open(problem(), None, at(0)).unwrap().record;
    for (event, spec) in [
        (P::Resolve, "f:resolution_code=risk_accepted"),
        (P::Close, ""),
    ] {
        p = problems
            .apply(&p, event, &input(spec), None, at(1))
            .unwrap()
            .record;
    }
    assert_eq!(problems.allowed_events(&p, &Input::new()).unwrap(), []);
    assert_eq!(
        problems
            .allowed_events(&p, &input("g:reanalyze_role"))
            .unwrap(),
        [P::Reanalyze]
    );
}
