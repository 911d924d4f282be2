//! The JSON Schemas (draft 2020-12) of all four library crates: every
//! document of each crate's `SchemaBundle`, with its `$id` and size.
//!
//! Nothing is written to disk: the same documents are committed under
//! `docs/schemas/`, and `itsm schema --out DIR` writes them for integrators.
//!
//! Run it with `cargo run -p itsm-examples --example schema_export`.

use std::error::Error;
use std::fmt::Write as _;

use itsm::SchemaBundle;

type Res<T> = Result<T, Box<dyn Error>>;

#[allow(dead_code)] // unused when the tests include this file
fn main() -> Res<()> {
    print!("{}", run()?);
    Ok(())
}

/// The bundles of the four crates.
pub fn bundles() -> [SchemaBundle; 4] {
    [
        itsm::schema_bundle(),
        itsm::lifecycle::schema_bundle(),
        itsm::sla::schema_bundle(),
        itsm::cmdb::schema_bundle(),
    ]
}

/// The example's output.
///
/// # Errors
/// When a generated document is not JSON or has no `$id` (never, unless the
/// libraries have a bug).
pub fn run() -> Res<String> {
    let mut out = String::new();
    let o = &mut out;
    let mut total = 0;
    for bundle in bundles() {
        let documents = bundle.documents();
        let namespace = documents
            .first()
            .and_then(|d| d.path.split('/').next())
            .unwrap_or("?");
        writeln!(o, "{namespace}: {} documents", documents.len())?;
        for d in &documents {
            let schema: serde_json::Value = serde_json::from_str(&d.content)?;
            let id = schema
                .get("$id")
                .and_then(serde_json::Value::as_str)
                .ok_or_else(|| format!("{} has no $id", d.path))?;
            writeln!(o, "  {:<48} {:>7} bytes  {id}", d.path, d.content.len())?;
        }
        total += documents.len();
    }
    writeln!(
        o,
        "{total} schema documents in all (schema version {}).",
        itsm::SCHEMA_VERSION
    )?;
    Ok(out)
}
