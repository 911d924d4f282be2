//! Proptest strategies for every record type of `itsm-core`, shared by the
//! test binaries that need them.

#![allow(dead_code)]

use std::fmt::Debug;

use chrono::{DateTime, Utc};
use itsm_core::*;
use proptest::collection::{btree_map, vec};
use proptest::option::of as opt;
use proptest::prelude::*;
use proptest::sample::select;
use strum::IntoEnumIterator;

/// Any variant of a strum-iterable enum.
pub fn variant<T: IntoEnumIterator + Clone + Debug + 'static>() -> impl Strategy<Value = T> {
    select(T::iter().collect::<Vec<_>>())
}

/// An instant between 1900 and 2100 with nanosecond precision.
pub fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (-2_208_988_800_i64..4_102_444_800_i64, 0_u32..1_000_000_000)
        .prop_map(|(secs, nanos)| DateTime::from_timestamp(secs, nanos).expect("in range"))
}

/// Any text, including control characters, quotes and non-ASCII letters.
pub fn text() -> impl Strategy<Value = String> {
    "(?s).{0,12}"
}

pub fn opt_text() -> impl Strategy<Value = Option<String>> {
    opt(text())
}

pub fn number(prefix: NumberPrefix) -> impl Strategy<Value = RecordNumber> {
    prop_oneof![0_u64..10_000_000, 0..=RecordNumber::MAX_VALUE]
        .prop_map(move |v| RecordNumber::new(prefix, v).expect("in range"))
}

macro_rules! id_strategies {
    ($($f:ident => $t:ident),+ $(,)?) => {$(
        pub fn $f() -> impl Strategy<Value = $t> {
            any::<u128>().prop_map($t::from_u128)
        }
    )+};
}

id_strategies!(
    incident_id => IncidentId, problem_id => ProblemId, known_error_id => KnownErrorId,
    change_id => ChangeId, release_id => ReleaseId, service_request_id => ServiceRequestId,
    article_id => KnowledgeArticleId, service_id => ServiceId, ci_id => CiId,
    person_id => PersonId, group_id => GroupId, role_id => RoleId, catalog_item_id => CatalogItemId,
    asset_id => AssetId, software_licence_id => SoftwareLicenceId,
    request_item_id => RequestItemId, template_id => StandardChangeTemplateId,
);

/// Any JSON value that survives a round trip: integers that fit `i64` are
/// `Int`, larger ones `UInt` (as [`FieldValue`] documents), floats are finite.
pub fn field_value() -> impl Strategy<Value = FieldValue> {
    let leaf = prop_oneof![
        Just(FieldValue::Null),
        any::<bool>().prop_map(FieldValue::Bool),
        any::<i64>().prop_map(FieldValue::Int),
        ((i64::MAX as u64 + 1)..=u64::MAX).prop_map(FieldValue::UInt),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(FieldValue::Float),
        text().prop_map(FieldValue::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(FieldValue::Array),
            btree_map(text(), inner, 0..4).prop_map(FieldValue::Object),
        ]
    })
}

pub fn extensions() -> impl Strategy<Value = Extensions> {
    btree_map("[a-z_]{1,10}", field_value(), 0..3)
}

pub fn incident() -> impl Strategy<Value = Incident> {
    (
        (
            incident_id(),
            number(NumberPrefix::Incident),
            person_id(),
            text(),
            opt_text(),
            opt_text(),
            opt_text(),
        ),
        (
            opt(variant::<Channel>()),
            opt(service_id()),
            vec(ci_id(), 0..3),
            variant::<Impact>(),
            variant::<Urgency>(),
        ),
        (
            variant::<Priority>(),
            variant::<IncidentState>(),
            opt(variant::<OnHoldReason>()),
            opt(group_id()),
        ),
        (
            opt(person_id()),
            instant(),
            opt(person_id()),
            opt(instant()),
            opt(person_id()),
            opt(instant()),
        ),
        (
            opt(person_id()),
            opt(variant::<IncidentResolutionCode>()),
            opt_text(),
            any::<u32>(),
            opt(instant()),
        ),
        (
            opt(person_id()),
            opt(incident_id()),
            opt(problem_id()),
            opt(change_id()),
            opt(change_id()),
        ),
        (
            opt(variant::<MajorIncidentState>()),
            extensions(),
            vec(
                (ci_id(), variant::<ServiceEffect>())
                    .prop_map(|(service, effect)| AffectedService { service, effect }),
                0..3,
            ),
            (
                opt(instant()),
                opt(person_id()),
                opt(instant()),
                opt(person_id()),
                vec(variant::<BusinessEffect>(), 0..3),
            ),
        ),
    )
        .prop_map(|(a, b, c, d, e, f, g)| {
            let (id, number, caller, short_description, description, category, subcategory) = a;
            let (channel, service, configuration_items, impact, urgency) = b;
            let (priority, state, on_hold_reason, assignment_group) = c;
            let (assigned_to, opened_at, opened_by, resolved_at, resolved_by, closed_at) = d;
            let (closed_by, resolution_code, resolution_notes, reopen_count, last_reopened_at) = e;
            let (last_reopened_by, parent_incident, problem, caused_by_change, change_request) = f;
            let (major_incident_state, extensions, affected_services, h) = g;
            let (
                major_incident_proposed_at,
                major_incident_proposed_by,
                major_incident_decided_at,
                major_incident_decided_by,
                business_effects,
            ) = h;
            Incident {
                id,
                number,
                caller,
                short_description,
                description,
                category,
                subcategory,
                channel,
                service,
                configuration_items,
                affected_services,
                impact,
                urgency,
                priority,
                state,
                on_hold_reason,
                assignment_group,
                assigned_to,
                opened_at,
                opened_by,
                resolved_at,
                resolved_by,
                closed_at,
                closed_by,
                resolution_code,
                resolution_notes,
                reopen_count,
                last_reopened_at,
                last_reopened_by,
                parent_incident,
                problem,
                caused_by_change,
                change_request,
                major_incident_state,
                major_incident_proposed_at,
                major_incident_proposed_by,
                major_incident_decided_at,
                major_incident_decided_by,
                business_effects,
                extensions,
            }
        })
}

pub fn problem() -> impl Strategy<Value = Problem> {
    (
        (
            problem_id(),
            number(NumberPrefix::Problem),
            text(),
            opt_text(),
            opt_text(),
            opt(service_id()),
        ),
        (
            vec(ci_id(), 0..3),
            variant::<Impact>(),
            variant::<Urgency>(),
            variant::<Priority>(),
            variant::<ProblemState>(),
        ),
        (
            opt(group_id()),
            opt(person_id()),
            instant(),
            opt(person_id()),
            opt_text(),
            opt_text(),
            any::<bool>(),
        ),
        (
            opt(known_error_id()),
            opt(variant::<ProblemResolutionCode>()),
            opt(problem_id()),
            opt_text(),
        ),
        (
            opt(instant()),
            opt(person_id()),
            opt(instant()),
            vec(incident_id(), 0..3),
            vec(change_id(), 0..3),
        ),
        extensions(),
    )
        .prop_map(|(a, b, c, d, e, extensions)| {
            let (id, number, short_description, description, category, service) = a;
            let (configuration_items, impact, urgency, priority, state) = b;
            let (
                assignment_group,
                assigned_to,
                opened_at,
                opened_by,
                root_cause,
                workaround,
                known_error,
            ) = c;
            let (known_error_record, resolution_code, duplicate_of, fix_notes) = d;
            let (resolved_at, resolved_by, closed_at, related_incidents, related_changes) = e;
            Problem {
                id,
                number,
                short_description,
                description,
                category,
                service,
                configuration_items,
                impact,
                urgency,
                priority,
                state,
                assignment_group,
                assigned_to,
                opened_at,
                opened_by,
                root_cause,
                workaround,
                known_error,
                known_error_record,
                resolution_code,
                duplicate_of,
                fix_notes,
                resolved_at,
                resolved_by,
                closed_at,
                related_incidents,
                related_changes,
                extensions,
            }
        })
}

pub fn known_error() -> impl Strategy<Value = KnownError> {
    (
        (
            known_error_id(),
            number(NumberPrefix::KnownError),
            problem_id(),
            text(),
            opt_text(),
            text(),
            text(),
        ),
        (
            opt(article_id()),
            vec(ci_id(), 0..3),
            variant::<KnownErrorState>(),
            instant(),
            opt(instant()),
        ),
        extensions(),
    )
        .prop_map(|(a, b, extensions)| {
            let (id, number, problem, title, symptoms, root_cause, workaround) = a;
            let (knowledge_article, configuration_items, state, created_at, fixed_at) = b;
            KnownError {
                id,
                number,
                problem,
                title,
                symptoms,
                root_cause,
                workaround,
                knowledge_article,
                configuration_items,
                state,
                created_at,
                fixed_at,
                extensions,
            }
        })
}

pub fn knowledge_article() -> impl Strategy<Value = KnowledgeArticle> {
    (
        (
            article_id(),
            number(NumberPrefix::KnowledgeArticle),
            text(),
            text(),
            text(),
            opt_text(),
            vec(text(), 0..3),
        ),
        (
            variant::<KnowledgeState>(),
            person_id(),
            instant(),
            opt(instant()),
            opt(instant()),
            opt(instant()),
        ),
        (opt(instant()), opt(known_error_id()), extensions()),
        (
            any::<u32>(),
            opt(article_id()),
            variant::<ApprovalStatus>(),
            vec(approval(), 0..3),
        ),
    )
        .prop_map(|(a, b, c, d)| {
            let (id, number, title, body, knowledge_base, category, keywords) = a;
            let (state, author, created_at, updated_at, published_at, valid_to) = b;
            let (retired_at, known_error, extensions) = c;
            let (version, supersedes, approval, approvals) = d;
            KnowledgeArticle {
                id,
                number,
                title,
                body,
                knowledge_base,
                category,
                keywords,
                state,
                author,
                created_at,
                updated_at,
                published_at,
                valid_to,
                retired_at,
                known_error,
                version,
                supersedes,
                approval,
                approvals,
                extensions,
            }
        })
}

pub fn approval() -> impl Strategy<Value = Approval> {
    (
        person_id(),
        opt(group_id()),
        variant::<ApprovalDecision>(),
        opt(instant()),
        opt(instant()),
        opt_text(),
    )
        .prop_map(
            |(approver, group, decision, requested_at, decided_at, comment)| Approval {
                approver,
                group,
                decision,
                requested_at,
                decided_at,
                comment,
            },
        )
}

pub fn change() -> impl Strategy<Value = Change> {
    (
        (
            change_id(),
            number(NumberPrefix::Change),
            variant::<ChangeType>(),
            text(),
            opt_text(),
            opt_text(),
        ),
        (
            opt_text(),
            opt(service_id()),
            vec(ci_id(), 0..3),
            variant::<ChangeRisk>(),
            variant::<Impact>(),
        ),
        (
            opt(variant::<Priority>()),
            variant::<ChangeState>(),
            person_id(),
            opt(group_id()),
            opt(person_id()),
        ),
        (
            instant(),
            opt(instant()),
            opt(instant()),
            opt(instant()),
            opt(instant()),
        ),
        (
            opt_text(),
            opt_text(),
            opt_text(),
            variant::<ApprovalStatus>(),
            vec(approval(), 0..3),
        ),
        (
            opt(variant::<ChangeCloseCode>()),
            opt_text(),
            opt(instant()),
            vec(problem_id(), 0..2),
        ),
        (vec(incident_id(), 0..2), opt(release_id()), extensions()),
        (
            opt(template_id()),
            opt(service_request_id()),
            opt(request_item_id()),
        ),
    )
        .prop_map(|(a, b, c, d, e, f, g, h)| {
            let (id, number, change_type, short_description, description, justification) = a;
            let (category, service, configuration_items, risk, impact) = b;
            let (priority, state, requested_by, assignment_group, assigned_to) = c;
            let (opened_at, planned_start, planned_end, actual_start, actual_end) = d;
            let (implementation_plan, backout_plan, test_plan, approval, approvals) = e;
            let (close_code, close_notes, closed_at, related_problems) = f;
            let (related_incidents, release, extensions) = g;
            let (template, service_request, request_item) = h;
            Change {
                id,
                number,
                change_type,
                short_description,
                description,
                justification,
                category,
                service,
                configuration_items,
                risk,
                impact,
                priority,
                state,
                requested_by,
                assignment_group,
                assigned_to,
                opened_at,
                planned_start,
                planned_end,
                actual_start,
                actual_end,
                implementation_plan,
                backout_plan,
                test_plan,
                approval,
                approvals,
                close_code,
                close_notes,
                closed_at,
                related_problems,
                related_incidents,
                release,
                template,
                service_request,
                request_item,
                extensions,
            }
        })
}

pub fn release() -> impl Strategy<Value = Release> {
    (
        (
            release_id(),
            number(NumberPrefix::Release),
            text(),
            opt_text(),
            variant::<ReleaseType>(),
            opt_text(),
        ),
        (
            variant::<ReleaseState>(),
            opt(person_id()),
            opt(service_id()),
            vec(ci_id(), 0..3),
            vec(change_id(), 0..3),
        ),
        (
            instant(),
            opt(instant()),
            opt(instant()),
            opt(instant()),
            opt(instant()),
            opt(instant()),
        ),
        extensions(),
    )
        .prop_map(|(a, b, c, extensions)| {
            let (id, number, short_description, description, release_type, version) = a;
            let (state, manager, service, configuration_items, changes) = b;
            let (opened_at, planned_start, planned_end, actual_start, actual_end, closed_at) = c;
            Release {
                id,
                number,
                short_description,
                description,
                release_type,
                version,
                state,
                manager,
                service,
                configuration_items,
                changes,
                opened_at,
                planned_start,
                planned_end,
                actual_start,
                actual_end,
                closed_at,
                extensions,
            }
        })
}

pub fn service_request() -> impl Strategy<Value = ServiceRequest> {
    (
        (
            service_request_id(),
            number(NumberPrefix::ServiceRequest),
            catalog_item_id(),
            text(),
            any::<u32>(),
        ),
        (
            person_id(),
            person_id(),
            opt(variant::<Channel>()),
            variant::<ServiceRequestState>(),
        ),
        (
            variant::<ApprovalStatus>(),
            vec(approval(), 0..3),
            opt(variant::<Priority>()),
            opt(group_id()),
        ),
        (
            opt(person_id()),
            instant(),
            opt(instant()),
            opt(instant()),
            extensions(),
        ),
        (vec(request_item_id(), 0..3), vec(change_id(), 0..2)),
    )
        .prop_map(|(a, b, c, d, e)| {
            let (id, number, catalog_item, short_description, quantity) = a;
            let (requested_by, requested_for, channel, state) = b;
            let (approval, approvals, priority, assignment_group) = c;
            let (assigned_to, opened_at, due_at, closed_at, extensions) = d;
            let (items, changes) = e;
            ServiceRequest {
                id,
                number,
                catalog_item,
                short_description,
                quantity,
                requested_by,
                requested_for,
                channel,
                state,
                approval,
                approvals,
                priority,
                assignment_group,
                assigned_to,
                opened_at,
                due_at,
                closed_at,
                items,
                changes,
                extensions,
            }
        })
}

pub fn service() -> impl Strategy<Value = Service> {
    (
        (
            service_id(),
            text(),
            variant::<ServiceKind>(),
            variant::<Criticality>(),
            variant::<ServiceStatus>(),
        ),
        (
            opt_text(),
            opt(person_id()),
            opt(group_id()),
            opt(ci_id()),
            extensions(),
        ),
    )
        .prop_map(|(a, b)| {
            let (id, name, kind, criticality, status) = a;
            let (description, owner, support_group, configuration_item, extensions) = b;
            Service {
                id,
                name,
                kind,
                criticality,
                status,
                description,
                owner,
                support_group,
                configuration_item,
                extensions,
            }
        })
}

pub fn configuration_item_ref() -> impl Strategy<Value = ConfigurationItemRef> {
    (ci_id(), text(), text(), extensions()).prop_map(|(id, class, name, extensions)| {
        ConfigurationItemRef {
            id,
            class,
            name,
            extensions,
        }
    })
}

pub fn person() -> impl Strategy<Value = Person> {
    (
        (person_id(), text(), opt_text(), opt_text(), any::<bool>()),
        (
            opt_text(),
            opt(person_id()),
            vec(group_id(), 0..3),
            vec(role_id(), 0..3),
            extensions(),
        ),
    )
        .prop_map(|(a, b)| {
            let (id, name, user_name, email, active) = a;
            let (time_zone, manager, groups, roles, extensions) = b;
            Person {
                id,
                name,
                user_name,
                email,
                active,
                time_zone,
                manager,
                groups,
                roles,
                extensions,
            }
        })
}

pub fn group() -> impl Strategy<Value = Group> {
    (
        (group_id(), text(), opt_text(), opt_text(), any::<bool>()),
        (
            opt(person_id()),
            opt(group_id()),
            vec(person_id(), 0..3),
            vec(role_id(), 0..3),
            extensions(),
        ),
    )
        .prop_map(|(a, b)| {
            let (id, name, description, email, active) = a;
            let (manager, parent, members, roles, extensions) = b;
            Group {
                id,
                name,
                description,
                email,
                active,
                manager,
                parent,
                members,
                roles,
                extensions,
            }
        })
}

pub fn permission() -> impl Strategy<Value = Permission> {
    (vec(text(), 0..3), vec(text(), 0..3)).prop_map(|(kinds, events)| Permission { kinds, events })
}

pub fn role() -> impl Strategy<Value = Role> {
    (
        role_id(),
        text(),
        opt_text(),
        vec(permission(), 0..3),
        extensions(),
    )
        .prop_map(|(id, name, description, permissions, extensions)| Role {
            id,
            name,
            description,
            permissions,
            extensions,
        })
}

pub fn directory() -> impl Strategy<Value = Directory> {
    (vec(person(), 0..4), vec(group(), 0..4), vec(role(), 0..4)).prop_map(
        |(people, groups, roles)| Directory {
            people,
            groups,
            roles,
        },
    )
}

pub fn priority_matrix_definition() -> impl Strategy<Value = PriorityMatrixDefinition> {
    let cell = (
        variant::<Impact>(),
        variant::<Urgency>(),
        variant::<Priority>(),
    )
        .prop_map(|(impact, urgency, priority)| PriorityCell {
            impact,
            urgency,
            priority,
        });
    (
        text(),
        vec(variant::<Impact>(), 0..5),
        vec(variant::<Urgency>(), 0..5),
        vec(cell, 0..8),
    )
        .prop_map(
            |(name, impacts, urgencies, cells)| PriorityMatrixDefinition {
                name,
                impacts,
                urgencies,
                cells,
            },
        )
}

pub fn timeline_change() -> impl Strategy<Value = TimelineChange> {
    prop_oneof![
        (
            variant::<RecordKind>(),
            text(),
            variant::<StateCategory>(),
            opt(variant::<Priority>()),
            opt(group_id()),
            opt(person_id())
        )
            .prop_map(
                |(record_kind, state, category, priority, assignment_group, assignee)| {
                    TimelineChange::Created {
                        record_kind,
                        state,
                        category,
                        priority,
                        assignment_group,
                        assignee,
                    }
                }
            ),
        (
            text(),
            variant::<StateCategory>(),
            text(),
            variant::<StateCategory>(),
            opt_text()
        )
            .prop_map(|(from, from_category, to, to_category, reason)| {
                TimelineChange::StateChanged {
                    from,
                    from_category,
                    to,
                    to_category,
                    reason,
                }
            }),
        (opt(variant::<Priority>()), variant::<Priority>())
            .prop_map(|(from, to)| TimelineChange::PriorityChanged { from, to }),
        (
            opt(group_id()),
            opt(group_id()),
            opt(person_id()),
            opt(person_id())
        )
            .prop_map(|(from_group, to_group, from_assignee, to_assignee)| {
                TimelineChange::AssignmentChanged {
                    from_group,
                    to_group,
                    from_assignee,
                    to_assignee,
                }
            }),
        (text(), field_value(), field_value())
            .prop_map(|(field, from, to)| TimelineChange::FieldChanged { field, from, to }),
        (variant::<CommentVisibility>(), text())
            .prop_map(|(visibility, text)| TimelineChange::CommentAdded { visibility, text }),
    ]
}

pub fn timeline_event() -> impl Strategy<Value = TimelineEvent> {
    (instant(), opt(person_id()), timeline_change()).prop_map(|(at, actor, change)| TimelineEvent {
        at,
        actor,
        change,
    })
}

pub fn timeline() -> impl Strategy<Value = Timeline> {
    vec(timeline_event(), 0..6).prop_map(|events| Timeline { events })
}

pub fn violation() -> impl Strategy<Value = Violation> {
    (text(), text(), text()).prop_map(|(path, rule, message)| Violation {
        path,
        rule,
        message,
    })
}

/// 2 March 2026 at `h:m` UTC.
pub fn at(h: u32, m: u32) -> DateTime<Utc> {
    use chrono::TimeZone;
    Utc.with_ymd_and_hms(2026, 3, 2, h, m, 0)
        .single()
        .expect("valid")
}

pub fn num(text: &str) -> RecordNumber {
    text.parse().expect("valid number")
}

/// A closed incident that breaks no rule.
pub fn valid_incident() -> Incident {
    let mut i = Incident::new(
        IncidentId::from_u128(1),
        num("INC0001234"),
        PersonId::from_u128(10),
        "Payroll portal returns HTTP 500",
        at(9, 0),
    );
    i.state = IncidentState::Closed;
    i.configuration_items = vec![CiId::from_u128(30), CiId::from_u128(31)];
    i.resolved_at = Some(at(11, 0));
    i.resolved_by = Some(PersonId::from_u128(11));
    i.closed_at = Some(at(12, 0));
    i.resolution_code = Some(IncidentResolutionCode::SolutionProvided);
    i.resolution_notes = Some("Restarted the application pool".to_owned());
    i.reopen_count = 1;
    i.last_reopened_at = Some(at(10, 0));
    i.last_reopened_by = Some(PersonId::from_u128(10));
    i.parent_incident = Some(IncidentId::from_u128(2));
    i
}

/// A resolved problem that breaks no rule.
pub fn valid_problem() -> Problem {
    Problem {
        id: ProblemId::from_u128(1),
        number: num("PRB0000042"),
        short_description: "Application pool leaks connections".to_owned(),
        description: None,
        category: None,
        service: None,
        configuration_items: vec![CiId::from_u128(30)],
        impact: Impact::High,
        urgency: Urgency::Medium,
        priority: Priority::P2,
        state: ProblemState::Resolved,
        assignment_group: None,
        assigned_to: None,
        opened_at: at(9, 0),
        opened_by: None,
        root_cause: Some("Connection pool never returns sockets".to_owned()),
        workaround: Some("Recycle the pool nightly".to_owned()),
        known_error: true,
        known_error_record: Some(KnownErrorId::from_u128(5)),
        resolution_code: Some(ProblemResolutionCode::FixApplied),
        duplicate_of: None,
        fix_notes: Some("Patched the driver".to_owned()),
        resolved_at: Some(at(15, 0)),
        resolved_by: Some(PersonId::from_u128(11)),
        closed_at: None,
        related_incidents: vec![IncidentId::from_u128(1)],
        related_changes: vec![ChangeId::from_u128(1)],
        extensions: Extensions::new(),
    }
}

/// A fixed known error that breaks no rule.
pub fn valid_known_error() -> KnownError {
    KnownError {
        id: KnownErrorId::from_u128(5),
        number: num("KE0000001"),
        problem: ProblemId::from_u128(1),
        title: "Payroll portal HTTP 500 after 200 sessions".to_owned(),
        symptoms: Some("HTTP 500 on login".to_owned()),
        root_cause: "Connection pool never returns sockets".to_owned(),
        workaround: "Recycle the pool".to_owned(),
        knowledge_article: Some(KnowledgeArticleId::from_u128(7)),
        configuration_items: vec![],
        state: KnownErrorState::Fixed,
        created_at: at(12, 0),
        fixed_at: Some(at(15, 0)),
        extensions: Extensions::new(),
    }
}

/// A published article that breaks no rule.
pub fn valid_knowledge_article() -> KnowledgeArticle {
    KnowledgeArticle {
        id: KnowledgeArticleId::from_u128(7),
        number: num("KB0000007"),
        title: "Recycle the payroll application pool".to_owned(),
        body: "1. Open IIS manager…".to_owned(),
        knowledge_base: "IT".to_owned(),
        category: None,
        keywords: vec!["payroll".to_owned(), "http 500".to_owned()],
        state: KnowledgeState::Published,
        author: PersonId::from_u128(11),
        created_at: at(12, 0),
        updated_at: Some(at(12, 30)),
        published_at: Some(at(13, 0)),
        valid_to: Some(at(23, 0)),
        retired_at: None,
        known_error: Some(KnownErrorId::from_u128(5)),
        version: 2,
        supersedes: Some(KnowledgeArticleId::from_u128(6)),
        approval: ApprovalStatus::Approved,
        approvals: vec![Approval {
            approver: PersonId::from_u128(20),
            group: None,
            decision: ApprovalDecision::Approved,
            requested_at: Some(at(12, 40)),
            decided_at: Some(at(12, 50)),
            comment: None,
        }],
        extensions: Extensions::new(),
    }
}

/// A closed normal change that breaks no rule.
pub fn valid_change() -> Change {
    Change {
        id: ChangeId::from_u128(1),
        number: num("CHG0012345"),
        change_type: ChangeType::Normal,
        short_description: "Patch the payroll database driver".to_owned(),
        description: None,
        justification: None,
        category: None,
        service: None,
        configuration_items: vec![CiId::from_u128(30)],
        risk: ChangeRisk::Moderate,
        impact: Impact::Medium,
        priority: Some(Priority::P3),
        state: ChangeState::Closed,
        requested_by: PersonId::from_u128(11),
        assignment_group: None,
        assigned_to: None,
        opened_at: at(9, 0),
        planned_start: Some(at(18, 0)),
        planned_end: Some(at(19, 0)),
        actual_start: Some(at(18, 5)),
        actual_end: Some(at(18, 50)),
        implementation_plan: Some("Install driver 4.2".to_owned()),
        backout_plan: Some("Reinstall driver 4.1".to_owned()),
        test_plan: None,
        approval: ApprovalStatus::Approved,
        approvals: vec![
            Approval {
                approver: PersonId::from_u128(20),
                group: Some(GroupId::from_u128(40)),
                decision: ApprovalDecision::Approved,
                requested_at: Some(at(10, 0)),
                decided_at: Some(at(11, 0)),
                comment: None,
            },
            Approval {
                approver: PersonId::from_u128(21),
                group: Some(GroupId::from_u128(40)),
                decision: ApprovalDecision::Rejected,
                requested_at: Some(at(10, 0)),
                decided_at: Some(at(11, 30)),
                comment: Some("Not during month end".to_owned()),
            },
            Approval {
                approver: PersonId::from_u128(22),
                group: Some(GroupId::from_u128(40)),
                decision: ApprovalDecision::Requested,
                requested_at: Some(at(10, 0)),
                decided_at: None,
                comment: None,
            },
        ],
        close_code: Some(ChangeCloseCode::Successful),
        close_notes: Some("Driver 4.2 live".to_owned()),
        closed_at: Some(at(20, 0)),
        related_problems: vec![ProblemId::from_u128(1)],
        related_incidents: vec![],
        release: None,
        template: None,
        service_request: None,
        request_item: None,
        extensions: Extensions::new(),
    }
}

/// A closed release that breaks no rule.
pub fn valid_release() -> Release {
    Release {
        id: ReleaseId::from_u128(1),
        number: num("RLSE0000003"),
        short_description: "Payroll 2026.3".to_owned(),
        description: None,
        release_type: ReleaseType::Minor,
        version: Some("2026.3.0".to_owned()),
        state: ReleaseState::Closed,
        manager: None,
        service: None,
        configuration_items: vec![],
        changes: vec![ChangeId::from_u128(1)],
        opened_at: at(9, 0),
        planned_start: Some(at(18, 0)),
        planned_end: Some(at(19, 0)),
        actual_start: Some(at(18, 0)),
        actual_end: Some(at(19, 0)),
        closed_at: Some(at(20, 0)),
        extensions: Extensions::new(),
    }
}

/// A request being fulfilled that breaks no rule.
pub fn valid_service_request() -> ServiceRequest {
    ServiceRequest {
        id: ServiceRequestId::from_u128(1),
        number: num("REQ0000100"),
        catalog_item: CatalogItemId::from_u128(1),
        short_description: "New laptop".to_owned(),
        quantity: 1,
        requested_by: PersonId::from_u128(10),
        requested_for: PersonId::from_u128(12),
        channel: Some(Channel::SelfService),
        state: ServiceRequestState::Fulfilment,
        approval: ApprovalStatus::Approved,
        approvals: vec![Approval {
            approver: PersonId::from_u128(20),
            group: None,
            decision: ApprovalDecision::Approved,
            requested_at: Some(at(9, 5)),
            decided_at: Some(at(9, 30)),
            comment: None,
        }],
        priority: None,
        assignment_group: None,
        assigned_to: None,
        opened_at: at(9, 0),
        due_at: Some(at(17, 0)),
        closed_at: None,
        items: Vec::new(),
        changes: Vec::new(),
        extensions: Extensions::new(),
    }
}

pub fn valid_service() -> Service {
    Service {
        id: ServiceId::from_u128(1),
        name: "Payroll".to_owned(),
        kind: ServiceKind::Business,
        criticality: Criticality::MostCritical,
        status: ServiceStatus::Live,
        description: None,
        owner: None,
        support_group: None,
        configuration_item: None,
        extensions: Extensions::new(),
    }
}

pub fn valid_ci() -> ConfigurationItemRef {
    ConfigurationItemRef {
        id: CiId::from_u128(30),
        class: "linux_server".to_owned(),
        name: "payroll-db-01".to_owned(),
        extensions: Extensions::new(),
    }
}

pub fn valid_person() -> Person {
    Person {
        id: PersonId::from_u128(10),
        name: "Abel Tuter".to_owned(),
        user_name: Some("abel.tuter".to_owned()),
        email: Some("abel.tuter@example.com".to_owned()),
        active: true,
        time_zone: Some("Europe/London".to_owned()),
        manager: Some(PersonId::from_u128(11)),
        groups: vec![GroupId::from_u128(40)],
        roles: vec![RoleId::from_u128(50)],
        extensions: Extensions::new(),
    }
}

pub fn valid_group() -> Group {
    Group {
        id: GroupId::from_u128(40),
        name: "Service Desk".to_owned(),
        description: None,
        email: Some("service-desk@example.co.uk".to_owned()),
        active: true,
        manager: Some(PersonId::from_u128(11)),
        parent: Some(GroupId::from_u128(41)),
        members: vec![PersonId::from_u128(10), PersonId::from_u128(11)],
        roles: vec![RoleId::from_u128(50)],
        extensions: Extensions::new(),
    }
}

pub fn valid_role() -> Role {
    Role {
        id: RoleId::from_u128(50),
        name: "problem_manager".to_owned(),
        description: None,
        permissions: vec![Permission::new(["problem", "known_error"], ["*"])],
        extensions: Extensions::new(),
    }
}

/// A civil date between 1900 and 2100.
pub fn date() -> impl Strategy<Value = chrono::NaiveDate> {
    instant().prop_map(|t| t.date_naive())
}

pub fn money() -> impl Strategy<Value = Money> {
    (any::<i64>(), text()).prop_map(|(amount_minor, currency)| Money {
        amount_minor,
        currency,
    })
}

pub fn asset() -> impl Strategy<Value = Asset> {
    (
        (
            asset_id(),
            text(),
            variant::<AssetKind>(),
            text(),
            opt_text(),
            opt_text(),
            variant::<AssetState>(),
        ),
        (
            opt(money()),
            opt(date()),
            opt(date()),
            opt(person_id()),
            opt(ci_id()),
            extensions(),
        ),
    )
        .prop_map(|(a, b)| {
            let (id, asset_tag, kind, model, vendor, serial_number, state) = a;
            let (cost, purchased_on, warranty_end, assigned_to, configuration_item, extensions) = b;
            Asset {
                id,
                asset_tag,
                kind,
                model,
                vendor,
                serial_number,
                state,
                cost,
                purchased_on,
                warranty_end,
                assigned_to,
                configuration_item,
                extensions,
            }
        })
}

pub fn software_licence() -> impl Strategy<Value = SoftwareLicence> {
    (
        software_licence_id(),
        text(),
        opt_text(),
        variant::<LicenceMetric>(),
        any::<u32>(),
        vec(person_id(), 0..3),
        opt(money()),
        extensions(),
    )
        .prop_map(
            |(id, product, vendor, metric, entitlements, assigned_to, cost, extensions)| {
                SoftwareLicence {
                    id,
                    product,
                    vendor,
                    metric,
                    entitlements,
                    assigned_to,
                    cost,
                    extensions,
                }
            },
        )
}

pub fn installation() -> impl Strategy<Value = Installation> {
    (ci_id(), text(), any::<u32>()).prop_map(|(device, product, cores)| Installation {
        device,
        product,
        cores,
    })
}

pub fn licence_position() -> impl Strategy<Value = LicencePosition> {
    (
        text(),
        variant::<LicenceMetric>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(product, metric, entitled, consumed)| LicencePosition {
            product,
            metric,
            entitled,
            consumed,
            shortfall: consumed.saturating_sub(entitled),
            unused: entitled.saturating_sub(consumed),
        })
}

pub fn request_item() -> impl Strategy<Value = RequestItem> {
    (
        (
            request_item_id(),
            number(NumberPrefix::RequestItem),
            service_request_id(),
            catalog_item_id(),
            text(),
            any::<u32>(),
        ),
        (
            person_id(),
            person_id(),
            variant::<ServiceRequestState>(),
            variant::<ApprovalStatus>(),
            vec(approval(), 0..3),
            extensions(),
        ),
        (
            opt(group_id()),
            opt(person_id()),
            instant(),
            opt(instant()),
            opt(instant()),
            opt(change_id()),
            extensions(),
        ),
        opt_text(),
    )
        .prop_map(|(a, b, c, workflow)| {
            let (id, number, request, catalog_item, short_description, quantity) = a;
            let (requested_by, requested_for, state, approval, approvals, variables) = b;
            let (assignment_group, assigned_to, opened_at, due_at, closed_at, change, extensions) =
                c;
            RequestItem {
                id,
                number,
                request,
                catalog_item,
                short_description,
                quantity,
                requested_by,
                requested_for,
                state,
                approval,
                approvals,
                variables,
                assignment_group,
                assigned_to,
                opened_at,
                due_at,
                closed_at,
                change,
                workflow,
                extensions,
            }
        })
}

// Tasks.

pub fn task_id() -> impl Strategy<Value = TaskId> {
    any::<u128>().prop_map(TaskId::from_u128)
}

pub fn task_parent() -> impl Strategy<Value = TaskParent> {
    prop_oneof![
        incident_id().prop_map(TaskParent::Incident),
        problem_id().prop_map(TaskParent::Problem),
        change_id().prop_map(TaskParent::Change),
        any::<u128>().prop_map(|v| TaskParent::RequestItem(RequestItemId::from_u128(v))),
    ]
}

pub fn task() -> impl Strategy<Value = Task> {
    (
        (
            task_id(),
            number(NumberPrefix::Task),
            task_parent(),
            text(),
            opt_text(),
            variant::<TaskState>(),
            any::<u32>(),
        ),
        (opt(group_id()), opt(person_id()), instant(), opt(instant())),
        (
            opt(instant()),
            opt(instant()),
            opt(instant()),
            opt(instant()),
        ),
        (opt(person_id()), opt_text(), opt_text(), extensions()),
    )
        .prop_map(|(a, b, c, d)| {
            let (id, number, parent, short_description, description, state, order) = a;
            let (assignment_group, assigned_to, opened_at, started_at) = b;
            let (due_at, planned_start, planned_end, closed_at) = c;
            let (closed_by, close_notes, template, extensions) = d;
            Task {
                id,
                number,
                parent,
                short_description,
                description,
                state,
                order,
                assignment_group,
                assigned_to,
                opened_at,
                started_at,
                due_at,
                planned_start,
                planned_end,
                closed_at,
                closed_by,
                close_notes,
                template,
                extensions,
            }
        })
}

fn finite() -> impl Strategy<Value = f64> {
    any::<f64>().prop_filter("finite", |x| x.is_finite())
}

pub fn variable_kind() -> impl Strategy<Value = VariableKind> {
    prop_oneof![
        opt(any::<u32>()).prop_map(|max_length| VariableKind::Text { max_length }),
        vec(text(), 0..4).prop_map(|choices| VariableKind::Choice { choices }),
        (opt(finite()), opt(finite()), any::<bool>())
            .prop_map(|(min, max, integer)| VariableKind::Number { min, max, integer }),
        Just(VariableKind::Boolean),
        Just(VariableKind::Date),
        Just(VariableKind::Person),
        Just(VariableKind::Group),
        Just(VariableKind::ConfigurationItem),
    ]
}

pub fn catalog_variable() -> impl Strategy<Value = CatalogVariable> {
    (
        "[a-z][a-z0-9_]{0,8}",
        text(),
        variable_kind(),
        any::<bool>(),
        // On the wire a `null` default is no default.
        opt(field_value().prop_filter("not null", |v| *v != FieldValue::Null)),
        opt_text(),
    )
        .prop_map(
            |(name, label, kind, required, default, help)| CatalogVariable {
                name,
                label,
                kind,
                required,
                default,
                help,
            },
        )
}

pub fn task_template() -> impl Strategy<Value = TaskTemplate> {
    (text(), text(), opt_text(), opt(group_id()), any::<u32>()).prop_map(
        |(name, short_description, description, assignment_group, order)| TaskTemplate {
            name,
            short_description,
            description,
            assignment_group,
            order,
        },
    )
}

pub fn catalog_approval() -> impl Strategy<Value = CatalogApproval> {
    prop_oneof![
        Just(CatalogApproval::None),
        Just(CatalogApproval::Manager),
        group_id().prop_map(|group| CatalogApproval::Group { group }),
        vec(person_id(), 0..3).prop_map(|approvers| CatalogApproval::People { approvers }),
    ]
}

pub fn catalog_item() -> impl Strategy<Value = CatalogItem> {
    (
        (
            catalog_item_id(),
            text(),
            text(),
            opt_text(),
            opt_text(),
            opt(service_id()),
            any::<bool>(),
        ),
        (
            vec(catalog_variable(), 0..3),
            catalog_approval(),
            opt(group_id()),
            opt_text(),
            vec(task_template(), 0..3),
            opt(template_id()),
            extensions(),
        ),
    )
        .prop_map(|(a, b)| {
            let (id, name, short_description, description, category, service, active) = a;
            let (
                variables,
                approval,
                fulfilment_group,
                workflow,
                fulfilment_tasks,
                standard_change,
                extensions,
            ) = b;
            CatalogItem {
                id,
                name,
                short_description,
                description,
                category,
                service,
                active,
                variables,
                approval,
                fulfilment_group,
                workflow,
                fulfilment_tasks,
                standard_change,
                extensions,
            }
        })
}

pub fn standard_change_template() -> impl Strategy<Value = StandardChangeTemplate> {
    (
        (
            template_id(),
            text(),
            text(),
            opt_text(),
            opt_text(),
            variant::<ChangeRisk>(),
            variant::<Impact>(),
        ),
        (
            opt(service_id()),
            vec(ci_id(), 0..3),
            opt(group_id()),
            text(),
            text(),
            opt_text(),
        ),
        (vec(task_template(), 0..3), any::<bool>(), extensions()),
    )
        .prop_map(|(a, b, c)| {
            let (id, name, short_description, description, category, risk, impact) = a;
            let (
                service,
                configuration_items,
                assignment_group,
                implementation_plan,
                backout_plan,
                test_plan,
            ) = b;
            let (tasks, active, extensions) = c;
            StandardChangeTemplate {
                id,
                name,
                short_description,
                description,
                category,
                risk,
                impact,
                service,
                configuration_items,
                assignment_group,
                implementation_plan,
                backout_plan,
                test_plan,
                tasks,
                active,
                extensions,
            }
        })
}

pub fn catalog() -> impl Strategy<Value = Catalog> {
    (
        vec(catalog_item(), 0..3),
        vec(standard_change_template(), 0..2),
    )
        .prop_map(|(items, standard_changes)| Catalog {
            items,
            standard_changes,
        })
}

pub fn order() -> impl Strategy<Value = Order> {
    (
        catalog_item_id(),
        person_id(),
        opt(person_id()),
        any::<u32>(),
        extensions(),
        opt(variant::<Channel>()),
        instant(),
    )
        .prop_map(
            |(
                catalog_item,
                requested_by,
                requested_for,
                quantity,
                variables,
                channel,
                opened_at,
            )| {
                Order {
                    catalog_item,
                    requested_by,
                    requested_for,
                    quantity,
                    variables,
                    channel,
                    opened_at,
                }
            },
        )
}

/// A valid change task in progress: started, due and planned.
pub fn valid_task() -> Task {
    Task {
        id: TaskId::from_u128(11),
        number: num("TASK0000011"),
        parent: TaskParent::Change(ChangeId::from_u128(4)),
        short_description: "Update the primary concentrator".to_owned(),
        description: Some("Fail over, update, fail back.".to_owned()),
        state: TaskState::WorkInProgress,
        order: 200,
        assignment_group: Some(GroupId::from_u128(2)),
        assigned_to: Some(PersonId::from_u128(3)),
        opened_at: at(9, 0),
        started_at: Some(at(10, 0)),
        due_at: Some(at(14, 0)),
        planned_start: Some(at(10, 0)),
        planned_end: Some(at(12, 0)),
        closed_at: None,
        closed_by: None,
        close_notes: None,
        template: Some("update_firmware".to_owned()),
        extensions: Extensions::new(),
    }
}
