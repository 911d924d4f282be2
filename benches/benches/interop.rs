//! Interop mapping throughput, in records per second: ServiceNow incidents
//! (the 50-record export of `docs/examples/interop/`, with its references
//! and custom fields), Jira issues, TMF621 v4 and v5 tickets and a TMF639
//! resource, imported, exported, and both. The reference beside them is
//! `serde_json` cloning the same record (`Value::clone`), the least any
//! conversion of a JSON record must do.
//!
//! Run: `cargo bench -p itsm-benches --bench interop`.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use itsm_interop::{
    InteropOptions, Jira, JiraMapping, LookupTables, ServiceNow, ServiceNowMapping,
    ServiceNowTable, Tmf621, Tmf621Version, Tmf639, TmfMapping,
};
use serde_json::Value;

fn fixture(path: &str) -> Value {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples/interop")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&full).expect("fixture")).expect("fixture JSON")
}

fn records(value: &Value, key: &str) -> Vec<Value> {
    value[key].as_array().cloned().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let lookup: LookupTables =
        serde_json::from_value(fixture("servicenow/lookup.json")).expect("lookup");
    let options = InteropOptions::default();
    let servicenow =
        ServiceNow::new(ServiceNowMapping::default(), options.clone()).expect("mapping");
    let jira = Jira::new(JiraMapping::default(), options.clone()).expect("mapping");
    let tmf621 = Tmf621::new(TmfMapping::default(), options.clone()).expect("mapping");
    let tmf639 = Tmf639::new(TmfMapping::default(), options).expect("mapping");

    let incidents = records(&fixture("servicenow/incident.json"), "result");
    let issues = records(&fixture("jira/search.json"), "issues");
    let v4 = vec![fixture("tmf621/trouble_ticket_v4.json")];
    let v5 = vec![fixture("tmf621/trouble_ticket_v5.json")];
    let resources = vec![fixture("tmf639/resource.json")];

    let imported: Vec<_> = incidents
        .iter()
        .map(|r| {
            servicenow
                .import(ServiceNowTable::Incident, r, &lookup)
                .expect("import")
                .record
        })
        .collect();

    let mut group = c.benchmark_group("interop");
    group.throughput(Throughput::Elements(incidents.len() as u64));
    group.bench_function("reference: clone 50 servicenow records", |b| {
        b.iter(|| {
            for r in &incidents {
                black_box(r.clone());
            }
        });
    });
    group.bench_function("servicenow import 50 incidents", |b| {
        b.iter(|| {
            for r in &incidents {
                black_box(
                    servicenow
                        .import(ServiceNowTable::Incident, r, &lookup)
                        .expect("import"),
                );
            }
        });
    });
    group.bench_function("servicenow export 50 incidents", |b| {
        b.iter(|| {
            for r in &imported {
                black_box(servicenow.export(r, &lookup).expect("export"));
            }
        });
    });
    group.bench_function("servicenow round trip 50 incidents", |b| {
        b.iter(|| {
            for r in &incidents {
                let ours = servicenow
                    .import(ServiceNowTable::Incident, r, &lookup)
                    .expect("import");
                black_box(servicenow.export(&ours.record, &lookup).expect("export"));
            }
        });
    });
    group.throughput(Throughput::Elements(issues.len() as u64));
    group.bench_function("jira round trip 10 issues", |b| {
        b.iter(|| {
            for r in &issues {
                let ours = jira.import(r, &lookup).expect("import");
                black_box(jira.export(&ours.record, &lookup).expect("export"));
            }
        });
    });
    group.throughput(Throughput::Elements(1));
    for (name, version, tickets) in [
        ("tmf621 v4", Tmf621Version::V4, &v4),
        ("tmf621 v5", Tmf621Version::V5, &v5),
    ] {
        group.bench_function(format!("{name} round trip 1 ticket"), |b| {
            b.iter(|| {
                for r in tickets {
                    let ours = tmf621.import(version, r, &lookup).expect("import");
                    black_box(
                        tmf621
                            .export(version, &ours.record, &lookup)
                            .expect("export"),
                    );
                }
            });
        });
    }
    group.bench_function("tmf639 round trip 1 resource", |b| {
        b.iter(|| {
            for r in &resources {
                let ours = tmf639.import(r, &lookup).expect("import");
                black_box(tmf639.export(&ours.record, &lookup).expect("export"));
            }
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
