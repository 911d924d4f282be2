//! [`Directory`]: the people, groups and roles of one organisation, checked
//! together, and the assignment check.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{CoreError, Group, GroupId, Person, PersonId, Role, RoleId, Validate, Violation};

/// The people, groups and roles of one organisation, kept together so
/// that the references between them can be checked: a group's members
/// and manager, its parent group, the roles granted to people and groups.
///
/// Membership is the union of both sides: a person is a member of a group
/// when the group lists them in `members` or they list the group in
/// `groups`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Directory {
    /// Every person.
    #[serde(default)]
    pub people: Vec<Person>,
    /// Every group.
    #[serde(default)]
    pub groups: Vec<Group>,
    /// Every role.
    #[serde(default)]
    pub roles: Vec<Role>,
}

impl Directory {
    /// The person with `id`.
    #[must_use]
    pub fn person(&self, id: PersonId) -> Option<&Person> {
        self.people.iter().find(|p| p.id == id)
    }

    /// The group with `id`.
    #[must_use]
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.iter().find(|g| g.id == id)
    }

    /// The role with `id`.
    #[must_use]
    pub fn role(&self, id: RoleId) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }

    /// Whether `person` is a member of `group` (listed on either side).
    #[must_use]
    pub fn is_member(&self, group: GroupId, person: PersonId) -> bool {
        self.group(group)
            .is_some_and(|g| g.members.contains(&person))
            || self
                .person(person)
                .is_some_and(|p| p.groups.contains(&group))
    }

    /// The members of `group`: those it lists, in its order, then the
    /// people who list it and it does not, in directory order; each once.
    #[must_use]
    pub fn members(&self, group: GroupId) -> Vec<PersonId> {
        let mut out: Vec<PersonId> = Vec::new();
        if let Some(g) = self.group(group) {
            for m in &g.members {
                if !out.contains(m) {
                    out.push(*m);
                }
            }
        }
        for p in &self.people {
            if p.groups.contains(&group) && !out.contains(&p.id) {
                out.push(p.id);
            }
        }
        out
    }

    /// The groups `person` belongs to (listed on either side): those they
    /// list, then the groups that list them; each once.
    #[must_use]
    pub fn groups_of(&self, person: PersonId) -> Vec<GroupId> {
        let mut out: Vec<GroupId> = Vec::new();
        if let Some(p) = self.person(person) {
            for g in &p.groups {
                if !out.contains(g) {
                    out.push(*g);
                }
            }
        }
        for g in &self.groups {
            if g.members.contains(&person) && !out.contains(&g.id) {
                out.push(g.id);
            }
        }
        out
    }

    /// The roles `person` holds: granted to them directly, or to an active
    /// group they belong to, or to an active ancestor of such a group (a
    /// child group inherits its parent's roles, as in ServiceNow). Each
    /// once; unknown role ids are skipped. A cycle of parent groups ends the
    /// walk where it closes, so this terminates on any input.
    #[must_use]
    pub fn roles_of(&self, person: PersonId) -> Vec<&Role> {
        let mut ids: Vec<RoleId> = Vec::new();
        let mut add = |roles: &[RoleId]| {
            for r in roles {
                if !ids.contains(r) {
                    ids.push(*r);
                }
            }
        };
        if let Some(p) = self.person(person) {
            add(&p.roles);
        }
        let mut seen: HashSet<GroupId> = HashSet::new();
        for start in self.groups_of(person) {
            let mut next = Some(start);
            while let Some(id) = next {
                if !seen.insert(id) {
                    break;
                }
                let Some(group) = self.group(id) else { break };
                if !group.active {
                    break;
                }
                add(&group.roles);
                next = group.parent;
            }
        }
        ids.iter().filter_map(|id| self.role(*id)).collect()
    }

    /// At `path`, `person` as a reference: `unknown_reference` when the
    /// directory does not have them, `inactive_person` when inactive.
    #[must_use]
    pub fn person_problems(&self, path: &str, person: PersonId) -> Vec<Violation> {
        match self.person(person) {
            None => vec![Violation::new(
                path,
                "unknown_reference",
                format!("{path} ({person}) is not a person of the directory"),
            )],
            Some(p) if !p.active => vec![Violation::new(
                path,
                "inactive_person",
                format!("{path} ({person}, {:?}) is inactive", p.name),
            )],
            Some(_) => Vec::new(),
        }
    }

    /// At `path`, `group` as a reference: `unknown_reference` when the
    /// directory does not have it, `inactive_group` when inactive.
    #[must_use]
    pub fn group_problems(&self, path: &str, group: GroupId) -> Vec<Violation> {
        match self.group(group) {
            None => vec![Violation::new(
                path,
                "unknown_reference",
                format!("{path} ({group}) is not a group of the directory"),
            )],
            Some(g) if !g.active => vec![Violation::new(
                path,
                "inactive_group",
                format!("{path} ({group}, {:?}) is inactive", g.name),
            )],
            Some(_) => Vec::new(),
        }
    }

    /// Every reason why work may not be assigned to `group` and, when
    /// given, `person`, with the path of the record field (`assignment_group`,
    /// `assigned_to`): an unknown or inactive group (`unknown_reference`,
    /// `inactive_group`), an unknown or inactive person (`unknown_reference`,
    /// `inactive_person`), a person outside the group (`not_a_member`).
    #[must_use]
    pub fn assignment_problems(&self, group: GroupId, person: Option<PersonId>) -> Vec<Violation> {
        let mut out = Vec::new();
        match self.group(group) {
            None => out.push(Violation::new(
                "assignment_group",
                "unknown_reference",
                format!("assignment_group ({group}) is not a group of the directory"),
            )),
            Some(g) if !g.active => out.push(Violation::new(
                "assignment_group",
                "inactive_group",
                format!(
                    "assignment_group ({group}, {:?}) is inactive; work may not be assigned to it",
                    g.name
                ),
            )),
            Some(_) => {}
        }
        let Some(person) = person else {
            return out;
        };
        match self.person(person) {
            None => out.push(Violation::new(
                "assigned_to",
                "unknown_reference",
                format!("assigned_to ({person}) is not a person of the directory"),
            )),
            Some(p) => {
                if !p.active {
                    out.push(Violation::new(
                        "assigned_to",
                        "inactive_person",
                        format!(
                            "assigned_to ({person}, {:?}) is inactive; work may not be assigned to them",
                            p.name
                        ),
                    ));
                }
                if self.group(group).is_some() && !self.is_member(group, person) {
                    out.push(Violation::new(
                        "assigned_to",
                        "not_a_member",
                        format!(
                            "assigned_to ({person}, {:?}) is not a member of assignment_group ({group})",
                            p.name
                        ),
                    ));
                }
            }
        }
        out
    }

    /// `Ok` when work may be assigned to `group` and `person`.
    ///
    /// # Errors
    /// [`CoreError::Invalid`] with every problem [`Directory::assignment_problems`] finds.
    pub fn check_assignment(
        &self,
        group: GroupId,
        person: Option<PersonId>,
    ) -> Result<(), CoreError> {
        let violations = self.assignment_problems(group, person);
        if violations.is_empty() {
            Ok(())
        } else {
            Err(CoreError::Invalid { violations })
        }
    }
}

/// The index of each id's first occurrence.
fn index_of<T: Copy + Eq + Hash>(ids: impl Iterator<Item = T>) -> HashMap<T, usize> {
    let mut map = HashMap::new();
    for (i, id) in ids.enumerate() {
        map.entry(id).or_insert(i);
    }
    map
}

/// Pushes `nested`'s violations with their paths under `prefix`.
pub(crate) fn nested(out: &mut Vec<Violation>, prefix: &str, nested: Vec<Violation>) {
    out.extend(nested.into_iter().map(|mut v| {
        v.path = format!("{prefix}.{}", v.path);
        v
    }));
}

fn unknown(out: &mut Vec<Violation>, path: String, id: &dyn std::fmt::Display, what: &str) {
    out.push(Violation::new(
        &path,
        "unknown_reference",
        format!("{path} ({id}) is not a {what} of the directory"),
    ));
}

pub(crate) fn duplicate_ids<T: Copy + Eq + Hash + std::fmt::Display>(
    out: &mut Vec<Violation>,
    list: &str,
    ids: impl Iterator<Item = T>,
) {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        if !seen.insert(id) {
            let path = format!("{list}[{i}].id");
            out.push(Violation::new(
                &path,
                "duplicate_entry",
                format!("{path} ({id}) is listed twice"),
            ));
        }
    }
}

impl Validate for Directory {
    /// Every record's own rules (paths under `people[i]`, `groups[i]`,
    /// `roles[i]`), and the rules between them: ids and role names unique
    /// (`duplicate_entry`); every manager, member, parent, group and role
    /// id known (`unknown_reference`); no inactive member
    /// (`inactive_member`) or manager (`inactive_manager`) of an active
    /// group; no cycle of parent groups (`parent_cycle`, reported once per
    /// cycle at the `parent` of its first group; a group that is its own
    /// parent is a `self_reference`).
    fn validate(&self) -> Vec<Violation> {
        let mut out = Vec::new();
        for (i, p) in self.people.iter().enumerate() {
            nested(&mut out, &format!("people[{i}]"), p.validate());
        }
        for (i, g) in self.groups.iter().enumerate() {
            nested(&mut out, &format!("groups[{i}]"), g.validate());
        }
        for (i, r) in self.roles.iter().enumerate() {
            nested(&mut out, &format!("roles[{i}]"), r.validate());
        }
        duplicate_ids(&mut out, "people", self.people.iter().map(|p| p.id));
        duplicate_ids(&mut out, "groups", self.groups.iter().map(|g| g.id));
        duplicate_ids(&mut out, "roles", self.roles.iter().map(|r| r.id));
        let mut names = HashSet::new();
        for (i, r) in self.roles.iter().enumerate() {
            if !names.insert(r.name.as_str()) {
                let path = format!("roles[{i}].name");
                out.push(Violation::new(
                    &path,
                    "duplicate_entry",
                    format!("{path} ({:?}) is the name of an earlier role; guards and permissions name roles", r.name),
                ));
            }
        }

        let people = index_of(self.people.iter().map(|p| p.id));
        let groups = index_of(self.groups.iter().map(|g| g.id));
        let roles = index_of(self.roles.iter().map(|r| r.id));

        for (i, p) in self.people.iter().enumerate() {
            if let Some(m) = p.manager
                && !people.contains_key(&m)
            {
                unknown(&mut out, format!("people[{i}].manager"), &m, "person");
            }
            for (j, g) in p.groups.iter().enumerate() {
                match groups.get(g).map(|&k| &self.groups[k]) {
                    None => unknown(&mut out, format!("people[{i}].groups[{j}]"), g, "group"),
                    // Reported here only when the group does not list them too.
                    Some(group) if group.active && !p.active && !group.members.contains(&p.id) => {
                        let path = format!("people[{i}].groups[{j}]");
                        out.push(Violation::new(
                            &path,
                            "inactive_member",
                            format!(
                                "{path}: {:?} is inactive but a member of the active group {:?}",
                                p.name, group.name
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            for (j, r) in p.roles.iter().enumerate() {
                if !roles.contains_key(r) {
                    unknown(&mut out, format!("people[{i}].roles[{j}]"), r, "role");
                }
            }
        }

        for (i, g) in self.groups.iter().enumerate() {
            if let Some(m) = g.manager {
                match people.get(&m).map(|&k| &self.people[k]) {
                    None => unknown(&mut out, format!("groups[{i}].manager"), &m, "person"),
                    Some(person) if g.active && !person.active => {
                        let path = format!("groups[{i}].manager");
                        out.push(Violation::new(
                            &path,
                            "inactive_manager",
                            format!(
                                "{path}: {:?} is inactive but manages the active group {:?}",
                                person.name, g.name
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            if let Some(parent) = g.parent
                && !groups.contains_key(&parent)
            {
                unknown(&mut out, format!("groups[{i}].parent"), &parent, "group");
            }
            for (j, m) in g.members.iter().enumerate() {
                match people.get(m).map(|&k| &self.people[k]) {
                    None => unknown(&mut out, format!("groups[{i}].members[{j}]"), m, "person"),
                    Some(person) if g.active && !person.active => {
                        let path = format!("groups[{i}].members[{j}]");
                        out.push(Violation::new(
                            &path,
                            "inactive_member",
                            format!(
                                "{path}: {:?} is inactive but a member of the active group {:?}",
                                person.name, g.name
                            ),
                        ));
                    }
                    Some(_) => {}
                }
            }
            for (j, r) in g.roles.iter().enumerate() {
                if !roles.contains_key(r) {
                    unknown(&mut out, format!("groups[{i}].roles[{j}]"), r, "role");
                }
            }
        }

        parent_cycles(self, &groups, &mut out);
        out
    }
}

/// `parent_cycle`: follows each group's parent chain once, iteratively.
/// Every group is stamped with the walk that reached it first; a walk that
/// meets its own stamp has closed a cycle, reported at the group of the
/// cycle listed first.
fn parent_cycles(
    directory: &Directory,
    groups: &HashMap<GroupId, usize>,
    out: &mut Vec<Violation>,
) {
    let n = directory.groups.len();
    let mut stamp = vec![0usize; n];
    let mut path: Vec<usize> = Vec::new();
    for start in 0..n {
        if stamp[start] != 0 {
            continue;
        }
        let walk = start + 1;
        path.clear();
        let mut at = Some(start);
        while let Some(i) = at {
            if stamp[i] != 0 {
                if stamp[i] == walk {
                    let from = path.iter().position(|&p| p == i).unwrap_or(0);
                    let cycle = &path[from..];
                    if cycle.len() > 1 {
                        report_cycle(directory, cycle, out);
                    }
                }
                break;
            }
            stamp[i] = walk;
            path.push(i);
            // A duplicate id resolves to its first group; only known parents are followed.
            at = directory.groups[i]
                .parent
                .and_then(|p| groups.get(&p).copied());
        }
    }
}

fn report_cycle(directory: &Directory, cycle: &[usize], out: &mut Vec<Violation>) {
    let first = cycle.iter().copied().min().unwrap_or(0);
    let rotate = cycle.iter().position(|&i| i == first).unwrap_or(0);
    let names: Vec<String> = cycle[rotate..]
        .iter()
        .chain(&cycle[..rotate])
        .chain(std::iter::once(&first))
        .map(|&i| format!("{:?}", directory.groups[i].name))
        .collect();
    let path = format!("groups[{first}].parent");
    out.push(Violation::new(
        &path,
        "parent_cycle",
        format!(
            "{path}: the parent groups form a cycle: {}",
            names.join(" -> ")
        ),
    ));
}
