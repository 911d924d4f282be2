//! SLA clock state: each record's last evaluations, and the due index.

use chrono::{DateTime, Utc};
use itsm_sla::SlaEvaluation;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::model::{StreamId, StreamKind, to_nanos};

/// One SLA clock of a record as stored: its last evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct StoredClock {
    /// The record.
    pub record: StreamId,
    /// The record's kind.
    pub record_kind: StreamKind,
    /// The last evaluation (its `definition` names the SLA).
    pub evaluation: SlaEvaluation,
}

/// A clock that needs attention: its next threshold or breach is due.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DueClock {
    /// The record.
    pub record: StreamId,
    /// The record's kind.
    pub record_kind: StreamKind,
    /// The SLA definition's name.
    pub definition: String,
    /// When the clock next needs attention.
    pub next_event_at: DateTime<Utc>,
}

/// What a backend writes for one clock.
#[derive(Clone, Debug, PartialEq)]
pub struct ClockRow {
    /// The SLA definition's name.
    pub definition: String,
    /// The current cycle's stage (`None`: the clock never attached).
    pub stage: Option<String>,
    /// Whether any cycle breached.
    pub breached: bool,
    /// When it next needs attention, in nanoseconds since the epoch.
    pub next_event_at: Option<i64>,
    /// When it was evaluated, in nanoseconds since the epoch.
    pub evaluated_at: i64,
    /// The evaluation as JSON.
    pub summary: String,
}

impl ClockRow {
    /// The row of an evaluation.
    ///
    /// # Errors
    /// [`StoreError::Invalid`] when an instant is outside the store's range.
    pub fn of(evaluation: &SlaEvaluation) -> Result<Self> {
        let summary = serde_json::to_string(evaluation)
            .map_err(|e| StoreError::invalid("clock", vec![e.to_string()]))?;
        Ok(Self {
            definition: evaluation.definition.clone(),
            stage: evaluation.current().map(|c| c.stage.to_string()),
            breached: evaluation.cycles.iter().any(|c| c.breached),
            next_event_at: evaluation
                .next_event_at
                .map(|t| to_nanos(t, "clock next_event_at"))
                .transpose()?,
            evaluated_at: to_nanos(evaluation.evaluated_at, "clock evaluated_at")?,
            summary,
        })
    }
}

pub(crate) fn check_clocks(clocks: &[SlaEvaluation]) -> Result<Vec<ClockRow>> {
    let mut problems = Vec::new();
    let mut rows = Vec::with_capacity(clocks.len());
    let mut seen = std::collections::BTreeSet::new();
    for (i, clock) in clocks.iter().enumerate() {
        if !seen.insert(clock.definition.as_str()) {
            problems.push(format!(
                "clocks[{i}].definition: {:?} appears twice",
                clock.definition
            ));
        }
        match ClockRow::of(clock) {
            Ok(row) => rows.push(row),
            Err(e) => problems.push(format!("clocks[{i}]: {e}")),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(StoreError::invalid("clocks", problems))
    }
}
