//! A model-based test: random commands against the desk (on SQLite in
//! memory) and against a pure in-memory model (the lifecycle and the SLA
//! clock called directly, records in a map). After every command the desk
//! agrees with the model on acceptance, the record, and every clock; at the
//! end every projection equals the replay of its events.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    CommentVisibility, GroupId, Impact, Incident, IncidentId, PersonId, PriorityMatrix,
    RecordNumber, Timeline, TimelineEvent, Urgency,
};
use itsm_desk::{Config, Ctx, Desk};
use itsm_lifecycle::{IncidentEvent, Input, Lifecycle};
use itsm_sla::{CompiledCalendar, CompiledSla};
use itsm_store::Record;
use proptest::prelude::*;

#[derive(Clone, Debug)]
enum Cmd {
    Event(u8, IncidentEvent, u8),
    Assign(u8, u8),
    Severity(u8, u8),
    Note(u8),
}

fn cmd() -> impl Strategy<Value = Cmd> {
    let event = prop_oneof![
        Just(IncidentEvent::Start),
        Just(IncidentEvent::Hold),
        Just(IncidentEvent::Resume),
        Just(IncidentEvent::CallerUpdated),
        Just(IncidentEvent::Resolve),
        Just(IncidentEvent::Reopen),
        Just(IncidentEvent::Close),
        Just(IncidentEvent::Cancel),
    ];
    prop_oneof![
        5 => (0u8..3, event, 0u8..4).prop_map(|(i, e, v)| Cmd::Event(i, e, v)),
        1 => (0u8..3, 0u8..3).prop_map(|(i, g)| Cmd::Assign(i, g)),
        1 => (0u8..3, 0u8..3).prop_map(|(i, a)| Cmd::Severity(i, a)),
        1 => (0u8..3).prop_map(Cmd::Note),
    ]
}

fn number(i: u8) -> RecordNumber {
    format!("INC000000{i}").parse().unwrap()
}

fn level(n: u8) -> (Impact, Urgency) {
    [
        (Impact::High, Urgency::High),
        (Impact::Medium, Urgency::Low),
        (Impact::Low, Urgency::Low),
    ][usize::from(n % 3)]
}

/// The input a random event comes with (a reason, resolution fields).
fn input(event: IncidentEvent, variant: u8) -> Input {
    match (event, variant) {
        (IncidentEvent::Hold, 0) => Input::new()
            .with_reason("awaiting_caller")
            .with_comment(itsm_core::CommentVisibility::Public, "Which client?"),
        (IncidentEvent::Hold, 1) => Input::new().with_reason("awaiting_vendor"),
        (IncidentEvent::Hold, _) => Input::new(),
        (IncidentEvent::Resolve, 0 | 1) => Input::new()
            .with_field("resolution_code", "solution_provided")
            .with_field("resolution_notes", "fixed"),
        _ => Input::new(),
    }
}

struct Model {
    lifecycle: Lifecycle<Incident>,
    records: BTreeMap<u8, (Incident, Vec<TimelineEvent>)>,
    slas: Vec<CompiledSla>,
    calendar: CompiledCalendar,
}

impl Model {
    fn clocks(
        &self,
        timeline: &[TimelineEvent],
        now: DateTime<Utc>,
    ) -> Vec<itsm_sla::SlaEvaluation> {
        let timeline = Timeline {
            events: timeline.to_vec(),
        };
        self.slas
            .iter()
            .filter(|s| {
                s.definition()
                    .applies_to
                    .contains(&itsm_core::RecordKind::Incident)
            })
            .map(|s| itsm_sla::evaluate(s, &self.calendar, &timeline, now).unwrap())
            .filter(|e| !e.cycles.is_empty())
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn the_desk_behaves_like_the_engines_called_directly(cmds in proptest::collection::vec(cmd(), 1..30)) {
        let config = Config::default();
        let mut desk = Desk::open("sqlite::memory:", config.clone()).unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut model = Model {
            lifecycle: Lifecycle::itil().unwrap().with_matrix(PriorityMatrix::new(config.matrix.clone()).unwrap()),
            records: BTreeMap::new(),
            slas: config.slas.iter().map(|d| CompiledSla::new(d).unwrap()).collect(),
            calendar: CompiledCalendar::new(&config.calendars[0]).unwrap(),
        };
        for i in 0..3u8 {
            let incident = Incident::new(IncidentId::from_u128(u128::from(i) + 1), number(i), PersonId::from_u128(9), "model", t0);
            let step = model.lifecycle.open(incident.clone(), None, t0).unwrap();
            desk.open_record(Record::Incident(incident), &Ctx::at(t0)).unwrap();
            model.records.insert(i, (step.record, step.timeline));
        }
        for (k, cmd) in cmds.into_iter().enumerate() {
            let at = t0 + Duration::minutes(10 * (k as i64 + 1));
            let ctx = Ctx::at(at);
            let (i, expected, got) = match &cmd {
                Cmd::Event(i, e, v) => {
                    let (r, _) = &model.records[i];
                    let input = input(*e, *v);
                    let name = serde_json::to_value(e).unwrap().as_str().unwrap().to_owned();
                    (*i, model.lifecycle.apply(r, *e, &input, None, at), desk.apply(&number(*i), &name, &input, &ctx))
                }
                Cmd::Assign(i, g) => {
                    let (r, _) = &model.records[i];
                    let group = Some(GroupId::from_u128(u128::from(*g) + 100));
                    (*i, model.lifecycle.assign(r, group, None, None, at), desk.assign(&number(*i), group, None, &ctx))
                }
                Cmd::Severity(i, a) => {
                    let (r, _) = &model.records[i];
                    let (impact, urgency) = level(*a);
                    let input = Input::new().with_value("impact", &impact).unwrap().with_value("urgency", &urgency).unwrap();
                    (*i, model.lifecycle.update(r, &input, None, at), desk.set_impact_urgency(&number(*i), impact, urgency, &ctx))
                }
                Cmd::Note(i) => {
                    let (r, _) = &model.records[i];
                    (*i, model.lifecycle.comment(r, CommentVisibility::WorkNote, "note", None, at), desk.comment(&number(*i), CommentVisibility::WorkNote, "note", &ctx))
                }
            };
            match (expected, got) {
                (Ok(step), Ok(outcome)) => {
                    let entry = model.records.get_mut(&i).unwrap();
                    entry.0 = step.record;
                    entry.1.extend(step.timeline);
                    let (record, timeline) = model.records[&i].clone();
                    prop_assert_eq!(&outcome.record, &Record::Incident(record), "{:?}", cmd);
                    let clocks = model.clocks(&timeline, at);
                    prop_assert_eq!(&outcome.clocks, &clocks, "{:?}", cmd);
                }
                (Err(_), Err(_)) => {}
                (e, g) => prop_assert!(false, "{:?}: the model says {:?}, the desk {:?}", cmd, e.map(|s| s.record.state), g.map(|o| o.record.state_name())),
            }
            // The stored record and clocks are the model's.
            let (record, timeline) = &model.records[&i];
            let view = desk.show(&number(i)).unwrap();
            prop_assert_eq!(&view.record, &Record::Incident(record.clone()));
            let stored: Vec<_> = view.clocks.into_iter().map(|c| c.evaluation).collect();
            let last_write = timeline.last().map_or(t0, |e| e.at);
            let mut expected = model.clocks(timeline, last_write.max(t0));
            expected.sort_by(|a, b| a.definition.cmp(&b.definition));
            let mut stored = stored;
            stored.sort_by(|a, b| a.definition.cmp(&b.definition));
            prop_assert_eq!(stored, expected);
        }
        let report = desk.check().unwrap();
        prop_assert!(report.is_clean(), "{:?}", report.mismatches);
    }
}
