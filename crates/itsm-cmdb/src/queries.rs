//! Impacted services for a ticket.

use itsm_core::CiId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::impact::{Direction, QueryOptions, Searcher, Walk};

/// A business service that uses one of a ticket's affected CIs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImpactedService {
    /// The business service.
    pub service: CiId,
    /// How many relationships away from the nearest affected CI (0 when an
    /// affected CI is itself the service).
    pub depth: u32,
    /// The affected CI it was reached from.
    pub affected_ci: CiId,
}

impl Searcher<'_> {
    /// The business services that use a ticket's affected CIs, directly or
    /// through other CIs, nearest first.
    ///
    /// Unlike [`Searcher::impact`], redundancy does not stop the search: an
    /// incident on one node of a redundant cluster still concerns every
    /// service that runs on the cluster, which is what the service desk needs
    /// to notify and to set the ticket's service. Use `impact` to know which
    /// services are actually down.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn impacted_services(
        &mut self,
        affected_cis: &[CiId],
        options: &QueryOptions,
    ) -> Result<Vec<ImpactedService>, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        let sources = self.resolve(affected_cis)?;
        self.walk(
            &sources,
            Walk {
                max_depth: options.max_depth,
                ..Walk::new(Direction::Impact)
            },
        );
        let index = self.index;
        Ok(self
            .queue
            .iter()
            .filter(|visit| index.is_service_dense(visit.node))
            .map(|visit| ImpactedService {
                service: index.id(visit.node),
                depth: visit.depth,
                affected_ci: index.id(visit.origin),
            })
            .collect())
    }
}

impl crate::GraphIndex {
    /// [`Searcher::impacted_services`] with a fresh searcher.
    ///
    /// # Errors
    /// As [`Searcher::impacted_services`].
    pub fn impacted_services(
        &self,
        affected_cis: &[CiId],
        options: &QueryOptions,
    ) -> Result<Vec<ImpactedService>, CmdbError> {
        self.searcher().impacted_services(affected_cis, options)
    }
}
