//! `itsm import` and `itsm export`: the fixtures through the CLI, into a
//! database and back, resumable and idempotent.

use std::path::PathBuf;

use serde_json::Value;

fn examples(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/examples/interop")
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
