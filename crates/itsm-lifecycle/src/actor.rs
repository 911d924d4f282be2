//! [`Actor`]: the person applying an event, with the roles and groups the
//! directory gives them; [`GuardRoles`], which roles pass which guard;
//! [`ActorContext`], a [`GuardContext`] that decides the role guards from
//! the actor; [`SeparationOfDuties`]; and the check of a role's events.

use std::collections::{BTreeMap, BTreeSet};

use itsm_core::{Directory, GroupId, Permission, PersonId, RecordKind, Role, Violation, WILDCARD};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    ChangeEvent, Guard, GuardContext, IncidentEvent, KnowledgeEvent, KnownErrorEvent,
    LifecycleError, ProblemEvent, ReleaseEvent, ServiceRequestEvent, TaskEvent,
};

/// Which roles pass each guard that a role decides: a guard named here
/// passes when the actor holds any one of its roles. Data, so that a desk
/// can let its own roles re-analyse a closed problem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GuardRoles {
    /// For each guard name, the names of the roles that pass it.
    pub guards: BTreeMap<String, Vec<String>>,
}

impl Default for GuardRoles {
    /// [`Guard::REANALYZE_ROLE`] passed by `problem_manager` (ServiceNow's
    /// `problem_admin` and GLPI's problem supervisors play that part).
    fn default() -> Self {
        Self {
            guards: BTreeMap::from([(
                Guard::REANALYZE_ROLE.to_owned(),
                vec!["problem_manager".to_owned()],
            )]),
        }
    }
}

impl GuardRoles {
    /// Whether `guard` is decided by roles here.
    #[must_use]
    pub fn decides(&self, guard: &str) -> bool {
        self.guards.contains_key(guard)
    }

    /// Every problem of this mapping against `directory`, with paths
    /// (`guards.reanalyze_role[0]`): a guard passed by no role (`empty`), a
    /// role name the directory does not have (`unknown_reference`).
    #[must_use]
    pub fn validate(&self, directory: &Directory) -> Vec<Violation> {
        let mut out = Vec::new();
        for (guard, roles) in &self.guards {
            if roles.is_empty() {
                let path = format!("guards.{guard}");
                out.push(Violation::new(
                    &path,
                    "empty",
                    format!("{path} lists no role, so nobody could ever pass the guard"),
                ));
            }
            for (i, role) in roles.iter().enumerate() {
                if !directory.roles.iter().any(|r| r.name == *role) {
                    let path = format!("guards.{guard}[{i}]");
                    out.push(Violation::new(
                        &path,
                        "unknown_reference",
                        format!("{path} ({role:?}) is not the name of a role of the directory"),
                    ));
                }
            }
        }
        out
    }
}

/// The person applying an event, as the directory knows them: whether they
/// are active, their groups, the names of the roles they hold (directly,
/// through their active groups and those groups' active ancestors, as
/// [`Directory::roles_of`] finds them) and those roles' permissions.
///
/// Build it with [`Actor::from_directory`]; it is plain data so that a
/// product can keep, with an audit entry, what the actor could do then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Actor {
    /// The person.
    pub person: PersonId,
    /// Whether they may still act: an inactive person may apply nothing.
    pub active: bool,
    /// The groups they belong to.
    #[serde(default)]
    pub groups: Vec<GroupId>,
    /// The names of the roles they hold.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The permissions of those roles, in role order.
    #[serde(default)]
    pub permissions: Vec<Permission>,
}

impl Actor {
    /// `person` as `directory` knows them.
    ///
    /// # Errors
    /// [`LifecycleError::UnknownActor`] when the directory has no such person.
    pub fn from_directory(directory: &Directory, person: PersonId) -> Result<Self, LifecycleError> {
        let who = directory
            .person(person)
            .ok_or_else(|| LifecycleError::UnknownActor {
                person: person.to_string(),
            })?;
        let roles: Vec<&Role> = directory.roles_of(person);
        Ok(Self {
            person,
            active: who.active,
            groups: directory.groups_of(person),
            roles: roles.iter().map(|r| r.name.clone()).collect(),
            permissions: roles
                .iter()
                .flat_map(|r| r.permissions.iter().cloned())
                .collect(),
        })
    }

    /// Whether they hold the role named `role`.
    #[must_use]
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// Whether they belong to `group`.
    #[must_use]
    pub fn in_group(&self, group: GroupId) -> bool {
        self.groups.contains(&group)
    }

    /// Whether they may apply `event` to a record of `kind`: they are
    /// active and one of their roles' permissions allows it.
    #[must_use]
    pub fn may_apply(&self, kind: RecordKind, event: &str) -> bool {
        self.active && self.permissions.iter().any(|p| p.allows(kind, event))
    }

    /// `Ok` when they may apply `event` to a record of `kind`.
    ///
    /// # Errors
    /// [`LifecycleError::NotPermitted`] naming the person, the event and
    /// the kind, and whether they are inactive.
    pub fn check_permission(&self, kind: RecordKind, event: &str) -> Result<(), LifecycleError> {
        if self.may_apply(kind, event) {
            Ok(())
        } else {
            Err(LifecycleError::NotPermitted {
                actor: self.person.to_string(),
                event: event.to_owned(),
                kind: kind.to_string(),
                why: if self.active {
                    format!(
                        "none of their roles ({}) allows it",
                        if self.roles.is_empty() {
                            "none".to_owned()
                        } else {
                            self.roles.join(", ")
                        }
                    )
                } else {
                    "they are inactive".to_owned()
                },
            })
        }
    }

    /// Whether they pass the role guard `guard` under `roles`: `None` when
    /// `roles` does not decide it. An inactive person passes none.
    #[must_use]
    pub fn passes(&self, guard: &str, roles: &GuardRoles) -> Option<bool> {
        roles
            .guards
            .get(guard)
            .map(|names| self.active && names.iter().any(|n| self.has_role(n)))
    }

    /// The role guards of `roles` they pass.
    #[must_use]
    pub fn role_guards(&self, roles: &GuardRoles) -> BTreeSet<String> {
        roles
            .guards
            .keys()
            .filter(|g| self.passes(g, roles) == Some(true))
            .cloned()
            .collect()
    }
}

/// A [`GuardContext`] in which the guards of [`GuardRoles`] are decided by
/// the actor's roles, and every other question goes to `inner`: the caller
/// gives who acts, not whether a role guard passes.
#[derive(Clone, Debug)]
pub struct ActorContext<'a, C> {
    inner: C,
    actor: &'a Actor,
    roles: &'a GuardRoles,
}

impl<'a, C: GuardContext> ActorContext<'a, C> {
    /// `inner`'s facts, with the role guards of `roles` decided by `actor`.
    #[must_use]
    pub fn new(inner: C, actor: &'a Actor, roles: &'a GuardRoles) -> Self {
        Self {
            inner,
            actor,
            roles,
        }
    }
}

impl<C: GuardContext> GuardContext for ActorContext<'_, C> {
    fn knows_guard(&self, guard: &str) -> bool {
        self.roles.decides(guard) || self.inner.knows_guard(guard)
    }

    fn guard_allows(&self, guard: &str) -> bool {
        self.actor
            .passes(guard, self.roles)
            .unwrap_or_else(|| self.inner.guard_allows(guard))
    }

    fn has_field(&self, field: &str) -> bool {
        self.inner.has_field(field)
    }

    fn reason(&self) -> Option<&str> {
        self.inner.reason()
    }

    fn has_comment(&self, visibility: itsm_core::CommentVisibility) -> bool {
        self.inner.has_comment(visibility)
    }
}

/// Separation of duties: rules that keep one person from both asking for
/// and granting something. Data, on by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeparationOfDuties {
    /// The person who requested a change or a service request
    /// (`requested_by`), or wrote a knowledge article (`author`), may not be
    /// asked for its approval nor approve it. They may still reject it. On
    /// when absent.
    #[serde(default = "on")]
    pub requester_cannot_approve: bool,
}

fn on() -> bool {
    true
}

impl Default for SeparationOfDuties {
    /// Every rule on.
    fn default() -> Self {
        Self {
            requester_cannot_approve: true,
        }
    }
}

impl SeparationOfDuties {
    /// Every rule off (a single-person shop, or a migration replaying history).
    #[must_use]
    pub fn off() -> Self {
        Self {
            requester_cannot_approve: false,
        }
    }

    /// `Ok` unless a rule forbids `approver` to approve (or be asked to
    /// approve) the record `record` (its number) requested by `requester`.
    ///
    /// # Errors
    /// [`LifecycleError::SeparationOfDuties`] naming the record, the person
    /// and the rule.
    pub fn check_approver(
        &self,
        record: &str,
        requester: Option<PersonId>,
        approver: PersonId,
    ) -> Result<(), LifecycleError> {
        if self.requester_cannot_approve && requester == Some(approver) {
            Err(LifecycleError::SeparationOfDuties {
                record: record.to_owned(),
                person: approver.to_string(),
                rule: "requester_cannot_approve".to_owned(),
            })
        } else {
            Ok(())
        }
    }
}

/// The event names of the default flows of `kind` (empty for a kind this
/// crate has no events for).
fn event_names(kind: RecordKind) -> Vec<&'static str> {
    fn names<E: Copy + Into<&'static str>>(all: &[E]) -> Vec<&'static str> {
        all.iter().map(|e| (*e).into()).collect()
    }
    match kind {
        RecordKind::Incident => names(IncidentEvent::ALL),
        RecordKind::Problem => names(ProblemEvent::ALL),
        RecordKind::KnownError => names(KnownErrorEvent::ALL),
        RecordKind::Change => names(ChangeEvent::ALL),
        RecordKind::Release => names(ReleaseEvent::ALL),
        RecordKind::ServiceRequest | RecordKind::RequestItem => names(ServiceRequestEvent::ALL),
        RecordKind::KnowledgeArticle => names(KnowledgeEvent::ALL),
        RecordKind::Task => names(TaskEvent::ALL),
        _ => Vec::new(),
    }
}

/// The problems of `role`'s permissions that only the lifecycle can see:
/// an event that no listed kind has (`unknown_event`, at
/// `permissions[i].events[j]`). `itsm-core`'s validation of the role
/// already reports unknown kinds, blanks and repeats; kinds it cannot read
/// are skipped here.
#[must_use]
pub fn permission_problems(role: &Role) -> Vec<Violation> {
    let mut out = Vec::new();
    let every: Vec<RecordKind> = {
        use strum::IntoEnumIterator;
        RecordKind::iter().collect()
    };
    for (i, permission) in role.permissions.iter().enumerate() {
        let kinds: Vec<RecordKind> = if permission.kinds.iter().any(|k| k == WILDCARD) {
            every.clone()
        } else {
            permission
                .kinds
                .iter()
                .filter_map(|k| k.parse().ok())
                .collect()
        };
        if kinds.is_empty() {
            continue;
        }
        let known: BTreeSet<&str> = kinds.iter().flat_map(|k| event_names(*k)).collect();
        for (j, event) in permission.events.iter().enumerate() {
            if event != WILDCARD && !event.trim().is_empty() && !known.contains(event.as_str()) {
                let path = format!("permissions[{i}].events[{j}]");
                out.push(Violation::new(
                    &path,
                    "unknown_event",
                    format!(
                        "{path} ({event:?}) is not an event of {}; expected \"*\" or one of {}",
                        permission.kinds.join(", "),
                        known.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
    }
    out
}
