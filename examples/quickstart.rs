//! The README's first program: the desk and the engines embedded in a product.
use itsm::chrono::{Duration, TimeZone, Utc};
use itsm::desk::{Config, Ctx, Desk};
use itsm::lifecycle::Input;
use itsm::store::Record;
use itsm::{Impact, Incident, IncidentId, Label, PersonId, Urgency};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The ITIL flows, the ServiceNow matrix, a 24×7 calendar, two incident SLAs.
    let mut desk = Desk::open("sqlite::memory:", Config::default())?;
    let t0 = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("no such time")?;
    let at = |minutes| Ctx::at(t0 + Duration::minutes(minutes));
    let (id, caller) = (IncidentId::generate(t0), PersonId::generate(t0));
    let mut incident = Incident::new(id, "INC0000001".parse()?, caller, "VPN drops", t0);
    (incident.impact, incident.urgency) = (Impact::High, Urgency::High);
    let n = incident.number;
    let opened = desk.open_record(Record::Incident(incident), &at(0))?;
    for clock in &opened.clocks {
        let due = clock.current().ok_or("no cycle")?.due_at;
        println!("{}: due {due}", clock.definition);
    }
    desk.apply(&n, "start", &Input::new(), &at(5))?;
    let fix = Input::new()
        .with_field("resolution_code", "solution_provided")
        .with_field("resolution_notes", "New gateway");
    let Record::Incident(done) = desk.apply(&n, "resolve", &fix, &at(120))?.record else {
        return Err("not an incident".into());
    };
    println!("{n} {}: {}", done.priority.label(), done.state.label());
    Ok(())
}
