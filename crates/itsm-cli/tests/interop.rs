//! `itsm import` and `itsm export`: the fixtures through the CLI, into a
//! database and back, resumable and idempotent.

use std::path::PathBuf;

use serde_json::Value;

/// `docs/examples/interop/<path>`, through the link under `tests/repo/`
/// (which `cargo package` copies into the `.crate`).
fn examples(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/repo/docs/examples/interop")
        .join(path)
        .display()
        .to_string()
}

fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut input = stdin.as_bytes();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = itsm_cli::run(args.iter().copied(), &mut input, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

fn lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn summary(text: &str) -> Value {
    lines(text).pop().unwrap()["summary"].clone()
}

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("itsm-interop-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn servicenow_incidents_print_one_line_each_then_the_summary() {
    let file = examples("servicenow/incident.json");
    let (code, out, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "servicenow",
            &file,
            "--lookup",
            &examples("servicenow/lookup.json"),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let lines = lines(&out);
    assert_eq!(lines.len(), 51);
    assert_eq!(lines[0]["record"]["kind"], "incident");
    assert_eq!(lines[0]["record"]["record"]["number"], "INC0010000");
    assert!(
        lines[0]["report"]["unmapped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["kept_as"] == "servicenow.u_business_unit")
    );
    let summary = &lines[50]["summary"];
    assert_eq!(summary["written"]["incident"], 50);
    assert_eq!(summary["losses"]["u_business_unit"]["unmapped"], 50);
    // Five callers are known by display name only.
    assert_eq!(summary["losses"]["caller_id"]["unresolved"], 5);
    assert_eq!(summary["refused"], 0);
}

#[test]
fn an_import_into_a_database_is_idempotent_and_resumable() {
    let dir = temp("db");
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let checkpoint = dir.join("checkpoint.json").display().to_string();
    let file = examples("servicenow/incident.json");
    let args = ["itsm", "import", "--from", "servicenow", &file, "--db", &db];
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{err}");
    let first = summary(&out);
    assert_eq!(first["written"]["incident"], 50, "{first}");
    // A second import of the same file changes nothing: every record is
    // recognised by its external id.
    let (_, out, _) = run(&args, "");
    let second = summary(&out);
    assert_eq!(second["unchanged"], 50, "{second}");
    assert_eq!(second["written"], serde_json::json!({}));
    // With a checkpoint, a second run skips what the first committed.
    let mut with_checkpoint = args.to_vec();
    with_checkpoint.extend(["--checkpoint", &checkpoint]);
    let (_, _, _) = run(&with_checkpoint, "");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(saved["record"], 49);
    let (_, out, _) = run(&with_checkpoint, "");
    assert_eq!(summary(&out)["skipped_by_checkpoint"], 50);
    // The database is consistent, and exports back to ServiceNow.
    let (code, out, err) = run(&["itsm", "desk", "check", "--db", &db], "");
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["itsm", "export", "--to", "servicenow", "--db", &db], "");
    assert_eq!(code, 0, "{err}");
    let exported = lines(&out);
    assert_eq!(exported.len(), 51);
    let source: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let first = &source["result"][0];
    let back = exported
        .iter()
        .find(|r| r["sys_id"] == first["sys_id"])
        .unwrap();
    assert_eq!(back["u_business_unit"], first["u_business_unit"]);
    assert_eq!(back["opened_at"], first["opened_at"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_checkpoint_for_other_files_is_refused() {
    let dir = temp("checkpoint");
    let checkpoint = dir.join("c.json");
    std::fs::write(
        &checkpoint,
        r#"{"file_index": 0, "file": "other.json", "record": 3}"#,
    )
    .unwrap();
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let (code, _, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "jira",
            &examples("jira/search.json"),
            "--db",
            &db,
            "--checkpoint",
            &checkpoint.display().to_string(),
        ],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("the checkpoint names file 1 (\"other.json\")"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn jira_and_tmf_round_trip_through_the_cli() {
    let (code, out, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "jira",
            &examples("jira/search.json"),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let (code, back, err) = run(
        &["itsm", "export", "--to", "jira", "--lines", "--array", "-"],
        &out,
    );
    assert_eq!(code, 0, "{err}");
    let back: Value = serde_json::from_str(&back).unwrap();
    assert_eq!(back["issues"].as_array().unwrap().len(), 10);
    assert_eq!(back["issues"][0]["key"], "ITSM-1");

    let (code, out, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "tmf621",
            &examples("tmf621/trouble_ticket_v4.json"),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let (code, v5, err) = run(
        &[
            "itsm",
            "export",
            "--to",
            "tmf621",
            "--tmf-version",
            "v5",
            "--lines",
            "-",
        ],
        &out,
    );
    assert_eq!(code, 0, "{err}");
    let v5 = lines(&v5);
    assert_eq!(v5[0]["statusChangeHistory"][0]["status"], "acknowledged");
    assert_eq!(v5[0]["externalIdentifier"][0]["id"], "INC0003180");

    let (code, out, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "tmf639",
            &examples("tmf639/resource.json"),
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let (code, back, err) = run(&["itsm", "export", "--to", "tmf639", "--lines", "-"], &out);
    assert_eq!(code, 0, "{err}");
    let back = lines(&back);
    assert_eq!(back[0]["resourceRelationship"].as_array().unwrap().len(), 2);
}

#[test]
fn refusals_name_the_file_and_the_record() {
    let input = "{\"issues\": [{\"key\": \"ITSM-1\", \"fields\": {\"issuetype\": {\"name\": \"Epic\"}}}, {\"fields\": {}}]}";
    let (code, out, err) = run(&["itsm", "import", "--from", "jira", "-"], input);
    assert_eq!(code, 0, "{err}");
    let summary = summary(&out);
    assert_eq!(summary["refused"], 2);
    assert_eq!(summary["refusals"][0]["record"], 0);
    assert!(
        summary["refusals"][0]["message"]
            .as_str()
            .unwrap()
            .contains("fields.issuetype.name = \"Epic\"")
    );
    let (code, _, err) = run(
        &["itsm", "import", "--from", "jira", "-"],
        "{\"issues\": [1, ",
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("<stdin>") || err.contains("-: not a valid records"),
        "{err}"
    );
}

/// One generated ServiceNow incident, as a JSON line (about 300 bytes).
fn generated_incident(i: u64) -> String {
    let state = if i.is_multiple_of(3) { "1" } else { "6" };
    let close = if state == "6" {
        "Solution provided"
    } else {
        ""
    };
    format!(
        concat!(
            "{{\"sys_id\":\"{:032x}\",\"number\":\"INC{:07}\",\"short_description\":\"Generated incident {}\",",
            "\"state\":\"{}\",\"close_code\":\"{}\",\"impact\":\"{}\",\"urgency\":\"2\",\"priority\":\"3\",",
            "\"opened_at\":\"2026-03-{:02} 09:{:02}:00\",\"caller_id\":{{\"value\":\"{:032x}\"}},\"u_batch\":\"{}\"}}\n"
        ),
        0x5eed_0000_0000_0000_0000_0000_0000_0000u128 + u128::from(i),
        i + 1,
        i,
        state,
        close,
        1 + i % 3,
        1 + i % 28,
        i % 60,
        0xca11_0000u128 + u128::from(i % 1000),
        i / 1000
    )
}

/// Peak resident memory of a process, in kB (0 where /proc is missing).
fn peak_rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

/// A million-record import (`ITSM_IMPORT_RECORDS`, default 1,000,000),
/// killed once its first checkpoint is written, then resumed: every record
/// ends up in the database exactly once, the database checks clean, and
/// the importer's memory does not grow with the input. Slow; run with
/// `cargo test --release -p itsm-cli --test interop -- --ignored`.
#[test]
#[ignore = "a million records: minutes; run explicitly"]
fn a_million_record_import_is_resumable_and_streams() {
    use std::io::Write as _;
    let n: u64 = std::env::var("ITSM_IMPORT_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = temp("million");
    let input = dir.join("incidents.jsonl");
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..n {
            out.write_all(generated_incident(i).as_bytes()).unwrap();
        }
        out.flush().unwrap();
    }
    let input_bytes = std::fs::metadata(&input).unwrap().len();
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let checkpoint = dir.join("checkpoint.json");
    let args = |summary: &str| {
        vec![
            "import".to_owned(),
            "--from".to_owned(),
            "servicenow".to_owned(),
            "--table".to_owned(),
            "incident".to_owned(),
            input.display().to_string(),
            "--db".to_owned(),
            db.clone(),
            "--checkpoint".to_owned(),
            checkpoint.display().to_string(),
            "--summary".to_owned(),
            dir.join(summary).display().to_string(),
        ]
    };
    let started = std::time::Instant::now();
    // First run: killed as soon as it has committed a checkpoint.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_itsm"))
        .args(args("first.json"))
        .spawn()
        .unwrap();
    while !checkpoint.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before its first checkpoint"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    let resumed_after = saved["record"].as_u64().unwrap();
    // Second run: to the end, watching its memory.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_itsm"))
        .args(args("second.json"))
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        peak = peak.max(peak_rss_kb(pid));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success());
    let elapsed = started.elapsed();
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("second.json")).unwrap()).unwrap();
    let s = &summary["summary"];
    assert_eq!(s["refused"], 0, "{s}");
    assert_eq!(
        s["skipped_by_checkpoint"].as_u64().unwrap(),
        resumed_after + 1
    );
    let written = s["written"]["incident"].as_u64().unwrap_or(0);
    let unchanged = s["unchanged"].as_u64().unwrap();
    // Records committed after the checkpoint and before the kill are
    // recognised, not written twice.
    assert_eq!(resumed_after + 1 + written + unchanged, n, "{s}");
    let (code, out, err) = run(&["itsm", "desk", "check", "--db", &db], "");
    assert_eq!(code, 0, "{out}{err}");
    let check: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(check["streams"].as_u64().unwrap(), n, "{check}");
    // Memory: far below the input's size (one record at a time).
    eprintln!(
        "{n} records ({} MB) in {:.1} s ({:.0} records/s over both runs); resumed after record {resumed_after}; peak RSS of the second run {} MB",
        input_bytes / 1_000_000,
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        peak / 1024
    );
    if peak > 0 && input_bytes > 100_000_000 {
        assert!(
            peak * 1024 < input_bytes / 2,
            "peak RSS {peak} kB for {input_bytes} bytes of input"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn servicenow_cis_and_relationships_go_into_the_stored_cmdb_idempotently() {
    let dir = temp("cmdb");
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let checkpoint = dir.join("checkpoint.json").display().to_string();
    let cis = examples("servicenow/cmdb_ci.json");
    let rels = examples("servicenow/cmdb_rel_ci.json");
    let lookup = examples("servicenow/lookup.json");
    let args = [
        "itsm",
        "import",
        "--from",
        "servicenow",
        &cis,
        &rels,
        "--db",
        &db,
        "--lookup",
        &lookup,
        "--at",
        "2026-03-05T10:00:00Z",
    ];
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{err}");
    let first = summary(&out);
    assert_eq!(first["refused"], 0, "{first}");
    assert_eq!(first["written"]["configuration_item"], 7, "{first}");
    let source_rels: Value =
        serde_json::from_str(&std::fs::read_to_string(&rels).unwrap()).unwrap();
    let rel_count = source_rels["result"].as_array().unwrap().len();
    assert_eq!(first["written"]["relationship"], rel_count, "{first}");
    // The custom field is a source attribute on every CI.
    assert_eq!(first["losses"]["u_cost_centre"]["unmapped"], 7, "{first}");

    // A second import changes nothing, with or without a checkpoint.
    let (_, out, _) = run(&args, "");
    let second = summary(&out);
    assert_eq!(second["written"], serde_json::json!({}), "{second}");
    assert_eq!(second["unchanged"], 7 + rel_count, "{second}");
    let mut with_checkpoint = args.to_vec();
    with_checkpoint.extend(["--checkpoint", &checkpoint]);
    run(&with_checkpoint, "");
    let (_, out, _) = run(&with_checkpoint, "");
    let resumed = summary(&out);
    // The checkpoint names the last relationship: the CI file is not read again.
    assert_eq!(resumed["read"], rel_count, "{resumed}");
    assert_eq!(resumed["skipped_by_checkpoint"], rel_count, "{resumed}");
    assert_eq!(resumed["written"], serde_json::json!({}), "{resumed}");

    // The database is consistent and exports the CMDB back to ServiceNow:
    // every CI with its fields (the custom one included), every relationship.
    let (code, out, err) = run(&["itsm", "desk", "check", "--db", &db], "");
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(
        &[
            "itsm",
            "export",
            "--to",
            "servicenow",
            "--db",
            &db,
            "--lookup",
            &lookup,
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let exported = lines(&out);
    let summary_line = &exported.last().unwrap()["summary"];
    assert_eq!(
        summary_line["written"]["configuration_item"], 7,
        "{summary_line}"
    );
    assert_eq!(
        summary_line["written"]["relationship"], rel_count,
        "{summary_line}"
    );
    let source: Value = serde_json::from_str(&std::fs::read_to_string(&cis).unwrap()).unwrap();
    for ci in source["result"].as_array().unwrap() {
        let back = exported
            .iter()
            .find(|r| r["sys_id"] == ci["sys_id"])
            .unwrap_or_else(|| panic!("{} not exported", ci["sys_id"]));
        for field in [
            "name",
            "sys_class_name",
            "u_cost_centre",
            "ip_address",
            "fqdn",
            "serial_number",
            "cpu_count",
            "os_version",
        ] {
            assert_eq!(back[field], ci[field], "{} {field}", ci["name"]);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_ci_of_a_class_the_stored_cmdb_lacks_is_refused_with_its_path() {
    let dir = temp("cmdb-refusal");
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let file = dir.join("cmdb_ci.json");
    std::fs::write(
        &file,
        r#"{"result": [
            {"sys_id": "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a", "name": "robot-1", "sys_class_name": "cmdb_ci_robot"},
            {"sys_id": "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "name": "app-1", "sys_class_name": "cmdb_ci_appl", "ip_address": "10.0.0.9", "cpu_count": "4"}
        ]}"#,
    )
    .unwrap();
    let mapping = dir.join("mapping.json");
    std::fs::write(
        &mapping,
        r#"{"ci_class": [{"code": "cmdb_ci_robot", "value": "robot"}, {"code": "cmdb_ci_appl", "value": "application"}]}"#,
    )
    .unwrap();
    let file = file.display().to_string();
    let mapping = mapping.display().to_string();
    let (code, out, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "servicenow",
            &file,
            "--db",
            &db,
            "--mapping",
            &mapping,
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let s = summary(&out);
    assert_eq!(s["refused"], 1, "{s}");
    assert_eq!(s["refusals"][0]["record"], 0, "{s}");
    let message = s["refusals"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("class") && message.contains("\"robot\""),
        "{message}"
    );
    // An application declares neither an IP address nor a CPU count: both
    // are kept as source attributes, and reported.
    assert_eq!(s["written"]["configuration_item"], 1, "{s}");
    assert_eq!(s["losses"]["ip_address"]["unmapped"], 1, "{s}");
    assert_eq!(s["losses"]["cpu_count"]["unmapped"], 1, "{s}");
    let (_, out, _) = run(&["itsm", "export", "--to", "itsm", "--db", &db], "");
    let ci = lines(&out)
        .into_iter()
        .find(|l| l["kind"] == "configuration_item")
        .unwrap();
    assert_eq!(
        ci["record"]["attributes"]["servicenow.ip_address"],
        "10.0.0.9"
    );
    assert_eq!(ci["record"]["attributes"]["servicenow.cpu_count"], "4");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn comments_and_approvals_go_into_the_stream_once_and_come_back() {
    let dir = temp("comments");
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let file = examples("servicenow/change_request.json");
    let lookup = examples("servicenow/lookup.json");
    let args = [
        "itsm",
        "import",
        "--from",
        "servicenow",
        &file,
        "--lookup",
        &lookup,
        "--db",
        &db,
    ];
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(summary(&out)["written"]["change"], 2, "{out}");
    // A second import adds no comment: the record and its stream are unchanged.
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(summary(&out)["unchanged"], 2, "{out}");
    let (code, out, err) = run(&["itsm", "desk", "check", "--db", &db], "");
    assert_eq!(code, 0, "{out}{err}");
    // Export writes the journals and the approval rows back.
    let (code, out, err) = run(
        &[
            "itsm",
            "export",
            "--to",
            "servicenow",
            "--db",
            &db,
            "--lookup",
            &lookup,
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    let exported = lines(&out);
    let source: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    for original in source["result"].as_array().unwrap() {
        let back = exported
            .iter()
            .find(|r| r["sys_id"] == original["sys_id"])
            .unwrap();
        for field in ["comments", "work_notes", "sysapproval_approver"] {
            assert_eq!(back[field], original[field], "{field}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A TMF639 resource line: a server, or an application running on `runs_on`.
fn resource(n: u64, runs_on: Option<u64>) -> String {
    let id = |n: u64| format!("00000000-0000-4000-8000-{n:012}");
    let mut value = match runs_on {
        None => serde_json::json!({"id": id(n), "@type": "PhysicalResource",
            "name": format!("host-{n}"), "resourceSpecification": {"name": "server"}}),
        Some(host) => serde_json::json!({"id": id(n), "@type": "LogicalResource",
            "name": format!("app-{n}"), "resourceSpecification": {"name": "application"},
            "resourceRelationship": [{"relationshipType": "runsOn", "resource": {"id": id(host)}}]}),
    };
    value["description"] = Value::from("generated");
    format!("{value}\n")
}

/// The files of one case, the relationships its summary must show written,
/// and the refusals it must list (record index, part of the message).
struct HeldCase {
    name: &'static str,
    files: Vec<(&'static str, String)>,
    relationships: u64,
    refusals: Vec<(u64, &'static str)>,
}

fn check_held(case: &HeldCase) {
    let dir = temp(&format!("held-{}", case.name));
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let mut args = vec!["itsm".to_owned(), "import".to_owned(), "--from".to_owned()];
    let from = if case.files[0].0.ends_with(".jsonl") {
        "tmf639"
    } else {
        "servicenow"
    };
    args.push(from.to_owned());
    for (name, text) in &case.files {
        let path = if text.is_empty() {
            examples(name)
        } else {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        };
        args.push(path);
    }
    args.extend(["--db", &db, "--at", "2026-03-05T10:00:00Z"].map(str::to_owned));
    if from == "servicenow" {
        args.extend(["--lookup".to_owned(), examples("servicenow/lookup.json")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{}: {err}", case.name);
    let got = summary(&out);
    assert_eq!(
        got["written"]["relationship"].as_u64().unwrap_or(0),
        case.relationships,
        "{}: {got}",
        case.name
    );
    let refusals = got["refusals"].as_array().unwrap();
    assert_eq!(refusals.len(), case.refusals.len(), "{}: {got}", case.name);
    for (refusal, (record, message)) in refusals.iter().zip(&case.refusals) {
        assert_eq!(refusal["record"], *record, "{}: {got}", case.name);
        assert!(
            refusal["message"].as_str().unwrap().contains(message),
            "{}: {got}",
            case.name
        );
    }
    // Whatever was held and stored is stored once: a second run writes nothing.
    let (_, out, _) = run(&args, "");
    let again = summary(&out);
    assert_eq!(
        again["written"],
        serde_json::json!({}),
        "{}: {again}",
        case.name
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Relationships read before their configuration items wait for them, in
/// the same file or a later one; only those whose CI never comes are
/// refused, at the end, naming the missing end.
#[test]
fn relationships_read_before_their_cis_wait_for_them() {
    let rel_count = {
        let rels: Value = serde_json::from_str(
            &std::fs::read_to_string(examples("servicenow/cmdb_rel_ci.json")).unwrap(),
        )
        .unwrap();
        rels["result"].as_array().unwrap().len() as u64
    };
    let cases = [
        HeldCase {
            name: "servicenow-relationships-file-first",
            files: vec![
                ("servicenow/cmdb_rel_ci.json", String::new()),
                ("servicenow/cmdb_ci.json", String::new()),
            ],
            relationships: rel_count,
            refusals: vec![],
        },
        HeldCase {
            name: "tmf639-forward-reference",
            files: vec![("a.jsonl", resource(1, Some(2)) + &resource(2, None))],
            relationships: 1,
            refusals: vec![],
        },
        HeldCase {
            name: "tmf639-reference-into-the-next-file",
            files: vec![
                ("a.jsonl", resource(1, Some(3)) + &resource(2, None)),
                ("b.jsonl", resource(3, None)),
            ],
            relationships: 1,
            refusals: vec![],
        },
        HeldCase {
            name: "tmf639-reference-to-nothing",
            files: vec![("a.jsonl", resource(2, None) + &resource(1, Some(9)))],
            relationships: 0,
            refusals: vec![(
                1,
                "target, configuration item 00000000-0000-4000-8000-000000000009, is in neither the cmdb nor the files imported",
            )],
        },
    ];
    for case in &cases {
        check_held(case);
    }
}

/// An import interrupted while a relationship waits for its CI keeps the
/// relationship in its checkpoint: the resumed import stores it when the CI
/// arrives, though the record that carried it is not read again.
#[test]
fn an_interrupted_import_keeps_the_relationships_waiting_in_its_checkpoint() {
    let dir = temp("held-checkpoint");
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let checkpoint = dir.join("checkpoint.json");
    let first = dir.join("first.jsonl");
    let second = dir.join("second.jsonl");
    // 1,000 records (one checkpoint's worth), the first waiting for a CI of
    // the second file; then a line that stops the import.
    let mut text = resource(10, Some(99_999));
    for n in 11..1010 {
        text.push_str(&resource(n, None));
    }
    std::fs::write(&first, format!("{text}{{not json\n")).unwrap();
    std::fs::write(&second, resource(99_999, None)).unwrap();
    let (first_s, second_s, db_s, checkpoint_s) = (
        first.display().to_string(),
        second.display().to_string(),
        db.clone(),
        checkpoint.display().to_string(),
    );
    let args = [
        "itsm",
        "import",
        "--from",
        "tmf639",
        &first_s,
        &second_s,
        "--db",
        &db_s,
        "--checkpoint",
        &checkpoint_s,
        "--at",
        "2026-03-05T10:00:00Z",
    ];
    let (code, _, err) = run(&args, "");
    assert_ne!(code, 0, "the broken line stops the import");
    assert!(err.contains("line 1001"), "{err}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert_eq!(saved["record"], 999, "{saved}");
    assert_eq!(saved["held"].as_array().map(Vec::len), Some(1), "{saved}");

    // Mended, the import resumes after record 999 and stores the relationship
    // once the second file brings its CI.
    std::fs::write(&first, text).unwrap();
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{err}");
    let resumed = summary(&out);
    assert_eq!(resumed["skipped_by_checkpoint"], 1000, "{resumed}");
    assert_eq!(resumed["refused"], 0, "{resumed}");
    assert_eq!(resumed["written"]["relationship"], 1, "{resumed}");
    assert_eq!(resumed["written"]["configuration_item"], 1, "{resumed}");
    let saved: Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).unwrap()).unwrap();
    assert!(saved.get("held").is_none(), "{saved}");
    let (code, out, err) = run(&["itsm", "desk", "check", "--db", &db], "");
    assert_eq!(code, 0, "{out}{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Imports `files` from ServiceNow (with `extra` options), without a
/// database: the lines of records, and the summary.
fn servicenow_lines(files: &[String], extra: &[&str]) -> (Vec<Value>, Value) {
    let lookup = examples("servicenow/lookup.json");
    let mut args = vec![
        "itsm",
        "import",
        "--from",
        "servicenow",
        "--lookup",
        &lookup,
    ];
    args.extend(files.iter().map(String::as_str));
    args.extend(extra);
    let (code, out, err) = run(&args, "");
    assert_eq!(code, 0, "{err}");
    let mut all = lines(&out);
    let summary = all.pop().unwrap()["summary"].clone();
    (all, summary)
}

/// ServiceNow's approvals and journal entries exported on their own
/// (`sysapproval_approver`, `sys_journal_field`) join the record they
/// belong to: the change imports with the same approvals and comments as
/// the export that embeds them, and a row that joins nothing is refused.
#[test]
fn approvals_and_journal_rows_exported_apart_join_their_records() {
    let (embedded, _) = servicenow_lines(&[examples("servicenow/change_request.json")], &[]);
    let (joined, summary) = servicenow_lines(
        &[examples("servicenow/change_request_bare.json")],
        &[
            "--table",
            "change_request",
            "--approvals",
            &examples("servicenow/sysapproval_approver.json"),
            "--journal",
            &examples("servicenow/sys_journal_field.json"),
        ],
    );
    assert_eq!(summary["refused"], 0, "{summary}");
    let (want, got) = (&embedded[0], &joined[0]);
    assert_eq!(
        got["record"]["record"]["approvals"], want["record"]["record"]["approvals"],
        "{got}"
    );
    assert_eq!(got["record"]["record"]["approval"], "approved", "{got}");
    assert_eq!(got["timeline"], want["timeline"], "{got}");
    assert_eq!(got["timeline"].as_array().map(Vec::len), Some(3), "{got}");

    // Into a database with a checkpoint: a resumed import skips the change
    // and the rows that joined it, refusing none of them.
    let dir = temp("joins");
    let db = format!("sqlite://{}", dir.join("desk.db").display());
    let checkpoint = dir.join("checkpoint.json").display().to_string();
    let approvals = examples("servicenow/sysapproval_approver.json");
    let journal = examples("servicenow/sys_journal_field.json");
    let with_db = [
        "--table",
        "change_request",
        "--approvals",
        &approvals,
        "--journal",
        &journal,
        "--db",
        &db,
        "--checkpoint",
        &checkpoint,
    ];
    let bare = [examples("servicenow/change_request_bare.json")];
    let (_, first) = servicenow_lines(&bare, &with_db);
    assert_eq!(first["written"]["change"], 1, "{first}");
    let (_, resumed) = servicenow_lines(&bare, &with_db);
    assert_eq!(resumed["skipped_by_checkpoint"], 1, "{resumed}");
    assert_eq!(resumed["refused"], 0, "{resumed}");

    // Rows that join no record, or no journal field, are refused by position.
    let strays = dir.join("strays.jsonl");
    std::fs::write(
        &strays,
        [
            r#"{"element": "work_notes", "element_id": "ffffffffffffffffffffffffffffffff", "value": "x", "sys_created_on": "2026-03-04 10:00:00", "sys_created_by": "fred.luddy"}"#,
            r#"{"element": "description", "element_id": "c83c5e5347c12200e0ef563dbb9a7190", "value": "x", "sys_created_on": "2026-03-04 10:00:00"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let strays = strays.display().to_string();
    let (_, summary) = servicenow_lines(
        &[examples("servicenow/change_request_bare.json")],
        &["--table", "change_request", "--journal", &strays],
    );
    assert_eq!(summary["refused"], 2, "{summary}");
    let refusals = summary["refusals"].as_array().unwrap();
    assert_eq!(refusals[0]["record"], 0, "{summary}");
    assert!(
        refusals[0]["message"]
            .as_str()
            .unwrap()
            .contains("ffffffffffffffffffffffffffffffff, which is in none of the files imported"),
        "{summary}"
    );
    assert_eq!(refusals[1]["record"], 1, "{summary}");
    assert!(
        refusals[1]["message"]
            .as_str()
            .unwrap()
            .contains("\"description\", not `comments` or `work_notes`"),
        "{summary}"
    );

    // The joins are ServiceNow's.
    let jira = examples("jira/search.json");
    let (code, _, err) = run(
        &[
            "itsm",
            "import",
            "--from",
            "jira",
            &jira,
            "--journal",
            &strays,
        ],
        "",
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--from servicenow"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
