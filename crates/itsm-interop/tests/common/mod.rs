//! Shared helpers of the interop tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `docs/examples/interop/<path>`, parsed.
pub fn fixture(path: &str) -> Value {
    let full = examples().join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// `docs/examples/interop/`, through this crate's `tests/repo/` link (which
/// `cargo package` copies into the `.crate`).
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs/examples/interop")
}

/// The value without its empty members (`null`, `""`, `[]`, `{}`),
/// recursively: ServiceNow writes every empty field as `""`, Jira as `null`
/// or not at all, and a round trip need not keep which.
pub fn normalise(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalise(v)))
                .filter(|(_, v)| !is_empty(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(normalise).collect()),
        other => other.clone(),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The paths where two JSON documents differ (for readable failures).
pub fn differences(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut work = vec![(String::new(), a, b)];
    while let Some((path, a, b)) = work.pop() {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for key in x.keys().chain(y.keys()) {
                    let p = format!("{path}.{key}");
                    match (x.get(key), y.get(key)) {
                        (Some(l), Some(r)) if l != r => work.push((p, l, r)),
                        (Some(_), Some(_)) => {}
                        (l, r) => out.push(format!("{p}: {l:?} vs {r:?}")),
                    }
                }
            }
            (l, r) if l != r => out.push(format!("{path}: {l} vs {r}")),
            _ => {}
        }
    }
    out.sort();
    out.dedup();
    out
}
