//! `itsm workflow show | validate | apply`.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use clap::ValueEnum;
use itsm_core::{ChangeType, PersonId, Violation};
use itsm_lifecycle::{Guard, LifecycleError, PlainContext, Workflow, WorkflowDefinition};
use serde_json::json;

use crate::input::Inputs;
use crate::records::problems_report;
use crate::{CliError, Output, Report};

/// A workflow definition with string keys, as the CLI handles every flow.
type Definition = WorkflowDefinition<String, String>;

/// The output formats of `workflow show`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// The definition as JSON (the custom workflow file format).
    Json,
    /// A Mermaid state diagram.
    Mermaid,
    /// A Graphviz DOT digraph.
    Dot,
}

/// The default flows `workflow show` and `workflow apply` know by name.
pub(crate) const FLOW_NAMES: [&str; 11] = [
    "incident",
    "major_incident",
    "problem",
    "change",
    "change_normal",
    "change_standard",
    "change_emergency",
    "release",
    "service_request",
    "task",
    "asset",
];

/// A default flow by name, in its string-keyed form.
fn default_flow(name: &str) -> Option<Definition> {
    Some(match name {
        "incident" => itsm_lifecycle::incident_flow().to_dynamic(),
        "major_incident" => itsm_lifecycle::major_incident_flow().to_dynamic(),
        "problem" => itsm_lifecycle::problem_flow().to_dynamic(),
        "change" | "change_normal" => itsm_lifecycle::change_flow(ChangeType::Normal).to_dynamic(),
        "change_standard" => itsm_lifecycle::change_flow(ChangeType::Standard).to_dynamic(),
        "change_emergency" => itsm_lifecycle::change_flow(ChangeType::Emergency).to_dynamic(),
        "release" => itsm_lifecycle::release_flow().to_dynamic(),
        "service_request" => itsm_lifecycle::service_request_flow().to_dynamic(),
        "task" => itsm_lifecycle::task_flow().to_dynamic(),
        "asset" => itsm_lifecycle::asset_flow().to_dynamic(),
        _ => return None,
    })
}

/// A default flow's definition, or the definition in the file `arg`; with
/// the name of its source for messages.
fn load(inputs: &mut Inputs<'_>, arg: &str) -> Result<(String, Definition), CliError> {
    if let Some(definition) = default_flow(arg) {
        return Ok((format!("default flow {arg:?}"), definition));
    }
    let (source, definition) = inputs
        .parse::<Definition>(arg, "workflow definition")
        .map_err(|e| match e {
            CliError::Read { file, message } => CliError::Read {
                file,
                message: format!(
                    "{message} (nor is it a default flow: {})",
                    FLOW_NAMES.join(", ")
                ),
            },
            other => other,
        })?;
    Ok((source.name, definition))
}

/// Every guard a definition names.
fn named_guards(definition: &Definition) -> BTreeSet<String> {
    definition
        .transitions
        .iter()
        .flat_map(|t| t.guards.iter().cloned())
        .collect()
}

/// The guards taken as known: `known` when given, else every guard the
/// definition names and those of the default ITIL flows.
fn known_guards(definition: &Definition, known: Option<Vec<String>>) -> PlainContext {
    match known {
        Some(list) => PlainContext::knowing(list),
        None => PlainContext::knowing(
            named_guards(definition)
                .into_iter()
                .chain(Guard::ITIL.iter().map(|g| (*g).to_owned())),
        ),
    }
}

fn issues_to_violations(error: LifecycleError) -> Vec<Violation> {
    match error {
        LifecycleError::InvalidDefinition { issues, .. } => issues
            .into_iter()
            .map(|i| Violation::new(i.path, i.kind.to_string(), i.message))
            .collect(),
        other => vec![Violation::new(".", "invalid", other.to_string())],
    }
}

/// Every problem of a definition (empty when it is valid).
pub(crate) fn definition_problems(
    definition: Definition,
    known: Option<Vec<String>>,
) -> Vec<Violation> {
    let facts = known_guards(&definition, known);
    match Workflow::new(definition, &facts) {
        Ok(_) => Vec::new(),
        Err(e) => issues_to_violations(e),
    }
}

/// Compiles a definition; an invalid one is an error naming every problem.
fn compile(
    name: &str,
    definition: Definition,
    facts: &PlainContext,
) -> Result<Workflow<String, String>, CliError> {
    Workflow::new(definition, facts).map_err(|e| CliError::Content {
        file: name.to_owned(),
        message: e.to_string(),
    })
}

/// `itsm workflow show NAME|FILE --format json|mermaid|dot`.
pub(crate) fn show(
    inputs: &mut Inputs<'_>,
    arg: &str,
    format: Format,
    known: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let (name, definition) = load(inputs, arg)?;
    let facts = known_guards(&definition, known);
    let workflow = compile(&name, definition, &facts)?;
    Ok(match format {
        Format::Json => Report::json(workflow.definition())?,
        Format::Mermaid => Report::ok(Output::Text(workflow.to_mermaid())),
        Format::Dot => Report::ok(Output::Text(workflow.to_dot())),
    })
}

/// `itsm workflow validate FILE`.
pub(crate) fn validate(
    inputs: &mut Inputs<'_>,
    file: &str,
    known: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let source = match crate::records::read_for_validation(inputs, file, "workflow") {
        Ok(source) => source,
        Err(report) => return Ok(*report),
    };
    let parsed = crate::input::parse_text::<Definition>(&source, "workflow definition");
    let name = parsed.as_ref().map(|d| d.name.clone()).ok();
    let problems = parsed.map(|definition| definition_problems(definition, known));
    let mut report = problems_report("workflow", &source.name, problems, None);
    if let (Output::Json(out), Some(name)) = (&mut report.output, name)
        && let Some(map) = out.as_object_mut()
    {
        map.insert("workflow".to_owned(), json!(name));
    }
    Ok(report)
}

/// The inputs of `workflow apply` besides the workflow.
pub(crate) struct ApplyArgs {
    pub state: String,
    pub event: String,
    pub actor: Option<PersonId>,
    pub at: DateTime<Utc>,
    pub pass: Vec<String>,
    pub fields: Vec<String>,
    pub reason: Option<String>,
    pub comments: Vec<itsm_core::CommentVisibility>,
    pub facts: Option<String>,
}

/// `itsm workflow apply NAME|FILE --state S --event E`.
pub(crate) fn apply(
    inputs: &mut Inputs<'_>,
    arg: &str,
    args: ApplyArgs,
) -> Result<Report, CliError> {
    let mut facts = match &args.facts {
        Some(file) => inputs.parse::<PlainContext>(file, "facts")?.1,
        None => PlainContext::default(),
    };
    let (name, definition) = load(inputs, arg)?;
    for guard in &args.pass {
        facts = facts.passing(guard.clone());
    }
    for field in &args.fields {
        facts = facts.with_field(field.clone());
    }
    if let Some(reason) = &args.reason {
        facts = facts.with_reason(reason.clone());
    }
    for visibility in &args.comments {
        facts = facts.with_comment(*visibility);
    }
    // The guards of the definition and of the ITIL flows are known: a
    // guard not given with --pass (or in the facts file) fails.
    facts.known_guards.extend(named_guards(&definition));
    facts
        .known_guards
        .extend(Guard::ITIL.iter().map(|g| (*g).to_owned()));
    let workflow = compile(&name, definition, &facts)?;
    match workflow.apply(&args.state, &args.event, args.actor, args.at, &facts) {
        Ok(transition) => Report::json(&transition),
        Err(error) => {
            let message = error.to_string();
            let detail = match &error {
                LifecycleError::UnknownState { state, .. } => {
                    json!({"kind": "unknown_state", "state": state, "states": workflow.states()})
                }
                LifecycleError::Terminal { state, event, .. } => {
                    json!({"kind": "terminal", "state": state, "event": event})
                }
                LifecycleError::NotAllowed {
                    state,
                    event,
                    allowed,
                    ..
                } => {
                    json!({"kind": "not_allowed", "state": state, "event": event, "allowed": allowed})
                }
                LifecycleError::Refused {
                    state,
                    event,
                    to,
                    refusals,
                    ..
                } => {
                    json!({"kind": "refused", "state": state, "event": event, "to": to, "refusals": refusals})
                }
                _ => json!({"kind": "error"}),
            };
            let mut detail = detail;
            if let Some(map) = detail.as_object_mut() {
                map.insert("workflow".to_owned(), json!(workflow.name()));
                map.insert("message".to_owned(), json!(message));
            }
            Ok(Report {
                output: Output::Json(json!({ "error": detail })),
                failure: Some(CliError::Refused { message }),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_flow_loads_and_is_valid() {
        for name in FLOW_NAMES {
            let definition = default_flow(name).unwrap_or_else(|| panic!("{name} is not a flow"));
            let problems = definition_problems(definition, None);
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
        assert!(default_flow("incidents").is_none());
    }
}
