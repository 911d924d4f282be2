//! Code tables: a vendor's codes beside our values, as data.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use itsm_core::Violation;

/// One row of a code table: a vendor code and the value of ours it stands for.
///
/// Import takes the first row whose `code` matches; export takes the first
/// row whose `value` matches. A row marked `approximate` is reported as an
/// approximation whenever it is used (ServiceNow has no "very high" impact:
/// `{"code": "1", "value": "very_high", "approximate": true}` exports it as
/// `1`, and says so). An exact row whose code is not the one export writes
/// for its value (a second code for the same value) is reported too, because
/// a round trip would change it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry<T> {
    /// The vendor's code (`"6"`, `"Work in progress"`, `"Depends on::Used by"`).
    pub code: String,
    /// Our value.
    pub value: T,
    /// Whether using this row loses information.
    #[serde(default)]
    pub approximate: bool,
}

/// Builds a table from `(code, value)` pairs (exact rows).
pub(crate) fn rows<T: Clone>(pairs: &[(&str, T)]) -> Vec<CodeEntry<T>> {
    pairs
        .iter()
        .map(|(code, value)| CodeEntry {
            code: (*code).to_owned(),
            value: value.clone(),
            approximate: false,
        })
        .collect()
}

/// The same table with approximate rows appended.
pub(crate) fn with_approx<T: Clone>(
    mut table: Vec<CodeEntry<T>>,
    pairs: &[(&str, T)],
) -> Vec<CodeEntry<T>> {
    table.extend(pairs.iter().map(|(code, value)| CodeEntry {
        code: (*code).to_owned(),
        value: value.clone(),
        approximate: true,
    }));
    table
}

/// A table compiled to our wire names, interpreted by the engine.
#[derive(Clone, Debug, Default)]
pub(crate) struct Table {
    rows: Vec<(String, String, bool)>,
}

/// How a code was mapped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Exactness {
    Exact,
    Approximate(String),
}

impl Table {
    pub(crate) fn compile<T: Serialize>(entries: &[CodeEntry<T>]) -> Self {
        let rows = entries
            .iter()
            .filter_map(|e| {
                let value = serde_json::to_value(&e.value).ok()?;
                Some((e.code.clone(), value.as_str()?.to_owned(), e.approximate))
            })
            .collect();
        Self { rows }
    }

    /// Our value for a vendor code.
    pub(crate) fn import(&self, code: &str) -> Option<(&str, Exactness)> {
        let (_, value, approximate) = self.rows.iter().find(|(c, _, _)| c == code)?;
        let exactness = if *approximate {
            Exactness::Approximate(format!("{code:?} is mapped approximately to {value}"))
        } else {
            match self.export(value) {
                Some((back, Exactness::Exact)) if back == code => Exactness::Exact,
                Some((back, _)) => Exactness::Approximate(format!(
                    "{code:?} and {back:?} both stand for {value}; export writes {back:?}"
                )),
                None => Exactness::Exact,
            }
        };
        Some((value, exactness))
    }

    /// The vendor code for one of our values.
    pub(crate) fn export(&self, value: &str) -> Option<(&str, Exactness)> {
        let (code, _, approximate) = self.rows.iter().find(|(_, v, _)| v == value)?;
        let exactness = if *approximate {
            Exactness::Approximate(format!("{value} has no exact code; written as {code:?}"))
        } else {
            Exactness::Exact
        };
        Some((code, exactness))
    }
}

/// Every problem of one table: empty codes, and a code given twice by exact rows.
pub(crate) fn check<T>(path: &str, entries: &[CodeEntry<T>], problems: &mut Vec<Violation>) {
    for (i, entry) in entries.iter().enumerate() {
        if entry.code.trim().is_empty() {
            problems.push(violation(
                format!("{path}[{i}].code"),
                "empty_code",
                "a code may not be empty".to_owned(),
            ));
        }
        if !entry.approximate
            && let Some(first) = entries[..i]
                .iter()
                .position(|e| !e.approximate && e.code == entry.code)
        {
            problems.push(violation(
                format!("{path}[{i}].code"),
                "duplicate_code",
                format!(
                    "code {:?} is already mapped by {path}[{first}]; mark one approximate",
                    entry.code
                ),
            ));
        }
    }
}

pub(crate) fn violation(path: String, rule: &str, message: String) -> Violation {
    Violation {
        path,
        rule: rule.to_owned(),
        message,
    }
}
