//! Article versions: publishing a version retires the one it supersedes
//! ([`retire_superseded`]), in a table around one `check`, and its laws as
//! properties; and the knowledge flow's facts from an article's approvals.

use chrono::{DateTime, TimeZone, Utc};
use itsm_core::{
    Approval, ApprovalDecision, KnowledgeArticle, KnowledgeArticleId, KnowledgeState, PersonId,
    Validate,
};
use itsm_lifecycle::{
    ApprovalPolicy, GuardContext, Input, KnowledgeEvent, Lifecycle, LifecycleError, PlainContext,
    SeparationOfDuties, Workflow, knowledge_flow, retire_superseded,
};
use proptest::prelude::*;

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 4, h, 0, 0).unwrap()
}

fn id(n: u128) -> KnowledgeArticleId {
    KnowledgeArticleId::from_u128(n)
}

/// Version `n` of one article, in `state`, superseding version `n - 1`
/// (ids are the version numbers).
fn version(n: u32, state: KnowledgeState) -> KnowledgeArticle {
    let mut a = KnowledgeArticle::new(
        id(u128::from(n)),
        "KB0000001".parse().unwrap(),
        "IT",
        "Restart the VPN concentrator",
        "Log in, then …",
        PersonId::from_u128(1),
        at(1),
    );
    a.version = n;
    a.supersedes = (n > 1).then(|| id(u128::from(n - 1)));
    a.state = state;
    if matches!(state, KnowledgeState::Published | KnowledgeState::Retired) {
        a.published_at = Some(at(2));
        a.approvals = vec![Approval {
            decision: ApprovalDecision::Approved,
            decided_at: Some(at(2)),
            ..Approval::requested(PersonId::from_u128(2), None, at(1))
        }];
        a.approval = itsm_core::approval_from_approvals(&a.approvals);
    }
    if state == KnowledgeState::Retired {
        a.retired_at = Some(at(3));
    }
    a
}

/// Publishing `published` over `articles` retires exactly the versions
/// (by id) in `retired`, at 9:00, and leaves every other article as it was.
fn check(
    case: &str,
    published: &KnowledgeArticle,
    articles: &[KnowledgeArticle],
    retired: &[u128],
) {
    let mut after = articles.to_vec();
    let n = retire_superseded(published, &mut after, at(9));
    assert_eq!(n, retired.len(), "case {case:?}: how many retired");
    for (before, after) in articles.iter().zip(&after) {
        if retired.iter().any(|r| id(*r) == before.id) {
            let expected = KnowledgeArticle {
                state: KnowledgeState::Retired,
                retired_at: Some(at(9)),
                ..before.clone()
            };
            assert_eq!(after, &expected, "case {case:?}: {} retired", before.id);
            assert_eq!(after.validate(), vec![], "case {case:?}: still valid");
        } else {
            assert_eq!(after, before, "case {case:?}: {} untouched", before.id);
        }
    }
}

#[test]
fn publishing_a_version_retires_the_one_it_supersedes() {
    use KnowledgeState::{Draft, Published, Retired, Review};
    let v2 = version(2, Published);
    let cases: &[(&str, KnowledgeArticle, Vec<KnowledgeArticle>, &[u128])] = &[
        (
            "the published predecessor retires",
            v2.clone(),
            vec![version(1, Published)],
            &[1],
        ),
        (
            "only the predecessor, not the version itself or others",
            v2.clone(),
            vec![version(3, Published), v2.clone(), version(1, Published)],
            &[1],
        ),
        (
            "a retired predecessor stays as it was",
            v2.clone(),
            vec![version(1, Retired)],
            &[],
        ),
        (
            "a predecessor never published is left alone",
            v2.clone(),
            vec![version(1, Draft), version(1, Review)],
            &[],
        ),
        (
            "a version in review retires nothing yet",
            version(2, Review),
            vec![version(1, Published)],
            &[],
        ),
        (
            "a first version supersedes nothing",
            version(1, Published),
            vec![version(1, Published), version(2, Published)],
            &[],
        ),
        (
            "a version naming itself retires nothing",
            KnowledgeArticle {
                supersedes: Some(id(2)),
                ..v2.clone()
            },
            vec![v2.clone()],
            &[],
        ),
        ("an empty lineage", v2.clone(), vec![], &[]),
    ];
    for (case, published, articles, retired) in cases {
        check(case, published, articles, retired);
    }
}

#[test]
fn the_knowledge_flow_publishes_on_the_policy_s_approval() {
    use itsm_lifecycle::KnowledgeEvent as E;
    let wf = Workflow::new(knowledge_flow(), &PlainContext::itil()).unwrap();
    let mut article = version(1, KnowledgeState::Review);
    let publish = |a: &KnowledgeArticle, policy: &ApprovalPolicy| {
        let facts = PlainContext::for_knowledge_article(a, policy);
        wf.apply(&KnowledgeState::Review, &E::Publish, None, at(4), &facts)
            .map(|t| t.audit.to)
    };
    assert!(
        publish(&article, &ApprovalPolicy::All).is_err(),
        "nobody asked"
    );
    let ask = |n| Approval::requested(PersonId::from_u128(n), None, at(2));
    article.approvals = vec![ask(11), ask(12)];
    article.approvals[0].decision = ApprovalDecision::Approved;
    assert!(
        publish(&article, &ApprovalPolicy::All).is_err(),
        "one of two"
    );
    assert_eq!(
        publish(&article, &ApprovalPolicy::NOfM { required: 1 }).unwrap(),
        KnowledgeState::Published
    );
    article.approvals[1].decision = ApprovalDecision::Rejected;
    let facts = PlainContext::for_knowledge_article(&article, &ApprovalPolicy::All);
    assert!(facts.guard_allows("rejected") && !facts.guard_allows("approved"));
}

/// Opens `draft`, submits it, has person 20 approve it and publishes it,
/// on the typed path, from `h` o'clock.
fn publish(lc: &Lifecycle<KnowledgeArticle>, draft: KnowledgeArticle, h: u32) -> KnowledgeArticle {
    let approver = PersonId::from_u128(20);
    let none = Input::new();
    let a = lc.open(draft, None, at(h)).unwrap().record;
    let a = lc
        .apply(&a, KnowledgeEvent::Submit, &none, None, at(h))
        .unwrap()
        .record;
    let a = lc
        .request_approvals(&a, &[approver], None, None, at(h))
        .unwrap()
        .record;
    let a = lc
        .decide(&a, approver, ApprovalDecision::Approved, None, at(h))
        .unwrap()
        .record;
    lc.apply(&a, KnowledgeEvent::Publish, &none, None, at(h))
        .unwrap()
        .record
}

#[test]
fn a_revision_published_on_the_typed_path_retires_its_predecessor() {
    let lc = Lifecycle::<KnowledgeArticle>::itil().unwrap();
    let v1 = publish(&lc, version(1, KnowledgeState::Draft), 2);
    assert_eq!(
        (v1.state, v1.published_at),
        (KnowledgeState::Published, Some(at(2)))
    );
    let v2 = publish(&lc, v1.revise(id(2), PersonId::from_u128(1), at(5)), 6);
    assert_eq!((v2.version, v2.supersedes), (2, Some(v1.id)));
    let mut lineage = vec![v1.clone(), v2.clone()];
    assert_eq!(retire_superseded(&v2, &mut lineage, at(6)), 1);
    assert_eq!(
        (lineage[0].state, lineage[0].retired_at),
        (KnowledgeState::Retired, Some(at(6)))
    );
    assert_eq!(lineage[1], v2);
    for a in &lineage {
        assert_eq!(a.validate(), vec![], "{} v{}", a.id, a.version);
    }
    // The typed path agrees: retiring v1 there gives the same record.
    let retired = lc
        .apply(&v1, KnowledgeEvent::Retire, &Input::new(), None, at(6))
        .unwrap()
        .record;
    assert_eq!(retired, lineage[0]);
}

#[test]
fn the_author_may_not_approve_their_own_article_unless_the_rule_is_off() {
    let author = PersonId::from_u128(1);
    let on = Lifecycle::<KnowledgeArticle>::itil().unwrap();
    let draft = version(1, KnowledgeState::Draft);
    let err = on
        .request_approvals(&draft, &[author], None, None, at(2))
        .unwrap_err();
    assert!(
        matches!(&err, LifecycleError::SeparationOfDuties { rule, .. } if rule == "requester_cannot_approve"),
        "{err}"
    );
    let off = on.with_separation_of_duties(SeparationOfDuties::off());
    let asked = off
        .request_approvals(&draft, &[author], None, None, at(2))
        .unwrap()
        .record;
    assert_eq!(asked.approvals[0].approver, author);
}

fn state() -> impl Strategy<Value = KnowledgeState> {
    prop_oneof![
        Just(KnowledgeState::Draft),
        Just(KnowledgeState::Review),
        Just(KnowledgeState::Published),
        Just(KnowledgeState::Retired),
    ]
}

fn lineage() -> impl Strategy<Value = (KnowledgeArticle, Vec<KnowledgeArticle>)> {
    (
        1_u32..5,
        state(),
        prop::collection::vec((1_u32..5, state()), 0..6),
    )
        .prop_map(|(n, s, others)| {
            (
                version(n, s),
                others.into_iter().map(|(n, s)| version(n, s)).collect(),
            )
        })
}

proptest! {
    /// Retiring is idempotent: a second publication of the same version
    /// retires nothing more.
    #[test]
    fn retiring_superseded_versions_is_idempotent((published, articles) in lineage()) {
        let mut once = articles.clone();
        retire_superseded(&published, &mut once, at(9));
        let mut twice = once.clone();
        prop_assert_eq!(retire_superseded(&published, &mut twice, at(10)), 0);
        prop_assert_eq!(twice, once);
    }

    /// Only published articles with the superseded id change, and then only
    /// to retired at the given instant; no published article remains with
    /// that id.
    #[test]
    fn only_the_superseded_published_version_changes((published, articles) in lineage()) {
        let mut after = articles.clone();
        let n = retire_superseded(&published, &mut after, at(9));
        let mut changed = 0;
        for (b, a) in articles.iter().zip(&after) {
            if a != b {
                changed += 1;
                prop_assert_eq!(Some(b.id), published.supersedes);
                prop_assert_eq!(b.state, KnowledgeState::Published);
                prop_assert_eq!((a.state, a.retired_at), (KnowledgeState::Retired, Some(at(9))));
            }
        }
        prop_assert_eq!(changed, n);
        if published.state == KnowledgeState::Published {
            prop_assert!(after.iter().all(|a| Some(a.id) != published.supersedes
                || a.state != KnowledgeState::Published));
        }
    }
}
