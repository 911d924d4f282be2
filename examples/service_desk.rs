//! A morning at a service desk, told with the `itsm` vocabulary: an incident
//! is raised on a service, prioritised through the priority matrix,
//! validated, put on hold, resolved, and printed as JSON.
//!
//! Run it with `cargo run -p itsm-examples --example service_desk`.

use std::error::Error;

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    Criticality, GroupId, Impact, Incident, IncidentId, IncidentResolutionCode, IncidentState,
    NumberPrefix, OnHoldReason, PersonId, PriorityMatrix, RecordNumber, Service, ServiceId,
    ServiceKind, ServiceStatus, Timeline, TimelineChange, TimelineEvent, Urgency, Validate,
};

fn main() -> Result<(), Box<dyn Error>> {
    let opened = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 12, 0)
        .single()
        .ok_or("bad date")?;
    let agent = PersonId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
    let caller = PersonId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
    let desk = GroupId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0010);

    let payroll = Service {
        id: ServiceId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0100),
        name: "Payroll".into(),
        kind: ServiceKind::Business,
        criticality: Criticality::MostCritical,
        status: ServiceStatus::Live,
        description: Some("Monthly and weekly pay runs for 4,000 staff".into()),
        owner: None,
        support_group: Some(desk),
        configuration_item: None,
        extensions: Default::default(),
    };
    println!(
        "09:12  {} ({:?}, {}) is live.",
        payroll.name, payroll.kind, payroll.criticality
    );

    // The caller phones in: the payroll portal fails for everyone in finance.
    let mut incident = Incident::new(
        IncidentId::new_v7(opened, *b"example-01"),
        RecordNumber::new(NumberPrefix::Incident, 1234)?,
        caller,
        "Payroll portal returns HTTP 500 for the finance team",
        opened,
    );
    incident.service = Some(payroll.id);
    incident.assignment_group = Some(desk);
    incident.opened_by = Some(agent);

    // Impact and urgency give the priority through ServiceNow's 3x3 matrix.
    let matrix = PriorityMatrix::servicenow();
    incident.impact = Impact::High;
    incident.urgency = Urgency::Medium;
    incident.priority = matrix.priority(incident.impact, incident.urgency)?;
    println!(
        "09:12  {} raised on {}: impact {}, urgency {} -> priority {} (matrix {}).",
        incident.number,
        payroll.name,
        incident.impact,
        incident.urgency,
        incident.priority,
        matrix.name()
    );
    report("new", &incident);

    let mut timeline = Timeline::default();
    timeline.events.push(TimelineEvent {
        at: opened,
        actor: Some(agent),
        change: TimelineChange::Created {
            record_kind: itsm_core::RecordKind::Incident,
            state: "new".into(),
            category: itsm_core::StateCategory::New,
            priority: Some(incident.priority),
            assignment_group: Some(desk),
            assignee: None,
        },
    });

    // Work starts, then waits for the caller's screenshots.
    let work = opened + Duration::minutes(8);
    move_to(
        &mut incident,
        &mut timeline,
        IncidentState::InProgress,
        None,
        work,
        agent,
    );
    incident.assigned_to = Some(agent);
    let hold = work + Duration::minutes(20);
    move_to(
        &mut incident,
        &mut timeline,
        IncidentState::OnHold,
        Some(OnHoldReason::AwaitingCaller),
        hold,
        agent,
    );
    println!("{}  on hold, awaiting the caller.", hm(hold));
    report("on hold", &incident);

    // The caller answers; the agent restores the service.
    let back = hold + Duration::minutes(35);
    move_to(
        &mut incident,
        &mut timeline,
        IncidentState::InProgress,
        None,
        back,
        agent,
    );
    let resolved = back + Duration::minutes(50);
    // Resolving without a resolution code breaks a rule, and says which.
    incident.state = IncidentState::Resolved;
    incident.resolved_at = Some(resolved);
    let problems = incident.validate();
    println!("{}  resolving without a code is refused:", hm(resolved));
    for problem in &problems {
        println!("         - {problem}");
    }
    incident.state = IncidentState::InProgress;
    incident.resolved_at = None;
    move_to(
        &mut incident,
        &mut timeline,
        IncidentState::Resolved,
        None,
        resolved,
        agent,
    );
    incident.resolved_at = Some(resolved);
    incident.resolved_by = Some(agent);
    incident.resolution_code = Some(IncidentResolutionCode::WorkaroundProvided);
    incident.resolution_notes =
        Some("Restarted the payroll application pool; cause under investigation.".into());
    report("resolved", &incident);
    println!(
        "         {} timeline events recorded; timeline valid: {}.",
        timeline.events.len(),
        timeline.validate().is_empty()
    );

    println!(
        "\nThe incident as an integrator receives it:\n{}",
        serde_json::to_string_pretty(&incident)?
    );
    Ok(())
}

fn move_to(
    incident: &mut Incident,
    timeline: &mut Timeline,
    to: IncidentState,
    reason: Option<OnHoldReason>,
    at: DateTime<Utc>,
    actor: PersonId,
) {
    use itsm_core::RecordState;
    let from = incident.state;
    incident.state = to;
    incident.on_hold_reason = reason;
    timeline.events.push(TimelineEvent {
        at,
        actor: Some(actor),
        change: TimelineChange::StateChanged {
            from: from.name().into(),
            from_category: from.category(),
            to: to.name().into(),
            to_category: to.category(),
            reason: reason.map(|r| r.to_string()),
        },
    });
}

fn report(label: &str, incident: &Incident) {
    let violations = incident.validate();
    if violations.is_empty() {
        println!(
            "         [{label}] {} is valid in state {}.",
            incident.number, incident.state
        );
    } else {
        println!(
            "         [{label}] {} breaks {} rule(s).",
            incident.number,
            violations.len()
        );
    }
}

fn hm(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}
