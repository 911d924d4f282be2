//! The typed lifecycles a desk runs: the ITIL default flows, or the custom
//! workflows of its configuration, checked against each kind's states and
//! events.

use itsm_core::{
    Change, Incident, KnowledgeArticle, KnownError, PriorityMatrix, Problem, Release, RequestItem,
    ServiceRequest, Task,
};
use itsm_lifecycle::{
    ApprovalPolicy, Lifecycle, PlainContext, SeparationOfDuties, TaskRule, Workflow,
    WorkflowDefinition,
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
    pub request_item: Lifecycle<RequestItem>,
    pub task: Lifecycle<Task>,
}

impl Flows {
    /// The lifecycles of `workflows` (the ITIL default where a kind has
    /// none), with `policy` deciding approvals under the rules of
    /// `separation` (changes and requests), `matrix` deriving priorities
    /// and `tasks` keeping parents open while their tasks are; `None` with
    /// every problem pushed when any kind fails.
    pub(crate) fn compile(
        workflows: &Workflows,
        (policy, separation, tasks): (ApprovalPolicy, SeparationOfDuties, &TaskRule),
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
        let request_item = typed::<RequestItem>(&workflows.request_item, "request_item", problems);
        let task = typed::<Task>(&workflows.task, "task", problems);
        let (
            Some(incident),
            Some(problem),
            Some(known_error),
            Some(change),
            Some(release),
            Some(request),
            Some(knowledge),
            Some(request_item),
            Some(task),
        ) = (
            incident,
            problem,
            known_error,
            change,
            release,
            request,
            knowledge,
            request_item,
            task,
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
            incident: incident.with_task_rule(tasks.clone()),
            problem: problem.with_task_rule(tasks.clone()),
            known_error,
            change: change
                .with_policy(policy)
                .with_separation_of_duties(separation)
                .with_task_rule(tasks.clone()),
            release,
            request: request
                .with_policy(policy)
                .with_separation_of_duties(separation),
            knowledge,
            request_item: request_item
                .with_policy(policy)
                .with_separation_of_duties(separation)
                .with_task_rule(tasks.clone()),
            task,
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
