//! Differential test against an independent oracle: `itsm-core`'s own
//! record rules. Walking the default incident flow on a real `Incident` and
//! applying each transition's effects must never leave the incident in a
//! state that `Incident::validate` rejects.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    ChangeId, Incident, IncidentId, IncidentResolutionCode, IncidentState, MajorIncidentState,
    OnHoldReason, PersonId, ProblemId, Validate,
};
use itsm_lifecycle::{
    Effect, Field, IncidentEvent, MajorIncidentEvent, PlainContext, Transition, Workflow,
    incident_flow, major_incident_flow,
};
use proptest::prelude::*;

const REASONS: [OnHoldReason; 4] = [
    OnHoldReason::AwaitingCaller,
    OnHoldReason::AwaitingChange,
    OnHoldReason::AwaitingProblem,
    OnHoldReason::AwaitingVendor,
];

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, 9, 0, 0).unwrap()
}

/// Applies a transition's effects to the incident, as a product would.
fn apply(
    incident: &mut Incident,
    t: &Transition<IncidentState, IncidentEvent>,
    major: &Workflow<MajorIncidentState, MajorIncidentEvent>,
) {
    let (at, actor) = (t.audit.at, t.audit.actor);
    incident.state = t.audit.to;
    for effect in &t.effects {
        match effect {
            Effect::SetTimestamp { field } => match field.as_str() {
                Field::RESOLVED_AT => incident.resolved_at = Some(at),
                Field::CLOSED_AT => incident.closed_at = Some(at),
                Field::LAST_REOPENED_AT => incident.last_reopened_at = Some(at),
                other => panic!("unexpected timestamp {other}"),
            },
            Effect::ClearTimestamp { field } => match field.as_str() {
                Field::RESOLVED_AT => incident.resolved_at = None,
                other => panic!("unexpected timestamp {other}"),
            },
            Effect::SetActor { field } => match field.as_str() {
                Field::RESOLVED_BY => incident.resolved_by = actor,
                Field::CLOSED_BY => incident.closed_by = actor,
                Field::LAST_REOPENED_BY => incident.last_reopened_by = actor,
                other => panic!("unexpected actor field {other}"),
            },
            Effect::ClearField { field } => match field.as_str() {
                Field::ON_HOLD_REASON => incident.on_hold_reason = None,
                Field::RESOLVED_BY => incident.resolved_by = None,
                other => panic!("unexpected field {other}"),
            },
            Effect::SetReason { field } => {
                assert_eq!(field, Field::ON_HOLD_REASON);
                incident.on_hold_reason = t
                    .audit
                    .reason
                    .as_deref()
                    .map(|r| r.parse().expect("a valid reason"));
            }
            Effect::Increment { field } => {
                assert_eq!(field, Field::REOPEN_COUNT);
                incident.reopen_count += 1;
            }
            Effect::CancelMajorIncident => {
                if let Some(state) = incident.major_incident_state
                    && let Ok(m) = major.apply(
                        &state,
                        &MajorIncidentEvent::Cancel,
                        actor,
                        at,
                        &PlainContext::itil(),
                    )
                {
                    incident.major_incident_state = Some(m.audit.to);
                }
            }
            other => panic!("unexpected effect {other:?} on an incident"),
        }
    }
}

fn walk(steps: &[(usize, usize)], major_start: Option<MajorIncidentState>) {
    let wf = Workflow::new(incident_flow(), &PlainContext::itil()).unwrap();
    let major = Workflow::new(major_incident_flow(), &PlainContext::itil()).unwrap();
    let mut incident = Incident::new(
        IncidentId::from_u128(1),
        "INC0000001".parse().unwrap(),
        PersonId::from_u128(2),
        "VPN drops every hour",
        t0(),
    );
    incident.major_incident_state = major_start;
    assert_eq!(incident.validate(), vec![], "the fixture is valid");
    for (i, &(e, r)) in steps.iter().enumerate() {
        let event = IncidentEvent::ALL[e % IncidentEvent::ALL.len()];
        let reason = REASONS[r % REASONS.len()];
        // The agent fills in what the form asks for before choosing the event.
        match event {
            IncidentEvent::Resolve => {
                incident.resolution_code = Some(IncidentResolutionCode::SolutionProvided);
                incident.resolution_notes = Some("restarted the concentrator".into());
            }
            IncidentEvent::Hold if reason == OnHoldReason::AwaitingProblem => {
                incident.problem = Some(ProblemId::from_u128(9));
            }
            IncidentEvent::Hold if reason == OnHoldReason::AwaitingChange => {
                incident.change_request = Some(ChangeId::from_u128(8));
            }
            _ => {}
        }
        let facts = PlainContext::for_incident(&incident).with_reason(reason.to_string());
        let at = t0() + Duration::minutes(10 * (i as i64 + 1));
        if let Ok(t) = wf.apply(
            &incident.state,
            &event,
            Some(PersonId::from_u128(3)),
            at,
            &facts,
        ) {
            apply(&mut incident, &t, &major);
            let violations = incident.validate();
            assert!(
                violations.is_empty(),
                "after {event:?} (step {i}) the incident breaks core rules: {violations:#?}\n{incident:#?}"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
    #[test]
    fn the_incident_flow_keeps_core_rules(
        steps in prop::collection::vec((0usize..8, 0usize..4), 0..30),
        major in prop::option::of(prop::sample::select(vec![MajorIncidentState::Proposed, MajorIncidentState::Accepted, MajorIncidentState::Rejected])),
    ) {
        walk(&steps, major);
    }
}

#[test]
fn resolve_reopen_resolve_close_keeps_core_rules() {
    use IncidentEvent as E;
    let idx = |e: E| IncidentEvent::ALL.iter().position(|x| *x == e).unwrap();
    walk(
        &[
            (idx(E::Start), 0),
            (idx(E::Hold), 2),
            (idx(E::Resolve), 0),
            (idx(E::Reopen), 0),
            (idx(E::Resolve), 0),
            (idx(E::Close), 0),
        ],
        Some(MajorIncidentState::Accepted),
    );
}

#[test]
fn cancel_of_a_major_incident_keeps_core_rules() {
    use IncidentEvent as E;
    let idx = |e: E| IncidentEvent::ALL.iter().position(|x| *x == e).unwrap();
    walk(
        &[(idx(E::Start), 0), (idx(E::Hold), 1), (idx(E::Cancel), 0)],
        Some(MajorIncidentState::Proposed),
    );
}
