//! The same day at the service desk as `service_desk`, stored in a SQLite
//! file: every record, event, clock and the CMDB stay there afterwards, to
//! be read with `itsm desk` or any SQLite client.
//!
//! Run it with `cargo run -p itsm-examples --example service_desk_file [PATH]`
//! (default: `service-desk-day.db` in the system's temporary directory; an
//! existing file there is replaced).

use std::error::Error;
use std::path::{Path, PathBuf};

/// The day itself: the main example.
#[path = "service_desk.rs"]
pub mod service_desk;

/// Runs the day into a fresh database at `path`; returns the story and the
/// database's URL.
///
/// # Errors
/// Any error of the libraries, the sample data or the file system.
pub fn day_in_file(path: &Path) -> Result<(String, String), Box<dyn Error>> {
    for suffix in ["", "-wal", "-shm"] {
        let file = PathBuf::from(format!("{}{suffix}", path.display()));
        if file.exists() {
            std::fs::remove_file(file)?;
        }
    }
    let url = format!("sqlite://{}", path.display());
    let day = service_desk::service_day_on(&url)?;
    Ok((day.text, url))
}

#[allow(dead_code)] // unused when the tests include this file
fn main() -> Result<(), Box<dyn Error>> {
    let path = std::env::args_os().nth(1).map_or_else(
        || std::env::temp_dir().join("service-desk-day.db"),
        PathBuf::from,
    );
    let (text, url) = day_in_file(&path)?;
    print!("{text}");
    println!(
        "\nThe day is stored in {}. Look at it with:",
        path.display()
    );
    println!("  itsm desk show INC0004711 --db {url}");
    println!("  itsm desk list --kind incident --db {url}");
    println!("  itsm desk check --db {url}");
    Ok(())
}
