//! `itsm schema`, `itsm validate` and `itsm priority`.

use std::path::Path;

use clap::ValueEnum;
use itsm_core::{
    Change, ConfigurationItemRef, Group, Impact, Incident, KnowledgeArticle, KnownError, Person,
    PriorityMatrix, PriorityMatrixDefinition, Problem, Release, Role, SchemaDocument, Service,
    ServiceRequest, Timeline, Urgency, Validate, Violation,
};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::input::{Inputs, Source, parse_text};
use crate::{CliError, Output, Report};

/// Every schema document of the library crates, in namespace order.
pub(crate) fn schema_documents() -> Vec<SchemaDocument> {
    let mut documents = itsm_core::schema_bundle().documents();
    documents.extend(itsm_lifecycle::schema_bundle().documents());
    documents.extend(itsm_sla::schema_bundle().documents());
    documents.extend(itsm_cmdb::schema_bundle().documents());
    documents.extend(itsm_store::schema_bundle().documents());
    documents.extend(itsm_desk::schema_bundle().documents());
    documents.extend(itsm_interop::schema_bundle().documents());
    documents
}

/// `itsm schema [--out DIR]`.
pub(crate) fn schema(out: Option<&Path>) -> Result<Report, CliError> {
    let documents = schema_documents();
    match out {
        None => {
            let mut all = Map::new();
            for document in documents {
                let value: Value =
                    serde_json::from_str(&document.content).map_err(|e| CliError::Refused {
                        message: format!("schema {} is not JSON: {e}", document.path),
                    })?;
                all.insert(document.path, value);
            }
            Ok(Report::ok(Output::Json(Value::Object(all))))
        }
        Some(dir) => {
            let mut written = Vec::with_capacity(documents.len());
            for document in documents {
                let path = dir.join(&document.path);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| CliError::Write {
                        file: parent.display().to_string(),
                        message: e.to_string(),
                    })?;
                }
                std::fs::write(&path, &document.content).map_err(|e| CliError::Write {
                    file: path.display().to_string(),
                    message: e.to_string(),
                })?;
                written.push(path.display().to_string());
            }
            Ok(Report::ok(Output::Json(json!({ "written": written }))))
        }
    }
}

/// What `itsm validate` can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "snake_case")]
pub(crate) enum Kind {
    /// An incident record.
    Incident,
    /// A problem record.
    Problem,
    /// A known error.
    KnownError,
    /// A knowledge article.
    KnowledgeArticle,
    /// A change record.
    Change,
    /// A release.
    Release,
    /// A service request.
    ServiceRequest,
    /// A service.
    Service,
    /// A reference to a configuration item.
    ConfigurationItemRef,
    /// A person.
    Person,
    /// A group.
    Group,
    /// A role.
    Role,
    /// A ticket timeline (`{"events": [...]}`).
    Timeline,
    /// A priority matrix definition.
    PriorityMatrix,
    /// A workflow definition (every guard it names taken as known).
    Workflow,
    /// A business calendar.
    Calendar,
    /// An SLA definition (errors, and warnings for known traps).
    SlaDefinition,
    /// A whole CMDB in the export format.
    Cmdb,
}

impl Kind {
    fn name(self) -> String {
        self.to_possible_value()
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default()
    }
}

/// The problems of a record that parsed.
fn record_problems<T: DeserializeOwned + Validate>(
    source: &Source,
    what: &str,
) -> Result<Vec<Violation>, CliError> {
    let record: T = parse_text(source, what)?;
    Ok(record.validate())
}

/// A priority matrix's problems as violations: `cells[3]: …` becomes the
/// path `cells[3]`.
pub(crate) fn matrix_problems(problems: &[String]) -> Vec<Violation> {
    problems
        .iter()
        .map(|p| match p.split_once(": ") {
            Some((path, message))
                if !path.contains(' ')
                    && (path.starts_with("cells[")
                        || path.starts_with("impacts[")
                        || path.starts_with("urgencies[")) =>
            {
                Violation::new(path, "invalid_matrix", message)
            }
            _ => Violation::new(".", "invalid_matrix", p.as_str()),
        })
        .collect()
}

/// `itsm validate KIND FILE`.
pub(crate) fn validate(
    inputs: &mut Inputs<'_>,
    kind: Kind,
    file: &str,
) -> Result<Report, CliError> {
    let what = kind.name();
    let source = match read_for_validation(inputs, file, &what) {
        Ok(source) => source,
        Err(report) => return Ok(*report),
    };
    let mut warnings: Option<Vec<Violation>> = None;
    let problems = match kind {
        Kind::Incident => record_problems::<Incident>(&source, &what),
        Kind::Problem => record_problems::<Problem>(&source, &what),
        Kind::KnownError => record_problems::<KnownError>(&source, &what),
        Kind::KnowledgeArticle => record_problems::<KnowledgeArticle>(&source, &what),
        Kind::Change => record_problems::<Change>(&source, &what),
        Kind::Release => record_problems::<Release>(&source, &what),
        Kind::ServiceRequest => record_problems::<ServiceRequest>(&source, &what),
        Kind::Service => record_problems::<Service>(&source, &what),
        Kind::ConfigurationItemRef => record_problems::<ConfigurationItemRef>(&source, &what),
        Kind::Person => record_problems::<Person>(&source, &what),
        Kind::Group => record_problems::<Group>(&source, &what),
        Kind::Role => record_problems::<Role>(&source, &what),
        Kind::Timeline => crate::time::parse_timeline(&source).map(|t: Timeline| t.validate()),
        Kind::PriorityMatrix => {
            parse_text::<PriorityMatrixDefinition>(&source, &what).map(|definition| {
                match PriorityMatrix::new(definition) {
                    Ok(_) => Vec::new(),
                    Err(itsm_core::CoreError::InvalidMatrix { problems, .. }) => {
                        matrix_problems(&problems)
                    }
                    Err(other) => vec![Violation::new(".", "invalid_matrix", other.to_string())],
                }
            })
        }
        Kind::Workflow => parse_text(&source, &what)
            .map(|definition| crate::workflow::definition_problems(definition, None)),
        Kind::Calendar => {
            parse_text::<itsm_sla::BusinessCalendar>(&source, &what).map(|c| c.validate())
        }
        Kind::SlaDefinition => {
            parse_text::<itsm_sla::SlaDefinition>(&source, &what).map(|definition| {
                let report = definition.check();
                warnings = Some(report.warnings);
                report.errors
            })
        }
        Kind::Cmdb => parse_text::<itsm_cmdb::CmdbData>(&source, &what)
            .map(|data| crate::cmdb::import_problems(data).1),
    };
    Ok(problems_report(&what, &source.name, problems, warnings))
}

/// Reads the file to validate; a file that cannot be read is reported as
/// the one problem (`unreadable`), like any other.
pub(crate) fn read_for_validation(
    inputs: &mut Inputs<'_>,
    file: &str,
    what: &str,
) -> Result<Source, Box<Report>> {
    match inputs.read(file) {
        Ok(source) => Ok(source),
        Err(error @ CliError::Read { .. }) => {
            let name = if file == "-" {
                crate::input::STDIN_NAME
            } else {
                file
            };
            Err(Box::new(problems_report(what, name, Err(error), None)))
        }
        Err(other) => Err(Box::new(Report {
            output: Output::Nothing,
            failure: Some(other),
        })),
    }
}

/// The report of a validation: the list of problems on standard output,
/// and a failure when there is any. A file that does not parse is one
/// problem (`invalid_json`), also explained on standard error.
pub(crate) fn problems_report(
    what: &str,
    file: &str,
    problems: Result<Vec<Violation>, CliError>,
    warnings: Option<Vec<Violation>>,
) -> Report {
    let (problems, failure) = match problems {
        Ok(problems) => {
            let failure = (!problems.is_empty()).then(|| CliError::Problems {
                file: file.to_owned(),
                count: problems.len(),
            });
            (problems, failure)
        }
        Err(error) => {
            let problem = match &error {
                CliError::Json { path, message, .. } => {
                    Violation::new(path.as_str(), "invalid_json", message.as_str())
                }
                other => Violation::new(".", "unreadable", other.to_string()),
            };
            (vec![problem], Some(error))
        }
    };
    let mut out = json!({
        "kind": what,
        "file": file,
        "valid": problems.is_empty(),
        "problems": problems,
    });
    if let (Some(warnings), Some(map)) = (warnings, out.as_object_mut()) {
        map.insert("warnings".to_owned(), json!(warnings));
    }
    Report {
        output: Output::Json(out),
        failure,
    }
}

/// `itsm priority --matrix NAME|FILE --impact I --urgency U`.
pub(crate) fn priority(
    inputs: &mut Inputs<'_>,
    matrix: &str,
    impact: Impact,
    urgency: Urgency,
) -> Result<Report, CliError> {
    let matrix = if PriorityMatrix::PRESETS.contains(&matrix) {
        PriorityMatrix::preset(matrix).map_err(|e| CliError::Refused {
            message: e.to_string(),
        })?
    } else {
        let (source, definition) = inputs
            .parse::<PriorityMatrixDefinition>(matrix, "priority matrix")
            .map_err(|e| match e {
                CliError::Read { file, message } => CliError::Read {
                    file,
                    message: format!(
                        "{message} (nor is it a preset: {})",
                        PriorityMatrix::PRESETS.join(", ")
                    ),
                },
                other => other,
            })?;
        PriorityMatrix::new(definition).map_err(|e| CliError::Content {
            file: source.name,
            message: e.to_string(),
        })?
    };
    let priority = matrix
        .priority(impact, urgency)
        .map_err(|e| CliError::Refused {
            message: e.to_string(),
        })?;
    Ok(Report::ok(Output::Json(json!({
        "matrix": matrix.name(),
        "impact": impact,
        "urgency": urgency,
        "priority": priority,
        "rank": priority.rank(),
    }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_problems_keep_their_paths() {
        let problems = [
            "cells[3]: impact low is not one of the declared impacts".to_owned(),
            "missing cell for impact high and urgency low".to_owned(),
            "the name is empty".to_owned(),
        ];
        let actual = matrix_problems(&problems);
        let paths: Vec<&str> = actual.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(paths, ["cells[3]", ".", "."]);
        assert_eq!(
            actual[0].message,
            "impact low is not one of the declared impacts"
        );
    }

    #[test]
    fn every_kind_has_a_snake_case_name() {
        for kind in Kind::value_variants() {
            let name = kind.name();
            assert!(
                !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{kind:?} is named {name:?}"
            );
        }
    }
}
