//! Assignment rules: a table of decisions around one `check`, a table of
//! validation problems, and laws: the compiled rules decide as a naive
//! first-match scan does, the person picked is an active member of the
//! group picked, least loaded picks a minimum, round-robin is fair.

use std::collections::BTreeMap;

use itsm_core::{Directory, Group, GroupId, Person, PersonId, Priority, ServiceId, Validate};
use itsm_lifecycle::{
    Assigner, Assignment, AssignmentFacts, AssignmentRule, AssignmentRules, LifecycleError, Pick,
    Workload,
};
use proptest::prelude::*;

fn p(n: u128) -> PersonId {
    PersonId::from_u128(n)
}

fn g(n: u128) -> GroupId {
    GroupId::from_u128(100 + n)
}

fn s(n: u128) -> ServiceId {
    ServiceId::from_u128(300 + n)
}

fn person(n: u128, active: bool) -> Person {
    Person {
        active,
        ..Person::new(p(n), format!("person {n}"))
    }
}

fn group(n: u128, active: bool, members: &[u128]) -> Group {
    Group {
        active,
        members: members.iter().map(|&m| p(m)).collect(),
        ..Group::new(g(n), format!("group {n}"))
    }
}

/// People 1–5 (4 inactive); group 1 the service desk (1, 2, 3), group 2
/// the network team (4 inactive, 5), group 3 the database team (2),
/// group 4 inactive, group 5 with only the inactive person 4.
fn directory() -> Directory {
    Directory {
        people: (1..=5).map(|n| person(n, n != 4)).collect(),
        groups: vec![
            group(1, true, &[1, 2, 3]),
            group(2, true, &[4, 5]),
            group(3, true, &[2]),
            group(4, false, &[1]),
            group(5, true, &[4]),
        ],
        roles: Vec::new(),
    }
}

fn rule(name: &str, group: u128, pick: Pick) -> AssignmentRule {
    AssignmentRule {
        name: name.to_owned(),
        category: None,
        service: None,
        ci_class: None,
        priorities: Vec::new(),
        group: g(group),
        pick,
    }
}

/// The table's rules: specific before general, as a desk writes them.
fn rules() -> AssignmentRules {
    AssignmentRules {
        rules: vec![
            AssignmentRule {
                service: Some(s(1)),
                priorities: vec![Priority::P1, Priority::P2],
                ..rule("payroll outage", 3, Pick::LeastLoaded)
            },
            AssignmentRule {
                ci_class: Some("router".into()),
                ..rule("routers", 2, Pick::RoundRobin)
            },
            AssignmentRule {
                category: Some("network".into()),
                ..rule("network", 2, Pick::GroupOnly)
            },
            AssignmentRule {
                service: Some(s(1)),
                ..rule("payroll", 1, Pick::RoundRobin)
            },
            AssignmentRule {
                category: Some("database".into()),
                priorities: vec![Priority::P1],
                ..rule("database p1", 3, Pick::RoundRobin)
            },
            rule("everything else", 1, Pick::LeastLoaded),
        ],
    }
}

fn facts(
    category: Option<&str>,
    service: Option<u128>,
    ci_class: Option<&str>,
    priority: Option<Priority>,
) -> AssignmentFacts {
    AssignmentFacts {
        category: category.map(str::to_owned),
        service: service.map(s),
        ci_class: ci_class.map(str::to_owned),
        priority,
    }
}

fn workload(last: &[(u128, u128)], open: &[(u128, u32)]) -> Workload {
    Workload {
        last_assigned: last.iter().map(|&(grp, who)| (g(grp), p(who))).collect(),
        open_work: open.iter().map(|&(who, n)| (p(who), n)).collect(),
    }
}

/// The rule, group and person a case expects, or no decision.
type Decision = Option<(&'static str, u128, Option<u128>)>;

/// Decides `facts` under `workload` and compares with `(rule, group, person)`.
fn check(case: &str, facts: &AssignmentFacts, workload: &Workload, expected: Decision) {
    let assigner = Assigner::new(rules(), &directory()).unwrap();
    let actual = assigner.decide(facts, workload);
    let expected = expected.map(|(name, grp, who)| Assignment {
        rule: name.to_owned(),
        rule_index: rules().rules.iter().position(|r| r.name == name).unwrap(),
        assignment_group: g(grp),
        assigned_to: who.map(p),
    });
    assert_eq!(
        actual, expected,
        "case {case:?}\nfacts {facts:?}\nworkload {workload:?}"
    );
}

#[test]
fn assignment_decisions() {
    use Priority::*;
    let none = workload(&[], &[]);
    let cases: Vec<(&str, AssignmentFacts, Workload, Decision)> = vec![
        (
            "a P1 on payroll: least loaded of the database team",
            facts(None, Some(1), None, Some(P1)),
            none.clone(),
            Some(("payroll outage", 3, Some(2))),
        ),
        (
            "a P3 on payroll skips the outage rule",
            facts(None, Some(1), None, Some(P3)),
            none.clone(),
            Some(("payroll", 1, Some(1))),
        ),
        (
            "a priority-bound rule never matches a record without a priority",
            facts(None, Some(1), None, None),
            none.clone(),
            Some(("payroll", 1, Some(1))),
        ),
        (
            "round-robin continues after the last assignee",
            facts(None, Some(1), None, Some(P3)),
            workload(&[(1, 1)], &[]),
            Some(("payroll", 1, Some(2))),
        ),
        (
            "round-robin wraps round",
            facts(None, Some(1), None, Some(P3)),
            workload(&[(1, 3)], &[]),
            Some(("payroll", 1, Some(1))),
        ),
        (
            "a cursor outside the group starts at the first member",
            facts(None, Some(1), None, Some(P3)),
            workload(&[(1, 5)], &[]),
            Some(("payroll", 1, Some(1))),
        ),
        (
            "round-robin skips an inactive member",
            facts(None, None, Some("router"), None),
            none.clone(),
            Some(("routers", 2, Some(5))),
        ),
        (
            "round-robin after an inactive last assignee",
            facts(None, None, Some("router"), None),
            workload(&[(2, 4)], &[]),
            Some(("routers", 2, Some(5))),
        ),
        (
            "a CI class rule before a category rule",
            facts(Some("network"), None, Some("router"), None),
            none.clone(),
            Some(("routers", 2, Some(5))),
        ),
        (
            "a category rule assigns the group only",
            facts(Some("network"), None, Some("switch"), Some(P2)),
            none.clone(),
            Some(("network", 2, None)),
        ),
        (
            "an earlier category rule beats a later service rule",
            facts(Some("network"), Some(1), None, Some(P4)),
            none.clone(),
            Some(("network", 2, None)),
        ),
        (
            "an earlier service rule beats a later category rule",
            facts(Some("database"), Some(1), None, Some(P1)),
            none.clone(),
            Some(("payroll outage", 3, Some(2))),
        ),
        (
            "the database P1 rule",
            facts(Some("database"), None, None, Some(P1)),
            none.clone(),
            Some(("database p1", 3, Some(2))),
        ),
        (
            "least loaded: the member with the least open work",
            facts(Some("database"), None, None, Some(P2)),
            workload(&[], &[(1, 4), (2, 1), (3, 2)]),
            Some(("everything else", 1, Some(2))),
        ),
        (
            "least loaded: nobody listed has none, first in member order wins a tie",
            facts(None, None, None, None),
            workload(&[], &[(1, 4)]),
            Some(("everything else", 1, Some(2))),
        ),
        (
            "least loaded: ties go to member order",
            facts(None, None, None, None),
            workload(&[], &[(1, 2), (2, 2), (3, 2)]),
            Some(("everything else", 1, Some(1))),
        ),
        (
            "category compared exactly",
            facts(Some("Network"), None, None, None),
            none.clone(),
            Some(("everything else", 1, Some(1))),
        ),
    ];
    for (case, f, w, expected) in cases {
        check(case, &f, &w, expected);
    }
}

#[test]
fn facts_from_records() {
    use chrono::{TimeZone, Utc};
    use itsm_core::{Change, ChangeId, ChangeType, Incident, IncidentId, Problem, ProblemId};
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let mut incident = Incident::new(
        IncidentId::from_u128(1),
        "INC0000001".parse().unwrap(),
        p(1),
        "Mail down",
        at,
    );
    incident.category = Some("email".into());
    incident.service = Some(s(1));
    incident.priority = Priority::P2;
    let mut problem = Problem::new(
        ProblemId::from_u128(2),
        "PRB0000001".parse().unwrap(),
        "Mail keeps failing",
        at,
    );
    problem.category = Some("email".into());
    problem.service = Some(s(1));
    problem.priority = Priority::P2;
    let mut change = Change::new(
        ChangeId::from_u128(3),
        "CHG0000001".parse().unwrap(),
        ChangeType::Normal,
        p(1),
        "Patch mail",
        at,
    );
    change.category = Some("email".into());
    change.service = Some(s(1));
    let expected = facts(
        Some("email"),
        Some(1),
        Some("exchange_server"),
        Some(Priority::P2),
    );
    assert_eq!(
        AssignmentFacts::for_incident(&incident, Some("exchange_server")),
        expected
    );
    assert_eq!(
        AssignmentFacts::for_problem(&problem, Some("exchange_server")),
        expected
    );
    assert_eq!(
        AssignmentFacts::for_change(&change, Some("exchange_server")),
        AssignmentFacts {
            priority: None,
            ..expected.clone()
        },
        "a change without a priority"
    );
    change.priority = Some(Priority::P2);
    assert_eq!(
        AssignmentFacts::for_change(&change, Some("exchange_server")),
        expected
    );
}

#[test]
fn no_rule_matches_no_decision() {
    let only = AssignmentRules {
        rules: vec![AssignmentRule {
            category: Some("network".into()),
            ..rule("network", 2, Pick::RoundRobin)
        }],
    };
    let assigner = Assigner::new(only, &directory()).unwrap();
    assert_eq!(
        assigner.decide(
            &facts(Some("email"), None, None, None),
            &Workload::default()
        ),
        None
    );
}

type Expected = &'static [(&'static str, &'static str)];

/// Validates `rules` and compares the `(path, rule)` pairs, in any order;
/// the assigner refuses exactly the rules with problems.
fn check_rules(case: &str, rules: AssignmentRules, expected: Expected) {
    let problems = rules.validate(&directory());
    let mut actual: Vec<(String, String)> = problems
        .iter()
        .map(|v| (v.path.clone(), v.rule.clone()))
        .collect();
    let mut wanted: Vec<(String, String)> = expected
        .iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect();
    actual.sort();
    wanted.sort();
    assert_eq!(actual, wanted, "case {case:?}\n{problems:#?}");
    match Assigner::new(rules, &directory()) {
        Ok(_) => assert!(expected.is_empty(), "case {case:?}: built despite problems"),
        Err(LifecycleError::InvalidAssignmentRules { problems: p }) => {
            assert_eq!(p, problems, "case {case:?}")
        }
        Err(e) => panic!("case {case:?}: {e}"),
    }
}

#[test]
fn assignment_rule_problems() {
    let with = |f: fn(&mut AssignmentRules)| {
        let mut r = rules();
        f(&mut r);
        r
    };
    let cases: Vec<(&str, AssignmentRules, Expected)> = vec![
        ("the table's rules are valid", rules(), &[]),
        ("no rules are valid", AssignmentRules::default(), &[]),
        (
            "a blank name",
            with(|r| r.rules[0].name = " ".into()),
            &[("rules[0].name", "empty")],
        ),
        (
            "a repeated name",
            with(|r| r.rules[2].name = "routers".into()),
            &[("rules[2].name", "duplicate_entry")],
        ),
        (
            "blank conditions",
            with(|r| {
                r.rules[2].category = Some(String::new());
                r.rules[1].ci_class = Some(" ".into());
            }),
            &[
                ("rules[2].category", "empty"),
                ("rules[1].ci_class", "empty"),
            ],
        ),
        (
            "a priority twice",
            with(|r| r.rules[0].priorities.push(Priority::P1)),
            &[("rules[0].priorities[2]", "duplicate_entry")],
        ),
        (
            "an unknown group",
            with(|r| r.rules[1].group = g(9)),
            &[("rules[1].group", "unknown_reference")],
        ),
        (
            "an inactive group",
            with(|r| r.rules[1].group = g(4)),
            &[("rules[1].group", "inactive_group")],
        ),
        (
            "picking in a group of inactive people",
            with(|r| r.rules[1].group = g(5)),
            &[("rules[1].pick", "no_active_member")],
        ),
        (
            "a group of inactive people may take the work itself",
            with(|r| r.rules[2].group = g(5)),
            &[],
        ),
        (
            "a catch-all hides every later rule",
            with(|r| r.rules.insert(1, rule("catch-all", 1, Pick::GroupOnly))),
            &[
                ("rules[2]", "unreachable"),
                ("rules[3]", "unreachable"),
                ("rules[4]", "unreachable"),
                ("rules[5]", "unreachable"),
                ("rules[6]", "unreachable"),
            ],
        ),
        (
            "a narrower rule after a wider one",
            with(|r| {
                r.rules.push(AssignmentRule {
                    category: Some("network".into()),
                    priorities: vec![Priority::P1],
                    ..rule("network p1", 2, Pick::RoundRobin)
                })
            }),
            &[("rules[6]", "unreachable")],
        ),
        (
            "a wider rule after a narrower one is reachable",
            with(|r| {
                r.rules.insert(
                    0,
                    AssignmentRule {
                        category: Some("network".into()),
                        priorities: vec![Priority::P1],
                        ..rule("network p1", 2, Pick::RoundRobin)
                    },
                )
            }),
            &[],
        ),
    ];
    for (case, r, expected) in cases {
        check_rules(case, r, expected);
    }
}

#[test]
fn the_example_rules_are_valid_against_the_example_directory() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/repo/docs/examples");
    let read =
        |p: &str| std::fs::read_to_string(root.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    let directory: Directory = itsm_core::from_json(&read("core/directory.json")).unwrap();
    assert!(directory.validate().is_empty());
    for role in &directory.roles {
        let problems = itsm_lifecycle::permission_problems(role);
        assert!(problems.is_empty(), "{problems:#?}");
    }
    assert!(
        itsm_lifecycle::GuardRoles::default()
            .validate(&directory)
            .is_empty()
    );
    let rules: AssignmentRules =
        itsm_core::from_json(&read("lifecycle/assignment_rules.json")).unwrap();
    let assigner = Assigner::new(rules, &directory).unwrap();
    let decided = assigner
        .decide(
            &facts(Some("email"), None, None, Some(Priority::P3)),
            &Workload::default(),
        )
        .unwrap();
    assert_eq!(decided.rule, "email and calendaring");
}

// ---- laws ----

/// Small random worlds: 6 people (some inactive), 4 groups over them, up to
/// 12 rules on a few values, and facts over the same values.
fn world() -> impl Strategy<Value = (Directory, AssignmentRules)> {
    let people = proptest::collection::vec(any::<bool>(), 6);
    let groups = proptest::collection::vec(proptest::collection::vec(0u128..6, 0..5), 4);
    let rule = (
        proptest::option::of(0usize..3),
        proptest::option::of(0u128..3),
        proptest::option::of(0usize..3),
        proptest::collection::btree_set(0usize..6, 0..3),
        0u128..4,
        0usize..3,
    );
    (people, groups, proptest::collection::vec(rule, 0..12)).prop_map(|(active, groups, rules)| {
        let mut directory = Directory {
            people: active
                .iter()
                .enumerate()
                .map(|(i, a)| person(i as u128, *a))
                .collect(),
            groups: groups
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let mut m = m.clone();
                    m.dedup();
                    m.sort_unstable();
                    m.dedup();
                    group(i as u128, true, &m)
                })
                .collect(),
            roles: Vec::new(),
        };
        // Make sure every group has an active member, so no rule is refused for it.
        directory.people[0].active = true;
        for grp in &mut directory.groups {
            if !grp.members.contains(&p(0)) {
                grp.members.push(p(0));
            }
        }
        let rules = rules
            .into_iter()
            .enumerate()
            .map(|(i, (cat, svc, class, prios, grp, pick))| AssignmentRule {
                name: format!("rule {i}"),
                category: cat.map(|c| ["network", "database", "email"][c].to_owned()),
                service: svc.map(s),
                ci_class: class.map(|c| ["router", "linux_server", "database"][c].to_owned()),
                priorities: prios.into_iter().map(|p| Priority::ALL[p]).collect(),
                group: g(grp),
                pick: [Pick::GroupOnly, Pick::RoundRobin, Pick::LeastLoaded][pick],
            })
            .collect();
        (directory, AssignmentRules { rules })
    })
}

fn any_facts() -> impl Strategy<Value = AssignmentFacts> {
    (
        proptest::option::of(0usize..4),
        proptest::option::of(0u128..4),
        proptest::option::of(0usize..4),
        proptest::option::of(0usize..6),
    )
        .prop_map(|(cat, svc, class, prio)| AssignmentFacts {
            category: cat.map(|c| ["network", "database", "email", "storage"][c].to_owned()),
            service: svc.map(s),
            ci_class: class.map(|c| ["router", "linux_server", "database", "switch"][c].to_owned()),
            priority: prio.map(|p| Priority::ALL[p]),
        })
}

fn any_workload() -> impl Strategy<Value = Workload> {
    (
        proptest::collection::btree_map(0u128..4, 0u128..7, 0..4),
        proptest::collection::btree_map(0u128..6, 0u32..5, 0..6),
    )
        .prop_map(|(last, open)| {
            workload(
                &last.into_iter().collect::<Vec<_>>(),
                &open.into_iter().collect::<Vec<_>>(),
            )
        })
}

/// Keeps only rules without problems unrelated to reachability, so that
/// the assigner builds: unreachable rules are dropped in order.
fn buildable(directory: &Directory, rules: AssignmentRules) -> AssignmentRules {
    let mut kept = AssignmentRules::default();
    for r in rules.rules {
        kept.rules.push(r);
        if !kept.validate(directory).is_empty() {
            kept.rules.pop();
        }
    }
    kept
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The compiled index decides as a naive scan for the first matching rule does.
    #[test]
    fn the_index_agrees_with_a_first_match_scan((directory, rules) in world(), f in any_facts()) {
        let rules = buildable(&directory, rules);
        let naive = rules.rules.iter().position(|r| {
            r.category.as_ref().is_none_or(|c| f.category.as_ref() == Some(c))
                && r.service.is_none_or(|x| f.service == Some(x))
                && r.ci_class.as_ref().is_none_or(|c| f.ci_class.as_ref() == Some(c))
                && (r.priorities.is_empty() || f.priority.is_some_and(|p| r.priorities.contains(&p)))
        });
        let assigner = Assigner::new(rules, &directory).unwrap();
        prop_assert_eq!(assigner.route(&f).map(|(i, _)| i), naive);
    }

    /// The person picked is an active member of the group picked; a rule
    /// that picks always finds one (every group here has an active member).
    #[test]
    fn the_person_picked_is_an_active_member((directory, rules) in world(), f in any_facts(), w in any_workload()) {
        let rules = buildable(&directory, rules);
        let assigner = Assigner::new(rules, &directory).unwrap();
        if let Some(a) = assigner.decide(&f, &w) {
            let rule = &assigner.rules()[a.rule_index];
            prop_assert_eq!(a.assignment_group, rule.group);
            match a.assigned_to {
                Some(who) => {
                    prop_assert!(directory.is_member(a.assignment_group, who));
                    prop_assert!(directory.person(who).unwrap().active);
                    prop_assert!(directory.check_assignment(a.assignment_group, Some(who)).is_ok());
                }
                None => prop_assert_eq!(rule.pick, Pick::GroupOnly),
            }
        }
    }

    /// Least loaded picks a member whose open work is the minimum over the
    /// group's active members.
    #[test]
    fn least_loaded_picks_a_minimum((directory, rules) in world(), f in any_facts(), w in any_workload()) {
        let rules = buildable(&directory, rules);
        let assigner = Assigner::new(rules, &directory).unwrap();
        if let Some(a) = assigner.decide(&f, &w)
            && assigner.rules()[a.rule_index].pick == Pick::LeastLoaded
        {
            let load = |who: PersonId| w.open_work.get(&who).copied().unwrap_or(0);
            let min = directory
                .members(a.assignment_group)
                .into_iter()
                .filter(|m| directory.person(*m).unwrap().active)
                .map(load)
                .min();
            prop_assert_eq!(a.assigned_to.map(load), min);
        }
    }

    /// Round-robin, with the cursor moved after each decision, gives each
    /// active member of the group one record in turn.
    #[test]
    fn round_robin_is_fair((directory, _) in world(), grp in 0u128..4) {
        let rules = AssignmentRules { rules: vec![rule("all", grp, Pick::RoundRobin)] };
        let assigner = Assigner::new(rules, &directory).unwrap();
        let active: Vec<PersonId> = directory
            .members(g(grp))
            .into_iter()
            .filter(|m| directory.person(*m).unwrap().active)
            .collect();
        let mut w = Workload::default();
        let mut got = Vec::new();
        for _ in 0..active.len() * 2 {
            let who = assigner.decide(&AssignmentFacts::default(), &w).unwrap().assigned_to.unwrap();
            w.last_assigned.insert(g(grp), who);
            got.push(who);
        }
        let (first, second) = got.split_at(active.len());
        let mut sorted = first.to_vec();
        sorted.sort();
        let mut expected = active.clone();
        expected.sort();
        prop_assert_eq!(sorted, expected);
        prop_assert_eq!(first, second);
    }

    /// The wire types round-trip.
    #[test]
    fn assignment_types_round_trip((_, rules) in world(), f in any_facts(), w in any_workload()) {
        fn again<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(v: &T) -> Result<(), TestCaseError> {
            let text = serde_json::to_string(v).unwrap();
            let back: T = itsm_core::from_json(&text).map_err(|e| TestCaseError::fail(format!("{e}: {text}")))?;
            prop_assert_eq!(&back, v);
            Ok(())
        }
        again(&rules)?;
        again(&f)?;
        again(&w)?;
        again(&Assignment { rule: "r".into(), rule_index: 3, assignment_group: g(1), assigned_to: Some(p(2)) })?;
    }
}

#[test]
fn workload_maps_are_keyed_by_id_on_the_wire() {
    let w = workload(&[(1, 2)], &[(2, 3)]);
    let json = serde_json::to_value(&w).unwrap();
    assert_eq!(json["open_work"][p(2).to_string()], 3);
    assert_eq!(json["last_assigned"][g(1).to_string()], p(2).to_string());
    let _: BTreeMap<String, u32> = serde_json::from_value(json["open_work"].clone()).unwrap();
}
