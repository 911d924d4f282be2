//! `docs/openapi.json` is what `itsm schema --openapi` prints (rewritten with
//! `UPDATE_SCHEMAS=1 cargo test -p itsm-cli --test schemas`), and every
//! `$ref` in it resolves to one of its components.

use std::path::PathBuf;

use serde_json::Value;

fn generated() -> Value {
    let mut stdin = std::io::empty();
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = itsm_cli::run(
        ["itsm", "schema", "--openapi", "--pretty"],
        &mut stdin,
        &mut out,
        &mut err,
    );
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn the_committed_openapi_document_is_the_generated_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs/openapi.json");
    let document = generated();
    let text = serde_json::to_string_pretty(&document).unwrap() + "\n";
    if std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == text,
        "docs/openapi.json drifted from `itsm schema --openapi`; run `UPDATE_SCHEMAS=1 cargo test -p itsm-cli --test schemas` and commit it"
    );
}

#[test]
fn every_reference_resolves_and_every_namespace_is_there() {
    let document = generated();
    assert_eq!(document["openapi"], "3.1.0");
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in [
        "core.Incident",
        "cmdb.ConfigurationItem",
        "interop.LossReport",
        "interop.ServiceNowMapping",
        "store.RecordedEvent",
    ] {
        assert!(schemas.contains_key(name), "{name}");
    }
    let mut pending: Vec<&Value> = schemas.values().collect();
    let mut refs = 0;
    while let Some(node) = pending.pop() {
        match node {
            Value::Object(map) => {
                if let Some(Value::String(target)) = map.get("$ref") {
                    let name = target
                        .strip_prefix("#/components/schemas/")
                        .unwrap_or_else(|| panic!("{target}"));
                    assert!(schemas.contains_key(name), "{target} does not resolve");
                    refs += 1;
                }
                pending.extend(map.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    assert!(refs > 100, "{refs}");
}
