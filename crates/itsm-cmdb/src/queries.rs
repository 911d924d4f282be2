//! Impacted services for a ticket.

use itsm_core::{CiId, ServiceEffect};
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
    /// Impacted (the failure reaches it through every path redundancy
    /// allows, as [`Searcher::impact`] finds) or only degraded (a CI below
    /// it failed, but its redundancy held).
    pub effect: ServiceEffect,
}

impl Searcher<'_> {
    /// The business services that use a ticket's affected CIs, directly or
    /// through other CIs, nearest first.
    ///
    /// Unlike [`Searcher::impact`], redundancy does not stop the search: an
    /// incident on one node of a redundant cluster still concerns every
    /// service that runs on the cluster, which is what the service desk needs
    /// to notify and to set the ticket's service. Each service says whether
    /// it is down (`impacted`, what `impact` finds) or only `degraded`.
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
        let index = self.index;
        // The services the failure takes down, redundancy applied.
        self.walk(
            &sources,
            Walk {
                max_depth: options.max_depth,
                redundancy: true,
                ..Walk::new(Direction::Impact)
            },
        );
        let mut down: Vec<u32> = self
            .queue
            .iter()
            .filter(|visit| index.is_service_dense(visit.node))
            .map(|visit| visit.node)
            .collect();
        down.sort_unstable();
        self.walk(
            &sources,
            Walk {
                max_depth: options.max_depth,
                ..Walk::new(Direction::Impact)
            },
        );
        Ok(self
            .queue
            .iter()
            .filter(|visit| index.is_service_dense(visit.node))
            .map(|visit| ImpactedService {
                service: index.id(visit.node),
                depth: visit.depth,
                affected_ci: index.id(visit.origin),
                effect: if down.binary_search(&visit.node).is_ok() {
                    ServiceEffect::Impacted
                } else {
                    ServiceEffect::Degraded
                },
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
