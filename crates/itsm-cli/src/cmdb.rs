//! `itsm cmdb validate | impact | cycles | spof | root-cause | diff`.

use std::collections::HashMap;

use itsm_cmdb::{Cmdb, CmdbData, CmdbDiff, CmdbError, GraphIndex, QueryOptions, ReachedCi};
use itsm_core::{CiId, Violation};
use serde_json::{Value, json};

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

    /// The name and class of a CI, for people reading the output.
    fn describe(&self, id: &CiId) -> (Value, Value) {
        self.cmdb.ci(id).map_or((Value::Null, Value::Null), |ci| {
            (json!(ci.name), json!(ci.class))
        })
    }
}

fn options(max_depth: Option<u32>, types: Option<Vec<String>>) -> QueryOptions {
    QueryOptions {
        max_depth,
        relationship_types: types,
    }
}

/// For each reached CI, the path from a starting CI to it, by following
/// `via` links (each step strictly closer to a start, so at most `len` steps).
fn paths(reached: &[ReachedCi]) -> Vec<Vec<CiId>> {
    let position: HashMap<CiId, usize> =
        reached.iter().enumerate().map(|(i, r)| (r.ci, i)).collect();
    reached
        .iter()
        .map(|r| {
            let mut path = vec![r.ci];
            let mut at = r;
            for _ in 0..reached.len() {
                let Some(prev) = at.via else { break };
                path.push(prev);
                match position.get(&prev) {
                    Some(&p) => at = &reached[p],
                    None => break,
                }
            }
            path.reverse();
            path
        })
        .collect()
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

/// `itsm cmdb impact --graph FILE --failed ID …`.
pub(crate) fn impact(
    inputs: &mut Inputs<'_>,
    file: &str,
    starter: bool,
    failed: &[String],
    max_depth: Option<u32>,
    types: Option<Vec<String>>,
) -> Result<Report, CliError> {
    let graph = load(inputs, file, starter)?;
    let failed = graph.resolve_all(failed)?;
    let report = graph
        .index
        .impact(&failed, &options(max_depth, types))
        .map_err(refused)?;
    let paths = paths(&report.impacted);
    let impacted: Vec<Value> = report
        .impacted
        .iter()
        .zip(paths)
        .map(|(r, path)| {
            let (name, class) = graph.describe(&r.ci);
            json!({
                "id": r.ci,
                "name": name,
                "class": class,
                "depth": r.depth,
                "path": path,
                "via": r.via,
                "relationship_type": r.relationship_type,
                "service": r.service,
            })
        })
        .collect();
    let degraded: Vec<Value> = report
        .degraded
        .iter()
        .map(|d| {
            let (name, class) = graph.describe(&d.ci);
            json!({
                "id": d.ci,
                "name": name,
                "class": class,
                "relationship_type": d.relationship_type,
                "failed": d.failed,
                "total": d.total,
                "required": d.required,
            })
        })
        .collect();
    Ok(Report::ok(crate::Output::Json(json!({
        "impacted": impacted,
        "degraded": degraded,
        "services": report.services,
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
    Ok(Report::ok(crate::Output::Json(json!({ "cycles": cycles }))))
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
    let list: Vec<Value> = found
        .iter()
        .map(|s| {
            let (name, class) = graph.describe(&s.ci);
            json!({"id": s.ci, "name": name, "class": class, "depth": s.depth})
        })
        .collect();
    Ok(Report::ok(crate::Output::Json(json!({
        "service": service,
        "single_points_of_failure": list,
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
    let list: Vec<Value> = candidates
        .iter()
        .map(|c| {
            let (name, class) = graph.describe(&c.ci);
            json!({
                "id": c.ci,
                "name": name,
                "class": class,
                "explains": c.explains,
                "total_depth": c.total_depth,
                "service": c.service,
            })
        })
        .collect();
    Ok(Report::ok(crate::Output::Json(
        json!({ "candidates": list }),
    )))
}

/// `itsm cmdb diff --from FILE --to FILE`.
pub(crate) fn diff(inputs: &mut Inputs<'_>, from: &str, to: &str) -> Result<Report, CliError> {
    let (_, before) = read_data(inputs, from, false)?;
    let (_, after) = read_data(inputs, to, false)?;
    let diff = CmdbDiff::between(&before, &after);
    Ok(Report::ok(crate::Output::Json(to_json(&diff)?)))
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
