//! `itsm calendar add | between` and `itsm sla evaluate`.

use chrono::{DateTime, Utc};
use itsm_core::{Timeline, TimelineEvent};
use itsm_sla::{BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, SlaDefinition};
use serde_json::json;

use crate::input::{Inputs, Source, parse_text};
use crate::{CliError, Output, Report, instant};

/// What `calendar add` adds: three units that never convert into one another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Amount {
    /// Business time, in seconds.
    Business(u64),
    /// Working days.
    WorkingDays { days: u32, end_of_working_day: bool },
    /// Local calendar days.
    CalendarDays(u32),
}

/// Reads, validates and compiles a business calendar.
fn load_calendar(inputs: &mut Inputs<'_>, file: &str) -> Result<CompiledCalendar, CliError> {
    let (source, calendar) = inputs.parse::<BusinessCalendar>(file, "business calendar")?;
    CompiledCalendar::new(&calendar).map_err(|e| CliError::Content {
        file: source.name,
        message: e.to_string(),
    })
}

fn refused(e: impl std::fmt::Display) -> CliError {
    CliError::Refused {
        message: e.to_string(),
    }
}

/// `itsm calendar add --calendar FILE --start INSTANT (--duration D | --working-days N | --calendar-days N)`.
pub(crate) fn calendar_add(
    inputs: &mut Inputs<'_>,
    calendar: &str,
    start: DateTime<Utc>,
    amount: Amount,
) -> Result<Report, CliError> {
    let calendar = load_calendar(inputs, calendar)?;
    let due = match amount {
        Amount::Business(seconds) => calendar.add(start, BusinessDuration::from_secs(seconds)),
        Amount::WorkingDays {
            days,
            end_of_working_day,
        } => calendar.add_working_days(start, days, end_of_working_day),
        Amount::CalendarDays(days) => calendar.add_calendar_days(start, days),
    }
    .map_err(refused)?;
    Ok(Report::ok(Output::Json(json!({ "due": instant(due) }))))
}

/// `itsm calendar between --calendar FILE --from INSTANT --to INSTANT`.
pub(crate) fn calendar_between(
    inputs: &mut Inputs<'_>,
    calendar: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Report, CliError> {
    let calendar = load_calendar(inputs, calendar)?;
    let business = calendar.between(from, to).map_err(refused)?;
    Ok(Report::ok(Output::Json(
        json!({ "business_seconds": business.as_secs() }),
    )))
}

/// Parses a timeline: `{"events": [...]}` or the bare array of events.
pub(crate) fn parse_timeline(source: &Source) -> Result<Timeline, CliError> {
    if source.text.trim_start().starts_with('[') {
        let events: Vec<TimelineEvent> = parse_text(source, "timeline")?;
        Ok(Timeline { events })
    } else {
        parse_text(source, "timeline")
    }
}

/// `itsm sla evaluate --definition FILE [--calendar FILE] --timeline FILE --now INSTANT [--explain]`.
pub(crate) fn sla_evaluate(
    inputs: &mut Inputs<'_>,
    definition: &str,
    calendar: Option<&str>,
    timeline: &str,
    now: DateTime<Utc>,
    explain: bool,
) -> Result<Report, CliError> {
    let (source, definition) = inputs.parse::<SlaDefinition>(definition, "sla definition")?;
    let definition_file = source.name;
    let sla = CompiledSla::new(&definition).map_err(|e| CliError::Content {
        file: definition_file.clone(),
        message: e.to_string(),
    })?;
    let calendar = match calendar {
        Some(file) => load_calendar(inputs, file)?,
        None => CompiledCalendar::always(),
    };
    let source = inputs.read(timeline)?;
    let timeline = parse_timeline(&source)?;
    // A refusal names the files it comes from: the timeline's faults carry
    // their paths (`events[2].from`), a range error its instant.
    let refused = |e: itsm_sla::SlaError| match e {
        itsm_sla::SlaError::InvalidTimeline { .. } => CliError::Content {
            file: source.name.clone(),
            message: e.to_string(),
        },
        other => CliError::Content {
            file: source.name.clone(),
            message: format!("evaluated with sla definition {definition_file} at {now}: {other}"),
        },
    };
    if explain {
        Report::json(&itsm_sla::explain(&sla, &calendar, &timeline, now).map_err(refused)?)
    } else {
        Report::json(&itsm_sla::evaluate(&sla, &calendar, &timeline, now).map_err(refused)?)
    }
}
