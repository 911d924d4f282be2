//! Replays every committed corpus file and regression input through the
//! fuzz targets' bodies, on stable, without fuzzing: `fuzz/corpus/<target>/`
//! and `fuzz/regressions/<target>/`.

use std::path::Path;

fn inputs(dir: &Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .map(|e| e.expect("a readable directory entry").path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_file_and_regression_input_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut total = 0;
    for (name, target) in itsm_fuzz::TARGETS {
        let corpus = inputs(&root.join("corpus").join(name));
        assert!(!corpus.is_empty(), "fuzz/corpus/{name} has no seed");
        let regressions = inputs(&root.join("regressions").join(name));
        for file in corpus.iter().chain(&regressions) {
            let data = std::fs::read(file).expect("a readable input");
            // A panic names the file.
            eprintln!("{name}: {}", file.display());
            target(&data);
            total += 1;
        }
    }
    eprintln!("{total} inputs replayed");
}

#[test]
fn every_target_has_a_directory_and_a_binary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    for (name, _) in itsm_fuzz::TARGETS {
        assert!(
            root.join("corpus").join(name).is_dir(),
            "fuzz/corpus/{name} is missing"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}

/// The seeds reach the code behind the parsers: a corpus whose documents no
/// longer parse (after a format change) would fuzz nothing but the parser.
#[test]
fn the_seeds_parse_and_compile() {
    use itsm_sla::{BusinessCalendar, CompiledCalendar, CompiledSla, SlaDefinition};
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let read = |path: &str| std::fs::read(root.join(path)).unwrap();

    let data = read("sla_evaluate/incident-resolution.json");
    let (docs, _) = itsm_fuzz::documents(&data, 4);
    assert_eq!(docs.len(), 3);
    let sla = CompiledSla::new(&SlaDefinition::from_json(docs[0]).unwrap()).unwrap();
    let timeline = itsm_core::from_json::<itsm_core::Timeline>(docs[1]).unwrap();
    let calendar = CompiledCalendar::new(&BusinessCalendar::from_json(docs[2]).unwrap()).unwrap();
    let now = timeline.events.last().unwrap().at + chrono::Duration::days(30);
    let evaluation = itsm_sla::evaluate(&sla, &calendar, &timeline, now).unwrap();
    assert!(!evaluation.cycles.is_empty());

    let data = read("calendar/uk-office-probes.bin");
    let (docs, rest) = itsm_fuzz::documents(&data, 1);
    assert_eq!((docs.len(), rest.len()), (1, 49)); // a newline, then 3 probes

    let data = read("workflow/awaiting_vendor-events.json");
    let (docs, _) = itsm_fuzz::documents(&data, 3);
    assert_eq!(docs.len(), 3);
    let definition =
        itsm_lifecycle::WorkflowDefinition::<String, String>::from_json(docs[0]).unwrap();
    let context = itsm_core::from_json::<itsm_lifecycle::PlainContext>(docs[1]).unwrap();
    itsm_lifecycle::Workflow::new(definition, &context).unwrap();

    let data = read("cmdb/estate-options.json");
    let (docs, _) = itsm_fuzz::documents(&data, 2);
    let cmdb = itsm_cmdb::Cmdb::from_json(docs[0]).unwrap();
    assert!(cmdb.ci_count() > 1);
    itsm_core::from_json::<itsm_cmdb::QueryOptions>(docs[1]).unwrap();

    for line in std::str::from_utf8(&read("desk_command/batch.jsonl"))
        .unwrap()
        .lines()
    {
        itsm_core::from_json::<itsm_desk::CommandAt>(line).unwrap();
    }
    let open = std::str::from_utf8(&read("desk_command/open.json"))
        .unwrap()
        .to_owned();
    itsm_core::from_json::<itsm_desk::CommandAt>(&open).unwrap();
    let event = std::str::from_utf8(&read("store_payload/timeline_event.json"))
        .unwrap()
        .to_owned();
    let event = itsm_core::from_json::<itsm_store::RecordedEvent>(&event).unwrap();
    itsm_store::PayloadRegistry::standard()
        .decode::<itsm_core::TimelineEvent>(&event)
        .unwrap();

    // Every interop seed imports, so each one reaches the export and the
    // second import; and every format (first byte) has a seed.
    let mut formats = std::collections::BTreeSet::new();
    for file in inputs(&root.join("interop")) {
        let data = std::fs::read(&file).unwrap();
        assert!(
            itsm_fuzz::interop_imports(&data),
            "{} does not import",
            file.display()
        );
        formats.insert(data[0]);
    }
    assert_eq!(formats, (0..11).collect(), "a format has no interop seed");
}
