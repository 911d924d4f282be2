//! Impact analysis on the sample estate (`data/estate.json`): Payroll and DNS
//! running on a four-host VMware cluster that needs half its hosts, each host
//! with two power supplies, and the DNS virtual machine pinned to one host.
//!
//! The example fails one host at a time and then three together, and prints
//! the impacted CIs with their depth, the services taken down with the path
//! the failure travelled, and the CIs whose redundancy held (degraded, not
//! impacted); then the single points of failure of Payroll.
//!
//! Run it with `cargo run -p itsm-examples --example cmdb_impact`.

use std::error::Error;
use std::fmt::Write as _;

use itsm::CiId;
use itsm::cmdb::{Cmdb, CmdbData, GraphIndex, QueryOptions};

type Res<T> = Result<T, Box<dyn Error>>;

const PAYROLL: CiId = CiId::from_u128(0x0190_e3a4_0000_7000_8000_0000_0000_0002);

#[allow(dead_code)] // unused when the tests include this file
fn main() -> Res<()> {
    print!("{}", run()?);
    Ok(())
}

/// The example's output.
///
/// # Errors
/// Any error of the library or of the sample data.
pub fn run() -> Res<String> {
    let cmdb = Cmdb::import(itsm::from_json::<CmdbData>(include_str!(
        "data/estate.json"
    ))?)?;
    let index = cmdb.index()?;
    let mut out = String::new();
    let o = &mut out;
    writeln!(
        o,
        "Estate: {} CIs, {} relationships; the index follows {} impact arcs.",
        cmdb.ci_count(),
        cmdb.relationship_count(),
        index.impact_arc_count()
    )?;

    let host = |name: &str| id_of(&cmdb, name);
    let scenarios: [(&str, Vec<CiId>); 3] = [
        ("host esx-a-01 fails", vec![host("esx-a-01")?]),
        ("host esx-a-04 fails", vec![host("esx-a-04")?]),
        (
            "hosts esx-a-01, esx-a-02 and esx-a-03 fail",
            vec![host("esx-a-01")?, host("esx-a-02")?, host("esx-a-03")?],
        ),
    ];
    let mut searcher = index.searcher();
    for (what, failed) in &scenarios {
        let report = searcher.impact(failed, &QueryOptions::new())?;
        writeln!(o, "\nWhen {what}:")?;
        let others: Vec<String> = report
            .impacted
            .iter()
            .filter(|r| r.depth > 0)
            .map(|r| format!("{} ({})", name(&cmdb, r.ci), r.depth))
            .collect();
        writeln!(
            o,
            "  impacted (depth): {}",
            if others.is_empty() {
                "nothing else".to_owned()
            } else {
                others.join(", ")
            }
        )?;
        for service in &report.services {
            let path = report.path_to(service).ok_or("no path")?;
            writeln!(
                o,
                "  service down: {} via {}",
                name(&cmdb, *service),
                path.iter()
                    .map(|c| name(&cmdb, *c))
                    .collect::<Vec<_>>()
                    .join(" → ")
            )?;
        }
        for d in &report.degraded {
            writeln!(
                o,
                "  degraded, not impacted: {} ({} of {} {} down, {} must stay up)",
                name(&cmdb, d.ci),
                d.failed,
                d.total,
                d.relationship_type,
                d.required
            )?;
        }
    }

    spofs(&cmdb, &index, o)?;
    Ok(out)
}

/// The single points of failure of Payroll, nearest first.
fn spofs(cmdb: &Cmdb, index: &GraphIndex, o: &mut String) -> Res<()> {
    let list = index.single_points_of_failure(&PAYROLL, &QueryOptions::new())?;
    writeln!(
        o,
        "\nSingle points of failure of {} ({}):",
        name(cmdb, PAYROLL),
        list.len()
    )?;
    let mut depth = 0;
    let mut line = String::new();
    for s in &list {
        if s.depth != depth && !line.is_empty() {
            writeln!(o, "  depth {depth}: {line}")?;
            line.clear();
        }
        depth = s.depth;
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(&name(cmdb, s.ci));
    }
    if !line.is_empty() {
        writeln!(o, "  depth {depth}: {line}")?;
    }
    writeln!(
        o,
        "  (the cluster's other hosts and every power supply are redundant; esx-a-04 is not: vm-dns-01 is pinned to it)"
    )?;
    Ok(())
}

fn id_of(cmdb: &Cmdb, name: &str) -> Res<CiId> {
    cmdb.data()
        .cis
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.id)
        .ok_or_else(|| format!("no CI named {name:?} in the estate").into())
}

fn name(cmdb: &Cmdb, id: CiId) -> String {
    cmdb.ci(&id)
        .map_or_else(|| id.to_string(), |c| c.name.clone())
}
