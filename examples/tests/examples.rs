//! Runs each example's logic (the text it prints) and checks the key facts
//! of its story against the libraries' own answers.

#[path = "../calendar.rs"]
mod calendar;
#[path = "../cmdb_impact.rs"]
mod cmdb_impact;
#[path = "../custom_workflow.rs"]
mod custom_workflow;
#[path = "../desk_day.rs"]
mod desk_day;
#[path = "../schema_export.rs"]
mod schema_export;
// `service_desk_file` includes `service_desk`, the main example.
#[path = "../service_desk_file.rs"]
mod service_desk_file;
use service_desk_file::service_desk;

use itsm::cmdb::{Cmdb, CmdbData};
use itsm::lifecycle::ApprovalOutcome;
use itsm::sla::{BusinessDuration, SlaStage, SlaTarget};
use itsm::{ApprovalDecision, ChangeState, IncidentState, MajorIncidentState, Priority};

type Res = Result<(), Box<dyn std::error::Error>>;

/// Asserts that `text` contains every one of `needles`, printing the text otherwise.
fn check(example: &str, text: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            text.contains(needle),
            "{example}: expected the output to contain {needle:?}; output:\n{text}"
        );
    }
}

#[test]
fn service_desk_names_the_business_service_the_host_failure_takes_down() -> Res {
    let day = service_desk::service_day()?;
    let cmdb = Cmdb::import(itsm::from_json::<CmdbData>(include_str!(
        "../data/estate.json"
    ))?)?;
    let payroll = cmdb
        .data()
        .cis
        .iter()
        .find(|c| c.name == "Payroll")
        .ok_or("no Payroll CI")?;
    assert!(day.impact.services.contains(&payroll.id));
    assert!(day.impact.path_to(&payroll.id).is_some());
    assert!(
        day.impact
            .degraded
            .iter()
            .any(|d| cmdb.ci(&d.ci).is_some_and(|c| c.name == "esx-cluster-a")),
        "the cluster is degraded, not impacted: {:?}",
        day.impact.degraded
    );
    check(
        "service_desk",
        &day.text,
        &[
            "Service down: Payroll via esx-a-04 →",
            "Degraded, not impacted: esx-cluster-a",
        ],
    );
    Ok(())
}

#[test]
fn service_desk_due_instant_moves_by_exactly_the_paused_business_time() -> Res {
    let day = service_desk::service_day()?;
    let (before, after) = day.due_around_pause;
    let paused = day.resolution.business_paused;
    assert_eq!(paused, BusinessDuration::from_minutes(30));
    assert_eq!(day.calendar.between(before, after)?, paused);
    assert_eq!(day.calendar.add(before, paused)?, after);
    // The final figures hang together: elapsed + left = the P1 goal, and the
    // due instant is the start plus the goal plus the pause.
    let c = &day.resolution;
    assert_eq!(c.stage, SlaStage::Achieved);
    assert_eq!(c.priority, Some(Priority::P1));
    assert_eq!(c.goal_duration, BusinessDuration::from_hours(4));
    assert_eq!(c.business_elapsed + c.business_remaining, c.goal_duration);
    assert_eq!(
        day.calendar.add(c.start, c.goal_duration + paused)?,
        c.due_at
    );
    Ok(())
}

#[test]
fn service_desk_records_end_the_day_in_their_final_states() -> Res {
    let day = service_desk::service_day()?;
    assert_eq!(day.incident.state, IncidentState::Closed);
    assert_eq!(
        day.incident.major_incident_state,
        Some(MajorIncidentState::Accepted)
    );
    assert_eq!(day.incident.priority, Priority::P1);
    assert!(day.incident.closed_at.is_some() && day.incident.resolved_at.is_some());
    assert_eq!(day.change.state, ChangeState::Closed);
    assert!(day.change.actual_start.is_some() && day.change.actual_end.is_some());
    let approved = day
        .change
        .approvals
        .iter()
        .filter(|a| a.decision == ApprovalDecision::Approved)
        .count();
    assert_eq!(approved, 2);
    assert_eq!(
        itsm::lifecycle::ApprovalPolicy::NOfM { required: 2 }.outcome(&day.change.approvals),
        ApprovalOutcome::Approved
    );
    assert!(day.problem.known_error);
    assert_eq!(day.problem.known_error_record, Some(day.known_error.id));
    // The desk wrote both ends of every link.
    assert_eq!(day.incident.problem, Some(day.problem.id));
    assert!(day.problem.related_incidents.contains(&day.incident.id));
    assert!(day.problem.related_changes.contains(&day.change.id));
    assert!(day.change.related_problems.contains(&day.problem.id));
    assert_eq!(day.known_error.problem, day.problem.id);
    // Attaching the failed host recorded the services it takes down.
    let payroll = itsm::CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0002);
    let services = &day.incident.affected_services;
    assert!(
        services
            .iter()
            .any(|a| a.service == payroll && a.effect == itsm::ServiceEffect::Impacted),
        "{services:?}"
    );
    // The change removed the host from Payroll's single points of failure.
    let host = |list: &[itsm::cmdb::SinglePointOfFailure]| {
        list.iter()
            .any(|s| s.ci == itsm::CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_000c))
    };
    assert!(host(&day.spofs.0) && !host(&day.spofs.1));
    check(
        "service_desk",
        &day.text,
        &[
            "CHG0003005 closed (successful)",
            "INC0004711 closed",
            // The failed host ranks first among the root-cause candidates.
            "1. esx-a-04 (no other candidate's failure takes it down)",
        ],
    );
    Ok(())
}

#[test]
fn service_desk_compliance_counts_every_ticket_of_the_day() -> Res {
    let day = service_desk::service_day()?;
    // Six incidents: the major incident and the five of data/tickets.json.
    assert_eq!(day.tickets, 6);
    let row = |target: SlaTarget| {
        day.report
            .by_target
            .iter()
            .find(|r| r.target == target)
            .cloned()
            .ok_or("no row")
    };
    // Every ticket was responded to; one is still being worked on within
    // its resolution goal, so it is not counted yet.
    let response = row(SlaTarget::Response)?;
    assert_eq!(
        (response.counted, response.met, response.breached),
        (6, 4, 2)
    );
    let resolution = row(SlaTarget::Resolution)?;
    assert_eq!(
        (resolution.counted, resolution.met, resolution.breached),
        (5, 4, 1)
    );
    check(
        "service_desk",
        &day.text,
        &["SLA compliance of today's 6 incidents"],
    );
    Ok(())
}

#[test]
fn service_desk_file_keeps_the_day_in_its_database() -> Res {
    let path = std::env::temp_dir().join(format!("itsm-example-day-{}.db", std::process::id()));
    let (text, url) = service_desk_file::day_in_file(&path)?;
    assert_eq!(
        text.replace("a database", "SQLite in memory"),
        service_desk::run()?
    );
    // Opened again, the file holds the day: the closed major incident and
    // the CMDB with the change's second DNS server.
    let mut desk = itsm::desk::Desk::open(&url, itsm::desk::Config::default())?;
    let view = desk.show(&"INC0004711".parse()?)?;
    assert_eq!(view.record.state_name(), "closed");
    assert_eq!(view.clocks.len(), 2);
    let cmdb = desk.store().load_cmdb()?;
    assert!(cmdb.cmdb().data().cis.iter().any(|c| c.name == "vm-dns-02"));
    assert!(desk.check()?.is_clean());
    // Running it again starts from a fresh file.
    let (again, _) = service_desk_file::day_in_file(&path)?;
    assert_eq!(again, text);
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    Ok(())
}

#[test]
fn the_printed_story_fits_a_terminal() -> Res {
    let text = service_desk::run()?;
    let lines = text.lines().count();
    assert!((40..=120).contains(&lines), "{lines} lines:\n{text}");
    Ok(())
}

#[test]
fn custom_workflow_reports_every_problem_and_draws_the_diagram() -> Res {
    let text = custom_workflow::run()?;
    check(
        "custom_workflow",
        &text,
        &[
            "valid.",
            "unknown_state",
            "duplicate_transition",
            "unknown_guard",
            "unreachable_state",
            "dead_end",
            "required field \"vendor_ticket\" is missing",
            "guard \"vendor_under_contract\" refused",
            "in_progress (open) → awaiting_vendor (paused), SLA clocks pause",
            "stateDiagram",
        ],
    );
    Ok(())
}

#[test]
fn calendar_crosses_the_dst_change_and_the_easter_holidays() -> Res {
    let text = calendar::run()?;
    check(
        "calendar",
        &text,
        &[
            // Friday 16:00 GMT + 4 h: 1 h 30 on Friday, 2 h 30 on Monday (BST).
            "= Mon 30 Mar 11:30 BST (10:30Z)",
            // Thursday 16:00 + 4 h skips Good Friday and Easter Monday.
            "= Tue  7 Apr 11:30 BST (10:30Z)",
            "23 h later",
        ],
    );
    Ok(())
}

#[test]
fn cmdb_impact_shows_redundancy_holding_then_failing() -> Res {
    let text = cmdb_impact::run()?;
    check(
        "cmdb_impact",
        &text,
        &[
            "When host esx-a-01 fails:\n  impacted (depth): nothing else",
            "degraded, not impacted: esx-cluster-a (1 of 4 member_of down, 2 must stay up)",
            "service down: Payroll via esx-a-04",
            "Single points of failure of Payroll",
        ],
    );
    Ok(())
}

#[test]
fn schema_export_lists_every_document_of_the_four_crates() -> Res {
    let text = schema_export::run()?;
    let expected: usize = schema_export::bundles()
        .iter()
        .map(|b| b.documents().len())
        .sum();
    check(
        "schema_export",
        &text,
        &[
            &format!("{expected} schema documents in all"),
            "core/incident.schema.json",
            "sla/sla_definition.schema.json",
            "cmdb/impact_report.schema.json",
            "lifecycle/workflow_definition.schema.json",
            itsm::SCHEMA_BASE,
        ],
    );
    Ok(())
}

#[test]
fn desk_day_resolves_the_waiting_incident_with_its_problem_and_ticks_once() -> Res {
    let path =
        std::env::temp_dir().join(format!("itsm-examples-desk-day-{}.db", std::process::id()));
    let said = desk_day::day(&path)?.join("\n");
    check(
        "desk_day",
        &said,
        &[
            "INC0000001 → version 16 (resolved with problem PRB0000001)",
            "14:00 tick: 1 clock(s) due, 2 threshold(s) and 1 breach(es) recorded",
            "14:01 tick again: 0 new notice(s)",
            "INC0000001: resolved",
            "INC0000002: new",
            "projections in step",
        ],
    );
    // The database is a real file, and reopens with the same records.
    let mut desk = itsm::desk::Desk::open(
        &format!("sqlite://{}", path.display()),
        itsm::desk::Config::default(),
    )?;
    assert_eq!(
        desk.show(&"INC0000001".parse()?)?.record.state_name(),
        "resolved"
    );
    Ok(())
}

#[test]
fn the_readme_program_is_the_quickstart_example() -> Res {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))?;
    let example = include_str!("../quickstart.rs");
    // The example without its first line (the module's doc comment).
    let body = example.split_once('\n').ok_or("an empty example")?.1;
    let block = readme
        .split("```rust\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .ok_or("no rust block in the README")?;
    assert_eq!(
        block, body,
        "README.md's program and examples/quickstart.rs differ"
    );
    Ok(())
}
