//! Business-time arithmetic on the London office calendar
//! (`data/uk-office.calendar.json`: Monday to Friday 09:00–17:30, UK bank
//! holidays), across the change to British Summer Time on Sunday
//! 29 March 2026 and the Easter bank holidays (Good Friday 3 April, Easter
//! Monday 6 April).
//!
//! Shows `add` (business time), `between`, working days, calendar days,
//! `is_working`, `next_opening` and `next_closing`, each with the UTC instant and the London
//! wall time: the calendar works in local time, the results are UTC.
//!
//! Run it with `cargo run -p itsm-examples --example calendar`.

use std::error::Error;
use std::fmt::Write as _;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::London;
use itsm::sla::{BusinessCalendar, BusinessDuration, CompiledCalendar};

type Res<T> = Result<T, Box<dyn Error>>;

#[allow(dead_code)] // unused when the tests include this file
fn main() -> Res<()> {
    print!("{}", run()?);
    Ok(())
}

/// The example's output.
///
/// # Errors
/// Any error of the library or of the sample data.
pub fn run() -> Res<String> {
    let calendar = CompiledCalendar::new(&BusinessCalendar::from_json(include_str!(
        "data/uk-office.calendar.json"
    ))?)?;
    let mut out = String::new();
    let o = &mut out;
    writeln!(
        o,
        "Calendar {:?} in {}.\n",
        calendar.name(),
        calendar.time_zone()
    )?;

    writeln!(o, "Adding business time:")?;
    let four_hours = BusinessDuration::from_hours(4);
    for (what, start) in [
        ("Friday before the DST change", london(2026, 3, 27, 16, 0)?),
        ("Thursday before Easter", london(2026, 4, 2, 16, 0)?),
        ("Saturday (closed)", london(2026, 3, 28, 10, 0)?),
    ] {
        let due = calendar.add(start, four_hours)?;
        writeln!(
            o,
            "  {what:<29} {} + {four_hours} = {}",
            show(start),
            show(due)
        )?;
    }

    writeln!(o, "\nMeasuring business time:")?;
    for (from, to) in [
        (london(2026, 3, 27, 12, 0)?, london(2026, 3, 30, 12, 0)?),
        (london(2026, 4, 2, 12, 0)?, london(2026, 4, 7, 12, 0)?),
    ] {
        writeln!(
            o,
            "  {} → {}: {} business, {} h on the wall clock",
            show(from),
            show(to),
            calendar.between(from, to)?,
            (to - from).num_hours()
        )?;
    }

    writeln!(o, "\nWorking days and calendar days:")?;
    let thursday = london(2026, 4, 2, 10, 0)?;
    writeln!(
        o,
        "  {} + 1 working day          = {}",
        show(thursday),
        show(calendar.add_working_days(thursday, 1, false)?)
    )?;
    writeln!(
        o,
        "  {} + 3 working days, by COB = {}",
        show(thursday),
        show(calendar.add_working_days(thursday, 3, true)?)
    )?;
    let saturday = london(2026, 3, 28, 12, 0)?;
    let sunday = calendar.add_calendar_days(saturday, 1)?;
    writeln!(
        o,
        "  {} + 1 calendar day         = {} ({} h later: the clocks went forward)",
        show(saturday),
        show(sunday),
        (sunday - saturday).num_hours()
    )?;

    writeln!(o, "\nOpening hours:")?;
    for t in [
        london(2026, 3, 28, 10, 0)?,
        london(2026, 4, 3, 12, 0)?,
        london(2026, 4, 7, 17, 29)?,
    ] {
        if calendar.is_working(t) {
            let closes = calendar.next_closing(t)?;
            writeln!(o, "  {}: open, closes {}", show(t), show(closes))?;
        } else {
            let opens = calendar.next_opening(t)?;
            writeln!(o, "  {}: closed, opens {}", show(t), show(opens))?;
        }
    }
    Ok(out)
}

/// The UTC instant of a London wall time.
fn london(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> Res<DateTime<Utc>> {
    Ok(London
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .ok_or("not a single London wall time")?
        .with_timezone(&Utc))
}

/// London wall time, then UTC: `Fri 27 Mar 16:00 GMT (16:00Z)`.
fn show(t: DateTime<Utc>) -> String {
    format!(
        "{} ({}Z)",
        t.with_timezone(&London).format("%a %e %b %H:%M %Z"),
        t.format("%H:%M")
    )
}
