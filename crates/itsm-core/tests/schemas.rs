//! The committed JSON Schemas under `docs/schemas/core/` are exactly what
//! [`itsm_core::schema_bundle`] generates.
//!
//! After an intended change of the model, regenerate them with
//! `UPDATE_SCHEMAS=1 cargo test -p itsm-core --test schemas` and commit the result.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `docs/schemas/` of the workspace.
fn schema_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schemas")
}

#[test]
fn committed_schemas_match_the_model() {
    let root = schema_root();
    let documents = itsm_core::schema_bundle().documents();
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| !v.is_empty() && v != "0");
    let namespace_dir = root.join("core");
    let generated: BTreeSet<String> = documents.iter().map(|d| d.path.clone()).collect();

    let mut problems = Vec::new();
    for document in &documents {
        assert!(
            document.path.starts_with("core/"),
            "{} is outside core/",
            document.path
        );
        let path = root.join(&document.path);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(document.content.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &document.content).unwrap();
            eprintln!("updated docs/schemas/{}", document.path);
        } else if committed.is_none() {
            problems.push(format!("docs/schemas/{} is missing", document.path));
        } else {
            problems.push(format!(
                "docs/schemas/{} differs from the generated schema",
                document.path
            ));
        }
    }

    // Files the bundle no longer produces.
    if let Ok(entries) = std::fs::read_dir(&namespace_dir) {
        for entry in entries {
            let entry = entry.unwrap();
            let name = format!("core/{}", entry.file_name().to_string_lossy());
            if generated.contains(&name) {
                continue;
            }
            if update {
                std::fs::remove_file(entry.path()).unwrap();
                eprintln!("removed docs/schemas/{name}");
            } else {
                problems.push(format!("docs/schemas/{name} is no longer generated"));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "the committed schemas drifted from the model:\n  {}\nrun `UPDATE_SCHEMAS=1 cargo test -p itsm-core --test schemas` and commit docs/schemas/core/",
        problems.join("\n  ")
    );
}

#[test]
fn every_schema_is_draft_2020_12_with_a_versioned_id() {
    for document in itsm_core::schema_bundle().documents() {
        let schema: serde_json::Value = serde_json::from_str(&document.content).unwrap();
        assert_eq!(
            schema["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "{}",
            document.path
        );
        let id = schema["$id"].as_str().unwrap();
        assert_eq!(
            id,
            format!("https://itsm-rs.github.io/schemas/v1/{}", document.path),
            "{}",
            document.path
        );
        assert!(document.content.ends_with("}\n"), "{}", document.path);
        // Every local reference resolves.
        let text = &document.content;
        for reference in text.split("\"$ref\": \"").skip(1) {
            let target = &reference[..reference.find('"').unwrap()];
            let name = target
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("{}: non-local $ref {target}", document.path));
            assert!(
                schema["$defs"].get(name).is_some(),
                "{}: $ref {target} does not resolve",
                document.path
            );
        }
    }
}
