//! `itsm cmdb validate | impact | cycles | spof | root-cause | diff | conflicts`.

use std::collections::HashMap;

use itsm_cmdb::{
    ChangeSchedule, Cmdb, CmdbData, CmdbDiff, CmdbError, CompiledSchedule, GraphIndex,
    ImpactReport, QueryOptions, ReachedCi, RootCauseCandidate, SinglePointOfFailure,
};
use itsm_core::{Change, CiId, Violation};
use serde::Serialize;
use serde_json::json;

use crate::input::Inputs;
use crate::records::problems_report;
use crate::{CliError, Report, to_json};

/// A graph file imported and indexed.
struct Graph {
    cmdb: Cmdb,
    index: GraphIndex,
}

/// Fills every definition list `data` leaves empty from the starter set.
pub(crate) fn with_starter(mut data: CmdbData) -> CmdbData {
    let starter = CmdbData::starter();
    if data.classes.is_empty() {
        data.classes = starter.classes;
    }
    if data.relationship_types.is_empty() {
        data.relationship_types = starter.relationship_types;
    }
    if data.rules.is_empty() {
        data.rules = starter.rules;
    }
    if data.identification_rules.is_empty() {
        data.identification_rules = starter.identification_rules;
    }
    if data.reconciliation_rules.is_empty() {
        data.reconciliation_rules = starter.reconciliation_rules;
    }
    data
}

/// Imports `data`: the store, or every problem found.
pub(crate) fn import_problems(data: CmdbData) -> (Option<Cmdb>, Vec<Violation>) {
    match Cmdb::import(data) {
        Ok(cmdb) => (Some(cmdb), Vec::new()),
        Err(CmdbError::Invalid { problems }) => (None, problems),
        Err(other) => (
            None,
            vec![Violation::new(".", "invalid", other.to_string())],
        ),
    }
}

fn read_data(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
) -> Result<(String, CmdbData), CliError> {
    let (source, data) = inputs.parse::<CmdbData>(file, "cmdb graph")?;
    let data = if starter { with_starter(data) } else { data };
    Ok((source.name, data))
}

fn load(inputs: &mut Inputs<'_>, file: &str, starter: bool) -> Result<Graph, CliError> {
    let (name, data) = read_data(inputs, file, starter)?;
    let cmdb = Cmdb::import(data).map_err(|e| CliError::Content {
        file: name,
        message: e.to_string(),
    })?;
    let index = cmdb.index().map_err(refused)?;
    Ok(Graph { cmdb, index })
}

fn refused(e: impl std::fmt::Display) -> CliError {
    CliError::Refused {
        message: e.to_string(),
    }
}

impl Graph {
    /// A CI by id, or by name when exactly one CI has it.
    fn resolve(&self, arg: &str) -> Result<CiId, CliError> {
        if let Ok(id) = arg.parse::<CiId>() {
            return Ok(id);
        }
        let named: Vec<CiId> = self
            .cmdb
            .data()
            .cis
            .iter()
            .filter(|ci| ci.name == arg)
            .map(|ci| ci.id)
            .collect();
        match named.as_slice() {
            [id] => Ok(*id),
            [] => Err(CliError::Refused {
                message: format!("no configuration item has the id or name {arg:?}"),
            }),
            several => Err(CliError::Refused {
                message: format!(
                    "{} configuration items are named {arg:?}; give one of their ids: {}",
                    several.len(),
                    several
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    fn resolve_all(&self, args: &[String]) -> Result<Vec<CiId>, CliError> {
        args.iter().map(|a| self.resolve(a)).collect()
    }
}

fn options(max_depth: Option<u32>, types: Option<Vec<String>>) -> QueryOptions {
    QueryOptions {
        max_depth,
        relationship_types: types,
    }
}

/// The path from a starting CI to `ci`, by following `via` links from the
/// CI's position in `reached` (each step strictly closer to a start, so at
/// most `reached.len()` steps); `None` when `ci` was not reached.
fn path_to(reached: &[ReachedCi], position: &HashMap<CiId, usize>, ci: &CiId) -> Option<Vec<CiId>> {
    let mut at = &reached[*position.get(ci)?];
    let mut path = vec![at.ci];
    for _ in 0..reached.len() {
        let Some(prev) = at.via else { break };
        path.push(prev);
        match position.get(&prev) {
            Some(&p) => at = &reached[p],
            None => break,
        }
    }
    path.reverse();
    Some(path)
}

/// A CI's name and class, borrowed from the CMDB (`null` when unknown).
#[derive(Serialize)]
struct Named<'a> {
    id: CiId,
    name: Option<&'a str>,
    class: Option<&'a str>,
}

impl Graph {
    fn named(&self, id: CiId) -> Named<'_> {
        let ci = self.cmdb.ci(&id);
        Named {
            id,
            name: ci.map(|c| c.name.as_str()),
            class: ci.map(|c| c.class.as_str()),
        }
    }
}

/// `itsm cmdb impact`'s answer, written as it is serialized: every impacted
/// CI with its predecessor (`via`), and full paths only for the CIs asked
/// for, so that the answer grows with the number of CIs, never with the
/// square of a chain's depth.
struct ImpactAnswer {
    graph: Graph,
    report: ImpactReport,
    paths: Vec<(CiId, Vec<CiId>)>,
}

#[derive(Serialize)]
struct ImpactedRow<'a> {
    #[serde(flatten)]
    ci: Named<'a>,
    depth: u32,
    via: Option<CiId>,
    relationship_type: Option<&'a str>,
    service: bool,
}

#[derive(Serialize)]
struct DegradedRow<'a> {
    #[serde(flatten)]
    ci: Named<'a>,
    relationship_type: &'a str,
    failed: u32,
    total: u32,
    required: u32,
}

/// A sequence serialized from an iterator made on demand.
struct Lazy<F>(F);

impl<F, I> Serialize for Lazy<F>
where
    F: Fn() -> I,
    I: IntoIterator,
    I::Item: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

impl Serialize for ImpactAnswer {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let graph = &self.graph;
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry(
            "impacted",
            &Lazy(|| {
                self.report.impacted.iter().map(|r| ImpactedRow {
                    ci: graph.named(r.ci),
                    depth: r.depth,
                    via: r.via,
                    relationship_type: r.relationship_type.as_deref(),
                    service: r.service,
                })
            }),
        )?;
        map.serialize_entry(
            "degraded",
            &Lazy(|| {
                self.report.degraded.iter().map(|d| DegradedRow {
                    ci: graph.named(d.ci),
                    relationship_type: &d.relationship_type,
                    failed: d.failed,
                    total: d.total,
                    required: d.required,
                })
            }),
        )?;
        map.serialize_entry("services", &self.report.services)?;
        map.serialize_entry(
            "paths",
            &LazyMap(|| self.paths.iter().map(|(ci, path)| (ci.to_string(), path))),
        )?;
        map.end()
    }
}

/// A map serialized from an iterator of entries made on demand.
struct LazyMap<F>(F);

impl<F, I, K, V> Serialize for LazyMap<F>
where
    F: Fn() -> I,
    I: IntoIterator<Item = (K, V)>,
    K: Serialize,
    V: Serialize,
{
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map((self.0)())
    }
}

/// `itsm cmdb validate --graph FILE`.
pub(crate) fn validate(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
) -> Result<Report, CliError> {
    let source = match crate::records::read_for_validation(inputs, file, "cmdb") {
        Ok(source) => source,
        Err(report) => return Ok(*report),
    };
    let parsed = crate::input::parse_text::<CmdbData>(&source, "cmdb graph");
    let counts = parsed
        .as_ref()
        .map(|d| (d.cis.len(), d.relationships.len()))
        .ok();
    let problems = parsed.map(|data| {
        let data = if starter { with_starter(data) } else { data };
        import_problems(data).1
    });
    let mut report = problems_report("cmdb", &source.name, problems, None);
    if let (crate::Output::Json(out), Some((cis, relationships))) = (&mut report.output, counts)
        && let Some(map) = out.as_object_mut()
    {
        map.insert("cis".to_owned(), json!(cis));
        map.insert("relationships".to_owned(), json!(relationships));
    }
    Ok(report)
}

/// `itsm cmdb impact --graph FILE --failed ID … [--path-to ID …]`.
pub(crate) fn impact(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
    failed: &[String],
    path_to_cis: &[String],
    max_depth: Option<u32>,
    types: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let graph = load(inputs, file, starter)?;
    let failed = graph.resolve_all(failed)?;
    let asked = graph.resolve_all(path_to_cis)?;
    let report = graph
        .index
        .impact(&failed, &options(max_depth, types))
        .map_err(refused)?;
    let paths = if asked.is_empty() {
        Vec::new()
    } else {
        let position: HashMap<CiId, usize> = report
            .impacted
            .iter()
            .enumerate()
            .map(|(i, r)| (r.ci, i))
            .collect();
        asked
            .iter()
            .map(|ci| {
                path_to(&report.impacted, &position, ci)
                    .map(|path| (*ci, path))
                    .ok_or_else(|| CliError::Refused {
                        message: format!(
                            "--path-to {ci}: the CI is not impacted by this failure, so it has no path"
                        ),
                    })
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(Report::ok(crate::Output::Stream(Box::new(ImpactAnswer {
        graph,
        report,
        paths,
    }))))
}

/// `itsm cmdb cycles --graph FILE`.
pub(crate) fn cycles(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
    types: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let graph = load(inputs, file, starter)?;
    let cycles = graph
        .index
        .strongly_connected_components(types.as_deref())
        .map_err(refused)?;
    #[derive(Serialize)]
    struct Cycles {
        cycles: Vec<Vec<CiId>>,
    }
    Ok(Report::ok(crate::Output::Stream(Box::new(Cycles {
        cycles,
    }))))
}

/// `itsm cmdb spof --graph FILE --service ID`.
pub(crate) fn spof(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
    service: &str,
    max_depth: Option<u32>,
    types: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let graph = load(inputs, file, starter)?;
    let service = graph.resolve(service)?;
    let found = graph
        .index
        .single_points_of_failure(&service, &options(max_depth, types))
        .map_err(refused)?;
    struct Spof {
        graph: Graph,
        service: CiId,
        found: Vec<SinglePointOfFailure>,
    }
    #[derive(Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        ci: Named<'a>,
        depth: u32,
    }
    impl Serialize for Spof {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(2))?;
            map.serialize_entry("service", &self.service)?;
            map.serialize_entry(
                "single_points_of_failure",
                &Lazy(|| {
                    self.found.iter().map(|s| Row {
                        ci: self.graph.named(s.ci),
                        depth: s.depth,
                    })
                }),
            )?;
            map.end()
        }
    }
    Ok(Report::ok(crate::Output::Stream(Box::new(Spof {
        graph,
        service,
        found,
    }))))
}

/// `itsm cmdb root-cause --graph FILE --impacted ID …`.
pub(crate) fn root_cause(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
    impacted: &[String],
    limit: usize,
    max_depth: Option<u32>,
    types: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let graph = load(inputs, file, starter)?;
    let impacted = graph.resolve_all(impacted)?;
    let candidates = graph
        .index
        .root_causes(&impacted, &options(max_depth, types), limit)
        .map_err(refused)?;
    struct RootCauses {
        graph: Graph,
        candidates: Vec<RootCauseCandidate>,
    }
    #[derive(Serialize)]
    struct Row<'a> {
        #[serde(flatten)]
        ci: Named<'a>,
        explains: &'a [CiId],
        total_depth: u64,
        service: bool,
    }
    impl Serialize for RootCauses {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(
                "candidates",
                &Lazy(|| {
                    self.candidates.iter().map(|c| Row {
                        ci: self.graph.named(c.ci),
                        explains: &c.explains,
                        total_depth: c.total_depth,
                        service: c.service,
                    })
                }),
            )?;
            map.end()
        }
    }
    Ok(Report::ok(crate::Output::Stream(Box::new(RootCauses {
        graph,
        candidates,
    }))))
}

/// `itsm cmdb diff --from FILE --to FILE`.
pub(crate) fn diff(inputs: &mut Inputs<'_>, from: &str, to: &str) -> Result<Report, CliError> {
    let (_, before) = read_data(inputs, from, false)?;
    let (_, after) = read_data(inputs, to, false)?;
    let diff = CmdbDiff::between(&before, &after);
    Ok(Report::ok(crate::Output::Json(to_json(&diff)?)))
}

/// `itsm cmdb conflicts --graph FILE --schedule FILE --change FILE [--changes FILE]`.
///
/// Prints the conflict report (`change`, `number`, `planned`, `conflicts`),
/// each conflict with a `reason` that names the CIs, and exits 1 when there
/// is any conflict (as `validate` does when there is any problem).
pub(crate) fn conflicts(
    inputs: &mut Inputs<'_>,
    graph_file: &str,
    starter: bool,
    schedule_file: &str,
    change_file: &str,
    changes_file: Option<&str>,
) -> Result<Report, CliError> {
    let graph = load(inputs, graph_file, starter)?;
    let (schedule_source, schedule) =
        inputs.parse::<ChangeSchedule>(schedule_file, "change schedule")?;
    let compiled =
        CompiledSchedule::new(&schedule, graph.cmdb.data(), &graph.index).map_err(|e| {
            CliError::Content {
                file: schedule_source.name.clone(),
                message: e.to_string(),
            }
        })?;
    let (change_source, change) = inputs.parse::<Change>(change_file, "change")?;
    let others: Vec<Change> = match changes_file {
        Some(file) => inputs.parse::<Vec<Change>>(file, "list of changes")?.1,
        None => Vec::new(),
    };
    let report = compiled
        .check(&change, &others)
        .map_err(|e| CliError::Content {
            file: change_source.name.clone(),
            message: e.to_string(),
        })?;
    let name = |id: &CiId| {
        graph
            .cmdb
            .ci(id)
            .map_or_else(|| id.to_string(), |ci| ci.name.clone())
    };
    let mut conflicts = Vec::with_capacity(report.conflicts.len());
    for conflict in &report.conflicts {
        let mut value = to_json(conflict)?;
        if let Some(map) = value.as_object_mut() {
            map.insert("reason".to_owned(), json!(conflict.describe(&name)));
        }
        conflicts.push(value);
    }
    let count = conflicts.len();
    let out = json!({
        "change": report.change,
        "number": report.number,
        "planned": report.planned,
        "clear": count == 0,
        "conflicts": conflicts,
    });
    Ok(Report {
        output: crate::Output::Json(out),
        failure: (count > 0).then_some(CliError::Problems {
            file: change_source.name,
            count,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reached(ci: u128, depth: u32, via: Option<u128>) -> ReachedCi {
        ReachedCi {
            ci: CiId::from_u128(ci),
            depth,
            via: via.map(CiId::from_u128),
            relationship_type: via.map(|_| "depends_on".into()),
            service: false,
        }
    }

    /// Every reached CI's path, through `path_to`.
    fn paths(list: &[ReachedCi]) -> Vec<Vec<CiId>> {
        let position: HashMap<CiId, usize> =
            list.iter().enumerate().map(|(i, r)| (r.ci, i)).collect();
        list.iter()
            .map(|r| path_to(list, &position, &r.ci).expect("reached"))
            .collect()
    }

    #[test]
    fn paths_follow_via_back_to_a_start() {
        let list = [
            reached(1, 0, None),
            reached(2, 0, None),
            reached(3, 1, Some(1)),
            reached(4, 2, Some(3)),
            reached(5, 1, Some(2)),
        ];
        let ids = |v: &[u128]| v.iter().map(|&i| CiId::from_u128(i)).collect::<Vec<_>>();
        assert_eq!(
            paths(&list),
            vec![
                ids(&[1]),
                ids(&[2]),
                ids(&[1, 3]),
                ids(&[1, 3, 4]),
                ids(&[2, 5])
            ]
        );
        let position = HashMap::new();
        assert_eq!(path_to(&list, &position, &CiId::from_u128(4)), None);
    }

    #[test]
    fn paths_stop_on_a_broken_chain() {
        // A `via` naming a CI that is not in the list ends the path there.
        let list = [reached(3, 1, Some(9))];
        assert_eq!(
            paths(&list),
            vec![vec![CiId::from_u128(9), CiId::from_u128(3)]]
        );
    }
}
