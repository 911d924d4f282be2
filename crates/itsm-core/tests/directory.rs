//! The directory's rules, the roles a person holds, permissions and the
//! assignment check: one table per area around one `check` helper.

#[path = "support/violations.rs"]
mod violations;
use violations::check;

use itsm_core::*;
use proptest::prelude::*;

fn p(n: u128) -> PersonId {
    PersonId::from_u128(n)
}

fn g(n: u128) -> GroupId {
    GroupId::from_u128(100 + n)
}

fn r(n: u128) -> RoleId {
    RoleId::from_u128(200 + n)
}

fn person(n: u128, name: &str, active: bool) -> Person {
    Person {
        active,
        ..Person::new(p(n), name)
    }
}

fn group(n: u128, name: &str, active: bool, members: &[u128]) -> Group {
    Group {
        active,
        members: members.iter().map(|&m| p(m)).collect(),
        ..Group::new(g(n), name)
    }
}

fn role(n: u128, name: &str, permissions: Vec<Permission>) -> Role {
    Role {
        permissions,
        ..Role::new(r(n), name)
    }
}

/// Three people (Ann and Bob active, Cy inactive), three groups (the
/// service desk, the network team under it, an inactive legacy team with
/// Cy), two roles (`itil` through the service desk, `problem_manager`
/// granted to Bob).
fn base() -> Directory {
    let mut bob = person(2, "Bob", true);
    bob.roles = vec![r(2)];
    let mut desk = group(1, "Service Desk", true, &[1, 2]);
    desk.manager = Some(p(2));
    desk.roles = vec![r(1)];
    let mut network = group(2, "Network", true, &[2]);
    network.parent = Some(g(1));
    Directory {
        people: vec![person(1, "Ann", true), bob, person(3, "Cy", false)],
        groups: vec![desk, network, group(3, "Legacy", false, &[3])],
        roles: vec![
            role(
                1,
                "itil",
                vec![Permission::new(["incident", "service_request"], ["*"])],
            ),
            role(
                2,
                "problem_manager",
                vec![Permission::new(["problem"], ["reanalyze", "close"])],
            ),
        ],
    }
}

fn with(f: impl FnOnce(&mut Directory)) -> Directory {
    let mut d = base();
    f(&mut d);
    d
}

/// The `(path, rule)` pairs a case expects.
type Expected = &'static [(&'static str, &'static str)];

#[test]
fn directory_rules() {
    let cases: Vec<(&str, Directory, Expected)> = vec![
        ("the base directory is valid", base(), &[]),
        ("an empty directory is valid", Directory::default(), &[]),
        (
            "an inactive member of an inactive group is fine",
            with(|d| d.groups[2].manager = Some(p(3))),
            &[],
        ),
        (
            "an inactive member of an active group",
            with(|d| d.groups[0].members.push(p(3))),
            &[("groups[0].members[2]", "inactive_member")],
        ),
        (
            "an inactive person listing an active group",
            with(|d| d.people[2].groups.push(g(2))),
            &[("people[2].groups[0]", "inactive_member")],
        ),
        (
            "an inactive member listed on both sides is reported once",
            with(|d| {
                d.people[2].groups.push(g(1));
                d.groups[0].members.push(p(3));
            }),
            &[("groups[0].members[2]", "inactive_member")],
        ),
        (
            "an inactive manager of an active group",
            with(|d| d.groups[1].manager = Some(p(3))),
            &[("groups[1].manager", "inactive_manager")],
        ),
        (
            "an inactive manager of an inactive, empty group passes (assigning work to it does not)",
            with(|d| {
                d.groups[2].members.clear();
                d.groups[2].manager = Some(p(3));
            }),
            &[],
        ),
        (
            "two groups each other's parent",
            with(|d| d.groups[0].parent = Some(g(2))),
            &[("groups[0].parent", "parent_cycle")],
        ),
        (
            "a cycle of three reported once, at its first group",
            with(|d| {
                d.groups[2].parent = Some(g(2));
                d.groups[0].parent = Some(g(3));
            }),
            &[("groups[0].parent", "parent_cycle")],
        ),
        (
            "a chain into a cycle reports the cycle only",
            with(|d| {
                d.groups[0].parent = None;
                d.groups[1].parent = Some(g(3));
                d.groups[2].parent = Some(g(2));
                d.groups[0].parent = Some(g(2));
            }),
            &[("groups[1].parent", "parent_cycle")],
        ),
        (
            "a group its own parent is a self reference, not a cycle",
            with(|d| d.groups[0].parent = Some(g(1))),
            &[("groups[0].parent", "self_reference")],
        ),
        (
            "unknown references everywhere",
            with(|d| {
                d.people[0].manager = Some(p(9));
                d.people[0].groups.push(g(9));
                d.people[0].roles.push(r(9));
                d.groups[0].manager = Some(p(8));
                d.groups[0].parent = Some(g(8));
                d.groups[0].members.push(p(7));
                d.groups[0].roles.push(r(8));
            }),
            &[
                ("people[0].manager", "unknown_reference"),
                ("people[0].groups[0]", "unknown_reference"),
                ("people[0].roles[0]", "unknown_reference"),
                ("groups[0].manager", "unknown_reference"),
                ("groups[0].parent", "unknown_reference"),
                ("groups[0].members[2]", "unknown_reference"),
                ("groups[0].roles[1]", "unknown_reference"),
            ],
        ),
        (
            "duplicate ids and role names",
            with(|d| {
                d.people.push(person(1, "Ann again", true));
                d.groups.push(group(3, "Legacy again", false, &[]));
                d.roles.push(role(3, "itil", Vec::new()));
                d.roles.push(role(2, "other", Vec::new()));
            }),
            &[
                ("people[3].id", "duplicate_entry"),
                ("groups[3].id", "duplicate_entry"),
                ("roles[2].name", "duplicate_entry"),
                ("roles[3].id", "duplicate_entry"),
            ],
        ),
        (
            "each record's own rules, under its path",
            with(|d| {
                d.people[0].name = " ".into();
                d.groups[1].members.push(p(2));
                d.roles[0].name = "service desk".into();
            }),
            &[
                ("people[0].name", "empty"),
                ("groups[1].members[1]", "duplicate_entry"),
                ("roles[0].name", "invalid_name"),
            ],
        ),
        (
            "permissions with unknown kinds, blanks, repeats and empty lists",
            with(|d| {
                d.roles[0].permissions = vec![
                    Permission::new(["incident", "ticket", "incident", " "], ["resolve"]),
                    Permission::new(["*"], Vec::<String>::new()),
                ];
            }),
            &[
                ("roles[0].permissions[0].kinds[1]", "unknown_kind"),
                ("roles[0].permissions[0].kinds[2]", "duplicate_entry"),
                ("roles[0].permissions[0].kinds[3]", "empty"),
                ("roles[0].permissions[1].events", "empty"),
            ],
        ),
    ];
    for (case, directory, expected) in cases {
        check(case, directory.validate(), expected);
    }
}

#[test]
fn a_cycle_message_names_the_groups_in_order() {
    let d = with(|d| d.groups[0].parent = Some(g(2)));
    let v = d.validate();
    assert_eq!(
        v[0].message,
        "groups[0].parent: the parent groups form a cycle: \"Service Desk\" -> \"Network\" -> \"Service Desk\""
    );
}

#[test]
fn a_long_parent_chain_is_checked_without_recursion() {
    let n = 200_000u128;
    let groups = (0..n)
        .map(|i| {
            let mut grp = group(i, "G", true, &[]);
            grp.parent = (i + 1 < n).then(|| g(i + 1));
            grp
        })
        .collect::<Vec<_>>();
    let mut d = Directory {
        people: Vec::new(),
        groups,
        roles: Vec::new(),
    };
    assert!(d.validate().is_empty());
    d.groups[(n - 1) as usize].parent = Some(g(0));
    check(
        "a cycle through every group",
        d.validate(),
        &[("groups[0].parent", "parent_cycle")],
    );
}

#[test]
fn assignment_checks() {
    let d = base();
    let cases: &[(&str, GroupId, Option<PersonId>, Expected)] = &[
        ("a group alone", g(1), None, &[]),
        ("a member of the group", g(1), Some(p(1)), &[]),
        (
            "a member listed only on the person's side",
            g(2),
            Some(p(2)),
            &[],
        ),
        (
            "a person outside the group",
            g(2),
            Some(p(1)),
            &[("assigned_to", "not_a_member")],
        ),
        (
            "an inactive group",
            g(3),
            None,
            &[("assignment_group", "inactive_group")],
        ),
        (
            "an inactive person in an inactive group",
            g(3),
            Some(p(3)),
            &[
                ("assignment_group", "inactive_group"),
                ("assigned_to", "inactive_person"),
            ],
        ),
        (
            "an inactive person outside the group",
            g(1),
            Some(p(3)),
            &[
                ("assigned_to", "inactive_person"),
                ("assigned_to", "not_a_member"),
            ],
        ),
        (
            "an unknown group",
            g(9),
            None,
            &[("assignment_group", "unknown_reference")],
        ),
        (
            "an unknown group and person",
            g(9),
            Some(p(9)),
            &[
                ("assignment_group", "unknown_reference"),
                ("assigned_to", "unknown_reference"),
            ],
        ),
    ];
    for (case, group, person, expected) in cases {
        check(case, d.assignment_problems(*group, *person), expected);
        assert_eq!(
            d.check_assignment(*group, *person).is_ok(),
            expected.is_empty(),
            "case {case:?}"
        );
    }
}

#[test]
fn roles_come_directly_through_groups_and_their_parents() {
    let names = |d: &Directory, who: PersonId| -> Vec<String> {
        d.roles_of(who).iter().map(|r| r.name.clone()).collect()
    };
    let cases: Vec<(&str, Directory, PersonId, &[&str])> = vec![
        ("through the service desk", base(), p(1), &["itil"]),
        (
            "directly, then through groups",
            base(),
            p(2),
            &["problem_manager", "itil"],
        ),
        (
            "an inactive group grants nothing",
            with(|d| d.groups[2].roles = vec![r(1)]),
            p(3),
            &[],
        ),
        (
            "a child group inherits its parent's roles",
            with(|d| {
                d.groups[0].members = vec![p(2)];
                d.people[0].groups = vec![g(2)];
            }),
            p(1),
            &["itil"],
        ),
        (
            "a cycle of parents ends the walk",
            with(|d| {
                d.groups[0].parent = Some(g(2));
                d.groups[1].roles = vec![r(2)];
            }),
            p(1),
            &["itil", "problem_manager"],
        ),
        ("an unknown person has none", base(), p(9), &[]),
    ];
    for (case, d, who, expected) in cases {
        assert_eq!(names(&d, who), *expected, "case {case:?}");
    }
}

#[test]
fn permissions_allow() {
    let cases: &[(&str, Permission, RecordKind, &str, bool)] = &[
        (
            "listed",
            Permission::new(["incident"], ["resolve"]),
            RecordKind::Incident,
            "resolve",
            true,
        ),
        (
            "another event",
            Permission::new(["incident"], ["resolve"]),
            RecordKind::Incident,
            "close",
            false,
        ),
        (
            "another kind",
            Permission::new(["incident"], ["resolve"]),
            RecordKind::Problem,
            "resolve",
            false,
        ),
        (
            "every event",
            Permission::new(["problem"], ["*"]),
            RecordKind::Problem,
            "close",
            true,
        ),
        (
            "every kind",
            Permission::new(["*"], ["approve"]),
            RecordKind::Change,
            "approve",
            true,
        ),
        (
            "everything",
            Permission::new(["*"], ["*"]),
            RecordKind::KnownError,
            "anything",
            true,
        ),
        (
            "nothing",
            Permission::new(Vec::<String>::new(), ["*"]),
            RecordKind::Incident,
            "resolve",
            false,
        ),
    ];
    for (case, permission, kind, event, expected) in cases {
        assert_eq!(permission.allows(*kind, event), *expected, "case {case:?}");
    }
    let problem_manager = &base().roles[1];
    assert!(problem_manager.allows(RecordKind::Problem, "reanalyze"));
    assert!(!problem_manager.allows(RecordKind::Incident, "reanalyze"));
}

#[test]
fn a_role_written_before_permissions_still_loads() {
    let role: Role =
        from_json(r#"{"id": "01958f3c-0003-7002-8002-000000003002", "name": "problem_manager"}"#)
            .unwrap();
    assert!(role.permissions.is_empty());
    assert!(role.validate().is_empty());
    // And is written as before: no `permissions` key.
    assert!(
        !serde_json::to_string(&role)
            .unwrap()
            .contains("permissions")
    );
}

proptest! {
    /// Every member `members` lists is a member, and nobody else is.
    #[test]
    fn members_agree_with_is_member(extra in proptest::collection::vec((0u128..4, 1u128..4), 0..6)) {
        let mut d = base();
        for (person, grp) in extra {
            if let Some(p) = d.people.iter_mut().find(|x| x.id == p(person)) {
                p.groups.push(g(grp));
            }
        }
        for grp in 1..=3 {
            let members = d.members(g(grp));
            for who in 0..4 {
                prop_assert_eq!(members.contains(&p(who)), d.is_member(g(grp), p(who)));
                prop_assert_eq!(d.groups_of(p(who)).contains(&g(grp)), d.is_member(g(grp), p(who)));
            }
        }
    }
}
