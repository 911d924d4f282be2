//! Store URLs: `sqlite://PATH`, `sqlite::memory:`, `postgres://…`.

use crate::error::{Result, StoreError};

/// Where a store lives, parsed from its URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// A SQLite file (created if missing).
    SqliteFile(String),
    /// A private in-memory SQLite database, gone when the store is dropped.
    SqliteMemory,
    /// A PostgreSQL server: the URL as the `postgres` client takes it, with
    /// an optional `schema=NAME` parameter.
    Postgres(String),
}

impl StoreLocation {
    /// Parses a store URL.
    ///
    /// # Errors
    /// [`StoreError::InvalidUrl`] for any other scheme or an empty path.
    pub fn parse(url: &str) -> Result<Self> {
        let invalid = |reason: &str| StoreError::InvalidUrl {
            url: mask(url),
            reason: reason.to_owned(),
        };
        if url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(Self::SqliteMemory);
        }
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(invalid("the sqlite URL names no file (sqlite://PATH)"));
            }
            return Ok(Self::SqliteFile(path.to_owned()));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        Err(invalid(
            "expected sqlite://PATH, sqlite::memory: or postgres://USER:PASSWORD@HOST/DATABASE",
        ))
    }
}

/// The URL with any password replaced by `***`, for messages.
#[must_use]
pub fn mask(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = rest
        .split_once('/')
        .map_or((rest, None), |(a, t)| (a, Some(t)));
    let masked = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_owned(),
        },
        None => authority.to_owned(),
    };
    match tail {
        Some(t) => format!("{scheme}://{masked}/{t}"),
        None => format!("{scheme}://{masked}"),
    }
}
