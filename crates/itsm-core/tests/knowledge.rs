//! Knowledge articles: versions ([`KnowledgeArticle::revise`]), articles
//! made from a known error's workaround, and old article JSON (without
//! version or approvals) still loading.

mod common;

use chrono::{DateTime, TimeZone, Utc};
use common::{article_id, instant, knowledge_article, person_id};
use itsm_core::*;
use proptest::prelude::*;

fn at(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 3, h, 0, 0).unwrap()
}

fn known_error(symptoms: Option<&str>) -> KnownError {
    let mut ke = KnownError::new(
        KnownErrorId::from_u128(5),
        "KE0000005".parse().unwrap(),
        ProblemId::from_u128(4),
        "Outlook keeps mail in the Outbox",
        "The March update stops the transport service",
        "Restart the transport service",
        at(8),
    );
    ke.symptoms = symptoms.map(str::to_owned);
    ke
}

fn published() -> KnowledgeArticle {
    let mut a = KnowledgeArticle::new(
        KnowledgeArticleId::from_u128(7),
        "KB0000007".parse().unwrap(),
        "IT",
        "Outbox",
        "Restart the transport service.",
        PersonId::from_u128(1),
        at(9),
    );
    a.category = Some("Email".to_owned());
    a.keywords = vec!["outbox".to_owned()];
    a.known_error = Some(KnownErrorId::from_u128(5));
    a.state = KnowledgeState::Published;
    a.published_at = Some(at(10));
    a.approvals = vec![Approval {
        decision: ApprovalDecision::Approved,
        decided_at: Some(at(10)),
        ..Approval::requested(PersonId::from_u128(2), None, at(9))
    }];
    a.approval = ApprovalStatus::Approved;
    a
}

#[test]
fn a_new_article_is_version_one_superseding_nothing_without_approvals() {
    let a = KnowledgeArticle::new(
        KnowledgeArticleId::from_u128(1),
        "KB0000001".parse().unwrap(),
        "IT",
        "t",
        "b",
        PersonId::from_u128(1),
        at(9),
    );
    assert_eq!(
        (a.version, a.supersedes, a.approval, a.approvals.len()),
        (1, None, ApprovalStatus::NotRequested, 0)
    );
}

#[test]
fn revise_makes_the_next_version_as_a_draft_of_the_same_lineage() {
    let old = published();
    let author = PersonId::from_u128(3);
    let next = old.revise(KnowledgeArticleId::from_u128(8), author, at(12));
    assert_eq!(next.id, KnowledgeArticleId::from_u128(8));
    assert_eq!(next.number, old.number);
    assert_eq!(next.version, 2);
    assert_eq!(next.supersedes, Some(old.id));
    assert_eq!(next.state, KnowledgeState::Draft);
    assert_eq!((next.author, next.created_at), (author, at(12)));
    assert_eq!(
        (&next.title, &next.body, &next.knowledge_base),
        (&old.title, &old.body, &old.knowledge_base)
    );
    assert_eq!(
        (&next.category, &next.keywords, next.known_error),
        (&old.category, &old.keywords, old.known_error)
    );
    assert_eq!(
        (next.approval, next.approvals.len()),
        (ApprovalStatus::NotRequested, 0)
    );
    assert_eq!(
        (
            next.published_at,
            next.retired_at,
            next.updated_at,
            next.valid_to
        ),
        (None, None, None, None)
    );
    assert_eq!(next.validate(), vec![]);
    assert_eq!(
        next.revise(KnowledgeArticleId::from_u128(9), author, at(13))
            .version,
        3
    );
}

#[test]
fn from_workaround_drafts_an_article_linked_to_the_known_error() {
    let check = |symptoms: Option<&str>, body: &str| {
        let ke = known_error(symptoms);
        let a = KnowledgeArticle::from_workaround(
            &ke,
            KnowledgeArticleId::from_u128(9),
            "KB0000009".parse().unwrap(),
            "IT",
            PersonId::from_u128(1),
            at(11),
        );
        assert_eq!(a.body, body, "symptoms {symptoms:?}");
        assert_eq!(a.known_error, Some(ke.id));
        assert_eq!(a.title, ke.title);
        assert_eq!(a.state, KnowledgeState::Draft);
        assert_eq!((a.version, a.supersedes), (1, None));
        assert_eq!(a.created_at, at(11));
        assert_eq!(a.validate(), vec![], "symptoms {symptoms:?}");
    };
    check(
        None,
        "## Cause\nThe March update stops the transport service\n\n\
         ## Workaround\nRestart the transport service\n",
    );
    check(
        Some("Mail stays in the Outbox"),
        "## Symptoms\nMail stays in the Outbox\n\n\
         ## Cause\nThe March update stops the transport service\n\n\
         ## Workaround\nRestart the transport service\n",
    );
}

#[test]
fn article_json_without_version_or_approvals_still_loads() {
    let mut json = serde_json::to_value(published()).unwrap();
    let obj = json.as_object_mut().unwrap();
    for key in ["version", "supersedes", "approval", "approvals"] {
        obj.remove(key);
    }
    let read: KnowledgeArticle = serde_json::from_value(json).unwrap();
    assert_eq!(
        (read.version, read.supersedes, read.approval, read.approvals),
        (1, None, ApprovalStatus::NotRequested, vec![])
    );
    assert!(read.extensions.is_empty());
}

#[test]
fn article_approval_is_derived_from_its_approvals_when_absent() {
    let mut json = serde_json::to_value(published()).unwrap();
    json.as_object_mut().unwrap().remove("approval");
    let read: KnowledgeArticle = serde_json::from_value(json).unwrap();
    assert_eq!(read.approval, ApprovalStatus::Approved);
}

proptest! {
    /// Revising any article gives one version more, superseding it, as a
    /// draft of the same number with nothing of its review; and a revision
    /// adds no version or supersession violation when the new id differs.
    #[test]
    fn revise_is_the_next_version_of_the_lineage(
        article in knowledge_article(),
        id in article_id(),
        author in person_id(),
        at in instant(),
    ) {
        let next = article.revise(id, author, at);
        prop_assert_eq!(next.version, article.version.saturating_add(1));
        prop_assert_eq!(next.supersedes, Some(article.id));
        prop_assert_eq!((next.id, next.number, next.state), (id, article.number, KnowledgeState::Draft));
        prop_assert!(next.approvals.is_empty() && next.approval == ApprovalStatus::NotRequested);
        prop_assert_eq!((next.published_at, next.retired_at), (None, None));
        let about_versions = next
            .validate()
            .into_iter()
            .filter(|v| v.path == "version" || v.path == "supersedes")
            .count();
        prop_assert_eq!(about_versions, usize::from(id == article.id));
    }
}
