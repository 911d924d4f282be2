//! `itsm calendar add | between`, `itsm sla evaluate` and `itsm sla what-if`.

use chrono::{DateTime, Utc};
use itsm_core::{Timeline, TimelineEvent};
use itsm_sla::{
    BusinessCalendar, BusinessDuration, CompiledCalendar, CompiledSla, SlaDefinition, SlaError,
    WhatIf,
};
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

/// The files of a clock as it is: definition, calendar and timeline.
pub(crate) struct Baseline<'a> {
    pub definition: &'a str,
    pub calendar: Option<&'a str>,
    pub timeline: &'a str,
}

/// A clock's definition, calendar and timeline, read and compiled, with the
/// names of the definition's and the timeline's files.
struct Loaded {
    sla: CompiledSla,
    calendar: CompiledCalendar,
    timeline: Timeline,
    definition_file: String,
    timeline_file: String,
}

impl Loaded {
    fn read(inputs: &mut Inputs<'_>, files: &Baseline<'_>) -> Result<Self, CliError> {
        let (source, definition) =
            inputs.parse::<SlaDefinition>(files.definition, "sla definition")?;
        let definition_file = source.name;
        let sla = CompiledSla::new(&definition).map_err(|e| CliError::Content {
            file: definition_file.clone(),
            message: e.to_string(),
        })?;
        let calendar = match files.calendar {
            Some(file) => load_calendar(inputs, file)?,
            None => CompiledCalendar::always(),
        };
        let source = inputs.read(files.timeline)?;
        let timeline = parse_timeline(&source)?;
        Ok(Self {
            sla,
            calendar,
            timeline,
            definition_file,
            timeline_file: source.name,
        })
    }

    /// A refusal of the evaluation, naming the files it comes from: the
    /// timeline's faults carry their paths (`events[2].from`), a range
    /// error its instant.
    fn refused(&self, now: DateTime<Utc>) -> impl Fn(SlaError) -> CliError + '_ {
        move |e| match e {
            SlaError::InvalidTimeline { .. } => CliError::Content {
                file: self.timeline_file.clone(),
                message: e.to_string(),
            },
            other => CliError::Content {
                file: self.timeline_file.clone(),
                message: format!(
                    "evaluated with sla definition {} at {now}: {other}",
                    self.definition_file
                ),
            },
        }
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
    let loaded = Loaded::read(
        inputs,
        &Baseline {
            definition,
            calendar,
            timeline,
        },
    )?;
    let (sla, calendar, timeline) = (&loaded.sla, &loaded.calendar, &loaded.timeline);
    if explain {
        Report::json(&itsm_sla::explain(sla, calendar, timeline, now).map_err(loaded.refused(now))?)
    } else {
        Report::json(
            &itsm_sla::evaluate(sla, calendar, timeline, now).map_err(loaded.refused(now))?,
        )
    }
}

/// The files of a what-if: a scenario document, and/or a definition and a
/// calendar of their own.
pub(crate) struct Alternative<'a> {
    pub scenario: Option<&'a str>,
    pub definition: Option<&'a str>,
    pub calendar: Option<&'a str>,
}

/// `itsm sla what-if --definition FILE [--calendar FILE] --timeline FILE --now INSTANT
/// [--scenario FILE] [--with-definition FILE] [--with-calendar FILE]`.
pub(crate) fn sla_what_if(
    inputs: &mut Inputs<'_>,
    baseline: &Baseline<'_>,
    now: DateTime<Utc>,
    files: &Alternative<'_>,
) -> Result<Report, CliError> {
    if files.scenario.is_none() && files.definition.is_none() && files.calendar.is_none() {
        return Err(CliError::Usage {
            message: "give the alternative: --scenario, --with-definition or --with-calendar"
                .to_owned(),
        });
    }
    let loaded = Loaded::read(inputs, baseline)?;
    // The baseline is refused as `sla evaluate` refuses it.
    itsm_sla::evaluate(&loaded.sla, &loaded.calendar, &loaded.timeline, now)
        .map_err(loaded.refused(now))?;
    let mut alternative = WhatIf::default();
    // The files the alternative came from, for its refusals.
    let (mut scenario_file, mut definition_file, mut calendar_file) = (None, None, None);
    if let Some(file) = files.scenario {
        let (source, scenario) = inputs.parse::<WhatIf>(file, "sla what-if")?;
        alternative = scenario;
        scenario_file = Some(source.name);
    }
    let twice = |what: &str, flag: &str| CliError::Usage {
        message: format!("the scenario gives a {what} and {flag} gives another: give one"),
    };
    if let Some(file) = files.definition {
        if alternative.definition.is_some() {
            return Err(twice("definition", "--with-definition"));
        }
        let (source, definition) = inputs.parse::<SlaDefinition>(file, "sla definition")?;
        // Checked here, so that its problems name its own file and paths.
        CompiledSla::new(&definition).map_err(|e| CliError::Content {
            file: source.name.clone(),
            message: e.to_string(),
        })?;
        alternative.definition = Some(definition);
        definition_file = Some(source.name);
    }
    if let Some(file) = files.calendar {
        if alternative.calendar.is_some() {
            return Err(twice("calendar", "--with-calendar"));
        }
        let (source, calendar) = inputs.parse::<BusinessCalendar>(file, "business calendar")?;
        CompiledCalendar::new(&calendar).map_err(|e| CliError::Content {
            file: source.name.clone(),
            message: e.to_string(),
        })?;
        alternative.calendar = Some(calendar);
        calendar_file = Some(source.name);
    }
    // The problems of a what-if are the scenario's (the files of their own
    // were checked above); a refused evaluation is blamed on the definition
    // evaluated, else on whatever gave the alternative.
    let scenario_gives_definition = definition_file.is_none() && alternative.definition.is_some();
    let scenario_file = scenario_file.unwrap_or_else(|| loaded.timeline_file.clone());
    let evaluated_file = match (definition_file, calendar_file) {
        (Some(file), _) => file,
        (None, Some(file)) if !scenario_gives_definition => file,
        _ => scenario_file.clone(),
    };
    let report = itsm_sla::what_if(
        &loaded.sla,
        &loaded.calendar,
        &loaded.timeline,
        now,
        &alternative,
    )
    .map_err(|e| match e {
        SlaError::InvalidWhatIf { .. } => CliError::Content {
            file: scenario_file.clone(),
            message: e.to_string(),
        },
        other => CliError::Content {
            file: evaluated_file.clone(),
            message: format!(
                "the alternative evaluated on timeline {} at {now}: {other}",
                loaded.timeline_file
            ),
        },
    })?;
    Report::json(&report)
}
