//! Runs the built `itsm` binary on the sample files of `tests/data/` (and the
//! realistic fixtures of `docs/examples/`), and on malformed ones.
//!
//! Every expected figure is computed by hand from the inputs, never copied
//! from the program's output: the office calendar works Monday to Friday
//! 09:00–17:00 UTC, 2026-03-02 is a Monday, and the London calendar changes
//! to summer time on Sunday 2026-03-29.

use std::io::Write;
use std::process::{Command, Stdio};

/// What standard output must hold.
#[derive(Debug, Clone, Copy)]
enum Out<'a> {
    /// Exactly this JSON value (compared as parsed JSON, key order ignored).
    Json(&'a str),
    /// JSON containing each of these substrings (as printed, compact).
    Has(&'a [&'a str]),
    /// Text (not JSON) containing each of these substrings.
    Text(&'a [&'a str]),
    /// Nothing at all.
    Empty,
}

/// One run of the binary and what it must do.
#[derive(Debug, Clone, Copy)]
struct Case<'a> {
    args: &'a [&'a str],
    /// Standard input, when the case pipes some.
    stdin: Option<&'a str>,
    code: i32,
    stdout: Out<'a>,
    /// Substrings standard error must contain; empty: standard error must be empty.
    stderr: &'a [&'a str],
}

const fn case<'a>(
    args: &'a [&'a str],
    code: i32,
    stdout: Out<'a>,
    stderr: &'a [&'a str],
) -> Case<'a> {
    Case {
        args,
        stdin: None,
        code,
        stdout,
        stderr,
    }
}

fn run(case: &Case<'_>) -> (i32, String, String) {
    // The cases run in tests/data/; they reach the repository's examples as
    // ../repo/docs/…, links that `cargo package` copies into the `.crate`.
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_itsm"))
        .args(case.args)
        .current_dir(data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the itsm binary starts");
    {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        if let Some(text) = case.stdin {
            // The program may exit before reading (a usage error): ignore EPIPE.
            let _ = stdin.write_all(text.as_bytes());
        }
    }
    let output = child.wait_with_output().expect("the itsm binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `case` and returns a description of every way it failed.
fn check(case: &Case<'_>) -> Vec<String> {
    let (code, stdout, stderr) = run(case);
    let mut problems = Vec::new();
    if code != case.code {
        problems.push(format!("exit status {code}, expected {}", case.code));
    }
    match case.stdout {
        Out::Json(expected) => {
            let expected: serde_json::Value =
                serde_json::from_str(expected).expect("the expected JSON of a case parses");
            match serde_json::from_str::<serde_json::Value>(&stdout) {
                Ok(actual) if actual == expected => {}
                _ => problems.push(format!("stdout is not the expected JSON {expected}")),
            }
        }
        Out::Has(parts) => {
            if serde_json::from_str::<serde_json::Value>(&stdout).is_err() {
                problems.push("stdout is not JSON".to_owned());
            }
            for part in parts {
                if !stdout.contains(part) {
                    problems.push(format!("stdout lacks {part:?}"));
                }
            }
        }
        Out::Text(parts) => {
            for part in parts {
                if !stdout.contains(part) {
                    problems.push(format!("stdout lacks {part:?}"));
                }
            }
        }
        Out::Empty => {
            if !stdout.is_empty() {
                problems.push("stdout is not empty".to_owned());
            }
        }
    }
    if case.stderr.is_empty() && !stderr.is_empty() {
        problems.push("stderr is not empty".to_owned());
    }
    for part in case.stderr {
        if !stderr.contains(part) {
            problems.push(format!("stderr lacks {part:?}"));
        }
    }
    if stderr.contains("panicked") {
        problems.push("the program panicked".to_owned());
    }
    if problems.is_empty() {
        Vec::new()
    } else {
        vec![format!(
            "case {:?} (stdin {:?}):\n  {}\n  actual status {code}\n  actual stdout: {stdout}\n  actual stderr: {stderr}",
            case.args,
            case.stdin,
            problems.join("\n  ")
        )]
    }
}

fn check_all(cases: &[Case<'_>]) {
    let failures: Vec<String> = cases.iter().flat_map(check).collect();
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

const OFFICE: &str = "calendar_office_utc.json";
const LONDON: &str = "calendar_london.json";

#[test]
fn calendar() {
    check_all(&[
        // Friday 16:00 + 2h: one hour on Friday, one on Monday from 09:00.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T16:00:00Z",
                "--duration",
                "PT2H",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-09T10:00:00Z"}"#),
            &[],
        ),
        // 16200 s = 4h30 from Monday 09:00.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-02T09:00:00Z",
                "--duration",
                "16200",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-02T13:30:00Z"}"#),
            &[],
        ),
        // The same with ISO 8601, and a start outside working hours (Monday 07:00).
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-02T07:00:00Z",
                "--duration",
                "PT4H30M",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-02T13:30:00Z"}"#),
            &[],
        ),
        // Exactly a working day's worth lands on the closing instant, not the next opening.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-02T09:00:00Z",
                "--duration",
                "PT8H",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-02T17:00:00Z"}"#),
            &[],
        ),
        // Zero returns the start, even outside working hours (Saturday).
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-07T12:00:00Z",
                "--duration",
                "0",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-07T12:00:00Z"}"#),
            &[],
        ),
        // An offset start is read as its UTC instant (17:00+01:00 = 16:00Z, Friday before
        // the change to summer time); the output is UTC with Z. Monday 30 March opens at
        // 09:00 BST = 08:00Z, so the second hour ends at 09:00Z.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                LONDON,
                "--start",
                "2026-03-27T17:00:00+01:00",
                "--duration",
                "7200",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-30T09:00:00Z"}"#),
            &[],
        ),
        // Good Friday (3 April 2026) is a holiday: Thursday 16:00 BST + 2h ends Monday 10:00 BST.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                LONDON,
                "--start",
                "2026-04-02T15:00:00Z",
                "--duration",
                "PT2H",
            ],
            0,
            Out::Json(r#"{"due": "2026-04-06T09:00:00Z"}"#),
            &[],
        ),
        // Working and calendar days (Friday 11:00).
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T11:00:00Z",
                "--working-days",
                "1",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-09T11:00:00Z"}"#),
            &[],
        ),
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T11:00:00Z",
                "--working-days",
                "1",
                "--end-of-working-day",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-09T17:00:00Z"}"#),
            &[],
        ),
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T11:00:00Z",
                "--calendar-days",
                "2",
            ],
            0,
            Out::Json(r#"{"due": "2026-03-08T11:00:00Z"}"#),
            &[],
        ),
        // Monday 08:00 to Friday 18:00: five days of eight hours.
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                OFFICE,
                "--from",
                "2026-03-02T08:00:00Z",
                "--to",
                "2026-03-06T18:00:00Z",
            ],
            0,
            Out::Json(r#"{"business_seconds": 144000}"#),
            &[],
        ),
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                OFFICE,
                "--from",
                "2026-03-06T16:00:00Z",
                "--to",
                "2026-03-09T10:00:00Z",
            ],
            0,
            Out::Json(r#"{"business_seconds": 7200}"#),
            &[],
        ),
        // Reversed interval: zero.
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                OFFICE,
                "--from",
                "2026-03-09T10:00:00Z",
                "--to",
                "2026-03-06T16:00:00Z",
            ],
            0,
            Out::Json(r#"{"business_seconds": 0}"#),
            &[],
        ),
        // Across the change to summer time: Friday 8h (UTC = GMT) + Monday 8h (08:00–16:00Z).
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                LONDON,
                "--from",
                "2026-03-27T00:00:00Z",
                "--to",
                "2026-03-30T23:00:00Z",
            ],
            0,
            Out::Json(r#"{"business_seconds": 57600}"#),
            &[],
        ),
        // The realistic UK office fixture of the SLA crate reads and answers.
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                "../repo/docs/examples/sla/uk-office.calendar.json",
                "--from",
                "2026-03-07T00:00:00Z",
                "--to",
                "2026-03-08T00:00:00Z",
            ],
            0,
            Out::Json(r#"{"business_seconds": 0}"#),
            &[],
        ),
        // The calendar from standard input.
        Case {
            stdin: Some(
                r#"{"name": "night", "time_zone": "UTC", "week": {"monday": [{"start": "22:00", "end": "06:00"}]}}"#,
            ),
            ..case(
                &[
                    "calendar",
                    "between",
                    "--calendar",
                    "-",
                    "--from",
                    "2026-03-02T00:00:00Z",
                    "--to",
                    "2026-03-03T12:00:00Z",
                ],
                0,
                Out::Json(r#"{"business_seconds": 28800}"#),
                &[],
            )
        },
        // Days are not business time; a bad duration or instant is a usage error.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T11:00:00Z",
                "--duration",
                "P2D",
            ],
            2,
            Out::Empty,
            &["business time has no days", "--working-days"],
        ),
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06 11:00",
                "--duration",
                "PT1H",
            ],
            2,
            Out::Empty,
            &["invalid instant \"2026-03-06 11:00\"", "RFC 3339"],
        ),
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T11:00:00Z",
            ],
            2,
            Out::Empty,
            &["--duration"],
        ),
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2026-03-06T11:00:00Z",
                "--duration",
                "PT1H",
                "--calendar-days",
                "1",
            ],
            2,
            Out::Empty,
            &["cannot be used with"],
        ),
        // Bad calendars: every problem with its path; wrong types with path and value.
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                "calendar_bad_interval.json",
                "--from",
                "2026-03-02T00:00:00Z",
                "--to",
                "2026-03-03T00:00:00Z",
            ],
            1,
            Out::Empty,
            &[
                "calendar_bad_interval.json",
                "time_zone",
                "\"Mars/Olympus\"",
                "week.monday[0].end",
                "\"25:00\"",
            ],
        ),
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                "calendar_bad_weekday_type.json",
                "--from",
                "2026-03-02T00:00:00Z",
                "--to",
                "2026-03-03T00:00:00Z",
            ],
            1,
            Out::Empty,
            &[
                "calendar_bad_weekday_type.json",
                "at week.monday[0].start",
                "offending value: 9",
            ],
        ),
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                "truncated.json",
                "--from",
                "2026-03-02T00:00:00Z",
                "--to",
                "2026-03-03T00:00:00Z",
            ],
            1,
            Out::Empty,
            &["truncated.json", "EOF while parsing", "line 5"],
        ),
        case(
            &[
                "calendar",
                "between",
                "--calendar",
                "no_such_file.json",
                "--from",
                "2026-03-02T00:00:00Z",
                "--to",
                "2026-03-03T00:00:00Z",
            ],
            1,
            Out::Empty,
            &["no_such_file.json: cannot read"],
        ),
        // Out of the supported range: refused, not a panic.
        case(
            &[
                "calendar",
                "add",
                "--calendar",
                OFFICE,
                "--start",
                "2199-12-31T00:00:00Z",
                "--duration",
                "PT100000H",
            ],
            1,
            Out::Empty,
            &["outside the supported range"],
        ),
    ]);
}

#[test]
fn sla() {
    // Opened Monday 09:00, in progress 10:00, on hold 11:00–12:00, resolved 13:30;
    // a 4-hour resolution goal on the office calendar: 3h30 counted, 1h paused,
    // due 13:00 moved to 14:00 by the pause, achieved with 30 minutes left (87.5 %).
    let achieved = r#"{
        "definition": "incident-resolution", "kind": "sla", "target": "resolution",
        "evaluated_at": "2026-03-02T15:00:00Z", "next_event_at": null,
        "cycles": [{
            "stage": "achieved", "goal": 0, "goal_duration": 14400, "priority": "p2",
            "start": "2026-03-02T09:00:00Z", "stop": "2026-03-02T13:30:00Z",
            "business_elapsed": 12600, "actual_elapsed_secs": 12600,
            "business_paused": 3600, "actual_paused_secs": 3600,
            "business_remaining": 1800, "percentage": 87.5, "breached": false,
            "due_at": "2026-03-02T14:00:00Z", "original_due_at": "2026-03-02T13:00:00Z",
            "breached_at": null, "thresholds": [], "next_event_at": null
        }]
    }"#;
    let base = [
        "sla",
        "evaluate",
        "--definition",
        "sla_resolution_office.json",
        "--calendar",
        OFFICE,
        "--timeline",
        "timeline_on_hold.json",
        "--now",
    ];
    let at = |now: &'static str| -> Vec<&'static str> {
        let mut v = base.to_vec();
        v.push(now);
        v
    };
    let final_args = at("2026-03-02T15:00:00Z");
    let paused_args = at("2026-03-02T11:30:00Z");
    let mut explain_args = at("2026-03-02T15:00:00Z");
    explain_args.push("--explain");
    let timeline = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/timeline_on_hold.json"
    ))
    .expect("the timeline sample exists");
    let bare: serde_json::Value = serde_json::from_str(&timeline).expect("the timeline parses");
    let bare = bare["events"].to_string();
    let stdin_args = [
        "sla",
        "evaluate",
        "--definition",
        "sla_resolution_office.json",
        "--calendar",
        OFFICE,
        "--timeline",
        "-",
        "--now",
        "2026-03-02T15:00:00Z",
    ];
    check_all(&[
        case(&final_args, 0, Out::Json(achieved), &[]),
        // While on hold: two hours counted, paused since 11:00.
        case(
            &paused_args,
            0,
            Out::Has(&[r#""stage":"paused""#, r#""business_elapsed":7200"#]),
            &[],
        ),
        // The explanation: running 09:00–11:00, paused 11:00–12:00, running 12:00–13:30.
        // Each boundary names its cause and the timeline events behind it.
        case(
            &explain_args,
            0,
            Out::Has(&[
                r#"{"business":7200,"from":"2026-03-02T09:00:00Z","from_cause":{"causes":["started"],"events":[{"index":0,"type":"created"}]},"kind":"running","to":"2026-03-02T11:00:00Z","to_cause":{"causes":["paused"],"events":[{"index":2,"type":"state_changed"}]}}"#,
                r#"{"business":3600,"from":"2026-03-02T11:00:00Z","from_cause":{"causes":["paused"],"events":[{"index":2,"type":"state_changed"}]},"kind":"paused","to":"2026-03-02T12:00:00Z","to_cause":{"causes":["resumed"],"events":[{"index":3,"type":"state_changed"}]}}"#,
                r#"{"business":5400,"from":"2026-03-02T12:00:00Z","from_cause":{"causes":["resumed"],"events":[{"index":3,"type":"state_changed"}]},"kind":"running","to":"2026-03-02T13:30:00Z","to_cause":{"causes":["stopped"],"events":[{"index":4,"type":"state_changed"}]}}"#,
            ]),
            &[],
        ),
        // The timeline as a bare array of events, from standard input.
        Case {
            stdin: Some(&bare),
            ..case(&stdin_args, 0, Out::Json(achieved), &[])
        },
        // Without --calendar the clock runs 24x7, which this definition does not name.
        case(
            &[
                "sla",
                "evaluate",
                "--definition",
                "sla_resolution_office.json",
                "--timeline",
                "timeline_on_hold.json",
                "--now",
                "2026-03-02T15:00:00Z",
            ],
            1,
            Out::Empty,
            &["uses calendar \"office\"", "\"24x7\""],
        ),
        case(
            &[
                "sla",
                "evaluate",
                "--definition",
                "sla_bad_goal_unit.json",
                "--timeline",
                "timeline_on_hold.json",
                "--now",
                "2026-03-02T15:00:00Z",
            ],
            1,
            Out::Empty,
            &[
                "sla_bad_goal_unit.json",
                "at goals[0].duration.unit",
                "unknown variant `fortnights`",
                "offending value: \"fortnights\"",
            ],
        ),
        // A timeline `validate timeline` refuses is refused by evaluate too,
        // naming the file and the event's path.
        case(
            &[
                "sla",
                "evaluate",
                "--definition",
                "sla_resolution_office.json",
                "--calendar",
                "calendar_office_utc.json",
                "--timeline",
                "timeline_repeated_change.json",
                "--now",
                "2026-03-02T15:00:00Z",
            ],
            1,
            Out::Empty,
            &[
                "timeline_repeated_change.json",
                "events[2].from",
                "state_mismatch",
            ],
        ),
        // Keys sorted as tools that sort them write them (the tag last): the
        // error still names the exact field, and the offending value.
        case(
            &[
                "sla",
                "evaluate",
                "--definition",
                "sla_sorted_keys_bad_event.json",
                "--timeline",
                "timeline_on_hold.json",
                "--now",
                "2026-03-02T15:00:00Z",
            ],
            1,
            Out::Empty,
            &[
                "sla_sorted_keys_bad_event.json",
                "at stop.any[0].event.kind",
                "unknown variant `exploded`",
                "offending value: \"exploded\"",
            ],
        ),
        case(
            &[
                "sla",
                "evaluate",
                "--definition",
                "sla_resolution_office.json",
                "--timeline",
                "timeline_on_hold.json",
            ],
            2,
            Out::Empty,
            &["--now"],
        ),
        // The realistic fixtures of the SLA crate.
        case(
            &[
                "sla",
                "evaluate",
                "--definition",
                "../repo/docs/examples/sla/incident-resolution.sla.json",
                "--calendar",
                "../repo/docs/examples/sla/uk-office.calendar.json",
                "--timeline",
                "../repo/docs/examples/sla/incident.timeline.json",
                "--now",
                "2026-03-31T00:00:00Z",
            ],
            0,
            Out::Has(&[r#""cycles":[{"#]),
            &[],
        ),
    ]);
}

#[test]
fn sla_what_if() {
    // The ticket of `sla()`: 3h30 counted, 1 h on hold, achieved under 4 h.
    let run = |extra: &'static [&'static str]| -> Vec<&'static str> {
        let mut v = vec![
            "sla",
            "what-if",
            "--definition",
            "sla_resolution_office.json",
            "--calendar",
            OFFICE,
            "--timeline",
            "timeline_on_hold.json",
            "--now",
            "2026-03-02T15:00:00Z",
        ];
        v.extend_from_slice(extra);
        v
    };
    let under_3h = run(&["--with-definition", "sla_resolution_office_3h.json"]);
    let scenario_3h = run(&["--scenario", "what_if_3h.json"]);
    let no_hold = run(&["--scenario", "what_if_no_hold.json"]);
    let bad_hold = run(&["--scenario", "what_if_bad_hold.json"]);
    let typo = run(&["--scenario", "what_if_typo.json"]);
    let zero = run(&["--with-definition", "sla_zero_goal.json"]);
    let twice = run(&[
        "--scenario",
        "what_if_3h.json",
        "--with-definition",
        "sla_resolution_office_3h.json",
    ]);
    let other_calendar = run(&["--with-definition", "sla_resolution_24x7.json"]);
    let nothing = run(&[]);
    // Would it have breached under a 3 h SLA? At 13:00, an hour before the
    // due instant it had.
    let breached_under_3h: &[&str] = &[
        r#""difference":{"breached_in_alternative":true,"breached_in_baseline":false,"changed":true,"cycles":[{"alternative_stage":"breached","baseline_stage":"achieved","breach_moved_secs":null,"breached_changed":true,"business_elapsed_delta_secs":0,"business_paused_delta_secs":0,"cycle":0,"due_moved_secs":-3600,"goal_changed":false,"goal_duration_delta_secs":-3600,"stage_changed":true}]}"#,
        r#""breached_at":"2026-03-02T13:00:00Z""#,
        r#""definition":"incident-resolution-3h""#,
    ];
    check_all(&[
        case(&under_3h, 0, Out::Has(breached_under_3h), &[]),
        case(&scenario_3h, 0, Out::Has(breached_under_3h), &[]),
        // Had it not been on hold: 4h30 counted, breached at 13:00.
        case(
            &no_hold,
            0,
            Out::Has(&[
                r#"{"alternative_stage":"breached","baseline_stage":"achieved","breach_moved_secs":null,"breached_changed":true,"business_elapsed_delta_secs":3600,"business_paused_delta_secs":-3600,"cycle":0,"due_moved_secs":-3600,"goal_changed":false,"goal_duration_delta_secs":0,"stage_changed":true}"#,
                r#""edited_timeline":{"events":["#,
            ]),
            &[],
        ),
        case(
            &bad_hold,
            1,
            Out::Empty,
            &["what_if_bad_hold.json", "edits[0].from", "not_holdable"],
        ),
        case(
            &typo,
            1,
            Out::Empty,
            &[
                "what_if_typo.json",
                "edits[0].fromm",
                "did you mean `from`?",
            ],
        ),
        case(
            &zero,
            1,
            Out::Empty,
            &["sla_zero_goal.json", "goals[0].duration", "zero_duration"],
        ),
        case(&twice, 2, Out::Empty, &["--with-definition"]),
        case(
            &other_calendar,
            1,
            Out::Empty,
            &[
                "sla_resolution_24x7.json",
                "uses calendar \"24x7\"",
                "\"office\"",
            ],
        ),
        case(&nothing, 2, Out::Empty, &["--scenario"]),
    ]);
}

#[test]
fn records_and_priority() {
    check_all(&[
        case(
            &[
                "validate",
                "incident",
                "../repo/docs/examples/core/incident.json",
            ],
            0,
            Out::Json(
                r#"{"kind": "incident", "file": "../repo/docs/examples/core/incident.json", "valid": true, "problems": []}"#,
            ),
            &[],
        ),
        case(
            &[
                "validate",
                "change",
                "../repo/docs/examples/core/change.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "timeline",
                "../repo/docs/examples/core/timeline.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "directory",
                "../repo/docs/examples/core/directory.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &["validate", "asset", "../repo/docs/examples/core/asset.json"],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "software_licence",
                "../repo/docs/examples/core/software_licence.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "catalog",
                "../repo/docs/examples/core/catalog.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "catalog_item",
                "../repo/docs/examples/core/catalog_item.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "standard_change_template",
                "../repo/docs/examples/core/standard_change_template.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "request_item",
                "../repo/docs/examples/core/request_item.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        // A high-risk "standard" change, an item carrying a template the
        // catalog lacks, a variable that is no key and a choice without
        // choices, approval by an inactive group: every problem, at its path.
        case(
            &[
                "validate",
                "catalog",
                "catalog_broken.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            1,
            Out::Has(&[
                r#""path":"items[0].variables[0].name","rule":"invalid_name""#,
                r#""path":"items[0].variables[0].kind.choices","rule":"empty""#,
                r#""path":"standard_changes[0].risk","rule":"not_low_risk""#,
                r#""path":"items[0].standard_change","rule":"unknown_reference""#,
                r#""path":"items[0].approval.group","rule":"inactive_group""#,
            ]),
            &["catalog_broken.json", "5 problem(s) found"],
        ),
        // Checked against a directory, the example's person is known and active.
        case(
            &[
                "validate",
                "asset",
                "../repo/docs/examples/core/asset.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        // A licence assigned to someone the directory does not have, at
        // the licence's own path.
        case(
            &[
                "validate",
                "software_licence",
                "software_licence_unknown_user.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            1,
            Out::Has(&[r#""path":"assigned_to[0]","rule":"unknown_reference""#]),
            &["software_licence_unknown_user.json", "1 problem(s) found"],
        ),
        case(
            &["validate", "task", "../repo/docs/examples/core/task.json"],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        case(
            &[
                "validate",
                "task_template",
                "../repo/docs/examples/core/task_template.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        // A skipped task numbered as a change, without close notes, closed
        // before it started.
        case(
            &["validate", "task", "task_broken.json"],
            1,
            Out::Has(&[
                r#""path":"number","rule":"wrong_number_prefix""#,
                r#""path":"close_notes","rule":"required_when_closed""#,
                r#""path":"closed_at","rule":"before_started_at""#,
            ]),
            &["task_broken.json", "3 problem(s) found"],
        ),
        // A retired asset still assigned, without a tag, its warranty
        // ending before its purchase.
        case(
            &["validate", "asset", "asset_broken.json"],
            1,
            Out::Has(&[
                r#""path":"asset_tag","rule":"empty""#,
                r#""path":"assigned_to","rule":"not_allowed_in_state""#,
                r#""path":"warranty_end","rule":"before_purchased_on""#,
            ]),
            &["asset_broken.json", "3 problem(s) found"],
        ),
        case(
            &[
                "validate",
                "assignment_rules",
                "../repo/docs/examples/lifecycle/assignment_rules.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        // A rule for an inactive group, and a rule after the catch-all.
        case(
            &[
                "validate",
                "assignment_rules",
                "assignment_rules_broken.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            1,
            Out::Has(&[
                r#""path":"rules[1].group","rule":"inactive_group""#,
                r#""path":"rules[5]","rule":"unreachable""#,
            ]),
            &["assignment_rules_broken.json", "2 problem(s) found"],
        ),
        // Assignment rules need a directory, and only they take one.
        case(
            &[
                "validate",
                "assignment_rules",
                "assignment_rules_broken.json",
            ],
            2,
            Out::Empty,
            &["give --directory FILE"],
        ),
        case(
            &[
                "validate",
                "role",
                "../repo/docs/examples/core/directory.json",
                "--directory",
                "../repo/docs/examples/core/directory.json",
            ],
            2,
            Out::Empty,
            &["--directory is for assignment_rules, asset, software_licence and catalog, not role"],
        ),
        // Every problem of a directory, with its path: an inactive member
        // of an active group, a cycle of parent groups, an event no kind of
        // the permission has.
        case(
            &["validate", "directory", "directory_broken.json"],
            1,
            Out::Has(&[
                r#""path":"groups[1].members[2]","rule":"inactive_member""#,
                r#""path":"groups[0].parent","rule":"parent_cycle""#,
                r#""path":"roles[2].permissions[0].events[0]","rule":"unknown_event""#,
            ]),
            &["directory_broken.json", "3 problem(s) found"],
        ),
        // A rule broken: listed with its path, exit 1.
        case(
            &[
                "validate",
                "incident",
                "incident_resolved_without_code.json",
            ],
            1,
            Out::Has(&[r#""valid":false"#, r#""path":"resolution_code""#]),
            &["incident_resolved_without_code.json", "problem(s) found"],
        ),
        // A bad enum value: the file, the path and the value.
        case(
            &["validate", "incident", "incident_bad_urgency.json"],
            1,
            Out::Has(&[r#""rule":"invalid_json""#, r#""path":"urgency""#]),
            &[
                "incident_bad_urgency.json",
                "at urgency",
                "unknown variant `urgent`",
                "offending value: \"urgent\"",
            ],
        ),
        // An integer too large for 64 bits: refused with its path, never
        // rounded to a float.
        case(
            &["validate", "incident", "incident_big_integer.json"],
            1,
            Out::Has(&[
                r#""rule":"invalid_json""#,
                r#""path":"extensions.u_legacy_ticket_id""#,
            ]),
            &[
                "incident_big_integer.json",
                "too large for 64 bits",
                "12345678901234567890123",
            ],
        ),
        case(
            &["validate", "incident", "truncated.json"],
            1,
            Out::Has(&[r#""valid":false"#]),
            &["truncated.json", "EOF while parsing"],
        ),
        case(
            &["validate", "incident", "missing.json"],
            1,
            Out::Has(&[r#""rule":"unreadable""#]),
            &["missing.json: cannot read"],
        ),
        Case {
            stdin: Some(
                r#"{"name": "x", "impacts": ["high"], "urgencies": ["high"], "cells": []}"#,
            ),
            ..case(
                &["validate", "priority_matrix", "-"],
                1,
                Out::Has(&[
                    r#""file":"<stdin>""#,
                    "missing cell for impact high and urgency high",
                ]),
                &["<stdin>: 1 problem(s)"],
            )
        },
        case(
            &["validate", "priority_matrix", "matrix_incomplete.json"],
            1,
            Out::Has(&[
                r#""path":"cells[1]""#,
                "impact medium is not one of the declared impacts",
            ]),
            &["matrix_incomplete.json: 4 problem(s) found"],
        ),
        case(
            &["validate", "calendar", "calendar_bad_interval.json"],
            1,
            Out::Has(&[r#""path":"week.monday[0].end""#, r#""path":"time_zone""#]),
            &["calendar_bad_interval.json: 3 problem(s) found"],
        ),
        case(
            &["validate", "sla_definition", "sla_resolution_office.json"],
            0,
            Out::Has(&[r#""valid":true"#, r#""warnings":"#]),
            &[],
        ),
        case(
            &["validate", "invoice", "x.json"],
            2,
            Out::Empty,
            &["invalid value 'invoice'"],
        ),
        case(&["validate", "incident"], 2, Out::Empty, &["<FILE>"]),
        // Priorities: presets (ServiceNow high/medium = P2; GLPI very high/very high = P2,
        // its "major" P1 being set by hand; ITIL 4x4 low/low = P5) and a custom matrix.
        case(
            &[
                "priority",
                "--matrix",
                "servicenow_3x3",
                "--impact",
                "high",
                "--urgency",
                "medium",
            ],
            0,
            Out::Json(
                r#"{"matrix": "servicenow_3x3", "impact": "high", "urgency": "medium", "priority": "p2", "rank": 2}"#,
            ),
            &[],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "glpi_5x5",
                "--impact",
                "very_high",
                "--urgency",
                "very_high",
            ],
            0,
            Out::Json(
                r#"{"matrix": "glpi_5x5", "impact": "very_high", "urgency": "very_high", "priority": "p2", "rank": 2}"#,
            ),
            &[],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "itil_4x4",
                "--impact",
                "low",
                "--urgency",
                "low",
            ],
            0,
            Out::Has(&[r#""priority":"p5""#]),
            &[],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "matrix_2x2.json",
                "--impact",
                "low",
                "--urgency",
                "high",
            ],
            0,
            Out::Json(
                r#"{"matrix": "two_by_two", "impact": "low", "urgency": "high", "priority": "p3", "rank": 3}"#,
            ),
            &[],
        ),
        // A level the matrix does not use is refused, never defaulted.
        case(
            &[
                "priority",
                "--matrix",
                "servicenow_3x3",
                "--impact",
                "very_low",
                "--urgency",
                "low",
            ],
            1,
            Out::Empty,
            &["defines no priority for impact very_low and urgency low"],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "matrix_incomplete.json",
                "--impact",
                "high",
                "--urgency",
                "high",
            ],
            1,
            Out::Empty,
            &["matrix_incomplete.json", "cells[1]: impact medium"],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "itil",
                "--impact",
                "high",
                "--urgency",
                "high",
            ],
            1,
            Out::Empty,
            &[
                "itil: cannot read",
                "nor is it a preset: servicenow_3x3, itil_4x4, glpi_5x5",
            ],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "servicenow_3x3",
                "--impact",
                "urgent",
                "--urgency",
                "high",
            ],
            2,
            Out::Empty,
            &[
                "invalid Impact \"urgent\"",
                "very_high, high, medium, low, very_low",
            ],
        ),
        case(
            &["priority", "--matrix", "servicenow_3x3"],
            2,
            Out::Empty,
            &["--impact"],
        ),
    ]);
}

#[test]
fn workflows() {
    const AT: &str = "2026-03-02T11:00:00Z";
    const ACTOR: &str = "01958f3c-0001-7004-8004-000000001004";
    const VENDOR: &str = "../repo/docs/examples/lifecycle/incident_awaiting_vendor.json";
    check_all(&[
        // Holding an incident: the clock pauses; the reason is recorded.
        case(
            &[
                "workflow",
                "apply",
                "incident",
                "--state",
                "in_progress",
                "--event",
                "hold",
                "--reason",
                "awaiting_caller",
                "--comment",
                "public",
                "--at",
                AT,
                "--actor",
                ACTOR,
            ],
            0,
            Out::Json(
                r#"{
                "audit": {"from": "in_progress", "to": "on_hold", "event": "hold", "actor": "01958f3c-0001-7004-8004-000000001004", "at": "2026-03-02T11:00:00Z", "reason": "awaiting_caller"},
                "from_category": "open", "to_category": "paused",
                "effects": [{"type": "set_reason", "field": "on_hold_reason"}],
                "timeline": {"at": "2026-03-02T11:00:00Z", "actor": "01958f3c-0001-7004-8004-000000001004", "type": "state_changed",
                             "from": "in_progress", "from_category": "open", "to": "on_hold", "to_category": "paused", "reason": "awaiting_caller"}
            }"#,
            ),
            &[],
        ),
        // Awaiting the caller without the question to the caller: refused.
        case(
            &[
                "workflow",
                "apply",
                "incident",
                "--state",
                "in_progress",
                "--event",
                "hold",
                "--reason",
                "awaiting_caller",
                "--comment",
                "work_note",
                "--at",
                AT,
            ],
            1,
            Out::Has(&[
                r#""kind":"refused""#,
                r#"{"kind":"missing_comment","reason":"awaiting_caller","visibility":"public"}"#,
            ]),
            &["reason \"awaiting_caller\" needs a public comment (to the caller) with the event"],
        ),
        // Resolving without the required fields: every refusal listed.
        case(
            &[
                "workflow", "apply", "incident", "--state", "on_hold", "--event", "resolve",
                "--at", AT,
            ],
            1,
            Out::Has(&[
                r#""kind":"refused""#,
                r#"{"field":"resolution_code","kind":"missing_field"}"#,
                r#"{"field":"resolution_notes","kind":"missing_field"}"#,
            ]),
            &["required field \"resolution_code\" is missing"],
        ),
        case(
            &[
                "workflow",
                "apply",
                "incident",
                "--state",
                "on_hold",
                "--event",
                "resolve",
                "--at",
                AT,
                "--field",
                "resolution_code,resolution_notes",
            ],
            0,
            Out::Has(&[r#""to":"resolved""#, r#""to_category":"resolved""#]),
            &[],
        ),
        case(
            &[
                "workflow", "apply", "incident", "--state", "closed", "--event", "reopen", "--at",
                AT,
            ],
            1,
            Out::Has(&[r#""kind":"terminal""#]),
            &["is terminal"],
        ),
        case(
            &[
                "workflow", "apply", "incident", "--state", "new", "--event", "fly", "--at", AT,
            ],
            1,
            Out::Has(&[
                r#""kind":"not_allowed""#,
                r#""allowed":["start","hold","resolve","cancel"]"#,
            ]),
            &["event \"fly\" is not allowed in state \"new\""],
        ),
        case(
            &[
                "workflow", "apply", "incident", "--state", "limbo", "--event", "start", "--at", AT,
            ],
            1,
            Out::Has(&[r#""kind":"unknown_state""#]),
            &["has no state \"limbo\""],
        ),
        // A custom workflow from a file: a guard fails unless passed.
        case(
            &[
                "workflow",
                "apply",
                VENDOR,
                "--state",
                "in_progress",
                "--event",
                "escalate_to_vendor",
                "--at",
                AT,
            ],
            1,
            Out::Has(&[r#"{"guard":"vendor_under_contract","kind":"guard"}"#]),
            &["guard \"vendor_under_contract\" refused"],
        ),
        case(
            &[
                "workflow",
                "apply",
                VENDOR,
                "--context",
                "facts_vendor.json",
                "--state",
                "in_progress",
                "--event",
                "escalate_to_vendor",
                "--at",
                AT,
            ],
            0,
            Out::Has(&[
                r#""to":"awaiting_vendor""#,
                r#""to_category":"paused""#,
                r#"{"field":"vendor_escalated_at","type":"set_timestamp"}"#,
            ]),
            &[],
        ),
        case(
            &[
                "workflow",
                "apply",
                "incident",
                "--state",
                "new",
                "--event",
                "start",
                "--at",
                "yesterday",
            ],
            2,
            Out::Empty,
            &["invalid instant \"yesterday\""],
        ),
        case(
            &[
                "workflow", "apply", "incident", "--state", "new", "--event", "start", "--actor",
                "bob",
            ],
            2,
            Out::Empty,
            &["invalid value 'bob' for '--actor"],
        ),
        // Validation lists every problem with its path.
        case(
            &["workflow", "validate", "workflow_broken.json"],
            1,
            Out::Has(&[
                r#""workflow":"broken""#,
                r#""path":"states[2].key","rule":"duplicate_state""#,
                r#""path":"states[3]","rule":"unreachable_state""#,
                r#""path":"transitions[1].to","rule":"unknown_state""#,
            ]),
            &["workflow_broken.json: 4 problem(s) found"],
        ),
        case(
            &[
                "workflow",
                "validate",
                "workflow_broken.json",
                "--known-guards",
                "approved",
            ],
            1,
            Out::Has(&[r#""path":"transitions[2].guards[0]","rule":"unknown_guard""#]),
            &["5 problem(s)"],
        ),
        case(
            &["workflow", "validate", VENDOR],
            0,
            Out::Has(&[
                r#""valid":true"#,
                r#""workflow":"incident_awaiting_vendor""#,
            ]),
            &[],
        ),
        case(
            &["workflow", "validate", "calendar_office_utc.json"],
            1,
            Out::Has(&[r#""rule":"invalid_json""#]),
            &["calendar_office_utc.json", "unknown field `time_zone`"],
        ),
        // Show: JSON, Mermaid, DOT; by name or file.
        case(
            &["workflow", "show", "incident"],
            0,
            Out::Has(&[r#""name":"incident""#, r#""initial":"new""#]),
            &[],
        ),
        case(
            &[
                "workflow",
                "show",
                "change_emergency",
                "--format",
                "mermaid",
            ],
            0,
            Out::Text(&["stateDiagram-v2"]),
            &[],
        ),
        case(
            &["workflow", "show", VENDOR, "--format", "dot"],
            0,
            Out::Text(&["digraph", "awaiting_vendor"]),
            &[],
        ),
        case(
            &["workflow", "show", "workflow_broken.json"],
            1,
            Out::Empty,
            &["workflow_broken.json", "is declared twice"],
        ),
        case(
            &["workflow", "show", "incidents"],
            1,
            Out::Empty,
            &["incidents: cannot read", "nor is it a default flow"],
        ),
        case(
            &["workflow", "show", "incident", "--format", "svg"],
            2,
            Out::Empty,
            &["invalid value 'svg'"],
        ),
    ]);
}

#[test]
fn cmdb() {
    const VM: &str = "00000000-0000-0000-0000-000000000004";
    check_all(&[
        case(
            &["cmdb", "validate", "--graph", "estate.json", "--starter"],
            0,
            Out::Json(
                r#"{"kind": "cmdb", "file": "estate.json", "valid": true, "problems": [], "cis": 7, "relationships": 6}"#,
            ),
            &[],
        ),
        // Without the starter definitions, the classes are unknown.
        case(
            &["cmdb", "validate", "--graph", "estate.json"],
            1,
            Out::Has(&[r#""path":"cis[0].class","rule":"unknown_class""#]),
            &["estate.json"],
        ),
        case(
            &[
                "cmdb",
                "validate",
                "--graph",
                "graph_not_allowed.json",
                "--starter",
            ],
            1,
            Out::Has(&[
                r#""path":"relationships[0]""#,
                "no rule allows database depends_on business_service",
            ]),
            &["graph_not_allowed.json: 1 problem(s) found"],
        ),
        case(
            &[
                "cmdb",
                "validate",
                "--graph",
                "graph_bad_lifecycle.json",
                "--starter",
            ],
            1,
            Out::Has(&[r#""path":"cis[0].lifecycle""#]),
            &[
                "graph_bad_lifecycle.json",
                "at cis[0].lifecycle",
                "offending value: \"in_service\"",
            ],
        ),
        case(
            &[
                "cmdb",
                "validate",
                "--graph",
                "../repo/docs/examples/cmdb/estate.json",
            ],
            0,
            Out::Has(&[r#""valid":true"#]),
            &[],
        ),
        // vm-db-01 fails: payroll-db runs on it, payroll depends on the database,
        // the portal on payroll. Every impacted CI names its predecessor
        // (`via`); full paths only for the CIs asked for.
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "vm-db-01",
            ],
            0,
            Out::Json(
                r#"{
                "impacted": [
                  {"id": "00000000-0000-0000-0000-000000000004", "name": "vm-db-01", "class": "virtual_machine", "depth": 0,
                   "via": null, "relationship_type": null, "service": false},
                  {"id": "00000000-0000-0000-0000-000000000003", "name": "payroll-db", "class": "database", "depth": 1,
                   "via": "00000000-0000-0000-0000-000000000004", "relationship_type": "runs_on", "service": false},
                  {"id": "00000000-0000-0000-0000-000000000002", "name": "payroll", "class": "application", "depth": 2,
                   "via": "00000000-0000-0000-0000-000000000003", "relationship_type": "depends_on", "service": false},
                  {"id": "00000000-0000-0000-0000-000000000001", "name": "Payroll portal", "class": "business_service", "depth": 3,
                   "via": "00000000-0000-0000-0000-000000000002", "relationship_type": "depends_on", "service": true}
                ],
                "degraded": [],
                "services": ["00000000-0000-0000-0000-000000000001"],
                "paths": {}
            }"#,
            ),
            &[],
        ),
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "vm-db-01",
                "--path-to",
                "Payroll portal,payroll-db",
            ],
            0,
            Out::Has(&[
                r#""paths":{"00000000-0000-0000-0000-000000000001":["00000000-0000-0000-0000-000000000004","00000000-0000-0000-0000-000000000003","00000000-0000-0000-0000-000000000002","00000000-0000-0000-0000-000000000001"],"00000000-0000-0000-0000-000000000003":["00000000-0000-0000-0000-000000000004","00000000-0000-0000-0000-000000000003"]}"#,
            ]),
            &[],
        ),
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "payroll-db",
                "--path-to",
                "vm-db-01",
            ],
            1,
            Out::Empty,
            &["--path-to 00000000-0000-0000-0000-000000000004: the CI is not impacted"],
        ),
        // By id, limited to depth 1.
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                VM,
                "--max-depth",
                "1",
            ],
            0,
            Out::Has(&[r#""depth":1"#, r#""services":[]"#]),
            &[],
        ),
        // Only runs_on: the failure stops at the database.
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                VM,
                "--types",
                "runs_on",
            ],
            0,
            Out::Has(&[r#""name":"payroll-db""#, r#""services":[]"#]),
            &[],
        ),
        // One node of a two-node cluster needing one: the cluster is degraded, nothing impacted.
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "node-1",
            ],
            0,
            Out::Has(&[
                r#""degraded":[{"id":"00000000-0000-0000-0000-000000000005","name":"app-cluster","class":"cluster","relationship_type":"member_of","failed":1,"total":2,"required":1}]"#,
                r#""services":[]"#,
            ]),
            &[],
        ),
        // Both nodes: the cluster falls, and with it payroll and the portal.
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "node-1",
                "--failed",
                "node-2",
            ],
            0,
            Out::Has(&[
                r#""name":"app-cluster""#,
                r#""degraded":[]"#,
                r#""services":["00000000-0000-0000-0000-000000000001"]"#,
            ]),
            &[],
        ),
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "nothing",
            ],
            1,
            Out::Empty,
            &["no configuration item has the id or name \"nothing\""],
        ),
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                "00000000-0000-0000-0000-000000000099",
            ],
            1,
            Out::Empty,
            &["unknown configuration item 00000000-0000-0000-0000-000000000099"],
        ),
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                VM,
                "--types",
                "teleports_to",
            ],
            1,
            Out::Empty,
            &["unknown relationship type \"teleports_to\""],
        ),
        case(
            &[
                "cmdb",
                "impact",
                "--graph",
                "estate.json",
                "--starter",
                "--failed",
                VM,
                "--max-depth",
                "deep",
            ],
            2,
            Out::Empty,
            &["invalid value 'deep' for '--max-depth <N>'"],
        ),
        case(
            &["cmdb", "impact", "--graph", "estate.json"],
            2,
            Out::Empty,
            &["--failed"],
        ),
        // The graph from standard input.
        Case {
            stdin: Some(r#"{"cis": [], "relationships": []}"#),
            ..case(
                &["cmdb", "cycles", "--graph", "-", "--starter"],
                0,
                Out::Json(r#"{"cycles": []}"#),
                &[],
            )
        },
        case(
            &["cmdb", "cycles", "--graph", "cycle.json", "--starter"],
            0,
            Out::Json(
                r#"{"cycles": [["00000000-0000-0000-0000-000000000002", "00000000-0000-0000-0000-000000000003"]]}"#,
            ),
            &[],
        ),
        // Single points of failure of the portal: everything it depends on but the
        // cluster nodes (the cluster survives one).
        case(
            &[
                "cmdb",
                "spof",
                "--graph",
                "estate.json",
                "--starter",
                "--service",
                "Payroll portal",
            ],
            0,
            Out::Has(&[
                r#"{"id":"00000000-0000-0000-0000-000000000002","name":"payroll","class":"application","depth":1}"#,
                r#"{"id":"00000000-0000-0000-0000-000000000003","name":"payroll-db","class":"database","depth":2}"#,
                r#"{"id":"00000000-0000-0000-0000-000000000005","name":"app-cluster","class":"cluster","depth":2}"#,
                r#"{"id":"00000000-0000-0000-0000-000000000004","name":"vm-db-01","class":"virtual_machine","depth":3}"#,
            ]),
            &[],
        ),
        // The portal and payroll both fail: payroll itself explains both, nearest.
        case(
            &[
                "cmdb",
                "root-cause",
                "--graph",
                "estate.json",
                "--starter",
                "--impacted",
                "Payroll portal",
                "payroll",
                "--limit",
                "1",
            ],
            0,
            Out::Json(
                r#"{"candidates": [{"id": "00000000-0000-0000-0000-000000000002", "name": "payroll", "class": "application",
                "explains": ["00000000-0000-0000-0000-000000000001", "00000000-0000-0000-0000-000000000002"], "total_depth": 1, "service": false}]}"#,
            ),
            &[],
        ),
        case(
            &[
                "cmdb",
                "diff",
                "--from",
                "estate.json",
                "--to",
                "estate_after.json",
            ],
            0,
            Out::Has(&[
                r#""changed_cis":[{"changes":[{"after":"vm-db-02","before":"vm-db-01","field":"name"}],"id":"00000000-0000-0000-0000-000000000004"}]"#,
                r#""added_relationships":[{"source":"00000000-0000-0000-0000-000000000008","target":"00000000-0000-0000-0000-000000000005","type":"member_of"}]"#,
                r#""removed_cis":[]"#,
                r#""name":"node-3""#,
            ]),
            &[],
        ),
        case(
            &["cmdb", "diff", "--from", "-", "--to", "-"],
            2,
            Out::Empty,
            &["only one input may be read from standard input"],
        ),
    ]);
}

/// `itsm cmdb conflicts` on the documented example (`docs/examples/cmdb/`):
/// the change CHG0030101 on payroll-db and its VM, Tuesday 2026-03-10
/// 21:00–23:45 UTC (GMT), while the SAN they depend on is under a blackout,
/// past the Payroll service's weeknight window (20:00–23:30), beside
/// CHG0030102 on payroll-db (22:30 onwards) and CHG0030103 on the VM's
/// cluster (until 21:30).
#[test]
fn cmdb_conflicts() {
    const EX: &str = "../repo/docs/examples/cmdb/";
    let estate = format!("{EX}estate.json");
    let schedule = format!("{EX}change_schedule.json");
    let planned = format!("{EX}planned_change.json");
    let others = format!("{EX}scheduled_changes.json");
    let change = |cis: &str, start: &str, end: &str| {
        format!(
            r#"{{"id": "01958f3c-000a-7002-8002-00000000a199", "number": "CHG0030199", "change_type": "standard",
            "short_description": "x", "configuration_items": [{cis}], "risk": "low", "impact": "low", "state": "scheduled",
            "requested_by": "01958f3c-0001-7003-8003-000000001003", "opened_at": "2026-03-01T09:00:00Z"{start}{end}}}"#
        )
    };
    let vm_web = r#""0190e3a4-0000-7000-8000-000000000006""#;
    // Sunday 2026-03-08 03:00–04:00 UTC: inside the VMs' Sunday window, no blackout.
    let sunday = change(
        vm_web,
        r#", "planned_start": "2026-03-08T03:00:00Z""#,
        r#", "planned_end": "2026-03-08T04:00:00Z""#,
    );
    let unscheduled = change(vm_web, "", "");
    let unknown_ci = change(
        r#""0190e3a4-0000-7000-8000-0000000000ff""#,
        r#", "planned_start": "2026-03-08T03:00:00Z""#,
        r#", "planned_end": "2026-03-08T04:00:00Z""#,
    );
    let backwards = change(
        vm_web,
        r#", "planned_start": "2026-03-08T03:00:00Z""#,
        r#", "planned_end": "2026-03-08T02:00:00Z""#,
    );
    let bad_schedule = r#"{"blackouts": [{"name": "x", "applies_to": {"ci": "0190e3a4-0000-7000-8000-0000000000ff"},
        "when": {"weekly": {"time_zone": "Europe/Londn", "days": ["sunday"], "start": "02:00", "end": "06:00"}}}]}"#;
    let misspelt =
        r#"{"blackouts": [{"name": "x", "applies_to": {"class": "database"}, "whne": {}}]}"#;
    let full: Vec<&str> = vec![
        "cmdb",
        "conflicts",
        "--graph",
        &estate,
        "--schedule",
        &schedule,
        "--change",
        &planned,
        "--changes",
        &others,
    ];
    let alone = &full[..8];
    let mut from_stdin = full[..8].to_vec();
    from_stdin[7] = "-";
    let mut schedule_stdin = full[..8].to_vec();
    schedule_stdin[5] = "-";
    check_all(&[
        case(
            &full,
            1,
            Out::Has(&[
                r#""number":"CHG0030101""#,
                r#""clear":false"#,
                r#""planned":{"end":"2026-03-10T23:45:00Z","start":"2026-03-10T21:00:00Z"}"#,
                r#"payroll-db is under the blackout \"san-01-migration\" (on san-01), as it depends on san-01 (3 relationship(s) away)"#,
                r#""path":["0190e3a4-0000-7000-8000-000000000005","0190e3a4-0000-7000-8000-000000000007","0190e3a4-0000-7000-8000-000000000008","0190e3a4-0000-7000-8000-00000000001e"]"#,
                r#""kind":"outside_maintenance_window","nearest_service":"0190e3a4-0000-7000-8000-000000000002""#,
                r#""uncovered":[{"end":"2026-03-10T23:45:00Z","start":"2026-03-10T23:30:00Z"}]"#,
                r#"payroll-db is already scheduled by CHG0030102 2026-03-10T22:30:00Z–2026-03-10T23:45:00Z"#,
                r#"CHG0030103 changes esx-cluster-a (it depends on, hosted_on) related to vm-payroll-db-01"#,
            ]),
            &["planned_change.json: 7 problem(s) found"],
        ),
        // Without the other changes, only the schedule's conflicts.
        case(
            alone,
            1,
            Out::Has(&[
                r#""kind":"blackout""#,
                r#""kind":"outside_maintenance_window""#,
            ]),
            &["planned_change.json: 4 problem(s) found"],
        ),
        Case {
            stdin: Some(&sunday),
            ..case(
                &from_stdin,
                0,
                Out::Json(
                    r#"{"change": "01958f3c-000a-7002-8002-00000000a199", "number": "CHG0030199",
                    "planned": {"start": "2026-03-08T03:00:00Z", "end": "2026-03-08T04:00:00Z"},
                    "clear": true, "conflicts": []}"#,
                ),
                &[],
            )
        },
        Case {
            stdin: Some(&unscheduled),
            ..case(
                &from_stdin,
                1,
                Out::Has(&[
                    r#""planned":null"#,
                    r#""kind":"unscheduled","missing":["planned_start","planned_end"]"#,
                    "the change has no planned_start and planned_end",
                ]),
                &["<stdin>: 1 problem(s) found"],
            )
        },
        Case {
            stdin: Some(&unknown_ci),
            ..case(
                &from_stdin,
                1,
                Out::Empty,
                &[
                    "<stdin>: 1 problem(s) in the change: configuration_items[0]: unknown configuration item 0190e3a4-0000-7000-8000-0000000000ff (unknown_ci)",
                ],
            )
        },
        Case {
            stdin: Some(&backwards),
            ..case(
                &from_stdin,
                1,
                Out::Empty,
                &[
                    "<stdin>: 1 problem(s) in the change: planned_end:",
                    "(end_before_start)",
                ],
            )
        },
        Case {
            stdin: Some(bad_schedule),
            ..case(
                &schedule_stdin,
                1,
                Out::Empty,
                &[
                    "<stdin>: 2 problem(s) in the change schedule:",
                    "blackouts[0].applies_to.ci: unknown configuration item 0190e3a4-0000-7000-8000-0000000000ff (unknown_ci)",
                    "blackouts[0].when.weekly.time_zone: time_zone \"Europe/Londn\" is not an IANA time zone name",
                ],
            )
        },
        Case {
            stdin: Some(misspelt),
            ..case(
                &schedule_stdin,
                1,
                Out::Empty,
                &[
                    "<stdin>: not a valid change schedule: at blackouts[0]",
                    "did you mean `when`?",
                ],
            )
        },
        case(
            &[
                "cmdb",
                "conflicts",
                "--graph",
                &estate,
                "--schedule",
                "-",
                "--change",
                "-",
            ],
            2,
            Out::Empty,
            &["only one input may be read from standard input"],
        ),
    ]);
}

#[test]
fn schema_and_general_behaviour() {
    let out = std::env::temp_dir().join(format!("itsm-cli-schema-test-{}", std::process::id()));
    let out_str = out.to_string_lossy().into_owned();
    check_all(&[
        case(
            &["schema"],
            0,
            Out::Has(&[
                r#""core/incident.schema.json":{"#,
                r#""lifecycle/workflow_definition.schema.json":{"#,
                r#""sla/business_calendar.schema.json":{"#,
                r#""cmdb/cmdb_data.schema.json":{"#,
                r#""store/recorded_event.schema.json":{"#,
                r#""interop/loss_report.schema.json":{"#,
                "https://json-schema.org/draft/2020-12/schema",
            ]),
            &[],
        ),
        case(
            &["schema", "--out", &out_str],
            0,
            Out::Has(&["core/incident.schema.json", "cmdb/bundle.schema.json"]),
            &[],
        ),
        // --pretty indents; the default is one compact line.
        case(
            &[
                "--pretty",
                "priority",
                "--matrix",
                "servicenow_3x3",
                "--impact",
                "low",
                "--urgency",
                "low",
            ],
            0,
            Out::Text(&["{\n  \"impact\": \"low\",\n"]),
            &[],
        ),
        case(
            &[
                "priority",
                "--matrix",
                "servicenow_3x3",
                "--impact",
                "low",
                "--urgency",
                "low",
                "--pretty",
            ],
            0,
            Out::Text(&["\n  \"priority\": \"p5\",\n"]),
            &[],
        ),
        case(&[], 2, Out::Empty, &["Usage: itsm"]),
        case(
            &["frobnicate"],
            2,
            Out::Empty,
            &["unrecognized subcommand 'frobnicate'"],
        ),
        case(
            &["--help"],
            0,
            Out::Text(&["Usage: itsm", "calendar", "cmdb"]),
            &[],
        ),
        case(&["--version"], 0, Out::Text(&["itsm 0.1.0"]), &[]),
    ]);
    // The written files are the schemas printed on standard output.
    let written = std::fs::read_to_string(out.join("core/incident.schema.json"))
        .expect("schema --out wrote core/incident.schema.json");
    let (_, printed, _) = run(&case(&["schema"], 0, Out::Empty, &[]));
    let printed: serde_json::Value = serde_json::from_str(&printed).expect("schema prints JSON");
    let written: serde_json::Value = serde_json::from_str(&written).expect("the file is JSON");
    assert_eq!(printed["core/incident.schema.json"], written);
    let _ = std::fs::remove_dir_all(&out);
}

/// The output is compact by default: one line, then a newline.
#[test]
fn compact_output_is_one_line() {
    let (code, stdout, _) = run(&case(
        &[
            "priority",
            "--matrix",
            "servicenow_3x3",
            "--impact",
            "low",
            "--urgency",
            "low",
        ],
        0,
        Out::Empty,
        &[],
    ));
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(stdout.ends_with("}\n"), "{stdout}");
}

/// A chain of `n` applications, each depending on the next: the worst case
/// for answers that list paths (their size grew with the square of the
/// chain's depth; a 10,000-CI chain aborted the process).
fn chain(n: u128) -> String {
    let id = |i: u128| format!("00000000-0000-0000-0000-{i:012x}");
    let cis: Vec<String> = (1..=n)
        .map(|i| {
            format!(
                r#"{{"id":"{}","class":"application","name":"app-{i}","lifecycle":"in_use","operational_state":"operational"}}"#,
                id(i)
            )
        })
        .collect();
    let relationships: Vec<String> = (1..n)
        .map(|i| {
            format!(
                r#"{{"source":"{}","type":"depends_on","target":"{}"}}"#,
                id(i),
                id(i + 1)
            )
        })
        .collect();
    format!(
        r#"{{"cis":[{}],"relationships":[{}]}}"#,
        cis.join(","),
        relationships.join(",")
    )
}

#[test]
fn impact_answers_grow_linearly_with_a_chains_depth() {
    let n = 20_000u128;
    let graph = chain(n);
    let last = format!("00000000-0000-0000-0000-{n:012x}");
    let mut sizes = Vec::new();
    for depth in [n / 2, n] {
        let case = Case {
            args: &[
                "cmdb",
                "impact",
                "--graph",
                "-",
                "--starter",
                "--failed",
                &last,
            ],
            stdin: None,
            code: 0,
            stdout: Out::Empty,
            stderr: &[],
        };
        let text = chain(depth);
        let failed = format!("00000000-0000-0000-0000-{depth:012x}");
        let args = [
            "cmdb",
            "impact",
            "--graph",
            "-",
            "--starter",
            "--failed",
            failed.as_str(),
        ];
        let (code, stdout, stderr) = run(&Case {
            args: &args,
            stdin: Some(&text),
            ..case
        });
        assert_eq!(code, 0, "{stderr}");
        let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(answer["impacted"].as_array().unwrap().len() as u128, depth);
        sizes.push(stdout.len());
    }
    // Twice the chain, twice the answer (give or take the longer numbers):
    // a quadratic answer would be four times larger.
    let ratio = sizes[1] as f64 / sizes[0] as f64;
    assert!((1.9..2.2).contains(&ratio), "sizes {sizes:?}");
    // The full path, on request, for the CI asked for only.
    let first = "00000000-0000-0000-0000-000000000001";
    let args = [
        "cmdb",
        "impact",
        "--graph",
        "-",
        "--starter",
        "--failed",
        last.as_str(),
        "--path-to",
        first,
    ];
    let (code, stdout, stderr) = run(&Case {
        args: &args,
        stdin: Some(&graph),
        code: 0,
        stdout: Out::Empty,
        stderr: &[],
    });
    assert_eq!(code, 0, "{stderr}");
    let answer: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let path = answer["paths"][first].as_array().unwrap();
    assert_eq!(path.len() as u128, n);
    assert_eq!(path[0], last.as_str());
    assert_eq!(path[path.len() - 1], first);
}
