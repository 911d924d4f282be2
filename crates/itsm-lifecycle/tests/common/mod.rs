//! Helpers shared by the tests that check generated files for drift.

use std::path::{Path, PathBuf};

/// The repository root as this crate's tests see it: `tests/repo/` holds
/// symbolic links to the repository files they read, at the same paths
/// (`docs/workflows`, …), which `cargo package` copies into the `.crate`.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo")
}

/// Whether generated files are to be rewritten (`UPDATE_SCHEMAS=1` or `UPDATE_DOCS=1`).
pub fn updating() -> bool {
    ["UPDATE_SCHEMAS", "UPDATE_DOCS"]
        .iter()
        .any(|v| std::env::var(v).is_ok_and(|x| x == "1"))
}

/// Compares `content` with the committed file at `path` (relative to the
/// root), or rewrites it when updating. Returns a message for a drifted file.
pub fn sync(path: &str, content: &str) -> Option<String> {
    let full = root().join(path);
    if updating() {
        if let Some(dir) = full.parent() {
            std::fs::create_dir_all(dir).expect("create the directory");
        }
        std::fs::write(&full, content).expect("write the generated file");
        return None;
    }
    match std::fs::read_to_string(&full) {
        Ok(committed) if committed == content => None,
        Ok(_) => Some(format!("{path} differs from the generated one")),
        Err(_) => Some(format!("{path} is missing")),
    }
}

/// Fails listing every drifted file, with the command that regenerates them.
pub fn assert_no_drift(problems: &[String], test: &str) {
    assert!(
        problems.is_empty(),
        "{}\nregenerate with: UPDATE_SCHEMAS=1 cargo test -p itsm-lifecycle --test {test}",
        problems.join("\n")
    );
}
