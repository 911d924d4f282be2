//! The desk's configuration: priority matrix, calendars, SLA definitions,
//! approval policy and follow-on rules, from defaults or a directory of
//! JSON files.

use std::path::Path;

use itsm_core::{PriorityMatrix, PriorityMatrixDefinition};
use itsm_lifecycle::{ApprovalPolicy, MajorIncidentRules, SeparationOfDuties, WorkflowDefinition};
use itsm_sla::{BusinessCalendar, SlaDefinition};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{DeskError, Result};

/// The follow-on rules: what one record's change does to the records linked
/// to it, each one a switch a product may turn off.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct FollowOnRules {
    /// Resolving a problem resolves the linked incidents on hold awaiting it.
    pub resolve_incidents_with_problem: bool,
    /// A known error's workaround is recorded (as a work note) on the
    /// incidents linked to its problem.
    pub workaround_to_incidents: bool,
    /// Implementing the last change of a release in deployment moves the
    /// release on to review.
    pub release_follows_changes: bool,
    /// A release is deployed as one unit: deploying it moves its changes to
    /// implementation, and a failed deployment (`back_out`) backs every one
    /// of them out, recorded on each change.
    pub release_deploys_changes: bool,
    /// Resolving a parent incident resolves its children.
    pub resolve_children_with_parent: bool,
    /// A public comment from the caller on an incident on hold awaiting
    /// the caller is their reply: it resumes the incident
    /// (`caller_updated`), in the same transaction.
    pub caller_reply_resumes: bool,
    /// When a task ends, the pending tasks of its parent whose turn has
    /// come (every task of a lower `order` ended) are made ready, in the
    /// same transaction ([`itsm_lifecycle::ready_tasks`]).
    pub ready_next_tasks: bool,
}

impl Default for FollowOnRules {
    fn default() -> Self {
        Self {
            resolve_incidents_with_problem: true,
            workaround_to_incidents: true,
            release_follows_changes: true,
            release_deploys_changes: true,
            resolve_children_with_parent: true,
            caller_reply_resumes: true,
            ready_next_tasks: true,
        }
    }
}

/// Custom workflows, by kind of record; a kind left empty follows its ITIL
/// default flow ([`itsm_lifecycle::incident_flow`] and the others).
///
/// A custom workflow reshapes a kind's flow: which transitions exist, their
/// guards, the fields a state requires, the effects. Its states and events
/// are the kind's own (an incident's workflow names incident states), since
/// the records carry them as typed fields. Changes take three workflows, in
/// the order standard, normal, emergency; every other kind takes one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Workflows {
    /// Incidents.
    pub incident: Vec<WorkflowDefinition<String, String>>,
    /// Problems.
    pub problem: Vec<WorkflowDefinition<String, String>>,
    /// Known errors.
    pub known_error: Vec<WorkflowDefinition<String, String>>,
    /// Changes: standard, normal, emergency.
    pub change: Vec<WorkflowDefinition<String, String>>,
    /// Releases.
    pub release: Vec<WorkflowDefinition<String, String>>,
    /// Service requests.
    pub service_request: Vec<WorkflowDefinition<String, String>>,
    /// Knowledge articles.
    pub knowledge_article: Vec<WorkflowDefinition<String, String>>,
    /// Request items (the service request flow by default): one or more,
    /// with distinct names; an item follows the one its catalog item names
    /// (`workflow`), else the first.
    pub request_item: Vec<WorkflowDefinition<String, String>>,
    /// Tasks.
    pub task: Vec<WorkflowDefinition<String, String>>,
}

impl Workflows {
    /// The kinds' names (as in `workflows/<kind>.json`) and their workflows.
    #[must_use]
    pub fn by_kind(&self) -> [(&'static str, &Vec<WorkflowDefinition<String, String>>); 9] {
        [
            ("incident", &self.incident),
            ("problem", &self.problem),
            ("known_error", &self.known_error),
            ("change", &self.change),
            ("release", &self.release),
            ("service_request", &self.service_request),
            ("knowledge_article", &self.knowledge_article),
            ("request_item", &self.request_item),
            ("task", &self.task),
        ]
    }

    fn by_kind_mut(&mut self, kind: &str) -> Option<&mut Vec<WorkflowDefinition<String, String>>> {
        Some(match kind {
            "incident" => &mut self.incident,
            "problem" => &mut self.problem,
            "known_error" => &mut self.known_error,
            "change" => &mut self.change,
            "release" => &mut self.release,
            "service_request" => &mut self.service_request,
            "knowledge_article" => &mut self.knowledge_article,
            "request_item" => &mut self.request_item,
            "task" => &mut self.task,
            _ => return None,
        })
    }
}

/// What a desk runs on: plain data, validated by [`Desk::open`](crate::Desk::open).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Config {
    /// The priority matrix that derives incidents' and problems' priorities.
    pub matrix: PriorityMatrixDefinition,
    /// The business calendars SLA definitions name.
    pub calendars: Vec<BusinessCalendar>,
    /// The SLA definitions; each attaches to the records its conditions match.
    pub slas: Vec<SlaDefinition>,
    /// How approvals of changes and requests are decided.
    pub approval_policy: ApprovalPolicy,
    /// The follow-on rules.
    #[serde(default)]
    pub rules: FollowOnRules,
    /// Separation of duties on approvals: by default the requester of a
    /// change or a request may not be asked for, nor give, its approval.
    #[serde(default)]
    pub separation_of_duties: SeparationOfDuties,
    /// Custom workflows; the ITIL default flows where empty.
    #[serde(default)]
    pub workflows: Workflows,
    /// Which records may not be resolved or closed while one of their
    /// tasks is active; on by default for incidents, problems, changes and
    /// request items, [`TaskRule::off`](itsm_lifecycle::TaskRule::off) to
    /// switch it off.
    #[serde(default)]
    pub task_rule: itsm_lifecycle::TaskRule,
    /// The criteria that propose an incident as a major incident.
    #[serde(default)]
    pub major_incident_rules: MajorIncidentRules,
    /// The people, groups and roles the desk acts for. With one, a command
    /// by a person is checked against their roles' permissions, the guards
    /// roles decide (`guard_roles`) come from their roles and no longer from
    /// the caller, assignments go only to active members of active groups,
    /// and approvers are active people of the directory. Without one, the
    /// desk trusts its caller, as before.
    #[serde(default)]
    pub directory: Option<itsm_core::Directory>,
    /// Which roles pass which guards (by default `problem_manager` passes
    /// `reanalyze_role`); read only with a directory.
    #[serde(default)]
    pub guard_roles: itsm_lifecycle::GuardRoles,
}

// The crate's own copies (a published crate holds no file outside its
// directory); `tests/config.rs` checks they equal `docs/examples/sla/`.
const RESPONSE: &str = include_str!("../defaults/incident-response.sla.json");
const RESOLUTION: &str = include_str!("../defaults/incident-resolution.sla.json");

impl Default for Config {
    /// The ITIL flows' companions: the ServiceNow 3×3 matrix, a 24×7
    /// calendar named `24x7`, the example incident response and resolution
    /// SLAs (`docs/examples/sla/`, copied in the crate's `defaults/`) on that calendar, approval by every
    /// approver asked, and every follow-on rule on.
    fn default() -> Self {
        let slas = [RESPONSE, RESOLUTION]
            .iter()
            .filter_map(|text| SlaDefinition::from_json(text).ok())
            .map(|mut d| {
                d.calendar = Some("24x7".to_owned());
                d
            })
            .collect();
        Self {
            matrix: PriorityMatrix::servicenow().definition().clone(),
            calendars: vec![BusinessCalendar::always("24x7")],
            slas,
            approval_policy: ApprovalPolicy::All,
            rules: FollowOnRules::default(),
            separation_of_duties: SeparationOfDuties::default(),
            workflows: Workflows::default(),
            task_rule: itsm_lifecycle::TaskRule::default(),
            major_incident_rules: MajorIncidentRules::default(),
            directory: None,
            guard_roles: itsm_lifecycle::GuardRoles::default(),
        }
    }
}

impl Config {
    /// Reads a configuration directory, every file optional, each missing
    /// part taken from [`Config::default`]:
    /// - `matrix.json`: a priority matrix definition;
    /// - `calendars/*.json`: business calendars (replace the default);
    /// - `slas/*.json`: SLA definitions (replace the default);
    /// - `policy.json`: the approval policy;
    /// - `rules.json`: the follow-on rules;
    /// - `separation_of_duties.json`: the rules of separation of duties;
    /// - `major_incident_rules.json`: the criteria that propose a major incident;
    /// - `directory.json`: the people, groups and roles the desk acts for;
    /// - `guard_roles.json`: which roles pass which guards;
    /// - `workflows/<kind>.json` (`incident`, `problem`, `known_error`,
    ///   `change`, `release`, `service_request`, `knowledge_article`,
    ///   `request_item`, `task`): a workflow definition, or an array of them
    ///   (a change's three);
    /// - `task_rule.json`: which parents wait for their active tasks;
    ///
    /// # Errors
    /// [`DeskError::Config`] listing every file that cannot be read or
    /// parsed, with the JSON path of the problem, and every definition that
    /// does not validate.
    pub fn load_dir(dir: &Path) -> Result<Self> {
        let mut config = Self::default();
        let mut problems = Vec::new();
        if !dir.is_dir() {
            return Err(DeskError::Config {
                problems: vec![format!("{}: not a directory", dir.display())],
            });
        }
        let read = |path: &Path, problems: &mut Vec<String>| -> Option<String> {
            std::fs::read_to_string(path)
                .map_err(|e| problems.push(format!("{}: {e}", path.display())))
                .ok()
        };
        let matrix = dir.join("matrix.json");
        if matrix.exists()
            && let Some(text) = read(&matrix, &mut problems)
        {
            match itsm_core::from_json::<PriorityMatrixDefinition>(&text) {
                Ok(m) => config.matrix = m,
                Err(e) => problems.push(format!("{}: {e}", matrix.display())),
            }
        }
        for (name, target) in [
            ("policy.json", 0),
            ("rules.json", 1),
            ("separation_of_duties.json", 2),
            ("task_rule.json", 3),
        ] {
            let path = dir.join(name);
            if !path.exists() {
                continue;
            }
            let Some(text) = read(&path, &mut problems) else {
                continue;
            };
            let parsed = match target {
                0 => itsm_core::from_json::<ApprovalPolicy>(&text)
                    .map(|p| config.approval_policy = p),
                1 => itsm_core::from_json::<FollowOnRules>(&text).map(|r| config.rules = r),
                2 => itsm_core::from_json::<SeparationOfDuties>(&text)
                    .map(|r| config.separation_of_duties = r),
                _ => itsm_core::from_json::<itsm_lifecycle::TaskRule>(&text)
                    .map(|r| config.task_rule = r),
            };
            if let Err(e) = parsed {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
        let directory = dir.join("directory.json");
        if directory.exists()
            && let Some(text) = read(&directory, &mut problems)
        {
            match itsm_core::from_json::<itsm_core::Directory>(&text) {
                Ok(d) => config.directory = Some(d),
                Err(e) => problems.push(format!("{}: {e}", directory.display())),
            }
        }
        let guard_roles = dir.join("guard_roles.json");
        if guard_roles.exists()
            && let Some(text) = read(&guard_roles, &mut problems)
        {
            match itsm_core::from_json::<itsm_lifecycle::GuardRoles>(&text) {
                Ok(g) => config.guard_roles = g,
                Err(e) => problems.push(format!("{}: {e}", guard_roles.display())),
            }
        }
        let major = dir.join("major_incident_rules.json");
        if major.exists()
            && let Some(text) = read(&major, &mut problems)
        {
            match MajorIncidentRules::from_json(&text) {
                Ok(r) => config.major_incident_rules = r,
                Err(e) => problems.push(format!("{}: {e}", major.display())),
            }
        }
        let calendars = files(&dir.join("calendars"), &mut problems);
        if !calendars.is_empty() {
            config.calendars.clear();
            for path in calendars {
                if let Some(text) = read(&path, &mut problems) {
                    match BusinessCalendar::from_json(&text) {
                        Ok(c) => config.calendars.push(c),
                        Err(e) => problems.push(format!("{}: {e}", path.display())),
                    }
                }
            }
        }
        let slas = files(&dir.join("slas"), &mut problems);
        if !slas.is_empty() {
            config.slas.clear();
            for path in slas {
                if let Some(text) = read(&path, &mut problems) {
                    match SlaDefinition::from_json(&text) {
                        Ok(d) => config.slas.push(d),
                        Err(e) => problems.push(format!("{}: {e}", path.display())),
                    }
                }
            }
        }
        for path in files(&dir.join("workflows"), &mut problems) {
            let kind = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_owned();
            let Some(target) = config.workflows.by_kind_mut(&kind) else {
                problems.push(format!(
                    "{}: {kind:?} is not a kind of record with a workflow (incident, problem, \
                     known_error, change, release, service_request, knowledge_article, \
                     request_item, task)",
                    path.display()
                ));
                continue;
            };
            let Some(text) = read(&path, &mut problems) else {
                continue;
            };
            let parsed = if text.trim_start().starts_with('[') {
                itsm_core::from_json::<Vec<WorkflowDefinition<String, String>>>(&text)
            } else {
                itsm_core::from_json::<WorkflowDefinition<String, String>>(&text).map(|d| vec![d])
            };
            match parsed {
                Ok(defs) => *target = defs,
                Err(e) => problems.push(format!("{}: {e}", path.display())),
            }
        }
        problems.extend(config.problems());
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(DeskError::Config { problems })
        }
    }

    /// Every problem of the configuration as a whole: a matrix that is not
    /// total, a calendar or SLA definition that does not validate, an SLA
    /// naming a calendar that is not configured, two calendars or SLAs of
    /// one name, a custom workflow that names another kind's states or
    /// events or does not validate, a kind given the wrong number of
    /// workflows.
    #[must_use]
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        crate::flows::Flows::compile(
            &self.workflows,
            (
                self.approval_policy,
                self.separation_of_duties,
                &self.task_rule,
            ),
            None,
            &mut problems,
        );
        if let Err(e) = PriorityMatrix::new(self.matrix.clone()) {
            problems.push(format!("matrix: {e}"));
        }
        if let Some(directory) = &self.directory {
            use itsm_core::Validate;
            problems.extend(
                directory
                    .validate()
                    .iter()
                    .map(|v| format!("directory.{v}")),
            );
            for (i, role) in directory.roles.iter().enumerate() {
                problems.extend(
                    itsm_lifecycle::permission_problems(role)
                        .iter()
                        .map(|v| format!("directory.roles[{i}].{v}")),
                );
            }
            // The default names `problem_manager`, which a directory may
            // leave out (nobody re-analyses then); roles a product chose
            // must exist.
            if self.guard_roles != itsm_lifecycle::GuardRoles::default() {
                problems.extend(
                    self.guard_roles
                        .validate(directory)
                        .iter()
                        .map(|v| format!("guard_roles.{v}")),
                );
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, c) in self.calendars.iter().enumerate() {
            if !names.insert(c.name.as_str()) {
                problems.push(format!("calendars[{i}].name: {:?} appears twice", c.name));
            }
            if let Err(e) = itsm_sla::CompiledCalendar::new(c) {
                problems.push(format!("calendars[{i}] ({:?}): {e}", c.name));
            }
        }
        let mut slas = std::collections::BTreeSet::new();
        for (i, d) in self.slas.iter().enumerate() {
            if !slas.insert(d.name.as_str()) {
                problems.push(format!("slas[{i}].name: {:?} appears twice", d.name));
            }
            if let Err(e) = itsm_sla::CompiledSla::new(d) {
                problems.push(format!("slas[{i}] ({:?}): {e}", d.name));
            }
            match &d.calendar {
                Some(name) if !names.contains(name.as_str()) => problems.push(format!(
                    "slas[{i}].calendar: {name:?} is not a configured calendar"
                )),
                None if self.calendars.is_empty() => {
                    problems.push(format!("slas[{i}].calendar: no calendar is configured"))
                }
                _ => {}
            }
        }
        problems
    }
}

/// The `.json` files of a directory, in name order (none if it is absent).
fn files(dir: &Path, problems: &mut Vec<String>) -> Vec<std::path::PathBuf> {
    if !dir.exists() {
        return Vec::new();
    }
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut out: Vec<_> = entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect();
            out.sort();
            out
        }
        Err(e) => {
            problems.push(format!("{}: {e}", dir.display()));
            Vec::new()
        }
    }
}
