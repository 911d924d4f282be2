//! A day at a service desk, end to end, on the sample data in `examples/data/`.
//!
//! A host fails; the CMDB finds the business service it takes down; an
//! incident is raised, prioritised through the matrix, promoted to major
//! incident; its SLA clocks run on the London office calendar through a pause
//! awaiting the caller and a priority change; it is resolved; a problem finds
//! the root cause and records a known error; a normal change goes through CAB
//! approval, is scheduled, implemented and reviewed (the CMDB confirms the
//! single point of failure is gone); the incident is closed; the day's SLA
//! compliance is printed.
//!
//! Every figure is computed by the libraries: the typed lifecycles decide
//! each transition, apply it to the record and write its timeline, which
//! drives the SLA clocks; the CMDB answers impact, root-cause and
//! single-point-of-failure questions. The example keeps the records and
//! their timelines, as a product embedding the libraries would.
//!
//! Run it with `cargo run -p itsm-examples --example service_desk`.

use std::error::Error;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use itsm::cmdb::{Cmdb, CmdbData, ConfigurationItem, ImpactReport, QueryOptions, Relationship};
use itsm::cmdb::{RedundancyRequirement, SinglePointOfFailure};
use itsm::lifecycle::{
    ApprovalOutcome, ApprovalPolicy, ChangeEvent, Effect, IncidentEvent, Input, KnownErrorEvent,
    Lifecycle, MajorIncidentEvent, ProblemEvent, Step, incidents_to_resolve,
};
use itsm::sla::{
    BusinessCalendar, CompiledCalendar, CompiledSla, ComplianceReport, SlaCycle, SlaDefinition,
    SlaEvaluation, evaluate,
};
use itsm::{
    ApprovalDecision, Change, ChangeCloseCode, CiId, Impact, Incident, IncidentId,
    IncidentResolutionCode, KnownError, KnownErrorId, KnownErrorState, OnHoldReason, PersonId,
    PriorityMatrix, Problem, ProblemResolutionCode, RecordNumber, RecordState, Timeline, Urgency,
    Validate,
};
use serde::Deserialize;

type Res<T> = Result<T, Box<dyn Error>>;

/// The people of the story.
const CALLER: PersonId = PersonId::from_u128(0x0196_300a_0001_7000_8000_0000_0000_0001);
const AGENT: PersonId = PersonId::from_u128(0x0196_300a_0001_7000_8000_0000_0000_0002);
const MIM: PersonId = PersonId::from_u128(0x0196_300a_0001_7000_8000_0000_0000_0003);
const ENGINEER: PersonId = PersonId::from_u128(0x0196_300a_0001_7000_8000_0000_0000_0004);

/// The CIs the story names (ids from `data/estate.json`).
const HOST: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_000c); // esx-a-04
const PAYROLL: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0002);
const DNS: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0003);
const PAYROLL_WEB: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0004);
const PAYROLL_DB: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0005);
const VM_PAYROLL_WEB: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0006);
const HOST_2: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_000a); // esx-a-02
const VM_DNS_2: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0023);
const BIND_DNS_2: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0024);

/// The day of the story: Tuesday 14 April 2026 (British Summer Time).
const DAY: (i32, u32, u32) = (2026, 4, 14);

/// Everything the desk runs on: the matrix, the record lifecycles, the
/// calendar, the SLA definitions and the CMDB, all loaded from `data/` and
/// validated.
struct Desk {
    matrix: PriorityMatrix,
    incidents: Lifecycle<Incident>,
    problems: Lifecycle<Problem>,
    known_errors: Lifecycle<KnownError>,
    changes: Lifecycle<Change>,
    calendar: CompiledCalendar,
    slas: Vec<CompiledSla>,
    cmdb: Cmdb,
}

/// An incident and its history (the timeline the SLA clocks replay).
struct Ticket {
    incident: Incident,
    timeline: Timeline,
}

impl Ticket {
    /// A ticket opened by `step`.
    fn opened(step: Step<Incident>) -> Self {
        Self {
            incident: step.record,
            timeline: Timeline {
                events: step.timeline,
            },
        }
    }

    /// Keeps what a step did: the record as it is now, and its timeline events.
    fn take<S, E>(
        &mut self,
        step: Step<Incident, S, E>,
    ) -> Option<itsm::lifecycle::AuditEntry<S, E>> {
        self.incident = step.record;
        self.timeline.events.extend(step.timeline);
        step.audit
    }
}

/// The outcome of the day, for tests to check; `text` is what `main` prints.
#[allow(dead_code)] // the other fields are read by `tests/examples.rs`
pub struct Day {
    /// The story as printed.
    pub text: String,
    /// The impact analysis of the host failure.
    pub impact: ImpactReport,
    /// The major incident at the end of the day.
    pub incident: Incident,
    /// Its resolution SLA cycle when it was resolved.
    pub resolution: SlaCycle,
    /// The resolution due instant just before the pause, and just after it.
    pub due_around_pause: (DateTime<Utc>, DateTime<Utc>),
    /// The London calendar, to measure business time in tests.
    pub calendar: CompiledCalendar,
    /// The problem and its known error.
    pub problem: Problem,
    /// The known error recorded for the problem.
    pub known_error: KnownError,
    /// The change at the end of the day.
    pub change: Change,
    /// Payroll's single points of failure before and after the change.
    pub spofs: (Vec<SinglePointOfFailure>, Vec<SinglePointOfFailure>),
    /// How many tickets the compliance report evaluated.
    pub tickets: usize,
    /// The day's compliance report.
    pub report: ComplianceReport,
}

#[allow(dead_code)] // unused when the tests include this file
fn main() -> Res<()> {
    print!("{}", run()?);
    Ok(())
}

/// The story as text.
///
/// # Errors
/// Any error of the libraries or of the sample data.
pub fn run() -> Res<String> {
    Ok(service_day()?.text)
}

/// Runs the whole day.
///
/// # Errors
/// Any error of the libraries or of the sample data.
pub fn service_day() -> Res<Day> {
    let desk = load_desk()?;
    let mut out = String::new();
    let o = &mut out;
    writeln!(
        o,
        "A day at the service desk: Tuesday 14 April 2026, London.\n\
         The CMDB holds {} CIs and {} relationships.\n",
        desk.cmdb.ci_count(),
        desk.cmdb.relationship_count()
    )?;

    let impact = host_fails(&desk, o)?;
    let mut ticket = raise_incident(&desk, o)?;
    let due_around_pause = work_and_pause(&desk, &mut ticket, o)?;
    promote_to_major(&desk, &mut ticket, o)?;
    let resolution = resolve(&desk, &mut ticket, o)?;
    let (problem, known_error, spof_before) = investigate(&desk, &ticket, o)?;
    let (change, problem, known_error, spof_after) =
        fix_through_change(&desk, problem, known_error, &ticket, spof_before.len(), o)?;
    close(&desk, &mut ticket, at(19, 15), o)?;
    for broken in [
        ticket.incident.validate(),
        problem.validate(),
        known_error.validate(),
        change.validate(),
        ticket.timeline.validate(),
    ] {
        if let Some(v) = broken.first() {
            return Err(format!("a record breaks a rule: {v}").into());
        }
    }
    writeln!(
        o,
        "       {}, {}, {} and {} are valid; the incident's timeline holds {} events.",
        ticket.incident.number,
        problem.number,
        known_error.number,
        change.number,
        ticket.timeline.events.len()
    )?;

    let (tickets, report) = compliance(&desk, ticket, o)?;
    Ok(Day {
        text: out,
        impact,
        incident: tickets
            .last()
            .map(|t| t.incident.clone())
            .ok_or("no ticket")?,
        resolution,
        due_around_pause,
        calendar: desk.calendar,
        problem,
        known_error,
        change,
        spofs: (spof_before, spof_after),
        tickets: tickets.len(),
        report,
    })
}

fn load_desk() -> Res<Desk> {
    let sla = |text: &str| -> Res<CompiledSla> {
        Ok(CompiledSla::new(&SlaDefinition::from_json(text)?)?)
    };
    let matrix = PriorityMatrix::servicenow();
    Ok(Desk {
        incidents: Lifecycle::itil()?.with_matrix(matrix.clone()),
        problems: Lifecycle::itil()?,
        known_errors: Lifecycle::itil()?,
        changes: Lifecycle::itil()?.with_policy(ApprovalPolicy::NOfM { required: 2 }),
        matrix,
        calendar: CompiledCalendar::new(&BusinessCalendar::from_json(include_str!(
            "data/uk-office.calendar.json"
        ))?)?,
        slas: vec![
            sla(include_str!("data/incident-response.sla.json"))?,
            sla(include_str!("data/incident-resolution.sla.json"))?,
        ],
        cmdb: Cmdb::import(itsm::from_json::<CmdbData>(include_str!(
            "data/estate.json"
        ))?)?,
    })
}

/// 09:12: a host fails; the CMDB says what it takes down.
fn host_fails(desk: &Desk, o: &mut String) -> Res<ImpactReport> {
    let index = desk.cmdb.index()?;
    let impact = index.impact(&[HOST], &QueryOptions::new())?;
    writeln!(o, "09:12  Monitoring: host {} goes down.", name(desk, HOST))?;
    writeln!(
        o,
        "       Impact analysis: {} CIs impacted, {} service(s) down, {} degraded.",
        impact.impacted.len() - 1,
        impact.services.len(),
        impact.degraded.len()
    )?;
    let depth = impact.impacted.iter().map(|r| r.depth).max().unwrap_or(0);
    for d in 1..=depth {
        let at_depth: Vec<String> = impact
            .impacted
            .iter()
            .filter(|r| r.depth == d)
            .map(|r| {
                let via = r.relationship_type.as_deref().unwrap_or("?");
                format!("{} ({via})", name(desk, r.ci))
            })
            .collect();
        writeln!(o, "         depth {d}: {}", at_depth.join(", "))?;
    }
    for service in &impact.services {
        let path = impact
            .path_to(service)
            .ok_or("no path to an impacted service")?;
        writeln!(
            o,
            "       Service down: {} via {}",
            name(desk, *service),
            names(desk, &path).join(" → ")
        )?;
    }
    for d in &impact.degraded {
        writeln!(
            o,
            "       Degraded, not impacted: {} ({} of {} {} down, {} must stay up)",
            name(desk, d.ci),
            d.failed,
            d.total,
            d.relationship_type,
            d.required
        )?;
    }
    Ok(impact)
}

/// 09:14: the caller rings; the incident is raised and prioritised.
fn raise_incident(desk: &Desk, o: &mut String) -> Res<Ticket> {
    let opened = at(9, 14);
    let mut incident = Incident::new(
        IncidentId::new_v7(opened, *b"story-0001"),
        RecordNumber::new(itsm::NumberPrefix::Incident, 4711)?,
        CALLER,
        "Payroll portal cannot reach its database",
        opened,
    );
    incident.configuration_items = vec![PAYROLL, PAYROLL_WEB];
    incident.impact = Impact::High; // a critical business service, every employee
    incident.urgency = Urgency::Medium; // the pay run is on Thursday
    incident.opened_by = Some(AGENT);
    // Opening derives the priority from the matrix and writes `created`.
    let ticket = Ticket::opened(desk.incidents.open(incident, Some(AGENT), opened)?);
    let i = &ticket.incident;
    writeln!(
        o,
        "09:14  {} raised for Dana (payroll team): \"{}\".",
        i.number, i.short_description
    )?;
    writeln!(
        o,
        "       impact {} × urgency {} → {} ({} matrix). SLAs attached:",
        i.impact,
        i.urgency,
        i.priority,
        desk.matrix.name()
    )?;
    for e in slas(desk, &ticket, opened)? {
        let c = e.current().ok_or("the SLA did not attach")?;
        writeln!(
            o,
            "         {:<20} goal {}, due {}",
            e.definition,
            hours(c.goal_duration.as_secs()),
            when(c.due_at)
        )?;
    }
    Ok(ticket)
}

/// 09:20 to 10:05: work starts, waits for the caller, resumes. Returns the
/// resolution due instant just before the pause and just after it.
fn work_and_pause(
    desk: &Desk,
    t: &mut Ticket,
    o: &mut String,
) -> Res<(DateTime<Utc>, DateTime<Utc>)> {
    let (lc, agent) = (&desk.incidents, Some(AGENT));
    t.take(lc.apply(
        &t.incident,
        IncidentEvent::Start,
        &Input::new(),
        agent,
        at(9, 20),
    )?);
    t.take(lc.assign(&t.incident, None, agent, agent, at(9, 20))?);
    let response = &slas(desk, t, at(9, 20))?[0];
    let c = response.current().ok_or("no response cycle")?;
    writeln!(
        o,
        "09:20  Sam starts work (new → in_progress). {}: {} in {} ({:.0} % of the goal).",
        response.definition,
        c.stage,
        hours(c.business_elapsed.as_secs()),
        c.percentage
    )?;

    let before = resolution_cycle(desk, t, at(9, 35))?;
    let on_hold = Input::new().with_reason(OnHoldReason::AwaitingCaller.to_string());
    let hold = t
        .take(lc.apply(&t.incident, IncidentEvent::Hold, &on_hold, agent, at(9, 35))?)
        .ok_or("no audit entry")?;
    let (from, to) = (hold.from.category(), hold.to.category());
    writeln!(
        o,
        "09:35  On hold, {} (which pay run is blocked?): {from} → {to}, clock {} at {}.",
        t.incident.on_hold_reason.ok_or("no on-hold reason")?,
        if to == itsm::StateCategory::Paused && from != to {
            "paused"
        } else {
            "running"
        },
        hours(before.business_elapsed.as_secs())
    )?;

    let update = IncidentEvent::CallerUpdated;
    t.take(lc.apply(&t.incident, update, &Input::new(), agent, at(10, 5))?);
    let after = resolution_cycle(desk, t, at(10, 5))?;
    writeln!(
        o,
        "10:05  Dana answers (caller_updated → in_progress). Paused {} of business time:\n\
         \x20      resolution due moves from {} to {}.",
        hours(after.business_paused.as_secs()),
        when(before.due_at),
        when(after.due_at)
    )?;
    Ok((before.due_at, after.due_at))
}

/// 10:10 to 10:15: proposed and accepted as a major incident; priority P1.
fn promote_to_major(desk: &Desk, t: &mut Ticket, o: &mut String) -> Res<()> {
    let (lc, mim) = (&desk.incidents, Some(MIM));
    t.take(lc.propose_major(&t.incident, mim, at(10, 10))?);
    let accept = MajorIncidentEvent::Accept;
    let accepted = t
        .take(lc.apply_major(&t.incident, accept, mim, at(10, 15))?)
        .ok_or("no audit entry")?;
    // The whole pay run is at risk; the matrix moves the priority.
    let urgent = Input::new().with_value("urgency", &Urgency::High)?;
    t.take(lc.update(&t.incident, &urgent, mim, at(10, 15))?);
    let c = resolution_cycle(desk, t, at(10, 15))?;
    writeln!(
        o,
        "10:10  Proposed as a major incident; 10:15 {} by Alex (major incident manager).\n\
         \x20      urgency {} → {}: resolution goal now {}, time accrued kept, due {}.",
        accepted.to,
        t.incident.urgency,
        t.incident.priority,
        hours(c.goal_duration.as_secs()),
        when(c.due_at)
    )?;
    Ok(())
}

/// 12:10: service restored; the resolution SLA's figures.
fn resolve(desk: &Desk, t: &mut Ticket, o: &mut String) -> Res<SlaCycle> {
    let resolution = Input::new()
        .with_value(
            "resolution_code",
            &IncidentResolutionCode::WorkaroundProvided,
        )?
        .with_field(
            "resolution_notes",
            "vm-dns-01 restarted on esx-a-02; name resolution back for Payroll.",
        );
    let resolve = IncidentEvent::Resolve;
    t.take(
        desk.incidents
            .apply(&t.incident, resolve, &resolution, Some(AGENT), at(12, 10))?,
    );
    let c = resolution_cycle(desk, t, at(12, 10))?;
    writeln!(
        o,
        "12:10  Resolved ({}): {}",
        t.incident.resolution_code.ok_or("no code")?,
        t.incident.resolution_notes.as_deref().unwrap_or_default()
    )?;
    writeln!(
        o,
        "       incident-resolution {}: {} of {} used ({:.1} %), paused {}, {} left;\n\
         \x20      due {} (first due {}); warnings: {}.",
        c.stage,
        hours(c.business_elapsed.as_secs()),
        hours(c.goal_duration.as_secs()),
        c.percentage,
        hours(c.business_paused.as_secs()),
        hours(c.business_left.as_secs()),
        when(c.due_at),
        when(c.original_due_at),
        c.thresholds
            .iter()
            .map(|x| match x.crossed_at {
                Some(at) => format!("{} % at {}", x.percent, when(at)),
                None => format!("{} % not reached", x.percent),
            })
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(c)
}

/// 12:30 to 13:20: a problem for the root cause; the CMDB points at it; a known error.
fn investigate(
    desk: &Desk,
    t: &Ticket,
    o: &mut String,
) -> Res<(Problem, KnownError, Vec<SinglePointOfFailure>)> {
    let (lc, mim) = (&desk.problems, Some(MIM));
    let mut problem: Problem = itsm::from_json(include_str!("data/problem.json"))?;
    problem.related_incidents.push(t.incident.id);
    let mut problem = lc.open(problem, mim, at(12, 30))?.record;
    writeln!(
        o,
        "12:30  {} opened by Alex: \"{}\".",
        problem.number, problem.short_description
    )?;
    let none = Input::new();
    problem = lc
        .apply(&problem, ProblemEvent::Assess, &none, mim, at(12, 30))?
        .record;
    problem = lc
        .apply(&problem, ProblemEvent::Analyze, &none, mim, at(12, 35))?
        .record;

    // The symptoms seen this morning, and what could explain all of them.
    let index = desk.cmdb.index()?;
    let symptoms = [PAYROLL_WEB, PAYROLL_DB, VM_PAYROLL_WEB];
    let down = index.impact(&[HOST], &QueryOptions::new())?;
    let candidates: Vec<String> = index
        .root_causes(&symptoms, &QueryOptions::new(), 10)?
        .into_iter()
        .filter(|c| c.explains.len() == symptoms.len() && down.is_impacted(&c.ci))
        .map(|c| format!("{} (total depth {})", name(desk, c.ci), c.total_depth))
        .collect();
    writeln!(
        o,
        "       Root-cause candidates explaining {} that are down: {}.",
        names(desk, &symptoms).join(", "),
        candidates.join(", ")
    )?;
    let spofs = index.single_points_of_failure(&PAYROLL, &QueryOptions::new())?;
    let host_is_spof = spofs.iter().any(|s| s.ci == HOST);
    writeln!(
        o,
        "       Payroll has {} single points of failure; {} is one of them: {}.",
        spofs.len(),
        name(desk, HOST),
        if host_is_spof {
            "the only DNS server is pinned to it"
        } else {
            "no"
        }
    )?;

    let root_cause = "The only DNS server, vm-dns-01, is pinned to host esx-a-04: the cluster's \
                      redundancy does not cover it.";
    let workaround = "Restart vm-dns-01 on another host of esx-cluster-a.";
    let known_error = KnownError {
        id: KnownErrorId::new_v7(at(13, 0), *b"story-0002"),
        number: RecordNumber::new(itsm::NumberPrefix::KnownError, 311)?,
        problem: problem.id,
        title: "Payroll loses DNS when esx-a-04 fails".into(),
        symptoms: Some("payroll-web and payroll-db time out resolving host names.".into()),
        root_cause: root_cause.into(),
        workaround: workaround.into(),
        knowledge_article: None,
        configuration_items: problem.configuration_items.clone(),
        state: KnownErrorState::Open,
        created_at: at(13, 0),
        fixed_at: None,
        extensions: Default::default(),
    };
    let known_error = desk.known_errors.open(known_error, mim, at(13, 0))?.record;
    let documented = Input::new()
        .with_field("root_cause", root_cause)
        .with_field("workaround", workaround)
        .with_field("known_error", true)
        .with_value("known_error_record", &known_error.id)?;
    problem = lc.update(&problem, &documented, mim, at(13, 0))?.record;
    writeln!(
        o,
        "13:00  Known error {} ({}): {}\n\
         \x20      Workaround: {}",
        known_error.number, known_error.state, known_error.root_cause, known_error.workaround
    )?;
    Ok((problem, known_error, spofs))
}

/// 13:20 to 19:05: the fix, through a normal change.
fn fix_through_change(
    desk: &Desk,
    mut problem: Problem,
    known_error: KnownError,
    t: &Ticket,
    spofs_before: usize,
    o: &mut String,
) -> Res<(Change, Problem, KnownError, Vec<SinglePointOfFailure>)> {
    let (changes, engineer, none) = (&desk.changes, Some(ENGINEER), Input::new());
    let start_fix = ProblemEvent::StartFix;
    problem = desk
        .problems
        .apply(&problem, start_fix, &none, Some(MIM), at(13, 20))?
        .record;
    let mut change: Change = itsm::from_json(include_str!("data/change.json"))?;
    change.related_problems.push(problem.id);
    change.related_incidents.push(t.incident.id);
    // The CAB is asked at 13:40, not when the change is drafted.
    let cab: Vec<PersonId> = change.approvals.drain(..).map(|a| a.approver).collect();
    let mut change = changes.open(change, engineer, at(13, 30))?.record;
    let related = Input::new().with_value("related_changes", &[change.id])?;
    problem = desk
        .problems
        .update(&problem, &related, Some(MIM), at(13, 30))?
        .record;
    writeln!(
        o,
        "13:30  {} ({} change, risk {}): \"{}\".",
        change.number, change.change_type, change.risk, change.short_description
    )?;

    let step = |c: &Change, event, input: &Input, at| changes.apply(c, event, input, engineer, at);
    change = step(&change, ChangeEvent::Assess, &none, at(13, 35))?.record;
    change = step(
        &change,
        ChangeEvent::RequestAuthorization,
        &none,
        at(13, 40),
    )?
    .record;
    change = changes
        .request_approvals(&change, &cab, None, engineer, at(13, 40))?
        .record;
    writeln!(
        o,
        "13:40  Assessed; CAB asked, {} approvers, 2 approvals needed (approval {}).",
        change.approvals.len(),
        change.approval
    )?;

    let approve = |c: &Change, who: usize, at| {
        let approver = cab.get(who).copied().ok_or("no such approver")?;
        Res::Ok(
            changes
                .decide(c, approver, ApprovalDecision::Approved, None, at)?
                .record,
        )
    };
    change = approve(&change, 0, at(14, 20))?;
    let early = step(&change, ChangeEvent::Authorize, &none, at(14, 20));
    writeln!(
        o,
        "14:20  Priya approves: {}. Authorising now is refused:\n\
         \x20      {}",
        outcome(changes.policy().evaluate(&change.approvals)),
        early.err().ok_or("authorised too early")?
    )?;

    change = approve(&change, 1, at(14, 45))?;
    let window = Input::new()
        .with_value("planned_start", &at(18, 0))?
        .with_value("planned_end", &at(19, 0))?;
    change = step(&change, ChangeEvent::Authorize, &window, at(14, 45))?.record;
    writeln!(
        o,
        "14:45  Tom approves: {}. {}; window {}–{}; approval {}.",
        outcome(changes.policy().evaluate(&change.approvals)),
        change.state,
        when(at(18, 0)),
        when(at(19, 0)),
        change.approval
    )?;

    change = step(&change, ChangeEvent::Implement, &none, at(18, 2))?.record;
    let cmdb = implement_in_cmdb(desk)?;
    change = step(&change, ChangeEvent::Review, &none, at(18, 40))?.record;
    let index = cmdb.index()?;
    let again = index.impact(&[HOST], &QueryOptions::new())?;
    let spofs = index.single_points_of_failure(&PAYROLL, &QueryOptions::new())?;
    writeln!(
        o,
        "18:02  Implementing: vm-dns-02 on {}, DNS needs 1 of its 2 servers.\n\
         18:40  Review: {} failing again now takes down {} service(s), degrades {};\n\
         \x20      Payroll's single points of failure: {} (was {}).",
        name(desk, HOST_2),
        name(desk, HOST),
        again.services.len(),
        names_of(&cmdb, again.degraded.iter().map(|d| d.ci)).join(", "),
        spofs.len(),
        spofs_before
    )?;

    let closing = Input::new()
        .with_value("close_code", &ChangeCloseCode::Successful)?
        .with_field(
            "close_notes",
            "Both DNS servers answer; failover test passed.",
        );
    change = step(&change, ChangeEvent::Close, &closing, at(19, 5))?.record;
    let fixed = Input::new()
        .with_value("resolution_code", &ProblemResolutionCode::FixApplied)?
        .with_field(
            "fix_notes",
            format!("{} added a second DNS server.", change.number),
        );
    let resolved = desk.problems.apply(
        &problem,
        ProblemEvent::Resolve,
        &fixed,
        Some(MIM),
        at(19, 5),
    )?;
    problem = resolved.record;
    // Resolving leaves the incidents awaiting the problem to the caller. The
    // incident was resolved with a workaround at 12:10: it does not await
    // the problem, so resolving the problem releases nothing.
    let released = if resolved
        .follow_ups
        .contains(&Effect::ResolveIncidentsAwaitingProblem)
    {
        incidents_to_resolve(&problem, std::slice::from_ref(&t.incident))
    } else {
        Vec::new()
    };
    let fix = KnownErrorEvent::Fix;
    let known_error = desk
        .known_errors
        .apply(&known_error, fix, &none, Some(MIM), at(19, 5))?
        .record;
    writeln!(
        o,
        "19:05  {} {} ({}). {} {} ({}, releasing {} incident(s)); known error {} {}.",
        change.number,
        change.state,
        change.close_code.ok_or("no close code")?,
        problem.number,
        problem.state,
        problem.resolution_code.ok_or("no resolution code")?,
        released.len(),
        known_error.number,
        known_error.state
    )?;
    Ok((change, problem, known_error, spofs))
}

/// The change's work in the CMDB: a second DNS server on another host, and
/// DNS declared redundant over its two servers.
fn implement_in_cmdb(desk: &Desk) -> Res<Cmdb> {
    let mut cmdb = desk.cmdb.clone();
    cmdb.add_ci(
        ConfigurationItem::new(VM_DNS_2, "virtual_machine", "vm-dns-02")
            .with_attribute("fqdn", "dns-02.corp.example")
            .with_attribute("ip_address", "10.0.0.54"),
    )?;
    cmdb.add_ci(ConfigurationItem::new(
        BIND_DNS_2,
        "application",
        "bind-dns-02",
    ))?;
    cmdb.add_relationship(Relationship::new(VM_DNS_2, "hosted_on", HOST_2))?;
    cmdb.add_relationship(Relationship::new(BIND_DNS_2, "runs_on", VM_DNS_2))?;
    cmdb.add_relationship(Relationship::new(DNS, "depends_on", BIND_DNS_2))?;
    let dns = cmdb
        .ci(&DNS)
        .ok_or("DNS is not in the CMDB")?
        .clone()
        .with_redundancy("depends_on", RedundancyRequirement::AtLeast(1));
    cmdb.update_ci(dns)?;
    Ok(cmdb)
}

/// 19:15: the major incident manager closes the incident.
fn close(desk: &Desk, t: &mut Ticket, now: DateTime<Utc>, o: &mut String) -> Res<()> {
    t.take(desk.incidents.apply(
        &t.incident,
        IncidentEvent::Close,
        &Input::new(),
        Some(MIM),
        now,
    )?);
    writeln!(
        o,
        "19:15  {} {} by Alex after the review; major incident {}.",
        t.incident.number,
        t.incident.state,
        t.incident
            .major_incident_state
            .ok_or("not a major incident")?
    )?;
    Ok(())
}

/// One of the day's other tickets, as kept in `data/tickets.json`.
#[derive(Deserialize)]
struct TicketSpec {
    number: RecordNumber,
    summary: String,
    impact: Impact,
    urgency: Urgency,
    opened: DateTime<Utc>,
    started: Option<DateTime<Utc>>,
    #[serde(default)]
    on_hold: Option<[DateTime<Utc>; 2]>,
    resolved: Option<DateTime<Utc>>,
}

/// Replays the day's other tickets through the incident workflow.
fn day_tickets(desk: &Desk) -> Res<Vec<Ticket>> {
    let specs: Vec<TicketSpec> = itsm::from_json(include_str!("data/tickets.json"))?;
    let mut tickets = Vec::with_capacity(specs.len());
    for (n, s) in specs.into_iter().enumerate() {
        let mut random = *b"ticket-000";
        random[9] = b'0' + u8::try_from(n % 10)?;
        let mut incident = Incident::new(
            IncidentId::new_v7(s.opened, random),
            s.number,
            CALLER,
            s.summary,
            s.opened,
        );
        incident.impact = s.impact;
        incident.urgency = s.urgency;
        let (lc, agent, none) = (&desk.incidents, Some(AGENT), Input::new());
        let mut t = Ticket::opened(lc.open(incident, None, s.opened)?);
        if let Some(started) = s.started {
            t.take(lc.apply(&t.incident, IncidentEvent::Start, &none, agent, started)?);
        }
        if let Some([hold, back]) = s.on_hold {
            let caller = Input::new().with_reason(OnHoldReason::AwaitingCaller.to_string());
            t.take(lc.apply(&t.incident, IncidentEvent::Hold, &caller, agent, hold)?);
            let update = IncidentEvent::CallerUpdated;
            t.take(lc.apply(&t.incident, update, &none, agent, back)?);
        }
        if let Some(resolved) = s.resolved {
            let resolution = Input::new()
                .with_value("resolution_code", &IncidentResolutionCode::SolutionProvided)?
                .with_field("resolution_notes", "Fixed with the caller.");
            t.take(lc.apply(
                &t.incident,
                IncidentEvent::Resolve,
                &resolution,
                agent,
                resolved,
            )?);
        }
        tickets.push(t);
    }
    Ok(tickets)
}

/// 19:30: the compliance of the day's tickets.
fn compliance(desk: &Desk, major: Ticket, o: &mut String) -> Res<(Vec<Ticket>, ComplianceReport)> {
    let now = at(19, 30);
    let mut tickets = day_tickets(desk)?;
    tickets.push(major);
    let mut evaluations: Vec<SlaEvaluation> = Vec::new();
    for t in &tickets {
        evaluations.extend(slas(desk, t, now)?);
    }
    let report = ComplianceReport::from_evaluations(&evaluations);
    let running = evaluations
        .iter()
        .filter_map(SlaEvaluation::current)
        .filter(|c| !c.stage.is_final() && !c.breached)
        .count();
    writeln!(
        o,
        "\n19:30  SLA compliance of today's {} incidents ({} clock(s) still running within goal, not counted):",
        tickets.len(),
        running
    )?;
    writeln!(
        o,
        "       {:<20} {:<4} {:>7} {:>4} {:>8} {:>7} {:>14}",
        "definition", "prio", "counted", "met", "breached", "met %", "median (bus.)"
    )?;
    let rows = report
        .by_definition_and_priority
        .iter()
        .map(|r| (r, r.priority.map_or("-".to_owned(), |p| p.to_string())))
        .chain(report.by_definition.iter().map(|r| (r, "all".to_owned())));
    for (r, prio) in rows {
        writeln!(
            o,
            "       {:<20} {:<4} {:>7} {:>4} {:>8} {:>7} {:>14}",
            r.definition.as_deref().unwrap_or("-"),
            prio,
            r.counted,
            r.met,
            r.breached,
            r.met_percent.map_or("-".into(), |p| format!("{p:.1}")),
            r.business_time
                .as_ref()
                .map_or("-".into(), |s| hours(s.median_secs.round() as u64))
        )?;
    }
    Ok((tickets, report))
}

// ---- helpers ----

fn outcome(o: ApprovalOutcome) -> String {
    match o {
        ApprovalOutcome::Pending {
            approved,
            required,
            outstanding,
        } => format!("pending, {approved} of {required} approvals, {outstanding} to answer"),
        ApprovalOutcome::Approved => "approved".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Both SLAs of the ticket, evaluated at `now`.
fn slas(desk: &Desk, t: &Ticket, now: DateTime<Utc>) -> Res<Vec<SlaEvaluation>> {
    desk.slas
        .iter()
        .map(|sla| Ok(evaluate(sla, &desk.calendar, &t.timeline, now)?))
        .collect()
}

fn resolution_cycle(desk: &Desk, t: &Ticket, now: DateTime<Utc>) -> Res<SlaCycle> {
    Ok(slas(desk, t, now)?[1]
        .current()
        .ok_or("the resolution SLA did not attach")?
        .clone())
}

// ---- formatting ----

/// The instant of `h:m` London time on the story's day.
fn at(h: u32, m: u32) -> DateTime<Utc> {
    let (y, mo, d) = DAY;
    London
        .with_ymd_and_hms(y, mo, d, h, m, 0)
        .single()
        .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
}

/// `HH:MM` London time, with the day when it is not the story's day.
fn when(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&London);
    let (y, m, d) = DAY;
    if Some(local.date_naive()) == NaiveDate::from_ymd_opt(y, m, d) {
        local.format("%H:%M").to_string()
    } else {
        local.format("%a %-d %b %H:%M").to_string()
    }
}

/// `H:MM` from seconds.
fn hours(secs: u64) -> String {
    let m = Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX) / 60 * 60).num_minutes();
    format!("{}:{:02}", m / 60, m % 60)
}

fn name(desk: &Desk, id: CiId) -> String {
    desk.cmdb
        .ci(&id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

fn names(desk: &Desk, ids: &[CiId]) -> Vec<String> {
    ids.iter().map(|id| name(desk, *id)).collect()
}

fn names_of(cmdb: &Cmdb, ids: impl Iterator<Item = CiId>) -> Vec<String> {
    ids.map(|id| {
        cmdb.ci(&id)
            .map_or_else(|| id.to_string(), |c| c.name.clone())
    })
    .collect()
}
