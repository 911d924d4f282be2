//! The typed lifecycles a desk runs: the ITIL default flows, or the custom
//! workflows of its configuration, checked against each kind's states and
//! events.

use itsm_core::{
    Change, Incident, KnowledgeArticle, KnownError, PriorityMatrix, Problem, Release,
    ServiceRequest,
};
use itsm_lifecycle::{
    ApprovalPolicy, Lifecycle, PlainContext, SeparationOfDuties, Workflow, WorkflowDefinition,
};

use crate::config::Workflows;

/// One lifecycle per kind of record.
#[derive(Debug)]
pub(crate) struct Flows {
    pub incident: Lifecycle<Incident>,
    pub problem: Lifecycle<Problem>,
    pub known_error: Lifecycle<KnownError>,
    pub change: Lifecycle<Change>,
    pub release: Lifecycle<Release>,
    pub request: Lifecycle<ServiceRequest>,
    pub knowledge: Lifecycle<KnowledgeArticle>,
}

impl Flows {
    /// The lifecycles of `workflows` (the ITIL default where a kind has
    /// none), with `policy` deciding approvals under the rules of
    /// `separation` (changes and requests), and `matrix` deriving
    /// priorities; `None` with every problem pushed when any kind fails.
    pub(crate) fn compile(
        workflows: &Workflows,
        (policy, separation): (ApprovalPolicy, SeparationOfDuties),
        matrix: Option<&PriorityMatrix>,
        problems: &mut Vec<String>,
    ) -> Option<Self> {
        let incident = typed::<Incident>(&workflows.incident, "incident", problems);
        let problem = typed::<Problem>(&workflows.problem, "problem", problems);
        let known_error = typed::<KnownError>(&workflows.known_error, "known_error", problems);
        let change = typed::<Change>(&workflows.change, "change", problems);
        let release = typed::<Release>(&workflows.release, "release", problems);
        let request =
            typed::<ServiceRequest>(&workflows.service_request, "service_request", problems);
        let knowledge =
            typed::<KnowledgeArticle>(&workflows.knowledge_article, "knowledge_article", problems);
        let (
            Some(incident),
            Some(problem),
            Some(known_error),
            Some(change),
            Some(release),
            Some(request),
            Some(knowledge),
        ) = (
            incident,
            problem,
            known_error,
            change,
            release,
            request,
            knowledge,
        )
        else {
            return None;
        };
        let (incident, problem) = match matrix {
            Some(m) => (
                incident.with_matrix(m.clone()),
                problem.with_matrix(m.clone()),
            ),
            None => (incident, problem),
        };
        Some(Self {
            incident,
            problem,
            known_error,
            change: change
                .with_policy(policy)
                .with_separation_of_duties(separation),
            release,
            request: request
                .with_policy(policy)
                .with_separation_of_duties(separation),
            knowledge,
        })
    }
}

/// The lifecycle of `R` from its custom workflows, or its ITIL default.
fn typed<R: itsm_lifecycle::Record>(
    definitions: &[WorkflowDefinition<String, String>],
    kind: &str,
    problems: &mut Vec<String>,
) -> Option<Lifecycle<R>> {
    if definitions.is_empty() {
        return Lifecycle::itil()
            .map_err(|e| problems.push(format!("workflows.{kind}: {e}")))
            .ok();
    }
    let mut flows = Vec::with_capacity(definitions.len());
    let before = problems.len();
    for (i, definition) in definitions.iter().enumerate() {
        let at = format!("workflows.{kind}[{i}]");
        // The string-keyed definition read again with the kind's own states
        // and events: a name the kind does not have is refused with its path.
        let typed: WorkflowDefinition<R::State, R::Event> = match serde_json::to_value(definition)
            .map_err(|e| e.to_string())
            .and_then(|v| {
                serde_path_to_error::deserialize(v)
                    .map_err(|e| format!("{}: {}", e.path(), e.inner()))
            }) {
            Ok(t) => t,
            Err(message) => {
                problems.push(format!("{at}.{message}"));
                continue;
            }
        };
        match Workflow::new(typed, &PlainContext::itil()) {
            Ok(w) => flows.push(w),
            Err(e) => problems.push(format!("{at} ({:?}): {e}", definition.name)),
        }
    }
    if problems.len() > before {
        return None;
    }
    Lifecycle::with_workflows(flows)
        .map_err(|e| problems.push(format!("workflows.{kind}: {e}")))
        .ok()
}
