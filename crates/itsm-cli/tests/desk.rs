//! Runs the built `itsm` binary's `desk` commands on a SQLite file in a
//! temporary directory, and on PostgreSQL too when `ITSM_TEST_POSTGRES_URL`
//! is set (each test in its own schema, `?schema=NAME`).
//!
//! The figures are worked out from the inputs and the built-in
//! configuration: incidents open at 09:00 with impact and urgency low
//! (priority P5), so the `incident-response` SLA (24×7) wants a response
//! within one hour and warns at 75 %.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::Utc;
use itsm_core::{Incident, IncidentId, PersonId};
use serde_json::Value;

const GROUP: &str = "01900000-0000-7000-8000-0000000000c1";
const PERSON: &str = "01900000-0000-7000-8000-0000000000d1";

/// A scratch directory and the databases a test runs on: a SQLite file
/// always, a PostgreSQL schema when the environment names a server.
struct Place {
    dir: PathBuf,
    schemas: Vec<String>,
}

impl Place {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("itsm-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("the temporary directory is created");
        Self {
            dir,
            schemas: Vec::new(),
        }
    }

    /// A fresh database named `db`: a SQLite file in the directory, or a
    /// PostgreSQL schema dropped first.
    fn url(&mut self, db: &str, postgres: Option<&str>) -> String {
        match postgres {
            None => format!("sqlite://{}", self.dir.join(format!("{db}.db")).display()),
            Some(base) => {
                let schema = format!("cli_{db}_{}", std::process::id());
                drop_schema(base, &schema);
                self.schemas.push(schema.clone());
                let sep = if base.contains('?') { '&' } else { '?' };
                format!("{base}{sep}schema={schema}")
            }
        }
    }

    /// Removes what the test made (kept when it failed, to look at).
    fn clean(self, postgres: Option<&str>) {
        if let Some(base) = postgres {
            for schema in &self.schemas {
                drop_schema(base, schema);
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn drop_schema(base: &str, schema: &str) {
    let mut client =
        postgres::Client::connect(base, postgres::NoTls).expect("ITSM_TEST_POSTGRES_URL connects");
    client
        .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))
        .expect("the test schema is dropped");
}

/// The backends to run on: SQLite (`None`), and PostgreSQL's base URL.
fn backends() -> Vec<Option<String>> {
    let mut out = vec![None];
    if let Some(url) = std::env::var("ITSM_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        out.push(Some(url));
    }
    out
}

/// Runs `itsm` with `args` in `dir`, `ITSM_DB` unset.
fn itsm(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_itsm"))
        .args(args)
        .current_dir(dir)
        .env_remove("ITSM_DB")
        .output()
        .expect("the itsm binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// An incident in its initial state, as `desk open incident` reads it.
fn incident_json(n: u128, opened_at: &str) -> String {
    let at = chrono::DateTime::parse_from_rfc3339(opened_at)
        .expect("a test instant parses")
        .with_timezone(&Utc);
    let incident = Incident::new(
        IncidentId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 | n),
        format!("INC{n:07}").parse().expect("a test number parses"),
        PersonId::from_u128(0x0190_0000_0000_7000_8000_0000_0000_00aa),
        format!("ticket {n}"),
        at,
    );
    serde_json::to_string(&incident).expect("an incident serialises")
}

/// A problem in its initial state, written as a user would.
const PROBLEM: &str = r#"{
  "id": "01900000-0000-7000-8000-000000000b01",
  "number": "PRB0000001",
  "short_description": "VPN concentrator drops sessions",
  "impact": "medium",
  "urgency": "medium",
  "priority": "p3",
  "state": "new",
  "opened_at": "2026-03-02T09:30:00Z"
}"#;

/// A normal change, new, nobody asked yet.
const CHANGE: &str = r#"{
  "id": "01900000-0000-7000-8000-000000000c01",
  "number": "CHG0000001",
  "change_type": "normal",
  "short_description": "Add a second DNS server",
  "risk": "moderate",
  "impact": "medium",
  "state": "new",
  "requested_by": "01900000-0000-7000-8000-0000000000aa",
  "opened_at": "2026-03-02T13:30:00Z",
  "approval": "not_requested",
  "approvals": []
}"#;

/// One command of a sequence and what it must do.
struct Step {
    args: &'static [&'static str],
    code: i32,
    /// Substrings of standard output (compact JSON as printed).
    stdout: &'static [&'static str],
    /// Substrings standard output must not contain.
    absent: &'static [&'static str],
    /// Substrings of standard error; empty: standard error must be empty.
    stderr: &'static [&'static str],
}

const fn step(
    args: &'static [&'static str],
    code: i32,
    stdout: &'static [&'static str],
    stderr: &'static [&'static str],
) -> Step {
    Step {
        args,
        code,
        stdout,
        absent: &[],
        stderr,
    }
}

/// Runs `step` on the database `url` (`{dir}` in an argument is the
/// scratch directory) and returns a description of every way it failed.
fn check(dir: &Path, url: &str, i: usize, step: &Step) -> Option<String> {
    let dir_text = dir.display().to_string();
    let mut args: Vec<String> = step
        .args
        .iter()
        .map(|a| a.replace("{dir}", &dir_text))
        .collect();
    args.extend(["--db".to_owned(), url.to_owned()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, stdout, stderr) = itsm(dir, &refs);
    let mut problems = Vec::new();
    if code != step.code {
        problems.push(format!("exit status {code}, expected {}", step.code));
    }
    for part in step.stdout {
        if !stdout.contains(part) {
            problems.push(format!("stdout lacks {part:?}"));
        }
    }
    for part in step.absent {
        if stdout.contains(part) {
            problems.push(format!("stdout has {part:?}"));
        }
    }
    if step.stderr.is_empty() && !stderr.is_empty() {
        problems.push("stderr is not empty".to_owned());
    }
    for part in step.stderr {
        if !stderr.contains(part) {
            problems.push(format!("stderr lacks {part:?}"));
        }
    }
    if stderr.contains("panicked") {
        problems.push("the program panicked".to_owned());
    }
    (!problems.is_empty()).then(|| {
        format!(
            "step {i} {:?} on {url}:\n  {}\n  stdout: {stdout}\n  stderr: {stderr}",
            step.args,
            problems.join("\n  ")
        )
    })
}

/// Runs every step in order on `url`; returns the failures.
fn check_all(dir: &Path, url: &str, steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .enumerate()
        .filter_map(|(i, s)| check(dir, url, i, s))
        .collect()
}

/// A day at the desk, command by command.
const DAY: &[Step] = &[
    step(
        &["desk", "init"],
        0,
        &[
            r#""events":0"#,
            r#""calendars":["24x7"]"#,
            r#""slas":["incident-response","incident-resolution"]"#,
        ],
        &[],
    ),
    // Opened at 09:00: record_opened, then its created and the clocks.
    step(
        &[
            "desk",
            "open",
            "incident",
            "{dir}/inc1.json",
            "--at",
            "2026-03-02T09:00:00Z",
        ],
        0,
        &[
            r#""number":"INC0000001""#,
            r#""version":2"#,
            r#""state":"new""#,
            r#""definition":"incident-response""#,
        ],
        &[],
    ),
    step(
        &[
            "desk",
            "open",
            "incident",
            "{dir}/inc2.json",
            "--at",
            "2026-03-02T09:05:00Z",
        ],
        0,
        &[r#""number":"INC0000002""#, r#""version":2"#],
        &[],
    ),
    // The same number twice is refused, and nothing is written.
    step(
        &["desk", "open", "incident", "{dir}/inc1.json"],
        1,
        &[],
        &["INC0000001", "a record with this number exists"],
    ),
    // A file that is not an incident: the file, the path and the value.
    step(
        &["desk", "open", "incident", "{dir}/bad.json"],
        1,
        &[],
        &["bad.json", "not a valid incident", "impact", "\"enormous\""],
    ),
    step(
        &["desk", "open", "incident", "{dir}/missing.json"],
        1,
        &[],
        &["missing.json", "cannot read"],
    ),
    // An event appends its audit entry and its state change: version 4.
    step(
        &[
            "desk",
            "apply",
            "INC0000001",
            "start",
            "--expect-version",
            "2",
            "--at",
            "2026-03-02T09:10:00Z",
        ],
        0,
        &[r#""version":4"#, r#""state":"in_progress""#],
        &[],
    ),
    // A writer that read version 2 is refused with exit 3.
    step(
        &[
            "desk",
            "apply",
            "INC0000001",
            "hold",
            "--reason",
            "awaiting_vendor",
            "--expect-version",
            "2",
        ],
        3,
        &[],
        &[
            "INC0000001",
            "version conflict",
            "expected version 2",
            "actual version 4",
        ],
    ),
    step(
        &[
            "desk",
            "apply",
            "INC0000001",
            "hold",
            "--reason",
            "awaiting_vendor",
            "--expect-version",
            "4",
            "--at",
            "2026-03-02T09:20:00Z",
        ],
        0,
        &[
            r#""state":"on_hold""#,
            r#""on_hold_reason":"awaiting_vendor""#,
        ],
        &[],
    ),
    step(
        &["desk", "apply", "INC0000001", "fly"],
        1,
        &[],
        &["INC0000001", "\"fly\" is not an event"],
    ),
    step(
        &["desk", "apply", "INC0000001", "start"],
        1,
        &[],
        &["INC0000001"],
    ),
    step(
        &["desk", "apply", "INC0009999", "start"],
        1,
        &[],
        &["no record INC0009999"],
    ),
    step(
        &["desk", "apply", "INC0000001", "start", "--field", "novalue"],
        2,
        &[],
        &["is not KEY=VALUE"],
    ),
    step(
        &["desk", "apply", "INC0000001", "resume", "--at", "09:00"],
        2,
        &[],
        &["invalid instant \"09:00\""],
    ),
    step(
        &["desk", "apply", "not-a-number", "resume"],
        2,
        &[],
        &["not-a-number"],
    ),
    step(
        &[
            "desk",
            "assign",
            "INC0000002",
            "--group",
            GROUP,
            "--person",
            PERSON,
            "--at",
            "2026-03-02T09:25:00Z",
        ],
        0,
        &[
            r#""number":"INC0000002""#,
            concat!(
                r#""assignment_group":""#,
                "01900000-0000-7000-8000-0000000000c1"
            ),
            concat!(r#""assigned_to":""#, "01900000-0000-7000-8000-0000000000d1"),
        ],
        &[],
    ),
    step(
        &[
            "desk",
            "open",
            "problem",
            "{dir}/prb1.json",
            "--at",
            "2026-03-02T09:30:00Z",
        ],
        0,
        &[r#""number":"PRB0000001""#, r#""state":"new""#],
        &[],
    ),
    // Both ends are written: the problem is in `also`.
    step(
        &[
            "desk",
            "link",
            "INC0000001",
            "PRB0000001",
            "--at",
            "2026-03-02T09:31:00Z",
        ],
        0,
        &[
            r#""number":"INC0000001""#,
            r#""also":[{"number":"PRB0000001""#,
        ],
        &[],
    ),
    step(
        &["desk", "link", "PRB0000001", "PRB0000001"],
        1,
        &[],
        &["PRB0000001"],
    ),
    step(
        &["desk", "show", "INC0000001"],
        0,
        &[
            r#""number":"INC0000001""#,
            r#""state":"on_hold""#,
            r#""clocks":[{"#,
            r#""links":[{"field":"problem","number":"PRB0000001","target":"01900000-0000-7000-8000-000000000b01"}]"#,
        ],
        &[],
    ),
    step(
        &["desk", "show", "INC0009999"],
        1,
        &[],
        &["no record INC0009999"],
    ),
    // What-if over the stored record: had it been on hold for ten minutes.
    step(
        &[
            "desk",
            "what-if",
            "INC0000002",
            "--sla",
            "incident-resolution",
            "--scenario",
            "{dir}/what-if.json",
        ],
        0,
        &[
            r#""baseline":{"#,
            r#""changed":true"#,
            r#""due_moved_secs":600"#,
        ],
        &[],
    ),
    step(
        &[
            "desk",
            "what-if",
            "INC0000002",
            "--sla",
            "no-such-sla",
            "--scenario",
            "{dir}/what-if.json",
        ],
        1,
        &[],
        &["no SLA \"no-such-sla\""],
    ),
    // Major-incident criteria: assessed, with the reasons (nothing written).
    step(
        &["desk", "major", "INC0000002"],
        0,
        &[
            r#""assessment":{"#,
            r#""number":"INC0000002""#,
            r#""matched":["#,
        ],
        &[],
    ),
    step(
        &["desk", "major", "PRB0000001"],
        1,
        &[],
        &["only an incident can be a major incident"],
    ),
    step(
        &["desk", "list", "--kind", "incident"],
        0,
        &[
            r#""number":"INC0000001""#,
            r#""number":"INC0000002""#,
            r#""more":false"#,
        ],
        &[],
    ),
    Step {
        args: &["desk", "list", "--state", "on_hold"],
        code: 0,
        stdout: &[r#""number":"INC0000001""#],
        absent: &["INC0000002", "PRB0000001"],
        stderr: &[],
    },
    Step {
        args: &["desk", "list", "--group", GROUP],
        code: 0,
        stdout: &[r#""number":"INC0000002""#],
        absent: &["INC0000001", "PRB0000001"],
        stderr: &[],
    },
    // State and group together: none on hold is in the group.
    step(
        &["desk", "list", "--state", "on_hold", "--group", GROUP],
        0,
        &[r#"{"records":[],"more":false}"#],
        &[],
    ),
    Step {
        args: &["desk", "list", "--limit", "1"],
        code: 0,
        stdout: &[r#""more":true"#],
        absent: &[],
        stderr: &[],
    },
    // INC0000002 was never responded to: due by 10:05 (warning at 09:50).
    Step {
        args: &["desk", "due", "--before", "2026-03-02T10:00:00Z"],
        code: 0,
        stdout: &[
            r#""number":"INC0000002""#,
            r#""definition":"incident-response""#,
        ],
        absent: &[],
        stderr: &[],
    },
    step(
        &["desk", "due", "--before", "2026-03-02T09:00:00Z"],
        0,
        &[r#"{"due":[]}"#],
        &[],
    ),
    // The warning (75 %) and the breach of INC0000002's response clock.
    step(
        &["desk", "tick", "--now", "2026-03-02T11:00:00Z"],
        0,
        &[r#""thresholds":1"#, r#""breaches":1"#],
        &[],
    ),
    // Recorded once: a second tick writes nothing.
    step(
        &["desk", "tick", "--now", "2026-03-02T11:00:00Z"],
        0,
        &[r#""thresholds":0"#, r#""breaches":0"#],
        &[],
    ),
    step(
        &[
            "desk",
            "apply",
            "INC0000002",
            "resolve",
            "--field",
            "resolution_code=solution_provided",
            "--field",
            "resolution_notes=Restarted the VPN gateway",
            "--at",
            "2026-03-02T11:30:00Z",
        ],
        0,
        &[
            r#""state":"resolved""#,
            r#""resolution_code":"solution_provided""#,
        ],
        &[],
    ),
    // Resolved without its required fields: refused, nothing written.
    step(
        &["desk", "apply", "INC0000001", "resolve"],
        1,
        &[],
        &["INC0000001"],
    ),
    step(&["desk", "check"], 0, &[r#""mismatches":[]"#], &[]),
    // A change goes to the CAB: two approvers asked, one answers, then both.
    step(
        &[
            "desk",
            "open",
            "change",
            "{dir}/chg1.json",
            "--at",
            "2026-03-02T13:30:00Z",
        ],
        0,
        &[r#""number":"CHG0000001""#, r#""approval":"not_requested""#],
        &[],
    ),
    step(
        &[
            "desk",
            "apply",
            "CHG0000001",
            "assess",
            "--at",
            "2026-03-02T13:35:00Z",
        ],
        0,
        &[r#""state":"assess""#],
        &[],
    ),
    step(
        &[
            "desk",
            "apply",
            "CHG0000001",
            "request_authorization",
            "--at",
            "2026-03-02T13:40:00Z",
        ],
        0,
        &[r#""state":"authorize""#],
        &[],
    ),
    step(
        &[
            "desk",
            "ask",
            "CHG0000001",
            "--approver",
            "01900000-0000-7000-8000-0000000000a1",
            "--approver",
            "01900000-0000-7000-8000-0000000000a2",
            "--at",
            "2026-03-02T13:40:00Z",
        ],
        0,
        &[r#""approval":"requested""#, r#""decision":"requested""#],
        &[],
    ),
    step(
        &[
            "desk",
            "decide",
            "CHG0000001",
            "--approver",
            "01900000-0000-7000-8000-0000000000a1",
            "--decision",
            "approved",
            "--at",
            "2026-03-02T14:20:00Z",
        ],
        0,
        &[r#""approval":"requested""#, r#""decision":"approved""#],
        &[],
    ),
    step(
        &[
            "desk",
            "decide",
            "CHG0000001",
            "--approver",
            "01900000-0000-7000-8000-0000000000a2",
            "--decision",
            "maybe",
        ],
        2,
        &[],
        &["\"maybe\" is not a decision"],
    ),
    step(
        &[
            "desk",
            "decide",
            "CHG0000001",
            "--approver",
            "01900000-0000-7000-8000-0000000000a2",
            "--decision",
            "approved",
            "--at",
            "2026-03-02T14:45:00Z",
        ],
        0,
        &[r#""approval":"approved""#],
        &[],
    ),
    // A batch: one transaction; the refused command writes nothing.
    step(
        &["desk", "batch", "{dir}/batch.jsonl"],
        1,
        &[
            r#""written":2"#,
            r#""error":"no record INC0009999"#,
            "batched 2",
        ],
        &["1 of 3 command(s) refused"],
    ),
    step(
        &["desk", "batch", "{dir}/bad-batch.jsonl"],
        1,
        &[],
        &[
            "bad-batch.jsonl line 1",
            "command.comment.visibility",
            "loud",
        ],
    ),
    // Compliance over the stored clocks: one definition, one priority.
    Step {
        args: &[
            "desk",
            "compliance",
            "--definition",
            "incident-response",
            "--priority",
            "p5",
            "--from",
            "2026-03-02T00:00:00Z",
            "--to",
            "2026-03-03T00:00:00Z",
        ],
        code: 0,
        stdout: &[r#""definition":"incident-response""#, r#""by_target""#],
        absent: &["incident-resolution"],
        stderr: &[],
    },
    step(
        &[
            "desk",
            "compliance",
            "--priority",
            "p9",
            "--from",
            "2026-03-02T00:00:00Z",
        ],
        2,
        &[],
        &["\"p9\" is not a priority"],
    ),
    step(
        &["desk", "open", "incident", "-", "extra"],
        2,
        &[],
        &["extra"],
    ),
];

fn write_files(dir: &Path) {
    let files = [
        ("inc1.json", incident_json(1, "2026-03-02T09:00:00Z")),
        ("inc2.json", incident_json(2, "2026-03-02T09:05:00Z")),
        ("prb1.json", PROBLEM.to_owned()),
        ("chg1.json", CHANGE.to_owned()),
        (
            "batch.jsonl",
            [
                r#"{"command": {"comment": {"number": "INC0000002", "visibility": "work_note", "text": "batched 1"}}, "at": "2026-03-02T12:00:00Z"}"#,
                r#"{"command": {"comment": {"number": "INC0009999", "visibility": "work_note", "text": "nobody"}}, "at": "2026-03-02T12:00:00Z"}"#,
                "",
                r#"{"command": {"comment": {"number": "INC0000002", "visibility": "public", "text": "batched 2"}}, "at": "2026-03-02T12:01:00Z"}"#,
            ]
            .join("\n"),
        ),
        (
            "bad-batch.jsonl",
            r#"{"command": {"comment": {"number": "INC0000002", "visibility": "loud", "text": "x"}}, "at": "2026-03-02T12:00:00Z"}"#.to_owned(),
        ),
        (
            "what-if.json",
            r#"{"edits": [{"type": "hold", "from": "2026-03-02T09:10:00Z", "to": "2026-03-02T09:20:00Z", "reason": "awaiting_vendor"}]}"#.to_owned(),
        ),
        (
            "bad.json",
            incident_json(3, "2026-03-02T09:00:00Z")
                .replace(r#""impact":"low""#, r#""impact":"enormous""#),
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("a test file is written");
    }
}

/// Parses an export: one event per line.
fn events(export: &str) -> Vec<Value> {
    export
        .lines()
        .map(|l| serde_json::from_str(l).expect("an export line is JSON"))
        .collect()
}

/// Every way `events` breaks the export's order: positions 1, 2, 3 … and
/// each stream's versions 1, 2, 3 ….
fn order_problems(events: &[Value]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut versions: BTreeMap<String, u64> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e["position"].as_u64() != Some(i as u64 + 1) {
            problems.push(format!("line {}: position {}", i + 1, e["position"]));
        }
        let stream = e["stream_id"].as_str().unwrap_or_default().to_owned();
        let v = versions.entry(stream.clone()).or_insert(0);
        if e["version"].as_u64() != Some(*v + 1) {
            problems.push(format!(
                "line {}: stream {stream} version {} after {v}",
                i + 1,
                e["version"]
            ));
        }
        *v += 1;
    }
    problems
}

/// An event without the store's own stamp (`recorded_at`), to compare an
/// import with its export.
fn unstamped(mut e: Value) -> Value {
    if let Value::Object(map) = &mut e {
        map.remove("recorded_at");
    }
    e
}

#[test]
fn a_day_at_the_desk_then_export_import_check() {
    for backend in backends() {
        let base = backend.as_deref();
        let mut place = Place::new(&format!(
            "day-{}",
            if base.is_some() { "pg" } else { "sqlite" }
        ));
        write_files(&place.dir);
        let url = place.url("day", base);
        let failures = check_all(&place.dir, &url, DAY);
        assert!(
            failures.is_empty(),
            "{} step(s) failed:\n{}",
            failures.len(),
            failures.join("\n")
        );

        // The export: JSON lines in position order, every stream 1..N.
        let (code, export, stderr) = itsm(&place.dir, &["desk", "export", "--db", &url]);
        assert_eq!((code, stderr.as_str()), (0, ""), "export on {url}");
        let exported = events(&export);
        assert!(exported.len() > 10, "too few events exported: {export}");
        let problems = order_problems(&exported);
        assert!(problems.is_empty(), "export out of order: {problems:?}");
        std::fs::write(place.dir.join("export.jsonl"), &export).expect("the export is written");

        // Into a fresh database: the same events, and the check passes.
        let fresh = place.url("imported", base);
        let (code, out, stderr) = itsm(
            &place.dir,
            &[
                "desk",
                "import",
                "{dir}/export.jsonl"
                    .replace("{dir}", &place.dir.display().to_string())
                    .as_str(),
                "--db",
                &fresh,
                "--at",
                "2026-03-02T12:00:00Z",
            ],
        );
        assert_eq!(
            (code, stderr.as_str()),
            (0, ""),
            "import into {fresh}: {out}"
        );
        assert!(
            out.contains(&format!(r#""imported":{}"#, exported.len())),
            "{out}"
        );
        assert!(out.contains(r#""mismatches":[]"#), "{out}");
        let (code, out, stderr) = itsm(&place.dir, &["desk", "check", "--db", &fresh]);
        assert_eq!((code, stderr.as_str()), (0, ""), "check of {fresh}: {out}");
        let (code, again, _) = itsm(&place.dir, &["desk", "export", "--db", &fresh]);
        assert_eq!(code, 0);
        let a: Vec<Value> = exported.into_iter().map(unstamped).collect();
        let b: Vec<Value> = events(&again).into_iter().map(unstamped).collect();
        assert!(a == b, "the imported database exports other events");
        // The imported records read as the originals.
        for number in ["INC0000001", "INC0000002", "PRB0000001"] {
            let show = |db: &str| itsm(&place.dir, &["desk", "show", number, "--db", db]).1;
            let (x, y): (Value, Value) = (
                serde_json::from_str(&show(&url)).expect("show prints JSON"),
                serde_json::from_str(&show(&fresh)).expect("show prints JSON"),
            );
            assert_eq!(
                (&x["record"], &x["version"]),
                (&y["record"], &y["version"]),
                "{number}"
            );
        }

        // A second import is refused: the database is not empty.
        let file = place.dir.join("export.jsonl").display().to_string();
        let (code, _, stderr) = itsm(&place.dir, &["desk", "import", &file, "--db", &fresh]);
        assert_eq!(code, 1, "{stderr}");
        assert!(stderr.contains("empty database"), "{stderr}");

        // An export with a line missing is refused before anything is written.
        let gap: String = export
            .lines()
            .enumerate()
            .filter(|(i, _)| *i != 3)
            .map(|(_, l)| format!("{l}\n"))
            .collect();
        std::fs::write(place.dir.join("gap.jsonl"), gap).expect("written");
        let other = place.url("gap", base);
        let file = place.dir.join("gap.jsonl").display().to_string();
        let (code, _, stderr) = itsm(&place.dir, &["desk", "import", &file, "--db", &other]);
        assert_eq!(code, 1, "{stderr}");
        assert!(
            stderr.contains("gap.jsonl line 4") && stderr.contains("position 5"),
            "{stderr}"
        );
        let (code, out, _) = itsm(&place.dir, &["desk", "export", "--db", &other]);
        assert_eq!((code, out.as_str()), (0, ""));
        place.clean(base);
    }
}

#[test]
fn the_database_comes_from_db_then_itsm_db_then_itsm_db_file() {
    let place = Place::new("default-db");
    // Neither: ./itsm.db.
    let (code, out, err) = itsm(&place.dir, &["desk", "init"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.contains(r#""db":"sqlite://itsm.db""#), "{out}");
    assert!(place.dir.join("itsm.db").exists());
    // ITSM_DB.
    let env_db = place.dir.join("env.db");
    let output = Command::new(env!("CARGO_BIN_EXE_itsm"))
        .args(["desk", "init"])
        .current_dir(&place.dir)
        .env("ITSM_DB", format!("sqlite://{}", env_db.display()))
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(0));
    assert!(env_db.exists());
    // --db wins over ITSM_DB.
    let flag_db = place.dir.join("flag.db");
    let output = Command::new(env!("CARGO_BIN_EXE_itsm"))
        .args([
            "desk",
            "init",
            "--db",
            &format!("sqlite://{}", flag_db.display()),
        ])
        .current_dir(&place.dir)
        .env("ITSM_DB", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .expect("runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(flag_db.exists());
    // A bad URL and a bad configuration directory name themselves.
    let (code, _, err) = itsm(&place.dir, &["desk", "init", "--db", "mysql://x"]);
    assert_eq!(code, 1);
    assert!(err.contains("mysql://x"), "{err}");
    std::fs::create_dir_all(place.dir.join("conf")).expect("created");
    std::fs::write(place.dir.join("conf/matrix.json"), "{\"cells\": 3}").expect("written");
    let (code, _, err) = itsm(&place.dir, &["desk", "init", "--config", "conf"]);
    assert_eq!(code, 1);
    assert!(err.contains("conf") && err.contains("matrix.json"), "{err}");
    place.clean(None);
}

/// How many tickets and how many events each writer applies to each.
const TICKETS: u128 = 100;
/// Events per writer per ticket: two on SQLite, one on PostgreSQL, where
/// each process pays for a connection (about 60 ms; the test stays near a
/// minute).
const fn rounds(postgres: bool) -> usize {
    if postgres { 1 } else { 2 }
}
const WRITERS: usize = 4;
const MAX_ATTEMPTS: usize = 60;

/// What one writer did: the (ticket, version) of each of its writes, and
/// how many conflicts it retried.
#[derive(Debug, Default)]
struct Writes {
    versions: Vec<(u128, u64)>,
    conflicts: usize,
}

/// One writer: for each ticket, read its version and state with `show`,
/// then put it on hold or resume it with `apply --expect-version`,
/// retrying on exit 3.
fn writer(dir: &Path, url: &str, order: &[u128], rounds: usize) -> Result<Writes, String> {
    let mut writes = Writes::default();
    // Every round on a ticket before the next, so that writers on the same
    // ticket meet more than once.
    for &n in order {
        for _ in 0..rounds {
            let number = format!("INC{n:07}");
            let mut done = false;
            for _ in 0..MAX_ATTEMPTS {
                let (code, out, err) = itsm(dir, &["desk", "show", &number, "--db", url]);
                if code != 0 {
                    return Err(format!("show {number}: exit {code}: {err}"));
                }
                let view: Value =
                    serde_json::from_str(&out).map_err(|e| format!("show {number}: {e}"))?;
                let version = view["version"].as_u64().ok_or("show has no version")?;
                let on_hold = view["record"]["record"]["state"] == "on_hold";
                let v = version.to_string();
                let mut args = vec!["desk", "apply", &number];
                if on_hold {
                    args.push("resume");
                } else {
                    args.extend(["hold", "--reason", "awaiting_vendor"]);
                }
                args.extend([
                    "--expect-version",
                    &v,
                    "--db",
                    url,
                    "--at",
                    "2026-03-02T10:00:00Z",
                ]);
                let (code, out, err) = itsm(dir, &args);
                match code {
                    0 => {
                        let outcome: Value = serde_json::from_str(&out)
                            .map_err(|e| format!("apply {number}: {e}"))?;
                        let after = outcome["version"].as_u64().ok_or("apply has no version")?;
                        writes.versions.push((n, after));
                        done = true;
                        break;
                    }
                    3 => {
                        if !err.contains(&number)
                            || !err.contains(&format!("expected version {version}"))
                        {
                            return Err(format!("conflict message for {number}: {err}"));
                        }
                        writes.conflicts += 1;
                    }
                    _ => return Err(format!("apply {number}: exit {code}: {err}")),
                }
            }
            if !done {
                return Err(format!("{number}: {MAX_ATTEMPTS} attempts, all conflicts"));
            }
        }
    }
    Ok(writes)
}

#[test]
fn four_processes_drive_the_same_tickets_without_losing_an_update() {
    for backend in backends() {
        let base = backend.as_deref();
        let rounds = rounds(base.is_some());
        let started = Instant::now();
        let mut place = Place::new(&format!(
            "writers-{}",
            if base.is_some() { "pg" } else { "sqlite" }
        ));
        let url = place.url("writers", base);
        let dir = place.dir.clone();
        let (code, _, err) = itsm(&dir, &["desk", "init", "--db", &url]);
        assert_eq!(code, 0, "{err}");
        for n in 1..=TICKETS {
            let file = dir.join(format!("inc{n}.json"));
            std::fs::write(&file, incident_json(n, "2026-03-02T09:00:00Z")).expect("written");
            let file = file.display().to_string();
            let (code, _, err) = itsm(
                &dir,
                &[
                    "desk",
                    "open",
                    "incident",
                    &file,
                    "--db",
                    &url,
                    "--at",
                    "2026-03-02T09:00:00Z",
                ],
            );
            assert_eq!(code, 0, "{err}");
        }
        let (_, before, _) = itsm(&dir, &["desk", "export", "--db", &url]);
        let audits = |events: &[Value]| -> BTreeMap<String, usize> {
            let mut out = BTreeMap::new();
            for e in events {
                let entry = out
                    .entry(e["stream_id"].as_str().unwrap_or_default().to_owned())
                    .or_insert(0);
                if e["event_type"] == "audit_entry" {
                    *entry += 1;
                }
            }
            out
        };
        let baseline = audits(&events(&before));
        assert_eq!(baseline.len(), TICKETS as usize);

        // Two writers go up the tickets and two down: each pair races on
        // every ticket, and the pairs cross in the middle.
        let up: Vec<u128> = (1..=TICKETS).collect();
        let down: Vec<u128> = (1..=TICKETS).rev().collect();
        let results: Vec<Result<Writes, String>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|w| {
                    let order = if w % 2 == 0 { &up } else { &down };
                    let (dir, url) = (&dir, &url);
                    s.spawn(move || writer(dir, url, order, rounds))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err("a writer thread panicked".to_owned()))
                })
                .collect()
        });
        let mut claimed = BTreeSet::new();
        let mut conflicts = 0;
        for r in results {
            let w = r.unwrap_or_else(|e| panic!("on {url}: {e}"));
            conflicts += w.conflicts;
            for v in w.versions {
                assert!(claimed.insert(v), "two writers both wrote {v:?} on {url}");
            }
        }
        let expected = WRITERS * rounds * TICKETS as usize;
        assert_eq!(claimed.len(), expected, "successful writes on {url}");

        // Every write is in the events: versions contiguous, each
        // ticket's transitions all there.
        let (code, after, err) = itsm(&dir, &["desk", "export", "--db", &url]);
        assert_eq!(code, 0, "{err}");
        let after = events(&after);
        let problems = order_problems(&after);
        assert!(
            problems.is_empty(),
            "export out of order on {url}: {problems:?}"
        );
        for (stream, count) in audits(&after) {
            assert_eq!(
                count - baseline[&stream],
                WRITERS * rounds,
                "transitions of stream {stream} on {url}"
            );
        }
        // An even number of hold/resume from new: every ticket in progress.
        let (code, out, _) = itsm(
            &dir,
            &[
                "desk",
                "list",
                "--kind",
                "incident",
                "--state",
                "in_progress",
                "--limit",
                "1000",
                "--db",
                &url,
            ],
        );
        assert_eq!(code, 0);
        let listed: Value = serde_json::from_str(&out).expect("list prints JSON");
        assert_eq!(
            listed["records"].as_array().map(Vec::len),
            Some(TICKETS as usize),
            "{out}"
        );
        let (code, out, err) = itsm(&dir, &["desk", "check", "--db", &url]);
        assert_eq!((code, err.as_str()), (0, ""), "check on {url}: {out}");
        // Every stored clock is its SLA's pure evaluation of the stored timeline.
        assert_eq!(
            clocks_replayed(&url),
            2 * TICKETS as usize,
            "clocks on {url}"
        );

        // Four processes tick at once, a week later: every clock is
        // breached; each notice is recorded once, by one of them.
        let late = "2026-03-09T10:00:00Z";
        let reports: Vec<Value> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..WRITERS)
                .map(|_| {
                    let (dir, url) = (&dir, &url);
                    s.spawn(move || {
                        let (code, out, err) =
                            itsm(dir, &["desk", "tick", "--now", late, "--db", url]);
                        assert_eq!(code, 0, "tick on {url}: {err}");
                        serde_json::from_str::<Value>(&out).expect("tick prints JSON")
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a tick thread"))
                .collect()
        });
        let recorded: u64 = reports
            .iter()
            .map(|r| r["thresholds"].as_u64().unwrap_or(0) + r["breaches"].as_u64().unwrap_or(0))
            .sum();
        let (_, all, _) = itsm(&dir, &["desk", "export", "--db", &url]);
        let notices: Vec<Value> = events(&all)
            .into_iter()
            .filter(|e| e["event_type"] == "sla_notice")
            .collect();
        // What is due: per ticket, the response SLA's 75 % warning and its
        // breach, the resolution SLA's three warnings and its breach (P5,
        // 24×7, both long past by then).
        assert_eq!(notices.len(), TICKETS as usize * 6, "notices on {url}");
        assert_eq!(
            recorded,
            notices.len() as u64,
            "ticks' reports on {url}: {reports:?}"
        );
        let mut seen = BTreeSet::new();
        for n in &notices {
            let p = &n["payload"];
            let key = format!(
                "{}/{}/{}/{}/{}",
                n["stream_id"], p["definition"], p["cycle"], p["notice"], p["percent"]
            );
            assert!(seen.insert(key.clone()), "{key} recorded twice on {url}");
        }
        let (code, again, err) = itsm(&dir, &["desk", "tick", "--now", late, "--db", &url]);
        assert_eq!(code, 0, "{err}");
        let again: Value = serde_json::from_str(&again).expect("tick prints JSON");
        assert_eq!(
            (again["thresholds"].as_u64(), again["breaches"].as_u64()),
            (Some(0), Some(0))
        );
        assert_eq!(
            clocks_replayed(&url),
            2 * TICKETS as usize,
            "clocks after the ticks on {url}"
        );
        eprintln!(
            "{url}: {expected} writes by {WRITERS} processes, {conflicts} conflicts retried, {:?}",
            started.elapsed()
        );
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "took too long"
        );
        place.clean(base);
    }
}

/// Compares every stored clock of the database at `url` with a fresh
/// evaluation of its SLA on the record's stored timeline, at the instant
/// it was evaluated; returns how many clocks it compared.
fn clocks_replayed(url: &str) -> usize {
    use itsm_core::{RecordKind, Timeline};
    use itsm_sla::{CompiledCalendar, CompiledSla};
    use itsm_store::{RecordFilter, RecordQuery, Store};
    let config = itsm_desk::Config::default();
    let calendar = CompiledCalendar::new(&config.calendars[0]).expect("the calendar compiles");
    let slas: Vec<CompiledSla> = config
        .slas
        .iter()
        .map(|d| CompiledSla::new(d).expect("the SLA compiles"))
        .collect();
    let mut store = Store::open(url).expect("the store opens");
    let page = store
        .query(&RecordQuery::new(
            RecordKind::Incident,
            RecordFilter::All,
            1_000,
        ))
        .expect("the store lists");
    let mut compared = 0;
    for row in &page.records {
        let stream = row.record.stream_id();
        let events = store
            .read_stream(stream, 1, 100_000)
            .expect("the stream reads");
        let timeline = Timeline {
            events: events
                .iter()
                .filter(|e| e.event_type == "timeline_event")
                .map(|e| store.decode(e).expect("a timeline event decodes"))
                .collect(),
        };
        for clock in store.clocks(stream).expect("the clocks read") {
            let sla = slas
                .iter()
                .find(|s| s.name() == clock.evaluation.definition)
                .expect("a configured SLA");
            let fresh =
                itsm_sla::evaluate(sla, &calendar, &timeline, clock.evaluation.evaluated_at)
                    .expect("the clock evaluates");
            assert_eq!(
                clock.evaluation,
                fresh,
                "{}: {}",
                row.record.number(),
                fresh.definition
            );
            compared += 1;
        }
    }
    compared
}

#[test]
fn check_exits_1_when_a_projection_is_out_of_step_with_its_events() {
    use itsm_store::{AppendRequest, ExpectedVersion, NewEvent, Record, Store, StreamKind};
    for backend in backends() {
        let base = backend.as_deref();
        let mut place = Place::new(&format!(
            "check-{}",
            if base.is_some() { "pg" } else { "sqlite" }
        ));
        write_files(&place.dir);
        let url = place.url("check", base);
        let file = place.dir.join("inc1.json").display().to_string();
        let (code, _, err) = itsm(
            &place.dir,
            &["desk", "open", "incident", &file, "--db", &url],
        );
        assert_eq!(code, 0, "{err}");
        // Write a projection behind the events' back, as a faulty writer would.
        {
            let mut store = Store::open(&url).expect("the store opens");
            let number = "INC0000001".parse().expect("a number");
            let stored = store
                .record_by_number(&number)
                .expect("the store reads")
                .expect("the record is there");
            let Record::Incident(mut wrong) = stored.record.clone() else {
                panic!("not an incident: {:?}", stored.record);
            };
            wrong.short_description = "edited behind the events' back".into();
            let at = stored.updated_at;
            let note = NewEvent {
                event_id: itsm_store::EventId::new_v7(at, [7; 10]),
                event_type: "note".to_owned(),
                schema_version: 1,
                occurred_at: at,
                actor: None,
                correlation_id: None,
                causation_id: None,
                payload: r#"{"text":"n"}"#.to_owned(),
            };
            store
                .append(
                    &AppendRequest::events(
                        stored.record.stream_id(),
                        StreamKind::from(itsm_core::RecordKind::Incident),
                        ExpectedVersion::Exact(stored.version),
                        vec![note],
                    )
                    .with_projection(Record::Incident(wrong)),
                )
                .expect("the append is written");
        }
        let (code, out, err) = itsm(&place.dir, &["desk", "check", "--db", &url]);
        assert_eq!(code, 1, "check on {url}: {out} {err}");
        assert!(out.contains("short_description"), "{out}");
        assert!(
            err.contains("1 projection(s) differ from their events"),
            "{err}"
        );
        place.clean(base);
    }
}

/// A listing is written while the store's pages are read: a record that
/// cannot be read half way ends the answer there, and the command fails
/// with the store's error (not a write error), after the records before it.
#[test]
fn a_listing_that_meets_an_unreadable_record_fails_with_the_stores_error() {
    for backend in backends() {
        let base = backend.as_deref();
        let mut place = Place::new(&format!(
            "list-broken-{}",
            if base.is_some() { "pg" } else { "sqlite" }
        ));
        write_files(&place.dir);
        let url = place.url("broken", base);
        for file in ["inc1.json", "inc2.json"] {
            let file = place.dir.join(file).display().to_string();
            let (code, _, err) = itsm(
                &place.dir,
                &["desk", "open", "incident", &file, "--db", &url],
            );
            assert_eq!(code, 0, "{err}");
        }
        let damage = "UPDATE records SET doc = 'not json' WHERE number = 'INC0000002'";
        match base {
            None => {
                let path = url.trim_start_matches("sqlite://");
                let db = rusqlite::Connection::open(path).expect("the database opens");
                assert_eq!(db.execute(damage, []).expect("the update runs"), 1);
            }
            Some(base) => {
                let schema = place.schemas.last().expect("a schema").clone();
                let mut client = postgres::Client::connect(base, postgres::NoTls)
                    .expect("ITSM_TEST_POSTGRES_URL connects");
                let damage = damage.replace("UPDATE records", &format!("UPDATE {schema}.records"));
                assert_eq!(
                    client
                        .execute(damage.as_str(), &[])
                        .expect("the update runs"),
                    1
                );
            }
        }
        // Pages of one record: the first is written before the second fails.
        let (code, out, err) = itsm(
            &place.dir,
            &[
                "desk", "list", "--kind", "incident", "--limit", "1", "--db", &url,
            ],
        );
        assert_ne!(code, 0, "the listing succeeded: {out}");
        assert!(out.starts_with(r#"{"records":["#), "stdout: {out}");
        assert!(
            out.contains(r#""number":"INC0000001""#) && !out.contains("INC0000002"),
            "stdout: {out}"
        );
        assert!(!out.contains(r#""more""#), "the answer was not cut: {out}");
        assert!(err.starts_with("error: "), "stderr: {err}");
        assert!(!err.contains("cannot write"), "stderr: {err}");
        place.clean(base);
    }
}
