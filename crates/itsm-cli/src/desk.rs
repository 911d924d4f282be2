//! `itsm desk …`: the service desk of `itsm-desk` on a database.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use itsm_core::{
    ApprovalDecision, CommentVisibility, FieldValue, GroupId, PersonId, Priority, RecordKind,
    RecordNumber,
};
use itsm_desk::{CommandAt, Config, Ctx, Desk, DeskError, Outcome};
use itsm_lifecycle::Input;
use itsm_store::{DueClock, MAX_PAGE, Record, RecordFilter, RecordQuery, RecordedEvent, StreamId};
use serde_json::{Value, json};

use crate::input::{Inputs, Source, parse_text};
use crate::{CliError, Output, Report, parse_instant, parse_person, to_json};

/// The database used when neither `--db` nor `ITSM_DB` names one.
pub(crate) const DEFAULT_DB: &str = "sqlite://itsm.db";

/// How many events `export` reads per page.
const EXPORT_PAGE: usize = 1_000;

/// Options every `itsm desk` command takes.
#[derive(Debug, Args)]
pub(crate) struct DeskArgs {
    /// The database: sqlite://PATH, sqlite::memory: or
    /// postgres://USER:PASSWORD@HOST/DATABASE[?schema=NAME]; default: the
    /// environment variable ITSM_DB, then sqlite://itsm.db.
    #[arg(long, global = true, value_name = "URL")]
    db: Option<String>,
    /// The domain instant of the command (RFC 3339); default: now, read
    /// from this machine's clock.
    #[arg(long, global = true, value_parser = parse_instant, value_name = "INSTANT")]
    at: Option<DateTime<Utc>>,
    /// A configuration directory (matrix.json, calendars/, slas/,
    /// policy.json, rules.json); default: the built-in configuration.
    #[arg(long, global = true, value_name = "DIR")]
    config: Option<PathBuf>,
    /// Who acts (a person id, a UUID); omitted for the system.
    #[arg(long, global = true, value_parser = parse_person, value_name = "PERSON")]
    actor: Option<PersonId>,
    #[command(subcommand)]
    command: DeskCommand,
}

impl DeskArgs {
    /// The input files the command reads.
    pub(crate) fn files(&self) -> Vec<&str> {
        match &self.command {
            DeskCommand::Open { file, .. }
            | DeskCommand::Import { file }
            | DeskCommand::WhatIf { scenario: file, .. } => vec![file.as_str()],
            _ => Vec::new(),
        }
    }
}

/// A record kind, as the desk names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// An incident.
    Incident,
    /// A problem.
    Problem,
    /// A known error.
    KnownError,
    /// A change.
    Change,
    /// A release.
    Release,
    /// A service request.
    ServiceRequest,
    /// A knowledge article.
    KnowledgeArticle,
    /// A request item.
    RequestItem,
    /// A task.
    Task,
}

impl Kind {
    const ALL: [Self; 9] = [
        Self::Incident,
        Self::Problem,
        Self::KnownError,
        Self::Change,
        Self::Release,
        Self::ServiceRequest,
        Self::KnowledgeArticle,
        Self::RequestItem,
        Self::Task,
    ];

    fn record_kind(self) -> RecordKind {
        match self {
            Self::Incident => RecordKind::Incident,
            Self::Problem => RecordKind::Problem,
            Self::KnownError => RecordKind::KnownError,
            Self::Change => RecordKind::Change,
            Self::Release => RecordKind::Release,
            Self::ServiceRequest => RecordKind::ServiceRequest,
            Self::KnowledgeArticle => RecordKind::KnowledgeArticle,
            Self::RequestItem => RecordKind::RequestItem,
            Self::Task => RecordKind::Task,
        }
    }
}

#[derive(Debug, Subcommand)]
enum DeskCommand {
    /// Create (or migrate) the database and check the configuration.
    ///
    /// Prints `{"db", "events", "calendars", "slas"}`.
    Init,
    /// Open a record from a JSON file (in its initial state).
    ///
    /// Prints the outcome: `{"number", "version", "record", "timeline",
    /// "clocks", "effects", "also"}`.
    Open {
        /// The record's kind.
        #[arg(value_enum)]
        kind: Kind,
        /// The record as JSON (`-` for standard input).
        file: String,
    },
    /// Apply a workflow event to a record (incidents also take
    /// major_propose, major_accept, major_reject, major_cancel).
    ///
    /// Prints the outcome. A version conflict (the record is no longer at
    /// --expect-version) exits 3.
    Apply {
        /// The record's number (`INC0001234`).
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// The event (its wire name, such as `hold`).
        event: String,
        /// A field set with the event, by its JSON key (repeatable); VALUE
        /// is read as JSON when it parses, else as a string.
        #[arg(long = "field", value_parser = parse_field, value_name = "KEY=VALUE")]
        fields: Vec<(String, FieldValue)>,
        /// The reason given with the event (such as `awaiting_vendor`).
        #[arg(long)]
        reason: Option<String>,
        /// A guard the caller vouches for (repeatable), such as a role.
        #[arg(long = "guard", value_name = "GUARD")]
        guards: Vec<String>,
        /// A public comment given with the event, recorded before the state
        /// change: holding an incident `awaiting_caller` needs one, the
        /// question to the caller.
        #[arg(long, value_name = "TEXT", conflicts_with = "work_note")]
        comment: Option<String>,
        /// A work note given with the event.
        #[arg(long, value_name = "TEXT")]
        work_note: Option<String>,
        /// Refuse (exit 3) unless the record is at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
    },
    /// Assign a record to a group and, optionally, a person.
    Assign {
        /// The record's number.
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// The assignment group (a UUID).
        #[arg(long, value_parser = parse_group, value_name = "GROUP")]
        group: GroupId,
        /// The assignee (a UUID).
        #[arg(long, value_parser = parse_person, value_name = "PERSON")]
        person: Option<PersonId>,
        /// Refuse (exit 3) unless the record is at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
    },
    /// Ask approvers for their approval of a change or a service request.
    ///
    /// Prints the outcome; the record's `approval` summary follows from the
    /// desk's approval policy.
    Ask {
        /// The record's number (`CHG0001234`).
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// An approver (a UUID); repeat for several.
        #[arg(long = "approver", value_parser = parse_person, value_name = "PERSON", required = true)]
        approvers: Vec<PersonId>,
        /// The group they approve for (a UUID).
        #[arg(long, value_parser = parse_group, value_name = "GROUP")]
        group: Option<GroupId>,
        /// Refuse (exit 3) unless the record is at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
    },
    /// Record an approver's decision on the approval they were asked for.
    ///
    /// Prints the outcome.
    Decide {
        /// The record's number.
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// The approver (a UUID); they act, whatever --actor says.
        #[arg(long, value_parser = parse_person, value_name = "PERSON")]
        approver: PersonId,
        /// `approved` or `rejected`.
        #[arg(long, value_parser = parse_decision, value_name = "DECISION")]
        decision: ApprovalDecision,
        /// Why (expected with a rejection).
        #[arg(long)]
        comment: Option<String>,
        /// Refuse (exit 3) unless the record is at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
    },
    /// Link two records (incident ↔ problem, problem ↔ known error, known
    /// error ↔ change, problem ↔ change, incident → change, change ↔
    /// release, incident → parent incident, any record ↔ knowledge
    /// article, request ↔ change); both ends are written.
    Link {
        /// The first record's number.
        #[arg(value_parser = parse_number)]
        a: RecordNumber,
        /// The second record's number.
        #[arg(value_parser = parse_number)]
        b: RecordNumber,
        /// Refuse (exit 3) unless the first record is at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
    },
    /// Add a public comment (or, with --work-note, a work note). The
    /// caller's public comment on an incident on hold awaiting them is their
    /// reply: it resumes the incident (`caller_updated`).
    Comment {
        /// The record's number.
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// The text.
        text: String,
        /// A work note (agents only) instead of a public comment.
        #[arg(long)]
        work_note: bool,
        /// Refuse (exit 3) unless the record is at this version.
        #[arg(long, value_name = "N")]
        expect_version: Option<u64>,
    },
    /// Assess an incident against the major-incident criteria (the
    /// configuration's `major_incident_rules.json`, else ITIL's default):
    /// every criterion that matched and why; with --propose, a candidate is
    /// proposed as a major incident, the reasons in a work note.
    Major {
        /// The incident's number.
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// Propose it when it is a candidate.
        #[arg(long)]
        propose: bool,
    },
    /// A stored record's clock under a configured SLA as it stands and
    /// under a what-if (`itsm_sla::WhatIf`: another definition, another
    /// calendar, timeline edits such as a hold from X to Y), side by side
    /// with the difference; nothing is written.
    WhatIf {
        /// The record's number.
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
        /// The SLA definition's name, as the configuration names it.
        #[arg(long)]
        sla: String,
        /// The what-if file (`{"definition", "calendar", "edits"}`).
        #[arg(long, value_name = "FILE")]
        scenario: String,
    },
    /// A record with its version, SLA clocks and links.
    Show {
        /// The record's number.
        #[arg(value_parser = parse_number)]
        number: RecordNumber,
    },
    /// List records, highest priority first: `{"records": [...], "more"}`.
    List {
        /// Only this kind (default: every kind).
        #[arg(long, value_enum)]
        kind: Option<Kind>,
        /// Only records in this state (its wire name).
        #[arg(long)]
        state: Option<String>,
        /// Only records of this assignment group.
        #[arg(long, value_parser = parse_group, value_name = "GROUP")]
        group: Option<GroupId>,
        /// Only active records (new, open or paused).
        #[arg(long)]
        open: bool,
        /// At most this many records.
        #[arg(long, default_value_t = 100, value_name = "N",
              value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_PAGE)))]
        limit: u32,
    },
    /// The SLA clocks whose next threshold or breach comes before an instant.
    Due {
        /// The instant.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        before: DateTime<Utc>,
        /// At most this many clocks.
        #[arg(long, default_value_t = 1_000, value_name = "N")]
        limit: usize,
    },
    /// SLA compliance over the stored clocks: the cycles that started in
    /// [--from, --to), of one kind's records, optionally of one group, one
    /// priority, one SLA definition.
    ///
    /// The clocks are as stored; run `tick` first to count the breaches
    /// that fell due since each record's last command.
    Compliance {
        /// The kind of record.
        #[arg(long, value_enum, default_value = "incident")]
        kind: Kind,
        /// Only records of this assignment group.
        #[arg(long, value_parser = parse_group, value_name = "GROUP", conflicts_with = "priority")]
        group: Option<GroupId>,
        /// Only records of this priority (`p1` … `p5`).
        #[arg(long, value_parser = parse_priority, value_name = "PRIORITY")]
        priority: Option<Priority>,
        /// Only this SLA definition's clocks.
        #[arg(long, value_name = "NAME")]
        definition: Option<String>,
        /// The period's start (inclusive).
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        from: DateTime<Utc>,
        /// The period's end (exclusive); default: --at.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        to: Option<DateTime<Utc>>,
    },
    /// Record every SLA threshold crossing and breach due, each once.
    Tick {
        /// The instant of the tick; default: --at.
        #[arg(long, value_parser = parse_instant, value_name = "INSTANT")]
        now: Option<DateTime<Utc>>,
    },
    /// Run commands given as JSON lines (`{"command": {"comment": {...}},
    /// "at": INSTANT, "actor": PERSON, "expected_version": N}`), up to 1,000,
    /// writing what they do in one transaction.
    ///
    /// Prints `{"results": [{"ok": outcome} | {"error": message}], "written":
    /// N}`. Each command sees what the ones before it did; a refused
    /// command writes nothing and the others go on (exit 1 when any is
    /// refused). When another writer moved a record meanwhile, nothing is
    /// written and the batch exits 3: run it again.
    Batch {
        /// The commands (`-` for standard input).
        file: String,
    },
    /// Every event as JSON lines, in position order.
    Export,
    /// Replay an export (JSON lines) into an empty database, verifying
    /// that each event lands at its exported position and version; then
    /// check the projections.
    Import {
        /// The export (`-` for standard input).
        file: String,
    },
    /// Replay every stream and compare it with the projections; exits 1
    /// when any differs.
    Check,
}

fn parse_number(text: &str) -> Result<RecordNumber, String> {
    text.parse::<RecordNumber>().map_err(|e| e.to_string())
}

fn parse_group(text: &str) -> Result<GroupId, String> {
    text.parse::<GroupId>().map_err(|e| e.to_string())
}

fn parse_priority(text: &str) -> Result<Priority, String> {
    serde_json::from_value::<Priority>(Value::String(text.to_owned()))
        .map_err(|_| format!("{text:?} is not a priority: p1, p2, p3, p4 or p5"))
}

fn parse_decision(text: &str) -> Result<ApprovalDecision, String> {
    match serde_json::from_value::<ApprovalDecision>(Value::String(text.to_owned())) {
        Ok(d @ (ApprovalDecision::Approved | ApprovalDecision::Rejected)) => Ok(d),
        _ => Err(format!("{text:?} is not a decision: approved or rejected")),
    }
}

/// `KEY=VALUE`: VALUE as JSON when it parses, else as a string.
fn parse_field(text: &str) -> Result<(String, FieldValue), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not KEY=VALUE"))?;
    if key.is_empty() {
        return Err(format!("{text:?} names no field before `=`"));
    }
    let value = serde_json::from_str::<FieldValue>(value)
        .unwrap_or_else(|_| FieldValue::String(value.to_owned()));
    Ok((key.to_owned(), value))
}

/// The database URL: `--db`, else `ITSM_DB`, else [`DEFAULT_DB`].
fn database(db: Option<String>) -> String {
    db.or_else(|| std::env::var("ITSM_DB").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| DEFAULT_DB.to_owned())
}

/// A desk error as the CLI reports it.
fn desk_error(e: DeskError) -> CliError {
    match e {
        DeskError::VersionConflict {
            number,
            expected,
            actual,
        } => CliError::Conflict {
            number,
            expected,
            actual,
        },
        other => CliError::Refused {
            message: other.to_string(),
        },
    }
}

/// An outcome as JSON, with the record's number first.
fn outcome(outcome: &Outcome) -> Result<Report, CliError> {
    let mut value = to_json(outcome)?;
    if let Value::Object(map) = &mut value {
        map.insert("number".to_owned(), json!(outcome.record.number()));
    }
    Ok(Report::ok(Output::Json(value)))
}

/// `itsm desk …`.
pub(crate) fn run(
    args: DeskArgs,
    inputs: &mut Inputs<'_>,
    stdout: &mut dyn Write,
) -> Result<Report, CliError> {
    let url = database(args.db);
    let shown = itsm_store::mask_url(&url);
    let at = args.at.unwrap_or_else(crate::now);
    let config = match &args.config {
        Some(dir) => Config::load_dir(dir).map_err(|e| CliError::Content {
            file: dir.display().to_string(),
            message: e.to_string(),
        })?,
        None => Config::default(),
    };
    // Read the input file before touching the database.
    let source = match &args.command {
        DeskCommand::Open { file, .. }
        | DeskCommand::Import { file }
        | DeskCommand::Batch { file }
        | DeskCommand::WhatIf { scenario: file, .. } => Some(inputs.read(file)?),
        _ => None,
    };
    let mut desk = Desk::open(&url, config).map_err(|e| CliError::Refused {
        message: format!("{shown}: {e}"),
    })?;
    let mut ctx = Ctx::at(at);
    if let Some(actor) = args.actor {
        ctx = ctx.by(actor);
    }
    let expecting = |ctx: Ctx, v: Option<u64>| match v {
        Some(v) => ctx.expecting(v),
        None => ctx,
    };
    match args.command {
        DeskCommand::Init => {
            let events = desk.store().head().map_err(|e| desk_error(e.into()))?;
            let config = desk.config();
            Ok(Report::ok(Output::Json(json!({
                "db": shown,
                "events": events,
                "calendars": config.calendars.iter().map(|c| &c.name).collect::<Vec<_>>(),
                "slas": config.slas.iter().map(|s| &s.name).collect::<Vec<_>>(),
            }))))
        }
        DeskCommand::Open { kind, .. } => {
            let source = source.ok_or_else(|| CliError::Usage {
                message: "open needs a FILE".to_owned(),
            })?;
            let record = parse_record(&source, kind)?;
            let done = desk.open_record(record, &ctx).map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Apply {
            number,
            event,
            fields,
            reason,
            guards,
            comment,
            work_note,
            expect_version,
        } => {
            let mut input = Input::new();
            if let Some(text) = comment {
                input = input.with_comment(CommentVisibility::Public, text);
            }
            if let Some(text) = work_note {
                input = input.with_comment(CommentVisibility::WorkNote, text);
            }
            for (key, value) in fields {
                input = input.with_field(key, value);
            }
            if let Some(reason) = reason {
                input = input.with_reason(reason);
            }
            for guard in guards {
                input = input.with_guard(guard);
            }
            let done = desk
                .apply(&number, &event, &input, &expecting(ctx, expect_version))
                .map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Assign {
            number,
            group,
            person,
            expect_version,
        } => {
            let done = desk
                .assign(
                    &number,
                    Some(group),
                    person,
                    &expecting(ctx, expect_version),
                )
                .map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Ask {
            number,
            approvers,
            group,
            expect_version,
        } => {
            let done = desk
                .request_approvals(&number, &approvers, group, &expecting(ctx, expect_version))
                .map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Decide {
            number,
            approver,
            decision,
            comment,
            expect_version,
        } => {
            let done = desk
                .decide(
                    &number,
                    approver,
                    decision,
                    comment,
                    &expecting(ctx, expect_version).by(approver),
                )
                .map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Link {
            a,
            b,
            expect_version,
        } => {
            let done = desk
                .link(&a, &b, &expecting(ctx, expect_version))
                .map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Comment {
            number,
            text,
            work_note,
            expect_version,
        } => {
            let visibility = if work_note {
                CommentVisibility::WorkNote
            } else {
                CommentVisibility::Public
            };
            let done = desk
                .comment(&number, visibility, &text, &expecting(ctx, expect_version))
                .map_err(desk_error)?;
            outcome(&done)
        }
        DeskCommand::Major { number, propose } => {
            let (assessment, outcome) = desk
                .assess_major(&number, propose, &ctx)
                .map_err(desk_error)?;
            let mut answer = json!({ "assessment": to_json(&assessment)? });
            if let Some(done) = outcome {
                let mut value = to_json(&done)?;
                if let Value::Object(map) = &mut value {
                    map.insert("number".to_owned(), json!(done.record.number()));
                }
                answer["proposed"] = value;
            }
            Ok(Report::ok(Output::Json(answer)))
        }
        DeskCommand::WhatIf { number, sla, .. } => {
            let source = source.ok_or_else(|| CliError::Usage {
                message: "what-if needs a --scenario FILE".to_owned(),
            })?;
            let alternative: itsm_sla::WhatIf = parse_text(&source, "what-if")?;
            let report = desk
                .what_if(&number, &sla, &alternative, at)
                .map_err(desk_error)?;
            Report::json(&report)
        }
        DeskCommand::Show { number } => {
            let view = desk.show(&number).map_err(desk_error)?;
            let mut value = to_json(&view)?;
            if let Value::Object(map) = &mut value {
                map.insert("number".to_owned(), json!(number));
            }
            Ok(Report::ok(Output::Json(value)))
        }
        DeskCommand::List {
            kind,
            state,
            group,
            open,
            limit,
        } => Ok(list(desk, kind, state.as_deref(), group, open, limit)),
        DeskCommand::Due { before, limit } => {
            let due = desk.due(before, limit).map_err(desk_error)?;
            let mut rows = Vec::with_capacity(due.len());
            for clock in due {
                let number = desk
                    .store()
                    .record(clock.record)
                    .map_err(|e| desk_error(e.into()))?
                    .map(|r| *r.record.number());
                rows.push((clock, number));
            }
            Ok(Report::ok(Output::Stream(Box::new(DueAnswer {
                due: rows,
            }))))
        }
        DeskCommand::Compliance {
            kind,
            group,
            priority,
            definition,
            from,
            to,
        } => {
            let filter = match (group, priority) {
                (Some(g), _) => RecordFilter::Group(g),
                (None, Some(p)) => RecordFilter::Priority(p),
                (None, None) => RecordFilter::All,
            };
            let report = desk
                .compliance(
                    kind.record_kind(),
                    filter,
                    definition.as_deref(),
                    from,
                    to.unwrap_or(at),
                )
                .map_err(desk_error)?;
            Report::json(&report)
        }
        DeskCommand::Tick { now } => {
            let report = desk.tick(now.unwrap_or(at)).map_err(desk_error)?;
            Report::json(&report)
        }
        DeskCommand::Batch { .. } => {
            let source = source.ok_or_else(|| CliError::Usage {
                message: "batch needs a FILE".to_owned(),
            })?;
            let mut commands = Vec::new();
            for (i, line) in source.text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let line_source = Source {
                    name: format!("{} line {}", source.name, i + 1),
                    text: line.to_owned(),
                };
                commands.push(parse_text::<CommandAt>(&line_source, "desk command")?);
            }
            let results = desk.batch(&commands).map_err(desk_error)?;
            let refused = results.iter().filter(|r| r.is_err()).count();
            let failure = (refused > 0).then(|| CliError::Refused {
                message: format!(
                    "{}: {refused} of {} command(s) refused (listed on standard output); the others are written",
                    source.name,
                    results.len()
                ),
            });
            let written = results.len() - refused;
            Ok(Report {
                output: Output::Stream(Box::new(BatchAnswer { results, written })),
                failure,
            })
        }
        DeskCommand::Export => export(&mut desk, stdout),
        DeskCommand::Import { .. } => {
            let source = source.ok_or_else(|| CliError::Usage {
                message: "import needs a FILE".to_owned(),
            })?;
            let events = parse_export(&source)?;
            let imported = desk.import(events, at).map_err(desk_error)?;
            let report = desk.check().map_err(desk_error)?;
            let failure = (!report.is_clean()).then(|| CliError::Mismatches {
                db: shown.clone(),
                count: report.mismatches.len(),
            });
            Ok(Report {
                output: Output::Json(json!({
                    "db": shown,
                    "imported": imported,
                    "check": to_json(&report)?,
                })),
                failure,
            })
        }
        DeskCommand::Check => {
            let report = desk.check().map_err(desk_error)?;
            let failure = (!report.is_clean()).then_some(CliError::Mismatches {
                db: shown,
                count: report.mismatches.len(),
            });
            Ok(Report {
                output: Output::Json(to_json(&report)?),
                failure,
            })
        }
    }
}

/// A record of `kind` from a JSON file.
fn parse_record(source: &Source, kind: Kind) -> Result<Record, CliError> {
    Ok(match kind {
        Kind::Incident => Record::Incident(parse_text(source, "incident")?),
        Kind::Problem => Record::Problem(parse_text(source, "problem")?),
        Kind::KnownError => Record::KnownError(parse_text(source, "known error")?),
        Kind::Change => Record::Change(parse_text(source, "change")?),
        Kind::Release => Record::Release(parse_text(source, "release")?),
        Kind::ServiceRequest => Record::ServiceRequest(parse_text(source, "service request")?),
        Kind::KnowledgeArticle => {
            Record::KnowledgeArticle(parse_text(source, "knowledge article")?)
        }
        Kind::RequestItem => Record::RequestItem(parse_text(source, "request item")?),
        Kind::Task => Record::Task(parse_text(source, "task")?),
    })
}

/// `itsm desk list`: the store answers on one dimension (the state, else
/// the group); the other is filtered here. The answer is written while the
/// store's pages are read, so its memory is one page, whatever the limit.
fn list(
    desk: Desk,
    kind: Option<Kind>,
    state: Option<&str>,
    group: Option<GroupId>,
    open: bool,
    limit: u32,
) -> Report {
    let filter = match (state, group) {
        (Some(s), _) => RecordFilter::State(s.to_owned()),
        (None, Some(g)) => RecordFilter::Group(g),
        (None, None) => RecordFilter::All,
    };
    Report::ok(Output::Stream(Box::new(Listing {
        desk: RefCell::new(desk),
        kinds: kind.map_or_else(|| Kind::ALL.to_vec(), |k| vec![k]),
        filter,
        // Filtered here: the group, when the store answers on the state.
        group: group.filter(|_| state.is_some()),
        open,
        limit,
        more: Cell::new(false),
        failed: RefCell::new(None),
    })))
}

/// The answer of `itsm desk list`: `{"records": [...], "more": bool}`,
/// read page by page while it is written.
struct Listing {
    desk: RefCell<Desk>,
    kinds: Vec<Kind>,
    filter: RecordFilter,
    group: Option<GroupId>,
    open: bool,
    limit: u32,
    more: Cell<bool>,
    /// The store's error, when a page could not be read.
    failed: RefCell<Option<CliError>>,
}

impl Listing {
    /// Writes every record wanted, page by page, and notes whether more
    /// were left.
    fn records<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq as _};
        let wanted = u64::from(self.limit);
        let mut written = 0_u64;
        let mut desk = self.desk.borrow_mut();
        let mut seq = serializer.serialize_seq(None)?;
        'kinds: for kind in &self.kinds {
            let mut query = RecordQuery::new(kind.record_kind(), self.filter.clone(), self.limit);
            if self.open {
                query = query.open();
            }
            loop {
                let page = match desk.list(&query) {
                    Ok(page) => page,
                    Err(e) => {
                        let error = desk_error(e);
                        let message = error.to_string();
                        *self.failed.borrow_mut() = Some(error);
                        return Err(S::Error::custom(message));
                    }
                };
                for stored in &page.records {
                    if self
                        .group
                        .is_some_and(|g| stored.record.assignment_group() != Some(g))
                    {
                        continue;
                    }
                    if written == wanted {
                        self.more.set(true);
                        break 'kinds;
                    }
                    seq.serialize_element(stored)?;
                    written += 1;
                }
                match page.next {
                    Some(next) => query = query.after(next),
                    None => break,
                }
            }
        }
        seq.end()
    }
}

/// The listing as JSON (the listing itself is an [`crate::Answer`], which
/// keeps the store's error).
struct ListingJson<'a>(&'a Listing);

impl serde::Serialize for ListingJson<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        struct Records<'a>(&'a Listing);
        impl serde::Serialize for Records<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.records(serializer)
            }
        }
        let mut answer = serializer.serialize_struct("Listing", 2)?;
        answer.serialize_field("records", &Records(self.0))?;
        // Known once the records are written.
        answer.serialize_field("more", &self.0.more.get())?;
        answer.end()
    }
}

/// A record's JSON with its number beside it (`desk due`, `desk batch`).
#[derive(serde::Serialize)]
struct Numbered<'a, T: serde::Serialize> {
    #[serde(flatten)]
    value: &'a T,
    number: Option<RecordNumber>,
}

/// One line of `desk batch`'s answer: the outcome, or the refusal.
#[derive(serde::Serialize)]
#[serde(rename_all = "snake_case")]
enum BatchRow<'a> {
    Ok(Numbered<'a, Outcome>),
    Error(String),
}

/// The answer of `itsm desk batch`, written from the desk's results.
#[derive(serde::Serialize)]
struct BatchAnswer {
    #[serde(serialize_with = "batch_rows")]
    results: Vec<Result<Outcome, DeskError>>,
    written: usize,
}

fn batch_rows<S: serde::Serializer>(
    results: &[Result<Outcome, DeskError>],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(results.iter().map(|result| match result {
        Ok(o) => BatchRow::Ok(Numbered {
            value: o,
            number: Some(*o.record.number()),
        }),
        Err(e) => BatchRow::Error(e.to_string()),
    }))
}

/// The answer of `itsm desk due`: each due clock with its record's number.
#[derive(serde::Serialize)]
struct DueAnswer {
    #[serde(serialize_with = "due_rows")]
    due: Vec<(DueClock, Option<RecordNumber>)>,
}

fn due_rows<S: serde::Serializer>(
    due: &[(DueClock, Option<RecordNumber>)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(due.iter().map(|(clock, number)| Numbered {
        value: clock,
        number: *number,
    }))
}

impl crate::Answer for Listing {
    fn write_json(&self, out: &mut dyn Write, pretty: bool) -> std::io::Result<()> {
        match crate::write_serialized(out, pretty, &ListingJson(self)) {
            Ok(()) => Ok(()),
            Err(e) => Err(match self.failed.borrow_mut().take() {
                Some(error) => std::io::Error::other(error),
                None => e.into(),
            }),
        }
    }
}

/// `itsm desk export`: one JSON line per event, page by page.
fn export(desk: &mut Desk, stdout: &mut dyn Write) -> Result<Report, CliError> {
    let write_error = |e: std::io::Error| CliError::Write {
        file: "<stdout>".to_owned(),
        message: e.to_string(),
    };
    let mut after = 0;
    loop {
        let page = desk.export_page(after, EXPORT_PAGE).map_err(desk_error)?;
        let Some(last) = page.last() else { break };
        after = last.position;
        let mut written = Ok(());
        for event in &page {
            written = serde_json::to_writer(&mut *stdout, event)
                .map_err(std::io::Error::from)
                .and_then(|()| stdout.write_all(b"\n"));
            if written.is_err() {
                break;
            }
        }
        match written.and_then(|()| stdout.flush()) {
            Ok(()) => {}
            // The reader went away: stop quietly.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => break,
            Err(e) => return Err(write_error(e)),
        }
    }
    Ok(Report::ok(Output::Nothing))
}

/// The events of an export, checked before anything is written: one JSON
/// event per line, positions 1, 2, 3 … and each stream's versions 1, 2,
/// 3 … in order.
fn parse_export(source: &Source) -> Result<Vec<RecordedEvent>, CliError> {
    let mut events = Vec::new();
    let mut versions: HashMap<StreamId, u64> = HashMap::new();
    for (i, line) in source.text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("{} line {}", source.name, i + 1);
        let event: RecordedEvent = parse_text(
            &Source {
                name: at.clone(),
                text: line.to_owned(),
            },
            "exported event",
        )?;
        let position = events.len() as u64 + 1;
        if event.position != position {
            return Err(CliError::Content {
                file: at,
                message: format!(
                    "position {} where the export's next position is {position}",
                    event.position
                ),
            });
        }
        let version = versions.entry(event.stream_id).or_insert(0);
        if event.version != *version + 1 {
            return Err(CliError::Content {
                file: at,
                message: format!(
                    "stream {} version {} where its next version is {}",
                    event.stream_id,
                    event.version,
                    *version + 1
                ),
            });
        }
        *version = event.version;
        events.push(event);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Result<(&str, FieldValue), &str>) {
        let actual = parse_field(text);
        match (&actual, &expected) {
            (Ok((k, v)), Ok((ek, ev))) if k == ek && v == ev => {}
            (Err(e), Err(part)) if e.contains(part) => {}
            _ => panic!("--field {text:?}: expected {expected:?}, got {actual:?}"),
        }
    }

    #[test]
    fn fields_are_json_when_they_parse() {
        check(
            "code=solution_provided",
            Ok(("code", "solution_provided".into())),
        );
        check("n=42", Ok(("n", FieldValue::Int(42))));
        check("flag=true", Ok(("flag", FieldValue::Bool(true))));
        check("x=null", Ok(("x", FieldValue::Null)));
        check(r#"s="quoted""#, Ok(("s", "quoted".into())));
        check("a=b=c", Ok(("a", "b=c".into())));
        check("empty=", Ok(("empty", "".into())));
        check(
            r#"l=[1,"a"]"#,
            Ok(("l", FieldValue::Array(vec![FieldValue::Int(1), "a".into()]))),
        );
        check("novalue", Err("is not KEY=VALUE"));
        check("=x", Err("names no field"));
    }
}
