//! A morning at a service desk, run through the desk on a database file.
//!
//! Two users report the VPN dropping; the agent opens incidents, assigns
//! them, puts one on hold awaiting a problem; problem management links both
//! incidents to a problem and resolves it, which resolves the incident
//! waiting on it in the same transaction. A timer tick in the afternoon records the
//! SLA notices that fell due, once. Everything lands in a SQLite file whose
//! path is printed at the end: open it again with `itsm desk show` or any
//! SQLite client.
//!
//! Run it with `cargo run -p itsm-examples --example desk_day [PATH]`.

use std::error::Error;

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm::desk::{Config, Ctx, Desk};
use itsm::lifecycle::Input;
use itsm::store::Record;
use itsm::{
    GroupId, Impact, Incident, IncidentId, PersonId, Problem, ProblemId, RecordNumber, Urgency,
};

const AGENT: PersonId = PersonId::from_u128(0x0196_300a_0001_7000_8000_0000_0000_0002);
const NETWORK: GroupId = GroupId::from_u128(0x0196_300a_0002_7000_8000_0000_0000_0001);

fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, hour, minute, 0).unwrap()
}

fn number(text: &str) -> Result<RecordNumber, Box<dyn Error>> {
    Ok(text.parse()?)
}

fn problem(
    id: u128,
    number: RecordNumber,
    opened: DateTime<Utc>,
) -> Result<Problem, Box<dyn Error>> {
    let mut problem = Problem::new(
        ProblemId::from_u128(id),
        number,
        "VPN concentrator drops sessions every hour",
        opened,
    );
    (problem.impact, problem.urgency) = (Impact::Medium, Urgency::Medium);
    Ok(problem)
}

/// Runs the morning on a fresh database at `path`; returns what it says.
pub fn day(path: &std::path::Path) -> Result<Vec<String>, Box<dyn Error>> {
    let mut out = Vec::new();
    macro_rules! say {
        ($($t:tt)*) => { out.push(format!($($t)*)) };
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    let mut desk = Desk::open(&format!("sqlite://{}", path.display()), Config::default())?;

    for (n, who, minute) in [(1u128, "Dana", 5u32), (2, "Lee", 12)] {
        let mut incident = Incident::new(
            IncidentId::from_u128(n),
            number(&format!("INC000000{n}"))?,
            PersonId::from_u128(100 + n),
            format!("VPN drops for {who}"),
            at(9, minute),
        );
        incident.impact = Impact::Medium;
        incident.urgency = Urgency::High;
        let opened = desk.open_record(
            Record::Incident(incident),
            &Ctx::at(at(9, minute)).by(AGENT),
        )?;
        say!(
            "09:{minute:02} {} opened, priority {:?}, version {}, {} SLA clock(s)",
            opened.record.number(),
            opened.record.priority(),
            opened.version,
            opened.clocks.len()
        );
        desk.assign(
            opened.record.number(),
            Some(NETWORK),
            Some(AGENT),
            &Ctx::at(at(9, minute + 1)).by(AGENT),
        )?;
    }

    let inc1 = number("INC0000001")?;
    let started = desk.apply(&inc1, "start", &Input::new(), &Ctx::at(at(9, 20)).by(AGENT))?;
    say!("09:20 {inc1} in progress (version {})", started.version);

    let prb = number("PRB0000001")?;
    desk.open_record(
        Record::Problem(problem(10, prb, at(9, 40))?),
        &Ctx::at(at(9, 40)).by(AGENT),
    )?;
    for incident in ["INC0000001", "INC0000002"] {
        let linked = desk.link(&number(incident)?, &prb, &Ctx::at(at(9, 41)).by(AGENT))?;
        say!(
            "09:41 {incident} linked to {prb} ({} records written together)",
            1 + linked.also.len()
        );
    }
    let held = desk.apply(
        &inc1,
        "hold",
        &Input::new().with_reason("awaiting_problem"),
        &Ctx::at(at(9, 45)).by(AGENT),
    )?;
    say!(
        "09:45 {inc1} on hold awaiting {prb}: {}",
        held.record.state_name()
    );

    let resolved = desk.apply(
        &prb,
        "resolve",
        &Input::new()
            .with_field("resolution_code", "fix_applied")
            .with_field("fix_notes", "firmware 9.2 on the concentrator"),
        &Ctx::at(at(11, 30)).by(AGENT),
    )?;
    say!("11:30 {prb} resolved; in the same transaction:");
    for touched in &resolved.also {
        say!(
            "      {} → version {} ({})",
            touched.number,
            touched.version,
            touched.why
        );
    }

    let afternoon = at(14, 0);
    let due = desk.due(afternoon, 100)?;
    let tick = desk.tick(afternoon)?;
    say!(
        "14:00 tick: {} clock(s) due, {} threshold(s) and {} breach(es) recorded",
        due.len(),
        tick.thresholds,
        tick.breaches
    );
    let again = desk.tick(afternoon + Duration::minutes(1))?;
    say!(
        "14:01 tick again: {} new notice(s)",
        again.thresholds + again.breaches
    );

    for n in ["INC0000001", "INC0000002", "PRB0000001"] {
        let view = desk.show(&number(n)?)?;
        say!(
            "{n}: {}, version {}, {} clock(s), links {:?}",
            view.record.state_name(),
            view.version,
            view.clocks.len(),
            view.links.len()
        );
    }
    let check = desk.check()?;
    say!(
        "check: {} streams, {} events, projections {}",
        check.streams,
        check.events,
        if check.is_clean() {
            "in step"
        } else {
            "DIFFER"
        }
    );
    say!("database: {}", path.display());
    Ok(out)
}

#[allow(dead_code)] // the examples' tests call `day`
fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args().nth(1).map_or_else(
        || std::env::temp_dir().join(format!("itsm-desk-day-{}.db", std::process::id())),
        std::path::PathBuf::from,
    );
    for line in day(&path)? {
        println!("{line}");
    }
    Ok(())
}
