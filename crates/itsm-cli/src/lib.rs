//! The `itsm` command-line tool: every capability of the `itsm` libraries as
//! JSON in, JSON out, for integrators and tooling teams who do not write Rust.
//!
//! ```
//! let mut stdin = std::io::empty();
//! let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
//! let code = itsm_cli::run(
//!     ["itsm", "priority", "--matrix", "servicenow_3x3", "--impact", "high", "--urgency", "medium"],
//!     &mut stdin,
//!     &mut stdout,
//!     &mut stderr,
//! );
//! assert_eq!(code, 0);
//! let out = String::from_utf8(stdout)?;
//! assert!(out.contains(r#""priority":"p2""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What this crate is for
//! The binary `itsm` (`itsm --help` lists the commands): JSON Schemas,
//! record validation, priorities, workflows, business calendars, SLA clocks
//! and CMDB queries, each reading JSON files (or `-` for standard input) and
//! writing JSON on standard output. Exit status 0 on success, 1 for bad input
//! (with a message on standard error naming the file, the JSON path and the
//! offending value), 2 for a usage error, 3 for a version conflict on a
//! desk record (`itsm desk apply … --expect-version N`). The library part, [`run`], exists so
//! that the commands are testable without a process.
//!
//! # What it is not for
//! Embedding: Rust programs use the `itsm` crates directly. This crate is the
//! only one of the family that reads files, standard input and the clock.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod cmdb;
mod desk;
mod error;
mod input;
mod interop;
mod join;
mod records;
mod time;
mod workflow;

use std::ffi::OsString;
use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use clap::{Args, Parser, Subcommand};
use itsm_core::{Impact, PersonId, Urgency};

pub use error::{CliError, EXIT_CONFLICT, EXIT_INPUT, EXIT_OK, EXIT_USAGE};

use input::Inputs;

/// ITSM schemas, records, workflows, business calendars, SLA clocks and CMDB
/// queries: JSON in, JSON out.
///
/// Every FILE may be `-` for standard input (at most one per command).
/// Output is compact JSON on standard output (`--pretty` to indent it).
/// Exit status: 0 success; 1 bad input (the message on standard error names
/// the file, the JSON path and the offending value) or a refused operation;
/// 2 usage error; 3 a version conflict (`itsm desk … --expect-version`). INSTANT is RFC 3339 (`2026-03-02T09:15:00Z`,
/// `2026-03-02T10:15:00+01:00`); output instants are always UTC with `Z`.
#[derive(Debug, Parser)]
#[command(name = "itsm", version, propagate_version = true)]
struct Cli {
    /// Indent the JSON output.
    #[arg(long, global = true)]
    pretty: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the JSON Schemas of every wire type, or write them into a directory.
    ///
    /// Without --out: one JSON object keyed by document path
    /// (`core/incident.schema.json`), each value a schema (draft 2020-12).
    /// With --out DIR: one file per document under DIR (the layout of
    /// `docs/schemas/`), and a list of the files written on standard output.
    Schema {
        /// Write one file per root type (and one bundle per namespace) under this directory.
        #[arg(long, value_name = "DIR")]
        out: Option<std::path::PathBuf>,
        /// Print an OpenAPI 3.1 document whose components are every wire
        /// type (named `<namespace>.<Type>`, as `docs/openapi.json`).
        #[arg(long, conflicts_with = "out")]
        openapi: bool,
    },
    /// Validate a record or a definition and list every problem.
    ///
    /// Prints `{"kind", "file", "valid", "problems": [{"path", "rule",
    /// "message"}]}` (plus `warnings` for an SLA definition); exits 1 when
    /// there is any problem.
    Validate {
        /// What the file holds.
        #[arg(value_enum)]
        kind: records::Kind,
        /// The JSON file (`-` for standard input).
        file: String,
        /// The directory (people, groups, roles) assignment rules are
        /// checked against; required for `assignment_rules`, optional for
        /// `asset` and `software_licence` (whose assigned people must be
        /// active people of it), refused otherwise.
        #[arg(long, value_name = "FILE")]
        directory: Option<String>,
    },
    /// The priority of an impact and an urgency, from a preset or custom matrix.
    Priority {
        /// A preset (`servicenow_3x3`, `itil_4x4`, `glpi_5x5`) or a priority matrix JSON file.
        #[arg(long, value_name = "NAME|FILE")]
        matrix: String,
        /// The impact: very_high, high, medium, low or very_low.
        #[arg(long, value_parser = parse_impact)]
        impact: Impact,
        /// The urgency: very_high, high, medium, low or very_low.
        #[arg(long, value_parser = parse_urgency)]
        urgency: Urgency,
    },
    /// Show, validate and run workflows (the ITIL default flows or custom JSON ones).
    #[command(subcommand)]
    Workflow(WorkflowCommand),
    /// Business-time arithmetic on a business calendar.
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// SLA clocks.
    #[command(subcommand)]
    Sla(SlaCommand),
    /// CMDB queries on a graph file (the CMDB export format).
    #[command(subcommand)]
    Cmdb(CmdbCommand),
    /// Import records from ServiceNow, Jira, TMF621, TMF639 or our own JSON,
    /// streamed, into a desk's database (--db) or as JSON lines.
    ///
    /// Each record converted prints `{"record", "report"}` (its loss
    /// report) on one line; with --db the tickets are written through the
    /// desk instead, a record already imported (same external id, hence
    /// same id) is left unchanged, and --checkpoint FILE names the last
    /// record committed so that a second run resumes after it. The last
    /// line is the summary: records by kind, losses by field, refusals with
    /// the file and the record's position.
    Import(interop::ImportArgs),
    /// Export records to ServiceNow, Jira, TMF621 or TMF639 JSON, from a
    /// desk's database (--db) or from files of our records.
    ///
    /// Prints one target record per line (or the target's array format with
    /// --array), then the summary line (unless --array; --summary FILE
    /// writes it to a file).
    Export(interop::ExportArgs),
    /// The service desk on a database: open records, apply events, assign,
    /// link, list, SLA ticks, export, import and check.
    ///
    /// Every command takes --db URL (default: the environment variable
    /// ITSM_DB, then sqlite://itsm.db), --at INSTANT (the domain time,
    /// default now), --config DIR and --actor PERSON. A version conflict
    /// (--expect-version no longer current) exits 3.
    Desk(desk::DeskArgs),
}

#[derive(Debug, Subcommand)]
enum WorkflowCommand {
    /// Print a workflow as JSON (its definition), Mermaid or Graphviz DOT.
    ///
    /// NAME is one of the default flows: incident, major_incident, problem,
    /// change (the normal change), change_normal, change_standard,
    /// change_emergency, release, service_request, task, asset. Anything
    /// else is read as a workflow definition file.
    Show {
        /// A default flow's name, or a workflow definition file.
        #[arg(value_name = "NAME|FILE")]
        workflow: String,
        /// The output format.
        #[arg(long, value_enum, default_value_t = workflow::Format::Json)]
        format: workflow::Format,
        /// Guards the definition may use (comma-separated), as for `workflow validate`.
        #[arg(long, value_delimiter = ',', value_name = "GUARD,…")]
        known_guards: Option<Vec<String>>,
    },
    /// Validate a workflow definition and list every problem.
    ///
    /// Prints `{"workflow", "file", "valid", "problems": [{"path", "rule",
    /// "message"}]}` and exits 1 when there is any problem. Guards are
    /// evaluated by the program that runs the workflow, so by default every
    /// guard the definition names is taken as known; give --known-guards to
    /// report the guards your program does not evaluate.
    Validate {
        /// The workflow definition file.
        file: String,
        /// The guards your program evaluates (comma-separated); others are reported.
        #[arg(long, value_delimiter = ',', value_name = "GUARD,…")]
        known_guards: Option<Vec<String>>,
    },
    /// Apply an event to a record in a state, and print the transition.
    ///
    /// Prints the transition (audit entry, state categories, effects, the
    /// timeline event for SLA clocks). A refusal exits 1 and prints
    /// `{"error": {"kind", "message", …}}` with every refusal (guards,
    /// required fields, reason) or the events allowed from the state.
    ///
    /// Guards fail unless given with --pass; required fields are missing
    /// unless given with --field. When --at is omitted, the instant is the
    /// current time of this machine (UTC, whole seconds): give --at for
    /// reproducible output.
    Apply {
        /// A default flow's name, or a workflow definition file.
        #[arg(value_name = "NAME|FILE")]
        workflow: String,
        /// The record's current state (its wire name, such as `in_progress`).
        #[arg(long)]
        state: String,
        /// The event (its wire name, such as `hold`).
        #[arg(long)]
        event: String,
        /// Who acts (a person id, a UUID); omitted for the system.
        #[arg(long, value_parser = parse_person)]
        actor: Option<PersonId>,
        /// When (RFC 3339); default: now, read from this machine's clock.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        at: Option<DateTime<Utc>>,
        /// A guard that passes (repeatable, or comma-separated).
        #[arg(long = "pass", value_delimiter = ',', value_name = "GUARD")]
        pass: Vec<String>,
        /// A field the record has a value for (repeatable, or comma-separated).
        #[arg(long = "field", value_delimiter = ',', value_name = "FIELD")]
        fields: Vec<String>,
        /// The reason given with the event (such as the on-hold reason `awaiting_caller`).
        #[arg(long)]
        reason: Option<String>,
        /// A comment of this visibility comes with the event (`public` or
        /// `work_note`; repeatable): holding an incident `awaiting_caller`
        /// needs a public one, the question to the caller.
        #[arg(long = "comment", value_name = "VISIBILITY")]
        comments: Vec<itsm_core::CommentVisibility>,
        /// A guard context file, a `PlainContext` (`{"known_guards", "passing_guards", "fields", "reason", "comments"}`), merged with the options above (`--facts` is its former name).
        #[arg(long = "context", alias = "facts", value_name = "FILE")]
        facts: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// The instant a business duration after a start: prints `{"due": INSTANT}`.
    ///
    /// DURATION is a whole number of seconds (`16200`) or ISO 8601 hours,
    /// minutes and seconds (`PT4H30M`). Business time has no days, so `P2D`
    /// is refused: use --working-days N (the same wall time, or the close of
    /// business with --end-of-working-day, on the N-th working day after the
    /// start's date) or --calendar-days N (the same wall time N local days later).
    Add(CalendarAdd),
    /// The business time between two instants: prints `{"business_seconds": N}`.
    Between {
        /// The business calendar JSON file.
        #[arg(long, value_name = "FILE")]
        calendar: String,
        /// The start (inclusive).
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        from: DateTime<Utc>,
        /// The end (exclusive); before the start gives zero.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        to: DateTime<Utc>,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("amount").required(true).args(["duration", "working_days", "calendar_days"])))]
struct CalendarAdd {
    /// The business calendar JSON file.
    #[arg(long, value_name = "FILE")]
    calendar: String,
    /// The start.
    #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
    start: DateTime<Utc>,
    /// Business time: seconds (`16200`) or ISO 8601 (`PT4H30M`).
    #[arg(long, value_parser = parse_business_seconds, value_name = "DURATION")]
    duration: Option<u64>,
    /// Working days instead of business time.
    #[arg(long, value_name = "N")]
    working_days: Option<u32>,
    /// With --working-days: land on the close of business of the last working day.
    #[arg(long, requires = "working_days")]
    end_of_working_day: bool,
    /// Calendar days instead of business time.
    #[arg(long, value_name = "N")]
    calendar_days: Option<u32>,
}

#[derive(Debug, Subcommand)]
enum SlaCommand {
    /// Replay a ticket's timeline against an SLA definition and print its cycles.
    ///
    /// Prints the evaluation as the library returns it (`definition`, `kind`,
    /// `target`, `evaluated_at`, `cycles`, `next_event_at`); with --explain,
    /// each cycle with the running, paused and outside-working-hours segments
    /// behind its figures. The timeline file is `{"events": [...]}` or the
    /// bare array of events.
    Evaluate {
        /// The SLA definition JSON file.
        #[arg(long, value_name = "FILE")]
        definition: String,
        /// The business calendar JSON file; the built-in 24x7 calendar when omitted.
        #[arg(long, value_name = "FILE")]
        calendar: Option<String>,
        /// The ticket's timeline JSON file.
        #[arg(long, value_name = "FILE")]
        timeline: String,
        /// The instant of the evaluation; later events are ignored.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        now: DateTime<Utc>,
        /// List the segments behind each cycle's figures.
        #[arg(long)]
        explain: bool,
    },
    /// Evaluate a ticket's clock again under another definition, another
    /// calendar or an edited timeline, beside the clock as it is.
    ///
    /// Reads the files of `sla evaluate`, and the alternative: --scenario
    /// FILE, a what-if document (`{"definition", "calendar", "edits"}`, each
    /// optional; edits such as `{"type": "hold", "from": …, "to": …}` or
    /// `{"type": "priority", "at": …, "to": "p1"}`), and/or --with-definition
    /// FILE and --with-calendar FILE. Prints `{"baseline", "alternative",
    /// "edited_timeline", "difference"}`: both evaluations, the timeline the
    /// alternative used when edited, and per cycle what changed (stage,
    /// breach, goal, due instant moved, elapsed and paused time). A refusal
    /// names the file and the JSON path.
    WhatIf {
        /// The SLA definition JSON file (the baseline).
        #[arg(long, value_name = "FILE")]
        definition: String,
        /// The business calendar JSON file (the baseline); the built-in 24x7 calendar when omitted.
        #[arg(long, value_name = "FILE")]
        calendar: Option<String>,
        /// The ticket's timeline JSON file.
        #[arg(long, value_name = "FILE")]
        timeline: String,
        /// The instant of both evaluations; later events are ignored.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        now: DateTime<Utc>,
        /// A what-if document: another definition, calendar and edits to the timeline.
        #[arg(long, value_name = "FILE")]
        scenario: Option<String>,
        /// Another SLA definition, from its own file.
        #[arg(long, value_name = "FILE")]
        with_definition: Option<String>,
        /// Another business calendar, from its own file.
        #[arg(long, value_name = "FILE")]
        with_calendar: Option<String>,
    },
}

/// Options every graph command shares.
#[derive(Debug, Args)]
struct GraphArgs {
    /// The graph file: the CMDB export format (classes, relationship types, rules, CIs, relationships).
    #[arg(long, value_name = "FILE")]
    graph: String,
    /// Use the ready-made classes, relationship types and rules for every
    /// definition list the file leaves empty (a file of CIs and relationships only).
    #[arg(long)]
    starter: bool,
}

/// Traversal limits.
#[derive(Debug, Args)]
struct TraversalArgs {
    /// Stop at this depth (the starting CIs are at depth 0).
    #[arg(long, value_name = "N")]
    max_depth: Option<u32>,
    /// Follow only these relationship types (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "T,…")]
    types: Option<Vec<String>>,
}

#[derive(Debug, Subcommand)]
enum CmdbCommand {
    /// Import the graph, checking everything, and list every problem.
    ///
    /// Prints `{"file", "valid", "cis", "relationships", "problems"}`; exits 1 when there is any problem.
    Validate(#[command(flatten)] GraphArgs),
    /// What a failure impacts: every impacted CI with its depth and one path
    /// from a failed CI, the CIs whose redundancy held, the business services hit.
    ///
    /// A CI is given by its id (a UUID) or by its name when no other CI has it.
    Impact {
        #[command(flatten)]
        graph: GraphArgs,
        /// A failed CI (repeatable, or comma-separated).
        #[arg(long, required = true, value_delimiter = ',', value_name = "ID")]
        failed: Vec<String>,
        /// Also give the full path from a failed CI to these impacted CIs
        /// (repeatable, or comma-separated); every impacted CI always names
        /// its predecessor (`via`), so paths can be followed from the answer.
        #[arg(long = "path-to", value_delimiter = ',', value_name = "ID")]
        path_to: Vec<String>,
        #[command(flatten)]
        traversal: TraversalArgs,
    },
    /// Every cycle of the impact graph (strongly connected components).
    Cycles {
        #[command(flatten)]
        graph: GraphArgs,
        /// Follow only these relationship types (comma-separated).
        #[arg(long, value_delimiter = ',', value_name = "T,…")]
        types: Option<Vec<String>>,
    },
    /// The single points of failure of a service: CIs whose failure alone impacts it.
    Spof {
        #[command(flatten)]
        graph: GraphArgs,
        /// The service (id or unique name).
        #[arg(long, value_name = "ID")]
        service: String,
        #[command(flatten)]
        traversal: TraversalArgs,
    },
    /// Root-cause candidates: the CIs that the impacted CIs commonly depend on, best first.
    RootCause {
        #[command(flatten)]
        graph: GraphArgs,
        /// The impacted CIs (several values, repeatable, or comma-separated).
        #[arg(long, required = true, num_args = 1.., value_delimiter = ',', value_name = "ID")]
        impacted: Vec<String>,
        /// At most this many candidates.
        #[arg(long, default_value_t = 10, value_name = "N")]
        limit: usize,
        #[command(flatten)]
        traversal: TraversalArgs,
    },
    /// Check a change's planned window against a schedule of blackout and
    /// maintenance windows and the other scheduled changes.
    ///
    /// Prints `{"change", "number", "planned", "clear", "conflicts"}`, each
    /// conflict with its `kind` (blackout, outside_maintenance_window,
    /// ci_already_scheduled, related_ci_scheduled, unscheduled), what it
    /// is about and a `reason` naming the CIs; exits 1 when there is any
    /// conflict. A blackout covers the CIs that depend on its CI (a host's
    /// covers what runs on it); a service's window covers what the service
    /// depends on. Windows are half-open: touching is not overlapping.
    Conflicts {
        #[command(flatten)]
        graph: GraphArgs,
        /// The change schedule JSON file (`blackouts`, `maintenance_windows`).
        #[arg(long, value_name = "FILE")]
        schedule: String,
        /// The change to check: one change record JSON file.
        #[arg(long, value_name = "FILE")]
        change: String,
        /// The other changes: a JSON array of change records (those closed,
        /// cancelled or without a planned window are not counted).
        #[arg(long, value_name = "FILE")]
        changes: Option<String>,
    },
    /// What changed between two graph files: CIs and relationships added, removed and changed.
    ///
    /// The files are compared as they are (they are not validated).
    Diff {
        /// The earlier graph file.
        #[arg(long, value_name = "FILE")]
        from: String,
        /// The later graph file.
        #[arg(long, value_name = "FILE")]
        to: String,
    },
}

impl Command {
    /// Every input file argument (a default flow's or a preset's name too).
    fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = Vec::new();
        match self {
            Self::Schema { .. } => {}
            Self::Import(args) => files.extend(args.files()),
            Self::Export(args) => files.extend(args.files()),
            Self::Validate { file, .. } => files.push(file),
            Self::Priority { matrix, .. } => files.push(matrix),
            Self::Workflow(
                WorkflowCommand::Show { workflow, .. }
                | WorkflowCommand::Validate { file: workflow, .. },
            ) => files.push(workflow),
            Self::Workflow(WorkflowCommand::Apply {
                workflow, facts, ..
            }) => {
                files.push(workflow);
                files.extend(facts.as_deref());
            }
            Self::Calendar(CalendarCommand::Add(add)) => files.push(&add.calendar),
            Self::Calendar(CalendarCommand::Between { calendar, .. }) => files.push(calendar),
            Self::Sla(SlaCommand::Evaluate {
                definition,
                calendar,
                timeline,
                ..
            }) => {
                files.push(definition);
                files.extend(calendar.as_deref());
                files.push(timeline);
            }
            Self::Sla(SlaCommand::WhatIf {
                definition,
                calendar,
                timeline,
                scenario,
                with_definition,
                with_calendar,
                ..
            }) => {
                files.push(definition);
                files.extend(calendar.as_deref());
                files.push(timeline);
                files.extend(scenario.as_deref());
                files.extend(with_definition.as_deref());
                files.extend(with_calendar.as_deref());
            }
            Self::Cmdb(
                CmdbCommand::Validate(graph)
                | CmdbCommand::Impact { graph, .. }
                | CmdbCommand::Cycles { graph, .. }
                | CmdbCommand::Spof { graph, .. }
                | CmdbCommand::RootCause { graph, .. },
            ) => files.push(&graph.graph),
            Self::Cmdb(CmdbCommand::Conflicts {
                graph,
                schedule,
                change,
                changes,
            }) => {
                files.push(&graph.graph);
                files.push(schedule);
                files.push(change);
                files.extend(changes.as_deref());
            }
            Self::Cmdb(CmdbCommand::Diff { from, to }) => {
                files.push(from);
                files.push(to);
            }
            Self::Desk(args) => files.extend(args.files()),
        }
        files
    }
}

/// What a command writes on standard output.
pub(crate) enum Output {
    /// A JSON value, compact or pretty.
    Json(serde_json::Value),
    /// A JSON answer written while it is serialized, never held whole in
    /// memory: its size in memory is that of the data it is made from.
    Stream(Box<dyn Answer>),
    /// Text written as is (Mermaid, DOT).
    Text(String),
    /// Nothing.
    Nothing,
}

/// An answer that writes itself as JSON.
pub(crate) trait Answer {
    /// Writes the answer, compact or pretty.
    fn write_json(&self, out: &mut dyn Write, pretty: bool) -> std::io::Result<()>;
}

impl<T: serde::Serialize> Answer for T {
    fn write_json(&self, out: &mut dyn Write, pretty: bool) -> std::io::Result<()> {
        if pretty {
            serde_json::to_writer_pretty(out, self)?;
        } else {
            serde_json::to_writer(out, self)?;
        }
        Ok(())
    }
}

/// Writes `value` as JSON, compact or pretty: for answers that serialise
/// themselves while they read their source.
pub(crate) fn write_serialized(
    out: &mut dyn Write,
    pretty: bool,
    value: &impl serde::Serialize,
) -> serde_json::Result<()> {
    if pretty {
        value.serialize(&mut serde_json::Serializer::pretty(out))
    } else {
        value.serialize(&mut serde_json::Serializer::new(out))
    }
}

/// A command's result: what to print, and whether it failed anyway
/// (validation problems print their list, then fail).
pub(crate) struct Report {
    pub output: Output,
    pub failure: Option<CliError>,
}

impl Report {
    pub(crate) fn ok(output: Output) -> Self {
        Self {
            output,
            failure: None,
        }
    }

    pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<Self, CliError> {
        Ok(Self::ok(Output::Json(to_json(value)?)))
    }
}

/// `value` as a JSON value.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, CliError> {
    serde_json::to_value(value).map_err(|e| CliError::Refused {
        message: format!("cannot write the result as JSON: {e}"),
    })
}

/// An instant as the CLI writes it: RFC 3339 in UTC with `Z`.
pub(crate) fn instant(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            format!("invalid instant {text:?}: {e}; expected RFC 3339 such as 2026-03-02T09:15:00Z")
        })
}

fn parse_business_seconds(text: &str) -> Result<u64, String> {
    // The library's parser, with the command line's own day options named.
    text.parse::<itsm_sla::BusinessDuration>()
        .map(itsm_sla::BusinessDuration::as_secs)
        .map_err(|e| {
            e.to_string().replace(
                "count working days or calendar days instead",
                "use --working-days N or --calendar-days N",
            )
        })
}

fn parse_impact(text: &str) -> Result<Impact, String> {
    text.parse::<Impact>().map_err(|e| e.to_string())
}

fn parse_urgency(text: &str) -> Result<Urgency, String> {
    text.parse::<Urgency>().map_err(|e| e.to_string())
}

fn parse_person(text: &str) -> Result<PersonId, String> {
    text.parse::<PersonId>().map_err(|e| e.to_string())
}

/// Runs the `itsm` command line `args` (the first is the program name),
/// reading `-` inputs from `stdin`, and returns the exit status.
///
/// Writes the result on `stdout` and messages on `stderr`. Never panics; a
/// closed `stdout` (a broken pipe) ends the command quietly with status 0.
pub fn run<I, T>(
    args: I,
    stdin: &mut dyn Read,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let text = e.render().to_string();
            let code = e.exit_code();
            // Nothing more can be done if even this fails.
            if e.use_stderr() {
                let _ = stderr.write_all(text.as_bytes());
                let _ = stderr.flush();
            } else {
                let _ = stdout.write_all(text.as_bytes());
                let _ = stdout.flush();
            }
            return code;
        }
    };
    let mut inputs = Inputs::new(stdin);
    let result = if cli.command.files().iter().filter(|f| **f == "-").count() > 1 {
        Err(CliError::Usage {
            message: "only one input may be read from standard input (`-`)".to_owned(),
        })
    } else {
        dispatch(cli.command, &mut inputs, stdout)
    };
    let (output, failure) = match result {
        Ok(report) => (Some(report.output), report.failure),
        Err(e) => (None, Some(e)),
    };
    if let Some(output) = output
        && let Err(e) = write_output(stdout, &output, cli.pretty)
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader went away: say nothing more, keep the verdict.
            return failure.map_or(EXIT_OK, |f| f.exit_code());
        }
        // An answer written while it reads (a desk listing) may fail on
        // its source half way: that error is the command's, not the write's.
        if let Some(error) = e.get_ref().and_then(|r| r.downcast_ref::<CliError>()) {
            let _ = stdout.write_all(b"\n");
            let _ = stdout.flush();
            let _ = writeln!(stderr, "error: {error}");
            return error.exit_code();
        }
        let _ = writeln!(stderr, "error: <stdout>: cannot write: {e}");
        return EXIT_INPUT;
    }
    match failure {
        None => EXIT_OK,
        Some(error) => {
            let _ = writeln!(stderr, "error: {error}");
            let _ = stderr.flush();
            error.exit_code()
        }
    }
}

fn write_output(stdout: &mut dyn Write, output: &Output, pretty: bool) -> std::io::Result<()> {
    match output {
        Output::Json(value) => {
            if pretty {
                serde_json::to_writer_pretty(&mut *stdout, value)?;
            } else {
                serde_json::to_writer(&mut *stdout, value)?;
            }
            stdout.write_all(b"\n")?;
        }
        Output::Stream(answer) => {
            answer.write_json(&mut *stdout, pretty)?;
            stdout.write_all(b"\n")?;
        }
        Output::Text(text) => {
            stdout.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                stdout.write_all(b"\n")?;
            }
        }
        Output::Nothing => {}
    }
    stdout.flush()
}

fn dispatch(
    command: Command,
    inputs: &mut Inputs<'_>,
    stdout: &mut dyn Write,
) -> Result<Report, CliError> {
    match command {
        Command::Desk(args) => desk::run(args, inputs, stdout),
        Command::Import(args) => interop::import(args, inputs, stdout),
        Command::Export(args) => interop::export(args, inputs, stdout),
        Command::Schema { openapi: true, .. } => Ok(Report::ok(Output::Json(records::openapi()?))),
        Command::Schema { out, .. } => records::schema(out.as_deref()),
        Command::Validate {
            kind,
            file,
            directory,
        } => records::validate(inputs, kind, &file, directory.as_deref()),
        Command::Priority {
            matrix,
            impact,
            urgency,
        } => records::priority(inputs, &matrix, impact, urgency),
        Command::Workflow(cmd) => match cmd {
            WorkflowCommand::Show {
                workflow,
                format,
                known_guards,
            } => workflow::show(inputs, &workflow, format, known_guards),
            WorkflowCommand::Validate { file, known_guards } => {
                workflow::validate(inputs, &file, known_guards)
            }
            WorkflowCommand::Apply {
                workflow,
                state,
                event,
                actor,
                at,
                pass,
                fields,
                reason,
                comments,
                facts,
            } => workflow::apply(
                inputs,
                &workflow,
                workflow::ApplyArgs {
                    state,
                    event,
                    actor,
                    at: at.unwrap_or_else(now),
                    pass,
                    fields,
                    reason,
                    comments,
                    facts,
                },
            ),
        },
        Command::Calendar(CalendarCommand::Add(add)) => {
            let amount = match (add.duration, add.working_days, add.calendar_days) {
                (Some(seconds), _, _) => time::Amount::Business(seconds),
                (None, Some(days), _) => time::Amount::WorkingDays {
                    days,
                    end_of_working_day: add.end_of_working_day,
                },
                (None, None, Some(days)) => time::Amount::CalendarDays(days),
                (None, None, None) => {
                    return Err(CliError::Usage {
                        message: "give --duration, --working-days or --calendar-days".to_owned(),
                    });
                }
            };
            time::calendar_add(inputs, &add.calendar, add.start, amount)
        }
        Command::Calendar(CalendarCommand::Between { calendar, from, to }) => {
            time::calendar_between(inputs, &calendar, from, to)
        }
        Command::Sla(SlaCommand::Evaluate {
            definition,
            calendar,
            timeline,
            now,
            explain,
        }) => time::sla_evaluate(
            inputs,
            &definition,
            calendar.as_deref(),
            &timeline,
            now,
            explain,
        ),
        Command::Sla(SlaCommand::WhatIf {
            definition,
            calendar,
            timeline,
            now,
            scenario,
            with_definition,
            with_calendar,
        }) => time::sla_what_if(
            inputs,
            &time::Baseline {
                definition: &definition,
                calendar: calendar.as_deref(),
                timeline: &timeline,
            },
            now,
            &time::Alternative {
                scenario: scenario.as_deref(),
                definition: with_definition.as_deref(),
                calendar: with_calendar.as_deref(),
            },
        ),
        Command::Cmdb(cmd) => match cmd {
            CmdbCommand::Validate(graph) => cmdb::validate(inputs, &graph.graph, graph.starter),
            CmdbCommand::Impact {
                graph,
                failed,
                path_to,
                traversal,
            } => cmdb::impact(
                inputs,
                &graph.graph,
                graph.starter,
                &failed,
                &path_to,
                traversal.max_depth,
                traversal.types,
            ),
            CmdbCommand::Cycles { graph, types } => {
                cmdb::cycles(inputs, &graph.graph, graph.starter, types)
            }
            CmdbCommand::Spof {
                graph,
                service,
                traversal,
            } => cmdb::spof(
                inputs,
                &graph.graph,
                graph.starter,
                &service,
                traversal.max_depth,
                traversal.types,
            ),
            CmdbCommand::RootCause {
                graph,
                impacted,
                limit,
                traversal,
            } => cmdb::root_cause(
                inputs,
                &graph.graph,
                graph.starter,
                &impacted,
                limit,
                traversal.max_depth,
                traversal.types,
            ),
            CmdbCommand::Conflicts {
                graph,
                schedule,
                change,
                changes,
            } => cmdb::conflicts(
                inputs,
                &graph.graph,
                graph.starter,
                &schedule,
                &change,
                changes.as_deref(),
            ),
            CmdbCommand::Diff { from, to } => cmdb::diff(inputs, &from, &to),
        },
    }
}

/// The current instant, whole seconds: the default of `workflow apply --at`.
fn now() -> DateTime<Utc> {
    // chrono is built without its clock (the libraries read none): ask std.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(args: &[&str]) -> (i32, String, String) {
        let mut stdin = std::io::empty();
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run(args.iter().copied(), &mut stdin, &mut out, &mut err);
        (
            code,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    #[test]
    fn clap_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn help_goes_to_stdout_with_status_0() {
        let (code, out, err) = run_args(&["itsm", "--help"]);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.contains("Usage: itsm"), "{out}");
    }

    /// A writer that fails like a closed pipe.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
        }
    }

    #[test]
    fn broken_pipe_ends_quietly() {
        let mut stdin = std::io::empty();
        let mut err = Vec::new();
        let code = run(["itsm", "schema"], &mut stdin, &mut ClosedPipe, &mut err);
        assert_eq!(code, 0);
        assert!(err.is_empty(), "{}", String::from_utf8_lossy(&err));
    }

    #[test]
    fn instants_are_written_in_utc_with_z() {
        let t = parse_instant("2026-03-02T10:15:00+01:00").unwrap();
        assert_eq!(instant(t), "2026-03-02T09:15:00Z");
        let t = parse_instant("2026-03-02T09:15:00.5Z").unwrap();
        assert_eq!(instant(t), "2026-03-02T09:15:00.500Z");
    }
}
