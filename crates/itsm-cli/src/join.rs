//! `itsm import --from servicenow --approvals FILE --journal FILE`: the
//! rows of ServiceNow's `sysapproval_approver` and `sys_journal_field`
//! tables, exported on their own (as the Table API gives them), joined to
//! the records they belong to before conversion.
//!
//! A record's approvals are the rows whose `sysapproval` (else
//! `document_id`) is its `sys_id`; they become its embedded
//! `sysapproval_approver` member, which `itsm-interop` maps to our
//! approvals. A record's journal entries are the rows whose `element_id` is
//! its `sys_id` and whose `element` is `comments` or `work_notes`; they are
//! written as the journal field's display value (newest first, `YYYY-MM-DD
//! HH:MM:SS - user (Label)`), which `itsm-interop` maps to comment events.
//! The join files are read whole into memory, keyed by record: they are
//! lookup tables, like `--lookup`. A row that joins no record of the import
//! is refused in the summary, never dropped silently.

use std::collections::HashMap;

use serde_json::Value;

use crate::CliError;

/// The journal fields a row may name, with ServiceNow's label for each.
const JOURNALS: [(&str, &str); 2] = [
    ("comments", "Additional comments"),
    ("work_notes", "Work notes"),
];

/// The member of a change or requested item that embeds its approval rows,
/// as `itsm-interop` reads it.
const APPROVERS: &str = "sysapproval_approver";

/// One joined row: the file and position it came from, and the row.
#[derive(Debug)]
struct Row {
    file: String,
    index: u64,
    row: Value,
}

/// Rows keyed by the `sys_id` of the record they belong to.
#[derive(Debug, Default)]
pub(crate) struct Joins {
    approvals: HashMap<String, Vec<Row>>,
    journal: HashMap<String, Vec<Row>>,
    /// Rows that name no record at all (no `sysapproval`, no `element_id`).
    refused: Vec<(String, u64, String)>,
}

/// A reference's `sys_id`: a string, or `{"value": …}`.
fn reference(value: Option<&Value>) -> Option<String> {
    let value = value?;
    value
        .as_str()
        .or_else(|| value.get("value").and_then(Value::as_str))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A plain string member (or a display value's `value`).
fn text<'a>(row: &'a Value, member: &str) -> Option<&'a str> {
    let value = row.get(member)?;
    value
        .as_str()
        .or_else(|| value.get("display_value").and_then(Value::as_str))
        .or_else(|| value.get("value").and_then(Value::as_str))
}

impl Joins {
    /// Whether no join file was given.
    pub(crate) fn is_empty(&self) -> bool {
        self.approvals.is_empty() && self.journal.is_empty() && self.refused.is_empty()
    }

    /// Adds one `sysapproval_approver` row.
    pub(crate) fn add_approval(&mut self, file: &str, index: u64, row: Value) {
        match reference(row.get("sysapproval")).or_else(|| reference(row.get("document_id"))) {
            Some(key) => self.approvals.entry(key).or_default().push(Row {
                file: file.to_owned(),
                index,
                row,
            }),
            None => self.refused.push((
                file.to_owned(),
                index,
                "an approval row with neither `sysapproval` nor `document_id`: it joins no record"
                    .to_owned(),
            )),
        }
    }

    /// Adds one `sys_journal_field` row.
    pub(crate) fn add_journal(&mut self, file: &str, index: u64, row: Value) {
        let element = text(&row, "element").unwrap_or_default();
        if !JOURNALS.iter().any(|(field, _)| *field == element) {
            self.refused.push((
                file.to_owned(),
                index,
                format!(
                    "a journal row for `element` {}, not `comments` or `work_notes`",
                    itsm_core::quoted(element)
                ),
            ));
            return;
        }
        if text(&row, "sys_created_on").is_none() {
            self.refused.push((
                file.to_owned(),
                index,
                "a journal row without `sys_created_on`".to_owned(),
            ));
            return;
        }
        match reference(row.get("element_id")) {
            Some(key) => self.journal.entry(key).or_default().push(Row {
                file: file.to_owned(),
                index,
                row,
            }),
            None => self.refused.push((
                file.to_owned(),
                index,
                "a journal row without `element_id`: it joins no record".to_owned(),
            )),
        }
    }

    /// `record` with the rows that belong to it: its approvals as the
    /// embedded `sysapproval_approver`, its journal rows as the journal
    /// fields (replacing what the record carried, since the rows are the
    /// entries one by one). The rows are taken: each joins once.
    pub(crate) fn join(&mut self, record: &Value) -> Option<Value> {
        let sys_id = record.get("sys_id").and_then(Value::as_str)?;
        let approvals = self.approvals.remove(sys_id);
        let journal = self.journal.remove(sys_id);
        if approvals.is_none() && journal.is_none() {
            return None;
        }
        let mut joined = record.clone();
        let Value::Object(map) = &mut joined else {
            return None;
        };
        if let Some(rows) = approvals {
            let mut embedded = match map.remove(APPROVERS) {
                Some(Value::Array(rows)) => rows,
                _ => Vec::new(),
            };
            embedded.extend(rows.into_iter().map(|r| r.row));
            map.insert(APPROVERS.to_owned(), Value::Array(embedded));
        }
        if let Some(mut rows) = journal {
            // Newest first, as ServiceNow writes a journal's display value;
            // the times are `YYYY-MM-DD HH:MM:SS`, so text order is time order.
            rows.sort_by(|a, b| {
                let at = |r: &Row| {
                    text(&r.row, "sys_created_on")
                        .unwrap_or_default()
                        .to_owned()
                };
                at(b).cmp(&at(a))
            });
            for (field, label) in JOURNALS {
                let mut out = String::new();
                for r in rows
                    .iter()
                    .filter(|r| text(&r.row, "element") == Some(field))
                {
                    let at = text(&r.row, "sys_created_on").unwrap_or_default();
                    let by = text(&r.row, "sys_created_by").unwrap_or("system");
                    let value = text(&r.row, "value").unwrap_or_default();
                    out.push_str(&format!("{at} - {by} ({label})\n{value}\n\n"));
                }
                if !out.is_empty() {
                    map.insert(field.to_owned(), Value::String(out));
                }
            }
        }
        Some(joined)
    }

    /// The rows that joined no record: refused, with where they were read.
    pub(crate) fn leftovers(self) -> Vec<(String, u64, String)> {
        let mut out = self.refused;
        for (key, rows) in self.approvals {
            for r in rows {
                out.push((
                    r.file,
                    r.index,
                    format!(
                        "an approval row for record {key}, which is in none of the files imported"
                    ),
                ));
            }
        }
        for (key, rows) in self.journal {
            for r in rows {
                out.push((
                    r.file,
                    r.index,
                    format!(
                        "a journal row for record {key}, which is in none of the files imported"
                    ),
                ));
            }
        }
        out.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        out
    }
}

/// Reads the rows of the join files given.
///
/// # Errors
/// A file that cannot be read or is not JSON records.
pub(crate) fn read(
    approvals: &[std::path::PathBuf],
    journal: &[std::path::PathBuf],
    inputs: &mut crate::input::Inputs<'_>,
    lines: bool,
) -> Result<Joins, CliError> {
    let mut joins = Joins::default();
    for (files, is_approval) in [(approvals, true), (journal, false)] {
        for path in files {
            let name = path.display().to_string();
            let reader = inputs.reader(&name)?;
            let mut index = 0u64;
            let mut each = |row: Value| -> Result<(), CliError> {
                if is_approval {
                    joins.add_approval(&name, index, row);
                } else {
                    joins.add_journal(&name, index, row);
                }
                index += 1;
                Ok(())
            };
            crate::interop::each_record(
                &name,
                reader,
                crate::interop::is_lines(&name, lines),
                &mut each,
            )?;
        }
    }
    Ok(joins)
}
