//! Health propagation: from CIs with an incident, which CIs go down with
//! them (warning) and which only lose redundancy (degraded).

use itsm_core::CiId;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::CmdbError;
use crate::impact::{Direction, QueryOptions, Searcher, Walk};

/// A CI's health on a service map.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
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
pub enum HealthState {
    /// Still up, but something it depends on redundantly has an incident:
    /// one failure fewer than its redundancy tolerates (ITIL's "a CI that
    /// has not yet impacted a service"; one disk of a mirror set).
    Degraded,
    /// Down with something it depends on that has an incident.
    Warning,
    /// It has an incident of its own.
    Critical,
}

impl std::str::FromStr for HealthState {
    type Err = CmdbError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "degraded" => Ok(Self::Degraded),
            "warning" => Ok(Self::Warning),
            "critical" => Ok(Self::Critical),
            _ => Err(CmdbError::InvalidName {
                field: "health state",
                value: s.to_owned(),
                expected: "degraded, warning, critical".to_owned(),
            }),
        }
    }
}

/// One CI's health.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CiHealth {
    /// The CI.
    pub ci: CiId,
    /// Its state.
    pub state: HealthState,
    /// For a warning or a degraded CI, a CI with an incident that it comes
    /// from (through impacted CIs); `None` for a CI with its own incident.
    pub cause: Option<CiId>,
}

/// The health of every CI that is not healthy; CIs not listed are healthy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HealthReport {
    /// The CIs with their own incident (critical) first, in the order given,
    /// then the warnings by distance from an incident, then the degraded CIs.
    pub cis: Vec<CiHealth>,
}

impl HealthReport {
    /// The state of `ci`; `None` when it is healthy.
    #[must_use]
    pub fn state_of(&self, ci: &CiId) -> Option<HealthState> {
        self.cis.iter().find(|h| h.ci == *ci).map(|h| h.state)
    }
}

impl Searcher<'_> {
    /// Health propagation: the CIs with an open incident are critical;
    /// every CI their failure would impact becomes warning; a CI whose
    /// redundancy holds (some of what it needs failed, not more than it
    /// tolerates) is degraded, distinct from warning; a CI with its own
    /// incident stays critical however it is reached.
    ///
    /// # Errors
    /// [`CmdbError::UnknownCi`] for a CI the index does not hold;
    /// [`CmdbError::UnknownRelationshipType`] for an unknown type in the options.
    pub fn health(
        &mut self,
        incident_cis: &[CiId],
        options: &QueryOptions,
    ) -> Result<HealthReport, CmdbError> {
        self.set_filter(options.relationship_types.as_deref())?;
        let sources = self.resolve(incident_cis)?;
        self.walk(
            &sources,
            Walk {
                max_depth: options.max_depth,
                redundancy: true,
                ..Walk::new(Direction::Impact)
            },
        );
        let index = self.index;
        // `queue` starts with the sources: exactly the CIs with an incident.
        let mut cis: Vec<CiHealth> = self
            .queue
            .iter()
            .enumerate()
            .map(|(i, visit)| {
                let own = i < sources.len();
                CiHealth {
                    ci: index.id(visit.node),
                    state: if own {
                        HealthState::Critical
                    } else {
                        HealthState::Warning
                    },
                    cause: (!own).then(|| index.id(visit.origin)),
                }
            })
            .collect();
        let mut degraded: Vec<(u32, u32)> = self
            .held()
            .map(|(entry, _, last)| (entry.node, last.origin))
            .collect();
        // A CI degraded over several types is listed once.
        degraded.sort_unstable_by_key(|&(node, _)| node);
        degraded.dedup_by_key(|&mut (node, _)| node);
        for (node, origin) in degraded {
            cis.push(CiHealth {
                ci: index.id(node),
                state: HealthState::Degraded,
                cause: Some(index.id(origin)),
            });
        }
        Ok(HealthReport { cis })
    }
}

impl crate::GraphIndex {
    /// [`Searcher::health`] with a fresh searcher.
    ///
    /// # Errors
    /// As [`Searcher::health`].
    pub fn health(
        &self,
        incident_cis: &[CiId],
        options: &QueryOptions,
    ) -> Result<HealthReport, CmdbError> {
        self.searcher().health(incident_cis, options)
    }
}
