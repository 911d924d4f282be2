//! A shortest path between two CIs.

use itsm_core::CiId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::impact::{Direction, QueryOptions, Searcher, Walk};
use crate::index::NONE;

/// Which way a path may run.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    JsonSchema,
    strum::Display,
    strum::EnumIter,
    strum::AsRefStr,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[non_exhaustive]
pub enum PathDirection {
    /// The way failures travel: a failure of the first CI reaches the last.
    Impact,
    /// The other way: the first CI depends, step by step, on the last.
    Dependency,
    /// Either way at each step: how two CIs are related at all.
    Either,
}

impl std::str::FromStr for PathDirection {
    type Err = CmdbError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "impact" => Ok(Self::Impact),
            "dependency" => Ok(Self::Dependency),
            "either" => Ok(Self::Either),
            _ => Err(CmdbError::InvalidName {
                field: "path direction",
                value: s.to_owned(),
                expected: "impact, dependency, either".to_owned(),
            }),
        }
    }
}

/// A path between two CIs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CiPath {
    /// The CIs from the first to the last.
    pub cis: Vec<CiId>,
    /// The relationship type of each step: `relationship_types[i]` links
    /// `cis[i]` and `cis[i + 1]`.
    pub relationship_types: Vec<String>,
}

impl Searcher<'_> {
    /// A shortest path from `from` to `to` (fewest relationships), or `None`.
    /// The options limit its length and the relationship types it uses.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn path(
        &mut self,
        from: &CiId,
        to: &CiId,
        direction: PathDirection,
        options: &QueryOptions,
    ) -> Result<Option<CiPath>, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        let index = self.index;
        let start = index.dense_or_err(from)?;
        let goal = index.dense_or_err(to)?;
        let aux = self.next_aux();
        self.aux[goal as usize] = aux;
        let direction = match direction {
            PathDirection::Impact => Direction::Impact,
            PathDirection::Dependency => Direction::Depend,
            _ => Direction::Either,
        };
        let walk = Walk {
            max_depth: options.max_depth,
            stop_at_aux: true,
            ..Walk::new(direction)
        };
        if self.walk(&[start], walk).is_none() {
            return Ok(None);
        }
        let mut cis = Vec::new();
        let mut relationship_types = Vec::new();
        // The goal is the last visit; each step goes to an earlier one.
        let mut at = self.queue.len() - 1;
        for _ in 0..self.queue.len() {
            let visit = self.queue[at];
            cis.push(visit.node);
            if visit.pred == NONE {
                break;
            }
            relationship_types.push(index.type_name(visit.ty).to_owned());
            at = visit.pred as usize;
        }
        cis.reverse();
        relationship_types.reverse();
        Ok(Some(CiPath {
            cis: cis.into_iter().map(|v| index.id(v)).collect(),
            relationship_types,
        }))
    }
}

impl crate::GraphIndex {
    /// [`Searcher::path`] with a fresh searcher.
    ///
    /// # Errors
    /// As [`Searcher::path`].
    pub fn path(
        &self,
        from: &CiId,
        to: &CiId,
        direction: PathDirection,
        options: &QueryOptions,
    ) -> Result<Option<CiPath>, CmdbError> {
        self.searcher().path(from, to, direction, options)
    }
}
