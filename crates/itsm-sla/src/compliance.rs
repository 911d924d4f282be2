//! [`ComplianceReport`]: how many SLA cycles met their goal, per definition,
//! per definition and priority, and per target, with the mean, median and
//! 90th percentile of the time they took.

use std::collections::BTreeMap;

use itsm_core::Priority;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{SlaEvaluation, SlaStage, SlaTarget};

/// Mean, median and 90th percentile of a set of durations, in seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DurationStats {
    /// How many durations.
    pub count: usize,
    /// The arithmetic mean.
    pub mean_secs: f64,
    /// The median (the mean of the two middle values when the count is even).
    pub median_secs: f64,
    /// The 90th percentile, nearest-rank: the smallest value with at least
    /// 90 % of the values at or below it.
    pub p90_secs: u64,
}

impl DurationStats {
    /// The statistics of `values`; `None` when empty.
    #[must_use]
    pub fn of(values: &[u64]) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let sum: u128 = sorted.iter().map(|v| u128::from(*v)).sum();
        // Reports only: f64 precision is ample for seconds.
        #[allow(clippy::cast_precision_loss)]
        let (mean, median) = {
            let mean = sum as f64 / n as f64;
            let median = if n % 2 == 1 {
                sorted[n / 2] as f64
            } else {
                (sorted[n / 2 - 1] as f64 + sorted[n / 2] as f64) / 2.0
            };
            (mean, median)
        };
        let rank = (n * 9).div_ceil(10).max(1);
        Some(Self {
            count: n,
            mean_secs: mean,
            median_secs: median,
            p90_secs: sorted[rank - 1],
        })
    }
}

/// The compliance of one group of cycles.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ComplianceRow {
    /// The definition, or `None` in a row per target.
    pub definition: Option<String>,
    /// What was measured (response, resolution, custom).
    pub target: SlaTarget,
    /// In a row per priority: the priority at the end of the cycles (`None`
    /// for tickets without one). Always `None` in the other rows.
    pub priority: Option<Priority>,
    /// Cycles counted: achieved, breached, and those still running or paused
    /// that have already breached. Cancelled cycles and cycles still within
    /// their goal are not counted.
    pub counted: usize,
    /// Of those, how many met their goal (achieved).
    pub met: usize,
    /// Of those, how many breached.
    pub breached: usize,
    /// `met / counted` as a percentage; `None` when nothing was counted.
    pub met_percent: Option<f64>,
    /// Business time taken by the completed (achieved or breached) cycles.
    pub business_time: Option<DurationStats>,
    /// Wall-clock time (excluding pauses) taken by the completed cycles.
    pub actual_time: Option<DurationStats>,
}

/// The compliance of many evaluated tickets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ComplianceReport {
    /// One row per definition, by name.
    pub by_definition: Vec<ComplianceRow>,
    /// One row per definition and priority, by name then priority.
    pub by_definition_and_priority: Vec<ComplianceRow>,
    /// One row per target: the time to respond and the time to resolve
    /// across every definition.
    pub by_target: Vec<ComplianceRow>,
}

#[derive(Default)]
struct Acc {
    met: usize,
    breached: usize,
    business: Vec<u64>,
    actual: Vec<u64>,
}

impl Acc {
    fn row(
        self,
        definition: Option<String>,
        target: SlaTarget,
        priority: Option<Priority>,
    ) -> ComplianceRow {
        let counted = self.met + self.breached;
        #[allow(clippy::cast_precision_loss)]
        let met_percent = (counted > 0).then(|| self.met as f64 * 100.0 / counted as f64);
        ComplianceRow {
            definition,
            target,
            priority,
            counted,
            met: self.met,
            breached: self.breached,
            met_percent,
            business_time: DurationStats::of(&self.business),
            actual_time: DurationStats::of(&self.actual),
        }
    }
}

fn target_key(t: &SlaTarget) -> (u8, String) {
    match t {
        SlaTarget::Response => (0, String::new()),
        SlaTarget::Resolution => (1, String::new()),
        SlaTarget::Custom(name) => (2, name.clone()),
    }
}

impl ComplianceReport {
    /// Aggregates every cycle of `evaluations`.
    #[must_use]
    pub fn from_evaluations(evaluations: &[SlaEvaluation]) -> Self {
        let mut by_def: BTreeMap<&str, (Acc, &SlaTarget)> = BTreeMap::new();
        let mut by_prio: BTreeMap<(&str, Option<Priority>), (Acc, &SlaTarget)> = BTreeMap::new();
        let mut by_target: BTreeMap<(u8, String), (Acc, &SlaTarget)> = BTreeMap::new();
        for evaluation in evaluations {
            for cycle in &evaluation.cycles {
                let met = cycle.stage == SlaStage::Achieved;
                let breached = cycle.breached && cycle.stage != SlaStage::Canceled;
                if !met && !breached {
                    continue;
                }
                let completed = matches!(cycle.stage, SlaStage::Achieved | SlaStage::Breached);
                let name = evaluation.definition.as_str();
                let target = &evaluation.target;
                for acc in [
                    &mut by_def
                        .entry(name)
                        .or_insert_with(|| (Acc::default(), target))
                        .0,
                    &mut by_prio
                        .entry((name, cycle.priority))
                        .or_insert_with(|| (Acc::default(), target))
                        .0,
                    &mut by_target
                        .entry(target_key(target))
                        .or_insert_with(|| (Acc::default(), target))
                        .0,
                ] {
                    if met {
                        acc.met += 1;
                    } else {
                        acc.breached += 1;
                    }
                    if completed {
                        acc.business.push(cycle.business_elapsed.as_secs());
                        acc.actual.push(cycle.actual_elapsed_secs);
                    }
                }
            }
        }
        Self {
            by_definition: by_def
                .into_iter()
                .map(|(name, (acc, target))| acc.row(Some(name.to_owned()), target.clone(), None))
                .collect(),
            by_definition_and_priority: by_prio
                .into_iter()
                .map(|((name, priority), (acc, target))| {
                    acc.row(Some(name.to_owned()), target.clone(), priority)
                })
                .collect(),
            by_target: by_target
                .into_values()
                .map(|(acc, target)| acc.row(None, target.clone(), None))
                .collect(),
        }
    }
}
