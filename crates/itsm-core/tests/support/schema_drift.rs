//! The schema drift check shared by every crate's `tests/schemas.rs`
//! (included with `#[path]`): the committed files under
//! `docs/schemas/<namespace>/` must be exactly what the crate's
//! `schema_bundle()` generates, with no stale file left behind.
//!
//! With `UPDATE_SCHEMAS=1` in the environment it rewrites them instead.
//!
//! Each crate reads `docs/schemas/<namespace>/` (and this file) through the
//! symbolic links under its `tests/repo/`, which mirror the repository's
//! paths: `cargo package` copies what a link points to into the `.crate`, so
//! the check also runs in the unpacked package (`.ci/package-tests`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// `docs/schemas/` of the repository, through the including crate's `tests/repo/` links.
pub fn schema_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs/schemas")
}

/// Fails with every drifted file named (or rewrites them under `UPDATE_SCHEMAS=1`).
pub fn check(bundle: &itsm_core::SchemaBundle, namespace: &str, package: &str) {
    let root = schema_root();
    let documents = bundle.documents();
    let update = std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| !v.is_empty() && v != "0");
    let generated: BTreeSet<&str> = documents.iter().map(|d| d.path.as_str()).collect();
    let mut problems = Vec::new();

    for document in &documents {
        assert!(
            document.path.starts_with(&format!("{namespace}/")),
            "{} is outside {namespace}/",
            document.path
        );
        let path = root.join(&document.path);
        let committed = std::fs::read_to_string(&path).ok();
        if committed.as_deref() == Some(document.content.as_str()) {
            continue;
        }
        if update {
            std::fs::create_dir_all(path.parent().expect("a schema file has a folder"))
                .expect("create docs/schemas/<namespace>");
            std::fs::write(&path, &document.content).expect("write a schema file");
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

    if let Ok(entries) = std::fs::read_dir(root.join(namespace)) {
        for entry in entries.flatten() {
            let name = format!("{namespace}/{}", entry.file_name().to_string_lossy());
            if generated.contains(name.as_str()) {
                continue;
            }
            if update {
                std::fs::remove_file(entry.path()).expect("remove a stale schema file");
                eprintln!("removed docs/schemas/{name}");
            } else {
                problems.push(format!("docs/schemas/{name} is no longer generated"));
            }
        }
    }

    assert!(
        problems.is_empty(),
        "the committed schemas drifted from the code:\n  {}\nrun `UPDATE_SCHEMAS=1 cargo test -p {package} --test schemas` and commit docs/schemas/{namespace}/",
        problems.join("\n  ")
    );
}
