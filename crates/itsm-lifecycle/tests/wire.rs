//! Wire names: serde and strum agree over every variant of every enum, and
//! serialisation round-trips losslessly.

use std::fmt::Debug;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use itsm_core::{PersonId, StateCategory};
use itsm_lifecycle::{
    ApprovalOutcome, ApprovalPolicy, AuditEntry, AutoClose, ChangeEvent, Effect, IncidentEvent,
    IssueKind, LifecycleError, MajorIncidentEvent, PlainContext, ProblemEvent, Refusal,
    ReleaseEvent, ServiceRequestEvent, StateDefinition, TransitionDefinition, WorkflowDefinition,
};
use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use strum::IntoEnumIterator;

fn check_names<T>()
where
    T: IntoEnumIterator
        + Serialize
        + DeserializeOwned
        + Debug
        + PartialEq
        + Copy
        + std::fmt::Display
        + AsRef<str>,
{
    for v in T::iter() {
        let wire = serde_json::to_value(v).unwrap();
        assert_eq!(
            wire,
            serde_json::Value::String(v.to_string()),
            "serde vs Display for {v:?}"
        );
        assert_eq!(v.as_ref(), v.to_string(), "AsRefStr vs Display for {v:?}");
        assert_eq!(serde_json::from_value::<T>(wire).unwrap(), v);
    }
}

fn check_from_str<T>()
where
    T: IntoEnumIterator
        + FromStr<Err = LifecycleError>
        + Debug
        + PartialEq
        + Copy
        + std::fmt::Display,
{
    for v in T::iter() {
        assert_eq!(v.to_string().parse::<T>().unwrap(), v);
    }
    let err = "no_such_event".parse::<T>().unwrap_err();
    assert!(
        matches!(&err, LifecycleError::InvalidName { value, .. } if value == "no_such_event"),
        "{err:?}"
    );
}

#[test]
fn serde_and_strum_agree_on_every_variant() {
    check_names::<IssueKind>();
    check_names::<IncidentEvent>();
    check_names::<MajorIncidentEvent>();
    check_names::<ProblemEvent>();
    check_names::<ChangeEvent>();
    check_names::<ReleaseEvent>();
    check_names::<ServiceRequestEvent>();
    check_from_str::<IncidentEvent>();
    check_from_str::<MajorIncidentEvent>();
    check_from_str::<ProblemEvent>();
    check_from_str::<ChangeEvent>();
    check_from_str::<ReleaseEvent>();
    check_from_str::<ServiceRequestEvent>();
}

#[test]
fn event_all_lists_every_variant_in_order() {
    assert_eq!(
        IncidentEvent::ALL,
        IncidentEvent::iter().collect::<Vec<_>>()
    );
    assert_eq!(ChangeEvent::ALL, ChangeEvent::iter().collect::<Vec<_>>());
    assert_eq!(
        ServiceRequestEvent::ALL,
        ServiceRequestEvent::iter().collect::<Vec<_>>()
    );
}

#[test]
fn tagged_enums_have_snake_case_tags() {
    let check = |value: serde_json::Value, expected: serde_json::Value| assert_eq!(value, expected);
    check(
        serde_json::to_value(ApprovalPolicy::NOfM { required: 2 }).unwrap(),
        serde_json::json!({"type": "n_of_m", "required": 2}),
    );
    check(
        serde_json::to_value(Effect::CancelPendingApprovals).unwrap(),
        serde_json::json!({"type": "cancel_pending_approvals"}),
    );
    check(
        serde_json::to_value(Refusal::MissingField { field: "x".into() }).unwrap(),
        serde_json::json!({"kind": "missing_field", "field": "x"}),
    );
    check(
        serde_json::to_value(ApprovalOutcome::Rejected { rejections: 1 }).unwrap(),
        serde_json::json!({"outcome": "rejected", "rejections": 1}),
    );
}

fn name() -> impl Strategy<Value = String> {
    "[a-z_]{1,8}"
}

fn category() -> impl Strategy<Value = StateCategory> {
    proptest::sample::select(StateCategory::iter().collect::<Vec<_>>())
}

fn effect() -> impl Strategy<Value = Effect> {
    prop_oneof![
        name().prop_map(|field| Effect::SetTimestamp { field }),
        name().prop_map(|field| Effect::ClearTimestamp { field }),
        name().prop_map(|field| Effect::SetActor { field }),
        name().prop_map(|field| Effect::SetReason { field }),
        name().prop_map(|field| Effect::ClearField { field }),
        name().prop_map(|field| Effect::Increment { field }),
        Just(Effect::CancelPendingApprovals),
        Just(Effect::CancelMajorIncident),
        Just(Effect::ResolveIncidentsAwaitingProblem),
    ]
}

fn visibility() -> impl Strategy<Value = itsm_core::CommentVisibility> {
    prop_oneof![
        Just(itsm_core::CommentVisibility::Public),
        Just(itsm_core::CommentVisibility::WorkNote),
    ]
}

fn definition() -> impl Strategy<Value = WorkflowDefinition<String, String>> {
    let state = (
        name(),
        category(),
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..3),
        prop::collection::btree_map(name(), prop::collection::vec(name(), 0..2), 0..2),
        prop::collection::btree_map(name(), visibility(), 0..2),
        prop::option::of(".{0,12}"),
    )
        .prop_map(
            |(
                key,
                category,
                required_fields,
                reasons,
                reason_fields,
                reason_comments,
                description,
            )| {
                StateDefinition {
                    key,
                    category,
                    required_fields,
                    reasons,
                    reason_fields,
                    reason_comments,
                    description,
                }
            },
        );
    let transition = (
        name(),
        name(),
        name(),
        prop::collection::vec(name(), 0..2),
        prop::collection::vec(effect(), 0..3),
    )
        .prop_map(|(from, event, to, guards, effects)| TransitionDefinition {
            from,
            event,
            to,
            guards,
            effects,
        });
    (
        name(),
        prop::option::of(".{0,20}"),
        name(),
        prop::collection::vec(state, 0..5),
        prop::collection::vec(transition, 0..6),
        prop::collection::vec(name(), 0..3),
    )
        .prop_map(
            |(name, description, initial, states, transitions, terminal)| WorkflowDefinition {
                name,
                description,
                initial,
                states,
                transitions,
                terminal,
            },
        )
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (0i64..4_000_000_000).prop_map(|s| Utc.timestamp_opt(s, 0).unwrap())
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(value: &T) {
    let text = serde_json::to_string(value).unwrap();
    let back: T = serde_json::from_str(&text).unwrap();
    assert_eq!(&back, value, "{text}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn definitions_round_trip(def in definition()) {
        round_trip(&def);
        let text = def.to_json().unwrap();
        prop_assert_eq!(WorkflowDefinition::<String, String>::from_json(&text).unwrap(), def);
    }

    #[test]
    fn audit_entries_round_trip(from in name(), to in name(), event in name(), actor in prop::option::of(any::<u128>()), at in instant(), reason in prop::option::of(".{0,10}")) {
        round_trip(&AuditEntry { from, to, event, actor: actor.map(PersonId::from_u128), at, reason });
    }

    #[test]
    fn rules_round_trip(required in any::<u32>(), days in any::<u32>(), known in prop::collection::btree_set(name(), 0..4), reason in prop::option::of(name()), comments in prop::collection::btree_set(visibility(), 0..2)) {
        round_trip(&ApprovalPolicy::NOfM { required });
        round_trip(&ApprovalPolicy::All);
        round_trip(&ApprovalPolicy::Optional);
        round_trip(&ApprovalOutcome::Pending { approved: days, required, outstanding: 3 });
        round_trip(&AutoClose { days });
        round_trip(&PlainContext { known_guards: known.clone(), passing_guards: known.clone(), fields: known, reason, comments });
    }
}
