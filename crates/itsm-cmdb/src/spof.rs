//! Single points of failure of a service.

use itsm_core::CiId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::impact::{Direction, QueryOptions, Searcher, Walk};

/// A CI whose failure alone impacts a service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SinglePointOfFailure {
    /// The CI.
    pub ci: CiId,
    /// How many relationships it is from the service (its dependency depth).
    pub depth: u32,
}

impl Searcher<'_> {
    /// The CIs whose failure alone would impact `service`, redundancy
    /// respected, nearest first. The service itself is not listed.
    ///
    /// `options.max_depth` limits which dependencies are candidates (their
    /// failure is still followed through the whole dependency closure);
    /// `options.relationship_types` limits the relationships followed.
    ///
    /// How: without redundancy every dependency is a single point of failure,
    /// so the work is only for CIs whose every path to the service crosses a
    /// redundant relationship. First, every CI that reaches the service
    /// without crossing one is a single point of failure. Each remaining
    /// candidate is then failed on its own within the service's dependency
    /// closure, stopping as soon as the failure reaches the service or any
    /// CI already known to be a single point of failure (impact is monotone:
    /// whatever that CI's failure impacts, a failure that impacts that CI
    /// impacts too).
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn single_points_of_failure(
        &mut self,
        service: &CiId,
        options: &QueryOptions,
    ) -> Result<Vec<SinglePointOfFailure>, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        let index = self.index;
        let s = index.dense_or_err(service)?;

        // The dependency closure: the only CIs whose failure can reach the service.
        self.walk(&[s], Walk::new(Direction::Depend));
        let closure: Vec<(u32, u32)> = self
            .queue
            .iter()
            .map(|visit| (visit.node, visit.depth))
            .collect();
        let mark = self.next_mark();
        for &(v, _) in &closure {
            self.mark[v as usize] = mark;
        }

        // Known single points of failure (and the service): `aux == known`.
        // First those that reach the service without crossing a redundant relationship.
        self.walk(
            &[s],
            Walk {
                skip_guarded: true,
                ..Walk::new(Direction::Depend)
            },
        );
        let known = self.next_aux();
        for i in 0..self.queue.len() {
            let v = self.queue[i].node;
            self.aux[v as usize] = known;
        }

        let mut found = Vec::new();
        for &(c, depth) in closure.iter().skip(1) {
            if options.max_depth.is_some_and(|m| depth > m) {
                break; // the closure is in depth order
            }
            let single = self.aux[c as usize] == known
                || self
                    .walk(
                        &[c],
                        Walk {
                            redundancy: true,
                            within_marked: true,
                            stop_at_aux: true,
                            ..Walk::new(Direction::Impact)
                        },
                    )
                    .is_some();
            if single {
                self.aux[c as usize] = known;
                found.push(SinglePointOfFailure {
                    ci: index.id(c),
                    depth,
                });
            }
        }
        Ok(found)
    }
}

impl crate::GraphIndex {
    /// [`Searcher::single_points_of_failure`] with a fresh searcher.
    ///
    /// # Errors
    /// As [`Searcher::single_points_of_failure`].
    pub fn single_points_of_failure(
        &self,
        service: &CiId,
        options: &QueryOptions,
    ) -> Result<Vec<SinglePointOfFailure>, CmdbError> {
        self.searcher().single_points_of_failure(service, options)
    }
}
