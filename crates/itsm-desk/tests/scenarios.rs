//! End-to-end scenarios over the desk, on a SQLite file and on PostgreSQL
//! (when `ITSM_TEST_POSTGRES_URL` is set). Each row is a list of commands
//! and the records, clocks and events expected after them; after every
//! scenario the projections equal the replay of their events.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    ApprovalDecision, CiId, CommentVisibility, Impact, PersonId, RecordNumber, Urgency,
};
use itsm_desk::{Config, Ctx, Desk, DeskError};
use itsm_lifecycle::Input;
use itsm_store::Record;
use serde_json::{Value, json};

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::minutes(minutes)
}

static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn urls(name: &str) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!(
        "itsm-desk-{name}-{}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![format!("sqlite://{}", dir.join("desk.db").display())];
    if let Some(base) = std::env::var("ITSM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        // A schema name: letters, digits and underscores only.
        let schema = format!(
            "d_{}",
            name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
        );
        let mut client = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
            .unwrap();
        urls.push(format!(
            "{base}{}schema={schema}",
            if base.contains('?') { '&' } else { '?' }
        ));
    }
    urls
}

/// A record of `kind` from its example in `docs/examples/core` (through the
/// link under `tests/repo/`, which `cargo package` copies into the `.crate`),
/// renumbered, in its initial state, with the fields its lifecycle sets
/// cleared.
fn record(kind: &str, n: u128, number: &str, edit: Value) -> Record {
    let path = format!(
        "{}/tests/repo/docs/examples/core/{kind}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    let o = doc.as_object_mut().unwrap();
    o.insert(
        "id".into(),
        json!(format!("01900000-0000-7000-8000-{n:012x}")),
    );
    o.insert("number".into(), json!(number));
    for field in [
        "resolved_at",
        "resolved_by",
        "closed_at",
        "closed_by",
        "resolution_code",
        "resolution_notes",
        "fixed_at",
        "actual_start",
        "actual_end",
        "close_code",
        "close_notes",
        "on_hold_reason",
        "major_incident_state",
        "parent_incident",
        "problem_record",
        "release",
    ] {
        if o.contains_key(field) {
            o.insert(field.into(), Value::Null);
        }
    }
    for list in [
        "related_incidents",
        "related_changes",
        "changes",
        "approvals",
        "related_problems",
        "configuration_items",
    ] {
        if o.contains_key(list) {
            o.insert(list.into(), json!([]));
        }
    }
    if o.contains_key("reopen_count") {
        o.insert("reopen_count".into(), json!(0));
    }
    let initial = match kind {
        "incident" | "problem" | "change" => "new",
        "known_error" => "open",
        "release" => "planning",
        _ => "new",
    };
    o.insert("state".into(), json!(initial));
    if kind == "problem" {
        o.insert("known_error".into(), json!(false));
        o.insert("known_error_record".into(), Value::Null);
        o.insert("root_cause".into(), Value::Null);
        o.insert("workaround".into(), Value::Null);
        o.insert("fix_notes".into(), Value::Null);
        o.insert("duplicate_of".into(), Value::Null);
    }
    if kind == "change" {
        o.insert("change_type".into(), json!("standard"));
        o.insert("approval".into(), json!("not_requested"));
    }
    if let Value::Object(e) = edit {
        for (k, v) in e {
            o.insert(k, v);
        }
    }
    let wrapped = json!({ "kind": kind, "record": doc });
    serde_json::from_value(wrapped).unwrap()
}

fn num(s: &str) -> RecordNumber {
    s.parse().unwrap()
}

/// One command of a scenario.
#[allow(clippy::large_enum_variant)] // a test table, built once
enum Cmd {
    Open(Record, i64),
    Apply(&'static str, &'static str, Input, i64),
    Link(&'static str, &'static str, i64),
    Assign(&'static str, u128, i64),
    Severity(&'static str, Impact, Urgency, i64),
    Note(&'static str, &'static str, i64),
    /// A public comment by a person.
    Say(&'static str, PersonId, &'static str, i64),
    Tick(i64, u64, u64),
    /// Approvers asked for their approval.
    Ask(&'static str, &'static [u128], i64),
    /// An approver's decision.
    Decide(&'static str, u128, ApprovalDecision, i64),
    /// A command expected to be refused.
    Refused(Box<Cmd>),
}

/// What must hold after the commands: a record's state, and how many
/// clocks, breached clocks and `sla_notice` events it has.
struct Expect {
    number: &'static str,
    state: &'static str,
    clocks: usize,
    notices: usize,
}

fn run(desk: &mut Desk, cmd: &Cmd) -> Result<(), DeskError> {
    match cmd {
        Cmd::Open(r, m) => desk.open_record(r.clone(), &Ctx::at(t(*m))).map(drop),
        Cmd::Apply(n, e, i, m) => desk.apply(&num(n), e, i, &Ctx::at(t(*m))).map(drop),
        Cmd::Link(a, b, m) => desk.link(&num(a), &num(b), &Ctx::at(t(*m))).map(drop),
        Cmd::Assign(n, g, m) => desk
            .assign(
                &num(n),
                Some(itsm_core::GroupId::from_u128(*g)),
                None,
                &Ctx::at(t(*m)),
            )
            .map(drop),
        Cmd::Severity(n, i, u, m) => desk
            .set_impact_urgency(&num(n), *i, *u, &Ctx::at(t(*m)))
            .map(drop),
        Cmd::Note(n, text, m) => desk
            .comment(&num(n), CommentVisibility::WorkNote, text, &Ctx::at(t(*m)))
            .map(drop),
        Cmd::Say(n, who, text, m) => desk
            .comment(
                &num(n),
                CommentVisibility::Public,
                text,
                &Ctx::at(t(*m)).by(*who),
            )
            .map(drop),
        Cmd::Tick(m, thresholds, breaches) => {
            let report = desk.tick(t(*m))?;
            assert_eq!(
                (report.thresholds, report.breaches),
                (*thresholds, *breaches),
                "tick at {m}: {report:?}"
            );
            Ok(())
        }
        Cmd::Ask(n, who, m) => {
            let approvers: Vec<PersonId> = who.iter().map(|p| PersonId::from_u128(*p)).collect();
            desk.request_approvals(&num(n), &approvers, None, &Ctx::at(t(*m)))
                .map(drop)
        }
        Cmd::Decide(n, who, decision, m) => {
            let comment = (*decision == ApprovalDecision::Rejected).then(|| "not now".to_owned());
            desk.decide(
                &num(n),
                PersonId::from_u128(*who),
                *decision,
                comment,
                &Ctx::at(t(*m)).by(PersonId::from_u128(*who)),
            )
            .map(drop)
        }
        Cmd::Refused(inner) => {
            assert!(
                run(desk, inner).is_err(),
                "a command that should be refused ran"
            );
            Ok(())
        }
    }
}

fn check(name: &str, commands: Vec<Cmd>, expect: &[Expect]) {
    for url in urls(name) {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        for (i, cmd) in commands.iter().enumerate() {
            if let Err(e) = run(&mut desk, cmd) {
                panic!("{name} on {url}: command {i}: {e}");
            }
        }
        let head = desk.store().head().unwrap();
        for e in expect {
            let view = desk.show(&num(e.number)).unwrap();
            assert_eq!(
                view.record.state_name(),
                e.state,
                "{name}: {} state",
                e.number
            );
            assert_eq!(view.clocks.len(), e.clocks, "{name}: {} clocks", e.number);
            let notices = desk
                .store()
                .read_stream(view.record.stream_id(), 1, 10_000)
                .unwrap()
                .iter()
                .filter(|ev| ev.event_type == "sla_notice")
                .count();
            assert_eq!(notices, e.notices, "{name}: {} sla notices", e.number);
        }
        let report = desk.check().unwrap();
        assert!(report.is_clean(), "{name}: {:?}", report.mismatches);
        // Export and import into an empty database reproduce every event.
        let mut events = Vec::new();
        let mut after = 0;
        loop {
            let page = desk.export_page(after, 1000).unwrap();
            let Some(last) = page.last() else { break };
            after = last.position;
            events.extend(page);
        }
        assert_eq!(events.len() as u64, head);
        let copy = format!(
            "sqlite://{}",
            std::env::temp_dir()
                .join(format!("itsm-desk-import-{name}-{}.db", std::process::id()))
                .display()
        );
        let _ = std::fs::remove_file(copy.trim_start_matches("sqlite://"));
        let mut imported = Desk::open(&copy, Config::default()).unwrap();
        assert_eq!(imported.import(events.clone(), t(10_000)).unwrap(), head);
        assert!(imported.check().unwrap().is_clean());
        for e in expect {
            assert_eq!(
                imported.show(&num(e.number)).unwrap().record.state_name(),
                e.state
            );
        }
    }
}

fn resolve(code: &str) -> Input {
    Input::new()
        .with_field("resolution_code", code)
        .with_field("resolution_notes", "done")
}

#[test]
fn an_incident_is_worked_and_resolved() {
    let inc = record("incident", 1, "INC0000001", json!({}));
    check(
        "worked",
        vec![
            Cmd::Open(inc, 0),
            Cmd::Assign("INC0000001", 5, 1),
            Cmd::Severity("INC0000001", Impact::High, Urgency::High, 2),
            Cmd::Apply("INC0000001", "start", Input::new(), 3),
            Cmd::Note("INC0000001", "rebooted the VPN concentrator", 4),
            Cmd::Refused(Box::new(Cmd::Apply("INC0000001", "close", Input::new(), 5))),
            Cmd::Refused(Box::new(Cmd::Apply(
                "INC0000001",
                "resolve",
                Input::new(),
                5,
            ))),
            Cmd::Apply("INC0000001", "resolve", resolve("solution_provided"), 30),
        ],
        &[Expect {
            number: "INC0000001",
            state: "resolved",
            clocks: 2,
            notices: 0,
        }],
    );
}

fn caller_of(record: &Record) -> PersonId {
    match record {
        Record::Incident(i) => i.caller,
        other => panic!("not an incident: {other:?}"),
    }
}

fn awaiting_caller(question: Option<&str>) -> Input {
    let input = Input::new().with_reason("awaiting_caller");
    match question {
        Some(text) => input.with_comment(CommentVisibility::Public, text),
        None => input,
    }
}

/// On hold awaiting the caller needs the question to the caller; an agent's
/// comment leaves it waiting; the caller's public reply resumes it.
#[test]
fn the_callers_reply_resumes_an_incident_awaiting_them() {
    let inc = record("incident", 1, "INC0000001", json!({}));
    let caller = caller_of(&inc);
    let agent = PersonId::from_u128(0xa9e47);
    check(
        "caller_reply",
        vec![
            Cmd::Open(inc, 0),
            Cmd::Apply("INC0000001", "start", Input::new(), 1),
            Cmd::Refused(Box::new(Cmd::Apply(
                "INC0000001",
                "hold",
                awaiting_caller(None),
                2,
            ))),
            Cmd::Apply(
                "INC0000001",
                "hold",
                awaiting_caller(Some("Which VPN client do you use?")),
                3,
            ),
            Cmd::Say("INC0000001", agent, "Any news?", 4),
            Cmd::Note("INC0000001", "chased by phone", 5),
        ],
        &[Expect {
            number: "INC0000001",
            state: "on_hold",
            clocks: 2,
            notices: 0,
        }],
    );
    let inc = record("incident", 1, "INC0000001", json!({}));
    check(
        "caller_reply_resumes",
        vec![
            Cmd::Open(inc, 0),
            Cmd::Apply("INC0000001", "start", Input::new(), 1),
            Cmd::Apply(
                "INC0000001",
                "hold",
                awaiting_caller(Some("Which VPN client do you use?")),
                3,
            ),
            Cmd::Say("INC0000001", caller, "Cisco AnyConnect 5.1", 6),
        ],
        &[Expect {
            number: "INC0000001",
            state: "in_progress",
            clocks: 2,
            notices: 0,
        }],
    );
}

/// The question is recorded before the hold, the reply before the resume;
/// with the rule off, the reply is only a comment.
#[test]
fn the_question_and_the_reply_are_on_the_timeline_and_the_rule_is_a_switch() {
    for resumes in [true, false] {
        let inc = record("incident", 1, "INC0000001", json!({}));
        let caller = caller_of(&inc);
        let url = urls(&format!("reply_switch_{resumes}")).remove(0);
        let mut config = Config::default();
        config.rules.caller_reply_resumes = resumes;
        let mut desk = Desk::open(&url, config).unwrap();
        desk.open_record(inc, &Ctx::at(t(0))).unwrap();
        desk.apply(&num("INC0000001"), "start", &Input::new(), &Ctx::at(t(1)))
            .unwrap();
        let held = desk
            .apply(
                &num("INC0000001"),
                "hold",
                &awaiting_caller(Some("Which client?")),
                &Ctx::at(t(2)),
            )
            .unwrap();
        let kinds = |timeline: &[itsm_core::TimelineEvent]| -> Vec<String> {
            timeline
                .iter()
                .map(|e| match &e.change {
                    itsm_core::TimelineChange::CommentAdded { visibility, .. } => {
                        format!("comment:{visibility}")
                    }
                    itsm_core::TimelineChange::StateChanged { to, .. } => format!("state:{to}"),
                    itsm_core::TimelineChange::FieldChanged { field, .. } => {
                        format!("field:{field}")
                    }
                    other => format!("{other:?}"),
                })
                .collect()
        };
        assert_eq!(
            kinds(&held.timeline),
            ["comment:public", "state:on_hold", "field:on_hold_reason"]
        );
        let replied = desk
            .comment(
                &num("INC0000001"),
                CommentVisibility::Public,
                "AnyConnect",
                &Ctx::at(t(9)).by(caller),
            )
            .unwrap();
        if resumes {
            assert_eq!(
                kinds(&replied.timeline),
                [
                    "comment:public",
                    "state:in_progress",
                    "field:on_hold_reason"
                ]
            );
            assert_eq!(replied.record.state_name(), "in_progress");
        } else {
            assert_eq!(kinds(&replied.timeline), ["comment:public"]);
            assert_eq!(replied.record.state_name(), "on_hold");
        }
        assert!(desk.check().unwrap().is_clean());
    }
}

#[test]
fn resolving_a_problem_resolves_the_incidents_awaiting_it() {
    check(
        "problem",
        vec![
            Cmd::Open(record("incident", 1, "INC0000001", json!({})), 0),
            Cmd::Open(record("incident", 2, "INC0000002", json!({})), 1),
            Cmd::Open(record("problem", 3, "PRB0000003", json!({})), 2),
            Cmd::Link("INC0000001", "PRB0000003", 3),
            Cmd::Link("PRB0000003", "INC0000002", 3),
            Cmd::Apply(
                "INC0000001",
                "hold",
                Input::new().with_reason("awaiting_problem"),
                4,
            ),
            Cmd::Apply(
                "PRB0000003",
                "resolve",
                Input::new()
                    .with_field("resolution_code", "fix_applied")
                    .with_field("fix_notes", "patched"),
                60,
            ),
        ],
        &[
            Expect {
                number: "INC0000001",
                state: "resolved",
                clocks: 2,
                notices: 0,
            },
            Expect {
                number: "INC0000002",
                state: "new",
                clocks: 2,
                notices: 0,
            },
            Expect {
                number: "PRB0000003",
                state: "resolved",
                clocks: 0,
                notices: 0,
            },
        ],
    );
}

#[test]
fn resolving_a_parent_resolves_its_children() {
    check(
        "parent",
        vec![
            Cmd::Open(record("incident", 1, "INC0000001", json!({})), 0),
            Cmd::Open(record("incident", 2, "INC0000002", json!({})), 1),
            Cmd::Open(record("incident", 3, "INC0000003", json!({})), 1),
            Cmd::Link("INC0000002", "INC0000001", 2),
            Cmd::Link("INC0000003", "INC0000001", 2),
            Cmd::Apply("INC0000003", "resolve", resolve("solution_provided"), 5),
            Cmd::Apply("INC0000001", "resolve", resolve("solution_provided"), 10),
        ],
        &[
            Expect {
                number: "INC0000001",
                state: "resolved",
                clocks: 2,
                notices: 0,
            },
            Expect {
                number: "INC0000002",
                state: "resolved",
                clocks: 2,
                notices: 0,
            },
            Expect {
                number: "INC0000003",
                state: "resolved",
                clocks: 2,
                notices: 0,
            },
        ],
    );
}

#[test]
fn sla_notices_are_recorded_once() {
    // P1 (high/high): response 15 min? The example SLAs give the goals; a
    // tick long after opening records every threshold and the breach once.
    let mut inc = record("incident", 1, "INC0000001", json!({}));
    if let Record::Incident(i) = &mut inc {
        i.impact = Impact::High;
        i.urgency = Urgency::High;
    }
    check(
        "ticks",
        vec![
            Cmd::Open(inc, 0),
            Cmd::Tick(60 * 24 * 10, 4, 2),
            Cmd::Tick(60 * 24 * 10, 0, 0),
            Cmd::Tick(60 * 24 * 11, 0, 0),
        ],
        &[Expect {
            number: "INC0000001",
            state: "new",
            clocks: 2,
            notices: 6,
        }],
    );
}

#[test]
fn a_stale_writer_is_refused_with_both_versions() {
    for url in urls("stale") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let opened = desk
            .open_record(
                record("incident", 1, "INC0000001", json!({})),
                &Ctx::at(t(0)),
            )
            .unwrap();
        desk.apply(
            &num("INC0000001"),
            "start",
            &Input::new(),
            &Ctx::at(t(1)).expecting(opened.version),
        )
        .unwrap();
        match desk.apply(
            &num("INC0000001"),
            "hold",
            &Input::new()
                .with_reason("awaiting_caller")
                .with_comment(CommentVisibility::Public, "Which client?"),
            &Ctx::at(t(2)).expecting(opened.version),
        ) {
            Err(DeskError::VersionConflict {
                number,
                expected,
                actual,
            }) => {
                assert_eq!(
                    (number.as_str(), expected, actual),
                    ("INC0000001", opened.version, Some(opened.version + 2))
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            desk.apply(&num("INC0009999"), "start", &Input::new(), &Ctx::at(t(2))),
            Err(DeskError::NotFound { .. })
        ));
        assert!(matches!(
            desk.apply(&num("INC0000001"), "fly", &Input::new(), &Ctx::at(t(2))),
            Err(DeskError::Refused { .. })
        ));
    }
}

#[test]
fn attaching_cis_records_the_services_impacted_and_degraded() {
    use itsm_cmdb::{CmdbData, ConfigurationItem, RedundancyRequirement, Relationship};
    for url in urls("cis") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let (portal, app, db1, db2, dns) = (
            CiId::from_u128(1),
            CiId::from_u128(2),
            CiId::from_u128(3),
            CiId::from_u128(4),
            CiId::from_u128(5),
        );
        let mut stored = desk.store().load_cmdb().unwrap();
        let mut cmdb = itsm_cmdb::Cmdb::import(CmdbData::starter()).unwrap();
        cmdb.add_ci(ConfigurationItem::new(
            portal,
            "business_service",
            "Payroll portal",
        ))
        .unwrap();
        cmdb.add_ci(
            ConfigurationItem::new(app, "application", "payroll")
                .with_redundancy("depends_on", RedundancyRequirement::AtLeast(1)),
        )
        .unwrap();
        cmdb.add_ci(ConfigurationItem::new(db1, "database", "db1"))
            .unwrap();
        cmdb.add_ci(ConfigurationItem::new(db2, "database", "db2"))
            .unwrap();
        cmdb.add_ci(ConfigurationItem::new(dns, "business_service", "Mail"))
            .unwrap();
        cmdb.add_relationship(Relationship::new(portal, "depends_on", app))
            .unwrap();
        cmdb.add_relationship(Relationship::new(app, "depends_on", db1))
            .unwrap();
        cmdb.add_relationship(Relationship::new(app, "depends_on", db2))
            .unwrap();
        cmdb.add_relationship(Relationship::new(dns, "depends_on", db2))
            .unwrap();
        *stored.cmdb_mut() = cmdb;
        desk.store()
            .save_cmdb(
                &mut stored,
                &itsm_store::CmdbChange {
                    actor: None,
                    source: "manual".into(),
                    at: t(0),
                },
            )
            .unwrap();
        desk.open_record(
            record("incident", 9, "INC0000009", json!({})),
            &Ctx::at(t(0)),
        )
        .unwrap();
        let out = desk
            .attach_cis(&num("INC0000009"), &[db2], &Ctx::at(t(1)))
            .unwrap();
        let Record::Incident(i) = &out.record else {
            panic!()
        };
        assert_eq!(i.configuration_items, vec![db2]);
        // Mail runs on db2 alone: impacted. The payroll portal's application
        // keeps db1: the portal is only degraded, and still recorded.
        use itsm_core::{AffectedService, ServiceEffect};
        let mut affected = i.affected_services.clone();
        affected.sort_by_key(|a| a.service);
        assert_eq!(
            affected,
            [
                AffectedService {
                    service: portal,
                    effect: ServiceEffect::Degraded
                },
                AffectedService {
                    service: dns,
                    effect: ServiceEffect::Impacted
                },
            ]
        );
        // Both databases down: the portal is impacted too.
        let out = desk
            .attach_cis(&num("INC0000009"), &[db1], &Ctx::at(t(2)))
            .unwrap();
        let Record::Incident(i) = &out.record else {
            panic!()
        };
        assert!(
            i.affected_services
                .iter()
                .all(|a| a.effect == ServiceEffect::Impacted)
                && i.affected_services.len() == 2,
            "{:?}",
            i.affected_services
        );
        assert!(desk.check().unwrap().is_clean());
    }
}

/// The desk assesses an incident against the major-incident criteria: the
/// service's criticality from the CMDB, the incidents on the same host from
/// the store; proposing records who, when, and why.
#[test]
fn a_critical_service_down_proposes_a_major_incident_with_its_reasons() {
    use itsm_cmdb::{CmdbData, ConfigurationItem, Relationship};
    for url in urls("major") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let (banking, host) = (CiId::from_u128(0xb1), CiId::from_u128(0xc1));
        let mut stored = desk.store().load_cmdb().unwrap();
        let mut cmdb = itsm_cmdb::Cmdb::import(CmdbData::starter()).unwrap();
        cmdb.add_ci(
            ConfigurationItem::new(banking, "business_service", "Online banking")
                .with_attribute("criticality", "critical"),
        )
        .unwrap();
        cmdb.add_ci(ConfigurationItem::new(host, "application", "bank-app"))
            .unwrap();
        cmdb.add_relationship(Relationship::new(banking, "depends_on", host))
            .unwrap();
        *stored.cmdb_mut() = cmdb;
        desk.store()
            .save_cmdb(
                &mut stored,
                &itsm_store::CmdbChange {
                    actor: None,
                    source: "manual".into(),
                    at: t(0),
                },
            )
            .unwrap();
        let numbers: Vec<String> = (1..=5).map(|n| format!("INC000001{n}")).collect();
        for (n, number) in numbers.iter().enumerate() {
            let number: &'static str = Box::leak(number.clone().into_boxed_str());
            desk.open_record(
                record(
                    "incident",
                    0x10 + n as u128,
                    number,
                    json!({"priority": "p4", "impact": "low", "urgency": "low", "business_effects": []}),
                ),
                &Ctx::at(t(n as i64)),
            )
            .unwrap();
            desk.attach_cis(&num(number), &[host], &Ctx::at(t(n as i64)))
                .unwrap();
        }
        let manager = PersonId::from_u128(0x3a);
        // Assessed only: nothing is written.
        let head = desk.store().head().unwrap();
        let (assessment, outcome) = desk
            .assess_major(&num("INC0000015"), false, &Ctx::at(t(10)).by(manager))
            .unwrap();
        assert!(outcome.is_none());
        assert_eq!(desk.store().head().unwrap(), head);
        assert!(assessment.candidate, "{assessment:?}");
        let kinds: Vec<&str> = assessment
            .matched
            .iter()
            .map(|m| m.criterion.as_str())
            .collect();
        assert_eq!(kinds, ["service_criticality", "volume"], "{assessment:?}");
        assert!(
            assessment.matched[1].reason.starts_with("5 incidents on ")
                && assessment.matched[1]
                    .reason
                    .ends_with("INC0000015, INC0000011, INC0000012, INC0000013, INC0000014"),
            "{}",
            assessment.matched[1].reason
        );
        // Proposed: who, when, and why on the timeline.
        let (_, outcome) = desk
            .assess_major(&num("INC0000015"), true, &Ctx::at(t(11)).by(manager))
            .unwrap();
        let outcome = outcome.expect("proposed");
        let Record::Incident(i) = &outcome.record else {
            panic!()
        };
        assert_eq!(
            i.major_incident_state,
            Some(itsm_core::MajorIncidentState::Proposed)
        );
        assert_eq!(
            (i.major_incident_proposed_at, i.major_incident_proposed_by),
            (Some(t(11)), Some(manager))
        );
        assert!(outcome.timeline.iter().any(|e| matches!(
            &e.change,
            itsm_core::TimelineChange::CommentAdded { text, .. }
                if text.starts_with("Proposed as a major incident: criteria[0] (service_criticality)")
        )));
        // Already proposed: no second proposal.
        let (again, outcome) = desk
            .assess_major(&num("INC0000015"), true, &Ctx::at(t(12)).by(manager))
            .unwrap();
        assert!(outcome.is_none() && !again.candidate, "{again:?}");
        assert!(desk.check().unwrap().is_clean());
        // A change is not an incident.
        desk.open_record(
            record("change", 0x40, "CHG0000040", json!({})),
            &Ctx::at(t(0)),
        )
        .unwrap();
        assert!(
            desk.assess_major(&num("CHG0000040"), false, &Ctx::at(t(1)))
                .is_err()
        );
    }
}

/// What-if over a stored record: a longer hold moves the due instant by
/// exactly the business time added; nothing is written; an unknown SLA or a
/// bad edit is refused with its reason.
#[test]
fn a_what_if_over_a_stored_record_previews_without_writing() {
    for url in urls("what_if") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        desk.open_record(
            record("incident", 0x51, "INC0000051", json!({})),
            &Ctx::at(t(0)),
        )
        .unwrap();
        desk.apply(&num("INC0000051"), "start", &Input::new(), &Ctx::at(t(1)))
            .unwrap();
        let head = desk.store().head().unwrap();
        let sla = Config::default().slas[1].name.clone();
        // Had it been on hold from 09:10 to 09:40 (24x7 calendar: 30 min).
        let alternative: itsm_sla::WhatIf = serde_json::from_value(json!({
            "edits": [{"type": "hold", "from": "2026-03-02T09:10:00Z", "to": "2026-03-02T09:40:00Z",
                       "reason": "awaiting_vendor"}]
        }))
        .unwrap();
        let report = desk
            .what_if(&num("INC0000051"), &sla, &alternative, t(60))
            .unwrap();
        assert_eq!(desk.store().head().unwrap(), head, "nothing written");
        assert!(report.difference.changed, "{report:?}");
        assert_eq!(
            report.difference.cycles[0].due_moved_secs,
            Some(1_800),
            "{report:?}"
        );
        // An unknown SLA, a hold that crosses a state change: refused.
        let unknown = desk
            .what_if(&num("INC0000051"), "no-such-sla", &alternative, t(60))
            .unwrap_err()
            .to_string();
        assert!(unknown.contains("no SLA \"no-such-sla\""), "{unknown}");
        let crossing: itsm_sla::WhatIf = serde_json::from_value(json!({
            "edits": [{"type": "hold", "from": "2026-03-02T08:50:00Z", "to": "2026-03-02T09:40:00Z"}]
        }))
        .unwrap();
        assert!(
            desk.what_if(&num("INC0000051"), &sla, &crossing, t(60))
                .is_err()
        );
    }
}

#[test]
fn desks_ticking_together_record_each_notice_once() {
    for url in urls("ticks_together") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        for n in 1..=30u128 {
            let mut inc = record("incident", n, &format!("INC{n:07}"), json!({}));
            if let Record::Incident(i) = &mut inc {
                i.impact = Impact::High;
                i.urgency = Urgency::High;
            }
            desk.open_record(inc, &Ctx::at(t(0))).unwrap();
        }
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut desk = Desk::open(&url, Config::default()).unwrap();
                    desk.tick(t(60 * 24 * 10)).unwrap()
                })
            })
            .collect();
        let reports: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        let recorded: u64 = reports.iter().map(|r| r.thresholds + r.breaches).sum();
        // Each incident has 4 thresholds and 2 breaches (as in `sla_notices_are_recorded_once`).
        assert_eq!(recorded, 30 * 6, "{reports:?}");
        let mut notices = 0;
        for n in 1..=30u32 {
            let view = desk.show(&num(&format!("INC{n:07}"))).unwrap();
            notices += desk
                .store()
                .read_stream(view.record.stream_id(), 1, 10_000)
                .unwrap()
                .iter()
                .filter(|e| e.event_type == "sla_notice")
                .count();
        }
        assert_eq!(notices, 30 * 6);
        assert!(desk.due(t(60 * 24 * 10), 100).unwrap().is_empty());
        assert!(desk.check().unwrap().is_clean());
    }
}

#[test]
fn four_desks_on_the_same_tickets_lose_nothing_and_every_clock_is_a_fresh_replay() {
    use itsm_core::Timeline;
    use itsm_sla::{CompiledCalendar, CompiledSla};
    for url in urls("four_desks") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let tickets = 20u128;
        for n in 1..=tickets {
            desk.open_record(
                record("incident", n, &format!("INC{n:07}"), json!({})),
                &Ctx::at(t(0)),
            )
            .unwrap();
        }
        let handles: Vec<_> = (0..4u64)
            .map(|w| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut desk = Desk::open(&url, Config::default()).unwrap();
                    let mut done = 0u64;
                    for n in 1..=tickets {
                        let number = num(&format!("INC{n:07}"));
                        // Read, decide, write at the version read; retry on conflict.
                        for _ in 0..100 {
                            let version = desk.show(&number).unwrap().version;
                            // The domain instant follows the version read, so a
                            // ticket's timeline stays in time order.
                            let at = t(i64::try_from(version).unwrap());
                            match desk.comment(
                                &number,
                                CommentVisibility::WorkNote,
                                &format!("writer {w}"),
                                &Ctx::at(at).expecting(version),
                            ) {
                                Ok(_) => {
                                    done += 1;
                                    break;
                                }
                                Err(DeskError::VersionConflict { .. }) => {}
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                    done
                })
            })
            .collect();
        let done: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(
            done,
            4 * tickets as u64,
            "every writer wrote every ticket once"
        );
        let config = Config::default();
        let calendar = CompiledCalendar::new(&config.calendars[0]).unwrap();
        let slas: Vec<CompiledSla> = config
            .slas
            .iter()
            .map(|d| CompiledSla::new(d).unwrap())
            .collect();
        for n in 1..=tickets {
            let number = num(&format!("INC{n:07}"));
            let view = desk.show(&number).unwrap();
            let events = desk
                .store()
                .read_stream(view.record.stream_id(), 1, 10_000)
                .unwrap();
            assert!(
                events
                    .iter()
                    .enumerate()
                    .all(|(i, e)| e.version == i as u64 + 1),
                "versions are contiguous"
            );
            let notes = events
                .iter()
                .filter(|e| e.event_type == "timeline_event" && e.payload.contains("writer"))
                .count();
            assert_eq!(notes, 4, "{number}: no note lost");
            // Every stored clock is the clock's pure evaluation of the stored timeline.
            let timeline = Timeline {
                events: events
                    .iter()
                    .filter(|e| e.event_type == "timeline_event")
                    .map(|e| desk.store().decode(e).unwrap())
                    .collect(),
            };
            for clock in &view.clocks {
                let sla = slas
                    .iter()
                    .find(|s| s.name() == clock.evaluation.definition)
                    .unwrap();
                let replay =
                    itsm_sla::evaluate(sla, &calendar, &timeline, clock.evaluation.evaluated_at)
                        .unwrap();
                assert_eq!(
                    clock.evaluation, replay,
                    "{number}: {}",
                    clock.evaluation.definition
                );
            }
        }
        assert!(desk.check().unwrap().is_clean());
    }
}

#[test]
fn a_kept_timeline_is_completed_with_another_desks_events() {
    use itsm_core::Timeline;
    use itsm_sla::{CompiledCalendar, CompiledSla};
    for url in urls("kept_timeline") {
        let mut a = Desk::open(&url, Config::default()).unwrap();
        let mut b = Desk::open(&url, Config::default()).unwrap();
        let number = num("INC0000001");
        a.open_record(
            record("incident", 1, "INC0000001", json!({})),
            &Ctx::at(t(0)),
        )
        .unwrap();
        let config = Config::default();
        let calendar = CompiledCalendar::new(&config.calendars[0]).unwrap();
        let slas: Vec<CompiledSla> = config
            .slas
            .iter()
            .map(|d| CompiledSla::new(d).unwrap())
            .collect();
        // A and B take turns; each keeps the timeline it wrote, which the
        // other's command has made stale by the time it acts again. The
        // first responses (assign, then a public comment) stop the response
        // clock, so a desk that missed the other's events would evaluate it
        // wrong.
        for step in 0..8i64 {
            let desk = if step % 2 == 0 { &mut a } else { &mut b };
            let at = Ctx::at(t(10 * (step + 1)));
            let outcome = match step {
                1 => desk.assign(&number, Some(itsm_core::GroupId::from_u128(7)), None, &at),
                2 => desk.apply(&number, "start", &Input::new(), &at),
                4 => desk.apply(
                    &number,
                    "hold",
                    &Input::new()
                        .with_reason("awaiting_caller")
                        .with_comment(CommentVisibility::Public, "Which client?"),
                    &at,
                ),
                5 => desk.apply(&number, "resume", &Input::new(), &at),
                _ => desk.comment(
                    &number,
                    CommentVisibility::WorkNote,
                    &format!("step {step}"),
                    &at,
                ),
            }
            .unwrap();
            let events = desk
                .store()
                .read_stream(outcome.record.stream_id(), 1, 10_000)
                .unwrap();
            assert_eq!(events.len() as u64, outcome.version, "step {step}");
            let timeline = Timeline {
                events: events
                    .iter()
                    .filter(|e| e.event_type == "timeline_event")
                    .map(|e| desk.store().decode(e).unwrap())
                    .collect(),
            };
            assert!(!outcome.clocks.is_empty());
            for clock in &outcome.clocks {
                let sla = slas.iter().find(|s| s.name() == clock.definition).unwrap();
                let replay =
                    itsm_sla::evaluate(sla, &calendar, &timeline, clock.evaluated_at).unwrap();
                assert_eq!(*clock, replay, "step {step}: {}", clock.definition);
            }
        }
        assert!(a.check().unwrap().is_clean());
    }
}

#[test]
fn a_normal_change_is_authorised_once_its_approvers_agree() {
    let window = || {
        Input::new()
            .with_field("planned_start", "2026-03-03T18:00:00Z")
            .with_field("planned_end", "2026-03-03T19:00:00Z")
    };
    check(
        "cab",
        vec![
            Cmd::Open(
                record(
                    "change",
                    1,
                    "CHG0000001",
                    json!({ "change_type": "normal" }),
                ),
                0,
            ),
            Cmd::Apply("CHG0000001", "assess", Input::new(), 1),
            Cmd::Apply("CHG0000001", "request_authorization", Input::new(), 2),
            Cmd::Ask("CHG0000001", &[0xa1, 0xa2], 3),
            // Asking again keeps the answers; someone not asked cannot decide.
            Cmd::Ask("CHG0000001", &[0xa1], 3),
            Cmd::Refused(Box::new(Cmd::Decide(
                "CHG0000001",
                0xff,
                ApprovalDecision::Approved,
                4,
            ))),
            Cmd::Decide("CHG0000001", 0xa1, ApprovalDecision::Approved, 5),
            // The default policy needs every approver: not authorised yet.
            Cmd::Refused(Box::new(Cmd::Apply("CHG0000001", "schedule", window(), 6))),
            Cmd::Decide("CHG0000001", 0xa2, ApprovalDecision::Approved, 7),
            Cmd::Apply("CHG0000001", "schedule", window(), 8),
            // A second change is rejected by one approver and goes back to new.
            Cmd::Open(
                record(
                    "change",
                    2,
                    "CHG0000002",
                    json!({ "change_type": "normal" }),
                ),
                10,
            ),
            Cmd::Apply("CHG0000002", "assess", Input::new(), 11),
            Cmd::Apply("CHG0000002", "request_authorization", Input::new(), 12),
            Cmd::Ask("CHG0000002", &[0xa1, 0xa2], 13),
            Cmd::Decide("CHG0000002", 0xa2, ApprovalDecision::Rejected, 14),
            Cmd::Refused(Box::new(Cmd::Apply("CHG0000002", "schedule", window(), 15))),
            Cmd::Apply("CHG0000002", "reject", Input::new(), 16),
        ],
        &[
            Expect {
                number: "CHG0000001",
                state: "scheduled",
                clocks: 0,
                notices: 0,
            },
            Expect {
                number: "CHG0000002",
                state: "new",
                clocks: 0,
                notices: 0,
            },
        ],
    );
}

const RELEASE_ID: &str = "01900000-0000-7000-8000-000000000031";

/// A release holding a standard change (pre-authorised) and a normal one,
/// each naming the release.
fn release_and_changes() -> Vec<Cmd> {
    let change = |n: u128, number: &'static str, kind: &str| {
        record(
            "change",
            n,
            number,
            json!({ "change_type": kind, "release": RELEASE_ID }),
        )
    };
    vec![
        Cmd::Open(change(0x21, "CHG0000021", "standard"), 0),
        Cmd::Open(change(0x22, "CHG0000022", "normal"), 0),
        Cmd::Open(
            record(
                "release",
                0x31,
                "RLSE0000031",
                json!({ "changes": [
                    "01900000-0000-7000-8000-000000000021",
                    "01900000-0000-7000-8000-000000000022",
                ]}),
            ),
            1,
        ),
    ]
}

fn change_window() -> Input {
    Input::new()
        .with_field("planned_start", "2026-03-03T18:00:00Z")
        .with_field("planned_end", "2026-03-03T19:00:00Z")
}

/// The normal change through its CAB, then both changes scheduled.
fn approve_and_schedule() -> Vec<Cmd> {
    vec![
        Cmd::Apply("CHG0000022", "assess", Input::new(), 3),
        Cmd::Apply("CHG0000022", "request_authorization", Input::new(), 4),
        Cmd::Ask("CHG0000022", &[0xa1], 5),
        Cmd::Decide("CHG0000022", 0xa1, ApprovalDecision::Approved, 6),
        Cmd::Apply("CHG0000022", "schedule", change_window(), 7),
        Cmd::Apply("CHG0000021", "schedule", change_window(), 7),
    ]
}

fn expect(number: &'static str, state: &'static str) -> Expect {
    Expect {
        number,
        state,
        clocks: 0,
        notices: 0,
    }
}

/// A release holds approved changes only, and is deployed as one unit: its
/// changes go to implementation with it, and a failed deployment backs
/// every one of them out.
#[test]
fn a_release_is_deployed_and_backed_out_with_its_changes() {
    let mut deploy = release_and_changes();
    // The normal change is not approved yet: no build, whatever the caller says.
    deploy.push(Cmd::Refused(Box::new(Cmd::Apply(
        "RLSE0000031",
        "build",
        Input::new().with_guard("changes_approved"),
        2,
    ))));
    deploy.extend(approve_and_schedule());
    deploy.extend([
        Cmd::Apply("RLSE0000031", "build", Input::new(), 8),
        Cmd::Apply("RLSE0000031", "test", Input::new(), 9),
        Cmd::Apply("RLSE0000031", "deploy", Input::new(), 10),
    ]);
    check(
        "release_deploy",
        deploy,
        &[
            expect("RLSE0000031", "deploy"),
            expect("CHG0000021", "implement"),
            expect("CHG0000022", "implement"),
        ],
    );

    let mut failed = release_and_changes();
    failed.extend(approve_and_schedule());
    failed.extend([
        Cmd::Apply("RLSE0000031", "build", Input::new(), 8),
        Cmd::Apply("RLSE0000031", "test", Input::new(), 9),
        Cmd::Apply("RLSE0000031", "deploy", Input::new(), 10),
        // One change was implemented before the deployment failed.
        Cmd::Apply("CHG0000021", "review", Input::new(), 11),
        Cmd::Apply("RLSE0000031", "back_out", Input::new(), 12),
    ]);
    check(
        "release_back_out",
        failed,
        &[
            expect("RLSE0000031", "build"),
            expect("CHG0000021", "review"),
            expect("CHG0000022", "review"),
        ],
    );

    // A change that cannot follow (approved, never scheduled) refuses the
    // whole deployment: nothing moves.
    let mut stuck = release_and_changes();
    stuck.extend([
        Cmd::Apply("CHG0000022", "assess", Input::new(), 3),
        Cmd::Apply("CHG0000022", "request_authorization", Input::new(), 4),
        Cmd::Ask("CHG0000022", &[0xa1], 5),
        Cmd::Decide("CHG0000022", 0xa1, ApprovalDecision::Approved, 6),
        Cmd::Apply("CHG0000021", "schedule", change_window(), 7),
        Cmd::Apply("RLSE0000031", "build", Input::new(), 8),
        Cmd::Apply("RLSE0000031", "test", Input::new(), 9),
        Cmd::Refused(Box::new(Cmd::Apply(
            "RLSE0000031",
            "deploy",
            Input::new(),
            10,
        ))),
    ]);
    check(
        "release_stuck",
        stuck,
        &[
            expect("RLSE0000031", "test"),
            expect("CHG0000021", "scheduled"),
            expect("CHG0000022", "authorize"),
        ],
    );
}

/// The back-out is recorded on each change: close code `unsuccessful`, the
/// notes and a work note naming the release; the refusal names the change
/// that is not approved.
#[test]
fn a_back_out_is_recorded_on_each_change_and_a_refusal_names_the_change() {
    let url = urls("release_record").remove(0);
    let mut desk = Desk::open(&url, Config::default()).unwrap();
    for cmd in release_and_changes() {
        run(&mut desk, &cmd).unwrap();
    }
    let refusal = desk
        .apply(&num("RLSE0000031"), "build", &Input::new(), &Ctx::at(t(2)))
        .unwrap_err()
        .to_string();
    assert!(
        refusal.contains("change CHG0000022, which is not approved (approval not_requested)"),
        "{refusal}"
    );
    assert!(!refusal.contains("CHG0000021"), "{refusal}");
    for cmd in approve_and_schedule() {
        run(&mut desk, &cmd).unwrap();
    }
    for (event, m) in [("build", 8), ("test", 9), ("deploy", 10), ("back_out", 12)] {
        desk.apply(&num("RLSE0000031"), event, &Input::new(), &Ctx::at(t(m)))
            .unwrap();
    }
    for number in ["CHG0000021", "CHG0000022"] {
        let view = desk.show(&num(number)).unwrap();
        let Record::Change(c) = &view.record else {
            panic!("not a change")
        };
        assert_eq!(c.state, itsm_core::ChangeState::Review, "{number}");
        assert_eq!(
            c.close_code,
            Some(itsm_core::ChangeCloseCode::Unsuccessful),
            "{number}"
        );
        assert_eq!(
            c.close_notes.as_deref(),
            Some("backed out with release RLSE0000031: its deployment failed"),
            "{number}"
        );
        let events = desk
            .store()
            .read_stream(view.record.stream_id(), 1, 100)
            .unwrap();
        let all: String = events.iter().map(|e| e.payload.as_str()).collect();
        // The work note and the audit entry of the back-out.
        assert!(
            all.contains(r#""visibility":"work_note","text":"backed out with release RLSE0000031"#),
            "{number}: {all}"
        );
    }
    assert!(desk.check().unwrap().is_clean());
}

/// Checks a compliance query: `(counted, met, breached)` of the response SLA.
fn check_compliance(
    desk: &mut Desk,
    filter: itsm_store::RecordFilter,
    definition: Option<&str>,
    expect: (u64, u64, u64),
) {
    let report = desk
        .compliance(
            itsm_core::RecordKind::Incident,
            filter.clone(),
            definition,
            t(0),
            t(24 * 60),
        )
        .unwrap();
    let row = report
        .by_definition
        .iter()
        .find(|r| r.definition.as_deref() == Some("incident-response"))
        .map_or((0, 0, 0), |r| {
            (r.counted as u64, r.met as u64, r.breached as u64)
        });
    assert_eq!(row, expect, "{filter:?} {definition:?}");
    if definition == Some("incident-response") {
        assert_eq!(
            report.by_definition.len(),
            1,
            "only the definition asked for"
        );
    }
}

#[test]
fn compliance_is_reported_for_a_group_a_priority_and_a_definition() {
    use itsm_core::{GroupId, Priority};
    use itsm_store::RecordFilter;
    for url in urls("compliance") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        // Three P5 incidents at 09:00 (response goal 1 h, 24×7): the first
        // two for group 1, the third for group 2; the first and the third
        // are started (responded to) at 09:10, the second never.
        for n in 1..=3u128 {
            let number = format!("INC000000{n}");
            let low = json!({ "impact": "low", "urgency": "low", "priority": "p5" });
            desk.open_record(record("incident", n, &number, low), &Ctx::at(t(0)))
                .unwrap();
            let group = GroupId::from_u128(if n == 3 { 2 } else { 1 });
            desk.assign(&num(&number), Some(group), None, &Ctx::at(t(5)))
                .unwrap();
            if n != 2 {
                desk.apply(&num(&number), "start", &Input::new(), &Ctx::at(t(10)))
                    .unwrap();
            }
        }
        // Before the tick, the stored clock of the second still runs.
        check_compliance(
            &mut desk,
            RecordFilter::All,
            Some("incident-response"),
            (2, 2, 0),
        );
        desk.tick(t(120)).unwrap();
        check_compliance(
            &mut desk,
            RecordFilter::All,
            Some("incident-response"),
            (3, 2, 1),
        );
        check_compliance(&mut desk, RecordFilter::All, None, (3, 2, 1));
        check_compliance(
            &mut desk,
            RecordFilter::Group(GroupId::from_u128(1)),
            None,
            (2, 1, 1),
        );
        check_compliance(
            &mut desk,
            RecordFilter::Group(GroupId::from_u128(2)),
            None,
            (1, 1, 0),
        );
        check_compliance(
            &mut desk,
            RecordFilter::Priority(Priority::P5),
            None,
            (3, 2, 1),
        );
        check_compliance(
            &mut desk,
            RecordFilter::Priority(Priority::P1),
            None,
            (0, 0, 0),
        );
        check_compliance(
            &mut desk,
            RecordFilter::All,
            Some("incident-resolution"),
            (0, 0, 0),
        );
    }
}

/// A day's commands, some of which are refused: the same list is run one by
/// one on one desk and as one batch on another.
fn day_commands() -> Vec<itsm_desk::CommandAt> {
    use itsm_desk::{Command, CommandAt};
    let at = |m: i64, command: Command| CommandAt {
        command,
        at: t(m),
        actor: Some(PersonId::from_u128(0xa1)),
        expected_version: None,
    };
    let low = json!({ "impact": "low", "urgency": "low", "priority": "p5" });
    let note = |n: &str, text: &str| Command::Comment {
        number: num(n),
        visibility: CommentVisibility::WorkNote,
        text: text.to_owned(),
    };
    let apply = |n: &str, event: &str, input: Input| Command::Apply {
        number: num(n),
        event: event.to_owned(),
        input,
    };
    let mut out = vec![
        at(
            0,
            Command::Open {
                record: Box::new(record("incident", 1, "INC0000001", low.clone())),
            },
        ),
        at(
            1,
            Command::Open {
                record: Box::new(record("incident", 2, "INC0000002", low.clone())),
            },
        ),
        at(2, note("INC0000001", "first look")),
        // Refused: resolving needs a code and notes; nothing written.
        at(3, apply("INC0000001", "resolve", Input::new())),
        at(4, apply("INC0000001", "start", Input::new())),
        // Refused: a second record with the number of the first.
        at(
            5,
            Command::Open {
                record: Box::new(record("incident", 3, "INC0000001", low.clone())),
            },
        ),
        at(
            6,
            Command::Assign {
                number: num("INC0000002"),
                group: Some(itsm_core::GroupId::from_u128(7)),
                person: None,
            },
        ),
        at(
            7,
            Command::Open {
                record: Box::new(record("problem", 4, "PRB0000004", json!({}))),
            },
        ),
        at(
            8,
            Command::Link {
                a: num("INC0000001"),
                b: num("PRB0000004"),
            },
        ),
        at(
            9,
            apply(
                "INC0000001",
                "hold",
                Input::new().with_reason("awaiting_problem"),
            ),
        ),
        // Refused: no such record.
        at(10, note("INC0009999", "nobody")),
        at(11, apply("PRB0000004", "assess", Input::new())),
        at(12, apply("PRB0000004", "analyze", Input::new())),
        at(13, apply("PRB0000004", "start_fix", Input::new())),
        // Resolving the problem resolves the incident awaiting it, in the batch.
        at(
            14,
            apply(
                "PRB0000004",
                "resolve",
                Input::new()
                    .with_field("resolution_code", "fix_applied")
                    .with_field("fix_notes", "patched"),
            ),
        ),
        at(15, note("INC0000002", "still here")),
    ];
    // A stale expected version is refused; the right one passes.
    let mut stale = at(16, note("INC0000002", "stale"));
    stale.expected_version = Some(1);
    out.push(stale);
    let mut fresh = at(17, note("INC0000002", "fresh"));
    fresh.expected_version = Some(4);
    out.push(fresh);
    out
}

#[test]
fn a_batch_does_what_its_commands_do_one_by_one_in_one_transaction() {
    use itsm_desk::CommandAt;
    for url in urls("batch_day") {
        let commands = day_commands();
        let one_by_one_url = format!(
            "sqlite://{}",
            std::env::temp_dir()
                .join(format!("itsm-desk-one-by-one-{}.db", std::process::id()))
                .display()
        );
        let _ = std::fs::remove_file(one_by_one_url.trim_start_matches("sqlite://"));
        let mut single = Desk::open(&one_by_one_url, Config::default()).unwrap();
        let singles: Vec<Result<itsm_desk::Outcome, DeskError>> = commands
            .iter()
            .map(|c: &CommandAt| single.run(&c.command, &c.ctx()))
            .collect();
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let before = desk.store().head().unwrap();
        let batched = desk.batch(&commands).unwrap();
        assert_eq!(batched.len(), commands.len());
        for (i, (a, b)) in singles.iter().zip(&batched).enumerate() {
            match (a, b) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "command {i}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "command {i}"),
                _ => panic!("command {i}: one by one {a:?}, batched {b:?}"),
            }
        }
        let refused: Vec<usize> = batched
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_err())
            .map(|(i, _)| i)
            .collect();
        assert_eq!(refused, [3, 5, 10, 16]);
        // The same events, records and clocks as one by one.
        assert_eq!(
            desk.store().head().unwrap() - before,
            single.store().head().unwrap()
        );
        for n in ["INC0000001", "INC0000002", "PRB0000004"] {
            let (a, b) = (single.show(&num(n)).unwrap(), desk.show(&num(n)).unwrap());
            assert_eq!((&a.record, a.version), (&b.record, b.version), "{n}");
            let clocks = |v: &itsm_desk::RecordView| {
                v.clocks
                    .iter()
                    .map(|c| c.evaluation.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(clocks(&a), clocks(&b), "{n}");
        }
        assert_eq!(
            desk.show(&num("INC0000001")).unwrap().record.state_name(),
            "resolved"
        );
        assert!(desk.check().unwrap().is_clean());
        // One commit: every event of the batch is in one run of positions.
        let events = desk.store().read_all(before, 10_000).unwrap();
        assert!(
            events
                .windows(2)
                .all(|w| w[1].position == w[0].position + 1)
        );
    }
}

#[test]
fn batches_racing_on_the_same_tickets_lose_nothing() {
    use itsm_desk::{Command, CommandAt};
    for url in urls("batch_race") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let tickets = 10u128;
        for n in 1..=tickets {
            desk.open_record(
                record("incident", n, &format!("INC{n:07}"), json!({})),
                &Ctx::at(t(0)),
            )
            .unwrap();
        }
        let handles: Vec<_> = (0..4u64)
            .map(|w| {
                let url = url.clone();
                std::thread::spawn(move || {
                    let mut desk = Desk::open(&url, Config::default()).unwrap();
                    let mut conflicts = 0;
                    for round in 0..5i64 {
                        let commands: Vec<CommandAt> = (1..=tickets)
                            .map(|n| CommandAt {
                                command: Command::Comment {
                                    number: num(&format!("INC{n:07}")),
                                    visibility: CommentVisibility::WorkNote,
                                    text: format!("writer {w} round {round}"),
                                },
                                at: t(1),
                                actor: None,
                                expected_version: None,
                            })
                            .collect();
                        loop {
                            match desk.batch(&commands) {
                                Ok(results) => {
                                    assert!(results.iter().all(Result::is_ok));
                                    break;
                                }
                                Err(DeskError::VersionConflict { .. }) => conflicts += 1,
                                Err(e) => panic!("{e}"),
                            }
                        }
                    }
                    conflicts
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        for n in 1..=tickets {
            let view = desk.show(&num(&format!("INC{n:07}"))).unwrap();
            let events = desk
                .store()
                .read_stream(view.record.stream_id(), 1, 10_000)
                .unwrap();
            let notes = events
                .iter()
                .filter(|e| e.payload.contains("writer "))
                .count();
            assert_eq!(notes, 20, "INC{n:07}: 4 writers × 5 rounds");
            assert!(
                events
                    .iter()
                    .enumerate()
                    .all(|(i, e)| e.version == i as u64 + 1)
            );
        }
        assert!(desk.check().unwrap().is_clean());
    }
}

/// A warning a time before the due instant is a notice of its own, keyed
/// on that time (a percentage keeps its key), and recorded once.
#[test]
fn a_warning_before_the_due_instant_is_a_notice_of_its_own() {
    use itsm_sla::{BusinessDuration, WarningThreshold};
    let mut config = Config::default();
    for sla in &mut config.slas {
        sla.warning_thresholds = vec![
            WarningThreshold::Percent(50),
            WarningThreshold::BeforeDue(BusinessDuration::from_hours(1)),
        ];
    }
    let mut inc = record("incident", 1, "INC0000001", json!({}));
    if let Record::Incident(i) = &mut inc {
        i.impact = Impact::High;
        i.urgency = Urgency::High;
    }
    for url in urls("before_due") {
        let mut desk = Desk::open(&url, config.clone()).unwrap();
        let opened = desk.open_record(inc.clone(), &Ctx::at(t(0))).unwrap();
        let goal_of = |definition: &str| {
            opened
                .clocks
                .iter()
                .find(|c| c.definition == definition)
                .map(|c| c.current().unwrap().goal_duration.as_secs())
                .unwrap()
        };
        // Two clocks, each: 50 %, an hour before the due instant, the breach.
        let report = desk.tick(t(60 * 24 * 10)).unwrap();
        assert_eq!((report.thresholds, report.breaches), (4, 2), "{report:?}");
        let report = desk.tick(t(60 * 24 * 11)).unwrap();
        assert_eq!((report.thresholds, report.breaches), (0, 0), "{report:?}");
        let view = desk.show(&num("INC0000001")).unwrap();
        let notices: Vec<itsm_desk::SlaNotice> = desk
            .store()
            .read_stream(view.record.stream_id(), 1, 10_000)
            .unwrap()
            .iter()
            .filter(|ev| ev.event_type == "sla_notice")
            .map(|ev| desk.store().decode(ev).unwrap())
            .collect();
        assert_eq!(notices.len(), 6, "{notices:#?}");
        let before: Vec<&itsm_desk::SlaNotice> =
            notices.iter().filter(|n| n.before_due.is_some()).collect();
        assert_eq!(before.len(), 2, "{notices:#?}");
        for n in before {
            assert_eq!(n.notice, "threshold");
            assert_eq!(n.before_due, Some(BusinessDuration::from_hours(1)));
            // The share of the goal used an hour before the due instant.
            let goal = goal_of(&n.definition);
            let want = goal.saturating_sub(3600) * 100 / goal;
            assert_eq!(u64::from(n.percent), want, "{n:?} (goal {goal} s)");
        }
        assert_eq!(
            notices
                .iter()
                .filter(|n| n.before_due.is_none() && n.notice == "threshold")
                .map(|n| n.percent)
                .collect::<Vec<_>>(),
            [50, 50]
        );
    }
}

#[test]
fn the_requester_of_a_change_cannot_approve_it_unless_the_rule_is_off() {
    let window = || {
        Input::new()
            .with_field("planned_start", "2026-03-03T18:00:00Z")
            .with_field("planned_end", "2026-03-03T19:00:00Z")
    };
    let requester = PersonId::from_u128(0xa1);
    let opened = || {
        vec![
            Cmd::Open(
                record(
                    "change",
                    3,
                    "CHG0000003",
                    json!({ "change_type": "normal", "requested_by": requester.to_string() }),
                ),
                0,
            ),
            Cmd::Apply("CHG0000003", "assess", Input::new(), 1),
            Cmd::Apply("CHG0000003", "request_authorization", Input::new(), 2),
        ]
    };
    // (separation of duties on, the requester asked and approving, expected refusal)
    for (on, url) in [true, false]
        .into_iter()
        .flat_map(|on| urls(&format!("sod_{on}")).into_iter().map(move |u| (on, u)))
    {
        let mut config = Config::default();
        config.separation_of_duties.requester_cannot_approve = on;
        let mut desk = Desk::open(&url, config).unwrap();
        for cmd in opened() {
            run(&mut desk, &cmd).unwrap();
        }
        let head = desk.store().head().unwrap();
        let asked = run(&mut desk, &Cmd::Ask("CHG0000003", &[0xa1, 0xa2], 3));
        let decided = asked.and_then(|()| {
            run(
                &mut desk,
                &Cmd::Decide("CHG0000003", 0xa1, ApprovalDecision::Approved, 4),
            )
        });
        if on {
            let refused = decided.unwrap_err().to_string();
            assert!(
                refused.contains("requester_cannot_approve"),
                "{url}: {refused}"
            );
            // A refusal writes nothing; the requester still may not approve
            // an approval asked of someone else, and the others may.
            assert_eq!(desk.store().head().unwrap(), head, "{url}");
            run(&mut desk, &Cmd::Ask("CHG0000003", &[0xa2], 3)).unwrap();
            let refused = run(
                &mut desk,
                &Cmd::Decide("CHG0000003", 0xa1, ApprovalDecision::Approved, 4),
            );
            assert!(refused.is_err(), "{url}");
        } else {
            decided.unwrap();
        }
        run(
            &mut desk,
            &Cmd::Decide("CHG0000003", 0xa2, ApprovalDecision::Approved, 5),
        )
        .unwrap();
        run(
            &mut desk,
            &Cmd::Apply("CHG0000003", "schedule", window(), 6),
        )
        .unwrap();
        let view = desk.show(&num("CHG0000003")).unwrap();
        assert_eq!(view.record.state_name(), "scheduled", "{url}");
        assert!(desk.check().unwrap().is_clean(), "{url}");
    }
}

/// Numbers 1, 2, 3, … per prefix from `start`, and random bits from a counter.
struct Numbers(u64);

impl itsm_core::Numbering for Numbers {
    fn next_number(&mut self, prefix: itsm_core::NumberPrefix) -> RecordNumber {
        self.0 += 1;
        RecordNumber::new(prefix, self.0).unwrap()
    }

    fn random(&mut self) -> [u8; 10] {
        self.0 += 1;
        let b = self.0.to_le_bytes();
        [b[0], b[1], b[2], b[3], 0, 0, 0, 0, 0, 1]
    }
}

fn example<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let path = format!(
        "{}/tests/repo/docs/examples/core/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    itsm_core::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn an_order_opens_its_request_item_standard_change_and_tasks_at_once() {
    let catalog: itsm_core::Catalog = example("catalog");
    let order: itsm_core::Order = example("order");
    let refs = itsm_core::OrderRefs::default();
    for url in urls("catalog order") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let ctx = Ctx::at(t(0)).by(order.requested_by);
        let outcome = desk
            .order(&catalog, &order, &refs, &mut Numbers(100), &ctx)
            .unwrap();
        let Record::ServiceRequest(request) = &outcome.record else {
            panic!("the outcome's record is the request: {:?}", outcome.record);
        };
        assert_eq!(outcome.also.len(), 5, "item, change, three tasks");
        let opened: Vec<Record> = outcome
            .also
            .iter()
            .map(|t| desk.show(&t.number).unwrap().record)
            .collect();
        let Some(Record::RequestItem(item)) = opened
            .iter()
            .find(|r| matches!(r, Record::RequestItem(_)))
            .cloned()
        else {
            panic!("the request item is opened");
        };
        let item_number = item.number;
        assert_eq!(item.request, request.id);
        assert_eq!(request.items, vec![item.id]);
        assert_eq!(item.approval, itsm_core::ApprovalStatus::NotRequired);
        let Some(Record::Change(change)) = opened
            .iter()
            .find(|r| matches!(r, Record::Change(c) if Some(c.id) == item.change))
            .cloned()
        else {
            panic!("the standard change is opened");
        };
        assert_eq!(request.changes, vec![change.id]);
        assert_eq!(change.request_item, Some(item.id));
        assert_eq!(change.service_request, Some(request.id));
        assert_eq!(change.approval, itsm_core::ApprovalStatus::NotRequired);
        // The change lists its tasks; each task is stored and names it.
        let listed = change.extensions.get("tasks").cloned().unwrap();
        let itsm_core::FieldValue::Array(listed) = listed else {
            panic!("a list of numbers");
        };
        assert_eq!(listed.len(), 3);
        for n in &listed {
            let number = num(n.as_str().unwrap());
            let Record::Task(task) = desk.show(&number).unwrap().record else {
                panic!("{number} is a task");
            };
            assert_eq!(task.parent, itsm_core::TaskParent::Change(change.id));
        }
        // Nothing starts before the change is implemented.
        let states = |desk: &mut Desk| -> Vec<String> {
            listed
                .iter()
                .map(
                    |n| match desk.show(&num(n.as_str().unwrap())).unwrap().record {
                        Record::Task(t) => t.state.to_string(),
                        other => panic!("{other:?}"),
                    },
                )
                .collect()
        };
        assert_eq!(states(&mut desk), ["pending", "pending", "pending"]);
        let early = desk.apply(
            &num(listed[0].as_str().unwrap()),
            "ready",
            &Input::new(),
            &Ctx::at(t(1)),
        );
        assert!(
            early.is_err(),
            "a task of a change not yet implementing waits"
        );
        // The change is scheduled and implemented without a CAB, but cannot
        // be reviewed while its tasks are active.
        let planned = Input::new()
            .with_value("planned_start", &t(60))
            .unwrap()
            .with_value("planned_end", &t(120))
            .unwrap();
        desk.apply(&change.number, "schedule", &planned, &Ctx::at(t(1)))
            .unwrap();
        let implementing = desk
            .apply(&change.number, "implement", &Input::new(), &Ctx::at(t(60)))
            .unwrap();
        assert_eq!(implementing.also.len(), 1, "its first task is readied");
        assert_eq!(states(&mut desk), ["open", "pending", "pending"]);
        // A client cannot start the third task out of turn, nor rewrite
        // the list of tasks.
        assert!(
            desk.apply(
                &num(listed[2].as_str().unwrap()),
                "ready",
                &Input::new(),
                &Ctx::at(t(60))
            )
            .is_err()
        );
        let cleared =
            Input::new().with_field("extensions.tasks", itsm_core::FieldValue::Array(Vec::new()));
        assert!(
            desk.update(&change.number, &cleared, &Ctx::at(t(60)))
                .is_err()
        );
        let blocked = desk.apply(&change.number, "review", &Input::new(), &Ctx::at(t(90)));
        let message = blocked.unwrap_err().to_string();
        for n in &listed {
            assert!(message.contains(n.as_str().unwrap()), "{message}");
        }
        // Ending a task readies the next, in the same transaction.
        let task = |i: usize| num(listed[i].as_str().unwrap());
        for (i, expect) in [
            ["closed_complete", "open", "pending"],
            ["closed_complete", "closed_complete", "open"],
        ]
        .iter()
        .enumerate()
        {
            desk.apply(&task(i), "start", &Input::new(), &Ctx::at(t(61)))
                .unwrap();
            let done = desk
                .apply(&task(i), "complete", &Input::new(), &Ctx::at(t(62)))
                .unwrap();
            assert_eq!(done.also.len(), 1, "the next task is readied");
            assert_eq!(states(&mut desk), *expect);
        }
        desk.apply(
            &task(2),
            "skip",
            &Input::new().with_field("close_notes", "Probes already green."),
            &Ctx::at(t(63)),
        )
        .unwrap();
        let reviewed = desk
            .apply(&change.number, "review", &Input::new(), &Ctx::at(t(90)))
            .unwrap();
        let Record::Change(reviewed) = reviewed.record else {
            panic!()
        };
        assert_eq!(reviewed.state, itsm_core::ChangeState::Review);

        // No approval needed: straight to fulfilment.
        let fulfil = desk
            .apply(&item_number, "fulfil", &Input::new(), &Ctx::at(t(1)))
            .unwrap();
        let Record::RequestItem(item) = fulfil.record else {
            panic!()
        };
        assert_eq!(item.state, itsm_core::ServiceRequestState::Fulfilment);

        // The same numbers again: refused, and nothing of the second order
        // is written.
        let before = desk.export_page(0, 10_000).unwrap().len();
        let again = desk.order(&catalog, &order, &refs, &mut Numbers(100), &ctx);
        assert!(matches!(again, Err(DeskError::Refused { .. })), "{again:?}");
        // A bad answer: every problem, nothing written.
        let mut bad = order.clone();
        bad.quantity = 0;
        bad.variables
            .insert("colour".into(), itsm_core::FieldValue::from("red"));
        match desk.order(&catalog, &bad, &refs, &mut Numbers(500), &ctx) {
            Err(DeskError::Order { problems, .. }) => {
                let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
                assert_eq!(paths, vec!["quantity", "variables.colour"], "{problems:?}");
            }
            other => panic!("refused with every problem, not {other:?}"),
        }
        assert_eq!(desk.export_page(0, 10_000).unwrap().len(), before);
    }
}

#[test]
fn a_task_joins_its_parent_and_holds_it_open_unless_the_rule_is_off() {
    for (n, on) in [(0, true), (1, false)] {
        for url in urls(&format!("task rule {n}")) {
            let mut config = Config::default();
            if !on {
                config.task_rule = itsm_lifecycle::TaskRule::off();
            }
            let mut desk = Desk::open(&url, config).unwrap();
            let incident = record("incident", 1, "INC0000001", json!({}));
            let Record::Incident(i) = &incident else {
                panic!()
            };
            let parent = itsm_core::TaskParent::Incident(i.id);
            desk.open_record(incident.clone(), &Ctx::at(t(0))).unwrap();
            let task = itsm_core::Task::new(
                itsm_core::TaskId::from_u128(7),
                num("TASK0000007"),
                parent,
                "Replace the failed disk",
                t(1),
            );
            let opened = desk
                .open_record(Record::Task(task.clone()), &Ctx::at(t(1)))
                .unwrap();
            assert_eq!(opened.also.len(), 1, "the parent lists it");
            let shown = desk.show(&num("INC0000001")).unwrap();
            assert!(
                shown
                    .links
                    .iter()
                    .any(|l| serde_json::to_string(l).unwrap().contains("TASK0000007")),
                "{:?}",
                shown.links
            );
            let resolved = desk.apply(
                &num("INC0000001"),
                "resolve",
                &resolve("solution_provided"),
                &Ctx::at(t(2)),
            );
            match (on, resolved) {
                (false, Ok(_)) => {}
                (true, Err(e)) => assert!(e.to_string().contains("TASK0000007"), "{e}"),
                (on, other) => panic!("rule on: {on}, got {other:?}"),
            }
            // A task of a record that is not there, or of another kind, is refused.
            let mut stray = task.clone();
            stray.id = itsm_core::TaskId::from_u128(8);
            stray.number = num("TASK0000008");
            stray.parent =
                itsm_core::TaskParent::Change(itsm_core::ChangeId::from_u128(i.id.as_u128()));
            assert!(matches!(
                desk.open_record(Record::Task(stray), &Ctx::at(t(3))),
                Err(DeskError::Refused { .. })
            ));
        }
    }
}

#[test]
fn a_standard_change_opens_from_its_template_with_its_tasks() {
    let catalog: itsm_core::Catalog = example("catalog");
    let template = catalog.standard_changes[0].clone();
    for url in urls("standard change") {
        let mut desk = Desk::open(&url, Config::default()).unwrap();
        let requester = PersonId::from_u128(5);
        let outcome = desk
            .open_standard_change(&template, requester, &mut Numbers(10), &Ctx::at(t(0)))
            .unwrap();
        let Record::Change(change) = &outcome.record else {
            panic!("{:?}", outcome.record)
        };
        assert_eq!(change.template, Some(template.id));
        assert_eq!(change.approval, itsm_core::ApprovalStatus::NotRequired);
        assert_eq!(change.requested_by, requester);
        let states: Vec<(String, String)> = outcome
            .also
            .iter()
            .map(|t| match desk.show(&t.number).unwrap().record {
                Record::Task(task) => (task.template.unwrap(), task.state.to_string()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            states,
            [
                ("drain".to_owned(), "pending".to_owned()),
                ("restart".to_owned(), "pending".to_owned()),
                ("verify".to_owned(), "pending".to_owned()),
            ]
        );
        let mut inactive = template.clone();
        inactive.active = false;
        assert!(matches!(
            desk.open_standard_change(&inactive, requester, &mut Numbers(50), &Ctx::at(t(1))),
            Err(DeskError::Refused { .. })
        ));
    }
}

#[test]
fn with_a_directory_roles_decide_permissions_guards_and_assignments() {
    use itsm_core::{Directory, Group, GroupId, Permission, Person, Role, RoleId};
    let (agent, viewer, manager, analyst, gone) = (
        PersonId::from_u128(11),
        PersonId::from_u128(12),
        PersonId::from_u128(13),
        PersonId::from_u128(14),
        PersonId::from_u128(15),
    );
    let desk_group = GroupId::from_u128(21);
    let role = |n: u128, name: &str, kinds: &[&str], events: &[&str]| {
        let mut r = Role::new(RoleId::from_u128(n), name);
        r.permissions = vec![Permission::new(
            kinds.iter().copied(),
            events.iter().copied(),
        )];
        r
    };
    let person = |id: PersonId, name: &str, roles: &[u128], active: bool| {
        let mut p = Person::new(id, name);
        p.roles = roles.iter().map(|r| RoleId::from_u128(*r)).collect();
        p.active = active;
        p
    };
    let mut group = Group::new(desk_group, "Service desk");
    group.members = vec![agent];
    let directory = Directory {
        people: vec![
            person(agent, "Agent", &[31], true),
            person(viewer, "Viewer", &[], true),
            person(manager, "Manager", &[32], true),
            person(analyst, "Analyst", &[33], true),
            person(gone, "Gone", &[31], false),
        ],
        groups: vec![group],
        roles: vec![
            role(
                31,
                "agent",
                &["incident"],
                &["start", "hold", "resume", "resolve"],
            ),
            role(32, "problem_manager", &["problem"], &["*"]),
            role(33, "problem_analyst", &["problem"], &["*"]),
        ],
    };
    for url in urls("directory roles") {
        let config = Config {
            directory: Some(directory.clone()),
            ..Config::default()
        };
        let mut desk = Desk::open(&url, config).unwrap();
        desk.open_record(
            record("incident", 1, "INC0000001", json!({})),
            &Ctx::at(t(0)),
        )
        .unwrap();
        let inc = num("INC0000001");
        // No role allows it: refused, whatever the caller says.
        let refused = desk.apply(&inc, "start", &Input::new(), &Ctx::at(t(1)).by(viewer));
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("none of their roles"),
            "a person without the permission is refused"
        );
        let refused = desk.apply(&inc, "start", &Input::new(), &Ctx::at(t(1)).by(gone));
        assert!(refused.unwrap_err().to_string().contains("inactive"));
        let refused = desk.apply(
            &inc,
            "start",
            &Input::new(),
            &Ctx::at(t(1)).by(PersonId::from_u128(99)),
        );
        assert!(refused.is_err(), "somebody the directory does not know");
        desk.apply(&inc, "start", &Input::new(), &Ctx::at(t(1)).by(agent))
            .unwrap();
        // Assignments go to active members of the group.
        let bad = desk.assign(&inc, Some(desk_group), Some(viewer), &Ctx::at(t(2)));
        assert!(bad.unwrap_err().to_string().contains("not_a_member"));
        let bad = desk.assign(&inc, None, Some(gone), &Ctx::at(t(2)));
        assert!(bad.unwrap_err().to_string().contains("inactive_person"));
        desk.assign(&inc, Some(desk_group), Some(agent), &Ctx::at(t(2)))
            .unwrap();
        // Edits and assignments are work on the record: a person with no
        // role on incidents may do neither; the agent may.
        let edit = Input::new().with_field("short_description", "Mail is down");
        let viewer_edit = desk.update(&inc, &edit, &Ctx::at(t(2)).by(viewer));
        assert!(
            viewer_edit
                .unwrap_err()
                .to_string()
                .contains("no role that works on incident records")
        );
        assert!(
            desk.assign(
                &inc,
                Some(desk_group),
                Some(agent),
                &Ctx::at(t(2)).by(viewer)
            )
            .is_err()
        );
        desk.update(&inc, &edit, &Ctx::at(t(2)).by(agent)).unwrap();

        // Re-analysing a closed problem is the problem manager's: an
        // analyst vouching for the guard is refused.
        desk.open_record(
            record("problem", 2, "PRB0000002", json!({})),
            &Ctx::at(t(3)),
        )
        .unwrap();
        let prb = num("PRB0000002");
        let resolve = Input::new().with_field("resolution_code", "risk_accepted");
        desk.apply(&prb, "resolve", &resolve, &Ctx::at(t(4)).by(manager))
            .unwrap();
        desk.apply(&prb, "close", &Input::new(), &Ctx::at(t(5)).by(manager))
            .unwrap();
        let vouched = Input::new().with_guard("reanalyze_role");
        assert!(
            desk.apply(&prb, "reanalyze", &vouched, &Ctx::at(t(6)).by(analyst))
                .is_err()
        );
        let again = desk
            .apply(&prb, "reanalyze", &Input::new(), &Ctx::at(t(6)).by(manager))
            .unwrap();
        assert_eq!(again.record.state_name(), "root_cause_analysis");
    }
    // A directory that breaks its own rules is a configuration problem.
    let mut broken = directory.clone();
    broken.people[0].roles.push(RoleId::from_u128(77));
    let config = Config {
        directory: Some(broken),
        ..Config::default()
    };
    let problems = config.problems();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("directory.people[0].roles")),
        "{problems:?}"
    );
}
