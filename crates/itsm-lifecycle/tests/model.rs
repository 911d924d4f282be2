//! Model-based tests: the engine running the default incident flow (typed and
//! dynamic) and the three change flows against trivially correct reference
//! models written here.
//!
//! Properties, checked after every step: the record is never in an
//! undeclared state; terminal states absorb nothing; replaying the audit
//! history reproduces the state; a paused state is entered and left exactly
//! when the transitions' timeline events say so.

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{ChangeState, ChangeType, IncidentState, PersonId, StateCategory, TimelineChange};
use itsm_lifecycle::{
    AuditEntry, ChangeEvent, Guard, IncidentEvent, LifecycleError, PlainContext, Transition,
    Workflow, asset_flow, change_flow, incident_flow, major_incident_flow, problem_flow,
    release_flow, service_request_flow,
};
use proptest::prelude::*;
use proptest_state_machine::{ReferenceStateMachine, StateMachineTest, prop_state_machine};

const REASONS: [&str; 5] = [
    "awaiting_caller",
    "awaiting_change",
    "awaiting_problem",
    "awaiting_vendor",
    "lunch",
];

/// One step: an event and the facts the caller gives with it.
#[derive(Clone, Debug)]
struct Step {
    event: IncidentEvent,
    awaiting_caller: bool,
    code: bool,
    notes: bool,
    /// The incident names the problem it awaits.
    problem: bool,
    /// The incident names the change it awaits.
    change: bool,
    /// A public comment (to the caller) comes with the event.
    public_comment: bool,
    reason: Option<usize>,
}

impl Step {
    fn facts(&self) -> PlainContext {
        let mut f = PlainContext::itil();
        if self.awaiting_caller {
            f = f.passing(Guard::AWAITING_CALLER);
        }
        if self.code {
            f = f.with_field("resolution_code");
        }
        if self.notes {
            f = f.with_field("resolution_notes");
        }
        if self.problem {
            f = f.with_field("problem");
        }
        if self.change {
            f = f.with_field("change_request");
        }
        if let Some(r) = self.reason {
            f = f.with_reason(REASONS[r]);
        }
        if self.public_comment {
            f.comments.insert(itsm_core::CommentVisibility::Public);
        }
        f
    }
}

/// The reference model: the incident flow as one match, written from the issue text.
fn model_next(s: IncidentState, step: &Step) -> Option<IncidentState> {
    use IncidentEvent as E;
    use IncidentState as S;
    let resolvable = step.code && step.notes;
    let reason_ok = match step.reason {
        // Awaiting the caller: the question to the caller comes with it.
        Some(0) => step.public_comment,
        Some(3) => true,
        Some(1) => step.change,
        Some(2) => step.problem,
        _ => false,
    };
    match (s, step.event) {
        (S::New, E::Start) => Some(S::InProgress),
        (S::New | S::InProgress, E::Hold) if reason_ok => Some(S::OnHold),
        (S::OnHold, E::Resume) => Some(S::InProgress),
        (S::OnHold, E::CallerUpdated) if step.awaiting_caller => Some(S::InProgress),
        (S::New | S::InProgress | S::OnHold, E::Resolve) if resolvable => Some(S::Resolved),
        (S::Resolved, E::Reopen) => Some(S::InProgress),
        (S::Resolved, E::Close) => Some(S::Closed),
        (S::New | S::InProgress | S::OnHold, E::Cancel) => Some(S::Canceled),
        _ => None,
    }
}

fn model_terminal(s: IncidentState) -> bool {
    matches!(s, IncidentState::Closed | IncidentState::Canceled)
}

fn model_paused(s: IncidentState) -> bool {
    s == IncidentState::OnHold
}

struct Model;

impl ReferenceStateMachine for Model {
    type State = IncidentState;
    type Transition = Step;

    fn init_state() -> BoxedStrategy<Self::State> {
        Just(IncidentState::New).boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<Self::Transition> {
        (
            proptest::sample::select(IncidentEvent::ALL.to_vec()),
            any::<bool>(),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.7),
            prop::bool::weighted(0.7),
            proptest::option::weighted(0.8, 0..REASONS.len()),
        )
            .prop_map(
                |(event, awaiting_caller, code, notes, problem, change, public_comment, reason)| {
                    Step {
                        event,
                        awaiting_caller,
                        code,
                        notes,
                        problem,
                        change,
                        public_comment,
                        reason,
                    }
                },
            )
            .boxed()
    }

    fn apply(state: Self::State, step: &Self::Transition) -> Self::State {
        model_next(state, step).unwrap_or(state)
    }
}

struct Engine {
    typed: Workflow<IncidentState, IncidentEvent>,
    dynamic: Workflow<String, String>,
    state: IncidentState,
    history: Vec<AuditEntry<IncidentState, IncidentEvent>>,
    dynamic_history: Vec<AuditEntry<String, String>>,
    /// Paused as the timeline events say, tracked from the transitions alone.
    paused: bool,
    now: DateTime<Utc>,
}

impl StateMachineTest for Engine {
    type SystemUnderTest = Self;
    type Reference = Model;

    fn init_test(_: &IncidentState) -> Self {
        let def = incident_flow();
        Engine {
            dynamic: Workflow::new(def.to_dynamic(), &PlainContext::itil()).unwrap(),
            typed: Workflow::new(def, &PlainContext::itil()).unwrap(),
            state: IncidentState::New,
            history: Vec::new(),
            dynamic_history: Vec::new(),
            paused: false,
            now: Utc.with_ymd_and_hms(2026, 1, 5, 8, 0, 0).unwrap(),
        }
    }

    fn apply(mut sut: Self, expected: &IncidentState, step: Step) -> Self {
        let before = sut.state;
        sut.now += Duration::minutes(7);
        let facts = step.facts();
        let actor = Some(PersonId::from_u128(42));
        let typed = sut
            .typed
            .apply(&sut.state, &step.event, actor, sut.now, &facts);
        let dynamic = sut.dynamic.apply(
            &before.to_string(),
            &step.event.to_string(),
            actor,
            sut.now,
            &facts,
        );
        match (&typed, &dynamic) {
            (Ok(t), Ok(d)) => {
                let text = serde_json::to_string(t).unwrap();
                let back: Transition<IncidentState, IncidentEvent> =
                    serde_json::from_str(&text).unwrap();
                assert_eq!(&back, t, "a transition round-trips through JSON");
                assert_eq!(
                    t.audit.to.to_string(),
                    d.audit.to,
                    "typed and dynamic disagree"
                );
                assert_eq!(t.effects, d.effects);
                assert_eq!(t.timeline, d.timeline);
                let TimelineChange::StateChanged {
                    from_category,
                    to_category,
                    ..
                } = &t.timeline.change
                else {
                    panic!(
                        "a transition's timeline event is a state change: {:?}",
                        t.timeline
                    )
                };
                let enters = *to_category == StateCategory::Paused
                    && *from_category != StateCategory::Paused;
                let leaves = *from_category == StateCategory::Paused
                    && *to_category != StateCategory::Paused;
                assert_eq!((enters, leaves), (t.enters_pause(), t.leaves_pause()));
                if enters {
                    assert!(!sut.paused, "entered a pause twice");
                    sut.paused = true;
                }
                if leaves {
                    assert!(sut.paused, "left a pause never entered");
                    sut.paused = false;
                }
                sut.state = t.audit.to;
                sut.history.push(t.audit.clone());
                sut.dynamic_history.push(d.audit.clone());
            }
            (Err(t), Err(d)) => {
                assert_eq!(t, d, "typed and dynamic refuse differently");
                if model_terminal(before) {
                    assert!(
                        matches!(t, LifecycleError::Terminal { .. }),
                        "terminal {before:?} must absorb {step:?}: {t:?}"
                    );
                }
            }
            _ => panic!("typed {typed:?} and dynamic {dynamic:?} disagree"),
        }
        assert_eq!(
            sut.state, *expected,
            "from {before:?} with {step:?}: engine says {typed:?}"
        );
        sut
    }

    fn check_invariants(sut: &Self, expected: &IncidentState) {
        assert!(
            sut.typed.contains(&sut.state),
            "undeclared state {:?}",
            sut.state
        );
        assert_eq!(
            sut.typed.replay(&sut.history).unwrap(),
            &sut.state,
            "replay must reproduce the state"
        );
        assert_eq!(
            sut.dynamic.replay(&sut.dynamic_history).unwrap(),
            &sut.state.to_string()
        );
        assert_eq!(
            sut.paused,
            model_paused(*expected),
            "pause tracked from effects vs model"
        );
        assert_eq!(sut.typed.is_terminal(&sut.state), model_terminal(*expected));
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn incident_engine_matches_the_model(sequential 1..40 => Engine);
}

/// Random walks over every default flow (dynamic keys): the state stays
/// declared, terminal states refuse everything, and replay reproduces the
/// state; replaying a tampered history reports the first offending entry.
fn walk(def: itsm_lifecycle::WorkflowDefinition<String, String>, picks: &[(usize, bool)]) {
    let wf = Workflow::new(def, &PlainContext::itil()).unwrap();
    let all = PlainContext::knowing(itsm_lifecycle::Guard::ITIL.iter().copied());
    let mut state = wf.initial().clone();
    let mut history = Vec::new();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    for (i, &(pick, permissive)) in picks.iter().enumerate() {
        let event = wf.events()[pick % wf.events().len()].clone();
        // Permissive facts satisfy every guard, field and reason of the target.
        let facts = if permissive {
            let target = wf.target(&state, &event).cloned();
            let mut f = PlainContext::itil();
            for g in itsm_lifecycle::Guard::ITIL {
                f = f.passing(*g);
            }
            if let Some(sd) =
                target.and_then(|t| wf.definition().states.iter().find(|s| s.key == t))
            {
                for field in &sd.required_fields {
                    f = f.with_field(field.clone());
                }
                if let Some(r) = sd.reasons.first() {
                    f = f.with_reason(r.clone());
                }
            }
            f
        } else {
            all.clone()
        };
        let at = t0 + Duration::minutes(i64::try_from(i).unwrap());
        match wf.apply(&state, &event, None, at, &facts) {
            Ok(t) => {
                assert!(!wf.is_terminal(&state), "terminal {state} accepted {event}");
                state = t.audit.to.clone();
                history.push(t.audit);
            }
            Err(e) => {
                if wf.is_terminal(&state) {
                    assert!(matches!(e, LifecycleError::Terminal { .. }), "{e:?}");
                }
            }
        }
        assert!(wf.contains(&state));
        assert_eq!(wf.replay(&history).unwrap(), &state);
    }
    if let Some(k) = picks
        .first()
        .map(|p| p.0 % (history.len().max(1)))
        .filter(|_| !history.is_empty())
    {
        let mut tampered = history.clone();
        tampered[k].to = "nowhere".to_owned();
        match wf.replay(&tampered) {
            Err(LifecycleError::ReplayRefused { index, .. }) => assert_eq!(index, k),
            other => panic!("tampered entry {k} not reported: {other:?}"),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]
    #[test]
    fn random_walks_over_every_default_flow(picks in prop::collection::vec((0usize..16, prop::bool::weighted(0.8)), 0..40)) {
        walk(incident_flow().to_dynamic(), &picks);
        walk(major_incident_flow().to_dynamic(), &picks);
        walk(problem_flow().to_dynamic(), &picks);
        for t in [itsm_core::ChangeType::Normal, itsm_core::ChangeType::Standard, itsm_core::ChangeType::Emergency] {
            walk(change_flow(t).to_dynamic(), &picks);
        }
        walk(release_flow().to_dynamic(), &picks);
        walk(service_request_flow().to_dynamic(), &picks);
        walk(asset_flow().to_dynamic(), &picks);
    }
}

#[test]
fn replay_reports_the_first_offending_entry() {
    let wf = Workflow::new(incident_flow(), &PlainContext::itil()).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let entry = |from, event, to, minutes| AuditEntry {
        from,
        to,
        event,
        actor: None,
        at: at + Duration::minutes(minutes),
        reason: None,
    };
    use IncidentEvent as E;
    use IncidentState as S;
    let check = |history: Vec<AuditEntry<S, E>>, want: Result<S, (usize, &str)>| {
        let got = wf.replay(&history);
        match (&got, &want) {
            (Ok(s), Ok(w)) => assert_eq!(*s, w),
            (Err(LifecycleError::ReplayRefused { index, fault, .. }), Err((i, f))) => {
                assert_eq!(
                    (*index, fault.to_string().as_str()),
                    (*i, *f),
                    "history {history:?}"
                );
            }
            _ => panic!("history {history:?}\nexpected {want:?}\nactual {got:?}"),
        }
    };
    check(vec![], Ok(S::New));
    check(
        vec![
            entry(S::New, E::Start, S::InProgress, 1),
            entry(S::InProgress, E::Resolve, S::Resolved, 2),
        ],
        Ok(S::Resolved),
    );
    check(
        vec![
            entry(S::New, E::Start, S::InProgress, 1),
            entry(S::New, E::Start, S::InProgress, 2),
        ],
        Err((1, "the record was in \"in_progress\"")),
    );
    check(
        vec![entry(S::New, E::Reopen, S::InProgress, 1)],
        Err((0, "the workflow has no such transition")),
    );
    check(
        vec![entry(S::New, E::Start, S::OnHold, 1)],
        Err((0, "the workflow leads to \"in_progress\"")),
    );
    check(
        vec![
            entry(S::New, E::Start, S::InProgress, 5),
            entry(S::InProgress, E::Cancel, S::Canceled, 1),
        ],
        Err((1, "the entry is earlier than the previous one")),
    );
    check(
        vec![
            entry(S::New, E::Cancel, S::Canceled, 1),
            entry(S::Canceled, E::Start, S::InProgress, 2),
        ],
        Err((1, "the workflow has no such transition")),
    );
}

/// One step on a change: an event and the facts given with it.
#[derive(Clone, Debug)]
struct ChangeStep {
    event: ChangeEvent,
    approved: bool,
    rejected: bool,
    planned: bool,
    close_fields: bool,
}

impl ChangeStep {
    fn facts(&self) -> PlainContext {
        let mut f = PlainContext::itil();
        if self.approved {
            f = f.passing(Guard::APPROVED);
        }
        if self.rejected {
            f = f.passing(Guard::REJECTED);
        }
        if self.planned {
            f = f.with_field("planned_start").with_field("planned_end");
        }
        if self.close_fields {
            f = f.with_field("close_code").with_field("close_notes");
        }
        f
    }
}

/// The reference model of the three change flows, written from the issue text.
fn change_next(ty: ChangeType, s: ChangeState, step: &ChangeStep) -> Option<ChangeState> {
    use ChangeEvent as E;
    use ChangeState as S;
    use ChangeType as T;
    let authorizing = matches!(ty, T::Normal | T::Emergency);
    match (s, step.event) {
        (S::New, E::Assess) if ty == T::Normal => Some(S::Assess),
        (S::Assess, E::RequestAuthorization) => Some(S::Authorize),
        (S::New, E::RequestAuthorization) if ty == T::Emergency => Some(S::Authorize),
        (S::New, E::Schedule) if ty == T::Standard && step.planned => Some(S::Scheduled),
        (S::Authorize, E::Schedule) if authorizing && step.approved && step.planned => {
            Some(S::Scheduled)
        }
        (S::Authorize, E::Reject) if step.rejected => Some(S::New),
        (S::Assess | S::Authorize, E::Revert) => Some(S::New),
        (S::Scheduled, E::Implement) => Some(S::Implement),
        (S::Implement, E::Review | E::BackOut) => Some(S::Review),
        (S::Review, E::Close) if step.close_fields => Some(S::Closed),
        (S::New | S::Assess | S::Authorize | S::Scheduled | S::Implement, E::Cancel) => {
            Some(S::Canceled)
        }
        _ => None,
    }
}

struct ChangeModel;

impl ReferenceStateMachine for ChangeModel {
    type State = (ChangeType, ChangeState);
    type Transition = ChangeStep;

    fn init_state() -> BoxedStrategy<Self::State> {
        proptest::sample::select(vec![
            ChangeType::Normal,
            ChangeType::Standard,
            ChangeType::Emergency,
        ])
        .prop_map(|t| (t, ChangeState::New))
        .boxed()
    }

    fn transitions(_: &Self::State) -> BoxedStrategy<Self::Transition> {
        (
            proptest::sample::select(ChangeEvent::ALL.to_vec()),
            prop::bool::weighted(0.6),
            prop::bool::weighted(0.3),
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.8),
        )
            .prop_map(
                |(event, approved, rejected, planned, close_fields)| ChangeStep {
                    event,
                    approved,
                    rejected,
                    planned,
                    close_fields,
                },
            )
            .boxed()
    }

    fn apply((ty, state): Self::State, step: &Self::Transition) -> Self::State {
        (ty, change_next(ty, state, step).unwrap_or(state))
    }
}

struct ChangeEngine {
    workflow: Workflow<ChangeState, ChangeEvent>,
    state: ChangeState,
    history: Vec<AuditEntry<ChangeState, ChangeEvent>>,
    now: DateTime<Utc>,
}

impl StateMachineTest for ChangeEngine {
    type SystemUnderTest = Self;
    type Reference = ChangeModel;

    fn init_test((ty, _): &(ChangeType, ChangeState)) -> Self {
        ChangeEngine {
            workflow: Workflow::new(change_flow(*ty), &PlainContext::itil()).unwrap(),
            state: ChangeState::New,
            history: Vec::new(),
            now: Utc.with_ymd_and_hms(2026, 2, 2, 8, 0, 0).unwrap(),
        }
    }

    fn apply(mut sut: Self, (ty, expected): &(ChangeType, ChangeState), step: ChangeStep) -> Self {
        let before = sut.state;
        sut.now += Duration::hours(1);
        let result = sut
            .workflow
            .apply(&before, &step.event, None, sut.now, &step.facts());
        match &result {
            Ok(t) => {
                let cancels = matches!(
                    step.event,
                    ChangeEvent::Revert | ChangeEvent::Reject | ChangeEvent::Cancel
                );
                assert_eq!(
                    t.effects
                        .contains(&itsm_lifecycle::Effect::CancelPendingApprovals),
                    cancels,
                    "{ty} change: {step:?} from {before:?}"
                );
                sut.state = t.audit.to;
                sut.history.push(t.audit.clone());
            }
            Err(e) => {
                if sut.workflow.is_terminal(&before) {
                    assert!(matches!(e, LifecycleError::Terminal { .. }), "{e:?}");
                }
            }
        }
        assert_eq!(
            sut.state, *expected,
            "{ty} change from {before:?} with {step:?}: engine says {result:?}"
        );
        sut
    }

    fn check_invariants(sut: &Self, (_, expected): &(ChangeType, ChangeState)) {
        assert!(sut.workflow.contains(&sut.state));
        assert_eq!(sut.workflow.replay(&sut.history).unwrap(), &sut.state);
        assert_eq!(
            sut.workflow.is_terminal(&sut.state),
            matches!(expected, ChangeState::Closed | ChangeState::Canceled)
        );
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]
    #[test]
    fn change_engines_match_the_model(sequential 1..30 => ChangeEngine);
}
