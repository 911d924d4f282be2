//! Root-cause candidates for a set of impacted CIs.

use std::collections::HashMap;

use itsm_core::CiId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::impact::{Direction, QueryOptions, Searcher, Walk};

/// A CI that could explain several of the impacted CIs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RootCauseCandidate {
    /// The CI.
    pub ci: CiId,
    /// The impacted CIs it explains (they depend on it, or are it), in the
    /// order given.
    pub explains: Vec<CiId>,
    /// The sum of its dependency depths from the CIs it explains: among
    /// candidates explaining as many, the nearer one ranks first.
    pub total_depth: u64,
    /// Whether it is a business service.
    pub service: bool,
}

impl Searcher<'_> {
    /// Root-cause candidates for `impacted` (for example the affected CIs of
    /// several open incidents): the CIs they commonly depend on, ranked by
    /// how many of them each explains, then by nearness, at most `limit`.
    ///
    /// A CI explains an impacted CI when it is that CI or one of its
    /// dependencies (along the followed types, within `max_depth`).
    /// Redundancy does not hide a candidate: a redundant node that is one of
    /// several failures is still a cause.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn root_causes(
        &mut self,
        impacted: &[CiId],
        options: &QueryOptions,
        limit: usize,
    ) -> Result<Vec<RootCauseCandidate>, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        let members = self.resolve(impacted)?;
        // candidate → (members it explains, by position; total depth)
        let mut tally: HashMap<u32, (Vec<u32>, u64)> = HashMap::new();
        for (m, &member) in members.iter().enumerate() {
            self.walk(
                &[member],
                Walk {
                    max_depth: options.max_depth,
                    ..Walk::new(Direction::Depend)
                },
            );
            for visit in &self.queue {
                let entry = tally.entry(visit.node).or_default();
                entry.0.push(m as u32);
                entry.1 += u64::from(visit.depth);
            }
        }
        let mut ranked: Vec<(u32, Vec<u32>, u64)> =
            tally.into_iter().map(|(v, (e, d))| (v, e, d)).collect();
        ranked.sort_unstable_by(|a, b| {
            b.1.len()
                .cmp(&a.1.len())
                .then(a.2.cmp(&b.2))
                .then(a.0.cmp(&b.0))
        });
        ranked.truncate(limit);
        let index = self.index;
        Ok(ranked
            .into_iter()
            .map(|(v, explains, total_depth)| RootCauseCandidate {
                ci: index.id(v),
                explains: explains
                    .into_iter()
                    .map(|m| index.id(members[m as usize]))
                    .collect(),
                total_depth,
                service: index.is_service_dense(v),
            })
            .collect())
    }
}

impl crate::GraphIndex {
    /// [`Searcher::root_causes`] with a fresh searcher.
    ///
    /// # Errors
    /// As [`Searcher::root_causes`].
    pub fn root_causes(
        &self,
        impacted: &[CiId],
        options: &QueryOptions,
        limit: usize,
    ) -> Result<Vec<RootCauseCandidate>, CmdbError> {
        self.searcher().root_causes(impacted, options, limit)
    }
}
