//! The committed JSON Schemas under `docs/schemas/sla/` are the generated
//! ones; `UPDATE_SCHEMAS=1 cargo test -p itsm-sla --test schemas` regenerates
//! them. Every example under `docs/examples/sla/` validates against its
//! schema, parses, compiles and evaluates to the figures worked out by hand.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use itsm_core::Timeline;
use itsm_sla::{
    BusinessCalendar, CompiledCalendar, CompiledSla, ComplianceReport, SlaDefinition, SlaStage,
    evaluate, explain,
};

/// `docs/` of the repository, through the links under `tests/repo/` (which
/// `cargo package` copies into the `.crate`).
fn docs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs")
}

#[path = "repo/crates/itsm-core/tests/support/schema_drift.rs"]
mod schema_drift;

#[test]
fn committed_schemas_match_the_generated_ones() {
    schema_drift::check(&itsm_sla::schema_bundle(), "sla", "itsm-sla");
}

#[test]
fn every_public_wire_type_has_a_schema() {
    let bundle = itsm_sla::schema_bundle();
    let names: Vec<&str> = bundle.names().collect();
    for expected in [
        "business_calendar",
        "duration_spec",
        "sla_definition",
        "condition",
        "definition_report",
        "sla_evaluation",
        "sla_cycle",
        "sla_explanation",
        "compliance_report",
        "what_if",
        "what_if_report",
    ] {
        assert!(names.contains(&expected), "no schema named {expected}");
    }
}

fn validator(path: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(docs().join("schemas").join(path)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, instance: &serde_json::Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}");
}

fn example(name: &str) -> String {
    std::fs::read_to_string(docs().join("examples/sla").join(name)).unwrap()
}

#[test]
fn examples_validate_against_their_schemas() {
    let mut checked = 0;
    for entry in std::fs::read_dir(docs().join("examples/sla")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let schema = if name.ends_with(".calendar.json") {
            "sla/business_calendar.schema.json"
        } else if name.ends_with(".sla.json") {
            "sla/sla_definition.schema.json"
        } else if name.ends_with(".timeline.json") {
            "core/timeline.schema.json"
        } else if name.ends_with(".what-if.json") {
            "sla/what_if.schema.json"
        } else {
            continue;
        };
        let instance: serde_json::Value = serde_json::from_str(&example(&name)).unwrap();
        assert_valid(&validator(schema), &instance, &name);
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} examples checked");
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// The example timeline worked out by hand: opened Friday 27 March 2026
/// 16:40 UTC (GMT), London moves to BST on Sunday 29 March, so Monday's
/// working day is 08:00–16:30 UTC.
#[test]
fn examples_evaluate_to_the_figures_worked_out_by_hand() {
    let calendar = CompiledCalendar::new(
        &BusinessCalendar::from_json(&example("uk-office.calendar.json")).unwrap(),
    )
    .unwrap();
    let timeline: Timeline = itsm_core::from_json(&example("incident.timeline.json")).unwrap();
    assert!(timeline.validate().is_empty(), "{:?}", timeline.validate());
    let now = t("2026-03-31T13:00:00Z");
    let mut evaluations = Vec::new();
    for (file, stage, elapsed_min, paused_min, breached_at, first_threshold) in [
        // P3 until Monday 10:20, then P2 (8 h); 30 + 45 + 195 minutes run,
        // 155 + 420 minutes paused for the caller and the vendor.
        (
            "incident-resolution.sla.json",
            SlaStage::Achieved,
            270,
            575,
            None,
            Some("2026-03-31T12:15:00Z"),
        ),
        // Answered when work started, 15 minutes after opening.
        (
            "incident-response.sla.json",
            SlaStage::Achieved,
            15,
            0,
            None,
            None,
        ),
        // The team's 2 hours ran out Monday 09:25 UTC; it pauses only for the vendor.
        (
            "network-team-ola.sla.json",
            SlaStage::Breached,
            410,
            420,
            Some("2026-03-30T09:25:00Z"),
            Some("2026-03-30T08:25:00Z"),
        ),
    ] {
        let definition = SlaDefinition::from_json(&example(file)).unwrap();
        let report = definition.check();
        assert!(
            report.errors.is_empty() && report.warnings.is_empty(),
            "{file}: {report:#?}"
        );
        let sla = CompiledSla::new(&definition).unwrap();
        let result = evaluate(&sla, &calendar, &timeline, now).unwrap();
        assert_eq!(result.cycles.len(), 1, "{file}: {result:#?}");
        let c = &result.cycles[0];
        assert_eq!(
            (
                c.stage,
                c.business_elapsed.as_secs() / 60,
                c.business_paused.as_secs() / 60
            ),
            (stage, elapsed_min, paused_min),
            "{file}: {c:#?}"
        );
        assert_eq!(c.breached_at, breached_at.map(t), "{file}");
        assert_eq!(
            c.thresholds.first().and_then(|x| x.crossed_at),
            first_threshold.map(t),
            "{file}"
        );

        // The results validate against their own schemas too.
        let value = serde_json::to_value(&result).unwrap();
        assert_valid(&validator("sla/sla_evaluation.schema.json"), &value, file);
        let explanation =
            serde_json::to_value(explain(&sla, &calendar, &timeline, now).unwrap()).unwrap();
        assert_valid(
            &validator("sla/sla_explanation.schema.json"),
            &explanation,
            file,
        );
        assert_valid(
            &validator("sla/definition_report.schema.json"),
            &serde_json::to_value(&report).unwrap(),
            file,
        );
        evaluations.push(result);
    }
    let compliance =
        serde_json::to_value(ComplianceReport::from_evaluations(&evaluations)).unwrap();
    assert_valid(
        &validator("sla/compliance_report.schema.json"),
        &compliance,
        "compliance",
    );
}

/// The due-date example worked out by hand: a service request opened
/// Thursday 26 March 2026 10:00 UTC (GMT) with a due date of Tuesday 31
/// March 12:00 UTC; London moves to BST on Sunday 29 March, so from Monday
/// the working day is 08:00–16:30 UTC. On Monday 09:30 UTC the due date is
/// renegotiated to Wednesday 1 April, a date alone: the end of that day in
/// London, 23:00 UTC.
#[test]
fn the_due_date_example_evaluates_to_the_figures_worked_out_by_hand() {
    use itsm_sla::{BoundaryCause, WhatIf, what_if};
    let calendar = CompiledCalendar::new(
        &BusinessCalendar::from_json(&example("uk-office.calendar.json")).unwrap(),
    )
    .unwrap();
    let definition = SlaDefinition::from_json(&example("request-fulfilment.sla.json")).unwrap();
    let report = definition.check();
    assert!(
        report.errors.is_empty() && report.warnings.is_empty(),
        "{report:#?}"
    );
    let sla = CompiledSla::new(&definition).unwrap();
    let timeline: Timeline = itsm_core::from_json(&example("request.timeline.json")).unwrap();
    assert!(timeline.validate().is_empty(), "{:?}", timeline.validate());
    let now = t("2026-04-02T09:00:00Z");
    let result = evaluate(&sla, &calendar, &timeline, now).unwrap();
    let c = &result.cycles[0];
    // Until Monday 09:30 UTC: 7.5 h on Thursday, 8.5 h on Friday, 1.5 h on
    // Monday: 17.5 h. Then 7 h to Monday's close, 8.5 h on Tuesday and
    // 8.5 h on Wednesday to the new due date: 41.5 h in all. 75 % of it is
    // 31.125 h, Tuesday 14:37:30 UTC; two business hours before the due
    // date is Wednesday 14:30 UTC. Closed Wednesday 10:00 UTC after 35 h.
    assert_eq!(result.cycles.len(), 1, "{result:#?}");
    assert_eq!(c.stage, SlaStage::Achieved, "{c:#?}");
    assert_eq!(c.goal, 0);
    assert_eq!(c.goal_duration.as_secs(), 149_400);
    assert_eq!(c.business_elapsed.as_secs(), 126_000);
    assert_eq!(c.original_due_at, t("2026-03-31T12:00:00Z"));
    assert_eq!(c.due_at, t("2026-04-01T23:00:00Z"));
    assert_eq!(c.breached_at, None);
    let crossed: Vec<_> = c.thresholds.iter().map(|x| x.crossed_at).collect();
    assert_eq!(crossed, [Some(t("2026-03-31T14:37:30Z")), None]);
    assert_valid(
        &validator("sla/sla_evaluation.schema.json"),
        &serde_json::to_value(&result).unwrap(),
        "request",
    );
    // The renegotiation is named in the explanation.
    let explanation = explain(&sla, &calendar, &timeline, now).unwrap();
    let moved = explanation.cycles[0]
        .segments
        .iter()
        .find(|s| s.from_cause.causes.contains(&BoundaryCause::DueDateChanged))
        .unwrap();
    assert_eq!(moved.from, t("2026-03-30T09:30:00Z"));
    assert_eq!(moved.from_cause.events[0].index, 4);
    assert_valid(
        &validator("sla/sla_explanation.schema.json"),
        &serde_json::to_value(&explanation).unwrap(),
        "request",
    );
    // Had the due date not been renegotiated: breached on Tuesday 12:00 UTC.
    let scenario = WhatIf::from_json(&example("request-not-renegotiated.what-if.json")).unwrap();
    let report = what_if(&sla, &calendar, &timeline, now, &scenario).unwrap();
    assert!(report.difference.breached_in_alternative);
    assert_eq!(
        report.alternative.cycles[0].breached_at,
        Some(t("2026-03-31T12:00:00Z"))
    );
    assert_eq!(report.difference.cycles[0].due_moved_secs, Some(-35 * 3600));
    assert_valid(
        &validator("sla/what_if_report.schema.json"),
        &serde_json::to_value(&report).unwrap(),
        "request what-if",
    );
}

#[test]
fn the_schema_rejects_a_wrongly_named_condition() {
    let validator = validator("sla/condition.schema.json");
    assert!(validator.is_valid(&serde_json::json!({"type": "category", "any_of": ["paused"]})));
    assert!(!validator.is_valid(&serde_json::json!({"type": "Category", "any_of": ["paused"]})));
    assert!(!validator.is_valid(&serde_json::json!({"type": "category", "any_of": ["on_hold"]})));
}
