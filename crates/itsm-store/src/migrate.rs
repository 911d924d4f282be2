//! Versioned, embedded migrations, applied in one transaction on open.

use crate::error::{Result, StoreError};

/// One migration: its number, its name and its SQL.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

/// The migrations of a backend, from its directory under `migrations/`:
/// one list of numbers and names, the SQL of each backend beside it.
macro_rules! migrations {
    ($dir:literal) => {
        &[
            $crate::migrate::Migration {
                version: 1,
                name: "event_streams",
                sql: include_str!(concat!("../migrations/", $dir, "/0001_event_streams.sql")),
            },
            $crate::migrate::Migration {
                version: 2,
                name: "projections",
                sql: include_str!(concat!("../migrations/", $dir, "/0002_projections.sql")),
            },
            $crate::migrate::Migration {
                version: 3,
                name: "sla_clocks",
                sql: include_str!(concat!("../migrations/", $dir, "/0003_sla_clocks.sql")),
            },
            $crate::migrate::Migration {
                version: 4,
                name: "cmdb",
                sql: include_str!(concat!("../migrations/", $dir, "/0004_cmdb.sql")),
            },
            $crate::migrate::Migration {
                version: 5,
                name: "clock_claims",
                sql: include_str!(concat!("../migrations/", $dir, "/0005_clock_claims.sql")),
            },
        ]
    };
}
pub(crate) use migrations;

/// The table that records which migrations ran. Row `0` is never a
/// migration: migrating processes lock it so that they run one at a time.
pub(crate) const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS itsm_schema (\
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// The schema version this code writes: the number of the last migration.
pub const SCHEMA_VERSION: u32 = 5;

/// The migrations after `current`, or the refusal of a newer database.
pub(crate) fn pending(location: &str, current: u32, all: &[Migration]) -> Result<Vec<Migration>> {
    let latest = all.last().map_or(0, |m| m.version);
    if current > latest {
        return Err(StoreError::SchemaTooNew {
            location: location.to_owned(),
            found: current,
            supported: latest,
        });
    }
    Ok(all
        .iter()
        .filter(|m| m.version > current)
        .copied()
        .collect())
}

pub(crate) fn now_nanos() -> i64 {
    crate::model::now()
        .timestamp_nanos_opt()
        .unwrap_or(i64::MAX)
}
