//! The vocabulary: priority matrices, record numbers, ids, wire names of every
//! enum, and timelines.

mod common;

use std::collections::BTreeSet;
use std::fmt::{Debug, Display};
use std::str::FromStr;

use common::*;
use itsm_core::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use strum::IntoEnumIterator;

// ---------------------------------------------------------------- priority

/// Checks every cell of `matrix` against `table` (rows of `impacts`, columns
/// of `urgencies`), and that every pair outside the table is an error.
fn check_matrix(
    matrix: &PriorityMatrix,
    impacts: &[Impact],
    urgencies: &[Urgency],
    table: &[&[Priority]],
) {
    for (impact, row) in impacts.iter().zip(table) {
        for (urgency, expected) in urgencies.iter().zip(*row) {
            let actual = matrix.priority(*impact, *urgency);
            assert_eq!(
                actual,
                Ok(*expected),
                "matrix {}: impact {impact}, urgency {urgency}: expected {expected}, actual {actual:?}",
                matrix.name()
            );
        }
    }
    for impact in Impact::iter() {
        for urgency in Urgency::iter() {
            if impacts.contains(&impact) && urgencies.contains(&urgency) {
                continue;
            }
            let actual = matrix.priority(impact, urgency);
            assert_eq!(
                actual,
                Err(CoreError::UndefinedCell {
                    matrix: matrix.name().to_owned(),
                    impact,
                    urgency
                }),
                "matrix {}: impact {impact}, urgency {urgency} is outside the table",
                matrix.name()
            );
        }
    }
    // The definition rebuilds the same matrix.
    assert_eq!(
        PriorityMatrix::new(matrix.definition().clone()).as_ref(),
        Ok(matrix)
    );
    assert_eq!(PriorityMatrix::preset(matrix.name()).as_ref(), Ok(matrix));
}

#[test]
fn servicenow_preset_cells() {
    use Priority::*;
    check_matrix(
        &PriorityMatrix::servicenow(),
        &[Impact::High, Impact::Medium, Impact::Low],
        &[Urgency::High, Urgency::Medium, Urgency::Low],
        &[&[P1, P2, P3], &[P2, P3, P4], &[P3, P4, P5]],
    );
}

#[test]
fn itil_4x4_preset_cells() {
    use Priority::*;
    check_matrix(
        &PriorityMatrix::itil_4x4(),
        &[Impact::VeryHigh, Impact::High, Impact::Medium, Impact::Low],
        &[
            Urgency::VeryHigh,
            Urgency::High,
            Urgency::Medium,
            Urgency::Low,
        ],
        &[
            &[P1, P1, P2, P3],
            &[P1, P2, P3, P4],
            &[P2, P3, P4, P4],
            &[P3, P4, P4, P5],
        ],
    );
}

/// GLPI's own default, as its installer stores it (`priority_matrix` in
/// `install/empty_data.php`): urgency, then impact, then priority, each 1
/// (very low) to 5 (very high).
const GLPI_DEFAULT: &str = r#"{"1":{"1":1,"2":1,"3":2,"4":2,"5":2},"2":{"1":1,"2":2,"3":2,"4":3,"5":3},"3":{"1":2,"2":2,"3":3,"4":4,"5":4},"4":{"1":2,"2":3,"3":4,"4":4,"5":5},"5":{"1":2,"2":3,"3":4,"4":5,"5":5}}"#;

#[test]
fn glpi_preset_cells_match_glpi_installer_default() {
    let glpi: std::collections::BTreeMap<String, std::collections::BTreeMap<String, u8>> =
        serde_json::from_str(GLPI_DEFAULT).unwrap();
    // GLPI level 5 is our level 0 (very high); GLPI priority 5 (very high) is our P2.
    let impacts: Vec<Impact> = (1..=5).rev().map(|g| Impact::ALL[5 - g]).collect();
    let urgencies: Vec<Urgency> = (1..=5).rev().map(|g| Urgency::ALL[5 - g]).collect();
    let rows: Vec<Vec<Priority>> = (1..=5_usize)
        .rev()
        .map(|impact| {
            (1..=5_usize)
                .rev()
                .map(|urgency| {
                    let p = glpi[&urgency.to_string()][&impact.to_string()];
                    Priority::ALL[usize::from(6 - p)]
                })
                .collect()
        })
        .collect();
    let table: Vec<&[Priority]> = rows.iter().map(Vec::as_slice).collect();
    check_matrix(&PriorityMatrix::glpi(), &impacts, &urgencies, &table);
    // And written out by hand, as the doc table shows it.
    use Priority::*;
    check_matrix(
        &PriorityMatrix::glpi(),
        &Impact::ALL,
        &Urgency::ALL,
        &[
            &[P2, P2, P3, P4, P5],
            &[P2, P3, P3, P4, P5],
            &[P3, P3, P4, P5, P5],
            &[P4, P4, P5, P5, P6],
            &[P5, P5, P5, P6, P6],
        ],
    );
}

#[test]
fn unknown_preset_lists_the_presets() {
    let err = PriorityMatrix::preset("jira").unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid priority matrix preset \"jira\": expected one of servicenow_3x3, itil_4x4, glpi_5x5"
    );
}

fn cell(impact: Impact, urgency: Urgency, priority: Priority) -> PriorityCell {
    PriorityCell {
        impact,
        urgency,
        priority,
    }
}

/// A 2×2 matrix definition with all four cells.
fn two_by_two() -> PriorityMatrixDefinition {
    use {Impact as I, Priority as P, Urgency as U};
    PriorityMatrixDefinition {
        name: "two".to_owned(),
        impacts: vec![I::High, I::Low],
        urgencies: vec![U::High, U::Low],
        cells: vec![
            cell(I::High, U::High, P::P1),
            cell(I::High, U::Low, P::P2),
            cell(I::Low, U::High, P::P2),
            cell(I::Low, U::Low, P::P3),
        ],
    }
}

/// Builds a matrix from `definition` and checks the problems reported.
fn check_definition(case: &str, definition: PriorityMatrixDefinition, expected: &[&str]) {
    let name = definition.name.clone();
    match (PriorityMatrix::new(definition), expected.is_empty()) {
        (Ok(_), true) => {}
        (Err(CoreError::InvalidMatrix { name: n, problems }), false) => {
            assert_eq!(n, name, "case {case:?}");
            assert_eq!(
                problems, expected,
                "case {case:?}\nexpected {expected:#?}\nactual {problems:#?}"
            );
        }
        (actual, _) => panic!("case {case:?}: expected problems {expected:?}, actual {actual:?}"),
    }
}

#[test]
fn custom_matrices_report_every_problem() {
    use {Impact as I, Priority as P, Urgency as U};
    let cases: Vec<(&str, PriorityMatrixDefinition, Vec<&str>)> = vec![
        ("complete 2x2", two_by_two(), vec![]),
        (
            "missing cell",
            with(two_by_two(), |d| {
                d.cells.remove(1);
            }),
            vec!["missing cell for impact high and urgency low"],
        ),
        (
            "duplicate cell",
            with(two_by_two(), |d| d.cells.push(cell(I::Low, U::Low, P::P4))),
            vec!["cells[4]: duplicate cell for impact low and urgency low (already p3, now p4)"],
        ),
        (
            "undeclared impact and urgency",
            with(two_by_two(), |d| {
                d.cells.push(cell(I::VeryHigh, U::Medium, P::P1))
            }),
            vec![
                "cells[4]: impact very_high is not one of the declared impacts",
                "cells[4]: urgency medium is not one of the declared urgencies",
            ],
        ),
        (
            "level declared twice",
            with(two_by_two(), |d| {
                d.impacts.push(I::High);
                d.urgencies.push(U::Low);
            }),
            vec![
                "impacts[2]: impact high is declared twice",
                "urgencies[2]: urgency low is declared twice",
            ],
        ),
        (
            "empty definition",
            PriorityMatrixDefinition {
                name: " ".to_owned(),
                impacts: vec![],
                urgencies: vec![],
                cells: vec![],
            },
            vec![
                "the name is empty",
                "no impact levels are declared",
                "no urgency levels are declared",
            ],
        ),
        (
            "everything at once",
            with(two_by_two(), |d| {
                d.cells.remove(0);
                d.cells.push(cell(I::Low, U::Low, P::P3));
                d.cells.push(cell(I::Medium, U::Low, P::P3));
            }),
            vec![
                "cells[3]: duplicate cell for impact low and urgency low (already p3, now p3)",
                "cells[4]: impact medium is not one of the declared impacts",
                "missing cell for impact high and urgency high",
            ],
        ),
    ];
    for (case, definition, expected) in cases {
        check_definition(case, definition, &expected);
    }
}

#[test]
fn custom_matrix_looks_up_its_cells_only() {
    let matrix = PriorityMatrix::try_from(two_by_two()).unwrap();
    assert_eq!(
        matrix.priority(Impact::Low, Urgency::High),
        Ok(Priority::P2)
    );
    let err = matrix.priority(Impact::Medium, Urgency::High).unwrap_err();
    assert_eq!(
        err.to_string(),
        "priority matrix \"two\" defines no priority for impact medium and urgency high"
    );
}

fn with<T>(mut value: T, f: impl FnOnce(&mut T)) -> T {
    f(&mut value);
    value
}

// ---------------------------------------------------------------- numbers

/// Parses `input` and checks the number it gives (formatted back) or the reason it is refused.
fn check_number(input: &str, expected: Result<(NumberPrefix, u64), &str>) {
    let actual = input.parse::<RecordNumber>();
    match (&actual, expected) {
        (Ok(n), Ok((prefix, value))) => {
            assert_eq!((n.prefix(), n.value()), (prefix, value), "input {input:?}");
            assert_eq!(
                n.to_string(),
                input,
                "input {input:?} must format back to itself"
            );
            let json = serde_json::to_string(n).unwrap();
            assert_eq!(json, format!("\"{input}\""));
            assert_eq!(serde_json::from_str::<RecordNumber>(&json).unwrap(), *n);
        }
        (Err(CoreError::InvalidNumber { value, reason }), Err(expected_reason)) => {
            assert_eq!(
                (value.as_str(), *reason),
                (input, expected_reason),
                "input {input:?}"
            );
            let message = actual.as_ref().unwrap_err().to_string();
            assert_eq!(
                message,
                format!("invalid record number {input:?}: {expected_reason}")
            );
        }
        _ => panic!("input {input:?}: expected {expected:?}, actual {actual:?}"),
    }
}

#[test]
fn record_numbers_parse_and_format() {
    use NumberPrefix as N;
    let unknown = "unknown prefix (expected INC, PRB, KE, CHG, RLSE, REQ or KB)";
    let digits = "the prefix must be followed by digits only";
    for (input, expected) in [
        ("INC0001234", Ok((N::Incident, 1234))),
        ("PRB0000042", Ok((N::Problem, 42))),
        ("KE0000001", Ok((N::KnownError, 1))),
        ("CHG0012345", Ok((N::Change, 12345))),
        ("RLSE0000003", Ok((N::Release, 3))),
        ("REQ0000100", Ok((N::ServiceRequest, 100))),
        ("KB0000007", Ok((N::KnowledgeArticle, 7))),
        ("INC0000000", Ok((N::Incident, 0))),
        ("INC9999999", Ok((N::Incident, 9_999_999))),
        ("INC10000000", Ok((N::Incident, 10_000_000))),
        (
            "INC999999999999999999",
            Ok((N::Incident, RecordNumber::MAX_VALUE)),
        ),
        ("", Err(unknown)),
        ("inc0001234", Err(unknown)),
        ("XYZ0001234", Err(unknown)),
        (" INC0001234", Err(unknown)),
        ("INC", Err(digits)),
        ("INC12a4567", Err(digits)),
        ("INC 0001234", Err(digits)),
        ("INC+001234", Err(digits)),
        ("INC-001234", Err(digits)),
        ("INC0001234 ", Err(digits)),
        ("INC０００１２３４", Err(digits)),
        ("INC123456", Err("fewer than 7 digits")),
        (
            "INC01234567",
            Err("a number of more than 7 digits has no leading zero"),
        ),
        ("INC1000000000000000000", Err("more than 18 digits")),
    ] {
        check_number(input, expected);
    }
}

#[test]
fn record_number_new_refuses_more_than_18_digits() {
    assert!(RecordNumber::new(NumberPrefix::Change, RecordNumber::MAX_VALUE).is_ok());
    assert_eq!(
        RecordNumber::new(NumberPrefix::Change, RecordNumber::MAX_VALUE + 1),
        Err(CoreError::InvalidNumber {
            value: "CHG1000000000000000000".to_owned(),
            reason: "more than 18 digits"
        })
    );
}

proptest::proptest! {
    #[test]
    fn record_numbers_round_trip(prefix in variant::<NumberPrefix>(), value in 0..=RecordNumber::MAX_VALUE) {
        let n = RecordNumber::new(prefix, value).unwrap();
        proptest::prop_assert_eq!(n.to_string().parse::<RecordNumber>(), Ok(n));
        proptest::prop_assert!(n.to_string().starts_with(prefix.letters()));
    }
}

// ---------------------------------------------------------------- ids

/// Parses `input` as an incident id and checks the canonical form or the error.
fn check_id(input: &str, expected: Option<&str>) {
    let actual = input.parse::<IncidentId>();
    match (&actual, expected) {
        (Ok(id), Some(canonical)) => {
            assert_eq!(id.to_string(), canonical, "input {input:?}");
            assert_eq!(
                serde_json::to_string(id).unwrap(),
                format!("\"{canonical}\"")
            );
        }
        (Err(CoreError::InvalidId { kind, value }), None) => {
            assert_eq!((*kind, value.as_str()), ("incident", input));
            assert!(
                actual
                    .as_ref()
                    .unwrap_err()
                    .to_string()
                    .starts_with(&format!("invalid incident id {input:?}"))
            );
        }
        _ => panic!("input {input:?}: expected {expected:?}, actual {actual:?}"),
    }
}

#[test]
fn ids_parse() {
    let canonical = "0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a5968";
    for (input, expected) in [
        (canonical, Some(canonical)),
        ("0190E3A4-7B7C-7CC3-8F0E-1D2C3B4A5968", Some(canonical)),
        ("0190e3a47b7c7cc38f0e1d2c3b4a5968", Some(canonical)),
        ("{0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a5968}", Some(canonical)),
        (
            "urn:uuid:0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a5968",
            Some(canonical),
        ),
        ("", None),
        ("not-a-uuid", None),
        ("0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a596", None),
        ("0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a59688", None),
        ("0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a596g", None),
        (" 0190e3a4-7b7c-7cc3-8f0e-1d2c3b4a5968", None),
    ] {
        check_id(input, expected);
    }
    assert_eq!(ChangeId::KIND, "change");
    assert!(
        "x".parse::<KnownErrorId>()
            .unwrap_err()
            .to_string()
            .starts_with("invalid known error id \"x\"")
    );
}

#[test]
fn v7_ids_follow_creation_time() {
    let earlier = IncidentId::new_v7(at(9, 0), [0xff; 10]);
    let later = IncidentId::new_v7(at(9, 1), [0; 10]);
    assert!(earlier < later);
    assert_eq!(earlier.as_uuid().get_version_num(), 7);
    let (secs, _) = later.as_uuid().get_timestamp().unwrap().to_unix();
    assert_eq!(i64::try_from(secs).unwrap(), at(9, 1).timestamp());
    // Before the epoch clamps to the epoch rather than wrapping.
    let old = IncidentId::new_v7(
        chrono::DateTime::from_timestamp(-86_400, 0).unwrap(),
        [1; 10],
    );
    assert_eq!(old.as_uuid().get_timestamp().unwrap().to_unix(), (0, 0));
    assert_eq!(IncidentId::from_uuid(*later.as_uuid()), later);
    assert_eq!(IncidentId::from_u128(later.as_u128()), later);
}

#[test]
fn generated_ids_differ_within_one_millisecond_and_follow_time() {
    let now = at(9, 0);
    let ids: std::collections::BTreeSet<IncidentId> =
        (0..1_000).map(|_| IncidentId::generate(now)).collect();
    assert_eq!(ids.len(), 1_000, "no two alike at the same instant");
    for id in &ids {
        assert_eq!(id.as_uuid().get_version_num(), 7);
        let (secs, _) = id.as_uuid().get_timestamp().unwrap().to_unix();
        assert_eq!(i64::try_from(secs).unwrap(), now.timestamp());
    }
    // Later instants sort after, whatever the random part.
    let later = IncidentId::generate(at(9, 1));
    assert!(ids.iter().all(|id| *id < later));
    assert_ne!(
        itsm_core::ChangeId::generate(now).as_u128(),
        itsm_core::ChangeId::generate(now).as_u128()
    );
}

/// Checks that `value` reads as `expect` for people.
fn check_label(value: &dyn Label, expect: &str) {
    assert_eq!(value.label(), expect);
}

#[test]
fn labels_are_for_people_and_wire_names_for_machines() {
    check_label(&Priority::P1, "P1 – Critical");
    check_label(&Priority::P2, "P2 – High");
    check_label(&Priority::P5, "P5 – Planning");
    check_label(&Impact::VeryHigh, "Very high");
    check_label(&IncidentState::InProgress, "In progress");
    check_label(&IncidentState::OnHold, "On hold");
    check_label(&OnHoldReason::AwaitingCaller, "Awaiting caller");
    check_label(
        &IncidentResolutionCode::WorkaroundProvided,
        "Workaround provided",
    );
    check_label(&StateCategory::Canceled, "Canceled");
    check_label(&ApprovalStatus::NotRequested, "Not requested");
    check_label(&CommentVisibility::WorkNote, "Work note");
    check_label(&RecordKind::KnownError, "Known error");
    assert_eq!(
        Priority::P2.to_string(),
        "p2",
        "Display stays the wire name"
    );
}

// ---------------------------------------------------------------- wire names

/// Checks that serde, strum (`Display`, `AsRef<str>`, `&'static str`) and
/// `FromStr` agree on one `snake_case` name for every variant of `T`, and
/// returns the names.
fn check_wire_names<T>(type_name: &str) -> Vec<&'static str>
where
    T: IntoEnumIterator
        + Copy
        + Debug
        + PartialEq
        + Display
        + AsRef<str>
        + Serialize
        + DeserializeOwned
        + Label,
    T: FromStr<Err = CoreError> + Into<&'static str>,
{
    let mut names = Vec::new();
    let mut labels = BTreeSet::new();
    for v in T::iter() {
        let name: &'static str = v.into();
        // Every value has a label for people: capitalised, no underscore,
        // distinct from its type's other labels.
        let label = v.label();
        assert!(
            label.chars().next().is_some_and(char::is_uppercase) && !label.contains('_'),
            "{type_name}::{v:?}: label {label:?}"
        );
        assert!(
            labels.insert(label.clone()),
            "{type_name}: label {label:?} twice"
        );
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                && !name.starts_with('_')
                && !name.ends_with('_')
                && !name.contains("__"),
            "{type_name}::{v:?}: {name:?} is not snake_case"
        );
        assert_eq!(v.to_string(), name, "{type_name}::{v:?}: Display");
        assert_eq!(v.as_ref(), name, "{type_name}::{v:?}: AsRef<str>");
        assert_eq!(
            serde_json::to_value(v).unwrap(),
            serde_json::Value::String(name.to_owned()),
            "{type_name}::{v:?}: serde"
        );
        assert_eq!(
            serde_json::from_value::<T>(name.into()).unwrap(),
            v,
            "{type_name}::{v:?}: serde back"
        );
        assert_eq!(name.parse::<T>(), Ok(v), "{type_name}::{v:?}: FromStr");
        names.push(name);
    }
    let unique: BTreeSet<_> = names.iter().collect();
    assert_eq!(
        unique.len(),
        names.len(),
        "{type_name}: duplicate wire names {names:?}"
    );
    match "No Such Name".parse::<T>() {
        Err(CoreError::InvalidName {
            value, expected, ..
        }) => {
            assert_eq!(value, "No Such Name");
            assert_eq!(
                expected,
                names.join(", "),
                "{type_name}: the error lists every name"
            );
        }
        other => panic!("{type_name}: expected InvalidName, got {other:?}"),
    }
    names
}

/// `check_wire_names` plus the [`RecordState`] view of the same names.
fn check_state_names<T>(type_name: &str) -> Vec<&'static str>
where
    T: IntoEnumIterator
        + Copy
        + Debug
        + PartialEq
        + Display
        + AsRef<str>
        + Serialize
        + DeserializeOwned
        + Label,
    T: FromStr<Err = CoreError> + Into<&'static str> + RecordState,
{
    let names = check_wire_names::<T>(type_name);
    assert_eq!(
        T::ALL,
        T::iter().collect::<Vec<_>>().as_slice(),
        "{type_name}: RecordState::ALL"
    );
    for v in T::iter() {
        assert_eq!(
            v.name(),
            v.to_string(),
            "{type_name}::{v:?}: RecordState::name"
        );
    }
    names
}

#[test]
fn serde_strum_and_from_str_agree_on_every_enum() {
    let tested: Vec<(&str, Vec<&'static str>)> = vec![
        (
            "NumberPrefix",
            check_wire_names::<NumberPrefix>("NumberPrefix"),
        ),
        ("Impact", check_wire_names::<Impact>("Impact")),
        ("Urgency", check_wire_names::<Urgency>("Urgency")),
        ("Priority", check_wire_names::<Priority>("Priority")),
        (
            "StateCategory",
            check_wire_names::<StateCategory>("StateCategory"),
        ),
        (
            "IncidentState",
            check_state_names::<IncidentState>("IncidentState"),
        ),
        (
            "ProblemState",
            check_state_names::<ProblemState>("ProblemState"),
        ),
        (
            "KnownErrorState",
            check_state_names::<KnownErrorState>("KnownErrorState"),
        ),
        (
            "KnowledgeState",
            check_state_names::<KnowledgeState>("KnowledgeState"),
        ),
        (
            "ChangeState",
            check_state_names::<ChangeState>("ChangeState"),
        ),
        (
            "ReleaseState",
            check_state_names::<ReleaseState>("ReleaseState"),
        ),
        (
            "ServiceRequestState",
            check_state_names::<ServiceRequestState>("ServiceRequestState"),
        ),
        (
            "MajorIncidentState",
            check_state_names::<MajorIncidentState>("MajorIncidentState"),
        ),
        (
            "OnHoldReason",
            check_wire_names::<OnHoldReason>("OnHoldReason"),
        ),
        (
            "ServiceEffect",
            check_wire_names::<ServiceEffect>("ServiceEffect"),
        ),
        (
            "BusinessEffect",
            check_wire_names::<BusinessEffect>("BusinessEffect"),
        ),
        (
            "ProblemResolutionCode",
            check_wire_names::<ProblemResolutionCode>("ProblemResolutionCode"),
        ),
        ("RecordKind", check_wire_names::<RecordKind>("RecordKind")),
        (
            "IncidentResolutionCode",
            check_wire_names::<IncidentResolutionCode>("IncidentResolutionCode"),
        ),
        ("Channel", check_wire_names::<Channel>("Channel")),
        ("ChangeType", check_wire_names::<ChangeType>("ChangeType")),
        ("ChangeRisk", check_wire_names::<ChangeRisk>("ChangeRisk")),
        (
            "ApprovalDecision",
            check_wire_names::<ApprovalDecision>("ApprovalDecision"),
        ),
        (
            "ApprovalStatus",
            check_wire_names::<ApprovalStatus>("ApprovalStatus"),
        ),
        (
            "ChangeCloseCode",
            check_wire_names::<ChangeCloseCode>("ChangeCloseCode"),
        ),
        (
            "ReleaseType",
            check_wire_names::<ReleaseType>("ReleaseType"),
        ),
        (
            "ServiceKind",
            check_wire_names::<ServiceKind>("ServiceKind"),
        ),
        (
            "Criticality",
            check_wire_names::<Criticality>("Criticality"),
        ),
        (
            "ServiceStatus",
            check_wire_names::<ServiceStatus>("ServiceStatus"),
        ),
        (
            "CommentVisibility",
            check_wire_names::<CommentVisibility>("CommentVisibility"),
        ),
        ("TaskState", check_state_names::<TaskState>("TaskState")),
        ("AssetKind", check_wire_names::<AssetKind>("AssetKind")),
        ("AssetState", check_state_names::<AssetState>("AssetState")),
        (
            "LicenceMetric",
            check_wire_names::<LicenceMetric>("LicenceMetric"),
        ),
        ("TaskState", check_wire_names::<TaskState>("TaskState")),
    ];
    // Every string enum of the schema bundle is tested above, with the same names.
    let bundle = schema_bundle()
        .documents()
        .into_iter()
        .find(|d| d.path == "core/bundle.schema.json")
        .unwrap();
    let bundle: serde_json::Value = serde_json::from_str(&bundle.content).unwrap();
    let defs = bundle["$defs"].as_object().unwrap();
    let mut string_enums = 0;
    for (name, schema) in defs {
        let Some(variants) = schema.get("oneOf").and_then(|v| v.as_array()) else {
            continue;
        };
        let consts: Option<Vec<&str>> = variants
            .iter()
            .map(|v| v.get("const").and_then(|c| c.as_str()))
            .collect();
        let Some(consts) = consts else { continue };
        string_enums += 1;
        let Some((_, names)) = tested.iter().find(|(t, _)| t == name) else {
            panic!("enum {name} of the schema bundle has no wire-name test");
        };
        assert_eq!(
            &consts, names,
            "{name}: schema names differ from strum names"
        );
    }
    assert!(
        string_enums >= 25,
        "found only {string_enums} enums in the bundle"
    );
}

#[test]
fn timeline_change_tags_are_snake_case() {
    let cases = [
        (
            TimelineChange::Created {
                record_kind: RecordKind::Incident,
                state: "new".into(),
                category: StateCategory::New,
                priority: None,
                assignment_group: None,
                assignee: None,
            },
            "created",
        ),
        (
            TimelineChange::StateChanged {
                from: "new".into(),
                from_category: StateCategory::New,
                to: "on_hold".into(),
                to_category: StateCategory::Paused,
                reason: Some("awaiting_caller".into()),
            },
            "state_changed",
        ),
        (
            TimelineChange::PriorityChanged {
                from: None,
                to: Priority::P2,
            },
            "priority_changed",
        ),
        (
            TimelineChange::AssignmentChanged {
                from_group: None,
                to_group: None,
                from_assignee: None,
                to_assignee: None,
            },
            "assignment_changed",
        ),
        (
            TimelineChange::FieldChanged {
                field: "x".into(),
                from: FieldValue::Null,
                to: FieldValue::Bool(true),
            },
            "field_changed",
        ),
        (
            TimelineChange::CommentAdded {
                visibility: CommentVisibility::WorkNote,
                text: "hi".into(),
            },
            "comment_added",
        ),
    ];
    for (change, tag) in cases {
        let json = serde_json::to_value(&change).unwrap();
        assert_eq!(json["type"], tag, "{change:?}");
    }
}

// ---------------------------------------------------------------- timeline

fn event(minute: u32, change: TimelineChange) -> TimelineEvent {
    TimelineEvent {
        at: at(9, minute),
        actor: Some(PersonId::from_u128(10)),
        change,
    }
}

fn created(state: &str) -> TimelineChange {
    TimelineChange::Created {
        record_kind: RecordKind::Incident,
        state: state.into(),
        category: StateCategory::New,
        priority: Some(Priority::P3),
        assignment_group: None,
        assignee: None,
    }
}

fn moved(from: &str, to: &str) -> TimelineChange {
    TimelineChange::StateChanged {
        from: from.into(),
        from_category: StateCategory::Open,
        to: to.into(),
        to_category: StateCategory::Open,
        reason: None,
    }
}

fn comment() -> TimelineChange {
    TimelineChange::CommentAdded {
        visibility: CommentVisibility::Public,
        text: "Any news?".into(),
    }
}

/// Validates a timeline and checks the `(path, rule)` pairs.
fn check_timeline(case: &str, events: Vec<TimelineEvent>, expected: &[(&str, &str)]) {
    let timeline = Timeline { events };
    let actual: Vec<(String, String)> = timeline
        .validate()
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    let wanted: Vec<(String, String)> = expected
        .iter()
        .map(|(p, r)| ((*p).into(), (*r).into()))
        .collect();
    assert_eq!(actual, wanted, "case {case:?}");
    assert_eq!(
        Validate::validate(&timeline).len(),
        expected.len(),
        "case {case:?}: the trait agrees"
    );
}

/// A case: its name, the events, and the expected `(path, rule)` pairs.
type TimelineCase = (
    &'static str,
    Vec<TimelineEvent>,
    Vec<(&'static str, &'static str)>,
);

#[test]
fn timeline_rules() {
    let cases: Vec<TimelineCase> = vec![
        ("empty", vec![], vec![]),
        (
            "ordinary history",
            vec![
                event(0, created("new")),
                event(5, moved("new", "in_progress")),
                event(5, comment()),
                event(9, moved("in_progress", "on_hold")),
            ],
            vec![],
        ),
        (
            "history without its creation",
            vec![
                event(1, moved("in_progress", "on_hold")),
                event(2, moved("on_hold", "in_progress")),
            ],
            vec![],
        ),
        (
            "out of order",
            vec![
                event(0, created("new")),
                event(9, comment()),
                event(5, comment()),
            ],
            vec![("events[2].at", "out_of_order")],
        ),
        (
            "created twice",
            vec![event(0, created("new")), event(1, created("new"))],
            vec![("events[1].type", "created_not_first")],
        ),
        (
            "state jump",
            vec![
                event(0, created("new")),
                event(1, moved("on_hold", "resolved")),
            ],
            vec![("events[1].from", "state_mismatch")],
        ),
        (
            "everything at once",
            vec![
                event(3, created("new")),
                event(1, moved("resolved", "closed")),
                event(2, created("closed")),
            ],
            vec![
                ("events[1].at", "out_of_order"),
                ("events[1].from", "state_mismatch"),
                ("events[2].type", "created_not_first"),
            ],
        ),
    ];
    for (case, events, expected) in cases {
        check_timeline(case, events, &expected);
    }
}

#[test]
fn timeline_opened_at_is_the_creation_instant() {
    assert_eq!(Timeline::default().opened_at(), None);
    let timeline = Timeline {
        events: vec![
            event(0, comment()),
            event(4, created("new")),
            event(7, comment()),
        ],
    };
    assert_eq!(timeline.opened_at(), Some(at(9, 4)));
}

#[test]
fn timeline_event_wire_form_is_flat() {
    let e = TimelineEvent {
        at: at(9, 30),
        actor: None,
        change: TimelineChange::StateChanged {
            from: "in_progress".into(),
            from_category: StateCategory::Open,
            to: "on_hold".into(),
            to_category: StateCategory::Paused,
            reason: Some("awaiting_vendor".into()),
        },
    };
    let expected = serde_json::json!({
        "at": "2026-03-02T09:30:00Z",
        "actor": null,
        "type": "state_changed",
        "from": "in_progress",
        "from_category": "open",
        "to": "on_hold",
        "to_category": "paused",
        "reason": "awaiting_vendor"
    });
    assert_eq!(serde_json::to_value(&e).unwrap(), expected);
    // Optional fields may be left out on input.
    let minimal = r#"{"at": "2026-03-02T09:30:00Z", "type": "priority_changed", "to": "p1"}"#;
    let parsed: TimelineEvent = from_json(minimal).unwrap();
    assert_eq!(parsed.actor, None);
    assert_eq!(
        parsed.change,
        TimelineChange::PriorityChanged {
            from: None,
            to: Priority::P1
        }
    );
}

#[test]
fn state_categories() {
    use StateCategory as C;
    let active: Vec<C> = C::iter().filter(|c| c.is_active()).collect();
    let finished: Vec<C> = C::iter().filter(|c| c.is_final()).collect();
    assert_eq!(active, [C::New, C::Open, C::Paused]);
    assert_eq!(finished, [C::Closed, C::Canceled]);
    assert_eq!(IncidentState::OnHold.category(), C::Paused);
    assert_eq!(ChangeState::Review.category(), C::Resolved);
    assert_eq!(ServiceRequestState::Rejected.category(), C::Canceled);
    assert_eq!(Priority::P1.rank(), 1);
    assert_eq!(Priority::P6.rank(), 6);
}

/// A value quoted in a message is cut after 64 characters, with its length:
/// a 100 KB name never fills a message.
#[test]
fn messages_cap_the_values_they_quote() {
    let long = "é".repeat(100_000);
    for message in [
        long.parse::<Priority>().unwrap_err().to_string(),
        long.parse::<IncidentId>().unwrap_err().to_string(),
        long.parse::<RecordNumber>().unwrap_err().to_string(),
        long.parse::<StateCategory>().unwrap_err().to_string(),
    ] {
        assert!(
            message.len() < 600,
            "{} bytes: {}",
            message.len(),
            &message[..200]
        );
        assert!(message.contains("… (100000 characters)"), "{message}");
    }
    // Short values are quoted whole, as before.
    assert_eq!(quoted("triage"), "\"triage\"");
    assert!(
        "p9".parse::<Priority>()
            .unwrap_err()
            .to_string()
            .starts_with("invalid Priority \"p9\"")
    );
}
