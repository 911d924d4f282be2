//! A day at a service desk, end to end, through the desk engine on SQLite in
//! memory, with the sample data in `examples/data/`.
//!
//! A host fails; the CMDB finds the business service it takes down; an
//! incident is raised and the failed host attached, which records the
//! services it impacts; it is prioritised through the matrix, promoted to
//! major incident; its SLA clocks run on the London office calendar through
//! a pause awaiting the caller and a priority change; it is resolved; a
//! problem finds the root cause and records a known error; a normal change
//! goes through CAB approval, is scheduled, implemented and reviewed (the
//! CMDB confirms the single point of failure is gone); the incident is
//! closed; the day's SLA compliance is reported from the stored clocks.
//!
//! Every step is one call to [`itsm::desk::Desk`], which applies it through
//! the typed lifecycles, writes the record, its timeline, its SLA clocks and
//! the records it links in one transaction, and returns the outcome this
//! story prints. There is no glue: the example holds no record and no
//! timeline of its own.
//!
//! Run it with `cargo run -p itsm-examples --example service_desk`.

use std::error::Error;
use std::fmt::Write as _;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::London;
use itsm::cmdb::{
    Cmdb, CmdbData, ConfigurationItem, ImpactReport, QueryOptions, RedundancyRequirement,
    Relationship, SinglePointOfFailure,
};
use itsm::desk::{Config, Ctx, Desk, Outcome};
use itsm::lifecycle::{ApprovalOutcome, ApprovalPolicy, Input};
use itsm::sla::{
    BusinessCalendar, CompiledCalendar, ComplianceReport, SlaCycle, SlaDefinition, SlaEvaluation,
};
use itsm::store::{CmdbChange, Record, RecordFilter};
use itsm::{
    ApprovalDecision, Change, ChangeCloseCode, CiId, CommentVisibility, Impact, Incident,
    IncidentId, IncidentResolutionCode, KnownError, KnownErrorId, KnownErrorState, Label,
    OnHoldReason, PersonId, PriorityMatrix, Problem, ProblemResolutionCode, RecordKind,
    RecordNumber, Urgency,
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

/// The outcome of the day, for tests to check; `text` is what `main` prints.
#[allow(dead_code)] // the other fields are read by `tests/examples.rs`
pub struct Day {
    /// The story as printed.
    pub text: String,
    /// The impact analysis of the host failure.
    pub impact: ImpactReport,
    /// The major incident at the end of the day, as stored.
    pub incident: Incident,
    /// Its resolution SLA cycle when it was resolved.
    pub resolution: SlaCycle,
    /// The resolution due instant when the incident went on hold, and when
    /// it came back.
    pub due_around_pause: (DateTime<Utc>, DateTime<Utc>),
    /// The London calendar, to measure business time in tests.
    pub calendar: CompiledCalendar,
    /// The problem, as stored.
    pub problem: Problem,
    /// The known error recorded for the problem, as stored.
    pub known_error: KnownError,
    /// The change at the end of the day, as stored.
    pub change: Change,
    /// Payroll's single points of failure before and after the change.
    pub spofs: (Vec<SinglePointOfFailure>, Vec<SinglePointOfFailure>),
    /// How many incidents the compliance report counted.
    pub tickets: usize,
    /// The day's compliance report, from the stored clocks.
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

/// The desk's configuration: the ServiceNow matrix, the London office
/// calendar, the incident SLAs, and changes authorised by 2 approvals.
fn config() -> Res<Config> {
    Ok(Config {
        matrix: PriorityMatrix::servicenow().definition().clone(),
        calendars: vec![BusinessCalendar::from_json(include_str!(
            "data/uk-office.calendar.json"
        ))?],
        slas: vec![
            SlaDefinition::from_json(include_str!("data/incident-response.sla.json"))?,
            SlaDefinition::from_json(include_str!("data/incident-resolution.sla.json"))?,
        ],
        approval_policy: ApprovalPolicy::NOfM { required: 2 },
        ..Config::default()
    })
}

/// The desk and what the story prints with.
struct Story {
    desk: Desk,
    /// The CMDB as loaded, for the names of CIs.
    cmdb: Cmdb,
    out: String,
}

/// Runs the whole day on SQLite in memory.
///
/// # Errors
/// Any error of the libraries or of the sample data.
pub fn service_day() -> Res<Day> {
    service_day_on("sqlite::memory:")
}

/// Runs the whole day on the (empty) database at `url`.
///
/// # Errors
/// Any error of the libraries or of the sample data; a database that
/// already holds the day refuses to open its records again.
pub fn service_day_on(url: &str) -> Res<Day> {
    let config = config()?;
    let calendar = CompiledCalendar::new(&config.calendars[0])?;
    let mut desk = Desk::open(url, config)?;
    // Discovery loaded the estate into the desk's CMDB before the day began.
    let cmdb = Cmdb::import(itsm::from_json::<CmdbData>(include_str!(
        "data/estate.json"
    ))?)?;
    let mut stored = desk.store().load_cmdb()?;
    *stored.cmdb_mut() = cmdb.clone();
    let discovery = CmdbChange {
        actor: None,
        source: "discovery".into(),
        at: at(6, 0),
    };
    desk.store().save_cmdb(&mut stored, &discovery)?;
    let mut s = Story {
        desk,
        cmdb,
        out: String::new(),
    };
    writeln!(
        s.out,
        "A day at the service desk: Tuesday 14 April 2026, London (times are local).\n\
         The desk runs on {}; its CMDB holds {} CIs and {} relationships.\n",
        if url.contains(":memory:") {
            "SQLite in memory"
        } else {
            "a database"
        },
        s.cmdb.ci_count(),
        s.cmdb.relationship_count()
    )?;

    let impact = host_fails(&mut s)?;
    let incident = raise_incident(&mut s)?;
    let due_around_pause = work_and_pause(&mut s, &incident)?;
    promote_to_major(&mut s, &incident)?;
    let resolution = resolve(&mut s, &incident)?;
    let (problem, known_error, spof_before) = investigate(&mut s, &incident)?;
    let spof_after = fix_through_change(&mut s, &problem, &known_error, spof_before.len())?;
    close(&mut s, &incident)?;
    let (tickets, report) = compliance(&mut s)?;

    let check = s.desk.check()?;
    if !check.is_clean() {
        return Err(format!("the store's check found {:?}", check.mismatches).into());
    }
    let events = s.desk.store().head()?;
    writeln!(
        s.out,
        "\nThe store holds {events} events; replaying every stream gives every stored record back."
    )?;
    let incident = match s.desk.show(&incident)?.record {
        Record::Incident(i) => i,
        _ => return Err("INC0004711 is not an incident".into()),
    };
    let change = match s.desk.show(&"CHG0003005".parse()?)?.record {
        Record::Change(c) => c,
        _ => return Err("CHG0003005 is not a change".into()),
    };
    let problem = match s.desk.show(&problem)?.record {
        Record::Problem(p) => p,
        _ => return Err("PRB0001042 is not a problem".into()),
    };
    let known_error = match s.desk.show(&known_error)?.record {
        Record::KnownError(k) => k,
        _ => return Err("KE0000311 is not a known error".into()),
    };
    Ok(Day {
        text: s.out,
        impact,
        incident,
        resolution,
        due_around_pause,
        calendar,
        problem,
        known_error,
        change,
        spofs: (spof_before, spof_after),
        tickets,
        report,
    })
}

/// 09:12: a host fails; the CMDB says what it takes down.
fn host_fails(s: &mut Story) -> Res<ImpactReport> {
    let index = s.cmdb.index()?;
    let impact = index.impact(&[HOST], &QueryOptions::new())?;
    let (business, technical): (Vec<CiId>, Vec<CiId>) = impact
        .services
        .iter()
        .partition(|c| class(&s.cmdb, **c) == "business_service");
    writeln!(
        s.out,
        "09:12  Monitoring: host {} goes down.",
        name(s, HOST)
    )?;
    writeln!(
        s.out,
        "       The CMDB follows what depends on it: {} CIs fail with it, {} business service \
         and {} technical service go down, {} CI is weakened but still up.",
        impact.impacted.len() - 1,
        business.len(),
        technical.len(),
        impact.degraded.len()
    )?;
    for service in business.iter().chain(&technical) {
        let path = impact
            .path_to(service)
            .ok_or("no path to an impacted service")?;
        writeln!(
            s.out,
            "       Service down: {} via {}",
            name(s, *service),
            names(s, &path).join(" → ")
        )?;
    }
    for d in &impact.degraded {
        writeln!(
            s.out,
            "       Degraded, not impacted: {} ({} of its {} members down; it needs {} to stay up)",
            name(s, d.ci),
            d.failed,
            d.total,
            d.required
        )?;
    }
    Ok(impact)
}

/// 09:14: the caller rings; the incident is raised, the host attached.
fn raise_incident(s: &mut Story) -> Res<RecordNumber> {
    let opened = at(9, 14);
    let mut incident = Incident::new(
        IncidentId::generate(opened),
        RecordNumber::new(itsm::NumberPrefix::Incident, 4711)?,
        CALLER,
        "Payroll portal cannot reach its database",
        opened,
    );
    incident.impact = Impact::High; // a critical business service, every employee
    incident.urgency = Urgency::Medium; // the pay run is on Thursday
    incident.opened_by = Some(AGENT);
    let number = incident.number;
    // Opening derives the priority from the matrix, records `created` and
    // attaches the SLAs whose start condition matches.
    let o = s
        .desk
        .open_record(Record::Incident(incident), &Ctx::at(opened).by(AGENT))?;
    let i = incident_of(&o)?;
    writeln!(
        s.out,
        "09:14  {number} raised for Dana (payroll team): \"{}\".",
        i.short_description
    )?;
    writeln!(
        s.out,
        "       Impact {} and urgency {} give priority {} (ServiceNow matrix). SLA clocks started:",
        i.impact.label(),
        i.urgency.label(),
        i.priority.label()
    )?;
    for e in &o.clocks {
        let c = e.current().ok_or("the SLA did not attach")?;
        writeln!(
            s.out,
            "         {:<20} goal {} of office hours, due {}",
            e.definition,
            hours(c.goal_duration.as_secs()),
            when(c.due_at)
        )?;
    }
    // The failed host and the services it takes down go on the ticket.
    let o = s.desk.attach_cis(
        &number,
        &[HOST, PAYROLL, PAYROLL_WEB],
        &Ctx::at(opened).by(AGENT),
    )?;
    let services = incident_of(&o)?
        .affected_services
        .iter()
        .filter(|a| a.effect == itsm::ServiceEffect::Impacted)
        .count();
    writeln!(
        s.out,
        "       esx-a-04, Payroll and payroll-web attached; the desk records the {services} \
         services the failure takes down."
    )?;
    Ok(number)
}

/// 09:20 to 10:05: work starts, waits for the caller, resumes. Returns the
/// resolution due instant when the wait began and when it ended.
fn work_and_pause(s: &mut Story, n: &RecordNumber) -> Res<(DateTime<Utc>, DateTime<Utc>)> {
    let agent = |h, m| Ctx::at(at(h, m)).by(AGENT);
    s.desk.apply(n, "start", &Input::new(), &agent(9, 20))?;
    let o = s.desk.assign(n, None, Some(AGENT), &agent(9, 20))?;
    let response = clock(&o, "incident-response")?;
    writeln!(
        s.out,
        "09:20  Sam takes the ticket and starts work (state: in progress). The response SLA is {}: \
         {} used of {}.",
        response.stage,
        hours(response.business_elapsed.as_secs()),
        hours(response.goal_duration.as_secs()),
    )?;

    // Awaiting the caller needs the question to the caller, on the record.
    let waiting = Input::new()
        .with_reason(OnHoldReason::AwaitingCaller.to_string())
        .with_comment(CommentVisibility::Public, "Which pay run is blocked?");
    let o = s.desk.apply(n, "hold", &waiting, &agent(9, 35))?;
    let before = clock(&o, "incident-resolution")?;
    writeln!(
        s.out,
        "09:35  On hold, awaiting the caller (which pay run is blocked?): the resolution clock \
         stops at {}.",
        hours(before.business_elapsed.as_secs())
    )?;

    // The caller's reply resumes the incident.
    let o = s.desk.comment(
        n,
        CommentVisibility::Public,
        "The March pay run.",
        &Ctx::at(at(10, 5)).by(CALLER),
    )?;
    let after = clock(&o, "incident-resolution")?;
    writeln!(
        s.out,
        "10:05  Dana answers; work resumes. The 0:30 on hold does not count: resolution due \
         moves from {} to {}.",
        when(before.due_at),
        when(after.due_at)
    )?;
    Ok((before.due_at, after.due_at))
}

/// 10:10 to 10:15: proposed and accepted as a major incident; priority P1.
fn promote_to_major(s: &mut Story, n: &RecordNumber) -> Res<()> {
    let mim = |h, m| Ctx::at(at(h, m)).by(MIM);
    s.desk
        .apply(n, "major_propose", &Input::new(), &mim(10, 10))?;
    let o = s
        .desk
        .apply(n, "major_accept", &Input::new(), &mim(10, 15))?;
    let accepted = incident_of(&o)?.major_incident_state;
    // The whole pay run is at risk: the urgency rises, the matrix moves the priority.
    let o = s
        .desk
        .set_impact_urgency(n, Impact::High, Urgency::High, &mim(10, 15))?;
    let i = incident_of(&o)?;
    let c = clock(&o, "incident-resolution")?;
    writeln!(
        s.out,
        "10:10  Proposed as a major incident; at 10:15 Alex (major incident manager) {} it.\n\
         \x20      Urgency raised to {}: priority {}, resolution goal now {}, the time already \
         used kept, due {}.",
        accepted.map_or("decides on".to_owned(), |m| m.label().to_lowercase()),
        i.urgency.label(),
        i.priority.label(),
        hours(c.goal_duration.as_secs()),
        when(c.due_at)
    )?;
    Ok(())
}

/// 12:10: service restored; the resolution SLA's figures.
fn resolve(s: &mut Story, n: &RecordNumber) -> Res<SlaCycle> {
    let resolution = Input::new()
        .with_value(
            "resolution_code",
            &IncidentResolutionCode::WorkaroundProvided,
        )?
        .with_field(
            "resolution_notes",
            "vm-dns-01 restarted on esx-a-02; name resolution back for Payroll.",
        );
    let o = s
        .desk
        .apply(n, "resolve", &resolution, &Ctx::at(at(12, 10)).by(AGENT))?;
    let i = incident_of(&o)?;
    let c = clock(&o, "incident-resolution")?;
    writeln!(
        s.out,
        "12:10  Resolved ({}): {}",
        i.resolution_code.ok_or("no code")?.label(),
        i.resolution_notes.as_deref().unwrap_or_default()
    )?;
    writeln!(
        s.out,
        "       Resolution SLA {}: {} used of {} ({:.1} %), {} on hold not counted, {} to spare;\n\
         \x20      due {} (first due {}); warnings: {}.",
        c.stage,
        hours(c.business_elapsed.as_secs()),
        hours(c.goal_duration.as_secs()),
        c.percentage,
        hours(c.business_paused.as_secs()),
        hours(c.business_remaining.as_secs()),
        when(c.due_at),
        when(c.original_due_at),
        c.thresholds
            .iter()
            .map(|x| match x.crossed_at {
                Some(at) => format!("{} at {}", x.threshold, when(at)),
                None => format!("{} not reached", x.threshold),
            })
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(c)
}

/// 12:30 to 13:00: a problem for the root cause; the CMDB points at it; a
/// known error. Returns the problem's and the known error's numbers and
/// Payroll's single points of failure.
fn investigate(
    s: &mut Story,
    incident: &RecordNumber,
) -> Res<(RecordNumber, RecordNumber, Vec<SinglePointOfFailure>)> {
    let mim = |h, m| Ctx::at(at(h, m)).by(MIM);
    let problem: Problem = itsm::from_json(include_str!("data/problem.json"))?;
    let p = problem.number;
    s.desk.open_record(Record::Problem(problem), &mim(12, 30))?;
    // Both ends of the link are written in one transaction.
    s.desk.link(incident, &p, &mim(12, 30))?;
    s.desk.apply(&p, "assess", &Input::new(), &mim(12, 30))?;
    let o = s.desk.apply(&p, "analyze", &Input::new(), &mim(12, 35))?;
    let Record::Problem(problem) = &o.record else {
        return Err("not a problem".into());
    };
    writeln!(
        s.out,
        "12:30  {p} opened by Alex and linked to {incident}: \"{}\".",
        problem.short_description
    )?;

    // The symptoms seen this morning, and which failure explains them all.
    let index = s.cmdb.index()?;
    let symptoms = [PAYROLL_WEB, PAYROLL_DB, VM_PAYROLL_WEB];
    let down = index.impact(&[HOST], &QueryOptions::new())?;
    let candidates: Vec<CiId> = index
        .root_causes(&symptoms, &QueryOptions::new(), 10)?
        .into_iter()
        .filter(|c| c.explains.len() == symptoms.len() && (c.ci == HOST || down.is_impacted(&c.ci)))
        .map(|c| c.ci)
        .collect();
    // The most likely root cause is the one furthest upstream: a candidate
    // that another candidate's failure also takes down ranks after it.
    let mut ranked = Vec::new();
    for c in &candidates {
        let mut upstream = 0;
        for other in candidates.iter().filter(|o| *o != c) {
            if index
                .impact(&[*other], &QueryOptions::new())?
                .is_impacted(c)
            {
                upstream += 1;
            }
        }
        ranked.push((upstream, *c));
    }
    ranked.sort_by_key(|(upstream, _)| *upstream);
    writeln!(
        s.out,
        "       Which failure explains {} all at once? {} candidates, the most upstream first:",
        names(s, &symptoms).join(", "),
        ranked.len()
    )?;
    for (i, (upstream, ci)) in ranked.iter().enumerate() {
        let why = match upstream {
            0 => "no other candidate's failure takes it down".to_owned(),
            n => format!("it fails whenever any one of {n} other candidates fails"),
        };
        writeln!(s.out, "         {}. {} ({why})", i + 1, name(s, *ci))?;
    }
    let spofs = index.single_points_of_failure(&PAYROLL, &QueryOptions::new())?;
    writeln!(
        s.out,
        "       Payroll has {} single points of failure; {} is one: the only DNS server runs on it.",
        spofs.len(),
        name(s, HOST),
    )?;

    let root_cause = "The only DNS server, vm-dns-01, is pinned to host esx-a-04: the cluster's \
                      redundancy does not cover it.";
    let workaround = "Restart vm-dns-01 on another host of esx-cluster-a.";
    let known_error = KnownError {
        id: KnownErrorId::generate(at(13, 0)),
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
    let ke = known_error.number;
    s.desk
        .open_record(Record::KnownError(known_error), &mim(13, 0))?;
    s.desk.link(&p, &ke, &mim(13, 0))?;
    let documented = Input::new()
        .with_field("root_cause", root_cause)
        .with_field("workaround", workaround)
        .with_field("known_error", true);
    s.desk.update(&p, &documented, &mim(13, 0))?;
    writeln!(
        s.out,
        "13:00  Known error {ke} recorded: {root_cause}\n\
         \x20      Workaround: {workaround}"
    )?;
    Ok((p, ke, spofs))
}

/// 13:20 to 19:05: the fix, through a normal change. Returns Payroll's
/// single points of failure afterwards.
fn fix_through_change(
    s: &mut Story,
    problem: &RecordNumber,
    known_error: &RecordNumber,
    spofs_before: usize,
) -> Res<Vec<SinglePointOfFailure>> {
    let engineer = |h, m| Ctx::at(at(h, m)).by(ENGINEER);
    let none = Input::new();
    s.desk
        .apply(problem, "start_fix", &none, &Ctx::at(at(13, 20)).by(MIM))?;
    let mut change: Change = itsm::from_json(include_str!("data/change.json"))?;
    // The CAB is asked at 13:40, not when the change is drafted.
    let cab: Vec<PersonId> = change.approvals.drain(..).map(|a| a.approver).collect();
    let c = change.number;
    s.desk
        .open_record(Record::Change(change), &engineer(13, 30))?;
    s.desk.link(problem, &c, &engineer(13, 30))?;
    let o = s.desk.link(known_error, &c, &engineer(13, 30))?;
    let Record::KnownError(_) = o.record else {
        return Err("not a known error".into());
    };
    let o = s.desk.apply(&c, "assess", &none, &engineer(13, 35))?;
    let Record::Change(change) = &o.record else {
        return Err("not a change".into());
    };
    writeln!(
        s.out,
        "13:30  {c} ({} change, risk {}), linked to {problem} and {known_error}: \"{}\".",
        change.change_type.label().to_lowercase(),
        change.risk.label().to_lowercase(),
        change.short_description
    )?;

    s.desk
        .apply(&c, "request_authorization", &none, &engineer(13, 40))?;
    let o = s
        .desk
        .request_approvals(&c, &cab, None, &engineer(13, 40))?;
    writeln!(
        s.out,
        "13:40  Assessed; the CAB's {} members are asked, 2 approvals needed.",
        change_of(&o)?.approvals.len()
    )?;

    let approve = |s: &mut Story, who: usize, h, m| -> Res<Outcome> {
        let approver = cab.get(who).copied().ok_or("no such approver")?;
        Ok(s.desk.decide(
            &c,
            approver,
            ApprovalDecision::Approved,
            None,
            &Ctx::at(at(h, m)).by(approver),
        )?)
    };
    let o = approve(s, 0, 14, 20)?;
    let window = Input::new()
        .with_value("planned_start", &at(18, 0))?
        .with_value("planned_end", &at(19, 0))?;
    let early = s.desk.apply(&c, "schedule", &window, &engineer(14, 20));
    writeln!(
        s.out,
        "14:20  Priya approves: {}. Scheduling the change now is refused, as the approval policy\n\
         \x20      is not met yet, and nothing is written. The desk's answer: {}",
        approvals(&o)?,
        early.err().ok_or("authorised too early")?
    )?;

    let o = approve(s, 1, 14, 45)?;
    let summary = approvals(&o)?;
    s.desk.apply(&c, "schedule", &window, &engineer(14, 45))?;
    writeln!(
        s.out,
        "14:45  Tom approves: {summary}. The change is authorised and scheduled for {}–{}.",
        when(at(18, 0)),
        when(at(19, 0)),
    )?;

    s.desk.apply(&c, "implement", &none, &engineer(18, 2))?;
    implement_in_cmdb(s)?;
    s.desk.apply(&c, "review", &none, &engineer(18, 40))?;
    let cmdb = s.desk.store().load_cmdb()?.into_cmdb();
    let index = cmdb.index()?;
    let again = index.impact(&[HOST], &QueryOptions::new())?;
    let spofs = index.single_points_of_failure(&PAYROLL, &QueryOptions::new())?;
    writeln!(
        s.out,
        "18:02  Implementing: vm-dns-02 on {}; DNS now needs 1 of its 2 servers (saved to the CMDB).\n\
         18:40  Review: if {} failed again it would take down {} and only weaken {};\n\
         \x20      Payroll's single points of failure: {} (was {}).",
        name(s, HOST_2),
        name(s, HOST),
        in_words(again.services.len(), "service", "services", "no service"),
        again
            .degraded
            .iter()
            .map(|d| name_in(&cmdb, d.ci))
            .collect::<Vec<_>>()
            .join(" and "),
        spofs.len(),
        spofs_before
    )?;

    let closing = Input::new()
        .with_value("close_code", &ChangeCloseCode::Successful)?
        .with_field(
            "close_notes",
            "Both DNS servers answer; failover test passed.",
        );
    let o = s.desk.apply(&c, "close", &closing, &engineer(19, 5))?;
    let change = change_of(&o)?;
    let fixed = Input::new()
        .with_value("resolution_code", &ProblemResolutionCode::FixApplied)?
        .with_field("fix_notes", format!("{c} added a second DNS server."));
    let mim = Ctx::at(at(19, 5)).by(MIM);
    let o = s.desk.apply(problem, "resolve", &fixed, &mim)?;
    // Resolving a problem resolves the incidents on hold awaiting it, in the
    // same transaction; the major incident was resolved with a workaround.
    let waiting = if o.also.is_empty() {
        "no incident was waiting on it".to_owned()
    } else {
        format!("{} waiting incident(s) resolved with it", o.also.len())
    };
    let Record::Problem(p) = &o.record else {
        return Err("not a problem".into());
    };
    let resolved_as = p.resolution_code.ok_or("no resolution code")?.label();
    s.desk.apply(known_error, "fix", &none, &mim)?;
    writeln!(
        s.out,
        "19:05  {c} {} ({}). {problem} resolved ({resolved_as}); {waiting}. Known error \
         {known_error} fixed.",
        change.state.label().to_lowercase(),
        change
            .close_code
            .ok_or("no close code")?
            .label()
            .to_lowercase(),
    )?;
    Ok(spofs)
}

/// The change's work in the CMDB: a second DNS server on another host, and
/// DNS declared redundant over its two servers, saved with its history.
fn implement_in_cmdb(s: &mut Story) -> Res<()> {
    let mut stored = s.desk.store().load_cmdb()?;
    let cmdb = stored.cmdb_mut();
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
    let change = CmdbChange {
        actor: Some(ENGINEER),
        source: "CHG0003005".into(),
        at: at(18, 30),
    };
    s.desk.store().save_cmdb(&mut stored, &change)?;
    Ok(())
}

/// 19:15: the major incident manager closes the incident.
fn close(s: &mut Story, n: &RecordNumber) -> Res<()> {
    let o = s
        .desk
        .apply(n, "close", &Input::new(), &Ctx::at(at(19, 15)).by(MIM))?;
    let timeline = s
        .desk
        .store()
        .read_stream(o.record.stream_id(), 1, 10_000)?
        .iter()
        .filter(|e| e.event_type == "timeline_event")
        .count();
    writeln!(
        s.out,
        "19:15  {n} closed by Alex after the review; its timeline holds {timeline} events."
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

/// Works the day's other tickets through the desk, each event at its time.
fn day_tickets(s: &mut Story) -> Res<()> {
    let specs: Vec<TicketSpec> = itsm::from_json(include_str!("data/tickets.json"))?;
    for t in specs {
        let mut incident = Incident::new(
            IncidentId::generate(t.opened),
            t.number,
            CALLER,
            t.summary,
            t.opened,
        );
        incident.impact = t.impact;
        incident.urgency = t.urgency;
        let number = incident.number;
        let none = Input::new();
        s.desk
            .open_record(Record::Incident(incident), &Ctx::at(t.opened))?;
        if let Some(started) = t.started {
            s.desk
                .apply(&number, "start", &none, &Ctx::at(started).by(AGENT))?;
        }
        if let Some([hold, back]) = t.on_hold {
            let caller = Input::new()
                .with_reason(OnHoldReason::AwaitingCaller.to_string())
                .with_comment(CommentVisibility::Public, "Can you try again now?");
            s.desk
                .apply(&number, "hold", &caller, &Ctx::at(hold).by(AGENT))?;
            s.desk.comment(
                &number,
                CommentVisibility::Public,
                "It works.",
                &Ctx::at(back).by(CALLER),
            )?;
        }
        if let Some(resolved) = t.resolved {
            let resolution = Input::new()
                .with_value("resolution_code", &IncidentResolutionCode::SolutionProvided)?
                .with_field("resolution_notes", "Fixed with the caller.");
            s.desk.apply(
                &number,
                "resolve",
                &resolution,
                &Ctx::at(resolved).by(AGENT),
            )?;
        }
    }
    Ok(())
}

/// 19:30: the compliance of the day's incidents, from the stored clocks.
fn compliance(s: &mut Story) -> Res<(usize, ComplianceReport)> {
    day_tickets(s)?;
    let now = at(19, 30);
    // The timer: every threshold and breach due by now is recorded, and the
    // clocks it concerns are stored as they stand at 19:30.
    let tick = s.desk.tick(now)?;
    let report = s
        .desk
        .compliance(RecordKind::Incident, RecordFilter::All, None, at(0, 0), now)?;
    let counted = report
        .by_target
        .iter()
        .map(|r| r.counted)
        .max()
        .unwrap_or(0);
    writeln!(
        s.out,
        "19:30  The timer records {} and {} that fell due.\n\n\
         SLA compliance of today's {counted} incidents (a clock still running within its goal is not counted yet):",
        in_words(
            tick.thresholds as usize,
            "warning",
            "warnings",
            "no warning"
        ),
        in_words(tick.breaches as usize, "breach", "breaches", "no breach"),
    )?;
    writeln!(
        s.out,
        "       {:<20} {:<8} {:>7} {:>4} {:>8} {:>7} {:>14}",
        "SLA", "priority", "counted", "met", "breached", "met %", "median (office)"
    )?;
    let rows = report
        .by_definition_and_priority
        .iter()
        .map(|r| (r, r.priority.map_or("-".to_owned(), |p| p.to_string())))
        .chain(report.by_definition.iter().map(|r| (r, "all".to_owned())));
    for (r, prio) in rows {
        writeln!(
            s.out,
            "       {:<20} {:<8} {:>7} {:>4} {:>8} {:>7} {:>14}",
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
    Ok((counted, report))
}

// ---- reading outcomes ----

fn incident_of(o: &Outcome) -> Res<&Incident> {
    match &o.record {
        Record::Incident(i) => Ok(i),
        other => Err(format!("{} is not an incident", other.number()).into()),
    }
}

fn change_of(o: &Outcome) -> Res<&Change> {
    match &o.record {
        Record::Change(c) => Ok(c),
        other => Err(format!("{} is not a change", other.number()).into()),
    }
}

/// The current cycle of the outcome's clock `definition`.
fn clock(o: &Outcome, definition: &str) -> Res<SlaCycle> {
    o.clocks
        .iter()
        .find(|e: &&SlaEvaluation| e.definition == definition)
        .and_then(SlaEvaluation::current)
        .cloned()
        .ok_or_else(|| format!("no {definition} clock").into())
}

/// A change's approvals in words.
fn approvals(o: &Outcome) -> Res<String> {
    let change = change_of(o)?;
    let policy = ApprovalPolicy::NOfM { required: 2 };
    Ok(match policy.outcome(&change.approvals) {
        ApprovalOutcome::Pending {
            approved,
            required,
            outstanding,
        } => {
            format!("{approved} of the {required} approvals needed, {outstanding} still to answer")
        }
        ApprovalOutcome::Approved => "the 2 approvals needed are in".to_owned(),
        other => format!("approval {other:?}"),
    })
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

fn name_in(cmdb: &Cmdb, id: CiId) -> String {
    cmdb.ci(&id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}

fn name(s: &Story, id: CiId) -> String {
    name_in(&s.cmdb, id)
}

fn names(s: &Story, ids: &[CiId]) -> Vec<String> {
    ids.iter().map(|id| name(s, *id)).collect()
}

fn class(cmdb: &Cmdb, id: CiId) -> String {
    cmdb.ci(&id).map_or_else(String::new, |c| c.class.clone())
}

/// `n` things in words a person reads: "no service", "1 service", "3 services".
fn in_words(n: usize, one: &str, many: &str, none: &str) -> String {
    match n {
        0 => none.to_owned(),
        1 => format!("1 {one}"),
        _ => format!("{n} {many}"),
    }
}
