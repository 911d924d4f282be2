//! Major-incident criteria: one table around `check`, the rule set's own
//! checks, and a law (adding a criterion never removes a match).

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use itsm_core::{
    AffectedService, BusinessEffect, CiId, Criticality, Impact, Incident, IncidentId,
    IncidentState, MajorIncidentState, PersonId, Priority, ServiceEffect, Urgency,
};
use itsm_lifecycle::{
    MajorIncidentCriterion as C, MajorIncidentFacts, MajorIncidentRules, RelatedIncident,
    VolumeScope,
};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 10, 0, 0).unwrap()
}

const BANKING: CiId = CiId::from_u128(0xb1);
const INTRANET: CiId = CiId::from_u128(0xb2);
const HOST: CiId = CiId::from_u128(0xc1);

fn incident(edit: impl FnOnce(&mut Incident)) -> Incident {
    let mut i = Incident::new(
        IncidentId::from_u128(1),
        "INC0000001".parse().unwrap(),
        PersonId::from_u128(7),
        "Online banking slow",
        now() - Duration::minutes(5),
    );
    i.state = IncidentState::InProgress;
    i.configuration_items = vec![HOST];
    edit(&mut i);
    i
}

fn criticality() -> BTreeMap<CiId, Criticality> {
    BTreeMap::from([
        (BANKING, Criticality::MostCritical),
        (INTRANET, Criticality::LessCritical),
    ])
}

fn related(n: u128, minutes_ago: i64, ci: CiId) -> RelatedIncident {
    RelatedIncident {
        number: format!("INC{:07}", 100 + n).parse().unwrap(),
        opened_at: now() - Duration::minutes(minutes_ago),
        configuration_items: vec![ci],
        services: Vec::new(),
    }
}

/// Assesses `incident` under one criterion; checks whether it matches and
/// that the reason names what it should.
fn check(
    name: &str,
    criterion: C,
    incident: &Incident,
    others: &[RelatedIncident],
    expect: Option<&str>,
) {
    let rules = MajorIncidentRules {
        criteria: vec![criterion],
    };
    assert!(rules.check().is_empty(), "{name}: {:?}", rules.check());
    let crit = criticality();
    let facts = MajorIncidentFacts {
        service_criticality: &crit,
        related: others,
        now: now(),
    };
    let got = rules.assess(incident, &facts);
    match expect {
        None => assert!(got.matched.is_empty(), "{name}: {got:?}"),
        Some(part) => {
            assert_eq!(got.matched.len(), 1, "{name}: {got:?}");
            assert!(
                got.matched[0].reason.contains(part),
                "{name}: {}",
                got.matched[0].reason
            );
            assert!(got.candidate, "{name}: {got:?}");
        }
    }
}

fn service(ci: CiId, effect: ServiceEffect) -> AffectedService {
    AffectedService {
        service: ci,
        effect,
    }
}

/// A case: its name, the criterion, the incident, the other incidents, and
/// part of the reason expected (`None`: no match).
type Case = (
    &'static str,
    C,
    Incident,
    Vec<RelatedIncident>,
    Option<&'static str>,
);

#[test]
fn each_criterion_matches_and_says_why() {
    let impacted_banking =
        incident(|i| i.affected_services = vec![service(BANKING, ServiceEffect::Impacted)]);
    let degraded_banking =
        incident(|i| i.affected_services = vec![service(BANKING, ServiceEffect::Degraded)]);
    let intranet =
        incident(|i| i.affected_services = vec![service(INTRANET, ServiceEffect::Impacted)]);
    let most = |include_degraded| C::ServiceCriticality {
        at_least: Criticality::MostCritical,
        include_degraded,
    };
    let cases: Vec<Case> = vec![
        (
            "a most critical service impacted",
            most(false),
            impacted_banking.clone(),
            vec![],
            Some("service 00000000-0000-0000-0000-0000000000b1 (impacted, most_critical)"),
        ),
        (
            "a most critical service only degraded",
            most(false),
            degraded_banking.clone(),
            vec![],
            None,
        ),
        (
            "a degraded one counts when asked",
            most(true),
            degraded_banking,
            vec![],
            Some("affects a service at least most_critical"),
        ),
        (
            "a less critical service",
            most(false),
            intranet.clone(),
            vec![],
            None,
        ),
        (
            "at least less critical",
            C::ServiceCriticality {
                at_least: Criticality::LessCritical,
                include_degraded: false,
            },
            intranet,
            vec![],
            Some("less_critical"),
        ),
        (
            "a service of unknown criticality",
            most(false),
            incident(|i| {
                i.affected_services = vec![service(CiId::from_u128(9), ServiceEffect::Impacted)]
            }),
            vec![],
            None,
        ),
        (
            "a security effect",
            C::BusinessEffect {
                any_of: vec![BusinessEffect::Security, BusinessEffect::Regulation],
            },
            incident(|i| i.business_effects = vec![BusinessEffect::Security]),
            vec![],
            Some("flagged with security"),
        ),
        (
            "a reputation effect not listed",
            C::BusinessEffect {
                any_of: vec![BusinessEffect::Security],
            },
            incident(|i| i.business_effects = vec![BusinessEffect::Reputation]),
            vec![],
            None,
        ),
        (
            "a p1",
            C::Priority {
                at_least: Priority::P1,
            },
            incident(|i| i.priority = Priority::P1),
            vec![],
            Some("priority p1 is at least p1"),
        ),
        (
            "a p2 against p1",
            C::Priority {
                at_least: Priority::P1,
            },
            incident(|i| i.priority = Priority::P2),
            vec![],
            None,
        ),
        (
            "a p1 against p2",
            C::Priority {
                at_least: Priority::P2,
            },
            incident(|i| i.priority = Priority::P1),
            vec![],
            Some("priority p1"),
        ),
        (
            "high impact",
            C::Impact {
                at_least: Impact::High,
            },
            incident(|i| i.impact = Impact::VeryHigh),
            vec![],
            Some("impact very_high is at least high"),
        ),
        (
            "medium impact",
            C::Impact {
                at_least: Impact::High,
            },
            incident(|i| i.impact = Impact::Medium),
            vec![],
            None,
        ),
        (
            "high urgency",
            C::Urgency {
                at_least: Urgency::High,
            },
            incident(|i| i.urgency = Urgency::High),
            vec![],
            Some("urgency high"),
        ),
        (
            "five incidents on one host within the hour",
            C::Volume {
                incidents: 5,
                within_seconds: 3_600,
                on: VolumeScope::ConfigurationItems,
            },
            incident(|_| {}),
            vec![
                related(1, 10, HOST),
                related(2, 20, HOST),
                related(3, 30, HOST),
                related(4, 59, HOST),
            ],
            Some("5 incidents on configuration item"),
        ),
        (
            "one of them outside the hour",
            C::Volume {
                incidents: 5,
                within_seconds: 3_600,
                on: VolumeScope::ConfigurationItems,
            },
            incident(|_| {}),
            vec![
                related(1, 10, HOST),
                related(2, 20, HOST),
                related(3, 30, HOST),
                related(4, 61, HOST),
            ],
            None,
        ),
        (
            "on another host",
            C::Volume {
                incidents: 2,
                within_seconds: 3_600,
                on: VolumeScope::ConfigurationItems,
            },
            incident(|_| {}),
            vec![related(1, 10, CiId::from_u128(0xc2))],
            None,
        ),
        (
            "services counted, not hosts",
            C::Volume {
                incidents: 2,
                within_seconds: 3_600,
                on: VolumeScope::Services,
            },
            incident(|i| i.affected_services = vec![service(BANKING, ServiceEffect::Degraded)]),
            vec![RelatedIncident {
                services: vec![BANKING],
                configuration_items: vec![],
                ..related(1, 5, HOST)
            }],
            Some("2 incidents on service"),
        ),
        (
            "the incident itself counted once",
            C::Volume {
                incidents: 2,
                within_seconds: 3_600,
                on: VolumeScope::Either,
            },
            incident(|_| {}),
            vec![RelatedIncident::of(&incident(|_| {}))],
            None,
        ),
        (
            "all of: a p1 on a most critical service",
            C::AllOf {
                criteria: vec![
                    C::Priority {
                        at_least: Priority::P1,
                    },
                    most(false),
                ],
            },
            incident(|i| {
                i.priority = Priority::P1;
                i.affected_services = vec![service(BANKING, ServiceEffect::Impacted)];
            }),
            vec![],
            Some("priority p1 is at least p1; and impacts a service"),
        ),
        (
            "all of: a p1 elsewhere",
            C::AllOf {
                criteria: vec![
                    C::Priority {
                        at_least: Priority::P1,
                    },
                    most(false),
                ],
            },
            incident(|i| i.priority = Priority::P1),
            vec![],
            None,
        ),
    ];
    for (name, criterion, incident, others, expect) in cases {
        check(name, criterion, &incident, &others, expect);
    }
}

#[test]
fn an_incident_already_major_or_no_longer_active_is_not_proposed_again() {
    let rules = MajorIncidentRules::default();
    let crit = criticality();
    let facts = MajorIncidentFacts {
        service_criticality: &crit,
        related: &[],
        now: now(),
    };
    for (name, edit, why) in [
        (
            "accepted",
            Box::new(|i: &mut Incident| i.major_incident_state = Some(MajorIncidentState::Accepted))
                as Box<dyn Fn(&mut Incident)>,
            Some("it is already a major incident (accepted)"),
        ),
        (
            "rejected before",
            Box::new(|i: &mut Incident| {
                i.major_incident_state = Some(MajorIncidentState::Rejected)
            }),
            None,
        ),
        (
            "resolved",
            Box::new(|i: &mut Incident| i.state = IncidentState::Resolved),
            Some("the incident is resolved"),
        ),
    ] {
        let incident = incident(|i| {
            i.priority = Priority::P1;
            edit(i);
        });
        let got = rules.assess(&incident, &facts);
        assert_eq!(got.matched.len(), 1, "{name}");
        assert_eq!(got.not_proposed_because.as_deref(), why, "{name}");
        assert_eq!(got.candidate, why.is_none(), "{name}");
    }
}

#[test]
fn a_rule_set_reports_every_problem_with_its_path() {
    let rules = MajorIncidentRules {
        criteria: vec![
            C::BusinessEffect { any_of: vec![] },
            C::Volume {
                incidents: 1,
                within_seconds: 0,
                on: VolumeScope::Either,
            },
            C::AllOf {
                criteria: vec![
                    C::AllOf { criteria: vec![] },
                    C::Volume {
                        incidents: 3,
                        within_seconds: 100 * 86_400,
                        on: VolumeScope::Services,
                    },
                ],
            },
        ],
    };
    let mut paths: Vec<(String, String)> = rules
        .check()
        .into_iter()
        .map(|v| (v.path, v.rule))
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            ("criteria[0].any_of", "empty"),
            ("criteria[1].incidents", "out_of_range"),
            ("criteria[1].within_seconds", "out_of_range"),
            ("criteria[2].criteria[0].criteria", "empty"),
            ("criteria[2].criteria[1].within_seconds", "out_of_range"),
        ]
        .map(|(p, r)| (p.to_owned(), r.to_owned()))
    );
    assert_eq!(
        MajorIncidentRules { criteria: vec![] }.check()[0].path,
        "criteria"
    );
    // JSON: an unknown field names its path and the nearest name.
    let err =
        MajorIncidentRules::from_json(r#"{"criteria": [{"type": "priority", "at_lest": "p1"}]}"#)
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("criteria[0]") && err.contains("at_least"),
        "{err}"
    );
    let err = MajorIncidentRules::from_json(r#"{"criteria": [{"type": "volume", "incidents": 1, "within_seconds": 60, "on": "either"}]}"#)
        .unwrap_err()
        .to_string();
    assert!(err.contains("criteria[0].incidents"), "{err}");
    let default = serde_json::to_string(&MajorIncidentRules::default()).unwrap();
    assert_eq!(
        MajorIncidentRules::from_json(&default).unwrap(),
        MajorIncidentRules::default()
    );
}

fn criterion() -> impl Strategy<Value = C> {
    let leaf = prop_oneof![
        (any::<bool>(), 0..4usize).prop_map(|(d, c)| C::ServiceCriticality {
            at_least: [
                Criticality::MostCritical,
                Criticality::SomewhatCritical,
                Criticality::LessCritical,
                Criticality::NotCritical
            ][c],
            include_degraded: d,
        }),
        (0..6usize).prop_map(|p| C::Priority {
            at_least: Priority::ALL[p]
        }),
        (0..5usize).prop_map(|i| C::Impact {
            at_least: Impact::ALL[i]
        }),
        (2..6u32, 60..7_200u64).prop_map(|(n, w)| C::Volume {
            incidents: n,
            within_seconds: w,
            on: VolumeScope::Either
        }),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec(inner, 1..3).prop_map(|criteria| C::AllOf { criteria })
    })
}

proptest! {
    /// Adding a criterion never removes a match, and a rule set matches
    /// when one of its criteria alone does.
    #[test]
    fn adding_a_criterion_never_removes_a_match(
        base in prop::collection::vec(criterion(), 1..4),
        extra in criterion(),
        priority in 0..6usize,
        effect in any::<bool>(),
        minutes in prop::collection::vec(0..120i64, 0..6),
    ) {
        let incident = incident(|i| {
            i.priority = Priority::ALL[priority];
            i.affected_services = vec![service(BANKING, if effect { ServiceEffect::Impacted } else { ServiceEffect::Degraded })];
        });
        let others: Vec<RelatedIncident> = minutes.iter().enumerate().map(|(n, m)| related(n as u128 + 1, *m, HOST)).collect();
        let crit = criticality();
        let facts = MajorIncidentFacts { service_criticality: &crit, related: &others, now: now() };
        let before = MajorIncidentRules { criteria: base.clone() }.assess(&incident, &facts);
        let mut more = base.clone();
        more.push(extra);
        let after = MajorIncidentRules { criteria: more }.assess(&incident, &facts);
        prop_assert!(after.matched.len() >= before.matched.len());
        prop_assert_eq!(&after.matched[..before.matched.len()], &before.matched[..]);
        let alone = base.iter().any(|c| !MajorIncidentRules { criteria: vec![c.clone()] }.assess(&incident, &facts).matched.is_empty());
        prop_assert_eq!(alone, !before.matched.is_empty());
    }
}
